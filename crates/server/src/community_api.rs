//! Community policing over the API (first parts of issue 7): case transfers
//! from stations to specialised units ("两不办") and leads (线索), scoped by
//! station like incidents, every write audited. Records and their rules
//! live in `community`; they are stored as documents in `store`.

use dispatch::time::DAY_MS;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use community::transfer::{Lead, NewLead, NewTransfer, Transfer, figures};
use dispatch::Level;
use serde::Deserialize;

use crate::App;
use crate::auth::{Action, User};
use crate::error::{ApiError, ApiJson, Path, Query};
use crate::wire::{
    self, AuditEntryOut, AuditLogOut, DisputeSummaryOut, DisputesOut, KeyPersonSummaryOut,
    KeyPersonsOut, LeadOut, LeadsOut, TransferOut, TransfersOut,
};
use app::Refusal;
use app::repository::{
    self, WRITES, community_in_scope, load, load_windows, new_id, save, sees, station_for,
};
use store::RecordWindow;

type ApiResult = Result<Response, ApiError>;

pub(crate) fn community_error(e: community::CommunityError) -> ApiError {
    ApiError::from(e)
}

/// `POST /api/v1/community/transfers`.
#[utoipa::path(post, path = "/api/v1/community/transfers", tag = "community", summary = "A station transfers a criminal or vice case to a specialised unit (两不办)",
    request_body = crate::wire::NewTransferBody, responses((status = 201, description = "Created", body = crate::wire::TransferOut)))]
pub async fn create_transfer(
    State(app): crate::api::AppState,
    user: User,
    ApiJson(body): ApiJson<crate::wire::NewTransferBody>,
) -> ApiResult {
    let body = NewTransfer::from(body);
    user.require(Action::CommunityWrite)?;
    let station = station_for(&app, &user, body.station_id.clone())?;
    if let Some(id) = body.incident_id {
        let engine = app.view(&user);
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
    Ok((StatusCode::CREATED, axum::Json(TransferOut::new(&t, now))).into_response())
}

/// Query of a register's list: filters (each list says which it has), a
/// page size and the keyset cursor of the page before.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only records filed under this community or village.
    community: Option<String>,
    /// Only records filed under this station or below it.
    station: Option<String>,
    /// Only this workflow status (the register's own codes).
    status: Option<String>,
    /// Only records past (`true`) or not past (`false`) a timer or due date.
    overdue: Option<bool>,
    /// Only records registered at this standard address (`code`).
    address_code: Option<String>,
    /// At most this many, newest first (default 100, 1 to 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// The `next` of the page before.
    cursor: Option<String>,
}

impl ListQuery {
    /// The filter, refusing filters this list does not have (`filters`)
    /// and statuses outside `statuses`.
    pub(crate) fn filter(
        self,
        filters: &[&str],
        statuses: &[&str],
    ) -> Result<repository::ListFilter, ApiError> {
        let given = [
            ("community", self.community.is_some()),
            ("station", self.station.is_some()),
            ("status", self.status.is_some()),
            ("overdue", self.overdue.is_some()),
            ("address_code", self.address_code.is_some()),
        ];
        if let Some((name, _)) = given
            .iter()
            .find(|(name, given)| *given && !filters.contains(name))
        {
            return Err(ApiError::invalid(
                name,
                format!(
                    "this list has no {name} filter; its filters: {}",
                    filters.join(", ")
                ),
            ));
        }
        if let Some(s) = &self.status
            && !statuses.contains(&s.as_str())
        {
            return Err(ApiError::invalid(
                "status",
                format!(
                    "unknown status {s:?}; expected one of {}",
                    statuses.join(", ")
                ),
            ));
        }
        Ok(repository::ListFilter {
            community: self.community,
            station: self.station,
            status: self.status,
            overdue: self.overdue,
            address_code: self.address_code,
            cursor: self.cursor,
            limit: crate::error::bounded("limit", self.limit, 100, 1..=1000)?,
        })
    }
}

/// `GET /api/v1/community/transfers`.
#[utoipa::path(get, path = "/api/v1/community/transfers", tag = "community", summary = "Transfers in your scope, newest first, with overdue flags and minutes to acceptance",
    params(ListQuery), responses((status = 200, description = "OK", body = crate::wire::TransfersOut)))]
