//! Case transfer ("两不办"): police stations do not handle criminal or vice
//! cases; a station hands such a case to a specialised unit, which accepts
//! it or returns it with a reason. Stations also hand **leads** (线索) to
//! units and get feedback on their use. Period figures: cases transferred,
//! accepted, returned, median time to acceptance, leads provided and used
//! (the report's 1,417 and 265).

use serde::{Deserialize, Serialize};

use crate::CommunityError;

/// Specialised units a case or lead can go to.
pub const UNITS: [&str; 5] = [
    "criminal_investigation",
    "narcotics",
    "public_order",
    "economic_crime",
    "cyber",
];

/// Case classes that stations must transfer.
pub const CASE_CLASSES: [&str; 2] = ["criminal", "vice"];

/// 110 incident kinds that are criminal cases a station must transfer, with
/// the case class and the unit that takes them. Thefts stay with the
/// station until judged criminal (then a station officer files the
/// transfer by hand).
pub const MUST_TRANSFER: [(&str, &str, &str); 2] = [
    ("violent_crime", "criminal", "criminal_investigation"),
    ("robbery", "criminal", "criminal_investigation"),
];

/// The class and unit an incident of `kind` must be transferred to, if any.
pub fn must_transfer(kind: &str) -> Option<(&'static str, &'static str)> {
    MUST_TRANSFER
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map(|(_, c, u)| (*c, *u))
}

/// How long a transfer may wait for a decision before it is overdue (ms).
pub const DECISION_TARGET_MS: i64 = 24 * 3_600_000;

/// Where a transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    /// Waiting for the unit.
    Pending,
    /// Taken over by the unit.
    Accepted,
    /// Sent back to the station with a reason.
    Returned,
}

impl TransferStatus {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Returned => "returned",
        }
    }
}

/// One step of a transfer's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// New status.
    pub status: TransferStatus,
    /// When (ms since the epoch).
    pub at: i64,
    /// Who.
    pub by: String,
    /// Why (returns and resubmissions).
    pub reason: Option<String>,
}

/// A case handed from a station to a specialised unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    /// Identifier.
    pub id: String,
    /// The station handing it over.
    pub station_id: String,
    /// The incident it came from, if any.
    pub incident_id: Option<i64>,
    /// `criminal` or `vice`.
    pub case_class: String,
    /// Receiving unit (one of [`UNITS`]).
    pub to_unit: String,
    /// What the case is.
    pub summary: String,
    /// Current status.
    pub status: TransferStatus,
    /// When it was handed over.
    pub created_at: i64,
    /// Every status it went through.
    pub history: Vec<Step>,
}

/// What a station submits.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTransfer {
    /// Station (default: the submitter's own).
    pub station_id: Option<String>,
    /// Incident, if the case came from a 110 call.
    pub incident_id: Option<i64>,
    /// `criminal` or `vice`.
    pub case_class: String,
    /// Receiving unit.
    pub to_unit: String,
    /// What the case is.
    pub summary: String,
}

fn check_unit(unit: &str) -> Result<(), CommunityError> {
    if UNITS.contains(&unit) {
        Ok(())
    } else {
        Err(CommunityError::invalid(
            "to_unit",
            format!(
                "unknown unit {unit:?}; expected one of {}",
                UNITS.join(", ")
            ),
        ))
    }
}

