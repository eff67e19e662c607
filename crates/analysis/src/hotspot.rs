//! Hotspots: counts on a square grid, on H3 hexagons and per road segment;
//! kernel density; Getis-Ord Gi* (local) and Moran's I (global).
//!
//! The grid is aligned at multiples of the cell size and spans the points'
//! bounding box (empty cells included), cells in row-major order from the
//! south-west corner: the lattice of `libpysal.weights.lat2W(ny, nx)`.
//! Gi* uses binary queen weights with the cell itself included and gives the
//! same z as `esda.G_Local(y, w, transform='B', star=True)`; Moran's I uses
//! queen weights without the cell itself, row-standardised (esda's default)
//! or binary.

use crate::AnalysisError;
#[cfg(test)]
use crate::stats::benjamini_hochberg;
use crate::stats::two_sided_p;

/// floor() without a libm call (x86-64 baseline has no rounding instruction):
/// truncate, then step down for negative non-integers. Exact for |v| < 2^62.
#[inline]
fn floor(v: f64) -> i64 {
    let t = v as i64;
    t - ((t as f64) > v) as i64
}

/// Counts on a square grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Cell size (metres).
    pub cell: f64,
    /// West edge of column 0 (a multiple of `cell`).
    pub x0: f64,
    /// South edge of row 0 (a multiple of `cell`).
    pub y0: f64,
    /// Columns.
    pub nx: usize,
    /// Rows.
    pub ny: usize,
    /// Counts, row-major (`row * nx + col`).
    pub counts: Vec<u32>,
}

impl Grid {
    /// Cell `i`'s outline in the grid's metres: its four corners counter-clockwise
    /// from the south-west, the first repeated to close the ring.
    pub fn cell_ring(&self, i: usize) -> [(f64, f64); 5] {
        let (r, c) = (i / self.nx, i % self.nx);
        let (x0, y0) = (
            self.x0 + c as f64 * self.cell,
            self.y0 + r as f64 * self.cell,
        );
        let (x1, y1) = (x0 + self.cell, y0 + self.cell);
        [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
    }

    /// Bin points on a grid of `cell` metres spanning their bounding box.
    pub fn bin(xy: &[(f64, f64)], cell: f64) -> Result<Grid, AnalysisError> {
        if !(cell > 0.0) || !cell.is_finite() {
            return Err(AnalysisError::Param {
                field: "cell",
                message: format!("cell size must be a positive number of metres, got {cell}"),
            });
        }
        if xy.is_empty() {
            return Err(AnalysisError::Input("no points to bin".into()));
        }
        let (mut minx, mut miny, mut maxx, mut maxy) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for &(x, y) in xy {
            minx = minx.min(x);
            miny = miny.min(y);
            maxx = maxx.max(x);
            maxy = maxy.max(y);
        }
        if !(minx.is_finite() && miny.is_finite() && maxx.is_finite() && maxy.is_finite()) {
            return Err(AnalysisError::Input(
                "coordinates must be finite numbers".into(),
            ));
        }
        let (c0, r0) = (floor(minx / cell), floor(miny / cell));
        let nx = (floor(maxx / cell) - c0) as usize + 1;
        let ny = (floor(maxy / cell) - r0) as usize + 1;
        if nx.saturating_mul(ny) > 200_000_000 {
            return Err(AnalysisError::Param {
                field: "cell",
                message: format!("{nx} x {ny} cells is too many; use a larger cell"),
            });
        }
        let mut g = Grid {
            cell,
            x0: c0 as f64 * cell,
            y0: r0 as f64 * cell,
            nx,
            ny,
            counts: vec![0; nx * ny],
        };
        // Cell indices in blocks, then the increments: the divisions
        // vectorise and the scattered increments stay in cache.
        let mut idx = [0usize; 512];
        for chunk in xy.chunks(512) {
            for (k, &(x, y)) in chunk.iter().enumerate() {
                // floor(x / cell) - c0, as the bounds were computed, so edges agree.
                idx[k] = (floor(y / cell) - r0) as usize * nx + (floor(x / cell) - c0) as usize;
            }
            for &i in &idx[..chunk.len()] {
                g.counts[i] += 1;
            }
        }
        Ok(g)
    }

    /// Centre of cell `i`.
    pub fn centre(&self, i: usize) -> (f64, f64) {
        let (r, c) = (i / self.nx, i % self.nx);
        (
            self.x0 + (c as f64 + 0.5) * self.cell,
            self.y0 + (r as f64 + 0.5) * self.cell,
        )
    }

    /// Cell of a point, if inside the grid.
    pub fn cell_of(&self, x: f64, y: f64) -> Option<usize> {
        let c = (x / self.cell).floor() - (self.x0 / self.cell).round();
        let r = (y / self.cell).floor() - (self.y0 / self.cell).round();
        (c >= 0.0 && r >= 0.0 && (c as usize) < self.nx && (r as usize) < self.ny)
            .then(|| r as usize * self.nx + c as usize)
    }

    /// Sum over each cell's 3x3 queen block (itself included), and the block size.
    fn queen_sums(&self, v: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let (nx, ny) = (self.nx, self.ny);
        // Horizontal then vertical running sums of width 3.
        let mut h = vec![0.0; nx * ny];
        let mut hc = vec![0.0; nx * ny];
        for r in 0..ny {
            let row = &v[r * nx..(r + 1) * nx];
            for c in 0..nx {
                let lo = c.saturating_sub(1);
                let hi = (c + 1).min(nx - 1);
                let mut s = 0.0;
                for &x in &row[lo..=hi] {
                    s += x;
                }
                h[r * nx + c] = s;
                hc[r * nx + c] = (hi - lo + 1) as f64;
            }
        }
        let mut out = vec![0.0; nx * ny];
        let mut card = vec![0.0; nx * ny];
        for r in 0..ny {
            let lo = r.saturating_sub(1);
            let hi = (r + 1).min(ny - 1);
            for c in 0..nx {
                let mut s = 0.0;
                for rr in lo..=hi {
                    s += h[rr * nx + c];
                }
                out[r * nx + c] = s;
                card[r * nx + c] = hc[r * nx + c] * (hi - lo + 1) as f64;
            }
        }
        (out, card)
    }
}

/// Gi* of one cell.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct GiCell {
    /// z score.
    pub z: f64,
    /// Two-sided normal p-value (= 2 x esda's one-sided `p_norm`).
    pub p: f64,
    /// Benjamini-Hochberg q-value over all cells.
    pub q: f64,
}

