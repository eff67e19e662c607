//! One conformance suite, run on SQLite and on a real PostgreSQL server.
//!
//! PostgreSQL: `PINGAN_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/postgres`)
//! names an administrative connection; each run creates and drops its own database.
//! It is never skipped silently: without a server the test fails and says how to start one.

use std::sync::Arc;

use dispatch::engine::Snapshot;
use dispatch::{
    Config, Engine, IncidentStatus, Jurisdiction, Jurisdictions, Level, NewIncident, StraightLine,
    Unit, UnitKind, UnitStatus,
};
use store::{AuditEntry, CommunityRecord, SessionRecord, Store, UserRecord};

fn square(id: &str, level: Level, parent: Option<&str>, x0: f64, x1: f64) -> Jurisdiction {
    Jurisdiction {
        id: id.into(),
        level,
        parent_id: parent.map(str::to_string),
        name_zh: format!("{id}派出所"),
        name_en: Some(id.into()),
        polygon: vec![vec![vec![
            [x0, 0.0],
            [x1, 0.0],
            [x1, 0.1],
            [x0, 0.1],
            [x0, 0.0],
        ]]],
        seat: Some([x0, 0.05]),
    }
}

fn tree() -> Vec<Jurisdiction> {
    vec![
        square("city", Level::CityBureau, None, 0.0, 0.2),
        square("b1", Level::Bureau, Some("city"), 0.0, 0.2),
        square("s1", Level::Station, Some("b1"), 0.0, 0.1),
        square("s2", Level::Station, Some("b1"), 0.1, 0.2),
    ]
}

fn units() -> Vec<Unit> {
    (0..6)
        .map(|n| Unit {
            id: format!("u{n}"),
            callsign: format!("巡{n}"),
            kind: if n == 5 {
                UnitKind::SpecialPolice
            } else {
                UnitKind::PatrolCar
            },
            home_station: if n % 2 == 0 { "s1".into() } else { "s2".into() },
            crew: 2,
            capabilities: vec!["armed".into()],
            status: UnitStatus::Available,
            lat: 0.05,
            lon: 0.02 + 0.03 * n as f64,
            position_at: 0,
            status_at: 0,
            crew_names: Vec::new(),
            incident_id: None,
            post_id: None,
        })
        .collect()
}

fn engine(snapshot: Snapshot) -> Engine {
    let j = Arc::new(Jurisdictions::new(tree()).unwrap());
    Engine::new(
        Config::default(),
        j,
        Box::new(StraightLine { speed_mps: 12.0 }),
        snapshot,
    )
}

fn call(n: usize) -> NewIncident {
    NewIncident {
        kind: ["theft", "dispute", "robbery"][n % 3].into(),
        lat: 0.01 + 0.0007 * (n % 100) as f64,
        lon: 0.005 + 0.0019 * (n % 97) as f64,
        address: Some(format!("人民路 {n} 号")),
        caller_name: Some("王五".into()),
        caller_phone: Some(format!("1390000{n:04}")),
        ..Default::default()
    }
}

