//! Each document's words and stems, counted: the browser index's first
//! and costliest step, and the one that depends on a document alone. A
//! build keeps the counts in `.castor/cache/`, by a hash of the text they
//! were counted from, and the next build counts again only the documents
//! whose searchable text changed; every score, posting and file is still
//! made from all the counts, as a first build makes them.
//!
//! At 10,000 incidents, counting took half of the browser index's time.

use std::borrow::Cow;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use super::stem;

/// On disk the counts are split by text hash into this many files, read
/// in parallel; an edit rewrites only the file its document falls in.
const SHARDS: usize = 8;

/// What one document holds: per field, each stem's count and the field's
/// length in tokens; and its distinct words.
pub(super) struct Counted<'a, S = u32> {
    /// By number in the build's [`Lexicon`].
    pub fields: Vec<Field<S>>,
    /// Borrowed from the text where the text has them lowercase already,
    /// or from the stored counts.
    pub words: Vec<Cow<'a, str>>,
}

/// A field's stems with their counts, and its length in tokens.
pub(super) type Field<S> = (Vec<(S, u32)>, u32);

/// A document counted from its text, its stems shared with the stemmer's
/// cache: a document's are mostly words every other document has.
type Fresh<'a> = Counted<'a, Arc<str>>;

/// Every document counted, with the stems they hold.
pub(super) struct Counts<'a> {
    pub stems: Lexicon,
    pub docs: Vec<Counted<'a>>,
}

/// The stems of a build, each numbered once, so that the counts of every
/// document are numbers and the index's tables arrays.
#[derive(Default)]
pub(super) struct Lexicon {
    names: Vec<Arc<str>>,
    numbers: FxHashMap<Arc<str>, u32>,
}

impl Lexicon {
    pub fn number(&mut self, stem: &Arc<str>) -> u32 {
        if let Some(&n) = self.numbers.get(stem) {
            return n;
        }
        let n = self.names.len() as u32;
        self.names.push(stem.clone());
        self.numbers.insert(stem.clone(), n);
        n
    }

    pub fn name(&self, n: u32) -> &str {
        &self.names[n as usize]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }
}

/// Counts `fields`, the texts of one document's searchable fields.
fn count<'a>(fields: &'a [Cow<'_, str>]) -> Fresh<'a> {
    let mut words: FxHashSet<Cow<'a, str>> = FxHashSet::default();
    let fields = fields
        .iter()
        .map(|text| {
            // Each word once, then its stem: a body repeats its words.
            let mut tf: FxHashMap<Cow<'a, str>, u32> = FxHashMap::default();
            stem::each_word(text, |word| *tf.entry(word).or_default() += 1);
            let mut stems: FxHashMap<Arc<str>, u32> = FxHashMap::default();
            let mut len = 0;
            for (word, n) in tf {
                let stem = stem::shared_stem(&word);
                if !stem.is_empty() {
                    *stems.entry(stem).or_default() += n;
                    len += n;
                    words.insert(word);
                }
            }
            (stems.into_iter().collect(), len)
        })
        .collect();
    Counted {
        fields,
        words: words.into_iter().collect(),
    }
}

/// Counts every document, taking from `stored` those whose text it holds.
/// Gives the counts, and what to store for the next build.
pub(super) fn count_all<'a>(
    documents: &[&'a [Cow<'_, str>]],
    stored: &'a Stored,
) -> (Counts<'a>, ToStore) {
    let hashes: Vec<Hash> = documents.par_iter().map(|d| hash(d)).collect();
    let found: Vec<Result<Counted, Fresh>> = documents
        .par_iter()
        .zip(&hashes)
        .map(|(fields, hash)| stored.get(hash).ok_or_else(|| count(fields)))
        .collect();
    // Stored documents are numbered by their shard's table: each stem of
    // a table is numbered once here, a fresh document's one by one.
    let mut stems = Lexicon::default();
    let renumber: Vec<Vec<u32>> = stored
        .stems
        .iter()
        .map(|table| table.iter().map(|stem| stems.number(stem)).collect())
        .collect();
    let docs = found
        .into_iter()
        .zip(&hashes)
        .map(|(found, hash)| match found {
            Ok(mut counted) => {
                let table = &renumber[stored.index[hash].0];
                for (pairs, _) in &mut counted.fields {
                    for (stem, _) in pairs {
                        *stem = table[*stem as usize];
                    }
                }
                counted
            }
            Err(fresh) => Counted {
                fields: fresh
                    .fields
                    .into_iter()
                    .map(|(pairs, len)| {
                        let pairs = pairs.iter().map(|(s, tf)| (stems.number(s), *tf));
                        (pairs.collect(), len)
                    })
                    .collect(),
                words: fresh.words,
            },
        })
        .collect();
    // A shard is written again when it lacks one of its documents, or holds
    // one the site no longer has.
    let mut held = [0usize; SHARDS];
    let mut dirty = [false; SHARDS];
    let distinct: FxHashSet<&Hash> = hashes.iter().collect();
    for hash in distinct {
        let n = shard_of(hash);
        match stored.index.contains_key(hash) {
            true => held[n] += 1,
            false => dirty[n] = true,
        }
    }
    for (n, shard) in stored.shards.iter().enumerate() {
        dirty[n] |= shard.as_ref().is_none_or(|s| s.docs.len() != held[n]);
    }
    (Counts { stems, docs }, ToStore { hashes, dirty })
}

