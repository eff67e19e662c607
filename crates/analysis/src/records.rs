//! Historical records and their CSV import.
//!
//! A [`Record`] is one incident or case: where (projected metres), when (a
//! from/to window in seconds since 1970-01-01; equal for an exact time), and
//! what (kind, venue type, area, free attributes). [`import_csv`] reads them
//! with a column mapping (explicit or guessed from the header), common date
//! formats, and all-or-nothing semantics unless `skip_bad` is set.

use std::collections::HashMap;
use std::io::Read;

use crate::AnalysisError;

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// One incident or case.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Identifier from the source (line number if there was none).
    pub id: String,
    /// Easting in metres (projected, or local metres from lat/lon).
    pub x: f64,
    /// Northing in metres.
    pub y: f64,
    /// Earliest possible time, seconds since 1970-01-01 (local clock).
    pub from: i64,
    /// Latest possible time (== `from` for an exact time).
    pub to: i64,
    /// Whether the source gave a time of day (false: date only).
    pub has_time: bool,
    /// Offence or incident kind.
    pub kind: Option<String>,
    /// Venue type (hotel, internet cafe, street, …).
    pub venue: Option<String>,
    /// Area (station, community, district) the record belongs to.
    pub area: Option<String>,
    /// Free attribute values, aligned with [`Dataset::attr_names`]; `None` = missing.
    pub attrs: Vec<Option<String>>,
}

impl Record {
    /// A record at a point and a time, nothing else known.
    pub fn at(id: impl Into<String>, x: f64, y: f64, t: i64) -> Record {
        Record {
            id: id.into(),
            x,
            y,
            from: t,
            to: t,
            has_time: true,
            kind: None,
            venue: None,
            area: None,
            attrs: Vec::new(),
        }
    }

    /// Day number (days since 1970-01-01) of the window's start.
    pub fn day(&self) -> i64 {
        self.from.div_euclid(DAY)
    }

    /// Middle of the time window.
    pub fn mid(&self) -> i64 {
        self.from + (self.to - self.from) / 2
    }
}

/// Where local metres came from, when the source gave latitude/longitude.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalProjection {
    /// Latitude of the origin.
    pub lat0: f64,
    /// Longitude of the origin.
    pub lon0: f64,
}

const EARTH_RADIUS_M: f64 = 6_371_008.8;

impl LocalProjection {
    /// Project lat/lon to local metres (equirectangular about the origin;
    /// error under 0.1% within a city).
    pub fn forward(&self, lat: f64, lon: f64) -> (f64, f64) {
        let k = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
        (
            (lon - self.lon0) * k * self.lat0.to_radians().cos(),
            (lat - self.lat0) * k,
        )
    }

    /// Local metres back to (lat, lon).
    pub fn inverse(&self, x: f64, y: f64) -> (f64, f64) {
        let k = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
        (
            self.lat0 + y / k,
            self.lon0 + x / (k * self.lat0.to_radians().cos()),
        )
    }
}

/// Records plus what is known about their columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    /// The records, in file order.
    pub records: Vec<Record>,
    /// Names of the free attribute columns.
    pub attr_names: Vec<String>,
    /// Set when x/y are local metres projected from lat/lon.
    pub projection: Option<LocalProjection>,
}

impl Dataset {
    /// The records' places, in order.
    pub fn xy(&self) -> Vec<(f64, f64)> {
        self.records.iter().map(|r| (r.x, r.y)).collect()
    }

    /// The records' day numbers (start of the window), in order.
    pub fn days(&self) -> Vec<i64> {
        self.records.iter().map(Record::day).collect()
    }
}

