//! The browser's search index: the same words, stems and scores as
//! `castor search`, in small files the search page loads only as a query
//! needs them.
//!
//! Every file is a script, `castorIndex("<name>", <json>)`, so the page
//! loads it with a `<script>` element: that works from `file://`, where
//! `fetch` does not, and over any static server. Under `search/index/`:
//!
//! - `meta.js`: the document count, the way back to the site root, the
//!   shard keys, the stop words and each facet (every taxonomy) with its
//!   value names;
//! - `t/<key>.js`: the stems starting with `<key>` and, for each, the
//!   documents holding it with their scores: the BM25 `castor search`
//!   gives a one-word query, field weights included, so the page ranks as
//!   the CLI does; and the words of the site starting with `<key>` whose
//!   stem differs, so the page never stems a query word itself;
//! - `p/<stem>-<n>.js`: the further tiers of a stem held by more than
//!   [`FIRST_TIER`] documents. A shard holds its best documents only, and
//!   each tier the next best: the page reads a tier when it could change
//!   the results it shows, so a common word costs what its first page
//!   needs, not what the whole site holds;
//! - `d/<n>.js`: document `n` as a result shows it, with its text by
//!   section for the excerpt around the best match;
//! - `f/<n>.js`: each document's terms of every taxonomy, in chunks, for
//!   facet counts and filters;
//! - `v/<len>.js`: the words of `len` letters, give or take one, for a
//!   query word the site does not hold (a typo).
//!
//! A query loads the meta file, one shard per word and the records of
//! the results it shows: what it downloads grows with the query.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use super::counted::{self, Countable, Counts, Hash, Lexicon, Packed, Stored};
use super::stem;
use super::vocabulary::Vocabulary;
use crate::content::{Body, Kind};
use crate::diagnostic::Diagnostic;
use crate::output::OutputFile;
use crate::render::Sink;
use crate::site::{Site, Taxonomy};
use crate::urls;

/// Where the files go in the site.
pub const DIR: &str = "search/index";
/// Bumped when the files' shape changes; the script checks it.
const VERSION: u32 = 3;
/// A shard's stems and postings, in bytes of JSON, before it is split by a
/// longer prefix.
const SHARD_BYTES: usize = 40_000;
/// The longest shard key: past it, a shard holds what it holds.
const MAX_KEY_CHARS: usize = 4;
/// The documents a shard holds for a stem, its best; the rest are in tier
/// files of [`TIER_DOCS`], best first.
const FIRST_TIER: usize = 400;
const TIER_DOCS: usize = 8_000;
/// Documents per facet file: under 100 KB with every taxonomy's terms.
const FACET_CHUNK: usize = 2_000;
/// Query words shorter than this are never taken for typos.
pub const TYPO_MIN_CHARS: usize = 5;
/// Scores are kept in one byte each, on a log scale: `ln(1 + score)` in
/// steps of 1/60 (scores 1.7 % apart), up to about 70.
const SCORE_SCALE: f32 = 60.0;
/// tantivy's BM25 parameters, which `castor search` ranks with.
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// Words too common to help; neither engine indexes them.
pub(super) const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "had", "has", "have",
    "in", "into", "is", "it", "its", "of", "on", "or", "that", "the", "their", "then", "there",
    "these", "they", "this", "to", "was", "were", "which", "with",
];

/// Whether `word` is one of [`STOP_WORDS`].
pub(super) fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// Each file of the browser index for `site`, handed to `sink`.
pub fn files(site: &Site, sink: &Sink) -> Result<(), Diagnostic> {
    index(site, None, &Kept::NOTHING, sink).map(drop)
}

/// The words of `site` with their document counts, without the files:
/// what `castor search` suggests spellings from. With `cache`, as in
/// [`index`].
pub fn vocabulary(site: &Site, cache: Option<&Path>) -> Result<Vocabulary, Diagnostic> {
    Ok(Analysis::of(&documents(site), cache)?.vocabulary())
}

/// What a rebuild may take of the output's browser index as it is.
pub struct Kept<'a> {
    /// Whether document `n` of a kind (its number among that kind in
    /// [`Site`]) has the body it had in the last build.
    pub body: &'a (dyn Fn(Kind, usize) -> bool + Sync),
    /// The fingerprint of what the last build made the file at a path
    /// from, if it made one ([`Made`]).
    pub made: &'a (dyn Fn(&Path) -> Option<u64> + Sync),
    /// Takes the output's file at a path as this build's: `false` when
    /// there is none, and the file must be made.
    pub keep: &'a (dyn Fn(&Path) -> bool + Sync),
}

impl Kept<'static> {
    /// A first build's: every file is made.
    pub const NOTHING: Kept<'static> = Kept {
        body: &|_, _| false,
        made: &|_| None,
        keep: &|_| false,
    };
}

/// The fingerprint of what each shard of stems, with its stems' further
/// tiers, was made from, by the shard's path: a rebuild compares them to
/// keep the shards no edit changed.
pub type Made = FxHashMap<PathBuf, u64>;

