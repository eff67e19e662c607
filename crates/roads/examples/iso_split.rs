//! Where isochrone time goes: reach vs rasterising (diagnostic).
use roads::{Dijkstra, Direction, Graph, IsochroneOptions};
use std::time::Instant;
fn main() {
    let g = Graph::from_bytes(&std::fs::read(std::env::args().nth(1).unwrap()).unwrap()).unwrap();
    let mut d = Dijkstra::new(&g);
    let (mut a, mut b, mut n) = (0.0, 0.0, 0);
    for i in 0..100u32 {
        let o = g.snap_on_road(i * 797 % g.road_count() as u32, 0.5);
        let t = Instant::now();
        let parts = roads::reachable_parts(&mut d, &g, &[o], 300_000, Direction::Forward);
        a += t.elapsed().as_secs_f64();
        n += parts.len();
        let t = Instant::now();
        let cell: Option<f64> = std::env::var("CELL").ok().map(|c| c.parse().unwrap());
        roads::isochrones(
            &g,
            &[o],
            &[60_000, 180_000, 300_000],
            &IsochroneOptions {
                cell_m: cell,
                ..Default::default()
            },
        )
        .unwrap();
        b += t.elapsed().as_secs_f64();
    }
    println!(
        "reach {:.3} ms, total {:.3} ms, parts {}",
        a * 10.0,
        b * 10.0,
        n / 100
    );
}
