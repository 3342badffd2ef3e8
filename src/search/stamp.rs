//! What an index was built from: the format version, castor's version and a
//! fingerprint of the content, stored beside the index so `castor search`
//! can tell a fresh index from a stale or incompatible one.
//!
//! Two fingerprints: a cheap one over every file's path, size and
//! modification time, checked on every search, and one over every byte,
//! computed only when the cheap one differs — so a `touch` or a checkout
//! that changes no byte does not cost a rebuild.
//!
//! The cheap one states every input file, which is most of what a search
//! costs at 10,000 incidents. The stamp also keeps the list of files, by
//! directory, with when each directory last changed: while no directory
//! changed, no file was added, removed or renamed, so a search states the
//! listed files without listing directories again.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

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
    /// The content directories and their files, when they can be trusted
    /// to say what a later listing would find (see [`changed`]).
    #[serde(default)]
    pub tree: Option<Vec<StoredDir>>,
}

/// A directory of the content tree as the stamp keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredDir {
    /// Relative to the site's root.
    path: String,
    /// When its entries last changed, as [`changed`] gives it.
    changed: u64,
    /// Every entry but subdirectories.
    names: Vec<String>,
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
        Stamp::knowing(root, config, &unknown)
    }

    /// [`Stamp::of`], reading only the files whose bytes `cache` does not
    /// know as they are: a build reads its parse cache first, and a
    /// rebuild need not read 750 MB of content at 100,000 incidents.
    pub fn of_cached(root: &Path, config: &Config, cache: &crate::content::Cache) -> Stamp {
        let known =
            |dir: &Path, name: &OsStr, file: &sys::File| cache.content(&dir.join(name), file);
        Stamp::knowing(root, config, &known)
    }

    fn knowing(root: &Path, config: &Config, known: &Known) -> Stamp {
        let files = Files::new(root, listing(root, config));
        let content = content_hash(root, known);
        // Both in one pass: each file stated once.
        let [quick, content] = on_every_core(|next| {
            files.sum(next, |dir, name, file| {
                [quick_hash(dir, name, file), content(dir, name, file)]
            })
        });
        Stamp {
            format: super::schema::FORMAT_VERSION,
            castor: env!("CARGO_PKG_VERSION").into(),
            files: files.fingerprint(quick),
            content: files.fingerprint(content),
            tree: files.stored(),
        }
    }

    /// Whether the index was written in this castor's format.
    pub fn is_compatible(&self) -> bool {
        self.format == super::schema::FORMAT_VERSION && self.castor == env!("CARGO_PKG_VERSION")
    }

    /// Whether an index was completed in `index_dir`, without reading its
    /// stamp: at 100,000 incidents, the stamp's list of files takes
    /// milliseconds to parse.
    pub fn exists(index_dir: &Path) -> bool {
        index_dir.join(FILE_NAME).is_file()
    }

    pub fn read(index_dir: &Path) -> Option<Stamp> {
        let text = std::fs::read_to_string(index_dir.join(FILE_NAME)).ok()?;
        serde_json::from_str(&text).ok()
    }

    pub fn write(&self, index_dir: &Path) -> std::io::Result<()> {
        let json = serde_json::to_string(self).map_err(std::io::Error::other)?;
        crate::guard::write_atomically(&index_dir.join(FILE_NAME), json.as_bytes())
    }
}

/// Compares the index under `index_dir` with the content under `root`,
/// reading file bytes only when sizes or times changed: the stamp of the
/// content as it is now, computed whole, against the index's.
///
/// This is the plain, obviously correct path. [`freshness_beside`], which
/// `castor search` takes on every query, gives the same answers faster
/// (directories unchanged since the stamp are not listed again, files are
/// stated by name within open directories on two threads, the query runs
/// beside): BENCHMARKS.md shows what that saves at 10,000 incidents, and
/// the tests hold the two paths to the same answers.
pub fn freshness_plain(root: &Path, config: &Config, index_dir: &Path) -> Freshness {
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
    let now = Stamp::of(root, config);
    if now.files == stored.files || now.content == stored.content {
        Freshness::Fresh
    } else {
        Freshness::Stale
    }
}

