//! Community policing records and figures.
//!
//! - Village police office (警务室) coverage by bureau and station, and how
//!   many offices share the village committee's building: the report's
//!   "572 offices for 587 villages = 97.4%" ([`office_coverage`]).
//! - Case transfer ("两不办") from stations to specialised units, with
//!   acceptance, returns with reasons, timers, and leads (线索) with
//!   feedback ([`transfer`]).
//! - Registers of personal data with legal basis, purpose and retention:
//!   key persons ([`ledger`]), disputes ([`dispute`]), and the ledgers
//!   described as data ([`ledgers`]): residents, rental housing, floating
//!   population, regulated venues with inspections, the 365x24 service
//!   (lost property matched with found items, missing persons, livelihood
//!   requests), 1+X+N staffing and community days ([`staffing`]).
//! - The keys an identity check (核查身份) finds people by: identity
//!   numbers in one 18-character form (15-character ones converted, check
//!   character and date of birth verified), phone numbers as dialled in the
//!   mainland, names folded for exact and prefix matching ([`identity`]).
//! - What a record is filed under in the store (status, when it is
//!   overdue, its standard address) so lists filter in the database
//!   ([`filing`]).
//! - Station assessment from a catalogue that is configuration
//!   ([`assessment`]) over metrics counted from the records ([`metrics`]).
//!
//! Not here: storage (`store`), scoping, auditing and the API (`server`).
//!
//! Pure: records in, records and figures out; validation and legal
//! transitions live here, storage in `store`, the API in `server`.

pub mod assessment;
pub mod dispute;
pub mod filing;
pub mod identity;
pub mod ledger;
pub mod ledgers;
pub mod metrics;
pub mod staffing;
pub mod transfer;

/// What can go wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CommunityError {
    /// A field is missing or malformed.
    #[error("{field}: {message}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// What is wrong and what is expected.
        message: String,
    },
    /// The record is not in a state that allows this.
    #[error("{0}")]
    Conflict(String),
}

impl CommunityError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> CommunityError {
        CommunityError::Invalid {
            field,
            message: message.into(),
        }
    }
}

use std::collections::{BTreeMap, HashSet};

use dispatch::{Jurisdictions, Level, PoliceOffice};

/// Office coverage of one area.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OfficeCoverage {
    /// Jurisdiction id (`"all"` for the total).
    pub id: String,
    /// Name.
    pub name: String,
    /// Villages and communities in the area.
    pub communities: usize,
    /// Of them, with at least one police office.
    pub with_office: usize,
    /// `with_office / communities`.
    pub share: f64,
    /// Offices in the area.
    pub offices: usize,
    /// Offices sharing the village committee's office.
    pub co_located: usize,
    /// `co_located / offices`.
    pub co_located_share: f64,
    /// Offices by class (1, 2, 3).
    pub by_class: BTreeMap<u8, usize>,
    /// Staff in the offices.
    pub staff: u32,
    /// Communities without an office (ids).
    pub without_office: Vec<String>,
}

/// Coverage for the whole tree, each bureau and each station.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoverageReport {
    /// Everything in scope.
    pub total: OfficeCoverage,
    /// Per bureau.
    pub by_bureau: Vec<OfficeCoverage>,
    /// Per station.
    pub by_station: Vec<OfficeCoverage>,
}

