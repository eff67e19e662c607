//! The `.places` file: the records an index is built from, one a line
//! (`kind`, `lat`, `lon`, `label`, other names, shape, `~` when the position
//! is estimated, a street's OSM ways, a standard address's code;
//! tab-separated), under a
//! header with the format's version. The index itself is rebuilt when the
//! file is read (a city's takes a fraction of a second), so the file cannot
//! disagree with the code that searches it.

use crate::{Kind, Place, PlacesError};

const HEADER: &str = "pingan-places 4";

/// The third version, without a standard address's code (still read).
const HEADER_3: &str = "pingan-places 3";

/// The second version, without a street's ways (still read).
const HEADER_2: &str = "pingan-places 2";

/// The first version, without the estimated mark (still read).
const HEADER_1: &str = "pingan-places 1";

/// Tabs, line breaks and the separator of other names cannot occur in a field.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            if matches!(c, '\t' | '\n' | '\r' | '\u{1f}') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// The records as a `.places` file.
pub fn write(places: &[Place]) -> Vec<u8> {
    let mut out = String::with_capacity(places.len() * 48);
    out.push_str(HEADER);
    out.push('\n');
    for p in places {
        let others: Vec<String> = p.names.iter().map(|n| clean(n)).collect();
        let shape: Vec<String> = p
            .shape
            .iter()
            .map(|(a, b)| format!("{a:.7},{b:.7}"))
            .collect();
        out.push_str(&format!(
            "{}\t{:.7}\t{:.7}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            p.kind.as_str(),
            p.lat,
            p.lon,
            clean(&p.label),
            others.join("\u{1f}"),
            shape.join(";"),
            if p.approximate { "~" } else { "" },
            p.ways
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(","),
            p.code.as_deref().map(clean).unwrap_or_default()
        ));
    }
    out.into_bytes()
}

/// Reads a `.places` file, naming the line and the field of anything wrong.
pub fn read(bytes: &[u8]) -> Result<Vec<Place>, PlacesError> {
    let bad = |line: usize, field: &str, message: String| PlacesError::Invalid {
        field: format!("line {line}: {field}"),
        message,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| bad(0, "file", format!("not UTF-8: {e}")))?;
    let mut lines = text.lines();
    let fields = match lines.next() {
        Some(HEADER) => 9,
        Some(HEADER_3) => 8,
        Some(HEADER_2) => 7,
        Some(HEADER_1) => 6,
        other => {
            return Err(bad(
                1,
                "header",
                format!("expected {HEADER:?} (a file of `pingan places build`), found {other:?}"),
            ));
        }
    };
    let mut out = Vec::new();
    for (i, line) in lines.enumerate() {
        let n = i + 2;
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != fields {
            return Err(bad(
                n,
                "line",
                format!("expected {fields} tab-separated fields, found {}", f.len()),
            ));
        }
        let kind =
            Kind::parse(f[0]).ok_or_else(|| bad(n, "kind", format!("unknown kind {:?}", f[0])))?;
        let lat: f64 = f[1]
            .parse()
            .map_err(|_| bad(n, "lat", format!("{:?} is not a number", f[1])))?;
        let lon: f64 = f[2]
            .parse()
            .map_err(|_| bad(n, "lon", format!("{:?} is not a number", f[2])))?;
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(bad(n, "lat", format!("{lat},{lon} is not on the globe")));
        }
        out.push(Place {
            approximate: f.get(6).is_some_and(|m| *m == "~"),
            code: f.get(8).filter(|c| !c.is_empty()).map(|c| c.to_string()),
            ways: f
                .get(7)
                .map_or("", |w| w)
                .split(',')
                .filter(|w| !w.is_empty())
                .map(|w| {
                    w.parse()
                        .map_err(|_| bad(n, "ways", format!("{w:?} is not an OSM way id")))
                })
                .collect::<Result<_, _>>()?,
            label: f[3].to_string(),
            kind,
            lat,
            lon,
            names: f[4]
                .split('\u{1f}')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            shape: f[5]
                .split(';')
                .filter(|s| !s.is_empty())
                .map(|pt| {
                    let (a, b) = pt.split_once(',').unwrap_or((pt, ""));
                    match (a.parse(), b.parse()) {
                        (Ok(a), Ok(b)) => Ok((a, b)),
                        _ => Err(bad(n, "shape", format!("{pt:?} is not lat,lon"))),
                    }
                })
                .collect::<Result<_, _>>()?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_the_file() {
        let places = vec![
            Place {
                approximate: false,
                code: None,
                ways: vec![4_017_385, 23_044_019],
                label: "Rua de Santa Catarina".into(),
                kind: Kind::Street,
                lat: 41.1466,
                lon: -8.606,
                names: vec!["R. Santa Catarina".into(), "Santa\tCatarina".into()],
                shape: vec![],
            },
            Place {
                approximate: true,
                code: Some("320500-0001".into()),
                ways: Vec::new(),
                label: "建国路1号".into(),
                kind: Kind::StandardAddress,
                lat: 39.9087,
                lon: 116.46,
                names: vec![],
                shape: vec![(39.9087, 116.46), (39.9088, 116.4601)],
            },
        ];
        let back = read(&write(&places)).unwrap();
        assert_eq!(back[1], places[1]);
        assert_eq!(back[0].ways, places[0].ways);
        assert_eq!(
            back[0].names[1], "Santa Catarina",
            "a tab is not a separator"
        );
    }

    #[test]
    fn a_bad_file_names_its_line_and_field() {
        let e = read(b"something else\n").unwrap_err().to_string();
        assert!(e.starts_with("line 1: header"), "{e}");
        let e = read(b"pingan-places 1\nstreet\t41.1\tx\tRua\t\t\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("line 2: lon"), "{e}");
        let e = read(b"pingan-places 1\nlane\t41.1\t-8.6\tRua\t\t\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown kind"), "{e}");
        let e = read(b"pingan-places 2\nstreet\t41.1\t-8.6\tRua\t\t\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected 7 tab-separated fields"), "{e}");
    }

    #[test]
    fn a_first_version_file_is_still_read() {
        let got = read(b"pingan-places 1\nstreet\t41.1\t-8.6\tRua Nova\t\t\n").unwrap();
        assert_eq!(
            (got[0].label.as_str(), got[0].approximate),
            ("Rua Nova", false)
        );
    }
}
