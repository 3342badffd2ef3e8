//! The knowledge base built with `[build] links = "files"` and opened from
//! disk in headless Chromium, as a reader with no server would: clicking
//! through it, searching it, and landing on its 404 page.

use fantoccini::{Client, Locator};

use crate::browser::{click, connect_with, runtime, start_driver, wait_for};
use crate::helpers::{Knowledge, castor_in, use_file_links};
use crate::layout::set_viewport;

/// Checks that the page loaded is one of the site's, not the browser's
/// listing of a directory, and returns its first heading.
async fn loaded(client: &Client, step: &str) -> String {
    let url = client.current_url().await.unwrap();
    assert_eq!(url.scheme(), "file", "{step}: {url}");
    assert!(url.path().ends_with(".html"), "{step}: {url}");
    let title = client.title().await.unwrap();
    assert!(
        !title.starts_with("Index of"),
        "{step}: a directory listing"
    );
    assert!(title.contains("castor"), "{step}: {title:?} at {url}");
    client
        .find(Locator::Css("main h1"))
        .await
        .unwrap_or_else(|_| panic!("{step}: no heading at {url}"))
        .text()
        .await
        .unwrap()
}

#[test]
#[ignore = "needs chromium and chromedriver; run by .ci/run"]
fn the_site_opened_from_disk_navigates_like_the_served_one() {
    let kb = Knowledge::copy();
    use_file_links(kb.root());
    castor_in(kb.root(), &["build"]).success();
    let public = kb.root().join("public");
    let driver = start_driver();
    let runtime = runtime();
    runtime.block_on(async {
        let client = connect_with(&driver, &[]).await;
        // Wide enough for the header's links to show.
        set_viewport(&client, 1280, 900).await;
        client
            .goto(&format!("file://{}/index.html", public.display()))
            .await
            .unwrap();
        loaded(&client, "home").await;

        // A script's click: WebDriver deems whatever is inside a closed
        // <details> hidden, although on a wide screen style.css shows the
        // menu's links (tests/testsuite/layout.rs checks they show).
        client
            .execute(
                "document.querySelector(\".site-header nav a[href$='incidents/index.html']\").click()",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(loaded(&client, "incidents list").await, "Incidents");

        let first = client
            .find(Locator::Css(".card h3 a"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        click(&client, ".card h3 a").await;
        assert_eq!(loaded(&client, "incident").await, first);

        let category = client
            .find(Locator::Css("dl.facts a[href*='categories/']"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        click(&client, "dl.facts a[href*='categories/']").await;
        assert_eq!(
            loaded(&client, "category").await,
            format!("Category: {category}")
        );

        click(&client, ".site-header .brand").await;
        loaded(&client, "home again").await;
        assert!(
            client
                .current_url()
                .await
                .unwrap()
                .path()
                .ends_with("/public/index.html")
        );

        // The search page finds from disk, and its results open.
        client
            .goto(&format!(
                "file://{}/search/index.html?q=bgp",
                public.display()
            ))
            .await
            .unwrap();
        wait_for(&client, Locator::Css("#search-results li h2 a"), "results").await;
        click(&client, "#search-results li h2 a").await;
        loaded(&client, "a search result").await;

        // The 404 page, opened from disk, is styled and its links work.
        client
            .goto(&format!("file://{}/404.html", public.display()))
            .await
            .unwrap();
        assert_eq!(loaded(&client, "404").await, "Page not found");
        let styled = client
            .execute(
                "return getComputedStyle(document.querySelector('.site-header')).display",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(styled, "flex", "the 404 page carries its style");
        click(&client, "main a[href$='incidents/index.html']").await;
        assert_eq!(loaded(&client, "from 404").await, "Incidents");
        client.close().await.unwrap();
    });
}
