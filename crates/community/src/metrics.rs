//! The metrics an assessment formula can use, counted per station and
//! period from the records themselves, each with the ids of the records
//! it counted (so a station can check its score).

use std::collections::BTreeSet;

use dispatch::{Incident, IncidentStatus, Jurisdictions, Level, PoliceOffice};

use crate::assessment::{Metric, Metrics};
use crate::dispute::Dispute;
use crate::ledgers::{self, Entry};
use crate::transfer::{DECISION_TARGET_MS, Lead, Transfer, TransferStatus};

/// Every metric: name and what it counts.
pub const METRICS: &[(&str, &str)] = &[
    (
        "incidents",
        "110 incidents created in the period (cancelled and merged ones excluded)",
    ),
    (
        "reached_1min",
        "of them, a unit on scene within 1 minute of the call",
    ),
    ("reached_3min", "… within 3 minutes"),
    ("reached_5min", "… within 5 minutes"),
    (
        "disputes_screened",
        "disputes screened (found) in the period",
    ),
    (
        "disputes_settled_7d",
        "of them, settled by mediation within 7 days",
    ),
    ("disputes_escalated", "of them, escalated"),
    (
        "follow_ups_overdue",
        "dispute follow-up visits past due now",
    ),
    ("communities", "villages and communities"),
    (
        "communities_with_office",
        "of them, with a village police office",
    ),
    (
        "offices_co_located",
        "offices sharing the village committee's office",
    ),
    (
        "communities_staffed",
        "communities with a community officer recorded (1+X+N)",
    ),
    (
        "officers_in_committee",
        "community officers holding a village-committee post",
    ),
    (
        "community_days",
        "officer-days logged in the communities in the period",
    ),
    ("officer_weeks", "community officers × weeks in the period"),
    (
        "incidents_to_transfer",
        "110 incidents in the period whose kind is a criminal case the station must transfer (两不办)",
    ),
    ("incidents_transferred", "of them, with a transfer filed"),
    ("transfers", "cases transferred to units in the period"),
    ("transfers_accepted", "of them, accepted"),
    ("transfers_returned", "of them, returned"),
    (
        "transfers_accepted_24h",
        "of them, accepted within 24 hours",
    ),
    ("leads", "leads handed to units in the period"),
    ("leads_used", "of them, used by the unit"),
    (
        "service_requests",
        "365x24 requests registered in the period (lost, found, missing, livelihood)",
    ),
    ("service_closed", "of them, closed"),
    (
        "service_closed_on_time",
        "of them, closed within their target time",
    ),
    (
        "venue_inspections",
        "inspections of regulated venues in the period",
    ),
    (
        "venues_overdue",
        "regulated venues with an inspection past due now",
    ),
    ("rental_inspections", "rental housing checks in the period"),
];

/// Names of [`METRICS`].
pub fn metric_names() -> Vec<&'static str> {
    METRICS.iter().map(|(n, _)| *n).collect()
}

/// What the metrics are counted from.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// Jurisdictions.
    pub tree: &'a Jurisdictions,
    /// Incidents.
    pub incidents: &'a [&'a Incident],
    /// Case transfers.
    pub transfers: &'a [Transfer],
    /// Leads.
    pub leads: &'a [Lead],
    /// Disputes.
    pub disputes: &'a [Dispute],
    /// Every ledger record (all kinds).
    pub entries: &'a [Entry],
    /// Police offices.
    pub offices: &'a [PoliceOffice],
    /// Period start (ms, inclusive).
    pub from: i64,
    /// Period end (ms, exclusive).
    pub to: i64,
    /// Period start as a local date `YYYY-MM-DD` (community days).
    pub from_date: &'a str,
    /// Period end as a local date (exclusive).
    pub to_date: &'a str,
    /// Period length in days.
    pub period_days: i64,
    /// Now (ms): for "past due".
    pub now: i64,
}

fn put(m: &mut Metrics, name: &str, records: Vec<String>) {
    m.insert(
        name.into(),
        Metric {
            value: records.len() as f64,
            records,
        },
    );
}

