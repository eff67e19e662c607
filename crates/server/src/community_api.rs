//! Community policing over the API (first parts of issue 7): case transfers
//! from stations to specialised units ("两不办") and leads (线索), scoped by
//! station like incidents, every write audited. Records and their rules
//! live in `community`; they are stored as documents in `store`.

use dispatch::time::DAY_MS;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use community::transfer::{Lead, NewLead, NewTransfer, Transfer, TransferStatus, figures};
use dispatch::Level;
use serde::Deserialize;
use serde_json::json;
use store::{AuditEntry, CommunityRecord};

use crate::App;
use crate::auth::{Action, User};
use crate::error::{ApiError, ApiJson, Path, Query};

type ApiResult = Result<Response, ApiError>;

/// Community writes are read-modify-write on stored documents: one at a time.
pub(crate) static WRITES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
static SEQ: AtomicU64 = AtomicU64::new(0);

pub(crate) fn new_id(prefix: &str, now: i64) -> String {
    format!("{prefix}{now}-{}", SEQ.fetch_add(1, Ordering::Relaxed))
}

/// Keys that hold an instant besides every `*_at`.
const INSTANT_KEYS: &[&str] = &[
    "at",
    "due",
    "now",
    "until",
    "next_follow_up",
    "next_visit_due",
];

/// A community-policing record or answer as the API writes it: the
/// community types keep epoch milliseconds inside, the API answers RFC 3339
/// (`2026-12-01T08:00:00.000Z`) for every instant. The ledgers' own `fields`
/// are the user's data and are left as entered.
pub(crate) fn wire<T: serde::Serialize + ?Sized>(x: &T) -> serde_json::Value {
    fn instants(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if k == "fields" {
                        continue;
                    }
                    let instant = k.ends_with("_at") || INSTANT_KEYS.contains(&k.as_str());
                    match x.as_i64() {
                        Some(ms) if instant => *x = json!(dispatch::time::format_rfc3339(ms)),
                        _ => instants(x),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(instants),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(x).expect("serialises");
    instants(&mut v);
    v
}

pub(crate) fn community_error(e: community::CommunityError) -> ApiError {
    ApiError::from(e)
}

/// The station a record is for: the given one (which must be a station in
/// the user's scope) or the user's own station.
fn station_for(app: &App, user: &User, given: Option<String>) -> Result<String, ApiError> {
    let station = match given {
        Some(s) => s,
        None => match &user.scope {
            Some(s)
                if app
                    .jurisdictions
                    .get(s)
                    .is_some_and(|j| j.level == Level::Station) =>
            {
                s.clone()
            }
            _ => {
                return Err(ApiError::invalid(
                    "station_id",
                    "give the station the record is for",
                ));
            }
        },
    };
    match app.jurisdictions.get(&station) {
        Some(j) if j.level == Level::Station => {}
        _ => {
            return Err(ApiError::invalid(
                "station_id",
                format!("{station:?} is not a police station"),
            ));
        }
    }
    if let Some(scope) = &user.scope
        && !app.jurisdictions.is_within(&station, scope)
    {
        return Err(ApiError::forbidden(format!(
            "{station} is outside your jurisdiction {scope}"
        )));
    }
    Ok(station)
}

pub(crate) fn sees(app: &App, user: &User, jurisdiction: &str) -> bool {
    user.scope
        .as_deref()
        .is_none_or(|s| app.jurisdictions.is_within(jurisdiction, s))
}

#[allow(
    clippy::too_many_arguments,
    reason = "a record, its audit entry and the reason, written in one transaction"
)]
pub(crate) async fn save<T: serde::Serialize>(
    app: &App,
    user: &User,
    kind: &str,
    id: &str,
    station: &str,
    created_at: i64,
    value: &T,
    action: &str,
    reason: Option<String>,
) -> Result<(), ApiError> {
    let now = app.now();
    app.store
        .put_record(
            &CommunityRecord {
                kind: kind.into(),
                id: id.into(),
                jurisdiction_id: station.into(),
                doc: serde_json::to_string(value).expect("serialises"),
                created_at,
                updated_at: now,
                deleted_at: None,
            },
            &AuditEntry {
                at: now,
                actor: user.username.clone(),
                action: action.into(),
                kind: kind.into(),
                record_id: id.into(),
                reason,
            },
        )
        .await
        .map_err(ApiError::store)
}

