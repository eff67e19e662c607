//! The heuristic against the exact integer program on the real road network
//! (Monaco): 24 random instances of several sizes. Prints the distribution of
//! heuristic / optimum and bound / optimum.

use roads::{Graph, Snap};

fn graph() -> Graph {
    test_support::graph_of(test_support::MONACO)
}

struct Rng(u64);
impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[test]
fn heuristic_against_exact_on_monaco() {
    let g = graph();
    let n = g.stats().nodes;
    let snap = |v: usize| {
        g.snap(g.node(v as u32), 50.0)
            .expect("junctions are on roads")
    };
    let mut ratios = Vec::new();
    let mut bound_gaps = Vec::new();
    for seed in 0..24u64 {
        let mut rng =
            Rng(0x9E37_79B9_7F4A_7C15 ^ (seed + 1).wrapping_mul(0x1234_5678_9ABC_DEF1) | 1);
        let (sites, points, k) = [(80, 400, 3), (150, 800, 5), (250, 1500, 8)][seed as usize % 3];
        let cand: Vec<Snap> = (0..sites).map(|_| snap(rng.next(n))).collect();
        let demand: Vec<(Snap, f64)> = (0..points)
            .map(|_| (snap(rng.next(n)), 1.0 + rng.next(10) as f64))
            .collect();
        // Short tiers on a small city, so the choice matters.
        let p = coverage::Problem::build(&g, &cand, &demand, &[30, 60, 120]).unwrap();
        let o = coverage::Options::new(k, 3);
        let h = coverage::optimise(&p, &o).unwrap();
        let x = coverage::optimise_exact(&p, &o).unwrap();
        let opt = x.evaluation.score;
        assert!(h.evaluation.score <= opt + 1e-6);
        assert!(
            h.upper_bound >= opt - 1e-6,
            "seed {seed}: the bound {} is below the optimum {opt}",
            h.upper_bound
        );
        ratios.push(h.evaluation.score / opt);
        bound_gaps.push(h.upper_bound / opt - 1.0);
    }
    ratios.sort_by(f64::total_cmp);
    bound_gaps.sort_by(f64::total_cmp);
    let q = |v: &[f64], p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    eprintln!(
        "heuristic/optimum over {} instances: min {:.5} p10 {:.5} median {:.5} max {:.5}; bound above optimum: median {:.5} p90 {:.5} max {:.5}",
        ratios.len(),
        ratios[0],
        q(&ratios, 0.1),
        q(&ratios, 0.5),
        q(&ratios, 1.0),
        q(&bound_gaps, 0.5),
        q(&bound_gaps, 0.9),
        q(&bound_gaps, 1.0)
    );
    assert!(ratios[0] >= 0.995, "{ratios:?}");
}
