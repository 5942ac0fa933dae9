//! The knowledge a run works with: the rules and the search index over them,
//! from the embedded default or a rules directory.
//!
//! For a directory, both are cached beside the rules (`.triage-cache`) and
//! reused while no rule file changed: parsing hundreds of TOML files and
//! analysing their text for the index costs far more than reading one
//! binary file, and search is meant to answer before a person notices.
//!
//! [`Knowledge`] has every rule decoded, as diagnose needs them; a
//! [`Catalog`] decodes a cached rule only when asked, as search needs a
//! handful of them. Whether the cache is current is decided by the rule
//! files' names, sizes and modification times (one `stat` each, not a
//! read), so a hand-edited, added or removed rule file is always seen.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::UNIX_EPOCH;

use rkyv::rancor;
use sha2::{Digest, Sha256};

use crate::embed::RuleVectors;
use crate::rulebook::{self, LoadedRule, Rule, RulebookError};
use crate::search::{Buffer, Hit, QueryError, RuleSource, SearchIndex};

/// Name of the cache file inside a rules directory. Not `*.toml`, so it is
/// never read as a rule.
pub const CACHE_FILE: &str = ".triage-cache";

/// The layout of the cache file. Changed whenever `CacheFile` or the index
/// layout changes, or what the index holds is computed differently (3: the
/// edition groups; 4: a quote taken from the title is not indexed twice; 5:
/// passage vectors; 6: rule files over the size and check limits are
/// refused, so an older cache may hold rules no longer read), so that a
/// cache from a build of the same version number is rebuilt rather than
/// misread.
const CACHE_FORMAT: u32 = 7;

pub struct Knowledge {
    pub rules: Vec<Rule>,
    /// Where each rule came from (file path, or embedded name).
    pub origins: Vec<String>,
    pub index: SearchIndex,
}

/// The cache file: a CRC-32 of the rest, then an rkyv archive (see
/// `crate::search`'s `stored` for why) read in place. rkyv's validation
/// keeps a damaged file from being read out of bounds, but a flipped byte
/// inside a text or a score would pass it and give wrong answers; the
/// checksum (crc32fast, already built for flate2; a fraction of a
/// millisecond over the few MiB) catches that. The rules are each encoded on
/// their own, so that a search decodes only the few it shows; MessagePack
/// because `Rule` is serde-only (its file is shared with `build.rs`, which
/// has no rkyv).
#[derive(rkyv::Archive, rkyv::Serialize)]
struct CacheFile {
    format: u32,
    /// The version of triage that wrote it.
    version: String,
    /// Digest of the rule files' names, sizes and modification times.
    fingerprint: Vec<u8>,
    origins: Vec<String>,
    /// The archived search index (`SearchIndex::as_bytes`).
    index: Vec<u8>,
    /// Per rule, `rmp_serde::to_vec_named` of it.
    rules: Vec<Vec<u8>>,
}

type CacheRef<'a> = &'a ArchivedCacheFile;

self_cell::self_cell!(
    /// A read cache file with its validated root.
    struct CacheCell {
        owner: Arc<Buffer>,
        #[covariant]
        dependent: CacheRef,
    }
);

/// Rules and their search index, each rule decoded only when it is asked
/// for. What a search needs: a handful of rules out of hundreds.
pub struct Catalog {
    index: SearchIndex,
    rules: Rules,
}

enum Rules {
    Decoded {
        rules: Vec<Rule>,
        origins: Vec<String>,
    },
    Cached {
        cache: CacheCell,
        decoded: Vec<OnceLock<Box<Rule>>>,
    },
}

impl From<Knowledge> for Catalog {
    fn from(k: Knowledge) -> Catalog {
        Catalog {
            index: k.index,
            rules: Rules::Decoded {
                rules: k.rules,
                origins: k.origins,
            },
        }
    }
}

