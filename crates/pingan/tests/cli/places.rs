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
