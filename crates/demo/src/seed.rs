//! The demo city's past: closed incidents, case transfers and leads, and
//! the stations' ledgers, written once when a demo city is created so that
//! trends, hotspots, near repeats, briefings and the community screens have
//! something to show from the first minute.

use app::App;
use app::{AppError, Refusal};
use citygen::Rng;
use dispatch::time::DAY_MS;
use dispatch::{IncidentStatus, LatLon};

use crate::sim::{GIVEN, HOURLY_PROFILE, SURNAMES, SimOptions, poisson, random_kind, random_point};

/// Closed incidents of the past `days` days, so that a new demo city has a
/// history to analyse (trends, hotspots, near repeats, briefings): about
/// `per_day` calls a day with the simulator's kinds, hour profile and hot
/// areas; thefts and robberies are followed by a near repeat (within 200 m
/// and 1-10 days) one time in four, and thefts fall over the period. The
/// incidents are imported (event `imported`, source `demo-history`) in one
/// commit. Returns how many were written.
pub async fn seed_history(
    app: &App,
    opts: &SimOptions,
    days: u32,
    per_day: f64,
) -> Result<usize, AppError> {
    let mut rng = Rng::new(opts.seed ^ 0x4849_5354);
    let now = app.now();
    let day_ms = DAY_MS;
    let start = (now / day_ms - days as i64) * day_ms;
    let hourly_total: f64 = HOURLY_PROFILE.iter().sum();
    let mut calls: Vec<(i64, &'static str, LatLon)> = Vec::new();
    for d in 0..days as i64 {
        for (h, w) in HOURLY_PROFILE.iter().enumerate() {
            let lambda = per_day * w / hourly_total;
            for _ in 0..poisson(&mut rng, lambda) {
                let at = start + d * day_ms + h as i64 * 3_600_000 - opts.utc_offset_h * 3_600_000
                    + (rng.f64() * 3_600_000.0) as i64;
                let age = 1.0 - d as f64 / days as f64;
                let kind = random_kind(&mut rng);
                // Thefts fall: older days have up to 30% more.
                if kind == "theft" && rng.f64() > 1.0 / (1.0 + 0.3 * age) {
                    continue;
                }
                let p = random_point(app.graph(), &opts.hot_areas, &mut rng);
                calls.push((at, kind, p));
                if matches!(kind, "theft" | "robbery") && rng.f64() < 0.25 {
                    let proj = roads::LocalProjection::new(p);
                    let q = proj.to_latlon([(rng.f64() - 0.5) * 300.0, (rng.f64() - 0.5) * 300.0]);
                    let later = at + (1.0 + rng.f64() * 9.0) as i64 * day_ms;
                    if later < now {
                        calls.push((later, kind, q));
                    }
                }
            }
        }
    }
    calls.sort_by_key(|c| c.0);
    let written = app
        .apply(|e, now| {
            let mut all = dispatch::Changes::default();
            let mut n = 0usize;
            for (at, kind, p) in calls {
                let priority = e.config().kind(kind).map_or(3, |k| k.default_priority);
                // Arrival: a few minutes, longer away from the hot areas' posts.
                let dispatched = at + 20_000 + (rng.f64() * 60_000.0) as i64;
                let on_scene = dispatched + (60_000.0 + rng.normal().abs() * 180_000.0) as i64;
                let closed = on_scene + (600_000.0 + rng.f64() * 3_000_000.0) as i64;
                let incident = dispatch::Incident {
                    id: 0,
                    kind: kind.into(),
                    priority,
                    status: IncidentStatus::Closed,
                    lat: p.lat,
                    lon: p.lon,
                    address: None,
                    callers: vec![dispatch::Caller {
                        name: Some(format!(
                            "{}{}",
                            SURNAMES[rng.below(16)],
                            GIVEN[rng.below(16)]
                        )),
                        phone: None,
                        at,
                    }],
                    place: Default::default(),
                    created_at: at,
                    reached: vec![
                        (IncidentStatus::Received, at),
                        (IncidentStatus::Dispatched, dispatched),
                        (IncidentStatus::EnRoute, dispatched + 5_000),
                        (IncidentStatus::OnScene, on_scene),
                        (IncidentStatus::Closed, closed.min(now)),
                    ],
                    assignments: vec![],
                    merged_into: None,
                    merged_from: vec![],
                    possible_duplicates: vec![],
                    overdue: vec![],
                    description: None,
                    location: None,
                    reinforcement_waiting: vec![],
                };
                // Points outside the city's jurisdictions are skipped.
                if let Ok((_, ch)) =
                    e.import_incident(now, "demo-history", incident, "demo-history")
                {
                    all.incidents.extend(ch.incidents);
                    all.events.extend(ch.events);
                    n += 1;
                }
            }
            Ok((n, all))
        })
        .await?;
    Ok(written)
}

/// Case transfers and leads of the past `days` days for every station, in
/// the report's proportions: stations hand over criminal and vice cases
/// (most accepted within hours, some returned with a reason and resubmitted,
/// the newest still pending) and leads (about one in five used: the
/// report's 265 of 1,417). Stored in one transaction. Returns (transfers, leads).
pub async fn seed_community(app: &App, days: u32, seed: u64) -> Result<(usize, usize), AppError> {
    use community::transfer::{Lead, NewLead, NewTransfer, Transfer, UNITS};
    let mut rng = Rng::new(seed ^ 0x434F_4D4D);
    let now = app.now();
    let day_ms = DAY_MS;
    let stations: Vec<String> = app
        .jurisdictions()
        .all()
        .iter()
        .filter(|j| j.level == dispatch::Level::Station)
        .map(|j| j.id.clone())
        .collect();
    const CASES: [(&str, &str, &str); 6] = [
        (
            "criminal",
            "criminal_investigation",
            "入室盗窃, 现场有撬压痕迹",
        ),
        (
            "criminal",
            "criminal_investigation",
            "电动车连续被盗, 疑为同一团伙",
        ),
        ("criminal", "economic_crime", "以投资理财为名诈骗"),
        ("criminal", "cyber", "网络刷单诈骗, 涉案金额较大"),
        ("vice", "public_order", "出租屋内聚众赌博"),
        ("vice", "narcotics", "群众举报有人吸食毒品"),
    ];
    const REASONS: [&str; 3] = ["缺少报案笔录", "不属于本单位管辖", "需补充现场勘查材料"];
    const LEADS: [&str; 4] = [
        "某出租屋人员进出频繁",
        "网格员发现可疑车辆",
        "外来人员无登记住宿",
        "群众反映夜间有人交易",
    ];
    let mut records = Vec::new();
    let (mut nt, mut nl) = (0, 0);
    // "两不办": the past criminal incidents go to the units (a few were missed).
    let owed: Vec<(i64, String, i64, &str, &str)> = app.read(|engine| {
        engine
            .incidents()
            .filter_map(|i| {
                let (class, unit) = community::transfer::must_transfer(&i.kind)?;
                Some((i.id, i.place.station_id.clone()?, i.created_at, class, unit))
            })
            .collect()
    });
    for (incident, station, at, class, unit) in owed {
        let filed = at + (1_800_000.0 + rng.f64() * 8.0 * 3_600_000.0) as i64;
        if filed >= now || rng.f64() < 0.04 {
            continue;
        }
        let Ok(mut t) = Transfer::new(
            format!("T{filed}-{nt}"),
            station.clone(),
            NewTransfer {
                incident_id: Some(incident),
                case_class: class.into(),
                to_unit: unit.into(),
                summary: format!("110 警情 #{incident} 移交"),
                ..Default::default()
            },
            filed,
            &format!("officer-{}", station.to_lowercase()),
        ) else {
            continue;
        };
        let decide = filed + (600_000.0 + rng.normal().abs() * 3.0 * 3_600_000.0) as i64;
        if decide < now {
            let _ = t.accept(decide, "command-centre");
        }
        records.push(past_record(
            "transfer",
            &t.id,
            &station,
            filed,
            t.history.last().map_or(filed, |s| s.at),
            &t,
        ));
        nt += 1;
    }
    // Cases that came to the stations otherwise (walk-ins, patrol finds).
    for station in &stations {
        for d in 0..days as i64 {
            let day0 = now - (days as i64 - d) * day_ms;
            for _ in 0..poisson(&mut rng, 0.12) {
                let (class, unit, summary) = CASES[rng.below(CASES.len())];
                let at = day0 + (rng.f64() * day_ms as f64) as i64;
                let by = format!("officer-{}", station.to_lowercase());
                let Ok(mut t) = Transfer::new(
                    format!("T{at}-{nt}"),
                    station.clone(),
                    NewTransfer {
                        case_class: class.into(),
                        to_unit: unit.into(),
                        summary: summary.into(),
                        ..Default::default()
                    },
                    at,
                    &by,
                ) else {
                    continue;
                };
                let decide = at + (600_000.0 + rng.normal().abs() * 4.0 * 3_600_000.0) as i64;
                if decide < now {
                    if rng.f64() < 0.1 {
                        let _ = t.give_back(
                            decide,
                            "command-centre",
                            REASONS[rng.below(REASONS.len())],
                        );
                        let again = decide + (3_600_000.0 + rng.f64() * DAY_MS as f64) as i64;
                        if again < now && rng.f64() < 0.8 {
                            let _ = t.resubmit(again, &by, "已补充材料");
                            let accept =
                                again + (1_800_000.0 + rng.f64() * 3.0 * 3_600_000.0) as i64;
                            if accept < now {
                                let _ = t.accept(accept, "command-centre");
                            }
                        }
                    } else {
                        let _ = t.accept(decide, "command-centre");
                    }
                }
                records.push(past_record(
                    "transfer",
                    &t.id,
                    station,
                    at,
                    t.history.last().map_or(at, |s| s.at),
                    &t,
                ));
                nt += 1;
            }
            for _ in 0..poisson(&mut rng, 0.35) {
                let at = day0 + (rng.f64() * day_ms as f64) as i64;
                let by = format!("officer-{}", station.to_lowercase());
                let Ok(mut l) = Lead::new(
                    format!("L{at}-{nl}"),
                    station.clone(),
                    NewLead {
                        to_unit: UNITS[rng.below(UNITS.len())].into(),
                        summary: LEADS[rng.below(LEADS.len())].into(),
                        ..Default::default()
                    },
                    at,
                    &by,
                ) else {
                    continue;
                };
                let answered = at + (rng.f64() * 14.0 * day_ms as f64) as i64;
                if answered < now && rng.f64() < 0.7 {
                    let used = rng.f64() < 0.27;
                    let _ = l.give_feedback(
                        used,
                        used.then(|| "已核查, 据此立案".to_string()),
                        answered,
                        "command-centre",
                    );
                }
                records.push(past_record("lead", &l.id, station, at, at, &l));
                nl += 1;
            }
        }
    }
    // Disputes screened in each community, most settled within days.
    use community::dispute::{Dispute, NewDispute, Party};
    const DISPUTES: [(&str, &str); 5] = [
        ("neighbour", "相邻通行纠纷"),
        ("family", "赡养老人纠纷"),
        ("property", "房屋租赁押金纠纷"),
        ("labour", "拖欠工资纠纷"),
        ("land", "宅基地界线争议"),
    ];
    let communities: Vec<String> = app
        .jurisdictions()
        .all()
        .iter()
        .filter(|j| j.level == dispatch::Level::Community)
        .map(|j| j.id.clone())
        .collect();
    for (k, community) in communities.iter().enumerate() {
        for d in 0..days as i64 {
            for _ in 0..poisson(&mut rng, 0.04) {
                let at = now - (days as i64 - d) * day_ms + (rng.f64() * day_ms as f64) as i64;
                let (kind, summary) = DISPUTES[rng.below(DISPUTES.len())];
                let risk = ["low", "low", "medium", "medium", "high"][rng.below(5)];
                let name =
                    |rng: &mut Rng| format!("{}{}", SURNAMES[rng.below(16)], GIVEN[rng.below(16)]);
                let input = NewDispute {
                    community_id: community.clone(),
                    parties: vec![
                        Party {
                            name: name(&mut rng),
                            phone: None,
                        },
                        Party {
                            name: name(&mut rng),
                            phone: None,
                        },
                    ],
                    dispute_type: kind.into(),
                    risk: risk.into(),
                    summary: summary.into(),
                };
                let Ok(mut dispute) = Dispute::new(format!("D{at}-{k}"), input, at) else {
                    continue;
                };
                let step = at + (rng.f64() * 2.0 * day_ms as f64) as i64;
                if step < now {
                    let _ = dispute.mediate("社区民警与调解员上门调解", "demo", step);
                    let end = step + (rng.f64() * 8.0 * day_ms as f64) as i64;
                    if end < now {
                        if risk == "high" && rng.f64() < 0.3 {
                            let _ = dispute.escalate("派出所所长", "调解未果, 有激化风险", end);
                        } else {
                            let _ = dispute.close(rng.f64() < 0.9, "双方达成调解协议", 30, end);
                            // The 30-day visit, made around its date; one not yet made is at most weeks late.
                            let due = end + 30 * day_ms;
                            let visit = due + ((rng.f64() * 5.0 - 3.0) * day_ms as f64) as i64;
                            let late = now - due < 21 * day_ms && rng.f64() < 0.1;
                            if visit < now && !late {
                                let _ = dispute.follow_up_done(visit);
                            }
                        }
                    }
                }
                records.push(past_record(
                    community::dispute::DISPUTES.kind,
                    &dispute.id,
                    community,
                    at,
                    at,
                    &dispute,
                ));
            }
        }
    }
    app.store()
        .put_records(&records, "demo-history")
        .await
        .map_err(AppError::store)?;
    Ok((nt, nl))
}

/// A past community record, as the demo stores it.
fn past_record<T: serde::Serialize>(
    kind: &str,
    id: &str,
    jurisdiction: &str,
    created_at: i64,
    updated_at: i64,
    value: &T,
) -> store::CommunityRecord {
    store::CommunityRecord {
        kind: kind.into(),
        id: id.into(),
        jurisdiction_id: jurisdiction.into(),
        doc: serde_json::to_string(value).expect("serialises"),
        created_at,
        updated_at,
        deleted_at: None,
    }
}

/// When a demo record with a time limit was closed, or `None` while it is
/// still open: most close inside the limit, a few slip past it, and what is
/// still open or overdue is recent, as in a station that keeps up its work.
fn settle(rng: &mut Rng, at: i64, limit: i64, now: i64) -> Option<i64> {
    let age = now - at;
    let slipped = rng.f64() < 0.03;
    let close = at
        + (limit as f64
            * if slipped {
                1.1 + rng.f64()
            } else {
                0.2 + 0.75 * rng.f64()
            }) as i64;
    // Overdue work left open is at most a few weeks old.
    let left_open = slipped && age < limit + 21 * DAY_MS && rng.f64() < 0.5;
    (close < now && !left_open).then_some(close)
}

fn demo_name(rng: &mut Rng) -> String {
    format!("{}{}", SURNAMES[rng.below(16)], GIVEN[rng.below(16)])
}

/// A resident identity number with a correct check character.
fn demo_id_number(rng: &mut Rng) -> String {
    let born = 1950 + rng.below(55);
    let base = format!(
        "110105{born}{:02}{:02}{:03}",
        1 + rng.below(12),
        1 + rng.below(28),
        rng.below(1000)
    );
    let check = community::identity::check_char(base.as_bytes());
    format!("{base}{check}")
}

fn demo_phone(rng: &mut Rng) -> String {
    format!("13{}{:08}", rng.below(10), rng.below(100_000_000))
}

fn local_date(ms: i64) -> String {
    dispatch::time::format_rfc3339(ms + app::LOCAL_UTC_OFFSET_MIN * 60_000)[..10].to_string()
}

/// What [`seed_ledgers`] wrote, per ledger kind.
pub type LedgerCounts = std::collections::BTreeMap<&'static str, usize>;

/// Fills the ledgers of every community with a believable past: 1+X+N
/// staffing, community days, residents, rental housing, floating population,
/// regulated venues with inspections, and the 365x24 service (lost and found
/// property with matches, missing persons, livelihood requests). Every
/// record goes through the same validation and workflow as the API's.
pub async fn seed_ledgers(app: &App, days: u32, seed: u64) -> Result<LedgerCounts, AppError> {
    use community::ledgers::*;
    use serde_json::json;
    let mut rng = Rng::new(seed ^ 0x4C45_4447);
    let now = app.now();
    let day = DAY_MS;
    let hour = 3_600_000i64;
    let start = now - days as i64 * day;
    let mut entries: Vec<Entry> = Vec::new();
    let tree = &app.jurisdictions();
    let communities: Vec<(String, String)> = tree
        .all()
        .iter()
        .filter(|j| j.level == dispatch::Level::Community)
        .map(|j| {
            let station = tree
                .ancestors(&j.id)
                .find(|a| a.level == dispatch::Level::Station)
                .map(|a| a.id.clone())
                .unwrap_or_default();
            (j.id.clone(), station)
        })
        .collect();
    let mut n = 0usize;
    let mut make = |l: &Ledger, c: &(String, String), fields: serde_json::Value, at: i64| {
        n += 1;
        let id = if l.one_per_community {
            c.0.clone()
        } else {
            format!("{}-{at}-{n}", l.register.kind)
        };
        l.create(
            id,
            &c.0,
            &c.1,
            fields.as_object().expect("object"),
            "demo",
            at,
        )
        .unwrap_or_else(|e| panic!("demo {} record: {e}", l.register.kind))
    };
    const POSTS: [&str; 3] = ["村党支部副书记", "村委会副主任", "居委会副主任"];
    const ORIGINS: [&str; 6] = [
        "河南省周口市",
        "四川省达州市",
        "安徽省阜阳市",
        "湖南省邵阳市",
        "江西省赣州市",
        "贵州省毕节市",
    ];
    const JOBS: [&str; 5] = ["快递员", "建筑工人", "餐饮服务员", "个体经营", "工厂工人"];
    const STREETS: [&str; 6] = ["幸福路", "人民路", "建设街", "和平里", "新村路", "文化巷"];
    let address = |rng: &mut Rng| {
        format!(
            "{}{}号{}单元",
            STREETS[rng.below(6)],
            1 + rng.below(200),
            1 + rng.below(6)
        )
    };
    for (k, c) in communities.iter().enumerate() {
        // 1 + X + N.
        // Names repeat in a city; the police number keeps officers apart.
        let officer = format!("{} ({:06})", demo_name(&mut rng), 100_000 + k);
        let teams: Vec<serde_json::Value> = (0..1 + rng.below(3))
            .map(|k| {
                json!({"name": (["平安志愿者队", "红袖标巡逻队", "护校队"][k]), "size": 5 + rng.below(36)})
            })
            .collect();
        let mut staffing = json!({"officer": officer, "officer_phone": demo_phone(&mut rng),
            "auxiliaries": 1 + rng.below(4), "grid_workers": 2 + rng.below(9), "volunteer_teams": teams});
        if rng.f64() < 0.6 {
            staffing["committee_post"] = json!(POSTS[rng.below(3)]);
        }
        entries.push(make(&STAFFING, c, staffing, start));
        // Days in the community: most officers near or above 3.5 a week.
        let p = 0.4 + rng.f64() * 0.4;
        for d in 0..days as i64 {
            let at = start + d * day + 9 * hour;
            if at < now && rng.f64() < p {
                entries.push(make(
                    &COMMUNITY_DAYS,
                    c,
                    json!({"officer": officer, "date": local_date(at), "hours": 4 + rng.below(6),
                        "activities": (["走访入户", "矛盾排查", "巡逻防控", "安全宣传"][rng.below(4)])}),
                    at,
                ));
            }
        }
        for _ in 0..5 + rng.below(10) {
            let at = start + (rng.f64() * (now - start) as f64) as i64;
            entries.push(make(&RESIDENTS, c, json!({"name": demo_name(&mut rng), "id_number": demo_id_number(&mut rng),
                "gender": (["male", "female"][rng.below(2)]), "address": address(&mut rng), "phone": demo_phone(&mut rng),
                "household": (["registered", "registered", "resident_not_registered"][rng.below(3)])}), at));
        }
        for _ in 0..3 + rng.below(6) {
            let at = start + (rng.f64() * (now - start) as f64) as i64;
            let from = local_date(at);
            entries.push(make(&FLOATING_POPULATION, c, json!({"name": demo_name(&mut rng), "id_number": demo_id_number(&mut rng),
                "origin": ORIGINS[rng.below(6)], "address": address(&mut rng), "phone": demo_phone(&mut rng),
                "occupation": JOBS[rng.below(5)], "registered_on": from}), at));
        }
        for _ in 0..2 + rng.below(5) {
            let at = start + (rng.f64() * (now - start) as f64 * 0.3) as i64;
            let tenants: Vec<serde_json::Value> = (0..1 + rng.below(3))
                .map(|_| json!({"name": demo_name(&mut rng), "id_number": demo_id_number(&mut rng), "from": local_date(at)}))
                .collect();
            let mut e = make(
                &RENTAL_HOUSING,
                c,
                json!({"address": address(&mut rng), "landlord": demo_name(&mut rng),
                "landlord_phone": demo_phone(&mut rng), "rooms": 1 + rng.below(4), "tenants": tenants,
                "registered_on": local_date(at)}),
                at,
            );
            let mut t = at + (60.0 + rng.f64() * 40.0) as i64 * day;
            while t < now {
                let r = ["pass", "pass", "pass", "rectify"][rng.below(4)];
                let _ = RENTAL_HOUSING.act(
                    &mut e,
                    "inspect",
                    Some("消防、登记检查"),
                    Some(r),
                    None,
                    "demo",
                    t,
                );
                t += (80.0 + rng.f64() * 20.0) as i64 * day;
            }
            entries.push(e);
        }
        for _ in 0..rng.below(4) {
            let at = start;
            let cat = ["hotel", "internet_cafe", "entertainment", "hotel"][rng.below(4)];
            let name = match cat {
                "hotel" => format!("{}宾馆", STREETS[rng.below(6)]),
                "internet_cafe" => format!("{}网吧", STREETS[rng.below(6)]),
                _ => format!("{}KTV", STREETS[rng.below(6)]),
            };
            let mut e = make(
                &VENUES,
                c,
                json!({"name": name, "category": cat, "address": address(&mut rng),
                "licence": format!("公特旅字{:06}号", rng.below(1_000_000)), "manager": demo_name(&mut rng),
                "phone": demo_phone(&mut rng)}),
                at,
            );
            let mut t = at + (rng.f64() * 20.0) as i64 * day;
            while t < now {
                let r = ["pass", "pass", "pass", "rectify", "violation"][rng.below(5)];
                let _ = VENUES.act(
                    &mut e,
                    "inspect",
                    Some("例行检查, 核对住宿/上网登记"),
                    Some(r),
                    None,
                    "demo",
                    t,
                );
                // Most are inspected within the month; some slip.
                t += (20.0 + rng.f64() * 16.0) as i64 * day;
            }
            entries.push(e);
        }
    }
    // The 365x24 service, per station and day.
    const ITEMS: [(&str, &str, &str); 6] = [
        ("wallet", "黑色钱包", "黑色皮质钱包, 内有身份证和银行卡"),
        ("phone", "手机", "蓝色手机, 带透明手机壳"),
        ("keys", "钥匙串", "一串钥匙, 挂小熊挂件"),
        ("bag", "双肩包", "灰色双肩包, 内有笔记本电脑"),
        ("documents", "身份证", "居民身份证一张"),
        ("bicycle", "自行车", "红色山地自行车"),
    ];
    let mut by_station: std::collections::BTreeMap<&str, Vec<&(String, String)>> =
        std::collections::BTreeMap::new();
    for c in &communities {
        by_station.entry(c.1.as_str()).or_default().push(c);
    }
    for cs in by_station.values() {
        for d in 0..days as i64 {
            let day0 = start + d * day;
            let pick = |rng: &mut Rng| cs[rng.below(cs.len())];
            for _ in 0..poisson(&mut rng, 0.3) {
                let at = day0 + (rng.f64() * day as f64) as i64;
                let (cat, item, desc) = ITEMS[rng.below(ITEMS.len())];
                let c = pick(&mut rng);
                let mut lost = make(
                    &LOST_PROPERTY,
                    c,
                    json!({"item": item, "category": cat, "description": desc,
                    "lost_on": local_date(at), "place": format!("{}公交站", STREETS[rng.below(6)]),
                    "owner": demo_name(&mut rng), "owner_phone": demo_phone(&mut rng)}),
                    at,
                );
                if rng.f64() < 0.45 {
                    // Someone hands it in; it is matched and returned.
                    let f_at = at + (rng.f64() * 2.0 * day as f64) as i64;
                    let mut found = make(
                        &FOUND_ITEMS,
                        pick(&mut rng),
                        json!({"item": item, "category": cat,
                        "description": desc, "found_on": local_date(f_at), "finder": demo_name(&mut rng)}),
                        f_at,
                    );
                    let m_at = f_at + (rng.f64() * 6.0 * hour as f64) as i64;
                    if m_at < now {
                        let _ = LOST_PROPERTY.act(
                            &mut lost,
                            "match",
                            None,
                            None,
                            Some(&found.id),
                            "demo",
                            m_at,
                        );
                        let _ = FOUND_ITEMS.act(
                            &mut found,
                            "match",
                            None,
                            None,
                            Some(&lost.id),
                            "demo",
                            m_at,
                        );
                        let r_at = m_at + (rng.f64() * 3.0 * day as f64) as i64;
                        if r_at < now {
                            let _ = LOST_PROPERTY
                                .act(&mut lost, "return", None, None, None, "demo", r_at);
                            let _ = FOUND_ITEMS
                                .act(&mut found, "return", None, None, None, "demo", r_at);
                        }
                    }
                    entries.push(found);
                } else if let Some(c_at) = settle(&mut rng, at, 15 * day, now) {
                    let _ = LOST_PROPERTY.act(
                        &mut lost,
                        "close",
                        Some("未找到, 已告知失主"),
                        None,
                        None,
                        "demo",
                        c_at,
                    );
                }
                entries.push(lost);
            }
            for _ in 0..poisson(&mut rng, 0.1) {
                // Handed in with no owner known yet.
                let at = day0 + (rng.f64() * day as f64) as i64;
                let (cat, item, desc) = ITEMS[rng.below(ITEMS.len())];
                let mut found = make(
                    &FOUND_ITEMS,
                    pick(&mut rng),
                    json!({"item": item, "category": cat,
                    "description": desc, "found_on": local_date(at)}),
                    at,
                );
                if let Some(d_at) = settle(&mut rng, at, 30 * day, now) {
                    // Most are claimed by their owners; the rest go to the lost-property office.
                    let (action, note) = if rng.f64() < 0.4 {
                        ("return", "失主认领")
                    } else {
                        ("dispose", "招领期满, 移交遗失物保管")
                    };
                    let _ =
                        FOUND_ITEMS.act(&mut found, action, Some(note), None, None, "demo", d_at);
                }
                entries.push(found);
            }
            for _ in 0..poisson(&mut rng, 0.04) {
                let at = day0 + (rng.f64() * day as f64) as i64;
                let age = [4, 7, 78, 82, 85, 15][rng.below(6)];
                let mut e = make(
                    &MISSING_PERSONS,
                    pick(&mut rng),
                    json!({"name": demo_name(&mut rng), "age": age,
                    "gender": (["male", "female"][rng.below(2)]), "description": "身穿深色外套, 走失时神志不清",
                    "last_seen_on": local_date(at), "last_seen_place": format!("{}菜市场", STREETS[rng.below(6)]),
                    "reporter": demo_name(&mut rng), "reporter_phone": demo_phone(&mut rng)}),
                    at,
                );
                let s_at = at + (rng.f64() * 0.5 * hour as f64) as i64;
                if s_at < now {
                    let _ = MISSING_PERSONS.act(
                        &mut e,
                        "search",
                        Some("调取监控, 网格员、志愿者分片寻找"),
                        None,
                        None,
                        "demo",
                        s_at,
                    );
                    let f_at = s_at + (rng.normal().abs() * 10.0 * hour as f64) as i64;
                    if f_at < now {
                        let _ = MISSING_PERSONS.act(
                            &mut e,
                            "found",
                            Some("已找到, 交家属带回"),
                            None,
                            None,
                            "demo",
                            f_at,
                        );
                    }
                }
                entries.push(e);
            }
            for _ in 0..poisson(&mut rng, 0.8) {
                let at = day0 + (rng.f64() * day as f64) as i64;
                let (cat, desc) = [
                    ("elderly", "独居老人求助, 行动不便"),
                    ("locked_out", "钥匙反锁屋内"),
                    ("utilities", "楼道停电, 求助联系物业"),
                    ("noise", "楼上装修噪音扰民"),
                    ("lost_child", "儿童与家长走散"),
                    ("traffic", "车辆堵住出口"),
                ][rng.below(6)];
                let mut e = make(
                    &LIVELIHOOD,
                    pick(&mut rng),
                    json!({"category": cat, "description": desc,
                    "requester": demo_name(&mut rng), "phone": demo_phone(&mut rng), "address": address(&mut rng)}),
                    at,
                );
                let s_at = at + (rng.f64() * hour as f64) as i64;
                if s_at < now {
                    let _ = LIVELIHOOD.act(&mut e, "start", None, None, None, "demo", s_at);
                    let c_at = s_at + (rng.normal().abs() * 12.0 * hour as f64) as i64;
                    if c_at < now {
                        let _ = LIVELIHOOD.act(
                            &mut e,
                            "close",
                            Some("已处理, 群众满意"),
                            None,
                            None,
                            "demo",
                            c_at,
                        );
                    }
                }
                entries.push(e);
            }
        }
    }
    let mut counts = LedgerCounts::new();
    let records: Vec<store::CommunityRecord> = entries
        .iter()
        .map(|e| {
            *counts
                .entry(ledger(&e.kind).expect("known").register.kind)
                .or_default() += 1;
            past_record(
                &e.kind,
                &e.id,
                &e.community_id,
                e.created_at,
                e.updated_at,
                e,
            )
        })
        .collect();
    app.store()
        .put_records(&records, "demo-history")
        .await
        .map_err(AppError::store)?;
    Ok(counts)
}
