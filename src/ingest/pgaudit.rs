//! PostgreSQL pgaudit lines in a server log: `AUDIT: OBJECT|SESSION,ID,SUB,CLASS,COMMAND,
//! OBJECT_TYPE,OBJECT_NAME,...`. Class READ is a read and WRITE a write of the named object;
//! the principal is the `user=` of the log line prefix and the time its leading timestamp, so
//! `log_line_prefix` must carry both (for example `'%m [%p] user=%u,db=%d '`). Other log lines
//! and other classes (DDL, ROLE, FUNCTION, MISC) are passed over.
//!
//! pgaudit also reports to the client (`pgaudit.log_client`), and a psql transcript (`.out`)
//! then holds `NOTICE:  AUDIT: …` lines with no prefix at all. Their session's user and time
//! are not in the file: the principal is the transcript itself, `psql:FILE` (map it to an
//! entity with `[[identities]]`), and the time the file's modification time.

use std::io::BufRead;

use super::{LogStats, ObservedEdges};
use crate::config::Action;
use crate::time::{Timestamp, Window};

/// Whether the start of a `.log` file holds pgaudit lines.
pub fn sniff(head: &str) -> bool {
    head.contains("AUDIT: SESSION,") || head.contains("AUDIT: OBJECT,")
}

/// Who and when for audit lines of a psql transcript, which carry neither.
#[derive(Debug, Clone)]
pub struct Transcript {
    pub principal: String,
    pub time: Timestamp,
}

impl Transcript {
    /// The transcript `display`, last modified at `time`.
    pub fn new(display: &str, time: Timestamp) -> Transcript {
        Transcript {
            principal: format!("psql:{display}"),
            time,
        }
    }
}

/// Message levels psql prints before a server notice.
const CLIENT_LEVELS: [&str; 5] = ["NOTICE:", "WARNING:", "INFO:", "LOG:", "DEBUG:"];

/// One audit line's principal, action, object and time; `Ok(None)` for lines that are no
/// object access. A line of a psql transcript (no prefix before its level) takes its
/// principal and time from `transcript`.
pub fn parse(
    line: &str,
    transcript: Option<&Transcript>,
) -> Result<Option<(String, Action, String, Timestamp)>, String> {
    let Some(at) = line.find("AUDIT: ") else {
        return Ok(None);
    };
    let (prefix, record) = (&line[..at], &line[at + "AUDIT: ".len()..]);
    let fields: Vec<&str> = record.splitn(8, ',').collect();
    if fields.len() < 7 || !matches!(fields[0], "SESSION" | "OBJECT") {
        return Err("not a pgaudit record (AUDIT_TYPE,STATEMENT_ID,SUBSTATEMENT_ID,CLASS,COMMAND,OBJECT_TYPE,OBJECT_NAME,...)".into());
    }
    let action = match fields[3] {
        "READ" => Action::Read,
        "WRITE" => Action::Write,
        _ => return Ok(None),
    };
    let object = fields[6].trim().trim_matches('"');
    if object.is_empty() {
        // A SESSION record without object names says what ran, not on what.
        return Ok(None);
    }
    if let Some(transcript) = transcript
        && CLIENT_LEVELS.contains(&prefix.trim())
    {
        let principal = transcript.principal.clone();
        return Ok(Some((
            principal,
            action,
            object.to_string(),
            transcript.time,
        )));
    }
    let user = prefix
        .split(|c: char| c == ',' || c.is_whitespace() || c == '[' || c == ']')
        .find_map(|part| part.strip_prefix("user="))
        .filter(|u| !u.is_empty())
        .ok_or("no `user=` in the log line prefix (add user=%u to log_line_prefix)")?;
    let time = prefix_time(prefix)
        .ok_or("no timestamp at the start of the line (start log_line_prefix with %m or %t)")?;
    Ok(Some((user.to_string(), action, object.to_string(), time)))
}

