//! The render stage: the site value through tera templates into files, in
//! parallel. Every link between pages is relative, so the output works from
//! any sub-path and from a plain file server.

pub mod alias;
mod charts;
mod citation;
mod context;
mod page;
mod pager;
pub mod reuse;
mod stats;
pub mod table;
pub mod theme;
mod timeline;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Value};

use crate::config::LinkStyle;
use crate::diagnostic::{Diagnostic, display_path};
use crate::output::OutputFile;
use crate::site::{Site, Taxonomy};
use crate::urls::{self, absolute, file_path, root_of};
use context::{Cards, Link, advice_items, body_html, term_items};
use page::{Page, has_feeds, page_size, pages, terms_page_size, timeline_url};
use pager::Pager;

pub use theme::Theme;

/// Where an [`Extra`] hands each of its files as soon as it is made,
/// from any thread: the browser index is a fifth of a site's bytes, and
/// need not be held whole before it is written.
pub type Sink<'s> = dyn Fn(OutputFile) + Sync + 's;

/// How an [`Extra`] makes its files.
type Make<'a> = Box<dyn Fn(&Site, &Sink) -> Result<(), Diagnostic> + Send + Sync + 'a>;

/// Files that another stage makes from the whole site at once (the
/// export, the browser search index), rendered as a job like the pages.
pub struct Extra<'a> {
    /// Where its files go: one file, or a directory.
    pub path: PathBuf,
    make: Make<'a>,
    /// Made once when asked for file by file (by `castor serve`).
    made: OnceLock<Result<Vec<OutputFile>, Diagnostic>>,
    /// One file made from the documents' fields alone, no body: kept as
    /// the output has it whenever a rebuild keeps the pages that show no
    /// body.
    fields_only: bool,
}

impl<'a> Extra<'a> {
    pub fn new(
        path: impl Into<PathBuf>,
        make: impl Fn(&Site, &Sink) -> Result<(), Diagnostic> + Send + Sync + 'a,
    ) -> Extra<'a> {
        Extra {
            path: path.into(),
            make: Box::new(make),
            made: OnceLock::new(),
            fields_only: false,
        }
    }

    /// An extra of one file, at `path`, made from the documents' fields
    /// alone.
    pub fn of_fields(
        path: impl Into<PathBuf>,
        make: impl Fn(&Site, &Sink) -> Result<(), Diagnostic> + Send + Sync + 'a,
    ) -> Extra<'a> {
        Extra {
            fields_only: true,
            ..Extra::new(path, make)
        }
    }

    /// Every file it makes, held together.
    fn files(&self, site: &Site) -> Result<Vec<OutputFile>, Diagnostic> {
        let files = Mutex::new(Vec::new());
        (self.make)(site, &|file| lock(&files).push(file))?;
        Ok(files.into_inner().unwrap_or_else(|e| e.into_inner()))
    }

    /// Hands each file it makes to `keep` as it comes, and collects what
    /// `keep` gives back. Once `keep` fails, the files still to come are
    /// dropped.
    fn each<E: Send>(
        &self,
        site: &Site,
        keep: &(dyn Fn(OutputFile) -> Result<Option<OutputFile>, E> + Sync),
    ) -> Result<Vec<OutputFile>, Stop<E>> {
        let kept = Mutex::new(Ok(Vec::new()));
        let made = (self.make)(site, &|file| {
            if lock(&kept).is_err() {
                return;
            }
            // Not under the lock: keeping a file may write it.
            let file = keep(file);
            match (&mut *lock(&kept), file) {
                (Ok(files), Ok(file)) => files.extend(file),
                (kept @ Ok(_), Err(e)) => *kept = Err(e),
                (Err(_), _) => {}
            }
        });
        let kept = kept.into_inner().unwrap_or_else(|e| e.into_inner());
        made.map_err(Stop::Template)?;
        kept.map_err(Stop::Keep)
    }
}

/// A mutex's value, even after a panic elsewhere: what it guards here is
/// only ever pushed to.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// How many incidents a term's feed carries.
const TERM_FEED_ENTRIES: usize = 20;
/// How many incidents the feed and the home page carry.
const FEED_ENTRIES: usize = 50;
const HOME_LATEST: usize = 10;

/// One output of the site: a page, a file of the theme, or an [`Extra`].
#[derive(Clone, Copy)]
enum Job {
    Page(Page),
    /// A file of the theme's `static/`, by index.
    Static(usize),
    /// The syntax-highlighting stylesheet, light or dark.
    Highlight(Shade),
    Extra(usize),
}

