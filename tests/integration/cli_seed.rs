//! The seed article end to end: ingest it with the real binary, then
//! `triage show 360031380671 --format json` must carry everything a support
//! engineer reads (skips when the shared corpus is absent). Fields are
//! asserted one by one rather than through a golden file, so that no
//! corpus text is copied into the project.

use serde_json::Value;

use crate::support::shared::{assert_in_order, shared};
use crate::support::Test;

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

#[test]
fn seed_article_shows_as_json_with_every_part() {
    let Some(seed) = shared("corpus/magento-helpcenter/360031380671.txt") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    Test::new()
        .arg("ingest")
        .arg(&seed)
        .arg("--out")
        .arg(out.path())
        .run();
    let shown = Test::new()
        .args(["show", "360031380671", "--format", "json", "--rules"])
        .arg(out.path())
        .run();
    let v: Value = serde_json::from_slice(&shown.stdout).unwrap();

    assert_eq!(v["id"], "360031380671");
    assert_eq!(
        v["title"],
        "Deployment issues relating to account permissions and access keys"
    );
    assert!(v["link"]
        .as_str()
        .unwrap()
        .contains("/articles/360031380671"));
    assert_eq!(strings(&v["labels"]).len(), 4);
    assert_eq!(strings(&v["products"]).len(), 1);
    assert!(strings(&v["products"])[0].contains("all supported versions"));
    assert_eq!(strings(&v["issue"]["steps_to_reproduce"]).len(), 4);
    assert!(v["issue"]["expected"]
        .as_str()
        .unwrap()
        .contains("successfully installed"));
    assert!(v["issue"]["actual"]
        .as_str()
        .unwrap()
        .contains("deployment fails"));
    assert!(v["cause"].as_str().unwrap().contains("conflict"));
    assert!(v["symptoms"].is_array());
    // The steps stay an array of strings; the alternative that has
    // sub-steps holds them indented, in order.
    let steps = strings(&v["steps"]);
    assert_in_order(
        &steps,
        &[
            "How to disable the access key",
            "If you do not have access",
            "If you have access",
        ],
    );
    let alternative = steps.last().unwrap();
    let at = |needle: &str| {
        alternative
            .find(needle)
            .unwrap_or_else(|| panic!("{needle}: {alternative}"))
    };
    assert!(at("\n  1. Log in to the") < at("\n  2. Click the account name"));
    assert!(at("\n  2. Click the account name") < at("\n  3. Click Access Keys"));
    assert!(at("\n  3. Click Access Keys") < at("\n  4. Click Disable"));
}
