//! Plain Dijkstra on the uncontracted graph: the bounded search behind
//! isochrones, and the reference every hierarchy query is tested against.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::graph::{Graph, NONE};
use crate::snap::{Seed, Snap, direct};

/// Which way a search follows the roads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Away from the origins: "where can I get to".
    Forward,
    /// Towards the origins: "from where can they be reached".
    Backward,
}

/// A reusable bounded Dijkstra over the plain graph.
#[derive(Debug)]
pub struct Dijkstra<'g> {
    g: &'g Graph,
    dist: Vec<u32>,
    stamp: Vec<u32>,
    round: u32,
    heap: BinaryHeap<Reverse<u64>>,
    settled: Vec<u32>,
    limit: u32,
}

impl<'g> Dijkstra<'g> {
    /// A search over `graph`.
    pub fn new(graph: &'g Graph) -> Self {
        let n = graph.nodes.len();
        Dijkstra {
            g: graph,
            dist: vec![NONE; n],
            stamp: vec![0; n],
            round: 0,
            heap: BinaryHeap::new(),
            settled: Vec::new(),
            limit: 0,
        }
    }

    /// Settles every junction within `limit_ms` of the seeds.
    pub(crate) fn run(&mut self, seeds: &[Seed], limit_ms: u32, dir: Direction) {
        self.round = self.round.wrapping_add(1);
        if self.round == 0 {
            self.stamp.fill(0);
            self.round = 1;
        }
        self.heap.clear();
        self.settled.clear();
        self.limit = limit_ms;
        for s in seeds {
            self.improve(s.node, s.ms);
        }
        while let Some(Reverse(k)) = self.heap.pop() {
            let (d, v) = ((k >> 32) as u32, k as u32);
            if d != self.dist_raw(v) {
                continue;
            }
            if d > limit_ms {
                break;
            }
            self.settled.push(v);
            let edges = match dir {
                Direction::Forward => self.g.out_edges(v),
                Direction::Backward => self.g.in_edges(v),
            };
            for e in edges {
                let nd = d.saturating_add(e.ms);
                if nd < self.dist_raw(e.to) {
                    self.stamp[e.to as usize] = self.round;
                    self.dist[e.to as usize] = nd;
                    self.heap.push(Reverse((nd as u64) << 32 | e.to as u64));
                }
            }
        }
    }

    fn improve(&mut self, v: u32, d: u32) {
        if d < self.dist_raw(v) {
            self.stamp[v as usize] = self.round;
            self.dist[v as usize] = d;
            self.heap.push(Reverse((d as u64) << 32 | v as u64));
        }
    }

    #[inline]
    fn dist_raw(&self, v: u32) -> u32 {
        if self.stamp[v as usize] == self.round {
            self.dist[v as usize]
        } else {
            NONE
        }
    }

    /// Time to (or from) junction `v` in the last run, if within its limit
    /// (every junction within the limit is settled: the heap stops at the first key over it).
    pub fn dist(&self, v: u32) -> Option<u32> {
        let d = self.dist_raw(v);
        (d <= self.limit).then_some(d)
    }

    /// Junctions settled by the last run, in order of time.
    pub fn settled(&self) -> &[u32] {
        &self.settled
    }

    /// Forward search from the origins' positions.
    pub fn from_origins(&mut self, origins: &[Snap], limit_ms: u32, dir: Direction) {
        let seeds: Vec<Seed> = origins
            .iter()
            .flat_map(|o| match dir {
                Direction::Forward => o.source_seeds(self.g),
                Direction::Backward => o.target_seeds(self.g),
            })
            .flatten()
            .collect();
        self.run(&seeds, limit_ms, dir);
    }

    /// Time from `origin`, the single origin of the last forward run, to
    /// `t`, if within the run's limit: exact, partial roads and the
    /// same-road case included (the coverage planner's inner loop).
    pub fn time_to(&self, origin: &Snap, t: &Snap) -> Option<u32> {
        let via_graph = t
            .target_seeds(self.g)
            .into_iter()
            .flatten()
            .filter_map(|seed| self.dist(seed.node).map(|d| d.saturating_add(seed.ms)))
            .min();
        let direct = direct(self.g, origin, t).map(|d| d.0);
        let best = match (via_graph, direct) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        best.filter(|d| *d <= self.limit)
    }

    /// The fastest time from `s` to `t` by plain Dijkstra: the reference oracle.
    pub fn route_ms(&mut self, s: &Snap, t: &Snap) -> Option<u32> {
        let seeds: Vec<Seed> = s.source_seeds(self.g).into_iter().flatten().collect();
        self.run(&seeds, NONE - 1, Direction::Forward);
        self.time_to(s, t)
    }
}
