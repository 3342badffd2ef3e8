//! The built knowledge base at a desktop's and a phone's width in headless
//! Chromium: the header's rows, the folded menu, the charts' text. Saves
//! `/stats/` at phone width into `target/screenshots/` for review.

use fantoccini::Client;
use serde_json::Value;

use crate::browser::{Served, click, connect_with, serve_knowledge};
use crate::insight_browser::{save, save_file};

/// Resizes the window until the page's viewport is `width` wide.
pub(crate) async fn set_viewport(client: &Client, width: u32, height: u32) {
    client.set_window_size(width, height).await.unwrap();
    let inner = client
        .execute("return window.innerWidth", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap() as u32;
    if inner != width {
        client
            .set_window_size(2 * width - inner, height)
            .await
            .unwrap();
    }
}

async fn eval(client: &Client, script: &str) -> Value {
    client.execute(script, vec![]).await.unwrap()
}

/// The header's height and how many of its navigation links are shown.
async fn header(client: &Client) -> (f64, u64) {
    let found = eval(
        client,
        r#"const header = document.querySelector(".site-header");
        const shown = Array.from(header.querySelectorAll("nav a"))
            .filter(a => a.checkVisibility()).length;
        return [header.getBoundingClientRect().height, shown];"#,
    )
    .await;
    (found[0].as_f64().unwrap(), found[1].as_u64().unwrap())
}

/// The smallest text of the page's charts, in CSS pixels as drawn.
async fn smallest_chart_text(client: &Client) -> f64 {
    eval(
        client,
        r#"let smallest = Infinity;
        for (const svg of document.querySelectorAll("svg.chart-svg")) {
            const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            for (const text of svg.querySelectorAll("text")) {
                smallest = Math.min(smallest, parseFloat(getComputedStyle(text).fontSize) * scale);
            }
        }
        return smallest;"#,
    )
    .await
    .as_f64()
    .unwrap()
}

#[test]
#[ignore = "needs chromium and chromedriver; run by .ci/run"]
fn the_header_is_one_row_on_a_desktop_and_folds_on_a_phone() {
    // `_kb` holds the built site's directory until the end.
    let Served {
        kb: _kb,
        server,
        driver,
        runtime,
    } = serve_knowledge();
    runtime.block_on(async {
        let client = connect_with(&driver, &[]).await;
        client.goto(&server.url("")).await.unwrap();
        let links = eval(
            &client,
            "return document.querySelectorAll('.site-header nav a').length",
        )
        .await
        .as_u64()
        .unwrap();

        set_viewport(&client, 1280, 900).await;
        let (height, shown) = header(&client).await;
        eprintln!("header at 1280 px: {height} px");
        assert_eq!(shown, links, "every link shows on a desktop");
        assert!(height < 70.0, "one row at 1280 px, not {height} px");

        set_viewport(&client, 375, 800).await;
        let (height, shown) = header(&client).await;
        eprintln!("header at 375 px: {height} px");
        assert_eq!(shown, 0, "the links fold into the menu on a phone");
        assert!(height < 120.0, "two rows at 375 px, not {height} px");
        click(&client, ".menu > summary").await;
        let (_, shown) = header(&client).await;
        assert_eq!(shown, links, "the menu opens");

        client.goto(&server.url("stats/")).await.unwrap();
        let smallest = smallest_chart_text(&client).await;
        eprintln!("smallest chart text at 375 px: {smallest:.1} px");
        assert!(
            smallest >= 9.5,
            "chart text shrinks to {smallest} px on a phone"
        );
        save("stats-phone", &client.screenshot().await.unwrap());
        set_viewport(&client, 1280, 900).await;
        let smallest = smallest_chart_text(&client).await;
        assert!(smallest >= 10.0, "chart text is {smallest} px on a desktop");
        client.close().await.unwrap();
    });
}

/// How many pages a PDF has.
fn pdf_pages(pdf: &[u8]) -> usize {
    regex::bytes::Regex::new(r"/Type\s*/Page[^s]")
        .unwrap()
        .find_iter(pdf)
        .count()
}

#[test]
#[ignore = "needs chromium and chromedriver; run by .ci/run"]
fn an_incident_prints_on_two_or_three_pages_without_the_screen_furniture() {
    // `_kb` holds the built site's directory until the end.
    let Served {
        kb: _kb,
        server,
        driver,
        runtime,
    } = serve_knowledge();
    runtime.block_on(async {
        let client = connect_with(&driver, &[]).await;
        // The longest incident of the knowledge base, and one with code.
        for (slug, name) in [
            (
                "2023-11-02-cloudflare-pdx-power-failure-control-plane",
                "incident-print-longest",
            ),
            ("2017-01-31-gitlab-database-deletion", "incident-print"),
        ] {
            client
                .goto(&server.url(&format!("incidents/{slug}/")))
                .await
                .unwrap();
            let pdf = client
                .print(fantoccini::wd::PrintConfiguration::default())
                .await
                .unwrap();
            save_file(&format!("{name}.pdf"), &pdf);
            let pages = pdf_pages(&pdf);
            eprintln!("{slug}: {pages} pages");
            assert!((2..=3).contains(&pages), "{slug} prints on {pages} pages");
        }
        client.close().await.unwrap();
    });
}
