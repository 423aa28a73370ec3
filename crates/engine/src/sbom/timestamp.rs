//! The creation time of an SBOM, passed in by the caller so that the same image and the same
//! time give the same document.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::SbomError;

/// A UTC instant to the second, between years 1 and 9999. It is written as
/// `YYYY-MM-DDThh:mm:ssZ`, the one form both SPDX 2.3 (`created`) and CycloneDX
/// (`date-time`) accept.
///
/// Parse one from RFC 3339 (`2024-05-01T14:00:00.5+02:00` is `2024-05-01T12:00:00Z`;
/// fractions of a second are dropped), or build one from a clock reading the caller took
/// ([`Timestamp::from_system_time`]) or from `SOURCE_DATE_EPOCH`
/// ([`Timestamp::from_unix_seconds`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    unix: i64,
}

const SECONDS_PER_DAY: i64 = 86_400;
/// 0001-01-01T00:00:00Z.
const MIN_UNIX: i64 = -62_135_596_800;
/// 9999-12-31T23:59:59Z.
const MAX_UNIX: i64 = 253_402_300_799;

impl Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z; `None` outside years 1–9999.
    pub fn from_unix_seconds(seconds: i64) -> Option<Timestamp> {
        (MIN_UNIX..=MAX_UNIX)
            .contains(&seconds)
            .then_some(Timestamp { unix: seconds })
    }

    /// A clock reading, truncated to the second (and held within years 1–9999).
    pub fn from_system_time(time: SystemTime) -> Timestamp {
        let unix = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
            Err(before) => {
                let before = before.duration();
                let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
                // -0.5 s is in the second that starts at -1 s.
                let partial = i64::from(before.subsec_nanos() > 0);
                whole.saturating_add(partial).saturating_neg()
            }
        };
        Timestamp {
            unix: unix.clamp(MIN_UNIX, MAX_UNIX),
        }
    }

    pub fn unix_seconds(self) -> i64 {
        self.unix
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.unix.div_euclid(SECONDS_PER_DAY);
        let second_of_day = self.unix.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            second_of_day / 3600,
            second_of_day / 60 % 60,
            second_of_day % 60
        )
    }
}

impl FromStr for Timestamp {
    type Err = SbomError;

    /// RFC 3339 `date-time`: `YYYY-MM-DD` `T` (or `t` or a space) `hh:mm:ss`, an optional
    /// fraction, then `Z` or an offset `±hh:mm`. A leap second (`:60`) counts as `:59`.
    fn from_str(s: &str) -> Result<Timestamp, SbomError> {
        parse_rfc3339(s).ok_or_else(|| SbomError::InvalidTimestamp {
            input: s.chars().take(64).collect(),
        })
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() < 20 || !b.is_ascii() {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    if b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let valid_date = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
    if year == 0 || !valid_date || hour > 23 || minute > 59 || second > 60 {
        return None;
    }

    let mut rest = &b[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let len = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        rest = &fraction[len..];
    }
    let offset_minutes = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = digits(&[*h1, *h2])?;
            let minutes = digits(&[*m1, *m2])?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let total = i64::from(hours * 60 + minutes);
            if *sign == b'-' { -total } else { total }
        }
        _ => return None,
    };

    let days = days_from_civil(i64::from(year), month, day);
    let local = days * SECONDS_PER_DAY
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second.min(59));
    Timestamp::from_unix_seconds(local - offset_minutes * 60)
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Option<String> {
        s.parse::<Timestamp>().ok().map(|t| t.to_string())
    }

    #[test]
    fn utc_round_trips() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2024-02-29T23:59:59Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(parse(s).as_deref(), Some(s));
        }
    }

    #[test]
    fn offsets_fractions_and_case_are_normalised() {
        assert_eq!(
            parse("2024-05-01T14:00:00.999+02:00").as_deref(),
            Some("2024-05-01T12:00:00Z")
        );
        assert_eq!(
            parse("2024-12-31t23:30:00-01:00").as_deref(),
            Some("2025-01-01T00:30:00Z")
        );
        assert_eq!(
            parse("2016-12-31 23:59:60z").as_deref(),
            Some("2016-12-31T23:59:59Z")
        );
    }

    #[test]
    fn malformed_or_out_of_range_is_rejected() {
        for s in [
            "",
            "2024-05-01",
            "2024-05-01T12:00:00",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T12:00:00.Z",
            "2024-05-01T12:00:00+0200",
            "0000-01-01T00:00:00Z",
            "0001-01-01T00:00:00+00:01",
            "9999-12-31T23:59:59-00:01",
            "2024-05-01T12:00:00Z\n",
            "２０２４-05-01T12:00:00Z",
        ] {
            assert_eq!(parse(s), None, "{s:?}");
        }
    }

    #[test]
    fn system_time_is_truncated_to_the_second() {
        let t = UNIX_EPOCH + std::time::Duration::from_millis(1_714_564_800_750);
        assert_eq!(
            Timestamp::from_system_time(t).to_string(),
            "2024-05-01T12:00:00Z"
        );
        let before = UNIX_EPOCH - std::time::Duration::from_millis(500);
        assert_eq!(Timestamp::from_system_time(before).unix_seconds(), -1);
    }

    #[test]
    fn civil_conversion_agrees_both_ways() {
        for days in (-800_000..3_000_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m as u32, d as u32), days);
        }
    }
}
