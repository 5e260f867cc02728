//! RFC 3339 timestamps: parsed once on the hot path, compared as integers, printed in UTC.

use std::fmt;

/// Nanoseconds since the Unix epoch, UTC. Covers the years 1678 to 2262.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

const NANOS_PER_SEC: i64 = 1_000_000_000;

impl Timestamp {
    /// A file time, to the whole second (finer parts differ between file systems and copies).
    pub fn of_system_time(time: std::time::SystemTime) -> Option<Timestamp> {
        let seconds = time.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
        i64::try_from(seconds)
            .ok()?
            .checked_mul(NANOS_PER_SEC)
            .map(Timestamp)
    }

    /// Parses an RFC 3339 date-time (`2026-11-01T12:00:00Z`, `2026-11-01T12:00:00.25+02:00`).
    /// A lowercase `t`/`z` or a space between date and time is accepted, as RFC 3339 allows.
    pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
        Timestamp::parse_rfc3339_with(text, &mut RecentDate::default())
    }

    /// `parse_rfc3339`, taking the date's day number from `recent` when the date is the one
    /// parsed last: log records come in time order, so most share their date.
    pub fn parse_rfc3339_with(text: &str, recent: &mut RecentDate) -> Option<Timestamp> {
        let b = text.as_bytes();
        if b.len() < 20 {
            return None;
        }
        let days = match recent.days_of(b) {
            Some(days) => days,
            None => {
                let year = digits(b, 0, 4)?;
                let month = digits(b, 5, 2)?;
                let day = digits(b, 8, 2)?;
                if b[4] != b'-' || b[7] != b'-' {
                    return None;
                }
                if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
                    return None;
                }
                let days = days_from_civil(year, month, day);
                recent.remember(b, days);
                days
            }
        };
        let hour = digits(b, 11, 2)?;
        let minute = digits(b, 14, 2)?;
        let second = digits(b, 17, 2)?;
        if !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
            return None;
        }
        // 60 is a leap second; it is folded onto the next second like most systems do.
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        let mut pos = 19;
        let mut nanos: i64 = 0;
        if b.get(pos) == Some(&b'.') {
            pos += 1;
            let start = pos;
            let mut scale = NANOS_PER_SEC / 10;
            while let Some(d) = b.get(pos).filter(|c| c.is_ascii_digit()) {
                nanos += i64::from(d - b'0') * scale;
                scale /= 10;
                pos += 1;
            }
            if pos == start {
                return None;
            }
        }
        let offset_secs: i64 = match b.get(pos)? {
            b'Z' | b'z' if pos + 1 == b.len() => 0,
            sign @ (b'+' | b'-') if pos + 6 == b.len() && b[pos + 3] == b':' => {
                let oh = digits(b, pos + 1, 2)?;
                let om = digits(b, pos + 4, 2)?;
                if oh > 23 || om > 59 {
                    return None;
                }
                let off = oh * 3600 + om * 60;
                if *sign == b'-' { -off } else { off }
            }
            _ => return None,
        };
        let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
        secs.checked_mul(NANOS_PER_SEC)
            .and_then(|n| n.checked_add(nanos))
            .map(Timestamp)
    }

    /// Parses a command-line bound: an RFC 3339 date-time or a plain `YYYY-MM-DD` (midnight UTC).
    pub fn parse_bound(text: &str) -> Option<Timestamp> {
        if text.len() == 10 {
            return Timestamp::parse_rfc3339(&format!("{text}T00:00:00Z"));
        }
        Timestamp::parse_rfc3339(text)
    }
}

impl fmt::Display for Timestamp {
    /// Prints `YYYY-MM-DDTHH:MM:SSZ`, with a fraction only when there is one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Rfc3339::of(*self).as_str())
    }
}

impl Timestamp {
    /// Appends what `Display` prints, without a `Formatter` or an allocation.
    pub fn push_rfc3339(self, out: &mut String) {
        out.push_str(Rfc3339::of(self).as_str());
    }

    /// What `Display` prints, as `to_string` gives it but without going through a
    /// `Formatter`.
    pub fn rfc3339(self) -> String {
        Rfc3339::of(self).as_str().to_string()
    }
}

/// Serializes a timestamp as its RFC 3339 text (`#[serde(serialize_with = ...)]`): values
/// keep the time as a number until a report or the store writes it.
pub fn serialize_rfc3339<S: serde::Serializer>(
    time: &Timestamp,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(Rfc3339::of(*time).as_str())
}

