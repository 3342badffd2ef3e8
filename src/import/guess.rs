//! What a list entry does not say outright: its date, its category and a
//! title, each found from its words and its URL.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use crate::config::Config;
use crate::content::PartialDate;
use crate::content::date::Precision;
use crate::slug;

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
pub fn date(text: &str, url: &str, today: NaiveDate) -> Option<(PartialDate, DateFrom)> {
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

/// How a category was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CategoryFrom {
    /// The heading names it, or one of its words.
    Heading,
    /// Words of the summary point to it.
    Summary,
    /// Nothing pointed anywhere: the default.
    Default,
}

/// Words that point to a category, for headings and summaries that do not
/// name one. A word or phrase matches whole words; a trailing `*` makes it
/// the start of a word (`config*` also finds `configuration`). Tied
/// categories go in this order. Only categories of the site's book.toml are
/// ever chosen.
const KEYWORDS: &[(&str, &[&str])] = &[
    (
        "time",
        &[
            "leap second*",
            "leap year*",
            "clock*",
            "time zone*",
            "timezone*",
            "daylight saving*",
            "ntp",
            "expir*",
            "certificate*",
            "y2k",
            "february 29*",
            "date*",
        ],
    ),
    (
        "security",
        &[
            "security",
            "breach*",
            "attack*",
            "vulnerab*",
            "credential*",
            "password*",
            "hack*",
            "exploit*",
            "ddos",
            "ransom*",
            "malicious",
            "leak of",
            "leaked",
            "secret key*",
            "shellshock",
        ],
    ),
    (
        "human",
        &[
            "human error*",
            "typo*",
            "manual*",
            "accidental*",
            "by mistake",
            "mistaken*",
            "wrong",
            "operator*",
        ],
    ),
    (
        "hardware",
        &[
            "hardware",
            "power",
            "generator*",
            "transformer*",
            "lightning",
            "cooling",
            "fire",
            "flood*",
            "disk failure*",
            "ecc",
            "datacenter*",
            "data center*",
            "data centre*",
        ],
    ),
    (
        "config",
        &[
            "config*",
            "misconfig*",
            "setting*",
            "firewall rule*",
            "feature flag*",
        ],
    ),
    (
        "database",
        &[
            "database*",
            "postgres*",
            "mysql",
            "mongodb",
            "sql",
            "replica*",
            "redis",
            "cassandra",
            "elasticsearch",
            "table*",
            "quer*",
            "primary key*",
            "transaction*",
        ],
    ),
    (
        "network",
        &[
            "network*",
            "bgp",
            "dns",
            "router*",
            "routing",
            "partition*",
            "packet*",
            "switch*",
            "fiber*",
            "fibre*",
            "cdn",
            "multicast",
        ],
    ),
    (
        "deployment",
        &[
            "deploy*",
            "release*",
            "rollout*",
            "roll out",
            "rolled out",
            "rollback*",
            "migrat*",
            "upgrad*",
            "patch*",
            "push*",
            "branch*",
        ],
    ),
    (
        "capacity",
        &[
            "capacity",
            "overload*",
            "load",
            "out of memory",
            "ran out",
            "memory",
            "quota*",
            "limit*",
            "thundering herd",
            "disk full",
            "exhaust*",
        ],
    ),
    (
        "dependency",
        &[
            "third party",
            "upstream",
            "provider*",
            "vendor*",
            "dependency",
            "dependencies",
            "dependent",
        ],
    ),
    (
        "software",
        &[
            "bug*",
            "overflow*",
            "race",
            "deadlock*",
            "crash*",
            "panic*",
            "regex*",
            "memory leak*",
            "conflict*",
            "collision*",
            "infinite loop*",
            "exception*",
        ],
    ),
];

/// The category an entry goes under when nothing points anywhere.
const DEFAULT_CATEGORY: &str = "software";

/// The keys of `config` that `text` has the most keywords of, in the
/// order of [`KEYWORDS`] when tied.
fn by_keywords(config: &Config, text: &str) -> Option<String> {
    let words = |text: &str| slug::slugify(text).replace('-', " ");
    let text = format!(" {} ", words(text));
    KEYWORDS
        .iter()
        .filter(|(key, _)| config.categories.contains_key(*key))
        .map(|(key, keywords)| {
            let hits = keywords
                .iter()
                .filter(|k| match k.strip_suffix('*') {
                    Some(stem) => text.contains(&format!(" {}", words(stem))),
                    None => text.contains(&format!(" {} ", words(k))),
                })
                .count();
            (hits, key)
        })
        .filter(|(hits, _)| *hits > 0)
        // max_by_key keeps the last of equals: reversed, the first in order.
        .rev()
        .max_by_key(|(hits, _)| *hits)
        .map(|(_, key)| key.to_string())
}

