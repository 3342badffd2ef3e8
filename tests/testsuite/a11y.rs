//! Accessibility of every page type of the built knowledge base, in light
//! and dark: axe-core (vendored from npm in tests/vendor/axe-core) runs in
//! headless Chromium on each page, and no violation of serious or critical
//! impact may remain.

use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::browser::{Served, click, connect_with, results, serve_knowledge, wait_for};
use crate::helpers::FileServer;

const AXE: &str = include_str!("../vendor/axe-core/axe.min.js");

/// One page of each type the theme has, by URL from the site root.
const PAGE_TYPES: &[&str] = &[
    "",
    // Its body has a shell snippet with a comment: highlighted code.
    "incidents/2017-01-31-gitlab-database-deletion/",
    "incidents/",
    // Sorted and filtered too: see `audit`.
    "incidents/table/",
    "categories/",
    "categories/human/",
    "companies/gitlab/",
    "years/2017/",
    "tags/backup/",
    "advice/",
    "advice/test-your-restores/",
    "timeline/",
    "stats/",
    "search/?q=database",
    "404.html",
    "about/",
];

/// The serious and critical violations axe finds on the loaded page, one
/// line per failing element.
async fn violations(client: &Client) -> Vec<String> {
    client
        .execute(&format!("{AXE}\nreturn true;"), vec![])
        .await
        .expect("axe-core loads");
    let found = client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            // Moderate by axe's measure, but what issue 17 found: a list
            // skipping from h1 to h3, two search landmarks on one page.
            const ALSO = ["heading-order", "landmark-unique"];
            axe.run(document, { resultTypes: ["violations"] })
                .then(r => done(r.violations
                    .filter(v => v.impact === "serious" || v.impact === "critical"
                        || ALSO.includes(v.id))
                    .flatMap(v => v.nodes.map(n =>
                        `${v.id} (${v.impact}): ${n.target.join(" ")}: ${n.failureSummary.replace(/\s+/g, " ")}`))))
                .catch(e => done([`axe failed: ${e}`]));"#,
            vec![],
        )
        .await
        .expect("axe-core runs");
    found
        .as_array()
        .expect("a list of violations")
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect()
}

/// Every bar, column and legend entry of the charts is a tab stop; only
/// the duration chart's dots, one per incident, are left to the pointer.
async fn assert_chart_links_take_the_keyboard(client: &Client) {
    let counts = client
        .execute(
            r#"const links = Array.from(document.querySelectorAll("svg.chart-svg a"));
            const dots = links.filter(a => a.querySelector("circle.dot"));
            const stops = links.filter(a => a.tabIndex >= 0);
            return [links.length, dots.length, stops.length];"#,
            vec![],
        )
        .await
        .unwrap();
    let [links, dots, stops] = [0, 1, 2].map(|i| counts[i].as_u64().unwrap());
    assert!(stops > 20, "{stops} chart links take the keyboard");
    assert_eq!(stops, links - dots, "{counts}");
}

async fn audit(client: &Client, server: &FileServer, scheme: &str) -> Vec<String> {
    let mut failures = Vec::new();
    for page in PAGE_TYPES {
        client.goto(&server.url(page)).await.unwrap();
        if page.starts_with("search/") {
            results(client).await;
        }
        let title = client.title().await.unwrap();
        assert!(
            title.contains("castor"),
            "{scheme} /{page} did not load: {title:?}"
        );
        let shown = client
            .execute(
                "return matchMedia('(prefers-color-scheme: dark)').matches",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(shown, Value::Bool(scheme == "dark"), "{scheme} /{page}");
        if *page == "stats/" {
            assert_chart_links_take_the_keyboard(client).await;
        }
        for v in violations(client).await {
            failures.push(format!("{scheme} /{page}: {v}"));
        }
        if *page == "incidents/table/" {
            sort_and_filter_the_table(client).await;
            for v in violations(client).await {
                failures.push(format!("{scheme} /{page}, sorted and filtered: {v}"));
            }
        }
    }
    failures
}

/// The table as the script redraws it: sorted by duration, its filters
/// open and filled.
async fn sort_and_filter_the_table(client: &Client) {
    let duration = Locator::Css("th[data-sort='duration'] button");
    client.find(duration).await.unwrap().click().await.unwrap();
    click(client, "#table-filters summary").await;
    wait_for(
        client,
        Locator::XPath("//p[@id='table-status'][contains(., 'sorted by duration')]"),
        "the table sorted",
    )
    .await;
}

#[test]
#[ignore = "needs chromium and chromedriver; run by .ci/run"]
fn every_page_type_passes_axe_in_light_and_dark() {
    // `_kb` holds the built site's directory until the end.
    let Served {
        kb: _kb,
        server,
        driver,
        runtime,
    } = serve_knowledge();
    runtime.block_on(async {
        let mut failures = Vec::new();
        for (scheme, flags) in [("light", &[][..]), ("dark", &["--force-dark-mode"][..])] {
            let client = connect_with(&driver, flags).await;
            failures.extend(audit(&client, &server, scheme).await);
            client.close().await.unwrap();
        }
        assert!(
            failures.is_empty(),
            "{} serious or critical violations:\n{}",
            failures.len(),
            failures.join("\n")
        );
    });
}
