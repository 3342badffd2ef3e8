//! The HTML and text of parsed bodies, kept in a file of the parse cache
//! instead of in memory: they are half of what a build of a large site
//! would otherwise hold at once. A body is written there as its file is
//! parsed, and read back by each stage that shows or indexes it, one
//! document at a time.
//!
//! A store file is only ever appended to, never rewritten: a new one (a
//! new generation) replaces it when the cache starts over or sheds what
//! it no longer uses, so a reader that opened the old one (`castor
//! serve`) still reads it whole. Each body is checked against its hash
//! as it is read back; a damaged store is removed, so that the next
//! build parses again.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

/// A body's HTML and its text without markup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Texts {
    pub html: String,
    /// For search and word counts.
    pub text: String,
}

/// What a body's [`Texts`] are, and where: in memory, or in a store.
/// Equal when the texts are, wherever they are.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Contents {
    hash: u64,
    html: u32,
    text: u32,
    /// Set when read: a cache entry keeps where it is stored beside it.
    #[serde(skip)]
    place: Place,
}

#[derive(Clone, Default)]
enum Place {
    /// Not read back from a cache, where only its place was kept.
    #[default]
    Unknown,
    Held(Arc<Texts>),
    Stored(u64, Arc<Store>),
}

impl Contents {
    pub fn held(texts: Texts) -> Contents {
        Contents {
            hash: hash(&texts.html, &texts.text),
            html: len(&texts.html),
            text: len(&texts.text),
            place: Place::Held(Arc::new(texts)),
        }
    }

    /// A hash of the texts.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// The texts, read from the store when they are there.
    pub fn texts(&self) -> io::Result<Arc<Texts>> {
        match &self.place {
            Place::Held(texts) => Ok(Arc::clone(texts)),
            Place::Stored(at, store) => store.read(*at, self).map(Arc::new),
            Place::Unknown => Err(io::Error::other("the parse cache lost a body")),
        }
    }

    /// Where the store keeps the texts, if a store does.
    pub(super) fn stored_at(&self) -> Option<u64> {
        match self.place {
            Place::Stored(at, _) => Some(at),
            _ => None,
        }
    }

    /// The same texts, at `at` in `store`.
    pub(super) fn in_store(&self, at: u64, store: &Arc<Store>) -> Contents {
        Contents {
            place: Place::Stored(at, Arc::clone(store)),
            ..self.clone()
        }
    }

    /// How many bytes the texts take in a store.
    pub(super) fn stored_len(&self) -> u64 {
        u64::from(self.html) + u64::from(self.text)
    }
}

impl PartialEq for Contents {
    fn eq(&self, other: &Contents) -> bool {
        (self.hash, self.html, self.text) == (other.hash, other.html, other.text)
    }
}

impl std::fmt::Debug for Contents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Contents({:016x}, {} + {} bytes)",
            self.hash, self.html, self.text
        )
    }
}

/// A body's size fits in `u32`: files are refused above
/// [`super::MAX_FILE_BYTES`], and a body is a few times its file at most.
fn len(text: &str) -> u32 {
    u32::try_from(text.len()).unwrap_or(u32::MAX)
}

fn hash(html: &str, text: &str) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(html.as_bytes());
    h.update(text.as_bytes());
    h.digest()
}

/// One store file: bodies one after the other, HTML then text.
pub struct Store {
    file: File,
    path: PathBuf,
    generation: u64,
    /// Its length, which appends move: held while one is written.
    end: Mutex<u64>,
}

impl Store {
    /// A new, empty store in `dir`, of a generation of its own.
    pub fn create(dir: &Path) -> io::Result<Store> {
        std::fs::create_dir_all(dir)?;
        let generation = new_generation();
        let path = path_of(dir, generation);
        let file = File::options()
            .read(true)
            .append(true)
            .create_new(true)
            .open(&path)?;
        Ok(Store {
            file,
            path,
            generation,
            end: Mutex::new(0),
        })
    }