/// Makes the browser index for `site`, handing each file to `sink` as it
/// is made, and returns its words and what its shards were made from.
/// With `cache`, the counts of each document are kept there for the next
/// build, and taken from there when its text has not changed. A file is
/// left out when `kept` takes the output's as it is: a document's record
/// when its body did not change, a shard when what it is made from did
/// not.
pub fn index(
    site: &Site,
    cache: Option<&Path>,
    kept: &Kept,
    sink: &Sink,
) -> Result<(Vocabulary, Made), Diagnostic> {
    let docs = documents(site);
    let analysis = Analysis::of(&docs, cache)?;
    let keys = shard_keys(&analysis);
    sink(script("meta", &meta(site, &keys)));
    let made = shards(&analysis, &keys, kept, sink);
    // A record is made only to be written: a rebuild keeps most of them.
    (0..docs.len()).into_par_iter().try_for_each(|n| {
        let name = format!("d/{n}");
        let (kind, at) = match n.checked_sub(site.incidents.len()) {
            None => (Kind::Incident, n),
            Some(a) => (Kind::Advice, a),
        };
        if !((kept.body)(kind, at) && (kept.keep)(&path_of(&name))) {
            let texts = docs[n].body.texts(docs[n].path)?;
            sink(script(&name, &record(site, kind, at, &texts.text)));
        }
        Ok(())
    })?;
    facets(site).into_iter().for_each(sink);
    typo_lists(&analysis).into_iter().for_each(sink);
    Ok((analysis.vocabulary(), made))
}

/// One searchable document: the text of each of [`FIELDS`] but the last,
/// lists joined, and the body, whose text is the last: read only when a
/// document is counted or its record made, since a build keeps bodies on
/// disk.
struct Document<'a> {
    fields: [Cow<'a, str>; 5],
    body: &'a Body,
    /// The file, to name in an error.
    path: &'a Path,
}

impl Countable for Document<'_> {
    fn hash(&self) -> Hash {
        counted::hash(
            self.fields.iter().map(|f| f.as_ref()),
            self.body.contents.hash(),
        )
    }

    fn texts(&self) -> Result<Vec<Cow<'_, str>>, Diagnostic> {
        let body = self.body.texts(self.path)?;
        // The only holder when read from the parse cache's store.
        let body = Arc::try_unwrap(body).map_or_else(|held| held.text.clone(), |texts| texts.text);
        let fields = self.fields.iter().map(|f| Cow::Borrowed(f.as_ref()));
        Ok(fields.chain([Cow::Owned(body)]).collect())
    }
}

/// The fields both engines search, with `castor search`'s weights
/// (`schema::boosts`).
const FIELDS: [f32; 6] = [3.0, 3.0, 2.0, 1.5, 2.0, 1.0];

/// A result as the page shows it.
#[derive(Serialize)]
struct Record<'a> {
    url: &'a str,
    title: &'a str,
    company: &'a str,
    date: String,
    category: &'a str,
    kind: &'static str,
    summary: &'a str,
    /// The body's text by section: `[anchor, text]`, the first anchor
    /// empty for the text before any heading.
    sections: Vec<(&'a str, &'a str)>,
}

/// Incidents then advice pages, in the site's order: a document's number
/// in every file. On every core: joining the lists of 100,000 incidents
/// took a fifth of a second.
fn documents(site: &Site) -> Vec<Document<'_>> {
    let incidents = site.incidents.par_iter().map(|i| Document {
        fields: [
            Cow::Borrowed(i.title.as_str()),
            Cow::Borrowed(i.company.as_str()),
            Cow::Borrowed(i.root_cause.as_str()),
            Cow::Owned(i.lessons.join("\n")),
            Cow::Owned(i.tags.join("\n")),
        ],
        body: &i.body,
        path: &i.path,
    });
    let advice = site.advice.par_iter().map(|a| Document {
        fields: [
            Cow::Borrowed(a.title.as_str()),
            Cow::Borrowed(""),
            Cow::Borrowed(""),
            Cow::Borrowed(""),
            Cow::Owned(a.tags.join("\n")),
        ],
        body: &a.body,
        path: &a.path,
    });
    incidents.chain(advice).collect()
}

/// The record of document `n` of `kind` (its number among that kind),
/// whose body's text is `text`.
fn record<'a>(site: &'a Site, kind: Kind, n: usize, text: &'a str) -> Record<'a> {
    match kind {
        Kind::Incident => {
            let i = &site.incidents[n];
            Record {
                url: &site.incident_urls[n],
                title: &i.title,
                company: &i.company,
                date: i.date.iso(),
                category: site
                    .config
                    .categories
                    .get(&i.category)
                    .map_or("", |c| c.name.as_str()),
                kind: kind.as_str(),
                summary: &i.summary,
                sections: sections(&i.body, text),
            }
        }
        Kind::Advice => {
            let a = &site.advice[n];
            Record {
                url: &site.advice_urls[n],
                title: &a.title,
                company: "",
                date: String::new(),
                category: "",
                kind: kind.as_str(),
                summary: &a.summary,
                sections: sections(&a.body, text),
            }
        }
    }
}

fn sections<'a>(body: &'a Body, text: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut starts: Vec<(usize, &str)> = vec![(0, "")];
    starts.extend(
        body.sections
            .iter()
            .map(|(at, anchor)| (*at, anchor.as_str())),
    );
    let ends = starts.iter().skip(1).map(|(at, _)| *at).chain([text.len()]);
    starts
        .iter()
        .zip(ends)
        .filter_map(|(&(start, anchor), end)| {
            let text = text.get(start..end)?.trim();
            (!text.is_empty()).then_some((anchor, text))
        })
        .collect()
}

