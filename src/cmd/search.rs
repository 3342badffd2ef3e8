//! `castor search`: find the site, make sure its index is current, answer.
//!
//! Exit codes: 0 with or without results, 2 for a bad query, option or
//! configuration, 1 when a needed rebuild finds content errors.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;

use super::{Verbosity, find_root, print_diagnostics, report_failure};
use crate::config::Config;
use crate::content::frontmatter::IMPACT_KINDS;
use crate::content::{self, Kind};
use crate::diagnostic::{self, Diagnostic};
use crate::guard;
use crate::search::query::{self, Error, Hit, Request};
use crate::search::{Freshness, Stamp, index, stamp};
use crate::slug;

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words to find, all of them by default. Also: "a phrase", OR, NOT,
    /// -word, and field:word with a field among title, company, tags,
    /// root_cause, lessons and body.
    #[arg(value_name = "QUERY")]
    pub query: Vec<String>,
    /// Only this category (its key, as in book.toml).
    #[arg(long, value_name = "KEY")]
    pub category: Option<String>,
    /// Only this company (any case).
    #[arg(long, value_name = "NAME")]
    pub company: Option<String>,
    /// Only pages with this tag.
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,
    /// Only incidents involving this technology (any case: its page's name
    /// also works).
    #[arg(long, value_name = "NAME")]
    pub technology: Option<String>,
    /// Only incidents of this impact kind, as written in front matter.
    #[arg(long, value_name = "KIND")]
    pub impact_kind: Option<String>,
    /// Only near misses; `--near-miss=false` leaves them out.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub near_miss: Option<bool>,
    /// Only incidents from this year on.
    #[arg(long, value_name = "YYYY")]
    pub since: Option<u64>,
    /// Only incidents up to this year.
    #[arg(long, value_name = "YYYY")]
    pub until: Option<u64>,
    /// Only incidents or only advice pages.
    #[arg(long, value_enum)]
    pub kind: Option<Kind>,
    /// How many results at most.
    #[arg(long, short = 'n', default_value_t = 10, value_name = "N")]
    pub limit: usize,
    /// Print one JSON array (fields listed in the README) instead of text.
    #[arg(long)]
    pub json: bool,
    /// List the incidents most like this one (its slug) instead.
    #[arg(long, value_name = "SLUG", conflicts_with = "query")]
    pub similar: Option<String>,
    /// The site's root directory (default: the nearest directory upward holding book.toml).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Answer from the index as it is, without checking it against the
    /// content: for scripts that bring it up to date themselves (with
    /// `castor build`). A missing or unreadable index is still rebuilt.
    #[arg(long)]
    pub no_refresh: bool,
}

/// A result as `--json` prints it: every indexed field, the score, and the
/// built page's path.
#[derive(Serialize)]
struct JsonHit<'a> {
    #[serde(flatten)]
    hit: &'a Hit,
    path: String,
}

impl SearchArgs {
    pub fn run(self, verbosity: Verbosity) -> ExitCode {
        match self.search(verbosity) {
            Ok(()) => ExitCode::SUCCESS,
            Err(code) => code,
        }
    }

