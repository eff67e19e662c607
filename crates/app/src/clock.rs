//! The server's clock: the one place that reads the time of day.
//!
//! Everything that asks "what time is it" asks the `App`'s clock, so a
//! test or a rehearsal can run the whole server (its timers, the demo's
//! history, today's tasks, the default briefing period) as if it were
//! another instant: `Clock::starting_at` keeps time moving at the real
//! rate from a chosen start. Production runs `Clock::system()`.

use dispatch::Millis;

/// Wall-clock time, possibly shifted to start at a chosen instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    /// Added to the system time, milliseconds.
    offset_ms: i64,
}

impl Clock {
    /// The machine's own clock.
    pub fn system() -> Clock {
        Clock { offset_ms: 0 }
    }

    /// A clock that reads `at` now and runs on at the real rate from there.
    pub fn starting_at(at: Millis) -> Clock {
        Clock {
            offset_ms: at - system_ms(),
        }
    }

    /// Parses an RFC 3339 instant (`2027-01-01T00:30:00+08:00`) for
    /// [`Clock::starting_at`]; `None` for anything else.
    pub fn parse_start(s: &str) -> Option<Clock> {
        dispatch::time::parse_rfc3339(s.trim()).map(Clock::starting_at)
    }

    /// Milliseconds since the epoch, now.
    pub fn now(&self) -> Millis {
        system_ms() + self.offset_ms
    }
}

fn system_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_clock_starts_where_asked_and_runs_on() {
        let at = dispatch::time::parse_rfc3339("2027-01-01T00:30:00+08:00").unwrap();
        let c = Clock::parse_start("2027-01-01T00:30:00+08:00").unwrap();
        let t0 = c.now();
        assert!((t0 - at).abs() < 1_000, "{t0} vs {at}");
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(c.now() >= t0 + 20);
        assert!(Clock::parse_start("yesterday").is_none());
        assert!((Clock::system().now() - system_ms()).abs() < 1_000);
    }
}
