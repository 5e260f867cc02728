//! Native access logs (SPEC.md): one JSON object a line, plain or gzip-compressed, streamed
//! line by line and aggregated into distinct (principal, resource, action) edges as it goes.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

use super::{LogStats, ObservedEdges};
use super::{flat_json, sql};
use crate::config::{Action, FieldMap};
use crate::time::{RecentDate, Timestamp, Window};

/// Distinct SQL texts whose tables are remembered, so that a scheduler's repeated query is
/// parsed once.
const SQL_CACHE_LIMIT: usize = 10_000;

/// The time window and field names a log is read with.
#[derive(Debug, Clone)]
pub struct LogOptions<'a> {
    pub fields: &'a FieldMap,
    /// Tried first for SQL in `query` fields.
    pub sql_dialect: Option<sql::SqlDialect>,
    pub window: Window,
}

/// SQL texts already parsed, so that a scheduler's repeated query is parsed once.
#[derive(Default)]
pub struct SqlCache(HashMap<String, Result<sql::SqlTables, String>>);

/// Reads a whole log held in memory (tests, small inputs).
pub fn read_lines(
    bytes: &[u8],
    file_index: usize,
    display: &str,
    options: &LogOptions<'_>,
) -> (ObservedEdges, LogStats) {
    let mut edges = ObservedEdges::default();
    let mut stats = LogStats::default();
    let mut cache = SqlCache::default();
    read_block(
        bytes, 1, file_index, display, options, &mut edges, &mut stats, &mut cache,
    );
    (edges, stats)
}

/// Reads a run of whole lines whose first is line `first_line` of its file.
#[allow(clippy::too_many_arguments)]
pub fn read_block(
    bytes: &[u8],
    first_line: u64,
    file_index: usize,
    display: &str,
    options: &LogOptions<'_>,
    edges: &mut ObservedEdges,
    stats: &mut LogStats,
    sql_cache: &mut SqlCache,
) {
    let mut recent_date = RecentDate::default();
    for (this, raw) in (first_line..).zip(lines_of(bytes)) {
        // A byte-order mark some Windows tools write is no part of the first record.
        let raw = if this == 1 {
            raw.strip_prefix(b"\xef\xbb\xbf").unwrap_or(raw)
        } else {
            raw
        };
        let line = trim_ascii(raw);
        if line.is_empty() {
            continue;
        }
        let mut record = RawRecord::default();
        let parsed = match flat_json::parse_into(line, options.fields, &mut record) {
            Ok(()) => Ok(()),
            Err(_) => parse_line(line, options.fields).map(|slow| record = slow),
        };
        let outcome = parsed.and_then(|()| {
            record_edges(
                &record,
                options,
                sql_cache,
                &mut recent_date,
                |principal, resource, action, count, first, last| {
                    edges.add_soon(
                        principal, resource, action, count, first, last, file_index, this,
                    );
                },
            )
        });
        match outcome {
            Ok(Kept::Yes) => stats.records += 1,
            Ok(Kept::OutsideWindow) => {
                stats.records += 1;
                stats.outside_window += 1;
            }
            Ok(Kept::IgnoredAction) => {
                stats.records += 1;
                stats.ignored += 1;
            }
            Err(reason) => stats.malformed_at(display, this, reason),
        }
    }
    edges.flush();
}

/// The lines of a block, each with its `\n` (the last may lack one), found with memchr's
/// vectorised search rather than a byte at a time.
fn lines_of(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    std::iter::from_fn(move || {
        let rest = bytes.get(start..).filter(|rest| !rest.is_empty())?;
        let length = memchr::memchr(b'\n', rest).map_or(rest.len(), |at| at + 1);
        start += length;
        Some(&rest[..length])
    })
}

fn trim_ascii(mut bytes: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = bytes {
        if first.is_ascii_whitespace() {
            bytes = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = bytes {
        if last.is_ascii_whitespace() {
            bytes = rest;
        } else {
            break;
        }
    }
    bytes
}

/// The fields of one line that lintage uses, borrowed from the line where possible.
#[derive(Debug, Default)]
pub struct RawRecord<'a> {
    pub ts: Option<Cow<'a, str>>,
    pub principal: Option<Cow<'a, str>>,
    pub action: Option<Cow<'a, str>>,
    pub resource: Option<Cow<'a, str>>,
    pub query: Option<Cow<'a, str>>,
    pub count: Option<u64>,
    pub first_seen: Option<Cow<'a, str>>,
    pub last_seen: Option<Cow<'a, str>>,
}

/// Parses one line; `Err` says why it is malformed.
pub fn parse_line<'a>(line: &'a [u8], fields: &FieldMap) -> Result<RawRecord<'a>, String> {
    let mut de = serde_json::Deserializer::from_slice(line);
    let record = LineSeed { fields }
        .deserialize(&mut de)
        .map_err(|e| describe_json_error(&e))?;
    de.end().map_err(|e| describe_json_error(&e))?;
    Ok(record)
}

