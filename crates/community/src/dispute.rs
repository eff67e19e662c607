//! The dispute ledger (矛盾纠纷排查化解台账): parties, type, risk level,
//! screening date, mediation steps, outcome, follow-up visits with due
//! dates, and escalation. Parties are personal data: the ledger is a
//! register with a legal basis, purpose and retention, like key persons.

use dispatch::time::DAY_MS;
use serde::{Deserialize, Serialize};

use crate::CommunityError;
use crate::ledger::Register;

/// The dispute register.
pub const DISPUTES: Register = Register {
    kind: "dispute",
    legal_basis: "《中华人民共和国人民调解法》; 《公安机关办理行政案件程序规定》 (People's Mediation Law; administrative case rules)",
    purpose: "screening and mediating neighbourhood, family, property and labour disputes before they escalate",
    retention_days: 2 * 365,
};

/// Dispute types.
pub const DISPUTE_TYPES: [&str; 6] = ["neighbour", "family", "property", "labour", "land", "other"];

/// Risk levels, lowest first.
pub const RISK_LEVELS: [&str; 3] = ["low", "medium", "high"];

/// A party to a dispute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
}

/// One mediation step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// When (ms).
    pub at: i64,
    /// Who.
    pub by: String,
    /// What was done.
    pub note: String,
}

/// A follow-up visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUp {
    /// Due (ms).
    pub due: i64,
    /// Done (ms).
    pub done_at: Option<i64>,
}

/// How it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Settled by mediation.
    pub resolved: bool,
    /// When (ms).
    pub at: i64,
    /// What was agreed, or why not.
    pub note: String,
}

/// Handed upwards (to the station chief, the judicial office, a court).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Escalation {
    /// When (ms).
    pub at: i64,
    /// To whom.
    pub to: String,
    /// Why.
    pub reason: String,
}

/// A dispute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dispute {
    /// Identifier.
    pub id: String,
    /// Community or village.
    pub community_id: String,
    /// The parties.
    pub parties: Vec<Party>,
    /// One of [`DISPUTE_TYPES`].
    pub dispute_type: String,
    /// One of [`RISK_LEVELS`].
    pub risk: String,
    /// What it is about.
    pub summary: String,
    /// When it was screened (found) (ms).
    pub screened_at: i64,
    /// Mediation steps.
    pub steps: Vec<Step>,
    /// Outcome.
    pub outcome: Option<Outcome>,
    /// Follow-up visits.
    pub follow_ups: Vec<FollowUp>,
    /// Escalation.
    pub escalation: Option<Escalation>,
    /// Created (ms).
    pub created_at: i64,
}

/// What an officer submits.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDispute {
    /// Community or village.
    pub community_id: String,
    /// Parties (at least two).
    pub parties: Vec<Party>,
    /// Type.
    pub dispute_type: String,
    /// Risk level.
    pub risk: String,
    /// What it is about.
    pub summary: String,
}

fn text(field: &'static str, s: &str, max: usize) -> Result<(), CommunityError> {
    if s.trim().is_empty() || s.chars().count() > max {
        return Err(CommunityError::invalid(
            field,
            format!("1 to {max} characters"),
        ));
    }
    Ok(())
}

impl Dispute {
    /// A new dispute, screened now.
    pub fn new(id: String, input: NewDispute, now: i64) -> Result<Dispute, CommunityError> {
        if input.parties.len() < 2 {
            return Err(CommunityError::invalid(
                "parties",
                "a dispute has at least two parties",
            ));
        }
        for p in &input.parties {
            text("parties", &p.name, 50)?;
        }
        if !DISPUTE_TYPES.contains(&input.dispute_type.as_str()) {
            return Err(CommunityError::invalid(
                "dispute_type",
                format!("expected one of {}", DISPUTE_TYPES.join(", ")),
            ));
        }
        if !RISK_LEVELS.contains(&input.risk.as_str()) {
            return Err(CommunityError::invalid(
                "risk",
                format!("expected one of {}", RISK_LEVELS.join(", ")),
            ));
        }
        text("summary", &input.summary, 2000)?;
        Ok(Dispute {
            id,
            community_id: input.community_id,
            parties: input.parties,
            dispute_type: input.dispute_type,
            risk: input.risk,
            summary: input.summary.trim().into(),
            screened_at: now,
            steps: Vec::new(),
            outcome: None,
            follow_ups: Vec::new(),
            escalation: None,
            created_at: now,
        })
    }