/// Which field a CSV column feeds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    /// Identifier column.
    pub id: Option<String>,
    /// Projected easting (metres).
    pub x: Option<String>,
    /// Projected northing (metres).
    pub y: Option<String>,
    /// Latitude (degrees), used when x/y are absent.
    pub lat: Option<String>,
    /// Longitude (degrees).
    pub lon: Option<String>,
    /// A single date or date-time.
    pub date: Option<String>,
    /// Window start.
    pub from: Option<String>,
    /// Window end.
    pub to: Option<String>,
    /// Kind of offence.
    pub kind: Option<String>,
    /// Venue type.
    pub venue: Option<String>,
    /// Area.
    pub area: Option<String>,
    /// Attribute columns; `None` = every column not mapped above.
    pub attrs: Option<Vec<String>>,
}

/// Day/month order of slash dates such as 04/01/2019.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DateOrder {
    /// Decide from the column: a first part over 12 means day first, a
    /// second part over 12 means month first; day first if nothing tells.
    #[default]
    Auto,
    /// dd/mm/yyyy.
    DayFirst,
    /// mm/dd/yyyy.
    MonthFirst,
}

/// How to read a CSV.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Column mapping; unset fields are guessed from the header.
    pub map: ColumnMap,
    /// Import the good rows and report the bad ones instead of failing.
    pub skip_bad: bool,
    /// Slash-date order.
    pub date_order: DateOrder,
    /// Whether the first line is a header; `None` = a header unless the first
    /// field of the first line is a number (then columns are x,y,date).
    pub header: Option<bool>,
}

/// One bad row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// Column name.
    pub field: String,
    /// What was wrong and what was expected.
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, field {}: {}",
            self.line, self.field, self.reason
        )
    }
}

/// Result of an import.
#[derive(Debug, Clone)]
pub struct Imported {
    /// What was read.
    pub data: Dataset,
    /// Rows left out (only with `skip_bad`).
    pub rejected: Vec<RowError>,
}

fn norm(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(|c| c.to_lowercase())
        .collect()
}

fn guess(header: &[String], aliases: &[&str]) -> Option<String> {
    aliases
        .iter()
        .find_map(|a| header.iter().find(|h| norm(h) == *a).map(|h| h.to_string()))
}

fn resolve_map(header: &[String], given: &ColumnMap) -> Result<ColumnMap, AnalysisError> {
    let pick =
        |given: &Option<String>, aliases: &[&str]| -> Result<Option<String>, AnalysisError> {
            match given {
                Some(name) => {
                    if header.iter().any(|h| h == name) {
                        Ok(Some(name.clone()))
                    } else {
                        Err(AnalysisError::Input(format!(
                            "column {name:?} is not in the header (columns: {})",
                            header.join(", ")
                        )))
                    }
                }
                None => Ok(guess(header, aliases)),
            }
        };
    let mut map = ColumnMap {
        id: pick(
            &given.id,
            &[
                "id",
                "crimeid",
                "caseid",
                "casenumber",
                "incidentid",
                "number",
            ],
        )?,
        x: pick(&given.x, &["x", "easting", "xcoord", "xcoordinate"])?,
        y: pick(&given.y, &["y", "northing", "ycoord", "ycoordinate"])?,
        lat: pick(&given.lat, &["lat", "latitude"])?,
        lon: pick(&given.lon, &["lon", "lng", "long", "longitude"])?,
        date: pick(
            &given.date,
            &[
                "date",
                "datesingle",
                "datetime",
                "t",
                "time",
                "occurred",
                "reportedat",
            ],
        )?,
        from: pick(
            &given.from,
            &["timefrom", "dtfrom", "from", "datefrom", "start"],
        )?,
        to: pick(&given.to, &["timeto", "dtto", "to", "dateto", "end"])?,
        kind: pick(
            &given.kind,
            &[
                "kind",
                "type",
                "primarytype",
                "offence",
                "offense",
                "category",
                "crimetype",
            ],
        )?,
        venue: pick(
            &given.venue,
            &[
                "venue",
                "venuetype",
                "locationdescription",
                "premises",
                "premisetype",
            ],
        )?,
        area: pick(
            &given.area,
            &["area", "station", "district", "beat", "community", "scope"],
        )?,
        attrs: None,
    };
    if map.x.is_none() != map.y.is_none() {
        return Err(AnalysisError::Input(
            "give both x and y columns, or neither (then lat and lon)".into(),
        ));
    }
    if map.x.is_none() && (map.lat.is_none() || map.lon.is_none()) {
        return Err(AnalysisError::Input(format!(
            "no coordinates: expected columns x,y (metres) or lat,lon (degrees); header has {}",
            header.join(", ")
        )));
    }
    if map.date.is_none() && map.from.is_none() {
        return Err(AnalysisError::Input(format!(
            "no time: expected a date column (date) or a window (time_from, time_to); header has {}",
            header.join(", ")
        )));
    }
    let used: Vec<&String> = [
        &map.id, &map.x, &map.y, &map.lat, &map.lon, &map.date, &map.from, &map.to, &map.kind,
        &map.venue, &map.area,
    ]
    .into_iter()
    .flatten()
    .collect();
    map.attrs = Some(match &given.attrs {
        Some(list) => {
            for a in list {
                if !header.contains(a) {
                    return Err(AnalysisError::Input(format!(
                        "attribute column {a:?} is not in the header"
                    )));
                }
            }
            list.clone()
        }
        None => header
            .iter()
            .filter(|h| !used.contains(h) && !h.is_empty())
            .cloned()
            .collect(),
    });
    Ok(map)
}

