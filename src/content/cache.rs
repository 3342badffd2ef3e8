//! Parsed documents kept between loads, by path, size and modification
//! time, so that after an edit only the edited file is parsed again.
//! `castor serve` keeps one in memory; `castor build` keeps one in
//! `.castor/cache/`, which turns the second build of an unchanged tree
//! from parsing every file into reading a few files.
//!
//! An entry is used only when the file's size and modification time, the
//! configuration (categories, raw HTML) and the castor binary itself are
//! those it was made under; anything else is parsed again. A cache that
//! cannot be read is ignored, never an error.

use std::ffi::{OsStr, OsString};
use std::fs::Metadata;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use anyhow::Context as _;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

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

/// One shard file, as written (borrowing the entries) and as read.
#[derive(Serialize, Deserialize)]
struct Shard<K, F> {
    key: K,
    files: Vec<F>,
}

impl Cache {
    /// The cache kept in `dir` by an earlier build; empty when there is
    /// none or it cannot be read.
    pub fn read(dir: &Path) -> Cache {
        let shards: Vec<Option<Shard<String, (PathBuf, Entry)>>> = (0..SHARDS)
            .into_par_iter()
            .map(|n| {
                let file = std::fs::File::open(shard_path(dir, n)).ok()?;
                rmp_serde::from_read(BufReader::new(file)).ok()
            })
            .collect();
        let mut entries = Entries::default();
        for shard in shards.into_iter().flatten() {
            if !entries.files.is_empty() && entries.key != shard.key {
                // Shards of different builds: trust none of them.
                return Cache::default();
            }
            entries.key = shard.key;
            let files = shard.files.into_iter();
            entries
                .files
                .extend(files.map(|(path, entry)| (path.into_os_string(), entry)));
        }
        Cache {
            entries: RwLock::new(entries),
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

    /// Writes the shards that changed to `dir`, each whole or not at all.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        if !entries.dirty.contains(&true) {
            return Ok(());
        }
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut shards: Vec<Vec<(&Path, &Entry)>> = vec![Vec::new(); SHARDS];
        for (path, entry) in &entries.files {
            let path = Path::new(path);
            let n = shard_of(path);
            if entries.dirty[n] {
                shards[n].push((path, entry));
            }
        }
        for (n, files) in shards.into_iter().enumerate() {
            if !entries.dirty[n] {
                continue;
            }
            let shard = Shard {
                key: &entries.key,
                files,
            };
            crate::guard::write_msgpack_atomically(&shard_path(dir, n), &shard)?;
        }
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
    /// the hash of its bytes.
    pub(super) fn put(&self, path: &Path, meta: &Metadata, parsed: &Parsed, content: u64) {
        self.misses.fetch_add(1, Ordering::Relaxed);
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