async fn suite(url: &str) {
    let s = Store::open(url, "agency-a").await.unwrap();
    let empty = s.load().await.unwrap();
    assert!(empty.incidents.is_empty() && empty.units.is_empty() && empty.max_seq == 0);
    assert!(s.check().await.unwrap().is_empty());

    // Setup records round-trip.
    s.put_jurisdictions(&tree()).await.unwrap();
    assert_eq!(s.jurisdictions().await.unwrap(), tree());
    s.put_units(&units()).await.unwrap();
    let user = UserRecord {
        username: "张警官".into(),
        role: "dispatcher".into(),
        scope: Some("s1".into()),
        display_name: "Zhang".into(),
        password_hash: "$argon2id$x".into(),
        disabled: false,
        unit_id: Some("B1-S01-P1".into()),
    };
    s.put_user(&user).await.unwrap();
    assert_eq!(s.user("张警官").await.unwrap(), Some(user.clone()));
    s.put_user(&UserRecord {
        disabled: true,
        unit_id: None,
        ..user.clone()
    })
    .await
    .unwrap();
    let updated = s.user("张警官").await.unwrap().unwrap();
    assert!(updated.disabled && updated.unit_id.is_none(), "{updated:?}");
    assert_eq!(s.user("nobody").await.unwrap(), None);
    let sess = SessionRecord {
        token_hash: "abc".into(),
        username: "张警官".into(),
        created_at: 1,
        expires_at: 99,
        revoked_at: None,
    };
    s.put_session(&sess).await.unwrap();
    assert_eq!(s.session("abc").await.unwrap(), Some(sess.clone()));
    assert_eq!(s.revoke(None, Some("张警官"), 5).await.unwrap(), 1);
    assert_eq!(s.session("abc").await.unwrap().unwrap().revoked_at, Some(5));
    let office = dispatch::PoliceOffice {
        id: "c1-O".into(),
        name: "一村警务室".into(),
        community_id: "c1".into(),
        station_id: "s1".into(),
        lat: 0.05,
        lon: 0.02,
        class: 2,
        staff: 3,
        hours: "08:00-18:00".into(),
        shares_committee_office: true,
    };
    s.put_police_offices(std::slice::from_ref(&office))
        .await
        .unwrap();
    assert_eq!(s.police_offices().await.unwrap(), vec![office.clone()]);
    // One office edited: replaced in place, the edit audited.
    let edited = dispatch::PoliceOffice {
        class: 1,
        staff: 5,
        ..office
    };
    s.put_police_office(
        &edited,
        &store::AuditEntry {
            at: 7,
            actor: "admin".into(),
            action: "update".into(),
            kind: "police_office".into(),
            record_id: "c1-O".into(),
            reason: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(s.police_offices().await.unwrap(), vec![edited]);
    assert!(
        s.audit_log(10)
            .await
            .unwrap()
            .iter()
            .any(|e| e.kind == "police_office" && e.record_id == "c1-O")
    );
    s.set_meta("city", "平安市").await.unwrap();
    s.set_meta("city", "平安市 v2").await.unwrap();
    assert_eq!(s.meta("city").await.unwrap().as_deref(), Some("平安市 v2"));

    // A day of dispatch, persisted change by change.
    let mut e = engine(s.load().await.unwrap());
    assert_eq!(e.units().len(), 6);
    let mut committed = s.committed();
    let mut ids = Vec::new();
    for n in 0..30 {
        let (i, ch) = e
            .create_incident(1_764_400_000_000 + n as i64 * 1000, "ct", call(n))
            .unwrap();
        s.commit(ch).await.unwrap();
        ids.push(i.id);
    }
    let (_, ch) = e
        .dispatch(1_764_400_100_000, "dp", ids[0], &["u0".into()], "key-1")
        .unwrap();
    s.commit(ch).await.unwrap();
    // The dispatch is u0's order; its acknowledgement is read back with it.
    let orders = s.unit_orders("u0", 0, 10).await.unwrap();
    assert_eq!(orders.len(), 1, "{orders:?}");
    let order = orders[0].clone();
    assert_eq!(
        (order.kind.as_str(), order.incident_id, order.acked_at),
        ("unit_dispatched", Some(ids[0]), None)
    );
    let ch = e
        .acknowledge(
            1_764_400_150_000,
            "u0",
            "u0",
            order.seq,
            order.incident_id,
            Some(1_764_400_149_000),
        )
        .unwrap();
    s.commit(ch).await.unwrap();
    assert_eq!(
        s.unit_order("u0", order.seq)
            .await
            .unwrap()
            .unwrap()
            .acked_at,
        Some(1_764_400_150_000)
    );
    assert!(s.unit_orders("u0", order.seq, 10).await.unwrap().is_empty());
    assert!(s.unit_orders("u1", 0, 10).await.unwrap().is_empty());
    assert_eq!(s.unit_order("u1", order.seq).await.unwrap(), None);
    for st in [
        IncidentStatus::EnRoute,
        IncidentStatus::OnScene,
        IncidentStatus::Controlled,
        IncidentStatus::Closed,
    ] {
        let (_, ch) = e
            .set_status(1_764_400_200_000, "dp", ids[0], st, Some("ok".into()))
            .unwrap();
        s.commit(ch).await.unwrap();
    }
    let (_, ch) = e.merge(1_764_400_300_000, "dp", ids[2], ids[1]).unwrap();
    s.commit(ch).await.unwrap();
    // Every commit comes out of the commit feed once durable, in commit order.
    let mut out = Vec::new();
    while let Ok(ch) = committed.try_recv() {
        out.push(ch);
    }
    assert_eq!(out.len(), 30 + 1 + 1 + 4 + 1, "one per commit");
    let created: Vec<i64> = out[..30].iter().map(|c| c.incidents[0].id).collect();
    assert_eq!(created, ids);
    let seqs: Vec<i64> = out
        .iter()
        .flat_map(|c| c.events.iter().map(|e| e.seq))
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");

    // Reload: the engine's state is exactly what was stored.
    let snap = s.load().await.unwrap();
    let mut stored: Vec<_> = snap.incidents.clone();
    stored.sort_by_key(|i| i.id);
    let mut live: Vec<_> = e.incidents().cloned().collect();
    live.sort_by_key(|i| i.id);
    assert_eq!(stored, live);
    assert_eq!(snap.units, e.units().to_vec());
    let mut again = engine(snap);
    let (out, ch) = again
        .dispatch(1, "dp", ids[0], &["u0".into()], "key-1")
        .unwrap();
    assert!(
        out.replayed && ch.is_empty(),
        "idempotency keys survive a restart"
    );

    // Timelines come from events, in order, and merged incidents keep theirs.
    let tl = s.timeline(&[ids[0]]).await.unwrap();
    let names: Vec<&str> = tl.iter().map(|ev| ev.name()).collect();
    assert_eq!(names[0], "incident_created");
    assert!(names.contains(&"unit_dispatched"));
    assert!(tl.windows(2).all(|w| w[0].seq < w[1].seq));
    let tl = s.timeline(&[ids[1], ids[2]]).await.unwrap();
    assert!(
        tl.iter().any(|ev| ev.name() == "absorbed")
            && tl.iter().any(|ev| ev.name() == "merged_into")
    );
    assert_eq!(s.events_after(0, 5).await.unwrap().len(), 5);

    // Group commit under concurrency: every acknowledged write is there.
    let e = Arc::new(std::sync::Mutex::new(e));
    let mut tasks = Vec::new();
    for n in 0..400 {
        let (s, e) = (s.clone(), e.clone());
        tasks.push(tokio::spawn(async move {
            let (id, ch) = {
                let mut e = e.lock().unwrap();
                let (i, ch) = e
                    .create_incident(1_764_500_000_000 + n, "load", call(n as usize))
                    .unwrap();
                (i.id, ch)
            };
            s.commit(ch).await.map(|_| id)
        }));
    }
    let mut acked = Vec::new();
    for t in tasks {
        acked.push(t.await.unwrap().unwrap());
    }
    let stored = s.incident_ids().await.unwrap();
    assert!(acked.iter().all(|id| stored.binary_search(id).is_ok()));
    assert_eq!(stored.len(), 430);
    assert_eq!(s.incident(acked[7]).await.unwrap().unwrap().id, acked[7]);
    assert!(
        s.check().await.unwrap().is_empty(),
        "{:?}",
        s.check().await.unwrap()
    );

    // Community records: upsert, soft delete, audit in the same transaction.
    let rec = |id: &str, at: i64, deleted: Option<i64>| CommunityRecord {
        kind: "transfer".into(),
        id: id.into(),
        jurisdiction_id: "s1".into(),
        doc: format!("{{\"summary\":\"案件 {id}\"}}"),
        created_at: 1_000,
        updated_at: at,
        deleted_at: deleted,
    };
    let audit = |action: &str, id: &str, at: i64| AuditEntry {
        at,
        actor: "张警官".into(),
        action: action.into(),
        kind: "transfer".into(),
        record_id: id.into(),
        reason: Some("核查".into()),
    };
    s.put_record(&rec("T1", 1_000, None), &audit("create", "T1", 1_000))
        .await
        .unwrap();
    s.put_record(&rec("T2", 1_500, None), &audit("create", "T2", 1_500))
        .await
        .unwrap();
    s.put_record(
        &rec("T1", 2_000, Some(2_000)),
        &audit("delete", "T1", 2_000),
    )
    .await
    .unwrap();
    s.put_records(
        &[CommunityRecord {
            kind: "lead".into(),
            ..rec("L1", 3_000, None)
        }],
        "demo",
    )
    .await
    .unwrap();
    let all = s.records("transfer").await.unwrap();
    assert_eq!(all.len(), 2);
    let t1 = s.record("transfer", "T1").await.unwrap().unwrap();
    assert_eq!(
        (t1.updated_at, t1.deleted_at, t1.created_at),
        (2_000, Some(2_000), 1_000)
    );
    assert_eq!(t1.doc, "{\"summary\":\"案件 T1\"}");
    assert!(s.record("transfer", "nope").await.unwrap().is_none());
    assert_eq!(s.records("lead").await.unwrap().len(), 1);
    s.put_record(&rec("T3", 1_600, None), &audit("create", "T3", 1_600))
        .await
        .unwrap();
    s.purge_record("transfer", "T3", &audit("purge", "T3", 1_700))
        .await
        .unwrap();
    assert!(s.record("transfer", "T3").await.unwrap().is_none());
    s.audit(&audit("read", "T2", 4_000)).await.unwrap();
    let log = s.audit_log(10).await.unwrap();
    assert_eq!(log.len(), 8, "seven here and the police office edit above");
    assert_eq!(
        (log[0].action.as_str(), log[0].record_id.as_str()),
        ("read", "T2")
    );
    assert_eq!(log[0].reason.as_deref(), Some("核查"));

    // Personal records are found by their identity-check keys, in the database.
    {
        use community::identity::KeyKind;
        let resident = |id: &str, name: &str, number: &str, community: &str| {
            CommunityRecord {
            kind: "resident".into(),
            id: id.into(),
            jurisdiction_id: community.into(),
            doc: serde_json::json!({"id": id, "kind": "resident", "community_id": community, "station_id": "s1",
                "fields": {"name": name, "id_number": number, "phone": "138 0013 8000", "address": "x", "household": "registered"},
                "created_by": "o", "created_at": 1, "updated_at": 1})
            .to_string(),
            created_at: 1,
            updated_at: 1,
            deleted_at: None,
        }
        };
        s.put_records(
            &[
                resident("P1", "张三", "11010519491231002X", "c1"),
                resident("P2", "张三丰", "110105194912310038", "c2"),
                resident("P3", "李四", "110105194912310046", "c1"),
            ],
            "test",
        )
        .await
        .unwrap();
        let ids =
            |m: Vec<store::PersonMatch>| m.into_iter().map(|m| m.record_id).collect::<Vec<_>>();
        let by_number = s
            .find_people(KeyKind::IdNumber, "11010519491231002X", false, None, 10)
            .await
            .unwrap();
        assert_eq!(ids(by_number), ["P1"]);
        let prefix = s
            .find_people(KeyKind::Name, "张三", true, None, 10)
            .await
            .unwrap();
        assert_eq!(ids(prefix), ["P1", "P2"]);
        let exact = s
            .find_people(KeyKind::Name, "张三", false, None, 10)
            .await
            .unwrap();
        assert_eq!(ids(exact), ["P1"]);
        let scoped = s
            .find_people(
                KeyKind::Phone,
                "13800138000",
                false,
                Some(&["c1".to_string()]),
                10,
            )
            .await
            .unwrap();
        assert_eq!(
            ids(scoped),
            ["P1", "P3"],
            "filtered by jurisdiction in the database"
        );
        let phone = s
            .find_people(KeyKind::Phone, "13800138000", false, None, 2)
            .await
            .unwrap();
        assert_eq!(phone.len(), 2, "limited");
        // A deleted record is found no more; a purged one neither.
        let mut gone = resident("P3", "李四", "110105194912310046", "c1");
        gone.deleted_at = Some(5);
        s.put_record(&gone, &audit("delete", "P3", 5))
            .await
            .unwrap();
        assert!(
            s.find_people(KeyKind::Name, "李四", false, None, 10)
                .await
                .unwrap()
                .is_empty()
        );
        s.purge_record("resident", "P2", &audit("purge", "P2", 6))
            .await
            .unwrap();
        assert_eq!(
            ids(s
                .find_people(KeyKind::Name, "张", true, None, 10)
                .await
                .unwrap()),
            ["P1"]
        );
        // An import: new records found by their keys at once, a record
        // written again found by its new keys only, and a stream that fails
        // half-way leaves nothing, not even keys.
        let imported = s
            .import_records(
                [
                    resident("I1", "王五", "320506198001010013", "c1"),
                    resident("I2", "赵六", "320506198001010021", "c2"),
                    resident("P1", "张三改", "32050619800101003X", "c1"),
                ]
                .into_iter()
                .map(Ok),
                "importer",
                &mut |_| {},
            )
            .await
            .unwrap();
        assert_eq!(imported, 3);
        for (number, want) in [
            ("320506198001010013", "I1"),
            ("320506198001010021", "I2"),
            ("32050619800101003X", "P1"),
        ] {
            assert_eq!(
                ids(s
                    .find_people(KeyKind::IdNumber, number, false, None, 10)
                    .await
                    .unwrap()),
                [want],
                "{number}"
            );
        }
        assert!(
            s.find_people(KeyKind::IdNumber, "11010519491231002X", false, None, 10)
                .await
                .unwrap()
                .is_empty(),
            "P1's old number is gone with its rewrite"
        );
        let failed = s
            .import_records(
                [
                    Ok(resident("I3", "孙七", "11010519491231002X", "c1")),
                    Err("line 3: the file changed".to_string()),
                ]
                .into_iter(),
                "importer",
                &mut |_| {},
            )
            .await;
        assert!(failed.is_err());
        assert!(s.record("resident", "I3").await.unwrap().is_none());
        assert!(
            s.find_people(KeyKind::Name, "孙七", false, None, 10)
                .await
                .unwrap()
                .is_empty(),
            "a failed import leaves no keys"
        );
        s.put_record(
            &resident("P1", "张三", "11010519491231002X", "c1"),
            &audit("update", "P1", 7),
        )
        .await
        .unwrap();
        for id in ["I1", "I2"] {
            s.purge_record("resident", id, &audit("purge", id, 8))
                .await
                .unwrap();
        }
        // Records kept before the keys were (their keys gone, as before the
        // migration): indexed once, then nothing to do.
        assert_eq!(s.index_person_keys().await.unwrap(), 0);
        raw(url, "DELETE FROM person_keys").await;
        assert!(
            s.find_people(KeyKind::Name, "张三", false, None, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(s.index_person_keys().await.unwrap(), 1, "P1 alone is live");
        assert_eq!(
            ids(s
                .find_people(KeyKind::Name, "张三", false, None, 10)
                .await
                .unwrap()),
            ["P1"]
        );
        assert_eq!(s.index_person_keys().await.unwrap(), 0);
    }

    // The standard address register is replaced whole, with its audit entry.
    let place = |label: &str, lat: f64| store::ImportedPlace {
        label: label.into(),
        lat,
        lon: 120.63,
        names: vec![format!("{label}-code")],
        code: Some(format!("{label}-code")),
    };
    let import = AuditEntry {
        kind: "standard_addresses".into(),
        ..audit("import", "2", 5_000)
    };
    let first = [
        place("平安市建国路1号", 31.26),
        place("平安市建国路3号", 31.27),
    ];
    s.replace_imported_places("standard_address", &first, &import)
        .await
        .unwrap();
    s.replace_imported_places("marker", &[place("0312-0457", 31.2)], &import)
        .await
        .unwrap();
    let second = [place("平安市建国路5号", 31.28)];
    s.replace_imported_places("standard_address", &second, &import)
        .await
        .unwrap();
    let got = s.imported_places().await.unwrap();
    assert_eq!(
        got,
        vec![
            ("marker".to_string(), place("0312-0457", 31.2)),
            (
                "standard_address".to_string(),
                place("平安市建国路5号", 31.28)
            ),
        ]
    );
    assert_eq!(s.audit_log(1).await.unwrap()[0].kind, "standard_addresses");

    // A place's history: the box, the window and the order are the database's,
    // equal to filtering every stored incident.
    let all = s.load().await.unwrap().incidents;
    let centre = &all[all.len() / 2];
    let (lat, lon) = (
        (centre.lat - 0.01, centre.lat + 0.01),
        (centre.lon - 0.01, centre.lon + 0.01),
    );
    let since = centre.created_at - 1;
    let got: Vec<i64> = s
        .incidents_in_box(lat, lon, since, 5)
        .await
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    let mut want: Vec<&dispatch::Incident> = all
        .iter()
        .filter(|i| {
            (lat.0..=lat.1).contains(&i.lat)
                && (lon.0..=lon.1).contains(&i.lon)
                && i.created_at >= since
        })
        .collect();
    want.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let want: Vec<i64> = want.iter().take(5).map(|i| i.id).collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
    let in_s1: Vec<String> = s
        .records_in("transfer", "s1")
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    let live: Vec<String> = s
        .records("transfer")
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.deleted_at.is_none() && r.jurisdiction_id == "s1")
        .map(|r| r.id)
        .collect();
    assert_eq!(in_s1, live);
    assert!(s.records_in("transfer", "s2").await.unwrap().is_empty());

    // A track: fixes by device time, each kept once, a window and a limit.
    let fix = |unit: &str, at: i64| dispatch::Fix {
        unit_id: unit.into(),
        at,
        received_at: at + 500,
        lat: 31.3 + at as f64 * 1e-9,
        lon: 120.6,
        accuracy_m: Some(7.5),
        speed_mps: None,
        heading_deg: Some(270.0),
    };
    let fixes: Vec<dispatch::Fix> = [5_000, 1_000, 3_000]
        .iter()
        .map(|&at| fix("u-track", at))
        .collect();
    for _ in 0..2 {
        s.commit(dispatch::Changes {
            fixes: fixes.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    }
    s.commit(dispatch::Changes {
        fixes: vec![fix("u-other", 2_000)],
        ..Default::default()
    })
    .await
    .unwrap();
    let track = s.track("u-track", 0, 10_000, 100).await.unwrap();
    assert_eq!(
        track.iter().map(|f| f.at).collect::<Vec<_>>(),
        vec![1_000, 3_000, 5_000],
        "oldest first, a retried batch kept once"
    );
    assert_eq!(track[0], fix("u-track", 1_000));
    assert_eq!(
        s.track("u-track", 1_001, 5_000, 100).await.unwrap().len(),
        1
    );
    assert_eq!(s.track("u-track", 0, 10_000, 2).await.unwrap().len(), 2);

    // Reports from the scene and their photos' bytes, as stored.
    let report = store::FieldReport {
        id: "7-k1".into(),
        incident_id: 7,
        unit_id: Some("u-track".into()),
        author: "u-track".into(),
        at: 1_000,
        received_at: 2_000,
        text: "门锁被撬 lock forced".into(),
        photos: vec![],
    };
    assert_eq!(s.put_report(&report).await.unwrap(), report);
    let again = store::FieldReport {
        text: "other".into(),
        ..report.clone()
    };
    assert_eq!(
        s.put_report(&again).await.unwrap().text,
        report.text,
        "a retry keeps the first"
    );
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let meta = store::PhotoMeta {
        n: 1,
        content_type: "image/jpeg".into(),
        size: bytes.len() as i64,
        sha256: "abc".into(),
    };
    assert_eq!(
        s.put_photo("7-k1", &meta, 3_000, &bytes).await.unwrap(),
        meta
    );
    assert_eq!(
        s.photo("7-k1", 1).await.unwrap(),
        Some(("image/jpeg".to_string(), bytes))
    );
    let listed = s.reports(7, 10).await.unwrap();
    assert_eq!((listed.len(), listed[0].photos.len()), (1, 1));
    assert!(s.reports(8, 10).await.unwrap().is_empty());

    filed_lists(&s, url).await;

    // Another agency in the same database sees none of it.
    let other = Store::open(url, "agency-b").await.unwrap();
    let snap = other.load().await.unwrap();
    assert!(snap.incidents.is_empty() && snap.units.is_empty());
    assert!(other.records("transfer").await.unwrap().is_empty());
    assert!(other.audit_log(10).await.unwrap().is_empty());
    assert!(other.imported_places().await.unwrap().is_empty());
    assert!(other.user("张警官").await.unwrap().is_none());
    assert!(
        other
            .track("u-track", 0, 10_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    other.close().await;

    // Reopening gives the same state.
    s.close().await;
    let s = Store::open(url, "agency-a").await.unwrap();
    assert_eq!(s.incident_ids().await.unwrap().len(), 430);
    s.close().await;
}

/// Lists of a register filtered, sorted and paged in the database equal
/// the same filters applied to every record; a keyset walk meets each
/// record once; records move with their jurisdiction's station; rows
/// written before filing are filed once.
async fn filed_lists(s: &Store, url: &str) {
    use store::{RecordPlace, RecordQuery};
    let mut tree = tree();
    tree.push(square("c1", Level::Community, Some("s1"), 0.0, 0.05));
    tree.push(square("c2", Level::Community, Some("s1"), 0.05, 0.1));
    tree.push(square("c3", Level::Community, Some("s2"), 0.1, 0.2));
    s.put_jurisdictions(&tree).await.unwrap();
    let hour = 3_600_000;
    let livelihood = |n: i64| {
        let community = ["c1", "c2", "c3"][n as usize % 3];
        let station = if community == "c3" { "s2" } else { "s1" };
        let status = ["registered", "in_progress", "done"][n as usize % 4 % 3];
        // Several records share an instant, so the cursor's id decides.
        let created_at = 1_000_000 + (n / 3) * hour;
        let closed_at = (status == "done").then_some(created_at + (n % 5) * 24 * hour);
        let doc = format!(
            r#"{{"id":"L{n:03}","kind":"livelihood","community_id":"{community}","station_id":"{station}","fields":{{"address_code":"A{}"}},"status":"{status}","steps":[],"due_at":null,"closed_at":{},"link":null,"created_by":"x","created_at":{created_at},"updated_at":{created_at}}}"#,
            n % 7,
            closed_at.map_or("null".to_string(), |c| c.to_string())
        );
        CommunityRecord {
            kind: "livelihood".into(),
            id: format!("L{n:03}"),
            jurisdiction_id: community.into(),
            doc,
            created_at,
            updated_at: created_at,
            deleted_at: (n % 11 == 0).then_some(created_at),
        }
    };
    let recs: Vec<CommunityRecord> = (0..120).map(livelihood).collect();
    s.put_records(&recs, "import").await.unwrap();
    let ledger = community::ledgers::ledger("livelihood").unwrap();
    let entry = |r: &CommunityRecord| -> community::ledgers::Entry {
        serde_json::from_str(&r.doc).unwrap()
    };
    let now = 1_000_000 + 30 * hour;
    // Every way in, with every filter: the database's pages against a filter of everything.
    let within = vec!["c2".to_string(), "c3".to_string()];
    let places = [
        (RecordPlace::Everywhere, None),
        (RecordPlace::Station("s1"), Some(&["c1", "c2"][..])),
        (RecordPlace::Jurisdiction("c3"), Some(&["c3"][..])),
        (RecordPlace::Within(&within), Some(&["c2", "c3"][..])),
    ];
    for (place, communities) in places {
        for status in [None, Some("done"), Some("registered")] {
            for overdue in [None, Some(true), Some(false)] {
                for code in [None, Some("A3")] {
                    let mut want: Vec<&CommunityRecord> = recs
                        .iter()
                        .filter(|r| {
                            let e = entry(r);
                            r.deleted_at.is_none()
                                && communities
                                    .is_none_or(|c| c.contains(&r.jurisdiction_id.as_str()))
                                && status.is_none_or(|st| e.status.as_deref() == Some(st))
                                && overdue.is_none_or(|o| ledger.overdue(&e, now) == o)
                                && code.is_none_or(|c| e.fields["address_code"] == c)
                        })
                        .collect();
                    want.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
                    let want: Vec<&str> = want.iter().map(|r| r.id.as_str()).collect();
                    let mut got: Vec<String> = Vec::new();
                    let mut q = RecordQuery {
                        place,
                        status,
                        overdue: overdue.map(|o| (o, now)),
                        address_code: code,
                        ..RecordQuery::new("livelihood", 7)
                    };
                    loop {
                        let page = s.list_records(&q).await.unwrap();
                        assert!(page.len() <= 7);
                        got.extend(page.iter().map(|r| r.id.clone()));
                        let Some(last) = page.last().filter(|_| page.len() == 7) else {
                            break;
                        };
                        let cursor = (last.created_at, last.id.clone());
                        q.before = Some((cursor.0, Box::leak(cursor.1.into_boxed_str())));
                    }
                    assert_eq!(got, want, "{place:?} {status:?} {overdue:?} {code:?}");
                }
            }
        }
    }
    let counts = s.registered_at("A3").await.unwrap();
    let live_a3 = recs
        .iter()
        .filter(|r| r.deleted_at.is_none() && entry(r).fields["address_code"] == "A3")
        .count();
    assert_eq!(counts, vec![("livelihood".to_string(), live_a3 as i64)]);
    // Who is at A3: the same records, newest first, within a scope and of a kind.
    let at_a3 = |within: Option<&[String]>| {
        let mut want: Vec<&CommunityRecord> = recs
            .iter()
            .filter(|r| r.deleted_at.is_none() && entry(r).fields["address_code"] == "A3")
            .filter(|r| within.is_none_or(|w| w.contains(&r.jurisdiction_id)))
            .collect();
        want.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        want.iter().map(|r| r.id.clone()).collect::<Vec<_>>()
    };
    let ids = |v: Vec<CommunityRecord>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.records_at("A3", None, None, 1000).await.unwrap()),
        at_a3(None)
    );
    assert_eq!(
        ids(s
            .records_at("A3", Some("livelihood"), Some(&within), 1000)
            .await
            .unwrap()),
        at_a3(Some(&within))
    );
    assert!(
        s.records_at("A3", Some("resident"), None, 1000)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.records_at("A3", None, None, 2).await.unwrap().len(),
        2.min(live_a3)
    );

    // Records by their keys, in one read: the live ones, whatever the order asked.
    let keys: Vec<(String, String)> = ["L005", "L000", "L011", "L999", "L003"]
        .iter()
        .map(|id| ("livelihood".to_string(), id.to_string()))
        .collect();
    let mut got = ids(s.records_by_keys(&keys).await.unwrap());
    got.sort();
    assert_eq!(
        got,
        ["L003", "L005"],
        "L000 and L011 are deleted, L999 was never written"
    );
    assert!(s.records_by_keys(&[]).await.unwrap().is_empty());
    // Several audit entries, one commit.
    let before = s.audit_log(1000).await.unwrap().len();
    let audit_entry = |id: &str| AuditEntry {
        at: 4_102_444_799_000,
        actor: "checker".into(),
        action: "identity_check_hit".into(),
        kind: "livelihood".into(),
        record_id: id.into(),
        reason: Some("test".into()),
    };
    s.audit_all(&[audit_entry("L003"), audit_entry("L005")])
        .await
        .unwrap();
    s.audit_all(&[]).await.unwrap();
    let log = s.audit_log(1000).await.unwrap();
    assert_eq!(log.len(), before + 2);
    assert!(
        log.iter().take(2).all(|a| a.actor == "checker"),
        "the newest two"
    );

    // The windows a period's figures read: each the records a filter of everything picks.
    use store::RecordWindow;
    let live = |f: &dyn Fn(&CommunityRecord) -> bool| -> Vec<String> {
        let mut v: Vec<&CommunityRecord> = recs
            .iter()
            .filter(|r| r.deleted_at.is_none() && f(r))
            .collect();
        v.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        v.iter().map(|r| r.id.clone()).collect()
    };
    let window = |w: RecordWindow<'static>| async move {
        ids(s.records_window("livelihood", w).await.unwrap())
    };
    let (from, to) = (1_000_000 + 5 * hour, 1_000_000 + 20 * hour);
    assert_eq!(
        window(RecordWindow::Created { from, to: Some(to) }).await,
        live(&|r| (from..to).contains(&r.created_at))
    );
    assert_eq!(
        window(RecordWindow::Created { from, to: None }).await,
        live(&|r| r.created_at >= from)
    );
    assert_eq!(
        window(RecordWindow::DueBefore(now)).await,
        live(&|r| ledger.overdue(&entry(r), now))
    );
    assert_eq!(
        window(RecordWindow::Status("done")).await,
        live(&|r| entry(r).status.as_deref() == Some("done"))
    );
    assert_eq!(window(RecordWindow::Whole).await, live(&|_| true));
    assert!(
        window(RecordWindow::Day("2026-11-30")).await.is_empty(),
        "a livelihood request is of no day"
    );
    assert!(
        window(RecordWindow::SteppedSince(0)).await.is_empty(),
        "no steps taken"
    );
    // Days and steps: community days by their date, venues by their last inspection.
    let day = |n: usize, date: &str| CommunityRecord {
        kind: "community_day".into(),
        id: format!("D{n}"),
        jurisdiction_id: "c1".into(),
        doc: format!(
            r#"{{"id":"D{n}","kind":"community_day","community_id":"c1","station_id":"s1","fields":{{"officer":"王警官","date":"{date}"}},"created_by":"x","created_at":{n},"updated_at":{n}}}"#
        ),
        created_at: n as i64,
        updated_at: n as i64,
        deleted_at: None,
    };
    let venue = |n: usize, steps: &[i64]| CommunityRecord {
        kind: "venue".into(),
        id: format!("V{n}"),
        jurisdiction_id: "c1".into(),
        doc: format!(
            r#"{{"id":"V{n}","kind":"venue","community_id":"c1","station_id":"s1","fields":{{}},"steps":[{}],"created_by":"x","created_at":{n},"updated_at":{n}}}"#,
            steps
                .iter()
                .map(|at| format!(r#"{{"at":{at},"by":"x","action":"inspect","status":"open"}}"#))
                .collect::<Vec<_>>()
                .join(",")
        ),
        created_at: n as i64,
        updated_at: n as i64,
        deleted_at: None,
    };
    let dates = [
        "2026-10-31",
        "2026-11-01",
        "2026-11-15",
        "2026-11-30",
        "2026-12-01",
    ];
    let days: Vec<CommunityRecord> = dates.iter().enumerate().map(|(n, d)| day(n, d)).collect();
    let venues = vec![
        venue(1, &[]),
        venue(2, &[50, 10]),
        venue(3, &[5]),
        venue(4, &[100]),
    ];
    s.put_records(&days, "import").await.unwrap();
    s.put_records(&venues, "import").await.unwrap();
    let of = |kind: &'static str, w: RecordWindow<'static>| async move {
        ids(s.records_window(kind, w).await.unwrap())
    };
    assert_eq!(
        of(
            "community_day",
            RecordWindow::Days {
                from: "2026-11-01",
                to: "2026-12-01"
            }
        )
        .await,
        ["D1", "D2", "D3"]
    );
    assert_eq!(
        of("community_day", RecordWindow::Day("2026-12-01")).await,
        ["D4"]
    );
    assert_eq!(
        of("venue", RecordWindow::SteppedSince(50)).await,
        ["V2", "V4"]
    );
    assert_eq!(
        of("venue", RecordWindow::SteppedSince(101)).await,
        Vec::<String>::new()
    );

    // c2 moves to s2: its records are filed under s2 at once.
    let moved: Vec<Jurisdiction> = tree
        .iter()
        .map(|j| {
            if j.id == "c2" {
                Jurisdiction {
                    parent_id: Some("s2".into()),
                    ..j.clone()
                }
            } else {
                j.clone()
            }
        })
        .collect();
    s.put_jurisdictions(&moved).await.unwrap();
    let in_s2 = s
        .list_records(&RecordQuery {
            place: RecordPlace::Station("s2"),
            ..RecordQuery::new("livelihood", 1000)
        })
        .await
        .unwrap();
    let want = recs
        .iter()
        .filter(|r| r.deleted_at.is_none() && r.jurisdiction_id != "c1")
        .count();
    assert_eq!(in_s2.len(), want);
    s.put_jurisdictions(&tree).await.unwrap();

    // Rows from before filing (as the migration leaves them) are filed once.
    assert_eq!(s.file_records().await.unwrap(), 0);
    raw(url, "UPDATE community_records SET filed = 0, status = NULL, station_id = NULL WHERE kind = 'livelihood'").await;
    assert!(
        s.list_records(&RecordQuery {
            status: Some("done"),
            ..RecordQuery::new("livelihood", 1000)
        })
        .await
        .unwrap()
        .is_empty()
    );
    assert_eq!(s.file_records().await.unwrap(), recs.len());
    assert_eq!(s.file_records().await.unwrap(), 0);
    let done = s
        .list_records(&RecordQuery {
            place: RecordPlace::Station("s1"),
            status: Some("done"),
            ..RecordQuery::new("livelihood", 1000)
        })
        .await
        .unwrap();
    assert_eq!(
        done.len(),
        recs.iter()
            .filter(|r| r.deleted_at.is_none()
                && r.jurisdiction_id != "c3"
                && entry(r).status.as_deref() == Some("done"))
            .count()
    );

    // The purge's pages: oldest change first, below the bound; then gone with their keys.
    let old = s
        .changed_before("livelihood", 1_000_000 + 2 * hour, 100)
        .await
        .unwrap();
    assert_eq!(old.len(), 6, "{old:?}");
    s.purge_records(
        "livelihood",
        &old,
        &AuditEntry {
            at: 4_102_444_800_000,
            actor: "retention".into(),
            action: "purge".into(),
            kind: "livelihood".into(),
            record_id: String::new(),
            reason: Some("test".into()),
        },
    )
    .await
    .unwrap();
    assert!(
        s.changed_before("livelihood", 1_000_000 + 2 * hour, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.audit_log(6)
            .await
            .unwrap()
            .iter()
            .filter(|a| a.action == "purge")
            .count(),
        6
    );
}

/// Runs `sql` on the database behind `url` (outside the store: a state it
/// would not make itself).
async fn raw(url: &str, sql: &'static str) {
    use sqlx::Connection;
    if let Some(path) = url.strip_prefix("sqlite://") {
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
            .await
            .unwrap();
        sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    let dir = std::env::temp_dir().join(format!("pingan-store-{}-{}", std::process::id(), line!()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    suite(&format!("sqlite://{}", dir.join("pingan.db").display())).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    use sqlx::Connection;
    let admin = std::env::var("PINGAN_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
        panic!("PostgreSQL is needed for this test ({admin}: {e}); start it (.ci/run does) or set PINGAN_TEST_POSTGRES")
    });
    let db = format!("pingan_test_{}", std::process::id());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db}")))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
    suite(&format!("{base}/{db}")).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {db} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
}
