//! The wire format of community policing's stored records: case transfers,
//! leads, key persons, disputes, ledger entries and police offices, in full
//! and as lists show them. Built field by field from the `community` and
//! `dispatch` records (which keep epoch milliseconds for the store); every
//! instant here is RFC 3339. The ledgers' `fields` are the user's data and
//! go out as entered (masked in summaries by the ledger's rules).

use ::community::dispute::{Dispute, DisputeSummary};
use ::community::ledger::{KeyPerson, KeyPersonSummary};
use ::community::ledgers::{Entry, EntrySummary};
use ::community::transfer::{Lead, Transfer, TransferStatus};
use dispatch::time::format_rfc3339;
use serde::Serialize;
use utoipa::ToSchema;

fn time(ms: i64) -> String {
    format_rfc3339(ms)
}

fn transfer_status(s: TransferStatus) -> &'static str {
    match s {
        TransferStatus::Pending => "pending",
        TransferStatus::Accepted => "accepted",
        TransferStatus::Returned => "returned",
    }
}

/// One step of a transfer's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferStepOut {
    /// `pending`, `accepted` or `returned`.
    pub status: &'static str,
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub by: String,
    /// Why (a return's reason).
    pub reason: Option<String>,
}

/// A case transfer ("两不办") from a station to a specialised unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferOut {
    /// Record id.
    pub id: String,
    /// Filing station.
    pub station_id: String,
    /// The 110 incident it came from.
    pub incident_id: Option<i64>,
    /// `criminal` or `vice`.
    pub case_class: String,
    /// Receiving unit.
    pub to_unit: String,
    /// What the case is.
    pub summary: String,
    /// `pending`, `accepted` or `returned`.
    pub status: &'static str,
    /// Filed (RFC 3339).
    pub created_at: String,
    /// Every step, oldest first.
    pub history: Vec<TransferStepOut>,
    /// Pending past the decision timer.
    pub overdue: bool,
    /// Minutes from filing to acceptance.
    pub minutes_to_accept: Option<f64>,
}

impl TransferOut {
    /// The transfer at `now` (for its timer).
    pub fn new(t: &Transfer, now: i64) -> TransferOut {
        TransferOut {
            id: t.id.clone(),
            station_id: t.station_id.clone(),
            incident_id: t.incident_id,
            case_class: t.case_class.clone(),
            to_unit: t.to_unit.clone(),
            summary: t.summary.clone(),
            status: transfer_status(t.status),
            created_at: time(t.created_at),
            history: t
                .history
                .iter()
                .map(|s| TransferStepOut {
                    status: transfer_status(s.status),
                    at: time(s.at),
                    by: s.by.clone(),
                    reason: s.reason.clone(),
                })
                .collect(),
            overdue: t.overdue(now),
            minutes_to_accept: t.time_to_accept().map(|ms| ms as f64 / 60_000.0),
        }
    }
}

/// A unit's feedback on a lead.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadFeedbackOut {
    /// Whether the unit used it.
    pub used: bool,
    /// What came of it.
    pub note: Option<String>,
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub by: String,
}

/// A lead (线索) a station handed to a unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadOut {
    /// Record id.
    pub id: String,
    /// Station.
    pub station_id: String,
    /// Receiving unit.
    pub to_unit: String,
    /// What it is.
    pub summary: String,
    /// Handed over (RFC 3339).
    pub created_at: String,
    /// By whom.
    pub created_by: String,
    /// The unit's feedback, once given.
    pub feedback: Option<LeadFeedbackOut>,
}

impl From<&Lead> for LeadOut {
    fn from(l: &Lead) -> LeadOut {
        LeadOut {
            id: l.id.clone(),
            station_id: l.station_id.clone(),
            to_unit: l.to_unit.clone(),
            summary: l.summary.clone(),
            created_at: time(l.created_at),
            created_by: l.created_by.clone(),
            feedback: l.feedback.as_ref().map(|f| LeadFeedbackOut {
                used: f.used,
                note: f.note.clone(),
                at: time(f.at),
                by: f.by.clone(),
            }),
        }
    }
}

