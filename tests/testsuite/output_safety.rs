//! castor only replaces what it created, and never a directory that holds
//! the site itself.

use crate::helpers::{Fixture, snapshot_dir};

#[test]
fn refuses_dangerous_output_directories_before_touching_anything() {
    let site = Fixture::new("basic");
    let before = snapshot_dir(site.root());
    for output in [".", "content", "content/incidents", "themes", "..", "/"] {
        let run = site.castor(&["build", "--output", output]).code(2);
        assert!(
            run.stderr.contains(&format!(
                "error: refusing to use `{output}` as the output directory"
            )),
            "{output}: {}",
            run.stderr
        );
    }
    assert_eq!(snapshot_dir(site.root()), before);
}

#[test]
fn refuses_a_dangerous_output_directory_from_book_toml() {
    let site = Fixture::new("basic");
    let config = site.read("book.toml");
    site.write(
        "book.toml",
        format!("{config}\n[build]\noutput = \"content\"\n"),
    );
    let run = site.castor(&["build"]).code(2);
    insta::assert_snapshot!("output_is_content", run.stderr);
}

#[test]
fn refuses_to_replace_a_directory_it_did_not_create_unless_forced() {
    let site = Fixture::new("basic");
    site.write("public/precious.txt", "keep me");
    let run = site.castor(&["build"]).code(2);
    assert!(
        run.stderr
            .contains("refusing to replace `public`: castor did not create it"),
        "{}",
        run.stderr
    );
    assert_eq!(site.read("public/precious.txt"), "keep me");
    site.castor(&["build", "--force"]).success();
    assert!(!site.path("public/precious.txt").exists());
    assert!(site.path("public/.castor-output").is_file());
}

#[test]
fn replaces_its_own_output_whole() {
    let site = Fixture::new("basic");
    site.castor(&["build"]).success();
    std::fs::remove_file(site.path("content/incidents/2017-globex-database-deleted.md")).unwrap();
    // The other incidents cite it; drop those references.
    let acme = site.read("content/incidents/2021-10-04-acme-bgp.md");
    site.write("content/incidents/2021-10-04-acme-bgp.md", acme.replace("related: [2017-globex-database-deleted]\n", "").replace("See also the [Globex story](@/incidents/2017-globex-database-deleted.md#timeline)\nand", "See"));
    site.castor(&["build"]).success();
    assert!(
        !site
            .path("public/incidents/2017-globex-database-deleted")
            .exists(),
        "stale pages are gone"
    );
    assert!(!site.path(".public.castor-staging").exists());
    assert!(!site.path(".public.castor-old").exists());
}

/// The numbers of `--verbose`'s "N files: W written, U unchanged; R stale
/// files removed" line.
fn written(run: &crate::helpers::Run) -> [usize; 4] {
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains(" written, "))
        .unwrap_or_else(|| panic!("no file counts in {}", run.stdout));
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    numbers.try_into().unwrap()
}

#[test]
fn rebuilds_write_only_the_files_that_changed() {
    let site = Fixture::new("basic");
    let first = site.castor(&["build", "--verbose"]).success();
    let [files, new, unchanged, removed] = written(&first);
    assert_eq!((new, unchanged, removed), (files, 0, 0));
    site.write("public/stray.html", "left by hand");
    let page = "public/incidents/2021-10-04-acme-bgp/index.html";
    let before = std::fs::metadata(site.path(page))
        .unwrap()
        .modified()
        .unwrap();

    let again = site.castor(&["build", "--verbose"]).success();
    assert_eq!(written(&again), [files, 0, files, 1]);
    assert!(!site.path("public/stray.html").exists());
    let after = std::fs::metadata(site.path(page))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after, "an unchanged page is not rewritten");

    let acme = site.read("content/incidents/2021-10-04-acme-bgp.md");
    site.write(
        "content/incidents/2021-10-04-acme-bgp.md",
        acme.replacen("BGP", "Border Gateway Protocol", 1),
    );
    let edited = site.castor(&["build", "--verbose"]).success();
    let [_, new, unchanged, _] = written(&edited);
    assert!(new >= 1 && unchanged > 0, "{}", edited.stdout);
    assert!(site.read(page).contains("Border Gateway Protocol"));
    let leftovers: Vec<_> = walkdir::WalkDir::new(site.path("public"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().to_string_lossy().ends_with(".castor-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_second_build_while_one_runs_fails_fast() {
    let site = Fixture::new("basic");
    std::fs::create_dir_all(site.path(".castor")).unwrap();
    let lock = std::fs::File::create(site.path(".castor/build.lock")).unwrap();
    lock.lock().unwrap();
    let run = site.castor(&["build"]).code(2);
    assert!(
        run.stderr
            .contains("another castor build of this site is running"),
        "{}",
        run.stderr
    );
    drop(lock);
    site.castor(&["build"]).success();
}

#[test]
fn a_first_build_that_fails_while_rendering_leaves_nothing() {
    let site = Fixture::new("basic");
    site.write(
        "themes/default/templates/page.html",
        "{% extends \"base.html\" %}{% block main %}{{ no_such_value.field }}{% endblock main %}",
    );
    let run = site.castor(&["build"]).code(2);
    assert!(run.stderr.contains("page.html"), "{}", run.stderr);
    assert!(!site.path("public").exists());
    assert!(!site.path(".public.castor-staging").exists());
}
