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
    combined(root, config, |rel, meta| {
        let mut file = Hasher::new();
        file.write(rel.as_os_str().as_encoded_bytes());
        file.write(&meta.len().to_le_bytes());
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        file.write(&mtime.to_le_bytes());
        file.0.digest()
    })
}

fn content_fingerprint(root: &Path, config: &Config) -> String {
    combined(root, config, |rel, _| {
        let mut file = Hasher::new();
        file.write(rel.as_os_str().as_encoded_bytes());
        if let Ok(bytes) = std::fs::read(root.join(rel)) {
            file.write(&bytes);
        }
        file.0.digest()
    })
}

/// The hash of every input file (book.toml and the content tree), added
/// up. A sum does not depend on the order directories list their files,
/// so nothing is sorted, and each file is hashed on its own, on every core.
///
/// `castor search` runs this on every query, so it avoids the slow parts
/// of a walk: directories are listed by file type alone, each file is
/// stated relative to its open directory, and the work is split over
/// plain threads (starting a thread pool cost as much as the split saves).
fn combined(root: &Path, config: &Config, hash: impl Fn(&Path, &Metadata) -> u64 + Sync) -> String {
    let mut files = vec![Input::Path(PathBuf::from(config::FILE_NAME))];
    list(root, &config.build.content, 0, &mut files);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = files.len().div_ceil(threads).max(1);
    let hash = &hash;
    let sum = std::thread::scope(|scope| {
        let parts: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .filter_map(|input| input.stat(root))
                        .map(|(rel, meta)| hash(&rel, &meta))
                        .fold(0u64, u64::wrapping_add)
                })
            })
            .collect();
        parts
            .into_iter()
            .map(|p| p.join().unwrap_or(0))
            .fold(0u64, u64::wrapping_add)
    });
    format!("{sum:016x}-{}", files.len())
}

/// A file to state: listed in a directory, or named.
enum Input {
    Listed(PathBuf, std::fs::DirEntry),
    Path(PathBuf),
}

impl Input {
    /// Its path relative to the root and its metadata, following links;
    /// `None` when it is gone or not a file.
    fn stat(&self, root: &Path) -> Option<(PathBuf, Metadata)> {
        let (rel, meta) = match self {
            Input::Listed(rel, entry) => (rel, entry.metadata()),
            Input::Path(rel) => (rel, std::fs::metadata(root.join(rel))),
        };
        let meta = meta.ok().filter(Metadata::is_file)?;
        Some((rel.clone(), meta))
    }
}

/// Links followed inside the content tree, at most; deeper is a loop.
const MAX_DEPTH: usize = 32;

/// Lists the files under `root/rel`, following links.
fn list(root: &Path, rel: &Path, depth: usize, out: &mut Vec<Input>) {
    let Ok(entries) = std::fs::read_dir(root.join(rel)) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = rel.join(entry.file_name());
        match entry.file_type() {
            Ok(t) if t.is_dir() => {
                if depth < MAX_DEPTH {
                    list(root, &path, depth + 1, out);
                }
            }
            Ok(t) if t.is_symlink() => match std::fs::metadata(root.join(&path)) {
                Ok(meta) if meta.is_dir() && depth < MAX_DEPTH => {
                    list(root, &path, depth + 1, out);
                }
                _ => out.push(Input::Path(path)),
            },
            _ => out.push(Input::Listed(path, entry)),
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
