//! Failure -> scored candidates.
//!
//! Two steps: `scan` records full signature matches on a line (all rules at
//! once: one automaton, regex only on lines holding an anchor word; the
//! diagnose stage feeds it the bounded failure region and error lines);
//! `rank` adds partial matches, error codes and text similarity, then scores
//! each rule.

pub mod compile;
pub mod confidence;
pub mod subject;

use std::collections::{HashMap, HashSet};

use serde::Serialize;

pub use compile::{BlockId, CompileError, Compiled, SourceKind};
pub use confidence::{ConfidenceModel, Features};

use crate::rulebook::rule::Rule;
use crate::search::RuleSimilarity;

/// How sure a candidate is. Only `High` and `Medium` are diagnoses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// A log line shown as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceLine {
    pub line: usize,
    pub text: String,
}

/// One rule that might explain the failure.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub rule: usize,
    pub score: f64,
    pub confidence: Confidence,
    /// The strongest full match: a pattern's line, or a quoted block's best
    /// line scaled by how much of the block the log reproduces.
    pub strongest: f64,
    /// Error-code evidence.
    pub code: f64,
    /// The quoted-text evidence: the best signatures' score, capped and
    /// scaled by the subject's overlap.
    pub quote: f64,
    /// The similarity of the failure's words (and meanings) to the rule's.
    pub similarity: f64,
    /// How much of the article's subject (its title's rarer words) the
    /// failure mentions, 0 to 1.
    pub subject: f64,
    /// The cosine of the error lines' sentence embedding with the
    /// article's (set by the caller; 0 when not computed).
    pub semantic: f64,
    /// The score's lead over the strongest rival (set by [`calibrate`]).
    pub lead: f64,
    /// The probability that this is the right article (set by
    /// [`calibrate`]).
    pub probability: f64,
    pub evidence: Vec<EvidenceLine>,
}

/// An error code the deploy tool printed on a failure line (see
/// [`crate::log::LogLine::code`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorCode {
    pub line: usize,
    pub code: String,
}

/// What the log stage found, in the form the matcher needs.
#[derive(Debug, Clone, Default)]
pub struct FailureRegion {
    /// Lines judged to be the failure itself (errors, exceptions, ...).
    pub error_lines: Vec<EvidenceLine>,
    /// First and last line number of the region around the last failure.
    pub first: usize,
    pub last: usize,
    /// Terms of the failure and the lines around it (see [`subject`]).
    pub terms: HashSet<String>,
}

impl FailureRegion {
    fn is_error_line(&self, line: usize) -> bool {
        self.error_lines.iter().any(|l| l.line == line)
    }

    fn weight(&self, line: usize) -> f64 {
        if self.is_error_line(line) {
            1.0
        } else if line >= self.first && line <= self.last {
            0.8
        } else if line > self.last {
            0.5
        } else {
            // Before the last failure: something the run got past.
            0.35
        }
    }
}

#[derive(Debug, Clone)]
struct FullHit {
    line: usize,
    text: String,
}

/// The state of one pass over a log: bounded by the number of checks, not by
/// the length of the log.
#[derive(Debug, Default)]
pub struct Scan {
    /// Check index -> its last full match.
    hits: HashMap<usize, FullHit>,
}

impl Scan {
    /// Keep the last line a check matched: a later failure outweighs an
    /// earlier one the run recovered from.
    fn record(&mut self, check: usize, line: usize, text: &str) {
        self.hits.insert(
            check,
            FullHit {
                line,
                text: text.to_string(),
            },
        );
    }
}

pub struct Matcher {
    compiled: Compiled,
    subjects: subject::Subjects,
    rule_count: usize,
}

/// The evidence of one quoted block, gathered over its lines.
#[derive(Debug, Clone, Copy, Default)]
struct BlockScore {
    /// Its best line's score.
    best: f64,
    /// The specificity of its lines the log reproduces (in full or in part).
    found: f64,
    /// Its best full match.
    full: f64,
}

