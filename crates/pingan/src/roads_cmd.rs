//! `pingan roads …`: build a road graph and query it from the command line.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use roads::{BuildOptions, BuildStage, Direction, Graph, IsochroneOptions, LatLon, Router, Snap};
use serde_json::json;

#[derive(Debug, Subcommand)]
pub enum RoadsCommand {
    /// Import an OpenStreetMap PBF extract and prepare it for fast queries.
    Build {
        /// The extract (`.osm.pbf`).
        input: PathBuf,
        /// Where to write the graph.
        #[arg(short, long)]
        output: PathBuf,
        /// Seconds added per traffic signal.
        #[arg(long, default_value_t = 2.0)]
        signal_delay: f64,
        /// Drop strongly connected road components with fewer junctions than this.
        #[arg(long, default_value_t = 500)]
        min_component: usize,
        /// Include `highway=track`.
        #[arg(long)]
        tracks: bool,
    },
    /// Fastest route between two points: prints `{"seconds", "meters"}`.
    Route {
        #[command(flatten)]
        graph: GraphArg,
        /// Start, `lat,lon`.
        #[arg(long, value_parser = parse_latlon, allow_hyphen_values = true)]
        from: LatLon,
        /// Destination, `lat,lon`.
        #[arg(long, value_parser = parse_latlon, allow_hyphen_values = true)]
        to: LatLon,
        /// Also print the route as GeoJSON LineString coordinates.
        #[arg(long)]
        geometry: bool,
    },
    /// Routes for each row of a CSV `from_lat,from_lon,to_lat,to_lon`; CSV out with `seconds,meters`.
    Table {
        #[command(flatten)]
        graph: GraphArg,
        /// The pairs CSV.
        #[arg(long)]
        pairs: PathBuf,
    },
    /// Many-to-many travel-time matrix: CSV of seconds, one row per source.
    Matrix {
        #[command(flatten)]
        graph: GraphArg,
        /// Sources CSV with header `lat,lon`.
        #[arg(long)]
        sources: PathBuf,
        /// Targets CSV with header `lat,lon`.
        #[arg(long)]
        targets: PathBuf,
        /// Leave cells over this many seconds empty (faster).
        #[arg(long)]
        max_seconds: Option<f64>,
    },
    /// Areas reachable within time limits, as GeoJSON.
    Isochrone {
        #[command(flatten)]
        graph: GraphArg,
        /// Origin `lat,lon`; repeat for several origins.
        #[arg(long = "at", value_parser = parse_latlon, allow_hyphen_values = true, required = true)]
        at: Vec<LatLon>,
        /// Limits in minutes.
        #[arg(long, value_delimiter = ',', default_value = "1,3,5")]
        minutes: Vec<f64>,
        /// From where the origin is reached (instead of where it reaches).
        #[arg(long)]
        reverse: bool,
        /// Raster cell in metres (default: from the reached extent).
        #[arg(long)]
        cell: Option<f64>,
    },
    /// Facts about a graph file: counts and load time.
    Info {
        #[command(flatten)]
        graph: GraphArg,
    },
}

#[derive(Debug, clap::Args)]
pub struct GraphArg {
    /// The graph file written by `pingan roads build`.
    #[arg(long = "graph")]
    path: PathBuf,
    /// Maximum distance in metres from a point to the road it snaps to.
    #[arg(long, default_value_t = roads::DEFAULT_MAX_SNAP_M)]
    max_snap: f64,
}

fn parse_latlon(s: &str) -> Result<LatLon, String> {
    let (a, b) = s
        .split_once(',')
        .ok_or_else(|| format!("expected `lat,lon`, got `{s}`"))?;
    let lat: f64 = a
        .trim()
        .parse()
        .map_err(|_| format!("latitude `{a}` is not a number"))?;
    let lon: f64 = b
        .trim()
        .parse()
        .map_err(|_| format!("longitude `{b}` is not a number"))?;
    let p = LatLon::new(lat, lon);
    if !p.is_valid() {
        return Err(format!(
            "`{s}` is out of range (latitude -90..90, longitude -180..180)"
        ));
    }
    Ok(p)
}

