//! `castor new`: starts an incident or advice page from a template with
//! every field, never overwriting a file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::{Verbosity, find_root};
use crate::config::Config;
use crate::content::date::ACCEPTED_FORMS;
use crate::content::draft::{self, Draft, incident_file_name, short_slug};
use crate::content::{Kind, PartialDate, Source};
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
        let root = match find_root(self.root.as_deref()) {
            Ok(root) => root,
            Err(code) => return code,
        };
        match self.create(&root) {
            Ok(path) => {
                if verbosity != Verbosity::Quiet {
                    println!("{}", path.display());
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            }
        }
    }

    /// Writes the file and returns its path relative to the root.
    pub fn create(&self, root: &Path) -> anyhow::Result<PathBuf> {
        let config = Config::load(root).map_err(|d| anyhow::anyhow!("{d}"))?;
        let title_slug = short_slug(&self.title);
        anyhow::ensure!(
            !title_slug.is_empty(),
            "the title needs at least one letter or digit"
        );
        let (rel, text) = match self.kind {
            Kind::Advice => (
                Path::new("advice").join(format!("{title_slug}.md")),
                draft::advice(&self.title),
            ),
            Kind::Incident => {
                let date = match &self.date {
                    Some(d) => PartialDate::parse(d).ok_or_else(|| {
                        anyhow::anyhow!("invalid date `{d}`: write {ACCEPTED_FORMS}")
                    })?,
                    None => PartialDate::parse(&chrono::Local::now().date_naive().to_string())
                        .expect("today is a date"),
                };
                let keys = config.category_keys();
                let category = match &self.category {
                    Some(c) if config.categories.contains_key(c) => c.clone(),
                    Some(c) => anyhow::bail!("unknown category `{c}`: {}", slug::suggest(c, &keys)),
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
                        }],
                        summary: None,
                    },
                    &keys,
                );
                (Path::new("incidents").join(name), text)
            }
        };
        let rel = config.build.content.join(rel);
        let path = root.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", parent.display()))?;
        }
        guard::create_new_file(&path, &text).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                anyhow::anyhow!(
                    "{} already exists; castor new never overwrites a file",
                    rel.display()
                )
            } else {
                anyhow::anyhow!("cannot write {}: {e}", rel.display())
            }
        })?;
        Ok(rel)
    }
}
