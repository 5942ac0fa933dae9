//! The bundled knowledge base end to end, through the binary with its
//! embedded rules: every rule's own examples, the lint, the example logs in
//! `examples/` and finding each article by a plain-words description.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::Test;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

fn diagnose_json(log: &Path) -> (Option<i32>, Value) {
    let out = Test::new()
        .arg("diagnose")
        .arg(log)
        .args(["--format", "json"])
        .output();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "diagnose {} did not print JSON ({e}): {}",
            log.display(),
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code(), json)
}

// Needs the engine to score short messages inside a Symfony console box
// (`In X.php line N:`, blank line, message) as a diagnosis: today the blank
// line ends the box's detail lines and a short message ("Area code is not
// set", "Unknown module(s): ...") has too little specificity on its own
// (area-code-is-not-set and unknown-module-on-enable match examples).
#[test]
fn every_rule_example_passes() {
    Test::new().arg("test").run();
}

#[test]
fn embedded_rules_lint_strictly() {
    Test::new().arg("lint").run();
    Test::new()
        .args(["lint", "--strict", "--rules"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"))
        .run();
}

/// (log in `examples/`, the article it must be diagnosed as), as in
/// `examples/README.md`.
const EXAMPLE_LOGS: &[(&str, &str)] = &[
    ("composer-auth-failure.log", "composer-invalid-access-keys"),
    (
        "php-memory-exhausted-di-compile.log",
        "di-compile-memory-exhausted",
    ),
    (
        "elasticsearch-unreachable-deploy.log",
        "elasticsearch-no-alive-nodes",
    ),
    (
        "database-gone-away-setup-upgrade.log",
        "mysql-server-has-gone-away",
    ),
    (
        "patch-apply-failed-build.log",
        "custom-patch-does-not-apply",
    ),
    (
        "disk-full-static-deploy.log",
        "disk-full-no-space-left-on-device",
    ),
    (
        "ci-job-killed-out-of-memory.log",
        "build-step-killed-out-of-memory",
    ),
];

// Needs the normaliser to strip the `remote:` prefix git prints in front of a
// hosting platform's build output (composer-auth-failure.log).
/// Each example is diagnosed as its article, confidently: medium or high,
/// bands of the fitted confidence model (`knowledge/confidence.toml`), with
/// most of them high.
#[test]
fn example_logs_get_their_article_with_confidence() {
    let mut wrong = Vec::new();
    let mut high = 0;
    for (log, expected) in EXAMPLE_LOGS {
        let (_, json) = diagnose_json(&example(log));
        let top = &json["diagnoses"][0];
        let got = (top["id"].as_str(), top["confidence"].as_str());
        high += usize::from(got.1 == Some("high"));
        let confident = matches!(got.1, Some("high" | "medium"));
        if got.0 != Some(*expected) || !confident {
            wrong.push(format!(
                "{log}: expected {expected} (medium or high), got {got:?}"
            ));
        }
        let p = top["probability"].as_f64().unwrap_or_default();
        assert!((0.0..=1.0).contains(&p), "{log}: probability {p}");
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(high * 3 >= EXAMPLE_LOGS.len() * 2, "{high} high");
}

#[test]
fn successful_deploy_has_no_diagnosis() {
    let (code, json) = diagnose_json(&example("successful-deploy.log"));
    assert_eq!(code, Some(1), "no failure found exits 1");
    assert_eq!(
        json["diagnoses"].as_array().map(Vec::len),
        Some(0),
        "{json}"
    );
}

/// (a description in plain words, the article it must find first).
const DESCRIPTIONS: &[(&str, &str)] = &[
    (
        "data patch crashes because the area code has not been set",
        "area-code-is-not-set",
    ),
    (
        "git push rejected because the cloud yaml config files have errors",
        "cloud-yaml-configuration-invalid-on-push",
    ),
    (
        "composer gets 403 forbidden downloading a package my keys are not entitled to",
        "composer-access-keys-forbidden-403",
    ),
    (
        "composer asks for authentication because no auth.json credentials exist",
        "composer-auth-json-missing",
    ),
    (
        "composer cannot clone a private git repository over ssh, publickey denied",
        "composer-git-ssh-permission-denied",
    ),
    (
        "composer says my access keys are invalid",
        "composer-invalid-access-keys",
    ),
    (
        "composer itself runs out of memory while resolving dependencies",
        "composer-memory-exhausted",
    ),
    (
        "composer install complains a php extension is missing from the system",
        "composer-missing-php-extension-platform",
    ),
    (
        "composer says my php version does not satisfy the requirement",
        "composer-php-version-does-not-satisfy",
    ),
    (
        "composer plugin blocked by allow-plugins setting",
        "composer-plugin-blocked-by-allow-plugins",
    ),
    (
        "composer dependency conflict, requirements cannot be resolved to an installable set",
        "composer-requirements-could-not-be-resolved",
    ),
    (
        "cron jobs still running during deploy cause a lock wait timeout",
        "cron-running-during-deploy-lock-wait",
    ),
    (
        "my own hotfix patch no longer applies after upgrading",
        "custom-patch-does-not-apply",
    ),
    (
        "cannot connect to mysql, connection refused",
        "database-connection-refused",
    ),
    (
        "database host name cannot be resolved, getaddrinfo name not known",
        "database-host-name-not-resolved",
    ),
    (
        "database has newer module versions than the code",
        "db-module-version-newer-than-code",
    ),
    (
        "deploy hook took too long and was killed by the time limit",
        "deploy-hook-timeout",
    ),
    (
        "code compilation fails because a class does not exist",
        "di-compile-class-does-not-exist",
    ),
    (
        "di compile runs out of php memory during build",
        "di-compile-memory-exhausted",
    ),
    (
        "the disk is full, no space left on device",
        "disk-full-no-space-left-on-device",
    ),
    (
        "what do the numbered error codes in the cloud deploy log mean",
        "ece-tools-error-codes",
    ),
    (
        "elasticsearch unreachable, no alive nodes in the cluster",
        "elasticsearch-no-alive-nodes",
    ),
    (
        "env.php file is not writable during deploy",
        "env-php-not-writable",
    ),
    (
        "fastly module breaks compilation with incompatible argument type",
        "fastly-cdn-di-compile-incompatible",
    ),
    (
        "less variable undefined when compiling theme styles",
        "less-source-file-not-resolved",
    ),
    (
        ".magento.env.yaml has an invalid variable value",
        "magento-env-yaml-validation-failed",
    ),
    (
        "site stays in maintenance mode showing 503 after a failed deploy",
        "maintenance-mode-left-enabled-after-deploy",
    ),
    (
        "mysql packet bigger than max_allowed_packet on import",
        "mysql-max-allowed-packet-exceeded",
    ),
    (
        "mysql server went away in the middle of setup upgrade",
        "mysql-server-has-gone-away",
    ),
    (
        "php intl extension is not loaded",
        "php-intl-extension-not-loaded",
    ),
    (
        "magento refuses to start because php is older than it supports",
        "php-version-not-supported-by-magento",
    ),
    (
        "quality patch from QUALITY_PATCHES cannot be applied to the installed version",
        "quality-patch-cannot-be-applied",
    ),
    (
        "cannot connect to rabbitmq message queue broker",
        "rabbitmq-amqp-connection-failed",
    ),
    (
        "redis connection refused for cache or sessions",
        "redis-connection-refused",
    ),
    (
        "search engine ping fails with 401 because of missing credentials",
        "search-engine-could-not-ping-auth",
    ),
    (
        "current search engine version is not supported for the upgrade",
        "search-engine-version-not-supported",
    ),
    (
        "site says please upgrade your database after deploying new code",
        "setup-upgrade-please-upgrade-database",
    ),
    (
        "static content deploy rejects a locale code as invalid",
        "static-content-deploy-invalid-locale",
    ),
    (
        "static content deploy runs out of memory",
        "static-content-deploy-memory-exhausted",
    ),
    (
        "build step killed, container out of memory",
        "build-step-killed-out-of-memory",
    ),
    (
        "cannot retrieve the deployment version of static files",
        "static-files-deployment-version-missing",
    ),
    (
        "enabling a module fails with unknown module",
        "unknown-module-on-enable",
    ),
];

#[test]
fn search_finds_each_article_from_a_plain_description() {
    let mut wrong = Vec::new();
    for (query, expected) in DESCRIPTIONS {
        let out = Test::new()
            .args(["search", query, "--format", "json"])
            .output();
        let json: Value = serde_json::from_slice(&out.stdout).expect("search prints JSON");
        let first = json["results"][0]["id"]
            .as_str()
            .unwrap_or("(none)")
            .to_string();
        if first != *expected {
            wrong.push(format!("{query:?}: expected {expected}, got {first}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_bundled_rule_has_a_description() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("rules/ exists") {
        let path = entry.expect("read rules/").path();
        if path.extension().is_some_and(|x| x == "toml") {
            let id = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("")
                .to_string();
            if !DESCRIPTIONS.iter().any(|(_, e)| *e == id) {
                missing.push(id);
            }
        }
    }
    assert!(missing.is_empty(), "no search description for: {missing:?}");
}
