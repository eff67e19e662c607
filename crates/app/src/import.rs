//! Bulk import of a ledger's CSV, for a request's body and for the first
//! load of a whole city (`pingan community import`): read twice as a
//! stream, never held whole. The first pass validates every line (the
//! ledger's rules, the community exists and lies in the importer's scope,
//! one record per community where the ledger says so) and reports every
//! bad line, up to 100; only a file with none is written, by the second
//! pass, in batches inside one transaction, so an import is all or nothing.

use std::collections::HashSet;
use std::io::Read;

use community::ledgers::{CsvRows, Ledger, LineError};
use dispatch::{Jurisdictions, Level};
use store::{CommunityRecord, Store, StoreError};

/// Who imports what, where.
pub struct LedgerImport<'a> {
    /// The store written to.
    pub store: &'a Store,
    /// The jurisdiction tree (communities, their stations).
    pub tree: &'a Jurisdictions,
    /// The ledger.
    pub ledger: &'static Ledger,
    /// Audited as the actor of every record.
    pub actor: &'a str,
    /// The importer's jurisdiction (`None`: the whole agency).
    pub scope: Option<&'a str>,
    /// The instant of the import (creation time of every record).
    pub now: i64,
    /// Keep the new records' ids for the answer (a request's), not for a city's file.
    pub keep_ids: bool,
}

/// What was imported.
#[derive(Debug, Default)]
pub struct Imported {
    /// How many records.
    pub count: usize,
    /// Their ids, when asked for.
    pub ids: Vec<String>,
}

/// Why nothing was imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Bad lines, each with its line number, field and what was expected.
    #[error("nothing was imported: {} bad line(s), each listed", .0.len())]
    Lines(Vec<LineError>),
    /// The source could not be read.
    #[error("cannot read the file: {0}")]
    Read(#[from] std::io::Error),
    /// The store failed; nothing was written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How far an import has gone: lines checked, then records written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Lines validated so far.
    Checked(usize),
    /// All lines are good: this many will be written.
    Valid(usize),
    /// Records written so far.
    Written(usize),
}

impl LedgerImport<'_> {
    fn station_of(&self, community: &str) -> String {
        self.tree
            .ancestors(community)
            .find(|j| j.level == Level::Station)
            .map(|j| j.id.clone())
            .unwrap_or_default()
    }

    /// Why `community` may not receive this line's record, if it may not.
    fn refuse_community(&self, community: &str) -> Option<String> {
        match self.tree.get(community) {
            Some(j) if j.level == Level::Community => {}
            Some(_) => return Some(format!("{community:?} is not a community or village")),
            None => return Some(format!("unknown community {community:?}")),
        }
        match self.scope {
            Some(scope) if !self.tree.is_within(community, scope) => {
                Some(format!("{community} is outside your jurisdiction {scope}"))
            }
            _ => None,
        }
    }

    /// Imports the CSV that `open` reads (called once a pass).
    pub async fn run<R: Read + Send>(
        &self,
        open: impl Fn() -> std::io::Result<R>,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Imported, ImportError> {
        let l = self.ledger;
        let kind = l.register.kind;
        let line_err = |line: usize, field: &str, message: String| LineError {
            line,
            field: Some(field.into()),
            message,
        };
        // Pass 1: every line checked, nothing kept but the errors.
        let mut errors = Vec::new();
        let mut seen = HashSet::new();
        let mut valid = 0;
        for (n, row) in CsvRows::new(l, open()?)
            .map_err(ImportError::Lines)?
            .enumerate()
        {
            if n % 10_000 == 0 {
                progress(Progress::Checked(n));
            }
            let row = match row {
                Ok(r) => r,
                Err(mut e) => {
                    errors.append(&mut e);
                    if errors.len() >= 100 {
                        break;
                    }
                    continue;
                }
            };
            if let Some(why) = self.refuse_community(&row.community_id) {
                errors.push(line_err(row.line, "community_id", why));
            } else if l.one_per_community
                && (!seen.insert(row.community_id.clone())
                    || self
                        .store
                        .record(kind, &row.community_id)
                        .await?
                        .is_some_and(|r| r.deleted_at.is_none()))
            {
                errors.push(line_err(
                    row.line,
                    "community_id",
                    format!("{} already has a {kind} record", row.community_id),
                ));
            } else if let Err(e) = l.create(
                String::new(),
                &row.community_id,
                "",
                &row.fields,
                self.actor,
                self.now,
            ) {
                errors.push(line_err(row.line, "fields", e.to_string()));
            } else {
                valid += 1;
            }
            if errors.len() >= 100 {
                break;
            }
        }
        if !errors.is_empty() {
            return Err(ImportError::Lines(errors));
        }
        progress(Progress::Valid(valid));
        // Pass 2: the same lines again, written as they are read.
        let mut ids = Vec::new();
        let keep = self.keep_ids;
        let records = CsvRows::new(l, open()?)
            .map_err(ImportError::Lines)?
            .enumerate()
            .map(|(n, row)| {
                let row =
                    row.map_err(|e| format!("the file changed while it was imported: {e:?}"))?;
                let id = if l.one_per_community {
                    row.community_id.clone()
                } else {
                    format!("{kind}-{}-i{n}", self.now)
                };
                let station = self.station_of(&row.community_id);
                let e = l
                    .create(
                        id,
                        &row.community_id,
                        &station,
                        &row.fields,
                        self.actor,
                        self.now,
                    )
                    .map_err(|e| format!("line {}: {e}", row.line))?;
                if keep {
                    ids.push(e.id.clone());
                }
                Ok(CommunityRecord {
                    kind: kind.into(),
                    id: e.id.clone(),
                    jurisdiction_id: e.community_id.clone(),
                    doc: serde_json::to_string(&e).expect("serialises"),
                    created_at: self.now,
                    updated_at: self.now,
                    deleted_at: None,
                })
            });
        let count = self
            .store
            .import_records(records, self.actor, &mut |n| progress(Progress::Written(n)))
            .await?;
        Ok(Imported { count, ids })
    }
}
