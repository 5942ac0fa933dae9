//! The MiniLM encoder (6 layers, 384 dimensions, 12 heads): token ids ->
//! one unit vector per text (the mean of its tokens' last hidden states,
//! normalised), as sentence-transformers computes all-MiniLM-L6-v2.
//!
//! Matrix products are `matrixmultiply`'s; the rest (layer norm, attention,
//! GELU) is a few loops. A deep-learning runtime was measured first: candle
//! 0.11 took 38-47 ms to load the weights (copying them into its tensors)
//! and 10-13 ms per short query, against a search budget of 30 ms including
//! start-up. Here nothing is copied: the float32 matrices, stored already
//! transposed, are multiplied where they lie in the binary, and the
//! word-embedding table (int8) is read only at the rows of the tokens met.
//!
//! Texts are encoded together: their tokens are stacked into one matrix for
//! every dense layer (so that large products amortise their packing), and
//! attention runs per text, so no padding or mask is needed.

use std::borrow::Cow;

use half::f16;
use half::slice::HalfFloatSliceExt;
use safetensors::{Dtype, SafeTensors};

pub const DIM: usize = 384;
const HEADS: usize = 12;
const HEAD_DIM: usize = DIM / HEADS;
const INNER: usize = 1536;
const LAYERS: usize = 6;
const LAYER_NORM_EPS: f32 = 1e-12;
/// Positions the model has embeddings for; longer texts are cut.
pub const MAX_TOKENS: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("the model file cannot be read: {0}")]
    Format(#[from] safetensors::SafeTensorError),
    #[error("the model's tensor {name} is {found}, expected {expected}")]
    Shape {
        name: String,
        found: String,
        expected: String,
    },
}

/// `x · W + b`, with `W` stored input x output.
struct Dense<'a> {
    weight: Cow<'a, [f32]>,
    bias: Cow<'a, [f32]>,
    inputs: usize,
    outputs: usize,
}

struct LayerNorm<'a> {
    gain: Cow<'a, [f32]>,
    bias: Cow<'a, [f32]>,
}

struct Layer<'a> {
    /// Query, key and value projections side by side (384 -> 3 x 384).
    qkv: Dense<'a>,
    attention_out: Dense<'a>,
    attention_norm: LayerNorm<'a>,
    intermediate: Dense<'a>,
    output: Dense<'a>,
    output_norm: LayerNorm<'a>,
}

/// The word-embedding table as stored: int8 rows and one scale per row.
struct WordTable<'a> {
    rows: &'a [u8],
    scales: Cow<'a, [f32]>,
}

pub struct MiniLm<'a> {
    words: WordTable<'a>,
    positions: Cow<'a, [f32]>,
    token_type: Cow<'a, [f32]>,
    embedding_norm: LayerNorm<'a>,
    layers: Vec<Layer<'a>>,
}

struct Tensors<'a> {
    file: SafeTensors<'a>,
}

impl<'a> Tensors<'a> {
    fn view(
        &self,
        name: &str,
        shape: &[usize],
    ) -> Result<safetensors::tensor::TensorView<'a>, ModelError> {
        let view = self.file.tensor(name)?;
        if view.shape() != shape {
            return Err(ModelError::Shape {
                name: name.to_string(),
                found: format!("{:?}", view.shape()),
                expected: format!("{shape:?}"),
            });
        }
        Ok(view)
    }

    /// A float tensor as `f32`: read in place when it is stored so and
    /// aligned (the bundled file is), else widened or copied.
    fn floats(&self, name: &str, shape: &[usize]) -> Result<Cow<'a, [f32]>, ModelError> {
        let view = self.view(name, shape)?;
        let data: &'a [u8] = view.data();
        let little = cfg!(target_endian = "little");
        match view.dtype() {
            Dtype::F32 => match bytemuck::try_cast_slice::<u8, f32>(data) {
                Ok(floats) if little => Ok(Cow::Borrowed(floats)),
                _ => Ok(Cow::Owned(
                    data.chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect(),
                )),
            },
            Dtype::F16 => {
                let mut out = vec![0.0f32; data.len() / 2];
                match bytemuck::try_cast_slice::<u8, f16>(data) {
                    Ok(halves) if little => halves.convert_to_f32_slice(&mut out),
                    _ => {
                        for (o, b) in out.iter_mut().zip(data.chunks_exact(2)) {
                            *o = f16::from_le_bytes([b[0], b[1]]).to_f32();
                        }
                    }
                }
                Ok(Cow::Owned(out))
            }
            other => Err(ModelError::Shape {
                name: name.to_string(),
                found: format!("{other:?}"),
                expected: "F16 or F32".to_string(),
            }),
        }
    }

    fn dense(&self, prefix: &str, inputs: usize, outputs: usize) -> Result<Dense<'a>, ModelError> {
        Ok(Dense {
            weight: self.floats(&format!("{prefix}.weight_t"), &[inputs, outputs])?,
            bias: self.floats(&format!("{prefix}.bias"), &[outputs])?,
            inputs,
            outputs,
        })
    }

    fn norm(&self, prefix: &str) -> Result<LayerNorm<'a>, ModelError> {
        Ok(LayerNorm {
            gain: self.floats(&format!("{prefix}.weight"), &[DIM])?,
            bias: self.floats(&format!("{prefix}.bias"), &[DIM])?,
        })
    }
}

