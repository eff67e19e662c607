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
    /// Instead: open this many field terminals (unit accounts on the live
    /// feed, each reporting its position every 5 s) and time each dispatch
    /// from the dispatcher's request to the order's arrival at its terminal.
    #[arg(long, default_value_t = 0)]
    pub terminals: usize,
    /// Dispatches to time in terminal mode.
    #[arg(long, default_value_t = 300)]
    pub orders: usize,
    /// Terminal mode with outages: for this many minutes each terminal drops
    /// its connection at random and comes back; afterwards every terminal's
    /// orders must equal the server's (exactly once, in order) and every
    /// answer must be recorded once.
    #[arg(long, default_value_t = 0.0)]
    pub outage_minutes: f64,
    /// The unit accounts' password (the demo's `PINGAN_UNIT_PASSWORD`).
    #[arg(long, env = "PINGAN_UNIT_PASSWORD", default_value = "")]
    pub unit_password: String,
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
    if args.terminals > 0 && args.outage_minutes > 0.0 {
        return outages(args).await;
    }
    if args.terminals > 0 {
        return terminals(args).await;
    }
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

async fn login(client: &reqwest::Client, base: &str, user: &str, password: &str) -> Result<String> {
    let v: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .with_context(|| format!("cannot reach {base}"))?
        .json()
        .await?;
    v["token"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("login of {user} refused: {v}"))
}

