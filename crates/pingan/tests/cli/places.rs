//! `pingan places convert`, as a user runs it.

use super::run;

fn convert(from: &str, to: &str, at: &str) -> serde_json::Value {
    let o = run(&["places", "convert", "--from", from, "--to", to, "--at", at]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn convert_goes_there_and_back() {
    // Wuzhong, Suzhou: GCJ-02 moves a WGS-84 point by a few hundred metres.
    let gcj = convert("wgs84", "gcj02", "31.2627,120.6320");
    let (lat, lon) = (gcj["lat"].as_f64().unwrap(), gcj["lon"].as_f64().unwrap());
    let moved = ::places::datum::meters((31.2627, 120.6320), (lat, lon));
    assert!((300.0..500.0).contains(&moved), "{moved} m");
    let back = convert("gcj02", "wgs84", &format!("{lat},{lon}"));
    let home = (back["lat"].as_f64().unwrap(), back["lon"].as_f64().unwrap());
    assert!(::places::datum::meters((31.2627, 120.6320), home) < 0.01);
    let bd = convert("WGS-84", "bd09", "31.2627,120.6320");
    assert!(
        bd["lat"].as_f64().unwrap() > lat,
        "BD-09 lies further north-east"
    );
}

#[test]
fn convert_refuses_bad_input_saying_which_part() {
    for (args, says) in [
        (["utm", "wgs84", "31,120"], "--from"),
        (["wgs84", "gcj02", "31;120"], "expected lat,lon"),
        (["wgs84", "gcj02", "95,120"], "latitude 95 is outside"),
        (
            ["wgs84", "gcj02", "31,abc"],
            "longitude \"abc\" is not a number",
        ),
    ] {
        let o = run(&[
            "places", "convert", "--from", args[0], "--to", args[1], "--at", args[2],
        ]);
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

fn monaco_places() -> String {
    let out = super::scratch().join("monaco.places");
    let o = run(&[
        "places",
        "build",
        super::extract("monaco-2016-osrm.osm.pbf").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(
        said.contains("streets") && said.contains("intersections"),
        "{said}"
    );
    out.to_str().unwrap().to_string()
}

#[test]
fn build_search_and_reverse_on_monaco() {
    let file = monaco_places();
    let search = ["places", "search", "--places", &file];
    let o = run(&[&search[..], &["--q", "boulevard albert", "--limit", "3"]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let first = &v["results"][0];
    assert_eq!(first["label"], "Boulevard Albert 1er", "{v}");
    assert_eq!(first["kind"], "street");
    let (lat, lon) = (
        first["lat"].as_f64().unwrap(),
        first["lon"].as_f64().unwrap(),
    );

    // Half typed with a typo, and a crossing written as "A & B".
    let queries = super::write(
        "queries.txt",
        "boulevard albrt\nboulevard albert 1er & \n\n",
    );
    let o = run(&[&search[..], &["--queries", &queries]].concat());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "one answer a query, in order");
    assert_eq!(lines[0]["results"][0]["label"], "Boulevard Albert 1er");
    assert_eq!(
        lines[2]["results"],
        serde_json::json!([]),
        "an empty query finds nothing"
    );

    let o = run(&[
        "places",
        "reverse",
        "--places",
        &file,
        "--at",
        &format!("{lat},{lon}"),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let (kinds, metres): (Vec<&str>, Vec<f64>) = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["kind"].as_str().unwrap(), r["meters"].as_f64().unwrap()))
        .unzip();
    assert!(
        kinds.contains(&"street") && kinds.contains(&"intersection"),
        "{v}"
    );
    assert!(
        metres.windows(2).all(|w| w[0] <= w[1]),
        "nearest first: {v}"
    );
    assert!(metres[0] < 1.0, "the street itself is at the point: {v}");
}

#[test]
fn build_takes_the_polices_files_all_or_nothing() {
    let pbf = super::extract("monaco-2016-osrm.osm.pbf");
    let out = super::scratch().join("monaco-files.places");
    let addresses = super::write(
        "places-standard.csv",
        "full_address,lat,lon,code\n平安市摩纳哥区海港社区 Quai Antoine 1er 6号,43.7329,7.4258,MC-6\n",
    );
    let aliases = super::write(
        "places-aliases.csv",
        "alias,target_label\nLe Rocher,Place du Palais\n",
    );
    let markers = super::write(
        "places-markers.csv",
        "code,lat,lon\n0312-0457,43.7396,7.4278\n",
    );
    let build = |addresses: &str| {
        run(&[
            "places",
            "build",
            pbf.to_str().unwrap(),
            "--addresses",
            addresses,
            "--aliases",
            &aliases,
            "--markers",
            &markers,
            "-o",
            out.to_str().unwrap(),
        ])
    };
    let o = build(&addresses);
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{said}");
    assert!(said.contains("1 standard addresses, 1 markers"), "{said}");
    let file = out.to_str().unwrap();
    for (q, kind, label) in [
        (
            "海港社区 6号",
            "standard_address",
            "平安市摩纳哥区海港社区 Quai Antoine 1er 6号",
        ),
        ("0312 0457", "marker", "0312-0457"),
        ("le rocher", "street", "Place du Palais"),
    ] {
        let o = run(&[
            "places", "search", "--places", file, "--q", q, "--limit", "1",
        ]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let top = &v["results"][0];
        assert_eq!(top["label"], label, "{q}: {v}");
        assert_eq!(top["kind"], kind, "{q}: {v}");
    }

    // A bad line names its file, line and field, and nothing is written.
    std::fs::remove_file(&out).unwrap();
    let bad = super::write(
        "places-bad.csv",
        "full_address,lat,lon\n平安市甲路1号,43.73,7.42\n平安市甲路3号,91,7.42\n",
    );
    let o = build(&bad);
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        said.contains("places-bad.csv") && said.contains("line 3: lat"),
        "{said}"
    );
    assert!(!out.exists(), "nothing written");
}
