//! The article the project started from, in both editions (skips when the
//! shared corpus is absent).

use std::path::Path;

use triage::article::{load_file, Loaded};
use triage::Article;

use crate::support::shared::{assert_in_order, shared};

fn load_one(root: &Path, relative: &str) -> Article {
    match load_file(&root.join(relative), root).expect("loads") {
        Loaded::Articles(mut articles) => {
            assert_eq!(articles.len(), 1);
            articles.remove(0)
        }
        Loaded::NotArticle(reason) => panic!("{relative}: not an article: {reason}"),
    }
}

fn check_common(article: &Article) {
    assert_eq!(
        article.title,
        "Deployment issues relating to account permissions and access keys"
    );
    assert_eq!(article.issue.steps_to_reproduce.len(), 4, "{article:#?}");
    assert!(article.issue.steps_to_reproduce[0].starts_with("Contact A created"));
    assert_eq!(
        article.issue.expected,
        "Extension is successfully installed."
    );
    assert!(article
        .issue
        .actual
        .starts_with("Extension is not installed"));
    assert!(article.cause.starts_with("Both keys"));
    assert_eq!(article.products.len(), 1, "{:?}", article.products);
    assert!(article.products[0].contains("all supported versions"));
    // The two alternatives stay two steps under their heading; the second
    // keeps its four numbered sub-steps (issue 13).
    assert_in_order(
        &article.steps,
        &[
            "If a deployment failed",
            "How to disable the access key:",
            "If you do not have access",
            "If you have access",
        ],
    );
    assert_eq!(article.steps.len(), 4, "{:#?}", article.steps);
    let alternative = &article.steps[3];
    assert!(alternative.contains(":\n  1. Log in"), "{alternative}");
    let sub_steps: Vec<&str> = alternative.lines().skip(1).collect();
    assert_eq!(sub_steps.len(), 4, "{alternative}");
    for (n, prefix) in [
        "Log in",
        "Click the account name",
        "Click Access Keys",
        "Click Disable",
    ]
    .iter()
    .enumerate()
    {
        assert!(
            sub_steps[n].starts_with(&format!("  {}. {prefix}", n + 1)),
            "{alternative}"
        );
    }
    assert_eq!(article.related.len(), 1);
    assert!(article.related[0]
        .text
        .starts_with("Get your authentication keys"));
}

#[test]
fn seed_help_center_edition() {
    let Some(root) = shared("corpus") else { return };
    let article = load_one(&root, "magento-helpcenter/360031380671.txt");
    assert_eq!(article.id, "360031380671");
    assert_eq!(article.source, "magento-helpcenter/360031380671.txt");
    assert!(article.link.as_deref().unwrap().ends_with(
        "360031380671-Deployment-issues-relating-to-account-permissions-and-access-keys"
    ));
    assert_eq!(article.labels.len(), 4, "{:?}", article.labels);
    check_common(&article);
}

#[test]
fn seed_markdown_edition() {
    let Some(root) = shared("corpus") else { return };
    let article = load_one(
        &root,
        "adobe-commerce-kb/deployment/deployment-issues-relating-to-account-permissions-and-access-keys.md",
    );
    assert_eq!(
        article.id,
        "deployment-issues-relating-to-account-permissions-and-access-keys"
    );
    assert!(article.description.is_some());
    assert_eq!(article.labels, ["Deploy", "Roles/Permissions"]);
    check_common(&article);
}
