//! The API end to end, in process: a demo city on the Monaco extract, a
//! SQLite store in a temporary folder, a real HTTP server on a free port.

use dispatch::time::DAY_MS;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use test_support::api::{PASSWORD, spawn, spawn_at};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_through_the_contract() {
    let s = spawn().await;
    let t = s.login("dispatcher").await;
    let st = &s.stations()[0];
    let (lat, lon) = s.point_in(st);
    let (code, inc) = s.post(&t, "/incidents", json!({"kind": "theft", "lat": lat, "lon": lon, "address": "1 Avenue", "caller_name": "李雷", "caller_phone": "13800000000"})).await;
    assert_eq!(code, StatusCode::CREATED, "{inc}");
    let id = inc["id"].as_i64().unwrap();
    assert_eq!(
        (
            inc["status"].as_str(),
            inc["station_id"].as_str(),
            inc["priority"].as_i64()
        ),
        (Some("received"), Some(st.as_str()), Some(3))
    );
    assert_eq!(s.stored_incidents().await, 1, "durable before the answer");

    let (code, rec) = s.get(&t, &format!("/incidents/{id}/recommendation")).await;
    assert_eq!(code, StatusCode::OK);
    let units = rec["units"].as_array().unwrap();
    assert!(!units.is_empty());
    let secs: Vec<f64> = units
        .iter()
        .map(|u| u["seconds"].as_f64().unwrap())
        .collect();
    assert!(secs.windows(2).all(|w| w[0] <= w[1]), "sorted by seconds");
    for u in units {
        let tier = u["tier"].as_str().unwrap();
        let sec = u["seconds"].as_f64().unwrap();
        let expect = if sec <= 60.0 {
            "1"
        } else if sec <= 180.0 {
            "3"
        } else if sec <= 300.0 {
            "5"
        } else {
            "beyond"
        };
        assert_eq!(tier, expect);
    }
    assert_eq!(rec["two_way"]["station_id"].as_str(), Some(st.as_str()));
    let send: Vec<String> = rec["two_way"]["unit_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect();
    assert!(!send.is_empty());

    let body = json!({"unit_ids": send, "idempotency_key": "abc-1"});
    let (code, first) = s
        .post(&t, &format!("/incidents/{id}/dispatch"), body.clone())
        .await;
    assert_eq!(code, StatusCode::OK, "{first}");
    // Each unit's recorded drive time is its own, as ranked (not another unit's).
    for a in first["incident"]["units"].as_array().unwrap() {
        let ranked = units.iter().find(|u| u["unit_id"] == a["unit_id"]).unwrap()["seconds"]
            .as_f64()
            .unwrap();
        let eta = a["eta_s"].as_f64().unwrap();
        assert!(
            (eta - ranked).abs() <= 1.0,
            "{}: eta {eta} s, ranked {ranked} s",
            a["unit_id"]
        );
    }
    let (code, again) = s.post(&t, &format!("/incidents/{id}/dispatch"), body).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(again["replayed"], json!(true));
    assert_eq!(
        again["incident"]["units"].as_array().unwrap().len(),
        send.len(),
        "a retried request never dispatches twice"
    );

    let (_, units) = s.get(&t, "/units").await;
    let sent = units
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == json!(send[0]))
        .unwrap();
    assert_eq!(sent["status"], json!("dispatched"));
    let (code, moved) = s
        .post(
            &t,
            &format!("/units/{}/position", send[0]),
            json!({"lat": lat, "lon": lon}),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(moved["lat"].as_f64(), Some(lat));

    for status in ["en_route", "on_scene", "controlled", "closed"] {
        let (code, v) = s
            .post(
                &t,
                &format!("/incidents/{id}/status"),
                json!({"status": status}),
            )
            .await;
        assert_eq!(code, StatusCode::OK, "{status}: {v}");
        assert_eq!(v["status"], json!(status));
    }
    let (_, inc) = s.get(&t, &format!("/incidents/{id}")).await;
    let tl = inc["timeline"].as_array().unwrap();
    assert!(tl.iter().all(|e| e["at"].is_string()
        && e["actor"] == json!("dispatcher")
        && (e["status"].is_string() || e["event"].is_string())));
    let statuses: Vec<&str> = tl.iter().filter_map(|e| e["status"].as_str()).collect();
    assert_eq!(
        statuses,
        ["dispatched", "en_route", "on_scene", "controlled", "closed"]
    );
    assert_eq!(tl[0]["event"], json!("incident_created"));
    let (_, units) = s.get(&t, "/units?status=returning").await;
    assert!(
        units
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == json!(send[0])),
        "closing sends the units back"
    );

    let (code, fig) = s.get(&t, "/figures?period=day").await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(fig["total"]["incidents"], json!(1));
    assert_eq!(fig["total"]["reached"], json!(1));
    assert_eq!(fig["total"]["within"]["5"], json!(1.0));
    assert_eq!(fig["by_station"][0]["key"].as_str(), Some(st.as_str()));

    // The answers' shapes, as reviewed (times, timers and sequence numbers
    // redacted: they change from run to run).
    insta::assert_json_snapshot!("incident_closed", redacted(inc));
    insta::assert_json_snapshot!("recommendation", redacted(rec));
    let (_, unit) = s.get(&t, &format!("/units/{}", send[0])).await;
    insta::assert_json_snapshot!("unit", redacted(unit));
    let (code, refused) = s
        .post(
            &t,
            "/incidents",
            json!({"kind": "theft", "lat": "north", "lon": lon}),
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    insta::assert_json_snapshot!("error_envelope", refused);
}

/// `v` with what differs between runs replaced: instants, running timers,
/// measured durations and event sequence numbers.
fn redacted(mut v: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if ["seq", "elapsed_s", "computed_us", "response_s"].contains(&k.as_str())
                        && !x.is_null()
                    {
                        *x = json!("[redacted]");
                    } else {
                        walk(x);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            Value::String(t) if dispatch::time::parse_rfc3339(t).is_some() => {
                *v = json!("[time]");
            }
            _ => {}
        }
    }
    walk(&mut v);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_the_field_and_nothing_is_written() {
    let s = spawn().await;
    let t = s.login("dispatcher").await;
    let (lat, lon) = s.point_in(&s.stations()[0]);
    let (_, inc) = s
        .post(
            &t,
            "/incidents",
            json!({"kind": "dispute", "lat": lat, "lon": lon}),
        )
        .await;
    let id = inc["id"].as_i64().unwrap();
    let before = s.stored_incidents().await;
    let events_before = s
        .app
        .store()
        .events_after(0, 1_000_000)
        .await
        .unwrap()
        .len();

    // Query-string and path errors come in the envelope, naming the parameter.
    for (path, field) in [
        ("/incidents?limit=many", "limit"),
        ("/incidents?limit=-3", "limit"),
        ("/jurisdictions/at?lat=north&lon=1", "lat"),
        ("/jurisdictions/at?lon=1", "lat"),
        ("/analysis/hotspots?cell=wide", "cell"),
    ] {
        let r = s
            .client
            .get(format!("{}/api/v1{path}", s.base))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        let kind = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(kind.starts_with("application/json"), "{path}: {kind}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["code"], json!("invalid_field"), "{path}: {e}");
        assert_eq!(e["field"], json!(field), "{path}: {e}");
    }
    let r = s
        .client
        .get(format!("{}/tiles/roads/300/1/1.mvt", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.unwrap();
    assert_eq!(
        (&e["code"], &e["field"]),
        (&json!("invalid_field"), &json!("z")),
        "{e}"
    );
    // The map's glyphs: one range of 256 code points, or a clear refusal.
    for bad in [
        "0-254.pbf",
        "7-262.pbf",
        "65536-65791.pbf",
        "x-y.pbf",
        "0255.pbf",
    ] {
        let r = s
            .client
            .get(format!("{}/glyphs/pingan%20Sans/{bad}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["field"], json!("range"), "{bad}: {e}");
    }
    let r = s
        .client
        .get(format!("{}/glyphs/pingan%20Sans/26112-26367.pbf", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/x-protobuf");
    let bytes = r.bytes().await.unwrap();
    let name = tiles::FONT_NAME.as_bytes();
    assert!(
        bytes.len() > 10_000 && bytes.windows(name.len()).any(|w| w == name),
        "a CJK range (U+6600, 昀…) is drawn by the embedded font: {} bytes",
        bytes.len()
    );

    // Malformed JSON.
    let r = s
        .client
        .post(format!("{}/api/v1/incidents", s.base))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body("{\"kind\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        json!("malformed_json")
    );
    // Missing and mistyped fields.
    let (code, e) = s
        .post(&t, "/incidents", json!({"kind": "theft", "lon": lon}))
        .await;
    assert_eq!(
        (code, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("lat")),
        "{e}"
    );
    let (code, e) = s
        .post(
            &t,
            "/incidents",
            json!({"kind": "theft", "lat": "north", "lon": lon}),
        )
        .await;
    assert_eq!(
        (code, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("lat")),
        "{e}"
    );
    // Unknown kind.
    let (code, e) = s
        .post(
            &t,
            "/incidents",
            json!({"kind": "ufo", "lat": lat, "lon": lon}),
        )
        .await;
    assert_eq!(
        (code, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("kind"))
    );
    assert!(
        e["message"].as_str().unwrap().contains("theft"),
        "lists the kinds: {e}"
    );
    // Outside every jurisdiction.
    let (code, e) = s
        .post(
            &t,
            "/incidents",
            json!({"kind": "theft", "lat": 48.85, "lon": 2.35}),
        )
        .await;
    assert_eq!(
        (code, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("lat"))
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("outside every police station"),
        "{e}"
    );
    // Inside the city, off the road network: the city's padded corner.
    let city = &s.city.jurisdictions[0].polygon[0][0];
    let corner = city[0];
    let (code, e) = s
        .post(
            &t,
            "/incidents",
            json!({"kind": "theft", "lat": corner[1] + 0.0002, "lon": corner[0] + 0.0002}),
        )
        .await;
    if code == StatusCode::UNPROCESSABLE_ENTITY
        && e["message"]
            .as_str()
            .unwrap()
            .contains("outside every police station")
    {
        // The corner fell outside every station polygon: also a refusal naming lat.
        assert_eq!(e["field"], json!("lat"));
    } else {
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains("off the road network"),
            "{e}"
        );
    }
    // Illegal transition.
    let (code, e) = s
        .post(
            &t,
            &format!("/incidents/{id}/status"),
            json!({"status": "closed"}),
        )
        .await;
    assert_eq!(
        (code, e["code"].as_str(), e["field"].as_str()),
        (
            StatusCode::CONFLICT,
            Some("illegal_transition"),
            Some("status")
        )
    );
    let (code, e) = s
        .post(
            &t,
            &format!("/incidents/{id}/status"),
            json!({"status": "done"}),
        )
        .await;
    assert_eq!(
        (code, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("status"))
    );
    // Unknown units.
    let (code, e) = s
        .post(
            &t,
            &format!("/incidents/{id}/dispatch"),
            json!({"unit_ids": ["NOPE-1"], "idempotency_key": "k"}),
        )
        .await;
    assert_eq!(
        (code, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unit_ids[0]"))
    );
    let (code, _) = s
        .post(
            &t,
            "/units/NOPE-1/position",
            json!({"lat": lat, "lon": lon}),
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, e) = s
        .post(&t, "/incidents/999999/status", json!({"status": "closed"}))
        .await;
    assert_eq!(
        (code, e["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    // Oversized body: over the 64 KiB limit, but small enough that the
    // client has written it all before the server refuses it (a larger one
    // races the refusal and the client sees the connection reset instead).
    let big = "x".repeat(80 * 1024);
    let (code, e) = s
        .post(
            &t,
            "/incidents",
            json!({"kind": "theft", "lat": lat, "lon": lon, "address": big}),
        )
        .await;
    assert_eq!(
        (code, e["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
    // Unknown endpoint, wrong content type.
    let (code, e) = s.get(&t, "/nothing/here").await;
    assert_eq!(
        (code, e["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("no_such_endpoint"))
    );
    let r = s
        .client
        .post(format!("{}/api/v1/incidents", s.base))
        .bearer_auth(&t)
        .body("kind=theft")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    assert_eq!(s.stored_incidents().await, before, "nothing was written");
    assert_eq!(
        s.app
            .store()
            .events_after(0, 1_000_000)
            .await
            .unwrap()
            .len(),
        events_before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_and_jurisdiction_scope() {
    let s = spawn().await;
    let stations = s.stations();
    let (mine, other) = (&stations[0], &stations[1]);
    let disp = s.login("dispatcher").await;
    let (a, b) = (s.point_in(mine), s.point_in(other));
    let (_, in_scope) = s
        .post(
            &disp,
            "/incidents",
            json!({"kind": "noise", "lat": a.0, "lon": a.1}),
        )
        .await;
    let (_, out_scope) = s
        .post(
            &disp,
            "/incidents",
            json!({"kind": "noise", "lat": b.0, "lon": b.1}),
        )
        .await;

    let r = s
        .client
        .get(format!("{}/api/v1/incidents", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (code, _) = s.get("not-a-token", "/incidents").await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    let bad = s
        .client
        .post(format!("{}/api/v1/auth/login", s.base))
        .json(&json!({"username": "dispatcher", "password": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);

    let officer = s.login("officer").await;
    let (_, list) = s.get(&officer, "/incidents").await;
    let ids: Vec<i64> = list["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        [in_scope["id"].as_i64().unwrap()],
        "a station officer sees only the station's area"
    );
    let (code, _) = s
        .get(&officer, &format!("/incidents/{}", out_scope["id"]))
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, _) = s
        .post(
            &officer,
            "/incidents",
            json!({"kind": "noise", "lat": b.0, "lon": b.1}),
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (_, units) = s.get(&officer, "/units").await;
    assert!(
        units
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["home_station"] == json!(mine))
    );

    let ct = s.login("calltaker").await;
    let (code, _) = s
        .post(
            &ct,
            &format!("/incidents/{}/dispatch", in_scope["id"]),
            json!({"unit_ids": ["x"], "idempotency_key": "k"}),
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let analyst = s.login("analyst").await;
    let (code, _) = s
        .post(
            &analyst,
            "/incidents",
            json!({"kind": "noise", "lat": a.0, "lon": a.1}),
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, _) = s.get(&analyst, "/figures").await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = s.get(&disp, "/users").await;
    assert_eq!(code, StatusCode::FORBIDDEN);

    // Sessions are revocable: logout, and an admin revoking a user.
    let (code, _) = s.post(&ct, "/auth/logout", json!({})).await;
    assert_eq!(code, StatusCode::NO_CONTENT);
    assert_eq!(s.get(&ct, "/incidents").await.0, StatusCode::UNAUTHORIZED);
    let admin = s.login("admin").await;
    let (code, v) = s.post(&admin, "/users/officer/revoke", json!({})).await;
    assert_eq!(
        (code, v["revoked_sessions"].as_u64()),
        (StatusCode::OK, Some(1))
    );
    assert_eq!(
        s.get(&officer, "/incidents").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (code, e) = s
        .post(
            &admin,
            "/users",
            json!({"username": "x", "password": "short", "role": "dispatcher"}),
        )
        .await;
    assert_eq!(
        (code, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("password"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_merge_eido_and_reinforcement() {
    let s = spawn().await;
    let t = s.login("dispatcher").await;
    let (lat, lon) = s.point_in(&s.stations()[0]);
    let (_, a) = s
        .post(
            &t,
            "/incidents",
            json!({"kind": "robbery", "lat": lat, "lon": lon, "caller_name": "甲"}),
        )
        .await;
    let (code, check) = s
        .post(
            &t,
            "/incidents/check",
            json!({"kind": "theft", "lat": lat + 0.0003, "lon": lon}),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(
        check["possible_duplicates"][0]["incident_id"], a["id"],
        "warned before saving"
    );
    let (_, b) = s
        .post(
            &t,
            "/incidents",
            json!({"kind": "theft", "lat": lat + 0.0003, "lon": lon, "caller_name": "乙"}),
        )
        .await;
    assert_eq!(b["possible_duplicates"][0]["incident_id"], a["id"]);
    let (code, merged) = s
        .post(
            &t,
            &format!("/incidents/{}/merge", b["id"]),
            json!({"into": a["id"]}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{merged}");
    assert_eq!(merged["callers"].as_array().unwrap().len(), 2);
    let (_, full) = s.get(&t, &format!("/incidents/{}", a["id"])).await;
    let tl = full["timeline"].as_array().unwrap();
    assert!(
        tl.iter().any(|e| e["incident_id"] == b["id"]),
        "the merged incident's timeline is kept"
    );
    let (code, _) = s
        .post(
            &t,
            &format!("/incidents/{}/merge", b["id"]),
            json!({"into": a["id"]}),
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT);

    // EIDO out and back in.
    let r = s
        .client
        .get(format!("{}/api/v1/incidents/{}/eido", s.base, a["id"]))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let doc: Value = r.json().await.unwrap();
    assert!(
        doc["incidentComponent"][0]["incidentTrackingIdentifier"]
            .as_str()
            .unwrap()
            .starts_with("urn:emergency:uid:incidentid:")
    );
    let (code, imported) = s.post(&t, "/eido", doc).await;
    assert_eq!(code, StatusCode::CREATED, "{imported}");
    for k in [
        "kind",
        "priority",
        "status",
        "lat",
        "lon",
        "station_id",
        "callers",
        "created_at",
    ] {
        assert_eq!(imported[k], merged[k], "{k}");
    }
    let (code, e) = s
        .post(
            &t,
            "/eido",
            json!({"incidentComponent": [{"incidentTypeInternalCode": "theft"}]}),
        )
        .await;
    assert_eq!(
        (code, e["field"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("locationComponent[0].locationByValue")
        )
    );

    // Reinforcement from a unit on scene excludes the units already there.
    let (_, rec) = s
        .get(&t, &format!("/incidents/{}/recommendation", a["id"]))
        .await;
    let unit = rec["units"][0]["unit_id"].as_str().unwrap().to_string();
    s.post(
        &t,
        &format!("/incidents/{}/dispatch", a["id"]),
        json!({"unit_ids": [unit], "idempotency_key": "r1"}),
    )
    .await;
    let (code, _) = s
        .post(&t, &format!("/units/{unit}/reinforcement"), json!({}))
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "not on scene yet");
    let (code, u) = s
        .post(
            &t,
            &format!("/units/{unit}/status"),
            json!({"status": "on_scene"}),
        )
        .await;
    assert_eq!(
        (code, u["status"].as_str()),
        (StatusCode::OK, Some("on_scene"))
    );
    let (_, inc) = s.get(&t, &format!("/incidents/{}", a["id"])).await;
    assert_eq!(
        inc["status"],
        json!("on_scene"),
        "the incident follows its first unit on scene"
    );
    let (code, more) = s
        .post(&t, &format!("/units/{unit}/reinforcement"), json!({}))
        .await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        more["units"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["unit_id"] != json!(unit))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_feed_follows_scope() {
    let s = spawn().await;
    let disp = s.login("dispatcher").await;
    let officer = s.login("officer").await;
    let ws = |token: String| {
        let url = format!(
            "{}/api/v1/feed?token={token}",
            s.base.replace("http://", "ws://")
        );
        async move { tokio_tungstenite::connect_async(url).await.unwrap().0 }
    };
    let mut all = ws(disp.clone()).await;
    let mut mine = ws(officer).await;
    for sock in [&mut all, &mut mine] {
        let hello: Value =
            serde_json::from_str(sock.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
        assert_eq!(hello["type"], json!("hello"));
    }
    let stations = s.stations();
    let other = s.point_in(&stations[1]);
    let own = s.point_in(&stations[0]);
    let (_, far) = s
        .post(
            &disp,
            "/incidents",
            json!({"kind": "fire", "lat": other.0, "lon": other.1}),
        )
        .await;
    let (_, near) = s
        .post(
            &disp,
            "/incidents",
            json!({"kind": "fire", "lat": own.0, "lon": own.1}),
        )
        .await;
    assert_eq!(next_incident(&mut all).await, far["id"]);
    assert_eq!(next_incident(&mut all).await, near["id"]);
    assert_eq!(
        next_incident(&mut mine).await,
        near["id"],
        "the officer's feed skips other stations"
    );
    // Position batches: the officer gets the own station's units only.
    let own_unit = s
        .city
        .units
        .iter()
        .find(|u| u.home_station == stations[0])
        .unwrap()
        .id
        .clone();
    let other_unit = s
        .city
        .units
        .iter()
        .find(|u| u.home_station == stations[1])
        .unwrap()
        .id
        .clone();
    s.post(
        &disp,
        &format!("/units/{own_unit}/position"),
        json!({"lat": own.0, "lon": own.1}),
    )
    .await;
    s.post(
        &disp,
        &format!("/units/{other_unit}/position"),
        json!({"lat": other.0, "lon": other.1}),
    )
    .await;
    let ids = |v: Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|u| u[0].as_str().unwrap().to_string())
            .collect()
    };
    let seen_all = ids(next_of_type(&mut all, "positions").await["units"].clone());
    assert!(
        seen_all.contains(&own_unit) && seen_all.contains(&other_unit),
        "{seen_all:?}"
    );
    assert_eq!(
        ids(next_of_type(&mut mine, "positions").await["units"].clone()),
        [own_unit]
    );
    let r = s
        .client
        .get(format!("{}/api/v1/feed", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_openapi() {
    let s = spawn().await;
    let t = s.login("dispatcher").await;
    let (lat, lon) = s.point_in(&s.stations()[0]);
    s.post(
        &t,
        "/incidents",
        json!({"kind": "theft", "lat": lat, "lon": lon}),
    )
    .await;
    let text = test_support::text(&s.client, &format!("{}/metrics", s.base), None).await;
    assert!(text.contains("pingan_incidents_created_total"), "{text}");
    assert!(text.contains("pingan_http_requests_total"));
    assert!(text.contains("pingan_units{status=\"available\"}"));
    let (_, doc) = s.get(&t, "/openapi.json").await;
    assert_eq!(doc["openapi"], json!("3.1.0"));
    // Every documented path is served (none falls through to "no such endpoint").
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let concrete = path.replace("{id}", "1").replace("{username}", "nobody");
            let url = format!("{}{concrete}", s.base);
            let r = s
                .client
                .request(method.to_uppercase().parse().unwrap(), url)
                .bearer_auth(&t)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = r.status();
            let body = r.text().await.unwrap();
            assert!(
                !body.contains("no_such_endpoint") && status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}: {status} {body}"
            );
        }
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_incident(sock: &mut Ws) -> Value {
    let fut = async {
        loop {
            let msg = sock.next().await.unwrap().unwrap();
            let v: Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
            if v["type"] == json!("incident") {
                return v["incident"]["id"].clone();
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), fut)
        .await
        .expect("a message within 5 s")
}

async fn next_of_type(sock: &mut Ws, kind: &str) -> Value {
    let fut = async {
        loop {
            let msg = sock.next().await.unwrap().unwrap();
            let v: Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
            if v["type"] == json!(kind) {
                return v;
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), fut)
        .await
        .expect("a message within 5 s")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coverage_planning_over_the_api() {
    let s = spawn().await;
    let t = s.login("analyst").await;
    let (code, e) = s
        .post(
            &t,
            "/coverage/evaluate",
            json!({"demand": "communities", "sites": "posts"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{e}");
    let total = e["total_weight"].as_f64().unwrap();
    let communities = s
        .city
        .jurisdictions
        .iter()
        .filter(|j| j.level == dispatch::Level::Community)
        .count() as f64;
    assert_eq!(total, communities, "one unit of demand per community seat");
    let c5 = e["covered"]["5"].as_f64().unwrap();
    assert!(e["covered"]["1"].as_f64().unwrap() <= c5 && c5 <= total);
    assert_eq!(e["sites"].as_array().unwrap().len(), s.city.posts.len());
    // Optimise with as many sites as posts: never worse than the posts, with a bound.
    let (code, o) = s
        .post(
            &t,
            "/coverage/optimise",
            json!({"demand": "communities", "candidates": "grid:300"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{o}");
    assert!(o["score"].as_f64().unwrap() >= o["before"]["score"].as_f64().unwrap());
    assert!(o["upper_bound"].as_f64().unwrap() >= o["score"].as_f64().unwrap());
    assert_eq!(o["sites"].as_array().unwrap().len(), s.city.posts.len());
    let (code, e) = s
        .post(&t, "/coverage/evaluate", json!({"demand": "people"}))
        .await;
    assert_eq!(
        (code, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("demand"))
    );
    let (code, e) = s
        .post(
            &t,
            "/coverage/evaluate",
            json!({"demand": "communities", "minutes": [5, 3]}),
        )
        .await;
    assert_eq!(
        (code, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("minutes"))
    );
    let (_, offices) = s.get(&t, "/police-offices").await;
    assert_eq!(offices.as_array().unwrap().len(), s.city.offices.len());
    let (code, o) = s
        .post(
            &t,
            "/coverage/evaluate",
            json!({"demand": "communities", "sites": "offices"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{o}");
    assert_eq!(o["sites"].as_array().unwrap().len(), s.city.offices.len());
    let (code, u) = s
        .post(
            &t,
            "/coverage/evaluate",
            json!({"demand": "communities", "sites": "units"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{u}");
    assert_eq!(
        u["sites"].as_array().unwrap().len(),
        s.city.units.len(),
        "every unit is available"
    );
    let (code, e) = s
        .post(
            &t,
            "/coverage/optimise",
            json!({"demand": "incidents", "shift": "dusk"}),
        )
        .await;
    assert_eq!(
        (code, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("shift"))
    );
    let (code, b) = s.post(&t, "/coverage/optimise", json!({"demand": "communities", "candidates": "stations", "k": 2, "backup_weight": 1.0})).await;
    assert_eq!(code, StatusCode::OK, "{b}");
    assert!(
        b["score"].as_f64().unwrap() >= b["covered"]["5"].as_f64().unwrap(),
        "the backup term adds to the score"
    );
    let ct = s.login("calltaker").await;
    assert_eq!(
        s.post(&ct, "/coverage/evaluate", json!({})).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analysis_over_the_api_follows_scope() {
    let s = spawn().await;
    let stations = s.stations();
    let (mine, other) = (&stations[0], &stations[1]);
    let disp = s.login("dispatcher").await;
    // Incidents in two stations: 12 in the officer's, 5 in another.
    for (station, n) in [(mine, 12), (other, 5)] {
        let (lat, lon) = s.point_in(station);
        for k in 0..n {
            let (code, body) = s
                .post(
                    &disp,
                    "/incidents",
                    json!({"kind": if k % 2 == 0 { "theft" } else { "noise" }, "lat": lat + k as f64 * 1e-5, "lon": lon}),
                )
                .await;
            assert_eq!(code, StatusCode::CREATED, "{body}");
        }
    }
    let analyst = s.login("analyst").await;
    let officer = s.login("officer").await;
    let calltaker = s.login("calltaker").await;

    let (code, v) = s
        .get(&analyst, "/analysis/hotspots?method=grid&cell=100")
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["incidents"], 17);
    let total: u64 = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 17);
    let (_, v) = s
        .get(&officer, "/analysis/hotspots?method=grid&cell=100")
        .await;
    assert_eq!(
        v["incidents"], 12,
        "a station officer analyses only the station's incidents"
    );
    let (_, v) = s
        .get(
            &analyst,
            &format!("/analysis/hotspots?method=h3&scope={other}"),
        )
        .await;
    assert_eq!(v["incidents"], 5);
    let (code, v) = s.get(&analyst, "/analysis/hotspots?method=segments").await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let on_roads: u64 = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["count"].as_u64().unwrap())
        .sum();
    assert_eq!(on_roads + v["off_road"].as_u64().unwrap(), 17);

    let (code, v) = s
        .get(
            &analyst,
            "/analysis/near-repeat?permutations=19&space_band=50&time_band=1&time_bands=2",
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["observed"].as_array().unwrap().len(), 5);
    let pairs: u64 = v["observed"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(pairs, 17 * 16 / 2, "every pair is in one cell");

    let (code, v) = s.get(&analyst, "/analysis/trends?by=kind").await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let theft = v["period_on_period"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "theft")
        .unwrap()
        .clone();
    assert_eq!(theft["current"], 6 + 3);

    let r = s
        .client
        // The incidents were made just now: the briefing of this (local) month has them.
        .get(format!(
            "{}/api/v1/analysis/briefing?scope={mine}&period={}",
            s.base,
            dispatch::time::month_of(s.app.now() + server::LOCAL_UTC_OFFSET_MIN * 60_000)
        ))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data-records=\"12\""),
        "the briefing counts the station's incidents"
    );
    let (code, v) = s
        .get(&officer, &format!("/analysis/briefing?scope={other}"))
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN, "{v}");

    // Bad input names the field; roles without figures are refused.
    for (path, field) in [
        ("/analysis/hotspots?cell=5", "cell"),
        ("/analysis/hotspots?method=voronoi", "method"),
        ("/analysis/hotspots?from=yesterday", "from"),
        ("/analysis/near-repeat?metric=chebyshev", "metric"),
        ("/analysis/near-repeat?space_band=0", "space_band"),
        ("/analysis/trends?period=2026-13", "period"),
        ("/analysis/hotspots?scope=nowhere", "scope"),
    ] {
        let (code, v) = s.get(&analyst, path).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {v}");
        assert_eq!(v["field"], field, "{path}: {v}");
    }
    let (code, v) = s.get(&analyst, "/analysis/hotspots?colour=red").await;
    assert!(
        code.is_client_error(),
        "unknown parameters are refused: {v}"
    );
    let (code, _) = s.get(&calltaker, "/analysis/hotspots").await;
    assert_eq!(code, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn police_office_coverage_by_station() {
    let s = spawn().await;
    let admin = s.login("admin").await;
    let (code, v) = s.get(&admin, "/police-offices/coverage").await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let communities = s
        .city
        .jurisdictions
        .iter()
        .filter(|j| j.level == dispatch::Level::Community)
        .count();
    let served: std::collections::HashSet<&str> = s
        .city
        .offices
        .iter()
        .map(|o| o.community_id.as_str())
        .collect();
    assert_eq!(v["total"]["communities"], communities);
    assert_eq!(v["total"]["with_office"], served.len());
    assert_eq!(v["total"]["offices"], s.city.offices.len());
    let by_station: u64 = v["by_station"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["communities"].as_u64().unwrap())
        .sum();
    assert_eq!(
        by_station as usize, communities,
        "stations partition the communities"
    );
    // The officer's view is the station's own.
    let officer = s.login("officer").await;
    let (_, mine) = s.get(&officer, "/police-offices/coverage").await;
    assert_eq!(mine["by_station"].as_array().unwrap().len(), 1);
    let calltaker = s.login("calltaker").await;
    let (code, _) = s.get(&calltaker, "/police-offices/coverage").await;
    assert_eq!(code, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_transfers_and_leads() {
    let s = spawn().await;
    let stations = s.stations();
    let (mine, other) = (&stations[0], &stations[1]);
    let officer = s.login("officer").await;
    let disp = s.login("dispatcher").await;
    let analyst = s.login("analyst").await;

    // The officer transfers a case from the own station (the default).
    let (code, t) = s
        .post(&officer, "/community/transfers", json!({"case_class": "criminal", "to_unit": "criminal_investigation", "summary": "入室盗窃, 损失约 5000 元"}))
        .await;
    assert_eq!(code, StatusCode::CREATED, "{t}");
    assert_eq!(t["station_id"], json!(mine));
    assert_eq!(t["status"], "pending");
    let id = t["id"].as_str().unwrap().to_string();
    // Bad input names the field; nothing is written.
    for (body, field) in [
        (
            json!({"case_class": "traffic", "to_unit": "criminal_investigation", "summary": "x"}),
            "case_class",
        ),
        (
            json!({"case_class": "vice", "to_unit": "swat", "summary": "x"}),
            "to_unit",
        ),
        (
            json!({"case_class": "vice", "to_unit": "public_order", "summary": "  "}),
            "summary",
        ),
        (
            json!({"case_class": "vice", "to_unit": "public_order", "summary": "x", "station_id": "nowhere"}),
            "station_id",
        ),
    ] {
        let (code, v) = s.post(&officer, "/community/transfers", body).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], field, "{v}");
    }
    let (code, _) = s
        .post(&officer, "/community/transfers", json!({"case_class": "vice", "to_unit": "public_order", "summary": "x", "station_id": other}))
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN, "not for another station");
    // A station cannot accept its own transfer; the unit returns it with a reason.
    let (code, _) = s
        .post(
            &officer,
            &format!("/community/transfers/{id}/decision"),
            json!({"action": "accept"}),
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    // Actions are tagged: an unknown one, or a field another action takes, is refused.
    for (body, field) in [
        (json!({"action": "approve"}), "action"),
        (json!({"reason": "x"}), "action"),
        (json!({"action": "accept", "note": "x"}), "note"),
    ] {
        let (code, v) = s
            .post(
                &disp,
                &format!("/community/transfers/{id}/decision"),
                body.clone(),
            )
            .await;
        assert_eq!(
            (code, v["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!(field)),
            "{body}: {v}"
        );
    }
    let (code, v) = s
        .post(
            &disp,
            &format!("/community/transfers/{id}/decision"),
            json!({"action": "return"}),
        )
        .await;
    assert_eq!(
        (code, v["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("reason")),
        "{v}"
    );
    let (code, v) = s
        .post(
            &disp,
            &format!("/community/transfers/{id}/decision"),
            json!({"action": "return", "reason": "缺少报案笔录"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let (code, _) = s
        .post(
            &disp,
            &format!("/community/transfers/{id}/decision"),
            json!({"action": "accept"}),
        )
        .await;
    assert_eq!(
        code,
        StatusCode::CONFLICT,
        "returned cases come back by resubmission"
    );
    let (code, _) = s
        .post(
            &officer,
            &format!("/community/transfers/{id}/decision"),
            json!({"action": "resubmit", "reason": "已补充笔录"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let (code, v) = s
        .post(
            &disp,
            &format!("/community/transfers/{id}/decision"),
            json!({"action": "accept"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "accepted");
    assert_eq!(v["history"].as_array().unwrap().len(), 4);
    assert!(v["minutes_to_accept"].as_f64().unwrap() >= 0.0);

    // A transfer in another station, filed by an administrator: the officer does not see it.
    let admin = s.login("admin").await;
    let (code, other_t) = s
        .post(&admin, "/community/transfers", json!({"case_class": "vice", "to_unit": "public_order", "summary": "赌博", "station_id": other}))
        .await;
    assert_eq!(code, StatusCode::CREATED);
    let (_, list) = s.get(&officer, "/community/transfers").await;
    let ids: Vec<&str> = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id.as_str()]);
    let (code, _) = s
        .post(
            &officer,
            &format!(
                "/community/transfers/{}/decision",
                other_t["id"].as_str().unwrap()
            ),
            json!({"action": "resubmit", "reason": "x"}),
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND, "out of scope is not found");
    let (_, list) = s.get(&analyst, "/community/transfers?status=pending").await;
    assert_eq!(list["entries"].as_array().unwrap().len(), 1);
    let (code, _) = s.post(&analyst, "/community/transfers", json!({"case_class": "vice", "to_unit": "public_order", "summary": "x", "station_id": mine})).await;
    assert_eq!(
        code,
        StatusCode::FORBIDDEN,
        "analysts read, they do not file"
    );

    // Leads and their feedback.
    let (code, lead) = s
        .post(
            &officer,
            "/community/leads",
            json!({"to_unit": "narcotics", "summary": "某出租屋人员进出频繁"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{lead}");
    let lid = lead["id"].as_str().unwrap();
    let (code, v) = s
        .post(
            &disp,
            &format!("/community/leads/{lid}/feedback"),
            json!({"used": true, "note": "查获吸毒人员 2 名"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let (code, _) = s
        .post(
            &disp,
            &format!("/community/leads/{lid}/feedback"),
            json!({"used": false}),
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT);

    // Figures of this month, and the audit trail of every write.
    let (code, f) = s
        .get(&analyst, &format!("/community/figures?{}", s.this_month()))
        .await;
    assert_eq!(code, StatusCode::OK, "{f}");
    assert_eq!(f["total"]["transferred"], 2);
    assert_eq!(f["total"]["accepted"], 1);
    assert_eq!(f["total"]["pending"], 1);
    assert_eq!(
        (
            f["total"]["leads_provided"].clone(),
            f["total"]["leads_used"].clone()
        ),
        (json!(1), json!(1))
    );
    let (_, mine_only) = s
        .get(&officer, &format!("/community/figures?{}", s.this_month()))
        .await;
    assert_eq!(mine_only["total"]["transferred"], 1);
    let log = s.app.store().audit_log(100).await.unwrap();
    let actions: Vec<&str> = log.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "create", "return", "resubmit", "accept", "create", "create", "feedback"
        ]
    );
    assert_eq!(log[0].actor, "dispatcher");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_persons_are_scoped_audited_and_purged() {
    let s = spawn().await;
    let stations = s.stations();
    let (mine, other) = (&stations[0], &stations[1]);
    let community_of = |station: &str| {
        s.city
            .jurisdictions
            .iter()
            .find(|j| {
                j.level == dispatch::Level::Community && j.parent_id.as_deref() == Some(station)
            })
            .unwrap()
            .id
            .clone()
    };
    let (my_village, other_village) = (community_of(mine), community_of(other));
    let admin = s.login("admin").await;
    let (code, v) = s
        .post(&admin, "/users", json!({"username": "officer2", "password": PASSWORD, "role": "station_officer", "scope": other}))
        .await;
    assert_eq!(code, StatusCode::CREATED, "{v}");
    let officer = s.login("officer").await;
    let officer2 = s.login("officer2").await;
    let analyst = s.login("analyst").await;

    let person = json!({"community_id": my_village, "name": "王小明", "id_number": "11010519491231002X",
                        "address": "幸福路 8 号", "category": "released_prisoner", "reason": "刑满释放, 安置帮教"});
    let (code, created) = s
        .post(&officer, "/community/key-persons", person.clone())
        .await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    assert_eq!(created["name"], "王**");
    assert!(created.get("id_number").is_none() && created.get("address").is_none());
    let id = created["id"].as_str().unwrap().to_string();
    // Bad input names the field.
    let mut bad = person.clone();
    bad["id_number"] = json!("110105194912310021");
    let (code, v) = s.post(&officer, "/community/key-persons", bad).await;
    assert_eq!(
        (code, v["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("id_number")),
        "{v}"
    );
    let mut bad = person.clone();
    bad["community_id"] = json!(mine);
    let (code, v) = s.post(&officer, "/community/key-persons", bad).await;
    assert_eq!(
        (code, v["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("community_id")),
        "{v}"
    );
    let mut theirs = person.clone();
    theirs["community_id"] = json!(other_village);
    let (code, _) = s.post(&officer, "/community/key-persons", theirs).await;
    assert_eq!(
        code,
        StatusCode::FORBIDDEN,
        "not in another station's villages"
    );

    // Lists carry no personal details; a full read needs a reason and is audited.
    let (_, list) = s.get(&officer, "/community/key-persons").await;
    assert_eq!(list["entries"].as_array().unwrap().len(), 1);
    assert!(list["entries"][0].get("id_number").is_none());
    assert!(list["register"]["legal_basis"].as_str().unwrap().len() > 10);
    let (code, v) = s
        .get(&officer, &format!("/community/key-persons/{id}"))
        .await;
    assert_eq!(
        (code, v["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("reason")),
        "{v}"
    );
    let (code, full) = s
        .get(
            &officer,
            &format!("/community/key-persons/{id}?reason=季度走访核实"),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{full}");
    assert_eq!(full["id_number"], "11010519491231002X");
    let log = s.app.store().audit_log(5).await.unwrap();
    assert_eq!(
        (
            log[0].action.as_str(),
            log[0].actor.as_str(),
            log[0].reason.as_deref()
        ),
        ("read", "officer", Some("季度走访核实"))
    );
    // Another station's officer, an analyst: nothing.
    let (code, _) = s
        .get(
            &officer2,
            &format!("/community/key-persons/{id}?reason=好奇"),
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (_, list2) = s.get(&officer2, "/community/key-persons").await;
    assert!(list2["entries"].as_array().unwrap().is_empty());
    let (code, _) = s
        .get(
            &analyst,
            &format!("/community/key-persons/{id}?reason=研判"),
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    assert_eq!(
        s.app.store().audit_log(1).await.unwrap()[0].action,
        "read",
        "refused reads are not recorded as reads"
    );
    assert_eq!(
        s.app
            .store()
            .audit_log(50)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.action == "read")
            .count(),
        1
    );
    let (code, audit) = s.get(&admin, "/audit?limit=10").await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "read" && e["record_id"] == json!(id))
    );

    // Soft delete, audited; then the retention purge removes it for good.
    let r = s
        .client
        .delete(format!(
            "{}/api/v1/community/key-persons/{id}?reason=迁出辖区",
            s.base
        ))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (code, _) = s
        .get(
            &officer,
            &format!("/community/key-persons/{id}?reason=复查"),
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, kept) = s.post(&officer, "/community/key-persons", person).await;
    assert_eq!(code, StatusCode::CREATED);
    let now = s.app.now();
    assert_eq!(
        app::repository::purge_expired(&s.app, now).await.unwrap(),
        0,
        "nothing is due yet"
    );
    let later = now + (3 * 365 + 1) * DAY_MS;
    assert_eq!(
        app::repository::purge_expired(&s.app, later).await.unwrap(),
        2
    );
    assert!(
        s.app
            .store()
            .record("key_person", &id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.app
            .store()
            .record("key_person", kept["id"].as_str().unwrap())
            .await
            .unwrap()
            .is_none()
    );
    let purges = s
        .app
        .store()
        .audit_log(10)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "purge")
        .count();
    assert_eq!(purges, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispute_ledger() {
    let s = spawn().await;
    let stations = s.stations();
    let village = |station: &str| {
        s.city
            .jurisdictions
            .iter()
            .find(|j| {
                j.level == dispatch::Level::Community && j.parent_id.as_deref() == Some(station)
            })
            .unwrap()
            .id
            .clone()
    };
    let (mine, theirs) = (village(&stations[0]), village(&stations[1]));
    let admin = s.login("admin").await;
    let (code, _) = s
        .post(&admin, "/users", json!({"username": "officer2", "password": PASSWORD, "role": "station_officer", "scope": stations[1]}))
        .await;
    assert_eq!(code, StatusCode::CREATED);
    let officer = s.login("officer").await;
    let officer2 = s.login("officer2").await;
    let body = json!({"community_id": mine, "parties": [{"name": "李大"}, {"name": "张二", "phone": "13800000000"}],
                      "dispute_type": "neighbour", "risk": "medium", "summary": "宅基地界线争议"});
    let (code, d) = s.post(&officer, "/community/disputes", body.clone()).await;
    assert_eq!(code, StatusCode::CREATED, "{d}");
    assert_eq!(d["parties"], json!(["李**", "张**"]));
    let id = d["id"].as_str().unwrap().to_string();
    for (patch, field) in [
        (json!({"parties": [{"name": "李大"}]}), "parties"),
        (json!({"risk": "extreme"}), "risk"),
        (json!({"dispute_type": "war"}), "dispute_type"),
    ] {
        let mut b = body.clone();
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        let (code, v) = s.post(&officer, "/community/disputes", b).await;
        assert_eq!(
            (code, v["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!(field)),
            "{v}"
        );
    }
    let mut b = body.clone();
    b["community_id"] = json!(theirs);
    let (code, _) = s.post(&officer, "/community/disputes", b).await;
    assert_eq!(code, StatusCode::FORBIDDEN);

    let path = format!("/community/disputes/{id}/action");
    let act = |a: Value| s.post(&officer, &path, a);
    let (code, _) = act(json!({"action": "mediate", "note": "双方到警务室调解"})).await;
    assert_eq!(code, StatusCode::OK);
    let (code, v) = act(json!({"action": "close", "note": "达成协议"})).await;
    assert_eq!(
        (code, v["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("resolved")),
        "{v}"
    );
    let (code, v) =
        act(json!({"action": "close", "resolved": true, "note": "达成协议", "follow_up_days": 30}))
            .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    // An instant, in RFC 3339, about 30 days on.
    let next = dispatch::time::parse_rfc3339(v["next_follow_up"].as_str().unwrap()).unwrap();
    assert!((next - s.app.now() - 30 * DAY_MS).abs() < DAY_MS, "{v}");
    let (code, _) = act(json!({"action": "mediate", "note": "again"})).await;
    assert_eq!(
        code,
        StatusCode::CONFLICT,
        "a closed dispute takes no more steps"
    );

    let (_, f) = s
        .get(&officer, &format!("/community/figures?{}", s.this_month()))
        .await;
    assert_eq!(f["disputes"]["screened"], 1);
    assert_eq!(f["disputes"]["resolved_within_7_days"], 1);
    let (code, v) = s.get(&officer, &format!("/community/disputes/{id}")).await;
    assert_eq!(
        (code, v["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("reason"))
    );
    let (code, full) = s
        .get(
            &officer,
            &format!("/community/disputes/{id}?reason=回访准备"),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(full["parties"][1]["phone"], "13800000000");
    let last = &s.app.store().audit_log(1).await.unwrap()[0];
    assert_eq!(
        (last.action.as_str(), last.kind.as_str()),
        ("read", "dispute")
    );
    let (_, other_list) = s.get(&officer2, "/community/disputes").await;
    assert!(other_list["entries"].as_array().unwrap().is_empty());
    let (code, _) = s
        .get(&officer2, &format!("/community/disputes/{id}?reason=查看"))
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);

    // Every instant the community screens get is RFC 3339, none epoch milliseconds.
    fn epoch_instants(v: &Value, at: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let instant = k.ends_with("_at")
                        || ["at", "due", "now", "until", "next_follow_up"].contains(&k.as_str());
                    if instant && x.is_number() {
                        out.push(format!("{at}.{k} = {x}"));
                    } else if instant && x.is_string() {
                        let t = x.as_str().unwrap();
                        assert!(dispatch::time::parse_rfc3339(t).is_some(), "{at}.{k} = {t}");
                    } else {
                        epoch_instants(x, &format!("{at}.{k}"), out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| epoch_instants(x, at, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    for path in [
        "/community/disputes".to_string(),
        format!("/community/disputes/{id}?reason=回访准备"),
        "/community/tasks".to_string(),
        "/community/transfers".to_string(),
    ] {
        let (code, v) = s.get(&officer, &path).await;
        assert_eq!(code, StatusCode::OK, "{path}: {v}");
        epoch_instants(&v, &path, &mut found);
    }
    assert!(found.is_empty(), "epoch milliseconds at the API: {found:?}");
}

/// A valid record of every ledger, for a community.
fn sample(kind: &str) -> Value {
    match kind {
        "resident" => {
            json!({"name": "王小明", "id_number": "11010519491231002X", "gender": "male", "address": "幸福路 8 号",
                "phone": "13800138000", "household": "registered"})
        }
        "rental_housing" => {
            json!({"address": "人民路 3 号 2 单元", "landlord": "李四", "landlord_id_number": "11010519491231002X",
                "rooms": 2, "registered_on": "2026-11-01",
                "tenants": [{"name": "张三", "from": "2026-11-01", "id_number": "11010519491231002X"}]})
        }
        "floating_population" => {
            json!({"name": "赵六", "origin": "河南省周口市", "address": "建设街 5 号", "registered_on": "2026-10-01"})
        }
        "venue" => json!({"name": "幸福宾馆", "category": "hotel", "address": "幸福路 1 号"}),
        "lost_property" => {
            json!({"item": "黑色钱包", "category": "wallet", "description": "黑色皮质钱包, 内有身份证",
                "lost_on": "2026-11-20", "owner": "张三", "owner_phone": "13800000000"})
        }
        "found_item" => {
            json!({"item": "钱包", "category": "wallet", "description": "黑色皮质钱包一个", "found_on": "2026-11-21"})
        }
        "missing_person" => {
            json!({"name": "孙老伯", "age": 82, "description": "灰色外套", "last_seen_on": "2026-11-28",
                "last_seen_place": "菜市场", "reporter": "孙女士", "reporter_phone": "13900000000"})
        }
        "livelihood" => {
            json!({"category": "locked_out", "description": "钥匙反锁屋内", "requester": "钱七"})
        }
        "staffing" => {
            json!({"officer": "王警官", "committee_post": "村委会副主任", "auxiliaries": 2, "grid_workers": 6,
                "volunteer_teams": [{"name": "平安志愿者", "size": 20}]})
        }
        "community_day" => json!({"date": "2026-11-27", "hours": 6, "activities": "走访入户"}),
        other => panic!("no sample for {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ledger_is_validated_scoped_audited_and_purged() {
    let s = spawn().await;
    let stations = s.stations();
    let (mine, other) = (&stations[0], &stations[1]);
    let community_of = |station: &str| {
        s.city
            .jurisdictions
            .iter()
            .find(|j| {
                j.level == dispatch::Level::Community && j.parent_id.as_deref() == Some(station)
            })
            .unwrap()
            .id
            .clone()
    };
    let (my_village, other_village) = (community_of(mine), community_of(other));
    let admin = s.login("admin").await;
    let (code, v) = s
        .post(&admin, "/users", json!({"username": "officer2", "password": PASSWORD, "role": "station_officer", "scope": other}))
        .await;
    assert_eq!(code, StatusCode::CREATED, "{v}");
    let officer = s.login("officer").await;
    let officer2 = s.login("officer2").await;
    let calltaker = s.login("calltaker").await;

    let (code, specs) = s.get(&officer, "/community/ledgers").await;
    assert_eq!(code, StatusCode::OK);
    let kinds: Vec<String> = specs
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["register"]["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds.len(), 10);
    let (_, registers) = s.get(&officer, "/community/registers").await;
    assert_eq!(
        registers.as_array().unwrap().len(),
        12,
        "key persons, disputes and the ledgers"
    );
    for spec in specs.as_array().unwrap() {
        let kind = spec["register"]["kind"].as_str().unwrap();
        let personal = spec["personal"].as_bool().unwrap();
        assert!(spec["register"]["legal_basis"].as_str().unwrap().len() > 5);
        let path = format!("/community/ledgers/{kind}");
        let body = json!({"community_id": my_village, "fields": sample(kind)});
        // Bad input: the field is named, nothing is written.
        let mut bad = body.clone();
        bad["fields"]["nonsense"] = json!(1);
        let (code, v) = s.post(&officer, &path, bad).await;
        assert_eq!(
            (code, v["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("fields")),
            "{kind} {v}"
        );
        assert!(v["message"].as_str().unwrap().contains("nonsense"), "{v}");
        let required = spec["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| {
                f["required"] == true && body["fields"].get(f["name"].as_str().unwrap()).is_some()
            })
            .map(|f| f["name"].as_str().unwrap().to_string());
        if let Some(field) = required {
            let mut bad = body.clone();
            bad["fields"].as_object_mut().unwrap().remove(&field);
            let (code, v) = s.post(&officer, &path, bad).await;
            assert_eq!(
                (code, v["field"].clone()),
                (StatusCode::UNPROCESSABLE_ENTITY, json!(field)),
                "{kind} {v}"
            );
        }
        let (code, _) = s
            .post(
                &officer,
                &path,
                json!({"community_id": mine, "fields": sample(kind)}),
            )
            .await;
        assert_eq!(
            code,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind}: a station is not a community"
        );
        // Another station's villages, the call taker: refused.
        let (code, _) = s
            .post(
                &officer,
                &path,
                json!({"community_id": other_village, "fields": sample(kind)}),
            )
            .await;
        assert_eq!(code, StatusCode::FORBIDDEN, "{kind}");
        let (code, _) = s.post(&calltaker, &path, body.clone()).await;
        assert_eq!(code, StatusCode::FORBIDDEN, "{kind}");
        assert!(
            s.app.store().records(kind).await.unwrap().is_empty(),
            "{kind}: nothing written"
        );

        let (code, created) = s.post(&officer, &path, body.clone()).await;
        assert_eq!(code, StatusCode::CREATED, "{kind} {created}");
        let id = created["id"].as_str().unwrap().to_string();
        let (_, list) = s.get(&officer, &path).await;
        assert_eq!(list["entries"].as_array().unwrap().len(), 1, "{kind}");
        let (_, list2) = s.get(&officer2, &path).await;
        assert!(
            list2["entries"].as_array().unwrap().is_empty(),
            "{kind}: other station sees nothing"
        );
        let (code, _) = s.get(&officer2, &format!("{path}/{id}?reason=核查")).await;
        assert_eq!(code, StatusCode::NOT_FOUND, "{kind}");
        if personal {
            // Lists hide what the register says; whole records need a reason, audited.
            let text = list["entries"][0].to_string();
            for secret in [
                "11010519491231002X",
                "幸福路 8 号",
                "13800138000",
                "建设街 5 号",
            ] {
                assert!(!text.contains(secret), "{kind} list shows {secret}: {text}");
            }
            let (code, v) = s.get(&officer, &format!("{path}/{id}")).await;
            assert_eq!(
                (code, v["field"].clone()),
                (StatusCode::UNPROCESSABLE_ENTITY, json!("reason")),
                "{kind}"
            );
            let (code, full) = s
                .get(&officer, &format!("{path}/{id}?reason=入户核查"))
                .await;
            assert_eq!(code, StatusCode::OK, "{kind}");
            assert_eq!(
                full["fields"],
                created_fields(&sample(kind), &full["fields"]),
                "{kind}"
            );
            let last = &s.app.store().audit_log(1).await.unwrap()[0];
            assert_eq!(
                (
                    last.action.as_str(),
                    last.kind.as_str(),
                    last.reason.as_deref()
                ),
                ("read", kind, Some("入户核查"))
            );
            let (code, _) = s.get(&calltaker, &path).await;
            assert_eq!(
                code,
                StatusCode::FORBIDDEN,
                "{kind}: personal lists are the stations' own"
            );
        } else {
            let (code, _) = s.get(&officer, &format!("{path}/{id}")).await;
            assert_eq!(code, StatusCode::OK, "{kind}");
        }
        // Updates are validated too.
        let first = spec["fields"][0]["name"].as_str().unwrap();
        let (code, v) = s
            .call(
                &officer,
                reqwest::Method::PATCH,
                &format!("{path}/{id}"),
                Some(json!({"fields": {first: null}})),
            )
            .await;
        assert_eq!(
            (code, v["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!(first)),
            "{kind} {v}"
        );
        // Soft delete: gone from lists, kept (audited) until the retention purge.
        let (code, _) = s
            .call(
                &officer,
                reqwest::Method::DELETE,
                &format!("{path}/{id}"),
                None,
            )
            .await;
        assert_eq!(
            code,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind}: deleting needs a reason"
        );
        let (code, _) = s
            .call(
                &officer2,
                reqwest::Method::DELETE,
                &format!("{path}/{id}?reason=迁出"),
                None,
            )
            .await;
        assert_eq!(code, StatusCode::NOT_FOUND, "{kind}");
        let (code, _) = s
            .call(
                &officer,
                reqwest::Method::DELETE,
                &format!("{path}/{id}?reason=迁出"),
                None,
            )
            .await;
        assert_eq!(code, StatusCode::NO_CONTENT, "{kind}");
        let (_, list) = s.get(&officer, &path).await;
        assert!(list["entries"].as_array().unwrap().is_empty(), "{kind}");
        assert!(
            s.app
                .store()
                .record(kind, &id)
                .await
                .unwrap()
                .unwrap()
                .deleted_at
                .is_some()
        );
        let (code, again) = s.post(&officer, &path, body).await;
        assert_eq!(code, StatusCode::CREATED, "{kind} {again}");
    }
    let (code, _) = s.get(&officer, "/community/ledgers/pets").await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, v) = s
        .get(&officer, "/community/ledgers/venue?status=sleeping")
        .await;
    assert_eq!(
        (code, v["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("status"))
    );

    // One staffing record per community; one log per officer and day.
    let (code, _) = s
        .post(
            &officer,
            "/community/ledgers/staffing",
            json!({"community_id": my_village, "fields": sample("staffing")}),
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT);
    let (code, _) = s
        .post(
            &officer,
            "/community/ledgers/community_day",
            json!({"community_id": my_village, "fields": sample("community_day")}),
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT);
    let (code, st) = s.get(&officer, "/community/staffing?period=2026-11").await;
    assert_eq!(code, StatusCode::OK, "{st}");
    assert_eq!(st["total"]["with_officer"], 1);
    assert_eq!(st["total"]["officers_in_committee"], 1);
    assert_eq!(st["total"]["volunteers"], 20);
    assert_eq!(
        st["officers"][0]["officer"], "officer",
        "logged days are the logger's own"
    );
    assert_eq!(st["officers"][0]["days"], 1);
    let (code, v) = s.get(&officer, "/community/staffing?period=November").await;
    assert_eq!(
        (code, v["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("period"))
    );

    // Workflow: a venue inspection needs a known result and moves the due date.
    let (_, venues) = s.get(&officer, "/community/ledgers/venue").await;
    let venue = venues["entries"][0]["id"].as_str().unwrap().to_string();
    let act = |kind: &str, id: &str| format!("/community/ledgers/{kind}/{id}/action");
    let (code, v) = s
        .post(
            &officer,
            &act("venue", &venue),
            json!({"action": "inspect", "result": "fine"}),
        )
        .await;
    assert_eq!(
        (code, v["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("result")),
        "{v}"
    );
    let (code, v) = s
        .post(
            &officer,
            &act("venue", &venue),
            json!({"action": "inspect", "result": "rectify", "note": "消防通道堵塞"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["last_result"], "rectify");
    let (code, _) = s
        .post(&officer, &act("venue", &venue), json!({"action": "reopen"}))
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "only a suspended venue reopens");
    let (code, _) = s
        .post(
            &officer2,
            &act("venue", &venue),
            json!({"action": "inspect", "result": "pass"}),
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);

    // Lost and found: candidates, a match changes both, a return closes both.
    let (_, lost) = s.get(&officer, "/community/ledgers/lost_property").await;
    let lost_id = lost["entries"][0]["id"].as_str().unwrap().to_string();
    let (_, found) = s.get(&officer, "/community/ledgers/found_item").await;
    let found_id = found["entries"][0]["id"].as_str().unwrap().to_string();
    let (code, m) = s
        .get(
            &officer,
            &format!("/community/ledgers/lost_property/{lost_id}/matches"),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{m}");
    assert_eq!(m["candidates"][0]["entry"]["id"], json!(found_id));
    let (code, _) = s
        .get(
            &officer,
            &format!("/community/ledgers/venue/{venue}/matches"),
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    let (code, v) = s
        .post(
            &officer,
            &act("lost_property", &lost_id),
            json!({"action": "match", "link": "nope"}),
        )
        .await;
    assert_eq!(
        (code, v["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("link")),
        "{v}"
    );
    let (code, v) = s
        .post(
            &officer,
            &act("lost_property", &lost_id),
            json!({"action": "match", "link": found_id}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let (_, f) = s
        .get(
            &officer,
            &format!("/community/ledgers/found_item/{found_id}?reason=认领核对"),
        )
        .await;
    assert_eq!(
        (f["status"].clone(), f["link"].clone()),
        (json!("matched"), json!(lost_id))
    );
    let (code, v) = s
        .post(
            &officer,
            &act("lost_property", &lost_id),
            json!({"action": "return"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "returned");
    let (_, f) = s
        .get(
            &officer,
            &format!("/community/ledgers/found_item/{found_id}?reason=归还核对"),
        )
        .await;
    assert_eq!(f["status"], "returned");

    // Today's tasks: the open livelihood request (24 h), the missing person (72 h).
    let (code, t) = s.get(&officer, "/community/tasks?days=7").await;
    assert_eq!(code, StatusCode::OK, "{t}");
    let kinds: Vec<&str> = t["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"livelihood") && kinds.contains(&"missing_person"),
        "{kinds:?}"
    );
    assert!(
        !kinds.contains(&"lost_property"),
        "returned property is done"
    );
    let (_, t2) = s.get(&officer2, "/community/tasks?days=7").await;
    assert!(t2["tasks"].as_array().unwrap().is_empty());
    // The other station's officer sees none of it anywhere.
    let (code, _) = s
        .get(
            &officer2,
            &format!("/community/ledgers/lost_property/{lost_id}/matches"),
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (_, st2) = s
        .get(
            &officer2,
            &format!("/community/staffing?{}", s.this_month()),
        )
        .await;
    assert_eq!(st2["total"]["with_officer"], 0, "{st2}");
    assert!(st2["officers"].as_array().unwrap().is_empty());
    let (code, _) = s
        .call(
            &officer2,
            reqwest::Method::PATCH,
            &format!("/community/ledgers/venue/{venue}"),
            Some(json!({"fields": {"manager": "某人"}})),
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, _) = s.get(&officer, "/community/tasks?days=400").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);

    // Retention: everything past its register's period is purged, audited.
    let before = s.app.store().records("livelihood").await.unwrap().len();
    assert_eq!(before, 2, "the soft-deleted one and its replacement");
    let later = s.app.now() + 366 * DAY_MS;
    let purged = app::repository::purge_expired(&s.app, later).await.unwrap();
    assert_eq!(
        purged, 6,
        "the 365-day ledgers (livelihood, lost property, found items): two records each"
    );
    assert!(
        s.app
            .store()
            .records("livelihood")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.app.store().records("staffing").await.unwrap().len(),
        1,
        "kept for ten years"
    );
}

/// The submitted fields as stored (ids upper-cased, text trimmed): here the same.
fn created_fields(submitted: &Value, stored: &Value) -> Value {
    let mut out = submitted.clone();
    if stored.get("officer").is_some() && submitted.get("officer").is_none() {
        out["officer"] = stored["officer"].clone();
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_registry_and_assessment() {
    let s = spawn().await;
    let stations = s.stations();
    let mine = &stations[0];
    let admin = s.login("admin").await;
    let officer = s.login("officer").await;
    let dispatcher = s.login("dispatcher").await;
    let (_, offices) = s.get(&admin, "/police-offices").await;
    let office: dispatch::PoliceOffice = offices
        .as_array()
        .unwrap()
        .iter()
        .map(|o| serde_json::from_value::<dispatch::PoliceOffice>(o.clone()).unwrap())
        .find(|o| o.station_id == *mine)
        .unwrap();
    let path = format!("/police-offices/{}", office.id);
    let put = |token: String, body: Value| {
        let p = path.clone();
        let s = &s;
        async move { s.call(&token, reqwest::Method::PUT, &p, Some(body)).await }
    };
    for (body, field) in [
        (json!({"class": 4}), "class"),
        (json!({"hours": "8-18"}), "hours"),
        (json!({"staff": 500}), "staff"),
        (json!({"lat": 0.0, "lon": 0.0}), "lat"),
        (json!({"lat": office.lat}), "lon"),
    ] {
        let (code, v) = put(officer.clone(), body.clone()).await;
        assert_eq!(
            (code, v["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!(field)),
            "{body} {v}"
        );
    }
    let (code, v) = put(officer.clone(), json!({"class": 1, "staff": 4, "hours": "24h", "shares_committee_office": !office.shares_committee_office})).await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(
        (v["class"].clone(), v["hours"].clone()),
        (json!(1), json!("24h"))
    );
    assert_eq!(
        s.app
            .store()
            .police_offices()
            .await
            .unwrap()
            .iter()
            .find(|o| o.id == office.id)
            .unwrap()
            .class,
        1
    );
    let (code, _) = put(dispatcher.clone(), json!({"class": 2})).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, v) = s
        .post(&admin, "/users", json!({"username": "officer9", "password": PASSWORD, "role": "station_officer", "scope": stations[1]}))
        .await;
    assert_eq!(code, StatusCode::CREATED, "{v}");
    let officer9 = s.login("officer9").await;
    let (code, _) = put(officer9.clone(), json!({"class": 2})).await;
    assert_eq!(code, StatusCode::NOT_FOUND, "another station's office");
    let (_, list9) = s.get(&officer9, "/police-offices").await;
    assert!(
        list9
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["station_id"] == json!(stations[1]))
    );
    // A second office for the same village, at the first one's place: the
    // registry and its coverage figures follow.
    let (_, before) = s.get(&admin, "/police-offices/coverage").await;
    let (code, v) = s
        .post(&officer, "/police-offices", json!({"community_id": office.community_id, "name": "新警务室", "lat": office.lat, "lon": office.lon, "class": 3}))
        .await;
    assert_eq!(code, StatusCode::CREATED, "{v}");
    assert_eq!(v["station_id"], json!(mine));
    let (_, after) = s.get(&admin, "/police-offices/coverage").await;
    assert_eq!(
        after["total"]["offices"].as_u64().unwrap(),
        before["total"]["offices"].as_u64().unwrap() + 1
    );
    assert_eq!(
        after["total"]["with_office"],
        before["total"]["with_office"]
    );
    let (code, v) = s
        .post(&officer, "/police-offices", json!({"name": "x"}))
        .await;
    assert_eq!(
        (code, v["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("community_id"))
    );

    // Assessment: the catalogue is configuration, checked before it is used.
    let (code, cat) = s.get(&admin, "/assessment/catalogue").await;
    assert_eq!(code, StatusCode::OK);
    assert!(cat["metrics"].as_array().unwrap().len() > 20);
    let toml = cat["toml"].as_str().unwrap().to_string();
    let (code, v) = s
        .call(&admin, reqwest::Method::PUT, "/assessment/catalogue", Some(json!({"toml": toml.replace("reached_5min / incidents", "reached_6min / incidents")})))
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("unknown metric \"reached_6min\""),
        "{v}"
    );
    let (code, _) = s
        .call(
            &officer,
            reqwest::Method::PUT,
            "/assessment/catalogue",
            Some(json!({"toml": toml})),
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    // Data for one station: disputes and a transfer, then the table.
    let village = s
        .city
        .jurisdictions
        .iter()
        .find(|j| j.level == dispatch::Level::Community && j.parent_id.as_deref() == Some(mine))
        .unwrap()
        .id
        .clone();
    let (code, t) = s
        .post(&officer, "/community/transfers", json!({"case_class": "criminal", "to_unit": "criminal_investigation", "summary": "入室盗窃"}))
        .await;
    assert_eq!(code, StatusCode::CREATED, "{t}");
    let (code, _) = s
        .post(
            &dispatcher,
            &format!(
                "/community/transfers/{}/decision",
                t["id"].as_str().unwrap()
            ),
            json!({"action": "accept"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = s
        .post(
            &officer,
            "/community/ledgers/livelihood",
            json!({"community_id": village, "fields": sample("livelihood")}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED);
    let (code, table) = s
        .get(&admin, &format!("/assessment?{}", s.this_month()))
        .await;
    assert_eq!(code, StatusCode::OK, "{table}");
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(rows.len(), stations.len());
    let row = rows
        .iter()
        .find(|r| r["station_id"] == json!(mine))
        .unwrap();
    let score = |id: &str| {
        row["scores"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["indicator"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(score("transfers_accepted")["value"], 1.0);
    assert_eq!(score("transfers_accepted")["inputs"]["transfers"], 1.0);
    assert_eq!(
        score("service_on_time")["value"],
        0.0,
        "the open request is not closed on time"
    );
    assert!(row["rank"].as_u64().unwrap() >= 1);
    let (code, src) = s
        .get(
            &admin,
            &format!(
                "/assessment/source?station={mine}&indicator=transfers_accepted&{}",
                s.this_month()
            ),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{src}");
    assert_eq!(src["metrics"]["transfers_accepted"]["records"][0], t["id"]);
    let (code, v) = s
        .get(
            &admin,
            &format!(
                "/assessment/source?station={mine}&indicator=nope&{}",
                s.this_month()
            ),
        )
        .await;
    assert_eq!(
        (code, v["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("indicator"))
    );
    let r = s
        .client
        .get(format!(
            "{}/api/v1/assessment?format=csv&{}",
            s.base,
            s.this_month()
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("rank,station_id,station,total,reach_5min value"));
    assert_eq!(csv.lines().count(), stations.len() + 1);
    let (code, v) = s.get(&admin, "/assessment?format=xlsx").await;
    assert_eq!(
        (code, v["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("format"))
    );
    // A station officer's table holds only the station.
    let (code, own) = s
        .get(&officer, &format!("/assessment?{}", s.this_month()))
        .await;
    assert_eq!(code, StatusCode::OK, "{own}");
    assert_eq!(own["rows"].as_array().unwrap().len(), 1);
    let (code, _) = s
        .get(
            &officer,
            &format!(
                "/assessment/source?station={}&indicator=reach_5min&{}",
                stations[1],
                s.this_month()
            ),
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND, "another station's sources");
    // A catalogue of one indicator replaces the shipped one.
    let one = "[[indicator]]\nid = \"leads\"\nname_zh = \"线索采用率\"\nname_en = \"Leads used\"\nformula = \"leads_used / leads\"\nweight = 1\ntarget = 0.3\nunit = \"share\"\n";
    let (code, v) = s
        .call(
            &admin,
            reqwest::Method::PUT,
            "/assessment/catalogue",
            Some(json!({"toml": one})),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let (_, table) = s
        .get(&admin, &format!("/assessment?{}", s.this_month()))
        .await;
    assert_eq!(table["indicators"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_import_and_the_duty_to_transfer() {
    let s = spawn().await;
    let stations = s.stations();
    let (mine, other) = (&stations[0], &stations[1]);
    let village = |station: &str, n: usize| {
        s.city
            .jurisdictions
            .iter()
            .filter(|j| {
                j.level == dispatch::Level::Community && j.parent_id.as_deref() == Some(station)
            })
            .nth(n)
            .map(|j| j.id.clone())
    };
    let (v1, theirs) = (village(mine, 0).unwrap(), village(other, 0).unwrap());
    let officer = s.login("officer").await;
    let post_csv = |token: String, path: String, ctype: &'static str, body: String| {
        let s = &s;
        async move {
            let r = s
                .client
                .post(format!("{}/api/v1{path}", s.base))
                .bearer_auth(token)
                .header("content-type", ctype)
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let path = "/community/ledgers/rental_housing/import".to_string();
    let good = format!(
        "community_id,address,landlord,registered_on,tenants\n\
         {v1},幸福路 1 号,李四,2026-03-01,张三/2026-03-01/11010519491231002X; 王五/2026-04-01\n\
         {v1},幸福路 2 号,赵六,2026-05-01,\n"
    );
    let (code, v) = post_csv(
        officer.clone(),
        path.clone(),
        "application/json",
        good.clone(),
    )
    .await;
    assert_eq!(code, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{v}");
    // One bad line and one line outside the jurisdiction: nothing is written.
    let bad =
        format!("{good}{v1},幸福路 3 号,钱七,2026-13-01,\n{theirs},人民路 1 号,孙八,2026-05-01,\n");
    let (code, v) = post_csv(officer.clone(), path.clone(), "text/csv", bad).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // Every bad line is listed in one answer, whatever is wrong with it.
    let errors = v["errors"].as_array().unwrap();
    let listed: Vec<(Value, Value)> = errors
        .iter()
        .map(|e| (e["line"].clone(), e["field"].clone()))
        .collect();
    assert_eq!(
        listed,
        [
            (json!(4), json!("registered_on")),
            (json!(5), json!("community_id"))
        ],
        "{v}"
    );
    let bad = format!("{good}{theirs},人民路 1 号,孙八,2026-05-01,\n");
    let (code, v) = post_csv(officer.clone(), path.clone(), "text/csv", bad).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(
        (
            v["errors"][0]["line"].clone(),
            v["errors"][0]["field"].clone()
        ),
        (json!(4), json!("community_id"))
    );
    assert!(
        s.app
            .store()
            .records("rental_housing")
            .await
            .unwrap()
            .is_empty(),
        "all or nothing"
    );
    let (code, v) = post_csv(officer.clone(), path.clone(), "text/csv", good).await;
    assert_eq!(code, StatusCode::CREATED, "{v}");
    assert_eq!(v["imported"], 2);
    let (_, list) = s.get(&officer, "/community/ledgers/rental_housing").await;
    assert_eq!(list["entries"].as_array().unwrap().len(), 2);
    assert!(!list.to_string().contains("11010519491231002X"));
    let log = s.app.store().audit_log(2).await.unwrap();
    assert!(
        log.iter()
            .all(|e| e.action == "import" && e.actor == "officer")
    );
    // Staffing: one per community, in the file and against the store.
    let staffing = format!(
        "community_id,officer,auxiliaries,grid_workers,volunteer_teams\n{v1},王警官,2,5,红袖标:12\n{v1},李警官,1,3,\n"
    );
    let (code, v) = post_csv(
        officer.clone(),
        "/community/ledgers/staffing/import".into(),
        "text/csv",
        staffing,
    )
    .await;
    assert_eq!(
        (code, v["errors"][0]["line"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!(3)),
        "{v}"
    );

    // "两不办": a robbery in the station is owed to a unit until a transfer is filed.
    let (lat, lon) = s.point_in(mine);
    let (code, inc) = s
        .post(
            &officer,
            "/incidents",
            json!({"kind": "robbery", "lat": lat, "lon": lon}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{inc}");
    let id = inc["id"].as_i64().unwrap();
    let owed = |t: &Value| {
        t["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["kind"] == "incident" && x["id"] == json!(id.to_string()))
    };
    let (_, t) = s.get(&officer, "/community/tasks").await;
    assert!(owed(&t), "{t}");
    let (code, v) = s
        .post(&officer, "/community/transfers", json!({"incident_id": 999_999, "case_class": "criminal", "to_unit": "criminal_investigation", "summary": "抢劫"}))
        .await;
    assert_eq!(
        (code, v["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("incident_id")),
        "{v}"
    );
    let (code, v) = s
        .post(&officer, "/community/transfers", json!({"incident_id": id, "case_class": "criminal", "to_unit": "criminal_investigation", "summary": "抢劫"}))
        .await;
    assert_eq!(code, StatusCode::CREATED, "{v}");
    let (_, t) = s.get(&officer, "/community/tasks").await;
    assert!(!owed(&t), "filed: no longer owed");
    let admin = s.login("admin").await;
    let (_, src) = s
        .get(
            &admin,
            &format!(
                "/assessment/source?station={mine}&indicator=cases_transferred&{}",
                s.this_month()
            ),
        )
        .await;
    assert_eq!(
        src["metrics"]["incidents_transferred"]["records"],
        json!([id.to_string()]),
        "{src}"
    );
    let (code, fig) = s
        .get(&admin, &format!("/community/figures?{}", s.this_month()))
        .await;
    assert_eq!(code, StatusCode::OK, "{fig}");
    let kinds: Vec<&str> = fig["service"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "lost_property",
            "found_item",
            "missing_person",
            "livelihood"
        ]
    );
}

/// The briefing a user gets without naming a period follows the server's
/// clock in local time: the month just ended in the first 7 days of a month.
#[tokio::test]
async fn the_default_briefing_is_the_month_just_ended_in_a_months_first_days() {
    // (the server's instant, the default briefing's month, its first..last day)
    let cases = [
        // The first minute of December in UTC+8 is still 30 November in UTC.
        (
            "2026-12-01T00:00:30+08:00",
            "2026-11",
            "2026-11-01..2026-11-30",
        ),
        (
            "2026-12-07T23:59:00+08:00",
            "2026-11",
            "2026-11-01..2026-11-30",
        ),
        (
            "2026-12-08T00:00:01+08:00",
            "2026-12",
            "2026-12-01..2026-12-31",
        ),
        (
            "2027-01-01T00:30:00+08:00",
            "2026-12",
            "2026-12-01..2026-12-31",
        ),
        (
            "2028-02-29T12:00:00+08:00",
            "2028-02",
            "2028-02-01..2028-02-29",
        ),
    ];
    for (at, month, label) in cases {
        let s = spawn_at(server::Clock::parse_start(at).unwrap()).await;
        let token = s.login("analyst").await;
        let (code, cfg) = s.get(&token, "/config").await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(
            cfg["clock"]["default_briefing"],
            json!(month),
            "{at}: {cfg}"
        );
        assert_eq!(cfg["clock"]["briefing_grace_days"], json!(7));
        let now = dispatch::time::parse_rfc3339(cfg["clock"]["now"].as_str().unwrap()).unwrap();
        let want = dispatch::time::parse_rfc3339(at).unwrap();
        assert!(
            (now - want).abs() < 60_000,
            "{at}: the server's clock reads {}",
            cfg["clock"]["now"]
        );
        let briefing = format!("{}/api/v1/analysis/briefing", s.base);
        let html = test_support::text(&s.client, &briefing, Some(&token)).await;
        assert!(html.contains(label), "{at}: briefing is not for {label}");
        // A chosen period still wins.
        let html = test_support::text(
            &s.client,
            &format!("{briefing}?period=2026-10-01..2026-10-07"),
            Some(&token),
        )
        .await;
        assert!(
            html.contains("2026-10-01..2026-10-07"),
            "{at}: key-date briefing"
        );
    }
}

/// A bug that panics while holding the engine must not stop dispatch: the
/// lock is recovered, the engine reloaded from the store, nothing lost.
#[tokio::test]
async fn a_panic_holding_the_engine_does_not_stop_dispatch() {
    let s = spawn().await;
    let disp = s.login("dispatcher").await;
    let (lat, lon) = s.point_in(&s.stations()[0]);
    let (code, before) = s
        .post(
            &disp,
            "/incidents",
            json!({"kind": "theft", "lat": lat, "lon": lon}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{before}");
    let (code, got) = s.get(&disp, &format!("/incidents/{}", before["id"])).await;
    assert_eq!(code, StatusCode::OK, "before the panic: {got}");
    s.app.inject_panic_holding_engine();
    // Reads and commands go on; the incident acknowledged before is there.
    let (code, got) = s.get(&disp, &format!("/incidents/{}", before["id"])).await;
    assert_eq!(code, StatusCode::OK, "{got}");
    let (code, after) = s
        .post(
            &disp,
            "/incidents",
            json!({"kind": "noise", "lat": lat, "lon": lon}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{after}");
    assert!(after["id"].as_i64() > before["id"].as_i64());
    let (code, rec) = s
        .get(&disp, &format!("/incidents/{}/recommendation", after["id"]))
        .await;
    assert_eq!(code, StatusCode::OK, "{rec}");
    // The next acknowledged command is not lost by the reload behind it.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (code, got) = s.get(&disp, &format!("/incidents/{}", after["id"])).await;
    assert_eq!(code, StatusCode::OK, "after the reload: {got}");
}

/// A call taker's retry (a lost answer, a restart, another instance) with
/// the call's idempotency key gets the incident made the first time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_retried_with_its_key_is_one_incident() {
    let s = spawn().await;
    let disp = s.login("dispatcher").await;
    let (lat, lon) = s.point_in(&s.stations()[0]);
    let call =
        json!({"kind": "theft", "lat": lat, "lon": lon, "idempotency_key": "desk-3/call-17"});
    let (code, first) = s.post(&disp, "/incidents", call.clone()).await;
    assert_eq!(code, StatusCode::CREATED, "{first}");
    let (code, again) = s.post(&disp, "/incidents", call.clone()).await;
    assert_eq!(code, StatusCode::CREATED, "{again}");
    assert_eq!(again["id"], first["id"]);
    let (_, list) = s.get(&disp, "/incidents").await;
    let made = list["incidents"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|i| i["kind"] == "theft")
        .count();
    assert_eq!(made, 1, "{list}");
    // The key with another call: refused, naming the key.
    let (code, v) = s
        .post(
            &disp,
            "/incidents",
            json!({"kind": "noise", "lat": lat, "lon": lon, "idempotency_key": "desk-3/call-17"}),
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["field"], "idempotency_key", "{v}");
    let (code, v) = s
        .post(
            &disp,
            "/incidents",
            json!({"kind": "noise", "lat": lat, "lon": lon, "idempotency_key": ""}),
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "idempotency_key", "{v}");
    // The engine rebuilt from the store still knows the key.
    s.app.inject_panic_holding_engine();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (code, after) = s.post(&disp, "/incidents", call).await;
    assert_eq!(code, StatusCode::CREATED, "{after}");
    assert_eq!(after["id"], first["id"], "after the reload from the store");
}

/// The feed carries what the store committed, in commit order, each
/// incident message with its last event's sequence: under concurrent
/// commands no console sees an older state after a newer one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_publishes_in_commit_order_with_sequence_numbers() {
    let s = spawn().await;
    let disp = s.login("dispatcher").await;
    let url = format!(
        "{}/api/v1/feed?token={disp}",
        s.base.replace("http://", "ws://")
    );
    let mut sock = tokio_tungstenite::connect_async(url).await.unwrap().0;
    next_of_type(&mut sock, "hello").await;
    let (lat, lon) = s.point_in(&s.stations()[0]);
    let n = 40;
    let created: Vec<(StatusCode, Value)> = futures_util::future::join_all((0..n).map(|k| {
        s.post(
            &disp,
            "/incidents",
            json!({"kind": "noise", "lat": lat + k as f64 * 1e-6, "lon": lon}),
        )
    }))
    .await;
    assert!(created.iter().all(|(c, _)| *c == StatusCode::CREATED));
    let mut seen = Vec::new();
    while seen.len() < n {
        let m = next_of_type(&mut sock, "incident").await;
        seen.push((
            m["seq"].as_i64().expect("seq on every incident message"),
            m["incident"]["id"].as_i64().unwrap(),
        ));
    }
    assert!(
        seen.windows(2).all(|w| w[0].0 < w[1].0),
        "sequence numbers only rise: {seen:?}"
    );
    let mut ids: Vec<i64> = seen.iter().map(|x| x.1).collect();
    ids.sort();
    let mut want: Vec<i64> = created
        .iter()
        .map(|(_, v)| v["id"].as_i64().unwrap())
        .collect();
    want.sort();
    assert_eq!(ids, want, "every acknowledged incident was published once");
}

/// Percent-encodes a query parameter's value (every byte but letters and digits).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn places_are_found_as_typed_and_locate_a_call() {
    let s = spawn().await;
    let t = s.login("calltaker").await;
    let places = test_support::monaco_places();
    let street = places
        .iter()
        .find(|p| p.kind == places::Kind::Street && p.label == "Boulevard des Moulins")
        .expect("a street of Monaco");

    // Every prefix of the name from its first distinctive letter ("Boulevard"
    // alone is half the city), as it is typed, finds the street in the list.
    for n in "Boulevard des M".len()..=street.label.len() {
        let typed = &street.label[..n];
        let (code, r) = s
            .get(&t, &format!("/places/search?q={}&limit=10", enc(typed)))
            .await;
        assert_eq!(code, StatusCode::OK, "{typed}: {r}");
        let labels: Vec<&str> = r["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["label"].as_str().unwrap())
            .collect();
        assert!(
            labels.contains(&street.label.as_str()),
            "{typed:?}: {labels:?}"
        );
    }
    let (_, r) = s
        .get(
            &t,
            &format!("/places/search?q={}", enc("boulevard des moulins")),
        )
        .await;
    let top = &r["results"][0];
    assert_eq!(
        (top["label"].as_str(), top["kind"].as_str()),
        (Some("Boulevard des Moulins"), Some("street")),
        "{r}"
    );
    assert!(
        top["station_id"].is_string() && top["id"].as_str().unwrap().len() == 16,
        "{top}"
    );

    // Crossings in another written form; a typo.
    let crossing = places
        .iter()
        .find(|p| {
            p.kind == places::Kind::Intersection
                && p.label.contains(" & ")
                && !p.label.contains('\'')
        })
        .unwrap();
    let (a, b) = crossing.label.split_once(" & ").unwrap();
    let (_, r) = s
        .get(
            &t,
            &format!("/places/search?q={}", enc(&format!("{b} and {a}"))),
        )
        .await;
    let top = &r["results"][0];
    assert_eq!(top["kind"], "intersection", "{r}");
    let m = places::datum::meters(
        (top["lat"].as_f64().unwrap(), top["lon"].as_f64().unwrap()),
        (crossing.lat, crossing.lon),
    );
    assert!(m < 30.0, "{crossing:?} vs {top}");
    let (_, r) = s
        .get(
            &t,
            &format!("/places/search?q={}", enc("boulevard des moullins")),
        )
        .await;
    assert_eq!(r["results"][0]["label"], "Boulevard des Moulins", "{r}");

    // The registries' names: a community of the jurisdiction tree, a police office.
    let community = s
        .city
        .jurisdictions
        .iter()
        .find(|j| j.level == dispatch::Level::Community)
        .unwrap();
    let (_, r) = s
        .get(&t, &format!("/places/search?q={}", enc(&community.name_zh)))
        .await;
    assert_eq!(
        (
            r["results"][0]["label"].as_str(),
            r["results"][0]["kind"].as_str()
        ),
        (Some(community.name_zh.as_str()), Some("community")),
        "{r}"
    );
    let office = &s.city.offices[0];
    let (_, r) = s
        .get(&t, &format!("/places/search?q={}", enc(&office.name)))
        .await;
    assert_eq!(
        r["results"][0]["label"].as_str(),
        Some(office.name.as_str()),
        "{r}"
    );

    // Any bytes, any length: 200 and results or none; nothing for one Latin letter.
    for q in [
        "",
        "a",
        "%FF%FE%00",
        &"x".repeat(5000),
        "%F0%9F%9A%93%20%E2%80%AE",
        "'%3B%20DROP%20TABLE",
    ] {
        let (code, r) = s.get(&t, &format!("/places/search?q={q}")).await;
        assert_eq!(code, StatusCode::OK, "{q}: {r}");
        assert!(r["results"].is_array(), "{r}");
        if q.len() <= 1 {
            assert_eq!(r["results"].as_array().unwrap().len(), 0, "{q:?}");
        }
    }
    for (path, field) in [
        ("/places/search?q=rue&limit=0", "limit"),
        ("/places/search?q=rue&limit=51", "limit"),
        ("/places/search?q=rue&near=43.7", "near"),
        ("/places/search?q=rue&near=95,7.4", "near"),
        ("/places/search?q=rue&colour=red", "colour"),
        ("/places/reverse?lon=7.42", "lat"),
        ("/places/reverse?lat=43.73", "lon"),
        ("/places/reverse?lat=91&lon=7.42", "lat"),
        ("/places/reverse?lat=43.73&lon=181", "lon"),
        ("/places/reverse?lat=43.73&lon=7.42&datum=mars", "datum"),
    ] {
        let (code, r) = s.get(&t, path).await;
        assert_eq!(
            (code, r["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{path}: {r}"
        );
    }
    let (code, _) = s.get("not-a-token", "/places/search?q=rue").await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);

    // Reverse at a house number: the address, its street and a crossing, nearest first.
    let address = places
        .iter()
        .find(|p| p.kind == places::Kind::Address && p.label.starts_with("Boulevard"))
        .unwrap_or_else(|| {
            places
                .iter()
                .find(|p| p.kind == places::Kind::Address)
                .unwrap()
        });
    let (code, r) = s
        .get(
            &t,
            &format!("/places/reverse?lat={}&lon={}", address.lat, address.lon),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{r}");
    let results = r["results"].as_array().unwrap();
    assert_eq!(
        results[0]["label"].as_str(),
        Some(address.label.as_str()),
        "{r}"
    );
    assert_eq!(results[0]["meters"].as_f64(), Some(0.0));
    for kind in ["street", "intersection"] {
        assert!(results.iter().any(|x| x["kind"] == kind), "{kind}: {r}");
    }
    let metres: Vec<f64> = results
        .iter()
        .map(|x| x["meters"].as_f64().unwrap())
        .collect();
    assert!(metres.windows(2).all(|w| w[0] <= w[1]), "{metres:?}");
    assert!(
        r["readings"].is_null(),
        "no datum question outside China: {r}"
    );

    // A call located by a search result: its place, verified, with the jurisdiction.
    let (st, _) = (&s.stations()[0], ());
    let (plat, plon) = s.point_in(st);
    let (_, near) = s
        .get(&t, &format!("/places/reverse?lat={plat}&lon={plon}"))
        .await;
    let pick = near["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "street")
        .expect("a street near a post")
        .clone();
    let (code, inc) = s
        .post(
            &t,
            "/incidents",
            json!({"kind": "theft", "place_id": pick["id"]}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{inc}");
    let loc = &inc["location"];
    assert_eq!(
        (
            loc["verified"].as_bool(),
            loc["source"].as_str(),
            loc["datum"].as_str()
        ),
        (Some(true), Some("typed_address"), Some("wgs84")),
        "{inc}"
    );
    assert_eq!(
        (
            loc["label"].clone(),
            loc["place_id"].clone(),
            inc["address"].clone()
        ),
        (
            pick["label"].clone(),
            pick["id"].clone(),
            pick["label"].clone()
        )
    );
    assert_eq!(
        (inc["lat"].as_f64(), inc["lon"].as_f64()),
        (pick["lat"].as_f64(), pick["lon"].as_f64())
    );
    assert_eq!(loc["station"], inc["station_id"]);

    // Free text that matched nothing is kept, unverified, and listed for follow-up.
    let (code, loose) = s.post(&t, "/incidents", json!({"kind": "theft", "lat": plat, "lon": plon, "address": "behind the old bakery", "source": "typed_address"})).await;
    assert_eq!(code, StatusCode::CREATED, "{loose}");
    assert_eq!(loose["location"]["verified"], false);
    let (_, clicked) = s.post(&t, "/incidents", json!({"kind": "theft", "lat": plat, "lon": plon, "source": "map_click", "datum": "gcj02"})).await;
    assert_eq!(
        (
            clicked["location"]["verified"].as_bool(),
            clicked["location"]["source"].as_str()
        ),
        (Some(true), Some("map_click")),
        "{clicked}"
    );
    assert_eq!(
        clicked["lat"].as_f64(),
        Some(plat),
        "GCJ-02 is WGS-84 outside China"
    );
    let (_, list) = s.get(&t, "/incidents?unverified=true").await;
    let ids: Vec<i64> = list["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![loose["id"].as_i64().unwrap()], "{list}");

    let before = s.stored_incidents().await;
    for (body, field) in [
        (
            json!({"kind": "theft", "place_id": "0123456789abcdef"}),
            "place_id",
        ),
        (json!({"kind": "theft"}), "lat"),
        (json!({"kind": "theft", "lat": plat}), "lon"),
        (
            json!({"kind": "theft", "lat": plat, "lon": plon, "datum": "mars"}),
            "datum",
        ),
        (
            json!({"kind": "theft", "lat": plat, "lon": plon, "source": "pigeon"}),
            "source",
        ),
        (
            json!({"kind": "theft", "lat": plat, "lon": plon, "radius_m": -3}),
            "radius_m",
        ),
        (json!({"kind": "theft", "lat": 123, "lon": plon}), "lat"),
    ] {
        let (code, r) = s.post(&t, "/incidents", body.clone()).await;
        assert_eq!(
            (code, r["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}: {r}"
        );
    }
    assert_eq!(s.stored_incidents().await, before, "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standard_address_register_is_posted_whole_and_found() {
    let s = spawn().await;
    let admin = s.login("admin").await;
    let calltaker = s.login("calltaker").await;
    let post = |token: String, path: &'static str, ctype: &'static str, body: String| {
        let req = s
            .client
            .post(format!("{}/api/v1{path}", s.base))
            .bearer_auth(token)
            .header("content-type", ctype)
            .body(body);
        async move {
            let r = req.send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let (st, _) = (&s.stations()[0], ());
    let (lat, lon) = s.point_in(st);
    let register = format!(
        "full_address,lat,lon,code,road,house_number\n\
         平安市摩纳哥区海港社区 Boulevard Albert 1er 9号,{lat},{lon},MC-0009,Boulevard Albert 1er,9号\n\
         平安市摩纳哥区海港社区 Quai Antoine 1er 4号,{},{lon},MC-0004,Quai Antoine 1er,4号\n",
        lat + 0.001
    );

    // Only administrators replace the register; it must be CSV.
    let (code, _) = post(
        calltaker.clone(),
        "/places/addresses",
        "text/csv",
        register.clone(),
    )
    .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, r) = post(
        admin.clone(),
        "/places/addresses",
        "application/json",
        register.clone(),
    )
    .await;
    assert_eq!(code, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{r}");

    // Every bad line named with its field; nothing imported.
    let bad = "full_address,lat,lon\n平安市甲路1号,43.73,7.42\n,43.73,7.42\n平安市甲路3号,north,7.42\n平安市甲路5号,43.73,7.42,extra\n";
    let (code, r) = post(admin.clone(), "/places/addresses", "text/csv", bad.into()).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    let lines: Vec<(i64, &str)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_i64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        lines,
        vec![(3, "full_address"), (4, "lat"), (5, "csv")],
        "{r}"
    );
    let (code, r) = post(
        admin.clone(),
        "/places/addresses",
        "text/csv",
        "full_address,lat,lon\n".into(),
    )
    .await;
    assert_eq!(
        (code, r["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("csv")),
        "{r}"
    );
    let (code, r) = post(
        admin.clone(),
        "/places/addresses",
        "text/csv",
        "address,lat,lon\nx,1,2\n".into(),
    )
    .await;
    assert_eq!(
        (code, r["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("full_address")),
        "{r}"
    );
    assert!(s.app.store().imported_places().await.unwrap().is_empty());

    // Imported: durable, audited, and found at once, by any part (Chinese without spaces, the road and number, the code).
    let (code, r) = post(admin.clone(), "/places/addresses", "text/csv", register).await;
    assert_eq!(code, StatusCode::CREATED, "{r}");
    assert_eq!(
        (r["kind"].as_str(), r["imported"].as_i64()),
        (Some("standard_address"), Some(2))
    );
    assert_eq!(s.app.store().imported_places().await.unwrap().len(), 2);
    let (_, log) = s.get(&admin, "/audit?limit=1").await;
    assert_eq!(
        log["entries"][0]["kind"], "places:standard_address",
        "{log}"
    );
    for q in [
        "海港社区 albert 9",
        "摩纳哥区海港社区Boulevard Albert",
        "Boulevard Albert 1er 9号",
        "MC-0009",
    ] {
        let (_, r) = s
            .get(&calltaker, &format!("/places/search?q={}&limit=3", enc(q)))
            .await;
        let top = &r["results"][0];
        assert_eq!(
            (top["kind"].as_str(), top["label"].as_str()),
            (
                Some("standard_address"),
                Some("平安市摩纳哥区海港社区 Boulevard Albert 1er 9号")
            ),
            "{q}: {r}"
        );
        assert_eq!(top["station_id"].as_str(), Some(st.as_str()));
    }

    // Posting again replaces the register whole; markers are a file of their own.
    let (code, _) = post(
        admin.clone(),
        "/places/addresses",
        "text/csv",
        format!("full_address,lat,lon\n平安市摩纳哥区新路2号,{lat},{lon}\n"),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED);
    let (code, r) = post(
        admin.clone(),
        "/places/markers",
        "text/csv",
        format!("code,lat,lon\n0312-0457,{lat},{lon}\n"),
    )
    .await;
    assert_eq!(
        (code, r["imported"].as_i64()),
        (StatusCode::CREATED, Some(1)),
        "{r}"
    );
    let (_, r) = s
        .get(&calltaker, &format!("/places/search?q={}", enc("海港社区")))
        .await;
    assert!(
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["kind"] != "standard_address"),
        "the old register is gone: {r}"
    );
    let (_, r) = s
        .get(&calltaker, &format!("/places/search?q={}", enc("新路2号")))
        .await;
    assert_eq!(r["results"][0]["kind"], "standard_address", "{r}");
    let (_, r) = s.get(&calltaker, "/places/search?q=03120457").await;
    assert_eq!(
        (
            r["results"][0]["kind"].as_str(),
            r["results"][0]["label"].as_str()
        ),
        (Some("marker"), Some("0312-0457")),
        "{r}"
    );
    let kinds: Vec<String> = s
        .app
        .store()
        .imported_places()
        .await
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(kinds, vec!["marker", "standard_address"]);

    // The place's history at call entry: earlier and open incidents there, a
    // venue registered at the address, key persons as a count only.
    let (_, r) = s
        .get(&calltaker, &format!("/places/search?q={}", enc("新路2号")))
        .await;
    let place = r["results"][0]["id"].as_str().unwrap().to_string();
    let (_, empty) = s
        .get(&calltaker, &format!("/places/history?place_id={place}"))
        .await;
    assert_eq!(
        (empty["prior_count"].as_i64(), empty["key_persons"].as_i64()),
        (Some(0), Some(0)),
        "{empty}"
    );
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (_, inc) = s
            .post(
                &calltaker,
                "/incidents",
                json!({"kind": "theft", "place_id": place}),
            )
            .await;
        ids.push(inc["id"].as_i64().unwrap());
    }
    let community = s
        .app
        .jurisdictions()
        .resolve(dispatch::LatLon { lat, lon })
        .unwrap()
        .community_id
        .unwrap();
    let officer = s.login("officer").await;
    let (code, v) = s.post(&officer, "/community/ledgers/venue", json!({"community_id": community, "fields": {"name": "新路宾馆", "category": "hotel", "address": "新路 2 号"}})).await;
    assert_eq!(code, StatusCode::CREATED, "{v}");
    let (code, v) = s.post(&officer, "/community/ledgers/venue", json!({"community_id": community, "fields": {"name": "别处网吧", "category": "internet_cafe", "address": "旧路 9 号"}})).await;
    assert_eq!(code, StatusCode::CREATED, "{v}");
    let (code, v) = s.post(&officer, "/community/key-persons", json!({"community_id": community, "name": "王小明", "address": "新路2号", "category": "released_prisoner", "reason": "刑满释放"})).await;
    assert_eq!(code, StatusCode::CREATED, "{v}");
    let (code, h) = s
        .get(&calltaker, &format!("/places/history?place_id={place}"))
        .await;
    assert_eq!(code, StatusCode::OK, "{h}");
    let prior: Vec<i64> = h["prior"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_i64().unwrap())
        .collect();
    assert_eq!(prior, vec![ids[1], ids[0]], "newest first: {h}");
    let open: Vec<i64> = h["open_nearby"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_i64().unwrap())
        .collect();
    assert!(open.contains(&ids[0]) && open.contains(&ids[1]), "{h}");
    let venues: Vec<&str> = h["venues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(venues, vec!["新路宾馆"], "{h}");
    assert_eq!(h["key_persons"], 1, "{h}");
    assert!(!h.to_string().contains("王小明"), "no personal data: {h}");
    let (_, far) = s
        .get(
            &calltaker,
            &format!("/places/history?lat={}&lon={lon}&radius_m=20", lat + 0.01),
        )
        .await;
    assert_eq!(far["prior_count"], 0, "{far}");
    // The terminal of a unit sent there reads the same history on its order (without the
    // incident itself), and nothing of a place it is not sent to.
    let admin = s.login("admin").await;
    let (_, units) = s.get(&admin, "/units").await;
    let unit = units
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["status"] == json!("available"))
        .unwrap()["id"]
        .clone();
    s.post(&admin, "/users", json!({"username": "terminal-h", "password": "field-terminal-h", "role": "unit", "unit_id": unit})).await;
    let t = test_support::login(
        &s.client,
        &format!("{}/api/v1", s.base),
        "terminal-h",
        "field-terminal-h",
    )
    .await;
    let disp = s.login("dispatcher").await;
    let (code, r) = s
        .post(
            &disp,
            &format!("/incidents/{}/dispatch", ids[1]),
            json!({"unit_ids": [unit], "idempotency_key": "history"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{r}");
    let (code, th) = s.get(&t, &format!("/incidents/{}/history", ids[1])).await;
    assert_eq!(code, StatusCode::OK, "{th}");
    assert_eq!(
        (
            &th["prior_count"],
            &th["prior"][0]["id"],
            &th["key_persons"],
            &th["venues"][0]["name"]
        ),
        (&json!(1), &json!(ids[0]), &json!(1), &json!("新路宾馆")),
        "{th}"
    );
    assert!(!th.to_string().contains("王小明"), "no personal data: {th}");
    let (code, _) = s.get(&t, &format!("/incidents/{}/history", ids[0])).await;
    assert_eq!(code, StatusCode::NOT_FOUND, "not sent there");
    let (code, r) = s
        .get(&t, &format!("/incidents/{}/history?radius_m=1000", ids[1]))
        .await;
    assert_eq!(
        (code, r["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("radius_m")),
        "a terminal's history stays near: {r}"
    );
    for (path, field) in [
        ("/places/history?lat=43.7&lon=7.4&radius_m=0", "radius_m"),
        ("/places/history?lat=43.7&lon=7.4&days=0", "days"),
        ("/places/history?lon=7.4", "lat"),
        ("/places/history?place_id=nope", "place_id"),
    ] {
        let (code, r) = s.get(&calltaker, path).await;
        assert_eq!(
            (code, r["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{path}: {r}"
        );
    }
}

/// A field terminal's account belongs to one unit: it reads that unit, the
/// incidents it is sent to and routes, reports for it — and nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_account_reaches_its_own_unit_and_nothing_else() {
    let s = spawn().await;
    let admin = s.login("admin").await;
    let disp = s.login("dispatcher").await;
    let (_, units) = s.get(&admin, "/units").await;
    let units = units.as_array().unwrap();
    let (mine, other) = (&units[0], &units[1]);
    let me = mine["id"].as_str().unwrap();
    let account = |role: &str, unit_id: Option<&str>| json!({"username": format!("t-{}", me.to_lowercase()), "password": "field-terminal-1", "role": role, "unit_id": unit_id});
    for (body, field) in [
        (account("unit", None), "unit_id"),
        (account("unit", Some("no-such-unit")), "unit_id"),
        (account("dispatcher", Some(me)), "unit_id"),
    ] {
        let (code, e) = s.post(&admin, "/users", body).await;
        assert_eq!(
            (code, &e["field"]),
            (StatusCode::UNPROCESSABLE_ENTITY, &json!(field)),
            "{e}"
        );
    }
    let (code, made) = s.post(&admin, "/users", account("unit", Some(me))).await;
    assert_eq!(code, StatusCode::CREATED, "{made}");
    assert_eq!(
        made["scope"], mine["home_station"],
        "scoped to its unit's station"
    );
    let t = test_support::login(
        &s.client,
        &format!("{}/api/v1", s.base),
        made["username"].as_str().unwrap(),
        "field-terminal-1",
    )
    .await;
    let (_, who) = s.get(&t, "/auth/me").await;
    assert_eq!(
        (&who["role"], &who["unit_id"]),
        (&json!("unit"), &json!(me))
    );

    // Its own unit: read, status, position, reinforcement only once sent.
    assert_eq!(s.get(&t, &format!("/units/{me}")).await.0, StatusCode::OK);
    let (code, moved) = s
        .post(
            &t,
            &format!("/units/{me}/position"),
            json!({"lat": mine["lat"], "lon": mine["lon"]}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{moved}");
    let them = other["id"].as_str().unwrap();
    assert_eq!(
        s.get(&t, &format!("/units/{them}")).await.0,
        StatusCode::NOT_FOUND
    );
    for path in [
        format!("/units/{them}/status"),
        format!("/units/{them}/position"),
    ] {
        let (code, _) = s
            .post(
                &t,
                &path,
                json!({"status": "en_route", "lat": 0.0, "lon": 0.0}),
            )
            .await;
        assert!(
            code == StatusCode::NOT_FOUND || code == StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {code}"
        );
        assert_ne!(code, StatusCode::OK);
    }

    // Incidents: the one it is sent to, not another.
    let (lat, lon) = (mine["lat"].as_f64().unwrap(), mine["lon"].as_f64().unwrap());
    let (_, sent) = s
        .post(
            &disp,
            "/incidents",
            json!({"kind": "noise", "lat": lat, "lon": lon}),
        )
        .await;
    let (_, not_sent) = s
        .post(
            &disp,
            "/incidents",
            json!({"kind": "theft", "lat": other["lat"], "lon": other["lon"]}),
        )
        .await;
    let sent_id = sent["id"].as_i64().unwrap();
    let (code, d) = s
        .post(
            &disp,
            &format!("/incidents/{sent_id}/dispatch"),
            json!({"unit_ids": [me], "idempotency_key": "unit-acct"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{d}");
    let (code, inc) = s.get(&t, &format!("/incidents/{sent_id}")).await;
    assert_eq!(code, StatusCode::OK, "{inc}");
    assert_eq!(
        s.get(&t, &format!("/incidents/{}", not_sent["id"])).await.0,
        StatusCode::NOT_FOUND
    );
    let (code, st) = s
        .post(
            &t,
            &format!("/units/{me}/status"),
            json!({"status": "en_route"}),
        )
        .await;
    assert_eq!(
        (code, &st["status"]),
        (StatusCode::OK, &json!("en_route")),
        "{st}"
    );
    let (code, route) = s
        .get(
            &t,
            &format!("/route?from={},{}&to={},{}", lat, lon, lat + 0.002, lon),
        )
        .await;
    assert!(
        code == StatusCode::OK || code == StatusCode::UNPROCESSABLE_ENTITY,
        "{code} {route}"
    );

    // The dispatch is an order with a seq; acknowledged once, the incident shows when.
    let (code, orders) = s.get(&t, &format!("/units/{me}/orders")).await;
    assert_eq!(code, StatusCode::OK, "{orders}");
    let list = orders["orders"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{orders}");
    let order = &list[0];
    assert_eq!(
        (&order["kind"], &order["incident_id"], &order["acked_at"]),
        (&json!("dispatch"), &json!(sent_id), &Value::Null)
    );
    let seq = order["seq"].as_i64().unwrap();
    let acked_at = |inc: &Value| {
        inc["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["unit_id"] == json!(me))
            .unwrap()["acked_at"]
            .clone()
    };
    assert_eq!(acked_at(&inc), Value::Null);
    let (code, acked) = s
        .post(&t, &format!("/units/{me}/orders/{seq}/ack"), json!({}))
        .await;
    assert_eq!(code, StatusCode::OK, "{acked}");
    assert!(acked["acked_at"].is_string(), "{acked}");
    let (code, again) = s
        .post(&t, &format!("/units/{me}/orders/{seq}/ack"), json!({}))
        .await;
    assert_eq!(
        (code, &again["acked_at"]),
        (StatusCode::OK, &acked["acked_at"]),
        "a repeat changes nothing"
    );
    let (_, inc) = s.get(&disp, &format!("/incidents/{sent_id}")).await;
    assert_eq!(acked_at(&inc).as_str(), acked["acked_at"].as_str(), "{inc}");
    let acks = inc["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == json!("order_acknowledged"))
        .count();
    assert_eq!(acks, 1, "one acknowledgement in the timeline: {inc}");
    for path in [
        format!("/units/{me}/orders/{}/ack", seq + 100_000),
        format!("/units/{them}/orders/{seq}/ack"),
    ] {
        assert_eq!(
            s.post(&t, &path, json!({})).await.0,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        s.get(&t, &format!("/units/{them}/orders")).await.0,
        StatusCode::NOT_FOUND
    );
    // A release is the next order; after= gives exactly what was missed.
    let (code, r) = s
        .post(
            &disp,
            &format!("/incidents/{sent_id}/release"),
            json!({"unit_id": me}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{r}");
    let (_, missed) = s.get(&t, &format!("/units/{me}/orders?after={seq}")).await;
    let missed = missed["orders"].as_array().unwrap();
    assert_eq!(missed.len(), 1, "{missed:?}");
    assert_eq!(missed[0]["kind"], json!("release"));
    assert!(missed[0]["seq"].as_i64().unwrap() > seq);
    let (code, e) = s.get(&t, &format!("/units/{me}/orders?limit=0")).await;
    assert_eq!(
        (code, &e["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("limit"))
    );

    // Dispatching is not a terminal's: 403.
    for (path, body) in [
        (
            format!("/incidents/{}/dispatch", not_sent["id"]),
            json!({"unit_ids": [me], "idempotency_key": "x"}),
        ),
        (
            format!("/units/{me}/reassign"),
            json!({"incident_id": not_sent["id"], "idempotency_key": "y"}),
        ),
        (
            "/incidents".to_string(),
            json!({"kind": "noise", "lat": lat, "lon": lon}),
        ),
    ] {
        assert_eq!(
            s.post(&t, &path, body).await.0,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }

    // Every other read of the API is refused to it.
    let (_, doc) = s.get(&admin, "/openapi.json").await;
    let allowed = [
        "/api/v1/auth/me",
        "/api/v1/units/{id}",
        "/api/v1/incidents/{id}",
        "/api/v1/route",
        "/api/v1/terminal/settings",
        "/api/v1/config",
        "/api/v1/incidents/{id}/reports",
        "/api/v1/incidents/{id}/history",
    ];
    let (mut answered, mut tried) = (Vec::new(), 0);
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let Some(get) = ops.get("get") else { continue };
        if get.get("security").is_some_and(|s| s == &json!([{}]))
            || !path.starts_with("/api/v1")
            || allowed.contains(&path.as_str())
        {
            continue;
        }
        let concrete = path
            .trim_start_matches("/api/v1")
            .replace("{id}", &sent_id.to_string())
            .replace("{username}", "admin")
            .replace("{kind}", "residents");
        let concrete = if concrete.contains('{') {
            concrete.replace(['{', '}'], "")
        } else {
            concrete
        };
        let (code, _) = s.get(&t, &concrete).await;
        tried += 1;
        if code.is_success() {
            answered.push(format!("{path} -> {code}"));
        }
    }
    assert!(answered.is_empty(), "a unit account read: {answered:?}");
    assert!(tried >= 30, "the sweep reached {tried} reads");
}

/// A unit's terminal on the live feed: its orders as they are given, its
/// own incidents, nobody else's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_receives_its_orders_on_the_feed() {
    let s = spawn().await;
    let admin = s.login("admin").await;
    let disp = s.login("dispatcher").await;
    let (_, units) = s.get(&admin, "/units").await;
    let units = units.as_array().unwrap();
    let (mine, other) = (&units[2], &units[3]);
    let (me, them) = (mine["id"].as_str().unwrap(), other["id"].as_str().unwrap());
    let (code, _) = s
        .post(&admin, "/users", json!({"username": "terminal-2", "password": "field-terminal-2", "role": "unit", "unit_id": me}))
        .await;
    assert_eq!(code, StatusCode::CREATED);
    let t = test_support::login(
        &s.client,
        &format!("{}/api/v1", s.base),
        "terminal-2",
        "field-terminal-2",
    )
    .await;
    let url = format!(
        "{}/api/v1/feed?token={t}",
        s.base.replace("http://", "ws://")
    );
    let mut sock = tokio_tungstenite::connect_async(url).await.unwrap().0;
    let hello = next_of_type(&mut sock, "hello").await;
    assert_eq!(hello["user"], json!("terminal-2"));

    let place = |u: &Value| json!({"kind": "theft", "lat": u["lat"], "lon": u["lon"]});
    let (_, theirs) = s.post(&disp, "/incidents", place(other)).await;
    let (_, ours) = s.post(&disp, "/incidents", place(mine)).await;
    for (incident, unit, key) in [(&theirs, them, "feed-a"), (&ours, me, "feed-b")] {
        let (code, d) = s
            .post(
                &disp,
                &format!("/incidents/{}/dispatch", incident["id"]),
                json!({"unit_ids": [unit], "idempotency_key": key}),
            )
            .await;
        assert_eq!(code, StatusCode::OK, "{d}");
    }
    // The dispatch's messages, in whatever order they come: one order, its incident.
    let (mut order, mut inc) = (Value::Null, Value::Null);
    while order.is_null() || inc.is_null() {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(5), sock.next())
            .await
            .expect("a message within 5 s")
            .unwrap()
            .unwrap();
        let v: Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
        match v["type"].as_str() {
            Some("order") => order = v,
            Some("incident") => {
                assert_eq!(
                    v["incident"]["id"], ours["id"],
                    "only its own incident: {v}"
                );
                inc = v;
            }
            _ => {}
        }
    }
    assert_eq!(
        (&order["order"]["kind"], &order["order"]["incident_id"]),
        (&json!("dispatch"), &ours["id"]),
        "{order}"
    );
    let (_, listed) = s.get(&t, &format!("/units/{me}/orders")).await;
    assert_eq!(
        listed["orders"][0]["seq"], order["order"]["seq"],
        "the feed's order is the listed one"
    );
    let (code, _) = s
        .post(
            &disp,
            &format!("/incidents/{}/release", ours["id"]),
            json!({"unit_id": me}),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let release = next_of_type(&mut sock, "order").await;
    assert_eq!(release["order"]["kind"], json!("release"));
    assert!(release["order"]["seq"].as_i64() > order["order"]["seq"].as_i64());
}

/// A terminal's answers carry the device's time and a key: the timeline is
/// stamped when the officer tapped, a retry changes nothing, and answers
/// from the future or out of order are refused with the field named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_answers_at_its_own_time_once() {
    use dispatch::time::{format_rfc3339, parse_rfc3339};
    let s = spawn().await;
    let admin = s.login("admin").await;
    let disp = s.login("dispatcher").await;
    let (_, units) = s.get(&admin, "/units").await;
    let unit = &units.as_array().unwrap()[4];
    let me = unit["id"].as_str().unwrap();
    let (code, _) = s
        .post(&admin, "/users", json!({"username": "terminal-4", "password": "field-terminal-4", "role": "unit", "unit_id": me}))
        .await;
    assert_eq!(code, StatusCode::CREATED);
    let t = test_support::login(
        &s.client,
        &format!("{}/api/v1", s.base),
        "terminal-4",
        "field-terminal-4",
    )
    .await;
    let (_, inc) = s
        .post(
            &disp,
            "/incidents",
            json!({"kind": "theft", "lat": unit["lat"], "lon": unit["lon"]}),
        )
        .await;
    let id = inc["id"].as_i64().unwrap();
    let (_, d) = s
        .post(
            &disp,
            &format!("/incidents/{id}/dispatch"),
            json!({"unit_ids": [me], "idempotency_key": "dev-time"}),
        )
        .await;
    let sent = parse_rfc3339(d["incident"]["units"][0]["dispatched_at"].as_str().unwrap()).unwrap();
    let status = |status: &str, at: i64, key: &str| json!({"status": status, "at": format_rfc3339(at), "idempotency_key": key});
    let path = format!("/units/{me}/status");

    // En route, tapped one second after the order; the timeline says so.
    let en_route_at = sent + 1_000;
    let (code, u) = s
        .post(&t, &path, status("en_route", en_route_at, "k1"))
        .await;
    assert_eq!(
        (code, &u["status"]),
        (StatusCode::OK, &json!("en_route")),
        "{u}"
    );
    let timeline = |inc: &Value| -> Vec<Value> {
        inc["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["status"] == json!("en_route"))
            .cloned()
            .collect()
    };
    let (_, full) = s.get(&disp, &format!("/incidents/{id}")).await;
    let en_route = timeline(&full);
    assert_eq!(en_route.len(), 1, "{full}");
    assert_eq!(
        parse_rfc3339(en_route[0]["at"].as_str().unwrap()),
        Some(en_route_at)
    );
    assert!(
        en_route[0]["received_at"].is_string(),
        "the receipt time is kept too: {}",
        en_route[0]
    );

    // The same answer again (the terminal did not hear back): nothing changes.
    let (code, again) = s
        .post(&t, &path, status("en_route", en_route_at, "k1"))
        .await;
    assert_eq!(
        (code, &again["status"]),
        (StatusCode::OK, &json!("en_route"))
    );
    let (_, full) = s.get(&disp, &format!("/incidents/{id}")).await;
    assert_eq!(timeline(&full).len(), 1, "a retry adds nothing");
    let (code, e) = s
        .post(&t, &path, status("on_scene", en_route_at + 5_000, "k1"))
        .await;
    assert_eq!(
        (code, &e["field"]),
        (StatusCode::CONFLICT, &json!("idempotency_key")),
        "{e}"
    );

    // Out of order, from the future, malformed: refused, the field named.
    for (body, why) in [
        (
            status("on_scene", en_route_at - 500, "k2"),
            "older than the last change",
        ),
        (status("on_scene", sent + 3_600_000, "k3"), "an hour ahead"),
        (
            json!({"status": "on_scene", "at": "yesterday", "idempotency_key": "k4"}),
            "not a time",
        ),
    ] {
        let (code, e) = s.post(&t, &path, body).await;
        assert_eq!(
            (code, &e["field"]),
            (StatusCode::UNPROCESSABLE_ENTITY, &json!("at")),
            "{why}: {e}"
        );
    }
    let (_, u) = s.get(&t, &format!("/units/{me}")).await;
    assert_eq!(
        u["status"],
        json!("en_route"),
        "nothing refused was applied"
    );
    let (code, u) = s
        .post(&t, &path, status("on_scene", en_route_at + 60_000, "k5"))
        .await;
    assert_eq!(
        (code, &u["status"]),
        (StatusCode::OK, &json!("on_scene")),
        "{u}"
    );
}

/// Positions come as fleets send them: a batch of fixes at device times
/// (the newest wins, every one kept once in the track), OwnTracks with
/// HTTP Basic, and OsmAnd's query string or the Traccar client's JSON.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_arrive_in_batches_and_in_the_trackers_formats() {
    use dispatch::time::{format_rfc3339, parse_rfc3339};
    let s = spawn().await;
    let admin = s.login("admin").await;
    let (_, units) = s.get(&admin, "/units").await;
    let unit = &units.as_array().unwrap()[2];
    let me = unit["id"].as_str().unwrap().to_string();
    let (code, _) = s
        .post(&admin, "/users", json!({"username": "tracker-2", "password": "field-tracker-2", "role": "unit", "unit_id": me}))
        .await;
    assert_eq!(code, StatusCode::CREATED);
    let t = test_support::login(
        &s.client,
        &format!("{}/api/v1", s.base),
        "tracker-2",
        "field-tracker-2",
    )
    .await;
    let (lat, lon) = (unit["lat"].as_f64().unwrap(), unit["lon"].as_f64().unwrap());
    let (_, now) = s.get(&t, "/terminal/settings").await;
    assert_eq!(now["moving_every_s"], json!(5), "{now}");
    let t0 = parse_rfc3339(now["server_time"].as_str().unwrap()).unwrap() - 60_000;
    let fix = |dt: i64, dlat: f64| json!({"lat": lat + dlat, "lon": lon, "at": format_rfc3339(t0 + dt), "accuracy": 8.0, "speed": 9.5, "heading": 90.0});
    let path = format!("/units/{me}/position");

    // Out of order within the batch: the newest by device time wins.
    let (code, u) = s
        .post(
            &t,
            &path,
            json!([fix(20_000, 0.002), fix(0, 0.0), fix(10_000, 0.001)]),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{u}");
    assert!(
        (u["lat"].as_f64().unwrap() - (lat + 0.002)).abs() < 1e-9,
        "{u}"
    );
    assert_eq!(
        parse_rfc3339(u["position_at"].as_str().unwrap()),
        Some(t0 + 20_000)
    );
    // An older fix arriving late goes to the track, not to the unit.
    let (_, u) = s.post(&t, &path, fix(5_000, 0.0005)).await;
    assert!(
        (u["lat"].as_f64().unwrap() - (lat + 0.002)).abs() < 1e-9,
        "{u}"
    );
    // The same batch again (no answer heard): nothing is added.
    s.post(
        &t,
        &path,
        json!([fix(20_000, 0.002), fix(0, 0.0), fix(10_000, 0.001)]),
    )
    .await;
    let (code, track) = s
        .get(
            &admin,
            &format!("/units/{me}/track?from={}", format_rfc3339(t0 - 1)),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{track}");
    let times: Vec<i64> = track["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| parse_rfc3339(f["at"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(
        times,
        vec![t0, t0 + 5_000, t0 + 10_000, t0 + 20_000],
        "{track}"
    );
    assert_eq!(track["fixes"][0]["speed"], json!(9.5));
    // Paging: two at a time, on from `next`.
    let (_, page) = s
        .get(
            &admin,
            &format!("/units/{me}/track?from={}&limit=2", format_rfc3339(t0 - 1)),
        )
        .await;
    assert_eq!(page["fixes"].as_array().unwrap().len(), 2);
    let (_, rest) = s
        .get(
            &admin,
            &format!(
                "/units/{me}/track?from={}&limit=2",
                page["next"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(rest["fixes"][0]["at"], track["fixes"][2]["at"], "{rest}");

    // Bad fixes are refused whole, naming the fix.
    let future = json!({"lat": lat, "lon": lon, "at": format_rfc3339(t0 + 3_600_000)});
    let (code, e) = s.post(&t, &path, json!([fix(30_000, 0.0), future])).await;
    assert_eq!(
        (code, &e["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("fixes[1].at")),
        "{e}"
    );
    let (code, e) = s
        .post(&t, &path, json!([fix(30_000, 0.0), {"lat": lat}]))
        .await;
    assert_eq!(
        (code, &e["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("fixes[1].lon")),
        "{e}"
    );
    let (code, e) = s.post(&t, &path, json!({"lat": 91.0, "lon": lon})).await;
    assert_eq!(
        (code, &e["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("lat")),
        "{e}"
    );
    let (_, track) = s
        .get(
            &admin,
            &format!("/units/{me}/track?from={}", format_rfc3339(t0 - 1)),
        )
        .await;
    assert_eq!(
        track["fixes"].as_array().unwrap().len(),
        4,
        "a refused batch keeps nothing"
    );

    // OwnTracks, as its app sends it: HTTP Basic with the unit's account.
    let owntracks = |auth: (&str, &str), body: Value| {
        s.client
            .post(format!("{}/api/v1/owntracks", s.base))
            .basic_auth(auth.0, Some(auth.1))
            .json(&body)
            .send()
    };
    let tst = (t0 + 40_000) / 1000;
    let r = owntracks(("tracker-2", "field-tracker-2"), json!({"_type": "location", "lat": lat + 0.003, "lon": lon, "tst": tst, "acc": 12, "tid": "T2", "vel": 36, "batt": 80})).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap(), json!([]));
    let (_, u) = s.get(&admin, &format!("/units/{me}")).await;
    assert!(
        (u["lat"].as_f64().unwrap() - (lat + 0.003)).abs() < 1e-9,
        "{u}"
    );
    assert_eq!(
        parse_rfc3339(u["position_at"].as_str().unwrap()),
        Some(tst * 1000)
    );
    let r = owntracks(
        ("tracker-2", "wrong"),
        json!({"_type": "location", "lat": lat, "lon": lon, "tst": tst}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = owntracks(
        ("tracker-2", "field-tracker-2"),
        json!({"_type": "location", "lat": lat, "lon": lon}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], json!("tst"));
    let r = owntracks(
        ("tracker-2", "field-tracker-2"),
        json!({"_type": "lwt", "tst": tst}),
    )
    .await
    .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "other messages are answered and change nothing"
    );
    let r = owntracks(
        ("admin", PASSWORD),
        json!({"_type": "location", "lat": lat, "lon": lon, "tst": tst}),
    )
    .await
    .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "a staff account is no unit's tracker"
    );

    // OsmAnd: the query string (speed in knots), then the Traccar client's JSON.
    let url = format!(
        "{}/api/v1/osmand?id={}&lat={}&lon={lon}&timestamp={}&speed=10&bearing=45",
        s.base,
        me.to_lowercase(),
        lat + 0.004,
        (t0 + 50_000) / 1000
    );
    let r = s.client.post(&url).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let traccar = json!({"device_id": me, "location": {"timestamp": format_rfc3339(t0 + 60_000), "coords": {"latitude": lat + 0.005, "longitude": lon, "accuracy": 5, "speed": 3.0, "heading": 180}, "is_moving": true}});
    let r = s
        .client
        .post(format!("{}/api/v1/osmand", s.base))
        .bearer_auth(&t)
        .json(&traccar)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let r = s
        .client
        .get(format!(
            "{}/api/v1/osmand?id=someone-else&lat=1&lon=2",
            s.base
        ))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, track) = s
        .get(
            &admin,
            &format!("/units/{me}/track?from={}", format_rfc3339(t0 + 39_000)),
        )
        .await;
    let fixes = track["fixes"].as_array().unwrap();
    assert_eq!(fixes.len(), 3, "{track}");
    assert!(
        (fixes[0]["speed"].as_f64().unwrap() - 10.0).abs() < 1e-9,
        "36 km/h"
    );
    assert!(
        (fixes[1]["speed"].as_f64().unwrap() - 5.14444).abs() < 1e-3,
        "10 knots"
    );
    assert_eq!(fixes[2]["heading"], json!(180.0));

    // Another unit's position and track are not this terminal's.
    let other = units.as_array().unwrap()[3]["id"].as_str().unwrap();
    let (code, _) = s
        .post(
            &t,
            &format!("/units/{other}/position"),
            json!({"lat": lat, "lon": lon}),
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, _) = s.get(&t, &format!("/units/{other}/track")).await;
    assert_eq!(code, StatusCode::NOT_FOUND);

    // The crew log on to the car's terminal; the list is kept and counted.
    let (code, u) = s
        .call(
            &t,
            reqwest::Method::PUT,
            &format!("/units/{me}/crew"),
            Some(json!({"names": ["张伟 012345", "Li Na 012346"]})),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{u}");
    assert_eq!(
        (&u["crew"], &u["crew_names"][1]),
        (&json!(2), &json!("Li Na 012346"))
    );
    let (code, e) = s
        .call(
            &t,
            reqwest::Method::PUT,
            &format!("/units/{me}/crew"),
            Some(json!({"names": []})),
        )
        .await;
    assert_eq!(
        (code, &e["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("names"))
    );
    let (code, _) = s
        .call(
            &t,
            reqwest::Method::PUT,
            &format!("/units/{other}/crew"),
            Some(json!({"names": ["x"]})),
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

/// The conversation around an order: its delivery to the terminal's socket
/// is recorded, a dispatcher resends it, messages go both ways (one order
/// per unit for a station's), and a reinforcement request says how many
/// and why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_are_delivered_resent_and_talked_about() {
    let s = spawn().await;
    let admin = s.login("admin").await;
    let disp = s.login("dispatcher").await;
    let (_, units) = s.get(&admin, "/units").await;
    let unit = units.as_array().unwrap()[5].clone();
    let me = unit["id"].as_str().unwrap().to_string();
    let station = unit["home_station"].as_str().unwrap().to_string();
    s.post(&admin, "/users", json!({"username": "terminal-5", "password": "field-terminal-5", "role": "unit", "unit_id": me})).await;
    let t = test_support::login(
        &s.client,
        &format!("{}/api/v1", s.base),
        "terminal-5",
        "field-terminal-5",
    )
    .await;
    let ws = |token: &str| {
        format!(
            "{}/api/v1/feed?token={token}",
            s.base.replace("http://", "ws://")
        )
    };
    let mut sock = tokio_tungstenite::connect_async(ws(&t)).await.unwrap().0;
    next_of_type(&mut sock, "hello").await;
    let mut console = tokio_tungstenite::connect_async(ws(&disp)).await.unwrap().0;
    next_of_type(&mut console, "hello").await;

    let (_, inc) = s
        .post(
            &disp,
            "/incidents",
            json!({"kind": "theft", "lat": unit["lat"], "lon": unit["lon"]}),
        )
        .await;
    let id = inc["id"].as_i64().unwrap();
    s.post(
        &disp,
        &format!("/incidents/{id}/dispatch"),
        json!({"unit_ids": [me], "idempotency_key": "talk"}),
    )
    .await;
    let order = next_of_type(&mut sock, "order").await;
    let seq = order["order"]["seq"].as_i64().unwrap();
    // Delivered once it went out on the terminal's socket.
    let mut delivered = Value::Null;
    for _ in 0..50 {
        let (_, full) = s.get(&disp, &format!("/incidents/{id}")).await;
        delivered = full["units"][0]["delivered_at"].clone();
        if delivered.is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(delivered.is_string(), "delivery recorded on the incident");
    // The engine's view runs a commit ahead of the store: the list follows once durable.
    let mut listed = Value::Null;
    for _ in 0..50 {
        listed = s.get(&disp, &format!("/units/{me}/orders")).await.1;
        if listed["orders"][0]["delivered_at"].is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(listed["orders"][0]["delivered_at"], delivered, "{listed}");

    // Not acknowledged: the dispatcher sends it again, the terminal gets the same order.
    let (code, r) = s
        .post(
            &disp,
            &format!("/units/{me}/orders/{seq}/resend"),
            json!({}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{r}");
    let again = next_of_type(&mut sock, "order").await;
    assert_eq!(again["order"]["seq"], json!(seq));
    let (code, _) = s
        .post(&t, &format!("/units/{me}/orders/{seq}/resend"), json!({}))
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN, "a terminal resends nothing");
    s.post(&t, &format!("/units/{me}/orders/{seq}/ack"), json!({}))
        .await;
    let (code, _) = s
        .post(
            &disp,
            &format!("/units/{me}/orders/{seq}/resend"),
            json!({}),
        )
        .await;
    assert_eq!(
        code,
        StatusCode::CONFLICT,
        "an acknowledged order is not resent"
    );

    // A message to the unit is an order it acknowledges; its answer reaches the console.
    let (code, sent) = s
        .post(
            &disp,
            &format!("/units/{me}/messages"),
            json!({"text": "嫌疑人往北跑了 suspect ran north", "incident_id": id}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{sent}");
    let msg = next_of_type(&mut sock, "order").await;
    assert_eq!(
        (&msg["order"]["kind"], &msg["order"]["text"]),
        (
            &json!("message"),
            &json!("嫌疑人往北跑了 suspect ran north")
        ),
        "{msg}"
    );
    let (code, reply) = s
        .post(
            &t,
            &format!("/units/{me}/messages"),
            json!({"text": "收到 copy", "idempotency_key": "reply-1"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["messages"][0]["direction"], json!("from_unit"));
    // The outbox's retry of the same message sends nothing new; the key for another text is refused.
    let (code, again) = s
        .post(
            &t,
            &format!("/units/{me}/messages"),
            json!({"text": "收到 copy", "idempotency_key": "reply-1"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{again}");
    assert_eq!(again["messages"][0]["seq"], reply["messages"][0]["seq"]);
    let (code, e) = s
        .post(
            &t,
            &format!("/units/{me}/messages"),
            json!({"text": "another", "idempotency_key": "reply-1"}),
        )
        .await;
    assert_eq!(
        (code, &e["field"]),
        (StatusCode::CONFLICT, &json!("idempotency_key")),
        "{e}"
    );
    loop {
        let ev = next_of_type(&mut console, "event").await;
        if ev["event"]["event"] == json!("message_from_unit") {
            assert_eq!(ev["event"]["text"], json!("收到 copy"), "{ev}");
            break;
        }
    }
    let (_, talk) = s.get(&disp, &format!("/units/{me}/messages")).await;
    let dirs: Vec<&str> = talk["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["direction"].as_str().unwrap())
        .collect();
    assert_eq!(
        dirs,
        ["to_unit", "from_unit"],
        "one message for the retry: {talk}"
    );
    let (code, e) = s
        .post(&t, &format!("/units/{me}/messages"), json!({"text": "  "}))
        .await;
    assert_eq!(
        (code, &e["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("text"))
    );

    // A station's units each get the message as their own order.
    let of_station = units
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["home_station"] == json!(station))
        .count();
    let (code, all) = s
        .post(
            &disp,
            "/messages",
            json!({"station_id": station, "text": "交班 shift change at 18:00"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{all}");
    assert_eq!(all["messages"].as_array().unwrap().len(), of_station);
    let (code, e) = s
        .post(
            &disp,
            "/messages",
            json!({"station_id": "nowhere", "text": "x"}),
        )
        .await;
    assert_eq!(
        (code, &e["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("station_id"))
    );

    // On scene, the unit asks for two more and says why.
    for st in ["en_route", "on_scene"] {
        s.post(&t, &format!("/units/{me}/status"), json!({"status": st}))
            .await;
    }
    for _ in 0..2 {
        // The second is the outbox's retry: one request.
        let (code, rec) = s
            .post(
                &t,
                &format!("/units/{me}/reinforcement"),
                json!({"count": 2, "reason": "三人持械 three armed", "idempotency_key": "more-1"}),
            )
            .await;
        assert_eq!(code, StatusCode::OK, "{rec}");
    }
    let (_, full) = s.get(&disp, &format!("/incidents/{id}")).await;
    let asked: Vec<&Value> = full["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == json!("reinforcement_requested"))
        .collect();
    assert_eq!(asked.len(), 1, "{full}");
    assert_eq!(
        (&asked[0]["count"], &asked[0]["note"]),
        (&json!(2), &json!("三人持械 three armed"))
    );
    let (code, e) = s
        .post(
            &t,
            &format!("/units/{me}/reinforcement"),
            json!({"count": 0}),
        )
        .await;
    assert_eq!(
        (code, &e["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("count"))
    );
    // The units the dispatcher sends next are the answer: an order to the unit that asked.
    let helpers: Vec<Value> = units
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["id"] != json!(me) && u["status"] == json!("available"))
        .take(2)
        .map(|u| u["id"].clone())
        .collect();
    let (code, sent) = s
        .post(
            &disp,
            &format!("/incidents/{id}/dispatch"),
            json!({"unit_ids": helpers, "idempotency_key": "help"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{sent}");
    let answer = loop {
        let o = next_of_type(&mut sock, "order").await;
        if o["order"]["kind"] == json!("reinforcement") {
            break o;
        }
    };
    assert_eq!(answer["order"]["units"], json!(helpers), "{answer}");
    assert_eq!(answer["order"]["incident_id"], json!(id));
    let answer_seq = answer["order"]["seq"].as_i64().unwrap();
    let (code, acked) = s
        .post(
            &t,
            &format!("/units/{me}/orders/{answer_seq}/ack"),
            json!({}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{acked}");
    assert!(acked["acked_at"].is_string(), "{acked}");

    // The crew logs on; the outbox's retry changes nothing, the key for another crew is refused.
    let crew = json!({"names": ["张伟 031245", "李娜 031246"], "idempotency_key": "crew-1"});
    for _ in 0..2 {
        let (code, u) = s
            .call(
                &t,
                reqwest::Method::PUT,
                &format!("/units/{me}/crew"),
                Some(crew.clone()),
            )
            .await;
        assert_eq!((code, &u["crew"]), (StatusCode::OK, &json!(2)), "{u}");
    }
    let (code, e) = s
        .call(
            &t,
            reqwest::Method::PUT,
            &format!("/units/{me}/crew"),
            Some(json!({"names": ["王芳"], "idempotency_key": "crew-1"})),
        )
        .await;
    assert_eq!(
        (code, &e["field"]),
        (StatusCode::CONFLICT, &json!("idempotency_key"))
    );
    let (_, full) = s.get(&disp, &format!("/incidents/{id}")).await;
    let count = |name: &str| {
        full["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["event"] == json!(name))
            .count()
    };
    assert_eq!(
        count("reinforcement_requested"),
        1,
        "one request for the retry"
    );
    assert_eq!(count("reinforcement_answered"), 1, "{full}");
}

/// A report from the scene with photos: a retry is the same report, a photo
/// of the wrong type or size is refused before it is stored, and every read
/// of a photo is audited with its reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_reports_from_the_scene_with_photos() {
    let s = spawn().await;
    let admin = s.login("admin").await;
    let disp = s.login("dispatcher").await;
    let (_, units) = s.get(&admin, "/units").await;
    let (unit, other) = (units[6].clone(), units[7].clone());
    let me = unit["id"].as_str().unwrap().to_string();
    for (name, u) in [("terminal-6", &unit), ("terminal-7", &other)] {
        s.post(&admin, "/users", json!({"username": name, "password": "field-terminal-x", "role": "unit", "unit_id": u["id"]})).await;
    }
    let t = test_support::login(
        &s.client,
        &format!("{}/api/v1", s.base),
        "terminal-6",
        "field-terminal-x",
    )
    .await;
    let t7 = test_support::login(
        &s.client,
        &format!("{}/api/v1", s.base),
        "terminal-7",
        "field-terminal-x",
    )
    .await;
    let (_, inc) = s
        .post(
            &disp,
            "/incidents",
            json!({"kind": "theft", "lat": unit["lat"], "lon": unit["lon"]}),
        )
        .await;
    let id = inc["id"].as_i64().unwrap();
    s.post(
        &disp,
        &format!("/incidents/{id}/dispatch"),
        json!({"unit_ids": [me], "idempotency_key": "report"}),
    )
    .await;

    let body =
        json!({"text": "门锁被撬, 已拍照取证 lock forced, photos taken", "idempotency_key": "r-1"});
    let (code, r) = s
        .post(&t, &format!("/incidents/{id}/reports"), body.clone())
        .await;
    assert_eq!(code, StatusCode::CREATED, "{r}");
    let (code, again) = s.post(&t, &format!("/incidents/{id}/reports"), body).await;
    assert_eq!(
        (code, &again["id"]),
        (StatusCode::OK, &r["id"]),
        "a retry is the same report"
    );
    let (code, _) = s
        .post(
            &t7,
            &format!("/incidents/{id}/reports"),
            json!({"text": "x"}),
        )
        .await;
    assert_eq!(
        code,
        StatusCode::NOT_FOUND,
        "a unit not sent there cannot report on it"
    );
    let (code, e) = s
        .post(
            &t,
            &format!("/incidents/{id}/reports"),
            json!({"text": " "}),
        )
        .await;
    assert_eq!(
        (code, &e["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("text"))
    );

    let photo = |n: u32, ct: &str, bytes: Vec<u8>, token: &str| {
        s.client
            .put(format!(
                "{}/api/v1/incidents/{id}/reports/{}/photos/{n}",
                s.base,
                r["id"].as_str().unwrap()
            ))
            .bearer_auth(token)
            .header("Content-Type", ct)
            .body(bytes)
            .send()
    };
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    jpeg.extend(std::iter::repeat_n(7u8, 20_000));
    let png = b"\x89PNG\r\n\x1a\n0000".to_vec();
    assert_eq!(
        photo(1, "image/jpeg", jpeg.clone(), &t)
            .await
            .unwrap()
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        photo(1, "image/jpeg", jpeg.clone(), &t)
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "a retry changes nothing"
    );
    assert_eq!(
        photo(1, "image/png", png.clone(), &t)
            .await
            .unwrap()
            .status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        photo(2, "image/jpeg", png.clone(), &t)
            .await
            .unwrap()
            .status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "bytes that are not what they claim"
    );
    assert_eq!(
        photo(2, "text/html", b"<script>".to_vec(), &t)
            .await
            .unwrap()
            .status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let mut huge = vec![0xFF, 0xD8, 0xFF];
    huge.resize(5 * 1024 * 1024 + 10, 0);
    assert_eq!(
        photo(2, "image/jpeg", huge, &t).await.unwrap().status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        photo(11, "image/png", png.clone(), &t)
            .await
            .unwrap()
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        photo(2, "image/png", png.clone(), &t)
            .await
            .unwrap()
            .status(),
        StatusCode::CREATED
    );

    let (_, list) = s.get(&disp, &format!("/incidents/{id}/reports")).await;
    let photos = list["reports"][0]["photos"].as_array().unwrap();
    assert_eq!(
        photos
            .iter()
            .map(|p| p["content_type"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["image/jpeg", "image/png"],
        "only what was accepted is kept: {list}"
    );
    let url = format!("{}{}", s.base, photos[0]["url"].as_str().unwrap());
    let r = s.client.get(&url).bearer_auth(&disp).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "no reason, no photo"
    );
    let r = s
        .client
        .get(format!("{url}?reason=核实现场"))
        .bearer_auth(&disp)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().to_vec(), jpeg);
    let log = s.app.store().audit_log(10).await.unwrap();
    assert!(
        log.iter().any(|e| e.kind == "report_photo"
            && e.actor == "dispatcher"
            && e.reason.as_deref() == Some("核实现场")),
        "{log:?}"
    );
    let (_, full) = s.get(&disp, &format!("/incidents/{id}")).await;
    assert!(
        full["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == json!("report_filed")),
        "the timeline says a report came"
    );
}

/// The identity check (核查身份): one query across the registers by identity
/// number (either form), phone or name, in the caller's jurisdiction, masked
/// unless the caller keeps the registers, audited with its reason first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_check_across_the_registers() {
    let s = spawn().await;
    let stations = s.stations();
    let (mine, other) = (&stations[0], &stations[1]);
    let community_of = |station: &str| {
        s.city
            .jurisdictions
            .iter()
            .find(|j| {
                j.level == dispatch::Level::Community && j.parent_id.as_deref() == Some(station)
            })
            .unwrap()
            .id
            .clone()
    };
    let (my_village, other_village) = (community_of(mine), community_of(other));
    let admin = s.login("admin").await;
    s.post(&admin, "/users", json!({"username": "officer2", "password": PASSWORD, "role": "station_officer", "scope": other})).await;
    let officer = s.login("officer").await;
    let officer2 = s.login("officer2").await;
    let dispatcher = s.login("dispatcher").await;
    let resident = json!({"community_id": my_village, "fields": {"name": "王小明", "id_number": "11010519491231002X",
        "address": "幸福路 8 号", "phone": "138 0013 8000", "household": "registered"}});
    let (code, v) = s
        .post(&officer, "/community/ledgers/resident", resident)
        .await;
    assert_eq!(code, StatusCode::CREATED, "{v}");
    let resident_id = v["id"].as_str().unwrap().to_string();
    let (code, v) = s
        .post(
            &officer,
            "/community/ledgers/rental_housing",
            json!({"community_id": my_village, "fields": {
        "address": "人民路 3 号", "landlord": "李四", "registered_on": "2026-11-01",
        "tenants": [{"name": "王小明", "from": "2026-11-01", "id_number": "110105491231002"}]}}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{v}");
    let (code, v) = s.post(&officer2, "/community/ledgers/floating_population", json!({"community_id": other_village, "fields": {
        "name": "王小红", "origin": "河南省周口市", "address": "建设街 5 号", "registered_on": "2026-10-01"}})).await;
    assert_eq!(code, StatusCode::CREATED, "{v}");

    // By number in its first-generation form: the resident and the tenant, whole for the officer.
    let (code, r) = s
        .get(&officer, "/people/search?q=110105491231002&reason=核查身份")
        .await;
    assert_eq!(code, StatusCode::OK, "{r}");
    let hits = r["results"].as_array().unwrap();
    let registers: Vec<(&str, &str)> = hits
        .iter()
        .map(|h| {
            (
                h["register"].as_str().unwrap(),
                h["matched"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        registers,
        [
            ("rental_housing", "tenants[0].id_number"),
            ("resident", "id_number")
        ],
        "{r}"
    );
    assert_eq!(hits[1]["id"], json!(resident_id));
    assert_eq!(hits[1]["summary"]["name"], json!("王小明"), "{r}");
    assert_eq!(hits[1]["masked"], json!(false));
    // By phone as the caller gave it; a dispatcher sees it masked.
    let (code, r) = s
        .get(
            &dispatcher,
            &format!(
                "/people/search?q={}&reason=核查身份",
                enc("+86 138-0013-8000")
            ),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{r}");
    assert_eq!(r["query_kind"], json!("phone"));
    assert_eq!(r["results"][0]["summary"]["name"], json!("王**"), "{r}");
    assert_eq!(r["results"][0]["masked"], json!(true));
    assert!(!r.to_string().contains("11010519491231002X"), "masked: {r}");
    // By name's beginning: only in the caller's jurisdiction.
    let (_, r) = s
        .get(
            &admin,
            &format!("/people/search?q={}&reason=核查身份", enc("王小")),
        )
        .await;
    assert_eq!(r["results"].as_array().unwrap().len(), 3, "{r}");
    let (_, r) = s
        .get(
            &officer,
            &format!("/people/search?q={}&reason=核查身份", enc("王小")),
        )
        .await;
    let found: Vec<&str> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["register"].as_str().unwrap())
        .collect();
    assert_eq!(
        found,
        ["rental_housing", "resident"],
        "not the other station's: {r}"
    );

    // From an incident, its id is the reason; audited before anything is returned.
    let (_, units) = s.get(&admin, "/units").await;
    let (_, inc) = s
        .post(
            &dispatcher,
            "/incidents",
            json!({"kind": "theft", "lat": units[0]["lat"], "lon": units[0]["lon"]}),
        )
        .await;
    let id = inc["id"].as_i64().unwrap();
    let (code, r) = s
        .get(
            &dispatcher,
            &format!("/people/search?q=13800138000&incident_id={id}"),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{r}");
    let log = s.app.store().audit_log(5).await.unwrap();
    assert!(
        log.iter().any(|e| e.action == "identity_check"
            && e.reason.as_deref() == Some(&format!("incident #{id}"))
            && e.actor == "dispatcher"),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|e| e.action == "identity_check_hit" && e.record_id == resident_id)
    );

    // Bad input names the parameter; a terminal may not check identities.
    for (path, field) in [
        ("/people/search?q=13800138000".to_string(), "reason"),
        ("/people/search?reason=核查".to_string(), "q"),
        (
            "/people/search?q=110105194912310021&reason=核查".to_string(),
            "q",
        ),
        (
            format!("/people/search?q={}&reason=核查", "名".repeat(51)),
            "q",
        ),
        (
            "/people/search?q=x&reason=核查&limit=500".to_string(),
            "limit",
        ),
        (
            "/people/search?q=x&reason=核查&colour=red".to_string(),
            "colour",
        ),
    ] {
        let (code, r) = s.get(&officer, &path).await;
        assert_eq!(
            (code, r["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{path}: {r}"
        );
    }
    s.post(&admin, "/users", json!({"username": "terminal-p", "password": "field-terminal-p", "role": "unit", "unit_id": units[0]["id"]})).await;
    let t = test_support::login(
        &s.client,
        &format!("{}/api/v1", s.base),
        "terminal-p",
        "field-terminal-p",
    )
    .await;
    let (code, _) = s.get(&t, "/people/search?q=13800138000&reason=核查").await;
    assert_eq!(code, StatusCode::FORBIDDEN);
}

/// Every register's list filters, sorts and pages in the database: a walk
/// with the keyset cursor meets each record once, newest first, and a new
/// record does not shift the pages; filters the list has not are refused
/// by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_with_a_cursor_and_filter_in_the_database() {
    let s = spawn().await;
    let stations = s.stations();
    let (mine, other) = (&stations[0], &stations[1]);
    let villages: Vec<String> = s
        .city
        .jurisdictions
        .iter()
        .filter(|j| j.level == dispatch::Level::Community && j.parent_id.as_deref() == Some(mine))
        .map(|j| j.id.clone())
        .take(2)
        .collect();
    let officer = s.login("officer").await;
    let mut csv = String::from("community_id,name,address,address_code,household\n");
    for n in 0..25 {
        let code = if n % 5 == 0 { "320506-001-0001" } else { "" };
        csv.push_str(&format!(
            "{},居民{n},幸福路 {n} 号,{code},registered\n",
            villages[n % 2]
        ));
    }
    let r = s
        .client
        .post(format!(
            "{}/api/v1/community/ledgers/resident/import",
            s.base
        ))
        .bearer_auth(&officer)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let walk = |query: String, from: Option<String>| {
        let s = &s;
        let officer = officer.clone();
        async move {
            let mut seen: Vec<String> = Vec::new();
            let mut cursor: Option<String> = from;
            loop {
                let path = match &cursor {
                    Some(c) => format!("{query}&cursor={}", enc(c)),
                    None => query.clone(),
                };
                let (code, page) = s.get(&officer, &path).await;
                assert_eq!(code, StatusCode::OK, "{page}");
                seen.extend(
                    page["entries"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| e["id"].as_str().unwrap().to_string()),
                );
                match page["next"].as_str() {
                    Some(c) => cursor = Some(c.to_string()),
                    None => break seen,
                }
            }
        }
    };
    let all = walk("/community/ledgers/resident?limit=10".into(), None).await;
    assert_eq!(all.len(), 25);
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 25, "each once: {all:?}");
    // The first page, then a new record, then the rest: nothing twice, nothing skipped.
    let (_, first) = s
        .get(&officer, "/community/ledgers/resident?limit=10")
        .await;
    let (code, _) = s
        .post(&officer, "/community/ledgers/resident", json!({"community_id": villages[0], "fields": {"name": "新人", "address": "幸福路 99 号", "household": "registered"}}))
        .await;
    assert_eq!(code, StatusCode::CREATED);
    let rest = walk(
        "/community/ledgers/resident?limit=10".into(),
        first["next"].as_str().map(str::to_string),
    )
    .await;
    let firsts: Vec<String> = first["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!([firsts, rest].concat(), all);
    // Filters.
    let (_, v2) = s
        .get(
            &officer,
            &format!(
                "/community/ledgers/resident?community={}&limit=1000",
                villages[1]
            ),
        )
        .await;
    assert_eq!(v2["entries"].as_array().unwrap().len(), 12, "{v2}");
    assert!(
        v2["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["community_id"] == villages[1].as_str())
    );
    let (_, at) = s
        .get(
            &officer,
            "/community/ledgers/resident?address_code=320506-001-0001",
        )
        .await;
    assert_eq!(at["entries"].as_array().unwrap().len(), 5, "{at}");
    assert_eq!(at["next"], Value::Null);
    // Refusals name the field.
    for (query, code, field) in [
        (
            format!("station={other}"),
            StatusCode::FORBIDDEN,
            Value::Null,
        ),
        (
            "station=nowhere".to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            json!("station"),
        ),
        (
            "cursor=nonsense".to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            json!("cursor"),
        ),
        (
            "status=open".to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            json!("status"),
        ),
        (
            "limit=0".to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            json!("limit"),
        ),
    ] {
        let (got, v) = s
            .get(&officer, &format!("/community/ledgers/resident?{query}"))
            .await;
        assert_eq!(got, code, "{query}: {v}");
        if !field.is_null() {
            assert_eq!(v["field"], field, "{query}: {v}");
        }
    }
    let (code, v) = s.get(&officer, "/community/leads?status=pending").await;
    assert_eq!(
        (code, v["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("status")),
        "{v}"
    );
    // Transfers page and filter by status the same way.
    for n in 0..3 {
        let (code, v) = s
            .post(&officer, "/community/transfers", json!({"case_class": "criminal", "to_unit": "criminal_investigation", "summary": format!("案件 {n}")}))
            .await;
        assert_eq!(code, StatusCode::CREATED, "{v}");
    }
    let (_, page) = s
        .get(&officer, "/community/transfers?limit=2&status=pending")
        .await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 2);
    let (_, rest) = s
        .get(
            &officer,
            &format!(
                "/community/transfers?limit=2&status=pending&cursor={}",
                enc(page["next"].as_str().unwrap())
            ),
        )
        .await;
    assert_eq!(
        (
            rest["entries"].as_array().unwrap().len(),
            rest["next"].clone()
        ),
        (1, Value::Null)
    );
    let (_, none) = s
        .get(&officer, "/community/transfers?status=accepted")
        .await;
    assert!(none["entries"].as_array().unwrap().is_empty());
}

/// Standard addresses join the registers: a located call carries its
/// standard address's code; the place's history counts who is registered
/// there (no one's data), and the identity check by `address_code` lists
/// them, masked by role, in the caller's jurisdiction, audited with its reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standard_addresses_join_the_registers_to_calls() {
    let s = spawn().await;
    let stations = s.stations();
    let (mine, other) = (&stations[0], &stations[1]);
    let (lat, lon) = s.point_in(mine);
    let village = s
        .app
        .jurisdictions()
        .resolve(dispatch::LatLon { lat, lon })
        .unwrap()
        .community_id
        .unwrap();
    let admin = s.login("admin").await;
    let r = s
        .client
        .post(format!("{}/api/v1/places/addresses", s.base))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body(format!(
            "full_address,lat,lon,code\n平安市幸福路8号,{lat},{lon},SA-0008\n平安市幸福路9号,{},{lon},SA-0009\n",
            lat + 0.0005
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    s.post(&admin, "/users", json!({"username": "officer2", "password": PASSWORD, "role": "station_officer", "scope": other})).await;
    let officer = s.login("officer").await;
    let at = |code: &str, fields: Value| {
        let mut f = fields;
        f["address_code"] = json!(code);
        json!({"community_id": village, "fields": f})
    };
    for (ledger, code, fields) in [
        (
            "resident",
            "SA-0008",
            json!({"name": "王小明", "address": "幸福路 8 号", "household": "registered"}),
        ),
        (
            "resident",
            "SA-0008",
            json!({"name": "李小红", "address": "幸福路 8 号", "household": "registered"}),
        ),
        (
            "resident",
            "SA-0009",
            json!({"name": "张三", "address": "幸福路 9 号", "household": "registered"}),
        ),
        (
            "rental_housing",
            "SA-0008",
            json!({"address": "幸福路 8 号", "landlord": "王小明", "registered_on": "2026-11-01", "tenants": []}),
        ),
        (
            "venue",
            "SA-0008",
            json!({"name": "幸福宾馆", "category": "hotel", "address": "幸福路 8 号"}),
        ),
    ] {
        let (code, v) = s
            .post(
                &officer,
                &format!("/community/ledgers/{ledger}"),
                at(code, fields),
            )
            .await;
        assert_eq!(code, StatusCode::CREATED, "{ledger}: {v}");
    }

    // The call is located at the standard address: the incident keeps its code.
    let calltaker = s.login("calltaker").await;
    let (_, found) = s.get(&calltaker, "/places/search?q=SA-0008").await;
    assert_eq!(
        found["results"][0]["label"],
        json!("平安市幸福路8号"),
        "{found}"
    );
    let place = found["results"][0]["id"].as_str().unwrap().to_string();
    let (code, inc) = s
        .post(
            &calltaker,
            "/incidents",
            json!({"kind": "dispute", "place_id": place}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{inc}");
    let id = inc["id"].as_i64().unwrap();
    let (_, full) = s.get(&calltaker, &format!("/incidents/{id}")).await;
    assert_eq!(full["location"]["address_code"], json!("SA-0008"), "{full}");

    // Its history counts the registers' records at the address, and names the venue.
    let (code, h) = s.get(&calltaker, &format!("/incidents/{id}/history")).await;
    assert_eq!(code, StatusCode::OK, "{h}");
    assert_eq!(h["address_code"], json!("SA-0008"));
    assert_eq!(
        h["registered"],
        json!([{"register": "rental_housing", "count": 1}, {"register": "resident", "count": 2}, {"register": "venue", "count": 1}]),
        "{h}"
    );
    assert_eq!(h["venues"][0]["name"], json!("幸福宾馆"), "{h}");
    assert!(
        !h.to_string().contains("王小明"),
        "counts, no personal data: {h}"
    );
    let (_, h) = s
        .get(&calltaker, &format!("/places/history?place_id={place}"))
        .await;
    assert_eq!(h["registered"][1]["count"], json!(2), "{h}");

    // Who is registered there: the identity check by address, the incident the reason.
    let dispatcher = s.login("dispatcher").await;
    let (code, r) = s
        .get(
            &dispatcher,
            &format!("/people/search?address_code=SA-0008&incident_id={id}"),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{r}");
    assert_eq!(r["query_kind"], json!("address_code"));
    let hits = r["results"].as_array().unwrap();
    let registers: Vec<&str> = hits
        .iter()
        .map(|h| h["register"].as_str().unwrap())
        .collect();
    assert_eq!(
        registers,
        ["rental_housing", "resident", "resident", "venue"],
        "{r}"
    );
    assert!(
        hits.iter().all(|h| h["matched"] == json!("address_code")
            && h["place"]["label"] == json!("平安市幸福路8号")
            && h["place"]["code"] == json!("SA-0008")),
        "{r}"
    );
    assert!(
        !r.to_string().contains("王小明") && r.to_string().contains("王**"),
        "masked for a dispatcher: {r}"
    );
    let (_, r) = s
        .get(
            &officer,
            "/people/search?address_code=SA-0008&reason=走访核查&limit=2",
        )
        .await;
    assert_eq!(r["results"].as_array().unwrap().len(), 2, "{r}");
    assert_eq!(r["results"][0]["masked"], json!(false));
    let log = s.app.store().audit_log(10).await.unwrap();
    assert!(
        log.iter().any(|e| e.action == "identity_check"
            && e.record_id == "address_code:SA-0008"
            && e.reason.as_deref() == Some("走访核查")),
        "{log:?}"
    );
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "identity_check_hit" && e.actor == "officer")
            .count(),
        2,
        "each record shown is audited: {log:?}"
    );
    // Another station's officer finds no one there.
    let officer2 = s.login("officer2").await;
    let (code, r) = s
        .get(&officer2, "/people/search?address_code=SA-0008&reason=核查")
        .await;
    assert_eq!(
        (code, r["results"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(0)),
        "{r}"
    );
    // One way in at a time, and a code of sensible length.
    for (path, field) in [
        (
            "/people/search?address_code=SA-0008&q=王小明&reason=核查".to_string(),
            "address_code",
        ),
        (
            format!(
                "/people/search?address_code={}&reason=核查",
                "9".repeat(101)
            ),
            "address_code",
        ),
        ("/people/search?address_code=SA-0008".to_string(), "reason"),
    ] {
        let (code, r) = s.get(&officer, &path).await;
        assert_eq!(
            (code, r["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{path}: {r}"
        );
    }
}
