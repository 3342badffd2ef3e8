//! The whole pipeline: load everything, link it, and only then write.
//! `castor check` is the same pipeline without the output stage.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::content::{self, LoadOptions};
use crate::diagnostic::Diagnostic;
use crate::output::OutputFile;
use crate::progress::Progress;
use crate::render::{self, Extra, Renderer, Sink, Stop};
use crate::search::{self, Stamp};
use crate::site::{self, Site};
use crate::timings::Timings;
use crate::{guard, output};

/// Why a build stopped; each kind has its exit code.
#[derive(Debug)]
pub enum Failure {
    /// Problems in the content: exit code 1.
    Content(Vec<Diagnostic>),
    /// Bad configuration, theme or output directory: exit code 2.
    Config(Vec<Diagnostic>),
    /// Writing failed before the output was touched: exit code 1.
    Io(anyhow::Error),
    /// Writing failed after part of the output was replaced; the error
    /// says which part: exit code 1.
    Partial(anyhow::Error),
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Content(_) | Failure::Io(_) | Failure::Partial(_) => 1,
            Failure::Config(_) => 2,
        }
    }
}

/// A site loaded and linked, with the problems found on the way.
pub struct Loaded {
    /// Holds only the documents without errors.
    pub site: Site,
    /// Sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads the content tree under `root` and links it, whatever problems the
/// content has.
pub fn load_all(root: &Path, config: Config, include_drafts: bool) -> Loaded {
    load_timed(root, config, include_drafts, &Timings::new(), None)
}

/// Like [`load_all`], but any content error is a failure, with every
/// problem of the tree in it.
pub fn load(root: &Path, config: Config, include_drafts: bool) -> Result<Loaded, Failure> {
    without_errors(load_all(root, config, include_drafts))
}

/// Like [`load`], reusing the documents of `cache` whose files did not
/// change, and keeping the new ones there.
pub fn load_cached(
    root: &Path,
    config: Config,
    include_drafts: bool,
    cache: &content::Cache,
    timings: &Timings,
) -> Result<Loaded, Failure> {
    without_errors(load_timed(
        root,
        config,
        include_drafts,
        timings,
        Some(cache),
    ))
}

fn load_timed(
    root: &Path,
    config: Config,
    include_drafts: bool,
    timings: &Timings,
    cache: Option<&content::Cache>,
) -> Loaded {
    let include_drafts = include_drafts || config.build.drafts;
    let options = LoadOptions {
        config: &config,
        include_drafts,
        cache,
    };
    let (content, mut diagnostics) = timings.time("load", || content::load(root, &options));
    let (site, link_problems) = timings.time("site graph", || site::build(config, content));
    diagnostics.extend(link_problems);
    diagnostics.extend(crate::render::alias::collisions(&site));
    crate::diagnostic::sort(&mut diagnostics);
    Loaded { site, diagnostics }
}

fn without_errors(loaded: Loaded) -> Result<Loaded, Failure> {
    if loaded.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(Failure::Content(loaded.diagnostics));
    }
    Ok(loaded)
}

#[derive(Debug, Default)]
pub struct Options {
    /// Overrides `[build] output`.
    pub output: Option<PathBuf>,
    pub drafts: bool,
    /// Replace an output directory castor did not create.
    pub force: bool,
    /// Show a progress bar on a terminal when the build is slow.
    pub progress: bool,
}

/// What a finished build did.
#[derive(Debug)]
pub struct Report {
    pub written: output::Written,
    /// How many content files came from the parse cache.
    pub cache: content::CacheUse,
    pub output: PathBuf,
    pub elapsed: Duration,
    pub warnings: Vec<Diagnostic>,
    pub timings: Timings,
    /// What the pages were made from, held to the end of the build rather
    /// than freed once rendered: at 100,000 incidents freeing it takes
    /// 0.2 s on one core, and the allocator then spends 0.15 s of both cores
    /// tidying up in the write stage. A command that exits next leaves
    /// that to the system.
    pub site: Arc<Site>,
}

