//! The log stage end to end on small hand-written logs in
//! `tests/fixtures/logs`: open (plain and gzip), normalise, find the failure.

use std::io::Write;
use std::path::{Path, PathBuf};

use triage::log::{self, Failure, Level, LogError, LogLine};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/logs")
        .join(name)
}

fn read_lines(path: &Path) -> Vec<LogLine> {
    let reader = log::open(path).expect("open fixture");
    log::lines(reader)
        .named(path)
        .collect::<Result<_, _>>()
        .expect("read fixture")
}

fn failure_of(path: &Path) -> Option<Failure> {
    let reader = log::open(path).expect("open fixture");
    log::find_failure(reader, path).expect("read fixture")
}

fn texts(lines: &[LogLine]) -> Vec<&str> {
    lines
        .iter()
        .filter(|l| !l.is_blank())
        .map(|l| l.text.as_str())
        .collect()
}

#[test]
fn wrapped_console_box_becomes_one_line() {
    let path = fixture("composer-box-wrapped.log");
    let lines = read_lines(&path);
    let boxed = lines
        .iter()
        .find(|l| l.text.starts_with("[Acme\\Downloader\\TransportException]"))
        .expect("box line");
    assert_eq!(
        boxed.text,
        "[Acme\\Downloader\\TransportException] The \
         'https://repository.example.test/archives/acme/widgets/widgets-2.3.1.zip' \
         URL required authentication (HTTP 401). \
         You must be using the interactive console to authenticate"
    );
    assert_eq!(boxed.number, 11, "numbered at the title row");

    let failure = failure_of(&path).expect("a failure");
    assert_eq!(texts(&failure.error_lines), [boxed.text.as_str()]);
    // Context before and the usage line after are in the region.
    let region = texts(&failure.lines);
    assert!(region.contains(&"- Downloading acme/widgets (2.3.1)"));
    assert!(region
        .last()
        .unwrap()
        .starts_with("install [--prefer-source]"));
    assert_eq!(failure.total_lines, 17);
}

#[test]
fn json_escaped_one_line_log_is_split_and_unwrapped() {
    let path = fixture("json-escaped-one-line.log");
    let lines = read_lines(&path);
    assert!(
        lines.iter().all(|l| l.number == 1),
        "all from physical line 1"
    );
    assert_eq!(
        texts(&lines),
        [
            "Starting build.",
            "Running step \"compile\"",
            "bin/app compile --all || exit 1",
            "In Runner.php line 42:",
            "The command \"bin/app compile --all\" failed. Fatal error: Allowed memory size of 134217728 bytes exhausted",
            "Build step \"compile\" returned code 255",
        ]
    );
    let last = lines.iter().rfind(|l| !l.is_blank()).unwrap();
    assert_eq!(last.level, Some(Level::Critical));
    assert_eq!(last.code.as_deref(), Some("7"));

    let failure = failure_of(&path).expect("a failure");
    assert_eq!(
        texts(&failure.error_lines),
        [
            "In Runner.php line 42:",
            "The command \"bin/app compile --all\" failed. Fatal error: Allowed memory size of 134217728 bytes exhausted",
            "Build step \"compile\" returned code 255",
        ]
    );
}

#[test]
fn colours_timestamps_and_levels_are_normalised() {
    let path = fixture("ansi-timestamps.log");
    let lines = read_lines(&path);
    let summary: Vec<(&str, Option<Level>, Option<&str>)> = lines
        .iter()
        .filter(|l| !l.is_blank())
        .map(|l| (l.text.as_str(), l.level, l.code.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            ("Starting deployment", Some(Level::Info), None),
            ("Validating configuration", Some(Level::Notice), None),
            ("Fetching dependencies", None, None),
            ("Disk usage at 81%", Some(Level::Warning), None),
            (
                "Unable to connect to cache backend: Connection refused",
                Some(Level::Error),
                None
            ),
            (
                "Deployment step \"cache:warm\" failed",
                Some(Level::Critical),
                Some("12")
            ),
            ("The step is not retried", Some(Level::Warning), None),
            (
                "Error building project: Step failed",
                Some(Level::Error),
                None
            ),
        ]
    );
    let failure = failure_of(&path).expect("a failure");
    assert_eq!(failure.error_lines.len(), 3);
    assert_eq!(failure.error_lines[0].number, 5);
    assert_eq!(failure.error_lines[2].number, 8);
}

#[test]
fn gzip_log_reads_like_the_plain_one() {
    let plain = fixture("ansi-timestamps.log");
    let dir = tempfile::tempdir().unwrap();
    // No .gz extension: detection is by content.
    let packed = dir.path().join("deploy-output.txt");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&packed).unwrap(),
        flate2::Compression::default(),
    );
    encoder.write_all(&std::fs::read(&plain).unwrap()).unwrap();
    encoder.finish().unwrap();

    assert_eq!(read_lines(&packed), read_lines(&plain));
    assert_eq!(failure_of(&packed), failure_of(&plain));
}

#[test]
fn successful_noisy_run_has_no_failure() {
    let path = fixture("success-noisy.log");
    let failure = failure_of(&path);
    assert!(failure.is_none(), "unexpected failure: {failure:#?}");
}

#[test]
fn crlf_and_invalid_utf8_are_tolerated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("windows.log");
    std::fs::write(
        &path,
        b"Step one\r\nStep two \xe9t\xe9\r\nPHP Fatal error:  Out of memory\r\n",
    )
    .unwrap();
    let lines = read_lines(&path);
    assert_eq!(
        texts(&lines),
        [
            "Step one",
            "Step two \u{fffd}t\u{fffd}",
            "PHP Fatal error:  Out of memory"
        ]
    );
    let failure = failure_of(&path).expect("a failure");
    assert_eq!(failure.error_lines[0].number, 3);
}

#[test]
fn errors_name_the_file() {
    let missing = Path::new("/nonexistent/dir/deploy.log");
    let err = log::open(missing).err().expect("missing file");
    assert!(matches!(err, LogError::Open { .. }));
    assert!(
        err.to_string().contains("/nonexistent/dir/deploy.log"),
        "{err}"
    );

    // A gzip stream cut short fails while reading, at a line, naming the file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.log.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in 0..2000 {
        writeln!(encoder, "line {i} of a log that will be cut short").unwrap();
    }
    let mut bytes = encoder.finish().unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&path, bytes).unwrap();
    let reader = log::open(&path).expect("header is fine");
    let err = log::lines(reader)
        .named(&path)
        .find_map(Result::err)
        .expect("a read error");
    assert!(
        matches!(err, LogError::Read { line, .. } if line > 1),
        "{err}"
    );
    assert!(err.to_string().contains("cut.log.gz"), "{err}");
}
