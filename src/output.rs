//! The output stage. It runs only once the whole site is rendered in
//! memory, so a failed build writes nothing. A first build goes into a
//! staging directory renamed into place; later builds write only the files
//! that changed, each one atomically. castor only ever replaces a directory
//! holding its own marker file.

use std::collections::HashSet;
use std::fs::{self, File};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context as _;
use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Pos, display_path};
use crate::render::OutputFile;

/// The file that marks a directory as castor's to replace.
pub const MARKER: &str = ".castor-output";
const MARKER_TEXT: &str =
    "This directory is written by castor; `castor build` replaces everything in it.\n";

/// Where a build writes, checked before anything is touched.
#[derive(Debug)]
pub struct Target {
    /// Absolute and normalised.
    pub dir: PathBuf,
    /// As the user wrote it, for messages.
    pub display: PathBuf,
}

/// Resolves the output directory and refuses one whose replacement would
/// destroy something that is not castor's: the site root, its content or
/// themes, any ancestor of them, the home directory or `/`. `from_config`
/// is the position of `output` in book.toml when the setting came from there.
pub fn target(
    root: &Path,
    output: &Path,
    content: &Path,
    from_config: Option<Pos>,
) -> Result<Target, Diagnostic> {
    let refuse = |why: String| {
        let message = format!(
            "refusing to use `{}` as the output directory: {why}",
            display_path(output)
        );
        let diagnostic = match from_config {
            Some(pos) => Diagnostic::error(crate::config::FILE_NAME, pos, message),
            None => Diagnostic::general(message),
        };
        diagnostic.with_hint("choose a directory of its own, such as `public`, with `--output` or `[build] output` in book.toml")
    };
    let root = canonical(root);
    let dir = canonical(&root.join(output));
    let protected = [
        (root.clone(), "the site root"),
        (canonical(&root.join(content)), "the content directory"),
        (canonical(&root.join("themes")), "the themes directory"),
    ];
    for (path, what) in &protected {
        if path.starts_with(&dir) {
            return Err(refuse(if *path == dir {
                format!("it is {what}")
            } else {
                format!("it contains {what}")
            }));
        }
        if dir.starts_with(path) && *what != "the site root" {
            return Err(refuse(format!("it is inside {what}")));
        }
    }
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from)
        && home.starts_with(&dir)
    {
        return Err(refuse("it is or contains the home directory".into()));
    }
    if dir.parent().is_none() {
        return Err(refuse("it is the file-system root".into()));
    }
    Ok(Target {
        dir,
        display: output.to_path_buf(),
    })
}

