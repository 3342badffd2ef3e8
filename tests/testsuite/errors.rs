//! Bad input: every problem reported at once with file, line and a hint,
//! exit code 1, and the previous site left exactly as it was.

use crate::helpers::{Fixture, snapshot_dir};

#[test]
fn reports_every_problem_of_the_tree_in_one_run() {
    let site = Fixture::new("broken");
    let run = site.castor(&["build"]).code(1);
    insta::assert_snapshot!("broken_tree", run.stderr);
    assert!(!site.path("public").exists(), "nothing is written");
}

/// Builds the basic fixture, adds one bad file, and checks the second
/// build fails with `expected` in its output while public/ stays the same.
/// The whole message is part of the interface: it is snapshot-tested too,
/// under the bad file's name.
#[track_caller]
fn rejects(rel: &str, bytes: impl AsRef<[u8]>, expected: &str) -> String {
    let site = Fixture::new("basic");
    site.castor(&["build"]).success();
    let before = snapshot_dir(&site.path("public"));
    site.write(rel, bytes);
    let run = site.castor(&["build"]).code(1);
    assert!(
        run.stderr.contains(expected),
        "expected {expected:?} in:\n{}",
        run.stderr
    );
    let name = std::path::Path::new(rel)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .to_lowercase()
        .replace(' ', "-");
    insta::assert_snapshot!(format!("rejects_{name}"), run.stderr);
    assert!(
        run.stderr
            .ends_with("nothing was written; the previous site is unchanged\n"),
        "{}",
        run.stderr
    );
    assert_eq!(
        snapshot_dir(&site.path("public")),
        before,
        "public/ changed"
    );
    run.stderr
}

const VALID: &str = "---\ntitle: Valid\ncompany: Acme\ndate: 2020-01-02\ncategory: network\nroot_cause: X.\nlessons: [Y.]\nsources: [https://acme.example/valid]\n---\n\nBody.\n";

#[test]
fn rejects_non_utf8_bytes_at_their_line() {
    let mut bytes = VALID.as_bytes().to_vec();
    bytes.extend_from_slice(b"More \xff\xfe text.\n");
    rejects(
        "content/incidents/2020-latin1.md",
        bytes,
        "content/incidents/2020-latin1.md:12:6: error: the file is not valid UTF-8",
    );
}

#[test]
fn rejects_an_empty_file() {
    rejects(
        "content/incidents/2020-empty.md",
        "",
        "content/incidents/2020-empty.md:1:1: error: the file is empty",
    );
}

#[test]
fn rejects_missing_front_matter() {
    rejects(
        "content/incidents/2020-plain.md",
        "# Hello\n",
        "content/incidents/2020-plain.md:1:1: error: missing front matter",
    );
}

#[test]
fn rejects_unterminated_front_matter() {
    rejects(
        "content/incidents/2020-open.md",
        "---\ntitle: x\n",
        "content/incidents/2020-open.md:1:1: error: unterminated front matter",
    );
}

#[test]
fn rejects_duplicate_slugs_also_by_case() {
    let stderr = rejects(
        "content/incidents/archive/2021-10-04-acme-bgp.md",
        VALID,
        "content/incidents/archive/2021-10-04-acme-bgp.md:1:1: error: duplicate slug `2021-10-04-acme-bgp`",
    );
    assert!(stderr.contains("`content/incidents/2021-10-04-acme-bgp.md` has the same slug"));
    rejects(
        "content/advice/Out-Of-Band-Access.md",
        "---\ntitle: x\n---\n",
        "content/advice/out-of-band-access.md:1:1: error: duplicate slug `out-of-band-access`",
    );
}

#[test]
fn rejects_a_file_name_that_is_not_a_slug() {
    rejects(
        "content/incidents/2020 My Outage.md",
        VALID,
        "content/incidents/2020 My Outage.md:1:1: error: file name `2020 My Outage.md` is not a valid slug\n  |\n1 | ---\n  | ^\n  = help: rename it to `2020-my-outage.md`",
    );
}

#[test]
fn rejects_a_yaml_alias_bomb_quickly() {
    let mut yaml = String::from(
        "---\ntitle: bomb\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (name, prev) in [
        ("b", "a"),
        ("c", "b"),
        ("d", "c"),
        ("e", "d"),
        ("f", "e"),
        ("g", "f"),
        ("h", "g"),
        ("i", "h"),
    ] {
        yaml.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        ));
    }
    yaml.push_str("tags: *i\n---\n");
    let start = std::time::Instant::now();
    rejects(
        "content/incidents/2020-bomb.md",
        yaml,
        "content/incidents/2020-bomb.md:",
    );
    assert!(start.elapsed().as_secs() < 20, "no hang");
}

#[test]
fn rejects_absurd_nesting() {
    let yaml = format!(
        "---\ntitle: deep\ntags: {}{}\n---\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    rejects(
        "content/incidents/2020-deep.md",
        yaml,
        "content/incidents/2020-deep.md:3:",
    );
}

