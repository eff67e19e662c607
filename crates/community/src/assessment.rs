//! Station assessment (考核): an indicator catalogue that is configuration,
//! not code. Each indicator is a formula over named metrics counted from the
//! records (e.g. `reached_5min / incidents`), a weight, a target and the
//! unit it applies to. Scores are computed per station and period, ranked,
//! exported, and every score keeps the metric values (and the records
//! behind them) it came from, so a station can check it.
//!
//! Fewer indicators is the report's point: the default catalogue has seven.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::CommunityError;

/// The catalogue shipped with pingan (`assessment.toml`).
pub const DEFAULT_CATALOGUE: &str = include_str!("../assessment.toml");

/// One indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Short identifier.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Formula over metrics: names, numbers, `+ - * /`, parentheses.
    pub formula: String,
    /// Weight in the total.
    pub weight: f64,
    /// Target value (full marks at or beyond it).
    pub target: f64,
    /// How the value reads: `share` (0..1, shown as %), `days_per_week`, `count`, `hours`.
    pub unit: String,
    /// The level it is computed for: `station`.
    #[serde(default = "station")]
    pub applies_to: String,
    /// Smaller is better (e.g. hours to close).
    #[serde(default)]
    pub lower_is_better: bool,
}

fn station() -> String {
    "station".into()
}

/// The catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// Indicators, in display order.
    pub indicator: Vec<Indicator>,
}

/// A parsed formula.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number.
    Num(f64),
    /// A metric.
    Var(String),
    /// `a op b`.
    Bin(Box<Expr>, char, Box<Expr>),
    /// `-a`.
    Neg(Box<Expr>),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }
    fn expr(&mut self) -> Result<Expr, String> {
        let mut a = self.term()?;
        while let Some(c @ (b'+' | b'-')) = self.peek() {
            self.i += 1;
            a = Expr::Bin(Box::new(a), c as char, Box::new(self.term()?));
        }
        Ok(a)
    }
    fn term(&mut self) -> Result<Expr, String> {
        let mut a = self.atom()?;
        while let Some(c @ (b'*' | b'/')) = self.peek() {
            self.i += 1;
            a = Expr::Bin(Box::new(a), c as char, Box::new(self.atom()?));
        }
        Ok(a)
    }
    fn atom(&mut self) -> Result<Expr, String> {
        match self.peek() {
            Some(b'(') => {
                self.i += 1;
                let e = self.expr()?;
                if self.peek() != Some(b')') {
                    return Err(format!("expected ) at character {}", self.i + 1));
                }
                self.i += 1;
                Ok(e)
            }
            Some(b'-') => {
                self.i += 1;
                Ok(Expr::Neg(Box::new(self.atom()?)))
            }
            Some(c) if c.is_ascii_digit() || c == b'.' => {
                let start = self.i;
                while self.i < self.s.len()
                    && (self.s[self.i].is_ascii_digit() || self.s[self.i] == b'.')
                {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
                t.parse()
                    .map(Expr::Num)
                    .map_err(|_| format!("bad number {t:?}"))
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let start = self.i;
                while self.i < self.s.len()
                    && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
                {
                    self.i += 1;
                }
                Ok(Expr::Var(
                    String::from_utf8_lossy(&self.s[start..self.i]).into(),
                ))
            }
            Some(c) => Err(format!(
                "unexpected {:?} at character {}",
                c as char,
                self.i + 1
            )),
            None => Err("formula ends too early".into()),
        }
    }
}

impl Expr {
    /// Parses a formula.
    pub fn parse(s: &str) -> Result<Expr, String> {
        let mut p = Parser {
            s: s.as_bytes(),
            i: 0,
        };
        let e = p.expr()?;
        if p.peek().is_some() {
            return Err(format!("unexpected text at character {}", p.i + 1));
        }
        Ok(e)
    }

    /// Metric names used.
    pub fn vars(&self, out: &mut Vec<String>) {
        match self {
            Expr::Num(_) => {}
            Expr::Var(v) => {
                if !out.contains(v) {
                    out.push(v.clone())
                }
            }
            Expr::Bin(a, _, b) => {
                a.vars(out);
                b.vars(out);
            }
            Expr::Neg(a) => a.vars(out),
        }
    }

    /// The value; `None` when a division by zero makes it meaningless
    /// (e.g. no incidents: no response share).
    pub fn eval(&self, metric: &dyn Fn(&str) -> f64) -> Option<f64> {
        Some(match self {
            Expr::Num(n) => *n,
            Expr::Var(v) => metric(v),
            Expr::Neg(a) => -a.eval(metric)?,
            Expr::Bin(a, op, b) => {
                let (x, y) = (a.eval(metric)?, b.eval(metric)?);
                match op {
                    '+' => x + y,
                    '-' => x - y,
                    '*' => x * y,
                    _ if y == 0.0 => return None,
                    _ => x / y,
                }
            }
        })
    }
}

