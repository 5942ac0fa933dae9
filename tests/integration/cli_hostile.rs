//! Issue 17, hostile and odd input: a test for each row of its table and
//! each point it also found. Every input is generated here, not committed.
//! Each asserts the new behaviour: a clear error naming the file, the right
//! answer, or a bound reached (a depth, a size) with the other files still
//! written. How long the worst of them take is measured by
//! `benches/hostile.sh`, not asserted here.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use tempfile::TempDir;
use triage::article::model::MAX_NESTING;

use crate::support::{json_of, log, stderr_of, stdout_of, Test};

/// An ordinary article, to show the others are still written.
const GOOD: &str = "---\ntitle: Widget explodes at the dial\n---\n## Issue\n\n\
                    ```\nError: widget exploded at dial 7\n```\n\n\
                    ## Solution\n\n1. Turn the dial back.\n";

/// A log the good article diagnoses.
const GOOD_LOG: &str = "Starting widget\nError: widget exploded at dial 9\n";

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

/// A directory of articles holding `good.md` and whatever the test adds.
fn articles() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good.md", GOOD);
    dir
}

fn ingest(articles: &Path, out: &Path) -> Test {
    Test::new()
        .arg("ingest")
        .arg(articles)
        .arg("--out")
        .arg(out)
}

/// The good article's rules, ingested.
fn good_rules() -> TempDir {
    let (dir, out) = (articles(), tempfile::tempdir().unwrap());
    ingest(dir.path(), out.path()).run();
    out
}

/// `GOOD_LOG` in a file of its own.
fn good_log() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "good.log", GOOD_LOG);
    (dir, path)
}

fn diagnose_json(rules: &Path, log: &Path) -> Output {
    Test::new()
        .args(["diagnose", "--format", "json", "--rules"])
        .arg(rules)
        .arg(log)
        .output()
}

#[test]
fn html_nested_100k_deep_is_refused_by_name_and_the_others_written() {
    let (dir, out) = (articles(), tempfile::tempdir().unwrap());
    let n = 100_000;
    let deep = write(
        dir.path(),
        "deep.html",
        format!(
            "---\ntitle: Deep\n---\n<h2>Issue</h2><p>Error: x</p>{}deep{}",
            "<div>".repeat(n),
            "</div>".repeat(n)
        ),
    );
    // 1.1 MB: over the article size limit, so skipped unread by default;
    // under a raised limit, refused on its depth in one pass.
    let size = fs::metadata(&deep).unwrap().len();
    ingest(dir.path(), out.path())
        .status(1)
        .stderr_contains(format!(
            "warning: skipped {}: {size} bytes is over the article size limit of 1048576 bytes",
            deep.display()
        ))
        .run();
    ingest(dir.path(), out.path())
        .args(["--max-article-bytes", "10000000"])
        .status(1)
        .stderr_contains(format!(
            "error: {}: HTML elements nested more than 512 deep: not parsed",
            deep.display()
        ))
        .stdout_contains("0 new, 0 updated, 1 unchanged,")
        .stdout_contains(", 1 errors")
        .run();
    assert!(out.path().join("good.toml").exists());
    assert!(!out.path().join("deep.toml").exists());
}

