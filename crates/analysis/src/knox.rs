//! Knox test for near-repeat victimisation, laid out as Ratcliffe's Near
//! Repeat Calculator (NRC) lays it out.
//!
//! Rows are space bands from nearest: "same location" (distance 0), then
//! `space_bands` bands `[0, b)`, `[b, 2b)`, … (excluding distance 0), then
//! "more than" (`>= space_bands * b`). Columns are time bands in whole days:
//! `[0, t)`, `[t, 2t)`, …, then "more than". Bands are right-open: the NRC
//! labels `[a-1, b)` as "a to b" (Davies' finding), so a pair 100 m apart is
//! in its "101 to 200" row, exactly as here.
//!
//! As in the NRC, coordinates are held in single precision (a pair at
//! 399.96 m in double precision is 400 m in single, and the NRC bands it
//! so). Expected counts come from Monte-Carlo permutations of the dates
//! over the places (seeded, reproducible); p = (1 + permutations with a
//! count at least the observed) / (1 + permutations).
//!
//! Speed: only pairs closer than the outermost space band vary between
//! permutations; the "more than" row is each column's total (which no
//! permutation changes) minus the near rows. Near pairs are found with a
//! grid hash and each permutation is one pass over them.

use crate::{AnalysisError, Rng};

/// Distance between two places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Metric {
    /// |dx| + |dy|: the NRC's default setting and the R NearRepeat default.
    #[default]
    Manhattan,
    /// Straight line.
    Euclidean,
}

/// Knox test parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct KnoxParams {
    /// Width of a space band (metres).
    pub space_band: f64,
    /// Number of space bands (besides "same location" and "more than").
    pub space_bands: usize,
    /// Width of a time band (days).
    pub time_band: u32,
    /// Number of time bands (besides "more than").
    pub time_bands: usize,
    /// Monte-Carlo permutations.
    pub permutations: usize,
    /// Seed of the permutations.
    pub seed: u64,
    /// Distance metric.
    pub metric: Metric,
}

/// Knox test result: every table is rows x columns, rows = space bands from
/// nearest (same location first, "more than" last), columns = time bands.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KnoxResult {
    /// Row labels in the NRC's wording ("Same location", "1 to 100", …).
    pub rows: Vec<String>,
    /// Column labels ("0 to 7", "8 to 14", …, "More than 21").
    pub columns: Vec<String>,
    /// Pairs observed in each cell.
    pub observed: Vec<Vec<u64>>,
    /// Mean count over the permutations.
    pub expected: Vec<Vec<f64>>,
    /// Observed / expected (`None` where expected is 0).
    pub knox_ratio: Vec<Vec<Option<f64>>>,
    /// Monte-Carlo p-value.
    pub p_value: Vec<Vec<f64>>,
    /// Smallest permutation count per cell.
    pub expected_min: Vec<Vec<u64>>,
    /// Largest permutation count per cell.
    pub expected_max: Vec<Vec<u64>>,
    /// Events used.
    pub events: usize,
    /// All pairs (n (n - 1) / 2).
    pub pairs: u64,
    /// Pairs closer than the outermost space band.
    pub near_pairs: usize,
}

struct NearPair {
    i: u32,
    j: u32,
    row: u8,
}

