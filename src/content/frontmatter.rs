//! Front matter: splitting it from the body, and its typed, span-aware form.
//!
//! Fields are read into `Raw*` structs whose values carry their position, so
//! a semantic error (an unknown category, a bad date) points at the line of
//! the value, not at the start of the block. Every field is optional at this
//! stage: validation reports each missing one, rather than serde stopping at
//! the first.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::diagnostic::Pos;

/// A file split into its front matter and body.
#[derive(Debug)]
pub struct Split<'a> {
    pub yaml: &'a str,
    /// The file line the YAML starts on (1-based).
    pub yaml_line: usize,
    pub body: &'a str,
    /// The file line the body starts on (1-based).
    pub body_line: usize,
}

/// Why a file has no usable front matter.
#[derive(Debug, PartialEq, Eq)]
pub struct SplitError {
    pub pos: Pos,
    pub message: &'static str,
    pub hint: &'static str,
}

/// Splits `---\nyaml\n---\nbody`. The text must already have LF line endings.
pub fn split(text: &str) -> Result<Split<'_>, SplitError> {
    if text.trim().is_empty() {
        return Err(SplitError {
            pos: Pos::START,
            message: "the file is empty",
            hint: "start it with front matter: a `---` line, the fields, then another `---` line",
        });
    }
    let first_end = text.find('\n').unwrap_or(text.len());
    if text[..first_end].trim_end() != "---" {
        return Err(SplitError {
            pos: Pos::START,
            message: "missing front matter: the file must start with a `---` line",
            hint: "put the fields between two `---` lines at the very top of the file",
        });
    }
    let yaml_start = (first_end + 1).min(text.len());
    let mut offset = yaml_start;
    let mut line = 2;
    while offset < text.len() {
        let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
        if matches!(text[offset..end].trim_end(), "---" | "...") {
            let body_start = (end + 1).min(text.len());
            return Ok(Split {
                yaml: &text[yaml_start..offset],
                yaml_line: 2,
                body: &text[body_start..],
                body_line: line + 1,
            });
        }
        offset = end + 1;
        line += 1;
    }
    Err(SplitError {
        pos: Pos::START,
        message: "unterminated front matter: the `---` on line 1 is never closed",
        hint: "add a `---` line after the last field",
    })
}

/// A scalar read as text whatever YAML made of it: `2017` arrives as a
/// number, `2017-02-10` as a string, and both are dates to us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl Visitor<'_> for ScalarVisitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date or a duration")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// Where an incident's story comes from: a URL, or a URL with details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub url: String,
    pub title: Option<String>,
    /// A copy in a web archive, for when the original disappears.
    pub archived: Option<String>,
    pub published: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFields {
    url: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    archived: Option<String>,
    #[serde(default)]
    published: Option<Scalar>,
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SourceVisitor;
        impl<'de> Visitor<'de> for SourceVisitor {
            type Value = Source;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a URL, or a map with `url` and optional `title`, `archived`, `published`",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Source, E> {
                Ok(Source {
                    url: v.to_string(),
                    title: None,
                    archived: None,
                    published: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Source, A::Error> {
                let fields = SourceFields::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Source {
                    url: fields.url,
                    title: fields.title,
                    archived: fields.archived,
                    published: fields.published.map(|p| p.0),
                })
            }
        }
        deserializer.deserialize_any(SourceVisitor)
    }
}

/// An incident's front matter as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawIncident {
    pub title: Option<Spanned<String>>,
    pub company: Option<Spanned<String>>,
    pub date: Option<Spanned<Scalar>>,
    pub category: Option<Spanned<String>>,
    pub root_cause: Option<Spanned<String>>,
    pub lessons: Option<Spanned<Vec<String>>>,
    pub summary: Option<String>,
    pub impact: Option<String>,
    pub duration: Option<Spanned<Scalar>>,
    pub tags: Vec<Spanned<String>>,
    pub advice: Vec<Spanned<String>>,
    pub related: Vec<Spanned<String>>,
    pub sources: Option<Spanned<Vec<Spanned<Source>>>>,
    pub contributing_factors: Vec<String>,
    pub trigger: Option<String>,
    pub detection: Option<String>,
    pub resolution: Option<String>,
    pub technologies: Vec<String>,
    pub impact_kind: Vec<Spanned<String>>,
    pub near_miss: bool,
    pub also_affected: Vec<String>,
    pub draft: bool,
}

/// An advice page's front matter as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawAdvice {
    pub title: Option<Spanned<String>>,
    pub summary: Option<String>,
    pub tags: Vec<Spanned<String>>,
    pub draft: bool,
}

/// A plain page's front matter as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawPage {
    pub title: Option<Spanned<String>>,
    pub summary: Option<String>,
    pub draft: bool,
}

/// The accepted `impact_kind` values.
pub const IMPACT_KINDS: &[&str] = &[
    "full-outage",
    "partial-outage",
    "degraded",
    "increased-errors",
    "increased-latency",
    "cascading-failure",
    "data-loss",
    "security",
    "non-production",
];

/// The top-level keys of a front-matter mapping, each with its position.
pub struct Keys(pub Vec<Spanned<String>>);

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeysVisitor;
        impl<'de> Visitor<'de> for KeysVisitor {
            type Value = Keys;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping of fields, such as `title: ...`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    map.next_value::<IgnoredAny>()?;
                    keys.push(key);
                }
                Ok(Keys(keys))
            }
        }
        deserializer.deserialize_map(KeysVisitor)
    }
}

/// The field names a derived `Deserialize` struct accepts, asked of serde
/// itself so the list can never drift from the struct.
pub fn field_names<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    struct Probe<'a>(&'a mut &'static [&'static str]);
    impl<'de> Deserializer<'de> for Probe<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("probed"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
            enum identifier ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_front_matter_and_counts_body_lines() {
        let s = split("---\ntitle: a\n---\nbody\n").unwrap();
        assert_eq!(s.yaml, "title: a\n");
        assert_eq!(s.yaml_line, 2);
        assert_eq!(s.body, "body\n");
        assert_eq!(s.body_line, 4);
    }

    #[test]
    fn reports_missing_and_unterminated_front_matter() {
        assert_eq!(split("").unwrap_err().message, "the file is empty");
        assert!(
            split("# Title\n")
                .unwrap_err()
                .message
                .starts_with("missing front matter")
        );
        assert!(
            split("---\ntitle: a\n")
                .unwrap_err()
                .message
                .starts_with("unterminated")
        );
    }

    #[test]
    fn asks_serde_for_field_names() {
        let fields = field_names::<RawAdvice>();
        assert_eq!(fields, ["title", "summary", "tags", "draft"]);
        assert!(field_names::<RawIncident>().contains(&"root_cause"));
    }

    #[test]
    fn reads_sources_as_urls_or_maps() {
        let sources: Vec<Source> = serde_saphyr::from_str(
            "- https://a.example/x\n- url: https://b.example/y\n  archived: https://web.archive.org/web/2020/https://b.example/y\n  published: 2021-10-05\n",
        )
        .unwrap();
        assert_eq!(sources[0].url, "https://a.example/x");
        assert_eq!(sources[1].published.as_deref(), Some("2021-10-05"));
        let err = serde_saphyr::from_str::<Vec<Source>>("- url: https://a.example\n  titel: x\n")
            .unwrap_err();
        assert!(err.to_string().contains("unknown field `titel`"));
    }
}
