//! `castor new`: starts an incident or advice page from a template with
//! every field, never overwriting a file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::cli::{Verbosity, find_root};
use crate::config::Config;
use crate::content::date::ACCEPTED_FORMS;
use crate::content::{PartialDate, Source};
use crate::slug;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Incident,
    Advice,
}

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

/// Slugs stay readable in a file list: long titles are cut at a word.
const MAX_TITLE_SLUG: usize = 50;

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
                advice(&self.title),
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
                let text = incident(
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
        create_new(&path, &text).map_err(|e| {
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

/// Writes a new file; an existing one is never overwritten, even one that
/// appears between a check and the write. A write that fails half-way
/// removes the file, so nothing half-written is left.
pub fn create_new(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(text.as_bytes()).inspect_err(|_| {
        let _ = std::fs::remove_file(path);
    })
}

/// `<date>-<company>-<title>.md`, slugified, the title cut at a word.
pub fn incident_file_name(date: &PartialDate, company: &str, title: &str) -> String {
    let name = [date.iso(), slug::slugify(company), short_slug(title)]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    format!("{name}.md")
}

fn short_slug(title: &str) -> String {
    let full = slug::slugify(title);
    if full.len() <= MAX_TITLE_SLUG {
        return full;
    }
    let cut = full[..MAX_TITLE_SLUG].rfind('-').unwrap_or(MAX_TITLE_SLUG);
    full[..cut].to_string()
}

/// A YAML double-quoted string: JSON's escaping is valid YAML.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

/// What an incident file starts with; the rest of its fields are
/// placeholders to fill.
pub struct Draft<'a> {
    pub title: &'a str,
    pub company: &'a str,
    pub date: PartialDate,
    /// Said beside the date when it is a stand-in.
    pub date_note: Option<&'a str>,
    pub category: &'a str,
    pub sources: &'a [Source],
    /// The Summary section's Markdown; a placeholder when `None`.
    pub summary: Option<&'a str>,
}

/// The text of a new incident file: every field, the body's sections, and
/// `draft: true`.
pub fn incident(draft: &Draft, categories: &[&str]) -> String {
    let or_empty = |v: &Option<String>| quoted(v.as_deref().unwrap_or_default());
    let sources: String = draft
        .sources
        .iter()
        .map(|s| {
            format!(
                "  - url: {}\n    title: {}\n    archived: {}\n    published: {}\n",
                quoted(&s.url),
                or_empty(&s.title),
                or_empty(&s.archived),
                or_empty(&s.published)
            )
        })
        .collect();
    let date_note = draft
        .date_note
        .map(|note| format!("  # {note}"))
        .unwrap_or_default();
    format!(
        r#"---
title: {title}
company: {company}
date: {date}{date_note}
category: {category}  # one of: {categories}
root_cause: >
  Not disclosed yet: replace with what actually broke, and why, in one to three sentences.
lessons:
  - Replace with a lesson a reader can act on.
impact: ""  # who was hurt, and how much
duration: ""  # such as 45m, 6h or 2d 3h
tags: []  # lowercase, kebab-case
advice: []  # slugs of pages in content/advice/
related: []  # slugs of incidents with a shared cause
sources:
{sources}contributing_factors: []
trigger: ""
detection: ""
resolution: ""
technologies: []
impact_kind: []  # full-outage, partial-outage, degraded, increased-errors, increased-latency, cascading-failure, data-loss, security, non-production
near_miss: false
also_affected: []
draft: true  # remove when the entry is ready
---

## Summary

{summary}

## Timeline

- HH:MM UTC: first sign of trouble.

## What went wrong

## How it was fixed

## Lessons
"#,
        title = quoted(draft.title),
        company = quoted(draft.company),
        date = draft.date.iso(),
        category = draft.category,
        categories = categories.join(", "),
        summary = draft.summary.unwrap_or("What happened, in a paragraph."),
    )
}

fn advice(title: &str) -> String {
    format!(
        r#"---
title: {title}
summary: ""
tags: []
draft: true  # remove when the page is ready
---

## Why it matters

## How to do it
"#,
        title = quoted(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_long_titles_at_a_word() {
        let slug =
            short_slug("A very long title about a database that was deleted by a script at night");
        assert!(slug.len() <= MAX_TITLE_SLUG);
        assert!(!slug.ends_with('-'));
        assert_eq!(short_slug("Short"), "short");
    }

    #[test]
    fn quotes_titles_safely_for_yaml() {
        let title = "A \"quoted\" title: with # and \\ and\nnewline";
        let parsed: String = serde_saphyr::from_str(&quoted(title)).unwrap();
        assert_eq!(parsed, title);
    }
}
