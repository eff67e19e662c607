//! The police's own place files, as CSV text: the standard address register
//! (标准地址, `full_address,lat,lon` and optional parts), aliases (common
//! names, nicknames, old names: `alias,target_label` or `alias,lat,lon`)
//! and location markers (lamp-post and road-sign codes, mile markers:
//! `code,lat,lon`). All or nothing: a file with a bad line yields no
//! place, and every bad line is named with its field.

use crate::index::{Kind, Place};
use crate::text::fold;

/// One bad line of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// Line number, from 1 (the header).
    pub line: u64,
    /// The column (or `header`, `csv`).
    pub field: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.message)
    }
}

/// At most this many bad lines are listed (the count says how many more).
pub const MAX_ERRORS: usize = 50;

/// The optional columns of the standard address register.
pub const ADDRESS_PARTS: [&str; 11] = [
    "code",
    "province",
    "city",
    "county",
    "township",
    "community_id",
    "road",
    "house_number",
    "building",
    "unit",
    "room",
];

/// A CSV read: its header and its rows with line numbers.
struct Table {
    columns: Vec<String>,
    rows: Vec<(u64, Vec<String>)>,
}

impl Table {
    fn read(text: &str, errors: &mut Vec<LineError>) -> Table {
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let columns: Vec<String> = match rdr.headers() {
            Ok(h) => h.iter().map(str::to_lowercase).collect(),
            Err(e) => {
                errors.push(LineError {
                    line: 1,
                    field: "header".into(),
                    message: format!("cannot read the header: {e}"),
                });
                Vec::new()
            }
        };
        let mut rows = Vec::new();
        for rec in rdr.records() {
            match rec {
                Ok(r) => {
                    let line = r.position().map_or(0, |p| p.line());
                    if r.len() != columns.len() {
                        errors.push(LineError {
                            line,
                            field: "csv".into(),
                            message: format!(
                                "expected {} fields ({}), got {}",
                                columns.len(),
                                columns.join(","),
                                r.len()
                            ),
                        });
                        continue;
                    }
                    rows.push((line, r.iter().map(str::to_string).collect()));
                }
                Err(e) => errors.push(LineError {
                    line: e.position().map_or(0, |p| p.line()),
                    field: "csv".into(),
                    message: e.to_string(),
                }),
            }
        }
        Table { columns, rows }
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

fn text_field(
    row: &[String],
    at: usize,
    line: u64,
    name: &str,
    errors: &mut Vec<LineError>,
) -> String {
    let v = row[at].clone();
    if v.is_empty() {
        errors.push(LineError {
            line,
            field: name.into(),
            message: "is empty".into(),
        });
    } else if v.chars().count() > 500 {
        errors.push(LineError {
            line,
            field: name.into(),
            message: "longer than 500 characters".into(),
        });
    }
    v
}

fn coordinate(
    row: &[String],
    at: usize,
    line: u64,
    name: &str,
    errors: &mut Vec<LineError>,
) -> f64 {
    let max = if name == "lat" { 90.0 } else { 180.0 };
    match row[at].parse::<f64>() {
        Ok(x) if x.is_finite() && x.abs() <= max => x,
        _ => {
            errors.push(LineError {
                line,
                field: name.into(),
                message: format!("{:?}: expected degrees -{max}..{max} (WGS-84)", row[at]),
            });
            f64::NAN
        }
    }
}

/// Checks the header: the required columns present, no unknown one.
/// Whether it is sound.
fn header(t: &Table, required: &[&str], optional: &[&str], errors: &mut Vec<LineError>) -> bool {
    let before = errors.len();
    for r in required {
        if t.column(r).is_none() {
            errors.push(LineError {
                line: 1,
                field: (*r).into(),
                message: format!(
                    "missing column; the header must have {}",
                    required.join(",")
                ),
            });
        }
    }
    for c in &t.columns {
        if !required.contains(&c.as_str()) && !optional.contains(&c.as_str()) {
            errors.push(LineError {
                line: 1,
                field: c.clone(),
                message: format!(
                    "unknown column; expected {} and optionally {}",
                    required.join(","),
                    optional.join(",")
                ),
            });
        }
    }
    errors.len() == before
}

fn finish(places: Vec<Place>, mut errors: Vec<LineError>) -> Result<Vec<Place>, Vec<LineError>> {
    if errors.is_empty() {
        return Ok(places);
    }
    errors.sort_by_key(|e| e.line);
    if errors.len() > MAX_ERRORS {
        let more = errors.len() - MAX_ERRORS;
        errors.truncate(MAX_ERRORS);
        errors.push(LineError {
            line: 0,
            field: "csv".into(),
            message: format!("and {more} more bad lines"),
        });
    }
    Err(errors)
}

/// The standard address register: `full_address,lat,lon` and any of
/// [`ADDRESS_PARTS`]. Each entry is found by its full address (any part of
/// it, Chinese without spaces), its code, and its road and house number.
pub fn standard_addresses(text: &str) -> Result<Vec<Place>, Vec<LineError>> {
    let mut errors = Vec::new();
    let t = Table::read(text, &mut errors);
    if !header(
        &t,
        &["full_address", "lat", "lon"],
        &ADDRESS_PARTS,
        &mut errors,
    ) {
        return finish(Vec::new(), errors);
    }
    let at = |c: &str| t.column(c).expect("checked");
    let part = |row: &[String], c: &str| {
        t.column(c)
            .map(|i| row[i].clone())
            .filter(|v| !v.is_empty())
    };
    let mut places = Vec::with_capacity(t.rows.len());
    for (line, row) in &t.rows {
        let label = text_field(row, at("full_address"), *line, "full_address", &mut errors);
        let lat = coordinate(row, at("lat"), *line, "lat", &mut errors);
        let lon = coordinate(row, at("lon"), *line, "lon", &mut errors);
        let code = part(row, "code");
        let mut names: Vec<String> = code.iter().cloned().collect();
        if let (Some(road), Some(number)) = (part(row, "road"), part(row, "house_number")) {
            let building = part(row, "building").unwrap_or_default();
            names.push(crate::text::join(&[&road, &number, &building]));
        }
        places.push(Place {
            approximate: false,
            code,
            ways: Vec::new(),
            label,
            kind: Kind::StandardAddress,
            lat,
            lon,
            names,
            shape: Vec::new(),
        });
    }
    finish(places, errors)
}

/// Location markers: `code,lat,lon`. A code is also found with its
/// separators left out ("0312-0457" as "03120457").
pub fn markers(text: &str) -> Result<Vec<Place>, Vec<LineError>> {
    let mut errors = Vec::new();
    let t = Table::read(text, &mut errors);
    if !header(&t, &["code", "lat", "lon"], &[], &mut errors) {
        return finish(Vec::new(), errors);
    }
    let at = |c: &str| t.column(c).expect("checked");
    let mut places = Vec::with_capacity(t.rows.len());
    for (line, row) in &t.rows {
        let code = text_field(row, at("code"), *line, "code", &mut errors);
        let lat = coordinate(row, at("lat"), *line, "lat", &mut errors);
        let lon = coordinate(row, at("lon"), *line, "lon", &mut errors);
        let joined: String = code.chars().filter(|c| c.is_alphanumeric()).collect();
        places.push(Place {
            approximate: false,
            code: None,
            ways: Vec::new(),
            names: (joined != code).then_some(joined).into_iter().collect(),
            label: code,
            kind: Kind::Marker,
            lat,
            lon,
            shape: Vec::new(),
        });
    }
    finish(places, errors)
}

/// Aliases: `alias,target_label` adds the alias to every place labelled
/// so (case and accents folded); `alias,lat,lon` is a landmark of its own.
/// `places` are the places the aliases point into; the answer is them
/// with the aliases added, then the new landmarks.
pub fn aliases(text: &str, mut places: Vec<Place>) -> Result<Vec<Place>, Vec<LineError>> {
    let mut errors = Vec::new();
    let t = Table::read(text, &mut errors);
    let by_label = t.column("target_label").is_some();
    let sound = if by_label {
        header(&t, &["alias", "target_label"], &[], &mut errors)
    } else {
        header(&t, &["alias", "lat", "lon"], &[], &mut errors)
    };
    if !sound {
        return finish(Vec::new(), errors);
    }
    let at = |c: &str| t.column(c).expect("checked");
    let mut labels: std::collections::HashMap<String, Vec<usize>> =
        std::collections::HashMap::new();
    if by_label {
        for (i, p) in places.iter().enumerate() {
            labels.entry(fold(&p.label)).or_default().push(i);
        }
    }
    let mut added = Vec::new();
    for (line, row) in &t.rows {
        let alias = text_field(row, at("alias"), *line, "alias", &mut errors);
        if by_label {
            let target = text_field(row, at("target_label"), *line, "target_label", &mut errors);
            match labels.get(&fold(&target)) {
                Some(ids) => ids
                    .iter()
                    .for_each(|&i| places[i].names.push(alias.clone())),
                None if !target.is_empty() => errors.push(LineError {
                    line: *line,
                    field: "target_label".into(),
                    message: format!("no place is labelled {target:?}; give alias,lat,lon instead"),
                }),
                None => {}
            }
        } else {
            let lat = coordinate(row, at("lat"), *line, "lat", &mut errors);
            let lon = coordinate(row, at("lon"), *line, "lon", &mut errors);
            added.push(Place {
                approximate: false,
                code: None,
                ways: Vec::new(),
                label: alias,
                kind: Kind::Poi,
                lat,
                lon,
                names: Vec::new(),
                shape: Vec::new(),
            });
        }
    }
    places.extend(added);
    finish(places, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_standard_address_register_is_read_with_its_parts() {
        let csv = "full_address,lat,lon,code,road,house_number,building\n\
                   平安市长安区建国路1号,31.26,120.63,320500-0001,建国路,1号,\n\
                   平安市长安区建国路3号2幢,31.27,120.64,,建国路,3号,2幢\n";
        let got = standard_addresses(csv).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].label, "平安市长安区建国路1号");
        assert_eq!(got[0].kind, Kind::StandardAddress);
        assert_eq!(got[0].names, vec!["320500-0001", "建国路1号"]);
        assert_eq!(got[1].names, vec!["建国路3号2幢"]);
        assert_eq!(got[0].code.as_deref(), Some("320500-0001"));
        assert_eq!(got[1].code, None, "an empty code is no code");
        assert!((got[1].lon - 120.64).abs() < 1e-12);
    }

    #[test]
    fn every_bad_line_is_named_with_its_field_and_nothing_is_kept() {
        let csv = "full_address,lat,lon\n\
                   平安市建国路1号,31.26,120.63\n\
                   ,31.26,120.63\n\
                   平安市建国路5号,north,120.63\n\
                   平安市建国路7号,31.26,999\n\
                   平安市建国路9号,31.26\n";
        let errs = standard_addresses(csv).unwrap_err();
        let said: Vec<(u64, &str)> = errs.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(
            said,
            vec![(3, "full_address"), (4, "lat"), (5, "lon"), (6, "csv")]
        );
        assert!(errs[1].message.contains("\"north\""), "{}", errs[1]);
    }

    #[test]
    fn a_header_without_the_required_columns_or_with_unknown_ones_is_refused() {
        let errs = standard_addresses("address,lat,lon\nx,1,2\n").unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["full_address", "address"]);
        assert!(errs.iter().all(|e| e.line == 1));
        let errs = markers("code,lat\n").unwrap_err();
        assert_eq!(errs[0].field, "lon");
    }

