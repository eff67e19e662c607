//! `pingan brief`: a monthly (or key-date) briefing for one jurisdiction as a
//! self-contained HTML file (and PDF where a converter is installed), from
//! the incident store and/or imported historical records.

use std::path::PathBuf;

use analysis::trends::Period;
use anyhow::{Context, bail};
use clap::Args;

#[derive(Debug, Args)]
pub struct BriefArgs {
    /// Period: YYYY-MM (a month), YYYY, YYYY-MM-DD (a key date) or FROM..TO. Default: the month
    /// just ended during the first --grace-days days of a month, else the current month (local time).
    #[arg(long)]
    pub period: Option<String>,
    /// Days at the start of a month in which the default period is the month just ended.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(0..=28))]
    pub grace_days: u32,
    /// Take "now" as this instant (RFC 3339): for tests and rehearsals.
    #[arg(long = "clock", env = "PINGAN_NOW", value_parser = crate::serve_cmd::parse_clock, hide_env_values = true)]
    pub clock: Option<server::Clock>,
    /// Jurisdiction id (city bureau, bureau or station) the briefing is for.
    #[arg(long)]
    pub scope: String,
    /// Database (`sqlite://…` or `postgres://…`); default: the demo data dir's.
    #[arg(long, env = "PINGAN_DATABASE")]
    pub database: Option<String>,
    /// Data dir of `pingan demo` (its pingan.db is read when --database is not given).
    #[arg(long, env = "PINGAN_DATA_DIR", default_value = "pingan-demo")]
    pub data_dir: PathBuf,
    /// Agency.
    #[arg(long, env = "PINGAN_AGENCY", default_value = "demo")]
    pub agency: String,
    /// Historical records (CSV with lat/lon) to include besides the store's incidents.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Output file (default: brief-<scope>-<period>.html).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Also write a PDF next to it (needs chromium or libreoffice on the machine).
    #[arg(long)]
    pub pdf: bool,
    /// Hotspot cell size, metres.
    #[arg(long, default_value_t = 250.0)]
    pub cell: f64,
}

pub async fn run(args: BriefArgs) -> anyhow::Result<()> {
    let clock = args.clock.unwrap_or_default();
    let period = match &args.period {
        Some(p) => Period::parse(p)?,
        None => {
            let today = dispatch::time::local_day(clock.now());
            Period::default_briefing(today, args.grace_days)
        }
    };
    let url = args
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", args.data_dir.join("pingan.db").display()));
    if url.starts_with("sqlite://")
        && !std::path::Path::new(url.trim_start_matches("sqlite://")).exists()
    {
        bail!("no store at {url}: run `pingan demo` first or pass --database");
    }
    let store = store::Store::open(&url, &args.agency)
        .await
        .with_context(|| format!("cannot open {url}"))?;
    let tree = dispatch::Jurisdictions::new(store.jurisdictions().await?)?;
    let Some(scope) = tree.get(&args.scope) else {
        let ids: Vec<&str> = tree
            .all()
            .iter()
            .filter(|j| {
                j.level != dispatch::jurisdiction::Level::Community
                    && j.level != dispatch::jurisdiction::Level::Grid
            })
            .map(|j| j.id.as_str())
            .take(30)
            .collect();
        bail!(
            "--scope {:?} is not a jurisdiction; some ids: {}",
            args.scope,
            ids.join(", ")
        );
    };
    let proj = app::records::projection_of(scope).context("jurisdiction has no polygon")?;
    // The incidents of the briefing's window only, read from the store.
    let snapshot = store.load().await?;
    let mut records = app::records::briefing_records(
        &dispatch::Config::default(),
        scope.level,
        period,
        snapshot
            .incidents
            .iter()
            .filter(|i| app::records::within(&tree, i, &args.scope)),
        &proj,
    );
    let from_store = records.len();
    if let Some(path) = &args.input {
        let data = crate::analyze_cmd::read_dataset(path, &Default::default())?;
        let Some(p) = data.projection else {
            bail!("{}: briefing records need lat/lon columns", path.display());
        };
        for mut r in data.records {
            let (lat, lon) = p.inverse(r.x, r.y);
            if !scope.contains(roads::LatLon { lat, lon }) {
                continue;
            }
            (r.x, r.y) = proj.forward(lat, lon);
            records.push(r);
        }
    }
    let html = app::records::briefing_html(scope, period, &records, &proj, args.cell, clock.now());
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "brief-{}-{}.html",
            args.scope,
            period.name().replace("..", "_")
        ))
    });
    std::fs::write(&out, &html).with_context(|| format!("cannot write {}", out.display()))?;
    let in_period = records.iter().filter(|r| period.contains(r)).count();
    eprintln!(
        "wrote {} ({} records in {}, {} from the store, {} from --input)",
        out.display(),
        in_period,
        period.label(),
        from_store,
        records.len() - from_store
    );
    if args.pdf {
        let pdf = out.with_extension("pdf");
        let abs = std::fs::canonicalize(&out)?;
        let ok = ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .any(|b| {
                std::process::Command::new(b)
                    .args(["--headless", "--no-sandbox", "--disable-gpu"])
                    .arg(format!("--print-to-pdf={}", pdf.display()))
                    .arg(format!("file://{}", abs.display()))
                    .stderr(std::process::Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            });
        if ok {
            eprintln!("wrote {}", pdf.display());
        } else {
            eprintln!("no PDF: neither chromium nor google-chrome could print (HTML written)");
        }
    }
    Ok(())
}
