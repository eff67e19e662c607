//! The ledgers described in `community::ledgers` over the API, one set of
//! endpoints for all of them (`/community/ledgers/{kind}`), plus what is
//! built on them: lost-found matching, the community officer's task list,
//! the 1+X+N staffing report, and the village police office registry.
//!
//! Every record belongs to a community and is scoped like incidents; lists
//! show what a ledger's fields allow without an audited read; a whole
//! personal record needs a reason and the read is audited first; deleting is
//! soft and audited.

use dispatch::time::DAY_MS;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use community::ledgers::{self, Entry, Ledger};
use dispatch::{LatLon, Level, PoliceOffice};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::App;
use crate::auth::{Action, User};
use crate::community_api::{
    ListQuery, PeriodQuery, Reason, audited_read, community_error, day_date, soft_delete, span,
};
use crate::error::{ApiError, ApiJson, Code, Path, Query};
use crate::wire::{
    self, EntriesOut, EntryOut, EntrySummaryOut, ImportedOut, MatchOut, MatchesOut,
    PoliceOfficeOut, TaskOut, TasksOut,
};
use app::Refusal;
use app::repository::{self, WRITES, community_in_scope, load, load_windows, new_id, save, sees};
use store::RecordWindow;

type ApiResult = Result<Response, ApiError>;

fn ledger_of(kind: &str) -> Result<&'static Ledger, ApiError> {
    ledgers::ledger(kind).ok_or_else(|| {
        ApiError::new(
            Code::NotFound,
            format!(
                "no ledger {kind:?}; ledgers: {}",
                ledgers::LEDGERS
                    .iter()
                    .map(|l| l.register.kind)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })
}

/// Personal ledgers are a station's own work; the others anyone may read.
fn require_read(user: &User, l: &Ledger) -> Result<(), ApiError> {
    Ok(user.require(if l.personal {
        Action::CommunityWrite
    } else {
        Action::Read
    })?)
}

pub(crate) fn station_of(app: &App, community: &str) -> String {
    app.jurisdictions()
        .ancestors(community)
        .find(|j| j.level == Level::Station)
        .map(|j| j.id.clone())
        .unwrap_or_default()
}

/// `GET /api/v1/community/ledgers`: every ledger: register, fields, workflow.
#[utoipa::path(get, path = "/api/v1/community/ledgers", tag = "community", summary = "every ledger: register (legal basis, purpose, retention), fields with what lists show, workflow (statuses, actions, timers)",
    responses((status = 200, description = "OK", body = [wire::LedgerOut]), (status = 422, description = "bad input: {code, message, field}"), (status = 403, description = "role or jurisdiction")))]
pub async fn list_ledgers(user: User) -> ApiResult {
    user.require(Action::Read)?;
    let all: Vec<wire::LedgerOut> = ledgers::LEDGERS.iter().map(Into::into).collect();
    Ok(axum::Json(all).into_response())
}

/// `GET /api/v1/community/ledgers/{kind}`: summaries, newest first.
#[utoipa::path(get, path = "/api/v1/community/ledgers/{kind}", tag = "community", summary = "summaries newest first; personal fields masked or hidden as the ledger says",
    params(("kind" = String, Path, description = "resident, rental_housing, floating_population, venue, lost_property, found_item, missing_person, livelihood, staffing, community_day"), ListQuery), responses((status = 200, description = "OK", body = crate::wire::EntriesOut), (status = 422, description = "bad input: {code, message, field}"), (status = 403, description = "role or jurisdiction")))]
pub async fn list_entries(
    State(app): crate::api::AppState,
    user: User,
    Path(kind): Path<String>,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    let l = ledger_of(&kind)?;
    require_read(&user, l)?;
    let statuses: Vec<&str> = l
        .workflow
        .map(|w| {
            std::iter::once(w.initial)
                .chain(w.actions.iter().filter_map(|a| a.to))
                .collect()
        })
        .unwrap_or_default();
    let mut filters = vec!["community", "station"];
    if l.workflow.is_some() {
        filters.extend(["status", "overdue"]);
    }
    if l.field(community::filing::ADDRESS_CODE).is_some() {
        filters.push("address_code");
    }
    let f = q.filter(&filters, &statuses)?;
    let now = app.now();
    let page = repository::page::<Entry>(&app, &user, &kind, &f).await?;
    Ok(axum::Json(EntriesOut {
        ledger: l.into(),
        entries: page
            .entries
            .iter()
            .map(|e| EntrySummaryOut::from(l.summary(e, now)))
            .collect(),
        next: page.next,
    })
    .into_response())
}