#[test]
fn markdown_lists_and_quotes_nested_100k_deep_are_kept_to_the_bound() {
    let (dir, out) = (articles(), tempfile::tempdir().unwrap());
    let head = "---\ntitle: Nested\n---\n## Issue\n\nError: boom\n\n## Solution\n\n";
    // 20 KB for 10,000 levels, as reported; then 100,000.
    for (name, body) in [
        ("lists-10k.md", format!("{}fix it\n", "- ".repeat(10_000))),
        ("lists-100k.md", format!("{}fix it\n", "- ".repeat(100_000))),
        (
            "quotes-100k.md",
            format!("{}fix it\n", "> ".repeat(100_000)),
        ),
        (
            "indented-900.md",
            (0..900)
                .map(|i| format!("{}- step {i}\n", "  ".repeat(i)))
                .collect(),
        ),
    ] {
        write(dir.path(), name, format!("{head}{body}"));
    }
    ingest(dir.path(), out.path())
        .stdout_contains("5 new,")
        .stdout_contains(", 0 errors")
        .run();
    for name in ["lists-10k", "lists-100k", "quotes-100k", "indented-900"] {
        let text = fs::read_to_string(out.path().join(format!("{name}.toml"))).unwrap();
        let rule: toml::Table = toml::from_str(&text).unwrap();
        let steps = rule["steps"].as_array().unwrap();
        let steps: Vec<&str> = steps.iter().map(|s| s.as_str().unwrap()).collect();
        // Nested steps are indented two spaces a level: never past the bound.
        let deepest = steps
            .iter()
            .flat_map(|s| s.lines())
            .map(|l| l.len() - l.trim_start().len())
            .max()
            .unwrap_or(0);
        assert!(deepest <= 2 * MAX_NESTING, "{name}: indented {deepest}");
        assert!(
            steps
                .iter()
                .any(|s| s.contains("fix it") || s.contains("step 899")),
            "{name}: the innermost words are kept: {steps:?}"
        );
    }
}

#[test]
fn yaml_alias_bomb_is_refused_by_name_and_line_unexpanded() {
    let (dir, out) = (articles(), tempfile::tempdir().unwrap());
    let mut bomb =
        String::from("---\ntitle: Bomb\nunused: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
    for (name, previous) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        let refs = vec![format!("*{previous}"); 9].join(",");
        bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    bomb.push_str("---\n## Issue\n\nError: boom\n\n## Solution\n\n1. Fix.\n");
    let path = write(dir.path(), "bomb.md", bomb);
    let o = ingest(dir.path(), out.path()).status(1).run();
    let stderr = stderr_of(&o);
    let line = stderr
        .lines()
        .find(|l| l.contains("bomb.md"))
        .unwrap_or_else(|| panic!("bomb.md not named:\n{stderr}"));
    assert!(
        line.starts_with(&format!("error: {}:", path.display()))
            && line.contains("broken front matter")
            && line.contains("aliases are expanded"),
        "{line}"
    );
    assert!(out.path().join("good.toml").exists());
}

#[test]
fn an_article_over_the_size_limit_is_skipped_unread_with_a_warning() {
    let (dir, out) = (articles(), tempfile::tempdir().unwrap());
    // 100 MB, sparse: skipped on its size, so never read.
    let huge = dir.path().join("huge.md");
    fs::File::create(&huge).unwrap().set_len(100 << 20).unwrap();
    ingest(dir.path(), out.path())
        .status(1)
        .stderr_contains(format!(
            "warning: skipped {}: 104857600 bytes is over the article size limit of 1048576 bytes (--max-article-bytes)",
            huge.display()
        ))
        .stdout_contains("1 new,")
        .stdout_contains(", 1 skipped (too large)")
        .run();
    assert!(out.path().join("good.toml").exists());
    // The limit is the user's to set.
    let small = tempfile::tempdir().unwrap();
    ingest(dir.path(), small.path())
        .args(["--max-article-bytes", "100"])
        .status(1)
        .stdout_contains("0 new,")
        .stdout_contains(", 2 skipped (too large)")
        .run();
}

#[test]
fn a_file_name_with_a_newline_gives_a_valid_rule_file() {
    let (dir, out) = (articles(), tempfile::tempdir().unwrap());
    write(
        dir.path(),
        "evil\nid = \"x\"\n[examples].md",
        GOOD.replace("Widget explodes", "Evil"),
    );
    ingest(dir.path(), out.path())
        .stdout_contains("2 new,")
        .stdout_contains(", 0 errors")
        .run();
    let name = "evil%0Aid%20%3D%20%22x%22%0A%5Bexamples%5D.toml";
    let text = fs::read_to_string(out.path().join(name)).unwrap();
    let rule: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(rule["id"].as_str(), Some("evil\nid = \"x\"\n[examples]"));
    // Every later command still reads the directory.
    Test::new()
        .args(["lint", "--rules"])
        .arg(out.path())
        .stdout_contains("2 rules, no problems")
        .run();
    let (_logs, log_path) = good_log();
    Test::new()
        .args(["diagnose", "--rules"])
        .arg(out.path())
        .arg(&log_path)
        .stdout_contains("Diagnosis:")
        .run();
}

#[test]
fn ids_that_mapped_to_one_file_get_a_file_each() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a b.md",
        GOOD.replace("Widget", "Spaced widget"),
    );
    write(
        dir.path(),
        "a_b.md",
        GOOD.replace("Widget", "Underscored widget"),
    );
    let out = tempfile::tempdir().unwrap();
    ingest(dir.path(), out.path())
        .stdout_contains("ingested 2 articles from 2 files")
        .stdout_contains("2 new, 0 updated")
        .run();
    for (file, id) in [("a%20b.toml", "a b"), ("a_b.toml", "a_b")] {
        let rule: toml::Table =
            toml::from_str(&fs::read_to_string(out.path().join(file)).unwrap()).unwrap();
        assert_eq!(rule["id"].as_str(), Some(id), "{file}");
    }
}

