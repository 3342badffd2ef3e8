//! The text analyzer of the searched fields: tantivy's `en_stem` pipeline
//! (simple tokenizer, long words dropped, lowercase, English stemmer)
//! without the stop words the browser search drops too, with the
//! stemmer's answers remembered.
//!
//! Stemming was a third of the time spent indexing: Snowball runs on every
//! token, while prose repeats a few thousand words. The answers are the
//! stemmer's own, so the index is the same as with `en_stem` and a stop
//! word filter. Stop words ("the", "of", "to"...) are a third of the words
//! of a post-mortem and match nearly every one; a phrase keeps their
//! places, so "root cause of the outage" still matches as a phrase.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use tantivy::Index;
use tantivy::tokenizer::{
    Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
    Token, TokenFilter, TokenStream, Tokenizer,
};

/// The name the schema gives the analyzer.
pub const NAME: &str = "castor_en";

/// Words remembered per thread; past this, a word is stemmed every time,
/// so memory stays bounded on any vocabulary.
const CACHE_LIMIT: usize = 200_000;

/// Registers the analyzer on `index`: needed both to write and to query.
pub fn register(index: &Index) {
    index.tokenizers().register(NAME, analyzer());
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST))
        .filter(LowerCaser)
        .filter(CachedStemmer)
        .build()
}

/// Tokens of this many bytes or more are dropped: a hash or a URL is not a
/// word anyone searches for.
pub const LONGEST: usize = 40;

thread_local! {
    static STEMMER: RefCell<TextAnalyzer> = RefCell::new(english_stemmer());
}

fn english_stemmer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Calls `each` with every word of `text` as the analyzer splits and
/// lowercases it, before stemming, stop words included: the words a
/// reader types. The same rules as the analyzer's tokenizer and filters
/// (a test holds them to it), without a token allocated per word: the
/// browser index reads every word of the site.
pub fn each_word<'a>(text: &'a str, mut each: impl FnMut(Cow<'a, str>)) {
    for token in text.split(|c: char| !c.is_alphanumeric()) {
        if token.is_empty() || token.len() >= LONGEST {
            continue;
        }
        if token.is_ascii() && !token.bytes().any(|b| b.is_ascii_uppercase()) {
            each(Cow::Borrowed(token));
        } else if token.is_ascii() {
            // tantivy's LowerCaser: ASCII in place, else a character at a
            // time (a final sigma stays σ).
            each(Cow::Owned(token.to_ascii_lowercase()));
        } else {
            each(Cow::Owned(
                token.chars().flat_map(char::to_lowercase).collect(),
            ));
        }
    }
}

/// Calls `f` with the stem of a word from [`each_word`], as the index
/// holds it: empty for a stop word, which is not indexed.
pub fn with_stem<R>(word: &str, f: impl FnOnce(&str) -> R) -> R {
    f(&shared_stem(word))
}

/// The stem of a word from [`each_word`], as [`with_stem`] gives it, to
/// keep: most words are known, and then the stem is shared, not copied.
pub fn shared_stem(word: &str) -> Arc<str> {
    cached(word, || {
        STEMMER.with_borrow_mut(|stemmer| stem_with(stemmer, word))
    })
}

/// The stem of `word` from the thread's cache, or else `stem()`'s,
/// remembered.
fn cached(word: &str, stem: impl FnOnce() -> String) -> Arc<str> {
    with_cached(word, stem, Arc::clone)
}

/// Calls `f` with the stem of `word` from the thread's cache, or else
/// `stem()`'s, remembered: the index reads a known stem in place, without
/// counting a reference to it, for each of its words.
fn with_cached<R>(word: &str, stem: impl FnOnce() -> String, f: impl FnOnce(&Arc<str>) -> R) -> R {
    STEMS.with(|stems| {
        if let Some(known) = stems.borrow().get(word) {
            return f(known);
        }
        f(&remember(word, stem()))
    })
}

