//! Engine tests on a toy geometry (straight lines at 10 m/s).

use super::*;
use crate::jurisdiction::{Level, square};
use crate::recommend::Tier;
use crate::travel::StraightLine;

fn unit(id: &str, kind: UnitKind, station: &str, lat: f64, lon: f64) -> Unit {
    Unit {
        id: id.into(),
        callsign: id.into(),
        kind,
        home_station: station.into(),
        crew: 2,
        capabilities: vec![],
        status: UnitStatus::Available,
        lat,
        lon,
        position_at: 0,
        status_at: 0,
        crew_names: Vec::new(),
        incident_id: None,
        post_id: None,
    }
}

/// Two stations side by side along the equator-ish band; 0.001° ≈ 111 m ≈ 11 s at 10 m/s.
fn engine() -> Engine {
    engine_with(Snapshot::default())
}

/// [`engine`], started from what a store gave back (its units are the toy fleet).
fn engine_with(stored: Snapshot) -> Engine {
    let j = Jurisdictions::new(vec![
        square("city", Level::CityBureau, None, [0.0, 0.0], [0.2, 0.1]),
        square("b1", Level::Bureau, Some("city"), [0.0, 0.0], [0.2, 0.1]),
        square("s1", Level::Station, Some("b1"), [0.0, 0.0], [0.1, 0.1]),
        square("s2", Level::Station, Some("b1"), [0.1, 0.0], [0.2, 0.1]),
    ])
    .unwrap();
    let units = vec![
        unit("near", UnitKind::PatrolCar, "s2", 0.05, 0.102), // ~0.002° = 222 m from the call: 22 s
        unit("duty1", UnitKind::StationDuty, "s1", 0.05, 0.08), // ~0.02° = 2.2 km: 222 s
        unit("far", UnitKind::PatrolCar, "s2", 0.05, 0.15),   // ~0.05° = 5.5 km: 555 s
        unit("swat", UnitKind::SpecialPolice, "b1", 0.05, 0.13),
        unit("cid", UnitKind::CriminalInvestigation, "b1", 0.05, 0.11),
    ];
    Engine::new(
        Config::default(),
        Arc::new(j),
        Box::new(StraightLine { speed_mps: 10.0 }),
        Snapshot { units, ..stored },
    )
}

fn call(kind: &str) -> NewIncident {
    NewIncident {
        kind: kind.into(),
        lat: 0.05,
        lon: 0.1 - 0.0001,
        caller_name: Some("张三".into()),
        ..Default::default()
    }
}

#[test]
fn lifecycle_with_units_following() {
    let mut e = engine();
    let (i, ch) = e.create_incident(1_000, "ct", call("theft")).unwrap();
    assert_eq!(i.place.station_id.as_deref(), Some("s1"));
    assert_eq!((i.priority, ch.events.len()), (3, 1));
    let (out, ch) = e
        .dispatch(2_000, "dp", i.id, &["near".into()], "k1")
        .unwrap();
    assert_eq!(out.unit_ids, vec!["near"]);
    assert_eq!(e.incident(i.id).unwrap().status, IncidentStatus::Dispatched);
    assert_eq!(e.unit("near").unwrap().status, UnitStatus::Dispatched);
    assert!(ch.events.iter().any(|ev| matches!(
        ev.kind,
        EventKind::StatusChanged {
            to: IncidentStatus::Dispatched,
            ..
        }
    )));
    // The unit reports en route, then on scene: the incident follows.
    e.unit_status(3_000, "near", "near", UnitStatus::EnRoute)
        .unwrap();
    assert_eq!(e.incident(i.id).unwrap().status, IncidentStatus::EnRoute);
    e.unit_status(30_000, "near", "near", UnitStatus::OnScene)
        .unwrap();
    let inc = e.incident(i.id).unwrap();
    assert_eq!(inc.status, IncidentStatus::OnScene);
    assert_eq!(inc.response_s(), Some(29.0));
    e.set_status(40_000, "dp", i.id, IncidentStatus::Controlled, None)
        .unwrap();
    let (inc, _) = e
        .set_status(50_000, "dp", i.id, IncidentStatus::Closed, None)
        .unwrap();
    assert_eq!(inc.active_units().count(), 0);
    assert_eq!(e.unit("near").unwrap().status, UnitStatus::Returning);
    assert_eq!(e.unit("near").unwrap().incident_id, None);
}

