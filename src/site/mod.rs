//! The site stage: the whole knowledge base as one value. Slug maps,
//! taxonomies, advice back-links, related incidents, previous/next, and the
//! check that every reference resolves. Pure: no I/O.

mod related;

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::config::Config;
use crate::content::frontmatter::IMPACT_KINDS;
use crate::content::{Advice, Content, Incident, InternalLink, Page, Section};
use crate::diagnostic::Diagnostic;
use crate::{slug, urls};

/// How many related incidents an incident page shows.
pub const MAX_RELATED: usize = 5;

/// One term of a taxonomy (a category, a company, a technology...) and
/// its incidents, newest first.
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
    pub technologies: Vec<usize>,
    pub impact_kinds: Vec<usize>,
    pub near_miss: usize,
}

impl Links {
    /// The incident's terms of `taxonomy`, by index in [`Site::terms`].
    pub fn terms(&self, taxonomy: Taxonomy) -> &[usize] {
        match taxonomy {
            Taxonomy::Category => std::slice::from_ref(&self.category),
            Taxonomy::Company => std::slice::from_ref(&self.company),
            Taxonomy::Year => std::slice::from_ref(&self.year),
            Taxonomy::Tag => &self.tags,
            Taxonomy::Technology => &self.technologies,
            Taxonomy::ImpactKind => &self.impact_kinds,
            Taxonomy::NearMiss => std::slice::from_ref(&self.near_miss),
        }
    }
}

/// The kinds of taxonomy: every enumerable field of an incident, each
/// with its index page, term pages, links, search filters and chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taxonomy {
    Category,
    Company,
    Year,
    Tag,
    Technology,
    ImpactKind,
    /// Two terms, `yes` and `no`: a reader may look for the near misses,
    /// or leave them out.
    NearMiss,
}

impl Taxonomy {
    /// Every taxonomy: whatever walks this list gives a new field all of
    /// its surfaces.
    pub const ALL: [Taxonomy; 7] = [
        Taxonomy::Category,
        Taxonomy::Company,
        Taxonomy::Year,
        Taxonomy::Tag,
        Taxonomy::Technology,
        Taxonomy::ImpactKind,
        Taxonomy::NearMiss,
    ];

    /// The front-matter field's name: the taxonomy's key in the browser
    /// index and the search page.
    pub fn key(self) -> &'static str {
        match self {
            Taxonomy::Category => "category",
            Taxonomy::Company => "company",
            Taxonomy::Year => "year",
            Taxonomy::Tag => "tag",
            Taxonomy::Technology => "technology",
            Taxonomy::ImpactKind => "impact_kind",
            Taxonomy::NearMiss => "near_miss",
        }
    }

    /// Whether each incident has exactly one term of it.
    pub fn is_single(self) -> bool {
        matches!(
            self,
            Taxonomy::Category | Taxonomy::Company | Taxonomy::Year | Taxonomy::NearMiss
        )
    }

    /// The URL directory of the taxonomy's pages.
    pub fn dir(self) -> &'static str {
        match self {
            Taxonomy::Category => "categories",
            Taxonomy::Company => "companies",
            Taxonomy::Year => "years",
            Taxonomy::Tag => "tags",
            Taxonomy::Technology => "technologies",
            Taxonomy::ImpactKind => "impact-kinds",
            Taxonomy::NearMiss => "near-misses",
        }
    }

    /// Singular and plural names for headings.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Taxonomy::Category => ("Category", "Categories"),
            Taxonomy::Company => ("Company", "Companies"),
            Taxonomy::Year => ("Year", "Years"),
            Taxonomy::Tag => ("Tag", "Tags"),
            Taxonomy::Technology => ("Technology", "Technologies"),
            Taxonomy::ImpactKind => ("Impact kind", "Impact kinds"),
            Taxonomy::NearMiss => ("Near miss", "Near misses"),
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
    /// Each taxonomy's terms, in [`Taxonomy::ALL`]'s order: read them
    /// with [`Site::terms`].
    terms: [Vec<Term>; Taxonomy::ALL.len()],
}

impl Site {
    pub fn terms(&self, taxonomy: Taxonomy) -> &[Term] {
        &self.terms[taxonomy as usize]
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
    "technologies",
    "impact-kinds",
    "near-misses",
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
    sort_documents(&mut incidents, &mut advice, &mut pages);
    let slugs = Slugs::of(&incidents, &advice, &pages, &left_out);
    let mut diagnostics = check_page_slugs(&pages);
    diagnostics.extend(check_body_links(&slugs, &incidents, &advice, &pages));
    let (mut links, cited_by) = link_incidents(&slugs, &incidents, advice.len(), &mut diagnostics);
    let terms = taxonomies(&config, &incidents, &mut links);
    let of = |t: Taxonomy| &terms[t as usize];
    related::fill(
        &incidents,
        &mut links,
        of(Taxonomy::Category),
        of(Taxonomy::Company),
        of(Taxonomy::Tag),
    );
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
            terms,
        },
        diagnostics,
    )
}

