//! A CI runner's bookkeeping: its section markers, step lines and its
//! chatter before and after the job, and the echo of a step's definition
//! (its step header). None of it is output of the job: it reads as blank.

/// A CI job log's section marker (`section_start:1714557600:build\r\e[0K`
/// followed by the runner's own heading), pipeline step line, or a line the
/// runner prints about itself before and after the job (see
/// [`RUNNER_CHATTER`]): the runner's bookkeeping, not output of the job.
pub(super) fn is_runner_bookkeeping(bytes: &[u8]) -> bool {
    // Called on many lines of a long log: most are ruled out by their
    // first byte.
    let first = |b: &[u8]| b.first().map_or(0, |&c| c);
    let bytes = match first(bytes) {
        b'[' | b'0'..=b'9' => after_timestamp(bytes),
        _ => bytes,
    };
    if !matches!(
        first(bytes),
        b's' | b'[' | b'S' | b'O' | b'C' | b'F' | b'R' | b'P' | b'G' | b'E' | b'J'
    ) {
        return false;
    }
    let rest = bytes
        .strip_prefix(b"section_start:")
        .or_else(|| bytes.strip_prefix(b"section_end:"));
    rest.is_some_and(|r| r.first().is_some_and(u8::is_ascii_digit))
        // A pipeline's own step lines (`[Pipeline] sh`, `[Pipeline] }`).
        || bytes.starts_with(b"[Pipeline] ")
        || RUNNER_CHATTER.iter().any(|start| bytes.starts_with(start))
        || is_runner_placement(bytes)
}

/// How CI runners open and close a job, word for word (Jenkins, GitLab
/// runner, GitHub Actions). Their words ("user admin", "Git repository",
/// "deploy") are not the job's: read as context they pull in articles about
/// admin users or repositories. Only lines no tool's own output starts
/// with; exit statuses stay, as they confirm the failure.
const RUNNER_CHATTER: &[&[u8]] = &[
    // Jenkins
    b"Started by user ",
    b"Started by timer",
    b"Started by upstream project ",
    b"Started by an SCM change",
    b"Started by GitHub push ",
    b"Started by remote host ",
    b"Obtained Jenkinsfile from ",
    b"Checking out Revision ",
    b"Finished: SUCCESS",
    // GitLab runner
    b"Running with gitlab-runner ",
    b"Preparing the \"",
    b"Preparing environment",
    b"Getting source from Git repository",
    b"Fetching changes with git depth set to ",
    b"Skipping Git submodules setup",
    b"Executing \"step_script\" stage of the job script",
    b"Executing \"after_script\" stage of the job script",
    b"Cleaning up project directory and file based variables",
    b"Cleaning up file based variables",
    b"Job succeeded",
    // GitHub Actions
    b"Current runner version: '",
    b"Post job cleanup.",
    b"Cleaning up orphan processes",
];

/// Where a runner placed the job: `Running on agent-1 in
/// /var/lib/jenkins/workspace/deploy` (Jenkins), `Running on runner-x via
/// host...` (GitLab).
fn is_runner_placement(bytes: &[u8]) -> bool {
    let Some(rest) = bytes.strip_prefix(b"Running on ") else {
        return false;
    };
    let Some(space) = rest.iter().position(|&b| b == b' ') else {
        return false;
    };
    let after = &rest[space..];
    after.starts_with(b" in /") || after.starts_with(b" via ")
}

/// `bytes` after a leading timestamp, as CI runners put before each line:
/// `2024-05-01T10:00:00.1234567Z ` (a downloaded job log),
/// `[2024-05-01T10:00:00.123Z] ` or `10:00:00  ` (a pipeline's timestamper).
fn after_timestamp(bytes: &[u8]) -> &[u8] {
    let open = bytes.first() == Some(&b'[');
    let body = &bytes[usize::from(open)..];
    let len = body
        .iter()
        .take_while(|b| b.is_ascii_digit() || b":.-TZ+".contains(b))
        .count();
    let stamp = &body[..len];
    if len < 8 || !stamp[0].is_ascii_digit() || !stamp.contains(&b':') {
        return bytes;
    }
    let mut rest = &body[len..];
    if open {
        match rest.strip_prefix(b"]") {
            Some(r) => rest = r,
            None => return bytes,
        }
    }
    if rest.first() != Some(&b' ') {
        return bytes;
    }
    rest.trim_ascii_start()
}

/// Where a CI runner's step header stands (`##[group]Run deploy.sh`, the
/// script, its shell and environment, `##[endgroup]`): the runner's echo
/// of the job definition, read as blank.
#[derive(Default)]
pub(super) struct StepHeader {
    /// Lines left of the header. Bounded, so that a log cut inside a
    /// header does not blank the rest.
    left: usize,
}

/// Most lines a CI runner's step header is taken to hold.
const MAX_STEP_HEADER: usize = 200;

