//! The prepared graph: junctions renumbered by contraction rank, roads with
//! geometry, the hierarchy's upward edges, the plain graph, and the R-tree.

use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};

use crate::ch::{self, ChEdge, ORIGINAL};
use crate::geo::{LocalProjection, polyline_m};
use crate::{LatLon, RoadNetwork, RoadsError};

/// "No edge in this direction" / "unreachable".
pub(crate) const NONE: u32 = u32::MAX;

/// An edge of the hierarchy, stored at its lower-ranked end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UpEdge {
    /// The higher-ranked end.
    pub to: u32,
    pub ms: u32,
    pub cm: u32,
    /// See [`ch::ChEdge::mid`].
    pub mid: u32,
}

/// An edge of the plain (uncontracted) graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PlainEdge {
    pub to: u32,
    pub ms: u32,
    /// `road << 1 | backward`.
    pub road_dir: u32,
}

pub(crate) type Segment = GeomWithData<Line<[f64; 2]>, (u32, u32)>;

/// Options for [`Graph::build`].
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Strongly connected components smaller than this (in junctions) are dropped,
    /// unless one is the largest; so that nothing is ever snapped onto an island
    /// of roads (a car park, a clipped fragment) from which nothing is reachable.
    pub min_component: usize,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions { min_component: 500 }
    }
}

/// Stages reported to a build observer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildStage {
    /// Finding strongly connected components.
    Components,
    /// Contracting nodes; the total is the number of junctions.
    Contraction,
    /// Building the spatial index.
    SpatialIndex,
}

/// What a build removed and produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildReport {
    /// Junctions in the input.
    pub input_nodes: usize,
    /// Roads in the input.
    pub input_roads: usize,
    /// Junctions dropped with small components.
    pub dropped_nodes: usize,
    /// Roads dropped with small components.
    pub dropped_roads: usize,
    /// Shortcuts the hierarchy added.
    pub shortcuts: usize,
}

/// A road network prepared for exact fast queries. Immutable; share it freely.
#[derive(Debug)]
pub struct Graph {
    pub(crate) nodes: Vec<LatLon>,
    pub(crate) road_from: Vec<u32>,
    pub(crate) road_to: Vec<u32>,
    pub(crate) road_fwd_ms: Vec<u32>,
    pub(crate) road_bwd_ms: Vec<u32>,
    pub(crate) road_cm: Vec<u32>,
    pub(crate) road_source: Vec<i64>,
    pub(crate) geom_first: Vec<u32>,
    pub(crate) geom: Vec<LatLon>,
    pub(crate) up_first: Vec<u32>,
    pub(crate) up: Vec<UpEdge>,
    pub(crate) down_first: Vec<u32>,
    pub(crate) down: Vec<UpEdge>,
    pub(crate) out_first: Vec<u32>,
    pub(crate) out: Vec<PlainEdge>,
    pub(crate) in_first: Vec<u32>,
    pub(crate) inn: Vec<PlainEdge>,
    pub(crate) projection: LocalProjection,
    pub(crate) rtree: RTree<Segment>,
}

/// Size figures of a prepared graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphStats {
    /// Junctions.
    pub nodes: usize,
    /// Road pieces (each with one or two directions).
    pub roads: usize,
    /// Directed road edges.
    pub directed_edges: usize,
    /// Edges of the hierarchy, shortcuts included.
    pub hierarchy_edges: usize,
    /// Shape points of all road geometry.
    pub geometry_points: usize,
}

fn csr<T: Copy>(n: usize, items: impl Iterator<Item = (u32, T)> + Clone) -> (Vec<u32>, Vec<T>) {
    let mut first = vec![0u32; n + 1];
    for (k, _) in items.clone() {
        first[k as usize + 1] += 1;
    }
    for i in 0..n {
        first[i + 1] += first[i];
    }
    let mut fill = first.clone();
    let mut data: Vec<Option<T>> = vec![None; first[n] as usize];
    for (k, t) in items {
        let slot = &mut fill[k as usize];
        data[*slot as usize] = Some(t);
        *slot += 1;
    }
    (
        first,
        data.into_iter()
            .map(|t| t.expect("every slot filled"))
            .collect(),
    )
}