/// A stem with its postings.
type Stem = (String, Postings);

/// A stem's postings in document order: each document, and its score
/// quantized ([`quantize`]). Two arrays, 5 bytes a posting, where pairs
/// took 8 with their padding: a first build at 100,000 incidents makes 46
/// million postings, and holds them all at its peak of memory.
struct Postings {
    docs: Vec<u32>,
    scores: Vec<u8>,
}

impl Postings {
    fn with_capacity(n: usize) -> Postings {
        Postings {
            docs: Vec::with_capacity(n),
            scores: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, doc: u32, score: u8) {
        self.docs.push(doc);
        self.scores.push(score);
    }

    fn len(&self) -> usize {
        self.docs.len()
    }

    fn pairs(&self) -> impl Iterator<Item = (u32, u8)> + Clone + '_ {
        self.docs.iter().copied().zip(self.scores.iter().copied())
    }
}

/// For the tests' postings.
#[cfg(test)]
impl FromIterator<(u32, u8)> for Postings {
    fn from_iter<I: IntoIterator<Item = (u32, u8)>>(pairs: I) -> Postings {
        let (docs, scores) = pairs.into_iter().unzip();
        Postings { docs, scores }
    }
}

/// Every document's words and stems, counted.
struct Analysis {
    /// Stems in byte order, each with its postings.
    stems: Vec<Stem>,
    /// Every word (before stemming) with its stem and document count, in
    /// byte order.
    words: Vec<(String, (String, u32))>,
}

impl Analysis {
    /// With `cache`, as in [`index`].
    fn of(docs: &[Document], cache: Option<&Path>) -> Result<Analysis, Diagnostic> {
        let stored = cache.map(Stored::read).unwrap_or_default();
        let (counts, to_store) = counted::count_all(docs, stored)?;
        if let Some(dir) = cache {
            // Only saves time: without it, the next build counts again.
            let _ = to_store.write(&counts, dir);
        }
        let Counts {
            stems: mut lexicon,
            words: dictionary,
            docs: mut counted,
            mut totals,
        } = counts;
        // Each word's documents: the vocabulary, and which words of the
        // dictionary the site still holds.
        let mut word_docs = std::mem::take(&mut totals.word_docs);
        word_docs.resize(dictionary.len(), 0);
        let compounds = compounds(&dictionary, &word_docs, &mut lexicon);
        totals.grow(FIELDS.len(), lexicon.len());
        if !compounds.is_empty() {
            let added: Vec<Vec<(usize, u32)>> = counted
                .par_iter_mut()
                .zip(docs)
                .map(|(counted, doc)| count_compounds(counted, doc, &compounds, &dictionary))
                .collect::<Result<_, _>>()?;
            // A compound's stem that the document holds in another field
            // too leaves its postings a place to spare.
            for (f, stem) in added.into_iter().flatten() {
                totals.stem_docs[f][stem as usize] += 1;
                totals.postings[stem as usize] += 1;
            }
        }
        // Counted, and no longer needed: freed before the scores are made.
        counted.par_iter_mut().for_each(Packed::drop_words);
        let n = docs.len() as f32;
        // Each stem's weight, per field, by how few documents hold it.
        let idf: Vec<Vec<f32>> = totals
            .stem_docs
            .into_par_iter()
            .map(|df| {
                df.into_iter()
                    .map(|df| {
                        let df = df as f32;
                        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
                    })
                    .collect()
            })
            .collect();
        let average: Vec<f32> = totals
            .lengths
            .iter()
            .map(|&total| (total as f32 / n.max(1.0)).max(1.0))
            .collect();
        // Each stem's score so far in one document, by number: `UNSEEN`
        // but for the document's stems, which scoring sets back. An array
        // per thread, the counts read in place: with each document decoded
        // and a hash map for each, the browser index took a third more CPU
        // at 100,000 incidents.
        const UNSEEN: f32 = f32::NEG_INFINITY;
        let stems = lexicon.len();
        let score = |scratch: &mut Vec<f32>, doc: &Packed| -> Vec<(u32, u8)> {
            let mut held = Vec::new();
            let mut norm = (usize::MAX, 0.0);
            doc.each_stem(|f, len, stem, tf| {
                if norm.0 != f {
                    norm = (f, K1 * (1.0 - B + B * len as f32 / average[f]));
                }
                let idf = idf[f][stem as usize];
                let tf = tf as f32;
                let score = &mut scratch[stem as usize];
                if *score == UNSEEN {
                    held.push(stem);
                    *score = 0.0;
                }
                *score += FIELDS[f] * idf * tf * (K1 + 1.0) / (tf + norm.1);
            });
            held.into_iter()
                .map(|stem| {
                    let score = std::mem::replace(&mut scratch[stem as usize], UNSEEN);
                    (stem, quantize(score))
                })
                .collect()
        };
        // The counts and the postings are the largest tables of the index:
        // scored a chunk of documents at a time, each document's counts
        // freed once scored, the two are never held whole at once.
        let mut postings: Vec<Postings> = totals
            .postings
            .iter()
            .map(|&n| Postings::with_capacity(n as usize))
            .collect();
        // A chunk's scores are put into the postings, which is sequential,
        // while the other threads score the next chunk.
        let put = |postings: &mut Vec<Postings>, first: usize, scored: Vec<Vec<_>>| {
            for (d, scores) in (first as u32..).zip(scored) {
                for (stem, score) in scores {
                    postings[stem as usize].push(d, score);
                }
            }
        };
        let mut last = (0, Vec::new());
        for (c, chunk) in counted.chunks_mut(counted::CHUNK).enumerate() {
            let (first, scored) = std::mem::take(&mut last);
            let ((), next) = rayon::join(
                || put(&mut postings, first, scored),
                || {
                    chunk
                        .par_iter_mut()
                        // A scratch array for each of at most a few parts.
                        .with_min_len(counted::CHUNK / 8)
                        .map_init(
                            || vec![UNSEEN; stems],
                            |scratch, doc| score(scratch, &std::mem::take(doc)),
                        )
                        .collect()
                },
            );
            last = (c * counted::CHUNK, next);
        }
        put(&mut postings, last.0, last.1);
        drop(counted);
        let mut stems: Vec<Stem> = postings
            .into_iter()
            .enumerate()
            .filter(|(_, docs)| docs.len() > 0)
            .map(|(stem, docs)| (lexicon.name(stem as u32).to_string(), docs))
            .collect();
        stems.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut words: Vec<(String, (String, u32))> = word_docs
            .iter()
            .enumerate()
            .filter(|&(_, &count)| count > 0)
            .map(|(word, &count)| {
                let word = dictionary.name(word as u32);
                let stem = stem::with_stem(word, str::to_string);
                (word.to_string(), (stem, count))
            })
            .collect();
        words.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(Analysis { stems, words })
    }

