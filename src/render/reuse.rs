//! Rendering again only the pages an edit changed. A build keeps, beside
//! the parse cache, a fingerprint of everything its pages are made from
//! but the documents' bodies (castor, book.toml, the theme, every field of
//! every document), and one of each body. When the next build finds the
//! first one unchanged, no card, list, term, feed or link can differ:
//! only the pages showing a changed body are rendered, and every other
//! page of the existing output is kept as it is. Anything else (a title, a
//! tag, a new or removed file, the theme, book.toml, another castor)
//! renders every page, as a first build does.
//!
//! At 10,000 incidents, editing an incident's text rendered 25,000 pages
//! to write 78 of them.
//!
//! The state also keeps what each shard of the browser index was made
//! from ([`crate::search::browser::Made`]): a rebuild makes again only
//! the shards whose stems' postings changed.

use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet, FxHasher};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use super::page::Page;
use super::theme::Theme;
use crate::content::Body;
use crate::search::browser;
use crate::site::Site;

const FILE_NAME: &str = "pages.json";

/// What a build's pages were made from.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct State {
    /// Everything but the bodies.
    site: u64,
    /// Each document's body, by `<kind>/<slug>`.
    bodies: FxHashMap<String, u64>,
    /// What each shard of the browser index was made from.
    #[serde(default)]
    made: browser::Made,
}

/// Takes the output's file at a path as it is: `false` when it cannot.
pub type Unchanged<'a> = &'a (dyn Fn(&Path) -> bool + Sync);

/// The documents whose body changed, when nothing else did, and what the
/// last build made the browser index's shards from.
pub struct Reuse {
    changed: FxHashSet<Shown>,
    made: browser::Made,
}

/// A document whose body a page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shown {
    Incident(usize),
    Advice(usize),
    Plain(usize),
}

impl State {
    /// The state of `site` rendered with `theme` into `output`.
    pub fn of(site: &Site, theme: &Theme, output: &Path) -> State {
        let mut whole = FxHasher::default();
        (
            crate::content::binary_fingerprint(),
            format!("{:?}", site.config),
            theme.fingerprint,
            output,
        )
            .hash(&mut whole);
        // Serializing every document is the cost here: on every core.
        let hashed: Vec<(String, u64, u64)> = documents(site)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|(key, shown)| {
                let (fields, body) = match shown {
                    Shown::Incident(i) => split(&*site.incidents[i], |d| &mut d.body),
                    Shown::Advice(a) => split(&site.advice[a], |d| &mut d.body),
                    Shown::Plain(p) => split(&site.pages[p], |d| &mut d.body),
                };
                (key, fields, body)
            })
            .collect();
        let mut bodies = FxHashMap::default();
        for (key, fields, body) in hashed {
            (key.as_str(), fields).hash(&mut whole);
            bodies.insert(key, body);
        }
        State {
            site: whole.finish(),
            bodies,
            made: browser::Made::default(),
        }
    }

    /// Keeps what this build made the browser index's shards from.
    pub fn keep_made(&mut self, made: browser::Made) {
        self.made = made;
    }

    /// What the last build into the same output left, if it finished.
    pub fn read(dir: &Path) -> Option<State> {
        let text = std::fs::read(dir.join(FILE_NAME)).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Forgets the last build's state: its output is about to change.
    pub fn forget(dir: &Path) {
        let _ = std::fs::remove_file(dir.join(FILE_NAME));
    }

    /// Remembers this build's state, once its output is complete.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_vec(self)?;
        std::fs::create_dir_all(dir)?;
        crate::guard::write_atomically(&dir.join(FILE_NAME), &text)?;
        Ok(())
    }

    /// What of the output of a build in state `old` this one can keep;
    /// `None` when every page must be rendered.
    pub fn reuse(&self, old: &State, site: &Site) -> Option<Reuse> {
        if self.site != old.site {
            return None;
        }
        let changed = documents(site)
            .filter(|(key, _)| self.bodies.get(key) != old.bodies.get(key))
            .map(|(_, shown)| shown)
            .collect();
        Some(Reuse {
            changed,
            made: old.made.clone(),
        })
    }
}

impl Reuse {
    /// Whether `page` is the same as in the output: it shows no body, or
    /// one that did not change.
    pub(super) fn keeps(&self, page: Page) -> bool {
        let shown = match page {
            Page::Incident(i) => Shown::Incident(i),
            Page::Advice(a, _) => Shown::Advice(a),
            Page::Plain(p) => Shown::Plain(p),
            _ => return true,
        };
        self.keeps_body(shown)
    }

    /// Whether what the output shows of `shown`'s body is as it is.
    pub fn keeps_body(&self, shown: Shown) -> bool {
        !self.changed.contains(&shown)
    }

    /// What the last build made the browser index's file at `path` from.
    pub fn made(&self, path: &Path) -> Option<u64> {
        self.made.get(path).copied()
    }
}

/// Fingerprints of a document: of every field but its body (whatever
/// fields there are), and of its body.
fn split<T: Serialize + Clone>(
    document: &T,
    body: impl Fn(&mut T) -> &mut Arc<Body>,
) -> (u64, u64) {
    // The body is shared, not copied.
    let mut fields = document.clone();
    let body = std::mem::take(body(&mut fields));
    (fingerprint(&fields), fingerprint(&*body))
}

/// A hash of `value` as MessagePack, made without holding the encoding.
fn fingerprint(value: &impl Serialize) -> u64 {
    struct Sink(Xxh3);
    impl std::io::Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.update(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut out = std::io::BufWriter::new(Sink(Xxh3::new()));
    // Writing to memory, of types that always serialize, cannot fail.
    let _ = rmp_serde::encode::write_named(&mut out, value);
    out.into_inner().map_or(0, |sink| sink.0.digest())
}

/// Each document's key, and what pages show it.
fn documents(site: &Site) -> impl Iterator<Item = (String, Shown)> + '_ {
    let incidents = site
        .incidents
        .iter()
        .enumerate()
        .map(|(i, d)| (format!("incident/{}", d.slug), Shown::Incident(i)));
    let advice = site
        .advice
        .iter()
        .enumerate()
        .map(|(a, d)| (format!("advice/{}", d.slug), Shown::Advice(a)));
    let pages = site
        .pages
        .iter()
        .enumerate()
        .map(|(p, d)| (format!("page/{}", d.slug), Shown::Plain(p)));
    incidents.chain(advice).chain(pages)
}