pub async fn list_transfers(
    State(app): crate::api::AppState,
    user: User,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    user.require(Action::Read)?;
    let f = q.filter(
        &["station", "status", "overdue"],
        &["pending", "accepted", "returned"],
    )?;
    let now = app.now();
    let page = repository::page::<Transfer>(&app, &user, "transfer", &f).await?;
    Ok(axum::Json(TransfersOut {
        entries: page
            .entries
            .iter()
            .map(|t| TransferOut::new(t, now))
            .collect(),
        next: page.next,
    })
    .into_response())
}

/// Body of a decision on a case transfer, tagged by `action`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
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
#[utoipa::path(post, path = "/api/v1/community/transfers/{id}/decision", tag = "community", summary = "The unit accepts or returns (with a reason) a pending transfer; the station resubmits a returned one",
    params(("id" = String, Path)), request_body = Decision, responses((status = 200, description = "OK", body = crate::wire::TransferOut)))]
pub async fn decide_transfer(
    State(app): crate::api::AppState,
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
    Ok(axum::Json(TransferOut::new(&t, now)).into_response())
}

/// `POST /api/v1/community/leads`.
#[utoipa::path(post, path = "/api/v1/community/leads", tag = "community", summary = "A station hands a lead (线索) to a specialised unit",
    request_body = crate::wire::NewLeadBody, responses((status = 201, description = "Created", body = crate::wire::LeadOut)))]
pub async fn create_lead(
    State(app): crate::api::AppState,
    user: User,
    ApiJson(body): ApiJson<crate::wire::NewLeadBody>,
) -> ApiResult {
    let body = NewLead::from(body);
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
    Ok((StatusCode::CREATED, axum::Json(LeadOut::from(&l))).into_response())
}

/// `GET /api/v1/community/leads`.
#[utoipa::path(get, path = "/api/v1/community/leads", tag = "community", summary = "Leads in your scope, newest first",
    params(ListQuery), responses((status = 200, description = "OK", body = crate::wire::LeadsOut)))]
pub async fn list_leads(
    State(app): crate::api::AppState,
    user: User,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    user.require(Action::Read)?;
    let f = q.filter(&["station"], &[])?;
    let page = repository::page::<Lead>(&app, &user, "lead", &f).await?;
    Ok(axum::Json(LeadsOut {
        entries: page.entries.iter().map(LeadOut::from).collect(),
        next: page.next,
    })
    .into_response())
}

/// Body of lead feedback.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Feedback {
    /// Whether the lead was used.
    used: bool,
    /// What came of it.
    note: Option<String>,
}

/// `POST /api/v1/community/leads/{id}/feedback`.
#[utoipa::path(post, path = "/api/v1/community/leads/{id}/feedback", tag = "community", summary = "The unit says whether it used the lead (once)",
    params(("id" = String, Path)), request_body = Feedback, responses((status = 200, description = "OK", body = crate::wire::LeadOut)))]
pub async fn lead_feedback(
    State(app): crate::api::AppState,
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
    Ok(axum::Json(LeadOut::from(&l)).into_response())
}

/// Period of a report.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
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
#[utoipa::path(get, path = "/api/v1/community/figures", tag = "community", summary = "Transfers (made, accepted, returned, pending, overdue, median minutes to acceptance) and leads (provided, used) of a period, in total and by station",
    params(PeriodQuery), responses((status = 200, description = "OK", body = wire::CommunityFiguresOut)))]
pub async fn community_figures(
    State(app): crate::api::AppState,
    user: User,
    Query(q): Query<PeriodQuery>,
) -> ApiResult {
    user.require(Action::Figures)?;
    let now = app.now();
    let sp = span(&app, q.period)?;
    let (from, to) = (sp.from, sp.to);
    // Every figure is of records created in the period (a dispute's
    // screening is its creation): one index range a register.
    let period = [RecordWindow::Created { from, to: Some(to) }];
    let transfers: Vec<Transfer> = load_windows(&app, &user, "transfer", &period).await?;
    let leads: Vec<Lead> = load_windows(&app, &user, "lead", &period).await?;
    let (total, by_station) = figures(&transfers, &leads, from, to, now);
    let disputes: Vec<community::dispute::Dispute> =
        load_windows(&app, &user, community::dispute::DISPUTES.kind, &period).await?;
    let dispute_figures = community::dispute::figures(&disputes, from, to, now);
    let mut service = Vec::new();
    for l in community::ledgers::LEDGERS.iter().filter(|l| l.service) {
        service.extend(
            load_windows::<community::ledgers::Entry>(&app, &user, l.register.kind, &period)
                .await?,
        );
    }
    let service_figures = community::ledgers::service_figures(&service, from, to, now);
    Ok(axum::Json(wire::CommunityFiguresOut {
        period: sp.label,
        total: (&total).into(),
        by_station: by_station.iter().map(Into::into).collect(),
        disputes: dispute_figures.into(),
        service: service_figures.iter().map(Into::into).collect(),
    })
    .into_response())
}

