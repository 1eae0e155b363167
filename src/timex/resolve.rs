//! Phase two, resolution: a typed [`Extraction`] plus the reference date
//! (and the last date the text mentioned, for "that day") give the TIMEX3
//! value. Nothing here looks at the text.
//!
//! Without a reference date, what the expression does not say stays unknown
//! and is written X at the expression's own granularity: "March 11" is
//! XXXX-03-11, "yesterday" XXXX-XX-XX, "last week" XXXX-WXX, "next year"
//! XXXX. PRESENT_REF / PAST_REF / FUTURE_REF, durations and sets need no date.

use super::said::{Amount, Extraction, Implied, RefKind, Said, Season, Tense, TimexType, Unit};
use crate::date::Date;

/// The most recent dated expression of the text, for anaphora ("that
/// year") and for offsets told from it ("a year earlier" after "the third
/// quarter").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Anchor {
    pub year: i32,
    pub month: Option<u8>,
    pub day: Option<u8>,
    pub quarter: Option<u8>,
}

impl Anchor {
    /// The day, when the last date spoken of named one.
    pub fn date(self) -> Option<Date> {
        self.month.zip(self.day).and_then(|(m, d)| Date::new(self.year, m, d))
    }
}

/// A resolved calendar point at some granularity; `None` parts print as X.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Point {
    Day(Option<i32>, Option<u8>, Option<u8>),
    Week(Option<i32>, Option<u8>),
    Weekend(Option<i32>, Option<u8>),
    Quarter(Option<i32>, u8),
    Half(Option<i32>, u8),
    Season(Option<i32>, Season),
    Year(Option<i32>),
    /// The first three digits of the years: 199 for the 1990s.
    Decade(i32),
    /// The first two digits: 19 for the 20th century.
    Century(i32),
    Ref(RefKind),
    /// A month granularity with nothing known: XXXX-XX.
    MonthUnknown,
}

/// Appends `v` in decimal, zero-padded to `width` digits, into `out` (no
/// string of its own: values are rendered for every expression, and the
/// nested `format!` strings cost more than the rest of resolution).
fn push_padded(out: &mut String, v: u32, width: usize) {
    use std::fmt::Write;
    let _ = write!(out, "{v:0width$}");
}

/// A year as four digits, XXXX when unknown (or not 0 to 9999).
fn push_y4(out: &mut String, y: Option<i32>) {
    match y {
        Some(y) if (0..=9999).contains(&y) => push_padded(out, y as u32, 4),
        _ => out.push_str("XXXX"),
    }
}

/// A month, day or week as two digits, XX when unknown.
fn push_n2(out: &mut String, n: Option<u8>) {
    match n {
        Some(n) => push_padded(out, n as u32, 2),
        None => out.push_str("XX"),
    }
}

impl Point {
    pub fn render(self) -> String {
        let mut s = String::with_capacity(16);
        match self {
            Point::Day(y, m, d) => {
                push_y4(&mut s, y);
                s.push('-');
                push_n2(&mut s, m);
                if m.is_none() || d.is_some() {
                    s.push('-');
                    push_n2(&mut s, d);
                }
            }
            Point::Week(y, w) | Point::Weekend(y, w) => {
                push_y4(&mut s, y);
                s.push_str("-W");
                push_n2(&mut s, w);
                if matches!(self, Point::Weekend(..)) {
                    s.push_str("-WE");
                }
            }
            Point::Quarter(y, n) | Point::Half(y, n) => {
                push_y4(&mut s, y);
                s.push_str(if matches!(self, Point::Quarter(..)) { "-Q" } else { "-H" });
                push_padded(&mut s, n as u32, 1);
            }
            Point::Season(y, season) => {
                push_y4(&mut s, y);
                s.push('-');
                s.push_str(season.code());
            }
            Point::Year(y) => push_y4(&mut s, y),
            Point::Decade(d) => return format!("{d:03}"),
            Point::Century(c) => return format!("{c:02}"),
            Point::Ref(r) => s.push_str(r.code()),
            Point::MonthUnknown => s.push_str("XXXX-XX"),
        }
        s
    }
}

impl Point {
    /// What a later anaphor can lean on: a point with a known year.
    pub fn anchor(self) -> Option<Anchor> {
        let a = |year, month, day, quarter| Some(Anchor { year, month, day, quarter });
        match self {
            Point::Day(Some(y), m, d) => a(y, m, d, m.map(|m| (m - 1) / 3 + 1)),
            Point::Quarter(Some(y), q) => a(y, None, None, Some(q)),
            Point::Year(Some(y)) | Point::Half(Some(y), _) | Point::Season(Some(y), _) => a(y, None, None, None),
            _ => None,
        }
    }
}

