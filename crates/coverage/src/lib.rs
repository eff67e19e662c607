//! Coverage planning for the 1-3-5 minute response circle: where should
//! patrols wait so that the most demand (people, past incidents) is reached
//! within 1, 3 and 5 minutes of real driving?
//!
//! [`Problem::build`] turns sites and demand points on the road graph into
//! coverage sets (one bounded Dijkstra per site, exact partial-road times).
//! [`evaluate`] scores a plan; [`optimise`] chooses `k` sites (lazy greedy,
//! then best-improvement swaps) and proves how far from optimal it can be
//! with a Lagrangian upper bound; [`optimise_exact`] solves the integer
//! program for small instances. The objective weights the tiers (4:2:1 by
//! default): a point reached within 1 minute earns 4 + 2 + 1, within 3
//! minutes 2 + 1, within 5 minutes 1.
//!
//! Pure: no I/O, no clock, no threads. Reading CSV and printing is the caller's job.

use roads::{Dijkstra, Direction, Graph, Snap};

/// What can go wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CoverageError {
    /// A parameter is out of range.
    #[error("{field}: {message}")]
    Invalid {
        /// Which.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// The exact solver failed.
    #[error("exact solver: {0}")]
    Solver(String),
}

fn invalid(field: &'static str, message: impl Into<String>) -> CoverageError {
    CoverageError::Invalid {
        field,
        message: message.into(),
    }
}

/// Coverage sets: for each site, the demand points it reaches and the best tier.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Demand weights.
    pub weights: Vec<f64>,
    /// Tier limits in seconds, ascending (e.g. 60, 180, 300).
    pub tier_s: Vec<u32>,
    /// Per site: (demand index, smallest tier index within whose limit it is reached), by demand index.
    pub cover: Vec<Vec<(u32, u8)>>,
}

impl Problem {
    /// Coverage of `demand` from each of `sites` within the tiers, by driving from the site.
    pub fn build(
        graph: &Graph,
        sites: &[Snap],
        demand: &[(Snap, f64)],
        tier_s: &[u32],
    ) -> Result<Problem, CoverageError> {
        check_tiers(tier_s)?;
        let max_ms = tier_s.last().copied().unwrap_or(0).saturating_mul(1000);
        // Demand points by the junctions they can be entered from, and by road (the same-road case).
        let n_nodes = graph.stats().nodes;
        let mut at_node: Vec<Vec<u32>> = vec![Vec::new(); n_nodes];
        let mut on_road: std::collections::HashMap<u32, Vec<u32>> =
            std::collections::HashMap::new();
        for (i, (s, _)) in demand.iter().enumerate() {
            let (a, b) = graph.road_ends(s.road);
            at_node[a as usize].push(i as u32);
            if b != a {
                at_node[b as usize].push(i as u32);
            }
            on_road.entry(s.road).or_default().push(i as u32);
        }
        let mut seen = vec![u32::MAX; demand.len()];
        let mut dijkstra = Dijkstra::new(graph);
        let mut cover = Vec::with_capacity(sites.len());
        for (j, site) in sites.iter().enumerate() {
            dijkstra.from_origins(std::slice::from_ref(site), max_ms, Direction::Forward);
            let mut list: Vec<(u32, u8)> = Vec::new();
            let candidates = dijkstra
                .settled()
                .iter()
                .flat_map(|v| at_node[*v as usize].iter())
                .chain(on_road.get(&site.road).into_iter().flatten());
            for &i in candidates {
                if seen[i as usize] == j as u32 {
                    continue;
                }
                seen[i as usize] = j as u32;
                if let Some(ms) = dijkstra.time_to(site, &demand[i as usize].0) {
                    let t = tier_s
                        .iter()
                        .position(|lim| ms <= lim * 1000)
                        .expect("within the last tier");
                    list.push((i, t as u8));
                }
            }
            list.sort_unstable();
            cover.push(list);
        }
        Ok(Problem {
            weights: demand.iter().map(|d| d.1).collect(),
            tier_s: tier_s.to_vec(),
            cover,
        })
    }

    /// Number of tiers.
    pub fn tiers(&self) -> usize {
        self.tier_s.len()
    }

