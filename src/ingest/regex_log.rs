//! Line logs of any shape, read with a regular expression from lintage.toml: named captures
//! `principal`, `action`, `resource` and `ts`, an action mapping, and a time format.

use std::io::BufRead;

use regex::Regex;

use super::{LogStats, ObservedEdges};
use crate::config::FieldMap;
use crate::time::{Timestamp, Window};

/// How the `ts` capture is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFormat {
    /// `2026-11-01T12:00:00Z`
    Rfc3339,
    /// Seconds since the Unix epoch, optionally with a fraction.
    EpochSeconds,
    /// Milliseconds since the Unix epoch.
    EpochMillis,
    /// The Common Log Format time, `01/Nov/2026:12:00:00 +0000`.
    Clf,
}

impl TimeFormat {
    pub fn parse_name(name: &str) -> Option<TimeFormat> {
        match name {
            "rfc3339" => Some(TimeFormat::Rfc3339),
            "epoch_seconds" => Some(TimeFormat::EpochSeconds),
            "epoch_millis" => Some(TimeFormat::EpochMillis),
            "clf" => Some(TimeFormat::Clf),
            _ => None,
        }
    }

    pub fn parse(self, text: &str) -> Option<Timestamp> {
        match self {
            TimeFormat::Rfc3339 => Timestamp::parse_rfc3339(text),
            TimeFormat::EpochSeconds => {
                let seconds: f64 = text.parse().ok()?;
                Some(Timestamp((seconds * 1e9) as i64))
            }
            TimeFormat::EpochMillis => {
                let millis: i64 = text.parse().ok()?;
                Some(Timestamp(millis.checked_mul(1_000_000)?))
            }
            TimeFormat::Clf => {
                let (stamp, offset) = text.trim_matches(['[', ']']).split_once(' ')?;
                let mut parts = stamp.splitn(4, [':', '/']);
                let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
                let clock = parts.next()?;
                const MONTHS: [&str; 12] = [
                    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                    "Dec",
                ];
                let month = MONTHS.iter().position(|m| *m == month)? + 1;
                // `+0200`: five ASCII bytes, so that slicing it cannot split a character.
                if offset.len() != 5 || !offset.is_ascii() {
                    return None;
                }
                Timestamp::parse_rfc3339(&format!(
                    "{year}-{month:02}-{day}T{clock}{}:{}",
                    &offset[..3],
                    &offset[3..]
                ))
            }
        }
    }
}

/// A line format from lintage.toml.
#[derive(Debug, Clone)]
pub struct LineFormat {
    pub regex: Regex,
    pub time: TimeFormat,
}

/// The named captures a pattern must have.
pub const CAPTURES: [&str; 4] = ["principal", "action", "resource", "ts"];

/// Reads one log, line by line.
#[allow(clippy::too_many_arguments)]
pub fn read(
    reader: impl BufRead,
    format: &LineFormat,
    fields: &FieldMap,
    first_line: u64,
    file_index: usize,
    display: &str,
    window: Window,
    edges: &mut ObservedEdges,
    stats: &mut LogStats,
) {
    for (i, line) in reader.lines().enumerate() {
        let number = first_line + i as u64;
        let outcome = match &line {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => parse(line, format, fields),
            Err(e) => Err(format!("cannot read: {e}")),
        };
        match outcome {
            Ok(None) => {
                stats.records += 1;
                stats.ignored += 1;
            }
            Ok(Some((principal, action, resource, time))) => {
                stats.records += 1;
                if window.excludes(time, time) {
                    stats.outside_window += 1;
                    continue;
                }
                edges.add(
                    &principal, &resource, action, 1, time, time, file_index, number,
                );
            }
            Err(reason) => {
                stats.malformed_at(display, number, reason);
            }
        }
    }
}

type Access = (String, crate::config::Action, String, Timestamp);

fn parse(line: &str, format: &LineFormat, fields: &FieldMap) -> Result<Option<Access>, String> {
    let captures = format
        .regex
        .captures(line)
        .ok_or("the line does not match the source's regex")?;
    let get = |name: &str| {
        captures
            .name(name)
            .map(|m| m.as_str())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("the `{name}` capture is empty"))
    };
    let action_text = get("action")?;
    let Some(action) = fields.action(action_text).map_err(|_| {
        format!("unknown action `{action_text}` (map it under the source's actions)")
    })?
    else {
        return Ok(None);
    };
    let ts = get("ts")?;
    let time = format
        .time
        .parse(ts)
        .ok_or_else(|| format!("`{ts}` is not a time in the source's time_format"))?;
    Ok(Some((
        get("principal")?.to_string(),
        action,
        get("resource")?.to_string(),
        time,
    )))
}

#[cfg(test)]
mod tests {
    use super::TimeFormat;

    #[test]
    fn a_clf_offset_with_a_non_ascii_character_is_no_time() {
        // fuzz/regressions/regex_log: five bytes, but not five characters.
        assert_eq!(
            TimeFormat::Clf.parse("01/Nov/2026:12:00:00 +0\u{e9}0"),
            None
        );
        assert!(
            TimeFormat::Clf
                .parse("01/Nov/2026:12:00:00 +0000")
                .is_some()
        );
    }
}
