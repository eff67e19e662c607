//! The record repository: community-policing records stored as documents
//! (`store::CommunityRecord`), scoped by jurisdiction, every write audited
//! in the same transaction, every full read of personal data audited with
//! its reason before it is returned, and the retention purge. Every
//! register's handlers go through here; the wire format is the API's.

use std::sync::atomic::{AtomicU64, Ordering};

use community::dispute::DISPUTES;
use community::ledger::{KEY_PERSONS, expired};
use dispatch::Level;
use store::{AuditEntry, CommunityRecord};

use crate::App;
use crate::auth::{Action, User};
use crate::error::{AppError, Refusal};

/// Community writes are read-modify-write on stored documents: one at a time.
pub static WRITES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
static SEQ: AtomicU64 = AtomicU64::new(0);

/// A new record id: a prefix, the time and a counter.
pub fn new_id(prefix: &str, now: i64) -> String {
    format!("{prefix}{now}-{}", SEQ.fetch_add(1, Ordering::Relaxed))
}

/// The station a record is for: the given one (which must be a station in
/// the user's scope) or the user's own station.
pub fn station_for(app: &App, user: &User, given: Option<String>) -> Result<String, AppError> {
    let station = match given {
        Some(s) => s,
        None => match &user.scope {
            Some(s)
                if app
                    .jurisdictions()
                    .get(s)
                    .is_some_and(|j| j.level == Level::Station) =>
            {
                s.clone()
            }
            _ => {
                return Err(AppError::invalid(
                    "station_id",
                    "give the station the record is for",
                ));
            }
        },
    };
    jurisdiction_in_scope(app, user, "station_id", &station, Some(Level::Station))?;
    Ok(station)
}

/// A jurisdiction a request names in `field`: it must exist (at `level`,
/// when one is asked) and lie in the user's scope.
pub fn jurisdiction_in_scope(
    app: &App,
    user: &User,
    field: &str,
    id: &str,
    level: Option<Level>,
) -> Result<dispatch::Jurisdiction, AppError> {
    let found = app.jurisdictions().get(id);
    let Some(j) = found.filter(|j| level.is_none_or(|l| j.level == l)) else {
        return Err(AppError::invalid(
            field,
            match level {
                Some(Level::Station) => format!("{id:?} is not a police station"),
                Some(Level::Community) => format!("{id:?} is not a community or village"),
                Some(l) => format!("{id:?} is not a {l:?}"),
                None => format!("unknown jurisdiction {id:?}"),
            },
        ));
    };
    if let Some(scope) = &user.scope
        && !app.jurisdictions().is_within(id, scope)
    {
        return Err(AppError::forbidden(format!(
            "{id} is outside your jurisdiction {scope}"
        )));
    }
    Ok(j.clone())
}

/// Whether the user's scope covers `jurisdiction`.
pub fn sees(app: &App, user: &User, jurisdiction: &str) -> bool {
    user.scope
        .as_deref()
        .is_none_or(|s| app.jurisdictions().is_within(jurisdiction, s))
}

#[allow(
    clippy::too_many_arguments,
    reason = "a record, its audit entry and the reason, written in one transaction"
)]
/// Stores a record and its audit entry in one transaction.
pub async fn save<T: serde::Serialize>(
    app: &App,
    user: &User,
    kind: &str,
    id: &str,
    station: &str,
    created_at: i64,
    value: &T,
    action: &str,
    reason: Option<String>,
) -> Result<(), AppError> {
    let now = app.now();
    app.store()
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
        .map_err(AppError::store)
}

/// One record in the user's scope (out of scope is not found).
pub async fn load<T: serde::de::DeserializeOwned>(
    app: &App,
    user: &User,
    kind: &str,
    id: &str,
) -> Result<T, AppError> {
    let rec = app
        .store()
        .record(kind, id)
        .await
        .map_err(AppError::store)?;
    match rec {
        Some(r) if r.deleted_at.is_none() && sees(app, user, &r.jurisdiction_id) => {
            serde_json::from_str(&r.doc)
                .map_err(|e| AppError::store(format!("stored {kind} {id}: {e}")))
        }
        // Out of scope is not found, as for incidents.
        _ => Err(AppError::not_found(kind, id)),
    }
}

