//! Measures the engine's figures on one graph and prints them as JSON:
//! p50/p90 of each query kind, single thread, release build.
//!
//! `cargo run --release -p roads --example bench_report -- <graph.roads> [points.csv]`
//!
//! The positions it samples (on roads, seeded) are written to `points.csv` so a
//! peer (see `scripts/bench-roads`) can be timed on exactly the same inputs:
//! rows `kind,i,lat,lon` with kinds `pair_from`, `pair_to`, `unit`,
//! `incident`, `iso`, `msrc`, `mdst`.

use std::io::Write;
use std::time::Instant;

use roads::{Graph, IsochroneOptions, Router, Snap};
use serde_json::json;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn snap(&mut self, g: &Graph) -> Snap {
        let r = (self.next() % g.road_count() as u64) as u32;
        let f = (self.next() % 1001) as f64 / 1000.0;
        g.snap_on_road(r, f)
    }
}

fn percentiles(mut xs: Vec<f64>) -> (f64, f64) {
    xs.sort_by(f64::total_cmp);
    let at = |q: f64| xs[((xs.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.9))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .expect("usage: bench_report <graph.roads> [points.csv]");
    let bytes = std::fs::read(path).expect("read graph");
    let mut loads = Vec::new();
    let mut graph = None;
    for _ in 0..5 {
        let t = Instant::now();
        graph = Some(Graph::from_bytes(&bytes).expect("load"));
        loads.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let g = graph.expect("loaded");
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut router = Router::new(&g);
    let mut points: Vec<(String, usize, Snap)> = Vec::new();
    let us = |t: Instant| t.elapsed().as_secs_f64() * 1e6;

    // Snapping coordinates (the points' own lat/lon, slightly offset).
    let coords: Vec<_> = (0..2000).map(|_| rng.snap(&g).point).collect();
    let mut snap_us = Vec::new();
    for c in &coords {
        let t = Instant::now();
        std::hint::black_box(g.snap(*c, 500.0).ok());
        snap_us.push(us(t));
    }

    // One-to-one.
    let mut one = Vec::new();
    for i in 0..2000 {
        let (s, d) = (rng.snap(&g), rng.snap(&g));
        points.push(("pair_from".into(), i, s));
        points.push(("pair_to".into(), i, d));
        let t = Instant::now();
        std::hint::black_box(router.route(&s, &d, false));
        one.push(us(t));
    }

    // Many-to-one: 500 units, 300 incidents.
    let units: Vec<Option<Snap>> = (0..500).map(|_| Some(rng.snap(&g))).collect();
    for (i, u) in units.iter().enumerate() {
        points.push(("unit".into(), i, u.unwrap()));
    }
    let mut m1 = Vec::new();
    let mut m1_limited = Vec::new();
    let mut m1_prepared = Vec::new();
    let mut prepare = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        std::hint::black_box(router.prepare_sources(&units));
        prepare.push(us(t));
    }
    let prepared = router.prepare_sources(&units);
    for i in 0..300 {
        let inc = rng.snap(&g);
        points.push(("incident".into(), i, inc));
        let t = Instant::now();
        std::hint::black_box(router.many_to_one(&units, &inc, None));
        m1.push(us(t));
        let t = Instant::now();
        std::hint::black_box(router.many_to_one(&units, &inc, Some(600_000)));
        m1_limited.push(us(t));
        let t = Instant::now();
        std::hint::black_box(router.many_to_one_prepared(&prepared, &inc, None));
        m1_prepared.push(us(t));
    }

    // Isochrones 1/3/5 minutes.
    let mut iso = Vec::new();
    for i in 0..200 {
        let o = rng.snap(&g);
        points.push(("iso".into(), i, o));
        let t = Instant::now();
        std::hint::black_box(
            roads::isochrones(
                &g,
                &[o],
                &[60_000, 180_000, 300_000],
                &IsochroneOptions::default(),
            )
            .expect("iso"),
        );
        iso.push(us(t));
    }

    // Matrices 1×50 and 20×2000.
    let src: Vec<Option<Snap>> = (0..20).map(|_| Some(rng.snap(&g))).collect();
    let dst: Vec<Option<Snap>> = (0..2000).map(|_| Some(rng.snap(&g))).collect();
    for (i, s) in src.iter().enumerate() {
        points.push(("msrc".into(), i, s.unwrap()));
    }
    for (i, d) in dst.iter().enumerate() {
        points.push(("mdst".into(), i, d.unwrap()));
    }
    let mut small = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        std::hint::black_box(router.matrix(&src[..1], &dst[..50], None));
        small.push(us(t) / 1e3);
    }
    let mut big = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        std::hint::black_box(router.matrix(&src, &dst, None));
        big.push(us(t) / 1e3);
    }

    if let Some(out) = args.get(2) {
        let mut f = std::io::BufWriter::new(std::fs::File::create(out).expect("points file"));
        writeln!(f, "kind,i,lat,lon").expect("write");
        for (k, i, s) in &points {
            writeln!(f, "{k},{i},{:.7},{:.7}", s.point.lat, s.point.lon).expect("write");
        }
    }

    let st = g.stats();
    let (sn50, sn90) = percentiles(snap_us);
    let (o50, o90) = percentiles(one);
    let (m50, m90) = percentiles(m1);
    let (ml50, ml90) = percentiles(m1_limited);
    let (mp50, mp90) = percentiles(m1_prepared);
    let (pp50, _) = percentiles(prepare);
    let (i50, i90) = percentiles(iso);
    let (s50, _) = percentiles(small);
    let (b50, _) = percentiles(big);
    let (l50, _) = percentiles(loads);
    println!(
        "{}",
        json!({
            "nodes": st.nodes, "roads": st.roads, "hierarchy_edges": st.hierarchy_edges,
            "load_ms_p50": l50,
            "snap_us": {"p50": sn50, "p90": sn90},
            "one_to_one_us": {"p50": o50, "p90": o90},
            "many_to_one_500_us": {"p50": m50, "p90": m90},
            "many_to_one_500_10min_us": {"p50": ml50, "p90": ml90},
            "many_to_one_500_prepared_us": {"p50": mp50, "p90": mp90},
            "prepare_500_sources_us_p50": pp50, "prepared_selected_nodes": prepared.selected_nodes(),
            "isochrone_1_3_5_us": {"p50": i50, "p90": i90},
            "matrix_1x50_ms_p50": s50,
            "matrix_20x2000_ms_p50": b50,
        })
    );
}
