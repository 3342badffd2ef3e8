//! `castor export` and the site's `/incidents.json`: every incident's front
//! matter, URL and advice, read back and compared with the files.

use serde_json::{Map, Value, json};

use crate::helpers::{Fixture, Knowledge};

/// The front matter of every incident file of the site, by slug.
fn front_matters(root: &std::path::Path) -> Vec<(String, Map<String, Value>)> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(root.join("content/incidents")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let split = castor::content::frontmatter::split(&text).unwrap();
        let yaml: Map<String, Value> = serde_saphyr::from_str(split.yaml).unwrap();
        let slug = path.file_stem().unwrap().to_string_lossy().into_owned();
        all.push((slug, yaml));
    }
    all
}

/// A scalar as castor reads it: text, trimmed; YAML numbers are dates.
fn scalar(value: &Value) -> Value {
    match value {
        Value::String(s) if s.trim().is_empty() => Value::Null,
        Value::String(s) => s.trim().into(),
        Value::Number(n) => n.to_string().into(),
        other => other.clone(),
    }
}

/// A source as the export writes it: always the four fields.
fn source(value: &Value) -> Value {
    match value {
        Value::String(url) => {
            json!({"url": url, "title": null, "archived": null, "published": null})
        }
        Value::Object(map) => {
            let field = |k: &str| map.get(k).map_or(Value::Null, scalar);
            json!({
                "url": field("url"),
                "title": field("title"),
                "archived": field("archived"),
                "published": field("published"),
            })
        }
        other => panic!("not a source: {other}"),
    }
}

