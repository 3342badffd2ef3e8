//! From front matter as written to typed documents, reporting every problem
//! with the file position of the value at fault.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_saphyr::{Location, Spanned};

use super::LoadOptions;
use super::date::{self, PartialDate};
use super::frontmatter::{
    self, IMPACT_KINDS, Keys, RawAdvice, RawIncident, RawPage, Scalar, Source,
};
use super::markdown::{self, Body, Section};
use crate::diagnostic::{Diagnostic, Pos};
use crate::slug;

/// A reference by slug to another document, kept with its position so a
/// dangling one can be reported where it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ref {
    pub slug: String,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub slug: String,
    pub path: PathBuf,
    pub title: String,
    pub company: String,
    pub title_pos: Pos,
    pub date: PartialDate,
    pub date_pos: Pos,
    pub category: String,
    pub root_cause: String,
    pub lessons: Vec<String>,
    /// The front matter's summary, or else the body's first paragraph.
    pub summary: String,
    pub impact: Option<String>,
    /// In minutes.
    pub duration: Option<u64>,
    pub tags: Vec<String>,
    pub advice: Vec<Ref>,
    pub related: Vec<Ref>,
    pub sources: Vec<Source>,
    /// Where each source stands, for warnings about one.
    pub source_pos: Vec<Pos>,
    pub contributing_factors: Vec<String>,
    pub trigger: Option<String>,
    pub detection: Option<String>,
    pub resolution: Option<String>,
    pub technologies: Vec<String>,
    pub impact_kind: Vec<String>,
    pub near_miss: bool,
    pub also_affected: Vec<String>,
    pub draft: bool,
    pub aliases: Aliases,
    /// Shared: `serve` keeps parsed documents between rebuilds, and the
    /// body is most of a document.
    pub body: Arc<Body>,
}

impl Incident {
    /// What names the incident in `castor export` and `/incidents.json`
    /// whatever its file is called now: the slug it was first published
    /// under, which its first alias under `incidents/` keeps after a
    /// rename, or else its slug.
    pub fn id(&self) -> &str {
        self.aliases
            .urls
            .iter()
            .find_map(|url| url.strip_prefix(crate::urls::INCIDENTS)?.strip_suffix('/'))
            .filter(|slug| !slug.contains('/'))
            .unwrap_or(&self.slug)
    }
}

/// A page's old URLs, each to redirect to it, with where each is written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Aliases {
    /// From the site root: `incidents/old-name/` or `old/page.html`.
    pub urls: Vec<String>,
    pub pos: Vec<Pos>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Advice {
    pub slug: String,
    pub path: PathBuf,
    pub title: String,
    pub summary: String,
    pub tags: Vec<String>,
    pub draft: bool,
    pub aliases: Aliases,
    pub body: Arc<Body>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Page {
    pub slug: String,
    pub path: PathBuf,
    pub title: String,
    pub summary: String,
    pub draft: bool,
    pub body: Arc<Body>,
}

#[derive(Clone, Serialize, Deserialize)]
pub enum Doc {
    /// Shared whole by the parse cache and every site built from it: a
    /// rebuild at 10,000 incidents would otherwise copy each one.
    Incident(Arc<Incident>),
    Advice(Advice),
    Page(Page),
}

impl Doc {
    pub fn body(&self) -> &Body {
        match self {
            Doc::Incident(i) => &i.body,
            Doc::Advice(a) => &a.body,
            Doc::Page(p) => &p.body,
        }
    }

    /// The body, copied first if it is shared.
    pub fn body_mut(&mut self) -> &mut Body {
        let body = match self {
            Doc::Incident(i) => &mut Arc::make_mut(i).body,
            Doc::Advice(a) => &mut a.body,
            Doc::Page(p) => &mut p.body,
        };
        Arc::make_mut(body)
    }
}

/// Collects the problems of one file, turning YAML positions into file ones.
struct Checker<'a> {
    path: &'a Path,
    /// The file line of the YAML's first line, minus one.
    line_offset: usize,
    diagnostics: Vec<Diagnostic>,
    /// Fields an unknown key was probably meant to be: not reported missing
    /// as well, since "did you mean" already says it.
    misspelled: Vec<&'static str>,
}

