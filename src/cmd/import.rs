//! `castor import list FILE`: drafts from a Markdown list of post-mortems
//! (see [`crate::import`]), one file each, never overwriting a file, and a
//! report of what was written and skipped.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{Verbosity, find_site};
use crate::build;
use crate::config::Config;
use crate::diagnostic::{Diagnostic, Pos, display_path};
use crate::import::{import, list};
use crate::lint::canonical_url;
use list::Skip;

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub command: ImportCommand,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Draft an incident for each entry of a Markdown list of post-mortems
    /// (`## Category` headings, then `[Company](url). Summary.` paragraphs).
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The Markdown list.
    pub file: PathBuf,
    /// Where to write the drafts (default: the site's content/incidents/).
    #[arg(long, value_name = "DIR")]
    pub into: Option<PathBuf>,
    /// The site's root directory (default: the nearest directory upward holding book.toml).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

impl ImportArgs {
    pub fn run(self, verbosity: Verbosity) -> ExitCode {
        match self.command {
            ImportCommand::List(args) => args.run(verbosity),
        }
    }
}

impl ListArgs {
    fn run(self, verbosity: Verbosity) -> ExitCode {
        let (root, config) = match find_site(self.root.as_deref()) {
            Ok(site) => site,
            Err(code) => return code,
        };
        // The list is an argument: one that cannot be read is a usage error.
        let text = match read_list(&self.file) {
            Ok(text) => text,
            Err(d) => {
                eprintln!("{d}");
                return ExitCode::from(2);
            }
        };
        let (into, shown) = match &self.into {
            Some(dir) => (dir.clone(), dir.clone()),
            None => {
                let rel = config.build.content.join("incidents");
                (root.join(&rel), rel)
            }
        };
        let list = list::parse(&text);
        if list.entries.is_empty() {
            eprintln!(
                "{}",
                Diagnostic::error(&self.file, Pos::START, "no post-mortem entries found")
                    .with_hint(
                        "expected `## Category` headings, each followed by paragraphs such as \
                         `[Company](https://example.com/post-mortem). What happened.`"
                    )
            );
            return ExitCode::from(1);
        }
        if let Err(e) = std::fs::create_dir_all(&into) {
            eprintln!("error: cannot create {}: {e}", display_path(&shown));
            return ExitCode::from(1);
        }
        let known = known_sources(&root, &config);
        let today = chrono::Local::now().date_naive();
        let mut report = Report::default();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for entry in list.entries {
            let line = entry.line;
            let reason = match import(&entry, &config, today, &known, &mut seen) {
                Ok(mut draft) => {
                    let bytes = draft.text.len() as u64;
                    if bytes > crate::content::MAX_FILE_BYTES {
                        draft.notes.push(format!(
                            "the draft is {bytes} bytes, over the limit of {} that `castor build` reads: shorten it",
                            crate::content::MAX_FILE_BYTES
                        ));
                    }
                    let path = into.join(&draft.name);
                    let shown = shown.join(&draft.name);
                    match crate::guard::create_new_file(&path, &draft.text) {
                        Ok(()) => {
                            report.written.push((shown, draft.notes));
                            continue;
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => format!(
                            "{}: {} already exists; rename it to import this entry",
                            entry.company,
                            display_path(&shown)
                        ),
                        Err(e) => {
                            report.failed = true;
                            format!(
                                "{}: cannot write {}: {e}",
                                entry.company,
                                display_path(&shown)
                            )
                        }
                    }
                }
                Err(reason) => reason,
            };
            report.skipped.push(Skip { line, reason });
        }
        report.skipped.extend(list.skipped);
        report.skipped.sort_by_key(|s| s.line);
        if verbosity != Verbosity::Quiet || report.failed {
            print!("{}", report.render(&self.file, &shown));
        }
        if report.failed {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}

fn read_list(path: &Path) -> Result<String, Diagnostic> {
    let bytes = std::fs::read(path)
        .map_err(|e| Diagnostic::error(path, Pos::START, format!("cannot read the list: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        Diagnostic::error(
            path,
            Pos::of_invalid_utf8(&e),
            "the list is not valid UTF-8",
        )
        .with_hint("save it as UTF-8 (most editors have an encoding option)")
    })
}

/// Every source of the knowledge base, drafts included, by canonical URL,
/// with the file that cites it. Files with errors are left out, as a build
/// leaves them out.
fn known_sources(root: &Path, config: &Config) -> HashMap<String, PathBuf> {
    let loaded = build::load_all(root, config.clone(), true);
    let mut known = HashMap::new();
    for incident in &loaded.site.incidents {
        for source in &incident.sources {
            for url in std::iter::once(&source.url).chain(&source.archived) {
                known
                    .entry(canonical_url(url))
                    .or_insert_with(|| incident.path.clone());
            }
        }
    }
    known
}

/// What an import did.
#[derive(Debug, Default)]
struct Report {
    /// Each draft's path as shown, with its notes.
    written: Vec<(PathBuf, Vec<String>)>,
    skipped: Vec<Skip>,
    /// A draft could not be written.
    failed: bool,
}

impl Report {
    fn render(&self, list: &Path, into: &Path) -> String {
        let list = display_path(list);
        let mut out = format!(
            "Wrote {} from {list} to {}/:\n",
            crate::diagnostic::count(self.written.len(), "draft"),
            display_path(into).trim_end_matches('/')
        );
        for (path, notes) in &self.written {
            let _ = writeln!(out, "  {}", display_path(path));
            for note in notes {
                let _ = writeln!(out, "    - {note}");
            }
        }
        if !self.skipped.is_empty() {
            out.push_str("Skipped:\n");
            for skip in &self.skipped {
                let _ = writeln!(out, "  {list}:{}: {}", skip.line, skip.reason);
            }
        }
        out
    }
}
