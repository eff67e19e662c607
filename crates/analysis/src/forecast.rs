//! Forecasting next week's hot cells, and scoring forecasts the way police
//! analysts do: hit rate and predictive accuracy index (PAI) when the top
//! 1%, 5%, 10% and 20% of the area is flagged.
//!
//! Methods, each a score per grid cell from events before the week:
//! - **naive**: last week's counts;
//! - **retrospective**: kernel density of the past year;
//! - **prospective** (Bowers, Johnson & Pease 2004): recent events (8
//!   weeks) within 400 m, weighted 1 / (1 + distance in cells) x
//!   1 / (1 + weeks ago);
//! - **etas**: a self-exciting point process, background rate per cell plus
//!   exponential-in-time, Gaussian-in-space triggering, fitted by EM
//!   (Mohler et al. 2011, parametric triggering) on the year before the
//!   first forecast week; its forecast is the expected count in each cell
//!   over the week.
//!
//! The study area is the grid cells (aligned at multiples of the cell size)
//! that had at least one event before the first forecast week. Ties at the
//! cut-off are shared out in expectation (as if broken at random), so a
//! method with many equal scores (naive) is neither flattered nor punished
//! by an arbitrary order.

use std::collections::HashMap;

use crate::AnalysisError;
use crate::hotspot::Grid;

/// The area shares scored.
pub const AREA_SHARES: [u32; 4] = [1, 5, 10, 20];

/// Hit rate and PAI at one area share.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Score {
    /// Share of the weeks' events that fell in flagged cells.
    pub hit_rate: f64,
    /// hit rate / share of area flagged.
    pub pai: f64,
}

/// Scores of every method.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ForecastEval {
    /// method -> area share (percent, as text) -> score.
    pub methods: std::collections::BTreeMap<String, std::collections::BTreeMap<String, Score>>,
    /// Weeks forecast.
    pub weeks: usize,
    /// Cells in the study area.
    pub cells: usize,
    /// Events in the forecast weeks.
    pub events: usize,
    /// Fitted ETAS parameters.
    pub etas: EtasParams,
}

/// ETAS parameters: triggering = theta * omega * exp(-omega dt) * N(0, sigma^2 I).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct EtasParams {
    /// Expected offspring per event.
    pub theta: f64,
    /// Decay rate per day.
    pub omega: f64,
    /// Spatial spread, metres.
    pub sigma: f64,
    /// EM iterations run.
    pub iterations: usize,
}

/// Forecast settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastParams {
    /// Cell size, metres.
    pub cell: f64,
    /// First forecast day (days since 1970-01-01).
    pub from_day: i64,
    /// Weeks to forecast.
    pub weeks: usize,
    /// Retrospective kernel bandwidth, metres.
    pub bandwidth: f64,
}

/// Bandwidth of the ETAS background density, metres.
const BACKGROUND_BANDWIDTH: f64 = 500.0;

