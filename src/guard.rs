//! The one gate for every directory castor writes into or removes: the
//! output, the search index, `.castor/` (parse cache and lock) and their
//! staging directories.
//!
//! A book.toml comes with every cloned repository, so a path it names is
//! untrusted: it must stay inside the site root, and no directory castor
//! writes may be the root, the content or themes directory, an ancestor of
//! them, the home directory or `/`. Only the command line (`--output`) may
//! point elsewhere. A directory is only ever removed when it holds castor's
//! marker file, and temporary files are created exclusively, under names no
//! one can guess, so a link planted in their place is never followed.

use std::fs::{self, File};
use std::hash::{BuildHasher, Hasher};
use std::path::{Component, Path, PathBuf};

use anyhow::Context as _;

use crate::config::{self, Config};
use crate::diagnostic::{Diagnostic, Pos, display_path};

/// The file that marks a directory as castor's to replace or remove. Its
/// name predates the index's use of it: sites built by earlier versions
/// keep working.
pub const MARKER: &str = ".castor-output";
const MARKER_TEXT: &str = "This directory is written by castor, which replaces everything in it.\n";

/// castor's own directory in the site root: parse cache, index, lock.
pub const STATE_DIR: &str = ".castor";
/// The parse cache, inside [`STATE_DIR`].
pub const CACHE: &str = "cache";

/// A directory castor may write, checked.
#[derive(Debug, Clone)]
pub struct Target {
    /// Absolute and normalised, links resolved.
    pub dir: PathBuf,
    /// As the user wrote it, for messages.
    pub display: PathBuf,
}

/// Every directory a build may write, each checked.
#[derive(Debug)]
pub struct Dirs {
    pub output: Target,
    pub index: Target,
    /// `.castor/`: parse cache and build lock.
    pub state: Target,
}

impl Dirs {
    /// The parse cache.
    pub fn cache(&self) -> PathBuf {
        self.state.dir.join(CACHE)
    }

    /// Checks the directories of the site under `root`: the output
    /// (`--output` when given, else book.toml's), the search index and
    /// `.castor/`. Errors about a book.toml setting point at its line.
    pub fn resolve(
        root: &Path,
        config: &Config,
        output: Option<&Path>,
    ) -> Result<Dirs, Diagnostic> {
        let site = Site::new(root, &config.build.content);
        let output = match output {
            Some(dir) => site.check(dir, "output directory", Origin::CommandLine)?,
            None => site.check(
                &config.build.output,
                "output directory",
                Origin::Config("output"),
            )?,
        };
        // First: a linked `.castor` would lead the index astray too.
        let state = site.check(Path::new(STATE_DIR), "state directory", Origin::Fixed)?;
        let index = site.check(
            &config.search.index_dir,
            "search index directory",
            Origin::Config("index_dir"),
        )?;
        // Each replaces everything inside it: neither may hold the other.
        if index.dir.starts_with(&output.dir) || output.dir.starts_with(&index.dir) {
            return Err(site.refuse(
                &config.search.index_dir,
                "search index directory",
                Origin::Config("index_dir"),
                format!(
                    "it overlaps the output directory `{}`",
                    display_path(&output.display)
                ),
            ));
        }
        Ok(Dirs {
            output,
            index,
            state,
        })
    }
}