/// Run the Knox test on points `(x, y)` with whole-day times `days`.
pub fn knox(xy: &[(f64, f64)], days: &[i64], p: &KnoxParams) -> Result<KnoxResult, AnalysisError> {
    if xy.len() != days.len() {
        return Err(AnalysisError::Input(
            "points and days differ in length".into(),
        ));
    }
    if !(p.space_band > 0.0) || p.space_bands == 0 || p.space_bands > 200 {
        return Err(AnalysisError::Param {
            field: "space_band",
            message: "space band width must be > 0 and bands 1..200".into(),
        });
    }
    // Bands are counted in u8 (the "more than" band included).
    if p.time_band == 0 || p.time_bands == 0 || p.time_bands > 254 {
        return Err(AnalysisError::Param {
            field: "time_band",
            message: "time band width must be >= 1 day and bands 1..254".into(),
        });
    }
    let n = xy.len();
    if n < 2 {
        return Err(AnalysisError::Input(
            "the Knox test needs at least 2 events".into(),
        ));
    }
    let (s_n, t_n) = (p.space_bands, p.time_bands);
    let (rows_n, cols_n) = (s_n + 2, t_n + 1);
    let pts: Vec<(f64, f64)> = xy
        .iter()
        .map(|&(x, y)| (x as f32 as f64, y as f32 as f64))
        .collect();
    let reach = p.space_band * s_n as f64;

    // Near pairs by grid hash (cell = reach): neighbours are in the 3x3 block.
    let near = near_pairs(&pts, reach, |a, b| {
        let (dx, dy) = ((a.0 - b.0).abs(), (a.1 - b.1).abs());
        match p.metric {
            Metric::Manhattan => dx + dy,
            Metric::Euclidean => (dx * dx + dy * dy).sqrt(),
        }
    })
    .into_iter()
    .map(|(i, j, d)| NearPair {
        i,
        j,
        row: if d == 0.0 {
            0
        } else {
            1 + (d / p.space_band).floor() as u8
        },
    })
    .collect::<Vec<_>>();

    let d0 = *days.iter().min().expect("n >= 2");
    let t: Vec<u32> = days.iter().map(|&d| (d - d0) as u32).collect();
    let span = *t.iter().max().expect("n >= 2") as usize;
    let band_of: Vec<u8> = (0..=span)
        .map(|gap| (gap / p.time_band as usize).min(t_n) as u8)
        .collect();
    // Column totals over all pairs (invariant under permutation), by day histogram.
    let mut hist = vec![0u64; span + 1];
    for &d in &t {
        hist[d as usize] += 1;
    }
    let mut col_total = vec![0u64; cols_n];
    for (a, &ca) in hist.iter().enumerate() {
        if ca == 0 {
            continue;
        }
        col_total[band_of[0] as usize] += ca * (ca - 1) / 2;
        for (gap, &cb) in hist[a + 1..].iter().enumerate() {
            if cb != 0 {
                col_total[band_of[gap + 1] as usize] += ca * cb;
            }
        }
    }

    let count = |t: &[u32], out: &mut [u64]| {
        out.iter_mut().for_each(|c| *c = 0);
        for np in &near {
            let gap = t[np.i as usize].abs_diff(t[np.j as usize]) as usize;
            out[np.row as usize * cols_n + band_of[gap] as usize] += 1;
        }
        // "More than" row: column total minus the near rows.
        for c in 0..cols_n {
            let near_sum: u64 = (0..rows_n - 1).map(|r| out[r * cols_n + c]).sum();
            out[(rows_n - 1) * cols_n + c] = col_total[c] - near_sum;
        }
    };

    let cells = rows_n * cols_n;
    let mut observed = vec![0u64; cells];
    count(&t, &mut observed);

    let mut rng = Rng::new(p.seed);
    let mut perm_t = t.clone();
    let mut sum = vec![0u64; cells];
    let mut ge = vec![0u64; cells];
    let mut min = vec![u64::MAX; cells];
    let mut max = vec![0u64; cells];
    let mut this = vec![0u64; cells];
    for _ in 0..p.permutations {
        rng.shuffle(&mut perm_t);
        count(&perm_t, &mut this);
        for k in 0..cells {
            let v = this[k];
            sum[k] += v;
            ge[k] += (v >= observed[k]) as u64;
            min[k] = min[k].min(v);
            max[k] = max[k].max(v);
        }
    }
    let m = p.permutations as f64;
    let grid = |f: &dyn Fn(usize) -> f64| -> Vec<Vec<f64>> {
        (0..rows_n)
            .map(|r| (0..cols_n).map(|c| f(r * cols_n + c)).collect())
            .collect()
    };
    let expected = grid(&|k| {
        if p.permutations == 0 {
            f64::NAN
        } else {
            sum[k] as f64 / m
        }
    });
    let knox_ratio = expected
        .iter()
        .enumerate()
        .map(|(r, row)| {
            row.iter()
                .enumerate()
                .map(|(c, &e)| (e > 0.0).then(|| observed[r * cols_n + c] as f64 / e))
                .collect()
        })
        .collect();
    let p_value = grid(&|k| (1 + ge[k]) as f64 / (1.0 + m));
    let ints = |v: &[u64]| -> Vec<Vec<u64>> {
        (0..rows_n)
            .map(|r| v[r * cols_n..(r + 1) * cols_n].to_vec())
            .collect()
    };
    let sb = p.space_band;
    let fmt = |v: f64| {
        if v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            format!("{v}")
        }
    };
    let mut rows = vec!["Same location".to_string()];
    for s in 0..s_n {
        rows.push(format!(
            "{} to {}",
            fmt(s as f64 * sb + 1.0),
            fmt((s + 1) as f64 * sb)
        ));
    }
    rows.push(format!("More than {}", fmt(s_n as f64 * sb)));
    let tb = p.time_band as usize;
    let mut columns: Vec<String> = (0..t_n)
        .map(|c| {
            format!(
                "{} to {}",
                if c == 0 { 0 } else { c * tb + 1 },
                (c + 1) * tb
            )
        })
        .collect();
    columns.push(format!("More than {}", t_n * tb));
    Ok(KnoxResult {
        rows,
        columns,
        observed: ints(&observed),
        expected,
        knox_ratio,
        p_value,
        expected_min: ints(&if p.permutations == 0 {
            vec![0; cells]
        } else {
            min
        }),
        expected_max: ints(&max),
        events: n,
        pairs: n as u64 * (n as u64 - 1) / 2,
        near_pairs: near.len(),
    })
}

