//! The site stage: the whole knowledge base as one value. Slug maps,
//! taxonomies, advice back-links, related incidents, previous/next, and the
//! check that every reference resolves. Pure: no I/O.

mod related;
mod taxonomy;

use std::path::Path;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::config::Config;
use crate::content::{Advice, Content, Incident, InternalLink, Page, Section};
use crate::diagnostic::Diagnostic;
use crate::{slug, urls};
use taxonomy::taxonomies;
pub use taxonomy::{Taxonomy, near_miss_slug};

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

#[derive(Debug, Clone)]
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

    /// The same site with each `(i, incident)` of `edits` as incident `i`,
    /// or `None` when the site graph would not be the same: each must
    /// differ from the incident it replaces in its body alone (and in its
    /// summary, which may be the body's first paragraph), with the same
    /// links and anchors.
    pub fn with_bodies_edited(&self, edits: Vec<(usize, Arc<Incident>)>) -> Option<Site> {
        for (i, incident) in &edits {
            let old = self.incidents.get(*i)?;
            let (was, is) = (&old.body, &incident.body);
            let unedited = Incident {
                body: Arc::clone(was),
                summary: old.summary.clone(),
                ..(**incident).clone()
            };
            if unedited != **old || was.links != is.links || was.anchors != is.anchors {
                return None;
            }
        }
        // Copied only once every edit is known to leave the graph as it is.
        let mut site = self.clone();
        for (i, incident) in edits {
            site.incidents[i] = incident;
        }
        Some(site)
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

/// Incident slugs that would collide with the pages of the list of every
/// incident (`incidents/page/2/`, `incidents/table/`).
const RESERVED_INCIDENT_SLUGS: &[&str] = &["page", "table"];

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
    let pages_by_slug = pages.iter().map(|p| (p.path.as_path(), p.slug.as_str()));
    let mut diagnostics = check_reserved_slugs("page", RESERVED_PAGE_SLUGS, pages_by_slug);
    let incidents_by_slug = incidents
        .iter()
        .map(|i| (i.path.as_path(), i.slug.as_str()));
    diagnostics.extend(check_reserved_slugs(
        "incident",
        RESERVED_INCIDENT_SLUGS,
        incidents_by_slug,
    ));
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

/// A document whose slug is taken by the site's own pages: `kind` names
/// the documents ("page", "incident") in the message.
fn check_reserved_slugs<'a>(
    kind: &str,
    reserved: &[&str],
    docs: impl Iterator<Item = (&'a Path, &'a str)>,
) -> Vec<Diagnostic> {
    docs.filter(|(_, slug)| reserved.contains(slug))
        .map(|(path, slug)| {
            Diagnostic::error(
                path,
                crate::diagnostic::Pos::START,
                format!("the {kind} slug `{slug}` is reserved for the site's own pages"),
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

    #[test]
    fn a_body_edited_alone_keeps_the_site_graph_and_anything_more_does_not() {
        let site = fixture();
        let old = &site.incidents[0];
        let edited = |edit: &dyn Fn(&mut Incident, &mut crate::content::Body)| {
            let (mut incident, mut body) = ((**old).clone(), (*old.body).clone());
            edit(&mut incident, &mut body);
            incident.body = Arc::new(body);
            Arc::new(incident)
        };
        let more = edited(&|incident, body| {
            let mut texts = (*body.contents.texts().unwrap()).clone();
            texts.html.push_str("<p>More.</p>");
            texts.text.push_str("More.\n");
            body.contents = crate::content::Contents::held(texts);
            incident.summary = "Another first paragraph.".into();
        });
        let site = site
            .with_bodies_edited(vec![(0, more)])
            .expect("a body alone");
        let texts = site.incidents[0].body.contents.texts().unwrap();
        assert!(texts.text.ends_with("More.\n"));
        let old = &site.incidents[0];
        let refused = [
            ("a field", edited(&|incident, _| incident.title.push('!'))),
            (
                "an anchor",
                edited(&|_, body| body.anchors.push("new".into())),
            ),
            ("a link", edited(&|_, body| body.links.truncate(1))),
        ];
        assert_eq!(old.body.links.len(), 2, "the fixture's links");
        for (what, incident) in refused {
            assert!(
                site.with_bodies_edited(vec![(0, incident)]).is_none(),
                "{what} changed"
            );
        }
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
    fn a_page_or_an_incident_may_not_take_a_slug_of_the_sites_own() {
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
        let mut incident = (*content.incidents[0]).clone();
        incident.slug = "table".into();
        content.incidents.push(Arc::new(incident));
        let (_, diagnostics) = build(config.clone(), content);
        let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "the page slug `tags` is reserved for the site's own pages",
                "the incident slug `table` is reserved for the site's own pages"
            ]
        );
    }
}
