//! "1+X+N" staffing and community days, reported by station: how many
//! communities have their community officer (1), how many auxiliaries (X),
//! grid workers and volunteers (N) stand behind them, how many officers
//! hold a village-committee post, and whether officers spend the target
//! 3.5 days a week in their communities.

use std::collections::{BTreeMap, BTreeSet};

use dispatch::{Jurisdictions, Level};
use serde_json::Value;

use crate::ledgers::Entry;

/// Days a week a community officer should work in the community.
pub const TARGET_DAYS_PER_WEEK: f64 = 3.5;

/// One officer's community days in a period.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficerDays {
    /// Officer.
    pub officer: String,
    /// Station of the communities logged.
    pub station_id: String,
    /// Communities logged.
    pub communities: Vec<String>,
    /// Distinct days in a community.
    pub days: usize,
    /// Days per week over the period.
    pub per_week: f64,
    /// `per_week >= 3.5`.
    pub meets_target: bool,
}

fn text<'a>(e: &'a Entry, key: &str) -> Option<&'a str> {
    e.fields.get(key).and_then(Value::as_str)
}

fn int(e: &Entry, key: &str) -> i64 {
    e.fields.get(key).and_then(Value::as_i64).unwrap_or(0)
}

/// Community days logged with dates in `[from, to)` (`YYYY-MM-DD`, local),
/// per officer. `period_days` is the length of the period.
pub fn community_days(logs: &[Entry], from: &str, to: &str, period_days: i64) -> Vec<OfficerDays> {
    let mut per: BTreeMap<&str, (BTreeSet<&str>, BTreeSet<&str>, &str)> = BTreeMap::new();
    for e in logs {
        let (Some(officer), Some(date)) = (text(e, "officer"), text(e, "date")) else {
            continue;
        };
        if date < from || date >= to {
            continue;
        }
        let slot = per
            .entry(officer)
            .or_insert_with(|| (BTreeSet::new(), BTreeSet::new(), &e.station_id));
        slot.0.insert(date);
        slot.1.insert(&e.community_id);
    }
    let weeks = (period_days.max(1)) as f64 / 7.0;
    per.into_iter()
        .map(|(officer, (dates, communities, station))| {
            let per_week = ((dates.len() as f64 / weeks) * 100.0).round() / 100.0;
            OfficerDays {
                officer: officer.into(),
                station_id: station.into(),
                communities: communities.into_iter().map(String::from).collect(),
                days: dates.len(),
                per_week,
                meets_target: per_week >= TARGET_DAYS_PER_WEEK,
            }
        })
        .collect()
}

/// Staffing of one area.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaffingRow {
    /// Jurisdiction id (`all` for the total).
    pub id: String,
    /// Name.
    pub name: String,
    /// Communities and villages.
    pub communities: usize,
    /// With a community officer recorded (the "1").
    pub with_officer: usize,
    /// Officers holding a village-committee post.
    pub officers_in_committee: usize,
    /// Auxiliary officers (the "X").
    pub auxiliaries: i64,
    /// Grid workers (the "N").
    pub grid_workers: i64,
    /// Volunteer teams.
    pub volunteer_teams: usize,
    /// Volunteers in them.
    pub volunteers: i64,
    /// Officers with community days in the period.
    pub officers_logging: usize,
    /// Their mean days a week in the community.
    pub mean_days_per_week: f64,
    /// Of them, at or above 3.5 days a week.
    pub meeting_target: usize,
}

fn row(
    id: &str,
    name: &str,
    communities: &[&str],
    staffing: &[&Entry],
    days: &[&OfficerDays],
) -> StaffingRow {
    let mut r = StaffingRow {
        id: id.into(),
        name: name.into(),
        communities: communities.len(),
        ..Default::default()
    };
    for e in staffing {
        if text(e, "officer").is_some() {
            r.with_officer += 1;
        }
        if text(e, "committee_post").is_some() {
            r.officers_in_committee += 1;
        }
        r.auxiliaries += int(e, "auxiliaries");
        r.grid_workers += int(e, "grid_workers");
        if let Some(Value::Array(teams)) = e.fields.get("volunteer_teams") {
            r.volunteer_teams += teams.len();
            r.volunteers += teams
                .iter()
                .filter_map(|t| t.get("size").and_then(Value::as_i64))
                .sum::<i64>();
        }
    }
    r.officers_logging = days.len();
    if !days.is_empty() {
        let mean = days.iter().map(|d| d.per_week).sum::<f64>() / days.len() as f64;
        r.mean_days_per_week = (mean * 100.0).round() / 100.0;
    }
    r.meeting_target = days.iter().filter(|d| d.meets_target).count();
    r
}

