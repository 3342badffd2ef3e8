//! Writing the tantivy index from a loaded site, and opening it to search.
//!
//! A first index is written into a staging directory beside its final
//! place and swapped in whole. Later builds update it in place: every
//! document carries a fingerprint of what was indexed, and only documents
//! whose fingerprint changed are deleted and added again, in one tantivy
//! commit, which is atomic. At 10,000 incidents, an edit costs a few
//! documents instead of the whole index.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rustc_hash::{FxHashMap, FxHashSet};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::schema::{self, Fields};
use super::stamp::Stamp;
use super::vocabulary::Vocabulary;
use crate::content::{Advice, Incident, Kind};
use crate::guard;
use crate::site::Site;

/// Two indexing threads: a cold index of 10,000 incidents is the longest
/// stage of a build, and rendering shares the cores with it.
const WRITER_THREADS: usize = 2;
const WRITER_BUDGET_BYTES: usize = 50_000_000;
/// Documents indexed between two commits of a new index.
const BATCH_DOCS: usize = 2_500;
/// Segments bigger than this are never merged by an update.
const MERGE_LIMIT_DOCS: usize = 1_000;

/// Brings the index in `dir` up to date with `site`: in place when the
/// index there is of this castor's format, anew otherwise. What goes
/// beside the documents comes after, with [`Indexed::finish`]: a build
/// counts the site's words beside this. `anew` writes a new index
/// whatever is there: for one found damaged. `dir` has passed
/// [`guard::Dirs`].
pub fn write(dir: &Path, site: &Site, anew: bool) -> anyhow::Result<Indexed> {
    let current = !anew && Stamp::read(dir).is_some_and(|old| old.is_compatible());
    if current && update(dir, site).is_ok() {
        return Ok(Indexed::InPlace(dir.to_path_buf()));
    }
    let staging = guard::create_staging(dir)?;
    fill(&staging, site).with_context(|| format!("cannot write {}", staging.display()))?;
    Ok(Indexed::Staged {
        staging,
        dir: dir.to_path_buf(),
    })
}

/// An index whose documents are written, without its stamp yet.
#[must_use = "an index without its stamp is rebuilt by the next search"]
pub enum Indexed {
    InPlace(PathBuf),
    /// A new index, in a staging directory until it is finished.
    Staged {
        staging: PathBuf,
        dir: PathBuf,
    },
}

impl Indexed {
    /// Writes the vocabulary (`None` keeps the one there) and then the
    /// stamp, which says the rest is current, and swaps a new index in.
    pub fn finish(self, stamp: &Stamp, vocabulary: Option<Vocabulary>) -> anyhow::Result<()> {
        let beside = |dir: &Path| -> anyhow::Result<()> {
            let context = || format!("cannot write {}", dir.display());
            if let Some(vocabulary) = &vocabulary {
                vocabulary.write(dir).with_context(context)?;
            }
            stamp.write(dir).with_context(context)
        };
        match self {
            Indexed::InPlace(dir) => beside(&dir),
            Indexed::Staged { staging, dir } => {
                beside(&staging)?;
                if std::fs::symlink_metadata(&dir).is_ok() {
                    anyhow::ensure!(
                        is_castors(&dir),
                        "{} is in the way and was not made by castor (no `{}` file inside); \
                         remove it by hand or choose another `[search] index_dir`",
                        dir.display(),
                        guard::MARKER
                    );
                    if !guard::owns(&dir) {
                        guard::mark(&dir)?;
                    }
                    // Moved aside under a staging name, so an interrupted
                    // removal is cleaned up by the next run.
                    let old = guard::unused_staging_name(&dir)?;
                    std::fs::rename(&dir, &old)
                        .with_context(|| format!("cannot move {} aside", dir.display()))?;
                    guard::remove_owned(&old)?;
                }
                std::fs::rename(&staging, &dir)
                    .with_context(|| format!("cannot move the new index to {}", dir.display()))
            }
        }
    }
}

/// Whether castor made the index in `dir`: its marker, or for an index of
/// an earlier castor, which had none, its stamp.
fn is_castors(dir: &Path) -> bool {
    guard::owns(dir) || Stamp::read(dir).is_some()
}

/// One document of the index, before it is built.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// A document, with its page's URL.
    Incident(&'a Incident, &'a str),
    Advice(&'a Advice, &'a str),
}