pub(crate) async fn load<T: serde::de::DeserializeOwned>(
    app: &App,
    user: &User,
    kind: &str,
    id: &str,
) -> Result<T, ApiError> {
    let rec = app.store.record(kind, id).await.map_err(ApiError::store)?;
    match rec {
        Some(r) if r.deleted_at.is_none() && sees(app, user, &r.jurisdiction_id) => {
            serde_json::from_str(&r.doc)
                .map_err(|e| ApiError::store(format!("stored {kind} {id}: {e}")))
        }
        // Out of scope is not found, as for incidents.
        _ => Err(ApiError::not_found(kind, id)),
    }
}

pub(crate) async fn load_all<T: serde::de::DeserializeOwned>(
    app: &App,
    user: &User,
    kind: &str,
) -> Result<Vec<T>, ApiError> {
    let recs = app.store.records(kind).await.map_err(ApiError::store)?;
    recs.into_iter()
        .filter(|r| r.deleted_at.is_none() && sees(app, user, &r.jurisdiction_id))
        .map(|r| {
            serde_json::from_str(&r.doc)
                .map_err(|e| ApiError::store(format!("stored {kind} {}: {e}", r.id)))
        })
        .collect()
}

/// `POST /api/v1/community/transfers`.
pub async fn create_transfer(
    State(app): State<Arc<App>>,
    user: User,
    ApiJson(body): ApiJson<NewTransfer>,
) -> ApiResult {
    user.require(Action::CommunityWrite)?;
    let station = station_for(&app, &user, body.station_id.clone())?;
    if let Some(id) = body.incident_id {
        let engine = app.engine();
        match engine.incident(id) {
            Some(i) if user.sees(i) => {}
            _ => {
                return Err(ApiError::invalid(
                    "incident_id",
                    format!("no incident #{id} in your jurisdiction"),
                ));
            }
        }
    }
    let now = app.now();
    let t = Transfer::new(new_id("T", now), station.clone(), body, now, &user.username)
        .map_err(community_error)?;
    let _w = WRITES.lock().await;
    save(
        &app, &user, "transfer", &t.id, &station, now, &t, "create", None,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(crate::community_api::wire(&transfer_json(&t, now))),
    )
        .into_response())
}

fn transfer_json(t: &Transfer, now: i64) -> serde_json::Value {
    let mut v = serde_json::to_value(t).expect("serialises");
    v["overdue"] = json!(t.overdue(now));
    v["minutes_to_accept"] = json!(t.time_to_accept().map(|ms| ms as f64 / 60_000.0));
    v
}

/// Query of the lists.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `pending`, `accepted` or `returned`.
    status: Option<String>,
    /// Only this station.
    station: Option<String>,
}

/// `GET /api/v1/community/transfers`.
pub async fn list_transfers(
    State(app): State<Arc<App>>,
    user: User,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    user.require(Action::Read)?;
    let status = match q.status.as_deref() {
        None => None,
        Some("pending") => Some(TransferStatus::Pending),
        Some("accepted") => Some(TransferStatus::Accepted),
        Some("returned") => Some(TransferStatus::Returned),
        Some(s) => {
            return Err(ApiError::invalid(
                "status",
                format!("unknown status {s:?}; expected pending, accepted or returned"),
            ));
        }
    };
    let now = app.now();
    let all: Vec<Transfer> = load_all(&app, &user, "transfer").await?;
    let list: Vec<serde_json::Value> = all
        .iter()
        .rev()
        .filter(|t| {
            status.is_none_or(|s| t.status == s)
                && q.station.as_deref().is_none_or(|s| t.station_id == s)
        })
        .map(|t| transfer_json(t, now))
        .collect();
    Ok(axum::Json(crate::community_api::wire(&json!({"transfers": list}))).into_response())
}