/// Getis-Ord Gi* on a grid: binary queen weights with the cell itself.
///
/// Every cell's z depends only on its block sum and block size, and most
/// cells share a few such pairs (all-empty blocks above all), so z, p and the
/// Benjamini-Hochberg q are computed once per distinct pair. BH with ties is
/// a function of the p-value alone, so grouping does not change it.
pub fn gistar(g: &Grid) -> Vec<GiCell> {
    let (nx, ny) = (g.nx, g.ny);
    let n_cells = nx * ny;
    // 3x3 block sums in integers: horizontal then vertical.
    let mut h = vec![0u32; n_cells];
    for r in 0..ny {
        let row = &g.counts[r * nx..(r + 1) * nx];
        let out = &mut h[r * nx..(r + 1) * nx];
        for c in 0..nx {
            let mut s = row[c];
            if c > 0 {
                s += row[c - 1];
            }
            if c + 1 < nx {
                s += row[c + 1];
            }
            out[c] = s;
        }
    }
    let mut lag = vec![0u32; n_cells];
    for r in 0..ny {
        let (lo, hi) = (r.saturating_sub(1), (r + 1).min(ny - 1));
        let out = &mut lag[r * nx..(r + 1) * nx];
        for rr in lo..=hi {
            for (o, &v) in out.iter_mut().zip(&h[rr * nx..(rr + 1) * nx]) {
                *o += v;
            }
        }
    }
    let card = |i: usize| -> u32 {
        let (r, c) = (i / nx, i % nx);
        let w = 1 + (c > 0) as u32 + (c + 1 < nx) as u32;
        let hgt = 1 + (r > 0) as u32 + (r + 1 < ny) as u32;
        w * hgt
    };
    let n = n_cells as f64;
    let (mut sum, mut sum2) = (0u64, 0u64);
    for &c in &g.counts {
        sum += c as u64;
        sum2 += c as u64 * c as u64;
    }
    let mean = sum as f64 / n;
    let s = (sum2 as f64 / n - mean * mean).max(0.0).sqrt();
    let z_of = |l: u32, c: u32| -> f64 {
        let (l, c) = (l as f64, c as f64);
        let denom = s * (c * (n - c) / (n - 1.0)).sqrt();
        if denom > 0.0 {
            (l - mean * c) / denom
        } else {
            f64::NAN
        }
    };
    // Distinct (block sum, block size) keys; block size is 1..=9.
    let max_lag = lag.iter().copied().max().unwrap_or(0) as usize;
    let mut slot = vec![u32::MAX; (max_lag + 1) * 10];
    let mut keys: Vec<(u32, u32)> = Vec::new();
    let mut mult: Vec<u64> = Vec::new();
    let mut key_of = vec![0u32; n_cells];
    for i in 0..n_cells {
        let c = card(i);
        let k = lag[i] as usize * 10 + c as usize;
        if slot[k] == u32::MAX {
            slot[k] = keys.len() as u32;
            keys.push((lag[i], c));
            mult.push(0);
        }
        let id = slot[k];
        mult[id as usize] += 1;
        key_of[i] = id;
    }
    let z: Vec<f64> = keys.iter().map(|&(l, c)| z_of(l, c)).collect();
    let p: Vec<f64> = z
        .iter()
        .map(|&z| if z.is_nan() { f64::NAN } else { two_sided_p(z) })
        .collect();
    let q = benjamini_hochberg_weighted(&p, &mult);
    key_of
        .into_iter()
        .map(|k| {
            let k = k as usize;
            GiCell {
                z: z[k],
                p: p[k],
                q: q[k],
            }
        })
        .collect()
}