/// [`freshness_plain`]'s answer, while `beside` runs on one of the two threads that
/// state the files; that thread joins the work when `beside` is done.
///
/// `castor search` runs its query this way, on a stamp that is most often
/// fresh. The calling thread only waits: a thread started beside a busy
/// one may wait milliseconds for a scheduler to move it to an idle core,
/// while two new threads, with their parent asleep, have a core each.
pub fn freshness_beside<T: Send>(
    root: &Path,
    config: &Config,
    index_dir: &Path,
    beside: impl FnOnce() -> T + Send,
) -> (Freshness, T) {
    let prepared = OnceLock::new();
    let prepare = || prepare(root, config, index_dir);
    let next = AtomicUsize::new(0);
    let state = |prepared: &Result<(Stamp, Files), Freshness>| match prepared {
        Ok((_, files)) => files.sum(&next, |dir, name, file| [quick_hash(dir, name, file)]),
        Err(_) => [0],
    };
    let ([sum], out) = std::thread::scope(|scope| {
        let checker = scope.spawn(|| state(prepared.get_or_init(prepare)));
        let side = scope.spawn(|| {
            let out = beside();
            (state(prepared.get_or_init(prepare)), out)
        });
        let (part, out) = side.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        let sum = checker
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (add(sum, part), out)
    });
    let freshness = match prepared.get_or_init(prepare) {
        Err(early) => *early,
        Ok((stored, files)) => {
            let fresh = files.fingerprint(sum) == stored.files || {
                let files = Files::new(root, listing(root, config));
                let hash = content_hash(root, &unknown);
                let [content] = on_every_core(|next| {
                    files.sum(next, |dir, name, file| [hash(dir, name, file)])
                });
                files.fingerprint(content) == stored.content
            };
            if fresh {
                Freshness::Fresh
            } else {
                Freshness::Stale
            }
        }
    };
    (freshness, out)
}

/// The stored stamp and the files to state against it, or the answer when
/// no stating can change it.
fn prepare(root: &Path, config: &Config, index_dir: &Path) -> Result<(Stamp, Files), Freshness> {
    let Some(mut stored) = Stamp::read(index_dir) else {
        return Err(if index_dir.exists() {
            Freshness::Incompatible
        } else {
            Freshness::Missing
        });
    };
    if !stored.is_compatible() {
        return Err(Freshness::Incompatible);
    }
    let dirs = stored
        .tree
        .take()
        .and_then(|tree| unchanged(root, tree))
        .unwrap_or_else(|| listing(root, config));
    Ok((stored, Files::new(root, dirs)))
}

/// The stored directories, if none of them changed since.
fn unchanged(root: &Path, tree: Vec<StoredDir>) -> Option<Vec<Dir>> {
    tree.into_iter()
        .map(|stored| {
            let path = PathBuf::from(stored.path);
            (changed(&root.join(&path)) == Some(stored.changed)).then(|| Dir {
                path,
                changed: Some(stored.changed),
                names: stored.names.into_iter().map(OsString::from).collect(),
            })
        })
        .collect()
}

/// A directory of the content tree and its entries.
struct Dir {
    /// Relative to the root.
    path: PathBuf,
    /// `None` when it changed too recently to be trusted (see [`changed`]).
    changed: Option<u64>,
    /// Every entry but subdirectories.
    names: Vec<OsString>,
}

/// Links followed inside the content tree, at most; deeper is a loop.
const MAX_DEPTH: usize = 32;

/// The content directories, each listed.
fn listing(root: &Path, config: &Config) -> Vec<Dir> {
    let mut dirs = Vec::new();
    list(root, &config.build.content, 0, &mut dirs);
    dirs
}

