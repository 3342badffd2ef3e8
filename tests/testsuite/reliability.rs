//! What a cloned repository, a full disk or a hostile file can do to a
//! user: nothing lost, nothing leaked, nothing hung. Each test runs the
//! real binary on a fixture, as a user would meet the bug.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::helpers::{Fixture, Run, snapshot_dir};

const ACME: &str = "content/incidents/2021-10-04-acme-bgp.md";
const ACME_PAGE: &str = "public/incidents/2021-10-04-acme-bgp/index.html";

fn with_config(site: &Fixture, extra: &str) {
    let config = site.read("book.toml");
    site.write("book.toml", format!("{config}\n{extra}"));
}

/// A run of castor that must end within `limit`, or the test fails (and
/// the process is killed) instead of hanging.
fn castor_within(dir: &Path, args: &[&str], limit: Duration) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_castor"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("castor {args:?} took over {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap().into()
}

#[test]
fn an_index_dir_naming_the_content_is_refused_and_the_content_survives() {
    let site = Fixture::new("basic");
    with_config(&site, "[search]\nindex_dir = \"content\"\n");
    let before = snapshot_dir(&site.path("content"));
    for args in [&["build"][..], &["search", "bgp"], &["check"]] {
        let run = site.castor(args).code(2);
        assert!(
            run.stderr.contains(
                "error: refusing to use `content` as the search index directory: it is the content directory"
            ),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("book.toml:16:1:")
                && run.stderr.contains("index_dir = \"content\""),
            "{args:?} points at book.toml's line: {}",
            run.stderr
        );
    }
    assert_eq!(snapshot_dir(&site.path("content")), before);
}

#[test]
fn an_index_dir_outside_the_site_is_refused_and_never_deleted() {
    let site = Fixture::new("basic");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("precious.txt"), "keep").unwrap();
    for value in [outside.path().to_str().unwrap(), "../elsewhere"] {
        with_config(&site, &format!("[search]\nindex_dir = \"{value}\"\n"));
        let run = site.castor(&["search", "bgp"]).code(2);
        assert!(
            run.stderr.contains("it is outside the site root"),
            "{}",
            run.stderr
        );
        site.write(
            "book.toml",
            std::fs::read_to_string(crate::helpers::repo().join("tests/fixtures/basic/book.toml"))
                .unwrap(),
        );
    }
    assert_eq!(
        std::fs::read_to_string(outside.path().join("precious.txt")).unwrap(),
        "keep"
    );
}

