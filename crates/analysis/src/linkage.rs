//! Case-series linkage (串并案): is this pair of cases the same offender's?
//!
//! Pair evidence follows Porter's crimelinkage: spatial distance; the
//! expected time gap between the two from/to windows (uniform over each);
//! time-of-day and weekday differences when the windows are short enough to
//! say; and for every attribute column whether the two values match (or,
//! for set values such as "door;window", their Jaccard similarity). A naive
//! Bayes model on binned evidence, learned from solved cases (pairs sharing
//! an offender vs pairs that do not), turns evidence into a probability and
//! says which features drove it. Unsolved cases are grouped into candidate
//! series by average-linkage hierarchical clustering with a probability
//! threshold.
//!
//! Evaluation splits offenders into two halves by connected component of
//! the offender-case graph (so co-offenders and their cases stay together
//! and no offender's pairs are in both halves), learns on one half and
//! reports ROC AUC and the detection rate at 5% false positives on the
//! other.

use std::collections::{HashMap, HashSet};

use crate::records::{DAY, Record};
use crate::stats::{auc, detection_at_fpr};
use crate::{AnalysisError, Rng};

/// Evidence for one pair; `None` = cannot be told (missing data, long windows).
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// Metres between the two places.
    pub distance: f64,
    /// Expected absolute time gap, days.
    pub gap_days: f64,
    /// Circular difference of time of day, hours (0..12).
    pub hour_diff: Option<f64>,
    /// Circular difference of weekday, days (0..3.5).
    pub weekday_diff: Option<f64>,
    /// Kind matches.
    pub same_kind: Option<bool>,
    /// Per attribute: similarity in [0, 1] (1 = same value).
    pub attrs: Vec<Option<f64>>,
}

/// Expected |X - Y| for X ~ U[a, b], Y ~ U[c, d] (seconds).
pub fn expected_gap(a: f64, b: f64, c: f64, d: f64) -> f64 {
    let (w1, w2) = (b - a, d - c);
    if b <= c || d <= a || (w1 < 60.0 && w2 < 60.0) {
        return ((a + b) / 2.0 - (c + d) / 2.0).abs();
    }
    if w1 < 60.0 || w2 < 60.0 {
        // A point against an interval.
        let (x, lo, hi) = if w1 < 60.0 {
            ((a + b) / 2.0, c, d)
        } else {
            ((c + d) / 2.0, a, b)
        };
        if x <= lo || x >= hi {
            return (x - (lo + hi) / 2.0).abs();
        }
        return ((x - lo).powi(2) + (hi - x).powi(2)) / (2.0 * (hi - lo));
    }
    // Overlapping windows: integrate |x - y| with G(x, y) = |x - y|^3 / 6,
    // relative to the earliest start to keep the cubes small.
    let o = a.min(c);
    let (a, b, c, d) = (a - o, b - o, c - o, d - o);
    let g = |x: f64, y: f64| (x - y).abs().powi(3) / 6.0;
    -(g(b, d) - g(b, c) - g(a, d) + g(a, c)) / (w1 * w2)
}

fn circular(a: f64, b: f64, period: f64) -> f64 {
    let d = (a - b).rem_euclid(period);
    d.min(period - d)
}

fn hour_of(t: i64) -> f64 {
    t.rem_euclid(DAY) as f64 / 3600.0
}

fn weekday_of(t: i64) -> f64 {
    // 1970-01-01 was a Thursday; 0 = Monday.
    ((t as f64 / DAY as f64) + 3.0).rem_euclid(7.0)
}

