//! Reading and writing a rules directory.
//!
//! Generated files carry a digest of their own content (`generated = ...`).
//! On re-ingest a file whose content no longer matches its digest was edited
//! by a person and is kept; so is a file with no digest (written by hand).

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use thiserror::Error;

use super::rule::Rule;

#[derive(Debug, Error)]
pub enum RulebookError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: cannot write: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: cannot serialise rule {id}: {message}")]
    Serialise {
        path: PathBuf,
        id: String,
        message: String,
    },
    #[error("{0}: no rule files (*.toml) found")]
    Empty(PathBuf),
    #[error(
        "{path}: {} is over the {} limit for a rule file (articles are \
         ingested up to 1 MiB; a rule is a few kilobytes)",
        human_bytes(*size),
        human_bytes(MAX_RULE_FILE_BYTES)
    )]
    TooLarge { path: PathBuf, size: u64 },
    #[error(
        "{path}: rule {id:?} has {count} {what}, over the limit of {MAX_RULE_CHECKS} for one rule"
    )]
    TooManyChecks {
        path: PathBuf,
        id: String,
        what: &'static str,
        count: usize,
    },
}

/// Most signature lines, regexes, and examples one rule may have (each
/// kind counted apart). Every signature line is a check the matcher may
/// compile and run on every failure line: 60,000 of them in one 4 MiB file
/// took a minute and 3.7 GB. The largest real rule has 13 signature lines.
pub const MAX_RULE_CHECKS: usize = 256;

/// Refuses a rule with more checks of a kind than [`MAX_RULE_CHECKS`].
fn check_bounds(rule: &Rule, path: &Path) -> Result<(), RulebookError> {
    let signature_lines = rule
        .signatures
        .iter()
        .flat_map(|s| s.lines())
        .filter(|l| !l.trim().is_empty())
        .count();
    let regexes = rule.patterns.len() + rule.require.len() + rule.exclude.len();
    let examples = rule.examples.must_match.len() + rule.examples.must_not_match.len();
    for (what, count) in [
        ("signature lines", signature_lines),
        ("regexes (patterns, require, exclude)", regexes),
        ("examples", examples),
    ] {
        if count > MAX_RULE_CHECKS {
            return Err(RulebookError::TooManyChecks {
                path: path.to_path_buf(),
                id: rule.id.clone(),
                what,
                count,
            });
        }
    }
    Ok(())
}

/// Largest rule file read or written. Every rule is compiled into the
/// matcher and indexed for search, so one enormous file slowed every
/// command (a 50 MB one took 20 s to load); the largest real rule is 11 KB.
pub const MAX_RULE_FILE_BYTES: u64 = 4 << 20;

/// `4.0 MiB`, `120 KiB`, `17 bytes`: sizes in messages.
pub fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1 << 10;
    const MIB: u64 = 1 << 20;
    match n {
        n if n >= MIB => format!("{:.1} MiB", n as f64 / MIB as f64),
        n if n >= KIB => format!("{} KiB", n / KIB),
        n => format!("{n} bytes"),
    }
}

/// Reads a rule file, refusing one over [`MAX_RULE_FILE_BYTES`] before
/// reading it.
pub fn read_rule_file(path: &Path) -> Result<String, RulebookError> {
    let read_error = |source| RulebookError::Read {
        path: path.to_path_buf(),
        source,
    };
    let size = fs::metadata(path).map_err(read_error)?.len();
    if size > MAX_RULE_FILE_BYTES {
        return Err(RulebookError::TooLarge {
            path: path.to_path_buf(),
            size,
        });
    }
    fs::read_to_string(path).map_err(read_error)
}

/// What `write_rule` did with one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Created,
    Updated,
    Unchanged,
    /// The file on disk was edited by a person (or written by hand): kept.
    KeptEdited,
}

/// A rule together with the file it came from (`None` for embedded rules
/// whose name is still given as `origin`).
#[derive(Debug, Clone)]
pub struct LoadedRule {
    pub rule: Rule,
    pub origin: String,
}

const DIGEST_KEY: &str = "generated = ";

