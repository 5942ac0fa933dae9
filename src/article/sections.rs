//! [`Block`]s -> [`Article`] fields. Format-independent: headings, underlined
//! or plain pseudo-headings ("Expected result:") and inline labels
//! ("Problem: ...") all switch the part of the article being read.

use crate::lazy::lazy;

use regex::Regex;

use super::model::{Article, Block, Document, Issue, ListItem, RelatedLink};
use super::shapes;

/// The part of an article a block belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Before the first recognised heading.
    Intro,
    Issue,
    Prerequisites,
    Reproduce,
    Expected,
    Actual,
    Cause,
    Solution,
    Related,
    Products,
    /// A heading we do not recognise (patch files, examples, ...).
    Other,
}

impl Part {
    fn is_issue(self) -> bool {
        matches!(
            self,
            Part::Issue | Part::Prerequisites | Part::Reproduce | Part::Expected | Part::Actual
        )
    }

    fn is_troubleshooting(self) -> bool {
        self.is_issue() || matches!(self, Part::Cause | Part::Solution)
    }
}

lazy! {
    static HEADING_RULES: Vec<(Regex, Part)> = {
        let rule = |pattern: &str, part| (Regex::new(pattern).expect("valid regex"), part);
        vec![
            rule(
                r"^((affected|compatible|applicable|supported)\b.*\b(versions?|products?|editions?)|(products?|versions?|editions?) and (products?|versions?|editions?))\b",
                Part::Products,
            ),
            rule(r"^steps to reproduce\b", Part::Reproduce),
            rule(r"^expected (results?|behaviou?r)\b", Part::Expected),
            rule(r"^actual (results?|behaviou?r)\b", Part::Actual),
            rule(r"^(prerequisites?|pre-?conditions?)\b", Part::Prerequisites),
            rule(
                r"^(issues?|problems?|symptoms?|error messages?|errors?|examples?|description|the (issue|problem)|known issues?|question)\b",
                Part::Issue,
            ),
            rule(
                r"^(causes?|root causes?|reasons?|possible causes?)\b",
                Part::Cause,
            ),
            rule(
                r"^(solutions?|resolutions?|workarounds?|fix(es)?|possible solutions?|recommendations?|resolve|how to|steps|troubleshooting|remedy|what to do|to (fix|resolve|solve)|suggest(ed|ions?)|answer)\b|\b(solutions?|resolutions?|workarounds?)$",
                Part::Solution,
            ),
            rule(
                r"^(related|more information|useful links|see also|further reading|additional (information|resources)|references?|learn more)\b",
                Part::Related,
            ),
        ]
    };
}

lazy! {
    /// Labels that open a part when they start a paragraph ("Expected result:",
    /// "<u>Steps to reproduce</u>", "Solution (temporary): ...").
    static PSEUDO_HEADING: Regex = {
        Regex::new(
            r"(?i)^(steps to reproduce|expected results?|expected behaviou?r|actual results?|actual behaviou?r|prerequisites?|pre-?conditions?|problem|issue|symptoms?|error messages?|root cause|possible causes?|causes?|reason|possible solutions?|solutions?|workarounds?|recommendations?|resolution|fix)\s*(\([^)]*\))?\s*(:\s*(.*))?$",
        )
        .expect("valid regex")
    };
}

lazy! {
    /// Prose that opens a solution without a heading ("To fix the issue, ...").
    static SOLUTION_LEAD: Regex = {
        Regex::new(r"(?i)^to (fix|resolve|solve|work ?around|address|correct) (this|the|these|that) (issues?|problems?|errors?)\b")
            .expect("valid regex")
    };
}

lazy! {
    /// Editorial stamps ("UPDATED: March 3, 2019") are not about the problem.
    static STAMP: Regex = {
        Regex::new(r"(?i)^(last )?(updated|modified|published|reviewed|revised)\b[^.]{0,40}$")
            .expect("valid regex")
    };
}

lazy! {
    static ANCHOR: Regex = Regex::new(r"\{#[^}]*\}").expect("valid regex");
}
lazy! {
    static NUMBERING: Regex = Regex::new(r"^(\d+[a-z]?[.)]\s+|step \d+\s*[:.-]?\s*)").expect("valid regex");
}

/// A heading's words in lower case, without its `{#anchor}` and its
/// numbering ("2. ", "Step 3:").
fn heading_words(text: &str) -> String {
    let lower = ANCHOR.replace_all(&text.to_lowercase(), "").to_string();
    NUMBERING.replace(lower.trim(), "").to_string()
}

