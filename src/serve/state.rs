//! The knowledge a server answers from, and its reload.
//!
//! Everything a request needs is in one [`Loaded`], behind an `Arc` that a
//! request clones at its start and keeps to its end. A reload builds a new
//! `Loaded` on the side and swaps the `Arc`: requests under way finish on
//! the rules they started with, new ones get the new rules, and none waits
//! or fails. A reload that fails (a rule file half written, say) keeps the
//! rules being served.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use super::links::{self, PublicUrl};
use super::{log, Config, ServeError, Timeouts};
use crate::diagnose::Engine;
use crate::knowledge::Knowledge;
use crate::rulebook;

/// The rules, compiled and indexed, with the lookups pages need.
pub(super) struct Loaded {
    /// Rules (with their links filled, see [`links`]), matcher and index.
    pub engine: Engine,
    by_id: HashMap<String, usize>,
    /// The sections of each multi-problem page: rules whose id is
    /// `<page>#<fragment>`, by page, in rule order.
    sections: HashMap<String, Vec<usize>>,
    /// Counts loads, so a client can tell a reload happened.
    pub generation: u64,
}

impl Loaded {
    fn new(k: Knowledge, generation: u64) -> Result<Loaded, ServeError> {
        let engine = Engine::from_knowledge(k)?;
        let mut by_id = HashMap::new();
        let mut sections: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, rule) in engine.rules.iter().enumerate() {
            by_id.entry(rule.id.clone()).or_insert(i);
            if let Some(page) = page_of(&rule.id) {
                sections.entry(page.to_string()).or_default().push(i);
            }
        }
        Ok(Loaded {
            engine,
            by_id,
            sections,
            generation,
        })
    }

    /// The rule with this exact id. Ids are only ever looked up, never
    /// used as paths: an id that names no rule is simply unknown.
    pub fn rule(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The sections of page `id` (empty when it has none).
    pub fn sections(&self, page: &str) -> &[usize] {
        self.sections.get(page).map_or(&[], Vec::as_slice)
    }
}

/// The page a section id belongs to: `error-codes` for `error-codes#11`.
pub(super) fn page_of(id: &str) -> Option<&str> {
    match id.split_once('#') {
        Some((page, fragment)) if !page.is_empty() && !fragment.is_empty() => Some(page),
        _ => None,
    }
}

/// What every request shares: the current rules and the settings.
pub(super) struct State {
    current: RwLock<Arc<Loaded>>,
    pub rules_dir: Option<PathBuf>,
    pub public_url: Option<PublicUrl>,
    pub max_body: u64,
    pub timeouts: Timeouts,
    /// Turns to diagnose: two per core at once. A diagnose is CPU work on
    /// its own worker threads, which a core does no faster for being
    /// shared; more at once only add memory (read buffers, and the regex
    /// engines' caches of each thread diagnosing). Under 32 clients
    /// without turns, the server's memory kept growing with the threads;
    /// with them it levels off (see benches/README.md). Two per core
    /// rather than one: about as much memory, a third of the wait.
    pub diagnoses: Arc<tokio::sync::Semaphore>,
    /// Turns for searches, for the same reason: a search embeds its query
    /// on a thread of its own, and 32 clients searching at once kept 32
    /// threads' buffers alive for no gain on a machine of fewer cores.
    pub searches: Arc<tokio::sync::Semaphore>,
}

impl State {
    pub fn load(config: &Config) -> Result<State, ServeError> {
        let loaded = load(config.rules.as_deref(), config.public_url.as_ref(), 1)?;
        Ok(State {
            current: RwLock::new(Arc::new(loaded)),
            rules_dir: config.rules.clone(),
            public_url: config.public_url.clone(),
            max_body: config.max_body,
            timeouts: config.timeouts,
            diagnoses: Arc::new(tokio::sync::Semaphore::new(2 * cores())),
            searches: Arc::new(tokio::sync::Semaphore::new(2 * cores())),
        })
    }

    /// The rules to answer a request with. The lock is held only to clone
    /// the `Arc`; a poisoned lock still holds a whole `Loaded` (the swap is
    /// one assignment), so it is used as it is.
    pub fn current(&self) -> Arc<Loaded> {
        let guard = self.current.read().unwrap_or_else(|e| e.into_inner());
        Arc::clone(&guard)
    }

    /// Loads the rules anew and swaps them in; on failure the rules being
    /// served stay. Blocking: parsing and compiling take a while.
    pub fn reload(&self) -> Result<u64, ServeError> {
        let generation = self.current().generation + 1;
        let loaded = load(
            self.rules_dir.as_deref(),
            self.public_url.as_ref(),
            generation,
        )?;
        let rules = loaded.engine.rules.len();
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(loaded);
        log(format_args!(
            "reloaded {rules} rules (generation {generation})"
        ));
        Ok(generation)
    }
}

fn load(
    dir: Option<&Path>,
    public_url: Option<&PublicUrl>,
    generation: u64,
) -> Result<Loaded, ServeError> {
    let mut k = Knowledge::load(dir)?;
    if let Some(base) = public_url {
        links::fill_knowledge(&mut k, base);
    }
    Loaded::new(k, generation)
}

pub(super) type Fingerprint = Vec<(PathBuf, u64, SystemTime)>;

