//! `pingan demo` as users and acceptance checks run it: the exact flags,
//! reopening a data dir, the simulator, and a kill -9 under load.

use dispatch::time::DAY_MS;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ADMIN_PW: &str = "demo-admin-password";

fn monaco() -> PathBuf {
    test_support::extract(test_support::MONACO)
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pingan-demo-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Demo {
    child: Child,
    base: String,
    output: Arc<Mutex<Vec<String>>>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, extra: &[&str]) -> Demo {
    start_with(dir, extra, &[])
}

fn start_with(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Demo {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pingan"))
        .args([
            "demo",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir)
        .arg("--osm")
        .arg(monaco())
        .args(extra)
        .env("PINGAN_ADMIN_PASSWORD", ADMIN_PW)
        .env("PINGAN_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pingan runs");
    let output = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let (output, tx) = (output.clone(), tx.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if line.starts_with("pingan is up") {
                    let _ = tx.send(());
                }
                output.lock().unwrap().push(line);
            }
        });
    }
    rx.recv_timeout(Duration::from_secs(120))
        .unwrap_or_else(|_| panic!("demo did not come up: {:?}", output.lock().unwrap()));
    Demo {
        child,
        base: format!("http://127.0.0.1:{port}/api/v1"),
        output,
    }
}

async fn login(client: &reqwest::Client, base: &str, user: &str, pw: &str) -> String {
    test_support::login(client, base, user, pw).await
}