/// Lists `root/rel` and its subdirectories into `out`, following links.
fn list(root: &Path, rel: &Path, depth: usize, out: &mut Vec<Dir>) {
    let full = root.join(rel);
    // Taken before listing: an entry added meanwhile makes the directory's
    // time newer than the one kept.
    let changed = changed(&full);
    let Ok(entries) = std::fs::read_dir(&full) else {
        return;
    };
    let mut dir = Dir {
        path: rel.to_path_buf(),
        changed,
        names: Vec::new(),
    };
    let mut subdirs = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let is_dir = match entry.file_type() {
            Ok(t) if t.is_symlink() => full.join(&name).is_dir(),
            Ok(t) => t.is_dir(),
            Err(_) => false,
        };
        if is_dir {
            subdirs.push(name);
        } else {
            dir.names.push(name);
        }
    }
    out.push(dir);
    if depth < MAX_DEPTH {
        for name in subdirs {
            list(root, &rel.join(name), depth + 1, out);
        }
    }
}

/// How recent a directory's change may be and still be kept: file system
/// times are coarse, so an entry added in the same tick as the listing
/// would leave the time as it was.
const SETTLED: Duration = Duration::from_secs(2);

/// When the entries of the directory at `path` last changed: its
/// modification time (and on Unix its change time and inode, which no
/// `touch` can set back). `None` when it is not a directory or changed
/// less than [`SETTLED`] ago.
fn changed(path: &Path) -> Option<u64> {
    let meta = std::fs::metadata(path)
        .ok()
        .filter(std::fs::Metadata::is_dir)?;
    let modified = meta.modified().ok()?;
    let age = SystemTime::now().duration_since(modified).ok()?;
    if age < SETTLED {
        return None;
    }
    let mut h = Hasher::new();
    h.write(&nanos(modified).to_le_bytes());
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        h.write(&meta.ctime().to_le_bytes());
        h.write(&meta.ctime_nsec().to_le_bytes());
        h.write(&meta.ino().to_le_bytes());
    }
    Some(h.0.digest())
}

fn nanos(time: SystemTime) -> u128 {
    time.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

fn quick_hash(dir: &Path, name: &OsStr, file: &sys::File) -> u64 {
    let mut h = file_hasher(dir, name);
    h.write(&file.len.to_le_bytes());
    h.write(&file.modified.to_le_bytes());
    h.write(&file.changed.to_le_bytes());
    h.write(&file.inode.to_le_bytes());
    h.0.digest()
}

/// What is known of a file's bytes without reading them: their hash
/// ([`crate::content::bytes_hash`]), if anything.
type Known<'a> = dyn Fn(&Path, &OsStr, &sys::File) -> Option<u64> + Sync + 'a;

fn unknown(_: &Path, _: &OsStr, _: &sys::File) -> Option<u64> {
    None
}

fn content_hash<'a>(
    root: &'a Path,
    known: &'a Known<'a>,
) -> impl Fn(&Path, &OsStr, &sys::File) -> u64 + Sync + 'a {
    move |dir, name, file| {
        let mut h = file_hasher(dir, name);
        let bytes = known(dir, name, file).or_else(|| {
            let bytes = std::fs::read(root.join(dir).join(name)).ok()?;
            Some(crate::content::bytes_hash(&bytes))
        });
        if let Some(bytes) = bytes {
            h.write(&bytes.to_le_bytes());
        }
        h.0.digest()
    }
}

/// A hasher fed with a file's path, as a directory and a name.
fn file_hasher(dir: &Path, name: &OsStr) -> Hasher {
    let mut h = Hasher::new();
    h.write(dir.as_os_str().as_encoded_bytes());
    h.write(name.as_encoded_bytes());
    h
}

/// The input files (book.toml and the content tree), each to be stated
/// relative to its open directory.
///
/// Fingerprints are sums of one hash per file: a sum does not depend on
/// the order directories list their files, so nothing is sorted, and each
/// file is hashed on its own, on every core.
struct Files {
    /// The root, holding book.toml alone, then the content directories.
    dirs: Vec<Dir>,
    opened: Vec<sys::OpenDir>,
    /// Each file, as its directory's and its own place.
    each: Vec<(u32, u32)>,
}