#[test]
fn illegal_transitions_are_refused_and_change_nothing() {
    let mut e = engine();
    let (i, _) = e.create_incident(0, "ct", call("theft")).unwrap();
    let err = e
        .set_status(1, "dp", i.id, IncidentStatus::Closed, None)
        .unwrap_err();
    assert_eq!(err.code(), "illegal_transition");
    assert!(
        err.to_string()
            .contains("allowed next: dispatched, cancelled, merged"),
        "{err}"
    );
    assert_eq!(e.incident(i.id).unwrap().status, IncidentStatus::Received);
    let err = e
        .set_status(1, "dp", i.id, IncidentStatus::Merged, None)
        .unwrap_err();
    assert_eq!(err.field(), Some("status"));
    e.set_status(2, "dp", i.id, IncidentStatus::Cancelled, None)
        .unwrap();
    let err = e
        .set_status(3, "dp", i.id, IncidentStatus::Received, None)
        .unwrap_err();
    assert!(err.to_string().contains("none (finished)"));
}

#[test]
fn dispatch_is_idempotent_and_checks_units() {
    let mut e = engine();
    let (i, _) = e.create_incident(0, "ct", call("theft")).unwrap();
    let (a, ch) = e.dispatch(1, "dp", i.id, &["near".into()], "same").unwrap();
    assert!(!ch.is_empty());
    let (b, ch) = e.dispatch(2, "dp", i.id, &["near".into()], "same").unwrap();
    assert!(ch.is_empty() && b.replayed && a.unit_ids == b.unit_ids);
    assert_eq!(e.incident(i.id).unwrap().assignments.len(), 1);
    let err = e
        .dispatch(3, "dp", i.id, &["near".into()], "other")
        .unwrap_err();
    assert_eq!((err.code(), err.field()), ("conflict", Some("unit_ids[0]")));
    let err = e
        .dispatch(3, "dp", i.id, &["ghost".into()], "other2")
        .unwrap_err();
    assert_eq!(err.field(), Some("unit_ids[0]"));
    let (j, _) = e
        .create_incident(
            0,
            "ct",
            NewIncident {
                lat: 0.02,
                ..call("noise")
            },
        )
        .unwrap();
    let err = e
        .dispatch(3, "dp", j.id, &["far".into()], "same")
        .unwrap_err();
    assert_eq!(err.field(), Some("idempotency_key"));
}

#[test]
fn recommendation_tiers_and_two_way() {
    let mut e = engine();
    let (i, _) = e.create_incident(0, "ct", call("theft")).unwrap();
    let r = e.recommend(i.id, &[]).unwrap();
    let ids: Vec<&str> = r.units.iter().map(|u| u.unit_id.as_str()).collect();
    assert_eq!(ids, ["near", "cid", "duty1", "swat", "far"]);
    assert!(r.units.windows(2).all(|w| w[0].seconds <= w[1].seconds));
    assert_eq!(r.units[0].tier, Tier::One);
    assert_eq!(r.units[2].tier, Tier::Five);
    assert_eq!(r.units[4].tier, Tier::Beyond);
    // Two-way: responsible station s1 (its duty team) + the fastest patrol (from s2).
    assert_eq!(r.two_way.station_id.as_deref(), Some("s1"));
    assert_eq!(r.two_way.unit_ids, ["near", "duty1"]);
    assert_eq!(r.two_way.reasons[0].rule, "fastest");
    assert_eq!(r.two_way.reasons[1].rule, "station");
    assert!(r.waves.is_none(), "theft is not serious");
}

#[test]
fn plans_add_specialised_units_and_serious_kinds_fan_out() {
    let mut e = engine();
    let (i, _) = e
        .create_incident(
            0,
            "ct",
            NewIncident {
                priority: Some(1),
                ..call("violent_crime")
            },
        )
        .unwrap();
    let r = e.recommend(i.id, &[]).unwrap();
    assert!(r.two_way.unit_ids.contains(&"swat".to_string()));
    assert!(r.two_way.unit_ids.contains(&"cid".to_string()));
    let waves = r.waves.unwrap();
    assert_eq!(waves[0].unit_ids, ["near"]);
    assert_eq!(waves[2].unit_ids, ["duty1"]);
    // The special police are 335 s away: proposed anyway, and the plan's 300 s tier is reported unmet.
    let swat = r
        .two_way
        .reasons
        .iter()
        .find(|x| x.unit_id == "swat")
        .unwrap();
    assert_eq!(swat.rule, "plan_beyond_tier");
    assert_eq!(r.unmet.len(), 1);
    assert_eq!(r.unmet[0].unit_kinds, [UnitKind::SpecialPolice]);
    // Excluding units (a reinforcement) removes them from every list.
    let r = e.recommend(i.id, &["near".into()]).unwrap();
    assert!(!r.units.iter().any(|u| u.unit_id == "near"));
}

