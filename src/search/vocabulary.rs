//! The words of the site, each with how many documents hold it: what
//! `castor search` draws close spellings from when a query finds nothing,
//! so a suggestion is a real word ("cloudflare"), not a stem ("cloudflar").
//!
//! The words are those the browser index counts (before stemming) anyway;
//! indexing every word again, unstemmed, in a tantivy field of its own
//! cost a fifth of a first build's indexing. The file sits beside the
//! tantivy index, one `word count` line per word, in byte order.

use std::path::Path;

use rapidfuzz::distance::osa;

/// The file's name inside the index directory.
pub const FILE_NAME: &str = "castor-vocabulary.txt";

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Vocabulary {
    /// Sorted by word, each word once.
    words: Vec<(String, u32)>,
}

impl Vocabulary {
    /// From words and document counts in byte order, each word once.
    pub fn from_sorted(words: Vec<(String, u32)>) -> Vocabulary {
        debug_assert!(words.windows(2).all(|w| w[0].0 < w[1].0));
        Vocabulary { words }
    }

    /// Writes the vocabulary into `dir`, replacing the file whole.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let mut text = String::with_capacity(self.words.len() * 12);
        for (word, docs) in &self.words {
            text.push_str(word);
            text.push(' ');
            text.push_str(&docs.to_string());
            text.push('\n');
        }
        let temporary = dir.join(format!(".{FILE_NAME}.{}", std::process::id()));
        std::fs::write(&temporary, text)?;
        std::fs::rename(&temporary, dir.join(FILE_NAME))
    }

    /// The vocabulary in `dir`; empty when there is none or it is damaged,
    /// which only costs the suggestions.
    pub fn read(dir: &Path) -> Vocabulary {
        let Ok(text) = std::fs::read_to_string(dir.join(FILE_NAME)) else {
            return Vocabulary::default();
        };
        let words: Option<Vec<(String, u32)>> = text
            .lines()
            .map(|line| {
                let (word, docs) = line.split_once(' ')?;
                Some((word.to_string(), docs.parse().ok()?))
            })
            .collect();
        match words {
            Some(words) if words.windows(2).all(|w| w[0].0 < w[1].0) => Vocabulary { words },
            _ => Vocabulary::default(),
        }
    }

    /// The words within `max` edits of `word`, `word` itself included:
    /// fewest edits first, then the most documents. An edit is a letter
    /// added, dropped or changed, or two neighbours swapped (optimal string
    /// alignment). The comparison is bit-parallel (BENCHMARKS.md compares
    /// it with strsim's): a vocabulary grows with the site, and a typo
    /// scans all of it.
    pub fn near(&self, word: &str, max: usize) -> Vec<Near<'_>> {
        let query = osa::BatchComparator::new(word.chars());
        let within = osa::Args::default().score_cutoff(max);
        let mut found: Vec<Near> = self
            .words
            .iter()
            .filter_map(|(w, docs)| {
                Some(Near {
                    edits: query.distance_with_args(w.chars(), &within)?,
                    docs: *docs,
                    word: w,
                })
            })
            .collect();
        found.sort_by(|a, b| a.edits.cmp(&b.edits).then(b.docs.cmp(&a.docs)));
        found
    }
}

/// A word of the vocabulary close to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Near<'a> {
    pub edits: usize,
    pub docs: u32,
    pub word: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary() -> Vocabulary {
        Vocabulary::from_sorted(
            [
                ("café", 3),
                ("cloudfare", 1),
                ("cloudflare", 7),
                ("dns", 9),
                ("flare", 2),
            ]
            .map(|(w, n)| (w.to_string(), n))
            .to_vec(),
        )
    }

    #[test]
    fn is_read_back_as_written_and_ignored_when_damaged() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Vocabulary::read(dir.path()), Vocabulary::default());
        vocabulary().write(dir.path()).unwrap();
        assert_eq!(Vocabulary::read(dir.path()), vocabulary());
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(files.len(), 1, "no temporary file is left");
        std::fs::write(dir.path().join(FILE_NAME), "dns 9\nbgp x\n").unwrap();
        assert_eq!(Vocabulary::read(dir.path()), Vocabulary::default());
    }

    #[test]
    fn near_words_come_fewest_edits_then_most_documents_first() {
        let v = vocabulary();
        let near: Vec<_> = v.near("clodflare", 2).iter().map(|n| n.word).collect();
        assert_eq!(near, ["cloudflare", "cloudfare"]);
        assert_eq!(
            v.near("dsn", 1)[0],
            Near {
                edits: 1,
                docs: 9,
                word: "dns"
            }
        );
        assert_eq!(v.near("dns", 1)[0].edits, 0);
        // A word of the vocabulary is its own nearest, and only words of
        // it are found.
        assert!(v.near("dn", 0).is_empty());
        // Two swapped letters are one edit; letters are counted, not bytes.
        assert_eq!(v.near("cluodflare", 1)[0].edits, 1);
        assert_eq!(v.near("cafe", 1)[0].word, "café");
        assert_eq!(v.near("cafés", 1)[0].word, "café");
    }
}
