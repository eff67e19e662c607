//! Configuration: the incident-kind catalogue, response plans, duplicate rule
//! and phase targets. Plain data (serde), so agencies change it without code.

use serde::{Deserialize, Serialize};

use crate::model::{Phase, UnitKind};

/// One kind of incident in the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindDef {
    /// Code used in the API (`theft`).
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Priority when the call taker gives none (1 most urgent .. 4).
    pub default_priority: u8,
    /// Serious kinds get the tiered fan-out (1, 3 and 5-minute waves).
    #[serde(default)]
    pub serious: bool,
    /// Other kinds a duplicate call may be filed under (same event, other words).
    #[serde(default)]
    pub compatible: Vec<String>,
}

/// What a response plan requires: `count` units of one of `unit_kinds`, each
/// reachable within `within_s` seconds (none: any time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requirement {
    /// Acceptable unit kinds.
    pub unit_kinds: Vec<UnitKind>,
    /// How many.
    pub count: u32,
    /// Tier limit in seconds.
    #[serde(default)]
    pub within_s: Option<u32>,
}

/// A response plan: for a kind at or above a priority, which units to add to
/// the two-way dispatch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponsePlan {
    /// Incident kind code.
    pub kind: String,
    /// Applies when the incident's priority number is at most this (1 = only the most urgent).
    pub max_priority: u8,
    /// Units to add.
    pub requires: Vec<Requirement>,
}

/// The duplicate-call rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateRule {
    /// Straight-line metres.
    pub meters: f64,
    /// Minutes since the earlier call.
    pub minutes: f64,
}

/// Per-phase targets, seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseTargets {
    /// Call → dispatch.
    pub call_to_dispatch: u32,
    /// Dispatch → en route.
    pub dispatch_to_en_route: u32,
    /// En route → on scene.
    pub en_route_to_on_scene: u32,
    /// On scene → controlled.
    pub on_scene_to_controlled: u32,
}

impl PhaseTargets {
    /// The target of `phase`.
    pub fn of(&self, phase: Phase) -> u32 {
        match phase {
            Phase::CallToDispatch => self.call_to_dispatch,
            Phase::DispatchToEnRoute => self.dispatch_to_en_route,
            Phase::EnRouteToOnScene => self.en_route_to_on_scene,
            Phase::OnSceneToControlled => self.on_scene_to_controlled,
        }
    }
}

/// All dispatch configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Incident kinds.
    pub kinds: Vec<KindDef>,
    /// Response plans.
    pub plans: Vec<ResponsePlan>,
    /// Duplicate rule.
    pub duplicate: DuplicateRule,
    /// Phase targets.
    pub targets: PhaseTargets,
    /// Unit kinds that may be the "fastest unit" of a two-way dispatch.
    pub first_responders: Vec<UnitKind>,
    /// Furthest a call may be from a drivable road, metres.
    pub max_snap_m: f64,
    /// An order its unit's terminal has not acknowledged after this many
    /// seconds raises an alert.
    #[serde(default = "default_ack_timeout_s")]
    pub ack_timeout_s: u32,
    /// How often terminals are advised to send their position.
    #[serde(default)]
    pub position_advice: PositionAdvice,
}

/// How often a terminal should send its position: every `moving_every_s`
/// seconds or `moving_every_m` metres while moving, every `stopped_every_s`
/// when stopped (fleet trackers' usual trade of battery and data for a
/// fresh 1-3-5-minute picture).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PositionAdvice {
    /// Seconds between fixes while moving.
    pub moving_every_s: u32,
    /// Metres between fixes while moving.
    pub moving_every_m: u32,
    /// Seconds between fixes while stopped.
    pub stopped_every_s: u32,
}

impl Default for PositionAdvice {
    fn default() -> Self {
        PositionAdvice {
            moving_every_s: 5,
            moving_every_m: 50,
            stopped_every_s: 60,
        }
    }
}

fn default_ack_timeout_s() -> u32 {
    30
}

impl Config {
    /// The kind definition for `code`.
    pub fn kind(&self, code: &str) -> Option<&KindDef> {
        self.kinds.iter().find(|k| k.code == code)
    }

