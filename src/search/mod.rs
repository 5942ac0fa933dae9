//! Search: rank rules for what a person types, a description of a symptom
//! ("deploy fails after we changed the account owner") or a pasted fragment
//! of an error message.
//!
//! # Approach
//! Weighted per-field BM25 plus three things plain BM25 lacks:
//! - **fields**: title, signatures (quoted error messages), issue, cause,
//!   steps and a catch-all of labels, keywords and description are scored
//!   apart and summed with weights, because a word in a title says more than
//!   the same word in step 7 of a remedy;
//! - **coverage**: the score is damped by the share of the query's
//!   information (idf-weighted) a rule matches, so one rare word cannot
//!   outrank a rule that matches the whole description;
//! - **phrases**: the query's words, with numbers, paths, hashes and quoted
//!   names left out, are compared as a sequence with the rule's texts (with
//!   `<*>` left out); a long common run is strong evidence for a pasted
//!   error;
//! - **typos**: a query word the index does not know is replaced by the
//!   closest known word within one or two edits;
//! - **equivalents**: a query phrase listed in the domain vocabulary
//!   (`knowledge/search-vocabulary.toml`: abbreviations and their expansions,
//!   interchangeable words) also searches for its equivalents, at reduced
//!   weight; a rule saying it another way covers that part of the query, and
//!   phrases are also compared with one-word equivalents substituted;
//! - **editions**: rules with near-identical titles from different files are
//!   one article and one hit; the others are listed in [`Hit::also`].
//!
//! # Dependencies
//! - `bm25` (2.x), the one search dependency for ranking: its embedder does
//!   BM25's term saturation and length normalisation, per field. The
//!   idf-weighted sum its scorer does is precomputed into postings (see
//!   `stored`) with the same arithmetic, because its scorer is hash maps
//!   that would be built anew in every process. Chosen over tantivy because
//!   the corpus is ~800 short documents: tantivy's strength (segments, mmap,
//!   large indexes) is start-up cost here, its index is a directory rather
//!   than a value that can be cached beside the rules, and its phrase
//!   queries need exact positions, whereas pasted errors need variable parts
//!   skipped. bm25 brings only `fxhash` with it (default features, its own
//!   tokenizer, are off: analysis is `crate::text`, shared with diagnose).
//! - `strsim` for edit distances (typos) and title similarity (editions). It
//!   was already compiled into the build through clap; naming it only makes
//!   the use explicit.
//!
//! The index is flat arrays archived with rkyv (see `stored`): a cached
//! index is read in place, with nothing to decode or rebuild.

mod analysis;
mod equivalents;
pub mod eval;
mod fold;
mod fuzzy;
mod semantic;
mod similarity;
mod snippet;
mod stored;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bm25::{Embedder as Bm25, EmbedderBuilder, Tokenizer};
use serde::Serialize;

use crate::embed::{Embedder, RuleVectors};
use crate::rulebook::Rule;
use crate::text::{is_stop_word, words};

pub(crate) use analysis::with_identifier_parts;
use analysis::{
    content_bigrams, longest_common_run, phrase_tokens, term_id, PhraseToken, StemCache, BREAK,
};
use equivalents::Equivalents;
use fuzzy::{Lookup, Vocabulary};
pub use semantic::QUERY_TOKENS;
pub use similarity::RuleSimilarity;
use stored::{nth, ArchivedIndexData, FieldPostings, IndexBytes, IndexData, StoredIndex};
pub use stored::{Buffer, IndexError};

/// The parts of a rule scored apart, with how much a match in each counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    Signatures,
    Issue,
    Cause,
    Steps,
    Meta,
    /// The article's whole text: the floor under whatever structure was
    /// found or missed.
    Body,
}

impl Field {
    const ALL: [Field; 7] = [
        Field::Title,
        Field::Signatures,
        Field::Issue,
        Field::Cause,
        Field::Steps,
        Field::Meta,
        Field::Body,
    ];

    /// How much a BM25 match in this field counts. The title names the
    /// problem; steps mention many tools and files in passing. Signatures
    /// count no more than the cause: a pasted error is recognised by the
    /// phrase bonus, and their single words (error, exception, file) are
    /// the least telling.
    fn weight(self) -> f64 {
        match self {
            Field::Title => 2.0,
            Field::Signatures => 1.0,
            Field::Issue => 1.2,
            Field::Cause => 1.0,
            Field::Steps => 0.4,
            Field::Meta => 1.0,
            Field::Body => tuning::BODY_WEIGHT,
        }
    }