    /// The indexed words (not the stop words) with their document counts.
    fn vocabulary(&self) -> Vocabulary {
        Vocabulary::from_sorted(
            self.words
                .iter()
                .filter(|(_, (stem, _))| !stem.is_empty())
                .map(|(word, (_, count))| (word.clone(), *count))
                .collect(),
        )
    }
}

/// The compounds the site spells both ways: each word of the site that is
/// two of its words joined ("datacenter", "postmortem"), by its first
/// half: `first -> [(second, stem of the whole)]`, by number. Halves of
/// three letters or more, so "a" + "cross" is not one.
fn compounds(
    dictionary: &Lexicon,
    word_docs: &[u32],
    lexicon: &mut Lexicon,
) -> FxHashMap<u32, Vec<(u32, u32)>> {
    let held = |word: &str| dictionary.get(word).filter(|&w| word_docs[w as usize] > 0);
    let mut found: FxHashMap<u32, Vec<(u32, u32)>> = FxHashMap::default();
    for (word, _) in word_docs.iter().enumerate().filter(|&(_, &n)| n > 0) {
        let word = dictionary.name(word as u32);
        for (at, _) in word.char_indices().skip(COMPOUND_HALF) {
            let (first, second) = word.split_at(at);
            if second.chars().nth(COMPOUND_HALF - 1).is_some()
                && let (Some(first), Some(second)) = (held(first), held(second))
            {
                let stem = lexicon.number(&stem::shared_stem(word));
                found.entry(first).or_default().push((second, stem));
            }
        }
    }
    found
}

/// The shortest half of a compound, in characters.
const COMPOUND_HALF: usize = 3;

/// Counts, for each compound the document spells in two words ("data
/// center"), the compound's stem too: a search for "datacenter" finds the
/// pages that say "data center". `castor search` does the same at query
/// time (`query::with_compounds`). Gives each field and stem it adds to
/// the document, for the totals.
fn count_compounds(
    counted: &mut Packed,
    doc: &Document,
    compounds: &FxHashMap<u32, Vec<(u32, u32)>>,
    dictionary: &Lexicon,
) -> Result<Vec<(usize, u32)>, Diagnostic> {
    // Most documents hold no compound's two halves: no need to read them again.
    let words: FxHashSet<u32> = counted.words().into_iter().collect();
    let halves = |(first, seconds): (&u32, &Vec<(u32, u32)>)| {
        words.contains(first) && seconds.iter().any(|(s, _)| words.contains(s))
    };
    if !compounds.iter().any(halves) {
        return Ok(Vec::new());
    }
    let mut fields = counted.fields();
    let mut added = Vec::new();
    for (f, (field, (stems, _))) in doc.texts()?.iter().zip(&mut fields).enumerate() {
        let mut previous: Option<u32> = None;
        stem::each_word(field, |word| {
            let this = dictionary.get(&word);
            if let Some(joined) = previous
                .and_then(|first| compounds.get(&first))
                .and_then(|seconds| seconds.iter().find(|(second, _)| Some(*second) == this))
            {
                match stems.iter_mut().find(|(stem, _)| *stem == joined.1) {
                    Some((_, n)) => *n += 1,
                    None => {
                        stems.push((joined.1, 1));
                        added.push((f, joined.1));
                    }
                }
            }
            previous = this;
        });
    }
    counted.set_fields(&fields);
    Ok(added)
}