impl Matcher {
    pub fn new(rules: &[Rule]) -> Result<Matcher, CompileError> {
        let titles = subject::title_terms(rules);
        Ok(Matcher {
            compiled: compile::compile(rules, &titles)?,
            subjects: subject::Subjects::from_titles(rules, titles),
            rule_count: rules.len(),
        })
    }

    /// The regexes the matcher runs, one per signature or pattern.
    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.compiled.checks.iter().map(|c| c.source.as_str())
    }

    /// Record every full signature match on one line.
    pub fn scan(&self, scan: &mut Scan, number: usize, text: &str) {
        let c = &self.compiled;
        // A set: thousands of checks can share an anchor word, and a list
        // searched for each was quadratic in them.
        let mut tested: HashSet<usize> = HashSet::new();
        // Most lines hold no anchor word: a plain search (with its fast
        // prefilter) rules them out before the slower overlapping search.
        let overlapping = if c.anchors.is_match(text) {
            Some(c.anchors.find_overlapping_iter(text))
        } else {
            None
        };
        for m in overlapping.into_iter().flatten() {
            for &ci in &c.anchored[m.pattern().as_usize()] {
                if !tested.insert(ci) {
                    continue;
                }
                if c.checks[ci].regex().is_match(text) {
                    scan.record(ci, number, text);
                }
            }
        }
        for &ci in &c.unanchored {
            if c.checks[ci].regex().is_match(text) {
                scan.record(ci, number, text);
            }
        }
    }

    /// Score every rule with any evidence, best first. `similarity` is the
    /// text similarity between the failure and the rules, supplied by the
    /// search index (so the matcher does not own a second text index);
    /// entries for the same rule (the log's words, what its lines mean) add
    /// up.
    pub fn rank(
        &self,
        scan: &Scan,
        failure: Option<&FailureRegion>,
        codes: &[ErrorCode],
        similarity: &[RuleSimilarity],
    ) -> Vec<Candidate> {
        let c = &self.compiled;
        let empty = FailureRegion::default();
        let region = failure.unwrap_or(&empty);
        let mut sig_scores: Vec<Vec<f64>> = vec![Vec::new(); self.rule_count];
        // Rules with evidence from hand-written patterns (the rest of
        // `sig_scores` is quoted blocks).
        let mut patterned = vec![false; self.rule_count];
        let mut evidence: Vec<Vec<EvidenceLine>> = vec![Vec::new(); self.rule_count];
        // The strongest full match per rule: a pattern's line, or a quoted
        // block's best line scaled by how much of the block is there.
        let mut best_full: Vec<f64> = vec![0.0; self.rule_count];
        let mut full_scores: HashMap<usize, f64> = HashMap::new();

        let mut line_scores: HashMap<usize, f64> = HashMap::new();
        let mut required = vec![false; self.rule_count];
        let mut needs_require = vec![false; self.rule_count];
        let mut vetoed = vec![false; self.rule_count];
        for check in &c.checks {
            if check.kind == SourceKind::Require {
                needs_require[check.rule] = true;
            }
        }
        for (&ci, hit) in &scan.hits {
            let check = &c.checks[ci];
            match check.kind {
                SourceKind::Require => {
                    required[check.rule] = true;
                    continue;
                }
                SourceKind::Exclude => {
                    if hit.line >= region.first {
                        vetoed[check.rule] = true;
                    }
                    continue;
                }
                _ => {}
            }
            // Quoted text that does not read as an error (a command, a
            // query, a message without an error word) says little, unless
            // it matched the very line the log stage judged to be the
            // failure.
            let errorish = check.errorish || region.is_error_line(hit.line);
            let w = region.weight(hit.line) * if errorish { 1.0 } else { 0.3 };
            let s = check.specificity * w * line_coverage(check, &hit.text);
            let best = line_scores.entry(ci).or_insert(0.0);
            *best = best.max(s);
            full_scores.insert(ci, s);
            if check.kind != SourceKind::Signature && s > best_full[check.rule] {
                best_full[check.rule] = s;
            }
            push_evidence(&mut evidence[check.rule], hit.line, &hit.text);
        }

        // Partial matches: failure lines that share most of a signature's
        // literal words, as when a message was reworded between versions or
        // cut off in the report.
        for line in &region.error_lines {
            let words: Vec<String> = compile::literal_words(&line.text);
            let mut shared: HashMap<usize, usize> = HashMap::new();
            let mut uniq = words.clone();
            uniq.sort_unstable();
            uniq.dedup();
            for w in &uniq {
                if let Some(cs) = c.word_index.get(w) {
                    for &ci in cs {
                        *shared.entry(ci).or_default() += 1;
                    }
                }
            }
            for (ci, n) in shared {
                if scan.hits.get(&ci).is_some_and(|h| h.line == line.line) {
                    continue;
                }
                let check = &c.checks[ci];
                let mut distinct = check.words.clone();
                distinct.sort_unstable();
                distinct.dedup();
                if distinct.len() < 3 {
                    continue;
                }
                let coverage = n as f64 / distinct.len() as f64;
                if coverage < 0.6 {
                    continue;
                }
                let e = if check.errorish { 1.0 } else { 0.3 };
                let s = check.specificity * coverage * coverage * 0.6 * e;
                let best = line_scores.entry(ci).or_insert(0.0);
                *best = best.max(s);
                push_evidence(&mut evidence[check.rule], line.line, &line.text);
            }
        }

        // Per quoted block: its best line, scaled by how much of the block
        // (by specificity) the log reproduces.
        let mut blocks: HashMap<BlockId, BlockScore> = HashMap::new();
        // Blocks whose identity line the log reproduces in full.
        let mut identity_found: HashSet<BlockId> = HashSet::new();
        for (&ci, &score) in &line_scores {
            let check = &c.checks[ci];
            if check.kind != SourceKind::Signature {
                sig_scores[check.rule].push(score);
                patterned[check.rule] = true;
                continue;
            }
            let entry = blocks.entry(check.block()).or_default();
            entry.best = entry.best.max(score);
            entry.found += check.specificity * (score / check.specificity.max(1e-9)).min(1.0);
            entry.full = entry.full.max(full_scores.get(&ci).copied().unwrap_or(0.0));
            if check.identity && full_scores.contains_key(&ci) {
                identity_found.insert(check.block());
            }
        }
        for (block, score) in &blocks {
            let BlockScore { best, found, full } = *score;
            let rule = block.rule;
            let total = c.block_weight.get(block).copied().unwrap_or(0.0);
            let coverage = if total > 0.0 {
                (found / total).min(1.0)
            } else {
                1.0
            };
            let k = weights::BLOCK_FLOOR;
            let share = k + (1.0 - k) * coverage;
            sig_scores[rule].push(best.min(weights::LINE_CAP) * share);
            // The log reproduces the tool's generic lines of the quote but
            // not the one naming what the article is about: the same tool
            // failing over something else. It may rank, not diagnose.
            let anonymous = c.identified.contains(block) && !identity_found.contains(block);
            let full = if anonymous {
                full.min(weights::ANONYMOUS_FULL)
            } else {
                full
            };
            best_full[rule] = best_full[rule].max(full * share);
        }

        let mut code_scores = vec![0.0; self.rule_count];
        for ErrorCode { line, code } in codes {
            if let Some(rules) = c.codes.get(code) {
                let w = region.weight(*line);
                for &r in rules {
                    code_scores[r] = f64::max(code_scores[r], 0.6 * w);
                    if let Some(l) = region.error_lines.iter().find(|l| l.line == *line) {
                        push_evidence(&mut evidence[r], l.line, &l.text);
                    }
                }
            }
        }

        let mut sim = vec![0.0; self.rule_count];
        for &RuleSimilarity { rule, score } in similarity {
            if rule < self.rule_count {
                sim[rule] += score;
            }
        }

        let mut out = Vec::new();
        for r in 0..self.rule_count {
            if vetoed[r] || (needs_require[r] && !required[r]) {
                continue;
            }
            let mut sigs = std::mem::take(&mut sig_scores[r]);
            if sigs.is_empty() && code_scores[r] == 0.0 && sim[r] == 0.0 {
                continue;
            }
            sigs.sort_by(|a, b| b.total_cmp(a));
            // Diminishing returns: the best signature counts fully, more
            // matching lines of the same article add a little each.
            let s: f64 = sigs
                .iter()
                .enumerate()
                .map(|(i, v)| if i == 0 { *v } else { v * 0.25 })
                .sum();
            // A quote counts for more in an article the failure also speaks
            // of (see `subject`). Hand-written patterns are exempt: their
            // author already chose what identifies the article.
            let subject = self.subjects.coverage(r, &region.terms);
            let about = if !sigs.is_empty() && !patterned[r] {
                let k = weights::SUBJECT;
                (1.0 - k) + k * subject
            } else {
                1.0
            };
            // Capped: past one strong block, more signature text should
            // not drown the words around the error, which are what tell
            // apart articles quoting the same message.
            let quote = s.min(weights::SIGNATURE_CAP) * about;
            let score = quote + code_scores[r] + weights::SIMILARITY * sim[r];
            if evidence[r].is_empty() {
                // Similarity alone: show the failure lines it was judged on.
                for l in region.error_lines.iter().rev().take(3).rev() {
                    push_evidence(&mut evidence[r], l.line, &l.text);
                }
            }
            out.push(Candidate {
                rule: r,
                score,
                confidence: Confidence::Low,
                strongest: best_full[r],
                code: code_scores[r],
                quote,
                similarity: sim[r],
                subject,
                semantic: 0.0,
                lead: 0.0,
                probability: 0.0,
                evidence: std::mem::take(&mut evidence[r]),
            });
        }
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.rule.cmp(&b.rule)));
        out
    }
}