impl StepHeader {
    /// Whether a line that carried the workflow command `annotation`
    /// (`group`, ...) and then `rest` is part of a step header.
    pub(super) fn blanks(&mut self, annotation: Option<&str>, rest: &str) -> bool {
        match annotation {
            Some("group") if rest.starts_with("Run ") => {
                self.left = MAX_STEP_HEADER;
            }
            Some("endgroup") => self.left = 0,
            _ => {}
        }
        if self.left > 0 || annotation == Some("endgroup") {
            self.left = self.left.saturating_sub(1);
            return true;
        }
        false
    }

    pub(super) fn is_idle(&self) -> bool {
        self.left == 0
    }
}

/// The runner's own lines.
#[cfg(test)]
pub(super) const EXAMPLES: &[&str] = &[
    "##[group]Run ./deploy.sh",
    "##[endgroup]",
    "section_start:1714557600:build\r\x1b[0KRunning the build",
    "Started by user admin",
    "Running on agent-1 in /var/lib/ci/workspace/widgets",
];

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;
    use crate::log::Level;

    #[test]
    fn a_step_header_ends_the_box_before_it() {
        let log = "In Widget.php line 3:\n                          \n\
                   \x20 [WidgetException]       \n\
                   \x20 widget store is gone    \n\
                   ##[group]Run next.sh\n##[endgroup]\n\
                   \x20 next step output here   \n";
        let got: Vec<(usize, String)> = parse(log)
            .into_iter()
            .filter(|l| !l.is_blank())
            .map(|l| (l.number, l.text))
            .collect();
        assert_eq!(
            got,
            [
                (1, "In Widget.php line 3:".to_string()),
                (3, "[WidgetException] widget store is gone".to_string()),
                (7, "next step output here".to_string()),
            ]
        );
    }

    #[test]
    fn ci_runner_bookkeeping_reads_as_blank() {
        let log = "2024-05-01T10:00:00Z ##[group]Run ./deploy.sh --stage build\n\
                   2024-05-01T10:00:00Z   ./deploy.sh --stage build\n\
                   2024-05-01T10:00:00Z shell: /usr/bin/bash -e {0}\n\
                   2024-05-01T10:00:00Z ##[endgroup]\n\
                   2024-05-01T10:00:01Z Building widgets\n\
                   2024-05-01T10:00:02Z ##[error]Widget build failed\n\
                   [Pipeline] sh\n\
                   Started by user admin\n\
                   Running on agent-1 in /var/lib/ci/workspace/widgets\n\
                   2024-05-01T10:00:03.1234567Z Post job cleanup.\n\
                   [2024-05-01T10:00:04.123Z] Started by timer\n\
                   10:00:05  Running on agent-1 in /var/lib/ci/workspace/widgets\n\
                   Running on empty\n";
        let got = parse(log);
        let texts: Vec<&str> = got.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "",
                "",
                "",
                "",
                "Building widgets",
                "Widget build failed",
                "",
                "",
                "",
                "",
                "",
                "",
                "Running on empty"
            ]
        );
        assert_eq!(got[5].level, Some(Level::Error));
        // Other groups are the job's own output, and a header cut short
        // does not blank the rest of the log.
        let texts = |log: &str| parse(log).into_iter().map(|l| l.text).collect::<Vec<_>>();
        assert_eq!(
            texts("##[group]Widget list\nwidget-a\n##[endgroup]\n"),
            ["Widget list", "widget-a", ""]
        );
        let cut = format!(
            "##[group]Run ./deploy.sh\n{}Fatal error: widget store is gone\n",
            "  echo step\n".repeat(MAX_STEP_HEADER)
        );
        assert_eq!(
            texts(&cut).last().map(String::as_str),
            Some("Fatal error: widget store is gone")
        );
        // The runner's own lines as a container runtime stores them.
        let docker = "{\"log\":\"Building widgets\\n\",\"stream\":\"stdout\",\"time\":\"2024-05-01T10:00:01Z\"}\n\
                      {\"log\":\"Cleaning up project directory and file based variables\\n\",\"stream\":\"stdout\",\"time\":\"2024-05-01T10:00:02Z\"}\n";
        assert_eq!(texts(docker), ["Building widgets", ""]);
    }

    #[test]
    fn every_runner_chatter_line_reads_as_blank() {
        for start in RUNNER_CHATTER {
            let line = [start, &b" 42"[..]].concat();
            assert!(is_runner_bookkeeping(&line), "{}", line.escape_ascii());
            let stamped = [&b"10:00:00  "[..], &line].concat();
            assert!(
                is_runner_bookkeeping(&stamped),
                "{}",
                stamped.escape_ascii()
            );
        }
        assert!(!is_runner_bookkeeping(b"Starting the widget build"));
    }
}
