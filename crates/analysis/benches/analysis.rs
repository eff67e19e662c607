//! Analysis speed on real data (Chicago burglaries from ../shared/data):
//! Gi* on 1M incidents, Knox with 999 permutations on the 11,701 burglaries
//! of 2016, linkage scoring of 10,000 cases, a year of weekly forecasts.
//! Peers (numpy, esda) side by side: scripts/bench-analysis.

use analysis::hotspot::{Grid, gistar};
use analysis::knox::{KnoxParams, Metric, knox};
use analysis::records::{ImportOptions, days_from_civil, import_csv};
use analysis::{Record, Rng};
use criterion::{Criterion, criterion_group, criterion_main};

fn chicago() -> Vec<Record> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/crime/chicago_burglary_code/chicago_burglary_2014_2017.csv");
    import_csv(
        std::fs::File::open(path).unwrap(),
        &ImportOptions::default(),
    )
    .unwrap()
    .data
    .records
}

fn bench(c: &mut Criterion) {
    let all = chicago();
    let mut rng = Rng::new(7);
    let million: Vec<(f64, f64)> = (0..1_000_000)
        .map(|i| {
            let r = &all[i % all.len()];
            (
                r.x + (rng.next_f64() - 0.5) * 300.0,
                r.y + (rng.next_f64() - 0.5) * 300.0,
            )
        })
        .collect();
    c.bench_function("gistar_1m_incidents_100m_binning_included", |b| {
        b.iter(|| gistar(&Grid::bin(&million, 100.0).unwrap()))
    });

    let (s, e) = (days_from_civil(2016, 1, 1), days_from_civil(2017, 1, 1));
    let y2016: Vec<&Record> = all.iter().filter(|r| (s..e).contains(&r.day())).collect();
    let xy: Vec<(f64, f64)> = y2016.iter().map(|r| (r.x, r.y)).collect();
    let days: Vec<i64> = y2016.iter().map(|r| r.day()).collect();
    let p = KnoxParams {
        space_band: 100.0,
        space_bands: 3,
        time_band: 2,
        time_bands: 2,
        permutations: 999,
        seed: 1,
        metric: Metric::Euclidean,
    };
    let mut g = c.benchmark_group("slow");
    g.sample_size(10);
    g.bench_function("knox_11701_events_999_permutations", |b| {
        b.iter(|| knox(&xy, &days, &p).unwrap())
    });

    // Linkage: 10,000 cases with times and three method attributes; a model
    // learned from seeded series among them.
    let mut cases: Vec<Record> = y2016.iter().take(10_000).map(|r| (*r).clone()).collect();
    let mut rows = Vec::new();
    for (i, c) in cases.iter_mut().enumerate() {
        c.from += rng.below(24) as i64 * 3600;
        c.to = c.from + rng.below(6) as i64 * 3600;
        c.has_time = true;
        c.id = format!("K{i}");
        c.attrs = (0..3)
            .map(|k| Some(format!("m{k}_{}", rng.below(8))))
            .collect();
        if i % 3 == 0 {
            rows.push((format!("o{}", i / 30), c.id.clone()));
        }
    }
    let names: Vec<String> = (1..=3).map(|k| format!("MO{k}")).collect();
    let (solved, _) = analysis::linkage::Solved::from_rows(&cases, &rows);
    let model = analysis::linkage::fit_all(&cases, &solved, &names).unwrap();
    g.bench_function("linkage_10000_cases_1km_30days", |b| {
        b.iter(|| analysis::linkage::score_pairs(&model, &cases, 1000.0, 30.0))
    });

    let axy: Vec<(f64, f64)> = all.iter().map(|r| (r.x, r.y)).collect();
    let adays: Vec<i64> = all.iter().map(|r| r.day()).collect();
    let fp = analysis::forecast::ForecastParams {
        cell: 250.0,
        from_day: days_from_civil(2016, 1, 4),
        weeks: 52,
        bandwidth: 375.0,
    };
    g.bench_function("forecast_eval_52_weeks_4_methods", |b| {
        b.iter(|| analysis::forecast::evaluate(&axy, &adays, &fp).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
