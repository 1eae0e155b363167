//! Phase one's output: what a temporal expression *said*, as typed fields,
//! and what its context only *implied* (the tense of the sentence, the last
//! date mentioned). Resolution (`resolve.rs`) reads these and never the text.

use std::fmt;

/// TIMEX3 `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimexType {
    Date,
    Time,
    Duration,
    Set,
}

impl TimexType {
    pub fn parse(s: &str) -> Option<TimexType> {
        Some(match s {
            "DATE" => TimexType::Date,
            "TIME" => TimexType::Time,
            "DURATION" => TimexType::Duration,
            "SET" => TimexType::Set,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            TimexType::Date => "DATE",
            TimexType::Time => "TIME",
            TimexType::Duration => "DURATION",
            TimexType::Set => "SET",
        }
    }
}

/// Calendar and clock units, with their TIMEX3 codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unit {
    Second,
    Minute,
    Hour,
    Day,
    Weekend,
    Week,
    Month,
    Quarter,
    Half,
    Year,
    Decade,
    Century,
}

impl Unit {
    pub fn parse(s: &str) -> Option<Unit> {
        use Unit::*;
        Some(match s {
            "S" => Second,
            "MIN" => Minute,
            "H" => Hour,
            "D" => Day,
            "WE" => Weekend,
            "W" => Week,
            "M" => Month,
            "Q" => Quarter,
            "HALF" => Half,
            "Y" => Year,
            "DE" => Decade,
            "CE" => Century,
            _ => return None,
        })
    }

    /// The designator in a TIMEX3 duration (`P3M`, `PT3M`, `P2DE`).
    pub fn duration_code(self) -> &'static str {
        use Unit::*;
        match self {
            Second => "S",
            Minute => "M",
            Hour => "H",
            Day => "D",
            Weekend => "WE",
            Week => "W",
            Month => "M",
            Quarter => "Q",
            Half => "H",
            Year => "Y",
            Decade => "DE",
            Century => "CE",
        }
    }

    pub fn is_clock(self) -> bool {
        matches!(self, Unit::Second | Unit::Minute | Unit::Hour)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Season {
    Spring,
    Summer,
    Fall,
    Winter,
}

impl Season {
    pub fn parse(s: &str) -> Option<Season> {
        Some(match s {
            "SP" => Season::Spring,
            "SU" => Season::Summer,
            "FA" => Season::Fall,
            "WI" => Season::Winter,
            _ => return None,
        })
    }

    pub fn code(self) -> &'static str {
        match self {
            Season::Spring => "SP",
            Season::Summer => "SU",
            Season::Fall => "FA",
            Season::Winter => "WI",
        }
    }

    /// The month in which the season starts (northern meteorological seasons)
    /// and the month in which it ends.
    pub fn months(self) -> (u8, u8) {
        match self {
            Season::Spring => (3, 5),
            Season::Summer => (6, 8),
            Season::Fall => (9, 11),
            Season::Winter => (12, 2),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartOfDay {
    Morning,
    Afternoon,
    Evening,
    Night,
    Daytime,
}

impl PartOfDay {
    pub fn parse(s: &str) -> Option<PartOfDay> {
        Some(match s {
            "MO" => PartOfDay::Morning,
            "AF" => PartOfDay::Afternoon,
            "EV" => PartOfDay::Evening,
            "NI" => PartOfDay::Night,
            "DT" => PartOfDay::Daytime,
            _ => return None,
        })
    }

    /// Its place in the day, morning first: "from night to morning" ends
    /// the next day.
    pub fn order(self) -> usize {
        match self {
            PartOfDay::Morning => 0,
            PartOfDay::Daytime => 1,
            PartOfDay::Afternoon => 2,
            PartOfDay::Evening => 3,
            PartOfDay::Night => 4,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            PartOfDay::Morning => "MO",
            PartOfDay::Afternoon => "AF",
            PartOfDay::Evening => "EV",
            PartOfDay::Night => "NI",
            PartOfDay::Daytime => "DT",
        }
    }
}

/// The TimeML reference tokens for vague times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefKind {
    Present,
    Past,
    Future,
}

impl RefKind {
    pub fn parse(s: &str) -> Option<RefKind> {
        Some(match s {
            "PRESENT_REF" => RefKind::Present,
            "PAST_REF" => RefKind::Past,
            "FUTURE_REF" => RefKind::Future,
            _ => return None,
        })
    }

    pub fn code(self) -> &'static str {
        match self {
            RefKind::Present => "PRESENT_REF",
            RefKind::Past => "PAST_REF",
            RefKind::Future => "FUTURE_REF",
        }
    }
}

/// TIMEX3 `mod`: where in the period, or how exact the amount is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Modifier {
    Start,
    Mid,
    End,
    Approx,
    LessThan,
    MoreThan,
    EqualOrLess,
    EqualOrMore,
}

