//! Whom to send: available units ranked by driving time into the 1, 3 and
//! 5-minute tiers; the two-way dispatch (the station responsible for the
//! place plus the fastest suitable unit); units a response plan adds; and,
//! for serious kinds, the tiered fan-out. Every choice carries its reason.

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::model::{Incident, Unit, UnitId, UnitKind};

/// The response-circle tier of a drive time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Tier {
    /// ≤ 1 minute.
    #[serde(rename = "1")]
    One,
    /// ≤ 3 minutes.
    #[serde(rename = "3")]
    Three,
    /// ≤ 5 minutes.
    #[serde(rename = "5")]
    Five,
    /// More than 5 minutes.
    #[serde(rename = "beyond")]
    Beyond,
}

impl Tier {
    /// The tier of a drive time in seconds.
    pub fn of(seconds: f64) -> Tier {
        if seconds <= 60.0 {
            Tier::One
        } else if seconds <= 180.0 {
            Tier::Three
        } else if seconds <= 300.0 {
            Tier::Five
        } else {
            Tier::Beyond
        }
    }
    /// `1`, `3`, `5` or `beyond`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::One => "1",
            Tier::Three => "3",
            Tier::Five => "5",
            Tier::Beyond => "beyond",
        }
    }
}

/// One available unit and its drive time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedUnit {
    /// The unit.
    pub unit_id: UnitId,
    /// Call sign.
    pub callsign: String,
    /// Kind.
    pub kind: UnitKind,
    /// Home station.
    pub home_station: String,
    /// Driving seconds to the incident.
    pub seconds: f64,
    /// Tier of `seconds`.
    pub tier: Tier,
}

/// Why a unit is proposed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// The unit.
    pub unit_id: UnitId,
    /// Rule code: `fastest`, `station`, `plan`, `plan_beyond_tier`.
    pub rule: String,
    /// Drive time.
    pub seconds: f64,
    /// Tier.
    pub tier: Tier,
    /// A sentence for the dispatcher.
    pub text: String,
}

/// The two-way dispatch (双向出警).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TwoWay {
    /// The station responsible for the place.
    pub station_id: Option<String>,
    /// Units to send, fastest first.
    pub unit_ids: Vec<UnitId>,
    /// One reason per unit.
    pub reasons: Vec<Reason>,
}

/// One wave of the tiered fan-out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wave {
    /// The tier.
    pub tier: Tier,
    /// First responders in it, fastest first.
    pub unit_ids: Vec<UnitId>,
}

/// A plan requirement nobody meets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unmet {
    /// What was required.
    pub unit_kinds: Vec<UnitKind>,
    /// How many were required.
    pub count: u32,
    /// How many could be proposed at all.
    pub found: u32,
    /// Within which time.
    pub within_s: Option<u32>,
}

/// The answer to "whom do I send".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The incident.
    pub incident_id: i64,
    /// Available units by drive time.
    pub units: Vec<RankedUnit>,
    /// The proposal.
    pub two_way: TwoWay,
    /// The fan-out, for serious kinds.
    pub waves: Option<Vec<Wave>>,
    /// Requirements of the response plan that could not be met in their tier.
    pub unmet: Vec<Unmet>,
    /// Available units with no route to the place.
    pub unreachable: Vec<UnitId>,
}

