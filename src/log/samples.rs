//! Logs for the tests: the example logs as container runtimes and CI
//! runners deliver them.

/// The example logs as container runtimes and CI runners store them.
pub(super) fn delivered_formats(log: &str) -> Vec<(&'static str, String)> {
    let each = |f: &dyn Fn(&str) -> String| log.lines().map(f).collect::<Vec<_>>().join("\n");
    vec![
        (
            "cri",
            each(&|l| format!("2024-05-01T10:00:03.123456789Z stderr F {l}")),
        ),
        (
            "docker json-file",
            each(&|l| serde_json::json!({"log": format!("{l}\n"), "stream": "stderr"}).to_string()),
        ),
        (
            "ci sections",
            format!(
                "section_start:1714557600:script\r\x1b[0KRunning the job\n{log}\n\
                 section_end:1714557601:script\r\x1b[0K\n"
            ),
        ),
        (
            "ci step with workflow commands",
            format!(
                "2024-05-01T10:00:00Z ##[group]Run ./deploy.sh\n\
                 2024-05-01T10:00:00Z   ./deploy.sh\n\
                 2024-05-01T10:00:00Z ##[endgroup]\n{}\n\
                 2024-05-01T10:00:02Z ##[error]Process completed with exit code 1.\n",
                each(&|l| format!("2024-05-01T10:00:01Z {l}"))
            ),
        ),
        (
            "pipeline",
            format!(
                "Started by user admin\nRunning on agent-1 in /var/lib/ci/workspace/deploy\n\
                 [Pipeline] sh\n+ ./deploy.sh\n{log}\n[Pipeline] }}\n\
                 ERROR: script returned exit code 1\nFinished: FAILURE\n"
            ),
        ),
        (
            "timestamped pipeline",
            format!(
                "[2024-05-01T10:00:00.123Z] Started by user admin\n\
                 10:00:01  Running on agent-1 in /var/lib/ci/workspace/deploy\n{}\n\
                 10:00:02  Finished: FAILURE\n",
                each(&|l| format!("10:00:01  {l}"))
            ),
        ),
    ]
}
