//! The search page's confidence words against the labelled queries of
//! `../shared/eval`, each set on its own knowledge base: a "strong match"
//! must nearly always be the right article, a "weak match" nearly never.
//! The thresholds were set on these figures (`src/serve/confidence.rs`); a
//! change of the search's scores that breaks them fails here.

use std::collections::HashMap;
use std::path::Path;

use regex::Regex;

use crate::support::server::Serve;
use crate::support::shared::{ingested_corpus, shared};

/// Per word: (results shown with it, of which right).
type Tally = HashMap<String, (u32, u32)>;

fn tally(rules: &Path, queries: &Path, into: &mut Tally) {
    let server = Serve::new().rules(rules).start();
    let file: toml::Value = toml::from_str(&std::fs::read_to_string(queries).unwrap()).unwrap();
    let result = Regex::new(
        r#"<a class="title" href="/articles/([^"]+)">.*?<span class="badge \w+">([^<]+)</span>.*?<p class="meta">(.*?)</p></li>"#,
    )
    .unwrap();
    for q in file["query"].as_array().unwrap() {
        let expect: Vec<&str> = q["expect"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        let text = q["text"].as_str().unwrap();
        let page = server.get(&format!(
            "/search?q={}",
            triage::serve::links::encode_segment(text)
        ));
        // The first five, as the thresholds were measured.
        for c in result.captures_iter(&page.text()).take(5) {
            let id = c[1].replace("%23", "#");
            // Editions folded into the result count as the article, and a
            // section of a page as the page (as `triage eval` counts).
            let right = expect.iter().any(|e| {
                triage::eval::meets(&id, e)
                    || c[3].contains(&format!(">{e}</a>"))
                    || c[3].contains(&format!(">{e}#"))
            });
            let entry = into.entry(c[2].to_string()).or_default();
            entry.0 += 1;
            entry.1 += u32::from(right);
        }
    }
}

#[test]
fn the_words_mean_what_they_say_on_the_labelled_queries() {
    let (Some(corpus), Some(eval)) = (shared("corpus"), shared("eval")) else {
        return;
    };
    let mut words = Tally::new();
    let rules = ingested_corpus(&corpus);
    tally(rules, &eval.join("queries.toml"), &mut words);
    tally(rules, &eval.join("b/queries.toml"), &mut words);
    let github = ingested_corpus(&eval.join("github-docs/corpus"));
    tally(github, &eval.join("github-docs/queries.toml"), &mut words);

    let share = |word: &str| {
        let (shown, right) = words.get(word).copied().unwrap_or_default();
        (shown, f64::from(right) / f64::from(shown.max(1)))
    };
    let (strong, strong_right) = share("strong match");
    let (possible, possible_right) = share("possible match");
    let (weak, weak_right) = share("weak match");
    let summary = format!("{words:?}");
    assert!(strong >= 30, "too few strong matches to judge: {summary}");
    assert!(
        strong_right >= 0.9,
        "strong matches right {strong_right:.2}: {summary}"
    );
    assert!(
        possible >= 30 && possible_right >= 0.2,
        "possible: {summary}"
    );
    assert!(
        weak_right <= 0.1,
        "weak matches right {weak_right:.2}: {summary}"
    );
    assert!(weak > possible, "{summary}");
    eprintln!("confidence words: strong {strong_right:.2} of {strong}, possible {possible_right:.2} of {possible}, weak {weak_right:.2} of {weak}");
}
