//! Links that survive a rename (`aliases:`), the stable `id` of an
//! incident, and the sources that are not duplicates.

use crate::helpers::Fixture;

const OLD: &str = "incidents/2021-10-04-acme-bgp.md";
const NEW: &str = "incidents/2021-10-04-acme-routes.md";

/// The fixture with Acme's incident renamed, its old URL kept as an alias
/// and the one link to it updated.
fn renamed() -> Fixture {
    let site = Fixture::new("basic");
    let text = site.read(&format!("content/{OLD}"));
    std::fs::remove_file(site.path(&format!("content/{OLD}"))).unwrap();
    site.write(
        &format!("content/{NEW}"),
        text.replacen(
            "---\n",
            "---\naliases: [/incidents/2021-10-04-acme-bgp/]\n",
            1,
        ),
    );
    let about = site.read("content/about.md").replace(OLD, NEW);
    site.write("content/about.md", about);
    site
}

fn ids(site: &Fixture) -> Vec<(String, String)> {
    let run = site.castor(&["export"]).success();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    json["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let text = |k: &str| i[k].as_str().unwrap().to_string();
            (text("id"), text("slug"))
        })
        .collect()
}

#[test]
fn an_alias_sends_the_reader_on_and_keeps_the_id() {
    let before = ids(&Fixture::new("basic"));
    assert!(before.contains(&("2021-10-04-acme-bgp".into(), "2021-10-04-acme-bgp".into())));

    let site = renamed();
    site.castor(&["build"]).success();
    let page = site.read("public/incidents/2021-10-04-acme-bgp/index.html");
    let target = "../../incidents/2021-10-04-acme-routes/";
    assert!(
        page.contains(&format!(
            r#"<meta http-equiv="refresh" content="0; url={target}">"#
        )),
        "{page}"
    );
    assert!(page.contains(r#"<link rel="canonical" href="#), "{page}");
    assert!(page.contains(&format!(r#"<a href="{target}">"#)), "{page}");
    assert!(!page.contains("<script"), "{page}");
    // The target exists, and the alias is no page of its own to index.
    assert!(
        site.path("public/incidents/2021-10-04-acme-routes/index.html")
            .is_file()
    );
    let sitemap = site.read("public/sitemap.xml");
    assert!(!sitemap.contains("acme-bgp"), "{sitemap}");

    // The export names the incident as before, under its new slug.
    let after = ids(&site);
    assert!(after.contains(&(
        "2021-10-04-acme-bgp".into(),
        "2021-10-04-acme-routes".into()
    )));
    let site_json = site.read("public/incidents.json");
    assert!(
        site_json.contains(r#""id": "2021-10-04-acme-bgp""#),
        "{site_json}"
    );
}

#[test]
fn an_alias_that_takes_another_pages_address_is_an_error() {
    let site = renamed();
    let path = format!("content/{NEW}");
    let text = site.read(&path).replacen(
        "aliases: [/incidents/2021-10-04-acme-bgp/]",
        "aliases:\n  - incidents/2017-globex-database-deleted",
        1,
    );
    site.write(&path, text);
    for command in ["check", "build"] {
        let run = site.castor(&[command]).code(1);
        assert!(
            run.stderr.contains(&format!("{NEW}:3:5"))
                && run.stderr.contains(
                    "the alias `incidents/2017-globex-database-deleted/` is already the page"
                ),
            "{command}: {}",
            run.stderr
        );
    }

    // An alias must stay a path inside the site.
    let text = site.read(&path).replacen(
        "  - incidents/2017-globex-database-deleted",
        "  - ../../etc/passwd",
        1,
    );
    site.write(&path, text);
    let run = site.castor(&["build"]).code(1);
    assert!(
        run.stderr.contains("invalid alias `../../etc/passwd`"),
        "{}",
        run.stderr
    );
    assert!(!site.path("etc").exists());

    // Two documents may not claim one old address either.
    let site = renamed();
    let globex = "content/incidents/2017-globex-database-deleted.md";
    let text = site.read(globex).replacen(
        "---\n",
        "---\naliases: [incidents/2021-10-04-acme-bgp/]\n",
        1,
    );
    site.write(globex, text);
    let run = site.castor(&["check"]).code(1);
    assert!(
        run.stderr
            .contains("is already the alias `incidents/2021-10-04-acme-bgp/` of"),
        "{}",
        run.stderr
    );
}

/// An incident of the basic fixture citing `sources`.
fn citing(site: &Fixture, slug: &str, sources: &str) {
    let text = site.read("content/incidents/2017-globex-database-deleted.md");
    let start = text.find("sources:").unwrap();
    let end = start + text[start..].find("\n---").unwrap();
    site.write(
        &format!("content/incidents/{slug}.md"),
        format!("{}sources:\n{sources}{}", &text[..start], &text[end..])
            .replace("Globex", &format!("Globex {slug}")),
    );
}

#[test]
fn a_monthly_report_or_sections_of_one_page_are_no_duplicates() {
    let site = Fixture::new("basic");
    // A monthly availability report, telling several incidents.
    let report = "  - url: https://status.example/2024-03-availability-report\n    shared: true\n";
    citing(&site, "2024-03-02-globex-queue", report);
    citing(&site, "2024-03-19-globex-cache", report);
    // Two sections of one page.
    citing(
        &site,
        "2024-04-02-globex-dns",
        "  - https://blog.example/incidents#dns\n",
    );
    citing(
        &site,
        "2024-04-09-globex-disk",
        "  - https://blog.example/incidents#disk\n",
    );
    let run = site.castor(&["check"]).success();
    assert!(!run.stderr.contains("same source"), "{}", run.stderr);

    // One story told twice still is.
    citing(
        &site,
        "2024-05-01-globex-twice",
        "  - https://blog.example/incidents#disk\n",
    );
    let run = site.castor(&["check"]).success();
    assert!(
        run.stderr
            .contains("same source as `content/incidents/2024-04-09-globex-disk.md`")
            || run
                .stderr
                .contains("same source as `content/incidents/2024-05-01-globex-twice.md`"),
        "{}",
        run.stderr
    );
}
