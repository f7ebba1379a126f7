//! Calendar dates and instants for effective dates and approval times, in UTC.
//!
//! Requirements are stated by day ("issued on or after 1 September 2020"), so a [`Date`] is a civil day in
//! UTC and an effective date means 00:00:00 UTC of that day. Approval times are RFC 3339 instants as the
//! manifest records them.

use std::fmt;

/// A day of the proleptic Gregorian calendar, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Days since 1970-01-01.
    days: i64,
}

impl Date {
    /// Parses `YYYY-MM-DD`, rejecting days that do not exist (`2023-02-29`).
    pub fn parse(text: &str) -> Result<Date, String> {
        let bad = || format!("`{text}` is not a date; write YYYY-MM-DD");
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
            let s = &text[r];
            if !s.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            s.parse::<i64>().map_err(|_| bad())
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        Date::from_ymd(y, m, d).ok_or_else(|| format!("`{text}` is not a day of the calendar"))
    }

    /// The day `y-m-d`, if it exists.
    pub fn from_ymd(y: i64, m: i64, d: i64) -> Option<Date> {
        if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
            return None;
        }
        Some(Date {
            days: days_from_civil(y, m, d),
        })
    }

    /// The UTC day holding `unix_seconds`.
    pub fn from_unix(unix_seconds: i64) -> Date {
        Date {
            days: unix_seconds.div_euclid(86_400),
        }
    }

    /// Today, by the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        Date::from_unix(secs)
    }

    /// 00:00:00 UTC of this day, in seconds since the Unix epoch.
    pub fn start_unix(self) -> i64 {
        self.days * 86_400
    }

    pub fn add_days(self, n: i64) -> Date {
        Date {
            days: self.days + n,
        }
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        later.days - self.days
    }

    pub fn ymd(self) -> (i64, i64, i64) {
        civil_from_days(self.days)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// Parses an RFC 3339 instant (`2026-01-01T00:00:00Z`, as the manifest writes) into Unix seconds.
pub fn parse_instant(text: &str) -> Result<i64, String> {
    let t = humantime::parse_rfc3339_weak(text.trim())
        .map_err(|e| format!("`{text}` is not an RFC 3339 time in UTC: {e}"))?;
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => Ok(d.as_secs() as i64),
        Err(e) => Ok(-(e.duration().as_secs() as i64)),
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days in month `m` (1 to 12) of year `y`, proleptic Gregorian.
pub(crate) fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

// Howard Hinnant's `days_from_civil` and `civil_from_days` (public domain algorithms), which count the
// year from March so that the leap day falls at the end.
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_reject_impossible_days() {
        for s in [
            "1970-01-01",
            "2000-02-29",
            "2020-09-01",
            "2029-03-15",
            "2100-12-31",
        ] {
            assert_eq!(Date::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Date::parse("1970-01-02").unwrap().start_unix(), 86_400);
        assert!(Date::parse("2023-02-29").is_err());
        assert!(Date::parse("2100-02-29").is_err());
        assert!(Date::parse("2020-9-1").is_err());
        assert!(Date::parse("2020-13-01").is_err());
        let a = Date::parse("2026-03-15").unwrap();
        assert_eq!(a.add_days(-90).to_string(), "2025-12-15");
        assert_eq!(a.days_until(Date::parse("2027-03-15").unwrap()), 365);
    }

    #[test]
    fn instants() {
        assert_eq!(parse_instant("1970-01-02T00:00:00Z").unwrap(), 86_400);
        assert_eq!(
            Date::from_unix(parse_instant("2020-08-31T23:59:59Z").unwrap()).to_string(),
            "2020-08-31"
        );
        assert!(parse_instant("yesterday").is_err());
    }
}
