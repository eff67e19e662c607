//! `pingan serve`, `pingan demo` and `pingan store check`: wiring only.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ::demo::SimOptions;
use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Deserialize;
use server::{App, Settings};
use store::{Store, UserRecord};

/// Options shared by `serve` and `demo`.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, env = "PINGAN_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Database: `sqlite://file.db` (default, in the data dir) or `postgres://user@host/db`.
    #[arg(long, env = "PINGAN_DATABASE")]
    pub database: Option<String>,
    /// Agency id stored on every row.
    #[arg(long, env = "PINGAN_AGENCY")]
    pub agency: Option<String>,
    /// TOML file with any of: listen, database, agency, agency_name, session_ttl_s, body_limit, graph, and a [dispatch] table.
    #[arg(long, env = "PINGAN_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log as JSON lines instead of text.
    #[arg(long, env = "PINGAN_LOG_JSON")]
    pub log_json: bool,
    /// Station assessment catalogue (TOML, `[[indicator]]` tables) to put in force; checked before the server starts.
    #[arg(long)]
    pub assessment: Option<PathBuf>,
    /// Run as if it were this instant (RFC 3339, e.g. 2027-01-01T00:30:00+08:00), time moving on from there:
    /// for tests and rehearsals only, never on a live system.
    #[arg(long = "clock", env = "PINGAN_NOW", value_parser = parse_clock, hide_env_values = true)]
    pub clock: Option<server::Clock>,
    /// In the first N days of a month the default briefing is the month just ended.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(0..=28))]
    pub briefing_grace_days: u32,
}

/// `--clock` / `PINGAN_NOW`.
pub fn parse_clock(s: &str) -> Result<server::Clock, String> {
    server::Clock::parse_start(s).ok_or_else(|| {
        format!("{s:?}: expected an RFC 3339 instant such as 2027-01-01T00:30:00+08:00")
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    database: Option<String>,
    agency: Option<String>,
    agency_name: Option<String>,
    session_ttl_s: Option<i64>,
    body_limit: Option<usize>,
    graph: Option<PathBuf>,
    dispatch: Option<dispatch::Config>,
}

fn read_config(path: Option<&Path>) -> Result<FileConfig> {
    let Some(path) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config {}", path.display()))?;
    let cfg: FileConfig =
        toml::from_str(&text).with_context(|| format!("config {}", path.display()))?;
    if let Some(d) = &cfg.dispatch {
        d.validate()
            .map_err(|e| anyhow::anyhow!("config {}: [dispatch]: {e}", path.display()))?;
    }
    Ok(cfg)
}

fn settings(args: &ServerArgs, file: &FileConfig) -> Settings {
    let d = Settings::default();
    let clock = args.clock.unwrap_or(d.clock);
    // Said whenever a clock was asked for, even when it matches the
    // machine's (under faketime the two agree to the millisecond).
    if args.clock.is_some() {
        eprintln!(
            "clock: running as if it were {} (--clock / PINGAN_NOW); not for a live system",
            dispatch::time::format_rfc3339(clock.now())
        );
    }
    Settings {
        clock,
        briefing_grace_days: args.briefing_grace_days,
        agency: args
            .agency
            .clone()
            .or(file.agency.clone())
            .unwrap_or(d.agency),
        agency_name: file.agency_name.clone().unwrap_or(d.agency_name),
        session_ttl_s: file.session_ttl_s.unwrap_or(d.session_ttl_s),
        body_limit: file.body_limit.unwrap_or(d.body_limit),
        dispatch: file.dispatch.clone().unwrap_or(d.dispatch),
    }
}

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PINGAN_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into());
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        let _ = b.json().try_init();
    } else {
        let _ = b.try_init();
    }
}

fn leak(graph: roads::Graph) -> &'static roads::Graph {
    Box::leak(Box::new(graph))
}