    /// The store of `generation` in `dir`, to read, and when `writable`
    /// to append to.
    pub fn open(dir: &Path, generation: u64, writable: bool) -> io::Result<Store> {
        let path = path_of(dir, generation);
        let file = File::options().read(true).append(writable).open(&path)?;
        let end = file.metadata()?.len();
        Ok(Store {
            file,
            path,
            generation,
            end: Mutex::new(end),
        })
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// How many bytes it holds.
    pub fn len(&self) -> u64 {
        *self.end.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends `texts`, giving where they start.
    pub fn append(&self, texts: &Texts) -> io::Result<u64> {
        let mut end = self.end.lock().unwrap_or_else(|e| e.into_inner());
        let at = *end;
        let mut bytes = Vec::with_capacity(texts.html.len() + texts.text.len());
        bytes.extend_from_slice(texts.html.as_bytes());
        bytes.extend_from_slice(texts.text.as_bytes());
        // Opened to append: every write lands at the end, where `at` is.
        let written = io::Write::write_all(&mut &self.file, &bytes);
        if written.is_err() {
            // A part written or not, the length is unknown: ask the file.
            *end = self.file.metadata().map_or(u64::MAX, |m| m.len());
            written?;
        }
        *end = at + bytes.len() as u64;
        Ok(at)
    }

    /// The texts of `contents`, kept at `at`.
    fn read(&self, at: u64, contents: &Contents) -> io::Result<Texts> {
        let mut bytes = vec![0; contents.stored_len() as usize];
        let read = read_exact_at(&self.file, &mut bytes, at).and_then(|()| {
            let text = bytes.split_off(contents.html as usize);
            match (String::from_utf8(bytes), String::from_utf8(text)) {
                (Ok(html), Ok(text)) if hash(&html, &text) == contents.hash => {
                    Ok(Texts { html, text })
                }
                _ => Err(io::Error::from(io::ErrorKind::InvalidData)),
            }
        });
        read.map_err(|e| {
            // The next build starts the cache over instead of failing too.
            let _ = std::fs::remove_file(&self.path);
            io::Error::new(
                e.kind(),
                format!(
                    "the parse cache's copy of this body is damaged ({e}); it is removed, build again"
                ),
            )
        })
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, bytes: &mut [u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, bytes, at)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut bytes: &mut [u8], mut at: u64) -> io::Result<()> {
    while !bytes.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, bytes, at)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                bytes = &mut bytes[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

const PREFIX: &str = "bodies-";

pub(super) fn path_of(dir: &Path, generation: u64) -> PathBuf {
    dir.join(format!("{PREFIX}{generation:016x}.bin"))
}

/// Unlike any earlier one in the same directory: a clock's nanoseconds,
/// the process and a count of the process's stores.
fn new_generation() -> u64 {
    static MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let made = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    nanos ^ (u64::from(std::process::id()) << 40) ^ made.rotate_right(8)
}

/// Removes the store files of `dir` other than `keep`'s.
pub fn remove_others(dir: &Path, keep: u64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let keep = path_of(dir, keep);
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(PREFIX) && path != keep {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(html: &str, text: &str) -> Texts {
        Texts {
            html: html.to_string(),
            text: text.to_string(),
        }
    }

    #[test]
    fn bodies_read_back_as_appended_by_any_opener_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::create(dir.path()).unwrap());
        let (a, b) = (texts("<p>é</p>", "é\n"), texts("<h2>x</h2>", ""));
        let (at_a, at_b) = (store.append(&a).unwrap(), store.append(&b).unwrap());
        assert_eq!((at_a, at_b), (0, a.html.len() as u64 + a.text.len() as u64));
        let reopened = Arc::new(Store::open(dir.path(), store.generation(), false).unwrap());
        for (at, want) in [(at_a, &a), (at_b, &b)] {
            let contents = Contents::held(want.clone());
            for store in [&store, &reopened] {
                let read = contents.in_store(at, store).texts().unwrap();
                assert_eq!(*read, *want);
            }
        }
        assert_eq!(reopened.len(), store.len());
    }

    #[test]
    fn a_damaged_body_is_an_error_and_its_store_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::create(dir.path()).unwrap());
        let want = texts("<p>one</p>", "one\n");
        let at = store.append(&want).unwrap();
        let contents = Contents::held(want).in_store(at, &store);
        std::fs::write(&store.path, b"<p>two</p>two\n").unwrap();
        let error = contents.texts().unwrap_err();
        assert!(error.to_string().contains("damaged"), "{error}");
        assert!(!store.path.exists());
    }

    #[test]
    fn only_the_store_kept_remains() {
        let dir = tempfile::tempdir().unwrap();
        let old = Store::create(dir.path()).unwrap();
        let new = Store::create(dir.path()).unwrap();
        std::fs::write(dir.path().join("documents-0.msgpack"), b"").unwrap();
        remove_others(dir.path(), new.generation());
        assert!(!old.path.exists());
        assert!(new.path.exists());
        assert!(dir.path().join("documents-0.msgpack").exists());
    }
}
