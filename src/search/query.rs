//! Answering a search: the user's query through tantivy's `QueryParser`,
//! the filters as exact terms and a year range, a fuzzy fallback when the
//! exact query finds nothing, and "more like this" for `--similar`.
//!
//! Words are joined with AND by default: an on-call engineer typing
//! `dns ttl` wants incidents about both. `OR`, `NOT`, `-word`, `"phrases"`
//! and `field:word` work as tantivy's query language defines them.

use std::ops::Bound;

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, MoreLikeThisQuery, Occur, PhraseQuery, Query,
    QueryParser, RangeQuery, TermQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Searcher, TantivyDocument, Term};

use super::index::Opened;
use super::schema::{self, Fields};
use super::vocabulary::{Near, Vocabulary};
use crate::content::Kind;

/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 180;
/// Documents fetched beyond the limit to order ties at the cut by slug.
const TIE_SLACK: usize = 10;
/// How many closest terms a search without results offers.
const SUGGESTIONS: usize = 3;

/// What to look for.
#[derive(Debug, Default, Clone)]
pub struct Request {
    /// Empty when only filters or `similar` are given.
    pub query: String,
    pub category: Option<String>,
    pub company: Option<String>,
    pub tag: Option<String>,
    /// A technology's slug.
    pub technology: Option<String>,
    pub impact_kind: Option<String>,
    pub near_miss: Option<bool>,
    pub since: Option<u64>,
    pub until: Option<u64>,
    pub kind: Option<Kind>,
    pub limit: usize,
    /// The slug of an incident to find others like.
    pub similar: Option<String>,
}

/// One result, with every stored field. Serialized as is by `--json`, so
/// renaming a field here breaks scripts: add, never rename.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub score: f32,
    pub slug: String,
    pub kind: String,
    pub title: String,
    pub company: String,
    pub date: String,
    pub year: Option<u64>,
    pub category: String,
    pub tags: Vec<String>,
    /// As written in front matter; empty for advice.
    pub technologies: Vec<String>,
    pub impact_kind: Vec<String>,
    /// `null` for advice.
    pub near_miss: Option<bool>,
    pub root_cause: String,
    pub lessons: Vec<String>,
    /// The page's URL path relative to the site root, e.g. `incidents/<slug>/`.
    pub url: String,
    /// Plain text around the best match.
    pub snippet: String,
    /// Byte ranges of `snippet` that matched the query.
    pub highlights: Vec<[usize; 2]>,
}

/// The results and how they were found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub hits: Vec<Hit>,
    /// The exact query found nothing; these hits are from close spellings.
    pub fuzzy: bool,
    /// Indexed words closest to the query's words, when the exact query
    /// found nothing.
    pub suggestions: Vec<String>,
    /// The query's words too common to be indexed ("the", "of"...), when
    /// the exact query found nothing.
    pub common: Vec<String>,
}

/// Why a search could not run.
#[derive(Debug)]
pub enum Error {
    /// The query does not parse; the message says where.
    BadQuery(String),
    /// `--similar` names no indexed incident.
    UnknownSlug(String),
    Index(tantivy::TantivyError),
}

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Self {
        Error::Index(e)
    }
}

