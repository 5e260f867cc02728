//! Extracts the tables a SQL statement reads and writes, for access-log lines that carry `query`.
//!
//! The text is parsed with `sqlparser` (see [`extract_tables`] for the dialect order) and the
//! syntax tree is walked with `sqlparser`'s [`Visitor`]:
//!
//! * every named table in a `FROM`/`JOIN` (including subqueries, CTE bodies, set operations,
//!   `MERGE … USING`, `UPDATE … FROM`, `DELETE … USING`) and every `TABLE t` query is a **read**,
//!   unless it names a CTE that is in scope at that point, or it is a table-valued function
//!   (`FROM generate_series(1, 3)`), or a Snowflake stage (`@stage`);
//! * the target of `INSERT` (also `INSERT OVERWRITE`, Snowflake `INSERT ALL/FIRST`), `CREATE TABLE`
//!   (with or without `AS SELECT`), `CREATE [MATERIALIZED] VIEW`, `MERGE INTO`, `UPDATE`,
//!   `DELETE`, `TRUNCATE`, `SELECT … INTO t`, Postgres `COPY t FROM …`, Snowflake
//!   `COPY INTO t`, Hive `LOAD DATA … INTO TABLE t` and `REFRESH MATERIALIZED VIEW` is a **write**.
//!
//! A write target is not also a read unless the statement reads it elsewhere
//! (`INSERT INTO t SELECT * FROM t` reads and writes `t`; `UPDATE t SET … FROM s` reads only `s`).

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::ptr;

use sqlparser::ast::{
    CopyIntoSnowflakeKind, CopySource, Delete, Expr, FromTable, FunctionArg, FunctionArgExpr,
    Ident, ObjectName, ObjectNamePart, Query, Select, SetExpr, Statement, TableFactor, TableObject,
    TableWithJoins, Update, UpdateTableFromKind, Value, Visit, Visitor,
};
use sqlparser::dialect::{
    BigQueryDialect, DatabricksDialect, Dialect, DuckDbDialect, GenericDialect, HiveDialect,
    MsSqlDialect, MySqlDialect, PostgreSqlDialect, RedshiftSqlDialect, SnowflakeDialect,
    SparkSqlDialect,
};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, Tokenizer};

/// The tables a SQL text reads and writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqlTables {
    /// Tables read, sorted and deduplicated.
    pub reads: Vec<String>,
    /// Tables written, sorted and deduplicated.
    pub writes: Vec<String>,
}

/// Why a SQL text could not be read: a short, one-line human message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SqlError(pub String);

/// Nesting depth the parser accepts (sqlparser's default); deeper input is an error.
const RECURSION_LIMIT: usize = 50;

/// Longest SQL text accepted, in bytes.
const MAX_SQL_BYTES: usize = 1 << 20;

/// Texts up to this many bytes are handled on the caller's thread; longer ones on a
/// thread of their own whose stack grows with the text (see [`extract_tables`]).
const INLINE_MAX_BYTES: usize = 4 << 10;

/// Stack of the helper thread: a base plus this much per byte of SQL text.
const STACK_BASE_BYTES: usize = 2 << 20;
const STACK_PER_SQL_BYTE: usize = 128;

/// Longest error message detail kept, in characters.
const MAX_MESSAGE_CHARS: usize = 200;

/// Returns the tables `sql` reads and writes.
///
/// `sql` may hold several statements separated by `;`; their tables are united.
///
/// The text is parsed with sqlparser's `GenericDialect` first; if that fails, with the
/// PostgreSQL, Snowflake, BigQuery, Databricks, Spark SQL, Hive, MySQL, MS SQL, Redshift and
/// DuckDB dialects in that order, and the first that parses the whole text is used. If none
/// does, the text is split at top-level `;` and each statement is parsed on its own the same
/// way (this also rewrites a Hive/Spark multi-insert `FROM src INSERT … SELECT … INSERT …
/// SELECT …`, which sqlparser does not support, into statements it does). If a statement still
/// does not parse, the error carries `GenericDialect`'s message for the whole text.
///
/// Table names are the name's parts joined with `.`, each part as written but without quotes
/// (`"Sales"."Orders"` is `Sales.Orders`). A reference is taken to be a CTE when it is a
/// one-part name equal, ignoring case, to a CTE in scope.
///
/// Never panics on any input: nesting deeper than the parser's recursion limit is an error,
/// texts longer than 1 MiB are refused, and texts longer than 4 KiB are parsed on a helper
/// thread whose stack is large enough for the deepest tree such a text can produce.
pub fn extract_tables(sql: &str) -> Result<SqlTables, SqlError> {
    extract_tables_in(sql, None)
}

/// A dialect lintage.toml can name for the SQL in logs (`[logs] sql_dialect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlDialect {
    Generic,
    Postgres,
    Snowflake,
    BigQuery,
    Databricks,
    Spark,
    Hive,
    MySql,
    MsSql,
    Redshift,
    DuckDb,
}

impl SqlDialect {
    /// The names lintage.toml accepts.
    pub const NAMES: [&'static str; 11] = [
        "generic",
        "postgres",
        "snowflake",
        "bigquery",
        "databricks",
        "spark",
        "hive",
        "mysql",
        "mssql",
        "redshift",
        "duckdb",
    ];

    pub fn parse_name(name: &str) -> Option<SqlDialect> {
        const ALL: [SqlDialect; 11] = [
            SqlDialect::Generic,
            SqlDialect::Postgres,
            SqlDialect::Snowflake,
            SqlDialect::BigQuery,
            SqlDialect::Databricks,
            SqlDialect::Spark,
            SqlDialect::Hive,
            SqlDialect::MySql,
            SqlDialect::MsSql,
            SqlDialect::Redshift,
            SqlDialect::DuckDb,
        ];
        let name = name.to_ascii_lowercase();
        SqlDialect::NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| ALL[i])
    }

    fn dialect(self) -> &'static dyn Dialect {
        match self {
            SqlDialect::Generic => &GenericDialect,
            SqlDialect::Postgres => &PostgreSqlDialect {},
            SqlDialect::Snowflake => &SnowflakeDialect,
            SqlDialect::BigQuery => &BigQueryDialect,
            SqlDialect::Databricks => &DatabricksDialect,
            SqlDialect::Spark => &SparkSqlDialect,
            SqlDialect::Hive => &HiveDialect {},
            SqlDialect::MySql => &MySqlDialect {},
            SqlDialect::MsSql => &MsSqlDialect {},
            SqlDialect::Redshift => &RedshiftSqlDialect {},
            SqlDialect::DuckDb => &DuckDbDialect,
        }
    }
}

