//! Markdown bodies to HTML: internal `@/` links, heading anchors, highlighted
//! code, and sanitized raw HTML.

use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{
    CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html,
};

use super::store::{Contents, Texts};
use crate::diagnostic::{Diagnostic, Pos};
use crate::highlight;
use crate::{slug, urls};

/// What a Markdown body became.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Body {
    /// The HTML and the text without markup, which are most of a body:
    /// read when a stage needs them, since a build may keep them on disk.
    pub contents: Contents,
    /// The first paragraph as plain text: the default summary.
    pub first_paragraph: String,
    /// `@/` links, checked once the whole tree is loaded.
    pub links: Vec<InternalLink>,
    /// Heading ids, so `@/...md#anchor` links can be checked.
    pub anchors: Vec<String>,
    /// Where each heading starts in the text, with its id: the sections a
    /// search result links to.
    pub sections: Vec<(usize, String)>,
    /// The top-level sections (`##`), for a page's table of contents.
    pub outline: Vec<Heading>,
    pub words: usize,
}

impl Body {
    /// The HTML and the text, of the body of the file at `path`.
    pub fn texts(&self, path: &std::path::Path) -> Result<std::sync::Arc<Texts>, Diagnostic> {
        self.contents
            .texts()
            .map_err(|e| Diagnostic::error(path, Pos::START, format!("cannot read the body: {e}")))
    }
}

/// A section heading of a body: its anchor and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heading {
    pub id: String,
    pub title: String,
}

/// Which part of the content tree a document is in, or an `@/` link
/// points into. `castor schema` names them in the singular.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
pub enum Section {
    #[value(name = "incident")]
    Incidents,
    Advice,
    #[value(name = "page")]
    Pages,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InternalLink {
    pub section: Section,
    pub slug: String,
    pub anchor: Option<String>,
    pub pos: Pos,
}

/// A problem in a body, at a file position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyProblem {
    pub pos: Pos,
    pub message: String,
    pub hint: Option<String>,
}

/// How to render one body.
pub struct RenderOptions {
    pub allow_raw_html: bool,
    /// The file line the body starts on, so positions count from the file's top.
    pub first_line: usize,
}

fn parser_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Renders `source` to HTML, collecting its internal links and any problem.
pub fn render(source: &str, options: &RenderOptions) -> (Body, Vec<BodyProblem>) {
    let mut walk = Walk::new(source, options.first_line);
    for (event, range) in Parser::new_ext(source, parser_options()).into_offset_iter() {
        walk.take(event, range.start);
    }
    walk.finish(source.len(), options.allow_raw_html)
}

/// The file position of byte `offset` of a body that starts on the file's
/// line `first_line`.
fn file_pos(source: &str, first_line: usize, offset: usize) -> Pos {
    let p = Pos::of_offset(source, offset);
    Pos::new(p.line + first_line - 1, p.col)
}

/// One walk over a body's Markdown events: what it has gathered so far.
struct Walk<'a> {
    source: &'a str,
    first_line: usize,
    body: Body,
    /// The body's text without markup, as far as it is read.
    text: String,
    problems: Vec<BodyProblem>,
    events: Vec<Event<'a>>,
    has_raw_html: bool,
    raw_nesting: RawNesting,
    used_ids: HashSet<String>,
    /// Blocks whose content is buffered until their end: headings (for
    /// ids) and fenced code (for highlighting).
    heading: Option<OpenHeading<'a>>,
    code: Option<(String, String)>,
    /// Where the open heading starts in the body's text.
    heading_start: usize,
    depth: usize,
    in_first_paragraph: bool,
    first_paragraph_done: bool,
}