impl Catalog {
    /// The rules of a directory, from its cache when that is current. A
    /// cache that cannot be read or written is ignored: it only saves time.
    pub fn from_dir(dir: &Path) -> Result<Catalog, RulebookError> {
        let files = rulebook::store::rule_files(dir)?;
        let fingerprint = fingerprint(&files);
        match read_cache(&dir.join(CACHE_FILE), &fingerprint) {
            Some(catalog) => Ok(catalog),
            None => Ok(read_and_cache(dir, &fingerprint)?.into()),
        }
    }

    /// The rules of a directory read from their files, whatever the cache
    /// holds, and the cache rewritten: for when a cached rule turned out
    /// unreadable.
    pub fn rebuild(dir: &Path) -> Result<Catalog, RulebookError> {
        Ok(rebuild(dir)?.into())
    }

    /// `dir` if given, else the embedded default.
    pub fn load(dir: Option<&Path>) -> Result<Catalog, RulebookError> {
        match dir {
            Some(d) => Catalog::from_dir(d),
            None => Ok(Knowledge::embedded()?.into()),
        }
    }

    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    /// Every rule decoded; `None` if a cached one cannot be.
    fn into_knowledge(self) -> Option<Knowledge> {
        let (rules, origins) = match self.rules {
            Rules::Decoded { rules, origins } => (rules, origins),
            Rules::Cached { cache, .. } => {
                let file = cache.borrow_dependent();
                let rules = file
                    .rules
                    .iter()
                    .map(|blob| rmp_serde::from_slice(blob).ok())
                    .collect::<Option<Vec<Rule>>>()?;
                let origins = file.origins.iter().map(|o| o.to_string()).collect();
                (rules, origins)
            }
        };
        Some(Knowledge {
            rules,
            origins,
            index: self.index,
        })
    }

    /// The rules `hits` name, decoded, with the hits renumbered to index
    /// them: what the search reports take.
    pub fn shown(&self, hits: &[Hit]) -> Result<(Vec<Rule>, Vec<Hit>), QueryError> {
        let mut numbers: Vec<usize> = Vec::new();
        let mut number = |rule: usize| match numbers.iter().position(|&r| r == rule) {
            Some(at) => at,
            None => {
                numbers.push(rule);
                numbers.len() - 1
            }
        };
        let renumbered: Vec<Hit> = hits
            .iter()
            .map(|h| Hit {
                rule: number(h.rule),
                also: h.also.iter().map(|&a| number(a)).collect(),
                ..h.clone()
            })
            .collect();
        let rules = numbers
            .iter()
            .map(|&r| self.rule(r).cloned())
            .collect::<Result<Vec<Rule>, QueryError>>()?;
        Ok((rules, renumbered))
    }
}

impl RuleSource for Catalog {
    fn rule_count(&self) -> usize {
        match &self.rules {
            Rules::Decoded { rules, .. } => rules.len(),
            Rules::Cached { decoded, .. } => decoded.len(),
        }
    }

    fn rule(&self, index: usize) -> Result<&Rule, QueryError> {
        let unreadable = QueryError::Unreadable { rule: index };
        match &self.rules {
            Rules::Decoded { rules, .. } => rules.get(index).ok_or(unreadable),
            Rules::Cached { cache, decoded } => {
                let slot = decoded.get(index).ok_or(unreadable.clone())?;
                if let Some(rule) = slot.get() {
                    return Ok(rule);
                }
                let blob = cache.borrow_dependent().rules.get(index);
                let rule: Rule = blob
                    .and_then(|b| rmp_serde::from_slice(b).ok())
                    .ok_or(unreadable)?;
                Ok(slot.get_or_init(|| Box::new(rule)))
            }
        }
    }
}

impl Knowledge {
    /// The rules and their index, every passage embedded anew.
    pub fn from_loaded(loaded: Vec<LoadedRule>) -> Knowledge {
        Knowledge::from_loaded_reusing(loaded, &|_| None)
    }

    /// The rules and their index, reusing the vectors `known` has for
    /// passages with the same digest.
    fn from_loaded_reusing(
        loaded: Vec<LoadedRule>,
        known: &dyn Fn(u64) -> Option<Vec<f32>>,
    ) -> Knowledge {
        let (rules, origins): (Vec<Rule>, Vec<String>) =
            loaded.into_iter().map(|l| (l.rule, l.origin)).unzip();
        let vectors = RuleVectors::compute(&rules, known);
        let index = SearchIndex::build_with(&rules, vectors);
        Knowledge {
            rules,
            origins,
            index,
        }
    }

