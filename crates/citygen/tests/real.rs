//! The demo city on real extracts: a valid tree that covers the roads, and
//! units inside their own stations.

use dispatch::{Jurisdictions, Level};
use roads::Graph;

fn graph(name: &str) -> Graph {
    test_support::graph_of(name)
}

fn check(name: &str) -> citygen::City {
    let g = graph(name);
    let city = citygen::generate(&g, 7);
    let tree = Jurisdictions::new(city.jurisdictions.clone()).expect("valid tree");
    // Every junction lies in some station and grid of the tree.
    let n = g.stats().nodes as u32;
    let mut missing = 0;
    for v in (0..n).step_by(7) {
        match tree.resolve(g.node(v)) {
            Some(p) if p.grid_id.is_some() => {}
            other => {
                missing += 1;
                let p = g.node(v);
                let containing: Vec<String> = city
                    .jurisdictions
                    .iter()
                    .filter(|j| j.contains(p))
                    .map(|j| j.id.clone())
                    .collect();
                eprintln!(
                    "junction {v} at {p:?}: resolved {other:?}; polygons containing it: {containing:?}"
                );
            }
        }
    }
    assert_eq!(missing, 0, "{name}: junctions outside every grid");
    for u in &city.units {
        let place = tree.resolve(u.position()).expect("unit inside the city");
        let home = tree.get(&u.home_station).expect("home exists");
        if home.level == Level::Station {
            assert_eq!(
                place.station_id.as_deref(),
                Some(home.id.as_str()),
                "{} outside its station",
                u.id
            );
        } else {
            assert_eq!(
                place.bureau_id.as_deref(),
                Some(home.id.as_str()),
                "{} outside its bureau",
                u.id
            );
        }
    }
    for p in &city.posts {
        let place = tree
            .resolve(dispatch::LatLon {
                lat: p.lat,
                lon: p.lon,
            })
            .expect("post inside");
        assert_eq!(place.station_id.as_deref(), Some(p.station_id.as_str()));
    }
    // Same seed, same city.
    let again = citygen::generate(&g, 7);
    assert_eq!(again.units, city.units);
    assert_eq!(again.jurisdictions, city.jurisdictions);
    city
}

#[test]
fn the_same_extract_gives_the_same_graph() {
    // Reproducible graphs give reproducible demo cities (ids, posts, units).
    assert_eq!(
        graph("monaco-2016-osrm.osm.pbf").to_bytes(),
        graph("monaco-2016-osrm.osm.pbf").to_bytes()
    );
}

#[test]
fn monaco() {
    let city = check("monaco-2016-osrm.osm.pbf");
    let stations = city
        .jurisdictions
        .iter()
        .filter(|j| j.level == Level::Station)
        .count();
    assert!(stations >= 4, "{stations}");
}

#[test]
fn porto() {
    let city = check("porto-portugal-r5.osm.pbf");
    let count = |l: Level| city.jurisdictions.iter().filter(|j| j.level == l).count();
    eprintln!(
        "porto: {} bureaus, {} stations, {} communities, {} grids, {} posts, {} units, {} staff",
        count(Level::Bureau),
        count(Level::Station),
        count(Level::Community),
        count(Level::Grid),
        city.posts.len(),
        city.units.len(),
        city.staff.len()
    );
    assert!((25..=40).contains(&count(Level::Station)));
    assert!(
        city.units.len() >= 500,
        "the demo fleet is sized for the 500-unit figure"
    );
}
