//! The browser's search index: a compact inverted index of our own, split
//! into small JSON files the `/search/` page fetches only when needed.
//!
//! - `search/index/meta.json`: document count, shard keys, categories and
//!   every document's category and year (for the filters);
//! - `search/index/t/<key>.json`: the terms starting with `<key>` (their
//!   first [`SHARD_PREFIX`] characters), each with its postings as
//!   `[doc delta, weight, ...]`;
//! - `search/index/d/<n>.json`: the display fields of documents
//!   `n * CHUNK .. (n + 1) * CHUNK`.
//!
//! A query fetches the meta file, one shard per word and the chunks of the
//! results it shows, so what it downloads grows with the query, not with
//! the site. Pagefind and elasticlunr were measured against this (see
//! BENCHMARKS.md): too slow to build, or one file too big to download.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::render::{OutputFile, advice_url, incident_url};
use crate::site::Site;

/// Characters of a term that pick its shard.
pub const SHARD_PREFIX: usize = 3;
/// Documents per display chunk: a page of results touches a few chunks of
/// a few kilobytes each.
pub const CHUNK: usize = 50;
/// Longest summary shown under a result, in characters.
const SUMMARY_CHARS: usize = 200;
/// Where the files go in the site.
pub const DIR: &str = "search/index";
/// Bumped when the files' shape changes; the script checks it.
const VERSION: u32 = 1;

/// Words too common to help; the page drops them from queries too.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "had", "has", "have",
    "in", "into", "is", "it", "its", "of", "on", "or", "that", "the", "their", "then", "there",
    "these", "they", "this", "to", "was", "were", "which", "with",
];

#[derive(Serialize)]
struct Meta<'a> {
    version: u32,
    docs: usize,
    chunk: usize,
    prefix: usize,
    shards: Vec<&'a str>,
    categories: Vec<[&'a str; 2]>,
    /// Per document: its category's index in `categories`, or -1.
    category: Vec<i64>,
    /// Per document: its year, or 0 for advice.
    year: Vec<i32>,
    stop_words: &'a [&'a str],
}

/// One result as the page shows it.
#[derive(Serialize)]
struct Display<'a> {
    url: String,
    title: &'a str,
    company: &'a str,
    date: String,
    category: &'a str,
    kind: &'static str,
    summary: String,
}

/// The files of the browser index for `site`.
pub fn files(site: &Site) -> Vec<OutputFile> {
    let mut postings: BTreeMap<String, BTreeMap<u32, u32>> = BTreeMap::new();
    let mut displays = Vec::new();
    let categories: Vec<[&str; 2]> = site
        .config
        .categories
        .iter()
        .map(|(key, c)| [key.as_str(), c.name.as_str()])
        .collect();
    let mut category = Vec::new();
    let mut year = Vec::new();
    let mut doc: u32 = 0;
    for i in &site.incidents {
        let fields: [(&str, u32); 5] = [
            (&i.title, 8),
            (&i.company, 8),
            (&i.root_cause, 4),
            (&i.summary, 2),
            (&i.body.text, 1),
        ];
        add(&mut postings, doc, &fields);
        for text in i.tags.iter().chain(&i.lessons) {
            add(&mut postings, doc, &[(text, 3)]);
        }
        displays.push(Display {
            url: incident_url(&i.slug),
            title: &i.title,
            company: &i.company,
            date: i.date.iso(),
            category: site
                .config
                .categories
                .get(&i.category)
                .map_or(i.category.as_str(), |c| c.name.as_str()),
            kind: "incident",
            summary: super::cut_at_word(&i.summary, SUMMARY_CHARS),
        });
        category.push(
            categories
                .iter()
                .position(|[key, _]| *key == i.category)
                .map_or(-1, |p| p as i64),
        );
        year.push(i.date.year);
        doc += 1;
    }
    for a in &site.advice {
        add(
            &mut postings,
            doc,
            &[(&a.title, 8), (&a.summary, 2), (&a.body.text, 1)],
        );
        for tag in &a.tags {
            add(&mut postings, doc, &[(tag, 3)]);
        }
        displays.push(Display {
            url: advice_url(&a.slug),
            title: &a.title,
            company: "",
            date: String::new(),
            category: "",
            kind: "advice",
            summary: super::cut_at_word(&a.summary, SUMMARY_CHARS),
        });
        category.push(-1);
        year.push(0);
        doc += 1;
    }

    let mut shards: BTreeMap<String, BTreeMap<&str, Vec<u32>>> = BTreeMap::new();
    for (term, docs) in &postings {
        let mut list = Vec::with_capacity(docs.len() * 2);
        let mut last = 0;
        for (&d, &weight) in docs {
            list.push(d - last);
            list.push(weight);
            last = d;
        }
        shards
            .entry(shard_key(term))
            .or_default()
            .insert(term.as_str(), list);
    }
    let mut files = Vec::new();
    let json = |path: String, value: &dyn erased::Json| OutputFile {
        path: path.into(),
        bytes: value.bytes(),
    };
    files.push(json(
        format!("{DIR}/meta.json"),
        &Meta {
            version: VERSION,
            docs: displays.len(),
            chunk: CHUNK,
            prefix: SHARD_PREFIX,
            shards: shards.keys().map(String::as_str).collect(),
            categories: categories.clone(),
            category,
            year,
            stop_words: STOP_WORDS,
        },
    ));
    for (key, terms) in &shards {
        files.push(json(format!("{DIR}/t/{key}.json"), terms));
    }
    for (n, chunk) in displays.chunks(CHUNK).enumerate() {
        files.push(json(format!("{DIR}/d/{n}.json"), &chunk));
    }
    files
}

/// Serializing to JSON bytes through a trait object, so `files` can hand
/// differently typed values to one closure.
mod erased {
    pub trait Json {
        fn bytes(&self) -> Vec<u8>;
    }

    impl<T: serde::Serialize> Json for T {
        fn bytes(&self) -> Vec<u8> {
            // Maps with string keys, strings and numbers always serialize.
            serde_json::to_vec(self).unwrap_or_default()
        }
    }
}

/// Adds each field's words to the postings of `doc`, weighted: a word in a
/// title counts more than the same word in the body. A word repeated in
/// one field counts once, so long bodies do not drown short titles.
fn add(postings: &mut BTreeMap<String, BTreeMap<u32, u32>>, doc: u32, fields: &[(&str, u32)]) {
    for &(text, weight) in fields {
        let mut seen = std::collections::HashSet::new();
        for word in words(text) {
            if seen.insert(word.clone()) {
                *postings.entry(word).or_default().entry(doc).or_default() += weight;
            }
        }
    }
}

/// Lowercased alphanumeric runs of two characters or more, without stop
/// words: the same rule as `words()` in search.js.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2)
        .map(str::to_lowercase)
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
}

fn shard_key(term: &str) -> String {
    term.chars().take(SHARD_PREFIX).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_drop_stop_words_and_single_letters() {
        let found: Vec<String> = words("The BGP route, a withdrawal of Facebook’s").collect();
        assert_eq!(found, ["bgp", "route", "withdrawal", "facebook"]);
    }

    #[test]
    fn shards_by_the_first_characters() {
        assert_eq!(shard_key("withdrawal"), "wit");
        assert_eq!(shard_key("db"), "db");
    }
}
