//! The site stage: the whole knowledge base as one value. Slug maps,
//! taxonomies, advice back-links, related incidents, previous/next, and the
//! check that every reference resolves. Pure: no I/O.

mod related;

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::config::Config;
use crate::content::{Advice, Content, Incident, InternalLink, Page, Section};
use crate::diagnostic::Diagnostic;
use crate::{slug, urls};

/// How many related incidents an incident page shows.
pub const MAX_RELATED: usize = 5;

/// One term of a taxonomy (a category, a company, a year or a tag) and its
/// incidents, newest first.
#[derive(Debug, Clone)]
pub struct Term {
    pub slug: String,
    /// The term's page, from [`crate::urls`].
    pub url: String,
    pub name: String,
    pub description: String,
    pub incidents: Vec<usize>,
}

/// An incident's links to the rest of the site, by index.
#[derive(Debug, Clone, Default)]
pub struct Links {
    pub advice: Vec<usize>,
    pub related: Vec<usize>,
    /// The next older incident.
    pub older: Option<usize>,
    /// The next newer incident.
    pub newer: Option<usize>,
    pub category: usize,
    pub company: usize,
    pub year: usize,
    pub tags: Vec<usize>,
}

/// The kinds of taxonomy, each with its own list and term pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taxonomy {
    Category,
    Company,
    Year,
    Tag,
}

impl Taxonomy {
    pub const ALL: [Taxonomy; 4] = [
        Taxonomy::Category,
        Taxonomy::Company,
        Taxonomy::Year,
        Taxonomy::Tag,
    ];

    /// The URL directory of the taxonomy's pages.
    pub fn dir(self) -> &'static str {
        match self {
            Taxonomy::Category => "categories",
            Taxonomy::Company => "companies",
            Taxonomy::Year => "years",
            Taxonomy::Tag => "tags",
        }
    }

    /// Singular and plural names for headings.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Taxonomy::Category => ("Category", "Categories"),
            Taxonomy::Company => ("Company", "Companies"),
            Taxonomy::Year => ("Year", "Years"),
            Taxonomy::Tag => ("Tag", "Tags"),
        }
    }
}

#[derive(Debug)]
pub struct Site {
    pub config: Config,
    /// Newest first.
    pub incidents: Vec<Arc<Incident>>,
    /// By title.
    pub advice: Vec<Advice>,
    pub pages: Vec<Page>,
    pub links: Vec<Links>,
    /// Each document's page, by index, from [`crate::urls`]: set here
    /// once, read by every stage that links to it.
    pub incident_urls: Vec<String>,
    pub advice_urls: Vec<String>,
    pub page_urls: Vec<String>,
    /// For each advice page, the incidents citing it, newest first.
    pub cited_by: Vec<Vec<usize>>,
    pub categories: Vec<Term>,
    pub companies: Vec<Term>,
    pub years: Vec<Term>,
    pub tags: Vec<Term>,
}

impl Site {
    pub fn terms(&self, taxonomy: Taxonomy) -> &[Term] {
        match taxonomy {
            Taxonomy::Category => &self.categories,
            Taxonomy::Company => &self.companies,
            Taxonomy::Year => &self.years,
            Taxonomy::Tag => &self.tags,
        }
    }
}

/// Page slugs that would collide with the site's own sections.
const RESERVED_PAGE_SLUGS: &[&str] = &[
    "incidents",
    "advice",
    "categories",
    "companies",
    "years",
    "tags",
    "search",
    "stats",
    "timeline",
    "static",
    "404",
    "feed",
    "sitemap",
];