/// A new record.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryBody {
    /// Community or village.
    community_id: String,
    /// The ledger's fields.
    fields: Map<String, Value>,
}

/// `POST /api/v1/community/ledgers/{kind}`.
#[utoipa::path(post, path = "/api/v1/community/ledgers/{kind}", tag = "community", summary = "new record; one per community for staffing; community days default to the caller",
    params(("kind" = String, Path, description = "resident, rental_housing, floating_population, venue, lost_property, found_item, missing_person, livelihood, staffing, community_day")), request_body = EntryBody, responses((status = 200, description = "OK", body = crate::wire::EntrySummaryOut), (status = 422, description = "bad input: {code, message, field}"), (status = 403, description = "role or jurisdiction")))]
pub async fn create_entry(
    State(app): crate::api::AppState,
    user: User,
    Path(kind): Path<String>,
    ApiJson(mut body): ApiJson<EntryBody>,
) -> ApiResult {
    let l = ledger_of(&kind)?;
    user.require(Action::CommunityWrite)?;
    community_in_scope(&app, &user, &body.community_id)?;
    if l.register.kind == ledgers::COMMUNITY_DAYS.register.kind {
        // An officer logs their own days unless someone else is named.
        body.fields
            .entry("officer")
            .or_insert_with(|| Value::String(user.username.clone()));
    }
    let now = app.now();
    let id = if l.one_per_community {
        body.community_id.clone()
    } else {
        new_id(&format!("{}-", l.register.kind), now)
    };
    let station = station_of(&app, &body.community_id);
    let e = l
        .create(
            id,
            &body.community_id,
            &station,
            &body.fields,
            &user.username,
            now,
        )
        .map_err(community_error)?;
    let _w = WRITES.lock().await;
    if l.one_per_community
        && let Some(r) = app
            .store()
            .record(&kind, &e.id)
            .await
            .map_err(ApiError::store)?
        && r.deleted_at.is_none()
    {
        return Err(ApiError::new(
            Code::Conflict,
            format!(
                "{} already has a {kind} record; change it with PATCH",
                e.community_id
            ),
        ));
    }
    if l.register.kind == ledgers::COMMUNITY_DAYS.register.kind {
        let same = |x: &Entry| {
            x.community_id == e.community_id
                && x.fields.get("officer") == e.fields.get("officer")
                && x.fields.get("date") == e.fields.get("date")
        };
        let date = e.fields.get("date").and_then(|v| v.as_str()).unwrap_or("");
        // That day's logs, from the day index.
        let logs: Vec<Entry> = load_windows(&app, &user, &kind, &[RecordWindow::Day(date)]).await?;
        if logs.iter().any(same) {
            return Err(ApiError::new(
                Code::Conflict,
                "this officer's day in this community is already logged",
            ));
        }
    }
    save(
        &app,
        &user,
        &kind,
        &e.id,
        &e.community_id,
        now,
        &e,
        "create",
        None,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(EntrySummaryOut::from(l.summary(&e, now))),
    )
        .into_response())
}

/// `GET /api/v1/community/ledgers/{kind}/{id}`: the whole record; for
/// personal ledgers only with `?reason=`, and the read is audited first.
#[utoipa::path(get, path = "/api/v1/community/ledgers/{kind}/{id}", tag = "community", summary = "the whole record; personal ledgers only with ?reason=, audited before anything is returned",
    params(("kind" = String, Path, description = "resident, rental_housing, floating_population, venue, lost_property, found_item, missing_person, livelihood, staffing, community_day"), ("id" = String, Path), Reason), responses((status = 200, description = "OK", body = crate::wire::EntryOut), (status = 422, description = "bad input: {code, message, field}"), (status = 403, description = "role or jurisdiction")))]
