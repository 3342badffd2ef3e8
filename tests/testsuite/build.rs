//! A fixture site built end to end: pages, links, feed, sitemap, escaping.

use crate::helpers::{Fixture, html_files, snapshot_dir};

fn built() -> Fixture {
    let site = Fixture::new("basic");
    let run = site.castor(&["build"]).success();
    assert!(run.stdout.starts_with("Built "), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("(3 incidents, 2 advice) into public in "),
        "{}",
        run.stdout
    );
    site
}

#[test]
fn incident_page_links_its_advice_category_company_and_related() {
    let site = built();
    let page = site.read("public/incidents/2021-10-04-acme-bgp/index.html");
    assert!(
        page.contains(r#"href="../../advice/out-of-band-access/">Keep an out-of-band way in</a>"#)
    );
    assert!(page.contains(r#"href="../../categories/network/">Network</a>"#));
    assert!(page.contains(r#"href="../../companies/acme/">Acme</a>"#));
    assert!(page.contains(r#"href="../../years/2021/">2021</a>"#));
    assert!(page.contains(r#"href="../../tags/bgp/">"#));
    // Explicit `related`, then the internal link in the body.
    assert!(page.contains(r#"<h2 id="related-heading">Related incidents</h2>"#));
    assert!(page.contains(r#"href="../../incidents/2017-globex-database-deleted/">Globex deletes its primary database</a>"#));
    assert!(page.contains(r#"href="../../incidents/2017-globex-database-deleted/#timeline""#));
    // Every set field is shown.
    assert!(page.contains("<dd>6h</dd>"));
    assert!(page.contains("Everything was unreachable."));
    assert!(page.contains(r#"href="https://web.archive.org/web/20211005000000/https://acme.example/postmortem" rel="noopener">archived copy</a>"#));
    assert!(page.contains(r##"<h2 id="timeline">Timeline <a class="anchor" href="#timeline""##));
    assert!(page.contains(r#"<pre class="hl-code" data-lang="bash">"#));
    // Previous (older) incident by date; it is the newest, so no newer one.
    assert!(page.contains(r#"rel="prev" href="../../incidents/2019-02-evil-corp-xss/""#));
    assert!(!page.contains(r#"rel="next""#));
}

#[test]
fn category_page_lists_exactly_its_incidents() {
    let site = built();
    let page = site.read("public/categories/database/index.html");
    assert!(page.contains("Globex deletes its primary database"));
    assert!(!page.contains("Acme withdraws"));
    assert!(!page.contains("Evil Corp"));
    assert_eq!(page.matches(r#"<li class="card""#).count(), 1);
    let index = site.read("public/categories/index.html");
    assert!(
        index.contains(
            r#"<a href="../categories/network/">Network</a> <span class="count">1</span>"#
        ),
        "{index}"
    );
}

#[test]
fn advice_page_lists_the_incidents_citing_it_newest_first() {
    let site = built();
    let page = site.read("public/advice/test-your-restores/index.html");
    let evil = page.find("Evil Corp").expect("Evil Corp cites it");
    let globex = page.find("Globex deletes").expect("Globex cites it");
    assert!(evil < globex, "newest first");
    assert!(!page.contains("Acme withdraws"));
}

#[test]
fn writes_every_index_and_special_page() {
    let site = built();
    for page in [
        "index.html",
        "incidents/index.html",
        "advice/index.html",
        "categories/index.html",
        "companies/index.html",
        "companies/acme/index.html",
        "years/index.html",
        "years/2017/index.html",
        "tags/index.html",
        "tags/bgp/index.html",
        "about/index.html",
        "404.html",
        "feed.xml",
        "sitemap.xml",
        "style.css",
        "highlight-light.css",
        "highlight-dark.css",
        ".castor-output",
    ] {
        assert!(site.path("public").join(page).is_file(), "missing {page}");
    }
    let home = site.read("public/index.html");
    assert!(home.contains("<strong>3</strong> incidents"));
    assert!(home.contains(r#"href="./incidents/2021-10-04-acme-bgp/""#));
}

#[test]
fn feed_is_valid_atom_with_absolute_links() {
    let site = built();
    let feed = site.read("public/feed.xml");
    let doc = roxmltree::Document::parse(&feed).expect("feed parses as XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "feed");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2005/Atom")
    );
    let entries: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("entry"))
        .collect();
    assert_eq!(entries.len(), 3);
    let first_id = entries[0]
        .children()
        .find(|n| n.has_tag_name("id"))
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(
        first_id,
        "https://fixture.example/kb/incidents/2021-10-04-acme-bgp/"
    );
    for entry in &entries {
        for required in ["title", "id", "updated"] {
            assert!(
                entry.children().any(|n| n.has_tag_name(required)),
                "entry without {required}"
            );
        }
    }
}

#[test]
fn sitemap_lists_every_html_page() {
    let site = built();
    let sitemap = site.read("public/sitemap.xml");
    let doc = roxmltree::Document::parse(&sitemap).expect("sitemap parses as XML");
    let locs: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("loc"))
        .filter_map(|n| n.text())
        .collect();
    let pages = html_files(&site.path("public")).len() - 1; // all but 404.html
    assert_eq!(locs.len(), pages);
    assert!(locs.contains(&"https://fixture.example/kb/incidents/2019-02-evil-corp-xss/"));
}

#[test]
fn xss_payloads_in_front_matter_and_body_are_escaped_or_removed() {
    let site = built();
    let handler = regex::Regex::new(r"<[a-zA-Z][^>]*\son[a-z]+\s*=").unwrap();
    let quoted = regex::Regex::new(r#""[^"]*""#).unwrap();
    for page in html_files(&site.path("public")) {
        let html = site.read(&format!("public/{}", page.display()));
        assert!(
            !without_theme_script(&html).contains("<script"),
            "{} has a script tag",
            page.display()
        );
        // Attribute values are text (an escaped title may read "onerror="):
        // only what stands outside quotes can be a handler.
        let outside_values = quoted.replace_all(&html, "\"\"");
        assert!(
            !handler.is_match(&outside_values),
            "{} has an event handler",
            page.display()
        );
        assert!(
            !html.to_lowercase().contains("javascript:"),
            "{} has a javascript: URL",
            page.display()
        );
        assert!(
            !html.contains("<img src=x"),
            "{} has a raw img",
            page.display()
        );
    }
    let page = site.read("public/incidents/2019-02-evil-corp-xss/index.html");
    assert!(page.contains("&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; Evil Corp"));
    assert!(
        page.contains("&lt;b&gt;bold&lt;/b&gt; root cause"),
        "front matter is text, never HTML"
    );
}

#[test]
fn raw_html_is_kept_when_allowed_but_scripts_never_are() {
    let site = Fixture::new("basic");
    let config = site.read("book.toml");
    site.write(
        "book.toml",
        format!("[markdown]\nallow_raw_html = true\n{config}"),
    );
    site.write(
        "content/about.md",
        "---\ntitle: About\n---\n\n<details><summary>More</summary>Hidden</details>\n\n<script>alert(1)</script>\n",
    );
    site.castor(&["build"]).success();
    let page = site.read("public/about/index.html");
    assert!(
        page.contains("<details><summary>More</summary>Hidden</details>"),
        "{page}"
    );
    assert!(!without_theme_script(&page).contains("<script"));
}

/// The page without the default theme's own scripts, the only scripts a
/// page may carry: search.js once on every page, copy.js at most once.
fn without_theme_script(html: &str) -> String {
    let search = regex::Regex::new(r#"<script src="[^"<>]*/search\.js" defer></script>"#).unwrap();
    assert_eq!(search.find_iter(html).count(), 1, "the search script once");
    let mut html = search.replace(html, "").into_owned();
    for script in ["copy", "table"] {
        let tag = format!(r#"<script src="[^"<>]*/{script}\.js" defer></script>"#);
        let tag = regex::Regex::new(&tag).unwrap();
        assert!(
            tag.find_iter(&html).count() <= 1,
            "the {script} script at most once"
        );
        html = tag.replace(&html, "").into_owned();
    }
    html.replace(r#"<script src="not-found.js" defer></script>"#, "")
}

#[test]
fn drafts_are_left_out_unless_asked_for() {
    let site = Fixture::new("basic");
    let acme = site.read("content/incidents/2021-10-04-acme-bgp.md");
    site.write(
        "content/incidents/2022-draft-one.md",
        acme.replace(
            "title: \"Acme withdraws its BGP routes\"",
            "title: Draft one\ndraft: true",
        )
        .replace("date: 2021-10-04", "date: 2022"),
    );
    site.castor(&["build"]).success();
    assert!(!site.path("public/incidents/2022-draft-one").exists());
    site.castor(&["build", "--drafts"]).success();
    assert!(
        site.read("public/incidents/2022-draft-one/index.html")
            .contains("Draft: not yet reviewed.")
    );
}

#[test]
fn a_theme_override_replaces_one_template() {
    let site = Fixture::new("basic");
    site.write(
        "themes/default/templates/page.html",
        "{% extends \"base.html\" %}{% block main %}<p class=\"custom\">{{ title }}</p>{% endblock main %}",
    );
    site.castor(&["build"]).success();
    assert!(
        site.read("public/about/index.html")
            .contains(r#"<p class="custom">About the fixture</p>"#)
    );
    // Other templates still come from the built-in theme.
    assert!(site.read("public/index.html").contains("Latest incidents"));
}

#[test]
fn a_site_with_only_content_builds() {
    let site = Fixture::new("basic");
    std::fs::remove_file(site.path("book.toml")).unwrap();
    // The default categories include network, database and security.
    site.castor(&["build"]).success();
    assert!(site.path("public/categories/time/index.html").is_file());
}

#[test]
fn init_creates_a_site_that_builds_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let run = crate::helpers::castor_in(dir.path(), &["init", "kb"]).success();
    assert!(run.stdout.contains("created"), "{}", run.stdout);
    crate::helpers::castor_in(&dir.path().join("kb"), &["build"]).success();
    assert!(
        dir.path()
            .join("kb/public/incidents/2017-01-31-gitlab-database-deletion/index.html")
            .is_file()
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("kb/.gitignore")).unwrap(),
        "# The built site, and castor's cache, search index and lock.\npublic/\n.castor/\n"
    );
    // A repository's own .gitignore is kept.
    let own = dir.path().join("repo");
    std::fs::create_dir_all(&own).unwrap();
    std::fs::write(own.join(".gitignore"), "target/\n").unwrap();
    crate::helpers::castor_in(&own, &["init"]).success();
    assert_eq!(
        std::fs::read_to_string(own.join(".gitignore")).unwrap(),
        "target/\n"
    );
    let again = crate::helpers::castor_in(dir.path(), &["init", "kb"]).code(2);
    assert!(
        again
            .stderr
            .contains("already exists; castor init never overwrites a file"),
        "{}",
        again.stderr
    );
}

#[test]
fn prints_its_version() {
    let run = crate::helpers::castor_in(&crate::helpers::repo(), &["--version"]).success();
    assert_eq!(
        run.stdout.trim(),
        format!("castor {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn quiet_builds_print_nothing() {
    let site = Fixture::new("basic");
    let run = site.castor(&["--quiet", "build"]).success();
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "");
}

#[test]
fn the_parse_cache_never_changes_what_is_built() {
    let site = Fixture::new("basic");
    let run = site.castor(&["build", "--verbose"]).success();
    assert!(
        run.stdout.contains(": 0 from the parse cache"),
        "{}",
        run.stdout
    );
    let first = snapshot_dir(&site.path("public"));
    let shards: Vec<_> = std::fs::read_dir(site.path(".castor/cache"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!shards.is_empty(), "the build keeps a cache");

    // Built from the cache: the same site, and nothing parsed again.
    let run = site.castor(&["build", "--verbose"]).success();
    assert_eq!(snapshot_dir(&site.path("public")), first);
    assert!(
        run.stdout.contains(" from the parse cache, 0 parsed"),
        "{}",
        run.stdout
    );

    // An edit is seen through the cache.
    let file = "content/incidents/2021-10-04-acme-bgp.md";
    let text = site.read(file);
    site.write(
        file,
        text.replace("Acme withdraws its BGP routes", "Acme drops off the map"),
    );
    let run = site.castor(&["build", "--verbose"]).success();
    assert!(run.stdout.contains(", 1 parsed"), "{}", run.stdout);
    let page = "public/incidents/2021-10-04-acme-bgp/index.html";
    assert!(site.read(page).contains("Acme drops off the map"));

    // A damaged cache is ignored.
    for shard in &shards {
        std::fs::write(shard, b"not a cache").unwrap();
    }
    site.castor(&["build"]).success();
    assert!(site.read(page).contains("Acme drops off the map"));

    // A cached document is not trusted under another configuration.
    let config = site.read("book.toml");
    site.write(
        "book.toml",
        config.replace("[categories.network]", "[categories.networking]"),
    );
    let run = site.castor(&["build"]).code(1);
    assert!(
        run.stderr.contains("unknown category `network`"),
        "{}",
        run.stderr
    );
}

/// The parse cache keeps bodies in a file of their own, read back as a
/// page needs one: a damaged one fails the build that reads it, naming
/// the document, and the next build parses again.
#[test]
fn a_damaged_body_in_the_parse_cache_is_refused_and_parsed_again() {
    let site = Fixture::new("basic");
    site.castor(&["build"]).success();
    let first = snapshot_dir(&site.path("public"));
    let stores: Vec<_> = std::fs::read_dir(site.path(".castor/cache"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    let [store] = &stores[..] else {
        panic!("one store of bodies: {stores:?}")
    };
    let bytes = std::fs::read(store).unwrap();
    std::fs::write(store, bytes.iter().map(|b| b ^ 1).collect::<Vec<u8>>()).unwrap();

    // An unchanged incident whose page is gone: rendered from the cache.
    let page = "public/incidents/2021-10-04-acme-bgp/index.html";
    std::fs::remove_file(site.path(page)).unwrap();
    let run = site.castor(&["build"]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stderr.contains("2021-10-04-acme-bgp.md") && run.stderr.contains("damaged"),
        "{}",
        run.stderr
    );

    let run = site.castor(&["build", "--verbose"]).success();
    assert!(
        run.stdout.contains(": 0 from the parse cache"),
        "{}",
        run.stdout
    );
    assert_eq!(snapshot_dir(&site.path("public")), first);
}

#[test]
fn every_category_company_tag_and_technology_has_its_own_feed() {
    let site = built();
    for (dir, name, want) in [
        ("tags/bgp", "bgp", vec!["Acme withdraws its BGP routes"]),
        (
            "categories/network",
            "Network",
            vec!["Acme withdraws its BGP routes"],
        ),
        ("companies/globex", "Globex", vec!["Globex"]),
        (
            "technologies/postgresql",
            "PostgreSQL",
            vec!["Globex deletes its primary database"],
        ),
        (
            "impact-kinds/full-outage",
            "Full outage",
            vec!["Acme withdraws its BGP routes", "Globex deletes"],
        ),
    ] {
        let text = site.read(&format!("public/{dir}/feed.xml"));
        let feed = roxmltree::Document::parse(&text).expect("valid XML");
        let root = feed.root_element();
        assert_eq!(root.tag_name().name(), "feed");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2005/Atom")
        );
        let title = root
            .children()
            .find(|n| n.has_tag_name("title"))
            .unwrap()
            .text()
            .unwrap();
        assert!(title.starts_with(&format!("{name} · ")), "{title}");
        let self_link = root
            .children()
            .find(|n| n.has_tag_name("link") && n.attribute("rel") == Some("self"))
            .unwrap();
        assert_eq!(
            self_link.attribute("href"),
            Some(format!("https://fixture.example/kb/{dir}/feed.xml").as_str())
        );
        let entries: Vec<String> = root
            .children()
            .filter(|n| n.has_tag_name("entry"))
            .map(|e| {
                e.children()
                    .find(|n| n.has_tag_name("title"))
                    .unwrap()
                    .text()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(entries.len(), want.len(), "{dir}: {entries:?}");
        for (entry, want) in entries.iter().zip(&want) {
            assert!(entry.contains(want), "{dir}: {entries:?}");
        }
        let page = site.read(&format!("public/{dir}/index.html"));
        assert!(
            page.contains(r#"<link rel="alternate" type="application/atom+xml""#)
                && page.contains(&format!(r#"href="../../{dir}/feed.xml""#)),
            "{dir}"
        );
    }
    assert!(!site.path("public/years/2021/feed.xml").exists());
}

#[test]
fn a_build_says_the_sites_size_and_warns_past_the_limits_set() {
    let site = Fixture::new("basic");
    let run = site.castor(&["build"]).success();
    let files = walkdir::WalkDir::new(site.path("public"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.file_name() != ".castor-output")
        .count();
    assert!(
        run.stdout.contains(&format!(": {files} files, ")) && run.stdout.contains(" MB"),
        "{}",
        run.stdout
    );
    assert_eq!(run.stderr, "");
    let config = site.read("book.toml");
    site.write(
        "book.toml",
        format!("{config}\n[build]\nmax_files = 10\nmax_bytes = 1000\n"),
    );
    let run = site.castor(&["build"]).success();
    assert!(
        run.stderr.contains(&format!(
            "book.toml:16:1: warning: the site has {files} files, over `max_files` = 10"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("over `max_bytes` = 1000"),
        "{}",
        run.stderr
    );
}
