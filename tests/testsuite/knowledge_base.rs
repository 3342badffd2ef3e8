//! The shipped knowledge base: builds with no error and no warning, and
//! keeps its link rules.

use castor::build;

use crate::helpers::repo;

#[test]
fn the_shipped_content_builds_without_errors_or_warnings() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("site");
    let run = crate::helpers::Knowledge::copy()
        .castor(&["build", "--output", target.to_str().unwrap()])
        .success();
    assert_eq!(run.stderr, "", "warnings or errors");
    assert!(target.join("about/index.html").is_file());
}

#[test]
fn the_shipped_content_keeps_its_link_rules() {
    let loaded = build::load(
        &repo(),
        castor::config::Config::load(&repo()).unwrap(),
        false,
    )
    .unwrap_or_else(|_| panic!("content has errors"));
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let site = loaded.site;
    assert!(
        site.incidents.len() >= 60,
        "{} incidents",
        site.incidents.len()
    );
    assert!(
        (10..=40).contains(&site.advice.len()),
        "{} advice pages",
        site.advice.len()
    );
    for (incident, links) in site.incidents.iter().zip(&site.links) {
        assert!(
            !links.advice.is_empty(),
            "{} cites no advice",
            incident.slug
        );
        assert!(
            (2..=5).contains(&incident.lessons.len()),
            "{} has {} lessons",
            incident.slug,
            incident.lessons.len()
        );
        assert!(incident.impact.is_some(), "{} has no impact", incident.slug);
        assert!(!incident.tags.is_empty(), "{} has no tags", incident.slug);
        assert!(
            (250..=900).contains(&incident.body.words),
            "{} has {} words",
            incident.slug,
            incident.body.words
        );
        // The primary source comes first, and it is a web address.
        let first = incident
            .sources
            .first()
            .unwrap_or_else(|| panic!("{} has no source", incident.slug));
        assert!(
            first.url.starts_with("https://") || first.url.starts_with("http://"),
            "{}: the first source `{}` is not an http(s) URL",
            incident.slug,
            first.url
        );
        for section in ["summary", "what-went-wrong", "how-it-was-fixed", "lessons"] {
            assert!(
                incident.body.anchors.iter().any(|a| a == section),
                "{} has no {section} section",
                incident.slug
            );
        }
    }
    for (advice, cited) in site.advice.iter().zip(&site.cited_by) {
        assert!(
            cited.len() >= 2,
            "{} is cited by {} incidents",
            advice.slug,
            cited.len()
        );
    }
    for pair in [
        ("2021-09-30-slack-dns", "2021-10-04-facebook-bgp"),
        (
            "2017-01-31-gitlab-database-deletion",
            "2017-04-05-digitalocean-primary-database-deleted",
        ),
        (
            "2017-01-31-gitlab-database-deletion",
            "2012-12-24-aws-elb-state-deleted",
        ),
    ] {
        let a = site
            .incidents
            .iter()
            .find(|i| i.slug == pair.0)
            .expect(pair.0);
        assert!(
            a.related.iter().any(|r| r.slug == pair.1) || {
                let b = site
                    .incidents
                    .iter()
                    .find(|i| i.slug == pair.1)
                    .expect(pair.1);
                b.related.iter().any(|r| r.slug == pair.0)
            },
            "{} and {} are not related",
            pair.0,
            pair.1
        );
    }
}

/// The strict-mode script of the scripting advice runs, and its dry run
/// prints each command on one line: with `IFS=$'\n\t'`, `echo "$*"` would
/// put every argument on a line of its own.
#[test]
fn the_strict_script_prints_each_dry_run_command_on_one_line() {
    let page = std::fs::read_to_string(repo().join("content/advice/small-strict-scripts.md"))
        .expect("the scripting advice page");
    let script = bash_blocks(&page)
        .into_iter()
        .find(|block| block.contains("DRY_RUN"))
        .expect("a ```bash block with the dry-run script");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deploy.sh");
    std::fs::write(&path, &script).unwrap();
    let out = std::process::Command::new("bash")
        .arg(&path)
        .args(["alpha.example", "beta.example"])
        .current_dir(dir.path())
        .env("DRY_RUN", "1")
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "one line per host expected:\n{stdout}");
    for (line, host) in lines.iter().zip(["alpha.example", "beta.example"]) {
        assert!(line.starts_with("DRY RUN:"), "not a dry-run line: {line}");
        assert!(
            line.contains("rsync") && line.contains(&format!("deploy@{host}:/opt/app/")),
            "the command is not on one line:\n{stdout}"
        );
    }
}

/// The bodies of the fenced ```bash blocks of a Markdown page.
fn bash_blocks(page: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut lines = page.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "```bash" {
            let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            blocks.push(body.join("\n") + "\n");
        }
    }
    blocks
}
