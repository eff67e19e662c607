//! The identity check (核查身份) across the registers: one query — an
//! identity number (15 or 18 characters), a phone number or a name (exact,
//! or its beginning) — looked up in the store's key index, answered only in
//! the caller's jurisdiction, masked unless the caller keeps the registers,
//! and audited with its reason before anything is returned.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use community::identity::{KeyKind, PersonQuery, classify};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::api::{AppState, visible_incident};
use crate::auth::{Action, User};
use crate::error::{ApiError, Query};
use app::Refusal;

type ApiResult = Result<Response, ApiError>;

/// Results answered at most.
const MAX_RESULTS: i64 = 50;

/// `GET /api/v1/people/search`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// An identity number (18 characters, or 15 of the first generation), a
    /// phone number, or a name (exact, or its beginning); at most 50 characters.
    q: Option<String>,
    /// Why (audited before anything is returned); may be left out when
    /// `incident_id` is given, which is then the reason.
    reason: Option<String>,
    /// The incident the check is made for.
    incident_id: Option<i64>,
    /// At most this many, 1..=50 (default 20).
    limit: Option<i64>,
}

/// One record found.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PersonHit {
    /// The register: `resident`, `floating_population`, `rental_housing`,
    /// `key_person`, ...
    register: String,
    /// The record's id.
    id: String,
    /// Where in the record the query matched (`name`, `tenants[1].id_number`).
    matched: String,
    /// The community (or station) it is filed under.
    jurisdiction_id: String,
    /// Its fields: whole for those who keep the registers, otherwise as a
    /// list shows them (names and numbers masked).
    summary: PersonSummary,
    /// Whether `summary` is masked.
    masked: bool,
}

/// An identity check's answer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PeopleOut {
    /// `id_number`, `phone` or `name`.
    query_kind: &'static str,
    /// Whether a name was matched by its beginning too.
    prefix: bool,
    results: Vec<PersonHit>,
}

#[utoipa::path(get, path = "/api/v1/people/search", tag = "community", summary = "Identity check (核查身份) across the registers by identity number, phone or name; in the caller's jurisdiction, masked by role, audited with its reason first",
    params(PeopleQuery), responses((status = 200, description = "OK", body = PeopleOut), (status = 422, description = "bad input: {code, message, field}"), (status = 403, description = "role")))]
