//! The layout of the site's URLs, in one place: where each kind of page
//! lives, which file serves a URL, and how a page links back to the site
//! root. The site stage gives every document and term its URL once from
//! here; templates, search, export and `search.js` read it.
//!
//! URLs are relative to the site root and end in `/` for pages
//! (`incidents/<slug>/`, served by `incidents/<slug>/index.html`), so the
//! site works from any sub-path and from a plain file server.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use memchr::memmem::Finder;
use regex::Regex;

pub const INCIDENTS: &str = "incidents/";
/// Every incident again, as a compact table: another view of the same
/// list, so under its address, paginated the same way.
pub const INCIDENT_TABLE: &str = "incidents/table/";
/// The rows of the table as data, for sorting and filtering in the page.
pub const TABLE_DATA: &str = "incidents/table/data/";
pub const ADVICE: &str = "advice/";
pub const SEARCH: &str = "search/";
pub const STATS: &str = "stats/";
pub const TIMELINE: &str = "timeline/";
pub const NOT_FOUND: &str = "404.html";
pub const FEED: &str = "feed.xml";
pub const SITEMAP: &str = "sitemap.xml";
/// Every incident as data, the document `castor export` prints.
pub const SITE_DATA: &str = "incidents.json";

pub fn incident(slug: &str) -> String {
    format!("{INCIDENTS}{slug}/")
}

pub fn advice(slug: &str) -> String {
    format!("{ADVICE}{slug}/")
}

/// A plain page of the top of `content/`.
pub fn page(slug: &str) -> String {
    format!("{slug}/")
}

/// The index of a taxonomy, such as `tags/`.
pub fn taxonomy(dir: &str) -> String {
    format!("{dir}/")
}

/// A term of a taxonomy, such as `tags/bgp/`.
pub fn term(dir: &str, slug: &str) -> String {
    format!("{dir}/{slug}/")
}

/// Page `n` (from 1) of the list at `url`: `url` itself for the first,
/// `<url>page/<n>/` for the others, so the first page keeps its address.
pub fn page_of(url: &str, n: usize) -> String {
    match n {
        0 | 1 => url.to_string(),
        n => format!("{url}page/{n}/"),
    }
}

/// The timeline of one year, such as `timeline/2021/`.
pub fn timeline_year(year: &str) -> String {
    format!("{TIMELINE}{year}/")
}

/// The Atom feed of the page at `url`, such as `tags/bgp/feed.xml`.
pub fn feed_of(url: &str) -> String {
    format!("{url}{FEED}")
}

/// The file that serves `url`: a page's `index.html`.
pub fn file_path(url: &str) -> PathBuf {
    if url.is_empty() || url.ends_with('/') {
        Path::new(url).join("index.html")
    } else {
        PathBuf::from(url)
    }
}

/// The way back to the site root from the page at `url`: `../` once per
/// directory level, `./` at the top.
pub fn root_of(url: &str) -> String {
    match depth(url) {
        0 => "./".into(),
        n => "../".repeat(n),
    }
}

/// How many directories deep the page at `url` is.
pub fn depth(url: &str) -> usize {
    url.matches('/').count()
}

/// An absolute URL from the site's public address, for what must be
/// absolute (the feed, the sitemap, citations, the export).
pub fn absolute(base_url: &str, url: &str) -> String {
    format!("{}/{url}", base_url.trim_end_matches('/'))
}

/// The page's one address for search engines and shared links
/// (`rel="canonical"`, `og:url`): absolute or nothing, so `None` while
/// `base_url` names no `http(s)://` host (the default `/`).
pub fn canonical(base_url: &str, url: &str) -> Option<String> {
    crate::content::is_http_url(base_url).then(|| absolute(base_url, url))
}

/// The path part of `base_url`, from the server's root, ending in `/`:
/// `/kb/` for `https://example.org/kb`, `/` for `https://example.org`.
pub fn server_path(base_url: &str) -> String {
    let after_scheme = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    let path = match base_url.contains("://") {
        true => after_scheme.find('/').map_or("", |at| &after_scheme[at..]),
        false => after_scheme,
    };
    format!("/{}/", path.trim_matches('/')).replace("//", "/")
}

/// What an internal link starts with until the page that shows it is
/// known: a Markdown body, or an incident's card, is rendered once and may
/// be shown at any depth. A relative URL, so the sanitizer keeps it as it
/// is.
pub const ROOT_MARK: &str = "@@castor-root@@/";

/// `html` with each [`ROOT_MARK`] replaced by `root`, the way from the
/// showing page to the site root.
pub fn resolve<'a>(html: &'a str, root: &str) -> Cow<'a, str> {
    if root_marks().find(html.as_bytes()).is_some() {
        let mut out = String::with_capacity(html.len());
        push_resolved(&mut out, html, root);
        Cow::Owned(out)
    } else {
        Cow::Borrowed(html)
    }
}

