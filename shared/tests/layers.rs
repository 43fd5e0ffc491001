//! The layers of `shared` point one way — support ← model ← store, clients ← service ← http — and
//! no module imports another in a circle; the functions and the catalog tool reach DynamoDB only
//! through services. Read from the sources: no build, no stack.
//!
//! Every `crate::…` path a file names is an import of the module it resolves to (the longest
//! prefix that is a file of the crate; a macro, of the file that defines it). `lib.rs` only
//! declares the layers and re-exports, so it is no node of the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first: a module may import its own layer's modules and any layer before it.
/// `store` and `clients` share a rank and import neither each other.
const LAYERS: &[(&str, u8)] = &[("support", 0), ("model", 1), ("store", 2), ("clients", 2), ("service", 3), ("http", 4)];

/// What a function or the catalog tool may name of the store: the client it builds once at
/// start, the transaction a service hands it to pass on, and the types items are built from.
const STORE_NAMES_ALLOWED: &[&str] =
    &["store::Db", "store::sdk_config", "store::Timeouts", "store::db::Tx", "store::db::WARM_WITHIN", "store::idempotency::Idempotency"];

/// The catalog tool also builds the items a catalog file stands for (no request: `service::import` sends them).
const STORE_NAMES_FOR_ITEMS: &[&str] = &[
    "store::db::Item",
    "store::db::Record",
    "store::db::ENTITY_TYPE",
    "store::db::text",
    "store::db::item",
    "store::keys",
    "store::catalog::REGISTERED_COUNT",
];

/// The `Db` calls that send a request: a function or the catalog tool never makes one itself.
const DB_REQUESTS: &[&str] = &[
    "get",
    "get_many",
    "get_many_within",
    "batch_get",
    "query",
    "query_gsi1",
    "owned_page",
    "keys_of",
    "keys_in",
    "transact",
    "delete_all",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The module a file of `src` is: `store/db.rs` → `store::db`, `model/result/mod.rs` → `model::result`.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("a file of src").with_extension("");
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts.join("::")
}

/// The source without comments, string and char literals (their text names nothing).
fn code_of(source: &str) -> String {
    let bytes = source.as_bytes();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1).copied()) {
            (b'/', Some(b'/')) => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            (b'/', Some(b'*')) => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            (b'r', Some(b'#')) | (b'r', Some(b'"')) if i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') => {
                let hashes = bytes[i + 1..].iter().take_while(|&&b| b == b'#').count();
                if bytes.get(i + 1 + hashes) != Some(&b'"') {
                    out.push('r');
                    i += 1;
                    continue;
                }
                let end = format!("\"{}", "#".repeat(hashes));
                i += 2 + hashes;
                match source[i..].find(&end) {
                    Some(at) => i += at + end.len(),
                    None => i = bytes.len(),
                }
                out.push_str("\"\"");
            }
            (b'"', _) => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            // A char literal ('x', '\n'), not a lifetime ('a).
            (b'\'', Some(c)) if bytes.get(i + 2) == Some(&b'\'') || (c == b'\\') => {
                let close = source[i + 1..].find('\'').map_or(bytes.len(), |at| i + 1 + at + 1);
                i = if c == b'\\' { source[i + 3..].find('\'').map_or(bytes.len(), |at| i + 3 + at + 1) } else { close };
                out.push_str("' '");
            }
            (b, _) => {
                out.push(b as char);
                i += 1;
            }
        }
    }
    out
}

/// Every `use` tree of the code, expanded.
fn use_trees(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        rest = &rest[at + 4..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(end) = rest.find(';') else { break };
        expand("", &compact(&rest[..end]), &mut found);
    }
    found
}