/// Files stated per claim of the shared counter.
const CHUNK: usize = 256;
/// Directories held open at once, at most; the others' files are stated
/// by path.
const MAX_OPEN: usize = 256;

impl Files {
    fn new(root: &Path, dirs: Vec<Dir>) -> Files {
        let book = Dir {
            path: PathBuf::new(),
            changed: None,
            names: vec![OsString::from(config::FILE_NAME)],
        };
        let dirs: Vec<Dir> = std::iter::once(book).chain(dirs).collect();
        let opened = dirs
            .iter()
            .enumerate()
            .map(|(n, d)| sys::OpenDir::new(root.join(&d.path), n < MAX_OPEN))
            .collect();
        let each = (0u32..)
            .zip(&dirs)
            .flat_map(|(d, dir)| (0u32..).take(dir.names.len()).map(move |n| (d, n)))
            .collect();
        Files { dirs, opened, each }
    }

    /// Claims chunks of files from `next` until none is left, and adds up
    /// each of `hash`'s hashes over the regular files among them.
    fn sum<const N: usize>(
        &self,
        next: &AtomicUsize,
        hash: impl Fn(&Path, &OsStr, &sys::File) -> [u64; N],
    ) -> [u64; N] {
        let mut sum = [0; N];
        loop {
            let start = next.fetch_add(CHUNK, Ordering::Relaxed);
            let Some(part) = self.each.get(start..(start + CHUNK).min(self.each.len())) else {
                return sum;
            };
            for &(d, n) in part {
                let (dir, name) = (
                    &self.dirs[d as usize],
                    &self.dirs[d as usize].names[n as usize],
                );
                if let Some(file) = self.opened[d as usize].stat(name) {
                    sum = add(sum, hash(&dir.path, name, &file));
                }
            }
        }
    }

    /// Entries that are gone or are not files count too: one appearing
    /// later changes the count, not only the sum.
    fn fingerprint(&self, sum: u64) -> String {
        format!("{sum:016x}-{}", self.each.len())
    }

    /// The content directories as a stamp keeps them; `None` when one
    /// changed too recently, or a name is not UTF-8.
    fn stored(self) -> Option<Vec<StoredDir>> {
        self.dirs
            .into_iter()
            .skip(1)
            .map(|dir| {
                Some(StoredDir {
                    path: dir.path.into_os_string().into_string().ok()?,
                    changed: dir.changed?,
                    names: dir
                        .names
                        .into_iter()
                        .map(OsString::into_string)
                        .collect::<Result<_, _>>()
                        .ok()?,
                })
            })
            .collect()
    }
}

/// Runs `work` on every core, plain threads claiming chunks from one
/// counter (starting a thread pool would cost as much as the split saves),
/// and adds up what each returns.
fn on_every_core<const N: usize>(work: impl Fn(&AtomicUsize) -> [u64; N] + Sync) -> [u64; N] {
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(|| work(&next))).collect();
        helpers
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .fold(work(&next), add)
    })
}

/// Sums of hashes added together, each by its own.
fn add<const N: usize>(a: [u64; N], b: [u64; N]) -> [u64; N] {
    std::array::from_fn(|n| a[n].wrapping_add(b[n]))
}

/// Stating a file by its name in an open directory.
mod sys {
    use std::ffi::OsStr;
    use std::path::{Path, PathBuf};

    /// What the quick fingerprint takes of a regular file.
    pub use crate::content::FileVersion as File;

    /// A directory whose files are stated by name. On Unix it is opened,
    /// so a file is looked up by its name alone, not by its whole path
    /// again; elsewhere, or when it is not opened, by its path.
    pub struct OpenDir {
        path: PathBuf,
        #[cfg(unix)]
        fd: Option<rustix::fd::OwnedFd>,
    }