/// `2026-11-01 12:00:00.123 UTC` (or `+02`, `+0200`, `+02:00`) at the start of a prefix.
fn prefix_time(prefix: &str) -> Option<Timestamp> {
    let mut parts = prefix.split_whitespace();
    let (date, clock) = (parts.next()?, parts.next()?);
    let zone = parts.next().unwrap_or("");
    let offset = match zone {
        "UTC" | "GMT" | "Z" => "Z".to_string(),
        z if z.starts_with(['+', '-']) => {
            let digits: String = z[1..].chars().filter(char::is_ascii_digit).collect();
            match digits.len() {
                2 => format!("{}{digits}:00", &z[..1]),
                4 => format!("{}{}:{}", &z[..1], &digits[..2], &digits[2..]),
                _ => return None,
            }
        }
        _ => return None,
    };
    Timestamp::parse_rfc3339(&format!("{date}T{clock}{offset}"))
}

/// Reads one log, line by line.
#[allow(clippy::too_many_arguments)]
pub fn read(
    reader: impl BufRead,
    first_line: u64,
    file_index: usize,
    display: &str,
    window: Window,
    transcript: Option<&Transcript>,
    edges: &mut ObservedEdges,
    stats: &mut LogStats,
) {
    for (i, line) in reader.lines().enumerate() {
        let number = first_line + i as u64;
        let parsed = match line {
            Ok(line) => parse(&line, transcript),
            Err(e) => Err(format!("cannot read: {e}")),
        };
        match parsed {
            Ok(None) => {}
            Ok(Some((user, action, object, time))) => {
                stats.records += 1;
                if window.excludes(time, time) {
                    stats.outside_window += 1;
                    continue;
                }
                edges.add(&user, &object, action, 1, time, time, file_index, number);
            }
            Err(reason) => {
                stats.malformed_at(display, number, reason);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_records_with_user_and_time_are_accesses() {
        let line = "2026-11-01 12:00:00.250 +02 [42] user=alice,db=shop LOG:  AUDIT: OBJECT,3,1,WRITE,INSERT,TABLE,public.orders,<not logged>,<not logged>";
        let (user, action, object, time) = parse(line, None)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no record"));
        assert_eq!(
            (user.as_str(), action, object.as_str()),
            ("alice", Action::Write, "public.orders")
        );
        assert_eq!(
            Some(time),
            Timestamp::parse_rfc3339("2026-11-01T10:00:00.25Z")
        );
        assert_eq!(
            parse(
                "NOTICE:  AUDIT: SESSION,1,1,DDL,CREATE TABLE,,,x,<none>",
                None
            ),
            Ok(None)
        );
        let object = "NOTICE:  AUDIT: OBJECT,1,1,READ,SELECT,TABLE,public.t,x,<none>";
        assert!(parse(object, None).is_err());
        assert_eq!(
            parse("2026-11-01 12:00:00 UTC LOG:  checkpoint starting", None),
            Ok(None)
        );
    }

    #[test]
    fn transcript_lines_are_the_transcripts_accesses() {
        let time = Timestamp::parse_rfc3339("2026-11-01T00:00:00Z").unwrap_or(Timestamp(0));
        let transcript = Transcript::new("audit/expected.out", time);
        let line =
            "WARNING:  AUDIT: OBJECT,1,1,READ,SELECT,VIEW,public.vw_test3,<previously logged>";
        assert_eq!(
            parse(line, Some(&transcript)),
            Ok(Some((
                "psql:audit/expected.out".to_string(),
                Action::Read,
                "public.vw_test3".to_string(),
                time
            )))
        );
        // A server log line keeps its own prefix rules even in a transcript.
        let server = "2026-11-01 12:00:00 UTC [1] LOG:  AUDIT: OBJECT,1,1,READ,SELECT,TABLE,t,x";
        assert!(parse(server, Some(&transcript)).is_err());
    }
}
