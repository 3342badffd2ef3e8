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

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::LazyLock;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::vocabulary::Vocabulary;
use crate::content::Kind;
use crate::output::OutputFile;
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
pub(super) const STOP_WORDS: &[&str] = &[
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

/// The text of one document, field by field, with each field's weight: a
/// word in a title counts more than the same word in the body.
type Fields<'a> = Vec<(&'a str, u32)>;

/// One term and its postings: `(doc, weight)` in doc order.
type TermPostings<'a> = (Cow<'a, str>, Vec<(u32, u32)>);

/// The files of the browser index for `site`.
pub fn files(site: &Site) -> Vec<OutputFile> {
    index(site).0
}

/// The words of `site`, as the browser index counts them, without its files:
/// what `castor search` needs when it rebuilds its index alone.
pub fn vocabulary(site: &Site) -> Vocabulary {
    vocabulary_of(&sorted(postings(&texts(site))))
}

/// The files of the browser index for `site`, and its words, which
/// `castor search` suggests spellings from.
pub fn index(site: &Site) -> (Vec<OutputFile>, Vocabulary) {
    let categories: Vec<[&str; 2]> = site
        .config
        .categories
        .iter()
        .map(|(key, c)| [key.as_str(), c.name.as_str()])
        .collect();
    let documents = site.incidents.len() + site.advice.len();
    let mut displays = Vec::with_capacity(documents);
    let mut category = Vec::with_capacity(documents);
    let mut year = Vec::with_capacity(documents);
    for (i, url) in site.incidents.iter().zip(&site.incident_urls) {
        displays.push(Display {
            url: url.clone(),
            title: &i.title,
            company: &i.company,
            date: i.date.iso(),
            category: site
                .config
                .categories
                .get(&i.category)
                .map_or(i.category.as_str(), |c| c.name.as_str()),
            kind: Kind::Incident.as_str(),
            summary: crate::text::cut_at_word(&i.summary, SUMMARY_CHARS),
        });
        category.push(
            categories
                .iter()
                .position(|[key, _]| *key == i.category)
                .map_or(-1, |p| p as i64),
        );
        year.push(i.date.year);
    }
    for (a, url) in site.advice.iter().zip(&site.advice_urls) {
        displays.push(Display {
            url: url.clone(),
            title: &a.title,
            company: "",
            date: String::new(),
            category: "",
            kind: Kind::Advice.as_str(),
            summary: crate::text::cut_at_word(&a.summary, SUMMARY_CHARS),
        });
        category.push(-1);
        year.push(0);
    }

    let terms = sorted(postings(&texts(site)));
    let shards: Vec<(&str, &[TermPostings])> = terms
        .chunk_by(|a, b| shard_key(&a.0) == shard_key(&b.0))
        .map(|run| (shard_key(&run[0].0), run))
        .collect();
    let mut files = vec![json(
        format!("{DIR}/meta.json"),
        &Meta {
            version: VERSION,
            docs: displays.len(),
            chunk: CHUNK,
            prefix: SHARD_PREFIX,
            shards: shards.iter().map(|(key, _)| *key).collect(),
            categories: categories.clone(),
            category,
            year,
            stop_words: STOP_WORDS,
        },
    )];
    files.par_extend(shards.par_iter().map(|(key, run)| {
        let terms: BTreeMap<&str, Vec<u32>> = run
            .iter()
            .map(|(term, docs)| (term.as_ref(), delta_encode(docs)))
            .collect();
        json(format!("{DIR}/t/{key}.json"), &terms)
    }));
    files.par_extend(
        displays
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(n, chunk)| json(format!("{DIR}/d/{n}.json"), &chunk)),
    );
    (files, vocabulary_of(&terms))
}

/// Every document's text, incidents then advice, in the order of their
/// numbers in the index.
fn texts(site: &Site) -> Vec<Fields<'_>> {
    let incidents = site.incidents.iter().map(|i| {
        let mut fields: Fields = vec![
            (&i.title, 8),
            (&i.company, 8),
            (&i.root_cause, 4),
            (&i.summary, 2),
            (&i.body.text, 1),
        ];
        fields.extend(i.tags.iter().chain(&i.lessons).map(|t| (t.as_str(), 3)));
        fields
    });
    let advice = site.advice.iter().map(|a| {
        let mut fields: Fields = vec![(&a.title, 8), (&a.summary, 2), (&a.body.text, 1)];
        fields.extend(a.tags.iter().map(|t| (t.as_str(), 3)));
        fields
    });
    incidents.chain(advice).collect()
}

/// The terms in byte order.
fn sorted(mut terms: Vec<TermPostings>) -> Vec<TermPostings> {
    terms.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
    terms
}