    fn open(&self) -> Result<(), CommunityError> {
        if self.outcome.is_some() || self.escalation.is_some() {
            return Err(CommunityError::Conflict(format!(
                "dispute {} is closed",
                self.id
            )));
        }
        Ok(())
    }

    /// Records a mediation step.
    pub fn mediate(&mut self, note: &str, by: &str, now: i64) -> Result<(), CommunityError> {
        self.open()?;
        text("note", note, 2000)?;
        self.steps.push(Step {
            at: now,
            by: by.into(),
            note: note.trim().into(),
        });
        Ok(())
    }

    /// Closes it; a follow-up visit is due `follow_up_days` later.
    pub fn close(
        &mut self,
        resolved: bool,
        note: &str,
        follow_up_days: u32,
        now: i64,
    ) -> Result<(), CommunityError> {
        self.open()?;
        text("note", note, 2000)?;
        self.outcome = Some(Outcome {
            resolved,
            at: now,
            note: note.trim().into(),
        });
        if follow_up_days > 0 {
            self.follow_ups.push(FollowUp {
                due: now + follow_up_days as i64 * DAY_MS,
                done_at: None,
            });
        }
        Ok(())
    }

    /// Marks the earliest open follow-up done.
    pub fn follow_up_done(&mut self, now: i64) -> Result<(), CommunityError> {
        let Some(f) = self
            .follow_ups
            .iter_mut()
            .filter(|f| f.done_at.is_none())
            .min_by_key(|f| f.due)
        else {
            return Err(CommunityError::Conflict(format!(
                "dispute {} has no open follow-up",
                self.id
            )));
        };
        f.done_at = Some(now);
        Ok(())
    }

    /// Hands it upwards; high risk is where this is expected.
    pub fn escalate(&mut self, to: &str, reason: &str, now: i64) -> Result<(), CommunityError> {
        self.open()?;
        text("to", to, 100)?;
        text("reason", reason, 1000)?;
        self.escalation = Some(Escalation {
            at: now,
            to: to.trim().into(),
            reason: reason.trim().into(),
        });
        Ok(())
    }

    /// Follow-ups past due and not done.
    pub fn overdue_follow_ups(&self, now: i64) -> usize {
        self.follow_ups
            .iter()
            .filter(|f| f.done_at.is_none() && f.due < now)
            .count()
    }

    /// Settled by mediation within `days` of screening.
    pub fn mediated_within(&self, days: i64) -> bool {
        self.outcome
            .as_ref()
            .is_some_and(|o| o.resolved && o.at - self.screened_at <= days * DAY_MS)
    }

    /// What lists show without an audited read: parties reduced to initials.
    pub fn summary(&self, now: i64) -> DisputeSummary {
        DisputeSummary {
            id: self.id.clone(),
            community_id: self.community_id.clone(),
            parties: self
                .parties
                .iter()
                .map(|p| format!("{}**", p.name.chars().next().unwrap_or('?')))
                .collect(),
            dispute_type: self.dispute_type.clone(),
            risk: self.risk.clone(),
            screened_at: self.screened_at,
            steps: self.steps.len(),
            outcome: self.outcome.as_ref().map(
                |o| {
                    if o.resolved { "resolved" } else { "unresolved" }
                },
            ),
            escalated: self.escalation.is_some(),
            overdue_follow_ups: self.overdue_follow_ups(now),
            next_follow_up: self
                .follow_ups
                .iter()
                .filter(|f| f.done_at.is_none())
                .map(|f| f.due)
                .min(),
        }
    }
}

/// A dispute as a list shows it (see [`Dispute::summary`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DisputeSummary {
    /// Record id.
    pub id: String,
    /// Community or village.
    pub community_id: String,
    /// The parties' initials.
    pub parties: Vec<String>,
    /// Type.
    pub dispute_type: String,
    /// Risk level.
    pub risk: String,
    /// When screened (ms).
    pub screened_at: i64,
    /// Mediation steps so far.
    pub steps: usize,
    /// `resolved` or `unresolved`, once there is an outcome.
    pub outcome: Option<&'static str>,
    /// Escalated.
    pub escalated: bool,
    /// Follow-ups past due.
    pub overdue_follow_ups: usize,
    /// The next follow-up due (ms).
    pub next_follow_up: Option<i64>,
}