/// The shard keys: prefixes of the stems, one character long where that
/// keeps a shard small, longer where it would not.
fn shard_keys(analysis: &Analysis) -> Vec<String> {
    let sized: Vec<(&str, usize)> = analysis
        .stems
        .iter()
        .map(|(stem, docs)| {
            (
                stem.as_str(),
                stem.len() + 8 + docs.len().min(FIRST_TIER) * 3,
            )
        })
        .collect();
    let mut keys = Vec::new();
    split(&sized, 1, &mut keys);
    keys
}

fn split(stems: &[(&str, usize)], chars: usize, keys: &mut Vec<String>) {
    let prefix = |stem: &str| -> String { stem.chars().take(chars).collect() };
    for run in stems.chunk_by(|a, b| prefix(a.0) == prefix(b.0)) {
        let size: usize = run.iter().map(|(_, s)| s).sum();
        if size <= SHARD_BYTES || chars >= MAX_KEY_CHARS {
            keys.push(prefix(run[0].0));
        } else {
            split(run, chars + 1, keys);
        }
    }
}

/// The shard a stem or word belongs to: its longest prefix among `keys`,
/// in byte order. `None` when no key is a prefix: no stem starts so.
pub fn shard_of<'k>(word: &str, keys: &'k [String]) -> Option<&'k str> {
    let ends = word.char_indices().map(|(at, _)| at).skip(1);
    let prefixes: Vec<&str> = ends
        .chain([word.len()])
        .take(MAX_KEY_CHARS)
        .map(|end| &word[..end])
        .collect();
    prefixes.iter().rev().find_map(|prefix| {
        keys.binary_search_by(|key| key.as_str().cmp(prefix))
            .ok()
            .map(|at| keys[at].as_str())
    })
}

#[derive(Serialize)]
struct Shard<'a> {
    /// Stem: its postings, [`encode`]d; its first tier when it has more.
    s: BTreeMap<&'a str, String>,
    /// Stem with further tiers: the best score of each further tier
    /// (`p/<stem>-1`, `-2`, ...), quantized: what a document not read yet
    /// can score at most.
    t: BTreeMap<&'a str, Vec<u32>>,
    /// Word: its stem, where the two differ.
    w: BTreeMap<&'a str, &'a str>,
}

/// What one shard is made from: its stems, and its words whose stem
/// differs, with that stem.
#[derive(Default)]
struct ShardOf<'a> {
    stems: Vec<&'a Stem>,
    words: Vec<(&'a str, &'a str)>,
}

/// Each shard of the stems (`t/<key>`) and each later tier of a common
/// stem's postings (`p/<stem>-<n>`), handed to `sink` unless `kept` takes
/// it. Gives what each shard was made from.
fn shards(analysis: &Analysis, keys: &[String], kept: &Kept, sink: &Sink) -> Made {
    let mut by_key: BTreeMap<&str, ShardOf> = keys
        .iter()
        .map(|k| (k.as_str(), ShardOf::default()))
        .collect();
    for stem in &analysis.stems {
        if let Some(shard) = shard_of(&stem.0, keys).and_then(|k| by_key.get_mut(k)) {
            shard.stems.push(stem);
        }
    }
    for (word, (stem, _)) in &analysis.words {
        if word != stem
            && !stem.is_empty()
            && let Some(shard) = shard_of(word, keys).and_then(|k| by_key.get_mut(k))
        {
            shard.words.push((word, stem));
        }
    }
    by_key
        .par_iter()
        .map(|(key, shard)| {
            let name = format!("t/{key}");
            let path = path_of(&name);
            let fingerprint = shard.fingerprint();
            // Every file of the shard is kept, or those that are not are
            // made again.
            let wanted: Option<FxHashSet<PathBuf>> = ((kept.made)(&path) == Some(fingerprint))
                .then(|| {
                    std::iter::once(path.clone())
                        .chain(shard.tier_paths())
                        .filter(|path| !(kept.keep)(path))
                        .collect()
                });
            if wanted.as_ref().is_none_or(|wanted| !wanted.is_empty()) {
                let want = |path: &Path| wanted.as_ref().is_none_or(|w| w.contains(path));
                shard.make(&name, &want, sink);
            }
            (path, fingerprint)
        })
        .collect()
}

