//! The content stage: walks `content/`, reads every Markdown file, parses
//! and validates its front matter, and renders its body.
//!
//! Every problem of the whole tree is collected; a file with an error is
//! left out of the result, so later stages only ever see valid documents.

mod cache;
pub mod date;
pub mod draft;
pub mod frontmatter;
pub mod markdown;
mod store;
mod validate;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Pos};
use crate::slug;

use cache::Parsed;
pub(crate) use cache::binary_fingerprint;
pub use cache::{Cache, FileVersion, Use as CacheUse, bytes_hash};
pub use date::PartialDate;
pub use frontmatter::Source;
pub use markdown::{Body, InternalLink, Section};
pub use store::{Contents, Texts};
pub use validate::{Advice, Aliases, Incident, Page, Ref, is_http_url};

/// Files larger than this are refused: a post-mortem is a few pages, and a
/// runaway file should not stall the build.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

/// Every valid document of the tree.
#[derive(Debug, Default)]
pub struct Content {
    pub incidents: Vec<Arc<Incident>>,
    pub advice: Vec<Advice>,
    pub pages: Vec<Page>,
    /// Files that exist but are left out (drafts, or files with errors), so
    /// a reference to one is not mistaken for a typo.
    pub left_out: HashSet<(Section, String)>,
}

/// What a loader needs to know besides the files.
pub struct LoadOptions<'a> {
    pub config: &'a Config,
    pub include_drafts: bool,
    /// Documents parsed by an earlier load, to reuse when unchanged.
    pub cache: Option<&'a Cache>,
}

/// A Markdown file found in the tree, not yet read.
struct Found {
    /// The path as shown to users: relative to the site root.
    display: PathBuf,
    path: PathBuf,
    section: Section,
    slug: String,
}

/// What a searchable document is. The site's search, `castor search
/// --kind` and `castor new` name it the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Incident,
    Advice,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Incident => "incident",
            Kind::Advice => "advice",
        }
    }
}

/// The content directory of the site under `root`, or the error a
/// contributor sees when it is missing.
pub fn require_dir(root: &Path, config: &crate::config::Config) -> Result<PathBuf, Diagnostic> {
    let dir = root.join(&config.build.content);
    if dir.is_dir() {
        return Ok(dir);
    }
    Err(Diagnostic::error(
        &config.build.content,
        Pos::START,
        "the content directory does not exist",
    )
    .with_hint("create it with `incidents/` and `advice/` folders inside, or run `castor init`"))
}

/// The incident of the file at `display` (as [`Incident::path`] gives
/// it, relative to `root`), read again as [`load`] reads it: `None` if it
/// is no incident or reads with any problem, even a warning.
pub fn reload_incident(
    root: &Path,
    display: &Path,
    options: &LoadOptions,
) -> Option<Arc<Incident>> {
    let found = Found {
        display: display.to_path_buf(),
        path: root.join(display),
        section: Section::Incidents,
        slug: display.file_stem()?.to_str()?.to_owned(),
    };
    match read_one(&found, options) {
        (Some(validate::Doc::Incident(incident)), problems) if problems.is_empty() => {
            Some(incident)
        }
        _ => None,
    }
}

