//! `castor import list`: a Markdown list of post-mortems in the
//! danluu/post-mortems format becomes draft incidents that `castor check`
//! accepts.

use serde_json::{Value, json};

use crate::helpers::{Fixture, snapshot_dir};

const INCIDENTS: &str = "content/incidents";

fn today() -> String {
    chrono::Local::now().date_naive().to_string()
}

/// The front matter of a written draft, as YAML reads it.
fn front_matter(site: &Fixture, name: &str) -> Value {
    let text = site.read(&format!("{INCIDENTS}/{name}"));
    let split = castor::content::frontmatter::split(&text).expect("front matter");
    serde_saphyr::from_str(split.yaml).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The Markdown of a draft's Summary section.
fn summary(site: &Fixture, name: &str) -> String {
    let text = site.read(&format!("{INCIDENTS}/{name}"));
    let after = text
        .split("## Summary\n\n")
        .nth(1)
        .expect("a Summary section");
    after.split("\n\n## Timeline").next().unwrap().to_string()
}

/// The file names under content/incidents/, sorted.
fn incident_files(site: &Fixture) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(site.path(INCIDENTS))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The report of the first import of the fixture list, `{today}` standing
/// for the day it runs.
const REPORT: &str = "\
Wrote 28 drafts from post-mortems.md to content/incidents/:
  content/incidents/2017-02-10-acme-cloud-a-load-balancer-rule-pushed-to-every-region-at.md
    - date from the URL: perhaps the day of the write-up, not of the incident
  content/incidents/2020-07-17-globex-a-feature-flag-meant-for-staging-was-read-by.md
    - title cut to 90 characters from the summary's first sentence
  content/incidents/{today}-initech-a-typo-in-a-dns-zone-file-set-every-ttl-to-one.md
    - no date found: dated today ({today}); correct the date and the file name
  content/incidents/2019-03-hooli-the-quota-service-read-an-empty-limits-yaml-and.md
    - date: only the month was found
    - date from the URL: perhaps the day of the write-up, not of the incident
  content/incidents/2018-muller-sohne-gmbh-a-firewall-change-blocked-the-payment-gateway-for.md
    - date: only the year was found
  content/incidents/2016-06-04-umbrella-hosting-storms-cut-the-grid-and-a-generator-failed-to.md
    - date from the URL: perhaps the day of the write-up, not of the incident
  content/incidents/2021-03-03-cyberdyne-lost-a-row-of-storage-servers-when-a-cooling-unit.md
  content/incidents/2015-tyrell-corp-a-battery-room-fire-forced-the-whole-site-onto-a.md
    - date: only the year was found
    - date from the URL: perhaps the day of the write-up, not of the incident
  content/incidents/2011-wayne-enterprises-lightning-struck-the-substation-twice-disks-in.md
    - date: only the year was found
  content/incidents/2014-08-04-pied-piper-a-schema-migration-took-a-lock-that-a-long-report.md
    - title cut to 90 characters from the summary's first sentence
    - date from the URL: perhaps the day of the write-up, not of the incident
  content/incidents/{today}-vandelay-industries-two-versions-of-the-pricing-service-ran-side-by.md
    - title cut to 90 characters from the summary's first sentence
    - no date found: dated today ({today}); correct the date and the file name
  content/incidents/2016-12-31-aperture-science-the-leap-second-of-2016-12-31-made-time-now-go.md
  content/incidents/2012-02-29-black-mesa-certificates-valid-for-one-year-were-issued-on.md
    - title cut to 90 characters from the summary's first sentence
  content/incidents/2017-01-31-massive-dynamic-an-engineer-wiped-the-data-directory-of-the.md
    - date from the URL: perhaps the day of the write-up, not of the incident
  content/incidents/{today}-oscorp-a-signed-32-bit-primary-key-ran-out-and-inserts.md
    - no date found: dated today ({today}); correct the date and the file name
  content/incidents/2022-09-12-gringotts-an-old-test-machine-kept-production-keys-and.md
    - date from the URL: perhaps the day of the write-up, not of the incident
    - category `security` guessed from the summary
  content/incidents/{today}-monsters-inc-a-deploy-from-the-wrong-branch-rolled-an-untested.md
    - no date found: dated today ({today}); correct the date and the file name
    - category `deployment` guessed from the summary
  content/incidents/2019-05-soylent-a-flapping-service-brought-a-thundering-herd-of.md
    - title cut to 90 characters from the summary's first sentence
    - date: only the month was found
    - category `capacity` guessed from the summary
  content/incidents/2013-09-17-stark-industries-a-double-free-in-the-ad-server-crashed-every.md
    - date from the URL: perhaps the day of the write-up, not of the incident
    - category `software` guessed from the summary
  content/incidents/{today}-wonka-human-error-a-typo-in-a-playbook-removed-far-more.md
    - no date found: dated today ({today}); correct the date and the file name
    - category `human` guessed from the summary
  content/incidents/2022-pere-castor-the-third-party-cdn-provider-in-front-of-the.md
    - title cut to 90 characters from the summary's first sentence
    - date: only the year was found
    - date from the URL: perhaps the day of the write-up, not of the incident
    - category `dependency` guessed from the summary
  content/incidents/{today}-dunder-mifflin-nobody-could-say-what-happened.md
    - no date found: dated today ({today}); correct the date and the file name
    - category `software`: nothing in the heading or summary pointed to one
  content/incidents/2020-11-los-pollos-hermanos-the-ordering-api-timed-out-because-a-cache.md
    - date: only the month was found
    - date from the URL: perhaps the day of the write-up, not of the incident
    - category `time` guessed from the summary
  content/incidents/1997-nakatomi-trading-clock-skew-of-eleven-minutes-on-one-host-made.md
    - date: only the year was found
    - category `time` guessed from the summary
  content/incidents/2015-10-08-oceanic-airlines-a-manual-failover-was-run-against-the-wrong.md
    - title cut to 90 characters from the summary's first sentence
    - date from the URL: perhaps the day of the write-up, not of the incident
    - category `human` guessed from the summary
  content/incidents/2010-03-07-sterling-cooper-a-regex-with-heavy-backtracking-pinned-the-cpu-of.md
    - date from the URL: perhaps the day of the write-up, not of the incident
    - category `software` guessed from the summary
  content/incidents/{today}-prestige-worldwide-a-batch-job-s-log-ran-out-of-disk-space-and-every.md
    - no date found: dated today ({today}); correct the date and the file name
    - category `capacity` guessed from the summary
  content/incidents/2019-05-04-bluth-company-an-expired-domain-took-the-banana-stand-s-shop.md
    - date from the URL: perhaps the day of the write-up, not of the incident
    - category `time` guessed from the summary
Skipped:
  post-mortems.md:6: section `Table of Contents` is not a list of post-mortems
  post-mortems.md:52: Acme: https://www.acme.example/postmortem/ is already in content/incidents/2021-10-04-acme-bgp.md
  post-mortems.md:70: Globex: same source as line 16
  post-mortems.md:84: not an entry: the paragraph does not start with a link
  post-mortems.md:86: Healthcare Example: no summary after the link
  post-mortems.md:88: not an entry: the paragraph does not start with a link
  post-mortems.md:90: section `Other lists of postmortems` is not a list of post-mortems
  post-mortems.md:94: section `Contributors` is not a list of post-mortems
";

fn imported() -> Fixture {
    let site = Fixture::new("import");
    let run = site
        .castor(&["import", "list", "post-mortems.md"])
        .success();
    assert_eq!(run.stdout, REPORT.replace("{today}", &today()));
    assert_eq!(run.stderr, "");
    site
}

#[test]
fn writes_a_draft_per_new_entry_and_reports_what_it_guessed_and_skipped() {
    let site = imported();
    let today = today();
    let mut expected: Vec<String> = REPORT
        .lines()
        .filter_map(|l| l.trim().strip_prefix("content/incidents/"))
        .map(|name| name.replace("{today}", &today))
        .chain(["2021-10-04-acme-bgp.md".to_string()])
        .collect();
    expected.sort();
    assert_eq!(expected.len(), 29);
    assert_eq!(incident_files(&site), expected);
}

#[test]
fn fills_the_front_matter_from_each_entry() {
    let site = imported();
    let today = today();

    // An archive-wrapped URL: the original is the source, the copy its
    // `archived`; the date comes from the original's path.
    let acme = front_matter(
        &site,
        "2017-02-10-acme-cloud-a-load-balancer-rule-pushed-to-every-region-at.md",
    );
    assert_eq!(
        acme["title"],
        "A load balancer rule pushed to every region at once dropped all traffic for forty minutes"
    );
    assert_eq!(acme["company"], "Acme Cloud");
    assert_eq!(acme["date"], "2017-02-10");
    assert_eq!(acme["category"], "config");
    assert_eq!(acme["draft"], true);
    assert_eq!(
        acme["sources"],
        json!([{
            "url": "https://status.acme-cloud.example/2017/02/10/load-balancer-rules/",
            "title": "",
            "archived": "https://web.archive.org/web/20170301000000/https://status.acme-cloud.example/2017/02/10/load-balancer-rules/",
            "published": "",
        }])
    );
    // The placeholders `castor new` writes for what a list does not say.
    assert_eq!(
        acme["root_cause"],
        "Not disclosed yet: replace with what actually broke, and why, in one to three sentences.\n"
    );
    assert_eq!(
        acme["lessons"],
        json!(["Replace with a lesson a reader can act on."])
    );

    // "see also" is a second source, archived too, and leaves the body;
    // `code` stays in the body, and the title is plain text.
    let aperture = front_matter(
        &site,
        "2016-12-31-aperture-science-the-leap-second-of-2016-12-31-made-time-now-go.md",
    );
    assert_eq!(
        aperture["title"],
        "The leap second of 2016-12-31 made time.Now() go backwards and the scheduler panicked"
    );
    assert_eq!(aperture["date"], "2016-12-31");
    assert_eq!(aperture["category"], "time");
    let urls: Vec<(&Value, &Value)> = aperture["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (&s["url"], &s["archived"]))
        .collect();
    assert_eq!(
        urls,
        [
            (
                &json!("https://aperture.example/blog/leap-second"),
                &json!("")
            ),
            (
                &json!("https://forum.aperture.example/t/leap"),
                &json!(
                    "https://web.archive.org/web/20170102030405/https://forum.aperture.example/t/leap"
                )
            ),
        ]
    );
    assert_eq!(
        summary(
            &site,
            "2016-12-31-aperture-science-the-leap-second-of-2016-12-31-made-time-now-go.md"
        ),
        "The leap second of 2016-12-31 made `time.Now()` go backwards and the scheduler panicked."
    );

    // Punctuation and non-ASCII in the company; an inline link kept in the
    // body; a year alone in the text.
    let name = "2018-muller-sohne-gmbh-a-firewall-change-blocked-the-payment-gateway-for.md";
    let muller = front_matter(&site, name);
    assert_eq!(muller["company"], "Müller & Söhne GmbH");
    assert_eq!(muller["date"], 2018);
    assert_eq!(
        summary(&site, name),
        "A firewall change blocked the [payment gateway](https://payments.example/status) for a morning in 2018."
    );

    // No date anywhere: today, with a comment saying it is a placeholder.
    let name = format!("{today}-initech-a-typo-in-a-dns-zone-file-set-every-ttl-to-one.md");
    let initech = front_matter(&site, &name);
    assert_eq!(initech["date"], today.as_str());
    assert!(site.read(&format!("{INCIDENTS}/{name}")).contains(&format!(
        "\ndate: {today}  # placeholder: no date found in the list\n"
    )));
    assert_eq!(
        initech["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["url"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [
            "https://initech.example/postmortems/dns-ttl",
            "https://news.example/initech-dns"
        ]
    );

    // A title cut at a word; a date in the words of the summary.
    let globex = front_matter(
        &site,
        "2020-07-17-globex-a-feature-flag-meant-for-staging-was-read-by.md",
    );
    assert_eq!(
        globex["title"],
        "A feature flag meant for staging was read by production on July 17, 2020, and checkout…"
    );
    assert_eq!(globex["date"], "2020-07-17");

    // Under "Uncategorized": the category guessed from the summary; a comma
    // in the company; "also [this]" as a second source.
    let monsters = front_matter(
        &site,
        &format!("{today}-monsters-inc-a-deploy-from-the-wrong-branch-rolled-an-untested.md"),
    );
    assert_eq!(monsters["company"], "Monsters, Inc.");
    assert_eq!(monsters["category"], "deployment");
    let pollos = front_matter(
        &site,
        "2020-11-los-pollos-hermanos-the-ordering-api-timed-out-because-a-cache.md",
    );
    assert_eq!(pollos["date"], "2020-11");
    assert_eq!(pollos["sources"].as_array().unwrap().len(), 2);
    assert_eq!(
        pollos["sources"][1]["url"],
        "https://pollos.example/2020/11/ordering-update"
    );

    // A summary going on from the link: the company is its subject, and
    // is in the file name once.
    let name = "2021-03-03-cyberdyne-lost-a-row-of-storage-servers-when-a-cooling-unit.md";
    let cyberdyne = front_matter(&site, name);
    assert_eq!(
        cyberdyne["title"],
        "Cyberdyne lost a row of storage servers when a cooling unit leaked on 3 March 2021"
    );
    assert_eq!(cyberdyne["date"], "2021-03-03");
    assert_eq!(cyberdyne["category"], "hardware");
    assert_eq!(
        summary(&site, name),
        "Cyberdyne lost a row of storage servers when a cooling unit leaked on 3 March 2021."
    );

    // An archive of an http:// page.
    let bluth = front_matter(
        &site,
        "2019-05-04-bluth-company-an-expired-domain-took-the-banana-stand-s-shop.md",
    );
    assert_eq!(
        bluth["sources"][0]["url"],
        "http://bluth.example/news/2019/05/04/banana-stand"
    );
    assert_eq!(bluth["date"], "2019-05-04");
}

#[test]
fn check_accepts_every_draft() {
    let site = imported();
    let run = site.castor(&["check", "--format", "json"]).success();
    let problems: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    let errors: Vec<&Value> = problems
        .iter()
        .filter(|p| p["severity"] != "warning")
        .collect();
    assert_eq!(errors, Vec::<&Value>::new());
    // Drafts are checked: each new one is warned about its missing advice.
    let no_advice = problems
        .iter()
        .filter(|p| p["message"] == "the incident cites no advice")
        .count();
    assert_eq!(no_advice, 28);
}

#[test]
fn a_second_run_skips_every_entry_and_overwrites_nothing() {
    let site = imported();
    let before = snapshot_dir(&site.path("content"));
    let run = site
        .castor(&["import", "list", "post-mortems.md"])
        .success();
    assert_eq!(snapshot_dir(&site.path("content")), before);
    assert!(
        run.stdout
            .starts_with("Wrote 0 drafts from post-mortems.md to content/incidents/:\nSkipped:\n"),
        "{}",
        run.stdout
    );
    let already = run
        .stdout
        .lines()
        .filter(|l| l.contains(" is already in content/incidents/"))
        .count();
    assert_eq!(already, 30, "{}", run.stdout);
    assert!(run.stdout.contains(
        "  post-mortems.md:16: Globex: https://globex.example/blog/feature-flags is already in \
         content/incidents/2020-07-17-globex-a-feature-flag-meant-for-staging-was-read-by.md\n"
    ));
}

#[test]
fn never_overwrites_a_file_in_another_directory() {
    let site = Fixture::new("import");
    let first = site
        .castor(&["import", "list", "post-mortems.md", "--into", "drafts"])
        .success();
    assert!(
        first.stdout.starts_with(
            "Wrote 28 drafts from post-mortems.md to drafts/:\n  drafts/2017-02-10-acme-cloud"
        ),
        "{}",
        first.stdout
    );
    let name = "drafts/2021-03-03-cyberdyne-lost-a-row-of-storage-servers-when-a-cooling-unit.md";
    site.write(name, "edited by hand\n");
    let before = snapshot_dir(&site.path("drafts"));
    let second = site
        .castor(&["import", "list", "post-mortems.md", "--into", "drafts"])
        .success();
    assert_eq!(snapshot_dir(&site.path("drafts")), before);
    assert_eq!(site.read(name), "edited by hand\n");
    assert!(
        second.stdout.contains(&format!(
            "  post-mortems.md:28: Cyberdyne: {name} already exists; rename it to import this entry\n"
        )),
        "{}",
        second.stdout
    );
    let exists = second
        .stdout
        .lines()
        .filter(|l| l.ends_with("already exists; rename it to import this entry"))
        .count();
    assert_eq!(exists, 28);
}

#[test]
fn reports_a_missing_list_or_one_in_another_format() {
    let site = Fixture::new("import");
    let missing = site.castor(&["import", "list", "nowhere.md"]).code(2);
    assert!(
        missing
            .stderr
            .starts_with("nowhere.md:1:1: error: cannot read the list: "),
        "{}",
        missing.stderr
    );
    site.write(
        "notes.md",
        "# Notes\n\nJust prose, and a [link](https://x.example) inside.\n",
    );
    let prose = site.castor(&["import", "list", "notes.md"]).code(1);
    assert_eq!(
        prose.stderr,
        "notes.md:1:1: error: no post-mortem entries found\n  = help: expected `## Category` \
         headings, each followed by paragraphs such as \
         `[Company](https://example.com/post-mortem). What happened.`\n"
    );
    assert_eq!(prose.stdout, "");
    site.write(
        "latin1.md",
        b"## Time\n\n[Caf\xe9](https://cafe.example). Clocks.\n",
    );
    let latin1 = site.castor(&["import", "list", "latin1.md"]).code(2);
    assert_eq!(
        latin1.stderr,
        "latin1.md:3:5: error: the list is not valid UTF-8\n  = help: save it as UTF-8 (most \
         editors have an encoding option)\n"
    );
    site.castor(&["import", "list"]).code(2);
    site.castor(&["import", "csv", "post-mortems.md"]).code(2);
    assert_eq!(incident_files(&site), ["2021-10-04-acme-bgp.md"]);
}

#[test]
fn skips_an_entry_whose_summary_has_no_words() {
    let site = Fixture::new("import");
    site.write(
        "pictures.md",
        "## Time\n\n[Pictureco](https://pictures.example/pm). <img src=\"clock.png\">\n\n\
         [Wordco](https://words.example/2020/01/02/pm). Clocks went back.\n",
    );
    let run = site.castor(&["import", "list", "pictures.md"]).success();
    assert_eq!(
        run.stdout,
        "Wrote 1 draft from pictures.md to content/incidents/:\n  \
         content/incidents/2020-01-02-wordco-clocks-went-back.md\n    \
         - date from the URL: perhaps the day of the write-up, not of the incident\n\
         Skipped:\n  pictures.md:3: Pictureco: the summary has no text to make a title of\n"
    );
}
