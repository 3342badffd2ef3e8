//! Parsed documents kept between loads, by path, size and modification
//! time, so that after an edit only the edited file is parsed again.
//! `castor serve` keeps one in memory; `castor build` keeps one in
//! `.castor/cache/`, which turns the second build of an unchanged tree
//! from parsing every file into reading a few files.
//!
//! Bodies are kept apart, in a [`Store`] the cache's files point into:
//! a build reads back only the bodies it renders or indexes, one at a
//! time, and an edit appends one body to it.
//!
//! An entry is used only when the file's size and modification time, the
//! configuration (categories, raw HTML) and the castor binary itself are
//! those it was made under; anything else is parsed again. A cache that
//! cannot be read is ignored, never an error.

use std::ffi::{OsStr, OsString};
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use super::store::{self, Contents, Store};
use super::validate::Doc;
use crate::config::Config;
use crate::diagnostic::Diagnostic;

/// What parsing one file gave: the document, if it is valid, and its
/// problems.
pub(crate) type Parsed = (Option<Doc>, Vec<Diagnostic>);

/// On disk the entries are split by path into this many files, read in
/// parallel; an edit rewrites only the file its entry falls in.
const SHARDS: usize = 8;

#[derive(Default)]
pub struct Cache {
    entries: RwLock<Entries>,
    /// Where the cache is kept, when this process keeps it (a build,
    /// which holds the site's lock): new bodies go to its store. Without
    /// it they stay in memory.
    dir: Option<PathBuf>,
    /// Files answered from the cache, and files parsed, since it was read.
    hits: AtomicUsize,
    misses: AtomicUsize,
}

/// How a load used the cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Use {
    pub reused: usize,
    pub parsed: usize,
}

#[derive(Default)]
struct Entries {
    /// What the entries were made under: castor and the configuration.
    key: String,
    /// By path, as bytes: hashing a `Path` walks its components, and a
    /// load looks up every file of the site.
    files: FxHashMap<OsString, Entry>,
    /// The shards whose entries changed since the cache was read.
    dirty: [bool; SHARDS],
    /// Where the entries' bodies are, and new ones go.
    store: Option<Arc<Store>>,
}

#[derive(Clone, Serialize, Deserialize)]
struct Entry {
    version: FileVersion,
    parsed: Parsed,
    /// The file's bytes, hashed ([`bytes_hash`]): the search index's stamp
    /// takes it instead of reading the file again.
    content: u64,
}

/// What tells one version of a file from another without reading it: its
/// size, modification time, and on Unix its change time and inode, which
/// catch an edit copied with its old modification time (`cp -p`,
/// `rsync -a`), since no one can set them back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileVersion {
    pub len: u64,
    pub modified: u128,
    pub changed: u128,
    pub inode: u64,
}

impl FileVersion {
    pub fn of(meta: &Metadata) -> FileVersion {
        let nanos = |time: std::io::Result<SystemTime>| {
            time.ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos())
        };
        #[cfg(unix)]
        let (changed, inode) = {
            use std::os::unix::fs::MetadataExt;
            let changed = i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec());
            (u128::try_from(changed).unwrap_or(0), meta.ino())
        };
        #[cfg(not(unix))]
        let (changed, inode) = (0, 0);
        FileVersion {
            len: meta.len(),
            modified: nanos(meta.modified()),
            changed,
            inode,
        }
    }
}

/// One shard file, as written (borrowing the entries) and as read: each
/// entry with where its body is in the store of `store`'s generation.
#[derive(Serialize, Deserialize)]
struct Shard<K, F> {
    key: K,
    store: u64,
    files: Vec<F>,
}

/// An entry as a shard keeps it: by path, with where its body is in the
/// store.
type Kept = (PathBuf, Entry, Option<u64>);

/// The store holds this many bytes more than twice what the entries use
/// before a build copies what they use to a new one.
const STORE_SLACK: u64 = 64 << 20;

impl Cache {
    /// The cache kept in `dir` by an earlier build, to read from; empty
    /// when there is none or it cannot be read.
    pub fn read(dir: &Path) -> Cache {
        Cache {
            entries: RwLock::new(Entries::read(dir, false).unwrap_or_default()),
            ..Cache::default()
        }
    }

    /// The cache kept in `dir`, to keep there again: the caller holds the
    /// site's lock.
    pub fn open(dir: &Path) -> Cache {
        Cache {
            entries: RwLock::new(Entries::read(dir, true).unwrap_or_default()),
            dir: Some(dir.to_path_buf()),
            ..Cache::default()
        }
    }

    /// How many files the cache answered and how many were parsed.
    pub fn used(&self) -> Use {
        Use {
            reused: self.hits.load(Ordering::Relaxed),
            parsed: self.misses.load(Ordering::Relaxed),
        }
    }

