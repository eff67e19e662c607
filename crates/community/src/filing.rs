//! What the store files a register's record under, so that lists filter,
//! sort and page in the database rather than in the server: its status,
//! the instant after which it is overdue, and the standard address it is
//! registered at. Derived from the record itself by its register's rules,
//! so a list's `status` and `overdue` filters answer exactly what the
//! record's own `overdue(now)` says.

use serde_json::Value;

use crate::dispute::{DISPUTES, Dispute};
use crate::ledger::{KEY_PERSONS, KeyPerson};
use crate::ledgers::{self, Entry};
use crate::transfer::{DECISION_TARGET_MS, Lead, Transfer, TransferStatus};

/// The ledger field that holds a record's standard-address code
/// (标准地址编码), joining it to the places register.
pub const ADDRESS_CODE: &str = "address_code";

/// The date field (`YYYY-MM-DD`) a register's records are filed under as
/// their `day`: the day a community day was spent, the day property was
/// lost or found (what lost-and-found matching ranges over).
pub fn day_field(kind: &str) -> Option<&'static str> {
    match kind {
        k if k == ledgers::COMMUNITY_DAYS.register.kind => Some("date"),
        k if k == ledgers::LOST_PROPERTY.register.kind => Some("lost_on"),
        k if k == ledgers::FOUND_ITEMS.register.kind => Some("found_on"),
        _ => None,
    }
}

/// The columns a record is filed under.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filing {
    /// The workflow status (`None` where the register has none).
    pub status: Option<String>,
    /// Overdue at every instant after this one (`None`: never, as things stand).
    pub overdue_after: Option<i64>,
    /// The standard address it is registered at.
    pub address_code: Option<String>,
    /// The day (`YYYY-MM-DD`) a record is of (see [`day_field`]).
    pub day: Option<String>,
    /// When the last workflow step was taken (an inspection, a status
    /// change): a period's steps are all on records stepped since it began.
    pub stepped_at: Option<i64>,
}

impl Filing {
    /// Whether the record is overdue at `now` (what the filter asks).
    pub fn overdue(&self, now: i64) -> bool {
        self.overdue_after.is_some_and(|t| now > t)
    }
}

/// The filing of a stored record of `kind` (its JSON document); a document
/// that does not parse files under nothing.
pub fn filing(kind: &str, doc: &str) -> Filing {
    if kind == KEY_PERSONS.kind {
        return serde_json::from_str::<KeyPerson>(doc)
            .map(|p| key_person(&p))
            .unwrap_or_default();
    }
    if kind == DISPUTES.kind {
        return serde_json::from_str::<Dispute>(doc)
            .map(|d| dispute(&d))
            .unwrap_or_default();
    }
    match kind {
        "transfer" => {
            return serde_json::from_str::<Transfer>(doc)
                .map(|t| transfer(&t))
                .unwrap_or_default();
        }
        "lead" => {
            return serde_json::from_str::<Lead>(doc)
                .map(|_| Filing::default())
                .unwrap_or_default();
        }
        _ => {}
    }
    match ledgers::ledger(kind) {
        Some(l) => serde_json::from_str::<Entry>(doc)
            .map(|e| entry(l, &e))
            .unwrap_or_default(),
        None => Filing::default(),
    }
}

/// A ledger entry: its status, the earlier of its close timer and its due
/// date (see [`ledgers::Ledger::overdue`]), and its address code.
pub fn entry(l: &ledgers::Ledger, e: &Entry) -> Filing {
    let overdue_after = l.workflow.and_then(|w| {
        let close = w
            .close_within_hours
            .map(|h| e.created_at + h as i64 * 3_600_000)
            // Closed in time, the close timer never runs out.
            .filter(|&t| e.closed_at.is_none_or(|c| c > t));
        let due = e.due_at.filter(|_| e.closed_at.is_none());
        match (close, due) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    });
    Filing {
        status: e.status.clone(),
        overdue_after,
        address_code: e
            .fields
            .get(ADDRESS_CODE)
            .and_then(Value::as_str)
            .map(str::to_string),
        day: day_field(l.register.kind)
            .and_then(|f| e.fields.get(f))
            .and_then(Value::as_str)
            .map(str::to_string),
        stepped_at: e.steps.iter().map(|s| s.at).max(),
    }
}

/// A case transfer: pending past the decision target since it was last handed over.
pub fn transfer(t: &Transfer) -> Filing {
    Filing {
        status: Some(t.status.as_str().to_string()),
        overdue_after: (t.status == TransferStatus::Pending)
            .then(|| t.history.last().map(|s| s.at + DECISION_TARGET_MS))
            .flatten(),
        address_code: None,
        day: None,
        stepped_at: None,
    }
}

