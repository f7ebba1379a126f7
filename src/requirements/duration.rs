//! Typed durations (days, seconds, Go-style `2160h`) and certificate validity counted as RFC 5280 counts it.
//!
//! # The arithmetic
//!
//! A certificate's validity period runs from `notBefore` through `notAfter`, **both inclusive** (RFC 5280
//! §4.1.2.5; the Baseline Requirements define "Validity Period" the same way and, in §6.3.2, count a day as
//! 86,400 seconds, any part of a further second making another day). X.509 times have one-second
//! resolution. An issuer configured with a lifetime `L` sets `notAfter = notBefore + L`, so the certificate
//! covers `floor(L in seconds) + 1` seconds:
//!
//! | configured | covers | against a 398-day maximum (34,387,200 s) |
//! |---|---|---|
//! | OpenSSL `default_days = 397` | 397 × 86,400 + 1 = 34,300,801 s | within |
//! | OpenSSL `default_days = 398` | 398 × 86,400 + 1 = 34,387,201 s | **over** by one second |
//! | step-ca `2160h` against 90 days | 2,160 × 3,600 + 1 = 7,776,001 s | **over** 7,776,000 s |
//!
//! OpenSSL `ca` computes `notAfter` as `notBefore` plus `days` × 86,400 seconds (`X509_time_adj_ex`), so its
//! `default_days` is a whole number of 86,400-second days.

use std::fmt;

const NANOS_PER_SECOND: u128 = 1_000_000_000;
/// Seconds in a day as the Baseline Requirements count it.
pub const SECONDS_PER_DAY: u128 = 86_400;

/// A non-negative length of time, exact to the nanosecond (Go's resolution).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    nanos: u128,
}

/// How a bare number (no unit) is read: OpenSSL `default_days` counts days, most JSON fields seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unit {
    Days,
    Hours,
    #[default]
    Seconds,
}

impl Unit {
    pub fn parse(s: &str) -> Option<Unit> {
        match s {
            "days" => Some(Unit::Days),
            "hours" => Some(Unit::Hours),
            "seconds" => Some(Unit::Seconds),
            _ => None,
        }
    }
    fn seconds(self) -> u128 {
        match self {
            Unit::Days => SECONDS_PER_DAY,
            Unit::Hours => 3_600,
            Unit::Seconds => 1,
        }
    }
}

impl Span {
    #[cfg(test)]
    pub fn from_days(d: u128) -> Span {
        Span {
            nanos: d * SECONDS_PER_DAY * NANOS_PER_SECOND,
        }
    }

    /// Whole seconds, rounded down (certificate times have no smaller unit).
    pub fn whole_seconds(self) -> u128 {
        self.nanos / NANOS_PER_SECOND
    }

    pub fn nanos(self) -> u128 {
        self.nanos
    }

    /// Reads a configured lifetime: a bare non-negative integer counted in `bare` units (OpenSSL
    /// `default_days = 398` with [`Unit::Days`]), or a duration with units (see [`Span::parse_units`]).
    pub fn parse_value(text: &str, bare: Unit) -> Result<Span, String> {
        let t = text.trim();
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            let n: u128 = t
                .parse()
                .map_err(|_| format!("`{t}` is too large for a duration"))?;
            return n
                .checked_mul(bare.seconds())
                .and_then(|s| s.checked_mul(NANOS_PER_SECOND))
                .map(|nanos| Span { nanos })
                .ok_or_else(|| format!("`{t}` is too large for a duration"));
        }
        Span::parse_units(t)
    }

    /// Parses a Go `time.ParseDuration` string (`2160h`, `1h30m`, `1.5h`, `300ms`, `7776000s`), plus `d`
    /// for days of 86,400 seconds (`398d`), which Go lacks but rule files use. Negative durations are
    /// refused: a lifetime cannot be negative.
    pub fn parse_units(text: &str) -> Result<Span, String> {
        let bad = |why: &str| {
            format!("`{text}` is not a duration ({why}); write e.g. `398d`, `2160h` or `1h30m`")
        };
        let mut s = text.trim();
        if let Some(rest) = s.strip_prefix('+') {
            s = rest;
        }
        if s.starts_with('-') {
            return Err(bad("negative"));
        }
        if s == "0" {
            return Ok(Span { nanos: 0 });
        }
        if s.is_empty() {
            return Err(bad("empty"));
        }
        let mut total: u128 = 0;
        let mut rest = s;
        while !rest.is_empty() {
            let num_len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .ok_or_else(|| bad("a number needs a unit"))?;
            if num_len == 0 {
                return Err(bad("expected a number"));
            }
            let (num, after) = rest.split_at(num_len);
            let unit_len = after
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(after.len());
            let (unit, next) = after.split_at(unit_len);
            let unit_nanos: u128 = match unit {
                "ns" => 1,
                "us" | "µs" | "μs" => 1_000,
                "ms" => 1_000_000,
                "s" => NANOS_PER_SECOND,
                "m" => 60 * NANOS_PER_SECOND,
                "h" => 3_600 * NANOS_PER_SECOND,
                "d" => SECONDS_PER_DAY * NANOS_PER_SECOND,
                _ => return Err(bad(&format!("unknown unit `{unit}`"))),
            };
            let (int, frac) = match num.split_once('.') {
                Some((i, f)) => (i, f),
                None => (num, ""),
            };
            if (int.is_empty() && frac.is_empty()) || frac.contains('.') {
                return Err(bad("malformed number"));
            }
            let int: u128 = if int.is_empty() {
                0
            } else {
                int.parse().map_err(|_| bad("number too large"))?
            };
            let mut part = int
                .checked_mul(unit_nanos)
                .ok_or_else(|| bad("number too large"))?;
            // Fractions are exact in decimal; digits beyond nanosecond precision are dropped, as Go does.
            let mut scale = unit_nanos;
            for d in frac.bytes() {
                scale /= 10;
                if scale == 0 {
                    break;
                }
                part += u128::from(d - b'0') * scale;
            }
            total = total
                .checked_add(part)
                .ok_or_else(|| bad("number too large"))?;
            rest = next;
        }
        Ok(Span { nanos: total })
    }

    /// The validity period, in seconds, of a certificate whose `notAfter` is `notBefore` plus this span:
    /// both ends count, at one-second resolution.
    pub fn inclusive_validity_seconds(self) -> u128 {
        self.whole_seconds() + 1
    }
}

