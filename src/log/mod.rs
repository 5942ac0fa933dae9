//! TEMPORARY minimal log stage (replaced by the log branch on merge).
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("{path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("line {line}: {source}")]
    Read { line: usize, source: std::io::Error },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Debug,
    Info,
    Notice,
    Warning,
    Error,
    Critical,
}

#[derive(Debug, Clone)]
pub struct LogLine {
    pub number: usize,
    pub text: String,
    pub level: Option<Level>,
    pub code: Option<String>,
}

pub fn open(path: &Path) -> Result<Box<dyn BufRead>, LogError> {
    if path == Path::new("-") {
        return Ok(Box::new(BufReader::new(std::io::stdin())));
    }
    let f = std::fs::File::open(path).map_err(|source| LogError::Open {
        path: path.into(),
        source,
    })?;
    Ok(Box::new(BufReader::new(f)))
}

pub struct Lines<R> {
    r: R,
    n: usize,
}
pub fn lines<R: BufRead>(r: R) -> Lines<R> {
    Lines { r, n: 0 }
}
impl<R: BufRead> Iterator for Lines<R> {
    type Item = Result<LogLine, LogError>;
    fn next(&mut self) -> Option<Self::Item> {
        let mut buf = Vec::new();
        match self.r.read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Ok(_) => {
                self.n += 1;
                let t = String::from_utf8_lossy(&strip_ansi_escapes::strip(&buf))
                    .trim_end()
                    .to_string();
                let code = crate::extract::signature::error_code(&t);
                Some(Ok(LogLine {
                    number: self.n,
                    text: t,
                    level: None,
                    code,
                }))
            }
            Err(source) => Some(Err(LogError::Read {
                line: self.n + 1,
                source,
            })),
        }
    }
}

pub struct Failure {
    pub lines: Vec<LogLine>,
    pub error_lines: Vec<LogLine>,
    pub total_lines: usize,
}
#[derive(Default)]
pub struct FailureFinder {
    errs: Vec<LogLine>,
    total: usize,
}
impl FailureFinder {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn push(&mut self, l: &LogLine) {
        self.total = l.number;
        let t = l.text.to_lowercase();
        if [
            "error",
            "exception",
            "fatal",
            "failed",
            "critical",
            "cannot",
            "could not",
            "unable",
        ]
        .iter()
        .any(|w| t.contains(w))
        {
            self.errs.push(l.clone());
            if self.errs.len() > 200 {
                self.errs.remove(0);
            }
        }
    }
    pub fn finish(self) -> Option<Failure> {
        if self.errs.is_empty() {
            None
        } else {
            Some(Failure {
                lines: self.errs.clone(),
                error_lines: self.errs,
                total_lines: self.total,
            })
        }
    }
}
