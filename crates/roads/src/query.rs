//! Exact queries on the hierarchy: one-to-one, many-to-one, many-to-many.
//!
//! All searches go upward only. One-to-one is a bidirectional search with
//! stall-on-demand. Many-to-one with few sources computes the target's whole
//! backward search space once, then runs one forward search per source that
//! stops as soon as it cannot beat that source's best meeting; with many
//! sources it sweeps the part of the hierarchy the sources reach (RPHAST),
//! and [`Router::all_to_one`] sweeps all of it (PHAST). Many-to-many uses
//! buckets (Knopp et al. 2007): one backward search per target fills per-node
//! buckets, one forward search per source scans them.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use crate::LatLon;
use crate::ch::ORIGINAL;
use crate::graph::{Graph, NONE, UpEdge};
use crate::snap::{Seed, Snap, direct};

/// A fastest route: its time and length, and optionally its geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Travel time in milliseconds.
    pub ms: u32,
    /// Length in centimetres.
    pub cm: u32,
    /// The polyline, when asked for.
    pub geometry: Option<Vec<LatLon>>,
    /// The roads driven, in order, when the geometry is asked for (the input of [`crate::steps`]).
    pub legs: Option<Vec<Leg>>,
}

/// One road of a route, driven from fraction `from` to fraction `to` of its
/// length (`from > to`: against the road's drawing direction).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Leg {
    /// The road.
    pub road: u32,
    /// Where the route enters it, 0 (start junction) … 1 (end junction).
    pub from: f64,
    /// Where the route leaves it.
    pub to: f64,
}

impl Leg {
    /// Whether the road is driven against its drawing direction.
    pub fn backward(&self) -> bool {
        self.to < self.from
    }

    /// The driven part's polyline, in driving order.
    pub fn geometry(&self, g: &Graph) -> Vec<LatLon> {
        let mut pts = g.road_part(self.road, self.from.min(self.to), self.from.max(self.to));
        if self.backward() {
            pts.reverse();
        }
        pts
    }

    /// Metres driven on this road.
    pub fn meters(&self, g: &Graph) -> f64 {
        g.road_meters(self.road) * (self.to - self.from).abs()
    }

    /// Seconds driven on this road, at its time in the driven direction.
    pub fn seconds(&self, g: &Graph) -> f64 {
        let (fwd, bwd) = g.road_ms(self.road);
        let ms = if self.backward() { bwd } else { fwd };
        ms.unwrap_or(0) as f64 / 1000.0 * (self.to - self.from).abs()
    }
}

impl Route {
    /// Travel time in seconds.
    pub fn seconds(&self) -> f64 {
        self.ms as f64 / 1000.0
    }
    /// Length in metres.
    pub fn meters(&self) -> f64 {
        self.cm as f64 / 100.0
    }
}

#[inline]
fn key(d: u32, v: u32) -> Reverse<u64> {
    Reverse((d as u64) << 32 | v as u64)
}

/// One direction's search state, reused across queries (timestamps avoid clearing).
#[derive(Debug)]
pub(crate) struct Search {
    dist: Vec<u32>,
    cm: Vec<u32>,
    /// Index into the edge array that reached the node, or `NONE` for a seed.
    pred: Vec<u32>,
    stamp: Vec<u32>,
    round: u32,
    heap: BinaryHeap<Reverse<u64>>,
    settled: Vec<(u32, u32)>,
}

impl Search {
    pub(crate) fn new(n: usize) -> Self {
        Search {
            dist: vec![NONE; n],
            cm: vec![0; n],
            pred: vec![NONE; n],
            stamp: vec![0; n],
            round: 0,
            heap: BinaryHeap::new(),
            settled: Vec::new(),
        }
    }

    pub(crate) fn reset(&mut self) {
        self.round = self.round.wrapping_add(1);
        if self.round == 0 {
            self.stamp.fill(0);
            self.round = 1;
        }
        self.heap.clear();
        self.settled.clear();
    }

    #[inline]
    pub(crate) fn dist(&self, v: u32) -> u32 {
        if self.stamp[v as usize] == self.round {
            self.dist[v as usize]
        } else {
            NONE
        }
    }