/// The TIMEX3 value of an extraction, and the calendar point of a DATE.
pub fn resolve(x: &Extraction, dct: Option<Date>, anchor: Option<Anchor>) -> (String, Option<Point>) {
    let s = &x.said;
    match x.kind {
        TimexType::Duration => (duration(s), None),
        TimexType::Set => (set(s), None),
        TimexType::Time => time(s, x.implied, dct, anchor),
        TimexType::Date => {
            let restated = anchor.and_then(Anchor::date).filter(|d| x.implied.day_of_previous && s.weekday == Some(d.weekday().index() + 1));
            let said_or_implied = match (restated, anchor.filter(|_| x.implied.year_of_previous || x.implied.year_of_relative)) {
                // "March 5 (Wednesday)": that Wednesday.
                (Some(d), _) => at(d, Unit::Day),
                (None, Some(a)) => calendar(s, Some(a.year)),
                (None, None) => match anchor.filter(|_| x.implied.month_of_previous).and_then(|a| a.month.map(|m| (a.year, m))) {
                    // "... Feb. 10 and ended on the 12th": that month's.
                    Some((y, m)) => Point::Day(Some(y), Some(m), s.day),
                    None => date(s, x.implied.tense, dct, anchor),
                },
            };
            let p = match (said_or_implied, s.gran) {
                // "the week of March 6", "the weekend of June 8": the week
                // (weekend) that holds the day; a Monday's weekend is the
                // one that ends on it ("the Labor Day weekend").
                (Point::Day(Some(y), Some(m), Some(d)), Some(u @ (Unit::Week | Unit::Weekend))) => Date::new(y, m, d).map_or(unknown(u), |d| {
                    let monday = u == Unit::Weekend && d.weekday().index() == 0;
                    at(if monday { d.add_days(-1) } else { d }, u)
                }),
                // "వచ్చే నెల మొదటి వారంలో" (in the first week of next month): the
                // month is known only now.
                (Point::Day(Some(y), Some(m), None), Some(Unit::Week)) if s.ordinal.is_some() => {
                    let d = day_of_month(s, Some(y), m).and_then(|d| Date::new(y, m, d));
                    d.map_or(unknown(Unit::Week), |d| at(d, Unit::Week))
                }
                // "the March quarter": the quarter that holds the month.
                (Point::Day(y, Some(m), None), Some(Unit::Quarter)) => Point::Quarter(y, (m - 1) / 3 + 1),
                (p, _) => p,
            };
            match (p, s.part) {
                // "Friday night" as a DATE keeps its part of the day.
                (Point::Day(_, Some(_), Some(_)), Some(part)) => (format!("{}T{}", p.render(), part.code()), Some(p)),
                // "300 BC", "the 6th century BC": TIMEX3 writes the era
                // before the year; no later date is counted from it.
                _ if s.era == Some(-1) => (format!("BC{}", p.render()), None),
                _ => (p.render(), Some(p)),
            }
        }
    }
}

/// The TIMEX3 value of an extraction.
pub fn value(x: &Extraction, dct: Option<Date>, anchor: Option<Anchor>) -> String {
    resolve(x, dct, anchor).0
}

fn duration(s: &Said) -> String {
    if let Some(r) = s.reference {
        return r.code().to_string();
    }
    let Some(unit) = s.unit else { return "PXX".to_string() };
    let amount = s.amount.unwrap_or(if s.plural { Amount::Vague } else { Amount::Count(1) });
    if let (Amount::Count(n), false) = (amount, s.rest.is_empty()) {
        return duration_in_parts(n, unit, &s.rest);
    }
    match (amount, s.and_half) {
        (Amount::Count(n), true) => duration_and_half(n, unit),
        _ => duration_of(amount, unit),
    }
}

/// `n` and a half units, the half in the next smaller unit: "2 1/2 years" =
/// P2Y6M, "an hour and a half" = PT1H30M.
fn duration_and_half(n: i64, unit: Unit) -> String {
    match unit {
        Unit::Year => format!("P{n}Y6M"),
        Unit::Decade => format!("P{}Y", n * 10 + 5),
        Unit::Century => format!("P{}Y", n * 100 + 50),
        Unit::Half => format!("P{}M", n * 6 + 3),
        Unit::Quarter => format!("P{}M15D", n * 3 + 1),
        Unit::Month => format!("P{n}M15D"),
        Unit::Week => format!("P{}DT12H", n * 7 + 3),
        Unit::Weekend => format!("P{n}WE"),
        Unit::Day => format!("P{n}DT12H"),
        Unit::Hour => format!("PT{n}H30M"),
        Unit::Minute => format!("PT{n}M30S"),
        Unit::Second => format!("PT{n}S"),
    }
}

/// A duration said in several units, as one value: "three hours and nine
/// minutes" = PT3H9M. ISO 8601 writes no weeks beside days, so a week counts
/// as 7 days (P2W + 3 days = P17D); quarters and halves count in months,
/// decades and centuries in years.
fn duration_in_parts(amount: i64, unit: Unit, rest: &[(i64, Unit)]) -> String {
    // Years, months, days; hours, minutes, seconds.
    let mut n = [0i64; 6];
    for &(k, unit) in std::iter::once(&(amount, unit)).chain(rest) {
        let (i, times) = match unit {
            Unit::Century => (0, 100),
            Unit::Decade => (0, 10),
            Unit::Year => (0, 1),
            Unit::Half => (1, 6),
            Unit::Quarter => (1, 3),
            Unit::Month => (1, 1),
            Unit::Week => (2, 7),
            // No weekend gets here: Said::rest_fits refuses it.
            Unit::Day | Unit::Weekend => (2, 1),
            Unit::Hour => (3, 1),
            Unit::Minute => (4, 1),
            Unit::Second => (5, 1),
        };
        n[i] += k * times;
    }
    let mut v = "P".to_string();
    for (i, code) in ["Y", "M", "D", "H", "M", "S"].iter().enumerate() {
        if i == 3 && n[3..].iter().any(|&k| k > 0) {
            v.push('T');
        }
        if n[i] > 0 {
            v.push_str(&format!("{}{code}", n[i]));
        }
    }
    v
}

