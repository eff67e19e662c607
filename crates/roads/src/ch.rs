//! Contraction-hierarchy preprocessing (Geisberger et al. 2008).
//!
//! Nodes are contracted one by one in the order of a lazily updated priority
//! (edge difference + contracted neighbours + level). Contracting `v` adds a
//! shortcut `u → x` for each pair of neighbours whose shortest path runs through
//! `v`, unless a bounded local search (the witness search) finds another path at
//! most as long. A witness search that gives up early only adds a needless
//! shortcut, never a wrong distance, so queries stay exact.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Marks `mid` values that name an original road edge rather than a middle node.
pub(crate) const ORIGINAL: u32 = 1 << 31;

/// A directed edge fed to, and produced by, contraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChEdge {
    pub from: u32,
    pub to: u32,
    /// Travel time in milliseconds.
    pub ms: u32,
    /// Length in centimetres.
    pub cm: u32,
    /// `ORIGINAL | road << 1 | backward` for a road edge, the contracted middle node for a shortcut.
    pub mid: u32,
}

#[derive(Clone, Copy)]
struct Adj {
    other: u32,
    ms: u32,
    cm: u32,
    mid: u32,
}

/// The result: every node's rank (0 = contracted first) and the edges of the
/// hierarchy (original and shortcut), each pointing from lower to higher rank
/// in the direction of its use (see `Graph`).
pub(crate) struct Hierarchy {
    pub rank: Vec<u32>,
    pub edges: Vec<ChEdge>,
}

struct Witness {
    dist: Vec<u32>,
    stamp: Vec<u32>,
    round: u32,
    heap: BinaryHeap<Reverse<(u32, u32)>>,
}

impl Witness {
    fn new(n: usize) -> Self {
        Witness {
            dist: vec![0; n],
            stamp: vec![0; n],
            round: 0,
            heap: BinaryHeap::new(),
        }
    }

    fn get(&self, v: u32) -> u32 {
        if self.stamp[v as usize] == self.round {
            self.dist[v as usize]
        } else {
            u32::MAX
        }
    }

    /// Dijkstra from `source` over uncontracted nodes, avoiding `skip`, up to
    /// `max_ms` or `max_settled` settled nodes.
    fn run(&mut self, out: &[Vec<Adj>], source: u32, skip: u32, max_ms: u32, max_settled: usize) {
        self.round = self.round.wrapping_add(1);
        if self.round == 0 {
            self.stamp.fill(u32::MAX);
            self.round = 1;
        }
        self.heap.clear();
        self.stamp[source as usize] = self.round;
        self.dist[source as usize] = 0;
        self.heap.push(Reverse((0, source)));
        let mut settled = 0;
        while let Some(Reverse((d, u))) = self.heap.pop() {
            if d > self.get(u) {
                continue;
            }
            if d > max_ms || settled >= max_settled {
                break;
            }
            settled += 1;
            for e in &out[u as usize] {
                if e.other == skip {
                    continue;
                }
                let nd = d.saturating_add(e.ms);
                if nd < self.get(e.other) {
                    self.stamp[e.other as usize] = self.round;
                    self.dist[e.other as usize] = nd;
                    self.heap.push(Reverse((nd, e.other)));
                }
            }
        }
    }
}

struct Contractor {
    out: Vec<Vec<Adj>>,
    inn: Vec<Vec<Adj>>,
    contracted: Vec<bool>,
    deleted_neighbours: Vec<u32>,
    level: Vec<u32>,
    witness: Witness,
}

/// Settled-node budgets of the witness search: a cheap estimate for priorities,
/// a thorough one for the real contraction.
const SIM_SETTLED: usize = 60;
const REAL_SETTLED: usize = 1_000;

impl Contractor {
    fn add_or_improve(list: &mut Vec<Adj>, e: Adj) -> bool {
        if let Some(old) = list.iter_mut().find(|a| a.other == e.other) {
            if e.ms < old.ms {
                *old = e;
                return true;
            }
            return false;
        }
        list.push(e);
        true
    }

    /// Adds `e` to both adjacency lists, keeping the faster of parallel edges.
    fn insert(&mut self, e: &ChEdge) {
        let (ms, cm, mid) = (e.ms, e.cm, e.mid);
        Self::add_or_improve(
            &mut self.out[e.from as usize],
            Adj {
                other: e.to,
                ms,
                cm,
                mid,
            },
        );
        Self::add_or_improve(
            &mut self.inn[e.to as usize],
            Adj {
                other: e.from,
                ms,
                cm,
                mid,
            },
        );
    }

