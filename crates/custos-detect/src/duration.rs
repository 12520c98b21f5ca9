//! Durations as rule files write them: a whole number and a unit, `30s`, `10m`, `12h`, `7d`.

use std::fmt;

/// The longest duration a rule may name: a little over a year, so windows stay meaningful
/// and millisecond arithmetic cannot overflow.
const MAX_MS: i64 = 400 * 86_400_000;

/// A positive duration, kept in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleDuration {
    ms: i64,
}

impl RuleDuration {
    /// Parses `<n><unit>` with unit `s`, `m`, `h` or `d`; `n` at least 1, at most 400 days in all.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a duration like 30s, 10m, 12h or 7d");
        let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (number, unit) = text.split_at(split);
        if number.is_empty() || number.len() > 9 {
            return Err(bad());
        }
        let n: i64 = number.parse().map_err(|_| bad())?;
        let unit_ms = match unit {
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(bad()),
        };
        let ms = n.checked_mul(unit_ms).ok_or_else(bad)?;
        if n == 0 {
            return Err(format!("`{text}` is zero; a duration must be positive"));
        }
        if ms > MAX_MS {
            return Err(format!("`{text}` is longer than 400 days"));
        }
        Ok(Self { ms })
    }

    /// From milliseconds, if positive and at most 400 days.
    pub fn from_millis(ms: i64) -> Option<Self> {
        (ms > 0 && ms <= MAX_MS).then_some(Self { ms })
    }

    /// `n` minutes, for defaults written in code (`n` between 1 and 400 days' worth).
    pub(crate) const fn minutes(n: u32) -> Self {
        Self {
            ms: n as i64 * 60_000,
        }
    }

    /// Milliseconds.
    pub fn as_millis(self) -> i64 {
        self.ms
    }

    /// Whole seconds (rounded down).
    pub fn as_secs(self) -> u64 {
        u64::try_from(self.ms / 1000).unwrap_or(0)
    }
}

impl fmt::Display for RuleDuration {
    /// The largest unit that divides the duration: `90m` prints as `90m`, `2h` as `2h`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (unit, ms) in [
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1_000),
        ] {
            if self.ms % ms == 0 {
                return write!(f, "{}{unit}", self.ms / ms);
            }
        }
        write!(f, "{}ms", self.ms)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    #[test]
    fn parses_and_prints() {
        for (text, ms) in [
            ("30s", 30_000),
            ("10m", 600_000),
            ("12h", 43_200_000),
            ("7d", 604_800_000),
        ] {
            let d = RuleDuration::parse(text).unwrap();
            assert_eq!(d.as_millis(), ms);
            assert_eq!(d.to_string(), text);
        }
        assert_eq!(RuleDuration::parse("90m").unwrap().to_string(), "90m");
        assert_eq!(RuleDuration::parse("120m").unwrap().to_string(), "2h");
    }

    #[test]
    fn refuses_nonsense() {
        for text in [
            "",
            "m",
            "10",
            "10 m",
            "-5m",
            "0m",
            "1w",
            "1.5h",
            "401d",
            "99999999999d",
            "10mm",
        ] {
            assert!(RuleDuration::parse(text).is_err(), "{text}");
        }
    }
}
