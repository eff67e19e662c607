//! Embeds the dashboard: `ui/` (ours) and MapLibre GL JS's `dist/` from npm.
//! When `node_modules` is missing (a fresh clone), runs `npm ci` once; the
//! npm registry is the only network it needs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const MAPLIBRE: &[&str] = &[
    "maplibre-gl.mjs",
    "maplibre-gl-worker.mjs",
    "maplibre-gl.css",
];

fn mime(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    println!("cargo:rerun-if-changed=ui");
    println!("cargo:rerun-if-changed=package.json");
    println!("cargo:rerun-if-changed=package-lock.json");
    let dist = dir.join("node_modules/maplibre-gl/dist");
    if !MAPLIBRE.iter().all(|f| dist.join(f).exists()) {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status();
        match status {
            Ok(s) if s.success() => {}
            other => panic!(
                "the dashboard needs MapLibre GL JS from npm and `npm ci` in {} failed ({other:?}); install Node.js and npm, then build again",
                dir.display()
            ),
        }
    }
    let mut entries: Vec<(String, PathBuf)> = Vec::new();
    let ui = dir.join("ui");
    for e in std::fs::read_dir(&ui).expect("crates/web/ui exists") {
        let p = e.expect("readable").path();
        if p.is_file() {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .expect("utf-8 name")
                .to_string();
            entries.push((format!("/{name}"), p));
        }
    }
    for f in MAPLIBRE {
        entries.push((format!("/assets/ml/{f}"), dist.join(f)));
    }
    entries.sort();
    let mut out = String::from(
        "/// (path, content type, bytes) of every embedded file.\npub static ASSETS: &[(&str, &str, &[u8])] = &[\n",
    );
    for (path, file) in &entries {
        println!("cargo:rerun-if-changed={}", file.display());
        writeln!(
            out,
            "    ({path:?}, {:?}, include_bytes!({:?})),",
            mime(path),
            file.display().to_string()
        )
        .expect("string write");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets it")).join("assets.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
