//! Scale-out: the SQL, per engine dialect, that aggregates a raw access-log table where it
//! lives into lintage's pre-aggregated NDJSON lines (one per principal, action and resource,
//! with `count`, `first_seen` and `last_seen`), which lintage then ingests like any log.
//!
//! Everything the user names (table, columns, output keys) is quoted here per dialect, so a
//! name can hold quotes or backticks without ever changing the query's meaning.

use std::fmt::Write;

use crate::config::FieldMap;

/// A SQL engine whose dialect lintage writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Engine {
    DuckDb,
    Spark,
    BigQuery,
    Trino,
    Snowflake,
}

impl Engine {
    pub const ALL: [Engine; 5] = [
        Engine::DuckDb,
        Engine::Spark,
        Engine::BigQuery,
        Engine::Trino,
        Engine::Snowflake,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Engine::DuckDb => "duckdb",
            Engine::Spark => "spark",
            Engine::BigQuery => "bigquery",
            Engine::Trino => "trino",
            Engine::Snowflake => "snowflake",
        }
    }
}

/// The raw log table: its (possibly qualified) name and the columns that hold each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTable {
    /// `table`, `schema.table` or `catalog.schema.table`; each part is quoted on its own.
    pub table: String,
    pub principal: String,
    pub action: String,
    pub resource: String,
    pub ts: String,
}

impl Default for RawTable {
    fn default() -> RawTable {
        RawTable {
            table: "access_log".into(),
            principal: "principal".into(),
            action: "action".into(),
            resource: "resource".into(),
            ts: "ts".into(),
        }
    }
}

impl RawTable {
    /// The table `access_log` with the columns named as a deployment's log fields, since raw
    /// logs loaded into an engine usually keep their keys as column names.
    pub fn from_fields(fields: &FieldMap) -> RawTable {
        RawTable {
            table: "access_log".into(),
            principal: fields.principal.clone(),
            action: fields.action.clone(),
            resource: fields.resource.clone(),
            ts: fields.ts.clone(),
        }
    }
}

/// The JSON keys of each output line: the keys lintage reads (SPEC.md's names, or a
/// deployment's `[logs.fields]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputKeys {
    pub principal: String,
    pub action: String,
    pub resource: String,
    pub count: String,
    pub first_seen: String,
    pub last_seen: String,
}

impl Default for OutputKeys {
    fn default() -> OutputKeys {
        OutputKeys::from_fields(&FieldMap::default())
    }
}

impl OutputKeys {
    pub fn from_fields(fields: &FieldMap) -> OutputKeys {
        OutputKeys {
            principal: fields.principal.clone(),
            action: fields.action.clone(),
            resource: fields.resource.clone(),
            count: fields.count.clone(),
            first_seen: fields.first_seen.clone(),
            last_seen: fields.last_seen.clone(),
        }
    }
}

