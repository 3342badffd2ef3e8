//! The render stage: the site value through tera templates into files, in
//! parallel. Every link between pages is relative, so the output works from
//! any sub-path and from a plain file server.

mod charts;
mod citation;
mod context;
mod stats;
pub mod theme;
mod timeline;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Value};

use crate::diagnostic::Diagnostic;
use crate::site::{Site, Taxonomy};
use context::{Cards, Link, advice_items, term_items, term_url};

pub use context::{absolute, advice_url, incident_url};
pub use theme::Theme;

/// A file of the finished site, by path relative to the output directory.
#[derive(Debug)]
pub struct OutputFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// How many incidents the feed and the home page carry.
const FEED_ENTRIES: usize = 50;
const HOME_LATEST: usize = 10;

/// One page to render.
#[derive(Clone, Copy)]
enum Job {
    Home,
    Incident(usize),
    Incidents,
    Advice(usize),
    AdviceList,
    Page(usize),
    Taxonomy(Taxonomy),
    Term(Taxonomy, usize),
    Search,
    Stats,
    Timeline,
    NotFound,
    Feed,
    Sitemap,
}

impl Job {
    /// The page's URL path relative to the site root ("" for the home page).
    fn url(self, site: &Site) -> String {
        match self {
            Job::Home => String::new(),
            Job::Incident(i) => incident_url(&site.incidents[i].slug),
            Job::Incidents => "incidents/".into(),
            Job::Advice(a) => advice_url(&site.advice[a].slug),
            Job::AdviceList => "advice/".into(),
            Job::Page(p) => format!("{}/", site.pages[p].slug),
            Job::Taxonomy(t) => format!("{}/", t.dir()),
            Job::Term(t, i) => term_url(t, &site.terms(t)[i]),
            Job::Search => "search/".into(),
            Job::Stats => "stats/".into(),
            Job::Timeline => "timeline/".into(),
            Job::NotFound => "404.html".into(),
            Job::Feed => "feed.xml".into(),
            Job::Sitemap => "sitemap.xml".into(),
        }
    }

    fn is_html_page(self) -> bool {
        !matches!(self, Job::NotFound | Job::Feed | Job::Sitemap)
    }
}

fn jobs(site: &Site) -> Vec<Job> {
    let mut jobs = vec![
        Job::Home,
        Job::Incidents,
        Job::AdviceList,
        Job::Search,
        Job::Stats,
        Job::Timeline,
        Job::NotFound,
        Job::Feed,
        Job::Sitemap,
    ];
    jobs.extend((0..site.incidents.len()).map(Job::Incident));
    jobs.extend((0..site.advice.len()).map(Job::Advice));
    jobs.extend((0..site.pages.len()).map(Job::Page));
    for t in Taxonomy::ALL {
        jobs.push(Job::Taxonomy(t));
        jobs.extend((0..site.terms(t).len()).map(|i| Job::Term(t, i)));
    }
    jobs
}

/// The output path of a URL: directories get an `index.html`.
fn file_path(url: &str) -> PathBuf {
    if url.is_empty() || url.ends_with('/') {
        Path::new(url).join("index.html")
    } else {
        PathBuf::from(url)
    }
}

/// `../` once per directory level of `url`; `./` at the top.
fn root_of(url: &str) -> String {
    let depth = url.matches('/').count();
    if depth == 0 {
        "./".into()
    } else {
        "../".repeat(depth)
    }
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
}

/// State shared by every page's render.
struct Shared {
    site: Arc<Site>,
    theme: Arc<Theme>,
    cards: Cards,
    /// Counted when the first page with charts is rendered.
    stats: OnceLock<stats::Stats>,
    base: Context,
}

impl Shared {
    fn stats(&self) -> &stats::Stats {
        self.stats.get_or_init(|| stats::Stats::of(&self.site))
    }