/// Strongly connected components (iterative Tarjan); returns a component id per node.
fn components(n: usize, first: &[u32], heads: &[u32]) -> Vec<u32> {
    let mut index = vec![u32::MAX; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![u32::MAX; n];
    let mut stack = Vec::new();
    let mut call: Vec<(u32, u32)> = Vec::new();
    let (mut next_index, mut next_comp) = (0u32, 0u32);
    for root in 0..n as u32 {
        if index[root as usize] != u32::MAX {
            continue;
        }
        call.push((root, first[root as usize]));
        index[root as usize] = next_index;
        low[root as usize] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root as usize] = true;
        while let Some(&mut (v, ref mut e)) = call.last_mut() {
            let vi = v as usize;
            if *e < first[vi + 1] {
                let w = heads[*e as usize];
                *e += 1;
                let wi = w as usize;
                if index[wi] == u32::MAX {
                    index[wi] = next_index;
                    low[wi] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[wi] = true;
                    call.push((w, first[wi]));
                } else if on_stack[wi] {
                    low[vi] = low[vi].min(index[wi]);
                }
            } else {
                call.pop();
                if let Some(&(parent, _)) = call.last() {
                    low[parent as usize] = low[parent as usize].min(low[vi]);
                }
                if low[vi] == index[vi] {
                    loop {
                        let w = stack.pop().expect("tarjan stack");
                        on_stack[w as usize] = false;
                        comp[w as usize] = next_comp;
                        if w == v {
                            break;
                        }
                    }
                    next_comp += 1;
                }
            }
        }
    }
    comp
}

impl Graph {
    /// Prepares `network` for queries: drops small components, contracts, indexes.
    pub fn build(
        network: &RoadNetwork,
        options: &BuildOptions,
        observer: &mut dyn FnMut(BuildStage, usize, usize),
    ) -> Result<(Graph, BuildReport), RoadsError> {
        network.validate()?;
        let n_in = network.nodes.len();
        let mut report = BuildReport {
            input_nodes: n_in,
            input_roads: network.roads.len(),
            ..Default::default()
        };

        // 1. Keep junctions of large strongly connected components.
        observer(BuildStage::Components, 0, 1);
        let directed = network.roads.iter().flat_map(|r| {
            let f = r.forward_ms.map(|_| (r.from, r.to));
            let b = r.backward_ms.map(|_| (r.to, r.from));
            f.into_iter().chain(b)
        });
        let (first, heads) = csr(n_in, directed);
        let comp = components(n_in, &first, &heads);
        let mut comp_size = vec![0usize; n_in];
        for &c in &comp {
            comp_size[c as usize] += 1;
        }
        let largest = comp_size.iter().copied().max().unwrap_or(0);
        let keep_size = options.min_component.min(largest).max(1);
        let keep_node: Vec<bool> = comp
            .iter()
            .map(|&c| comp_size[c as usize] >= keep_size)
            .collect();
        // A road survives when it joins two kept junctions of one component;
        // a junction survives when a surviving road uses it.
        let kept_roads: Vec<&crate::Road> = network
            .roads
            .iter()
            .filter(|r| keep_node[r.from as usize] && comp[r.from as usize] == comp[r.to as usize])
            .collect();
        report.dropped_roads = network.roads.len() - kept_roads.len();
        let mut compact = vec![NONE; n_in];
        let mut n = 0u32;
        for r in &kept_roads {
            for v in [r.from, r.to] {
                if compact[v as usize] == NONE {
                    compact[v as usize] = n;
                    n += 1;
                }
            }
        }
        let n = n as usize;
        report.dropped_nodes = n_in - n;
        observer(BuildStage::Components, 1, 1);

        // 2. Contract.
        let road_cm: Vec<u32> = kept_roads
            .iter()
            .map(|r| {
                (polyline_m(&r.geometry) * 100.0)
                    .round()
                    .min(u32::MAX as f64 - 1.0) as u32
            })
            .collect();
        let mut edges = Vec::with_capacity(kept_roads.len() * 2);
        for (i, r) in kept_roads.iter().enumerate() {
            let (a, b) = (compact[r.from as usize], compact[r.to as usize]);
            let i = i as u32;
            if let Some(ms) = r.forward_ms {
                edges.push(ChEdge {
                    from: a,
                    to: b,
                    ms,
                    cm: road_cm[i as usize],
                    mid: ORIGINAL | i << 1,
                });
            }
            if let Some(ms) = r.backward_ms {
                edges.push(ChEdge {
                    from: b,
                    to: a,
                    ms,
                    cm: road_cm[i as usize],
                    mid: ORIGINAL | i << 1 | 1,
                });
            }
        }
        observer(BuildStage::Contraction, 0, n);
        let hierarchy = ch::contract(n, &edges, &mut |done| {
            if done % 1024 == 0 || done == n {
                observer(BuildStage::Contraction, done, n)
            }
        });
        report.shortcuts = hierarchy
            .edges
            .iter()
            .filter(|e| e.mid & ORIGINAL == 0)
            .count();
        let rank = &hierarchy.rank;

        // 3. Renumber junctions by rank; middle nodes of shortcuts too.
        let relabel = |v: u32| rank[v as usize];
        let mut nodes = vec![LatLon::default(); n];
        for (old, &c) in compact.iter().enumerate() {
            if c != NONE {
                nodes[rank[c as usize] as usize] = network.nodes[old];
            }
        }
        let fix_mid = |mid: u32| {
            if mid & ORIGINAL != 0 {
                mid
            } else {
                relabel(mid)
            }
        };
        let (up_first, up) = csr(
            n,
            hierarchy
                .edges
                .iter()
                .filter(|e| relabel(e.from) < relabel(e.to))
                .map(|e| {
                    (
                        relabel(e.from),
                        UpEdge {
                            to: relabel(e.to),
                            ms: e.ms,
                            cm: e.cm,
                            mid: fix_mid(e.mid),
                        },
                    )
                }),
        );
        let (down_first, down) = csr(
            n,
            hierarchy
                .edges
                .iter()
                .filter(|e| relabel(e.from) > relabel(e.to))
                .map(|e| {
                    (
                        relabel(e.to),
                        UpEdge {
                            to: relabel(e.from),
                            ms: e.ms,
                            cm: e.cm,
                            mid: fix_mid(e.mid),
                        },
                    )
                }),
        );

        let road_from: Vec<u32> = kept_roads
            .iter()
            .map(|r| relabel(compact[r.from as usize]))
            .collect();
        let road_to: Vec<u32> = kept_roads
            .iter()
            .map(|r| relabel(compact[r.to as usize]))
            .collect();
        let road_fwd_ms: Vec<u32> = kept_roads
            .iter()
            .map(|r| r.forward_ms.unwrap_or(NONE))
            .collect();
        let road_bwd_ms: Vec<u32> = kept_roads
            .iter()
            .map(|r| r.backward_ms.unwrap_or(NONE))
            .collect();
        let road_source: Vec<i64> = kept_roads.iter().map(|r| r.source_id).collect();
        let mut geom_first = Vec::with_capacity(kept_roads.len() + 1);
        let mut geom = Vec::new();
        geom_first.push(0);
        for r in &kept_roads {
            geom.extend_from_slice(&r.geometry);
            geom_first.push(geom.len() as u32);
        }

        let graph = Graph::assemble(
            GraphParts {
                nodes,
                road_from,
                road_to,
                road_fwd_ms,
                road_bwd_ms,
                road_cm,
                road_source,
                geom_first,
                geom,
                up_first,
                up,
                down_first,
                down,
            },
            observer,
        );
        Ok((graph, report))
    }