impl Source<'_> {
    /// Unique across kinds: an incident and an advice page may share a slug.
    fn key(self) -> String {
        match self {
            Source::Incident(i, _) => format!("{}/{}", Kind::Incident.as_str(), i.slug),
            Source::Advice(a, _) => format!("{}/{}", Kind::Advice.as_str(), a.slug),
        }
    }

    /// A fingerprint of everything the document is built from; with the
    /// format version in the stamp, equal fingerprints mean equal documents.
    fn fingerprint(self) -> u64 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        let mut part = |text: &str| {
            h.update(&(text.len() as u64).to_le_bytes());
            h.update(text.as_bytes());
        };
        match self {
            Source::Incident(i, _) => {
                for text in [
                    &i.slug,
                    &i.title,
                    &i.company,
                    &i.date.iso(),
                    &i.category,
                    &i.root_cause,
                    crate::site::near_miss_slug(i.near_miss),
                ] {
                    part(text);
                }
                part(&format!("{:016x}", i.body.contents.hash()));
                for list in [&i.tags, &i.lessons, &i.technologies, &i.impact_kind] {
                    part(&list.len().to_string());
                    list.iter().for_each(|t| part(t));
                }
            }
            Source::Advice(a, _) => {
                for text in [&a.slug, &a.title] {
                    part(text);
                }
                part(&format!("{:016x}", a.body.contents.hash()));
                a.tags.iter().for_each(|t| part(t));
            }
        }
        h.digest()
    }

    fn document(self, f: &Fields) -> anyhow::Result<TantivyDocument> {
        let (path, body) = match self {
            Source::Incident(i, _) => (&i.path, &i.body),
            Source::Advice(a, _) => (&a.path, &a.body),
        };
        let texts = body.texts(path).map_err(|d| anyhow::anyhow!("{d}"))?;
        let mut doc = match self {
            Source::Incident(i, url) => incident_document(f, i, url, &texts.text),
            Source::Advice(a, url) => advice_document(f, a, url, &texts.text),
        };
        doc.add_text(f.key, self.key());
        doc.add_u64(f.fingerprint, self.fingerprint());
        Ok(doc)
    }
}

/// Advice pages come first. Indexed last, they made a segment of their
/// own, without the fields only incidents have (company, root cause...),
/// and a field missing from a segment makes every `castor search` build
/// tantivy's empty term dictionary (BENCHMARKS.md has the cost).
fn sources(site: &Site) -> Vec<Source<'_>> {
    // Never drafts, even from a site built with them: `castor search`
    // answers for the published knowledge base.
    let advice = site.advice.iter().zip(&site.advice_urls);
    let incidents = site.incidents.iter().zip(&site.incident_urls);
    advice
        .filter(|(a, _)| !a.draft)
        .map(|(a, url)| Source::Advice(a, url))
        .chain(
            incidents
                .filter(|(i, _)| !i.draft)
                .map(|(i, url)| Source::Incident(i, url)),
        )
        .collect()
}

fn fill(dir: &Path, site: &Site) -> anyhow::Result<()> {
    let (schema, f) = schema::build();
    let index = Index::create_in_dir(dir, schema)?;
    super::stem::register(&index);
    let mut writer: IndexWriter =
        index.writer_with_num_threads(WRITER_THREADS, WRITER_BUDGET_BYTES)?;
    // tantivy queues up to 10,000 documents ahead of its indexing threads,
    // each with a copy of its text: at 10,000 incidents, the whole site
    // again in memory. A commit every BATCH_DOCS documents waits for the
    // queue to drain. The segments it leaves are not merged: searching a
    // few segments costs less than merging them.
    writer.set_merge_policy(Box::new(tantivy::merge_policy::NoMergePolicy));
    for (n, source) in sources(site).into_iter().enumerate() {
        if n > 0 && n % BATCH_DOCS == 0 {
            writer.commit()?;
        }
        writer.add_document(source.document(&f)?)?;
    }
    writer.commit()?;
    Ok(writer.wait_merging_threads()?)
}