pub async fn get_entry(
    State(app): crate::api::AppState,
    user: User,
    Path((kind, id)): Path<(String, String)>,
    Query(r): Query<Reason>,
) -> ApiResult {
    let l = ledger_of(&kind)?;
    if l.personal {
        return audited_read::<Entry, crate::wire::EntryOut>(&app, &user, &kind, id, r).await;
    }
    user.require(Action::Read)?;
    let e: Entry = load(&app, &user, &kind, &id).await?;
    Ok(axum::Json(EntryOut::from(&e)).into_response())
}

/// Changed fields.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    /// Fields to change (`null` clears an optional one).
    fields: Map<String, Value>,
}

/// `PATCH /api/v1/community/ledgers/{kind}/{id}`.
#[utoipa::path(patch, path = "/api/v1/community/ledgers/{kind}/{id}", tag = "community", summary = "change fields (null clears an optional one); audited",
    params(("kind" = String, Path, description = "resident, rental_housing, floating_population, venue, lost_property, found_item, missing_person, livelihood, staffing, community_day"), ("id" = String, Path)), request_body = UpdateBody, responses((status = 200, description = "OK", body = crate::wire::EntrySummaryOut), (status = 422, description = "bad input: {code, message, field}"), (status = 403, description = "role or jurisdiction")))]
pub async fn update_entry(
    State(app): crate::api::AppState,
    user: User,
    Path((kind, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> ApiResult {
    let l = ledger_of(&kind)?;
    user.require(Action::CommunityWrite)?;
    let now = app.now();
    let _w = WRITES.lock().await;
    let mut e: Entry = load(&app, &user, &kind, &id).await?;
    l.update(&mut e, &body.fields, now)
        .map_err(community_error)?;
    save(
        &app,
        &user,
        &kind,
        &e.id,
        &e.community_id.clone(),
        e.created_at,
        &e,
        "update",
        None,
    )
    .await?;
    Ok(axum::Json(EntrySummaryOut::from(l.summary(&e, now))).into_response())
}

/// A workflow action.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// The action (see the ledger's workflow).
    action: String,
    /// What was done, or why.
    note: Option<String>,
    /// Inspections: `pass`, `rectify` or `violation`.
    result: Option<String>,
    /// Matches: the other record's id.
    link: Option<String>,
}

/// `POST /api/v1/community/ledgers/{kind}/{id}/action`. Matching a lost
/// report with a found item (and unmatching, returning) changes both.
#[utoipa::path(post, path = "/api/v1/community/ledgers/{kind}/{id}/action", tag = "community", summary = "workflow action (inspect with result, match with link, return, close with note, …); a match changes both records",
    params(("kind" = String, Path, description = "resident, rental_housing, floating_population, venue, lost_property, found_item, missing_person, livelihood, staffing, community_day"), ("id" = String, Path)), request_body = ActionBody, responses((status = 200, description = "OK", body = crate::wire::EntrySummaryOut), (status = 422, description = "bad input: {code, message, field}"), (status = 403, description = "role or jurisdiction")))]
