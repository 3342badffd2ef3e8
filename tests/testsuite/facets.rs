//! Every enumerable field is a taxonomy a reader can browse, with all of
//! its surfaces: the test walks `Taxonomy::ALL`, so a field added there
//! and forgotten somewhere fails here.

use std::collections::BTreeSet;

use castor::site::{Site, Taxonomy, Term};

use crate::helpers::Fixture;

/// The `castor search` options that keep only the incidents of `term`.
/// No wildcard: a new taxonomy must say how the CLI filters by it.
fn cli_filter(taxonomy: Taxonomy, term: &Term) -> Vec<String> {
    let option = |name: &str, value: &str| vec![format!("--{name}"), value.to_string()];
    match taxonomy {
        Taxonomy::Category => option("category", &term.slug),
        Taxonomy::Company => option("company", &term.name),
        Taxonomy::Year => [option("since", &term.slug), option("until", &term.slug)].concat(),
        Taxonomy::Tag => option("tag", &term.slug),
        Taxonomy::Technology => option("technology", &term.name),
        Taxonomy::ImpactKind => option("impact-kind", &term.slug),
        Taxonomy::NearMiss => vec![format!("--near-miss={}", term.slug == "yes")],
    }
}

/// Whether the taxonomy's terms have Atom feeds: a year's incidents are
/// complete once it is over.
fn has_feeds(taxonomy: Taxonomy) -> bool {
    match taxonomy {
        Taxonomy::Year => false,
        Taxonomy::Category
        | Taxonomy::Company
        | Taxonomy::Tag
        | Taxonomy::Technology
        | Taxonomy::ImpactKind
        | Taxonomy::NearMiss => true,
    }
}

fn load(fixture: &Fixture) -> Site {
    let config = castor::config::Config::load(fixture.root()).unwrap();
    castor::build::load(fixture.root(), config, false)
        .ok()
        .unwrap()
        .site
}

/// `text` links to `url` (from a page `depth` directories deep).
#[track_caller]
fn assert_links(text: &str, depth: usize, url: &str, what: &str) {
    let href = format!("href=\"{}{url}\"", "../".repeat(depth));
    assert!(text.contains(&href), "{what} lacks {href}");
}