fn is_missing(v: &str) -> bool {
    let v = v.trim();
    v.is_empty() || v.eq_ignore_ascii_case("na") || v.eq_ignore_ascii_case("null")
}

/// Read records from CSV. Without `skip_bad`, any bad row fails the whole
/// import (nothing is returned but the errors); with it, good rows are kept
/// and the bad ones listed.
pub fn import_csv<R: Read>(input: R, opts: &ImportOptions) -> Result<Imported, AnalysisError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let mut rows = reader.records();
    let first = match rows.next() {
        None => return Err(AnalysisError::Input("the file is empty".into())),
        Some(r) => r.map_err(|e| AnalysisError::Input(format!("line 1: {e}")))?,
    };
    let header_present = opts
        .header
        .unwrap_or_else(|| first.get(0).is_none_or(|f| f.parse::<f64>().is_err()));
    let (header, pending): (Vec<String>, Option<csv::StringRecord>) = if header_present {
        (first.iter().map(|s| s.to_string()).collect(), None)
    } else {
        let mut h: Vec<String> = vec!["x".into(), "y".into(), "date".into()];
        for i in 3..first.len() {
            h.push(format!("col{}", i + 1));
        }
        (h, Some(first))
    };
    let map = resolve_map(&header, &opts.map)?;
    let col = |name: &Option<String>| {
        name.as_ref()
            .and_then(|n| header.iter().position(|h| h == n))
    };
    let (c_id, c_x, c_y, c_lat, c_lon) = (
        col(&map.id),
        col(&map.x),
        col(&map.y),
        col(&map.lat),
        col(&map.lon),
    );
    let (c_date, c_from, c_to) = (col(&map.date), col(&map.from), col(&map.to));
    let (c_kind, c_venue, c_area) = (col(&map.kind), col(&map.venue), col(&map.area));
    let attr_names = map.attrs.clone().unwrap_or_default();
    let c_attrs: Vec<usize> = attr_names
        .iter()
        .map(|a| header.iter().position(|h| h == a).unwrap_or(usize::MAX))
        .collect();

    // Read raw rows first: slash-date order is decided per column.
    let mut raw: Vec<(u64, csv::StringRecord)> = Vec::new();
    let mut errors = Vec::new();
    let start_line = if header_present { 2 } else { 1 };
    if let Some(p) = pending {
        raw.push((1, p));
    }
    for (i, r) in rows.enumerate() {
        let line = start_line + i as u64;
        match r {
            Ok(r) => raw.push((line, r)),
            Err(e) => errors.push(RowError {
                line,
                field: "(row)".into(),
                reason: format!("not valid CSV: {e}"),
            }),
        }
    }
    let time_cols: Vec<usize> = [c_date, c_from, c_to].into_iter().flatten().collect();
    let order = match opts.date_order {
        DateOrder::Auto => detect_order(
            raw.iter()
                .flat_map(|(_, r)| time_cols.iter().filter_map(move |&c| r.get(c))),
        ),
        o => o,
    };

    let mut records = Vec::with_capacity(raw.len());
    let mut latlon = Vec::new();
    for (line, r) in &raw {
        let line = *line;
        let get = |c: Option<usize>| c.and_then(|c| r.get(c)).unwrap_or("");
        let mut bad = |field: &Option<String>, reason: String| {
            errors.push(RowError {
                line,
                field: field.clone().unwrap_or_default(),
                reason,
            })
        };
        let num = |c: Option<usize>| -> Result<f64, String> {
            let v = get(c);
            if is_missing(v) {
                return Err("missing; expected a number".into());
            }
            v.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| format!("{v:?} is not a number"))
        };
        let (x, y) = if c_x.is_some() {
            match (num(c_x), num(c_y)) {
                (Ok(x), Ok(y)) => (x, y),
                (Err(e), _) => {
                    bad(&map.x, e);
                    continue;
                }
                (_, Err(e)) => {
                    bad(&map.y, e);
                    continue;
                }
            }
        } else {
            match (num(c_lat), num(c_lon)) {
                (Ok(lat), Ok(lon))
                    if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
                {
                    latlon.push((records.len(), lat, lon));
                    (0.0, 0.0)
                }
                (Ok(lat), Ok(_)) if !(-90.0..=90.0).contains(&lat) => {
                    bad(&map.lat, format!("{lat} is not a latitude (-90..90)"));
                    continue;
                }
                (Ok(_), Ok(lon)) => {
                    bad(&map.lon, format!("{lon} is not a longitude (-180..180)"));
                    continue;
                }
                (Err(e), _) => {
                    bad(&map.lat, e);
                    continue;
                }
                (_, Err(e)) => {
                    bad(&map.lon, e);
                    continue;
                }
            }
        };
        let (from, to, has_time) = if c_date.is_some() && c_from.is_none() {
            match parse_time(get(c_date), order) {
                Ok((t, ht)) => (t, t, ht),
                Err(e) => {
                    bad(&map.date, e);
                    continue;
                }
            }
        } else {
            let from = match parse_time(get(c_from), order) {
                Ok(v) => v,
                Err(e) => {
                    bad(&map.from, e);
                    continue;
                }
            };
            let to_raw = get(c_to);
            let to = if c_to.is_none() || is_missing(to_raw) {
                from
            } else {
                match parse_time(to_raw, order) {
                    Ok(v) => v,
                    Err(e) => {
                        bad(&map.to, e);
                        continue;
                    }
                }
            };
            // A date-only end means the whole day.
            let to_t = if to.1 {
                to.0
            } else {
                to.0 + if c_to.is_some() && !is_missing(to_raw) {
                    DAY - 1
                } else {
                    0
                }
            };
            if to_t < from.0 {
                bad(
                    &map.to,
                    format!("{to_raw:?} is before the start of the window"),
                );
                continue;
            }
            (from.0, to_t, from.1)
        };
        let text = |c: Option<usize>| {
            let v = get(c);
            (!is_missing(v)).then(|| v.to_string())
        };
        records.push(Record {
            id: text(c_id).unwrap_or_else(|| line.to_string()),
            x,
            y,
            from,
            to,
            has_time,
            kind: text(c_kind),
            venue: text(c_venue),
            area: text(c_area),
            attrs: c_attrs
                .iter()
                .map(|&c| r.get(c).filter(|v| !is_missing(v)).map(|v| v.to_string()))
                .collect(),
        });
    }
    if !errors.is_empty() && !opts.skip_bad {
        return Err(AnalysisError::Rows(errors));
    }
    let projection = (!latlon.is_empty()).then(|| {
        let n = latlon.len() as f64;
        LocalProjection {
            lat0: latlon.iter().map(|p| p.1).sum::<f64>() / n,
            lon0: latlon.iter().map(|p| p.2).sum::<f64>() / n,
        }
    });
    if let Some(p) = projection {
        for &(i, lat, lon) in &latlon {
            let (x, y) = p.forward(lat, lon);
            records[i].x = x;
            records[i].y = y;
        }
    }
    Ok(Imported {
        data: Dataset {
            records,
            attr_names,
            projection,
        },
        rejected: errors,
    })
}