/// Like `extract_tables`, trying `preferred` before the other dialects.
pub fn extract_tables_in(sql: &str, preferred: Option<SqlDialect>) -> Result<SqlTables, SqlError> {
    if sql.len() > MAX_SQL_BYTES {
        return Err(SqlError(format!(
            "cannot parse SQL: the text is {} bytes long, more than the {MAX_SQL_BYTES} accepted",
            sql.len()
        )));
    }
    let outcome = if sql.len() <= INLINE_MAX_BYTES {
        std::panic::catch_unwind(|| extract_here(sql, preferred)).ok()
    } else {
        // Long left-nested expressions (`1+1+…+1`) and set operations are built by loops
        // in the parser and bypass its recursion limit; dropping such a tree recurses once
        // per level, so give it a stack that fits the deepest tree the text can hold.
        let stack = STACK_BASE_BYTES.saturating_add(sql.len().saturating_mul(STACK_PER_SQL_BYTE));
        std::thread::scope(|scope| {
            let spawned = std::thread::Builder::new()
                .name("lintage-sql".to_owned())
                .stack_size(stack)
                .spawn_scoped(scope, || extract_here(sql, preferred));
            match spawned {
                Ok(handle) => handle.join().ok(),
                Err(err) => Some(Err(SqlError(format!(
                    "cannot parse SQL: cannot start the parser thread: {err}"
                )))),
            }
        })
    };
    outcome.unwrap_or_else(|| {
        Err(SqlError(
            "cannot parse SQL: the SQL parser failed".to_owned(),
        ))
    })
}

/// Parses `sql` and collects its tables on the current thread.
fn extract_here(sql: &str, preferred: Option<SqlDialect>) -> Result<SqlTables, SqlError> {
    let statements = parse(sql, preferred)?;
    let mut collector = Collector::default();
    for statement in &statements {
        if let Statement::Explain { analyze: false, .. } = statement {
            // A plain EXPLAIN neither reads nor writes the tables it mentions.
            continue;
        }
        // The collector never breaks, so the ControlFlow is always Continue.
        let _ = statement.visit(&mut collector);
    }
    Ok(SqlTables {
        reads: collector.reads.into_iter().collect(),
        writes: collector.writes.into_iter().collect(),
    })
}

