//! `castor serve`: serves the site, rebuilds on edits within two seconds,
//! keeps the last good site with the error shown, and refuses escapes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::helpers::Fixture;

/// A running `castor serve`, stopped when dropped.
struct Served {
    child: Child,
    addr: String,
    /// What it printed after its address, line by line.
    printed: Arc<Mutex<String>>,
}

impl Served {
    fn printed(&self) -> String {
        self.printed.lock().unwrap().clone()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(site: &Fixture) -> Served {
    let child = Command::new(env!("CARGO_BIN_EXE_castor"))
        .args(["serve", "--port", "0"])
        .current_dir(site.root())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start castor serve");
    // Owned by the guard at once, so the process is stopped on any panic.
    let mut served = Served {
        child,
        addr: String::new(),
        printed: Arc::default(),
    };
    let mut line = String::new();
    let mut out = BufReader::new(served.child.stdout.take().unwrap());
    loop {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "serve exited");
        if let Some(rest) = line.split(" at http://").nth(1) {
            served.addr = rest.split('/').next().unwrap().to_string();
            // Keep reading stdout so the server never blocks on a full pipe.
            let printed = Arc::clone(&served.printed);
            std::thread::spawn(move || {
                for line in out.lines().map_while(Result::ok) {
                    let mut printed = printed.lock().unwrap();
                    printed.push_str(&line);
                    printed.push('\n');
                }
            });
            return served;
        }
    }
}

/// A raw HTTP/1.1 request; returns the status code and the body.
fn request(addr: &str, method: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// Polls `path` until `pred` holds, for at most `limit`.
fn wait_for(addr: &str, path: &str, limit: Duration, pred: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let (_, body) = request(addr, "GET", path);
        if pred(&body) {
            return body;
        }
        assert!(
            start.elapsed() < limit,
            "gave up after {limit:?}; last body:\n{body}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

const PAGE: &str = "/incidents/2021-10-04-acme-bgp/";
const FILE: &str = "content/incidents/2021-10-04-acme-bgp.md";

#[test]
fn serves_rebuilds_on_edit_and_keeps_the_last_good_site_on_error() {
    let site = Fixture::new("basic");
    let served = serve(&site);
    let (status, body) = request(&served.addr, "GET", PAGE);
    assert_eq!(status, 200);
    assert!(body.contains("Acme withdraws its BGP routes"));
    assert!(body.contains("/__castor/generation"), "live reload script");
    // Pages are rendered on request; the search index and the export too.
    let (status, meta) = request(&served.addr, "GET", "/search/index/meta.js");
    assert_eq!(status, 200);
    assert!(
        meta.contains(r#""docs":5,"#),
        "three incidents and two advice pages: {meta}"
    );
    let (status, export) = request(&served.addr, "GET", "/incidents.json");
    assert_eq!(status, 200);
    assert!(export.contains("\"version\": 1"), "{export}");

    // An edit is served within two seconds.
    let text = site.read(FILE);
    let edited = text.replace("Acme withdraws its BGP routes", "Acme loses the Internet");
    let start = Instant::now();
    site.write(FILE, &edited);
    wait_for(&served.addr, PAGE, Duration::from_secs(2), |b| {
        b.contains("Acme loses the Internet")
    });
    assert!(start.elapsed() < Duration::from_secs(2));

    // A bad edit: the last good page stays, with the error shown.
    site.write(
        FILE,
        edited.replace("category: network", "category: <b>netwrk</b>"),
    );
    let body = wait_for(&served.addr, PAGE, Duration::from_secs(5), |b| {
        b.contains("castor-error")
    });
    assert!(
        body.contains("Acme loses the Internet"),
        "last good page still served"
    );
    assert!(
        body.contains("unknown category `&lt;b&gt;netwrk&lt;&#x2F;b&gt;`")
            || body.contains("unknown category `&lt;b&gt;netwrk&lt;/b&gt;`"),
        "{body}"
    );

    // Fixing it clears the banner.
    site.write(FILE, &edited);
    wait_for(&served.addr, PAGE, Duration::from_secs(5), |b| {
        !b.contains("castor-error")
    });
}

#[test]
fn an_edit_of_bodies_alone_keeps_the_site_graph_and_any_other_edit_does_not() {
    let site = Fixture::new("basic");
    let served = serve(&site);
    let text = site.read(FILE);
    let body = text.replace("routes withdrawn.", "routes withdrawn by a script.");
    site.write(FILE, &body);
    wait_for(&served.addr, PAGE, Duration::from_secs(5), |b| {
        b.contains("withdrawn by a script")
    });
    // Printed before the page changed, and read by another thread.
    let start = Instant::now();
    while !served.printed().contains("Read 1 edited incident again") {
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{}",
            served.printed()
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // A new tag is no body edit: the tag's page must list the incident.
    let tagged = body.replace("tags: [bgp, dns]", "tags: [bgp, dns, routing]");
    site.write(FILE, &tagged);
    wait_for(
        &served.addr,
        "/tags/routing/",
        Duration::from_secs(5),
        |b| b.contains("Acme withdraws its BGP routes"),
    );
    // Nor is a new link in the body: the link is checked.
    site.write(
        FILE,
        tagged.replace(
            "by a script.",
            "by a script (see [this](@/advice/nowhere.md)).",
        ),
    );
    wait_for(&served.addr, PAGE, Duration::from_secs(5), |b| {
        b.contains("castor-error") && b.contains("nowhere")
    });
    site.write(FILE, &tagged);
    wait_for(&served.addr, PAGE, Duration::from_secs(5), |b| {
        !b.contains("castor-error")
    });
    // With another file broken, a body edited alone is read with the
    // whole site, and the error stays.
    let other = "content/incidents/2017-globex-database-deleted.md";
    let globex = site.read(other);
    site.write(
        other,
        globex.replace("category: database", "category: nowhere"),
    );
    wait_for(&served.addr, PAGE, Duration::from_secs(5), |b| {
        b.contains("castor-error") && b.contains("unknown category")
    });
    let (_, generation) = request(&served.addr, "GET", "/__castor/generation");
    site.write(FILE, tagged.replace("by a script", "by a second script"));
    wait_for(
        &served.addr,
        "/__castor/generation",
        Duration::from_secs(5),
        |g| g != generation,
    );
    let (_, page) = request(&served.addr, "GET", PAGE);
    assert!(page.contains("unknown category"), "{page}");
}

#[test]
fn a_broken_template_keeps_the_last_good_site() {
    let site = Fixture::new("basic");
    let template = "themes/default/templates/page.html";
    let good = "{% extends \"base.html\" %}{% block main %}<p>{{ title }}</p>{% endblock main %}";
    site.write(template, good);
    let served = serve(&site);
    let (status, body) = request(&served.addr, "GET", "/about/");
    assert_eq!(status, 200);
    assert!(body.contains("<p>About the fixture</p>"), "{body}");

    site.write(
        template,
        good.replace("{{ title }}", "{{ title | no_such_filter }}"),
    );
    let body = wait_for(&served.addr, PAGE, Duration::from_secs(5), |b| {
        b.contains("castor-error")
    });
    assert!(
        body.contains("page.html"),
        "the error names the template: {body}"
    );
    let (status, body) = request(&served.addr, "GET", "/about/");
    assert_eq!(status, 200);
    assert!(
        body.contains("<p>About the fixture</p>"),
        "last good page: {body}"
    );
}

#[test]
fn refuses_escapes_and_other_methods() {
    let site = Fixture::new("basic");
    let served = serve(&site);
    for path in [
        "/../book.toml",
        "/%2e%2e/book.toml",
        "/incidents/../../book.toml",
        "/..%2fbook.toml",
    ] {
        let (status, body) = request(&served.addr, "GET", path);
        assert!(status == 400 || status == 404, "{path}: {status}");
        assert!(!body.contains("[categories"), "{path} leaked book.toml");
    }
    let (status, _) = request(&served.addr, "POST", "/");
    assert_eq!(status, 405);
    let (status, _) = request(&served.addr, "GET", "/incidents");
    assert_eq!(status, 301, "directories redirect to their slash form");
    let (status, body) = request(&served.addr, "GET", "/incidents/no-such/");
    assert_eq!(status, 404);
    assert!(body.contains("Page not found"));
    let (status, body) = request(&served.addr, "HEAD", "/");
    assert_eq!(status, 200);
    assert!(body.is_empty());
}

/// Sends `head` as the whole request head and returns the status code.
fn status_of(addr: &str, head: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    String::from_utf8_lossy(&response)
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[test]
fn answers_only_local_hosts_and_bounds_the_headers() {
    let site = Fixture::new("basic");
    let served = serve(&site);
    let addr = &served.addr;
    // A DNS-rebinding page names its own domain in Host.
    assert_eq!(
        status_of(
            addr,
            "GET /about/ HTTP/1.1\r\nHost: evil.example:1111\r\nConnection: close\r\n\r\n"
        ),
        403
    );
    assert_eq!(
        status_of(addr, "GET /about/ HTTP/1.1\r\nConnection: close\r\n\r\n"),
        403,
        "no Host"
    );
    for host in [addr.as_str(), "localhost", "[::1]:1111"] {
        let head = format!("GET /about/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        assert_eq!(status_of(addr, &head), 200, "{host}");
    }
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nX-Filler: {}\r\n\r\n",
        "a".repeat(100_000)
    );
    assert_eq!(status_of(addr, &huge), 431);
}

#[test]
fn kept_alive_requests_are_answered_at_once_and_an_idle_client_blocks_no_one() {
    let site = Fixture::new("basic");
    let served = serve(&site);
    let addr = &served.addr;
    // A client that connects and says nothing holds no one up.
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let start = Instant::now();
    for _ in 0..20 {
        // One write, as a browser sends it.
        stream
            .write_all(
                format!("GET /__castor/generation HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes(),
            )
            .unwrap();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(value) = line.strip_prefix("Content-Length: ") {
                length = value.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
    }
    // With a delayed acknowledgement per request, 20 took about 0.9 s.
    assert!(
        start.elapsed() < Duration::from_millis(400),
        "{:?}",
        start.elapsed()
    );
    drop(idle);
}
