//! The output stage: writes the rendered site atomically. Files go into a
//! staging directory beside the output, which is swapped in only once
//! complete, so a failed build leaves the previous site as it was. castor
//! only ever replaces a directory holding its own marker file.

use std::fs::{self, File};
use std::path::{Component, Path, PathBuf};

use anyhow::Context as _;
use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Pos, display_path};
use crate::render::OutputFile;

/// The file that marks a directory as castor's to replace.
pub const MARKER: &str = ".castor-output";
const MARKER_TEXT: &str =
    "This directory is written by castor; `castor build` replaces it whole.\n";

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

/// Writes `files` into a staging directory, then swaps it in place of the
/// output. On failure the output is left as it was.
pub fn write(target: &Target, files: &[OutputFile]) -> anyhow::Result<()> {
    let dir = &target.dir;
    let parent = dir.parent().context("the output directory has no parent")?;
    fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let name = dir
        .file_name()
        .context("the output directory has no name")?
        .to_string_lossy();
    let staging = parent.join(format!(".{name}.castor-staging"));
    let old = parent.join(format!(".{name}.castor-old"));
    for leftover in [&staging, &old] {
        remove_own(leftover)?;
    }
    if let Err(e) = write_all(&staging, files) {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    if dir.exists() {
        fs::rename(dir, &old)
            .with_context(|| format!("cannot move the previous site {} aside", dir.display()))?;
    }
    if let Err(e) = fs::rename(&staging, dir) {
        if old.exists() {
            let _ = fs::rename(&old, dir);
        }
        let _ = fs::remove_dir_all(&staging);
        return Err(e).with_context(|| format!("cannot move the new site into {}", dir.display()));
    }
    if old.exists() {
        fs::remove_dir_all(&old)
            .with_context(|| format!("cannot remove the previous site at {}", old.display()))?;
    }
    Ok(())
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

fn write_all(staging: &Path, files: &[OutputFile]) -> anyhow::Result<()> {
    fs::create_dir_all(staging).with_context(|| format!("cannot create {}", staging.display()))?;
    fs::write(staging.join(MARKER), MARKER_TEXT).context("cannot write the output marker")?;
    let mut dirs: Vec<&Path> = files
        .iter()
        .filter_map(|f| f.path.parent())
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    dirs.sort_unstable();
    dirs.dedup();
    for d in dirs {
        let d = staging.join(d);
        fs::create_dir_all(&d).with_context(|| format!("cannot create {}", d.display()))?;
    }
    files.par_iter().try_for_each(|f| {
        let path = staging.join(&f.path);
        fs::write(&path, &f.bytes).with_context(|| format!("cannot write {}", path.display()))
    })
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