/// Loads the content tree under `root`, returning the valid documents and
/// every diagnostic found, errors and warnings alike.
pub fn load(root: &Path, options: &LoadOptions) -> (Content, Vec<Diagnostic>) {
    let content_rel = &options.config.build.content;
    let mut diagnostics = Vec::new();
    let dir = match require_dir(root, options.config) {
        Ok(dir) => dir,
        Err(missing) => return (Content::default(), vec![missing]),
    };
    let found = find_files(&dir, content_rel, &mut diagnostics);
    check_duplicate_slugs(&found, &mut diagnostics);

    if let Some(cache) = options.cache {
        cache.start(options.config);
    }
    let parsed: Vec<Parsed> = found.par_iter().map(|f| read_one(f, options)).collect();
    if let Some(cache) = options.cache {
        cache.keep_only(found.iter().map(|f| f.display.as_path()));
    }
    let mut content = Content::default();
    for (f, (doc, problems)) in found.iter().zip(parsed) {
        diagnostics.extend(problems);
        let keep = |draft: bool| options.include_drafts || !draft;
        match doc {
            Some(validate::Doc::Incident(i)) if keep(i.draft) => content.incidents.push(i),
            Some(validate::Doc::Advice(a)) if keep(a.draft) => content.advice.push(a),
            Some(validate::Doc::Page(p)) if keep(p.draft) => content.pages.push(p),
            _ => {
                content.left_out.insert((f.section, f.slug.clone()));
            }
        }
    }
    (content, diagnostics)
}

fn find_files(dir: &Path, display_root: &Path, diagnostics: &mut Vec<Diagnostic>) -> Vec<Found> {
    let listed = list_markdown(dir, display_root);
    // What each file is, on every core: the walk is one thread's.
    let classified: Vec<Result<Found, Diagnostic>> = listed
        .into_par_iter()
        .map(|listed| listed.and_then(|entry| classify(dir, display_root, entry)))
        .collect();
    let mut found = Vec::with_capacity(classified.len());
    for outcome in classified {
        match outcome {
            Ok(f) => {
                diagnostics.extend(f.slug_problem());
                found.push(f);
            }
            Err(d) => diagnostics.push(d),
        }
    }
    found
}

/// Every Markdown file under `dir`, in order, and what could not be read
/// or may not be: a link out of `dir` is refused, and nothing under it is
/// read.
fn list_markdown(dir: &Path, display_root: &Path) -> Vec<Result<walkdir::DirEntry, Diagnostic>> {
    let canonical_root = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let display = |path: &Path| display_root.join(path.strip_prefix(dir).unwrap_or(path));
    let mut listed = Vec::new();
    // By name: siblings' paths differ only there, and comparing them
    // whole is a plain byte comparison, where `sort_by_file_name` finds
    // each name again from the path at every comparison.
    let mut walker = WalkDir::new(dir)
        .follow_links(true)
        .sort_by(|a, b| a.path().as_os_str().cmp(b.path().as_os_str()))
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let message = if e.loop_ancestor().is_some() {
                    "symbolic link loop".to_string()
                } else {
                    format!(
                        "cannot read: {}",
                        e.io_error()
                            .map_or_else(|| e.to_string(), |io| io.to_string())
                    )
                };
                let path = e.path().unwrap_or(dir);
                listed.push(Err(Diagnostic::error(display(path), Pos::START, message)));
                continue;
            }
        };
        if entry.path_is_symlink() {
            let inside = entry
                .path()
                .canonicalize()
                .is_ok_and(|target| target.starts_with(&canonical_root));
            if !inside {
                listed.push(Err(Diagnostic::error(
                    display(entry.path()),
                    Pos::START,
                    "symbolic link points outside the content directory",
                )
                .with_hint(
                    "copy the file into the content directory instead of linking to it",
                )));
                if entry.file_type().is_dir() {
                    // Nothing under a refused link is read.
                    walker.skip_current_dir();
                }
                continue;
            }
        }
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == "md") {
            listed.push(Ok(entry));
        }
    }
    listed
}

/// The section and slug of a Markdown file of `dir`; an error for a file
/// in no section.
fn classify(
    dir: &Path,
    display_root: &Path,
    entry: walkdir::DirEntry,
) -> Result<Found, Diagnostic> {
    let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
    let display = display_root.join(rel);
    let mut components = rel.components().map(|c| c.as_os_str());
    let first = components.next();
    let nested = components.next().is_some();
    let section = match first.and_then(|c| c.to_str()) {
        Some("incidents") if nested => Section::Incidents,
        Some("advice") if nested => Section::Advice,
        _ if !nested => Section::Pages,
        _ => {
            return Err(
                Diagnostic::error(&display, Pos::START, "Markdown file outside `incidents/` and `advice/`")
                    .with_hint("move it under `incidents/` or `advice/`, or to the top of the content directory for a plain page"),
            );
        }
    };
    let slug = entry
        .path()
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    Ok(Found {
        display,
        path: entry.into_path(),
        section,
        slug,
    })
}