pub fn search(opened: &Opened, request: &Request) -> Result<Outcome, Error> {
    let searcher = opened.reader.searcher();
    let f = &opened.fields;
    let parser = parser(opened);
    let (main, highlight): (Box<dyn Query>, Box<dyn Query>) = match &request.similar {
        Some(slug) => {
            let address = find_slug(&searcher, f, slug)?;
            let like = MoreLikeThisQuery::builder()
                .with_min_doc_frequency(1)
                .with_min_term_frequency(1)
                .with_max_query_terms(30)
                .with_min_word_length(3)
                .with_document(address);
            // Only other incidents: advice pages share an incident's words
            // but are not "incidents like it".
            let query = BooleanQuery::new(vec![
                (Occur::Must, Box::new(like)),
                (
                    Occur::Must,
                    Box::new(ConstScoreQuery::new(
                        Box::new(term_query(f.kind, Kind::Incident.as_str())),
                        0.0,
                    )),
                ),
                (Occur::MustNot, Box::new(term_query(f.slug, slug))),
            ]);
            (Box::new(query), Box::new(AllQuery))
        }
        None if request.query.trim().is_empty() => (Box::new(AllQuery), Box::new(AllQuery)),
        None => {
            let text = with_compounds(&searcher, f, &request.query);
            let query = parser
                .parse_query(text.as_deref().unwrap_or(&request.query))
                .map_err(|e| Error::BadQuery(e.to_string()))?;
            (query.box_clone(), query)
        }
    };
    let mut hits = run(
        &searcher,
        f,
        filtered(main, f, request),
        &*highlight,
        request,
    )?;
    if request.similar.is_none() && is_plain(&request.query) {
        hits = with_most_words(&searcher, f, &parser, &*highlight, request, hits)?;
    }
    if !hits.is_empty() || request.similar.is_some() || request.query.trim().is_empty() {
        return Ok(Outcome {
            hits,
            ..Outcome::default()
        });
    }
    // Nothing matched exactly: suggest close spellings, and search with
    // them when the query is plain words. A query with operators or a
    // phrase says exactly what it wants; guessing would break `-word`.
    // Stop words are not indexed: they are neither typos nor searchable.
    let (common, words): (Vec<String>, Vec<String>) = plain_words(&request.query)
        .into_iter()
        .partition(|w| super::browser::is_stop_word(w));
    let vocabulary = Vocabulary::read(&opened.dir);
    // Each word's close spellings, found once for the suggestions and the
    // fuzzy search; `None` for a word too short to have any.
    let spellings: Vec<Option<Vec<Near>>> = words
        .iter()
        .map(|w| Some(vocabulary.near(w, usize::from(max_distance(w)?))))
        .collect();
    let suggestions = closest_terms(&spellings);
    let Some(fuzzy) = is_plain(&request.query)
        .then(|| fuzzy_query(&parser, &spellings))
        .flatten()
    else {
        return Ok(Outcome {
            suggestions,
            common,
            ..Outcome::default()
        });
    };
    let highlight = parser
        .parse_query(&suggestions.join(" OR "))
        .unwrap_or_else(|_| Box::new(AllQuery));
    // The fuzzy terms decide what matches; the close spellings, searched
    // like a query of their own, decide the order, so a title or company
    // that holds the word ranks above a passing mention in a body.
    let ranked = Box::new(BooleanQuery::new(vec![
        (Occur::Must, fuzzy),
        (Occur::Should, highlight.box_clone()),
    ]));
    let hits = run(
        &searcher,
        f,
        filtered(ranked, f, request),
        &*highlight,
        request,
    )?;
    Ok(Outcome {
        fuzzy: !hits.is_empty(),
        hits,
        suggestions,
        common,
    })
}

/// `query` with its compounds spelled both ways, when it is words alone
/// (hyphenated or not) and the index holds both spellings: "data center"
/// also finds "datacenter" and the reverse, "post-mortem" also finds
/// "postmortem". `None` when nothing changes. The site's search does the
/// same (`browser::count_compounds` and search.js).
fn with_compounds(searcher: &Searcher, f: &Fields, query: &str) -> Option<String> {
    let tokens: Vec<&str> = query.split_whitespace().collect();
    let simple = |t: &str| {
        !t.starts_with('-')
            && !t.ends_with('-')
            && !t.contains("--")
            && t.chars().all(|c| c.is_alphanumeric() || c == '-')
            && !matches!(t, "AND" | "OR" | "NOT")
    };
    if tokens.is_empty() || !tokens.iter().all(|t| simple(t)) {
        return None;
    }
    let holds = |word: &str| holds(searcher, f, word);
    let mut out = Vec::new();
    let mut changed = false;
    let mut i = 0;
    while i < tokens.len() {
        let lower = tokens[i].to_lowercase();
        let parts: Vec<&str> = lower.split('-').collect();
        // "data center", or "post-mortem": two words the index also
        // holds joined.
        let pair = match (parts.as_slice(), tokens.get(i + 1)) {
            ([a, b], _) => Some((*a, b.to_string(), format!("\"{a} {b}\""), 1)),
            ([a], Some(next)) if !next.contains('-') => {
                let b = next.to_lowercase();
                let both = format!("({a} AND {b})");
                Some((*a, b, both, 2))
            }
            _ => None,
        };
        if let Some((a, b, apart, used)) = pair
            && holds(&format!("{a}{b}"))
        {
            out.push(format!("({apart} OR {a}{b})"));
            changed = true;
            i += used;
            continue;
        }
        // "datacenter": one word the index also holds in two.
        if let [word] = parts.as_slice()
            && holds(word)
            && let Some((a, b)) = split_compound(searcher, f, word)
        {
            out.push(format!("({word} OR \"{a} {b}\")"));
            changed = true;
        } else {
            out.push(tokens[i].to_string());
        }
        i += 1;
    }
    changed.then(|| out.join(" "))
}

