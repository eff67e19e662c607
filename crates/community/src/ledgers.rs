//! Ledgers (台账) described as data: each ledger is a register (legal basis,
//! purpose, retention), a list of typed fields with how much of each a list
//! may show, and an optional workflow (statuses, actions, timers). One set of
//! rules then validates, summarises and advances every ledger: residents,
//! rental housing, floating population, regulated venues and their
//! inspections, the 365x24 service (lost property, found items, missing
//! persons, livelihood requests), 1+X+N staffing and community days.
//!
//! Disputes, key persons and case transfers have richer rules of their own
//! (`dispute`, `ledger`, `transfer`).

use dispatch::time::DAY_MS;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::CommunityError;
use crate::filing::ADDRESS_CODE;
use crate::ledger::{Register, mask_id_number};

/// What a value must be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldKind {
    /// Free text up to `max` characters.
    Text {
        /// Longest accepted.
        max: usize,
    },
    /// A mainland resident identity number (check digit verified).
    IdNumber,
    /// A phone number: 5 to 20 digits, spaces, `+` or `-`.
    Phone,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// One of the listed codes.
    Choice {
        /// The codes.
        options: &'static [&'static str],
    },
    /// A whole number in a range.
    Int {
        /// Smallest.
        min: i64,
        /// Largest.
        max: i64,
    },
    /// True or false.
    Bool,
    /// People with dates: `[{name, id_number?, from, to?}]` (tenants).
    People,
    /// Teams with sizes: `[{name, size}]` (volunteer teams).
    Teams,
}

/// How much of a field a list (no audited read) shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// As is.
    Yes,
    /// Reduced: names to their first character, numbers to their ends.
    Masked,
    /// Not at all.
    No,
}

/// A field of a ledger.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    /// Name in the JSON record.
    pub name: &'static str,
    /// What the value must be.
    pub kind: FieldKind,
    /// Must be given.
    pub required: bool,
    /// What lists show.
    pub shown: Shown,
}

const fn f(name: &'static str, kind: FieldKind, required: bool, shown: Shown) -> Field {
    Field {
        name,
        kind,
        required,
        shown,
    }
}

/// An action of a workflow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Action {
    /// Name.
    pub name: &'static str,
    /// Statuses it may be taken from.
    pub from: &'static [&'static str],
    /// Status after it (`None`: unchanged).
    pub to: Option<&'static str>,
    /// A note must be given.
    pub needs_note: bool,
    /// The result must be one of these (empty: no result).
    pub results: &'static [&'static str],
    /// Links to another record of this kind (`link`): a match.
    pub links: Option<&'static str>,
    /// Sets the next due date this many days ahead (`Some(0)` clears it).
    pub due_days: Option<u32>,
    /// Drops the link (undoing a match).
    pub unlinks: bool,
    /// Taken on the linked record too (a match, its undoing, a return).
    pub both_sides: bool,
}

const fn act(
    name: &'static str,
    from: &'static [&'static str],
    to: Option<&'static str>,
    needs_note: bool,
) -> Action {
    Action {
        name,
        from,
        to,
        needs_note,
        results: &[],
        links: None,
        due_days: None,
        unlinks: false,
        both_sides: false,
    }
}

/// Statuses, actions and the time allowed to close.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Workflow {
    /// Status of a new record.
    pub initial: &'static str,
    /// Statuses that end the record's work.
    pub closed: &'static [&'static str],
    /// Actions.
    pub actions: &'static [Action],
    /// Hours allowed from registration to a closed status (`None`: no timer).
    pub close_within_hours: Option<u32>,
    /// Days until the first due date (inspection, visit) of a new record.
    pub first_due_days: Option<u32>,
}

/// A ledger.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ledger {
    /// Register: kind, legal basis, purpose, retention.
    pub register: Register,
    /// Holds personal data: full reads need a reason and are audited.
    pub personal: bool,
    /// At most one record per community (its id is the community id).
    pub one_per_community: bool,
    /// Part of the 365x24 service.
    pub service: bool,
    /// Fields.
    pub fields: &'static [Field],
    /// Workflow.
    pub workflow: Option<Workflow>,
}

const DUTY: &str = "《中华人民共和国人民警察法》第六条; 《公安派出所执法执勤工作规范》 (People's Police Law art. 6; station duty rules)";

use FieldKind::*;
use Shown::{Masked, No, Yes};

/// Residents (实有人口: 常住人口).
pub const RESIDENTS: Ledger = Ledger {
    register: Register {
        kind: "resident",
        legal_basis: "《中华人民共和国户口登记条例》; 《中华人民共和国居民身份证法》 (Household Registration Regulations; Resident Identity Card Law)",
        purpose: "basic information collection (基础信息采集) of residents for community policing and finding people in emergencies",
        retention_days: 3 * 365,
    },
    personal: true,
    one_per_community: false,
    service: false,
    fields: &[
        f("name", Text { max: 50 }, true, Masked),
        f("id_number", IdNumber, false, Masked),
        f(
            "gender",
            Choice {
                options: &["male", "female"],
            },
            false,
            Yes,
        ),
        f("birth_date", Date, false, No),
        f("address", Text { max: 200 }, true, No),
        // The standard address (标准地址编码) joining the record to the places register.
        f(ADDRESS_CODE, Text { max: 64 }, false, Yes),
        f("phone", Phone, false, Masked),
        f(
            "household",
            Choice {
                options: &["registered", "resident_not_registered", "overseas"],
            },
            true,
            Yes,
        ),
    ],
    workflow: None,
};

/// Rental housing (出租房屋) with landlord and tenants; checked every 90 days.
pub const RENTAL_HOUSING: Ledger = Ledger {
    register: Register {
        kind: "rental_housing",
        legal_basis: "《租赁房屋治安管理规定》 (Rental Housing Public Security Regulations)",
        purpose: "registration of rented homes, landlords and tenants; safety checks of rented housing",
        retention_days: 3 * 365,
    },
    personal: true,
    one_per_community: false,
    service: false,
    fields: &[
        f("address", Text { max: 200 }, true, Yes),
        // The standard address (标准地址编码) joining the record to the places register.
        f(ADDRESS_CODE, Text { max: 64 }, false, Yes),
        f("landlord", Text { max: 50 }, true, Masked),
        f("landlord_phone", Phone, false, Masked),
        f("landlord_id_number", IdNumber, false, No),
        f("rooms", Int { min: 1, max: 500 }, false, Yes),
        f("tenants", People, false, Masked),
        f("registered_on", Date, true, Yes),
    ],
    workflow: Some(Workflow {
        initial: "let",
        closed: &["withdrawn"],
        actions: &[
            Action {
                results: &["pass", "rectify", "violation"],
                due_days: Some(90),
                ..act("inspect", &["let", "vacant"], None, false)
            },
            act("vacant", &["let"], Some("vacant"), false),
            act("let", &["vacant"], Some("let"), false),
            Action {
                due_days: Some(0),
                ..act("withdraw", &["let", "vacant"], Some("withdrawn"), true)
            },
        ],
        close_within_hours: None,
        first_due_days: Some(90),
    }),
};