/// Why no query can be written for these names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlError {
    #[error("the {what} name is empty")]
    Empty { what: &'static str },
    #[error("the {what} name `{name}` has an empty part (two dots, or a dot at an end)")]
    EmptyPart { what: &'static str, name: String },
    #[error("the {what} name {name:?} contains a control character")]
    Control { what: &'static str, name: String },
    #[error("the output keys must differ, but {first} and {second} are both `{key}`")]
    DuplicateKey {
        key: String,
        first: &'static str,
        second: &'static str,
    },
}

/// The query that turns `table` into pre-aggregated lines with `keys`, in `engine`'s dialect.
/// Its one column, `line`, holds one JSON object per (principal, action, resource), sorted by
/// them; rows with a NULL in any of the four columns are left out.
pub fn aggregate_sql(
    engine: Engine,
    table: &RawTable,
    keys: &OutputKeys,
) -> Result<String, SqlError> {
    let dialect = Dialect(engine);
    let table_sql = dialect.qualified("table", &table.table)?;
    let principal = dialect.ident("principal column", &table.principal)?;
    let action = dialect.ident("action column", &table.action)?;
    let resource = dialect.ident("resource column", &table.resource)?;
    let ts = dialect.ident("ts column", &table.ts)?;
    let named = [
        ("principal key", &keys.principal),
        ("action key", &keys.action),
        ("resource key", &keys.resource),
        ("count key", &keys.count),
        ("first_seen key", &keys.first_seen),
        ("last_seen key", &keys.last_seen),
    ];
    for (i, (what, key)) in named.iter().enumerate() {
        check_name(what, key)?;
        if let Some((other, _)) = named[..i].iter().find(|(_, k)| k == key) {
            return Err(SqlError::DuplicateKey {
                key: key.to_string(),
                first: other,
                second: what,
            });
        }
    }
    let first_seen = dialect.rfc3339("first_ts");
    let last_seen = dialect.rfc3339("last_ts");
    let fields: [(&str, &str); 6] = [
        (&keys.principal, "p"),
        (&keys.action, "a"),
        (&keys.resource, "r"),
        (&keys.count, "n"),
        (&keys.first_seen, &first_seen),
        (&keys.last_seen, &last_seen),
    ];
    let ts_value = match engine {
        // Spark and BigQuery cast text to a timestamp too, so a string column works and the
        // minimum is the earliest instant, not the smallest string.
        Engine::Spark | Engine::BigQuery => format!("CAST({ts} AS TIMESTAMP)"),
        Engine::DuckDb | Engine::Trino | Engine::Snowflake => ts.clone(),
    };

    let mut sql = String::new();
    let _ = writeln!(
        sql,
        "-- lintage pre-aggregated access log ({}): one JSON line per principal, action and resource.",
        engine.name()
    );
    sql.push_str(
        "-- Save the `line` column as a .jsonl file in the deployment; `lintage scan` reads it.\n",
    );
    sql.push_str("WITH edges AS (\n");
    let _ = writeln!(
        sql,
        "  SELECT {principal} AS p, {action} AS a, {resource} AS r,"
    );
    let _ = writeln!(
        sql,
        "    COUNT(*) AS n, MIN({ts_value}) AS first_ts, MAX({ts_value}) AS last_ts"
    );
    let _ = writeln!(sql, "  FROM {table_sql}");
    let _ = writeln!(
        sql,
        "  WHERE {principal} IS NOT NULL AND {action} IS NOT NULL AND {resource} IS NOT NULL AND {ts} IS NOT NULL"
    );
    let _ = writeln!(sql, "  GROUP BY {principal}, {action}, {resource}");
    sql.push_str(")\n");
    let _ = writeln!(sql, "SELECT {} AS line", dialect.json_object(&fields));
    sql.push_str("FROM edges\n");
    sql.push_str("ORDER BY p, a, r\n");
    Ok(sql)
}

fn check_name(what: &'static str, name: &str) -> Result<(), SqlError> {
    if name.is_empty() {
        return Err(SqlError::Empty { what });
    }
    // BigQuery would need escapes for these and no engine's log table needs them; refusing
    // them keeps every dialect's quoting a plain doubling or backslash of quote characters.
    if name.chars().any(char::is_control) {
        return Err(SqlError::Control {
            what,
            name: name.to_string(),
        });
    }
    Ok(())
}

struct Dialect(Engine);

impl Dialect {
    /// One identifier, quoted so that nothing in it can end the quotes.
    fn ident(&self, what: &'static str, name: &str) -> Result<String, SqlError> {
        check_name(what, name)?;
        Ok(self.quote_ident(name))
    }

    /// A table name whose dot-separated parts are quoted one by one.
    fn qualified(&self, what: &'static str, name: &str) -> Result<String, SqlError> {
        check_name(what, name)?;
        let mut parts = Vec::new();
        for part in name.split('.') {
            if part.is_empty() {
                return Err(SqlError::EmptyPart {
                    what,
                    name: name.to_string(),
                });
            }
            parts.push(self.quote_ident(part));
        }
        Ok(parts.join("."))
    }

    fn quote_ident(&self, name: &str) -> String {
        match self.0 {
            Engine::DuckDb | Engine::Trino => format!("\"{}\"", name.replace('"', "\"\"")),
            // Snowflake stores unquoted names in upper case and quoted ones as written: a
            // plain name is quoted in upper case so it resolves as if unquoted (and a reserved
            // word still works); any other name is taken exactly as written.
            Engine::Snowflake => {
                let plain = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
                if plain {
                    format!("\"{}\"", name.to_ascii_uppercase())
                } else {
                    format!("\"{}\"", name.replace('"', "\"\""))
                }
            }
            Engine::Spark => format!("`{}`", name.replace('`', "``")),
            // BigQuery's quoted identifiers take the escapes of its string literals.
            Engine::BigQuery => format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`")),
        }
    }

    /// A string literal.
    fn string(&self, text: &str) -> String {
        match self.0 {
            Engine::DuckDb | Engine::Trino => format!("'{}'", text.replace('\'', "''")),
            // These three read backslash escapes inside single-quoted strings.
            Engine::Spark | Engine::BigQuery => {
                format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
            }
            Engine::Snowflake => format!("'{}'", text.replace('\\', "\\\\").replace('\'', "''")),
        }
    }

    /// The instant in `column` as RFC 3339 in UTC, `2026-11-01T12:00:00Z`, with a fraction of
    /// a second only when there is one (lintage keeps sub-second times). Timestamps without a
    /// time zone are UTC; where an engine reads them in the session's time zone (Trino,
    /// Snowflake), the README says to run the session in UTC.
    fn rfc3339(&self, column: &str) -> String {
        // `[.]?0+$` trims trailing zeros of the fraction, and the dot when nothing is left;
        // a character class instead of `\.` because some dialects unescape backslashes.
        match self.0 {
            Engine::DuckDb => format!(
                "regexp_replace(strftime(make_timestamp(epoch_us({column})), '%Y-%m-%dT%H:%M:%S.%f'), '[.]?0+$', '') || 'Z'"
            ),
            Engine::Spark => format!(
                "concat(regexp_replace(date_format(to_utc_timestamp({column}, current_timezone()), 'yyyy-MM-dd\\'T\\'HH:mm:ss.SSSSSS'), '[.]?0+$', ''), 'Z')"
            ),
            Engine::BigQuery => format!(
                "REGEXP_REPLACE(FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6S', {column}, 'UTC'), '[.]?0+$', '') || 'Z'"
            ),
            Engine::Trino => format!(
                "regexp_replace(format_datetime({column} AT TIME ZONE 'UTC', 'yyyy-MM-dd''T''HH:mm:ss.SSS'), '[.]?0+$', '') || 'Z'"
            ),
            Engine::Snowflake => format!(
                "REGEXP_REPLACE(TO_VARCHAR(CONVERT_TIMEZONE('UTC', {column}), 'YYYY-MM-DD\"T\"HH24:MI:SS.FF6'), '[.]?0+$', '') || 'Z'"
            ),
        }
    }

    /// A JSON object text of `(key, value expression)` pairs, on one line.
    fn json_object(&self, fields: &[(&str, &str)]) -> String {
        let pairs = |sep: &str| -> String {
            fields
                .iter()
                .map(|(key, value)| format!("{}{sep}{value}", self.string(key)))
                .collect::<Vec<_>>()
                .join(",\n    ")
        };
        match self.0 {
            Engine::DuckDb => format!("CAST(json_object(\n    {}) AS VARCHAR)", pairs(", ")),
            Engine::Spark => format!("to_json(named_struct(\n    {}))", pairs(", ")),
            Engine::Snowflake => format!("TO_JSON(OBJECT_CONSTRUCT(\n    {}))", pairs(", ")),
            Engine::BigQuery => {
                let members: Vec<String> = fields
                    .iter()
                    .map(|(key, value)| format!("{value} AS {}", self.quote_ident(key)))
                    .collect();
                format!("TO_JSON_STRING(STRUCT(\n    {}))", members.join(",\n    "))
            }
            // A map of JSON values cast to JSON: what every Trino (and Presto) version has.
            Engine::Trino => {
                let keys: Vec<String> = fields.iter().map(|(key, _)| self.string(key)).collect();
                let values: Vec<String> = fields
                    .iter()
                    .map(|(_, value)| format!("CAST({value} AS JSON)"))
                    .collect();
                format!(
                    "json_format(CAST(MAP(\n    ARRAY[{}],\n    ARRAY[{}]) AS JSON))",
                    keys.join(", "),
                    values.join(",\n      ")
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(engine: Engine) -> String {
        aggregate_sql(engine, &RawTable::default(), &OutputKeys::default())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn with_table(engine: Engine, table: RawTable) -> Result<String, SqlError> {
        aggregate_sql(engine, &table, &OutputKeys::default())
    }

    #[test]
    fn duckdb_golden() {
        assert_eq!(
            sql(Engine::DuckDb),
            r#"-- lintage pre-aggregated access log (duckdb): one JSON line per principal, action and resource.
-- Save the `line` column as a .jsonl file in the deployment; `lintage scan` reads it.
WITH edges AS (
  SELECT "principal" AS p, "action" AS a, "resource" AS r,
    COUNT(*) AS n, MIN("ts") AS first_ts, MAX("ts") AS last_ts
  FROM "access_log"
  WHERE "principal" IS NOT NULL AND "action" IS NOT NULL AND "resource" IS NOT NULL AND "ts" IS NOT NULL
  GROUP BY "principal", "action", "resource"
)
SELECT CAST(json_object(
    'principal', p,
    'action', a,
    'resource', r,
    'count', n,
    'first_seen', regexp_replace(strftime(make_timestamp(epoch_us(first_ts)), '%Y-%m-%dT%H:%M:%S.%f'), '[.]?0+$', '') || 'Z',
    'last_seen', regexp_replace(strftime(make_timestamp(epoch_us(last_ts)), '%Y-%m-%dT%H:%M:%S.%f'), '[.]?0+$', '') || 'Z') AS VARCHAR) AS line
FROM edges
ORDER BY p, a, r
"#
        );
    }

    #[test]
    fn spark_golden() {
        assert_eq!(
            sql(Engine::Spark),
            r#"-- lintage pre-aggregated access log (spark): one JSON line per principal, action and resource.
-- Save the `line` column as a .jsonl file in the deployment; `lintage scan` reads it.
WITH edges AS (
  SELECT `principal` AS p, `action` AS a, `resource` AS r,
    COUNT(*) AS n, MIN(CAST(`ts` AS TIMESTAMP)) AS first_ts, MAX(CAST(`ts` AS TIMESTAMP)) AS last_ts
  FROM `access_log`
  WHERE `principal` IS NOT NULL AND `action` IS NOT NULL AND `resource` IS NOT NULL AND `ts` IS NOT NULL
  GROUP BY `principal`, `action`, `resource`
)
SELECT to_json(named_struct(
    'principal', p,
    'action', a,
    'resource', r,
    'count', n,
    'first_seen', concat(regexp_replace(date_format(to_utc_timestamp(first_ts, current_timezone()), 'yyyy-MM-dd\'T\'HH:mm:ss.SSSSSS'), '[.]?0+$', ''), 'Z'),
    'last_seen', concat(regexp_replace(date_format(to_utc_timestamp(last_ts, current_timezone()), 'yyyy-MM-dd\'T\'HH:mm:ss.SSSSSS'), '[.]?0+$', ''), 'Z'))) AS line
FROM edges
ORDER BY p, a, r
"#
        );
    }

    #[test]
    fn bigquery_golden() {
        assert_eq!(
            sql(Engine::BigQuery),
            r#"-- lintage pre-aggregated access log (bigquery): one JSON line per principal, action and resource.
-- Save the `line` column as a .jsonl file in the deployment; `lintage scan` reads it.
WITH edges AS (
  SELECT `principal` AS p, `action` AS a, `resource` AS r,
    COUNT(*) AS n, MIN(CAST(`ts` AS TIMESTAMP)) AS first_ts, MAX(CAST(`ts` AS TIMESTAMP)) AS last_ts
  FROM `access_log`
  WHERE `principal` IS NOT NULL AND `action` IS NOT NULL AND `resource` IS NOT NULL AND `ts` IS NOT NULL
  GROUP BY `principal`, `action`, `resource`
)
SELECT TO_JSON_STRING(STRUCT(
    p AS `principal`,
    a AS `action`,
    r AS `resource`,
    n AS `count`,
    REGEXP_REPLACE(FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6S', first_ts, 'UTC'), '[.]?0+$', '') || 'Z' AS `first_seen`,
    REGEXP_REPLACE(FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6S', last_ts, 'UTC'), '[.]?0+$', '') || 'Z' AS `last_seen`)) AS line
FROM edges
ORDER BY p, a, r
"#
        );
    }

    #[test]
    fn trino_golden() {
        assert_eq!(
            sql(Engine::Trino),
            r#"-- lintage pre-aggregated access log (trino): one JSON line per principal, action and resource.
-- Save the `line` column as a .jsonl file in the deployment; `lintage scan` reads it.
WITH edges AS (
  SELECT "principal" AS p, "action" AS a, "resource" AS r,
    COUNT(*) AS n, MIN("ts") AS first_ts, MAX("ts") AS last_ts
  FROM "access_log"
  WHERE "principal" IS NOT NULL AND "action" IS NOT NULL AND "resource" IS NOT NULL AND "ts" IS NOT NULL
  GROUP BY "principal", "action", "resource"
)
SELECT json_format(CAST(MAP(
    ARRAY['principal', 'action', 'resource', 'count', 'first_seen', 'last_seen'],
    ARRAY[CAST(p AS JSON),
      CAST(a AS JSON),
      CAST(r AS JSON),
      CAST(n AS JSON),
      CAST(regexp_replace(format_datetime(first_ts AT TIME ZONE 'UTC', 'yyyy-MM-dd''T''HH:mm:ss.SSS'), '[.]?0+$', '') || 'Z' AS JSON),
      CAST(regexp_replace(format_datetime(last_ts AT TIME ZONE 'UTC', 'yyyy-MM-dd''T''HH:mm:ss.SSS'), '[.]?0+$', '') || 'Z' AS JSON)]) AS JSON)) AS line
FROM edges
ORDER BY p, a, r
"#
        );
    }

    #[test]
    fn snowflake_golden() {
        assert_eq!(
            sql(Engine::Snowflake),
            r#"-- lintage pre-aggregated access log (snowflake): one JSON line per principal, action and resource.
-- Save the `line` column as a .jsonl file in the deployment; `lintage scan` reads it.
WITH edges AS (
  SELECT "PRINCIPAL" AS p, "ACTION" AS a, "RESOURCE" AS r,
    COUNT(*) AS n, MIN("TS") AS first_ts, MAX("TS") AS last_ts
  FROM "ACCESS_LOG"
  WHERE "PRINCIPAL" IS NOT NULL AND "ACTION" IS NOT NULL AND "RESOURCE" IS NOT NULL AND "TS" IS NOT NULL
  GROUP BY "PRINCIPAL", "ACTION", "RESOURCE"
)
SELECT TO_JSON(OBJECT_CONSTRUCT(
    'principal', p,
    'action', a,
    'resource', r,
    'count', n,
    'first_seen', REGEXP_REPLACE(TO_VARCHAR(CONVERT_TIMEZONE('UTC', first_ts), 'YYYY-MM-DD"T"HH24:MI:SS.FF6'), '[.]?0+$', '') || 'Z',
    'last_seen', REGEXP_REPLACE(TO_VARCHAR(CONVERT_TIMEZONE('UTC', last_ts), 'YYYY-MM-DD"T"HH24:MI:SS.FF6'), '[.]?0+$', '') || 'Z')) AS line
FROM edges
ORDER BY p, a, r
"#
        );
    }

    #[test]
    fn identifiers_cannot_end_their_quotes() {
        let evil = RawTable {
            table: "logs.x\"; DROP TABLE t; --".into(),
            principal: "p`) --".into(),
            action: "a\\`b".into(),
            resource: "it's".into(),
            ts: "ts".into(),
        };
        let duck = with_table(Engine::DuckDb, evil.clone()).unwrap_or_default();
        assert!(
            duck.contains(r#"FROM "logs"."x""; DROP TABLE t; --""#),
            "{duck}"
        );
        assert!(duck.contains(r#""p`) --" AS p"#), "{duck}");
        let trino = with_table(Engine::Trino, evil.clone()).unwrap_or_default();
        assert!(
            trino.contains(r#"FROM "logs"."x""; DROP TABLE t; --""#),
            "{trino}"
        );
        let spark = with_table(Engine::Spark, evil.clone()).unwrap_or_default();
        assert!(spark.contains(r#"`p``) --` AS p"#), "{spark}");
        assert!(spark.contains(r#"`a\``b` AS a"#), "{spark}");
        assert!(
            spark.contains(r#"FROM `logs`.`x"; DROP TABLE t; --`"#),
            "{spark}"
        );
        let bq = with_table(Engine::BigQuery, evil.clone()).unwrap_or_default();
        assert!(bq.contains(r#"`p\`) --` AS p"#), "{bq}");
        assert!(bq.contains(r#"`a\\\`b` AS a"#), "{bq}");
        let snow = with_table(Engine::Snowflake, evil).unwrap_or_default();
        assert!(
            snow.contains(r#"FROM "LOGS"."x""; DROP TABLE t; --""#),
            "{snow}"
        );
        assert!(snow.contains(r#""it's" AS r"#), "{snow}");
    }

    /// Every quote character inside a quoted identifier is escaped: removing the escaped
    /// pairs leaves no quote character between the two enclosing ones.
    #[test]
    fn quoted_identifiers_are_balanced() {
        let names = [
            "a\"b", "a`b", "a\\b", "a'b", "\"\"", "``", "\\`", "x\\", "`",
        ];
        for engine in Engine::ALL {
            let dialect = Dialect(engine);
            for name in names {
                let quoted = dialect.quote_ident(name);
                let (open, inner) = quoted.split_at(1);
                let inner = &inner[..inner.len() - 1];
                assert!(quoted.ends_with(open), "{quoted}");
                let unescaped = match engine {
                    Engine::BigQuery => inner.replace("\\\\", "").replace("\\`", ""),
                    _ => inner.replace(&format!("{open}{open}"), ""),
                };
                assert!(!unescaped.contains(open), "{engine:?} {name:?} -> {quoted}");
            }
        }
    }

    #[test]
    fn string_literals_escape_quotes_and_backslashes() {
        let key = r"it's\";
        let expect = [
            (Engine::DuckDb, r"'it''s\'"),
            (Engine::Trino, r"'it''s\'"),
            (Engine::Spark, r"'it\'s\\'"),
            (Engine::BigQuery, r"'it\'s\\'"),
            (Engine::Snowflake, r"'it''s\\'"),
        ];
        for (engine, literal) in expect {
            assert_eq!(Dialect(engine).string(key), literal, "{engine:?}");
        }
    }

    #[test]
    fn snowflake_resolves_plain_names_as_unquoted_ones_do() {
        let d = Dialect(Engine::Snowflake);
        assert_eq!(d.quote_ident("access_log"), r#""ACCESS_LOG""#);
        assert_eq!(d.quote_ident("Ts$1"), r#""TS$1""#);
        assert_eq!(d.quote_ident("mixed Case"), r#""mixed Case""#);
        assert_eq!(d.quote_ident("1st"), r#""1st""#);
    }

    #[test]
    fn a_qualified_table_is_quoted_part_by_part() {
        let table = RawTable {
            table: "my-project.logs.access".into(),
            ..RawTable::default()
        };
        let bq = with_table(Engine::BigQuery, table).unwrap_or_default();
        assert!(bq.contains("FROM `my-project`.`logs`.`access`\n"), "{bq}");
    }

    #[test]
    fn empty_and_control_names_are_refused() {
        for engine in Engine::ALL {
            let empty = RawTable {
                principal: String::new(),
                ..RawTable::default()
            };
            assert_eq!(
                with_table(engine, empty),
                Err(SqlError::Empty {
                    what: "principal column"
                })
            );
            let dotted = RawTable {
                table: "logs..access".into(),
                ..RawTable::default()
            };
            assert!(matches!(
                with_table(engine, dotted),
                Err(SqlError::EmptyPart { what: "table", .. })
            ));
            let newline = RawTable {
                ts: "ts\n; DROP".into(),
                ..RawTable::default()
            };
            assert!(matches!(
                with_table(engine, newline),
                Err(SqlError::Control {
                    what: "ts column",
                    ..
                })
            ));
        }
        let keys = OutputKeys {
            count: String::new(),
            ..OutputKeys::default()
        };
        let err = aggregate_sql(Engine::DuckDb, &RawTable::default(), &keys).err();
        assert_eq!(err, Some(SqlError::Empty { what: "count key" }));
    }

    #[test]
    fn output_keys_must_differ() {
        let keys = OutputKeys {
            last_seen: "first_seen".into(),
            ..OutputKeys::default()
        };
        let err = aggregate_sql(Engine::Trino, &RawTable::default(), &keys)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "the output keys must differ, but first_seen key and last_seen key are both `first_seen`"
            )
        );
    }

    #[test]
    fn output_keys_and_columns_follow_the_deployment_fields() {
        let fields = FieldMap {
            principal: "user".into(),
            count: "n'".into(),
            ..FieldMap::default()
        };
        let sql = aggregate_sql(
            Engine::DuckDb,
            &RawTable::from_fields(&fields),
            &OutputKeys::from_fields(&fields),
        )
        .unwrap_or_default();
        assert!(sql.contains(r#"SELECT "user" AS p"#), "{sql}");
        assert!(sql.contains("'user', p,"), "{sql}");
        assert!(sql.contains("'n''', n,"), "{sql}");
    }
}
