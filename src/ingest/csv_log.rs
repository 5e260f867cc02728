//! CSV access logs named by a `[[sources]]` entry with `format = "csv"`: the header row names
//! the columns, and the field mapping (`fields`, `actions`) says which column is the time, the
//! principal, the action and the resource, or the SQL `query` run (read with `[logs]
//! sql_dialect` first). Fields may be quoted with
//! `"` (a doubled `""` is a quote); a record spans one line.

use std::io::BufRead;

use super::{LogStats, ObservedEdges, sql};
use crate::config::{Action, FieldMap};
use crate::time::{Timestamp, Window};

/// Splits one CSV line into fields.
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' if quoted => quoted = false,
            '"' if at_start => quoted = true,
            ',' if !quoted => {
                fields.push(std::mem::take(&mut field));
                at_start = true;
                continue;
            }
            c => field.push(c),
        }
        at_start = false;
    }
    if quoted {
        return Err("a quoted field is not closed on this line".into());
    }
    fields.push(field);
    Ok(fields)
}

/// Which column holds which field, from the header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// The header's line number: rows start after it.
    pub header_line: u64,
    ts: usize,
    principal: usize,
    action: Option<usize>,
    resource: Option<usize>,
    query: Option<usize>,
}

/// The header of a CSV log (its first line that is not blank) and its line number; `Err`
/// with the line and reason when it cannot serve.
pub fn header(text: &str, fields: &FieldMap) -> Result<Option<Columns>, (u64, String)> {
    let Some((i, line)) = text
        .split('\n')
        .enumerate()
        .find(|(_, l)| !l.trim().is_empty())
    else {
        return Ok(None);
    };
    let number = i as u64 + 1;
    let header = split(line.trim_end_matches('\r').trim_start_matches('\u{feff}'))
        .map_err(|reason| (number, reason))?;
    let column = |name: &str| header.iter().position(|h| h.trim() == name);
    let (Some(ts), Some(principal)) = (column(&fields.ts), column(&fields.principal)) else {
        return Err((
            number,
            format!(
                "the header has no `{}` or no `{}` column (name them under the source's fields)",
                fields.ts, fields.principal
            ),
        ));
    };
    let columns = Columns {
        header_line: number,
        ts,
        principal,
        action: column(&fields.action),
        resource: column(&fields.resource),
        query: column(&fields.query),
    };
    if columns.query.is_none() && (columns.action.is_none() || columns.resource.is_none()) {
        return Err((
            number,
            format!(
                "the header has neither `{}` and `{}` columns nor a `{}` column",
                fields.action, fields.resource, fields.query
            ),
        ));
    }
    Ok(Some(columns))
}

/// Reads rows of a CSV log whose first line here is `first_line`; the header row and what
/// comes before it are passed over.
#[allow(clippy::too_many_arguments)]
pub fn read(
    reader: impl BufRead,
    columns: &Columns,
    fields: &FieldMap,
    dialect: Option<sql::SqlDialect>,
    first_line: u64,
    file_index: usize,
    display: &str,
    window: Window,
    edges: &mut ObservedEdges,
    stats: &mut LogStats,
) {
    let malformed =
        |stats: &mut LogStats, line: u64, reason: String| stats.malformed_at(display, line, reason);
    let (ts, principal) = (columns.ts, columns.principal);
    let (action, resource, query) = (columns.action, columns.resource, columns.query);
    for (number, line) in (first_line..).zip(reader.lines()) {
        if number <= columns.header_line {
            continue;
        }
        let line = match line {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => line,
            Err(e) => {
                malformed(stats, number, format!("cannot read: {e}"));
                continue;
            }
        };
        let row = match split(&line) {
            Ok(row) => row,
            Err(reason) => {
                malformed(stats, number, reason);
                continue;
            }
        };
        let cell = |i: Option<usize>| {
            i.and_then(|i| row.get(i))
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
        };
        let Some(time_text) = cell(Some(ts)) else {
            malformed(stats, number, format!("empty `{}`", fields.ts));
            continue;
        };
        let Some(time) = Timestamp::parse_rfc3339(time_text) else {
            malformed(
                stats,
                number,
                format!("`{time_text}` is not an RFC 3339 time"),
            );
            continue;
        };
        let Some(who) = cell(Some(principal)) else {
            malformed(stats, number, format!("empty `{}`", fields.principal));
            continue;
        };
        let accesses: Vec<(String, Action)> =
            if let (Some(act), Some(res)) = (cell(action), cell(resource)) {
                match fields.action(act) {
                    Ok(Some(a)) => vec![(res.to_string(), a)],
                    Ok(None) => {
                        stats.records += 1;
                        stats.ignored += 1;
                        continue;
                    }
                    Err(_) => {
                        malformed(stats, number, format!("unknown action `{act}`"));
                        continue;
                    }
                }
            } else if let Some(text) = cell(query) {
                match sql::extract_tables_in(text, dialect) {
                    Ok(tables) => tables
                        .reads
                        .into_iter()
                        .map(|t| (t, Action::Read))
                        .chain(tables.writes.into_iter().map(|t| (t, Action::Write)))
                        .collect(),
                    Err(e) => {
                        malformed(stats, number, e.to_string());
                        continue;
                    }
                }
            } else {
                malformed(stats, number, "no action and resource, and no query".into());
                continue;
            };
        stats.records += 1;
        if window.excludes(time, time) {
            stats.outside_window += 1;
            continue;
        }
        for (resource, action) in accesses {
            edges.add(who, &resource, action, 1, time, time, file_index, number);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_keep_commas_and_quotes() {
        assert_eq!(
            split(r#"a,"b,c","say ""hi""",,"#).unwrap_or_default(),
            vec!["a", "b,c", "say \"hi\"", "", ""]
        );
        assert!(split("\"open").is_err());
    }
}
