//! Lists cut into pages of `[build] page_size`: every list is read whole
//! by following its next links, every incident is reachable from the home
//! page, and no page grows with the knowledge base.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use castor::site::{Site, Taxonomy};

use crate::helpers::{Fixture, html_files, links_in};
use crate::links::{check_site, resolve};

/// The basic fixture with `extra` more incidents (Acme's, in January
/// 2020) and lists of `size` incidents a page, built.
pub(crate) fn paged(size: usize, extra: usize) -> (Fixture, Site) {
    let fixture = Fixture::new("basic");
    let book = fixture.read("book.toml");
    fixture.write(
        "book.toml",
        format!("{book}\n[build]\npage_size = {size}\n"),
    );
    let acme = fixture.read("content/incidents/2021-10-04-acme-bgp.md");
    for n in 1..=extra {
        let date = format!("2020-01-{n:02}");
        fixture.write(
            &format!("content/incidents/{date}-acme-{n}.md"),
            acme.replace("date: 2021-10-04", &format!("date: {date}"))
                .replace("acme.example/postmortem", &format!("acme.example/{n}")),
        );
    }
    let run = fixture.castor(&["build"]).success();
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let config = castor::config::Config::load(fixture.root()).unwrap();
    let site = castor::build::load(fixture.root(), config, false)
        .ok()
        .unwrap()
        .site;
    (fixture, site)
}

/// What each entry of a list links to: a card's title, a timeline
/// entry's, or a table row's (its third cell).
const ENTRY: &str = concat!(
    r#"(?:<li class="card"[^>]*>\s*<h3>|<p class="title">"#,
    r#"|<tr><td><time[^>]*>[^<]*</time></td><td>[^<]*</td><td>)<a href="([^"]+)""#
);

