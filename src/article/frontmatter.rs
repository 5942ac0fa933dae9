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

use gray_matter::engine::YAML;
use gray_matter::{Matter, Pod};
use regex::Regex;

use super::inline::clean;
use super::model::FrontMatter;

const DELIMITER: &str = "---";

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
            for key in ["labels", "feature", "topics"] {
                if let Some(value) = map.get(key) {
                    push_labels(value, &mut labels);
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

/// Labels come as one comma-separated string or as a YAML list.
fn push_labels(value: &Pod, labels: &mut Vec<String>) {
    match value {
        Pod::Array(items) => items.iter().for_each(|i| push_labels(i, labels)),
        other => {
            if let Some(s) = scalar(other) {
                for label in s.split(',').map(clean).filter(|l| !l.is_empty()) {
                    if !labels.contains(&label) {
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
}