#[test]
fn duplicates_and_merge_keep_callers_and_units() {
    let mut e = engine();
    let (a, _) = e.create_incident(0, "ct", call("robbery")).unwrap();
    e.dispatch(1, "dp", a.id, &["near".into()], "k").unwrap();
    let (b, ch) = e
        .create_incident(
            60_000,
            "ct",
            NewIncident {
                lat: 0.0501,
                caller_name: Some("李四".into()),
                ..call("theft")
            },
        )
        .unwrap();
    assert_eq!(b.possible_duplicates.len(), 1);
    assert_eq!(b.possible_duplicates[0].incident_id, a.id);
    assert!(
        ch.events
            .iter()
            .any(|ev| matches!(ev.kind, EventKind::DuplicateFlagged { .. }))
    );
    // Far away or of an incompatible kind: no flag.
    let (c, _) = e
        .create_incident(
            60_000,
            "ct",
            NewIncident {
                lat: 0.02,
                ..call("theft")
            },
        )
        .unwrap();
    assert!(c.possible_duplicates.is_empty());
    let (d, _) = e.create_incident(60_000, "ct", call("fire")).unwrap();
    assert!(d.possible_duplicates.is_empty());
    // Merge a into b: b gets both callers and the unit.
    let (b2, _) = e.merge(70_000, "dp", a.id, b.id).unwrap();
    assert_eq!(b2.callers.len(), 2);
    assert_eq!(b2.status, IncidentStatus::Dispatched);
    assert_eq!(b2.active_units().next().unwrap().unit_id, "near");
    assert_eq!(e.unit("near").unwrap().incident_id, Some(b.id));
    assert_eq!(e.incident(a.id).unwrap().status, IncidentStatus::Merged);
    assert!(e.merge(71_000, "dp", a.id, b.id).is_err());
    // Merged incidents no longer attract duplicates.
    assert!(
        !e.possible_duplicates(80_000, "robbery", 0.05, 0.0999)
            .iter()
            .any(|h| h.incident_id == a.id)
    );
}

#[test]
fn bad_calls_are_named() {
    let mut e = engine();
    let err = e
        .create_incident(
            0,
            "ct",
            NewIncident {
                kind: "ufo".into(),
                ..call("x")
            },
        )
        .unwrap_err();
    assert_eq!(err.field(), Some("kind"));
    let err = e
        .create_incident(
            0,
            "ct",
            NewIncident {
                lat: 95.0,
                ..call("theft")
            },
        )
        .unwrap_err();
    assert_eq!(err.field(), Some("lat"));
    let err = e
        .create_incident(
            0,
            "ct",
            NewIncident {
                lat: 0.5,
                ..call("theft")
            },
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("outside every police station"),
        "{err}"
    );
    let err = e
        .create_incident(
            0,
            "ct",
            NewIncident {
                priority: Some(9),
                ..call("theft")
            },
        )
        .unwrap_err();
    assert_eq!(err.field(), Some("priority"));
    assert_eq!(e.incidents().count(), 0);
}

#[test]
fn overdue_phases_are_flagged_once() {
    let mut e = engine();
    let (i, _) = e.create_incident(0, "ct", call("theft")).unwrap();
    assert!(e.overdue(59_000).is_empty());
    let ch = e.overdue(61_000);
    assert_eq!(ch.events.len(), 1);
    assert!(matches!(
        ch.events[0].kind,
        EventKind::PhaseOverdue {
            phase: Phase::CallToDispatch,
            target_s: 60
        }
    ));
    assert!(e.overdue(62_000).is_empty());
    e.dispatch(63_000, "dp", i.id, &["near".into()], "k")
        .unwrap();
    let ch = e.overdue(63_000 + 61_000);
    assert!(matches!(
        ch.events[0].kind,
        EventKind::PhaseOverdue {
            phase: Phase::DispatchToEnRoute,
            ..
        }
    ));
}

