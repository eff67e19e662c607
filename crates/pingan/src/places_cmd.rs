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
        /// The police's standard address register (标准地址), CSV: `full_address,lat,lon` and optionally
        /// `code,province,city,county,township,community_id,road,house_number,building,unit,room`.
        #[arg(long)]
        addresses: Option<PathBuf>,
        /// Aliases (common names, nicknames, old names), CSV: `alias,target_label` or `alias,lat,lon`.
        #[arg(long)]
        aliases: Option<PathBuf>,
        /// Location markers (lamp-post and road-sign codes, mile markers), CSV: `code,lat,lon`.
        #[arg(long)]
        markers: Option<PathBuf>,
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
        /// Add `"micros"` to each answer: the search's own time, in process (for benchmarks).
        #[arg(long)]
        timings: bool,
    },
    /// What is at a point: the nearest address (within 100 m), street, intersection, landmark and place, nearest first.
    Reverse {
        /// The places file (`pingan places build`).
        #[arg(long)]
        places: PathBuf,
        /// `lat,lon` (WGS-84).
        #[arg(long, required_unless_present = "points", allow_hyphen_values = true)]
        at: Option<String>,
        /// A file of points, `lat,lon` a line: prints one answer a line, in order.
        #[arg(long, conflicts_with = "at")]
        points: Option<PathBuf>,
        /// Add `"micros"` to each answer: the look-up's own time, in process (for benchmarks).
        #[arg(long)]
        timings: bool,
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
        PlacesCommand::Build {
            pbf,
            addresses,
            aliases,
            markers,
            output,
        } => {
            let files = Files {
                addresses: read_text(addresses.as_deref())?,
                aliases: read_text(aliases.as_deref())?,
                markers: read_text(markers.as_deref())?,
            };
            let (records, summary) = build(&pbf, &files)?;
            std::fs::write(&output, places::file::write(&records))
                .with_context(|| format!("cannot write {}", output.display()))?;
            eprintln!("{summary}; wrote {}", output.display());
            Ok(())
        }
        PlacesCommand::Search {
            places,
            q,
            queries,
            limit,
            near,
            timings,
        } => {
            let index = load(&places)?;
            let near = near.as_deref().map(lat_lon).transpose().context("--near")?;
            let answer = |q: &str| {
                let started = Instant::now();
                let hits = index.search(q, near, limit);
                let micros = started.elapsed().as_secs_f64() * 1e6;
                let results: Vec<serde_json::Value> = hits
                    .into_iter()
                    .map(|h| {
                        let p = h.place(&index);
                        serde_json::json!({"label": p.label, "kind": p.kind.as_str(), "lat": p.lat, "lon": p.lon, "score": h.score, "edits": h.edits, "approximate": p.approximate})
                    })
                    .collect();
                let mut out = serde_json::json!({ "results": results });
                if timings {
                    out["micros"] = serde_json::json!((micros * 10.0).round() / 10.0);
                }
                out
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
        PlacesCommand::Reverse {
            places,
            at,
            points,
            timings,
        } => {
            let index = load(&places)?;
            let answer = |lat: f64, lon: f64| {
                let started = Instant::now();
                let found = index.reverse(lat, lon);
                let micros = started.elapsed().as_secs_f64() * 1e6;
                let results: Vec<serde_json::Value> = found
                    .into_iter()
                    .map(|(id, meters)| {
                        let p = index.place(id);
                        serde_json::json!({"label": p.label, "kind": p.kind.as_str(), "lat": p.lat, "lon": p.lon, "meters": meters, "approximate": p.approximate})
                    })
                    .collect();
                let mut out = serde_json::json!({ "results": results });
                if timings {
                    out["micros"] = serde_json::json!((micros * 10.0).round() / 10.0);
                }
                out
            };
            match (at, points) {
                (Some(at), _) => {
                    let (lat, lon) = lat_lon(&at).context("--at")?;
                    println!("{}", answer(lat, lon));
                }
                (None, Some(file)) => {
                    let text = std::fs::read_to_string(&file)
                        .with_context(|| format!("cannot read {}", file.display()))?;
                    for (n, line) in text.lines().enumerate() {
                        let (lat, lon) = lat_lon(line)
                            .with_context(|| format!("{} line {}", file.display(), n + 1))?;
                        println!("{}", answer(lat, lon));
                    }
                }
                (None, None) => bail!("give --at or --points"),
            }
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

/// The police's own place files, as CSV text.
#[derive(Debug, Default)]
pub struct Files {
    /// The standard address register.
    pub addresses: Option<(String, String)>,
    /// Aliases.
    pub aliases: Option<(String, String)>,
    /// Location markers.
    pub markers: Option<(String, String)>,
}

fn read_text(path: Option<&std::path::Path>) -> anyhow::Result<Option<(String, String)>> {
    path.map(|p| {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
        Ok((p.display().to_string(), text))
    })
    .transpose()
}

/// Every bad line of a file, or its places.
fn checked(
    name: &str,
    got: Result<Vec<places::Place>, Vec<places::import::LineError>>,
) -> anyhow::Result<Vec<places::Place>> {
    got.map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("  {name}: {e}")).collect();
        anyhow::anyhow!(
            "{name}: nothing imported, {} bad lines:\n{}",
            errors.len(),
            lines.join("\n")
        )
    })
}

/// The places of an extract and of the police's files, and a line saying
/// what was read (counts by kind, timings).
pub fn build(pbf: &std::path::Path, files: &Files) -> anyhow::Result<(Vec<places::Place>, String)> {
    let started = Instant::now();
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(format!("reading the names of {}", pbf.display()));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let (records, report) = osm_import::read_places(pbf)?;
    let read_s = started.elapsed().as_secs_f64();
    bar.set_message("reading the police's files");
    let records = add_files(records, files)?;
    let files_s = started.elapsed().as_secs_f64() - read_s;
    bar.set_message("indexing");
    let index = Index::build(records);
    let indexed_s = started.elapsed().as_secs_f64() - read_s - files_s;
    bar.finish_and_clear();
    let count = |k: places::Kind| index.places().iter().filter(|p| p.kind == k).count();
    let summary = format!(
        "{} places: {} streets, {} intersections, {} addresses ({} interpolated), {} landmarks, {} places, {} standard addresses, {} markers ({} ways skipped for missing nodes); read {read_s:.2} s, files {files_s:.2} s, indexed {indexed_s:.2} s",
        index.len(),
        count(places::Kind::Street),
        count(places::Kind::Intersection),
        count(places::Kind::Address),
        report.interpolated,
        count(places::Kind::Poi),
        count(places::Kind::Place),
        count(places::Kind::StandardAddress),
        count(places::Kind::Marker),
        report.missing_nodes,
    );
    Ok((index.into_places(), summary))
}

/// `records` with the places of the police's files added (aliases may
/// name any of them).
pub fn add_files(
    mut records: Vec<places::Place>,
    files: &Files,
) -> anyhow::Result<Vec<places::Place>> {
    if let Some((name, text)) = &files.addresses {
        records.extend(checked(name, places::import::standard_addresses(text))?);
    }
    if let Some((name, text)) = &files.markers {
        records.extend(checked(name, places::import::markers(text))?);
    }
    if let Some((name, text)) = &files.aliases {
        records = checked(name, places::import::aliases(text, records))?;
    }
    Ok(records)
}

/// Reads a places file's records.
pub fn read_file(path: &std::path::Path) -> anyhow::Result<Vec<places::Place>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    places::file::read(&bytes).with_context(|| format!("{}", path.display()))
}

/// Reads a places file and builds its index.
fn load(path: &std::path::Path) -> anyhow::Result<Index> {
    Ok(Index::build(read_file(path)?))
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
