//! `pingan coverage evaluate|optimise`: coverage planning from the command line.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use roads::{Graph, Snap};
use serde_json::{Value, json};

use crate::roads_cmd::{field_latlon, load_graph, read_csv};

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// One JSON object.
    Json,
    /// A readable table.
    Table,
    /// GeoJSON: chosen sites and demand points with their best tier.
    Geojson,
}

#[derive(Debug, Args)]
pub struct Common {
    /// The road graph (`pingan roads build`).
    #[arg(long)]
    graph: PathBuf,
    /// Demand points: CSV with header `lat,lon,weight`.
    #[arg(long)]
    demand: PathBuf,
    /// Response tiers in minutes, increasing.
    #[arg(long, default_value = "1,3,5", value_delimiter = ',')]
    minutes: Vec<f64>,
    /// Weight of each tier in the objective (default 4,2,1 for three tiers: powers of two).
    #[arg(long, value_delimiter = ',', conflicts_with = "lexicographic")]
    weights: Option<Vec<f64>>,
    /// Tiers in strict order: the most demand within the first tier, then within the second, ...
    #[arg(long)]
    lexicographic: bool,
    /// Maximum distance in metres from a point to the road it snaps to.
    #[arg(long, default_value_t = roads::DEFAULT_MAX_SNAP_M)]
    max_snap: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
}

#[derive(Debug, Subcommand)]
pub enum CoverageCommand {
    /// Score a plan: demand weight reached within each tier, backup coverage, uncovered places.
    Evaluate {
        #[command(flatten)]
        common: Common,
        /// The plan's sites: CSV with header `lat,lon` (or GeoJSON points).
        #[arg(long)]
        sites: PathBuf,
        /// A second plan to compare with, side by side.
        #[arg(long)]
        compare: Option<PathBuf>,
    },
    /// Choose k sites among candidates to reach the most demand within the tiers.
    Optimise {
        #[command(flatten)]
        common: Common,
        /// Candidate sites: CSV with header `lat,lon`.
        #[arg(long)]
        candidates: PathBuf,
        /// Number of sites to choose.
        #[arg(long)]
        k: usize,
        /// Candidate row indices (0-based) that must be chosen.
        #[arg(long, value_delimiter = ',')]
        fixed: Vec<u32>,
        /// Solve the integer program exactly (small instances).
        #[arg(long)]
        exact: bool,
        /// Also reward backup coverage: this weight per unit of demand reached by two or more sites within the last tier.
        #[arg(long, default_value_t = 0.0)]
        backup: f64,
        /// Also write the model (coverage sets, weights, k) as JSON, for other solvers.
        #[arg(long)]
        write_model: Option<PathBuf>,
    },
    /// Candidate sites on the road network: the junction nearest each grid cell's centre.
    Candidates {
        /// The road graph.
        #[arg(long)]
        graph: PathBuf,
        /// Grid cell size in metres.
        #[arg(long, default_value_t = 500.0)]
        grid_m: f64,
    },
    /// Random demand points on the road network (for experiments and benchmarks).
    Sample {
        /// The road graph.
        #[arg(long)]
        graph: PathBuf,
        /// How many points.
        #[arg(long)]
        n: usize,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write `lat,lon` only (candidate lists) instead of `lat,lon,weight`.
        #[arg(long)]
        no_weight: bool,
    },
}