fn duration_of(amount: Amount, unit: Unit) -> String {
    let t = if unit.is_clock() { "T" } else { "" };
    match (amount, unit) {
        (Amount::Count(n), Unit::Half) => format!("P{}M", n * 6),
        (Amount::Vague, Unit::Half) => "PXM".to_string(),
        (Amount::Count(n), Unit::Decade) => format!("P{}Y", n * 10),
        (Amount::Count(n), Unit::Century) => format!("P{}Y", n * 100),
        // "decades", "centuries": years, as a count of them is.
        (Amount::Vague, Unit::Decade | Unit::Century) => "PXY".to_string(),
        _ => format!("P{t}{amount}{}", unit.duration_code()),
    }
}

/// The time of day said, as TIMEX3 writes it after a date: "T15:30" for
/// a clock time, "TMO" for a part of the day, else nothing.
fn time_of_day(s: &Said) -> String {
    match (s.hour24(), s.part) {
        (Some(h), _) => format!("T{h:02}:{:02}", s.minute.unwrap_or(0)),
        (None, Some(p)) => format!("T{}", p.code()),
        (None, None) => String::new(),
    }
}

fn set(s: &Said) -> String {
    // The time of each day ("every Monday at 10", "every morning").
    let part = time_of_day(s);
    if let Some(w) = s.weekday {
        return format!("XXXX-WXX-{w}{part}");
    }
    if let Some(m) = s.month {
        return match s.day {
            Some(d) => format!("XXXX-{m:02}-{d:02}"),
            None => format!("XXXX-{m:02}"),
        };
    }
    if let Some(se) = s.season {
        return format!("XXXX-{}", se.code());
    }
    // "ప్రతి నెలా 1వ తేదీన" (on the 1st of every month).
    if let (Some(d), Some(Unit::Month)) = (s.day, s.unit) {
        return format!("XXXX-XX-{d:02}");
    }
    // "every weekend" is each week's weekend, as "every Monday" is.
    if s.unit == Some(Unit::Weekend) && matches!(s.amount, None | Some(Amount::Count(1))) {
        return format!("XXXX-WXX-WE{part}");
    }
    // "every day in the morning" is the morning of each day, no period.
    let a_time_each_day = s.unit == Some(Unit::Day) && s.amount.is_none() && !part.is_empty();
    if let (Some(u), false) = (s.unit, a_time_each_day) {
        return duration_of(s.amount.unwrap_or(Amount::Count(1)), u);
    }
    if !part.is_empty() {
        return format!("XXXX-XX-XX{part}");
    }
    "P1D".to_string()
}

/// The value of a TIME, and its day when it says one ("8 p.m. Tuesday"):
/// a clock time after it can take that day ("Polls closed at 8 p.m.
/// Tuesday. Pollard overtook him at 10:50 p.m.").
fn time(s: &Said, implied: Implied, dct: Option<Date>, anchor: Option<Anchor>) -> (String, Option<Point>) {
    let said_day = s.says_a_date().then(|| date(s, implied.tense, dct, anchor));
    // The day of the date just before ("March 5 at 3 p.m."): that day is
    // this time's too, for the end of its range ("మే 2న ఉదయం 9 నుంచి 12
    // గంటల వరకు", on May 2 from 9 to 12).
    let previous_day = anchor.and_then(Anchor::date).filter(|_| implied.day_of_previous).map(|d| at(d, Unit::Day));
    let day = match (said_day.or(previous_day), dct) {
        (Some(day), _) => day,
        // Else the reference date's.
        (None, Some(d)) => at(d, Unit::Day),
        (None, None) => Point::Day(None, None, None),
    };
    // Minutes past midnight ("అర్ధరాత్రి 12:10" after Sunday's match) are
    // early the next day: 24:10 is 00:10 of the day after.
    let past_midnight = s.hour == Some(24) && s.minute.is_some_and(|m| m > 0);
    let day = match day {
        Point::Day(Some(y), Some(m), Some(d)) if past_midnight => Date::new(y, m, d).map_or(day, |d| at(d.add_days(1), Unit::Day)),
        _ => day,
    };
    let day = {
        let mut v = day.render();
        // A month without its day: the time still needs a day ("-XX").
        if let Point::Day(_, Some(_), None) = day {
            v.push_str("-XX");
        }
        v
    };
    let clock = if past_midnight { format!("T00:{:02}", s.minute.unwrap_or(0)) } else { time_of_day(s) };
    (day + &clock, said_day.or(previous_day).filter(|p| matches!(p, Point::Day(Some(_), Some(_), Some(_)))))
}