    /// The rules compiled into the binary, with the passage vectors
    /// computed when it was built.
    pub fn embedded() -> Result<Knowledge, RulebookError> {
        let known = rulebook::embedded::vectors();
        Ok(Knowledge::from_loaded_reusing(
            rulebook::embedded::load()?,
            &|digest| known.get(&digest).cloned(),
        ))
    }

    /// The rules of a directory, from its cache when that is current (see
    /// [`Catalog::from_dir`]).
    pub fn from_dir(dir: &Path) -> Result<Knowledge, RulebookError> {
        match Catalog::from_dir(dir)?.into_knowledge() {
            Some(k) => Ok(k),
            None => rebuild(dir),
        }
    }

    /// `dir` if given, else the embedded default.
    pub fn load(dir: Option<&Path>) -> Result<Knowledge, RulebookError> {
        match dir {
            Some(d) => Knowledge::from_dir(d),
            None => Knowledge::embedded(),
        }
    }
}

fn fingerprint(files: &[PathBuf]) -> Vec<u8> {
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
    hasher.finalize().to_vec()
}

/// The rules of `dir` read from their files, and cached. Passage vectors
/// of the cache being replaced are reused for the rules whose passage did
/// not change: embedding every passage again costs seconds, and most edits
/// touch one rule.
fn read_and_cache(dir: &Path, fingerprint: &[u8]) -> Result<Knowledge, RulebookError> {
    let path = dir.join(CACHE_FILE);
    let known = previous_vectors(&path);
    let k = Knowledge::from_loaded_reusing(rulebook::load_dir(dir)?, &|digest| {
        known.get(&digest).cloned()
    });
    write_cache(&path, fingerprint, &k);
    Ok(k)
}

/// The passage vectors of a cache file written by this version, whatever
/// rules it was written for.
fn previous_vectors(path: &Path) -> HashMap<u64, Vec<f32>> {
    open_cache(path)
        .and_then(|(buffer, cache)| cached_index(&buffer, &cache))
        .map(|index| index.known_vectors())
        .unwrap_or_default()
}

/// The index inside a cache file, read in place in the file's buffer.
fn cached_index(buffer: &Arc<Buffer>, cache: &CacheCell) -> Option<SearchIndex> {
    let file = cache.borrow_dependent();
    let from = file.index.as_slice().as_ptr() as usize - buffer.as_ptr() as usize;
    let index = SearchIndex::from_bytes(Arc::clone(buffer), from, from + file.index.len()).ok()?;
    (index.rule_count() == file.rules.len()).then_some(index)
}

/// `read_and_cache`, for when the cache looked current but a rule in it
/// does not decode.
fn rebuild(dir: &Path) -> Result<Knowledge, RulebookError> {
    let files = rulebook::store::rule_files(dir)?;
    read_and_cache(dir, &fingerprint(&files))
}

/// A cache file of this version, intact, whatever rules it was written for.
fn open_cache(path: &Path) -> Option<(Arc<Buffer>, CacheCell)> {
    let buffer = Arc::new(read_file(path)?);
    let (sum, archive) = buffer.split_first_chunk::<CHECKSUM>()?;
    if u32::from_le_bytes(*sum) != crc32fast::hash(archive) {
        return None;
    }
    let cache = CacheCell::try_new(Arc::clone(&buffer), |bytes| {
        rkyv::access::<ArchivedCacheFile, rancor::Error>(&bytes[CHECKSUM..])
    })
    .ok()?;
    let file = cache.borrow_dependent();
    if file.format.to_native() != CACHE_FORMAT
        || file.version.as_str() != env!("CARGO_PKG_VERSION")
        || file.rules.len() != file.origins.len()
    {
        return None;
    }
    Some((buffer, cache))
}