/// Appends `html` to `out` as [`resolve`] gives it: a list of cards is
/// made this way without copying each card twice.
pub fn push_resolved(out: &mut String, html: &str, root: &str) {
    let mut from = 0;
    for at in root_marks().find_iter(html.as_bytes()) {
        out.push_str(&html[from..at]);
        out.push_str(root);
        from = at + ROOT_MARK.len();
    }
    out.push_str(&html[from..]);
}

/// Finds [`ROOT_MARK`] with a searcher made once: every page and card is
/// searched for it, and `str::split` made a new one each time.
fn root_marks() -> &'static Finder<'static> {
    static MARK: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(ROOT_MARK));
    &MARK
}

/// `html` with every link to a page naming its `index.html`: each relative
/// `href` or form `action` whose path ends in `/` (`../incidents/` becomes
/// `../incidents/index.html`, `./` becomes `./index.html`). Links with a
/// scheme, from the server's root (`/`) or within the page (`#`) stay as
/// they are. The last step of rendering a page when `[build] links =
/// "files"`, so that every link, from a template, a card, a chart or a
/// Markdown body, is covered at once.
pub fn name_index_files(html: &str) -> Cow<'_, str> {
    static LINK: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"\b(href|action)="([^"]*)""#).expect("a valid pattern"));
    LINK.replace_all(html, |c: &regex::Captures| {
        let (attribute, value) = (&c[1], &c[2]);
        let local = !(value.is_empty()
            || value.starts_with(['/', '#'])
            || value
                .split(['/', '?', '#'])
                .next()
                .is_some_and(|first| first.contains(':')));
        let end = value.find(['?', '#']).unwrap_or(value.len());
        let (path, rest) = value.split_at(end);
        if local && path.ends_with('/') {
            format!(r#"{attribute}="{path}index.html{rest}""#)
        } else {
            c[0].to_string()
        }
    })
}

/// Decodes `%XX` escapes of a URL path; `None` for a malformed escape or
/// bytes that are not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_directories_served_by_their_index() {
        assert_eq!(incident("x"), "incidents/x/");
        assert_eq!(
            file_path(&incident("x")),
            Path::new("incidents/x/index.html")
        );
        assert_eq!(file_path(""), Path::new("index.html"));
        assert_eq!(file_path(FEED), Path::new("feed.xml"));
    }

    #[test]
    fn the_first_page_of_a_list_keeps_its_address() {
        assert_eq!(page_of(INCIDENTS, 1), "incidents/");
        assert_eq!(page_of(INCIDENTS, 2), "incidents/page/2/");
        assert_eq!(root_of(&page_of(&term("tags", "bgp"), 3)), "../../../../");
    }

    #[test]
    fn the_root_is_as_far_as_the_page_is_deep() {
        assert_eq!(root_of(""), "./");
        assert_eq!(root_of(SEARCH), "../");
        assert_eq!(root_of(&term("tags", "bgp")), "../../");
    }

    #[test]
    fn body_links_resolve_for_the_showing_page() {
        let html = format!("<a href=\"{ROOT_MARK}incidents/x/\">x</a>");
        assert_eq!(
            resolve(&html, "../../"),
            "<a href=\"../../incidents/x/\">x</a>"
        );
        // Marks at either end, side by side, and appended to a list.
        let mut out = String::from("<ol>");
        push_resolved(
            &mut out,
            &format!("{ROOT_MARK}a {ROOT_MARK}{ROOT_MARK}"),
            "./",
        );
        assert_eq!(out, "<ol>./a ././");
        assert!(matches!(resolve("no mark", "./"), Cow::Borrowed(_)));
        assert_eq!(
            absolute("https://kb.example/", "feed.xml"),
            "https://kb.example/feed.xml"
        );
    }

    #[test]
    fn file_links_name_each_index_and_leave_the_rest() {
        let html = concat!(
            r#"<a href="./">home</a><a href="../../incidents/x/#timeline">x</a>"#,
            r#"<form action="../search/"><a href="../search/?q=dns">dns</a>"#,
            r#"<a href="https://kb.example/a/">out</a><a href="/kb/">root</a>"#,
            r##"<a href="#top">top</a><a href="../feed.xml">feed</a>"##,
            r#"<link href="../style.css"><a href="mailto:x@y.example">mail</a>"#,
        );
        assert_eq!(
            name_index_files(html),
            concat!(
                r#"<a href="./index.html">home</a><a href="../../incidents/x/index.html#timeline">x</a>"#,
                r#"<form action="../search/index.html"><a href="../search/index.html?q=dns">dns</a>"#,
                r#"<a href="https://kb.example/a/">out</a><a href="/kb/">root</a>"#,
                r##"<a href="#top">top</a><a href="../feed.xml">feed</a>"##,
                r#"<link href="../style.css"><a href="mailto:x@y.example">mail</a>"#,
            )
        );
    }

    #[test]
    fn a_canonical_address_needs_a_host() {
        assert_eq!(
            canonical("https://kb.example/kb/", &incident("x")).as_deref(),
            Some("https://kb.example/kb/incidents/x/")
        );
        assert_eq!(canonical("/", &incident("x")), None);
        assert_eq!(canonical("/kb/", ""), None);
    }
}