/// A key person: due for a visit.
pub fn key_person(p: &KeyPerson) -> Filing {
    Filing {
        status: None,
        overdue_after: p.next_visit_due,
        address_code: None,
        day: None,
        stepped_at: None,
    }
}

/// A dispute: its outcome (`open`, `resolved`, `unresolved`), overdue once
/// a follow-up visit not yet done is past due.
pub fn dispute(d: &Dispute) -> Filing {
    Filing {
        status: Some(
            match &d.outcome {
                None => "open",
                Some(o) if o.resolved => "resolved",
                Some(_) => "unresolved",
            }
            .to_string(),
        ),
        overdue_after: d
            .follow_ups
            .iter()
            .filter(|f| f.done_at.is_none())
            .map(|f| f.due)
            .min(),
        address_code: None,
        day: None,
        stepped_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Map;

    fn any_entry() -> impl Strategy<Value = (usize, Entry)> {
        (
            0..ledgers::LEDGERS.len(),
            0i64..1_000_000_000,
            proptest::option::of(0i64..2_000_000_000),
            proptest::option::of(0i64..2_000_000_000),
        )
            .prop_map(|(l, created_at, due_at, closed_at)| {
                let ledger = &ledgers::LEDGERS[l];
                (
                    l,
                    Entry {
                        id: "e".into(),
                        kind: ledger.register.kind.into(),
                        community_id: "c".into(),
                        station_id: "s".into(),
                        fields: Map::new(),
                        status: ledger.workflow.map(|w| w.initial.to_string()),
                        steps: Vec::new(),
                        due_at,
                        closed_at: closed_at.map(|c| c.max(created_at)),
                        link: None,
                        created_by: "x".into(),
                        created_at,
                        updated_at: created_at,
                    },
                )
            })
    }

    proptest! {
        /// The filter answers what the ledger's own rule answers, at every instant.
        #[test]
        fn an_entry_is_filed_overdue_exactly_when_its_ledger_says((l, e) in any_entry(), now in 0i64..3_000_000_000) {
            let ledger = &ledgers::LEDGERS[l];
            prop_assert_eq!(entry(ledger, &e).overdue(now), ledger.overdue(&e, now));
        }

        #[test]
        fn a_transfer_is_filed_overdue_exactly_when_it_is(at in 0i64..1_000_000_000, now in 0i64..2_000_000_000, pending in any::<bool>()) {
            let mut t: Transfer = serde_json::from_value(serde_json::json!({
                "id": "T1", "station_id": "s", "incident_id": null, "case_class": "theft",
                "to_unit": "criminal", "summary": "x", "status": "pending", "created_at": at,
                "history": [{"status": "pending", "at": at, "by": "a", "reason": null}]
            })).expect("a transfer");
            if !pending { t.status = TransferStatus::Accepted; }
            prop_assert_eq!(transfer(&t).overdue(now), t.overdue(now));
        }
    }

    #[test]
    fn a_community_day_is_filed_under_its_date_and_an_entry_under_its_last_step() {
        let day: Entry = serde_json::from_value(serde_json::json!({
            "id": "d", "kind": "community_day", "community_id": "c", "station_id": "s",
            "fields": {"officer": "王警官", "date": "2026-11-30"},
            "created_by": "x", "created_at": 5, "updated_at": 5
        }))
        .expect("an entry");
        let f = entry(&ledgers::COMMUNITY_DAYS, &day);
        assert_eq!(f.day.as_deref(), Some("2026-11-30"));
        assert_eq!(f.stepped_at, None);
        let mut venue = day.clone();
        venue.kind = ledgers::VENUES.register.kind.into();
        venue.fields.insert("date".into(), "2026-11-30".into());
        for at in [30, 10] {
            venue.steps.push(ledgers::Step {
                at,
                by: "x".into(),
                action: "inspect".into(),
                status: "open".into(),
                note: None,
                result: None,
                link: None,
            });
        }
        let f = entry(&ledgers::VENUES, &venue);
        assert_eq!(f.day, None, "only a community day is of a day");
        assert_eq!(
            f.stepped_at,
            Some(30),
            "the latest step, whatever the order"
        );
    }

    #[test]
    fn a_record_that_does_not_parse_files_under_nothing() {
        assert_eq!(filing("resident", "{"), Filing::default());
        assert_eq!(filing("no-such-kind", "{}"), Filing::default());
    }
}
