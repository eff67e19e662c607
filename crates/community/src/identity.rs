//! The keys an identity check (核查身份) looks people up by: a resident
//! identity number in its one 18-character form (15-character numbers of
//! the first generation converted), a phone number as dialled within the
//! mainland, a name folded for exact and prefix matching. Pure: strings in,
//! keys or a reason out; the store indexes the keys, the server searches.

use std::fmt;

/// ISO 7064 MOD 11-2 weights of the first 17 digits (GB 11643-1999).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder.
const CHECK: &[u8; 11] = b"10X98765432";

/// Why a text is not a resident identity number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdNumberError {
    /// Neither 15 nor 18 characters.
    Length(usize),
    /// A character that is not a digit (the 18th may be `X`).
    NotDigit(usize),
    /// The date of birth (characters 7 to 14) is no real date.
    BirthDate(String),
    /// The 18th character is not the check character of the first 17.
    CheckDigit {
        /// What the first 17 call for.
        expected: char,
        /// What was given.
        given: char,
    },
}

impl fmt::Display for IdNumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdNumberError::Length(n) => write!(
                f,
                "an identity number has 18 characters (or 15 in the first-generation form), got {n}"
            ),
            IdNumberError::NotDigit(i) => write!(
                f,
                "character {} is not a digit (only the 18th may be X)",
                i + 1
            ),
            IdNumberError::BirthDate(d) => {
                write!(f, "the date of birth {d} is not a real date")
            }
            IdNumberError::CheckDigit { expected, given } => write!(
                f,
                "the check character is {given}, but the first 17 digits call for {expected}: a digit is mistyped"
            ),
        }
    }
}

impl std::error::Error for IdNumberError {}

/// The check character of 17 digits.
pub fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    char::from(CHECK[(sum % 11) as usize])
}

fn leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

/// Whether `yyyymmdd` (8 ASCII digits) is a real date from 1800 on.
fn real_date(d: &[u8]) -> bool {
    let n = |r: std::ops::Range<usize>| {
        d[r].iter()
            .fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'))
    };
    let (y, m, day) = (n(0..4), n(4..6), n(6..8));
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap(y) => 29,
        2 => 28,
        _ => return false,
    };
    y >= 1800 && (1..=days).contains(&day)
}

/// A resident identity number in its 18-character form: spaces and
/// hyphens ignored, `x` upper-cased, a 15-character number converted (its
/// year of birth gains `19`, a check character is added), the date of
/// birth and the check character verified.
pub fn normalise_id_number(s: &str) -> Result<String, IdNumberError> {
    let b: Vec<u8> = s
        .bytes()
        .filter(|c| !matches!(c, b' ' | b'-'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    match b.len() {
        15 => {
            if let Some(i) = b.iter().position(|c| !c.is_ascii_digit()) {
                return Err(IdNumberError::NotDigit(i));
            }
            let mut full = Vec::with_capacity(18);
            full.extend_from_slice(&b[..6]);
            full.extend_from_slice(b"19");
            full.extend_from_slice(&b[6..]);
            if !real_date(&full[6..14]) {
                return Err(IdNumberError::BirthDate(ascii(&full[6..14])));
            }
            let check = check_char(&full);
            full.push(check as u8);
            Ok(ascii(&full))
        }
        18 => {
            if let Some(i) = b[..17].iter().position(|c| !c.is_ascii_digit()) {
                return Err(IdNumberError::NotDigit(i));
            }
            if !b[17].is_ascii_digit() && b[17] != b'X' {
                return Err(IdNumberError::NotDigit(17));
            }
            if !real_date(&b[6..14]) {
                return Err(IdNumberError::BirthDate(ascii(&b[6..14])));
            }
            let expected = check_char(&b[..17]);
            if char::from(b[17]) != expected {
                return Err(IdNumberError::CheckDigit {
                    expected,
                    given: char::from(b[17]),
                });
            }
            Ok(ascii(&b))
        }
        n => Err(IdNumberError::Length(n)),
    }
}

fn ascii(b: &[u8]) -> String {
    b.iter().map(|&c| char::from(c)).collect()
}

/// A phone number as dialled within the mainland, digits only: `+86`,
/// `0086` or `86` before a mobile number dropped, spaces, hyphens, dots and
/// brackets ignored. `None` for text that is no phone number (letters, too
/// few or too many digits).
pub fn normalise_phone(s: &str) -> Option<String> {
    let s = s.trim();
    let (plus, rest) = match s.strip_prefix('+') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '（' | '）' => {}
            _ => return None,
        }
    }
    let national = if plus {
        digits.strip_prefix("86")?.to_string()
    } else if let Some(r) = digits.strip_prefix("0086") {
        r.to_string()
    } else if digits.len() == 13 && digits.starts_with("861") {
        digits[2..].to_string()
    } else {
        digits
    };
    // A landline written after +86 drops its trunk 0: put it back.
    let national = if plus && !national.starts_with('1') && !national.starts_with('0') {
        format!("0{national}")
    } else {
        national
    };
    let mobile = national.len() == 11 && national.starts_with('1');
    // Short service numbers (110, 12345) and landlines with or without area code.
    let other = (3..=12).contains(&national.len()) && !national.starts_with('1')
        || matches!(national.len(), 3..=5);
    (mobile || other).then_some(national)
}

