//! Dispatch engine on greater Porto with the demo city's fleet (about 520 units):
//! the recommendation with the fleet prepared, after a position report
//! (fleet re-prepared), and taking a call (validation, jurisdiction lookup,
//! snapping, duplicate search). No store, no HTTP: see scripts/bench-dispatch.

use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use dispatch::engine::Snapshot;
use dispatch::{Config, Engine, Jurisdictions, NewIncident, RoadTravel};

fn setup() -> (Engine, Vec<(f64, f64)>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/osm/porto-portugal-r5.osm.pbf");
    let (net, _) = osm_import::import_pbf(&path, &Default::default()).expect("extract");
    let graph: &'static roads::Graph = Box::leak(Box::new(
        roads::Graph::build(&net, &Default::default(), &mut |_, _, _| {})
            .expect("graph")
            .0,
    ));
    let city = citygen::generate(graph, 110);
    let points: Vec<(f64, f64)> = city.posts.iter().map(|p| (p.lat, p.lon)).collect();
    let j = Arc::new(Jurisdictions::new(city.jurisdictions).expect("tree"));
    let engine = Engine::new(
        Config::default(),
        j,
        Box::new(RoadTravel::new(graph)),
        Snapshot {
            units: city.units,
            posts: city.posts,
            ..Default::default()
        },
    );
    (engine, points)
}

fn bench(c: &mut Criterion) {
    let (mut e, points) = setup();
    let units = e.units().len();
    let mut ids = Vec::new();
    for (n, (lat, lon)) in points.iter().enumerate() {
        let call = NewIncident {
            kind: "theft".into(),
            lat: *lat + 0.0003,
            lon: *lon,
            ..Default::default()
        };
        ids.push(
            e.create_incident(n as i64, "bench", call)
                .expect("call")
                .0
                .id,
        );
    }
    let mut g = c.benchmark_group("dispatch");
    let mut k = 0;
    g.bench_function(format!("recommend {units} units, fleet prepared"), |b| {
        b.iter(|| {
            k = (k + 1) % ids.len();
            e.recommend(ids[k], &[]).expect("recommendation")
        })
    });
    let unit_ids: Vec<String> = e.units().iter().map(|u| u.id.clone()).collect();
    g.bench_function(format!("position report + recommend {units} units"), |b| {
        b.iter(|| {
            k = (k + 1) % ids.len();
            let (lat, lon) = points[k];
            e.unit_position(0, &unit_ids[k % unit_ids.len()], lat, lon)
                .expect("position");
            e.recommend(ids[k], &[]).expect("recommendation")
        })
    });
    let mut n = 0i64;
    g.bench_function("take a call (validate, locate, duplicates)", |b| {
        b.iter(|| {
            n += 1;
            let (lat, lon) = points[n as usize % points.len()];
            let call = NewIncident {
                kind: "dispute".into(),
                lat: lat - 0.0002,
                lon,
                ..Default::default()
            };
            e.create_incident(1_000_000 + n, "bench", call)
                .expect("call")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
