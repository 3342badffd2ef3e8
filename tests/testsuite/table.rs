//! `/incidents/table/` in headless Chromium: sorting by a column and
//! filtering by a term reach every incident, not only the page's, over
//! HTTP and from disk; and screenshots of the lists for review.

use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::browser::{click, connect_with, runtime, start_driver, wait_for};
use crate::helpers::{FileServer, Knowledge, castor_in, use_file_links};
use crate::insight_browser::save;
use crate::layout::set_viewport;
use crate::pagination::paged;

/// The rows the table shows: each one's cells' text, and its link.
async fn shown(client: &Client) -> Vec<(Vec<String>, String)> {
    let rows = client
        .execute(
            "return Array.from(document.querySelectorAll('#incident-table tbody tr')).map(tr => \
             [Array.from(tr.cells).map(td => td.textContent), tr.querySelector('a').getAttribute('href')]);",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value::<Vec<(Vec<String>, String)>>(rows).unwrap()
}

/// The titles shown, once the status says `status` (the script has
/// shown its own rows).
async fn titles_when(client: &Client, status: &str) -> Vec<String> {
    let xpath = format!("//p[@id='table-status'][contains(., \"{status}\")]");
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|_| panic!("no status {status:?}"));
    shown(client)
        .await
        .into_iter()
        .map(|(cells, _)| cells[2].clone())
        .collect()
}

async fn sort_by(client: &Client, column: &str) {
    let xpath = format!("//th[@data-sort='{column}']/button");
    let button = client.find(Locator::XPath(&xpath)).await.unwrap();
    // Keyboard first: a header is a button, Enter sorts.
    button.send_keys("\u{E007}").await.unwrap();
}

async fn aria_sort(client: &Client, column: &str) -> Option<String> {
    let css = format!("th[data-sort='{column}']");
    let th = client.find(Locator::Css(&css)).await.unwrap();
    th.attr("aria-sort").await.unwrap()
}

/// Chooses `value` in the filter of `key`; "" for any.
async fn filter(client: &Client, key: &str, value: &str) {
    let option = match value {
        "" => format!("//select[@id='table-{key}']/option[1]"),
        value => format!("//select[@id='table-{key}']/option[. = \"{value}\"]"),
    };
    client
        .find(Locator::XPath(&option))
        .await
        .unwrap_or_else(|_| panic!("table-{key} lacks {value}"))
        .click()
        .await
        .unwrap();
}

async fn open_filters(client: &Client) {
    click(client, "#table-filters summary").await;
    wait_for(
        client,
        Locator::Css("#table-technology option:nth-child(2)"),
        "the filters filled",
    )
    .await;
}

