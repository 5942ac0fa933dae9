//! The knowledge a run works with: the rules and the search index over them,
//! from the embedded default or a rules directory.
//!
//! For a directory, both are cached beside the rules (`.triage-cache`) and
//! reused while no rule file changed: parsing hundreds of TOML files and
//! analysing their text for the index costs far more than reading one
//! binary file, and search is meant to answer before a person notices.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::rulebook::{self, LoadedRule, Rule, RulebookError};
use crate::search::SearchIndex;

/// Name of the cache file inside a rules directory. Not `*.toml`, so it is
/// never read as a rule.
pub const CACHE_FILE: &str = ".triage-cache";

pub struct Knowledge {
    pub rules: Vec<Rule>,
    /// Where each rule came from (file path, or embedded name).
    pub origins: Vec<String>,
    pub index: SearchIndex,
}

#[derive(Serialize, Deserialize)]
struct CacheFile {
    /// The version of triage that wrote it: the index layout may change.
    version: String,
    /// Digest of the rule files' names, sizes and modification times.
    fingerprint: String,
    rules: Vec<Rule>,
    origins: Vec<String>,
    index: SearchIndex,
}

impl Knowledge {
    pub fn from_loaded(loaded: Vec<LoadedRule>) -> Knowledge {
        let (rules, origins): (Vec<Rule>, Vec<String>) =
            loaded.into_iter().map(|l| (l.rule, l.origin)).unzip();
        let index = SearchIndex::build(&rules);
        Knowledge {
            rules,
            origins,
            index,
        }
    }

    /// The rules compiled into the binary.
    pub fn embedded() -> Result<Knowledge, RulebookError> {
        Ok(Knowledge::from_loaded(rulebook::embedded::load()?))
    }

    /// The rules of a directory, from its cache when that is current. A
    /// cache that cannot be read or written is ignored: it only saves time.
    pub fn from_dir(dir: &Path) -> Result<Knowledge, RulebookError> {
        let files = rulebook::store::rule_files(dir)?;
        let fingerprint = fingerprint(&files);
        let cache_path = dir.join(CACHE_FILE);
        if let Some(k) = read_cache(&cache_path, &fingerprint) {
            return Ok(k);
        }
        let knowledge = Knowledge::from_loaded(rulebook::load_dir(dir)?);
        write_cache(&cache_path, &fingerprint, &knowledge);
        Ok(knowledge)
    }

    /// `dir` if given, else the embedded default.
    pub fn load(dir: Option<&Path>) -> Result<Knowledge, RulebookError> {
        match dir {
            Some(d) => Knowledge::from_dir(d),
            None => Knowledge::embedded(),
        }
    }
}

fn fingerprint(files: &[PathBuf]) -> String {
    let mut hasher = Sha256::new();
    for f in files {
        hasher.update(f.to_string_lossy().as_bytes());
        if let Ok(meta) = fs::metadata(f) {
            hasher.update(meta.len().to_le_bytes());
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            hasher.update(modified.to_le_bytes());
        }
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn read_cache(path: &Path, fingerprint: &str) -> Option<Knowledge> {
    let bytes = fs::read(path).ok()?;
    let cache: CacheFile = rmp_serde::from_slice(&bytes).ok()?;
    if cache.version != env!("CARGO_PKG_VERSION")
        || cache.fingerprint != fingerprint
        || cache.rules.len() != cache.origins.len()
    {
        return None;
    }
    Some(Knowledge {
        rules: cache.rules,
        origins: cache.origins,
        index: cache.index,
    })
}

fn write_cache(path: &Path, fingerprint: &str, k: &Knowledge) {
    #[derive(Serialize)]
    struct CacheRef<'a> {
        version: &'a str,
        fingerprint: &'a str,
        rules: &'a [Rule],
        origins: &'a [String],
        index: &'a SearchIndex,
    }
    let cache = CacheRef {
        version: env!("CARGO_PKG_VERSION"),
        fingerprint,
        rules: &k.rules,
        origins: &k.origins,
        index: &k.index,
    };
    let Ok(bytes) = rmp_serde::to_vec_named(&cache) else {
        return;
    };
    // Write beside and rename, so a reader never sees half a cache.
    let tmp = path.with_extension("tmp");
    if fs::write(&tmp, bytes).is_ok() && fs::rename(&tmp, path).is_err() {
        let _ = fs::remove_file(&tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_rule(dir: &Path, id: &str, title: &str) {
        let rule = Rule {
            id: id.into(),
            title: title.into(),
            signatures: vec!["Widget frobnication failed with <*>".into()],
            steps: vec!["Unfrobnicate the widget.".into()],
            ..Rule::default()
        };
        rulebook::write_rule(dir, &rule, true).unwrap();
    }

    #[test]
    fn cache_is_written_reused_and_invalidated_by_an_edit() {
        let dir = tempfile::tempdir().unwrap();
        write_rule(dir.path(), "a", "Widget frobnication fails");
        let first = Knowledge::from_dir(dir.path()).unwrap();
        assert!(dir.path().join(CACHE_FILE).exists());
        let cached = fs::read(dir.path().join(CACHE_FILE)).unwrap();

        let second = Knowledge::from_dir(dir.path()).unwrap();
        assert_eq!(second.rules, first.rules);
        assert_eq!(fs::read(dir.path().join(CACHE_FILE)).unwrap(), cached);

        // A changed rule file must be seen, not the stale cache.
        std::thread::sleep(std::time::Duration::from_millis(20));
        write_rule(dir.path(), "a", "Widget frobnication fails after upgrade");
        let third = Knowledge::from_dir(dir.path()).unwrap();
        assert_eq!(
            third.rules[0].title,
            "Widget frobnication fails after upgrade"
        );
    }

    #[test]
    fn corrupt_cache_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        write_rule(dir.path(), "a", "Widget frobnication fails");
        fs::write(dir.path().join(CACHE_FILE), b"not a cache").unwrap();
        let k = Knowledge::from_dir(dir.path()).unwrap();
        assert_eq!(k.rules.len(), 1);
    }
}