impl ShardOf<'_> {
    /// A hash of everything the shard's files are made from.
    fn fingerprint(&self) -> u64 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        let mut bytes = Vec::new();
        for (stem, docs) in &self.stems {
            bytes.clear();
            bytes.extend_from_slice(&(stem.len() as u64).to_le_bytes());
            bytes.extend_from_slice(stem.as_bytes());
            bytes.extend_from_slice(&(docs.len() as u64).to_le_bytes());
            for (doc, score) in docs.pairs() {
                bytes.extend_from_slice(&doc.to_le_bytes());
                bytes.push(score);
            }
            h.update(&bytes);
        }
        for (word, stem) in &self.words {
            for text in [word, stem] {
                h.update(&(text.len() as u64).to_le_bytes());
                h.update(text.as_bytes());
            }
        }
        h.digest()
    }

    /// The paths of the further tiers of the shard's stems.
    fn tier_paths(&self) -> impl Iterator<Item = PathBuf> + '_ {
        self.stems.iter().flat_map(|(stem, docs)| {
            (1..tier_count(docs.len())).map(move |n| path_of(&format!("p/{stem}-{n}")))
        })
    }

    /// Hands the shard's file `name`, and its stems' further tiers, to
    /// `sink`: those of them `want` takes.
    fn make(&self, name: &str, want: &dyn Fn(&Path) -> bool, sink: &Sink) {
        let mut shard = Shard {
            s: BTreeMap::new(),
            t: BTreeMap::new(),
            w: self.words.iter().copied().collect(),
        };
        for (stem, docs) in &self.stems {
            let tiers = tiers(docs.pairs());
            shard.s.insert(stem, encode(&tiers[0]));
            if tiers.len() > 1 {
                let mut bounds = Vec::new();
                for (n, tier) in tiers.iter().enumerate().skip(1) {
                    bounds.push(
                        tier.iter()
                            .map(|&(_, score)| u32::from(score))
                            .max()
                            .unwrap_or(0),
                    );
                    let name = format!("p/{stem}-{n}");
                    if want(&path_of(&name)) {
                        sink(script(&name, &encode(tier)));
                    }
                }
                shard.t.insert(stem, bounds);
            }
        }
        if want(&path_of(name)) {
            sink(script(name, &shard));
        }
    }
}

/// How many tiers [`tiers`] cuts `docs` postings into.
fn tier_count(docs: usize) -> usize {
    1 + docs.saturating_sub(FIRST_TIER).div_ceil(TIER_DOCS)
}

/// A stem's postings in tiers: the best [`FIRST_TIER`] documents, then
/// the next best by [`TIER_DOCS`]; each tier in document order, as
/// [`encode`] wants them. Ties in score go to the lower number.
fn tiers(docs: impl Iterator<Item = (u32, u8)> + Clone) -> Vec<Vec<(u32, u8)>> {
    // Best first: the higher score, then the lower number.
    let rank = |a: &(u32, u8), b: &(u32, u8)| b.1.cmp(&a.1).then(a.0.cmp(&b.0));
    // The worst document of each tier but the last, found without
    // sorting: a common stem is in most documents.
    let mut bounds = Vec::new();
    let mut order: Vec<(u32, u8)> = docs.clone().collect();
    let (mut start, mut size) = (0, FIRST_TIER);
    while start + size < order.len() {
        let (_, worst, _) = order[start..].select_nth_unstable_by(size - 1, rank);
        bounds.push(*worst);
        start += size;
        size = TIER_DOCS;
    }
    // `docs` is in document order, and so is each tier taken from it.
    let mut tiers = vec![Vec::new(); bounds.len() + 1];
    for doc in docs {
        let tier = bounds.partition_point(|bound| rank(bound, &doc).is_lt());
        tiers[tier].push(doc);
    }
    tiers
}

/// A score in one byte: see [`SCORE_SCALE`].
fn quantize(score: f32) -> u8 {
    (score.ln_1p() * SCORE_SCALE).round().clamp(1.0, 255.0) as u8
}

/// Postings in base64: for each document, its distance from the previous
/// one as a varint (7 bits a byte, low first), then its score's byte.
/// About three characters a document, where JSON numbers took seven.
fn encode(docs: &[(u32, u8)]) -> String {
    let mut bytes = Vec::with_capacity(docs.len() * 2);
    let mut last = 0;
    for &(doc, score) in docs {
        let mut delta = doc - last;
        while delta >= 0x80 {
            bytes.push((delta as u8 & 0x7f) | 0x80);
            delta >>= 7;
        }
        bytes.push(delta as u8);
        bytes.push(score);
        last = doc;
    }
    base64(&bytes)
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}

#[derive(Serialize)]
struct Meta<'a> {
    version: u32,
    docs: usize,
    /// From `search/index/` back to the site root.
    root: String,
    shards: &'a [String],
    stop_words: &'a [&'a str],
    typo_min: usize,
    score_scale: f32,
    facet_chunk: usize,
    /// Every taxonomy, in the order of each row of the facet files.
    facets: Vec<Facet<'a>>,
}

/// A taxonomy as the search page filters by it.
#[derive(Serialize)]
struct Facet<'a> {
    /// The `search-<key>` select of the page.
    key: &'static str,
    /// The names of its terms, by number in the facet files.
    values: Vec<&'a str>,
}

fn meta<'a>(site: &'a Site, keys: &'a [String]) -> Meta<'a> {
    Meta {
        version: VERSION,
        docs: site.incidents.len() + site.advice.len(),
        root: urls::root_of(&format!("{DIR}/")),
        shards: keys,
        stop_words: STOP_WORDS,
        typo_min: TYPO_MIN_CHARS,
        score_scale: SCORE_SCALE,
        facet_chunk: FACET_CHUNK,
        facets: Taxonomy::ALL
            .iter()
            .map(|&t| Facet {
                key: t.key(),
                values: site
                    .terms(t)
                    .iter()
                    .map(|term| term.name.as_str())
                    .collect(),
            })
            .collect(),
    }
}

/// A document's terms of one taxonomy: a number for a taxonomy with one
/// term per incident, a list for the others; -1 or none for an advice page.
#[derive(Serialize)]
#[serde(untagged)]
enum Cell<'a> {
    One(i64),
    Many(&'a [usize]),
}