/// Links the content into a site, reporting every reference that does not
/// resolve. The site is returned even with errors, for `check` to finish.
pub fn build(config: Config, content: Content) -> (Site, Vec<Diagnostic>) {
    let Content {
        mut incidents,
        mut advice,
        mut pages,
        left_out,
    } = content;
    incidents.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.slug.cmp(&b.slug)));
    advice.sort_by(|a, b| {
        a.title
            .to_lowercase()
            .cmp(&b.title.to_lowercase())
            .then_with(|| a.slug.cmp(&b.slug))
    });
    pages.sort_by(|a, b| a.slug.cmp(&b.slug));

    let incident_index: FxHashMap<&str, usize> = incidents
        .iter()
        .enumerate()
        .map(|(i, x)| (x.slug.as_str(), i))
        .collect();
    let advice_index: FxHashMap<&str, usize> = advice
        .iter()
        .enumerate()
        .map(|(i, x)| (x.slug.as_str(), i))
        .collect();
    let page_index: FxHashMap<&str, usize> = pages
        .iter()
        .enumerate()
        .map(|(i, x)| (x.slug.as_str(), i))
        .collect();

    let mut diagnostics = Vec::new();
    for page in &pages {
        if RESERVED_PAGE_SLUGS.contains(&page.slug.as_str()) {
            diagnostics.push(
                Diagnostic::error(
                    &page.path,
                    crate::diagnostic::Pos::START,
                    format!(
                        "the page slug `{}` is reserved for the site's own pages",
                        page.slug
                    ),
                )
                .with_hint("rename the file"),
            );
        }
    }

    let resolver = Resolver {
        incidents: &incidents,
        advice: &advice,
        pages: &pages,
        incident_index: &incident_index,
        advice_index: &advice_index,
        page_index: &page_index,
        left_out: &left_out,
    };
    for (path, body) in incidents
        .iter()
        .map(|i| (&i.path, &i.body))
        .chain(advice.iter().map(|a| (&a.path, &a.body)))
        .chain(pages.iter().map(|p| (&p.path, &p.body)))
    {
        for link in &body.links {
            if let Some(d) = resolver.check_link(path, link) {
                diagnostics.push(d);
            }
        }
    }

    let mut links: Vec<Links> = vec![Links::default(); incidents.len()];
    let mut cited_by = vec![Vec::new(); advice.len()];
    for (i, incident) in incidents.iter().enumerate() {
        for r in &incident.advice {
            match advice_index.get(r.slug.as_str()) {
                Some(&a) => {
                    if !links[i].advice.contains(&a) {
                        links[i].advice.push(a);
                        cited_by[a].push(i);
                    }
                }
                None if left_out.contains(&(Section::Advice, r.slug.clone())) => {}
                None => diagnostics.push(
                    Diagnostic::error(
                        &incident.path,
                        r.pos,
                        format!("no advice page `{}`", r.slug),
                    )
                    .with_optional_hint(suggest_slug(
                        &r.slug,
                        known_slugs(&advice_index, &left_out, Section::Advice),
                        "content/advice/",
                    )),
                ),
            }
        }
        for r in &incident.related {
            match incident_index.get(r.slug.as_str()) {
                Some(&j) if j == i => diagnostics.push(Diagnostic::error(
                    &incident.path,
                    r.pos,
                    "an incident cannot be related to itself",
                )),
                Some(&j) => {
                    if !links[i].related.contains(&j) {
                        links[i].related.push(j);
                    }
                }
                None if left_out.contains(&(Section::Incidents, r.slug.clone())) => {}
                None => diagnostics.push(
                    Diagnostic::error(&incident.path, r.pos, format!("no incident `{}`", r.slug))
                        .with_optional_hint(suggest_slug(
                            &r.slug,
                            known_slugs(&incident_index, &left_out, Section::Incidents),
                            "content/incidents/",
                        )),
                ),
            }
        }
        links[i].older = (i + 1 < incidents.len()).then_some(i + 1);
        links[i].newer = i.checked_sub(1);
    }

    let categories = category_terms(&config, &incidents, &mut links);
    let mut companies = group_terms(
        &incidents,
        &mut links,
        |i| slug_or(&i.company, "unknown"),
        |i| i.company.clone(),
        |l, t| l.company = t,
    );
    companies.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then_with(|| a.slug.cmp(&b.slug))
    });
    reindex(&companies, &mut links, |l| &mut l.company);
    // Incidents are newest first, so years come out newest first.
    let years = group_terms(
        &incidents,
        &mut links,
        |i| i.date.year.to_string(),
        |i| i.date.year.to_string(),
        |l, t| l.year = t,
    );
    let tags = tag_terms(&incidents, &mut links);
    related::fill(&incidents, &mut links, &categories, &companies, &tags);
    let [categories, companies, years, tags] = [
        (Taxonomy::Category, categories),
        (Taxonomy::Company, companies),
        (Taxonomy::Year, years),
        (Taxonomy::Tag, tags),
    ]
    .map(|(taxonomy, mut terms)| {
        for term in &mut terms {
            term.url = urls::term(taxonomy.dir(), &term.slug);
        }
        terms
    });

    let incident_urls = incidents.iter().map(|i| urls::incident(&i.slug)).collect();
    let advice_urls = advice.iter().map(|a| urls::advice(&a.slug)).collect();
    let page_urls = pages.iter().map(|p| urls::page(&p.slug)).collect();
    (
        Site {
            config,
            incidents,
            advice,
            pages,
            links,
            incident_urls,
            advice_urls,
            page_urls,
            cited_by,
            categories,
            companies,
            years,
            tags,
        },
        diagnostics,
    )
}

fn slug_or(text: &str, fallback: &str) -> String {
    let s = slug::slugify(text);
    if s.is_empty() {
        fallback.to_string()
    } else {
        s
    }
}

/// Every slug of a section that has a file, built or not.
fn known_slugs<'a>(
    index: &'a FxHashMap<&'a str, usize>,
    left_out: &'a std::collections::HashSet<(Section, String)>,
    section: Section,
) -> impl Iterator<Item = &'a str> {
    index.keys().copied().chain(
        left_out
            .iter()
            .filter(move |(s, _)| *s == section)
            .map(|(_, slug)| slug.as_str()),
    )
}

fn suggest_slug<'a>(slug: &str, known: impl Iterator<Item = &'a str>, dir: &str) -> Option<String> {
    Some(match slug::closest(slug, known) {
        Some(best) => format!("did you mean `{best}`?"),
        None => format!("the slug is the file name in `{dir}` without `.md`"),
    })
}

