//! The index as it is kept: flat arrays, archived with rkyv and read in
//! place.
//!
//! A search runs in a fresh process, so loading the index is most of its
//! cost. Decoding it into hash maps and nested vectors (as the serde cache
//! did) cost more than the search itself, however compact the encoding: the
//! cost is in building the containers. rkyv lays the arrays out so that they
//! are used where they lie in the file's bytes; loading is one validation
//! pass (bytecheck: every offset and length is checked once, so a damaged
//! file is refused rather than read out of bounds) and nothing is rebuilt.
//! Its `unaligned` format is used so that the index can sit at any offset of
//! a larger file (the cache beside the rules) and be read from a plain
//! `Vec<u8>`.
//!
//! Chosen over serde formats (bincode, postcard: decoding still allocates
//! every vector). `self_cell` keeps the bytes and the validated view of
//! them together without unsafe code. The bytes may be a memory map of the
//! cache file (see [`Buffer`]).

use std::ops::Deref;
use std::sync::Arc;

use rkyv::rancor;
use rkyv::Archived;

use super::fuzzy::Vocabulary;

/// One field's postings: for each term, the rules whose field contains it
/// and the term's BM25 score there (idf times saturated, length-normalised
/// frequency), computed once when the index is built.
#[derive(Debug, Default, rkyv::Archive, rkyv::Serialize)]
pub(crate) struct FieldPostings {
    /// Term ids, sorted.
    pub terms: Vec<u32>,
    /// Per term, where its postings start in `rules` and `scores`; one more
    /// entry closes the last term's.
    pub starts: Vec<u32>,
    pub rules: Vec<u32>,
    pub scores: Vec<f32>,
}

/// Everything search reads, as plain arrays. Per-rule lists are stored
/// end to end with a `*_starts` array of offsets (`rule_count + 1` of them,
/// or one per rule and phrase text for `phrase_starts`).
#[derive(Debug, Default, rkyv::Archive, rkyv::Serialize)]
pub(crate) struct IndexData {
    pub rule_count: u32,
    /// One per field, in the order of `Field::ALL`.
    pub fields: Vec<FieldPostings>,
    /// Term ids, sorted, and in how many rules (any field) each occurs.
    pub terms: Vec<u32>,
    pub rule_frequency: Vec<u32>,
    /// Per rule and entry of `phrase_texts`, the term ids of its phrase
    /// tokens.
    pub phrase_starts: Vec<u32>,
    pub phrase_ids: Vec<u32>,
    /// Per rule, the sorted content-word bigrams of its phrase texts.
    pub bigram_starts: Vec<u32>,
    pub bigrams: Vec<u64>,
    /// Per rule, its edition group (see `fold`).
    pub groups: Vec<u32>,
    pub vocabulary: Vocabulary,
    /// Per rule, the unit vector of its passage (`crate::embed`), `DIM`
    /// values each, end to end.
    pub vectors: Vec<f32>,
    /// Per rule, the digest of the passage its vector was computed from,
    /// so that a rebuilt index can reuse the vectors of unchanged rules.
    pub passages: Vec<u64>,
}

/// The `i`th of the lists stored end to end in `items`; empty if `starts`
/// does not describe it (only a damaged index has such offsets, and an empty
/// list is a safe answer).
pub(crate) fn nth<'a, T>(items: &'a [T], starts: &[Archived<u32>], i: usize) -> &'a [T] {
    let (Some(from), Some(to)) = (starts.get(i), starts.get(i + 1)) else {
        return &[];
    };
    items
        .get(from.to_native() as usize..to.to_native() as usize)
        .unwrap_or(&[])
}

impl ArchivedFieldPostings {
    /// The rules containing `term` in this field, with the term's score in
    /// each.
    pub fn postings(&self, term: u32) -> (&[Archived<u32>], &[Archived<f32>]) {
        let Ok(at) = self.terms.binary_search_by(|t| t.to_native().cmp(&term)) else {
            return (&[], &[]);
        };
        (
            nth(&self.rules, &self.starts, at),
            nth(&self.scores, &self.starts, at),
        )
    }
}

/// Bytes an index is read from: built in memory, or a file's.
pub enum Buffer {
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl Deref for Buffer {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Buffer::Owned(bytes) => bytes,
            Buffer::Mapped(map) => map,
        }
    }
}

/// Bytes holding an archived index, possibly inside a larger buffer (the
/// cache file) that other readers share.
pub(crate) struct IndexBytes {
    buffer: Arc<Buffer>,
    from: usize,
    to: usize,
}

impl IndexBytes {
    /// The bytes of `buffer` at `from..to`; `None` if they are not in it.
    pub fn new(buffer: Arc<Buffer>, from: usize, to: usize) -> Option<IndexBytes> {
        buffer.get(from..to)?;
        Some(IndexBytes { buffer, from, to })
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.buffer[self.from..self.to]
    }
}

type IndexRef<'a> = &'a ArchivedIndexData;

self_cell::self_cell!(
    /// An archived index with its validated root.
    pub(crate) struct StoredIndex {
        owner: IndexBytes,
        #[covariant]
        dependent: IndexRef,
    }
);

/// An index that cannot be read: damaged, or written by a different layout.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the search index is damaged or from another version of triage: {0}")]
pub struct IndexError(String);

impl IndexError {
    pub(crate) fn new(reason: &str) -> IndexError {
        IndexError(reason.to_string())
    }
}

impl StoredIndex {
    /// Validates `bytes` as an archived index.
    pub fn open(bytes: IndexBytes) -> Result<StoredIndex, IndexError> {
        StoredIndex::try_new(bytes, |b| {
            let data = rkyv::access::<ArchivedIndexData, rancor::Error>(b.as_slice())
                .map_err(|e| IndexError(e.to_string()))?;
            let rules = data.rule_count.to_native() as usize;
            // The per-rule arrays are indexed by rule number without
            // further checks of their length.
            if data.groups.len() != rules
                || data.vectors.len() != rules * crate::embed::DIM
                || data.passages.len() != rules
                || data.bigram_starts.len() != rules + 1
                || data.phrase_starts.len() != rules * super::PHRASE_TEXTS + 1
            {
                return Err(IndexError("per-rule arrays of the wrong length".into()));
            }
            Ok(data)
        })
    }

    /// Archives a freshly built index.
    pub fn from_data(data: &IndexData) -> Result<StoredIndex, IndexError> {
        let bytes = rkyv::to_bytes::<rancor::Error>(data).map_err(|e| IndexError(e.to_string()))?;
        let bytes = bytes.into_vec();
        StoredIndex::open(IndexBytes {
            to: bytes.len(),
            buffer: Arc::new(Buffer::Owned(bytes)),
            from: 0,
        })
    }

    pub fn data(&self) -> &ArchivedIndexData {
        self.borrow_dependent()
    }

    pub fn bytes(&self) -> &[u8] {
        self.borrow_owner().as_slice()
    }
}
