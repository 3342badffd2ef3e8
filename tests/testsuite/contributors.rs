//! The contributor tools: `check` in three formats, `new` and `schema`.

use crate::helpers::{Fixture, castor_in, repo};

#[test]
fn check_prints_errors_and_warnings_for_people() {
    let site = Fixture::new("broken");
    let run = site.castor(&["check"]).code(1);
    insta::assert_snapshot!("check_human", run.stderr);
    assert!(!site.path("public").exists(), "check writes nothing");
}

#[test]
fn check_prints_github_annotations() {
    let site = Fixture::new("broken");
    let run = site.castor(&["check", "--format", "github"]).code(1);
    insta::assert_snapshot!("check_github", run.stdout);
    for line in run.stdout.lines() {
        assert!(
            line.starts_with("::error file=") || line.starts_with("::warning file="),
            "{line}"
        );
    }
}

#[test]
fn check_prints_json_for_tools() {
    let site = Fixture::new("broken");
    let run = site.castor(&["check", "--format", "json"]).code(1);
    insta::assert_snapshot!("check_json", run.stdout);
    let problems: Vec<serde_json::Value> =
        serde_json::from_str(&run.stdout).expect("one JSON array");
    assert!(
        problems.iter().any(|p| p["severity"] == "warning"
            && p["message"].as_str().unwrap().contains("in the future"))
    );
    for p in &problems {
        for field in ["file", "line", "column", "severity", "message", "hint"] {
            assert!(p.get(field).is_some(), "{field} missing in {p}");
        }
    }
}

#[test]
fn check_warns_about_likely_duplicates() {
    let site = Fixture::new("basic");
    let acme = site.read("content/incidents/2021-10-04-acme-bgp.md");
    site.write(
        "content/incidents/2021-10-05-acme-again.md",
        acme.replace("date: 2021-10-04", "date: 2021-10-05")
            .replace(
                "- url: https://acme.example/postmortem",
                "- url: https://web.archive.org/web/2021/http://www.acme.example/postmortem/",
            ),
    );
    let run = site.castor(&["check"]).success();
    assert!(
        run.stderr.contains(
            "content/incidents/2021-10-05-acme-again.md:15:5: warning: same source as `content/incidents/2021-10-04-acme-bgp.md`: this may be a duplicate"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn check_passes_on_the_shipped_knowledge_base() {
    let run = castor_in(&repo(), &["check"]).success();
    assert_eq!(run.stderr, "check: no problems found\n");
}

#[test]
fn new_incident_then_check_passes_and_new_never_overwrites() {
    let site = Fixture::new("basic");
    let run = site
        .castor(&[
            "new",
            "incident",
            "Our DNS \"broke\": the sequel",
            "--company",
            "Père Castor",
            "--date",
            "2024-03-02",
            "--category",
            "network",
        ])
        .success();
    let path = run.stdout.trim();
    assert_eq!(
        path,
        "content/incidents/2024-03-02-pere-castor-our-dns-broke-the-sequel.md"
    );
    let text = site.read(path);
    for field in [
        "title:",
        "company:",
        "root_cause:",
        "lessons:",
        "impact:",
        "sources:",
        "contributing_factors:",
        "draft: true",
    ] {
        assert!(text.contains(field), "{field} missing");
    }
    for section in [
        "## Summary",
        "## Timeline",
        "## What went wrong",
        "## How it was fixed",
        "## Lessons",
    ] {
        assert!(text.contains(section), "{section} missing");
    }
    let check = site.castor(&["check"]).success();
    assert!(
        check.stderr.contains("is a placeholder"),
        "{}",
        check.stderr
    );
    assert!(!check.stderr.contains("error:"), "{}", check.stderr);
    let again = site
        .castor(&[
            "new",
            "incident",
            "Our DNS \"broke\": the sequel",
            "--company",
            "Père Castor",
            "--date",
            "2024-03-02",
        ])
        .code(2);
    assert!(
        again
            .stderr
            .contains("already exists; castor new never overwrites a file"),
        "{}",
        again.stderr
    );
    assert_eq!(site.read(path), text);
}

#[test]
fn new_advice_then_check_passes() {
    let site = Fixture::new("basic");
    let run = site
        .castor(&["new", "advice", "Rotate your keys!"])
        .success();
    assert_eq!(run.stdout.trim(), "content/advice/rotate-your-keys.md");
    site.castor(&["check"]).success();
}

#[test]
fn new_rejects_a_bad_date_or_category() {
    let site = Fixture::new("basic");
    let run = site
        .castor(&["new", "incident", "x", "--date", "yesterday"])
        .code(2);
    assert_eq!(
        run.stderr,
        "error: invalid date `yesterday`\n  = help: write YYYY-MM-DD, YYYY-MM or YYYY, such as \
         2021-10-04, 2021-10 or 2021\n"
    );
    let run = site
        .castor(&["new", "incident", "x", "--category", "netwrk"])
        .code(2);
    assert_eq!(
        run.stderr,
        "error: unknown category `netwrk`\n  = help: did you mean `network`?\n"
    );
}

#[test]
fn the_schema_copies_in_the_repository_match() {
    for kind in ["incident", "advice", "page"] {
        let run = castor_in(&repo(), &["schema", kind]).success();
        let copy =
            std::fs::read_to_string(repo().join(format!("schemas/{kind}.schema.json"))).unwrap();
        assert_eq!(
            run.stdout, copy,
            "schemas/{kind}.schema.json is stale: run `castor schema {kind} > schemas/{kind}.schema.json`"
        );
    }
}

#[test]
fn the_schema_describes_required_fields_and_rejects_unknown_ones() {
    let run = castor_in(&repo(), &["schema"]).success();
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(schema["additionalProperties"], false);
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for field in [
        "title",
        "company",
        "date",
        "category",
        "root_cause",
        "lessons",
        "sources",
    ] {
        assert!(required.contains(&field), "{field} not required");
    }
    assert!(schema["properties"]["root_cause"].is_object());
}