/// The stages [`build`] times, for the progress bar: theme, stamp, cache,
/// load, site graph, render, browser index, tantivy index, cache write
/// and write.
pub const STAGES: u64 = 10;

/// Builds the site under `root`. Nothing is written unless every stage
/// succeeded.
pub fn build(root: &Path, options: &Options) -> Result<Report, Failure> {
    let progress = options.progress.then(|| Progress::start(STAGES)).flatten();
    let timings = Timings::new().with_progress(progress);
    // Every directory the build writes is checked before any work, so a
    // dangerous setting is refused before anything is touched.
    let config = Config::load(root).map_err(|d| Failure::Config(vec![d]))?;
    let dirs = guard::Dirs::resolve(root, &config, options.output.as_deref())
        .map_err(|d| Failure::Config(vec![d]))?;
    output::check_replaceable(&dirs.output, options.force).map_err(|d| Failure::Config(vec![d]))?;
    content::require_dir(root, &config).map_err(|d| Failure::Content(vec![d]))?;
    // Held until the build ends; the cleaning below needs it.
    let lock = guard::Lock::take(&dirs.state).map_err(|d| Failure::Config(vec![d]))?;
    guard::clean_staging(&dirs.output.dir, &lock);
    guard::clean_staging(&dirs.index.dir, &lock);
    let Rendered {
        site,
        writer,
        files,
        pages,
        cache,
        warnings,
    } = render_site(root, &config, options.drafts, &timings, &dirs)?;
    // The output the last state describes is about to change: a build
    // stopped half way must not keep pages from it.
    render::reuse::State::forget(&dirs.cache());
    let written = timings
        .time("write", || writer.finish(files))
        .map_err(|e| match e {
            output::WriteError::Unchanged(e) => Failure::Io(e),
            output::WriteError::Partial(e) => Failure::Partial(e),
        })?;
    // Only saves time: without it, the next build renders every page.
    let _ = pages.write(&dirs.cache());
    timings.finish();
    let mut warnings = warnings;
    warnings.extend(size_warnings(root, &config, &written));
    Ok(Report {
        written,
        cache,
        output: dirs.output.display,
        elapsed: timings.elapsed(),
        warnings,
        timings,
        site,
    })
}

/// A warning for each of book.toml's `[build] max_files` and `max_bytes`
/// that the site passes: known before deploying to a host that limits
/// either.
fn size_warnings(root: &Path, config: &Config, written: &output::Written) -> Vec<Diagnostic> {
    let files = written.files() as u64;
    let limits = [
        (
            "max_files",
            config.build.max_files.map(|m| m as u64),
            files,
            "files",
        ),
        ("max_bytes", config.build.max_bytes, written.bytes, "bytes"),
    ];
    limits
        .into_iter()
        .filter_map(|(key, limit, size, unit)| {
            let limit = limit.filter(|&limit| size > limit)?;
            let pos = Config::key_position(root, key).unwrap_or(crate::diagnostic::Pos::START);
            Some(
                Diagnostic::warning(
                    crate::config::FILE_NAME,
                    pos,
                    format!("the site has {size} {unit}, over `{key}` = {limit}"),
                )
                .with_hint("check the limits of the host you deploy to, or raise the setting"),
            )
        })
        .collect()
}

/// A site rendered: for a new output directory already written to its
/// staging directory, otherwise held in memory until every stage is done.
struct Rendered {
    site: Arc<Site>,
    writer: output::Writer,
    /// What the writer gave back to write at the end.
    files: Vec<OutputFile>,
    /// What the pages were made from, to keep once they are written.
    pages: render::reuse::State,
    cache: content::CacheUse,
    warnings: Vec<Diagnostic>,
}