/// A key person's whole record (an audited read).
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyPersonOut {
    /// Record id.
    pub id: String,
    /// Community or village.
    pub community_id: String,
    /// Name.
    pub name: String,
    /// Identity number.
    pub id_number: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Category.
    pub category: String,
    /// Why they are registered.
    pub reason: String,
    /// Responsible officer.
    pub officer: String,
    /// Next visit due (RFC 3339).
    pub next_visit_due: Option<String>,
    /// Registered (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

impl From<&KeyPerson> for KeyPersonOut {
    fn from(p: &KeyPerson) -> KeyPersonOut {
        KeyPersonOut {
            id: p.id.clone(),
            community_id: p.community_id.clone(),
            name: p.name.clone(),
            id_number: p.id_number.clone(),
            address: p.address.clone(),
            category: p.category.clone(),
            reason: p.reason.clone(),
            officer: p.officer.clone(),
            next_visit_due: p.next_visit_due.map(time),
            created_at: time(p.created_at),
            updated_at: time(p.updated_at),
        }
    }
}

/// A key person as lists show them: the name's initial only.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyPersonSummaryOut {
    /// Record id.
    pub id: String,
    /// Community or village.
    pub community_id: String,
    /// The name's first character and `**`.
    pub name: String,
    /// Category.
    pub category: String,
    /// Responsible officer.
    pub officer: String,
    /// Next visit due (RFC 3339).
    pub next_visit_due: Option<String>,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

impl From<KeyPersonSummary> for KeyPersonSummaryOut {
    fn from(s: KeyPersonSummary) -> KeyPersonSummaryOut {
        KeyPersonSummaryOut {
            id: s.id,
            community_id: s.community_id,
            name: s.name,
            category: s.category,
            officer: s.officer,
            next_visit_due: s.next_visit_due.map(time),
            updated_at: time(s.updated_at),
        }
    }
}

/// A party to a dispute.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartyOut {
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
}

/// A mediation step.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediationStepOut {
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub by: String,
    /// What was done.
    pub note: String,
}

/// How a mediation ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeOut {
    /// Settled.
    pub resolved: bool,
    /// When (RFC 3339).
    pub at: String,
    /// How.
    pub note: String,
}

/// A follow-up visit.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpOut {
    /// Due (RFC 3339).
    pub due: String,
    /// Done (RFC 3339).
    pub done_at: Option<String>,
}

/// A dispute passed up.
#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationOut {
    /// When (RFC 3339).
    pub at: String,
    /// To whom.
    pub to: String,
    /// Why.
    pub reason: String,
}

/// A dispute's whole record (an audited read).
#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeOut {
    /// Record id.
    pub id: String,
    /// Community or village.
    pub community_id: String,
    /// The parties.
    pub parties: Vec<PartyOut>,
    /// Type.
    pub dispute_type: String,
    /// Risk level.
    pub risk: String,
    /// What it is about.
    pub summary: String,
    /// Screened (RFC 3339).
    pub screened_at: String,
    /// Mediation steps.
    pub steps: Vec<MediationStepOut>,
    /// Outcome.
    pub outcome: Option<OutcomeOut>,
    /// Follow-up visits.
    pub follow_ups: Vec<FollowUpOut>,
    /// Escalation.
    pub escalation: Option<EscalationOut>,
    /// Registered (RFC 3339).
    pub created_at: String,
}

impl From<&Dispute> for DisputeOut {
    fn from(d: &Dispute) -> DisputeOut {
        DisputeOut {
            id: d.id.clone(),
            community_id: d.community_id.clone(),
            parties: d
                .parties
                .iter()
                .map(|p| PartyOut {
                    name: p.name.clone(),
                    phone: p.phone.clone(),
                })
                .collect(),
            dispute_type: d.dispute_type.clone(),
            risk: d.risk.clone(),
            summary: d.summary.clone(),
            screened_at: time(d.screened_at),
            steps: d
                .steps
                .iter()
                .map(|s| MediationStepOut {
                    at: time(s.at),
                    by: s.by.clone(),
                    note: s.note.clone(),
                })
                .collect(),
            outcome: d.outcome.as_ref().map(|o| OutcomeOut {
                resolved: o.resolved,
                at: time(o.at),
                note: o.note.clone(),
            }),
            follow_ups: d
                .follow_ups
                .iter()
                .map(|f| FollowUpOut {
                    due: time(f.due),
                    done_at: f.done_at.map(time),
                })
                .collect(),
            escalation: d.escalation.as_ref().map(|e| EscalationOut {
                at: time(e.at),
                to: e.to.clone(),
                reason: e.reason.clone(),
            }),
            created_at: time(d.created_at),
        }
    }
}

