//! Timestamps: milliseconds since the Unix epoch (UTC), written as RFC 3339.
//!
//! The engine never reads a clock; callers pass `now`.

/// Milliseconds since 1970-01-01T00:00:00Z.
pub type Millis = i64;

/// Milliseconds in a day: the one definition (a UTC day has no leap seconds here).
pub const DAY_MS: Millis = 86_400_000;

/// The local clock, for local days, periods and hours of day: China
/// Standard Time, UTC+8, minutes. The one definition.
pub const LOCAL_UTC_OFFSET_MIN: i64 = 8 * 60;

/// The local day (days since 1970-01-01 on the local clock) of an instant.
pub fn local_day(ms: Millis) -> i64 {
    (ms + LOCAL_UTC_OFFSET_MIN * 60_000).div_euclid(DAY_MS)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `2026-11-29T12:40:53.123Z`.
pub fn format_rfc3339(ms: Millis) -> String {
    let days = ms.div_euclid(DAY_MS);
    let rem = ms.rem_euclid(DAY_MS);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`; a date alone means midnight UTC.
pub fn parse_rfc3339(s: &str) -> Option<Millis> {
    let s = s.trim();
    let num = |a: usize, b: usize| -> Option<i64> {
        let part = s.get(a..b)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    if s.get(4..5)? != "-"
        || s.get(7..8)? != "-"
        || !(1..=12).contains(&mo)
        || !(1..=31).contains(&d)
    {
        return None;
    }
    let day_ms = days_from_civil(y, mo, d) * DAY_MS;
    if s.len() == 10 {
        return Some(day_ms);
    }
    if !matches!(s.get(10..11)?, "T" | "t" | " ") || s.get(13..14)? != ":" || s.get(16..17)? != ":"
    {
        return None;
    }
    let (h, mi, sec) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut frac_ms = 0;
    if let Some(r) = rest.strip_prefix('.') {
        let digits = r.bytes().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        let f = &r[..digits.min(3)];
        frac_ms = f.parse::<i64>().ok()? * 10_i64.pow(3 - f.len() as u32);
        rest = &r[digits..];
    }
    let offset_ms = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && &rest[3..4] == ":" =>
        {
            let oh: i64 = rest[1..3].parse().ok()?;
            let om: i64 = rest[4..6].parse().ok()?;
            let v = (oh * 60 + om) * 60_000;
            if rest.starts_with('+') { v } else { -v }
        }
        _ => return None,
    };
    Some(day_ms + ((h * 60 + mi) * 60 + sec) * 1000 + frac_ms - offset_ms)
}

/// `YYYY-MM` of a timestamp (UTC): the partition key of the store.
pub fn month_of(ms: Millis) -> String {
    let (y, m, _) = civil_from_days(ms.div_euclid(DAY_MS));
    format!("{y:04}-{m:02}")
}

/// Hour of day 0..24 at a UTC offset in minutes.
pub fn hour_of_day(ms: Millis, utc_offset_min: i64) -> u32 {
    ((ms + utc_offset_min * 60_000).rem_euclid(DAY_MS) / 3_600_000) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for ms in [
            0,
            1_764_420_053_123,
            -86_400_001,
            951_782_400_000, /* 2000-02-29 */
        ] {
            assert_eq!(parse_rfc3339(&format_rfc3339(ms)), Some(ms), "{ms}");
        }
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            parse_rfc3339("2026-11-29T20:40:53+08:00"),
            parse_rfc3339("2026-11-29T12:40:53Z")
        );
        assert_eq!(
            parse_rfc3339("2026-11-29"),
            parse_rfc3339("2026-11-29T00:00:00Z")
        );
        assert_eq!(parse_rfc3339("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(
            month_of(parse_rfc3339("2026-11-30T23:59:59Z").unwrap()),
            "2026-11"
        );
    }
}