/// How many of a smaller unit `unit` counts, and the unit a date moved by
/// a fraction of it is named to: for "a year and a half ago" and "1.5
/// years ago" a year is 12 months (named to the month), a week 7 days
/// (named to the week).
fn in_smaller(unit: Unit) -> Option<(i64, Unit, Unit)> {
    Some(match unit {
        Unit::Century => (100, Unit::Year, Unit::Year),
        Unit::Decade => (10, Unit::Year, Unit::Year),
        Unit::Year => (12, Unit::Month, Unit::Month),
        Unit::Month => (30, Unit::Day, Unit::Month),
        Unit::Week => (7, Unit::Day, Unit::Week),
        _ => return None,
    })
}

/// The day `n` units after `d` (before it for a negative `n`); units
/// shorter than a day count only their whole days ("48 hours ago" is two
/// days back, "three hours ago" still the day itself).
fn moved(d: Date, n: i64, unit: Unit) -> Date {
    let months = |k: i64| d.add_months(k as i32);
    match unit {
        Unit::Second => d.add_days(n / 86_400),
        Unit::Minute => d.add_days(n / 1_440),
        Unit::Hour => d.add_days(n / 24),
        Unit::Day => d.add_days(n),
        Unit::Week | Unit::Weekend => d.add_days(7 * n),
        Unit::Month => months(n),
        Unit::Quarter => months(3 * n),
        Unit::Half => months(6 * n),
        Unit::Year => months(12 * n),
        Unit::Decade => months(120 * n),
        Unit::Century => months(1200 * n),
    }
}

/// A date `n` units from `d`, at that unit's granularity (a day for units
/// shorter than one).
fn shifted(d: Date, n: i64, unit: Unit) -> Point {
    at(moved(d, n, unit), unit)
}

/// The period of granularity `unit` that contains `d`.
fn at(d: Date, unit: Unit) -> Point {
    match unit {
        Unit::Second | Unit::Minute | Unit::Hour | Unit::Day => Point::Day(Some(d.year), Some(d.month), Some(d.day)),
        Unit::Week => {
            let (y, w) = d.iso_week();
            Point::Week(Some(y), Some(w))
        }
        Unit::Weekend => {
            let (y, w) = d.iso_week();
            Point::Weekend(Some(y), Some(w))
        }
        Unit::Month => Point::Day(Some(d.year), Some(d.month), None),
        Unit::Quarter => Point::Quarter(Some(d.year), (d.month - 1) / 3 + 1),
        Unit::Half => Point::Half(Some(d.year), (d.month - 1) / 6 + 1),
        Unit::Year => Point::Year(Some(d.year)),
        Unit::Decade => Point::Decade(d.year.div_euclid(10)),
        Unit::Century => Point::Century(d.year.div_euclid(100)),
    }
}

/// The unknown period of granularity `unit` (no reference date).
fn unknown(unit: Unit) -> Point {
    match unit {
        Unit::Week => Point::Week(None, None),
        Unit::Weekend => Point::Weekend(None, None),
        Unit::Month => Point::MonthUnknown,
        Unit::Year | Unit::Decade | Unit::Century | Unit::Quarter | Unit::Half => Point::Year(None),
        _ => Point::Day(None, None, None),
    }
}

fn expand_two_digit(y: i32, dct: Option<Date>) -> i32 {
    let base = dct.map(|d| d.year).unwrap_or(2000);
    let century = base - base.rem_euclid(100);
    // The reading closest to the reference year, preferring the past.
    [century - 100 + y, century + y].into_iter().filter(|c| *c <= base + 10).max().unwrap_or(century + y)
}