#[test]
#[ignore = "needs chromium and chromedriver; run by .ci/run"]
fn the_table_sorts_and_filters_every_incident_over_http_and_from_disk() {
    // Eight incidents, two a page: the script's results span the pages.
    let (fixture, site) = paged(2, 5);
    let public = fixture.path("public");
    let server = FileServer::start(public.clone());
    let driver = start_driver();
    let titles: Vec<&str> = site.incidents.iter().map(|i| i.title.as_str()).collect();
    // Titles Z to A, ties newest first: the site's order is newest first.
    let mut by_title: Vec<usize> = (0..titles.len()).collect();
    by_title.sort_by(|&a, &b| titles[b].to_lowercase().cmp(&titles[a].to_lowercase()));
    let runtime = runtime();
    runtime.block_on(async {
        let client = connect_with(&driver, &[]).await;
        for start in [
            server.url("incidents/table/"),
            format!("file://{}/incidents/table/index.html", public.display()),
        ] {
            client.goto(&start).await.unwrap();
            // As built: the first page, newest first.
            let built: Vec<String> = shown(&client)
                .await
                .into_iter()
                .map(|r| r.0[2].clone())
                .collect();
            assert_eq!(built, titles[..2], "{start}");
            assert_eq!(
                aria_sort(&client, "date").await.as_deref(),
                Some("descending")
            );

            // Title, twice: A to Z, then Z to A, across every page.
            sort_by(&client, "title").await;
            titles_when(&client, "sorted by title, ascending").await;
            sort_by(&client, "title").await;
            let mut seen = titles_when(&client, "sorted by title, descending").await;
            assert_eq!(
                aria_sort(&client, "title").await.as_deref(),
                Some("descending")
            );
            assert_eq!(aria_sort(&client, "date").await, None, "{start}");
            for _ in 1..4 {
                click(&client, "#table-next").await;
                seen.extend(shown(&client).await.into_iter().map(|r| r.0[2].clone()));
            }
            let want: Vec<&str> = by_title.iter().map(|&i| titles[i]).collect();
            assert_eq!(seen, want, "{start}");
            assert!(
                client
                    .find(Locator::Id("table-next"))
                    .await
                    .unwrap()
                    .attr("disabled")
                    .await
                    .unwrap()
                    .is_some(),
                "{start}: a fifth page"
            );

            // A category: Globex's database, on the last page as built.
            open_filters(&client).await;
            filter(&client, "category", "Database").await;
            let rows = titles_when(&client, "1 incident matches").await;
            assert_eq!(rows, ["Globex deletes its primary database"], "{start}");
            // A technology: Evil Corp's title, markup and all, as text.
            filter(&client, "category", "").await;
            filter(&client, "technology", "TypeScript").await;
            let rows = shown(&client).await;
            assert_eq!(rows.len(), 1, "{start}");
            assert_eq!(rows[0].0[2], titles[6], "{start}");
            assert!(
                rows[0].1.ends_with(&site.incident_urls[6]),
                "{start}: {}",
                rows[0].1
            );
            // Both: every Acme incident over BGP, three pages of them.
            filter(&client, "technology", "BGP").await;
            filter(&client, "category", "Network").await;
            let rows = titles_when(&client, "6 incidents match").await;
            assert_eq!(rows, ["Acme withdraws its BGP routes"; 2], "{start}");
            let page = client
                .find(Locator::Id("table-page"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert_eq!(page, "Page 1 of 3", "{start}");
        }
        // Built to be read from disk, the script's links name their file.
        use_file_links(fixture.root());
        castor_in(fixture.root(), &["build"]).success();
        let start = format!("file://{}/incidents/table/index.html", public.display());
        client.goto(&start).await.unwrap();
        open_filters(&client).await;
        filter(&client, "technology", "PostgreSQL").await;
        titles_when(&client, "1 incident matches").await;
        let link = &shown(&client).await[0].1;
        assert_eq!(link, &format!("../../{}index.html", site.incident_urls[7]));
        client.close().await.unwrap();
    });
}

/// Screenshots for review in `target/screenshots/`: the shipped knowledge
/// base's table at 1280x800 (sorted, then filtered), a page of a list
/// after the first, and a technology's page. The table's screen holds
/// twenty rows or more.
#[test]
#[ignore = "needs chromium and chromedriver; run by .ci/run"]
fn the_lists_are_photographed_for_review() {
    let kb = Knowledge::copy();
    let book = std::fs::read_to_string(kb.root().join("book.toml")).unwrap();
    // Pages of 20, so the knowledge base has a few and a screen of table.
    let book = book.replacen("[build]", "[build]\npage_size = 20", 1);
    std::fs::write(kb.root().join("book.toml"), book).unwrap();
    castor_in(kb.root(), &["build"]).success();
    let server = FileServer::start(kb.root().join("public"));
    let driver = start_driver();
    let runtime = runtime();
    runtime.block_on(async {
        let client = connect_with(&driver, &[]).await;
        set_viewport(&client, 1280, 800).await;
        client.goto(&server.url("incidents/table/")).await.unwrap();
        client
            .execute(
                "document.querySelector('#incident-table').scrollIntoView();",
                vec![],
            )
            .await
            .unwrap();
        let rows = client
            .execute(
                "return Array.from(document.querySelectorAll('#incident-table tbody tr'))\
                 .filter(tr => tr.getBoundingClientRect().bottom <= window.innerHeight).length;",
                vec![],
            )
            .await
            .unwrap();
        save("table-screen", &client.screenshot().await.unwrap());
        assert!(rows.as_u64().unwrap() >= 20, "{rows} rows a screen");
        client
            .execute("window.scrollTo(0, 0);", vec![])
            .await
            .unwrap();
        save("table", &client.screenshot().await.unwrap());
        sort_by(&client, "duration").await;
        titles_when(&client, "sorted by duration, descending").await;
        save("table-by-duration", &client.screenshot().await.unwrap());
        open_filters(&client).await;
        filter(&client, "category", "Network").await;
        titles_when(&client, "match").await;
        save("table-network", &client.screenshot().await.unwrap());
        // On a phone the table scrolls sideways, the page does not.
        set_viewport(&client, 390, 844).await;
        let wide = client
            .execute(
                "return document.documentElement.scrollWidth > window.innerWidth;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            wide,
            serde_json::Value::Bool(false),
            "the page scrolls sideways"
        );
        save("table-phone", &client.screenshot().await.unwrap());
        set_viewport(&client, 1280, 800).await;

        client.goto(&server.url("incidents/page/2/")).await.unwrap();
        save("incidents-page-2", &client.screenshot().await.unwrap());
        client.goto(&server.url("technologies/dns/")).await.unwrap();
        save("technology", &client.screenshot().await.unwrap());
        client.close().await.unwrap();
    });
}
