//! `castor serve`: loads the site into memory, serves it on localhost,
//! reloads it when content, themes or book.toml change, and reloads the
//! browser by itself. A broken edit keeps the last good site served, with
//! the error shown on the page and in the terminal.
//!
//! A rebuild re-parses only the files that changed (a [`Cache`]) and
//! renders nothing: each page is rendered when a browser asks for it, and
//! kept until the next rebuild. At 10,000 incidents, a rebuild after an
//! edit is the site graph and little else; after an edit in place of
//! incidents' bodies that changes none of their links, the site graph is
//! kept as it is, and only those files are read.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use clap::Args;
use notify::event::ModifyKind;
use notify::{EventKind, RecursiveMode};

use http::Response;

use crate::build::{self, Failure, Loaded};
use crate::cmd::{Verbosity, find_root};
use crate::config::Config;
use crate::content::{self, Cache, LoadOptions};
use crate::diagnostic::Diagnostic;
use crate::render::{self, Renderer};
use crate::timings::Timings;

mod http;

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
    live: Option<Arc<Live>>,
    error: Option<String>,
    generation: u64,
}

/// A good site, rendered page by page as browsers ask for it.
struct Live {
    renderer: Renderer<'static>,
    pages: Mutex<HashMap<PathBuf, Vec<u8>>>,
}

impl Live {
    fn file(&self, path: &Path) -> Option<Result<Vec<u8>, Diagnostic>> {
        let pages = || self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bytes) = pages().get(path) {
            return Some(Ok(bytes.clone()));
        }
        let found = self.renderer.file(path);
        if let Some(Ok(bytes)) = &found {
            pages().insert(path.to_path_buf(), bytes.clone());
        }
        found
    }
}

impl ServeArgs {
    pub fn run(self, verbosity: Verbosity) -> ExitCode {
        let root = match find_root(self.root.as_deref()) {
            Ok(root) => root,
            Err(code) => return code,
        };
        let state = Arc::new(RwLock::new(State::default()));
        // Seeded from the last build's cache, so a first load of a large
        // site parses only what changed since.
        let cache = Arc::new(Cache::read(
            &root.join(crate::guard::STATE_DIR).join(crate::guard::CACHE),
        ));
        rebuild(&root, &state, &cache, verbosity, None);
        let listener = match std::net::TcpListener::bind((self.interface, self.port)) {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!(
                    "error: cannot listen on {}:{}: {e}",
                    self.interface, self.port
                );
                return ExitCode::from(2);
            }
        };
        let addr = match listener.local_addr() {
            Ok(addr) => addr,
            Err(e) => {
                eprintln!("error: the server has no address: {e}");
                return ExitCode::from(2);
            }
        };
        let url = format!("http://{addr}/");
        // Watching before saying where to look: an edit made as soon as
        // the address is printed is not missed.
        let _watcher = match watch(&root, Arc::clone(&state), cache, verbosity) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("error: cannot watch the site for changes: {e}");
                return ExitCode::from(2);
            }
        };
        println!("Serving {} at {url} (Ctrl-C to stop)", root.display());
        if self.open
            && let Err(e) = opener::open_browser(&url)
        {
            eprintln!("warning: cannot open a browser: {e}");
        }
        http::serve(listener, move |request| {
            send(respond(&state, &request.method, &request.target))
        });
        ExitCode::SUCCESS
    }
}

