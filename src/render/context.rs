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
use crate::site::{Links, Site, Taxonomy, Term};
use crate::urls;

/// A link as templates use it: `{{ root }}{{ link.url }}`.
#[derive(Serialize)]
pub struct Link<'a> {
    pub name: &'a str,
    pub url: String,
}

/// What every list shows of an incident. Its terms are the values
/// [`Cards`] made once for each: every card showing a term shares them.
#[derive(Serialize)]
struct Card<'a> {
    slug: &'a str,
    title: &'a str,
    url: String,
    company: Value,
    date: String,
    date_human: String,
    /// The first day the date could mean, for formats that need a full date.
    date_first_day: String,
    date_precision: crate::content::date::Precision,
    year: i32,
    year_url: String,
    category: Value,
    category_key: &'a str,
    /// `2d 3h`, when known.
    duration: Option<String>,
    summary: &'a str,
    root_cause: &'a str,
    tags: Vec<Value>,
    technologies: Vec<Value>,
    impact_kinds: Vec<Value>,
    /// The near misses' page, for a near miss only: every other incident
    /// did harm, which a card need not say.
    near_miss: Option<Value>,
}

/// Each incident's card as a template value, made the first time a page
/// needs it and shared by every later page: `build` makes them all, while
/// `serve` makes those of the pages a browser asks for.
pub struct Cards {
    values: Vec<OnceLock<Value>>,
    /// The HTML of each card, made by the first list that shows it. Its
    /// links start with [`urls::ROOT_MARK`], which each list resolves for
    /// its page: one rendering serves lists at every depth. Boxed to its
    /// length: tera renders into a buffer of the template's size, several
    /// times a card's.
    html: Vec<OnceLock<Box<str>>>,
    /// Each taxonomy's terms as links, in [`Taxonomy::ALL`]'s order.
    terms: Vec<Vec<Value>>,
}

impl Cards {
    pub fn new(site: &Site) -> Cards {
        let count = site.incidents.len();
        let link = |term: &Term| {
            Value::from_serializable(&Link {
                name: &term.name,
                url: term.url.clone(),
            })
        };
        Cards {
            values: (0..count).map(|_| OnceLock::new()).collect(),
            html: (0..count).map(|_| OnceLock::new()).collect(),
            terms: Taxonomy::ALL
                .iter()
                .map(|&taxonomy| site.terms(taxonomy).iter().map(link).collect())
                .collect(),
        }
    }

    pub fn get(&self, site: &Site, i: usize) -> Value {
        self.values[i].get_or_init(|| self.card(site, i)).clone()
    }

    /// Card `i`'s HTML, made by `render` for the first list that needs it.
    pub fn html<E>(&self, i: usize, render: impl FnOnce() -> Result<String, E>) -> Result<&str, E> {
        let cell = &self.html[i];
        if let Some(html) = cell.get() {
            return Ok(html);
        }
        // Two threads may race here; both render the same HTML.
        let html = render()?.into_boxed_str();
        Ok(cell.get_or_init(|| html))
    }

    /// The link to term `t` of `taxonomy`.
    fn term(&self, taxonomy: Taxonomy, t: usize) -> Value {
        self.terms[taxonomy as usize][t].clone()
    }

    /// The links to each of an incident's terms of `taxonomy`.
    fn terms_of(&self, taxonomy: Taxonomy, links: &Links) -> Vec<Value> {
        links
            .terms(taxonomy)
            .iter()
            .map(|&t| self.term(taxonomy, t))
            .collect()
    }

    fn card(&self, site: &Site, i: usize) -> Value {
        let incident = &site.incidents[i];
        let links = &site.links[i];
        Value::from_serializable(&Card {
            slug: &incident.slug,
            title: &incident.title,
            url: site.incident_urls[i].clone(),
            company: self.term(Taxonomy::Company, links.company),
            date: incident.date.iso(),
            date_human: incident.date.human(),
            date_first_day: incident.date.first_day().to_string(),
            date_precision: incident.date.precision(),
            year: incident.date.year,
            year_url: site.terms(Taxonomy::Year)[links.year].url.clone(),
            category: self.term(Taxonomy::Category, links.category),
            category_key: &incident.category,
            duration: incident.duration.map(format_duration),
            summary: &incident.summary,
            root_cause: &incident.root_cause,
            tags: self.terms_of(Taxonomy::Tag, links),
            technologies: self.terms_of(Taxonomy::Technology, links),
            impact_kinds: self.terms_of(Taxonomy::ImpactKind, links),
            near_miss: incident
                .near_miss
                .then(|| self.term(Taxonomy::NearMiss, links.near_miss)),
        })
    }
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
