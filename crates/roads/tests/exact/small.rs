//! Hand-made graphs whose answers can be worked out on paper.

use roads::{
    BuildOptions, Direction, Graph, IsochroneOptions, LatLon, Road, RoadNetwork, RoadsError,
    Router, Turn, isochrones,
};

fn road(from: u32, to: u32, geometry: Vec<LatLon>, f: Option<u32>, b: Option<u32>) -> Road {
    Road {
        from,
        to,
        geometry,
        forward_ms: f,
        backward_ms: b,
        source_id: 0,
    }
}

/// A square block, 0.01° of longitude (~840 m at 41°N) per side:
///
/// ```text
///   3 ---- 2
///   |      |
///   0 ---- 1     0→1 is one-way east; all others two-way.
/// ```
/// The bottom street 0→1 has a bend point in the middle; each side takes 60 s.
fn block() -> Graph {
    let p = |lat: f64, lon: f64| LatLon::new(lat, lon);
    let n = vec![
        p(41.0, -8.6),
        p(41.0, -8.59),
        p(41.01, -8.59),
        p(41.01, -8.6),
    ];
    let net = RoadNetwork {
        nodes: n.clone(),
        roads: vec![
            road(0, 1, vec![n[0], p(41.0, -8.595), n[1]], Some(60_000), None),
            road(1, 2, vec![n[1], n[2]], Some(60_000), Some(60_000)),
            road(2, 3, vec![n[2], n[3]], Some(60_000), Some(60_000)),
            road(3, 0, vec![n[3], n[0]], Some(60_000), Some(60_000)),
        ],
    };
    Graph::build(&net, &BuildOptions { min_component: 1 }, &mut |_, _, _| {})
        .unwrap()
        .0
}

#[test]
fn snaps_onto_the_middle_of_a_segment_not_a_node() {
    let g = block();
    // 100 m south of the bottom street, a quarter of the way along.
    let s = g.snap(LatLon::new(41.0 - 0.0009, -8.5975), 500.0).unwrap();
    let (a, b) = g.road_ends(s.road);
    assert_eq!(
        (g.node(a), g.node(b)),
        (LatLon::new(41.0, -8.6), LatLon::new(41.0, -8.59))
    );
    assert!((s.frac - 0.25).abs() < 1e-3, "frac {}", s.frac);
    assert!(
        (s.distance_m - 100.0).abs() < 1.0,
        "distance {}",
        s.distance_m
    );
    assert!((s.point.lat - 41.0).abs() < 1e-9 && (s.point.lon + 8.5975).abs() < 1e-6);
}

#[test]
fn too_far_from_any_road_says_how_far() {
    let g = block();
    let err = g.snap(LatLon::new(41.02, -8.595), 500.0).unwrap_err();
    match err {
        RoadsError::TooFarFromRoad { distance_m, .. } => {
            assert!((distance_m - 1112.0).abs() < 5.0, "{distance_m}")
        }
        e => panic!("unexpected {e}"),
    }
    assert!(g.snap(LatLon::new(41.02, -8.595), 1200.0).is_ok());
    assert!(matches!(
        g.snap(LatLon::new(95.0, 0.0), 500.0),
        Err(RoadsError::InvalidCoordinate(_))
    ));
}

#[test]
fn partial_edges_at_both_ends() {
    let g = block();
    let mut r = Router::new(&g);
    let bottom = |f: f64| g.snap(LatLon::new(41.0, -8.6 + 0.01 * f), 50.0).unwrap();
    // Along the one-way street, forwards: 0.25 → 0.75 of 60 s.
    let t = r.route(&bottom(0.25), &bottom(0.75), true).unwrap();
    assert_eq!(t.ms, 30_000);
    assert!((t.meters() - 0.5 * g.road_meters(t_road(&g))).abs() < 0.5);
    // Backwards along it is forbidden: round the block (0.25 of bottom + 3 sides + 0.75 of bottom).
    let back = r.route(&bottom(0.75), &bottom(0.25), false).unwrap();
    assert_eq!(back.ms, 15_000 + 180_000 + 15_000);
    // From the middle of the bottom street to the middle of the top one: 30 s to node 1, 60 s up, 30 s along.
    let top = g.snap(LatLon::new(41.01, -8.595), 50.0).unwrap();
    assert_eq!(r.route(&bottom(0.5), &top, false).unwrap().ms, 120_000);
    // Geometry starts and ends at the snapped points.
    let geom = t.geometry.unwrap();
    assert!(
        (geom[0].lon - (-8.6 + 0.0025)).abs() < 1e-6
            && (geom.last().unwrap().lon - (-8.6 + 0.0075)).abs() < 1e-6
    );
}