    /// Puts a list of incidents in `ctx` twice: as `name`, the cards'
    /// values, for templates that want their fields, and as `{name}_cards`,
    /// the list's HTML from `card.html`. Each card's HTML is rendered once
    /// per page depth: the lists of a site repeat every incident many
    /// times (its year, category, company, tags, the related lists).
    fn insert_list(
        &self,
        ctx: &mut Context,
        name: &'static str,
        indices: &[usize],
        depth: usize,
    ) -> Result<(), Diagnostic> {
        ctx.insert_value(name, self.card_values(indices));
        let mut html = String::from("<ol class=\"cards\">\n");
        for &i in indices {
            if let Some(card) = self.cards.html(i, depth) {
                html.push_str(card);
                continue;
            }
            let card = self.render_card(i, depth)?;
            html.push_str(&card);
            self.cards.keep_html(i, depth, card);
        }
        html.push_str("</ol>\n");
        ctx.insert(format!("{name}_cards"), &html);
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

    fn render_card(&self, i: usize, depth: usize) -> Result<String, Diagnostic> {
        let mut ctx = Context::new();
        ctx.insert_value("c", self.cards.get(&self.site, i));
        ctx.insert("root", &root_of(&"/".repeat(depth)));
        self.theme
            .tera
            .render("card.html", &ctx)
            .map_err(|e| self.theme.error(&e))
    }
}

/// A site ready to render: what every page shares is computed once.
/// `castor build` renders every page from it; `castor serve` renders each
/// page when a browser asks for it, so a rebuild after an edit costs no
/// page at all.
pub struct Renderer {
    shared: Shared,
    jobs: Vec<Job>,
    /// Each job's output path.
    by_path: HashMap<PathBuf, usize>,
}

impl Renderer {
    pub fn new(site: Arc<Site>, theme: Arc<Theme>) -> Renderer {
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
                companies: site.companies.len(),
                pages: site
                    .pages
                    .iter()
                    .map(|p| Link {
                        name: &p.title,
                        url: format!("{}/", p.slug),
                    })
                    .collect(),
            },
        );
        let jobs = jobs(&site);
        let by_path = jobs
            .iter()
            .enumerate()
            .map(|(n, job)| (file_path(&job.url(&site)), n))
            .collect();
        Renderer {
            shared: Shared {
                cards: Cards::new(&site),
                stats: OnceLock::new(),
                base,
                site,
                theme,
            },
            jobs,
            by_path,
        }
    }

    pub fn site(&self) -> &Site {
        &self.shared.site
    }

    /// Every page, every static file and the export. Errors name the
    /// template and its line.
    pub fn all(&self) -> Result<Vec<OutputFile>, Diagnostic> {
        self.each(&|file| Ok::<_, std::convert::Infallible>(Some(file)))
            .map_err(|stop| match stop {
                Stop::Template(d) => d,
                Stop::Keep(never) => match never {},
            })
    }

    /// Renders every file and hands each to `keep` as soon as it is made:
    /// `keep` may write it at once (and return `None`) or give it back to
    /// be collected, so a site need not be held in memory whole.
    pub fn each<E: Send>(
        &self,
        keep: &(dyn Fn(OutputFile) -> Result<Option<OutputFile>, E> + Sync),
    ) -> Result<Vec<OutputFile>, Stop<E>> {
        let kept: Vec<Option<OutputFile>> = self
            .jobs
            .par_iter()
            .map(|&job| {
                let file = render_job(&self.shared, &self.jobs, job).map_err(Stop::Template)?;
                keep(file).map_err(Stop::Keep)
            })
            .collect::<Result<_, _>>()?;
        let mut files: Vec<OutputFile> = kept.into_iter().flatten().collect();
        let rest = static_files(self.site(), &self.shared.theme)
            .into_iter()
            .chain([crate::export::site_file(self.site())]);
        for file in rest {
            files.extend(keep(file).map_err(Stop::Keep)?);
        }
        Ok(files)
    }

    /// The file at `path` (relative to the output directory), rendered
    /// now; `None` when the site has no such file.
    pub fn file(&self, path: &Path) -> Option<Result<Vec<u8>, Diagnostic>> {
        if let Some(&n) = self.by_path.get(path) {
            return Some(render_job(&self.shared, &self.jobs, self.jobs[n]).map(|f| f.bytes));
        }
        if path == Path::new(crate::export::SITE_FILE) {
            return Some(Ok(crate::export::site_file(self.site()).bytes));
        }
        self.static_file(path).map(|f| Ok(f.bytes))
    }

    fn static_file(&self, path: &Path) -> Option<OutputFile> {
        static_files(self.site(), &self.shared.theme)
            .into_iter()
            .find(|f| f.path == path)
    }

    /// Whether the site has a file at `path`, without rendering it.
    pub fn has(&self, path: &Path) -> bool {
        self.by_path.contains_key(path)
            || path == Path::new(crate::export::SITE_FILE)
            || self.static_file(path).is_some()
    }

    /// Renders one page of each template, so a broken template is caught
    /// without rendering the whole site. The long lists (every incident,
    /// the timeline) are left out: their templates fail where they are
    /// asked for, with the error on the page.
    pub fn probe(&self) -> Result<(), Diagnostic> {
        let site = self.site();
        let mut probes: Vec<Job> = Vec::new();
        for &job in &self.jobs {
            let kind = std::mem::discriminant(&job);
            if !matches!(job, Job::Incidents | Job::Timeline | Job::Term(..))
                && !probes.iter().any(|p| std::mem::discriminant(p) == kind)
            {
                probes.push(job);
            }
        }
        // The shortest term page: any of them shows a broken template.
        let terms = Taxonomy::ALL.iter().flat_map(|&t| {
            (0..site.terms(t).len()).map(move |i| (site.terms(t)[i].incidents.len(), t, i))
        });
        if let Some((_, t, i)) = terms.min_by_key(|(len, _, _)| *len) {
            probes.push(Job::Term(t, i));
        }
        probes
            .par_iter()
            .try_for_each(|&job| render_job(&self.shared, &self.jobs, job).map(drop))
    }
}

