//! `castor new`: starts an incident or advice page from a template with
//! every field, never overwriting a file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::{Verbosity, find_site};
use crate::config::Config;
use crate::content::date::{ACCEPTED_FORMS, DateProblem};
use crate::content::draft::{self, Draft, incident_file_name, short_slug};
use crate::content::{Kind, PartialDate, Source};
use crate::diagnostic::Diagnostic;
use crate::guard;
use crate::slug;

#[derive(Debug, Args)]
pub struct NewArgs {
    /// What to start.
    #[arg(value_enum)]
    pub kind: Kind,
    /// The title, in quotes.
    pub title: String,
    /// The organisation the incident happened to.
    #[arg(long)]
    pub company: Option<String>,
    /// YYYY-MM-DD, YYYY-MM or YYYY (default: today).
    #[arg(long)]
    pub date: Option<String>,
    /// A category key from book.toml.
    #[arg(long)]
    pub category: Option<String>,
    /// The site's root directory (default: the nearest directory upward holding book.toml).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

impl NewArgs {
    pub fn run(self, verbosity: Verbosity) -> ExitCode {
        let (root, config) = match find_site(self.root.as_deref()) {
            Ok(site) => site,
            Err(code) => return code,
        };
        let (rel, text) = match self.draft(&config) {
            Ok(draft) => draft,
            Err(d) => {
                eprintln!("{d}");
                return ExitCode::from(2);
            }
        };
        let rel = config.build.content.join(rel);
        match write(&root.join(&rel), &text) {
            Ok(()) => {
                if verbosity != Verbosity::Quiet {
                    println!("{}", rel.display());
                }
                ExitCode::SUCCESS
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                eprintln!(
                    "error: {} already exists; castor new never overwrites a file",
                    rel.display()
                );
                ExitCode::from(2)
            }
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", rel.display());
                ExitCode::from(1)
            }
        }
    }

    /// The new file's path in the content directory, and its text; an
    /// error for a title, date or category that cannot be used.
    fn draft(&self, config: &Config) -> Result<(PathBuf, String), Diagnostic> {
        let title_slug = short_slug(&self.title);
        if title_slug.is_empty() {
            return Err(Diagnostic::general(
                "the title needs at least one letter or digit",
            ));
        }
        Ok(match self.kind {
            Kind::Advice => (
                Path::new("advice").join(format!("{title_slug}.md")),
                draft::advice(&self.title),
            ),
            Kind::Incident => {
                let date = match &self.date {
                    Some(d) => PartialDate::check(d).map_err(|problem| match problem {
                        DateProblem::Form => Diagnostic::general(format!("invalid date `{d}`"))
                            .with_hint(format!("write {ACCEPTED_FORMS}")),
                        DateProblem::OutOfRange(why) => {
                            Diagnostic::general(format!("the date `{d}` does not exist: {why}"))
                        }
                    })?,
                    None => PartialDate::parse(&chrono::Local::now().date_naive().to_string())
                        .expect("today is a date"),
                };
                let keys = config.category_keys();
                let category = match &self.category {
                    Some(c) if config.categories.contains_key(c) => c.clone(),
                    Some(c) => {
                        return Err(Diagnostic::general(format!("unknown category `{c}`"))
                            .with_hint(slug::suggest(c, &keys)));
                    }
                    None => keys.first().map(|k| k.to_string()).unwrap_or_default(),
                };
                let company = self.company.clone().unwrap_or_else(|| "Unknown".into());
                let name = incident_file_name(&date, &company, &self.title);
                let text = draft::incident(
                    &Draft {
                        title: &self.title,
                        company: &company,
                        date,
                        date_note: None,
                        category: &category,
                        sources: &[Source {
                            url: "https://example.com/replace-with-the-original-post-mortem".into(),
                            title: None,
                            archived: None,
                            published: None,
                            shared: false,
                        }],
                        summary: None,
                    },
                    &keys,
                );
                (Path::new("incidents").join(name), text)
            }
        })
    }
}

/// Creates `path` with `text`, and its directory if needed; never
/// overwrites a file.
fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        // Not "already exists" when a file stands where a directory must.
        std::fs::create_dir_all(parent).map_err(std::io::Error::other)?;
    }
    guard::create_new_file(path, text)
}
