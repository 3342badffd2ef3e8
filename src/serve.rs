//! `castor serve`: builds the site into memory, serves it on localhost,
//! rebuilds when content, themes or book.toml change, and reloads the
//! browser by itself. A broken edit keeps the last good site served, with
//! the error shown on the page and in the terminal.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use clap::Args;
use notify::RecursiveMode;
use tiny_http::{Header, Method, Request, Response, Server};

use crate::build::{self, Failure, Rendered};
use crate::cli::{Verbosity, find_root};
use crate::diagnostic::Diagnostic;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The site's root directory (default: the nearest directory upward holding book.toml).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The port to listen on (0 picks a free one).
    #[arg(long, short, default_value_t = 1111)]
    pub port: u16,
    /// The address to listen on; anything but loopback exposes drafts to the network.
    #[arg(long, default_value = "127.0.0.1")]
    pub interface: IpAddr,
    /// Open the site in the default browser.
    #[arg(long)]
    pub open: bool,
}

/// The page polls this path and reloads when the number changes.
const GENERATION_PATH: &str = "/__castor/generation";

/// What is being served: the last good site, and the last error if the
/// latest rebuild failed.
#[derive(Default)]
struct State {
    files: HashMap<String, Vec<u8>>,
    error: Option<String>,
    generation: u64,
}

impl ServeArgs {
    pub fn run(self, verbosity: Verbosity) -> ExitCode {
        let root = match find_root(self.root.as_deref()) {
            Ok(root) => root,
            Err(code) => return code,
        };
        let state = Arc::new(RwLock::new(State::default()));
        rebuild(&root, &state, verbosity);
        let server = match Server::http((self.interface, self.port)) {
            Ok(server) => server,
            Err(e) => {
                eprintln!(
                    "error: cannot listen on {}:{}: {e}",
                    self.interface, self.port
                );
                return ExitCode::from(2);
            }
        };
        let Some(addr) = server.server_addr().to_ip() else {
            eprintln!("error: the server has no IP address");
            return ExitCode::from(2);
        };
        let url = format!("http://{addr}/");
        println!("Serving {} at {url} (Ctrl-C to stop)", root.display());
        let _watcher = match watch(&root, Arc::clone(&state), verbosity) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("error: cannot watch the site for changes: {e}");
                return ExitCode::from(2);
            }
        };
        if self.open
            && let Err(e) = opener::open_browser(&url)
        {
            eprintln!("warning: cannot open a browser: {e}");
        }
        for request in server.incoming_requests() {
            let response = respond(&state, request.method(), request.url());
            // A client that went away is no reason to stop serving.
            let _ = send(request, response);
        }
        ExitCode::SUCCESS
    }
}