/// Ranks `candidates` (available units, with their drive times) for `incident`.
pub fn recommend(
    config: &Config,
    incident: &Incident,
    candidates: &[(&Unit, Option<f64>)],
) -> Recommendation {
    let mut units: Vec<RankedUnit> = Vec::new();
    let mut unreachable = Vec::new();
    for (u, s) in candidates {
        match s {
            Some(s) => units.push(RankedUnit {
                unit_id: u.id.clone(),
                callsign: u.callsign.clone(),
                kind: u.kind,
                home_station: u.home_station.clone(),
                seconds: (s * 10.0).round() / 10.0,
                tier: Tier::of(*s),
            }),
            None => unreachable.push(u.id.clone()),
        }
    }
    units.sort_by(|a, b| {
        a.seconds
            .total_cmp(&b.seconds)
            .then_with(|| a.unit_id.cmp(&b.unit_id))
    });

    let station = incident.place.station_id.clone();
    let mut reasons: Vec<Reason> = Vec::new();
    let chosen = |reasons: &Vec<Reason>, id: &str| reasons.iter().any(|r| r.unit_id == id);
    let reason = |u: &RankedUnit, rule: &str, text: String| Reason {
        unit_id: u.unit_id.clone(),
        rule: rule.into(),
        seconds: u.seconds,
        tier: u.tier,
        text,
    };
    if let Some(u) = units
        .iter()
        .find(|u| config.first_responders.contains(&u.kind))
    {
        reasons.push(reason(
            u,
            "fastest",
            format!(
                "fastest available {}: {:.0} s by road (tier {})",
                u.kind.as_str(),
                u.seconds,
                u.tier.as_str()
            ),
        ));
    }
    if let Some(st) = &station {
        // The responsible station answers too: its own fastest unit, duty team preferred on a tie of none.
        let own = units
            .iter()
            .filter(|u| &u.home_station == st && !u.kind.is_specialised())
            .min_by(|a, b| {
                (a.kind != UnitKind::StationDuty, a.seconds)
                    .partial_cmp(&(b.kind != UnitKind::StationDuty, b.seconds))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
        if let Some(u) = own.filter(|u| !chosen(&reasons, &u.unit_id)) {
            reasons.push(reason(
                u,
                "station",
                format!(
                    "responsible station {st}: its {} answers, {:.0} s by road",
                    u.kind.as_str(),
                    u.seconds
                ),
            ));
        }
    }
    let mut unmet = Vec::new();
    for plan in config.plans_for(&incident.kind, incident.priority) {
        for req in &plan.requires {
            let limit = req.within_s.map_or(f64::INFINITY, f64::from);
            let mut found = 0;
            for u in units.iter().filter(|u| req.unit_kinds.contains(&u.kind)) {
                if found == req.count {
                    break;
                }
                if chosen(&reasons, &u.unit_id) {
                    found += 1;
                    continue;
                }
                let (rule, text) = if u.seconds <= limit {
                    (
                        "plan",
                        format!(
                            "response plan for {} (priority ≤ {}): {} needed, {:.0} s",
                            plan.kind,
                            plan.max_priority,
                            u.kind.as_str(),
                            u.seconds
                        ),
                    )
                } else {
                    (
                        "plan_beyond_tier",
                        format!(
                            "response plan for {} wants {} within {} s; the fastest is {:.0} s",
                            plan.kind,
                            u.kind.as_str(),
                            limit,
                            u.seconds
                        ),
                    )
                };
                reasons.push(reason(u, rule, text));
                found += 1;
            }
            let in_tier = units
                .iter()
                .filter(|u| req.unit_kinds.contains(&u.kind) && u.seconds <= limit)
                .count() as u32;
            if in_tier < req.count {
                unmet.push(Unmet {
                    unit_kinds: req.unit_kinds.clone(),
                    count: req.count,
                    found: in_tier,
                    within_s: req.within_s,
                });
            }
        }
    }
    reasons.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let waves = config.kind(&incident.kind).filter(|k| k.serious).map(|_| {
        [Tier::One, Tier::Three, Tier::Five]
            .into_iter()
            .map(|tier| Wave {
                tier,
                unit_ids: units
                    .iter()
                    .filter(|u| u.tier == tier && config.first_responders.contains(&u.kind))
                    .map(|u| u.unit_id.clone())
                    .collect(),
            })
            .collect()
    });
    Recommendation {
        incident_id: incident.id,
        two_way: TwoWay {
            station_id: station,
            unit_ids: reasons.iter().map(|r| r.unit_id.clone()).collect(),
            reasons,
        },
        units,
        waves,
        unmet,
        unreachable,
    }
}