/// Benjamini-Hochberg q-values for p-values that each occur `mult` times;
/// the same as [`benjamini_hochberg`] on the expanded list.
fn benjamini_hochberg_weighted(p: &[f64], mult: &[u64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let m: u64 = idx.iter().map(|&i| mult[i]).sum();
    // rank of a value = how many p-values are <= it (ties share the highest).
    let mut q = vec![f64::NAN; p.len()];
    let mut rank = vec![0u64; idx.len()];
    let mut acc = 0;
    let mut k = 0;
    while k < idx.len() {
        let mut e = k;
        let mut group = 0;
        while e < idx.len() && p[idx[e]] == p[idx[k]] {
            group += mult[idx[e]];
            e += 1;
        }
        acc += group;
        for r in &mut rank[k..e] {
            *r = acc;
        }
        k = e;
    }
    let mut running = 1.0f64;
    for k in (0..idx.len()).rev() {
        let i = idx[k];
        running = running.min(p[i] * m as f64 / rank[k] as f64);
        q[i] = running.min(1.0);
    }
    q
}

/// Weights for Moran's I.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transform {
    /// Row-standardised (esda's default).
    #[default]
    Row,
    /// Binary.
    Binary,
}

/// Global Moran's I with its normality and randomisation inference.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Moran {
    /// The statistic.
    pub i: f64,
    /// Its expectation under no autocorrelation, -1 / (n - 1).
    pub expected: f64,
    /// z under normality.
    pub z_norm: f64,
    /// Two-sided p under normality.
    pub p_norm: f64,
    /// z under randomisation.
    pub z_rand: f64,
    /// Two-sided p under randomisation.
    pub p_rand: f64,
    /// Cells.
    pub n: usize,
}

