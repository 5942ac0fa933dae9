//! Pages that cover several problems, a heading each ("Troubleshooting
//! build errors": one section per error): each problem section becomes an
//! article of its own, `<page id>#<fragment>`, and the rest of the page
//! stays the page's article.

use super::model::{Block, Document, FrontMatter};
use super::sections::{classify_heading, Part};
use super::shapes;

/// Fewest problem headings at one level for a page to be split.
const MIN_PROBLEMS: usize = 2;

/// One problem section of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// What a browser links the section by: the publisher's anchor, else
    /// the heading's slug.
    pub fragment: String,
    pub title: String,
    pub blocks: Vec<Block>,
}

/// A page split into its problem sections and the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The page without its problem sections.
    pub page: Vec<Block>,
    pub sections: Vec<Section>,
}

/// A heading that states one problem of its own: an error message, or a
/// problem statement that is not the name of a part ("Cause", "Solution").
pub fn is_problem_section(heading: &str) -> bool {
    if shapes::error_message(heading).is_some() {
        return true;
    }
    matches!(classify_heading(heading), None | Some(Part::Issue))
        && shapes::is_problem_heading(heading)
        && !shapes::is_solution_heading(heading)
}

/// The heading slug GitHub and most static-site generators link by:
/// lower case, punctuation dropped, spaces as hyphens.
pub fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Splits `blocks` when, at one heading level (the highest such), at least
/// [`MIN_PROBLEMS`] headings state problems.
pub fn split(blocks: &[Block]) -> Option<Split> {
    let headings = || {
        blocks.iter().filter_map(|b| match b {
            Block::Heading { level, text, .. } if *level >= 2 => Some((*level, text.as_str())),
            _ => None,
        })
    };
    let level = (2..=6).find(|&l| {
        headings()
            .filter(|&(hl, text)| hl == l && is_problem_section(text))
            .count()
            >= MIN_PROBLEMS
    })?;
    // Fragments as a browser makes them: a repeated slug gets `-1`, `-2`.
    let mut used: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut page = Vec::new();
    let mut sections: Vec<Section> = Vec::new();
    let mut in_section = false;
    for block in blocks {
        if let Block::Heading {
            level: hl,
            text,
            anchor,
        } = block
        {
            let fragment = match anchor {
                Some(anchor) => anchor.clone(),
                None => {
                    let base = slug(text);
                    let n = used.entry(base.clone()).or_insert(0);
                    let fragment = if *n == 0 { base } else { format!("{base}-{n}") };
                    *n += 1;
                    fragment
                }
            };
            if *hl <= level && *hl >= 2 {
                in_section = *hl == level && is_problem_section(text) && !fragment.is_empty();
                if in_section {
                    sections.push(Section {
                        fragment,
                        title: text.clone(),
                        blocks: Vec::new(),
                    });
                    continue;
                }
            }
        }
        match sections.last_mut() {
            Some(section) if in_section => section.blocks.push(block.clone()),
            _ => page.push(block.clone()),
        }
    }
    // Two headings with one anchor would give two articles one id.
    let mut seen = std::collections::HashSet::new();
    sections.retain(|s| seen.insert(s.fragment.clone()));
    (sections.len() >= MIN_PROBLEMS).then_some(Split { page, sections })
}

/// The document of one section: its heading is its title.
pub fn section_document(doc: &Document, section: &Section) -> Document {
    Document {
        format: doc.format,
        front: FrontMatter {
            title: Some(section.title.clone()),
            short_title: None,
            link: doc.front.link.as_ref().map(|link| {
                format!(
                    "{}#{}",
                    link.split('#').next().unwrap_or(link),
                    section.fragment
                )
            }),
            description: None,
            labels: doc.front.labels.clone(),
        },
        blocks: section.blocks.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heading(level: u8, text: &str) -> Block {
        Block::Heading {
            level,
            text: text.into(),
            anchor: None,
        }
    }

    fn para(text: &str) -> Block {
        Block::Paragraph {
            text: text.into(),
            emphasised: false,
            code_spans: Vec::new(),
            links: Vec::new(),
        }
    }

    #[test]
    fn slugs_as_browsers_link_them() {
        assert_eq!(slug("Error: Widget not found"), "error-widget-not-found");
        assert_eq!(slug("Invalid `for` loop!"), "invalid-for-loop");
    }

    #[test]
    fn a_page_of_problems_splits_by_its_headings() {
        let blocks = vec![
            para("These errors can happen."),
            heading(2, "Error: Widget not found"),
            para("The widget is gone."),
            heading(3, "Check the spelling"),
            para("Look again."),
            heading(2, "Gadget tag not properly closed"),
            Block::Heading {
                level: 2,
                text: "Invalid widget date".into(),
                anchor: Some("bad-date".into()),
            },
            para("Dates."),
            heading(2, "Further reading"),
            para("More."),
        ];
        let split = split(&blocks).unwrap();
        let fragments: Vec<&str> = split.sections.iter().map(|s| s.fragment.as_str()).collect();
        assert_eq!(
            fragments,
            [
                "error-widget-not-found",
                "gadget-tag-not-properly-closed",
                "bad-date"
            ]
        );
        assert_eq!(split.sections[0].blocks.len(), 3);
        assert_eq!(split.page.len(), 3);
    }

    #[test]
    fn a_page_of_steps_is_not_split() {
        let blocks = vec![
            heading(2, "Check that you use the right server"),
            heading(2, "Always use the widget user"),
            heading(2, "Error: only one problem"),
        ];
        assert!(split(&blocks).is_none());
    }
}
