//! Response figures: the share of incidents reached within 1, 3 and 5
//! minutes of the call, and the median and 90th percentile of each phase,
//! overall and by station, kind and period.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{Incident, IncidentStatus, Phase};
use crate::time::{Millis, format_rfc3339};

/// Which incidents to count.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    /// Calls from (inclusive).
    pub from: Option<Millis>,
    /// Calls until (exclusive).
    pub to: Option<Millis>,
    /// Only this station.
    pub station: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
}

/// Median and 90th percentile of a phase, seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Incidents that completed the phase.
    pub n: usize,
    /// Median.
    pub median_s: Option<f64>,
    /// 90th percentile (nearest rank).
    pub p90_s: Option<f64>,
}

/// Figures for one group of incidents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Group key (station id, kind code, period start).
    pub key: String,
    /// Incidents.
    pub incidents: usize,
    /// Incidents with a unit on scene.
    pub reached: usize,
    /// Share of incidents with a unit on scene within 1, 3, 5 minutes of the call (of all counted, excluding cancelled and merged).
    pub within: BTreeMap<String, f64>,
    /// Per-phase spread.
    pub phases: BTreeMap<String, Spread>,
}

/// Everything the figures endpoint returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// All counted incidents.
    pub total: Row,
    /// By responsible station.
    pub by_station: Vec<Row>,
    /// By kind.
    pub by_kind: Vec<Row>,
    /// By period.
    pub by_period: Vec<Row>,
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

fn row(key: String, incidents: &[&Incident]) -> Row {
    let counted: Vec<&&Incident> = incidents
        .iter()
        .filter(|i| !matches!(i.status, IncidentStatus::Cancelled | IncidentStatus::Merged))
        .collect();
    let responses: Vec<f64> = counted.iter().filter_map(|i| i.response_s()).collect();
    let mut within = BTreeMap::new();
    for m in [1, 3, 5] {
        let n = responses
            .iter()
            .filter(|s| **s <= f64::from(m) * 60.0)
            .count();
        let share = if counted.is_empty() {
            0.0
        } else {
            n as f64 / counted.len() as f64
        };
        within.insert(m.to_string(), (share * 10_000.0).round() / 10_000.0);
    }
    let mut phases = BTreeMap::new();
    for phase in Phase::ALL {
        let (a, b) = phase.bounds();
        let mut v: Vec<f64> = counted
            .iter()
            .filter_map(|i| Some((i.reached_at(b)? - i.reached_at(a)?) as f64 / 1000.0))
            .filter(|d| *d >= 0.0)
            .collect();
        v.sort_by(f64::total_cmp);
        phases.insert(
            phase.as_str().to_string(),
            Spread {
                n: v.len(),
                median_s: percentile(&v, 50.0),
                p90_s: percentile(&v, 90.0),
            },
        );
    }
    Row {
        key,
        incidents: incidents.len(),
        reached: responses.len(),
        within,
        phases,
    }
}

fn grouped<'a>(incidents: &[&'a Incident], key: impl Fn(&Incident) -> String) -> Vec<Row> {
    let mut groups: BTreeMap<String, Vec<&'a Incident>> = BTreeMap::new();
    for i in incidents {
        groups.entry(key(i)).or_default().push(i);
    }
    groups.into_iter().map(|(k, v)| row(k, &v)).collect()
}

/// Period length for `by_period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Hours.
    Hour,
    /// UTC days.
    Day,
    /// Months.
    Month,
}

/// Computes the figures of the incidents passing `filter`.
pub fn figures<'a>(
    incidents: impl Iterator<Item = &'a Incident>,
    filter: &Filter,
    period: Period,
) -> Figures {
    let mut selected: Vec<&Incident> = incidents
        .filter(|i| filter.from.is_none_or(|f| i.created_at >= f))
        .filter(|i| filter.to.is_none_or(|t| i.created_at < t))
        .filter(|i| {
            filter
                .station
                .as_ref()
                .is_none_or(|s| i.place.station_id.as_ref() == Some(s))
        })
        .filter(|i| filter.kind.as_ref().is_none_or(|k| &i.kind == k))
        .collect();
    selected.sort_by_key(|i| i.id);
    let period_key = |i: &Incident| {
        let s = format_rfc3339(i.created_at);
        match period {
            Period::Hour => format!("{}:00", &s[..13]),
            Period::Day => s[..10].to_string(),
            Period::Month => s[..7].to_string(),
        }
    };
    Figures {
        total: row("all".into(), &selected),
        by_station: grouped(&selected, |i| {
            i.place.station_id.clone().unwrap_or_default()
        }),
        by_kind: grouped(&selected, |i| i.kind.clone()),
        by_period: grouped(&selected, period_key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(5.0));
        assert_eq!(percentile(&v, 90.0), Some(9.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[7.0], 90.0), Some(7.0));
    }
}
