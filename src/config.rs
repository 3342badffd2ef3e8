//! `book.toml`: the site's configuration, with a default for every key so a
//! folder holding only `content/` builds.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diagnostic::{Diagnostic, Pos};
use crate::slug;

/// The configuration file's name, looked for in the site root.
pub const FILE_NAME: &str = "book.toml";
const MAX_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub site: SiteConfig,
    pub build: BuildConfig,
    pub markdown: MarkdownConfig,
    pub search: SearchConfig,
    /// Categories by key, listed alphabetically. Replaces the built-in set
    /// when present.
    pub categories: BTreeMap<String, Category>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SiteConfig {
    pub title: String,
    pub description: String,
    /// The public address of the site, used only where a format demands an
    /// absolute URL (the feed, the sitemap, a page's canonical address);
    /// every link between pages stays relative.
    pub base_url: String,
    pub language: String,
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            title: "Incident post-mortems".into(),
            description: "What went wrong, and what to do about it.".into(),
            base_url: "/".into(),
            language: "en".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BuildConfig {
    pub content: PathBuf,
    pub output: PathBuf,
    pub theme: String,
    pub drafts: bool,
    /// Warn when the site has more files than this: static hosts limit
    /// them (Cloudflare Pages: 20,000 on its free plan).
    pub max_files: Option<usize>,
    /// Warn when the site is larger than this many bytes (GitHub Pages
    /// and GitLab Pages: 1 GB).
    pub max_bytes: Option<u64>,
    /// How pages link to each other: by directory, or naming each
    /// directory's `index.html` so the site works opened from disk.
    pub links: LinkStyle,
    /// How many incidents a list page shows (every incident, a term's, an
    /// advice page's, a year of the timeline); longer lists go on to
    /// `page/2/`, `page/3/`..., so no page grows with the knowledge base.
    pub page_size: NonZeroUsize,
}

/// `[build] links`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkStyle {
    /// `incidents/x/`: short addresses, for a web server, which serves a
    /// directory's `index.html`.
    #[default]
    Pretty,
    /// `incidents/x/index.html`: for reading from disk (`file://`), where
    /// a directory shows as a listing.
    Files,
}

/// The default of `[build] page_size`: a few screens of cards.
pub const PAGE_SIZE: NonZeroUsize = NonZeroUsize::new(50).expect("not zero");

impl Default for BuildConfig {
    fn default() -> Self {
        BuildConfig {
            content: "content".into(),
            output: "public".into(),
            theme: "default".into(),
            drafts: false,
            max_files: None,
            max_bytes: None,
            links: LinkStyle::Pretty,
            page_size: PAGE_SIZE,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarkdownConfig {
    /// syntect theme for the light stylesheet.
    pub highlight_theme: String,
    /// syntect theme for the dark stylesheet (`prefers-color-scheme: dark`).
    pub highlight_theme_dark: String,
    /// Let raw HTML through with a permissive sanitizer instead of the strict
    /// one. Scripts and `javascript:` URLs are removed either way.
    pub allow_raw_html: bool,
}

impl Default for MarkdownConfig {
    fn default() -> Self {
        MarkdownConfig {
            highlight_theme: "InspiredGitHub".into(),
            highlight_theme_dark: "base16-ocean.dark".into(),
            allow_raw_html: false,
        }
    }
}

/// `[search]`: where the tantivy index lives.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchConfig {
    /// The tantivy index, relative to the site root. Kept out of the
    /// published site: it is for `castor search`, not for readers.
    pub index_dir: PathBuf,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            index_dir: ".castor/index".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            site: SiteConfig::default(),
            build: BuildConfig::default(),
            markdown: MarkdownConfig::default(),
            search: SearchConfig::default(),
            categories: default_categories(),
        }
    }
}

fn default_categories() -> BTreeMap<String, Category> {
    [
        (
            "config",
            "Configuration",
            "A configuration change or a wrong setting.",
        ),
        (
            "database",
            "Database",
            "Databases, replication and the data they hold.",
        ),
        (
            "network",
            "Network",
            "Routing, DNS, partitions and the links between systems.",
        ),
        (
            "hardware",
            "Hardware",
            "Machines, power, cooling and data-centre facilities.",
        ),
        (
            "security",
            "Security",
            "Intrusions, leaks and exposed systems.",
        ),
        (
            "capacity",
            "Capacity",
            "Running out of room, memory, connections or throughput.",
        ),
        ("software", "Software", "A bug in the code that ran."),
        (
            "deployment",
            "Deployment",
            "Releasing a change: rollouts, migrations, partial deploys.",
        ),
        (
            "dependency",
            "Dependency",
            "A provider or a shared service failed underneath.",
        ),
        (
            "human",
            "Human",
            "A manual action, a process gap, or a message sent by mistake.",
        ),
        (
            "time",
            "Time",
            "Clocks, leap seconds, time zones and expiring dates.",
        ),
    ]
    .into_iter()
    .map(|(key, name, description)| {
        (
            key.to_string(),
            Category {
                name: name.into(),
                description: description.into(),
            },
        )
    })
    .collect()
}

