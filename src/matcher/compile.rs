//! Rules -> one compiled matcher.
//!
//! Every signature of every rule goes into one Aho-Corasick automaton keyed
//! on its rarest literal word, so a log line is scanned once for all rules;
//! only lines that contain some signature's anchor pay for a regex check.

use crate::lazy::lazy;
use std::collections::HashMap;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;
use thiserror::Error;

use crate::rulebook::rule::{Rule, WILDCARD};

#[derive(Debug, Error)]
pub enum CompileError {
    #[error("{origin}rule {id}: pattern {pattern:?} does not compile: {message}")]
    BadPattern {
        /// Index of the rule in the list compiled.
        rule: usize,
        id: String,
        pattern: String,
        message: String,
        /// `file:line: ` where the pattern is written, once known (see
        /// `diagnose::Engine`), else empty.
        origin: String,
    },
    #[error("cannot build the signature automaton: {0}")]
    Automaton(String),
}

/// Where a compiled check came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A `<*>` template derived from quoted error text.
    Signature,
    /// A hand-written regex (`patterns`).
    Pattern,
    /// A `require` regex: gates the rule, scores nothing.
    Require,
    /// An `exclude` regex: vetoes the rule when it occurs in the failure.
    Exclude,
}

/// One signature or pattern, ready to test against a line.
#[derive(Debug)]
pub struct Check {
    pub rule: usize,
    pub kind: SourceKind,
    /// Index in the rule's `signatures` or `patterns`.
    pub index: usize,
    /// Compiled on first use: most signatures never see a line that holds
    /// their anchor word, and compiling hundreds of regexes up front was most
    /// of start-up.
    regex: OnceLock<Regex>,
    /// The regex source, as `triage patterns` prints it.
    pub source: String,
    /// Lower-cased literal words, for partial matching and specificity.
    pub words: Vec<String>,
    /// How much a match says: long, rare literal text says more.
    pub specificity: f64,
    /// Whether the literal text reads as an error (not a command or a query).
    pub errorish: bool,
    /// Whether the line names a thing (a package, class, module or file)
    /// that the article's title speaks of: `magento/extension-b2b` in a
    /// quote under "B2B 1.4.0 installation fails". See [`Compiled::identified`].
    pub identity: bool,
}

/// A quoted block: one entry of a rule's `signatures`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockId {
    pub rule: usize,
    /// Index in the rule's `signatures`.
    pub signature: usize,
}

impl Check {
    /// The block a signature line belongs to.
    pub fn block(&self) -> BlockId {
        BlockId {
            rule: self.rule,
            signature: self.index,
        }
    }

    pub fn regex(&self) -> &Regex {
        self.regex.get_or_init(|| {
            // Sources are escaped templates or patterns validated in
            // `compile`, so this cannot fail; an impossible regex is the
            // safe fallback rather than a panic.
            Regex::new(&self.source)
                .unwrap_or_else(|_| Regex::new(r"[^\s\S]").expect("static regex"))
        })
    }
}