    /// Appends the field's texts of `rule` to `out`, one per line.
    /// `page_title`: for a section of a page, the page's title, which
    /// names what the section is part of.
    fn write_text(self, rule: &Rule, page_title: Option<&str>, out: &mut String) {
        let mut put = |text: &str| {
            out.push_str(text);
            out.push('\n');
        };
        match self {
            Field::Title => {
                put(&rule.title);
                page_title.into_iter().for_each(&mut put);
            }
            // A quote taken from the title is indexed there already; twice
            // would weigh the title's words double.
            Field::Signatures => rule
                .signatures
                .iter()
                .filter(|s| !within(&rule.title, s))
                .for_each(|s| put(s)),
            Field::Issue => {
                let issue = &rule.issue;
                put(&issue.text);
                issue.steps_to_reproduce.iter().for_each(|s| put(s));
                put(&issue.expected);
                put(&issue.actual);
            }
            Field::Cause => put(&rule.cause),
            Field::Steps => rule.steps.iter().for_each(|s| put(s)),
            Field::Meta => {
                rule.labels.iter().for_each(|s| put(s));
                rule.keywords.iter().for_each(|s| put(s));
                put(&rule.description);
            }
            Field::Body => put(&rule.body),
        }
    }
}

/// The texts compared as phrases with the query, and how much a run in each
/// counts. Steps are left out: they quote commands, not symptoms.
fn phrase_texts(rule: &Rule) -> [Vec<&str>; PHRASE_TEXTS] {
    let issue = &rule.issue;
    [
        // Each line of a quoted block is its own message.
        rule.signatures.iter().flat_map(|s| s.lines()).collect(),
        vec![rule.title.as_str()],
        vec![
            issue.text.as_str(),
            issue.actual.as_str(),
            rule.description.as_str(),
        ],
        vec![rule.cause.as_str()],
    ]
}

/// How much a phrase run counts in each entry of `phrase_texts`.
const PHRASE_WEIGHTS: [f64; PHRASE_TEXTS] = [1.0, 1.0, 0.8, 0.6];
const PHRASE_TEXTS: usize = 4;

/// Tuning of the ranking, in one place. Set on the labelled queries of the
/// evaluation set as a whole, never for one query.
mod tuning {
    /// Share of the BM25 score kept by a rule that matches none of the
    /// query's information besides its best term.
    pub const COVERAGE_FLOOR: f64 = 0.1;
    pub const COVERAGE_POWER: f64 = 2.0;
    /// A corrected word counts for this much of a typed one, per edit.
    pub const CORRECTED_WEIGHT: [f64; 3] = [1.0, 0.7, 0.45];
    /// Rules (by BM25) whose texts are compared as phrases with the query.
    pub const PHRASE_CANDIDATES: usize = 120;
    /// A full phrase match adds this share of the best BM25 score.
    pub const PHRASE_BONUS: f64 = 1.0;
    /// Matching every adjacent pair of the query's content words adds this
    /// share of the best BM25 score.
    pub const BIGRAM_BONUS: f64 = 0.3;
    /// Shortest run of content words that counts as a phrase.
    pub const PHRASE_MIN_RUN: usize = 3;
    /// An equivalent phrase (see `equivalents`) counts for this much of
    /// the typed one in BM25; for coverage it counts fully.
    pub const EXPANSION_WEIGHT: f64 = 0.8;
    /// How much a match in an article's whole text counts: enough that a
    /// knowledge base without recognisable structure ranks as BM25 over
    /// its text does, little enough that the named parts lead. For
    /// coverage a body match counts fully, as any field's does (counting
    /// it half lost a query on each knowledge base).
    pub const BODY_WEIGHT: f64 = 0.5;
    pub const K1: f32 = 1.2;
    pub const B: f32 = 0.75;
}

/// Splits pre-analysed text (stems joined by spaces): analysis is done once,
/// by `crate::text::terms`, and the embedder only counts.
#[derive(Default)]
struct AnalysedText;

impl Tokenizer for AnalysedText {
    fn tokenize(&self, input_text: &str) -> Vec<String> {
        input_text
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// A search index over a slice of rules: archived arrays (see `stored`),
/// built from the rules or read from a cache.
pub struct SearchIndex {
    stored: StoredIndex,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("rules", &self.rule_count())
            .field("bytes", &self.stored.bytes().len())
            .finish()
    }
}

/// The rules an index was built from, as search reads them. Only the rules
/// it shows are asked for, so a cache need not decode the others.
pub trait RuleSource {
    fn rule_count(&self) -> usize;
    fn rule(&self, index: usize) -> Result<&Rule, QueryError>;
}

impl RuleSource for [Rule] {
    fn rule_count(&self) -> usize {
        self.len()
    }

    fn rule(&self, index: usize) -> Result<&Rule, QueryError> {
        self.get(index)
            .ok_or(QueryError::Unreadable { rule: index })
    }
}

impl RuleSource for Vec<Rule> {
    fn rule_count(&self) -> usize {
        self.len()
    }