fn describe_json_error(e: &serde_json::Error) -> String {
    // serde_json appends "at line 1 column N"; the column is useful, the line is not.
    let text = e.to_string();
    let text = text.replace(" at line 1 column", " at column");
    if e.is_eof() {
        format!("not a complete JSON object ({text})")
    } else {
        text
    }
}

struct LineSeed<'f> {
    fields: &'f FieldMap,
}

impl<'de> DeserializeSeed<'de> for LineSeed<'_> {
    type Value = RawRecord<'de>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LineSeed<'_> {
    type Value = RawRecord<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let f = self.fields;
        let mut record = RawRecord::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let key = key.as_ref();
            let slot = if key == f.ts {
                &mut record.ts
            } else if key == f.principal {
                &mut record.principal
            } else if key == f.action {
                &mut record.action
            } else if key == f.resource {
                &mut record.resource
            } else if key == f.query {
                &mut record.query
            } else if key == f.first_seen {
                &mut record.first_seen
            } else if key == f.last_seen {
                &mut record.last_seen
            } else if key == f.count {
                let count = map.next_value::<Option<u64>>().map_err(|_| {
                    de::Error::custom(format!("`{key}` must be a positive whole number"))
                })?;
                record.count = count;
                continue;
            } else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            *slot = map
                .next_value::<Option<Cow<'de, str>>>()
                .map_err(|_| de::Error::custom(format!("`{key}` must be a string")))?;
        }
        Ok(record)
    }
}

enum Kept {
    Yes,
    OutsideWindow,
    IgnoredAction,
}

/// Turns a parsed line into edges, calling `emit(principal, resource, action, count, first, last)`.
fn record_edges(
    record: &RawRecord<'_>,
    options: &LogOptions<'_>,
    sql_cache: &mut SqlCache,
    recent_date: &mut RecentDate,
    mut emit: impl FnMut(&str, &str, Action, u64, Timestamp, Timestamp),
) -> Result<Kept, String> {
    let f = options.fields;
    let principal =
        non_empty(&record.principal).ok_or_else(|| format!("missing `{}`", f.principal))?;
    let count = record.count.unwrap_or(1);
    if count == 0 {
        return Err(format!("`{}` must be a positive whole number", f.count));
    }
    let mut time = |value: &Option<Cow<'_, str>>, key: &str| -> Result<Option<Timestamp>, String> {
        match non_empty(value) {
            None => Ok(None),
            Some(text) => Timestamp::parse_rfc3339_with(text, recent_date)
                .map(Some)
                .ok_or_else(|| {
                    format!("`{key}` is not an RFC 3339 date-time: `{}`", shorten(text))
                }),
        }
    };
    let ts = time(&record.ts, &f.ts)?;
    let first = time(&record.first_seen, &f.first_seen)?;
    let last = time(&record.last_seen, &f.last_seen)?;
    let (first, last) = match (ts, first, last) {
        (_, Some(first), Some(last)) => (first, last),
        (Some(ts), first, last) => (first.unwrap_or(ts), last.unwrap_or(ts)),
        (None, _, _) => return Err(format!("missing `{}`", f.ts)),
    };
    if first > last {
        return Err(format!(
            "`{}` is later than `{}`",
            f.first_seen, f.last_seen
        ));
    }
    if options.window.excludes(first, last) {
        return Ok(Kept::OutsideWindow);
    }

    if let Some(resource) = non_empty(&record.resource) {
        let action_text =
            non_empty(&record.action).ok_or_else(|| format!("missing `{}`", f.action))?;
        return match f.action(action_text) {
            Ok(Some(action)) => {
                emit(principal, resource, action, count, first, last);
                Ok(Kept::Yes)
            }
            Ok(None) => Ok(Kept::IgnoredAction),
            Err(_) => Err(format!(
                "`{}` is `{}`, expected one of: {}",
                f.action,
                shorten(action_text),
                f.actions.keys().cloned().collect::<Vec<_>>().join(", ")
            )),
        };
    }
    let Some(query) = non_empty(&record.query) else {
        return Err(format!("missing `{}` (or `{}`)", f.resource, f.query));
    };
    let cache = &mut sql_cache.0;
    if !cache.contains_key(query) {
        if cache.len() >= SQL_CACHE_LIMIT {
            cache.clear();
        }
        let tables = sql::extract_tables_in(query, options.sql_dialect).map_err(|e| e.to_string());
        cache.insert(query.to_string(), tables);
    }
    match cache.get(query) {
        Some(Ok(tables)) => {
            for table in &tables.reads {
                emit(principal, table, Action::Read, count, first, last);
            }
            for table in &tables.writes {
                emit(principal, table, Action::Write, count, first, last);
            }
            Ok(Kept::Yes)
        }
        Some(Err(e)) => Err(format!("`{}`: {}", f.query, shorten(e))),
        None => Ok(Kept::Yes),
    }
}