#[test]
fn an_order_unacknowledged_in_time_is_alerted_once() {
    let mut e = engine();
    let (i, _) = e.create_incident(0, "ct", call("theft")).unwrap();
    let (i2, _) = e.create_incident(0, "ct", call("theft")).unwrap();
    e.dispatch(1_000, "dp", i.id, &["near".into()], "k")
        .unwrap();
    let unacked = |ch: &Changes| {
        ch.events
            .iter()
            .filter(|ev| matches!(ev.kind, EventKind::OrderUnacknowledged { .. }))
            .count()
    };
    assert_eq!(unacked(&e.overdue(31_000)), 0, "30 s are allowed");
    let ch = e.overdue(31_001);
    assert_eq!(unacked(&ch), 1);
    assert!(e.incident(i.id).unwrap().assignments[0].ack_overdue);
    assert_eq!(unacked(&e.overdue(40_000)), 0, "alerted once");
    // An order acknowledged in time raises nothing.
    let (_, ch) = e
        .dispatch(41_000, "dp", i2.id, &["far".into()], "k2")
        .unwrap();
    let seq = ch
        .events
        .iter()
        .find(|ev| matches!(ev.kind, EventKind::UnitDispatched { .. }))
        .unwrap()
        .seq;
    e.acknowledge(45_000, "far", "far", seq, Some(i2.id), None)
        .unwrap();
    assert_eq!(
        e.incident(i2.id).unwrap().assignments[0].acked_at,
        Some(45_000)
    );
    assert_eq!(unacked(&e.overdue(200_000)), 0);
}

#[test]
fn release_and_reassign_and_reinforcement() {
    let mut e = engine();
    let (a, _) = e.create_incident(0, "ct", call("theft")).unwrap();
    let (b, _) = e
        .create_incident(
            0,
            "ct",
            NewIncident {
                lat: 0.02,
                ..call("noise")
            },
        )
        .unwrap();
    e.dispatch(1, "dp", a.id, &["near".into()], "k1").unwrap();
    let (out, _) = e.reassign(2, "dp", "near", b.id, "k2").unwrap();
    assert_eq!(out.incident_id, b.id);
    assert_eq!(
        e.incident(a.id).unwrap().status,
        IncidentStatus::Received,
        "a lost its only unit"
    );
    assert_eq!(e.unit("near").unwrap().incident_id, Some(b.id));
    assert!(
        e.reinforcement(3, "near", "near", 1, None, None).is_err(),
        "not on scene yet"
    );
    e.unit_status(4, "near", "near", UnitStatus::OnScene)
        .unwrap();
    let (r, ch) = e
        .reinforcement(5, "near", "near", 2, Some("armed"), Some("r1"))
        .unwrap();
    assert!(!r.units.iter().any(|u| u.unit_id == "near"));
    assert_eq!(ch.events.len(), 1);
    let request_seq = ch.events[0].seq;
    // The terminal's retry asks nothing new; the same key for another request is refused.
    let (again, ch) = e
        .reinforcement(5, "near", "near", 2, Some("armed"), Some("r1"))
        .unwrap();
    assert!(ch.is_empty(), "a retry changes nothing");
    assert_eq!(again.units.len(), r.units.len());
    assert!(matches!(
        e.reinforcement(5, "near", "near", 3, Some("armed"), Some("r1")),
        Err(DispatchError::Conflict { .. })
    ));
    // The next units sent are the answer, an order to the unit that asked.
    let (_, ch) = e.dispatch(6, "dp", b.id, &["far".into()], "k3").unwrap();
    let answers: Vec<&Event> = ch
        .events
        .iter()
        .filter(|ev| matches!(ev.kind, EventKind::ReinforcementAnswered { .. }))
        .collect();
    assert_eq!(answers.len(), 1, "{:?}", ch.events);
    assert_eq!(answers[0].unit_id.as_deref(), Some("near"));
    assert!(answers[0].kind.is_order());
    assert_eq!(
        answers[0].kind,
        EventKind::ReinforcementAnswered {
            request_seq,
            units: vec!["far".into()],
        }
    );
    assert!(e.incident(b.id).unwrap().reinforcement_waiting.is_empty());
    let (_, ch) = e.dispatch(6, "dp", b.id, &["duty1".into()], "k4").unwrap();
    assert!(
        !ch.events
            .iter()
            .any(|ev| matches!(ev.kind, EventKind::ReinforcementAnswered { .. })),
        "answered once"
    );
    let (inc, _) = e.release(6, "dp", b.id, "near").unwrap();
    assert_eq!(
        inc.status,
        IncidentStatus::OnScene,
        "on-scene incidents keep their status"
    );
    assert_eq!(e.unit("near").unwrap().status, UnitStatus::Returning);
}

