//! The text of a new incident or advice file: every field, the body's
//! sections and `draft: true`. `castor new` and `castor import` start
//! files from it.

use crate::content::{PartialDate, Source};
use crate::slug;

/// Slugs stay readable in a file list: long titles are cut at a word.
const MAX_TITLE_SLUG: usize = 50;

/// `<date>-<company>-<title>.md`, slugified, the title cut at a word.
pub fn incident_file_name(date: &PartialDate, company: &str, title: &str) -> String {
    let name = [date.iso(), slug::slugify(company), short_slug(title)]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    format!("{name}.md")
}

pub fn short_slug(title: &str) -> String {
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
summary: ""  # one sentence for lists and feeds; empty: the Summary section's first paragraph
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
aliases: []  # old URLs of this page (incidents/old-name/), if its file is renamed
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

pub fn advice(title: &str) -> String {
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