/// Pairs `(i, j, d)` with `i < j` and `d(i, j) < reach`, sorted by `i` then `j`.
pub fn near_pairs(
    pts: &[(f64, f64)],
    reach: f64,
    dist: impl Fn((f64, f64), (f64, f64)) -> f64,
) -> Vec<(u32, u32, f64)> {
    use std::collections::HashMap;
    let cell = |v: f64| (v / reach).floor() as i64;
    let mut buckets: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
    for (i, &(x, y)) in pts.iter().enumerate() {
        buckets
            .entry((cell(x), cell(y)))
            .or_default()
            .push(i as u32);
    }
    let mut out = Vec::new();
    for (i, &a) in pts.iter().enumerate() {
        let (cx, cy) = (cell(a.0), cell(a.1));
        for gx in cx - 1..=cx + 1 {
            for gy in cy - 1..=cy + 1 {
                let Some(b) = buckets.get(&(gx, gy)) else {
                    continue;
                };
                for &j in b {
                    if j as usize <= i {
                        continue;
                    }
                    let d = dist(a, pts[j as usize]);
                    if d < reach {
                        out.push((i as u32, j, d));
                    }
                }
            }
        }
    }
    out.sort_unstable_by_key(|&(i, j, _)| (i, j));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(sb: f64, sn: usize, tb: u32, tn: usize) -> KnoxParams {
        KnoxParams {
            space_band: sb,
            space_bands: sn,
            time_band: tb,
            time_bands: tn,
            permutations: 19,
            seed: 1,
            metric: Metric::Euclidean,
        }
    }

    /// Davies' pathological example: 100 m and 3 days apart. The NRC puts the
    /// pair in "101 to 200" and (3-day bands) "4 to 6"; right-open bands do too.
    #[test]
    fn pathological_example_bands_like_the_nrc() {
        let xy = [(0.0, 0.0), (0.0, 100.0)];
        let days = [0, 3];
        let r = knox(&xy, &days, &params(200.0, 2, 3, 2)).unwrap();
        assert_eq!(r.observed[1], vec![0, 1, 0], "{:?}", r.observed);
        assert_eq!(r.columns[1], "4 to 6");
        let r = knox(&xy, &days, &params(100.0, 2, 3, 2)).unwrap();
        assert_eq!(r.observed[2], vec![0, 1, 0]);
        assert_eq!(r.rows[2], "101 to 200");
    }

    /// Brute force over all pairs equals the grid-hash + histogram version.
    #[test]
    fn equals_brute_force() {
        let mut rng = Rng::new(9);
        let n = 400;
        let xy: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                if i % 10 == 0 {
                    (500.0, 500.0)
                } else {
                    (
                        (rng.next_f64() * 2000.0).round(),
                        (rng.next_f64() * 2000.0).round(),
                    )
                }
            })
            .collect();
        let days: Vec<i64> = (0..n).map(|_| (rng.next_f64() * 90.0) as i64).collect();
        for metric in [Metric::Manhattan, Metric::Euclidean] {
            let p = KnoxParams {
                metric,
                ..params(150.0, 3, 5, 4)
            };
            let r = knox(&xy, &days, &p).unwrap();
            let mut want = vec![vec![0u64; 5]; 5];
            for i in 0..n {
                for j in i + 1..n {
                    let (dx, dy) = ((xy[i].0 - xy[j].0).abs(), (xy[i].1 - xy[j].1).abs());
                    let d = match metric {
                        Metric::Manhattan => dx + dy,
                        Metric::Euclidean => dx.hypot(dy),
                    };
                    let row = if d == 0.0 {
                        0
                    } else {
                        (1 + (d / 150.0) as usize).min(4)
                    };
                    let col = (((days[i] - days[j]).abs() / 5) as usize).min(4);
                    want[row][col] += 1;
                }
            }
            assert_eq!(r.observed, want);
            // Permutations keep each column's total.
            for c in 0..5 {
                let total: f64 = r.expected.iter().map(|row| row[c]).sum();
                let obs: u64 = r.observed.iter().map(|row| row[c]).sum();
                assert!((total - obs as f64).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn seeded_and_reproducible() {
        let xy: Vec<(f64, f64)> = (0..200)
            .map(|i| ((i * 37 % 1000) as f64, (i * 91 % 1000) as f64))
            .collect();
        let days: Vec<i64> = (0..200).map(|i| (i * 13 % 60) as i64).collect();
        let a = knox(&xy, &days, &params(100.0, 3, 7, 3)).unwrap();
        let b = knox(&xy, &days, &params(100.0, 3, 7, 3)).unwrap();
        assert_eq!(a, b);
        let c = knox(
            &xy,
            &days,
            &KnoxParams {
                seed: 2,
                ..params(100.0, 3, 7, 3)
            },
        )
        .unwrap();
        assert_eq!(a.observed, c.observed);
        assert_ne!(a.expected, c.expected);
    }

    #[test]
    fn bad_parameters_are_named() {
        let err = knox(&[(0.0, 0.0), (1.0, 1.0)], &[0, 1], &params(0.0, 3, 7, 3)).unwrap_err();
        assert!(err.to_string().contains("space_band"), "{err}");
        let err = knox(&[(0.0, 0.0)], &[0], &params(100.0, 3, 7, 3)).unwrap_err();
        assert!(err.to_string().contains("at least 2"), "{err}");
    }
}