impl Modifier {
    pub fn parse(s: &str) -> Option<Modifier> {
        use Modifier::*;
        Some(match s {
            "START" => Start,
            "MID" => Mid,
            "END" => End,
            "APPROX" => Approx,
            "LESS_THAN" => LessThan,
            "MORE_THAN" => MoreThan,
            "EQUAL_OR_LESS" => EqualOrLess,
            "EQUAL_OR_MORE" => EqualOrMore,
            _ => return None,
        })
    }
}

/// How many units a duration or offset counts: a number, a decimal one
/// ("1.5 hours": 15 with one decimal place), or a vague one ("a few days",
/// "several years") written X in TIMEX3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Amount {
    Count(i64),
    Decimal(i64, u8),
    Vague,
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Amount::Count(n) => write!(f, "{n}"),
            Amount::Decimal(scaled, places) => {
                let p = 10i64.pow(*places as u32);
                write!(f, "{}.{:0width$}", scaled / p, scaled % p, width = *places as usize)
            }
            Amount::Vague => f.write_str("X"),
        }
    }
}

/// The sentence's tense around an expression, from cue words ("will",
/// "said", a verb in -ed): which way an underspecified date points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Tense {
    #[default]
    Unknown,
    Past,
    Future,
}

/// Everything an expression states explicitly. Each field is filled by a
/// typed slot of the rule that matched (or a rule's fixed action); nothing is
/// guessed here.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Said {
    pub year: Option<i32>,
    /// The year was written with two digits ("'98"): its century is implied.
    pub two_digit_year: bool,
    pub month: Option<u8>,
    pub day: Option<u8>,
    /// 1 = Monday .. 7 = Sunday (ISO).
    pub weekday: Option<u8>,
    pub season: Option<Season>,
    pub quarter: Option<u8>,
    pub half: Option<u8>,
    /// The first year of a decade: 1990 for "the 1990s".
    pub decade: Option<i32>,
    /// The ordinal century: 20 for "the 20th century" (1900-1999).
    pub century: Option<i32>,
    pub hour: Option<u8>,
    pub minute: Option<u8>,
    /// Some(true) for p.m., Some(false) for a.m.
    pub pm: Option<bool>,
    pub part: Option<PartOfDay>,
    pub amount: Option<Amount>,
    pub unit: Option<Unit>,
    /// The unit was in the plural ("years"): without an amount, a vague count.
    pub plural: bool,
    /// Calendar shift: this = 0, last = -1, next = +1 (of `unit`, or of the
    /// named month/weekday/season).
    pub rel: Option<i32>,
    /// Direction of an offset from the reference: "ago" = -1, "later" = +1.
    pub dir: Option<i32>,
    /// Days from the reference date: yesterday = -1, tomorrow = +1.
    pub dayrel: Option<i32>,
    pub reference: Option<RefKind>,
    pub modifier: Option<Modifier>,
    /// A recurrence ("every", "each", "daily").
    pub set: bool,
    /// Anaphoric ("that day", "the same year"): anchored on the last date
    /// the text mentioned rather than the document date.
    pub that: bool,
    /// An ordinal that no slot claimed more specifically; -1 = the last
    /// ("the last Monday of May").
    pub ordinal: Option<i64>,
    /// A feast dated from Easter: days from Easter Sunday (Good Friday = -2).
    pub easter: Option<i64>,
    /// The era said: -1 before Christ ("300 BC", written BC0300), 1 after
    /// ("AD 78": the year 78, not 1978).
    pub era: Option<i8>,
    /// The period the expression names when it differs from its offset's
    /// unit: "the year-ago quarter" is a quarter, shifted by a year.
    pub gran: Option<Unit>,
    /// Half a unit more than the amount: "2 1/2 years", "an hour and a half".
    pub and_half: bool,
    /// The smaller parts of a duration said in several units, in order:
    /// the nine minutes of "three hours and nine minutes" (PT3H9M). An
    /// amount slot opens a part (its unit a placeholder), the unit slot
    /// after it names the unit.
    pub rest: Vec<(i64, Unit)>,
}

impl Said {
    /// Whether it says anything of the date (a clock time without it is
    /// the reference day's, or that of a date just before it).
    pub fn says_a_date(&self) -> bool {
        self.year.is_some() || self.month.is_some() || self.weekday.is_some() || self.dayrel.is_some() || self.that || self.rel.is_some() && self.unit.is_some_and(|u| u >= Unit::Day)
            // A day of this month ("27వ తేదీ", the 27th).
            || self.day.is_some() && self.unit == Some(Unit::Month)
    }

