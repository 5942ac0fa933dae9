//! How sure a diagnosis is: a probability from a small logistic model over
//! the evidence a candidate has, not hand-set thresholds.
//!
//! The coefficients are data (`knowledge/confidence.toml`), fitted by
//! `triage eval --calibrate` on labelled logs and checked on sets they were
//! not fitted on. High and medium are probability bands of the model.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::Candidate;

/// The bundled model, as `build.rs`-free code reads it.
pub const BUNDLED: &str = include_str!("../../knowledge/confidence.toml");
const BUNDLED_NAME: &str = "knowledge/confidence.toml";

/// The evidence of one candidate, as the model reads it. Each feature is on
/// a scale of its own; none depends on the size of the knowledge base.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Features {
    /// The strongest full match of a quoted line or pattern (0 to about 1).
    pub strongest: f64,
    /// The quoted-text score (signatures, capped, times subject overlap).
    pub quote: f64,
    /// 1 when an error code the article documents was printed.
    pub code: f64,
    /// The text similarity of the failure to the article.
    pub similarity: f64,
    /// That similarity as a share of the best candidate's (1 for the most
    /// similar article).
    pub similarity_share: f64,
    /// The score's lead over the strongest rival article.
    pub lead: f64,
    /// 1 when the input was a short paste rather than a log.
    pub pasted: f64,
    /// How much of the article's subject the failure mentions (0 to 1).
    pub subject: f64,
    /// The cosine of the error lines' meaning with the article title's.
    pub semantic: f64,
}

impl Features {
    pub const NAMES: [&'static str; 9] = [
        "strongest",
        "quote",
        "code",
        "similarity",
        "similarity_share",
        "lead",
        "pasted",
        "subject",
        "semantic",
    ];

    pub fn values(&self) -> [f64; 9] {
        [
            self.strongest,
            self.quote,
            self.code,
            self.similarity,
            self.similarity_share,
            self.lead,
            self.pasted,
            self.subject,
            self.semantic,
        ]
    }

    /// The features of `c`, once its lead is known, among candidates whose
    /// best similarity is `best_similarity`.
    pub fn of(c: &Candidate, best_similarity: f64, pasted: bool) -> Features {
        Features {
            strongest: c.strongest,
            quote: c.quote,
            code: f64::from(u8::from(c.code > 0.0)),
            similarity: c.similarity,
            similarity_share: if best_similarity > 0.0 {
                c.similarity / best_similarity
            } else {
                0.0
            },
            lead: c.lead,
            pasted: f64::from(u8::from(pasted)),
            subject: c.subject,
            semantic: c.semantic,
        }
    }
}

#[derive(Debug, Error)]
pub enum ModelError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Parse {
        path: String,
        line: usize,
        message: String,
    },
    #[error("{path}: unknown feature {name:?} (known: {known})")]
    UnknownFeature {
        path: String,
        name: String,
        known: String,
    },
    #[error("{path}: bands must satisfy 0 < medium <= high <= 1 (medium {medium}, high {high})")]
    Bands {
        path: String,
        medium: f64,
        high: f64,
    },
}

/// A logistic model: `p = 1 / (1 + exp(-(intercept + Σ weight × feature)))`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfidenceModel {
    /// What the model was fitted on, and how it did: for people.
    #[serde(default)]
    pub fitted_on: String,
    /// Least probability of a high-confidence diagnosis.
    pub high: f64,
    /// Least probability of a medium-confidence one.
    pub medium: f64,
    pub intercept: f64,
    /// Weight per feature name ([`Features::NAMES`]); a missing one is 0.
    pub weights: BTreeMap<String, f64>,
}

impl ConfidenceModel {
    /// The model shipped in `knowledge/confidence.toml`.
    pub fn bundled() -> ConfidenceModel {
        // The tests parse the bundled file, so this cannot fail in a build
        // that passed them.
        ConfidenceModel::parse(BUNDLED, BUNDLED_NAME).expect("the bundled confidence model parses")
    }

