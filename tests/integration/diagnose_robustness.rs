//! The same failure, delivered the ways real pipelines deliver it, gets the
//! same answer: every log of `../shared/eval` (labelled or not) is diagnosed
//! as published and again with Windows line ends, with colours, behind a CI
//! runner's timestamps, behind a container's service prefix, as Kubernetes
//! (CRI) and Docker (json-file) store container output, inside a CI job's
//! sections, as a CI step with workflow commands and a final exit status,
//! and gzipped. The first answer and its confidence, and which
//! lines are the failure, must not change. Inside a Jenkins-style pipeline
//! (preamble, step lines, the shell's `+ ./deploy.sh`, `Finished: FAILURE`)
//! the failure lines must not change; the first answer may, as the
//! script's name is words of the job's own. Skips when the shared data is
//! absent.

use std::io::Write;
use std::path::Path;

use triage::diagnose::{diagnose, diagnose_file, Diagnosis};

use crate::support::shared::{corpus_engine, shared};

/// What must survive a change of delivery.
#[derive(Debug, PartialEq)]
struct Answer {
    first: Option<(String, String)>,
    diagnoses: Vec<String>,
    failure_lines: Vec<usize>,
}

fn answer(d: &Diagnosis) -> Answer {
    Answer {
        first: d
            .diagnoses
            .iter()
            .chain(&d.related)
            .next()
            .map(|f| (f.id.clone(), format!("{:?}", f.confidence))),
        diagnoses: d.diagnoses.iter().map(|f| f.id.clone()).collect(),
        failure_lines: d.failure.iter().map(|l| l.line).collect(),
    }
}

fn each_line(text: &str, f: impl Fn(usize, &str) -> String) -> String {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| f(i, l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The variant that ends with the runner's own failure (`Process completed
/// with exit code 1`).
const FAILED_JOB: &str = "ci step with workflow commands";

/// The variant wrapped in a pipeline's bookkeeping and the shell's echo of
/// the script it runs, which ends with the pipeline's verdict.
const PIPELINE: &str = "jenkins-style pipeline";

/// Each variant with the number of lines it adds before the log.
fn variants(text: &str) -> Vec<(&'static str, String, usize)> {
    let shifted = |(name, text): (&'static str, String)| (name, text, 0);
    let mut out: Vec<_> = vec![
        ("crlf", text.replace('\n', "\r\n")),
        (
            "colours",
            each_line(text, |_, l| {
                if l.trim().is_empty() {
                    l.to_string()
                } else {
                    format!("\x1b[1;31m{l}\x1b[0m")
                }
            }),
        ),
        (
            "ci timestamps",
            each_line(text, |i, l| {
                format!(
                    "2024-05-01T10:{:02}:{:02}.1234567Z {l}",
                    i / 60 % 60,
                    i % 60
                )
            }),
        ),
        (
            "service prefix",
            each_line(text, |_, l| format!("web_1  | {l}")),
        ),
        (
            "kubernetes (cri)",
            each_line(text, |_, l| {
                format!("2024-05-01T10:00:03.123456789Z stderr F {l}")
            }),
        ),
        (
            "docker json-file",
            each_line(text, |_, l| {
                serde_json::json!({"log": format!("{l}\n"), "stream": "stderr"}).to_string()
            }),
        ),
    ]
    .into_iter()
    .map(shifted)
    .collect();
    out.push((
        FAILED_JOB,
        format!(
            "2024-05-01T10:00:00.0000000Z ##[group]Run ./deploy.sh\n\
             2024-05-01T10:00:00.0000000Z   ./deploy.sh\n\
             2024-05-01T10:00:00.0000000Z shell: /usr/bin/bash -e {{0}}\n\
             2024-05-01T10:00:00.0000000Z ##[endgroup]\n{}\n\
             2024-05-01T10:00:02.0000000Z ##[error]Process completed with exit code 1.\n",
            each_line(text.trim_end_matches('\n'), |_, l| format!(
                "2024-05-01T10:00:01.0000000Z {l}"
            ))
        ),
        4,
    ));
    out.push((
        PIPELINE,
        format!(
            "Started by user admin\n[Pipeline] Start of Pipeline\n[Pipeline] node\n\
             Running on agent-1 in /var/lib/jenkins/workspace/deploy\n[Pipeline] {{\n\
             [Pipeline] sh\n+ ./deploy.sh\n{}\n[Pipeline] }}\n[Pipeline] // node\n\
             [Pipeline] End of Pipeline\nERROR: script returned exit code 1\nFinished: FAILURE\n",
            text.trim_end_matches('\n')
        ),
        7,
    ));
    out.push((
        "ci job sections",
        format!(
            "section_start:1714557600:script\r\x1b[0KRunning the job\n{text}\n\
             section_end:1714557601:script\r\x1b[0K\n"
        ),
        1,
    ));
    out
}

#[test]
fn the_answer_does_not_depend_on_how_the_log_was_delivered() {
    let (Some(cases), Some(corpus)) = (shared("eval/cases.toml"), shared("corpus")) else {
        return;
    };
    let engine = corpus_engine(&corpus);
    let file: toml::Value = toml::from_str(&std::fs::read_to_string(&cases).unwrap()).unwrap();
    let logs: Vec<std::path::PathBuf> = file["case"]
        .as_array()
        .expect("[[case]] tables")
        .iter()
        .map(|c| cases.parent().unwrap().join(c["log"].as_str().unwrap()))
        .collect();
    assert!(logs.len() > 50, "only {} cases", logs.len());

    let tmp = tempfile::tempdir().unwrap();
    let mut differences = Vec::new();
    for log in &logs {
        let bytes = std::fs::read(log).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let expected = answer(&diagnose(&engine, &bytes[..], 5).unwrap());
        let mut delivered = variants(&text)
            .into_iter()
            .map(|(name, v, shift)| {
                let mut got = answer(&diagnose(&engine, v.as_bytes(), 5).unwrap());
                got.failure_lines
                    .iter_mut()
                    .for_each(|l| *l = l.saturating_sub(shift));
                (name, got)
            })
            .collect::<Vec<_>>();
        let gz = tmp.path().join("log.gz");
        let mut encoder = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::default(),
        );
        encoder.write_all(&bytes).unwrap();
        encoder.finish().unwrap();
        delivered.push(("gzip", answer(&diagnose_file(&engine, &gz, 5).unwrap())));
        for (name, got) in delivered {
            // A successful run in a job that still exited 1: the job did
            // fail, but nothing says why, so nothing may be named.
            let unexplained =
                expected.failure_lines.is_empty() && (name == FAILED_JOB || name == PIPELINE);
            if unexplained && got.diagnoses.is_empty() {
                continue;
            }
            let same = if name == PIPELINE {
                !unexplained && got.failure_lines == expected.failure_lines
            } else {
                got == expected
            };
            if !same {
                differences.push(format!(
                    "{} ({name}):\n  as published {expected:?}\n  delivered    {got:?}",
                    file_name(log)
                ));
            }
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}