// ---------------------------------------------------------------- personal data registers

use community::ledger::{KEY_PERSONS, KeyPerson, NewKeyPerson};

/// `GET /api/v1/community/registers`: each register's legal basis, purpose and retention.
#[utoipa::path(get, path = "/api/v1/community/registers", tag = "community", summary = "Personal-data registers: legal basis, purpose, retention period",
    responses((status = 200, description = "OK", body = [wire::LedgerOut])))]
pub async fn registers(user: User) -> ApiResult {
    user.require(Action::Read)?;
    let mut all = vec![
        wire::LedgerOut::register(&KEY_PERSONS),
        wire::LedgerOut::register(&DISPUTES),
    ];
    all.extend(
        community::ledgers::LEDGERS
            .iter()
            .map(wire::LedgerOut::from),
    );
    Ok(axum::Json(all).into_response())
}

/// Body of a key person.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
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
#[utoipa::path(post, path = "/api/v1/community/key-persons", tag = "community", summary = "Add a key person (重点人员) to the register of a community in your jurisdiction",
    request_body = KeyPersonBody, responses((status = 201, description = "Created (summary)", body = crate::wire::KeyPersonSummaryOut)))]
pub async fn create_key_person(
    State(app): crate::api::AppState,
    user: User,
    ApiJson(b): ApiJson<KeyPersonBody>,
) -> ApiResult {
    user.require(Action::CommunityWrite)?;
    match app.jurisdictions().get(&b.community_id) {
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
        axum::Json(KeyPersonSummaryOut::from(p.summary())),
    )
        .into_response())
}

/// `GET /api/v1/community/key-persons`: summaries only (no identity number,
/// address or full name), so listing needs no reason.
#[utoipa::path(get, path = "/api/v1/community/key-persons", tag = "community", summary = "Key persons in your jurisdiction, newest first, a page at a time: summaries without identity number, address or full name",
    params(ListQuery), responses((status = 200, description = "OK", body = crate::wire::KeyPersonsOut)))]
pub async fn list_key_persons(
    State(app): crate::api::AppState,
    user: User,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    user.require(Action::CommunityWrite)?;
    let f = q.filter(&["community", "station", "overdue"], &[])?;
    let page = repository::page::<KeyPerson>(&app, &user, KEY_PERSONS.kind, &f).await?;
    Ok(axum::Json(KeyPersonsOut {
        register: (&KEY_PERSONS).into(),
        entries: page.entries.iter().map(|p| p.summary().into()).collect(),
        next: page.next,
    })
    .into_response())
}

/// Why a record is read or deleted.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Reason {
    /// why (audited)
    pub(crate) reason: Option<String>,
}

/// A whole personal-data record: only with a reason, and the read is
/// audited before anything is returned.
pub(crate) async fn audited_read<T, Out>(
    app: &App,
    user: &User,
    kind: &str,
    id: String,
    r: Reason,
) -> ApiResult
where
    T: serde::de::DeserializeOwned,
    Out: for<'a> From<&'a T> + serde::Serialize,
{
    let record: T = repository::read_with_reason(app, user, kind, id, r.reason).await?;
    Ok(axum::Json(Out::from(&record)).into_response())
}

/// `GET /api/v1/community/key-persons/{id}?reason=…`: the whole record; the
/// read and its reason are audited before anything is returned.
#[utoipa::path(get, path = "/api/v1/community/key-persons/{id}", tag = "community", summary = "The whole record; the read and its reason are audited first",
    params(("id" = String, Path), Reason), responses((status = 200, description = "OK", body = crate::wire::KeyPersonOut)))]
pub async fn get_key_person(
    State(app): crate::api::AppState,
    user: User,
    Path(id): Path<String>,
    Query(r): Query<Reason>,
) -> ApiResult {
    audited_read::<KeyPerson, crate::wire::KeyPersonOut>(&app, &user, KEY_PERSONS.kind, id, r).await
}

