//! Trends: counts by kind, venue type or area compared period on period and
//! year on year (the report's "venue incidents −17.6%"), with the
//! significance of each change (conditional binomial test of two Poisson
//! counts), and hour x weekday tables.

use crate::AnalysisError;
use crate::records::{DAY, Record, civil_from_days, days_from_civil, format_day};
use crate::stats::poisson_rate_test;

/// A half-open range of days `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Period {
    /// First day (days since 1970-01-01).
    pub start: i64,
    /// Day after the last.
    pub end: i64,
}

impl Period {
    /// Parse `YYYY`, `YYYY-MM`, `YYYY-MM-DD` (one day) or `YYYY-MM-DD..YYYY-MM-DD` (inclusive).
    pub fn parse(s: &str) -> Result<Period, AnalysisError> {
        let bad = || AnalysisError::Param {
            field: "period",
            message: format!("{s:?}: expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD"),
        };
        if let Some((a, b)) = s.split_once("..") {
            let a = Period::parse(a)?;
            let b = Period::parse(b)?;
            if b.end <= a.start {
                return Err(bad());
            }
            return Ok(Period {
                start: a.start,
                end: b.end,
            });
        }
        let parts: Vec<&str> = s.trim().split('-').collect();
        let num = |p: &str| p.parse::<i64>().map_err(|_| bad());
        match parts.as_slice() {
            [y] if y.len() == 4 => {
                let y = num(y)?;
                Ok(Period {
                    start: days_from_civil(y, 1, 1),
                    end: days_from_civil(y + 1, 1, 1),
                })
            }
            [y, m] => {
                let (y, m) = (num(y)?, num(m)?);
                if !(1..=12).contains(&m) {
                    return Err(bad());
                }
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                Ok(Period {
                    start: days_from_civil(y, m as u32, 1),
                    end: days_from_civil(ny, nm as u32, 1),
                })
            }
            [_, _, _] => {
                let (t, _) = crate::records::parse_time(s, crate::records::DateOrder::Auto)
                    .map_err(|_| bad())?;
                let d = t.div_euclid(DAY);
                Ok(Period {
                    start: d,
                    end: d + 1,
                })
            }
            _ => Err(bad()),
        }
    }

    /// The calendar month that contains `day` (days since 1970-01-01).
    pub fn month_containing(day: i64) -> Period {
        let (y, m, _) = civil_from_days(day);
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        Period {
            start: days_from_civil(y, m, 1),
            end: days_from_civil(ny, nm, 1),
        }
    }

    /// The month a briefing asked for on local day `today` is about: the
    /// month just ended during the first `grace_days` days of a month (a
    /// station's monthly meeting looks back at it), else the current month.
    pub fn default_briefing(today: i64, grace_days: u32) -> Period {
        let month = Period::month_containing(today);
        if today - month.start < grace_days as i64 {
            month.previous()
        } else {
            month
        }
    }

    /// `YYYY-MM` for a whole calendar month, else the `FROM..TO` label.
    pub fn name(&self) -> String {
        let (y, m, d) = civil_from_days(self.start);
        if d == 1 && Period::month_containing(self.start) == *self {
            format!("{y:04}-{m:02}")
        } else {
            self.label()
        }
    }

    /// Days in the period.
    pub fn days(&self) -> i64 {
        self.end - self.start
    }

    /// The period just before, of the same length (a month before a month).
    pub fn previous(&self) -> Period {
        let (y, m, d) = civil_from_days(self.start);
        let (ey, em, ed) = civil_from_days(self.end);
        if d == 1 && ed == 1 {
            let months = (ey - y) * 12 + em as i64 - m as i64;
            let back = |y: i64, m: u32, k: i64| {
                let idx = y * 12 + m as i64 - 1 - k;
                days_from_civil(idx.div_euclid(12), (idx.rem_euclid(12) + 1) as u32, 1)
            };
            return Period {
                start: back(y, m, months),
                end: self.start,
            };
        }
        Period {
            start: self.start - self.days(),
            end: self.start,
        }
    }

    /// The same period a year earlier.
    pub fn year_before(&self) -> Period {
        let shift = |day: i64| {
            let (y, m, d) = civil_from_days(day);
            days_from_civil(y - 1, m, d.min(28).max(if m == 2 { 1 } else { d }))
        };
        Period {
            start: shift(self.start),
            end: shift(self.end),
        }
    }

    /// Whether a record's window starts in the period.
    pub fn contains(&self, r: &Record) -> bool {
        (self.start..self.end).contains(&r.day())
    }

    /// "2026-10-01..2026-10-31".
    pub fn label(&self) -> String {
        format!("{}..{}", format_day(self.start), format_day(self.end - 1))
    }
}

/// What to group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// Everything together.
    All,
    /// Offence or incident kind.
    Kind,
    /// Venue type.
    Venue,
    /// Area.
    Area,
}

/// One row of a comparison.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Change {
    /// Group value ("(all)", a kind, a venue type, an area; "(unknown)" if missing).
    pub key: String,
    /// Count in the period.
    pub current: u64,
    /// Count in the comparison period.
    pub previous: u64,
    /// Percent change (None when the comparison count is 0).
    pub change_pct: Option<f64>,
    /// Two-sided p-value that the rate did not change (lengths taken into account).
    pub p_value: f64,
}

