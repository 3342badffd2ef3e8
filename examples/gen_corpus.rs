//! Writes a deterministic synthetic knowledge base of N incidents (default
//! 10,000) and the advice they cite, for the benchmarks: ~300 companies,
//! every default category, 2–5 of 60 tags, 0–2 advice citations, and
//! bodies of 600–1,200 words in Summary/Timeline/Root cause/Lessons
//! sections, with inline links and, in about half, a fenced bash or yaml
//! block.
//!
//! cargo run --release --example gen_corpus -- DIR [N]

use std::fmt::Write as _;
use std::path::PathBuf;

/// A small linear congruential generator: the same corpus on every machine
/// and every Rust version, with no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const CATEGORIES: &[&str] = &[
    "config",
    "database",
    "network",
    "hardware",
    "security",
    "capacity",
    "software",
    "deployment",
    "dependency",
    "human",
    "time",
];

const DOMAIN: &[&str] = &[
    "bgp",
    "dns",
    "ttl",
    "certificate",
    "expired",
    "replication",
    "failover",
    "primary",
    "replica",
    "backup",
    "restore",
    "latency",
    "timeout",
    "retry",
    "storm",
    "cache",
    "eviction",
    "quorum",
    "leader",
    "election",
    "partition",
    "split",
    "brain",
    "deploy",
    "rollback",
    "canary",
    "feature",
    "flag",
    "config",
    "push",
    "kubernetes",
    "etcd",
    "postgres",
    "mysql",
    "redis",
    "kafka",
    "queue",
    "backlog",
    "disk",
    "full",
    "memory",
    "leak",
    "cpu",
    "throttle",
    "rate",
    "limit",
    "load",
    "balancer",
    "proxy",
    "cdn",
    "edge",
    "region",
    "zone",
    "power",
    "cooling",
    "fiber",
    "cut",
    "router",
    "firmware",
    "kernel",
    "clock",
    "leap",
    "second",
    "daylight",
    "saving",
    "credential",
    "token",
    "key",
    "rotation",
    "permission",
    "firewall",
    "exposed",
    "ransom",
    "migration",
    "schema",
    "index",
    "lock",
    "deadlock",
    "connection",
    "pool",
    "exhausted",
    "monitoring",
    "alert",
    "pager",
    "status",
    "page",
    "outage",
    "degraded",
    "customers",
    "errors",
    "incident",
];

/// The most frequent words of English prose, drawn most often, so word
/// lengths and term statistics look like a real post-mortem's.
const FUNCTION_WORDS: &[&str] = &[
    "the", "to", "of", "and", "a", "in", "we", "was", "that", "for", "on", "it", "with", "at",
    "by", "this", "from", "our", "were", "as", "not", "an", "be", "had", "which", "after", "all",
    "when", "so", "some",
];

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ner", "tor", "ex", "qua", "zen", "pol", "ris", "dan", "vek", "sul", "tra",
    "mon", "bel", "cor", "fi", "gra", "hul",
];