#[test]
fn a_state_dir_linked_out_of_the_site_is_refused() {
    let site = Fixture::new("basic");
    let outside = tempfile::tempdir().unwrap();
    symlink(outside.path(), site.path(".castor")).unwrap();
    let run = site.castor(&["build"]).code(2);
    assert!(run.stderr.contains("`.castor`"), "{}", run.stderr);
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[test]
fn diagnostics_never_show_a_file_the_loader_refused() {
    let site = Fixture::new("basic");
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("credentials.md");
    std::fs::write(&secret, "---\naws_secret_access_key: hunter2-SECRET\n---\n").unwrap();
    symlink(&secret, site.path("content/incidents/leak.md")).unwrap();
    // A link to a file of the site's root, outside content/, is no better.
    site.write(".env", "---\nTOKEN=dotenv-SECRET\n---\n");
    symlink(site.path(".env"), site.path("content/incidents/env.md")).unwrap();
    let run = castor_within(site.root(), &["check"], Duration::from_secs(20)).code(1);
    assert!(
        run.stderr.contains(
            "content/incidents/leak.md:1:1: error: symbolic link points outside the content directory"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("SECRET"), "{}", run.stderr);
}

#[test]
fn a_link_to_a_pipe_or_a_device_never_hangs_check() {
    let site = Fixture::new("basic");
    let outside = tempfile::tempdir().unwrap();
    let fifo = outside.path().join("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    symlink(&fifo, site.path("content/incidents/pipe.md")).unwrap();
    symlink("/dev/zero", site.path("content/incidents/zero.md")).unwrap();
    let run = castor_within(site.root(), &["check"], Duration::from_secs(20)).code(1);
    assert!(run.stderr.contains("pipe.md"), "{}", run.stderr);
    assert!(run.stderr.contains("zero.md"), "{}", run.stderr);
}

#[test]
fn a_huge_source_line_is_cut_in_diagnostics() {
    let site = Fixture::new("basic");
    let line = format!("titel: \"{}\"", "x".repeat(200_000));
    let acme = site.read(ACME);
    site.write(ACME, acme.replacen("title:", &format!("{line}\ntitle:"), 1));
    let run = site.castor(&["check"]).code(1);
    assert!(
        run.stderr.contains("unknown field `titel`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.len() < 2_000,
        "{} bytes printed",
        run.stderr.len()
    );
    assert!(run.stderr.contains("…"), "{}", run.stderr);
}

#[test]
fn deeply_nested_raw_html_costs_no_time_and_is_reported() {
    let site = Fixture::new("basic");
    let acme = site.read(ACME);
    site.write(ACME, format!("{acme}\n{}\n", "<div>".repeat(100_000)));
    let start = Instant::now();
    let run = castor_within(site.root(), &["build"], Duration::from_secs(30)).code(1);
    assert!(
        run.stderr
            .contains("raw HTML nested more than 100 levels deep"),
        "{}",
        run.stderr
    );
    // Before the cap, the sanitizer took 70 s on this file in a release build.
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

/// Runs castor with writes over `bytes` per file failing (EFBIG) instead
/// of killing it: a disk that fills up in the middle of an update.
fn castor_with_file_size_limit(site: &Fixture, bytes: u64, args: &[&str]) -> Run {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; exec prlimit --fsize={bytes} \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_castor"))
        .args(args)
        .current_dir(site.root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
        .into()
}

#[test]
fn an_update_that_fails_partway_leaves_the_previous_site_whole() {
    let site = Fixture::new("basic");
    site.castor(&["build"]).success();
    let before = snapshot_dir(&site.path("public"));
    let acme = site.read(ACME);
    // The edit changes a small page (the home page's summary) and makes
    // Acme's page too large to write under the limit.
    let long = "The routers kept the old routes. ".repeat(3_000);
    site.write(
        ACME,
        acme.replacen("Acme vanished from the Internet.", "Acme was gone.", 1)
            + &format!("\n## Aftermath\n\n{long}\n"),
    );
    let run = castor_with_file_size_limit(&site, 60_000, &["build"]).code(1);
    assert!(
        run.stderr.contains("cannot write") && run.stderr.contains("public/"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("nothing was written; the previous site is unchanged"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot_dir(&site.path("public")), before);
    // The next build completes it.
    site.castor(&["build"]).success();
    assert!(site.read(ACME_PAGE).contains("Aftermath"));
}

#[test]
fn staging_left_by_an_interrupted_run_is_removed_by_the_next() {
    let site = Fixture::new("basic");
    site.castor(&["build"]).success();
    for leftover in [
        ".public.castor-staging-0123456789abcdef",
        ".castor/.index.castor-staging-0123456789abcdef",
    ] {
        site.write(&format!("{leftover}/.castor-output"), "");
        site.write(&format!("{leftover}/page.html"), "half");
    }
    // Not castor's: left alone.
    site.write(".public.castor-staging-theirs/notes.txt", "mine");
    site.castor(&["check"]).success();
    assert!(
        !site
            .path(".public.castor-staging-0123456789abcdef")
            .exists()
    );
    assert!(
        !site
            .path(".castor/.index.castor-staging-0123456789abcdef")
            .exists()
    );
    assert_eq!(site.read(".public.castor-staging-theirs/notes.txt"), "mine");
}

#[test]
fn writes_never_follow_links_planted_in_the_output() {
    let site = Fixture::new("basic");
    site.castor(&["build"]).success();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim.txt");
    std::fs::write(&victim, "keep").unwrap();
    std::fs::remove_file(site.path(ACME_PAGE)).unwrap();
    symlink(&victim, site.path(ACME_PAGE)).unwrap();
    for n in 0..4 {
        symlink(
            &victim,
            site.path(&format!("public/index.html.{n}.castor-tmp")),
        )
        .unwrap();
    }
    // A directory of the output linked elsewhere is replaced, not entered.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::remove_dir_all(site.path("public/tags/bgp")).unwrap();
    symlink(elsewhere.path(), site.path("public/tags/bgp")).unwrap();
    let acme = site.read(ACME);
    site.write(ACME, acme.replacen("Acme vanished", "Acme disappeared", 1));
    site.castor(&["build"]).success();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
    assert!(site.read(ACME_PAGE).contains("Acme disappeared"));
    assert!(
        !std::fs::symlink_metadata(site.path(ACME_PAGE))
            .unwrap()
            .is_symlink()
    );
    assert!(site.path("public/tags/bgp/index.html").is_file());
}

fn hold_lock(site: &Fixture) -> std::fs::File {
    std::fs::create_dir_all(site.path(".castor")).unwrap();
    let lock = std::fs::File::create(site.path(".castor/build.lock")).unwrap();
    lock.lock().unwrap();
    lock
}

#[test]
fn a_search_beside_a_build_answers_from_the_previous_index() {
    let site = Fixture::new("basic");
    site.castor(&["build"]).success();
    let acme = site.read(ACME);
    site.write(ACME, acme.replacen("Acme vanished", "Acme disappeared", 1));
    let lock = hold_lock(&site);
    let run = site.castor(&["search", "bgp"]).success();
    assert!(
        run.stdout.contains("Acme withdraws its BGP routes"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("another castor process is updating the search index"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("error"), "{}", run.stderr);
    drop(lock);
    // Once free, the next search brings the index up to date itself.
    let run = site.castor(&["search", "disappeared"]).success();
    assert!(run.stdout.contains("Acme"), "{}", run.stdout);
}

#[test]
fn a_search_with_no_index_waits_then_says_the_index_is_busy() {
    let site = Fixture::new("basic");
    let lock = hold_lock(&site);
    let run = site.castor(&["search", "bgp"]).code(2);
    assert!(
        run.stderr
            .contains("another castor process is writing the search index of this site"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("in 1 file"), "{}", run.stderr);
    drop(lock);
}

#[test]
fn a_damaged_index_is_rebuilt_once_by_search() {
    let site = Fixture::new("basic");
    site.castor(&["build"]).success();
    std::fs::write(site.path(".castor/index/meta.json"), "{\"segm").unwrap();
    let run = site.castor(&["search", "bgp"]).success();
    assert!(run.stdout.contains("Acme"), "{}", run.stdout);
    assert!(
        run.stderr.contains("Rebuilding the search index"),
        "{}",
        run.stderr
    );

    // A corrupt segment behind an intact stamp and meta.json.
    for entry in std::fs::read_dir(site.path(".castor/index")).unwrap() {
        let path = entry.unwrap().path();
        if path
            .extension()
            .is_some_and(|e| e == "store" || e == "idx" || e == "term")
        {
            std::fs::write(&path, b"garbage").unwrap();
        }
    }
    let run = site.castor(&["search", "bgp"]).success();
    assert!(run.stdout.contains("Acme"), "{}", run.stdout);
    site.castor(&["search", "bgp"]).success();
}

#[test]
fn a_deeply_nested_query_is_a_usage_error() {
    let site = Fixture::new("basic");
    let query = format!("{}bgp{}", "(".repeat(5_000), ")".repeat(5_000));
    let run = castor_within(site.root(), &["search", &query], Duration::from_secs(20)).code(2);
    assert!(
        run.stderr.contains("the query is 10003 characters long"),
        "{}",
        run.stderr
    );
    let query = format!("{}bgp{}", "(".repeat(100), ")".repeat(100));
    let run = site.castor(&["search", &query]).code(2);
    assert!(
        run.stderr
            .contains("nests parentheses more than 16 levels deep"),
        "{}",
        run.stderr
    );
}

#[test]
fn check_warns_about_hundreds_of_tags_and_company_names_sharing_a_page() {
    let site = Fixture::new("basic");
    let tags: Vec<String> = (0..300).map(|n| format!("t{n}")).collect();
    let acme = site.read(ACME);
    site.write(
        ACME,
        acme.replacen(
            "tags: [bgp, dns]",
            &format!("tags: [{}]", tags.join(", ")),
            1,
        ),
    );
    let at_t = acme
        .replacen("company: Acme", "company: \"AT&T\"", 1)
        .replacen("title: \"Acme", "title: \"AT&T", 1);
    site.write("content/incidents/2021-10-04-att-bgp.md", &at_t);
    site.write(
        "content/incidents/2021-10-05-at-t-bgp.md",
        at_t.replacen("\"AT&T\"", "AT-T", 2)
            .replacen("2021-10-04", "2021-10-05", 1),
    );
    // Case only: one company written two ways, no warning.
    site.write(
        "content/incidents/2021-10-06-acme-again.md",
        acme.replacen("company: Acme", "company: ACME", 1)
            .replacen("2021-10-04", "2021-10-06", 1),
    );
    let run = site.castor(&["check"]).success();
    assert!(
        run.stderr
            .contains("300 tags, over 20: each tag writes pages of its own"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("the companies `AT&T` and `AT-T` (in `content/incidents/2021-10-05-at-t-bgp.md`) share one page, `companies/at-t/`"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("`ACME`"), "{}", run.stderr);
}

#[test]
fn results_of_equal_score_come_newest_first_then_by_slug() {
    let site = Fixture::new("basic");
    let acme = site.read(ACME);
    for (slug, date) in [
        ("2020-01-01-zeta-twin", "2020-01-01"),
        ("2022-05-05-beta-twin", "2022-05-05"),
        ("2022-05-05-alpha-twin", "2022-05-05"),
    ] {
        let text = acme
            .replacen("2021-10-04", date, 1)
            .replacen(
                "title: \"Acme withdraws its BGP routes\"",
                "title: \"Twin\"",
                1,
            )
            .replacen("related: [2017-globex-database-deleted]", "", 1)
            + "\nquokka\n";
        site.write(&format!("content/incidents/{slug}.md"), text);
    }
    let slugs = |run: &Run| -> Vec<String> {
        serde_json::from_str::<Vec<serde_json::Value>>(&run.stdout)
            .unwrap()
            .iter()
            .map(|h| h["slug"].as_str().unwrap().to_string())
            .collect()
    };
    let first = slugs(&site.castor(&["search", "quokka", "--json"]).success());
    assert_eq!(
        first,
        [
            "2022-05-05-alpha-twin",
            "2022-05-05-beta-twin",
            "2020-01-01-zeta-twin"
        ]
    );
    // The same after an update in place changes the index's history.
    let beta = site.read("content/incidents/2022-05-05-beta-twin.md");
    site.write(
        "content/incidents/2022-05-05-beta-twin.md",
        beta.clone() + " ",
    );
    let again = slugs(&site.castor(&["search", "quokka", "--json"]).success());
    assert_eq!(again, first);
}

#[test]
fn an_edit_copied_with_its_old_modification_time_is_seen() {
    let site = Fixture::new("basic");
    site.castor(&["build"]).success();
    let path = site.path(ACME);
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let acme = site.read(ACME);
    // Same length, so only the times could tell.
    site.write(ACME, acme.replacen("Acme vanished", "Acme wombated", 1));
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let run = site.castor(&["search", "wombated"]).success();
    assert!(run.stdout.contains("Acme"), "{}", run.stdout);
    site.castor(&["build"]).success();
    assert!(site.read(ACME_PAGE).contains("wombated"));
}

#[test]
fn a_root_that_is_a_file_is_named_as_such() {
    let site = Fixture::new("basic");
    let run = site.castor(&["build", "--root", "book.toml"]).code(2);
    assert_eq!(
        run.stderr,
        "error: the root directory `book.toml` is not a directory\n"
    );
}

#[test]
fn a_directory_without_a_site_gets_no_castor_state() {
    let empty = tempfile::tempdir().unwrap();
    for args in [&["build"][..], &["search", "bgp"], &["check"]] {
        let run = crate::helpers::castor_in(empty.path(), args).code(1);
        assert!(
            run.stderr.contains("the content directory does not exist"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);
}

#[test]
fn import_says_when_a_draft_is_over_the_size_limit() {
    let site = Fixture::new("basic");
    let story = "The disk filled. ".repeat(130_000);
    site.write(
        "list.md",
        format!("## Config Errors\n\n[Hooli](https://hooli.example/big). {story}\n"),
    );
    let run = site
        .castor(&["import", "list", "list.md", "--into", "drafts"])
        .success();
    assert!(
        run.stdout
            .contains("over the limit of 2097152 that `castor build` reads"),
        "{}",
        run.stdout
    );
}