/// A hash of a document's searchable text, field by field.
type Hash = [u64; 2];

fn hash(fields: &[Cow<str>]) -> Hash {
    let mut hasher = Xxh3::new();
    for field in fields {
        hasher.update(&(field.len() as u64).to_le_bytes());
        hasher.update(field.as_bytes());
    }
    let hash = hasher.digest128();
    [hash as u64, (hash >> 64) as u64]
}

fn shard_of(hash: &Hash) -> usize {
    (hash[0] % SHARDS as u64) as usize
}

/// The counts an earlier build kept.
#[derive(Default)]
pub struct Stored {
    /// By shard; `None` where the shard could not be read.
    shards: Vec<Option<Shard>>,
    /// Each stem of each shard, shared as the stemmer shares them.
    stems: Vec<Vec<Arc<str>>>,
    /// Where each document is: its shard, and its place there.
    index: FxHashMap<Hash, (usize, usize)>,
}

/// One file of counts: tables of stems and words, and each document's
/// counts as numbers in them.
#[derive(Serialize, Deserialize)]
struct Shard {
    /// castor's binary: another one may count otherwise.
    key: String,
    stems: Vec<String>,
    words: Vec<String>,
    docs: Vec<(Hash, Saved)>,
}

#[derive(Serialize, Deserialize)]
struct Saved {
    /// Per field: `(stem, count)` pairs, and the field's length.
    fields: Vec<(Vec<(u32, u32)>, u32)>,
    words: Vec<u32>,
}

/// Which documents a build counted, and which shards it must write.
pub(super) struct ToStore {
    hashes: Vec<Hash>,
    dirty: [bool; SHARDS],
}

impl Stored {
    /// The counts kept in `dir`: none when there are none, or they were
    /// kept by another castor binary.
    pub fn read(dir: &Path) -> Stored {
        let key = crate::content::binary_fingerprint();
        let shards: Vec<Option<Shard>> = (0..SHARDS)
            .into_par_iter()
            .map(|n| {
                let file = std::fs::File::open(shard_path(dir, n)).ok()?;
                let shard: Shard = rmp_serde::from_read(BufReader::new(file)).ok()?;
                (shard.key == key).then_some(shard)
            })
            .collect();
        let stems = shards
            .iter()
            .map(|shard| {
                shard.as_ref().map_or_else(Vec::new, |s| {
                    s.stems
                        .iter()
                        .map(|stem| Arc::from(stem.as_str()))
                        .collect()
                })
            })
            .collect();
        let index = shards
            .iter()
            .enumerate()
            .filter_map(|(n, shard)| Some((n, shard.as_ref()?)))
            .flat_map(|(n, shard)| {
                shard
                    .docs
                    .iter()
                    .enumerate()
                    .map(move |(at, (hash, _))| (*hash, (n, at)))
            })
            .collect();
        Stored {
            shards,
            stems,
            index,
        }
    }