#[test]
fn an_unreadable_directory_is_an_error_like_an_unreadable_file() {
    let Some(test) = Test::unprivileged() else {
        eprintln!("skipping: root without setpriv cannot be denied a directory");
        return;
    };
    let (dir, out) = (articles(), tempfile::tempdir().unwrap());
    let sub = dir.path().join("locked");
    fs::create_dir(&sub).unwrap();
    write(&sub, "hidden.md", GOOD);
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&sub, fs::Permissions::from_mode(0o000)).unwrap();
    // The output must be writable by the unprivileged run.
    fs::set_permissions(out.path(), fs::Permissions::from_mode(0o777)).unwrap();
    test.arg("ingest")
        .arg(dir.path())
        .arg("--out")
        .arg(out.path())
        .status(1)
        .stderr_contains(format!(
            "error: {}: cannot read: Permission denied",
            sub.display()
        ))
        .stdout_contains("1 new,")
        .stdout_contains(", 1 errors")
        .run();
    fs::set_permissions(&sub, fs::Permissions::from_mode(0o755)).unwrap();
    assert!(out.path().join("good.toml").exists());
}

#[test]
fn a_dangling_link_is_an_error_naming_it() {
    let (dir, out) = (articles(), tempfile::tempdir().unwrap());
    let link = dir.path().join("gone.md");
    std::os::unix::fs::symlink(dir.path().join("nowhere.md"), &link).unwrap();
    ingest(dir.path(), out.path())
        .status(1)
        .stderr_contains(format!(
            "error: {}: cannot read: No such file or directory",
            link.display()
        ))
        .run();
    assert!(out.path().join("good.toml").exists());
}

#[test]
fn a_read_only_output_directory_fails_once_up_front() {
    let Some(test) = Test::unprivileged() else {
        eprintln!("skipping: root without setpriv writes anywhere");
        return;
    };
    let dir = articles();
    for n in 0..5 {
        write(dir.path(), &format!("more-{n}.md"), GOOD);
    }
    let out = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(out.path(), fs::Permissions::from_mode(0o555)).unwrap();
    let o = test
        .arg("ingest")
        .arg(dir.path())
        .arg("--out")
        .arg(out.path())
        .output();
    fs::set_permissions(out.path(), fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout_of(&o), "", "no summary of a run that wrote nothing");
    assert_eq!(
        stderr_of(&o),
        format!(
            "triage: {}: cannot write into the output directory: Permission denied (os error 13)\n",
            out.path().display()
        )
    );
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut bytes = if big_endian {
        vec![0xfe, 0xff]
    } else {
        vec![0xff, 0xfe]
    };
    for unit in text.encode_utf16() {
        bytes.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    bytes
}

fn utf32(text: &str, big_endian: bool) -> Vec<u8> {
    std::iter::once('\u{feff}')
        .chain(text.chars())
        .flat_map(|c| {
            let code = u32::from(c);
            if big_endian {
                code.to_be_bytes()
            } else {
                code.to_le_bytes()
            }
        })
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn utf16_and_utf32_logs_with_a_bom_read_like_utf8_gzipped_or_not() {
    let rules = crate::support::ingested_kb();
    let plain = log("repo-auth-box.log");
    let expected = json_of(&diagnose_json(rules.path(), &plain));
    assert_eq!(expected["diagnoses"][0]["id"], "private-repo-auth");
    let text = fs::read_to_string(&plain).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("utf16le.log", utf16(&text, false)),
        ("utf16be.log", utf16(&text, true)),
        ("utf32le.log", utf32(&text, false)),
        ("utf32be.log", utf32(&text, true)),
        ("utf16le.log.gz", gzip(&utf16(&text, false))),
        ("utf32be.log.gz", gzip(&utf32(&text, true))),
    ] {
        let path = write(dir.path(), name, bytes);
        let o = diagnose_json(rules.path(), &path);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr_of(&o));
        assert_eq!(json_of(&o), expected, "{name}");
    }
}