/// The records of a kind in the user's scope that any of `windows` holds
/// (each an index range of the store, a record in two counted once), in
/// the order the windows give them. What a period's figures and the task
/// list read: never a whole register.
pub async fn load_windows<T: serde::de::DeserializeOwned>(
    app: &App,
    user: &User,
    kind: &str,
    windows: &[store::RecordWindow<'_>],
) -> Result<Vec<T>, AppError> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for w in windows {
        let recs = app
            .store()
            .records_window(kind, *w)
            .await
            .map_err(AppError::store)?;
        for r in recs {
            if !sees(app, user, &r.jurisdiction_id) || !seen.insert(r.id.clone()) {
                continue;
            }
            out.push(
                serde_json::from_str(&r.doc)
                    .map_err(|e| AppError::store(format!("stored {kind} {}: {e}", r.id)))?,
            );
        }
    }
    Ok(out)
}

/// What a register's list is asked for: the filters every list shares
/// (each register says which apply), a page size and a keyset cursor.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Filed under this community or village.
    pub community: Option<String>,
    /// Filed under this station (or below it).
    pub station: Option<String>,
    /// In this workflow status (checked by the register).
    pub status: Option<String>,
    /// Overdue (`true`) or not (`false`) now.
    pub overdue: Option<bool>,
    /// Registered at this standard address.
    pub address_code: Option<String>,
    /// Where the last page ended (`next` of that page).
    pub cursor: Option<String>,
    /// At most this many.
    pub limit: usize,
}

/// One page of a list and the cursor of the next (`None`: the last page).
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The records, newest first.
    pub entries: Vec<T>,
    /// Pass as `cursor` for the next page.
    pub next: Option<String>,
}

/// A keyset cursor: the last record's creation instant and id.
fn cursor_of(created_at: i64, id: &str) -> String {
    format!("{created_at}.{id}")
}

fn parse_cursor(c: &str) -> Result<(i64, &str), AppError> {
    c.split_once('.')
        .and_then(|(at, id)| Some((at.parse().ok()?, id)).filter(|(_, id)| !id.is_empty()))
        .ok_or_else(|| {
            AppError::invalid(
                "cursor",
                format!("{c:?} is not a cursor; pass the `next` of the page before"),
            )
        })
}

/// One page of a register in the user's scope, filtered, sorted and paged
/// in the database (newest first). Filters name jurisdictions the user
/// may see; a filter outside the scope is refused.
pub async fn page<T: serde::de::DeserializeOwned>(
    app: &App,
    user: &User,
    kind: &str,
    f: &ListFilter,
) -> Result<Page<T>, AppError> {
    let tree = app.jurisdictions();
    if let Some(c) = &f.community {
        jurisdiction_in_scope(app, user, "community", c, Some(Level::Community))?;
    }
    if let Some(s) = &f.station {
        jurisdiction_in_scope(app, user, "station", s, Some(Level::Station))?;
    }
    let within: Vec<String>;
    let place = match (&f.community, &f.station, &user.scope) {
        (Some(c), Some(s), _) if !tree.is_within(c, s) => {
            return Ok(Page {
                entries: Vec::new(),
                next: None,
            });
        }
        (Some(c), _, _) => store::RecordPlace::Jurisdiction(c),
        (None, Some(s), _) => store::RecordPlace::Station(s),
        (None, None, None) => store::RecordPlace::Everywhere,
        (None, None, Some(scope)) => match tree.get(scope) {
            Some(j) if j.level == Level::Station => store::RecordPlace::Station(scope),
            Some(j) if j.parent_id.is_none() => store::RecordPlace::Everywhere,
            _ => {
                within = tree
                    .all()
                    .iter()
                    .filter(|j| tree.is_within(&j.id, scope))
                    .map(|j| j.id.clone())
                    .collect();
                store::RecordPlace::Within(&within)
            }
        },
    };
    let before = f.cursor.as_deref().map(parse_cursor).transpose()?;
    let limit = f.limit.max(1);
    let recs = app
        .store()
        .list_records(&store::RecordQuery {
            kind,
            place,
            status: f.status.as_deref(),
            overdue: f.overdue.map(|o| (o, app.now())),
            address_code: f.address_code.as_deref(),
            before,
            limit: limit as i64 + 1,
        })
        .await
        .map_err(AppError::store)?;
    let next = (recs.len() > limit).then(|| {
        let last = &recs[limit - 1];
        cursor_of(last.created_at, &last.id)
    });
    let entries = recs
        .iter()
        .take(limit)
        .map(|r| {
            serde_json::from_str(&r.doc)
                .map_err(|e| AppError::store(format!("stored {kind} {}: {e}", r.id)))
        })
        .collect::<Result<_, _>>()?;
    Ok(Page { entries, next })
}