/// Floating population (流动人口) registrations.
pub const FLOATING_POPULATION: Ledger = Ledger {
    register: Register {
        kind: "floating_population",
        legal_basis: "《居住证暂行条例》 (Interim Regulations on Residence Permits)",
        purpose: "registration of residents from elsewhere and their residence permits",
        retention_days: 2 * 365,
    },
    personal: true,
    one_per_community: false,
    service: false,
    fields: &[
        f("name", Text { max: 50 }, true, Masked),
        f("id_number", IdNumber, false, Masked),
        f("origin", Text { max: 100 }, true, Yes),
        f("address", Text { max: 200 }, true, No),
        // The standard address (标准地址编码) joining the record to the places register.
        f(ADDRESS_CODE, Text { max: 64 }, false, Yes),
        f("phone", Phone, false, Masked),
        f("occupation", Text { max: 50 }, false, Yes),
        f("registered_on", Date, true, Yes),
        f("permit_expires", Date, false, Yes),
    ],
    workflow: Some(Workflow {
        initial: "registered",
        closed: &["moved_out"],
        actions: &[act("move_out", &["registered"], Some("moved_out"), false)],
        close_within_hours: None,
        first_due_days: None,
    }),
};

/// Regulated venues (治安管理场所): hotels, internet cafes, entertainment;
/// inspected at least every 30 days.
pub const VENUES: Ledger = Ledger {
    register: Register {
        kind: "venue",
        legal_basis: "《旅馆业治安管理办法》; 《互联网上网服务营业场所管理条例》; 《娱乐场所管理条例》",
        purpose: "registry and inspection of hotels, internet cafes and entertainment venues",
        retention_days: 5 * 365,
    },
    personal: false,
    one_per_community: false,
    service: false,
    fields: &[
        f("name", Text { max: 100 }, true, Yes),
        f(
            "category",
            Choice {
                options: &["hotel", "internet_cafe", "entertainment", "other"],
            },
            true,
            Yes,
        ),
        f("address", Text { max: 200 }, true, Yes),
        // The standard address (标准地址编码) joining the record to the places register.
        f(ADDRESS_CODE, Text { max: 64 }, false, Yes),
        f("licence", Text { max: 50 }, false, Yes),
        f("manager", Text { max: 50 }, false, Yes),
        f("phone", Phone, false, Yes),
    ],
    workflow: Some(Workflow {
        initial: "open",
        closed: &["closed"],
        actions: &[
            Action {
                results: &["pass", "rectify", "violation"],
                due_days: Some(30),
                ..act("inspect", &["open", "suspended"], None, false)
            },
            act("suspend", &["open"], Some("suspended"), true),
            act("reopen", &["suspended"], Some("open"), false),
            Action {
                due_days: Some(0),
                ..act("close", &["open", "suspended"], Some("closed"), true)
            },
        ],
        close_within_hours: None,
        first_due_days: Some(30),
    }),
};

const ITEM_CATEGORIES: &[&str] = &[
    "phone",
    "wallet",
    "documents",
    "bag",
    "keys",
    "cash",
    "bicycle",
    "other",
];

/// Lost property reported by its owner (失物登记); matched with found items.
pub const LOST_PROPERTY: Ledger = Ledger {
    register: Register {
        kind: "lost_property",
        legal_basis: DUTY,
        purpose: "365x24 service: registering lost property and returning it to its owner",
        retention_days: 365,
    },
    personal: true,
    one_per_community: false,
    service: true,
    fields: &[
        f("item", Text { max: 100 }, true, Yes),
        f(
            "category",
            Choice {
                options: ITEM_CATEGORIES,
            },
            true,
            Yes,
        ),
        f("description", Text { max: 500 }, true, Yes),
        f("lost_on", Date, true, Yes),
        f("place", Text { max: 200 }, false, Yes),
        f("owner", Text { max: 50 }, true, Masked),
        f("owner_phone", Phone, true, Masked),
    ],
    workflow: Some(Workflow {
        initial: "registered",
        closed: &["returned", "closed"],
        actions: &[
            Action {
                links: Some("found_item"),
                both_sides: true,
                ..act("match", &["registered"], Some("matched"), false)
            },
            Action {
                unlinks: true,
                both_sides: true,
                ..act("unmatch", &["matched"], Some("registered"), true)
            },
            Action {
                both_sides: true,
                ..act("return", &["matched"], Some("returned"), false)
            },
            act("close", &["registered", "matched"], Some("closed"), true),
        ],
        close_within_hours: Some(15 * 24),
        first_due_days: None,
    }),
};

/// Items handed in (拾物登记); kept until claimed.
pub const FOUND_ITEMS: Ledger = Ledger {
    register: Register {
        kind: "found_item",
        legal_basis: DUTY,
        purpose: "365x24 service: keeping handed-in items and returning them to their owners",
        retention_days: 365,
    },
    personal: true,
    one_per_community: false,
    service: true,
    fields: &[
        f("item", Text { max: 100 }, true, Yes),
        f(
            "category",
            Choice {
                options: ITEM_CATEGORIES,
            },
            true,
            Yes,
        ),
        f("description", Text { max: 500 }, true, Yes),
        f("found_on", Date, true, Yes),
        f("place", Text { max: 200 }, false, Yes),
        f("finder", Text { max: 50 }, false, Masked),
        f("finder_phone", Phone, false, Masked),
    ],
    workflow: Some(Workflow {
        initial: "held",
        closed: &["returned", "disposed"],
        actions: &[
            Action {
                links: Some("lost_property"),
                both_sides: true,
                ..act("match", &["held"], Some("matched"), false)
            },
            Action {
                unlinks: true,
                both_sides: true,
                ..act("unmatch", &["matched"], Some("held"), true)
            },
            Action {
                both_sides: true,
                ..act("return", &["matched", "held"], Some("returned"), false)
            },
            act("dispose", &["held"], Some("disposed"), true),
        ],
        close_within_hours: Some(30 * 24),
        first_due_days: None,
    }),
};

/// Missing persons (走失人员查找).
pub const MISSING_PERSONS: Ledger = Ledger {
    register: Register {
        kind: "missing_person",
        legal_basis: DUTY,
        purpose: "365x24 service: searching for missing persons (elderly, children, people with dementia)",
        retention_days: 2 * 365,
    },
    personal: true,
    one_per_community: false,
    service: true,
    fields: &[
        f("name", Text { max: 50 }, true, Masked),
        f("age", Int { min: 0, max: 120 }, true, Yes),
        f(
            "gender",
            Choice {
                options: &["male", "female"],
            },
            false,
            Yes,
        ),
        f("description", Text { max: 500 }, true, Yes),
        f("last_seen_on", Date, true, Yes),
        f("last_seen_place", Text { max: 200 }, true, Yes),
        f("reporter", Text { max: 50 }, true, Masked),
        f("reporter_phone", Phone, true, Masked),
    ],
    workflow: Some(Workflow {
        initial: "reported",
        closed: &["found", "closed"],
        actions: &[
            act(
                "search",
                &["reported", "searching"],
                Some("searching"),
                true,
            ),
            act("found", &["reported", "searching"], Some("found"), true),
            act("close", &["reported", "searching"], Some("closed"), true),
        ],
        close_within_hours: Some(72),
        first_due_days: None,
    }),
};