impl Checker<'_> {
    fn pos(&self, location: &Location) -> Pos {
        Pos::new(
            location.line() as usize + self.line_offset,
            location.column() as usize,
        )
    }

    fn error(&mut self, pos: Pos, message: impl Into<String>, hint: Option<String>) {
        self.diagnostics
            .push(Diagnostic::error(self.path, pos, message).with_optional_hint(hint));
    }

    /// A required text field: reports it missing or blank.
    fn text(&mut self, field: &str, value: Option<Spanned<String>>) -> Option<(String, Pos)> {
        match value {
            Some(v) if !v.value.trim().is_empty() => {
                Some((v.value.trim().to_string(), self.pos(&v.referenced)))
            }
            Some(v) => {
                self.error(self.pos(&v.referenced), format!("`{field}` is empty"), None);
                None
            }
            None => {
                self.missing(field, format!("add `{field}:` to the front matter"));
                None
            }
        }
    }

    fn missing(&mut self, field: &str, hint: String) {
        if !self.misspelled.contains(&field) {
            self.error(
                Pos::START,
                format!("missing required field `{field}`"),
                Some(hint),
            );
        }
    }

    fn slugs(&mut self, field: &str, values: Vec<Spanned<String>>) -> Vec<Ref> {
        values
            .into_iter()
            .filter_map(|v| {
                let pos = self.pos(&v.referenced);
                if slug::is_valid(&v.value) {
                    Some(Ref { slug: v.value, pos })
                } else {
                    let fixed = slug::slugify(&v.value);
                    self.error(
                        pos,
                        format!("`{}` in `{field}` is not a valid slug", v.value),
                        Some(format!(
                            "use lowercase letters, digits and hyphens, such as `{fixed}`"
                        )),
                    );
                    None
                }
            })
            .collect()
    }

    fn url(&mut self, pos: Pos, field: &str, url: &str) -> bool {
        let ok = is_http_url(url);
        if !ok {
            self.error(
                pos,
                format!("`{url}` in `{field}` is not an http(s) URL"),
                Some("write the full address, starting with https://".into()),
            );
        }
        ok
    }
}

/// True for what `sources` accepts: an http(s) URL with a host and no
/// whitespace.
pub fn is_http_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && !r.contains(char::is_whitespace)
    })
}

/// Parses and checks one file of `section`.
pub fn document(
    text: &str,
    path: &Path,
    section: Section,
    slug: &str,
    options: &LoadOptions,
) -> (Option<Doc>, Vec<Diagnostic>) {
    let split = match frontmatter::split(text) {
        Ok(split) => split,
        Err(e) => {
            return (
                None,
                vec![Diagnostic::error(path, e.pos, e.message).with_hint(e.hint)],
            );
        }
    };
    let mut checker = Checker {
        path,
        line_offset: split.yaml_line - 1,
        diagnostics: Vec::new(),
        misspelled: Vec::new(),
    };
    let (body, problems) = markdown::render(
        split.body,
        &markdown::RenderOptions {
            allow_raw_html: options.config.markdown.allow_raw_html,
            first_line: split.body_line,
        },
    );
    for p in problems {
        checker.error(p.pos, p.message, p.hint);
    }
    let body = Arc::new(body);
    let doc = match section {
        Section::Incidents => parse::<RawIncident>(&mut checker, split.yaml)
            .and_then(|raw| incident(&mut checker, raw, slug, path, body, options))
            .map(|i| Doc::Incident(Arc::new(i))),
        Section::Advice => parse::<RawAdvice>(&mut checker, split.yaml).and_then(|raw| {
            let (title, _) = checker.text("title", raw.title)?;
            let tags = checker
                .slugs("tags", raw.tags)
                .into_iter()
                .map(|r| r.slug)
                .collect();
            Some(Doc::Advice(Advice {
                slug: slug.to_string(),
                path: path.to_path_buf(),
                title,
                summary: filled(raw.summary).unwrap_or_else(|| body.first_paragraph.clone()),
                tags,
                draft: raw.draft,
                aliases: aliases(&mut checker, raw.aliases),
                body,
            }))
        }),
        Section::Pages => parse::<RawPage>(&mut checker, split.yaml).and_then(|raw| {
            let (title, _) = checker.text("title", raw.title)?;
            Some(Doc::Page(Page {
                slug: slug.to_string(),
                path: path.to_path_buf(),
                title,
                summary: filled(raw.summary).unwrap_or_else(|| body.first_paragraph.clone()),
                draft: raw.draft,
                body,
            }))
        }),
    };
    let has_error = checker.diagnostics.iter().any(Diagnostic::is_error);
    (doc.filter(|_| !has_error), checker.diagnostics)
}

