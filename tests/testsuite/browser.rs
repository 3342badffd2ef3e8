//! The `/search/` page in headless Chromium, driven over WebDriver by
//! fantoccini, against the built knowledge base served by a plain static
//! file server: what a reader of the published site sees.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

use crate::helpers::{FileServer, Fixture, Knowledge, castor_in};

/// chromedriver on a free port, killed when dropped.
pub(crate) struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start_driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is installed (apt-get install chromium-driver)");
    // Wait until it listens.
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver { child, port }
}

async fn connect(driver: &Driver) -> Client {
    connect_with(driver, &[]).await
}

/// A session whose Chromium also gets `extra` flags, such as
/// `--force-dark-mode`.
pub(crate) async fn connect_with(driver: &Driver, extra: &[&str]) -> Client {
    let mut args = vec![
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
    ];
    args.extend_from_slice(extra);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "binary": "/usr/bin/chromium", "args": args }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session")
}

/// A runtime for the WebDriver client, on the test's thread.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Clicks the first element `selector` finds.
pub(crate) async fn click(client: &Client, selector: &str) {
    client
        .find(Locator::Css(selector))
        .await
        .unwrap_or_else(|_| panic!("no {selector}"))
        .click()
        .await
        .unwrap();
}

/// Waits up to ten seconds for `locator` to find an element: `what` says
/// which when none comes.
pub(crate) async fn wait_for(client: &Client, locator: Locator<'_>, what: &str) {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(locator)
        .await
        .unwrap_or_else(|_| panic!("waited in vain for {what}"));
}

/// The results' text once the status line says the search finished.
pub(crate) async fn results(client: &Client) -> String {
    wait_for(
        client,
        Locator::XPath("//p[@id='search-status'][contains(., 'result')]"),
        "the search finished",
    )
    .await;
    text_of(client, Locator::Id("search-results")).await
}

/// Opens the search page's filters, and waits for their counts.
async fn open_filters(client: &Client) {
    click(client, "#search-filters summary").await;
    wait_for(
        client,
        Locator::Css("#search-category option:nth-child(2)"),
        "the categories counted",
    )
    .await;
}

/// The text of the first element `locator` finds.
async fn text_of(client: &Client, locator: Locator<'_>) -> String {
    client.find(locator).await.unwrap().text().await.unwrap()
}

/// The first result's title.
async fn first_title(client: &Client) -> String {
    results(client).await;
    text_of(client, Locator::Css("#search-results li h2")).await
}

/// The knowledge base built and served, with chromedriver and a runtime
/// to drive it.
pub(crate) struct Served {
    pub kb: Knowledge,
    pub server: FileServer,
    pub driver: Driver,
    pub runtime: tokio::runtime::Runtime,
}

pub(crate) fn serve_knowledge() -> Served {
    let kb = Knowledge::copy();
    castor_in(kb.root(), &["build"]).success();
    let server = FileServer::start(kb.root().join("public"));
    Served {
        kb,
        server,
        driver: start_driver(),
        runtime: runtime(),
    }
}

#[test]
#[ignore = "needs chromium and chromedriver; run by .ci/run"]
fn the_search_page_ranks_corrects_and_excerpts_over_http_and_from_disk() {
    let site = Fixture::new("search");
    castor_in(site.root(), &["build"]).success();
    let server = FileServer::start(site.root().join("public"));
    let from_disk = format!("file://{}/", site.root().join("public").display());
    let driver = start_driver();
    let runtime = runtime();
    runtime.block_on(async {
        let client = connect(&driver).await;
        for base in [server.url(""), from_disk] {
            let search = |q: &str| format!("{base}search/index.html?q={q}");
            client.goto(&search("bgp")).await.unwrap();
            let first = first_title(&client).await;
            assert!(first.contains("Facebook disappears"), "{base}: {first}");
            // The excerpt is the passage that matched, marked, with a link
            // to its section.
            let mark = client
                .find(Locator::Css("#search-results li .snippet mark"))
                .await
                .unwrap();
            assert_eq!(mark.text().await.unwrap().to_lowercase(), "bgp");
            let section = client
                .find(Locator::Css("#search-results li .section-link"))
                .await
                .unwrap()
                .attr("href")
                .await
                .unwrap()
                .unwrap();
            assert!(
                section.contains("incidents/2021-10-04-facebook-bgp/#"),
                "{section}"
            );

            // A one-edit typo finds the word, and says so.
            client.goto(&search("orchestrater")).await.unwrap();
            let first = first_title(&client).await;
            assert!(first.contains("GitHub"), "{base}: {first}");
            let status = text_of(&client, Locator::Id("search-status")).await;
            assert!(
                status.contains("Showing results for orchestrator"),
                "{status}"
            );

            // A word no page holds does not hide the page with the other.
            client.goto(&search("bgp%20kittens")).await.unwrap();
            let first = first_title(&client).await;
            assert!(first.contains("Facebook disappears"), "{base}: {first}");

            // More results come a page at a time, each result once.
            client.goto(&search("outage")).await.unwrap();
            results(&client).await;
            let first_page = client
                .find_all(Locator::Css("#search-results li"))
                .await
                .unwrap()
                .len();
            assert_eq!(first_page, 10, "{base}");
            click(&client, "#search-more").await;
            let mut links = Vec::new();
            for _ in 0..100 {
                links.clear();
                for link in client
                    .find_all(Locator::Css("#search-results li h2 a"))
                    .await
                    .unwrap()
                {
                    links.push(link.attr("href").await.unwrap().unwrap());
                }
                if links.len() > 10 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert!(links.len() > 10, "{base}: {links:?}");
            let mut unique = links.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), links.len(), "{links:?}");

            // The category counts add up to the results, once the reader
            // opens the filters.
            client.goto(&search("backup")).await.unwrap();
            results(&client).await;
            open_filters(&client).await;
            let text = results(&client).await;
            let shown = client
                .find_all(Locator::Css("#search-results li"))
                .await
                .unwrap()
                .len();
            let options = client
                .find_all(Locator::Css("#search-category option"))
                .await
                .unwrap();
            let mut counted = 0;
            for option in options {
                let label = option.text().await.unwrap();
                if let Some(n) = label
                    .rsplit('(')
                    .next()
                    .and_then(|n| n.trim_end_matches(')').parse::<usize>().ok())
                {
                    counted += n;
                }
            }
            let advice = text.matches("Advice").count();
            assert_eq!(counted + advice, shown, "{text}");
        }
        client.close().await.unwrap();
    });
}