/// Which part a heading opens, if it is one we recognise.
pub fn classify_heading(text: &str) -> Option<Part> {
    let lower = heading_words(text);
    let lower = lower.trim().trim_end_matches([':', '.', ' ']);
    // A heading that is an error message ("Error: Widget not found") names
    // the problem, whatever word it opens with.
    if shapes::error_message(lower).is_some() {
        return Some(Part::Issue);
    }
    HEADING_RULES
        .iter()
        .find(|(re, _)| re.is_match(lower))
        .map(|(_, part)| *part)
        // "Solving the issue", "Check your permissions": the fix, as a
        // heading or as its first step.
        .or_else(|| shapes::is_solution_heading(lower).then_some(Part::Solution))
}

/// A heading that is itself a step ("Check your permissions"), not the
/// name of a part ("Solution", "How to fix it").
fn is_step_heading(text: &str) -> bool {
    let lower = heading_words(text);
    shapes::is_imperative(&lower) && !HEADING_RULES.iter().any(|(re, _)| re.is_match(&lower))
}

/// A numbered list whose items mostly start as instructions.
fn imperative_list(items: &[ListItem]) -> bool {
    let texts: Vec<&str> = items
        .iter()
        .map(|i| i.text.trim())
        .filter(|t| !t.is_empty())
        .collect();
    let imperative = texts.iter().filter(|t| shapes::is_imperative(t)).count();
    !texts.is_empty() && imperative * 2 >= texts.len() && imperative >= 1
}

/// A paragraph that is only a label, or a label followed by its text.
fn pseudo_heading(text: &str) -> Option<(Part, Option<String>)> {
    let caps = PSEUDO_HEADING.captures(text)?;
    let label = caps[1].to_lowercase();
    let part = classify_heading(&label).or(match label.as_str() {
        "reason" => Some(Part::Cause),
        _ => None,
    })?;
    let rest = caps
        .get(4)
        .map(|m| m.as_str().trim().to_string())
        .filter(|r| !r.is_empty());
    Some((part, rest))
}