/// How the evidence of one rule adds up to its score.
mod weights {
    /// Share of a block's best line score kept when none of the block's
    /// other lines are in the log.
    pub const BLOCK_FLOOR: f64 = 0.35;
    /// Most one line may contribute to its block before the block's
    /// coverage scales it: one generic line of a long quote reproduced in
    /// full ("Your requirements could not be resolved ...") must not count
    /// as much as the whole quote.
    pub const LINE_CAP: f64 = 0.6;
    /// Most the signature evidence may contribute.
    pub const SIGNATURE_CAP: f64 = 0.5;
    /// Weight of text similarity (in `[0, 1]`) between failure and article.
    pub const SIMILARITY: f64 = 1.5;
    /// Share of the signature evidence that depends on the failure
    /// mentioning the article's subject.
    pub const SUBJECT: f64 = 0.5;
    /// Most a quoted block counts towards a diagnosis when its identity
    /// line is not in the log: under `REPRODUCED_LINE`.
    pub const ANONYMOUS_FULL: f64 = 0.3;
}

/// What the failure finder gave the matcher, as far as confidence goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// No failure: nothing is diagnosed, whatever matched (a log's tail).
    NoFailure,
    /// Failure lines recognised in a log.
    Log,
    /// A short input taken whole as the failure.
    Paste,
}