impl<'a> Walk<'a> {
    fn new(source: &'a str, first_line: usize) -> Walk<'a> {
        Walk {
            source,
            first_line,
            body: Body::default(),
            text: String::new(),
            problems: Vec::new(),
            events: Vec::new(),
            has_raw_html: false,
            raw_nesting: RawNesting::default(),
            used_ids: HashSet::new(),
            heading: None,
            code: None,
            heading_start: 0,
            depth: 0,
            in_first_paragraph: false,
            first_paragraph_done: false,
        }
    }

    /// The file position of byte `offset` of the body.
    fn pos_of(&self, offset: usize) -> Pos {
        file_pos(self.source, self.first_line, offset)
    }

    /// Takes the next event, which starts at byte `at` of the body.
    fn take(&mut self, event: Event<'a>, at: usize) {
        if self.code.is_some() {
            self.take_code(event);
            return;
        }
        let event = match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((lang, String::new()));
                return;
            }
            Event::Start(Tag::Heading {
                level, id, classes, ..
            }) => {
                self.heading = Some((level, id, classes, Vec::new()));
                self.heading_start = self.text.len();
                return;
            }
            Event::End(TagEnd::Heading(_)) => {
                self.text.push('\n');
                if let Some((level, id, classes, inner)) = self.heading.take() {
                    let (events, body, used_ids) =
                        (&mut self.events, &mut self.body, &mut self.used_ids);
                    push_heading(events, body, used_ids, level, id, classes, inner);
                    if let Some(anchor) = self.body.anchors.last() {
                        let section = (self.heading_start, anchor.clone());
                        self.body.sections.push(section);
                    }
                }
                return;
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Link {
                link_type,
                dest_url: self.rewrite_url(dest_url, at),
                title,
                id,
            }),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Image {
                link_type,
                dest_url: self.rewrite_url(dest_url, at),
                title,
                id,
            }),
            Event::Html(html) | Event::InlineHtml(html) if !self.raw_nesting.admit(&html) => {
                self.report_deep_html(at);
                // Shown as text: never handed to the sanitizer.
                Event::Text(html)
            }
            Event::Html(_) | Event::InlineHtml(_) => {
                self.has_raw_html = true;
                event
            }
            other => {
                self.gather_text(&other);
                other
            }
        };
        match self.heading {
            Some((_, _, _, ref mut inner)) => inner.push(event),
            None => self.events.push(event),
        }
    }

    /// Inside a fenced code block: its text, highlighted at its end.
    fn take_code(&mut self, event: Event<'a>) {
        let Some((_, text)) = &mut self.code else {
            return;
        };
        match event {
            Event::Text(t) => text.push_str(&t),
            Event::End(TagEnd::CodeBlock) => {
                let (lang, text) = self.code.take().unwrap_or_default();
                self.text.push_str(&text);
                self.text.push('\n');
                self.events
                    .push(Event::Html(render_code(&text, &lang).into()));
            }
            _ => {}
        }
    }

    fn rewrite_url(&mut self, url: CowStr<'a>, at: usize) -> CowStr<'a> {
        let (source, first_line) = (self.source, self.first_line);
        let pos = || file_pos(source, first_line, at);
        rewrite_url(url, pos, &mut self.body, &mut self.problems)
    }

    fn report_deep_html(&mut self, at: usize) {
        if self.raw_nesting.reported {
            return;
        }
        self.raw_nesting.reported = true;
        self.problems.push(BodyProblem {
            pos: self.pos_of(at),
            message: format!("raw HTML nested more than {MAX_RAW_HTML_DEPTH} levels deep"),
            hint: Some("close the tags, or put the HTML in a code block to show it as text".into()),
        });
    }

    /// Keeps the plain text of the body, for search and word counts, and
    /// of its first top-level paragraph, the default summary.
    fn gather_text(&mut self, event: &Event<'a>) {
        let (body, text) = (&mut self.body, &mut self.text);
        match event {
            Event::Start(Tag::Paragraph) => {
                if self.depth == 0 && !self.first_paragraph_done {
                    self.in_first_paragraph = true;
                }
                self.depth += 1;
            }
            Event::End(TagEnd::Paragraph) => {
                self.depth = self.depth.saturating_sub(1);
                if self.in_first_paragraph {
                    self.in_first_paragraph = false;
                    self.first_paragraph_done = true;
                }
                text.push('\n');
            }
            Event::Start(_) => self.depth += 1,
            Event::End(end) => {
                self.depth = self.depth.saturating_sub(1);
                // Block ends separate words in the plain text, or a heading
                // and the next paragraph become one search term
                // ("SummaryOn").
                if !matches!(
                    end,
                    TagEnd::Emphasis
                        | TagEnd::Strong
                        | TagEnd::Strikethrough
                        | TagEnd::Link
                        | TagEnd::Image
                        | TagEnd::Superscript
                        | TagEnd::Subscript
                ) {
                    text.push('\n');
                }
            }
            Event::Text(t) | Event::Code(t) => {
                text.push_str(t);
                if self.in_first_paragraph {
                    body.first_paragraph.push_str(t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                text.push(' ');
                if self.in_first_paragraph {
                    body.first_paragraph.push(' ');
                }
            }
            _ => {}
        }
    }

    /// The HTML, sanitized when it holds raw HTML from the author.
    fn finish(mut self, size: usize, allow_raw_html: bool) -> (Body, Vec<BodyProblem>) {
        let mut out = String::with_capacity(size * 3 / 2);
        html::push_html(&mut out, self.events.into_iter());
        let html = if self.has_raw_html {
            sanitize(&out, allow_raw_html)
        } else {
            out
        };
        self.body.words = self.text.split_whitespace().count();
        self.body.contents = Contents::held(Texts {
            html,
            text: self.text,
        });
        (self.body, self.problems)
    }
}

/// A heading being read: its level, id and classes from the source, and the
/// events inside it.
type OpenHeading<'a> = (
    HeadingLevel,
    Option<CowStr<'a>>,
    Vec<CowStr<'a>>,
    Vec<Event<'a>>,
);

fn push_heading<'a>(
    events: &mut Vec<Event<'a>>,
    body: &mut Body,
    used_ids: &mut HashSet<String>,
    level: HeadingLevel,
    id: Option<CowStr<'a>>,
    classes: Vec<CowStr<'a>>,
    inner: Vec<Event<'a>>,
) {
    let text: String = inner
        .iter()
        .filter_map(|e| match e {
            Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect();
    let base = id.map(|i| i.to_string()).unwrap_or_else(|| {
        let s = slug::slugify(&text);
        if s.is_empty() { "section".into() } else { s }
    });
    let mut unique = base.clone();
    let mut n = 1;
    while !used_ids.insert(unique.clone()) {
        unique = format!("{base}-{n}");
        n += 1;
    }
    body.anchors.push(unique.clone());
    if level == HeadingLevel::H2 {
        body.outline.push(Heading {
            id: unique.clone(),
            title: text.clone(),
        });
    }
    events.push(Event::Start(Tag::Heading {
        level,
        id: Some(unique.clone().into()),
        classes,
        attrs: Vec::new(),
    }));
    events.extend(inner);
    // A tab stop must be named for screen readers, not hidden from them
    // (axe-core's aria-hidden-focus).
    events.push(Event::InlineHtml(
        format!(
            " <a class=\"anchor\" href=\"#{unique}\" aria-label=\"Link to the section {}\">#</a>",
            escape(&text)
        )
        .into(),
    ));
    events.push(Event::End(TagEnd::Heading(level)));
}

fn render_code(code: &str, info: &str) -> String {
    let lang = info.split([' ', ',', '{']).next().unwrap_or_default();
    let inner = highlight::highlight(code, lang).unwrap_or_else(|| escape(code));
    if lang.is_empty() {
        format!("<pre class=\"hl-code\"><code>{inner}</code></pre>\n")
    } else {
        format!(
            "<pre class=\"hl-code\" data-lang=\"{}\"><code>{inner}</code></pre>\n",
            escape(lang)
        )
    }
}

pub(crate) fn escape(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    tera::escape_html(text, &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("escaping keeps UTF-8")
}

/// Resolves `@/` links and neutralises dangerous schemes. Everything else
/// passes unchanged. `pos` is only asked for an internal link: counting
/// lines up to every link would cost time quadratic in a body's length.
fn rewrite_url<'a>(
    url: CowStr<'a>,
    pos: impl Fn() -> Pos,
    body: &mut Body,
    problems: &mut Vec<BodyProblem>,
) -> CowStr<'a> {
    if let Some(target) = url.strip_prefix("@/") {
        return match parse_internal(target) {
            Some((section, slug, anchor)) => {
                // Resolved for the page that shows the body, at render time.
                let href = format!(
                    "{}{}{}",
                    urls::ROOT_MARK,
                    match section {
                        Section::Incidents => urls::incident(&slug),
                        Section::Advice => urls::advice(&slug),
                        Section::Pages => urls::page(&slug),
                    },
                    anchor.as_ref().map(|a| format!("#{a}")).unwrap_or_default()
                );
                body.links.push(InternalLink {
                    section,
                    slug,
                    anchor,
                    pos: pos(),
                });
                href.into()
            }
            None => {
                problems.push(BodyProblem {
                    pos: pos(),
                    message: format!("malformed internal link `{url}`"),
                    hint: Some(
                        "write `@/incidents/<slug>.md`, `@/advice/<slug>.md` or `@/<page>.md`, optionally followed by `#anchor`"
                            .into(),
                    ),
                });
                "#".into()
            }
        };
    }
    if is_safe_url(&url) { url } else { "#".into() }
}

fn parse_internal(target: &str) -> Option<(Section, String, Option<String>)> {
    let (path, anchor) = match target.split_once('#') {
        Some((p, a)) => (p, Some(a.to_string()).filter(|a| !a.is_empty())),
        None => (target, None),
    };
    let path = path.strip_suffix(".md")?;
    let (section, rest) = match path.split_once('/') {
        Some(("incidents", rest)) => (Section::Incidents, rest),
        Some(("advice", rest)) => (Section::Advice, rest),
        Some(_) => return None,
        None => (Section::Pages, path),
    };
    let slug = rest.rsplit('/').next()?;
    (!slug.is_empty()).then(|| (section, slug.to_string(), anchor))
}

/// True unless the URL names a scheme other than http(s) or mailto. Browsers
/// ignore tabs, newlines and leading spaces in schemes, so they are dropped
/// before looking (`java\tscript:` is `javascript:` to them).
fn is_safe_url(url: &str) -> bool {
    let squeezed: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    match squeezed.find(':') {
        None => true,
        Some(colon) => {
            let before = &squeezed[..colon];
            // A colon after a path, query or fragment start is not a scheme.
            before.contains(['/', '?', '#']) || matches!(before, "http" | "https" | "mailto")
        }
    }
}

/// How deep raw HTML tags may nest in a body. The sanitizer's HTML parser
/// takes time quadratic in depth (servo/html5ever#788): 100,000 nested
/// `<div>` in a 1 MB file took 70 s to build. Real post-mortems nest a
/// handful of levels.
const MAX_RAW_HTML_DEPTH: usize = 100;

/// Elements that never hold others, so never nest.
const VOID_ELEMENTS: [&str; 13] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// The nesting of the raw HTML fragments of one body, counted in one pass
/// over their text.
#[derive(Default)]
struct RawNesting {
    depth: usize,
    reported: bool,
}

impl RawNesting {
    /// Counts the tags of the next fragment; false, leaving the count as
    /// it was, when the fragment would nest deeper than allowed.
    fn admit(&mut self, html: &str) -> bool {
        let mut depth = self.depth;
        for tag in html.split('<').skip(1) {
            if tag.starts_with('/') {
                depth = depth.saturating_sub(1);
                continue;
            }
            let name = tag
                .split(|c: char| !c.is_ascii_alphanumeric())
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            let self_closing = tag.split('>').next().is_some_and(|t| t.ends_with('/'));
            if name.is_empty() || self_closing || VOID_ELEMENTS.contains(&name.as_str()) {
                continue;
            }
            depth += 1;
            if depth > MAX_RAW_HTML_DEPTH {
                return false;
            }
        }
        self.depth = depth;
        true
    }
}

static STRICT: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .add_generic_attributes(["id", "class", "aria-hidden"])
        .add_tags(["input"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attributes("pre", ["data-lang"])
        .attribute_filter(|tag, attribute, value| {
            if tag == "input" && attribute == "type" && value != "checkbox" {
                None
            } else {
                Some(value.into())
            }
        });
    builder
});

static PERMISSIVE: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .add_generic_attributes([
            "id",
            "class",
            "aria-hidden",
            "style",
            "title",
            "lang",
            "dir",
        ])
        .add_tags([
            "input",
            "video",
            "audio",
            "source",
            "picture",
            "figure",
            "figcaption",
            "details",
            "summary",
            "kbd",
            "mark",
            "abbr",
            "section",
            "aside",
            "nav",
        ])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attributes("video", ["src", "controls", "width", "height", "poster"])
        .add_tag_attributes("audio", ["src", "controls"])
        .add_tag_attributes("source", ["src", "type"])
        .add_tag_attributes("pre", ["data-lang"]);
    builder
});