/// A fixture site built and served, with chromedriver and a runtime to
/// drive it.
struct ServedFixture {
    /// Kept for its directory.
    _site: Fixture,
    server: FileServer,
    driver: Driver,
    runtime: tokio::runtime::Runtime,
}

fn serve_fixture(name: &str) -> ServedFixture {
    let site = Fixture::new(name);
    castor_in(site.root(), &["build"]).success();
    ServedFixture {
        server: FileServer::start(site.root().join("public")),
        _site: site,
        driver: start_driver(),
        runtime: runtime(),
    }
}

#[test]
#[ignore = "needs chromium and chromedriver; run by .ci/run"]
fn the_header_box_suggests_as_the_reader_types() {
    // `_site` keeps the built site's directory until the test ends.
    let ServedFixture {
        _site,
        server,
        driver,
        runtime,
    } = serve_fixture("search");
    runtime.block_on(async {
        let client = connect(&driver).await;
        // "/" on any page focuses the header box.
        client.goto(&server.url("")).await.unwrap();
        client
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .send_keys("/")
            .await
            .unwrap();
        let focused = client
            .execute("return document.activeElement.name", vec![])
            .await
            .unwrap();
        assert_eq!(focused, "q");
        let input = client
            .find(Locator::Css(".search-box input"))
            .await
            .unwrap();
        input.send_keys("backup").await.unwrap();
        wait_for(
            &client,
            Locator::Css("#search-suggestions li"),
            "suggestions",
        )
        .await;
        let shown = client
            .find_all(Locator::Css("#search-suggestions li"))
            .await
            .unwrap();
        assert_eq!(shown.len(), 5);
        input.send_keys("\u{E00C}").await.unwrap(); // Escape
        let hidden = client
            .execute(
                "return document.getElementById('search-suggestions').hidden",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(hidden, true);
        // Enter goes to the full search page, whose box holds the query.
        input.send_keys("\u{E007}").await.unwrap();
        let first = first_title(&client).await;
        assert!(!first.is_empty());
        assert!(
            client
                .current_url()
                .await
                .unwrap()
                .as_str()
                .contains("search/?q=backup")
        );

        // A query is text, never HTML.
        client
            .goto(&server.url("search/?q=%3Cimg%20src%3Dx%3Ezzqqxx"))
            .await
            .unwrap();
        wait_for(
            &client,
            Locator::XPath("//p[@id='search-status'][contains(., 'No results')]"),
            "no results for markup",
        )
        .await;
        let images = client.find_all(Locator::Css("main img")).await.unwrap();
        assert!(images.is_empty());
        client.close().await.unwrap();
    });
}

#[test]
#[ignore = "needs chromium and chromedriver; run by .ci/run"]
fn the_search_page_filters_by_every_taxonomy() {
    // `_site` keeps the built site's directory until the test ends.
    let ServedFixture {
        _site,
        server,
        driver,
        runtime,
    } = serve_fixture("basic");
    runtime.block_on(async {
        let client = connect(&driver).await;
        // Every incident of the fixture has a summary.
        client.goto(&server.url("search/?q=summary")).await.unwrap();
        results(&client).await;
        // The filters count once the reader opens them.
        open_filters(&client).await;
        for taxonomy in castor::site::Taxonomy::ALL {
            let css = format!("#search-{} option", taxonomy.key());
            let options = client.find_all(Locator::Css(&css)).await.unwrap();
            assert!(options.len() > 1, "{css}: no value counted");
        }
        // Each filter leaves the incidents of its value alone.
        for (key, label, title) in [
            (
                "technology",
                "PostgreSQL (1)",
                "Globex deletes its primary database",
            ),
            ("near_miss", "yes (1)", "Evil Corp"),
            (
                "impact_kind",
                "Full outage (2)",
                "Acme withdraws its BGP routes",
            ),
        ] {
            let select = format!("#search-{key}");
            let option = format!("//select[@id='search-{key}']/option[. = '{label}']");
            client
                .find(Locator::XPath(&option))
                .await
                .unwrap_or_else(|_| panic!("{select} lacks {label}"))
                .click()
                .await
                .unwrap();
            // The results' records load after the filter changes.
            let want: usize = label[label.len() - 2..label.len() - 1].parse().unwrap();
            let mut shown = 0;
            for _ in 0..50 {
                shown = client
                    .find_all(Locator::Css("#search-results li h2"))
                    .await
                    .unwrap()
                    .len();
                if shown == want {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert_eq!(shown, want, "{select} = {label}");
            let text = text_of(&client, Locator::Id("search-results")).await;
            assert!(text.contains(title), "{select} = {label}: {text}");
            // Back to every value, for the next filter.
            client
                .find(Locator::XPath(&format!(
                    "//select[@id='search-{key}']/option[1]"
                )))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
        client.close().await.unwrap();
    });
}
