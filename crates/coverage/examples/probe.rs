use std::time::Instant;
fn read(path: &str, g: &roads::Graph, weight: bool) -> Vec<(roads::Snap, f64)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
            (
                g.snap(roads::LatLon::new(f[0], f[1]), 500.0).unwrap(),
                if weight { f[2] } else { 1.0 },
            )
        })
        .collect()
}
fn main() {
    let g = roads::Graph::from_bytes(&std::fs::read("/tmp/b3/city.roads").unwrap()).unwrap();
    let demand = read("/tmp/cov/demand.csv", &g, true);
    let cand: Vec<roads::Snap> = read("/tmp/cov/cand.csv", &g, false)
        .into_iter()
        .map(|c| c.0)
        .collect();
    let t = Instant::now();
    let p = coverage::Problem::build(&g, &cand, &demand, &[60, 180, 300]).unwrap();
    let total: usize = p.cover.iter().map(|c| c.len()).sum();
    println!("build {:?}, cover entries {total}", t.elapsed());
    for (iters, pert) in [(150usize, 0usize), (300, 0), (600, 0)] {
        let mut o = coverage::Options::new(50, 3);
        o.bound_iterations = iters;
        o.perturbations = pert;
        let t = Instant::now();
        let s = coverage::optimise(&p, &o).unwrap();
        println!(
            "submodular bound at it: {}",
            coverage::submodular_bound(&p, &o, &s.chosen)
        );
        println!(
            "iters {iters} perturbations {pert}: {:?} greedy {} score {} ub {} ratio {:.5} swaps {}",
            t.elapsed(),
            s.greedy_score,
            s.evaluation.score,
            s.upper_bound,
            s.proven_ratio(),
            s.swaps
        );
    }
}