/// Loads the site again, or only the files `edited` in place when that
/// is all they changed; on failure the previous site stays served.
fn rebuild(
    root: &Path,
    state: &RwLock<State>,
    cache: &Cache,
    verbosity: Verbosity,
    edited: Option<&[PathBuf]>,
) {
    let timings = Timings::new();
    let live = edited.and_then(|paths| {
        let live = {
            let state = state.read().unwrap_or_else(|e| e.into_inner());
            // After a failed rebuild, the site served is not the content
            // as it is, less the files just edited.
            state.live.clone().filter(|_| state.error.is_none())?
        };
        timings.time("bodies edited", || bodies_edited(root, &live, cache, paths))
    });
    // How many incidents were read again, when that was all.
    let reread = live.is_some().then(|| edited.map_or(0, <[PathBuf]>::len));
    let result = match live {
        Some(live) => Ok((live, Vec::new())),
        None => load(root, cache, &timings),
    };
    let mut state = state.write().unwrap_or_else(|e| e.into_inner());
    state.generation += 1;
    match result {
        Ok((live, warnings)) => {
            crate::cmd::print_diagnostics(root, &warnings);
            let site = live.renderer.site();
            let ms = timings.elapsed().as_millis();
            match reread {
                _ if verbosity == Verbosity::Quiet => {}
                Some(n) => println!(
                    "Read {} again in {ms} ms: only bodies changed, the rest is kept",
                    crate::diagnostic::count(n, "edited incident")
                ),
                None => println!(
                    "Loaded {} incidents and {} advice pages in {ms} ms",
                    site.incidents.len(),
                    site.advice.len(),
                ),
            }
            if verbosity == Verbosity::Verbose {
                print!("{}", timings.table());
            }
            let previous = state.live.replace(Arc::new(live));
            state.error = None;
            // Freed once the lock is released: requests wait on the lock,
            // and freeing the previous site's pages and cards takes a while.
            drop(state);
            drop(previous);
        }
        Err(failure) => {
            let diagnostics = match &failure {
                Failure::Content(d) | Failure::Config(d) => d.clone(),
                Failure::Io(e) | Failure::Partial(e) => vec![Diagnostic::general(format!("{e:#}"))],
            };
            crate::cmd::report_failure(root, &failure, "still serving the last good site");
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

/// The live site with the incidents at `paths` read again, when they
/// read without a problem and only their bodies changed, so the site
/// graph is the same; `None` when the site must be loaded again.
fn bodies_edited(root: &Path, live: &Live, cache: &Cache, paths: &[PathBuf]) -> Option<Live> {
    let site = live.renderer.site();
    let options = LoadOptions {
        config: &site.config,
        include_drafts: true,
        cache: Some(cache),
    };
    let mut edits = Vec::new();
    for path in paths {
        let display = path.strip_prefix(root).ok()?;
        let i = site.incidents.iter().position(|x| x.path == display)?;
        edits.push((i, content::reload_incident(root, display, &options)?));
    }
    let site = site.with_bodies_edited(edits)?;
    let renderer = Renderer::new(
        Arc::new(site),
        Arc::clone(live.renderer.theme()),
        build::extras(),
    );
    renderer.probe().ok()?;
    Some(Live {
        renderer,
        pages: Mutex::default(),
    })
}

/// The site under `root`, ready to render, with its warnings. One page of
/// each template is rendered, so a broken template keeps the last good
/// site too.
fn load(root: &Path, cache: &Cache, timings: &Timings) -> Result<(Live, Vec<Diagnostic>), Failure> {
    let config = Config::load(root).map_err(|d| Failure::Config(vec![d]))?;
    let theme = timings
        .time("theme", || render::theme::load(root, &config.build.theme))
        .map_err(|d| Failure::Config(vec![d]))?;
    let Loaded { site, diagnostics } = build::load_cached(root, config, true, cache, timings)?;
    let renderer = timings.time("renderer", || {
        Renderer::new(Arc::new(site), Arc::new(theme), build::extras())
    });
    timings
        .time("probe", || renderer.probe())
        .map_err(|d| Failure::Config(vec![d]))?;
    Ok((
        Live {
            renderer,
            pages: Mutex::default(),
        },
        diagnostics,
    ))
}

/// Watches what the site is made of and rebuilds after each burst of changes.
fn watch(
    root: &Path,
    state: Arc<RwLock<State>>,
    cache: Arc<Cache>,
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
            let Ok(events) = result else {
                return;
            };
            let relevant = |e: &&notify_debouncer_full::DebouncedEvent| {
                !e.kind.is_access()
                    && e.paths
                        .iter()
                        .any(|p| watched.iter().any(|w| p.starts_with(w)))
            };
            let events: Vec<_> = events.iter().filter(relevant).collect();
            if events.is_empty() {
                return;
            }
            // Files written in place, none created, removed or renamed:
            // perhaps only bodies changed.
            let in_place = events.iter().all(|e| {
                matches!(e.kind, EventKind::Modify(kind) if !matches!(kind, ModifyKind::Name(_)))
            });
            let edited = in_place.then(|| {
                let mut paths: Vec<PathBuf> = events
                    .iter()
                    .flat_map(|e| e.paths.iter().cloned())
                    .collect();
                paths.sort();
                paths.dedup();
                paths
            });
            rebuild(&owned_root, &state, &cache, verbosity, edited.as_deref());
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

fn respond(state: &RwLock<State>, method: &str, url: &str) -> Reply {
    if !matches!(method, "GET" | "HEAD") {
        return reply(
            405,
            "text/plain; charset=utf-8",
            "only GET and HEAD are served\n",
        );
    }
    let (live, error, generation) = {
        let state = state.read().unwrap_or_else(|e| e.into_inner());
        (state.live.clone(), state.error.clone(), state.generation)
    };
    let path = url.split(['?', '#']).next().unwrap_or("/");
    if path == GENERATION_PATH {
        return reply(200, "text/plain; charset=utf-8", generation.to_string());
    }
    let Some(key) = site_path(path) else {
        return reply(400, "text/plain; charset=utf-8", "bad path\n");
    };
    let decorate = |page: &[u8], error: Option<&str>| decorate(page, error, generation);
    let Some(live) = live else {
        let page = b"<!doctype html><html><body><p>castor: no good build yet.</p></body></html>";
        return reply(
            503,
            "text/html; charset=utf-8",
            decorate(page, error.as_deref()),
        );
    };
    let name = if key.is_empty() || key.ends_with('/') {
        format!("{key}index.html")
    } else {
        key.clone()
    };
    match live.file(Path::new(&name)) {
        Some(Ok(bytes)) => {
            let content_type = content_type(&name);
            let body = if content_type.starts_with("text/html") {
                decorate(&bytes, error.as_deref())
            } else {
                bytes
            };
            reply(200, content_type, body)
        }
        Some(Err(problem)) => {
            let page = b"<!doctype html><html><body><p>castor: this page cannot be rendered.</p></body></html>";
            let message = problem.to_string();
            reply(
                500,
                "text/html; charset=utf-8",
                decorate(page, Some(&message)),
            )
        }
        None if live.renderer.has(Path::new(&format!("{key}/index.html"))) => Reply {
            location: Some(format!("/{key}/")),
            ..reply(301, "text/plain; charset=utf-8", "moved\n")
        },
        None => {
            let page = match live.file(Path::new("404.html")) {
                Some(Ok(page)) => decorate(&page, error.as_deref()),
                _ => b"not found\n".to_vec(),
            };
            reply(404, "text/html; charset=utf-8", page)
        }
    }
}

/// The percent-decoded path below the site root, or `None` when it tries
/// to leave it: no `..`, no backslash, no NUL. Files are served from
/// memory, so nothing outside the built site can be reached anyway.
fn site_path(path: &str) -> Option<String> {
    let decoded = crate::urls::percent_decode(path.strip_prefix('/')?)?;
    let bad = decoded
        .split('/')
        .any(|segment| segment == ".." || segment == ".")
        || decoded.contains(['\\', '\0'])
        || decoded.starts_with('/');
    (!bad).then_some(decoded)
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
fn decorate(page: &[u8], error: Option<&str>, generation: u64) -> Vec<u8> {
    let mut extra = String::new();
    if let Some(error) = error {
        let mut escaped = Vec::new();
        tera::escape_html(error, &mut escaped).expect("writing to memory cannot fail");
        extra.push_str(&format!(
            "<div id=\"castor-error\" role=\"alert\" style=\"position:fixed;inset:auto 0 0 0;max-height:50vh;overflow:auto;margin:0;padding:1rem;background:#5c0000;color:#fff;font:14px/1.4 monospace;white-space:pre-wrap;z-index:1000\"><strong>castor: the last edit broke the build; showing the last good site.</strong>\n{}</div>",
            String::from_utf8_lossy(&escaped)
        ));
    }
    extra.push_str(&format!(
        "<script>(()=>{{let g='{}';setInterval(async()=>{{try{{const r=await fetch('{GENERATION_PATH}',{{cache:'no-store'}});const n=await r.text();if(n!==g)location.reload();}}catch(e){{}}}},500);}})();</script>",
        generation
    ));
    let page = String::from_utf8_lossy(page);
    let html = match page.rfind("</body>") {
        Some(at) => format!("{}{extra}{}", &page[..at], &page[at..]),
        None => format!("{page}{extra}"),
    };
    html.into_bytes()
}

fn send(reply: Reply) -> Response {
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
    Response {
        status: reply.status,
        headers,
        body: reply.body,
    }
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
        let html = String::from_utf8(decorate(
            b"<html><body><p>ok</p></body></html>",
            Some("bad <script>alert(1)</script>"),
            1,
        ))
        .unwrap();
        assert!(
            html.contains("bad &lt;script&gt;alert(1)&lt;&#x2F;script&gt;")
                || html.contains("bad &lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("<p>ok</p>"));
        assert!(html.ends_with("</body></html>"));
    }
}
