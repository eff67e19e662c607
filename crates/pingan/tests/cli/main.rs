//! The `pingan roads` commands, run as a user runs them, on a real extract;
//! `pingan analyze` ([`analyze`]) and `pingan places` ([`places`]). One test binary for the commands
//! that read no clock.

mod analyze;
mod community;
mod places;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pingan")
}

fn extract(name: &str) -> PathBuf {
    test_support::extract(name)
}

fn scratch() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Monaco, built once by `pingan roads build`.
fn graph() -> &'static Path {
    static G: OnceLock<PathBuf> = OnceLock::new();
    G.get_or_init(|| {
        let out = scratch().join("monaco.roads");
        let o = run(&[
            "roads",
            "build",
            extract("monaco-2016-osrm.osm.pbf").to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(
            o.status.success(),
            "build failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(report["nodes"].as_u64().unwrap() > 1000, "{report}");
        out
    })
}

fn run(args: &[&str]) -> Output {
    Command::new(bin()).args(args).output().unwrap()
}

fn write(name: &str, text: &str) -> String {
    let p = scratch().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

const CASINO: &str = "43.7396,7.4278";
const STADIUM: &str = "43.7276,7.4155";

#[test]
fn route_prints_seconds_and_meters() {
    let g = graph().to_str().unwrap();
    let o = run(&[
        "roads", "route", "--graph", g, "--from", CASINO, "--to", STADIUM,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let (s, m) = (
        v["seconds"].as_f64().unwrap(),
        v["meters"].as_f64().unwrap(),
    );
    // ~1.7 km apart as the crow flies; by road in Monaco a few minutes.
    assert!(m > 1700.0 && m < 6000.0, "{v}");
    assert!(s > 60.0 && s < 900.0, "{v}");
}

#[test]
fn table_keeps_order_and_flags_bad_rows() {
    let g = graph().to_str().unwrap();
    let pairs = write(
        "pairs.csv",
        &format!(
            "from_lat,from_lon,to_lat,to_lon\n{CASINO},{STADIUM}\n10.0,10.0,{STADIUM}\n{STADIUM},{CASINO}\n"
        ),
    );
    let o = run(&["roads", "table", "--graph", g, "--pairs", &pairs]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "from_lat,from_lon,to_lat,to_lon,seconds,meters");
    assert_eq!(lines.len(), 4);
    assert!(lines[1].starts_with(&format!("{CASINO},{STADIUM},")) && !lines[1].ends_with(",,"));
    assert_eq!(lines[2], format!("10.0,10.0,{STADIUM},,"));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("line 3"),
        "warning must name the line"
    );
    // The same pair routed alone gives the same seconds.
    let single = run(&[
        "roads", "route", "--graph", g, "--from", CASINO, "--to", STADIUM,
    ]);
    let v: serde_json::Value = serde_json::from_slice(&single.stdout).unwrap();
    let secs: f64 = lines[1].split(',').nth(4).unwrap().parse().unwrap();
    assert!((secs - v["seconds"].as_f64().unwrap()).abs() < 1e-6);

    let bad = write(
        "bad.csv",
        &format!("from_lat,from_lon,to_lat,to_lon\n{CASINO},{STADIUM}\n43.7,abc,{STADIUM}\n"),
    );
    let o = run(&["roads", "table", "--graph", g, "--pairs", &bad]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line 3") && err.contains("from_lon"), "{err}");

    let header = write("header.csv", "a,b,c,d\n1,2,3,4\n");
    let err =
        String::from_utf8_lossy(&run(&["roads", "table", "--graph", g, "--pairs", &header]).stderr)
            .to_string();
    assert!(
        err.contains("expected header `from_lat,from_lon,to_lat,to_lon`"),
        "{err}"
    );
}

#[test]
fn matrix_matches_table() {
    let g = graph().to_str().unwrap();
    let pts = [
        "43.7396,7.4278",
        "43.7276,7.4155",
        "43.7311,7.4197",
        "43.7450,7.4300",
    ];
    let sources = write("s.csv", &format!("lat,lon\n{}\n{}\n", pts[0], pts[1]));
    let targets = write(
        "t.csv",
        &format!("lat,lon\n{}\n{}\n{}\n", pts[1], pts[2], pts[3]),
    );
    let o = run(&[
        "roads",
        "matrix",
        "--graph",
        g,
        "--sources",
        &sources,
        "--targets",
        &targets,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows[0], vec!["source", "t0", "t1", "t2"]);
    assert_eq!(rows[1][0], "s0");
    assert_eq!(rows.len(), 3);
    for (i, s) in [pts[0], pts[1]].iter().enumerate() {
        for (j, t) in [pts[1], pts[2], pts[3]].iter().enumerate() {
            let r = run(&["roads", "route", "--graph", g, "--from", s, "--to", t]);
            let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
            let cell: f64 = rows[i + 1][j + 1].parse().unwrap();
            assert!(
                (cell - v["seconds"].as_f64().unwrap()).abs() < 1e-6,
                "s{i} t{j}"
            );
        }
    }
}

#[test]
fn isochrone_gives_one_feature_per_limit() {
    let g = graph().to_str().unwrap();
    let o = run(&[
        "roads",
        "isochrone",
        "--graph",
        g,
        "--at",
        CASINO,
        "--minutes",
        "1,3,5",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["type"], "FeatureCollection");
    let f = v["features"].as_array().unwrap();
    assert_eq!(f.len(), 3);
    for (feat, m) in f.iter().zip([1.0, 3.0, 5.0]) {
        assert_eq!(feat["properties"]["minutes"].as_f64().unwrap(), m);
        assert!(matches!(
            feat["geometry"]["type"].as_str().unwrap(),
            "Polygon" | "MultiPolygon"
        ));
    }
}

#[test]
fn clear_errors_for_bad_input() {
    let g = graph().to_str().unwrap();
    let far = run(&[
        "roads", "route", "--graph", g, "--from", "0,0", "--to", STADIUM,
    ]);
    assert!(!far.status.success());
    assert!(
        String::from_utf8_lossy(&far.stderr).contains("nearest road is"),
        "{}",
        String::from_utf8_lossy(&far.stderr)
    );
    let bad = run(&[
        "roads", "route", "--graph", g, "--from", "91,0", "--to", STADIUM,
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("out of range"));
    let junk = write("junk.roads", "not a graph");
    let o = run(&[
        "roads", "route", "--graph", &junk, "--from", CASINO, "--to", STADIUM,
    ]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a pingan road graph"));
    let missing = run(&[
        "roads",
        "build",
        "/nonexistent.osm.pbf",
        "-o",
        "/tmp/x.roads",
    ]);
    assert!(
        !missing.status.success()
            && String::from_utf8_lossy(&missing.stderr).contains("/nonexistent.osm.pbf")
    );
}

/// Writes `n` road points of the graph as CSV (`weights`: with a weight column).
fn points_csv(name: &str, n: usize, step: usize, weights: bool) -> String {
    let out = run(&[
        "coverage",
        "sample",
        "--graph",
        graph().to_str().unwrap(),
        "--n",
        &n.to_string(),
        "--seed",
        &step.to_string(),
    ]
    .into_iter()
    .chain(if weights { None } else { Some("--no-weight") })
    .collect::<Vec<_>>());
    assert!(out.status.success());
    write(name, &String::from_utf8(out.stdout).unwrap())
}

#[test]
fn coverage_optimise_and_evaluate_follow_the_contract() {
    let demand = points_csv("cov-demand.csv", 400, 1, true);
    let cands = points_csv("cov-cands.csv", 60, 2, false);
    let g = graph().to_str().unwrap();
    let args = [
        "coverage",
        "optimise",
        "--graph",
        g,
        "--demand",
        &demand,
        "--candidates",
        &cands,
        "--k",
        "4",
        "--minutes",
        "1,3,5",
    ];
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let chosen: Vec<u64> = h["chosen"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(chosen.len(), 4);
    assert!(chosen.iter().all(|j| *j < 60));
    let total: f64 = std::fs::read_to_string(&demand)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(h["total_weight"].as_f64(), Some(total));
    let c = &h["covered"];
    let (c1, c3, c5) = (
        c["1"].as_f64().unwrap(),
        c["3"].as_f64().unwrap(),
        c["5"].as_f64().unwrap(),
    );
    assert!(c1 <= c3 && c3 <= c5 && c5 <= total);
    assert!(h["upper_bound"].as_f64().unwrap() >= h["score"].as_f64().unwrap());
    // Exact: never worse, and proven.
    let out = run(&args.iter().copied().chain(["--exact"]).collect::<Vec<_>>());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let x: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(x["score"].as_f64().unwrap() >= h["score"].as_f64().unwrap());
    assert_eq!(x["optimal"], serde_json::json!(true));
    // Evaluating the chosen sites gives the same covered object.
    let rows: Vec<String> = std::fs::read_to_string(&cands)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let sites = write(
        "cov-sites.csv",
        &(std::iter::once("lat,lon".to_string())
            .chain(chosen.iter().map(|j| rows[*j as usize + 1].clone()))
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"),
    );
    let out = run(&[
        "coverage",
        "evaluate",
        "--graph",
        g,
        "--demand",
        &demand,
        "--sites",
        &sites,
        "--minutes",
        "1,3,5",
    ]);
    assert!(out.status.success());
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e["covered"], h["covered"]);
    // Side by side with another plan; GeoJSON demand reads the same as CSV.
    let other = write("cov-other.csv", &format!("lat,lon\n{}\n", rows[1]));
    let out = run(&[
        "coverage",
        "evaluate",
        "--graph",
        g,
        "--demand",
        &demand,
        "--sites",
        &sites,
        "--compare",
        &other,
    ]);
    let cmp: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cmp["covered"], h["covered"]);
    let change = cmp["compare"]["covered_change"]["5"].as_f64().unwrap();
    assert_eq!(
        change,
        cmp["compare"]["covered"]["5"].as_f64().unwrap() - c5
    );
    let features: Vec<serde_json::Value> = std::fs::read_to_string(&demand).unwrap().lines().skip(1).map(|l| {
        let f: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
        serde_json::json!({"type": "Feature", "properties": {"weight": f[2]}, "geometry": {"type": "Point", "coordinates": [f[1], f[0]]}})
    }).collect();
    let gj = write(
        "cov-demand.geojson",
        &serde_json::json!({"type": "FeatureCollection", "features": features}).to_string(),
    );
    let out = run(&[
        "coverage", "evaluate", "--graph", g, "--demand", &gj, "--sites", &sites,
    ]);
    let e2: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e2["covered"], h["covered"]);
    // Lexicographic: the first tier cannot be beaten by any plan of the same size.
    let out = run(&args
        .iter()
        .copied()
        .chain(["--lexicographic", "--exact"])
        .collect::<Vec<_>>());
    let lex: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(lex["covered"]["1"].as_f64().unwrap() >= x["covered"]["1"].as_f64().unwrap());
    // Bad input names the line and the field.
    let bad = write(
        "cov-bad.csv",
        "lat,lon,weight\n43.7396,7.4278,2\n43.7396,7.4278,lots\n",
    );
    let out = run(&[
        "coverage", "evaluate", "--graph", g, "--demand", &bad, "--sites", &sites,
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("line 3") && err.contains("weight"),
        "{err}"
    );
    let out = run(&[
        "coverage",
        "optimise",
        "--graph",
        g,
        "--demand",
        &demand,
        "--candidates",
        &cands,
        "--k",
        "99",
    ]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("k:"));
}