/// Writes a number of seconds the way a reader checks it against days: `398 days + 1 second`.
pub fn describe_seconds(total: u128) -> String {
    let days = total / SECONDS_PER_DAY;
    let rem = total % SECONDS_PER_DAY;
    let plural = |n: u128, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    match (days, rem) {
        (0, r) => plural(r, "second"),
        (d, 0) => plural(d, "day"),
        (d, r) => format!("{} + {}", plural(d, "day"), plural(r, "second")),
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.whole_seconds();
        let sub = self.nanos % NANOS_PER_SECOND;
        if sub == 0 {
            f.write_str(&describe_seconds(s))
        } else {
            write!(f, "{} + {sub} ns", describe_seconds(s))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> u128 {
        Span::parse_units(s).unwrap().whole_seconds()
    }

    #[test]
    fn go_durations() {
        assert_eq!(secs("2160h"), 90 * 86_400);
        assert_eq!(secs("1h30m"), 5_400);
        assert_eq!(secs("1.5h"), 5_400);
        assert_eq!(secs("7776000s"), 7_776_000);
        assert_eq!(secs("398d"), 398 * 86_400);
        assert_eq!(secs("0"), 0);
        assert_eq!(Span::parse_units("300ms").unwrap().nanos(), 300_000_000);
        assert_eq!(Span::parse_units("1us").unwrap().nanos(), 1_000);
        assert_eq!(Span::parse_units("1µs").unwrap().nanos(), 1_000);
        assert_eq!(Span::parse_units(".5s").unwrap().nanos(), 500_000_000);
        for bad in [
            "",
            "h",
            "10",
            "10x",
            "-1h",
            "1..5h",
            "1h-2m",
            "99999999999999999999999999999999999999h",
        ] {
            assert!(Span::parse_units(bad).is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn bare_numbers_take_the_given_unit() {
        assert_eq!(
            Span::parse_value("398", Unit::Days).unwrap(),
            Span::from_days(398)
        );
        assert_eq!(
            Span::parse_value(" 60 ", Unit::Seconds)
                .unwrap()
                .whole_seconds(),
            60
        );
        assert_eq!(
            Span::parse_value("2", Unit::Hours).unwrap().whole_seconds(),
            7_200
        );
        assert_eq!(
            Span::parse_value("2160h", Unit::Days).unwrap(),
            Span::from_days(90)
        );
        assert!(Span::parse_value("398 days", Unit::Days).is_err());
    }

    #[test]
    fn validity_is_inclusive() {
        let max_398 = 398 * SECONDS_PER_DAY;
        assert!(Span::from_days(397).inclusive_validity_seconds() <= max_398);
        assert_eq!(
            Span::from_days(398).inclusive_validity_seconds(),
            max_398 + 1
        );
        assert!(secs("2160h") + 1 > 90 * SECONDS_PER_DAY);
        // 2160h minus one second is exactly 90 days once both ends count.
        assert_eq!(
            Span::parse_units("2159h59m59s")
                .unwrap()
                .inclusive_validity_seconds(),
            90 * SECONDS_PER_DAY
        );
        assert_eq!(describe_seconds(max_398 + 1), "398 days + 1 second");
        assert_eq!(describe_seconds(86_400), "1 day");
    }
}