/// Body of a decision on a case transfer, tagged by `action`.
#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Decision {
    /// The receiving unit takes the case.
    Accept {},
    /// The unit hands it back to the station, saying why.
    Return {
        /// Why (required).
        reason: Option<String>,
    },
    /// The station hands it over again, saying what it added.
    Resubmit {
        /// What was added (required).
        reason: Option<String>,
    },
}

impl Decision {
    /// The action's name, as audited.
    fn name(&self) -> &'static str {
        match self {
            Decision::Accept {} => "accept",
            Decision::Return { .. } => "return",
            Decision::Resubmit { .. } => "resubmit",
        }
    }
}

/// `POST /api/v1/community/transfers/{id}/decision`.
pub async fn decide_transfer(
    State(app): State<Arc<App>>,
    user: User,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Decision>,
) -> ApiResult {
    let now = app.now();
    let _w = WRITES.lock().await;
    let mut t: Transfer = load(&app, &user, "transfer", &id).await?;
    let action = body.name();
    let reason = match &body {
        Decision::Accept {} => None,
        Decision::Return { reason } | Decision::Resubmit { reason } => reason.clone(),
    };
    let given = reason.clone().unwrap_or_default();
    match body {
        Decision::Accept {} => {
            user.require(Action::CaseDecide)?;
            t.accept(now, &user.username)
        }
        Decision::Return { .. } => {
            user.require(Action::CaseDecide)?;
            t.give_back(now, &user.username, &given)
        }
        Decision::Resubmit { .. } => {
            user.require(Action::CommunityWrite)?;
            t.resubmit(now, &user.username, &given)
        }
    }
    .map_err(community_error)?;
    save(
        &app,
        &user,
        "transfer",
        &t.id,
        &t.station_id.clone(),
        t.created_at,
        &t,
        action,
        reason,
    )
    .await?;
    Ok(axum::Json(crate::community_api::wire(&transfer_json(&t, now))).into_response())
}

/// `POST /api/v1/community/leads`.
pub async fn create_lead(
    State(app): State<Arc<App>>,
    user: User,
    ApiJson(body): ApiJson<NewLead>,
) -> ApiResult {
    user.require(Action::CommunityWrite)?;
    let station = station_for(&app, &user, body.station_id.clone())?;
    let now = app.now();
    let l = Lead::new(new_id("L", now), station.clone(), body, now, &user.username)
        .map_err(community_error)?;
    let _w = WRITES.lock().await;
    save(
        &app, &user, "lead", &l.id, &station, now, &l, "create", None,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(crate::community_api::wire(
            &serde_json::to_value(&l).expect("serialises"),
        )),
    )
        .into_response())
}

/// `GET /api/v1/community/leads`.
pub async fn list_leads(
    State(app): State<Arc<App>>,
    user: User,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    user.require(Action::Read)?;
    if q.status.is_some() {
        return Err(ApiError::invalid(
            "status",
            "leads have no status; filter by station",
        ));
    }
    let all: Vec<Lead> = load_all(&app, &user, "lead").await?;
    let list: Vec<&Lead> = all
        .iter()
        .rev()
        .filter(|l| q.station.as_deref().is_none_or(|s| l.station_id == s))
        .collect();
    Ok(axum::Json(crate::community_api::wire(&json!({"leads": list}))).into_response())
}

/// Body of lead feedback.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feedback {
    /// Whether the lead was used.
    used: bool,
    /// What came of it.
    note: Option<String>,
}

/// `POST /api/v1/community/leads/{id}/feedback`.
pub async fn lead_feedback(
    State(app): State<Arc<App>>,
    user: User,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Feedback>,
) -> ApiResult {
    user.require(Action::CaseDecide)?;
    let now = app.now();
    let _w = WRITES.lock().await;
    let mut l: Lead = load(&app, &user, "lead", &id).await?;
    l.give_feedback(body.used, body.note.clone(), now, &user.username)
        .map_err(community_error)?;
    save(
        &app,
        &user,
        "lead",
        &l.id,
        &l.station_id.clone(),
        l.created_at,
        &l,
        "feedback",
        body.note,
    )
    .await?;
    Ok(axum::Json(crate::community_api::wire(
        &serde_json::to_value(&l).expect("serialises"),
    ))
    .into_response())
}

