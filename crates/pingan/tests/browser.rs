//! The dashboard in a real headless Chromium (Debian's `chromium`, driven by
//! playwright-core from `crates/web/e2e/dashboard.mjs`) against `pingan demo`
//! on greater Porto: log in, take a call with the keyboard, see it in the
//! queue and on the map, the duplicate warning, one-click two-way dispatch, a
//! unit's status arriving live, the language switch, no request to any other
//! host, then about 500 units moving at once with frame times measured in the
//! page. Screenshots land in `target/e2e/`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn dashboard_in_headless_chromium() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} missing: install Debian's chromium (`apt-get install chromium`; .ci/run does)"
    );
    let dir = std::env::temp_dir().join(format!("pingan-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let porto = repo().join("../shared/data/osm/porto-portugal-r5.osm.pbf");
    let mut demo = Command::new(env!("CARGO_BIN_EXE_pingan"))
        .args([
            "demo",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--no-simulator",
            "--data-dir",
        ])
        .arg(&dir)
        .arg("--osm")
        .arg(&porto)
        .env("PINGAN_ADMIN_PASSWORD", "browser-test-pw")
        .env("PINGAN_UNIT_PASSWORD", "browser-terminal-pw")
        .env("PINGAN_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = demo.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with("pingan is up") {
                let _ = tx.send(());
            }
        }
    });
    let up = rx.recv_timeout(Duration::from_secs(180));
    if up.is_err() {
        let _ = demo.kill();
        panic!("the demo did not start");
    }
    let out_dir = repo().join("target/e2e");
    let run = Command::new("node")
        .arg(repo().join("crates/web/e2e/dashboard.mjs"))
        .arg(format!("http://127.0.0.1:{port}"))
        .args(["admin", "browser-test-pw"])
        .arg(&out_dir)
        .args(["--frames", "500"])
        .env("CHROMIUM", &chromium)
        .env("PINGAN_UNIT_PASSWORD", "browser-terminal-pw")
        .current_dir(repo().join("crates/web"))
        .output()
        .expect("node runs");
    let _ = demo.kill();
    let _ = demo.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "browser test failed:\n{stdout}\n{stderr}"
    );
    let result: Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("{}")).expect("one JSON line");
    eprintln!("dashboard: {result}");
    assert!(
        result["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["ok"] == Value::Bool(true))
    );
    assert!(out_dir.join("dashboard.png").exists());
    let frames = &result["frames"];
    assert!(frames["units_tracked"].as_u64().unwrap() >= 500, "{frames}");
    assert!(frames["count"].as_u64().unwrap() > 0);
}