/// Assign each ranked candidate (best first) its lead over its rivals, the
/// probability the model gives it, and the confidence band that falls in.
/// `group` maps a rule to its article (editions of one article share a
/// group), because two editions agreeing is not a rival answer: the lead
/// that counts is over the best candidate from another article, except one
/// that reproduces other lines of the log (two failures in one log, each
/// with its own evidence, are two answers).
pub fn calibrate(
    candidates: &mut [Candidate],
    group: impl Fn(usize) -> usize,
    input: Input,
    model: &ConfidenceModel,
) {
    let shares_lines = |a: &Candidate, b: &Candidate| {
        a.evidence
            .iter()
            .any(|x| b.evidence.iter().any(|y| y.line == x.line))
    };
    let best_similarity = candidates.iter().map(|c| c.similarity).fold(0.0, f64::max);
    for i in 0..candidates.len() {
        let g = group(candidates[i].rule);
        let rival = candidates
            .iter()
            .filter(|c| group(c.rule) != g && (!reproduced(c) || shares_lines(c, &candidates[i])))
            .map(|c| c.score)
            .fold(0.0, f64::max);
        let reproduced_here = reproduced(&candidates[i]);
        let c = &mut candidates[i];
        c.lead = c.score - rival;
        let features = Features::of(c, best_similarity, input == Input::Paste);
        c.probability = model.probability(&features);
        // Whatever the model says, the log must reproduce an error the
        // article quotes (or print a code it documents): text similarity
        // alone, or a quote whose line naming its subject is missing, was
        // as often a near miss as the answer in the labelled logs.
        let eligible = input != Input::NoFailure && reproduced_here && c.lead > 0.0;
        c.confidence = if !eligible {
            Confidence::Low
        } else if c.probability >= model.high {
            Confidence::High
        } else if c.probability >= model.medium {
            Confidence::Medium
        } else {
            Confidence::Low
        };
    }
}