    impl OpenDir {
        /// `open` says whether to hold the directory open: a tree of
        /// thousands of directories would run out of file descriptors.
        pub fn new(path: PathBuf, open: bool) -> OpenDir {
            #[cfg(unix)]
            {
                use rustix::fs::{Mode, OFlags};
                let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
                let fd = open
                    .then(|| rustix::fs::open(&path, flags, Mode::empty()).ok())
                    .flatten();
                OpenDir { path, fd }
            }
            #[cfg(not(unix))]
            {
                let _ = open;
                OpenDir { path }
            }
        }

        /// The file named `name`, following links; `None` when it is gone
        /// or not a regular file.
        pub fn stat(&self, name: &OsStr) -> Option<File> {
            #[cfg(unix)]
            if let Some(fd) = &self.fd {
                use rustix::fs::{AtFlags, FileType};
                let st = rustix::fs::statat(fd, name, AtFlags::empty()).ok()?;
                if FileType::from_raw_mode(st.st_mode as _) != FileType::RegularFile {
                    return None;
                }
                let nanos = |secs: i64, nsec: i64| {
                    u128::try_from(i128::from(secs) * 1_000_000_000 + i128::from(nsec)).unwrap_or(0)
                };
                return Some(File {
                    len: u64::try_from(st.st_size).unwrap_or(0),
                    modified: nanos(st.st_mtime as i64, st.st_mtime_nsec as i64),
                    changed: nanos(st.st_ctime as i64, st.st_ctime_nsec as i64),
                    inode: st.st_ino as u64,
                });
            }
            stat_path(&self.path.join(name))
        }
    }

    fn stat_path(path: &Path) -> Option<File> {
        let meta = std::fs::metadata(path).ok()?;
        meta.is_file().then(|| File::of(&meta))
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

    /// The fast path alone.
    fn freshness(root: &Path, config: &Config, index_dir: &Path) -> Freshness {
        freshness_beside(root, config, index_dir, || ()).0
    }

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

    /// Sets the modification time of the content directories an hour back,
    /// as if the last file had been added then.
    fn settle(root: &Path) {
        let past = SystemTime::now() - Duration::from_secs(3600);
        for dir in ["content", "content/incidents"] {
            std::fs::File::open(root.join(dir))
                .unwrap()
                .set_modified(past)
                .unwrap();
        }
    }

    fn site_with(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("content/incidents")).unwrap();
        for name in files {
            std::fs::write(dir.path().join("content/incidents").join(name), *name).unwrap();
        }
        dir
    }

    /// Every way content changes under an index, each seen by both paths
    /// of the freshness check: an edit in place keeping the size and the
    /// modification time (`cp -p`), a new file, a deleted file, a renamed
    /// file, and another branch checked out (every file rewritten).
    #[test]
    fn both_paths_see_every_change() {
        type Change = fn(&Path);
        let changes: [(&str, Change); 5] = [
            ("edit in place", |root| {
                let path = root.join("content/incidents/a.md");
                let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
                std::fs::write(&path, "A.md").unwrap();
                std::fs::File::options()
                    .write(true)
                    .open(&path)
                    .unwrap()
                    .set_modified(modified)
                    .unwrap();
            }),
            ("new file", |root| {
                std::fs::write(root.join("content/incidents/c.md"), "c").unwrap()
            }),
            ("deleted file", |root| {
                std::fs::remove_file(root.join("content/incidents/b.md")).unwrap()
            }),
            ("renamed file", |root| {
                let dir = root.join("content/incidents");
                std::fs::rename(dir.join("b.md"), dir.join("z.md")).unwrap();
            }),
            ("checkout", |root| {
                let dir = root.join("content/incidents");
                std::fs::remove_dir_all(&dir).unwrap();
                std::fs::create_dir_all(&dir).unwrap();
                for name in ["a.md", "b.md"] {
                    std::fs::write(dir.join(name), format!("other branch {name}")).unwrap();
                }
            }),
        ];
        for (what, change) in changes {
            let dir = site_with(&["a.md", "b.md"]);
            let (root, config) = (dir.path(), Config::default());
            settle(root);
            let index = root.join("index");
            std::fs::create_dir_all(&index).unwrap();
            Stamp::of(root, &config).write(&index).unwrap();
            assert_eq!(freshness(root, &config, &index), Freshness::Fresh, "{what}");
            assert_eq!(
                freshness_plain(root, &config, &index),
                Freshness::Fresh,
                "{what}"
            );
            change(root);
            assert_eq!(freshness(root, &config, &index), Freshness::Stale, "{what}");
            assert_eq!(
                freshness_plain(root, &config, &index),
                Freshness::Stale,
                "{what}"
            );
        }
    }