/// A dispute as lists show it: the parties' initials only.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeSummaryOut {
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
    /// Screened (RFC 3339).
    pub screened_at: String,
    /// Mediation steps so far.
    pub steps: usize,
    /// `resolved` or `unresolved`, once there is an outcome.
    pub outcome: Option<&'static str>,
    /// Escalated.
    pub escalated: bool,
    /// Follow-ups past due.
    pub overdue_follow_ups: usize,
    /// The next follow-up due (RFC 3339).
    pub next_follow_up: Option<String>,
}

impl From<DisputeSummary> for DisputeSummaryOut {
    fn from(s: DisputeSummary) -> DisputeSummaryOut {
        DisputeSummaryOut {
            id: s.id,
            community_id: s.community_id,
            parties: s.parties,
            dispute_type: s.dispute_type,
            risk: s.risk,
            screened_at: time(s.screened_at),
            steps: s.steps,
            outcome: s.outcome,
            escalated: s.escalated,
            overdue_follow_ups: s.overdue_follow_ups,
            next_follow_up: s.next_follow_up.map(time),
        }
    }
}

/// One step of a ledger entry's workflow.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryStepOut {
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub by: String,
    /// The action taken.
    pub action: String,
    /// The status it led to.
    pub status: String,
    /// A note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The action's result (e.g. an inspection's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// A linked record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// A ledger entry's whole record.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryOut {
    /// Record id.
    pub id: String,
    /// Ledger kind.
    pub kind: String,
    /// Community or village.
    pub community_id: String,
    /// Police station.
    pub station_id: String,
    /// The ledger's fields, as entered.
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// Workflow status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Workflow steps.
    pub steps: Vec<EntryStepOut>,
    /// Due (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<String>,
    /// Closed (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    /// Linked record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Registered by.
    pub created_by: String,
    /// Registered (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

impl From<&Entry> for EntryOut {
    fn from(e: &Entry) -> EntryOut {
        EntryOut {
            id: e.id.clone(),
            kind: e.kind.clone(),
            community_id: e.community_id.clone(),
            station_id: e.station_id.clone(),
            fields: e.fields.clone(),
            status: e.status.clone(),
            steps: e
                .steps
                .iter()
                .map(|s| EntryStepOut {
                    at: time(s.at),
                    by: s.by.clone(),
                    action: s.action.clone(),
                    status: s.status.clone(),
                    note: s.note.clone(),
                    result: s.result.clone(),
                    link: s.link.clone(),
                })
                .collect(),
            due_at: e.due_at.map(time),
            closed_at: e.closed_at.map(time),
            link: e.link.clone(),
            created_by: e.created_by.clone(),
            created_at: time(e.created_at),
            updated_at: time(e.updated_at),
        }
    }
}

/// A ledger entry as lists show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntrySummaryOut {
    /// Record id.
    pub id: String,
    /// Ledger kind.
    pub kind: String,
    /// Community or village.
    pub community_id: String,
    /// Police station.
    pub station_id: String,
    /// The fields a list may show, masked where the ledger says.
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// Workflow status.
    pub status: Option<String>,
    /// Due (RFC 3339).
    pub due_at: Option<String>,
    /// Closed (RFC 3339).
    pub closed_at: Option<String>,
    /// Linked record.
    pub link: Option<String>,
    /// Workflow steps so far.
    pub steps: usize,
    /// The last step's result.
    pub last_result: Option<String>,
    /// Past its timer.
    pub overdue: bool,
    /// Hours from registration to closure.
    pub hours_to_close: Option<f64>,
    /// Registered (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

impl From<EntrySummary> for EntrySummaryOut {
    fn from(s: EntrySummary) -> EntrySummaryOut {
        EntrySummaryOut {
            id: s.id,
            kind: s.kind,
            community_id: s.community_id,
            station_id: s.station_id,
            fields: s.fields,
            status: s.status,
            due_at: s.due_at.map(time),
            closed_at: s.closed_at.map(time),
            link: s.link,
            steps: s.steps,
            last_result: s.last_result,
            overdue: s.overdue,
            hours_to_close: s.hours_to_close,
            created_at: time(s.created_at),
            updated_at: time(s.updated_at),
        }
    }
}