fn t_road(g: &Graph) -> u32 {
    (0..g.road_count() as u32)
        .find(|&r| g.road_ms(r).1.is_none())
        .unwrap()
}

#[test]
fn route_geometry_follows_the_roads() {
    let g = block();
    let mut r = Router::new(&g);
    let from = g.snap(LatLon::new(41.0, -8.5975), 50.0).unwrap();
    let to = g.snap(LatLon::new(41.01, -8.5975), 50.0).unwrap();
    let route = r.route(&from, &to, true).unwrap();
    let geom = route.geometry.unwrap();
    // East along the bottom, north along the right side, west along the top.
    assert!(geom.iter().any(|p| *p == LatLon::new(41.0, -8.59)));
    assert!(geom.iter().any(|p| *p == LatLon::new(41.01, -8.59)));
    assert_eq!(route.ms, 45_000 + 60_000 + 45_000);
}

#[test]
fn route_steps_name_each_street_and_its_turn() {
    let g = block();
    let mut r = Router::new(&g);
    let from = g.snap(LatLon::new(41.0, -8.5975), 50.0).unwrap();
    let to = g.snap(LatLon::new(41.01, -8.5975), 50.0).unwrap();
    let route = r.route(&from, &to, true).unwrap();
    // The block's sides by the latitudes and longitudes of their ends.
    let name_of = |road: u32| -> Option<std::sync::Arc<str>> {
        let (a, b) = g.road_ends(road);
        let (a, b) = (g.node(a), g.node(b));
        Some(
            match (a.lat == b.lat, a.lat == 41.0, a.lon == -8.59) {
                (true, true, _) => "Bottom St",
                (true, false, _) => "Top St",
                (false, _, true) => "East Av",
                (false, _, false) => "West Av",
            }
            .into(),
        )
    };
    let steps = roads::steps(&g, route.legs.as_ref().unwrap(), name_of);
    let seen: Vec<(Turn, &str, i64, i64)> = steps
        .iter()
        .map(|s| {
            (
                s.turn,
                s.street.as_deref().unwrap(),
                s.meters.round() as i64,
                s.seconds.round() as i64,
            )
        })
        .collect();
    let side = |r: u32| g.road_meters(r);
    let bottom = (0..4).find(|&r| g.road_ms(r).1.is_none()).unwrap();
    let top = (0..4)
        .find(|&r| {
            let (a, b) = g.road_ends(r);
            g.node(a).lat == 41.01 && g.node(b).lat == 41.01
        })
        .unwrap();
    let east = (0..4)
        .find(|&r| {
            let (a, b) = g.road_ends(r);
            g.node(a).lon == -8.59 && g.node(b).lon == -8.59
        })
        .unwrap();
    assert_eq!(
        seen,
        vec![
            (
                Turn::Depart,
                "Bottom St",
                (side(bottom) * 0.75).round() as i64,
                45
            ),
            (Turn::Left, "East Av", side(east).round() as i64, 60),
            (Turn::Left, "Top St", (side(top) * 0.75).round() as i64, 45),
            (Turn::Arrive, "Top St", 0, 0),
        ]
    );
    assert_eq!(steps[1].at, LatLon::new(41.0, -8.59));
    assert!(
        (steps[1].bearing - 0.0).abs() < 1.0,
        "north: {}",
        steps[1].bearing
    );
    // Already there: one arrival, nowhere to turn.
    let here = r.route(&from, &from, true).unwrap();
    let arrive = roads::steps(&g, here.legs.as_ref().unwrap(), name_of);
    assert_eq!(
        arrive
            .iter()
            .map(|s| (s.turn, s.street.as_deref()))
            .collect::<Vec<_>>(),
        vec![(Turn::Arrive, Some("Bottom St"))]
    );
    let total: f64 = steps.iter().map(|s| s.seconds).sum();
    assert!(
        (total - route.seconds()).abs() < 0.01,
        "{total} vs {}",
        route.seconds()
    );
}