impl Catalogue {
    /// Reads a catalogue (TOML) and checks every formula against the known metrics.
    pub fn parse(text: &str, known: &[&str]) -> Result<Catalogue, CommunityError> {
        let c: Catalogue = toml::from_str(text).map_err(|e| CommunityError::Invalid {
            field: "catalogue",
            message: e.to_string(),
        })?;
        if c.indicator.is_empty() {
            return Err(CommunityError::invalid(
                "catalogue",
                "no [[indicator]] given",
            ));
        }
        let mut ids = std::collections::HashSet::new();
        for (n, ind) in c.indicator.iter().enumerate() {
            let at = |m: String| {
                CommunityError::invalid(
                    "catalogue",
                    format!("indicator {} ({}): {m}", n + 1, ind.id),
                )
            };
            if ind.id.is_empty() || !ids.insert(ind.id.as_str()) {
                return Err(at("id empty or used twice".into()));
            }
            let e = Expr::parse(&ind.formula).map_err(|m| at(format!("formula: {m}")))?;
            let mut vars = Vec::new();
            e.vars(&mut vars);
            if let Some(v) = vars.iter().find(|v| !known.contains(&v.as_str())) {
                return Err(at(format!(
                    "formula: unknown metric {v:?}; known: {}",
                    known.join(", ")
                )));
            }
            if !(ind.weight > 0.0 && ind.weight.is_finite()) {
                return Err(at("weight must be above 0".into()));
            }
            if !(ind.target > 0.0 && ind.target.is_finite()) {
                return Err(at("target must be above 0".into()));
            }
            if ind.applies_to != "station" {
                return Err(at(format!(
                    "applies_to {:?}: only \"station\" is computed",
                    ind.applies_to
                )));
            }
            if !["share", "days_per_week", "count", "hours"].contains(&ind.unit.as_str()) {
                return Err(at(format!(
                    "unit {:?}: expected share, days_per_week, count or hours",
                    ind.unit
                )));
            }
        }
        Ok(c)
    }
}

/// A metric's value and the records counted in it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metric {
    /// Value.
    pub value: f64,
    /// Identifiers of the records counted (incidents, transfers, …).
    pub records: Vec<String>,
}

/// Metrics of one station and period.
pub type Metrics = BTreeMap<String, Metric>;

/// One indicator of one station.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// Indicator id.
    pub indicator: String,
    /// Value of the formula (`None`: no data, e.g. no incidents).
    pub value: Option<f64>,
    /// Share of the target reached, 0..1.
    pub achievement: Option<f64>,
    /// `weight × achievement`.
    pub points: Option<f64>,
    /// The metric values the formula used.
    pub inputs: BTreeMap<String, f64>,
}

/// One station's row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Station id.
    pub station_id: String,
    /// Name.
    pub name: String,
    /// Per indicator, in catalogue order.
    pub scores: Vec<Score>,
    /// Points over the weights of indicators with data, 0..100.
    pub total: f64,
    /// 1 = best.
    pub rank: usize,
}

/// Scores every station; rows ranked best first (ties share a rank).
pub fn assess(catalogue: &Catalogue, stations: &[(String, String, Metrics)]) -> Vec<Row> {
    let formulas: Vec<Expr> = catalogue
        .indicator
        .iter()
        .map(|i| Expr::parse(&i.formula).expect("checked when the catalogue was read"))
        .collect();
    let mut rows: Vec<Row> = stations
        .iter()
        .map(|(id, name, metrics)| {
            let get = |v: &str| metrics.get(v).map_or(0.0, |m| m.value);
            let mut earned = 0.0;
            let mut possible = 0.0;
            let scores = catalogue
                .indicator
                .iter()
                .zip(&formulas)
                .map(|(ind, e)| {
                    let mut vars = Vec::new();
                    e.vars(&mut vars);
                    let value = e.eval(&get).filter(|v| v.is_finite());
                    let achievement = value.map(|v| {
                        let a = if ind.lower_is_better {
                            if v <= ind.target { 1.0 } else { ind.target / v }
                        } else {
                            v / ind.target
                        };
                        a.clamp(0.0, 1.0)
                    });
                    let points = achievement.map(|a| a * ind.weight);
                    if let Some(p) = points {
                        earned += p;
                        possible += ind.weight;
                    }
                    Score {
                        indicator: ind.id.clone(),
                        value,
                        achievement,
                        points,
                        inputs: vars.iter().map(|v| (v.clone(), get(v))).collect(),
                    }
                })
                .collect();
            Row {
                station_id: id.clone(),
                name: name.clone(),
                scores,
                total: if possible > 0.0 {
                    (earned / possible * 1000.0).round() / 10.0
                } else {
                    0.0
                },
                rank: 0,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.total
            .total_cmp(&a.total)
            .then(a.station_id.cmp(&b.station_id))
    });
    for i in 0..rows.len() {
        rows[i].rank = if i > 0 && rows[i].total == rows[i - 1].total {
            rows[i - 1].rank
        } else {
            i + 1
        };
    }
    rows
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into()
    }
}