fn check_text(field: &'static str, text: &str, max: usize) -> Result<(), CommunityError> {
    if text.trim().is_empty() {
        return Err(CommunityError::invalid(field, "must not be empty"));
    }
    if text.chars().count() > max {
        return Err(CommunityError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    Ok(())
}

impl Transfer {
    /// A new pending transfer.
    pub fn new(
        id: String,
        station_id: String,
        input: NewTransfer,
        now: i64,
        by: &str,
    ) -> Result<Transfer, CommunityError> {
        if !CASE_CLASSES.contains(&input.case_class.as_str()) {
            return Err(CommunityError::invalid(
                "case_class",
                format!(
                    "stations transfer criminal or vice cases; got {:?}",
                    input.case_class
                ),
            ));
        }
        check_unit(&input.to_unit)?;
        check_text("summary", &input.summary, 2000)?;
        Ok(Transfer {
            id,
            station_id,
            incident_id: input.incident_id,
            case_class: input.case_class,
            to_unit: input.to_unit,
            summary: input.summary.trim().to_string(),
            status: TransferStatus::Pending,
            created_at: now,
            history: vec![Step {
                status: TransferStatus::Pending,
                at: now,
                by: by.into(),
                reason: None,
            }],
        })
    }

    /// The unit takes the case over.
    pub fn accept(&mut self, now: i64, by: &str) -> Result<(), CommunityError> {
        if self.status != TransferStatus::Pending {
            return Err(CommunityError::Conflict(format!(
                "transfer {} is {:?}, not pending",
                self.id, self.status
            )));
        }
        self.status = TransferStatus::Accepted;
        self.history.push(Step {
            status: TransferStatus::Accepted,
            at: now,
            by: by.into(),
            reason: None,
        });
        Ok(())
    }

    /// The unit sends it back; a reason is required.
    pub fn give_back(&mut self, now: i64, by: &str, reason: &str) -> Result<(), CommunityError> {
        check_text("reason", reason, 1000)?;
        if self.status != TransferStatus::Pending {
            return Err(CommunityError::Conflict(format!(
                "transfer {} is {:?}, not pending",
                self.id, self.status
            )));
        }
        self.status = TransferStatus::Returned;
        self.history.push(Step {
            status: TransferStatus::Returned,
            at: now,
            by: by.into(),
            reason: Some(reason.trim().into()),
        });
        Ok(())
    }

    /// The station resubmits a returned case (after completing it).
    pub fn resubmit(&mut self, now: i64, by: &str, note: &str) -> Result<(), CommunityError> {
        check_text("reason", note, 1000)?;
        if self.status != TransferStatus::Returned {
            return Err(CommunityError::Conflict(format!(
                "transfer {} is {:?}, not returned",
                self.id, self.status
            )));
        }
        self.status = TransferStatus::Pending;
        self.history.push(Step {
            status: TransferStatus::Pending,
            at: now,
            by: by.into(),
            reason: Some(note.trim().into()),
        });
        Ok(())
    }

    /// Milliseconds from the (last) submission to acceptance.
    pub fn time_to_accept(&self) -> Option<i64> {
        let accepted = self
            .history
            .iter()
            .rev()
            .find(|s| s.status == TransferStatus::Accepted)?;
        let submitted = self
            .history
            .iter()
            .rev()
            .find(|s| s.status == TransferStatus::Pending && s.at <= accepted.at)?;
        Some(accepted.at - submitted.at)
    }

    /// Pending longer than the decision target.
    pub fn overdue(&self, now: i64) -> bool {
        self.status == TransferStatus::Pending
            && self
                .history
                .last()
                .is_some_and(|s| now - s.at > DECISION_TARGET_MS)
    }
}

/// Feedback on a lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadFeedback {
    /// Whether the unit used it (in an investigation, an arrest, a case).
    pub used: bool,
    /// What came of it.
    pub note: Option<String>,
    /// When.
    pub at: i64,
    /// Who.
    pub by: String,
}

/// A lead (线索) a station hands to a unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lead {
    /// Identifier.
    pub id: String,
    /// Station providing it.
    pub station_id: String,
    /// Receiving unit.
    pub to_unit: String,
    /// What it is.
    pub summary: String,
    /// When.
    pub created_at: i64,
    /// Who.
    pub created_by: String,
    /// The unit's feedback.
    pub feedback: Option<LeadFeedback>,
}

/// What a station submits.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLead {
    /// Station (default: the submitter's own).
    pub station_id: Option<String>,
    /// Receiving unit.
    pub to_unit: String,
    /// What it is.
    pub summary: String,
}

impl Lead {
    /// A new lead.
    pub fn new(
        id: String,
        station_id: String,
        input: NewLead,
        now: i64,
        by: &str,
    ) -> Result<Lead, CommunityError> {
        check_unit(&input.to_unit)?;
        check_text("summary", &input.summary, 2000)?;
        Ok(Lead {
            id,
            station_id,
            to_unit: input.to_unit,
            summary: input.summary.trim().into(),
            created_at: now,
            created_by: by.into(),
            feedback: None,
        })
    }

    /// The unit says whether it used the lead (once).
    pub fn give_feedback(
        &mut self,
        used: bool,
        note: Option<String>,
        now: i64,
        by: &str,
    ) -> Result<(), CommunityError> {
        if self.feedback.is_some() {
            return Err(CommunityError::Conflict(format!(
                "lead {} already has feedback",
                self.id
            )));
        }
        if let Some(n) = &note
            && n.chars().count() > 1000
        {
            return Err(CommunityError::invalid("note", "at most 1000 characters"));
        }
        self.feedback = Some(LeadFeedback {
            used,
            note,
            at: now,
            by: by.into(),
        });
        Ok(())
    }
}

/// Transfer and lead figures of one station (or all).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransferFigures {
    /// Station id, or "all".
    pub key: String,
    /// Transfers made in the period.
    pub transferred: usize,
    /// Of them, accepted.
    pub accepted: usize,
    /// Of them, returned (now).
    pub returned: usize,
    /// Of them, still pending.
    pub pending: usize,
    /// Of the pending, past the decision target.
    pub overdue: usize,
    /// Median minutes from submission to acceptance.
    pub median_accept_minutes: Option<f64>,
    /// Leads provided in the period.
    pub leads_provided: usize,
    /// Of them, used by the unit.
    pub leads_used: usize,
    /// Of them, with feedback at all.
    pub leads_answered: usize,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Figures over `[from, to)` (ms), in total and per station.