lazy! {
    static ERROR_WORDS: Regex = {
        Regex::new(
            r"(?i)(error|exception|fail|cannot|can't|can not|could not|couldn't|unable to|not found|denied|exhausted|fatal|invalid|refused|timed out|timeout|gone away|no such|undefined|not allowed|not supported|unsupported|not compatible|incompatible|unauthori[sz]ed|forbidden|missing|violation|deadlock|rejected|does not exist|doesn't exist|unexpected|traceback|stack trace|out of memory|not writable|warning:|critical|\w::\w)",
        )
        .expect("valid regex")
    };
}
lazy! {
    static COMMAND_LINE: Regex = {
        Regex::new(r#"^(\$|#|sudo)\s|^[a-z][a-z0-9._-]*(\s+(-{1,2}[\w-]+(=\S*)?|[\w./:@=~${}'"*,+%<>-]+))+\s*$|^[./~]?[\w.-]*/[\w./-]+(\s|$)"#)
            .expect("valid regex")
    };
}
lazy! {
    static FILE_NAME: Regex = Regex::new(r"^\S*(/\S*|\.[A-Za-z0-9]{1,5})$").expect("valid regex");
}

/// A line someone types rather than one a program prints.
fn looks_like_command(line: &str) -> bool {
    let line = line.trim();
    // A run of plain lower-case words is a sentence ("current version of X
    // is not supported"), not a command: commands carry an option, a path,
    // a sub-command or a prompt, or are only a word or two.
    let command_marks = line.contains(" -")
        || line.contains('/')
        || line.contains(':')
        || line.starts_with(['$', '#'])
        || line.split_whitespace().count() <= 3;
    COMMAND_LINE.is_match(line) && command_marks
}

/// Error text as opposed to a command, a path or prose about something else.
pub fn looks_like_error(text: &str) -> bool {
    let trimmed = text.trim();
    if trimmed.is_empty() || !ERROR_WORDS.is_match(trimmed) {
        return false;
    }
    if !trimmed.contains(char::is_whitespace) && FILE_NAME.is_match(trimmed) {
        return false;
    }
    !trimmed
        .lines()
        .filter(|l| !l.trim().is_empty())
        .all(looks_like_command)
}

/// What section recognition found, beyond the article itself.
#[derive(Debug, Clone)]
pub struct Sectioned {
    pub article: Article,
    /// An issue, cause or solution part was found (heading or label).
    pub troubleshooting: bool,
    /// The body has any text at all.
    pub has_text: bool,
    pub issue_heading: bool,
    pub solution_heading: bool,
}

#[derive(Default)]
struct Walker {
    part: Option<Part>,
    /// Level of the heading that opened the current part (0: none).
    level: u8,
    seen_heading: bool,
    heading_title: Option<String>,
    intro: Vec<String>,
    intro_spans: Vec<String>,
    issue: Vec<String>,
    reproduce: Vec<String>,
    expected: Vec<String>,
    actual: Vec<String>,
    cause: Vec<String>,
    steps: Vec<String>,
    related: Vec<RelatedLink>,
    products: Vec<String>,
    quoted: Vec<String>,
    /// Code and quotes outside the issue part: errors only when the article
    /// has no issue part of its own.
    candidates: Vec<String>,
    /// Code and quotes of the current section without a recognised name,
    /// until it turns out to state a problem (see `enter`).
    unnamed_section: Vec<String>,
    /// Words of sections without a recognised name, for cause sentences.
    other: Vec<String>,
    /// Text no part took (sections without a recognised name, notes,
    /// tables, code outside the issue and the steps): kept as the body.
    rest: Vec<String>,
    /// Level of the headings that are steps of their own ("Check your
    /// spelling"), while the steps go on (0: none).
    step_headings: u8,
    /// The last step pushed is a sub-heading entry ("How to disable it:").
    last_step_heading: bool,
    troubleshooting: bool,
    explicit_issue: bool,
    solution_seen: bool,
    first_paragraph: Option<String>,
    issue_heading: bool,
    solution_heading: bool,
    has_text: bool,
}

pub fn recognise(doc: &Document, id: &str, source: &str) -> Sectioned {
    let mut walker = Walker::default();
    for block in &doc.blocks {
        walker.block(block);
    }
    walker.finish(doc, id, source)
}

fn heading_entry(text: &str) -> String {
    format!("{}:", text.trim().trim_end_matches([':', '.']).trim_end())
}

/// A list item with its nested list items as indented lines, so that a step
/// and its alternatives stay one step.
fn item_text(item: &ListItem, depth: usize) -> String {
    let mut text = item.text.clone();
    let indent = "  ".repeat(depth + 1);
    let push_line = |text: &mut String, line: &str| {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(line);
    };
    for child in &item.children {
        match child {
            Block::List { ordered, items } => {
                for (n, sub) in items.iter().enumerate() {
                    let sub_text = item_text(sub, depth + 1);
                    if sub_text.is_empty() {
                        continue;
                    }
                    let marker = if *ordered {
                        format!("{}.", n + 1)
                    } else {
                        "-".to_string()
                    };
                    push_line(&mut text, &format!("{indent}{marker} {sub_text}"));
                }
            }
            // Code shown in a step stays in it, fenced, where the article
            // puts it; so do the words after it.
            Block::Code { text: code } => {
                push_line(&mut text, &fenced(code, &indent));
            }
            Block::Paragraph { text: words, .. } | Block::Heading { text: words, .. } => {
                push_line(&mut text, &format!("{indent}{words}"));
            }
            Block::Quote { text: words } | Block::Note { text: words } => {
                for line in words.lines() {
                    push_line(&mut text, &format!("{indent}> {line}"));
                }
            }
            Block::Table { .. } => {}
        }
    }
    text
}

/// A code block as Markdown fences, each line indented.
pub fn fenced(code: &str, indent: &str) -> String {
    let fence = if code.contains("```") { "~~~" } else { "```" };
    let mut out = format!("{indent}{fence}");
    for line in code.lines() {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(indent);
            out.push_str(line);
        }
    }
    out.push('\n');
    out.push_str(indent);
    out.push_str(fence);
    out
}

/// Code and quotes nested anywhere inside a list item.
fn nested_literals(item: &ListItem, out: &mut Vec<String>) {
    for child in &item.children {
        match child {
            Block::Code { text } | Block::Quote { text } => out.push(text.clone()),
            Block::List { items, .. } => items.iter().for_each(|i| nested_literals(i, out)),
            _ => {}
        }
    }
}

fn flat_items(items: &[ListItem], out: &mut Vec<String>) {
    for item in items {
        if !item.text.is_empty() {
            out.push(item.text.clone());
        }
        for child in &item.children {
            if let Block::List { items, .. } = child {
                flat_items(items, out);
            }
        }
    }
}

