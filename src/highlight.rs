//! Syntax highlighting of fenced code with syntect, as CSS classes (never
//! inline styles), and the light and dark stylesheets those classes need.

use std::sync::LazyLock;

use syntect::highlighting::{Color, ThemeSet};
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

/// The contrast WCAG AA asks of text, with a margin for rounding.
const MIN_CONTRAST: f64 = 4.6;

/// The stylesheet for one theme; `None` for an unknown name. Every colour
/// is made legible on the background it is drawn on: syntect's themes grey
/// out comments to 2.7:1 (InspiredGitHub) and 3.1:1 (base16-ocean.dark).
pub fn stylesheet(theme: &str) -> Option<String> {
    let mut theme = THEMES.themes.get(theme)?.clone();
    let page = theme.settings.background.unwrap_or(Color::WHITE);
    if let Some(text) = &mut theme.settings.foreground {
        *text = legible(*text, page);
    }
    for item in &mut theme.scopes {
        let background = item.style.background.unwrap_or(page);
        if let Some(text) = &mut item.style.foreground {
            *text = legible(*text, background);
        }
    }
    css_for_theme_with_class_style(&theme, CLASS_STYLE).ok()
}

/// `text`, darkened on a light background or lightened on a dark one until
/// it reaches [`MIN_CONTRAST`] against `background`.
fn legible(text: Color, background: Color) -> Color {
    let target = if luminance(background) > 0.18 {
        Color::BLACK
    } else {
        Color::WHITE
    };
    let mix = |from: u8, to: u8, k: f64| {
        (f64::from(from) + (f64::from(to) - f64::from(from)) * k).round() as u8
    };
    (0..=50)
        .map(|step| {
            let k = f64::from(step) / 50.0;
            Color {
                r: mix(text.r, target.r, k),
                g: mix(text.g, target.g, k),
                b: mix(text.b, target.b, k),
                a: text.a,
            }
        })
        .find(|c| contrast(*c, background) >= MIN_CONTRAST)
        .unwrap_or(target)
}

/// WCAG's contrast ratio of two colours.
fn contrast(a: Color, b: Color) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// WCAG's relative luminance.
fn luminance(c: Color) -> f64 {
    let channel = |v: u8| {
        let v = f64::from(v) / 255.0;
        if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)
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

    #[test]
    fn every_theme_colour_is_legible_on_its_background() {
        for name in THEME_NAMES {
            let mut theme = THEMES.themes[*name].clone();
            let css = stylesheet(name).unwrap();
            let page = theme.settings.background.unwrap_or(Color::WHITE);
            for item in &mut theme.scopes {
                let background = item.style.background.unwrap_or(page);
                if let Some(text) = item.style.foreground {
                    let shown = legible(text, background);
                    assert!(contrast(shown, background) >= 4.5, "{name}: {text:?}");
                    let hex = format!("#{:02x}{:02x}{:02x}", shown.r, shown.g, shown.b);
                    assert!(css.contains(&hex), "{name}: {hex} not in the stylesheet");
                }
            }
        }
        // InspiredGitHub's comments, #969896 on white, come out darker.
        let light = stylesheet("InspiredGitHub").unwrap();
        assert!(!light.contains("#969896"), "{light}");
    }
}