/// Period of a report.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// `YYYY-MM`, `YYYY`, a date or `FROM..TO` (default: this month).
    pub(crate) period: Option<String>,
}

/// A period: its label, start and end (ms, local days) and local dates.
pub(crate) struct Span {
    pub label: String,
    pub from: i64,
    pub to: i64,
    pub start_day: i64,
    pub end_day: i64,
    pub from_date: String,
    pub to_date: String,
    pub days: i64,
}

/// A day number (days since the epoch) as `YYYY-MM-DD`.
pub(crate) fn day_date(day: i64) -> String {
    dispatch::time::format_rfc3339(day * DAY_MS)[..10].to_string()
}

pub(crate) fn span(app: &App, period: Option<String>) -> Result<Span, ApiError> {
    let local = crate::LOCAL_UTC_OFFSET_MIN * 60_000;
    // Monthly reports default to the month a station's meeting looks at:
    // the month just ended in a month's first days, else the current one.
    let p = match period {
        Some(s) => analysis::trends::Period::parse(&s)
            .map_err(|e| ApiError::invalid("period", e.to_string()))?,
        None => crate::analysis_api::default_briefing_period(app),
    };
    Ok(Span {
        label: p.label(),
        from: p.start * DAY_MS - local,
        to: p.end * DAY_MS - local,
        start_day: p.start,
        end_day: p.end,
        from_date: day_date(p.start),
        to_date: day_date(p.end),
        days: p.end - p.start,
    })
}

/// `GET /api/v1/community/figures`: transfers and leads of the period, by station.
pub async fn community_figures(
    State(app): State<Arc<App>>,
    user: User,
    Query(q): Query<PeriodQuery>,
) -> ApiResult {
    user.require(Action::Figures)?;
    let now = app.now();
    let sp = span(&app, q.period)?;
    let (from, to) = (sp.from, sp.to);
    let transfers: Vec<Transfer> = load_all(&app, &user, "transfer").await?;
    let leads: Vec<Lead> = load_all(&app, &user, "lead").await?;
    let (total, by_station) = figures(&transfers, &leads, from, to, now);
    let disputes: Vec<community::dispute::Dispute> =
        load_all(&app, &user, community::dispute::DISPUTES.kind).await?;
    let dispute_figures = community::dispute::figures(&disputes, from, to, now);
    let mut service = Vec::new();
    for l in community::ledgers::LEDGERS.iter().filter(|l| l.service) {
        service.extend(load_all::<community::ledgers::Entry>(&app, &user, l.register.kind).await?);
    }
    let service_figures = community::ledgers::service_figures(&service, from, to, now);
    Ok(axum::Json(crate::community_api::wire(&json!({"period": sp.label, "total": total, "by_station": by_station, "disputes": dispute_figures, "service": service_figures}))).into_response())
}

// ---------------------------------------------------------------- personal data registers

use community::ledger::{KEY_PERSONS, KeyPerson, NewKeyPerson, expired};

/// `GET /api/v1/community/registers`: each register's legal basis, purpose and retention.
pub async fn registers(user: User) -> ApiResult {
    user.require(Action::Read)?;
    let mut all = vec![
        json!({"register": KEY_PERSONS, "personal": true}),
        json!({"register": DISPUTES, "personal": true}),
    ];
    all.extend(community::ledgers::LEDGERS.iter().map(|l| json!(l)));
    Ok(axum::Json(crate::community_api::wire(&json!(all))).into_response())
}

/// Body of a key person.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyPersonBody {
    community_id: String,
    name: String,
    id_number: Option<String>,
    address: Option<String>,
    category: String,
    reason: String,
    /// RFC 3339 time or date.
    next_visit_due: Option<String>,
}

