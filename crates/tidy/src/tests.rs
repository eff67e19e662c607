//! The checks. Each failure lists every offending place at once.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name();
            if p.is_dir() {
                if name != "target" && name != "node_modules" {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn crates() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("crates"))
        .expect("crates/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("Cargo.toml").exists())
        .collect();
    v.sort();
    v
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root())
        .unwrap_or(p)
        .display()
        .to_string()
        .trim_start_matches("./")
        .to_string()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn fail_if_any(what: &str, problems: &[String]) {
    assert!(problems.is_empty(), "{what}:\n  {}", problems.join("\n  "));
}

#[test]
fn every_crate_and_source_file_says_what_it_is() {
    let mut problems = Vec::new();
    for c in crates() {
        let manifest: toml::Table = toml::from_str(&read(&c.join("Cargo.toml"))).unwrap();
        let has_description = manifest
            .get("package")
            .and_then(|p| p.get("description"))
            .and_then(|d| d.as_str())
            .is_some_and(|d| !d.trim().is_empty());
        if !has_description {
            problems.push(format!("{}: no package.description", rel(&c)));
        }
        for f in rust_files(&c.join("src")) {
            let text = read(&f);
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            if !first.starts_with("//!") {
                problems.push(format!("{}: does not open with a //! doc", rel(&f)));
            }
        }
    }
    fail_if_any("undocumented crates or files", &problems);
}

/// The pure engines: no runtime, no server, no database, nothing above them.
const PURE: &[&str] = &[
    "roads",
    "dispatch",
    "citygen",
    "coverage",
    "analysis",
    "community",
    "tiles",
    "osm-import",
    "places",
];
const ABOVE_THE_ENGINES: &[&str] = &["tokio", "axum", "sqlx", "store", "app", "server"];

/// What each other layer must not depend on directly (`.ci/run` follows
/// the dependencies transitively with `cargo tree`).
const FORBIDDEN: &[(&str, &[&str])] = &[
    // The bottom of all: the road engine knows no police either.
    ("roads", &["dispatch"]),
    ("store", &["axum", "app", "server", "demo"]),
    // The service layer knows no HTTP; only the server does.
    (
        "app",
        &["axum", "tower-http", "server", "web", "citygen", "demo"],
    ),
    ("server", &["citygen", "demo", "pingan"]),
    // The demo is a client of the service layer, not of the HTTP server.
    ("demo", &["axum", "server", "pingan"]),
    ("web", &["app", "server", "store", "dispatch"]),
];

#[test]
fn the_layers_depend_one_way() {
    let mut problems = Vec::new();
    for c in crates() {
        let name = c.file_name().unwrap().to_string_lossy().to_string();
        let manifest: toml::Table = toml::from_str(&read(&c.join("Cargo.toml"))).unwrap();
        let deps: BTreeSet<String> = ["dependencies", "build-dependencies"]
            .iter()
            .filter_map(|k| manifest.get(*k).and_then(|d| d.as_table()))
            .flat_map(|t| t.keys().cloned())
            .collect();
        if name != "pingan" && deps.contains("pingan") {
            problems.push(format!("{name} depends on the binary"));
        }
        if deps.contains("test-support") {
            problems.push(format!("{name} depends on test-support outside its tests"));
        }
        if name != "pingan" && deps.contains("anyhow") {
            problems.push(format!(
                "{name} uses anyhow (libraries use thiserror enums)"
            ));
        }
        let pure = PURE.contains(&name.as_str());
        let listed = FORBIDDEN.iter().filter(|(n, _)| *n == name);
        let forbidden = listed
            .flat_map(|(_, f)| f.iter())
            .chain(ABOVE_THE_ENGINES.iter().filter(|_| pure));
        for f in forbidden {
            if deps.contains(*f) {
                problems.push(format!("{name} depends on {f}"));
            }
        }
    }
    fail_if_any("dependencies against the layers", &problems);
}

/// Literals that must appear only in their one definition.
const ONE_DEFINITION: &[(&str, &str, &str)] = &[
    (
        "86_400_000",
        "crates/dispatch/src/time.rs",
        "dispatch::time::DAY_MS",
    ),
    (
        "86400000",
        "crates/dispatch/src/time.rs",
        "dispatch::time::DAY_MS",
    ),
    (
        "8 * 60",
        "crates/dispatch/src/time.rs",
        "dispatch::time::LOCAL_UTC_OFFSET_MIN",
    ),
    (
        "utc_offset_min: 480",
        "crates/dispatch/src/time.rs",
        "dispatch::time::LOCAL_UTC_OFFSET_MIN",
    ),
];

#[test]
fn each_constant_has_one_definition() {
    let mut problems = Vec::new();
    for f in rust_files(&root().join("crates")) {
        let path = rel(&f);
        if path.starts_with("crates/tidy/") {
            continue;
        }
        let text = read(&f);
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for (literal, home, name) in ONE_DEFINITION {
                if path != *home && code.contains(literal) {
                    problems.push(format!("{path}:{}: {literal:?}: use {name}", n + 1));
                }
            }
            // A snap radius written out instead of the configured one or the
            // default (the road engine itself takes it as a parameter).
            if !path.starts_with("crates/roads/")
                && code.contains("snap")
                && (code.contains("500.0") || code.contains(" 500)"))
            {
                problems.push(format!(
                    "{path}:{}: a literal snap radius: use the configured max_snap_m or roads::DEFAULT_MAX_SNAP_M",
                    n + 1
                ));
            }
        }
    }
    fail_if_any("constants written out again", &problems);
}