    fn rule(&self, index: usize) -> Result<&Rule, QueryError> {
        self.as_slice().rule(index)
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// Index into the rules the index was built from.
    pub rule: usize,
    pub score: f64,
    /// About 160 bytes of the rule's text around the best-matching passage.
    pub snippet: String,
    /// Byte ranges in `snippet` of words that match query terms.
    pub highlights: Vec<(usize, usize)>,
    /// Other editions of the same article, folded into this hit.
    pub also: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the query is empty or has only stop words and punctuation: nothing to search for")]
    Empty,
    #[error("the search index was built from {indexed} rules but {given} were given; rebuild it")]
    Stale { indexed: usize, given: usize },
    #[error("rule {rule} could not be read")]
    Unreadable { rule: usize },
    #[error("the query is {bytes} bytes long, over the limit of {MAX_QUERY_BYTES}")]
    TooLong { bytes: usize },
}

/// Longest query searched. Typo correction and phrase matching cost grows
/// faster than the query (a 1 MB query took seconds); a pasted error with
/// its stack trace is a few kilobytes.
pub const MAX_QUERY_BYTES: usize = 8 * 1024;

/// A query word after analysis, or a word of an equivalent phrase.
#[derive(Debug, Clone)]
struct QueryTerm {
    id: u32,
    stem: String,
    weight: f64,
    /// Typed (or corrected from a typed word) rather than brought in by an
    /// equivalent; only typed terms make up the query's information.
    typed: bool,
}

/// An equivalent phrase added to the query: rules matching it cover the
/// typed phrase it stands for.
#[derive(Debug, Clone)]
struct Expansion {
    /// Indices into the query terms of the typed phrase.
    typed: Vec<usize>,
    /// Indices into the query terms of the equivalent phrase.
    alternative: Vec<usize>,
}

impl SearchIndex {
    /// The index of `rules`, their passages embedded with the bundled model.
    pub fn build(rules: &[Rule]) -> SearchIndex {
        SearchIndex::build_with(rules, RuleVectors::compute(rules, &|_| None))
    }

    /// The index of `rules`, with their passage vectors computed already
    /// (at build time for the embedded rules; partly reused from a cache).
    pub fn build_with(rules: &[Rule], vectors: RuleVectors) -> SearchIndex {
        let mut cache = StemCache::default();
        let mut rule_terms: Vec<HashSet<u32>> = vec![HashSet::new(); rules.len()];
        let mut rule_words: Vec<HashSet<String>> = vec![HashSet::new(); rules.len()];
        let mut fields = Vec::with_capacity(Field::ALL.len());
        let mut text = String::new();
        let titles: HashMap<&str, &str> = rules
            .iter()
            .map(|r| (r.id.as_str(), r.title.as_str()))
            .collect();
        let page_title = |rule: &Rule| {
            (!rule.parent.is_empty())
                .then(|| titles.get(rule.parent.as_str()).copied())
                .flatten()
        };
        for field in Field::ALL {
            let analysed: Vec<String> = rules
                .iter()
                .zip(&mut rule_words)
                .map(|(rule, seen)| {
                    text.clear();
                    field.write_text(rule, page_title(rule), &mut text);
                    let mut out = String::new();
                    cache.append_terms(&with_identifier_parts(&text), &mut out, seen);
                    out
                })
                .collect();
            let total: usize = analysed
                .iter()
                .map(|t| t.split(' ').filter(|w| !w.is_empty()).count())
                .sum();
            let average = (total as f32 / rules.len().max(1) as f32).max(1.0);
            let embedder: Bm25<u32, AnalysedText> = EmbedderBuilder::with_avgdl(average)
                .k1(tuning::K1)
                .b(tuning::B)
                .build();
            let weights: Vec<Vec<(u32, f32)>> = analysed
                .iter()
                .zip(&mut rule_terms)
                .map(|(text, seen)| {
                    let mut distinct: Vec<(u32, f32)> = embedder
                        .embed(text)
                        .iter()
                        .map(|t| (t.index, t.value))
                        .collect();
                    distinct.sort_by_key(|&(id, _)| id);
                    distinct.dedup_by_key(|&mut (id, _)| id);
                    seen.extend(distinct.iter().map(|&(id, _)| id));
                    distinct
                })
                .collect();
            fields.push(postings(&weights));
        }
        let mut rule_frequency: HashMap<u32, u32> = HashMap::new();
        for id in rule_terms.iter().flatten() {
            *rule_frequency.entry(*id).or_default() += 1;
        }
        let mut frequencies: Vec<(u32, u32)> = rule_frequency.into_iter().collect();
        frequencies.sort_unstable();

        let (mut phrase_starts, mut phrase_ids) = (vec![0u32], Vec::new());
        let (mut bigram_starts, mut bigrams) = (vec![0u32], Vec::new());
        for rule in rules {
            let mut rule_bigrams = Vec::new();
            for texts in phrase_texts(rule) {
                let mut tokens = Vec::new();
                for text in texts.iter().filter(|t| !t.is_empty()) {
                    if !tokens.is_empty() {
                        tokens.push(PhraseToken {
                            id: BREAK,
                            content: false,
                        });
                    }
                    cache.phrase_tokens(text, &mut tokens);
                }
                rule_bigrams.extend(content_bigrams(&tokens));
                phrase_ids.extend(tokens.iter().map(|t| t.id));
                phrase_starts.push(offset(phrase_ids.len()));
            }
            rule_bigrams.sort_unstable();
            rule_bigrams.dedup();
            bigrams.extend(rule_bigrams);
            bigram_starts.push(offset(bigrams.len()));
        }

        let vocabulary = Vocabulary::build(rule_words.iter(), |w| cache.get(w).0.clone());

        let data = IndexData {
            rule_count: offset(rules.len()),
            fields,
            terms: frequencies.iter().map(|&(id, _)| id).collect(),
            rule_frequency: frequencies.iter().map(|&(_, n)| n).collect(),
            phrase_starts,
            phrase_ids,
            bigram_starts,
            bigrams,
            groups: fold::edition_groups(rules, &rule_terms)
                .into_iter()
                .map(offset)
                .collect(),
            vocabulary,
            vectors: vectors.vectors,
            passages: vectors.passages,
        };
        let stored = StoredIndex::from_data(&data)
            .unwrap_or_else(|e| unreachable!("a freshly archived index reads back: {e}"));
        SearchIndex { stored }
    }

