//! `pingan`: the one binary. Thin glue: parses the command line and calls the
//! engine crates; all logic lives below it (see ARCHITECTURE.md).

mod roads_cmd;

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
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Roads(cmd) => roads_cmd::run(cmd),
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