/// The reason given for reading or deleting personal data (audited).
pub fn reason_given(reason: Option<String>) -> Result<String, AppError> {
    match reason.map(|s| s.trim().to_string()) {
        Some(s) if s.chars().count() >= 2 => Ok(s),
        _ => Err(AppError::invalid(
            "reason",
            "give the reason for reading personal data (it is audited)",
        )),
    }
}

/// A whole personal-data record: only with a reason, and the read is
/// audited before anything is returned.
pub async fn read_with_reason<T: serde::de::DeserializeOwned>(
    app: &App,
    user: &User,
    kind: &str,
    id: String,
    reason: Option<String>,
) -> Result<T, AppError> {
    user.require(Action::CommunityWrite)?;
    let reason = reason_given(reason)?;
    let record: T = load(app, user, kind, &id).await?;
    app.store()
        .audit(&AuditEntry {
            at: app.now(),
            actor: user.username.clone(),
            action: "read".into(),
            kind: kind.into(),
            record_id: id,
            reason: Some(reason),
        })
        .await
        .map_err(AppError::store)?;
    Ok(record)
}

/// Soft delete of any community record: only with a reason, audited in the
/// same transaction; the record stays until its retention purge.
pub async fn soft_delete(
    app: &App,
    user: &User,
    kind: &str,
    id: &str,
    reason: Option<String>,
) -> Result<(), AppError> {
    user.require(Action::CommunityWrite)?;
    let reason = reason_given(reason)?;
    let _w = WRITES.lock().await;
    let rec = app
        .store()
        .record(kind, id)
        .await
        .map_err(AppError::store)?;
    let Some(rec) = rec.filter(|r| r.deleted_at.is_none() && sees(app, user, &r.jurisdiction_id))
    else {
        // Out of scope is not found, as for incidents.
        return Err(AppError::not_found(kind, id));
    };
    let now = app.now();
    app.store()
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
        .map_err(AppError::store)?;
    Ok(())
}

/// Purges every personal-data record past its register's retention period
/// (soft-deleted ones included), auditing each purge. Returns how many.
/// Walks each register oldest change first through its index, a batch at
/// a time, each batch its own short transaction, so writers wait at most
/// one batch.
pub async fn purge_expired(app: &App, now: i64) -> Result<usize, store::StoreError> {
    const BATCH: i64 = 500;
    let mut n = 0;
    let registers = [KEY_PERSONS, DISPUTES]
        .into_iter()
        .chain(community::ledgers::LEDGERS.iter().map(|l| l.register));
    for register in registers {
        // `expired` is strict: changed before this instant.
        let before = now - register.retention_days as i64 * dispatch::time::DAY_MS;
        debug_assert!(expired(&register, before - 1, now) && !expired(&register, before, now));
        loop {
            let ids = app
                .store()
                .changed_before(register.kind, before, BATCH)
                .await?;
            if ids.is_empty() {
                break;
            }
            app.store()
                .purge_records(
                    register.kind,
                    &ids,
                    &AuditEntry {
                        at: now,
                        actor: "retention".into(),
                        action: "purge".into(),
                        kind: register.kind.into(),
                        record_id: String::new(),
                        reason: Some(format!(
                            "retention of {} days passed",
                            register.retention_days
                        )),
                    },
                )
                .await?;
            n += ids.len();
            tokio::task::yield_now().await;
        }
    }
    Ok(n)
}

/// Refuses unless `community` is a community (or village) in the user's scope.
pub fn community_in_scope(app: &App, user: &User, community: &str) -> Result<(), AppError> {
    jurisdiction_in_scope(app, user, "community_id", community, Some(Level::Community)).map(|_| ())
}