/// Where a path came from, which decides where it may point.
#[derive(Debug, Clone, Copy)]
enum Origin {
    /// A key of book.toml: untrusted, inside the site root only.
    Config(&'static str),
    /// Typed by the user: anywhere but a protected directory.
    CommandLine,
    /// castor's own name, such as `.castor`: inside the root, or a link
    /// planted in a repository leads it astray.
    Fixed,
}

struct Site<'a> {
    root_given: &'a Path,
    root: PathBuf,
    protected: [(PathBuf, &'static str); 3],
}

impl<'a> Site<'a> {
    fn new(root: &'a Path, content: &Path) -> Site<'a> {
        let canonical_root = canonical(root);
        Site {
            root_given: root,
            protected: [
                (canonical_root.clone(), "the site root"),
                (
                    canonical(&canonical_root.join(content)),
                    "the content directory",
                ),
                (
                    canonical(&canonical_root.join("themes")),
                    "the themes directory",
                ),
            ],
            root: canonical_root,
        }
    }

    fn check(&self, path: &Path, what: &str, origin: Origin) -> Result<Target, Diagnostic> {
        let dir = canonical(&self.root.join(path));
        let refuse = |why: String| Err(self.refuse(path, what, origin, why));
        for (protected, name) in &self.protected {
            if protected.starts_with(&dir) {
                return refuse(if *protected == dir {
                    format!("it is {name}")
                } else {
                    format!("it contains {name}")
                });
            }
            if dir.starts_with(protected) && *name != "the site root" {
                return refuse(format!("it is inside {name}"));
            }
        }
        if let Some(home) = std::env::var_os("HOME").map(PathBuf::from)
            && canonical(&home).starts_with(&dir)
        {
            return refuse("it is or contains the home directory".into());
        }
        if dir.parent().is_none() {
            return refuse("it is the file-system root".into());
        }
        if !matches!(origin, Origin::CommandLine) && !dir.starts_with(&self.root) {
            return refuse("it is outside the site root".into());
        }
        Ok(Target {
            dir,
            display: path.to_path_buf(),
        })
    }

    fn refuse(&self, path: &Path, what: &str, origin: Origin, why: String) -> Diagnostic {
        let message = format!(
            "refusing to use `{}` as the {what}: {why}",
            display_path(path)
        );
        match origin {
            Origin::Config(key) => Diagnostic::error(
                config::FILE_NAME,
                Config::key_position(self.root_given, key).unwrap_or(Pos::START),
                message,
            )
            .with_hint(match key {
                "index_dir" => "set `[search] index_dir` to a directory of its own inside the site, such as `.castor/index`",
                _ => "set `[build] output` to a directory of its own inside the site, such as `public` (only `--output` on the command line may point outside the site)",
            }),
            Origin::CommandLine => Diagnostic::general(message)
                .with_hint("choose a directory of its own, such as `public`"),
            Origin::Fixed => Diagnostic::general(message)
                .with_hint(format!("`{STATE_DIR}` must be a plain directory inside the site (or absent): remove the link")),
        }
    }
}

/// The absolute, normalised form of `path`, following links in the part
/// that exists, so `public/..` and a link to the root are both seen for
/// what they are.
pub fn canonical(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut normal = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::ParentDir => {
                normal.pop();
            }
            Component::CurDir => {}
            c => normal.push(c),
        }
    }
    // Resolve links in the longest existing prefix, then re-attach the rest.
    let mut existing = normal.clone();
    let mut rest = Vec::new();
    while fs::symlink_metadata(&existing).is_err() {
        match existing.file_name() {
            Some(name) => {
                rest.push(name.to_os_string());
                existing.pop();
            }
            None => break,
        }
    }
    let mut resolved = existing.canonicalize().unwrap_or(existing);
    resolved.extend(rest.iter().rev());
    resolved
}

/// Whether castor made `dir`: it holds the marker file.
pub fn owns(dir: &Path) -> bool {
    fs::symlink_metadata(dir.join(MARKER)).is_ok_and(|m| m.is_file())
}

/// Marks a directory castor just created as its own.
pub fn mark(dir: &Path) -> anyhow::Result<()> {
    fs::write(dir.join(MARKER), MARKER_TEXT).context("cannot write castor's marker file")
}

/// Removes `dir` if it is there, but only if castor made it; a link in its
/// place is removed, never followed.
pub fn remove_owned(dir: &Path) -> anyhow::Result<()> {
    let Ok(meta) = fs::symlink_metadata(dir) else {
        return Ok(());
    };
    if meta.is_symlink() {
        return fs::remove_file(dir).with_context(|| format!("cannot remove {}", dir.display()));
    }
    anyhow::ensure!(
        owns(dir),
        "{} is in the way and was not made by castor (no `{MARKER}` file inside); remove it by hand",
        dir.display()
    );
    fs::remove_dir_all(dir).with_context(|| format!("cannot remove {}", dir.display()))
}

/// A random name part: unpredictable, so nothing can be planted there in
/// advance.
fn random_suffix() -> String {
    let mut hasher = std::hash::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    format!("{:016x}", hasher.finish())
}

/// The prefix of the staging directories made beside `dir`.
fn staging_prefix(dir: &Path) -> Option<String> {
    Some(format!(
        ".{}.castor-staging-",
        dir.file_name()?.to_string_lossy()
    ))
}

/// A staging name beside `dir` that nothing holds yet: where an old
/// directory is moved aside before its removal, so an interrupted removal
/// is finished by the next run.
pub fn unused_staging_name(dir: &Path) -> anyhow::Result<PathBuf> {
    let parent = dir.parent().context("the directory has no parent")?;
    let prefix = staging_prefix(dir).context("the directory has no name")?;
    loop {
        let name = parent.join(format!("{prefix}{}", random_suffix()));
        if fs::symlink_metadata(&name).is_err() {
            return Ok(name);
        }
    }
}

/// Creates a new, marked staging directory beside `dir`, to be renamed
/// into its place once complete.
pub fn create_staging(dir: &Path) -> anyhow::Result<PathBuf> {
    let parent = dir.parent().context("the directory has no parent")?;
    let prefix = staging_prefix(dir).context("the directory has no name")?;
    fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    loop {
        let staging = parent.join(format!("{prefix}{}", random_suffix()));
        match fs::create_dir(&staging) {
            Ok(()) => {
                mark(&staging)?;
                return Ok(staging);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e).with_context(|| format!("cannot create {}", staging.display()));
            }
        }
    }
}

