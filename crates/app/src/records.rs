//! Incidents as analysis records: the one adapter from the dispatch
//! engine's incidents to the `analysis` crate's [`Record`]s and briefings,
//! shared by the API's briefing and `pingan brief`, so the two cannot
//! disagree on what a briefing counts. No HTTP here.

use analysis::Record;
use analysis::records::LocalProjection;
use analysis::trends::Period;
use dispatch::time::DAY_MS;
use dispatch::{Config, Incident, Jurisdiction, Jurisdictions, Level, Millis};

use crate::LOCAL_UTC_OFFSET_MIN;

/// Whether an incident belongs to jurisdiction `scope`: its place is inside
/// it, or its station is.
pub fn within(tree: &Jurisdictions, incident: &Incident, scope: &str) -> bool {
    incident.place.within(scope)
        || incident
            .place
            .station_id
            .as_deref()
            .is_some_and(|st| tree.is_within(st, scope))
}

/// An incident as a record on `proj`: its time on the UTC clock, its kind's
/// code, its area the station.
pub fn record(incident: &Incident, proj: &LocalProjection) -> Record {
    let (x, y) = proj.forward(incident.lat, incident.lon);
    let mut r = Record::at(
        incident.id.to_string(),
        x,
        y,
        incident.created_at.div_euclid(1000),
    );
    r.kind = Some(incident.kind.clone());
    r.area = incident.place.station_id.clone();
    r
}

/// The projection centred on a jurisdiction's outer ring.
pub fn projection_of(scope: &Jurisdiction) -> Option<LocalProjection> {
    let ring = scope.polygon.first()?.first()?;
    let n = ring.len().max(1) as f64;
    Some(LocalProjection {
        lat0: ring.iter().map(|c| c[1]).sum::<f64>() / n,
        lon0: ring.iter().map(|c| c[0]).sum::<f64>() / n,
    })
}

/// The UTC milliseconds a briefing of `period` reads: from the start of the
/// earlier of its comparison periods (the one before, the same a year
/// before) to its end, local days.
pub fn briefing_window(period: Period) -> (Millis, Millis) {
    let local = LOCAL_UTC_OFFSET_MIN * 60_000;
    let start = period.year_before().start.min(period.previous().start);
    (start * DAY_MS - local, period.end * DAY_MS - local)
}

/// What a briefing of `period` at `level` is made of: the incidents
/// (already chosen for the reader and the scope) inside its
/// [`briefing_window`], merged ones left out, on the local clock, each kind
/// named in both languages, grouped by the level below (a station's by
/// community, a bureau's by station, the city's by bureau).
pub fn briefing_records<'a>(
    config: &Config,
    level: Level,
    period: Period,
    incidents: impl Iterator<Item = &'a Incident>,
    proj: &LocalProjection,
) -> Vec<Record> {
    let (from, to) = briefing_window(period);
    incidents
        .filter(|i| i.merged_into.is_none() && (from..to).contains(&i.created_at))
        .map(|i| {
            let mut r = record(i, proj);
            r.from += LOCAL_UTC_OFFSET_MIN * 60;
            r.to = r.from;
            r.kind = Some(match config.kind(&i.kind) {
                Some(def) => format!("{} {}", def.name_zh, def.name_en),
                None => i.kind.clone(),
            });
            r.area = match level {
                Level::Station => i.place.community_id.clone(),
                Level::Bureau => i.place.station_id.clone(),
                _ => i.place.bureau_id.clone(),
            };
            r
        })
        .collect()
}

/// The briefing of `scope` for `period` as one HTML page, from records on
/// `proj` and the local clock ([`briefing_records`], and any imported).
pub fn briefing_html(
    scope: &Jurisdiction,
    period: Period,
    records: &[Record],
    proj: &LocalProjection,
    cell: f64,
    now: Millis,
) -> String {
    let outlines = scope
        .polygon
        .iter()
        .flat_map(|p| p.iter())
        .map(|ring| ring.iter().map(|c| proj.forward(c[1], c[0])).collect())
        .collect();
    analysis::brief::render(&analysis::brief::BriefInput {
        scope_name: match &scope.name_en {
            Some(en) => format!("{} {en}", scope.name_zh),
            None => scope.name_zh.clone(),
        },
        level: scope.level.as_str().to_string(),
        period,
        records,
        outlines,
        cell,
        generated: dispatch::time::format_rfc3339(now),
    })
}