fn item_links(items: &[ListItem], out: &mut Vec<RelatedLink>) {
    for item in items {
        out.extend(item.links.iter().cloned());
        for child in &item.children {
            match child {
                Block::List { items, .. } => item_links(items, out),
                Block::Paragraph { links, .. } => out.extend(links.iter().cloned()),
                _ => {}
            }
        }
    }
}

fn item_spans(items: &[ListItem], out: &mut Vec<String>) {
    for item in items {
        out.extend(item.code_spans.iter().cloned());
        for child in &item.children {
            if let Block::List { items, .. } = child {
                item_spans(items, out);
            }
        }
    }
}

impl Walker {
    fn current(&self) -> Part {
        self.part.unwrap_or(Part::Intro)
    }

    fn enter(&mut self, part: Part) {
        // A section named after its problem ("## Duplicates in URL
        // rewrites") that goes on to a cause was a problem statement: the
        // output it quoted before the cause is the symptom, error word or
        // not ("There are duplicates in ..."), unless it is a command.
        if part == Part::Cause && self.part == Some(Part::Other) {
            for text in std::mem::take(&mut self.unnamed_section) {
                let lines = text.lines().filter(|l| !l.trim().is_empty());
                if !lines.clone().all(looks_like_command) && lines.count() > 0 {
                    self.quoted.push(text);
                }
            }
        }
        self.part = Some(part);
        self.solution_seen |= part == Part::Solution;
        self.troubleshooting |= part.is_troubleshooting();
        self.explicit_issue |= part.is_issue();
    }

    fn block(&mut self, block: &Block) {
        match block {
            Block::Heading { level, text, .. } => self.heading(*level, text),
            Block::Paragraph {
                text,
                code_spans,
                links,
                ..
            } => {
                self.has_text = true;
                if self.first_paragraph.is_none()
                    && pseudo_heading(text).is_none()
                    && !STAMP.is_match(text)
                {
                    self.first_paragraph = Some(text.clone());
                }
                self.paragraph(text, code_spans, links);
            }
            Block::List { items, .. } => {
                self.has_text = true;
                self.list(items);
            }
            Block::Code { text } => {
                self.has_text = true;
                self.literal(text, false);
            }
            Block::Quote { text } => {
                self.has_text = true;
                self.literal(text, true);
            }
            Block::Note { text } => {
                self.has_text = true;
                self.rest.push(text.clone());
            }
            Block::Table { header, rows } => {
                self.has_text = true;
                // Tables outside the products part are reference data (lists
                // of errors, settings, versions), left out of the body: as
                // ranked words they made a table of many errors outrank the
                // article about one of them.
                if self.current() == Part::Products {
                    for row in std::iter::once(header).chain(rows) {
                        let line = row
                            .iter()
                            .filter(|c| !c.is_empty())
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ");
                        if !line.is_empty() {
                            self.products.push(line);
                        }
                    }
                }
            }
        }
    }

    fn heading(&mut self, level: u8, text: &str) {
        if !self.seen_heading {
            self.seen_heading = true;
            if level == 1 {
                self.heading_title = Some(text.to_string());
                return;
            }
        }
        self.has_text = true;
        let nested = self.level != 0 && level > self.level;
        let kind = classify_heading(text);
        if nested {
            match (self.current(), kind) {
                // "How to disable the key" inside a solution is a titled
                // group of steps, not a new part.
                (Part::Solution, None | Some(Part::Solution)) => {
                    self.steps.push(heading_entry(text));
                    self.last_step_heading = true;
                    return;
                }
                (Part::Products, None) => {
                    self.products.push(text.to_string());
                    return;
                }
                (_, None) => {
                    self.rest.push(text.to_string());
                    return;
                }
                _ => {}
            }
        }
        if let Some(message) = shapes::error_message(text) {
            self.quoted.push(message);
        }
        match kind {
            Some(Part::Solution) if is_step_heading(text) => {
                // "Check your permissions": a step, under its own heading.
                self.solution_heading = true;
                self.enter(Part::Solution);
                self.steps.push(heading_entry(text));
                self.last_step_heading = true;
                self.step_headings = level;
            }
            Some(part) => {
                self.issue_heading |= part.is_issue();
                self.solution_heading |= part == Part::Solution;
                self.enter(part);
                self.step_headings = 0;
            }
            // A heading beside steps that are headings ("Check your
            // spelling", "Checking your permissions") is one more step.
            None if self.step_headings == level && self.current() == Part::Solution => {
                self.steps.push(heading_entry(text));
                self.last_step_heading = true;
            }
            None => {
                self.step_headings = 0;
                self.unnamed_section.clear();
                self.rest.push(text.to_string());
                self.part = Some(Part::Other);
            }
        }
        self.level = level;
    }