#[derive(Clone, Copy)]
enum Shade {
    Light,
    Dark,
}

impl Job {
    /// The output's URL path relative to the site root ("" for the home
    /// page).
    fn url(self, site: &Site, theme: &Theme, extras: &[Extra]) -> String {
        match self {
            Job::Page(page) => page.url(site),
            Job::Static(n) => display_path(&theme.statics[n].0),
            Job::Highlight(Shade::Light) => "highlight-light.css".into(),
            Job::Highlight(Shade::Dark) => "highlight-dark.css".into(),
            Job::Extra(n) => display_path(&extras[n].path),
        }
    }
}

fn jobs(site: &Site, theme: &Theme, extras: &[Extra]) -> Vec<Job> {
    // The extras first: each is one long job, best started early.
    let mut jobs: Vec<Job> = (0..extras.len()).map(Job::Extra).collect();
    jobs.extend([Job::Highlight(Shade::Light), Job::Highlight(Shade::Dark)]);
    jobs.extend((0..theme.statics.len()).map(Job::Static));
    jobs.extend(pages(site).into_iter().map(Job::Page));
    jobs
}

#[derive(Serialize)]
struct SiteInfo<'a> {
    title: &'a str,
    description: &'a str,
    language: &'a str,
    base_url: &'a str,
    incidents: usize,
    advice: usize,
    companies: usize,
    pages: Vec<Link<'a>>,
    /// `[build] links = "files"`: the search box names pages' `index.html`
    /// in the results it makes.
    file_links: bool,
    taxonomies: Vec<TaxonomyInfo>,
}

/// A taxonomy as the navigation and the search page's filters name it.
#[derive(Serialize)]
struct TaxonomyInfo {
    /// The field's name, as the browser index keys its facet.
    key: &'static str,
    /// Singular.
    name: &'static str,
    /// Its index page.
    url: String,
}

/// State shared by every page's render.
struct Shared<'a> {
    site: Arc<Site>,
    theme: Arc<Theme>,
    cards: Cards,
    extras: Vec<Extra<'a>>,
    /// Counted when the first page with charts is rendered.
    stats: OnceLock<stats::Stats>,
    base: Context,
}

impl Shared<'_> {
    fn stats(&self) -> &stats::Stats {
        self.stats.get_or_init(|| stats::Stats::of(&self.site))
    }

    /// Puts a list of incidents in `ctx` twice: as `name`, the cards'
    /// values, for templates that want their fields, and as `{name}_cards`,
    /// the list's HTML from `card.html`, its links from `root`, the page's
    /// way to the site root. Each card's HTML is rendered once: the lists
    /// of a site repeat every incident many times (its year, category,
    /// company, tags, the related lists), at several page depths.
    fn insert_list(
        &self,
        ctx: &mut Context,
        name: &'static str,
        indices: &[usize],
        root: &str,
    ) -> Result<(), Diagnostic> {
        ctx.insert_value(name, self.card_values(indices));
        let mut html = String::from("<ol class=\"cards\">\n");
        for &i in indices {
            let card = self.cards.html(i, || self.render_card(i))?;
            urls::push_resolved(&mut html, card, root);
        }
        html.push_str("</ol>\n");
        ctx.insert(format!("{name}_cards"), &html);
        Ok(())
    }

    /// Puts page `n` of the list `indices`, whose first page is at `url`,
    /// in `ctx` as `incidents` (see [`Shared::insert_list`]), with its
    /// `pager`.
    fn insert_page(
        &self,
        ctx: &mut Context,
        url: &str,
        indices: &[usize],
        n: usize,
        root: &str,
    ) -> Result<(), Diagnostic> {
        let pager = Pager::new(url, indices.len(), page_size(&self.site), n);
        self.insert_list(ctx, "incidents", pager.slice(indices), root)?;
        ctx.insert("pager", &pager);
        Ok(())
    }

    /// The cards of `indices`, as one template value.
    fn card_values(&self, indices: &[usize]) -> Value {
        indices
            .iter()
            .map(|&i| self.cards.get(&self.site, i))
            .collect::<Vec<_>>()
            .into()
    }

    /// Card `i`'s HTML, its links from [`urls::ROOT_MARK`].
    fn render_card(&self, i: usize) -> Result<String, Diagnostic> {
        let mut ctx = Context::new();
        ctx.insert_value("c", self.cards.get(&self.site, i));
        ctx.insert("root", urls::ROOT_MARK);
        self.theme
            .tera
            .render("card.html", &ctx)
            .map_err(|e| self.theme.error(&e))
    }
}