/// A name as compared: case folded, spaces and the middle dots of
/// transcribed names (·, •, ‧, ・) dropped, full-width Latin letters and
/// digits made half-width. 张 三 and 张三 are one name; so are "Li Na" and
/// "LINA", and 阿卜杜·热合曼 and 阿卜杜热合曼.
pub fn name_key(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '·' | '•' | '‧' | '・' | '.'))
        .map(|c| match c {
            // Full-width ASCII forms.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// What a key is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyKind {
    /// A resident identity number, 18-character form.
    IdNumber,
    /// A phone number, as [`normalise_phone`] gives it.
    Phone,
    /// A name, as [`name_key`] folds it.
    Name,
}

impl KeyKind {
    /// As stored: `id_number`, `phone`, `name`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::IdNumber => "id_number",
            KeyKind::Phone => "phone",
            KeyKind::Name => "name",
        }
    }
}

/// One key a record is found by in an identity check: the store indexes
/// these beside the record, so a search is a look-up, not a scan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PersonKey {
    /// What it is.
    pub kind: KeyKind,
    /// The normalised key.
    pub value: String,
    /// Where in the record (`name`, `tenants[1].id_number`, ...), to say
    /// which person of the record matched.
    pub field: String,
}

impl PersonKey {
    /// The key of `raw` as a `kind`, if it is one (a phone that is no
    /// phone, an empty name: none).
    pub fn of(kind: KeyKind, raw: &str, field: impl Into<String>) -> Option<PersonKey> {
        let value = match kind {
            KeyKind::IdNumber => normalise_id_number(raw).ok()?,
            KeyKind::Phone => normalise_phone(raw)?,
            KeyKind::Name => Some(name_key(raw)).filter(|k| !k.is_empty())?,
        };
        Some(PersonKey {
            kind,
            value,
            field: field.into(),
        })
    }
}

/// What an identity check's query is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonQuery {
    /// A resident identity number, normalised.
    IdNumber(String),
    /// A phone number, normalised.
    Phone(String),
    /// A name (or its beginning), as [`name_key`] folds it.
    Name(String),
}

/// Why a query cannot be searched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// Nothing to search for.
    Empty,
    /// Too long to be an ID number, phone or name.
    TooLong(usize),
    /// Looks like an identity number (15 or 18 characters, digits) but is
    /// not one.
    IdNumber(IdNumberError),
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::Empty => f.write_str("give an identity number, a phone number or a name"),
            QueryError::TooLong(n) => write!(f, "at most 50 characters, got {n}"),
            QueryError::IdNumber(e) => write!(f, "not a valid identity number: {e}"),
        }
    }
}

impl std::error::Error for QueryError {}