    /// `S[t]`: the score of a point whose best tier is `t` (sum of the weights of tiers `t..`).
    fn suffix(&self, tier_weights: &[f64]) -> Vec<f64> {
        let mut s = vec![0.0; self.tiers() + 1];
        for t in (0..self.tiers()).rev() {
            s[t] = s[t + 1] + tier_weights[t];
        }
        s
    }
}

fn check_tiers(tier_s: &[u32]) -> Result<(), CoverageError> {
    if tier_s.is_empty()
        || tier_s.windows(2).any(|w| w[0] >= w[1])
        || tier_s.len() > 8
        || tier_s[0] == 0
    {
        return Err(invalid(
            "minutes",
            "give 1 to 8 increasing positive limits, e.g. 1,3,5",
        ));
    }
    Ok(())
}

/// How good a plan is.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Demand weight reached within each tier (cumulative: within 3 includes within 1).
    pub covered: Vec<f64>,
    /// All demand weight.
    pub total_weight: f64,
    /// Best tier index per demand point (`tiers()` when unreached).
    pub best_tier: Vec<u8>,
    /// Demand weight reached by at least two sites within the last tier (backup coverage).
    pub backup: f64,
    /// Weighted score (tiers weighted as asked).
    pub score: f64,
}

impl Evaluation {
    /// Demand points not reached within the last tier.
    pub fn uncovered(&self) -> impl Iterator<Item = usize> + '_ {
        let t = self.covered.len() as u8;
        self.best_tier
            .iter()
            .enumerate()
            .filter(move |(_, b)| **b == t)
            .map(|(i, _)| i)
    }
}

/// Scores the plan `sites` (indices into the problem's sites).
pub fn evaluate(p: &Problem, sites: &[u32], tier_weights: &[f64]) -> Evaluation {
    evaluate_with(p, sites, tier_weights, 0.0)
}

/// Scores the plan, adding `backup_weight` per unit of demand reached by at
/// least two sites within the last tier.
pub fn evaluate_with(
    p: &Problem,
    sites: &[u32],
    tier_weights: &[f64],
    backup_weight: f64,
) -> Evaluation {
    let t = p.tiers();
    let mut best = vec![t as u8; p.weights.len()];
    let mut count_last = vec![0u16; p.weights.len()];
    for &j in sites {
        for &(i, tier) in &p.cover[j as usize] {
            let b = &mut best[i as usize];
            *b = (*b).min(tier);
            count_last[i as usize] = count_last[i as usize].saturating_add(1);
        }
    }
    let mut covered = vec![0.0; t];
    let mut backup = 0.0;
    let s = p.suffix(tier_weights);
    let mut score = 0.0;
    for (i, &b) in best.iter().enumerate() {
        let w = p.weights[i];
        for c in covered.iter_mut().skip(b as usize) {
            *c += w;
        }
        if count_last[i] >= 2 {
            backup += w;
        }
        score += w * s[b as usize];
    }
    score += backup_weight * backup;
    Evaluation {
        covered,
        total_weight: p.weights.iter().sum(),
        best_tier: best,
        backup,
        score,
    }
}

/// Optimisation settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Sites to choose (fixed ones included).
    pub k: usize,
    /// Weight of each tier (4, 2, 1 by default).
    pub tier_weights: Vec<f64>,
    /// Sites that must be in the plan.
    pub fixed: Vec<u32>,
    /// Lagrangian iterations for the upper bound.
    pub bound_iterations: usize,
    /// Objective weight per unit of demand reached by two or more sites within the last tier (backup coverage).
    pub backup_weight: f64,
}

impl Options {
    /// `k` sites, tiers 4:2:1 (as many as given), nothing fixed.
    pub fn new(k: usize, tiers: usize) -> Self {
        let mut w = vec![1.0; tiers];
        for (t, x) in w.iter_mut().enumerate() {
            *x = f64::from(1u32 << (tiers - 1 - t).min(20));
        }
        Options {
            k,
            tier_weights: w,
            fixed: vec![],
            bound_iterations: 300,
            backup_weight: 0.0,
        }
    }
}

