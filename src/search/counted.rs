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

/// What the index takes of every document at once, added up as each one
/// is counted, so that no pass reads the counts again for it.
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
    /// Adds `doc`, whose stems and words are numbered below `stems` and
    /// `words`.
    fn add(&mut self, doc: &Counted, stems: usize, words: usize) {
        self.word_docs.resize(words, 0);
        for &word in &doc.words {
            self.word_docs[word as usize] += 1;
        }
        self.grow(doc.fields.len(), stems);
        self.added += 1;
        for (f, (pairs, len)) in doc.fields.iter().enumerate() {
            self.lengths[f] += u64::from(*len);
            for &(stem, _) in pairs {
                let stem = stem as usize;
                self.stem_docs[f][stem] += 1;
                if self.last[stem] != self.added {
                    self.last[stem] = self.added;
                    self.postings[stem] += 1;
                }
            }
        }
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

/// A document as a chunk finds it: its stored counts, with their shard,
/// or else its text, to count.
type Looked<'t> = Result<(usize, Counted), Vec<Cow<'t, str>>>;

/// Counts every document, taking from `stored` those whose text it holds.
/// Gives the counts, and what to store for the next build.
pub(super) fn count_all<D: Countable>(
    documents: &[D],
    stored: &Stored,
) -> Result<(Counts, ToStore), Diagnostic> {
    let hashes: Vec<Hash> = documents.par_iter().map(D::hash).collect();
    // Each name of a stored table is numbered once here, a fresh
    // document's one by one, in the order of the documents.
    let (mut stems, mut words) = (Lexicon::default(), Lexicon::default());
    let renumber = |tables: &[Vec<String>], lexicon: &mut Lexicon| -> Vec<Vec<u32>> {
        tables
            .iter()
            .map(|table| table.iter().map(|name| lexicon.number(name)).collect())
            .collect()
    };
    let (stem_tables, word_tables) = (
        renumber(&stored.stems, &mut stems),
        renumber(&stored.words, &mut words),
    );
    let mut docs = Vec::with_capacity(documents.len());
    let mut totals = Totals::default();
    for (documents, hashes) in documents.chunks(CHUNK).zip(hashes.chunks(CHUNK)) {
        // Stored documents come numbered by their shard's tables; the
        // others are read.
        let found: Vec<Looked> = documents
            .par_iter()
            .zip(hashes)
            .map(|(doc, hash)| match stored.get(hash) {
                Some(found) => Ok(Ok(found)),
                None => doc.texts().map(Err),
            })
            .collect::<Result<_, _>>()?;
        let fresh: Vec<Option<Fresh>> = found
            .par_iter()
            .map(|found| found.as_ref().err().map(|texts| count(texts)))
            .collect();
        let fresh: Vec<Option<Counted>> = fresh
            .into_iter()
            .map(|fresh| fresh.map(|f| f.renamed(|s| stems.number(s), |w| words.number(w))))
            .collect();
        // `fresh` holds a count exactly where `found` holds texts.
        let counted: Vec<Counted> = found
            .into_par_iter()
            .zip(fresh)
            .map(|found| match found {
                (Ok((shard, mut counted)), _) => {
                    let (stems, words) = (&stem_tables[shard], &word_tables[shard]);
                    for (pairs, _) in &mut counted.fields {
                        for (stem, _) in pairs {
                            *stem = stems[*stem as usize];
                        }
                    }
                    for word in &mut counted.words {
                        *word = words[*word as usize];
                    }
                    counted
                }
                (Err(_), fresh) => fresh.unwrap_or_default(),
            })
            .collect();
        // Adding up is sequential: it runs while the other threads pack.
        let (_, packed) = rayon::join(
            || {
                for doc in &counted {
                    totals.add(doc, stems.len(), words.len());
                }
            },
            || counted.par_iter().map(Packed::of).collect::<Vec<_>>(),
        );
        docs.extend(packed);
    }
    let dirty = dirty_shards(&hashes, stored);
    let counts = Counts {
        stems,
        words,
        docs,
        totals,
    };
    Ok((counts, ToStore { hashes, dirty }))
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
    /// By shard: its table of stems, its table of words, and its
    /// documents' encoded counts (`None` where it could not be read).
    stems: Vec<Vec<String>>,
    words: Vec<Vec<String>>,
    docs: Vec<Option<Vec<(Hash, ByteBuf)>>>,
    /// Where each document is: its shard, and its place there.
    index: FxHashMap<Hash, (usize, usize)>,
}

/// One file of counts: tables of stems and words, and each document's
/// counts as numbers in them, [`encode`]d.
#[derive(Serialize, Deserialize, Default)]
struct Shard {
    /// castor's binary: another one may count otherwise.
    key: String,
    stems: Vec<String>,
    words: Vec<String>,
    docs: Vec<(Hash, ByteBuf)>,
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
        let mut stored = Stored::default();
        for (n, shard) in shards.into_iter().enumerate() {
            let read = shard.is_some();
            let shard = shard.unwrap_or_default();
            let at = shard.docs.iter().enumerate();
            stored
                .index
                .extend(at.map(|(at, (hash, _))| (*hash, (n, at))));
            stored.stems.push(shard.stems);
            stored.words.push(shard.words);
            stored.docs.push(read.then_some(shard.docs));
        }
        stored
    }

    /// The counts of the document whose text has `hash`, numbered by its
    /// shard's tables, with the shard.
    fn get(&self, hash: &Hash) -> Option<(usize, Counted)> {
        let &(n, at) = self.index.get(hash)?;
        let bytes = &self.docs[n].as_ref()?[at].1;
        let counted = decode(bytes, self.stems[n].len(), self.words[n].len())?;
        Some((n, counted))
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
                let shard = Shard::of(key.clone(), counts, docs);
                crate::guard::write_msgpack_atomically(&shard_path(dir, n), &shard)
            })
    }
}

