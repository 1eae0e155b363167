//! Offset units. Inside Rust every offset is a UTF-8 byte offset; the outside
//! world counts otherwise: exports and the CLI use Unicode code points (Python
//! `str` indices, what spaCy and Hugging Face index by), the page uses UTF-16
//! code units (JavaScript strings). Conversion happens once, at the boundary.

use unicode_segmentation::GraphemeCursor;

/// The unit an offset is counted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Byte,
    CodePoint,
    Utf16,
}

/// Converts many byte offsets of one text into `unit` with one pass over the
/// text. `offsets` need not be sorted; every offset must lie on a char boundary.
pub fn from_bytes(text: &str, offsets: &[usize], unit: Unit) -> Vec<usize> {
    if unit == Unit::Byte {
        return offsets.to_vec();
    }
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_by_key(|&i| offsets[i]);
    let mut out = vec![0; offsets.len()];
    let (mut byte, mut count) = (0usize, 0usize);
    let mut chars = text.chars();
    for i in order {
        let target = offsets[i];
        while byte < target {
            let c = chars.next().expect("offset past the end of the text");
            byte += c.len_utf8();
            count += if unit == Unit::Utf16 { c.len_utf16() } else { 1 };
        }
        debug_assert_eq!(byte, target, "offset {target} is not on a char boundary");
        out[i] = count;
    }
    out
}

/// The inverse: offsets counted in `unit` back to byte offsets. Offsets past
/// the end or inside a character (half a surrogate pair) give `None`.
pub fn to_bytes(text: &str, offsets: &[usize], unit: Unit) -> Vec<Option<usize>> {
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_by_key(|&i| offsets[i]);
    let mut out = vec![None; offsets.len()];
    let (mut byte, mut count) = (0usize, 0usize);
    let mut chars = text.chars();
    for i in order {
        let target = offsets[i];
        while count < target {
            match chars.next() {
                Some(c) => {
                    byte += c.len_utf8();
                    count += match unit {
                        Unit::Byte => c.len_utf8(),
                        Unit::CodePoint => 1,
                        Unit::Utf16 => c.len_utf16(),
                    };
                }
                None => break,
            }
        }
        if count == target {
            out[i] = Some(byte);
        }
    }
    out
}

/// A grapheme-cluster boundary known without the Unicode tables: an end of
/// the text, or between two ASCII characters other than CR LF (no ASCII
/// character extends a cluster). Most span edges are.
fn plain_boundary(b: &[u8], i: usize) -> bool {
    i == 0 || i >= b.len() || (b[i - 1] < 0x80 && b[i] < 0x80 && !(b[i - 1] == b'\r' && b[i] == b'\n'))
}

/// The nearest grapheme-cluster boundary at or before `byte`.
pub fn grapheme_floor(text: &str, byte: usize) -> usize {
    let mut byte = byte.min(text.len());
    while !text.is_char_boundary(byte) {
        byte -= 1;
    }
    if plain_boundary(text.as_bytes(), byte) {
        return byte;
    }
    let mut cursor = GraphemeCursor::new(byte, text.len(), true);
    match cursor.is_boundary(text, 0) {
        Ok(true) => byte,
        _ => cursor.prev_boundary(text, 0).ok().flatten().unwrap_or(0),
    }
}

/// The nearest grapheme-cluster boundary at or after `byte`.
pub fn grapheme_ceil(text: &str, byte: usize) -> usize {
    let mut byte = byte.min(text.len());
    while !text.is_char_boundary(byte) {
        byte += 1;
    }
    if plain_boundary(text.as_bytes(), byte) {
        return byte;
    }
    let mut cursor = GraphemeCursor::new(byte, text.len(), true);
    match cursor.is_boundary(text, 0) {
        Ok(true) => byte,
        _ => cursor.next_boundary(text, 0).ok().flatten().unwrap_or(text.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "Modi 🇮🇳 visited హైదరాబాద్ on 5 March 👩‍👩‍👧.";

    #[test]
    fn byte_to_code_point_and_utf16_agree_with_slicing() {
        let start = TEXT.find("హైదరాబాద్").unwrap();
        let end = start + "హైదరాబాద్".len();
        let cps = from_bytes(TEXT, &[end, start], Unit::CodePoint);
        let quote: String = TEXT.chars().skip(cps[1]).take(cps[0] - cps[1]).collect();
        assert_eq!(quote, "హైదరాబాద్");
        let u16s: Vec<u16> = TEXT.encode_utf16().collect();
        let cu = from_bytes(TEXT, &[start, end], Unit::Utf16);
        assert_eq!(String::from_utf16(&u16s[cu[0]..cu[1]]).unwrap(), "హైదరాబాద్");
        // The flag is two code points and four UTF-16 units before the name.
        assert_eq!(from_bytes(TEXT, &[start], Unit::CodePoint)[0], "Modi 🇮🇳 visited ".chars().count());
    }

    #[test]
    fn round_trip_in_every_unit() {
        let bytes: Vec<usize> = TEXT.char_indices().map(|(i, _)| i).chain([TEXT.len()]).collect();
        for unit in [Unit::Byte, Unit::CodePoint, Unit::Utf16] {
            let there = from_bytes(TEXT, &bytes, unit);
            let back: Vec<usize> = to_bytes(TEXT, &there, unit).into_iter().map(Option::unwrap).collect();
            assert_eq!(back, bytes, "{unit:?}");
        }
        assert_eq!(to_bytes("ab", &[3], Unit::CodePoint), vec![None]);
        // Offset 1 in UTF-16 is inside the surrogate pair of 🙂.
        assert_eq!(to_bytes("🙂", &[1], Unit::Utf16), vec![None]);
    }

    #[test]
    fn grapheme_snapping_never_splits_a_cluster() {
        // "హై" is హ + ై (vowel sign): one cluster of two code points.
        let t = "హైదరాబాద్";
        let inside = "హ".len();
        assert_eq!(grapheme_floor(t, inside), 0);
        assert_eq!(grapheme_ceil(t, inside), "హై".len());
        let family = "👩‍👩‍👧";
        assert_eq!(grapheme_ceil(family, 4), family.len());
        assert_eq!(grapheme_floor(family, 5), 0);
        assert_eq!(grapheme_floor(t, 0), 0);
        assert_eq!(grapheme_ceil(t, t.len()), t.len());
    }

    #[test]
    fn the_ascii_shortcut_agrees_with_the_unicode_rules() {
        // CR LF is one cluster; a combining accent after an ASCII letter
        // joins it; ASCII next to Telugu, emoji and flags.
        let t = "a\r\nb e\u{301}x Modi🇮🇳, హైదరాబాద్లో 5pm\n👩\u{200d}👩\u{200d}👧!";
        let boundaries: Vec<usize> = unicode_segmentation::UnicodeSegmentation::grapheme_indices(t, true)
            .map(|(i, _)| i)
            .chain([t.len()])
            .collect();
        for byte in 0..=t.len() {
            let floor = *boundaries.iter().rev().find(|&&b| b <= byte).unwrap();
            let ceil = *boundaries.iter().find(|&&b| b >= byte).unwrap();
            assert_eq!((grapheme_floor(t, byte), grapheme_ceil(t, byte)), (floor, ceil), "at byte {byte}");
        }
    }
}