fn date(s: &Said, tense: Tense, dct: Option<Date>, anchor: Option<Anchor>) -> Point {
    if let Some(r) = s.reference {
        return Point::Ref(r);
    }
    if let Some(d) = s.decade {
        // "the 1800s", "the early 1900s" name centuries; "the 2000s" is
        // most often the decade.
        if d % 100 == 0 && d < 2000 {
            return Point::Century(d / 100);
        }
        return Point::Decade(d.div_euclid(10));
    }
    if let Some(c) = s.century {
        return Point::Century(c - 1);
    }
    let year = s.year.map(|y| if s.two_digit_year && s.era.is_none() { expand_two_digit(y, dct) } else { y });
    if let Some(y) = year {
        return calendar(s, Some(y));
    }
    if let (true, Some(dir), Some(unit), Some(Amount::Count(n)), Some(a)) = (s.that, s.dir, s.unit, s.amount, anchor) {
        // "a year earlier" after "on Dec. 31": that day a year before,
        // named as finely as the last date was (a quarter is handled with
        // the year-ago quarters below).
        let named = match (a.date(), a.month, a.quarter) {
            (Some(_), ..) => Some(Unit::Day),
            (None, Some(_), _) => Some(Unit::Month),
            (None, None, None) => Some(Unit::Year),
            _ => None,
        };
        if let Some(named) = named.filter(|&g| unit >= g) {
            let from = Date { year: a.year, month: a.month.unwrap_or(1), day: a.day.unwrap_or(1) };
            return at(moved(from, dir as i64 * n, unit), named);
        }
    }
    if let (true, Some(w)) = (s.that, s.weekday) {
        // "the following Monday", "the previous Friday": the first such day
        // after or before the last day spoken of; without one, as "next
        // Monday" and "last Friday" are read (below).
        if let Some(d) = anchor.and_then(Anchor::date) {
            return at(pick_weekday(w, s.rel, tense, d), Unit::Day);
        }
    } else if s.that && s.dir.is_none() && (anchor.is_some() || !before_this_period(s)) {
        // "that day", "the following year": the last date spoken of,
        // shifted by `rel` of the unit.
        let a = anchor;
        let n = s.rel.unwrap_or(0);
        return match (s.unit, s.season, s.month) {
            (_, Some(se), _) => Point::Season(a.map(|a| a.year + n), se),
            // "the following March": the first March after the last date,
            // as "next March" is after the reference date (after the
            // year's end when only the year was said), and from the
            // reference date when no date came before; "that December",
            // "December of that year": that year's.
            (_, _, Some(m)) if n != 0 => {
                let from = a.map(|a| a.date().unwrap_or(Date { year: a.year, month: a.month.unwrap_or(if n > 0 { 12 } else { 1 }), day: 1 })).or(dct);
                Point::Day(from.map(|d| pick_year(m, s.day, s.rel, tense, d)), Some(m), s.day)
            }
            (_, _, Some(m)) => Point::Day(a.map(|a| a.year), Some(m), s.day),
            (Some(Unit::Day), _, _) => match (a, a.and_then(Anchor::date)) {
                (_, Some(d)) => at(d.add_days(n as i64), Unit::Day),
                // Only the month (or year) of the last date is known.
                (Some(a), None) if n == 0 => Point::Day(Some(a.year), a.month, None),
                _ => Point::Day(None, None, None),
            },
            (Some(u @ (Unit::Week | Unit::Weekend)), _, _) => match a.and_then(Anchor::date) {
                Some(d) => shifted(d, n as i64, u),
                None => unknown(u),
            },
            // When the last date named no month (quarter), "the previous
            // month" counts from the reference date's, and "the previous
            // quarter" from the last complete one: in "For the first nine
            // months ... up from the comparable 1996 period. Sales doubled
            // from the previous quarter" the report is of the quarter just
            // ended.
            (Some(Unit::Month), _, _) => match (a, dct) {
                (Some(Anchor { year, month: Some(m), .. }), _) => at(Date { year, month: m, day: 1 }.add_months(n), Unit::Month),
                (_, Some(d)) if n != 0 => shifted(d, n as i64, Unit::Month),
                _ => unknown(Unit::Month),
            },
            (Some(Unit::Quarter), _, _) => match (a, dct) {
                (Some(Anchor { year, quarter: Some(q), .. }), _) => at(Date { year, month: q * 3 - 2, day: 1 }.add_months(3 * n), Unit::Quarter),
                (_, Some(d)) if n != 0 => shifted(d, n as i64 - 1, Unit::Quarter),
                _ => Point::Year(None),
            },
            _ => Point::Year(a.map(|a| a.year + n)),
        };
    }
    // "రెండు దశాబ్దాల తరువాత" (two decades after) in a past sentence counts
    // from the last date spoken of ("... 1947. Two decades after, in
    // 1967"), not from the reference date, which would put it ahead.
    // Without such a date the day is not known: counted from the reference
    // date, "పదేళ్ల తర్వాత ... చేరింది" (reached it after ten years) would
    // fall ten years ahead.
    let counts_on_in_past = s.dir > Some(0) && s.amount.is_some() && tense == Tense::Past;
    let dct = match anchor {
        Some(a) if counts_on_in_past => Some(a.date().unwrap_or(Date { year: a.year, month: a.month.unwrap_or(1), day: 1 })),
        None if counts_on_in_past => None,
        _ => dct,
    };
    let Some(d) = dct else { return unresolved(s) };
    if let Some(days) = s.easter {
        // "last Easter", "next Good Friday", "Easter": the year a day of a
        // named month would get, with this year's date of the feast.
        let this = Date::easter(d.year).add_days(days);
        return easter_feast(pick_year(this.month, Some(this.day), s.rel, tense, d), days);
    }
    if let Some(m) = s.month {
        let y = match (s.unit, s.rel) {
            (Some(Unit::Year), Some(r)) => d.year + r,
            _ => weekday_year(s, pick_year(m, s.day, s.rel, tense, d), d),
        };
        return Point::Day(Some(y), Some(m), day_of_month(s, Some(y), m));
    }
    if let Some(se) = s.season {
        return Point::Season(Some(pick_season_year(se, s.rel, tense, d)), se);
    }
    if s.gran == Some(Unit::Quarter) || (s.unit == Some(Unit::Year) && s.dir.is_some() && anchor.is_some_and(|a| a.quarter.is_some() && a.month.is_none())) {
        // "the year-ago (third) quarter", or "a year earlier" after "the
        // third quarter": the quarter said, else the one last spoken of, else
        // the last complete one, shifted by the years said.
        let said = s.quarter.map(|q| (quarter_year(q, tense, d), q));
        let (y, q) = match said.or_else(|| anchor.and_then(|a| a.quarter.map(|q| (a.year, q)))) {
            Some(yq) => yq,
            None => match shifted(d, -1, Unit::Quarter) {
                Point::Quarter(Some(y), q) => (y, q),
                _ => unreachable!(),
            },
        };
        let n = match s.amount {
            Some(Amount::Count(n)) => n as i32,
            _ => 1,
        };
        let years = s.dir.or(s.rel).unwrap_or(-1) * n;
        return Point::Quarter(Some(y + years), q);
    }
    if s.quarter.is_some() || s.half.is_some() {
        let y = match (s.unit, s.rel, s.quarter, s.half) {
            (Some(Unit::Year), Some(r), _, _) => d.year + r,
            // "in the second quarter, down from 5.5 percent in the first
            // quarter": with no tense to tell, an earlier quarter of the
            // year just spoken of is that year's.
            (_, _, Some(q), _) => match anchor.filter(|a| tense == Tense::Unknown && a.quarter.is_some_and(|aq| q < aq)) {
                Some(a) => a.year,
                None => quarter_year(q, tense, d),
            },
            (_, _, _, Some(h)) => nearest_year(h * 6 - 2, 30, tense, d),
            _ => d.year,
        };
        return calendar(s, Some(y));
    }
    if let Some(w) = s.weekday {
        return at(pick_weekday(w, s.rel, tense, d), Unit::Day);
    }
    if let Some(n) = s.dayrel {
        return at(d.add_days(n as i64), Unit::Day);
    }
    if let (Some(dir), Some(unit), Some(Amount::Count(n)), Some(&(_, smallest))) = (s.dir, s.unit, s.amount, s.rest.last()) {
        // "two years and three months ago": every part, to the smallest unit.
        let moved_by_all = s.rest.iter().fold(moved(d, dir as i64 * n, unit), |d, &(k, u)| moved(d, dir as i64 * k, u));
        return at(moved_by_all, smallest);
    }
    if let (Some(dir), Some(unit)) = (s.dir, s.unit) {
        // A fraction of a unit counts in the next smaller one (whole ones):
        // "ఏడాదిన్నర క్రితం" (a year and a half ago) is 18 months back,
        // named to the month; "1.5 years ago" too; "a week and a half ago"
        // is 10 days back, named to the week. Smaller units stay whole or
        // unknown.
        if let Some((per, smaller, named)) = in_smaller(unit) {
            let sign = dir as i64;
            match s.amount {
                Some(Amount::Count(n)) if s.and_half => return at(moved(moved(d, sign * n, unit), sign * per / 2, smaller), named),
                Some(Amount::Decimal(scaled, places)) => return at(moved(d, sign * scaled * per / 10i64.pow(places as u32), smaller), named),
                _ => {}
            }
        }
        return match s.amount.unwrap_or(Amount::Count(1)) {
            // "a decade ago" names a year, not a decade.
            Amount::Count(n) if unit >= Unit::Decade => at(moved(d, dir as i64 * n, unit), Unit::Year),
            // "a week from today" names a day.
            Amount::Count(n) if s.gran == Some(Unit::Day) => at(moved(d, dir as i64 * n, unit), Unit::Day),
            Amount::Count(n) => shifted(d, dir as i64 * n, unit),
            Amount::Vague if dir < 0 => Point::Ref(RefKind::Past),
            Amount::Vague => Point::Ref(RefKind::Future),
            // "2.5 days ago": the day is not known.
            Amount::Decimal(..) => unknown(unit),
        };
    }
    if let (Some(Unit::Weekend), None) = (s.unit, s.rel) {
        // "the weekend": the one just past, unless the sentence looks ahead;
        // without a cue the nearer one, as a weekday is ("up to 10 inches
        // are possible over the weekend", said on a Thursday).
        let wd = d.weekday().index() as i64;
        return match tense {
            Tense::Future => at(d, Unit::Weekend),
            _ if wd >= 5 => at(d, Unit::Weekend),
            Tense::Unknown if wd >= 3 => at(d, Unit::Weekend),
            _ => at(d.add_days(-7), Unit::Weekend),
        };
    }
    if let (Some(Unit::Month), Some(day)) = (s.unit, s.day) {
        // "the 20th of this month" (Telugu "ఈ నెల 20న"): the shifted month, that day.
        // A bare "the 15th" is this month's unless the tense points past it:
        // "was held on the 15th" on March 11 is February 15.
        let n = s.rel.unwrap_or(match tense {
            Tense::Past if day > d.day => -1,
            Tense::Future if day < d.day => 1,
            _ => 0,
        });
        if let Point::Day(y, Some(m), _) = shifted(d, n as i64, Unit::Month) {
            return Point::Day(y, Some(m), Some(day));
        }
    }
    if let Some(unit) = s.unit {
        return shifted(d, s.rel.unwrap_or(0) as i64, unit);
    }
    at(d, Unit::Day)
}