/// Whether any searched field holds `word`'s stem.
fn holds(searcher: &Searcher, f: &Fields, word: &str) -> bool {
    super::stem::with_stem(word, |stem| {
        !stem.is_empty()
            && schema::default_fields(f).into_iter().any(|field| {
                searcher
                    .doc_freq(&Term::from_field_text(field, stem))
                    .is_ok_and(|n| n > 0)
            })
    })
}

/// `word` cut in two words that some field holds one after the other:
/// halves of three letters or more, as the site's index finds them.
fn split_compound(searcher: &Searcher, f: &Fields, word: &str) -> Option<(String, String)> {
    word.char_indices().skip(3).find_map(|(at, _)| {
        let (a, b) = word.split_at(at);
        if b.chars().nth(2).is_none() || !holds(searcher, f, a) || !holds(searcher, f, b) {
            return None;
        }
        let stems = [a, b].map(|w| super::stem::with_stem(w, str::to_string));
        let together = schema::default_fields(f).into_iter().any(|field| {
            let phrase = PhraseQuery::new(
                stems
                    .iter()
                    .map(|s| Term::from_field_text(field, s))
                    .collect(),
            );
            searcher.search(&phrase, &Count).is_ok_and(|n| n > 0)
        });
        together.then(|| (a.to_string(), b.to_string()))
    })
}

/// A query of words alone: no operator, phrase or field. Only such a query
/// is completed with partial matches or guessed at: one with operators
/// says exactly what it wants.
fn is_plain(query: &str) -> bool {
    query
        .split_whitespace()
        .all(|w| w.chars().all(char::is_alphanumeric) && !matches!(w, "AND" | "OR" | "NOT"))
}

/// `hits`, the documents with every word of a plain query, followed,
/// while they are fewer than the limit, by the documents with most of
/// its words: all but one, then all but two... each group by score. The
/// site's search ranks the same way.
fn with_most_words(
    searcher: &Searcher,
    f: &Fields,
    parser: &QueryParser,
    highlight: &dyn Query,
    request: &Request,
    mut hits: Vec<Hit>,
) -> Result<Vec<Hit>, Error> {
    let limit = request.limit.max(1);
    let clauses: Vec<Box<dyn Query>> = plain_words(&request.query)
        .iter()
        .filter(|w| !super::browser::is_stop_word(w))
        .filter_map(|w| parser.parse_query(w).ok())
        .collect();
    for required in (1..clauses.len()).rev() {
        if hits.len() >= limit {
            break;
        }
        let some = BooleanQuery::with_minimum_required_clauses(
            clauses
                .iter()
                .map(|c| (Occur::Should, c.box_clone()))
                .collect(),
            required,
        );
        let wider = Request {
            limit: limit + hits.len(),
            ..request.clone()
        };
        for hit in run(
            searcher,
            f,
            filtered(Box::new(some), f, request),
            highlight,
            &wider,
        )? {
            if hits.len() < limit && !hits.iter().any(|h| h.url == hit.url) {
                hits.push(hit);
            }
        }
    }
    Ok(hits)
}

fn parser(opened: &Opened) -> QueryParser {
    let f = &opened.fields;
    let mut parser = QueryParser::for_index(&opened.index, schema::default_fields(f));
    for (field, boost) in schema::boosts(f) {
        parser.set_field_boost(field, boost);
    }
    parser.set_conjunction_by_default();
    parser
}

fn term_query(field: tantivy::schema::Field, text: &str) -> TermQuery {
    TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::Basic)
}

