//! Reading a Markdown list of post-mortems in the format of the
//! danluu/post-mortems README: `## Category` headings, then one paragraph
//! per post-mortem starting with a link whose text is the company:
//!
//! ```markdown
//! ## Config Errors
//!
//! [Company](https://example.com/post-mortem). What happened, in a sentence or two.
//! ```
//!
//! The structure comes from pulldown-cmark's events, with their byte ranges
//! so the summary keeps its Markdown (inline links, `code`) as written.

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::diagnostic::Pos;

/// One post-mortem of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The line of the list file the entry starts on.
    pub line: usize,
    /// The heading the entry stands under, if any.
    pub heading: Option<String>,
    /// The first link's text.
    pub company: String,
    /// The first link's address, as written.
    pub url: String,
    /// Further sources: "see also" links, and a link right after the first.
    pub also: Vec<String>,
    /// The rest of the paragraph, in Markdown, without the links taken as
    /// sources.
    pub summary: String,
}

/// Something of the list that is not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub line: usize,
    pub reason: String,
}

/// What a list holds.
#[derive(Debug, Default)]
pub struct List {
    pub entries: Vec<Entry>,
    pub skipped: Vec<Skip>,
}

/// Headings of the danluu README's sections that list no post-mortems.
const NOT_POST_MORTEMS: &[&str] = &[
    "table of contents",
    "other lists",
    "analysis",
    "contributors",
];

/// Reads the entries of a list. Paragraphs before the first heading are an
/// introduction unless they are entries; a paragraph under a heading that is
/// not an entry is reported as skipped.
pub fn parse(text: &str) -> List {
    let mut list = List::default();
    let mut heading: Option<String> = None;
    let mut in_section = false;
    let mut skipping_section = false;
    let mut events = Parser::new_ext(text, Options::empty()).into_offset_iter();
    // Lists, quotes and tables hold no entries; their paragraphs are skipped.
    let mut nesting = 0usize;
    while let Some((event, range)) = events.next() {
        let line = || Pos::of_offset(text, range.start).line;
        match event {
            Event::Start(Tag::Heading { level, .. }) if nesting == 0 => {
                let title = plain_until_end(&mut events);
                if level as usize >= 2 {
                    let lower = title.to_lowercase();
                    skipping_section = NOT_POST_MORTEMS.iter().any(|n| lower.starts_with(n));
                    if skipping_section {
                        list.skipped.push(Skip {
                            line: line(),
                            reason: format!("section `{title}` is not a list of post-mortems"),
                        });
                    }
                    heading = Some(title);
                    in_section = true;
                }
            }
            Event::Start(Tag::Paragraph) if nesting == 0 => {
                let mut inner = Vec::new();
                for (event, range) in events.by_ref() {
                    if event == Event::End(TagEnd::Paragraph) {
                        break;
                    }
                    inner.push((event, range));
                }
                if skipping_section {
                    continue;
                }
                match entry(text, &inner, range.clone()) {
                    Ok(mut entry) => {
                        entry.line = line();
                        entry.heading.clone_from(&heading);
                        list.entries.push(entry);
                    }
                    Err(reason) if in_section => list.skipped.push(Skip {
                        line: line(),
                        reason,
                    }),
                    Err(_) => {}
                }
            }
            Event::Start(Tag::List(_) | Tag::BlockQuote(_) | Tag::Table(_)) => nesting += 1,
            Event::End(TagEnd::List(_) | TagEnd::BlockQuote(_) | TagEnd::Table) => {
                nesting = nesting.saturating_sub(1);
            }
            _ => {}
        }
    }
    list
}

/// The plain text of inline events up to the end of the current element.
fn plain_until_end<'a>(events: &mut impl Iterator<Item = (Event<'a>, Range<usize>)>) -> String {
    let mut text = String::new();
    let mut depth = 0usize;
    for (event, _) in events {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) if depth == 0 => break,
            Event::End(_) => depth -= 1,
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            _ => {}
        }
    }
    text.trim().to_string()
}

/// A link at the top level of a paragraph.
struct Link {
    url: String,
    text: String,
    range: Range<usize>,
}

