//! Problems found in a site's files, collected as data and printed at the end.
//!
//! Every stage reports what it finds as a [`Diagnostic`] instead of stopping at
//! the first problem, so a contributor sees the whole list in one run.

use std::fmt;
use std::path::{Path, PathBuf};

/// How bad a problem is: errors stop a build, warnings do not.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A 1-based line and column in a file, counted from the top of the file.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Pos {
    /// The start of a file: where problems about the file as a whole point.
    pub const START: Pos = Pos { line: 1, col: 1 };

    pub fn new(line: usize, col: usize) -> Pos {
        Pos {
            line: line.max(1),
            col: col.max(1),
        }
    }

    /// Where the first byte that is not UTF-8 stands in a file.
    pub fn of_invalid_utf8(e: &std::string::FromUtf8Error) -> Pos {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        Pos::of_offset(std::str::from_utf8(valid).unwrap_or_default(), valid.len())
    }

    /// The position of byte `offset` in `text`.
    pub fn of_offset(text: &str, offset: usize) -> Pos {
        let before = &text.as_bytes()[..offset.min(text.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let col = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        Pos { line, col }
    }
}

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    /// The file, relative to the site root where possible.
    pub path: PathBuf,
    pub pos: Pos,
    pub severity: Severity,
    pub message: String,
    /// A likely fix, shown under the message.
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(path: impl Into<PathBuf>, pos: Pos, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: path.into(),
            pos,
            severity: Severity::Error,
            message: message.into(),
            hint: None,
        }
    }

    pub fn warning(path: impl Into<PathBuf>, pos: Pos, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(path, pos, message)
        }
    }

    /// A problem with no file to point at, such as a command-line option.
    pub fn general(message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(PathBuf::new(), Pos::START, message)
    }

    /// True when the diagnostic points into a file.
    pub fn has_file(&self) -> bool {
        !self.path.as_os_str().is_empty()
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_optional_hint(mut self, hint: Option<String>) -> Diagnostic {
        self.hint = hint;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.has_file() {
            write!(
                f,
                "{}:{}:{}: ",
                display_path(&self.path),
                self.pos.line,
                self.pos.col
            )?;
        }
        write!(f, "{}: {}", self.severity, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  = help: {hint}")?;
        }
        Ok(())
    }
}

impl Diagnostic {
    /// The rustc-like form: the message, the offending line with a caret
    /// under the spot, and the hint. `source` is the file's text, when it
    /// can be read.
    pub fn render(&self, source: Option<&str>) -> String {
        let line = source
            .filter(|_| self.has_file())
            .and_then(|text| text.lines().nth(self.pos.line - 1))
            .map(|l| l.trim_end_matches('\r'));
        let Some(line) = line else {
            return self.to_string();
        };
        let (line, col) = window(line, self.pos.col);
        let number = self.pos.line.to_string();
        let pad = " ".repeat(number.len());
        let caret_at: String = line
            .chars()
            .take(col - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let mut out = format!(
            "{}:{}:{}: {}: {}\n{pad} |\n{number} | {line}\n{pad} | {caret_at}^",
            display_path(&self.path),
            self.pos.line,
            self.pos.col,
            self.severity,
            self.message
        );
        if let Some(hint) = &self.hint {
            out.push_str(&format!("\n{pad} = help: {hint}"));
        }
        out
    }
}

/// How many characters of a source line a diagnostic shows: a minified
/// or generated line can be megabytes long.
const SHOWN_CHARS: usize = 120;

/// The part of `line` shown under a diagnostic, at most [`SHOWN_CHARS`]
/// characters around column `col`, with `…` where it was cut; and the
/// column within it.
fn window(line: &str, col: usize) -> (String, usize) {
    let chars = line.chars().count();
    if chars <= SHOWN_CHARS {
        return (line.to_string(), col);
    }
    let start = col.saturating_sub(SHOWN_CHARS / 2).min(chars - SHOWN_CHARS);
    let mut shown: String = line.chars().skip(start).take(SHOWN_CHARS).collect();
    let mut col = col - start;
    if start > 0 {
        shown.insert(0, '…');
        col += 1;
    }
    if start + SHOWN_CHARS < chars {
        shown.push('…');
    }
    (shown, col)
}

/// A path as users type it: forward slashes on every platform.
pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// Sorts diagnostics by file, then position, so output is stable across runs
/// whatever order the parallel stages finished in.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (&a.path, a.pos, a.severity, &a.message).cmp(&(&b.path, b.pos, b.severity, &b.message))
    });
}

/// "1 error", "3 warnings".
pub fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