    /// Shortcuts needed to contract `v` (calling `emit` with each when given).
    fn shortcuts(
        &mut self,
        v: u32,
        max_settled: usize,
        mut emit: Option<&mut Vec<ChEdge>>,
    ) -> usize {
        let vi = v as usize;
        let max_out = self.out[vi].iter().map(|e| e.ms).max().unwrap_or(0);
        let mut count = 0;
        for i in 0..self.inn[vi].len() {
            let inc = self.inn[vi][i];
            if self.out[vi].iter().all(|o| o.other == inc.other) {
                continue;
            }
            let limit = inc.ms.saturating_add(max_out);
            self.witness
                .run(&self.out, inc.other, v, limit, max_settled);
            for o in &self.out[vi] {
                if o.other == inc.other {
                    continue;
                }
                let via = inc.ms.saturating_add(o.ms);
                if self.witness.get(o.other) > via {
                    count += 1;
                    if let Some(sc) = emit.as_deref_mut() {
                        sc.push(ChEdge {
                            from: inc.other,
                            to: o.other,
                            ms: via,
                            cm: inc.cm.saturating_add(o.cm),
                            mid: v,
                        });
                    }
                }
            }
        }
        count
    }

    fn priority(&mut self, v: u32) -> i64 {
        let sc = self.shortcuts(v, SIM_SETTLED, None) as i64;
        let degree = (self.out[v as usize].len() + self.inn[v as usize].len()) as i64;
        2 * (sc - degree)
            + self.deleted_neighbours[v as usize] as i64
            + self.level[v as usize] as i64
    }
}

/// Builds the hierarchy over `n` nodes. Parallel edges keep the fastest; self loops are dropped.
pub(crate) fn contract(n: usize, edges: &[ChEdge], progress: &mut dyn FnMut(usize)) -> Hierarchy {
    let mut c = Contractor {
        out: vec![Vec::new(); n],
        inn: vec![Vec::new(); n],
        contracted: vec![false; n],
        deleted_neighbours: vec![0; n],
        level: vec![0; n],
        witness: Witness::new(n),
    };
    for e in edges {
        if e.from == e.to {
            continue;
        }
        c.insert(e);
    }

    let mut prio: Vec<i64> = (0..n as u32).map(|v| c.priority(v)).collect();
    let mut queue: BinaryHeap<Reverse<(i64, u32)>> = (0..n as u32)
        .map(|v| Reverse((prio[v as usize], v)))
        .collect();
    let mut rank = vec![u32::MAX; n];
    let mut result = Vec::with_capacity(edges.len() * 2);
    let mut new_shortcuts = Vec::new();
    let mut next_rank = 0u32;

    while let Some(Reverse((p, v))) = queue.pop() {
        let vi = v as usize;
        if c.contracted[vi] || p != prio[vi] {
            continue; // stale entry
        }
        // Lazy update: re-evaluate, and postpone if it is no longer the cheapest.
        let fresh = c.priority(v);
        if fresh != p {
            prio[vi] = fresh;
            if let Some(Reverse((top, _))) = queue.peek()
                && fresh > *top
            {
                queue.push(Reverse((fresh, v)));
                continue;
            }
        }

        new_shortcuts.clear();
        c.shortcuts(v, REAL_SETTLED, Some(&mut new_shortcuts));

        // v's remaining edges all lead to higher-ranked nodes: they are final.
        for o in &c.out[vi] {
            result.push(ChEdge {
                from: v,
                to: o.other,
                ms: o.ms,
                cm: o.cm,
                mid: o.mid,
            });
        }
        for i in &c.inn[vi] {
            result.push(ChEdge {
                from: i.other,
                to: v,
                ms: i.ms,
                cm: i.cm,
                mid: i.mid,
            });
        }
        c.contracted[vi] = true;
        rank[vi] = next_rank;
        next_rank += 1;

        let out_v = std::mem::take(&mut c.out[vi]);
        let inn_v = std::mem::take(&mut c.inn[vi]);
        let mut neighbours: Vec<u32> = Vec::with_capacity(out_v.len() + inn_v.len());
        for o in &out_v {
            c.inn[o.other as usize].retain(|a| a.other != v);
            neighbours.push(o.other);
        }
        for i in &inn_v {
            c.out[i.other as usize].retain(|a| a.other != v);
            neighbours.push(i.other);
        }
        for s in &new_shortcuts {
            c.insert(s);
        }
        neighbours.sort_unstable();
        neighbours.dedup();
        for &u in &neighbours {
            let ui = u as usize;
            c.deleted_neighbours[ui] += 1;
            c.level[ui] = c.level[ui].max(c.level[vi] + 1);
            let np = c.priority(u);
            if np != prio[ui] {
                prio[ui] = np;
                queue.push(Reverse((np, u)));
            }
        }
        progress(next_rank as usize);
    }
    debug_assert!(rank.iter().all(|&r| r != u32::MAX));
    Hierarchy {
        rank,
        edges: result,
    }
}