    #[inline]
    fn improve(&mut self, v: u32, d: u32, cm: u32, pred: u32) {
        if d < self.dist(v) {
            let i = v as usize;
            self.stamp[i] = self.round;
            self.dist[i] = d;
            self.cm[i] = cm;
            self.pred[i] = pred;
            self.heap.push(key(d, v));
        }
    }

    fn seed(&mut self, seeds: &[Option<Seed>; 2]) {
        for s in seeds.iter().flatten() {
            self.improve(s.node, s.ms, s.cm, NONE);
        }
    }

    #[inline]
    fn min_key(&self) -> u32 {
        self.heap.peek().map_or(NONE, |Reverse(k)| (k >> 32) as u32)
    }

    /// Pops the next node to settle: `(dist, node)`; skips stale entries.
    #[inline]
    fn pop(&mut self) -> Option<(u32, u32)> {
        while let Some(Reverse(k)) = self.heap.pop() {
            let (d, v) = ((k >> 32) as u32, k as u32);
            if d == self.dist(v) {
                return Some((d, v));
            }
        }
        None
    }

    /// Relaxes `v`'s edges (`edges` starts at index `base` of its array) unless
    /// `v` is stalled: reached more cheaply through a higher node (`back`).
    #[inline]
    fn settle(&mut self, d: u32, v: u32, edges: &[UpEdge], base: u32, back: &[UpEdge]) -> bool {
        for e in back {
            let du = self.dist(e.to);
            if du != NONE && du.saturating_add(e.ms) < d {
                return false;
            }
        }
        let c = self.cm[v as usize];
        for (k, e) in edges.iter().enumerate() {
            self.improve(
                e.to,
                d.saturating_add(e.ms),
                c.saturating_add(e.cm),
                base + k as u32,
            );
        }
        true
    }
}

/// A query engine over one graph. Holds the scratch memory of its searches, so
/// keep one per thread and reuse it.
#[derive(Debug)]
pub struct Router<'g> {
    g: &'g Graph,
    fwd: Search,
    bwd: Search,
    /// Every junction's time to the last sweep's target.
    sweep: Vec<u32>,
}

/// A source's entry into the prepared graph: (position in `nodes`, ms to get there).
type LocalSeed = (u32, u32);

/// A fleet of sources prepared by [`Router::prepare_sources`].
#[derive(Debug, Clone)]
pub struct PreparedSources {
    /// Selected junctions, highest rank first.
    nodes: Vec<u32>,
    /// Junction id → position in `nodes` (`NONE`: not selected).
    local: Vec<u32>,
    first: Vec<u32>,
    edges: Vec<(u32, u32)>,
    /// Per source (`None`: not snapped), up to two entry junctions.
    seeds: Vec<Option<[Option<LocalSeed>; 2]>>,
    snaps: Vec<Option<Snap>>,
}

impl PreparedSources {
    /// Number of sources.
    pub fn len(&self) -> usize {
        self.seeds.len()
    }
    /// True when there are no sources.
    pub fn is_empty(&self) -> bool {
        self.seeds.is_empty()
    }
    /// Junctions the sweep visits.
    pub fn selected_nodes(&self) -> usize {
        self.nodes.len()
    }
}

/// From this many sources on, many-to-one sweeps the sources' part of the
/// hierarchy instead of searching from each source.
const SWEEP_FROM_SOURCES: usize = 24;

impl<'g> Router<'g> {
    /// A router over `graph`.
    pub fn new(graph: &'g Graph) -> Self {
        let n = graph.nodes.len();
        Router {
            g: graph,
            fwd: Search::new(n),
            bwd: Search::new(n),
            sweep: Vec::new(),
        }
    }

