//! What a terse failure line means, in words an article would use.
//!
//! Logs state many failures as a code: a shell's bare `Killed`, an exit
//! status of 137, `ERROR 2006 (HY000) at line 118`, `curl: (60)`, a search
//! engine's JSON error body. No article quotes those, so neither the
//! signatures nor the words of the log find the article that explains them.
//! A list of meanings (`knowledge/log-meanings.toml`, domain data embedded
//! at build time) turns such a line into a phrase ("killed: out of memory")
//! that reports show beside the line and that diagnose searches for. This
//! module only knows how to read and apply the list.
//!
//! It depends on nothing else in the crate, so that `build.rs` can check the
//! bundled list with the same code and fail the build on a bad entry.

use std::sync::OnceLock;

use regex::bytes::{RegexBuilder, RegexSet, RegexSetBuilder};
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// The bundled list, as `build.rs` and the tests read it.
pub const BUNDLED: &str = include_str!("../../knowledge/log-meanings.toml");
/// How the bundled list is named in messages.
pub const BUNDLED_NAME: &str = "knowledge/log-meanings.toml";

/// Why a list of meanings cannot be used; `origin` names the file and
/// `line` the place in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeaningError {
    #[error("{origin}:{line}: {message}")]
    Syntax {
        origin: String,
        line: usize,
        message: String,
    },
    #[error("{origin}:{line}: the pattern does not compile: {message}")]
    Pattern {
        origin: String,
        line: usize,
        message: String,
    },
    #[error("{origin}:{line}: `means` is empty")]
    Empty { origin: String, line: usize },
}

/// An entry whose examples contradict its pattern (see [`Meanings::check`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleProblem {
    pub line: usize,
    pub means: String,
    pub example: String,
    /// `true`: a `match` example the pattern misses; `false`: a `no_match`
    /// example it matches.
    pub should_match: bool,
}

impl std::fmt::Display for ExampleProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = if self.should_match {
            "does not match"
        } else {
            "matches"
        };
        write!(
            f,
            "the pattern of \"{}\" {verb} the example {:?}",
            self.means, self.example
        )
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MeaningsFile {
    #[serde(default)]
    meaning: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    means: Spanned<String>,
    pattern: Spanned<String>,
    #[serde(default, rename = "match")]
    matches: Vec<String>,
    #[serde(default)]
    no_match: Vec<String>,
}

#[derive(Debug)]
struct Meaning {
    means: String,
    /// Line of the entry's pattern in its file.
    line: usize,
    pattern: String,
    matches: Vec<String>,
    no_match: Vec<String>,
}

/// A failure line and what it means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reading {
    pub line: usize,
    pub text: String,
    pub means: String,
}

/// A list of meanings, ready to read lines with.
#[derive(Debug)]
pub struct Meanings {
    entries: Vec<Meaning>,
    /// All patterns at once: one pass over a line finds every entry it
    /// matches. Compiled without Unicode (see [`compile`]); the bundled
    /// list's on first use (see [`Meanings::bundled`]).
    set: OnceLock<RegexSet>,
}

/// Patterns are matched as ASCII on the line's bytes: the messages they
/// decode are ASCII, and without Unicode classes and case folding the set
/// compiles in a third of the time (about 4 ms for the bundled list, paid
/// by every diagnosis).
fn compile(patterns: &[&str]) -> Result<RegexSet, regex::Error> {
    RegexSetBuilder::new(patterns).unicode(false).build()
}

