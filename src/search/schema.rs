//! The tantivy schema: one document per incident or advice page.
//!
//! Text fields go through the `en_stem` pipeline (lowercase, English
//! stemmer; see [`super::stem`]), so "certificates" finds "certificate". Filter fields (kind,
//! category, company, tags, technologies, impact kinds, near miss) are raw
//! terms matched exactly; the year is a
//! number, so `--since`/`--until` are range queries.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

/// Bumped whenever the schema or the way documents are filled changes, so an
/// index written by another castor is rebuilt instead of misread.
pub const FORMAT_VERSION: u32 = 8;

const TOKENIZER: &str = super::stem::NAME;

/// Every field, by handle.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub slug: Field,
    pub kind: Field,
    pub title: Field,
    pub company: Field,
    /// The company as a raw, lowercased term for `--company`.
    pub company_key: Field,
    pub date: Field,
    /// The date as `YYYYMMDD` (unknown parts 0), for ordering results of
    /// equal score the same way whatever the index's history.
    pub date_key: Field,
    pub year: Field,
    pub category: Field,
    pub tags: Field,
    /// Each tag as a raw term for `--tag`.
    pub tag_key: Field,
    /// Each technology as written in front matter.
    pub technologies: Field,
    /// Each technology's slug, its page's name, for `--technology`.
    pub technology_key: Field,
    /// Each impact kind as written in front matter, for `--impact-kind`.
    pub impact_kind: Field,
    /// `yes` or `no`, for `--near-miss`.
    pub near_miss: Field,
    pub root_cause: Field,
    pub lessons: Field,
    pub body: Field,
    pub url: Field,
    /// `incident/<slug>` or `advice/<slug>`: what an update deletes by.
    pub key: Field,
    /// What the document was built from, hashed: an update rebuilds only
    /// the documents whose fingerprint changed.
    pub fingerprint: Field,
}

/// How much a match in each searched field counts, against 1 for the body:
/// a word in the title or the root cause says more about an incident than
/// the same word somewhere in its timeline.
pub fn boosts(f: &Fields) -> [(Field, f32); 6] {
    [
        (f.title, 3.0),
        (f.company, 3.0),
        (f.root_cause, 2.0),
        (f.lessons, 1.5),
        (f.tags, 2.0),
        (f.body, 1.0),
    ]
}

/// The fields a query searches when it names none.
pub fn default_fields(f: &Fields) -> Vec<Field> {
    boosts(f).iter().map(|(field, _)| *field).collect()
}

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let fields = Fields {
        slug: b.add_text_field("slug", STRING | STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        title: b.add_text_field("title", text.clone()),
        company: b.add_text_field("company", text.clone()),
        company_key: b.add_text_field("company_key", STRING),
        date: b.add_text_field("date", STORED),
        date_key: b.add_u64_field("date_key", FAST),
        year: b.add_u64_field("year", INDEXED | STORED | FAST),
        category: b.add_text_field("category", STRING | STORED),
        tags: b.add_text_field("tags", text.clone()),
        tag_key: b.add_text_field("tag_key", STRING),
        technologies: b.add_text_field("technologies", STORED),
        technology_key: b.add_text_field("technology_key", STRING),
        impact_kind: b.add_text_field("impact_kind", STRING | STORED),
        near_miss: b.add_text_field("near_miss", STRING | STORED),
        root_cause: b.add_text_field("root_cause", text.clone()),
        lessons: b.add_text_field("lessons", text.clone()),
        body: b.add_text_field("body", text),
        url: b.add_text_field("url", STORED),
        key: b.add_text_field("key", STRING | FAST),
        fingerprint: b.add_u64_field("fingerprint", FAST),
    };
    (b.build(), fields)
}

/// The handles of a schema read back from disk, or `None` when a field is
/// missing (an index from another version of castor).
pub fn fields_of(schema: &Schema) -> Option<Fields> {
    let f = |name: &str| schema.get_field(name).ok();
    Some(Fields {
        slug: f("slug")?,
        kind: f("kind")?,
        title: f("title")?,
        company: f("company")?,
        company_key: f("company_key")?,
        date: f("date")?,
        date_key: f("date_key")?,
        year: f("year")?,
        category: f("category")?,
        tags: f("tags")?,
        tag_key: f("tag_key")?,
        technologies: f("technologies")?,
        technology_key: f("technology_key")?,
        impact_kind: f("impact_kind")?,
        near_miss: f("near_miss")?,
        root_cause: f("root_cause")?,
        lessons: f("lessons")?,
        body: f("body")?,
        url: f("url")?,
        key: f("key")?,
        fingerprint: f("fingerprint")?,
    })
}