pub(crate) async fn search(
    State(app): AppState,
    user: User,
    Query(q): Query<PeopleQuery>,
) -> ApiResult {
    user.require(Action::Read)?;
    let limit = crate::error::bounded("limit", q.limit, 20, 1..=MAX_RESULTS)?;
    let query = classify(q.q.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::invalid("q", e.to_string()))?;
    let reason = match (q.reason, q.incident_id) {
        (Some(r), _) if !r.trim().is_empty() => app::repository::reason_given(Some(r))?,
        (_, Some(id)) => {
            visible_incident(&app, &user, id)?;
            format!("incident #{id}")
        }
        _ => {
            return Err(ApiError::invalid(
                "reason",
                "give the reason for the identity check (it is audited), or the incident_id it is for",
            ));
        }
    };
    let (kind, value, prefix) = match &query {
        PersonQuery::IdNumber(v) => (KeyKind::IdNumber, v.clone(), false),
        PersonQuery::Phone(v) => (KeyKind::Phone, v.clone(), false),
        PersonQuery::Name(v) => (KeyKind::Name, v.clone(), true),
    };
    let within: Option<Vec<String>> = user.scope.as_deref().map(|scope| {
        let js = app.jurisdictions();
        js.all()
            .iter()
            .filter(|j| js.is_within(&j.id, scope))
            .map(|j| j.id.clone())
            .collect()
    });
    let store = app.store();
    // Exact names first, then those that begin with the query.
    let mut found = store
        .find_people(kind, &value, false, within.as_deref(), limit)
        .await
        .map_err(ApiError::store)?;
    if prefix && (found.len() as i64) < limit {
        for m in store
            .find_people(kind, &value, true, within.as_deref(), limit)
            .await
            .map_err(ApiError::store)?
        {
            if (found.len() as i64) < limit && !found.contains(&m) {
                found.push(m);
            }
        }
    }
    // Audited before anything is returned: the search, then each record it shows.
    let now = app.now();
    let audit = |action: &str, kind: &str, record_id: String| store::AuditEntry {
        at: now,
        actor: user.username.clone(),
        action: action.into(),
        kind: kind.into(),
        record_id,
        reason: Some(reason.clone()),
    };
    store
        .audit(&audit(
            "identity_check",
            "people",
            format!("{}:{}", kind.as_str(), masked_query(kind, &value)),
        ))
        .await
        .map_err(ApiError::store)?;
    let whole = app::auth::allowed(&user.role, Action::CommunityWrite);
    let mut results = Vec::new();
    for m in found {
        let Some(rec) = store
            .record(&m.kind, &m.record_id)
            .await
            .map_err(ApiError::store)?
            .filter(|r| r.deleted_at.is_none())
        else {
            continue;
        };
        let Some(summary) = summary(&m.kind, &rec.doc, whole, now) else {
            continue;
        };
        store
            .audit(&audit("identity_check_hit", &m.kind, m.record_id.clone()))
            .await
            .map_err(ApiError::store)?;
        results.push(PersonHit {
            register: m.kind,
            id: m.record_id,
            matched: m.field,
            jurisdiction_id: m.jurisdiction_id,
            summary,
            masked: !whole,
        });
    }
    Ok(Json(PeopleOut {
        query_kind: kind.as_str(),
        prefix,
        results,
    })
    .into_response())
}

/// The query as the audit log keeps it: a number's middle hidden (the log
/// says what was looked for without becoming a register of its own).
fn masked_query(kind: KeyKind, value: &str) -> String {
    match kind {
        KeyKind::IdNumber => community::ledger::mask_id_number(value),
        KeyKind::Phone | KeyKind::Name => value.to_string(),
    }
}

/// A record's fields as the caller may see them: a key person's own
/// fields, or a ledger entry's declared fields with where it is filed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum PersonSummary {
    KeyPerson(IdentityKeyPerson),
    Entry(IdentityEntry),
}

/// A key person as the identity check shows them.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IdentityKeyPerson {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_number: Option<String>,
    category: String,
    community_id: String,
    /// Only for those who keep the registers.
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<String>,
}

/// A ledger entry as the identity check shows it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IdentityEntry {
    /// The ledger's declared fields (masked unless whole).
    #[serde(flatten)]
    fields: Map<String, Value>,
    community_id: String,
    station_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<String>,
}

fn summary(kind: &str, doc: &str, whole: bool, now: i64) -> Option<PersonSummary> {
    if kind == community::ledger::KEY_PERSONS.kind {
        let p: community::ledger::KeyPerson = serde_json::from_str(doc).ok()?;
        return Some(PersonSummary::KeyPerson(IdentityKeyPerson {
            name: if whole {
                p.name.clone()
            } else {
                community::ledgers::mask_name(&p.name)
            },
            id_number: p.id_number.as_ref().map(|n| {
                if whole {
                    n.clone()
                } else {
                    community::ledger::mask_id_number(n)
                }
            }),
            category: p.category.clone(),
            community_id: p.community_id.clone(),
            address: p.address.clone().filter(|_| whole),
        }));
    }
    let l = community::ledgers::ledger(kind)?;
    let e: community::ledgers::Entry = serde_json::from_str(doc).ok()?;
    let fields = if whole {
        e.fields.clone()
    } else {
        l.summary(&e, now).fields
    };
    Some(PersonSummary::Entry(IdentityEntry {
        fields,
        community_id: e.community_id.clone(),
        station_id: e.station_id.clone(),
        status: e.status.clone(),
    }))
}