pub fn figures(
    transfers: &[Transfer],
    leads: &[Lead],
    from: i64,
    to: i64,
    now: i64,
) -> (TransferFigures, Vec<TransferFigures>) {
    let mut stations: Vec<&str> = transfers
        .iter()
        .map(|t| t.station_id.as_str())
        .chain(leads.iter().map(|l| l.station_id.as_str()))
        .collect();
    stations.sort_unstable();
    stations.dedup();
    let one = |key: &str, station: Option<&str>| {
        let ts: Vec<&Transfer> = transfers
            .iter()
            .filter(|t| {
                (from..to).contains(&t.created_at) && station.is_none_or(|s| t.station_id == s)
            })
            .collect();
        let ls: Vec<&Lead> = leads
            .iter()
            .filter(|l| {
                (from..to).contains(&l.created_at) && station.is_none_or(|s| l.station_id == s)
            })
            .collect();
        TransferFigures {
            key: key.into(),
            transferred: ts.len(),
            accepted: ts
                .iter()
                .filter(|t| t.status == TransferStatus::Accepted)
                .count(),
            returned: ts
                .iter()
                .filter(|t| t.status == TransferStatus::Returned)
                .count(),
            pending: ts
                .iter()
                .filter(|t| t.status == TransferStatus::Pending)
                .count(),
            overdue: ts.iter().filter(|t| t.overdue(now)).count(),
            median_accept_minutes: median(
                ts.iter()
                    .filter_map(|t| t.time_to_accept())
                    .map(|ms| ms as f64 / 60_000.0)
                    .collect(),
            ),
            leads_provided: ls.len(),
            leads_used: ls
                .iter()
                .filter(|l| l.feedback.as_ref().is_some_and(|f| f.used))
                .count(),
            leads_answered: ls.iter().filter(|l| l.feedback.is_some()).count(),
        }
    };
    (
        one("all", None),
        stations.iter().map(|s| one(s, Some(s))).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(class: &str, unit: &str) -> NewTransfer {
        NewTransfer {
            case_class: class.into(),
            to_unit: unit.into(),
            summary: "入室盗窃, 损失约 5000 元".into(),
            ..Default::default()
        }
    }

    #[test]
    fn lifecycle_and_checks() {
        let err = Transfer::new(
            "T1".into(),
            "S1".into(),
            new("traffic", "criminal_investigation"),
            0,
            "o",
        )
        .unwrap_err();
        assert!(err.to_string().contains("case_class"), "{err}");
        let err =
            Transfer::new("T1".into(), "S1".into(), new("criminal", "swat"), 0, "o").unwrap_err();
        assert!(err.to_string().contains("to_unit"), "{err}");
        let mut t = Transfer::new(
            "T1".into(),
            "S1".into(),
            new("criminal", "criminal_investigation"),
            1_000,
            "o",
        )
        .unwrap();
        assert!(
            t.give_back(2_000, "u", " ")
                .unwrap_err()
                .to_string()
                .contains("reason")
        );
        t.give_back(2_000, "u", "材料不全").unwrap();
        assert!(
            t.accept(3_000, "u").is_err(),
            "a returned case is not accepted before resubmission"
        );
        t.resubmit(10_000, "o", "补充了现场勘查材料").unwrap();
        assert!(!t.overdue(10_000 + DECISION_TARGET_MS));
        assert!(t.overdue(10_001 + DECISION_TARGET_MS));
        t.accept(70_000, "u").unwrap();
        assert_eq!(t.time_to_accept(), Some(60_000), "from the resubmission");
        assert_eq!(t.history.len(), 4);
        assert!(t.accept(80_000, "u").is_err());
    }

    #[test]
    fn period_figures() {
        let mut ts = Vec::new();
        for i in 0..10 {
            let mut t = Transfer::new(
                format!("T{i}"),
                if i < 6 { "S1" } else { "S2" }.into(),
                new("vice", "public_order"),
                i * 1000,
                "o",
            )
            .unwrap();
            match i % 3 {
                0 => t.accept(i * 1000 + 60_000 * (i + 1), "u").unwrap(),
                1 => t.give_back(i * 1000 + 5, "u", "不属于治安案件").unwrap(),
                _ => {}
            }
            ts.push(t);
        }
        let mut leads: Vec<Lead> = (0..5)
            .map(|i| {
                Lead::new(
                    format!("L{i}"),
                    "S1".into(),
                    NewLead {
                        to_unit: "narcotics".into(),
                        summary: "可疑人员".into(),
                        ..Default::default()
                    },
                    i,
                    "o",
                )
                .unwrap()
            })
            .collect();
        leads[0]
            .give_feedback(true, Some("立案".into()), 10, "u")
            .unwrap();
        leads[1].give_feedback(false, None, 10, "u").unwrap();
        assert!(leads[1].give_feedback(true, None, 11, "u").is_err());
        let (all, by) = figures(&ts, &leads, 0, 100_000, 100_000);
        assert_eq!(
            (all.transferred, all.accepted, all.returned, all.pending),
            (10, 4, 3, 3)
        );
        // Accepted: i = 0, 3, 6, 9 after 1, 4, 7, 10 minutes: median 5.5.
        assert_eq!(all.median_accept_minutes, Some(5.5));
        assert_eq!(
            (all.leads_provided, all.leads_used, all.leads_answered),
            (5, 1, 2)
        );
        let s1 = by.iter().find(|f| f.key == "S1").unwrap();
        assert_eq!(s1.transferred, 6);
        assert_eq!(by.iter().find(|f| f.key == "S2").unwrap().leads_provided, 0);
    }
}