/// Dispute figures of a period (screened within it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DisputeFigures {
    /// Screened in the period.
    pub screened: usize,
    /// Of them, high risk.
    pub high_risk: usize,
    /// Settled by mediation.
    pub resolved: usize,
    /// Settled within 7 days of screening.
    pub resolved_within_7_days: usize,
    /// `resolved_within_7_days / screened`.
    pub share_within_7_days: f64,
    /// Escalated.
    pub escalated: usize,
    /// Follow-ups past due.
    pub overdue_follow_ups: usize,
}

/// Figures over disputes screened in `[from, to)`.
pub fn figures(disputes: &[Dispute], from: i64, to: i64, now: i64) -> DisputeFigures {
    let ds: Vec<&Dispute> = disputes
        .iter()
        .filter(|d| (from..to).contains(&d.screened_at))
        .collect();
    let within = ds.iter().filter(|d| d.mediated_within(7)).count();
    DisputeFigures {
        screened: ds.len(),
        high_risk: ds.iter().filter(|d| d.risk == "high").count(),
        resolved: ds
            .iter()
            .filter(|d| d.outcome.as_ref().is_some_and(|o| o.resolved))
            .count(),
        resolved_within_7_days: within,
        share_within_7_days: if ds.is_empty() {
            0.0
        } else {
            within as f64 / ds.len() as f64
        },
        escalated: ds.iter().filter(|d| d.escalation.is_some()).count(),
        overdue_follow_ups: ds.iter().map(|d| d.overdue_follow_ups(now)).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> NewDispute {
        NewDispute {
            community_id: "V1".into(),
            parties: vec![
                Party {
                    name: "李大".into(),
                    phone: None,
                },
                Party {
                    name: "张二".into(),
                    phone: Some("13800000000".into()),
                },
            ],
            dispute_type: "neighbour".into(),
            risk: "medium".into(),
            summary: "宅基地界线争议".into(),
        }
    }

    #[test]
    fn lifecycle() {
        let day = DAY_MS;
        let bad = NewDispute {
            parties: vec![Party {
                name: "李大".into(),
                phone: None,
            }],
            ..input()
        };
        assert!(
            Dispute::new("D1".into(), bad, 0)
                .unwrap_err()
                .to_string()
                .contains("parties")
        );
        let bad = NewDispute {
            risk: "extreme".into(),
            ..input()
        };
        assert!(
            Dispute::new("D1".into(), bad, 0)
                .unwrap_err()
                .to_string()
                .contains("risk")
        );
        let mut d = Dispute::new("D1".into(), input(), 0).unwrap();
        d.mediate("双方到警务室调解", "officer", day).unwrap();
        d.close(true, "达成协议, 重新划定界线", 30, 3 * day)
            .unwrap();
        assert!(d.mediated_within(7));
        assert!(d.mediate("x", "o", 4 * day).is_err(), "closed");
        assert_eq!(d.overdue_follow_ups(33 * day + 1), 1);
        d.follow_up_done(34 * day).unwrap();
        assert_eq!(d.overdue_follow_ups(40 * day), 0);
        assert!(d.follow_up_done(41 * day).is_err());
        assert_eq!(d.summary(0).parties, ["李**", "张**"]);
        let mut e = Dispute::new(
            "D2".into(),
            NewDispute {
                risk: "high".into(),
                ..input()
            },
            10 * day,
        )
        .unwrap();
        e.escalate("所长", "可能引发群体事件", 10 * day).unwrap();
        let f = figures(&[d, e], 0, 20 * day, 40 * day);
        assert_eq!(
            (
                f.screened,
                f.high_risk,
                f.resolved,
                f.resolved_within_7_days,
                f.escalated
            ),
            (2, 1, 1, 1, 1)
        );
        assert_eq!(f.share_within_7_days, 0.5);
    }
}