/// Reads the YAML into `T`, first reporting every unknown key with the
/// closest known one: serde would stop at the first.
fn parse<T: for<'de> Deserialize<'de> + Default>(checker: &mut Checker, yaml: &str) -> Option<T> {
    if yaml.trim().is_empty() {
        return Some(T::default());
    }
    let known = frontmatter::field_names::<T>();
    if plain_known_keys(yaml, known) {
        return match serde_saphyr::from_str::<T>(yaml) {
            Ok(raw) => Some(raw),
            Err(e) => {
                yaml_error(checker, &e);
                None
            }
        };
    }
    match serde_saphyr::from_str::<Keys>(yaml) {
        Ok(Keys(keys)) => {
            for key in keys.iter().filter(|k| !known.contains(&k.value.as_str())) {
                if let Some(meant) = slug::closest(&key.value, known.iter().copied()) {
                    checker.misspelled.push(meant);
                }
                let hint = slug::suggest(&key.value, known);
                checker.error(
                    checker.pos(&key.referenced),
                    format!("unknown field `{}`", key.value),
                    Some(hint),
                );
            }
        }
        Err(e) => {
            yaml_error(checker, &e);
            return None;
        }
    }
    match serde_saphyr::from_str::<T>(yaml) {
        Ok(raw) => Some(raw),
        Err(e) => {
            yaml_error(checker, &e);
            None
        }
    }
}

/// Whether `yaml` is a block mapping whose keys, all plain words at the
/// start of a line, are known: the common case, where the pass that finds
/// every unknown key can be skipped. Anything unusual (an indented or
/// quoted key, flow style, a merge key, a document marker) says no, and the
/// full pass decides.
fn plain_known_keys(yaml: &str, known: &[&str]) -> bool {
    let mut keys = 0;
    for line in yaml.lines() {
        let Some(first) = line.chars().next() else {
            continue;
        };
        if first == ' ' || first == '#' || line == "-" || line.starts_with("- ") {
            // Inside a value, a comment, or an item of a list at column 0.
            continue;
        }
        let Some((key, rest)) = line.split_once(':') else {
            return false;
        };
        let plain = !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        if !plain || !(rest.is_empty() || rest.starts_with(' ')) || !known.contains(&key) {
            return false;
        }
        keys += 1;
    }
    keys > 0
}

fn yaml_error(checker: &mut Checker, e: &serde_saphyr::Error) {
    let pos = e.location().map_or(Pos::START, |l| checker.pos(&l));
    let text = e.without_snippet().to_string();
    // The position is reported on its own, counted from the top of the file.
    let message = text
        .rfind(" at line ")
        .map_or(text.as_str(), |i| &text[..i]);
    let hint = if message.contains("budget") || message.contains("alias") {
        Some("front matter may not expand aliases this much; write the values out".to_string())
    } else if message.contains("recursion") || message.contains("depth") {
        Some("front matter may not nest this deep".to_string())
    } else {
        None
    };
    checker.error(pos, format!("invalid front matter: {message}"), hint);
}

