//! Bugs a review found, each pinned by the test that failed before the fix.

use crate::helpers::Fixture;

const ACME: &str = "content/incidents/2021-10-04-acme-bgp.md";

#[test]
fn a_rebuild_keeps_dot_entries_of_the_output() {
    let site = Fixture::new("basic");
    site.castor(&["build"]).success();
    site.write("public/.git/HEAD", "ref: refs/heads/gh-pages\n");
    site.write("public/.nojekyll", "");
    site.write("public/.well-known/security.txt", "Contact: x\n");
    site.write("public/stray.html", "old");
    site.castor(&["build"]).success();
    site.castor(&["build", "--force"]).success();
    assert_eq!(site.read("public/.git/HEAD"), "ref: refs/heads/gh-pages\n");
    assert!(site.path("public/.nojekyll").is_file());
    assert!(site.path("public/.well-known/security.txt").is_file());
    assert!(
        !site.path("public/stray.html").exists(),
        "stale pages still go"
    );
}

#[test]
fn search_never_shows_drafts_even_after_a_build_with_them() {
    let site = Fixture::new("basic");
    let acme = site.read(ACME);
    site.write(
        "content/incidents/2022-01-01-acme-draft.md",
        acme.replacen("2021-10-04", "2022-01-01", 1).replacen(
            "title: \"Acme withdraws its BGP routes\"",
            "title: \"Zanzibar draft\"\ndraft: true",
            1,
        ),
    );
    site.castor(&["build", "--drafts"]).success();
    assert!(
        site.path("public/incidents/2022-01-01-acme-draft/index.html")
            .is_file()
    );
    let run = site.castor(&["search", "zanzibar"]).success();
    assert!(!run.stdout.contains("Zanzibar draft"), "{}", run.stdout);
}

#[test]
fn check_refuses_the_configuration_build_refuses() {
    let site = Fixture::new("basic");
    let config = site.read("book.toml");
    site.write(
        "book.toml",
        format!("{config}\n[build]\noutput = \"content\"\n"),
    );
    let build = site.castor(&["build"]).code(2);
    let check = site.castor(&["check"]).code(2);
    let first = |text: &str| text.lines().take(4).collect::<Vec<_>>().join("\n");
    assert_eq!(
        first(&check.stderr),
        first(&build.stderr),
        "{}",
        check.stderr
    );
}

#[test]
fn years_from_1000_are_dates_and_impossible_dates_say_why() {
    let site = Fixture::new("basic");
    let acme = site.read(ACME);
    site.write(
        "content/incidents/1628-vasa-capsizes.md",
        acme.replacen("date: 2021-10-04", "date: 1628", 1),
    );
    site.castor(&["check"]).success();
    for (date, why) in [
        (
            "0999-01-01",
            "the date `0999-01-01` does not exist: the year 0999 is before 1000",
        ),
        (
            "2021-02-30",
            "the date `2021-02-30` does not exist: February 2021 has no day 30",
        ),
        (
            "2021-13",
            "the date `2021-13` does not exist: there is no month 13",
        ),
    ] {
        site.write(
            ACME,
            acme.replacen("date: 2021-10-04", &format!("date: {date}"), 1),
        );
        let run = site.castor(&["check"]).code(1);
        assert!(run.stderr.contains(why), "{date}: {}", run.stderr);
    }
}

#[test]
fn new_says_error_once_and_io_failures_exit_1() {
    let site = Fixture::new("basic");
    let run = site
        .castor(&["new", "incident", "A title", "--date", "2021-02-30"])
        .code(2);
    assert_eq!(
        run.stderr,
        "error: the date `2021-02-30` does not exist: February 2021 has no day 30\n"
    );
    // A file where the incidents directory should be: an I/O failure.
    std::fs::remove_dir_all(site.path("content/incidents")).unwrap();
    site.write("content/incidents", "not a directory");
    let run = site
        .castor(&["new", "incident", "A title", "--date", "2021-02-03"])
        .code(1);
    assert_eq!(run.stderr.matches("error:").count(), 1, "{}", run.stderr);
}

#[test]
fn import_of_a_missing_list_is_a_usage_error() {
    let site = Fixture::new("basic");
    let run = site.castor(&["import", "list", "no-such-list.md"]).code(2);
    assert!(
        run.stderr.contains("cannot read the list"),
        "{}",
        run.stderr
    );
}

#[test]
fn every_command_shows_a_configuration_error_with_its_line() {
    let site = Fixture::new("basic");
    let config = site.read("book.toml");
    site.write(
        "book.toml",
        format!("{config}\n[search]\nindex_dri = \"x\"\n"),
    );
    for args in [
        &["build"][..],
        &["check"],
        &["export"],
        &["search", "bgp"],
        &["import", "list", "x.md"],
        &["new", "advice", "A title"],
    ] {
        let run = site.castor(args).code(2);
        assert!(
            run.stderr.contains("| index_dri = \"x\"") && run.stderr.contains("^"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn init_writes_every_default_category() {
    let dir = tempfile::tempdir().unwrap();
    crate::helpers::castor_in(dir.path(), &["init", "kb"]).success();
    let kb = dir.path().join("kb");
    crate::helpers::castor_in(
        &kb,
        &[
            "new",
            "incident",
            "Disk full",
            "--category",
            "capacity",
            "--date",
            "2020-01-02",
        ],
    )
    .success();
    let book = std::fs::read_to_string(kb.join("book.toml")).unwrap();
    assert_eq!(book.matches("[categories.").count(), 11, "{book}");
}

#[test]
fn the_404_page_links_from_base_urls_path_never_its_origin() {
    let site = Fixture::new("basic");
    site.castor(&["build"]).success();
    let page = site.read("public/404.html");
    assert!(page.contains("href=\"/kb/"), "{page}");
    assert!(!page.contains("href=\"https://fixture.example"), "{page}");
}
