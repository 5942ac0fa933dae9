//! The diagnose stage end to end: stream the log once, find the failure,
//! match the rules, and assemble a [`Diagnosis`].

use std::io::BufRead;
use std::path::Path;

use serde::Serialize;

use crate::log::{self, FailureFinder, LogError, Meanings, Reading};
use crate::matcher::{
    Candidate, Confidence, ConfidenceModel, ErrorCode, EvidenceLine, FailureRegion, Input, Matcher,
    Scan,
};
use crate::rulebook::rule::Rule;
use crate::search::{RuleSimilarity, SearchIndex};

/// Most failure lines fed to the text similarity: the last ones, which are
/// where a run stops.
const SIMILARITY_LINES: usize = 12;
/// Lines of the failure region added to the similarity query.
const CONTEXT_LINES: usize = 30;
/// Weight of the similarity of what the failure lines mean (see
/// [`log::meaning`]) against that of their own words. The meanings are
/// searched apart, as a short query of their own: joined to the log's
/// lines, a phrase like "killed: out of memory" was a few words among a
/// hundred and moved nothing. Even weight with the log's own words: on the
/// labelled logs every weight from 0.7 to 2.0 ranks the same or more
/// articles first, and none names an article for a successful log.
const MEANING_WEIGHT: f64 = 1.0;

/// The knowledge diagnose works with, compiled once per run.
pub struct Engine {
    pub rules: Vec<Rule>,
    pub origins: Vec<String>,
    pub matcher: Matcher,
    pub index: SearchIndex,
    /// What terse failure lines mean.
    pub meanings: Meanings,
    /// How sure a diagnosis is, from its evidence.
    pub confidence: ConfidenceModel,
}

impl Engine {
    /// An engine over `loaded`, with the bundled meanings.
    pub fn new(
        loaded: Vec<crate::rulebook::LoadedRule>,
    ) -> Result<Engine, crate::matcher::CompileError> {
        Engine::from_knowledge(crate::knowledge::Knowledge::from_loaded(loaded))
    }

    /// An engine over `k`, with the bundled meanings.
    pub fn from_knowledge(
        k: crate::knowledge::Knowledge,
    ) -> Result<Engine, crate::matcher::CompileError> {
        Engine::with_meanings(k, Meanings::bundled())
    }

    pub fn with_meanings(
        k: crate::knowledge::Knowledge,
        meanings: Meanings,
    ) -> Result<Engine, crate::matcher::CompileError> {
        let matcher = Matcher::new(&k.rules).map_err(|e| locate(e, &k.origins))?;
        Ok(Engine {
            rules: k.rules,
            origins: k.origins,
            matcher,
            index: k.index,
            meanings,
            confidence: ConfidenceModel::bundled(),
        })
    }

    /// The same engine with another confidence model (one refitted by
    /// `triage eval --calibrate`, to check it).
    pub fn with_confidence(self, confidence: ConfidenceModel) -> Engine {
        Engine { confidence, ..self }
    }
}

/// A pattern that does not compile, with the file and line it is written
/// on (as `lint` says), read from the rule's file or the bundled copy.
fn locate(error: crate::matcher::CompileError, origins: &[String]) -> crate::matcher::CompileError {
    let crate::matcher::CompileError::BadPattern {
        rule,
        id,
        pattern,
        message,
        ..
    } = error
    else {
        return error;
    };
    let origin = match origins.get(rule) {
        Some(file) => {
            let text = std::fs::read_to_string(file).ok().or_else(|| {
                crate::rulebook::embedded::EMBEDDED_RULES
                    .iter()
                    .find(|(name, _)| name == file)
                    .map(|(_, text)| text.to_string())
            });
            let line = text.map_or(1, |t| crate::rulebook::lint::line_of_value(&t, &pattern));
            format!("{file}:{line}: ")
        }
        None => String::new(),
    };
    crate::matcher::CompileError::BadPattern {
        rule,
        id,
        pattern,
        message,
        origin,
    }
}

