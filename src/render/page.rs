//! The site's pages: every page castor writes, each with its URL from
//! [`crate::urls`], the lists cut into pages of `[build] page_size`.

use super::{alias, pager};
use crate::site::{Site, Taxonomy};
use crate::urls;

/// One page, rendered from a template. A list's page number counts from 1.
#[derive(Clone, Copy)]
pub(super) enum Page {
    Home,
    Incident(usize),
    /// A page of every incident.
    Incidents(usize),
    /// A page of every incident, as a table.
    IncidentTable(usize),
    /// An advice page, then the pages of the incidents citing it.
    Advice(usize, usize),
    AdviceList,
    /// A plain page of the top of `content/`.
    Plain(usize),
    /// A page of a taxonomy's terms.
    Taxonomy(Taxonomy, usize),
    /// A page of a term's incidents.
    Term(Taxonomy, usize, usize),
    /// The Atom feed of a term: "everything about Kafka".
    TermFeed(Taxonomy, usize),
    Search,
    Stats,
    /// The years of the timeline.
    Timeline,
    /// A page of one year's timeline, by the year's term.
    TimelineYear(usize, usize),
    NotFound,
    Feed,
    Sitemap,
    /// An old URL of a document, sending the reader on.
    Alias(alias::Owner, usize),
}

impl Page {
    pub(super) fn url(self, site: &Site) -> String {
        match self {
            Page::Home => String::new(),
            Page::Incident(i) => site.incident_urls[i].clone(),
            Page::Incidents(n) => urls::page_of(urls::INCIDENTS, n),
            Page::IncidentTable(n) => urls::page_of(urls::INCIDENT_TABLE, n),
            Page::Advice(a, n) => urls::page_of(&site.advice_urls[a], n),
            Page::AdviceList => urls::ADVICE.into(),
            Page::Plain(p) => site.page_urls[p].clone(),
            Page::Taxonomy(t, n) => urls::page_of(&urls::taxonomy(t.dir()), n),
            Page::Term(t, i, n) => urls::page_of(&site.terms(t)[i].url, n),
            Page::TermFeed(t, i) => urls::feed_of(&site.terms(t)[i].url),
            Page::Search => urls::SEARCH.into(),
            Page::Stats => urls::STATS.into(),
            Page::Timeline => urls::TIMELINE.into(),
            Page::TimelineYear(y, n) => urls::page_of(&timeline_url(site, y), n),
            Page::NotFound => urls::NOT_FOUND.into(),
            Page::Feed => urls::FEED.into(),
            Page::Sitemap => urls::SITEMAP.into(),
            Page::Alias(owner, n) => alias::url(site, owner, n),
        }
    }

    /// A page a reader lands on, listed in the site map.
    pub(super) fn is_html_page(self) -> bool {
        !matches!(
            self,
            Page::NotFound | Page::Feed | Page::TermFeed(..) | Page::Sitemap | Page::Alias(..)
        )
    }
}

/// Whether a taxonomy's terms have feeds of their own: a year's incidents
/// are complete once it is over.
pub(super) fn has_feeds(taxonomy: Taxonomy) -> bool {
    taxonomy != Taxonomy::Year
}

/// How many incidents a list page shows.
pub(super) fn page_size(site: &Site) -> usize {
    site.config.build.page_size.get()
}

/// How many terms a taxonomy's page lists: a term is one line, a card
/// several.
pub(super) fn terms_page_size(site: &Site) -> usize {
    page_size(site) * 10
}

/// The timeline of the year of the year term `y`.
pub(super) fn timeline_url(site: &Site, y: usize) -> String {
    urls::timeline_year(&site.terms(Taxonomy::Year)[y].slug)
}

/// Every page of a list of `len` items, `page(n)` each.
fn list_pages(len: usize, size: usize, page: impl Fn(usize) -> Page) -> impl Iterator<Item = Page> {
    (1..=pager::count(len, size)).map(page)
}

pub(super) fn pages(site: &Site) -> Vec<Page> {
    let size = page_size(site);
    let mut pages = vec![
        Page::Home,
        Page::AdviceList,
        Page::Search,
        Page::Stats,
        Page::Timeline,
        Page::NotFound,
        Page::Feed,
        Page::Sitemap,
    ];
    pages.extend(list_pages(site.incidents.len(), size, Page::Incidents));
    pages.extend(list_pages(site.incidents.len(), size, Page::IncidentTable));
    pages.extend((0..site.incidents.len()).map(Page::Incident));
    for (a, cited_by) in site.cited_by.iter().enumerate() {
        pages.extend(list_pages(cited_by.len(), size, |n| Page::Advice(a, n)));
    }
    pages.extend((0..site.pages.len()).map(Page::Plain));
    for (y, year) in site.terms(Taxonomy::Year).iter().enumerate() {
        pages.extend(list_pages(year.incidents.len(), size, |n| {
            Page::TimelineYear(y, n)
        }));
    }
    for t in Taxonomy::ALL {
        let terms = site.terms(t);
        pages.extend(list_pages(terms.len(), terms_page_size(site), |n| {
            Page::Taxonomy(t, n)
        }));
        for (i, term) in terms.iter().enumerate() {
            pages.extend(list_pages(term.incidents.len(), size, |n| {
                Page::Term(t, i, n)
            }));
        }
        if has_feeds(t) {
            pages.extend((0..site.terms(t).len()).map(|i| Page::TermFeed(t, i)));
        }
    }
    pages.extend(alias::pages(site));
    pages
}
