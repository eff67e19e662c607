//! The index: places in, ranked answers out. Every name of a place is cut
//! into terms ([`crate::text::index_terms`]); a query matches a place when
//! each of its terms meets one of the place's terms — exactly, as the
//! start of a longer one (the word being typed), or within the typos its
//! length allows — in any order. Answers are ranked by how well they match,
//! by kind, and by nearness to a point.

use crate::text::{edits, index_terms, query_terms};

/// What a place is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A house number on a street.
    Address,
    /// A named street.
    Street,
    /// Where two named streets meet.
    Intersection,
    /// A city, town, village, neighbourhood (OSM `place=*`).
    Place,
    /// A landmark: a school, hospital, station, shop, bridge…
    Poi,
    /// A community or village (社区/村) of the jurisdiction tree.
    Community,
    /// A police station (派出所), bureau or other jurisdiction.
    Station,
    /// A location marker: a lamp-post or road-sign code, a mile marker.
    Marker,
    /// An entry of the police's standard address register (标准地址).
    StandardAddress,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 9] = [
        Kind::Address,
        Kind::Street,
        Kind::Intersection,
        Kind::Place,
        Kind::Poi,
        Kind::Community,
        Kind::Station,
        Kind::Marker,
        Kind::StandardAddress,
    ];

    /// Parses the API spelling.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Address => "address",
            Kind::Street => "street",
            Kind::Intersection => "intersection",
            Kind::Place => "place",
            Kind::Poi => "poi",
            Kind::Community => "community",
            Kind::Station => "station",
            Kind::Marker => "marker",
            Kind::StandardAddress => "standard_address",
        }
    }

    /// How much an answer of this kind is worth when matches tie: the
    /// places a caller names most precisely first.
    fn weight(self, query_has_number: bool) -> f64 {
        match self {
            Kind::StandardAddress | Kind::Address if !query_has_number => 0.0,
            Kind::StandardAddress | Kind::Address | Kind::Marker => 0.3,
            Kind::Intersection => 0.25,
            Kind::Poi | Kind::Station | Kind::Community => 0.2,
            Kind::Street => 0.15,
            Kind::Place => 0.1,
        }
    }
}

/// A place as it is indexed.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// What the call taker sees.
    pub label: String,
    /// What it is.
    pub kind: Kind,
    /// Latitude, WGS-84.
    pub lat: f64,
    /// Longitude, WGS-84.
    pub lon: f64,
    /// Every other name it is found by (the label always is).
    pub names: Vec<String>,
    /// Points along it (a street's nodes), for reverse look-ups; empty
    /// for a place that is a point.
    pub shape: Vec<(f64, f64)>,
    /// Its position is estimated (a house number interpolated between
    /// tagged ones), not surveyed.
    pub approximate: bool,
    /// The OpenStreetMap ways a street is made of (empty for the rest): how
    /// a road of the routing graph, which knows its way, finds its name.
    pub ways: Vec<i64>,
    /// A standard address's code (标准地址编码): how the registers' records
    /// (a resident, a rental, a venue) name the address they are at.
    pub code: Option<String>,
}

impl Place {
    /// Where streets `a` and `b` meet, labelled "A & B": found by both
    /// names in any order, and — for Chinese names, which are written
    /// without spaces ("A路B路口") — by the two run together either way.
    pub fn junction(a: &str, b: &str, lat: f64, lon: f64) -> Place {
        let cjk = |s: &str| s.chars().any(crate::text::is_cjk);
        let names = if cjk(a) || cjk(b) {
            vec![format!("{a}{b}"), format!("{b}{a}")]
        } else {
            Vec::new()
        };
        Place {
            approximate: false,
            code: None,
            ways: Vec::new(),
            label: format!("{a} & {b}"),
            kind: Kind::Intersection,
            lat,
            lon,
            names,
            shape: Vec::new(),
        }
    }

    /// A stable identifier: the same place (kind, label, position to a
    /// micro-degree) has the same key in every build of the index, so an
    /// incident can keep the key of the place it was located by.
    pub fn key(&self) -> String {
        format!("{:016x}", self.key_hash())
    }

    fn key_hash(&self) -> u64 {
        // FNV-1a: small, stable across builds and platforms.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let text = format!(
            "{}|{}|{:.6}|{:.6}",
            self.kind.as_str(),
            self.label,
            self.lat,
            self.lon
        );
        for b in text.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    }

    /// Metres from a point to the place (its nearest shape point, if it has a shape).
    pub fn meters_from(&self, lat: f64, lon: f64) -> f64 {
        let d = |p: (f64, f64)| crate::datum::meters((lat, lon), p);
        self.shape
            .iter()
            .map(|p| d(*p))
            .fold(d((self.lat, self.lon)), f64::min)
    }
}

/// One answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Index of the place ([`Index::place`]); for an estimated house
    /// number, of the street it is on.
    pub id: u32,
    /// Higher is better.
    pub score: f64,
    /// Typos forgiven.
    pub edits: u8,
    /// A house number no one tagged, placed between the nearest known
    /// numbers of its street (marked approximate): not in the index.
    pub estimate: Option<Box<Place>>,
}

impl Hit {
    /// The place answered.
    pub fn place<'a>(&'a self, index: &'a Index) -> &'a Place {
        self.estimate
            .as_deref()
            .unwrap_or_else(|| index.place(self.id))
    }

