//! Themes in layers: the default theme is embedded in the binary, and a
//! site's `themes/<name>/` overrides any single template or static file.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use tera::Tera;
use walkdir::WalkDir;

use crate::diagnostic::{Diagnostic, Pos};

/// The default theme's files, compiled in so a folder with only `content/`
/// builds.
pub const DEFAULT_TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../themes/default/templates/base.html"),
    ),
    (
        "card.html",
        include_str!("../../themes/default/templates/card.html"),
    ),
    (
        "index.html",
        include_str!("../../themes/default/templates/index.html"),
    ),
    (
        "incident.html",
        include_str!("../../themes/default/templates/incident.html"),
    ),
    (
        "incidents.html",
        include_str!("../../themes/default/templates/incidents.html"),
    ),
    (
        "incident_table.html",
        include_str!("../../themes/default/templates/incident_table.html"),
    ),
    (
        "advice.html",
        include_str!("../../themes/default/templates/advice.html"),
    ),
    (
        "advice_list.html",
        include_str!("../../themes/default/templates/advice_list.html"),
    ),
    (
        "page.html",
        include_str!("../../themes/default/templates/page.html"),
    ),
    (
        "taxonomy.html",
        include_str!("../../themes/default/templates/taxonomy.html"),
    ),
    (
        "term.html",
        include_str!("../../themes/default/templates/term.html"),
    ),
    (
        "search.html",
        include_str!("../../themes/default/templates/search.html"),
    ),
    (
        "stats.html",
        include_str!("../../themes/default/templates/stats.html"),
    ),
    (
        "timeline.html",
        include_str!("../../themes/default/templates/timeline.html"),
    ),
    (
        "timeline_year.html",
        include_str!("../../themes/default/templates/timeline_year.html"),
    ),
    (
        "pager.html",
        include_str!("../../themes/default/templates/pager.html"),
    ),
    (
        "chart.html",
        include_str!("../../themes/default/templates/chart.html"),
    ),
    (
        "404.html",
        include_str!("../../themes/default/templates/404.html"),
    ),
    (
        "feed.xml",
        include_str!("../../themes/default/templates/feed.xml"),
    ),
    (
        "sitemap.xml",
        include_str!("../../themes/default/templates/sitemap.xml"),
    ),
];

pub const DEFAULT_STATIC: &[(&str, &str)] = &[
    (
        "style.css",
        include_str!("../../themes/default/static/style.css"),
    ),
    (
        "search.js",
        include_str!("../../themes/default/static/search.js"),
    ),
    (
        "table.js",
        include_str!("../../themes/default/static/table.js"),
    ),
    (
        "copy.js",
        include_str!("../../themes/default/static/copy.js"),
    ),
    (
        "not-found.js",
        include_str!("../../themes/default/static/not-found.js"),
    ),
    (
        "favicon.svg",
        include_str!("../../themes/default/static/favicon.svg"),
    ),
];

/// A theme loaded and compiled, ready to render.
pub struct Theme {
    pub tera: Tera,
    /// Static files by output path, overrides applied.
    pub statics: Vec<(PathBuf, Vec<u8>)>,
    /// A hash of every template and static file, overrides applied: a
    /// build renders every page again when it changes.
    pub fingerprint: u64,
    /// `themes/<name>/templates`, as users see it.
    templates_display: PathBuf,
    /// The templates read from the site's theme directory.
    overridden: Vec<String>,
}

impl Theme {
    /// A tera error as a diagnostic naming the template file and line.
    pub fn error(&self, e: &tera::Error) -> Diagnostic {
        template_error(e, &self.templates_display, &self.overridden)
    }
}

/// Loads the theme `name` from `root/themes/`, falling back to the embedded
/// default file by file.
pub fn load(root: &Path, name: &str) -> Result<Theme, Diagnostic> {
    let theme_rel = Path::new("themes").join(name);
    let theme_dir = root.join(&theme_rel);
    if name != "default" && !theme_dir.is_dir() {
        return Err(Diagnostic::error(
            crate::config::FILE_NAME,
            Pos::START,
            format!(
                "theme `{name}` not found: no directory `{}`",
                crate::diagnostic::display_path(&theme_rel)
            ),
        )
        .with_hint("create it, or set `theme = \"default\"` under [build]"));
    }
    let templates_dir = theme_dir.join("templates");
    let templates_rel = theme_rel.join("templates");
    let mut sources: Vec<(String, String)> = DEFAULT_TEMPLATES
        .iter()
        .map(|(n, s)| (n.to_string(), s.to_string()))
        .collect();
    let mut overridden = Vec::new();
    for (rel, bytes) in read_dir_files(&templates_dir, &templates_rel)? {
        let name = crate::diagnostic::display_path(&rel);
        overridden.push(name.clone());
        let text = String::from_utf8(bytes).map_err(|_| {
            Diagnostic::error(
                templates_rel.join(&rel),
                Pos::START,
                "template is not valid UTF-8",
            )
        })?;
        match sources.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = text,
            None => sources.push((name, text)),
        }
    }
    let mut tera = Tera::new();
    tera.autoescape_on(vec![".html", ".xml"]);
    tera.add_raw_templates(sources.iter().map(|(n, s)| (n.as_str(), s.as_str())))
        .map_err(|e| template_error(&e, &templates_rel, &overridden))?;

    let mut statics: Vec<(PathBuf, Vec<u8>)> = DEFAULT_STATIC
        .iter()
        .map(|(n, s)| (PathBuf::from(n), s.as_bytes().to_vec()))
        .collect();
    for (rel, bytes) in read_dir_files(&theme_dir.join("static"), &theme_rel.join("static"))? {
        match statics.iter_mut().find(|(n, _)| *n == rel) {
            Some(slot) => slot.1 = bytes,
            None => statics.push((rel, bytes)),
        }
    }
    let fingerprint = {
        let mut hasher = rustc_hash::FxHasher::default();
        (&sources, &statics).hash(&mut hasher);
        hasher.finish()
    };
    Ok(Theme {
        tera,
        statics,
        fingerprint,
        templates_display: templates_rel,
        overridden,
    })
}

/// Every file under `dir`, by path relative to it; nothing when it is absent.
fn read_dir_files(dir: &Path, display: &Path) -> Result<Vec<(PathBuf, Vec<u8>)>, Diagnostic> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for entry in WalkDir::new(dir).sort_by_file_name() {
        let entry = entry
            .map_err(|e| Diagnostic::error(display, Pos::START, format!("cannot read: {e}")))?;
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(dir)
                .unwrap_or(entry.path())
                .to_path_buf();
            let bytes = std::fs::read(entry.path()).map_err(|e| {
                Diagnostic::error(display.join(&rel), Pos::START, format!("cannot read: {e}"))
            })?;
            files.push((rel, bytes));
        }
    }
    Ok(files)
}

fn template_error(e: &tera::Error, templates_rel: &Path, overridden: &[String]) -> Diagnostic {
    let origin = |name: &str| {
        if overridden.iter().any(|o| o == name) {
            templates_rel.join(name)
        } else {
            PathBuf::from(format!("(built-in theme) templates/{name}"))
        }
    };
    let report = match e.kind() {
        tera::ErrorKind::SyntaxError(r) | tera::ErrorKind::RenderingError(r) => Some(r),
        _ => None,
    };
    match report {
        Some(r) => {
            let span = r.span();
            Diagnostic::error(
                origin(r.filename()),
                Pos::new(span.start_line, span.start_col + 1),
                format!("template error: {}", r.message()),
            )
        }
        None => Diagnostic::error(templates_rel, Pos::START, format!("template error: {e}")),
    }
}