/// The links directly inside a paragraph, in order, and the byte range each
/// covers in the source.
fn links(inner: &[(Event, Range<usize>)]) -> Vec<(usize, Link)> {
    let mut found = Vec::new();
    let mut depth = 0usize;
    let mut iter = inner.iter().enumerate();
    while let Some((i, (event, range))) = iter.next() {
        match event {
            Event::Start(Tag::Link { dest_url, .. }) if depth == 0 => {
                let text = plain_until_end(&mut iter.by_ref().map(|(_, e)| e.clone()));
                found.push((
                    i,
                    Link {
                        url: dest_url.to_string(),
                        text,
                        range: range.clone(),
                    },
                ));
            }
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    found
}

/// An entry from a paragraph's events, or why the paragraph is not one.
fn entry(
    text: &str,
    inner: &[(Event, Range<usize>)],
    paragraph: Range<usize>,
) -> Result<Entry, String> {
    let links = links(inner);
    let first = match links.first() {
        Some((0, link)) => link,
        _ => return Err("not an entry: the paragraph does not start with a link".into()),
    };
    if first.text.is_empty() {
        return Err("not an entry: the first link has no text to name the company".into());
    }
    // The source ranges of links taken as sources, each with what joins it
    // to the text before (", also "), removed from the summary.
    let mut removed: Vec<Range<usize>> = Vec::new();
    let mut also = Vec::new();
    let mut previous_end = first.range.end;
    let mut leading = true;
    for (_, link) in &links[1..] {
        let between = &text[previous_end..link.range.start];
        let joins_first = leading && is_joiner(between);
        if joins_first || link.text.eq_ignore_ascii_case("see also") {
            let start = if joins_first {
                previous_end
            } else {
                // With the `, ` before it: "Dates broke, [see also](…)."
                previous_end + between.trim_end_matches([',', ';', ' ']).len()
            };
            removed.push(start..link.range.end);
            also.push(link.url.clone());
        } else {
            leading = false;
        }
        previous_end = link.range.end;
    }
    let mut summary = String::new();
    let mut from = first.range.end;
    for cut in &removed {
        summary.push_str(&text[from..cut.start]);
        from = cut.end;
    }
    summary.push_str(&text[from..paragraph.end]);
    let summary = summary
        .trim_start_matches(|c: char| c.is_whitespace() || ".,:;-–—".contains(c))
        .trim_end()
        .to_string();
    if summary.trim_end_matches('.').is_empty() {
        return Err(format!("{}: no summary after the link", first.text));
    }
    Ok(Entry {
        line: 0,
        heading: None,
        company: first.text.clone(),
        url: first.url.clone(),
        also,
        summary,
    })
}

/// What may join a second source to the first link: `, `, `, also `, ` and `.
fn is_joiner(between: &str) -> bool {
    let words = between.trim_matches(|c: char| c.is_whitespace() || c == ',');
    words.is_empty() || ["also", "and", "and also"].contains(&words.to_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_company_url_and_summary_with_its_markdown() {
        let list = parse(
            "## Config Errors\n\n[Acme Inc.](https://acme.example/pm). A bad `config` took down [the API](https://acme.example/api).\n",
        );
        assert_eq!(list.skipped, []);
        let entry = &list.entries[0];
        assert_eq!(entry.line, 3);
        assert_eq!(entry.heading.as_deref(), Some("Config Errors"));
        assert_eq!(entry.company, "Acme Inc.");
        assert_eq!(entry.url, "https://acme.example/pm");
        assert!(entry.also.is_empty());
        assert_eq!(
            entry.summary,
            "A bad `config` took down [the API](https://acme.example/api)."
        );
    }

    #[test]
    fn takes_see_also_links_as_sources_and_out_of_the_summary() {
        let list = parse(
            "## Time\n\n[A](https://a.example/1), [see also](https://a.example/2). Clocks went back.\n\n\
             [B](https://b.example/1), also [this](https://b.example/2). Leap second.\n\n\
             [C](https://c.example/1) Dates broke, [see also](https://c.example/2).\n",
        );
        let got: Vec<(&str, &[String], &str)> = list
            .entries
            .iter()
            .map(|e| (e.company.as_str(), e.also.as_slice(), e.summary.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "A",
                    &["https://a.example/2".to_string()][..],
                    "Clocks went back."
                ),
                (
                    "B",
                    &["https://b.example/2".to_string()][..],
                    "Leap second."
                ),
                (
                    "C",
                    &["https://c.example/2".to_string()][..],
                    "Dates broke."
                ),
            ]
        );
    }

    #[test]
    fn skips_what_is_not_an_entry_and_the_sections_that_list_no_post_mortems() {
        let list = parse(
            "A List of Post-mortems!\n===\n\nIntro text.\n\n## Table of Contents\n\n**[Time](#time)**\n\n\
             ## Time\n\nSun/Oracle. No link here.\n\n[Healthcare.gov](https://h.example/x).\n\n\
             * [not](https://n.example) an entry\n\n## Contributors\n\n[Someone](https://s.example). Thanks.\n",
        );
        assert!(list.entries.is_empty(), "{:?}", list.entries);
        let skipped: Vec<(usize, &str)> = list
            .skipped
            .iter()
            .map(|s| (s.line, s.reason.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                (
                    6,
                    "section `Table of Contents` is not a list of post-mortems"
                ),
                (12, "not an entry: the paragraph does not start with a link"),
                (14, "Healthcare.gov: no summary after the link"),
                (18, "section `Contributors` is not a list of post-mortems"),
            ]
        );
    }
}
