//! `pingan places …`: build a places file from an OpenStreetMap extract,
//! search it as a call taker types, look up what is at a point, and convert
//! the coordinates phones in China report.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Subcommand;
use places::Index;
use places::datum::{Datum, convert};

/// Places: the names of a city, found as they are typed.
#[derive(Debug, Subcommand)]
pub enum PlacesCommand {
    /// Reads the names of an extract (streets, their junctions, house numbers, landmarks, places) into a places file.
    Build {
        /// The OpenStreetMap extract (`.osm.pbf`).
        pbf: PathBuf,
        /// The places file to write.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Finds places by what is typed; prints `{"results":[{"label","kind","lat","lon","score"}]}`, best first.
    Search {
        /// The places file (`pingan places build`).
        #[arg(long)]
        places: PathBuf,
        /// What the caller said.
        #[arg(long, required_unless_present = "queries")]
        q: Option<String>,
        /// A file of queries, one a line: prints one answer a line, in order.
        #[arg(long, conflicts_with = "q")]
        queries: Option<PathBuf>,
        /// How many results.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// `lat,lon`: prefer places near it.
        #[arg(long)]
        near: Option<String>,
    },
    /// What is at a point: the nearest address (within 100 m), street, intersection, landmark and place, nearest first.
    Reverse {
        /// The places file (`pingan places build`).
        #[arg(long)]
        places: PathBuf,
        /// `lat,lon` (WGS-84).
        #[arg(long)]
        at: String,
    },
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
        PlacesCommand::Build { pbf, output } => {
            let started = Instant::now();
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_message(format!("reading the names of {}", pbf.display()));
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            let (records, report) = osm_import::read_places(&pbf)?;
            let read_s = started.elapsed().as_secs_f64();
            bar.set_message("indexing");
            let index = Index::build(records);
            let indexed_s = started.elapsed().as_secs_f64() - read_s;
            std::fs::write(&output, places::file::write(index.places()))
                .with_context(|| format!("cannot write {}", output.display()))?;
            bar.finish_and_clear();
            eprintln!(
                "{} places: {} streets, {} intersections, {} addresses, {} landmarks, {} places ({} ways skipped for missing nodes); read {read_s:.2} s, indexed {indexed_s:.2} s; wrote {}",
                index.len(),
                report.streets,
                report.intersections,
                report.addresses,
                report.pois,
                report.places,
                report.missing_nodes,
                output.display()
            );
            Ok(())
        }
        PlacesCommand::Search {
            places,
            q,
            queries,
            limit,
            near,
        } => {
            let index = load(&places)?;
            let near = near.as_deref().map(lat_lon).transpose().context("--near")?;
            let answer = |q: &str| {
                let results: Vec<serde_json::Value> = index
                    .search(q, near, limit)
                    .into_iter()
                    .map(|h| {
                        let p = index.place(h.id);
                        serde_json::json!({"label": p.label, "kind": p.kind.as_str(), "lat": p.lat, "lon": p.lon, "score": h.score, "edits": h.edits})
                    })
                    .collect();
                serde_json::json!({ "results": results })
            };
            match (q, queries) {
                (Some(q), _) => println!("{}", answer(&q)),
                (None, Some(file)) => {
                    let text = std::fs::read_to_string(&file)
                        .with_context(|| format!("cannot read {}", file.display()))?;
                    for line in text.lines() {
                        println!("{}", answer(line));
                    }
                }
                (None, None) => bail!("give --q or --queries"),
            }
            Ok(())
        }
        PlacesCommand::Reverse { places, at } => {
            let index = load(&places)?;
            let (lat, lon) = lat_lon(&at).context("--at")?;
            let results: Vec<serde_json::Value> = index
                .reverse(lat, lon)
                .into_iter()
                .map(|(id, meters)| {
                    let p = index.place(id);
                    serde_json::json!({"label": p.label, "kind": p.kind.as_str(), "lat": p.lat, "lon": p.lon, "meters": meters})
                })
                .collect();
            println!("{}", serde_json::json!({ "results": results }));
            Ok(())
        }
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

/// Reads a places file and builds its index.
fn load(path: &std::path::Path) -> anyhow::Result<Index> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let records = places::file::read(&bytes).with_context(|| format!("{}", path.display()))?;
    Ok(Index::build(records))
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