/// The table as CSV: rank, station, total, then value and points per indicator.
pub fn to_csv(catalogue: &Catalogue, rows: &[Row]) -> String {
    let mut out = String::from("rank,station_id,station,total");
    for i in &catalogue.indicator {
        out.push_str(&format!(
            ",{} value,{} points",
            csv_field(&i.id),
            csv_field(&i.id)
        ));
    }
    out.push('\n');
    let num = |v: Option<f64>| v.map_or(String::new(), |v| format!("{}", (v * 1e4).round() / 1e4));
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{}",
            r.rank,
            csv_field(&r.station_id),
            csv_field(&r.name),
            r.total
        ));
        for s in &r.scores {
            out.push_str(&format!(",{},{}", num(s.value), num(s.points)));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["incidents", "reached_5min", "disputes", "settled"];

    fn m(pairs: &[(&str, f64)]) -> Metrics {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    Metric {
                        value: *v,
                        records: vec![],
                    },
                )
            })
            .collect()
    }

    #[test]
    fn formulas() {
        let e = Expr::parse("(a + 2) * b / -c").unwrap();
        let get = |v: &str| match v {
            "a" => 1.0,
            "b" => 4.0,
            "c" => 2.0,
            _ => 0.0,
        };
        assert_eq!(e.eval(&get), Some(-6.0));
        assert_eq!(Expr::parse("a / c2").unwrap().eval(&get), None);
        assert!(Expr::parse("a +").is_err());
        assert!(Expr::parse("a b").is_err());
        assert!(Expr::parse("(a").unwrap_err().contains(")"));
    }

    #[test]
    fn catalogue_errors_say_where() {
        let ok = r#"
[[indicator]]
id = "reach5"
name_zh = "5分钟到达率"
name_en = "Reached within 5 minutes"
formula = "reached_5min / incidents"
weight = 60
target = 0.9
unit = "share"

[[indicator]]
id = "disputes"
name_zh = "纠纷化解率"
name_en = "Disputes settled"
formula = "settled / disputes"
weight = 40
target = 0.8
unit = "share"
"#;
        let c = Catalogue::parse(ok, KNOWN).unwrap();
        assert_eq!(c.indicator.len(), 2);
        let e = Catalogue::parse(
            &ok.replace("settled / disputes", "settled / disputez"),
            KNOWN,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("indicator 2 (disputes): formula: unknown metric \"disputez\""),
            "{e}"
        );
        let e = Catalogue::parse(&ok.replace("weight = 60", "weight = 0"), KNOWN)
            .unwrap_err()
            .to_string();
        assert!(e.contains("indicator 1 (reach5): weight"), "{e}");
        let e = Catalogue::parse(&ok.replace("target = 0.9", "target = \"high\""), KNOWN)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("catalogue:"), "{e}");
        // The shipped catalogue parses against the metrics the server counts.
        let stations = vec![
            (
                "S1".into(),
                "一所".into(),
                m(&[
                    ("incidents", 100.0),
                    ("reached_5min", 90.0),
                    ("disputes", 10.0),
                    ("settled", 4.0),
                ]),
            ),
            (
                "S2".into(),
                "二所".into(),
                m(&[
                    ("incidents", 100.0),
                    ("reached_5min", 45.0),
                    ("disputes", 10.0),
                    ("settled", 8.0),
                ]),
            ),
            (
                "S3".into(),
                "三所".into(),
                m(&[("incidents", 0.0), ("disputes", 10.0), ("settled", 8.0)]),
            ),
        ];
        let rows = assess(&c, &stations);
        // S1: 60 + 40 * 0.5 = 80; S2: 60 * 0.5 + 40 = 70; S3: no incidents, 40/40 = 100.
        let got: Vec<(&str, f64, usize)> = rows
            .iter()
            .map(|r| (r.station_id.as_str(), r.total, r.rank))
            .collect();
        assert_eq!(got, [("S3", 100.0, 1), ("S1", 80.0, 2), ("S2", 70.0, 3)]);
        assert_eq!(
            rows[0].scores[0].value, None,
            "no incidents: no value, not zero"
        );
        assert_eq!(rows[1].scores[1].inputs["settled"], 4.0);
        let csv = to_csv(&c, &rows);
        assert!(csv.starts_with("rank,station_id,station,total,reach5 value,reach5 points"));
        assert!(csv.contains("\n2,S1,一所,80,0.9,60,0.4,20\n"), "{csv}");
    }
}
