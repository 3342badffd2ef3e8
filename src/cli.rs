//! Command-line interface: one clap `Args` struct per subcommand, each with
//! its own `run`. `main.rs` only parses and dispatches.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::build::{self, Failure};
use crate::config;
use crate::diagnostic::{self, Diagnostic};

#[derive(Debug, Parser)]
#[command(
    name = "castor",
    version,
    about = "A static-site generator for incident post-mortems"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print nothing but errors.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more about what is done.
    #[arg(long, short, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the site into the output directory.
    Build(BuildArgs),
    /// Validate everything `build` would, and warn about likely mistakes; write nothing.
    Check(crate::check::CheckArgs),
    /// Start a new incident or advice page from a template.
    New(crate::new::NewArgs),
    /// Serve the site on localhost, rebuilding and reloading on every change.
    Serve(crate::serve::ServeArgs),
    /// Print the JSON Schema of the front matter.
    Schema(crate::schema::SchemaArgs),
    /// Create a new knowledge base with an example incident and advice page.
    Init(crate::init::InitArgs),
    /// Search the knowledge base from the terminal, offline.
    Search(crate::search::command::SearchArgs),
    /// Draft incidents from a list of post-mortems written elsewhere.
    Import(crate::import::ImportArgs),
    /// Write every incident's front matter, URL and advice as JSON or CSV.
    Export(crate::export::ExportArgs),
}

/// How much to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

impl Cli {
    pub fn run(self) -> ExitCode {
        let verbosity = match (self.quiet, self.verbose) {
            (true, _) => Verbosity::Quiet,
            (_, true) => Verbosity::Verbose,
            _ => Verbosity::Normal,
        };
        match self.command {
            Command::Build(args) => args.run(verbosity),
            Command::Check(args) => args.run(verbosity),
            Command::New(args) => args.run(verbosity),
            Command::Serve(args) => args.run(verbosity),
            Command::Schema(args) => args.run(),
            Command::Init(args) => args.run(verbosity),
            Command::Search(args) => args.run(verbosity),
            Command::Import(args) => args.run(verbosity),
            Command::Export(args) => args.run(),
        }
    }
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The site's root directory (default: the nearest directory upward holding book.toml, else the current one).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Where to write the site (default: `[build] output` in book.toml, `public`).
    #[arg(long, short, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Include incidents and pages marked `draft: true`.
    #[arg(long)]
    pub drafts: bool,
    /// Replace the output directory even if castor did not create it.
    #[arg(long)]
    pub force: bool,
    /// Print the wall time of each stage (load, site graph, render, indexes, write).
    #[arg(long)]
    pub timings: bool,
}

impl BuildArgs {
    fn run(self, verbosity: Verbosity) -> ExitCode {
        let root = match find_root(self.root.as_deref()) {
            Ok(root) => root,
            Err(code) => return code,
        };
        let options = build::Options {
            output: self.output,
            drafts: self.drafts,
            force: self.force,
            progress: verbosity != Verbosity::Quiet,
        };
        match build::build(&root, &options) {
            Ok(report) => {
                if verbosity != Verbosity::Quiet {
                    print_diagnostics(&root, &report.warnings);
                    println!(
                        "Built {} pages ({} incidents, {} advice) into {} in {:.2}s",
                        report.written.pages,
                        report.incidents,
                        report.advice,
                        diagnostic::display_path(&report.output),
                        report.elapsed.as_secs_f64()
                    );
                    if verbosity == Verbosity::Verbose {
                        let c = report.cache;
                        println!(
                            "{} content files: {} from the parse cache, {} parsed",
                            c.reused + c.parsed,
                            c.reused,
                            c.parsed
                        );
                        let w = report.written;
                        println!(
                            "{} files: {} written, {} unchanged; {} stale files removed",
                            w.files(),
                            w.written,
                            w.unchanged,
                            w.removed
                        );
                    }
                }
                if self.timings {
                    print!("{}", report.timings.table());
                }
                ExitCode::SUCCESS
            }
            Err(failure) => report_failure(
                &root,
                &failure,
                "nothing was written; the previous site is unchanged",
            ),
        }
    }
}

/// Prints a failure's diagnostics and a closing line; returns its exit code.
pub fn report_failure(root: &Path, failure: &Failure, consequence: &str) -> ExitCode {
    match failure {
        Failure::Content(diagnostics) | Failure::Config(diagnostics) => {
            print_diagnostics(root, diagnostics);
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            let files: std::collections::BTreeSet<&Path> = diagnostics
                .iter()
                .filter(|d| d.is_error() && d.has_file())
                .map(|d| d.path.as_path())
                .collect();
            let place = if files.is_empty() {
                String::new()
            } else {
                format!(" in {}", diagnostic::count(files.len(), "file"))
            };
            eprintln!(
                "error: {}{place}; {consequence}",
                diagnostic::count(errors, "error")
            );
        }
        Failure::Io(e) => eprintln!("error: {e:#}; {consequence}"),
        Failure::Partial(e) => eprintln!("error: {e:#}; build again to complete it"),
    }
    ExitCode::from(failure.exit_code())
}

/// Prints diagnostics with their source lines, reading each file once.
pub fn print_diagnostics(root: &Path, diagnostics: &[Diagnostic]) {
    let shown = diagnostic::Sources::new(root);
    let mut sources: std::collections::HashMap<&Path, Option<String>> =
        std::collections::HashMap::new();
    for d in diagnostics {
        let source = sources
            .entry(d.path.as_path())
            .or_insert_with(|| shown.read(&d.path));
        eprintln!("{}", d.render(source.as_deref()));
    }
}

/// The site root, as [`find_root`] finds it, and its configuration; a bad
/// book.toml is printed and is a usage error.
pub fn find_site(explicit: Option<&Path>) -> Result<(PathBuf, config::Config), ExitCode> {
    let root = find_root(explicit)?;
    let config = config::Config::load(&root).map_err(|d| {
        eprintln!("{d}");
        ExitCode::from(2)
    })?;
    Ok((root, config))
}

/// The site root: `--root` if given, else the nearest directory upward from
/// the current one that holds book.toml, else the current directory.
pub fn find_root(explicit: Option<&Path>) -> Result<PathBuf, ExitCode> {
    if let Some(root) = explicit {
        if !root.is_dir() {
            let problem = if root.exists() {
                "is not a directory"
            } else {
                "does not exist"
            };
            eprintln!("error: the root directory `{}` {problem}", root.display());
            return Err(ExitCode::from(2));
        }
        return Ok(root.to_path_buf());
    }
    let cwd = std::env::current_dir().map_err(|e| {
        eprintln!("error: cannot read the current directory: {e}");
        ExitCode::from(2)
    })?;
    let found = cwd
        .ancestors()
        .find(|dir| dir.join(config::FILE_NAME).is_file());
    Ok(found.map_or(cwd.clone(), Path::to_path_buf))
}
