//! The `/search/` page in headless Chromium, driven over WebDriver by
//! fantoccini, against the built knowledge base served by a plain static
//! file server: what a reader of the published site sees.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

use crate::helpers::Knowledge;
use crate::helpers::{FileServer, castor_in};

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

fn start_driver() -> Driver {
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

/// The results' text once the status line says the search finished.
async fn results(client: &Client) -> String {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(
            "//p[@id='search-status'][contains(., 'result')]",
        ))
        .await
        .expect("the search finished");
    client
        .find(Locator::Id("search-results"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
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
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
    }
}

#[test]
#[ignore = "needs chromium and chromedriver; run by .ci/run"]
fn the_search_page_finds_an_incident_as_the_reader_types() {
    // The site lives in the knowledge base's directory: keep it.
    let Served {
        kb: _kb,
        server,
        driver,
        runtime,
    } = serve_knowledge();
    runtime.block_on(async {
        let client = connect(&driver).await;
        // "/" on any page focuses the header box; the box leads to /search/.
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

        client.goto(&server.url("search/")).await.unwrap();
        let input = client.find(Locator::Id("search-query")).await.unwrap();
        input.send_keys("bgp").await.unwrap();
        let text = results(&client).await;
        assert!(
            text.contains("Facebook disappears from the Internet"),
            "{text}"
        );
        assert!(text.contains("Cloudflare"), "{text}");

        // A query is text, never HTML.
        client
            .goto(&server.url("search/?q=%3Cimg%20src%3Dx%3Ezzqqxx"))
            .await
            .unwrap();
        client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::XPath(
                "//p[@id='search-status'][contains(., 'No results')]",
            ))
            .await
            .expect("no results for markup");
        let images = client.find_all(Locator::Css("main img")).await.unwrap();
        assert!(images.is_empty());
        let status = client
            .find(Locator::Id("search-status"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(status.contains("<img src=x>zzqqxx"), "{status}");
        client.close().await.unwrap();
    });
}