fn find_slug(searcher: &Searcher, f: &Fields, slug: &str) -> Result<tantivy::DocAddress, Error> {
    let found = searcher.search(
        &term_query(f.slug, slug),
        &TopDocs::with_limit(1).order_by_score(),
    )?;
    found
        .first()
        .map(|(_, address)| *address)
        .ok_or_else(|| Error::UnknownSlug(slug.to_string()))
}

/// `query` restricted by the request's filters, which never change a score.
fn filtered(query: Box<dyn Query>, f: &Fields, request: &Request) -> Box<dyn Query> {
    let mut filters: Vec<Box<dyn Query>> = Vec::new();
    let exact = [
        (f.category, request.category.clone()),
        (
            f.company_key,
            request.company.as_ref().map(|c| c.to_lowercase()),
        ),
        (f.tag_key, request.tag.clone()),
        (f.technology_key, request.technology.clone()),
        (f.impact_kind, request.impact_kind.clone()),
        (
            f.near_miss,
            request
                .near_miss
                .map(|n| crate::site::near_miss_slug(n).to_string()),
        ),
        (f.kind, request.kind.map(|k| k.as_str().to_string())),
    ];
    for (field, value) in exact {
        if let Some(value) = value {
            filters.push(Box::new(term_query(field, &value)));
        }
    }
    if request.since.is_some() || request.until.is_some() {
        let bound = |year: Option<u64>| {
            year.map_or(Bound::Unbounded, |y| {
                Bound::Included(Term::from_field_u64(f.year, y))
            })
        };
        filters.push(Box::new(RangeQuery::new(
            bound(request.since),
            bound(request.until),
        )));
    }
    if filters.is_empty() {
        return query;
    }
    let mut clauses = vec![(Occur::Must, query)];
    clauses.extend(filters.into_iter().map(|q| {
        (
            Occur::Must,
            Box::new(ConstScoreQuery::new(q, 0.0)) as Box<dyn Query>,
        )
    }));
    Box::new(BooleanQuery::new(clauses))
}