impl Config {
    /// Reads `book.toml` from `root`; a missing file means all defaults.
    pub fn load(root: &Path) -> Result<Config, Diagnostic> {
        let path = root.join(FILE_NAME);
        // A regular file of sane size: a book.toml linked to a pipe or a
        // device would hang or fill memory.
        match crate::text::read_regular(&path, MAX_BYTES) {
            Ok(text) => Config::parse(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(Diagnostic::error(
                FILE_NAME,
                Pos::START,
                format!("cannot read: {e}"),
            )),
        }
    }

    /// Parses book.toml text; errors point at its line and column.
    pub fn parse(text: &str) -> Result<Config, Diagnostic> {
        let config: Config = toml::from_str(text).map_err(|e| toml_diagnostic(text, &e))?;
        config.validate(text)?;
        Ok(config)
    }

    fn validate(&self, text: &str) -> Result<(), Diagnostic> {
        let at = |needle: &str| {
            text.find(needle)
                .map_or(Pos::START, |offset| Pos::of_offset(text, offset))
        };
        if let Some(bad) = self.categories.keys().find(|k| !slug::is_valid(k)) {
            return Err(Diagnostic::error(
                FILE_NAME,
                at(&format!("categories.{bad}")),
                format!("category key `{bad}` is not a valid slug"),
            )
            .with_hint(format!(
                "use lowercase letters, digits and hyphens, such as `{}`",
                slug::slugify(bad)
            )));
        }
        if self.categories.is_empty() {
            return Err(
                Diagnostic::error(FILE_NAME, at("[categories"), "no category defined")
                    .with_hint("define at least one `[categories.<key>]` table with a `name`"),
            );
        }
        for (key, theme) in [
            ("highlight_theme", &self.markdown.highlight_theme),
            ("highlight_theme_dark", &self.markdown.highlight_theme_dark),
        ] {
            let known = crate::highlight::THEME_NAMES;
            if !known.contains(&theme.as_str()) {
                return Err(Diagnostic::error(
                    FILE_NAME,
                    at(key),
                    format!("unknown highlight theme `{theme}` in `markdown.{key}`"),
                )
                .with_hint(slug::suggest(theme, known)));
            }
        }
        Ok(())
    }

    /// Where `key = ...` stands in the site's book.toml, for errors about a
    /// setting's value found after parsing.
    pub fn key_position(root: &Path, key: &str) -> Option<Pos> {
        let text = crate::text::read_regular(&root.join(FILE_NAME), MAX_BYTES).ok()?;
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let trimmed = line.trim_start();
            if trimmed
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
            {
                return Some(Pos::of_offset(&text, offset + line.len() - trimmed.len()));
            }
            offset += line.len();
        }
        None
    }

    /// Category keys in their listing order.
    pub fn category_keys(&self) -> Vec<&str> {
        self.categories.keys().map(String::as_str).collect()
    }
}

fn toml_diagnostic(text: &str, e: &toml::de::Error) -> Diagnostic {
    let pos = e
        .span()
        .map_or(Pos::START, |span| Pos::of_offset(text, span.start));
    let message = e.message().trim().replace('\n', " ");
    let mut diagnostic = Diagnostic::error(FILE_NAME, pos, message.clone());
    // toml lists the accepted keys; add the likely one, as for front matter.
    if let (Some(unknown), Some(list)) = (
        message
            .strip_prefix("unknown field `")
            .and_then(|r| r.split('`').next()),
        message
            .split("expected one of ")
            .nth(1)
            .or_else(|| message.split("expected ").nth(1)),
    ) {
        let accepted: Vec<&str> = list
            .split(", ")
            .map(|k| k.trim_matches(|c| c == '`' || c == ' '))
            .collect();
        if let Some(best) = slug::closest(unknown, accepted.iter().copied()) {
            diagnostic = diagnostic.with_hint(format!("did you mean `{best}`?"));
        }
    }
    diagnostic
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_gives_every_default() {
        let config = Config::parse("").unwrap();
        assert_eq!(config.build.output, PathBuf::from("public"));
        assert_eq!(config.categories.len(), 11);
        assert!(!config.markdown.allow_raw_html);
        assert_eq!(config.search.index_dir, PathBuf::from(".castor/index"));
    }

    #[test]
    fn reads_the_search_table() {
        let config = Config::parse("[search]\nindex_dir = \"idx\"\n").unwrap();
        assert_eq!(config.search.index_dir, PathBuf::from("idx"));
        let err = Config::parse("[search]\nindex_dri = \"idx\"\n").unwrap_err();
        assert!(
            err.message.contains("unknown field `index_dri`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn rejects_unknown_keys_with_line_and_suggestion() {
        let err = Config::parse("[site]\ntitle = \"x\"\ntitel = \"y\"\n").unwrap_err();
        assert_eq!(err.pos, Pos::new(3, 1));
        assert!(
            err.message.contains("unknown field `titel`"),
            "{}",
            err.message
        );
        assert_eq!(err.hint.as_deref(), Some("did you mean `title`?"));
    }

    #[test]
    fn rejects_wrong_types_with_line() {
        let err = Config::parse("[build]\ndrafts = \"yes\"\n").unwrap_err();
        assert_eq!(err.pos.line, 2);
    }

    #[test]
    fn links_are_pretty_unless_files_are_asked_for() {
        assert_eq!(Config::parse("").unwrap().build.links, LinkStyle::Pretty);
        let config = Config::parse("[build]\nlinks = \"files\"\n").unwrap();
        assert_eq!(config.build.links, LinkStyle::Files);
        let err = Config::parse("[build]\nlinks = \"file\"\n").unwrap_err();
        assert_eq!(err.pos.line, 2);
        assert!(
            err.message.contains("expected `pretty` or `files`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn defined_categories_replace_the_defaults() {
        let config = Config::parse("[categories.net]\nname = \"Network\"\n").unwrap();
        assert_eq!(config.category_keys(), ["net"]);
    }
}