/// File name for a rule id: ids may contain `#` (table rows) and, from
/// file names, characters that are awkward in file names (spaces, even
/// newlines). Injective, so that two ids never share a file: letters,
/// digits, `-`, `_` and `.` stand for themselves, `#` is written `@`, and
/// every other character as `%` and the hex of its UTF-8 bytes (`a b` is
/// `a%20b`, where it once was `a_b`, the name of `a_b` too).
pub fn file_name(id: &str) -> String {
    let mut safe = String::with_capacity(id.len() + 5);
    for c in id.chars() {
        if c.is_alphanumeric() || "-_.".contains(c) {
            safe.push(c);
        } else if c == '#' {
            safe.push('@');
        } else {
            let mut utf8 = [0; 4];
            for byte in c.encode_utf8(&mut utf8).bytes() {
                safe.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    safe.push_str(".toml");
    safe
}

/// Text for a TOML comment: one line, control characters written as
/// escapes (a file name may hold a newline, which would end the comment
/// and leave the rest of the name as TOML).
fn comment_text(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// The TOML text of a generated rule, digest included. Deterministic: the
/// same rule always gives the same bytes.
pub fn render(rule: &Rule, path: &Path) -> Result<String, RulebookError> {
    let mut rule = rule.clone();
    rule.generated.clear();
    let body = toml::to_string_pretty(&rule).map_err(|e| RulebookError::Serialise {
        path: path.to_path_buf(),
        id: rule.id.clone(),
        message: e.to_string(),
    })?;
    let header = format!(
        "# Rule generated by `triage ingest` from {}.\n# Edit freely: an edited file is kept on re-ingest (unless --force).\n",
        if rule.source.is_empty() { "an article".to_string() } else { comment_text(&rule.source) }
    );
    let body = insert_digest_line(&format!("{header}{body}"), "");
    let digest = digest_of(&body);
    Ok(insert_digest_line(&body, &digest))
}

/// The digest line goes right before `id`, the first key: a position that
/// can never fall inside a multi-line string, where a later line might.
fn insert_digest_line(text: &str, digest: &str) -> String {
    let mut out = String::with_capacity(text.len() + 80);
    let mut placed = false;
    for line in text.lines().filter(|l| !l.starts_with(DIGEST_KEY)) {
        if !placed && line.starts_with("id = ") {
            out.push_str(&format!("{DIGEST_KEY}\"{digest}\"\n"));
            placed = true;
        }
        out.push_str(line);
        out.push('\n');
    }
    if !placed {
        out.push_str(&format!("{DIGEST_KEY}\"{digest}\"\n"));
    }
    out
}

/// Digest of a file's content with its digest line blanked, so that the
/// digest can live inside the content it covers.
fn digest_of(text: &str) -> String {
    let mut hasher = Sha256::new();
    for line in text.lines() {
        if line.starts_with(DIGEST_KEY) {
            continue;
        }
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
    }
    let hex: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{}", &hex[..32])
}

/// Whether a file on disk is still exactly what ingest generated.
pub fn is_pristine(text: &str) -> bool {
    let stored = text
        .lines()
        .find_map(|l| l.strip_prefix(DIGEST_KEY))
        .map(|v| v.trim().trim_matches('"').to_string());
    match stored {
        Some(d) if !d.is_empty() => d == digest_of(text),
        _ => false,
    }
}

/// Write one rule into `dir`, keeping a file a person edited unless `force`.
pub fn write_rule(dir: &Path, rule: &Rule, force: bool) -> Result<WriteOutcome, RulebookError> {
    let path = dir.join(file_name(&rule.id));
    check_bounds(rule, &path)?;
    let text = render(rule, &path)?;
    if text.len() as u64 > MAX_RULE_FILE_BYTES {
        return Err(RulebookError::TooLarge {
            path,
            size: text.len() as u64,
        });
    }
    let outcome = match fs::read_to_string(&path) {
        Ok(existing) if existing == text => return Ok(WriteOutcome::Unchanged),
        Ok(existing) if !force && !is_pristine(&existing) => return Ok(WriteOutcome::KeptEdited),
        Ok(_) => WriteOutcome::Updated,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => WriteOutcome::Created,
        Err(source) => return Err(RulebookError::Read { path, source }),
    };
    // Write beside and rename, so an interrupted run never leaves half a file.
    let tmp = path.with_extension("toml.tmp");
    fs::write(&tmp, &text).map_err(|source| RulebookError::Write {
        path: tmp.clone(),
        source,
    })?;
    fs::rename(&tmp, &path).map_err(|source| RulebookError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(outcome)
}

/// Parse one rule file's text; errors carry the line and column.
/// Parse one rule file's text; errors carry the line and column. A rule
/// over [`MAX_RULE_CHECKS`] is refused.
pub fn parse_rule(text: &str, path: &Path) -> Result<Rule, RulebookError> {
    let rule = toml::from_str::<Rule>(text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
        RulebookError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().to_string(),
        }
    })?;
    check_bounds(&rule, path)?;
    Ok(rule)
}

pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The `*.toml` files of a rules directory (recursively), sorted by path so
/// that load order, and thus tie-breaking, is stable.
pub fn rule_files(dir: &Path) -> Result<Vec<PathBuf>, RulebookError> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(true) {
        let entry = entry.map_err(|e| RulebookError::Read {
            path: e
                .path()
                .map_or_else(|| dir.to_path_buf(), Path::to_path_buf),
            source: e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("directory loop")),
        })?;
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|x| x == "toml") {
            files.push(entry.into_path());
        }
    }
    // Every search lists the directory to see whether its cache is current,
    // and comparing paths component by component (or walkdir's sorting by
    // file name, which parses each path again per comparison) was a tenth
    // of a search. Comparing the bytes with separators as 0, which sorts
    // before every byte of a name, is the same order.
    files.sort_by_cached_key(|path| {
        let mut key = path.as_os_str().as_encoded_bytes().to_vec();
        for byte in &mut key {
            if std::path::is_separator(char::from(*byte)) {
                *byte = 0;
            }
        }
        key
    });
    Ok(files)
}

