//! The `lede annotate` command: its input and output formats are what
//! evaluation is built on, so they are pinned here.

mod common;

use common::lede;

fn lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout.lines().map(|l| serde_json::from_str(l).expect("each output line is JSON")).collect()
}

#[test]
fn spans_carry_code_point_offsets_and_their_quote() {
    let input = r#"{"id": "d1", "text": "🇮🇳👩‍👩‍👧 On March 11 the vote.", "lang": "en", "dct": "2025-03-01", "extra": [1, 2]}"#;
    let (code, out, err) = lede(&["annotate"], input.as_bytes());
    assert_eq!(code, 0, "{err}");
    let docs = lines(&out);
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["id"], "d1");
    let text: Vec<char> = "🇮🇳👩‍👩‍👧 On March 11 the vote.".chars().collect();
    let spans = docs[0]["spans"].as_array().unwrap();
    let march = spans.iter().find(|s| s["text"] == "March 11").expect("March 11 found");
    let (start, end) = (march["start"].as_u64().unwrap() as usize, march["end"].as_u64().unwrap() as usize);
    assert_eq!(text[start..end].iter().collect::<String>(), "March 11");
    assert_eq!(start, 2 + 5 + " On ".len(), "flag (2) and family (5) counted as code points, not bytes or UTF-16");
    assert_eq!(march["label"], "DATE");
    assert_eq!(march["value"], "2025-03-11");
    assert!(march["source"].as_str().unwrap().starts_with("timex:"));
}

#[test]
fn malformed_lines_are_reported_by_number_and_the_rest_go_on() {
    let input = "{\"id\": \"a\", \"text\": \"on March 2\", \"dct\": \"2025-03-01\"}\nnot json\n\n{\"id\": \"b\", \"text\": \"x\", \"dct\": \"2025-02-30\"}\n{\"id\": 7, \"text\": \"on March 3\"}\n";
    let (code, out, err) = lede(&["annotate", "--lang", "en"], input.as_bytes());
    assert_eq!(code, 1, "a skipped line makes the exit status say so");
    assert!(err.contains("<stdin>:2:"), "{err}");
    assert!(err.contains("<stdin>:4:") && err.contains("2025-02-30"), "{err}");
    let docs = lines(&out);
    assert_eq!(docs.iter().map(|d| d["id"].clone()).collect::<Vec<_>>(), vec![serde_json::json!("a"), serde_json::json!(7)]);
    // No document date: the year stays unresolved instead of being guessed.
    assert_eq!(docs[1]["spans"][0]["value"].as_str().unwrap(), "XXXX-03-03");
}

#[test]
fn text_files_are_documents_and_binary_files_are_refused() {
    let dir = std::env::temp_dir().join(format!("lede-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let txt = dir.join("article.txt");
    std::fs::write(&txt, "WASHINGTON, 2025-03-11 — The vote is on March 14.").unwrap();
    let bin = dir.join("image.txt");
    std::fs::write(&bin, [0x89, b'P', b'N', b'G', 0xff, 0xfe, 0]).unwrap();
    let (code, out, err) = lede(&["annotate", bin.to_str().unwrap(), txt.to_str().unwrap()], b"");
    assert_eq!(code, 1);
    assert!(err.contains("not UTF-8 text"), "{err}");
    let docs = lines(&out);
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["id"], txt.to_str().unwrap());
    let march = docs[0]["spans"].as_array().unwrap().iter().find(|s| s["text"] == "March 14").expect("found");
    assert_eq!(march["value"], "2025-03-14", "resolved against the dateline");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_bad_default_date_is_a_usage_error() {
    let (code, _, err) = lede(&["annotate", "--dct", "11/03/2025"], b"");
    assert_ne!(code, 0);
    assert!(err.contains("not a valid date"), "{err}");
}