/// A chosen plan with its proof of quality.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// Chosen site indices, ascending.
    pub chosen: Vec<u32>,
    /// Its evaluation.
    pub evaluation: Evaluation,
    /// The greedy plan's score, before swaps.
    pub greedy_score: f64,
    /// No plan scores more than this (Lagrangian bound, or the optimum when exact).
    pub upper_bound: f64,
    /// Swaps made.
    pub swaps: usize,
    /// True when the score is proven optimal.
    pub optimal: bool,
}

impl Solution {
    /// Score / upper bound: the share of the optimum this plan is proven to reach.
    pub fn proven_ratio(&self) -> f64 {
        if self.upper_bound <= 0.0 {
            1.0
        } else {
            (self.evaluation.score / self.upper_bound).min(1.0)
        }
    }
}

fn check(p: &Problem, o: &Options) -> Result<(), CoverageError> {
    let n = p.cover.len();
    if o.k == 0 || o.k > n {
        return Err(invalid(
            "k",
            format!(
                "choose between 1 and {n} sites (the number of candidates), got {}",
                o.k
            ),
        ));
    }
    if o.tier_weights.len() != p.tiers()
        || o.tier_weights.iter().any(|w| !(w.is_finite() && *w >= 0.0))
    {
        return Err(invalid(
            "weights",
            format!("give {} non-negative weights, one per tier", p.tiers()),
        ));
    }
    if o.fixed.len() > o.k || o.fixed.iter().any(|j| *j as usize >= n) {
        return Err(invalid(
            "fixed",
            format!("at most k fixed sites, each below {n}"),
        ));
    }
    if p.weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
        return Err(invalid(
            "weight",
            "demand weights must be non-negative numbers",
        ));
    }
    Ok(())
}

/// Per-point state of the local search: sites covering each point, by tier.
struct Counts {
    tiers: usize,
    /// cnt[i * tiers + t]: chosen sites reaching point i with best tier exactly t.
    cnt: Vec<u16>,
    /// Sum of (site + 1) over those sites: the site itself when cnt is 1.
    sum: Vec<u64>,
    /// Per point, over all tiers: count, sum and sum of squares of (site + 1),
    /// which name the coverers when there are one or two (backup coverage).
    total: Vec<u16>,
    tsum: Vec<u64>,
    tsq: Vec<u64>,
}

impl Counts {
    fn new(points: usize, tiers: usize) -> Self {
        Counts {
            tiers,
            cnt: vec![0; points * tiers],
            sum: vec![0; points * tiers],
            total: vec![0; points],
            tsum: vec![0; points],
            tsq: vec![0; points],
        }
    }
    fn add(&mut self, p: &Problem, j: u32, sign: i32) {
        for &(i, t) in &p.cover[j as usize] {
            let at = i as usize * self.tiers + t as usize;
            let id = u64::from(j) + 1;
            let ip = i as usize;
            if sign > 0 {
                self.cnt[at] += 1;
                self.sum[at] += id;
                self.total[ip] += 1;
                self.tsum[ip] += id;
                self.tsq[ip] += id * id;
            } else {
                self.cnt[at] -= 1;
                self.sum[at] -= id;
                self.total[ip] -= 1;
                self.tsum[ip] -= id;
                self.tsq[ip] -= id * id;
            }
        }
    }
    /// The coverers of point i when there are one or two of them.
    fn coverers(&self, i: u32) -> Option<(u32, Option<u32>)> {
        let ip = i as usize;
        match self.total[ip] {
            1 => Some(((self.tsum[ip] - 1) as u32, None)),
            2 => {
                // a + b = s, a² + b² = q  →  (a - b)² = 2q - s²
                let (sum, sq) = (self.tsum[ip] as f64, self.tsq[ip] as f64);
                let diff = (2.0 * sq - sum * sum).max(0.0).sqrt().round();
                let a = ((sum + diff) / 2.0).round() as u64;
                let b = self.tsum[ip] - a;
                Some(((a - 1) as u32, Some((b - 1) as u32)))
            }
            _ => None,
        }
    }
    /// Best tier of point i, and the one after removing its unique best site (if unique).
    fn best(&self, i: u32) -> (usize, Option<(u32, usize)>) {
        let row = &self.cnt[i as usize * self.tiers..(i as usize + 1) * self.tiers];
        let Some(b) = row.iter().position(|c| *c > 0) else {
            return (self.tiers, None);
        };
        if row[b] > 1 {
            return (b, None);
        }
        let unique = (self.sum[i as usize * self.tiers + b] - 1) as u32;
        let next = row
            .iter()
            .enumerate()
            .skip(b + 1)
            .find(|(_, c)| **c > 0)
            .map_or(self.tiers, |(t, _)| t);
        (b, Some((unique, next)))
    }
}