/// Terminal mode: N terminals on the feed, dispatches timed to their screens.
async fn terminals(args: LoadArgs) -> Result<()> {
    use futures_util::StreamExt;
    use tokio::sync::mpsc;
    let client = reqwest::Client::new();
    let base = args.url.trim_end_matches('/').to_string();
    let auth = format!(
        "Bearer {}",
        login(&client, &base, &args.username, &args.password).await?
    );
    let units: Value = client
        .get(format!("{base}/api/v1/units"))
        .header("Authorization", &auth)
        .send()
        .await?
        .json()
        .await?;
    let units: Vec<(String, f64, f64)> = units
        .as_array()
        .context("units list")?
        .iter()
        .filter(|u| u["status"] == "available")
        .filter_map(|u| {
            Some((
                u["id"].as_str()?.to_string(),
                u["lat"].as_f64()?,
                u["lon"].as_f64()?,
            ))
        })
        .take(args.terminals)
        .collect();
    if units.len() < args.terminals {
        bail!(
            "asked for {} terminals, the server has {} available units",
            args.terminals,
            units.len()
        );
    }
    // Log every terminal in (Argon2 on the server: a few at a time).
    let mut tokens = Vec::new();
    for chunk in units.chunks(4) {
        let logins = chunk.iter().map(|(id, _, _)| {
            let (client, base, pw) = (client.clone(), base.clone(), args.unit_password.clone());
            let user = id.to_lowercase();
            async move { login(&client, &base, &user, &pw).await }
        });
        for t in futures_util::future::join_all(logins).await {
            tokens.push(t?);
        }
    }
    // Each terminal: its socket, reporting when an order arrives.
    let (arrived_tx, mut arrived) = mpsc::unbounded_channel::<(i64, Instant)>();
    let ws_base = base.replacen("http", "ws", 1);
    let mut ready = Vec::new();
    for token in &tokens {
        let url = format!("{ws_base}/api/v1/feed?token={token}");
        let (mut sock, _) = tokio_tungstenite::connect_async(url)
            .await
            .context("a terminal could not open the feed")?;
        let tx = arrived_tx.clone();
        let (hello_tx, hello) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let mut hello_tx = Some(hello_tx);
            while let Some(Ok(m)) = sock.next().await {
                let Ok(text) = m.to_text() else { continue };
                let Ok(v) = serde_json::from_str::<Value>(text) else {
                    continue;
                };
                match v["type"].as_str() {
                    Some("hello") => {
                        if let Some(h) = hello_tx.take() {
                            let _ = h.send(());
                        }
                    }
                    Some("order") if v["order"]["kind"] == "dispatch" => {
                        if let Some(id) = v["order"]["incident_id"].as_i64() {
                            let _ = tx.send((id, Instant::now()));
                        }
                    }
                    _ => {}
                }
            }
        });
        ready.push(hello);
    }
    for r in ready {
        r.await
            .context("a terminal's feed closed before its hello")?;
    }
    // Every terminal reports its position every 5 s meanwhile.
    let positions = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut reporters = Vec::new();
    for (n, ((id, lat, lon), token)) in units.iter().zip(&tokens).enumerate() {
        let (client, base, id, token) = (client.clone(), base.clone(), id.clone(), token.clone());
        let (lat, lon, positions, stop) = (*lat, *lon, positions.clone(), stop.clone());
        reporters.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis((n as u64 * 5000) / 500)).await;
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            let mut k = 0.0f64;
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                k += 1.0;
                let fix = json!({"lat": lat + 0.00005 * k.sin(), "lon": lon + 0.00005 * k.cos()});
                let ok = client
                    .post(format!("{base}/api/v1/units/{id}/position"))
                    .bearer_auth(&token)
                    .json(&fix)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if ok {
                    positions.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let started = Instant::now();
    let (mut lat_ms, mut errors) = (Vec::new(), 0usize);
    for n in 0..args.orders {
        let (id, la, lo) = &units[(n * 7919) % units.len()];
        let created: Value = client
            .post(format!("{base}/api/v1/incidents"))
            .header("Authorization", &auth)
            .json(&json!({"kind": "theft", "lat": la + 0.001, "lon": lo + 0.001, "address": format!("terminal load {n}")}))
            .send()
            .await?
            .json()
            .await?;
        let incident = created["id"]
            .as_i64()
            .with_context(|| format!("no incident: {created}"))?;
        let t0 = Instant::now();
        let r = client
            .post(format!("{base}/api/v1/incidents/{incident}/dispatch"))
            .header("Authorization", &auth)
            .json(
                &json!({"unit_ids": [id], "idempotency_key": format!("terminal-load-{incident}")}),
            )
            .send()
            .await?;
        if !r.status().is_success() {
            errors += 1;
            continue;
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let mut got = None;
        while let Ok(Some((inc, at))) = tokio::time::timeout_at(deadline, arrived.recv()).await {
            if inc == incident {
                got = Some(at);
                break;
            }
        }
        match got {
            Some(at) => lat_ms.push(at.duration_since(t0).as_secs_f64() * 1000.0),
            None => errors += 1,
        }
        // Free the unit for the next round.
        let _ = client
            .post(format!("{base}/api/v1/incidents/{incident}/status"))
            .header("Authorization", &auth)
            .json(&json!({"status": "cancelled", "note": "load generator"}))
            .send()
            .await;
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for r in reporters {
        r.abort();
    }
    let mut sorted = lat_ms.clone();
    sorted.sort_by(f64::total_cmp);
    let r = |x: f64| (x * 100.0).round() / 100.0;
    println!(
        "{}",
        json!({"label": args.label, "terminals": units.len(), "orders": args.orders, "errors": errors,
               "positions_per_s": r(positions.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64()),
               "dispatch_to_terminal": {"p50_ms": r(pct(&sorted, 50.0)), "p95_ms": r(pct(&sorted, 95.0)), "p99_ms": r(pct(&sorted, 99.0)), "max_ms": r(pct(&sorted, 100.0))}})
    );
    Ok(())
}

/// One terminal through outages: what it saw and what it answered.
#[derive(Default)]
struct TerminalLog {
    /// Order seqs taken, in the order taken (each once: a seq at or below
    /// the last one taken is a repeat and is dropped, as the page does).
    taken: Vec<i64>,
    /// Incidents it answered en route to (each answer sent until a reply
    /// came, some twice on purpose, as after a lost reply).
    answered: Vec<i64>,
    /// Times its connection dropped.
    outages: usize,
}

/// A POST retried until the server replies (the network may be "down").
async fn post_until_replied(client: &reqwest::Client, url: &str, token: &str, body: &Value) -> u16 {
    loop {
        match client.post(url).bearer_auth(token).json(body).send().await {
            Ok(r) => return r.status().as_u16(),
            Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
}

async fn terminal_through_outages(
    client: reqwest::Client,
    base: String,
    unit: String,
    token: String,
    until: Instant,
    seed: u64,
) -> Result<TerminalLog> {
    use futures_util::StreamExt;
    let mut log = TerminalLog::default();
    let mut rng = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut rand = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n.max(1)
    };
    let ws_base = base.replacen("http", "ws", 1);
    let mut last = 0i64;
    while Instant::now() < until {
        let (mut sock, _) =
            match tokio_tungstenite::connect_async(format!("{ws_base}/api/v1/feed?token={token}"))
                .await
            {
                Ok(s) => s,
                Err(_) => {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
        // Subscribed: catch up on what was missed, then take the feed.
        let mut pending: Vec<(i64, String, Option<i64>)> = Vec::new();
        loop {
            let v: Value = client
                .get(format!(
                    "{base}/api/v1/units/{unit}/orders?after={last}&limit=500"
                ))
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await?;
            let orders = v["orders"].as_array().cloned().unwrap_or_default();
            for o in &orders {
                pending.push((
                    o["seq"].as_i64().unwrap_or(0),
                    o["kind"].as_str().unwrap_or("").to_string(),
                    o["incident_id"].as_i64(),
                ));
            }
            if orders.len() < 500 {
                break;
            }
            last = pending.last().map_or(last, |p| p.0);
        }
        let online_for = Duration::from_secs(20 + rand(70));
        let drop_at = tokio::time::Instant::now() + online_for;
        loop {
            for (seq, kind, incident) in pending.drain(..) {
                if seq <= last {
                    continue;
                }
                last = seq;
                log.taken.push(seq);
                let _ = post_until_replied(
                    &client,
                    &format!("{base}/api/v1/units/{unit}/orders/{seq}/ack"),
                    &token,
                    &json!({}),
                )
                .await;
                if kind == "dispatch"
                    && let Some(incident) = incident
                {
                    let body = json!({"status": "en_route", "at": dispatch::time::format_rfc3339(now_ms()), "idempotency_key": format!("outage-{seq}")});
                    let url = format!("{base}/api/v1/units/{unit}/status");
                    let code = post_until_replied(&client, &url, &token, &body).await;
                    // Every third answer again, as a terminal does after a lost reply.
                    if seq % 3 == 0 {
                        post_until_replied(&client, &url, &token, &body).await;
                    }
                    if code < 300 {
                        log.answered.push(incident);
                    }
                }
                if kind == "release" {
                    // Free again, so the dispatcher can send it anew.
                    let body = json!({"status": "available", "at": dispatch::time::format_rfc3339(now_ms()), "idempotency_key": format!("outage-free-{seq}")});
                    let url = format!("{base}/api/v1/units/{unit}/status");
                    post_until_replied(&client, &url, &token, &body).await;
                }
            }
            if Instant::now() >= until {
                break;
            }
            match tokio::time::timeout_at(drop_at, sock.next()).await {
                Err(_) => break, // the network goes
                Ok(None) | Ok(Some(Err(_))) => break,
                Ok(Some(Ok(m))) => {
                    let Ok(v) = serde_json::from_str::<Value>(m.to_text().unwrap_or("")) else {
                        continue;
                    };
                    if v["type"] == "order" {
                        let o = &v["order"];
                        pending.push((
                            o["seq"].as_i64().unwrap_or(0),
                            o["kind"].as_str().unwrap_or("").to_string(),
                            o["incident_id"].as_i64(),
                        ));
                    }
                }
            }
        }
        drop(sock);
        log.outages += 1;
        tokio::time::sleep(Duration::from_secs(5 + rand(55))).await;
    }
    Ok(log)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Outage mode: terminals drop and return while the dispatcher keeps
/// sending them; afterwards their orders are checked against the server's.
async fn outages(args: LoadArgs) -> Result<()> {
    let client = reqwest::Client::new();
    let base = args.url.trim_end_matches('/').to_string();
    let auth = format!(
        "Bearer {}",
        login(&client, &base, &args.username, &args.password).await?
    );
    let units: Value = client
        .get(format!("{base}/api/v1/units"))
        .header("Authorization", &auth)
        .send()
        .await?
        .json()
        .await?;
    let units: Vec<(String, f64, f64)> = units
        .as_array()
        .context("units list")?
        .iter()
        .filter(|u| u["status"] == "available" && u["kind"] == "patrol_car")
        .filter_map(|u| {
            Some((
                u["id"].as_str()?.to_string(),
                u["lat"].as_f64()?,
                u["lon"].as_f64()?,
            ))
        })
        .take(args.terminals)
        .collect();
    if units.len() < args.terminals {
        bail!(
            "asked for {} terminals, the server has {} available patrol cars",
            args.terminals,
            units.len()
        );
    }
    let until = Instant::now() + Duration::from_secs_f64(args.outage_minutes * 60.0);
    let mut tasks = Vec::new();
    for (n, (id, _, _)) in units.iter().enumerate() {
        let token = login(&client, &base, &id.to_lowercase(), &args.unit_password).await?;
        tasks.push(tokio::spawn(terminal_through_outages(
            client.clone(),
            base.clone(),
            id.clone(),
            token,
            until,
            n as u64 + 1,
        )));
    }
    // The dispatcher: a call every second near a unit that is free, sent to it;
    // an incident is cancelled (its unit released: an order too) a while later.
    let mut open: Vec<(i64, Instant)> = Vec::new();
    let (mut dispatched, mut n) = (0usize, 0usize);
    while Instant::now() < until {
        n += 1;
        let (id, la, lo) = &units[(n * 7919) % units.len()];
        let u: Value = client
            .get(format!("{base}/api/v1/units/{id}"))
            .header("Authorization", &auth)
            .send()
            .await?
            .json()
            .await?;
        if u["status"] == "available" {
            let inc: Value = client.post(format!("{base}/api/v1/incidents")).header("Authorization", &auth)
                .json(&json!({"kind": "theft", "lat": la + 0.001, "lon": lo + 0.001, "address": format!("outage run {n}")})).send().await?.json().await?;
            if let Some(incident) = inc["id"].as_i64() {
                let r = client.post(format!("{base}/api/v1/incidents/{incident}/dispatch")).header("Authorization", &auth)
                    .json(&json!({"unit_ids": [id], "idempotency_key": format!("outage-run-{incident}")})).send().await?;
                if r.status().is_success() {
                    dispatched += 1;
                    open.push((incident, Instant::now()));
                }
            }
        }
        let now = Instant::now();
        for (incident, _) in open
            .iter()
            .filter(|(_, at)| now.duration_since(*at) > Duration::from_secs(90))
        {
            let _ = client
                .post(format!("{base}/api/v1/incidents/{incident}/status"))
                .header("Authorization", &auth)
                .json(&json!({"status": "cancelled", "note": "outage run"}))
                .send()
                .await;
        }
        open.retain(|(_, at)| now.duration_since(*at) <= Duration::from_secs(90));
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
    let mut logs = Vec::new();
    for t in tasks {
        logs.push(t.await??);
    }
    // Exactly once, in order: what each terminal took is the server's list.
    let (mut orders, mut mismatched, mut outages_total, mut answers, mut answers_wrong) =
        (0usize, Vec::new(), 0usize, 0usize, 0usize);
    for ((id, _, _), log) in units.iter().zip(&logs) {
        let mut server = Vec::new();
        let mut after = 0;
        loop {
            let v: Value = client
                .get(format!(
                    "{base}/api/v1/units/{id}/orders?after={after}&limit=500"
                ))
                .header("Authorization", &auth)
                .send()
                .await?
                .json()
                .await?;
            let page: Vec<i64> = v["orders"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .filter_map(|o| o["seq"].as_i64())
                .collect();
            server.extend(&page);
            if page.len() < 500 {
                break;
            }
            after = *page.last().unwrap();
        }
        // Orders issued after the terminal's last connection closed are not its to have seen.
        let seen_upto = log.taken.last().copied().unwrap_or(0);
        let due: Vec<i64> = server.iter().copied().filter(|s| *s <= seen_upto).collect();
        if due != log.taken {
            mismatched.push(id.clone());
        }
        orders += log.taken.len();
        outages_total += log.outages;
        for incident in &log.answered {
            answers += 1;
            let v: Value = client
                .get(format!("{base}/api/v1/incidents/{incident}"))
                .header("Authorization", &auth)
                .send()
                .await?
                .json()
                .await?;
            let en_route = v["timeline"].as_array().map_or(0, |t| {
                t.iter()
                    .filter(|e| {
                        e["event"] == "unit_status_changed"
                            && e["unit_id"] == id.as_str()
                            && e["to"] == "en_route"
                    })
                    .count()
            });
            if en_route != 1 {
                answers_wrong += 1;
            }
        }
    }
    println!(
        "{}",
        json!({"label": args.label, "terminals": units.len(), "minutes": args.outage_minutes, "dispatched": dispatched,
               "outages": outages_total, "orders_taken": orders, "terminals_whose_orders_differ": mismatched,
               "answers": answers, "answers_not_recorded_once": answers_wrong})
    );
    if !mismatched.is_empty() || answers_wrong > 0 {
        bail!("orders or answers were lost or doubled");
    }
    Ok(())
}
