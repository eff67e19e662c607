//! The demo city's own place files, as a police force keeps them beside the
//! map: a standard address register (标准地址, Chinese full addresses under
//! 平安市, numbered along the extract's real streets), aliases (the
//! district governments and the community committees by the names callers
//! use) and location markers (lamp-post codes along the streets). They are
//! CSV in the formats `pingan places build` and `POST
//! /api/v1/places/addresses` read, so the demo goes through the same
//! importers a real city does.

use dispatch::{Jurisdictions, LatLon, Level};
use places::{Kind, Place};
use std::fmt::Write as _;

/// The three files' text.
#[derive(Debug, Clone, Default)]
pub struct PlaceFiles {
    /// `full_address,lat,lon,code,county,community_id,road,house_number`.
    pub addresses: String,
    /// `alias,lat,lon`.
    pub aliases: String,
    /// `code,lat,lon`.
    pub markers: String,
}

/// At most this many standard addresses (a demo, not a census).
const MAX_ADDRESSES: usize = 40_000;

/// A lamp post every this many street points.
const MARKER_EVERY: usize = 6;

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The files for the streets of `city` inside the jurisdiction `tree`.
pub fn generate(city: &[Place], tree: &Jurisdictions) -> PlaceFiles {
    let mut files = PlaceFiles {
        addresses: "full_address,lat,lon,code,county,community_id,road,house_number\n".into(),
        aliases: "alias,lat,lon\n".into(),
        markers: "code,lat,lon\n".into(),
    };
    let name = |id: &Option<String>| {
        id.as_deref()
            .and_then(|id| tree.get(id))
            .map(|j| j.name_zh.clone())
    };
    let mut addresses = 0usize;
    let mut poles: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for street in city.iter().filter(|p| p.kind == Kind::Street) {
        if addresses >= MAX_ADDRESSES {
            break;
        }
        let points: Vec<(f64, f64)> = if street.shape.is_empty() {
            vec![(street.lat, street.lon)]
        } else {
            street.shape.clone()
        };
        for (k, &(lat, lon)) in points.iter().enumerate() {
            let Some(at) = tree.resolve(LatLon { lat, lon }) else {
                continue;
            };
            let (Some(bureau), Some(community)) = (name(&at.bureau_id), name(&at.community_id))
            else {
                continue;
            };
            let county = format!("{}区", bureau.trim_end_matches("分局"));
            let number = 2 * k + 1;
            let house = format!("{number}号");
            let full = places::text::join(&["平安市", &county, &community, &street.label, &house]);
            let community_id = at.community_id.clone().unwrap_or_default();
            let _ = writeln!(
                files.addresses,
                "{},{lat:.7},{lon:.7},{community_id}-{:05},{county},{community_id},{},{number}号",
                csv_field(&full),
                addresses + 1,
                csv_field(&street.label),
            );
            addresses += 1;
            if k % MARKER_EVERY == 0 {
                let station = at.station_id.clone().unwrap_or_default();
                let seq = poles.entry(station.clone()).or_default();
                *seq += 1;
                let digits: String = station.chars().filter(|c| c.is_ascii_digit()).collect();
                let _ = writeln!(files.markers, "{:0>4}-{:04},{lat:.7},{lon:.7}", digits, seq);
            }
        }
    }
    for j in tree.all() {
        let Some([lon, lat]) = j.seat else { continue };
        let alias = match j.level {
            Level::Bureau => format!("{}区政府", j.name_zh.trim_end_matches("分局")),
            Level::Community if j.name_zh.ends_with('村') => format!("{}委会", j.name_zh),
            Level::Community => format!("{}居委会", j.name_zh),
            _ => continue,
        };
        let _ = writeln!(files.aliases, "{},{lat:.7},{lon:.7}", csv_field(&alias));
    }
    files
}
