//! The charts, the timeline and the citation's copy button of the built
//! knowledge base in headless Chromium, in light and dark mode. Saves a
//! screenshot of each page into `target/screenshots/` for review.

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::browser::{Served, click, connect_with, serve_knowledge};
use crate::helpers::{FileServer, Knowledge};

/// What the charts should hold, counted from the site castor loads.
struct Expected {
    categories: usize,
    year_segments: usize,
    durations: usize,
    advice_bars: usize,
    /// The first page of the newest year's timeline, and how many
    /// entries it shows.
    newest_year: String,
    newest_year_entries: usize,
    newest: String,
}

fn expected(kb: &Knowledge) -> Expected {
    let config = castor::config::Config::load(kb.root()).unwrap();
    let site = castor::build::load(kb.root(), config, false)
        .unwrap_or_else(|_| panic!("the knowledge base has errors"))
        .site;
    let years = site.terms(castor::site::Taxonomy::Year);
    let year_segments = years
        .iter()
        .map(|y| {
            let mut categories: Vec<usize> = y
                .incidents
                .iter()
                .map(|&i| site.links[i].category)
                .collect();
            categories.sort_unstable();
            categories.dedup();
            categories.len()
        })
        .sum();
    Expected {
        categories: site.terms(castor::site::Taxonomy::Category).len(),
        year_segments,
        durations: site
            .incidents
            .iter()
            .filter(|i| i.duration.is_some())
            .count(),
        advice_bars: site
            .cited_by
            .iter()
            .filter(|c| !c.is_empty())
            .count()
            .min(10),
        newest_year: format!("timeline/{}/", years[0].slug),
        newest_year_entries: years[0]
            .incidents
            .len()
            .min(site.config.build.page_size.get()),
        newest: format!("incidents/{}/", site.incidents[0].slug),
    }
}

/// Every chart of the page: its title, rendered size and marks.
async fn charts(client: &Client) -> Vec<Value> {
    let found = client
        .execute(
            r#"return Array.from(document.querySelectorAll("svg.chart-svg")).map(svg => {
                const box = svg.getBoundingClientRect();
                const visible = sel => Array.from(svg.querySelectorAll(sel))
                    .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; }).length;
                return {
                    title: svg.querySelector("title").textContent,
                    width: box.width, height: box.height,
                    bars: svg.querySelectorAll("rect.bar").length,
                    visible_bars: visible("rect.bar"),
                    segments: visible('rect[class^="seg cat-"]'),
                    dots: visible("circle.dot"),
                };
            });"#,
            vec![],
        )
        .await
        .unwrap();
    let charts = found.as_array().unwrap().clone();
    for chart in &charts {
        assert!(chart["width"].as_f64().unwrap() > 300.0, "{chart}");
        assert!(chart["height"].as_f64().unwrap() > 50.0, "{chart}");
    }
    charts
}

fn chart<'a>(charts: &'a [Value], title: &str) -> &'a Value {
    charts
        .iter()
        .find(|c| c["title"] == title)
        .unwrap_or_else(|| panic!("no chart {title} in {charts:?}"))
}