    /// An index archived by [`SearchIndex::as_bytes`], at `from..to` of
    /// `buffer` (which others may share: a cache holds more than the index).
    pub fn from_bytes(
        buffer: Arc<Buffer>,
        from: usize,
        to: usize,
    ) -> Result<SearchIndex, IndexError> {
        let bytes = IndexBytes::new(buffer, from, to)
            .ok_or_else(|| IndexError::new("the index lies outside its file"))?;
        Ok(SearchIndex {
            stored: StoredIndex::open(bytes)?,
        })
    }

    /// The archived index, to store and read back with `from_bytes`.
    pub fn as_bytes(&self) -> &[u8] {
        self.stored.bytes()
    }

    fn data(&self) -> &ArchivedIndexData {
        self.stored.data()
    }

    /// How many rules the index was built from.
    pub fn rule_count(&self) -> usize {
        self.data().rule_count.to_native() as usize
    }

    /// The best `limit` hits for `query`, best first, one per article.
    /// `rules` must be the slice the index was built from.
    pub fn search<R: RuleSource + ?Sized>(
        &self,
        rules: &R,
        query: &str,
        limit: usize,
    ) -> Result<Vec<Hit>, QueryError> {
        if query.len() > MAX_QUERY_BYTES {
            return Err(QueryError::TooLong { bytes: query.len() });
        }
        let rule_count = self.rule_count();
        if rules.rule_count() != rule_count {
            return Err(QueryError::Stale {
                indexed: rule_count,
                given: rules.rule_count(),
            });
        }
        let Some((scores, query_terms)) = self.scores(query) else {
            return Err(QueryError::Empty);
        };
        let vector = Embedder::bundled().embed(query, QUERY_TOKENS);
        let cosines = self.cosines(&vector);
        let fused = semantic::fuse(&scores, &cosines);

        // A result matches some of the query's words, or is close enough in
        // meaning on its own.
        let mut ranked: Vec<(usize, f64)> = fused
            .into_iter()
            .enumerate()
            .filter(|&(r, _)| scores[r] > 0.0 || cosines[r] >= semantic::MEANING_ALONE_FLOOR)
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));

        let weights: HashMap<String, f64> = query_terms
            .iter()
            .map(|t| (t.stem.clone(), self.idf(t.id) * t.weight))
            .collect();
        let mut stems = snippet::QueryStems::new(&weights);
        let groups = &self.data().groups;
        let mut shown_groups = HashSet::new();
        let mut hits = Vec::new();
        for (rule, score) in ranked {
            if hits.len() >= limit {
                break;
            }
            let group = groups[rule].to_native();
            if !shown_groups.insert(group) {
                continue;
            }
            let also = (0..rule_count)
                .filter(|&i| i != rule && groups[i].to_native() == group)
                .collect();
            let (snippet, highlights) = snippet::snippet(rules.rule(rule)?, &mut stems);
            hits.push(Hit {
                rule,
                score,
                snippet,
                highlights,
                also,
            });
        }
        Ok(hits)
    }

