//! The exported document (`castor export --format json|csv`): every incident's front matter, its
//! page's absolute URL and the advice it cites, for other tools. The JSON
//! document is also the site's `/incidents.json`, written by `castor build`.
//!
//! The JSON is an object with a `version` and an `incidents` array, so
//! fields can be added without breaking readers. Dates are as written:
//! `2021-10-04`, `2021-10` or `2021`; a duration is a number of minutes. The CSV has a row per incident and a
//! column per field; a list's items are one a line inside their cell
//! (items are single lines, and a cell may hold line breaks, which
//! spreadsheets show as they are).

use serde::{Deserialize, Serialize};

use crate::content::Source;
use crate::content::frontmatter::field_names;
use crate::site::Site;
use crate::urls::absolute;

/// The version of the exported document's shape.
pub const VERSION: u32 = 1;

/// The exported document.
#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    incidents: Vec<Exported<'a>>,
}

/// An advice page an incident cites.
#[derive(Serialize)]
struct AdviceLink<'a> {
    slug: &'a str,
    title: &'a str,
    url: String,
}

/// One incident: its front matter field by field, and where it lives.
#[derive(Serialize)]
struct Exported<'a> {
    /// Stays the same through a rename that keeps the old URL as an alias
    /// (`Incident::id`): what to join exports of different days by.
    id: &'a str,
    slug: &'a str,
    /// The page's absolute URL: the site's `base_url` and its path.
    url: String,
    title: &'a str,
    company: &'a str,
    date: String,
    category: &'a str,
    root_cause: &'a str,
    lessons: &'a [String],
    /// The front matter's, or else the body's first paragraph.
    summary: &'a str,
    impact: Option<&'a str>,
    /// `duration` in minutes: `6h` and `360m` are the same length.
    duration_minutes: Option<u64>,
    tags: &'a [String],
    advice: Vec<AdviceLink<'a>>,
    related: Vec<&'a str>,
    sources: &'a [Source],
    contributing_factors: &'a [String],
    trigger: Option<&'a str>,
    detection: Option<&'a str>,
    resolution: Option<&'a str>,
    technologies: &'a [String],
    impact_kind: &'a [String],
    near_miss: bool,
    also_affected: &'a [String],
    draft: bool,
}

/// Every incident of the site, newest first.
fn exported(site: &Site) -> Vec<Exported<'_>> {
    let base = &site.config.site.base_url;
    site.incidents
        .iter()
        .zip(&site.links)
        .zip(&site.incident_urls)
        .map(|((i, links), url)| Exported {
            id: i.id(),
            slug: &i.slug,
            url: absolute(base, url),
            title: &i.title,
            company: &i.company,
            date: i.date.iso(),
            category: &i.category,
            root_cause: &i.root_cause,
            lessons: &i.lessons,
            summary: &i.summary,
            impact: i.impact.as_deref(),
            duration_minutes: i.duration,
            tags: &i.tags,
            advice: links
                .advice
                .iter()
                .map(|&a| {
                    let advice = &site.advice[a];
                    AdviceLink {
                        slug: &advice.slug,
                        title: &advice.title,
                        url: absolute(base, &site.advice_urls[a]),
                    }
                })
                .collect(),
            related: i.related.iter().map(|r| r.slug.as_str()).collect(),
            sources: &i.sources,
            contributing_factors: &i.contributing_factors,
            trigger: i.trigger.as_deref(),
            detection: i.detection.as_deref(),
            resolution: i.resolution.as_deref(),
            technologies: &i.technologies,
            impact_kind: &i.impact_kind,
            near_miss: i.near_miss,
            also_affected: &i.also_affected,
            draft: i.draft,
        })
        .collect()
}

/// The JSON document, pretty-printed, with a final newline.
pub fn json(site: &Site) -> String {
    let document = Document {
        version: VERSION,
        incidents: exported(site),
    };
    let mut text = serde_json::to_string_pretty(&document).expect("plain data serializes");
    text.push('\n');
    text
}

/// A CSV row: the JSON's fields, lists one item a line; sources by URL and
/// the cited advice as three parallel columns. (Deserialize only names the
/// columns, for the header of a site without incidents.)
#[derive(Serialize, Deserialize)]
struct Row {
    id: String,
    slug: String,
    url: String,
    title: String,
    company: String,
    date: String,
    category: String,
    root_cause: String,
    lessons: String,
    summary: String,
    impact: String,
    duration_minutes: Option<u64>,
    tags: String,
    advice: String,
    advice_titles: String,
    advice_urls: String,
    related: String,
    sources: String,
    contributing_factors: String,
    trigger: String,
    detection: String,
    resolution: String,
    technologies: String,
    impact_kind: String,
    near_miss: bool,
    also_affected: String,
    draft: bool,
}

/// How a CSV cell joins a list's items.
pub const CSV_LIST_SEPARATOR: &str = "\n";

fn lines<T: AsRef<str>>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.as_ref().to_string())
        .collect::<Vec<_>>()
        .join(CSV_LIST_SEPARATOR)
}

impl From<Exported<'_>> for Row {
    fn from(e: Exported<'_>) -> Row {
        let text = |v: Option<&str>| v.unwrap_or_default().to_string();
        Row {
            id: e.id.into(),
            slug: e.slug.into(),
            url: e.url,
            title: e.title.into(),
            company: e.company.into(),
            date: e.date,
            category: e.category.into(),
            root_cause: e.root_cause.into(),
            lessons: lines(e.lessons),
            summary: e.summary.into(),
            impact: text(e.impact),
            duration_minutes: e.duration_minutes,
            tags: lines(e.tags),
            advice: lines(e.advice.iter().map(|a| a.slug)),
            advice_titles: lines(e.advice.iter().map(|a| a.title)),
            advice_urls: lines(e.advice.iter().map(|a| &a.url)),
            related: lines(e.related),
            sources: lines(e.sources.iter().map(|s| &s.url)),
            contributing_factors: lines(e.contributing_factors),
            trigger: text(e.trigger),
            detection: text(e.detection),
            resolution: text(e.resolution),
            technologies: lines(e.technologies),
            impact_kind: lines(e.impact_kind),
            near_miss: e.near_miss,
            also_affected: lines(e.also_affected),
            draft: e.draft,
        }
    }
}

/// The CSV text: a header line, then a row per incident, newest first.
pub fn csv(site: &Site) -> Result<String, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    writer.write_record(field_names::<Row>())?;
    for incident in exported(site) {
        writer.serialize(Row::from(incident))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8(bytes).expect("the CSV of UTF-8 text is UTF-8"))
}
