//! An entry's category: the one its heading names, or the one the words
//! of its summary point to, always a key of the site's book.toml.

use crate::config::Config;
use crate::slug;

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
pub fn choose(config: &Config, heading: Option<&str>, summary: &str) -> (String, CategoryFrom) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
                choose(&config, Some(heading), "whatever"),
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
                choose(&config, Some("Uncategorized"), summary),
                (want.to_string(), CategoryFrom::Summary),
                "{summary}"
            );
        }
        assert_eq!(
            choose(&config, None, "Something happened."),
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
            choose(&config, Some("Config Errors"), "A BGP route leaked."),
            ("network".to_string(), CategoryFrom::Summary)
        );
        assert_eq!(
            choose(&config, Some("Operations"), ""),
            ("ops".to_string(), CategoryFrom::Heading)
        );
        assert_eq!(
            choose(&config, Some("Time"), "A leap second."),
            ("network".to_string(), CategoryFrom::Default)
        );
    }
}