fn attr_similarity(a: &str, b: &str) -> f64 {
    if a.contains([';', '|']) || b.contains([';', '|']) {
        let sa: HashSet<&str> = a
            .split([';', '|'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let sb: HashSet<&str> = b
            .split([';', '|'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let union = sa.union(&sb).count();
        if union == 0 {
            return 0.0;
        }
        sa.intersection(&sb).count() as f64 / union as f64
    } else {
        (a == b) as u8 as f64
    }
}

/// Evidence for cases `a` and `b`.
pub fn evidence(a: &Record, b: &Record) -> Evidence {
    let distance = (a.x - b.x).hypot(a.y - b.y);
    let gap = expected_gap(a.from as f64, a.to as f64, b.from as f64, b.to as f64);
    let short = |r: &Record, limit: i64| r.has_time && r.to - r.from <= limit;
    let hour_diff = (short(a, 12 * 3600) && short(b, 12 * 3600))
        .then(|| circular(hour_of(a.mid()), hour_of(b.mid()), 24.0));
    let weekday_diff = (short(a, DAY) && short(b, DAY)
        || !a.has_time && !b.has_time && a.to - a.from < DAY && b.to - b.from < DAY)
        .then(|| {
            circular(
                weekday_of(a.mid()).floor(),
                weekday_of(b.mid()).floor(),
                7.0,
            )
        });
    let same_kind = match (&a.kind, &b.kind) {
        (Some(x), Some(y)) => Some(x == y),
        _ => None,
    };
    let attrs = a
        .attrs
        .iter()
        .zip(&b.attrs)
        .map(|(x, y)| match (x, y) {
            (Some(x), Some(y)) => Some(attr_similarity(x, y)),
            _ => None,
        })
        .collect();
    Evidence {
        distance,
        gap_days: gap / DAY as f64,
        hour_diff,
        weekday_diff,
        same_kind,
        attrs,
    }
}

/// One feature's bins: upper edges (the last bin is open).
#[derive(Debug, Clone, PartialEq)]
struct Feature {
    name: String,
    edges: Vec<f64>,
    /// log P(bin | linked) - log P(bin | unlinked); last entry = missing.
    llr: Vec<f64>,
}

impl Feature {
    fn bin(&self, v: Option<f64>) -> usize {
        match v {
            None => self.edges.len() + 1,
            Some(v) => self
                .edges
                .iter()
                .position(|&e| v <= e)
                .unwrap_or(self.edges.len()),
        }
    }
}

/// A learned feature, for display and for independent re-implementation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FeatureTable {
    /// Feature name.
    pub name: String,
    /// Upper bin edges (value <= edge); values above the last are in the
    /// bin after it; the final entry of `llr` is for a missing value.
    pub edges: Vec<f64>,
    /// Log-likelihood ratio per bin.
    pub llr: Vec<f64>,
}

/// A learned linkage model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    features: Vec<Feature>,
    prior_log_odds: f64,
    /// Linked training pairs.
    pub linked: usize,
    /// Unlinked training pairs.
    pub unlinked: usize,
}

/// Why a pair scored as it did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Contribution {
    /// Feature name.
    pub feature: String,
    /// The pair's value (None = missing).
    pub value: Option<f64>,
    /// Log-likelihood ratio it added (positive = towards linked).
    pub weight: f64,
}

fn values(e: &Evidence) -> Vec<Option<f64>> {
    let mut v = vec![
        Some(e.distance),
        Some(e.gap_days),
        e.hour_diff,
        e.weekday_diff,
        e.same_kind.map(|b| b as u8 as f64),
    ];
    v.extend(e.attrs.iter().copied());
    v
}

fn names(attr_names: &[String]) -> Vec<String> {
    let mut v: Vec<String> = [
        "distance_m",
        "gap_days",
        "hour_diff",
        "weekday_diff",
        "same_kind",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    v.extend(attr_names.iter().map(|a| format!("attr:{a}")));
    v
}

const BINS: usize = 10;

impl Model {
    /// Learn from evidence of linked and unlinked pairs.
    pub fn fit(
        linked: &[Evidence],
        unlinked: &[Evidence],
        attr_names: &[String],
    ) -> Result<Model, AnalysisError> {
        if linked.is_empty() || unlinked.is_empty() {
            return Err(AnalysisError::Input(format!(
                "linkage needs linked and unlinked training pairs (got {} and {}); are there offenders with 2+ cases?",
                linked.len(),
                unlinked.len()
            )));
        }
        let lv: Vec<Vec<Option<f64>>> = linked.iter().map(values).collect();
        let uv: Vec<Vec<Option<f64>>> = unlinked.iter().map(values).collect();
        let names = names(attr_names);
        let mut features = Vec::new();
        for (k, name) in names.into_iter().enumerate() {
            // Bin edges: quantiles of the linked values (where the signal is),
            // distinct only; categorical/similarity features get [0, 0.5).
            let mut lvals: Vec<f64> = lv.iter().filter_map(|v| v[k]).collect();
            lvals.sort_by(f64::total_cmp);
            let discrete = k >= 4;
            let edges: Vec<f64> = if discrete {
                vec![0.0, 0.5, 0.999]
            } else if lvals.is_empty() {
                Vec::new()
            } else {
                let mut e: Vec<f64> = (1..BINS)
                    .map(|q| lvals[(q * (lvals.len() - 1)) / BINS])
                    .collect();
                e.dedup();
                e
            };
            let nb = edges.len() + 2;
            let f0 = Feature {
                name,
                edges,
                llr: vec![0.0; nb],
            };
            let (mut cl, mut cu) = (vec![0.5; nb], vec![0.5; nb]);
            for v in &lv {
                cl[f0.bin(v[k])] += 1.0;
            }
            for v in &uv {
                cu[f0.bin(v[k])] += 1.0;
            }
            let (sl, su): (f64, f64) = (cl.iter().sum(), cu.iter().sum());
            let llr = cl
                .iter()
                .zip(&cu)
                .map(|(l, u)| (l / sl).ln() - (u / su).ln())
                .collect();
            features.push(Feature { llr, ..f0 });
        }
        Ok(Model {
            features,
            prior_log_odds: (linked.len() as f64 / unlinked.len() as f64).ln(),
            linked: linked.len(),
            unlinked: unlinked.len(),
        })
    }

    /// The learned tables (what each feature's bins weigh).
    pub fn tables(&self) -> Vec<FeatureTable> {
        self.features
            .iter()
            .map(|f| FeatureTable {
                name: f.name.clone(),
                edges: f.edges.clone(),
                llr: f.llr.clone(),
            })
            .collect()
    }

    /// Log-odds score with the training base rate (higher = more likely linked).
    pub fn score(&self, e: &Evidence) -> f64 {
        self.prior_log_odds + self.evidence_log_ratio(e)
    }

    /// Log likelihood ratio of the evidence alone (log Bayes factor): the
    /// log-odds at even prior odds.
    pub fn evidence_log_ratio(&self, e: &Evidence) -> f64 {
        let v = values(e);
        self.features
            .iter()
            .zip(&v)
            .map(|(f, &x)| f.llr[f.bin(x)])
            .sum::<f64>()
    }

    /// Probability linked with the training base rate of linked pairs.
    pub fn probability(&self, e: &Evidence) -> f64 {
        1.0 / (1.0 + (-self.score(e)).exp())
    }

    /// Probability linked at even prior odds (the evidence alone speaking).
    pub fn evidence_probability(&self, e: &Evidence) -> f64 {
        1.0 / (1.0 + (-self.evidence_log_ratio(e)).exp())
    }

    /// Training base rate of linked pairs, as log-odds.
    pub fn prior_log_odds(&self) -> f64 {
        self.prior_log_odds
    }

    /// Each feature's contribution, strongest first.
    pub fn explain(&self, e: &Evidence) -> Vec<Contribution> {
        let v = values(e);
        let mut c: Vec<Contribution> = self
            .features
            .iter()
            .zip(&v)
            .map(|(f, &x)| Contribution {
                feature: f.name.clone(),
                value: x,
                weight: f.llr[f.bin(x)],
            })
            .collect();
        c.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()));
        c
    }
}