fn read_cache(path: &Path, fingerprint: &[u8]) -> Option<Catalog> {
    let (buffer, cache) = open_cache(path)?;
    let file = cache.borrow_dependent();
    if file.fingerprint.as_slice() != fingerprint {
        return None;
    }
    let index = cached_index(&buffer, &cache)?;
    let decoded = (0..file.rules.len()).map(|_| OnceLock::new()).collect();
    Some(Catalog {
        index,
        rules: Rules::Cached { cache, decoded },
    })
}

/// The cache file's bytes, memory-mapped: a search touches a fraction of
/// them, and copying the few MiB into fresh memory (page faults and all)
/// was a third of its time. Read into memory where mapping fails.
fn read_file(path: &Path) -> Option<Buffer> {
    let file = fs::File::open(path).ok()?;
    // SAFETY: a mapped file must not change while it is mapped. triage
    // never writes a cache file in place: `write_cache_file` writes a new
    // file and renames it over the old one, which leaves the mapped inode
    // as it was. Another program truncating the file during the few
    // milliseconds of a run would end the run with SIGBUS; that is the risk
    // every mmap reader (ripgrep, for one) takes, and the checksum and rkyv's
    // validation below still refuse bytes that were damaged before.
    match unsafe { memmap2::Mmap::map(&file) } {
        Ok(map) => Some(Buffer::Mapped(map)),
        Err(_) => fs::read(path).ok().map(Buffer::Owned),
    }
}

fn write_cache(path: &Path, fingerprint: &[u8], k: &Knowledge) {
    let Ok(encoded) = k
        .rules
        .iter()
        .map(rmp_serde::to_vec_named)
        .collect::<Result<Vec<Vec<u8>>, _>>()
    else {
        return;
    };
    let cache = CacheFile {
        format: CACHE_FORMAT,
        version: env!("CARGO_PKG_VERSION").to_string(),
        fingerprint: fingerprint.to_vec(),
        origins: k.origins.clone(),
        index: k.index.as_bytes().to_vec(),
        rules: encoded,
    };
    let Ok(archive) = rkyv::to_bytes::<rancor::Error>(&cache) else {
        return;
    };
    let _ = write_cache_file(path, &archive);
}

/// Bytes of the checksum before the archive.
const CHECKSUM: usize = 4;