/// A timestamp's RFC 3339 text, written digit by digit into a fixed buffer: reports and the
/// store write hundreds of thousands of times, and the formatting machinery was their cost.
struct Rfc3339 {
    /// `YYYY-MM-DDTHH:MM:SS.fffffffffZ` at the longest.
    bytes: [u8; 30],
    len: usize,
}

impl Rfc3339 {
    fn of(time: Timestamp) -> Rfc3339 {
        let secs = time.0.div_euclid(NANOS_PER_SEC);
        let nanos = time.0.rem_euclid(NANOS_PER_SEC);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        // Every i64 of nanoseconds falls in the years 1677 to 2262: four digits.
        let (y, m, d) = civil_from_days(days);
        let mut text = Rfc3339 {
            bytes: [0; 30],
            len: 0,
        };
        text.digits(y, 4);
        text.push(b'-');
        text.digits(m, 2);
        text.push(b'-');
        text.digits(d, 2);
        text.push(b'T');
        text.digits(rem / 3600, 2);
        text.push(b':');
        text.digits(rem % 3600 / 60, 2);
        text.push(b':');
        text.digits(rem % 60, 2);
        if nanos != 0 {
            text.push(b'.');
            let mut nanos = nanos;
            let mut width = 9;
            while nanos % 10 == 0 {
                nanos /= 10;
                width -= 1;
            }
            text.digits(nanos, width);
        }
        text.push(b'Z');
        text
    }

    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }

    /// `value` (not negative) with leading zeros to `width` digits.
    fn digits(&mut self, value: i64, width: u32) {
        let mut scale = 10_i64.pow(width.saturating_sub(1));
        while scale > 0 {
            self.push(b'0' + (value / scale % 10) as u8);
            scale /= 10;
        }
    }

    fn as_str(&self) -> &str {
        // Only ASCII digits and punctuation are written.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

/// A time window `[since, until)`; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

impl Window {
    /// Whether records seen from `first` to `last` fall wholly outside the window.
    pub fn excludes(&self, first: Timestamp, last: Timestamp) -> bool {
        self.since.is_some_and(|since| last < since)
            || self.until.is_some_and(|until| first >= until)
    }
}

/// The last valid date `parse_rfc3339_with` parsed (`YYYY-MM-DD`) and its day number.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecentDate {
    /// The date's ten bytes as two words; `None` until a date is remembered.
    date: Option<(u64, u16)>,
    days: i64,
}

impl RecentDate {
    fn key(b: &[u8]) -> Option<(u64, u16)> {
        let head: [u8; 8] = b.get(..8)?.try_into().ok()?;
        let tail: [u8; 2] = b.get(8..10)?.try_into().ok()?;
        Some((u64::from_le_bytes(head), u16::from_le_bytes(tail)))
    }

    fn days_of(&self, b: &[u8]) -> Option<i64> {
        (self.date.is_some() && self.date == RecentDate::key(b)).then_some(self.days)
    }

    fn remember(&mut self, b: &[u8], days: i64) {
        self.date = RecentDate::key(b);
        self.days = days;
    }
}

