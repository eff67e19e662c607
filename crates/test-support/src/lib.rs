//! What the tests share, so fixtures are not copied across test files: the
//! real extracts in `../shared/data/osm` and road graphs built from them
//! (Monaco once per test process), and the API server fixture ([`api`]).
//!
//! A dev-dependency only: nothing in a shipped crate uses it.

pub mod api;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use roads::{BuildOptions, Graph};

/// The small real extract most tests run on.
pub const MONACO: &str = "monaco-2016-osrm.osm.pbf";

/// The path of a shared OpenStreetMap extract, read in place.
pub fn extract(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/osm")
        .join(name)
}

/// The road graph of a shared extract, built with the default options.
pub fn graph_of(name: &str) -> Graph {
    let path = extract(name);
    let (net, _) = osm_import::import_pbf(&path, &Default::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Graph::build(&net, &BuildOptions::default(), &mut |_, _, _| {})
        .expect("graph")
        .0
}

/// Monaco's road graph, built once per test process.
pub fn monaco() -> &'static Graph {
    static G: OnceLock<&'static Graph> = OnceLock::new();
    G.get_or_init(|| Box::leak(Box::new(graph_of(MONACO))))
}

/// Monaco's places (streets, junctions, addresses, landmarks), read once
/// per test process.
pub fn monaco_places() -> &'static [places::Place] {
    static P: OnceLock<Vec<places::Place>> = OnceLock::new();
    P.get_or_init(|| {
        let path = extract(MONACO);
        osm_import::read_places(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .0
    })
}

/// The body of `GET url` as text (HTML pages, metrics), with a bearer token
/// when given.
pub async fn text(client: &reqwest::Client, url: &str, token: Option<&str>) -> String {
    let mut req = client.get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    r.text().await.unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

/// Logs in at `api` (`…/api/v1`); the session token.
pub async fn login(client: &reqwest::Client, api: &str, user: &str, password: &str) -> String {
    let r: serde_json::Value = client
        .post(format!("{api}/auth/login"))
        .json(&serde_json::json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("login {user}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("login {user}: {e}"));
    r["token"]
        .as_str()
        .unwrap_or_else(|| panic!("login {user}: {r}"))
        .to_string()
}
