//! A builder for one run of the real `triage` binary, after just's
//! `Test::new().arg(..).stdout(..).status(..)`: a test reads as the command
//! line, then what must come out. The checks are assert_cmd's, whose failure
//! message shows the command, the exit code and both outputs.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::BoxPredicate;

#[must_use]
pub struct Test {
    cmd: Command,
    status: i32,
    stdout: Vec<BoxPredicate<str>>,
    stderr: Vec<BoxPredicate<str>>,
}

impl Test {
    /// `triage` with the colour settings and the public URL of the
    /// caller's environment removed, so results do not depend on the shell
    /// the tests run from.
    /// Unless told otherwise, [`run`](Self::run) expects exit code 0.
    pub fn new() -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_triage"));
        cmd.env_remove("NO_COLOR")
            .env_remove("CLICOLOR")
            .env_remove("CLICOLOR_FORCE")
            .env_remove(triage::serve::links::PUBLIC_URL_VAR);
        Self {
            cmd,
            status: 0,
            stdout: Vec::new(),
            stderr: Vec::new(),
        }
    }

    /// `triage` run without the power to ignore file permissions, so that
    /// an unreadable directory or a read-only one is that even when the
    /// tests run as root (as CI does): root's `CAP_DAC_OVERRIDE` and
    /// `CAP_DAC_READ_SEARCH` are dropped with `setpriv`. `None` for root on
    /// a machine without `setpriv`.
    pub fn unprivileged() -> Option<Self> {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let root = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            .is_some_and(|effective| effective == "0");
        if !root {
            return Some(Self::new());
        }
        let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"]
            .into_iter()
            .find(|p| Path::new(p).exists())?;
        let mut test = Self::new();
        let mut cmd = Command::new(setpriv);
        cmd.args([
            "--bounding-set=-dac_override,-dac_read_search",
            "--inh-caps=-dac_override,-dac_read_search",
            env!("CARGO_BIN_EXE_triage"),
        ])
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE");
        test.cmd = cmd;
        Some(test)
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.cmd.arg(arg);
        self
    }

    pub fn args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.cmd.args(args);
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.cmd.env(key, value);
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.cmd.write_stdin(input);
        self
    }

    /// The contents of `path` on standard input.
    pub fn stdin_file(mut self, path: &Path) -> Self {
        self.cmd
            .pipe_stdin(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        self
    }

    /// The exit code [`run`](Self::run) expects.
    pub fn status(mut self, code: i32) -> Self {
        self.status = code;
        self
    }

    /// Standard output is exactly `expected` (`""`: nothing at all).
    pub fn stdout(self, expected: impl Into<String>) -> Self {
        self.expect_stdout(predicate::str::diff(expected.into()))
    }

    pub fn stdout_contains(self, part: impl Into<String>) -> Self {
        self.expect_stdout(predicate::str::contains(part))
    }

    pub fn stdout_starts_with(self, start: impl Into<String>) -> Self {
        self.expect_stdout(predicate::str::starts_with(start))
    }

    pub fn stdout_lacks(self, part: impl Into<String>) -> Self {
        self.expect_stdout(predicate::str::contains(part).not())
    }

    pub fn stderr_contains(mut self, part: impl Into<String>) -> Self {
        self.stderr.push(predicate::str::contains(part).boxed());
        self
    }

    fn expect_stdout(mut self, check: impl Predicate<str> + Send + Sync + 'static) -> Self {
        self.stdout.push(check.boxed());
        self
    }

    /// Runs the command and asserts the exit code and every expectation on
    /// the outputs; returns the output for further checks.
    #[track_caller]
    pub fn run(mut self) -> Output {
        let mut assert = self.cmd.assert().code(self.status);
        for check in self.stdout {
            assert = assert.stdout(check);
        }
        for check in self.stderr {
            assert = assert.stderr(check);
        }
        assert.get_output().clone()
    }

    /// Runs the command and checks nothing: for helpers that hand the exit
    /// code and output to the test to judge.
    pub fn output(mut self) -> Output {
        self.cmd.output().expect("triage runs")
    }
}

mod tests {
    use super::Test;

    /// The CLI suites' checks are only as good as the builder: each kind of
    /// expectation, unmet, must fail the run.
    #[test]
    fn every_expectation_is_checked() {
        fn help() -> Test {
            Test::new().arg("--help")
        }
        let fails = |test: fn() -> Test| std::panic::catch_unwind(|| test().run()).is_err();
        assert!(fails(|| help().status(2)), "unmet status passed");
        assert!(fails(|| help().stdout("")), "unmet stdout passed");
        assert!(
            fails(|| help().stdout_contains("no such words")),
            "unmet stdout_contains passed"
        );
        assert!(
            fails(|| help().stdout_starts_with("Usage")),
            "unmet stdout_starts_with passed"
        );
        assert!(
            fails(|| help().stdout_lacks("Usage")),
            "unmet stdout_lacks passed"
        );
        assert!(
            fails(|| help().stderr_contains("Usage")),
            "unmet stderr_contains passed"
        );
        help()
            .stdout_contains("Usage: triage")
            .stdout_lacks("no such words")
            .run();
    }
}
