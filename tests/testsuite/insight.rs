//! Charts, the timeline and citations on a fixture whose counts are known:
//! every bar's value, label and link, the exact order of the timeline,
//! and the citation's permanent URL, all read back from the built HTML.

use roxmltree::{Document, Node};

use crate::helpers::Fixture;

fn built() -> Fixture {
    let site = Fixture::new("insight");
    site.castor(&["build"]).success();
    site
}

/// The chart figures of a page, each a well-formed XML fragment.
fn figures(html: &str) -> Vec<&str> {
    let re = regex::Regex::new(r#"(?s)<figure class="chart">.*?</figure>"#).unwrap();
    re.find_iter(html).map(|m| m.as_str()).collect()
}

/// The figure whose SVG has this title.
fn figure<'a>(html: &'a str, title: &str) -> &'a str {
    figures(html)
        .into_iter()
        .find(|f| f.contains(&format!("-title\">{title}</title>")))
        .unwrap_or_else(|| panic!("no chart titled {title}"))
}

fn svg<'a, 'i>(doc: &'a Document<'i>) -> Node<'a, 'i> {
    doc.descendants()
        .find(|n| n.has_tag_name("svg"))
        .expect("an svg")
}

fn title_of(node: Node) -> String {
    node.children()
        .find(|c| c.has_tag_name("title"))
        .and_then(|t| t.text())
        .unwrap_or_default()
        .to_string()
}

/// A bar chart's bars: (tooltip, link, bar width).
fn bars(fragment: &str) -> Vec<(String, String, f64)> {
    let doc = Document::parse(fragment).expect("the figure is well-formed");
    svg(&doc)
        .children()
        .filter(|n| n.has_tag_name("a"))
        .map(|a| {
            let rect = a.children().find(|c| c.has_tag_name("rect")).unwrap();
            (
                title_of(a),
                a.attribute("href").unwrap().to_string(),
                rect.attribute("width").unwrap().parse().unwrap(),
            )
        })
        .collect()
}

/// A figure's data table, row by row, header cell first.
fn table(fragment: &str) -> Vec<Vec<String>> {
    let doc = Document::parse(fragment).expect("the figure is well-formed");
    doc.descendants()
        .filter(|n| n.has_tag_name("tr"))
        .map(|tr| {
            tr.children()
                .filter(Node::is_element)
                .map(text_of)
                .collect()
        })
        .collect()
}

