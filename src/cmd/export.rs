//! `castor export --format json|csv`: the exported document on standard
//! output.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::{find_site, report_failure};
use crate::build::{self, Loaded};
use crate::export::{csv, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object: `{"version": 1, "incidents": [...]}`.
    Json,
    /// A header line, then a row per incident.
    Csv,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The format written to standard output.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Include incidents marked `draft: true`.
    #[arg(long)]
    pub drafts: bool,
    /// The site's root directory (default: the nearest directory upward holding book.toml).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

impl ExportArgs {
    pub fn run(self) -> ExitCode {
        let (root, config) = match find_site(self.root.as_deref()) {
            Ok(site) => site,
            Err(code) => return code,
        };
        let Loaded { site, .. } = match build::load(&root, config, self.drafts) {
            Ok(loaded) => loaded,
            Err(failure) => return report_failure(&root, &failure, "nothing was exported"),
        };
        let text = match self.format {
            Format::Json => json(&site),
            Format::Csv => match csv(&site) {
                Ok(text) => text,
                Err(e) => {
                    eprintln!("error: cannot write the CSV: {e}");
                    return ExitCode::from(1);
                }
            },
        };
        match std::io::stdout().lock().write_all(text.as_bytes()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: cannot write to standard output: {e}");
                ExitCode::from(1)
            }
        }
    }
}