async fn run_server(app: Arc<App>, listen: SocketAddr, sim: Option<SimOptions>) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    if let Some(opts) = sim {
        eprintln!(
            "simulator: {:.0} calls/hour, auto-dispatch {}, speed x{}",
            opts.calls_per_hour,
            if opts.auto_dispatch { "on" } else { "off" },
            opts.speed
        );
        tokio::spawn(::demo::sim::run(app.clone(), opts));
    }
    println!(
        "pingan is up: http://{addr}/  (API http://{addr}/api/v1, metrics http://{addr}/metrics)"
    );
    let _ = std::io::stdout().flush();
    axum::serve(listener, server::router(app))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            eprintln!("shutting down");
        })
        .await?;
    Ok(())
}

async fn ensure_admin(store: &Store) -> Result<Option<String>> {
    let env = std::env::var("PINGAN_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    match (store.user("admin").await?, env) {
        (Some(mut admin), Some(pw)) => {
            if !server::auth::verify_password(&pw, &admin.password_hash) {
                admin.password_hash = server::auth::hash_password(&pw);
                store.put_user(&admin).await?;
                eprintln!("admin password set from PINGAN_ADMIN_PASSWORD");
            }
            Ok(None)
        }
        (Some(_), None) => Ok(None),
        (None, pw) => {
            let generated = pw.is_none();
            let pw = pw.unwrap_or_else(server::auth::new_password);
            store
                .put_user(&UserRecord {
                    username: "admin".into(),
                    role: "admin".into(),
                    scope: None,
                    display_name: "Administrator".into(),
                    password_hash: server::auth::hash_password(&pw),
                    disabled: false,
                    unit_id: None,
                })
                .await?;
            Ok(generated.then_some(pw))
        }
    }
}

/// `pingan serve`.
pub async fn serve(
    args: ServerArgs,
    graph: Option<PathBuf>,
    places: Option<PathBuf>,
) -> Result<()> {
    init_logs(args.log_json);
    let file = read_config(args.config.as_deref())?;
    let graph_path = graph
        .or(file.graph.clone())
        .context("give the road graph: --graph city.roads (build it with `pingan roads build`)")?;
    let graph = leak(crate::roads_cmd::load_graph(&graph_path)?);
    let settings = settings(&args, &file);
    let url = args
        .database
        .clone()
        .or(file.database.clone())
        .unwrap_or_else(|| "sqlite://pingan.db".into());
    let store = Store::open(&url, &settings.agency)
        .await
        .with_context(|| format!("cannot open the store {url}"))?;
    if let Some(pw) = ensure_admin(&store).await? {
        println!("created user admin with password {pw}");
    }
    let app = App::start(store, graph, settings)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    load_assessment(&app, args.assessment.as_deref()).await?;
    if let Some(path) = places {
        let records = crate::places_cmd::read_file(&path)?;
        eprintln!("places: {} from {}", records.len(), path.display());
        app.set_places(records);
    }
    let listen = args
        .listen
        .or(file.listen)
        .unwrap_or_else(|| "127.0.0.1:8080".parse().expect("address"));
    run_server(app, listen, None).await
}

/// `pingan demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Folder for the demo: the road graph, the SQLite store, the credentials.
    #[arg(long, env = "PINGAN_DATA_DIR", default_value = "pingan-demo")]
    pub data_dir: PathBuf,
    /// The OpenStreetMap extract to build the city on.
    #[arg(long, default_value = "../shared/data/osm/porto-portugal-r5.osm.pbf")]
    pub osm: PathBuf,
    /// Do not run the simulator (no calls, no moving units).
    #[arg(long)]
    pub no_simulator: bool,
    /// Let people dispatch: the simulator places calls and drives units but never dispatches.
    #[arg(long)]
    pub no_auto_dispatch: bool,
    /// Average simulated calls per hour.
    #[arg(long, default_value_t = 90.0)]
    pub calls_per_hour: f64,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 1.0)]
    pub sim_speed: f64,
    /// Seed of the generated city.
    #[arg(long, default_value_t = 110)]
    pub seed: u64,
    /// Days of closed past incidents a new demo city starts with (trends, hotspots, briefings); 0 for none.
    #[arg(long, default_value_t = 120)]
    pub history_days: u32,
    /// Past incidents per day in that history.
    #[arg(long, default_value_t = 150.0)]
    pub history_per_day: f64,
}

