//! Front matter: splitting it from the body, and its typed, span-aware form.
//!
//! Fields are read into `Raw*` structs whose values carry their position, so
//! a semantic error (an unknown category, a bad date) points at the line of
//! the value, not at the start of the block. Every field is optional at this
//! stage: validation reports each missing one, rather than serde stopping at
//! the first.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
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

impl JsonSchema for Scalar {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Scalar".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["string", "integer"] })
    }
}

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
    /// The source tells several incidents (a monthly availability report):
    /// incidents citing it are not taken for duplicates.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub shared: bool,
}

/// A source with details.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SourceFields {
    /// The address of the post-mortem.
    #[schemars(url)]
    url: String,
    /// Its title.
    #[serde(default)]
    title: Option<String>,
    /// A copy in a web archive, for when the original disappears.
    #[serde(default)]
    archived: Option<String>,
    /// When it was published: YYYY-MM-DD, YYYY-MM or YYYY.
    #[serde(default)]
    #[schemars(schema_with = "date_schema")]
    published: Option<Scalar>,
    /// True when it tells several incidents, such as a monthly availability
    /// report: incidents citing it are then not taken for duplicates.
    #[serde(default)]
    shared: bool,
}

impl JsonSchema for Source {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Source".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let fields = generator.subschema_for::<SourceFields>();
        json_schema!({
            "description": "The URL of a post-mortem, or a map with its details.",
            "anyOf": [{ "type": "string", "format": "uri" }, fields]
        })
    }
}

fn date_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "YYYY-MM-DD, or YYYY-MM / YYYY where only that is known.",
        "anyOf": [
            { "type": "string", "pattern": "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$" },
            { "type": "integer", "minimum": 1900, "maximum": 9999 }
        ]
    })
}

fn duration_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "How long it lasted: 45m, 6h, 2d 3h.",
        "type": "string",
        "pattern": "^\\s*([0-9]+\\s*[mhdw]\\s*)*$"
    })
}

fn slugs_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "items": { "type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$" }
    })
}

fn impact_kinds_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "items": { "enum": IMPACT_KINDS }
    })
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SourceVisitor;
        impl<'de> Visitor<'de> for SourceVisitor {
            type Value = Source;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a URL, or a map with `url` and optional `title`, `archived`, `published`, `shared`",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Source, E> {
                Ok(Source {
                    url: v.to_string(),
                    title: None,
                    archived: None,
                    published: None,
                    shared: false,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Source, A::Error> {
                let fields = SourceFields::deserialize(de::value::MapAccessDeserializer::new(map))?;
                // Empty strings, as `castor new` writes them, mean not given.
                let given = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
                Ok(Source {
                    url: fields.url,
                    title: given(fields.title),
                    archived: given(fields.archived),
                    published: given(fields.published.map(|p| p.0)),
                    shared: fields.shared,
                })
            }
        }
        deserializer.deserialize_any(SourceVisitor)
    }
}

/// The front matter of an incident in content/incidents/. The JSON Schema
/// printed by `castor schema` is generated from this type.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields, title = "castor incident")]
pub struct RawIncident {
    /// One line.
    #[schemars(with = "String")]
    pub title: Option<Spanned<String>>,
    /// The organisation the incident happened to.
    #[schemars(with = "String")]
    pub company: Option<Spanned<String>>,
    #[schemars(schema_with = "date_schema")]
    pub date: Option<Spanned<Scalar>>,
    /// A key of [categories] in book.toml.
    #[schemars(with = "String")]
    pub category: Option<Spanned<String>>,
    /// What actually broke, and why; "Not disclosed" when the sources say nothing.
    #[schemars(with = "String")]
    pub root_cause: Option<Spanned<String>>,
    /// Lessons a reader can act on.
    #[schemars(with = "Vec<String>", length(min = 1))]
    pub lessons: Option<Spanned<Vec<String>>>,
    /// One or two sentences for lists; default: the body's first paragraph.
    pub summary: Option<String>,
    /// Who was hurt, and how much.
    pub impact: Option<String>,
    #[schemars(schema_with = "duration_schema")]
    pub duration: Option<Spanned<Scalar>>,
    /// Lowercase, kebab-case words.
    #[schemars(schema_with = "slugs_schema")]
    pub tags: Vec<Spanned<String>>,
    /// Slugs of pages in content/advice/.
    #[schemars(schema_with = "slugs_schema")]
    pub advice: Vec<Spanned<String>>,
    /// Slugs of incidents with a shared cause.
    #[schemars(schema_with = "slugs_schema")]
    pub related: Vec<Spanned<String>>,
    /// The original post-mortem first.
    #[schemars(with = "Vec<Source>", length(min = 1))]
    pub sources: Option<Spanned<Vec<Spanned<Source>>>>,
    /// Most outages have several causes.
    pub contributing_factors: Vec<String>,
    /// What set it off.
    pub trigger: Option<String>,
    /// How it was noticed.
    pub detection: Option<String>,
    /// How it was ended.
    pub resolution: Option<String>,
    /// Such as bgp, dns, mysql.
    #[schemars(with = "Vec<String>")]
    pub technologies: Vec<Spanned<String>>,
    #[schemars(schema_with = "impact_kinds_schema")]
    pub impact_kind: Vec<Spanned<String>>,
    /// True when nothing broke, but nearly did.
    pub near_miss: bool,
    /// Other organisations hit by the same incident.
    pub also_affected: Vec<String>,
    /// Left out of the site unless built with --drafts.
    pub draft: bool,
    /// The page's old URLs, from the site root (`incidents/old-name/`),
    /// oldest first: each redirects here. The first under `incidents/`
    /// keeps the incident's `id` through a rename.
    #[schemars(with = "Vec<String>")]
    pub aliases: Vec<Spanned<String>>,
}

/// The front matter of an advice page in content/advice/.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields, title = "castor advice")]
pub struct RawAdvice {
    #[schemars(with = "String")]
    pub title: Option<Spanned<String>>,
    pub summary: Option<String>,
    #[schemars(schema_with = "slugs_schema")]
    pub tags: Vec<Spanned<String>>,
    pub draft: bool,
    /// The page's old URLs, from the site root (`advice/old-name/`): each
    /// redirects here.
    #[schemars(with = "Vec<String>")]
    pub aliases: Vec<Spanned<String>>,
}

/// The front matter of a plain page at the top of content/.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields, title = "castor page")]
pub struct RawPage {
    #[schemars(with = "String")]
    pub title: Option<Spanned<String>>,
    pub summary: Option<String>,
    pub draft: bool,
}

/// The incident fields validation reports missing; the schema marks them
/// required (a test keeps the two in step).
pub const REQUIRED_INCIDENT_FIELDS: &[&str] = &[
    "title",
    "company",
    "date",
    "category",
    "root_cause",
    "lessons",
    "sources",
];

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
        assert_eq!(fields, ["title", "summary", "tags", "draft", "aliases"]);
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
