//! `pingan analyze …` as acceptance checks call it: CSVs in the contract's
//! layouts (written from ../shared/data/crime), JSON out.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn crime(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/crime")
        .join(rel)
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("analyze");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pingan"))
        .args(args)
        .output()
        .unwrap()
}

fn json(o: &Output) -> Value {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Steenbeek's headerless x,y,date file with the contract's header.
fn month1_csv() -> String {
    let text = std::fs::read_to_string(crime("chicago_nearrepeat_steenbeek/chicago_be_month1.csv"))
        .unwrap();
    let out = scratch("month1.csv");
    std::fs::write(&out, format!("x,y,date\n{text}")).unwrap();
    out.to_str().unwrap().to_string()
}

#[test]
fn knox_contract_and_the_calculators_counts() {
    let input = month1_csv();
    let o = run(&[
        "analyze",
        "knox",
        "--input",
        &input,
        "--space-band",
        "100",
        "--space-bands",
        "3",
        "--time-band",
        "7",
        "--time-bands",
        "3",
        "--permutations",
        "19",
        "--seed",
        "1",
    ]);
    let v = json(&o);
    // The Near Repeat Calculator's "Observed frequencies distribution" for this file.
    let want = serde_json::json!([
        [28, 5, 5, 2],
        [44, 13, 8, 4],
        [97, 56, 19, 16],
        [77, 67, 45, 20],
        [182194, 146149, 95237, 45879]
    ]);
    assert_eq!(v["observed"], want);
    for key in ["expected", "knox_ratio", "p_value"] {
        let rows = v[key].as_array().unwrap();
        assert_eq!(rows.len(), 5, "{key}");
        assert!(
            rows.iter().all(|r| r.as_array().unwrap().len() == 4),
            "{key}"
        );
    }
    // p from 19 permutations: multiples of 1/20.
    let p = v["p_value"][0][0].as_f64().unwrap();
    assert!((p * 20.0 - (p * 20.0).round()).abs() < 1e-9 && p <= 1.0);
    // Same seed, same answer; another seed, other expectations.
    let again = json(&run(&[
        "analyze",
        "knox",
        "--input",
        &input,
        "--space-band",
        "100",
        "--space-bands",
        "3",
        "--time-band",
        "7",
        "--time-bands",
        "3",
        "--permutations",
        "19",
        "--seed",
        "1",
    ]));
    assert_eq!(again["expected"], v["expected"]);
}

#[test]
fn gistar_contract() {
    let csv = scratch("gi.csv");
    let mut text = String::from("x,y,date\n");
    let (mut minx, mut maxx, mut miny, mut maxy) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for i in 0..400 {
        let (x, y) = if i % 4 == 0 {
            (1050.0 + (i % 7) as f64, 2050.0 + (i % 5) as f64)
        } else {
            (
                (i * 37 % 1000) as f64 + 730.0,
                (i * 91 % 800) as f64 + 1910.0,
            )
        };
        text.push_str(&format!("{x},{y},2026-10-01\n"));
        (minx, maxx, miny, maxy) = (minx.min(x), maxx.max(x), miny.min(y), maxy.max(y));
    }
    let cols = (maxx / 100.0).floor() - (minx / 100.0).floor() + 1.0;
    let rows = (maxy / 100.0).floor() - (miny / 100.0).floor() + 1.0;
    std::fs::write(&csv, text).unwrap();
    let v = json(&run(&[
        "analyze",
        "gistar",
        "--input",
        csv.to_str().unwrap(),
        "--cell",
        "100",
    ]));
    assert_eq!(v["type"], "FeatureCollection");
    let f = v["features"].as_array().unwrap();
    // The bounding box on a 100 m lattice aligned at multiples of 100.
    assert_eq!(
        f.len(),
        (cols * rows) as usize,
        "one feature per cell of the bounding box"
    );
    let min_centre = f
        .iter()
        .map(|x| x["properties"]["x"].as_f64().unwrap())
        .fold(f64::MAX, f64::min);
    assert_eq!(min_centre, (minx / 100.0).floor() * 100.0 + 50.0);
    let total: u64 = f
        .iter()
        .map(|x| x["properties"]["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 400);
    let hot = f
        .iter()
        .max_by(|a, b| {
            a["properties"]["z"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["properties"]["z"].as_f64().unwrap())
        })
        .unwrap();
    // Gi* blocks are 3x3: the hottest cell is the cluster's or a neighbour.
    let (hx, hy) = (
        hot["properties"]["x"].as_f64().unwrap(),
        hot["properties"]["y"].as_f64().unwrap(),
    );
    assert!(
        (hx - 1050.0).abs() <= 100.0 && (hy - 2050.0).abs() <= 100.0,
        "{hot}"
    );
    let cluster = f
        .iter()
        .find(|x| x["properties"]["x"] == 1050.0 && x["properties"]["y"] == 2050.0)
        .unwrap();
    assert!(cluster["properties"]["count"].as_u64().unwrap() >= 100);
    assert!(cluster["properties"]["z"].as_f64().unwrap() > 3.0);
    assert!(cluster["properties"]["p"].as_f64().unwrap() < 0.001);
}

fn linkage_csvs() -> (String, String) {
    // crimelinkage's files in the contract's layout.
    let mut r = csv::Reader::from_path(crime("crimelinkage/crimes.csv")).unwrap();
    let crimes = scratch("cl_crimes.csv");
    let mut w = csv::Writer::from_path(&crimes).unwrap();
    w.write_record([
        "crime_id",
        "x",
        "y",
        "time_from",
        "time_to",
        "MO1",
        "MO2",
        "MO3",
    ])
    .unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        w.write_record([
            &rec[0], &rec[1], &rec[2], &rec[6], &rec[7], &rec[3], &rec[4], &rec[5],
        ])
        .unwrap();
    }
    w.flush().unwrap();
    let mut r = csv::Reader::from_path(crime("crimelinkage/offenders.csv")).unwrap();
    let offenders = scratch("cl_offenders.csv");
    let mut w = csv::Writer::from_path(&offenders).unwrap();
    w.write_record(["offender_id", "crime_id"]).unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        w.write_record([&rec[0], &rec[1]]).unwrap();
    }
    w.flush().unwrap();
    (
        crimes.to_str().unwrap().into(),
        offenders.to_str().unwrap().into(),
    )
}

#[test]
fn linkage_eval_contract() {
    let (crimes, offenders) = linkage_csvs();
    let v = json(&run(&[
        "analyze",
        "linkage-eval",
        "--crimes",
        &crimes,
        "--offenders",
        &offenders,
        "--seed",
        "1",
    ]));
    let auc = v["auc"].as_f64().unwrap();
    let det = v["detection_at_5pct_fpr"].as_f64().unwrap();
    assert!(auc > 0.85 && auc <= 1.0, "{v}");
    assert!(det > 0.6 && det <= 1.0, "{v}");
    assert!(v["train_pairs"].as_u64().unwrap() > 1000 && v["test_pairs"].as_u64().unwrap() > 1000);
    // Series and similar cases for one case.
    let v = json(&run(&[
        "analyze",
        "linkage",
        "--crimes",
        &crimes,
        "--offenders",
        &offenders,
        "--case",
        "C:1",
    ]));
    assert_eq!(v["case"]["id"], "C:1");
    assert_eq!(v["case"]["similar"].as_array().unwrap().len(), 10);
    assert!(v["case"]["similar"][0]["drivers"].as_array().unwrap().len() > 1);
}

#[test]
fn forecast_eval_contract() {
    let src = std::fs::read_to_string(crime(
        "chicago_burglary_code/chicago_burglary_2014_2017.csv",
    ))
    .unwrap();
    let csv = scratch("chicago.csv");
    let mut out = String::from("x,y,date\n");
    for line in src.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let d: Vec<&str> = f[2].split('/').collect();
        out.push_str(&format!("{},{},{}-{}-{}\n", f[0], f[1], d[2], d[1], d[0]));
    }
    std::fs::write(&csv, out).unwrap();
    let v = json(&run(&[
        "analyze",
        "forecast-eval",
        "--input",
        csv.to_str().unwrap(),
        "--cell",
        "250",
        "--from",
        "2016-01-04",
        "--weeks",
        "8",
    ]));
    for m in ["naive", "prospective", "etas"] {
        for a in ["1", "5", "10", "20"] {
            let s = &v["methods"][m][a];
            let (h, p) = (s["hit_rate"].as_f64().unwrap(), s["pai"].as_f64().unwrap());
            assert!((0.0..=1.0).contains(&h) && p >= 0.0, "{m} {a}: {s}");
        }
    }
    assert!(v["methods"]["prospective"]["5"]["pai"].as_f64().unwrap() > 1.5);
}