/// A site ready to render: what every page shares is computed once.
/// `castor build` renders every output from it; `castor serve` renders
/// each page when a browser asks for it, so a rebuild after an edit costs
/// no page at all.
pub struct Renderer<'a> {
    shared: Shared<'a>,
    jobs: Vec<Job>,
    /// Each single-file job's output path.
    by_path: HashMap<PathBuf, usize>,
}

impl<'a> Renderer<'a> {
    pub fn new(site: Arc<Site>, theme: Arc<Theme>, extras: Vec<Extra<'a>>) -> Renderer<'a> {
        let mut base = Context::new();
        base.insert(
            "site",
            &SiteInfo {
                title: &site.config.site.title,
                description: &site.config.site.description,
                language: &site.config.site.language,
                base_url: &site.config.site.base_url,
                incidents: site.incidents.len(),
                advice: site.advice.len(),
                companies: site.terms(Taxonomy::Company).len(),
                pages: site
                    .pages
                    .iter()
                    .zip(&site.page_urls)
                    .map(|(p, url)| Link {
                        name: &p.title,
                        url: url.clone(),
                    })
                    .collect(),
                file_links: site.config.build.links == LinkStyle::Files,
                taxonomies: Taxonomy::ALL
                    .iter()
                    .map(|t| TaxonomyInfo {
                        key: t.key(),
                        name: t.names().0,
                        url: urls::taxonomy(t.dir()),
                    })
                    .collect(),
            },
        );
        // Set by the pages of a list; `base.html` links their neighbours.
        base.insert("pager", &Option::<Pager>::None);
        let jobs = jobs(&site, &theme, &extras);
        let by_path = jobs
            .iter()
            .enumerate()
            .filter(|(_, job)| !matches!(job, Job::Extra(_)))
            .map(|(n, job)| (file_path(&job.url(&site, &theme, &extras)), n))
            .collect();
        Renderer {
            shared: Shared {
                cards: Cards::new(&site),
                stats: OnceLock::new(),
                base,
                site,
                theme,
                extras,
            },
            jobs,
            by_path,
        }
    }

    pub fn site(&self) -> &Site {
        &self.shared.site
    }

    pub fn theme(&self) -> &Arc<Theme> {
        &self.shared.theme
    }

    /// Every output of the site. Errors name the template and its line.
    pub fn all(&self) -> Result<Vec<OutputFile>, Diagnostic> {
        self.each(&|file| Ok::<_, std::convert::Infallible>(Some(file)), None)
            .map_err(|stop| match stop {
                Stop::Template(d) => d,
                Stop::Keep(never) => match never {},
            })
    }

    /// Renders every output and hands each file to `keep` as soon as it is
    /// made: `keep` may write it at once (and return `None`) or give it
    /// back to be collected, so a site need not be held in memory whole.
    /// With `reuse`, a page it keeps is not rendered when `unchanged` takes
    /// the output's file at its path as it is.
    pub fn each<E: Send>(
        &self,
        keep: &(dyn Fn(OutputFile) -> Result<Option<OutputFile>, E> + Sync),
        reuse: Option<(&reuse::Reuse, reuse::Unchanged<'_>)>,
    ) -> Result<Vec<OutputFile>, Stop<E>> {
        // One job a task: rayon would otherwise run the first few jobs,
        // the extras, one after another on one thread, and a rebuild at
        // 100,000 incidents waited 0.7 s for the export after the index.
        let kept: Vec<Vec<OutputFile>> = self
            .jobs
            .par_iter()
            .with_max_len(1)
            .map(|&job| {
                if let Job::Extra(n) = job {
                    let extra = &self.shared.extras[n];
                    if extra.fields_only
                        && let Some((_, unchanged)) = reuse
                        && unchanged(&extra.path)
                    {
                        return Ok(Vec::new());
                    }
                    return extra.each(self.site(), keep);
                }
                if let (Job::Page(page), Some((reuse, unchanged))) = (job, reuse)
                    && reuse.keeps(page)
                    && unchanged(&file_path(&page.url(self.site())))
                {
                    return Ok(Vec::new());
                }
                let mut kept = Vec::new();
                for file in self.render(job).map_err(Stop::Template)? {
                    kept.extend(keep(file).map_err(Stop::Keep)?);
                }
                Ok(kept)
            })
            .collect::<Result<_, _>>()?;
        Ok(kept.into_iter().flatten().collect())
    }

    /// The file at `path` (relative to the output directory), rendered
    /// now; `None` when the site has no such file.
    pub fn file(&self, path: &Path) -> Option<Result<Vec<u8>, Diagnostic>> {
        if let Some(&n) = self.by_path.get(path) {
            let file = self
                .render(self.jobs[n])
                .map(|mut files| files.swap_remove(0));
            return Some(file.map(|f| f.bytes));
        }
        let extra = self
            .shared
            .extras
            .iter()
            .find(|e| path.starts_with(&e.path))?;
        let files = match extra.made.get_or_init(|| extra.files(self.site())) {
            Ok(files) => files,
            Err(d) => return Some(Err(d.clone())),
        };
        let file = files.iter().find(|f| f.path == path)?;
        Some(Ok(file.bytes.clone()))
    }

    /// Whether the site has a page at `path`, without rendering it.
    pub fn has(&self, path: &Path) -> bool {
        self.by_path.contains_key(path)
    }

    fn render(&self, job: Job) -> Result<Vec<OutputFile>, Diagnostic> {
        let shared = &self.shared;
        let file = |path: &Path, bytes: &[u8]| OutputFile {
            path: path.to_path_buf(),
            bytes: bytes.to_vec(),
        };
        Ok(match job {
            Job::Static(n) => {
                let (path, bytes) = &shared.theme.statics[n];
                vec![file(path, bytes)]
            }
            Job::Highlight(shade) => {
                let markdown = &shared.site.config.markdown;
                let theme = match shade {
                    Shade::Light => &markdown.highlight_theme,
                    Shade::Dark => &markdown.highlight_theme_dark,
                };
                // The config stage checked the theme names.
                let css = crate::highlight::stylesheet(theme).unwrap_or_default();
                let url = job.url(&shared.site, &shared.theme, &shared.extras);
                vec![file(Path::new(&url), css.as_bytes())]
            }
            Job::Extra(n) => shared.extras[n].files(&shared.site)?,
            Job::Page(page) => vec![render_page(shared, page)?],
        })
    }

    /// Renders one page of each template, so a broken template is caught
    /// without rendering the whole site. Lists are paginated, so no page
    /// probed is long.
    pub fn probe(&self) -> Result<(), Diagnostic> {
        let mut probes: Vec<Page> = Vec::new();
        for page in pages(self.site()) {
            let kind = std::mem::discriminant(&page);
            if !probes.iter().any(|p| std::mem::discriminant(p) == kind) {
                probes.push(page);
            }
        }
        probes
            .par_iter()
            .try_for_each(|&page| render_page(&self.shared, page).map(drop))
    }
}

/// Why [`Renderer::each`] stopped: a template failed, or `keep` did.
#[derive(Debug)]
pub enum Stop<E> {
    Template(Diagnostic),
    Keep(E),
}

fn render_page(shared: &Shared<'_>, page: Page) -> Result<OutputFile, Diagnostic> {
    let site = &*shared.site;
    let url = page.url(site);
    let mut ctx = shared.base.clone();
    // The way from the page to the site root, for its links; pages
    // served at any address link from the server's root instead.
    let root = root_of(&url);
    ctx.insert(
        "root",
        &if page.is_html_page() {
            root.clone()
        } else {
            not_found_root(site)
        },
    );
    ctx.insert("url", &url);
    if page.is_html_page() {
        ctx.insert(
            "canonical",
            &urls::canonical(&site.config.site.base_url, &url),
        );
    }
    let template = match page {
        Page::Home => {
            let latest: Vec<usize> = (0..site.incidents.len().min(HOME_LATEST)).collect();
            shared.insert_list(&mut ctx, "latest", &latest, &root)?;
            ctx.insert("categories", &term_items(site, Taxonomy::Category));
            ctx.insert("advice", &advice_items(site));
            ctx.insert("charts", &shared.stats().summary(&root));
            "index.html"
        }
        Page::Incident(i) => {
            let links = &site.links[i];
            ctx.insert_value("incident", shared.cards.get(site, i));
            let detail = context::IncidentDetail::of(&site.incidents[i], &root)?;
            ctx.insert("detail", &detail);
            ctx.insert("citation", &citation::Citation::of(site, i));
            let advice: Vec<_> = advice_items(site)
                .into_iter()
                .enumerate()
                .filter(|(a, _)| links.advice.contains(a))
                .map(|(_, item)| item)
                .collect();
            ctx.insert("advice", &advice);
            shared.insert_list(&mut ctx, "related", &links.related, &root)?;
            ctx.insert_value(
                "older",
                links
                    .older
                    .map_or(Value::none(), |o| shared.cards.get(site, o)),
            );
            ctx.insert_value(
                "newer",
                links
                    .newer
                    .map_or(Value::none(), |n| shared.cards.get(site, n)),
            );
            "incident.html"
        }
        Page::Incidents(n) => {
            let all: Vec<usize> = (0..site.incidents.len()).collect();
            shared.insert_page(&mut ctx, urls::INCIDENTS, &all, n, &root)?;
            // The same page of the other view, cards or table.
            ctx.insert("table_url", &urls::page_of(urls::INCIDENT_TABLE, n));
            "incidents.html"
        }
        Page::IncidentTable(n) => {
            let size = page_size(site);
            let pager = Pager::new(urls::INCIDENT_TABLE, site.incidents.len(), size, n);
            let all: Vec<usize> = (0..site.incidents.len()).collect();
            ctx.insert_value("incidents", shared.card_values(pager.slice(&all)));
            ctx.insert("pager", &pager);
            ctx.insert("page_size", &size);
            ctx.insert("data_url", urls::TABLE_DATA);
            ctx.insert("cards_url", &urls::page_of(urls::INCIDENTS, n));
            "incident_table.html"
        }
        Page::Advice(a, n) => {
            let advice = &site.advice[a];
            ctx.insert("title", &advice.title);
            ctx.insert("summary", &advice.summary);
            ctx.insert("body", &body_html(&advice.body, &advice.path, &root)?);
            ctx.insert("tags", &advice.tags);
            let url = &site.advice_urls[a];
            shared.insert_page(&mut ctx, url, &site.cited_by[a], n, &root)?;
            "advice.html"
        }
        Page::AdviceList => {
            ctx.insert("advice", &advice_items(site));
            "advice_list.html"
        }
        Page::Plain(p) => {
            let page = &site.pages[p];
            ctx.insert("title", &page.title);
            ctx.insert("summary", &page.summary);
            ctx.insert("body", &body_html(&page.body, &page.path, &root)?);
            "page.html"
        }
        Page::Taxonomy(t, n) => {
            let (singular, plural) = t.names();
            ctx.insert("singular", singular);
            ctx.insert("plural", plural);
            let terms = term_items(site, t);
            let url = urls::taxonomy(t.dir());
            let pager = Pager::new(&url, terms.len(), terms_page_size(site), n);
            ctx.insert("terms", pager.slice(&terms));
            ctx.insert("pager", &pager);
            "taxonomy.html"
        }
        Page::Term(t, i, n) => {
            let term = &site.terms(t)[i];
            let (singular, plural) = t.names();
            ctx.insert("singular", singular);
            ctx.insert("plural", plural);
            ctx.insert("taxonomy_url", &format!("{}/", t.dir()));
            ctx.insert("name", &term.name);
            ctx.insert("description", &term.description);
            ctx.insert("has_feed", &has_feeds(t));
            ctx.insert("feed_url", &urls::feed_of(&term.url));
            shared.insert_page(&mut ctx, &term.url, &term.incidents, n, &root)?;
            "term.html"
        }
        Page::Alias(owner, n) => return Ok(alias::page(site, owner, n)),
        Page::Search => "search.html",
        Page::Stats => {
            ctx.insert("charts", &shared.stats().all(&root));
            "stats.html"
        }
        Page::Timeline => {
            ctx.insert("years", &timeline::index(site));
            "timeline.html"
        }
        Page::TimelineYear(y, n) => {
            let year = &site.terms(Taxonomy::Year)[y];
            let pager = Pager::new(
                &timeline_url(site, y),
                year.incidents.len(),
                page_size(site),
                n,
            );
            let incidents = pager.slice(&year.incidents);
            ctx.insert("year", &year.name);
            ctx.insert("years", &timeline::index(site));
            ctx.insert("months", &timeline::months(site, &shared.cards, incidents));
            ctx.insert("pager", &pager);
            "timeline_year.html"
        }
        Page::NotFound => {
            let style = shared
                .theme
                .statics
                .iter()
                .find(|(path, _)| path == Path::new("style.css"));
            let style = style.map_or(Default::default(), |(_, bytes)| {
                String::from_utf8_lossy(bytes)
            });
            ctx.insert("stylesheet", &style);
            "404.html"
        }
        Page::Feed => {
            let latest: Vec<usize> = (0..site.incidents.len().min(FEED_ENTRIES)).collect();
            insert_feed(shared, &mut ctx, &latest, "", "");
            "feed.xml"
        }
        Page::TermFeed(t, i) => {
            let term = &site.terms(t)[i];
            let latest = &term.incidents[..term.incidents.len().min(TERM_FEED_ENTRIES)];
            insert_feed(shared, &mut ctx, latest, &term.url, &term.name);
            "feed.xml"
        }
        Page::Sitemap => {
            let urls: Vec<String> = pages(site)
                .into_iter()
                .filter(|p| p.is_html_page())
                .map(|p| absolute(&site.config.site.base_url, &p.url(site)))
                .collect();
            ctx.insert("urls", &urls);
            "sitemap.xml"
        }
    };
    let mut html = shared
        .theme
        .tera
        .render(template, &ctx)
        .map_err(|e| shared.theme.error(&e))?;
    if template.ends_with(".html") && site.config.build.links == LinkStyle::Files {
        html = urls::name_index_files(&html).into_owned();
    }
    Ok(OutputFile {
        path: file_path(&url),
        bytes: html.into_bytes(),
    })
}

/// What feed.xml shows: the `latest` incidents, newest first, of the page
/// at `url` (the home page: ""), titled `name` beside the site's title.
fn insert_feed(shared: &Shared<'_>, ctx: &mut Context, latest: &[usize], url: &str, name: &str) {
    let site = &*shared.site;
    let base = &site.config.site.base_url;
    ctx.insert_value("incidents", shared.card_values(latest));
    ctx.insert("feed_url", &absolute(base, &urls::feed_of(url)));
    ctx.insert("home_url", &absolute(base, ""));
    ctx.insert("page_url", &absolute(base, url));
    ctx.insert("feed_name", name);
    let newest = latest.first().map(|&i| &site.incidents[i]);
    ctx.insert(
        "updated",
        &newest.map_or_else(
            || "1970-01-01".to_string(),
            |i| i.date.first_day().to_string(),
        ),
    );
}

/// 404.html is served at any depth, so relative links cannot work there:
/// it links from the root of the site's path on its server (`/kb/` for a
/// `base_url` of `https://example.org/kb/`), never from another origin.
fn not_found_root(site: &Site) -> String {
    urls::server_path(&site.config.site.base_url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_is_rendered_once() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic");
        let config = crate::config::Config::load(&root).unwrap();
        let theme = theme::load(&root, &config.build.theme).unwrap();
        let site = crate::build::load(&root, config, false).ok().unwrap().site;
        let renderer = Renderer::new(Arc::new(site), Arc::new(theme), crate::build::extras());
        let extras = renderer.shared.extras.len();
        assert_eq!(
            renderer.by_path.len() + extras,
            renderer.jobs.len(),
            "two jobs, one path"
        );
        let files = renderer.all().unwrap();
        let mut paths: Vec<&Path> = files.iter().map(|f| f.path.as_path()).collect();
        let count = paths.len();
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), count, "a file written twice");
        assert!(
            count > renderer.jobs.len(),
            "pages, static files, the export and the search index"
        );
    }

