//! What the site's charts show, counted once per build from the site's
//! taxonomies and back-links: the home page draws two of them, `/stats/`
//! all. Counting is linear in the incidents; drawing depends only on the
//! number of bars.

use std::collections::HashMap;

use crate::render::charts::{self, Bar, Column, Figure, Meta, PALETTE, Point, Series, Spread};
use crate::site::{Site, Taxonomy, Term};

/// How many bars the "top" charts show.
const TOP_ADVICE: usize = 10;
const TOP_TERMS: usize = 15;

/// A chart counting incidents by `subject`.
const fn incidents_by(id: &'static str, title: &'static str, subject: &'static str) -> Meta {
    Meta {
        id,
        title,
        subject,
        value: "Incidents",
    }
}

const YEARS: Meta = incidents_by("chart-years", "Incidents per year, by category", "Year");
const CATEGORIES: Meta = incidents_by("chart-categories", "Incidents per category", "Category");
const DURATIONS: Meta = Meta {
    value: "Incidents with a duration",
    ..incidents_by(
        "chart-durations",
        "How long incidents lasted, by category",
        "Category",
    )
};
const ADVICE: Meta = Meta {
    value: "Citing incidents",
    ..incidents_by("chart-advice", "Most cited advice", "Advice")
};
const TAGS: Meta = incidents_by("chart-tags", "Top tags", "Tag");
const COMPANIES: Meta = incidents_by("chart-companies", "Top companies", "Company");
const TECHNOLOGIES: Meta = incidents_by("chart-technologies", "Top technologies", "Technology");
const IMPACT_KINDS: Meta = incidents_by(
    "chart-impact-kinds",
    "Incidents per impact kind",
    "Impact kind",
);
const NEAR_MISSES: Meta = incidents_by(
    "chart-near-misses",
    "Near misses and incidents that did harm",
    "Near miss",
);

/// The bar chart of a taxonomy's largest terms and how many it shows; none
/// for the category and the year, which the first two charts draw.
fn term_chart(taxonomy: Taxonomy) -> Option<(&'static Meta, usize)> {
    match taxonomy {
        Taxonomy::Category | Taxonomy::Year => None,
        Taxonomy::Company => Some((&COMPANIES, TOP_TERMS)),
        Taxonomy::Tag => Some((&TAGS, TOP_TERMS)),
        Taxonomy::Technology => Some((&TECHNOLOGIES, TOP_TERMS)),
        Taxonomy::ImpactKind => Some((&IMPACT_KINDS, usize::MAX)),
        Taxonomy::NearMiss => Some((&NEAR_MISSES, usize::MAX)),
    }
}

/// A category's colour: stable for as long as the configuration lists it
/// at the same place.
pub fn category_colour(position: usize) -> usize {
    position % PALETTE
}

/// The counts behind every chart.
pub struct Stats {
    categories: Vec<Series>,
    years: Vec<Column>,
    per_category: Vec<Bar>,
    durations: Vec<Spread>,
    advice: Vec<Bar>,
    /// Each [`term_chart`] with its bars, in [`Taxonomy::ALL`]'s order.
    terms: Vec<(&'static Meta, Vec<Bar>)>,
}

impl Stats {
    pub fn of(site: &Site) -> Stats {
        let categories: Vec<Series> = site
            .terms(Taxonomy::Category)
            .iter()
            .enumerate()
            .map(|(c, term)| Series {
                name: term.name.clone(),
                url: term.url.clone(),
                colour: category_colour(c),
            })
            .collect();
        let per_category = site
            .terms(Taxonomy::Category)
            .iter()
            .zip(&categories)
            .map(|(term, series)| Bar {
                label: term.name.clone(),
                value: term.incidents.len(),
                url: series.url.clone(),
                colour: Some(series.colour),
            })
            .collect();
        let by_citations = site
            .advice
            .iter()
            .zip(&site.cited_by)
            .zip(&site.advice_urls)
            .map(|((a, cited), url)| Bar {
                label: a.title.clone(),
                value: cited.len(),
                url: url.clone(),
                colour: None,
            });
        Stats {
            years: year_columns(site),
            durations: duration_rows(site, &categories),
            categories,
            per_category,
            advice: top(by_citations, TOP_ADVICE),
            terms: Taxonomy::ALL
                .into_iter()
                .filter_map(|t| {
                    let (meta, n) = term_chart(t)?;
                    Some((meta, top(term_bars(site, t), n)))
                })
                .collect(),
        }
    }