/// A heading word naming a category of `config` by its key or name,
/// plural or not: "Config Errors" → `config`, "Hardware/Power Failures"
/// → `hardware`.
fn by_heading(config: &Config, heading: &str) -> Option<String> {
    let singular = |w: &str| w.trim_end_matches('s').to_string();
    let words: Vec<String> = slug::slugify(heading).split('-').map(singular).collect();
    config
        .categories
        .iter()
        .find(|(key, category)| {
            let names: Vec<String> = std::iter::once(key.to_string())
                .chain(slug::slugify(&category.name).split('-').map(str::to_string))
                .map(|w| singular(&w))
                .collect();
            words.iter().any(|w| !w.is_empty() && names.contains(w))
        })
        .map(|(key, _)| key.clone())
}

/// The category of an entry: from its heading when the heading names a
/// category or has its keywords ("Conflicts" → software), else from the
/// keywords of its summary ("Uncategorized"), else the default or, when
/// the site has no such category, its first.
pub fn category(config: &Config, heading: Option<&str>, summary: &str) -> (String, CategoryFrom) {
    if let Some(heading) = heading
        && let Some(key) = by_heading(config, heading).or_else(|| by_keywords(config, heading))
    {
        return (key, CategoryFrom::Heading);
    }
    if let Some(key) = by_keywords(config, summary) {
        return (key, CategoryFrom::Summary);
    }
    let key = if config.categories.contains_key(DEFAULT_CATEGORY) {
        DEFAULT_CATEGORY.to_string()
    } else {
        config
            .category_keys()
            .first()
            .map_or_else(String::new, |k| k.to_string())
    };
    (key, CategoryFrom::Default)
}

/// Words before a full stop that do not end a sentence, besides initials
/// and words with a full stop inside (`e.g.`, `U.S.`).
const ABBREVIATIONS: &[&str] = &[
    "vs", "inc", "ltd", "corp", "co", "mr", "ms", "dr", "st", "no", "approx",
];

/// The first sentence of plain text, without its full stop.
pub fn first_sentence(text: &str) -> &str {
    let text = text.trim();
    for (i, c) in text.char_indices() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let rest = &text[i + c.len_utf8()..];
        if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
            continue;
        }
        let word = text[..i]
            .rsplit(char::is_whitespace)
            .next()
            .unwrap_or_default()
            .to_lowercase();
        let next = rest.trim_start().chars().next();
        let abbreviation = (c == '.'
            && (ABBREVIATIONS.contains(&word.as_str())
                || word.contains('.')
                || word.chars().count() == 1))
            || next.is_some_and(char::is_lowercase);
        if !abbreviation {
            return if c == '.' { &text[..i] } else { &text[..=i] };
        }
    }
    text.trim_end_matches('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
    }

    fn found(text: &str, url: &str) -> Option<(String, DateFrom)> {
        date(text, url, today()).map(|(d, from)| (d.iso(), from))
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

    #[test]
    fn maps_headings_to_the_sites_categories() {
        let config = Config::default();
        for (heading, want) in [
            ("Config Errors", "config"),
            ("Hardware/Power Failures", "hardware"),
            ("Time", "time"),
            ("Database", "database"),
            ("Conflicts", "software"),
            ("Networks", "network"),
        ] {
            assert_eq!(
                category(&config, Some(heading), "whatever"),
                (want.to_string(), CategoryFrom::Heading),
                "{heading}"
            );
        }
    }

    #[test]
    fn guesses_from_the_summary_under_uncategorized_headings() {
        let config = Config::default();
        for (summary, want) in [
            ("A leap second made the clock go backwards.", "time"),
            (
                "Human error: a typo removed more servers than intended.",
                "human",
            ),
            (
                "Replication lag on the MySQL primary stalled every query.",
                "database",
            ),
            (
                "A deploy from the wrong branch was rolled out.",
                "deployment",
            ),
        ] {
            assert_eq!(
                category(&config, Some("Uncategorized"), summary),
                (want.to_string(), CategoryFrom::Summary),
                "{summary}"
            );
        }
        assert_eq!(
            category(&config, None, "Something happened."),
            ("software".to_string(), CategoryFrom::Default)
        );
    }

    #[test]
    fn only_ever_chooses_a_category_of_the_site() {
        let config = Config::parse(
            "[categories.network]\nname = \"Network\"\n[categories.ops]\nname = \"Operations\"\n",
        )
        .unwrap();
        // `config` and `time` do not exist here: the words of the summary
        // decide, and with none, the site's first category.
        assert_eq!(
            category(&config, Some("Config Errors"), "A BGP route leaked."),
            ("network".to_string(), CategoryFrom::Summary)
        );
        assert_eq!(
            category(&config, Some("Operations"), ""),
            ("ops".to_string(), CategoryFrom::Heading)
        );
        assert_eq!(
            category(&config, Some("Time"), "A leap second."),
            ("network".to_string(), CategoryFrom::Default)
        );
    }

    #[test]
    fn takes_the_first_sentence() {
        assert_eq!(
            first_sentence("A bad config took down e.g. Azure. Then more."),
            "A bad config took down e.g. Azure"
        );
        assert_eq!(
            first_sentence("The U.S. Army lost 2.5 hours. Later."),
            "The U.S. Army lost 2.5 hours"
        );
        assert_eq!(
            first_sentence("Why did it fail? Nobody knew."),
            "Why did it fail?"
        );
        assert_eq!(first_sentence("No full stop at all"), "No full stop at all");
    }
}
