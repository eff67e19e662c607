//! `pingan places …`: the places index's commands. Only `convert` so far
//! (the index's build, search and reverse come with its OpenStreetMap reader).

use anyhow::{Context, bail};
use clap::Subcommand;
use places::datum::{Datum, convert};

/// Places: coordinates of phones in China.
#[derive(Debug, Subcommand)]
pub enum PlacesCommand {
    /// A point from one datum to another (`wgs84`, `gcj02` of Amap/Tencent/WeChat, `bd09` of Baidu); prints `{"lat","lon"}`.
    Convert {
        /// The point's datum.
        #[arg(long)]
        from: String,
        /// The datum wanted.
        #[arg(long)]
        to: String,
        /// `lat,lon` in degrees.
        #[arg(long)]
        at: String,
    },
}

/// Runs a places command.
pub fn run(cmd: PlacesCommand) -> anyhow::Result<()> {
    match cmd {
        PlacesCommand::Convert { from, to, at } => {
            let from = Datum::parse(&from).context("--from")?;
            let to = Datum::parse(&to).context("--to")?;
            let (lat, lon) = lat_lon(&at).context("--at")?;
            let (lat, lon) = convert(from, to, lat, lon);
            println!("{}", serde_json::json!({"lat": lat, "lon": lon}));
            Ok(())
        }
    }
}

/// `lat,lon` in range.
fn lat_lon(s: &str) -> anyhow::Result<(f64, f64)> {
    let Some((a, b)) = s.split_once(',') else {
        bail!("expected lat,lon (e.g. 31.2627,120.6320), got {s:?}");
    };
    let lat: f64 = a
        .trim()
        .parse()
        .with_context(|| format!("latitude {a:?} is not a number"))?;
    let lon: f64 = b
        .trim()
        .parse()
        .with_context(|| format!("longitude {b:?} is not a number"))?;
    if !(-90.0..=90.0).contains(&lat) {
        bail!("latitude {lat} is outside -90..90");
    }
    if !(-180.0..=180.0).contains(&lon) {
        bail!("longitude {lon} is outside -180..180");
    }
    Ok((lat, lon))
}