fn greedy(p: &Problem, o: &Options, s: &[f64]) -> Vec<u32> {
    let n = p.cover.len();
    let mut best = vec![p.tiers() as u8; p.weights.len()];
    let mut count = vec![0u16; p.weights.len()];
    let beta = o.backup_weight;
    let gain = |j: u32, best: &[u8], count: &[u16]| -> f64 {
        p.cover[j as usize]
            .iter()
            .map(|&(i, t)| {
                let w = p.weights[i as usize];
                w * (s[t as usize] - s[best[i as usize] as usize]).max(0.0)
                    + if count[i as usize] == 1 {
                        beta * w
                    } else {
                        0.0
                    }
            })
            .sum()
    };
    let mut chosen: Vec<u32> = o.fixed.clone();
    chosen.sort_unstable();
    chosen.dedup();
    for &j in &chosen {
        for &(i, t) in &p.cover[j as usize] {
            best[i as usize] = best[i as usize].min(t);
            count[i as usize] += 1;
        }
    }
    let mut in_plan = vec![false; n];
    for &j in &chosen {
        in_plan[j as usize] = true;
    }
    // Lazy greedy: gains only shrink (submodular), so a stale gain is an upper bound.
    let mut heap: std::collections::BinaryHeap<(OrdF64, u32)> = (0..n as u32)
        .filter(|j| !in_plan[*j as usize])
        .map(|j| (OrdF64(gain(j, &best, &count)), j))
        .collect();
    while chosen.len() < o.k {
        let Some((OrdF64(stale), j)) = heap.pop() else {
            break;
        };
        let fresh = gain(j, &best, &count);
        if heap.peek().is_some_and(|(OrdF64(next), _)| fresh < *next) && fresh < stale {
            heap.push((OrdF64(fresh), j));
            continue;
        }
        chosen.push(j);
        for &(i, t) in &p.cover[j as usize] {
            best[i as usize] = best[i as usize].min(t);
            count[i as usize] += 1;
        }
    }
    chosen
}

