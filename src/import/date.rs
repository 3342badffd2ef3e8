//! An entry's date, from the words of its summary or its URL, as precise
//! as they allow.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use crate::content::PartialDate;
use crate::content::date::Precision;

/// Where a date was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFrom {
    /// The summary: most likely the day of the incident.
    Text,
    /// The URL: most likely the day the post-mortem was published.
    Url,
}

const MONTH: &str = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?";
const YEAR: &str = r"((?:19|20)\d{2})";

/// A pattern and which capture groups hold the year, month and day.
struct Pattern {
    regex: Regex,
    year: usize,
    month: Option<usize>,
    day: Option<usize>,
}

fn pattern(regex: &str, year: usize, month: Option<usize>, day: Option<usize>) -> Pattern {
    Pattern {
        regex: Regex::new(&format!("(?i){regex}")).expect("a valid pattern"),
        year,
        month,
        day,
    }
}

/// Dates as prose writes them: "July 17, 2020", "17 July 2020",
/// "July 2020", "2016-12-31", "in 2012", "(1997)". URLs are read with
/// these too once their `-` and `_` are spaces ("outage-of-july-29-2014").
static PROSE: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    vec![
        pattern(
            &format!(r"\b{MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+{YEAR}\b"),
            3,
            Some(1),
            Some(2),
        ),
        pattern(
            &format!(r"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH},?\s+{YEAR}\b"),
            3,
            Some(2),
            Some(1),
        ),
        // A timestamp goes on after the day: 2016-12-31T23:59:60Z.
        pattern(
            &format!(r"\b{YEAR}-(\d{{2}})-(\d{{2}})(?:[^0-9]|$)"),
            1,
            Some(2),
            Some(3),
        ),
        pattern(&format!(r"\b{MONTH},?\s+{YEAR}\b"), 2, Some(1), None),
        pattern(
            &format!(r"\b(?:in|from|since|during|until|circa)\s+{YEAR}\b"),
            1,
            None,
            None,
        ),
        pattern(&format!(r"\({YEAR}\)"), 1, None, None),
    ]
});

/// Dates as URL paths write them: `/2017/02/10/`, `2015-10-08`,
/// `/2012/7/1/`, `20080720`, `/2017/02/`, `/2012/`.
static URL: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    vec![
        pattern(
            &format!(r"(?:^|[^0-9]){YEAR}[-_/](\d{{1,2}})[-_/](\d{{1,2}})(?:[^0-9]|$)"),
            1,
            Some(2),
            Some(3),
        ),
        pattern(
            &format!(r"(?:^|[^0-9]){YEAR}(\d{{2}})(\d{{2}})(?:[^0-9]|$)"),
            1,
            Some(2),
            Some(3),
        ),
        pattern(
            &format!(r"/{YEAR}[-_/](\d{{1,2}})(?:[^0-9]|$)"),
            1,
            Some(2),
            None,
        ),
        pattern(&format!(r"/{YEAR}(?:/|$)"), 1, None, None),
    ]
});

fn month_number(name: &str) -> Option<u32> {
    let name = name.trim_end_matches('.').to_lowercase();
    let months = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    months
        .iter()
        .position(|m| name.starts_with(m))
        .map(|i| i as u32 + 1)
}

/// Every date the patterns find in `text`, with its byte position.
fn dates_in(text: &str, patterns: &[Pattern], today: NaiveDate) -> Vec<(PartialDate, usize)> {
    let mut found = Vec::new();
    for p in patterns {
        for caps in p.regex.captures_iter(text) {
            let number = |group: usize| -> Option<u32> {
                let part = caps.get(group)?.as_str();
                part.parse().ok().or_else(|| month_number(part))
            };
            let year = caps.get(p.year).map_or("", |m| m.as_str());
            let iso = match (p.month.and_then(number), p.day.and_then(number)) {
                (Some(m), Some(d)) => format!("{year}-{m:02}-{d:02}"),
                (Some(m), None) => format!("{year}-{m:02}"),
                _ => year.to_string(),
            };
            if let Some(date) = PartialDate::parse(&iso).filter(|d| !d.is_after(today)) {
                let at = caps.get(0).map_or(0, |m| m.start());
                found.push((date, at));
            }
        }
    }
    found
}