/// `POST /api/v1/community/key-persons`.
pub async fn create_key_person(
    State(app): State<Arc<App>>,
    user: User,
    ApiJson(b): ApiJson<KeyPersonBody>,
) -> ApiResult {
    user.require(Action::CommunityWrite)?;
    match app.jurisdictions.get(&b.community_id) {
        Some(j) if j.level == Level::Community => {}
        _ => {
            return Err(ApiError::invalid(
                "community_id",
                format!("{:?} is not a community or village", b.community_id),
            ));
        }
    }
    if !sees(&app, &user, &b.community_id) {
        return Err(ApiError::forbidden(format!(
            "{} is outside your jurisdiction",
            b.community_id
        )));
    }
    let due = match &b.next_visit_due {
        Some(s) => Some(dispatch::time::parse_rfc3339(s).ok_or_else(|| {
            ApiError::invalid(
                "next_visit_due",
                format!("expected an RFC 3339 time or date, got {s:?}"),
            )
        })?),
        None => None,
    };
    let now = app.now();
    let input = NewKeyPerson {
        community_id: b.community_id,
        name: b.name,
        id_number: b.id_number,
        address: b.address,
        category: b.category,
        reason: b.reason,
        next_visit_due: due,
    };
    let p =
        KeyPerson::new(new_id("K", now), input, &user.username, now).map_err(community_error)?;
    let _w = WRITES.lock().await;
    save(
        &app,
        &user,
        KEY_PERSONS.kind,
        &p.id,
        &p.community_id.clone(),
        now,
        &p,
        "create",
        None,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(crate::community_api::wire(&p.summary())),
    )
        .into_response())
}

/// `GET /api/v1/community/key-persons`: summaries only (no identity number,
/// address or full name), so listing needs no reason.
pub async fn list_key_persons(State(app): State<Arc<App>>, user: User) -> ApiResult {
    user.require(Action::CommunityWrite)?;
    let all: Vec<KeyPerson> = load_all(&app, &user, KEY_PERSONS.kind).await?;
    Ok(axum::Json(crate::community_api::wire(&json!({"register": KEY_PERSONS, "key_persons": all.iter().map(KeyPerson::summary).collect::<Vec<_>>()}))).into_response())
}

/// Why a record is read or deleted.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    pub(crate) reason: Option<String>,
}

pub(crate) fn reason_given(r: Reason) -> Result<String, ApiError> {
    match r.reason.map(|s| s.trim().to_string()) {
        Some(s) if s.chars().count() >= 2 => Ok(s),
        _ => Err(ApiError::invalid(
            "reason",
            "give the reason for reading personal data (it is audited)",
        )),
    }
}

/// A whole personal-data record: only with a reason, and the read is
/// audited before anything is returned.
pub(crate) async fn audited_read<T: serde::de::DeserializeOwned + serde::Serialize>(
    app: &App,
    user: &User,
    kind: &str,
    id: String,
    r: Reason,
) -> ApiResult {
    user.require(Action::CommunityWrite)?;
    let reason = reason_given(r)?;
    let record: T = load(app, user, kind, &id).await?;
    app.store
        .audit(&AuditEntry {
            at: app.now(),
            actor: user.username.clone(),
            action: "read".into(),
            kind: kind.into(),
            record_id: id,
            reason: Some(reason),
        })
        .await
        .map_err(ApiError::store)?;
    Ok(axum::Json(crate::community_api::wire(
        &serde_json::to_value(&record).expect("serialises"),
    ))
    .into_response())
}

/// `GET /api/v1/community/key-persons/{id}?reason=…`: the whole record; the
/// read and its reason are audited before anything is returned.
pub async fn get_key_person(
    State(app): State<Arc<App>>,
    user: User,
    Path(id): Path<String>,
    Query(r): Query<Reason>,
) -> ApiResult {
    audited_read::<KeyPerson>(&app, &user, KEY_PERSONS.kind, id, r).await
}

