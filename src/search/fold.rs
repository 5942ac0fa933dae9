//! Editions: the same article often exists twice (an older and a newer
//! knowledge base) with near-identical titles. Search shows one hit per
//! article, so rules are grouped by title before ranking.

use std::collections::HashMap;

use crate::rulebook::Rule;
use crate::text::terms;

/// Titles at least this similar (normalised Levenshtein over their stemmed
/// terms) are taken for editions of one article. High, because two real
/// articles about one error differ in a word or two ("... on deploy" vs
/// "... on install") and must stay apart.
const SAME_TITLE: f64 = 0.9;

/// A title term used by more rules than this cannot tell editions apart, so
/// it does not propose candidate pairs (it only costs comparisons).
const COMMON_TERM: usize = 40;

/// The group of each rule: rules with one group number are editions of one
/// article. The group number is the index of its first rule.
pub(crate) fn edition_groups(rules: &[Rule]) -> Vec<usize> {
    let keys: Vec<String> = rules.iter().map(|r| terms(&r.title).join(" ")).collect();
    let mut parent: Vec<usize> = (0..rules.len()).collect();

    let mut by_key: HashMap<&str, usize> = HashMap::new();
    let mut by_term: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        if key.is_empty() {
            continue;
        }
        if let Some(&j) = by_key.get(key.as_str()) {
            if distinct_files(&rules[i], &rules[j]) {
                union(&mut parent, i, j);
            }
        } else {
            by_key.insert(key, i);
        }
        let mut seen: Vec<&str> = key.split(' ').collect();
        seen.sort_unstable();
        seen.dedup();
        for term in seen {
            by_term.entry(term).or_default().push(i);
        }
    }

    let mut shared: HashMap<(usize, usize), usize> = HashMap::new();
    for docs in by_term.values().filter(|d| d.len() <= COMMON_TERM) {
        for (a, &i) in docs.iter().enumerate() {
            for &j in &docs[a + 1..] {
                *shared.entry((i, j)).or_default() += 1;
            }
        }
    }
    for ((i, j), count) in shared {
        // A pair must share most of its rare title terms before the (dearer)
        // character comparison runs.
        if count < 2 && keys[i] != keys[j] {
            continue;
        }
        if find(&mut parent, i) == find(&mut parent, j) || !distinct_files(&rules[i], &rules[j]) {
            continue;
        }
        if strsim::normalized_levenshtein(&keys[i], &keys[j]) >= SAME_TITLE {
            union(&mut parent, i, j);
        }
    }
    (0..rules.len()).map(|i| find(&mut parent, i)).collect()
}

/// Editions live in different files; two rows of one reference table with
/// similar titles are different entries.
fn distinct_files(a: &Rule, b: &Rule) -> bool {
    a.source.is_empty() || b.source.is_empty() || a.source != b.source
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    // The smaller index roots the group, so the group number is its first rule.
    let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
    parent[child] = root;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, title: &str, source: &str) -> Rule {
        Rule {
            id: id.into(),
            title: title.into(),
            source: source.into(),
            ..Rule::default()
        }
    }

    #[test]
    fn editions_fold_and_different_articles_do_not() {
        let rules = vec![
            rule(
                "1001",
                "Checkout page is blank after upgrade",
                "old/1001.txt",
            ),
            rule(
                "checkout-blank",
                "The checkout page is blank after an upgrade",
                "new/checkout-blank.md",
            ),
            rule(
                "cart-blank",
                "Cart page is blank after upgrade",
                "new/cart-blank.md",
            ),
            rule("tbl#1", "Command failed", "new/codes.md"),
            rule("tbl#2", "Command failed", "new/codes.md"),
        ];
        let groups = edition_groups(&rules);
        assert_eq!(groups[0], groups[1]);
        assert_ne!(groups[0], groups[2]);
        assert_ne!(groups[3], groups[4]);
    }
}