/// Per document, its [`Cell`] of each taxonomy, in [`Taxonomy::ALL`]'s
/// order.
fn facets(site: &Site) -> Vec<OutputFile> {
    let rows: Vec<Vec<Cell>> = site
        .links
        .iter()
        .map(|l| {
            Taxonomy::ALL
                .iter()
                .map(|&t| match l.terms(t) {
                    &[one] if t.is_single() => Cell::One(one as i64),
                    many => Cell::Many(many),
                })
                .collect()
        })
        .chain(site.advice.iter().map(|_| {
            Taxonomy::ALL
                .iter()
                .map(|t| match t.is_single() {
                    true => Cell::One(-1),
                    false => Cell::Many(&[]),
                })
                .collect()
        }))
        .collect();
    rows.chunks(FACET_CHUNK)
        .enumerate()
        .map(|(n, chunk)| script(&format!("f/{n}"), &chunk))
        .collect()
}

/// `v/<len>.js`: `[word, stem, documents]` for every word of `len - 1` to
/// `len + 1` characters, for query words of `len` characters the site
/// does not hold.
fn typo_lists(analysis: &Analysis) -> Vec<OutputFile> {
    let mut by_len: BTreeMap<usize, Vec<(&str, &str, u32)>> = BTreeMap::new();
    for (word, (stem, count)) in &analysis.words {
        if stem.is_empty() {
            continue;
        }
        let len = word.chars().count();
        for target in len.saturating_sub(1)..=len + 1 {
            if target >= TYPO_MIN_CHARS {
                by_len.entry(target).or_default().push((word, stem, *count));
            }
        }
    }
    by_len
        .iter()
        .map(|(len, words)| script(&format!("v/{len}"), words))
        .collect()
}

/// A file of the index: a script handing its data to the page.
fn script(name: &str, value: &impl Serialize) -> OutputFile {
    let mut bytes = b"castorIndex(".to_vec();
    // Maps with string keys, strings and numbers always serialize, and a
    // Vec takes every byte.
    let _ = serde_json::to_writer(&mut bytes, name);
    bytes.push(b',');
    let _ = serde_json::to_writer(&mut bytes, value);
    bytes.extend_from_slice(b");\n");
    // Up to half of a grown buffer is spare: at 100,000 incidents, the
    // index's files are a gigabyte.
    bytes.shrink_to_fit();
    OutputFile {
        path: path_of(name),
        bytes,
    }
}