fn vocabulary_of(terms: &[TermPostings]) -> Vocabulary {
    let words = terms
        .iter()
        .map(|(term, docs)| {
            let count = u32::try_from(docs.len()).unwrap_or(u32::MAX);
            (term.to_string(), count)
        })
        .collect();
    Vocabulary::from_sorted(words)
}

/// The postings of every document, counted in parallel over runs of
/// documents and joined in order, so each list stays sorted by document.
fn postings<'a>(texts: &[Fields<'a>]) -> Vec<TermPostings<'a>> {
    texts
        .par_iter()
        .enumerate()
        .with_min_len(64)
        .fold(Counter::default, |mut counter, (doc, fields)| {
            counter.add(u32::try_from(doc).unwrap_or(u32::MAX), fields);
            counter
        })
        .reduce(Counter::default, Counter::append)
        .into_terms()
}

/// The postings of a run of documents. Words are numbered as they first
/// appear, so a word costs one hash lookup per occurrence and everything
/// else is indexing by number.
#[derive(Default)]
struct Counter<'a> {
    numbers: FxHashMap<Cow<'a, str>, u32>,
    /// By word number.
    postings: Vec<Vec<(u32, u32)>>,
    /// By word number, for the document being counted: its weight so far
    /// and the last field that added to it (`u32::MAX`: none yet).
    current: Vec<(u32, u32)>,
    /// The words of the document being counted.
    seen: Vec<u32>,
}

impl<'a> Counter<'a> {
    fn add(&mut self, doc: u32, fields: &Fields<'a>) {
        for (field, &(text, weight)) in (0u32..).zip(fields) {
            for word in words(text) {
                let n = self.number(word);
                let (total, last) = &mut self.current[n as usize];
                if *last == u32::MAX {
                    self.seen.push(n);
                }
                // A word repeated in one field counts once, so long
                // bodies do not drown short titles.
                if *last != field {
                    *total += weight;
                    *last = field;
                }
            }
        }
        for n in self.seen.drain(..) {
            let (weight, _) = std::mem::replace(&mut self.current[n as usize], (0, u32::MAX));
            self.postings[n as usize].push((doc, weight));
        }
    }

    fn number(&mut self, word: Cow<'a, str>) -> u32 {
        if let Some(&n) = self.numbers.get(word.as_ref()) {
            return n;
        }
        let n = u32::try_from(self.postings.len()).unwrap_or(u32::MAX);
        self.numbers.insert(word, n);
        self.postings.push(Vec::new());
        self.current.push((0, u32::MAX));
        n
    }

    /// Adds the postings of `later`, whose documents all come after these.
    fn append(mut self, later: Counter<'a>) -> Counter<'a> {
        let mut postings = later.postings;
        for (word, n) in later.numbers {
            let docs = std::mem::take(&mut postings[n as usize]);
            let mine = self.number(word);
            self.postings[mine as usize].extend(docs);
        }
        self
    }

    fn into_terms(self) -> Vec<TermPostings<'a>> {
        let mut postings = self.postings;
        self.numbers
            .into_iter()
            .map(|(word, n)| {
                let docs = std::mem::take(&mut postings[n as usize]);
                (word, docs)
            })
            .collect()
    }
}

/// A posting list as the page reads it: `[doc delta, weight, ...]`.
fn delta_encode(docs: &[(u32, u32)]) -> Vec<u32> {
    let mut list = Vec::with_capacity(docs.len() * 2);
    let mut last = 0;
    for &(doc, weight) in docs {
        list.push(doc - last);
        list.push(weight);
        last = doc;
    }
    list
}

fn json(path: String, value: &impl Serialize) -> OutputFile {
    OutputFile {
        path: path.into(),
        // Maps with string keys, strings and numbers always serialize.
        bytes: serde_json::to_vec(value).unwrap_or_default(),
    }
}

/// Lowercased alphanumeric runs of two characters or more, without stop
/// words: the same rule as `words()` in search.js.
pub fn words(text: &str) -> impl Iterator<Item = Cow<'_, str>> {
    Runs { text, at: 0 }
        .filter(|w| w.len() >= 2 && (w.is_ascii() || w.chars().nth(1).is_some()))
        .map(|w| {
            let upper = if w.is_ascii() {
                w.bytes().any(|b| b.is_ascii_uppercase())
            } else {
                w.chars().any(char::is_uppercase)
            };
            if upper {
                Cow::Owned(w.to_lowercase())
            } else {
                Cow::Borrowed(w)
            }
        })
        .filter(|w| !is_stop_word(w))
}