    fn paragraph(&mut self, text: &str, spans: &[String], links: &[RelatedLink]) {
        if STAMP.is_match(text) {
            return;
        }
        if let Some((part, rest)) = pseudo_heading(text) {
            match rest {
                None => {
                    self.enter(part);
                    return;
                }
                // "Prerequisites: ..." inside steps to reproduce is context,
                // not the end of the steps.
                Some(_) if part == Part::Prerequisites => {
                    self.explicit_issue = true;
                    self.issue.push(text.to_string());
                    return;
                }
                Some(rest) => {
                    self.enter(part);
                    // "Cause: the role lacks..." reads as a sentence once the
                    // label is gone.
                    let mut chars = rest.chars();
                    let rest: String = chars
                        .next()
                        .map(|c| c.to_uppercase().chain(chars).collect())
                        .unwrap_or_default();
                    self.paragraph_content(&rest, spans, links);
                    return;
                }
            }
        }
        if !self.solution_seen
            && matches!(self.current(), Part::Intro | Part::Other | Part::Issue)
            && SOLUTION_LEAD.is_match(text)
        {
            self.enter(Part::Solution);
        }
        self.paragraph_content(text, spans, links);
    }

    fn error_spans(&mut self, spans: &[String]) {
        for span in spans {
            if looks_like_error(span) {
                self.quoted.push(span.clone());
            }
        }
    }

    fn paragraph_content(&mut self, text: &str, spans: &[String], links: &[RelatedLink]) {
        let text = text.to_string();
        match self.current() {
            Part::Intro => {
                self.intro.push(text);
                self.intro_spans.extend(spans.iter().cloned());
            }
            Part::Issue | Part::Prerequisites | Part::Reproduce => {
                self.issue.push(text);
                self.error_spans(spans);
            }
            Part::Expected => {
                self.expected.push(text);
                self.error_spans(spans);
            }
            Part::Actual => {
                self.actual.push(text);
                self.error_spans(spans);
            }
            Part::Cause => self.cause.push(text),
            Part::Solution => self.push_step(text),
            Part::Related => self.related.extend(links.iter().cloned()),
            Part::Products => self.products.push(text),
            Part::Other => self.other.push(text),
        }
    }

    fn list(&mut self, items: &[ListItem]) {
        let mut literals = Vec::new();
        items.iter().for_each(|i| nested_literals(i, &mut literals));
        let mut spans = Vec::new();
        item_spans(items, &mut spans);
        let part = self.current();
        match part {
            Part::Reproduce => {
                for item in items {
                    let text = item_text(item, 0);
                    if !text.is_empty() {
                        self.reproduce.push(text);
                    }
                    let mut lits = Vec::new();
                    nested_literals(item, &mut lits);
                    for lit in lits {
                        if looks_like_error(&lit) {
                            self.quoted.push(lit);
                        } else {
                            self.reproduce.push(lit);
                        }
                    }
                }
                self.error_spans(&spans);
            }
            Part::Solution => self.solution_list(items, &literals),
            Part::Related => item_links(items, &mut self.related),
            Part::Products => flat_items(items, &mut self.products),
            Part::Intro | Part::Other if imperative_list(items) => {
                // Numbered instructions are steps wherever they stand.
                self.solution_list(items, &literals);
            }
            Part::Intro => {
                flat_items(items, &mut self.intro);
                self.intro_spans.extend(spans);
                self.rest.extend(literals.iter().cloned());
                self.candidates.extend(literals);
            }
            Part::Issue | Part::Prerequisites | Part::Expected | Part::Actual => {
                let target = match part {
                    Part::Expected => &mut self.expected,
                    Part::Actual => &mut self.actual,
                    _ => &mut self.issue,
                };
                flat_items(items, target);
                self.quoted.extend(literals);
                self.error_spans(&spans);
            }
            Part::Cause => {
                flat_items(items, &mut self.cause);
                self.rest.extend(literals.iter().cloned());
                self.candidates.extend(literals);
            }
            Part::Other => {
                flat_items(items, &mut self.other);
                self.rest.extend(literals.iter().cloned());
                self.candidates.extend(literals);
            }
        }
    }

    fn push_step(&mut self, text: String) {
        self.steps.push(text);
        self.last_step_heading = false;
    }