/// Incidents newest first (then by slug), advice by title, pages by slug.
fn sort_documents(incidents: &mut [Arc<Incident>], advice: &mut [Advice], pages: &mut [Page]) {
    incidents.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.slug.cmp(&b.slug)));
    advice.sort_by(|a, b| {
        a.title
            .to_lowercase()
            .cmp(&b.title.to_lowercase())
            .then_with(|| a.slug.cmp(&b.slug))
    });
    pages.sort_by(|a, b| a.slug.cmp(&b.slug));
}

/// Every document's index by slug, and the slugs of files left out for
/// their errors (a link to one of them is not reported again).
struct Slugs<'a> {
    incidents: FxHashMap<&'a str, usize>,
    advice: FxHashMap<&'a str, usize>,
    pages: FxHashMap<&'a str, usize>,
    left_out: &'a std::collections::HashSet<(Section, String)>,
}

impl<'a> Slugs<'a> {
    fn of(
        incidents: &'a [Arc<Incident>],
        advice: &'a [Advice],
        pages: &'a [Page],
        left_out: &'a std::collections::HashSet<(Section, String)>,
    ) -> Slugs<'a> {
        fn index<'a>(slugs: impl Iterator<Item = &'a str>) -> FxHashMap<&'a str, usize> {
            slugs.enumerate().map(|(i, slug)| (slug, i)).collect()
        }
        Slugs {
            incidents: index(incidents.iter().map(|x| x.slug.as_str())),
            advice: index(advice.iter().map(|x| x.slug.as_str())),
            pages: index(pages.iter().map(|x| x.slug.as_str())),
            left_out,
        }
    }

    fn is_left_out(&self, section: Section, slug: &str) -> bool {
        self.left_out.contains(&(section, slug.to_string()))
    }
}

/// A page whose slug is one of the site's own sections.
fn check_page_slugs(pages: &[Page]) -> Vec<Diagnostic> {
    pages
        .iter()
        .filter(|page| RESERVED_PAGE_SLUGS.contains(&page.slug.as_str()))
        .map(|page| {
            Diagnostic::error(
                &page.path,
                crate::diagnostic::Pos::START,
                format!(
                    "the page slug `{}` is reserved for the site's own pages",
                    page.slug
                ),
            )
            .with_hint("rename the file")
        })
        .collect()
}

/// Every `@/` link of every body that does not resolve.
fn check_body_links(
    slugs: &Slugs,
    incidents: &[Arc<Incident>],
    advice: &[Advice],
    pages: &[Page],
) -> Vec<Diagnostic> {
    let resolver = Resolver {
        incidents,
        advice,
        pages,
        incident_index: &slugs.incidents,
        advice_index: &slugs.advice,
        page_index: &slugs.pages,
        left_out: slugs.left_out,
    };
    incidents
        .iter()
        .map(|i| (&i.path, &i.body))
        .chain(advice.iter().map(|a| (&a.path, &a.body)))
        .chain(pages.iter().map(|p| (&p.path, &p.body)))
        .flat_map(|(path, body)| body.links.iter().map(move |link| (path, link)))
        .filter_map(|(path, link)| resolver.check_link(path, link))
        .collect()
}

/// Each incident's advice and related incidents from its front matter, its
/// neighbours by date, and for each advice page the incidents citing it.
fn link_incidents(
    slugs: &Slugs,
    incidents: &[Arc<Incident>],
    advice_count: usize,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Vec<Links>, Vec<Vec<usize>>) {
    let mut links: Vec<Links> = vec![Links::default(); incidents.len()];
    let mut cited_by = vec![Vec::new(); advice_count];
    for (i, incident) in incidents.iter().enumerate() {
        for r in &incident.advice {
            match slugs.advice.get(r.slug.as_str()) {
                Some(&a) => {
                    if !links[i].advice.contains(&a) {
                        links[i].advice.push(a);
                        cited_by[a].push(i);
                    }
                }
                None if slugs.is_left_out(Section::Advice, &r.slug) => {}
                None => diagnostics.push(
                    Diagnostic::error(
                        &incident.path,
                        r.pos,
                        format!("no advice page `{}`", r.slug),
                    )
                    .with_optional_hint(suggest_slug(
                        &r.slug,
                        known_slugs(&slugs.advice, slugs.left_out, Section::Advice),
                        "content/advice/",
                    )),
                ),
            }
        }
        for r in &incident.related {
            match slugs.incidents.get(r.slug.as_str()) {
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
                None if slugs.is_left_out(Section::Incidents, &r.slug) => {}
                None => diagnostics.push(
                    Diagnostic::error(&incident.path, r.pos, format!("no incident `{}`", r.slug))
                        .with_optional_hint(suggest_slug(
                            &r.slug,
                            known_slugs(&slugs.incidents, slugs.left_out, Section::Incidents),
                            "content/incidents/",
                        )),
                ),
            }
        }
        links[i].older = (i + 1 < incidents.len()).then_some(i + 1);
        links[i].newer = i.checked_sub(1);
    }
    (links, cited_by)
}

