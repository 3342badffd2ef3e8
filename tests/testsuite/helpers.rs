//! Fixture sites, the binary, and assertions on files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (where Cargo.toml is).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of `tests/fixtures/<name>` in a fresh temporary directory.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new(name: &str) -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(&repo().join("tests/fixtures").join(name), dir.path());
        Fixture { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    /// Runs castor with the fixture as the current directory.
    pub fn castor(&self, args: &[&str]) -> Run {
        castor_in(self.root(), args)
    }

    /// Runs `castor search` with `args` in the fixture.
    pub fn search(&self, args: &[&str]) -> Run {
        let mut all = vec!["search"];
        all.extend_from_slice(args);
        castor_in(self.root(), &all)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of the repository's book.toml and content in a fresh directory,
/// so a test can edit it and owns its `.castor/` (build lock and search
/// index): tests building the repository itself would race for its lock.
pub struct Knowledge {
    pub dir: tempfile::TempDir,
}

impl Knowledge {
    pub fn copy() -> Knowledge {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::copy(repo().join("book.toml"), dir.path().join("book.toml")).unwrap();
        for entry in walkdir::WalkDir::new(repo().join("content")) {
            let entry = entry.unwrap();
            let target = dir.path().join(entry.path().strip_prefix(repo()).unwrap());
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&target).unwrap();
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
        Knowledge { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn castor(&self, args: &[&str]) -> Run {
        castor_in(self.root(), args)
    }
}

/// Sets `[build] links = "files"` in the book.toml at `root`, which must
/// have a `[build]` table.
pub fn use_file_links(root: &Path) {
    let path = root.join("book.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    assert!(
        config.contains("[build]\n"),
        "no [build] in {}",
        path.display()
    );
    let config = config.replacen("[build]\n", "[build]\nlinks = \"files\"\n", 1);
    std::fs::write(path, config).unwrap();
}

/// What a castor run printed and returned.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn success(self) -> Run {
        assert_eq!(
            self.code, 0,
            "castor failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "unexpected exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

pub fn castor_in(dir: &Path, args: &[&str]) -> Run {
    Command::new(env!("CARGO_BIN_EXE_castor"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run castor")
        .into()
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Every file under `dir` with its bytes: compare two to prove nothing changed.
pub fn snapshot_dir(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().to_path_buf(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Every HTML file under `dir`, by path relative to it.
pub fn html_files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .map(|e| e.path().strip_prefix(dir).unwrap().to_path_buf())
        .collect()
}

/// The `href` and `src` values of an HTML document.
pub fn links_in(html: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"(?:href|src)="([^"]*)""#).unwrap();
    re.captures_iter(html)
        .map(|c| c[1].replace("&amp;", "&"))
        .collect()
}

/// A static file server on 127.0.0.1 for the browser tests: GET only, one
/// thread per connection, like any plain host of the built site.
pub struct FileServer {
    pub port: u16,
}

impl FileServer {
    pub fn start(dir: PathBuf) -> FileServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let dir = dir.clone();
                std::thread::spawn(move || serve_one(&dir, stream));
            }
        });
        FileServer { port }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }
}

fn serve_one(dir: &Path, mut stream: std::net::TcpStream) {
    use std::io::{BufRead, BufReader, Write};
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    // Drain the headers; nothing in them matters here.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let mut parts = request.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let decoded = castor::urls::percent_decode(path.trim_start_matches('/'));
    let path = decoded.clone().unwrap_or_default();
    let mut file = dir.join(&path);
    if path.is_empty() || path.ends_with('/') {
        file = file.join("index.html");
    }
    let safe = decoded.is_some() && !path.split('/').any(|p| p == "..");
    let (status, body) = match std::fs::read(&file) {
        Ok(bytes) if method == "GET" && safe => ("200 OK", bytes),
        _ if method != "GET" => ("405 Method Not Allowed", Vec::new()),
        _ => ("404 Not Found", b"not found".to_vec()),
    };
    let kind = match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("css") => "text/css",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(&body);
}