#[test]
fn bad_rows_are_named_and_nothing_is_imported() {
    let csv = scratch("bad.csv");
    std::fs::write(
        &csv,
        "x,y,date\n1,2,2026-10-01\n3,four,2026-10-02\n5,6,2026-02-30\n",
    )
    .unwrap();
    let o = run(&["analyze", "import", "--input", csv.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("2 bad row(s), nothing imported"), "{err}");
    assert!(
        err.contains("line 3, field y: \"four\" is not a number"),
        "{err}"
    );
    assert!(
        err.contains("line 4, field date") && err.contains("does not exist"),
        "{err}"
    );
    let v = json(&run(&[
        "analyze",
        "import",
        "--input",
        csv.to_str().unwrap(),
        "--skip-bad",
    ]));
    assert_eq!(v["records"], 1);
    let o = run(&[
        "analyze",
        "knox",
        "--input",
        csv.to_str().unwrap(),
        "--space-band",
        "0",
        "--space-bands",
        "3",
        "--time-band",
        "7",
        "--time-bands",
        "3",
        "--skip-bad",
    ]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("space_band"));
}

#[test]
fn trends_and_hotspots_on_lat_lon_records() {
    let input = crime("chicago_southside_opencp/example.csv");
    let input = input.to_str().unwrap();
    let v = json(&run(&[
        "analyze", "trends", "--input", input, "--period", "2016-06", "--by", "kind",
    ]));
    let rows = v["period_on_period"].as_array().unwrap();
    let battery = rows.iter().find(|r| r["key"] == "BATTERY").unwrap();
    assert!(battery["current"].as_u64().unwrap() > 0);
    let v = json(&run(&[
        "analyze",
        "hotspots",
        "--input",
        input,
        "--by",
        "h3",
        "--resolution",
        "8",
        "--format",
        "table",
    ]));
    let total: u64 = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 1000);
}
