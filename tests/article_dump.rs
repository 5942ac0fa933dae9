//! Debug aid: `ARTICLE_DUMP=path cargo test --test article_dump -- --nocapture`
//! prints the articles of one file (or of every file under a folder, as one
//! JSON line each) .

use std::path::Path;

use triage::article::{load_file, Loaded};

#[test]
fn dump_articles() {
    let Ok(path) = std::env::var("ARTICLE_DUMP") else {
        return;
    };
    let path = Path::new(&path);
    if path.is_dir() {
        for entry in walkdir::WalkDir::new(path)
            .into_iter()
            .filter_map(Result::ok)
        {
            if !entry.file_type().is_file() {
                continue;
            }
            if let Ok(Loaded::Articles(articles)) = load_file(entry.path(), path) {
                for article in articles {
                    println!("{}", serde_json::to_string(&article).unwrap());
                }
            }
        }
        return;
    }
    let root = path.parent().unwrap_or(path);
    match load_file(path, root) {
        Ok(Loaded::Articles(articles)) => {
            println!("{}", serde_json::to_string_pretty(&articles).unwrap())
        }
        Ok(other) => println!("{other:?}"),
        Err(err) => println!("error: {err}"),
    }
}
