//! Registers of personal data kept by community officers. Each register
//! states its legal basis, its purpose and how long a record is kept; a
//! record not updated within that period is purged. Reads of a record are
//! audited with the reason given (the server enforces it).
//!
//! First register: key persons (重点人员).

use dispatch::time::DAY_MS;
use serde::{Deserialize, Serialize};

use crate::CommunityError;

/// A register of personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Register {
    /// Record kind in the store.
    pub kind: &'static str,
    /// Legal basis for keeping it.
    pub legal_basis: &'static str,
    /// What it is for.
    pub purpose: &'static str,
    /// Days a record is kept after its last update.
    pub retention_days: u32,
}

/// The key persons register.
pub const KEY_PERSONS: Register = Register {
    kind: "key_person",
    legal_basis: "《中华人民共和国人民警察法》第六条; 《公安派出所执法执勤工作规范》 (People's Police Law art. 6; station duty rules)",
    purpose: "community safety follow-up of persons under management (社区矫正, 刑满释放, 重性精神障碍, 吸毒) by the responsible community officer",
    retention_days: 3 * 365,
};

/// Categories of key persons.
pub const KEY_PERSON_CATEGORIES: [&str; 5] = [
    "community_correction",
    "released_prisoner",
    "severe_mental_disorder",
    "drug_user",
    "other",
];

/// A key person (重点人员).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyPerson {
    /// Identifier.
    pub id: String,
    /// Community or village.
    pub community_id: String,
    /// Full name.
    pub name: String,
    /// Resident identity card number (18 characters).
    pub id_number: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// One of [`KEY_PERSON_CATEGORIES`].
    pub category: String,
    /// Why the person is listed.
    pub reason: String,
    /// Responsible officer.
    pub officer: String,
    /// Next follow-up visit due (ms).
    pub next_visit_due: Option<i64>,
    /// Created (ms).
    pub created_at: i64,
    /// Last updated (ms): retention counts from here.
    pub updated_at: i64,
}

impl KeyPerson {
    /// The keys an identity check finds the person by.
    pub fn person_keys(&self) -> Vec<crate::identity::PersonKey> {
        use crate::identity::{KeyKind, PersonKey};
        let mut keys: Vec<PersonKey> = PersonKey::of(KeyKind::Name, &self.name, "name")
            .into_iter()
            .chain(
                self.id_number
                    .as_deref()
                    .and_then(|n| PersonKey::of(KeyKind::IdNumber, n, "id_number")),
            )
            .collect();
        keys.sort();
        keys
    }
}

/// What an officer submits.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKeyPerson {
    /// Community or village.
    pub community_id: String,
    /// Full name.
    pub name: String,
    /// Resident identity card number.
    pub id_number: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Category.
    pub category: String,
    /// Why listed.
    pub reason: String,
    /// Next follow-up visit due (RFC 3339 is parsed by the caller; ms here).
    pub next_visit_due: Option<i64>,
}

/// Checks a mainland resident identity number in its 18-character form:
/// 17 digits with a real date of birth and a check character (ISO 7064
/// MOD 11-2, [`crate::identity`]).
pub fn valid_id_number(s: &str) -> bool {
    s.len() == 18 && crate::identity::normalise_id_number(s).is_ok()
}

/// The number with all but the first 3 and last 2 characters hidden.
pub fn mask_id_number(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 6 {
        return "*".repeat(chars.len());
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < 3 || i >= chars.len() - 2 {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

impl KeyPerson {
    /// A new record.
    pub fn new(
        id: String,
        input: NewKeyPerson,
        officer: &str,
        now: i64,
    ) -> Result<KeyPerson, CommunityError> {
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 50 {
            return Err(CommunityError::invalid("name", "1 to 50 characters"));
        }
        if !KEY_PERSON_CATEGORIES.contains(&input.category.as_str()) {
            return Err(CommunityError::invalid(
                "category",
                format!(
                    "unknown category {:?}; expected one of {}",
                    input.category,
                    KEY_PERSON_CATEGORIES.join(", ")
                ),
            ));
        }
        if input.reason.trim().is_empty() {
            return Err(CommunityError::invalid(
                "reason",
                "say why the person is listed",
            ));
        }
        let id_number = match &input.id_number {
            Some(n) => Some(crate::identity::normalise_id_number(n).map_err(|e| {
                CommunityError::invalid(
                    "id_number",
                    format!("not a valid resident identity number: {e}"),
                )
            })?),
            None => None,
        };
        Ok(KeyPerson {
            id,
            community_id: input.community_id,
            name: name.into(),
            id_number,
            address: input.address,
            category: input.category,
            reason: input.reason.trim().into(),
            officer: officer.into(),
            next_visit_due: input.next_visit_due,
            created_at: now,
            updated_at: now,
        })
    }

    /// What lists show without an audited read: no identity number, no
    /// address, the name reduced to its first character.
    pub fn summary(&self) -> KeyPersonSummary {
        let initial: String = self.name.chars().take(1).collect();
        KeyPersonSummary {
            id: self.id.clone(),
            community_id: self.community_id.clone(),
            name: format!("{initial}**"),
            category: self.category.clone(),
            officer: self.officer.clone(),
            next_visit_due: self.next_visit_due,
            updated_at: self.updated_at,
        }
    }
}

/// A key person as a list shows them (see [`KeyPerson::summary`]).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyPersonSummary {
    /// Record id.
    pub id: String,
    /// Community or village.
    pub community_id: String,
    /// The name's first character and `**`.
    pub name: String,
    /// Category.
    pub category: String,
    /// Responsible officer.
    pub officer: String,
    /// Next visit due (ms).
    pub next_visit_due: Option<i64>,
    /// Last change (ms).
    pub updated_at: i64,
}

/// Whether a record last updated at `updated_at` has outlived the register's
/// retention period at `now`.
pub fn expired(register: &Register, updated_at: i64, now: i64) -> bool {
    now - updated_at > register.retention_days as i64 * DAY_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_numbers() {
        // GB 11643 example number.
        assert!(valid_id_number("11010519491231002X"));
        assert!(valid_id_number("11010519491231002x"));
        assert!(!valid_id_number("110105194912310021"));
        assert!(!valid_id_number("1101051949123100"));
        assert_eq!(mask_id_number("11010519491231002X"), "110*************2X");
    }

    #[test]
    fn records_and_retention() {
        let input = NewKeyPerson {
            community_id: "V1".into(),
            name: "王小明".into(),
            id_number: Some("11010519491231002X".into()),
            category: "released_prisoner".into(),
            reason: "刑满释放, 安置帮教".into(),
            ..Default::default()
        };
        let p = KeyPerson::new("K1".into(), input.clone(), "officer", 1_000).unwrap();
        assert_eq!(p.summary().name, "王**");
        let bad = NewKeyPerson {
            id_number: Some("110105194912310021".into()),
            ..input.clone()
        };
        assert!(
            KeyPerson::new("K2".into(), bad, "o", 0)
                .unwrap_err()
                .to_string()
                .contains("id_number")
        );
        let bad = NewKeyPerson {
            category: "suspect".into(),
            ..input
        };
        assert!(
            KeyPerson::new("K2".into(), bad, "o", 0)
                .unwrap_err()
                .to_string()
                .contains("category")
        );
        let day = DAY_MS;
        assert!(!expired(&KEY_PERSONS, 0, 3 * 365 * day));
        assert!(expired(&KEY_PERSONS, 0, 3 * 365 * day + 1));
    }
}
