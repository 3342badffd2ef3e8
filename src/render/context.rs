//! The values templates see. Each incident's card is built once and shared
//! by every list that shows it (tera values are reference-counted).

use std::path::Path;
use std::sync::OnceLock;

use serde::Serialize;
use tera::Value;

use crate::content::date::format_duration;
use crate::content::markdown::Heading;
use crate::content::{Body, Incident, Source};
use crate::diagnostic::Diagnostic;
use crate::site::{Links, Site, Taxonomy};
use crate::urls;

/// A link as templates use it: `{{ root }}{{ link.url }}`.
#[derive(Serialize)]
pub struct Link<'a> {
    pub name: &'a str,
    pub url: String,
}

/// What every list shows of an incident.
#[derive(Serialize)]
struct Card<'a> {
    slug: &'a str,
    title: &'a str,
    url: String,
    company: Link<'a>,
    date: String,
    date_human: String,
    /// The first day the date could mean, for formats that need a full date.
    date_first_day: String,
    date_precision: crate::content::date::Precision,
    year: i32,
    year_url: String,
    category: Link<'a>,
    category_key: &'a str,
    /// `2d 3h`, when known.
    duration: Option<String>,
    summary: &'a str,
    root_cause: &'a str,
    tags: Vec<Link<'a>>,
    technologies: Vec<Link<'a>>,
    impact_kinds: Vec<Link<'a>>,
    /// The near misses' page, for a near miss only: every other incident
    /// did harm, which a card need not say.
    near_miss: Option<Link<'a>>,
}

fn term_link(site: &Site, taxonomy: Taxonomy, t: usize) -> Link<'_> {
    let term = &site.terms(taxonomy)[t];
    Link {
        name: &term.name,
        url: term.url.clone(),
    }
}

/// Links to each of an incident's terms of `taxonomy`.
fn term_links<'a>(site: &'a Site, taxonomy: Taxonomy, links: &Links) -> Vec<Link<'a>> {
    links
        .terms(taxonomy)
        .iter()
        .map(|&t| term_link(site, taxonomy, t))
        .collect()
}

/// Each incident's card as a template value, made the first time a page
/// needs it and shared by every later page: `build` makes them all, while
/// `serve` makes those of the pages a browser asks for.
pub struct Cards {
    values: Vec<OnceLock<Value>>,
    /// The HTML of each card, made by the first list that shows it. Its
    /// links start with [`urls::ROOT_MARK`], which each list resolves for
    /// its page: one rendering serves lists at every depth.
    html: Vec<OnceLock<String>>,
}

impl Cards {
    pub fn new(site: &Site) -> Cards {
        let count = site.incidents.len();
        Cards {
            values: (0..count).map(|_| OnceLock::new()).collect(),
            html: (0..count).map(|_| OnceLock::new()).collect(),
        }
    }

    pub fn get(&self, site: &Site, i: usize) -> Value {
        self.values[i].get_or_init(|| card(site, i)).clone()
    }

    /// Card `i`'s HTML, made by `render` for the first list that needs it.
    pub fn html<E>(&self, i: usize, render: impl FnOnce() -> Result<String, E>) -> Result<&str, E> {
        let cell = &self.html[i];
        if let Some(html) = cell.get() {
            return Ok(html);
        }
        // Two threads may race here; both render the same HTML.
        let html = render()?;
        Ok(cell.get_or_init(|| html))
    }
}

fn card(site: &Site, i: usize) -> Value {
    let incident = &site.incidents[i];
    let links = &site.links[i];
    Value::from_serializable(&Card {
        slug: &incident.slug,
        title: &incident.title,
        url: site.incident_urls[i].clone(),
        company: term_link(site, Taxonomy::Company, links.company),
        date: incident.date.iso(),
        date_human: incident.date.human(),
        date_first_day: incident.date.first_day().to_string(),
        date_precision: incident.date.precision(),
        year: incident.date.year,
        year_url: term_link(site, Taxonomy::Year, links.year).url,
        category: term_link(site, Taxonomy::Category, links.category),
        category_key: &incident.category,
        duration: incident.duration.map(format_duration),
        summary: &incident.summary,
        root_cause: &incident.root_cause,
        tags: term_links(site, Taxonomy::Tag, links),
        technologies: term_links(site, Taxonomy::Technology, links),
        impact_kinds: term_links(site, Taxonomy::ImpactKind, links),
        near_miss: incident
            .near_miss
            .then(|| term_link(site, Taxonomy::NearMiss, links.near_miss)),
    })
}

