//! A proleptic Gregorian calendar date, just what temporal resolution needs:
//! parsing `YYYY-MM-DD`, weekdays, ISO weeks, and day/month arithmetic.
//!
//! Days are counted from 1970-01-01 with the well-known "days from civil"
//! construction (eras of 400 years), so every operation is exact and cheap.

use std::fmt;

use crate::error::Error;

/// A calendar date (no time zone, no time of day).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

/// Day of the week, Monday first as in ISO 8601.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    /// 0 for Monday .. 6 for Sunday.
    pub fn index(self) -> u8 {
        self as u8
    }

    pub fn from_index(i: u8) -> Weekday {
        use Weekday::*;
        [Mon, Tue, Wed, Thu, Fri, Sat, Sun][(i % 7) as usize]
    }
}

pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// A checked constructor: `None` for a day that does not exist.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month) {
            Some(Date { year, month, day })
        } else {
            None
        }
    }

    /// Parses exactly `YYYY-MM-DD`, the form documents and the page exchange.
    pub fn parse(s: &str) -> Result<Date, Error> {
        let bad = || Error::BadDate(s.to_string());
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32, Error> {
            let part = &s[r];
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        Date::new(y as i32, m as u8, d as u8).ok_or_else(bad)
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn to_days(self) -> i64 {
        let y = self.year as i64 - if self.month <= 2 { 1 } else { 0 };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = self.month as i64;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + self.day as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The inverse of [`Date::to_days`].
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + if month <= 2 { 1 } else { 0 }) as i32;
        Date { year, month, day }
    }

    /// Easter Sunday of a Gregorian year (the Meeus/Jones/Butcher
    /// computus): the feasts that move with it are dated from it.
    pub fn easter(year: i32) -> Date {
        let a = year.rem_euclid(19);
        let (b, c) = (year.div_euclid(100), year.rem_euclid(100));
        let (d, e) = (b / 4, b % 4);
        let f = (b + 8) / 25;
        let g = (b - f + 1) / 3;
        let h = (19 * a + b - d - g + 15) % 30;
        let (i, k) = (c / 4, c % 4);
        let l = (32 + 2 * e + 2 * i - h - k) % 7;
        let m = (a + 11 * h + 22 * l) / 451;
        let n = h + l - 7 * m + 114;
        Date { year, month: (n / 31) as u8, day: (n % 31 + 1) as u8 }
    }

    pub fn add_days(self, n: i64) -> Date {
        Date::from_days(self.to_days() + n)
    }

    /// Adds calendar months, clamping the day to the target month's length
    /// (Jan 31 + 1 month = Feb 28/29), as people mean it.
    pub fn add_months(self, n: i32) -> Date {
        let total = self.year * 12 + (self.month as i32 - 1) + n;
        let year = total.div_euclid(12);
        let month = (total.rem_euclid(12) + 1) as u8;
        let day = self.day.min(days_in_month(year, month));
        Date { year, month, day }
    }

    pub fn weekday(self) -> Weekday {
        // 1970-01-01 was a Thursday (index 3).
        Weekday::from_index((self.to_days() + 3).rem_euclid(7) as u8)
    }

    /// ISO 8601 week-numbering year and week (1..=53).
    pub fn iso_week(self) -> (i32, u8) {
        // The week belongs to the year that holds its Thursday.
        let thursday = self.add_days(3 - self.weekday().index() as i64);
        let jan1 = Date { year: thursday.year, month: 1, day: 1 };
        let week = (thursday.to_days() - jan1.to_days()) / 7 + 1;
        (thursday.year, week as u8)
    }

    /// The Monday that starts this date's ISO week.
    pub fn week_start(self) -> Date {
        self.add_days(-(self.weekday().index() as i64))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_sunday_is_a_sunday_between_march_22_and_april_25() {
        // Known dates: the earliest and latest possible, and recent years.
        for (y, m, d) in [(2025, 4, 20), (2024, 3, 31), (2000, 4, 23), (2019, 4, 21), (2285, 3, 22), (2038, 4, 25), (1998, 4, 12)] {
            assert_eq!(Date::easter(y), Date::new(y, m, d).unwrap(), "{y}");
        }
        for y in 1583..2600 {
            let e = Date::easter(y);
            assert_eq!(e.weekday().index(), 6, "{y}");
            assert!((3, 22) <= (e.month, e.day) && (e.month, e.day) <= (4, 25), "{y}");
        }
    }

    #[test]
    fn days_round_trip_across_eras_and_leap_days() {
        for days in (-800_000..800_000).step_by(997) {
            assert_eq!(Date::from_days(days).to_days(), days);
        }
        assert_eq!(Date::parse("1970-01-01").unwrap().to_days(), 0);
        assert_eq!(Date::parse("2000-03-01").unwrap().to_days() - Date::parse("2000-02-28").unwrap().to_days(), 2);
    }

    #[test]
    fn parse_rejects_impossible_and_malformed_dates() {
        for s in ["2025-02-29", "2025-13-01", "2025-00-10", "25-03-11", "2025/03/11", "2025-3-11", "２０２５-03-11"] {
            assert!(Date::parse(s).is_err(), "{s}");
        }
        assert_eq!(Date::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
    }

    #[test]
    fn weekdays_and_iso_weeks() {
        let d = Date::parse("2025-03-11").unwrap();
        assert_eq!(d.weekday(), Weekday::Tue);
        assert_eq!(d.iso_week(), (2025, 11));
        // 2024-12-30 is a Monday in ISO week 1 of 2025; 2021-01-03 is in 2020-W53.
        assert_eq!(Date::parse("2024-12-30").unwrap().iso_week(), (2025, 1));
        assert_eq!(Date::parse("2021-01-03").unwrap().iso_week(), (2020, 53));
        assert_eq!(d.week_start().to_string(), "2025-03-10");
    }

    #[test]
    fn month_arithmetic_clamps_the_day() {
        let d = Date::parse("2024-01-31").unwrap();
        assert_eq!(d.add_months(1).to_string(), "2024-02-29");
        assert_eq!(d.add_months(-2).to_string(), "2023-11-30");
        assert_eq!(d.add_months(12).to_string(), "2025-01-31");
    }
}
