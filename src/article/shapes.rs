//! How troubleshooting writing is shaped when it has no Issue / Cause /
//! Solution headings: an error message as a title, a command and its output
//! in a code block, imperative steps, "This error means ..." sentences.
//!
//! The words are data (`knowledge/writing-shapes.toml`, embedded at build
//! time): general conventions of technical English, never one publisher's.
//! This module only knows how to apply them.

use regex::Regex;
use serde::Deserialize;

use crate::lazy::lazy;

const BUNDLED: &str = include_str!("../../knowledge/writing-shapes.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShapesFile {
    error_labels: Vec<String>,
    problem_words: Vec<String>,
    solution_heading_starts: Vec<String>,
    imperative_verbs: Vec<String>,
    cause_nouns: Vec<String>,
    cause_verbs: Vec<String>,
    command_prompts: Vec<String>,
    output_markers: Vec<String>,
    placeholder_nouns: Vec<String>,
    placeholder_prefixes: Vec<String>,
}

struct Shapes {
    /// `label:` at the start of a title, the label captured.
    error_label: Regex,
    problem: Regex,
    solution_heading: Regex,
    imperative: Regex,
    cause: Regex,
    prompts: Vec<String>,
    output_markers: Vec<String>,
    placeholder: String,
}

fn alternatives(words: &[String]) -> String {
    let mut words: Vec<&String> = words.iter().collect();
    // Longest first, so "make sure" is tried before "make".
    words.sort_by_key(|w| std::cmp::Reverse(w.len()));
    words
        .iter()
        .map(|w| regex::escape(w).replace(' ', r"\s+"))
        .collect::<Vec<_>>()
        .join("|")
}

lazy! {
    static SHAPES: Shapes = {
        let file: ShapesFile = toml::from_str(BUNDLED).expect("knowledge/writing-shapes.toml");
        let regex = |pattern: String| Regex::new(&pattern).expect("writing-shapes regex");
        Shapes {
            error_label: regex(format!(
                r"^(?i:({}))\s*(?:\([^)]*\)\s*)?:\s*(\S.*)$",
                alternatives(&file.error_labels)
            )),
            problem: regex(format!(r"(?i)\b(?:{})\b", alternatives(&file.problem_words))),
            solution_heading: regex(format!(
                r"(?i)^(?:{})\b",
                alternatives(&file.solution_heading_starts)
            )),
            imperative: regex(format!(
                r"(?i)^(?:please\s+|first,?\s+|then,?\s+|next,?\s+|also,?\s+|finally,?\s+)?(?:{})\b",
                alternatives(&file.imperative_verbs)
            )),
            cause: regex(format!(
                r"(?i)\b(?:{})\b[^.!?]{{0,12}}?\s(?:{})\b",
                alternatives(&file.cause_nouns),
                alternatives(&file.cause_verbs)
            )),
            prompts: file.command_prompts,
            output_markers: file.output_markers,
            placeholder: placeholder_pattern(&file.placeholder_nouns, &file.placeholder_prefixes),
        }
    };
}

/// `user/repo`, `other-user`, `[name]`, `[...]`: see `placeholder_nouns`
/// in the data file. Lower case and ASCII only.
fn placeholder_pattern(nouns: &[String], prefixes: &[String]) -> String {
    let noun = format!("(?:{})", alternatives(nouns));
    let prefix = format!("(?:{})[-_]", alternatives(prefixes));
    let word = format!("(?:{prefix})?{noun}");
    format!(
        r"(?-u:\b)(?:{prefix}{noun}(?:/{word})*|{noun}(?:/{word})+)(?-u:\b)|\[(?:\.\.\.|…|(?:{prefix}|(?:{})\s)?{noun})\]",
        alternatives(prefixes)
    )
}

/// The regular expression of a placeholder in a quoted message.
pub fn placeholder() -> &'static str {
    &SHAPES.placeholder
}

/// The error message a title or heading is, without the writer's label:
/// "Error: Permission denied (publickey)" is "Permission denied
/// (publickey)"; "fatal: not a git repository" is itself, as a program
/// prints it. `None` for a title that is not an error message.
pub fn error_message(title: &str) -> Option<String> {
    let title = title.trim();
    let caps = SHAPES.error_label.captures(title)?;
    let label = &caps[1];
    let message = caps[2].trim();
    if message.chars().filter(|c| c.is_alphabetic()).count() < 6 {
        return None;
    }
    let mut chars = label.chars();
    let capitalised = chars.next().is_some_and(char::is_uppercase)
        && chars.clone().any(char::is_lowercase)
        && chars.all(|c| !c.is_uppercase());
    Some(if capitalised {
        message.to_string()
    } else {
        title.to_string()
    })
}

/// A heading that states a problem: an error message, error words
/// ("failed", "not found"), or a problem word ("expired", "not properly").
pub fn is_problem_heading(text: &str) -> bool {
    error_message(text).is_some()
        || super::sections::looks_like_error(text)
        || SHAPES.problem.is_match(text)
}

/// A heading over the fix: "Solving the issue", "Try ...", or a step
/// itself ("Check your permissions", "Use HTTPS").
pub fn is_solution_heading(text: &str) -> bool {
    let text = text.trim();
    SHAPES.solution_heading.is_match(text) || is_imperative(text)
}

/// Text that starts as an instruction: "Check ...", "Make sure ...".
pub fn is_imperative(text: &str) -> bool {
    SHAPES.imperative.is_match(text.trim_start())
}

/// The sentences of `text` that explain a cause ("This error means that
/// ...", "The problem occurs when ...").
pub fn cause_sentences(text: &str) -> Vec<String> {
    sentences(text)
        .into_iter()
        .filter(|s| SHAPES.cause.is_match(s))
        .collect()
}

fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '!' | '?') && bytes.get(i + 1).is_none_or(|b| b.is_ascii_whitespace())
        {
            let s = text[start..=i].trim();
            if !s.is_empty() {
                out.push(s.to_string());
            }
            start = i + 1;
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest.to_string());
    }
    out
}

/// A code block read as a terminal transcript: the lines a program printed,
/// without the commands typed and without the writer's output marker.
/// `None` when the block shows no command prompt and no output marker, so
/// nothing tells output from input.
pub fn transcript_output(code: &str) -> Option<Vec<String>> {
    let shapes = &*SHAPES;
    let lines: Vec<&str> = code.lines().filter(|l| !l.trim().is_empty()).collect();
    let prompt = |l: &str| shapes.prompts.iter().any(|p| l.starts_with(p.as_str()));
    fn marked<'l>(shapes: &Shapes, l: &'l str) -> Option<&'l str> {
        shapes
            .output_markers
            .iter()
            .find_map(|m| l.strip_prefix(m.as_str()))
    }
    let has_prompt = lines.iter().any(|l| prompt(l));
    let has_marker = lines
        .iter()
        .any(|l| marked(shapes, l).is_some() && !prompt(l));
    if !has_prompt && !has_marker {
        return None;
    }
    let mut output = Vec::new();
    for line in lines {
        if prompt(line) || line.trim_start().starts_with('#') {
            continue;
        }
        if let Some(rest) = marked(shapes, line) {
            output.push(rest.trim_end().to_string());
        } else if has_prompt {
            output.push(line.trim_end().to_string());
        }
    }
    Some(output)
}

/// The error lines a transcript's output shows, as one quoted block.
pub fn transcript_errors(code: &str) -> Option<String> {
    let errors: Vec<String> = transcript_output(code)?
        .into_iter()
        .filter(|l| super::sections::looks_like_error(l))
        .collect();
    (!errors.is_empty()).then(|| errors.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_word_lists_parse() {
        let file: ShapesFile = toml::from_str(BUNDLED).unwrap();
        assert!(!file.imperative_verbs.is_empty());
    }

    #[test]
    fn a_title_that_is_an_error_message() {
        assert_eq!(
            error_message("Error: Widget denied (token)").as_deref(),
            Some("Widget denied (token)")
        );
        assert_eq!(
            error_message("fatal: not a widget repository").as_deref(),
            Some("fatal: not a widget repository")
        );
        assert_eq!(
            error_message("ERROR: widget store unreachable").as_deref(),
            Some("ERROR: widget store unreachable")
        );
        assert_eq!(
            error_message("Troubleshooting: Gadget already exists").as_deref(),
            Some("Gadget already exists")
        );
        assert_eq!(error_message("Error: Bad"), None);
        assert_eq!(error_message("Widgets and gadgets"), None);
        assert_eq!(error_message("Errors in widgets"), None);
    }

    #[test]
    fn problem_and_solution_headings() {
        assert!(is_problem_heading("Error: Widget not found"));
        assert!(is_problem_heading("Invalid widget language"));
        assert!(is_problem_heading("Gadget tag not properly closed"));
        assert!(is_problem_heading("Token expired due to lack of use"));
        assert!(!is_problem_heading("About widgets"));
        assert!(is_solution_heading("Solving the issue"));
        assert!(is_solution_heading("Check your widget version"));
        assert!(is_solution_heading("Make sure you have a key"));
        assert!(is_solution_heading("Use HTTPS instead"));
        assert!(!is_solution_heading("About the widget error"));
        assert!(!is_solution_heading("Usernames and passwords"));
    }

    #[test]
    fn cause_sentences_are_found() {
        assert_eq!(
            cause_sentences(
                "Widgets are great. A \"Widget denied\" error means that the server refused you. See more."
            ),
            ["A \"Widget denied\" error means that the server refused you."]
        );
        assert_eq!(
            cause_sentences("This problem usually occurs when the cache is full."),
            ["This problem usually occurs when the cache is full."]
        );
        assert!(cause_sentences("The error message is shown below.").is_empty());
    }

    #[test]
    fn transcript_output_and_errors() {
        let block = "# start it\n$ widget push origin\n> Counting objects: 3\n> error: widget refused to push\n";
        assert_eq!(
            transcript_output(block).unwrap(),
            ["Counting objects: 3", "error: widget refused to push"]
        );
        assert_eq!(
            transcript_errors(block).as_deref(),
            Some("error: widget refused to push")
        );
        assert_eq!(
            transcript_errors("$ widget push\nfatal: could not read from remote\n").as_deref(),
            Some("fatal: could not read from remote")
        );
        assert_eq!(
            transcript_errors("> Permission denied (widget).").as_deref(),
            Some("Permission denied (widget).")
        );
        assert_eq!(transcript_output("widget push --force\n"), None);
    }

    #[test]
    fn placeholders_in_lower_case() {
        let re = Regex::new(placeholder()).unwrap();
        let replaced = |t: &str| re.replace_all(t, "<*>").into_owned();
        assert_eq!(
            replaced("Permission to user/repo denied to other-user"),
            "Permission to <*> denied to <*>"
        );
        assert_eq!(replaced("No such remote '[name]'"), "No such remote '<*>'");
        assert_eq!(replaced("see path/to/file now"), "see <*> now");
        assert_eq!(
            replaced("the git user and the repo"),
            "the git user and the repo"
        );
        assert_eq!(replaced("acme/widget-gadget"), "acme/widget-gadget");
    }
}