/// Which offenders committed which cases.
#[derive(Debug, Clone, Default)]
pub struct Solved {
    /// Offender ids per case index (empty = unsolved).
    pub offenders: Vec<Vec<String>>,
}

impl Solved {
    /// From (offender, case id) rows; rows naming unknown cases are ignored
    /// (and counted).
    pub fn from_rows(cases: &[Record], rows: &[(String, String)]) -> (Solved, usize) {
        let index: HashMap<&str, usize> = cases
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        let mut offenders = vec![Vec::new(); cases.len()];
        let mut unknown = 0;
        for (o, c) in rows {
            match index.get(c.as_str()) {
                Some(&i) => {
                    if !offenders[i].contains(o) {
                        offenders[i].push(o.clone());
                    }
                }
                None => unknown += 1,
            }
        }
        (Solved { offenders }, unknown)
    }

    fn linked(&self, i: usize, j: usize) -> bool {
        self.offenders[i]
            .iter()
            .any(|o| self.offenders[j].contains(o))
    }
}

/// Pairs of solved cases among `members`: (linked, unlinked) index pairs.
/// Unlinked pairs are those whose offender sets are disjoint.
/// Pairs of record indices.
type Pairs = Vec<(usize, usize)>;

fn pairs_of(members: &[usize], solved: &Solved) -> (Pairs, Pairs) {
    let (mut l, mut u) = (Vec::new(), Vec::new());
    for (a, &i) in members.iter().enumerate() {
        for &j in &members[a + 1..] {
            if solved.linked(i, j) {
                l.push((i, j));
            } else {
                u.push((i, j));
            }
        }
    }
    (l, u)
}

