//! The places index's speed on real extracts, as the issue asks it:
//! the build, every keystroke (every prefix of every street name and
//! address, as a call taker types it) and reverse look-ups, with their
//! p50 and p99 on one core. `cargo bench -p osm-import --bench places`.
//! A plain harness: criterion reports means, a call taker feels the tail.

use std::path::Path;
use std::time::Instant;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/osm");
    println!(
        "extract\tplaces\tbuild_s\tfile_MB\tkeystrokes\tkey_p50_ms\tkey_p99_ms\treverse_p50_ms\treverse_p99_ms"
    );
    for name in [
        "porto-portugal-r5.osm.pbf",
        "malta-2016-gh.osm.pbf",
        "liechtenstein-2021-valhalla.osm.pbf",
    ] {
        let started = Instant::now();
        let (records, _) = osm_import::read_places(&dir.join(name)).expect("extract");
        let index = places::Index::build(records);
        let build_s = started.elapsed().as_secs_f64();
        let file_mb = places::file::write(index.places()).len() as f64 / 1e6;
        // Every prefix of the names a caller says, cut at characters.
        let mut queries: Vec<String> = Vec::new();
        for p in index
            .places()
            .iter()
            .filter(|p| matches!(p.kind, places::Kind::Street | places::Kind::Address))
        {
            let chars: Vec<char> = p.label.chars().collect();
            queries.extend((2..=chars.len()).map(|n| chars[..n].iter().collect()));
        }
        // An even sample keeps a run under a minute.
        let step = queries.len().div_ceil(40_000);
        let queries: Vec<&String> = queries.iter().step_by(step).collect();
        let mut key: Vec<f64> = queries
            .iter()
            .map(|q| {
                let t = Instant::now();
                std::hint::black_box(index.search(q, None, 10));
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        key.sort_by(f64::total_cmp);
        // Reverse at points spread over the places' extent.
        let (lat0, lat1, lon0, lon1) = index.places().iter().fold(
            (f64::MAX, f64::MIN, f64::MAX, f64::MIN),
            |(a, b, c, d), p| (a.min(p.lat), b.max(p.lat), c.min(p.lon), d.max(p.lon)),
        );
        let mut rev: Vec<f64> = (0..20_000)
            .map(|i| {
                let (u, v) = ((i % 141) as f64 / 141.0, (i / 141) as f64 / 142.0);
                let (lat, lon) = (lat0 + u * (lat1 - lat0), lon0 + v * (lon1 - lon0));
                let t = Instant::now();
                std::hint::black_box(index.reverse(lat, lon));
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        rev.sort_by(f64::total_cmp);
        println!(
            "{name}\t{}\t{build_s:.2}\t{file_mb:.1}\t{}\t{:.3}\t{:.3}\t{:.4}\t{:.4}",
            index.len(),
            key.len(),
            percentile(&key, 0.5),
            percentile(&key, 0.99),
            percentile(&rev, 0.5),
            percentile(&rev, 0.99),
        );
    }
}