#[test]
fn eido_round_trip() {
    let mut e = engine();
    let (i, _) = e
        .create_incident(
            1_764_420_053_000,
            "ct",
            NewIncident {
                address: Some("中山路 1 号".into()),
                caller_phone: Some("13800000000".into()),
                description: Some("two men fighting".into()),
                ..call("dispute")
            },
        )
        .unwrap();
    e.dispatch(1_764_420_060_000, "dp", i.id, &["near".into()], "k")
        .unwrap();
    let i = e.incident(i.id).unwrap().clone();
    let doc = crate::eido::export("demo", "Demo city", &i, &[], 1_764_420_099_000);
    let (back, sender) = crate::eido::import(&doc).unwrap();
    assert_eq!(sender, "urn:pingan:demo");
    let (imported, _) = e
        .import_incident(1_764_420_100_000, "dp", back, &sender)
        .unwrap();
    assert_ne!(imported.id, i.id);
    {
        let (a, b) = (&i, &imported);
        assert_eq!(
            (&a.kind, a.priority, a.status, a.lat, a.lon),
            (&b.kind, b.priority, b.status, b.lat, b.lon)
        );
        assert_eq!(
            (
                &a.address,
                &a.callers,
                a.created_at,
                &a.reached,
                &a.description
            ),
            (
                &b.address,
                &b.callers,
                b.created_at,
                &b.reached,
                &b.description
            )
        );
        assert_eq!(a.place, b.place);
    }
    let err = crate::eido::import(&serde_json::json!({"incidentComponent": [{}]})).unwrap_err();
    assert_eq!(
        err.field(),
        Some("incidentComponent[0].incidentTypeInternalCode")
    );
}

#[test]
fn foot_patrols_walk() {
    assert_eq!(travel_seconds(UnitKind::PatrolCar, 60.0, 1000.0), 60.0);
    let walk = travel_seconds(UnitKind::FootPatrol, 60.0, 1000.0);
    assert!((walk - 1300.0 / 1.4).abs() < 1e-9);
    assert!(travel_seconds(UnitKind::BikePatrol, 60.0, 1000.0) < walk);
}

#[test]
fn duplicate_search_matches_brute_force() {
    let mut e = engine();
    // A crowded square: 300 calls within ~500 m, over 40 minutes.
    let mut seed = 12345u64;
    let mut rnd = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    for n in 0..300 {
        let kind = ["theft", "robbery", "fire", "noise"][n % 4];
        let call = NewIncident {
            kind: kind.into(),
            lat: 0.05 + rnd() * 0.005,
            lon: 0.05 + rnd() * 0.005,
            ..Default::default()
        };
        e.create_incident(n as i64 * 8_000, "ct", call).unwrap();
    }
    let now = 300 * 8_000;
    for _ in 0..50 {
        let (lat, lon) = (0.05 + rnd() * 0.005, 0.05 + rnd() * 0.005);
        let got = e.possible_duplicates(now, "theft", lat, lon);
        let mut want: Vec<(f64, IncidentId)> = e
            .incidents()
            .filter(|i| {
                now - i.created_at <= 30 * 60_000 && e.config().compatible(&i.kind, "theft")
            })
            .map(|i| (haversine_m(LatLon { lat, lon }, i.position()), i.id))
            .filter(|(m, _)| *m <= 300.0)
            .collect();
        want.sort_by(|a, b| a.0.total_cmp(&b.0));
        want.truncate(MAX_DUPLICATE_HINTS);
        let got_ids: Vec<IncidentId> = got.iter().map(|h| h.incident_id).collect();
        let want_ids: Vec<IncidentId> = want.iter().map(|w| w.1).collect();
        assert_eq!(got_ids, want_ids);
    }
}

