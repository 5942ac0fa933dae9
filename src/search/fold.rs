//! Editions: the same article often exists twice (an older and a newer
//! knowledge base) with near-identical titles. Search shows one hit per
//! article, so rules are grouped by title before ranking.

use std::collections::{HashMap, HashSet};

use crate::rulebook::Rule;
use crate::text::terms;

/// Titles at least this similar (normalised Levenshtein over their stemmed
/// terms) are editions when their bodies agree at least a little.
const SAME_TITLE: f64 = 0.9;

/// Titles whose rare words mostly agree (idf-weighted Jaccard) are editions
/// when their bodies agree too: an edition renames the product in the title
/// ("... - Old Product Name" / "... - New Product Name") but keeps the text.
const SIMILAR_TITLE: f64 = 0.6;

/// A title wholly contained in the other ("Blank page after upgrade" in
/// "Storefront shows a blank page after upgrade") is an edition when the
/// bodies agree.
const CONTAINED_TITLE: f64 = 0.95;

/// Jaccard similarity of the body terms that confirms a pair of titles.
const SAME_BODY: f64 = 0.5;
const SAME_BODY_FOR_SAME_TITLE: f64 = 0.3;

/// A title term used by more rules than this cannot tell editions apart, so
/// it does not propose candidate pairs (it only costs comparisons).
const COMMON_TERM: usize = 40;

/// The group of each rule: rules with one group number are editions of one
/// article. The group number is the index of its first rule. `bodies` holds
/// each rule's distinct term ids over all its fields.
pub(crate) fn edition_groups(rules: &[Rule], bodies: &[HashSet<u32>]) -> Vec<usize> {
    let keys: Vec<Vec<String>> = rules.iter().map(|r| terms(&r.title)).collect();
    let joined: Vec<String> = keys.iter().map(|k| k.join(" ")).collect();
    let mut parent: Vec<usize> = (0..rules.len()).collect();

    let mut by_term: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        let mut seen: Vec<&str> = key.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for term in seen {
            by_term.entry(term).or_default().push(i);
        }
    }
    let n = rules.len().max(1) as f64;
    let idf = |term: &str| {
        (n / by_term.get(term).map_or(1, Vec::len) as f64)
            .ln()
            .max(0.0)
    };

    let mut shared: HashMap<(usize, usize), usize> = HashMap::new();
    for docs in by_term.values().filter(|d| d.len() <= COMMON_TERM) {
        for (a, &i) in docs.iter().enumerate() {
            for &j in &docs[a + 1..] {
                *shared.entry((i, j)).or_default() += 1;
            }
        }
    }
    let mut pairs: Vec<(usize, usize)> = shared
        .into_iter()
        .filter(|&((i, j), count)| count >= 2 || joined[i] == joined[j])
        .map(|(pair, _)| pair)
        .collect();
    // Same titles made only of common words share no rare term; titles
    // that differ only in spacing and punctuation ("install/upgrade" exported
    // as "installorupgrade" next to "install or upgrade") share no term.
    let spelled: Vec<String> = rules.iter().map(|r| letters_of(&r.title)).collect();
    for keys in [&joined, &spelled] {
        let mut by_key: HashMap<&str, usize> = HashMap::new();
        for (i, key) in keys.iter().enumerate().filter(|(_, k)| !k.is_empty()) {
            if let Some(&j) = by_key.get(key.as_str()) {
                pairs.push((j, i));
            } else {
                by_key.insert(key, i);
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    for (i, j) in pairs {
        if find(&mut parent, i) == find(&mut parent, j) || !distinct_files(&rules[i], &rules[j]) {
            continue;
        }
        let body = jaccard(&bodies[i], &bodies[j]);
        let same = (strsim::normalized_levenshtein(&joined[i], &joined[j]) >= SAME_TITLE
            || spelled[i] == spelled[j])
            && (body >= SAME_BODY_FOR_SAME_TITLE || bodies[i].is_empty() || bodies[j].is_empty());
        let (overlap, containment) = title_overlap(&keys[i], &keys[j], &idf);
        let similar =
            body >= SAME_BODY && (overlap >= SIMILAR_TITLE || containment >= CONTAINED_TITLE);
        if same || similar {
            union(&mut parent, i, j);
        }
    }
    (0..rules.len()).map(|i| find(&mut parent, i)).collect()
}

/// A title's letters and digits, lower-cased: its spelling without
/// spacing or punctuation.
fn letters_of(title: &str) -> String {
    title
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn jaccard(a: &HashSet<u32>, b: &HashSet<u32>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f64 / union as f64
}

/// Idf-weighted Jaccard of two titles' terms, and how much of the shorter
/// title the longer one contains.
fn title_overlap(a: &[String], b: &[String], idf: &impl Fn(&str) -> f64) -> (f64, f64) {
    let a: HashSet<&str> = a.iter().map(String::as_str).collect();
    let b: HashSet<&str> = b.iter().map(String::as_str).collect();
    let weight = |terms: &mut dyn Iterator<Item = &&str>| -> f64 { terms.map(|t| idf(t)).sum() };
    let both = weight(&mut a.intersection(&b));
    let either = weight(&mut a.union(&b));
    let smaller = weight(&mut a.iter()).min(weight(&mut b.iter()));
    let ratio = |part: f64, whole: f64| if whole > 0.0 { part / whole } else { 0.0 };
    (ratio(both, either), ratio(both, smaller))
}

/// Editions of one article live in different collections (the first
/// folder of the rule's source path): a knowledge base does not hold two
/// editions of one article, while two of its own articles, or two rows of
/// one reference table, may well have near-identical titles.
fn distinct_files(a: &Rule, b: &Rule) -> bool {
    if a.source.is_empty() || b.source.is_empty() {
        return true;
    }
    let collection = |source: &str| -> String {
        let source = source.replace('\\', "/");
        match source.split_once('/') {
            Some((first, _)) => first.to_string(),
            None => source,
        }
    };
    collection(&a.source) != collection(&b.source)
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
        let bodies = vec![HashSet::new(); rules.len()];
        let groups = edition_groups(&rules, &bodies);
        assert_eq!(groups[0], groups[1]);
        assert_ne!(groups[0], groups[2]);
        assert_ne!(groups[3], groups[4]);
    }

    #[test]
    fn titles_spelled_alike_fold_whatever_their_spacing() {
        let rules = vec![
            rule(
                "2001",
                "Widget error during installorupgrade",
                "old/2001.txt",
            ),
            rule(
                "widget-install",
                "Widget error during install or upgrade",
                "new/widget-install.md",
            ),
            rule(
                "widget-uninstall",
                "Widget error during uninstall",
                "new/widget-uninstall.md",
            ),
        ];
        let body: HashSet<u32> = (0..10).collect();
        let groups = edition_groups(&rules, &vec![body; rules.len()]);
        assert_eq!(groups[0], groups[1]);
        assert_ne!(groups[0], groups[2]);
    }
}
