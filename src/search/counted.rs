//! Each document's words and stems, counted: the browser index's first
//! and costliest step, and the one that depends on a document alone. A
//! build keeps the counts in `.castor/cache/`, by a hash of the text they
//! were counted from, and the next build counts again only the documents
//! whose searchable text changed; every score, posting and file is still
//! made from all the counts, as a first build makes them.
//!
//! The stored counts are numbered as the build numbers them: one table of
//! names for every shard, which a build only adds to, so a stored
//! document is taken as it is, without renumbering. The table is written
//! anew, without the names no document holds any longer, once those are
//! half of it.
//!
//! At 10,000 incidents, counting took half of the browser index's time.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use xxhash_rust::xxh3::Xxh3;

use super::stem;
use crate::diagnostic::Diagnostic;

/// On disk the counts are split by text hash into this many files, read
/// in parallel; an edit rewrites only the file its document falls in.
const SHARDS: usize = 8;

/// What one document holds: per field, each stem's count and the field's
/// length in tokens; and its distinct words. Stems and words by number in
/// the build's [`Lexicon`]s, unless said otherwise.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Counted<S = u32, W = u32> {
    pub fields: Vec<Field<S>>,
    pub words: Vec<W>,
}

impl<S, W> Counted<S, W> {
    /// The same counts, each stem and each word named anew.
    fn renamed<T, V>(
        &self,
        mut stem: impl FnMut(&S) -> T,
        word: impl FnMut(&W) -> V,
    ) -> Counted<T, V> {
        Counted {
            fields: self
                .fields
                .iter()
                .map(|(pairs, len)| (pairs.iter().map(|(s, tf)| (stem(s), *tf)).collect(), *len))
                .collect(),
            words: self.words.iter().map(word).collect(),
        }
    }
}

/// A field's stems with their counts, and its length in tokens.
pub(super) type Field<S = u32> = (Vec<(S, u32)>, u32);

/// Every document counted, with the stems and words they hold.
pub(super) struct Counts {
    pub stems: Lexicon,
    pub words: Lexicon,
    pub docs: Vec<Packed>,
    pub totals: Totals,
}

/// What the index takes of every document at once, added up once every
/// document is counted.
#[derive(Default)]
pub(super) struct Totals {
    /// How many documents hold each word.
    pub word_docs: Vec<u32>,
    /// By field: how many documents hold each stem there.
    pub stem_docs: Vec<Vec<u32>>,
    /// By field: its length in every document together.
    pub lengths: Vec<u64>,
    /// How many documents hold each stem in any field: the length of its
    /// postings, which are then made without spare room.
    pub postings: Vec<u32>,
    /// The last document counted in `postings` for each stem, plus one.
    last: Vec<u32>,
    /// Documents added.
    added: u32,
}