#[test]
fn the_newest_fix_by_device_time_is_the_units_position() {
    let mut e = engine();
    let fix = |at: i64, lat: f64| FixReport {
        at: Some(at),
        lat,
        lon: 120.6,
        ..Default::default()
    };
    let (u, ch) = e
        .report_fixes(100_000, "near", &[fix(90_000, 31.30), fix(80_000, 31.29)])
        .unwrap();
    assert_eq!((u.lat, u.position_at), (31.30, 90_000));
    assert_eq!(ch.fixes.len(), 2, "both go to the track");
    let (u, _) = e
        .report_fixes(100_000, "near", &[fix(85_000, 31.28)])
        .unwrap();
    assert_eq!(u.lat, 31.30, "a late, older fix does not move the unit");
    let err = e
        .report_fixes(
            100_000,
            "near",
            &[fix(95_000, 31.3), fix(100_000 + DEVICE_AHEAD_MS + 1, 31.3)],
        )
        .unwrap_err();
    assert!(
        matches!(err, DispatchError::Invalid { ref field, .. } if field == "fixes[1].at"),
        "{err:?}"
    );
    assert_eq!(
        e.unit("near").unwrap().position_at,
        90_000,
        "a refused batch changes nothing"
    );
    assert!(e.report_fixes(100_000, "near", &[]).is_err());
}

#[test]
fn events_stored_before_a_field_was_added_still_read() {
    let old = r#"{"seq":7,"at":0,"actor":"u","incident_id":1,"unit_id":"near","event":"reinforcement_requested"}"#;
    let e: Event = serde_json::from_str(old).unwrap();
    assert_eq!(e.kind, EventKind::ReinforcementRequested { count: 1 });
}

#[test]
fn a_merge_gives_each_moved_unit_a_new_order() {
    let mut e = engine();
    let (a, _) = e.create_incident(0, "ct", call("theft")).unwrap();
    let (b, _) = e.create_incident(0, "ct", call("theft")).unwrap();
    e.dispatch(1_000, "dp", a.id, &["near".into()], "k")
        .unwrap();
    let old = e.incident(a.id).unwrap().assignments[0].order_seq;
    let (_, ch) = e.merge(2_000, "dp", a.id, b.id).unwrap();
    let order = ch
        .events
        .iter()
        .find(|ev| matches!(ev.kind, EventKind::UnitDispatched { .. }))
        .expect("a new order");
    assert_eq!(
        (order.incident_id, order.unit_id.as_deref()),
        (Some(b.id), Some("near"))
    );
    let moved = &e.incident(b.id).unwrap().assignments[0];
    assert_eq!(moved.order_seq, Some(order.seq));
    assert_ne!(moved.order_seq, old);
    assert!(moved.acked_at.is_none() && moved.delivered_at.is_none());
}

#[test]
fn a_call_retried_with_its_key_makes_one_incident() {
    let mut e = engine();
    let keyed = |kind: &str| NewIncident {
        idempotency_key: Some("desk-3/call-17".into()),
        ..call(kind)
    };
    let (first, ch) = e.create_incident(1_000, "ct", keyed("theft")).unwrap();
    assert_eq!(
        ch.idempotency.len(),
        1,
        "the key is stored with the incident"
    );
    let (again, ch) = e.create_incident(2_000, "ct", keyed("theft")).unwrap();
    assert_eq!(again.id, first.id);
    assert!(
        ch.events.is_empty() && ch.incidents.is_empty(),
        "a retry writes nothing"
    );
    assert_eq!(e.incidents().count(), 1);
    // The same key for another call is refused, naming the key.
    let err = e
        .create_incident(3_000, "ct", keyed("robbery"))
        .unwrap_err();
    assert!(
        matches!(&err, DispatchError::Conflict { field: Some(f), .. } if f == "idempotency_key"),
        "{err:?}"
    );
    // Remembered across a restart: the engine rebuilt from what was stored.
    let stored: Vec<(String, IncidentId, String)> = {
        let mut e2 = engine();
        let (_, ch) = e2.create_incident(1_000, "ct", keyed("theft")).unwrap();
        ch.idempotency
    };
    let mut e3 = engine_with(Snapshot {
        incidents: e.incidents().cloned().collect(),
        idempotency: stored,
        ..Default::default()
    });
    let (after, _) = e3.create_incident(9_000, "ct", keyed("theft")).unwrap();
    assert_eq!(after.id, first.id);
    // Without a key every call is new.
    let (other, _) = e.create_incident(4_000, "ct", call("theft")).unwrap();
    assert_ne!(other.id, first.id);
}