/// Loads and renders the site under `root` for `target`, and brings the
/// tantivy index for `castor search` up to date on threads of its own.
fn render_site(
    root: &Path,
    config: &Config,
    drafts: bool,
    timings: &Timings,
    dirs: &guard::Dirs,
) -> Result<Rendered, Failure> {
    let theme = timings
        .time("theme", || render::theme::load(root, &config.build.theme))
        .map_err(|d| Failure::Config(vec![d]))?;
    let cache_dir = dirs.cache();
    let cache = timings.time("cache", || content::Cache::open(&cache_dir));
    // Stamped before reading the content, so an edit made during the build
    // leaves the index stale rather than wrongly fresh.
    let stamp = timings.time("stamp", || Stamp::of_cached(root, config, &cache));
    let Loaded { site, diagnostics } = without_errors(load_timed(
        root,
        config.clone(),
        drafts,
        timings,
        Some(&cache),
    ))?;
    let cache_use = cache.used();
    // Only now, with the content known to be good: a new output directory
    // gets its staging directory here.
    let writer = output::Writer::new(&dirs.output).map_err(Failure::Io)?;
    let mut pages = render::reuse::State::of(&site, &theme, &dirs.output.dir);
    let reuse = render::reuse::State::read(&cache_dir).and_then(|old| pages.reuse(&old, &site));
    // The tantivy index is written by threads of its own, beside the
    // rayon pool that renders the pages and the browser index.
    let site = Arc::new(site);
    // The browser index counts the site's words; the tantivy index keeps
    // them for spelling suggestions.
    let (words, vocabulary) = std::sync::mpsc::sync_channel(1);
    let shards_made = std::sync::OnceLock::new();
    let (files, indexed) = std::thread::scope(|scope| {
        let (site, stamp) = (&site, &stamp);
        let indexed = scope.spawn(move || {
            let dir = &dirs.index.dir;
            let indexed =
                timings.time("tantivy index", || search::index::write(dir, site, false))?;
            indexed.finish(stamp, vocabulary.recv().ok())
        });
        // The cache only saves time: a build that cannot keep it is still
        // a good build, and the next one parses everything again.
        // The cache is freed there too, once written, not at the end of
        // the render: a rebuild at 100,000 incidents peaked 40 MB lower.
        scope.spawn(move || timings.time("cache write", || cache.write()));
        let unchanged = |path: &Path| writer.keep(path);
        // A record shows one document: kept while its body is.
        let body = |kind: content::Kind, n: usize| {
            reuse.as_ref().is_some_and(|reuse| {
                reuse.keeps_body(match kind {
                    content::Kind::Incident => render::reuse::Shown::Incident(n),
                    content::Kind::Advice => render::reuse::Shown::Advice(n),
                })
            })
        };
        let made = |path: &Path| reuse.as_ref().and_then(|reuse| reuse.made(path));
        let kept = search::browser::Kept {
            body: &body,
            made: &made,
            keep: &unchanged,
        };
        // The export and the browser search index are made by the
        // renderer's pool too, as jobs beside the pages: the index first,
        // the longest of them, so that a rebuild does not wait for it.
        let browser = Extra::new(search::browser::DIR, |site: &Site, sink: &Sink| {
            timings.time("browser index", || {
                let (vocabulary, made) =
                    search::browser::index(site, Some(&cache_dir), &kept, sink)?;
                let _ = shards_made.set(made);
                // Only fails when the index thread is gone, which its own
                // error reports.
                let _ = words.send(vocabulary);
                Ok(())
            })
        });
        let files = timings.time("render", || {
            Renderer::new(
                Arc::clone(site),
                Arc::new(theme),
                vec![browser, export_file(), table_data()],
            )
            .each(
                &|file| writer.offer(file),
                reuse
                    .as_ref()
                    .map(|r| (r, &unchanged as render::reuse::Unchanged)),
            )
        });
        (files, indexed.join())
    });
    let files = files.map_err(|stop| match stop {
        Stop::Template(d) => Failure::Config(vec![d]),
        Stop::Keep(e) => Failure::Io(e),
    })?;
    let indexed = indexed.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    indexed.map_err(Failure::Io)?;
    if let Some(made) = shards_made.into_inner() {
        pages.keep_made(made);
    }
    Ok(Rendered {
        site,
        writer,
        files,
        pages,
        cache: cache_use,
        warnings: diagnostics,
    })
}