fn incident(
    checker: &mut Checker,
    raw: RawIncident,
    slug: &str,
    path: &Path,
    body: Arc<Body>,
    options: &LoadOptions,
) -> Option<Incident> {
    let title = checker.text("title", raw.title);
    let company = checker.text("company", raw.company);
    let root_cause = checker.text("root_cause", raw.root_cause);
    let date = parse_date(checker, raw.date);
    let category = category(checker, raw.category, options);
    let lessons = lessons(checker, raw.lessons);
    let sources = sources(checker, raw.sources);
    let duration = raw
        .duration
        .filter(|d| !d.value.0.trim().is_empty())
        .and_then(|d| {
            let parsed = date::parse_duration(&d.value.0);
            if parsed.is_none() {
                checker.error(
                    checker.pos(&d.referenced),
                    format!("invalid duration `{}`", d.value.0),
                    Some(format!("write {}", date::DURATION_FORMS)),
                );
            }
            parsed
        });
    let impact_kind = raw
        .impact_kind
        .into_iter()
        .filter_map(|k| {
            if IMPACT_KINDS.contains(&k.value.as_str()) {
                Some(k.value)
            } else {
                checker.error(
                    checker.pos(&k.referenced),
                    format!("unknown impact kind `{}`", k.value),
                    Some(slug::suggest(&k.value, IMPACT_KINDS)),
                );
                None
            }
        })
        .collect();
    // A technology's page is named by its slug: a name without a letter or
    // a digit would have none.
    let technologies = raw
        .technologies
        .into_iter()
        .filter_map(|t| {
            if slug::slugify(&t.value).is_empty() {
                checker.error(
                    checker.pos(&t.referenced),
                    format!("the technology `{}` has no letter or digit", t.value),
                    Some("name it as its users do, such as `postgresql`".into()),
                );
                None
            } else {
                Some(t.value)
            }
        })
        .collect();
    let tags = checker
        .slugs("tags", raw.tags)
        .into_iter()
        .map(|r| r.slug)
        .collect();
    let advice = checker.slugs("advice", raw.advice);
    let related = checker.slugs("related", raw.related);
    let (
        (title, title_pos),
        (company, _),
        (root_cause, _),
        (date, date_pos),
        category,
        lessons,
        (source_pos, sources),
    ) = (
        title?,
        company?,
        root_cause?,
        date?,
        category?,
        lessons?,
        sources?,
    );
    Some(Incident {
        slug: slug.to_string(),
        path: path.to_path_buf(),
        title,
        company,
        date,
        date_pos,
        title_pos,
        category,
        root_cause,
        lessons,
        summary: filled(raw.summary).unwrap_or_else(|| body.first_paragraph.clone()),
        impact: filled(raw.impact),
        duration,
        tags,
        advice,
        related,
        sources,
        source_pos,
        contributing_factors: raw.contributing_factors,
        trigger: filled(raw.trigger),
        detection: filled(raw.detection),
        resolution: filled(raw.resolution),
        technologies,
        impact_kind,
        near_miss: raw.near_miss,
        also_affected: raw.also_affected,
        draft: raw.draft,
        aliases: aliases(checker, raw.aliases),
        body,
    })
}

/// The old URLs of a page, each a path from the site root: a directory
/// (`incidents/old-name/`, the slash added when missing) or an `.html`
/// file, of plain segments. A bad one is reported and left out.
fn aliases(checker: &mut Checker, raw: Vec<Spanned<String>>) -> Aliases {
    let mut aliases = Aliases::default();
    for alias in raw {
        let pos = checker.pos(&alias.referenced);
        let path = alias.value.trim().trim_start_matches('/');
        let segment_ok = |s: &str| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'))
        };
        let dir = path.trim_end_matches('/');
        if path.is_empty() || !dir.split('/').all(segment_ok) {
            checker.error(
                pos,
                format!("invalid alias `{}`", alias.value),
                Some(
                    "write the old URL's path from the site root, such as `incidents/old-name/`"
                        .into(),
                ),
            );
            continue;
        }
        let url = if path.ends_with(".html") {
            path.to_string()
        } else {
            format!("{dir}/")
        };
        aliases.urls.push(url);
        aliases.pos.push(pos);
    }
    aliases
}

