//! `castor build`: the whole pipeline, then a summary of what was written.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{Verbosity, find_root, print_diagnostics, report_failure};
use crate::build;
use crate::diagnostic;

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
    pub fn run(self, verbosity: Verbosity) -> ExitCode {
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
                        "Built {} pages ({} incidents, {} advice) into {} in {:.2}s: {} files, {}",
                        report.written.pages,
                        report.site.incidents.len(),
                        report.site.advice.len(),
                        diagnostic::display_path(&report.output),
                        report.elapsed.as_secs_f64(),
                        report.written.files(),
                        megabytes(report.written.bytes)
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
                // The process ends now, and the system takes its memory
                // back at once: freeing a large site would only delay that.
                std::mem::forget(report.site);
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

/// "12.3 MB".
fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}