/// The metrics of one station.
pub fn station_metrics(inp: &Inputs, station: &str) -> Metrics {
    let tree = inp.tree;
    let here = |id: &str| tree.is_within(id, station);
    let in_period = |t: i64| t >= inp.from && t < inp.to;
    let mut m = Metrics::new();

    let incidents: Vec<&Incident> = inp
        .incidents
        .iter()
        .copied()
        .filter(|i| i.place.station_id.as_deref() == Some(station) && in_period(i.created_at))
        .filter(|i| !matches!(i.status, IncidentStatus::Cancelled | IncidentStatus::Merged))
        .collect();
    let ids = |f: &dyn Fn(&Incident) -> bool| -> Vec<String> {
        incidents
            .iter()
            .filter(|i| f(i))
            .map(|i| i.id.to_string())
            .collect()
    };
    put(&mut m, "incidents", ids(&|_| true));
    for (name, s) in [
        ("reached_1min", 60.0),
        ("reached_3min", 180.0),
        ("reached_5min", 300.0),
    ] {
        put(
            &mut m,
            name,
            ids(&|i| i.response_s().is_some_and(|r| r <= s)),
        );
    }

    let disputes: Vec<&Dispute> = inp
        .disputes
        .iter()
        .filter(|d| here(&d.community_id) && in_period(d.screened_at))
        .collect();
    let dids = |f: &dyn Fn(&Dispute) -> bool| -> Vec<String> {
        disputes
            .iter()
            .filter(|d| f(d))
            .map(|d| d.id.clone())
            .collect()
    };
    put(&mut m, "disputes_screened", dids(&|_| true));
    put(
        &mut m,
        "disputes_settled_7d",
        dids(&|d| d.mediated_within(7)),
    );
    put(
        &mut m,
        "disputes_escalated",
        dids(&|d| d.escalation.is_some()),
    );
    put(
        &mut m,
        "follow_ups_overdue",
        inp.disputes
            .iter()
            .filter(|d| here(&d.community_id) && d.overdue_follow_ups(inp.now) > 0)
            .map(|d| d.id.clone())
            .collect(),
    );

    let communities: Vec<&str> = tree
        .all()
        .iter()
        .filter(|j| j.level == Level::Community && here(&j.id))
        .map(|j| j.id.as_str())
        .collect();
    let offices: Vec<&PoliceOffice> = inp
        .offices
        .iter()
        .filter(|o| here(&o.community_id))
        .collect();
    let served: BTreeSet<&str> = offices.iter().map(|o| o.community_id.as_str()).collect();
    put(
        &mut m,
        "communities",
        communities.iter().map(|c| c.to_string()).collect(),
    );
    put(
        &mut m,
        "communities_with_office",
        communities
            .iter()
            .filter(|c| served.contains(*c))
            .map(|c| c.to_string())
            .collect(),
    );
    put(
        &mut m,
        "offices_co_located",
        offices
            .iter()
            .filter(|o| o.shares_committee_office)
            .map(|o| o.id.clone())
            .collect(),
    );

    let entries = |kind: &str| -> Vec<&Entry> {
        inp.entries
            .iter()
            .filter(|e| e.kind == kind && here(&e.community_id))
            .collect()
    };
    let staffing = entries(ledgers::STAFFING.register.kind);
    put(
        &mut m,
        "communities_staffed",
        staffing
            .iter()
            .filter(|e| e.fields.contains_key("officer"))
            .map(|e| e.community_id.clone())
            .collect(),
    );
    put(
        &mut m,
        "officers_in_committee",
        staffing
            .iter()
            .filter(|e| e.fields.contains_key("committee_post"))
            .map(|e| e.community_id.clone())
            .collect(),
    );
    let officers: BTreeSet<&str> = staffing
        .iter()
        .filter_map(|e| e.fields.get("officer").and_then(|v| v.as_str()))
        .collect();
    let mut days: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
    for e in entries(ledgers::COMMUNITY_DAYS.register.kind) {
        let (Some(o), Some(d)) = (
            e.fields.get("officer").and_then(|v| v.as_str()),
            e.fields.get("date").and_then(|v| v.as_str()),
        ) else {
            continue;
        };
        if d >= inp.from_date && d < inp.to_date {
            days.insert((o, d, e.id.as_str()));
        }
    }
    // Distinct officer-days (two logs of one day count once).
    let mut seen = BTreeSet::new();
    let day_ids: Vec<String> = days
        .iter()
        .filter(|(o, d, _)| seen.insert((*o, *d)))
        .map(|(_, _, id)| id.to_string())
        .collect();
    put(&mut m, "community_days", day_ids);
    m.insert(
        "officer_weeks".into(),
        Metric {
            value: ((officers.len() as f64 * inp.period_days as f64 / 7.0) * 100.0).round() / 100.0,
            records: officers.iter().map(|o| o.to_string()).collect(),
        },
    );

    let filed: BTreeSet<i64> = inp.transfers.iter().filter_map(|t| t.incident_id).collect();
    put(
        &mut m,
        "incidents_to_transfer",
        ids(&|i| crate::transfer::must_transfer(&i.kind).is_some()),
    );
    put(
        &mut m,
        "incidents_transferred",
        ids(&|i| crate::transfer::must_transfer(&i.kind).is_some() && filed.contains(&i.id)),
    );
    let transfers: Vec<&Transfer> = inp
        .transfers
        .iter()
        .filter(|t| t.station_id == station && in_period(t.created_at))
        .collect();
    let tids = |f: &dyn Fn(&Transfer) -> bool| -> Vec<String> {
        transfers
            .iter()
            .filter(|t| f(t))
            .map(|t| t.id.clone())
            .collect()
    };
    put(&mut m, "transfers", tids(&|_| true));
    put(
        &mut m,
        "transfers_accepted",
        tids(&|t| t.status == TransferStatus::Accepted),
    );
    put(
        &mut m,
        "transfers_returned",
        tids(&|t| t.status == TransferStatus::Returned),
    );
    put(
        &mut m,
        "transfers_accepted_24h",
        tids(&|t| {
            t.time_to_accept()
                .is_some_and(|ms| ms <= DECISION_TARGET_MS)
        }),
    );
    let leads: Vec<&Lead> = inp
        .leads
        .iter()
        .filter(|l| l.station_id == station && in_period(l.created_at))
        .collect();
    put(
        &mut m,
        "leads",
        leads.iter().map(|l| l.id.clone()).collect(),
    );
    put(
        &mut m,
        "leads_used",
        leads
            .iter()
            .filter(|l| l.feedback.as_ref().is_some_and(|f| f.used))
            .map(|l| l.id.clone())
            .collect(),
    );

    let service: Vec<(&Entry, &ledgers::Ledger)> = inp
        .entries
        .iter()
        .filter(|e| here(&e.community_id) && in_period(e.created_at))
        .filter_map(|e| {
            ledgers::ledger(&e.kind)
                .filter(|l| l.service)
                .map(|l| (e, l))
        })
        .collect();
    put(
        &mut m,
        "service_requests",
        service.iter().map(|(e, _)| e.id.clone()).collect(),
    );
    put(
        &mut m,
        "service_closed",
        service
            .iter()
            .filter(|(e, _)| e.closed_at.is_some())
            .map(|(e, _)| e.id.clone())
            .collect(),
    );
    put(
        &mut m,
        "service_closed_on_time",
        service
            .iter()
            .filter(|(e, l)| l.closed_on_time(e))
            .map(|(e, _)| e.id.clone())
            .collect(),
    );
    let inspections = |kind: &str| -> Vec<String> {
        entries(kind)
            .iter()
            .flat_map(|e| {
                e.steps
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.action == "inspect" && in_period(s.at))
                    .map(|(n, _)| format!("{}#{}", e.id, n + 1))
            })
            .collect()
    };
    put(
        &mut m,
        "venue_inspections",
        inspections(ledgers::VENUES.register.kind),
    );
    put(
        &mut m,
        "rental_inspections",
        inspections(ledgers::RENTAL_HOUSING.register.kind),
    );
    put(
        &mut m,
        "venues_overdue",
        entries(ledgers::VENUES.register.kind)
            .iter()
            .filter(|e| e.closed_at.is_none() && e.due_at.is_some_and(|d| d < inp.now))
            .map(|e| e.id.clone())
            .collect(),
    );
    debug_assert!(
        METRICS.iter().all(|(n, _)| m.contains_key(*n)),
        "every listed metric is counted"
    );
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assessment::{Catalogue, DEFAULT_CATALOGUE};

    #[test]
    fn shipped_catalogue_uses_known_metrics() {
        let c = Catalogue::parse(DEFAULT_CATALOGUE, &metric_names()).unwrap();
        assert!(c.indicator.len() <= 8, "few indicators is the point");
        let total: f64 = c.indicator.iter().map(|i| i.weight).sum();
        assert_eq!(total, 100.0);
    }
}