/// A computed style of the first element matching `selector`.
async fn style(client: &Client, selector: &str, property: &str) -> String {
    client
        .execute(
            "return getComputedStyle(document.querySelector(arguments[0]))[arguments[1]];",
            vec![json!(selector), json!(property)],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

pub(crate) fn save(name: &str, png: &[u8]) {
    save_file(&format!("{name}.png"), png);
}

/// Writes `bytes` into `target/screenshots/` for review.
pub(crate) fn save_file(name: &str, bytes: &[u8]) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

/// The whole page as a PNG in `target/screenshots/`, and each chart on
/// its own at full size.
async fn screenshot(client: &Client, name: &str) {
    let height = client
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    // A window as tall as the page, so nothing is clipped.
    client
        .set_window_size(1100, height.clamp(600, 8000) as u32)
        .await
        .unwrap();
    save(name, &client.screenshot().await.unwrap());
    for figure in client.find_all(Locator::Css("figure.chart")).await.unwrap() {
        let id = figure
            .find(Locator::Css("svg title"))
            .await
            .unwrap()
            .attr("id")
            .await
            .unwrap()
            .unwrap();
        let id = id.trim_end_matches("-title");
        save(&format!("{name}-{id}"), &figure.screenshot().await.unwrap());
    }
    client.set_window_size(1100, 900).await.unwrap();
}

/// The charts and the timeline in one colour scheme.
async fn check_pages(client: &Client, server: &FileServer, want: &Expected, scheme: &str) {
    client.set_window_size(1100, 900).await.unwrap();
    client.goto(&server.url("")).await.unwrap();
    let home = charts(client).await;
    assert_eq!(home.len(), 2, "{home:?}");
    let per_category = chart(&home, "Incidents per category");
    assert_eq!(per_category["bars"], want.categories);
    let per_year = chart(&home, "Incidents per year, by category");
    assert_eq!(per_year["segments"], want.year_segments);
    // The first category's colour, from the stylesheet of the scheme.
    let (bar, background) = match scheme {
        "light" => ("rgb(31, 111, 180)", "rgb(253, 253, 252)"),
        _ => ("rgb(100, 166, 255)", "rgb(21, 23, 26)"),
    };
    assert_eq!(style(client, ".cat-0 rect.bar", "fill").await, bar);
    assert_eq!(style(client, "body", "backgroundColor").await, background);
    screenshot(client, &format!("home-{scheme}")).await;

    client.goto(&server.url("stats/")).await.unwrap();
    let stats = charts(client).await;
    // No chart of near misses: the knowledge base has none, so one bar.
    assert_eq!(stats.len(), 8, "{stats:?}");
    let per_category = chart(&stats, "Incidents per category");
    assert_eq!(per_category["bars"], want.categories);
    // A category without incidents has a bar of no width.
    assert!(per_category["visible_bars"].as_u64().unwrap() <= want.categories as u64);
    assert_eq!(
        chart(&stats, "How long incidents lasted, by category")["dots"],
        want.durations
    );
    let advice = chart(&stats, "Most cited advice");
    assert_eq!(advice["bars"], want.advice_bars);
    assert_eq!(advice["visible_bars"], want.advice_bars);
    screenshot(client, &format!("stats-{scheme}")).await;

    client.goto(&server.url(&want.newest_year)).await.unwrap();
    let entries = client
        .find_all(Locator::Css("ol.timeline > li"))
        .await
        .unwrap();
    assert_eq!(entries.len(), want.newest_year_entries);
    let first = client
        .find(Locator::Css("ol.timeline > li .title a"))
        .await
        .unwrap();
    assert!(
        first
            .attr("href")
            .await
            .unwrap()
            .unwrap()
            .ends_with(&want.newest),
        "the newest incident comes first"
    );
    let stripe = style(client, "ol.timeline > li", "borderLeftColor").await;
    assert_ne!(
        stripe, "rgb(0, 0, 0)",
        "entries take their category's colour"
    );
    screenshot(client, &format!("timeline-{scheme}")).await;
}

/// The copy button's status once it has one.
async fn status_after_click(client: &Client) -> String {
    click(client, "button[data-copy]").await;
    let status = client.find(Locator::Css(".copy-status")).await.unwrap();
    for _ in 0..50 {
        let text = status.text().await.unwrap();
        if !text.is_empty() {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the copy button gave no feedback");
}

async fn check_copy_button(client: &Client, server: &FileServer) {
    let page = server.url("incidents/2021-10-04-facebook-bgp/");
    client.goto(&page).await.unwrap();
    let button = client
        .find(Locator::Css("button[data-copy]"))
        .await
        .unwrap();
    assert!(
        button.is_displayed().await.unwrap(),
        "the script shows the button"
    );
    let citation = client
        .execute(
            "return document.getElementById('citation').textContent.trim();",
            vec![],
        )
        .await
        .unwrap();
    let citation = citation.as_str().unwrap().to_string();
    assert!(
        citation.starts_with("Facebook. \"Facebook disappears from the Internet"),
        "{citation}"
    );
    assert!(
        citation.ends_with(
            "Summarised in castor: incident post-mortems, \
             https://castor-postmortems.example/incidents/2021-10-04-facebook-bgp/."
        ),
        "{citation}"
    );

    // The real clipboard, which headless Chromium may refuse: either way
    // the reader is told what happened.
    let status = status_after_click(client).await;
    assert!(
        status == "Copied" || status.starts_with("Selected: press Ctrl+C"),
        "{status}"
    );

    // The clipboard API receives the citation and the button says so.
    client.goto(&page).await.unwrap();
    client
        .execute(
            "Object.defineProperty(navigator, 'clipboard', { value: { writeText: text => \
             { window.copied = text; return Promise.resolve(); } } });",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(status_after_click(client).await, "Copied");
    let copied = client
        .execute("return window.copied;", vec![])
        .await
        .unwrap();
    assert_eq!(copied, citation.as_str());

    // Without the clipboard API the text is selected for the reader.
    client.goto(&page).await.unwrap();
    client
        .execute(
            "Object.defineProperty(navigator, 'clipboard', { value: { writeText: () => \
             Promise.reject(new Error('denied')) } });",
            vec![],
        )
        .await
        .unwrap();
    let status = status_after_click(client).await;
    assert!(
        status == "Copied" || status.starts_with("Selected: press Ctrl+C"),
        "{status}"
    );
    let selected = client
        .execute("return window.getSelection().toString().trim();", vec![])
        .await
        .unwrap();
    assert_eq!(selected, citation.as_str());
}

#[test]
#[ignore = "needs chromium and chromedriver; run by .ci/run"]
fn charts_timeline_and_copy_button_render_in_light_and_dark() {
    let Served {
        kb,
        server,
        driver,
        runtime,
    } = serve_knowledge();
    let want = expected(&kb);
    runtime.block_on(async {
        let light = connect_with(&driver, &[]).await;
        check_pages(&light, &server, &want, "light").await;
        check_copy_button(&light, &server).await;
        light.close().await.unwrap();

        let dark = connect_with(&driver, &["--force-dark-mode"]).await;
        check_pages(&dark, &server, &want, "dark").await;
        dark.close().await.unwrap();
    });
}