impl<'a> MiniLm<'a> {
    /// The model in the layout `models/convert.py` writes.
    pub fn from_bytes(bytes: &'a [u8], vocabulary: usize) -> Result<MiniLm<'a>, ModelError> {
        let t = Tensors {
            file: SafeTensors::deserialize(bytes)?,
        };
        let rows = t.view("embeddings.word_embeddings.q8", &[vocabulary, DIM])?;
        if rows.dtype() != Dtype::I8 {
            return Err(ModelError::Shape {
                name: "embeddings.word_embeddings.q8".into(),
                found: format!("{:?}", rows.dtype()),
                expected: "I8".into(),
            });
        }
        let layers = (0..LAYERS)
            .map(|i| {
                let p = format!("encoder.layer.{i}");
                Ok(Layer {
                    qkv: t.dense(&format!("{p}.attention.qkv"), DIM, 3 * DIM)?,
                    attention_out: t.dense(&format!("{p}.attention.output.dense"), DIM, DIM)?,
                    attention_norm: t.norm(&format!("{p}.attention.output.LayerNorm"))?,
                    intermediate: t.dense(&format!("{p}.intermediate.dense"), DIM, INNER)?,
                    output: t.dense(&format!("{p}.output.dense"), INNER, DIM)?,
                    output_norm: t.norm(&format!("{p}.output.LayerNorm"))?,
                })
            })
            .collect::<Result<Vec<Layer<'a>>, ModelError>>()?;
        Ok(MiniLm {
            words: WordTable {
                rows: rows.data(),
                scales: t.floats("embeddings.word_embeddings.scale", &[vocabulary])?,
            },
            positions: t.floats("embeddings.position_embeddings.weight", &[512, DIM])?,
            token_type: t.floats("embeddings.token_type_embeddings.weight", &[1, DIM])?,
            embedding_norm: t.norm("embeddings.LayerNorm")?,
            layers,
        })
    }

    /// One unit vector per token sequence (each at most [`MAX_TOKENS`]
    /// long, ids below the vocabulary size), `DIM` values each, in order.
    pub fn encode(&self, sequences: &[&[u32]]) -> Vec<f32> {
        let lengths: Vec<usize> = sequences.iter().map(|s| s.len().min(MAX_TOKENS)).collect();
        let tokens: usize = lengths.iter().sum();
        let mut x = vec![0.0f32; tokens * DIM];
        let mut row = 0;
        for (sequence, &len) in sequences.iter().zip(&lengths) {
            for (position, &id) in sequence[..len].iter().enumerate() {
                let out = &mut x[row * DIM..(row + 1) * DIM];
                let id = id as usize;
                let scale = self.words.scales[id];
                let word = &self.words.rows[id * DIM..(id + 1) * DIM];
                let place = &self.positions[position * DIM..(position + 1) * DIM];
                for j in 0..DIM {
                    out[j] = f32::from(word[j] as i8) * scale + place[j] + self.token_type[j];
                }
                row += 1;
            }
        }
        layer_norm(&self.embedding_norm, &mut x);

        let mut qkv = Vec::new();
        let mut context = vec![0.0f32; tokens * DIM];
        let mut projected = Vec::new();
        let mut hidden = Vec::new();
        let mut scores = Vec::new();
        for layer in &self.layers {
            dense(&layer.qkv, &x, tokens, &mut qkv);
            let mut start = 0;
            for &len in &lengths {
                attention(&qkv, start, len, &mut scores, &mut context);
                start += len;
            }
            dense(&layer.attention_out, &context, tokens, &mut projected);
            add(&mut x, &projected);
            layer_norm(&layer.attention_norm, &mut x);
            dense(&layer.intermediate, &x, tokens, &mut hidden);
            hidden.iter_mut().for_each(|v| *v = gelu(*v));
            dense(&layer.output, &hidden, tokens, &mut projected);
            add(&mut x, &projected);
            layer_norm(&layer.output_norm, &mut x);
        }

        let mut out = vec![0.0f32; sequences.len() * DIM];
        let mut start = 0;
        for (i, &len) in lengths.iter().enumerate() {
            let mean = &mut out[i * DIM..(i + 1) * DIM];
            for row in x[start * DIM..(start + len) * DIM].chunks_exact(DIM) {
                add(mean, row);
            }
            let norm = mean.iter().map(|v| v * v).sum::<f32>().sqrt();
            if norm > 0.0 {
                mean.iter_mut().for_each(|v| *v /= norm);
            }
            start += len;
        }
        out
    }
}

/// `out = x · W + b` for `rows` rows of `x`.
fn dense(layer: &Dense<'_>, x: &[f32], rows: usize, out: &mut Vec<f32>) {
    let (k, n) = (layer.inputs, layer.outputs);
    debug_assert_eq!(x.len(), rows * k);
    out.clear();
    for _ in 0..rows {
        out.extend_from_slice(&layer.bias);
    }
    // SAFETY: `x` is rows x k, the weight k x n and `out` rows x n, all
    // row-major and of exactly those lengths (the model's shapes were
    // checked when it loaded); sgemm reads and writes only within them.
    unsafe {
        matrixmultiply::sgemm(
            rows,
            k,
            n,
            1.0,
            x.as_ptr(),
            k as isize,
            1,
            layer.weight.as_ptr(),
            n as isize,
            1,
            1.0,
            out.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// Multi-head self-attention of one text: its `len` rows of `qkv` from
/// `start` (queries, keys and values side by side) into the same rows of
/// `context`.
fn attention(qkv: &[f32], start: usize, len: usize, scores: &mut Vec<f32>, context: &mut [f32]) {
    let stride = 3 * DIM;
    let scale = 1.0 / (HEAD_DIM as f32).sqrt();
    scores.clear();
    scores.resize(len * len, 0.0);
    for head in 0..HEADS {
        let at = start * stride + head * HEAD_DIM;
        let (q, k, v) = (&qkv[at..], &qkv[at + DIM..], &qkv[at + 2 * DIM..]);
        // SAFETY: q and k are len x HEAD_DIM views with row stride `stride`
        // inside `qkv` (the text's rows are within it); `scores` is len x len.
        unsafe {
            matrixmultiply::sgemm(
                len,
                HEAD_DIM,
                len,
                scale,
                q.as_ptr(),
                stride as isize,
                1,
                k.as_ptr(),
                1,
                stride as isize,
                0.0,
                scores.as_mut_ptr(),
                len as isize,
                1,
            );
        }
        for row in scores.chunks_exact_mut(len) {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0.0;
            for s in row.iter_mut() {
                *s = (*s - max).exp();
                sum += *s;
            }
            row.iter_mut().for_each(|s| *s /= sum);
        }
        let out = &mut context[start * DIM + head * HEAD_DIM..];
        // SAFETY: scores is len x len, v a len x HEAD_DIM view of `qkv`
        // with row stride `stride`, and `out` a len x HEAD_DIM view of the
        // text's rows of `context` with row stride DIM.
        unsafe {
            matrixmultiply::sgemm(
                len,
                len,
                HEAD_DIM,
                1.0,
                scores.as_ptr(),
                len as isize,
                1,
                v.as_ptr(),
                stride as isize,
                1,
                0.0,
                out.as_mut_ptr(),
                DIM as isize,
                1,
            );
        }
    }
}

fn layer_norm(norm: &LayerNorm<'_>, x: &mut [f32]) {
    for row in x.chunks_exact_mut(DIM) {
        let mean = row.iter().sum::<f32>() / DIM as f32;
        let variance = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / DIM as f32;
        let inverse = 1.0 / (variance + LAYER_NORM_EPS).sqrt();
        for ((v, g), b) in row.iter_mut().zip(norm.gain.iter()).zip(norm.bias.iter()) {
            *v = (*v - mean) * inverse * g + b;
        }
    }
}

fn add(x: &mut [f32], y: &[f32]) {
    x.iter_mut().zip(y).for_each(|(a, b)| *a += b);
}

/// GELU with the exact error function, as BERT's `gelu` is.
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2))
}
