//! `castor search` on the shipped knowledge base: ranking, the query
//! language, filters, typo tolerance, `--similar`, `--json`, and the
//! rebuild of a stale index.

use crate::helpers::{Fixture, Run, castor_in};

/// The titles of a text result list, in order.
fn titles(run: &Run) -> Vec<String> {
    run.stdout
        .lines()
        .filter_map(|l| {
            l.split_once(". ")
                .filter(|(n, _)| n.parse::<usize>().is_ok())
        })
        .map(|(_, title)| title.to_string())
        .collect()
}

fn json(run: &Run) -> Vec<serde_json::Value> {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON: {e}\n{}", run.stdout))
}

#[test]
fn bgp_finds_facebook_and_cloudflare_in_the_top_three() {
    let kb = Fixture::new("search");
    let run = kb.search(&["bgp", "--limit", "3"]).success();
    let top = titles(&run).join("\n");
    assert!(top.contains("Facebook"), "{top}");
    assert!(top.contains("Cloudflare"), "{top}");
    assert!(
        run.stderr
            .contains("Rebuilding the search index: no search index yet."),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    // Piped output carries no escape codes, and shows the page's path.
    assert!(!run.stdout.contains('\x1b'));
    assert!(
        run.stdout
            .contains("public/incidents/2021-10-04-facebook-bgp/index.html"),
        "{}",
        run.stdout
    );
}

#[test]
fn backup_finds_gitlab() {
    let kb = Fixture::new("search");
    let run = kb.search(&["backup", "--limit", "3"]).success();
    assert!(
        titles(&run).iter().any(|t| t.contains("GitLab")),
        "{}",
        run.stdout
    );
}

#[test]
fn an_index_built_by_castor_build_is_reused() {
    let kb = Fixture::new("search");
    castor_in(kb.root(), &["build"]).success();
    assert!(kb.root().join(".castor/index/castor-index.json").is_file());
    let run = kb.search(&["bgp"]).success();
    assert_eq!(run.stderr, "", "the fresh index was rebuilt");
}

#[test]
fn stemming_matches_other_forms_of_a_word() {
    let kb = Fixture::new("search");
    let singular = titles(&kb.search(&["partition"]).success());
    let plural = titles(&kb.search(&["partitions"]).success());
    assert!(!singular.is_empty());
    assert_eq!(singular, plural);
}

#[test]
fn a_phrase_matches_words_in_order_only() {
    let kb = Fixture::new("search");
    let phrase = kb.search(&["\"split brain\""]).success();
    assert!(
        titles(&phrase).iter().any(|t| t.contains("GitHub")),
        "{}",
        phrase.stdout
    );
    let reversed = kb.search(&["\"brain split\""]).success();
    assert!(
        reversed.stdout.starts_with("No results"),
        "{}",
        reversed.stdout
    );
}

#[test]
fn words_are_joined_with_and_and_operators_work() {
    let kb = Fixture::new("search");
    let both = titles(&kb.search(&["bgp", "dnssec", "-n", "20"]).success());
    let either = titles(&kb.search(&["bgp OR dnssec", "-n", "20"]).success());
    let without = titles(&kb.search(&["bgp -dnssec", "-n", "20"]).success());
    assert!(both.len() < either.len(), "{both:?} {either:?}");
    assert!(without.iter().all(|t| !t.contains("DNSSEC")), "{without:?}");
    assert!(without.len() < either.len(), "{without:?}");
    assert!(
        without.iter().any(|t| t.contains("Facebook")),
        "{without:?}"
    );
    let field = titles(&kb.search(&["company:gitlab"]).success());
    assert_eq!(field.len(), 1, "{field:?}");
    assert!(field[0].contains("GitLab"));
}

#[test]
fn each_filter_narrows_the_results() {
    let kb = Fixture::new("search");
    let all = json(&kb.search(&["data", "--json", "-n", "50"]).success());
    assert!(all.len() > 5);
    let check = |args: &[&str], ok: &dyn Fn(&serde_json::Value) -> bool| {
        let mut full = vec!["data", "--json", "-n", "50"];
        full.extend_from_slice(args);
        let hits = json(&kb.search(&full).success());
        assert!(!hits.is_empty(), "{args:?} found nothing");
        assert!(hits.len() < all.len(), "{args:?} filtered nothing");
        for hit in &hits {
            assert!(ok(hit), "{args:?} let through {hit}");
        }
    };
    check(&["--category", "software"], &|h| {
        h["category"] == "software"
    });
    check(&["--company", "gitlab"], &|h| h["company"] == "GitLab");
    check(&["--tag", "bgp"], &|h| {
        h["tags"].as_array().unwrap().iter().any(|t| t == "bgp")
    });
    check(&["--since", "2021"], &|h| h["year"].as_u64() >= Some(2021));
    check(&["--until", "2018"], &|h| h["year"].as_u64() <= Some(2018));
    check(&["--kind", "advice"], &|h| h["kind"] == "advice");
    check(&["--kind", "incident"], &|h| h["kind"] == "incident");
}

#[test]
fn a_typo_still_finds_cloudflare_and_says_so() {
    let kb = Fixture::new("search");
    let run = kb.search(&["clodflare"]).success();
    assert!(
        run.stdout.starts_with(
            "No exact match for `clodflare`; showing results for close spellings: `cloudflare`."
        ),
        "{}",
        run.stdout
    );
    assert!(titles(&run)[0].contains("Cloudflare"), "{}", run.stdout);
}

#[test]
fn a_query_of_common_words_says_they_are_not_indexed() {
    let kb = Fixture::new("search");
    let run = kb.search(&["the"]).success();
    assert_eq!(
        run.stdout.trim(),
        "No results for `the`. Words too common to be indexed: `the`."
    );
    // Among other words, they are left out: a phrase keeps their places.
    let phrase = kb.search(&["\"split the brain\""]).success();
    assert!(phrase.stdout.starts_with("No results"), "{}", phrase.stdout);
    let words = kb.search(&["the", "bgp"]).success();
    assert!(
        titles(&words).iter().any(|t| t.contains("Facebook")),
        "{}",
        words.stdout
    );
}

#[test]
fn no_result_says_so() {
    let kb = Fixture::new("search");
    let run = kb.search(&["xqzzyv"]).success();
    assert_eq!(run.stdout.trim(), "No results for `xqzzyv`.");
}

#[test]
fn similar_lists_other_incidents_like_one() {
    let kb = Fixture::new("search");
    let hits = json(
        &kb.search(&[
            "--similar",
            "2017-01-31-gitlab-database-deletion",
            "--json",
            "-n",
            "3",
        ])
        .success(),
    );
    assert_eq!(hits.len(), 3);
    assert!(hits.iter().all(|h| h["kind"] == "incident"));
    assert!(
        hits.iter()
            .all(|h| h["slug"] != "2017-01-31-gitlab-database-deletion")
    );
    // Another production database deleted by a process that should not
    // have had the rights.
    assert!(
        hits.iter().any(|h| h["company"] == "DigitalOcean"),
        "{hits:?}"
    );
    let unknown = kb.search(&["--similar", "no-such-incident"]).code(2);
    assert!(
        unknown
            .stderr
            .contains("no incident has the slug `no-such-incident`"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn a_malformed_query_is_a_usage_error() {
    let kb = Fixture::new("search");
    for query in ["title:(", "\"unclosed", "nosuchfield:x"] {
        let run = kb.search(&[query]).code(2);
        assert!(
            run.stderr
                .contains(&format!("error: cannot understand the query `{query}`")),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"));
    }
    let run = kb.search(&["x", "--category", "netwrk"]).code(2);
    assert!(
        run.stderr.contains("did you mean `network`?"),
        "{}",
        run.stderr
    );
    kb.search(&[]).code(2);
}

#[test]
fn json_carries_every_field_and_the_score() {
    let kb = Fixture::new("search");
    let hits = json(&kb.search(&["bgp", "--json"]).success());
    let facebook = hits
        .iter()
        .find(|h| h["slug"] == "2021-10-04-facebook-bgp")
        .expect("facebook in the results");
    for field in [
        "score",
        "slug",
        "kind",
        "title",
        "company",
        "date",
        "year",
        "category",
        "tags",
        "root_cause",
        "lessons",
        "url",
        "path",
        "snippet",
        "highlights",
    ] {
        assert!(facebook.get(field).is_some(), "no `{field}` in {facebook}");
    }
    assert_eq!(facebook["company"], "Facebook");
    assert_eq!(facebook["date"], "2021-10-04");
    assert_eq!(facebook["year"], 2021);
    assert_eq!(facebook["url"], "incidents/2021-10-04-facebook-bgp/");
    assert!(facebook["score"].as_f64().unwrap() > 0.0);
    assert!(!facebook["lessons"].as_array().unwrap().is_empty());
    let snippet = facebook["snippet"].as_str().unwrap();
    let [start, end] = [0, 1].map(|i| facebook["highlights"][0][i].as_u64().unwrap() as usize);
    assert!(snippet[start..end].eq_ignore_ascii_case("bgp"), "{snippet}");
}

#[test]
fn editing_content_makes_the_next_search_rebuild_and_find_it() {
    let kb = Fixture::new("search");
    kb.search(&["bgp"]).success();
    let before = kb.search(&["zanzibarquux"]).success();
    assert!(before.stdout.starts_with("No results"));
    assert_eq!(before.stderr, "");
    let file = kb.root().join("content/incidents/2021-09-30-slack-dns.md");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        format!("{text}\nThe zanzibarquux resolver was to blame.\n"),
    )
    .unwrap();
    let after = kb.search(&["zanzibarquux"]).success();
    assert!(
        after
            .stderr
            .contains("the content changed since the search index was built"),
        "{}",
        after.stderr
    );
    assert!(titles(&after)[0].contains("Slack"), "{}", after.stdout);
}

#[test]
fn an_update_in_place_drops_deleted_documents_and_keeps_the_rest() {
    let site = Fixture::new("basic");
    site.castor(&["build"]).success();
    let found = |query: &str| {
        let run = site.castor(&["search", "--json", query]).success();
        json(&run)
            .iter()
            .map(|h| h["slug"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(found("Globex")[0], "2017-globex-database-deleted");
    let acme_hits = found("Acme");
    assert!(!acme_hits.is_empty());
    std::fs::remove_file(site.path("content/incidents/2017-globex-database-deleted.md")).unwrap();
    let acme = site.read("content/incidents/2021-10-04-acme-bgp.md");
    site.write(
        "content/incidents/2021-10-04-acme-bgp.md",
        acme.replace("related: [2017-globex-database-deleted]\n", "")
            .replace(
                "See also the [Globex story](@/incidents/2017-globex-database-deleted.md#timeline)\nand",
                "See",
            )
            .replace("title: \"Acme", "title: \"Quokka Acme"),
    );
    site.castor(&["build"]).success();
    assert!(!found("Globex").contains(&"2017-globex-database-deleted".to_string()));
    assert_eq!(found("Quokka"), ["2021-10-04-acme-bgp"]);
    assert_eq!(
        found("Acme"),
        acme_hits,
        "the other documents are still there"
    );
}

#[test]
fn a_rebuild_that_finds_content_errors_exits_1() {
    let kb = Fixture::new("search");
    std::fs::write(
        kb.root().join("content/incidents/2021-bad.md"),
        "---\ntitle: x\n---\n",
    )
    .unwrap();
    let run = kb.search(&["bgp"]).code(1);
    assert!(run.stderr.contains("cannot search"), "{}", run.stderr);
}

#[test]
fn the_site_gets_a_search_page_a_header_box_and_a_sharded_index() {
    let kb = Fixture::new("search");
    castor_in(kb.root(), &["build"]).success();
    let public = kb.root().join("public");
    let page = std::fs::read_to_string(public.join("search/index.html")).unwrap();
    assert!(page.contains(r#"id="search-query""#));
    assert!(page.contains(r#"data-index="../search/index/""#), "{page}");
    let home = std::fs::read_to_string(public.join("index.html")).unwrap();
    assert!(
        home.contains(r#"<form class="search-box" action="./search/""#),
        "{home}"
    );
    assert!(public.join("search.js").is_file());

    let read = |rel: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(public.join("search/index").join(rel)).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let meta = read("meta.json");
    let docs = meta["docs"].as_u64().unwrap() as usize;
    assert_eq!(meta["category"].as_array().unwrap().len(), docs);
    // "bgp" lives in the "bgp" shard; its postings name the Facebook page.
    let postings = read("t/bgp.json")["bgp"].as_array().unwrap().clone();
    let chunk = meta["chunk"].as_u64().unwrap() as usize;
    let mut doc = 0;
    let mut urls = Vec::new();
    for pair in postings.chunks(2) {
        doc += pair[0].as_u64().unwrap() as usize;
        let chunk_docs = read(&format!("d/{}.json", doc / chunk));
        urls.push(chunk_docs[doc % chunk]["url"].as_str().unwrap().to_string());
    }
    assert!(
        urls.contains(&"incidents/2021-10-04-facebook-bgp/".to_string()),
        "{urls:?}"
    );
}
