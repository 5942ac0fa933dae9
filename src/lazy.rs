//! Statics built on first use (`LazyLock`: compiled regexes, automata,
//! tables), declared with [`lazy!`] so that the unit tests can build every
//! one of them. A pattern that does not compile would otherwise panic only
//! when the first input that needs it comes along, in a user's run.
//!
//! Each `lazy!` also registers a function that forces its static in a
//! link-time list (linkme, test builds only), so no list of them is kept by
//! hand: `every_lazy_static_builds` forces what the macro registered, and
//! `every_lazy_static_uses_the_macro` fails on a `LazyLock` declared without
//! it.

#[cfg(test)]
#[linkme::distributed_slice]
pub(crate) static FORCE: [fn()];

/// `lazy! { static NAME: Type = init; }` declares
/// `static NAME: LazyLock<Type>` built by `init` on first use.
macro_rules! lazy {
    ($(#[$attr:meta])* $vis:vis static $name:ident: $ty:ty = $init:expr;) => {
        $(#[$attr])*
        $vis static $name: std::sync::LazyLock<$ty> = std::sync::LazyLock::new(|| $init);
        #[cfg(test)]
        const _: () = {
            #[linkme::distributed_slice($crate::lazy::FORCE)]
            static FORCE: fn() = || {
                std::sync::LazyLock::force(&$name);
            };
        };
    };
}
pub(crate) use lazy;

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn every_lazy_static_builds() {
        for force in super::FORCE {
            force();
        }
        // The list really is filled in: every stage declares some.
        assert!(
            super::FORCE.len() >= 40,
            "{} registered",
            super::FORCE.len()
        );
    }

    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn every_lazy_static_uses_the_macro() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let bare: Vec<String> = files
            .iter()
            .filter(|f| !f.ends_with("lazy.rs"))
            .flat_map(|f| {
                let text = std::fs::read_to_string(f).unwrap();
                text.lines()
                    .enumerate()
                    .filter(|(_, l)| l.contains("LazyLock::new("))
                    .map(|(n, _)| format!("{}:{}", f.display(), n + 1))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(bare.is_empty(), "declare these with lazy!: {bare:#?}");
    }
}