fn area(
    tree: &Jurisdictions,
    offices: &[PoliceOffice],
    id: &str,
    name: &str,
    within: &dyn Fn(&str) -> bool,
) -> OfficeCoverage {
    let communities: Vec<&str> = tree
        .all()
        .iter()
        .filter(|j| j.level == Level::Community && within(&j.id))
        .map(|j| j.id.as_str())
        .collect();
    let here: Vec<&PoliceOffice> = offices.iter().filter(|o| within(&o.community_id)).collect();
    let served: HashSet<&str> = here.iter().map(|o| o.community_id.as_str()).collect();
    let with_office = communities.iter().filter(|c| served.contains(*c)).count();
    let co_located = here.iter().filter(|o| o.shares_committee_office).count();
    let mut by_class = BTreeMap::new();
    for o in &here {
        *by_class.entry(o.class).or_insert(0) += 1;
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    OfficeCoverage {
        id: id.into(),
        name: name.into(),
        communities: communities.len(),
        with_office,
        share: ratio(with_office, communities.len()),
        offices: here.len(),
        co_located,
        co_located_share: ratio(co_located, here.len()),
        by_class,
        staff: here.iter().map(|o| o.staff).sum(),
        without_office: communities
            .iter()
            .filter(|c| !served.contains(*c))
            .map(|c| c.to_string())
            .collect(),
    }
}

/// Office coverage within `scope` (None = everything).
pub fn office_coverage(
    tree: &Jurisdictions,
    offices: &[PoliceOffice],
    scope: Option<&str>,
) -> CoverageReport {
    let in_scope = |id: &str| scope.is_none_or(|s| tree.is_within(id, s));
    let per = |level: Level| -> Vec<OfficeCoverage> {
        tree.all()
            .iter()
            .filter(|j| {
                j.level == level
                    && (in_scope(&j.id) || scope.is_some_and(|s| tree.is_within(s, &j.id)))
            })
            .map(|j| {
                let id = j.id.clone();
                let inside = |x: &str| tree.is_within(x, &id) && in_scope(x);
                area(tree, offices, &j.id, &j.name_zh, &inside)
            })
            .filter(|c| c.communities > 0)
            .collect()
    };
    CoverageReport {
        total: area(
            tree,
            offices,
            scope.unwrap_or("all"),
            scope
                .and_then(|s| tree.get(s))
                .map_or("", |j| j.name_zh.as_str()),
            &in_scope,
        ),
        by_bureau: per(Level::Bureau),
        by_station: per(Level::Station),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dispatch::Jurisdiction;

    fn j(id: &str, level: Level, parent: Option<&str>, x: f64) -> Jurisdiction {
        Jurisdiction {
            id: id.into(),
            level,
            parent_id: parent.map(String::from),
            name_zh: id.into(),
            name_en: None,
            polygon: vec![vec![vec![
                [x, 0.0],
                [x + 1.0, 0.0],
                [x + 1.0, 1.0],
                [x, 1.0],
                [x, 0.0],
            ]]],
            seat: None,
        }
    }

    fn office(id: &str, community: &str, station: &str, co: bool, class: u8) -> PoliceOffice {
        PoliceOffice {
            id: id.into(),
            name: id.into(),
            community_id: community.into(),
            station_id: station.into(),
            lat: 0.5,
            lon: 0.5,
            class,
            staff: 2,
            hours: "08:00-18:00".into(),
            shares_committee_office: co,
        }
    }

    #[test]
    fn shares_by_station_and_bureau() {
        let tree = Jurisdictions::new(vec![
            j("C", Level::CityBureau, None, 0.0),
            j("B1", Level::Bureau, Some("C"), 0.0),
            j("S1", Level::Station, Some("B1"), 0.0),
            j("S2", Level::Station, Some("B1"), 0.0),
            j("V1", Level::Community, Some("S1"), 0.0),
            j("V2", Level::Community, Some("S1"), 0.0),
            j("V3", Level::Community, Some("S2"), 0.0),
            j("V4", Level::Community, Some("S2"), 0.0),
        ])
        .unwrap();
        let offices = vec![
            office("O1", "V1", "S1", true, 1),
            office("O2", "V1", "S1", false, 2),
            office("O3", "V3", "S2", true, 3),
            office("O4", "V4", "S2", true, 3),
        ];
        let r = office_coverage(&tree, &offices, None);
        assert_eq!(
            (r.total.communities, r.total.with_office, r.total.offices),
            (4, 3, 4)
        );
        assert_eq!(r.total.share, 0.75);
        assert_eq!(r.total.co_located_share, 0.75);
        assert_eq!(r.total.without_office, vec!["V2".to_string()]);
        let s1 = r.by_station.iter().find(|s| s.id == "S1").unwrap();
        assert_eq!((s1.communities, s1.with_office, s1.share), (2, 1, 0.5));
        assert_eq!(r.by_bureau[0].share, 0.75);
        // A station's view holds only its own figures.
        let r = office_coverage(&tree, &offices, Some("S2"));
        assert_eq!((r.total.communities, r.total.with_office), (2, 2));
        assert_eq!(r.by_station.len(), 1);
        assert_eq!(
            r.by_bureau[0].communities, 2,
            "the bureau row counts only what the scope sees"
        );
    }
}
