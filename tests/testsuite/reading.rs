//! What an incident page offers a reader before its body: the way to the
//! original post-mortem and, on a long page, its table of contents.

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