pub async fn entry_action(
    State(app): crate::api::AppState,
    user: User,
    Path((kind, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<ActionBody>,
) -> ApiResult {
    let l = ledger_of(&kind)?;
    user.require(Action::CommunityWrite)?;
    let now = app.now();
    let _w = WRITES.lock().await;
    let mut e: Entry = load(&app, &user, &kind, &id).await?;
    // A match names the other record; undoing it or a return acts on the linked one.
    let spec = l.action(&b.action);
    let matching = spec.is_some_and(|a| a.links.is_some());
    let other_id = if matching {
        b.link.clone()
    } else {
        e.link.clone()
    };
    let mut other: Option<(&'static Ledger, Entry)> = None;
    if spec.is_some_and(|a| a.both_sides)
        && let (Some(ok), Some(oid)) = (l.linked_kind(), other_id.as_deref())
    {
        let ol = ledger_of(ok)?;
        let o: Entry = load(&app, &user, ok, oid).await.map_err(|_| {
            ApiError::invalid("link", format!("no {ok} record {oid:?} in your scope"))
        })?;
        other = Some((ol, o));
    }
    l.act(
        &mut e,
        &b.action,
        b.note.as_deref(),
        b.result.as_deref(),
        b.link.as_deref(),
        &user.username,
        now,
    )
    .map_err(community_error)?;
    if let Some((ol, o)) = other.as_mut() {
        let link = matching.then_some(e.id.as_str());
        ol.act(
            o,
            &b.action,
            b.note.as_deref(),
            None,
            link,
            &user.username,
            now,
        )
        .map_err(|err| {
            ApiError::new(
                Code::Conflict,
                format!("the linked {} {}: {err}", o.kind, o.id),
            )
        })?;
    }
    save(
        &app,
        &user,
        &kind,
        &e.id,
        &e.community_id.clone(),
        e.created_at,
        &e,
        &b.action,
        b.note.clone(),
    )
    .await?;
    if let Some((_, o)) = other {
        save(
            &app,
            &user,
            &o.kind.clone(),
            &o.id,
            &o.community_id.clone(),
            o.created_at,
            &o,
            &b.action,
            b.note,
        )
        .await?;
    }
    Ok(axum::Json(EntrySummaryOut::from(l.summary(&e, now))).into_response())
}

/// `DELETE /api/v1/community/ledgers/{kind}/{id}?reason=…`: soft delete, audited.
#[utoipa::path(delete, path = "/api/v1/community/ledgers/{kind}/{id}", tag = "community", summary = "soft delete with ?reason=, audited; the retention purge removes it later",
    params(("kind" = String, Path, description = "resident, rental_housing, floating_population, venue, lost_property, found_item, missing_person, livelihood, staffing, community_day"), ("id" = String, Path), Reason), responses((status = 204, description = "Deleted"), (status = 422, description = "bad input: {code, message, field}"), (status = 403, description = "role or jurisdiction")))]
pub async fn delete_entry(
    State(app): crate::api::AppState,
    user: User,
    Path((kind, id)): Path<(String, String)>,
    Query(r): Query<Reason>,
) -> ApiResult {
    ledger_of(&kind)?;
    soft_delete(&app, &user, &kind, &id, r).await
}

/// `GET /api/v1/community/ledgers/{kind}/{id}/matches`: found items that may
/// be a lost report's (or lost reports that may be a found item's), best first.
#[utoipa::path(get, path = "/api/v1/community/ledgers/{kind}/{id}/matches", tag = "community", summary = "lost_property/found_item: candidates of the other kind, best first, with reasons",
    params(("kind" = String, Path, description = "resident, rental_housing, floating_population, venue, lost_property, found_item, missing_person, livelihood, staffing, community_day"), ("id" = String, Path)), responses((status = 200, description = "OK", body = crate::wire::MatchesOut), (status = 422, description = "bad input: {code, message, field}"), (status = 403, description = "role or jurisdiction")))]
pub async fn entry_matches(
    State(app): crate::api::AppState,
    user: User,
    Path((kind, id)): Path<(String, String)>,
) -> ApiResult {
    let l = ledger_of(&kind)?;
    user.require(Action::CommunityWrite)?;
    let Some(other_kind) = l.linked_kind() else {
        return Err(ApiError::invalid(
            "kind",
            format!("{kind} records are not matched; lost_property and found_item are"),
        ));
    };
    let e: Entry = load(&app, &user, &kind, &id).await?;
    // Only records of the days the 60-day rule allows, from the day index.
    let others: Vec<Entry> = match ledgers::match_days(&e) {
        Some((from, to)) => {
            load_windows(
                &app,
                &user,
                other_kind,
                &[RecordWindow::Days {
                    from: &from,
                    to: &to,
                }],
            )
            .await?
        }
        None => Vec::new(),
    };
    let ol = ledger_of(other_kind)?;
    let now = app.now();
    let cands = ledgers::match_candidates(&e, &others, 10);
    let candidates = cands
        .iter()
        .filter_map(|c| {
            let o = others.iter().find(|o| o.id == c.id)?;
            Some(MatchOut {
                score: c.score,
                reasons: c.reasons.clone(),
                entry: ol.summary(o, now).into(),
            })
        })
        .collect();
    Ok(axum::Json(MatchesOut {
        for_entry: l.summary(&e, now).into(),
        candidates,
    })
    .into_response())
}

/// Horizon of the task list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TasksQuery {
    /// Days ahead (default 1: today's tasks and everything overdue).
    days: Option<i64>,
    /// Only this community.
    community: Option<String>,
}

