//! Warnings `castor check` adds to the errors of a build: things that are
//! valid but probably not what the contributor meant.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::diagnostic::{Diagnostic, Pos};
use std::path::Path;

use crate::content::Incident;
use crate::site::Site;

/// Titles longer than this are cut off in lists and feeds.
pub const MAX_TITLE_CHARS: usize = 100;

/// More tags than an incident plausibly needs: each one writes pages, and
/// a file with 100,000 of them wrote 806 MB.
pub const MAX_TAGS: usize = 20;

/// Every warning for the site, as of `today`.
pub fn lint(site: &Site, today: NaiveDate) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    let mut by_source: HashMap<String, usize> = HashMap::new();
    let names = |names: fn(&Incident) -> &[String]| {
        site.incidents
            .iter()
            .flat_map(move |i| names(i).iter().map(|n| (n.as_str(), i.path.as_path())))
    };
    warnings.extend(shared_pages(
        names(|i| std::slice::from_ref(&i.company)),
        ("company", "companies"),
    ));
    warnings.extend(shared_pages(
        names(|i| &i.technologies),
        ("technology", "technologies"),
    ));
    // Oldest first, so a likely duplicate is reported on the newer file.
    for (i, incident) in site.incidents.iter().enumerate().rev() {
        let warn = |pos: Pos, message: String, hint: &str| {
            Diagnostic::warning(&incident.path, pos, message).with_hint(hint)
        };
        if incident.date.is_after(today) {
            warnings.push(warn(
                incident.date_pos,
                format!("the date {} is in the future", incident.date),
                "check the year",
            ));
        }
        if let Some(prefix) = date_prefix(&incident.slug)
            && prefix != incident.date.iso()
        {
            warnings.push(warn(
                incident.date_pos,
                format!(
                    "the file name starts with {prefix} but `date` is {}",
                    incident.date
                ),
                "rename the file or correct the date, so lists and file names agree",
            ));
        }
        for (source, &pos) in incident.sources.iter().zip(&incident.source_pos) {
            if canonical_url(&source.url).starts_with("example.com/") {
                warnings.push(warn(
                    pos,
                    format!("`{}` is a placeholder", source.url),
                    "put the address of the original post-mortem here",
                ));
            }
            if source.url.starts_with("http://") {
                warnings.push(warn(
                    pos,
                    format!("`{}` is not https", source.url),
                    "use the https address if the site has one",
                ));
            }
            if source.shared {
                continue;
            }
            match by_source.get(&duplicate_key(&source.url)) {
                Some(&other) if other != i => warnings.push(warn(
                    pos,
                    format!(
                        "same source as `{}`: this may be a duplicate",
                        crate::diagnostic::display_path(&site.incidents[other].path)
                    ),
                    "merge the two files if they tell the same incident",
                )),
                Some(_) => {}
                None => {
                    by_source.insert(duplicate_key(&source.url), i);
                }
            }
        }
        if incident.advice.is_empty() {
            warnings.push(warn(
                Pos::START,
                "the incident cites no advice".into(),
                "add `advice:` with the slug of a page in content/advice/",
            ));
        }
        if incident.impact.is_none() {
            warnings.push(warn(
                Pos::START,
                "no `impact`".into(),
                "say who was hurt and how much, even without figures",
            ));
        }
        if incident.tags.len() > MAX_TAGS {
            warnings.push(warn(
                Pos::START,
                format!(
                    "{} tags, over {MAX_TAGS}: each tag writes pages of its own",
                    incident.tags.len()
                ),
                "keep the few tags a reader would browse by",
            ));
        }
        let chars = incident.title.chars().count();
        if chars > MAX_TITLE_CHARS {
            warnings.push(warn(
                incident.title_pos,
                format!("the title is {chars} characters long"),
                "keep titles under 100 characters; details belong in the summary",
            ));
        }
    }
    warnings
}