fn run(
    searcher: &Searcher,
    f: &Fields,
    query: Box<dyn Query>,
    highlight: &dyn Query,
    request: &Request,
) -> Result<Vec<Hit>, Error> {
    // Ties in score go to the newer incident, then to the slug first in
    // order, never to the order of the index's segments. The date is a
    // fast field; the slug is read from the stored documents, so a few
    // more than asked for are fetched to settle ties at the cut.
    let limit = request.limit.max(1);
    let top = searcher.search(
        &*query,
        &TopDocs::with_limit(limit + TIE_SLACK).tweak_score(
            move |segment: &tantivy::SegmentReader| {
                let date = segment
                    .fast_fields()
                    .u64("date_key")
                    .ok()
                    .map(|column| column.first_or_default_col(0));
                move |doc: tantivy::DocId, score: tantivy::Score| {
                    (score, date.as_ref().map_or(0, |column| column.get_val(doc)))
                }
            },
        ),
    )?;
    let mut generators = Vec::new();
    for field in [f.body, f.root_cause, f.title] {
        let mut generator = SnippetGenerator::create(searcher, highlight, field)?;
        generator.set_max_num_chars(SNIPPET_CHARS);
        generators.push(generator);
    }
    let mut found = top
        .into_iter()
        .map(|((score, date), address)| {
            let doc: TantivyDocument = searcher.doc(address)?;
            Ok((score, date, doc))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let slug = |doc: &TantivyDocument| {
        doc.get_first(f.slug)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    found.sort_by(|(s1, d1, doc1), (s2, d2, doc2)| {
        s2.total_cmp(s1)
            .then(d2.cmp(d1))
            .then_with(|| slug(doc1).cmp(&slug(doc2)))
    });
    found.truncate(limit);
    Ok(found
        .into_iter()
        .map(|(score, _, doc)| hit(f, score, &doc, &generators))
        .collect())
}

fn hit(f: &Fields, score: f32, doc: &TantivyDocument, generators: &[SnippetGenerator]) -> Hit {
    let text = |field| {
        doc.get_first(field)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let all = |field| {
        doc.get_all(field)
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect::<Vec<_>>()
    };
    // The first field with a highlighted match gives the snippet; else the
    // start of the body.
    let snippets: Vec<_> = generators.iter().map(|g| g.snippet_from_doc(doc)).collect();
    let best = snippets
        .iter()
        .find(|s| !s.highlighted().is_empty())
        .unwrap_or(&snippets[0]);
    let (snippet, highlights) = if best.fragment().is_empty() {
        (
            crate::text::cut_at_word(&text(f.body), SNIPPET_CHARS),
            Vec::new(),
        )
    } else {
        (
            best.fragment().to_string(),
            best.highlighted()
                .iter()
                .map(|r| [r.start, r.end])
                .collect(),
        )
    };
    Hit {
        score,
        slug: text(f.slug),
        kind: text(f.kind),
        title: text(f.title),
        company: text(f.company),
        date: text(f.date),
        year: doc.get_first(f.year).and_then(|v| v.as_u64()),
        category: text(f.category),
        tags: all(f.tags),
        technologies: all(f.technologies),
        impact_kind: all(f.impact_kind),
        near_miss: doc
            .get_first(f.near_miss)
            .and_then(|v| v.as_str())
            .map(|v| v == crate::site::near_miss_slug(true)),
        root_cause: text(f.root_cause),
        lessons: all(f.lessons),
        url: text(f.url),
        snippet,
        highlights,
    }
}

/// The query's words without operators, field prefixes or punctuation,
/// lowercased as the vocabulary keeps them.
fn plain_words(query: &str) -> Vec<String> {
    query
        .split_whitespace()
        .filter(|w| !matches!(*w, "AND" | "OR" | "NOT"))
        .map(|w| w.rsplit(':').next().unwrap_or(w))
        .flat_map(|w| {
            w.split(|c: char| !c.is_alphanumeric())
                .filter(|p| !p.is_empty())
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// How many edits a word of this length may be off by: one for short
/// words, two from six letters, none for words too short to guess.
fn max_distance(word: &str) -> Option<u8> {
    match word.chars().count() {
        0..=2 => None,
        3..=5 => Some(1),
        _ => Some(2),
    }
}

/// The close spellings of a word that a fuzzy search tries, at most.
const SPELLINGS: usize = 12;

/// Every word must match a close spelling of itself (or itself), searched
/// as a word of the query would be.
fn fuzzy_query(parser: &QueryParser, spellings: &[Option<Vec<Near>>]) -> Option<Box<dyn Query>> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = spellings
        .iter()
        .flatten()
        .map(|near| {
            let either: Vec<(Occur, Box<dyn Query>)> = near
                .iter()
                .take(SPELLINGS)
                .filter_map(|n| Some((Occur::Should, parser.parse_query(n.word).ok()?)))
                .collect();
            (
                Occur::Must,
                Box::new(BooleanQuery::new(either)) as Box<dyn Query>,
            )
        })
        .collect();
    (!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
}

/// For each word not in the vocabulary, the words nearest to it, from
/// each word's close spellings.
fn closest_terms(spellings: &[Option<Vec<Near>>]) -> Vec<String> {
    let mut candidates: Vec<Near> = Vec::new();
    for near in spellings.iter().flatten() {
        // A word that is indexed as typed (no edit away from itself) needs
        // no other spelling.
        if near.first().is_some_and(|n| n.edits == 0) {
            continue;
        }
        candidates.extend(near.iter().take(SUGGESTIONS));
    }
    candidates.sort_by(|a, b| a.edits.cmp(&b.edits).then(b.docs.cmp(&a.docs)));
    let mut terms: Vec<String> = Vec::new();
    for near in candidates {
        if !terms.iter().any(|t| t == near.word) {
            terms.push(near.word.to_string());
        }
    }
    terms.truncate(SUGGESTIONS.max(spellings.len()));
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_drop_operators_and_field_prefixes() {
        assert_eq!(
            plain_words("company:clodflare AND \"split brain\" -dns"),
            ["clodflare", "split", "brain", "dns"]
        );
    }

    #[test]
    fn short_words_are_never_guessed() {
        assert_eq!(max_distance("db"), None);
        assert_eq!(max_distance("bgp"), Some(1));
        assert_eq!(max_distance("clodflare"), Some(2));
    }
}