/// `GET /api/v1/community/tasks`: what is due: dispute follow-up visits,
/// key-person visits, venue and rental inspections, open 365x24 requests,
/// transfers waiting; overdue first, then by due time.
#[utoipa::path(get, path = "/api/v1/community/tasks", tag = "community", summary = "due work in scope: dispute follow-ups and mediation, key-person visits, inspections, open 365x24 requests; overdue first",
    params(TasksQuery), responses((status = 200, description = "OK", body = crate::wire::TasksOut), (status = 422, description = "bad input: {code, message, field}"), (status = 403, description = "role or jurisdiction")))]
pub async fn tasks(
    State(app): crate::api::AppState,
    user: User,
    Query(q): Query<TasksQuery>,
) -> ApiResult {
    user.require(Action::CommunityWrite)?;
    let days = crate::error::bounded("days", q.days, 1, 0..=90)?;
    let now = app.now();
    // End of today (local) plus the horizon.
    let local = crate::LOCAL_UTC_OFFSET_MIN * 60_000;
    let today_end = ((now + local) / DAY_MS + 1) * DAY_MS - local;
    let until = today_end + (days - 1).max(0) * DAY_MS;
    let in_community = |c: &str| {
        q.community
            .as_deref()
            .is_none_or(|x| app.jurisdictions().is_within(c, x))
    };
    let mut out: Vec<(i64, TaskOut)> = Vec::new();
    // Owed transfers are shown at once, whatever their due time.
    let mut push = |kind: &str, id: &str, community: &str, what: String, due: i64| {
        if (due < until || kind == "incident") && in_community(community) {
            out.push((
                due,
                TaskOut {
                    kind: kind.into(),
                    id: id.into(),
                    community_id: community.into(),
                    what,
                    due_at: dispatch::time::format_rfc3339(due),
                    overdue: due < now,
                },
            ));
        }
    };
    // Each register is read where work can fall due: its open records and
    // those due before the horizon (index ranges), never whole.
    let due = RecordWindow::DueBefore(until);
    let disputes: Vec<community::dispute::Dispute> = load_windows(
        &app,
        &user,
        community::dispute::DISPUTES.kind,
        &[RecordWindow::Status("open"), due],
    )
    .await?;
    for d in &disputes {
        if let Some(f) = d.follow_ups.iter().find(|f| f.done_at.is_none()) {
            push(
                "dispute",
                &d.id,
                &d.community_id,
                format!("follow_up:{}", d.dispute_type),
                f.due,
            );
        } else if d.outcome.is_none() && d.escalation.is_none() {
            push(
                "dispute",
                &d.id,
                &d.community_id,
                format!("mediate:{}", d.dispute_type),
                d.screened_at + 7 * DAY_MS,
            );
        }
    }
    // "两不办": criminal incidents of the last 30 days with no transfer filed.
    let transfers: Vec<community::transfer::Transfer> = load_windows(
        &app,
        &user,
        "transfer",
        &[RecordWindow::Created {
            from: now - 30 * DAY_MS,
            to: None,
        }],
    )
    .await?;
    let filed: std::collections::HashSet<i64> =
        transfers.iter().filter_map(|t| t.incident_id).collect();
    let owed: Vec<(i64, String, String, i64)> = {
        let engine = app.view(&user);
        engine
            .incidents()
            .filter(|i| {
                i.created_at > now - 30 * DAY_MS
                    && community::transfer::must_transfer(&i.kind).is_some()
                    && !matches!(
                        i.status,
                        dispatch::IncidentStatus::Cancelled | dispatch::IncidentStatus::Merged
                    )
                    && !filed.contains(&i.id)
                    && user.sees(i)
            })
            .map(|i| {
                (
                    i.id,
                    i.kind.clone(),
                    i.place.community_id.clone().unwrap_or_default(),
                    i.created_at,
                )
            })
            .collect()
    };
    for (id, kind, community, at) in owed {
        push(
            "incident",
            &id.to_string(),
            &community,
            format!("transfer:{kind}"),
            at + community::transfer::DECISION_TARGET_MS,
        );
    }
    let persons: Vec<community::ledger::KeyPerson> =
        load_windows(&app, &user, community::ledger::KEY_PERSONS.kind, &[due]).await?;
    for p in &persons {
        if let Some(due) = p.next_visit_due {
            push(
                "key_person",
                &p.id,
                &p.community_id,
                format!("visit:{}", p.category),
                due,
            );
        }
    }
    for l in ledgers::LEDGERS.iter() {
        let Some(w) = l.workflow else { continue };
        // Filed due at the earlier of its close timer and its due date.
        for e in load_windows::<Entry>(&app, &user, l.register.kind, &[due]).await? {
            if e.closed_at.is_some() {
                continue;
            }
            let status = e.status.as_deref().unwrap_or("");
            if let Some(h) = w.close_within_hours {
                push(
                    l.register.kind,
                    &e.id,
                    &e.community_id,
                    format!("{status}:{}", l.register.kind),
                    e.created_at + h as i64 * 3_600_000,
                );
            } else if let Some(due) = e.due_at {
                // Due dates are set by inspections (venues, rental housing).
                push(
                    l.register.kind,
                    &e.id,
                    &e.community_id,
                    format!("inspect:{}", l.register.kind),
                    due,
                );
            }
        }
    }
    out.sort_by_key(|(due, t)| (!t.overdue, *due));
    Ok(axum::Json(TasksOut {
        until: dispatch::time::format_rfc3339(until),
        now: dispatch::time::format_rfc3339(now),
        tasks: out.into_iter().map(|(_, t)| t).collect(),
    })
    .into_response())
}

