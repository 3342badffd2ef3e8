//! Writing the tantivy index from a loaded site, and opening it to search.
//!
//! The index is written into a staging directory beside its final place and
//! swapped in whole, so a search never sees half an index and a failed
//! build leaves the previous one.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rustc_hash::FxHashSet;
use tantivy::schema::Schema;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument};

use super::schema::{self, Fields};
use super::stamp::Stamp;
use crate::render::{advice_url, incident_url};
use crate::site::Site;

/// One indexing thread: rendering runs beside it on every other core, and
/// one thread indexes 10,000 incidents in about a second.
const WRITER_THREADS: usize = 2;
const WRITER_BUDGET_BYTES: usize = 200_000_000;

/// The index directory of the site under `root`.
pub fn dir(root: &Path, site_config: &crate::config::Config) -> PathBuf {
    root.join(&site_config.search.index_dir)
}

/// Writes the index of `site` to `dir`, replacing any previous one, with
/// `stamp` beside it.
pub fn write(dir: &Path, site: &Site, stamp: &Stamp) -> anyhow::Result<()> {
    let parent = dir
        .parent()
        .context("the search index directory has no parent")?;
    let name = dir
        .file_name()
        .context("the search index directory has no name")?
        .to_string_lossy();
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let staging = parent.join(format!(".{name}.staging-{}", std::process::id()));
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    remove_if_present(&staging)?;
    std::fs::create_dir_all(&staging)
        .with_context(|| format!("cannot create {}", staging.display()))?;
    fill(&staging, site).with_context(|| format!("cannot write {}", staging.display()))?;
    stamp
        .write(&staging)
        .with_context(|| format!("cannot write {}", staging.display()))?;

    remove_if_present(&old)?;
    if dir.exists() {
        std::fs::rename(dir, &old)
            .with_context(|| format!("cannot move {} aside", dir.display()))?;
    }
    std::fs::rename(&staging, dir)
        .with_context(|| format!("cannot move the new index to {}", dir.display()))?;
    remove_if_present(&old)
}

fn remove_if_present(dir: &Path) -> anyhow::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", dir.display()))
        }
        _ => Ok(()),
    }
}

fn fill(dir: &Path, site: &Site) -> tantivy::Result<()> {
    let (schema, f) = schema::build();
    let index = Index::create_in_dir(dir, schema)?;
    super::stem::register(&index);
    let mut writer: IndexWriter =
        index.writer_with_num_threads(WRITER_THREADS, WRITER_BUDGET_BYTES)?;
    for incident in &site.incidents {
        let mut doc = TantivyDocument::default();
        doc.add_text(f.slug, &incident.slug);
        doc.add_text(f.kind, "incident");
        doc.add_text(f.title, &incident.title);
        doc.add_text(f.company, &incident.company);
        doc.add_text(f.company_key, incident.company.to_lowercase());
        doc.add_text(f.date, incident.date.iso());
        doc.add_u64(f.year, u64::try_from(incident.date.year).unwrap_or(0));
        doc.add_text(f.category, &incident.category);
        add_tags(&mut doc, &f, &incident.tags);
        doc.add_text(f.root_cause, &incident.root_cause);
        for lesson in &incident.lessons {
            doc.add_text(f.lessons, lesson);
        }
        doc.add_text(f.body, &incident.body.text);
        doc.add_text(f.url, incident_url(&incident.slug));
        add_words(
            &mut doc,
            &f,
            &[&incident.title, &incident.company, &incident.root_cause],
        );
        add_words(&mut doc, &f, &incident.lessons);
        add_words(&mut doc, &f, &incident.tags);
        doc.add_text(f.words, distinct_words(&incident.body.text));
        writer.add_document(doc)?;
    }
    for advice in &site.advice {
        let mut doc = TantivyDocument::default();
        doc.add_text(f.slug, &advice.slug);
        doc.add_text(f.kind, "advice");
        doc.add_text(f.title, &advice.title);
        add_tags(&mut doc, &f, &advice.tags);
        doc.add_text(f.body, &advice.body.text);
        doc.add_text(f.url, advice_url(&advice.slug));
        add_words(&mut doc, &f, &[&advice.title]);
        add_words(&mut doc, &f, &advice.tags);
        doc.add_text(f.words, distinct_words(&advice.body.text));
        writer.add_document(doc)?;
    }
    writer.commit()?;
    writer.wait_merging_threads()
}

fn add_tags(doc: &mut TantivyDocument, f: &Fields, tags: &[String]) {
    for tag in tags {
        doc.add_text(f.tags, tag);
        doc.add_text(f.tag_key, tag);
    }
}

fn add_words<S: AsRef<str>>(doc: &mut TantivyDocument, f: &Fields, texts: &[S]) {
    for text in texts {
        doc.add_text(f.words, text.as_ref());
    }
}

/// Each word of `text` once. The `words` field only records which
/// documents hold a word, so indexing a body's repeats would change
/// nothing but the time it takes.
fn distinct_words(text: &str) -> String {
    let mut seen = FxHashSet::default();
    let mut out = String::with_capacity(text.len() / 2);
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if !word.is_empty() && seen.insert(word) {
            out.push_str(word);
            out.push(' ');
        }
    }
    out
}

/// An index opened read-only, with its field handles.
pub struct Opened {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
    pub schema: Schema,
}

/// Opens the index in `dir` for reading. The reader never reloads: a
/// search is one short process.
pub fn open(dir: &Path) -> anyhow::Result<Opened> {
    let index =
        Index::open_in_dir(dir).with_context(|| format!("cannot open {}", dir.display()))?;
    super::stem::register(&index);
    let schema = index.schema();
    let fields = schema::fields_of(&schema)
        .with_context(|| format!("{} lacks a field castor needs", dir.display()))?;
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
        .with_context(|| format!("cannot read {}", dir.display()))?;
    Ok(Opened {
        index,
        reader,
        fields,
        schema,
    })
}