    /// Whether a duration's further parts, when there are any, can be
    /// added to its first: ever smaller units after a count ("two years and
    /// three months"), not "two hours and three days" or "a weekend and a
    /// day".
    pub fn rest_fits(&self) -> bool {
        if self.rest.is_empty() {
            return true;
        }
        let (Some(first), Some(Amount::Count(_)), false) = (self.unit, self.amount, self.and_half) else { return false };
        let mut larger = first;
        for &(_, unit) in &self.rest {
            if unit >= larger || unit == Unit::Weekend || larger == Unit::Weekend {
                return false;
            }
            larger = unit;
        }
        true
    }

    /// Whether it names one day ("March 5", "Friday", "tomorrow").
    pub fn names_a_day(&self) -> bool {
        self.day.is_some() || self.weekday.is_some() || self.dayrel.is_some()
    }

    /// The hour said, on a 24-hour clock. Without a.m./p.m., a part of the
    /// day said with the hour tells ("సాయంత్రం 5 గంటలకు", 5 in the evening);
    /// small hours of the night stay before noon ("రాత్రి 2 గంటలకు").
    pub fn hour24(&self) -> Option<u8> {
        let h = self.hour?;
        let pm = self.pm.or_else(|| match self.part? {
            PartOfDay::Morning => Some(false),
            PartOfDay::Afternoon | PartOfDay::Evening => Some(true),
            PartOfDay::Night => Some(h >= 6),
            PartOfDay::Daytime => None,
        });
        Some(match pm {
            Some(true) if h < 12 => h + 12,
            // "12 a.m." is midnight; "ఉదయం 9 నుంచి 12 గంటల వరకు" (from 9
            // in the morning to 12) ends at noon.
            Some(false) if h == 12 && self.part.is_none() => 0,
            _ => h,
        })
    }
}

/// What the context implies, recorded during extraction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Implied {
    pub tense: Tense,
    /// A clock time said without a day, after a date that has one, right
    /// before it or earlier in its sentence ("March 5 at 3 p.m.",
    /// "11/29/2000 10:45 AM", "Sunday's game started at 8:07 p.m."), or in
    /// the sentence before when its own tells of the past ("Bombs exploded
    /// on Monday. The blasts went off at 2:50 p.m."): it is that day's. A
    /// weekday right after a date that has its day ("March 5 (Wednesday)")
    /// is that date when the weekdays agree.
    pub day_of_previous: bool,
    /// A month said without a year after a year said earlier in the same
    /// sentence ("In 2010, he moved to Paris on June 3"): that year's when
    /// the text has no reference date.
    pub year_of_previous: bool,
    /// A month said without a year at most two words after "last year" or
    /// "next year" ("గత ఏడాది బడ్జెట్ సమావేశాలు మార్చి 7 నుంచి 27 వరకు
    /// జరిగాయి", last year's budget session ran from March 7 to 27; "last
    /// year's July"): that year's, with or without a reference date.
    pub year_of_relative: bool,
    /// A day of the month said alone after a date with an earlier day, in
    /// the same sentence or the next ("began on Feb. 10 and ended on the
    /// 12th"): that date's month, not the reference date's.
    pub month_of_previous: bool,
    /// A clock time said without a day in a past sentence, with no day
    /// before it in its sentence or the one before, in a story whose first
    /// two sentences name a day ("... won at Castlebridge on Saturday" ...
    /// "the match started at 3:15 p.m."): the story's day, when it lies in
    /// the week up to the reference date.
    pub day_of_lead: bool,
    /// The end of a range said without a year ("from August to March",
    /// "Dec. 28 to Jan. 3"): it falls after the range's start, not simply
    /// nearest the reference date.
    pub after_previous: bool,
}

impl Implied {
    /// Whether resolution leans on the last point spoken of (even an
    /// anaphor's) rather than the last plain date.
    pub fn leans_on_previous(self) -> bool {
        self.day_of_previous || self.year_of_previous || self.year_of_relative || self.month_of_previous
    }
}

/// One extracted expression, before resolution. Offsets are bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Extraction {
    pub start: usize,
    pub end: usize,
    pub kind: TimexType,
    /// The id of the rule that matched (for `source`).
    pub rule: String,
    pub said: Said,
    pub implied: Implied,
    /// The second expression of a range ("March 1 [to 5]"); a language
    /// whose data says `ranges: joined` makes one span of the two.
    pub range_end: bool,
}