/// One candidate as reports and other tools see it (the JSON contract).
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub id: String,
    pub title: String,
    pub source: String,
    pub link: String,
    pub confidence: Confidence,
    /// The confidence model's probability that this is the right article.
    pub probability: f64,
    pub score: f64,
    pub evidence: Vec<EvidenceLine>,
    pub cause: String,
    pub steps: Vec<String>,
    /// Ids of the same article's other editions (folded into this finding).
    pub also: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    /// High and medium candidates, best first.
    pub diagnoses: Vec<Finding>,
    /// Low candidates: possibly related.
    pub related: Vec<Finding>,
    /// The failure lines found (empty for a successful run).
    pub failure: Vec<EvidenceLine>,
    /// What terse failure lines mean ("killed: out of memory"), in line
    /// order.
    pub meanings: Vec<Reading>,
    /// How many lines the log had.
    pub lines: usize,
}

impl Diagnosis {
    pub fn found(&self) -> bool {
        !self.diagnoses.is_empty()
    }
}

/// Diagnose one log read from `reader`.
pub fn diagnose<R: BufRead>(engine: &Engine, reader: R, top: usize) -> Result<Diagnosis, LogError> {
    let mut pass = Pass::new(engine);
    pass.feed(reader, Path::new("-"))?;
    Ok(pass.finish(top))
}

/// Diagnose one log file (`-` is standard input); a read error names it.
/// Several logs are diagnosed one by one: each is its own run, with its
/// own failure and its own line numbers.
pub fn diagnose_file(engine: &Engine, path: &Path, top: usize) -> Result<Diagnosis, LogError> {
    let mut pass = Pass::new(engine);
    pass.feed(log::open(path)?, path)?;
    Ok(pass.finish(top))
}

/// One streaming pass over the inputs through the failure finder, which
/// keeps no more than a bounded window; the matcher runs on what it found.
struct Pass<'e> {
    engine: &'e Engine,
    finder: FailureFinder,
    /// Lines of the inputs already read, to number the next input's lines.
    offset: usize,
}

impl<'e> Pass<'e> {
    fn new(engine: &'e Engine) -> Self {
        Pass {
            engine,
            finder: FailureFinder::new(),
            offset: 0,
        }
    }

    /// `path` names the input in read errors (`-` for standard input).
    fn feed<R: BufRead>(&mut self, reader: R, path: &Path) -> Result<(), LogError> {
        self.offset += log::feed(reader, path, &mut self.finder, self.offset)?;
        Ok(())
    }

    fn finish(self, top: usize) -> Diagnosis {
        let engine = self.engine;
        self.analyse().into_diagnosis(engine, top)
    }

    /// The failure and every candidate, ranked and calibrated.
    fn analyse(self) -> Analysis {
        let engine = self.engine;
        let failure = self.finder.finish();
        // Signatures are matched on the failure only: its region and its
        // error lines (both bounded). Evidence elsewhere in a long log is
        // what the run got past, and reading every line through every
        // signature made diagnose several times slower than the failure
        // finder alone.
        let mut scan = Scan::default();
        if let Some(f) = &failure {
            let mut lines: Vec<&log::LogLine> = f.lines.iter().chain(&f.error_lines).collect();
            // Logical lines of one physical line (a JSON-escaped log) share
            // a number, so the text is part of what makes a line unique.
            lines.sort_by(|a, b| a.number.cmp(&b.number).then_with(|| a.text.cmp(&b.text)));
            lines.dedup_by(|a, b| a.number == b.number && a.text == b.text);
            for l in lines {
                engine.matcher.scan(&mut scan, l.number, &l.text);
            }
        }
        // A tail is compared with the articles, but nothing failed in it
        // that could be diagnosed.
        let diagnosable = failure
            .as_ref()
            .is_some_and(|f| f.kind != log::FailureKind::Tail);
        let region = failure.as_ref().map(|f| FailureRegion {
            error_lines: f
                .error_lines
                .iter()
                .map(|l| EvidenceLine {
                    line: l.number,
                    text: l.text.clone(),
                })
                .collect(),
            first: f.lines.first().map_or(0, |l| l.number),
            last: f.lines.last().map_or(0, |l| l.number),
            terms: crate::matcher::subject::failure_terms(
                f.lines
                    .iter()
                    .chain(&f.error_lines)
                    .map(|l| l.text.as_str()),
            ),
        });
        let codes: Vec<ErrorCode> = failure
            .iter()
            .flat_map(|f| f.error_lines.iter())
            .filter_map(|l| {
                l.code.clone().map(|code| ErrorCode {
                    line: l.number,
                    code,
                })
            })
            .collect();
        let (similarity, meanings) = match &failure {
            Some(f) => failure_similarity(engine, f),
            None => (Vec::new(), Vec::new()),
        };
        let mut candidates = engine
            .matcher
            .rank(&scan, region.as_ref(), &codes, &similarity);
        if let Some(f) = failure.as_ref().filter(|_| !candidates.is_empty()) {
            let cosines = engine.index.cosines(&failure_meaning(f));
            for c in &mut candidates {
                c.semantic = cosines.get(c.rule).copied().unwrap_or(0.0);
            }
        }
        let input = match failure.as_ref().map(|f| f.kind) {
            Some(log::FailureKind::Recognised) => Input::Log,
            Some(log::FailureKind::Pasted) => Input::Paste,
            Some(log::FailureKind::Tail) | None => Input::NoFailure,
        };
        crate::matcher::calibrate(
            &mut candidates,
            |r| engine.index.edition_group(r),
            input,
            &engine.confidence,
        );
        Analysis {
            kind: failure.as_ref().map(|f| f.kind),
            region: region.filter(|_| diagnosable),
            candidates,
            meanings,
            lines: self.offset,
        }
    }
}