    /// Every rule's score for `text` (BM25 damped by coverage, plus the
    /// phrase bonus), and the terms it was scored on; `None` when the text
    /// has nothing to search for.
    fn scores(&self, text: &str) -> Option<(Vec<f64>, Vec<QueryTerm>)> {
        let (terms, expansions) = self.analyse(text);
        let phrase = phrase_tokens(text);
        let content = phrase.iter().filter(|t| t.content).count();
        if terms.is_empty() && content == 0 {
            return None;
        }
        let mut scores = self.bm25(&terms, &expansions);
        self.add_phrase_bonus(
            &mut scores,
            &phrase,
            content,
            &substitutions(&terms, &expansions),
        );
        Some((scores, terms))
    }

    /// The query's distinct terms: typed words the index knows, the closest
    /// known word for those it does not, and the words of equivalent
    /// phrases (see `equivalents`).
    fn analyse(&self, query: &str) -> (Vec<QueryTerm>, Vec<Expansion>) {
        let mut found: Vec<QueryTerm> = Vec::new();
        // The typed terms in order, as indices into `found`, for phrases.
        let mut sequence: Vec<usize> = Vec::new();
        for word in words(&with_identifier_parts(query)) {
            if word.chars().count() < 2
                || is_stop_word(&word)
                || word.chars().all(|c| c.is_ascii_digit())
            {
                continue;
            }
            let (stem, weight) = match self.data().vocabulary.lookup(&word) {
                Lookup::Known(stem) => (stem, 1.0),
                Lookup::Corrected { stem, distance, .. } => {
                    (stem, tuning::CORRECTED_WEIGHT[distance.min(2)])
                }
                Lookup::Unknown => (crate::text::stem(&word), 0.0),
            };
            let at = match found.iter().position(|t| t.stem == stem) {
                Some(at) => {
                    found[at].weight = found[at].weight.max(weight);
                    at
                }
                None => {
                    found.push(QueryTerm {
                        id: term_id(&stem),
                        stem,
                        weight,
                        typed: true,
                    });
                    found.len() - 1
                }
            };
            sequence.push(at);
        }
        let stems: Vec<String> = sequence.iter().map(|&i| found[i].stem.clone()).collect();
        let alternatives = Equivalents::bundled().alternatives(&stems);
        // A word the index does not know but an equivalent of which it does
        // ("msi" where articles spell it out) is information all the same.
        for alternative in &alternatives {
            for &p in &alternative.found {
                let term = &mut found[sequence[p]];
                if term.weight == 0.0 {
                    term.weight = 1.0;
                }
            }
        }
        let mut expansions = Vec::new();
        for alternative in alternatives {
            let typed: Vec<usize> = alternative.found.iter().map(|&p| sequence[p]).collect();
            let mut indices = Vec::new();
            for stem in alternative.terms {
                let id = term_id(stem);
                if self.rule_frequency(id) == 0 {
                    continue;
                }
                let weight = tuning::EXPANSION_WEIGHT
                    * typed.iter().map(|&t| found[t].weight).fold(1.0, f64::min);
                let at = match found.iter().position(|t| t.id == id) {
                    Some(at) => at,
                    None => {
                        found.push(QueryTerm {
                            id,
                            stem: stem.clone(),
                            weight,
                            typed: false,
                        });
                        found.len() - 1
                    }
                };
                indices.push(at);
            }
            if !indices.is_empty() && indices.len() == alternative.terms.len() {
                expansions.push(Expansion {
                    typed,
                    alternative: indices,
                });
            }
        }
        // Unknown words stayed only to find phrases; equivalent words of
        // them that the index knows were added above.
        let kept: Vec<usize> = (0..found.len())
            .filter(|&i| found[i].weight > 0.0)
            .collect();
        let remap = |i: usize| kept.iter().position(|&k| k == i);
        let expansions = expansions
            .into_iter()
            .filter_map(|e| {
                Some(Expansion {
                    typed: e.typed.iter().filter_map(|&i| remap(i)).collect(),
                    alternative: e
                        .alternative
                        .iter()
                        .map(|&i| remap(i))
                        .collect::<Option<Vec<_>>>()?,
                })
            })
            .collect();
        let found = kept.iter().map(|&i| found[i].clone()).collect();
        (found, expansions)
    }

    /// In how many rules (any field) a term occurs.
    fn rule_frequency(&self, id: u32) -> u32 {
        let data = self.data();
        data.terms
            .binary_search_by(|t| t.to_native().cmp(&id))
            .ok()
            .and_then(|at| data.rule_frequency.get(at))
            .map_or(0, |n| n.to_native())
    }