/// "the previous quarter", "the prior year" with no date spoken of before:
/// in a report these are counted from the reference date, as "last
/// quarter" is ("up 5% from the prior year"). "the next day", "the day
/// before" and "that year" follow an event not named, and stay unknown.
fn before_this_period(s: &Said) -> bool {
    s.rel.is_some_and(|r| r < 0) && matches!(s.unit, Some(Unit::Month | Unit::Quarter | Unit::Year))
}

/// The day of the `n`th `weekday` (1 = Monday) of a month counted from day
/// `from`: Thanksgiving is the fourth Thursday of November (from the 1st),
/// the US Election Day the first Tuesday from November 2 (the Tuesday after
/// the first Monday); `n` = -1 is the month's last (Memorial Day).
fn nth_weekday(y: i32, m: u8, weekday: u8, n: i64, from: u8) -> Option<u8> {
    let last = crate::date::days_in_month(y, m) as i64;
    if n == -1 {
        let end = Date::new(y, m, last as u8)?;
        let back = (end.weekday().index() as i64 - (weekday as i64 - 1)).rem_euclid(7);
        return Some((last - back) as u8);
    }
    let first = Date::new(y, m, from)?;
    let offset = (weekday as i64 - 1 - first.weekday().index() as i64).rem_euclid(7);
    let day = from as i64 + offset + 7 * (n - 1);
    (n >= 1 && day <= last).then_some(day as u8)
}