/// `GET /api/v1/community/staffing?period=`: 1+X+N staffing and community
/// days by station, and each officer's days a week against the 3.5 target.
#[utoipa::path(get, path = "/api/v1/community/staffing", tag = "community", summary = "1+X+N staffing by station and each officer's community days a week against the 3.5 target",
    params(PeriodQuery), responses((status = 200, description = "OK", body = wire::StaffingOut), (status = 422, description = "bad input: {code, message, field}"), (status = 403, description = "role or jurisdiction")))]
pub async fn staffing(
    State(app): crate::api::AppState,
    user: User,
    Query(q): Query<PeriodQuery>,
) -> ApiResult {
    user.require(Action::Read)?;
    let sp = span(&app, q.period)?;
    // One record a community: the register is as small as the tree.
    let teams: Vec<Entry> = load_windows(
        &app,
        &user,
        ledgers::STAFFING.register.kind,
        &[RecordWindow::Whole],
    )
    .await?;
    // Days past the present do not count against the officers.
    let today = dispatch::time::local_day(app.now());
    let end_day = if (sp.start_day..sp.end_day).contains(&today) {
        today + 1
    } else {
        sp.end_day
    };
    let logs: Vec<Entry> = load_windows(
        &app,
        &user,
        ledgers::COMMUNITY_DAYS.register.kind,
        &[RecordWindow::Days {
            from: &sp.from_date,
            to: &day_date(end_day),
        }],
    )
    .await?;
    let days = community::staffing::community_days(
        &logs,
        &sp.from_date,
        &day_date(end_day),
        end_day - sp.start_day,
    );
    let (total, by_station) = community::staffing::staffing_report(
        app.jurisdictions(),
        &teams,
        &days,
        user.scope.as_deref(),
    );
    Ok(axum::Json(wire::StaffingOut {
        period: sp.label,
        days_counted: end_day - sp.start_day,
        target_days_per_week: community::staffing::TARGET_DAYS_PER_WEEK,
        total: (&total).into(),
        by_station: by_station.iter().map(Into::into).collect(),
        officers: days.iter().map(Into::into).collect(),
    })
    .into_response())
}

// ---------------------------------------------------------------- police office registry

/// A police office as submitted.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfficeBody {
    /// Name.
    name: Option<String>,
    /// Community or village served (create only).
    community_id: Option<String>,
    /// 1 (best equipped) to 3.
    class: Option<u8>,
    /// Officers and auxiliaries based there.
    staff: Option<u32>,
    /// Opening hours `HH:MM-HH:MM` or `24h`.
    hours: Option<String>,
    /// Shares the village committee's office.
    shares_committee_office: Option<bool>,
    /// Position (inside the community).
    lat: Option<f64>,
    /// Position.
    lon: Option<f64>,
}

