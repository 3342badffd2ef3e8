//! `castor init`: a new knowledge base that builds at once, with an example
//! incident, an advice page it cites, and an about page.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::cmd::Verbosity;

/// The starter files, by path in the new site.
const FILES: &[(&str, &str)] = &[
    ("book.toml", include_str!("init/book.toml")),
    (
        "content/incidents/2017-01-31-gitlab-database-deletion.md",
        include_str!("init/incident.md"),
    ),
    (
        "content/advice/test-your-restores.md",
        include_str!("init/advice.md"),
    ),
    ("content/about.md", include_str!("init/about.md")),
];

/// Keeps the built site and castor's cache and search index out of git.
/// Written only where there is no .gitignore yet: a repository's own is
/// left as it is.
const GITIGNORE: &str =
    "# The built site, and castor's cache, search index and lock.\npublic/\n.castor/\n";

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to create the knowledge base (default: the current directory).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

impl InitArgs {
    pub fn run(self, verbosity: Verbosity) -> ExitCode {
        match create(&self.dir) {
            Ok(written) => {
                if verbosity != Verbosity::Quiet {
                    for path in &written {
                        println!("created {}", path.display());
                    }
                    println!(
                        "Now run `castor build` in {} and open public/index.html.",
                        self.dir.display()
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            }
        }
    }
}

/// The starter book.toml, with every category a site without book.toml
/// has, so any `castor new --category` works on a new knowledge base.
fn book_toml() -> String {
    let mut text = FILES[0].1.to_string();
    for (key, category) in &crate::config::Config::default().categories {
        let quoted = |s: &str| serde_json::to_string(s).expect("a string serializes");
        text.push_str(&format!(
            "\n[categories.{key}]\nname = {}\ndescription = {}\n",
            quoted(&category.name),
            quoted(&category.description)
        ));
    }
    text
}

/// Writes the starter files, refusing to touch any existing one.
pub fn create(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    for (path, _) in FILES {
        let path = dir.join(path);
        anyhow::ensure!(
            !path.exists(),
            "{} already exists; castor init never overwrites a file",
            path.display()
        );
    }
    let mut written = Vec::new();
    let gitignore = dir.join(".gitignore");
    let book = book_toml();
    let files = FILES
        .iter()
        .map(|&(path, text)| (path, if path == "book.toml" { &book } else { text }))
        .chain((!gitignore.exists()).then_some((".gitignore", GITIGNORE)));
    for (path, text) in files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", parent.display()))?;
        }
        // Even a file appearing since the check is never overwritten.
        crate::guard::create_new_file(&path, text)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
