//! Every hierarchy query equals plain Dijkstra on the same weights: on random
//! graphs (proptest) and on a real OpenStreetMap extract; and hand-made
//! graphs whose answers can be worked out on paper ([`small`]). One test
//! binary.

mod small;

use std::path::PathBuf;
use std::sync::OnceLock;

use proptest::prelude::*;
use roads::{
    BuildOptions, Dijkstra, Direction, Graph, LatLon, Road, RoadNetwork, Router, Snap,
    reachable_parts,
};

fn build(net: &RoadNetwork) -> Graph {
    Graph::build(net, &BuildOptions { min_component: 1 }, &mut |_, _, _| {})
        .expect("build")
        .0
}

/// A random network: nodes scattered in a ~1 km square, roads between random pairs.
fn network_strategy() -> impl Strategy<Value = RoadNetwork> {
    (2usize..40).prop_flat_map(|n| {
        let nodes = proptest::collection::vec((0.0f64..0.01, 0.0f64..0.01), n);
        let roads = proptest::collection::vec(
            (
                0..n as u32,
                0..n as u32,
                proptest::option::of(1u32..20_000),
                proptest::option::of(1u32..20_000),
                any::<bool>(),
            ),
            1..(n * 3),
        );
        (nodes, roads).prop_map(|(nodes, roads)| {
            let nodes: Vec<LatLon> = nodes
                .into_iter()
                .map(|(a, b)| LatLon::new(41.0 + a, -8.6 + b))
                .collect();
            let roads = roads
                .into_iter()
                .map(|(a, b, f, bw, bent)| {
                    let (pa, pb) = (nodes[a as usize], nodes[b as usize]);
                    let mut geometry = vec![pa];
                    if bent {
                        geometry.push(LatLon::new(
                            (pa.lat + pb.lat) / 2.0 + 0.0003,
                            (pa.lon + pb.lon) / 2.0,
                        ));
                    }
                    geometry.push(pb);
                    let (forward_ms, backward_ms) = if f.is_none() && bw.is_none() {
                        (Some(1000), None)
                    } else {
                        (f, bw)
                    };
                    Road {
                        from: a,
                        to: b,
                        geometry,
                        forward_ms,
                        backward_ms,
                        source_id: 0,
                    }
                })
                .collect();
            RoadNetwork { nodes, roads }
        })
    })
}

fn positions(g: &Graph, picks: &[(u32, f64)]) -> Vec<Snap> {
    picks
        .iter()
        .map(|&(r, f)| g.snap_on_road(r % g.road_count() as u32, f))
        .collect()
}