/// Points from a GeoJSON FeatureCollection of Points (property `weight`, default 1).
fn geojson_rows(g: &Graph, path: &Path, max_snap: f64) -> Result<Vec<(Snap, f64)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    let features = doc["features"]
        .as_array()
        .with_context(|| format!("{}: expected a GeoJSON FeatureCollection", path.display()))?;
    let mut out = Vec::with_capacity(features.len());
    for (n, f) in features.iter().enumerate() {
        let c = &f["geometry"]["coordinates"];
        let (Some(lon), Some(lat)) = (c[0].as_f64(), c[1].as_f64()) else {
            bail!(
                "{}: features[{n}]: expected a Point geometry with [lon, lat] coordinates",
                path.display()
            );
        };
        let weight = match &f["properties"]["weight"] {
            Value::Null => 1.0,
            w => w
                .as_f64()
                .filter(|w| w.is_finite() && *w >= 0.0)
                .with_context(|| {
                    format!(
                        "{}: features[{n}].properties.weight: expected a non-negative number",
                        path.display()
                    )
                })?,
        };
        let p = roads::LatLon::new(lat, lon);
        if !p.is_valid() {
            bail!(
                "{}: features[{n}]: coordinates out of range",
                path.display()
            );
        }
        let s = g
            .snap(p, max_snap)
            .with_context(|| format!("{}: features[{n}]", path.display()))?;
        out.push((s, weight));
    }
    if out.is_empty() {
        bail!("{}: no features", path.display());
    }
    Ok(out)
}

fn snap_rows(g: &Graph, path: &Path, header: &[&str], max_snap: f64) -> Result<Vec<(Snap, f64)>> {
    if path
        .extension()
        .is_some_and(|e| e == "geojson" || e == "json")
    {
        return geojson_rows(g, path, max_snap);
    }
    let rows = read_csv(path, header)?;
    if rows.is_empty() {
        bail!("{}: no rows after the header", path.display());
    }
    let mut out = Vec::with_capacity(rows.len());
    for (line, rec) in &rows {
        let p = field_latlon(path, *line, rec, 0, ["lat", "lon"])?;
        let weight = if header.len() == 3 {
            let w: f64 = rec[2]
                .parse()
                .ok()
                .filter(|w: &f64| w.is_finite() && *w >= 0.0)
                .with_context(|| {
                    format!(
                        "{}: line {line}: field `weight` = `{}` is not a non-negative number",
                        path.display(),
                        &rec[2]
                    )
                })?;
            w
        } else {
            1.0
        };
        let s = g
            .snap(p, max_snap)
            .with_context(|| format!("{}: line {line}", path.display()))?;
        out.push((s, weight));
    }
    Ok(out)
}

fn minute_key(m: f64) -> String {
    if m.fract() == 0.0 {
        format!("{}", m as i64)
    } else {
        format!("{m}")
    }
}

/// The graph, the demand points with their weights, the candidate sites and
/// the minutes asked for.
type Setup = (Graph, Vec<(Snap, f64)>, Vec<u32>, Vec<f64>);

fn setup(c: &Common) -> Result<Setup> {
    if c.minutes.is_empty()
        || c.minutes.iter().any(|m| !(m.is_finite() && *m > 0.0))
        || c.minutes.windows(2).any(|w| w[0] >= w[1])
    {
        bail!("--minutes: give increasing positive minutes, e.g. 1,3,5");
    }
    let tier_s: Vec<u32> = c
        .minutes
        .iter()
        .map(|m| (m * 60.0).round() as u32)
        .collect();
    let weights = match &c.weights {
        Some(w) if w.len() != tier_s.len() => bail!(
            "--weights: give {} weights, one per tier in --minutes",
            tier_s.len()
        ),
        Some(w) => w.clone(),
        None => coverage::Options::new(1, tier_s.len()).tier_weights,
    };
    let g = load_graph(&c.graph)?;
    let demand = snap_rows(&g, &c.demand, &["lat", "lon", "weight"], c.max_snap)?;
    let weights = if c.lexicographic {
        // Each tier outweighs everything after it: base above the total demand weight.
        let base = demand.iter().map(|d| d.1).sum::<f64>() + 1.0;
        (0..tier_s.len())
            .map(|t| base.powi((tier_s.len() - 1 - t) as i32))
            .collect()
    } else {
        weights
    };
    Ok((g, demand, tier_s, weights))
}

fn covered_json(c: &Common, e: &coverage::Evaluation) -> Value {
    let mut covered = serde_json::Map::new();
    for (m, w) in c.minutes.iter().zip(&e.covered) {
        covered.insert(minute_key(*m), json!(w));
    }
    Value::Object(covered)
}