#[test]
fn every_taxonomy_has_its_pages_links_filters_facet_chart_and_feeds() {
    let fixture = Fixture::new("basic");
    fixture.castor(&["build"]).success();
    let site = load(&fixture);
    let meta = fixture.read("public/search/index/meta.js");
    let meta: serde_json::Value = serde_json::from_str(
        meta.trim()
            .strip_prefix("castorIndex(\"meta\",")
            .and_then(|m| m.strip_suffix(");"))
            .unwrap(),
    )
    .unwrap();
    let search_page = fixture.read("public/search/index.html");
    let stats = fixture.read("public/stats/index.html");
    let cards = fixture.read("public/incidents/index.html");
    for (column, taxonomy) in Taxonomy::ALL.into_iter().enumerate() {
        let terms = site.terms(taxonomy);
        let dir = taxonomy.dir();
        assert!(!terms.is_empty(), "the fixture has no {dir}");

        // The index page, each term with its count.
        let index = fixture.read(&format!("public/{dir}/index.html"));
        for term in terms {
            let href = format!("href=\"../{}\"", term.url);
            let at = index
                .find(&href)
                .unwrap_or_else(|| panic!("{dir}/ lacks {href}"));
            let count = format!("<span class=\"count\">{}</span>", term.incidents.len());
            assert!(
                index[at..].split("</li>").next().unwrap().contains(&count),
                "{href}: {count}"
            );
        }

        // A page per term, with its incidents and its feed.
        for term in terms {
            let page = fixture.read(&format!("public/{}index.html", term.url));
            for &i in &term.incidents {
                assert_links(&page, 2, &site.incident_urls[i], &term.url);
            }
            let feed = fixture.path(&format!("public/{}feed.xml", term.url));
            assert_eq!(feed.is_file(), has_feeds(taxonomy), "{}", feed.display());
            if has_feeds(taxonomy) {
                assert!(page.contains(r#"<link rel="alternate" type="application/atom+xml""#));
            }
        }

        // The first term is linked from its incidents' pages and cards.
        let first = &terms[0];
        for &i in &first.incidents {
            let page = fixture.read(&format!("public/{}index.html", site.incident_urls[i]));
            assert_links(&page, 2, &first.url, &site.incident_urls[i]);
        }
        assert_links(&cards, 1, &first.url, "the cards of incidents/");

        // `castor search` keeps exactly the term's incidents.
        let mut args = vec!["search", "--json", "--kind", "incident", "-n", "100"];
        let filter = cli_filter(taxonomy, first);
        args.extend(filter.iter().map(String::as_str));
        let run = fixture.castor(&args).success();
        let hits: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
        let found: BTreeSet<&str> = hits.iter().map(|h| h["slug"].as_str().unwrap()).collect();
        let want: BTreeSet<&str> = first
            .incidents
            .iter()
            .map(|&i| site.incidents[i].slug.as_str())
            .collect();
        assert_eq!(found, want, "castor search {filter:?}");

        // The site's search: a facet with the term names, in the order of
        // the facet files' columns, and a select on the search page.
        let facet = &meta["facets"][column];
        assert_eq!(facet["key"], taxonomy.key());
        let names: Vec<&str> = terms.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(facet["values"], serde_json::json!(names), "{dir}");
        let select = format!("<select id=\"search-{}\">", taxonomy.key());
        assert!(search_page.contains(&select), "search/ lacks {select}");

        // A chart on /stats/ linking to the term.
        assert_links(&stats, 1, &first.url, "stats/");
    }
}

/// The basic fixture with `from` in the Globex incident's file made `to`.
fn globex_with(from: &str, to: &str) -> Fixture {
    let fixture = Fixture::new("basic");
    let path = "content/incidents/2017-globex-database-deleted.md";
    let text = fixture.read(path).replace(from, to);
    fixture.write(path, text);
    fixture
}

#[test]
fn technologies_spelt_alike_share_a_page_and_a_warning_beyond_case() {
    let fixture = globex_with("[PostgreSQL]", "[junos, \"BGP!\"]");
    let run = fixture.castor(&["check"]);
    assert!(
        run.stderr.contains(
            "warning: the technologies `BGP!` and `BGP` (in `content/incidents/2021-10-04-acme-bgp.md`) share one page, `technologies/bgp/`"
        ),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("`junos`"),
        "case alone is one spelling"
    );
    let site = load(&fixture);
    let junos = site
        .terms(Taxonomy::Technology)
        .iter()
        .find(|t| t.slug == "junos")
        .unwrap();
    assert_eq!(junos.name, "Junos", "the newest incident's spelling");
    assert_eq!(junos.incidents.len(), 2);
}

#[test]
fn companies_spelt_alike_share_a_page_named_by_the_newest_incident() {
    let fixture = globex_with("company: Globex", "company: ACME");
    let site = load(&fixture);
    let companies = site.terms(Taxonomy::Company);
    let acme: Vec<&Term> = companies.iter().filter(|t| t.slug == "acme").collect();
    assert_eq!(acme.len(), 1, "one page for both spellings");
    assert_eq!(acme[0].name, "Acme", "the newest incident's spelling");
    assert_eq!(acme[0].incidents.len(), 2);
    let of = |i: usize| site.links[acme[0].incidents[i]].company;
    assert_eq!(companies[of(0)].slug, "acme");
    assert_eq!(of(0), of(1), "both incidents link to it");
}

#[test]
fn search_results_carry_technologies_impact_kind_and_near_miss() {
    let fixture = Fixture::new("basic");
    let run = fixture.search(&["--near-miss", "--json"]).success();
    let hits: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(hits.len(), 1, "{}", run.stdout);
    assert_eq!(hits[0]["slug"], "2019-02-evil-corp-xss");
    assert_eq!(hits[0]["near_miss"], true);
    assert_eq!(hits[0]["impact_kind"], serde_json::json!(["security"]));
    assert_eq!(
        hits[0]["technologies"],
        serde_json::json!(["<svg onload=alert('tech')>", "TypeScript"])
    );
    let run = fixture
        .search(&["restores", "--kind", "advice", "--json"])
        .success();
    let hits: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    assert!(!hits.is_empty(), "{}", run.stdout);
    assert_eq!(hits[0]["near_miss"], serde_json::Value::Null);
}