    /// The two charts of the home page; none for a site without incidents.
    pub fn summary(&self, root: &str) -> Vec<Figure> {
        if self.years.is_empty() {
            return Vec::new();
        }
        vec![
            charts::stacked(&YEARS, &self.categories, &self.years, root),
            charts::bars(&CATEGORIES, &self.per_category, root),
        ]
    }

    /// Every chart with something to show, for `/stats/`.
    pub fn all(&self, root: &str) -> Vec<Figure> {
        let mut figures = self.summary(root);
        if !self.durations.is_empty() {
            figures.push(charts::spread(&DURATIONS, &self.durations, root));
        }
        // A taxonomy's chart of one bar (every incident did harm) compares
        // nothing.
        let terms = self
            .terms
            .iter()
            .filter(|(_, bars)| bars.len() > 1)
            .map(|(meta, bars)| (*meta, bars));
        for (meta, bars) in std::iter::once((&ADVICE, &self.advice)).chain(terms) {
            if !bars.is_empty() {
                figures.push(charts::bars(meta, bars, root));
            }
        }
        figures
    }
}

/// One column per year from the oldest to the newest, years without an
/// incident included, so the axis keeps time.
fn year_columns(site: &Site) -> Vec<Column> {
    let by_year: HashMap<&str, &Term> = site
        .terms(Taxonomy::Year)
        .iter()
        .map(|t| (t.slug.as_str(), t))
        .collect();
    let (Some(newest), Some(oldest)) = (site.incidents.first(), site.incidents.last()) else {
        return Vec::new();
    };
    (oldest.date.year..=newest.date.year)
        .map(|year| {
            let label = year.to_string();
            let term = by_year.get(label.as_str());
            let mut values = vec![0; site.terms(Taxonomy::Category).len()];
            for &i in term.map_or(&[][..], |t| &t.incidents) {
                values[site.links[i].category] += 1;
            }
            Column {
                url: term.map(|t| t.url.clone()),
                label,
                values,
            }
        })
        .collect()
}

/// Each category's incidents that give a duration, shortest first;
/// categories without any are left out.
fn duration_rows(site: &Site, categories: &[Series]) -> Vec<Spread> {
    site.terms(Taxonomy::Category)
        .iter()
        .zip(categories)
        .filter_map(|(term, series)| {
            let mut points: Vec<Point> = term
                .incidents
                .iter()
                .filter_map(|&i| {
                    let incident = &site.incidents[i];
                    incident.duration.map(|minutes| Point {
                        minutes,
                        label: format!("{}: {}", incident.company, incident.title),
                        url: site.incident_urls[i].clone(),
                    })
                })
                .collect();
            points.sort_by_key(|p| p.minutes);
            (!points.is_empty()).then(|| Spread {
                label: term.name.clone(),
                url: series.url.clone(),
                colour: series.colour,
                points,
            })
        })
        .collect()
}

fn term_bars(site: &Site, taxonomy: Taxonomy) -> impl Iterator<Item = Bar> + '_ {
    site.terms(taxonomy).iter().map(move |t| Bar {
        label: t.name.clone(),
        value: t.incidents.len(),
        url: t.url.clone(),
        colour: None,
    })
}

/// The `n` largest non-zero bars, ties kept in their given order.
fn top(bars: impl Iterator<Item = Bar>, n: usize) -> Vec<Bar> {
    let mut bars: Vec<Bar> = bars.filter(|b| b.value > 0).collect();
    bars.sort_by_key(|b| std::cmp::Reverse(b.value));
    bars.truncate(n);
    bars
}