/// `DELETE /api/v1/community/key-persons/{id}?reason=…`: soft delete, audited.
pub async fn delete_key_person(
    State(app): State<Arc<App>>,
    user: User,
    Path(id): Path<String>,
    Query(r): Query<Reason>,
) -> ApiResult {
    soft_delete(&app, &user, KEY_PERSONS.kind, &id, r).await
}

/// Soft delete of any community record: only with a reason, audited in the
/// same transaction; the record stays until its retention purge.
pub(crate) async fn soft_delete(
    app: &App,
    user: &User,
    kind: &str,
    id: &str,
    r: Reason,
) -> ApiResult {
    user.require(Action::CommunityWrite)?;
    let reason = reason_given(r)?;
    let _w = WRITES.lock().await;
    let rec = app.store.record(kind, id).await.map_err(ApiError::store)?;
    let Some(rec) = rec.filter(|r| r.deleted_at.is_none() && sees(app, user, &r.jurisdiction_id))
    else {
        // Out of scope is not found, as for incidents.
        return Err(ApiError::not_found(kind, id));
    };
    let now = app.now();
    app.store
        .put_record(
            &CommunityRecord {
                updated_at: now,
                deleted_at: Some(now),
                ..rec
            },
            &AuditEntry {
                at: now,
                actor: user.username.clone(),
                action: "delete".into(),
                kind: kind.into(),
                record_id: id.into(),
                reason: Some(reason),
            },
        )
        .await
        .map_err(ApiError::store)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Purges every personal-data record past its register's retention period
/// (soft-deleted ones included), auditing each purge. Returns how many.
pub async fn purge_expired(app: &App, now: i64) -> Result<usize, store::StoreError> {
    let mut n = 0;
    let registers = [KEY_PERSONS, DISPUTES]
        .into_iter()
        .chain(community::ledgers::LEDGERS.iter().map(|l| l.register));
    for register in registers {
        for rec in app.store.records(register.kind).await? {
            let last = rec.deleted_at.unwrap_or(rec.updated_at).max(rec.updated_at);
            if expired(&register, last, now) {
                app.store
                    .purge_record(
                        register.kind,
                        &rec.id,
                        &AuditEntry {
                            at: now,
                            actor: "retention".into(),
                            action: "purge".into(),
                            kind: register.kind.into(),
                            record_id: rec.id.clone(),
                            reason: Some(format!(
                                "retention of {} days passed",
                                register.retention_days
                            )),
                        },
                    )
                    .await?;
                n += 1;
            }
        }
    }
    Ok(n)
}

/// `GET /api/v1/audit?limit=`: the newest audit entries (administrators).
pub async fn audit_log(
    State(app): State<Arc<App>>,
    user: User,
    Query(q): Query<AuditQuery>,
) -> ApiResult {
    user.require(Action::Admin)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::invalid("limit", "1..10000"));
    }
    let log = app.store.audit_log(limit).await.map_err(ApiError::store)?;
    let rows: Vec<serde_json::Value> = log
        .iter()
        .map(|e| json!({"at": dispatch::time::format_rfc3339(e.at), "actor": e.actor, "action": e.action, "kind": e.kind, "record_id": e.record_id, "reason": e.reason}))
        .collect();
    Ok(axum::Json(crate::community_api::wire(&json!({"entries": rows}))).into_response())
}

/// Query of the audit log.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    limit: Option<i64>,
}

// ---------------------------------------------------------------- dispute ledger

use community::dispute::{DISPUTES, Dispute, NewDispute};

/// `POST /api/v1/community/disputes`.
pub async fn create_dispute(
    State(app): State<Arc<App>>,
    user: User,
    ApiJson(body): ApiJson<NewDispute>,
) -> ApiResult {
    user.require(Action::CommunityWrite)?;
    community_in_scope(&app, &user, &body.community_id)?;
    let now = app.now();
    let d = Dispute::new(new_id("D", now), body, now).map_err(community_error)?;
    let _w = WRITES.lock().await;
    save(
        &app,
        &user,
        DISPUTES.kind,
        &d.id,
        &d.community_id.clone(),
        now,
        &d,
        "create",
        None,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(crate::community_api::wire(&d.summary_json(now))),
    )
        .into_response())
}