async fn get(client: &reqwest::Client, url: String, token: &str) -> (u16, Value) {
    let r = client.get(url).bearer_auth(token).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_creates_then_reopens_the_same_city() {
    let dir = temp_dir("reopen");
    let client = reqwest::Client::new();
    let (id, units, creds) = {
        let demo = start(&dir, &["--no-simulator"]);
        let out = demo.output.lock().unwrap().join("\n");
        assert!(out.contains("created the demo city"), "{out}");
        assert!(
            out.contains("dispatcher") && out.contains("station_officer"),
            "prints staff and passwords: {out}"
        );
        let token = login(&client, &demo.base, "admin", ADMIN_PW).await;
        let (_, units) = get(&client, format!("{}/units", demo.base), &token).await;
        let u = &units[0];
        let r = client.post(format!("{}/incidents", demo.base)).bearer_auth(&token).json(&json!({"kind": "dispute", "lat": u["lat"], "lon": u["lon"], "caller_name": "测试"})).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 201);
        let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        // A route between two units is guided street by street, by name.
        let (a, b) = (&units[0], &units[units.as_array().unwrap().len() - 1]);
        let (code, route) = get(
            &client,
            format!(
                "{}/route?from={},{}&to={},{}",
                demo.base, a["lat"], a["lon"], b["lat"], b["lon"]
            ),
            &token,
        )
        .await;
        assert_eq!(code, 200, "{route}");
        let steps = route["steps"].as_array().unwrap();
        assert!(steps.len() >= 3, "{route}");
        assert_eq!(steps[0]["turn"], json!("depart"));
        assert_eq!(steps[steps.len() - 1]["turn"], json!("arrive"));
        assert!(
            steps.iter().filter(|s| s["street"].is_string()).count() * 2 >= steps.len(),
            "most steps are on named streets: {route}"
        );
        let sum = |k: &str| steps.iter().map(|s| s[k].as_f64().unwrap()).sum::<f64>();
        let (secs, meters) = (
            route["seconds"].as_f64().unwrap(),
            route["meters"].as_f64().unwrap(),
        );
        assert!(
            (sum("seconds") - secs).abs() <= 0.1 * steps.len() as f64 + 0.5,
            "{secs} s vs steps {}",
            sum("seconds")
        );
        assert!(
            (sum("meters") - meters).abs() <= 0.1 * steps.len() as f64 + 2.0,
            "{meters} m vs steps {}",
            sum("meters")
        );
        let (code, e) = get(
            &client,
            format!("{}/route?from=91,7&to=43.73,7.42", demo.base),
            &token,
        )
        .await;
        assert_eq!((code, &e["field"]), (422, &json!("from")), "{e}");
        assert!(
            steps
                .iter()
                .all(|s| s["instruction"].as_str().is_some_and(|i| !i.is_empty())),
            "{route}"
        );
        // In Chinese; and a unit's route to the call takes the seconds its recommendation said.
        let (_, rec) = get(
            &client,
            format!("{}/incidents/{id}/recommendation", demo.base),
            &token,
        )
        .await;
        let ranked = rec["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["seconds"].as_f64().unwrap() > 30.0)
            .unwrap();
        let unit = units
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == ranked["unit_id"])
            .unwrap();
        let (code, zh) = get(
            &client,
            format!(
                "{}/route?from={},{}&to={},{}&lang=zh",
                demo.base, unit["lat"], unit["lon"], u["lat"], u["lon"]
            ),
            &token,
        )
        .await;
        assert_eq!(code, 200, "{zh}");
        assert_eq!(
            zh["seconds"], ranked["seconds"],
            "route {zh} vs recommendation {rec}"
        );
        let last = zh["steps"].as_array().unwrap().last().unwrap();
        assert!(
            last["instruction"].as_str().unwrap().starts_with("到达"),
            "{zh}"
        );
        (
            id,
            units,
            std::fs::read_to_string(dir.join("credentials.txt")).unwrap(),
        )
    };
    // Reopen: nothing regenerated, nothing lost; generated passwords still work.
    let demo = start(&dir, &["--no-simulator"]);
    let out = demo.output.lock().unwrap().join("\n");
    assert!(
        out.contains("reopened the demo city") && !out.contains("created the demo city"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("credentials.txt")).unwrap(),
        creds
    );
    let line = creds
        .lines()
        .find(|l| l.starts_with("dispatcher "))
        .unwrap();
    let pw = line.split_whitespace().last().unwrap();
    let token = login(&client, &demo.base, "dispatcher", pw).await;
    // Every unit has a field terminal account: its id in lower case, its own password.
    let terminals: Vec<&str> = creds
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some("unit"))
        .collect();
    assert_eq!(
        terminals.len(),
        units.as_array().unwrap().len(),
        "one account per unit"
    );
    let fields: Vec<&str> = terminals[0].split_whitespace().collect();
    let unit_token = login(&client, &demo.base, fields[0], fields[3]).await;
    let (_, me) = get(&client, format!("{}/auth/me", demo.base), &unit_token).await;
    let unit_id = me["unit_id"].as_str().unwrap();
    assert_eq!(unit_id.to_lowercase(), fields[0]);
    assert_eq!(
        get(
            &client,
            format!("{}/units/{unit_id}", demo.base),
            &unit_token
        )
        .await
        .0,
        200
    );
    assert_eq!(
        get(&client, format!("{}/units", demo.base), &unit_token)
            .await
            .0,
        403
    );
    let (code, inc) = get(&client, format!("{}/incidents/{id}", demo.base), &token).await;
    assert_eq!(code, 200);
    assert_eq!(inc["callers"][0]["name"], json!("测试"));
    let (_, again) = get(&client, format!("{}/units", demo.base), &token).await;
    assert_eq!(again, units);
    drop(demo);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_incidents_survive_kill_9() {
    let dir = temp_dir("crash");
    let client = reqwest::Client::new();
    let acked: Arc<Mutex<Vec<i64>>> = Arc::default();
    {
        let mut demo = start(&dir, &["--no-simulator"]);
        let token = login(&client, &demo.base, "admin", ADMIN_PW).await;
        let (_, units) = get(&client, format!("{}/units", demo.base), &token).await;
        let seeds: Vec<(f64, f64)> = units
            .as_array()
            .unwrap()
            .iter()
            .map(|u| (u["lat"].as_f64().unwrap(), u["lon"].as_f64().unwrap()))
            .collect();
        let stop = Instant::now() + Duration::from_millis(1500);
        let mut tasks = Vec::new();
        for w in 0..24 {
            let (client, base, token, acked, seeds) = (
                client.clone(),
                demo.base.clone(),
                token.clone(),
                acked.clone(),
                seeds.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut n = w;
                while Instant::now() < stop + Duration::from_secs(1) {
                    let (lat, lon) = seeds[n % seeds.len()];
                    n += 24;
                    let r = client
                        .post(format!("{base}/incidents"))
                        .bearer_auth(&token)
                        .json(&json!({"kind": "theft", "lat": lat, "lon": lon}))
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().as_u16() == 201 => {
                            if let Ok(v) = r.json::<Value>().await {
                                acked.lock().unwrap().push(v["id"].as_i64().unwrap());
                            }
                        }
                        Ok(r) => panic!("unexpected {}", r.status()),
                        Err(_) => break, // the server is gone
                    }
                }
            }));
        }
        tokio::time::sleep_until(stop.into()).await;
        demo.child.kill().unwrap(); // SIGKILL, under load
        demo.child.wait().unwrap();
        for t in tasks {
            t.await.unwrap();
        }
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 100,
        "the load was real: {} acknowledged",
        acked.len()
    );
    let check = Command::new(env!("CARGO_BIN_EXE_pingan"))
        .args([
            "store",
            "check",
            "--database",
            &format!("sqlite://{}", dir.join("pingan.db").display()),
        ])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "integrity: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let demo = start(&dir, &["--no-simulator"]);
    let token = login(&client, &demo.base, "admin", ADMIN_PW).await;
    // Every acknowledged id, one by one, over 8 connections.
    let mut checks = Vec::new();
    for part in acked.chunks(acked.len().div_ceil(8)) {
        let (client, base, token, part) = (
            client.clone(),
            demo.base.clone(),
            token.clone(),
            part.to_vec(),
        );
        checks.push(tokio::spawn(async move {
            let mut missing = Vec::new();
            for id in part {
                if get(&client, format!("{base}/incidents/{id}"), &token)
                    .await
                    .0
                    != 200
                {
                    missing.push(id);
                }
            }
            missing
        }));
    }
    let mut missing = Vec::new();
    for c in checks {
        missing.extend(c.await.unwrap());
    }
    assert!(
        missing.is_empty(),
        "acknowledged but lost after kill -9: {missing:?}"
    );
    drop(demo);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_runs_the_whole_lifecycle() {
    let dir = temp_dir("sim");
    let client = reqwest::Client::new();
    // No history: the closed incidents looked at are the simulator's own.
    let demo = start_with(
        &dir,
        &[
            "--sim-speed",
            "30",
            "--calls-per-hour",
            "400",
            "--history-days",
            "0",
        ],
        &[("PINGAN_UNIT_PASSWORD", "terminal-pw-110")],
    );
    let token = login(&client, &demo.base, "admin", ADMIN_PW).await;
    let (_, before) = get(&client, format!("{}/units", demo.base), &token).await;
    // PINGAN_UNIT_PASSWORD opens every terminal, and is not written down.
    let first = before[0]["id"].as_str().unwrap().to_lowercase();
    login(&client, &demo.base, &first, "terminal-pw-110").await;
    let creds = std::fs::read_to_string(dir.join("credentials.txt")).unwrap();
    assert!(!creds.contains("terminal-pw-110") && creds.contains("(from PINGAN_UNIT_PASSWORD)"));
    let deadline = Instant::now() + Duration::from_secs(60);
    let closed = loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let (_, list) = get(
            &client,
            format!("{}/incidents?status=closed", demo.base),
            &token,
        )
        .await;
        if list["total"].as_u64().unwrap_or(0) > 0 {
            break list["incidents"][0]["id"].as_i64().unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "no incident closed within 60 s: {:?}",
            demo.output.lock().unwrap()
        );
    };
    let (_, inc) = get(&client, format!("{}/incidents/{closed}", demo.base), &token).await;
    let statuses: Vec<&str> = inc["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["status"].as_str())
        .collect();
    assert_eq!(
        statuses,
        ["dispatched", "en_route", "on_scene", "controlled", "closed"],
        "{inc}"
    );
    assert!(inc["response_s"].as_f64().unwrap() > 0.0);
    // The simulator is every unit's terminal: it read the order, acknowledged
    // it, answered under the unit's account, and reported its track.
    // Two-way dispatch may send several units: the first on scene answered
    // under its own account, and it was one of those sent.
    let on_scene = inc["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["status"] == "on_scene")
        .unwrap();
    let sent = inc["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| {
            u["unit_id"]
                .as_str()
                .is_some_and(|id| on_scene["actor"] == id.to_lowercase())
        })
        .unwrap_or_else(|| panic!("{on_scene} is by none of the units sent: {inc}"));
    assert!(
        sent["delivered_at"].is_string() && sent["acked_at"].is_string(),
        "{sent}"
    );
    let unit_id = sent["unit_id"].as_str().unwrap();
    let (_, track) = get(
        &client,
        format!("{}/units/{unit_id}/track", demo.base),
        &token,
    )
    .await;
    assert!(
        !track["fixes"].as_array().unwrap().is_empty(),
        "the unit's drive is its track: {track}"
    );
    let (_, after) = get(&client, format!("{}/units", demo.base), &token).await;
    let moved = before
        .as_array()
        .unwrap()
        .iter()
        .zip(after.as_array().unwrap())
        .filter(|(a, b)| a["lat"] != b["lat"] || a["lon"] != b["lon"])
        .count();
    assert!(moved > 0, "units drive along the roads");
    drop(demo);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--clock` (or `PINGAN_NOW`) runs a demo as if it were another instant:
/// its history ends then, the dashboard's clock reads it, and on New Year's
/// night the default briefing, over the API and from `pingan brief`, is
/// December's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_on_new_years_night_briefs_the_month_just_ended() {
    let dir = temp_dir("clock");
    let client = reqwest::Client::new();
    let at = "2027-01-01T00:30:00+08:00";
    let demo = start(
        &dir,
        &["--no-simulator", "--clock", at, "--history-days", "40"],
    );
    let out = demo.output.lock().unwrap().join("\n");
    assert!(
        out.contains("clock: running as if it were 2026-12-31T16:30"),
        "{out}"
    );
    let token = login(&client, &demo.base, "admin", ADMIN_PW).await;
    let (_, cfg) = get(&client, format!("{}/config", demo.base), &token).await;
    assert_eq!(cfg["clock"]["default_briefing"], json!("2026-12"), "{cfg}");
    // The history ends at the demo's now, not the machine's.
    let q = |since: &str| format!("{}/incidents?status=all&limit=1&since={since}", demo.base);
    let (_, after) = get(&client, q("2026-12-31T16:31:00Z"), &token).await;
    assert_eq!(after["total"], json!(0), "nothing after the demo's now");
    let (_, december) = get(&client, q("2026-11-30T16:00:00Z"), &token).await;
    assert!(december["total"].as_u64().unwrap() > 0, "{december}");
    let briefing = format!("{}/analysis/briefing", demo.base);
    let html = test_support::text(&client, &briefing, Some(&token)).await;
    assert!(
        html.contains("2026-12-01..2026-12-31"),
        "the API's default briefing"
    );
    // Today's work of the stations: a few items overdue, none for months.
    let (_, tasks) = get(&client, format!("{}/community/tasks", demo.base), &token).await;
    // Instants are RFC 3339 at the API.
    let instant = |v: &Value| dispatch::time::parse_rfc3339(v.as_str().unwrap()).unwrap();
    let now = instant(&tasks["now"]);
    let overdue: Vec<i64> = tasks["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["overdue"] == json!(true))
        .map(|t| instant(&t["due_at"]))
        .collect();
    let oldest_days = overdue
        .iter()
        .map(|d| (now - d) / DAY_MS)
        .max()
        .unwrap_or(0);
    assert!(oldest_days <= 45, "overdue for {oldest_days} days");
    let (_, root) = get(
        &client,
        format!("{}/jurisdictions?level=city_bureau", demo.base),
        &token,
    )
    .await;
    let scope = root["features"][0]["properties"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    drop(demo);
    // `pingan brief` without --period, on the same store and clock.
    let brief = Command::new(env!("CARGO_BIN_EXE_pingan"))
        .args(["brief", "--scope", &scope, "--data-dir"])
        .arg(&dir)
        .arg("--out")
        .arg(dir.join("brief.html"))
        .env("PINGAN_NOW", at)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&brief.stderr);
    assert!(brief.status.success(), "{said}");
    assert!(said.contains("records in 2026-12-01..2026-12-31"), "{said}");
    // One adapter makes both: the same records, grouped by area, kinds named.
    let file = std::fs::read_to_string(dir.join("brief.html")).unwrap();
    let records = |html: &str| {
        html.split("data-records=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .map(str::to_string)
    };
    assert!(
        records(&html).is_some_and(|n| n != "0"),
        "records in the API's"
    );
    assert_eq!(records(&html), records(&file), "the API's and the file's");
    for page in [&html, &file] {
        assert!(page.contains("By area") && page.contains("Theft"));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
