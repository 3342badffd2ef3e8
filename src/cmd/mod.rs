//! The commands, one module each with its clap `Args` and `run()`, and
//! what they share at the console: how much to print, finding the site,
//! printing diagnostics with their source lines, and exit codes (0
//! success, 1 content errors, 2 bad usage or configuration).
//!
//! Commands call the pipeline's stages; no stage imports a command.

pub mod build;
pub mod check;
pub mod export;
pub mod import;
pub mod init;
pub mod new;
pub mod schema;
pub mod search;
pub mod serve;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::build::Failure;
use crate::config;
use crate::diagnostic::{self, Diagnostic};

/// How much to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// Prints a failure's diagnostics and a closing line; returns its exit code.
pub fn report_failure(root: &Path, failure: &Failure, consequence: &str) -> ExitCode {
    match failure {
        Failure::Content(diagnostics) | Failure::Config(diagnostics) => {
            print_diagnostics(root, diagnostics);
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            let files: std::collections::BTreeSet<&Path> = diagnostics
                .iter()
                .filter(|d| d.is_error() && d.has_file())
                .map(|d| d.path.as_path())
                .collect();
            let place = if files.is_empty() {
                String::new()
            } else {
                format!(" in {}", diagnostic::count(files.len(), "file"))
            };
            eprintln!(
                "error: {}{place}; {consequence}",
                diagnostic::count(errors, "error")
            );
        }
        Failure::Io(e) => eprintln!("error: {e:#}; {consequence}"),
        Failure::Partial(e) => eprintln!("error: {e:#}; build again to complete it"),
    }
    ExitCode::from(failure.exit_code())
}

/// Prints diagnostics with their source lines, reading each file once.
pub fn print_diagnostics(root: &Path, diagnostics: &[Diagnostic]) {
    let shown = Sources::new(root);
    let mut sources: std::collections::HashMap<&Path, Option<String>> =
        std::collections::HashMap::new();
    for d in diagnostics {
        let source = sources
            .entry(d.path.as_path())
            .or_insert_with(|| shown.read(&d.path));
        eprintln!("{}", d.render(source.as_deref()));
    }
}

/// The site root, as [`find_root`] finds it, and its configuration; a bad
/// book.toml is printed and is a usage error.
pub fn find_site(explicit: Option<&Path>) -> Result<(PathBuf, config::Config), ExitCode> {
    let root = find_root(explicit)?;
    let config = config::Config::load(&root).map_err(|d| {
        print_diagnostics(&root, &[d]);
        ExitCode::from(2)
    })?;
    Ok((root, config))
}

/// The site root: `--root` if given, else the nearest directory upward from
/// the current one that holds book.toml, else the current directory.
pub fn find_root(explicit: Option<&Path>) -> Result<PathBuf, ExitCode> {
    if let Some(root) = explicit {
        if !root.is_dir() {
            let problem = if root.exists() {
                "is not a directory"
            } else {
                "does not exist"
            };
            eprintln!("error: the root directory `{}` {problem}", root.display());
            return Err(ExitCode::from(2));
        }
        return Ok(root.to_path_buf());
    }
    let cwd = std::env::current_dir().map_err(|e| {
        eprintln!("error: cannot read the current directory: {e}");
        ExitCode::from(2)
    })?;
    let found = cwd
        .ancestors()
        .find(|dir| dir.join(config::FILE_NAME).is_file());
    Ok(found.map_or(cwd.clone(), Path::to_path_buf))
}

/// Reads the files diagnostics point at, to show their lines, and only
/// those a site is made of: book.toml, and regular files inside the
/// content or themes directory, under the size limit of content. A file
/// the loader refused (a link out of the site to `.env` or
/// `/proc/self/environ`, a named pipe, a device) is never opened: its
/// diagnostic is printed without a source line.
pub struct Sources {
    root: PathBuf,
    allowed: Vec<PathBuf>,
}

impl Sources {
    pub fn new(root: &Path) -> Sources {
        let config = crate::config::Config::load(root).unwrap_or_default();
        let root = crate::guard::canonical(root);
        Sources {
            allowed: vec![
                crate::guard::canonical(&root.join(&config.build.content)),
                crate::guard::canonical(&root.join("themes")),
            ],
            root,
        }
    }

    /// The text of the file at `path` (relative to the site root), if it
    /// may be shown.
    pub fn read(&self, path: &Path) -> Option<String> {
        let given = self.root.join(path);
        let is_config = path == Path::new(crate::config::FILE_NAME)
            && std::fs::symlink_metadata(&given).is_ok_and(|m| m.is_file());
        let real = crate::guard::canonical(&given);
        if !is_config && !self.allowed.iter().any(|dir| real.starts_with(dir)) {
            return None;
        }
        crate::text::read_regular(&real, crate::content::MAX_FILE_BYTES).ok()
    }
}