impl Totals {
    /// The totals of `docs`, whose stems and words are numbered below
    /// `stems` and `words`, each part of them added up on its own core; or
    /// the documents whose counts are damaged or numbered past either.
    fn of(docs: &[Packed], stems: usize, words: usize) -> Result<Totals, Vec<usize>> {
        // A few parts a core, each holding tables the size of the
        // lexicons: a core busy elsewhere leaves its parts to the others.
        let part = docs
            .len()
            .div_ceil(4 * rayon::current_num_threads())
            .max(CHUNK);
        docs.par_chunks(part)
            .enumerate()
            .map(|(p, docs)| {
                let mut totals = Totals::default();
                let mut damaged = Vec::new();
                for (d, doc) in (p * part..).zip(docs) {
                    if totals.add(doc, stems, words).is_none() {
                        damaged.push(d);
                    }
                }
                if damaged.is_empty() {
                    Ok(totals)
                } else {
                    Err(damaged)
                }
            })
            .reduce(
                || Ok(Totals::default()),
                |a, b| match (a, b) {
                    (Ok(a), Ok(b)) => Ok(a.plus(b)),
                    (Err(mut a), Err(b)) => {
                        a.extend(b);
                        Err(a)
                    }
                    (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
                },
            )
    }

    /// Both totals added together.
    fn plus(mut self, other: Totals) -> Totals {
        fn add<T: Copy + std::ops::AddAssign + Default>(to: &mut Vec<T>, from: &[T]) {
            if to.len() < from.len() {
                to.resize(from.len(), T::default());
            }
            to.iter_mut().zip(from).for_each(|(to, from)| *to += *from);
        }
        add(&mut self.word_docs, &other.word_docs);
        add(&mut self.lengths, &other.lengths);
        add(&mut self.postings, &other.postings);
        let fields = self.stem_docs.len().max(other.stem_docs.len());
        self.stem_docs.resize(fields, Vec::new());
        for (to, from) in self.stem_docs.iter_mut().zip(&other.stem_docs) {
            add(to, from);
        }
        // Sized as `grow` keeps it; what it holds matters only while
        // documents are added.
        self.last.resize(self.postings.len(), 0);
        self
    }

    /// Adds `doc`, read in place: nothing is allocated per document, and
    /// every stored document passes here once. `None` unless its bytes
    /// hold its counts whole with every stem below `stems` and every word
    /// below `words` (a stored document's may not, in a damaged file);
    /// the totals are then partly added, and of no use.
    fn add(&mut self, doc: &Packed, stems: usize, words: usize) -> Option<()> {
        let mut held = Reader::of(&doc.words);
        self.word_docs.resize(words, 0);
        for _ in 0..held.next()? {
            self.word_docs[held.below(words)? as usize] += 1;
        }
        let mut fields = Reader::of(&doc.fields);
        let count = fields.next()? as usize;
        // A field takes two bytes at least: a damaged count must not size
        // the tables.
        (count <= doc.fields.len() / 2).then_some(())?;
        self.grow(count, stems);
        self.added += 1;
        for f in 0..count {
            self.lengths[f] += u64::from(fields.next()?);
            for _ in 0..fields.next()? {
                let stem = fields.below(stems)? as usize;
                // Its count in the field, which no total takes.
                fields.next()?;
                self.stem_docs[f][stem] += 1;
                if self.last[stem] != self.added {
                    self.last[stem] = self.added;
                    self.postings[stem] += 1;
                }
            }
        }
        (held.done() && fields.done()).then_some(())
    }

    /// Makes room for at least `fields` fields and `stems` stems.
    pub fn grow(&mut self, fields: usize, stems: usize) {
        if self.lengths.len() < fields {
            self.lengths.resize(fields, 0);
            self.stem_docs.resize(fields, Vec::new());
        }
        for docs in &mut self.stem_docs {
            docs.resize(docs.len().max(stems), 0);
        }
        for docs in [&mut self.postings, &mut self.last] {
            docs.resize(docs.len().max(stems), 0);
        }
    }
}

/// Names each numbered once, so that the counts of every document are
/// numbers and the index's tables arrays.
#[derive(Default)]
pub(super) struct Lexicon {
    names: Vec<Arc<str>>,
    numbers: FxHashMap<Arc<str>, u32>,
}

impl Lexicon {
    /// The names in order, numbered from 0; `None` if one comes twice.
    fn of(names: &[String]) -> Option<Lexicon> {
        let mut lexicon = Lexicon::default();
        for (n, name) in names.iter().enumerate() {
            (lexicon.number(name) as usize == n).then_some(())?;
        }
        Some(lexicon)
    }

    pub fn number(&mut self, name: &str) -> u32 {
        if let Some(&n) = self.numbers.get(name) {
            return n;
        }
        let n = self.names.len() as u32;
        let name: Arc<str> = Arc::from(name);
        self.names.push(name.clone());
        self.numbers.insert(name, n);
        n
    }

    /// The number of `name`, if it has one.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.numbers.get(name).copied()
    }