    /// Writes the shards that changed to the directory the cache was
    /// opened in, each whole or not at all. Entries whose body is not in
    /// the store are left out: the next build parses their files again.
    pub fn write(&self) -> anyhow::Result<()> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if !entries.dirty.contains(&true) {
            return Ok(());
        }
        let Some(store) = entries.store.clone() else {
            return Ok(());
        };
        let store = match entries.live() * 2 + STORE_SLACK < store.len() {
            true => entries.compact(dir)?,
            false => store,
        };
        let mut shards: Vec<Vec<_>> = vec![Vec::new(); SHARDS];
        for (path, entry) in &entries.files {
            let path = Path::new(path);
            let n = shard_of(path);
            let at = entry.stored().and_then(Contents::stored_at);
            if entries.dirty[n] && (at.is_some() || entry.parsed.0.is_none()) {
                shards[n].push((path, entry, at));
            }
        }
        for (n, files) in shards.into_iter().enumerate() {
            if !entries.dirty[n] {
                continue;
            }
            let shard = Shard {
                key: &entries.key,
                store: store.generation(),
                files,
            };
            crate::guard::write_msgpack_atomically(&shard_path(dir, n), &shard)?;
        }
        entries.dirty = [false; SHARDS];
        // Only once no shard points into them.
        store::remove_others(dir, store.generation());
        Ok(())
    }

    /// Empties the cache if it was made by another castor binary or under
    /// another configuration.
    pub(super) fn start(&self, config: &Config) {
        let key = format!("{}\n{config:?}", binary_fingerprint());
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.key != key {
            *entries = Entries {
                key,
                files: FxHashMap::default(),
                dirty: [true; SHARDS],
                store: None,
            };
        }
    }

    pub(super) fn get(&self, path: &Path, meta: &Metadata) -> Option<Parsed> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let entry = entries.files.get(path.as_os_str())?;
        let hit = entry.version == FileVersion::of(meta);
        hit.then(|| {
            self.hits.fetch_add(1, Ordering::Relaxed);
            entry.parsed.clone()
        })
    }

    /// The hash of the bytes of the file at `path` ([`bytes_hash`]), if the
    /// cache holds it as it is at `version`.
    pub fn content(&self, path: &Path, version: &FileVersion) -> Option<u64> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let entry = entries.files.get(path.as_os_str())?;
        (entry.version == *version).then_some(entry.content)
    }

    /// Keeps what parsing a file gave, which the cache did not have, and
    /// the hash of its bytes; gives it back with its body in the store
    /// when the cache has one.
    pub(super) fn put(
        &self,
        path: &Path,
        meta: &Metadata,
        mut parsed: Parsed,
        content: u64,
    ) -> Parsed {
        self.misses.fetch_add(1, Ordering::Relaxed);
        if let (Some(doc), Some(store)) = (&mut parsed.0, self.store()) {
            let body = doc.body_mut();
            // Kept in memory when the store cannot take it.
            let at = body.contents.texts().and_then(|texts| store.append(&texts));
            if let Ok(at) = at {
                body.contents = body.contents.in_store(at, &store);
            }
        }
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        entries.dirty[shard_of(path)] = true;
        entries.files.insert(
            path.as_os_str().to_os_string(),
            Entry {
                version: FileVersion::of(meta),
                parsed: parsed.clone(),
                content,
            },
        );
        parsed
    }

    /// The store new bodies go to: made at the first one after the cache
    /// starts over. None when the cache is only read, or none can be made.
    fn store(&self) -> Option<Arc<Store>> {
        let dir = self.dir.as_ref()?;
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        if let Some(store) = &entries.store {
            return Some(Arc::clone(store));
        }
        drop(entries);
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.store.is_none() {
            entries.store = Store::create(dir).ok().map(Arc::new);
        }
        entries.store.clone()
    }

    /// Forgets the files that are not in `paths`.
    pub(super) fn keep_only<'a>(&self, paths: impl Iterator<Item = &'a Path>) {
        let paths: FxHashSet<&OsStr> = paths.map(Path::as_os_str).collect();
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        let Entries { files, dirty, .. } = &mut *entries;
        files.retain(|path, _| {
            let keep = paths.contains(path.as_os_str());
            if !keep {
                dirty[shard_of(Path::new(path))] = true;
            }
            keep
        });
    }
}

impl Entries {
    /// The entries kept in `dir`, their bodies in the store the shards
    /// name; `None` when they cannot all be trusted.
    fn read(dir: &Path, writable: bool) -> Option<Entries> {
        let shards: Vec<Option<Shard<String, Kept>>> = (0..SHARDS)
            .into_par_iter()
            .map(|n| crate::guard::read_msgpack(&shard_path(dir, n)))
            .collect();
        let mut shards = shards.into_iter().flatten().peekable();
        let first = shards.peek()?;
        let (key, generation) = (first.key.clone(), first.store);
        let store = Arc::new(Store::open(dir, generation, writable).ok()?);
        let mut files = FxHashMap::default();
        for shard in shards {
            if (&shard.key, shard.store) != (&key, generation) {
                // Shards of different builds: trust none of them.
                return None;
            }
            for (path, mut entry, at) in shard.files {
                match (&mut entry.parsed.0, at) {
                    (Some(doc), Some(at)) => {
                        let body = doc.body_mut();
                        if at + body.contents.stored_len() > store.len() {
                            return None;
                        }
                        body.contents = body.contents.in_store(at, &store);
                    }
                    // A file with errors has no body.
                    (None, None) => {}
                    _ => return None,
                }
                files.insert(path.into_os_string(), entry);
            }
        }
        Some(Entries {
            key,
            files,
            dirty: [false; SHARDS],
            store: Some(store),
        })
    }