    #[test]
    fn an_extra_hands_on_no_file_once_keeping_one_failed() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic");
        let config = crate::config::Config::load(&root).unwrap();
        let site = crate::build::load(&root, config, false).ok().unwrap().site;
        let extra = Extra::new("x", |_: &Site, sink: &Sink| {
            for n in 0..4 {
                sink(OutputFile {
                    path: format!("x/{n}").into(),
                    bytes: vec![n],
                });
            }
            Ok(())
        });
        let offered = Mutex::new(Vec::new());
        let keep = |file: OutputFile| {
            lock(&offered).push(file.bytes[0]);
            match file.bytes[0] {
                0 => Ok(None),
                2 => Err("disk full"),
                _ => Ok(Some(file)),
            }
        };
        assert!(matches!(
            extra.each(&site, &keep),
            Err(Stop::Keep("disk full"))
        ));
        assert_eq!(
            *lock(&offered),
            [0, 1, 2],
            "nothing offered after the failure"
        );

        let kept = extra.each(&site, &|file| {
            Ok::<_, ()>(Some(file).filter(|f| f.bytes[0] % 2 == 1))
        });
        let kept: Vec<u8> = kept.ok().unwrap().iter().map(|f| f.bytes[0]).collect();
        assert_eq!(kept, [1, 3], "what keeping gives back is collected");
        assert_eq!(extra.files(&site).unwrap().len(), 4);
    }
}