    /// The counts of the document whose text has `hash`, its stems
    /// numbered by its shard's table.
    fn get(&self, hash: &Hash) -> Option<Counted<'_>> {
        let &(n, at) = self.index.get(hash)?;
        let shard = self.shards[n].as_ref()?;
        let saved = &shard.docs[at].1;
        // A number out of its table is a damaged file: count again.
        let stems = shard.stems.len() as u32;
        if saved
            .fields
            .iter()
            .flat_map(|f| &f.0)
            .any(|&(s, _)| s >= stems)
        {
            return None;
        }
        let words = saved
            .words
            .iter()
            .map(|&w| Some(Cow::Borrowed(shard.words.get(w as usize)?.as_str())))
            .collect::<Option<_>>()?;
        Some(Counted {
            fields: saved.fields.clone(),
            words,
        })
    }
}

impl ToStore {
    /// Writes the shards whose documents changed to `dir`, each whole or
    /// not at all.
    pub(super) fn write(&self, counts: &Counts, dir: &Path) -> anyhow::Result<()> {
        if !self.dirty.contains(&true) {
            return Ok(());
        }
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let key = crate::content::binary_fingerprint();
        (0..SHARDS)
            .into_par_iter()
            .filter(|&n| self.dirty[n])
            .try_for_each(|n| {
                let mut seen = FxHashSet::default();
                let docs = self
                    .hashes
                    .iter()
                    .zip(&counts.docs)
                    .filter(|(hash, _)| shard_of(hash) == n && seen.insert(*hash));
                let shard = Shard::of(key.clone(), &counts.stems, docs);
                crate::guard::write_msgpack_atomically(&shard_path(dir, n), &shard)
            })
    }
}

impl Shard {
    fn of<'a>(
        key: String,
        lexicon: &Lexicon,
        docs: impl Iterator<Item = (&'a Hash, &'a Counted<'a>)>,
    ) -> Shard {
        // The shard's table of stems, by number in the lexicon.
        let mut numbers = vec![u32::MAX; lexicon.len()];
        let mut stems = Vec::new();
        let mut words = Table::default();
        let docs = docs
            .map(|(hash, counted)| {
                let fields = counted
                    .fields
                    .iter()
                    .map(|(pairs, len)| {
                        let pairs = pairs
                            .iter()
                            .map(|&(stem, tf)| {
                                let n = &mut numbers[stem as usize];
                                if *n == u32::MAX {
                                    *n = stems.len() as u32;
                                    stems.push(lexicon.name(stem).to_string());
                                }
                                (*n, tf)
                            })
                            .collect();
                        (pairs, *len)
                    })
                    .collect();
                let words = counted.words.iter().map(|w| words.number(w)).collect();
                (*hash, Saved { fields, words })
            })
            .collect();
        Shard {
            key,
            stems,
            words: words.names,
            docs,
        }
    }
}

/// Names numbered in the order they come.
#[derive(Default)]
struct Table {
    names: Vec<String>,
    numbers: FxHashMap<String, u32>,
}

impl Table {
    fn number(&mut self, name: &str) -> u32 {
        if let Some(&n) = self.numbers.get(name) {
            return n;
        }
        let n = self.names.len() as u32;
        self.names.push(name.to_string());
        self.numbers.insert(name.to_string(), n);
        n
    }
}

fn shard_path(dir: &Path, n: usize) -> PathBuf {
    dir.join(format!("counts-{n}.msgpack"))
}