/// Every path the code names from `root` (`crate` or `shared`): `use` trees expanded, inline
/// paths as written, macros marked with a trailing `!`.
fn paths_from(code: &str, root: &str) -> Vec<String> {
    let mut found: Vec<String> = use_trees(code);
    let needle = format!("{root}::");
    let mut from = 0;
    while let Some(at) = code[from..].find(&needle) {
        let start = from + at;
        from = start + needle.len();
        if code[..start].chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let path: String = code[start..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
        // A `use` tree's head (`shared::a::{…}`) was expanded above.
        if code[start + path.len()..].starts_with('{') {
            continue;
        }
        let path = path.trim_end_matches(':').to_string();
        let is_macro = code[start + path.len()..].starts_with('!');
        found.push(if is_macro { format!("{path}!") } else { path });
    }
    found.retain(|p| p.starts_with(&needle));
    found
}

/// A `use` tree on one line without blanks, but for the ` as ` of a rename.
fn compact(tree: &str) -> String {
    let words: Vec<&str> = tree.split_whitespace().collect();
    let mut out = String::new();
    for pair in words.windows(2).chain([&words[words.len().saturating_sub(1)..]]) {
        out.push_str(pair[0]);
        if pair.len() == 2 && (pair[0] == "as" || pair[1] == "as") {
            out.push(' ');
        }
    }
    out
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e` (`self` names the prefix itself).
fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let join = |p: &str, s: &str| {
        if p.is_empty() {
            s.to_string()
        } else if s == "self" {
            p.to_string()
        } else {
            format!("{p}::{s}")
        }
    };
    match tree.find('{') {
        None => {
            let name = tree.split(" as ").next().unwrap_or(tree);
            out.push(join(prefix, name.trim_end_matches("::*")));
        }
        Some(open) => {
            let head = tree[..open].trim_end_matches("::");
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let prefix = if head.is_empty() { prefix.to_string() } else { join(prefix, head) };
            let (mut depth, mut start) = (0, 0);
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&prefix, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            if start < inner.len() {
                expand(&prefix, &inner[start..], out);
            }
        }
    }
}

/// A crate's module graph: each module, the modules it imports.
#[derive(Debug, Default)]
struct Graph {
    edges: BTreeMap<String, BTreeSet<String>>,
}

impl Graph {
    /// The graph of the crate whose files are `files` (module → source).
    fn of(files: &BTreeMap<String, String>) -> Self {
        let modules: BTreeSet<&str> = files.keys().map(String::as_str).collect();
        let mut macros: BTreeMap<String, String> = BTreeMap::new();
        for (module, source) in files {
            for (at, _) in source.match_indices("macro_rules! ") {
                let name: String = source[at + 13..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                macros.insert(name, module.clone());
            }
        }
        let mut graph = Graph::default();
        for (module, source) in files.iter().filter(|(m, _)| !m.is_empty()) {
            let targets = graph.edges.entry(module.clone()).or_default();
            let code = code_of(source);
            // A `use` of a child module's items (`pub use db::Db;` in `store`) imports the child.
            for path in use_trees(&code) {
                let child = format!("{module}::{}", path.split("::").next().unwrap_or(""));
                if modules.contains(child.as_str()) {
                    targets.insert(child);
                }
            }
            for path in paths_from(&code, "crate") {
                let path = path.trim_start_matches("crate::");
                let target = match path.strip_suffix('!') {
                    Some(name) => macros.get(name.rsplit("::").next().unwrap_or(name)).cloned(),
                    None => resolve(&modules, path),
                };
                if let Some(target) = target.filter(|t| t != module && !t.is_empty()) {
                    targets.insert(target);
                }
            }
        }
        graph
    }

    /// Every import against the layers, as `from → to`.
    fn against_the_layers(&self) -> Vec<String> {
        let mut wrong = Vec::new();
        for (from, targets) in &self.edges {
            for to in targets {
                let (a, b) = (layer(from), layer(to));
                let allowed = match (a, b) {
                    (Some((la, ra)), Some((lb, rb))) => la == lb || rb < ra,
                    _ => false,
                };
                if !allowed {
                    wrong.push(format!("{from} → {to}"));
                }
            }
        }
        wrong
    }

    /// One cycle of modules, if there is any (`a → b → … → a`).
    fn a_cycle(&self) -> Option<Vec<String>> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Open,
            Done,
        }
        fn visit<'a>(g: &'a Graph, at: &'a str, marks: &mut BTreeMap<&'a str, Mark>, path: &mut Vec<&'a str>) -> Option<Vec<String>> {
            marks.insert(at, Mark::Open);
            path.push(at);
            for next in g.edges.get(at).into_iter().flatten() {
                match marks.get(next.as_str()) {
                    Some(Mark::Open) => {
                        let from = path.iter().position(|m| *m == next).expect("an open module is on the path");
                        let mut cycle: Vec<String> = path[from..].iter().map(|m| m.to_string()).collect();
                        cycle.push(next.clone());
                        return Some(cycle);
                    }
                    Some(Mark::Done) => {}
                    None => {
                        if let Some(cycle) = visit(g, next, marks, path) {
                            return Some(cycle);
                        }
                    }
                }
            }
            path.pop();
            marks.insert(at, Mark::Done);
            None
        }
        let mut marks = BTreeMap::new();
        for module in self.edges.keys() {
            if !marks.contains_key(module.as_str())
                && let Some(cycle) = visit(self, module, &mut marks, &mut Vec::new())
            {
                return Some(cycle);
            }
        }
        None
    }
}

/// The longest prefix of `path` that is a module of the crate.
fn resolve(modules: &BTreeSet<&str>, path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|p| modules.contains(p.as_str()))
}

fn layer(module: &str) -> Option<(&'static str, u8)> {
    let top = module.split("::").next()?;
    LAYERS.iter().find(|(name, _)| *name == top).copied()
}

fn shared_files() -> BTreeMap<String, String> {
    let src = root().join("shared/src");
    rust_files(&src).into_iter().map(|f| (module_of(&src, &f), std::fs::read_to_string(&f).expect("a source file"))).collect()
}

#[test]
fn every_import_of_shared_points_down_the_layers() {
    let files = shared_files();
    let graph = Graph::of(&files);
    let unlayered: Vec<&String> = files.keys().filter(|m| !m.is_empty() && layer(m).is_none()).collect();
    assert!(unlayered.is_empty(), "modules outside the layers {LAYERS:?}: {unlayered:?}");
    let wrong = graph.against_the_layers();
    assert!(wrong.is_empty(), "imports against the layers (support ← model ← store, clients ← service ← http):\n  {}", wrong.join("\n  "));
    let edges: usize = graph.edges.values().map(BTreeSet::len).sum();
    println!("{} modules, {edges} imports, all down the layers", graph.edges.len());
}

#[test]
fn no_module_of_shared_imports_itself_in_a_circle() {
    let graph = Graph::of(&shared_files());
    if let Some(cycle) = graph.a_cycle() {
        panic!("modules import each other in a circle: {}", cycle.join(" → "));
    }
}

#[test]
fn functions_and_the_catalog_tool_reach_dynamodb_only_through_services() {
    let mut wrong = Vec::new();
    let crates: Vec<(PathBuf, bool)> = std::fs::read_dir(root().join("functions"))
        .expect("functions/")
        .map(|e| (e.expect("a function").path().join("src"), false))
        .chain([(root().join("catalog-tool/src"), true)])
        .collect();
    for (src, builds_items) in crates {
        for file in rust_files(&src) {
            let code = code_of(&std::fs::read_to_string(&file).expect("a source file"));
            let name = file.strip_prefix(root()).unwrap_or(&file).display().to_string();
            for path in paths_from(&code, "shared") {
                let path = path.trim_start_matches("shared::").trim_end_matches('!');
                let allowed = STORE_NAMES_ALLOWED
                    .iter()
                    .chain(if builds_items { STORE_NAMES_FOR_ITEMS } else { &[] })
                    .any(|a| path == *a || path.strip_prefix(a).is_some_and(|rest| rest.starts_with("::")) && a.ends_with("keys"));
                if path.starts_with("store") && path != "store" && !allowed {
                    wrong.push(format!("{name}: names shared::{path}"));
                }
            }
            for request in DB_REQUESTS {
                for (at, _) in code.match_indices(&format!("db.{request}(")) {
                    let line = code[..at].lines().count();
                    wrong.push(format!("{name}:{line}: calls Db::{request} itself"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "DynamoDB reached around the services:\n  {}", wrong.join("\n  "));
}

#[cfg(test)]
mod the_check_itself {
    use super::*;

    fn crate_of(files: &[(&str, &str)]) -> BTreeMap<String, String> {
        files.iter().map(|(m, s)| (m.to_string(), s.to_string())).collect()
    }

    #[test]
    fn a_planted_back_import_is_named() {
        // given a store module that imports a use case
        let files = crate_of(&[
            ("model::punch", "pub struct Punch;"),
            ("store::session", "use crate::model::punch::Punch;\nuse crate::service::finish::{self, settle};"),
            ("service::finish", "use crate::store::session;\npub fn settle() {}"),
        ]);
        // when the graph is checked
        let graph = Graph::of(&files);
        // then that one edge is against the layers, and it makes a cycle
        assert_eq!(graph.against_the_layers(), ["store::session → service::finish"]);
        assert_eq!(graph.a_cycle().expect("a cycle"), ["service::finish", "store::session", "service::finish"]);
    }

    #[test]
    fn imports_in_comments_strings_and_nested_trees_are_read_as_rust_reads_them() {
        // given imports in a tree, a path in a comment, one in a string, and a macro
        let files = crate_of(&[
            ("support::types", "macro_rules! plain_enum { () => {} }"),
            (
                "model::a",
                "use crate::{model::b::{self, X}, support::clock};\n// crate::http::nope\nconst S: &str = \"crate::http::no\";\ncrate::plain_enum! {}",
            ),
            ("model::b", "pub struct X;"),
            ("support::clock", ""),
        ]);
        // when read
        let graph = Graph::of(&files);
        // then only the real imports count
        let targets: Vec<&String> = graph.edges["model::a"].iter().collect();
        assert_eq!(targets, ["model::b", "support::clock", "support::types"]);
        assert!(graph.against_the_layers().is_empty());
        assert!(graph.a_cycle().is_none());
    }

    #[test]
    fn a_circle_inside_one_layer_is_caught() {
        // given two model modules that import each other
        let files = crate_of(&[("model::heart", "use crate::model::replay::Leg;"), ("model::replay", "use crate::model::heart;")]);
        // then the layers hold, but the circle is named
        let graph = Graph::of(&files);
        assert!(graph.against_the_layers().is_empty());
        assert_eq!(graph.a_cycle().expect("a cycle"), ["model::heart", "model::replay", "model::heart"]);
    }

    #[test]
    fn clients_and_store_share_a_rank_but_not_each_other() {
        let files = crate_of(&[("clients::sns", "use crate::store::db::Db;"), ("store::db", "")]);
        assert_eq!(Graph::of(&files).against_the_layers(), ["clients::sns → store::db"]);
    }
}