#[test]
fn isochrone_respects_one_way_and_partial_reach() {
    let g = block();
    let o = g.snap(LatLon::new(41.0, -8.6), 10.0).unwrap(); // at node 0
    let iso = isochrones(
        &g,
        &[o],
        &[30_000, 90_000],
        &IsochroneOptions {
            cell_m: Some(25.0),
            direction: Direction::Forward,
        },
    )
    .unwrap();
    // Within 90 s: the whole bottom street (60 s) and half of the right side;
    // the left side also 90 s: all of it (60 s) and half of the top.
    let reached = |road: u32| {
        iso.parts
            .iter()
            .filter(|p| p.road == road)
            .map(|p| (p.from_frac - p.to_frac).abs())
            .fold(0.0, f64::max)
    };
    let bottom = t_road(&g);
    assert!((reached(bottom) - 1.0).abs() < 1e-9);
    // Backwards: who can reach node 0 within 30 s? Not along the one-way bottom street from node 1's side.
    let rev = isochrones(
        &g,
        &[o],
        &[30_000],
        &IsochroneOptions {
            cell_m: Some(25.0),
            direction: Direction::Backward,
        },
    )
    .unwrap();
    assert!(
        rev.parts
            .iter()
            .filter(|p| p.road == bottom)
            .all(|p| p.from_frac.max(p.to_frac) <= 0.5 + 1e-9)
    );
    // The 30 s area is smaller than the 90 s one, and neither is empty.
    let area = |i: usize| iso.areas[i].area.0.len();
    assert!(area(0) >= 1 && area(1) >= 1);
    let extent = |i: usize| {
        iso.areas[i]
            .area
            .0
            .iter()
            .flat_map(|p| p.exterior().0.iter())
            .map(|c| c.y)
            .fold(f64::MIN, f64::max)
    };
    assert!(
        extent(0) < extent(1),
        "30 s area must not reach as far north as 90 s"
    );
}

#[test]
fn isochrone_does_not_fill_the_unreached_block_interior() {
    let g = block();
    let o = g.snap(LatLon::new(41.0, -8.6), 10.0).unwrap();
    let iso = isochrones(
        &g,
        &[o],
        &[600_000],
        &IsochroneOptions {
            cell_m: Some(25.0),
            direction: Direction::Forward,
        },
    )
    .unwrap();
    // Every road is reached, but the middle of the ~840 m block is not a road:
    // it must be a hole (or outside), not covered like a convex hull would.
    let centre = geo_point(41.005, -8.595);
    let covered = iso.areas[0].area.0.iter().any(|p| contains(p, centre));
    assert!(!covered, "the block's interior was swallowed");
    let on_road = geo_point(41.0, -8.595);
    assert!(iso.areas[0].area.0.iter().any(|p| contains(p, on_road)));
}

fn geo_point(lat: f64, lon: f64) -> (f64, f64) {
    (lon, lat)
}

/// Even-odd point-in-polygon over exterior and holes.
fn contains(p: &geo_types::Polygon<f64>, (x, y): (f64, f64)) -> bool {
    let inside = |ring: &geo_types::LineString<f64>| {
        let pts = &ring.0;
        let mut c = false;
        for i in 0..pts.len() {
            let (a, b) = (pts[i], pts[(i + 1) % pts.len()]);
            if (a.y > y) != (b.y > y) && x < (b.x - a.x) * (y - a.y) / (b.y - a.y) + a.x {
                c = !c;
            }
        }
        c
    };
    inside(p.exterior()) && !p.interiors().iter().any(inside)
}

#[test]
fn graph_file_round_trips_and_rejects_damage() {
    let g = block();
    let bytes = g.to_bytes();
    let back = Graph::from_bytes(&bytes).unwrap();
    assert_eq!(back.stats(), g.stats());
    let (a, b) = (
        g.snap(LatLon::new(41.0, -8.5975), 50.0).unwrap(),
        g.snap(LatLon::new(41.01, -8.5975), 50.0).unwrap(),
    );
    assert_eq!(
        Router::new(&back).route(&a, &b, false),
        Router::new(&g).route(&a, &b, false)
    );

    // Truncated anywhere: an error, never a panic.
    for cut in [0, 10, 31, 32, 40, bytes.len() / 2, bytes.len() - 1] {
        let e = Graph::from_bytes(&bytes[..cut]).unwrap_err();
        assert!(matches!(e, RoadsError::Corrupt(_)), "cut {cut}: {e}");
    }
    // Another version.
    let mut v2 = bytes.clone();
    v2[16] = 99;
    assert!(matches!(
        Graph::from_bytes(&v2),
        Err(RoadsError::Version { found: 99, .. })
    ));
    // A flipped byte anywhere in the payload.
    for i in (32..bytes.len()).step_by(7) {
        let mut bad = bytes.clone();
        bad[i] ^= 0x5A;
        assert!(Graph::from_bytes(&bad).is_err(), "flip at {i} accepted");
    }
    assert!(Graph::from_bytes(b"hello").is_err());
}