    /// A list of steps: each item one step with its sub-steps and code;
    /// after a lead-in ("If you have access, take the following steps:")
    /// the list is that alternative's sub-steps.
    fn solution_list(&mut self, items: &[ListItem], literals: &[String]) {
        self.transcripts(literals);
        self.candidates.extend(literals.iter().cloned());
        let lead_in = !self.last_step_heading
            && self
                .steps
                .last()
                .is_some_and(|s| s.trim_end().ends_with(':') && !s.contains('\n'));
        if lead_in {
            let mut sub = Vec::new();
            for (n, item) in items.iter().enumerate() {
                let text = item_text(item, 1);
                if !text.is_empty() {
                    sub.push(format!("  {}. {text}", n + 1));
                }
            }
            if let Some(last) = self.steps.last_mut() {
                for line in sub {
                    last.push('\n');
                    last.push_str(&line);
                }
            }
            return;
        }
        for item in items {
            let text = item_text(item, 0);
            if !text.is_empty() {
                self.push_step(text);
            }
        }
    }

    /// Error output a transcript shows, wherever it stands, is a symptom.
    fn transcripts(&mut self, literals: &[String]) {
        for text in literals {
            if let Some(errors) = shapes::transcript_errors(text) {
                self.quoted.push(errors);
            }
        }
    }

    fn literal(&mut self, text: &str, quote: bool) {
        if !quote {
            self.transcripts(&[text.to_string()]);
        }
        let text = text.to_string();
        match self.current() {
            Part::Issue | Part::Prerequisites | Part::Expected | Part::Actual => {
                self.quoted.push(text)
            }
            Part::Reproduce => {
                if looks_like_error(&text) || quote {
                    self.quoted.push(text);
                } else {
                    self.reproduce.push(text);
                }
            }
            Part::Solution => {
                // Code after a step is that step's: the command it asks for.
                let code = fenced(&text, "  ");
                match self.steps.last_mut() {
                    Some(last) if !self.last_step_heading => {
                        last.push('\n');
                        last.push_str(&code);
                    }
                    _ => self.push_step(fenced(&text, "")),
                }
                self.candidates.push(text);
            }
            Part::Other => {
                self.unnamed_section.push(text.clone());
                self.rest.push(text.clone());
                self.candidates.push(text);
            }
            _ => {
                self.rest.push(text.clone());
                self.candidates.push(text);
            }
        }
    }

    fn finish(mut self, doc: &Document, id: &str, source: &str) -> Sectioned {
        // The introduction often quotes the error ("... they see the
        // following error: *PHP Fatal error: ...*") and the issue part then
        // only explains it: its spans count when the issue part quoted none.
        // Then only messages count, not a lone identifier the intro names.
        let intro_spans = std::mem::take(&mut self.intro_spans);
        if !self.explicit_issue {
            self.error_spans(&intro_spans);
            for text in std::mem::take(&mut self.candidates) {
                // A transcript's error output is quoted already, without
                // the commands and output markers around it.
                if looks_like_error(&text) && shapes::transcript_output(&text).is_none() {
                    self.quoted.push(text);
                }
            }
        } else if self.quoted.is_empty() {
            let messages: Vec<String> = intro_spans
                .into_iter()
                .filter(|s| s.split_whitespace().count() >= 3)
                .collect();
            self.error_spans(&messages);
        }
        let mut issue_text = self.issue.join(" ");
        if issue_text.is_empty() {
            issue_text = self.intro.join(" ");
        } else {
            self.rest.extend(self.intro.iter().cloned());
        }
        let front = &doc.front;
        let title = front
            .title
            .clone()
            .or(self.heading_title.clone())
            .unwrap_or_else(|| id.to_string());
        // A title that is an error message is the symptom.
        if let Some(message) = shapes::error_message(&title) {
            self.quoted.insert(0, message);
        }
        let description = front
            .description
            .as_deref()
            .map(markdown_text)
            .filter(|d| !d.is_empty())
            .or_else(|| self.intro.first().cloned())
            .or(self.first_paragraph.clone());
        // The summary still says what goes wrong when no part does.
        if issue_text.is_empty() {
            issue_text = description.clone().unwrap_or_default();
        }
        // Without a cause part, the sentences that explain the error
        // ("This error means that ...") are the cause.
        if self.cause.is_empty() {
            let texts = description
                .iter()
                .chain(&self.intro)
                .chain(&self.issue)
                .chain(&self.other);
            let mut found: Vec<String> = Vec::new();
            for text in texts {
                for sentence in shapes::cause_sentences(text) {
                    if !found.contains(&sentence) {
                        found.push(sentence);
                    }
                }
            }
            self.cause = found;
        }
        let article = Article {
            id: id.to_string(),
            source: source.to_string(),
            title,
            link: front.link.clone(),
            labels: front.labels.clone(),
            description,
            products: dedup(self.products),
            stage: None,
            issue: Issue {
                text: issue_text,
                steps_to_reproduce: self.reproduce,
                expected: self.expected.join(" "),
                actual: self.actual.join(" "),
            },
            cause: self.cause.join(" "),
            steps: self.steps,
            related: dedup_links(self.related),
            quoted_errors: dedup(self.quoted),
            error_codes: Vec::new(),
            parent: None,
            parent_title: None,
            body: body_of(self.other.iter().chain(&self.rest)),
        };
        Sectioned {
            article,
            troubleshooting: self.troubleshooting,
            has_text: self.has_text || !self.intro.is_empty(),
            issue_heading: self.issue_heading,
            solution_heading: self.solution_heading,
        }
    }
}

