//! `pingan`: the one binary. Thin glue: parses the command line and calls the
//! engine, store and server crates; all logic lives below it (see ARCHITECTURE.md).

mod analyze_cmd;
mod brief_cmd;
mod community_cmd;
mod coverage_cmd;
mod loadgen;
mod places_cmd;
mod roads_cmd;
mod serve_cmd;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// pingan (平安): call intake, dispatch, patrol coverage and crime analysis for a city police force.
#[derive(Debug, Parser)]
#[command(name = "pingan", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Road network: build a graph from OpenStreetMap, route, tables, isochrones.
    #[command(subcommand)]
    Roads(roads_cmd::RoadsCommand),
    /// A demo city on a real road network: server, dashboard API and simulator.
    Demo(serve_cmd::DemoArgs),
    /// Run the dispatch server on your own road graph and database.
    Serve {
        #[command(flatten)]
        server: serve_cmd::ServerArgs,
        /// The road graph (`pingan roads build`).
        #[arg(long, env = "PINGAN_GRAPH")]
        graph: Option<PathBuf>,
        /// The places file call takers search (`pingan places build`); without it only the
        /// jurisdictions' and police offices' names are found.
        #[arg(long, env = "PINGAN_PLACES")]
        places: Option<PathBuf>,
    },
    /// Coverage planning: evaluate a plan of patrol posts or choose the best k.
    #[command(subcommand)]
    Coverage(coverage_cmd::CoverageCommand),
    /// Crime analysis on CSV files: import, hotspots, Gi*, Moran's I, Knox near repeat, forecasts, case linkage, trends.
    #[command(subcommand)]
    Analyze(analyze_cmd::AnalyzeCommand),
    /// Monthly (or key-date) briefing for a city bureau, bureau or station: a self-contained HTML file (and PDF with --pdf).
    Brief(brief_cmd::BriefArgs),
    /// Places: the coordinates phones in China report (WGS-84, GCJ-02, BD-09).
    #[command(subcommand)]
    Places(places_cmd::PlacesCommand),
    /// Load generator: incident creation and recommendations against a running server.
    Loadgen(loadgen::LoadArgs),
    /// Store maintenance.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Community policing registers: bulk import of a city's ledgers.
    #[command(subcommand)]
    Community(community_cmd::CommunityCommand),
}

#[derive(Debug, Subcommand)]
enum StoreCommand {
    /// Integrity check: exits non-zero and lists problems when the store is damaged.
    Check {
        /// `sqlite://file.db` or `postgres://…`.
        #[arg(long, env = "PINGAN_DATABASE")]
        database: String,
        /// Agency.
        #[arg(long, env = "PINGAN_AGENCY", default_value = "demo")]
        agency: String,
    },
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Roads(cmd) => roads_cmd::run(cmd),
        Command::Demo(args) => runtime().and_then(|rt| rt.block_on(serve_cmd::demo(args))),
        Command::Serve {
            server,
            graph,
            places,
        } => runtime().and_then(|rt| rt.block_on(serve_cmd::serve(server, graph, places))),
        Command::Coverage(cmd) => coverage_cmd::run(cmd),
        Command::Analyze(cmd) => analyze_cmd::run(cmd),
        Command::Brief(args) => runtime().and_then(|rt| rt.block_on(brief_cmd::run(args))),
        Command::Places(cmd) => places_cmd::run(cmd),
        Command::Loadgen(args) => runtime().and_then(|rt| rt.block_on(loadgen::run(args))),
        Command::Community(cmd) => runtime().and_then(|rt| rt.block_on(community_cmd::run(cmd))),
        Command::Store(StoreCommand::Check { database, agency }) => {
            runtime().and_then(|rt| rt.block_on(serve_cmd::check(&database, &agency)))
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            // A closed pipe (`| head`) is not an error worth a message.
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return std::process::ExitCode::SUCCESS;
            }
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
