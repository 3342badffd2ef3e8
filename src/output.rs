//! The output stage. It runs only once the whole site is rendered, so a
//! failed build changes nothing. A first build goes into a staging
//! directory renamed into place; later builds write only the files that
//! changed, all or nothing: every new file is written beside its place
//! before the first one replaces an old one. castor only ever replaces a
//! directory holding its own marker file ([`guard`]).

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use anyhow::Context as _;
use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, display_path};
use crate::guard::{self, MARKER, Target};

/// A file of the finished site, by path relative to the output directory.
#[derive(Debug)]
pub struct OutputFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
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
    if empty || guard::owns(dir) {
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
    /// The size of every file of the site, written or not.
    pub bytes: u64,
}

impl Written {
    /// Every file of the site, written or not.
    pub fn files(&self) -> usize {
        self.written + self.unchanged
    }
}

/// Why writing the site failed, and in what state it left the output.
#[derive(Debug)]
pub enum WriteError {
    /// The output directory is as it was before the build.
    Unchanged(anyhow::Error),
    /// Some files of the output were replaced: the message says which part.
    Partial(anyhow::Error),
}

/// Writes a build's files as the whole content of the output directory.
///
/// A new output directory is written into a staging directory beside it,
/// file by file as they are rendered (so the site is never held in memory
/// whole), and renamed into place once complete; dropped unfinished, the
/// staging directory is removed. An existing output directory is updated
/// only once every file is rendered, and only where bytes changed: each
/// file is compared as it is rendered (one that holds the same bytes is
/// not kept in memory); every changed file is first written to a temporary
/// file beside its place, and only when all are written are they renamed
/// over the old ones, so a full disk or a read-only folder leaves the
/// previous site whole. Then the files the site no longer has are removed.
/// Comparing costs a fraction of what creating every file again would.
pub struct Writer {
    dir: PathBuf,
    staging: Option<PathBuf>,
    streamed: AtomicUsize,
    streamed_pages: AtomicUsize,
    /// The bytes of every file offered: the site's size.
    bytes: AtomicU64,
    /// Files of an existing output found to hold the bytes offered.
    same: Mutex<Vec<PathBuf>>,
    same_pages: AtomicUsize,
}

impl Writer {
    pub fn new(target: &Target) -> anyhow::Result<Writer> {
        let dir = target.dir.clone();
        let meta = fs::symlink_metadata(&dir).ok();
        if meta.as_ref().is_some_and(|m| !m.is_dir()) {
            // Only reachable with --force: check_replaceable refuses it otherwise.
            fs::remove_file(&dir).with_context(|| format!("cannot remove {}", dir.display()))?;
        }
        let staging = if meta.is_some_and(|m| m.is_dir()) {
            None
        } else {
            Some(guard::create_staging(&dir)?)
        };
        Ok(Writer {
            dir,
            staging,
            streamed: AtomicUsize::new(0),
            streamed_pages: AtomicUsize::new(0),
            bytes: AtomicU64::new(0),
            same: Mutex::new(Vec::new()),
            same_pages: AtomicUsize::new(0),
        })
    }

