//! Incident dates, as precise as the sources allow: a day, a month or a year.

use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

/// A date that may lack its day or month. Orders as the earliest day it
/// could mean, so "2021" sorts before "2021-03-01".
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
pub struct PartialDate {
    pub year: i32,
    pub month: Option<u32>,
    pub day: Option<u32>,
}

pub const ACCEPTED_FORMS: &str = "YYYY-MM-DD, YYYY-MM or YYYY, such as 2021-10-04, 2021-10 or 2021";

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl PartialDate {
    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, checking that the day exists.
    pub fn parse(text: &str) -> Option<PartialDate> {
        PartialDate::check(text).ok()
    }

    /// Like [`PartialDate::parse`], saying what is wrong: a text not in
    /// one of the forms, or a date in the form that does not exist. Years
    /// from 1000 on are dates: the Vasa sank in 1628.
    pub fn check(text: &str) -> Result<PartialDate, DateProblem> {
        let form = || DateProblem::Form;
        let mut parts = text.trim().split('-');
        let year = parts
            .next()
            .and_then(|y| parse_part(y, 4))
            .ok_or_else(form)?;
        let month = match parts.next() {
            Some(m) => Some(parse_part(m, 2).ok_or_else(form)?),
            None => None,
        };
        let day = match parts.next() {
            Some(d) => Some(parse_part(d, 2).ok_or_else(form)?),
            None => None,
        };
        if parts.next().is_some() {
            return Err(DateProblem::Form);
        }
        if year < 1000 {
            return Err(DateProblem::OutOfRange(format!(
                "the year {year:04} is before 1000"
            )));
        }
        if let Some(m) = month.filter(|m| !(1..=12).contains(m)) {
            return Err(DateProblem::OutOfRange(format!("there is no month {m:02}")));
        }
        let date = PartialDate {
            year: year as i32,
            month,
            day,
        };
        match NaiveDate::from_ymd_opt(date.year, month.unwrap_or(1), day.unwrap_or(1)) {
            Some(_) => Ok(date),
            None => Err(DateProblem::OutOfRange(format!(
                "{} has no day {:02}",
                date.human_month(),
                day.unwrap_or(1)
            ))),
        }
    }

    /// "February 2021": the month of a date known at least to the month.
    fn human_month(&self) -> String {
        match self.month {
            Some(m) => format!("{} {}", MONTHS[(m - 1) as usize], self.year),
            None => self.year.to_string(),
        }
    }

    /// The first day the date could mean.
    pub fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month.unwrap_or(1), self.day.unwrap_or(1))
            .expect("validated when parsed")
    }

    pub fn precision(&self) -> Precision {
        match (self.month, self.day) {
            (Some(_), Some(_)) => Precision::Day,
            (Some(_), None) => Precision::Month,
            _ => Precision::Year,
        }
    }

    /// The date as written in front matter: `2021-10-04`, `2021-10` or `2021`.
    pub fn iso(&self) -> String {
        match (self.month, self.day) {
            (Some(m), Some(d)) => format!("{:04}-{m:02}-{d:02}", self.year),
            (Some(m), None) => format!("{:04}-{m:02}", self.year),
            _ => format!("{:04}", self.year),
        }
    }

    /// For readers: `4 October 2021`, `October 2021` or `2021`.
    pub fn human(&self) -> String {
        let month = |m: u32| MONTHS[(m - 1) as usize];
        match (self.month, self.day) {
            (Some(m), Some(d)) => format!("{d} {} {}", month(m), self.year),
            (Some(m), None) => format!("{} {}", month(m), self.year),
            _ => self.year.to_string(),
        }
    }

    /// True when every day the date could mean is after `today`.
    pub fn is_after(&self, today: NaiveDate) -> bool {
        self.first_day() > today
    }
}

/// Why a text is not a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateProblem {
    /// Not `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    Form,
    /// In the form, but no such date: the message says why.
    OutOfRange(String),
}

fn parse_part(text: &str, digits: usize) -> Option<u32> {
    (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    Day,
    Month,
    Year,
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iso())
    }
}

/// Parses a duration such as `45m`, `6h`, `2d 3h` or `1h30m` into minutes.
pub fn parse_duration(text: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut number = String::new();
    let mut any = false;
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'm' => 1,
            'h' => 60,
            'd' => 24 * 60,
            'w' => 7 * 24 * 60,
            _ => return None,
        };
        let n: u64 = number.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        number.clear();
        any = true;
    }
    (any && number.is_empty()).then_some(total)
}

pub const DURATION_FORMS: &str = "a number and a unit (m, h, d, w), such as 45m, 6h or 2d 3h";

/// Minutes back to the compact form: `2d 3h`, `45m`.
pub fn format_duration(minutes: u64) -> String {
    let (d, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let parts: Vec<String> = [(d, "d"), (h, "h"), (m, "m")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    if parts.is_empty() {
        "0m".into()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_precision() {
        assert_eq!(
            PartialDate::parse("2021").unwrap().precision(),
            Precision::Year
        );
        assert_eq!(
            PartialDate::parse("2021-10").unwrap().human(),
            "October 2021"
        );
        assert_eq!(
            PartialDate::parse("2021-10-04").unwrap().human(),
            "4 October 2021"
        );
    }

    #[test]
    fn rejects_impossible_or_malformed_dates() {
        for bad in [
            "2021-02-30",
            "2021-13",
            "21-10-04",
            "2021/10/04",
            "2021-1-4",
            "yesterday",
            "",
        ] {
            assert_eq!(PartialDate::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn orders_partial_dates_by_their_first_day() {
        let year = PartialDate::parse("2021").unwrap();
        let day = PartialDate::parse("2021-03-01").unwrap();
        assert!(year < day);
    }

    #[test]
    fn parses_and_formats_durations() {
        assert_eq!(parse_duration("45m"), Some(45));
        assert_eq!(parse_duration("2d 3h"), Some(51 * 60));
        assert_eq!(parse_duration("1h30m"), Some(90));
        assert_eq!(parse_duration("6"), None);
        assert_eq!(parse_duration("6 hours"), None);
        assert_eq!(format_duration(51 * 60), "2d 3h");
    }
}