/// Deletes and re-adds the documents whose fingerprint changed, adds the
/// new ones and deletes the ones the site no longer has.
fn update(dir: &Path, site: &Site) -> anyhow::Result<()> {
    let index = Index::open_in_dir(dir)?;
    super::stem::register(&index);
    let f = schema::fields_of(&index.schema()).context("the index lacks a field")?;
    let indexed = fingerprints(&index)?;
    let sources = sources(site);
    // Not on the rayon pool: this runs beside rendering, which keeps the
    // pool busy, and hashing every document takes a few milliseconds.
    let wanted: Vec<(String, u64)> = sources.iter().map(|s| (s.key(), s.fingerprint())).collect();
    let keys: FxHashSet<&str> = wanted.iter().map(|(k, _)| k.as_str()).collect();
    let gone: Vec<&String> = indexed
        .keys()
        .filter(|k| !keys.contains(k.as_str()))
        .collect();
    let changed: Vec<usize> = (0..sources.len())
        .filter(|&n| indexed.get(&wanted[n].0) != Some(&wanted[n].1))
        .collect();
    if gone.is_empty() && changed.is_empty() {
        return Ok(());
    }
    let mut writer: IndexWriter =
        index.writer_with_num_threads(WRITER_THREADS, WRITER_BUDGET_BYTES)?;
    // Each update adds a small segment. Those are merged together, but the
    // big segment of the first build is left alone: merging it would cost
    // as much as a rebuild, to reclaim a few deleted documents.
    let mut policy = tantivy::merge_policy::LogMergePolicy::default();
    policy.set_max_docs_before_merge(MERGE_LIMIT_DOCS);
    writer.set_merge_policy(Box::new(policy));
    for key in gone
        .into_iter()
        .chain(changed.iter().map(|&n| &wanted[n].0))
    {
        writer.delete_term(Term::from_field_text(f.key, key));
    }
    for n in changed {
        writer.add_document(sources[n].document(&f)?)?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
}

/// The key and fingerprint of every live document of the index.
fn fingerprints(index: &Index) -> anyhow::Result<FxHashMap<String, u64>> {
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    let searcher: tantivy::Searcher = reader.searcher();
    let mut found = FxHashMap::default();
    for segment in searcher.segment_readers() {
        let fast = segment.fast_fields();
        let keys = fast.str("key")?.context("the index has no key column")?;
        let hashes = fast.u64("fingerprint")?;
        let mut key = String::new();
        for doc in segment.doc_ids_alive() {
            let (Some(ord), Some(hash)) = (keys.ords().first(doc), hashes.first(doc)) else {
                continue;
            };
            key.clear();
            keys.ord_to_str(ord, &mut key)?;
            found.insert(key.clone(), hash);
        }
    }
    Ok(found)
}

/// The document of `incident`, whose page is at `url` and whose body's
/// text is `text`.
fn incident_document(f: &Fields, incident: &Incident, url: &str, text: &str) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(f.slug, &incident.slug);
    doc.add_text(f.kind, Kind::Incident.as_str());
    doc.add_text(f.title, &incident.title);
    doc.add_text(f.company, &incident.company);
    doc.add_text(f.company_key, incident.company.to_lowercase());
    doc.add_text(f.date, incident.date.iso());
    doc.add_u64(f.year, u64::try_from(incident.date.year).unwrap_or(0));
    let date = &incident.date;
    doc.add_u64(
        f.date_key,
        u64::try_from(date.year).unwrap_or(0) * 10_000
            + u64::from(date.month.unwrap_or(0)) * 100
            + u64::from(date.day.unwrap_or(0)),
    );
    doc.add_text(f.category, &incident.category);
    add_tags(&mut doc, f, &incident.tags);
    for technology in &incident.technologies {
        doc.add_text(f.technologies, technology);
        doc.add_text(f.technology_key, crate::slug::slugify(technology));
    }
    for kind in &incident.impact_kind {
        doc.add_text(f.impact_kind, kind);
    }
    doc.add_text(f.near_miss, crate::site::near_miss_slug(incident.near_miss));
    doc.add_text(f.root_cause, &incident.root_cause);
    for lesson in &incident.lessons {
        doc.add_text(f.lessons, lesson);
    }
    doc.add_text(f.body, text);
    doc.add_text(f.url, url);
    doc
}

fn advice_document(f: &Fields, advice: &Advice, url: &str, text: &str) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(f.slug, &advice.slug);
    doc.add_text(f.kind, Kind::Advice.as_str());
    doc.add_text(f.title, &advice.title);
    add_tags(&mut doc, f, &advice.tags);
    doc.add_text(f.body, text);
    doc.add_text(f.url, url);
    doc
}

fn add_tags(doc: &mut TantivyDocument, f: &Fields, tags: &[String]) {
    for tag in tags {
        doc.add_text(f.tags, tag);
        doc.add_text(f.tag_key, tag);
    }
}

/// An index opened read-only, with its field handles.
pub struct Opened {
    pub dir: PathBuf,
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
}

/// Opens the index in `dir` for reading. The reader never reloads: a
/// search is one short process.
pub fn open(dir: &Path) -> anyhow::Result<Opened> {
    let index =
        Index::open_in_dir(dir).with_context(|| format!("cannot open {}", dir.display()))?;
    super::stem::register(&index);
    let fields = schema::fields_of(&index.schema())
        .with_context(|| format!("{} lacks a field castor needs", dir.display()))?;
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
        .with_context(|| format!("cannot read {}", dir.display()))?;
    Ok(Opened {
        dir: dir.to_path_buf(),
        index,
        reader,
        fields,
    })
}