/// Every problem of the site under `root`, errors and warnings, sorted.
/// Drafts are checked too: a contributor's unfinished entry is still theirs
/// to fix.
pub fn check(root: &Path) -> Result<Vec<Diagnostic>, Failure> {
    let config = Config::load(root).map_err(|d| Failure::Config(vec![d]))?;
    guard::Dirs::resolve(root, &config, None)
        .map_err(|d| Failure::Config(vec![d]))?
        .clean_leftovers();
    let theme =
        render::theme::load(root, &config.build.theme).map_err(|d| Failure::Config(vec![d]))?;
    let loaded = load_all(root, config, true);
    let mut diagnostics = loaded.diagnostics;
    let today = chrono::Local::now().date_naive();
    diagnostics.extend(crate::lint::lint(&loaded.site, today));
    if !diagnostics.iter().any(Diagnostic::is_error) {
        // Rendering in memory finds the template errors a build would.
        let renderer = Renderer::new(Arc::new(loaded.site), Arc::new(theme), extras());
        if let Err(d) = renderer.all() {
            diagnostics.push(d);
        }
    }
    crate::diagnostic::sort(&mut diagnostics);
    Ok(diagnostics)
}

/// What the renderer makes beside the pages: the export, the table's
/// data and the browser search index. (`build` makes the index itself,
/// to keep its words.)
pub fn extras() -> Vec<Extra<'static>> {
    vec![
        export_file(),
        table_data(),
        Extra::new(search::browser::DIR, search::browser::files),
    ]
}

/// The rows of `/incidents/table/`, for sorting and filtering in the page.
fn table_data() -> Extra<'static> {
    Extra::new(crate::urls::TABLE_DATA, |site: &Site, sink: &Sink| {
        render::table::files(site).into_iter().for_each(sink);
        Ok(())
    })
}

/// `/incidents.json`, the document `castor export` prints. It shows every
/// field of every incident and no body, so a rebuild that changed only
/// bodies keeps the output's: at 100,000 incidents it is 164 MB, made
/// again and compared with the output's on every rebuild before.
fn export_file() -> Extra<'static> {
    Extra::of_fields(crate::urls::SITE_DATA, |site: &Site, sink: &Sink| {
        sink(OutputFile {
            path: crate::urls::SITE_DATA.into(),
            bytes: crate::export::json(site).into_bytes(),
        });
        Ok(())
    })
}

/// Writes the search index of the site under `root` without writing the
/// site: what `castor search` does when the index is missing, stale or
/// damaged (`anew`, which writes a new index whatever is there). The
/// caller holds the site's lock.
pub fn index(
    root: &Path,
    config: &Config,
    dirs: &guard::Dirs,
    lock: &guard::Lock,
    anew: bool,
) -> Result<(), Failure> {
    guard::clean_staging(&dirs.index.dir, lock);
    let cache_dir = dirs.cache();
    let cache = content::Cache::open(&cache_dir);
    let stamp = Stamp::of_cached(root, config, &cache);
    let Loaded { site, .. } = load_cached(root, config.clone(), false, &cache, &Timings::new())?;
    // As in `build`, a cache that cannot be kept only costs time.
    let _ = cache.write();
    let vocabulary = search::browser::vocabulary(&site, Some(&cache_dir))
        .map_err(|d| Failure::Content(vec![d]))?;
    search::index::write(&dirs.index.dir, &site, anew)
        .and_then(|indexed| indexed.finish(&stamp, Some(vocabulary)))
        .map_err(Failure::Io)
}