/// A warning for each name that shares its page with another spelled
/// differently, beyond case: two companies, or two technologies, written
/// as one. `names` are `(name, file)` in the site's order; `kind` is the
/// singular and the plural of what they name.
fn shared_pages<'a>(
    names: impl Iterator<Item = (&'a str, &'a Path)>,
    (singular, plural): (&str, &str),
) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    // Names by the page they get, with the first file naming each.
    let mut by_page: HashMap<String, (&str, &Path)> = HashMap::new();
    for (name, path) in names {
        let page = crate::slug::slugify(name);
        match by_page.get(&page) {
            Some((first, first_path)) if !first.eq_ignore_ascii_case(name) => {
                warnings.push(
                    Diagnostic::warning(
                        path,
                        Pos::START,
                        format!(
                            "the {plural} `{name}` and `{first}` (in `{}`) share one page, `{plural}/{page}/`",
                            crate::diagnostic::display_path(first_path)
                        ),
                    )
                    .with_hint(format!(
                        "spell the {singular} the same way in both, or tell them apart in the name"
                    )),
                );
            }
            Some(_) => {}
            None => {
                by_page.insert(page, (name, path));
            }
        }
    }
    warnings
}

/// `2021-10-04`, `2021-10` or `2021` at the start of a slug.
fn date_prefix(slug: &str) -> Option<String> {
    let parts: Vec<&str> = slug.split('-').take(3).collect();
    let is_num = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [y, m, d, ..] if is_num(y, 4) && is_num(m, 2) && is_num(d, 2) => {
            Some(format!("{y}-{m}-{d}"))
        }
        [y, m, ..] if is_num(y, 4) && is_num(m, 2) => Some(format!("{y}-{m}")),
        [y, ..] if is_num(y, 4) => Some(y.to_string()),
        _ => None,
    }
}

/// A URL reduced to what identifies a document: no scheme, no `www.`, no
/// fragment, no trailing slash, and a web.archive.org wrapper unwrapped.
pub fn canonical_url(url: &str) -> String {
    let url = url.trim();
    let rest = strip_scheme(archived_original(url).unwrap_or(url));
    let rest = rest.split('#').next().unwrap_or_default();
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    format!("{host}/{}", path.trim_end_matches('/'))
}

/// What two incidents citing one source share: its canonical URL with
/// the fragment, since sections of one report (`#march`, `#april`) tell
/// different incidents.
fn duplicate_key(url: &str) -> String {
    match url.split_once('#') {
        Some((_, fragment)) if !fragment.is_empty() => {
            format!("{}#{fragment}", canonical_url(url))
        }
        _ => canonical_url(url),
    }
}

/// The original address inside a web.archive.org copy's URL,
/// `web.archive.org/web/<timestamp>[flags]/<original>`; `None` for any
/// other URL.
pub fn archived_original(url: &str) -> Option<&str> {
    let (_, original) = strip_scheme(url)
        .strip_prefix("web.archive.org/web/")?
        .split_once('/')?;
    Some(original)
}

fn strip_scheme(url: &str) -> &str {
    url.strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_urls_ignore_scheme_www_slash_fragment_and_archive() {
        let plain = canonical_url("https://blog.example.com/post");
        for same in [
            "http://www.blog.example.com/post/",
            "https://Blog.Example.com/post#timeline",
            "https://web.archive.org/web/20211005000000/https://blog.example.com/post",
            "https://web.archive.org/web/20211005000000id_/http://www.blog.example.com/post/",
        ] {
            assert_eq!(canonical_url(same), plain, "{same}");
        }
        assert_ne!(canonical_url("https://blog.example.com/other"), plain);
    }

    #[test]
    fn finds_the_original_inside_an_archive_url() {
        assert_eq!(
            archived_original("https://web.archive.org/web/20170210093000/https://a.example/x?y=1"),
            Some("https://a.example/x?y=1")
        );
        assert_eq!(archived_original("https://a.example/web/x"), None);
    }

    #[test]
    fn finds_date_prefixes_of_each_precision() {
        assert_eq!(
            date_prefix("2021-10-04-facebook-bgp").as_deref(),
            Some("2021-10-04")
        );
        assert_eq!(date_prefix("2021-10-ovh-email").as_deref(), Some("2021-10"));
        assert_eq!(date_prefix("2018-criteo").as_deref(), Some("2018"));
        assert_eq!(date_prefix("knight-capital"), None);
    }
}
