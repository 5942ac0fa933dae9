//! Debug aid: `ARTICLE_DUMP=path cargo test --test article_dump -- --nocapture`
//! prints the articles of one file as JSON.

#[test]
fn dump_one_file() {
    let Ok(path) = std::env::var("ARTICLE_DUMP") else {
        return;
    };
    let path = std::path::Path::new(&path);
    let root = path.parent().unwrap_or(path);
    match triage::article::load_file(path, root) {
        Ok(triage::article::Loaded::Articles(articles)) => {
            println!("{}", serde_json::to_string_pretty(&articles).unwrap())
        }
        Ok(other) => println!("{other:?}"),
        Err(err) => println!("error: {err}"),
    }
}