/// The terms of every taxonomy, in [`Taxonomy::ALL`]'s order, each with
/// its URL; records each incident's terms in `links`.
fn taxonomies(
    config: &Config,
    incidents: &[Arc<Incident>],
    links: &mut [Links],
) -> [Vec<Term>; Taxonomy::ALL.len()] {
    let categories = category_terms(config, incidents, links);
    let mut companies = group_terms(
        incidents,
        links,
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
    reindex(&companies, links, |l| &mut l.company);
    // Incidents are newest first, so years come out newest first.
    let years = group_terms(
        incidents,
        links,
        |i| i.date.year.to_string(),
        |i| i.date.year.to_string(),
        |l, t| l.year = t,
    );
    let [tags, technologies, impact_kinds] =
        [Taxonomy::Tag, Taxonomy::Technology, Taxonomy::ImpactKind]
            .map(|taxonomy| list_terms(incidents, links, taxonomy));
    let mut near_misses = group_terms(
        incidents,
        links,
        |i| near_miss_slug(i.near_miss).to_string(),
        |i| near_miss_slug(i.near_miss).to_string(),
        |l, t| l.near_miss = t,
    );
    near_misses.sort_by_key(|t| t.slug != near_miss_slug(true));
    for term in &mut near_misses {
        term.description = if term.slug == near_miss_slug(true) {
            "Caught before they did harm: what nearly happened, and what stopped it."
        } else {
            "Incidents that did harm."
        }
        .into();
    }
    reindex(&near_misses, links, |l| &mut l.near_miss);
    let mut all = [
        categories,
        companies,
        years,
        tags,
        technologies,
        impact_kinds,
        near_misses,
    ];
    for (taxonomy, terms) in Taxonomy::ALL.iter().zip(&mut all) {
        for term in terms {
            term.url = urls::term(taxonomy.dir(), &term.slug);
        }
    }
    all
}

/// "Full outage" for `full-outage`.
fn impact_kind_name(kind: &str) -> String {
    let words = kind.replace('-', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// The near-miss term of an incident: its page is `near-misses/yes/`.
pub fn near_miss_slug(near_miss: bool) -> &'static str {
    if near_miss { "yes" } else { "no" }
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

/// An incident's terms of a taxonomy, `(slug, name)` each.
type TermsOf = fn(&Incident) -> Vec<(String, String)>;

/// The list of an incident's links that holds its terms of a taxonomy.
type ListOf = fn(&mut Links) -> &mut Vec<usize>;

/// An incident's terms of a taxonomy of lists, `(slug, name)` each, with
/// the list of its links they go to; `None` for a taxonomy of one term
/// per incident.
fn list_field(taxonomy: Taxonomy) -> Option<(TermsOf, ListOf)> {
    match taxonomy {
        Taxonomy::Category | Taxonomy::Company | Taxonomy::Year | Taxonomy::NearMiss => None,
        Taxonomy::Tag => Some((
            |i| i.tags.iter().map(|t| (t.clone(), t.clone())).collect(),
            |l| &mut l.tags,
        )),
        // Spellings that differ only in case or punctuation ("Node.js",
        // "node-js") share a page; `castor check` warns when they differ
        // more.
        Taxonomy::Technology => Some((
            |i| {
                let name = |t: &String| (slug::slugify(t), t.clone());
                i.technologies.iter().map(name).collect()
            },
            |l| &mut l.technologies,
        )),
        Taxonomy::ImpactKind => Some((
            |i| {
                let name = |k: &String| (k.clone(), impact_kind_name(k));
                i.impact_kind.iter().map(name).collect()
            },
            |l| &mut l.impact_kinds,
        )),
    }
}

/// Groups incidents by the values of a list field, an incident once per
/// term, each term with the name its newest incident gives it. Impact
/// kinds keep the front-matter reference's order, worst first; other
/// terms are by slug.
fn list_terms(incidents: &[Arc<Incident>], links: &mut [Links], taxonomy: Taxonomy) -> Vec<Term> {
    let Some((values, field)) = list_field(taxonomy) else {
        return Vec::new();
    };
    // Hashed, then sorted once: a site has far fewer terms than uses.
    let mut by_slug: FxHashMap<String, Term> = FxHashMap::default();
    for (i, incident) in incidents.iter().enumerate() {
        for (slug, name) in values(incident) {
            let term = by_slug.entry(slug).or_insert_with_key(|slug| Term {
                slug: slug.clone(),
                url: String::new(),
                name,
                description: String::new(),
                incidents: Vec::new(),
            });
            if term.incidents.last() != Some(&i) {
                term.incidents.push(i);
            }
        }
    }
    let mut terms: Vec<Term> = by_slug.into_values().collect();
    let rank = |t: &Term| match taxonomy {
        Taxonomy::ImpactKind => IMPACT_KINDS.iter().position(|k| *k == t.slug),
        _ => None,
    };
    terms.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.slug.cmp(&b.slug)));
    for (t, term) in terms.iter().enumerate() {
        for &i in &term.incidents {
            field(&mut links[i]).push(t);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixture site: Acme (2021-10-04, network), Evil Corp (2019-02,
    /// security), Globex (2017, database); two advice pages, one page.
    fn fixture() -> Site {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic");
        let config = Config::load(&root).unwrap();
        crate::build::load(&root, config, false).ok().unwrap().site
    }

    fn slugs(site: &Site, indices: &[usize]) -> Vec<String> {
        indices
            .iter()
            .map(|&i| site.incidents[i].slug.clone())
            .collect()
    }

    #[test]
    fn incidents_are_newest_first_with_older_and_newer_neighbours() {
        let site = fixture();
        assert_eq!(
            slugs(&site, &[0, 1, 2]),
            [
                "2021-10-04-acme-bgp",
                "2019-02-evil-corp-xss",
                "2017-globex-database-deleted"
            ]
        );
        assert_eq!((site.links[0].newer, site.links[0].older), (None, Some(1)));
        assert_eq!(
            (site.links[1].newer, site.links[1].older),
            (Some(0), Some(2))
        );
        assert_eq!((site.links[2].newer, site.links[2].older), (Some(1), None));
    }

    #[test]
    fn each_taxonomy_is_at_its_place_in_the_list() {
        for (at, taxonomy) in Taxonomy::ALL.into_iter().enumerate() {
            assert_eq!(taxonomy as usize, at, "{taxonomy:?}");
        }
    }

    #[test]
    fn taxonomies_keep_their_order_and_urls() {
        let site = fixture();
        let names =
            |t: Taxonomy| -> Vec<&str> { site.terms(t).iter().map(|t| t.name.as_str()).collect() };
        // Categories by key; years newest first; tags by name.
        assert_eq!(
            names(Taxonomy::Category),
            ["Database", "Network", "Security"]
        );
        assert_eq!(names(Taxonomy::Year), ["2021", "2019", "2017"]);
        assert_eq!(names(Taxonomy::Tag), ["backup", "bgp", "dns", "xss"]);
        assert_eq!(site.terms(Taxonomy::Tag)[1].url, "tags/bgp/");
        assert_eq!(site.incident_urls[0], "incidents/2021-10-04-acme-bgp/");
        let bgp = &site.terms(Taxonomy::Tag)[1];
        assert_eq!(slugs(&site, &bgp.incidents), ["2021-10-04-acme-bgp"]);
    }

    #[test]
    fn advice_pages_list_the_incidents_citing_them_newest_first() {
        let site = fixture();
        let restores = site
            .advice
            .iter()
            .position(|a| a.slug == "test-your-restores")
            .unwrap();
        assert_eq!(
            slugs(&site, &site.cited_by[restores]),
            ["2019-02-evil-corp-xss", "2017-globex-database-deleted"]
        );
        assert_eq!(
            site.links[0].related[0], 2,
            "Acme names Globex as related first"
        );
    }

    #[test]
    fn a_page_may_not_take_a_sections_slug() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic");
        let config = Config::load(&root).unwrap();
        let mut content = crate::content::load(
            &root,
            &crate::content::LoadOptions {
                config: &config,
                include_drafts: false,
                cache: None,
            },
        )
        .0;
        let mut page = content.pages[0].clone();
        page.slug = "tags".into();
        content.pages.push(page);
        let (_, diagnostics) = build(config.clone(), content);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert!(
            diagnostics[0]
                .message
                .contains("the page slug `tags` is reserved")
        );
    }
}
