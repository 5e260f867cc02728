//! AWS S3 server access logs: one space-separated record a line. The requester is the
//! principal, `REST.GET.*` (and `REST.HEAD.*`) operations are reads and `REST.PUT.*`,
//! `REST.POST.*` and `REST.COPY.*` writes of `s3://BUCKET/KEY`; other operations (deletes,
//! lifecycle expiry, `OPTIONS`) are counted as ignored.

use std::io::BufRead;

use super::{LogStats, ObservedEdges};
use crate::config::Action;
use crate::time::{Timestamp, Window};

/// Whether a line is an S3 server access log record.
pub fn sniff(head: &str) -> bool {
    head.lines()
        .next()
        .and_then(|line| parse(line).ok())
        .is_some()
}

/// One record's principal, operation, resource and time.
#[derive(Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub requester: &'a str,
    pub operation: &'a str,
    pub resource: String,
    pub time: Timestamp,
}

/// Splits a record into fields: `[...]` and `"..."` are one field each.
fn fields(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let close = match bytes[i] {
            b'[' => Some(b']'),
            b'"' => Some(b'"'),
            _ => None,
        };
        let start = i;
        match close {
            Some(close) => {
                i += 1;
                while i < bytes.len() && bytes[i] != close {
                    i += 1;
                }
                i = (i + 1).min(bytes.len());
            }
            None => {
                while i < bytes.len() && bytes[i] != b' ' {
                    i += 1;
                }
            }
        }
        out.push(&line[start..i]);
    }
    out
}

/// `[06/Feb/2019:00:00:38 +0000]` as a timestamp.
fn time(field: &str) -> Option<Timestamp> {
    let inner = field.strip_prefix('[')?.strip_suffix(']')?;
    let (stamp, offset) = inner.split_once(' ')?;
    let mut parts = stamp.splitn(4, [':', '/']);
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    let clock = parts.next()?;
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    // `+0200`: five ASCII bytes, so that slicing it cannot split a character.
    if offset.len() != 5 || !offset.is_ascii() {
        return None;
    }
    let text = format!(
        "{year}-{month:02}-{day}T{clock}{}:{}",
        &offset[..3],
        &offset[3..]
    );
    Timestamp::parse_rfc3339(&text)
}

/// Parses one record.
pub fn parse(line: &str) -> Result<Record<'_>, String> {
    let f = fields(line);
    if f.len() < 9 {
        return Err(format!(
            "an S3 access log record has at least 9 fields, found {}",
            f.len()
        ));
    }
    let time = time(f[2]).ok_or_else(|| format!("`{}` is not an S3 log time", f[2]))?;
    let operation = f[6];
    if !operation.contains('.') && operation != "-" {
        return Err(format!("`{operation}` is not an S3 operation"));
    }
    let bucket = f[1];
    let key = f[7];
    let resource = if key == "-" {
        format!("s3://{bucket}")
    } else {
        format!("s3://{bucket}/{key}")
    };
    Ok(Record {
        requester: f[4],
        operation,
        resource,
        time,
    })
}

/// What an operation does to its object, if anything lintage tracks.
pub fn action(operation: &str) -> Option<Action> {
    let op = operation.to_ascii_uppercase();
    if op.starts_with("REST.GET.") || op.starts_with("REST.HEAD.") {
        Some(Action::Read)
    } else if op.starts_with("REST.PUT.")
        || op.starts_with("REST.POST.")
        || op.starts_with("REST.COPY.")
    {
        Some(Action::Write)
    } else {
        None
    }
}

/// Reads one log, line by line.
pub fn read(
    reader: impl BufRead,
    first_line: u64,
    file_index: usize,
    display: &str,
    window: Window,
    edges: &mut ObservedEdges,
    stats: &mut LogStats,
) {
    for (i, line) in reader.lines().enumerate() {
        let number = first_line + i as u64;
        let record = match line {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => match parse(&line) {
                Ok(record) => Ok((
                    record.requester.to_string(),
                    record.operation.to_string(),
                    record.resource,
                    record.time,
                )),
                Err(reason) => Err(reason),
            },
            Err(e) => Err(format!("cannot read: {e}")),
        };
        let (requester, operation, resource, time) = match record {
            Ok(record) => record,
            Err(reason) => {
                stats.malformed_at(display, number, reason);
                continue;
            }
        };
        stats.records += 1;
        let Some(action) = action(&operation) else {
            stats.ignored += 1;
            continue;
        };
        if window.excludes(time, time) {
            stats.outside_window += 1;
            continue;
        }
        // An anonymous request has `-` as requester.
        let principal = if requester == "-" {
            "anonymous"
        } else {
            &requester
        };
        edges.add(
            principal, &resource, action, 1, time, time, file_index, number,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_split_on_spaces_outside_brackets_and_quotes() {
        let line = "owner bkt [06/Feb/2019:00:00:38 +0200] 192.0.2.3 svc:etl REQ REST.GET.OBJECT data/a.csv \"GET /bkt/data/a.csv HTTP/1.1\" 200 - 1 1 1 - \"-\" \"ua x\" -";
        let record = parse(line).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(record.requester, "svc:etl");
        assert_eq!(record.resource, "s3://bkt/data/a.csv");
        assert_eq!(
            Some(record.time),
            Timestamp::parse_rfc3339("2019-02-05T22:00:38Z")
        );
        assert_eq!(action(record.operation), Some(Action::Read));
        assert_eq!(action("BATCH.DELETE.OBJECT"), None);
        assert!(parse("{\"ts\": 1}").is_err());
    }

    #[test]
    fn a_time_zone_offset_with_a_non_ascii_character_is_no_time() {
        // fuzz/regressions/s3_access: five bytes, but not five characters.
        assert_eq!(time("[06/Feb/2019:00:00:38 +0\u{e9}0]"), None);
        let line = "o b [06/Feb/2019:00:00:38 +0\u{e9}0] 192.0.2.3 svc REQ REST.GET.OBJECT k";
        assert!(parse(line).is_err());
    }
}
