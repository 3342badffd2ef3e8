//! `castor check`: everything `build` validates, plus warnings, without
//! writing anything. Three formats: for people, for GitHub (and Gitea)
//! Actions annotations, and JSON for tools.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::build::{self, Failure};
use crate::cmd::{Verbosity, find_root, print_diagnostics};
use crate::diagnostic::{self, Diagnostic, Severity, display_path};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `path:line:col: error: message`, the source line and a caret.
    Human,
    /// `::error file=…,line=…,col=…::message` workflow commands.
    Github,
    /// One JSON array of problems.
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The site's root directory (default: the nearest directory upward holding book.toml).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// How to print the problems.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

impl CheckArgs {
    pub fn run(self, verbosity: Verbosity) -> ExitCode {
        let root = match find_root(self.root.as_deref()) {
            Ok(root) => root,
            Err(code) => return code,
        };
        let (diagnostics, code) = match build::check(&root) {
            Ok(diagnostics) => {
                let code = if diagnostics.iter().any(Diagnostic::is_error) {
                    1
                } else {
                    0
                };
                (diagnostics, code)
            }
            Err(Failure::Config(diagnostics)) => (diagnostics, 2),
            Err(Failure::Content(diagnostics)) => (diagnostics, 1),
            Err(Failure::Io(e) | Failure::Partial(e)) => {
                (vec![Diagnostic::general(format!("{e:#}"))], 1)
            }
        };
        match self.format {
            Format::Human => {
                print_diagnostics(&root, &diagnostics);
                if verbosity != Verbosity::Quiet || code != 0 {
                    eprintln!("{}", summary(&diagnostics));
                }
            }
            Format::Github => print!("{}", github(&diagnostics)),
            Format::Json => println!("{}", json(&diagnostics)),
        }
        ExitCode::from(code)
    }
}

fn summary(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    if diagnostics.is_empty() {
        "check: no problems found".into()
    } else {
        format!(
            "check: {} and {}",
            diagnostic::count(errors, "error"),
            diagnostic::count(warnings, "warning")
        )
    }
}

/// GitHub's workflow-command escaping: data and property values differ.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One workflow command per problem, which GitHub and Gitea Actions turn
/// into annotations on the pull request.
pub fn github(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| {
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let message = match &d.hint {
                Some(hint) => format!("{}\n{hint}", d.message),
                None => d.message.clone(),
            };
            if d.has_file() {
                format!(
                    "::{level} file={},line={},col={}::{}\n",
                    escape_property(&display_path(&d.path)),
                    d.pos.line,
                    d.pos.col,
                    escape_data(&message)
                )
            } else {
                format!("::{level}::{}\n", escape_data(&message))
            }
        })
        .collect()
}

/// A problem as `--format json` prints it; the field names are stable.
#[derive(Serialize)]
struct JsonProblem<'a> {
    file: Option<String>,
    line: usize,
    column: usize,
    severity: Severity,
    message: &'a str,
    hint: Option<&'a str>,
}

pub fn json(diagnostics: &[Diagnostic]) -> String {
    let problems: Vec<JsonProblem> = diagnostics
        .iter()
        .map(|d| JsonProblem {
            file: d.has_file().then(|| display_path(&d.path)),
            line: d.pos.line,
            column: d.pos.col,
            severity: d.severity,
            message: &d.message,
            hint: d.hint.as_deref(),
        })
        .collect();
    serde_json::to_string_pretty(&problems).expect("plain data serializes")
}