/// Global Moran's I on a grid with queen weights (the cell itself excluded).
pub fn moran(g: &Grid, transform: Transform) -> Moran {
    let y: Vec<f64> = g.counts.iter().map(|&c| c as f64).collect();
    let n = y.len();
    let nf = n as f64;
    let mean = y.iter().sum::<f64>() / nf;
    let z: Vec<f64> = y.iter().map(|v| v - mean).collect();
    let (lag_all, card_all) = g.queen_sums(&z);
    // Neighbours exclude the cell itself.
    let card: Vec<f64> = card_all.iter().map(|c| c - 1.0).collect();
    let w_of = |i: usize| -> f64 {
        match transform {
            Transform::Binary => 1.0,
            Transform::Row => {
                if card[i] > 0.0 {
                    1.0 / card[i]
                } else {
                    0.0
                }
            }
        }
    };
    let mut num = 0.0;
    for i in 0..n {
        num += z[i] * w_of(i) * (lag_all[i] - z[i]);
    }
    let m2: f64 = z.iter().map(|v| v * v).sum();
    let m4: f64 = z.iter().map(|v| v.powi(4)).sum();
    // S0, S1, S2 over the queen neighbours.
    let (mut s0, mut s1, mut s2) = (0.0, 0.0, 0.0);
    for r in 0..g.ny {
        for c in 0..g.nx {
            let i = r * g.nx + c;
            let (mut out_sum, mut in_sum) = (0.0, 0.0);
            for dr in -1i64..=1 {
                for dc in -1i64..=1 {
                    if dr == 0 && dc == 0 {
                        continue;
                    }
                    let (rr, cc) = (r as i64 + dr, c as i64 + dc);
                    if rr < 0 || cc < 0 || rr >= g.ny as i64 || cc >= g.nx as i64 {
                        continue;
                    }
                    let j = rr as usize * g.nx + cc as usize;
                    let (wij, wji) = (w_of(i), w_of(j));
                    s0 += wij;
                    s1 += (wij + wji) * (wij + wji);
                    out_sum += wij;
                    in_sum += wji;
                }
            }
            s2 += (out_sum + in_sum) * (out_sum + in_sum);
        }
    }
    s1 /= 2.0;
    let i_stat = nf / s0 * num / m2;
    let ei = -1.0 / (nf - 1.0);
    let v_norm = (nf * nf * s1 - nf * s2 + 3.0 * s0 * s0) / ((nf * nf - 1.0) * s0 * s0) - ei * ei;
    let k = (m4 / nf) / (m2 / nf).powi(2);
    let a = nf * ((nf * nf - 3.0 * nf + 3.0) * s1 - nf * s2 + 3.0 * s0 * s0);
    let b = k * ((nf * nf - nf) * s1 - 2.0 * nf * s2 + 6.0 * s0 * s0);
    let v_rand = (a - b) / ((nf - 1.0) * (nf - 2.0) * (nf - 3.0) * s0 * s0) - ei * ei;
    let z_norm = (i_stat - ei) / v_norm.sqrt();
    let z_rand = (i_stat - ei) / v_rand.sqrt();
    Moran {
        i: i_stat,
        expected: ei,
        z_norm,
        p_norm: two_sided_p(z_norm),
        z_rand,
        p_rand: two_sided_p(z_rand),
        n,
    }
}

/// Gaussian kernel density at every cell centre of `g`'s lattice, events per
/// square kilometre. Points are binned on the lattice first, then smoothed
/// with a separable kernel truncated at 4 bandwidths (binning error at most
/// half a cell).
pub fn kernel_density(g: &Grid, bandwidth: f64) -> Result<Vec<f64>, AnalysisError> {
    let w: Vec<f64> = g.counts.iter().map(|&c| c as f64).collect();
    kernel_density_weighted(g, &w, bandwidth)
}

/// [`kernel_density`] of weighted cell values (`weights[i]` sits at cell `i`'s centre).
pub fn kernel_density_weighted(
    g: &Grid,
    weights: &[f64],
    bandwidth: f64,
) -> Result<Vec<f64>, AnalysisError> {
    if !(bandwidth > 0.0) {
        return Err(AnalysisError::Param {
            field: "bandwidth",
            message: "bandwidth must be a positive number of metres".into(),
        });
    }
    let reach = ((4.0 * bandwidth) / g.cell).ceil() as i64;
    let kern: Vec<f64> = (-reach..=reach)
        .map(|k| {
            let d = k as f64 * g.cell / bandwidth;
            (-0.5 * d * d).exp()
        })
        .collect();
    let norm = 1.0 / (2.0 * std::f64::consts::PI * bandwidth * bandwidth) * 1e6;
    let (nx, ny) = (g.nx as i64, g.ny as i64);
    let mut h = vec![0.0; g.counts.len()];
    for r in 0..ny {
        for c in 0..nx {
            let v = weights[(r * nx + c) as usize];
            if v == 0.0 {
                continue;
            }
            for k in -reach..=reach {
                let cc = c + k;
                if cc >= 0 && cc < nx {
                    h[(r * nx + cc) as usize] += v * kern[(k + reach) as usize];
                }
            }
        }
    }
    let mut out = vec![0.0; g.counts.len()];
    for r in 0..ny {
        for c in 0..nx {
            let v = h[(r * nx + c) as usize];
            if v == 0.0 {
                continue;
            }
            for k in -reach..=reach {
                let rr = r + k;
                if rr >= 0 && rr < ny {
                    out[(rr * nx + c) as usize] += v * kern[(k + reach) as usize] * norm;
                }
            }
        }
    }
    Ok(out)
}