    pub fn name(&self, n: u32) -> &str {
        &self.names[n as usize]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Every name, in the order of their numbers.
    fn names(&self) -> Vec<String> {
        self.names.iter().map(|name| name.to_string()).collect()
    }
}

/// A document counted from its text: its stems shared with the stemmer's
/// cache, its words borrowed from the text where they are lowercase.
type Fresh<'a> = Counted<Arc<str>, Cow<'a, str>>;

/// Counts `fields`, the texts of one document's searchable fields.
fn count<'a>(fields: &'a [Cow<'_, str>]) -> Fresh<'a> {
    let mut words: FxHashSet<Cow<'a, str>> = FxHashSet::default();
    let fields = fields
        .iter()
        .map(|text| {
            // Each word once, then its stem: a body repeats its words.
            // Sized for a new word every ten bytes, more than prose has:
            // growing the table as it filled took a sixth of the counting.
            let mut tf: FxHashMap<Cow<'a, str>, u32> =
                FxHashMap::with_capacity_and_hasher(text.len() / 10, Default::default());
            stem::each_word(text, |word| *tf.entry(word).or_default() += 1);
            let mut stems: FxHashMap<Arc<str>, u32> =
                FxHashMap::with_capacity_and_hasher(tf.len(), Default::default());
            words.reserve(tf.len());
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

/// Documents counted, or scored, at a time. A fresh document's stems and words are
/// strings until numbered, several times the size of its numbers: every
/// document's at once was the largest allocation of a first build.
pub(super) const CHUNK: usize = 2048;

/// A document to count.
pub(super) trait Countable: Sync {
    /// A hash of its searchable text ([`hash`]).
    fn hash(&self) -> Hash;
    /// The text of each of its fields: read only for a document that is
    /// counted, and held only while it is.
    fn texts(&self) -> Result<Vec<Cow<'_, str>>, Diagnostic>;
}

/// A document as a chunk finds it: its stored counts, or else its text,
/// to count.
type Looked<'t> = Result<Packed, Vec<Cow<'t, str>>>;

/// Counts every document, taking from `stored` those whose text it holds.
/// Gives the counts, and what to store for the next build.
pub(super) fn count_all<D: Countable>(
    documents: &[D],
    mut stored: Stored,
) -> Result<(Counts, ToStore), Diagnostic> {
    let hashes: Vec<Hash> = documents.par_iter().map(D::hash).collect();
    // The stored names keep their numbers; a fresh document's are
    // numbered after them, one by one, in the order of the documents.
    let names = (stored.stems.len(), stored.words.len());
    let (mut stems, mut words) = (
        std::mem::take(&mut stored.stems),
        std::mem::take(&mut stored.words),
    );
    // Stored counts are moved out of storage, not copied: at 100,000
    // incidents, copying held 230 MB twice. A text two documents share is
    // copied for all but the last.
    let mut uses: FxHashMap<&Hash, usize> = FxHashMap::default();
    for hash in &hashes {
        *uses.entry(hash).or_default() += 1;
    }
    let mut taken: Vec<Option<Packed>> = hashes
        .iter()
        .map(|hash| {
            let left = uses.get_mut(hash).map_or(0, |left| {
                *left -= 1;
                *left
            });
            stored.take(hash, left > 0)
        })
        .collect();
    let mut docs = Vec::with_capacity(documents.len());
    for (documents, taken) in documents.chunks(CHUNK).zip(taken.chunks_mut(CHUNK)) {
        let found: Vec<Looked> = documents
            .par_iter()
            .zip(taken)
            .map(|(doc, taken)| match taken.take() {
                Some(packed) => Ok(Ok(packed)),
                None => doc.texts().map(Err),
            })
            .collect::<Result<_, _>>()?;
        let fresh = count_fresh(&found, &mut stems, &mut words);
        // `fresh` holds a count exactly where `found` holds texts.
        docs.par_extend(found.into_par_iter().zip(fresh).map(|found| match found {
            (Ok(packed), _) => packed,
            (Err(_), fresh) => Packed::of(&fresh.unwrap_or_default()),
        }));
    }
    let (totals, damaged) = match Totals::of(&docs, stems.len(), words.len()) {
        Ok(totals) => (totals, Vec::new()),
        // Stored counts that read but do not hold together: counted again.
        Err(damaged) => {
            let texts: Vec<Looked> = damaged
                .iter()
                .map(|&d| documents[d].texts().map(Err))
                .collect::<Result<_, _>>()?;
            let fresh = count_fresh(&texts, &mut stems, &mut words);
            for (&d, fresh) in damaged.iter().zip(fresh) {
                docs[d] = Packed::of(&fresh.unwrap_or_default());
            }
            let totals = Totals::of(&docs, stems.len(), words.len())
                .expect("counted in this build, numbered in its lexicons");
            (totals, damaged)
        }
    };
    let mut dirty = dirty_shards(&hashes, &stored);
    // Their shards are written again, with the counts made now.
    for d in damaged {
        dirty[shard_of(&hashes[d])] = true;
    }
    let counts = Counts {
        stems,
        words,
        docs,
        totals,
    };
    let to_store = ToStore {
        hashes,
        dirty,
        generation: stored.generation,
        names,
    };
    Ok((counts, to_store))
}

/// Counts the documents of `found` that are texts, numbering their new
/// stems and words: `None` for the others.
fn count_fresh(found: &[Looked], stems: &mut Lexicon, words: &mut Lexicon) -> Vec<Option<Counted>> {
    let fresh: Vec<Option<Fresh>> = found
        .par_iter()
        .map(|found| found.as_ref().err().map(|texts| count(texts)))
        .collect();
    fresh
        .into_iter()
        .map(|fresh| fresh.map(|f| f.renamed(|s| stems.number(s), |w| words.number(w))))
        .collect()
}

/// The shards to write again: those that lack one of the documents, or
/// hold one the site no longer has.
fn dirty_shards(hashes: &[Hash], stored: &Stored) -> [bool; SHARDS] {
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
    for (n, shard) in stored.docs.iter().enumerate() {
        dirty[n] |= shard.as_ref().is_none_or(|docs| docs.len() != held[n]);
    }
    dirty
}

/// A hash of a document's searchable text, field by field.
pub(super) type Hash = [u64; 2];

/// The [`Hash`] of a document whose fields are `fields` and a last one
/// whose text hashes to `last`.
pub(super) fn hash<'a>(fields: impl Iterator<Item = &'a str>, last: u64) -> Hash {
    let mut hasher = Xxh3::new();
    for field in fields {
        hasher.update(&(field.len() as u64).to_le_bytes());
        hasher.update(field.as_bytes());
    }
    hasher.update(&last.to_le_bytes());
    let hash = hasher.digest128();
    [hash as u64, (hash >> 64) as u64]
}

fn shard_of(hash: &Hash) -> usize {
    (hash[0] % SHARDS as u64) as usize
}

/// The counts an earlier build kept.
#[derive(Default)]
pub struct Stored {
    /// Which table of names the documents are numbered in: 0 for none.
    generation: u64,
    /// The names, numbered in order.
    stems: Lexicon,
    words: Lexicon,
    /// By shard, its documents' counts (`None` where it could not be
    /// read).
    docs: Vec<Option<Vec<StoredDoc>>>,
    /// Where each document is: its shard, and its place there.
    index: FxHashMap<Hash, (usize, usize)>,
}

/// A document's counts as a shard keeps them: its fields
/// ([`encode_fields`]) and its words ([`encode_words`]).
type StoredDoc = (Hash, ByteBuf, ByteBuf);

/// The table of names every shard is numbered in.
#[derive(Serialize, Deserialize)]
struct Names {
    /// castor's binary: another one may count otherwise.
    key: String,
    /// Changes when the names are numbered anew, not when names are added.
    generation: u64,
    stems: Vec<String>,
    words: Vec<String>,
}

/// One file of counts, numbered in the table of `generation`.
#[derive(Serialize, Deserialize)]
struct Shard {
    key: String,
    generation: u64,
    docs: Vec<StoredDoc>,
}

/// Which documents a build counted, which shards it must write, and the
/// table of names its counts started from.
pub(super) struct ToStore {
    hashes: Vec<Hash>,
    dirty: [bool; SHARDS],
    generation: u64,
    /// How many stems and words the table held.
    names: (usize, usize),
}

impl Stored {
    /// The counts kept in `dir`: none when there are none, or they were
    /// kept by another castor binary.
    pub fn read(dir: &Path) -> Stored {
        let key = crate::content::binary_fingerprint();
        let read = |path: PathBuf| -> Option<(Names, Lexicon, Lexicon)> {
            let names: Names = crate::guard::read_msgpack(&path)?;
            let (stems, words) = (Lexicon::of(&names.stems)?, Lexicon::of(&names.words)?);
            (names.key == key && names.generation != 0).then_some((names, stems, words))
        };
        let (names, shards) = rayon::join(
            || read(dir.join(NAMES)),
            || {
                (0..SHARDS)
                    .into_par_iter()
                    .map(|n| {
                        let shard: Shard = crate::guard::read_msgpack(&shard_path(dir, n))?;
                        (shard.key == key).then_some(shard)
                    })
                    .collect::<Vec<_>>()
            },
        );
        let Some((names, stems, words)) = names else {
            return Stored::default();
        };
        let mut stored = Stored {
            generation: names.generation,
            stems,
            words,
            ..Stored::default()
        };
        for (n, shard) in shards.into_iter().enumerate() {
            // Numbered in another table: its numbers mean nothing here.
            let shard = shard.filter(|shard| shard.generation == names.generation);
            if let Some(shard) = &shard {
                let at = shard.docs.iter().enumerate();
                stored
                    .index
                    .extend(at.map(|(at, (hash, ..))| (*hash, (n, at))));
            }
            stored.docs.push(shard.map(|shard| shard.docs));
        }
        stored
    }

    /// The counts of the document whose text has `hash`, numbered as the
    /// build numbers them: moved out of storage, or copied when `copy`.
    fn take(&mut self, hash: &Hash, copy: bool) -> Option<Packed> {
        let &(n, at) = self.index.get(hash)?;
        let (_, fields, words) = &mut self.docs[n].as_mut()?[at];
        let (fields, words) = match copy {
            true => (fields.clone(), words.clone()),
            false => (std::mem::take(fields), std::mem::take(words)),
        };
        Some(Packed {
            fields: fields.into_vec().into(),
            words: words.into_vec().into(),
        })
    }
}

/// The file of the table of names.
const NAMES: &str = "counts-names.msgpack";

impl ToStore {
    /// Writes the table of names, when it grew or is numbered anew, and
    /// the shards whose documents changed to `dir`, each file whole or not
    /// at all. The table goes first: grown, it still numbers the shards
    /// written before it; numbered anew, it leaves them unread until they
    /// are written too.
    pub(super) fn write(&self, counts: &Counts, dir: &Path) -> anyhow::Result<()> {
        let held = |docs: &[u32]| docs.iter().filter(|&&n| n > 0).count();
        let (stems, words) = (counts.stems.len(), counts.words.len());
        // Names no document holds any longer are half the table or more.
        let anew = self.generation == 0
            || stems >= 2 * held(&counts.totals.postings).max(1)
            || words >= 2 * held(&counts.totals.word_docs).max(1);
        let added = (stems, words) != self.names;
        if !anew && !added && !self.dirty.contains(&true) {
            return Ok(());
        }
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let key = crate::content::binary_fingerprint();
        let (generation, renumber) = if anew {
            let renumber = Renumber {
                stems: kept(&counts.stems, &counts.totals.postings),
                words: kept(&counts.words, &counts.totals.word_docs),
            };
            (new_generation(self.generation), Some(renumber))
        } else {
            (self.generation, None)
        };
        if anew || added {
            let (stems, words) = match &renumber {
                Some(Renumber { stems, words }) => (stems.1.clone(), words.1.clone()),
                None => (counts.stems.names(), counts.words.names()),
            };
            let names = Names {
                key: key.clone(),
                generation,
                stems,
                words,
            };
            crate::guard::write_msgpack_atomically(&dir.join(NAMES), &names)?;
        }
        (0..SHARDS)
            .into_par_iter()
            .filter(|&n| anew || self.dirty[n])
            .try_for_each(|n| {
                let mut seen = FxHashSet::default();
                let docs = self
                    .hashes
                    .iter()
                    .zip(&counts.docs)
                    .filter(|(hash, _)| shard_of(hash) == n && seen.insert(*hash))
                    .map(|(hash, packed)| match &renumber {
                        Some(renumber) => renumber.doc(*hash, packed),
                        None => (
                            *hash,
                            packed.fields.to_vec().into(),
                            packed.words.to_vec().into(),
                        ),
                    })
                    .collect();
                let shard = Shard {
                    key: key.clone(),
                    generation,
                    docs,
                };
                crate::guard::write_msgpack_atomically(&shard_path(dir, n), &shard)
            })
    }
}

/// A generation other than `old` and 0: a new table must not number
/// shards written for an old one, which a crash may have left.
fn new_generation(old: u64) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut h = Xxh3::new();
    h.update(&now.to_le_bytes());
    h.update(&old.to_le_bytes());
    h.update(&std::process::id().to_le_bytes());
    match h.digest() {
        n if n == old || n == 0 => old.wrapping_add(1).max(1),
        n => n,
    }
}

/// A lexicon's names held by some document (`held` above 0), in their
/// order: each number's new number (`u32::MAX` for a name dropped), and
/// the names kept.
fn kept(lexicon: &Lexicon, held: &[u32]) -> (Vec<u32>, Vec<String>) {
    let mut names = Vec::new();
    let numbers = (0..lexicon.len() as u32)
        .map(|n| {
            if held.get(n as usize).is_some_and(|&h| h > 0) {
                names.push(lexicon.name(n).to_string());
                names.len() as u32 - 1
            } else {
                u32::MAX
            }
        })
        .collect();
    (numbers, names)
}

/// The table of names numbered anew, for stems and for words: see [`kept`].
struct Renumber {
    stems: (Vec<u32>, Vec<String>),
    words: (Vec<u32>, Vec<String>),
}

impl Renumber {
    /// A document's counts as a shard keeps them, numbered anew.
    fn doc(&self, hash: Hash, packed: &Packed) -> StoredDoc {
        let counted = packed
            .unpack()
            .renamed(|&s| self.stems.0[s as usize], |&w| self.words.0[w as usize]);
        let Packed { fields, words } = Packed::of(&counted);
        (hash, fields.into_vec().into(), words.into_vec().into())
    }
}

/// The number of fields; for each, its length, its number of stems and
/// each stem with its count.
fn encode_fields(fields: &[Field], bytes: &mut Vec<u8>) {
    // Room for three bytes a number, most often enough: a build packs
    // every document.
    let numbers: usize = fields.iter().map(|(pairs, _)| 2 + 2 * pairs.len()).sum();
    bytes.reserve(3 * (1 + numbers));
    put(bytes, fields.len() as u32);
    for (pairs, len) in fields {
        put(bytes, *len);
        put(bytes, pairs.len() as u32);
        for &(stem, tf) in pairs {
            put(bytes, stem);
            put(bytes, tf);
        }
    }
}

/// The number of words and each word.
fn encode_words(words: &[u32], bytes: &mut Vec<u8>) {
    bytes.reserve(3 * (1 + words.len()));
    put(bytes, words.len() as u32);
    for &word in words {
        put(bytes, word);
    }
}

fn put(bytes: &mut Vec<u8>, mut n: u32) {
    while n >= 0x80 {
        bytes.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    bytes.push(n as u8);
}

/// Reads varints from `bytes`, each checked to be whole and to fit.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn of(bytes: &[u8]) -> Reader<'_> {
        Reader { bytes, at: 0 }
    }

    fn next(&mut self) -> Option<u32> {
        let mut n = 0u32;
        for shift in (0..35).step_by(7) {
            let byte = *self.bytes.get(self.at)?;
            self.at += 1;
            if shift == 28 && byte & 0x70 != 0 {
                return None;
            }
            n |= u32::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Some(n);
            }
        }
        None
    }

    /// [`encode_fields`]'s fields.
    fn fields(&mut self) -> Option<Vec<Field>> {
        (0..self.next()?)
            .map(|_| {
                let len = self.next()?;
                let pairs = (0..self.next()?)
                    .map(|_| Some((self.next()?, self.next()?)))
                    .collect::<Option<_>>()?;
                Some((pairs, len))
            })
            .collect()
    }

    /// [`encode_words`]'s words.
    fn words(&mut self) -> Option<Vec<u32>> {
        (0..self.next()?).map(|_| self.next()).collect()
    }

    fn below(&mut self, limit: usize) -> Option<u32> {
        self.next().filter(|&n| (n as usize) < limit)
    }

    fn done(&self) -> bool {
        self.at == self.bytes.len()
    }
}

/// A document's counts as the build holds them between its passes:
/// encoded as the cache keeps them.
/// Every document's counts were the largest table of a rebuild, 75 MB of
/// heap at 10,000 incidents as [`Counted`]s, 17 MB packed with the chunk
/// being counted; each pass decodes one chunk at a time. The words apart,
/// since they are dropped first.
#[derive(Default)]
pub(super) struct Packed {
    fields: Box<[u8]>,
    words: Box<[u8]>,
}

impl Packed {
    fn of(counted: &Counted) -> Packed {
        let mut words = Vec::new();
        encode_words(&counted.words, &mut words);
        let mut packed = Packed {
            fields: Box::default(),
            words: words.into(),
        };
        packed.set_fields(&counted.fields);
        packed
    }