    /// How many bytes of the store the entries use.
    fn live(&self) -> u64 {
        let stored = self.files.values().filter_map(Entry::stored);
        stored.map(Contents::stored_len).sum()
    }

    /// Copies the bodies of the entries to a new store, which it gives;
    /// every shard is to be written again, to point into it.
    fn compact(&mut self, dir: &Path) -> anyhow::Result<Arc<Store>> {
        let store = Arc::new(Store::create(dir)?);
        for entry in self.files.values_mut() {
            if entry.stored().is_some()
                && let Some(doc) = &mut entry.parsed.0
            {
                let body = doc.body_mut();
                let at = store.append(&*body.contents.texts()?)?;
                body.contents = body.contents.in_store(at, &store);
            }
        }
        self.dirty = [true; SHARDS];
        self.store = Some(Arc::clone(&store));
        Ok(store)
    }
}

impl Entry {
    /// The body's texts, if the store keeps them.
    fn stored(&self) -> Option<&Contents> {
        let contents = &self.parsed.0.as_ref()?.body().contents;
        contents.stored_at().is_some().then_some(contents)
    }
}

/// The hash of a file's bytes, as the parse cache keeps it.
pub fn bytes_hash(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

fn shard_path(dir: &Path, n: usize) -> PathBuf {
    dir.join(format!("documents-{n}.msgpack"))
}

fn shard_of(path: &Path) -> usize {
    let hash = xxhash_rust::xxh3::xxh3_64(path.as_os_str().as_encoded_bytes());
    (hash % SHARDS as u64) as usize
}

/// The running castor binary's size and modification time: a rebuilt
/// castor may parse differently, even under the same version number.
pub(crate) fn binary_fingerprint() -> String {
    let meta = std::env::current_exe().and_then(std::fs::metadata);
    match meta {
        Ok(meta) => format!(
            "{} {} {:?}",
            env!("CARGO_PKG_VERSION"),
            meta.len(),
            meta.modified().ok()
        ),
        // Unknown: never matches, so the cache is never trusted.
        Err(_) => format!("unknown {:?}", SystemTime::now()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{LoadOptions, load};

    fn basic() -> (PathBuf, Config) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic");
        let config = Config::load(&root).unwrap();
        (root, config)
    }

    /// Every document's file with its body's HTML and text, as loaded
    /// through `cache`.
    fn bodies(cache: Option<&Cache>) -> Vec<(PathBuf, String, String)> {
        let (root, config) = basic();
        let options = LoadOptions {
            config: &config,
            include_drafts: true,
            cache,
        };
        let (content, _) = load(&root, &options);
        let incidents = content.incidents.iter().map(|i| (&i.path, &i.body));
        let advice = content.advice.iter().map(|a| (&a.path, &a.body));
        let pages = content.pages.iter().map(|p| (&p.path, &p.body));
        incidents
            .chain(advice)
            .chain(pages)
            .map(|(path, body)| {
                let texts = body.contents.texts().unwrap();
                (path.clone(), texts.html.clone(), texts.text.clone())
            })
            .collect()
    }

    fn stores(dir: &Path) -> Vec<PathBuf> {
        let files = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path());
        files
            .filter(|p| p.extension().is_some_and(|e| e == "bin"))
            .collect()
    }

    #[test]
    fn bodies_read_back_from_the_store_as_parsed_and_after_it_is_copied() {
        let dir = tempfile::tempdir().unwrap();
        let parsed = bodies(None);
        let cache = Cache::open(dir.path());
        assert_eq!(bodies(Some(&cache)), parsed);
        cache.write().unwrap();
        let [store] = &stores(dir.path())[..] else {
            panic!("one store: {:?}", stores(dir.path()))
        };
        assert!(std::fs::metadata(store).unwrap().len() > 0);

        let cache = Cache::open(dir.path());
        assert_eq!(bodies(Some(&cache)), parsed);
        assert_eq!(cache.used().parsed, 0, "every body from the store");

        // What `write` does once the store holds too much it no longer uses.
        let copied = {
            let mut entries = cache.entries.write().unwrap();
            entries.compact(dir.path()).unwrap()
        };
        cache.write().unwrap();
        assert_eq!(
            stores(dir.path()),
            [store::path_of(dir.path(), copied.generation())]
        );
        let cache = Cache::open(dir.path());
        assert_eq!(bodies(Some(&cache)), parsed);
        assert_eq!(cache.used().parsed, 0);

        // A store shorter than its entries say: nothing of it is trusted.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(store::path_of(dir.path(), copied.generation()))
            .unwrap();
        file.set_len(copied.len() - 1).unwrap();
        let cache = Cache::open(dir.path());
        assert_eq!(bodies(Some(&cache)), parsed);
        assert_eq!(cache.used().reused, 0);
    }
}