#[test]
fn rejects_a_file_over_the_size_limit() {
    let mut text = VALID.to_string();
    text.push_str(&"log line\n".repeat(300_000));
    rejects(
        "content/incidents/2020-huge.md",
        text,
        "content/incidents/2020-huge.md:1:1: error: file is 2700",
    );
}

#[cfg(unix)]
#[test]
fn rejects_a_symlink_pointing_outside_content() {
    let site = Fixture::new("basic");
    site.castor(&["build"]).success();
    let before = snapshot_dir(&site.path("public"));
    site.write("outside.md", VALID);
    std::os::unix::fs::symlink(
        site.path("outside.md"),
        site.path("content/incidents/2020-link.md"),
    )
    .unwrap();
    let run = site.castor(&["build"]).code(1);
    assert!(
        run.stderr.contains("content/incidents/2020-link.md:1:1: error: symbolic link points outside the content directory"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot_dir(&site.path("public")), before);
}

#[test]
fn rejects_unknown_fields_with_the_closest_name() {
    rejects(
        "content/incidents/2020-typo.md",
        VALID.replace("root_cause:", "root_caus:"),
        "content/incidents/2020-typo.md:6:1: error: unknown field `root_caus`\n  |\n6 | root_caus: X.\n  | ^\n  = help: did you mean `root_cause`?",
    );
}

#[test]
fn rejects_unknown_categories_with_the_list() {
    rejects(
        "content/incidents/2020-cat.md",
        VALID.replace("category: network", "category: netwrk"),
        "content/incidents/2020-cat.md:5:11: error: unknown category `netwrk`\n  |\n5 | category: netwrk\n  |           ^\n  = help: did you mean `network`? The categories are: database, network, security",
    );
}

#[test]
fn rejects_bad_dates_with_the_accepted_forms() {
    rejects(
        "content/incidents/2020-date.md",
        VALID.replace("date: 2020-01-02", "date: 02/01/2020"),
        "content/incidents/2020-date.md:4:7: error: invalid date `02/01/2020`\n  |\n4 | date: 02/01/2020\n  |       ^\n  = help: write YYYY-MM-DD, YYYY-MM or YYYY",
    );
}

#[test]
fn rejects_dangling_internal_links_at_their_line() {
    rejects(
        "content/incidents/2020-link.md",
        VALID.replace(
            "Body.",
            "Intro.\n\nSee [the other](@/incidents/2099-nothing.md).",
        ),
        "content/incidents/2020-link.md:13:5: error: broken internal link: no `incidents/2099-nothing.md`",
    );
}

#[test]
fn rejects_dangling_advice_slugs() {
    rejects(
        "content/incidents/2020-advice.md",
        VALID.replace("lessons:", "advice: [test-your-restore]\nlessons:"),
        "content/incidents/2020-advice.md:7:10: error: no advice page `test-your-restore`\n  |\n7 | advice: [test-your-restore]\n  |          ^\n  = help: did you mean `test-your-restores`?",
    );
}

#[test]
fn accepts_bom_crlf_and_unquoted_partial_dates() {
    let site = Fixture::new("basic");
    let crlf = format!("\u{feff}{}", VALID.replace('\n', "\r\n"));
    site.write("content/incidents/2020-01-02-windows.md", crlf);
    site.write(
        "content/incidents/2017-year.md",
        VALID
            .replace("date: 2020-01-02", "date: 2017")
            .replace("valid]", "year]"),
    );
    site.write(
        "content/incidents/2017-02-month.md",
        VALID
            .replace("date: 2020-01-02", "date: 2017-02")
            .replace("valid]", "month]"),
    );
    site.castor(&["build"]).success();
    assert!(
        site.read("public/incidents/2017-02-month/index.html")
            .contains("February 2017")
    );
    assert!(
        site.read("public/incidents/2017-year/index.html")
            .contains(r#"<time datetime="2017">2017</time>"#)
    );
    assert!(
        site.read("public/incidents/2020-01-02-windows/index.html")
            .contains("2 January 2020")
    );
}

#[test]
fn config_errors_show_the_line_and_exit_2() {
    let site = Fixture::new("basic");
    site.write(
        "book.toml",
        "[site]\ntitle = \"x\"\n\n[build]\nouput = \"out\"\n",
    );
    let run = site.castor(&["build"]).code(2);
    insta::assert_snapshot!("config_unknown_key", run.stderr);
    site.write("book.toml", "[build]\ndrafts = \"yes\"\n");
    let run = site.castor(&["build"]).code(2);
    assert!(
        run.stderr.starts_with("book.toml:2:10: error:"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_broken_template_override_names_the_template_and_line() {
    let site = Fixture::new("basic");
    site.write(
        "themes/default/templates/page.html",
        "{% extends \"base.html\" %}\n{% block main %}\n{% if %}\n{% endblock main %}\n",
    );
    let run = site.castor(&["build"]).code(2);
    assert!(
        run.stderr
            .starts_with("themes/default/templates/page.html:3:"),
        "{}",
        run.stderr
    );
    assert!(!site.path("public").exists());
}