fn phi(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// Fit ETAS by EM on events (x, y, day), days as f64 (mid-day).
pub fn fit_etas(
    pts: &[(f64, f64)],
    days: &[f64],
    grid: &Grid,
    cell_of: &[usize],
    span_days: f64,
) -> (EtasParams, Vec<f64>) {
    let n = pts.len();
    let max_dt = 90.0;
    let reach = 1500.0;
    let near = crate::knox::near_pairs(pts, reach, |a, b| (a.0 - b.0).hypot(a.1 - b.1));
    // Candidate (parent, child) pairs: parent strictly earlier, within 90 days.
    let mut cand: Vec<(u32, u32, f64, f64)> = Vec::new();
    for (i, j, d) in near {
        let (ti, tj) = (days[i as usize], days[j as usize]);
        let (p, c, dt) = if ti < tj {
            (i, j, tj - ti)
        } else if tj < ti {
            (j, i, ti - tj)
        } else {
            continue;
        };
        if dt <= max_dt {
            cand.push((p, c, dt, d * d));
        }
    }
    let mut theta = 0.1;
    let mut omega = 0.2;
    let mut sigma2 = 200.0f64 * 200.0;
    let mut init = vec![0.0; grid.counts.len()];
    for &c in cell_of {
        init[c] += 0.5;
    }
    let per_cell = grid.cell * grid.cell / 1e6 / span_days;
    let mut mu: Vec<f64> =
        crate::hotspot::kernel_density_weighted(grid, &init, BACKGROUND_BANDWIDTH)
            .expect("positive bandwidth")
            .into_iter()
            .map(|d| d * per_cell)
            .collect();
    let mut iterations = 0;
    let mut p_bg = vec![0.0; n];
    let mut w = vec![0.0; cand.len()];
    for it in 0..60 {
        iterations = it + 1;
        // E-step.
        // Intensities per day per square metre: the background per cell is
        // spread over the cell's area.
        let area = grid.cell * grid.cell;
        let mut total: Vec<f64> = (0..n).map(|j| mu[cell_of[j]] / area).collect();
        let norm = 1.0 / (2.0 * std::f64::consts::PI * sigma2);
        for (k, &(_, c, dt, d2)) in cand.iter().enumerate() {
            let v = theta * omega * (-omega * dt).exp() * norm * (-d2 / (2.0 * sigma2)).exp();
            w[k] = v;
            total[c as usize] += v;
        }
        for j in 0..n {
            p_bg[j] = mu[cell_of[j]] / area / total[j];
        }
        // M-step.
        let (mut s, mut sdt, mut sd2) = (0.0, 0.0, 0.0);
        for (k, &(_, c, dt, d2)) in cand.iter().enumerate() {
            let p = w[k] / total[c as usize];
            s += p;
            sdt += p * dt;
            sd2 += p * d2;
        }
        // Background: smoothed (Gaussian, 500 m) density of the events'
        // background shares; a raw per-cell histogram would explain every
        // event by its own cell and leave nothing to triggering.
        let mut bg = vec![0.0; grid.counts.len()];
        for j in 0..n {
            bg[cell_of[j]] += p_bg[j];
        }
        let dens = crate::hotspot::kernel_density_weighted(grid, &bg, BACKGROUND_BANDWIDTH)
            .expect("positive bandwidth");
        let per_cell = grid.cell * grid.cell / 1e6 / span_days;
        for (m, d) in mu.iter_mut().zip(dens) {
            *m = d * per_cell;
        }
        let new_theta = (s / n as f64).clamp(1e-6, 0.95);
        let new_omega = if sdt > 0.0 {
            (s / sdt).clamp(1e-3, 10.0)
        } else {
            omega
        };
        let new_sigma2 = if s > 0.0 {
            (sd2 / (2.0 * s)).clamp(1.0, reach * reach)
        } else {
            sigma2
        };
        let change = (new_theta - theta).abs() / theta
            + (new_omega - omega).abs() / omega
            + (new_sigma2 - sigma2).abs() / sigma2;
        theta = new_theta;
        omega = new_omega;
        sigma2 = new_sigma2;
        if change < 1e-4 {
            break;
        }
    }
    (
        EtasParams {
            theta,
            omega,
            sigma: sigma2.sqrt(),
            iterations,
        },
        mu,
    )
}

/// Hits of a ranking at area share `k` cells out of the study area: ties at
/// the cut-off count in expectation.
fn hits_at(scores: &[f64], hits_by_cell: &[u32], study: &[usize], k: usize) -> f64 {
    let mut order: Vec<usize> = study.to_vec();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    if k == 0 {
        return 0.0;
    }
    let cut = scores[order[k - 1]];
    let above: f64 = order
        .iter()
        .take_while(|&&c| scores[c] > cut)
        .map(|&c| hits_by_cell[c] as f64)
        .sum();
    let n_above = order.iter().take_while(|&&c| scores[c] > cut).count();
    let tied: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&c| scores[c] == cut)
        .collect();
    let tied_hits: f64 = tied.iter().map(|&c| hits_by_cell[c] as f64).sum();
    above + tied_hits * (k - n_above) as f64 / tied.len() as f64
}