/// Minor livelihood requests (民生求助): help that is not a crime.
pub const LIVELIHOOD: Ledger = Ledger {
    register: Register {
        kind: "livelihood",
        legal_basis: DUTY,
        purpose: "365x24 service: help to residents (elderly, locked out, utilities, noise, lost children)",
        retention_days: 365,
    },
    personal: true,
    one_per_community: false,
    service: true,
    fields: &[
        f(
            "category",
            Choice {
                options: &[
                    "elderly",
                    "locked_out",
                    "utilities",
                    "noise",
                    "lost_child",
                    "traffic",
                    "other",
                ],
            },
            true,
            Yes,
        ),
        f("description", Text { max: 500 }, true, Yes),
        f("requester", Text { max: 50 }, true, Masked),
        f("phone", Phone, false, Masked),
        f("address", Text { max: 200 }, false, No),
    ],
    workflow: Some(Workflow {
        initial: "open",
        closed: &["closed"],
        actions: &[
            act("start", &["open"], Some("in_progress"), false),
            act("close", &["open", "in_progress"], Some("closed"), true),
        ],
        close_within_hours: Some(24),
        first_due_days: None,
    }),
};

/// "1+X+N" staffing of a community or village: the community officer (1),
/// auxiliary officers (X), grid workers (N), volunteer teams; the officer's
/// post in the village committee ("into the two committees").
pub const STAFFING: Ledger = Ledger {
    register: Register {
        kind: "staffing",
        legal_basis: "公安部 community policing rules (《关于实施社区警务战略的决定》)",
        purpose: "who works in each community: 1 community officer + X auxiliaries + N grid workers and volunteers",
        retention_days: 10 * 365,
    },
    personal: false,
    one_per_community: true,
    service: false,
    fields: &[
        f("officer", Text { max: 50 }, true, Yes),
        f("officer_phone", Phone, false, Yes),
        f("committee_post", Text { max: 50 }, false, Yes),
        f("auxiliaries", Int { min: 0, max: 100 }, true, Yes),
        f("grid_workers", Int { min: 0, max: 500 }, true, Yes),
        f("volunteer_teams", Teams, false, Yes),
    ],
    workflow: None,
};

/// Community days (下沉社区工作日): days an officer worked in the community.
pub const COMMUNITY_DAYS: Ledger = Ledger {
    register: Register {
        kind: "community_day",
        legal_basis: "公安部 community policing rules: community officers work in their community (target 3.5 days a week)",
        purpose: "logging and reporting community officers' days in their communities",
        retention_days: 3 * 365,
    },
    personal: false,
    one_per_community: false,
    service: false,
    fields: &[
        f("officer", Text { max: 50 }, true, Yes),
        f("date", Date, true, Yes),
        f("hours", Int { min: 1, max: 24 }, false, Yes),
        f("activities", Text { max: 500 }, false, Yes),
    ],
    workflow: None,
};

/// Every ledger described here.
pub const LEDGERS: [Ledger; 10] = [
    RESIDENTS,
    RENTAL_HOUSING,
    FLOATING_POPULATION,
    VENUES,
    LOST_PROPERTY,
    FOUND_ITEMS,
    MISSING_PERSONS,
    LIVELIHOOD,
    STAFFING,
    COMMUNITY_DAYS,
];

/// The ledger of a kind.
pub fn ledger(kind: &str) -> Option<&'static Ledger> {
    LEDGERS.iter().find(|l| l.register.kind == kind)
}

/// One workflow step taken on a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// When (ms).
    pub at: i64,
    /// Who.
    pub by: String,
    /// Which action.
    pub action: String,
    /// Status after it.
    pub status: String,
    /// Note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Result (inspections).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Linked record (matches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// A record of a ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Identifier.
    pub id: String,
    /// Ledger kind.
    pub kind: String,
    /// Community or village.
    pub community_id: String,
    /// Its police station.
    pub station_id: String,
    /// The validated fields.
    pub fields: Map<String, Value>,
    /// Workflow status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Workflow steps.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// Next due date (inspection, visit) (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<i64>,
    /// Reached a closed status (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<i64>,
    /// Linked record (a match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Registered by.
    pub created_by: String,
    /// Created (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
}

fn bad(field: &'static str, message: impl Into<String>) -> CommunityError {
    CommunityError::invalid(field, message)
}

fn valid_date(s: &str) -> bool {
    s.len() == 10
        && dispatch::time::parse_rfc3339(s)
            .is_some_and(|ms| dispatch::time::format_rfc3339(ms).starts_with(s))
}

fn valid_phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    (5..=20).contains(&digits)
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-'))
}

fn check_text(field: &'static str, v: &Value, max: usize) -> Result<Value, CommunityError> {
    let s = v
        .as_str()
        .ok_or_else(|| bad(field, "expected text"))?
        .trim();
    if s.is_empty() || s.chars().count() > max {
        return Err(bad(field, format!("1 to {max} characters")));
    }
    Ok(Value::String(s.into()))
}