/// The absolute, normalised form of `path`, following links in the part
/// that exists, so `public/..` and a link to the root are both seen for
/// what they are.
fn canonical(path: &Path) -> PathBuf {
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
    while !existing.exists() {
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

/// Checks, before rendering, that the output may be replaced.
pub fn check_replaceable(target: &Target, force: bool) -> Result<(), Diagnostic> {
    let dir = &target.dir;
    if !dir.exists() || force {
        return Ok(());
    }
    if !dir.is_dir() {
        return Err(Diagnostic::general(format!(
            "the output path `{}` exists and is not a directory",
            display_path(&target.display)
        ))
        .with_hint("remove it, or choose another output directory"));
    }
    let empty = fs::read_dir(dir)
        .map(|mut d| d.next().is_none())
        .unwrap_or(false);
    if empty || dir.join(MARKER).is_file() {
        return Ok(());
    }
    Err(Diagnostic::general(format!(
        "refusing to replace `{}`: castor did not create it (no `{MARKER}` file inside)",
        display_path(&target.display)
    ))
    .with_hint("choose another output directory, or pass `--force` to replace it anyway"))
}

/// What the output stage did, file by file.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Files written because they were new or their bytes changed.
    pub written: usize,
    /// Files left alone because they already held the same bytes.
    pub unchanged: usize,
    /// Files of an earlier build the site no longer has.
    pub removed: usize,
    /// HTML pages among the site's files.
    pub pages: usize,
}

impl Written {
    /// Every file of the site, written or not.
    pub fn files(&self) -> usize {
        self.written + self.unchanged
    }
}

/// Writes a build's files as the whole content of the output directory.
///
/// A new output directory is written into a staging directory beside it,
/// file by file as they are rendered (so the site is never held in memory
/// whole), and renamed into place once complete; dropped unfinished, the
/// staging directory is removed. An existing output directory is updated
/// only once every file is rendered, and only where bytes changed: each
/// file is compared as it is rendered (one that holds the same bytes is
/// not kept in memory), each changed file goes through a temporary file
/// renamed over the old one, so a reader never sees half a page, and the
/// files the site no longer has are removed. At 10,000 pages, creating
/// every file and directory again costs seconds, while comparing costs a
/// fraction of one.
pub struct Writer {
    dir: PathBuf,
    staging: Option<PathBuf>,
    streamed: AtomicUsize,
    streamed_pages: AtomicUsize,
    /// Files of an existing output found to hold the bytes offered.
    same: Mutex<Vec<PathBuf>>,
    same_pages: AtomicUsize,
}

impl Writer {
    pub fn new(target: &Target) -> anyhow::Result<Writer> {
        let dir = target.dir.clone();
        if dir.exists() && !dir.is_dir() {
            // Only reachable with --force: check_replaceable refuses it otherwise.
            fs::remove_file(&dir).with_context(|| format!("cannot remove {}", dir.display()))?;
        }
        let staging = if dir.is_dir() {
            None
        } else {
            let parent = dir.parent().context("the output directory has no parent")?;
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
            let name = dir
                .file_name()
                .context("the output directory has no name")?
                .to_string_lossy();
            let staging = parent.join(format!(".{name}.castor-staging"));
            remove_own(&staging)?;
            fs::create_dir_all(&staging)
                .with_context(|| format!("cannot create {}", staging.display()))?;
            fs::write(staging.join(MARKER), MARKER_TEXT)
                .context("cannot write the output marker")?;
            Some(staging)
        };
        Ok(Writer {
            dir,
            staging,
            streamed: AtomicUsize::new(0),
            streamed_pages: AtomicUsize::new(0),
            same: Mutex::new(Vec::new()),
            same_pages: AtomicUsize::new(0),
        })
    }

    /// Takes a rendered file: writes it now into a new site's staging
    /// directory; for an existing site, drops it if the file there holds
    /// the same bytes, or gives it back to be written once all are rendered.
    pub fn offer(&self, file: OutputFile) -> anyhow::Result<Option<OutputFile>> {
        let Some(staging) = &self.staging else {
            if !holds(&self.dir.join(&file.path), &file.bytes) {
                return Ok(Some(file));
            }
            if is_page(&file) {
                self.same_pages.fetch_add(1, Ordering::Relaxed);
            }
            self.same
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(file.path);
            return Ok(None);
        };
        let path = staging.join(&file.path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        fs::write(&path, &file.bytes)
            .with_context(|| format!("cannot write {}", path.display()))?;
        self.streamed.fetch_add(1, Ordering::Relaxed);
        if is_page(&file) {
            self.streamed_pages.fetch_add(1, Ordering::Relaxed);
        }
        Ok(None)
    }

    /// Completes the output with the files given back by [`Writer::offer`].
    pub fn finish(mut self, files: Vec<OutputFile>) -> anyhow::Result<Written> {
        let Some(staging) = self.staging.clone() else {
            let same = std::mem::take(self.same.get_mut().unwrap_or_else(|e| e.into_inner()));
            let written = update(&self.dir, &files, &same)?;
            return Ok(Written {
                pages: written.pages + self.same_pages.load(Ordering::Relaxed),
                ..written
            });
        };
        for file in files {
            self.offer(file)?;
        }
        fs::rename(&staging, &self.dir)
            .with_context(|| format!("cannot move the new site into {}", self.dir.display()))?;
        self.staging = None;
        Ok(Written {
            written: self.streamed.load(Ordering::Relaxed),
            pages: self.streamed_pages.load(Ordering::Relaxed),
            ..Written::default()
        })
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Some(staging) = &self.staging {
            let _ = fs::remove_dir_all(staging);
        }
    }
}

fn is_page(file: &OutputFile) -> bool {
    file.path.extension().is_some_and(|e| e == "html")
}

/// Removes a leftover of an interrupted build, but only if castor made it.
fn remove_own(dir: &Path) -> anyhow::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    anyhow::ensure!(
        dir.join(MARKER).is_file(),
        "{} is in the way and was not made by castor; remove it by hand",
        dir.display()
    );
    fs::remove_dir_all(dir).with_context(|| format!("cannot remove {}", dir.display()))
}

/// Creates the directory of every file, in parallel.
fn create_dirs(base: &Path, files: &[OutputFile]) -> anyhow::Result<()> {
    let mut dirs: Vec<&Path> = files
        .iter()
        .filter_map(|f| f.path.parent())
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    dirs.sort_unstable();
    dirs.dedup();
    dirs.par_iter().try_for_each(|d| {
        let d = base.join(d);
        fs::create_dir_all(&d).with_context(|| format!("cannot create {}", d.display()))
    })
}

/// Brings an existing output directory in line with `files`, which
/// [`Writer::offer`] found to differ from what it holds, and `same`, the
/// files it found to hold their bytes already.
fn update(dir: &Path, files: &[OutputFile], same: &[PathBuf]) -> anyhow::Result<Written> {
    create_dirs(dir, files)?;
    files
        .par_iter()
        .try_for_each(|f| replace(&dir.join(&f.path), &f.bytes))?;
    if !dir.join(MARKER).is_file() {
        fs::write(dir.join(MARKER), MARKER_TEXT).context("cannot write the output marker")?;
    }
    let keep: HashSet<&Path> = files
        .iter()
        .map(|f| f.path.as_path())
        .chain(same.iter().map(PathBuf::as_path))
        .chain([Path::new(MARKER)])
        .collect();
    let removed = remove_stale(dir, &keep)?;
    Ok(Written {
        written: files.len(),
        unchanged: same.len(),
        removed,
        pages: files.iter().filter(|f| is_page(f)).count(),
    })
}

/// Whether the file at `path` holds exactly `bytes`.
fn holds(path: &Path, bytes: &[u8]) -> bool {
    fs::metadata(path).is_ok_and(|meta| {
        meta.is_file()
            && meta.len() == bytes.len() as u64
            && fs::read(path).is_ok_and(|old| old == bytes)
    })
}

/// Writes `bytes` to `path` through a temporary file renamed over it.
fn replace(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if path.is_dir() {
        fs::remove_dir_all(path)
            .with_context(|| format!("cannot replace the directory {}", path.display()))?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".castor-tmp");
    let temporary = PathBuf::from(temporary);
    let result = fs::write(&temporary, bytes).and_then(|()| fs::rename(&temporary, path));
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// Removes every file under `dir` that is not in `keep`, and every
/// directory that holds none of them; returns how many files went.
fn remove_stale(dir: &Path, keep: &HashSet<&Path>) -> anyhow::Result<usize> {
    let keep_dirs: HashSet<&Path> = keep.iter().flat_map(|p| p.ancestors().skip(1)).collect();
    let mut removed = 0;
    for entry in walkdir::WalkDir::new(dir).min_depth(1).contents_first(true) {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        let path = entry.path();
        let relative = path.strip_prefix(dir).unwrap_or(path);
        if entry.file_type().is_dir() {
            if !keep_dirs.contains(relative) {
                // Its stale files went just before it (contents first).
                fs::remove_dir(path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
            }
        } else if !keep.contains(relative) {
            fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Holds the build lock of a site until dropped.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// Takes the site's build lock, failing at once if another build holds it.
pub fn lock(root: &Path) -> Result<Lock, Diagnostic> {
    let dir = root.join(".castor");
    let path = dir.join("build.lock");
    let fail = |e: std::io::Error| {
        Diagnostic::error(
            ".castor/build.lock",
            Pos::START,
            format!("cannot take the build lock: {e}"),
        )
    };
    fs::create_dir_all(&dir).map_err(fail)?;
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(fail)?;
    match file.try_lock() {
        Ok(()) => Ok(Lock { _file: file }),
        Err(fs::TryLockError::WouldBlock) => Err(Diagnostic::error(
            ".castor/build.lock",
            Pos::START,
            "another castor build of this site is running",
        )
        .with_hint("wait for it to finish, then build again")),
        Err(fs::TryLockError::Error(e)) => Err(fail(e)),
    }
}