    /// Takes a rendered file: writes it now into a new site's staging
    /// directory; for an existing site, drops it if the file there holds
    /// the same bytes, or gives it back to be written once all are rendered.
    pub fn offer(&self, file: OutputFile) -> anyhow::Result<Option<OutputFile>> {
        self.bytes
            .fetch_add(file.bytes.len() as u64, Ordering::Relaxed);
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

    /// Takes the file at `path` of the existing output as this build's,
    /// without its bytes: `false` when there is no such file (or no
    /// existing output), and it must be offered.
    pub fn keep(&self, path: &Path) -> bool {
        if self.staging.is_some() {
            return false;
        }
        match fs::symlink_metadata(self.dir.join(path)) {
            Ok(meta) if meta.is_file() => {
                self.bytes.fetch_add(meta.len(), Ordering::Relaxed);
                if is_page_path(path) {
                    self.same_pages.fetch_add(1, Ordering::Relaxed);
                }
                self.same
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(path.to_path_buf());
                true
            }
            _ => false,
        }
    }

    /// Completes the output with the files given back by [`Writer::offer`].
    pub fn finish(mut self, files: Vec<OutputFile>) -> Result<Written, WriteError> {
        let Some(staging) = self.staging.clone() else {
            let same = std::mem::take(self.same.get_mut().unwrap_or_else(|e| e.into_inner()));
            let written = update(&self.dir, &files, &same)?;
            return Ok(Written {
                pages: written.pages + self.same_pages.load(Ordering::Relaxed),
                bytes: self.bytes.load(Ordering::Relaxed),
                ..written
            });
        };
        for file in files {
            self.offer(file).map_err(WriteError::Unchanged)?;
        }
        fs::rename(&staging, &self.dir)
            .with_context(|| format!("cannot move the new site into {}", self.dir.display()))
            .map_err(WriteError::Unchanged)?;
        self.staging = None;
        Ok(Written {
            written: self.streamed.load(Ordering::Relaxed),
            pages: self.streamed_pages.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
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
    is_page_path(&file.path)
}

fn is_page_path(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "html")
}

/// Creates the directories `files` need under `base`, none of them through
/// a link (one found on the way is not castor's, and is replaced by a
/// directory); returns those it created, parents first.
fn create_dirs(base: &Path, files: &[OutputFile]) -> anyhow::Result<Vec<PathBuf>> {
    let mut dirs: Vec<&Path> = files
        .iter()
        .flat_map(|f| f.path.ancestors().skip(1))
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    dirs.sort_unstable();
    dirs.dedup();
    let mut created = Vec::new();
    for d in dirs {
        let d = base.join(d);
        match fs::symlink_metadata(&d) {
            Ok(meta) if meta.is_dir() => continue,
            Ok(_) => fs::remove_file(&d)
                .with_context(|| format!("cannot replace {} by a directory", d.display()))?,
            Err(_) => {}
        }
        fs::create_dir(&d).with_context(|| format!("cannot create {}", d.display()))?;
        created.push(d);
    }
    Ok(created)
}

/// Brings an existing output directory in line with `files`, which
/// [`Writer::offer`] found to differ from what it holds, and `same`, the
/// files it found to hold their bytes already.
fn update(dir: &Path, files: &[OutputFile], same: &[PathBuf]) -> Result<Written, WriteError> {
    let created = create_dirs(dir, files).map_err(WriteError::Unchanged)?;
    let written: Vec<std::io::Result<(PathBuf, PathBuf)>> = files
        .par_iter()
        .map(|f| {
            let path = dir.join(&f.path);
            let (temporary, mut file) = guard::create_temporary(&path)?;
            let written = std::io::Write::write_all(&mut file, &f.bytes);
            if written.is_err() {
                let _ = fs::remove_file(&temporary);
            }
            written.map(|()| (temporary, path))
        })
        .collect();
    let mut pairs = Vec::with_capacity(files.len());
    let mut failure = None;
    for (f, result) in files.iter().zip(written) {
        match result {
            Ok(pair) => pairs.push(pair),
            Err(e) => {
                failure.get_or_insert_with(|| {
                    anyhow::Error::new(e)
                        .context(format!("cannot write {}", dir.join(&f.path).display()))
                });
            }
        }
    }
    if let Some(e) = failure {
        for (temporary, _) in &pairs {
            let _ = fs::remove_file(temporary);
        }
        for d in created.iter().rev() {
            let _ = fs::remove_dir(d);
        }
        return Err(WriteError::Unchanged(e));
    }
    for (n, (temporary, path)) in pairs.iter().enumerate() {
        if let Err(e) = replace_dir_by_file(path).and_then(|()| fs::rename(temporary, path)) {
            for (temporary, _) in &pairs[n..] {
                let _ = fs::remove_file(temporary);
            }
            return Err(WriteError::Partial(anyhow::Error::new(e).context(format!(
                "cannot replace {}: the site is partly updated ({n} of {} changed files \
                 replaced, the others as before)",
                path.display(),
                pairs.len()
            ))));
        }
    }
    let partial = |e: anyhow::Error| {
        WriteError::Partial(e.context(
            "every changed file was replaced, but files the site no longer has may remain",
        ))
    };
    if !guard::owns(dir) {
        guard::mark(dir).map_err(partial)?;
    }
    let keep: HashSet<&Path> = files
        .iter()
        .map(|f| f.path.as_path())
        .chain(same.iter().map(PathBuf::as_path))
        .chain([Path::new(MARKER)])
        .collect();
    let removed = remove_stale(dir, &keep).map_err(partial)?;
    Ok(Written {
        written: files.len(),
        unchanged: same.len(),
        removed,
        pages: files.iter().filter(|f| is_page(f)).count(),
        // Set by the writer, which saw every file.
        bytes: 0,
    })
}

/// A directory where the new site has a file goes first; a rename cannot
/// replace it.
fn replace_dir_by_file(path: &Path) -> std::io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        _ => Ok(()),
    }
}

/// Whether the file at `path` is a regular file holding exactly `bytes`
/// (a link there never is: it gets replaced).
fn holds(path: &Path, bytes: &[u8]) -> bool {
    fs::symlink_metadata(path).is_ok_and(|meta| {
        meta.is_file()
            && meta.len() == bytes.len() as u64
            && fs::read(path).is_ok_and(|old| old == bytes)
    })
}

/// Removes every file under `dir` that is not in `keep`, and every
/// directory that holds none of them; returns how many files went. Dot
/// entries are never castor's (but for its temporary files), and are left
/// alone: a gh-pages worktree's `.git`, `.nojekyll`, `.well-known/`.
fn remove_stale(dir: &Path, keep: &HashSet<&Path>) -> anyhow::Result<usize> {
    Ok(remove_stale_under(dir, Path::new(""), keep)?.removed)
}

/// What [`remove_stale`] did in a directory.
#[derive(Default)]
struct Swept {
    /// Files removed, there and below.
    removed: usize,
    /// Entries left there: when none is, the directory goes too. The
    /// walk itself tells which directories hold a kept file, rather than a
    /// set of every kept file's ancestors, which took 0.2 s to make at
    /// 100,000 incidents.
    left: usize,
}

impl std::iter::Sum for Swept {
    fn sum<I: Iterator<Item = Swept>>(swept: I) -> Swept {
        swept.fold(Swept::default(), |a, b| Swept {
            removed: a.removed + b.removed,
            left: a.left + b.left,
        })
    }
}

/// [`remove_stale`] in the directory `relative` of `dir`: each directory's
/// entries on every core, since a site is mostly directories of one page.
fn remove_stale_under(dir: &Path, relative: &Path, keep: &HashSet<&Path>) -> anyhow::Result<Swept> {
    let path = dir.join(relative);
    let entries: Vec<fs::DirEntry> = fs::read_dir(&path)
        .and_then(Iterator::collect)
        .with_context(|| format!("cannot read {}", path.display()))?;
    entries
        .par_iter()
        .map(|entry| {
            let file_name = entry.file_name();
            let name = file_name.to_string_lossy();
            let left = Swept {
                removed: 0,
                left: 1,
            };
            if name.starts_with('.') && !name.ends_with(".castor-tmp") {
                return Ok(left);
            }
            let relative = relative.join(&file_name);
            let path = entry.path();
            let is_dir = entry
                .file_type()
                .with_context(|| format!("cannot read {}", path.display()))?
                .is_dir();
            if is_dir {
                let swept = remove_stale_under(dir, &relative, keep)?;
                if swept.left > 0 {
                    return Ok(Swept { left: 1, ..swept });
                }
                match fs::remove_dir(&path) {
                    // An entry made meanwhile: it stays, and so does the
                    // directory.
                    Err(e) if e.kind() == std::io::ErrorKind::DirectoryNotEmpty => {
                        Ok(Swept { left: 1, ..swept })
                    }
                    removed => removed
                        .map(|()| Swept { left: 0, ..swept })
                        .with_context(|| format!("cannot remove {}", path.display())),
                }
            } else if !keep.contains(relative.as_path()) {
                fs::remove_file(&path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
                Ok(Swept {
                    removed: 1,
                    left: 0,
                })
            } else {
                Ok(left)
            }
        })
        .sum()
}