/// All the text inside a node.
fn text_of(node: Node) -> String {
    node.descendants()
        .filter(Node::is_text)
        .filter_map(|d| d.text())
        .collect()
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

#[test]
fn every_chart_is_an_accessible_image_with_a_table() {
    let site = built();
    let stats = site.read("public/stats/index.html");
    let all = figures(&stats);
    assert_eq!(
        all.len(),
        6,
        "years, categories, durations, advice, tags, companies"
    );
    for fragment in all {
        let doc = Document::parse(fragment).expect("the figure is well-formed");
        let svg = svg(&doc);
        assert_eq!(svg.attribute("role"), Some("group"));
        let labelled: Vec<&str> = svg
            .attribute("aria-labelledby")
            .unwrap()
            .split(' ')
            .collect();
        assert_eq!(labelled.len(), 2);
        assert_eq!(
            svg.first_element_child().unwrap().tag_name().name(),
            "title"
        );
        for (id, tag) in labelled.iter().zip(["title", "desc"]) {
            let node = svg
                .children()
                .find(|n| n.attribute("id") == Some(id))
                .unwrap_or_else(|| panic!("no #{id}"));
            assert_eq!(node.tag_name().name(), tag);
            assert!(!node.text().unwrap_or_default().is_empty());
        }
        assert!(doc.descendants().any(|n| n.has_tag_name("table")));
    }
}

#[test]
fn the_category_chart_counts_every_category_of_the_config() {
    let site = built();
    let stats = site.read("public/stats/index.html");
    let chart = figure(&stats, "Incidents per category");
    assert_eq!(
        bars(chart),
        [
            (
                "Database: 2".into(),
                "../categories/database/".into(),
                448.0
            ),
            ("Network: 3".into(), "../categories/network/".into(), 672.0),
            (
                "Security: 1".into(),
                "../categories/security/".into(),
                224.0
            ),
            ("Time: 0".into(), "../categories/time/".into(), 0.0),
        ]
    );
    // Each bar takes its category's colour: its place in book.toml.
    let classes: Vec<String> = regex::Regex::new(r#"<a href="[^"]*" class="(cat-\d+)">"#)
        .unwrap()
        .captures_iter(chart)
        .map(|c| c[1].to_string())
        .collect();
    assert_eq!(classes, ["cat-0", "cat-1", "cat-2", "cat-3"]);
    assert_eq!(
        table(chart),
        [
            row(&["Category", "Incidents"]),
            row(&["Database", "2"]),
            row(&["Network", "3"]),
            row(&["Security", "1"]),
            row(&["Time", "0"]),
        ]
    );
}

#[test]
fn the_year_chart_stacks_categories_and_keeps_empty_years() {
    let site = built();
    let stats = site.read("public/stats/index.html");
    let chart = figure(&stats, "Incidents per year, by category");
    let doc = Document::parse(chart).unwrap();
    let svg = svg(&doc);
    // A linked column per year with incidents; 2021 has none and no link.
    let columns: Vec<(String, String, Vec<String>)> = svg
        .children()
        .filter(|n| {
            n.has_tag_name("a")
                && n.children().any(|c| {
                    c.has_tag_name("rect")
                        && c.attribute("class")
                            .is_some_and(|k| k.starts_with("seg cat-"))
                })
        })
        .map(|a| {
            (
                title_of(a),
                a.attribute("href").unwrap().to_string(),
                a.children()
                    .filter(|c| c.has_tag_name("rect"))
                    .map(title_of)
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            (
                "2019: 1".into(),
                "../years/2019/".into(),
                vec!["2019 · Network: 1".to_string()]
            ),
            (
                "2020: 1".into(),
                "../years/2020/".into(),
                vec!["2020 · Database: 1".to_string()]
            ),
            (
                "2022: 4".into(),
                "../years/2022/".into(),
                vec![
                    "2022 · Database: 1".to_string(),
                    "2022 · Network: 2".to_string(),
                    "2022 · Security: 1".to_string(),
                ]
            ),
        ]
    );
    let axis: Vec<&str> = svg
        .children()
        .filter(|n| n.has_tag_name("text") && n.attribute("text-anchor") == Some("middle"))
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(axis, ["2019", "2020", "2021", "2022"]);
    // The legend names the categories with incidents, linked.
    let legend: Vec<(&str, &str)> = svg
        .children()
        .filter(|n| n.has_tag_name("a") && n.attribute("class").is_some())
        .map(|a| {
            (
                a.children()
                    .find(|c| c.has_tag_name("text"))
                    .unwrap()
                    .text()
                    .unwrap(),
                a.attribute("href").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        legend,
        [
            ("Database", "../categories/database/"),
            ("Network", "../categories/network/"),
            ("Security", "../categories/security/"),
        ]
    );
    assert_eq!(
        table(chart),
        [
            row(&["Year", "Database", "Network", "Security", "Incidents"]),
            row(&["2019", "0", "1", "0", "1"]),
            row(&["2020", "1", "0", "0", "1"]),
            row(&["2021", "0", "0", "0", "0"]),
            row(&["2022", "1", "2", "1", "4"]),
        ]
    );
}

#[test]
fn durations_show_each_incident_and_the_median_never_a_mean() {
    let site = built();
    let stats = site.read("public/stats/index.html");
    let chart = figure(&stats, "How long incidents lasted, by category");
    let doc = Document::parse(chart).unwrap();
    let dots: Vec<(String, String)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle"))
        .map(|c| {
            (
                title_of(c),
                c.parent().unwrap().attribute("href").unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        dots,
        [
            (
                "Acme: Acme's replica falls behind: 30m".into(),
                "../incidents/2022-03-acme-replica/".into()
            ),
            (
                "Globex: Globex announces the wrong routes: 45m".into(),
                "../incidents/2022-globex-routes/".into()
            ),
            (
                "Acme: Acme loses its DNS: 2h".into(),
                "../incidents/2022-03-15-acme-dns/".into()
            ),
            (
                "Initech: Initech loses a fibre: 1d".into(),
                "../incidents/2019-initech-fiber/".into()
            ),
            (
                "Tom & Jerry <Inc>: The \"copy\" leak: 3d".into(),
                "../incidents/2022-01-10-tom-and-jerry-leak/".into()
            ),
        ]
    );
    let medians: Vec<String> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("median"))
        .map(title_of)
        .collect();
    // Network: 45m, 2h and 1d; their mean would be 9h15m.
    assert_eq!(
        medians,
        [
            "Database: median 30m",
            "Network: median 2h",
            "Security: median 3d"
        ]
    );
    assert_eq!(
        table(chart),
        [
            row(&[
                "Category",
                "Incidents with a duration",
                "Shortest",
                "Median",
                "Longest"
            ]),
            row(&["Database", "1", "30m", "30m", "30m"]),
            row(&["Network", "3", "45m", "2h", "1d"]),
            row(&["Security", "1", "3d", "3d", "3d"]),
        ]
    );
}

#[test]
fn the_top_charts_rank_advice_tags_and_companies() {
    let site = built();
    let stats = site.read("public/stats/index.html");
    let labels = |title: &str| -> Vec<(String, String)> {
        bars(figure(&stats, title))
            .into_iter()
            .map(|(t, href, _)| (t, href))
            .collect()
    };
    assert_eq!(
        labels("Most cited advice"),
        [
            (
                "Test your restores: 4".into(),
                "../advice/test-restores/".into()
            ),
            ("Keep calm: 3".into(), "../advice/keep-calm/".into()),
        ]
    );
    assert_eq!(
        labels("Top tags"),
        [
            ("dns: 3".into(), "../tags/dns/".into()),
            ("bgp: 2".into(), "../tags/bgp/".into()),
            ("xss: 1".into(), "../tags/xss/".into()),
        ]
    );
    assert_eq!(
        labels("Top companies"),
        [
            ("Acme: 2".into(), "../companies/acme/".into()),
            ("Globex: 2".into(), "../companies/globex/".into()),
            ("Initech: 1".into(), "../companies/initech/".into()),
            (
                "Tom & Jerry <Inc>: 1".into(),
                "../companies/tom-jerry-inc/".into()
            ),
        ]
    );
    // Text from content is escaped in the SVG, never markup.
    let companies = figure(&stats, "Top companies");
    assert!(companies.contains("Tom &amp; Jerry &lt;Inc&gt;"));
    assert!(!companies.contains("<Inc>"));
}

#[test]
fn the_home_page_shows_two_charts_and_links_to_the_rest() {
    let site = built();
    let home = site.read("public/index.html");
    let titles: Vec<String> = figures(&home)
        .into_iter()
        .map(|f| {
            let doc = Document::parse(f).unwrap();
            title_of(svg(&doc))
        })
        .collect();
    assert_eq!(
        titles,
        ["Incidents per year, by category", "Incidents per category"]
    );
    assert!(home.contains(r#"<a href="./years/2022/"><title>2022: "#));
    assert!(home.contains(r#"<a href="./stats/">More statistics →</a>"#));
    for page in ["index.html", "incidents/index.html", "stats/index.html"] {
        let html = site.read(&format!("public/{page}"));
        let root = if page == "index.html" { "./" } else { "../" };
        assert!(
            html.contains(&format!(
                r#"<li><a href="{root}timeline/">Timeline</a></li>"#
            )),
            "{page}"
        );
        assert!(
            html.contains(&format!(
                r#"<li><a href="{root}stats/">Statistics</a></li>"#
            )),
            "{page}"
        );
    }
    let sitemap = site.read("public/sitemap.xml");
    assert!(sitemap.contains("<loc>https://insight.example/kb/stats/</loc>"));
    assert!(sitemap.contains("<loc>https://insight.example/kb/timeline/</loc>"));
}

#[test]
fn the_timeline_groups_incidents_by_month_newest_first() {
    let site = built();
    let main = |page: &str| {
        let html = site.read(&format!("public/{page}index.html"));
        html[html.find("<main").unwrap()..html.find("</main>").unwrap() + 7].to_string()
    };
    // The index lists the years, newest first; each year's page, its
    // months and entries in document order.
    let index = main("timeline/");
    let years = regex::Regex::new(r#"<a href="../(timeline/\d+/)">(\d+)</a>"#).unwrap();
    let mut outline: Vec<String> = Vec::new();
    for year in years.captures_iter(&index) {
        outline.push(format!("year {}", &year[2]));
        let page = main(&year[1]);
        let doc = Document::parse(&page).expect("the timeline is well-formed");
        outline.extend(doc.descendants().filter_map(|n| {
            match n.tag_name().name() {
                "h2" => {
                    let time = n.children().find(|c| c.has_tag_name("time"));
                    Some(format!(
                        "month {} [{}]",
                        text_of(n),
                        time.and_then(|t| t.attribute("datetime")).unwrap_or("-"),
                    ))
                }
                "li" if n
                    .parent()
                    .is_some_and(|p| p.attribute("class") == Some("timeline")) =>
                {
                    let time = n.descendants().find(|d| d.has_tag_name("time")).unwrap();
                    let meta = text_of(n.first_element_child().unwrap());
                    let link = n
                        .descendants()
                        .find(|d| {
                            d.has_tag_name("a")
                                && d.parent().unwrap().attribute("class") == Some("title")
                        })
                        .unwrap();
                    Some(format!(
                        "  {} <{}> {} | {}",
                        link.attribute("href").unwrap(),
                        time.attribute("datetime").unwrap(),
                        n.attribute("class").unwrap(),
                        meta,
                    ))
                }
                _ => None,
            }
        }));
    }
    assert_eq!(
        outline,
        [
            "year 2022",
            "month March 2022 [2022-03]",
            "  ../../incidents/2022-03-15-acme-dns/ <2022-03-15> cat-1 | 15 March 2022 · Acme · Network",
            "  ../../incidents/2022-03-acme-replica/ <2022-03> cat-0 | March 2022 (day unknown) · Acme · Database",
            "month January 2022 [2022-01]",
            "  ../../incidents/2022-01-10-tom-and-jerry-leak/ <2022-01-10> cat-2 | 10 January 2022 · Tom & Jerry <Inc> · Security",
            "month 2022 (month unknown) [-]",
            "  ../../incidents/2022-globex-routes/ <2022> cat-1 | 2022 · Globex · Network",
            "year 2020",
            "month July 2020 [2020-07]",
            "  ../../incidents/2020-07-04-globex-restore/ <2020-07-04> cat-0 | 4 July 2020 · Globex · Database",
            "year 2019",
            "month 2019 (month unknown) [-]",
            "  ../../incidents/2019-initech-fiber/ <2019> cat-1 | 2019 · Initech · Network",
        ]
    );
    // The root cause, cut at a word; every year's page links the others.
    let page = main("timeline/2022/");
    assert!(page.contains(
        "<p class=\"cause\">A debug page printed the session keys of every visitor, and search engines indexed it for three days before anyone noticed the pages among the results of a…</p>"
    ));
    assert!(page.contains(r#"<li><a href="../../timeline/2019/">2019</a></li>"#));
}

#[test]
fn an_incident_page_suggests_a_citation_with_its_permanent_url() {
    let site = built();
    let html = site.read("public/incidents/2022-01-10-tom-and-jerry-leak/index.html");
    let permalink = "https://insight.example/kb/incidents/2022-01-10-tom-and-jerry-leak/";
    assert!(html.contains(&format!(
        r#"<p>Permanent link: <a href="{permalink}" rel="bookmark" class="url">{permalink}</a></p>"#
    )));
    let citation = regex::Regex::new(r#"<p class="citation" id="citation">([^<]*)</p>"#)
        .unwrap()
        .captures(&html)
        .expect("a citation")[1]
        .to_string();
    assert_eq!(
        citation,
        "Tom &amp; Jerry &lt;Inc&gt;. &quot;The &quot;copy&quot; leak.&quot; Incident post-mortem, \
         10 January 2022, https://example.org/2022-01-10-tom-and-jerry-leak. \
         Summarised in Insight &amp; &lt;fixture&gt;, https://insight.example/kb/incidents/2022-01-10-tom-and-jerry-leak/."
    );
    // The copy button appears only when its script runs.
    assert!(html.contains(
        r#"<button type="button" data-copy="citation" hidden>Copy the citation</button>"#
    ));
    assert!(html.contains(r#"<script src="../../copy.js" defer></script>"#));
    assert!(site.path("public/copy.js").is_file());
    // Other pages carry no copy script.
    assert!(!site.read("public/index.html").contains("copy.js"));
}
