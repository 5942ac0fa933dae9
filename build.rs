//! Compiles the rules in `rules/` into the binary as the embedded default,
//! and fails the build when one of them does not lint, or when the bundled
//! list of log meanings does not compile or contradicts its own examples: a
//! broken bundled rule must never reach a user. Also embeds each bundled
//! rule's passage with the bundled model (`src/embed`), so that a run on
//! the embedded rules computes no vector but its query's.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

#[path = "src/rulebook/lint.rs"]
#[allow(dead_code)]
mod lint;
#[path = "src/log/meaning.rs"]
#[allow(dead_code)]
mod meaning;
#[path = "src/embed/minilm.rs"]
#[allow(dead_code)]
mod minilm;
#[path = "src/embed/passage.rs"]
#[allow(dead_code)]
mod passage;
#[path = "src/rulebook/rule.rs"]
#[allow(dead_code)]
mod rule;
#[path = "src/embed/wordpiece.rs"]
#[allow(dead_code)]
mod wordpiece;

fn rule_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rule_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "toml") {
            out.push(path);
        }
    }
}

fn main() {
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let rules_dir = root.join("rules");
    println!("cargo:rerun-if-changed=rules");
    println!("cargo:rerun-if-changed=src/rulebook/lint.rs");
    println!("cargo:rerun-if-changed=src/rulebook/rule.rs");
    println!("cargo:rerun-if-changed=src/log/meaning.rs");
    println!("cargo:rerun-if-changed=knowledge/log-meanings.toml");
    println!("cargo:rerun-if-changed=src/embed");
    println!("cargo:rerun-if-changed=models/minilm-l6-v2");

    let mut files = Vec::new();
    rule_files(&rules_dir, &mut files);
    files.sort();

    let mut parsed = Vec::new();
    let mut failures = Vec::new();
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .display()
            .to_string();
        let text = match fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                failures.push(format!("{name}: cannot read: {e}"));
                continue;
            }
        };
        match toml::from_str::<rule::Rule>(&text) {
            Ok(rule) => parsed.push((name, text, rule)),
            Err(e) => {
                let line = e
                    .span()
                    .map_or(1, |s| text[..s.start].matches('\n').count() + 1);
                failures.push(format!("{name}:{line}: {}", e.message()));
            }
        }
    }
    failures.extend(lint::lint(&parsed, true).iter().map(|p| p.to_string()));
    match meaning::Meanings::parse(meaning::BUNDLED, meaning::BUNDLED_NAME) {
        Ok(list) => failures.extend(
            list.check()
                .iter()
                .map(|p| format!("{}:{}: {p}", meaning::BUNDLED_NAME, p.line)),
        ),
        Err(e) => failures.push(e.to_string()),
    }
    if !failures.is_empty() {
        for f in &failures {
            println!("cargo:warning={f}");
        }
        eprintln!("bundled knowledge does not lint:\n{}", failures.join("\n"));
        std::process::exit(1);
    }

    let mut code = String::from("/// Bundled rule files: (path relative to the crate, TOML text).\npub static EMBEDDED_RULES: &[(&str, &str)] = &[\n");
    for (name, _, _) in &parsed {
        let abs = root.join(name);
        writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            abs.display().to_string()
        )
        .expect("write to String");
    }
    code.push_str("];\n");
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let vectors = out_dir.join("embedded_vectors.bin");
    fs::write(&vectors, passage_vectors(&root, &parsed)).expect("write embedded_vectors.bin");
    writeln!(
        code,
        "/// Per bundled rule: the digest of its passage, then its vector (little-endian f32).\n\
         pub static EMBEDDED_VECTORS: &[u8] = include_bytes!({:?});",
        vectors.display().to_string()
    )
    .expect("write to String");
    fs::write(out_dir.join("embedded_rules.rs"), code).expect("write embedded_rules.rs");
}

/// Per rule, the digest of its passage (8 bytes) and its vector (`DIM`
/// little-endian f32), as `rulebook::embedded::vectors` reads them.
fn passage_vectors(root: &Path, parsed: &[(String, String, rule::Rule)]) -> Vec<u8> {
    let model = fs::read(root.join("models/minilm-l6-v2/encoder.safetensors"))
        .expect("read the bundled model");
    let vocabulary: &'static str = Box::leak(
        fs::read_to_string(root.join("models/minilm-l6-v2/vocab.txt"))
            .expect("read the bundled vocabulary")
            .into_boxed_str(),
    );
    let tokenizer = wordpiece::WordPiece::new(vocabulary).expect("the vocabulary loads");
    let encoder = minilm::MiniLm::from_bytes(&model, vocabulary.lines().count())
        .expect("the bundled model loads");
    let texts: Vec<String> = parsed
        .iter()
        .map(|(_, _, r)| passage::passage(&r.title))
        .collect();
    let ids: Vec<Vec<u32>> = texts
        .iter()
        .map(|t| tokenizer.encode(t, passage::PASSAGE_TOKENS))
        .collect();
    let sequences: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
    let vectors = encoder.encode(&sequences);
    let mut out = Vec::new();
    for (text, vector) in texts.iter().zip(vectors.chunks_exact(minilm::DIM)) {
        out.extend(passage::digest(text).to_le_bytes());
        for v in vector {
            out.extend(v.to_le_bytes());
        }
    }
    out
}