fn detect_order<'a>(values: impl Iterator<Item = &'a str>) -> DateOrder {
    let (mut day_first, mut month_first) = (false, false);
    for v in values {
        let mut parts = v.split(['/', '.']);
        let (Some(a), Some(b), Some(c)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if a.len() > 2 || !c.chars().take(4).all(|c| c.is_ascii_digit()) {
            continue;
        }
        match (a.trim().parse::<u32>(), b.trim().parse::<u32>()) {
            (Ok(a), _) if a > 12 => day_first = true,
            (_, Ok(b)) if b > 12 => month_first = true,
            _ => {}
        }
        if day_first && month_first {
            break;
        }
    }
    if month_first && !day_first {
        DateOrder::MonthFirst
    } else {
        DateOrder::DayFirst
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date (y, m, d) of a day number.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYY-MM-DD` of a day number.
pub fn format_day(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parse a date or date-time; returns (seconds since 1970-01-01, has time of
/// day). Accepts `YYYY-MM-DD`, `YYYY/MM/DD`, `DD/MM/YYYY` or `MM/DD/YYYY`
/// (per `order`), `DD.MM.YYYY`, each optionally followed by `T` or a space and
/// `HH:MM[:SS[.fff]]`, an optional `AM`/`PM`, and an optional `Z` or `±hh:mm`
/// offset (converted to UTC).
pub fn parse_time(s: &str, order: DateOrder) -> Result<(i64, bool), String> {
    let v = s.trim();
    if is_missing(v) {
        return Err("missing; expected a date such as 2026-10-31 or 2026-10-31T14:05".into());
    }
    let expected = || {
        format!(
            "{v:?} is not a date; expected YYYY-MM-DD, DD/MM/YYYY or MM/DD/YYYY, optionally with HH:MM[:SS]"
        )
    };
    let (date_part, time_part) = match v.find(['T', ' ']) {
        Some(i) => (&v[..i], Some(v[i + 1..].trim())),
        None => (v, None),
    };
    let nums: Vec<&str> = date_part.split(['-', '/', '.']).collect();
    if nums.len() != 3 {
        return Err(expected());
    }
    let parse = |p: &str| p.parse::<i64>().map_err(|_| expected());
    let (y, m, d) = if nums[0].len() == 4 {
        (parse(nums[0])?, parse(nums[1])?, parse(nums[2])?)
    } else if nums[2].len() == 4 {
        let (a, b) = (parse(nums[0])?, parse(nums[1])?);
        let month_first = order == DateOrder::MonthFirst && !date_part.contains('.');
        if month_first {
            (parse(nums[2])?, a, b)
        } else {
            (parse(nums[2])?, b, a)
        }
    } else {
        return Err(expected());
    };
    if !(1..=12).contains(&m) {
        return Err(format!("{v:?}: month {m} is not 1..12"));
    }
    if d < 1 || d > days_in_month(y, m as u32) as i64 {
        return Err(format!("{v:?}: day {d} does not exist in {y:04}-{m:02}"));
    }
    let mut secs = days_from_civil(y, m as u32, d as u32) * DAY;
    let Some(t) = time_part.filter(|t| !t.is_empty()) else {
        return Ok((secs, false));
    };
    let mut t = t.to_string();
    let mut offset = 0i64;
    if let Some(rest) = t.strip_suffix('Z') {
        t = rest.trim().to_string();
    } else if let Some(i) = t.rfind(['+', '-']).filter(|&i| i >= 5) {
        let o = &t[i + 1..];
        let (oh, om) = o
            .split_once(':')
            .unwrap_or((o.get(..2).unwrap_or(o), o.get(2..).unwrap_or("0")));
        let (oh, om) = (oh.parse::<i64>(), om.parse::<i64>().or(Ok::<i64, ()>(0)));
        let (Ok(oh), Ok(om)) = (oh, om) else {
            return Err(format!("{v:?}: time zone offset is not ±hh:mm"));
        };
        let sign = if t.as_bytes()[i] == b'-' { -1 } else { 1 };
        offset = sign * (oh * 3600 + om * 60);
        t.truncate(i);
    }
    let upper = t.to_ascii_uppercase();
    let (clock, pm) = if let Some(c) = upper.strip_suffix("PM") {
        (c.trim().to_string(), Some(true))
    } else if let Some(c) = upper.strip_suffix("AM") {
        (c.trim().to_string(), Some(false))
    } else {
        (upper, None)
    };
    let parts: Vec<&str> = clock.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return Err(format!("{v:?}: time of day is not HH:MM[:SS]"));
    }
    let h: i64 = parts[0]
        .parse()
        .map_err(|_| format!("{v:?}: hour is not a number"))?;
    let mi: i64 = parts[1]
        .parse()
        .map_err(|_| format!("{v:?}: minute is not a number"))?;
    let sec: f64 = match parts.get(2) {
        Some(s) => s
            .parse()
            .map_err(|_| format!("{v:?}: second is not a number"))?,
        None => 0.0,
    };
    let h = match pm {
        Some(true) if (1..=12).contains(&h) => h % 12 + 12,
        Some(false) if (1..=12).contains(&h) => h % 12,
        Some(_) => return Err(format!("{v:?}: hour {h} with AM/PM must be 1..12")),
        None => h,
    };
    if !(0..24).contains(&h) || !(0..60).contains(&mi) || !(0.0..61.0).contains(&sec) {
        return Err(format!("{v:?}: time of day out of range"));
    }
    secs += h * 3600 + mi * 60 + sec as i64 - offset;
    Ok((secs, true))
}

/// Count of records per value of a key, sorted by count then name.
pub fn tally<'a>(values: impl Iterator<Item = &'a str>) -> Vec<(String, usize)> {
    let mut m: HashMap<&str, usize> = HashMap::new();
    for v in values {
        *m.entry(v).or_default() += 1;
    }
    let mut v: Vec<(String, usize)> = m.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for day in -800_000..800_000i64 {
            if day % 997 != 0 {
                continue;
            }
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2016, 2, 29), 16_860);
    }

    #[test]
    fn date_formats() {
        let d = |s| parse_time(s, DateOrder::Auto).unwrap();
        let base = days_from_civil(2019, 1, 4) * DAY;
        assert_eq!(d("2019-01-04"), (base, false));
        assert_eq!(d("04/01/2019"), (base, false));
        assert_eq!(
            parse_time("01/04/2019", DateOrder::MonthFirst).unwrap().0,
            base
        );
        assert_eq!(d("2019-01-04T13:05:00Z"), (base + 13 * 3600 + 300, true));
        assert_eq!(d("2019-01-04 13:05"), (base + 13 * 3600 + 300, true));
        assert_eq!(d("2019-01-04T13:05:00+08:00").0, base + 5 * 3600 + 300);
        assert_eq!(
            parse_time("01/04/2019 01:05:00 PM", DateOrder::MonthFirst)
                .unwrap()
                .0,
            base + 13 * 3600 + 300
        );
        assert_eq!(
            parse_time("01/04/2019 12:05:00 AM", DateOrder::MonthFirst)
                .unwrap()
                .0,
            base + 300
        );
        assert!(
            parse_time("2019-02-30", DateOrder::Auto)
                .unwrap_err()
                .contains("does not exist")
        );
        assert!(
            parse_time("yesterday", DateOrder::Auto)
                .unwrap_err()
                .contains("not a date")
        );
        assert!(
            parse_time("", DateOrder::Auto)
                .unwrap_err()
                .contains("missing")
        );
    }

    #[test]
    fn order_detection() {
        assert_eq!(
            detect_order(["01/02/2019", "13/02/2019"].into_iter()),
            DateOrder::DayFirst
        );
        assert_eq!(
            detect_order(["01/02/2019", "02/13/2019"].into_iter()),
            DateOrder::MonthFirst
        );
        assert_eq!(
            detect_order(["01/02/2019"].into_iter()),
            DateOrder::DayFirst
        );
    }

    #[test]
    fn import_all_or_nothing() {
        let csv = "id,x,y,date,kind\na,1,2,2026-10-01,theft\nb,oops,2,2026-10-02,theft\nc,3,4,2026-13-01,fraud\n";
        let err = import_csv(csv.as_bytes(), &ImportOptions::default()).unwrap_err();
        let AnalysisError::Rows(rows) = err else {
            panic!("{err}")
        };
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].line, rows[0].field.as_str()), (3, "x"));
        assert!(rows[0].reason.contains("\"oops\" is not a number"));
        assert_eq!((rows[1].line, rows[1].field.as_str()), (4, "date"));
        let ok = import_csv(
            csv.as_bytes(),
            &ImportOptions {
                skip_bad: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(ok.data.records.len(), 1);
        assert_eq!(ok.rejected.len(), 2);
        assert_eq!(ok.data.records[0].kind.as_deref(), Some("theft"));
    }

    #[test]
    fn import_windows_latlon_and_attributes() {
        let csv = "crimeID,lat,lon,MO1,DT.FROM,DT.TO\nC:1,41.8,-87.6,3,2026-10-01T10:00:00Z,2026-10-01T12:00:00Z\nC:2,41.81,-87.6,NA,2026-10-02,2026-10-03\n";
        let got = import_csv(csv.as_bytes(), &ImportOptions::default())
            .unwrap()
            .data;
        assert_eq!(got.attr_names, vec!["MO1".to_string()]);
        let (a, b) = (&got.records[0], &got.records[1]);
        assert_eq!(a.id, "C:1");
        assert_eq!(a.to - a.from, 7200);
        assert_eq!(
            b.to - b.from,
            2 * DAY - 1,
            "a date-only end covers the whole day"
        );
        assert_eq!(b.attrs, vec![None]);
        assert!(((b.y - a.y) - 1111.95).abs() < 1.0, "{}", b.y - a.y);
        let p = got.projection.unwrap();
        let (lat, lon) = p.inverse(a.x, a.y);
        assert!((lat - 41.8).abs() < 1e-9 && (lon + 87.6).abs() < 1e-9);
    }

    #[test]
    fn headerless_xy_date() {
        let csv = "350353.39,578924.25,2015-12-31\n355691.34,586715.56,2016-01-01\n";
        let got = import_csv(csv.as_bytes(), &ImportOptions::default())
            .unwrap()
            .data;
        assert_eq!(got.records.len(), 2);
        assert_eq!(got.records[1].day() - got.records[0].day(), 1);
    }

    #[test]
    fn missing_columns_are_named() {
        let err = import_csv("a,b\n1,2\n".as_bytes(), &ImportOptions::default()).unwrap_err();
        assert!(err.to_string().contains("no coordinates"), "{err}");
        let err = import_csv("x,y\n1,2\n".as_bytes(), &ImportOptions::default()).unwrap_err();
        assert!(err.to_string().contains("no time"), "{err}");
    }
}