/// Everything an incident page shows beyond its card.
#[derive(Serialize)]
pub struct IncidentDetail<'a> {
    pub root_cause: &'a str,
    pub lessons: &'a [String],
    pub impact: Option<&'a str>,
    pub duration: Option<String>,
    pub sources: &'a [Source],
    pub contributing_factors: &'a [String],
    pub trigger: Option<&'a str>,
    pub detection: Option<&'a str>,
    pub resolution: Option<&'a str>,
    pub also_affected: &'a [String],
    pub draft: bool,
    pub words: usize,
    pub body: String,
    /// The body's sections for "On this page", empty when the page is short.
    pub contents: &'a [Heading],
}

/// A body needs a table of contents from this many `##` sections and this
/// many words on: below them it fits in two screens, whose headings a
/// reader sees while scrolling.
const CONTENTS_MIN_SECTIONS: usize = 3;
const CONTENTS_MIN_WORDS: usize = 600;

impl<'a> IncidentDetail<'a> {
    /// The details of `incident`, for its page, whose way to the site
    /// root is `root`.
    pub fn of(incident: &'a Incident, root: &str) -> Result<IncidentDetail<'a>, Diagnostic> {
        Ok(IncidentDetail {
            root_cause: &incident.root_cause,
            lessons: &incident.lessons,
            impact: incident.impact.as_deref(),
            duration: incident.duration.map(format_duration),
            sources: &incident.sources,
            contributing_factors: &incident.contributing_factors,
            trigger: incident.trigger.as_deref(),
            detection: incident.detection.as_deref(),
            resolution: incident.resolution.as_deref(),
            also_affected: &incident.also_affected,
            draft: incident.draft,
            words: incident.body.words,
            body: body_html(&incident.body, &incident.path, root)?,
            contents: match incident.body.outline.len() >= CONTENTS_MIN_SECTIONS
                && incident.body.words >= CONTENTS_MIN_WORDS
            {
                true => &incident.body.outline,
                false => &[],
            },
        })
    }
}

/// A document's body as its page shows it, its links resolved for a
/// page whose way to the site root is `root`.
pub fn body_html(body: &Body, path: &Path, root: &str) -> Result<String, Diagnostic> {
    Ok(urls::resolve(&body.texts(path)?.html, root).into_owned())
}

/// An advice page as lists show it.
#[derive(Serialize)]
pub struct AdviceItem<'a> {
    pub title: &'a str,
    pub url: String,
    pub summary: &'a str,
    pub cited: usize,
}

pub fn advice_items(site: &Site) -> Vec<AdviceItem<'_>> {
    site.advice
        .iter()
        .zip(&site.cited_by)
        .zip(&site.advice_urls)
        .map(|((a, cited), url)| AdviceItem {
            title: &a.title,
            url: url.clone(),
            summary: &a.summary,
            cited: cited.len(),
        })
        .collect()
}

/// A taxonomy term as index pages show it.
#[derive(Serialize)]
pub struct TermItem<'a> {
    pub name: &'a str,
    pub url: String,
    pub description: &'a str,
    pub count: usize,
}

pub fn term_items(site: &Site, taxonomy: Taxonomy) -> Vec<TermItem<'_>> {
    site.terms(taxonomy)
        .iter()
        .map(|t| TermItem {
            name: &t.name,
            url: t.url.clone(),
            description: &t.description,
            count: t.incidents.len(),
        })
        .collect()
}