    /// The graph this router queries.
    pub fn graph(&self) -> &'g Graph {
        self.g
    }

    /// Fastest route from `s` to `t`, or `None` when `t` cannot be reached.
    pub fn route(&mut self, s: &Snap, t: &Snap, with_geometry: bool) -> Option<Route> {
        let g = self.g;
        self.fwd.reset();
        self.bwd.reset();
        self.fwd.seed(&s.source_seeds(g));
        self.bwd.seed(&t.target_seeds(g));
        let direct = direct(g, s, t);
        let mut best = direct.map_or(NONE, |d| d.0);
        let mut best_cm = direct.map_or(0, |d| d.1);
        let mut meet = NONE;
        loop {
            let (kf, kb) = (self.fwd.min_key(), self.bwd.min_key());
            if kf.min(kb) >= best {
                break;
            }
            if kf <= kb {
                let Some((d, v)) = self.fwd.pop() else {
                    continue;
                };
                let other = self.bwd.dist(v);
                if other != NONE && d.saturating_add(other) < best {
                    best = d + other;
                    best_cm = self.fwd.cm[v as usize] + self.bwd.cm[v as usize];
                    meet = v;
                }
                let base = g.up_first[v as usize];
                self.fwd.settle(d, v, g.up_edges(v), base, g.down_edges(v));
            } else {
                let Some((d, v)) = self.bwd.pop() else {
                    continue;
                };
                let other = self.fwd.dist(v);
                if other != NONE && d.saturating_add(other) < best {
                    best = d + other;
                    best_cm = self.fwd.cm[v as usize] + self.bwd.cm[v as usize];
                    meet = v;
                }
                let base = g.down_first[v as usize];
                self.bwd.settle(d, v, g.down_edges(v), base, g.up_edges(v));
            }
        }
        if best == NONE {
            return None;
        }
        let legs = with_geometry.then(|| self.legs(s, t, meet));
        let geometry = legs.as_ref().map(|legs| {
            let mut pts: Vec<LatLon> = legs.iter().flat_map(|l| l.geometry(g)).collect();
            pts.dedup();
            pts
        });
        Some(Route {
            ms: best,
            cm: best_cm,
            geometry,
            legs,
        })
    }

    /// Which node's edge list holds edge index `k`.
    fn owner(&self, first: &[u32], k: u32) -> u32 {
        (first.partition_point(|&f| f <= k) - 1) as u32
    }

    /// Unpacks the edge `a → b` of cost `ms` into road pieces.
    fn unpack_dir(&self, a: u32, b: u32, ms: u32, mid: u32, out: &mut Vec<(u32, bool)>) {
        if mid & ORIGINAL != 0 {
            let rd = mid & !ORIGINAL;
            out.push((rd >> 1, rd & 1 == 1));
            return;
        }
        // a → mid is stored at mid's down list (mid is lower than a); mid → b in mid's up list.
        let g = self.g;
        let first = g
            .down_edges(mid)
            .iter()
            .filter(|e| e.to == a)
            .min_by_key(|e| e.ms)
            .copied();
        let second = g
            .up_edges(mid)
            .iter()
            .filter(|e| e.to == b)
            .min_by_key(|e| e.ms)
            .copied();
        match (first, second) {
            (Some(x), Some(y)) if x.ms.saturating_add(y.ms) == ms => {
                self.unpack_dir(a, mid, x.ms, x.mid, out);
                self.unpack_dir(mid, b, y.ms, y.mid, out);
            }
            _ => debug_assert!(false, "shortcut {a}->{b} via {mid} cannot be unpacked"),
        }
    }

    fn legs(&self, s: &Snap, t: &Snap, meet: u32) -> Vec<Leg> {
        let g = self.g;
        if meet == NONE {
            // Along the shared road.
            return vec![Leg {
                road: s.road,
                from: s.frac,
                to: t.frac,
            }];
        }
        let mut pieces: Vec<(u32, bool)> = Vec::new();
        // Forward half: from the source seed node up to meet.
        let mut chain = Vec::new();
        let mut v = meet;
        while self.fwd.pred[v as usize] != NONE {
            let k = self.fwd.pred[v as usize];
            let from = self.owner(&g.up_first, k);
            chain.push((from, v, g.up[k as usize]));
            v = from;
        }
        let start_node = v;
        chain.reverse();
        for (a, b, e) in chain {
            self.unpack_dir(a, b, e.ms, e.mid, &mut pieces);
        }
        let mut v = meet;
        while self.bwd.pred[v as usize] != NONE {
            let k = self.bwd.pred[v as usize];
            let from = self.owner(&g.down_first, k);
            let e = g.down[k as usize];
            // Stored at `from`, the edge leads from e.to (= v) down to `from`.
            self.unpack_dir(v, from, e.ms, e.mid, &mut pieces);
            v = from;
        }
        let end_node = v;
        let mut legs = Vec::with_capacity(pieces.len() + 2);
        // First partial road: from the source point to start_node, the way the
        // search left it (on a loop road both ends are start_node: the seed's cost tells).
        let [on, back] = s.source_seeds(g);
        let left_forward = on.is_some_and(|sd| {
            sd.node == start_node && back.is_none_or(|b| b.node != start_node || sd.ms <= b.ms)
        });
        legs.push(Leg {
            road: s.road,
            from: s.frac,
            to: if left_forward { 1.0 } else { 0.0 },
        });
        for (road, backward) in pieces {
            let (from, to) = if backward { (1.0, 0.0) } else { (0.0, 1.0) };
            legs.push(Leg { road, from, to });
        }
        let [on, back] = t.target_seeds(g);
        let arrived_forward = on.is_some_and(|sd| {
            sd.node == end_node && back.is_none_or(|b| b.node != end_node || sd.ms <= b.ms)
        });
        legs.push(Leg {
            road: t.road,
            from: if arrived_forward { 0.0 } else { 1.0 },
            to: t.frac,
        });
        legs
    }

    /// Travel times in ms from each source to one target (`None`: no source,
    /// unreachable, or over `limit_ms`). The dispatch case.
    ///
    /// Few sources: the target's whole backward search space, then one forward
    /// search per source that stops once it cannot beat that source's best.
    /// Many sources: [`Router::prepare_sources`] then
    /// [`Router::many_to_one_prepared`] (prepare once and reuse it when the
    /// same fleet is asked about many incidents).
    pub fn many_to_one(
        &mut self,
        sources: &[Option<Snap>],
        target: &Snap,
        limit_ms: Option<u32>,
    ) -> Vec<Option<u32>> {
        let g = self.g;
        let limit = limit_ms.unwrap_or(NONE - 1);
        if sources.len() >= SWEEP_FROM_SOURCES {
            let prepared = self.prepare_sources(sources);
            return self.many_to_one_prepared(&prepared, target, limit_ms);
        }
        self.backward_space(target, limit);
        sources
            .iter()
            .map(|s| {
                let s = s.as_ref()?;
                let mut best = direct(g, s, target).map_or(NONE, |d| d.0);
                self.fwd.reset();
                self.fwd.seed(&s.source_seeds(g));
                while let Some((d, v)) = self.fwd.pop() {
                    if d >= best || d > limit {
                        break;
                    }
                    let other = self.bwd.dist(v);
                    if other != NONE && d.saturating_add(other) < best {
                        best = d + other;
                    }
                    let base = g.up_first[v as usize];
                    self.fwd.settle(d, v, g.up_edges(v), base, g.down_edges(v));
                }
                (best <= limit).then_some(best)
            })
            .collect()
    }

    /// The target's backward upward search space, to `limit`.
    fn backward_space(&mut self, target: &Snap, limit: u32) {
        let g = self.g;
        self.bwd.reset();
        self.bwd.seed(&target.target_seeds(g));
        while let Some((d, v)) = self.bwd.pop() {
            if d > limit {
                break;
            }
            let base = g.down_first[v as usize];
            if self.bwd.settle(d, v, g.down_edges(v), base, g.up_edges(v)) {
                self.bwd.settled.push((v, d));
            }
        }
    }

    /// Every junction's time in ms to `target` (`u32::MAX`: cannot reach it),
    /// by a reverse PHAST sweep (Delling et al. 2011): the target's backward
    /// search gives the down-path times; then, from the highest rank down,
    /// each junction takes the best of its upward edges. Junctions are
    /// numbered by rank, so the sweep is one pass over the arrays.
    pub fn all_to_one(&mut self, target: &Snap) -> &[u32] {
        let g = self.g;
        self.backward_space(target, NONE - 1);
        let n = g.nodes.len();
        self.sweep.clear();
        self.sweep.resize(n, NONE);
        for &(v, d) in &self.bwd.settled {
            self.sweep[v as usize] = d;
        }
        let sweep = &mut self.sweep;
        for v in (0..n).rev() {
            let mut best = sweep[v];
            for e in &g.up[g.up_first[v] as usize..g.up_first[v + 1] as usize] {
                best = best.min(e.ms.saturating_add(sweep[e.to as usize]));
            }
            sweep[v] = best;
        }
        &self.sweep
    }

    /// Prepares a fixed set of sources (a fleet of units) for repeated
    /// many-to-one queries (RPHAST, Delling et al. 2011): selects the part of
    /// the hierarchy their upward searches can reach, renumbered compactly.
    /// Re-prepare when positions change; each query then sweeps only that part.
    pub fn prepare_sources(&mut self, sources: &[Option<Snap>]) -> PreparedSources {
        let g = self.g;
        let n = g.nodes.len();
        // Mark the upward closure of every source seed (reusing the forward search's stamps).
        self.fwd.reset();
        let mut stack: Vec<u32> = Vec::new();
        let mut selected: Vec<u32> = Vec::new();
        for s in sources.iter().flatten() {
            for seed in s.source_seeds(g).into_iter().flatten() {
                stack.push(seed.node);
            }
        }
        while let Some(v) = stack.pop() {
            if self.fwd.dist(v) != NONE {
                continue;
            }
            self.fwd.stamp[v as usize] = self.fwd.round;
            self.fwd.dist[v as usize] = 0;
            selected.push(v);
            for e in g.up_edges(v) {
                if self.fwd.dist(e.to) == NONE {
                    stack.push(e.to);
                }
            }
        }
        // Highest rank first, so a node's upward neighbours come before it.
        selected.sort_unstable_by(|a, b| b.cmp(a));
        let mut local = vec![NONE; n];
        for (i, &v) in selected.iter().enumerate() {
            local[v as usize] = i as u32;
        }
        let mut first = Vec::with_capacity(selected.len() + 1);
        let mut edges = Vec::new();
        first.push(0u32);
        for &v in &selected {
            for e in g.up_edges(v) {
                edges.push((local[e.to as usize], e.ms));
            }
            first.push(edges.len() as u32);
        }
        let seeds = sources
            .iter()
            .map(|s| {
                s.map(|s| {
                    s.source_seeds(g)
                        .map(|seed| seed.map(|x| (local[x.node as usize], x.ms)))
                })
            })
            .collect();
        debug_assert!(selected.len() <= n);
        PreparedSources {
            nodes: selected,
            local,
            first,
            edges,
            seeds,
            snaps: sources.to_vec(),
        }
    }

    /// Travel times in ms from each prepared source to `target`; same answers
    /// as [`Router::many_to_one`].
    pub fn many_to_one_prepared(
        &mut self,
        prepared: &PreparedSources,
        target: &Snap,
        limit_ms: Option<u32>,
    ) -> Vec<Option<u32>> {
        let g = self.g;
        let limit = limit_ms.unwrap_or(NONE - 1);
        self.backward_space(target, limit);
        let m = prepared.nodes.len();
        self.sweep.clear();
        self.sweep.resize(m, NONE);
        for &(v, d) in &self.bwd.settled {
            let i = prepared.local[v as usize];
            if i != NONE {
                self.sweep[i as usize] = d;
            }
        }
        let sweep = &mut self.sweep;
        for i in 0..m {
            let mut best = sweep[i];
            for &(to, ms) in
                &prepared.edges[prepared.first[i] as usize..prepared.first[i + 1] as usize]
            {
                best = best.min(ms.saturating_add(sweep[to as usize]));
            }
            sweep[i] = best;
        }
        prepared
            .seeds
            .iter()
            .zip(&prepared.snaps)
            .map(|(seeds, snap)| {
                let seeds = seeds.as_ref()?;
                let via = seeds
                    .iter()
                    .flatten()
                    .map(|&(i, ms)| ms.saturating_add(sweep[i as usize]));
                let direct = snap
                    .as_ref()
                    .and_then(|s| direct(g, s, target))
                    .map(|d| d.0);
                let best = via.chain(direct).min().unwrap_or(NONE);
                (best <= limit).then_some(best)
            })
            .collect()
    }

    /// Travel times in ms from one source to each target.
    pub fn one_to_many(
        &mut self,
        source: &Snap,
        targets: &[Option<Snap>],
        limit_ms: Option<u32>,
    ) -> Vec<Option<u32>> {
        let m = self.matrix(std::slice::from_ref(&Some(*source)), targets, limit_ms);
        m.into_iter().map(|x| (x != NONE).then_some(x)).collect()
    }

    /// A row-major `sources × targets` table of travel times in ms (`u32::MAX`: unreachable or over the limit).
    pub fn matrix(
        &mut self,
        sources: &[Option<Snap>],
        targets: &[Option<Snap>],
        limit_ms: Option<u32>,
    ) -> Vec<u32> {
        let g = self.g;
        let limit = limit_ms.unwrap_or(NONE - 1);
        let nt = targets.len();
        // Backward searches fill the buckets: (node, target, ms), then grouped by node.
        let mut entries: Vec<(u32, u32, u32)> = Vec::new();
        let mut by_road: HashMap<u32, Vec<u32>> = HashMap::new();
        for (j, t) in targets.iter().enumerate() {
            let Some(t) = t else { continue };
            by_road.entry(t.road).or_default().push(j as u32);
            self.backward_space(t, limit);
            entries.extend(self.bwd.settled.iter().map(|&(v, d)| (v, j as u32, d)));
        }
        entries.sort_unstable_by_key(|e| e.0);
        // node -> range in entries, through a hash (targets touch few nodes).
        let mut range: HashMap<u32, (u32, u32)> = HashMap::with_capacity(entries.len() / 4 + 1);
        let mut i = 0;
        while i < entries.len() {
            let v = entries[i].0;
            let mut k = i;
            while k < entries.len() && entries[k].0 == v {
                k += 1;
            }
            range.insert(v, (i as u32, k as u32));
            i = k;
        }
        let mut out = vec![NONE; sources.len() * nt];
        for (i, s) in sources.iter().enumerate() {
            let Some(s) = s else { continue };
            let row = &mut out[i * nt..(i + 1) * nt];
            if let Some(js) = by_road.get(&s.road) {
                for &j in js {
                    if let Some((ms, _)) =
                        direct(g, s, targets[j as usize].as_ref().expect("bucketed"))
                    {
                        row[j as usize] = row[j as usize].min(ms);
                    }
                }
            }
            self.fwd.reset();
            self.fwd.seed(&s.source_seeds(g));
            while let Some((d, v)) = self.fwd.pop() {
                if d > limit {
                    break;
                }
                let base = g.up_first[v as usize];
                if self.fwd.settle(d, v, g.up_edges(v), base, g.down_edges(v))
                    && let Some(&(a, b)) = range.get(&v)
                {
                    for &(_, j, dt) in &entries[a as usize..b as usize] {
                        let total = d.saturating_add(dt);
                        let cell = &mut row[j as usize];
                        if total < *cell {
                            *cell = total;
                        }
                    }
                }
            }
            for cell in row.iter_mut() {
                if *cell > limit {
                    *cell = NONE;
                }
            }
        }
        out
    }

    /// Number of nodes a forward upward search from `s` settles (for diagnostics and benches).
    pub fn search_space(&mut self, s: &Snap) -> usize {
        self.fwd.reset();
        self.fwd.seed(&s.source_seeds(self.g));
        let g = self.g;
        let mut n = 0;
        while let Some((d, v)) = self.fwd.pop() {
            let base = g.up_first[v as usize];
            n += self.fwd.settle(d, v, g.up_edges(v), base, g.down_edges(v)) as usize;
        }
        n
    }
}