/// The pages a list's entries link to, read from its first page at `url`
/// following only `rel="next"` links, and how many pages it has. Each
/// page holds at most `size` entries and says which page it is.
fn walk(out: &Path, url: &str, size: usize) -> (Vec<PathBuf>, usize) {
    let entry = regex::Regex::new(ENTRY).unwrap();
    let next = regex::Regex::new(r#"<link rel="next" href="([^"]+)">"#).unwrap();
    let mut page = Path::new(url).join("index.html");
    let mut entries = Vec::new();
    for number in 1.. {
        let html = std::fs::read_to_string(out.join(&page))
            .unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        let found: Vec<PathBuf> = entry
            .captures_iter(&html)
            .map(|c| resolve(&page, &c[1]).0)
            .collect();
        assert!(
            found.len() <= size,
            "{}: {} entries",
            page.display(),
            found.len()
        );
        entries.extend(found);
        match next.captures(&html) {
            Some(link) => {
                assert!(
                    html.contains(&format!("Page {number} of ")),
                    "{}",
                    page.display()
                );
                page = resolve(&page, &link[1]).0;
            }
            None => return (entries, number),
        }
    }
    unreachable!()
}

/// The index pages of incidents `indices`.
fn pages_of(site: &Site, indices: &[usize]) -> Vec<PathBuf> {
    indices
        .iter()
        .map(|&i| Path::new(&site.incident_urls[i]).join("index.html"))
        .collect()
}

#[test]
fn next_links_walk_every_list_whole_and_in_order() {
    let size = 2;
    let (fixture, site) = paged(size, 5);
    let out = fixture.path("public");
    let all: Vec<usize> = (0..site.incidents.len()).collect();
    let mut lists: Vec<(String, &[usize])> = vec![
        ("incidents/".into(), &all),
        ("incidents/table/".into(), &all),
    ];
    for taxonomy in Taxonomy::ALL {
        for term in site.terms(taxonomy) {
            lists.push((term.url.clone(), &term.incidents));
        }
    }
    for (url, cited_by) in site.advice_urls.iter().zip(&site.cited_by) {
        lists.push((url.clone(), cited_by));
    }
    for year in site.terms(Taxonomy::Year) {
        lists.push((format!("timeline/{}/", year.slug), &year.incidents));
    }
    let mut longest = 0;
    for (url, indices) in &lists {
        let (entries, pages) = walk(&out, url, size);
        assert_eq!(entries, pages_of(&site, indices), "{url}");
        assert_eq!(pages, indices.len().div_ceil(size).max(1), "{url}");
        longest = longest.max(pages);
    }
    assert_eq!(longest, 4, "8 incidents, 2 a page");
    // The later pages are in the site map.
    let sitemap = fixture.read("public/sitemap.xml");
    assert!(sitemap.contains("<loc>https://fixture.example/kb/incidents/page/4/</loc>"));
    assert!(!sitemap.contains("incidents/page/5/"));
    // And every link of every page resolves, the pages' links included.
    assert!(check_site(&out, false) > 100);
}

#[test]
fn the_table_is_a_paged_accessible_table_linked_from_the_cards_and_back() {
    let (fixture, site) = paged(3, 5);
    let cards = fixture.read("public/incidents/page/2/index.html");
    assert!(
        cards.contains(r#"<a href="../../../incidents/table/page/2/">Show as a table</a>"#),
        "{cards}"
    );
    let table = fixture.read("public/incidents/table/page/2/index.html");
    assert!(
        table.contains(r#"<a href="../../../../incidents/page/2/">Show as cards</a>"#),
        "{table}"
    );
    let pages = site.incidents.len().div_ceil(3);
    assert!(
        table.contains(&format!(
            "<caption>{} incidents, newest first: page 2 of {pages}</caption>",
            site.incidents.len()
        )),
        "{table}"
    );
    let columns = ["Date", "Company", "Title", "Category", "Duration", "Impact"];
    for column in columns {
        assert!(
            regex::Regex::new(&format!(r#"<th scope="col"[^>]*>{column}</th>"#))
                .unwrap()
                .is_match(&table),
            "{column}: {table}"
        );
    }
    // The fourth incident, first of page 2: its company, category and
    // impact kinds in their cells.
    let card = &site.incidents[3];
    let row = regex::Regex::new(r"(?s)<tbody>\s*<tr>(.*?)</tr>")
        .unwrap()
        .captures(&table)
        .unwrap()[1]
        .to_string();
    assert!(
        row.contains(&format!(
            "<time datetime=\"{0}\">{0}</time>",
            card.date.iso()
        )),
        "{row}"
    );
    assert!(row.contains(&format!("<td>{}</td>", card.company)), "{row}");
    // The table's data for the script: every incident, once, in order.
    let meta = fixture.read("public/incidents/table/data/meta.js");
    assert!(
        meta.starts_with(&format!(
            "castorTable(\"meta\",{{\"rows\":{},\"chunks\":1,",
            site.incidents.len()
        )),
        "{meta}"
    );
    let rows = fixture.read("public/incidents/table/data/0.js");
    let urls: Vec<&str> = regex::Regex::new(r#"\["(incidents/[^"]+)""#)
        .unwrap()
        .captures_iter(&rows)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert_eq!(urls, site.incident_urls);
}

#[test]
fn every_incident_is_reachable_by_links_from_the_home_page() {
    let (fixture, site) = paged(2, 5);
    let out = fixture.path("public");
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    let mut queue = VecDeque::from([PathBuf::from("index.html")]);
    while let Some(page) = queue.pop_front() {
        if !seen.insert(page.clone()) {
            continue;
        }
        let html = std::fs::read_to_string(out.join(&page)).unwrap();
        for link in links_in(&html) {
            let (target, _) = resolve(&page, &link);
            if !link.contains("://")
                && target.extension().is_some_and(|x| x == "html")
                && !seen.contains(&target)
            {
                queue.push_back(target);
            }
        }
    }
    let all: Vec<usize> = (0..site.incidents.len()).collect();
    for page in pages_of(&site, &all) {
        assert!(seen.contains(&page), "{} is not reachable", page.display());
    }
}

#[test]
fn no_page_grows_with_the_knowledge_base_beyond_its_page_size() {
    // The largest page of each list (its pages' path without `page/<n>/`).
    let largest = |extra: usize| -> BTreeMap<String, u64> {
        let (fixture, _) = paged(2, extra);
        let out = fixture.path("public");
        let page_n = regex::Regex::new(r"page/\d+/").unwrap();
        let mut largest: BTreeMap<String, u64> = BTreeMap::new();
        for page in html_files(&out) {
            let bytes = std::fs::metadata(out.join(&page)).unwrap().len();
            let list = page_n.replace(&page.to_string_lossy(), "").into_owned();
            let size = largest.entry(list).or_default();
            *size = (*size).max(bytes);
        }
        largest
    };
    // Past the home page's ten latest incidents, and three times more.
    let small = largest(9);
    let large = largest(27);
    for (list, &before) in &small {
        // The duration chart draws a dot per incident up to its own cap,
        // far above this fixture's size.
        if list == "stats/index.html" {
            continue;
        }
        let after = large[list];
        // The entries differ (a longer slug, another title) and counts
        // gain digits, by a few percent; a list on one page would triple.
        assert!(
            after <= before + before / 10,
            "{list} grew from {before} to {after} bytes"
        );
    }
}

#[test]
fn a_page_size_of_zero_is_an_error_at_its_line() {
    let fixture = Fixture::new("basic");
    let book = fixture.read("book.toml");
    fixture.write("book.toml", format!("{book}\n[build]\npage_size = 0\n"));
    let run = fixture.castor(&["build"]).code(2);
    let line = book.lines().count() + 3;
    assert!(
        run.stderr.contains(&format!("book.toml:{line}:")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nonzero"), "{}", run.stderr);
}