#[test]
fn nul_bytes_inside_a_line_are_dropped_before_matching_and_showing() {
    let rules = good_rules();
    let dir = tempfile::tempdir().unwrap();
    let clean = write(dir.path(), "clean.log", GOOD_LOG);
    let nul = write(
        dir.path(),
        "nul.log",
        GOOD_LOG.replace("widget exploded", "wid\0get exp\0\0loded"),
    );
    let expected = json_of(&diagnose_json(rules.path(), &clean));
    assert_eq!(expected["diagnoses"][0]["id"], "good");
    assert_eq!(json_of(&diagnose_json(rules.path(), &nul)), expected);
    let o = Test::new()
        .args(["diagnose", "--rules"])
        .arg(rules.path())
        .arg(&nul)
        .stdout_contains("2: Error: widget exploded at dial 9")
        .run();
    assert!(!o.stdout.contains(&0), "a NUL reached the report");
}

#[test]
fn a_200_mb_line_is_one_line_cut_with_a_mark_and_numbered_once() {
    let rules = good_rules();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one-line.log");
    let mut file = std::io::BufWriter::new(fs::File::create(&path).unwrap());
    file.write_all(b"Error: widget exploded at dial 9 ")
        .unwrap();
    let block = vec![b'x'; 1 << 20];
    for _ in 0..200 {
        file.write_all(&block).unwrap();
    }
    file.write_all(b"\nRolling back the widget\n").unwrap();
    drop(file);
    let o = diagnose_json(rules.path(), &path);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    let v = json_of(&o);
    assert_eq!(v["diagnoses"][0]["id"], "good");
    assert_eq!(v["lines"], 2);
    let first: Vec<&serde_json::Value> = v["failure"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["line"] == 1)
        .collect();
    assert_eq!(first.len(), 1, "line 1 shown once: {}", first.len());
    let text = first[0]["text"].as_str().unwrap();
    assert!(text.starts_with("Error: widget exploded at dial 9 xxx"));
    assert!(
        text.ends_with('…') && text.len() <= 16 * 1024,
        "{}",
        text.len()
    );
    // The text report shows it once, cut to what a screen can hold.
    let o = Test::new()
        .args(["diagnose", "--rules"])
        .arg(rules.path())
        .arg(&path)
        .run();
    let report = stdout_of(&o);
    let shown: Vec<&str> = report
        .lines()
        .filter(|l| l.trim_start().starts_with("1: "))
        .collect();
    assert_eq!(shown.len(), 1, "{report}");
    assert!(
        shown[0].ends_with('…') && shown[0].chars().count() < 400,
        "{}",
        shown[0]
    );
}