    #[test]
    fn markers_are_found_with_or_without_their_separators() {
        let got = markers("code,lat,lon\n0312-0457,31.2,120.6\nK12,31.3,120.7\n").unwrap();
        assert_eq!(got[0].label, "0312-0457");
        assert_eq!(got[0].names, vec!["03120457"]);
        assert!(got[1].names.is_empty());
        let ix = crate::Index::build(got);
        let top = ix.search("0312-0457", None, 1);
        assert_eq!(ix.place(top[0].id).label, "0312-0457");
        let top = ix.search("03120457", None, 1);
        assert_eq!(ix.place(top[0].id).label, "0312-0457");
    }

    #[test]
    fn aliases_name_existing_places_or_new_landmarks() {
        let base = vec![Place {
            approximate: false,
            code: None,
            ways: Vec::new(),
            label: "Avenida dos Aliados".into(),
            kind: Kind::Street,
            lat: 41.148,
            lon: -8.611,
            names: vec![],
            shape: vec![],
        }];
        let got = aliases(
            "alias,target_label\nOs Aliados,avenida dos aliados\n",
            base.clone(),
        )
        .unwrap();
        assert_eq!(got[0].names, vec!["Os Aliados"]);
        let errs = aliases("alias,target_label\nX,Rua Inexistente\n", base.clone()).unwrap_err();
        assert_eq!((errs[0].line, errs[0].field.as_str()), (2, "target_label"));
        let got = aliases("alias,lat,lon\n老火车站,31.3,120.6\n", base).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[1].label.as_str(), got[1].kind),
            ("老火车站", Kind::Poi)
        );
    }
}