/// Held-out evaluation of the linkage model.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Evaluation {
    /// ROC AUC on the test pairs.
    pub auc: f64,
    /// Share of linked test pairs found when 5% of unlinked ones are let through.
    pub detection_at_5pct_fpr: f64,
    /// Training pairs (linked + unlinked).
    pub train_pairs: usize,
    /// Test pairs (linked + unlinked).
    pub test_pairs: usize,
    /// Linked pairs in training / test.
    pub train_linked: usize,
    /// Linked test pairs.
    pub test_linked: usize,
    /// Solved cases used.
    pub solved_cases: usize,
    /// Offenders.
    pub offenders: usize,
}

/// Split solved cases into two halves by offender component (seeded), learn on
/// one and evaluate on the other.
pub fn evaluate(
    cases: &[Record],
    solved: &Solved,
    attr_names: &[String],
    seed: u64,
) -> Result<(Evaluation, Model), AnalysisError> {
    let n = cases.len();
    // Union-find over cases joined through shared offenders.
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut a: usize) -> usize {
        while p[a] != a {
            p[a] = p[p[a]];
            a = p[a];
        }
        a
    }
    let mut first_case: HashMap<&str, usize> = HashMap::new();
    for (i, os) in solved.offenders.iter().enumerate() {
        for o in os {
            match first_case.get(o.as_str()) {
                Some(&j) => {
                    let (ra, rb) = (find(&mut parent, i), find(&mut parent, j));
                    parent[ra] = rb;
                }
                None => {
                    first_case.insert(o.as_str(), i);
                }
            }
        }
    }
    let solved_idx: Vec<usize> = (0..n)
        .filter(|&i| !solved.offenders[i].is_empty())
        .collect();
    let mut roots: Vec<usize> = solved_idx.iter().map(|&i| find(&mut parent, i)).collect();
    roots.sort_unstable();
    roots.dedup();
    let mut rng = Rng::new(seed);
    rng.shuffle(&mut roots);
    let half: HashSet<usize> = roots[..roots.len() / 2].iter().copied().collect();
    let (train, test): (Vec<usize>, Vec<usize>) = solved_idx
        .iter()
        .partition(|&&i| half.contains(&find(&mut parent, i)));
    let (tl, tu) = pairs_of(&train, solved);
    let (sl, su) = pairs_of(&test, solved);
    let ev = |p: &[(usize, usize)]| -> Vec<Evidence> {
        p.iter()
            .map(|&(i, j)| evidence(&cases[i], &cases[j]))
            .collect()
    };
    let model = Model::fit(&ev(&tl), &ev(&tu), attr_names)?;
    if sl.is_empty() || su.is_empty() {
        return Err(AnalysisError::Input(
            "the test half has no linked or no unlinked pairs".into(),
        ));
    }
    let pos: Vec<f64> = sl
        .iter()
        .map(|&(i, j)| model.score(&evidence(&cases[i], &cases[j])))
        .collect();
    let neg: Vec<f64> = su
        .iter()
        .map(|&(i, j)| model.score(&evidence(&cases[i], &cases[j])))
        .collect();
    let offenders: HashSet<&String> = solved.offenders.iter().flatten().collect();
    Ok((
        Evaluation {
            auc: auc(&pos, &neg),
            detection_at_5pct_fpr: detection_at_fpr(&pos, &neg, 0.05),
            train_pairs: tl.len() + tu.len(),
            test_pairs: sl.len() + su.len(),
            train_linked: tl.len(),
            test_linked: sl.len(),
            solved_cases: solved_idx.len(),
            offenders: offenders.len(),
        },
        model,
    ))
}