impl Default for Meanings {
    fn default() -> Self {
        Meanings {
            entries: Vec::new(),
            set: OnceLock::from(RegexSet::empty()),
        }
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The entries of a list, not yet compiled.
fn entries(text: &str, origin: &str) -> Result<Vec<Meaning>, MeaningError> {
    let file: MeaningsFile = toml::from_str(text).map_err(|e| MeaningError::Syntax {
        origin: origin.to_string(),
        line: e.span().map_or(1, |s| line_of(text, s.start)),
        message: e.message().to_string(),
    })?;
    let mut entries = Vec::with_capacity(file.meaning.len());
    for entry in file.meaning {
        let line = line_of(text, entry.pattern.span().start);
        if entry.means.get_ref().trim().is_empty() {
            return Err(MeaningError::Empty {
                origin: origin.to_string(),
                line: line_of(text, entry.means.span().start),
            });
        }
        entries.push(Meaning {
            means: entry.means.into_inner().trim().to_string(),
            line,
            pattern: entry.pattern.into_inner(),
            matches: entry.matches,
            no_match: entry.no_match,
        });
    }
    Ok(entries)
}

impl Meanings {
    /// The bundled list. Its patterns are compiled on first use: a run
    /// whose log has no failure never reads a line through it.
    pub fn bundled() -> Meanings {
        // `build.rs` refuses to build with a list that does not parse or
        // compile, so this cannot fail for a user; diagnose would go
        // without meanings rather than stop.
        Meanings {
            entries: entries(BUNDLED, BUNDLED_NAME).unwrap_or_default(),
            set: OnceLock::new(),
        }
    }

    /// Reads a list and compiles its patterns; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Meanings, MeaningError> {
        let entries = entries(text, origin)?;
        let patterns: Vec<&str> = entries.iter().map(|m| m.pattern.as_str()).collect();
        let set = compile(&patterns).map_err(|e| {
            // Name the entry at fault: the set's error does not say which.
            let (line, message) = entries
                .iter()
                .find_map(|m| compile(&[m.pattern.as_str()]).err().map(|e| (m.line, e)))
                .map_or((1, e.to_string()), |(line, e)| (line, e.to_string()));
            MeaningError::Pattern {
                origin: origin.to_string(),
                line,
                message,
            }
        })?;
        Ok(Meanings {
            entries,
            set: OnceLock::from(set),
        })
    }

    fn set(&self) -> &RegexSet {
        self.set.get_or_init(|| {
            let patterns: Vec<&str> = self.entries.iter().map(|m| m.pattern.as_str()).collect();
            // Only the bundled list gets here, which `build.rs` compiled.
            compile(&patterns).unwrap_or_else(|_| RegexSet::empty())
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every example that contradicts its entry's pattern.
    pub fn check(&self) -> Vec<ExampleProblem> {
        let mut problems = Vec::new();
        for m in &self.entries {
            let Ok(regex) = RegexBuilder::new(&m.pattern).unicode(false).build() else {
                continue; // `parse` compiled it already
            };
            let cases = m
                .matches
                .iter()
                .map(|e| (e, true))
                .chain(m.no_match.iter().map(|e| (e, false)));
            for (example, should_match) in cases {
                if regex.is_match(example.as_bytes()) != should_match {
                    problems.push(ExampleProblem {
                        line: m.line,
                        means: m.means.clone(),
                        example: example.clone(),
                        should_match,
                    });
                }
            }
        }
        problems
    }

    /// What the given lines (number, text) mean, in line order. An entry is
    /// read once, on the last line it matches: the latest failure is the
    /// one that counts, and a message repeated on every retry says no more
    /// the tenth time.
    pub fn read<'a>(&self, lines: impl IntoIterator<Item = (usize, &'a str)>) -> Vec<Reading> {
        let mut latest: Vec<Option<(usize, &str)>> = vec![None; self.entries.len()];
        for (number, text) in lines {
            for i in self.set().matches(text.as_bytes()).iter() {
                if latest[i].is_none_or(|(n, _)| number >= n) {
                    latest[i] = Some((number, text));
                }
            }
        }
        let mut readings: Vec<Reading> = latest
            .iter()
            .zip(&self.entries)
            .filter_map(|(found, m)| {
                found.map(|(line, text)| Reading {
                    line,
                    text: text.to_string(),
                    means: m.means.clone(),
                })
            })
            .collect();
        readings.sort_by_key(|r| r.line);
        readings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_list_compiles_and_every_example_holds() {
        let list = Meanings::parse(BUNDLED, BUNDLED_NAME).expect("bundled meanings parse");
        assert!(list.len() >= 40, "{} entries", list.len());
        let problems = list.check();
        assert!(
            problems.is_empty(),
            "{}",
            problems
                .iter()
                .map(|p| format!("line {}: {p}", p.line))
                .collect::<Vec<_>>()
                .join("\n")
        );
        // Every entry documents what it matches and what it must leave alone.
        for m in &list.entries {
            assert!(!m.matches.is_empty(), "line {}: no match example", m.line);
            assert!(
                !m.no_match.is_empty(),
                "line {}: no no_match example",
                m.line
            );
        }
    }

    const LIST: &str = r#"
[[meaning]]
means = "frobnicator overheated"
pattern = '''\bE_FROB_HOT\b'''
match = ["fatal: E_FROB_HOT at 90C"]
no_match = ["E_FROB_HOTTER"]

[[meaning]]
means = "widget store unreachable"
pattern = '''(?i)\bwidget error 7\b'''
"#;

    #[test]
    fn a_line_is_read_as_every_entry_it_matches_once_on_its_last_line() {
        let list = Meanings::parse(LIST, "test.toml").unwrap();
        let lines = [
            (3, "Widget error 7 (retrying)"),
            (5, "fatal: E_FROB_HOT at 90C"),
            (8, "widget error 7"),
            (9, "all fine"),
        ];
        let read = list.read(lines);
        assert_eq!(
            read,
            vec![
                Reading {
                    line: 5,
                    text: "fatal: E_FROB_HOT at 90C".into(),
                    means: "frobnicator overheated".into(),
                },
                Reading {
                    line: 8,
                    text: "widget error 7".into(),
                    means: "widget store unreachable".into(),
                },
            ]
        );
        assert!(list.read([(1, "E_FROB_HOTTER")]).is_empty());
    }

    #[test]
    fn an_example_that_contradicts_its_pattern_is_reported_with_its_line() {
        let text = LIST.replace(
            "no_match = [\"E_FROB_HOTTER\"]",
            "no_match = [\"E_FROB_HOT\"]",
        );
        let problems = Meanings::parse(&text, "test.toml").unwrap().check();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, 4);
        assert!(!problems[0].should_match);
    }

    #[test]
    fn bad_lists_are_errors_naming_file_and_line() {
        let bad_regex = LIST.replace(r"(?i)\bwidget error 7\b", "(unclosed");
        let err = Meanings::parse(&bad_regex, "m.toml").unwrap_err();
        assert!(
            matches!(err, MeaningError::Pattern { line: 10, .. }),
            "{err}"
        );
        assert!(err.to_string().starts_with("m.toml:10: "), "{err}");

        let unknown_key = LIST.replace("no_match = ", "no_matches = ");
        let err = Meanings::parse(&unknown_key, "m.toml").unwrap_err();
        assert!(err.to_string().starts_with("m.toml:6: "), "{err}");

        let empty = LIST.replace("\"widget store unreachable\"", "\" \"");
        let err = Meanings::parse(&empty, "m.toml").unwrap_err();
        assert_eq!(
            err,
            MeaningError::Empty {
                origin: "m.toml".into(),
                line: 9
            }
        );
    }
}