fn remember(word: &str, stem: String) -> Arc<str> {
    let stem: Arc<str> = stem.into();
    STEMS.with_borrow_mut(|stems| {
        if stems.len() < CACHE_LIMIT {
            stems.insert(word.to_string(), stem.clone());
        }
    });
    stem
}

fn stem_with(stemmer: &mut TextAnalyzer, word: &str) -> String {
    let mut stream = stemmer.token_stream(word);
    if stream.advance() {
        stream.token().text.clone()
    } else {
        word.to_string()
    }
}

#[derive(Clone)]
struct CachedStemmer;

impl TokenFilter for CachedStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> CachedStemmerFilter<T> {
        CachedStemmerFilter {
            inner,
            stemmer: english_stemmer(),
        }
    }
}

thread_local! {
    /// Stems by word, shared by every analyzer on the thread: tantivy
    /// clones an analyzer for each field of each segment, and for each
    /// snippet of a search, and each clone would stem the same words
    /// again. A stop word's stem is empty: the stream skips it.
    static STEMS: RefCell<FxHashMap<String, Arc<str>>> = RefCell::new(
        super::browser::STOP_WORDS
            .iter()
            .map(|w| (w.to_string(), Arc::from("")))
            .collect(),
    );
}

#[derive(Clone)]
struct CachedStemmerFilter<T> {
    inner: T,
    /// Stems one word at a time, on a cache miss.
    stemmer: TextAnalyzer,
}

impl<T: Tokenizer> Tokenizer for CachedStemmerFilter<T> {
    type TokenStream<'a> = CachedStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CachedStemmerStream {
            tail: self.inner.token_stream(text),
            stemmer: &mut self.stemmer,
            stem: String::new(),
        }
    }
}

struct CachedStemmerStream<'a, T> {
    tail: T,
    stemmer: &'a mut TextAnalyzer,
    /// The last stem, swapped into the token: the cache's copy stays put.
    stem: String,
}

impl<T: TokenStream> TokenStream for CachedStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        loop {
            if !self.tail.advance() {
                return false;
            }
            let token = self.tail.token_mut();
            let stemmer = &mut *self.stemmer;
            let kept = with_cached(
                &token.text,
                || stem_with(stemmer, &token.text),
                |stem| {
                    self.stem.clear();
                    self.stem.push_str(stem);
                    !stem.is_empty()
                },
            );
            if kept {
                std::mem::swap(&mut token.text, &mut self.stem);
                return true;
            }
        }
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    /// The fast word splitter gives the analyzer's words.
    #[test]
    fn each_word_splits_and_lowercases_as_the_analyzer() {
        let text = "us-east-1 DON'T Naïve IPv6 ÜNÏCODE café-crème x86_64 O'Reilly ΣΊΣΥΦΟΣ \
                    İstanbul 東京 ١٢٣ Ⅻ e\u{301}te\u{301} ᾳ\u{345}δ post-mortem SELinux \
                    averyveryverylongwordthatgoesonandonpastforty characters";
        let mut analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(LONGEST))
            .filter(LowerCaser)
            .build();
        let mut mine = Vec::new();
        each_word(text, |w| mine.push(w.into_owned()));
        assert_eq!(mine, tokens(&mut analyzer, text));
    }

    #[test]
    fn gives_the_same_tokens_as_en_stem_without_stop_words_twice_over() {
        let text = "Certificates expired; the certificate's renewal RETRIES retried \
                    and failed over to replicas, replicating nothing.";
        let mut expected = tantivy::tokenizer::TokenizerManager::default()
            .get("en_stem")
            .unwrap();
        let mut cached = analyzer();
        let stemmed = tokens(&mut expected, text);
        assert!(stemmed.contains(&"the".to_string()), "{stemmed:?}");
        let want: Vec<String> = stemmed
            .into_iter()
            .filter(|t| !super::super::browser::STOP_WORDS.contains(&t.as_str()))
            .collect();
        assert!(want.contains(&"certif".to_string()), "{want:?}");
        // The second pass is answered from the cache.
        assert_eq!(tokens(&mut cached, text), want);
        assert_eq!(tokens(&mut cached, text), want);
    }
}
