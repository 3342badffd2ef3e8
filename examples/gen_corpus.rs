//! Writes a deterministic synthetic knowledge base of N incidents (default
//! 10,000) for the search benchmark: ~300 companies, every default
//! category, tags, and bodies of 600–1,200 words.
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

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ner", "tor", "ex", "qua", "zen", "pol", "ris", "dan", "vek", "sul", "tra",
    "mon", "bel", "cor", "fi", "gra", "hul",
];

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: gen_corpus DIR [N]"));
    let n: usize = args
        .next()
        .map_or(10_000, |s| s.parse().expect("N is a number"));
    let mut rng = Rng(0x0ca5_7012);

    // A vocabulary of domain words and made-up ones, so term statistics
    // look like prose: a few very common words and a long tail.
    let mut vocabulary: Vec<String> = DOMAIN.iter().map(|w| w.to_string()).collect();
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
    // Zipf-like: word i is drawn with a weight of about 1 / (i + 1).
    let word = |rng: &mut Rng| -> &str {
        let r = rng.below(vocabulary.len() * 8) as f64 / 8.0;
        let index = ((vocabulary.len() as f64).powf(r / vocabulary.len() as f64) - 1.0) as usize;
        &vocabulary[index.min(vocabulary.len() - 1)]
    };

    let incidents = dir.join("content/incidents");
    std::fs::create_dir_all(&incidents).unwrap();
    std::fs::write(
        dir.join("book.toml"),
        "[site]\ntitle = \"Synthetic benchmark corpus\"\n",
    )
    .unwrap();
    for i in 0..n {
        let year = 2000 + rng.below(25);
        let month = 1 + rng.below(12);
        let day = 1 + rng.below(28);
        let company = rng.pick(&companies).clone();
        let category = *rng.pick(CATEGORIES);
        let topic: Vec<&str> = (0..3).map(|_| *rng.pick(DOMAIN)).collect();
        let sentence = |rng: &mut Rng, len: usize| -> String {
            let mut s: Vec<&str> = (0..len).map(|_| word(rng)).collect();
            let at = rng.below(len);
            s.insert(at, *rng.pick(DOMAIN));
            s.join(" ")
        };
        let mut body = String::from("## Summary\n\n");
        let words = 600 + rng.below(601);
        let mut written = 0;
        while written < words {
            let len = 8 + rng.below(12);
            let _ = write!(body, "{}. ", sentence(&mut rng, len));
            written += len + 1;
            if rng.below(8) == 0 {
                body.push_str("\n\n");
            }
        }
        let tags: Vec<&str> = (0..1 + rng.below(4)).map(|_| *rng.pick(DOMAIN)).collect();
        let mut tags_unique: Vec<&str> = Vec::new();
        for t in tags {
            if !tags_unique.contains(&t) {
                tags_unique.push(t);
            }
        }
        let text = format!(
            "---\ntitle: \"{company} {} {} {}\"\ncompany: \"{company}\"\ndate: {year}-{month:02}-{day:02}\ncategory: {category}\nroot_cause: \"{}.\"\nlessons:\n  - \"{}.\"\n  - \"{}.\"\ntags: [{}]\nsources:\n  - https://example.com/postmortems/{i}\n---\n\n{body}\n",
            topic[0],
            topic[1],
            topic[2],
            sentence(&mut rng, 20),
            sentence(&mut rng, 10),
            sentence(&mut rng, 10),
            tags_unique.join(", "),
        );
        std::fs::write(
            incidents.join(format!("{year}-{month:02}-{day:02}-synthetic-{i:05}.md")),
            text,
        )
        .unwrap();
    }
    println!("wrote {n} incidents into {}", dir.display());
}
