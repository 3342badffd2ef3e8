//! The taxonomies: every enumerable field of an incident (category,
//! company, year, tag, technology, impact kind, near miss) grouped into
//! terms, each with its incidents and its URL.

use std::hash::Hash;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::{Links, Term};
use crate::config::Config;
use crate::content::Incident;
use crate::content::frontmatter::IMPACT_KINDS;
use crate::{slug, urls};

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

/// The terms of every taxonomy, in [`Taxonomy::ALL`]'s order, each with
/// its URL; records each incident's terms in `links`.
pub(super) fn taxonomies(
    config: &Config,
    incidents: &[Arc<Incident>],
    links: &mut [Links],
) -> [Vec<Term>; Taxonomy::ALL.len()] {
    let categories = category_terms(config, incidents, links);
    let mut companies = group_terms(
        incidents,
        links,
        |i| i.company.as_str(),
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
        |i| i.date.year,
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
        |i| i.near_miss,
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

impl Term {
    /// A term with no incidents yet; its URL is set once its list is in order.
    fn new(slug: String, name: String) -> Term {
        Term {
            slug,
            url: String::new(),
            name,
            description: String::new(),
            incidents: Vec::new(),
        }
    }
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

/// Terms in the order they are found, each value of a field keyed once:
/// a site has far fewer values than uses of them, and values that differ
/// may share a term ("ACME", "Acme").
struct Grouping<V> {
    terms: Vec<Term>,
    by_slug: FxHashMap<String, usize>,
    by_value: FxHashMap<V, usize>,
}

impl<V: Hash + Eq> Grouping<V> {
    fn new() -> Grouping<V> {
        Grouping {
            terms: Vec::new(),
            by_slug: FxHashMap::default(),
            by_value: FxHashMap::default(),
        }
    }

    /// The number of `value`'s term; `named` gives its slug and name the
    /// first time the value is seen, and the term is new if the slug is.
    fn term(&mut self, value: V, named: impl FnOnce() -> (String, String)) -> usize {
        let Grouping {
            terms,
            by_slug,
            by_value,
        } = self;
        *by_value.entry(value).or_insert_with(|| {
            let (slug, name) = named();
            *by_slug.entry(slug).or_insert_with_key(|slug| {
                terms.push(Term::new(slug.clone(), name));
                terms.len() - 1
            })
        })
    }
}

/// Groups incidents by a key made from a `value` of theirs, in order of
/// first appearance (newest first).
fn group_terms<'a, V: Hash + Eq>(
    incidents: &'a [Arc<Incident>],
    links: &mut [Links],
    value: impl Fn(&'a Incident) -> V,
    key: impl Fn(&Incident) -> String,
    name: impl Fn(&Incident) -> String,
    set: impl Fn(&mut Links, usize),
) -> Vec<Term> {
    let mut grouping = Grouping::new();
    for (i, incident) in incidents.iter().enumerate() {
        let t = grouping.term(value(incident), || (key(incident), name(incident)));
        grouping.terms[t].incidents.push(i);
        set(&mut links[i], t);
    }
    grouping.terms
}

/// An incident's values of a taxonomy.
type ValuesOf = fn(&Incident) -> &[String];

/// The slug and the name of the term a value belongs to.
type Named = fn(&str) -> (String, String);

/// The list of an incident's links that holds its terms of a taxonomy.
type ListOf = fn(&mut Links) -> &mut Vec<usize>;

/// An incident's values of a taxonomy of lists, how each names its term,
/// and the list of its links the terms go to; `None` for a taxonomy of
/// one term per incident.
fn list_field(taxonomy: Taxonomy) -> Option<(ValuesOf, Named, ListOf)> {
    match taxonomy {
        Taxonomy::Category | Taxonomy::Company | Taxonomy::Year | Taxonomy::NearMiss => None,
        Taxonomy::Tag => Some((
            |i| &i.tags,
            |t| (t.to_owned(), t.to_owned()),
            |l| &mut l.tags,
        )),
        // Spellings that differ only in case or punctuation ("Node.js",
        // "node-js") share a page; `castor check` warns when they differ
        // more.
        Taxonomy::Technology => Some((
            |i| &i.technologies,
            |t| (slug::slugify(t), t.to_owned()),
            |l| &mut l.technologies,
        )),
        Taxonomy::ImpactKind => Some((
            |i| &i.impact_kind,
            |k| (k.to_owned(), impact_kind_name(k)),
            |l| &mut l.impact_kinds,
        )),
    }
}

/// Groups incidents by the values of a list field, an incident once per
/// term, each term with the name its newest incident gives it. Impact
/// kinds keep the front-matter reference's order, worst first; other
/// terms are by slug.
fn list_terms(incidents: &[Arc<Incident>], links: &mut [Links], taxonomy: Taxonomy) -> Vec<Term> {
    let Some((values, named, field)) = list_field(taxonomy) else {
        return Vec::new();
    };
    // Hashed, then sorted once.
    let mut grouping = Grouping::new();
    for (i, incident) in incidents.iter().enumerate() {
        for value in values(incident) {
            let t = grouping.term(value.as_str(), || named(value));
            let term = &mut grouping.terms[t];
            if term.incidents.last() != Some(&i) {
                term.incidents.push(i);
            }
        }
    }
    let mut terms = grouping.terms;
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