/// Rolling weekly forecasts from `from_day`, each method scored on the
/// events of its week.
pub fn evaluate(
    xy: &[(f64, f64)],
    days: &[i64],
    p: &ForecastParams,
) -> Result<ForecastEval, AnalysisError> {
    if p.weeks == 0 {
        return Err(AnalysisError::Param {
            field: "weeks",
            message: "at least 1 week".into(),
        });
    }
    let grid = Grid::bin(xy, p.cell)?;
    let cell_of: Vec<usize> = xy
        .iter()
        .map(|&(x, y)| grid.cell_of(x, y).expect("binned"))
        .collect();
    let mut study: Vec<usize> = (0..xy.len())
        .filter(|&i| days[i] < p.from_day)
        .map(|i| cell_of[i])
        .collect();
    study.sort_unstable();
    study.dedup();
    if study.is_empty() {
        return Err(AnalysisError::Input(
            "no events before --from: nothing to learn from".into(),
        ));
    }
    let n_cells = grid.counts.len();
    let mut order: Vec<usize> = (0..xy.len()).collect();
    order.sort_by_key(|&i| days[i]);

    // ETAS fitted once on the year before the first week.
    let fit_idx: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| days[i] < p.from_day && days[i] >= p.from_day - 365)
        .collect();
    let fit_pts: Vec<(f64, f64)> = fit_idx.iter().map(|&i| xy[i]).collect();
    let fit_days: Vec<f64> = fit_idx.iter().map(|&i| days[i] as f64 + 0.5).collect();
    let fit_cells: Vec<usize> = fit_idx.iter().map(|&i| cell_of[i]).collect();
    let (etas, mu) = fit_etas(&fit_pts, &fit_days, &grid, &fit_cells, 365.0);

    let methods = ["naive", "retrospective", "prospective", "etas"];
    let mut hits = vec![[0.0f64; 4]; methods.len()];
    let mut total_events = 0usize;
    let ks: Vec<usize> = AREA_SHARES
        .iter()
        .map(|&s| ((s as f64 / 100.0) * study.len() as f64).round().max(1.0) as usize)
        .collect();
    let mut scores = vec![vec![0.0f64; n_cells]; methods.len()];
    let mut week_hits = vec![0u32; n_cells];
    let r_cells = (400.0 / p.cell).floor() as i64;
    for w in 0..p.weeks {
        let s = p.from_day + 7 * w as i64;
        for sc in scores.iter_mut() {
            sc.iter_mut().for_each(|v| *v = 0.0);
        }
        week_hits.iter_mut().for_each(|v| *v = 0);
        let mut n_week = 0;
        // Past events, most recent first, until a year back.
        let upto = order.partition_point(|&i| days[i] < s);
        let mut past_year = grid.clone();
        past_year.counts.iter_mut().for_each(|c| *c = 0);
        for &i in order[..upto].iter().rev() {
            let age = s - days[i];
            if age > 365 {
                break;
            }
            let c = cell_of[i];
            past_year.counts[c] += 1;
            if age <= 7 {
                scores[0][c] += 1.0;
            }
            if age <= 56 {
                let weeks_ago = ((age - 1) / 7) as f64;
                let (r0, c0) = ((c / grid.nx) as i64, (c % grid.nx) as i64);
                for dr in -r_cells..=r_cells {
                    for dc in -r_cells..=r_cells {
                        let (rr, cc) = (r0 + dr, c0 + dc);
                        if rr < 0 || cc < 0 || rr >= grid.ny as i64 || cc >= grid.nx as i64 {
                            continue;
                        }
                        let dist = ((dr * dr + dc * dc) as f64).sqrt();
                        if dist * p.cell > 400.0 {
                            continue;
                        }
                        scores[2][rr as usize * grid.nx + cc as usize] +=
                            1.0 / (1.0 + dist) / (1.0 + weeks_ago);
                    }
                }
            }
            // ETAS: triggered mass over the week in nearby cells.
            let t_i = days[i] as f64 + 0.5;
            let (a, b) = (s as f64 - t_i, s as f64 + 7.0 - t_i);
            let time_mass = etas.theta * ((-etas.omega * a).exp() - (-etas.omega * b).exp());
            if time_mass > 1e-6 {
                let (x, y) = xy[i];
                let reach = (3.0 * etas.sigma / p.cell).ceil() as i64;
                let (r0, c0) = ((c / grid.nx) as i64, (c % grid.nx) as i64);
                for dr in -reach..=reach {
                    let rr = r0 + dr;
                    if rr < 0 || rr >= grid.ny as i64 {
                        continue;
                    }
                    let y0 = grid.y0 + rr as f64 * p.cell;
                    let my = phi((y0 + p.cell - y) / etas.sigma) - phi((y0 - y) / etas.sigma);
                    for dc in -reach..=reach {
                        let cc = c0 + dc;
                        if cc < 0 || cc >= grid.nx as i64 {
                            continue;
                        }
                        let x0 = grid.x0 + cc as f64 * p.cell;
                        let mx = phi((x0 + p.cell - x) / etas.sigma) - phi((x0 - x) / etas.sigma);
                        scores[3][rr as usize * grid.nx + cc as usize] += time_mass * mx * my;
                    }
                }
            }
        }
        let kde = crate::hotspot::kernel_density(&past_year, p.bandwidth)?;
        scores[1].copy_from_slice(&kde);
        for (c, m) in mu.iter().enumerate() {
            scores[3][c] += 7.0 * m;
        }
        for &i in &order[upto..] {
            if days[i] >= s + 7 {
                break;
            }
            week_hits[cell_of[i]] += 1;
            n_week += 1;
        }
        total_events += n_week;
        for (m, sc) in scores.iter().enumerate() {
            for (a, &k) in ks.iter().enumerate() {
                hits[m][a] += hits_at(sc, &week_hits, &study, k);
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    for (m, name) in methods.iter().enumerate() {
        let mut per = std::collections::BTreeMap::new();
        for (a, &share) in AREA_SHARES.iter().enumerate() {
            let hit_rate = if total_events == 0 {
                0.0
            } else {
                hits[m][a] / total_events as f64
            };
            let area = ks[a] as f64 / study.len() as f64;
            per.insert(
                share.to_string(),
                Score {
                    hit_rate,
                    pai: hit_rate / area,
                },
            );
        }
        out.insert(name.to_string(), per);
    }
    Ok(ForecastEval {
        methods: out,
        weeks: p.weeks,
        cells: study.len(),
        events: total_events,
        etas,
    })
}

/// The ranked cells of one method's forecast for the week starting `day`
/// (cells with a positive score), for maps and briefings: (cell, score).
pub fn forecast_week(
    xy: &[(f64, f64)],
    days: &[i64],
    grid: &Grid,
    day: i64,
    bandwidth: f64,
) -> Result<Vec<(usize, f64)>, AnalysisError> {
    let mut past = grid.clone();
    past.counts.iter_mut().for_each(|c| *c = 0);
    let mut recent: HashMap<usize, f64> = HashMap::new();
    for (i, &(x, y)) in xy.iter().enumerate() {
        let age = day - days[i];
        if age <= 0 || age > 365 {
            continue;
        }
        if let Some(c) = grid.cell_of(x, y) {
            past.counts[c] += 1;
            if age <= 56 {
                *recent.entry(c).or_default() += 1.0 / (1.0 + ((age - 1) / 7) as f64);
            }
        }
    }
    let kde = crate::hotspot::kernel_density(&past, bandwidth)?;
    let max = kde.iter().cloned().fold(0.0, f64::max).max(1e-12);
    let rmax = recent.values().cloned().fold(0.0, f64::max).max(1e-12);
    let mut v: Vec<(usize, f64)> = (0..kde.len())
        .map(|c| {
            (
                c,
                0.5 * kde[c] / max + 0.5 * recent.get(&c).copied().unwrap_or(0.0) / rmax,
            )
        })
        .filter(|x| x.1 > 0.0)
        .collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rng;

    #[test]
    fn ties_are_shared_in_expectation() {
        let scores = [1.0, 1.0, 1.0, 1.0, 2.0];
        let hits = [1, 0, 0, 0, 3];
        let study = [0, 1, 2, 3, 4];
        assert_eq!(hits_at(&scores, &hits, &study, 1), 3.0);
        assert_eq!(hits_at(&scores, &hits, &study, 3), 3.0 + 0.5);
    }

    #[test]
    fn a_persistent_hotspot_is_found_and_etas_learns_triggering() {
        let mut rng = Rng::new(11);
        let (mut xy, mut days) = (Vec::new(), Vec::new());
        for d in 0..500i64 {
            // Background everywhere, a hot block, and near repeats.
            for _ in 0..4 {
                xy.push((rng.next_f64() * 10_000.0, rng.next_f64() * 10_000.0));
                days.push(d);
            }
            if d % 2 == 0 {
                let p = (
                    2_000.0 + rng.next_f64() * 300.0,
                    7_000.0 + rng.next_f64() * 300.0,
                );
                xy.push(p);
                days.push(d);
                if rng.next_f64() < 0.5 {
                    xy.push((p.0 + rng.next_f64() * 60.0, p.1 + rng.next_f64() * 60.0));
                    days.push(d + 1 + rng.below(3) as i64);
                }
            }
        }
        let p = ForecastParams {
            cell: 250.0,
            from_day: 400,
            weeks: 10,
            bandwidth: 300.0,
        };
        let ev = evaluate(&xy, &days, &p).unwrap();
        for m in ["naive", "retrospective", "prospective", "etas"] {
            let s = ev.methods[m]["5"];
            assert!(s.pai > 2.0, "{m}: {s:?}");
            assert!(ev.methods[m]["20"].hit_rate >= ev.methods[m]["1"].hit_rate);
        }
        assert!(
            ev.etas.theta > 0.02 && ev.etas.sigma < 600.0,
            "{:?}",
            ev.etas
        );
    }
}