fn check_all(g: &Graph, points: &[Snap]) {
    let mut router = Router::new(g);
    let mut dij = Dijkstra::new(g);
    let opts: Vec<Option<Snap>> = points.iter().copied().map(Some).collect();
    let matrix = router.matrix(&opts, &opts, None);
    for (i, s) in points.iter().enumerate() {
        for (j, t) in points.iter().enumerate() {
            let want = dij.route_ms(s, t);
            let got = router.route(s, t, false).map(|r| r.ms);
            assert_eq!(got, want, "one-to-one {i}->{j}: {s:?} -> {t:?}");
            let cell = matrix[i * points.len() + j];
            assert_eq!((cell != u32::MAX).then_some(cell), want, "matrix {i}->{j}");
        }
    }
    for (j, t) in points.iter().enumerate() {
        let got = router.many_to_one(&opts, t, None);
        for (i, s) in points.iter().enumerate() {
            assert_eq!(got[i], dij.route_ms(s, t), "many-to-one {i}->{j}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn hierarchy_equals_dijkstra_on_random_graphs(
        net in network_strategy(),
        picks in proptest::collection::vec((any::<u32>(), 0.0f64..=1.0), 1..8),
    ) {
        let g = build(&net);
        prop_assume!(g.road_count() > 0);
        check_all(&g, &positions(&g, &picks));
    }

    #[test]
    fn bounded_time_to_equals_the_oracle(
        net in network_strategy(),
        picks in proptest::collection::vec((any::<u32>(), 0.0f64..=1.0), 2..8),
        limit in 0u32..30_000,
    ) {
        let g = build(&net);
        prop_assume!(g.road_count() > 0);
        let pts = positions(&g, &picks);
        let mut oracle = Dijkstra::new(&g);
        let mut bounded = Dijkstra::new(&g);
        for s in &pts {
            bounded.from_origins(std::slice::from_ref(s), limit, Direction::Forward);
            for t in &pts {
                let want = oracle.route_ms(s, t).filter(|d| *d <= limit);
                prop_assert_eq!(bounded.time_to(s, t), want);
            }
        }
    }

    #[test]
    fn limited_tables_cut_exactly_at_the_limit(
        net in network_strategy(),
        picks in proptest::collection::vec((any::<u32>(), 0.0f64..=1.0), 1..6),
        limit in 0u32..30_000,
    ) {
        let g = build(&net);
        prop_assume!(g.road_count() > 0);
        let pts: Vec<Option<Snap>> = positions(&g, &picks).into_iter().map(Some).collect();
        let mut router = Router::new(&g);
        let full = router.matrix(&pts, &pts, None);
        let cut = router.matrix(&pts, &pts, Some(limit));
        for (a, b) in full.iter().zip(&cut) {
            let want = if *a <= limit { *a } else { u32::MAX };
            prop_assert_eq!(*b, want);
        }
        for (j, t) in pts.iter().enumerate() {
            let m1 = router.many_to_one(&pts, t.as_ref().unwrap(), Some(limit));
            for (i, got) in m1.iter().enumerate() {
                let a = full[i * pts.len() + j];
                prop_assert_eq!(*got, (a <= limit).then_some(a));
            }
        }
    }

    #[test]
    fn isochrone_reach_equals_bounded_dijkstra(
        net in network_strategy(),
        origin in (any::<u32>(), 0.0f64..=1.0),
        limit in 0u32..40_000,
        backward in any::<bool>(),
    ) {
        let g = build(&net);
        prop_assume!(g.road_count() > 0);
        let o = positions(&g, &[origin])[0];
        let dir = if backward { Direction::Backward } else { Direction::Forward };
        let mut dij = Dijkstra::new(&g);
        let parts = reachable_parts(&mut dij, &g, &[o], limit, dir);
        // Every junction within the limit, per the hierarchy's one-to-one times.
        let mut router = Router::new(&g);
        for v in 0..g.stats().nodes as u32 {
            let (r, frac) = at_junction(&g, v, backward);
            let at_v = g.snap_on_road(r, frac);
            let t = if backward { router.route(&at_v, &o, false) } else { router.route(&o, &at_v, false) };
            let ch = t.map(|x| x.ms).filter(|&ms| ms <= limit);
            prop_assert_eq!(dij.dist(v), ch, "junction {}", v);
        }
        // Every reached stretch is within the limit and starts where it is reached.
        for p in &parts {
            prop_assert!(p.from_ms <= p.to_ms && p.to_ms <= limit);
        }
    }
}

/// A position on a road that is exactly junction `v` for the search direction:
/// as a target (forward test), arriving there costs nothing past `v`; as a
/// source (backward test), leaving it reaches `v` at once.
fn at_junction(g: &Graph, v: u32, as_source: bool) -> (u32, f64) {
    for r in 0..g.road_count() as u32 {
        let (a, b) = g.road_ends(r);
        let (fwd, bwd) = g.road_ms(r);
        let candidates = if as_source {
            [
                (b == v && fwd.is_some(), 1.0),
                (a == v && bwd.is_some(), 0.0),
            ]
        } else {
            [
                (a == v && fwd.is_some(), 0.0),
                (b == v && bwd.is_some(), 1.0),
            ]
        };
        if let Some(&(_, frac)) = candidates.iter().find(|c| c.0) {
            return (r, frac);
        }
    }
    unreachable!(
        "every kept junction lies in a strongly connected component with a road in and out"
    )
}

fn extract(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/osm")
        .join(name)
}

fn monaco() -> &'static Graph {
    static G: OnceLock<Graph> = OnceLock::new();
    G.get_or_init(|| {
        let (net, _) = osm_import::import_pbf(
            &extract("monaco-2016-osrm.osm.pbf"),
            &osm_import::Profile::default(),
        )
        .expect("import");
        Graph::build(&net, &BuildOptions::default(), &mut |_, _, _| {})
            .expect("build")
            .0
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn hierarchy_equals_dijkstra_on_a_real_extract(
        picks in proptest::collection::vec((any::<u32>(), 0.0f64..=1.0), 2..6),
    ) {
        let g = monaco();
        check_all(g, &positions(g, &picks));
    }
}

#[test]
fn real_extract_many_to_one_500_units() {
    let g = monaco();
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let units: Vec<Option<Snap>> = (0..500)
        .map(|_| {
            Some(g.snap_on_road(
                (next() % g.road_count() as u64) as u32,
                (next() % 1000) as f64 / 1000.0,
            ))
        })
        .collect();
    let mut router = Router::new(g);
    let mut dij = Dijkstra::new(g);
    for _ in 0..3 {
        let target = g.snap_on_road((next() % g.road_count() as u64) as u32, 0.5);
        let got = router.many_to_one(&units, &target, None);
        for (u, t) in units.iter().zip(&got) {
            assert_eq!(*t, dij.route_ms(u.as_ref().unwrap(), &target));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    /// Fleets large enough to take the sweep paths (prepared RPHAST and PHAST).
    #[test]
    fn fleet_sweeps_equal_dijkstra(
        net in network_strategy(),
        fleet in proptest::collection::vec((any::<u32>(), 0.0f64..=1.0), 24..40),
        target in (any::<u32>(), 0.0f64..=1.0),
        limit in proptest::option::of(0u32..40_000),
    ) {
        let g = build(&net);
        prop_assume!(g.road_count() > 0);
        let units: Vec<Option<Snap>> = positions(&g, &fleet).into_iter().map(Some).collect();
        let t = positions(&g, &[target])[0];
        let mut router = Router::new(&g);
        let mut dij = Dijkstra::new(&g);
        let want: Vec<Option<u32>> = units.iter().map(|u| dij.route_ms(u.as_ref().unwrap(), &t).filter(|&ms| limit.is_none_or(|l| ms <= l))).collect();
        prop_assert_eq!(&router.many_to_one(&units, &t, limit), &want);
        let prepared = router.prepare_sources(&units);
        prop_assert_eq!(&router.many_to_one_prepared(&prepared, &t, limit), &want);
        // PHAST: every junction's time to the target.
        let all = router.all_to_one(&t).to_vec();
        for v in 0..g.stats().nodes as u32 {
            let (r, frac) = at_junction(&g, v, true);
            let from_v = dij.route_ms(&g.snap_on_road(r, frac), &t);
            prop_assert_eq!((all[v as usize] != u32::MAX).then_some(all[v as usize]), from_v);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// On Monaco: the isochrone's reached junctions are exactly those the
    /// hierarchy's one-to-one times put within the limit, with those times.
    #[test]
    fn isochrone_reach_equals_hierarchy_on_a_real_extract(
        origin in (any::<u32>(), 0.0f64..=1.0),
        limit in 30_000u32..300_000,
        backward in any::<bool>(),
    ) {
        let g = monaco();
        let o = positions(g, &[origin])[0];
        let dir = if backward { Direction::Backward } else { Direction::Forward };
        let mut dij = Dijkstra::new(g);
        reachable_parts(&mut dij, g, &[o], limit, dir);
        let mut router = Router::new(g);
        for v in 0..g.stats().nodes as u32 {
            let (r, frac) = at_junction(g, v, backward);
            let at_v = g.snap_on_road(r, frac);
            let t = if backward { router.route(&at_v, &o, false) } else { router.route(&o, &at_v, false) };
            prop_assert_eq!(dij.dist(v), t.map(|x| x.ms).filter(|&ms| ms <= limit), "junction {}", v);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// On Monaco: a route's geometry runs from the start point to the end
    /// point, and its length is the route's metres (shortcuts unpacked right,
    /// partial roads cut at the right ends).
    #[test]
    fn route_geometry_matches_its_length_on_a_real_extract(
        a in (any::<u32>(), 0.0f64..=1.0),
        b in (any::<u32>(), 0.0f64..=1.0),
    ) {
        let g = monaco();
        let p = positions(g, &[a, b]);
        let (s, t) = (p[0], p[1]);
        let route = Router::new(g).route(&s, &t, true).expect("Monaco's kept roads are strongly connected");
        let geom = route.geometry.clone().expect("asked for geometry");
        prop_assert!(roads::haversine_m(geom[0], s.point) < 0.5, "starts at {:?}, not {:?}", geom[0], s.point);
        prop_assert!(roads::haversine_m(*geom.last().unwrap(), t.point) < 0.5);
        let len = roads::polyline_m(&geom);
        prop_assert!((len - route.meters()).abs() <= 2.0 + 0.01 * route.meters(), "geometry {} m, route {} m", len, route.meters());
    }
}

/// A case proptest once found: both ends at the very start of their roads.
#[test]
fn route_geometry_from_road_starts() {
    let g = monaco();
    let p = positions(g, &[(1195243904, 0.0), (0, 0.0)]);
    let route = Router::new(g).route(&p[0], &p[1], true).unwrap();
    let geom = route.geometry.clone().unwrap();
    let len = roads::polyline_m(&geom);
    assert!(
        (len - route.meters()).abs() <= 2.0 + 0.01 * route.meters(),
        "geometry {len} m, route {} m; s {:?} t {:?}",
        route.meters(),
        p[0],
        p[1]
    );
}
