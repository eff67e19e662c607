//! `pingan community`: the first load of a city's registers from CSV files.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};

/// Community policing registers.
#[derive(Debug, Subcommand)]
pub enum CommunityCommand {
    /// Import a ledger's CSV (a header of community_id and the ledger's field names, one record a
    /// line) straight into the store: every line checked first, then written in batches in one
    /// transaction, all or nothing. For the first load of a whole city; the server need not run.
    Import(ImportArgs),
}

/// `pingan community import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The ledger: resident, rental_housing, floating_population, venue, lost_property,
    /// found_item, missing_person, livelihood, staffing, community_day.
    pub kind: String,
    /// The CSV file.
    pub file: PathBuf,
    /// The folder of a demo or server whose store is `pingan.db` in it.
    #[arg(
        long,
        conflicts_with = "database",
        required_unless_present = "database"
    )]
    pub data_dir: Option<PathBuf>,
    /// The database: `sqlite://file.db` or `postgres://user@host/db`.
    #[arg(long, env = "PINGAN_DATABASE")]
    pub database: Option<String>,
    /// Agency id stored on every row.
    #[arg(long, env = "PINGAN_AGENCY", default_value = "demo")]
    pub agency: String,
    /// Who the audit log names as the importer.
    #[arg(long, default_value = "import")]
    pub actor: String,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

pub async fn run(cmd: CommunityCommand) -> Result<()> {
    let CommunityCommand::Import(args) = cmd;
    let Some(ledger) = community::ledgers::ledger(&args.kind) else {
        let kinds: Vec<&str> = community::ledgers::LEDGERS
            .iter()
            .map(|l| l.register.kind)
            .collect();
        bail!("no ledger {:?}; ledgers: {}", args.kind, kinds.join(", "));
    };
    let url = match (&args.database, &args.data_dir) {
        (Some(url), _) => url.clone(),
        (None, Some(dir)) => {
            let db = dir.join("pingan.db");
            if !db.exists() {
                bail!(
                    "{} has no store (pingan.db); run the server or demo there once, or pass --database",
                    dir.display()
                );
            }
            format!("sqlite://{}", db.display())
        }
        (None, None) => bail!("give --data-dir or --database"),
    };
    std::fs::metadata(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let store = store::Store::open(&url, &args.agency)
        .await
        .with_context(|| format!("cannot open the store {url}"))?;
    let tree = dispatch::Jurisdictions::new(store.jurisdictions().await?)
        .context("the store's jurisdictions")?;
    if tree.all().is_empty() {
        bail!("the store has no jurisdictions yet: set the city up (pingan serve or demo) first");
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let bar = if args.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new_spinner()
    };
    bar.set_message(format!("checking {}", args.file.display()));
    let started = std::time::Instant::now();
    let import = app::import::LedgerImport {
        store: &store,
        tree: &tree,
        ledger,
        actor: &args.actor,
        scope: None,
        now,
        keep_ids: false,
    };
    let open = || std::fs::File::open(&args.file).map(std::io::BufReader::new);
    let result = import
        .run(open, &mut |p| match p {
            app::import::Progress::Checked(n) => bar.set_position(n as u64),
            app::import::Progress::Valid(n) => {
                bar.set_length(n as u64);
                bar.set_position(0);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta})",
                    )
                    .expect("a valid template")
                    .progress_chars("=> "),
                );
                bar.set_message("writing");
            }
            app::import::Progress::Written(n) => bar.set_position(n as u64),
        })
        .await;
    bar.finish_and_clear();
    store.close().await;
    match result {
        Ok(done) => {
            let secs = started.elapsed().as_secs_f64();
            println!(
                "imported {} {} records from {} in {secs:.1} s ({:.0} a second)",
                done.count,
                ledger.register.kind,
                args.file.display(),
                done.count as f64 / secs.max(1e-9)
            );
            Ok(())
        }
        Err(app::import::ImportError::Lines(errors)) => {
            for e in &errors {
                eprintln!(
                    "{}:{}: {}{}",
                    args.file.display(),
                    e.line,
                    e.field
                        .as_deref()
                        .map(|f| format!("{f}: "))
                        .unwrap_or_default(),
                    e.message
                );
            }
            bail!(
                "nothing was imported: {} bad line(s){}",
                errors.len(),
                if errors.len() >= 100 {
                    " (the first 100)"
                } else {
                    ""
                }
            )
        }
        Err(e) => Err(e.into()),
    }
}