    /// Its key: [`Place::key`], or for an estimate the street's key and
    /// the number (`{street}~{number}`), which [`Index::resolve`] reads back.
    pub fn key(&self, index: &Index) -> String {
        match &self.estimate {
            Some(p) => format!(
                "{}~{}",
                index.place(self.id).key(),
                p.label.rsplit(' ').next().unwrap_or_default()
            ),
            None => index.place(self.id).key(),
        }
    }
}

/// Numbers farther than this beyond the last known one on a street are not
/// estimated (a typo in the number, or a street that goes on unnumbered).
const MAX_EXTRAPOLATED: i64 = 20;

/// A known number counts for a street when it is this close to it (the
/// door, or the building's centre, is set back from the street's line).
const NUMBER_NEAR_STREET_M: f64 = 150.0;

/// An address label's street, integer number and the rest ("Landstrasse
/// 20, Vaduz" → "Landstrasse", 20, ", Vaduz").
fn house_number(label: &str) -> Option<(&str, i64, &str)> {
    let cut = label.find(", ").unwrap_or(label.len());
    let (main, town) = label.split_at(cut);
    let (street, n) = main.rsplit_once(' ')?;
    Some((street, n.parse().ok()?, town))
}

/// The places and their terms.
#[derive(Debug, Clone, Default)]
pub struct Index {
    places: Vec<Place>,
    /// Distinct terms, sorted.
    terms: Vec<String>,
    /// For each term, the places it occurs in (sorted, distinct).
    postings: Vec<Vec<u32>>,
    /// Where the places are, for nearest-place look-ups.
    grid: Grid,
    /// Each place's [`Place::key`], sorted, with its id.
    keys: Vec<(u64, u32)>,
    /// Each place's label folded, and how many terms it has (ranking reads
    /// them for every candidate; computing them per query cost the tail).
    folded: Vec<String>,
    label_terms: Vec<u16>,
    /// The ids of each kind (a sparse kind is scanned, not walked), and
    /// how many points a scan of the kind measures.
    by_kind: Vec<Vec<u32>>,
    kind_points: Vec<usize>,
    /// [`SPARSE`], lowered by tests to walk the grid for every kind.
    sparse: usize,
    /// OSM way id → the street made of it, sorted by way.
    way_streets: Vec<(i64, u32)>,
    /// Every house number ("{street} {n}" addresses, `n` an integer) by
    /// its street's folded label, then number: the known numbers of a street.
    numbers: Vec<(String, i64, u32)>,
    /// Standard addresses by their code, sorted (the first of a code wins).
    codes: Vec<(String, u32)>,
}

/// Reverse names nothing farther than this: a point out at sea or in the
/// mountains is told so, not given a street across the bay.
pub const REVERSE_MAX_M: f64 = 5_000.0;

/// A kind with at most this many points (a street counts its shape) is
/// found by measuring them all: cheaper than walking grid cells mostly
/// holding other kinds.
const SPARSE: usize = 1024;

/// Cell size of the spatial grid, degrees (about 220 m of latitude).
const CELL_DEG: f64 = 0.002;

/// A uniform grid over the places' points: each cell lists the places
/// with a point in it.
#[derive(Debug, Clone, Default)]
struct Grid {
    cells: std::collections::HashMap<(i32, i32), Vec<u32>>,
    /// Occupied cells' extent: rows (lat) and columns (lon).
    rows: (i32, i32),
    cols: (i32, i32),
}

fn cell_of(lat: f64, lon: f64) -> (i32, i32) {
    (
        (lat / CELL_DEG).floor() as i32,
        (lon / CELL_DEG).floor() as i32,
    )
}

impl Grid {
    fn build(places: &[Place]) -> Grid {
        let mut g = Grid {
            rows: (i32::MAX, i32::MIN),
            cols: (i32::MAX, i32::MIN),
            ..Grid::default()
        };
        for (id, p) in places.iter().enumerate() {
            let points = std::iter::once((p.lat, p.lon)).chain(p.shape.iter().copied());
            for (lat, lon) in points {
                if !(lat.is_finite() && lon.is_finite()) {
                    continue;
                }
                let c = cell_of(lat, lon);
                let ids = g.cells.entry(c).or_default();
                if ids.last() != Some(&(id as u32)) {
                    ids.push(id as u32);
                }
                g.rows = (g.rows.0.min(c.0), g.rows.1.max(c.0));
                g.cols = (g.cols.0.min(c.1), g.cols.1.max(c.1));
            }
        }
        g
    }

    /// The places with a point in the cells at Chebyshev distance `r` from
    /// `c`, only where the ring crosses the occupied extent.
    fn ring(&self, c: (i32, i32), r: i32, mut visit: impl FnMut(u32)) {
        let mut cell = |i: i32, j: i32| {
            if let Some(ids) = self.cells.get(&(i, j)) {
                ids.iter().for_each(|&id| visit(id));
            }
        };
        let (rows, cols) = (self.rows, self.cols);
        let in_rows = |i: i32| (rows.0..=rows.1).contains(&i);
        let in_cols = |j: i32| (cols.0..=cols.1).contains(&j);
        if r == 0 {
            return cell(c.0, c.1);
        }
        let (j0, j1) = ((c.1 - r).max(cols.0), (c.1 + r).min(cols.1));
        for i in [c.0 - r, c.0 + r].into_iter().filter(|i| in_rows(*i)) {
            (j0..=j1).for_each(|j| cell(i, j));
        }
        let (i0, i1) = ((c.0 - r + 1).max(rows.0), (c.0 + r - 1).min(rows.1));
        for j in [c.1 - r, c.1 + r].into_iter().filter(|j| in_cols(*j)) {
            (i0..=i1).for_each(|i| cell(i, j));
        }
    }