impl Found {
    /// The error of a file name that is no valid slug, with the name that
    /// would be.
    fn slug_problem(&self) -> Option<Diagnostic> {
        let stem = &self.slug;
        if slug::is_valid(stem) {
            return None;
        }
        let fixed = slug::slugify(stem);
        Some(
            Diagnostic::error(
                &self.display,
                Pos::START,
                format!("file name `{stem}.md` is not a valid slug"),
            )
            .with_hint(if fixed.is_empty() {
                "use lowercase letters, digits and hyphens".to_string()
            } else {
                format!("rename it to `{fixed}.md`: lowercase letters, digits and hyphens")
            }),
        )
    }
}

/// Two files of a section with the same slug, or slugs differing only by
/// case, would write the same page (on case-insensitive file systems too).
fn check_duplicate_slugs(found: &[Found], diagnostics: &mut Vec<Diagnostic>) {
    let mut seen: std::collections::HashMap<(Section, String), &Found> =
        std::collections::HashMap::new();
    for f in found {
        if let Some(first) = seen.insert((f.section, f.slug.to_lowercase()), f) {
            diagnostics.push(
                Diagnostic::error(
                    &f.display,
                    Pos::START,
                    format!("duplicate slug `{}`", f.slug),
                )
                .with_hint(format!(
                    "`{}` has the same slug; rename one of the two files",
                    crate::diagnostic::display_path(&first.display)
                )),
            );
        }
    }
}

fn read_one(found: &Found, options: &LoadOptions) -> (Option<validate::Doc>, Vec<Diagnostic>) {
    let error = |message: String, hint: &str| {
        let d = Diagnostic::error(&found.display, Pos::START, message);
        (
            None,
            vec![if hint.is_empty() {
                d
            } else {
                d.with_hint(hint)
            }],
        )
    };
    let meta = match std::fs::metadata(&found.path) {
        Ok(meta) if meta.len() > MAX_FILE_BYTES => {
            return error(
                format!(
                    "file is {} bytes, over the limit of {MAX_FILE_BYTES}",
                    meta.len()
                ),
                "split it, or move long logs to a linked file",
            );
        }
        Ok(meta) => meta,
        Err(e) => return error(format!("cannot read: {e}"), ""),
    };
    if let Some(parsed) = options.cache.and_then(|c| c.get(&found.display, &meta)) {
        return parsed;
    }
    let bytes = match std::fs::read(&found.path) {
        Ok(bytes) => bytes,
        Err(e) => return error(format!("cannot read: {e}"), ""),
    };
    let content = cache::bytes_hash(&bytes);
    let parsed = parse_one(found, bytes, options);
    match options.cache {
        Some(cache) => cache.put(&found.display, &meta, parsed, content),
        None => parsed,
    }
}

fn parse_one(found: &Found, bytes: Vec<u8>, options: &LoadOptions) -> Parsed {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            return (
                None,
                vec![
                    Diagnostic::error(
                        &found.display,
                        Pos::of_invalid_utf8(&e),
                        "the file is not valid UTF-8",
                    )
                    .with_hint("save it as UTF-8 (most editors have an encoding option)"),
                ],
            );
        }
    };
    let text = normalize(text);
    validate::document(&text, &found.display, found.section, &found.slug, options)
}

/// Drops a UTF-8 byte-order mark and turns CRLF into LF; line numbers stay
/// the same, so positions still match the file on disk.
fn normalize(text: String) -> String {
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text);
    if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text
    }
}