    pub fn load(path: &Path) -> Result<ConfidenceModel, ModelError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Read {
            path: name.clone(),
            source,
        })?;
        ConfidenceModel::parse(&text, &name)
    }

    pub fn parse(text: &str, path: &str) -> Result<ConfidenceModel, ModelError> {
        let model: ConfidenceModel = toml::from_str(text).map_err(|e| ModelError::Parse {
            path: path.to_string(),
            line: e
                .span()
                .map_or(1, |s| crate::rulebook::store::line_col(text, s.start).0),
            message: e.message().to_string(),
        })?;
        if let Some(name) = model
            .weights
            .keys()
            .find(|k| !Features::NAMES.contains(&k.as_str()))
        {
            return Err(ModelError::UnknownFeature {
                path: path.to_string(),
                name: name.clone(),
                known: Features::NAMES.join(", "),
            });
        }
        let bands_ok = model.medium > 0.0 && model.medium <= model.high && model.high <= 1.0;
        if !bands_ok {
            return Err(ModelError::Bands {
                path: path.to_string(),
                medium: model.medium,
                high: model.high,
            });
        }
        Ok(model)
    }

    pub fn probability(&self, f: &Features) -> f64 {
        let z = Features::NAMES
            .iter()
            .zip(f.values())
            .map(|(name, x)| self.weights.get(*name).copied().unwrap_or(0.0) * x)
            .sum::<f64>()
            + self.intercept;
        1.0 / (1.0 + (-z).exp())
    }

    /// Fits the weights to `rows` (features, whether the candidate was the
    /// right article), keeping the bands. Newton's method on the L2-penalised
    /// log-likelihood: a few hundred rows and nine features need no crate,
    /// and the penalty keeps a feature no row varies from running off.
    pub fn fit(rows: &[(Features, bool)], high: f64, medium: f64) -> ConfidenceModel {
        const N: usize = Features::NAMES.len() + 1;
        const PENALTY: f64 = 0.1;
        let x: Vec<[f64; N]> = rows
            .iter()
            .map(|(f, _)| {
                let mut row = [1.0; N];
                row[1..].copy_from_slice(&f.values());
                row
            })
            .collect();
        let y: Vec<f64> = rows.iter().map(|&(_, r)| f64::from(u8::from(r))).collect();
        let mut w = [0.0; N];
        for _ in 0..50 {
            let mut gradient = [0.0; N];
            let mut hessian = [[0.0; N]; N];
            for (xi, yi) in x.iter().zip(&y) {
                let z: f64 = xi.iter().zip(&w).map(|(a, b)| a * b).sum();
                let p = 1.0 / (1.0 + (-z).exp());
                for j in 0..N {
                    gradient[j] += (p - yi) * xi[j];
                    for k in 0..N {
                        hessian[j][k] += p * (1.0 - p) * xi[j] * xi[k];
                    }
                }
            }
            // The intercept is not penalised.
            for j in 1..N {
                gradient[j] += PENALTY * w[j];
                hessian[j][j] += PENALTY;
            }
            hessian[0][0] += 1e-9;
            let Some(step) = solve(hessian, gradient) else {
                break;
            };
            let mut moved = 0.0f64;
            for j in 0..N {
                w[j] -= step[j];
                moved = moved.max(step[j].abs());
            }
            if moved < 1e-9 {
                break;
            }
        }
        let round = |v: f64| (v * 1e4).round() / 1e4;
        ConfidenceModel {
            fitted_on: String::new(),
            high,
            medium,
            intercept: round(w[0]),
            weights: Features::NAMES
                .iter()
                .zip(&w[1..])
                .map(|(name, v)| (name.to_string(), round(*v)))
                .collect(),
        }
    }

    pub fn to_toml(&self) -> String {
        let mut out = String::from(
            "# The confidence model of `triage diagnose`: a logistic regression over a\n\
             # candidate's evidence (see src/matcher/confidence.rs). Written by\n\
             # `triage eval --calibrate`; `high` and `medium` are the least\n\
             # probabilities of those confidence levels.\n",
        );
        out.push_str(&toml::to_string(self).expect("a model serialises"));
        out
    }
}

/// Solves `a · x = b` by Gaussian elimination with partial pivoting; `None`
/// for a singular matrix.
fn solve<const N: usize>(mut a: [[f64; N]; N], mut b: [f64; N]) -> Option<[f64; N]> {
    for col in 0..N {
        let pivot = (col..N).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let (done, below) = a.split_at_mut(col + 1);
        let pivot_row = &done[col];
        for (offset, row) in below.iter_mut().enumerate() {
            let factor = row[col] / pivot_row[col];
            for (value, above) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *value -= factor * above;
            }
            b[col + 1 + offset] -= factor * b[col];
        }
    }
    let mut x = [0.0; N];
    for row in (0..N).rev() {
        let rest: f64 = (row + 1..N).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - rest) / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_model_parses() {
        let model = ConfidenceModel::bundled();
        assert!(model.medium <= model.high);
    }

    #[test]
    fn fitting_separates_what_the_evidence_separates() {
        // Right answers have a strong quote; wrong ones only similarity.
        let mut rows = Vec::new();
        for i in 0..40 {
            let noise = f64::from(i % 5) * 0.02;
            rows.push((
                Features {
                    strongest: 0.9 - noise,
                    quote: 0.4,
                    lead: 0.5,
                    ..Features::default()
                },
                true,
            ));
            rows.push((
                Features {
                    similarity: 0.5 + noise,
                    similarity_share: 1.0,
                    ..Features::default()
                },
                i % 10 == 0,
            ));
        }
        let model = ConfidenceModel::fit(&rows, 0.8, 0.5);
        let right = model.probability(&rows[0].0);
        let wrong = model.probability(&rows[1].0);
        assert!(right > 0.9 && wrong < 0.2, "{right} {wrong} {model:?}");
        assert!(model.weights["strongest"] > 0.0);
        // What it writes reads back as the same model.
        let again = ConfidenceModel::parse(&model.to_toml(), "fitted").unwrap();
        assert_eq!(again, model);
    }

    #[test]
    fn a_bad_model_file_is_named_with_its_line() {
        let e = ConfidenceModel::parse(
            "high = 0.8\nmedium = 0.5\nintercept = -1\n[weights]\nluck = 2\n",
            "m.toml",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("m.toml: unknown feature \"luck\""),
            "{e}"
        );
        let e = ConfidenceModel::parse("high = 0.8\nmedium = \"x\"\n", "m.toml").unwrap_err();
        assert!(e.to_string().starts_with("m.toml:2: "), "{e}");
        let e = ConfidenceModel::parse(
            "high = 0.4\nmedium = 0.5\nintercept = 0\n[weights]\n",
            "m.toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("bands"), "{e}");
    }
}
