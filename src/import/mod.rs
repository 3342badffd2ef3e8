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
use std::path::PathBuf;

use chrono::NaiveDate;

use crate::config::Config;
use crate::content::date::Precision;
use crate::content::draft::{self, Draft};
use crate::content::markdown::{self, RenderOptions};
use crate::content::{PartialDate, Source, is_http_url};
use crate::diagnostic::display_path;
use crate::lint::{archived_original, canonical_url};
use category::CategoryFrom;
use date::DateFrom;
use list::Entry;

/// Titles are the summary's first sentence, cut at a word past this.
const TITLE_CHARS: usize = 90;

/// A draft ready to write.
pub struct Imported {
    pub name: String,
    pub text: String,
    /// What could not be filled, or was guessed.
    pub notes: Vec<String>,
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
        shared: false,
    }
}

/// The draft of one entry, or why it is skipped. `seen` holds the canonical
/// sources of the list's entries so far, with their lines.
pub fn import(
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
    let title = crate::text::cut_at_word(sentence, TITLE_CHARS);
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
    let name = draft::incident_file_name(
        &date,
        company,
        title.strip_prefix(company.as_str()).unwrap_or(&title),
    );
    let text = draft::incident(
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