/// Learn a model from every solved case.
pub fn fit_all(
    cases: &[Record],
    solved: &Solved,
    attr_names: &[String],
) -> Result<Model, AnalysisError> {
    let idx: Vec<usize> = (0..cases.len())
        .filter(|&i| !solved.offenders[i].is_empty())
        .collect();
    let (l, u) = pairs_of(&idx, solved);
    let ev = |p: &[(usize, usize)]| -> Vec<Evidence> {
        p.iter()
            .map(|&(i, j)| evidence(&cases[i], &cases[j]))
            .collect()
    };
    Model::fit(&ev(&l), &ev(&u), attr_names)
}

/// Scored pairs among `cases` closer than `max_distance` metres and
/// `max_gap_days` days (space-time pruning by a grid hash), with the
/// evidence's log likelihood ratio: (i, j, log ratio), `i < j`.
///
/// The same evidence as [`evidence`], computed from per-case values prepared
/// once (interned attribute values, time of day, weekday) so the pair loop
/// allocates nothing.
pub fn score_pairs(
    model: &Model,
    cases: &[Record],
    max_distance: f64,
    max_gap_days: f64,
) -> Vec<(u32, u32, f64)> {
    let n = cases.len();
    let width = cases.iter().map(|c| c.attrs.len()).max().unwrap_or(0);
    // Interned attribute values; set-valued columns keep the string path.
    let mut set_valued = vec![false; width];
    let mut codes = vec![vec![u32::MAX; n]; width];
    for k in 0..width {
        let mut intern: HashMap<&str, u32> = HashMap::new();
        for (i, c) in cases.iter().enumerate() {
            if let Some(Some(v)) = c.attrs.get(k) {
                set_valued[k] |= v.contains([';', '|']);
                let next = intern.len() as u32;
                codes[k][i] = *intern.entry(v.as_str()).or_insert(next);
            }
        }
    }
    let mut kinds: HashMap<&str, u32> = HashMap::new();
    let kind: Vec<u32> = cases
        .iter()
        .map(|c| match &c.kind {
            Some(k) => {
                let next = kinds.len() as u32;
                *kinds.entry(k.as_str()).or_insert(next)
            }
            None => u32::MAX,
        })
        .collect();
    let short = |r: &Record, limit: i64| r.has_time && r.to - r.from <= limit;
    let hour: Vec<Option<f64>> = cases
        .iter()
        .map(|r| short(r, 12 * 3600).then(|| hour_of(r.mid())))
        .collect();
    // Weekday class: 1 = timed within a day, 2 = a single date, 0 = unknown.
    let wclass: Vec<u8> = cases
        .iter()
        .map(|r| {
            if short(r, DAY) {
                1
            } else if !r.has_time && r.to - r.from < DAY {
                2
            } else {
                0
            }
        })
        .collect();
    let wday: Vec<f64> = cases.iter().map(|r| weekday_of(r.mid()).floor()).collect();
    let nf = model.features.len();
    let score = |i: usize, j: usize, d: f64| -> f64 {
        let (a, b) = (&cases[i], &cases[j]);
        let mut total = 0.0;
        let mut add = |f: usize, v: Option<f64>| {
            if f < nf {
                let feat = &model.features[f];
                total += feat.llr[feat.bin(v)];
            }
        };
        add(0, Some(d));
        add(
            1,
            Some(expected_gap(a.from as f64, a.to as f64, b.from as f64, b.to as f64) / DAY as f64),
        );
        add(
            2,
            match (hour[i], hour[j]) {
                (Some(x), Some(y)) => Some(circular(x, y, 24.0)),
                _ => None,
            },
        );
        add(
            3,
            (wclass[i] != 0 && wclass[i] == wclass[j]).then(|| circular(wday[i], wday[j], 7.0)),
        );
        add(
            4,
            (kind[i] != u32::MAX && kind[j] != u32::MAX).then(|| (kind[i] == kind[j]) as u8 as f64),
        );
        for k in 0..width.min(a.attrs.len()).min(b.attrs.len()) {
            let (ci, cj) = (codes[k][i], codes[k][j]);
            let v = if ci == u32::MAX || cj == u32::MAX {
                None
            } else if set_valued[k] {
                match (&a.attrs[k], &b.attrs[k]) {
                    (Some(x), Some(y)) => Some(attr_similarity(x, y)),
                    _ => None,
                }
            } else {
                Some((ci == cj) as u8 as f64)
            };
            add(5 + k, v);
        }
        total
    };
    // Grid hash: points sorted by cell, each cell a range.
    let cell_of = |v: f64| (v / max_distance).floor() as i64;
    let mut order: Vec<(i64, i64, u32)> = cases
        .iter()
        .enumerate()
        .map(|(i, r)| (cell_of(r.x), cell_of(r.y), i as u32))
        .collect();
    order.sort_unstable();
    let mut ranges: HashMap<(i64, i64), (usize, usize)> = HashMap::new();
    let mut k = 0;
    while k < order.len() {
        let mut e = k;
        while e < order.len() && (order[e].0, order[e].1) == (order[k].0, order[k].1) {
            e += 1;
        }
        ranges.insert((order[k].0, order[k].1), (k, e));
        k = e;
    }
    let max_gap = max_gap_days * DAY as f64;
    let mut out = Vec::new();
    for i in 0..n {
        let a = &cases[i];
        let (cx, cy) = (cell_of(a.x), cell_of(a.y));
        for gx in cx - 1..=cx + 1 {
            for gy in cy - 1..=cy + 1 {
                let Some(&(s0, e0)) = ranges.get(&(gx, gy)) else {
                    continue;
                };
                for &(_, _, j) in &order[s0..e0] {
                    let j = j as usize;
                    if j <= i {
                        continue;
                    }
                    let b = &cases[j];
                    // Smallest possible gap between the windows.
                    let gap = (a.from.max(b.from) - a.to.min(b.to)).max(0) as f64;
                    if gap > max_gap {
                        continue;
                    }
                    let (dx, dy) = (a.x - b.x, a.y - b.y);
                    // A margin keeps the cheap test from deciding borderline pairs.
                    if dx * dx + dy * dy > max_distance * max_distance * 1.000001 {
                        continue;
                    }
                    let d = dx.hypot(dy);
                    if d >= max_distance {
                        continue;
                    }
                    out.push((i as u32, j as u32, score(i, j, d)));
                }
            }
        }
    }
    out
}