/// The demo's places: its extract's, with a standard address register,
/// aliases and markers generated for the demo city (written beside the
/// store, in the formats a real city imports); built once, then reused.
fn load_demo_places(app: &App, args: &DemoArgs) -> Result<()> {
    let path = args.data_dir.join("city.places");
    if !path.exists() {
        if !args.osm.exists() {
            eprintln!(
                "places: {} not found, so only the jurisdictions' names are searchable",
                args.osm.display()
            );
            return Ok(());
        }
        let started = std::time::Instant::now();
        let (city, _) = crate::places_cmd::build(&args.osm, &crate::places_cmd::Files::default())?;
        let generated = ::demo::places::generate(&city, app.jurisdictions());
        let mut files = crate::places_cmd::Files::default();
        for (name, text, slot) in [
            (
                "standard-addresses.csv",
                &generated.addresses,
                &mut files.addresses,
            ),
            ("aliases.csv", &generated.aliases, &mut files.aliases),
            ("markers.csv", &generated.markers, &mut files.markers),
        ] {
            let file = args.data_dir.join(name);
            std::fs::write(&file, text)
                .with_context(|| format!("cannot write {}", file.display()))?;
            *slot = Some((file.display().to_string(), text.clone()));
        }
        let records = crate::places_cmd::add_files(city, &files)?;
        std::fs::write(&path, places::file::write(&records))
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!(
            "places: {} built from {} and the demo city's standard addresses, aliases and markers in {:.1} s",
            records.len(),
            args.osm.display(),
            started.elapsed().as_secs_f64()
        );
    }
    let records = crate::places_cmd::read_file(&path)?;
    eprintln!("places: {} from {}", records.len(), path.display());
    app.set_places(records);
    Ok(())
}