fn print(
    c: &Common,
    out: Value,
    e: &coverage::Evaluation,
    sites: &[(Snap, f64)],
    chosen: &[u32],
    demand: &[(Snap, f64)],
) {
    match c.format {
        Format::Json => println!("{out}"),
        Format::Table => {
            println!("{:<12} {:>14} {:>8}", "within", "demand weight", "share");
            for (m, w) in c.minutes.iter().zip(&e.covered) {
                println!(
                    "{:<12} {:>14.1} {:>7.2}%",
                    format!("{} min", minute_key(*m)),
                    w,
                    100.0 * w / e.total_weight.max(1e-12)
                );
            }
            println!("{:<12} {:>14.1}", "total", e.total_weight);
            println!(
                "{:<12} {:>14.1} {:>7.2}%",
                "backup",
                e.backup,
                100.0 * e.backup / e.total_weight.max(1e-12)
            );
            println!("uncovered places: {}", e.uncovered().count());
            for (k, v) in out.as_object().into_iter().flatten() {
                if !matches!(
                    k.as_str(),
                    "covered" | "total_weight" | "chosen" | "uncovered"
                ) {
                    println!("{k}: {v}");
                }
            }
            println!(
                "sites: {}",
                chosen
                    .iter()
                    .map(|j| j.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            );
        }
        Format::Geojson => {
            let mut features: Vec<Value> = chosen
                .iter()
                .map(|j| {
                    let p = sites[*j as usize].0.point;
                    json!({"type": "Feature", "properties": {"kind": "site", "index": j}, "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]}})
                })
                .collect();
            for (i, (s, w)) in demand.iter().enumerate() {
                let b = e.best_tier[i] as usize;
                let within = c.minutes.get(b).map(|m| json!(m)).unwrap_or(Value::Null);
                features.push(json!({"type": "Feature", "properties": {"kind": "demand", "index": i, "weight": w, "within_minutes": within},
                    "geometry": {"type": "Point", "coordinates": [s.point.lon, s.point.lat]}}));
            }
            println!(
                "{}",
                json!({"type": "FeatureCollection", "features": features})
            );
        }
    }
}

pub fn run(cmd: CoverageCommand) -> Result<()> {
    match cmd {
        CoverageCommand::Candidates { graph, grid_m } => {
            if !(grid_m.is_finite() && grid_m >= 10.0) {
                bail!("--grid-m: give a cell size of at least 10 metres");
            }
            let g = load_graph(&graph)?;
            let proj = g.projection();
            let mut best: std::collections::HashMap<(i64, i64), (f64, u32)> =
                std::collections::HashMap::new();
            for v in 0..g.stats().nodes as u32 {
                let [x, y] = proj.to_xy(g.node(v));
                let cell = ((x / grid_m).floor() as i64, (y / grid_m).floor() as i64);
                let centre = (
                    (cell.0 as f64 + 0.5) * grid_m,
                    (cell.1 as f64 + 0.5) * grid_m,
                );
                let d = (x - centre.0).powi(2) + (y - centre.1).powi(2);
                let e = best.entry(cell).or_insert((f64::MAX, v));
                if d < e.0 {
                    *e = (d, v);
                }
            }
            let mut cells: Vec<_> = best.into_iter().collect();
            cells.sort_by_key(|(cell, _)| *cell);
            println!("lat,lon");
            for (_, (_, v)) in cells {
                let p = g.node(v);
                println!("{:.6},{:.6}", p.lat, p.lon);
            }
        }
        CoverageCommand::Sample {
            graph,
            n,
            seed,
            no_weight,
        } => {
            let g = load_graph(&graph)?;
            let mut rng = citygen::Rng::new(seed);
            let nodes = g.stats().nodes;
            println!(
                "{}",
                if no_weight {
                    "lat,lon"
                } else {
                    "lat,lon,weight"
                }
            );
            for _ in 0..n {
                let p = g.node(rng.below(nodes) as u32);
                if no_weight {
                    println!("{:.6},{:.6}", p.lat, p.lon);
                } else {
                    println!("{:.6},{:.6},{}", p.lat, p.lon, 1 + rng.below(10));
                }
            }
        }
        CoverageCommand::Evaluate {
            common,
            sites,
            compare,
        } => {
            let (g, demand, tier_s, weights) = setup(&common)?;
            let started = Instant::now();
            let mut plans = Vec::new();
            for path in std::iter::once(&sites).chain(compare.as_ref()) {
                let site_snaps = snap_rows(&g, path, &["lat", "lon"], common.max_snap)?;
                let snaps: Vec<Snap> = site_snaps.iter().map(|s| s.0).collect();
                let p = coverage::Problem::build(&g, &snaps, &demand, &tier_s)?;
                let all: Vec<u32> = (0..snaps.len() as u32).collect();
                let e = coverage::evaluate(&p, &all, &weights);
                plans.push((site_snaps, all, e));
            }
            let summary = |e: &coverage::Evaluation| json!({"covered": covered_json(&common, e), "total_weight": e.total_weight, "backup": e.backup, "score": e.score, "uncovered": e.uncovered().collect::<Vec<_>>()});
            let mut out = summary(&plans[0].2);
            out["seconds"] = json!(started.elapsed().as_secs_f64());
            if let Some((_, _, e2)) = plans.get(1) {
                out["compare"] = summary(e2);
                let delta: serde_json::Map<String, Value> = common
                    .minutes
                    .iter()
                    .zip(plans[0].2.covered.iter().zip(&e2.covered))
                    .map(|(m, (a, b))| (minute_key(*m), json!(b - a)))
                    .collect();
                out["compare"]["covered_change"] = Value::Object(delta);
            }
            let (site_snaps, all, e) = &plans[0];
            print(&common, out, e, site_snaps, all, &demand);
        }
        CoverageCommand::Optimise {
            common,
            candidates,
            k,
            fixed,
            exact,
            write_model,
            backup,
        } => {
            let (g, demand, tier_s, weights) = setup(&common)?;
            let cand = snap_rows(&g, &candidates, &["lat", "lon"], common.max_snap)?;
            if let Some(bad) = fixed.iter().find(|j| **j as usize >= cand.len()) {
                bail!(
                    "--fixed: candidate row {bad} does not exist ({} candidates, rows 0..{})",
                    cand.len(),
                    cand.len()
                );
            }
            let started = Instant::now();
            let snaps: Vec<Snap> = cand.iter().map(|s| s.0).collect();
            let p = coverage::Problem::build(&g, &snaps, &demand, &tier_s)?;
            let built = started.elapsed().as_secs_f64();
            let mut o = coverage::Options::new(k, tier_s.len());
            o.tier_weights = weights;
            o.fixed = fixed;
            if !(backup.is_finite() && backup >= 0.0) {
                bail!("--backup: give a non-negative weight");
            }
            o.backup_weight = backup;
            if let Some(path) = &write_model {
                let model = json!({"k": k, "weights": p.weights, "tier_weights": o.tier_weights, "fixed": o.fixed,
                    "cover": p.cover.iter().map(|l| l.iter().map(|(i, t)| [*i, u32::from(*t)]).collect::<Vec<_>>()).collect::<Vec<_>>()});
                std::fs::write(path, model.to_string())
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            let sol = if exact {
                coverage::optimise_exact(&p, &o)?
            } else {
                coverage::optimise(&p, &o)?
            };
            let e = &sol.evaluation;
            let out = json!({
                "chosen": sol.chosen, "covered": covered_json(&common, e), "total_weight": e.total_weight,
                "score": e.score, "upper_bound": sol.upper_bound, "proven_ratio": sol.proven_ratio(), "optimal": sol.optimal,
                "greedy_score": if sol.greedy_score.is_finite() { json!(sol.greedy_score) } else { Value::Null },
                "swaps": sol.swaps, "backup": e.backup, "uncovered": e.uncovered().count(),
                "build_seconds": built, "seconds": started.elapsed().as_secs_f64(), "method": if exact { "exact (integer program)" } else { "greedy + swap, Lagrangian bound" },
            });
            print(&common, out, e, &cand, &sol.chosen, &demand);
        }
    }
    Ok(())
}
