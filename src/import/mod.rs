//! `castor import list FILE`: turns a Markdown list of post-mortems (the
//! danluu/post-mortems format, see [`list`]) into draft incidents written
//! by `castor new`'s template, one file each, never overwriting a file.
//!
//! An entry whose source is already in the knowledge base, or earlier in
//! the list, is skipped; so is one whose file name is taken (the file is
//! most likely the same entry, imported before into `--into`): rename it
//! and run again to import it anyway. The report lists every draft written
//! with what could not be filled, then every entry skipped and why.

pub mod category;
pub mod date;
pub mod list;
pub mod title;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Subcommand};

use crate::build;
use crate::cli::{Verbosity, find_site};
use crate::config::Config;
use crate::content::date::Precision;
use crate::content::markdown::{self, RenderOptions};
use crate::content::{PartialDate, Source, is_http_url};
use crate::diagnostic::{Diagnostic, Pos, display_path};
use crate::lint::{archived_original, canonical_url};
use crate::new::{self, Draft};
use category::CategoryFrom;
use date::DateFrom;
use list::{Entry, Skip};

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

/// Titles are the summary's first sentence, cut at a word past this.
const TITLE_CHARS: usize = 90;

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
        let text = match read_list(&self.file) {
            Ok(text) => text,
            Err(d) => {
                eprintln!("{d}");
                return ExitCode::from(1);
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
                    match new::create_new(&path, &draft.text) {
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

/// A draft ready to write.
struct Imported {
    name: String,
    text: String,
    /// What could not be filled, or was guessed.
    notes: Vec<String>,
}

/// A source from a URL as listed: an archive copy's original is the URL,
/// the copy its `archived`.
fn source(url: &str) -> Source {
    let (url, archived) = match archived_original(url) {
        Some(original) if is_http_url(original) => (original, Some(url.to_string())),
        _ => (url, None),
    };
    Source {
        url: url.to_string(),
        title: None,
        archived,
        published: None,
    }
}

/// The draft of one entry, or why it is skipped. `seen` holds the canonical
/// sources of the list's entries so far, with their lines.
fn import(
    entry: &Entry,
    config: &Config,
    today: NaiveDate,
    known: &HashMap<String, PathBuf>,
    seen: &mut HashMap<String, usize>,
) -> Result<Imported, String> {
    let company = &entry.company;
    let sources: Vec<Source> = std::iter::once(&entry.url)
        .chain(&entry.also)
        .map(|url| source(url))
        .collect();
    if let Some(bad) = sources.iter().find(|s| !is_http_url(&s.url)) {
        return Err(format!("{company}: `{}` is not an http(s) URL", bad.url));
    }
    let canonical = canonical_url(&entry.url);
    if let Some(path) = known.get(&canonical) {
        return Err(format!(
            "{company}: {} is already in {}",
            sources[0].url,
            display_path(path)
        ));
    }
    if let Some(first) = seen.get(&canonical) {
        return Err(format!("{company}: same source as line {first}"));
    }
    seen.insert(canonical, entry.line);

    // "[Reddit](url) experienced an outage…": the link is the subject.
    let summary = if entry.summary.starts_with(char::is_lowercase) {
        format!("{company} {}", entry.summary)
    } else {
        entry.summary.clone()
    };
    let plain = markdown::render(
        &summary,
        &RenderOptions {
            root: String::new(),
            allow_raw_html: false,
            first_line: 1,
        },
    )
    .0
    .first_paragraph;
    let mut notes = Vec::new();

    let sentence = title::first_sentence(&plain);
    if sentence.is_empty() {
        return Err(format!(
            "{company}: the summary has no text to make a title of"
        ));
    }
    let title = crate::search::cut_at_word(sentence, TITLE_CHARS);
    if title.chars().count() < sentence.chars().count() {
        notes.push(format!(
            "title cut to {TITLE_CHARS} characters from the summary's first sentence"
        ));
    }

    let (date, date_note) = match date::find(&plain, &sources[0].url, today) {
        Some((date, from)) => {
            match date.precision() {
                Precision::Day => {}
                Precision::Month => notes.push("date: only the month was found".into()),
                Precision::Year => notes.push("date: only the year was found".into()),
            }
            if from == DateFrom::Url {
                notes.push(
                    "date from the URL: perhaps the day of the write-up, not of the incident"
                        .into(),
                );
            }
            (date, None)
        }
        None => {
            let date = PartialDate::parse(&today.to_string()).expect("today is a date");
            notes.push(format!(
                "no date found: dated today ({date}); correct the date and the file name"
            ));
            (date, Some("placeholder: no date found in the list"))
        }
    };

    let (category, from) = category::choose(config, entry.heading.as_deref(), &plain);
    match from {
        CategoryFrom::Heading => {}
        CategoryFrom::Summary => {
            notes.push(format!("category `{category}` guessed from the summary"))
        }
        CategoryFrom::Default => notes.push(format!(
            "category `{category}`: nothing in the heading or summary pointed to one"
        )),
    }

    // The company is in the name once, even when the title starts with it.
    let name = new::incident_file_name(
        &date,
        company,
        title.strip_prefix(company.as_str()).unwrap_or(&title),
    );
    let text = new::incident(
        &Draft {
            title: &title,
            company,
            date,
            date_note,
            category: &category,
            sources: &sources,
            summary: Some(&summary),
        },
        &config.category_keys(),
    );
    Ok(Imported { name, text, notes })
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
