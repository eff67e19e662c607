//! `pingan analyze …`: the analysts' toolkit on CSV files. Every command
//! prints JSON (or GeoJSON) to stdout.

use std::fs::File;
use std::path::{Path, PathBuf};

use analysis::hotspot::{self, Grid, Transform};
use analysis::knox::{KnoxParams, Metric};
use analysis::records::{ColumnMap, DateOrder, ImportOptions, import_csv};
use analysis::{AnalysisError, Dataset};
use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

#[derive(Debug, Subcommand)]
pub enum AnalyzeCommand {
    /// Read a CSV of incidents/cases and report what was read (or which rows are bad).
    Import {
        #[command(flatten)]
        input: InputArgs,
        /// Also print every record as JSON.
        #[arg(long)]
        records: bool,
    },
    /// Knox near-repeat test in the layout of the Near Repeat Calculator.
    Knox {
        #[command(flatten)]
        input: InputArgs,
        /// Width of a space band, metres.
        #[arg(long)]
        space_band: f64,
        /// Number of space bands (a "same location" row and a "more than" row are added).
        #[arg(long)]
        space_bands: usize,
        /// Width of a time band, days.
        #[arg(long)]
        time_band: u32,
        /// Number of time bands (a "more than" column is added).
        #[arg(long)]
        time_bands: usize,
        /// Monte-Carlo permutations.
        #[arg(long, default_value_t = 999)]
        permutations: usize,
        /// Seed of the permutations.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Distance: manhattan (the calculator's default) or euclidean.
        #[arg(long, value_enum, default_value_t = MetricArg::Manhattan)]
        metric: MetricArg,
    },
    /// Getis-Ord Gi* on a square grid: GeoJSON, one feature per cell.
    Gistar {
        #[command(flatten)]
        input: InputArgs,
        /// Cell size, metres.
        #[arg(long)]
        cell: f64,
        /// Only cells with a q-value (Benjamini-Hochberg) at most this.
        #[arg(long)]
        max_q: Option<f64>,
    },
    /// Hotspot counts: grid (with kernel density and Gi*), H3 hexagons, or road segments.
    Hotspots {
        #[command(flatten)]
        input: InputArgs,
        /// grid, h3 or segments.
        #[arg(long, value_enum, default_value_t = HotspotBy::Grid)]
        by: HotspotBy,
        /// Grid cell size, metres.
        #[arg(long, default_value_t = 250.0)]
        cell: f64,
        /// Kernel bandwidth, metres (grid only).
        #[arg(long, default_value_t = 400.0)]
        bandwidth: f64,
        /// H3 resolution (h3 only).
        #[arg(long, default_value_t = 9)]
        resolution: u8,
        /// Road graph (segments only; needs lat/lon input).
        #[arg(long)]
        graph: Option<PathBuf>,
        /// geojson or table (JSON rows).
        #[arg(long, value_enum, default_value_t = Format::Geojson)]
        format: Format,
        /// Only the top N cells/segments.
        #[arg(long)]
        top: Option<usize>,
    },
    /// Case linkage: learn from solved cases, evaluate on held-out offenders (split by offender).
    LinkageEval {
        /// Cases: crime_id,x,y,time_from,time_to[,attribute columns…] (or date instead of the window).
        #[arg(long)]
        crimes: PathBuf,
        /// Offender-case rows: offender_id,crime_id.
        #[arg(long)]
        offenders: PathBuf,
        /// Seed of the split.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Case linkage: candidate series among unsolved cases, and for one case its most similar cases, series and known offenders.
    Linkage {
        /// Cases (as for linkage-eval).
        #[arg(long)]
        crimes: PathBuf,
        /// Offender-case rows of the solved cases.
        #[arg(long)]
        offenders: PathBuf,
        /// The case to look up.
        #[arg(long)]
        case: Option<String>,
        /// Probability at which cases join a series.
        #[arg(long, default_value_t = 0.5)]
        threshold: f64,
        /// Pairs farther apart than this are not scored (metres).
        #[arg(long, default_value_t = 10_000.0)]
        max_distance: f64,
        /// Pairs further apart in time are not scored (days).
        #[arg(long, default_value_t = 365.0)]
        max_gap_days: f64,
        /// How many similar cases to list.
        #[arg(long, default_value_t = 10)]
        top: usize,
    },
    /// Rolling weekly forecasts (naive, retrospective, prospective, ETAS) scored by hit rate and PAI at 1/5/10/20% of the area.
    ForecastEval {
        #[command(flatten)]
        input: InputArgs,
        /// Cell size, metres.
        #[arg(long)]
        cell: f64,
        /// First forecast week starts on this date (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// Number of weeks.
        #[arg(long)]
        weeks: usize,
        /// Retrospective kernel bandwidth, metres (default 1.5 cells).
        #[arg(long)]
        bandwidth: Option<f64>,
    },
    /// Trends: counts by kind, venue type or area, period on period and year on year, with significance; hour x weekday.
    Trends {
        #[command(flatten)]
        input: InputArgs,
        /// Period: YYYY-MM, YYYY, YYYY-MM-DD or FROM..TO.
        #[arg(long)]
        period: String,
        /// kind, venue, area or all.
        #[arg(long, default_value = "kind")]
        by: String,
    },
    /// Time one core computation (input already read), best of --repeat runs, with a digest of its result, for scripts/bench-analysis.
    Bench {
        /// gistar, knox, linkage or forecast.
        what: String,
        #[command(flatten)]
        input: InputArgs,
        /// Runs; the best is reported.
        #[arg(long, default_value_t = 5)]
        repeat: usize,
        /// Grid cell (gistar, forecast), metres.
        #[arg(long, default_value_t = 100.0)]
        cell: f64,
        /// Knox: space band, metres.
        #[arg(long, default_value_t = 100.0)]
        space_band: f64,
        /// Knox: space bands.
        #[arg(long, default_value_t = 3)]
        space_bands: usize,
        /// Knox: time band, days.
        #[arg(long, default_value_t = 2)]
        time_band: u32,
        /// Knox: time bands.
        #[arg(long, default_value_t = 2)]
        time_bands: usize,
        /// Knox: permutations.
        #[arg(long, default_value_t = 999)]
        permutations: usize,
        /// Knox: metric.
        #[arg(long, value_enum, default_value_t = MetricArg::Euclidean)]
        metric: MetricArg,
        /// Linkage: solved cases to learn from.
        #[arg(long)]
        train_crimes: Option<PathBuf>,
        /// Linkage: their offenders.
        #[arg(long)]
        train_offenders: Option<PathBuf>,
        /// Linkage: write the learned tables here (JSON) for a peer to reuse.
        #[arg(long)]
        model_out: Option<PathBuf>,
        /// Linkage: pruning distance, metres.
        #[arg(long, default_value_t = 1000.0)]
        max_distance: f64,
        /// Linkage: pruning gap, days.
        #[arg(long, default_value_t = 30.0)]
        max_gap_days: f64,
        /// Forecast: first week.
        #[arg(long, default_value = "2016-01-04")]
        from: String,
        /// Forecast: weeks.
        #[arg(long, default_value_t = 52)]
        weeks: usize,
    },
    /// Global Moran's I of grid counts (queen contiguity).
    Moran {
        #[command(flatten)]
        input: InputArgs,
        /// Cell size, metres.
        #[arg(long)]
        cell: f64,
        /// Weights: r (row-standardised) or b (binary).
        #[arg(long, default_value = "r")]
        transform: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MetricArg {
    Manhattan,
    Euclidean,
}

impl From<MetricArg> for Metric {
    fn from(m: MetricArg) -> Metric {
        match m {
            MetricArg::Manhattan => Metric::Manhattan,
            MetricArg::Euclidean => Metric::Euclidean,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq)]
pub enum HotspotBy {
    Grid,
    H3,
    Segments,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq)]
pub enum Format {
    Geojson,
    Table,
}

/// Where records come from and how their columns map.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// CSV file (header guessed: id, x/y or lat/lon, date or time_from/time_to, kind, venue, area; a file without a header is x,y,date).
    #[arg(long)]
    pub input: PathBuf,
    /// Column mapping, e.g. `--map x=X --map date=date_single --map kind="Primary Type"`
    /// (fields: id x y lat lon date from to kind venue area attrs, attrs as a comma list).
    #[arg(long = "map", value_name = "FIELD=COLUMN")]
    pub map: Vec<String>,
    /// Slash dates: auto, dmy or mdy.
    #[arg(long, default_value = "auto")]
    pub date_order: String,
    /// Import the good rows and report the bad ones instead of failing.
    #[arg(long)]
    pub skip_bad: bool,
    /// Only records on or after this date (YYYY-MM-DD).
    #[arg(long)]
    pub since: Option<String>,
    /// Only records before this date (YYYY-MM-DD).
    #[arg(long)]
    pub until: Option<String>,
    /// Only records of this kind.
    #[arg(long)]
    pub kind: Option<String>,
}

pub fn column_map(pairs: &[String]) -> anyhow::Result<ColumnMap> {
    let mut m = ColumnMap::default();
    for p in pairs {
        let Some((field, raw)) = p.split_once('=') else {
            bail!("--map {p:?}: expected FIELD=COLUMN");
        };
        let col = Some(raw.to_string());
        match field {
            "id" => m.id = col,
            "x" => m.x = col,
            "y" => m.y = col,
            "lat" => m.lat = col,
            "lon" => m.lon = col,
            "date" => m.date = col,
            "from" | "time_from" => m.from = col,
            "to" | "time_to" => m.to = col,
            "kind" => m.kind = col,
            "venue" => m.venue = col,
            "area" => m.area = col,
            "attrs" => {
                m.attrs = Some(
                    raw.split(',')
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect(),
                )
            }
            other => bail!(
                "--map {p:?}: unknown field {other:?}; fields are id x y lat lon date from to kind venue area attrs"
            ),
        }
    }
    Ok(m)
}

pub fn date_order(s: &str) -> anyhow::Result<DateOrder> {
    Ok(match s {
        "auto" => DateOrder::Auto,
        "dmy" => DateOrder::DayFirst,
        "mdy" => DateOrder::MonthFirst,
        other => bail!("--date-order {other:?}: expected auto, dmy or mdy"),
    })
}

/// Read a CSV with the usual options; bad rows are reported on stderr when skipped.
pub fn read_dataset(path: &Path, opts: &ImportOptions) -> anyhow::Result<Dataset> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let imported = import_csv(std::io::BufReader::new(file), opts).map_err(|e| match e {
        AnalysisError::Rows(rows) => {
            let mut msg = format!(
                "{}: {} bad row(s), nothing imported (use --skip-bad to import the good rows):",
                path.display(),
                rows.len()
            );
            for r in rows.iter().take(20) {
                msg.push_str(&format!("\n  {r}"));
            }
            if rows.len() > 20 {
                msg.push_str(&format!("\n  … and {} more", rows.len() - 20));
            }
            anyhow::anyhow!(msg)
        }
        other => anyhow::anyhow!("{}: {other}", path.display()),
    })?;
    for r in imported.rejected.iter().take(20) {
        eprintln!("skipped: {r}");
    }
    if imported.rejected.len() > 20 {
        eprintln!("skipped: … and {} more", imported.rejected.len() - 20);
    }
    Ok(imported.data)
}

impl InputArgs {
    pub fn load(&self) -> anyhow::Result<(Dataset, usize)> {
        let opts = ImportOptions {
            map: column_map(&self.map)?,
            skip_bad: self.skip_bad,
            date_order: date_order(&self.date_order)?,
            header: None,
        };
        let mut data = read_dataset(&self.input, &opts)?;
        let read = data.records.len();
        let since = self
            .since
            .as_deref()
            .map(|s| day_arg(s, "--since"))
            .transpose()?;
        let until = self
            .until
            .as_deref()
            .map(|s| day_arg(s, "--until"))
            .transpose()?;
        data.records.retain(|r| {
            since.is_none_or(|s| r.day() >= s)
                && until.is_none_or(|u| r.day() < u)
                && self
                    .kind
                    .as_ref()
                    .is_none_or(|k| r.kind.as_deref() == Some(k.as_str()))
        });
        Ok((data, read))
    }
}

/// A date flag as a day number (days since 1970-01-01).
fn day_arg(s: &str, flag: &str) -> anyhow::Result<i64> {
    analysis::records::parse_time(s, DateOrder::Auto)
        .map(|t| t.0.div_euclid(analysis::records::DAY))
        .map_err(|e| anyhow::anyhow!("{flag}: {e}"))
}

fn print(v: &Value) -> anyhow::Result<()> {
    use std::io::Write;
    let text = serde_json::to_string(v)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    Ok(())
}

fn finite(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { Value::Null }
}

pub fn run(cmd: AnalyzeCommand) -> anyhow::Result<()> {
    match cmd {
        AnalyzeCommand::Import { input, records } => {
            let (data, read) = input.load()?;
            let mut v = summary(&data);
            v["read"] = json!(read);
            if records {
                v["records"] = data
                    .records
                    .iter()
                    .map(|r| {
                        json!({"id": r.id, "x": r.x, "y": r.y, "from": r.from, "to": r.to,
                               "kind": r.kind, "venue": r.venue, "area": r.area, "attrs": r.attrs})
                    })
                    .collect();
            }
            print(&v)
        }
        AnalyzeCommand::Knox {
            input,
            space_band,
            space_bands,
            time_band,
            time_bands,
            permutations,
            seed,
            metric,
        } => {
            let (data, _) = input.load()?;
            let xy = data.xy();
            let days = data.days();
            let params = KnoxParams {
                space_band,
                space_bands,
                time_band,
                time_bands,
                permutations,
                seed,
                metric: metric.into(),
            };
            let r = analysis::knox::knox(&xy, &days, &params)?;
            let mut v = serde_json::to_value(&r)?;
            v["parameters"] = json!({
                "space_band": space_band, "space_bands": space_bands, "time_band": time_band,
                "time_bands": time_bands, "permutations": permutations, "seed": seed,
                "metric": format!("{metric:?}").to_lowercase(),
            });
            print(&v)
        }
        AnalyzeCommand::Gistar { input, cell, max_q } => {
            let (data, _) = input.load()?;
            let xy = data.xy();
            let g = Grid::bin(&xy, cell)?;
            let gi = hotspot::gistar(&g);
            let features: Vec<Value> = (0..g.counts.len())
                .filter(|&i| max_q.is_none_or(|m| gi[i].q <= m))
                .map(|i| {
                    let (cx, cy) = g.centre(i);
                    cell_feature(
                        &g,
                        &data,
                        i,
                        json!({
                            "x": cx, "y": cy, "count": g.counts[i], "z": finite(gi[i].z),
                            "p": finite(gi[i].p), "q": finite(gi[i].q),
                            "row": i / g.nx, "col": i % g.nx,
                        }),
                    )
                })
                .collect();
            print(&json!({
                "type": "FeatureCollection",
                "features": features,
                "grid": {"cell": cell, "x0": g.x0, "y0": g.y0, "nx": g.nx, "ny": g.ny},
                "weights": "queen contiguity, cell itself included, binary",
                "p": "two-sided normal; q = Benjamini-Hochberg over all cells",
            }))
        }
        AnalyzeCommand::LinkageEval {
            crimes,
            offenders,
            seed,
        } => {
            let (cases, solved) = linkage_inputs(&crimes, &offenders)?;
            let (ev, _) =
                analysis::linkage::evaluate(&cases.records, &solved, &cases.attr_names, seed)?;
            let mut v = serde_json::to_value(&ev)?;
            v["seed"] = json!(seed);
            v["attributes"] = json!(cases.attr_names);
            print(&v)
        }
        AnalyzeCommand::Linkage {
            crimes,
            offenders,
            case,
            threshold,
            max_distance,
            max_gap_days,
            top,
        } => {
            let (cases, solved) = linkage_inputs(&crimes, &offenders)?;
            linkage_report(
                &cases,
                &solved,
                case.as_deref(),
                threshold,
                max_distance,
                max_gap_days,
                top,
            )
        }
        AnalyzeCommand::ForecastEval {
            input,
            cell,
            from,
            weeks,
            bandwidth,
        } => {
            let (data, _) = input.load()?;
            let from_day = day_arg(&from, "--from")?;
            let xy = data.xy();
            let days = data.days();
            let params = analysis::forecast::ForecastParams {
                cell,
                from_day,
                weeks,
                bandwidth: bandwidth.unwrap_or(1.5 * cell),
            };
            let ev = analysis::forecast::evaluate(&xy, &days, &params)?;
            print(&serde_json::to_value(&ev)?)
        }
        AnalyzeCommand::Trends { input, period, by } => {
            use analysis::trends::{GroupBy, Period, compare, hour_by_weekday};
            let (data, _) = input.load()?;
            let p = Period::parse(&period)?;
            let g = match by.as_str() {
                "kind" => GroupBy::Kind,
                "venue" => GroupBy::Venue,
                "area" => GroupBy::Area,
                "all" => GroupBy::All,
                other => bail!("--by {other:?}: expected kind, venue, area or all"),
            };
            let prev = p.previous();
            let year = p.year_before();
            print(&json!({
                "period": p.label(),
                "previous_period": prev.label(),
                "year_before": year.label(),
                "period_on_period": compare(&data.records, g, p, prev),
                "year_on_year": compare(&data.records, g, p, year),
                "hour_by_weekday": hour_by_weekday(&data.records, p).iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
                "note": "change_pct is per day; p_value: two Poisson counts, conditional binomial test",
            }))
        }
        AnalyzeCommand::Bench {
            what,
            input,
            repeat,
            cell,
            space_band,
            space_bands,
            time_band,
            time_bands,
            permutations,
            metric,
            train_crimes,
            train_offenders,
            model_out,
            max_distance,
            max_gap_days,
            from,
            weeks,
        } => {
            let (data, _) = input.load()?;
            let xy = data.xy();
            let days = data.days();
            let best = |f: &mut dyn FnMut() -> Value| -> (f64, Value) {
                let mut best = f64::MAX;
                let mut out = Value::Null;
                for _ in 0..repeat.max(1) {
                    let t = std::time::Instant::now();
                    out = f();
                    best = best.min(t.elapsed().as_secs_f64());
                }
                (best, out)
            };
            let (seconds, digest) = match what.as_str() {
                "gistar" => best(&mut || {
                    let g = Grid::bin(&xy, cell).expect("grid");
                    let gi = hotspot::gistar(&g);
                    let z: Vec<f64> = gi.iter().map(|c| c.z).filter(|z| z.is_finite()).collect();
                    json!({"cells": g.counts.len(), "sum_z": z.iter().sum::<f64>(),
                           "sum_abs_z": z.iter().map(|v| v.abs()).sum::<f64>(),
                           "max_z": z.iter().cloned().fold(f64::MIN, f64::max)})
                }),
                "knox" => {
                    let p = KnoxParams {
                        space_band,
                        space_bands,
                        time_band,
                        time_bands,
                        permutations,
                        seed: 1,
                        metric: metric.into(),
                    };
                    best(&mut || {
                        let r = analysis::knox::knox(&xy, &days, &p).expect("knox");
                        json!({"observed": r.observed, "near_pairs": r.near_pairs})
                    })
                }
                "linkage" => {
                    let (Some(tc), Some(to)) = (&train_crimes, &train_offenders) else {
                        bail!("bench linkage needs --train-crimes and --train-offenders");
                    };
                    let (train, solved) = linkage_inputs(tc, to)?;
                    if train.attr_names != data.attr_names {
                        bail!(
                            "training attributes {:?} differ from the input's {:?}",
                            train.attr_names,
                            data.attr_names
                        );
                    }
                    let model =
                        analysis::linkage::fit_all(&train.records, &solved, &train.attr_names)?;
                    if let Some(out) = &model_out {
                        std::fs::write(out, serde_json::to_string(&model.tables())?)?;
                    }
                    best(&mut || {
                        let s = analysis::linkage::score_pairs(
                            &model,
                            &data.records,
                            max_distance,
                            max_gap_days,
                        );
                        json!({"pairs": s.len(), "sum_score": s.iter().map(|p| p.2).sum::<f64>(),
                               "max_score": s.iter().map(|p| p.2).fold(f64::MIN, f64::max)})
                    })
                }
                "forecast" => {
                    let from_day = day_arg(&from, "--from")?;
                    let p = analysis::forecast::ForecastParams {
                        cell,
                        from_day,
                        weeks,
                        bandwidth: 1.5 * cell,
                    };
                    best(&mut || {
                        let ev = analysis::forecast::evaluate(&xy, &days, &p).expect("forecast");
                        serde_json::to_value(&ev).expect("json")
                    })
                }
                other => bail!("bench {other:?}: expected gistar, knox, linkage or forecast"),
            };
            print(
                &json!({"what": what, "records": data.records.len(), "seconds": seconds, "result": digest}),
            )
        }
        AnalyzeCommand::Moran {
            input,
            cell,
            transform,
        } => {
            let (data, _) = input.load()?;
            let xy = data.xy();
            let g = Grid::bin(&xy, cell)?;
            let t = match transform.as_str() {
                "r" | "R" => Transform::Row,
                "b" | "B" => Transform::Binary,
                other => bail!("--transform {other:?}: expected r or b"),
            };
            let m = hotspot::moran(&g, t);
            print(&json!({"moran": m, "grid": {"cell": cell, "nx": g.nx, "ny": g.ny}}))
        }
        AnalyzeCommand::Hotspots {
            input,
            by,
            cell,
            bandwidth,
            resolution,
            graph,
            format,
            top,
        } => {
            let (data, _) = input.load()?;
            hotspots(
                &data,
                by,
                cell,
                bandwidth,
                resolution,
                graph.as_deref(),
                format,
                top,
            )
        }
    }
}

/// A grid cell as a GeoJSON polygon: in lon/lat when the input was lat/lon,
/// otherwise in the input's own projected metres.
fn cell_feature(g: &Grid, data: &Dataset, i: usize, properties: Value) -> Value {
    let ring: Vec<Value> = g
        .cell_ring(i)
        .iter()
        .map(|&(x, y)| match data.projection {
            Some(p) => {
                let (lat, lon) = p.inverse(x, y);
                json!([lon, lat])
            }
            None => json!([x, y]),
        })
        .collect();
    json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": properties})
}

pub fn summary(data: &Dataset) -> Value {
    let n = data.records.len();
    let (mut from, mut to) = (i64::MAX, i64::MIN);
    for r in &data.records {
        from = from.min(r.from);
        to = to.max(r.to);
    }
    let kinds = analysis::records::tally(data.records.iter().filter_map(|r| r.kind.as_deref()));
    json!({
        "records": n,
        "first": (n > 0).then(|| analysis::records::format_day(from.div_euclid(analysis::records::DAY))),
        "last": (n > 0).then(|| analysis::records::format_day(to.div_euclid(analysis::records::DAY))),
        "attributes": data.attr_names,
        "coordinates": if data.projection.is_some() { "lat/lon (local metres)" } else { "projected metres" },
        "kinds": kinds.iter().take(20).map(|(k, c)| json!({"kind": k, "count": c})).collect::<Vec<_>>(),
    })
}

#[allow(
    clippy::too_many_arguments,
    reason = "one per `pingan analyze hotspots` flag"
)]
fn hotspots(
    data: &Dataset,
    by: HotspotBy,
    cell: f64,
    bandwidth: f64,
    resolution: u8,
    graph: Option<&Path>,
    format: Format,
    top: Option<usize>,
) -> anyhow::Result<()> {
    let latlon = || -> anyhow::Result<Vec<(f64, f64)>> {
        let Some(p) = data.projection else {
            bail!("{by:?} counts need latitude/longitude input (the file has projected x/y)");
        };
        Ok(data.records.iter().map(|r| p.inverse(r.x, r.y)).collect())
    };
    let limit = top.unwrap_or(usize::MAX);
    let rows: Vec<(Value, Value)> = match by {
        HotspotBy::Grid => {
            let xy = data.xy();
            let g = Grid::bin(&xy, cell)?;
            let kde = hotspot::kernel_density(&g, bandwidth)?;
            let gi = hotspot::gistar(&g);
            let mut idx: Vec<usize> = (0..g.counts.len()).filter(|&i| g.counts[i] > 0).collect();
            idx.sort_by(|&a, &b| g.counts[b].cmp(&g.counts[a]).then(a.cmp(&b)));
            idx.into_iter()
                .take(limit)
                .map(|i| {
                    let (cx, cy) = g.centre(i);
                    let props = json!({"x": cx, "y": cy, "count": g.counts[i], "density_per_km2": kde[i],
                        "z": finite(gi[i].z), "p": finite(gi[i].p), "q": finite(gi[i].q)});
                    (cell_feature(&g, data, i, props.clone())["geometry"].clone(), props)
                })
                .collect()
        }
        HotspotBy::H3 => {
            let counts = hotspot::h3_counts(&latlon()?, resolution)?;
            counts
                .into_iter()
                .take(limit)
                .map(|(c, n)| {
                    let ring: Vec<Value> = c
                        .boundary()
                        .iter()
                        .chain(c.boundary().iter().take(1))
                        .map(|ll| json!([ll.lng(), ll.lat()]))
                        .collect();
                    (
                        json!({"type": "Polygon", "coordinates": [ring]}),
                        json!({"h3": c.to_string(), "count": n}),
                    )
                })
                .collect()
        }
        HotspotBy::Segments => {
            let Some(path) = graph else {
                bail!("--by segments needs --graph <file.roads> (pingan roads build)");
            };
            let g = crate::roads_cmd::load_graph(path)?;
            let (counts, off) = hotspot::segment_counts(&g, &latlon()?, 100.0);
            if off > 0 {
                eprintln!("{off} record(s) more than 100 m from any road were not counted");
            }
            counts
                .into_iter()
                .take(limit)
                .map(|(road, n)| {
                    let line: Vec<Value> = g
                        .road_geometry(road)
                        .iter()
                        .map(|p| json!([p.lon, p.lat]))
                        .collect();
                    (
                        json!({"type": "LineString", "coordinates": line}),
                        json!({"road": road, "osm_way": g.road_source(road), "count": n,
                               "per_km": n as f64 / (g.road_meters(road) / 1000.0).max(0.01)}),
                    )
                })
                .collect()
        }
    };
    match format {
        Format::Geojson => print(&json!({
            "type": "FeatureCollection",
            "features": rows.into_iter().map(|(g, p)| json!({"type": "Feature", "geometry": g, "properties": p})).collect::<Vec<_>>(),
        })),
        Format::Table => print(&Value::Array(rows.into_iter().map(|r| r.1).collect())),
    }
}

