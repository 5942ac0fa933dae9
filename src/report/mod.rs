//! Renderers: rules, diagnoses and search results as text, JSON or Markdown.
//!
//! Text output carries ANSI styles; callers print it through `anstream`,
//! which drops them when stdout is not a terminal or `NO_COLOR` is set.

pub mod diagnosis;
pub mod rule;
pub mod search;

use anstyle::{AnsiColor, Style};

pub(crate) const HEADING: Style = Style::new().bold();
pub(crate) const DIM: Style = Style::new().dimmed();
pub(crate) const LINK: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));
pub(crate) const EVIDENCE: Style =
    Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
pub(crate) const GOOD: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)))
    .bold();
pub(crate) const MATCH: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)))
    .bold();

/// `text` wrapped in a style's escape codes.
pub(crate) fn styled(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// Steps numbered for reading; a step that is a sub-section heading (ends in
/// `:` and has no sentence before it) is printed as a heading, unnumbered.
pub(crate) fn numbered_steps(steps: &[String], markdown: bool) -> String {
    let mut out = String::new();
    let mut n = 0;
    for step in steps {
        if is_step_heading(step) {
            if markdown {
                out.push_str(&format!("\n**{}**\n\n", step.trim_end_matches(':')));
            } else {
                out.push_str(&format!("   {}\n", styled(HEADING, step)));
            }
            continue;
        }
        n += 1;
        let mut lines = step.lines();
        let first = lines.next().unwrap_or("");
        out.push_str(&format!("{n:>4}. {first}\n"));
        // Sub-steps and code stay under their step: in Markdown at the
        // item's content column, so that they nest in the list.
        let indent = if markdown { "   " } else { "      " };
        for line in lines {
            if line.is_empty() {
                out.push('\n');
            } else {
                out.push_str(&format!("{indent}{line}\n"));
            }
        }
    }
    out
}

pub(crate) fn is_step_heading(step: &str) -> bool {
    step.ends_with(':') && !step.contains('\n') && step.len() < 90 && !step.contains(". ")
}
