//! `cargo bench -p roads`: the engine's query kinds on greater Porto.
//! `scripts/bench-roads` prints the same figures as p50s beside Valhalla's.

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use roads::{BuildOptions, Graph, IsochroneOptions, Router, Snap};

fn porto() -> Graph {
    let pbf = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/osm/porto-portugal-r5.osm.pbf");
    let (net, _) =
        osm_import::import_pbf(&pbf, &osm_import::Profile::default()).expect("import Porto");
    Graph::build(&net, &BuildOptions::default(), &mut |_, _, _| {})
        .expect("build")
        .0
}

fn positions(g: &Graph, n: usize, mut seed: u64) -> Vec<Snap> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            g.snap_on_road(
                (seed % g.road_count() as u64) as u32,
                (seed >> 40) as f64 / (1u64 << 24) as f64,
            )
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let g = porto();
    let bytes = g.to_bytes();
    let mut router = Router::new(&g);
    let pairs = positions(&g, 256, 7);
    let units: Vec<Option<Snap>> = positions(&g, 500, 11).into_iter().map(Some).collect();
    let incidents = positions(&g, 64, 13);
    let prepared = router.prepare_sources(&units);
    let src: Vec<Option<Snap>> = positions(&g, 20, 17).into_iter().map(Some).collect();
    let dst: Vec<Option<Snap>> = positions(&g, 2000, 19).into_iter().map(Some).collect();

    let mut i = 0;
    c.bench_function("one_to_one", |b| {
        b.iter(|| {
            i = (i + 2) % pairs.len();
            router.route(&pairs[i], &pairs[i + 1], false)
        })
    });
    c.bench_function("many_to_one_500_prepared", |b| {
        b.iter(|| {
            i = (i + 1) % incidents.len();
            router.many_to_one_prepared(&prepared, &incidents[i], None)
        })
    });
    c.bench_function("many_to_one_500_cold", |b| {
        b.iter(|| {
            i = (i + 1) % incidents.len();
            router.many_to_one(&units, &incidents[i], None)
        })
    });
    c.bench_function("isochrone_1_3_5", |b| {
        b.iter(|| {
            i = (i + 1) % incidents.len();
            roads::isochrones(
                &g,
                &[incidents[i]],
                &[60_000, 180_000, 300_000],
                &IsochroneOptions::default(),
            )
        })
    });
    let mut group = c.benchmark_group("slow");
    group.sample_size(10);
    group.bench_function("matrix_20x2000", |b| {
        b.iter(|| router.matrix(&src, &dst, None))
    });
    group.bench_function("load_graph_file", |b| {
        b.iter(|| Graph::from_bytes(&bytes).expect("load"))
    });
    group.finish();
}

criterion_group!(roads_benches, benches);
criterion_main!(roads_benches);