/// Removes the staging directories that interrupted runs left beside
/// `dir`, whichever process made them. Call it only while holding the
/// site's lock, so no running build loses its own.
pub fn clean_staging(dir: &Path, _lock: &Lock) {
    let (Some(parent), Some(prefix)) = (dir.parent(), staging_prefix(dir)) else {
        return;
    };
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            // Best effort: what cannot be removed now is tried next time.
            let _ = remove_owned(&entry.path());
        }
    }
}

impl Dirs {
    /// Removes what interrupted runs left beside the output and the
    /// index, when no other castor process is at work on the site (its
    /// lock is free). A site castor never wrote to has nothing to clean,
    /// and gets no `.castor/`.
    pub fn clean_leftovers(&self) {
        if !self.state.dir.is_dir() {
            return;
        }
        if let Ok(lock) = Lock::try_take(&self.state) {
            clean_staging(&self.output.dir, &lock);
            clean_staging(&self.index.dir, &lock);
        }
    }
}

/// Creates a new file beside `path` under an unpredictable name, failing
/// rather than following anything found there; write it, then rename it
/// over `path`.
pub fn create_temporary(path: &Path) -> std::io::Result<(PathBuf, File)> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    loop {
        let temporary = path.with_file_name(format!(".{name}.{}.castor-tmp", random_suffix()));
        match File::options()
            .write(true)
            .create_new(true)
            .open(&temporary)
        {
            Ok(file) => return Ok((temporary, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Writes `bytes` to `path` through a new temporary file renamed over it:
/// a reader never sees half a file, and a link at `path` is replaced, not
/// followed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let (temporary, mut file) = create_temporary(path)?;
    let result =
        std::io::Write::write_all(&mut file, bytes).and_then(|()| fs::rename(&temporary, path));
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

/// Writes `value` to `path` in MessagePack, as [`write_atomically`]
/// writes bytes, without holding the encoded file in memory.
pub fn write_msgpack_atomically(path: &Path, value: &impl serde::Serialize) -> anyhow::Result<()> {
    let (temporary, file) = create_temporary(path)?;
    let mut out = std::io::BufWriter::new(file);
    let result = rmp_serde::encode::write_named(&mut out, value)
        .map_err(anyhow::Error::from)
        .and_then(|()| Ok(std::io::Write::flush(&mut out)?))
        .and_then(|()| Ok(fs::rename(&temporary, path)?));
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// Reads a file [`write_msgpack_atomically`] wrote: `None` when it is
/// missing or does not decode. Read whole, then decoded from memory:
/// decoding from a reader read each string with a `read_to_end` of its own,
/// about a tenth of the time spent reading the parse cache at 100,000
/// incidents.
pub fn read_msgpack<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    rmp_serde::from_slice(&fs::read(path).ok()?).ok()
}

/// Writes a new file; an existing one is never overwritten, even one that
/// appears between a check and the write. A write that fails half-way
/// removes the file, so nothing half-written is left.
pub fn create_new_file(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = File::options().write(true).create_new(true).open(path)?;
    std::io::Write::write_all(&mut file, text.as_bytes()).inspect_err(|_| {
        let _ = fs::remove_file(path);
    })
}

/// Holds the build lock of a site until dropped.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// Why the lock could not be had.
#[derive(Debug)]
pub enum LockError {
    /// Another castor process holds it.
    Busy,
    Io(std::io::Error),
}

impl Lock {
    /// Takes the lock of the site whose state directory is `state`, failing
    /// at once if another process holds it.
    pub fn try_take(state: &Target) -> Result<Lock, LockError> {
        fs::create_dir_all(&state.dir).map_err(LockError::Io)?;
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(state.dir.join("build.lock"))
            .map_err(LockError::Io)?;
        match file.try_lock() {
            Ok(()) => Ok(Lock { _file: file }),
            Err(fs::TryLockError::WouldBlock) => Err(LockError::Busy),
            Err(fs::TryLockError::Error(e)) => Err(LockError::Io(e)),
        }
    }

    /// Like [`Lock::try_take`], as a build's configuration error.
    pub fn take(state: &Target) -> Result<Lock, Diagnostic> {
        Lock::try_take(state).map_err(|e| match e {
            LockError::Busy => Diagnostic::error(
                ".castor/build.lock",
                Pos::START,
                "another castor build of this site is running",
            )
            .with_hint("wait for it to finish, then build again"),
            LockError::Io(e) => Diagnostic::error(
                ".castor/build.lock",
                Pos::START,
                format!("cannot take the build lock: {e}"),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs(root: &Path, toml: &str) -> Result<Dirs, Diagnostic> {
        fs::write(root.join("book.toml"), toml).unwrap();
        Dirs::resolve(root, &Config::parse(toml).unwrap(), None)
    }

    #[test]
    fn refuses_an_index_dir_that_is_content_or_outside_the_root() {
        let site = tempfile::tempdir().unwrap();
        fs::create_dir(site.path().join("content")).unwrap();
        for (value, why) in [
            ("content", "it is the content directory"),
            ("content/incidents", "it is inside the content directory"),
            (".", "it is the site root"),
            ("..", "it contains the site root"),
            ("/tmp/elsewhere", "it is outside the site root"),
            ("public/index", "it overlaps the output directory"),
        ] {
            let err = dirs(site.path(), &format!("[search]\nindex_dir = \"{value}\"\n"))
                .expect_err(value);
            assert!(err.message.contains(why), "{value}: {}", err.message);
            assert_eq!(err.path, Path::new("book.toml"));
            assert_eq!(err.pos, Pos::new(2, 1), "{value}");
        }
        assert!(dirs(site.path(), "[search]\nindex_dir = \"idx\"\n").is_ok());
    }

    #[test]
    fn refuses_a_state_dir_linked_out_of_the_root() {
        let site = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), site.path().join(STATE_DIR)).unwrap();
        let err = dirs(site.path(), "").unwrap_err();
        assert!(
            err.message.contains("outside the site root"),
            "{}",
            err.message
        );
    }

    #[test]
    fn removes_only_what_castor_marked() {
        let parent = tempfile::tempdir().unwrap();
        let theirs = parent.path().join("theirs");
        fs::create_dir(&theirs).unwrap();
        assert!(remove_owned(&theirs).is_err());
        assert!(theirs.is_dir());
        let staging = create_staging(&parent.path().join("public")).unwrap();
        assert!(owns(&staging));
        remove_owned(&staging).unwrap();
        assert!(!staging.exists());
    }

    #[test]
    fn a_temporary_file_never_follows_a_planted_link() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "keep").unwrap();
        let page = dir.path().join("index.html");
        std::os::unix::fs::symlink(&victim, &page).unwrap();
        write_atomically(&page, b"page").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(fs::read_to_string(&page).unwrap(), "page");
        assert!(!fs::symlink_metadata(&page).unwrap().is_symlink());
    }
}