fn linkage_inputs(
    crimes: &Path,
    offenders: &Path,
) -> anyhow::Result<(Dataset, analysis::linkage::Solved)> {
    let cases = read_dataset(crimes, &ImportOptions::default())?;
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(offenders)
        .with_context(|| format!("cannot open {}", offenders.display()))?;
    let header: Vec<String> = rdr
        .headers()?
        .iter()
        .map(|h| h.to_lowercase().replace(['_', '.', ' '], ""))
        .collect();
    let col = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let (Some(co), Some(cc)) = (
        col(&["offenderid", "offender"]),
        col(&["crimeid", "caseid", "crime", "case"]),
    ) else {
        bail!(
            "{}: expected a header offender_id,crime_id",
            offenders.display()
        );
    };
    let mut rows = Vec::new();
    for (i, r) in rdr.records().enumerate() {
        let r = r.with_context(|| format!("{}: line {}", offenders.display(), i + 2))?;
        let (o, c) = (r.get(co).unwrap_or(""), r.get(cc).unwrap_or(""));
        if o.is_empty() || c.is_empty() {
            bail!(
                "{}: line {}: offender_id and crime_id must not be empty",
                offenders.display(),
                i + 2
            );
        }
        rows.push((o.to_string(), c.to_string()));
    }
    let (solved, unknown) = analysis::linkage::Solved::from_rows(&cases.records, &rows);
    if unknown > 0 {
        eprintln!(
            "{unknown} offender row(s) name cases not in {} and were ignored",
            crimes.display()
        );
    }
    Ok((cases, solved))
}