pub fn load_graph(path: &Path) -> Result<Graph> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read road graph {}", path.display()))?;
    Graph::from_bytes(&bytes).with_context(|| format!("cannot load road graph {}", path.display()))
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub fn run(cmd: RoadsCommand) -> Result<()> {
    match cmd {
        RoadsCommand::Build {
            input,
            output,
            signal_delay,
            min_component,
            tracks,
        } => build(&input, &output, signal_delay, min_component, tracks),
        RoadsCommand::Route {
            graph,
            from,
            to,
            geometry,
        } => {
            let g = load_graph(&graph.path)?;
            let s = g.snap(from, graph.max_snap).context("--from")?;
            let t = g.snap(to, graph.max_snap).context("--to")?;
            let mut router = Router::new(&g);
            let Some(route) = router.route(&s, &t, geometry) else {
                bail!(
                    "no route: the destination cannot be reached from the start on this road network"
                );
            };
            let mut out =
                json!({"seconds": round3(route.seconds()), "meters": round2(route.meters())});
            if let Some(line) = route.geometry {
                out["geometry"] = json!({"type": "LineString", "coordinates": line.iter().map(|p| json!([p.lon, p.lat])).collect::<Vec<_>>()});
            }
            println!("{out}");
            Ok(())
        }
        RoadsCommand::Table { graph, pairs } => table(&graph, &pairs),
        RoadsCommand::Matrix {
            graph,
            sources,
            targets,
            max_seconds,
        } => matrix(&graph, &sources, &targets, max_seconds),
        RoadsCommand::Isochrone {
            graph,
            at,
            minutes,
            reverse,
            cell,
        } => {
            if minutes.is_empty()
                || minutes
                    .iter()
                    .any(|m| !m.is_finite() || *m <= 0.0 || *m > 24.0 * 60.0)
            {
                bail!(
                    "--minutes: expected positive numbers of minutes (at most a day), e.g. 1,3,5"
                );
            }
            let g = load_graph(&graph.path)?;
            let origins: Vec<Snap> = at
                .iter()
                .map(|&p| {
                    g.snap(p, graph.max_snap)
                        .with_context(|| format!("--at {},{}", p.lat, p.lon))
                })
                .collect::<Result<_>>()?;
            let limits: Vec<u32> = minutes
                .iter()
                .map(|m| (m * 60_000.0).round() as u32)
                .collect();
            let options = IsochroneOptions {
                cell_m: cell,
                direction: if reverse {
                    Direction::Backward
                } else {
                    Direction::Forward
                },
            };
            let iso = roads::isochrones(&g, &origins, &limits, &options)?;
            println!("{}", roads::to_geojson(&iso));
            Ok(())
        }
        RoadsCommand::Info { graph } => {
            let t = Instant::now();
            let g = load_graph(&graph.path)?;
            let load = t.elapsed();
            let s = g.stats();
            println!(
                "{}",
                json!({
                    "nodes": s.nodes, "roads": s.roads, "directed_edges": s.directed_edges,
                    "hierarchy_edges": s.hierarchy_edges, "geometry_points": s.geometry_points,
                    "load_ms": round3(load.as_secs_f64() * 1000.0), "peak_rss_mib": peak_rss_mib().map(round2),
                })
            );
            Ok(())
        }
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn build(
    input: &Path,
    output: &Path,
    signal_delay: f64,
    min_component: usize,
    tracks: bool,
) -> Result<()> {
    let (_, summary) = build_graph(input, output, signal_delay, min_component, tracks)?;
    println!("{summary}");
    Ok(())
}

/// Imports `input`, prepares the graph, writes it to `output`; returns it and a summary.
pub fn build_graph(
    input: &Path,
    output: &Path,
    signal_delay: f64,
    min_component: usize,
    tracks: bool,
) -> Result<(Graph, serde_json::Value)> {
    let started = Instant::now();
    let profile = osm_import::Profile {
        signal_delay_s: signal_delay,
        allow_tracks: tracks,
        ..Default::default()
    };
    let spinner = ProgressBar::new_spinner().with_message(format!("reading {}", input.display()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let (network, import) = osm_import::import_pbf(input, &profile)?;
    spinner.finish_and_clear();
    let import_time = started.elapsed();
    eprintln!(
        "read {} ways: {} drivable, {} junctions, {} road pieces, {} traffic signals, {} turn restrictions (not honoured), {} missing nodes [{:.2} s]",
        import.ways,
        import.drivable_ways,
        network.nodes.len(),
        network.roads.len(),
        import.traffic_signals,
        import.turn_restrictions,
        import.missing_nodes,
        import_time.as_secs_f64()
    );
    let bar = ProgressBar::new(1);
    bar.set_style(
        ProgressStyle::with_template("{msg:>14} [{bar:40}] {pos}/{len} ({elapsed})")
            .expect("template")
            .progress_chars("=> "),
    );
    let prep = Instant::now();
    let (graph, report) = Graph::build(
        &network,
        &BuildOptions { min_component },
        &mut |stage, done, total| {
            let name = match stage {
                BuildStage::Components => "components",
                BuildStage::Contraction => "contraction",
                BuildStage::SpatialIndex => "spatial index",
            };
            bar.set_message(name);
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        },
    )?;
    bar.finish_and_clear();
    let prep_time = prep.elapsed();
    drop(network);
    let bytes = graph.to_bytes();
    std::fs::write(output, &bytes).with_context(|| format!("cannot write {}", output.display()))?;
    let s = graph.stats();
    eprintln!(
        "dropped {} junctions / {} roads in small components; {} shortcuts [{:.2} s]",
        report.dropped_nodes,
        report.dropped_roads,
        report.shortcuts,
        prep_time.as_secs_f64()
    );
    let summary = json!({
        "output": output.display().to_string(), "nodes": s.nodes, "roads": s.roads,
        "directed_edges": s.directed_edges, "hierarchy_edges": s.hierarchy_edges,
        "bytes": bytes.len(), "import_s": round3(import_time.as_secs_f64()),
        "preprocess_s": round3(prep_time.as_secs_f64()), "total_s": round3(started.elapsed().as_secs_f64()),
        "peak_rss_mib": peak_rss_mib().map(round2),
    });
    Ok((graph, summary))
}

/// Reads a CSV whose header must be exactly `expected`; yields (line number, fields).
pub(crate) fn read_csv(path: &Path, expected: &[&str]) -> Result<Vec<(u64, csv::StringRecord)>> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let header = rdr
        .headers()
        .with_context(|| format!("{}: cannot read the header", path.display()))?
        .clone();
    let got: Vec<&str> = header.iter().collect();
    if got != expected {
        bail!(
            "{}: line 1: expected header `{}`, got `{}`",
            path.display(),
            expected.join(","),
            got.join(",")
        );
    }
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.with_context(|| format!("{}: malformed CSV", path.display()))?;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.len() != expected.len() {
            bail!(
                "{}: line {line}: expected {} fields ({}), got {}",
                path.display(),
                expected.len(),
                expected.join(","),
                rec.len()
            );
        }
        rows.push((line, rec));
    }
    Ok(rows)
}

pub(crate) fn field_latlon(
    path: &Path,
    line: u64,
    rec: &csv::StringRecord,
    i: usize,
    names: [&str; 2],
) -> Result<LatLon> {
    let num = |k: usize| -> Result<f64> {
        rec[k]
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .with_context(|| {
                format!(
                    "{}: line {line}: field `{}` = `{}` is not a number",
                    path.display(),
                    names[k - i],
                    &rec[k]
                )
            })
    };
    let p = LatLon::new(num(i)?, num(i + 1)?);
    if !p.is_valid() {
        bail!(
            "{}: line {line}: `{},{}` is out of range (latitude -90..90, longitude -180..180)",
            path.display(),
            &rec[i],
            &rec[i + 1]
        );
    }
    Ok(p)
}

fn table(graph: &GraphArg, pairs: &Path) -> Result<()> {
    let header = ["from_lat", "from_lon", "to_lat", "to_lon"];
    let rows = read_csv(pairs, &header)?;
    let mut parsed = Vec::with_capacity(rows.len());
    for (line, rec) in &rows {
        let from = field_latlon(pairs, *line, rec, 0, ["from_lat", "from_lon"])?;
        let to = field_latlon(pairs, *line, rec, 2, ["to_lat", "to_lon"])?;
        parsed.push((*line, rec, from, to));
    }
    let g = load_graph(&graph.path)?;
    let mut router = Router::new(&g);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    writeln!(out, "from_lat,from_lon,to_lat,to_lon,seconds,meters")?;
    for (line, rec, from, to) in parsed {
        let echo = format!("{},{},{},{}", &rec[0], &rec[1], &rec[2], &rec[3]);
        let s = g.snap(from, graph.max_snap);
        let t = g.snap(to, graph.max_snap);
        let route = match (&s, &t) {
            (Ok(s), Ok(t)) => router.route(s, t, false),
            _ => None,
        };
        match route {
            Some(r) => writeln!(out, "{echo},{:.3},{:.2}", r.seconds(), r.meters())?,
            None => {
                let why = match (s, t) {
                    (Err(e), _) => format!("start: {e}"),
                    (_, Err(e)) => format!("destination: {e}"),
                    _ => "no route between the two points".to_string(),
                };
                eprintln!("warning: {}: line {line}: {why}", pairs.display());
                writeln!(out, "{echo},,")?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn snap_all(g: &Graph, path: &Path, max_snap: f64, what: &str) -> Result<Vec<Option<Snap>>> {
    let rows = read_csv(path, &["lat", "lon"])?;
    let mut out = Vec::with_capacity(rows.len());
    for (line, rec) in &rows {
        let p = field_latlon(path, *line, rec, 0, ["lat", "lon"])?;
        match g.snap(p, max_snap) {
            Ok(s) => out.push(Some(s)),
            Err(e) => {
                eprintln!(
                    "warning: {}: line {line}: {what} not on the road network: {e}",
                    path.display()
                );
                out.push(None);
            }
        }
    }
    Ok(out)
}

fn matrix(
    graph: &GraphArg,
    sources: &Path,
    targets: &Path,
    max_seconds: Option<f64>,
) -> Result<()> {
    let g = load_graph(&graph.path)?;
    let s = snap_all(&g, sources, graph.max_snap, "source")?;
    let t = snap_all(&g, targets, graph.max_snap, "target")?;
    let limit = max_seconds.map(|x| (x * 1000.0).round() as u32);
    let m = Router::new(&g).matrix(&s, &t, limit);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    write!(out, "source")?;
    for j in 0..t.len() {
        write!(out, ",t{j}")?;
    }
    writeln!(out)?;
    for i in 0..s.len() {
        write!(out, "s{i}")?;
        for j in 0..t.len() {
            let ms = m[i * t.len() + j];
            if ms == u32::MAX {
                write!(out, ",")?;
            } else {
                write!(out, ",{:.3}", ms as f64 / 1000.0)?;
            }
        }
        writeln!(out)?;
    }
    out.flush()?;
    Ok(())
}