/// `pingan demo`: a demo city on a real road network, server and simulator up.
pub async fn demo(args: DemoArgs) -> Result<()> {
    init_logs(args.server.log_json);
    let file = read_config(args.server.config.as_deref())?;
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create {}", args.data_dir.display()))?;
    let graph_path = args.data_dir.join("city.roads");
    let graph = if graph_path.exists() {
        eprintln!("reusing the road graph {}", graph_path.display());
        crate::roads_cmd::load_graph(&graph_path)?
    } else {
        if !args.osm.exists() {
            bail!(
                "{} not found: pass --osm <extract.osm.pbf> (run from the repository root to use ../shared/data)",
                args.osm.display()
            );
        }
        eprintln!("building the road graph from {}", args.osm.display());
        let (g, summary) = crate::roads_cmd::build_graph(&args.osm, &graph_path, 2.0, 500, false)?;
        eprintln!("road graph: {summary}");
        g
    };
    let graph = leak(graph);
    let settings = settings(&args.server, &file);
    let url = args
        .server
        .database
        .clone()
        .or(file.database.clone())
        .unwrap_or_else(|| format!("sqlite://{}", args.data_dir.join("pingan.db").display()));
    let store = Store::open(&url, &settings.agency)
        .await
        .with_context(|| format!("cannot open the store {url}"))?;
    let (fresh, hot) = match ::demo::city::saved(&store).await? {
        Some(city) => {
            eprintln!(
                "reopened the demo city {} ({} incidents so far)",
                city.name,
                store.incident_ids().await?.len()
            );
            ensure_admin(&store).await?;
            (false, city.hot_areas)
        }
        None => (true, create_city(&store, graph, &args).await?),
    };
    let app = App::start(store, graph, settings)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    load_assessment(&app, args.server.assessment.as_deref()).await?;
    load_demo_places(&app, &args)?;
    if fresh && args.history_days > 0 {
        let opts = SimOptions {
            hot_areas: hot.clone(),
            seed: args.seed,
            ..Default::default()
        };
        let n = ::demo::seed::seed_history(&app, &opts, args.history_days, args.history_per_day)
            .await
            .map_err(|e| anyhow::anyhow!("history: {}", e.message))?;
        eprintln!(
            "history: {n} closed incidents over the past {} days",
            args.history_days
        );
        let (t, l) = ::demo::seed::seed_community(&app, args.history_days, args.seed)
            .await
            .map_err(|e| anyhow::anyhow!("history: {}", e.message))?;
        eprintln!("history: {t} case transfers and {l} leads from the stations");
        let counts = ::demo::seed::seed_ledgers(&app, args.history_days, args.seed)
            .await
            .map_err(|e| anyhow::anyhow!("history: {}", e.message))?;
        eprintln!(
            "history: ledgers {}",
            counts
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let listen = args
        .server
        .listen
        .or(file.listen)
        .unwrap_or_else(|| "127.0.0.1:8080".parse().expect("address"));
    let sim = (!args.no_simulator).then(|| SimOptions {
        calls_per_hour: args.calls_per_hour,
        auto_dispatch: !args.no_auto_dispatch,
        speed: args.sim_speed,
        hot_areas: hot,
        seed: args.seed,
        ..Default::default()
    });
    run_server(app, listen, sim).await
}

/// Creates the demo city, prints its accounts and saves them beside the store.
async fn create_city(
    store: &Store,
    graph: &roads::Graph,
    args: &DemoArgs,
) -> Result<Vec<citygen::HotArea>> {
    let admin_env = std::env::var("PINGAN_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    let unit_env = std::env::var("PINGAN_UNIT_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    let osm = args.osm.display().to_string();
    let city = ::demo::city::create(store, graph, args.seed, &osm, admin_env, unit_env).await?;
    let mut lines = vec![format!(
        "# {} / {}: demo accounts (user, role, scope, password); field terminals log in as their unit (role unit)",
        city.name_zh, city.name_en
    )];
    for a in &city.accounts {
        let from_env = if a.role == app::auth::UNIT_ROLE {
            "(from PINGAN_UNIT_PASSWORD)"
        } else {
            "(from PINGAN_ADMIN_PASSWORD)"
        };
        lines.push(format!(
            "{:<22} {:<16} {:<10} {}",
            a.username,
            a.role,
            a.scope.as_deref().unwrap_or("city"),
            a.password.as_deref().unwrap_or(from_env)
        ));
    }
    let staff = city
        .accounts
        .iter()
        .filter(|a| a.role != app::auth::UNIT_ROLE)
        .count();
    let c = &city.counts;
    eprintln!(
        "created the demo city {}: {} bureaus, {} stations, {} communities/villages with {} police offices, {} grids, {} posts, {} units",
        city.name_zh,
        c["bureaus"],
        c["stations"],
        c["communities"],
        c["police_offices"],
        c["grids"],
        c["posts"],
        c["units"]
    );
    let creds = args.data_dir.join("credentials.txt");
    std::fs::write(&creds, lines.join("\n") + "\n")
        .with_context(|| format!("cannot write {}", creds.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o600));
    }
    // The staff and a few terminals on screen; every account in the file.
    let shown = 1 + staff + 3;
    println!("{}", lines[..shown.min(lines.len())].join("\n"));
    if lines.len() > shown {
        println!("… and {} more field terminal accounts", lines.len() - shown);
    }
    println!("(all saved in {})", creds.display());
    Ok(city.hot_areas)
}

/// `pingan store check`: integrity of a store; fails when a problem is found.
pub async fn check(database: &str, agency: &str) -> Result<()> {
    let store = Store::open(database, agency)
        .await
        .with_context(|| format!("cannot open {database}"))?;
    let problems = store.check().await?;
    let n = store.incident_ids().await?.len();
    if problems.is_empty() {
        println!(
            "{{\"ok\":true,\"backend\":\"{}\",\"incidents\":{n}}}",
            store.backend()
        );
        Ok(())
    } else {
        for p in &problems {
            eprintln!("problem: {p}");
        }
        bail!("{} problems in {database}", problems.len())
    }
}

/// Puts `--assessment FILE` in force, or says what is wrong with it.
async fn load_assessment(app: &server::App, path: Option<&std::path::Path>) -> Result<()> {
    let Some(path) = path else { return Ok(()) };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    server::assessment_api::set_catalogue(app, &text)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message))?;
    eprintln!("assessment catalogue from {}", path.display());
    Ok(())
}