/// What a pass found, before it is cut to what a report shows.
struct Analysis {
    kind: Option<log::FailureKind>,
    region: Option<FailureRegion>,
    candidates: Vec<Candidate>,
    meanings: Vec<Reading>,
    lines: usize,
}

impl Analysis {
    fn into_diagnosis(self, engine: &Engine, top: usize) -> Diagnosis {
        assemble(
            engine,
            self.candidates,
            self.region,
            self.meanings,
            self.lines,
            top,
        )
    }
}

/// A diagnosis with what led to it, for `triage eval` to explain its
/// misses and to fit the confidence model on.
#[derive(Debug)]
pub struct Traced {
    pub diagnosis: Diagnosis,
    /// How the failure was found; `None` when none was.
    pub failure: Option<log::FailureKind>,
    /// Every candidate, best first, one per article (its best edition).
    pub candidates: Vec<TracedCandidate>,
}

#[derive(Debug)]
pub struct TracedCandidate {
    /// The rule's id and its other editions' ids.
    pub ids: Vec<String>,
    pub candidate: Candidate,
}

/// [`diagnose`], keeping every candidate and how the failure was found.
pub fn diagnose_traced<R: BufRead>(
    engine: &Engine,
    reader: R,
    top: usize,
) -> Result<Traced, LogError> {
    let mut pass = Pass::new(engine);
    pass.feed(reader, Path::new("-"))?;
    let analysis = pass.analyse();
    let failure = analysis.kind;
    let mut seen = std::collections::HashSet::new();
    let candidates = analysis
        .candidates
        .iter()
        .filter(|c| seen.insert(engine.index.edition_group(c.rule)))
        .map(|c| TracedCandidate {
            ids: std::iter::once(c.rule)
                .chain(engine.index.other_editions(c.rule))
                .map(|r| engine.rules[r].id.clone())
                .collect(),
            candidate: c.clone(),
        })
        .collect();
    let diagnosis = analysis.into_diagnosis(engine, top);
    Ok(Traced {
        diagnosis,
        failure,
        candidates,
    })
}

/// Lines of the failure whose meaning is compared with the articles' titles:
/// the last error lines, where the run stopped.
const MEANING_LINES: usize = 4;

/// The sentence embedding of the failure's last error lines.
fn failure_meaning(failure: &log::Failure) -> Vec<f32> {
    let mut lines: Vec<&str> = failure
        .error_lines
        .iter()
        .rev()
        .take(MEANING_LINES)
        .map(|l| l.text.as_str())
        .collect();
    lines.reverse();
    crate::embed::Embedder::bundled().embed(&lines.join("\n"), crate::search::QUERY_TOKENS)
}