/// Builds the site in memory; on failure the previous files stay served.
fn rebuild(root: &Path, state: &RwLock<State>, verbosity: Verbosity) {
    let start = Instant::now();
    let result = crate::config::Config::load(root)
        .map_err(|d| Failure::Config(vec![d]))
        .and_then(|config| {
            build::render_site(root, &config, true, false, &crate::timings::Timings::new())
        });
    let mut state = state.write().unwrap_or_else(|e| e.into_inner());
    state.generation += 1;
    match result {
        Ok(Rendered {
            files,
            incidents,
            warnings,
            ..
        }) => {
            crate::cli::print_diagnostics(root, &warnings);
            state.files = files
                .into_iter()
                .map(|f| (crate::diagnostic::display_path(&f.path), f.bytes))
                .collect();
            state.error = None;
            if verbosity != Verbosity::Quiet {
                println!(
                    "Built {} pages ({incidents} incidents) in {} ms",
                    state.files.len(),
                    start.elapsed().as_millis()
                );
            }
        }
        Err(failure) => {
            let diagnostics = match &failure {
                Failure::Content(d) | Failure::Config(d) => d.clone(),
                Failure::Io(e) => vec![Diagnostic::general(format!("{e:#}"))],
            };
            crate::cli::report_failure(root, &failure, "still serving the last good site");
            state.error = Some(
                diagnostics
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
    }
}

/// Watches what the site is made of and rebuilds after each burst of changes.
fn watch(
    root: &Path,
    state: Arc<RwLock<State>>,
    verbosity: Verbosity,
) -> notify::Result<
    notify_debouncer_full::Debouncer<
        notify::RecommendedWatcher,
        notify_debouncer_full::RecommendedCache,
    >,
> {
    let owned_root = root.to_path_buf();
    let config = crate::config::Config::load(root).unwrap_or_default();
    let sources = [
        root.join(&config.build.content),
        root.join("themes"),
        root.join(crate::config::FILE_NAME),
    ];
    let watched = sources.clone();
    let mut debouncer = notify_debouncer_full::new_debouncer(
        Duration::from_millis(100),
        None,
        move |result: notify_debouncer_full::DebounceEventResult| {
            let relevant = result.is_ok_and(|events| {
                events
                    .iter()
                    .filter(|e| !e.kind.is_access())
                    .flat_map(|e| &e.paths)
                    .any(|p| watched.iter().any(|w| p.starts_with(w)))
            });
            if relevant {
                rebuild(&owned_root, &state, verbosity);
            }
        },
    )?;
    for dir in &sources[..2] {
        if dir.is_dir() {
            debouncer.watch(dir, RecursiveMode::Recursive)?;
        }
    }
    // The root itself, not recursively: book.toml may be created or replaced
    // (editors save by renaming), and the output must not trigger rebuilds.
    debouncer.watch(root, RecursiveMode::NonRecursive)?;
    Ok(debouncer)
}

/// A response before it is sent: status, content type and body.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    location: Option<String>,
}

fn reply(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Reply {
    Reply {
        status,
        content_type,
        body: body.into(),
        location: None,
    }
}

fn respond(state: &RwLock<State>, method: &Method, url: &str) -> Reply {
    if !matches!(method, Method::Get | Method::Head) {
        return reply(
            405,
            "text/plain; charset=utf-8",
            "only GET and HEAD are served\n",
        );
    }
    let state = state.read().unwrap_or_else(|e| e.into_inner());
    let path = url.split(['?', '#']).next().unwrap_or("/");
    if path == GENERATION_PATH {
        return reply(
            200,
            "text/plain; charset=utf-8",
            state.generation.to_string(),
        );
    }
    let Some(key) = site_path(path) else {
        return reply(400, "text/plain; charset=utf-8", "bad path\n");
    };
    let found = if key.is_empty() || key.ends_with('/') {
        state
            .files
            .get(&format!("{key}index.html"))
            .map(|b| (b, format!("{key}index.html")))
    } else {
        state.files.get(&key).map(|b| (b, key.clone()))
    };
    match found {
        Some((bytes, name)) => {
            let content_type = content_type(&name);
            let body = if content_type.starts_with("text/html") {
                decorate(bytes, &state)
            } else {
                bytes.clone()
            };
            reply(200, content_type, body)
        }
        None if state.files.contains_key(&format!("{key}/index.html")) => Reply {
            location: Some(format!("/{key}/")),
            ..reply(301, "text/plain; charset=utf-8", "moved\n")
        },
        None => {
            let page = state
                .files
                .get("404.html")
                .map(|b| decorate(b, &state))
                .unwrap_or_else(|| b"not found\n".to_vec());
            reply(404, "text/html; charset=utf-8", page)
        }
    }
}

/// The percent-decoded path below the site root, or `None` when it tries
/// to leave it: no `..`, no backslash, no NUL. Files are served from
/// memory, so nothing outside the built site can be reached anyway.
fn site_path(path: &str) -> Option<String> {
    let decoded = percent_decode(path.strip_prefix('/')?)?;
    let bad = decoded
        .split('/')
        .any(|segment| segment == ".." || segment == ".")
        || decoded.contains(['\\', '\0'])
        || decoded.starts_with('/');
    (!bad).then_some(decoded)
}

/// Decodes `%XX` escapes of a URL path; `None` for a malformed escape or
/// bytes that are not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("xml") => "application/xml; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Adds the live-reload script and, while the latest rebuild is broken, a
/// banner with its errors (escaped: they quote the author's text).
fn decorate(page: &[u8], state: &State) -> Vec<u8> {
    let mut extra = String::new();
    if let Some(error) = &state.error {
        let mut escaped = Vec::new();
        tera::escape_html(error, &mut escaped).expect("writing to memory cannot fail");
        extra.push_str(&format!(
            "<div id=\"castor-error\" role=\"alert\" style=\"position:fixed;inset:auto 0 0 0;max-height:50vh;overflow:auto;margin:0;padding:1rem;background:#5c0000;color:#fff;font:14px/1.4 monospace;white-space:pre-wrap;z-index:1000\"><strong>castor: the last edit broke the build; showing the last good site.</strong>\n{}</div>",
            String::from_utf8_lossy(&escaped)
        ));
    }
    extra.push_str(&format!(
        "<script>(()=>{{let g='{}';setInterval(async()=>{{try{{const r=await fetch('{GENERATION_PATH}',{{cache:'no-store'}});const n=await r.text();if(n!==g)location.reload();}}catch(e){{}}}},500);}})();</script>",
        state.generation
    ));
    let page = String::from_utf8_lossy(page);
    let html = match page.rfind("</body>") {
        Some(at) => format!("{}{extra}{}", &page[..at], &page[at..]),
        None => format!("{page}{extra}"),
    };
    html.into_bytes()
}

fn send(request: Request, reply: Reply) -> std::io::Result<()> {
    let mut response = Response::from_data(reply.body).with_status_code(reply.status);
    let mut headers = vec![
        ("Content-Type", reply.content_type.to_string()),
        ("Cache-Control", "no-store".into()),
    ];
    if reply.status == 405 {
        headers.push(("Allow", "GET, HEAD".into()));
    }
    if let Some(location) = reply.location {
        headers.push(("Location", location));
    }
    for (name, value) in headers {
        if let Ok(header) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(header);
        }
    }
    request.respond(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_that_leave_the_site() {
        assert_eq!(site_path("/incidents/x/").as_deref(), Some("incidents/x/"));
        assert_eq!(site_path("/caf%C3%A9/").as_deref(), Some("café/"));
        for bad in [
            "/../book.toml",
            "/a/../../b",
            "/%2e%2e/book.toml",
            "/a%5c..%5cb",
            "//etc/passwd",
            "/a/%00",
            "/%zz",
        ] {
            assert_eq!(site_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn escapes_errors_in_the_banner() {
        let state = State {
            error: Some("bad <script>alert(1)</script>".into()),
            ..State::default()
        };
        let html =
            String::from_utf8(decorate(b"<html><body><p>ok</p></body></html>", &state)).unwrap();
        assert!(
            html.contains("bad &lt;script&gt;alert(1)&lt;&#x2F;script&gt;")
                || html.contains("bad &lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("<p>ok</p>"));
        assert!(html.ends_with("</body></html>"));
    }
}