fn rank(precision: Precision) -> u8 {
    match precision {
        Precision::Day => 2,
        Precision::Month => 1,
        Precision::Year => 0,
    }
}

/// The most precise date in an entry's summary or URL, the summary first
/// when both are as precise (it tells the incident; a URL's date is most
/// often when the post-mortem was published), then the earliest written.
/// Dates after `today` are not dates of past incidents and are ignored.
pub fn find(text: &str, url: &str, today: NaiveDate) -> Option<(PartialDate, DateFrom)> {
    // The path and query only: a host name holds no date.
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    let url_as_words = path.replace(['-', '_', '/', '.'], " ");
    let from_text = dates_in(text, &PROSE, today)
        .into_iter()
        .map(|(d, at)| (d, DateFrom::Text, at));
    let from_url = dates_in(path, &URL, today)
        .into_iter()
        .chain(dates_in(&url_as_words, &PROSE, today))
        .map(|(d, at)| (d, DateFrom::Url, at));
    from_text
        .chain(from_url)
        .min_by_key(|&(d, from, at)| {
            (
                std::cmp::Reverse(rank(d.precision())),
                from == DateFrom::Url,
                at,
            )
        })
        .map(|(d, from, _)| (d, from))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
    }

    fn found(text: &str, url: &str) -> Option<(String, DateFrom)> {
        find(text, url, today()).map(|(d, from)| (d.iso(), from))
    }

    #[test]
    fn finds_dates_in_url_paths_at_each_precision() {
        for (url, want) in [
            (
                "https://about.example.com/2017/02/10/postmortem/",
                "2017-02-10",
            ),
            ("https://lkml.example.org/lkml/2012/7/1/203", "2012-07-01"),
            (
                "https://s.example/outage-postmortem-2015-10-08-utc",
                "2015-10-08",
            ),
            ("https://status.example.com/s3-20080720.html", "2008-07-20"),
            ("https://blog.example.com/2017/02/outage", "2017-02"),
            ("https://blog.example.com/news/2012/outage", "2012"),
            (
                "https://stack.example.net/post/1/outage-postmortem-july-20-2016",
                "2016-07-20",
            ),
            ("https://x.example/disruption-on-na14-may-2016", "2016-05"),
        ] {
            assert_eq!(found("", url), Some((want.into(), DateFrom::Url)), "{url}");
        }
    }

    #[test]
    fn finds_dates_in_prose_at_each_precision() {
        for (text, want) in [
            ("It failed on July 17, 2020 at noon.", "2020-07-17"),
            ("On February 29th 2012, certificates broke.", "2012-02-29"),
            ("On 4 October 2021 routes vanished.", "2021-10-04"),
            ("the 27th leap second on 2016-12-31T23:59:60Z", "2016-12-31"),
            ("Users noticed in March 2019.", "2019-03"),
            ("The switches collapsed. From 1990.", "1990"),
            ("Resets a few days after landing (1997).", "1997"),
        ] {
            assert_eq!(
                found(text, ""),
                Some((want.into(), DateFrom::Text)),
                "{text}"
            );
        }
    }

    #[test]
    fn prefers_the_most_precise_date_then_the_text() {
        // A day in the URL beats a year in the text.
        assert_eq!(
            found("It broke in 2016.", "https://b.example/2016/08/11/x"),
            Some(("2016-08-11".into(), DateFrom::Url))
        );
        // Equally precise: the text tells the incident, the URL the post.
        assert_eq!(
            found(
                "On June 4, 2016 the power failed.",
                "https://b.example/2016/06/09/x"
            ),
            Some(("2016-06-04".into(), DateFrom::Text))
        );
    }

    #[test]
    fn ignores_numbers_that_are_not_dates() {
        for (text, url) in [
            (
                "2000 servers went down for 45 minutes.",
                "https://x.example/incidents/1091",
            ),
            (
                "A ship sank in 1628.",
                "https://x.example/post/157027537441",
            ),
            ("Planned for 2099.", "https://2017.example.com/a"),
            (
                "On February 30, 2017 nothing happened.",
                "https://x.example/v2/13/45/",
            ),
        ] {
            assert_eq!(found(text, url), None, "{text} {url}");
        }
    }
}