/// How many advice pages the incidents cite.
const ADVICE: usize = 40;
/// How many distinct tags the incidents draw from.
const TAGS: usize = 60;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: gen_corpus DIR [N]"));
    let n: usize = args
        .next()
        .map_or(10_000, |s| s.parse().expect("N is a number"));
    let mut rng = Rng(0x0ca5_7012);

    // A vocabulary of domain words and made-up ones, so term statistics
    // look like prose: a few very common words and a long tail.
    let mut vocabulary: Vec<String> = FUNCTION_WORDS
        .iter()
        .chain(DOMAIN)
        .map(|w| w.to_string())
        .collect();
    while vocabulary.len() < 4_000 {
        let parts = 2 + rng.below(2);
        let word: String = (0..parts).map(|_| *rng.pick(SYLLABLES)).collect();
        if !vocabulary.contains(&word) {
            vocabulary.push(word);
        }
    }
    let companies: Vec<String> = (0..300)
        .map(|i| {
            let name: String = (0..2).map(|_| *rng.pick(SYLLABLES)).collect();
            let mut chars = name.chars();
            let first = chars.next().unwrap().to_uppercase().collect::<String>();
            format!(
                "{first}{}{}",
                chars.as_str(),
                if i % 3 == 0 { " Cloud" } else { "" }
            )
        })
        .collect();
    let tags = &DOMAIN[..TAGS];
    // Zipf-like: word i is drawn with a weight of about 1 / (i + 1).
    let word = |rng: &mut Rng| -> &str {
        let r = rng.below(vocabulary.len() * 8) as f64 / 8.0;
        let index = ((vocabulary.len() as f64).powf(r / vocabulary.len() as f64) - 1.0) as usize;
        &vocabulary[index.min(vocabulary.len() - 1)]
    };
    let sentence = |rng: &mut Rng, len: usize| -> String {
        let mut s: Vec<&str> = (0..len).map(|_| word(rng)).collect();
        let at = rng.below(len);
        s.insert(at, *rng.pick(DOMAIN));
        s.join(" ")
    };
    // Prose of about `words` words, in paragraphs, with an inline link now
    // and then.
    let prose = |rng: &mut Rng, words: usize, out: &mut String| {
        let mut written = 0;
        while written < words {
            let len = 8 + rng.below(12);
            let _ = write!(out, "{}. ", sentence(rng, len));
            if rng.below(10) == 0 {
                let w = *rng.pick(DOMAIN);
                let _ = write!(out, "See [the {w} notes](https://docs.example.net/{w}). ");
            }
            written += len + 1;
            if rng.below(8) == 0 {
                out.push_str("\n\n");
            }
        }
        out.push_str("\n\n");
    };

    let incidents = dir.join("content/incidents");
    let advice = dir.join("content/advice");
    std::fs::create_dir_all(&incidents).unwrap();
    std::fs::create_dir_all(&advice).unwrap();
    std::fs::write(
        dir.join("book.toml"),
        "[site]\ntitle = \"Synthetic benchmark corpus\"\nbase_url = \"https://corpus.example.net/\"\n",
    )
    .unwrap();
    for a in 0..ADVICE {
        let mut body = String::from("## Why it matters\n\n");
        prose(&mut rng, 300, &mut body);
        let text = format!(
            "---\ntitle: \"Advice {a}: {}\"\nsummary: \"{}.\"\ntags: [{}]\n---\n\n{body}",
            sentence(&mut rng, 4),
            sentence(&mut rng, 15),
            rng.pick(tags),
        );
        std::fs::write(advice.join(format!("advice-{a:02}.md")), text).unwrap();
    }
    for i in 0..n {
        let year = 2000 + rng.below(25);
        let month = 1 + rng.below(12);
        let day = 1 + rng.below(28);
        let company = rng.pick(&companies).clone();
        let category = *rng.pick(CATEGORIES);
        let topic: Vec<&str> = (0..3).map(|_| *rng.pick(DOMAIN)).collect();
        let words = 600 + rng.below(601);
        let mut body = String::from("## Summary\n\n");
        prose(&mut rng, words / 4, &mut body);
        body.push_str("## Timeline\n\n");
        for step in 0..3 + rng.below(4) {
            let _ = writeln!(
                body,
                "- {:02}:{:02} UTC: {}.",
                8 + step,
                rng.below(60),
                sentence(&mut rng, 8)
            );
        }
        body.push_str("\n## Root cause\n\n");
        prose(&mut rng, words / 2, &mut body);
        if rng.below(2) == 0 {
            if rng.below(2) == 0 {
                let _ = write!(
                    body,
                    "```bash\nkubectl -n {0} rollout undo deployment/{0}\ncurl -fsS https://{0}.internal/healthz || exit 1\n```\n\n",
                    topic[0]
                );
            } else {
                let _ = write!(
                    body,
                    "```yaml\n{0}:\n  replicas: {1}\n  timeout: {2}s\n  retries: 3\n```\n\n",
                    topic[0],
                    1 + rng.below(9),
                    1 + rng.below(60)
                );
            }
        }
        body.push_str("## Lessons\n\n");
        prose(&mut rng, words / 4, &mut body);
        let mut incident_tags: Vec<&str> = Vec::new();
        for _ in 0..2 + rng.below(4) {
            let t = *rng.pick(tags);
            if !incident_tags.contains(&t) {
                incident_tags.push(t);
            }
        }
        let mut cited: Vec<String> = (0..rng.below(3))
            .map(|_| format!("advice-{:02}", rng.below(ADVICE)))
            .collect();
        cited.dedup();
        let text = format!(
            "---\ntitle: \"{company} {} {} {}\"\ncompany: \"{company}\"\ndate: {year}-{month:02}-{day:02}\ncategory: {category}\nsummary: \"{}.\"\nroot_cause: \"{}.\"\nimpact: \"{}.\"\nduration: {}m\nlessons:\n  - \"{}.\"\n  - \"{}.\"\ntags: [{}]\nadvice: [{}]\nsources:\n  - https://status.example.net/postmortems/{i}\n---\n\n{body}",
            topic[0],
            topic[1],
            topic[2],
            sentence(&mut rng, 15),
            sentence(&mut rng, 20),
            sentence(&mut rng, 10),
            5 + rng.below(600),
            sentence(&mut rng, 10),
            sentence(&mut rng, 10),
            incident_tags.join(", "),
            cited.join(", "),
        );
        std::fs::write(
            incidents.join(format!("{year}-{month:02}-{day:02}-synthetic-{i:05}.md")),
            text,
        )
        .unwrap();
    }
    println!(
        "wrote {n} incidents and {ADVICE} advice pages into {}",
        dir.display()
    );
}