/// Where the file of the index named `name` goes in the site.
fn path_of(name: &str) -> PathBuf {
    format!("{DIR}/{name}.js").into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_encode_as_varints_and_bytes_in_base64() {
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
        // Documents 1 and 201: deltas 1 and 200 (two varint bytes).
        assert_eq!(
            encode(&[(1, 9), (201, 255)]),
            base64(&[1, 9, 0xc8, 0x01, 255])
        );
        assert_eq!(quantize(0.0), 1);
        assert_eq!(quantize(1e9), 255);
    }

    #[test]
    fn a_common_stem_keeps_its_best_documents_first() {
        let docs: Vec<(u32, u8)> = (0..FIRST_TIER as u32 + TIER_DOCS as u32 + 1)
            .map(|d| (d, (d % 200) as u8 + 1))
            .collect();
        let tiers = tiers(docs.iter().copied());
        assert_eq!(
            tiers.iter().map(Vec::len).collect::<Vec<_>>(),
            [FIRST_TIER, TIER_DOCS, 1]
        );
        for pair in tiers.windows(2) {
            let worst = pair[0].iter().map(|d| d.1).min();
            let best = pair[1].iter().map(|d| d.1).max();
            assert!(worst >= best, "{worst:?} < {best:?}");
        }
        assert!(tiers.iter().all(|t| t.is_sorted()));
        assert_eq!(tiers.concat().len(), docs.len());
    }

    #[test]
    fn tiers_are_the_best_documents_first_cut_and_each_in_document_order() {
        // Few scores, so most documents tie with others.
        let docs: Vec<(u32, u8)> = (0..FIRST_TIER as u32 + 2 * TIER_DOCS as u32 + 77)
            .map(|d| (d, (d.wrapping_mul(7919) % 13) as u8 + 1))
            .collect();
        let mut best = docs.clone();
        best.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let (first, rest) = best.split_at(FIRST_TIER);
        let sorted: Vec<Vec<(u32, u8)>> = std::iter::once(first)
            .chain(rest.chunks(TIER_DOCS))
            .map(|tier| {
                let mut tier = tier.to_vec();
                tier.sort();
                tier
            })
            .collect();
        assert_eq!(tiers(docs.iter().copied()), sorted);
        assert_eq!(
            tiers(docs[..FIRST_TIER].iter().copied()),
            vec![docs[..FIRST_TIER].to_vec()]
        );
    }

    #[test]
    fn tier_count_says_how_many_tiers_are_cut() {
        for len in [0, 1, FIRST_TIER, FIRST_TIER + 1, FIRST_TIER + TIER_DOCS]
            .into_iter()
            .chain([FIRST_TIER + TIER_DOCS + 1, FIRST_TIER + 3 * TIER_DOCS - 1])
        {
            let docs: Vec<(u32, u8)> = (0..len as u32).map(|d| (d, 1)).collect();
            assert_eq!(
                tier_count(len),
                tiers(docs.iter().copied()).len().max(1),
                "{len} documents"
            );
        }
    }

    /// The files `shards` hands on with `kept`, by path.
    fn shard_files(analysis: &Analysis, kept: &Kept) -> (BTreeMap<PathBuf, Vec<u8>>, Made) {
        let files = std::sync::Mutex::new(BTreeMap::new());
        let sink = |file: OutputFile| {
            files.lock().unwrap().insert(file.path, file.bytes);
        };
        let made = shards(analysis, &shard_keys(analysis), kept, &sink);
        (files.into_inner().unwrap(), made)
    }

    #[test]
    fn a_rebuild_makes_only_the_shards_it_lacks_or_whose_postings_changed() {
        let common: Vec<(u32, u8)> = (0..FIRST_TIER as u32 + TIER_DOCS as u32 + 5)
            .map(|d| (d, (d % 50) as u8 + 1))
            .collect();
        let mut analysis = Analysis {
            stems: vec![
                ("alert".into(), common.into_iter().collect()),
                ("zone".into(), [(3, 40), (8, 12)].into_iter().collect()),
            ],
            words: vec![("alerting".into(), ("alert".into(), 2))],
        };
        let (first, made) = shard_files(&analysis, &Kept::NOTHING);
        let paths: Vec<&Path> = first.keys().map(PathBuf::as_path).collect();
        let tier = path_of("p/alert-2");
        assert_eq!(
            paths,
            [
                path_of("p/alert-1"),
                tier.clone(),
                path_of("t/a"),
                path_of("t/z")
            ]
        );
        // All kept but one tier file, which is made as a first build
        // makes it.
        let lacking = |path: &Path| path != tier;
        let last = |path: &Path| made.get(path).copied();
        let kept = Kept {
            body: &|_, _| true,
            made: &last,
            keep: &lacking,
        };
        let (again, made_again) = shard_files(&analysis, &kept);
        assert_eq!(made_again, made);
        assert_eq!(again.keys().collect::<Vec<_>>(), [&tier]);
        assert_eq!(again[&tier], first[&tier]);
        // A score changed in one shard: that shard is made again whole,
        // the other one is kept.
        analysis.stems[1].1.scores[0] = 41;
        let (changed, _) = shard_files(&analysis, &kept);
        let (fresh, _) = shard_files(&analysis, &Kept::NOTHING);
        assert_eq!(changed.keys().collect::<Vec<_>>(), [&tier, &path_of("t/z")]);
        assert_eq!(changed[&path_of("t/z")], fresh[&path_of("t/z")]);
        assert_ne!(fresh[&path_of("t/z")], first[&path_of("t/z")]);
    }

    #[test]
    fn a_word_belongs_to_its_longest_key() {
        let keys: Vec<String> = ["a", "ce", "cer", "d"].map(String::from).to_vec();
        assert_eq!(shard_of("certif", &keys), Some("cer"));
        assert_eq!(shard_of("cell", &keys), Some("ce"));
        assert_eq!(shard_of("dns", &keys), Some("d"));
        assert_eq!(shard_of("zebra", &keys), None);
        assert_eq!(shard_of("c", &keys), None);
        assert_eq!(shard_of("", &keys), None);
    }

    /// The site splits and folds words as `castor search` does: the same
    /// words, so the same stems. (Rust's `is_alphanumeric` and JavaScript's
    /// `\p{L}\p{N}` differ on combining marks; `\p{Alphabetic}` does not.)
    #[test]
    #[ignore = "needs Node.js; run by .ci/run"]
    fn the_page_splits_words_as_the_index_does() {
        let text = "us-east-1 don't naïve IPv6 Ünïcode café-crème x86_64 O'Reilly 10.0.0.1 \
                    e\u{301}te\u{301} ᾳ\u{345}δ ΣΊΣΥΦΟΣ straße İstanbul 東京 ١٢٣ Ⅻ post-mortem \
                    datacenter data-center 2021-10-04 k8s SELinux";
        let mut rust = Vec::new();
        stem::each_word(text, |w| rust.push(w.to_string()));
        let script = format!(
            "const s = require({:?}); console.log(JSON.stringify(s.words(process.argv[1])));",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/themes/default/static/search.js"
            )
        );
        let out = std::process::Command::new("node")
            .args(["-e", &script, text])
            .output()
            .expect("Node.js is installed");
        let js: Vec<String> = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(js, rust);
        for word in ["us", "east", "don", "naïve", "ipv6", "crème"] {
            assert!(rust.iter().any(|w| w == word), "{word} in {rust:?}");
        }
    }

    #[test]
    fn sections_start_at_their_headings() {
        let body = crate::content::markdown::render(
            "Intro.\n\n## Timeline\n\nAt noon.\n\n## Lessons\n\nTest restores.\n",
            &crate::content::markdown::RenderOptions {
                allow_raw_html: false,
                first_line: 1,
            },
        )
        .0;
        let texts = body.contents.texts().unwrap();
        let found = sections(&body, &texts.text);
        assert_eq!(found[0], ("", "Intro."));
        assert_eq!(found[1].0, "timeline");
        assert!(found[1].1.contains("At noon."), "{found:?}");
        assert_eq!(found[2].0, "lessons");
    }
}