impl Shard {
    fn of<'a>(
        key: String,
        counts: &Counts,
        docs: impl Iterator<Item = (&'a Hash, &'a Packed)>,
    ) -> Shard {
        let mut stems = Table::new(&counts.stems);
        let mut words = Table::new(&counts.words);
        let docs = docs
            .map(|(hash, packed)| {
                let renumbered = packed
                    .unpack()
                    .renamed(|&s| stems.number(s), |&w| words.number(w));
                (*hash, ByteBuf::from(encode(&renumbered)))
            })
            .collect();
        Shard {
            key,
            stems: stems.names,
            words: words.names,
            docs,
        }
    }
}

/// A shard's table of names: the lexicon's numbers it holds, renumbered
/// in the order they come.
struct Table<'a> {
    lexicon: &'a Lexicon,
    numbers: Vec<u32>,
    names: Vec<String>,
}

impl Table<'_> {
    fn new(lexicon: &Lexicon) -> Table<'_> {
        Table {
            lexicon,
            numbers: vec![u32::MAX; lexicon.len()],
            names: Vec::new(),
        }
    }

    fn number(&mut self, n: u32) -> u32 {
        let number = &mut self.numbers[n as usize];
        if *number == u32::MAX {
            *number = self.names.len() as u32;
            self.names.push(self.lexicon.name(n).to_string());
        }
        *number
    }
}

/// A document's counts as varints (7 bits a byte, low first): its fields
/// ([`encode_fields`]), then its words ([`encode_words`]).
fn encode(counted: &Counted) -> Vec<u8> {
    let mut bytes = Vec::new();
    encode_fields(&counted.fields, &mut bytes);
    encode_words(&counted.words, &mut bytes);
    bytes
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

/// [`encode`]'s counts, if `bytes` hold them whole with every stem and
/// word in its table: anything else is a damaged file, to count again.
fn decode(bytes: &[u8], stems: usize, words: usize) -> Option<Counted> {
    let mut reader = Reader { bytes, at: 0 };
    let fields = reader.fields(stems)?;
    let words = reader.words(words)?;
    reader.done().then_some(Counted { fields, words })
}

/// Reads varints from `bytes`, each checked to be whole and to fit.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
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

    /// [`encode_fields`]'s fields, each stem below `stems`.
    fn fields(&mut self, stems: usize) -> Option<Vec<Field>> {
        (0..self.next()?)
            .map(|_| {
                let len = self.next()?;
                let pairs = (0..self.next()?)
                    .map(|_| Some((self.below(stems)?, self.next()?)))
                    .collect::<Option<_>>()?;
                Some((pairs, len))
            })
            .collect()
    }

    /// [`encode_words`]'s words, each below `words`.
    fn words(&mut self, words: usize) -> Option<Vec<u32>> {
        (0..self.next()?).map(|_| self.below(words)).collect()
    }

    fn below(&mut self, limit: usize) -> Option<u32> {
        self.next().filter(|&n| (n as usize) < limit)
    }

    fn done(&self) -> bool {
        self.at == self.bytes.len()
    }
}

/// A document's counts as the build holds them between its passes:
/// encoded as the cache keeps them, but numbered by the build's lexicons.
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
        Self::read(&self.fields, |r| r.fields(usize::MAX))
    }

    /// Its words; none once [`Packed::drop_words`] is called.
    pub fn words(&self) -> Vec<u32> {
        Self::read(&self.words, |r| r.words(usize::MAX))
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
        let mut reader = Reader { bytes, at: 0 };
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
            let docs: Vec<(Hash, ByteBuf)> = hashes
                .iter()
                .filter(|h| shard_of(h) == n)
                .map(|h| (*h, ByteBuf::new()))
                .collect();
            let at = docs.iter().enumerate();
            stored.index.extend(at.map(|(at, (h, _))| (*h, (n, at))));
            stored.stems.push(Vec::new());
            stored.words.push(Vec::new());
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
        let before: Vec<_> = (0..2 * CHUNK + 3).map(|n| text(n, "primary")).collect();
        let (counts, to_store) = count_all(&before, &Stored::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        to_store.write(&counts, dir.path()).unwrap();
        // Every third document edited, the others taken from storage.
        let after: Vec<_> = (0..2 * CHUNK + 3)
            .map(|n| text(n, if n % 3 == 0 { "edited" } else { "primary" }))
            .collect();
        let (mixed, _) = count_all(&after, &Stored::read(dir.path())).unwrap();
        let (anew, _) = count_all(&after, &Stored::default()).unwrap();
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
    fn counts_decode_as_encoded_and_damage_is_refused() {
        let counted = Counted {
            fields: vec![(vec![(0, 1), (300, 70_000)], 70_001), (vec![], 0)],
            words: vec![2, 1, 0],
        };
        let bytes = encode(&counted);
        assert_eq!(decode(&bytes, 301, 3), Some(counted));
        // A stem or word out of its table, a cut, a byte too many.
        assert_eq!(decode(&bytes, 300, 3), None);
        assert_eq!(decode(&bytes, 301, 2), None);
        assert_eq!(decode(&bytes[..bytes.len() - 1], 301, 3), None);
        assert_eq!(decode(&[bytes.as_slice(), &[0]].concat(), 301, 3), None);
        assert_eq!(decode(&[0xff; 8], 301, 3), None);
    }
}