/// Reads what an identity check was given: all digits (an `X` last) of 15
/// or 18 is an identity number, which must then be valid; other digits
/// (with `+`, spaces or hyphens) a phone number; anything else a name.
pub fn classify(q: &str) -> Result<PersonQuery, QueryError> {
    let q = q.trim();
    let n = q.chars().count();
    if n == 0 {
        return Err(QueryError::Empty);
    }
    if n > 50 {
        return Err(QueryError::TooLong(n));
    }
    let compact: String = q.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    // Region codes start 1 to 8; 0086… is a phone number.
    let idish = matches!(compact.len(), 15 | 18)
        && !compact.starts_with('0')
        && compact
            .char_indices()
            .all(|(i, c)| c.is_ascii_digit() || (i == 17 && matches!(c, 'x' | 'X')));
    if idish {
        return normalise_id_number(&compact)
            .map(PersonQuery::IdNumber)
            .map_err(QueryError::IdNumber);
    }
    if let Some(p) = normalise_phone(q) {
        return Ok(PersonQuery::Phone(p));
    }
    let key = name_key(q);
    if key.is_empty() {
        return Err(QueryError::Empty);
    }
    Ok(PersonQuery::Name(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn eighteen_character_numbers_are_checked() {
        assert_eq!(
            normalise_id_number("11010519491231002x").unwrap(),
            "11010519491231002X"
        );
        assert_eq!(
            normalise_id_number("110105 19491231 002X").unwrap(),
            "11010519491231002X"
        );
        assert_eq!(
            normalise_id_number("110105194912310021"),
            Err(IdNumberError::CheckDigit {
                expected: 'X',
                given: '1'
            })
        );
        assert!(matches!(
            normalise_id_number("110105194902300021"),
            Err(IdNumberError::BirthDate(d)) if d == "19490230"
        ));
        assert_eq!(
            normalise_id_number("1101051949123100"),
            Err(IdNumberError::Length(16))
        );
        assert_eq!(
            normalise_id_number("11010519491231A02X"),
            Err(IdNumberError::NotDigit(14))
        );
    }

    #[test]
    fn fifteen_character_numbers_become_eighteen() {
        // 110105491231002 is the first-generation form of 11010519491231002X.
        assert_eq!(
            normalise_id_number("110105491231002").unwrap(),
            "11010519491231002X"
        );
        assert!(matches!(
            normalise_id_number("110105491331002"),
            Err(IdNumberError::BirthDate(_))
        ));
    }

    #[test]
    fn the_message_says_what_to_fix() {
        let e = normalise_id_number("110105194912310021").unwrap_err();
        assert!(e.to_string().contains("call for X"), "{e}");
    }

    #[test]
    fn phones_are_dialled_within_the_mainland() {
        for (given, want) in [
            ("138 0013 8000", Some("13800138000")),
            ("+86 138-0013-8000", Some("13800138000")),
            ("008613800138000", Some("13800138000")),
            ("8613800138000", Some("13800138000")),
            ("0512-6525 1234", Some("051265251234")),
            ("+86 512 6525 1234", Some("051265251234")),
            ("(0512) 65251234", Some("051265251234")),
            ("65251234", Some("65251234")),
            ("110", Some("110")),
            ("12345", Some("12345")),
            ("+1 415 555 0100", None),
            ("1380013800", None),
            ("phone", None),
            ("12", None),
        ] {
            assert_eq!(normalise_phone(given).as_deref(), want, "{given}");
        }
    }

    #[test]
    fn names_fold() {
        assert_eq!(name_key(" 张 三 "), "张三");
        assert_eq!(name_key("Li Na"), name_key("LINA"));
        assert_eq!(name_key("阿卜杜·热合曼"), "阿卜杜热合曼");
        assert_eq!(name_key("ＬＩ　Ｎａ"), "lina");
    }

    #[test]
    fn queries_are_classified() {
        assert_eq!(
            classify("11010519491231002x"),
            Ok(PersonQuery::IdNumber("11010519491231002X".into()))
        );
        assert_eq!(
            classify("110105491231002"),
            Ok(PersonQuery::IdNumber("11010519491231002X".into()))
        );
        assert!(matches!(
            classify("110105194912310021"),
            Err(QueryError::IdNumber(IdNumberError::CheckDigit { .. }))
        ));
        assert_eq!(
            classify("+86 138 0013 8000"),
            Ok(PersonQuery::Phone("13800138000".into()))
        );
        assert_eq!(
            classify("0086 138 0013 8000"),
            Ok(PersonQuery::Phone("13800138000".into()))
        );
        assert_eq!(classify("张"), Ok(PersonQuery::Name("张".into())));
        assert_eq!(
            classify("Wang Fang"),
            Ok(PersonQuery::Name("wangfang".into()))
        );
        assert_eq!(classify("  "), Err(QueryError::Empty));
        assert_eq!(classify(&"名".repeat(51)), Err(QueryError::TooLong(51)));
    }

    /// 17 digits: a region, a real date from 1900 to 2099, a sequence.
    fn first17() -> impl Strategy<Value = String> {
        (
            100_000u32..999_999,
            1900u32..2100,
            1u32..13,
            1u32..29,
            0u32..1000,
        )
            .prop_map(|(region, y, m, d, seq)| format!("{region:06}{y:04}{m:02}{d:02}{seq:03}"))
    }

    proptest! {
        // GB 11643's check character (computed here by its definition: the
        // weighted sum plus the check's value is 1 modulo 11) is the one
        // number accepted, and any single changed digit is refused.
        #[test]
        fn the_check_character_is_gb_11643s(body in first17(), at in 0usize..17, by in 1u8..10) {
            let sum: u32 = body.bytes().zip(WEIGHTS).map(|(c, w)| u32::from(c - b'0') * w).sum();
            let value = (12 - sum % 11) % 11;
            let check = if value == 10 { 'X' } else { char::from_digit(value, 10).unwrap() };
            let good = format!("{body}{check}");
            prop_assert_eq!(normalise_id_number(&good), Ok(good.clone()));
            let mut bad = good.into_bytes();
            bad[at] = b'0' + (bad[at] - b'0' + by) % 10;
            let bad = String::from_utf8(bad).unwrap();
            // A changed date digit may make the date unreal: refused all the same.
            prop_assert!(normalise_id_number(&bad).is_err(), "{} accepted", bad);
        }

        // A first-generation number and its 18-character form are one key.
        #[test]
        fn fifteen_and_eighteen_agree(body in first17().prop_filter("19xx births", |b| &b[6..8] == "19")) {
            let old = format!("{}{}", &body[..6], &body[8..]);
            let new = format!("{body}{}", check_char(body.as_bytes()));
            prop_assert_eq!(normalise_id_number(&old), Ok(new));
        }
    }
}