    fn search(self, verbosity: Verbosity) -> Result<(), ExitCode> {
        let root = find_root(self.root.as_deref())?;
        let configuration_error = |d: Diagnostic| {
            print_diagnostics(&root, std::slice::from_ref(&d));
            ExitCode::from(2)
        };
        let config = Config::load(&root).map_err(configuration_error)?;
        let dirs = guard::Dirs::resolve(&root, &config, None).map_err(configuration_error)?;
        let request = self.request(&config)?;
        let dir = &dirs.index.dir;
        // The freshness check states every content file, and the search
        // does not need its answer until the end: both run at once, and
        // the early answer is dropped if the index turns out stale.
        let (freshness, early) = if self.no_refresh && Stamp::exists(dir) {
            (Freshness::Fresh, ask(dir, &request))
        } else {
            stamp::freshness_beside(&root, &config, dir, || ask(dir, &request))
        };
        let outcome = match early {
            outcome
                if freshness == Freshness::Fresh && !matches!(outcome, Err(Error::Index(_))) =>
            {
                outcome
            }
            _ => answer_after_update(&root, &config, &dirs, freshness, &request, verbosity)?,
        };
        let outcome = outcome.map_err(|e| match e {
            Error::BadQuery(message) => usage(
                &Diagnostic::general(format!(
                    "cannot understand the query `{}`: {message}",
                    request.query
                ))
                .with_hint(
                    "quote phrases (\"split brain\"), close parentheses, and prefix only \
                     the fields title, company, tags, root_cause, lessons and body",
                ),
            ),
            Error::UnknownSlug(slug) => usage(
                &Diagnostic::general(format!("no incident has the slug `{slug}`"))
                    .with_hint("the slug is the file name without `.md`"),
            ),
            Error::Index(e) => {
                eprintln!(
                    "error: the search index in {} cannot be read, even rebuilt: {e}",
                    diagnostic::display_path(&dirs.index.display)
                );
                ExitCode::from(1)
            }
        })?;
        let output = &config.build.output;
        if self.json {
            print_json(&outcome.hits, output);
            if outcome.hits.is_empty() || outcome.fuzzy {
                eprintln!("{}", note(&request, &outcome));
            }
        } else {
            print_text(&request, &outcome, output, use_color());
        }
        Ok(())
    }

    /// The request, with the options checked against the configuration.
    fn request(&self, config: &Config) -> Result<Request, ExitCode> {
        let query = self.query.join(" ");
        let filtered = self.category.is_some()
            || self.company.is_some()
            || self.tag.is_some()
            || self.technology.is_some()
            || self.impact_kind.is_some()
            || self.near_miss.is_some()
            || self.since.is_some()
            || self.until.is_some()
            || self.kind.is_some();
        if query.trim().is_empty() && self.similar.is_none() && !filtered {
            return Err(usage(
                &Diagnostic::general("nothing to search for").with_hint(
                    "give a query, a filter such as `--category network`, or `--similar SLUG`",
                ),
            ));
        }
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(usage(
                &Diagnostic::general(format!(
                    "the query is {} characters long, over the limit of {MAX_QUERY_CHARS}",
                    query.chars().count()
                ))
                .with_hint("search for the few words that matter"),
            ));
        }
        if nesting(&query) > MAX_QUERY_NESTING {
            return Err(usage(
                &Diagnostic::general(format!(
                    "the query nests parentheses more than {MAX_QUERY_NESTING} levels deep"
                ))
                .with_hint("remove the extra parentheses"),
            ));
        }
        if let Some(category) = &self.category
            && !config.categories.contains_key(category)
        {
            return Err(usage(
                &Diagnostic::general(format!("unknown category `{category}`"))
                    .with_hint(slug::suggest(category, &config.category_keys())),
            ));
        }
        if let Some(kind) = &self.impact_kind
            && !IMPACT_KINDS.contains(&kind.as_str())
        {
            return Err(usage(
                &Diagnostic::general(format!("unknown impact kind `{kind}`"))
                    .with_hint(slug::suggest(kind, IMPACT_KINDS)),
            ));
        }
        if let (Some(since), Some(until)) = (self.since, self.until)
            && since > until
        {
            return Err(usage(&Diagnostic::general(format!(
                "--since {since} is after --until {until}"
            ))));
        }
        Ok(Request {
            query,
            category: self.category.clone(),
            company: self.company.clone(),
            tag: self.tag.clone(),
            technology: self.technology.as_deref().map(slug::slugify),
            impact_kind: self.impact_kind.clone(),
            near_miss: self.near_miss,
            since: self.since,
            until: self.until,
            kind: self.kind,
            limit: self.limit,
            similar: self.similar.clone(),
        })
    }
}