fn valid_hours(s: &str) -> bool {
    if s == "24h" {
        return true;
    }
    let hm = |t: &str| {
        t.len() == 5
            && t.as_bytes()[2] == b':'
            && t[..2].parse::<u32>().is_ok_and(|h| h < 24)
            && t[3..].parse::<u32>().is_ok_and(|m| m < 60)
    };
    s.split_once('-')
        .is_some_and(|(a, b)| hm(a) && hm(b) && a < b)
}

fn apply_office(app: &App, o: &mut PoliceOffice, b: OfficeBody) -> Result<(), ApiError> {
    if let Some(n) = b.name {
        let n = n.trim();
        if n.is_empty() || n.chars().count() > 100 {
            return Err(ApiError::invalid("name", "1 to 100 characters"));
        }
        o.name = n.into();
    }
    if let Some(c) = b.class {
        if !(1..=3).contains(&c) {
            return Err(ApiError::invalid(
                "class",
                "expected 1, 2 or 3 (一类, 二类, 三类)",
            ));
        }
        o.class = c;
    }
    if let Some(s) = b.staff {
        if s > 50 {
            return Err(ApiError::invalid("staff", "0 to 50"));
        }
        o.staff = s;
    }
    if let Some(h) = b.hours {
        if !valid_hours(h.trim()) {
            return Err(ApiError::invalid(
                "hours",
                format!("expected HH:MM-HH:MM or 24h, got {h:?}"),
            ));
        }
        o.hours = h.trim().into();
    }
    if let Some(s) = b.shares_committee_office {
        o.shares_committee_office = s;
    }
    match (b.lat, b.lon) {
        (None, None) => {}
        (Some(lat), Some(lon)) => {
            let inside = app
                .jurisdictions()
                .resolve(LatLon::new(lat, lon))
                .and_then(|p| p.community_id)
                .is_some_and(|c| c == o.community_id);
            if !inside {
                return Err(ApiError::invalid(
                    "lat",
                    format!("{lat}, {lon} is not inside community {}", o.community_id),
                ));
            }
            o.lat = lat;
            o.lon = lon;
        }
        _ => return Err(ApiError::invalid("lon", "give lat and lon together")),
    }
    Ok(())
}

async fn save_office(app: &App, user: &User, o: PoliceOffice, action: &str) -> ApiResult {
    app.put_office(user, &o, action).await?;
    let status = if action == "create" {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(PoliceOfficeOut::from(&o))).into_response())
}

/// `POST /api/v1/police-offices`: registers an office for a community.
#[utoipa::path(post, path = "/api/v1/police-offices", tag = "community", summary = "register a village police office (class, staffing, hours, co-location); audited",
    request_body = OfficeBody, responses((status = 200, description = "OK", body = crate::wire::PoliceOfficeOut), (status = 422, description = "bad input: {code, message, field}"), (status = 403, description = "role or jurisdiction")))]
pub async fn create_office(
    State(app): crate::api::AppState,
    user: User,
    ApiJson(b): ApiJson<OfficeBody>,
) -> ApiResult {
    user.require(Action::CommunityWrite)?;
    let Some(community) = b.community_id.clone() else {
        return Err(ApiError::invalid(
            "community_id",
            "give the community or village the office serves",
        ));
    };
    community_in_scope(&app, &user, &community)?;
    if b.name.is_none() || b.lat.is_none() {
        return Err(ApiError::invalid(
            if b.name.is_none() { "name" } else { "lat" },
            "a new office needs name, lat and lon",
        ));
    }
    let _w = WRITES.lock().await;
    let n = app
        .offices()
        .iter()
        .filter(|o| o.community_id == community)
        .count();
    let mut o = PoliceOffice {
        id: format!("{community}-O{}", n + 1),
        name: String::new(),
        community_id: community.clone(),
        station_id: station_of(&app, &community),
        lat: 0.0,
        lon: 0.0,
        class: 3,
        staff: 1,
        hours: "08:30-17:30".into(),
        shares_committee_office: false,
    };
    apply_office(&app, &mut o, b)?;
    save_office(&app, &user, o, "create").await
}