    /// Inverse rule frequency over all fields: how much a term tells rules apart.
    fn idf(&self, id: u32) -> f64 {
        let n = self.rule_count() as f64;
        let df = f64::from(self.rule_frequency(id));
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// Per rule: the weighted sum of per-field BM25, damped by coverage.
    fn bm25(&self, query_terms: &[QueryTerm], expansions: &[Expansion]) -> Vec<f64> {
        let rule_count = self.rule_count();
        let mut sums = vec![0.0; rule_count];
        let info = |t: &QueryTerm| self.idf(t.id) * t.weight;
        let information: f64 = query_terms.iter().filter(|t| t.typed).map(info).sum();
        // Per term, per rule: whether any field matched.
        let mut matches = vec![vec![false; rule_count]; query_terms.len()];
        for (term, matched) in query_terms.iter().zip(&mut matches) {
            for (field, postings) in Field::ALL.iter().zip(self.data().fields.iter()) {
                let (rules, scores) = postings.postings(term.id);
                for (rule, score) in rules.iter().zip(scores) {
                    let rule = rule.to_native() as usize;
                    if rule >= rule_count {
                        continue;
                    }
                    sums[rule] += field.weight() * term.weight * f64::from(score.to_native());
                    matched[rule] = true;
                }
            }
        }
        (0..rule_count)
            .map(|rule| {
                let mut got: f64 = query_terms
                    .iter()
                    .zip(&matches)
                    .filter(|(t, m)| t.typed && m[rule])
                    .map(|(t, _)| info(t))
                    .sum();
                // A rule saying the typed phrase another way covers it.
                for expansion in expansions {
                    let idf_of = |i: &usize| self.idf(query_terms[*i].id);
                    let total: f64 = expansion.alternative.iter().map(idf_of).sum();
                    let said: f64 = expansion
                        .alternative
                        .iter()
                        .filter(|&&i| matches[i][rule])
                        .map(idf_of)
                        .sum();
                    let typed: f64 = expansion.typed.iter().map(|&i| info(&query_terms[i])).sum();
                    let typed_got: f64 = expansion
                        .typed
                        .iter()
                        .filter(|&&i| matches[i][rule])
                        .map(|&i| info(&query_terms[i]))
                        .sum();
                    if total > 0.0 {
                        got += (typed * said / total - typed_got).max(0.0);
                    }
                }
                let coverage = if information > 0.0 {
                    (got / information).min(1.0)
                } else {
                    0.0
                };
                sums[rule]
                    * (tuning::COVERAGE_FLOOR
                        + (1.0 - tuning::COVERAGE_FLOOR) * coverage.powf(tuning::COVERAGE_POWER))
            })
            .collect()
    }

    /// Raises rules whose texts contain a long run of the query's words.
    /// The query is also read with each one-word equivalent in place of the
    /// word it stands for ("not showing" as "not displayed"); the best
    /// reading counts.
    fn add_phrase_bonus(
        &self,
        scores: &mut [f64],
        query: &[PhraseToken],
        content: usize,
        substitutions: &[(u32, u32)],
    ) {
        if content < 2 {
            return;
        }
        let best = scores.iter().copied().fold(0.0, f64::max);
        // Without any term match (a query of unknown words), phrases still
        // count, on a unit scale.
        let scale = if best > 0.0 { best } else { 1.0 };
        let data = self.data();
        let mut candidates: Vec<usize> = (0..self.rule_count()).collect();
        if best > 0.0 {
            candidates.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
            candidates.truncate(tuning::PHRASE_CANDIDATES);
        }
        let needed = tuning::PHRASE_MIN_RUN.min(content);
        let mut readings = vec![query.to_vec()];
        for &(from, to) in substitutions {
            let reading: Vec<PhraseToken> = query
                .iter()
                .map(|t| PhraseToken {
                    id: if t.id == from { to } else { t.id },
                    content: t.content,
                })
                .collect();
            readings.push(reading);
        }
        let readings: Vec<(Vec<PhraseToken>, Vec<u64>)> = readings
            .into_iter()
            .map(|r| {
                let bigrams = content_bigrams(&r);
                (r, bigrams)
            })
            .collect();
        for rule in candidates {
            let mut strongest = 0.0f64;
            let mut bigram_share = 0.0f64;
            for (reading, query_bigrams) in &readings {
                for (text, weight) in PHRASE_WEIGHTS.into_iter().enumerate() {
                    let tokens = nth(
                        &data.phrase_ids,
                        &data.phrase_starts,
                        rule * PHRASE_TEXTS + text,
                    );
                    let run = longest_common_run(reading, tokens);
                    if run >= needed {
                        let share = run as f64 / content as f64;
                        strongest = strongest.max(weight * share * share);
                    }
                }
                if !query_bigrams.is_empty() {
                    let rule_bigrams = nth(&data.bigrams, &data.bigram_starts, rule);
                    let found = query_bigrams
                        .iter()
                        .filter(|&&b| {
                            rule_bigrams
                                .binary_search_by(|x| x.to_native().cmp(&b))
                                .is_ok()
                        })
                        .count();
                    bigram_share = bigram_share.max(found as f64 / query_bigrams.len() as f64);
                }
            }
            scores[rule] += tuning::PHRASE_BONUS * scale * strongest;
            scores[rule] += tuning::BIGRAM_BONUS * scale * bigram_share;
        }
    }
}

/// Offsets and counts in the index are `u32`: its arrays hold a few
/// hundred thousand entries, far from the limit, and half the size of
/// `usize` in the file.
fn offset(n: usize) -> u32 {
    n as u32
}

/// A field's postings from its per-rule term weights, with each term's
/// score as `bm25::Scorer` computes it (same formula, same `f32`
/// arithmetic, so rankings are unchanged): idf over the rules whose field
/// contains the term, times the rule's weight for it.
fn postings(weights: &[Vec<(u32, f32)>]) -> FieldPostings {
    let mut entries: Vec<(u32, u32, f32)> = weights
        .iter()
        .enumerate()
        .flat_map(|(rule, w)| w.iter().map(move |&(id, value)| (id, offset(rule), value)))
        .collect();
    entries.sort_unstable_by_key(|&(id, rule, _)| (id, rule));
    let documents = weights.len() as f32;
    let mut field = FieldPostings::default();
    for group in entries.chunk_by(|a, b| a.0 == b.0) {
        let frequency = group.len() as f32;
        let idf = (1f32 + ((documents - frequency + 0.5) / (frequency + 0.5))).ln();
        field.terms.push(group[0].0);
        field.starts.push(offset(field.rules.len()));
        for &(_, rule, value) in group {
            field.rules.push(rule);
            field.scores.push(idf * value);
        }
    }
    field.starts.push(offset(field.rules.len()));
    field
}

/// One-word equivalents of typed words, as (typed term id, equivalent id).
fn substitutions(query_terms: &[QueryTerm], expansions: &[Expansion]) -> Vec<(u32, u32)> {
    expansions
        .iter()
        .filter_map(|e| match (e.typed.as_slice(), e.alternative.as_slice()) {
            ([typed], [alternative]) => {
                Some((query_terms[*typed].id, query_terms[*alternative].id))
            }
            _ => None,
        })
        .collect()
}

/// Whether every literal part of `template` occurs in `text` (ignoring case).
fn within(text: &str, template: &str) -> bool {
    let text = text.to_lowercase();
    template
        .split(crate::rulebook::rule::WILDCARD)
        .map(|part| part.trim().to_lowercase())
        .filter(|part| !part.is_empty())
        .all(|part| text.contains(&part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_within_a_title_is_found_there() {
        let title = "Deploy fails: 'There are no widgets defined in the 'gadget' namespace' error";
        assert!(within(
            title,
            "There are no widgets defined in the '<*>' namespace"
        ));
        assert!(!within(title, "No widgets defined in <*> store"));
    }
    use crate::rulebook::rule::Issue;

    fn rule(id: &str, source: &str, title: &str) -> Rule {
        Rule {
            id: id.into(),
            source: source.into(),
            title: title.into(),
            ..Rule::default()
        }
    }

    fn rules() -> Vec<Rule> {
        let mut owner = rule(
            "501",
            "old/501.txt",
            "Deploy fails after the account owner changed",
        );
        owner.cause = "The access keys belong to the former owner of the license.".into();
        let mut owner_new = rule(
            "deploy-owner",
            "new/deploy-owner.md",
            "Deploy fails after account owner changed",
        );
        owner_new.cause = owner.cause.clone();
        let mut checkout = rule(
            "checkout-blank",
            "new/checkout-blank.md",
            "Checkout page blank after upgrade",
        );
        checkout.issue = Issue {
            text: "After an upgrade the checkout page shows nothing.".into(),
            ..Issue::default()
        };
        let mut disk = rule(
            "disk-full",
            "new/disk-full.md",
            "Deploy fails: no space left",
        );
        disk.signatures = vec!["SQLSTATE[HY000]: General error: 1114 The table <*> is full".into()];
        disk.steps = vec!["Free disk space and redeploy.".into()];
        vec![owner, owner_new, checkout, disk]
    }

    #[test]
    fn description_finds_the_article_once() {
        let rules = rules();
        let index = SearchIndex::build(&rules);
        let hits = index
            .search(
                &rules,
                "deploy fails after we changed the account owner",
                10,
            )
            .unwrap();
        assert!(hits[0].rule == 0 || hits[0].rule == 1, "{hits:?}");
        assert_eq!(hits[0].also.len(), 1);
        assert_eq!(
            hits.iter().filter(|h| h.rule <= 1).count(),
            1,
            "editions fold into one hit"
        );
    }

    #[test]
    fn pasted_error_with_other_values_matches_its_signature() {
        let rules = rules();
        let index = SearchIndex::build(&rules);
        let hits = index
            .search(
                &rules,
                "SQLSTATE[HY000]: General error: 1114 The table 'catalog_url_rewrite' is full",
                3,
            )
            .unwrap();
        assert_eq!(hits[0].rule, 3);
        let marked: Vec<&str> = hits[0]
            .highlights
            .iter()
            .map(|&(s, e)| &hits[0].snippet[s..e])
            .collect();
        assert!(
            marked.contains(&"General") && marked.contains(&"full"),
            "{marked:?}"
        );
    }

    #[test]
    fn typos_still_find_the_article() {
        let rules = rules();
        let index = SearchIndex::build(&rules);
        let hits = index.search(&rules, "chekout pgae blnak", 3).unwrap();
        assert_eq!(hits[0].rule, 2, "{hits:?}");
    }

    #[test]
    fn queries_over_the_limit_are_refused_unsearched() {
        let rules = rules();
        let index = SearchIndex::build(&rules);
        let long = "checkout page blank ".repeat(MAX_QUERY_BYTES / 20 + 1);
        assert_eq!(
            index.search(&rules, &long, 5),
            Err(QueryError::TooLong { bytes: long.len() })
        );
        let at_limit = &long[..MAX_QUERY_BYTES];
        assert_eq!(index.search(&rules, at_limit, 3).unwrap()[0].rule, 2);
    }

    #[test]
    fn meaningless_queries_are_rejected() {
        let rules = rules();
        let index = SearchIndex::build(&rules);
        assert_eq!(index.search(&rules, "", 5), Err(QueryError::Empty));
        assert_eq!(
            index.search(&rules, "  the of and ?!", 5),
            Err(QueryError::Empty)
        );
        assert!(matches!(
            index.search(&rules[..1], "deploy", 5),
            Err(QueryError::Stale { .. })
        ));
    }

    #[test]
    fn postings_score_as_the_bm25_scorer_does() {
        use bm25::{Embedding, Scorer, TokenEmbedding};
        let weights = vec![
            vec![(3, 0.5), (7, 1.25)],
            vec![],
            vec![(3, 0.75), (9, 2.0)],
            vec![(7, 0.1)],
        ];
        let mut scorer = Scorer::<usize, u32>::new();
        for (rule, w) in weights.iter().enumerate() {
            let embedding = w
                .iter()
                .map(|&(index, value)| TokenEmbedding { index, value })
                .collect();
            scorer.upsert(&rule, Embedding(embedding));
        }
        let field = postings(&weights);
        assert_eq!(field.terms, vec![3, 7, 9]);
        for (at, &term) in field.terms.iter().enumerate() {
            let from = field.starts[at] as usize..field.starts[at + 1] as usize;
            let mut ours: Vec<(usize, f32)> = field.rules[from.clone()]
                .iter()
                .zip(&field.scores[from])
                .map(|(&r, &s)| (r as usize, s))
                .collect();
            let query = Embedding(vec![TokenEmbedding {
                index: term,
                value: 1.0,
            }]);
            let mut theirs: Vec<(usize, f32)> = scorer
                .matches(&query)
                .into_iter()
                .map(|m| (m.id, m.score))
                .collect();
            ours.sort_by_key(|&(r, _)| r);
            theirs.sort_by_key(|&(r, _)| r);
            // Bit for bit: rankings must not move.
            let bits = |v: &[(usize, f32)]| -> Vec<(usize, u32)> {
                v.iter().map(|&(r, s)| (r, s.to_bits())).collect()
            };
            assert_eq!(bits(&ours), bits(&theirs), "term {term}");
        }
    }

    #[test]
    fn a_damaged_index_is_refused() {
        let index = SearchIndex::build(&rules());
        let bytes = index.as_bytes();
        let half = bytes[..bytes.len() / 2].to_vec();
        let len = half.len();
        assert!(SearchIndex::from_bytes(Arc::new(Buffer::Owned(half)), 0, len).is_err());
        let whole = Arc::new(Buffer::Owned(bytes.to_vec()));
        assert!(SearchIndex::from_bytes(whole, 0, bytes.len() + 1).is_err());
    }

    #[test]
    fn a_serialized_index_answers_alike() {
        let rules = rules();
        let index = SearchIndex::build(&rules);
        let bytes = index.as_bytes().to_vec();
        let len = bytes.len();
        let loaded = SearchIndex::from_bytes(Arc::new(Buffer::Owned(bytes)), 0, len).unwrap();
        let query = "checkout blank after upgrade";
        assert_eq!(
            index.search(&rules, query, 5),
            loaded.search(&rules, query, 5)
        );
    }
}
