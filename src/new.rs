//! `castor new`: starts an incident or advice page from a template with
//! every field, never overwriting a file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::cli::{Verbosity, find_root};
use crate::config::Config;
use crate::content::PartialDate;
use crate::content::date::ACCEPTED_FORMS;
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
                let company_slug = slug::slugify(&company);
                let name = [date.iso(), company_slug, title_slug]
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join("-");
                let text = incident(&self.title, &company, &date, &category, &keys);
                (Path::new("incidents").join(format!("{name}.md")), text)
            }
        };
        let rel = config.build.content.join(rel);
        let path = root.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", parent.display()))?;
        }
        // create_new: an existing file is never overwritten, even one that
        // appears between a check and the write.
        let mut file = std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    anyhow::anyhow!(
                        "{} already exists; castor new never overwrites a file",
                        rel.display()
                    )
                } else {
                    anyhow::anyhow!("cannot create {}: {e}", rel.display())
                }
            })?;
        file.write_all(text.as_bytes())
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", rel.display()))?;
        Ok(rel)
    }
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

fn incident(
    title: &str,
    company: &str,
    date: &PartialDate,
    category: &str,
    categories: &[&str],
) -> String {
    format!(
        r#"---
title: {title}
company: {company}
date: {date}
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
  - url: https://example.com/replace-with-the-original-post-mortem
    title: ""
    archived: ""
    published: ""
contributing_factors: []
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

What happened, in a paragraph.

## Timeline

- HH:MM UTC: first sign of trouble.

## What went wrong

## How it was fixed

## Lessons
"#,
        title = quoted(title),
        company = quoted(company),
        date = date.iso(),
        categories = categories.join(", "),
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