fn check_value(field: &Field, v: &Value) -> Result<Value, CommunityError> {
    let name = field.name;
    match field.kind {
        Text { max } => check_text(name, v, max),
        // Kept in the 18-character form, so one key finds a person.
        IdNumber => match v.as_str() {
            Some(s) => crate::identity::normalise_id_number(s)
                .map(|n| json!(n))
                .map_err(|e| bad(name, format!("not a valid resident identity number: {e}"))),
            None => Err(bad(
                name,
                "a resident identity number as text (18 characters, or 15 in the first-generation form)",
            )),
        },
        Phone => match v.as_str() {
            Some(s) if valid_phone(s.trim()) => Ok(json!(s.trim())),
            _ => Err(bad(
                name,
                "expected a phone number: 5 to 20 digits, spaces, + or -",
            )),
        },
        Date => match v.as_str() {
            Some(s) if valid_date(s.trim()) => Ok(json!(s.trim())),
            _ => Err(bad(name, "expected a date YYYY-MM-DD")),
        },
        Choice { options } => match v.as_str() {
            Some(s) if options.contains(&s) => Ok(json!(s)),
            _ => Err(bad(
                name,
                format!("expected one of {}, got {v}", options.join(", ")),
            )),
        },
        Int { min, max } => match v.as_i64() {
            Some(n) if (min..=max).contains(&n) => Ok(json!(n)),
            _ => Err(bad(name, format!("expected a whole number {min} to {max}"))),
        },
        FieldKind::Bool => v
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| bad(name, "expected true or false")),
        People => {
            let list = v
                .as_array()
                .ok_or_else(|| bad(name, "expected a list of {name, id_number?, from, to?}"))?;
            if list.len() > 200 {
                return Err(bad(name, "at most 200 people"));
            }
            list.iter()
                .enumerate()
                .map(|(i, p)| {
                    let o = p.as_object().ok_or_else(|| {
                        bad(name, format!("person {}: expected an object", i + 1))
                    })?;
                    let mut out = Map::new();
                    for (k, val) in o {
                        let checked = match k.as_str() {
                            "name" => check_text(name, val, 50),
                            "id_number" => check_value(&f(name, IdNumber, false, No), val),
                            "from" | "to" => check_value(&f(name, Date, false, No), val),
                            other => Err(bad(
                                name,
                                format!(
                                    "unknown key {other:?}; expected name, id_number, from, to"
                                ),
                            )),
                        }
                        .map_err(|e| prefix(e, &format!("person {}: {k}: ", i + 1)))?;
                        out.insert(k.clone(), checked);
                    }
                    for k in ["name", "from"] {
                        if !out.contains_key(k) {
                            return Err(bad(name, format!("person {}: {k} is required", i + 1)));
                        }
                    }
                    Ok(Value::Object(out))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        Teams => {
            let list = v
                .as_array()
                .ok_or_else(|| bad(name, "expected a list of {name, size}"))?;
            list.iter()
                .enumerate()
                .map(|(i, t)| {
                    let team_name = t.get("name").map(|n| check_text(name, n, 50));
                    let size = t.get("size").and_then(Value::as_i64);
                    match (team_name, size, t.as_object().map(|o| o.len())) {
                        (Some(Ok(n)), Some(s), Some(2)) if (1..=10_000).contains(&s) => {
                            Ok(json!({"name": n, "size": s}))
                        }
                        _ => Err(bad(
                            name,
                            format!(
                                "team {}: expected {{\"name\": text, \"size\": 1 to 10000}}",
                                i + 1
                            ),
                        )),
                    }
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
    }
}

fn prefix(e: CommunityError, p: &str) -> CommunityError {
    match e {
        CommunityError::Invalid { field, message } => CommunityError::Invalid {
            field,
            message: format!("{p}{message}"),
        },
        other => other,
    }
}

impl Ledger {
    /// The workflow action of a name.
    pub fn action(&self, name: &str) -> Option<&'static Action> {
        self.workflow?.actions.iter().find(|a| a.name == name)
    }

    /// The ledger its records are matched with, if any (lost ↔ found).
    pub fn linked_kind(&self) -> Option<&'static str> {
        self.workflow?.actions.iter().find_map(|a| a.links)
    }

    /// The field of a name.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Validates submitted fields. With `partial`, only the given ones (an
    /// update; `null` clears an optional field).
    pub fn validate(
        &self,
        input: &Map<String, Value>,
        partial: bool,
    ) -> Result<Map<String, Value>, CommunityError> {
        let mut out = Map::new();
        for (k, v) in input {
            let Some(field) = self.field(k) else {
                return Err(CommunityError::Invalid {
                    field: "fields",
                    message: format!(
                        "unknown field {k:?} for {}; expected {}",
                        self.register.kind,
                        self.fields
                            .iter()
                            .map(|f| f.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            };
            if v.is_null() {
                if field.required {
                    return Err(bad(field.name, "is required"));
                }
                out.insert(k.clone(), Value::Null);
                continue;
            }
            out.insert(k.clone(), check_value(field, v)?);
        }
        if !partial {
            for field in self.fields.iter().filter(|f| f.required) {
                if !out.contains_key(field.name) {
                    return Err(bad(field.name, "is required"));
                }
            }
            out.retain(|_, v| !v.is_null());
        }
        Ok(out)
    }

    /// The keys an identity check finds `e` by: its identity number and
    /// phone fields, the names in its masked text fields (in a personal
    /// ledger those name people: the resident, landlord, owner, finder,
    /// reporter, requester) and each listed person's name and number.
    pub fn person_keys(&self, e: &Entry) -> Vec<crate::identity::PersonKey> {
        use crate::identity::{KeyKind, PersonKey};
        let mut keys = std::collections::BTreeSet::new();
        if !self.personal {
            return Vec::new();
        }
        for field in self.fields {
            let Some(v) = e.fields.get(field.name) else {
                continue;
            };
            let kind = match field.kind {
                IdNumber => KeyKind::IdNumber,
                Phone => KeyKind::Phone,
                Text { .. } if field.shown == Masked => KeyKind::Name,
                People => {
                    for (i, p) in v.as_array().into_iter().flatten().enumerate() {
                        for (k, kind) in [("name", KeyKind::Name), ("id_number", KeyKind::IdNumber)]
                        {
                            if let Some(raw) = p.get(k).and_then(Value::as_str) {
                                keys.extend(PersonKey::of(
                                    kind,
                                    raw,
                                    format!("{}[{i}].{k}", field.name),
                                ));
                            }
                        }
                    }
                    continue;
                }
                _ => continue,
            };
            if let Some(raw) = v.as_str() {
                keys.extend(PersonKey::of(kind, raw, field.name));
            }
        }
        keys.into_iter().collect()
    }

    /// A new record.
    pub fn create(
        &self,
        id: String,
        community_id: &str,
        station_id: &str,
        input: &Map<String, Value>,
        by: &str,
        now: i64,
    ) -> Result<Entry, CommunityError> {
        let fields = self.validate(input, false)?;
        Ok(Entry {
            id,
            kind: self.register.kind.into(),
            community_id: community_id.into(),
            station_id: station_id.into(),
            fields,
            status: self.workflow.map(|w| w.initial.to_string()),
            steps: Vec::new(),
            due_at: self
                .workflow
                .and_then(|w| w.first_due_days)
                .map(|d| now + d as i64 * DAY_MS),
            closed_at: None,
            link: None,
            created_by: by.into(),
            created_at: now,
            updated_at: now,
        })
    }

    /// Changes fields of a record.
    pub fn update(
        &self,
        e: &mut Entry,
        input: &Map<String, Value>,
        now: i64,
    ) -> Result<(), CommunityError> {
        let changes = self.validate(input, true)?;
        for (k, v) in changes {
            if v.is_null() {
                e.fields.remove(&k);
            } else {
                e.fields.insert(k, v);
            }
        }
        e.updated_at = now;
        Ok(())
    }

    /// Takes a workflow action.
    #[allow(
        clippy::too_many_arguments,
        reason = "an action's whole context, each of its own kind"
    )]
    pub fn act(
        &self,
        e: &mut Entry,
        action: &str,
        note: Option<&str>,
        result: Option<&str>,
        link: Option<&str>,
        by: &str,
        now: i64,
    ) -> Result<(), CommunityError> {
        let Some(w) = self.workflow else {
            return Err(bad(
                "action",
                format!("{} records have no actions", self.register.kind),
            ));
        };
        let Some(a) = w.actions.iter().find(|a| a.name == action) else {
            return Err(bad(
                "action",
                format!(
                    "unknown action {action:?}; expected one of {}",
                    w.actions
                        .iter()
                        .map(|a| a.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        let status = e.status.clone().unwrap_or_default();
        if !a.from.contains(&status.as_str()) {
            return Err(CommunityError::Conflict(format!(
                "cannot {action} a record that is {status} (only when {})",
                a.from.join(" or ")
            )));
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if a.needs_note && note.is_none() {
            return Err(bad("note", format!("say why ({action})")));
        }
        if note.is_some_and(|n| n.chars().count() > 1000) {
            return Err(bad("note", "at most 1000 characters"));
        }
        let result = match (a.results.is_empty(), result) {
            (true, None) => None,
            (true, Some(_)) => return Err(bad("result", format!("{action} takes no result"))),
            (false, Some(r)) if a.results.contains(&r) => Some(r.to_string()),
            (false, _) => {
                return Err(bad(
                    "result",
                    format!("expected one of {}", a.results.join(", ")),
                ));
            }
        };
        let link = match (a.links, link) {
            (None, None) => None,
            (None, Some(_)) => return Err(bad("link", format!("{action} takes no link"))),
            (Some(kind), None) => return Err(bad("link", format!("give the {kind} record"))),
            (Some(_), Some(l)) => Some(l.to_string()),
        };
        if let Some(to) = a.to {
            e.status = Some(to.into());
            if w.closed.contains(&to) {
                e.closed_at.get_or_insert(now);
            } else {
                e.closed_at = None;
            }
        }
        if link.is_some() {
            e.link = link.clone();
        } else if a.unlinks {
            e.link = None;
        }
        match a.due_days {
            Some(0) => e.due_at = None,
            Some(d) => e.due_at = Some(now + d as i64 * DAY_MS),
            None => {}
        }
        e.steps.push(Step {
            at: now,
            by: by.into(),
            action: action.into(),
            status: e.status.clone().unwrap_or_default(),
            note: note.map(String::from),
            result,
            link,
        });
        e.updated_at = now;
        Ok(())
    }

    /// Whether the record's close timer has run out (open past its target).
    pub fn overdue(&self, e: &Entry, now: i64) -> bool {
        let Some(w) = self.workflow else { return false };
        let late_close = w.close_within_hours.is_some_and(|h| {
            now.min(e.closed_at.unwrap_or(now)) - e.created_at > h as i64 * 3_600_000
        });
        let late_due = e.closed_at.is_none() && e.due_at.is_some_and(|d| d < now);
        late_close || late_due
    }

    /// Hours from registration to closure.
    pub fn hours_to_close(&self, e: &Entry) -> Option<f64> {
        e.closed_at.map(|c| (c - e.created_at) as f64 / 3_600_000.0)
    }

    /// Closed within the workflow's target.
    pub fn closed_on_time(&self, e: &Entry) -> bool {
        match (
            self.workflow.and_then(|w| w.close_within_hours),
            e.closed_at,
        ) {
            (Some(h), Some(c)) => c - e.created_at <= h as i64 * 3_600_000,
            _ => false,
        }
    }

    /// What a list shows: fields as their [`Shown`] allows, and the timers.
    pub fn summary(&self, e: &Entry, now: i64) -> EntrySummary {
        let mut fields = Map::new();
        for field in self.fields {
            let Some(v) = e.fields.get(field.name) else {
                continue;
            };
            let shown = match field.shown {
                Shown::Yes => v.clone(),
                Shown::No => continue,
                Shown::Masked => mask(field.kind, v),
            };
            fields.insert(field.name.into(), shown);
        }
        EntrySummary {
            id: e.id.clone(),
            kind: e.kind.clone(),
            community_id: e.community_id.clone(),
            station_id: e.station_id.clone(),
            fields,
            status: e.status.clone(),
            due_at: e.due_at,
            closed_at: e.closed_at,
            link: e.link.clone(),
            steps: e.steps.len(),
            last_result: e.steps.iter().rev().find_map(|s| s.result.clone()),
            overdue: self.overdue(e, now),
            hours_to_close: self.hours_to_close(e),
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// A ledger entry as a list shows it (see [`Ledger::summary`]).
#[derive(Debug, Clone, PartialEq)]
pub struct EntrySummary {
    /// Record id.
    pub id: String,
    /// Ledger kind.
    pub kind: String,
    /// Community or village.
    pub community_id: String,
    /// Police station.
    pub station_id: String,
    /// The fields a list may show, masked where the ledger says.
    pub fields: Map<String, Value>,
    /// Workflow status.
    pub status: Option<String>,
    /// Due (ms).
    pub due_at: Option<i64>,
    /// Closed (ms).
    pub closed_at: Option<i64>,
    /// Linked record.
    pub link: Option<String>,
    /// Workflow steps so far.
    pub steps: usize,
    /// The last step's result.
    pub last_result: Option<String>,
    /// Past its timer.
    pub overdue: bool,
    /// Hours from registration to closure.
    pub hours_to_close: Option<f64>,
    /// Registered (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
}

/// A name with all but its first character hidden.
pub fn mask_name(s: &str) -> String {
    format!("{}**", s.chars().next().unwrap_or('?'))
}

fn mask(kind: FieldKind, v: &Value) -> Value {
    match (kind, v) {
        (IdNumber, Value::String(s)) => json!(mask_id_number(s)),
        (Phone, Value::String(s)) => {
            let chars: Vec<char> = s.chars().collect();
            let keep = chars.len().saturating_sub(4);
            json!(
                chars
                    .iter()
                    .enumerate()
                    .map(|(i, c)| if i >= 3 && i < keep { '*' } else { *c })
                    .collect::<String>()
            )
        }
        (People, Value::Array(list)) => Value::Array(
            list.iter()
                .map(|p| {
                    json!({
                        "name": mask_name(p.get("name").and_then(Value::as_str).unwrap_or("")),
                        "from": p.get("from"), "to": p.get("to"),
                    })
                })
                .collect(),
        ),
        (_, Value::String(s)) => json!(mask_name(s)),
        _ => Value::Null,
    }
}

/// 365x24 service figures of one ledger for requests registered in a period.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceFigures {
    /// Ledger kind.
    pub kind: String,
    /// Registered in the period.
    pub registered: usize,
    /// Of them, closed (returned, found, …).
    pub closed: usize,
    /// Of them, closed within the target time.
    pub closed_on_time: usize,
    /// Still open past the target time.
    pub open_overdue: usize,
    /// Median hours from registration to closure.
    pub median_hours_to_close: Option<f64>,
    /// The target, hours.
    pub target_hours: Option<u32>,
}

/// Figures for every service ledger over entries registered in `[from, to)`.
pub fn service_figures(entries: &[Entry], from: i64, to: i64, now: i64) -> Vec<ServiceFigures> {
    LEDGERS
        .iter()
        .filter(|l| l.service)
        .map(|l| {
            let here: Vec<&Entry> = entries
                .iter()
                .filter(|e| e.kind == l.register.kind && e.created_at >= from && e.created_at < to)
                .collect();
            let mut hours: Vec<f64> = here.iter().filter_map(|e| l.hours_to_close(e)).collect();
            hours.sort_by(f64::total_cmp);
            ServiceFigures {
                kind: l.register.kind.into(),
                registered: here.len(),
                closed: here.iter().filter(|e| e.closed_at.is_some()).count(),
                closed_on_time: here.iter().filter(|e| l.closed_on_time(e)).count(),
                open_overdue: here
                    .iter()
                    .filter(|e| e.closed_at.is_none() && l.overdue(e, now))
                    .count(),
                median_hours_to_close: dispatch::figures::percentile(&hours, 50.0)
                    .map(|h| (h * 10.0).round() / 10.0),
                target_hours: l.workflow.and_then(|w| w.close_within_hours),
            }
        })
        .collect()
}

/// A problem with one line of an import.
#[derive(Debug, Clone, PartialEq)]
pub struct LineError {
    /// Line in the file (1 = the header).
    pub line: usize,
    /// Column (field) concerned, if one.
    pub field: Option<String>,
    /// What is wrong and what is expected.
    pub message: String,
}

/// One record read from an import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// Line in the file.
    pub line: usize,
    /// Community or village.
    pub community_id: String,
    /// Validated fields.
    pub fields: Map<String, Value>,
}

/// Reads a CSV export of a ledger: a header of `community_id` and field
/// names, one record a line. Lists are written `name/from/id_number; …`
/// (people) or `name:size; …` (teams). All or nothing: every bad line is
/// reported (up to 100), and nothing is returned unless all are good.
pub fn parse_csv(ledger: &Ledger, text: &str) -> Result<Vec<ImportRow>, Vec<LineError>> {
    let rows = CsvRows::new(ledger, text.trim_start_matches('\u{feff}').as_bytes())?;
    let mut good = Vec::new();
    let mut errors = Vec::new();
    for row in rows {
        match row {
            Ok(r) => good.push(r),
            Err(mut e) => errors.append(&mut e),
        }
        if errors.len() >= 100 {
            break;
        }
    }
    if errors.is_empty() {
        Ok(good)
    } else {
        Err(errors)
    }
}

/// A ledger's CSV read a line at a time from any reader (a request's body,
/// a city's file): the header is checked when it is opened, then each line
/// is validated as it is read, so no file is held in memory. Blank lines
/// are skipped.
pub struct CsvRows<'l, R: std::io::Read> {
    ledger: &'l Ledger,
    header: Vec<String>,
    records: csv::StringRecordsIntoIter<R>,
    line: usize,
}

impl<'l, R: std::io::Read> CsvRows<'l, R> {
    /// Opens `reader` and checks its header (a UTF-8 byte-order mark is skipped).
    pub fn new(ledger: &'l Ledger, reader: R) -> Result<Self, Vec<LineError>> {
        let err = |line: usize, field: Option<&str>, message: String| LineError {
            line,
            field: field.map(String::from),
            message,
        };
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(reader);
        let header: Vec<String> = match rdr.headers() {
            Ok(h) => h
                .iter()
                .map(|h| h.trim_start_matches('\u{feff}').to_string())
                .collect(),
            Err(e) => return Err(vec![err(1, None, format!("unreadable header: {e}"))]),
        };
        let expected = || {
            std::iter::once("community_id")
                .chain(ledger.fields.iter().map(|f| f.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut errors = Vec::new();
        for h in &header {
            if h != "community_id" && ledger.field(h).is_none() {
                errors.push(err(
                    1,
                    Some(h),
                    format!("unknown column {h:?}; expected {}", expected()),
                ));
            }
        }
        if !header.iter().any(|h| h == "community_id") {
            errors.push(err(
                1,
                Some("community_id"),
                format!("the header needs community_id; expected {}", expected()),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CsvRows {
            ledger,
            header,
            records: rdr.into_records(),
            line: 1,
        })
    }

    /// One line: `None` when blank.
    fn row(
        &self,
        line: usize,
        rec: csv::Result<csv::StringRecord>,
    ) -> Option<Result<ImportRow, Vec<LineError>>> {
        let err = |line: usize, field: Option<&str>, message: String| LineError {
            line,
            field: field.map(String::from),
            message,
        };
        let (ledger, header) = (self.ledger, &self.header);
        let mut errors = Vec::new();
        let rec = match rec {
            Ok(r) => r,
            Err(e) => return Some(Err(vec![err(line, None, format!("unreadable: {e}"))])),
        };
        if rec.iter().all(str::is_empty) {
            return None;
        }
        if rec.len() != header.len() {
            return Some(Err(vec![err(
                line,
                None,
                format!("{} values for {} columns", rec.len(), header.len()),
            )]));
        }
        let mut community = String::new();
        let mut input = Map::new();
        let mut bad = false;
        for (h, v) in header.iter().zip(rec.iter()) {
            if h == "community_id" {
                community = v.to_string();
                continue;
            }
            if v.is_empty() {
                continue;
            }
            let field = ledger.field(h).expect("checked in the header");
            let value = match field.kind {
                Int { .. } => match v.parse::<i64>() {
                    Ok(n) => json!(n),
                    Err(_) => {
                        errors.push(err(
                            line,
                            Some(h),
                            format!("expected a whole number, got {v:?}"),
                        ));
                        bad = true;
                        continue;
                    }
                },
                FieldKind::Bool => match v {
                    "true" | "1" | "yes" | "是" => json!(true),
                    "false" | "0" | "no" | "否" => json!(false),
                    _ => {
                        errors.push(err(
                            line,
                            Some(h),
                            format!("expected true or false, got {v:?}"),
                        ));
                        bad = true;
                        continue;
                    }
                },
                People => Value::Array(
                    v.split(';')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(|p| {
                            let parts: Vec<&str> = p.split('/').map(str::trim).collect();
                            let mut o = Map::new();
                            for (k, x) in ["name", "from", "id_number", "to"].iter().zip(parts) {
                                if !x.is_empty() {
                                    o.insert(k.to_string(), json!(x));
                                }
                            }
                            Value::Object(o)
                        })
                        .collect(),
                ),
                Teams => Value::Array(
                    v.split(';')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(|p| match p.rsplit_once(':') {
                            Some((name, size)) => match size.trim().parse::<i64>() {
                                Ok(s) => json!({"name": name.trim(), "size": s}),
                                Err(_) => json!({"name": p}),
                            },
                            None => json!({"name": p}),
                        })
                        .collect(),
                ),
                _ => json!(v),
            };
            input.insert(h.clone(), value);
        }
        if bad {
            return Some(Err(errors));
        }
        if community.is_empty() {
            return Some(Err(vec![err(
                line,
                Some("community_id"),
                "is required".into(),
            )]));
        }
        Some(match ledger.validate(&input, false) {
            Ok(fields) => Ok(ImportRow {
                line,
                community_id: community,
                fields,
            }),
            Err(CommunityError::Invalid { field, message }) => {
                Err(vec![err(line, Some(field), message)])
            }
            Err(e) => Err(vec![err(line, None, e.to_string())]),
        })
    }
}

impl<R: std::io::Read> Iterator for CsvRows<'_, R> {
    type Item = Result<ImportRow, Vec<LineError>>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let rec = self.records.next()?;
            self.line += 1;
            if let Some(row) = self.row(self.line, rec) {
                return Some(row);
            }
        }
    }
}

/// A found item that may be the lost one, best first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// The other record.
    pub id: String,
    /// 0..1: category, words in common, dates, place.
    pub score: f64,
    /// Why.
    pub reasons: Vec<String>,
}

fn words(e: &Entry) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    for k in ["item", "description", "place"] {
        if let Some(s) = e.fields.get(k).and_then(Value::as_str) {
            let lower = s.to_lowercase();
            // Latin words, and Chinese as character pairs (no segmenter needed).
            for w in lower.split(|c: char| !c.is_alphanumeric()) {
                let chars: Vec<char> = w.chars().collect();
                if chars.iter().all(char::is_ascii) {
                    if chars.len() >= 3 {
                        out.insert(w.to_string());
                    }
                } else {
                    for pair in chars.windows(2) {
                        out.insert(pair.iter().collect());
                    }
                }
            }
        }
    }
    out
}

fn day_of(e: &Entry, key: &str) -> Option<i64> {
    e.fields
        .get(key)
        .and_then(Value::as_str)
        .and_then(dispatch::time::parse_rfc3339)
        .map(|ms| ms / DAY_MS)
}

/// The days (`[from, to)`, `YYYY-MM-DD`) a record of the other side must be
/// of (its filed `day`) to be a candidate of `target` in
/// [`match_candidates`]: found no earlier than lost and within 60 days.
/// `None` when `target` names no day.
pub fn match_days(target: &Entry) -> Option<(String, String)> {
    let lost_side = target.kind == LOST_PROPERTY.register.kind;
    let d = day_of(target, if lost_side { "lost_on" } else { "found_on" })?;
    let (from, to) = if lost_side {
        (d, d + 61)
    } else {
        (d - 60, d + 1)
    };
    let date = |day: i64| dispatch::time::format_rfc3339(day * DAY_MS)[..10].to_string();
    Some((date(from), date(to)))
}

/// Found items that may match a lost report (or lost reports that may match a
/// found item): same category, found no earlier than lost and within 60
/// days, ranked by words in common and closeness in time and place.
pub fn match_candidates(target: &Entry, others: &[Entry], limit: usize) -> Vec<Candidate> {
    let lost_side = target.kind == LOST_PROPERTY.register.kind;
    let target_words = words(target);
    let target_day = day_of(target, if lost_side { "lost_on" } else { "found_on" });
    let mut out: Vec<Candidate> = others
        .iter()
        .filter(|o| o.kind != target.kind && o.closed_at.is_none() && o.link.is_none())
        .filter(|o| o.fields.get("category") == target.fields.get("category"))
        .filter_map(|o| {
            let other_day = day_of(o, if lost_side { "found_on" } else { "lost_on" });
            let (lost, found) = if lost_side {
                (target_day?, other_day?)
            } else {
                (other_day?, target_day?)
            };
            let gap = found - lost;
            if !(0..=60).contains(&gap) {
                return None;
            }
            let other_words = words(o);
            let common = target_words.intersection(&other_words).count();
            let union = target_words.union(&other_words).count().max(1);
            let mut reasons = vec![format!("same category, found {gap} days after lost")];
            let text = common as f64 / union as f64;
            if common > 0 {
                reasons.push(format!("{common} words in common"));
            }
            let same_place = o.community_id == target.community_id;
            if same_place {
                reasons.push("same community".into());
            } else if o.station_id == target.station_id {
                reasons.push("same station".into());
            }
            let place = if same_place {
                1.0
            } else if o.station_id == target.station_id {
                0.5
            } else {
                0.0
            };
            let time = 1.0 - gap as f64 / 61.0;
            let score = 0.5 * text + 0.3 * time + 0.2 * place;
            Some(Candidate {
                id: o.id.clone(),
                score: (score * 1000.0).round() / 1000.0,
                reasons,
            })
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn every_ledger_is_consistent() {
        let mut kinds = std::collections::HashSet::new();
        for l in LEDGERS {
            assert!(kinds.insert(l.register.kind), "{}", l.register.kind);
            assert!(l.register.retention_days > 0);
            if let Some(w) = l.workflow {
                let reachable: Vec<&str> = std::iter::once(w.initial)
                    .chain(w.actions.iter().filter_map(|a| a.to))
                    .collect();
                for a in w.actions {
                    for from in a.from {
                        assert!(reachable.contains(from), "{} {}", l.register.kind, a.name);
                    }
                }
                for c in w.closed {
                    assert!(reachable.contains(c));
                }
            }
        }
        assert!(ledger("venue").is_some() && ledger("nope").is_none());
    }

    #[test]
    fn people_are_found_by_their_keys() {
        let e = RENTAL_HOUSING
            .create(
                "R1".into(),
                "V1",
                "S1",
                &obj(json!({"address": "幸福路 12 号", "landlord": "李 四", "landlord_phone": "+86 138 0013 8000",
                    "registered_on": "2026-03-01",
                    "tenants": [{"name": "张三", "from": "2026-03-01", "id_number": "110105491231002"},
                                {"name": "Wang Fang", "from": "2026-03-02"}]})),
                "o",
                0,
            )
            .unwrap();
        let keys: Vec<String> = RENTAL_HOUSING
            .person_keys(&e)
            .iter()
            .map(|k| format!("{} {} {}", k.kind.as_str(), k.value, k.field))
            .collect();
        assert_eq!(
            keys,
            [
                "id_number 11010519491231002X tenants[0].id_number",
                "phone 13800138000 landlord_phone",
                "name wangfang tenants[1].name",
                "name 张三 tenants[0].name",
                "name 李四 landlord",
            ]
        );
        // A venue's name is no person's.
        let v = VENUES
            .create(
                "H1".into(),
                "V1",
                "S1",
                &obj(json!({"name": "新路宾馆", "category": "hotel", "address": "新路 2 号"})),
                "o",
                0,
            )
            .unwrap();
        assert!(VENUES.person_keys(&v).is_empty());
    }

    #[test]
    fn validation_names_the_field() {
        let ok = obj(
            json!({"address": "幸福路 12 号 3 单元", "landlord": "李四", "registered_on": "2026-03-01",
            "tenants": [{"name": "张三", "from": "2026-03-01", "id_number": "11010519491231002X"}]}),
        );
        let e = RENTAL_HOUSING
            .create("R1".into(), "V1", "S1", &ok, "o", 0)
            .unwrap();
        assert_eq!(e.status.as_deref(), Some("let"));
        assert_eq!(e.due_at, Some(90 * DAY_MS));
        let err = |v: Value| {
            RENTAL_HOUSING
                .create("R".into(), "V1", "S1", &obj(v), "o", 0)
                .unwrap_err()
                .to_string()
        };
        assert!(
            err(json!({"landlord": "李四", "registered_on": "2026-03-01"}))
                .starts_with("address: is required")
        );
        assert!(
            err(json!({"address": "x", "landlord": "李四", "registered_on": "2026-02-30"}))
                .starts_with("registered_on: expected a date")
        );
        assert!(err(json!({"address": "x", "landlord": "李四", "registered_on": "2026-02-01", "rooms": 0})).starts_with("rooms:"));
        assert!(err(json!({"address": "x", "landlord": "李四", "registered_on": "2026-02-01", "colour": 1})).contains("unknown field \"colour\""));
        let e = err(
            json!({"address": "x", "landlord": "李四", "registered_on": "2026-02-01",
            "tenants": [{"name": "张三", "from": "2026-03-01", "id_number": "110105194912310021"}]}),
        );
        assert!(e.starts_with("tenants: person 1: id_number:"), "{e}");
        let e = err(
            json!({"address": "x", "landlord": "李四", "registered_on": "2026-02-01", "tenants": [{"name": "张三"}]}),
        );
        assert!(e.contains("person 1: from is required"), "{e}");
        let e = STAFFING
            .validate(&obj(json!({"officer": "王警官", "auxiliaries": 2, "grid_workers": 5, "volunteer_teams": [{"name": "平安志愿者", "size": 0}]})), false)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("volunteer_teams: team 1"), "{e}");
    }

    #[test]
    fn lists_mask_personal_fields() {
        let e = RESIDENTS
            .create(
                "P1".into(),
                "V1",
                "S1",
                &obj(json!({"name": "王小明", "id_number": "11010519491231002X", "address": "幸福路 1 号",
                    "phone": "13800138000", "household": "registered"})),
                "o",
                0,
            )
            .unwrap();
        let s = RESIDENTS.summary(&e, 0);
        assert_eq!(s.fields["name"], "王**");
        assert_eq!(s.fields["id_number"], "110*************2X");
        assert_eq!(s.fields["phone"], "138****8000");
        assert!(s.fields.get("address").is_none());
        assert!(!format!("{s:?}").contains("幸福路"));
    }

    #[test]
    fn workflows_with_timers() {
        let hour = 3_600_000;
        let mut e = LIVELIHOOD
            .create(
                "H1".into(),
                "V1",
                "S1",
                &obj(json!({"category": "locked_out", "description": "老人被锁门外", "requester": "赵六"})),
                "o",
                0,
            )
            .unwrap();
        assert!(!LIVELIHOOD.overdue(&e, 23 * hour));
        assert!(LIVELIHOOD.overdue(&e, 25 * hour));
        let err = LIVELIHOOD
            .act(&mut e, "close", None, None, None, "o", hour)
            .unwrap_err();
        assert!(err.to_string().starts_with("note:"));
        LIVELIHOOD
            .act(&mut e, "start", None, None, None, "o", hour)
            .unwrap();
        LIVELIHOOD
            .act(&mut e, "close", Some("已开锁"), None, None, "o", 2 * hour)
            .unwrap();
        assert_eq!(e.status.as_deref(), Some("closed"));
        assert!(LIVELIHOOD.closed_on_time(&e));
        assert!(
            !LIVELIHOOD.overdue(&e, 100 * hour),
            "closed on time stays on time"
        );
        assert!(matches!(
            LIVELIHOOD.act(&mut e, "start", None, None, None, "o", 3 * hour),
            Err(CommunityError::Conflict(_))
        ));
        // Inspections move the due date and keep the result.
        let day = DAY_MS;
        let mut v = VENUES
            .create(
                "VN".into(),
                "V1",
                "S1",
                &obj(json!({"name": "如家酒店", "category": "hotel", "address": "人民路 8 号"})),
                "o",
                0,
            )
            .unwrap();
        assert!(VENUES.overdue(&v, 31 * day));
        assert!(
            VENUES
                .act(&mut v, "inspect", None, Some("ok"), None, "o", day)
                .is_err()
        );
        VENUES
            .act(
                &mut v,
                "inspect",
                Some("登记齐全"),
                Some("pass"),
                None,
                "o",
                31 * day,
            )
            .unwrap();
        assert_eq!(v.due_at, Some(61 * day));
        assert!(!VENUES.overdue(&v, 40 * day));
        assert_eq!(
            VENUES.summary(&v, 40 * day).last_result.as_deref(),
            Some("pass")
        );
    }

    #[test]
    fn service_figures_count_closures_on_time() {
        let hour = 3_600_000;
        let new = |id: &str, at: i64| {
            LIVELIHOOD
                .create(
                    id.into(),
                    "V1",
                    "S1",
                    &obj(json!({"category": "noise", "description": "噪音", "requester": "周"})),
                    "o",
                    at,
                )
                .unwrap()
        };
        let mut a = new("A", 0);
        LIVELIHOOD
            .act(&mut a, "close", Some("ok"), None, None, "o", 2 * hour)
            .unwrap();
        let mut b = new("B", hour);
        LIVELIHOOD
            .act(&mut b, "close", Some("late"), None, None, "o", 40 * hour)
            .unwrap();
        let c = new("C", 2 * hour);
        let outside = new("D", 100 * hour);
        let f = service_figures(&[a, b, c, outside], 0, 10 * hour, 50 * hour);
        let l = f.iter().find(|x| x.kind == "livelihood").unwrap();
        assert_eq!(
            (l.registered, l.closed, l.closed_on_time, l.open_overdue),
            (3, 2, 1, 1)
        );
        assert_eq!(
            l.median_hours_to_close,
            Some(2.0),
            "nearest rank of 2 and 39 hours"
        );
        assert_eq!(f.len(), 4);
    }

    #[test]
    fn csv_import_is_all_or_nothing_with_lines() {
        let good = "community_id,address,landlord,registered_on,tenants,rooms\n\
            V1,幸福路 1 号,李四,2026-03-01,张三/2026-03-01/11010519491231002X; 王五/2026-04-01,2\n\
            V2,人民路 2 号,赵六,2026-05-01,,\n";
        let rows = parse_csv(&RENTAL_HOUSING, good).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].fields["tenants"][1]["name"], "王五");
        assert_eq!(rows[1].community_id, "V2");
        let bad = "community_id,address,landlord,registered_on,rooms\n\
            V1,幸福路 1 号,李四,2026-03-01,two\n\
            V1,,李四,2026-03-01,2\n\
            V1,幸福路 3 号,李四,03/01/2026,2\n\
            V1,幸福路 4 号,李四,2026-03-01,2\n";
        let errors = parse_csv(&RENTAL_HOUSING, bad).unwrap_err();
        let got: Vec<(usize, Option<&str>)> = errors
            .iter()
            .map(|e| (e.line, e.field.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (2, Some("rooms")),
                (3, Some("address")),
                (4, Some("registered_on"))
            ]
        );
        let errors = parse_csv(&RENTAL_HOUSING, "village,address\nV1,x\n").unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].message.contains("unknown column \"village\""));
        let teams = parse_csv(&STAFFING, "community_id,officer,auxiliaries,grid_workers,volunteer_teams\nV1,王警官,2,5,红袖标:12; 护校队:5\n").unwrap();
        assert_eq!(teams[0].fields["volunteer_teams"][0]["size"], 12);
    }

    #[test]
    fn lost_and_found_match() {
        let lost = LOST_PROPERTY
            .create(
                "L1".into(),
                "V1",
                "S1",
                &obj(json!({"item": "黑色钱包", "category": "wallet", "description": "黑色皮质钱包, 内有身份证",
                    "lost_on": "2026-11-01", "place": "人民路公交站", "owner": "张三", "owner_phone": "13800000000"})),
                "o",
                0,
            )
            .unwrap();
        let found = |id: &str, cat: &str, desc: &str, day: &str, community: &str| {
            FOUND_ITEMS
                .create(
                    id.into(),
                    community,
                    "S1",
                    &obj(json!({"item": desc, "category": cat, "description": desc, "found_on": day})),
                    "o",
                    0,
                )
                .unwrap()
        };
        let others = vec![
            found("F1", "wallet", "棕色钱包", "2026-11-02", "V9"),
            found("F2", "wallet", "黑色皮质钱包一个", "2026-11-03", "V1"),
            found("F3", "phone", "黑色皮质钱包", "2026-11-02", "V1"),
            found("F4", "wallet", "黑色皮质钱包", "2026-10-30", "V1"),
        ];
        let c = match_candidates(&lost, &others, 10);
        let ids: Vec<&str> = c.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            ["F2", "F1"],
            "other category and found-before-lost excluded"
        );
        assert!(c[0].score > c[1].score);
        // And from the found side.
        let back = match_candidates(&others[1], std::slice::from_ref(&lost), 5);
        assert_eq!(back[0].id, "L1");
        // The days the store is asked for hold every candidate, both ways,
        // and end where the 60-day rule does.
        let (from, to) = match_days(&lost).expect("a lost day");
        assert_eq!((from.as_str(), to.as_str()), ("2026-11-01", "2027-01-01"));
        let far = found("F5", "wallet", "黑色皮质钱包", "2027-01-01", "V1");
        assert!(match_candidates(&lost, std::slice::from_ref(&far), 5).is_empty());
        let edge = found("F6", "wallet", "黑色皮质钱包", "2026-12-31", "V1");
        assert_eq!(
            match_candidates(&lost, std::slice::from_ref(&edge), 5).len(),
            1
        );
        let (from, to) = match_days(&edge).expect("a found day");
        assert_eq!((from.as_str(), to.as_str()), ("2026-11-01", "2027-01-01"));
        assert_eq!(
            match_candidates(&edge, std::slice::from_ref(&lost), 5).len(),
            1
        );
    }
}