fn linkage_report(
    cases: &Dataset,
    solved: &analysis::linkage::Solved,
    case: Option<&str>,
    threshold: f64,
    max_distance: f64,
    max_gap_days: f64,
    top: usize,
) -> anyhow::Result<()> {
    use analysis::linkage;
    let recs = &cases.records;
    let model = linkage::fit_all(recs, solved, &cases.attr_names)?;
    let scored = linkage::score_pairs(&model, recs, max_distance, max_gap_days);
    let prob = |s: f64| 1.0 / (1.0 + (-s).exp());
    let probs: std::collections::HashMap<(usize, usize), f64> = scored
        .iter()
        .map(|&(i, j, s)| ((i as usize, j as usize), prob(s)))
        .collect();
    let unsolved: Vec<usize> = (0..recs.len())
        .filter(|&i| solved.offenders[i].is_empty())
        .collect();
    let series = linkage::series(&unsolved, &probs, threshold);
    let mut out = json!({
        "cases": recs.len(),
        "solved": recs.len() - unsolved.len(),
        "model": {"linked_pairs": model.linked, "unlinked_pairs": model.unlinked,
                  "probability": "evidence alone (even prior odds); probability_with_base_rate uses the training share of linked pairs"},
        "scored_pairs": scored.len(),
        "series": series.iter().map(|s| s.iter().map(|&i| recs[i].id.clone()).collect::<Vec<_>>()).collect::<Vec<_>>(),
    });
    if let Some(id) = case {
        let Some(me) = recs.iter().position(|r| r.id == id) else {
            bail!("--case {id:?} is not in the cases file");
        };
        let mut similar: Vec<(usize, f64)> = (0..recs.len())
            .filter(|&j| j != me)
            .map(|j| {
                (
                    j,
                    model.evidence_log_ratio(&linkage::evidence(&recs[me], &recs[j])),
                )
            })
            .collect();
        similar.sort_by(|a, b| b.1.total_cmp(&a.1));
        let list: Vec<Value> = similar
            .iter()
            .take(top)
            .map(|&(j, s)| {
                let e = linkage::evidence(&recs[me], &recs[j]);
                json!({"case": recs[j].id, "probability": prob(s),
                       "probability_with_base_rate": prob(s + model.prior_log_odds()),
                       "offenders": solved.offenders[j],
                       "drivers": model.explain(&e).into_iter().take(4).collect::<Vec<_>>()})
            })
            .collect();
        let mut offenders: Vec<(String, f64)> = Vec::new();
        for &(j, s) in similar.iter().take(50) {
            for o in &solved.offenders[j] {
                if !offenders.iter().any(|(x, _)| x == o) {
                    offenders.push((o.clone(), prob(s)));
                }
            }
        }
        let in_series = series
            .iter()
            .find(|s| s.contains(&me))
            .map(|s| s.iter().map(|&i| recs[i].id.clone()).collect::<Vec<_>>());
        out["case"] = json!({
            "id": id,
            "similar": list,
            "series": in_series,
            "known_offenders": offenders.into_iter().take(top).map(|(o, p)| json!({"offender": o, "probability": p})).collect::<Vec<_>>(),
        });
    }
    print(&out)
}
