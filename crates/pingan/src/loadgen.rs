//! `pingan loadgen`: creates incidents and asks for recommendations against
//! a running server over loopback, and prints throughput and latency.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::{Value, json};

/// Load generator options.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Server base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Account to use (needs call-taker rights).
    #[arg(long, default_value = "admin")]
    pub username: String,
    /// Its password.
    #[arg(long, env = "PINGAN_ADMIN_PASSWORD")]
    pub password: String,
    /// Incidents to create.
    #[arg(long, default_value_t = 20_000)]
    pub incidents: usize,
    /// Recommendations to ask for.
    #[arg(long, default_value_t = 5_000)]
    pub recommendations: usize,
    /// Requests in flight.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Label printed with the results (e.g. the backend).
    #[arg(long, default_value = "")]
    pub label: String,
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn summary(n: usize, errors: usize, elapsed: Duration, mut lat_ms: Vec<f64>) -> Value {
    lat_ms.sort_by(f64::total_cmp);
    let r = |x: f64| (x * 100.0).round() / 100.0;
    json!({"requests": n, "errors": errors, "seconds": r(elapsed.as_secs_f64()), "per_s": r((n - errors) as f64 / elapsed.as_secs_f64()),
           "p50_ms": r(pct(&lat_ms, 50.0)), "p99_ms": r(pct(&lat_ms, 99.0)), "max_ms": r(pct(&lat_ms, 100.0))})
}

/// Runs the load and prints one JSON object.
pub async fn run(args: LoadArgs) -> Result<()> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let base = args.url.trim_end_matches('/').to_string();
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": args.username, "password": args.password}))
        .send()
        .await
        .with_context(|| format!("cannot reach {base}"))?
        .json()
        .await?;
    let token = login["token"]
        .as_str()
        .with_context(|| format!("login refused: {login}"))?
        .to_string();
    let auth = format!("Bearer {token}");
    // Call places: near the units' posts, which lie on the road network inside the city.
    let units: Value = client
        .get(format!("{base}/api/v1/units"))
        .header("Authorization", &auth)
        .send()
        .await?
        .json()
        .await?;
    let seeds: Vec<(f64, f64)> = units
        .as_array()
        .context("units list")?
        .iter()
        .filter_map(|u| Some((u["lat"].as_f64()?, u["lon"].as_f64()?)))
        .collect();
    if seeds.is_empty() {
        bail!("the server has no units to place calls near");
    }
    let seeds = Arc::new(seeds);
    let kinds = [
        "theft",
        "dispute",
        "traffic_accident",
        "noise",
        "robbery",
        "medical",
    ];

    // Phase 1: durable incident creation.
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..args.concurrency {
        let (client, base, auth, next, seeds) = (
            client.clone(),
            base.clone(),
            auth.clone(),
            next.clone(),
            seeds.clone(),
        );
        let total = args.incidents;
        workers.push(tokio::spawn(async move {
            let (mut lat, mut errors, mut ids) = (Vec::new(), 0usize, Vec::new());
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    break;
                }
                let (la, lo) = seeds[(n * 7919 + w) % seeds.len()];
                let j = ((n % 97) as f64 - 48.0) * 0.00001;
                let body = json!({"kind": kinds[n % kinds.len()], "lat": la + j, "lon": lo - j, "address": format!("load {n}"), "caller_phone": "110"});
                let t = Instant::now();
                match client.post(format!("{base}/api/v1/incidents")).header("Authorization", &auth).json(&body).send().await {
                    Ok(r) if r.status().as_u16() == 201 => {
                        let v: Value = r.json().await.unwrap_or_default();
                        lat.push(t.elapsed().as_secs_f64() * 1000.0);
                        if let Some(id) = v["id"].as_i64() {
                            ids.push(id);
                        }
                    }
                    _ => {
                        lat.push(t.elapsed().as_secs_f64() * 1000.0);
                        errors += 1;
                    }
                }
            }
            (lat, errors, ids)
        }));
    }
    let (mut lat, mut errors, mut ids) = (Vec::new(), 0, Vec::new());
    for w in workers {
        let (l, e, i) = w.await?;
        lat.extend(l);
        errors += e;
        ids.extend(i);
    }
    let create = summary(args.incidents, errors, started.elapsed(), lat);
    if ids.is_empty() {
        bail!("no incident was created: {create}");
    }

    // Phase 2: recommendations over the live fleet.
    let ids = Arc::new(ids);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency.min(16) {
        let (client, base, auth, next, ids) = (
            client.clone(),
            base.clone(),
            auth.clone(),
            next.clone(),
            ids.clone(),
        );
        let total = args.recommendations;
        workers.push(tokio::spawn(async move {
            let (mut lat, mut server_us, mut errors, mut units) =
                (Vec::new(), Vec::new(), 0usize, 0usize);
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    break;
                }
                let id = ids[(n * 104_729) % ids.len()];
                let t = Instant::now();
                match client
                    .get(format!("{base}/api/v1/incidents/{id}/recommendation"))
                    .header("Authorization", &auth)
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => {
                        let v: Value = r.json().await.unwrap_or_default();
                        lat.push(t.elapsed().as_secs_f64() * 1000.0);
                        server_us.push(v["computed_us"].as_f64().unwrap_or(f64::NAN));
                        units = units.max(v["units"].as_array().map_or(0, Vec::len));
                    }
                    _ => {
                        lat.push(t.elapsed().as_secs_f64() * 1000.0);
                        errors += 1;
                    }
                }
            }
            (lat, server_us, errors, units)
        }));
    }
    let (mut lat, mut server_us, mut errors, mut units) = (Vec::new(), Vec::new(), 0, 0);
    for w in workers {
        let (l, s, e, u) = w.await?;
        lat.extend(l);
        server_us.extend(s);
        errors += e;
        units = units.max(u);
    }
    let mut recommend = summary(args.recommendations, errors, started.elapsed(), lat);
    server_us.sort_by(f64::total_cmp);
    recommend["server_p50_ms"] = json!((pct(&server_us, 50.0) / 10.0).round() / 100.0);
    recommend["server_p99_ms"] = json!((pct(&server_us, 99.0) / 10.0).round() / 100.0);
    recommend["available_units_ranked"] = json!(units);
    println!(
        "{}",
        json!({"label": args.label, "create": create, "recommend": recommend})
    );
    Ok(())
}