/// A village or community police office (警务室).
#[derive(Debug, Serialize, ToSchema)]
pub struct PoliceOfficeOut {
    /// Office id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The community or village it serves.
    pub community_id: String,
    /// Its police station.
    pub station_id: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Class (1 to 3).
    pub class: u8,
    /// Officers stationed.
    pub staff: u32,
    /// Opening hours.
    pub hours: String,
    /// In the same building as the village or community committee.
    pub shares_committee_office: bool,
}

impl From<&dispatch::PoliceOffice> for PoliceOfficeOut {
    fn from(o: &dispatch::PoliceOffice) -> PoliceOfficeOut {
        PoliceOfficeOut {
            id: o.id.clone(),
            name: o.name.clone(),
            community_id: o.community_id.clone(),
            station_id: o.station_id.clone(),
            lat: o.lat,
            lon: o.lon,
            class: o.class,
            staff: o.staff,
            hours: o.hours.clone(),
            shares_committee_office: o.shares_committee_office,
        }
    }
}

/// The transfers of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransfersOut {
    /// Newest first.
    pub transfers: Vec<TransferOut>,
}

/// The leads of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadsOut {
    /// Newest first.
    pub leads: Vec<LeadOut>,
}

/// The key persons register: its legal basis and the summaries.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyPersonsOut {
    /// The register (legal basis, purpose, retention).
    #[schema(value_type = Object)]
    pub register: serde_json::Value,
    /// Summaries.
    pub key_persons: Vec<KeyPersonSummaryOut>,
}

/// The dispute ledger: its legal basis and the summaries.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisputesOut {
    /// The register (legal basis, purpose, retention).
    #[schema(value_type = Object)]
    pub register: serde_json::Value,
    /// Summaries, newest first.
    pub disputes: Vec<DisputeSummaryOut>,
}

/// One entry of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryOut {
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub actor: String,
    /// `create`, `read`, `update`, `delete`, `purge`, …
    pub action: String,
    /// The record's kind.
    pub kind: String,
    /// The record.
    pub record_id: String,
    /// The reason given.
    pub reason: Option<String>,
}

impl From<&store::AuditEntry> for AuditEntryOut {
    fn from(e: &store::AuditEntry) -> AuditEntryOut {
        AuditEntryOut {
            at: time(e.at),
            actor: e.actor.clone(),
            action: e.action.clone(),
            kind: e.kind.clone(),
            record_id: e.record_id.clone(),
            reason: e.reason.clone(),
        }
    }
}

/// The newest audit entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLogOut {
    /// Newest first.
    pub entries: Vec<AuditEntryOut>,
}

/// A ledger's entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntriesOut {
    /// The ledger's description (fields, workflow, register).
    #[schema(value_type = Object)]
    pub ledger: serde_json::Value,
    /// How many entries follow.
    pub total: usize,
    /// Summaries, newest first.
    pub entries: Vec<EntrySummaryOut>,
}

/// A candidate match of a lost or found item.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchOut {
    /// Similarity, 0 to 1.
    pub score: f64,
    /// Why.
    pub reasons: Vec<String>,
    /// The other record.
    pub entry: EntrySummaryOut,
}

/// The candidates for one record.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchesOut {
    /// The record matched.
    #[serde(rename = "for")]
    pub for_entry: EntrySummaryOut,
    /// Best first.
    pub candidates: Vec<MatchOut>,
}

/// Something a community officer has to do.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskOut {
    /// What kind of record it comes from (`dispute`, `key_person`, `incident`, a ledger kind).
    pub kind: String,
    /// The record.
    pub id: String,
    /// Its community.
    pub community_id: String,
    /// What to do.
    pub what: String,
    /// Due (RFC 3339).
    pub due_at: String,
    /// Past due.
    pub overdue: bool,
}

/// The task list.
#[derive(Debug, Serialize, ToSchema)]
pub struct TasksOut {
    /// Tasks due before this (RFC 3339).
    pub until: String,
    /// The time of the list (RFC 3339).
    pub now: String,
    /// Overdue first, then by due time.
    pub tasks: Vec<TaskOut>,
}

/// What an import wrote.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedOut {
    /// How many records.
    pub imported: usize,
    /// Their ids.
    pub ids: Vec<String>,
}
