//! `castor schema`: the JSON Schema of the front matter, generated from the
//! same types that parse it, for editors that validate YAML as one types.

use std::process::ExitCode;

use clap::Args;

use crate::content::Section;
use crate::content::frontmatter::{REQUIRED_INCIDENT_FIELDS, RawAdvice, RawIncident, RawPage};

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which front matter to describe.
    #[arg(value_enum, default_value_t = Section::Incidents)]
    pub kind: Section,
}

impl SchemaArgs {
    pub fn run(self) -> ExitCode {
        println!("{}", schema(self.kind));
        ExitCode::SUCCESS
    }
}

/// The schema as pretty JSON.
pub fn schema(kind: Section) -> String {
    let (schema, required) = match kind {
        Section::Incidents => (schemars::schema_for!(RawIncident), REQUIRED_INCIDENT_FIELDS),
        Section::Advice => (schemars::schema_for!(RawAdvice), &["title"][..]),
        Section::Pages => (schemars::schema_for!(RawPage), &["title"][..]),
    };
    let mut value = serde_json::to_value(&schema).expect("a schema serializes");
    // Every field is optional to serde, so that validation can report each
    // missing one; the schema says which ones are really needed.
    value["required"] = required.into();
    // serde's struct-level `default` makes every field look defaulted, even
    // the required ones; editors would offer `null`, so drop the defaults.
    if let Some(properties) = value.get_mut("properties").and_then(|p| p.as_object_mut()) {
        for property in properties.values_mut() {
            if let Some(map) = property.as_object_mut() {
                map.remove("default");
            }
        }
    }
    serde_json::to_string_pretty(&value).expect("a schema serializes")
}
