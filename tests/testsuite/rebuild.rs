//! A rebuild renders again only what an edit can change, and its output is
//! the one a first build would write.

use crate::helpers::{Fixture, snapshot_dir};

const ACME: &str = "content/incidents/2021-10-04-acme-bgp.md";
const ACME_PAGE: &str = "public/incidents/2021-10-04-acme-bgp/index.html";
const STATS: &str = "public/stats/index.html";
const EXPORT: &str = "public/incidents.json";

/// The site `site` would have if built from nothing, into another directory.
fn first_build(site: &Fixture) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let fresh = tempfile::tempdir().unwrap();
    let out = fresh.path().join("public");
    site.castor(&["build", "--output", out.to_str().unwrap()])
        .success();
    snapshot_dir(&out)
}

#[test]
fn an_edit_of_a_body_renders_its_page_alone_and_any_other_edit_every_page() {
    let site = Fixture::new("basic");
    site.castor(&["build"]).success();
    // A mark in a page no incident's text shows: kept, not rendered again.
    let stats = site.read(STATS);
    site.write(STATS, format!("{stats}<!-- kept -->"));
    // The export shows fields, no body: kept too.
    let export = site.read(EXPORT);
    site.write(EXPORT, format!("{export} "));

    let text = site.read(ACME);
    site.write(
        ACME,
        format!("{text}\nZebrafish were seen near the router.\n"),
    );
    site.castor(&["build"]).success();
    assert!(site.read(ACME_PAGE).contains("Zebrafish"));
    assert!(site.read(STATS).ends_with("<!-- kept -->"));
    assert!(site.read(EXPORT).ends_with("\n "));
    let mut built = snapshot_dir(&site.path("public"));
    built.insert("stats/index.html".into(), stats.clone().into_bytes());
    built.insert("incidents.json".into(), export.clone().into_bytes());
    assert!(
        built == first_build(&site),
        "a body's edit differs from a first build"
    );

    // A page gone from the output is written again.
    let term = site.path("public/tags/bgp/index.html");
    std::fs::remove_file(&term).unwrap();
    std::fs::remove_file(site.path(EXPORT)).unwrap();
    site.write(ACME, format!("{text}\nZebrafish, twice.\n"));
    site.castor(&["build"]).success();
    assert!(term.is_file());
    assert_eq!(site.read(EXPORT), export);

    // A title shows on lists, feeds and other incidents' pages: every page
    // is rendered again, the mark goes.
    let renamed = site.read(ACME).replace("Acme withdraws", "Acme pulls");
    site.write(ACME, renamed);
    site.castor(&["build"]).success();
    assert!(!site.read(STATS).contains("<!-- kept -->"));
    assert!(site.read(EXPORT).contains("Acme pulls"));
    assert!(
        snapshot_dir(&site.path("public")) == first_build(&site),
        "a title's edit differs from a first build"
    );
}

#[test]
fn a_build_after_another_output_or_with_another_setting_renders_every_page() {
    let site = Fixture::new("basic");
    site.castor(&["build"]).success();
    let stats = site.read(STATS);
    let text = site.read(ACME);

    // Built into another directory since: what public/ holds is unknown.
    site.write(STATS, format!("{stats}<!-- kept -->"));
    let other = tempfile::tempdir().unwrap();
    site.castor(&[
        "build",
        "--output",
        other.path().join("out").to_str().unwrap(),
    ])
    .success();
    site.write(ACME, format!("{text}\nZebrafish.\n"));
    site.castor(&["build"]).success();
    assert!(!site.read(STATS).contains("<!-- kept -->"));

    // book.toml changed.
    site.write(STATS, format!("{stats}<!-- kept -->"));
    let config = site.read("book.toml");
    site.write("book.toml", format!("{config}\n[build]\npage_size = 49\n"));
    site.write(ACME, format!("{text}\nZebrafish again.\n"));
    site.castor(&["build"]).success();
    assert!(!site.read(STATS).contains("<!-- kept -->"));
}

/// The browser index's record of each document, by file name.
fn records(site: &Fixture) -> Vec<(String, String)> {
    let dir = site.path("public/search/index/d");
    let mut records: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    records.sort();
    records
}

#[test]
fn the_browser_index_after_an_edit_is_a_first_builds_and_keeps_the_other_records() {
    let site = Fixture::new("basic");
    site.castor(&["build"]).success();
    // A mark in the record of a document the edit leaves alone.
    let (other, text) = records(&site)
        .into_iter()
        .find(|(_, text)| !text.contains("2021-10-04-acme-bgp"))
        .unwrap();
    let other = format!("public/search/index/d/{other}");
    site.write(&other, format!("{text}// kept\n"));
    // A shard of stems gone from the output is made again, whether the
    // edit changes it or not.
    let shards = site.path("public/search/index/t");
    let shard = std::fs::read_dir(&shards).unwrap().next().unwrap().unwrap();
    std::fs::remove_file(shard.path()).unwrap();

    let acme = site.read(ACME);
    site.write(ACME, format!("{acme}\nZebrafish were seen.\n"));
    site.castor(&["build"]).success();
    assert!(site.read(&other).ends_with("// kept\n"));
    let mut built = snapshot_dir(&site.path("public"));
    built.insert(
        other.trim_start_matches("public/").into(),
        text.into_bytes(),
    );
    assert!(
        built == first_build(&site),
        "the index after a body's edit differs from a first build"
    );

    // Counts kept by the last build that cannot be read are counted again.
    let cache = site.path(".castor/cache");
    let mut damaged = 0;
    for entry in std::fs::read_dir(&cache).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("counts-")
        {
            std::fs::write(&path, b"\x92\xff damaged").unwrap();
            damaged += 1;
        }
    }
    assert!(damaged > 0, "no counts in {}", cache.display());
    site.write(ACME, format!("{acme}\nZebrafish, once more.\n"));
    site.castor(&["build"]).success();
    assert!(
        snapshot_dir(&site.path("public")) == first_build(&site),
        "the index after damaged counts differs from a first build"
    );
}