/// The longest query, in characters, and the deepest nesting of its
/// parentheses: tantivy's parser recurses once per level, and a query
/// thousands of levels deep overflowed the stack.
const MAX_QUERY_CHARS: usize = 1_000;
const MAX_QUERY_NESTING: usize = 16;

/// How deep the parentheses of `query` nest.
fn nesting(query: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0);
    for c in query.chars() {
        match c {
            '(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// How long a search waits for another castor process to finish writing
/// the index before it answers from the previous one.
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// Brings a missing, stale or damaged index up to date, then answers.
/// Another process writing it is waited for a moment; after that the
/// previous index answers, with a note. An index that cannot be read is
/// rebuilt anew, once.
fn answer_after_update(
    root: &Path,
    config: &Config,
    dirs: &guard::Dirs,
    freshness: Freshness,
    request: &Request,
    verbosity: Verbosity,
) -> Result<Result<query::Outcome, Error>, ExitCode> {
    let say = |line: String| {
        if verbosity != Verbosity::Quiet {
            eprintln!("{line}");
        }
    };
    if freshness != Freshness::Fresh {
        content::require_dir(root, config).map_err(|d| {
            print_diagnostics(root, std::slice::from_ref(&d));
            ExitCode::from(1)
        })?;
        match wait_for_lock(dirs)? {
            Some(lock) => {
                // The process waited for may have just brought it up to date.
                let now = stamp::freshness_plain(root, config, &dirs.index.dir);
                if now != Freshness::Fresh {
                    say(format!("Rebuilding the search index: {}.", now.reason()));
                    crate::build::index(root, config, dirs, &lock, false)
                        .map_err(|f| report_failure(root, &f, "cannot search"))?;
                }
            }
            None if Stamp::read(&dirs.index.dir).is_some() => say(
                "Note: another castor process is updating the search index; \
                 these results come from the previous one."
                    .into(),
            ),
            None => {
                eprintln!(
                    "error: another castor process is writing the search index of this site\n  \
                     = help: search again in a moment"
                );
                return Err(ExitCode::from(2));
            }
        }
    }
    match ask(&dirs.index.dir, request) {
        Err(Error::Index(e)) => {
            say(format!(
                "Rebuilding the search index: it cannot be read ({e})."
            ));
            let Some(lock) = wait_for_lock(dirs)? else {
                eprintln!(
                    "error: the search index cannot be read ({e}), and another castor process \
                     is writing it\n  = help: search again in a moment"
                );
                return Err(ExitCode::from(2));
            };
            crate::build::index(root, config, dirs, &lock, true)
                .map_err(|f| report_failure(root, &f, "cannot search"))?;
            Ok(ask(&dirs.index.dir, request))
        }
        outcome => Ok(outcome),
    }
}

/// Opens the index in `dir` and answers `request`. A damaged index is an
/// index error, whether tantivy reports it or panics on it (it does on a
/// truncated segment file): the caller rebuilds it.
fn ask(dir: &Path, request: &Request) -> Result<query::Outcome, Error> {
    let damaged = |why: String| Error::Index(tantivy::TantivyError::SystemError(why));
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let answer = std::panic::catch_unwind(|| {
        let opened = index::open(dir).map_err(|e| damaged(format!("{e:#}")))?;
        let outcome = query::search(&opened, request);
        // Unmapping the index's files here, with the freshness check still
        // running on the other core, costs a millisecond of TLB flushes on
        // both; the exit frees them for nothing.
        std::mem::forget(opened);
        outcome
    });
    std::panic::set_hook(report);
    answer.unwrap_or_else(|_| Err(damaged("a file of the index is damaged".into())))
}

/// The site's lock, waited for up to [`LOCK_WAIT`]; `None` when another
/// process still holds it then.
fn wait_for_lock(dirs: &guard::Dirs) -> Result<Option<guard::Lock>, ExitCode> {
    let start = Instant::now();
    loop {
        match guard::Lock::try_take(&dirs.state) {
            Ok(lock) => return Ok(Some(lock)),
            Err(guard::LockError::Busy) if start.elapsed() < LOCK_WAIT => {
                std::thread::sleep(Duration::from_millis(25));
            }
            Err(guard::LockError::Busy) => return Ok(None),
            Err(guard::LockError::Io(e)) => {
                eprintln!("error: cannot take the lock of the search index: {e}");
                return Err(ExitCode::from(2));
            }
        }
    }
}

fn usage(d: &Diagnostic) -> ExitCode {
    eprintln!("{d}");
    ExitCode::from(2)
}

/// Bold only for a person at a terminal who has not asked for no colour
/// (<https://no-color.org>).
fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The built page of a result, as a path from the site root.
fn page_path(output: &Path, url: &str) -> String {
    diagnostic::display_path(&output.join(url).join("index.html"))
}

/// What to say when the exact query found nothing.
fn note(request: &Request, outcome: &query::Outcome) -> String {
    let list = |words: &[String]| {
        words
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let terms = list(&outcome.suggestions);
    let mut note = if outcome.fuzzy {
        format!(
            "No exact match for `{}`; showing results for close spellings: {terms}.",
            request.query
        )
    } else if terms.is_empty() {
        format!("No results for `{}`.", request.query)
    } else {
        format!(
            "No results for `{}`. Closest indexed terms: {terms}.",
            request.query
        )
    };
    if !outcome.common.is_empty() {
        note.push_str(&format!(
            " Words too common to be indexed: {}.",
            list(&outcome.common)
        ));
    }
    note
}

fn print_json(hits: &[Hit], output: &Path) {
    let hits: Vec<JsonHit> = hits
        .iter()
        .map(|hit| JsonHit {
            hit,
            path: page_path(output, &hit.url),
        })
        .collect();
    // Serializing plain strings and numbers cannot fail.
    let json = serde_json::to_string_pretty(&hits).unwrap_or_default();
    println!("{json}");
}

fn print_text(request: &Request, outcome: &query::Outcome, output: &Path, color: bool) {
    let mut out = std::io::stdout().lock();
    if outcome.hits.is_empty() || outcome.fuzzy {
        let _ = writeln!(out, "{}", note(request, outcome));
        if outcome.hits.is_empty() {
            return;
        }
        let _ = writeln!(out);
    }
    let bold = |s: &str| {
        if color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    for (n, hit) in outcome.hits.iter().enumerate() {
        let mut facts = vec![];
        if !hit.company.is_empty() {
            facts.push(hit.company.clone());
        }
        if !hit.date.is_empty() {
            facts.push(hit.date.clone());
        }
        facts.push(if hit.category.is_empty() {
            hit.kind.clone()
        } else {
            hit.category.clone()
        });
        let _ = writeln!(out, "{}. {}", n + 1, bold(&hit.title));
        let _ = writeln!(out, "   {}", facts.join(" · "));
        let _ = writeln!(out, "   {}", page_path(output, &hit.url));
        let _ = writeln!(
            out,
            "   {}",
            highlight(&hit.snippet, &hit.highlights, &bold)
        );
        let _ = writeln!(out);
    }
}

/// `snippet` with its matched ranges passed through `mark`, on one line.
fn highlight(snippet: &str, ranges: &[[usize; 2]], mark: &dyn Fn(&str) -> String) -> String {
    let mut text = String::new();
    let mut at = 0;
    for &[start, end] in ranges {
        let (Some(before), Some(matched)) = (snippet.get(at..start), snippet.get(start..end))
        else {
            continue;
        };
        text.push_str(before);
        text.push_str(&mark(matched));
        at = end;
    }
    text.push_str(snippet.get(at..).unwrap_or_default());
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlight_marks_each_range_and_joins_lines() {
        let marked = highlight("a bgp\nleak", &[[2, 5]], &|s| format!("*{s}*"));
        assert_eq!(marked, "a *bgp* leak");
    }
}
