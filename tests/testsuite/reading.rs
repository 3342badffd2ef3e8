//! What a page offers a reader and the places that show it: the way to the
//! original post-mortem, contents on a long incident, and the head's
//! canonical address, icon and Open Graph preview.

use crate::helpers::Fixture;

/// An incident of `sections` sections of `words` words each.
fn incident_of(sections: usize, words: usize) -> String {
    let mut text = String::from(
        "---\ntitle: \"A long story\"\ncompany: Acme\ndate: 2022-01-01\ncategory: network\n\
         root_cause: Something broke.\nlessons: [Look closer.]\n\
         sources: [https://acme.example/long]\n---\n",
    );
    for n in 1..=sections {
        text.push_str(&format!("\n## Part {n}\n\n"));
        text.push_str(&"word ".repeat(words));
        text.push('\n');
    }
    text
}

#[test]
fn the_original_post_mortem_is_linked_under_the_title() {
    let site = Fixture::new("basic");
    site.castor(&["build"]).success();
    let page = site.read("public/incidents/2021-10-04-acme-bgp/index.html");
    let title = page.find("<h1>").unwrap();
    let original = page
        .find(r#"<p class="original">Original post-mortem: <a href="https://acme.example/postmortem" rel="noopener">Acme post-mortem</a></p>"#)
        .expect("the first source under the title");
    let facts = page.find(r#"<dl class="facts">"#).unwrap();
    assert!(title < original && original < facts);
}

#[test]
fn only_a_long_incident_has_a_table_of_contents() {
    let site = Fixture::new("basic");
    site.write("content/incidents/2022-01-01-long.md", incident_of(4, 200));
    site.write("content/incidents/2022-01-02-short.md", incident_of(4, 100));
    site.write(
        "content/incidents/2022-01-03-two-parts.md",
        incident_of(2, 400),
    );
    site.castor(&["build"]).success();

    let long = site.read("public/incidents/2022-01-01-long/index.html");
    let contents = long
        .split(r#"<nav class="toc" aria-labelledby="toc-heading">"#)
        .nth(1)
        .expect("a table of contents")
        .split("</nav>")
        .next()
        .unwrap();
    let targets: Vec<&str> = regex::Regex::new(r##"<a href="#([^"]+)">"##)
        .unwrap()
        .captures_iter(contents)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert_eq!(
        targets,
        [
            "part-1",
            "part-2",
            "part-3",
            "part-4",
            "sources",
            "related-heading"
        ]
    );
    // Its link to the original has no title to show: the address is shown.
    assert!(long.contains(r#"<a href="https://acme.example/long" rel="noopener" class="url">https://acme.example/long</a>"#));

    for short in ["2022-01-02-short", "2022-01-03-two-parts"] {
        let page = site.read(&format!("public/incidents/{short}/index.html"));
        assert!(!page.contains(r#"class="toc""#), "{short}");
    }
}

#[test]
fn pages_name_their_canonical_address_icon_and_preview() {
    let site = Fixture::new("basic");
    site.castor(&["build"]).success();
    let page = site.read("public/incidents/2021-10-04-acme-bgp/index.html");
    for tag in [
        r#"<link rel="canonical" href="https://fixture.example/kb/incidents/2021-10-04-acme-bgp/">"#,
        r#"<meta property="og:url" content="https://fixture.example/kb/incidents/2021-10-04-acme-bgp/">"#,
        r#"<meta property="og:title" content="Acme withdraws its BGP routes · Fixture site">"#,
        r#"<meta property="og:type" content="article">"#,
        r#"<link rel="icon" href="../../favicon.svg" type="image/svg+xml">"#,
    ] {
        assert!(page.contains(tag), "{tag} missing");
    }
    // The preview's description is the incident's summary, as in search
    // results.
    let description = regex::Regex::new(r#"<meta name="description" content="([^"]*)">"#)
        .unwrap()
        .captures(&page)
        .unwrap()[1]
        .to_string();
    assert!(description.starts_with("Acme vanished"), "{description}");
    assert!(page.contains(&format!(
        r#"<meta property="og:description" content="{description}">"#
    )));
    assert!(site.path("public/favicon.svg").is_file());
    let home = site.read("public/index.html");
    assert!(home.contains(r#"<link rel="canonical" href="https://fixture.example/kb/">"#));
    assert!(home.contains(r#"<link rel="icon" href="./favicon.svg""#));
    // The 404 page is served at every missing address: it has none.
    assert!(!site.read("public/404.html").contains("canonical"));
}

#[test]
fn without_a_host_in_base_url_no_page_claims_an_address() {
    let site = Fixture::new("basic");
    let config = site.read("book.toml").replace(
        r#"base_url = "https://fixture.example/kb/""#,
        r#"base_url = "/kb/""#,
    );
    site.write("book.toml", config);
    site.castor(&["build"]).success();
    let page = site.read("public/incidents/2021-10-04-acme-bgp/index.html");
    assert!(!page.contains("canonical"));
    assert!(!page.contains("og:url"));
    assert!(page.contains(r#"<meta property="og:title""#));
}