    fn unpack(&self) -> Counted {
        Counted {
            fields: self.fields(),
            words: self.words(),
        }
    }

    pub fn fields(&self) -> Vec<Field> {
        Self::read(&self.fields, |r| r.fields())
    }

    /// Its words; none once [`Packed::drop_words`] is called.
    pub fn words(&self) -> Vec<u32> {
        Self::read(&self.words, |r| r.words())
    }

    /// Calls `each(field, length, stem, count)` for each stem of each
    /// field, in field order, reading the encoding in place: scoring
    /// passes over every document, and needs no vectors of it.
    pub fn each_stem(&self, mut each: impl FnMut(usize, u32, u32, u32)) {
        Self::read(&self.fields, |r| {
            for f in 0..r.next()? as usize {
                let len = r.next()?;
                for _ in 0..r.next()? {
                    each(f, len, r.next()?, r.next()?);
                }
            }
            Some(())
        })
    }

    pub fn set_fields(&mut self, fields: &[Field]) {
        let mut bytes = Vec::new();
        encode_fields(fields, &mut bytes);
        self.fields = bytes.into();
    }

    pub fn drop_words(&mut self) {
        self.words = Box::default();
    }

    /// What `read` reads of `bytes`: nothing from none, as a packed
    /// document taken away or its words dropped leaves.
    fn read<T: Default>(bytes: &[u8], read: impl FnOnce(&mut Reader) -> Option<T>) -> T {
        if bytes.is_empty() {
            return T::default();
        }
        let mut reader = Reader::of(bytes);
        read(&mut reader)
            .filter(|_| reader.done())
            .expect("packed by Packed::of in this build")
    }
}

fn shard_path(dir: &Path, n: usize) -> PathBuf {
    dir.join(format!("counts-{n}.msgpack"))
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    /// Stored counts holding the documents of `hashes`, each encoded empty.
    fn stored(hashes: &[Hash]) -> Stored {
        let mut stored = Stored::default();
        for n in 0..SHARDS {
            let docs: Vec<StoredDoc> = hashes
                .iter()
                .filter(|h| shard_of(h) == n)
                .map(|h| (*h, ByteBuf::new(), ByteBuf::new()))
                .collect();
            let at = docs.iter().enumerate();
            stored.index.extend(at.map(|(at, (h, ..))| (*h, (n, at))));
            stored.docs.push(Some(docs));
        }
        stored
    }

    /// Each document's fields, as stems with their counts, and its words,
    /// by name and sorted: what numbering must not change.
    type Named = (Vec<(Vec<(String, u32)>, u32)>, Vec<String>);

    fn by_name(counts: &Counts) -> Vec<Named> {
        let named = |doc: &Packed| {
            let doc = doc.unpack();
            let fields = doc.fields.iter().map(|(pairs, len)| {
                let mut pairs: Vec<(String, u32)> = pairs
                    .iter()
                    .map(|&(s, tf)| (counts.stems.name(s).to_owned(), tf))
                    .collect();
                pairs.sort();
                (pairs, *len)
            });
            let mut words: Vec<String> = doc
                .words
                .iter()
                .map(|&w| counts.words.name(w).to_owned())
                .collect();
            words.sort();
            (fields.collect(), words)
        };
        counts.docs.iter().map(named).collect()
    }

    impl Countable for [Cow<'static, str>; 2] {
        fn hash(&self) -> Hash {
            hash(self.iter().map(|f| f.as_ref()), 0)
        }

        fn texts(&self) -> Result<Vec<Cow<'_, str>>, Diagnostic> {
            Ok(self.iter().map(|f| Cow::Borrowed(f.as_ref())).collect())
        }
    }

