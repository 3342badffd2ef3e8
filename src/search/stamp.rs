//! What an index was built from: the format version, castor's version and a
//! fingerprint of the content, stored beside the index so `castor search`
//! can tell a fresh index from a stale or incompatible one.
//!
//! Two fingerprints: a cheap one over every file's path, size and
//! modification time, checked on every search, and one over every byte,
//! computed only when the cheap one differs — so a `touch` or a checkout
//! that changes no byte does not cost a rebuild.

use std::fs::Metadata;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::{self, Config};

/// The stamp's file name inside the index directory. tantivy only ever
/// deletes files it created, so it leaves this one alone.
pub const FILE_NAME: &str = "castor-index.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub format: u32,
    pub castor: String,
    /// Over path, size and modification time of every input file.
    pub files: String,
    /// Over path and bytes of every input file.
    pub content: String,
}

/// Whether an index on disk can answer for the content as it is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    Missing,
    /// Written by another format or another castor.
    Incompatible,
    /// The content changed since.
    Stale,
}

impl Freshness {
    /// Why a rebuild is needed, for the one line `castor search` prints.
    pub fn reason(self) -> &'static str {
        match self {
            Freshness::Fresh => "the index is up to date",
            Freshness::Missing => "no search index yet",
            Freshness::Incompatible => "the search index was written by another version of castor",
            Freshness::Stale => "the content changed since the search index was built",
        }
    }
}

impl Stamp {
    /// The stamp of the content under `root` as it is now.
    pub fn of(root: &Path, config: &Config) -> Stamp {
        Stamp {
            format: super::schema::FORMAT_VERSION,
            castor: env!("CARGO_PKG_VERSION").into(),
            files: quick_fingerprint(root, config),
            content: content_fingerprint(root, config),
        }
    }

    /// Whether the index was written in this castor's format.
    pub fn is_compatible(&self) -> bool {
        self.format == super::schema::FORMAT_VERSION && self.castor == env!("CARGO_PKG_VERSION")
    }

    pub fn read(index_dir: &Path) -> Option<Stamp> {
        let text = std::fs::read_to_string(index_dir.join(FILE_NAME)).ok()?;
        serde_json::from_str(&text).ok()
    }

    pub fn write(&self, index_dir: &Path) -> std::io::Result<()> {
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(index_dir.join(FILE_NAME), json)
    }
}

/// Compares the index under `index_dir` with the content under `root`,
/// reading file bytes only when sizes or times changed.
pub fn freshness(root: &Path, config: &Config, index_dir: &Path) -> Freshness {
    let Some(stored) = Stamp::read(index_dir) else {
        return if index_dir.exists() {
            Freshness::Incompatible
        } else {
            Freshness::Missing
        };
    };
    if !stored.is_compatible() {
        return Freshness::Incompatible;
    }
    let quick = quick_fingerprint(root, config);
    if quick == stored.files || content_fingerprint(root, config) == stored.content {
        Freshness::Fresh
    } else {
        Freshness::Stale
    }
}

fn quick_fingerprint(root: &Path, config: &Config) -> String {
    let mut files = Hasher::new();
    for (rel, meta) in inputs(root, config) {
        files.write(rel.as_os_str().as_encoded_bytes());
        files.write(&meta.len().to_le_bytes());
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        files.write(&mtime.to_le_bytes());
    }
    files.hex()
}

fn content_fingerprint(root: &Path, config: &Config) -> String {
    // Each file is hashed on its own, in parallel, then the hashes in order.
    let files: Vec<u64> = inputs(root, config)
        .par_iter()
        .map(|(rel, _)| {
            let mut file = Hasher::new();
            file.write(rel.as_os_str().as_encoded_bytes());
            if let Ok(bytes) = std::fs::read(root.join(rel)) {
                file.write(&bytes);
            }
            file.0.digest()
        })
        .collect();
    let mut content = Hasher::new();
    for hash in files {
        content.write(&hash.to_le_bytes());
    }
    content.hex()
}

/// book.toml and every file of the content tree, by path relative to
/// `root`, with their metadata, in a stable order.
fn inputs(root: &Path, config: &Config) -> Vec<(PathBuf, Metadata)> {
    let mut files = Vec::new();
    if let Ok(meta) = std::fs::metadata(root.join(config::FILE_NAME)) {
        files.push((PathBuf::from(config::FILE_NAME), meta));
    }
    walk(root, &config.build.content, 0, &mut files);
    files
}

/// Links followed inside the content tree, at most; deeper is a loop.
const MAX_DEPTH: usize = 32;

/// Lists `root/rel` recursively. Each entry is stated relative to its
/// open directory, on every core: on every search, resolving 10,000 full
/// paths one by one cost more than the search itself.
fn walk(root: &Path, rel: &Path, depth: usize, out: &mut Vec<(PathBuf, Metadata)>) {
    let Ok(entries) = std::fs::read_dir(root.join(rel)) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    let stated: Vec<(PathBuf, Metadata)> = entries
        .par_iter()
        .filter_map(|entry| {
            let path = rel.join(entry.file_name());
            let meta = match entry.file_type() {
                Ok(t) if t.is_symlink() => std::fs::metadata(root.join(&path)),
                _ => entry.metadata(),
            };
            Some((path, meta.ok()?))
        })
        .collect();
    for (path, meta) in stated {
        if meta.is_dir() {
            if depth < MAX_DEPTH {
                walk(root, &path, depth + 1, out);
            }
        } else if meta.is_file() {
            out.push((path, meta));
        }
    }
}

/// XXH3, 64 bits: a specified algorithm, so stable across Rust and crate
/// versions (unlike `DefaultHasher`), and fast enough to hash every byte
/// of the content in a few tens of milliseconds. Not a defence against
/// tampering.
struct Hasher(xxhash_rust::xxh3::Xxh3);

impl Hasher {
    fn new() -> Hasher {
        Hasher(xxhash_rust::xxh3::Xxh3::new())
    }

    fn write(&mut self, bytes: &[u8]) {
        // The length first, so ("ab", "c") and ("a", "bc") differ.
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    fn hex(&self) -> String {
        format!("{:016x}", self.0.digest())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_byte_makes_the_index_stale_and_a_touch_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("content/incidents")).unwrap();
        std::fs::write(root.join("content/incidents/a.md"), "one").unwrap();
        let config = Config::default();
        let index = root.join("index");
        assert_eq!(freshness(root, &config, &index), Freshness::Missing);
        std::fs::create_dir_all(&index).unwrap();
        assert_eq!(freshness(root, &config, &index), Freshness::Incompatible);
        Stamp::of(root, &config).write(&index).unwrap();
        assert_eq!(freshness(root, &config, &index), Freshness::Fresh);
        // Same bytes, new time: fresh, by the content fingerprint.
        std::fs::write(root.join("content/incidents/a.md"), "one").unwrap();
        assert_eq!(freshness(root, &config, &index), Freshness::Fresh);
        std::fs::write(root.join("content/incidents/a.md"), "two").unwrap();
        assert_eq!(freshness(root, &config, &index), Freshness::Stale);
    }
}
