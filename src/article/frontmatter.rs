//! YAML front matter, parsed by `gray_matter`. Only the fields the article
//! model uses are read; everything else is ignored.
//!
//! Publishers name the same things differently: the summary is
//! `description`, `intro` or `summary`; labels are `labels`, `feature` or
//! `topics`. A shorter title (`shortTitle`, `short_title`) is another name
//! people search by. Values may hold template syntax, taken out as in the
//! body (see `template`). Not read: `redirect_from` (the publisher's old
//! addresses) and `versions` (its own edition codes), which say nothing
//! about the problem.

use crate::lazy::lazy;

use std::collections::{HashMap, HashSet};

use gray_matter::engine::YAML;
use gray_matter::{Matter, Pod};
use regex::Regex;
use yaml_rust2::parser::Parser;
use yaml_rust2::Event;

use super::inline::clean;
use super::model::FrontMatter;

const DELIMITER: &str = "---";

/// Most nodes front matter may stand for, each alias counted at the size of
/// what it names. Real front matter has a few dozen.
pub const MAX_YAML_NODES: usize = 10_000;

/// Deepest nesting of front matter collections (its readers recurse).
pub const MAX_YAML_DEPTH: usize = 64;

lazy! {
    static YAML_LINE: Regex = Regex::new(r"line (\d+)").expect("valid regex");
}

/// A file split into its front matter (if any) and body.
#[derive(Debug)]
pub struct Split {
    pub front: Option<FrontMatter>,
    pub body: String,
}

/// Broken front matter, with the 1-based line of the file where it was found.
#[derive(Debug, PartialEq, Eq)]
pub struct FrontMatterError {
    pub line: usize,
    pub message: String,
}

pub fn split(text: &str) -> Result<Split, FrontMatterError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines();
    if lines.next().map(str::trim_end) != Some(DELIMITER) {
        return Ok(Split {
            front: None,
            body: text.to_string(),
        });
    }
    // gray_matter treats an unclosed block as "no front matter" and would
    // hand the YAML to the body parser; that is a broken file, not an article.
    let Some(close) = lines.position(|l| l.trim_end() == DELIMITER) else {
        return Err(FrontMatterError {
            line: 1,
            message: "front matter opened with `---` is never closed".into(),
        });
    };
    let matter_lines: Vec<&str> = text.lines().skip(1).take(close).collect();
    check_size(&matter_lines.join("\n"))?;
    // gray_matter trims the block before YAML sees it, so YAML's line numbers
    // start at the first non-blank line.
    let leading_blank = matter_lines
        .iter()
        .take_while(|l| l.trim().is_empty())
        .count();

    let matter = Matter::<YAML>::new();
    let parsed = matter
        .parse::<Pod>(text)
        .or_else(|err| match requote_plain_values(&matter_lines) {
            // Exports write `title: Error 500: ...` unquoted, which YAML
            // rejects; quoting those values is what the author meant.
            Some(repaired) => {
                let mut fixed = String::from("---\n");
                fixed.push_str(&repaired);
                fixed.push('\n');
                fixed.extend(text.lines().skip(1 + close).map(|l| format!("{l}\n")));
                matter.parse::<Pod>(&fixed).map_err(|_| err)
            }
            None => Err(err),
        })
        .map_err(|err| {
            let message = err.to_string();
            let yaml_line = YAML_LINE
                .captures(&message)
                .and_then(|c| c[1].parse::<usize>().ok())
                .unwrap_or(0);
            FrontMatterError {
                // +1 for the opening `---`; YAML counts lines from 1.
                line: 1 + leading_blank + yaml_line.max(1),
                message,
            }
        })?;

    let front = match parsed.data {
        None | Some(Pod::Null) => FrontMatter::default(),
        Some(Pod::Hash(map)) => {
            let text_field = |key: &str| {
                map.get(key)
                    .and_then(scalar)
                    .map(|s| clean(&super::template::strip(&s)))
                    .filter(|s| !s.is_empty())
            };
            let first_field = |keys: &[&str]| keys.iter().find_map(|k| text_field(k));
            let mut labels = Vec::new();
            let mut seen = HashSet::new();
            for key in ["labels", "feature", "topics"] {
                if let Some(value) = map.get(key) {
                    push_labels(value, &mut labels, &mut seen);
                }
            }
            FrontMatter {
                title: text_field("title"),
                short_title: first_field(&["shortTitle", "short_title"]),
                link: text_field("link"),
                description: first_field(&["description", "intro", "summary"]),
                labels,
            }
        }
        Some(_) => {
            return Err(FrontMatterError {
                line: 2 + leading_blank,
                message: "front matter is not a mapping of fields".into(),
            })
        }
    };
    Ok(Split {
        front: Some(front),
        body: parsed.content,
    })
}

