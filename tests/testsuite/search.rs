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
fn documents_with_every_word_come_first_and_operators_work() {
    let kb = Fixture::new("search");
    // Only Slack's page holds both words; those with one of them follow.
    let both = titles(&kb.search(&["bgp", "dnssec", "-n", "20"]).success());
    let either = titles(&kb.search(&["bgp OR dnssec", "-n", "20"]).success());
    let without = titles(&kb.search(&["bgp -dnssec", "-n", "20"]).success());
    assert!(both[0].contains("DNSSEC"), "{both:?}");
    let mut same = both.clone();
    same.sort();
    let mut any = either.clone();
    any.sort();
    assert_eq!(
        same, any,
        "every document with either word, after those with both"
    );
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
    assert!(page.contains(r#"id="search-results""#));
    assert!(page.contains(r#"data-index="../search/index/""#), "{page}");
    // One search landmark per page, labelled.
    assert_eq!(page.matches(r#"role="search""#).count(), 1, "{page}");
    assert!(page.contains(r#"aria-label="Site search""#));
    let home = std::fs::read_to_string(public.join("index.html")).unwrap();
    assert!(
        home.contains(r#"<form class="search-box" action="./search/""#),
        "{home}"
    );
    assert!(public.join("search.js").is_file());

    // Each file is a script handing its data to the page.
    let read = |name: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(public.join(format!("search/index/{name}.js"))).unwrap();
        let json = text
            .strip_prefix(&format!("castorIndex(\"{name}\","))
            .and_then(|rest| rest.strip_suffix(");\n"))
            .unwrap_or_else(|| panic!("{name}: {text}"));
        serde_json::from_str(json).unwrap()
    };
    let meta = read("meta");
    assert_eq!(meta["root"], "../../");
    let shards: Vec<&str> = meta["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    // "bgp" lives in the shard of its longest key, with its postings; the
    // engine's own test reads them (the_site_and_the_cli_agree_on_the_first_ten).
    let key = shards
        .iter()
        .filter(|k| "bgp".starts_with(*k))
        .max_by_key(|k| k.len())
        .unwrap();
    assert!(read(&format!("t/{key}"))["s"]["bgp"].is_string());
    assert_eq!(
        read("d/0")["url"].as_str().unwrap().split('/').next(),
        Some("incidents")
    );
    // No file of the index is over 100 KB.
    for entry in walkdir::WalkDir::new(public.join("search/index")) {
        let entry = entry.unwrap();
        let size = entry.metadata().unwrap().len();
        assert!(
            size <= 100_000,
            "{} is {size} bytes",
            entry.path().display()
        );
    }
}

/// What the site's search engine (search.js, under Node) answers for each
/// query on the site built in `root`: the URLs of its first ten results.
fn site_top_ten(root: &std::path::Path, queries: &[&str]) -> Vec<Vec<String>> {
    let asks: Vec<serde_json::Value> = queries
        .iter()
        .map(|q| serde_json::json!({ "query": q }))
        .collect();
    ask_engine(root, &asks).iter().map(urls).collect()
}

fn urls(answer: &serde_json::Value) -> Vec<String> {
    answer["urls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect()
}

/// The answers of the site's search engine, under Node, to `asks` (see
/// tests/js/engine.js) on the site built in `root`.
fn ask_engine(root: &std::path::Path, asks: &[serde_json::Value]) -> Vec<serde_json::Value> {
    let repo = crate::helpers::repo();
    let mut child = std::process::Command::new("node")
        .arg(repo.join("tests/js/engine.js"))
        .arg(repo.join("themes/default/static/search.js"))
        .arg(root.join("public/search/index"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("Node.js is installed");
    let input: String = asks.iter().map(|ask| format!("{ask}\n")).collect();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), input.as_bytes()).unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let answers: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(
        answers.len(),
        asks.len(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    answers
}

/// The average share of `castor search`'s first ten results that the
/// site's search also shows in its first ten.
fn parity(root: &std::path::Path, queries: &[&str]) -> f64 {
    let site = site_top_ten(root, queries);
    let mut total = 0.0;
    for (query, site) in queries.iter().zip(&site) {
        let run = castor_in(root, &["search", query, "--json", "-n", "10"]).success();
        let cli: Vec<String> = json(&run)
            .iter()
            .map(|h| h["url"].as_str().unwrap().to_string())
            .collect();
        let shared = cli.iter().filter(|u| site.contains(u)).count();
        let share = if cli.is_empty() {
            if site.is_empty() { 1.0 } else { 0.0 }
        } else {
            shared as f64 / cli.len() as f64
        };
        if share < 0.8 {
            eprintln!("{query}: {share:.2}\n  cli  {cli:?}\n  site {site:?}");
        }
        total += share;
    }
    total / queries.len() as f64
}

#[test]
#[ignore = "needs Node.js; run by .ci/run"]
fn the_site_and_the_cli_agree_on_the_first_ten() {
    let kb = Fixture::new("search");
    castor_in(kb.root(), &["build"]).success();
    let shipped = [
        "bgp",
        "dns",
        "backup",
        "restore",
        "replication",
        "database deleted",
        "split brain",
        "network partition",
        "configuration change",
        "rollback",
        "cdn",
        "certificate",
        "leak",
        "water cooling",
        "storm",
        "ransom",
        "mongodb",
        "zookeeper",
        "garbage collection",
        "trading",
        "deployment script",
        "email",
        "test",
        "status page",
        "monitoring alert",
    ];
    let corpus = generated_site(400);
    let (a, b) = (
        parity(kb.root(), &shipped),
        parity(corpus.path(), &GENERATED_QUERIES),
    );
    eprintln!("shipped: {a:.3}, generated: {b:.3}");
    assert!(a >= 0.8 && b >= 0.8, "shipped {a:.3}, generated {b:.3}");
}

/// A site of `incidents` made by examples/gen_corpus.rs, built.
fn generated_site(incidents: usize) -> tempfile::TempDir {
    let corpus = tempfile::tempdir().unwrap();
    let generator = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/gen_corpus");
    let made = std::process::Command::new(generator)
        .arg(corpus.path())
        .arg(incidents.to_string())
        .status()
        .expect("the gen_corpus example is built with the tests");
    assert!(made.success());
    castor_in(corpus.path(), &["build"]).success();
    corpus
}

/// Queries a reader might type on a generated corpus.
const GENERATED_QUERIES: [&str; 25] = [
    "bgp",
    "dns ttl",
    "certificate expired",
    "replication",
    "failover",
    "backup restore",
    "latency",
    "retry storm",
    "cache",
    "quorum",
    "leader election",
    "partition",
    "deploy rollback",
    "canary",
    "feature flag",
    "kubernetes etcd",
    "postgres",
    "redis",
    "kafka queue",
    "disk full",
    "memory leak",
    "rate limit",
    "load balancer",
    "power cooling",
    "firewall",
];

/// The page reads a common word's postings a tier at a time, best
/// documents first, and only as far as the results it shows need: what it
/// shows must be exactly what reading them all would show, page after page,
/// unless it says it ranked on part of them (two common words that seldom
/// meet), and then most of it.
#[test]
#[ignore = "needs Node.js; run by .ci/run"]
fn reading_postings_by_tiers_changes_no_result() {
    let corpus = generated_site(1_200);
    let mut asks = Vec::new();
    for query in GENERATED_QUERIES
        .iter()
        .chain(&["incident", "service outage", "-redis cache"])
    {
        for limit in [10, 40] {
            for all in [false, true] {
                asks.push(serde_json::json!({ "query": query, "limit": limit, "all": all, "first": true }));
            }
        }
    }
    let answers = ask_engine(corpus.path(), &asks);
    let mut tiers_read = 0;
    for (pair, ask) in answers.chunks(2).zip(asks.iter().step_by(2)) {
        let (read, exact) = (urls(&pair[0]), urls(&pair[1]));
        if pair[0]["rough"] == true {
            let shared = read.iter().filter(|u| exact.contains(u)).count();
            assert!(shared * 10 >= exact.len() * 8, "{ask}: {read:?} {exact:?}");
        } else {
            assert_eq!(read, exact, "{ask}");
        }
        tiers_read += pair[0]["tiers"].as_u64().unwrap();
        assert!(
            pair[0]["tiers"].as_u64() <= pair[1]["tiers"].as_u64(),
            "{ask}"
        );
    }
    // The corpus has common words enough that some answers need a tier
    // past the first and others do not.
    let all_read: u64 = answers
        .iter()
        .skip(1)
        .step_by(2)
        .map(|a| a["tiers"].as_u64().unwrap())
        .sum();
    assert!(
        tiers_read < all_read,
        "{tiers_read} tiers read of {all_read}"
    );
}

#[test]
fn no_refresh_answers_from_the_index_as_it_is() {
    let kb = Fixture::new("search");
    castor_in(kb.root(), &["build"]).success();
    let path = "content/incidents/2021-10-04-facebook-bgp.md";
    let text = kb.read(path);
    kb.write(
        path,
        text.replacen("## Summary", "## Summary\n\nZebrafish.\n", 1),
    );
    let stale = kb.search(&["zebrafish", "--no-refresh"]).success();
    assert_eq!(stale.stderr, "", "no rebuild");
    assert!(!stale.stdout.contains("Facebook"), "{}", stale.stdout);
    let fresh = kb.search(&["zebrafish"]).success();
    assert!(
        fresh.stderr.contains("Rebuilding the search index"),
        "{}",
        fresh.stderr
    );
    assert!(fresh.stdout.contains("Facebook"), "{}", fresh.stdout);
}

/// One edit of `word`, the `n`th kind in turn: a letter dropped, doubled,
/// changed, or two neighbours swapped.
fn one_edit(word: &str, n: usize) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    let at = 1 + n % (chars.len() - 2);
    match n % 4 {
        0 => {
            chars.remove(at);
        }
        1 => chars.insert(at, chars[at]),
        2 => chars[at] = if chars[at] == 'q' { 'z' } else { 'q' },
        _ => chars.swap(at, at + 1),
    }
    chars.into_iter().collect()
}

#[test]
#[ignore = "needs Node.js; run by .ci/run"]
fn one_edit_typos_find_the_intended_words_pages() {
    let kb = Fixture::new("search");
    castor_in(kb.root(), &["build"]).success();
    let vocabulary =
        std::fs::read_to_string(kb.root().join(".castor/index/castor-vocabulary.txt")).unwrap();
    let words: Vec<&str> = vocabulary
        .lines()
        .filter_map(|l| l.split(' ').next())
        .filter(|w| w.chars().count() >= 5 && w.chars().all(|c| c.is_ascii_lowercase()))
        .step_by(7)
        .collect();
    let known: std::collections::HashSet<&str> = vocabulary
        .lines()
        .filter_map(|l| l.split(' ').next())
        .collect();
    let typos: Vec<(String, &str)> = words
        .iter()
        .enumerate()
        .map(|(n, w)| (one_edit(w, n), *w))
        .filter(|(typo, _)| !known.contains(typo.as_str()))
        .collect();
    let queries: Vec<&str> = typos
        .iter()
        .flat_map(|(typo, word)| [word.to_owned(), typo.as_str()])
        .collect();
    let answers = site_top_ten(kb.root(), &queries);
    let found = answers
        .chunks(2)
        .filter(|pair| pair[0].first().is_some_and(|best| pair[1].contains(best)))
        .count();
    let share = found as f64 / typos.len() as f64;
    eprintln!(
        "{found} of {} typos find their word's best page",
        typos.len()
    );
    assert!(typos.len() >= 100, "{} typos", typos.len());
    assert!(share >= 0.95, "{share:.3}");
}

/// Compounds the search fixture spells one way only: "datacenter" (never
/// "data center") and "post-mortem" (in pages that never say
/// "postmortem"). Each spelling finds the pages of the other.
const COMPOUNDS: [(&str, &str); 4] = [
    (
        "data center",
        "incidents/2018-10-21-github-network-partition-split-brain/",
    ),
    (
        "data center",
        "incidents/2017-06-29-ovhcloud-paris-water-cooling-leak/",
    ),
    ("postmortem", "incidents/2021-09-30-slack-dns/"),
    ("postmortem", "incidents/2021-06-08-fastly-global-outage/"),
];

#[test]
fn compounds_are_found_in_either_spelling() {
    let kb = Fixture::new("search");
    castor_in(kb.root(), &["build"]).success();
    for (query, url) in COMPOUNDS {
        let run = kb.search(&[query, "--json", "-n", "50"]).success();
        let hits = json(&run);
        assert!(hits.iter().any(|h| h["url"] == url), "{query}: {hits:?}");
    }
}

#[test]
#[ignore = "needs Node.js; run by .ci/run"]
fn the_site_finds_compounds_in_either_spelling() {
    let kb = Fixture::new("search");
    castor_in(kb.root(), &["build"]).success();
    let asks: Vec<serde_json::Value> = COMPOUNDS
        .iter()
        .map(|(q, _)| serde_json::json!({ "query": q, "limit": 50 }))
        .collect();
    for ((query, url), answer) in COMPOUNDS.iter().zip(ask_engine(kb.root(), &asks)) {
        assert!(urls(&answer).iter().any(|u| u == url), "{query}: {answer}");
    }
}

/// A rebuild stamps the index with the hashes of the bytes its parse cache
/// holds, not reading those files again: the stamp must be the one the
/// files give, or the next search after a `touch` would rebuild.
#[test]
fn a_touch_after_a_rebuild_does_not_rebuild_the_index() {
    let kb = Fixture::new("search");
    castor_in(kb.root(), &["build"]).success();
    let path = "content/incidents/2021-10-04-facebook-bgp.md";
    let text = kb.read(path);
    kb.write(path, format!("{text}\nZebrafish.\n"));
    castor_in(kb.root(), &["build"]).success();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    for entry in std::fs::read_dir(kb.root().join("content/incidents")).unwrap() {
        std::fs::File::options()
            .write(true)
            .open(entry.unwrap().path())
            .unwrap()
            .set_modified(later)
            .unwrap();
    }
    let run = kb.search(&["zebrafish"]).success();
    assert_eq!(run.stderr, "", "no rebuild");
    assert!(run.stdout.contains("Facebook"), "{}", run.stdout);
}