/// Staffing and community days, total and per station, within `scope`.
pub fn staffing_report(
    tree: &Jurisdictions,
    staffing: &[Entry],
    days: &[OfficerDays],
    scope: Option<&str>,
) -> (StaffingRow, Vec<StaffingRow>) {
    let in_scope = |id: &str| scope.is_none_or(|s| tree.is_within(id, s));
    let communities = |within: &dyn Fn(&str) -> bool| -> Vec<&str> {
        tree.all()
            .iter()
            .filter(|j| j.level == Level::Community && within(&j.id) && in_scope(&j.id))
            .map(|j| j.id.as_str())
            .collect()
    };
    let live: Vec<&Entry> = staffing
        .iter()
        .filter(|e| tree.get(&e.community_id).is_some() && in_scope(&e.community_id))
        .collect();
    let all_days: Vec<&OfficerDays> = days.iter().filter(|d| in_scope(&d.station_id)).collect();
    let total = row(
        scope.unwrap_or("all"),
        scope
            .and_then(|s| tree.get(s))
            .map_or("", |j| j.name_zh.as_str()),
        &communities(&|_| true),
        &live,
        &all_days,
    );
    let by_station = tree
        .all()
        .iter()
        .filter(|j| j.level == Level::Station && in_scope(&j.id))
        .map(|s| {
            let inside = |x: &str| tree.is_within(x, &s.id);
            let here: Vec<&Entry> = live
                .iter()
                .copied()
                .filter(|e| inside(&e.community_id))
                .collect();
            let d: Vec<&OfficerDays> = all_days
                .iter()
                .copied()
                .filter(|d| d.station_id == s.id)
                .collect();
            row(&s.id, &s.name_zh, &communities(&inside), &here, &d)
        })
        .filter(|r| r.communities > 0)
        .collect();
    (total, by_station)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledgers::{COMMUNITY_DAYS, STAFFING};
    use serde_json::json;

    fn log(officer: &str, date: &str) -> Entry {
        COMMUNITY_DAYS
            .create(
                format!("{officer}-{date}"),
                "V1",
                "S1",
                json!({"officer": officer, "date": date})
                    .as_object()
                    .unwrap(),
                officer,
                0,
            )
            .unwrap()
    }

    #[test]
    fn days_per_week_against_the_target() {
        let mut logs = Vec::new();
        // Two weeks: officer a in 8 distinct days (one logged twice), b in 6.
        for d in 1..=8 {
            logs.push(log("a", &format!("2026-11-{d:02}")));
        }
        logs.push(log("a", "2026-11-03"));
        for d in 1..=6 {
            logs.push(log("b", &format!("2026-11-{d:02}")));
        }
        logs.push(log("b", "2026-11-15")); // outside
        let days = community_days(&logs, "2026-11-01", "2026-11-15", 14);
        let a = days.iter().find(|d| d.officer == "a").unwrap();
        let b = days.iter().find(|d| d.officer == "b").unwrap();
        assert_eq!((a.days, a.per_week, a.meets_target), (8, 4.0, true));
        assert_eq!((b.days, b.per_week, b.meets_target), (6, 3.0, false));
        let s = STAFFING
            .create(
                "V1".into(),
                "V1",
                "S1",
                json!({"officer": "a", "committee_post": "村委副主任", "auxiliaries": 2, "grid_workers": 6,
                    "volunteer_teams": [{"name": "红袖标", "size": 12}, {"name": "护校队", "size": 5}]})
                .as_object()
                .unwrap(),
                "a",
                0,
            )
            .unwrap();
        let r = row(
            "S1",
            "S1",
            &["V1", "V2"],
            &[&s],
            &days.iter().collect::<Vec<_>>(),
        );
        assert_eq!(
            (r.communities, r.with_officer, r.officers_in_committee),
            (2, 1, 1)
        );
        assert_eq!(
            (
                r.auxiliaries,
                r.grid_workers,
                r.volunteer_teams,
                r.volunteers
            ),
            (2, 6, 2, 17)
        );
        assert_eq!(
            (r.officers_logging, r.mean_days_per_week, r.meeting_target),
            (2, 3.5, 1)
        );
    }
}
