//! Every internal link of the built knowledge base resolves, anchors included.

use std::path::{Path, PathBuf};

use crate::helpers::{html_files, links_in};

/// The file a relative link from `page` points at, and its fragment.
pub(crate) fn resolve(page: &Path, link: &str) -> (PathBuf, Option<String>) {
    let (path, fragment) = match link.split_once('#') {
        Some((p, f)) => (p, Some(f.to_string())),
        None => (link, None),
    };
    let mut target = page.parent().unwrap().to_path_buf();
    if path.is_empty() {
        return (page.to_path_buf(), fragment);
    }
    for part in path.split('/') {
        match part {
            ".." => {
                assert!(
                    target.pop(),
                    "{link} in {} climbs out of the site",
                    page.display()
                );
            }
            "." | "" => {}
            p => target.push(p),
        }
    }
    if path.ends_with('/') || path == "." {
        target.push("index.html");
    }
    (target, fragment)
}

/// Checks every internal link of the site in `out`; with `names_files`,
/// also that none ends in a directory, which `file://` would show as a
/// listing.
pub(crate) fn check_site(out: &Path, names_files: bool) -> usize {
    let mut checked = 0;
    for page in html_files(out) {
        if page == Path::new("404.html") {
            continue; // links from the public address, not relatively
        }
        let html = std::fs::read_to_string(out.join(&page)).unwrap();
        for link in links_in(&html) {
            if link.starts_with("https://")
                || link.starts_with("http://")
                || link.starts_with("mailto:")
            {
                continue;
            }
            assert!(
                !link.starts_with('/'),
                "{}: absolute link {link}",
                page.display()
            );
            let path = link.split(['?', '#']).next().unwrap_or_default();
            assert!(
                !(names_files && path.ends_with('/')),
                "{}: {link} names a directory",
                page.display()
            );
            let (target, fragment) = resolve(&page, &link);
            let file = out.join(&target);
            assert!(
                file.is_file(),
                "{}: broken link {link} ({})",
                page.display(),
                target.display()
            );
            if let Some(id) = fragment.filter(|f| !f.is_empty()) {
                let text = std::fs::read_to_string(&file).unwrap();
                assert!(
                    text.contains(&format!("id=\"{id}\"")),
                    "{}: no #{id} in {}",
                    page.display(),
                    target.display()
                );
            }
            checked += 1;
        }
    }
    checked
}

#[test]
fn every_internal_link_of_the_knowledge_base_resolves() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("site");
    crate::helpers::Knowledge::copy()
        .castor(&["build", "--output", target.to_str().unwrap()])
        .success();
    let checked = check_site(&target, false);
    assert!(checked > 1000, "only {checked} links checked");
}

#[test]
fn with_file_links_every_internal_link_names_a_file() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("site");
    let kb = crate::helpers::Knowledge::copy();
    crate::helpers::use_file_links(kb.root());
    kb.castor(&["build", "--output", target.to_str().unwrap()])
        .success();
    let checked = check_site(&target, true);
    assert!(checked > 1000, "only {checked} links checked");
    // The feed and the sitemap keep the public, pretty addresses.
    let feed = std::fs::read_to_string(target.join("feed.xml")).unwrap();
    assert!(feed.contains("href=\"https://castor-postmortems.example/incidents/"));
    assert!(!feed.contains("index.html"));
    let sitemap = std::fs::read_to_string(target.join("sitemap.xml")).unwrap();
    assert!(!sitemap.contains("index.html"));
}

#[test]
fn every_internal_link_of_the_fixture_resolves() {
    let site = crate::helpers::Fixture::new("basic");
    site.castor(&["build"]).success();
    assert!(check_site(&site.path("public"), false) > 100);
}

#[test]
fn no_page_references_a_third_party_asset() {
    let site = crate::helpers::Fixture::new("basic");
    site.castor(&["build"]).success();
    for page in html_files(&site.path("public")) {
        let html = site.read(&format!("public/{}", page.display()));
        // 404.html is served at any depth, so it links from the site's own
        // public address: still no other host.
        let html = html.replace("https://fixture.example/kb/", "");
        for tag in [
            "<script src=\"http",
            "<link rel=\"stylesheet\" href=\"http",
            "<img src=\"http",
            "@import",
        ] {
            assert!(!html.contains(tag), "{}: {tag}", page.display());
        }
    }
}
