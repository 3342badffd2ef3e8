//! Syntax highlighting of fenced code with syntect, as CSS classes (never
//! inline styles), and the light and dark stylesheets those classes need.

use std::sync::LazyLock;

use syntect::highlighting::ThemeSet;
use syntect::html::{ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// Every class syntect writes starts with this, so theme CSS cannot clash
/// with the site's own.
const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);
static THEMES: LazyLock<ThemeSet> = LazyLock::new(ThemeSet::load_defaults);

/// The names accepted by `markdown.highlight_theme` and `highlight_theme_dark`:
/// syntect's default themes, written out so that checking book.toml, which
/// every command does, does not decompress them (a test keeps the list true).
pub const THEME_NAMES: &[&str] = &[
    "InspiredGitHub",
    "Solarized (dark)",
    "Solarized (light)",
    "base16-eighties.dark",
    "base16-mocha.dark",
    "base16-ocean.dark",
    "base16-ocean.light",
];

/// The stylesheet for one theme; `None` for an unknown name.
pub fn stylesheet(theme: &str) -> Option<String> {
    css_for_theme_with_class_style(THEMES.themes.get(theme)?, CLASS_STYLE).ok()
}

/// Highlights `code` as the language named by a fence's info string
/// (`bash`, `yaml`, `rs`...). Returns `None` when syntect does not know the
/// language, so the caller falls back to plain escaped text.
pub fn highlight(code: &str, language: &str) -> Option<String> {
    let token = language.split([' ', ',', '{']).next().unwrap_or_default();
    if token.is_empty() {
        return None;
    }
    let syntax = SYNTAXES.find_syntax_by_token(token)?;
    let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, &SYNTAXES, CLASS_STYLE);
    for line in LinesWithEndings::from(code) {
        generator
            .parse_html_for_line_which_includes_newline(line)
            .ok()?;
    }
    Some(generator.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theme_names_are_the_themes_syntect_ships() {
        let shipped: Vec<&str> = THEMES.themes.keys().map(String::as_str).collect();
        assert_eq!(shipped, THEME_NAMES);
    }

    #[test]
    fn highlights_with_classes_not_styles() {
        let html = highlight("set -euo pipefail\necho \"$1\"\n", "bash").unwrap();
        assert!(html.contains("class=\"hl-"), "{html}");
        assert!(!html.contains("style="));
    }

    #[test]
    fn unknown_languages_are_left_to_the_caller() {
        assert_eq!(highlight("x", "no-such-language"), None);
        assert_eq!(highlight("x", ""), None);
    }

    #[test]
    fn default_themes_have_stylesheets() {
        assert!(stylesheet("InspiredGitHub").unwrap().contains(".hl-"));
        assert!(stylesheet("nope").is_none());
    }
}