/// Whether the log reproduces an error `c`'s article quotes, or printed a
/// code it documents: what a diagnosis needs beyond the model's word.
pub fn reproduced(c: &Candidate) -> bool {
    c.strongest >= REPRODUCED_LINE || c.code > 0.0
}

/// A line matched at least this well reproduces the article's error: such
/// a candidate with evidence on other lines is another failure of the same
/// log, not a rival.
const REPRODUCED_LINE: f64 = 0.35;

const MAX_EVIDENCE: usize = 5;

/// How much of a line's message a signature accounts for. A template that
/// explains the whole line is the same error; one that covers a generic
/// fragment of a long line ("No such file or directory") is weaker evidence.
fn line_coverage(check: &compile::Check, line: &str) -> f64 {
    // Judged on the line's own template, so that the words of a long URL or
    // path in it do not count as message the signature failed to explain.
    let template = crate::extract::signature::template(line);
    let line_words = compile::literal_words(template.as_deref().unwrap_or(line))
        .len()
        .max(1) as f64;
    let share = (check.words.len() as f64 / line_words).min(1.0);
    0.4 + 0.6 * share.sqrt()
}

fn push_evidence(list: &mut Vec<EvidenceLine>, line: usize, text: &str) {
    if list.iter().any(|e| e.line == line) {
        return;
    }
    list.push(EvidenceLine {
        line,
        text: text.to_string(),
    });
    list.sort_by_key(|e| e.line);
    if list.len() > MAX_EVIDENCE {
        list.remove(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, title: &str, signatures: &[&str]) -> Rule {
        Rule {
            id: id.to_string(),
            title: title.to_string(),
            signatures: signatures.iter().map(|s| s.to_string()).collect(),
            ..Rule::default()
        }
    }

    /// Scan `lines` (all of them error lines of one failure) and rank.
    fn ranked(rules: &[Rule], lines: &[&str], similarity: &[RuleSimilarity]) -> Vec<Candidate> {
        let matcher = Matcher::new(rules).unwrap();
        let mut scan = Scan::default();
        let error_lines: Vec<EvidenceLine> = lines
            .iter()
            .enumerate()
            .map(|(i, t)| EvidenceLine {
                line: i + 1,
                text: t.to_string(),
            })
            .collect();
        for l in &error_lines {
            matcher.scan(&mut scan, l.line, &l.text);
        }
        let region = FailureRegion {
            first: 1,
            last: lines.len(),
            terms: subject::failure_terms(lines.iter().copied()),
            error_lines,
        };
        let mut candidates = matcher.rank(&scan, Some(&region), &[], similarity);
        calibrate(&mut candidates, |r| r, Input::Log, &test_model());
        candidates
    }

    /// A model on the evidence these tests build (no similarity, no
    /// embedding), so that they check how candidates are judged, not the
    /// fitted coefficients.
    fn test_model() -> ConfidenceModel {
        ConfidenceModel::parse(
            "high = 0.9\nmedium = 0.5\nintercept = -4.0\n[weights]\nstrongest = 3.0\nlead = 6.0\n",
            "test",
        )
        .unwrap()
    }

    fn confidence_of(candidates: &[Candidate], rule: usize) -> Confidence {
        candidates
            .iter()
            .find(|c| c.rule == rule)
            .map_or(Confidence::Low, |c| c.confidence)
    }

    const UNRESOLVED: &str =
        "Your requirements could not be resolved to an installable set of packages.";

    #[test]
    fn one_generic_line_of_a_long_quote_counts_less_than_the_quote() {
        let long_quote = format!(
            "{UNRESOLVED}\nacme/extension-pack requires acme/framework <*> -> found acme/framework[<*>] but it does not match your minimum-stability.\nInstallation failed, reverting composer.json to its original content."
        );
        let rules = vec![rule(
            "pack",
            "Extension pack installation fails",
            &[&long_quote],
        )];
        let generic = ranked(
            &rules,
            &[
                UNRESOLVED,
                "Problem 1 - a plugin requires composer-plugin-api ^1.0",
            ],
            &[],
        );
        let full = ranked(
            &rules,
            &[
                UNRESOLVED,
                "acme/extension-pack requires acme/framework 103.0.6 -> found acme/framework[103.0.5] but it does not match your minimum-stability.",
                "Installation failed, reverting composer.json to its original content.",
            ],
            &[],
        );
        assert!(
            generic[0].score < 0.75 * full[0].score,
            "{} vs {}",
            generic[0].score,
            full[0].score
        );
        assert!(generic[0].strongest < full[0].strongest);
        assert!(confidence_of(&full, 0) >= Confidence::Medium);
    }

    #[test]
    fn text_similarity_alone_is_never_a_diagnosis() {
        let rules = vec![
            rule("a", "Deploy stalls on a lock", &[]),
            rule("b", "Something else", &[]),
        ];
        let candidates = ranked(
            &rules,
            &["Deploy stalls: lock held"],
            &[RuleSimilarity {
                rule: 0,
                score: 0.99,
            }],
        );
        assert_eq!(candidates[0].rule, 0);
        assert_eq!(candidates[0].confidence, Confidence::Low);
    }

    #[test]
    fn the_same_quote_counts_more_in_the_article_about_the_failure() {
        let quote = "Fatal error: Allowed memory size of <*> bytes exhausted";
        let rules = vec![
            rule(
                "product",
                "Troubleshoot the Acme Payments installation",
                &[quote],
            ),
            rule("php", "PHP fatal errors: causes and fixes", &[quote]),
            rule("other", "Unrelated checkout page", &[]),
        ];
        let candidates = ranked(
            &rules,
            &["PHP Fatal error: Allowed memory size of 134217728 bytes exhausted in /app/x.php"],
            &[],
        );
        assert_eq!(candidates[0].rule, 1, "{candidates:?}");
        assert!(candidates[1].score < candidates[0].score);
    }

    #[test]
    fn two_failures_with_their_own_evidence_are_two_diagnoses() {
        let rules = vec![
            rule(
                "auth",
                "Repository authentication",
                &["URL required authentication (HTTP <*>)."],
            ),
            rule(
                "lock",
                "Migration lock",
                &["Unable to acquire the migration lock on table <*>"],
            ),
        ];
        let candidates = ranked(
            &rules,
            &[
                "The 'https://repo.example.test/packages.json' URL required authentication (HTTP 401).",
                "Error: Unable to acquire the migration lock on table 'cron_schedule'",
            ],
            &[],
        );
        assert!(
            confidence_of(&candidates, 0) >= Confidence::Medium,
            "{candidates:?}"
        );
        assert!(
            confidence_of(&candidates, 1) >= Confidence::Medium,
            "{candidates:?}"
        );
    }
}