    #[test]
    fn documents_count_alike_in_any_chunk_fresh_or_stored() {
        let text = |n: usize, edit: &str| -> [Cow<'static, str>; 2] {
            [
                format!("Outage {n} of the {edit} database").into(),
                // "database" in both fields: one posting, a count in each.
                format!("Replicas word{n} failing {} times, database down", n % 7).into(),
            ]
        };
        let mut before: Vec<_> = (0..2 * CHUNK + 3).map(|n| text(n, "primary")).collect();
        // The same text twice: one stored document, taken by both.
        before.push(before[1].clone());
        let (counts, to_store) = count_all(&before, Stored::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        to_store.write(&counts, dir.path()).unwrap();
        // Nothing edited: every document is taken as stored.
        let (same, to_store) = count_all(&before, Stored::read(dir.path())).unwrap();
        assert_eq!(by_name(&same), by_name(&counts));
        assert_eq!(to_store.dirty, [false; SHARDS], "none is counted again");
        // Every third document edited, the others taken from storage.
        let mut after: Vec<_> = (0..2 * CHUNK + 3)
            .map(|n| text(n, if n % 3 == 0 { "edited" } else { "primary" }))
            .collect();
        after.push(after[1].clone());
        let (mixed, _) = count_all(&after, Stored::read(dir.path())).unwrap();
        let (anew, _) = count_all(&after, Stored::default()).unwrap();
        assert_eq!(by_name(&mixed), by_name(&anew));
        let first = &by_name(&anew)[2 * CHUNK];
        assert!(first.1.contains(&format!("word{}", 2 * CHUNK)), "{first:?}");
        assert_eq!(totals_by_name(&mixed), totals_by_name(&anew));
        assert_eq!(totals_by_name(&anew), totals_of_docs(&by_name(&anew)));
    }

    /// How many documents hold each word, per field each stem, and in
    /// any field each stem, by name, with each field's total length.
    type NamedTotals = (
        BTreeMap<String, u32>,
        Vec<BTreeMap<String, u32>>,
        BTreeMap<String, u32>,
        Vec<u64>,
    );

    /// The totals `count_all` added up, by name.
    fn totals_by_name(counts: &Counts) -> NamedTotals {
        let named = |lexicon: &Lexicon, docs: &[u32]| -> BTreeMap<String, u32> {
            let held = (0u32..).zip(docs).filter(|(_, n)| **n > 0);
            held.map(|(at, n)| (lexicon.name(at).to_owned(), *n))
                .collect()
        };
        let totals = &counts.totals;
        (
            named(&counts.words, &totals.word_docs),
            totals
                .stem_docs
                .iter()
                .map(|docs| named(&counts.stems, docs))
                .collect(),
            named(&counts.stems, &totals.postings),
            totals.lengths.clone(),
        )
    }

    /// The same totals, added up again from every document's counts.
    fn totals_of_docs(docs: &[Named]) -> NamedTotals {
        let (mut words, mut stems, mut lengths) = (BTreeMap::new(), Vec::new(), Vec::new());
        let mut any = BTreeMap::new();
        for (fields, doc_words) in docs {
            let held: BTreeSet<&String> = fields
                .iter()
                .flat_map(|(pairs, _)| pairs)
                .map(|(stem, _)| stem)
                .collect();
            for stem in held {
                *any.entry(stem.clone()).or_default() += 1;
            }
            for word in doc_words {
                *words.entry(word.clone()).or_default() += 1;
            }
            stems.resize(fields.len(), BTreeMap::new());
            lengths.resize(fields.len(), 0);
            for (f, (pairs, len)) in fields.iter().enumerate() {
                lengths[f] += u64::from(*len);
                for (stem, _) in pairs {
                    *stems[f].entry(stem.clone()).or_default() += 1;
                }
            }
        }
        (words, stems, any, lengths)
    }

    #[test]
    fn a_shard_is_written_again_when_a_document_comes_or_goes() {
        let (a, b, c) = ([0, 1], [SHARDS as u64, 2], [1, 3]);
        let kept = stored(&[a, b]);
        assert_eq!(dirty_shards(&[a, b], &kept), [false; SHARDS]);
        // The same text twice is one document of the shard.
        assert_eq!(dirty_shards(&[a, b, a], &kept), [false; SHARDS]);
        let gone = dirty_shards(&[a], &kept);
        assert!(gone[0] && gone.iter().filter(|d| **d).count() == 1);
        let new = dirty_shards(&[a, b, c], &kept);
        assert!(new[1] && new.iter().filter(|d| **d).count() == 1);
        // A shard that could not be read is written again.
        let mut damaged = stored(&[a, b]);
        damaged.docs[5] = None;
        assert!(dirty_shards(&[a, b], &damaged)[5]);
    }

    #[test]
    fn packed_counts_read_back_as_counted_until_their_words_are_dropped() {
        let counted = Counted {
            fields: vec![(vec![(0, 1), (300, 70_000)], 70_001), (vec![], 0)],
            words: vec![2, 1, 0, u32::MAX],
        };
        let mut packed = Packed::of(&counted);
        assert_eq!(packed.unpack(), counted);
        let edited = vec![(vec![(7, 2)], 2)];
        packed.set_fields(&edited);
        packed.drop_words();
        assert_eq!((packed.fields(), packed.words()), (edited, vec![]));
        assert_eq!(Packed::default().unpack(), Counted::default());
    }

    #[test]
    fn each_stem_reads_in_place_what_fields_decode() {
        let counted = Counted {
            fields: vec![
                (vec![(0, 1), (300, 70_000)], 70_001),
                (vec![], 0),
                (vec![(5, 3)], 4),
            ],
            words: vec![1],
        };
        let mut read = Vec::new();
        Packed::of(&counted).each_stem(|f, len, stem, tf| read.push((f, len, stem, tf)));
        assert_eq!(
            read,
            [(0, 70_001, 0, 1), (0, 70_001, 300, 70_000), (2, 4, 5, 3)]
        );
        Packed::default().each_stem(|_, _, _, _| panic!("nothing to read"));
    }

    #[test]
    fn totals_refuse_counts_damaged_or_past_the_lexicons() {
        let counted = Counted {
            fields: vec![(vec![(0, 1), (300, 70_000)], 70_001), (vec![], 0)],
            words: vec![2, 1, 0],
        };
        let packed = Packed::of(&counted);
        let adds =
            |packed: &Packed, stems, words| Totals::default().add(packed, stems, words).is_some();
        assert!(adds(&packed, 301, 3));
        // A stem or word out of its table, a cut, a byte too many, none, a
        // count of fields past the bytes.
        assert!(!adds(&packed, 300, 3));
        assert!(!adds(&packed, 301, 2));
        let with = |fields: &[u8], words: &[u8]| Packed {
            fields: fields.into(),
            words: words.into(),
        };
        let (fields, words) = (&packed.fields[..], &packed.words[..]);
        assert!(!adds(&with(&fields[..fields.len() - 1], words), 301, 3));
        assert!(!adds(&with(fields, &[words, &[0]].concat()), 301, 3));
        assert!(!adds(&with(&[0xff; 8], words), 301, 3));
        assert!(!adds(&with(&[], words), 301, 3));
        assert!(!adds(&with(&[0xff, 0xff, 0x03], words), 301, 3));
    }

    /// Two documents, the first counted from `first`, each field a text.
    fn docs(first: [&'static str; 2]) -> Vec<[Cow<'static, str>; 2]> {
        vec![
            first.map(Cow::Borrowed),
            ["Replicas failing".into(), "database down again".into()],
        ]
    }

    #[test]
    fn a_damaged_stored_document_is_counted_again() {
        let before = docs(["Outage of the primary", "database down"]);
        let (counts, to_store) = count_all(&before, Stored::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        to_store.write(&counts, dir.path()).unwrap();
        let mut stored = Stored::read(dir.path());
        let (n, at) = stored.index[&before[0].hash()];
        // A stem past the table: the file reads, its numbers do not.
        stored.docs[n].as_mut().unwrap()[at].1 = ByteBuf::from(vec![1, 1, 1, 200, 200, 3, 1]);
        let (again, to_store) = count_all(&before, stored).unwrap();
        assert_eq!(by_name(&again), by_name(&counts));
        assert_eq!(totals_by_name(&again), totals_by_name(&counts));
        assert!(to_store.dirty[n], "its shard is written again");
    }

    #[test]
    fn stored_counts_keep_their_numbers_and_the_table_drops_names_gone_from_half_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = |texts: &[[Cow<'static, str>; 2]]| {
            let (counts, to_store) = count_all(texts, Stored::read(dir.path())).unwrap();
            to_store.write(&counts, dir.path()).unwrap();
            counts
        };
        let names = || -> Names { crate::guard::read_msgpack(&dir.path().join(NAMES)).unwrap() };
        let first = docs([
            "Outage of the primary region",
            "certificate expired in rotation",
        ]);
        store(&first);
        let table = names();
        // A new word is added to the table: stored numbers stay.
        let edited = docs([
            "Outage of the primary region",
            "certificate expired in rotation, quorum lost",
        ]);
        let counts = store(&edited);
        let added = names();
        assert_eq!(added.generation, table.generation);
        assert_eq!(&added.stems[..table.stems.len()], table.stems.as_slice());
        assert!(
            added.stems.iter().any(|s| s == "quorum"),
            "{:?}",
            added.stems
        );
        assert_eq!(
            by_name(&count_all(&edited, Stored::read(dir.path())).unwrap().0),
            by_name(&counts)
        );
        // Most words gone: the table is numbered anew, without them.
        let other = vec![["Replicas failing".into(), "database down again".into()]];
        let counts = store(&other);
        let anew = names();
        assert_ne!(anew.generation, table.generation);
        assert!(
            !anew.stems.iter().any(|s| s == "quorum"),
            "{:?}",
            anew.stems
        );
        let (read, _) = count_all(&other, Stored::read(dir.path())).unwrap();
        assert_eq!(by_name(&read), by_name(&counts));
        let (fresh, _) = count_all(&other, Stored::default()).unwrap();
        assert_eq!(by_name(&read), by_name(&fresh));
    }
}