/// Most characters of an article's whole text kept for ranking.
const MAX_BODY_CHARS: usize = 64 * 1024;

/// The text no part took, one block a line, at most [`MAX_BODY_CHARS`]:
/// with the parts, the article's whole text, ranked whatever structure was
/// found or missed.
fn body_of<'a>(texts: impl Iterator<Item = &'a String>) -> String {
    let mut out = String::new();
    for text in texts {
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if out.len() + text.len() + 1 > MAX_BODY_CHARS {
            break;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(text);
    }
    out
}

/// Front matter descriptions are written in Markdown (links, entities).
fn markdown_text(text: &str) -> String {
    let mut lines = Vec::new();
    // A description whose HTML nests too deep is read as it is written.
    let Ok(blocks) = super::markdown::parse(text) else {
        return super::inline::clean(text);
    };
    for block in blocks {
        match block {
            Block::Paragraph { text, .. } | Block::Heading { text, .. } | Block::Note { text } => {
                lines.push(text)
            }
            Block::List { items, .. } => flat_items(&items, &mut lines),
            Block::Code { text } | Block::Quote { text } => lines.push(text),
            Block::Table { .. } => {}
        }
    }
    lines.join(" ")
}

/// The first of each, in order. A set, not a scan of what is kept: an
/// article can quote thousands of blocks.
fn dedup(items: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    items
        .into_iter()
        .filter(|item| !item.trim().is_empty() && seen.insert(item.clone()))
        .collect()
}

fn dedup_links(links: Vec<RelatedLink>) -> Vec<RelatedLink> {
    let mut seen = std::collections::HashSet::new();
    links
        .into_iter()
        .filter(|link| seen.insert(link.url.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_are_classified() {
        assert_eq!(classify_heading("Issue"), Some(Part::Issue));
        assert_eq!(
            classify_heading("AFFECTED PRODUCTS AND VERSIONS "),
            Some(Part::Products)
        );
        assert_eq!(
            classify_heading("Compatible Foo versions:"),
            Some(Part::Products)
        );
        assert_eq!(
            classify_heading("Solution {#solution}"),
            Some(Part::Solution)
        );
        assert_eq!(classify_heading("Possible solutions"), Some(Part::Solution));
        assert_eq!(
            classify_heading("How to disable the key"),
            Some(Part::Solution)
        );
        assert_eq!(classify_heading("Related Reading"), Some(Part::Related));
        assert_eq!(classify_heading("Root cause"), Some(Part::Cause));
        assert_eq!(classify_heading("Attached Files"), None);
        assert_eq!(
            classify_heading("Two-user resolution"),
            Some(Part::Solution)
        );
        assert_eq!(
            classify_heading("Suggested solutions"),
            Some(Part::Solution)
        );
    }

    #[test]
    fn pseudo_headings() {
        assert_eq!(
            pseudo_heading("Expected result:"),
            Some((Part::Expected, None))
        );
        assert_eq!(
            pseudo_heading("Steps to reproduce"),
            Some((Part::Reproduce, None))
        );
        assert_eq!(
            pseudo_heading("Solution (temporary): upgrade it."),
            Some((Part::Solution, Some("upgrade it.".into())))
        );
        assert_eq!(
            pseudo_heading("Reason: x"),
            Some((Part::Cause, Some("x".into())))
        );
        assert_eq!(pseudo_heading("The issue is that"), None);
    }

    #[test]
    fn errors_versus_commands() {
        assert!(looks_like_error(
            "PHP Fatal error: Allowed memory size exhausted"
        ));
        assert!(looks_like_error("Foo\\Bar::baz() called"));
        assert!(!looks_like_error("bin/tool cache:clean"));
        assert!(!looks_like_error("grep -r \"error\" var/log"));
        assert!(!looks_like_error("var/log/exception.log"));
        assert!(!looks_like_error("pkg update"));
        assert!(looks_like_error(
            "Command failed: /bin/tool module:enable --all"
        ));
    }
}

#[cfg(test)]
mod symptom_tests {
    use super::*;
    use crate::article::model::{Format, FrontMatter};

    fn quoted(body: &str) -> Vec<String> {
        let doc = Document {
            format: Format::Markdown,
            front: FrontMatter::default(),
            blocks: super::super::markdown::parse(body).unwrap(),
        };
        recognise(&doc, "a", "a.md").article.quoted_errors
    }

    #[test]
    fn intro_error_counts_when_the_issue_part_quotes_none() {
        let body = "Upgrading to 9.1 stops with this error:\n\n\
                    *Fatal error: Call to undefined function Acme\\Util\\str_fold() in Util.php*\n\n\
                    Mentions `job_retry_invalid` too.\n\n\
                    ## Issue\n\nVersion 9.1 calls a function the runtime lacks.\n\n\
                    ## Solution\n\n1. Apply the patch.\n";
        assert_eq!(
            quoted(body),
            ["Fatal error: Call to undefined function Acme\\Util\\str_fold() in Util.php"]
        );
    }

    #[test]
    fn intro_error_is_ignored_when_the_issue_part_quotes_its_own() {
        let body = "Upgrading to 9.1 stops with this error:\n\n\
                    *Fatal error: Call to undefined function Acme\\Util\\str_fold() in Util.php*\n\n\
                    ## Issue\n\n```\nFatal error: Uncaught Error: str_fold() is undefined\n```\n\n\
                    ## Solution\n\n1. Apply the patch.\n";
        assert_eq!(
            quoted(body),
            ["Fatal error: Uncaught Error: str_fold() is undefined"]
        );
    }

    fn steps(body: &str) -> Vec<String> {
        let doc = Document {
            format: Format::Markdown,
            front: FrontMatter::default(),
            blocks: super::super::markdown::parse(body).unwrap(),
        };
        recognise(&doc, "a", "a.md").article.steps
    }

    #[test]
    fn headings_that_are_steps_and_their_siblings_are_steps() {
        let body = "## Check the widget's name\n\nTypos happen.\n\n\
                    ## Checking your permissions\n\nAsk the owner.\n\n\
                    ## Use the gadget instead\n\n```\n$ gadget go\n```\n";
        assert_eq!(
            steps(body),
            [
                "Check the widget's name:",
                "Typos happen.",
                "Checking your permissions:",
                "Ask the owner.",
                "Use the gadget instead:",
                "```\n$ gadget go\n```",
            ]
        );
    }

    #[test]
    fn a_transcript_quotes_its_error_output_and_a_title_its_message() {
        let doc = Document {
            format: Format::Markdown,
            front: FrontMatter {
                title: Some("Error: Widget refused (token)".into()),
                ..FrontMatter::default()
            },
            blocks: super::super::markdown::parse(
                "This error means the key is wrong.\n\n```\n$ widget push\n> fatal: widget refused\n```\n",
            )
            .unwrap(),
        };
        let article = recognise(&doc, "a", "a.md").article;
        assert_eq!(
            article.quoted_errors,
            ["Widget refused (token)", "fatal: widget refused"]
        );
        assert_eq!(article.cause, "This error means the key is wrong.");
    }

    #[test]
    fn output_under_a_problem_heading_is_a_symptom_when_a_cause_follows() {
        let body = "## Widgets not synced\n\n```\nWidget table has gaps:\nRow 12 missing\n```\n\n\
                    ### Cause\n\nThe sync job skipped rows.\n\n\
                    ### Solution\n\n1. Rerun the sync.\n\n\
                    ## Rebuilding the cache\n\n```\nbin/tool cache:rebuild --all\n```\n\n\
                    ### Cause\n\nStale entries.\n\n\
                    ## Appendix\n\n```\nRow count: 12\n```\n";
        // The command is not a symptom, and the appendix has no cause.
        assert_eq!(quoted(body), ["Widget table has gaps:\nRow 12 missing"]);
    }
}