fn write_cache_file(path: &Path, archive: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    // Write beside and rename, so a reader never sees half a cache.
    let tmp = path.with_extension("tmp");
    let written = fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(&crc32fast::hash(archive).to_le_bytes())?;
        f.write_all(archive)
    });
    let renamed = written.and_then(|()| fs::rename(&tmp, path));
    if renamed.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    renamed
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
    fn added_and_removed_rule_files_are_seen() {
        let dir = tempfile::tempdir().unwrap();
        write_rule(dir.path(), "a", "Widget frobnication fails");
        assert_eq!(Knowledge::from_dir(dir.path()).unwrap().rules.len(), 1);
        write_rule(dir.path(), "b", "Gadget calibration drifts");
        let catalog = Catalog::from_dir(dir.path()).unwrap();
        assert_eq!(catalog.rule_count(), 2);
        assert_eq!(catalog.index().rule_count(), 2);
        fs::remove_file(dir.path().join("a.toml")).unwrap();
        let k = Knowledge::from_dir(dir.path()).unwrap();
        assert_eq!(k.rules.len(), 1);
        assert_eq!(k.rules[0].id, "b");
    }

    #[test]
    fn corrupt_cache_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        write_rule(dir.path(), "a", "Widget frobnication fails");
        fs::write(dir.path().join(CACHE_FILE), b"not a cache").unwrap();
        let k = Knowledge::from_dir(dir.path()).unwrap();
        assert_eq!(k.rules.len(), 1);
        // ...and replaced by a good one.
        assert!(read_cache(&dir.path().join(CACHE_FILE), &current(dir.path())).is_some());
    }

    fn current(dir: &Path) -> Vec<u8> {
        fingerprint(&rulebook::store::rule_files(dir).unwrap())
    }

    #[test]
    fn cached_catalog_answers_as_the_rules_do() {
        let dir = tempfile::tempdir().unwrap();
        write_rule(dir.path(), "a", "Widget frobnication fails");
        write_rule(dir.path(), "b", "Gadget calibration drifts after upgrade");
        let fresh = Knowledge::from_dir(dir.path()).unwrap();
        let cached = Catalog::from_dir(dir.path()).unwrap();
        assert!(matches!(cached.rules, Rules::Cached { .. }));
        assert_eq!(cached.rule_count(), 2);
        assert_eq!(cached.rule(1).unwrap(), &fresh.rules[1]);
        let query = "gadget calibration drift";
        let hits = cached.index().search(&cached, query, 5).unwrap();
        assert_eq!(hits, fresh.index.search(&fresh.rules, query, 5).unwrap());
        let (shown, renumbered) = cached.shown(&hits).unwrap();
        assert_eq!(shown[renumbered[0].rule].id, "b");

        let again = Knowledge::from_dir(dir.path()).unwrap();
        assert_eq!(again.rules, fresh.rules);
        assert_eq!(again.origins, fresh.origins);
    }

    #[test]
    fn damaged_caches_are_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        write_rule(dir.path(), "a", "Widget frobnication fails");
        let path = dir.path().join(CACHE_FILE);
        let good = Knowledge::from_dir(dir.path()).unwrap();
        let bytes = fs::read(&path).unwrap();
        let mut damaged = vec![bytes[..bytes.len() / 2].to_vec()];
        for at in (0..bytes.len()).step_by(bytes.len() / 40 + 1) {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x5a;
            damaged.push(flipped);
        }
        for bad in damaged {
            fs::write(&path, &bad).unwrap();
            let k = Knowledge::from_dir(dir.path()).unwrap();
            assert_eq!(k.rules, good.rules);
            fs::write(&path, &bad).unwrap();
            assert!(read_cache(&path, &current(dir.path())).is_none());
        }
    }

    #[test]
    fn an_undecodable_cached_rule_is_read_from_its_file() {
        let dir = tempfile::tempdir().unwrap();
        write_rule(dir.path(), "a", "Widget frobnication fails");
        let good = Knowledge::from_dir(dir.path()).unwrap();
        // A cache whose layout is sound but whose rule is not MessagePack.
        let path = dir.path().join(CACHE_FILE);
        let cache = CacheFile {
            format: CACHE_FORMAT,
            version: env!("CARGO_PKG_VERSION").to_string(),
            fingerprint: current(dir.path()),
            origins: good.origins.clone(),
            index: good.index.as_bytes().to_vec(),
            rules: vec![b"\xc1 not a rule".to_vec()],
        };
        write_cache_file(&path, &rkyv::to_bytes::<rancor::Error>(&cache).unwrap()).unwrap();
        let catalog = Catalog::from_dir(dir.path()).unwrap();
        assert!(matches!(catalog.rules, Rules::Cached { .. }));
        assert_eq!(
            catalog.rule(0).unwrap_err(),
            QueryError::Unreadable { rule: 0 }
        );
        assert_eq!(Knowledge::from_dir(dir.path()).unwrap().rules, good.rules);
        // The rebuild rewrote the cache with the rule readable.
        let catalog = Catalog::from_dir(dir.path()).unwrap();
        assert_eq!(catalog.rule(0).unwrap(), &good.rules[0]);
    }

    #[test]
    fn a_cache_of_another_format_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        write_rule(dir.path(), "a", "Widget frobnication fails");
        let good = Knowledge::from_dir(dir.path()).unwrap();
        let cache = CacheFile {
            format: CACHE_FORMAT + 1,
            version: env!("CARGO_PKG_VERSION").to_string(),
            fingerprint: current(dir.path()),
            origins: good.origins.clone(),
            index: good.index.as_bytes().to_vec(),
            rules: good
                .rules
                .iter()
                .map(|r| rmp_serde::to_vec_named(r).unwrap())
                .collect(),
        };
        let path = dir.path().join(CACHE_FILE);
        write_cache_file(&path, &rkyv::to_bytes::<rancor::Error>(&cache).unwrap()).unwrap();
        assert!(read_cache(&path, &current(dir.path())).is_none());
    }
}
