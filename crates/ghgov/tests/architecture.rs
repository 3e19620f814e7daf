//! The boundaries ARCHITECTURE.md draws, checked on the source: no cycles between ghgov's
//! top-level modules, the command line imported by nothing but `main.rs`, and GitHub's
//! request paths built only in `github/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every source file of ghgov's library, by path under `src/`, without its test module.
fn library() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let product = text.split("#[cfg(test)]").next().unwrap_or("").to_string();
            let name = path
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (name, product)
        })
        .collect()
}

/// `api/mod.rs` → `api`, `store.rs` → `store`.
fn top_module(file: &str) -> String {
    file.split('/')
        .next()
        .unwrap()
        .trim_end_matches(".rs")
        .to_string()
}

/// Which top-level modules each one names (`crate::x`).
fn module_graph(files: &[(String, String)]) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, text) in files {
        let from = top_module(file);
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let to: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !to.is_empty() && to != from {
                graph.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    graph
}

fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let graph: BTreeMap<String, BTreeSet<String>> =
        [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"])]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
            .collect();
    assert_eq!(cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    let files = vec![
        ("x.rs".to_string(), "use crate::y::Z;".to_string()),
        (
            "y/mod.rs".to_string(),
            "fn f() { crate::x::g() }".to_string(),
        ),
    ];
    assert!(cycle(&module_graph(&files)).is_some());
}

#[test]
fn top_level_modules_form_no_cycle() {
    let graph = module_graph(&library());
    assert!(graph.contains_key("api") && graph.contains_key("mirror"));
    if let Some(found) = cycle(&graph) {
        panic!(
            "modules depend on each other in a circle: {}",
            found.join(" -> ")
        );
    }
}

#[test]
fn only_main_uses_the_command_line() {
    for (file, text) in library() {
        if file.starts_with("cli/") || file == "main.rs" || file == "lib.rs" {
            continue;
        }
        assert!(
            !text.contains("crate::cli"),
            "{file} imports the command line; give the core a plain function instead"
        );
        assert!(
            !text.contains("clap::"),
            "{file} uses clap; flags belong in cli/"
        );
    }
}

#[test]
fn only_the_github_module_builds_request_paths() {
    for (file, text) in library() {
        if file.starts_with("github/") || file == "demo.rs" {
            // The demo prints a curl command for people to try.
            continue;
        }
        assert!(
            !text.contains("\"/repos/") && !text.contains("/repos/{"),
            "{file} builds a GitHub path; add a typed operation to github/rest.rs or github/writes.rs"
        );
    }
}