/// `DELETE /api/v1/community/key-persons/{id}?reason=…`: soft delete, audited.
#[utoipa::path(delete, path = "/api/v1/community/key-persons/{id}", tag = "community", summary = "Soft delete with the reason audited (the retention purge removes it for good)",
    params(("id" = String, Path), Reason), responses((status = 204, description = "Deleted")))]
pub async fn delete_key_person(
    State(app): crate::api::AppState,
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
    repository::soft_delete(app, user, kind, id, r.reason).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v1/audit?limit=`: the newest audit entries (administrators).
#[utoipa::path(get, path = "/api/v1/audit", tag = "users", summary = "The newest audit entries: who created, changed, read, deleted or purged which record, when and why (administrators)",
    params(AuditQuery), responses((status = 200, description = "OK", body = crate::wire::AuditLogOut)))]
pub async fn audit_log(
    State(app): crate::api::AppState,
    user: User,
    Query(q): Query<AuditQuery>,
) -> ApiResult {
    user.require(Action::Admin)?;
    let limit = crate::error::bounded("limit", q.limit, 100, 1..=10_000)?;
    let log = app
        .store()
        .audit_log(limit)
        .await
        .map_err(ApiError::store)?;
    let entries = log.iter().map(AuditEntryOut::from).collect();
    Ok(axum::Json(AuditLogOut { entries }).into_response())
}

/// Query of the audit log.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    limit: Option<i64>,
}

// ---------------------------------------------------------------- dispute ledger

use community::dispute::{DISPUTES, Dispute, NewDispute};

/// `POST /api/v1/community/disputes`.
#[utoipa::path(post, path = "/api/v1/community/disputes", tag = "community", summary = "Register a dispute (矛盾纠纷) in a community of your jurisdiction",
    request_body = crate::wire::NewDisputeBody, responses((status = 201, description = "Created (summary)", body = crate::wire::DisputeSummaryOut)))]
pub async fn create_dispute(
    State(app): crate::api::AppState,
    user: User,
    ApiJson(body): ApiJson<crate::wire::NewDisputeBody>,
) -> ApiResult {
    let body = NewDispute::from(body);
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
        axum::Json(DisputeSummaryOut::from(d.summary(now))),
    )
        .into_response())
}

/// `GET /api/v1/community/disputes`: summaries (parties as initials).
#[utoipa::path(get, path = "/api/v1/community/disputes", tag = "community", summary = "Disputes in your jurisdiction, newest first, a page at a time: summaries, parties as initials",
    params(ListQuery), responses((status = 200, description = "OK", body = crate::wire::DisputesOut)))]
pub async fn list_disputes(
    State(app): crate::api::AppState,
    user: User,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    user.require(Action::Read)?;
    let f = q.filter(
        &["community", "station", "status", "overdue"],
        &["open", "resolved", "unresolved"],
    )?;
    let now = app.now();
    let page = repository::page::<Dispute>(&app, &user, DISPUTES.kind, &f).await?;
    Ok(axum::Json(DisputesOut {
        register: (&DISPUTES).into(),
        entries: page.entries.iter().map(|d| d.summary(now).into()).collect(),
        next: page.next,
    })
    .into_response())
}

/// `GET /api/v1/community/disputes/{id}?reason=…`: the whole record, audited.
#[utoipa::path(get, path = "/api/v1/community/disputes/{id}", tag = "community", summary = "The whole dispute with the parties; the read and its reason are audited",
    params(("id" = String, Path), Reason), responses((status = 200, description = "OK", body = crate::wire::DisputeOut)))]
pub async fn get_dispute(
    State(app): crate::api::AppState,
    user: User,
    Path(id): Path<String>,
    Query(r): Query<Reason>,
) -> ApiResult {
    audited_read::<Dispute, crate::wire::DisputeOut>(&app, &user, DISPUTES.kind, id, r).await
}

/// Body of a dispute action, tagged by `action`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
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
#[utoipa::path(post, path = "/api/v1/community/disputes/{id}/action", tag = "community", summary = "mediate (note), close (resolved, note, follow_up_days), follow_up_done, escalate (to, reason)",
    params(("id" = String, Path)), request_body = DisputeAction, responses((status = 200, description = "OK", body = crate::wire::DisputeSummaryOut)))]
pub async fn dispute_action(
    State(app): crate::api::AppState,
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
    Ok(axum::Json(DisputeSummaryOut::from(d.summary(now))).into_response())
}