pub(crate) fn community_in_scope(app: &App, user: &User, community: &str) -> Result<(), ApiError> {
    match app.jurisdictions.get(community) {
        Some(j) if j.level == Level::Community => {}
        _ => {
            return Err(ApiError::invalid(
                "community_id",
                format!("{community:?} is not a community or village"),
            ));
        }
    }
    if !sees(app, user, community) {
        return Err(ApiError::forbidden(format!(
            "{community} is outside your jurisdiction"
        )));
    }
    Ok(())
}

/// `GET /api/v1/community/disputes`: summaries (parties as initials).
pub async fn list_disputes(State(app): State<Arc<App>>, user: User) -> ApiResult {
    user.require(Action::Read)?;
    let now = app.now();
    let all: Vec<Dispute> = load_all(&app, &user, DISPUTES.kind).await?;
    let list: Vec<serde_json::Value> = all.iter().rev().map(|d| d.summary_json(now)).collect();
    Ok(axum::Json(crate::community_api::wire(
        &json!({"register": DISPUTES, "disputes": list}),
    ))
    .into_response())
}

/// `GET /api/v1/community/disputes/{id}?reason=…`: the whole record, audited.
pub async fn get_dispute(
    State(app): State<Arc<App>>,
    user: User,
    Path(id): Path<String>,
    Query(r): Query<Reason>,
) -> ApiResult {
    audited_read::<Dispute>(&app, &user, DISPUTES.kind, id, r).await
}

/// Body of a dispute action, tagged by `action`.
#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum DisputeAction {
    /// A mediation session.
    Mediate {
        /// What was done.
        note: Option<String>,
    },
    /// Mediation ends.
    Close {
        /// What was agreed.
        note: Option<String>,
        /// Settled or not (required).
        resolved: Option<bool>,
        /// Days until the follow-up visit (default 30; 0 for none).
        follow_up_days: Option<u32>,
    },
    /// The follow-up visit was made.
    FollowUpDone {},
    /// Handed on to a higher level.
    Escalate {
        /// To whom (required).
        to: Option<String>,
        /// Why (required).
        reason: Option<String>,
    },
}

/// `POST /api/v1/community/disputes/{id}/action`.
pub async fn dispute_action(
    State(app): State<Arc<App>>,
    user: User,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DisputeAction>,
) -> ApiResult {
    user.require(Action::CommunityWrite)?;
    let now = app.now();
    let _w = WRITES.lock().await;
    let mut d: Dispute = load(&app, &user, DISPUTES.kind, &id).await?;
    let (action, reason) = match &b {
        DisputeAction::Mediate { .. } => ("mediate", None),
        DisputeAction::Close { .. } => ("close", None),
        DisputeAction::FollowUpDone {} => ("follow_up_done", None),
        DisputeAction::Escalate { reason, .. } => ("escalate", reason.clone()),
    };
    match b {
        DisputeAction::Mediate { note } => {
            d.mediate(&note.unwrap_or_default(), &user.username, now)
        }
        DisputeAction::Close {
            note,
            resolved,
            follow_up_days,
        } => {
            let Some(resolved) = resolved else {
                return Err(ApiError::invalid(
                    "resolved",
                    "say whether mediation settled it",
                ));
            };
            d.close(
                resolved,
                &note.unwrap_or_default(),
                follow_up_days.unwrap_or(30),
                now,
            )
        }
        DisputeAction::FollowUpDone {} => d.follow_up_done(now),
        DisputeAction::Escalate { to, reason } => d.escalate(
            to.as_deref().unwrap_or(""),
            reason.as_deref().unwrap_or(""),
            now,
        ),
    }
    .map_err(community_error)?;
    save(
        &app,
        &user,
        DISPUTES.kind,
        &d.id,
        &d.community_id.clone(),
        d.created_at,
        &d,
        action,
        reason,
    )
    .await?;
    Ok(axum::Json(crate::community_api::wire(&d.summary_json(now))).into_response())
}