/// Translate a `<*>` template into a regex that finds it inside a log line:
/// whitespace runs stretch, quote styles are interchangeable, and a
/// wildcard spans any stretch of the one line. (A bounded `.{0,N}?` looks
/// safer but expands into N Unicode-class states per wildcard: it tripled
/// start-up time and memory for hundreds of signatures.)
pub fn template_regex(template: &str) -> String {
    let mut out = String::from("(?i)");
    // A quote starts and ends on whole words: "SQL server has gone away" is
    // not the end of "MySQL server has gone away". ASCII boundaries keep
    // the fast engines usable.
    let word_char = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    if word_char(template.chars().next()) {
        out.push_str(r"(?-u:\b)");
    }
    for (i, literal) in template.split(WILDCARD).enumerate() {
        if i > 0 {
            out.push_str(".*?");
        }
        let mut in_space = false;
        for c in literal.chars() {
            if c.is_whitespace() {
                if !in_space {
                    out.push_str(r"\s*");
                }
                in_space = true;
                continue;
            }
            in_space = false;
            match c {
                '\'' | '"' | '‘' | '’' | '“' | '”' | '`' => out.push_str(r#"['"‘’“”`]"#),
                _ => out.push_str(&regex::escape(&c.to_string())),
            }
        }
    }
    if word_char(template.chars().next_back()) {
        out.push_str(r"(?-u:\b)");
    }
    out
}

/// Lower-cased words of at least three letters/digits, the vocabulary used
/// for anchoring and partial matching.
pub fn literal_words(text: &str) -> Vec<String> {
    text.split(WILDCARD)
        .flat_map(|p| p.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.chars().count() >= 3 && w.chars().any(char::is_alphabetic))
        .map(str::to_lowercase)
        .collect()
}

/// Words that mark a line as an error report rather than a command or data.
const ERROR_WORDS: &[&str] = &[
    "error",
    "errors",
    "exception",
    "fatal",
    "failed",
    "fail",
    "fails",
    "failure",
    "cannot",
    "can't",
    "could",
    "unable",
    "denied",
    "refused",
    "invalid",
    "missing",
    "exhausted",
    "timeout",
    "timed",
    "not",
    "unknown",
    "undefined",
    "unsupported",
    "incompatible",
    "violation",
    "gone",
    "lost",
    "killed",
    "abort",
    "aborting",
    "aborted",
    "critical",
    "warning",
    "forbidden",
    "unauthorized",
    "required",
    "conflict",
    "conflicts",
    "does",
    "doesn't",
    "must",
    "wrong",
    "broken",
    "corrupt",
    "exceeded",
    "too",
    "no",
    "out",
    "disabled",
    "deprecated",
];

/// Judged on the raw words of the template: the matching vocabulary drops
/// short words and splits at apostrophes, which would lose "no", "can't".
fn is_errorish(template: &str) -> bool {
    template
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .any(|w| ERROR_WORDS.contains(&w.to_lowercase().as_str()))
}

/// In how many rules' text (any field) each signature word occurs.
fn rule_word_frequency(
    rules: &[Rule],
    vocabulary: &HashMap<String, usize>,
) -> HashMap<String, usize> {
    let mut freq: HashMap<String, usize> = HashMap::new();
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for rule in rules {
        seen.clear();
        let fields = [
            rule.title.as_str(),
            rule.description.as_str(),
            rule.issue.text.as_str(),
            rule.issue.actual.as_str(),
            rule.cause.as_str(),
        ];
        let texts = fields
            .into_iter()
            .chain(rule.steps.iter().map(String::as_str))
            .chain(rule.signatures.iter().map(String::as_str));
        for text in texts {
            for w in text.split(|c: char| !c.is_alphanumeric()) {
                if w.len() < 3 {
                    continue;
                }
                let lower = w.to_lowercase();
                if let Some((key, _)) = vocabulary.get_key_value(lower.as_str()) {
                    if seen.insert(key.as_str()) {
                        *freq.entry(key.clone()).or_default() += 1;
                    }
                }
            }
        }
    }
    freq
}

/// Specificity granted to hand-written patterns at the least.
const CURATED_SPECIFICITY: f64 = 0.8;

pub struct Compiled {
    pub checks: Vec<Check>,
    /// Automaton over anchor words; pattern id -> checks anchored on it.
    pub anchors: AhoCorasick,
    pub anchored: Vec<Vec<usize>>,
    /// Checks without a usable anchor, tested on every candidate line.
    pub unanchored: Vec<usize>,
    /// Word -> checks containing it, for partial matching.
    pub word_index: HashMap<String, Vec<usize>>,
    /// Error code -> rules that name it.
    pub codes: HashMap<String, Vec<usize>>,
    /// Quoted block -> total specificity of its lines.
    pub block_weight: HashMap<BlockId, f64>,
    /// Quoted blocks with an identity line (see [`Check::identity`]).
    pub identified: std::collections::HashSet<BlockId>,
}

lazy! {
    /// A name in a message: a package (`vendor/name`), a namespace or class
    /// (`Vendor\\Module`, `Class::method`, `CamelCase`), a module
    /// (`Vendor_Module`), a file path.
    static NAME: Regex = {
        // ASCII classes: Unicode `\w` makes a far larger automaton.
        Regex::new(r"(?-u)[\w.-]*(?:[/\\]|::)[\w./\\:-]*|\w*[a-z][A-Z]\w*|\w+_\w+")
            .expect("static name regex")
    };
}

/// Whether `line` names something the title speaks of. Generic lines of a
/// tool's output ("Your requirements could not be resolved ...") name
/// nothing; the line naming the package or module the article is about is
/// what makes the quote this article's rather than any run of the tool.
fn names_the_subject(line: &str, title: &[String]) -> bool {
    NAME.find_iter(&line.replace(WILDCARD, " "))
        // `WidgetRegistry` speaks of a widget too.
        .flat_map(|name| crate::text::terms(&crate::search::with_identifier_parts(name.as_str())))
        .any(|term| title.contains(&term))
}

/// `titles`: each rule's title terms ([`super::subject::title_terms`]).
pub fn compile(rules: &[Rule], titles: &[Vec<String>]) -> Result<Compiled, CompileError> {
    let mut checks = Vec::new();
    for (r, (rule, title)) in rules.iter().zip(titles).enumerate() {
        for (i, sig) in rule.signatures.iter().enumerate() {
            for line in sig.lines().filter(|l| !l.trim().is_empty()) {
                let source = template_regex(line.trim());
                let words = literal_words(line);
                checks.push(Check {
                    rule: r,
                    kind: SourceKind::Signature,
                    index: i,
                    regex: OnceLock::new(),
                    source,
                    errorish: is_errorish(line),
                    identity: names_the_subject(line, title),
                    words,
                    specificity: 0.0,
                });
            }
        }
        for (kind, list) in [
            (SourceKind::Pattern, &rule.patterns),
            (SourceKind::Require, &rule.require),
            (SourceKind::Exclude, &rule.exclude),
        ] {
            for (i, pat) in list.iter().enumerate() {
                let source = if pat.starts_with("(?") {
                    pat.clone()
                } else {
                    format!("(?i){pat}")
                };
                let regex = Regex::new(&source).map_err(|e| CompileError::BadPattern {
                    rule: r,
                    id: rule.id.clone(),
                    pattern: pat.clone(),
                    // The last line: the first ones draw the pattern.
                    message: e.to_string().lines().last().unwrap_or("").to_string(),
                    origin: String::new(),
                })?;
                let words =
                    literal_words(&pat.replace(|c: char| r"\.*+?()[]{}|^$".contains(c), " "));
                checks.push(Check {
                    rule: r,
                    kind,
                    index: i,
                    regex: OnceLock::from(regex),
                    source,
                    // A curator wrote it on purpose: trust it as a symptom.
                    errorish: true,
                    identity: false,
                    words,
                    specificity: 0.0,
                });
            }
        }
    }

    // Document frequency of each word over all checks: rare words anchor
    // better and say more when they match.
    let mut df: HashMap<String, usize> = HashMap::new();
    for c in &checks {
        let mut seen: Vec<&str> = c.words.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for w in seen {
            *df.entry(w.to_string()).or_default() += 1;
        }
    }
    // Specificity is judged against everything the rules say, not just
    // their signatures: "failed to open stream: No such file or directory"
    // is in many articles' prose, "RDBMS" in few, and a match on common words
    // says little about which article applies.
    let background = rule_word_frequency(rules, &df);
    let n_rules = rules.len() as f64;
    // Rarity in [0, 1]: 1 for a word only one rule uses, 0 for one all
    // rules use; relative to the knowledge base's size, so that a small
    // curated base and a large corpus judge a message alike.
    let rarity = |w: &str| {
        let d = background.get(w).copied().unwrap_or(1).max(1) as f64;
        ((n_rules + 1.0) / d).ln() / (n_rules + 1.0).ln().max(f64::EPSILON)
    };
    // Rarity at which a line is fully specific: about three words found in
    // no other article.
    let scale = 3.0;
    let specificities: Vec<f64> = checks
        .iter()
        .map(|c| {
            // Sum of rarity over distinct words, saturating: a handful of rare
            // words is as telling as a whole paragraph.
            let mut words: Vec<&str> = c.words.iter().map(String::as_str).collect();
            words.sort_unstable();
            words.dedup();
            let info: f64 = words.iter().map(|w| rarity(w)).sum();
            (info / scale).min(1.0)
        })
        .collect();
    for (c, s) in checks.iter_mut().zip(specificities) {
        // A curator wrote a pattern to recognise this one failure; its words
        // may be few (a regex says more than its literals), so it is trusted
        // as specific.
        c.specificity = if c.kind == SourceKind::Signature {
            s
        } else {
            s.max(CURATED_SPECIFICITY)
        };
    }

    let mut anchor_ids: HashMap<String, usize> = HashMap::new();
    let mut anchor_words: Vec<String> = Vec::new();
    let mut anchored: Vec<Vec<usize>> = Vec::new();
    let mut unanchored = Vec::new();
    for (ci, c) in checks.iter().enumerate() {
        let best = c.words.iter().filter(|w| w.len() >= 4).min_by(|a, b| {
            df.get(a.as_str())
                .cmp(&df.get(b.as_str()))
                .then(b.len().cmp(&a.len()))
                .then(a.cmp(b))
        });
        match best {
            Some(w) => {
                let id = *anchor_ids.entry(w.clone()).or_insert_with(|| {
                    anchor_words.push(w.clone());
                    anchored.push(Vec::new());
                    anchor_words.len() - 1
                });
                anchored[id].push(ci);
            }
            None => unanchored.push(ci),
        }
    }
    // A DFA: it is run on every line of the log, and a few thousand anchor
    // words make a DFA of modest size that searches several times faster
    // than the default NFA.
    let anchors = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(&anchor_words)
        .map_err(|e| CompileError::Automaton(e.to_string()))?;

    let mut word_index: HashMap<String, Vec<usize>> = HashMap::new();
    for (ci, c) in checks.iter().enumerate() {
        if c.kind != SourceKind::Signature {
            continue;
        }
        let mut words = c.words.clone();
        words.sort_unstable();
        words.dedup();
        for w in words {
            word_index.entry(w).or_default().push(ci);
        }
    }
    let mut codes: HashMap<String, Vec<usize>> = HashMap::new();
    for (r, rule) in rules.iter().enumerate() {
        for code in &rule.error_codes {
            codes.entry(code.clone()).or_default().push(r);
        }
    }
    let mut block_weight: HashMap<BlockId, f64> = HashMap::new();
    for c in checks.iter().filter(|c| c.kind == SourceKind::Signature) {
        *block_weight.entry(c.block()).or_default() += c.specificity;
    }
    let identified = checks
        .iter()
        .filter(|c| c.kind == SourceKind::Signature && c.identity)
        .map(Check::block)
        .collect();
    Ok(Compiled {
        identified,
        block_weight,
        checks,
        anchors,
        anchored,
        unanchored,
        word_index,
        codes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_matches_whole_words_only() {
        let re = |t: &str| Regex::new(&template_regex(t)).unwrap();
        let gone = re("SQL widget store has gone away");
        assert!(gone.is_match("ERROR: SQL widget store has gone away."));
        assert!(!gone.is_match("MySQL widget store has gone away"));
        assert!(!re("widget store is gon").is_match("the widget store is gone"));
        // Edges that are not letters need no boundary.
        assert!(re("[WidgetException] store <*> gone").is_match("x[WidgetException] store is gone"));
        assert!(re("failed (code <*>)").is_match("build failed (code 3)."));
        // Nor do letters outside ASCII, which an ASCII boundary cannot see.
        assert!(re("échec du widget").is_match("Erreur : échec du widget"));
    }

    #[test]
    fn a_line_naming_the_title_subject_is_an_identity_line() {
        let title = crate::text::terms("Widget Pro 2 installation fails");
        for line in [
            "Root composer.json requires acme/widget-pro <*>",
            "Unable to apply data patch Acme\\Widget\\Setup\\Patch for module Acme_Widget",
            "Call to WidgetRegistry::load() failed",
        ] {
            assert!(names_the_subject(line, &title), "{line}");
        }
        for line in [
            // The tool's own words, even those the title uses.
            "Installation failed, reverting <*> and <*> to their original content.",
            // A name, but of something else.
            "Root composer.json requires acme/gadget-lite <*>",
        ] {
            assert!(!names_the_subject(line, &title), "{line}");
        }
    }

    #[test]
    fn template_regex_matches_other_installation() {
        let re = Regex::new(&template_regex(
            "The '<*>' URL required authentication (HTTP <*>).",
        ))
        .unwrap();
        assert!(re.is_match(
            "  The \"https://repo.example.org/packages.json\" URL required  authentication (HTTP 403)."
        ));
        assert!(!re.is_match("The URL is fine"));
    }

    #[test]
    fn a_quote_with_php_tag_matches_the_bare_display_and_the_tagged_log() {
        let quoted = "PHP Fatal error:  Allowed memory size of 792723456 bytes exhausted";
        let template = crate::extract::signature::template(quoted).unwrap();
        let re = Regex::new(&template_regex(&template)).unwrap();
        assert!(re.is_match("Fatal error: Allowed memory size of 536870912 bytes exhausted (tried to allocate 20480 bytes)"));
        assert!(
            re.is_match("[01-Jan-2020] PHP Fatal error:  Allowed memory size of 1 bytes exhausted")
        );
    }
}