fn digits(b: &[u8], start: usize, len: usize) -> Option<i64> {
    let mut value = 0i64;
    for &c in b.get(start..start + len)? {
        if !c.is_ascii_digit() {
            return None;
        }
        value = value * 10 + i64::from(c - b'0');
    }
    Some(value)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's algorithms: exact for the proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `Display` printed through the formatting machinery, before it wrote digits itself.
    fn by_format(time: Timestamp) -> String {
        let secs = time.0.div_euclid(NANOS_PER_SEC);
        let nanos = time.0.rem_euclid(NANOS_PER_SEC);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let mut text = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        );
        if nanos != 0 {
            let frac = format!("{nanos:09}");
            text.push_str(&format!(".{}", frac.trim_end_matches('0')));
        }
        text.push('Z');
        text
    }

    #[test]
    fn times_are_written_as_the_format_machinery_wrote_them() {
        let mut values = vec![
            0,
            1,
            -1,
            999_999_999,
            1_000_000_000,
            -1_000_000_000,
            1_700_000_000_000_000_000,
            1_700_000_000_250_000_000,
            1_700_000_000_000_000_001,
            1_798_761_599_999_999_999,
            -6_213_559_680_000_000_000,
            i64::MAX,
            i64::MIN,
            i64::MAX - 86_400 * 1_000_000_000,
            i64::MIN + 86_400 * 1_000_000_000,
        ];
        // A spread over the range, and many times of one day.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(x as i64);
            values.push(1_700_000_000_000_000_000 + (x % 86_400_000_000_000) as i64);
            values.push(1_700_000_000_000_000_000 + (x % 86_400) as i64 * 1_000_000_000);
        }
        let mut out = String::new();
        for value in values {
            let time = Timestamp(value);
            assert_eq!(time.to_string(), by_format(time), "{value}");
            out.clear();
            time.push_rfc3339(&mut out);
            assert_eq!(out, by_format(time), "{value}");
            assert_eq!(time.rfc3339(), by_format(time), "{value}");
        }
    }

    #[test]
    fn a_remembered_date_parses_as_a_fresh_one() {
        let texts = [
            "2026-11-01T00:00:03Z",
            "2026-11-01T23:59:59.5Z",
            "2026-11-01X00:00:03Z",
            "2026-11-01T24:00:00Z",
            "2026-11-01T00:00:03+02:00",
            "2026-11-02T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2024-02-29t00:00:00z",
            "2024-02-29 12:00:00Z",
            "2024-02-29T12:00Z",
            "2024-02-30T12:00:00Z",
            "2024-02-29T12:00:00Z",
            "2024/02/29T12:00:00Z",
            "2024-02-29T12:00:00Z",
            "20é4-02-29T12:00:00Z",
        ];
        let mut recent = RecentDate::default();
        for round in 0..2 {
            for text in texts {
                assert_eq!(
                    Timestamp::parse_rfc3339_with(text, &mut recent),
                    Timestamp::parse_rfc3339(text),
                    "{text} (round {round})"
                );
            }
        }
    }

    fn round_trip(text: &str) -> String {
        Timestamp::parse_rfc3339(text)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn parses_and_prints_utc() {
        assert_eq!(round_trip("2026-11-01T12:00:00Z"), "2026-11-01T12:00:00Z");
        assert_eq!(
            round_trip("2026-11-01T12:00:00+02:00"),
            "2026-11-01T10:00:00Z"
        );
        assert_eq!(
            round_trip("2026-11-01T23:30:00-01:00"),
            "2026-11-02T00:30:00Z"
        );
        assert_eq!(
            round_trip("2024-02-29T00:00:00.250z"),
            "2024-02-29T00:00:00.25Z"
        );
        assert_eq!(round_trip("1970-01-01T00:00:00Z"), "1970-01-01T00:00:00Z");
        assert_eq!(round_trip("1969-12-31T23:59:59Z"), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn rejects_what_is_not_rfc3339() {
        for bad in [
            "",
            "2026-11-01",
            "2026-11-01T12:00:00",
            "2026-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2026-11-01T24:00:00Z",
            "2026-11-01T12:00:00.Z",
            "2026-11-01T12:00:00+0200",
            "2026-11-01T12:00:00Zjunk",
            "1700000000",
            "9999-12-31T23:59:59Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn windows_are_half_open_and_keep_overlapping_ranges() {
        let t = |d: &str| Timestamp::parse_bound(d).unwrap_or(Timestamp(0));
        let window = Window {
            since: Some(t("2026-11-10")),
            until: Some(t("2026-11-20")),
        };
        assert!(window.excludes(t("2026-11-09"), t("2026-11-09")));
        assert!(!window.excludes(t("2026-11-10"), t("2026-11-10")));
        assert!(window.excludes(t("2026-11-20"), t("2026-11-20")));
        assert!(
            !window.excludes(t("2026-11-01"), t("2026-11-12")),
            "a range that overlaps"
        );
        assert!(!Window::default().excludes(t("1999-01-01"), t("1999-01-01")));
    }

    #[test]
    fn orders_by_instant_not_by_text() {
        let a = Timestamp::parse_rfc3339("2026-11-01T12:00:00+02:00");
        let b = Timestamp::parse_rfc3339("2026-11-01T11:00:00Z");
        assert!(a < b);
        assert_eq!(
            Timestamp::parse_bound("2026-11-02"),
            Timestamp::parse_rfc3339("2026-11-02T00:00:00Z")
        );
    }
}