/// The day said, or the one an ordinal weekday of the month names.
fn day_of_month(s: &Said, y: Option<i32>, m: u8) -> Option<u8> {
    match (s.day, s.weekday, s.ordinal, y) {
        (from, Some(w), Some(n), Some(y)) => nth_weekday(y, m, w, n, from.unwrap_or(1)),
        // "the first week of April": the week that holds the month's first
        // Thursday, as ISO 8601 counts a year's first week (most of its days
        // fall in the month); "the last week of March", its last Thursday.
        (None, None, Some(n), Some(y)) if s.gran == Some(Unit::Week) => nth_weekday(y, m, 4, n, 1),
        (d, ..) => d,
    }
}

/// A feast that moves with Easter, in year `y`.
fn easter_feast(y: i32, days: i64) -> Point {
    at(Date::easter(y).add_days(days), Unit::Day)
}

/// Explicit year with whatever else was said.
fn calendar(s: &Said, y: Option<i32>) -> Point {
    if let Some(days) = s.easter {
        return y.map_or(Point::Day(None, None, None), |y| easter_feast(y, days));
    }
    if let Some(m) = s.month {
        return Point::Day(y, Some(m), day_of_month(s, y, m));
    }
    if let Some(se) = s.season {
        return Point::Season(y, se);
    }
    if let Some(q) = s.quarter {
        return Point::Quarter(y, q);
    }
    if let Some(h) = s.half {
        return Point::Half(y, h);
    }
    Point::Year(y)
}

/// What can be said without a reference date.
fn unresolved(s: &Said) -> Point {
    if s.month.is_some() || s.season.is_some() || s.quarter.is_some() || s.half.is_some() {
        return calendar(s, None);
    }
    if let (Some(_), Some(Amount::Vague)) = (s.dir, s.amount) {
        return Point::Ref(if s.dir < Some(0) { RefKind::Past } else { RefKind::Future });
    }
    if let (Some(Unit::Month), Some(day)) = (s.unit, s.day) {
        // "the 20th of this month": the day is known, the month is not.
        return Point::Day(None, None, Some(day));
    }
    match s.unit {
        Some(u) => unknown(u),
        None => Point::Day(None, None, None),
    }
}

/// The year of a day said with its weekday but no year ("Friday, Sept.
/// 17"): `y` if the weekday falls there, else the year before or after
/// where it does. A day within a month of the reference date `d` keeps `y`:
/// a slip in the weekday is likelier than a year away ("Labor Day, Monday,
/// September 1" in a 1996 article).
fn weekday_year(s: &Said, y: i32, d: Date) -> i32 {
    let (Some(m), Some(day), Some(w), None) = (s.month, s.day, s.weekday, s.ordinal) else { return y };
    let on = |y: i32| Date::new(y, m, day);
    let falls = |y: i32| on(y).is_some_and(|x| x.weekday().index() + 1 == w);
    if falls(y) || on(y).is_some_and(|x| (x.to_days() - d.to_days()).abs() <= 31) {
        return y;
    }
    [y - 1, y + 1].into_iter().find(|&y| falls(y)).unwrap_or(y)
}

/// The year of a month (and day) said without one: "last March" is the one
/// before the reference date, "next March" the one after, "this March" the
/// reference year; otherwise see [`nearest_year`].
fn pick_year(m: u8, day: Option<u8>, rel: Option<i32>, tense: Tense, d: Date) -> i32 {
    let key = (m, day.unwrap_or(0));
    let now = (d.month, if day.is_some() { d.day } else { 0 });
    match rel {
        Some(r) if r < 0 => {
            if key < now && (m != d.month || day.is_some()) {
                d.year
            } else {
                d.year - 1
            }
        }
        Some(r) if r > 0 => {
            if key > now && (m != d.month || day.is_some()) {
                d.year
            } else {
                d.year + 1
            }
        }
        Some(_) => d.year,
        None if day.is_none() => month_year(m, tense, d),
        None => nearest_year(m, day.unwrap_or(15), tense, d),
    }
}

/// The year of a month said without its day or year. As [`nearest_year`],
/// but a past verb puts a month ahead twice as far off: "He left in
/// January", said in October, is last January (three months ahead and
/// five for the verb had beaten nine months back).
fn month_year(m: u8, tense: Tense, d: Date) -> i32 {
    year_scored(m, 15, d, |dist| match tense {
        Tense::Past if dist > 0 => 2 * dist + 150,
        Tense::Future if dist < 0 => -dist + 300,
        _ => dist.abs(),
    })
}