/// The longest stop word's length, and the stop words' first letters as a
/// bit set: most words fail one of the two and skip the lookup.
const STOP_MAX_LEN: usize = {
    let (mut max, mut i) = (0, 0);
    while i < STOP_WORDS.len() {
        if STOP_WORDS[i].len() > max {
            max = STOP_WORDS[i].len();
        }
        i += 1;
    }
    max
};
const STOP_FIRST_LETTERS: u128 = {
    let (mut set, mut i) = (0u128, 0);
    while i < STOP_WORDS.len() {
        set |= 1 << STOP_WORDS[i].as_bytes()[0];
        i += 1;
    }
    set
};

/// Whether `word` is in [`STOP_WORDS`]. Called for every word of the site:
/// each stop word is packed into a `u64`, so the lookup compares numbers,
/// not strings.
pub(super) fn is_stop_word(word: &str) -> bool {
    let first = word.as_bytes().first().map_or(0, |&b| u32::from(b));
    if word.len() > STOP_MAX_LEN || first >= 128 || STOP_FIRST_LETTERS & (1 << first) == 0 {
        return false;
    }
    static PACKED: LazyLock<Vec<u64>> = LazyLock::new(|| {
        let mut packed: Vec<u64> = STOP_WORDS.iter().filter_map(|w| pack(w)).collect();
        packed.sort_unstable();
        packed
    });
    pack(word).is_some_and(|key| PACKED.binary_search(&key).is_ok())
}

/// The bytes of a word of at most eight bytes, as one number.
fn pack(word: &str) -> Option<u64> {
    let bytes = word.as_bytes();
    let mut buf = [0u8; 8];
    buf.get_mut(..bytes.len())?.copy_from_slice(bytes);
    Some(u64::from_le_bytes(buf))
}

/// The alphanumeric runs of a text. Bytes are looked at one by one and
/// only non-ASCII ones decoded: this runs over every word of the site.
struct Runs<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Runs<'a> {
    /// Whether the character at byte `at` is alphanumeric, and its length.
    fn alphanumeric_at(&self, at: usize) -> (bool, usize) {
        let byte = self.text.as_bytes()[at];
        if byte.is_ascii() {
            return (byte.is_ascii_alphanumeric(), 1);
        }
        let c = self.text[at..].chars().next().unwrap_or(' ');
        (c.is_alphanumeric(), c.len_utf8())
    }

    /// Moves past the run of characters that are (or are not) alphanumeric.
    fn skip(&mut self, alphanumeric: bool) {
        let bytes = self.text.as_bytes();
        while let Some(&byte) = bytes.get(self.at) {
            if byte.is_ascii() {
                if byte.is_ascii_alphanumeric() != alphanumeric {
                    return;
                }
                self.at += 1;
            } else {
                let (inside, width) = self.alphanumeric_at(self.at);
                if inside != alphanumeric {
                    return;
                }
                self.at += width;
            }
        }
    }
}

impl<'a> Iterator for Runs<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        self.skip(false);
        if self.at >= self.text.len() {
            return None;
        }
        let start = self.at;
        self.skip(true);
        Some(&self.text[start..self.at])
    }
}

/// The first [`SHARD_PREFIX`] characters of `term`.
fn shard_key(term: &str) -> &str {
    let end = term
        .char_indices()
        .nth(SHARD_PREFIX)
        .map_or(term.len(), |(at, _)| at);
    &term[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_drop_stop_words_and_single_letters() {
        let found: Vec<Cow<str>> = words("The BGP route, a withdrawal of Facebook’s").collect();
        assert_eq!(found, ["bgp", "route", "withdrawal", "facebook"]);
    }

    #[test]
    fn words_split_like_the_unicode_rule() {
        let text = "Café-Ünïcode x2 ÄB résumé’s 東京 a,b;;DNS";
        let fast: Vec<Cow<str>> = words(text).collect();
        let slow: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 2)
            .map(str::to_lowercase)
            .filter(|w| !STOP_WORDS.contains(&w.as_str()))
            .collect();
        assert_eq!(fast, slow);
        assert!(STOP_WORDS.iter().all(|w| is_stop_word(w)));
        assert!(!is_stop_word("therein") && !is_stop_word("t"));
        assert!(!is_stop_word("") && !is_stop_word("thus") && !is_stop_word("été"));
        assert_eq!(
            fast,
            ["café", "ünïcode", "x2", "äb", "résumé", "東京", "dns"]
        );
    }

    #[test]
    fn shards_by_the_first_characters() {
        assert_eq!(shard_key("withdrawal"), "wit");
        assert_eq!(shard_key("db"), "db");
    }
}