    /// Derives the plain graph and the spatial index from the stored parts.
    pub(crate) fn assemble(
        p: GraphParts,
        observer: &mut dyn FnMut(BuildStage, usize, usize),
    ) -> Graph {
        let n = p.nodes.len();
        let directed = |backward: bool| {
            let (from, to, ms) = if backward {
                (&p.road_to, &p.road_from, &p.road_bwd_ms)
            } else {
                (&p.road_from, &p.road_to, &p.road_fwd_ms)
            };
            (0..from.len())
                .filter(move |&i| ms[i] != NONE)
                .map(move |i| (from[i], to[i], ms[i], (i as u32) << 1 | backward as u32))
        };
        let all = || directed(false).chain(directed(true));
        let (out_first, out) = csr(
            n,
            all().map(|(a, b, ms, rd)| {
                (
                    a,
                    PlainEdge {
                        to: b,
                        ms,
                        road_dir: rd,
                    },
                )
            }),
        );
        let (in_first, inn) = csr(
            n,
            all().map(|(a, b, ms, rd)| {
                (
                    b,
                    PlainEdge {
                        to: a,
                        ms,
                        road_dir: rd,
                    },
                )
            }),
        );

        observer(BuildStage::SpatialIndex, 0, 1);
        let (mut min_lat, mut max_lat, mut min_lon, mut max_lon) =
            (90.0f64, -90.0f64, 180.0f64, -180.0f64);
        for q in &p.nodes {
            min_lat = min_lat.min(q.lat);
            max_lat = max_lat.max(q.lat);
            min_lon = min_lon.min(q.lon);
            max_lon = max_lon.max(q.lon);
        }
        let centre = if n == 0 {
            LatLon::default()
        } else {
            LatLon::new((min_lat + max_lat) / 2.0, (min_lon + max_lon) / 2.0)
        };
        let projection = LocalProjection::new(centre);
        let mut segments = Vec::with_capacity(p.geom.len());
        for r in 0..p.road_from.len() {
            let pts = &p.geom[p.geom_first[r] as usize..p.geom_first[r + 1] as usize];
            for (s, w) in pts.windows(2).enumerate() {
                let line = Line::new(projection.to_xy(w[0]), projection.to_xy(w[1]));
                segments.push(GeomWithData::new(line, (r as u32, s as u32)));
            }
        }
        let rtree = RTree::bulk_load(segments);
        observer(BuildStage::SpatialIndex, 1, 1);
        Graph {
            nodes: p.nodes,
            road_from: p.road_from,
            road_to: p.road_to,
            road_fwd_ms: p.road_fwd_ms,
            road_bwd_ms: p.road_bwd_ms,
            road_cm: p.road_cm,
            road_source: p.road_source,
            geom_first: p.geom_first,
            geom: p.geom,
            up_first: p.up_first,
            up: p.up,
            down_first: p.down_first,
            down: p.down,
            out_first,
            out,
            in_first,
            inn,
            projection,
            rtree,
        }
    }