/// A SQL file's tables, statement by statement: the statements that parse count, and each
/// one that does not is an error whose message gives its line in `sql`.
pub fn extract_tables_by_statement(
    sql: &str,
    preferred: Option<SqlDialect>,
) -> (SqlTables, Vec<SqlError>) {
    let whole_error = match extract_tables_in(sql, preferred) {
        Ok(tables) => return (tables, Vec::new()),
        Err(err) => err,
    };
    let Ok(tokens) = Tokenizer::new(&GenericDialect, sql).tokenize_with_location() else {
        return (SqlTables::default(), vec![whole_error]);
    };
    let mut reads = std::collections::BTreeSet::new();
    let mut writes = std::collections::BTreeSet::new();
    let mut errors = Vec::new();
    let mut depth = 0usize;
    let mut pieces = Vec::new();
    let mut start = 0;
    for (index, token) in tokens.iter().enumerate() {
        match token.token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            Token::SemiColon if depth == 0 => {
                pieces.push(&tokens[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    pieces.push(&tokens[start..]);
    for piece in pieces {
        let Some(first) = piece.first() else { continue };
        if piece.iter().all(|t| is_blank(&t.token)) {
            continue;
        }
        let at = first.span.start;
        let mut text = String::new();
        for token in piece {
            text.push_str(&token.token.to_string());
        }
        match extract_tables_in(&text, preferred) {
            Ok(tables) => {
                reads.extend(tables.reads);
                writes.extend(tables.writes);
            }
            // The statement is parsed on its own (padding it to its place in the file made
            // many statements cost time quadratic in the file's size), so its "Line: N" is
            // moved to where it starts in the file.
            Err(err) => errors.push(SqlError(shift_location(&err.0, at.line, at.column))),
        }
    }
    let tables = SqlTables {
        reads: reads.into_iter().collect(),
        writes: writes.into_iter().collect(),
    };
    (tables, errors)
}

/// Moves the last `Line: N, Column: M` of a parser message about a statement's own text to
/// the file, where the statement starts at line `line` and column `column`.
fn shift_location(message: &str, line: u64, column: u64) -> String {
    let shifted = || {
        let start = message.rfind("Line: ")?;
        let rest = &message[start + "Line: ".len()..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let n: u64 = rest[..digits].parse().ok()?;
        let rest = rest[digits..].strip_prefix(", Column: ")?;
        let digits_m = rest.bytes().take_while(u8::is_ascii_digit).count();
        let m: u64 = rest[..digits_m].parse().ok()?;
        let file_line = n.saturating_add(line.saturating_sub(1));
        let file_column = if n == 1 {
            m.saturating_add(column.saturating_sub(1))
        } else {
            m
        };
        Some(format!(
            "{}Line: {file_line}, Column: {file_column}{}",
            &message[..start],
            &rest[digits_m..]
        ))
    };
    shifted().unwrap_or_else(|| message.to_owned())
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/// Dialects tried after `GenericDialect`, in order.
fn fallback_dialects() -> [&'static dyn Dialect; 10] {
    [
        &PostgreSqlDialect {},
        &SnowflakeDialect,
        &BigQueryDialect,
        &DatabricksDialect,
        &SparkSqlDialect,
        &HiveDialect {},
        &MySqlDialect {},
        &MsSqlDialect {},
        &RedshiftSqlDialect {},
        &DuckDbDialect,
    ]
}

fn parse_with(dialect: &dyn Dialect, sql: &str) -> Result<Vec<Statement>, ParserError> {
    Parser::new(dialect)
        .with_recursion_limit(RECURSION_LIMIT)
        .try_with_sql(sql)?
        .parse_statements()
}

/// Parses the whole of `sql` with the first dialect that accepts it; the error is
/// `GenericDialect`'s.
fn parse_any_dialect(
    sql: &str,
    preferred: Option<SqlDialect>,
) -> Result<Vec<Statement>, ParserError> {
    if let Some(preferred) = preferred
        && let Ok(statements) = parse_with(preferred.dialect(), sql)
    {
        return Ok(statements);
    }
    let generic_error = match parse_with(&GenericDialect, sql) {
        Ok(statements) => return Ok(statements),
        Err(err) => err,
    };
    if matches!(generic_error, ParserError::RecursionLimitExceeded) {
        // Every dialect shares the limit; do not try the others.
        return Err(generic_error);
    }
    for dialect in fallback_dialects() {
        if let Ok(statements) = parse_with(dialect, sql) {
            return Ok(statements);
        }
    }
    Err(generic_error)
}

fn parse(sql: &str, preferred: Option<SqlDialect>) -> Result<Vec<Statement>, SqlError> {
    let err = match parse_any_dialect(sql, preferred) {
        Ok(statements) => return Ok(statements),
        Err(err) => err,
    };
    let retried = match err {
        ParserError::RecursionLimitExceeded => None,
        _ => parse_statement_by_statement(sql, preferred),
    };
    retried.ok_or_else(|| {
        SqlError(format!(
            "cannot parse SQL: {}",
            one_line(&parser_message(&err))
        ))
    })
}

fn parser_message(err: &ParserError) -> String {
    match err {
        ParserError::TokenizerError(message) | ParserError::ParserError(message) => message.clone(),
        ParserError::RecursionLimitExceeded => "nested too deeply".to_owned(),
    }
}

/// Collapses whitespace to single spaces and shortens the text to `MAX_MESSAGE_CHARS`.
fn one_line(message: &str) -> String {
    let mut out = String::new();
    for (count, word) in message.split_whitespace().enumerate() {
        if count > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
    match out.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => {
            out.truncate(cut);
            out.push('…');
            out
        }
        None => out,
    }
}

/// Second chance for text no dialect parses as a whole: split it at top-level `;` and parse
/// each statement on its own (rewriting Hive/Spark multi-inserts). `None` if that does not
/// help or a statement still fails.
fn parse_statement_by_statement(
    sql: &str,
    preferred: Option<SqlDialect>,
) -> Option<Vec<Statement>> {
    let tokens = Tokenizer::new(&GenericDialect, sql).tokenize().ok()?;
    let pieces = split_statements(&tokens);
    if pieces.len() == 1 && multi_insert_parts(pieces[0]).is_none() {
        // Same text as before and nothing to rewrite.
        return None;
    }
    let mut statements = Vec::new();
    for piece in pieces {
        let text = match multi_insert_parts(piece) {
            // `FROM src INSERT INTO a SELECT … INSERT INTO b SELECT …` becomes
            // `SELECT * FROM src; INSERT INTO a SELECT …; INSERT INTO b SELECT …`.
            Some((source, inserts)) => {
                let mut text = format!("SELECT * {}", render(source));
                for insert in inserts {
                    text.push_str(";\n");
                    text.push_str(&render(insert));
                }
                text
            }
            None => render(piece),
        };
        statements.extend(parse_any_dialect(&text, preferred).ok()?);
    }
    Some(statements)
}

fn is_blank(token: &Token) -> bool {
    matches!(token, Token::Whitespace(_))
}

/// Splits `tokens` at `;` outside parentheses, dropping pieces with nothing but whitespace
/// and comments.
fn split_statements(tokens: &[Token]) -> Vec<&[Token]> {
    let mut pieces = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (index, token) in tokens.iter().enumerate() {
        match token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            Token::SemiColon if depth == 0 => {
                pieces.push(&tokens[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    pieces.push(&tokens[start..]);
    pieces.retain(|piece| !piece.iter().all(is_blank));
    pieces
}

fn is_keyword(token: &Token, keyword: Keyword) -> bool {
    matches!(token, Token::Word(word) if word.keyword == keyword && word.quote_style.is_none())
}

/// For a Hive/Spark multi-insert `FROM <source> INSERT … INSERT …`, the tokens of
/// `FROM <source>` and of each `INSERT …`.
fn multi_insert_parts(piece: &[Token]) -> Option<(&[Token], Vec<&[Token]>)> {
    let first = piece.iter().position(|token| !is_blank(token))?;
    if !is_keyword(&piece[first], Keyword::FROM) {
        return None;
    }
    let mut starts = Vec::new();
    let mut depth = 0usize;
    for (index, token) in piece.iter().enumerate().skip(first) {
        match token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            _ if depth == 0 && is_keyword(token, Keyword::INSERT) => starts.push(index),
            _ => {}
        }
    }
    let first_insert = *starts.first()?;
    let mut inserts = Vec::with_capacity(starts.len());
    for (nth, &start) in starts.iter().enumerate() {
        let end = starts.get(nth + 1).copied().unwrap_or(piece.len());
        inserts.push(&piece[start..end]);
    }
    Some((&piece[first..first_insert], inserts))
}

fn render(tokens: &[Token]) -> String {
    tokens.iter().map(ToString::to_string).collect()
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

/// `a.b.c` from the name's parts, unquoted. Unquoted identifiers are case-insensitive in SQL,
/// so they are lowercased (as PostgreSQL folds them) to meet the names manifests declare;
/// quoted ones keep their case. `None` for an empty name or a Snowflake stage.
fn table_name(name: &ObjectName) -> Option<String> {
    let parts: Vec<String> = name.0.iter().map(name_part).collect();
    let joined = parts.join(".");
    if joined.is_empty() || joined.starts_with('@') {
        None
    } else {
        Some(joined)
    }
}

fn name_part(part: &ObjectNamePart) -> String {
    match part {
        ObjectNamePart::Identifier(ident) => ident_text(ident),
        ObjectNamePart::Function(function) => {
            identifier_function_value(&function.name, &function.args)
                .unwrap_or_else(|| function.to_string())
        }
    }
}

/// Snowflake `IDENTIFIER('db.t')` names the table given by its string argument.
fn identifier_function_value(function: &Ident, args: &[FunctionArg]) -> Option<String> {
    if !function.value.eq_ignore_ascii_case("identifier") {
        return None;
    }
    match args {
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(value)))] => match &value.value {
            Value::SingleQuotedString(text) | Value::DoubleQuotedString(text) => Some(text.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn ident_text(ident: &Ident) -> String {
    if ident.quote_style.is_some() {
        ident.value.clone()
    } else {
        ident.value.to_lowercase()
    }
}

fn idents_name(idents: &[Ident]) -> Option<String> {
    let joined = idents.iter().map(ident_text).collect::<Vec<_>>().join(".");
    if joined.is_empty() || joined.starts_with('@') {
        None
    } else {
        Some(joined)
    }
}

/// The single identifier of a one-part name.
fn single_ident(name: &ObjectName) -> Option<&Ident> {
    match name.0.as_slice() {
        [ObjectNamePart::Identifier(ident)] => Some(ident),
        _ => None,
    }
}

fn same_name(left: &ObjectName, right: &ObjectName) -> bool {
    match (table_name(left), table_name(right)) {
        (Some(left), Some(right)) => left.eq_ignore_ascii_case(&right),
        _ => false,
    }
}

/// Every table factor directly in these `FROM` items (the first relation and the joined ones).
fn factors(tables: &[TableWithJoins]) -> impl Iterator<Item = &TableFactor> {
    tables.iter().flat_map(|table| {
        std::iter::once(&table.relation).chain(table.joins.iter().map(|join| &join.relation))
    })
}

/// The named-table factor among `tables` that `target` designates: first by alias
/// (`UPDATE a … FROM t1 a`), then by name.
fn designated_factor<'a>(
    target: &ObjectName,
    tables: &[&'a [TableWithJoins]],
) -> Option<&'a TableFactor> {
    let all = || tables.iter().flat_map(|list| factors(list));
    if let Some(ident) = single_ident(target) {
        let by_alias = all().find(|factor| match factor {
            TableFactor::Table {
                alias: Some(alias), ..
            } => alias.name.value.eq_ignore_ascii_case(&ident.value),
            _ => false,
        });
        if by_alias.is_some() {
            return by_alias;
        }
    }
    all().find(|factor| match factor {
        TableFactor::Table {
            name, args: None, ..
        } => same_name(name, target),
        _ => false,
    })
}

// ---------------------------------------------------------------------------------------------
// Collecting
// ---------------------------------------------------------------------------------------------

/// The CTEs of one `WITH`.
struct CteScope {
    /// The query the `WITH` belongs to.
    owner: *const Query,
    /// CTE names, lower-cased, in order.
    names: Vec<String>,
    /// The CTE bodies, in the same order.
    bodies: Vec<*const Query>,
    /// How many of `names` are visible now: inside the body of the i-th CTE of a
    /// non-recursive `WITH` only the first i are; elsewhere all are.
    visible: usize,
    recursive: bool,
}

#[derive(Default)]
struct Collector {
    reads: BTreeSet<String>,
    writes: BTreeSet<String>,
    /// `WITH` scopes enclosing the node being visited, innermost last.
    scopes: Vec<CteScope>,
    /// Table factors that are write targets (UPDATE/DELETE/MERGE), not reads.
    targets: Vec<*const TableFactor>,
}

impl Collector {
    fn read(&mut self, name: &ObjectName) {
        if let Some(name) = table_name(name) {
            self.reads.insert(name);
        }
    }

    fn write(&mut self, name: &ObjectName) {
        if let Some(name) = table_name(name) {
            self.writes.insert(name);
        }
    }

    fn is_cte(&self, name: &ObjectName) -> bool {
        let Some(ident) = single_ident(name) else {
            return false;
        };
        let wanted = ident.value.to_lowercase();
        self.scopes.iter().any(|scope| {
            scope
                .names
                .iter()
                .take(scope.visible)
                .any(|name| *name == wanted)
        })
    }

    /// Records `factor` as written (if it names a table) and not read.
    fn target_factor(&mut self, factor: &TableFactor) {
        if let TableFactor::Table { name, .. } = factor {
            self.write(name);
        }
        self.targets.push(factor);
    }

    fn update(&mut self, update: &Update) {
        let target = &update.table.relation;
        self.targets.push(target);
        let TableFactor::Table { name, .. } = target else {
            return;
        };
        let from: &[TableWithJoins] = match &update.from {
            Some(UpdateTableFromKind::BeforeSet(from) | UpdateTableFromKind::AfterSet(from)) => {
                from
            }
            None => &[],
        };
        // MS SQL `UPDATE a SET … FROM t1 a JOIN t2 …` / `UPDATE t1 SET … FROM t1 JOIN t2 …`:
        // the target is that table in FROM, not another read of it.
        match designated_factor(name, &[from]) {
            Some(factor) => self.target_factor(factor),
            None => self.write(name),
        }
    }

    fn delete(&mut self, delete: &Delete) {
        let from = match &delete.from {
            FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from) => from,
        };
        if delete.tables.is_empty() {
            // `DELETE FROM t [USING …]`: the first relation of each FROM item is the target.
            for table in from {
                self.target_factor(&table.relation);
            }
            return;
        }
        // MySQL `DELETE t1, a FROM t1 JOIN t2 AS a …`: the listed names are the targets.
        let using: &[TableWithJoins] = delete.using.as_deref().unwrap_or(&[]);
        for target in &delete.tables {
            match designated_factor(target, &[from, using]) {
                Some(factor) => self.target_factor(factor),
                None => self.write(target),
            }
        }
    }

    /// Reads of `TABLE t` queries in a query body (walking set operations without recursion).
    fn table_commands(&mut self, body: &SetExpr) {
        let mut pending = vec![body];
        while let Some(expr) = pending.pop() {
            match expr {
                SetExpr::SetOperation { left, right, .. } => {
                    pending.push(left);
                    pending.push(right);
                }
                SetExpr::Table(table) => {
                    let idents: Vec<Ident> = table
                        .schema_name
                        .iter()
                        .chain(table.table_name.iter())
                        .cloned()
                        .collect();
                    if table.table_name.is_some() {
                        let name = ObjectName::from(idents);
                        if !self.is_cte(&name) {
                            self.read(&name);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

impl Visitor for Collector {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        // Entering the body of the i-th CTE of the innermost WITH.
        let body_of = self.scopes.last_mut().and_then(|scope| {
            let index = scope.bodies.iter().position(|body| ptr::eq(*body, query))?;
            Some((scope, index))
        });
        if let Some((scope, index)) = body_of {
            scope.visible = if scope.recursive {
                scope.names.len()
            } else {
                index
            };
        }
        if let Some(with) = &query.with {
            self.scopes.push(CteScope {
                owner: query,
                names: with
                    .cte_tables
                    .iter()
                    .map(|cte| cte.alias.name.value.to_lowercase())
                    .collect(),
                bodies: with
                    .cte_tables
                    .iter()
                    .map(|cte| &*cte.query as *const Query)
                    .collect(),
                visible: with.cte_tables.len(),
                recursive: with.recursive,
            });
        }
        self.table_commands(&query.body);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if query.with.is_some()
            && self
                .scopes
                .last()
                .is_some_and(|scope| ptr::eq(scope.owner, query))
        {
            self.scopes.pop();
        }
        // Leaving a CTE body: the rest of the query sees every CTE of its WITH.
        let body_of = self
            .scopes
            .last_mut()
            .filter(|scope| scope.bodies.iter().any(|body| ptr::eq(*body, query)));
        if let Some(scope) = body_of {
            scope.visible = scope.names.len();
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<()> {
        // `SELECT … INTO new_table FROM …` (Postgres, MS SQL) creates and fills a table.
        if let Some(into) = &select.into {
            for target in &into.targets {
                let name = match target {
                    Expr::Identifier(ident) => idents_name(std::slice::from_ref(ident)),
                    Expr::CompoundIdentifier(idents) => idents_name(idents),
                    _ => None,
                };
                if let Some(name) = name {
                    self.writes.insert(name);
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        if self.targets.iter().any(|target| ptr::eq(*target, factor)) {
            return ControlFlow::Continue(());
        }
        let TableFactor::Table { name, args, .. } = factor else {
            return ControlFlow::Continue(());
        };
        match args {
            None => {
                if !self.is_cte(name) {
                    self.read(name);
                }
            }
            // `args: Some(..)` is a table-valued function such as `generate_series(1, 3)`,
            // except `IDENTIFIER('db.t')` as other dialects than Snowflake's parse it.
            Some(args) => {
                let named = single_ident(name)
                    .and_then(|function| identifier_function_value(function, &args.args));
                if let Some(text) = named {
                    let name = ObjectName::from(Ident::new(text));
                    if !self.is_cte(&name) {
                        self.read(&name);
                    }
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<()> {
        match statement {
            Statement::Insert(insert) => {
                if let TableObject::TableName(name) = &insert.table {
                    self.write(name);
                }
                // Snowflake INSERT ALL / INSERT FIRST.
                let clauses = insert
                    .multi_table_into_clauses
                    .iter()
                    .chain(
                        insert
                            .multi_table_when_clauses
                            .iter()
                            .flat_map(|when| when.into_clauses.iter()),
                    )
                    .chain(insert.multi_table_else_clause.iter().flatten());
                for clause in clauses {
                    self.write(&clause.table_name);
                }
            }
            Statement::CreateTable(create) => {
                self.write(&create.name);
                // Snowflake/BigQuery `CREATE TABLE t CLONE s` copies s's data. `LIKE s` copies
                // only its shape and is not a read.
                if let Some(source) = &create.clone {
                    self.read(source);
                }
            }
            Statement::CreateView(create) => self.write(&create.name),
            Statement::RefreshMaterializedView(refresh) => self.write(&refresh.name),
            Statement::Merge(merge) => self.target_factor(&merge.table),
            Statement::Update(update) => self.update(update),
            Statement::Delete(delete) => self.delete(delete),
            Statement::Truncate(truncate) => {
                for target in &truncate.table_names {
                    self.write(&target.name);
                }
            }
            Statement::Copy {
                source: CopySource::Table { table_name, .. },
                to,
                ..
            } => {
                if *to {
                    self.read(table_name);
                } else {
                    self.write(table_name);
                }
            }
            Statement::CopyIntoSnowflake {
                kind,
                into,
                from_obj,
                ..
            } => {
                // sqlparser takes a quoted stage (`COPY INTO '@stage/dir/'`) for a table.
                let to_location = *kind == CopyIntoSnowflakeKind::Location
                    || into
                        .0
                        .first()
                        .and_then(ObjectNamePart::as_ident)
                        .is_some_and(|ident| {
                            ident.quote_style == Some('\'') || ident.value.starts_with('@')
                        });
                if to_location {
                    // Unloading to a stage or URL: the source table (if not a query) is read.
                    if let Some(from) = from_obj {
                        self.read(from);
                    }
                } else {
                    self.write(into);
                }
            }
            Statement::LoadData { table_name, .. } => self.write(table_name),
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(sql: &str) -> (Vec<String>, Vec<String>) {
        match extract_tables(sql) {
            Ok(found) => (found.reads, found.writes),
            Err(err) => panic!("{sql:?} did not parse: {err}"),
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    fn assert_tables(sql: &str, reads: &[&str], writes: &[&str]) {
        assert_eq!(tables(sql), (names(reads), names(writes)), "for {sql}");
    }

    #[test]
    fn select_with_joins() {
        assert_tables(
            "SELECT o.id, c.name FROM orders o JOIN customers c ON o.cid = c.id \
             LEFT JOIN regions r ON r.id = c.rid, products p WHERE p.id = o.pid",
            &["customers", "orders", "products", "regions"],
            &[],
        );
    }

    #[test]
    fn select_without_tables() {
        assert_tables("SELECT 1", &[], &[]);
    }

    #[test]
    fn insert_select() {
        assert_tables(
            "INSERT INTO mart.daily (d, n) SELECT d, count(*) FROM raw.events GROUP BY d",
            &["raw.events"],
            &["mart.daily"],
        );
    }

    #[test]
    fn insert_values_only_writes() {
        assert_tables("INSERT INTO t (a, b) VALUES (1, 2), (3, 4)", &[], &["t"]);
    }

    #[test]
    fn insert_into_itself_reads_and_writes() {
        assert_tables("INSERT INTO t SELECT * FROM t", &["t"], &["t"]);
    }

    #[test]
    fn insert_overwrite() {
        assert_tables(
            "INSERT OVERWRITE TABLE dw.sales PARTITION (ds = '2024-01-01') \
             SELECT * FROM staging.sales",
            &["staging.sales"],
            &["dw.sales"],
        );
    }

    #[test]
    fn snowflake_multi_table_insert() {
        assert_tables(
            "INSERT ALL WHEN n > 10 THEN INTO big ELSE INTO small SELECT n FROM src",
            &["src"],
            &["big", "small"],
        );
    }

    #[test]
    fn hive_multi_insert() {
        assert_tables(
            "FROM src1 JOIN src2 ON src1.id = src2.id \
             INSERT INTO TABLE tab2 SELECT src1.id WHERE src2.flag = 2 \
             INSERT OVERWRITE TABLE tab3 SELECT src2.id FROM other WHERE src1.flag = 3",
            &["other", "src1", "src2"],
            &["tab2", "tab3"],
        );
    }

    #[test]
    fn create_table_as_select() {
        assert_tables(
            "CREATE TABLE analytics.top_users AS SELECT u.id FROM users u \
             WHERE u.id IN (SELECT user_id FROM purchases)",
            &["purchases", "users"],
            &["analytics.top_users"],
        );
    }

    #[test]
    fn create_table_without_query_is_a_write() {
        assert_tables("CREATE TABLE t (id INT, name TEXT)", &[], &["t"]);
    }

    #[test]
    fn create_table_clone_reads_the_source_but_like_does_not() {
        assert_tables("CREATE TABLE t2 CLONE t1", &["t1"], &["t2"]);
        assert_tables("CREATE TABLE t2 LIKE t1", &[], &["t2"]);
    }

    #[test]
    fn create_view() {
        assert_tables(
            "CREATE OR REPLACE VIEW reporting.v_orders AS \
             SELECT * FROM orders WHERE status = 'open'",
            &["orders"],
            &["reporting.v_orders"],
        );
        assert_tables(
            "CREATE MATERIALIZED VIEW mv AS SELECT a FROM base",
            &["base"],
            &["mv"],
        );
    }

    #[test]
    fn merge_with_using() {
        assert_tables(
            "MERGE INTO dim_customer AS t USING (SELECT * FROM stg_customer WHERE ok) AS s \
             ON t.id = s.id \
             WHEN MATCHED THEN UPDATE SET name = s.name \
             WHEN NOT MATCHED THEN INSERT (id, name) VALUES (s.id, s.name)",
            &["stg_customer"],
            &["dim_customer"],
        );
        assert_tables(
            "MERGE INTO target t USING source s ON t.k = s.k WHEN MATCHED THEN DELETE",
            &["source"],
            &["target"],
        );
    }

    #[test]
    fn update() {
        assert_tables(
            "UPDATE accounts SET balance = 0 WHERE id = 1",
            &[],
            &["accounts"],
        );
        assert_tables(
            "UPDATE accounts SET balance = s.total FROM summaries s WHERE accounts.id = s.id",
            &["summaries"],
            &["accounts"],
        );
        assert_tables(
            "UPDATE t SET x = (SELECT max(x) FROM t) WHERE x IS NULL",
            &["t"],
            &["t"],
        );
    }

    #[test]
    fn update_through_an_alias_in_from() {
        assert_tables(
            "UPDATE a SET a.x = b.y FROM t1 a JOIN t2 b ON a.id = b.id",
            &["t2"],
            &["t1"],
        );
        assert_tables(
            "UPDATE t1 SET x = t2.y FROM t1 JOIN t2 ON t1.id = t2.id",
            &["t2"],
            &["t1"],
        );
    }

    #[test]
    fn delete() {
        assert_tables("DELETE FROM sessions WHERE expired", &[], &["sessions"]);
        assert_tables(
            "DELETE FROM orders USING customers c WHERE orders.cid = c.id AND c.gone",
            &["customers"],
            &["orders"],
        );
        assert_tables(
            "DELETE FROM logs WHERE id IN (SELECT id FROM bad_logs)",
            &["bad_logs"],
            &["logs"],
        );
    }

    #[test]
    fn mysql_multi_table_delete() {
        assert_tables(
            "DELETE a FROM t1 AS a INNER JOIN t2 AS b ON a.id = b.id WHERE b.x = 1",
            &["t2"],
            &["t1"],
        );
    }

    #[test]
    fn truncate() {
        assert_tables("TRUNCATE TABLE staging.load", &[], &["staging.load"]);
    }

    #[test]
    fn select_into_creates_a_table() {
        assert_tables("SELECT * INTO new_t FROM old_t", &["old_t"], &["new_t"]);
    }

    #[test]
    fn ctes_are_not_tables() {
        assert_tables(
            "WITH recent AS (SELECT * FROM orders WHERE d > now() - 7), \
             big AS (SELECT * FROM recent WHERE amount > 100) \
             SELECT * FROM big JOIN customers USING (cid)",
            &["customers", "orders"],
            &[],
        );
    }

    #[test]
    fn cte_names_are_case_insensitive() {
        assert_tables(
            "WITH Recent AS (SELECT 1 FROM a) SELECT * FROM RECENT",
            &["a"],
            &[],
        );
    }

    #[test]
    fn cte_named_like_a_real_table() {
        // Inside its own (non-recursive) body the name is the real table.
        assert_tables(
            "WITH orders AS (SELECT * FROM orders WHERE ok) SELECT * FROM orders",
            &["orders"],
            &[],
        );
        // Outside the query that defines it the name is the real table again.
        assert_tables(
            "SELECT * FROM (WITH t AS (SELECT 1 AS x FROM a) SELECT * FROM t) sub \
             JOIN t ON t.x = sub.x",
            &["a", "t"],
            &[],
        );
        // The CTE shadows the real table everywhere in the statement that defines it.
        assert_tables(
            "WITH customers AS (SELECT * FROM crm.customers) \
             SELECT * FROM customers WHERE id IN (SELECT cid FROM customers)",
            &["crm.customers"],
            &[],
        );
        // A qualified name is never a CTE.
        assert_tables("WITH t AS (SELECT 1) SELECT * FROM t, s.t", &["s.t"], &[]);
    }

    #[test]
    fn later_cte_is_not_visible_in_earlier_body() {
        assert_tables(
            "WITH a AS (SELECT * FROM b), b AS (SELECT 1 FROM c) SELECT * FROM a, b",
            &["b", "c"],
            &[],
        );
    }

    #[test]
    fn recursive_cte() {
        assert_tables(
            "WITH RECURSIVE tree AS (SELECT id, parent FROM nodes WHERE parent IS NULL \
             UNION ALL SELECT n.id, n.parent FROM nodes n JOIN tree ON n.parent = tree.id) \
             SELECT * FROM tree",
            &["nodes"],
            &[],
        );
    }

    #[test]
    fn nested_ctes() {
        assert_tables(
            "WITH outer_cte AS ( \
               WITH inner_cte AS (SELECT * FROM base_table) \
               SELECT * FROM inner_cte JOIN lookup ON true) \
             SELECT * FROM outer_cte, (WITH x AS (SELECT * FROM outer_cte) SELECT * FROM x) y \
             WHERE EXISTS (SELECT 1 FROM inner_cte)",
            // `inner_cte` is out of scope in the last subquery: it is a table there.
            &["base_table", "inner_cte", "lookup"],
            &[],
        );
    }

    #[test]
    fn cte_feeding_an_insert() {
        assert_tables(
            "WITH src AS (SELECT * FROM raw) INSERT INTO clean SELECT * FROM src",
            &["raw"],
            &["clean"],
        );
        assert_tables(
            "INSERT INTO clean WITH src AS (SELECT * FROM raw) SELECT * FROM src",
            &["raw"],
            &["clean"],
        );
    }

    #[test]
    fn subqueries() {
        assert_tables(
            "SELECT (SELECT max(v) FROM scalar_src) AS m, d.* \
             FROM (SELECT * FROM derived_src) d \
             WHERE d.k IN (SELECT k FROM in_src) \
             AND EXISTS (SELECT 1 FROM exists_src e WHERE e.k = d.k) \
             AND d.v > ALL (SELECT v FROM all_src)",
            &[
                "all_src",
                "derived_src",
                "exists_src",
                "in_src",
                "scalar_src",
            ],
            &[],
        );
    }

    #[test]
    fn set_operations() {
        assert_tables(
            "SELECT a FROM t1 UNION SELECT a FROM t2 UNION ALL \
             (SELECT a FROM t3 EXCEPT SELECT a FROM t4) INTERSECT SELECT a FROM t5",
            &["t1", "t2", "t3", "t4", "t5"],
            &[],
        );
    }

    #[test]
    fn table_command() {
        assert_tables(
            "SELECT * FROM (TABLE sales.q1) x UNION TABLE q2",
            &["q2", "sales.q1"],
            &[],
        );
        assert_tables("WITH c AS (SELECT 1 FROM a) TABLE c", &["a"], &[]);
    }

    #[test]
    fn table_valued_functions_are_not_tables() {
        assert_tables(
            "SELECT * FROM generate_series(1, 10) g JOIN real_t ON real_t.n = g",
            &["real_t"],
            &[],
        );
        assert_tables(
            "SELECT f.value FROM events e, LATERAL FLATTEN(input => e.tags) f",
            &["events"],
            &[],
        );
        assert_tables("SELECT * FROM UNNEST([1, 2, 3]) AS x", &[], &[]);
    }

    #[test]
    fn snowflake_identifier_function() {
        assert_tables(
            "INSERT INTO out_t SELECT * FROM IDENTIFIER('db.schema.t')",
            &["db.schema.t"],
            &["out_t"],
        );
    }

    #[test]
    fn qualified_and_quoted_names() {
        assert_tables(
            r#"SELECT * FROM "Sales"."Orders" JOIN warehouse.public.items USING (id)"#,
            &["Sales.Orders", "warehouse.public.items"],
            &[],
        );
        assert_tables(
            "INSERT INTO `proj.ds.out` SELECT * FROM `proj.ds.tbl`",
            &["proj.ds.tbl"],
            &["proj.ds.out"],
        );
        assert_tables(
            "SELECT * FROM `my-proj`.dataset.`tbl`",
            &["my-proj.dataset.tbl"],
            &[],
        );
        assert_tables("SELECT * FROM [dbo].[Customers]", &["dbo.Customers"], &[]);
        // Unquoted names fold to lowercase; quoted ones keep their case.
        assert_tables("SELECT * FROM MySchema.MyTable", &["myschema.mytable"], &[]);
        assert_tables(
            "SELECT * FROM \"MySchema\".MyTable",
            &["MySchema.mytable"],
            &[],
        );
    }

    #[test]
    fn tpc_ds_like_insert_with_several_ctes() {
        let sql = "
            insert into query_out
            with customer_total_return as (
                select sr_customer_sk as ctr_customer_sk, sr_store_sk as ctr_store_sk,
                       sum(sr_return_amt) as ctr_total_return
                from store_returns, date_dim
                where sr_returned_date_sk = d_date_sk and d_year = 2000
                group by sr_customer_sk, sr_store_sk
            ),
            high_return as (
                select ctr_store_sk, avg(ctr_total_return) * 1.2 as limit_amt
                from customer_total_return ctr2
                group by ctr_store_sk
            )
            select c_customer_id
            from customer_total_return ctr1, store, customer, high_return hr
            where ctr1.ctr_total_return > hr.limit_amt
              and ctr1.ctr_store_sk = hr.ctr_store_sk
              and s_store_sk = ctr1.ctr_store_sk
              and s_state = 'TN'
              and ctr1.ctr_customer_sk = c_customer_sk
            order by c_customer_id
            limit 100;";
        assert_tables(
            sql,
            &["customer", "date_dim", "store", "store_returns"],
            &["query_out"],
        );
    }

    #[test]
    fn snowflake_copy_into() {
        assert_tables(
            "COPY INTO raw.events FROM @landing/events/",
            &[],
            &["raw.events"],
        );
        assert_tables(
            "COPY INTO mytable FROM (SELECT $1, $2 FROM @my_stage) \
             FILE_FORMAT = (TYPE = CSV)",
            &[],
            &["mytable"],
        );
        assert_tables(
            "COPY INTO @export/x FROM mydb.public.orders",
            &["mydb.public.orders"],
            &[],
        );
        assert_tables(
            r#"COPY INTO '@public.dir/out/' FROM "MODEL"."FCT_USERS" FILE_FORMAT = (TYPE = PARQUET)"#,
            &["MODEL.FCT_USERS"],
            &[],
        );
        assert_tables(
            "COPY INTO 's3://bucket/out/' FROM (SELECT * FROM analytics.facts)",
            &["analytics.facts"],
            &[],
        );
    }

    #[test]
    fn snowflake_copy_statements_separated_by_semicolons() {
        // sqlparser's Snowflake COPY INTO does not stop at `;`: each statement is parsed alone.
        assert_tables(
            "copy into t1 from @s1;\ncopy into t2 from @s2 file_format = (type = csv);",
            &[],
            &["t1", "t2"],
        );
    }

    #[test]
    fn postgres_copy() {
        assert_tables(
            "COPY items FROM '/tmp/items.csv' WITH (FORMAT csv)",
            &[],
            &["items"],
        );
        assert_tables("COPY items TO STDOUT", &["items"], &[]);
        assert_tables(
            "COPY (SELECT * FROM items WHERE ok) TO STDOUT",
            &["items"],
            &[],
        );
    }

    #[test]
    fn multi_statement_text() {
        assert_tables(
            "CREATE TEMP TABLE tmp AS SELECT * FROM a; \
             INSERT INTO b SELECT * FROM tmp JOIN c USING (id); \
             DELETE FROM tmp; \
             SELECT count(*) FROM b;",
            &["a", "b", "c", "tmp"],
            &["b", "tmp"],
        );
    }

    #[test]
    fn explain_without_analyze_touches_nothing() {
        assert_tables("EXPLAIN SELECT * FROM t", &[], &[]);
        assert_tables(
            "EXPLAIN ANALYZE INSERT INTO u SELECT * FROM t",
            &["t"],
            &["u"],
        );
    }

    #[test]
    fn other_statements_touch_nothing() {
        assert_tables("SET search_path = public", &[], &[]);
        assert_tables("DROP TABLE old_stuff", &[], &[]);
        assert_tables("", &[], &[]);
        assert_tables("-- just a comment\n;", &[], &[]);
    }

    #[test]
    fn garbage_is_an_error() {
        for garbage in [
            "this is not sql",
            "SELECT FROM WHERE",
            "SELEC * FROM t",
            "INSERT INTO",
            "'unterminated",
            "SELECT * FROM t WHERE (a = 1",
        ] {
            let result = extract_tables(garbage);
            let Err(err) = result else {
                panic!("{garbage:?} parsed: {result:?}");
            };
            assert!(err.0.starts_with("cannot parse SQL: "), "{err}");
            assert!(!err.0.contains('\n'), "{err}");
        }
    }

    #[test]
    fn many_statements_that_do_not_parse_cost_linear_time_and_keep_their_lines() {
        // fuzz/regressions/sql: each statement was padded to its place in the file and
        // parsed again, quadratic in the file's size (4 KB of `x;` took seconds).
        let text = "x;\n".repeat(5_000);
        let (tables, errors) = extract_tables_by_statement(&text, None);
        assert!(tables.reads.is_empty() && tables.writes.is_empty());
        assert_eq!(errors.len(), 5_000);
        assert!(
            errors[0].0.contains("Line: 1, Column: 1"),
            "{}",
            errors[0].0
        );
        assert!(
            errors[4_999].0.contains("Line: 5000, Column: 1"),
            "{}",
            errors[4_999].0
        );
        let (_, errors) = extract_tables_by_statement("SELECT 1; x", None);
        assert!(
            errors[0].0.contains("Line: 1, Column: 11"),
            "{}",
            errors[0].0
        );
    }

    #[test]
    fn error_message_is_short_and_one_line() {
        let sql = format!("SELECT * FROM t WHERE x = 'a\n{}", "b".repeat(5000));
        let err = extract_tables(&sql).expect_err("unterminated string");
        assert!(!err.0.contains('\n'));
        assert!(err.0.chars().count() < 300, "{}", err.0);
    }

    #[test]
    fn deeply_nested_parentheses_do_not_crash() {
        let sql = format!("SELECT {}1{}", "(".repeat(500), ")".repeat(500));
        assert!(extract_tables(&sql).is_err());
        let sql = format!("SELECT * FROM {}t{}", "(".repeat(500), ")".repeat(500));
        assert!(extract_tables(&sql).is_err());
        let nested_queries = format!(
            "SELECT * FROM {}SELECT * FROM t{}",
            "(SELECT * FROM ".repeat(300),
            ") x".repeat(300)
        );
        assert!(extract_tables(&nested_queries).is_err());
    }

    #[test]
    fn long_flat_chains_do_not_crash() {
        // Built by loops in the parser, so the recursion limit does not stop them.
        let sum = format!("SELECT {} FROM t", vec!["1"; 50_000].join("+"));
        assert_tables(&sum, &["t"], &[]);
        let broken = format!("SELECT {} FROM )", vec!["1"; 50_000].join("+"));
        assert!(extract_tables(&broken).is_err());
        let unions = vec!["SELECT a FROM t"; 5_000].join(" UNION ALL ");
        assert_tables(&unions, &["t"], &[]);
    }

    #[test]
    fn chains_handled_on_the_callers_thread_fit_a_test_thread_stack() {
        // The longest texts parsed without a helper thread, on a default 2 MiB test thread.
        for unit in ["+1", "[1]", "::int", "->1", " IS NULL"] {
            for tail in [" FROM t", " FROM )"] {
                let count = (INLINE_MAX_BYTES - "SELECT a".len() - tail.len()) / unit.len();
                let sql = format!("SELECT a{}{tail}", unit.repeat(count));
                assert!(sql.len() <= INLINE_MAX_BYTES);
                let _ = extract_tables(&sql);
            }
        }
    }

    #[test]
    fn too_long_text_is_refused() {
        let sql = format!(
            "SELECT 1 FROM t WHERE a IN ({})",
            vec!["1"; 600_000].join(",")
        );
        let err = extract_tables(&sql).expect_err("too long");
        assert!(err.0.contains("bytes"), "{err}");
    }

    #[test]
    fn arbitrary_bytes_do_not_panic() {
        let pieces = [
            "SELECT", "FROM", "(", ")", "'", "\"", "`", "[", "]", ";", "WITH", "AS", "INSERT",
            "INTO", "MERGE", "USING", "@", "$1", "::", "--", "/*", "*/", "é", "\u{0}", "x",
            "UNION", ",", ".", "*",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..300 {
            let mut sql = String::new();
            for _ in 0..12 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let index = usize::try_from(state % pieces.len() as u64).unwrap_or(0);
                sql.push_str(pieces[index]);
                sql.push(' ');
            }
            let _ = extract_tables(&sql);
        }
    }
}