/// Front matter is small, but YAML aliases (`*a`) are loaded as copies of
/// what they name, so nine lines can stand for billions of nodes (an alias
/// bomb), all built even under a key nobody reads. Counted on the parser's
/// events before anything is loaded, in one pass: every node once, an alias
/// at the size of its anchor. Syntax errors are left to the loader, which
/// words them.
fn check_size(yaml: &str) -> Result<(), FrontMatterError> {
    let mut parser = Parser::new_from_str(yaml);
    // Expanded size of each anchor seen.
    let mut sizes: HashMap<usize, usize> = HashMap::new();
    // Open collections: their anchor and expanded size so far.
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut total: usize = 0;
    loop {
        let Ok((event, mark)) = parser.next_token() else {
            return Ok(());
        };
        let error = |message: String| FrontMatterError {
            // +1 for the opening `---`.
            line: 1 + mark.line().max(1),
            message,
        };
        let (size, anchor) = match event {
            Event::StreamEnd => return Ok(()),
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                open.push((anchor, 1));
                total += 1;
                if open.len() > MAX_YAML_DEPTH {
                    return Err(error(format!(
                        "front matter nests more than {MAX_YAML_DEPTH} deep"
                    )));
                }
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some((anchor, size)) = open.pop() else {
                    continue;
                };
                (size, anchor)
            }
            Event::Scalar(_, _, anchor, _) => {
                total += 1;
                (1, anchor)
            }
            Event::Alias(id) => {
                let size = sizes.get(&id).copied().unwrap_or(1);
                total = total.saturating_add(size);
                (size, 0)
            }
            _ => continue,
        };
        if total > MAX_YAML_NODES {
            return Err(error(format!(
                "front matter stands for more than {MAX_YAML_NODES} values once its \
                 aliases are expanded (a YAML alias bomb?)"
            )));
        }
        if anchor > 0 {
            sizes.insert(anchor, size);
        }
        if let Some((_, count)) = open.last_mut() {
            *count = count.saturating_add(size);
        }
    }
}

lazy! {
    static KEY_VALUE: Regex = Regex::new(r"^([A-Za-z_][\w-]*):(\s+(.*))?$").expect("valid regex");
}

/// Re-quotes the values of a flat `key: value` block whose values are plain
/// text. Anything else (nesting, flow collections) is left for YAML to
/// judge, so genuinely broken front matter still fails.
fn requote_plain_values(lines: &[&str]) -> Option<String> {
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        if line.trim().is_empty() {
            out.push(String::new());
            continue;
        }
        let caps = KEY_VALUE.captures(line.trim_end())?;
        let value = caps.get(3).map_or("", |m| m.as_str()).trim();
        let balanced_quote = value.len() >= 2
            && ((value.starts_with('"') && value.ends_with('"'))
                || (value.starts_with('\'') && value.ends_with('\'')));
        if value.is_empty() || balanced_quote {
            out.push(line.to_string());
        } else if value.starts_with(['[', '{', '|', '>', '&', '*', '!']) {
            return None;
        } else {
            out.push(format!("{}: '{}'", &caps[1], value.replace('\'', "''")));
        }
    }
    Some(out.join("\n"))
}