    /// Rings needed from `c` to have covered every occupied cell.
    fn rings_to_cover(&self, c: (i32, i32)) -> i32 {
        if self.cells.is_empty() {
            return -1;
        }
        [
            c.0 - self.rows.0,
            self.rows.1 - c.0,
            c.1 - self.cols.0,
            self.cols.1 - c.1,
        ]
        .into_iter()
        .max()
        .unwrap_or(0)
        .max(0)
    }
}

impl Index {
    /// Indexes `places`.
    pub fn build(places: Vec<Place>) -> Index {
        let mut pairs: Vec<(String, u32)> = Vec::new();
        for (id, p) in places.iter().enumerate() {
            let mut terms: Vec<String> = std::iter::once(&p.label)
                .chain(&p.names)
                .flat_map(|n| index_terms(n))
                .collect();
            terms.sort();
            terms.dedup();
            pairs.extend(terms.into_iter().map(|t| (t, id as u32)));
        }
        pairs.sort();
        let mut terms: Vec<String> = Vec::new();
        let mut postings: Vec<Vec<u32>> = Vec::new();
        for (t, id) in pairs {
            if terms.last() != Some(&t) {
                terms.push(t);
                postings.push(Vec::new());
            }
            postings.last_mut().expect("pushed").push(id);
        }
        let grid = Grid::build(&places);
        let mut keys: Vec<(u64, u32)> = places
            .iter()
            .enumerate()
            .map(|(id, p)| (p.key_hash(), id as u32))
            .collect();
        keys.sort_unstable();
        let folded = places.iter().map(|p| crate::text::fold(&p.label)).collect();
        let label_terms = places
            .iter()
            .map(|p| index_terms(&p.label).len().min(usize::from(u16::MAX)) as u16)
            .collect();
        let mut by_kind = vec![Vec::new(); Kind::ALL.len()];
        let mut kind_points = vec![0usize; Kind::ALL.len()];
        for (id, p) in places.iter().enumerate() {
            by_kind[p.kind as usize].push(id as u32);
            kind_points[p.kind as usize] += 1 + p.shape.len();
        }
        let mut way_streets: Vec<(i64, u32)> = places
            .iter()
            .enumerate()
            .flat_map(|(id, p)| p.ways.iter().map(move |&w| (w, id as u32)))
            .collect();
        way_streets.sort_unstable();
        way_streets.dedup_by_key(|e| e.0);
        let mut numbers: Vec<(String, i64, u32)> = places
            .iter()
            .enumerate()
            .filter(|(_, p)| p.kind == Kind::Address)
            .filter_map(|(id, p)| {
                let (street, n, _) = house_number(&p.label)?;
                Some((crate::text::fold(street), n, id as u32))
            })
            .collect();
        numbers.sort_unstable();
        let mut codes: Vec<(String, u32)> = places
            .iter()
            .enumerate()
            .filter_map(|(id, p)| Some((p.code.clone()?, id as u32)))
            .collect();
        codes.sort();
        codes.dedup_by(|b, a| a.0 == b.0);
        Index {
            codes,
            numbers,
            way_streets,
            folded,
            label_terms,
            by_kind,
            kind_points,
            sparse: SPARSE,
            places,
            terms,
            postings,
            grid,
            keys,
        }
    }

    /// The street an OpenStreetMap way belongs to: how a road of the
    /// routing graph (which keeps its way's id) is named on the map and in
    /// a route's steps.
    pub fn street_of_way(&self, way: i64) -> Option<&Place> {
        let i = self.way_streets.binary_search_by_key(&way, |e| e.0).ok()?;
        Some(&self.places[self.way_streets[i].1 as usize])
    }