fn json_export(run_in: &Knowledge, args: &[&str]) -> Value {
    let mut all = vec!["export", "--format", "json"];
    all.extend_from_slice(args);
    let run = run_in.castor(&all).success();
    assert_eq!(run.stderr, "");
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn json_export_holds_every_front_matter_field_and_is_the_sites_incidents_json() {
    let kb = Knowledge::copy();
    let run = kb.castor(&["export", "--format", "json"]).success();
    let document: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(document["version"], 1);
    let incidents = document["incidents"].as_array().unwrap();
    let files = front_matters(kb.root());
    assert_eq!(incidents.len(), files.len());

    // Newest first, as the site lists them; a date known only to the
    // month or year comes after the days of that month or year.
    let dates: Vec<&str> = incidents
        .iter()
        .map(|i| i["date"].as_str().unwrap())
        .collect();
    for pair in dates.windows(2) {
        assert!(pair[0] >= pair[1], "{} before {}", pair[0], pair[1]);
    }

    let book = std::fs::read_to_string(kb.root().join("book.toml")).unwrap();
    let base_url = book
        .lines()
        .find_map(|l| l.strip_prefix("base_url = \""))
        .and_then(|l| l.split('"').next())
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let empty = [Value::Null, json!([]), json!(false)];
    for (slug, fm) in &files {
        let got = incidents
            .iter()
            .find(|i| i["slug"] == slug.as_str())
            .unwrap_or_else(|| panic!("{slug} is not exported"));
        assert_eq!(
            got["url"],
            format!("{base_url}/incidents/{slug}/"),
            "{slug}"
        );
        for (key, want) in fm {
            let field = format!("{slug}: {key}");
            match key.as_str() {
                "sources" => {
                    let want: Vec<Value> = want.as_array().unwrap().iter().map(source).collect();
                    assert_eq!(got["sources"], Value::Array(want), "{field}");
                }
                "advice" => {
                    let slugs: Vec<&Value> = got["advice"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| {
                            let slug = a["slug"].as_str().unwrap();
                            assert_eq!(a["url"], format!("{base_url}/advice/{slug}/"));
                            assert!(a["title"].as_str().is_some_and(|t| !t.is_empty()));
                            &a["slug"]
                        })
                        .collect();
                    assert_eq!(
                        slugs,
                        want.as_array().unwrap().iter().collect::<Vec<_>>(),
                        "{field}"
                    );
                }
                "duration" => {
                    let minutes =
                        castor::content::date::parse_duration(want.as_str().unwrap()).unwrap();
                    assert_eq!(got["duration_minutes"], minutes, "{field}");
                }
                _ => match want {
                    Value::Array(items) => {
                        let items: Vec<Value> = items.iter().map(scalar).collect();
                        assert_eq!(got[key], Value::Array(items), "{field}");
                    }
                    _ => assert_eq!(got[key], scalar(want), "{field}"),
                },
            }
        }
        // What the front matter leaves out is empty, but for what castor
        // works out itself.
        for (key, value) in got.as_object().unwrap() {
            let derived =
                ["id", "slug", "url", "summary", "duration_minutes"].contains(&key.as_str());
            if !derived && !fm.contains_key(key) {
                assert!(empty.contains(value), "{slug}: {key} is {value}");
            }
        }
    }

    kb.castor(&["build"]).success();
    let site_json = std::fs::read_to_string(kb.root().join("public/incidents.json")).unwrap();
    assert_eq!(site_json, run.stdout);
}

#[test]
fn drafts_are_exported_only_when_asked() {
    let kb = Knowledge::copy();
    let draft = kb
        .castor(&[
            "new",
            "incident",
            "A draft outage",
            "--company",
            "Draftco",
            "--date",
            "2023-05-06",
            "--category",
            "network",
        ])
        .success();
    let slug = "2023-05-06-draftco-a-draft-outage";
    assert_eq!(draft.stdout.trim(), format!("content/incidents/{slug}.md"));

    let slugs = |document: &Value| -> Vec<String> {
        document["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["slug"].as_str().unwrap().to_string())
            .collect()
    };
    let shipped = front_matters(kb.root()).len() - 1;
    let without = json_export(&kb, &[]);
    assert_eq!(without["incidents"].as_array().unwrap().len(), shipped);
    assert!(!slugs(&without).contains(&slug.to_string()));

    let with = json_export(&kb, &["--drafts"]);
    let incidents = with["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), shipped + 1);
    let exported = incidents.iter().find(|i| i["slug"] == slug).unwrap();
    assert_eq!(exported["draft"], true);
    assert_eq!(exported["date"], "2023-05-06");
    assert_eq!(exported["company"], "Draftco");

    // The site built without drafts publishes the document without them.
    kb.castor(&["build"]).success();
    let site: Value = serde_json::from_str(
        &std::fs::read_to_string(kb.root().join("public/incidents.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(site, without);
}

#[test]
fn csv_export_has_a_row_per_incident_with_the_json_values() {
    let kb = Knowledge::copy();
    let document = json_export(&kb, &[]);
    let run = kb.castor(&["export", "--format", "csv"]).success();
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        headers,
        [
            "id",
            "slug",
            "url",
            "title",
            "company",
            "date",
            "category",
            "root_cause",
            "lessons",
            "summary",
            "impact",
            "duration_minutes",
            "tags",
            "advice",
            "advice_titles",
            "advice_urls",
            "related",
            "sources",
            "contributing_factors",
            "trigger",
            "detection",
            "resolution",
            "technologies",
            "impact_kind",
            "near_miss",
            "also_affected",
            "draft"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let incidents = document["incidents"].as_array().unwrap();
    assert_eq!(rows.len(), incidents.len());
    let text = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let lines = |items: Vec<String>| items.join("\n");
    for (row, incident) in rows.iter().zip(incidents) {
        let cell = |name: &str| {
            let at = headers.iter().position(|h| h == name).unwrap();
            row.get(at).unwrap().to_string()
        };
        let list = |key: &str, field: &str| -> String {
            lines(
                incident[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| {
                        if field.is_empty() {
                            text(v)
                        } else {
                            text(&v[field])
                        }
                    })
                    .collect(),
            )
        };
        let slug = text(&incident["slug"]);
        for name in &headers {
            let want = match name.as_str() {
                "sources" => list("sources", "url"),
                "advice" => list("advice", "slug"),
                "advice_titles" => list("advice", "title"),
                "advice_urls" => list("advice", "url"),
                key if incident[key].is_array() => list(key, ""),
                key => text(&incident[key]),
            };
            assert_eq!(cell(name), want, "{slug}: {name}");
        }
    }
    // A list cell holds one item a line.
    let facebook = rows
        .iter()
        .find(|r| r.get(0) == Some("2021-10-04-facebook-bgp"))
        .unwrap();
    assert_eq!(
        facebook.get(12),
        Some("bgp\ndns\nbackbone\nout-of-band\nspof")
    );
}

#[test]
fn refuses_to_export_a_site_with_errors() {
    let site = Fixture::new("broken");
    let run = site.castor(&["export", "--format", "csv"]).code(1);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.trim_end().ends_with("; nothing was exported"),
        "{}",
        run.stderr
    );
    site.castor(&["export", "--format", "xml"]).code(2);
}

#[test]
fn exports_a_site_without_incidents() {
    let site = Fixture::new("basic");
    std::fs::remove_dir_all(site.path("content")).unwrap();
    site.write(
        "content/advice/keep-calm.md",
        "---\ntitle: Keep calm\n---\n",
    );
    let json = site.castor(&["export"]).success();
    assert_eq!(
        json.stdout,
        "{\n  \"version\": 1,\n  \"incidents\": []\n}\n"
    );
    let csv = site.castor(&["export", "--format", "csv"]).success();
    assert!(
        csv.stdout.starts_with("id,slug,url,title,company,date,")
            && csv.stdout.lines().count() == 1,
        "{}",
        csv.stdout
    );
}

/// The incident fields are written by hand in several places: the front
/// matter (its schema), `castor new`'s template, the export's JSON and its
/// CSV. A field added to one and forgotten in another fails here.
#[test]
fn every_surface_carries_every_incident_field() {
    let kb = Knowledge::copy();
    let sorted = |keys: Vec<String>| -> Vec<String> {
        let mut keys = keys;
        keys.sort();
        keys
    };
    let schema: Value =
        serde_json::from_str(&kb.castor(&["schema", "incident"]).success().stdout).unwrap();
    let front_matter = sorted(
        schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect(),
    );

    let site = Fixture::new("basic");
    let new = site
        .castor(&["new", "incident", "Fields", "--date", "2020-01-02"])
        .success();
    let text = site.read(new.stdout.trim());
    let split = castor::content::frontmatter::split(&text).unwrap();
    let template: Map<String, Value> = serde_saphyr::from_str(split.yaml).unwrap();
    assert_eq!(
        sorted(template.keys().cloned().collect()),
        front_matter,
        "castor new"
    );

    // The export names the page and gives the duration in minutes.
    let document = json_export(&kb, &[]);
    let exported = sorted(
        document["incidents"][0]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect(),
    );
    let mut expected: Vec<String> = front_matter
        .iter()
        .map(|k| {
            if k == "duration" {
                "duration_minutes".into()
            } else {
                k.clone()
            }
        })
        .filter(|k| k != "aliases")
        .chain(["id".into(), "slug".into(), "url".into()])
        .collect();
    expected.sort();
    assert_eq!(exported, expected, "export");

    // The CSV adds the cited advice's titles and URLs beside its slugs.
    let csv = kb.castor(&["export", "--format", "csv"]).success().stdout;
    let header = sorted(
        csv.lines()
            .next()
            .unwrap()
            .split(',')
            .map(String::from)
            .collect(),
    );
    expected.extend(["advice_titles".into(), "advice_urls".into()]);
    expected.sort();
    assert_eq!(header, expected, "CSV");
}