/// Similarity of the failure to each rule's words, from the search index,
/// and what its lines mean. The query is the failure lines plus the region
/// around them, because the words that tell similar errors apart (the
/// command that ran, the stage) often stand on the lines before the error,
/// not in it. What those lines mean is a second, short query whose
/// similarity is added (see [`MEANING_WEIGHT`]).
fn failure_similarity(
    engine: &Engine,
    failure: &log::Failure,
) -> (Vec<RuleSimilarity>, Vec<Reading>) {
    let mut lines: Vec<&log::LogLine> = failure
        .error_lines
        .iter()
        .rev()
        .take(SIMILARITY_LINES)
        .collect();
    // Lines that report success ("... index has been rebuilt successfully")
    // say what the run got past; their words would pull in articles about
    // those steps.
    for l in failure
        .lines
        .iter()
        .rev()
        .filter(|l| !log::reads_as_success(l))
        .take(CONTEXT_LINES)
    {
        if !lines.iter().any(|x| x.number == l.number) {
            lines.push(l);
        }
    }
    lines.sort_by_key(|l| l.number);
    let query = lines
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let mut similarity = engine.index.similarity(&engine.rules, &query);
    let meanings = engine
        .meanings
        .read(lines.iter().map(|l| (l.number, l.text.as_str())));
    if !meanings.is_empty() {
        let said = meanings
            .iter()
            .map(|m| m.means.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        similarity.extend(
            engine
                .index
                .similarity(&engine.rules, &said)
                .into_iter()
                .map(|s| RuleSimilarity {
                    score: MEANING_WEIGHT * s.score,
                    ..s
                }),
        );
    }
    (similarity, meanings)
}

fn assemble(
    engine: &Engine,
    candidates: Vec<Candidate>,
    region: Option<FailureRegion>,
    meanings: Vec<Reading>,
    lines: usize,
    top: usize,
) -> Diagnosis {
    let mut diagnoses = Vec::new();
    let mut related = Vec::new();
    let mut shown_groups: Vec<usize> = Vec::new();
    for c in candidates {
        let rule = &engine.rules[c.rule];
        // Two editions of one article are one answer.
        let key = engine.index.edition_group(c.rule);
        if shown_groups.contains(&key) {
            continue;
        }
        // Built only for what is shown: a finding copies the article's
        // texts and looks up its editions.
        let diagnosis = c.confidence >= Confidence::Medium;
        let shown = if diagnosis {
            diagnoses.len() < top
        } else {
            related.len() + diagnoses.len() < top.max(3)
        };
        if !shown {
            continue;
        }
        let editions = engine.index.other_editions(c.rule);
        let finding = Finding {
            id: rule.id.clone(),
            title: rule.title.clone(),
            source: rule.source.clone(),
            link: crate::rulebook::rule::article_link(&engine.rules, c.rule, &editions).to_string(),
            confidence: c.confidence,
            probability: (c.probability * 1000.0).round() / 1000.0,
            score: (c.score * 1000.0).round() / 1000.0,
            evidence: c.evidence,
            cause: rule.cause.clone(),
            steps: rule.steps.clone(),
            also: editions
                .iter()
                .map(|&r| engine.rules[r].id.clone())
                .collect(),
        };
        if diagnosis {
            diagnoses.push(finding);
        } else {
            related.push(finding);
        }
        shown_groups.push(key);
    }
    Diagnosis {
        diagnoses,
        related,
        failure: region.map(|r| r.error_lines).unwrap_or_default(),
        meanings,
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rulebook::rule::Issue;
    use crate::rulebook::LoadedRule;

    fn rule(id: &str, title: &str, issue: &str) -> LoadedRule {
        LoadedRule {
            rule: Rule {
                id: id.to_string(),
                title: title.to_string(),
                issue: Issue {
                    text: issue.to_string(),
                    ..Issue::default()
                },
                ..Rule::default()
            },
            origin: format!("{id}.toml"),
        }
    }

    #[test]
    fn a_quote_without_the_line_naming_its_subject_is_no_diagnosis() {
        let mut widget = rule(
            "widget-pro-install-fails",
            "Widget Pro 2 installation fails",
            "Installing Widget Pro 2 fails with a dependency error.",
        );
        widget.rule.signatures = vec![[
            "Your requirements could not be resolved to an installable set of packages.",
            "Root composer.json requires acme/widget-pro <*> -> satisfiable by acme/widget-pro[<*>].",
            "Installation failed, reverting <*> and <*> to their original content.",
        ]
        .join("\n")];
        let engine = Engine::new(vec![widget]).unwrap();
        let log = |package: &str| {
            format!(
                "Your requirements could not be resolved to an installable set of packages.\n\
                 \x20 Problem 1\n\
                 \x20   - Root composer.json requires {package} 2.0.0 -> satisfiable by {package}[2.0.0].\n\
                 Installation failed, reverting ./composer.json and ./composer.lock to their original content.\n"
            )
        };
        let named = diagnose(&engine, log("acme/widget-pro").as_bytes(), 3).unwrap();
        assert_eq!(named.diagnoses.len(), 1, "{named:?}");
        // Another package failing the same way: the article may be related,
        // but it is not the answer.
        let other = diagnose(&engine, log("acme/gadget-lite").as_bytes(), 3).unwrap();
        assert!(other.diagnoses.is_empty(), "{other:?}");
        assert_eq!(other.related.len(), 1);
    }

    #[test]
    fn a_terse_failure_is_searched_for_by_what_it_means() {
        let rules = || {
            vec![
                rule(
                    "gadget-build-out-of-memory",
                    "Gadget build stops: out of memory",
                    "The build host runs out of memory and the kernel kills the build process.",
                ),
                rule(
                    "gadget-dependencies-unresolvable",
                    "Gadget build fails on dependencies",
                    "The gadget build fails on its dependencies.",
                ),
                rule(
                    "widget-theme-colours",
                    "Widget theme shows wrong colours",
                    "After an upgrade the widget theme shows the wrong colours.",
                ),
                rule(
                    "widget-cache-stale",
                    "Widget pages stale after deploy",
                    "Pages show old content because the cache was not cleared.",
                ),
            ]
        };
        let log = "Gadget build started\n\
                   Updating dependencies\n\
                   Killed\n\
                   ERROR: Job failed: exit code 137\n";
        let first = |d: &Diagnosis| d.related.first().map(|f| f.id.clone());

        let engine = Engine::new(rules()).unwrap();
        let d = diagnose(&engine, log.as_bytes(), 3).unwrap();
        assert_eq!(
            first(&d).as_deref(),
            Some("gadget-build-out-of-memory"),
            "{d:#?}"
        );
        assert_eq!(d.meanings.len(), 1, "{:?}", d.meanings);
        assert_eq!(d.meanings[0].line, 4);
        assert!(d.meanings[0].means.contains("out of memory"));
        // Meanings never make a diagnosis on their own: no quote matched.
        assert!(d.diagnoses.is_empty());

        // Without the list, the log's own words pick the other article.
        let plain = Engine::with_meanings(
            crate::knowledge::Knowledge::from_loaded(rules()),
            Meanings::default(),
        )
        .unwrap();
        let d = diagnose(&plain, log.as_bytes(), 3).unwrap();
        assert_eq!(
            first(&d).as_deref(),
            Some("gadget-dependencies-unresolvable"),
            "{d:#?}"
        );
        assert!(d.meanings.is_empty());
    }

    #[test]
    fn steps_the_run_got_past_do_not_pick_the_article() {
        let engine = Engine::new(vec![
            rule(
                "widget-index-rebuild",
                "Widget, category, price and stock index rebuilt too often",
                "The widget index, category index, price index and stock index are rebuilt every minute.",
            ),
            rule(
                "gadget-store-refused",
                "Import stops: gadget store gone",
                "The import stops because the gadget store is gone.",
            ),
        ])
        .unwrap();
        let log = "Widget index has been rebuilt successfully\n\
                   Category index has been rebuilt successfully\n\
                   Price index has been rebuilt successfully\n\
                   Stock index has been rebuilt successfully\n\
                   Import error: gadget store gone\n";
        let d = diagnose(&engine, log.as_bytes(), 3).unwrap();
        let first = d
            .diagnoses
            .iter()
            .chain(&d.related)
            .next()
            .expect("a finding");
        assert_eq!(first.id, "gadget-store-refused");
    }
}