    /// Size figures.
    pub fn stats(&self) -> GraphStats {
        GraphStats {
            nodes: self.nodes.len(),
            roads: self.road_from.len(),
            directed_edges: self.out.len(),
            hierarchy_edges: self.up.len() + self.down.len(),
            geometry_points: self.geom.len(),
        }
    }

    /// Junction coordinates, indexed by node id.
    pub fn node(&self, v: u32) -> LatLon {
        self.nodes[v as usize]
    }

    /// Number of road pieces.
    pub fn road_count(&self) -> usize {
        self.road_from.len()
    }

    /// The geometry of road `r`, from its start junction to its end junction.
    pub fn road_geometry(&self, r: u32) -> &[LatLon] {
        &self.geom[self.geom_first[r as usize] as usize..self.geom_first[r as usize + 1] as usize]
    }

    /// `(from, to)` junctions of road `r`.
    pub fn road_ends(&self, r: u32) -> (u32, u32) {
        (self.road_from[r as usize], self.road_to[r as usize])
    }

    /// Forward and backward travel times of road `r` in ms (`None` where not drivable).
    pub fn road_ms(&self, r: u32) -> (Option<u32>, Option<u32>) {
        let f = self.road_fwd_ms[r as usize];
        let b = self.road_bwd_ms[r as usize];
        ((f != NONE).then_some(f), (b != NONE).then_some(b))
    }

    /// Length of road `r` in metres.
    pub fn road_meters(&self, r: u32) -> f64 {
        self.road_cm[r as usize] as f64 / 100.0
    }

    /// The source id (OSM way) of road `r`.
    pub fn road_source(&self, r: u32) -> i64 {
        self.road_source[r as usize]
    }

    /// The projection used for snapping and rasterising.
    pub fn projection(&self) -> &LocalProjection {
        &self.projection
    }

    pub(crate) fn up_edges(&self, v: u32) -> &[UpEdge] {
        &self.up[self.up_first[v as usize] as usize..self.up_first[v as usize + 1] as usize]
    }

    pub(crate) fn down_edges(&self, v: u32) -> &[UpEdge] {
        &self.down[self.down_first[v as usize] as usize..self.down_first[v as usize + 1] as usize]
    }

    pub(crate) fn out_edges(&self, v: u32) -> &[PlainEdge] {
        &self.out[self.out_first[v as usize] as usize..self.out_first[v as usize + 1] as usize]
    }

    pub(crate) fn in_edges(&self, v: u32) -> &[PlainEdge] {
        &self.inn[self.in_first[v as usize] as usize..self.in_first[v as usize + 1] as usize]
    }
}

/// The stored parts of a graph (what the file format persists).
pub(crate) struct GraphParts {
    pub nodes: Vec<LatLon>,
    pub road_from: Vec<u32>,
    pub road_to: Vec<u32>,
    pub road_fwd_ms: Vec<u32>,
    pub road_bwd_ms: Vec<u32>,
    pub road_cm: Vec<u32>,
    pub road_source: Vec<i64>,
    pub geom_first: Vec<u32>,
    pub geom: Vec<LatLon>,
    pub up_first: Vec<u32>,
    pub up: Vec<UpEdge>,
    pub down_first: Vec<u32>,
    pub down: Vec<UpEdge>,
}
