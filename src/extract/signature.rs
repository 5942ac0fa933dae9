//! Error text -> signature templates.
//!
//! A signature is the literal text of an error message with its
//! installation-specific parts replaced by `<*>`, so that the message an
//! article quotes from one shop matches the same error in another shop's log.

use crate::lazy::lazy;

use regex::Regex;

use crate::rulebook::rule::WILDCARD;

/// Longest template kept: beyond this an error line is usually a serialised
/// blob (JSON, a query) whose tail adds nothing to recognising it.
const MAX_TEMPLATE_CHARS: usize = 220;

/// Minimum literal letters for a template to be worth matching; shorter ones
/// ("Error: <*>") would fire on any failed log.
const MIN_LITERAL_LETTERS: usize = 12;

struct Substitution {
    pattern: Regex,
    replacement: &'static str,
}

fn sub(pattern: &str, replacement: &'static str) -> Substitution {
    Substitution {
        pattern: Regex::new(pattern).expect("static signature regex"),
        replacement,
    }
}

lazy! {
    /// Substitutions in order: whole-token shapes first (URLs, paths) so that the
    /// numbers inside them do not leave fragments behind.
    static SUBSTITUTIONS: Vec<Substitution> = {
        vec![
            // URLs and e-mail addresses.
            sub(r#"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'"<>)\]]+"#, WILDCARD),
            sub(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", WILDCARD),
            // Placeholders articles write for variable parts: <path/to/file>, %code%, {{x}},
            // and capitals: USERNAME/REPOSITORY, YOUR-EMAIL, YOUR_BRANCH_NAME (an
            // error constant such as SSL3_GET_SERVER_CERTIFICATE keeps its
            // underscores and stays).
            sub(r"<[^<>*\s][^<>]{0,60}>", WILDCARD),
            sub(r"%[A-Za-z_]+%", WILDCARD),
            sub(r"\{\{[^}]*\}\}", WILDCARD),
            // Lower-case placeholders (`user/repo`, `other-user`, `[name]`),
            // from the data file of writing shapes, and an ellipsis that
            // stands for what was left out.
            sub(crate::article::shapes::placeholder(), WILDCARD),
            sub(r"\.\.\.|…", WILDCARD),
            sub(r"(?-u:\b)[A-Z][A-Z0-9]*(?:[-_][A-Z0-9]+)*(?:/[A-Z][A-Z0-9]*(?:[-_][A-Z0-9]+)*)+(?-u:\b)", WILDCARD),
            sub(r"(?-u:\b)[A-Z][A-Z0-9]+(?:-[A-Z0-9]+)+(?-u:\b)", WILDCARD),
            sub(r"(?-u:\b)(?:YOUR|MY)_[A-Z0-9_]+(?-u:\b)", WILDCARD),
            // Quoted names and values.
            sub(r"'[^'\n]{1,120}'", "'<*>'"),
            sub(r#""[^"\n]{1,120}""#, "\"<*>\""),
            sub(r"‘[^’\n]{1,120}’", "‘<*>’"),
            sub(r"“[^”\n]{1,120}”", "“<*>”"),
            // File-system paths: two or more segments, or rooted. Two segments
            // that are not a path are a name: a Composer package
            // (`magento/extension-b2b`, lower-case by Composer's rules) names
            // what the message is about. A capitalised one (`Magento/luma`, a
            // theme) keeps only its vendor.
            // (ASCII classes where new: Unicode ones make automata megabytes
            // larger, and this runs in diagnose too.)
            sub(r"(?:~|\.{1,2})?/[\w.@%+~-]+(?:/[\w.@%+~<>*-]*)+", WILDCARD),
            sub(
                r#"(^|[\s'"`(\[{<>=:,;!|*])(?:~|\.{1,2})?/[A-Za-z0-9_.@%+~-]+"#,
                "${1}<*>",
            ),
            sub(
                r"(?-u:\b)([A-Z][A-Za-z0-9_-]*)/[A-Za-z0-9_.@%+~-]+(?-u:\b)",
                "${1}<*>",
            ),
            sub(r"\b[\w.@-]+(?:/[\w.@-]+){2,}/?", WILDCARD),
            // Two segments ending in a file name (`Modifier/Inventory.php`,
            // `var/.deploy_is_failed`).
            sub(
                r"(?-u:\b)[A-Za-z0-9_.@-]+/(?:\.[A-Za-z0-9_-]+|[A-Za-z0-9_@-]+\.[A-Za-z][A-Za-z0-9]{0,4}(?-u:\b))",
                WILDCARD,
            ),
            // Hosts with ports, IP addresses.
            sub(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b", WILDCARD),
            sub(r"\b[\w.-]+:\d{2,5}\b", WILDCARD),
            // Hashes and ids: long hex runs that contain a digit.
            sub(r"\b(?:[0-9a-f]*\d[0-9a-f]*){7,}\b", WILDCARD),
            sub(r"\b[0-9a-f]{7,}\b", WILDCARD),
            // Versions and numbers (with a suffix like -p1, -beta, M, ms).
            sub(
                r"\bv?\d+(?:[.,]\d+)*(?:-[A-Za-z][\w.]*)?(?:[KMGkmg]i?[Bb]?|ms|s)?\b",
                WILDCARD,
            ),
            sub(r"#<\*>", WILDCARD),
        ]
    };
}

lazy! {
    static WILDCARD_RUN: Regex = Regex::new(r"<\*>(?:[\s,;:./\\-]*<\*>)+").expect("static wildcard-run regex");
}
lazy! {
    static SPACES: Regex = Regex::new(r"\s+").expect("static whitespace regex");
}

/// Turn one line of quoted error text into a template, or `None` when too
/// little literal text is left to recognise it by. The decorations in front
/// of the message (timestamp, level, channel, platform mark, service name,
/// `[code]` after a level) go the way the log stage takes them off a log
/// line ([`crate::log::prefix`]), so that a signature reads as the line it is
/// to match.
pub fn template(line: &str) -> Option<String> {
    let line = crate::log::without_php_tag(crate::log::prefix::strip(line.trim()));
    let mut text = SPACES.replace_all(line.trim(), " ").into_owned();
    if text.chars().count() > MAX_TEMPLATE_CHARS {
        text = truncate_at_word(&text, MAX_TEMPLATE_CHARS);
    }
    for s in SUBSTITUTIONS.iter() {
        text = s.pattern.replace_all(&text, s.replacement).into_owned();
    }
    text = WILDCARD_RUN.replace_all(&text, WILDCARD).into_owned();
    let text = trim_wildcards(&text);
    if literal_letters(&text) < MIN_LITERAL_LETTERS || literal_words(&text) < 2 {
        return None;
    }
    Some(text)
}

fn truncate_at_word(text: &str, max_chars: usize) -> String {
    let cut: String = text.chars().take(max_chars).collect();
    match cut.rfind(' ') {
        Some(i) if i > max_chars / 2 => cut[..i].to_string(),
        _ => cut,
    }
}

/// A template that starts or ends in a wildcard says nothing more than one
/// without it, and matching is by substring anyway.
fn trim_wildcards(text: &str) -> String {
    let mut t = text.trim();
    loop {
        let before = t;
        t = t
            .trim_start_matches(WILDCARD)
            .trim_end_matches(WILDCARD)
            .trim_matches(|c: char| c.is_whitespace() || ",;:-".contains(c));
        if t == before {
            break;
        }
    }
    t.to_string()
}

fn literal_parts(text: &str) -> impl Iterator<Item = &str> {
    text.split(WILDCARD)
}

fn literal_letters(text: &str) -> usize {
    literal_parts(text)
        .flat_map(|p| p.chars())
        .filter(|c| c.is_alphabetic())
        .count()
}

fn literal_words(text: &str) -> usize {
    literal_parts(text)
        .flat_map(|p| p.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
        .count()
}

/// Lines of a quoted block that are not the error itself: stack frames,
/// shell prompts, separators.
pub fn is_noise_line(line: &str) -> bool {
    lazy! {
        static NOISE: Regex = {
            Regex::new(
                r"(?x)^\s*(?:
                    \#\d+\s                      # stack frame
                  | at\s+[\w$.]+\(               # java-style frame
                  | Stack\ trace:?\s*$
                  | \{main\}\s*$
                  | [\w.-]*@[\w.-]+:[^\s]*[\$\#]\s   # user@host:~$ prompt
                  | [\$>]\s                      # $ prompt
                  | [-=+*_]{3,}\s*$              # rule lines
                  | \.{3}\s*$ | …\s*$
                )",
            )
            .expect("static noise regex")
        };
    }
    NOISE.is_match(line)
}

lazy! {
    /// A quoted value in a message (`'cache'`, `"Magento_Widget"`).
    static QUOTED_VALUE: Regex = {
        Regex::new(r#"'([^'\n]{3,60})'|"([^"\n]{3,60})"|‘([^’\n]{3,60})’|“([^”\n]{3,60})”"#)
            .expect("static quoted-value regex")
    };
}

/// [`template`], except that a quoted value the article's title also names
/// stays literal: the title says the article is about that value (the
/// `'cache'` namespace, the `Magento_Widget` module), so it is not a detail
/// that varies from shop to shop.
pub fn template_for(line: &str, title: &str) -> Option<String> {
    let title = title.to_lowercase();
    let mut kept: Vec<String> = Vec::new();
    let protected = QUOTED_VALUE.replace_all(line, |caps: &regex::Captures| {
        let whole = caps[0].to_string();
        let value = (1..=4).find_map(|i| caps.get(i)).map_or("", |m| m.as_str());
        if title.contains(&value.to_lowercase()) && kept.len() < 26 {
            kept.push(whole);
            // A letter between private-use marks: no substitution touches it.
            format!(
                "\u{E000}{}\u{E001}",
                char::from(b'a' + (kept.len() - 1) as u8)
            )
        } else {
            whole
        }
    });
    let mut text = template(&protected)?;
    for (i, whole) in kept.iter().enumerate() {
        let mark = format!("\u{E000}{}\u{E001}", char::from(b'a' + i as u8));
        text = text.replace(&mark, whole);
    }
    Some(text)
}

/// Templates for every line of a quoted block, in order, without repeats
/// (see [`template_for`] for `title`).
pub fn templates_of_block(block: &str, title: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in block.lines() {
        if is_noise_line(line) {
            continue;
        }
        if let Some(t) = template_for(line, title) {
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_parts_become_wildcards() {
        assert_eq!(
            template("[2020-06-01 10:00:00] CRITICAL: The 'https://repo.example.com/packages.json' URL required authentication (HTTP 401).").as_deref(),
            Some("The '<*>' URL required authentication (HTTP <*>).")
        );
        assert_eq!(
            template("PHP Fatal error:  Allowed memory size of 1610612736 bytes exhausted (tried to allocate 4096 bytes) in /app/vendor/x/y.php on line 12").as_deref(),
            Some("Fatal error: Allowed memory size of <*> bytes exhausted (tried to allocate <*> bytes) in <*> on line")
        );
    }

    #[test]
    fn class_names_and_codes_stay_literal() {
        assert_eq!(
            template("SQLSTATE[HY000] [2002] Connection refused").as_deref(),
            Some("SQLSTATE[HY000] [<*>] Connection refused")
        );
        assert_eq!(
            template("[Vendor\\Framework\\Exception\\LocalizedException] Area code is not set")
                .as_deref(),
            Some("[Vendor\\Framework\\Exception\\LocalizedException] Area code is not set")
        );
    }

    #[test]
    fn package_names_stay_literal_paths_do_not() {
        // A package's name is what a dependency error is about.
        assert_eq!(
            template("- Root composer.json requires acme/widget-pro 2.1.0 -> satisfiable by acme/widget-pro[2.1.0].").as_deref(),
            Some("Root composer.json requires acme/widget-pro <*> -> satisfiable by acme/widget-pro[<*>].")
        );
        assert_eq!(
            template("Could not open input file: bin/acme").as_deref(),
            Some("Could not open input file: bin/acme")
        );
        // Paths, rooted or of several segments, and files are the shop's own
        // (a line left with too few letters gives no template).
        for (line, expected) in [
            (
                "Cannot read /srv/shop/app/etc/env.php now",
                Some("Cannot read <*> now"),
            ),
            (
                "Cannot read app/etc/env.php now",
                Some("Cannot read app<*> now"),
            ),
            (
                "Cannot read Widget/Model.php now",
                Some("Cannot read Widget<*> now"),
            ),
            ("Set flag: widgets/.build_is_failed", None),
            ("Cannot write /tmp now", Some("Cannot write <*> now")),
        ] {
            assert_eq!(template(line).as_deref(), expected, "{line}");
        }
        // A capitalised pair (a theme) keeps its vendor only, as before.
        assert_eq!(
            template("Deploying theme Acme/bright to the storefront").as_deref(),
            Some("Deploying theme Acme<*> to the storefront")
        );
    }

    #[test]
    fn placeholders_written_by_authors_are_wildcards() {
        assert_eq!(
            template("Fielddata is disabled on text fields by default. Set fielddata=true on [%attribute_code%]").as_deref(),
            Some("Fielddata is disabled on text fields by default. Set fielddata=true on [<*>]")
        );
        assert_eq!(
            template("file could not be written: /app/var/generation/<path/to/resource>: Read-only file system").as_deref(),
            Some("file could not be written: <*>: Read-only file system")
        );
    }

    #[test]
    fn capitals_written_as_placeholders_are_wildcards() {
        for (line, expected) in [
            (
                "ERROR: Permission to OWNER/REPOSITORY.git denied to OTHER-USER.",
                "Permission to <*>.git denied to <*>.",
            ),
            (
                "error: src refspec YOUR_BRANCH_NAME does not match any",
                "error: src refspec <*> does not match any",
            ),
            // A lone word in capitals is as often an acronym or a keyword
            // (RDBMS, WHERE) as a placeholder: it stays.
            (
                "UNPROTECTED PRIVATE KEY FILE! Permissions for USERNAME are too open",
                "UNPROTECTED PRIVATE KEY FILE! Permissions for USERNAME are too open",
            ),
            (
                "routines:SSL3_GET_SERVER_CERTIFICATE:certificate verify failed",
                "routines:SSL3_GET_SERVER_CERTIFICATE:certificate verify failed",
            ),
            (
                "fatal: remote HEAD refers to nonexistent ref, unable to checkout",
                "fatal: remote HEAD refers to nonexistent ref, unable to checkout",
            ),
        ] {
            assert_eq!(template(line).as_deref(), Some(expected), "{line}");
        }
    }

    /// A quote loses the prefixes a log line loses, so that its template
    /// is the template of the line as the log stage reads it.
    #[test]
    fn a_quote_loses_what_a_log_line_loses() {
        let log_text = |line: &str| -> String {
            let mut lines = crate::log::lines(line.as_bytes());
            lines.next().expect("one line").expect("read").text
        };
        for line in [
            "E: Error building project: Step failed",
            "W:   Error: patch can't be applied",
            "remote: E: the widget store is gone",
            "[SUCCESS]: Magento installation complete.",
            "[2019-01-23 00:00:00] CRITICAL: [11] Command failed for the widget store",
            "[YYYY-MM-DD HH:MM:SS] CRITICAL: Fix configuration with given suggestions",
            "YYYY-MM-DD HH:MM:SS ERROR: the widget store is gone",
            "web_1  | ERROR: [1] bootstrap checks failed",
            "2024-05-01T10:00:03.123456789Z stderr F ERROR: [4] Widget store is gone",
            "##[error]Process completed with exit code 1.",
            "[2021-02-01T03:54:53,577][INFO ][o.e.n.Node] stopping the widget node",
            "[0] integration2 (type: development)",
            "elasticsearch_1  | [1]: max virtual memory areas vm.max_map_count [65530] is too low",
        ] {
            assert!(template(line).is_some(), "{line}");
            assert_eq!(template(line), template(&log_text(line)), "{line}");
        }
    }

    #[test]
    fn too_generic_lines_give_no_template() {
        assert_eq!(template("Error: 42"), None);
        assert_eq!(template("df -h"), None);
        assert_eq!(template("   "), None);
    }

    #[test]
    fn block_skips_stack_frames_and_prompts() {
        let block = "PHP Fatal error:  Uncaught Exception: Something went badly wrong in /a/b.php:3\nStack trace:\n#0 /a/c.php(12): foo()\nuser@host:~$ php bin/tool run\n";
        assert_eq!(
            templates_of_block(block, ""),
            vec!["Fatal error: Uncaught Exception: Something went badly wrong in"]
        );
    }
}