/// Counts per group in `current` vs `previous`, largest groups first.
pub fn compare(records: &[Record], by: GroupBy, current: Period, previous: Period) -> Vec<Change> {
    use std::collections::BTreeMap;
    let key = |r: &Record| -> String {
        let v = match by {
            GroupBy::All => return "(all)".into(),
            GroupBy::Kind => &r.kind,
            GroupBy::Venue => &r.venue,
            GroupBy::Area => &r.area,
        };
        v.clone().unwrap_or_else(|| "(unknown)".into())
    };
    let mut m: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for r in records {
        if current.contains(r) {
            m.entry(key(r)).or_default().0 += 1;
        } else if previous.contains(r) {
            m.entry(key(r)).or_default().1 += 1;
        }
    }
    let (ea, eb) = (current.days() as f64, previous.days() as f64);
    let mut rows: Vec<Change> = m
        .into_iter()
        .map(|(key, (a, b))| Change {
            key,
            current: a,
            previous: b,
            change_pct: (b > 0).then(|| (a as f64 * eb / ea - b as f64) / b as f64 * 100.0),
            p_value: poisson_rate_test(a, b, ea, eb),
        })
        .collect();
    rows.sort_by(|x, y| {
        (y.current + y.previous)
            .cmp(&(x.current + x.previous))
            .then(x.key.cmp(&y.key))
    });
    rows
}

/// Counts by weekday (rows, Monday first) and hour (columns) of records in
/// the period that have a time of day and a window under an hour.
pub fn hour_by_weekday(records: &[Record], period: Period) -> [[u64; 24]; 7] {
    let mut t = [[0u64; 24]; 7];
    for r in records
        .iter()
        .filter(|r| period.contains(r) && r.has_time && r.to - r.from < 3600)
    {
        let mid = r.mid();
        let day = mid.div_euclid(DAY);
        let weekday = (day + 3).rem_euclid(7) as usize;
        let hour = (mid.rem_euclid(DAY) / 3600) as usize;
        t[weekday][hour] += 1;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let oct = Period::parse("2026-10").unwrap();
        assert_eq!(oct.days(), 31);
        assert_eq!(oct.previous().label(), "2026-09-01..2026-09-30");
        assert_eq!(oct.year_before().label(), "2025-10-01..2025-10-31");
        assert_eq!(Period::parse("2026").unwrap().days(), 365);
        assert_eq!(
            Period::parse("2026-10-01..2026-10-07")
                .unwrap()
                .previous()
                .label(),
            "2026-09-24..2026-09-30"
        );
        assert!(Period::parse("2026-13").is_err());
    }

    #[test]
    fn the_default_briefing_looks_back_in_the_first_days_of_a_month() {
        // (local day, grace days, the briefing's month)
        let cases = [
            ("2026-12-01", 7, "2026-11"),
            ("2026-12-02", 7, "2026-11"),
            ("2026-12-07", 7, "2026-11"),
            ("2026-12-08", 7, "2026-12"),
            ("2026-12-31", 7, "2026-12"),
            ("2027-01-01", 7, "2026-12"),
            ("2028-02-29", 7, "2028-02"),
            ("2028-03-01", 7, "2028-02"),
            ("2026-03-05", 7, "2026-02"),
            ("2026-12-01", 0, "2026-12"),
            ("2026-12-01", 1, "2026-11"),
            ("2026-12-02", 1, "2026-12"),
        ];
        for (today, grace, want) in cases {
            let day = Period::parse(today).unwrap().start;
            let got = Period::default_briefing(day, grace);
            assert_eq!(got.name(), want, "{today} grace {grace}");
            assert_eq!(got, Period::parse(want).unwrap());
        }
        assert_eq!(Period::parse("2028-02").unwrap().days(), 29);
        assert_eq!(
            Period::parse("2026-10-01..2026-10-07").unwrap().name(),
            "2026-10-01..2026-10-07"
        );
    }

    #[test]
    fn compares_with_rate_adjustment() {
        let oct = Period::parse("2026-10").unwrap();
        let sep = oct.previous();
        let mut recs = Vec::new();
        for i in 0..62 {
            let mut r = Record::at(i.to_string(), 0.0, 0.0, (oct.start + i % 31) * DAY);
            r.kind = Some("theft".into());
            recs.push(r);
        }
        for i in 0..30 {
            let mut r = Record::at(format!("s{i}"), 0.0, 0.0, (sep.start + i % 30) * DAY);
            r.kind = Some("theft".into());
            recs.push(r);
        }
        let rows = compare(&recs, GroupBy::Kind, oct, sep);
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!((r.current, r.previous), (62, 30));
        // 62 in 31 days vs 30 in 30 days: the daily rate went from 1 to 2.
        assert!((r.change_pct.unwrap() - 100.0).abs() < 1e-9);
        assert!(r.p_value < 0.01);
    }

    #[test]
    fn hour_weekday_table() {
        // 2026-11-30 is a Monday.
        let monday = days_from_civil(2026, 11, 30);
        let r = Record::at("a", 0.0, 0.0, monday * DAY + 14 * 3600 + 5);
        let t = hour_by_weekday(
            &[r],
            Period {
                start: monday,
                end: monday + 1,
            },
        );
        assert_eq!(t[0][14], 1);
    }
}