/// Why [`Renderer::each`] stopped: a template failed, or `keep` did.
#[derive(Debug)]
pub enum Stop<E> {
    Template(Diagnostic),
    Keep(E),
}

/// Renders every page and copies every static file.
pub fn render(site: Arc<Site>, theme: Arc<Theme>) -> Result<Vec<OutputFile>, Diagnostic> {
    Renderer::new(site, theme).all()
}

fn static_files(site: &Site, theme: &Theme) -> Vec<OutputFile> {
    let mut files: Vec<OutputFile> = theme
        .statics
        .iter()
        .map(|(path, bytes)| OutputFile {
            path: path.clone(),
            bytes: bytes.clone(),
        })
        .collect();
    for (name, theme_name) in [
        ("highlight-light.css", &site.config.markdown.highlight_theme),
        (
            "highlight-dark.css",
            &site.config.markdown.highlight_theme_dark,
        ),
    ] {
        // The config stage checked the theme names.
        let css = crate::highlight::stylesheet(theme_name).unwrap_or_default();
        files.push(OutputFile {
            path: name.into(),
            bytes: css.into_bytes(),
        });
    }
    files
}

fn render_job(shared: &Shared, jobs: &[Job], job: Job) -> Result<OutputFile, Diagnostic> {
    let site = &*shared.site;
    let url = job.url(site);
    let mut ctx = shared.base.clone();
    ctx.insert(
        "root",
        &if job.is_html_page() {
            root_of(&url)
        } else {
            not_found_root(site)
        },
    );
    ctx.insert("url", &url);
    let depth = url.matches('/').count();
    let template = match job {
        Job::Home => {
            let latest: Vec<usize> = (0..site.incidents.len().min(HOME_LATEST)).collect();
            shared.insert_list(&mut ctx, "latest", &latest, depth)?;
            ctx.insert("categories", &term_items(site, Taxonomy::Category));
            ctx.insert("advice", &advice_items(site));
            ctx.insert("charts", &shared.stats().summary(&root_of(&url)));
            "index.html"
        }
        Job::Incident(i) => {
            let links = &site.links[i];
            ctx.insert_value("incident", shared.cards.get(site, i));
            ctx.insert("detail", &context::IncidentDetail::of(&site.incidents[i]));
            ctx.insert(
                "citation",
                &citation::Citation::of(site, &site.incidents[i]),
            );
            let advice: Vec<_> = advice_items(site)
                .into_iter()
                .enumerate()
                .filter(|(a, _)| links.advice.contains(a))
                .map(|(_, item)| item)
                .collect();
            ctx.insert("advice", &advice);
            shared.insert_list(&mut ctx, "related", &links.related, depth)?;
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
        Job::Incidents => {
            let all: Vec<usize> = (0..site.incidents.len()).collect();
            shared.insert_list(&mut ctx, "incidents", &all, depth)?;
            "incidents.html"
        }
        Job::Advice(a) => {
            let advice = &site.advice[a];
            ctx.insert("title", &advice.title);
            ctx.insert("summary", &advice.summary);
            ctx.insert("body", &advice.body.html);
            ctx.insert("tags", &advice.tags);
            shared.insert_list(&mut ctx, "incidents", &site.cited_by[a], depth)?;
            "advice.html"
        }
        Job::AdviceList => {
            ctx.insert("advice", &advice_items(site));
            "advice_list.html"
        }
        Job::Page(p) => {
            let page = &site.pages[p];
            ctx.insert("title", &page.title);
            ctx.insert("summary", &page.summary);
            ctx.insert("body", &page.body.html);
            "page.html"
        }
        Job::Taxonomy(t) => {
            let (singular, plural) = t.names();
            ctx.insert("singular", singular);
            ctx.insert("plural", plural);
            ctx.insert("terms", &term_items(site, t));
            "taxonomy.html"
        }
        Job::Term(t, i) => {
            let term = &site.terms(t)[i];
            let (singular, plural) = t.names();
            ctx.insert("singular", singular);
            ctx.insert("plural", plural);
            ctx.insert("taxonomy_url", &format!("{}/", t.dir()));
            ctx.insert("name", &term.name);
            ctx.insert("description", &term.description);
            shared.insert_list(&mut ctx, "incidents", &term.incidents, depth)?;
            "term.html"
        }
        Job::Search => {
            ctx.insert("categories", &term_items(site, Taxonomy::Category));
            ctx.insert("years", &term_items(site, Taxonomy::Year));
            "search.html"
        }
        Job::Stats => {
            ctx.insert("charts", &shared.stats().all(&root_of(&url)));
            "stats.html"
        }
        Job::Timeline => {
            ctx.insert("years", &timeline::years(site, &shared.cards));
            "timeline.html"
        }
        Job::NotFound => "404.html",
        Job::Feed => {
            let latest: Vec<usize> = (0..site.incidents.len().min(FEED_ENTRIES)).collect();
            ctx.insert_value("incidents", shared.card_values(&latest));
            ctx.insert(
                "feed_url",
                &absolute(&site.config.site.base_url, "feed.xml"),
            );
            ctx.insert("home_url", &absolute(&site.config.site.base_url, ""));
            ctx.insert(
                "updated",
                &site.incidents.first().map_or_else(
                    || "1970-01-01".to_string(),
                    |i| i.date.first_day().to_string(),
                ),
            );
            "feed.xml"
        }
        Job::Sitemap => {
            let urls: Vec<String> = jobs
                .iter()
                .filter(|j| j.is_html_page())
                .map(|j| absolute(&site.config.site.base_url, &j.url(site)))
                .collect();
            ctx.insert("urls", &urls);
            "sitemap.xml"
        }
    };
    let html = shared
        .theme
        .tera
        .render(template, &ctx)
        .map_err(|e| shared.theme.error(&e))?;
    Ok(OutputFile {
        path: file_path(&url),
        bytes: html.into_bytes(),
    })
}

/// 404.html is served at any depth, so relative links cannot work there:
/// it links from the site's public address instead.
fn not_found_root(site: &Site) -> String {
    let base = &site.config.site.base_url;
    if base.ends_with('/') {
        base.clone()
    } else {
        format!("{base}/")
    }
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
        let renderer = Renderer::new(Arc::new(site), Arc::new(theme));
        assert_eq!(
            renderer.by_path.len(),
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
            "pages, static files and the export"
        );
    }
}