/// Counts per H3 cell at `resolution` (0..=15) of points given as (lat, lon).
pub fn h3_counts(
    latlon: &[(f64, f64)],
    resolution: u8,
) -> Result<Vec<(h3o::CellIndex, u32)>, AnalysisError> {
    let res = h3o::Resolution::try_from(resolution).map_err(|_| AnalysisError::Param {
        field: "resolution",
        message: format!("H3 resolution must be 0..15, got {resolution}"),
    })?;
    let mut m: std::collections::HashMap<h3o::CellIndex, u32> = std::collections::HashMap::new();
    for &(lat, lon) in latlon {
        let ll = h3o::LatLng::new(lat, lon)
            .map_err(|e| AnalysisError::Input(format!("({lat}, {lon}): {e}")))?;
        *m.entry(ll.to_cell(res)).or_default() += 1;
    }
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(v)
}

/// Counts per road segment: each (lat, lon) is snapped to its nearest road
/// within `max_snap_m`; points farther away are counted in `.1`.
pub fn segment_counts(
    graph: &roads::Graph,
    latlon: &[(f64, f64)],
    max_snap_m: f64,
) -> (Vec<(u32, u32)>, usize) {
    let mut counts: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
    let mut off = 0;
    for &(lat, lon) in latlon {
        match graph.snap(roads::LatLon { lat, lon }, max_snap_m) {
            Ok(s) => *counts.entry(s.road).or_default() += 1,
            Err(_) => off += 1,
        }
    }
    let mut v: Vec<_> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    (v, off)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_ring_outlines_the_cell_its_points_fall_in() {
        let g = Grid::bin(&[(0.0, 0.0), (250.0, 130.0), (480.0, 480.0)], 100.0).unwrap();
        for &(x, y) in &[(250.0, 130.0), (480.0, 480.0)] {
            let (c, r) = (
                ((x - g.x0) / g.cell) as usize,
                ((y - g.y0) / g.cell) as usize,
            );
            let ring = g.cell_ring(r * g.nx + c);
            assert_eq!(ring[0], ring[4]);
            let (xs, ys) = (ring.map(|p| p.0), ring.map(|p| p.1));
            let (x0, x1) = (
                xs.iter().copied().fold(f64::MAX, f64::min),
                xs.iter().copied().fold(f64::MIN, f64::max),
            );
            let (y0, y1) = (
                ys.iter().copied().fold(f64::MAX, f64::min),
                ys.iter().copied().fold(f64::MIN, f64::max),
            );
            assert!(
                (x0..x1).contains(&x) && (y0..y1).contains(&y),
                "{x},{y} not in {ring:?}"
            );
            assert!((x1 - x0 - 100.0).abs() < 1e-9 && (y1 - y0 - 100.0).abs() < 1e-9);
        }
    }

    fn brute_gistar(g: &Grid) -> Vec<f64> {
        let n = g.counts.len();
        let y: Vec<f64> = g.counts.iter().map(|&c| c as f64).collect();
        let mean = y.iter().sum::<f64>() / n as f64;
        let s = (y.iter().map(|v| v * v).sum::<f64>() / n as f64 - mean * mean).sqrt();
        (0..n)
            .map(|i| {
                let (r, c) = ((i / g.nx) as i64, (i % g.nx) as i64);
                let (mut l, mut w) = (0.0, 0.0);
                for j in 0..n {
                    let (rr, cc) = ((j / g.nx) as i64, (j % g.nx) as i64);
                    if (rr - r).abs() <= 1 && (cc - c).abs() <= 1 {
                        l += y[j];
                        w += 1.0;
                    }
                }
                let nf = n as f64;
                (l - mean * w) / (s * ((nf * w - w * w) / (nf - 1.0)).sqrt())
            })
            .collect()
    }

    #[test]
    fn grid_alignment_and_gistar_against_the_formula() {
        let pts: Vec<(f64, f64)> = (0..300)
            .map(|i| {
                let f = i as f64;
                (150.0 + (f * 37.0) % 900.0, -220.0 + (f * f * 0.7) % 650.0)
            })
            .collect();
        let g = Grid::bin(&pts, 100.0).unwrap();
        assert_eq!((g.x0, g.y0), (100.0, -300.0));
        assert_eq!(g.counts.iter().sum::<u32>(), 300);
        let got = gistar(&g);
        let want = brute_gistar(&g);
        for (a, b) in got.iter().zip(&want) {
            assert!((a.z - b).abs() < 1e-9, "{} vs {}", a.z, b);
            assert!(a.q >= a.p * (1.0 - 1e-12), "q {} < p {}", a.q, a.p);
        }
    }

    #[test]
    fn grouped_bh_equals_plain_bh() {
        let p = [0.01, 0.04, 0.03, 0.005, 0.04, 0.5, 0.01];
        let plain = benjamini_hochberg(&p);
        let distinct = [0.005, 0.01, 0.03, 0.04, 0.5];
        let mult = [1, 2, 1, 2, 1];
        let q = benjamini_hochberg_weighted(&distinct, &mult);
        for (i, &v) in p.iter().enumerate() {
            let k = distinct.iter().position(|&d| d == v).unwrap();
            assert!(
                (plain[i] - q[k]).abs() < 1e-15,
                "{v}: {} vs {}",
                plain[i],
                q[k]
            );
        }
    }

    #[test]
    fn fast_floor() {
        for v in [
            -2.5,
            -2.0,
            -0.1,
            0.0,
            0.1,
            2.0,
            2.9,
            1e15 + 0.5,
            -1e15 - 0.5,
        ] {
            assert_eq!(floor(v), v.floor() as i64, "{v}");
        }
    }

    #[test]
    fn a_cluster_is_hot() {
        let mut pts: Vec<(f64, f64)> = (0..400)
            .map(|i| ((i % 20) as f64 * 50.0, (i / 20) as f64 * 50.0))
            .collect();
        pts.extend((0..200).map(|_| (505.0, 505.0)));
        let g = Grid::bin(&pts, 100.0).unwrap();
        let gi = gistar(&g);
        let hot = g.cell_of(505.0, 505.0).unwrap();
        assert!(gi[hot].z > 3.0 && gi[hot].p < 0.01, "{:?}", gi[hot]);
        let best = gi.iter().map(|c| c.z).fold(f64::MIN, f64::max);
        assert_eq!(best, gi[hot].z, "the cluster is the hottest cell");
        // A single spike is no autocorrelation; a gradient is strong autocorrelation.
        let mut smooth = g.clone();
        for (i, c) in smooth.counts.iter_mut().enumerate() {
            *c = (i % smooth.nx) as u32;
        }
        for t in [Transform::Row, Transform::Binary] {
            let m = moran(&smooth, t);
            assert!(m.i > 0.5 && m.p_norm < 1e-6 && m.p_rand < 1e-6, "{m:?}");
        }
    }

    #[test]
    fn kde_integrates_to_the_count() {
        let pts = vec![(5000.0, 5000.0); 10];
        let mut g = Grid::bin(&[(0.0, 0.0), (10_000.0, 10_000.0)], 50.0).unwrap();
        g.counts.iter_mut().for_each(|c| *c = 0);
        for &(x, y) in &pts {
            let i = g.cell_of(x, y).unwrap();
            g.counts[i] += 1;
        }
        let d = kernel_density(&g, 300.0).unwrap();
        let total: f64 = d.iter().sum::<f64>() * (50.0 * 50.0) / 1e6;
        assert!((total - 10.0).abs() < 0.05, "{total}");
    }
}