    /// The plans that apply to `kind` at `priority`.
    pub fn plans_for<'a>(
        &'a self,
        kind: &'a str,
        priority: u8,
    ) -> impl Iterator<Item = &'a ResponsePlan> {
        self.plans
            .iter()
            .filter(move |p| p.kind == kind && priority <= p.max_priority)
    }

    /// Whether a call of kind `b` may be a duplicate of an incident of kind `a`.
    pub fn compatible(&self, a: &str, b: &str) -> bool {
        a == b
            || self
                .kind(a)
                .is_some_and(|k| k.compatible.iter().any(|c| c == b))
            || self
                .kind(b)
                .is_some_and(|k| k.compatible.iter().any(|c| c == a))
    }

    /// Checks internal consistency (plans name known kinds, priorities 1..=4).
    pub fn validate(&self) -> Result<(), String> {
        for k in &self.kinds {
            if !(1..=4).contains(&k.default_priority) {
                return Err(format!("kind {}: default_priority must be 1..=4", k.code));
            }
            for c in &k.compatible {
                if self.kind(c).is_none() {
                    return Err(format!(
                        "kind {}: compatible kind {c} is not in the catalogue",
                        k.code
                    ));
                }
            }
        }
        for p in &self.plans {
            if self.kind(&p.kind).is_none() {
                return Err(format!("plan for unknown kind {}", p.kind));
            }
            if p.requires
                .iter()
                .any(|r| r.unit_kinds.is_empty() || r.count == 0)
            {
                return Err(format!(
                    "plan for {}: every requirement needs unit kinds and a count",
                    p.kind
                ));
            }
        }
        Ok(())
    }
}

fn kind(
    code: &str,
    zh: &str,
    en: &str,
    priority: u8,
    serious: bool,
    compatible: &[&str],
) -> KindDef {
    KindDef {
        code: code.into(),
        name_zh: zh.into(),
        name_en: en.into(),
        default_priority: priority,
        serious,
        compatible: compatible.iter().map(|s| s.to_string()).collect(),
    }
}

fn plan(kind: &str, max_priority: u8, requires: Vec<Requirement>) -> ResponsePlan {
    ResponsePlan {
        kind: kind.into(),
        max_priority,
        requires,
    }
}

fn need(kinds: &[UnitKind], count: u32, within_s: Option<u32>) -> Requirement {
    Requirement {
        unit_kinds: kinds.to_vec(),
        count,
        within_s,
    }
}

impl Default for Config {
    fn default() -> Self {
        use UnitKind::*;
        Config {
            kinds: vec![
                kind(
                    "violent_crime",
                    "暴力犯罪",
                    "Violent crime",
                    1,
                    true,
                    &["robbery", "dispute"],
                ),
                kind(
                    "robbery",
                    "抢劫抢夺",
                    "Robbery",
                    1,
                    true,
                    &["violent_crime", "theft"],
                ),
                kind("theft", "盗窃", "Theft", 3, false, &["robbery"]),
                kind(
                    "traffic_accident",
                    "交通事故",
                    "Traffic accident",
                    2,
                    false,
                    &["medical"],
                ),
                kind(
                    "dispute",
                    "纠纷",
                    "Dispute",
                    3,
                    false,
                    &["violent_crime", "noise"],
                ),
                kind("fire", "火灾", "Fire", 1, true, &["medical"]),
                kind(
                    "medical",
                    "急救求助",
                    "Medical emergency",
                    2,
                    false,
                    &["traffic_accident", "fire"],
                ),
                kind("lost_property", "失物求助", "Lost property", 4, false, &[]),
                kind(
                    "missing_person",
                    "人员走失",
                    "Missing person",
                    2,
                    false,
                    &[],
                ),
                kind("noise", "噪音扰民", "Noise", 4, false, &["dispute"]),
                kind("other", "其他", "Other", 3, false, &[]),
            ],
            plans: vec![
                plan(
                    "violent_crime",
                    2,
                    vec![
                        need(&[SpecialPolice], 1, Some(300)),
                        need(&[CriminalInvestigation], 1, None),
                    ],
                ),
                plan("robbery", 2, vec![need(&[CriminalInvestigation], 1, None)]),
                plan("traffic_accident", 2, vec![need(&[Traffic], 1, None)]),
                plan(
                    "fire",
                    1,
                    vec![need(&[PatrolCar, FootPatrol, BikePatrol], 1, Some(180))],
                ),
            ],
            duplicate: DuplicateRule {
                meters: 300.0,
                minutes: 30.0,
            },
            targets: PhaseTargets {
                call_to_dispatch: 60,
                dispatch_to_en_route: 60,
                en_route_to_on_scene: 300,
                on_scene_to_controlled: 300,
            },
            first_responders: vec![
                PatrolCar,
                FootPatrol,
                BikePatrol,
                StationDuty,
                SpecialPolice,
            ],
            max_snap_m: roads::DEFAULT_MAX_SNAP_M,
            ack_timeout_s: default_ack_timeout_s(),
            position_advice: PositionAdvice::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_round_trips() {
        let c = Config::default();
        c.validate().unwrap();
        let back: Config = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
        assert!(c.compatible("theft", "robbery") && c.compatible("robbery", "theft"));
        assert!(!c.compatible("theft", "fire"));
        assert_eq!(c.plans_for("violent_crime", 1).count(), 1);
        assert_eq!(c.plans_for("violent_crime", 3).count(), 0);
    }

    #[test]
    fn validate_names_the_problem() {
        let mut c = Config::default();
        c.plans.push(plan("alien_landing", 1, vec![]));
        assert!(c.validate().unwrap_err().contains("alien_landing"));
    }
}