/// `PUT /api/v1/police-offices/{id}`: changes class, staffing, hours,
/// co-location, name or position.
#[utoipa::path(put, path = "/api/v1/police-offices/{id}", tag = "community", summary = "change an office's class, staffing, hours, co-location, name or position; audited",
    params(("id" = String, Path)), request_body = OfficeBody, responses((status = 200, description = "OK", body = crate::wire::PoliceOfficeOut), (status = 422, description = "bad input: {code, message, field}"), (status = 403, description = "role or jurisdiction")))]
pub async fn update_office(
    State(app): crate::api::AppState,
    user: User,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<OfficeBody>,
) -> ApiResult {
    user.require(Action::CommunityWrite)?;
    let _w = WRITES.lock().await;
    let found = app.offices().iter().find(|o| o.id == id).cloned();
    let Some(mut o) = found.filter(|o| sees(&app, &user, &o.community_id)) else {
        return Err(ApiError::not_found("police office", &id));
    };
    if b.community_id
        .as_ref()
        .is_some_and(|c| *c != o.community_id)
    {
        return Err(ApiError::invalid(
            "community_id",
            "an office's community does not change; register a new office",
        ));
    }
    apply_office(&app, &mut o, b)?;
    save_office(&app, &user, o, "update").await
}

/// Largest ledger import accepted.
pub const IMPORT_LIMIT: usize = 16 << 20;

/// 422 with every bad line of a refused import.
pub(crate) fn import_refused<'a, E: 'a>(
    message: String,
    errors: impl IntoIterator<Item = &'a E>,
) -> Response
where
    wire::LineErrorOut: From<&'a E>,
{
    (
        Code::InvalidField.status(),
        axum::Json(wire::ImportRefusedOut::new(
            Code::InvalidField.as_str(),
            message,
            errors.into_iter().map(wire::LineErrorOut::from).collect(),
        )),
    )
        .into_response()
}

/// `POST /api/v1/community/ledgers/{kind}/import` (`text/csv`): an existing
/// ledger brought in at once. All or nothing: every bad line is listed with
/// its field, and nothing is written unless every line is good.
#[utoipa::path(post, path = "/api/v1/community/ledgers/{kind}/import", tag = "community", summary = "import a ledger from text/csv (header: community_id and field names; people as name/from/id; …, teams as name:size; …); all or nothing, every bad line listed with its field",
    params(("kind" = String, Path)), request_body(content = Object, content_type = "text/csv", description = "CSV with a header row naming the ledger's fields"), responses((status = 201, description = "{imported, ids}", body = crate::wire::ImportedOut), (status = 415, description = "not text/csv"), (status = 422, description = "{code, message, field, errors: [{line, field, message}]}")))]
pub async fn import_entries(
    State(app): crate::api::AppState,
    user: User,
    Path(kind): Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult {
    let l = ledger_of(&kind)?;
    user.require(Action::CommunityWrite)?;
    let text = crate::error::csv_text(
        &headers,
        &body,
        "the ledger as text/csv: a header of community_id and field names (GET /community/ledgers), one record a line",
    )?;
    let now = app.now();
    let _w = WRITES.lock().await;
    let tree = app.jurisdictions();
    let import = app::import::LedgerImport {
        store: app.store(),
        tree,
        ledger: l,
        actor: &user.username,
        scope: user.scope.as_deref(),
        now,
        keep_ids: true,
    };
    match import
        .run(|| Ok::<_, std::io::Error>(text.as_bytes()), &mut |_| {})
        .await
    {
        Ok(done) => Ok((
            StatusCode::CREATED,
            axum::Json(ImportedOut {
                imported: done.count,
                ids: done.ids,
            }),
        )
            .into_response()),
        Err(app::import::ImportError::Lines(errors)) => Ok(import_refused(
            format!(
                "nothing was imported: {} bad line(s), each listed",
                errors.len()
            ),
            &errors,
        )),
        Err(e) => Err(ApiError::store(e)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn opening_hours() {
        for ok in ["08:00-18:00", "24h", "00:00-23:59"] {
            assert!(super::valid_hours(ok), "{ok}");
        }
        for bad in ["8-18", "18:00-08:00", "08:00-24:00", "08:00 18:00", ""] {
            assert!(!super::valid_hours(bad), "{bad}");
        }
    }
}
