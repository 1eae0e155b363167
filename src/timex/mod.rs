//! Temporal expressions (TIMEX3). First slice: explicit dates only; the
//! data-driven recogniser replaces this (issue 3).

use crate::date::Date;
use crate::pipeline::Recogniser;
use crate::span::{Document, Span};

const MONTHS_EN: [&str; 12] = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
];

pub struct TimexRecogniser;

impl TimexRecogniser {
    pub fn new(_lang: &str) -> Result<TimexRecogniser, crate::Error> {
        Ok(TimexRecogniser)
    }
}

/// The date in a dateline near the top ("WASHINGTON, 2025-03-11"), if any.
pub fn dateline_date(text: &str) -> Option<Date> {
    let head: String = text.chars().take(200).collect();
    head.char_indices().find_map(|(i, _)| head.get(i..i + 10).and_then(|s| Date::parse(s).ok()))
}

impl Recogniser for TimexRecogniser {
    fn name(&self) -> &str {
        "timex"
    }

    fn recognise(&self, doc: &Document, out: &mut Vec<Span>) {
        let text = &doc.text;
        for (m, name) in MONTHS_EN.iter().enumerate() {
            for (at, _) in text.match_indices(name) {
                let rest = &text[at + name.len()..];
                let digits: String = rest.strip_prefix(' ').unwrap_or("").chars().take_while(|c| c.is_ascii_digit()).collect();
                if let Ok(day) = digits.parse::<u8>() {
                    let year = doc.dct.map(|d| d.year);
                    let value = match year.and_then(|y| Date::new(y, m as u8 + 1, day)) {
                        Some(d) => d.to_string(),
                        None => format!("XXXX-{:02}-{:02}", m + 1, day),
                    };
                    let end = at + name.len() + 1 + digits.len();
                    out.push(Span::new(at, end, "DATE", "timex:en:month-day").with_value(value));
                }
            }
        }
    }
}
