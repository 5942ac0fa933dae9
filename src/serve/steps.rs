//! A rule's steps as an outline for a page, numbered as `triage show`
//! numbers them (`report::numbered_steps`): a step that is a sub-section
//! heading ("Optional sub-procedure:") is a heading, unnumbered, and the
//! numbers go on across headings; a step's nested list items (written by
//! ingest as indented `1.` or `-` lines) are nested lists.

use crate::report::is_step_heading;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Entry {
    Heading(String),
    Step {
        number: usize,
        text: String,
        items: Vec<Item>,
    },
}

/// A line inside a step: a nested list item (with its own nested items),
/// or a line of text (a command, a continued sentence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Item {
    pub kind: Kind,
    pub text: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Numbered,
    Bullet,
    Text,
}

pub(super) fn outline(steps: &[String]) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut number = 0;
    for step in steps {
        if is_step_heading(step) {
            out.push(Entry::Heading(step.trim_end_matches(':').to_string()));
            continue;
        }
        number += 1;
        let mut lines = step.lines();
        let text = lines.next().unwrap_or("").to_string();
        out.push(Entry::Step {
            number,
            text,
            items: nest(lines),
        });
    }
    out
}

/// The lines after a step's first, as a tree by their indentation (two
/// spaces a level, as ingest writes them).
fn nest<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<Item> {
    // The open items from the top level down, with their depth.
    let mut root: Vec<Item> = Vec::new();
    let mut depths: Vec<usize> = Vec::new();
    for line in lines {
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let depth = (indent / 2).max(1);
        let (kind, text) = marker(line.trim_start());
        let item = Item {
            kind,
            text: text.to_string(),
            items: Vec::new(),
        };
        while depths.last().is_some_and(|&d| d >= depth) {
            depths.pop();
        }
        let parent = descend(&mut root, depths.len());
        parent.push(item);
        depths.push(depth);
    }
    root
}

/// The children list `level` levels down the last items of `root`.
fn descend(root: &mut Vec<Item>, level: usize) -> &mut Vec<Item> {
    if level == 0 || root.is_empty() {
        return root;
    }
    let last = root.len() - 1;
    descend(&mut root[last].items, level - 1)
}

/// A list marker at the start of `line` (`12. `, `- `, `* `), and the text
/// after it.
fn marker(line: &str) -> (Kind, &str) {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && line[digits..].starts_with(". ") {
        return (Kind::Numbered, line[digits + 2..].trim_start());
    }
    for bullet in ["- ", "* "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return (Kind::Bullet, rest.trim_start());
        }
    }
    (Kind::Text, line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: Kind, text: &str, items: Vec<Item>) -> Item {
        Item {
            kind,
            text: text.into(),
            items,
        }
    }

    #[test]
    fn headings_break_the_list_and_numbers_go_on() {
        let steps = vec![
            "Stop cron.".to_string(),
            "Optional sub-procedure:".to_string(),
            "Disable the module.".to_string(),
        ];
        assert_eq!(
            outline(&steps),
            vec![
                Entry::Step {
                    number: 1,
                    text: "Stop cron.".into(),
                    items: vec![]
                },
                Entry::Heading("Optional sub-procedure".into()),
                Entry::Step {
                    number: 2,
                    text: "Disable the module.".into(),
                    items: vec![]
                },
            ]
        );
    }

    #[test]
    fn indented_items_nest() {
        let step = "Pick one:\n  1. Raise the limit:\n    - in php.ini\n    - in .user.ini\n  2. Or split the import.\n  composer install\nNo indent".to_string();
        let Entry::Step { text, items, .. } = &outline(&[step])[0] else {
            panic!("a step");
        };
        assert_eq!(text, "Pick one:");
        assert_eq!(
            items,
            &vec![
                item(
                    Kind::Numbered,
                    "Raise the limit:",
                    vec![
                        item(Kind::Bullet, "in php.ini", vec![]),
                        item(Kind::Bullet, "in .user.ini", vec![]),
                    ]
                ),
                item(Kind::Numbered, "Or split the import.", vec![]),
                item(Kind::Text, "composer install", vec![]),
                item(Kind::Text, "No indent", vec![]),
            ]
        );
    }

    #[test]
    fn a_deeper_first_line_still_finds_a_place() {
        let step = "Do it:\n      - very deep\n  - shallow".to_string();
        let Entry::Step { items, .. } = &outline(&[step])[0] else {
            panic!("a step");
        };
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].text, "very deep");
        assert_eq!(items[1].text, "shallow");
    }
}