/// The year that puts month `m`, day `day` nearest the reference date, a
/// reading against the sentence's tense counting as further away: a
/// future-tense date in the past by ten months (a future verb seldom speaks
/// of a past month), a past-tense date in the future by five (a past verb is
/// often the report, "declared a dividend payable Dec. 15"). So "December"
/// in a February article is last December, "will ... in January" in March
/// is next January.
fn nearest_year(m: u8, day: u8, tense: Tense, d: Date) -> i32 {
    nearest_year_with(m, day, tense, d, 150, 300)
}

/// [`nearest_year`] with the penalties (in days) given: quarters are often
/// spoken of in the future just after they end ("expects to report
/// third-quarter results"), so a future verb weighs less there.
fn nearest_year_with(m: u8, day: u8, tense: Tense, d: Date, past_penalty: i64, future_penalty: i64) -> i32 {
    year_scored(m, day, d, |dist| {
        dist.abs()
            + match tense {
                Tense::Past if dist > 0 => past_penalty,
                Tense::Future if dist < 0 => future_penalty,
                _ => 0,
            }
    })
}

/// Of last year, this year and next, the one whose month `m`, day `day`
/// scores lowest by its distance in days from `d` (negative before it).
fn year_scored(m: u8, day: u8, d: Date, score: impl Fn(i64) -> i64) -> i32 {
    let mut best = (i64::MAX, d.year);
    for y in [d.year - 1, d.year, d.year + 1] {
        let day = day.min(crate::date::days_in_month(y, m));
        let Some(c) = Date::new(y, m, day) else { continue };
        let s = score(c.to_days() - d.to_days());
        if s < best.0 {
            best = (s, y);
        }
    }
    best.1
}

/// The year of a quarter said without one: the nearest (see
/// [`nearest_year_with`]), except that a past verb speaks of a quarter that
/// has begun ("profit rose in the first quarter", said in October, is this
/// year's).
fn quarter_year(q: u8, tense: Tense, d: Date) -> i32 {
    let y = nearest_year_with(q * 3 - 1, 15, tense, d, 60, 100);
    if tense == Tense::Past && (y, q * 3 - 2) > (d.year, d.month) {
        y - 1
    } else {
        y
    }
}

fn season_index(d: Date) -> i32 {
    // Seasons numbered consecutively: year*4 + (SP 0, SU 1, FA 2, WI 3);
    // January and February belong to the winter that began in December.
    let (y, i) = match d.month {
        3..=5 => (d.year, 0),
        6..=8 => (d.year, 1),
        9..=11 => (d.year, 2),
        12 => (d.year, 3),
        _ => (d.year - 1, 3),
    };
    y * 4 + i
}

fn pick_season_year(se: Season, rel: Option<i32>, tense: Tense, d: Date) -> i32 {
    let target = match se {
        Season::Spring => 0,
        Season::Summer => 1,
        Season::Fall => 2,
        Season::Winter => 3,
    };
    let cur = season_index(d);
    let this = cur - cur.rem_euclid(4) + target;
    let idx = match (rel, tense) {
        (Some(r), _) if r < 0 => if this < cur { this } else { this - 4 },
        (Some(r), _) if r > 0 => if this > cur { this } else { this + 4 },
        // "this winter" said in March is the one just past, "this spring"
        // said in January the one ahead: the nearest of that name, and of
        // two as near the one of the reference year, whatever the verb
        // ("released a plan for this winter" in August is the winter
        // ahead; "spent three months in hospital this summer" in December
        // the summer past; "this summer" said in February the one ahead,
        // though February belongs to the winter of the year before).
        (Some(_), _) => [this, this - 4, this + 4].into_iter().min_by_key(|&i| ((i - cur).abs(), i.div_euclid(4) != d.year)).unwrap_or(this),
        (None, _) => {
            // Winter is dated by the year of its December.
            let (start, _) = se.months();
            let mid = if se == Season::Winter { 1 } else { start + 1 };
            return nearest_year(mid, 15, tense, d) - if se == Season::Winter { 1 } else { 0 };
        }
    };
    idx.div_euclid(4)
}

/// The date of a weekday said without a date: "last Friday" strictly
/// before the reference date, "next Friday" strictly after, "this Friday" in
/// its week; otherwise by tense, and without a cue the nearer one (the
/// reference day itself counts as past): a sentence with no past verb near
/// its weekday is most often a plan ("He leaves Rome on Friday").
fn pick_weekday(w: u8, rel: Option<i32>, tense: Tense, d: Date) -> Date {
    let today = d.weekday().index() as i64 + 1;
    let w = w as i64;
    let back = (today - w).rem_euclid(7);
    let fwd = (w - today).rem_euclid(7);
    match (rel, tense) {
        (Some(r), _) if r < 0 => d.add_days(-(if back == 0 { 7 } else { back })),
        (Some(r), _) if r > 0 => d.add_days(if fwd == 0 { 7 } else { fwd }),
        (Some(_), _) => d.week_start().add_days(w - 1),
        (None, Tense::Future) => d.add_days(fwd),
        (None, Tense::Past) => d.add_days(-back),
        (None, Tense::Unknown) if fwd < back => d.add_days(fwd),
        (None, Tense::Unknown) => d.add_days(-back),
    }
}