struct Resolver<'a> {
    incidents: &'a [Arc<Incident>],
    advice: &'a [Advice],
    pages: &'a [Page],
    incident_index: &'a FxHashMap<&'a str, usize>,
    advice_index: &'a FxHashMap<&'a str, usize>,
    page_index: &'a FxHashMap<&'a str, usize>,
    left_out: &'a std::collections::HashSet<(Section, String)>,
}

impl Resolver<'_> {
    /// An error for an `@/` link whose target or anchor does not exist.
    fn check_link(&self, path: &std::path::Path, link: &InternalLink) -> Option<Diagnostic> {
        let (index, dir) = match link.section {
            Section::Incidents => (self.incident_index, "incidents/"),
            Section::Advice => (self.advice_index, "advice/"),
            Section::Pages => (self.page_index, ""),
        };
        let Some(&target) = index.get(link.slug.as_str()) else {
            if self.left_out.contains(&(link.section, link.slug.clone())) {
                return Some(Diagnostic::warning(
                    path,
                    link.pos,
                    format!(
                        "link to `{dir}{}.md`, which is a draft or has errors and is not built",
                        link.slug
                    ),
                ));
            }
            return Some(
                Diagnostic::error(
                    path,
                    link.pos,
                    format!("broken internal link: no `{dir}{}.md`", link.slug),
                )
                .with_optional_hint(suggest_slug(
                    &link.slug,
                    known_slugs(index, self.left_out, link.section),
                    &format!("content/{dir}"),
                )),
            );
        };
        let anchor = link.anchor.as_deref()?;
        let known = match link.section {
            Section::Incidents => &self.incidents[target].body.anchors,
            Section::Advice => &self.advice[target].body.anchors,
            Section::Pages => &self.pages[target].body.anchors,
        };
        if known.iter().any(|a| a == anchor) {
            return None;
        }
        let names: Vec<&str> = known.iter().map(String::as_str).collect();
        let hint = if names.is_empty() {
            "that page has no headings to link to".to_string()
        } else {
            crate::slug::suggest(anchor, &names)
        };
        Some(
            Diagnostic::error(
                path,
                link.pos,
                format!(
                    "broken internal link: `{dir}{}.md` has no heading `#{anchor}`",
                    link.slug
                ),
            )
            .with_hint(hint),
        )
    }
}

fn category_terms(config: &Config, incidents: &[Arc<Incident>], links: &mut [Links]) -> Vec<Term> {
    let mut terms: Vec<Term> = config
        .categories
        .iter()
        .map(|(key, c)| Term {
            slug: key.clone(),
            url: String::new(),
            name: c.name.clone(),
            description: c.description.clone(),
            incidents: Vec::new(),
        })
        .collect();
    let index: FxHashMap<&str, usize> = config
        .categories
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    for (i, incident) in incidents.iter().enumerate() {
        // Content validation guarantees the key exists.
        if let Some(&t) = index.get(incident.category.as_str()) {
            terms[t].incidents.push(i);
            links[i].category = t;
        }
    }
    terms
}

/// Groups incidents by a key, in order of first appearance (newest first).
fn group_terms(
    incidents: &[Arc<Incident>],
    links: &mut [Links],
    key: impl Fn(&Incident) -> String,
    name: impl Fn(&Incident) -> String,
    set: impl Fn(&mut Links, usize),
) -> Vec<Term> {
    let mut terms: Vec<Term> = Vec::new();
    let mut index: FxHashMap<String, usize> = FxHashMap::default();
    for (i, incident) in incidents.iter().enumerate() {
        let k = key(incident);
        let t = *index.entry(k.clone()).or_insert_with(|| {
            terms.push(Term {
                slug: k,
                url: String::new(),
                name: name(incident),
                description: String::new(),
                incidents: Vec::new(),
            });
            terms.len() - 1
        });
        terms[t].incidents.push(i);
        set(&mut links[i], t);
    }
    terms
}

fn tag_terms(incidents: &[Arc<Incident>], links: &mut [Links]) -> Vec<Term> {
    // Hashed, then sorted once: a site has far fewer tags than tag uses.
    let mut by_tag: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (i, incident) in incidents.iter().enumerate() {
        for tag in &incident.tags {
            let list = by_tag.entry(tag).or_default();
            if list.last() != Some(&i) {
                list.push(i);
            }
        }
    }
    let mut by_tag: Vec<(&str, Vec<usize>)> = by_tag.into_iter().collect();
    by_tag.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let terms: Vec<Term> = by_tag
        .into_iter()
        .map(|(tag, incidents)| Term {
            slug: tag.to_string(),
            url: String::new(),
            name: tag.to_string(),
            description: String::new(),
            incidents,
        })
        .collect();
    for (t, term) in terms.iter().enumerate() {
        for &i in &term.incidents {
            links[i].tags.push(t);
        }
    }
    terms
}

/// Points links at terms again after the term list was reordered.
fn reindex(terms: &[Term], links: &mut [Links], field: impl Fn(&mut Links) -> &mut usize) {
    for (t, term) in terms.iter().enumerate() {
        for &i in &term.incidents {
            *field(&mut links[i]) = t;
        }
    }
}