fn non_empty<'a>(value: &'a Option<Cow<'_, str>>) -> Option<&'a str> {
    value.as_deref().map(trim).filter(|s| !s.is_empty())
}

/// `str::trim`, without its Unicode search for the usual value that starts and ends with a
/// visible ASCII character.
fn trim(text: &str) -> &str {
    let visible = |b: Option<&u8>| b.is_some_and(|&b| b > b' ' && b < 0x7f);
    if visible(text.as_bytes().first()) && visible(text.as_bytes().last()) {
        text
    } else {
        text.trim()
    }
}

fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_as_split_inclusive_splits_them() {
        for text in [
            &b""[..],
            b"\n",
            b"a",
            b"a\n",
            b"a\nb",
            b"\n\na\n\nbc\n",
            b"{\"x\":1}\r\n{\"y\":2}",
        ] {
            let expected: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
            assert_eq!(lines_of(text).collect::<Vec<_>>(), expected, "{text:?}");
        }
    }

    #[test]
    fn the_quick_trim_trims_as_str_trim_does() {
        for text in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\u{a0}a",
            "a\u{3000}",
            "\ta b\n",
            "é",
            "a\u{7f}",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }

    fn read(text: &str) -> (ObservedEdges, LogStats) {
        let fields = FieldMap::default();
        let options = LogOptions {
            sql_dialect: None,
            fields: &fields,
            window: Window::default(),
        };
        read_lines(text.as_bytes(), 0, "a.jsonl", &options)
    }

    #[test]
    fn aggregates_edges_and_counts() {
        let log = r#"{"ts":"2026-11-02T00:00:00Z","principal":"svc:a","action":"read","resource":"t"}
{"ts":"2026-11-01T00:00:00Z","principal":"svc:a","action":"read","resource":"t","count":4}

{"ts":"2026-11-03T00:00:00Z","principal":"svc:a","action":"write","resource":"u","bytes":9,"job":"x"}
"#;
        let (edges, stats) = read(log);
        assert_eq!((stats.records, stats.malformed), (3, 0));
        let read_t = edges.get("svc:a", "t", Action::Read).copied();
        let read_t = read_t.unwrap_or_else(|| panic!("no edge"));
        assert_eq!(read_t.count, 5);
        assert_eq!(read_t.first_seen.to_string(), "2026-11-01T00:00:00Z");
        assert_eq!(read_t.last_seen.to_string(), "2026-11-02T00:00:00Z");
        assert_eq!(read_t.line, 2, "evidence points at the earliest record");
        assert!(edges.get("svc:a", "u", Action::Write).is_some());
    }

    #[test]
    fn malformed_lines_are_skipped_counted_and_located() {
        let log = "{\"ts\":\"2026-11-01T00:00:00Z\",\"principal\":\"p\",\"action\":\"read\",\"resource\":\"t\"}\n\
{\"ts\":\"2026-11-01T00:00:00Z\",\"principal\":\"p\",\"action\":\"read\"\n\
not json\n\
{\"ts\":\"yesterday\",\"principal\":\"p\",\"action\":\"read\",\"resource\":\"t\"}\n\
{\"ts\":\"2026-11-01T00:00:00Z\",\"principal\":7,\"action\":\"read\",\"resource\":\"t\"}\n\
{\"ts\":\"2026-11-01T00:00:00Z\",\"principal\":\"p\",\"action\":\"delete\",\"resource\":\"t\"}\n\
{\"ts\":\"2026-11-01T00:00:00Z\",\"principal\":\"p\",\"action\":\"read\"}\n\
{\"ts\":\"2026-11-01T00:00:00Z\",\"principal\":\"p\",\"action\":\"read\",\"resource\":\"t\",\"count\":-1}\n\
[1,2]\n\
{\"ts\":\"2026-11-05T00:00:00Z\",\"principal\":\"p\",\"action\":\"read\",\"resource\":\"t\"}\n";
        let (edges, stats) = read(log);
        assert_eq!(stats.records, 2);
        assert_eq!(stats.malformed, 8);
        let lines: Vec<u64> = stats.samples.iter().map(|m| m.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5, 6, 7, 8, 9]);
        assert!(stats.samples[2].reason.contains("RFC 3339"));
        assert!(
            stats.samples[3]
                .reason
                .contains("`principal` must be a string")
        );
        assert!(stats.samples[5].reason.contains("missing `resource`"));
        assert_eq!(edges.get("p", "t", Action::Read).map(|o| o.count), Some(2));
    }

    #[test]
    fn mapped_fields_and_actions() {
        let mut fields = FieldMap {
            principal: "user".into(),
            resource: "table".into(),
            action: "op".into(),
            ..FieldMap::default()
        };
        fields.actions.insert("select".into(), Some(Action::Read));
        fields.actions.insert("insert".into(), Some(Action::Write));
        let options = LogOptions {
            sql_dialect: None,
            fields: &fields,
            window: Window::default(),
        };
        let log = "{\"ts\":\"2026-11-01T00:00:00Z\",\"user\":\"bob\",\"op\":\"SELECT\",\"table\":\"t\"}\n\
{\"ts\":\"2026-11-01T00:00:00Z\",\"user\":\"bob\",\"op\":\"INSERT\",\"table\":\"u\"}\n";
        let (edges, stats) = read_lines(log.as_bytes(), 0, "x", &options);
        assert_eq!(stats.malformed, 0);
        assert!(edges.get("bob", "t", Action::Read).is_some());
        assert!(edges.get("bob", "u", Action::Write).is_some());
    }

    #[test]
    fn window_and_preaggregated_lines() {
        let fields = FieldMap::default();
        let options = LogOptions {
            sql_dialect: None,
            fields: &fields,
            window: Window {
                since: Timestamp::parse_bound("2026-11-10"),
                until: Timestamp::parse_bound("2026-11-20"),
            },
        };
        let log = "{\"ts\":\"2026-11-01T00:00:00Z\",\"principal\":\"p\",\"action\":\"read\",\"resource\":\"old\"}\n\
{\"principal\":\"p\",\"action\":\"read\",\"resource\":\"agg\",\"count\":100,\"first_seen\":\"2026-11-05T00:00:00Z\",\"last_seen\":\"2026-11-12T00:00:00Z\"}\n\
{\"ts\":\"2026-11-20T00:00:00Z\",\"principal\":\"p\",\"action\":\"read\",\"resource\":\"late\"}\n";
        let (edges, stats) = read_lines(log.as_bytes(), 0, "x", &options);
        assert_eq!(
            (stats.records, stats.outside_window, stats.malformed),
            (3, 2, 0)
        );
        assert_eq!(
            edges.get("p", "agg", Action::Read).map(|o| o.count),
            Some(100)
        );
        assert!(edges.get("p", "old", Action::Read).is_none());
        assert!(edges.get("p", "late", Action::Read).is_none());
    }

    #[test]
    fn sql_queries_become_reads_and_writes() {
        let log = r#"{"ts":"2026-11-01T00:00:00Z","principal":"etl","query":"WITH x AS (SELECT * FROM raw.a) INSERT INTO mart.b SELECT * FROM x JOIN raw.c ON true"}
{"ts":"2026-11-01T00:00:00Z","principal":"etl","query":"SELEC broken"}
"#;
        let (edges, stats) = read(log);
        assert_eq!(stats.malformed, 1);
        assert!(edges.get("etl", "raw.a", Action::Read).is_some());
        assert!(edges.get("etl", "raw.c", Action::Read).is_some());
        assert!(edges.get("etl", "mart.b", Action::Write).is_some());
        assert!(edges.get("etl", "x", Action::Read).is_none());
    }
}
