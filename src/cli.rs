//! The command line's grammar, and dispatch to the commands in [`cmd`].
//! `main.rs` only parses and calls [`Cli::run`].

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::cmd::{self, Verbosity};

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
    Build(cmd::build::BuildArgs),
    /// Validate everything `build` would, and warn about likely mistakes; write nothing.
    Check(cmd::check::CheckArgs),
    /// Start a new incident or advice page from a template.
    New(cmd::new::NewArgs),
    /// Serve the site on localhost, rebuilding and reloading on every change.
    Serve(cmd::serve::ServeArgs),
    /// Print the JSON Schema of the front matter.
    Schema(cmd::schema::SchemaArgs),
    /// Create a new knowledge base with an example incident and advice page.
    Init(cmd::init::InitArgs),
    /// Search the knowledge base from the terminal, offline.
    Search(cmd::search::SearchArgs),
    /// Draft incidents from a list of post-mortems written elsewhere.
    Import(cmd::import::ImportArgs),
    /// Write every incident's front matter, URL and advice as JSON or CSV.
    Export(cmd::export::ExportArgs),
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