fn scalar(pod: &Pod) -> Option<String> {
    match pod {
        Pod::String(s) => Some(s.clone()),
        Pod::Integer(i) => Some(i.to_string()),
        Pod::Float(f) => Some(f.to_string()),
        Pod::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Labels come as one comma-separated string or as a YAML list (nested no
/// deeper than [`MAX_YAML_DEPTH`]). `seen`: the labels kept, as a set.
fn push_labels(value: &Pod, labels: &mut Vec<String>, seen: &mut HashSet<String>) {
    match value {
        Pod::Array(items) => items.iter().for_each(|i| push_labels(i, labels, seen)),
        other => {
            if let Some(s) = scalar(other) {
                for label in s.split(',').map(clean).filter(|l| !l.is_empty()) {
                    if seen.insert(label.clone()) {
                        labels.push(label);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_splits_labels() {
        let split = split("---\ntitle: A title\nlabels: one, two,three\nfeature: Two words, one\nrole: x\n---\n<p>body</p>\n").unwrap();
        let front = split.front.unwrap();
        assert_eq!(front.title.as_deref(), Some("A title"));
        assert_eq!(front.labels, ["one", "two", "three", "Two words"]);
        assert_eq!(split.body.trim(), "<p>body</p>");
    }

    #[test]
    fn other_publishers_names_and_template_syntax() {
        let split = split(
            "---\ntitle: 'Error: {% data variables.product.name %} refuses the key'\n\
             intro: 'The server rejected your key.'\nshortTitle: Key refused\n\
             topics:\n  - SSH\nversions:\n  fpt: '*'\n---\nbody\n",
        )
        .unwrap();
        let front = split.front.unwrap();
        assert_eq!(front.title.as_deref(), Some("Error: refuses the key"));
        assert_eq!(
            front.description.as_deref(),
            Some("The server rejected your key.")
        );
        assert_eq!(front.short_title.as_deref(), Some("Key refused"));
        assert_eq!(front.labels, ["SSH"]);
    }

    #[test]
    fn no_front_matter() {
        let split = split("# Title\n\ntext\n").unwrap();
        assert!(split.front.is_none());
        assert!(split.body.starts_with("# Title"));
    }

    #[test]
    fn broken_yaml_reports_file_line() {
        let err = split("---\ntitle: ok\nlabels: [unclosed\nlink: x\n---\nbody\n").unwrap_err();
        assert!((3..=5).contains(&err.line), "{err:?}");
    }

    #[test]
    fn unquoted_colon_in_value_is_repaired() {
        let split =
            split("---\ntitle: Error 500: it broke\nlabels: a,\"b\" c\n---\nbody\n").unwrap();
        let front = split.front.unwrap();
        assert_eq!(front.title.as_deref(), Some("Error 500: it broke"));
        assert_eq!(front.labels, ["a", "\"b\" c"]);
    }

    #[test]
    fn unclosed_block_is_an_error() {
        assert_eq!(split("---\ntitle: x\n").unwrap_err().line, 1);
    }

    /// The nine-level "billion laughs": 9^9 values once expanded.
    pub(crate) fn alias_bomb() -> String {
        let mut yaml = String::from("---\ntitle: Bomb\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for pair in names.windows(2) {
            let refs = vec![format!("*{}", pair[0]); 9].join(",");
            yaml.push_str(&format!("{}: &{} [{refs}]\n", pair[1], pair[1]));
        }
        yaml.push_str("---\nbody\n");
        yaml
    }

    #[test]
    fn alias_bomb_is_refused_before_it_is_loaded() {
        let err = split(&alias_bomb()).unwrap_err();
        assert!(err.message.contains("aliases"), "{err:?}");
        // The line where the count went over: one of the alias lines.
        assert!((4..=10).contains(&err.line), "{err:?}");
    }

    #[test]
    fn aliases_of_ordinary_size_are_read() {
        let split = split(
            "---\ntitle: &t A title\ndescription: *t\nlabels: &l [a, b]\nfeature: *l\n---\nbody\n",
        )
        .unwrap();
        let front = split.front.unwrap();
        assert_eq!(front.description.as_deref(), Some("A title"));
        assert_eq!(front.labels, ["a", "b"]);
    }

    #[test]
    fn deep_front_matter_is_refused() {
        let deep = format!(
            "---\ntitle: x\nlabels: {}a{}\n---\nbody\n",
            "[".repeat(200),
            "]".repeat(200)
        );
        let err = split(&deep).unwrap_err();
        assert!(err.message.contains("nests more than"), "{err:?}");
        assert_eq!(err.line, 3);
        // Block style has no parser limit of its own.
        let mut block = String::from("---\ntitle: x\nlabels:\n");
        for i in 0..100 {
            block.push_str(&format!("{}- \n", "  ".repeat(i)));
        }
        block.push_str("---\nbody\n");
        assert!(split(&block)
            .unwrap_err()
            .message
            .contains("nests more than"));
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any front matter is read or refused with a line inside the file,
        /// without a panic, aliases and all.
        #[test]
        fn any_front_matter_is_read_or_refused(
            tokens in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(vec![
                        "title: ", "labels: ", "&a ", "&b ", "*a", "*b", "[", "]", "{", "}",
                        ", ", "- ", "\n", "  ", "'", "\"", ": ", "x", "<<: *a", "? ", "|\n",
                    ]).prop_map(str::to_string),
                    "[a-z ]{0,6}",
                ],
                0..200,
            ),
        ) {
            let matter: String = tokens.concat();
            let text = format!("---\n{matter}\n---\nbody\n");
            let lines = text.lines().count();
            if let Err(e) = split(&text) {
                proptest::prop_assert!((1..=lines).contains(&e.line), "{e:?} in {lines} lines");
            }
        }

        /// Plain `key: value` fields come back as written. (YAML reads a
        /// value that is a number or true/false/null as that: `0.` is 0.)
        #[test]
        fn plain_titles_are_read_back(
            title in "[A-Za-z][A-Za-z0-9 .:,()-]{0,40}[A-Za-z0-9.)]".prop_filter(
                "YAML keywords",
                |t| !["true", "false", "null"].contains(&t.to_lowercase().as_str()),
            )
        ) {
            let split = split(&format!("---\ntitle: {title}\n---\nbody\n")).unwrap();
            let want = clean(&title);
            proptest::prop_assert_eq!(split.front.unwrap().title, Some(want).filter(|t| !t.is_empty()));
        }

        /// Alias chains of any width and depth are counted, not expanded.
        #[test]
        fn alias_chains_are_bounded(width in 1usize..12, depth in 1usize..12) {
            let mut yaml = String::from("---\ntitle: t\nl0: &l0 x\n");
            for level in 1..=depth {
                let refs = vec![format!("*l{}", level - 1); width].join(", ");
                yaml.push_str(&format!("l{level}: &l{level} [{refs}]\n"));
            }
            yaml.push_str("---\nbody\n");
            let expanded: f64 = (0..=depth).map(|d| (width as f64).powi(d as i32)).sum();
            match split(&yaml) {
                Ok(_) => proptest::prop_assert!(expanded < 2.0 * MAX_YAML_NODES as f64),
                Err(e) => {
                    proptest::prop_assert!(e.message.contains("aliases"), "{e:?}");
                    proptest::prop_assert!(expanded > MAX_YAML_NODES as f64 / 2.0);
                }
            }
        }
    }
}