    #[test]
    fn a_settled_tree_is_kept_and_states_the_same_as_a_listing() {
        let dir = site_with(&["a.md", "b.md"]);
        let (root, config) = (dir.path(), Config::default());
        settle(root);
        let stamp = Stamp::of(root, &config);
        let tree = stamp.tree.clone().expect("settled directories are kept");
        let mut names: Vec<_> = tree.iter().flat_map(|d| d.names.clone()).collect();
        names.sort();
        assert_eq!(names, ["a.md", "b.md"]);
        let kept = unchanged(root, tree.clone()).expect("nothing changed");
        let listed = Files::new(root, listing(root, &config));
        let kept = Files::new(root, kept);
        let quick = |files: &Files| {
            let [sum] = on_every_core(|n| files.sum(n, |d, f, s| [quick_hash(d, f, s)]));
            files.fingerprint(sum)
        };
        assert_eq!(quick(&kept), quick(&listed));
        assert_eq!(quick(&kept), stamp.files);

        let index = root.join("index");
        std::fs::create_dir_all(&index).unwrap();
        stamp.write(&index).unwrap();
        assert_eq!(freshness(root, &config, &index), Freshness::Fresh);
        // Edited in place: the directory does not change, the file does.
        std::fs::write(root.join("content/incidents/a.md"), "edited").unwrap();
        assert!(unchanged(root, tree).is_some());
        assert_eq!(freshness(root, &config, &index), Freshness::Stale);
    }

    #[test]
    fn an_added_or_removed_file_changes_the_directory() {
        for change in ["add", "remove"] {
            let dir = site_with(&["a.md", "b.md"]);
            let (root, config) = (dir.path(), Config::default());
            settle(root);
            let stamp = Stamp::of(root, &config);
            let index = root.join("index");
            std::fs::create_dir_all(&index).unwrap();
            stamp.write(&index).unwrap();
            let incidents = root.join("content/incidents");
            if change == "add" {
                std::fs::write(incidents.join("c.md"), "c").unwrap();
            } else {
                std::fs::remove_file(incidents.join("b.md")).unwrap();
            }
            // Even once the directory's time is old again.
            settle(root);
            assert!(unchanged(root, stamp.tree.unwrap()).is_none(), "{change}");
            assert_eq!(
                freshness(root, &config, &index),
                Freshness::Stale,
                "{change}"
            );
        }
    }

    #[test]
    fn a_file_states_the_same_through_an_open_directory_or_its_path() {
        let dir = site_with(&["a.md"]);
        let incidents = dir.path().join("content/incidents");
        let [open, by_path] = [true, false].map(|open| {
            sys::OpenDir::new(incidents.clone(), open)
                .stat(OsStr::new("a.md"))
                .map(|f| (f.len, f.modified))
        });
        assert_eq!(open, Some((4, by_path.unwrap().1)));
        assert_eq!(open, by_path);
        assert!(
            sys::OpenDir::new(incidents, false)
                .stat(OsStr::new("gone.md"))
                .is_none()
        );
    }

    #[test]
    fn a_directory_changed_just_now_is_listed_again_next_time() {
        let dir = site_with(&["a.md"]);
        assert_eq!(Stamp::of(dir.path(), &Config::default()).tree, None);
    }
}