/// Load every rule of a directory. The first bad file fails the load: a
/// knowledge base that silently drops a rule would hide its diagnosis.
pub fn load_dir(dir: &Path) -> Result<Vec<LoadedRule>, RulebookError> {
    let files = rule_files(dir)?;
    if files.is_empty() {
        return Err(RulebookError::Empty(dir.to_path_buf()));
    }
    files
        .into_iter()
        .map(|path| {
            let text = read_rule_file(&path)?;
            let rule = parse_rule(&text, &path)?;
            Ok(LoadedRule {
                rule,
                origin: path.display().to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_files_come_in_path_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "b.toml",
            "a-b/x.toml",
            "a/z.toml",
            "a/y/w.toml",
            "a.toml",
            "A.toml",
            "a/note.md",
            "é.toml",
            "a0.toml",
        ] {
            let path = dir.path().join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, "").unwrap();
        }
        let files = rule_files(dir.path()).unwrap();
        let mut sorted = files.clone();
        sorted.sort();
        assert_eq!(files, sorted);
        assert_eq!(files.len(), 8);
    }

    fn sample() -> Rule {
        Rule {
            id: "kb#12".into(),
            title: "Sample".into(),
            signatures: vec!["Something <*> failed".into()],
            steps: vec!["Do this.".into(), "Then that.".into()],
            issue: super::super::rule::Issue {
                text: "It breaks.".into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn rendered_rule_is_pristine_and_round_trips() {
        let text = render(&sample(), Path::new("x.toml")).unwrap();
        assert!(is_pristine(&text));
        let back = parse_rule(&text, Path::new("x.toml")).unwrap();
        assert_eq!(back.steps, sample().steps);
        assert!(back.generated.starts_with("sha256:"));
        let edited = text.replace("Then that.", "Then that, carefully.");
        assert!(!is_pristine(&edited));
    }

    #[test]
    fn edited_file_is_kept_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            write_rule(dir.path(), &sample(), false).unwrap(),
            WriteOutcome::Created
        );
        assert_eq!(
            write_rule(dir.path(), &sample(), false).unwrap(),
            WriteOutcome::Unchanged
        );
        let path = dir.path().join(file_name("kb#12"));
        let edited = fs::read_to_string(&path)
            .unwrap()
            .replace("Do this.", "Do this first.");
        fs::write(&path, &edited).unwrap();
        assert_eq!(
            write_rule(dir.path(), &sample(), false).unwrap(),
            WriteOutcome::KeptEdited
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), edited);
        assert_eq!(
            write_rule(dir.path(), &sample(), true).unwrap(),
            WriteOutcome::Updated
        );
        assert!(fs::read_to_string(&path).unwrap().contains("\"Do this.\""));
    }

    #[test]
    fn parse_error_names_line() {
        let err = parse_rule(
            "id = \"a\"\ntitle = \"b\"\nsteps = 3\n",
            Path::new("r.toml"),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("r.toml:3:"), "{msg}");
    }

    #[test]
    fn file_names_are_injective_and_ordinary_ids_keep_theirs() {
        assert_eq!(
            file_name("composer-auth_keys.v2"),
            "composer-auth_keys.v2.toml"
        );
        assert_eq!(file_name("error-codes#11"), "error-codes@11.toml");
        assert_eq!(file_name("café"), "café.toml");
        let ids = [
            "a b", "a_b", "a#b", "a@b", "a%40b", "a%b", "a\nb", "a/b", "a\\b", "a:b",
        ];
        let names: std::collections::HashSet<String> = ids.iter().map(|id| file_name(id)).collect();
        assert_eq!(names.len(), ids.len(), "{names:?}");
        for name in &names {
            assert!(
                name.chars()
                    .all(|c| c.is_alphanumeric() || "-_.@%".contains(c)),
                "{name:?}"
            );
        }
    }

    #[test]
    fn a_source_with_a_newline_gives_a_valid_rule_file() {
        let rule = Rule {
            id: "evil\nid = \"x\"".into(),
            source: "dir/evil\n[examples]\nname.md".into(),
            ..sample()
        };
        let text = render(&rule, Path::new("x.toml")).unwrap();
        let back = parse_rule(&text, Path::new("x.toml")).unwrap();
        assert_eq!(back.id, rule.id);
        assert_eq!(back.source, rule.source);
        assert!(
            text.starts_with(
                "# Rule generated by `triage ingest` from dir/evil\\n[examples]\\nname.md.\n"
            ),
            "{text}"
        );
        assert!(is_pristine(&text));
    }

    #[test]
    fn rule_files_over_the_limit_are_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.toml");
        fs::File::create(&big)
            .unwrap()
            .set_len(MAX_RULE_FILE_BYTES + 1)
            .unwrap();
        let err = load_dir(dir.path()).unwrap_err();
        assert!(matches!(err, RulebookError::TooLarge { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with(&format!("{}: 4.0 MiB", big.display())),
            "{err}"
        );
        let huge = Rule {
            steps: vec!["x".repeat(MAX_RULE_FILE_BYTES as usize)],
            ..sample()
        };
        let err = write_rule(dir.path(), &huge, false).unwrap_err();
        assert!(matches!(err, RulebookError::TooLarge { .. }), "{err}");
        assert!(!dir.path().join(file_name("kb#12")).exists());
    }

    #[test]
    fn rules_with_too_many_checks_are_refused_when_read_and_written() {
        let many = Rule {
            signatures: vec![(0..=MAX_RULE_CHECKS)
                .map(|i| format!("Widget {i} exploded at dial <*>"))
                .collect::<Vec<_>>()
                .join("\n")],
            ..sample()
        };
        let dir = tempfile::tempdir().unwrap();
        let err = write_rule(dir.path(), &many, false).unwrap_err();
        assert!(
            err.to_string().ends_with(&format!(
                "rule \"kb#12\" has 257 signature lines, over the limit of {MAX_RULE_CHECKS} for one rule"
            )),
            "{err}"
        );
        let text = render(&many, Path::new("x.toml")).unwrap();
        assert!(matches!(
            parse_rule(&text, Path::new("x.toml")),
            Err(RulebookError::TooManyChecks { count: 257, .. })
        ));
        let at_limit = Rule {
            patterns: vec!["x".into(); MAX_RULE_CHECKS],
            ..sample()
        };
        assert!(write_rule(dir.path(), &at_limit, false).is_ok());
    }
}