/// What a rules directory looks like from outside: each rule file's name,
/// size and modification time (one `stat` each, as the rules cache
/// decides). `None` when the directory cannot be listed.
pub(super) fn fingerprint(dir: &Path) -> Option<Fingerprint> {
    let files = rulebook::store::rule_files(dir).ok()?;
    Some(
        files
            .into_iter()
            .map(|f| {
                let meta = std::fs::metadata(&f).ok();
                let size = meta.as_ref().map_or(0, std::fs::Metadata::len);
                let modified = meta
                    .and_then(|m| m.modified().ok())
                    .unwrap_or(SystemTime::UNIX_EPOCH);
                (f, size, modified)
            })
            .collect(),
    )
}

/// Reloads on SIGHUP, and when the rules directory changed and then stayed
/// the same for one more `every` (so that a directory being written, by
/// `triage ingest` say, is read once it is complete). Runs until the
/// server stops.
pub(super) async fn watch(
    state: Arc<State>,
    every: Option<Duration>,
    hangup: std::io::Result<tokio::signal::unix::Signal>,
    loaded: Option<Fingerprint>,
) {
    let mut hangup = match hangup {
        Ok(s) => Some(s),
        Err(e) => {
            log(format_args!(
                "cannot listen for SIGHUP ({e}); no reload on it"
            ));
            None
        }
    };
    let dir = state.rules_dir.clone();
    let every = every.filter(|_| dir.is_some());
    let snapshot = || {
        let dir = dir.clone();
        async move {
            let dir = dir?;
            tokio::task::spawn_blocking(move || fingerprint(&dir))
                .await
                .ok()
                .flatten()
        }
    };
    // The directory as last loaded, and as seen at the last check.
    let mut loaded = loaded;
    let mut seen = loaded.clone();
    loop {
        let hup = async {
            match hangup.as_mut() {
                Some(s) => s.recv().await,
                None => std::future::pending().await,
            }
        };
        let tick = async {
            match every {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        let forced = tokio::select! {
            _ = hup => true,
            () = tick => false,
        };
        let now = snapshot().await;
        let settled = now.is_some() && now == seen && now != loaded;
        seen.clone_from(&now);
        if !forced && !settled {
            continue;
        }
        let state = Arc::clone(&state);
        match tokio::task::spawn_blocking(move || state.reload()).await {
            Ok(Ok(_)) => loaded = now,
            Ok(Err(e)) => {
                log(format_args!(
                    "reload failed, still serving the previous rules: {e}"
                ));
                // Not retried until the directory changes again.
                loaded = now;
            }
            Err(e) => log(format_args!("reload failed: {e}")),
        }
    }
}

/// The machine's cores, to size the turns by.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_belong_to_the_page_before_the_hash() {
        assert_eq!(page_of("error-codes#11"), Some("error-codes"));
        assert_eq!(
            page_of("cloning-errors#error-repository-not-found"),
            Some("cloning-errors")
        );
        assert_eq!(page_of("plain-article"), None);
        assert_eq!(page_of("#11"), None);
        assert_eq!(page_of("page#"), None);
    }

    #[test]
    fn the_embedded_rules_load_with_their_lookups() {
        let state = State::load(&Config::default()).unwrap();
        let loaded = state.current();
        assert_eq!(loaded.generation, 1);
        let id = &loaded.engine.rules[0].id;
        assert_eq!(loaded.rule(id), Some(0));
        assert_eq!(loaded.rule("../rules/area-code-is-not-set.toml"), None);
        // No public URL: the bundled articles link nowhere.
        assert!(loaded.engine.rules.iter().all(|r| r.link.is_empty()));
        assert_eq!(state.reload().unwrap(), 2);
        assert_eq!(state.current().generation, 2);
    }

    #[test]
    fn a_public_url_gives_the_bundled_articles_their_page() {
        let config = Config {
            public_url: Some(PublicUrl::parse("https://kb.example/triage").unwrap()),
            ..Config::default()
        };
        let loaded = State::load(&config).unwrap().current();
        for r in &loaded.engine.rules {
            assert_eq!(
                r.link,
                format!("https://kb.example/triage/articles/{}", r.id)
            );
        }
    }

    #[test]
    fn a_failed_reload_keeps_the_rules() {
        let dir = tempfile::tempdir().unwrap();
        let rule = crate::Rule {
            id: "widget".into(),
            title: "Widget frobnication fails".into(),
            ..crate::Rule::default()
        };
        rulebook::write_rule(dir.path(), &rule, true).unwrap();
        let config = Config {
            rules: Some(dir.path().to_path_buf()),
            ..Config::default()
        };
        let state = State::load(&config).unwrap();
        std::fs::write(dir.path().join("broken.toml"), "id = ").unwrap();
        assert!(state.reload().is_err());
        let loaded = state.current();
        assert_eq!(loaded.generation, 1);
        assert_eq!(loaded.rule("widget"), Some(0));
    }

    #[test]
    fn the_fingerprint_sees_added_and_changed_files() {
        let dir = tempfile::tempdir().unwrap();
        let before = fingerprint(dir.path()).unwrap();
        std::fs::write(dir.path().join("a.toml"), "id = 'a'\ntitle = 'A'\n").unwrap();
        let added = fingerprint(dir.path()).unwrap();
        assert_ne!(before, added);
        std::fs::write(dir.path().join("a.toml"), "id = 'a'\ntitle = 'AB'\n").unwrap();
        assert_ne!(fingerprint(dir.path()).unwrap(), added);
        assert!(fingerprint(&dir.path().join("missing")).is_none());
    }
}