/// The API answers its own types (`server::wire`), never JSON assembled by
/// hand or an engine type serialised as it is: no `json!` and no
/// `serde_json::to_value` in the server outside its tests.
#[test]
fn the_server_answers_wire_types_only() {
    let mut problems = Vec::new();
    for f in rust_files(&root().join("crates/server/src")) {
        let text = read(&f);
        let before_tests = text.split("#[cfg(test)]").next().unwrap_or("");
        let code: Vec<&str> = before_tests
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect();
        for banned in ["json!", "serde_json::to_value"] {
            let at = code.iter().enumerate().filter(|(_, l)| l.contains(banned));
            problems.extend(
                at.map(|(n, _)| format!("{}:{}: {banned}: answer a wire type", rel(&f), n + 1)),
            );
        }
    }
    fail_if_any("JSON built outside the wire types", &problems);
}

#[test]
fn every_exception_to_a_lint_says_why() {
    let mut problems = Vec::new();
    for f in rust_files(&root().join("crates")) {
        if rel(&f).starts_with("crates/tidy/") {
            continue;
        }
        let text = read(&f);
        for (start, _) in text
            .match_indices("#[allow(")
            .chain(text.match_indices("#![allow("))
        {
            let attr = &text[start..];
            let end = attr.find(")]").map_or(attr.len(), |e| e + 2);
            if !attr[..end].contains("reason") {
                let line = text[..start].lines().count() + 1;
                problems.push(format!("{}:{line}: {}", rel(&f), attr[..end].trim()));
            }
        }
    }
    fail_if_any("#[allow] without a reason", &problems);
}

/// The (METHOD, path) pairs of `.route(…)` calls in `text`, with `prefix`.
fn routes_in(text: &str, prefix: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (start, _) in text.match_indices(".route(") {
        let args = &text[start + ".route(".len()..];
        let Some(q0) = args.find('"') else { continue };
        let Some(q1) = args[q0 + 1..].find('"') else {
            continue;
        };
        let path = &args[q0 + 1..q0 + 1 + q1];
        // The handler expression: up to the parenthesis closing `.route(`.
        let mut depth = 1;
        let mut in_str = false;
        let mut end = args.len();
        for (i, ch) in args.char_indices() {
            match ch {
                '"' => in_str = !in_str,
                '(' if !in_str => depth += 1,
                ')' if !in_str => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let handler = &args[q0 + 1 + q1 + 1..end];
        for method in ["get", "post", "put", "delete", "patch"] {
            let called = handler.match_indices(&format!("{method}(")).any(|(i, _)| {
                i == 0
                    || !handler[..i]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            if called {
                out.insert((method.to_string(), format!("{prefix}{path}")));
            }
        }
    }
    out
}

#[test]
fn the_openapi_document_lists_exactly_the_routes_served() {
    let api = read(&root().join("crates/server/src/api.rs"));
    let start = api.find("let api = Router::new()").expect("the API router");
    let nest = api[start..]
        .find(".nest(\"/api/v1\", api)")
        .map(|i| start + i)
        .expect("the API nested under /api/v1");
    let end = api[nest..]
        .find(".with_state(")
        .map_or(api.len(), |i| nest + i);
    let mut served = routes_in(&api[start..nest], "/api/v1");
    served.extend(routes_in(&api[nest..end], ""));
    assert!(served.len() > 40, "the router was not read: {served:?}");
    // The generated document as reviewed: the server's insta snapshot
    // (a YAML header between `---` lines, then the JSON).
    let snap =
        read(&root().join("crates/server/src/snapshots/server__openapi__tests__openapi.snap"));
    let json = snap.splitn(3, "---\n").nth(2).expect("an insta snapshot");
    let doc: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for method in ops.as_object().expect("operations").keys() {
            if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                documented.insert((method.clone(), path.clone()));
            }
        }
    }
    let undocumented: Vec<String> = served
        .difference(&documented)
        .map(|(m, p)| format!("{} {p}", m.to_uppercase()))
        .collect();
    let unserved: Vec<String> = documented
        .difference(&served)
        .map(|(m, p)| format!("{} {p}", m.to_uppercase()))
        .collect();
    fail_if_any("routes the OpenAPI document does not list", &undocumented);
    fail_if_any("documented routes the router does not serve", &unserved);
}

#[test]
fn the_route_reader_reads_chained_methods_and_nested_calls() {
    let text = r#"
        .route("/a", get(list).post(create))
        .route(
            "/b/{id}",
            put(crate::x::put_b),
        )
        .route("/c", get(|| async { ([(header::CONTENT_TYPE, "x")], 1) }))
        .route("/d", axum::routing::delete(remove))
        .route("/e", post(crate::x::get_e))
    "#;
    let got = routes_in(text, "/p");
    let want: BTreeSet<(String, String)> = [
        ("get", "/p/a"),
        ("post", "/p/a"),
        ("put", "/p/b/{id}"),
        ("get", "/p/c"),
        ("delete", "/p/d"),
        ("post", "/p/e"),
    ]
    .iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    assert_eq!(got, want);
}