    /// How many places.
    pub fn len(&self) -> usize {
        self.places.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Every place, by id.
    pub fn places(&self) -> &[Place] {
        &self.places
    }

    /// The places, giving the index up.
    pub fn into_places(self) -> Vec<Place> {
        self.places
    }

    /// A place by its id.
    pub fn place(&self, id: u32) -> &Place {
        &self.places[id as usize]
    }

    /// The standard address with this code (标准地址编码), if the register
    /// holds it: how a register's record finds the place it is at.
    pub fn by_code(&self, code: &str) -> Option<u32> {
        let i = self
            .codes
            .binary_search_by(|(c, _)| c.as_str().cmp(code))
            .ok()?;
        Some(self.codes[i].1)
    }

    /// The place with this [`Place::key`], if this index has it.
    pub fn find(&self, key: &str) -> Option<u32> {
        let h = u64::from_str_radix(key, 16)
            .ok()
            .filter(|_| key.len() == 16)?;
        let at = self.keys.partition_point(|(k, _)| *k < h);
        self.keys
            .get(at)
            .filter(|(k, _)| *k == h)
            .map(|(_, id)| *id)
    }

    /// The terms starting with `prefix` (a range of `self.terms`).
    fn prefixed(&self, prefix: &str) -> std::ops::Range<usize> {
        let start = self.terms.partition_point(|t| t.as_str() < prefix);
        let end = start + self.terms[start..].partition_point(|t| t.starts_with(prefix));
        start..end
    }

    /// For one query term, each place it meets and the fewest edits it took.
    fn matches(&self, text: &str, prefix: bool, max_edits: u8) -> Vec<(u32, u8)> {
        let mut found: Vec<(u32, u8)> = Vec::new();
        let mut take = |i: usize, e: u8| found.extend(self.postings[i].iter().map(|&p| (p, e)));
        if prefix {
            self.prefixed(text).for_each(|i| take(i, 0));
        } else if let Ok(i) = self.terms.binary_search_by(|t| t.as_str().cmp(text)) {
            take(i, 0);
        }
        if max_edits > 0 {
            // Typos: terms sharing the first letter (a typo there is rare
            // and would make every term a candidate).
            let first: String = text.chars().take(1).collect();
            for i in self.prefixed(&first) {
                let t = &self.terms[i];
                if prefix && t.starts_with(text) {
                    continue;
                }
                if let Some(e) = edits(text, t, prefix, max_edits).filter(|e| *e > 0) {
                    take(i, e);
                }
            }
        }
        found.sort_unstable();
        found.dedup_by_key(|(p, _)| *p);
        found
    }

    /// The best `limit` places for `query`, nearest to `near` among equals.
    pub fn search(&self, query: &str, near: Option<(f64, f64)>, limit: usize) -> Vec<Hit> {
        let terms = query_terms(query);
        // An empty query, or one Latin letter, finds nothing (quickly).
        let letters: usize = terms.iter().map(|t| t.text.chars().count()).sum();
        if terms.is_empty() || (letters < 2 && terms.iter().all(|t| t.text.is_ascii())) {
            return Vec::new();
        }
        let mut per_term: Vec<Vec<(u32, u8)>> = terms
            .iter()
            .map(|t| self.matches(&t.text, t.prefix, t.max_edits))
            .collect();
        // Intersect, rarest first.
        per_term.sort_by_key(Vec::len);
        let mut alive: Vec<(u32, u8)> = per_term[0].clone();
        for other in &per_term[1..] {
            alive.retain_mut(|(p, e)| match other.binary_search_by_key(p, |(q, _)| *q) {
                Ok(i) => {
                    *e += other[i].1;
                    true
                }
                Err(_) => false,
            });
            if alive.is_empty() {
                break;
            }
        }
        let folded_query = crate::text::fold(query.trim());
        // Without a number the caller names a street or a landmark, not a house.
        let has_number = terms.iter().any(|t| t.text.chars().any(|c| c.is_numeric()));
        let mut hits: Vec<Hit> = alive
            .into_iter()
            .map(|(id, e)| {
                let p = self.place(id);
                let label = &self.folded[id as usize];
                // Whole-label and label-prefix matches first, then shorter labels.
                let exact = if *label == folded_query {
                    1.0
                } else if label.starts_with(&folded_query) {
                    0.5
                } else {
                    0.0
                };
                let brevity = 1.0 / (1.0 + label.chars().count() as f64 / 20.0);
                // How much of the label the query covers: "av boavista" is
                // the avenue more than one of its crossings.
                let coverage =
                    (terms.len() as f64 / f64::from(self.label_terms[id as usize].max(1))).min(1.0);
                let nearness = near.map_or(0.0, |(lat, lon)| {
                    let km = crate::datum::meters((lat, lon), (p.lat, p.lon)) / 1000.0;
                    1.0 / (1.0 + km)
                });
                Hit {
                    id,
                    score: exact
                        + p.kind.weight(has_number)
                        + 0.3 * brevity
                        + 0.5 * coverage
                        + 0.6 * nearness
                        - 0.5 * f64::from(e),
                    edits: e,
                    estimate: None,
                }
            })
            .collect();
        let better = |a: &Hit, b: &Hit| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id));
        if hits.len() > limit && limit > 0 {
            hits.select_nth_unstable_by(limit - 1, better);
            hits.truncate(limit);
        }
        hits.sort_by(better);
        // The number as typed, though no one tagged it, before the longer
        // numbers it is a prefix of — unless a label reads as typed.
        if has_number
            && !hits
                .iter()
                .any(|h| self.folded[h.id as usize].starts_with(&folded_query))
            && let Some(estimate) = self.estimate(query, near)
        {
            let label = crate::text::fold(&estimate.place(self).label);
            if !hits.iter().any(|h| self.folded[h.id as usize] == label) {
                hits.insert(0, estimate);
            }
        }
        hits.truncate(limit);
        hits
    }

    /// "Rua X 17" when 17 is not among the numbers of Rua X: the street
    /// found by the rest of the query, and the number placed between the
    /// nearest known numbers of the same parity on it (or at the nearest
    /// one, a little past either end).
    fn estimate(&self, query: &str, near: Option<(f64, f64)>) -> Option<Hit> {
        let folded = crate::text::fold(query);
        let words: Vec<&str> = folded.split_whitespace().collect();
        let numeric: Vec<usize> = (0..words.len())
            .filter(|&i| words[i].chars().any(|c| c.is_ascii_digit()))
            .collect();
        // One number, first or last ("17 main street", "rua x 17", "建国路17号").
        let [at] = numeric[..] else { return None };
        let word = words[at].trim_end_matches('号');
        let digits_from = word.find(|c: char| c.is_ascii_digit())?;
        let (head, number) = word.split_at(digits_from);
        if !(at == 0 || at + 1 == words.len()) || !number.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let wanted: i64 = number.parse().ok()?;
        let rest: String = words[..at]
            .iter()
            .copied()
            .chain((!head.is_empty()).then_some(head))
            .chain(words[at + 1..].iter().copied())
            .collect::<Vec<_>>()
            .join(" ");
        // The first street of that name with numbers near it (a name is
        // often a street in each of several towns) — unless a street of
        // that name has the number: then the caller means that one.
        let (street, place) = self
            .search(&rest, near, 10)
            .into_iter()
            // A typo in the street and a number no one tagged is one guess too many.
            .filter(|h| h.edits == 0 && self.place(h.id).kind == Kind::Street)
            .filter(|h| !self.has_number(&self.place(h.id).label, wanted))
            .find_map(|h| self.estimate_on(h.id, wanted).map(|p| (h, p)))?;
        Some(Hit {
            id: street.id,
            score: street.score + 0.5,
            edits: street.edits,
            estimate: Some(Box::new(place)),
        })
    }

    /// Whether any street named `street` has the number `wanted` tagged.
    fn has_number(&self, street: &str, wanted: i64) -> bool {
        let key = crate::text::fold(street);
        let at = self
            .numbers
            .partition_point(|e| (e.0.as_str(), e.1) < (key.as_str(), wanted));
        self.numbers
            .get(at)
            .is_some_and(|e| e.0 == key && e.1 == wanted)
    }

    /// Number `wanted` on street `street`, placed from its known numbers;
    /// `None` when it is known (the index has it), the street has none, or
    /// it lies too far beyond them.
    pub fn estimate_on(&self, street: u32, wanted: i64) -> Option<Place> {
        let s = self.place(street);
        let key = crate::text::fold(&s.label);
        let start = self.numbers.partition_point(|e| e.0 < key);
        let end = start + self.numbers[start..].partition_point(|e| e.0 == key);
        // The numbers of this street, not of its namesake in the next town.
        let known: Vec<&(String, i64, u32)> = self.numbers[start..end]
            .iter()
            .filter(|e| {
                let p = self.place(e.2);
                s.meters_from(p.lat, p.lon) <= NUMBER_NEAR_STREET_M
            })
            .collect();
        if known.is_empty() || known.iter().any(|e| e.1 == wanted) {
            return None;
        }
        // The side of the street: odd and even numbers face each other.
        let same: Vec<&(String, i64, u32)> = known
            .iter()
            .copied()
            .filter(|e| (e.1 - wanted).rem_euclid(2) == 0)
            .collect();
        let side = if same.is_empty() { known } else { same };
        let below = side.iter().rev().find(|e| e.1 < wanted);
        let above = side.iter().find(|e| e.1 > wanted);
        let at = |e: &(String, i64, u32)| {
            let p = self.place(e.2);
            (p.lat, p.lon)
        };
        let (lat, lon) = match (below, above) {
            (Some(a), Some(b)) => {
                let t = (wanted - a.1) as f64 / (b.1 - a.1) as f64;
                let ((la, oa), (lb, ob)) = (at(a), at(b));
                (la + (lb - la) * t, oa + (ob - oa) * t)
            }
            (Some(e), None) | (None, Some(e)) if (e.1 - wanted).abs() <= MAX_EXTRAPOLATED => at(e),
            _ => return None,
        };
        // Written as its neighbour is ("…, Vaduz" when that has the town).
        let neighbour = below.or(above).expect("one exists: matched above");
        let (street, _, town) = house_number(&self.place(neighbour.2).label)?;
        Some(Place {
            label: format!("{street} {wanted}{town}"),
            kind: Kind::Address,
            lat,
            lon,
            names: Vec::new(),
            shape: Vec::new(),
            approximate: true,
            code: None,
            ways: Vec::new(),
        })
    }

    /// The place a key names: an indexed place ([`Index::find`]) or an
    /// estimated house number ([`Hit::key`]).
    pub fn resolve(&self, key: &str) -> Option<Place> {
        match key.split_once('~') {
            Some((street, number)) => {
                let id = self.find(street)?;
                if self.place(id).kind != Kind::Street {
                    return None;
                }
                self.estimate_on(id, number.parse().ok()?)
            }
            None => self.find(key).map(|id| self.place(id).clone()),
        }
    }

    /// The `limit` places nearest to a point (of `kind`, if given),
    /// nearest first, with their metres; ties by id.
    pub fn nearest(&self, lat: f64, lon: f64, kind: Option<Kind>, limit: usize) -> Vec<(u32, f64)> {
        self.nearest_within(lat, lon, kind, limit, f64::INFINITY)
    }

    /// [`Index::nearest`], only places within `max_m` metres: the walk
    /// stops there (a point out at sea does not search the whole city).
    pub fn nearest_within(
        &self,
        lat: f64,
        lon: f64,
        kind: Option<Kind>,
        limit: usize,
        max_m: f64,
    ) -> Vec<(u32, f64)> {
        if limit == 0 || !(lat.is_finite() && lon.is_finite()) {
            return Vec::new();
        }
        let close = |found: Vec<(u32, f64)>| -> Vec<(u32, f64)> {
            found.into_iter().filter(|(_, m)| *m <= max_m).collect()
        };
        if let Some(k) = kind
            && self.kind_points[k as usize] <= self.sparse
        {
            return close(self.scan(lat, lon, kind, limit));
        }
        let c = cell_of(lat, lon);
        // A ring r + 1 cells out is at least r cells' width away.
        let cell_m = CELL_DEG * 111_000.0 * lat.to_radians().cos().clamp(0.1, 1.0);
        let mut seen = std::collections::HashSet::new();
        let mut best: Vec<(u32, f64)> = Vec::new();
        // Rings cost their cells; past the occupied cells' number a scan of
        // every place is cheaper (a sparse kind, a point far outside).
        let mut budget = 2 * self.grid.cells.len() as i64 + 64;
        for r in 0..=self.grid.rings_to_cover(c) {
            if f64::from(r - 1) * cell_m > max_m {
                break;
            }
            budget -= 8 * i64::from(r).max(1);
            if budget < 0 {
                return close(self.scan(lat, lon, kind, limit));
            }
            self.grid.ring(c, r, |id| {
                let p = &self.places[id as usize];
                if kind.is_none_or(|k| p.kind == k) && seen.insert(id) {
                    best.push((id, p.meters_from(lat, lon)));
                }
            });
            best.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            best.truncate(limit);
            if best.len() == limit && best[limit - 1].1 < f64::from(r) * cell_m {
                break;
            }
        }
        close(best)
    }

    /// `nearest` by measuring every place.
    fn scan(&self, lat: f64, lon: f64, kind: Option<Kind>, limit: usize) -> Vec<(u32, f64)> {
        let measure = |i: u32| (i, self.places[i as usize].meters_from(lat, lon));
        let mut all: Vec<(u32, f64)> = match kind {
            Some(k) => self.by_kind[k as usize]
                .iter()
                .map(|&i| measure(i))
                .collect(),
            None => (0..self.places.len() as u32).map(measure).collect(),
        };
        all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        all.truncate(limit);
        all
    }

    /// What is at a point, nearest first: the nearest address (within
    /// 100 m) and standard address (within 100 m), street, intersection,
    /// landmark, marker, community and place (each within
    /// [`REVERSE_MAX_M`]).
    pub fn reverse(&self, lat: f64, lon: f64) -> Vec<(u32, f64)> {
        let mut out: Vec<(u32, f64)> = [
            (Kind::Address, 100.0),
            (Kind::StandardAddress, 100.0),
            (Kind::Street, REVERSE_MAX_M),
            (Kind::Intersection, REVERSE_MAX_M),
            (Kind::Poi, REVERSE_MAX_M),
            (Kind::Marker, 500.0),
            (Kind::Community, REVERSE_MAX_M),
            (Kind::Place, REVERSE_MAX_M),
        ]
        .into_iter()
        .flat_map(|(kind, within)| self.nearest_within(lat, lon, Some(kind), 1, within))
        .collect();
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(label: &str, kind: Kind, lat: f64, lon: f64) -> Place {
        Place {
            approximate: false,
            code: None,
            ways: Vec::new(),
            label: label.into(),
            kind,
            lat,
            lon,
            names: vec![],
            shape: vec![],
        }
    }

    fn city() -> Index {
        Index::build(vec![
            place("Rua de Santa Catarina", Kind::Street, 41.1466, -8.6060),
            place("Rua de Santa Catarina 312", Kind::Address, 41.1480, -8.6062),
            place("Avenida da Boavista", Kind::Street, 41.1580, -8.6400),
            place(
                "Rua de Santa Catarina & Rua de Passos Manuel",
                Kind::Intersection,
                41.1470,
                -8.6061,
            ),
            place("建国路1号", Kind::StandardAddress, 39.9087, 116.4600),
            place("朝阳区建国路", Kind::Street, 39.9080, 116.4500),
            place("松林三村", Kind::Community, 31.2600, 120.6300),
            place("长安派出所", Kind::Station, 31.2700, 120.6400),
        ])
    }

    #[test]
    fn a_standard_address_is_found_by_its_code_and_nothing_else_is() {
        let with = |label: &str, code: &str| Place {
            code: Some(code.into()),
            ..place(label, Kind::StandardAddress, 31.3, 120.6)
        };
        let index = Index::build(vec![
            place("建国路", Kind::Street, 31.3, 120.6),
            with("平安市建国路1号", "320500-0001"),
            with("平安市建国路3号", "320500-0003"),
            with("平安市建国路3号（重）", "320500-0003"),
        ]);
        let label = |code: &str| index.by_code(code).map(|id| index.place(id).label.as_str());
        assert_eq!(label("320500-0001"), Some("平安市建国路1号"));
        assert_eq!(
            label("320500-0003"),
            Some("平安市建国路3号"),
            "the first of a code"
        );
        assert_eq!(label("320500-0002"), None);
        assert_eq!(label("建国路"), None, "a name is not a code");
    }

    #[test]
    fn an_untagged_number_is_placed_between_the_known_ones_and_marked_approximate() {
        let mut places = city().into_places();
        // The street runs north-south past its numbers; 311 is a namesake's, in another town.
        places[0].shape = vec![(41.1455, -8.6060), (41.1490, -8.6060)];
        for (n, lat) in [(300, 41.1460), (310, 41.1470), (311, 41.1900)] {
            places.push(place(
                &format!("Rua de Santa Catarina {n}"),
                Kind::Address,
                lat,
                -8.6062,
            ));
        }
        places.push(place("建国路", Kind::Street, 39.9, 116.46));
        places.push(place("建国路 2", Kind::Address, 39.90, 116.46));
        places.push(place("建国路 8", Kind::Address, 39.91, 116.46));
        let ix = Index::build(places);
        // 306 between 300 and 310 (the even side; 311 is across the street).
        let hits = ix.search("rua de santa catarina 306", None, 5);
        let top = hits[0].place(&ix);
        assert_eq!(
            (top.label.as_str(), top.kind, top.approximate),
            ("Rua de Santa Catarina 306", Kind::Address, true)
        );
        assert!((top.lat - 41.1466).abs() < 1e-9, "{top:?}");
        // Its key reads back to the same estimate; a tagged number is not estimated.
        let key = hits[0].key(&ix);
        assert!(key.contains('~'), "{key}");
        assert_eq!(ix.resolve(&key).as_ref(), Some(top));
        assert!(
            ix.search("rua de santa catarina 310", None, 5)
                .iter()
                .all(|h| h.estimate.is_none())
        );
        assert!(
            !ix.search("rua de santa catarina 312", None, 1)[0]
                .place(&ix)
                .approximate
        );
        // Past the last number, a little: at it; far past: nothing made up.
        let past = ix.search("rua de santa catarina 316", None, 1);
        assert_eq!(past[0].place(&ix).lat, 41.1480);
        assert!(
            ix.search("rua de santa catarina 900", None, 5)
                .iter()
                .all(|h| h.estimate.is_none())
        );
        // Number first, and Chinese with 号.
        assert_eq!(
            ix.search("306 santa catarina", None, 1)[0].place(&ix).label,
            "Rua de Santa Catarina 306"
        );
        let cn = ix.search("建国路4号", None, 1);
        assert_eq!(
            (
                cn[0].place(&ix).label.as_str(),
                cn[0].place(&ix).approximate
            ),
            ("建国路 4", true)
        );
        // A number inside a street's name is not a house number.
        assert!(ix.resolve("0000000000000000~3").is_none());
    }

    #[test]
    fn a_place_keeps_its_key_across_builds() {
        let a = city();
        let mut shuffled = a.places().to_vec();
        shuffled.reverse();
        shuffled.push(place("Rua Nova", Kind::Street, 41.15, -8.61));
        let b = Index::build(shuffled);
        for (id, p) in a.places().iter().enumerate() {
            let key = p.key();
            assert_eq!(a.find(&key), Some(id as u32), "{}", p.label);
            let other = b.find(&key).expect("found in the other build");
            assert_eq!(b.place(other), p);
        }
        assert_eq!(a.find("not-a-key"), None);
        assert_eq!(a.find("0000000000000000"), None);
        assert_eq!(
            a.find(&place("Rua Nova", Kind::Street, 41.15, -8.61).key()),
            None
        );
    }

    #[test]
    fn nearest_equals_a_brute_force_search() {
        // A pseudo-random city of points and shaped streets around Porto,
        // queried from inside it, at its edges and far outside.
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let kinds = [Kind::Address, Kind::Street, Kind::Poi, Kind::Intersection];
        let places: Vec<Place> = (0..600)
            .map(|i| {
                let (lat, lon) = (41.10 + 0.08 * next(), -8.68 + 0.10 * next());
                let mut p = place(&format!("p{i}"), kinds[i % kinds.len()], lat, lon);
                if p.kind == Kind::Street {
                    p.shape = (0..8)
                        .map(|k| (lat + 0.0004 * k as f64, lon + 0.0003 * k as f64))
                        .collect();
                }
                p
            })
            .collect();
        let mut ix = Index::build(places);
        ix.sparse = 0;
        for q in 0..300 {
            let (lat, lon) = match q % 3 {
                0 => (41.10 + 0.08 * next(), -8.68 + 0.10 * next()),
                1 => (41.05 + 0.2 * next(), -8.75 + 0.25 * next()),
                _ => (40.0 + 2.0 * next(), -9.5 + 2.0 * next()),
            };
            for kind in [None, Some(Kind::Street), Some(Kind::Poi)] {
                for limit in [1, 3] {
                    let got = ix.nearest(lat, lon, kind, limit);
                    let want = ix.scan(lat, lon, kind, limit);
                    assert_eq!(got, want, "at {lat},{lon} kind {kind:?} limit {limit}");
                    let near: Vec<(u32, f64)> =
                        want.iter().copied().filter(|(_, m)| *m <= 700.0).collect();
                    assert_eq!(
                        ix.nearest_within(lat, lon, kind, limit, 700.0),
                        near,
                        "within 700 m at {lat},{lon}"
                    );
                }
            }
        }
        assert!(Index::build(vec![]).nearest(41.1, -8.6, None, 3).is_empty());
    }

    #[test]
    fn reverse_names_the_nearest_of_each_kind_and_addresses_only_close_by() {
        let ix = city();
        let kinds = |lat, lon| -> Vec<&str> {
            ix.reverse(lat, lon)
                .iter()
                .map(|(id, _)| ix.place(*id).kind.as_str())
                .collect()
        };
        let here = kinds(41.1479, -8.6062);
        assert_eq!(here[0], "address");
        assert!(here.contains(&"street") && here.contains(&"intersection"));
        let far = kinds(41.1700, -8.6062);
        assert!(
            !far.contains(&"address") && far.contains(&"street"),
            "{far:?}"
        );
        let r = ix.reverse(41.1479, -8.6062);
        assert!(r.windows(2).all(|w| w[0].1 <= w[1].1));
    }

    #[test]
    fn intersections_are_found_in_every_written_form() {
        let ix = Index::build(vec![
            Place::junction(
                "Rua de Santa Catarina",
                "Rua de Passos Manuel",
                41.147,
                -8.606,
            ),
            place("Rua de Santa Catarina", Kind::Street, 41.1466, -8.6060),
            place("Rua de Passos Manuel", Kind::Street, 41.1470, -8.6050),
            Place::junction("建国路", "东三环中路", 39.908, 116.461),
            place("建国路", Kind::Street, 39.9087, 116.4600),
            place("东三环中路", Kind::Street, 39.9100, 116.4610),
        ]);
        for q in [
            "Rua de Santa Catarina & Rua de Passos Manuel",
            "santa catarina and passos manuel",
            "passos manuel / santa catarina",
            "Santa Catarina x Passos Manuel",
            "catarina e passos",
        ] {
            assert_eq!(
                labels(&ix, q)[0],
                "Rua de Santa Catarina & Rua de Passos Manuel",
                "{q}"
            );
        }
        for q in [
            "建国路与东三环中路交叉口",
            "建国路东三环中路口",
            "东三环中路和建国路路口",
            "建国路 东三环",
            "建国路与东三环中路",
        ] {
            assert_eq!(
                labels(&ix, q).first().map(String::as_str),
                Some("建国路 & 东三环中路"),
                "{q}"
            );
        }
    }

    #[test]
    fn junction_words_are_dropped_only_between_names() {
        let ix = Index::build(vec![
            place("Rua de Andrade", Kind::Street, 41.15, -8.61),
            place("和平路", Kind::Street, 39.91, 116.41),
            place("与德路", Kind::Street, 39.92, 116.42),
        ]);
        // The word being typed is a word, not a conjunction.
        assert_eq!(labels(&ix, "rua and"), ["Rua de Andrade"]);
        assert_eq!(labels(&ix, "和平路"), ["和平路"]);
        assert_eq!(labels(&ix, "与德路"), ["与德路"]);
    }

    fn labels(ix: &Index, q: &str) -> Vec<String> {
        ix.search(q, None, 10)
            .into_iter()
            .map(|h| ix.place(h.id).label.clone())
            .collect()
    }

    #[test]
    fn words_match_as_prefixes_in_any_order() {
        let ix = city();
        assert_eq!(
            labels(&ix, "Rua de Santa Catarina 312")[0],
            "Rua de Santa Catarina 312"
        );
        assert!(labels(&ix, "catarina santa").contains(&"Rua de Santa Catarina".to_string()));
        assert_eq!(labels(&ix, "av boav"), ["Avenida da Boavista"]);
    }

    #[test]
    fn typos_are_forgiven_by_word_length() {
        let ix = city();
        assert!(labels(&ix, "Santa Catrina").contains(&"Rua de Santa Catarina".to_string()));
        assert!(labels(&ix, "Boavsta").contains(&"Avenida da Boavista".to_string()));
        assert!(
            labels(&ix, "Sbnts").is_empty(),
            "five letters allow one edit, not two"
        );
    }

    #[test]
    fn chinese_without_spaces_and_half_typed() {
        let ix = city();
        assert_eq!(labels(&ix, "建国路1号")[0], "建国路1号");
        assert!(labels(&ix, "建国").len() == 2);
        assert_eq!(labels(&ix, "朝阳区建国路"), ["朝阳区建国路"]);
        assert_eq!(labels(&ix, "松林三村"), ["松林三村"]);
        assert_eq!(labels(&ix, "长安派出所"), ["长安派出所"]);
        assert_eq!(labels(&ix, "长安"), ["长安派出所"]);
    }

    #[test]
    fn nothing_for_nothing() {
        let ix = city();
        assert!(labels(&ix, "").is_empty());
        assert!(labels(&ix, "r").is_empty());
        assert!(labels(&ix, "   &&& ").is_empty());
        assert!(labels(&ix, "zzzzzz").is_empty());
    }

    #[test]
    fn nearness_breaks_ties() {
        let ix = Index::build(vec![
            place("Rua Direita", Kind::Street, 41.0, -8.0),
            place("Rua Direita", Kind::Street, 40.0, -8.0),
        ]);
        let near_second = ix.search("rua direita", Some((40.01, -8.0)), 2);
        assert_eq!(near_second[0].id, 1);
        let near_first = ix.search("rua direita", Some((41.01, -8.0)), 2);
        assert_eq!(near_first[0].id, 0);
    }

    #[test]
    fn reverse_is_the_brute_force_nearest() {
        let ix = city();
        let n = ix.nearest(41.1479, -8.6062, None, 3);
        assert_eq!(ix.place(n[0].0).label, "Rua de Santa Catarina 312");
        assert!(n.windows(2).all(|w| w[0].1 <= w[1].1));
        let streets = ix.nearest(41.1479, -8.6062, Some(Kind::Street), 1);
        assert_eq!(ix.place(streets[0].0).label, "Rua de Santa Catarina");
    }
}