/// An f64 ordered by `total_cmp`, for heaps; every comparison agrees with it.
#[derive(Debug, Clone, Copy)]
struct OrdF64(f64);
impl PartialEq for OrdF64 {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for OrdF64 {}
impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrdF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Best-improvement swaps (one chosen site out, one candidate in) until none improves.
fn swaps(p: &Problem, o: &Options, s: &[f64], chosen: &mut [u32]) -> usize {
    let n = p.cover.len();
    let tiers = p.tiers();
    let mut counts = Counts::new(p.weights.len(), tiers);
    for &j in chosen.iter() {
        counts.add(p, j, 1);
    }
    let fixed: std::collections::HashSet<u32> = o.fixed.iter().copied().collect();
    let mut made = 0;
    let mut pos = vec![usize::MAX; n];
    loop {
        for (k, &j) in chosen.iter().enumerate() {
            pos[j as usize] = k;
        }
        // Loss of removing each chosen site.
        let mut loss = vec![0.0; chosen.len()];
        let beta = o.backup_weight;
        for (k, &j) in chosen.iter().enumerate() {
            for &(i, _) in &p.cover[j as usize] {
                if let (b, Some((u, next))) = counts.best(i)
                    && u == j
                {
                    loss[k] += p.weights[i as usize] * (s[b] - s[next]);
                }
                if beta > 0.0 && counts.total[i as usize] == 2 {
                    loss[k] += beta * p.weights[i as usize];
                }
            }
        }
        let mut best_delta = 1e-9;
        let mut best_swap = None;
        let mut corr = vec![0.0; chosen.len()];
        for jn in 0..n as u32 {
            if pos[jn as usize] != usize::MAX {
                continue;
            }
            corr.iter_mut().for_each(|c| *c = 0.0);
            let mut gain = 0.0;
            for &(i, t) in &p.cover[jn as usize] {
                let w = p.weights[i as usize];
                let (b, unique) = counts.best(i);
                let t = t as usize;
                gain += w * (s[t.min(b)] - s[b]);
                if let Some((u, next)) = unique {
                    // Removing u and adding jn: S[min(t, next)] instead of S[min(t, b)] - loss(u) share.
                    let k = pos[u as usize];
                    corr[k] += w * (s[t.min(next)] - s[t.min(b)] + s[b] - s[next]);
                }
                if beta > 0.0 {
                    match counts.coverers(i) {
                        // jn makes a second coverer, unless the sole one is the site removed.
                        Some((u, None)) => {
                            gain += beta * w;
                            corr[pos[u as usize]] -= beta * w;
                        }
                        // Removing either coverer loses the backup, but jn restores it.
                        Some((a, Some(b2))) => {
                            corr[pos[a as usize]] += beta * w;
                            corr[pos[b2 as usize]] += beta * w;
                        }
                        _ => {}
                    }
                }
            }
            for (k, &j) in chosen.iter().enumerate() {
                if fixed.contains(&j) {
                    continue;
                }
                let delta = gain - loss[k] + corr[k];
                if delta > best_delta {
                    best_delta = delta;
                    best_swap = Some((k, jn));
                }
            }
        }
        let Some((k, jn)) = best_swap else { break };
        let out = chosen[k];
        counts.add(p, out, -1);
        counts.add(p, jn, 1);
        pos[out as usize] = usize::MAX;
        chosen[k] = jn;
        made += 1;
    }
    made
}

/// The submodular bound at a plan: the objective is monotone submodular, so
/// no plan of `k` sites beats the plan's score plus the `k` largest gains of
/// adding one more site to it (Nemhauser, Wolsey and Fisher 1978).
pub fn submodular_bound(p: &Problem, o: &Options, chosen: &[u32]) -> f64 {
    let s = p.suffix(&o.tier_weights);
    let e = evaluate(p, chosen, &o.tier_weights);
    let in_plan: std::collections::HashSet<u32> = chosen.iter().copied().collect();
    let mut gains: Vec<f64> = (0..p.cover.len() as u32)
        .filter(|j| !in_plan.contains(j))
        .map(|j| {
            p.cover[j as usize]
                .iter()
                .map(|&(i, t)| {
                    p.weights[i as usize]
                        * (s[t as usize] - s[e.best_tier[i as usize] as usize]).max(0.0)
                })
                .sum()
        })
        .collect();
    let free = o.k - o.fixed.len().min(o.k);
    gains.sort_by(|a, b| b.total_cmp(a));
    e.score + gains.iter().take(free).sum::<f64>()
}

/// The Lagrangian upper bound (relaxing "a point counts at a tier only if a
/// chosen site reaches it there"), improved by subgradient steps.
pub fn upper_bound(p: &Problem, o: &Options, lower: f64) -> f64 {
    lagrangian(p, o, lower).bound
}

/// What the Lagrangian relaxation found.
#[derive(Debug, Clone, PartialEq)]
pub struct Lagrange {
    /// The best (lowest) bound.
    pub bound: f64,
    /// The best plans its subproblems proposed, with their scores.
    pub plans: Vec<(f64, Vec<u32>)>,
    /// Each site's priced coverage at the best multipliers.
    pub site_values: Vec<f64>,
    /// The bound's part that does not depend on the sites chosen.
    pub constant: f64,
}

/// The Lagrangian bound and the best plans its subproblems proposed (the
/// `k` sites with the highest priced coverage: good starting points for swaps).
pub fn lagrangian(p: &Problem, o: &Options, lower: f64) -> Lagrange {
    let mut lower = lower;
    let mut plans: Vec<(f64, Vec<u32>)> = Vec::new();
    let tiers = p.tiers();
    let np = p.weights.len();
    let s_weights = &o.tier_weights;
    // Only points some site reaches can count.
    let mut coverers = vec![0u32; np * tiers];
    for list in &p.cover {
        for &(i, t) in list {
            for m in t as usize..tiers {
                coverers[i as usize * tiers + m] += 1;
            }
        }
    }
    let value = |i: usize, m: usize| p.weights[i] * s_weights[m];
    let mut lambda: Vec<f64> = (0..np * tiers)
        .map(|at| {
            if coverers[at] == 0 {
                0.0
            } else {
                value(at / tiers, at % tiers) / f64::from(coverers[at]).min(o.k as f64)
            }
        })
        .collect();
    let fixed: std::collections::HashSet<u32> = o.fixed.iter().copied().collect();
    let mut best = f64::INFINITY;
    let mut best_values: Vec<f64> = Vec::new();
    let mut best_constant = 0.0;
    let mut theta = 2.0;
    let mut since = 0;
    let mut suffix_sums = vec![0.0; np * tiers];
    let mut x = Vec::with_capacity(o.k);
    let mut grad = vec![0.0; np * tiers];
    for _ in 0..o.bound_iterations.max(1) {
        // Site values under the multipliers: per point, the suffix sums over tiers.
        for i in 0..np {
            let base = i * tiers;
            let mut acc = 0.0;
            for m in (0..tiers).rev() {
                acc += lambda[base + m];
                suffix_sums[base + m] = acc;
            }
        }
        let v: Vec<f64> = p
            .cover
            .iter()
            .map(|list| {
                list.iter()
                    .map(|&(i, t)| suffix_sums[i as usize * tiers + t as usize])
                    .sum()
            })
            .collect();
        let mut order: Vec<u32> = (0..p.cover.len() as u32)
            .filter(|j| !fixed.contains(j))
            .collect();
        let free = o.k - fixed.len().min(o.k);
        if free < order.len() {
            order.select_nth_unstable_by(free, |a, b| v[*b as usize].total_cmp(&v[*a as usize]));
        }
        x.clear();
        x.extend(fixed.iter().copied());
        x.extend(order.iter().take(free));
        // The subproblem's plan is feasible: keep the best few as starts.
        let mut plan = x.clone();
        plan.sort_unstable();
        let score = evaluate_with(p, &plan, &o.tier_weights, o.backup_weight).score;
        // The relaxation prices the tiers only: step against the tiers' part of the score.
        lower = lower.max(if o.backup_weight > 0.0 {
            evaluate(p, &plan, &o.tier_weights).score
        } else {
            score
        });
        if !plans.iter().any(|(_, q)| *q == plan) {
            plans.push((score, plan));
            plans.sort_by(|a, b| b.0.total_cmp(&a.0));
            plans.truncate(4);
        }
        let mut constant = 0.0;
        for at in 0..np * tiers {
            if coverers[at] > 0 {
                constant += (value(at / tiers, at % tiers) - lambda[at]).max(0.0);
            }
        }
        let l = constant + x.iter().map(|j| v[*j as usize]).sum::<f64>();
        if l < best - 1e-12 {
            best = l;
            best_values.clone_from(&v);
            best_constant = constant;
            since = 0;
        } else {
            since += 1;
            if since >= 8 {
                theta /= 2.0;
                since = 0;
            }
        }
        if best - lower <= 1e-9 * best.abs().max(1.0) || theta < 1e-6 {
            break;
        }
        // Subgradient: sites' coverage minus the relaxed indicators.
        for at in 0..np * tiers {
            grad[at] = if coverers[at] > 0 && value(at / tiers, at % tiers) - lambda[at] > 0.0 {
                -1.0
            } else {
                0.0
            };
        }
        for &j in &x {
            for &(i, t) in &p.cover[j as usize] {
                for m in t as usize..tiers {
                    grad[i as usize * tiers + m] += 1.0;
                }
            }
        }
        let norm: f64 = grad.iter().map(|g| g * g).sum();
        if norm == 0.0 {
            break;
        }
        let step = theta * (l - lower).max(1e-9 * l.abs().max(1.0)) / norm;
        for at in 0..np * tiers {
            if coverers[at] > 0 {
                // A multiplier above the value it prices never helps the bound.
                lambda[at] =
                    (lambda[at] - step * grad[at]).clamp(0.0, value(at / tiers, at % tiers));
            }
        }
    }
    Lagrange {
        bound: best.max(lower),
        plans,
        site_values: best_values,
        constant: best_constant,
    }
}

/// Chooses `k` sites: lazy greedy, then best-improvement swaps, then the
/// Lagrangian heuristic (the relaxation's plans, improved by swaps); the upper
/// bound is the smaller of the Lagrangian and the submodular bound.
pub fn optimise(p: &Problem, o: &Options) -> Result<Solution, CoverageError> {
    check(p, o)?;
    let s = p.suffix(&o.tier_weights);
    let mut chosen = greedy(p, o, &s);
    let greedy_score = evaluate_with(p, &chosen, &o.tier_weights, o.backup_weight).score;
    let mut swaps_made = swaps(p, o, &s, &mut chosen);
    let mut best_score = evaluate_with(p, &chosen, &o.tier_weights, o.backup_weight).score;
    // With backup coverage the objective is no longer submodular: bound the
    // backup term by all demand two candidates can reach, and the tiers by the relaxation.
    let backup_cap = if o.backup_weight > 0.0 {
        let mut reach = vec![0u8; p.weights.len()];
        for list in &p.cover {
            for &(i, _) in list {
                reach[i as usize] = reach[i as usize].saturating_add(1);
            }
        }
        o.backup_weight
            * reach
                .iter()
                .zip(&p.weights)
                .filter(|(r, _)| **r >= 2)
                .map(|(_, w)| w)
                .sum::<f64>()
    } else {
        0.0
    };
    let mut bound = if o.backup_weight > 0.0 {
        f64::INFINITY
    } else {
        submodular_bound(p, o, &chosen)
    };
    // Lagrangian heuristic: the relaxation's plans, improved by swaps.
    let tiers_only = evaluate(p, &chosen, &o.tier_weights).score;
    let Lagrange {
        bound: lagrange,
        plans: starts,
        ..
    } = lagrangian(p, o, tiers_only);
    bound = bound.min(lagrange + backup_cap);
    for (_, mut start) in starts {
        swaps_made += swaps(p, o, &s, &mut start);
        let score = evaluate_with(p, &start, &o.tier_weights, o.backup_weight).score;
        if score > best_score + 1e-9 {
            best_score = score;
            chosen = start;
        }
    }
    chosen.sort_unstable();
    let evaluation = evaluate_with(p, &chosen, &o.tier_weights, o.backup_weight);
    let upper = bound;
    let optimal = upper - evaluation.score <= 1e-9 * upper.abs().max(1.0);
    let upper_bound = upper.max(evaluation.score);
    Ok(Solution {
        chosen,
        evaluation,
        greedy_score,
        upper_bound,
        swaps: swaps_made,
        optimal,
    })
}

/// Solves the integer program exactly. First the heuristic gives an
/// incumbent and the Lagrangian multipliers; every site whose inclusion (or
/// exclusion) provably cannot beat the incumbent is dropped (or fixed)
/// before the integer program is built over what is left.
pub fn optimise_exact(p: &Problem, o: &Options) -> Result<Solution, CoverageError> {
    check(p, o)?;
    if o.backup_weight > 0.0 {
        // The relaxation does not price the backup term: solve the whole program.
        return solve_ip(p, o, None);
    }
    let h = optimise(p, o)?;
    if h.optimal {
        return Ok(h);
    }
    let lower = h.evaluation.score;
    let lag = lagrangian(p, o, lower);
    let v = &lag.site_values;
    let fixed: std::collections::HashSet<u32> = o.fixed.iter().copied().collect();
    let mut free: Vec<u32> = (0..p.cover.len() as u32)
        .filter(|j| !fixed.contains(j))
        .collect();
    free.sort_by(|a, b| v[*b as usize].total_cmp(&v[*a as usize]));
    let slots = o.k - fixed.len();
    let base = lag.constant
        + o.fixed.iter().map(|j| v[*j as usize]).sum::<f64>()
        + free.iter().take(slots).map(|j| v[*j as usize]).sum::<f64>();
    let kth = if slots > 0 {
        v[free[slots - 1] as usize]
    } else {
        f64::INFINITY
    };
    let next = free.get(slots).map_or(0.0, |j| v[*j as usize]);
    let margin = 1e-7 * lower.abs().max(1.0);
    let mut keep = vec![true; p.cover.len()];
    let mut forced = o.fixed.clone();
    for (rank, &j) in free.iter().enumerate() {
        if rank < slots {
            // Without j the bound falls below the incumbent: every better plan has j.
            if base - v[j as usize] + next < lower - margin {
                forced.push(j);
            }
        } else if base - kth + v[j as usize] < lower - margin {
            // With j the bound falls below the incumbent: no better plan has it.
            keep[j as usize] = false;
        }
    }
    let reduced = Options {
        fixed: forced,
        ..o.clone()
    };
    let sol = solve_ip(p, &reduced, Some(&keep))?;
    let mut best = if sol.evaluation.score > lower { sol } else { h };
    best.upper_bound = best.evaluation.score;
    best.optimal = true;
    Ok(best)
}

/// The integer program over the sites marked in `keep` (all when `None`).
fn solve_ip(p: &Problem, o: &Options, keep: Option<&[bool]>) -> Result<Solution, CoverageError> {
    use good_lp::{
        Expression, Solution as _, SolverModel, constraint, microlp, variable, variables,
    };
    check(p, o)?;
    let tiers = p.tiers();
    let np = p.weights.len();
    let mut vars = variables!();
    let x: Vec<_> = (0..p.cover.len())
        .map(|j| {
            if keep.is_none_or(|k| k[j]) {
                vars.add(variable().binary())
            } else {
                vars.add(variable().min(0.0).max(0.0))
            }
        })
        .collect();
    let mut reach: Vec<Vec<Vec<usize>>> = vec![vec![Vec::new(); tiers]; np];
    for (j, list) in p.cover.iter().enumerate() {
        if keep.is_some_and(|k| !k[j]) {
            continue;
        }
        for &(i, t) in list {
            for m in t as usize..tiers {
                reach[i as usize][m].push(j);
            }
        }
    }
    let mut objective = Expression::from(0.0);
    let mut links = Vec::new();
    for (i, tiers_of) in reach.iter().enumerate() {
        for (m, sites) in tiers_of.iter().enumerate() {
            let c = p.weights[i] * o.tier_weights[m];
            if sites.is_empty() || c == 0.0 {
                continue;
            }
            let y = vars.add(variable().min(0.0).max(1.0));
            objective += c * y;
            let sum: Expression = sites.iter().map(|j| x[*j]).sum();
            links.push(constraint!(y <= sum));
        }
    }
    if o.backup_weight > 0.0 {
        let last = tiers - 1;
        for (i, tiers_of) in reach.iter().enumerate() {
            let sites = &tiers_of[last];
            if sites.len() >= 2 && p.weights[i] > 0.0 {
                // z ≤ count − any, where any ≥ every x covering the point: with x
                // integral, z reaches 1 exactly when two or more chosen sites reach it.
                let z = vars.add(variable().min(0.0).max(1.0));
                let any = vars.add(variable().min(0.0).max(1.0));
                objective += o.backup_weight * p.weights[i] * z;
                let sum: Expression = sites.iter().map(|j| x[*j]).sum();
                links.push(constraint!(z <= sum - any));
                for j in sites {
                    links.push(constraint!(any >= x[*j]));
                }
            }
        }
    }
    let total: Expression = x.iter().copied().sum();
    let mut model = vars.maximise(objective).using(microlp);
    model = model.with(constraint!(total == o.k as f64));
    for j in &o.fixed {
        model = model.with(constraint!(x[*j as usize] == 1.0));
    }
    for l in links {
        model = model.with(l);
    }
    let sol = model
        .solve()
        .map_err(|e| CoverageError::Solver(e.to_string()))?;
    let chosen: Vec<u32> = (0..x.len() as u32)
        .filter(|j| sol.value(x[*j as usize]) > 0.5)
        .collect();
    let evaluation = evaluate_with(p, &chosen, &o.tier_weights, o.backup_weight);
    let score = evaluation.score;
    Ok(Solution {
        chosen,
        evaluation,
        greedy_score: f64::NAN,
        upper_bound: score,
        swaps: 0,
        optimal: true,
    })
}

#[cfg(test)]
mod tests;