/// Cleans HTML that holds raw HTML from the author. Scripts, event handlers
/// and `javascript:` URLs never survive, whatever the setting.
fn sanitize(html: &str, permissive: bool) -> String {
    let builder = if permissive { &*PERMISSIVE } else { &*STRICT };
    builder.clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(body: &Body) -> std::sync::Arc<Texts> {
        body.contents.texts().unwrap()
    }

    fn html(body: &Body) -> String {
        texts(body).html.clone()
    }

    fn render_at(source: &str, allow_raw_html: bool) -> (Body, Vec<BodyProblem>) {
        render(
            source,
            &RenderOptions {
                allow_raw_html,
                first_line: 10,
            },
        )
    }

    #[test]
    fn marks_internal_links_to_resolve_for_the_showing_page() {
        let (body, problems) = render_at(
            "See [fb](@/incidents/2021-10-04-facebook-bgp.md#timeline).\n",
            false,
        );
        assert!(problems.is_empty());
        let resolved = urls::resolve(&html(&body), "../../").into_owned();
        assert!(
            resolved.contains(r#"href="../../incidents/2021-10-04-facebook-bgp/#timeline""#),
            "{resolved}"
        );
        // The mark survives the sanitizer, which a body with raw HTML
        // goes through.
        let (raw, _) = render_at("<b>x</b> [fb](@/advice/a.md)\n", false);
        let raw_html = html(&raw);
        assert!(
            urls::resolve(&raw_html, "../").contains(r#"href="../advice/a/""#),
            "{raw_html}"
        );
        assert_eq!(body.links[0].slug, "2021-10-04-facebook-bgp");
        assert_eq!(body.links[0].pos, Pos::new(10, 5));
    }

    #[test]
    fn plain_text_keeps_blocks_apart_and_inline_markup_together() {
        let (body, _) = render_at("## Summary\nOn *21* June:\n\n- one\n- two\n", false);
        let texts = texts(&body);
        let words: Vec<&str> = texts.text.split_whitespace().collect();
        assert_eq!(words, ["Summary", "On", "21", "June:", "one", "two"]);
    }

    #[test]
    fn reports_malformed_internal_links_at_their_line() {
        let (_, problems) = render_at("para\n\n[x](@/elsewhere/y.txt)\n", false);
        assert_eq!(problems[0].pos.line, 12);
        assert!(problems[0].message.contains("malformed internal link"));
    }

    #[test]
    fn gives_headings_unique_ids_and_anchors() {
        let (body, _) = render_at("## Timeline\n\n## Timeline\n", false);
        assert_eq!(body.anchors, ["timeline", "timeline-1"]);
        let html = html(&body);
        assert!(
            html.contains(r##"<h2 id="timeline">Timeline <a class="anchor" href="#timeline""##),
            "{html}"
        );
    }

    #[test]
    fn outlines_the_top_level_sections_in_plain_text() {
        let (body, _) = render_at(
            "## What *went* wrong

### Detail

## Timeline
",
            false,
        );
        let outline: Vec<(&str, &str)> = body
            .outline
            .iter()
            .map(|h| (h.id.as_str(), h.title.as_str()))
            .collect();
        assert_eq!(
            outline,
            [
                ("what-went-wrong", "What went wrong"),
                ("timeline", "Timeline")
            ]
        );
    }

    #[test]
    fn removes_scripts_and_javascript_urls() {
        for allow in [false, true] {
            let (body, _) = render_at(
                "<script>alert(1)</script>\n\n[x](javascript:alert(1)) [y](java\tscript:alert(2))\n\n<a href=\"javascript:alert(3)\" onclick=\"x()\">z</a>\n",
                allow,
            );
            let html = html(&body);
            assert!(!html.contains("<script"), "{html}");
            assert!(!html.to_lowercase().contains("javascript"), "{html}");
            assert!(!html.contains("onclick"), "{html}");
        }
    }

    #[test]
    fn highlights_fenced_code() {
        let (body, _) = render_at("```bash\nset -euo pipefail\n```\n", false);
        let html = html(&body);
        assert!(
            html.contains(r#"<pre class="hl-code" data-lang="bash">"#),
            "{html}"
        );
        assert!(html.contains("hl-"), "{html}");
    }

    #[test]
    fn takes_the_first_paragraph_as_summary() {
        let (body, _) = render_at(
            "## Summary\n\nThe *first* one.\nStill first.\n\nSecond.\n",
            false,
        );
        assert_eq!(body.first_paragraph, "The first one. Still first.");
    }

    #[test]
    fn keeps_tables_footnotes_and_tasks() {
        let (body, _) = render_at(
            "| a |\n|---|\n| b |\n\n- [x] done\n\nNote[^1].\n\n[^1]: A footnote.\n",
            false,
        );
        let html = html(&body);
        assert!(html.contains("<table>"));
        assert!(html.contains("checkbox"));
        assert!(html.contains("footnote"));
    }
}