/// Average-linkage clustering of `members` (case indices) by probability:
/// clusters merge while the mean pairwise probability between them is at
/// least `threshold` (pairs not scored count as 0). Returns series of 2+.
pub fn series(
    members: &[usize],
    prob: &HashMap<(usize, usize), f64>,
    threshold: f64,
) -> Vec<Vec<usize>> {
    let mut clusters: Vec<Vec<usize>> = members.iter().map(|&i| vec![i]).collect();
    let p = |a: usize, b: usize| *prob.get(&(a.min(b), a.max(b))).unwrap_or(&0.0);
    loop {
        let mut best: Option<(f64, usize, usize)> = None;
        for x in 0..clusters.len() {
            for y in x + 1..clusters.len() {
                // Only clusters joined by at least one scored pair can merge.
                let mut sum = 0.0;
                let mut any = false;
                for &a in &clusters[x] {
                    for &b in &clusters[y] {
                        let v = p(a, b);
                        any |= v > 0.0;
                        sum += v;
                    }
                }
                if !any {
                    continue;
                }
                let avg = sum / (clusters[x].len() * clusters[y].len()) as f64;
                if avg >= threshold && best.is_none_or(|b| avg > b.0) {
                    best = Some((avg, x, y));
                }
            }
        }
        let Some((_, x, y)) = best else { break };
        let merged = clusters.swap_remove(y);
        clusters[x].extend(merged);
    }
    let mut out: Vec<Vec<usize>> = clusters.into_iter().filter(|c| c.len() > 1).collect();
    for c in &mut out {
        c.sort_unstable();
    }
    out.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_gap_matches_monte_carlo() {
        let mut rng = Rng::new(3);
        for (a, b, c, d) in [
            (0.0, 100.0, 50.0, 300.0),
            (0.0, 100.0, 0.0, 100.0),
            (0.0, 1000.0, 400.0, 400.0),
            (0.0, 100.0, 200.0, 300.0),
        ] {
            let n = 200_000;
            let mut s = 0.0;
            for _ in 0..n {
                let x = a + (b - a) * rng.next_f64();
                let y = c + (d - c) * rng.next_f64();
                s += f64::abs(x - y);
            }
            let mc = s / n as f64;
            let got = expected_gap(a, b, c, d);
            assert!(
                (got - mc).abs() < 0.01 * (b - a).max(d - c),
                "{a} {b} {c} {d}: {got} vs {mc}"
            );
        }
        // Two identical windows of width w: w / 3.
        assert!((expected_gap(0.0, 3600.0, 0.0, 3600.0) - 1200.0).abs() < 1e-6);
    }

    #[test]
    fn evidence_features() {
        let mut a = Record::at("a", 0.0, 0.0, 10 * DAY + 3600);
        let mut b = Record::at("b", 300.0, 400.0, 17 * DAY + 23 * 3600);
        a.attrs = vec![Some("door;window".into()), Some("x".into())];
        b.attrs = vec![Some("window".into()), None];
        let e = evidence(&a, &b);
        assert_eq!(e.distance, 500.0);
        assert!((e.gap_days - (7.0 + 22.0 / 24.0)).abs() < 1e-9);
        assert_eq!(e.hour_diff, Some(2.0));
        assert_eq!(e.weekday_diff, Some(0.0));
        assert_eq!(e.attrs, vec![Some(0.5), None]);
    }

    #[test]
    fn learns_a_planted_series_signal() {
        // Offenders work near their home, at their hour, with their method.
        let mut rng = Rng::new(5);
        let mut cases = Vec::new();
        let mut rows = Vec::new();
        for o in 0..60 {
            let (hx, hy) = (rng.next_f64() * 20_000.0, rng.next_f64() * 20_000.0);
            let hour = rng.below(24) as i64;
            let method = format!("m{}", rng.below(6));
            for k in 0..3 {
                let t = (rng.below(300) as i64) * DAY + hour * 3600;
                let mut r = Record::at(
                    format!("c{o}_{k}"),
                    hx + rng.next_f64() * 800.0,
                    hy + rng.next_f64() * 800.0,
                    t,
                );
                r.attrs = vec![Some(method.clone())];
                rows.push((format!("o{o}"), r.id.clone()));
                cases.push(r);
            }
        }
        let (solved, unknown) = Solved::from_rows(&cases, &rows);
        assert_eq!(unknown, 0);
        let (ev, model) = evaluate(&cases, &solved, &["method".into()], 1).unwrap();
        assert!(ev.auc > 0.95, "{ev:?}");
        assert!(ev.detection_at_5pct_fpr > 0.8, "{ev:?}");
        let e = evidence(&cases[0], &cases[1]);
        assert!(
            model.evidence_probability(&e) > 0.8,
            "{}",
            model.evidence_probability(&e)
        );
        assert!(
            model.probability(&e) < model.evidence_probability(&e),
            "the base rate is low"
        );
        assert_eq!(model.explain(&e).len(), 6);
        // Grouping: scored pairs of the first 5 offenders' cases form their series.
        let members: Vec<usize> = (0..15).collect();
        let scored = score_pairs(&model, &cases[..15], 5000.0, 400.0);
        let prob: HashMap<(usize, usize), f64> = scored
            .iter()
            .map(|&(i, j, s)| ((i as usize, j as usize), 1.0 / (1.0 + (-s).exp())))
            .collect();
        for &(i, j, sc) in &scored {
            let e = evidence(&cases[i as usize], &cases[j as usize]);
            assert!(
                (sc - model.evidence_log_ratio(&e)).abs() < 1e-12,
                "fast path = evidence path"
            );
        }
        let groups = series(&members, &prob, 0.5);
        let right = groups
            .iter()
            .filter(|g| g.iter().all(|&i| i / 3 == g[0] / 3) && g.len() == 3)
            .count();
        assert!(right >= 4, "{groups:?}");
    }
}