#[test]
fn a_50_mb_rule_file_is_refused_unread_by_every_command() {
    let rules = good_rules();
    let big = rules.path().join("big.toml");
    // Sparse: refused on its size, so never read or parsed.
    fs::File::create(&big).unwrap().set_len(50 << 20).unwrap();
    let message = format!(
        "{}: 50.0 MiB is over the 4.0 MiB limit for a rule file",
        big.display()
    );
    let (_logs, log_path) = good_log();
    Test::new()
        .args(["diagnose", "--rules"])
        .arg(rules.path())
        .arg(&log_path)
        .status(2)
        .stderr_contains(&message)
        .run();
    Test::new()
        .args(["search", "widget", "--rules"])
        .arg(rules.path())
        .status(2)
        .stderr_contains(&message)
        .run();
    Test::new()
        .args(["lint", "--rules"])
        .arg(rules.path())
        .status(1)
        .stderr_contains(&message)
        .stdout_contains("1 rules, 1 problems")
        .run();
}

/// Under the size limit, a rule can still hold more checks than the
/// matcher should run: 81,000 signature lines in 4 MiB took a minute.
#[test]
fn a_rule_with_more_checks_than_the_limit_is_refused_by_name() {
    let rules = good_rules();
    let sigs: String = (0..300)
        .map(|i| format!("  'Widget {i} exploded at dial <*>',\n"))
        .collect();
    let many = write(
        rules.path(),
        "many.toml",
        format!("id = \"many\"\ntitle = \"Many\"\nsignatures = [\n{sigs}]\n"),
    );
    let (_logs, log_path) = good_log();
    Test::new()
        .args(["diagnose", "--rules"])
        .arg(rules.path())
        .arg(&log_path)
        .status(2)
        .stderr_contains(format!(
            "{}: rule \"many\" has 300 signature lines, over the limit of 256 for one rule",
            many.display()
        ))
        .run();
}

#[test]
fn a_1_mb_query_is_refused_with_a_short_message() {
    // In arguments of 100 KB (one may not be over 128 KiB), which search
    // joins with spaces.
    let part = "checkout page blank after upgrade ".repeat(3_000);
    let query = [part.trim_end(); 10].join(" ");
    let o = Test::new()
        .arg("search")
        .args([part.trim_end(); 10])
        .status(2)
        .stderr_contains(format!(
            "the query is {} bytes long, over the limit of 8192",
            query.len()
        ))
        .run();
    assert!(stderr_of(&o).len() < 300, "{}", stderr_of(&o));
    // With a rules directory (10 KB took over a second): the same.
    let rules = good_rules();
    let query = "widget ".repeat(1_500);
    Test::new()
        .args(["search", "--rules"])
        .arg(rules.path())
        .arg(&query)
        .status(2)
        .stderr_contains("over the limit of 8192")
        .run();
    // A query that finds nothing is echoed cut short.
    let o = Test::new()
        .arg("search")
        .args(std::iter::repeat_n("zzzqqq", 1_000))
        .status(1)
        .run();
    assert!(
        stderr_of(&o).contains("…") && stderr_of(&o).len() < 300,
        "{}",
        stderr_of(&o)
    );
}

#[test]
fn a_bad_regex_met_by_diagnose_names_the_rule_file_and_line() {
    let rules = good_rules();
    let file = rules.path().join("good.toml");
    let text = fs::read_to_string(&file).unwrap();
    let text = text.replacen(
        "id = \"good\"\n",
        "id = \"good\"\npatterns = ['widget (exploded']\n",
        1,
    );
    fs::write(&file, &text).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("patterns"))
        .unwrap()
        + 1;
    let (_logs, log_path) = good_log();
    Test::new()
        .args(["diagnose", "--rules"])
        .arg(rules.path())
        .arg(&log_path)
        .status(2)
        .stderr_contains(format!(
            "triage: {}:{line}: rule good: pattern \"widget (exploded\" does not compile: error: unclosed group",
            file.display()
        ))
        .run();
}

#[test]
fn completions_are_generated_for_bash_zsh_and_fish() {
    for (shell, mark) in [
        ("bash", "_triage()"),
        ("zsh", "#compdef triage"),
        ("fish", "complete -c triage"),
    ] {
        Test::new()
            .args(["completions", shell])
            .stdout_contains(mark)
            .stdout_contains("diagnose")
            .stdout_contains("max-article-bytes")
            .run();
    }
}
