//! The identity check (核查身份) across the registers: one query — an
//! identity number (15 or 18 characters), a phone number or a name (exact,
//! or its beginning) — looked up in the store's key index, answered only in
//! the caller's jurisdiction, masked unless the caller keeps the registers,
//! and audited with its reason before anything is returned. Or: who is
//! registered at a standard address (`address_code`), by the address index.

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
    /// Instead of `q`: the records registered at this standard address
    /// (标准地址编码), at most 100 characters.
    address_code: Option<String>,
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
    /// The standard address the record is registered at, as the places
    /// register locates it (`null`: none, or a code the register lacks).
    place: Option<RegisteredPlace>,
}

/// A standard address as the places register locates it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RegisteredPlace {
    /// Its code (标准地址编码).
    code: String,
    /// Its full address.
    label: String,
    /// WGS-84.
    lat: f64,
    lon: f64,
}

/// An identity check's answer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PeopleOut {
    /// `id_number`, `phone`, `name` or `address_code`.
    query_kind: &'static str,
    /// Whether a name was matched by its beginning too.
    prefix: bool,
    results: Vec<PersonHit>,
}

#[utoipa::path(get, path = "/api/v1/people/search", tag = "community", summary = "Identity check (核查身份) across the registers by identity number, phone or name, or who is registered at a standard address (address_code); in the caller's jurisdiction, masked by role, audited with its reason first",
    params(PeopleQuery), responses((status = 200, description = "OK", body = PeopleOut), (status = 422, description = "bad input: {code, message, field}"), (status = 403, description = "role")))]
pub(crate) async fn search(
    State(app): AppState,
    user: User,
    Query(q): Query<PeopleQuery>,
) -> ApiResult {
    user.require(Action::Read)?;
    let limit = crate::error::bounded("limit", q.limit, 20, 1..=MAX_RESULTS)?;
    let by_address = match (&q.q, q.address_code.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "address_code",
                "give q (an identity number, phone or name) or address_code, not both",
            ));
        }
        (None, Some(code)) => {
            let code = code.trim();
            if code.is_empty() || code.chars().count() > 100 {
                return Err(ApiError::invalid(
                    "address_code",
                    "a standard address's code (标准地址编码), 1 to 100 characters",
                ));
            }
            Some(code.to_string())
        }
        _ => None,
    };
    let query = match by_address {
        Some(_) => None,
        None => Some(
            classify(q.q.as_deref().unwrap_or(""))
                .map_err(|e| ApiError::invalid("q", e.to_string()))?,
        ),
    };
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
    let within: Option<Vec<String>> = user.scope.as_deref().map(|scope| {
        let js = app.jurisdictions();
        js.all()
            .iter()
            .filter(|j| js.is_within(&j.id, scope))
            .map(|j| j.id.clone())
            .collect()
    });
    let store = app.store();
    let (query_kind, audited_query, prefix, found) = match (query, by_address) {
        (Some(query), _) => {
            let (kind, value, prefix) = match query {
                PersonQuery::IdNumber(v) => (KeyKind::IdNumber, v, false),
                PersonQuery::Phone(v) => (KeyKind::Phone, v, false),
                PersonQuery::Name(v) => (KeyKind::Name, v, true),
            };
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
            let found: Vec<Found> = found
                .into_iter()
                .map(|m| Found {
                    kind: m.kind,
                    record_id: m.record_id,
                    field: m.field,
                    jurisdiction_id: m.jurisdiction_id,
                    doc: None,
                })
                .collect();
            let audited = format!("{}:{}", kind.as_str(), masked_query(kind, &value));
            (kind.as_str(), audited, prefix, found)
        }
        (None, Some(code)) => {
            let found = store
                .records_at(&code, None, within.as_deref(), limit)
                .await
                .map_err(ApiError::store)?
                .into_iter()
                .map(|r| Found {
                    kind: r.kind,
                    record_id: r.id,
                    field: community::filing::ADDRESS_CODE.into(),
                    jurisdiction_id: r.jurisdiction_id,
                    doc: Some(r.doc),
                })
                .collect();
            ("address_code", format!("address_code:{code}"), false, found)
        }
        (None, None) => unreachable!("a query, or an address code"),
    };
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
        .audit(&audit("identity_check", "people", audited_query))
        .await
        .map_err(ApiError::store)?;
    let whole = app::auth::allowed(&user.role, Action::CommunityWrite);
    let places = app.places();
    // The records the keys point at, in one read.
    let wanted: Vec<(String, String)> = found
        .iter()
        .filter(|m| m.doc.is_none())
        .map(|m| (m.kind.clone(), m.record_id.clone()))
        .collect();
    let docs: std::collections::HashMap<(String, String), String> = store
        .records_by_keys(&wanted)
        .await
        .map_err(ApiError::store)?
        .into_iter()
        .map(|r| ((r.kind, r.id), r.doc))
        .collect();
    let mut results = Vec::new();
    let mut shown = Vec::new();
    for m in found {
        let doc = match m.doc {
            Some(doc) => doc,
            // A record found by two of its fields shows twice.
            None => match docs.get(&(m.kind.clone(), m.record_id.clone())) {
                Some(doc) => doc.clone(),
                None => continue,
            },
        };
        let Some(summary) = summary(&m.kind, &doc, whole, now) else {
            continue;
        };
        let place = community::filing::filing(&m.kind, &doc)
            .address_code
            .and_then(|code| {
                let p = places.place(places.by_code(&code)?);
                Some(RegisteredPlace {
                    label: p.label.clone(),
                    lat: p.lat,
                    lon: p.lon,
                    code,
                })
            });
        shown.push(audit("identity_check_hit", &m.kind, m.record_id.clone()));
        results.push(PersonHit {
            register: m.kind,
            id: m.record_id,
            matched: m.field,
            jurisdiction_id: m.jurisdiction_id,
            summary,
            masked: !whole,
            place,
        });
    }
    // Every record shown is audited, in one commit, before the answer goes.
    store.audit_all(&shown).await.map_err(ApiError::store)?;
    Ok(Json(PeopleOut {
        query_kind,
        prefix,
        results,
    })
    .into_response())
}

/// A record an identity check found (its document, when the look-up read it).
struct Found {
    kind: String,
    record_id: String,
    field: String,
    jurisdiction_id: String,
    doc: Option<String>,
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
