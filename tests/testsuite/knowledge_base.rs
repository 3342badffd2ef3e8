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
        site.incidents.len() >= 20,
        "{} incidents",
        site.incidents.len()
    );
    assert!(
        (10..=14).contains(&site.advice.len()),
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
            (300..=900).contains(&incident.body.words),
            "{} has {} words",
            incident.slug,
            incident.body.words
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