/// An optional text field, where an empty string (as `castor new` writes)
/// means not given.
fn filled(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn parse_date(checker: &mut Checker, value: Option<Spanned<Scalar>>) -> Option<(PartialDate, Pos)> {
    let Some(value) = value else {
        checker.missing("date", format!("add `date:` as {}", date::ACCEPTED_FORMS));
        return None;
    };
    let pos = checker.pos(&value.referenced);
    match PartialDate::check(&value.value.0) {
        Ok(date) => Some((date, pos)),
        Err(date::DateProblem::Form) => {
            checker.error(
                pos,
                format!("invalid date `{}`", value.value.0),
                Some(format!("write {}", date::ACCEPTED_FORMS)),
            );
            None
        }
        Err(date::DateProblem::OutOfRange(why)) => {
            checker.error(
                pos,
                format!("the date `{}` does not exist: {why}", value.value.0),
                Some("check the source for the right date".into()),
            );
            None
        }
    }
}

fn category(
    checker: &mut Checker,
    value: Option<Spanned<String>>,
    options: &LoadOptions,
) -> Option<String> {
    let (key, pos) = checker.text("category", value)?;
    if options.config.categories.contains_key(&key) {
        return Some(key);
    }
    let keys = options.config.category_keys();
    let hint = match slug::closest(&key, keys.iter().copied()) {
        Some(best) => format!(
            "did you mean `{best}`? The categories are: {}",
            keys.join(", ")
        ),
        None => format!("the categories are: {}", keys.join(", ")),
    };
    checker.error(pos, format!("unknown category `{key}`"), Some(hint));
    None
}

fn lessons(checker: &mut Checker, value: Option<Spanned<Vec<String>>>) -> Option<Vec<String>> {
    let Some(value) = value else {
        checker.missing(
            "lessons",
            "add `lessons:` with at least one item a reader can act on".into(),
        );
        return None;
    };
    let lessons: Vec<String> = value
        .value
        .iter()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    if lessons.is_empty() {
        checker.error(
            checker.pos(&value.referenced),
            "`lessons` is empty",
            Some("list at least one lesson".into()),
        );
        return None;
    }
    Some(lessons)
}

fn sources(
    checker: &mut Checker,
    value: Option<Spanned<Vec<Spanned<Source>>>>,
) -> Option<(Vec<Pos>, Vec<Source>)> {
    let Some(value) = value else {
        checker.missing(
            "sources",
            "add `sources:` with the URL of the original post-mortem".into(),
        );
        return None;
    };
    if value.value.is_empty() {
        checker.error(
            checker.pos(&value.referenced),
            "`sources` is empty",
            Some("list at least the URL of the original post-mortem".into()),
        );
        return None;
    }
    let mut ok = true;
    for source in &value.value {
        let pos = checker.pos(&source.referenced);
        ok &= checker.url(pos, "sources", &source.value.url);
        if let Some(archived) = &source.value.archived {
            ok &= checker.url(pos, "archived", archived);
        }
        if let Some(published) = &source.value.published
            && PartialDate::parse(published).is_none()
        {
            checker.error(
                pos,
                format!("invalid `published` date `{published}`"),
                Some(format!("write {}", date::ACCEPTED_FORMS)),
            );
            ok = false;
        }
    }
    ok.then(|| {
        value
            .value
            .into_iter()
            .map(|s| (checker.pos(&s.referenced), s.value))
            .unzip()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn only_plain_known_keys_skip_the_unknown_key_pass() {
        let known = ["title", "tags", "root_cause"];
        let yes = "title: x\n# note\ntags:\n- a\n  - b\nroot_cause: >\n  y\n";
        assert!(plain_known_keys(yes, &known));
        for no in [
            "titel: x\n",
            "title: x\n\"tags\": [a]\n",
            "  title: x\n  tags: []\n",
            "{title: x}\n",
            "title: x\n<<: *base\n",
            "title:x\n",
            "",
        ] {
            assert!(!plain_known_keys(no, &known), "{no:?}");
        }
    }

    #[test]
    fn reports_missing_exactly_the_fields_the_schema_requires() {
        let config = Config::default();
        let options = LoadOptions {
            cache: None,
            config: &config,
            include_drafts: false,
        };
        let (doc, diagnostics) = document(
            "---\ndraft: false\n---\n",
            Path::new("x.md"),
            Section::Incidents,
            "x",
            &options,
        );
        assert!(doc.is_none());
        let mut missing: Vec<&str> = diagnostics
            .iter()
            .filter_map(|d| {
                d.message
                    .strip_prefix("missing required field `")?
                    .strip_suffix('`')
            })
            .collect();
        missing.sort_unstable();
        let mut required = frontmatter::REQUIRED_INCIDENT_FIELDS.to_vec();
        required.sort_unstable();
        assert_eq!(missing, required);
    }
}
