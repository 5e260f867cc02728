//! `lintage.toml`: parsed with file locations, then validated into `Settings` before any work.

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use crate::finding::Severity;
use crate::glob::StarGlob;
use crate::ingest::tree::LineIndex;
use crate::node::NodeId;
use crate::rules;
use crate::time::Timestamp;

pub const CONFIG_FILE: &str = "lintage.toml";

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    discovery: DiscoveryCfg,
    #[serde(default)]
    sources: Vec<Spanned<SourceCfg>>,
    #[serde(default)]
    logs: LogsCfg,
    #[serde(default)]
    identities: Vec<Spanned<IdentityCfg>>,
    #[serde(default)]
    normalize: Vec<Spanned<NormalizeCfg>>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, RuleCfg>,
    #[serde(default)]
    allow: Vec<Spanned<AllowCfg>>,
    #[serde(default)]
    window: WindowCfg,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DiscoveryCfg {
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceCfg {
    path: String,
    format: SourceFormat,
    #[serde(default)]
    fields: Option<FieldsCfg>,
    #[serde(default)]
    actions: Option<BTreeMap<String, ActionCfg>>,
    /// For `format = "regex"`: the line pattern, with named captures.
    #[serde(default)]
    regex: Option<String>,
    /// For `format = "regex"`: rfc3339 (default), epoch_seconds, epoch_millis or clf.
    #[serde(default)]
    time_format: Option<String>,
}

/// The formats a `[[sources]]` entry can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    Manifest,
    Ndjson,
    /// OpenLineage events (src/ingest/openlineage.rs).
    #[serde(rename = "openlineage")]
    OpenLineage,
    /// A dbt `manifest.json` (src/ingest/dbt.rs).
    Dbt,
    /// A Hugging Face model card (src/ingest/model_card.rs).
    #[serde(rename = "model_card")]
    ModelCard,
    /// An MLflow `MLmodel` file (src/ingest/mlflow.rs).
    Mlmodel,
    /// AWS S3 server access logs (src/ingest/s3_access.rs).
    #[serde(rename = "s3_access")]
    S3Access,
    /// BigQuery `bigquery#job` records (src/ingest/bigquery.rs).
    Bigquery,
    /// PostgreSQL pgaudit lines in a server log (src/ingest/pgaudit.rs).
    Pgaudit,
    /// Lines read with a regular expression (src/ingest/regex_log.rs).
    Regex,
    /// CSV with a header row (src/ingest/csv_log.rs).
    Csv,
    /// A SQL file, a job's code (src/ingest/sql_file.rs).
    Sql,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LogsCfg {
    #[serde(default)]
    fields: FieldsCfg,
    #[serde(default)]
    actions: BTreeMap<String, ActionCfg>,
    /// The SQL dialect of `query` fields, tried before the others.
    #[serde(default)]
    sql_dialect: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct FieldsCfg {
    ts: Option<String>,
    principal: Option<String>,
    action: Option<String>,
    resource: Option<String>,
    query: Option<String>,
    count: Option<String>,
    first_seen: Option<String>,
    last_seen: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ActionCfg {
    Read,
    Write,
    Ignore,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentityCfg {
    principal: String,
    entity: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NormalizeCfg {
    pattern: String,
    /// The replacement of each match (`$1` names a group); the match is kept when absent.
    #[serde(default)]
    replace: Option<String>,
    /// `lower` or `upper`: the case of the whole name, when the pattern matches.
    #[serde(default)]
    case: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleCfg {
    severity: SeverityCfg,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum SeverityCfg {
    Error,
    Warning,
    Info,
    Off,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowCfg {
    rule: String,
    subject: Option<String>,
    related: Option<String>,
    reason: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WindowCfg {
    since: Option<Spanned<String>>,
    until: Option<Spanned<String>>,
}

/// What an access-log action means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Read,
    Write,
}

/// Which JSON keys of a log line hold which field, and how `action` values map to reads
/// and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldMap {
    pub ts: String,
    pub principal: String,
    pub action: String,
    pub resource: String,
    pub query: String,
    pub count: String,
    pub first_seen: String,
    pub last_seen: String,
    /// Action values (compared case-insensitively) and their meaning; `None` ignores the line.
    pub actions: BTreeMap<String, Option<Action>>,
}

impl Default for FieldMap {
    fn default() -> FieldMap {
        FieldMap {
            ts: "ts".into(),
            principal: "principal".into(),
            action: "action".into(),
            resource: "resource".into(),
            query: "query".into(),
            count: "count".into(),
            first_seen: "first_seen".into(),
            last_seen: "last_seen".into(),
            actions: BTreeMap::from([
                ("read".to_string(), Some(Action::Read)),
                ("write".to_string(), Some(Action::Write)),
            ]),
        }
    }
}

impl FieldMap {
    fn overridden(&self, fields: &FieldsCfg, actions: &BTreeMap<String, ActionCfg>) -> FieldMap {
        let pick =
            |over: &Option<String>, base: &String| over.clone().unwrap_or_else(|| base.clone());
        let mut map = FieldMap {
            ts: pick(&fields.ts, &self.ts),
            principal: pick(&fields.principal, &self.principal),
            action: pick(&fields.action, &self.action),
            resource: pick(&fields.resource, &self.resource),
            query: pick(&fields.query, &self.query),
            count: pick(&fields.count, &self.count),
            first_seen: pick(&fields.first_seen, &self.first_seen),
            last_seen: pick(&fields.last_seen, &self.last_seen),
            actions: self.actions.clone(),
        };
        for (value, meaning) in actions {
            let meaning = match meaning {
                ActionCfg::Read => Some(Action::Read),
                ActionCfg::Write => Some(Action::Write),
                ActionCfg::Ignore => None,
            };
            map.actions.insert(value.to_lowercase(), meaning);
        }
        map
    }

    /// What an action value means: `Err` when it is unknown, `Ok(None)` when it is ignored.
    pub fn action(&self, value: &str) -> Result<Option<Action>, UnknownAction> {
        if let Some(meaning) = self.actions.get(value) {
            return Ok(*meaning);
        }
        self.actions
            .get(&value.to_lowercase())
            .copied()
            .ok_or(UnknownAction)
    }
}

/// An action value the field mapping does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownAction;

/// A `[[sources]]` entry: a path glob under the root and the format of what it matches.
#[derive(Debug, Clone)]
pub struct SourceSpec {
    pub glob: globset::GlobMatcher,
    pub pattern: String,
    pub format: SourceFormat,
    pub fields: FieldMap,
    pub line: usize,
    /// For `format = "regex"`.
    pub line_format: Option<crate::ingest::regex_log::LineFormat>,
}

#[derive(Debug, Clone)]
pub struct ConfigIdentity {
    pub principal: StarGlob,
    pub entity: NodeId,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Normalization {
    pub pattern: Regex,
    pub replace: Option<String>,
    /// Fold the whole name to lower case (`Some(true)`) or upper case (`Some(false)`).
    pub lowercase: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct AllowEntry {
    pub code: &'static str,
    pub subject: Option<StarGlob>,
    pub related: Option<StarGlob>,
    pub reason: String,
    pub line: usize,
}

/// Everything that steers a run, validated.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `lintage.toml` as shown to users, when there is one.
    pub config_file: Option<String>,
    pub exclude: Option<globset::GlobSet>,
    pub sources: Vec<SourceSpec>,
    /// `[logs] sql_dialect`: tried first for SQL in logs.
    pub sql_dialect: Option<crate::ingest::sql::SqlDialect>,
    pub fields: FieldMap,
    pub identities: Vec<ConfigIdentity>,
    pub normalize: Vec<Normalization>,
    /// Severity overrides by rule code; `None` turns the rule off.
    pub severities: BTreeMap<&'static str, Option<Severity>>,
    pub allow: Vec<AllowEntry>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

/// A configuration error, located in `lintage.toml`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl Settings {
    /// Reads `lintage.toml` at the root, or the defaults when there is none.
    pub fn load(root: &Path) -> Result<Settings, ConfigError> {
        let path = root.join(CONFIG_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Settings::parse(&path.display().to_string(), &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(e) => Err(ConfigError {
                file: path.display().to_string(),
                line: 0,
                message: format!("cannot read: {e}"),
            }),
        }
    }

    pub fn parse(file: &str, text: &str) -> Result<Settings, ConfigError> {
        let lines = LineIndex::new(text);
        let err = |line: usize, message: String| ConfigError {
            file: file.to_string(),
            line,
            message,
        };
        let at = |span: std::ops::Range<usize>| lines.line_of(span.start);
        let cfg: ConfigFile = toml::from_str(text).map_err(|e| {
            err(
                e.span().map_or(1, |s| lines.line_of(s.start)),
                e.message().trim().replace('\n', " "),
            )
        })?;

        let mut settings = Settings {
            config_file: Some(file.to_string()),
            ..Settings::default()
        };
        settings.fields = FieldMap::default().overridden(&cfg.logs.fields, &cfg.logs.actions);
        if let Some(name) = &cfg.logs.sql_dialect {
            let line = at(name.span());
            let dialect =
                crate::ingest::sql::SqlDialect::parse_name(name.get_ref()).ok_or_else(|| {
                    err(
                        line,
                        format!(
                            "logs.sql_dialect: unknown dialect `{}`; use one of {}",
                            name.get_ref(),
                            crate::ingest::sql::SqlDialect::NAMES.join(", ")
                        ),
                    )
                })?;
            settings.sql_dialect = Some(dialect);
        }

        if !cfg.discovery.exclude.is_empty() {
            let mut builder = globset::GlobSetBuilder::new();
            for pattern in &cfg.discovery.exclude {
                let line = at(pattern.span());
                let pattern = pattern.get_ref();
                let glob = globset::Glob::new(pattern).map_err(|e| {
                    err(
                        line,
                        format!("discovery.exclude: bad glob `{pattern}`: {e}"),
                    )
                })?;
                builder.add(glob);
            }
            settings.exclude = Some(builder.build().map_err(|e| err(1, e.to_string()))?);
        }

        for source in &cfg.sources {
            let line = at(source.span());
            let source = source.get_ref();
            let glob = globset::Glob::new(&source.path)
                .map_err(|e| err(line, format!("bad path glob `{}`: {e}", source.path)))?;
            let fields = settings.fields.overridden(
                &source.fields.clone().unwrap_or_default(),
                &source.actions.clone().unwrap_or_default(),
            );
            let line_format = match (source.format, &source.regex) {
                (SourceFormat::Regex, Some(pattern)) => {
                    use crate::ingest::regex_log::{CAPTURES, LineFormat, TimeFormat};
                    let regex = regex::Regex::new(pattern)
                        .map_err(|e| err(line, format!("sources: bad regex: {e}")))?;
                    let names: Vec<&str> = regex.capture_names().flatten().collect();
                    if let Some(missing) = CAPTURES.iter().find(|c| !names.contains(c)) {
                        return Err(err(
                            line,
                            format!(
                                "sources: the regex has no named capture `(?P<{missing}>...)`; it needs principal, action, resource and ts"
                            ),
                        ));
                    }
                    let name = source.time_format.as_deref().unwrap_or("rfc3339");
                    let time = TimeFormat::parse_name(name).ok_or_else(|| {
                        err(
                            line,
                            format!(
                                "sources: time_format must be rfc3339, epoch_seconds, epoch_millis or clf, found `{name}`"
                            ),
                        )
                    })?;
                    Some(LineFormat { regex, time })
                }
                (SourceFormat::Regex, None) => {
                    return Err(err(
                        line,
                        "sources: format = \"regex\" needs `regex`, a pattern with named captures principal, action, resource and ts".into(),
                    ));
                }
                _ if source.time_format.is_some() || source.regex.is_some() => {
                    return Err(err(
                        line,
                        "sources: `regex` and `time_format` go with format = \"regex\" only".into(),
                    ));
                }
                _ => None,
            };
            settings.sources.push(SourceSpec {
                glob: glob.compile_matcher(),
                pattern: source.path.clone(),
                format: source.format,
                fields,
                line,
                line_format,
            });
        }

        for identity in &cfg.identities {
            let line = at(identity.span());
            let identity = identity.get_ref();
            let entity = NodeId::parse(&identity.entity)
                .filter(|id| id.kind().is_entity())
                .ok_or_else(|| {
                    err(
                        line,
                        format!(
                            "identities: entity must be `model:NAME`, `job:NAME` or `service:NAME`, found `{}`",
                            identity.entity
                        ),
                    )
                })?;
            settings.identities.push(ConfigIdentity {
                principal: StarGlob::new(&identity.principal),
                entity,
                line,
            });
        }

        for rule in &cfg.normalize {
            let line = at(rule.span());
            let rule = rule.get_ref();
            let pattern = Regex::new(&rule.pattern)
                .map_err(|e| err(line, format!("normalize: bad pattern: {e}")))?;
            let lowercase = match rule.case.as_deref() {
                None => None,
                Some("lower") => Some(true),
                Some("upper") => Some(false),
                Some(other) => {
                    return Err(err(
                        line,
                        format!("normalize: case must be `lower` or `upper`, found `{other}`"),
                    ));
                }
            };
            if rule.replace.is_none() && lowercase.is_none() {
                return Err(err(
                    line,
                    "normalize: give `replace` (the rewrite of each match), `case` (lower or upper), or both".into(),
                ));
            }
            settings.normalize.push(Normalization {
                pattern,
                replace: rule.replace.clone(),
                lowercase,
            });
        }

        for (key, rule) in &cfg.rules {
            let line = at(key.span());
            let code = rules::lookup(key.get_ref())
                .map(|r| r.code)
                .ok_or_else(|| err(line, format!("rules: unknown rule `{}`", key.get_ref())))?;
            let severity = match rule.severity {
                SeverityCfg::Error => Some(Severity::Error),
                SeverityCfg::Warning => Some(Severity::Warning),
                SeverityCfg::Info => Some(Severity::Info),
                SeverityCfg::Off => None,
            };
            settings.severities.insert(code, severity);
        }

        for entry in &cfg.allow {
            let line = at(entry.span());
            let entry = entry.get_ref();
            let code = rules::lookup(&entry.rule)
                .map(|r| r.code)
                .ok_or_else(|| err(line, format!("allow: unknown rule `{}`", entry.rule)))?;
            if entry.reason.trim().is_empty() {
                return Err(err(
                    line,
                    "allow: `reason` must say why the finding is accepted".into(),
                ));
            }
            settings.allow.push(AllowEntry {
                code,
                subject: entry.subject.as_deref().map(StarGlob::new),
                related: entry.related.as_deref().map(StarGlob::new),
                reason: entry.reason.clone(),
                line,
            });
        }

        let bound = |text: &Option<Spanned<String>>,
                     key: &str|
         -> Result<Option<Timestamp>, ConfigError> {
            text.as_ref()
                .map(|t| {
                    let line = at(t.span());
                    let t = t.get_ref();
                    Timestamp::parse_bound(t).ok_or_else(|| {
                        err(
                            line,
                            format!("window.{key}: `{t}` is not an RFC 3339 date-time or YYYY-MM-DD date"),
                        )
                    })
                })
                .transpose()
        };
        settings.since = bound(&cfg.window.since, "since")?;
        settings.until = bound(&cfg.window.until, "until")?;
        Ok(settings)
    }

    /// The time window log records must fall in.
    pub fn window(&self) -> crate::time::Window {
        crate::time::Window {
            since: self.since,
            until: self.until,
        }
    }

    /// Applies the configured resource-normalization rules, in order, to a dataset name.
    pub fn normalize_resource(&self, name: &str) -> String {
        let mut name = name.trim().to_string();
        for rule in &self.normalize {
            if !rule.pattern.is_match(&name) {
                continue;
            }
            if let Some(replace) = &rule.replace
                && let std::borrow::Cow::Owned(replaced) =
                    rule.pattern.replace_all(&name, replace.as_str())
            {
                name = replaced;
            }
            match rule.lowercase {
                Some(true) => name = name.to_lowercase(),
                Some(false) => name = name.to_uppercase(),
                None => {}
            }
        }
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_section() {
        let text = r#"
[discovery]
exclude = ["old/**"]

[[sources]]
path = "audit/*.json"
format = "ndjson"
fields = { principal = "user" }

[logs.fields]
principal = "user"
resource = "table"
action = "op"

[logs.actions]
SELECT = "read"
INSERT = "write"

[[identities]]
principal = "svc:legacy-*"
entity = "job:legacy-batch"

[[normalize]]
pattern = '/dt=[^/]+$'
replace = ""

[rules.LT006]
severity = "warning"

[rules.unknown-principal]
severity = "off"

[[allow]]
rule = "LT001"
subject = "model:fraud-*"
reason = "approved"

[window]
since = "2026-11-01"
"#;
        let s = Settings::parse("lintage.toml", text).unwrap_or_default();
        assert_eq!(s.fields.principal, "user");
        assert_eq!(s.fields.action("select"), Ok(Some(Action::Read)));
        assert_eq!(s.fields.action("INSERT"), Ok(Some(Action::Write)));
        assert_eq!(s.fields.action("DROP"), Err(UnknownAction));
        assert_eq!(s.identities[0].entity.as_str(), "job:legacy-batch");
        assert_eq!(s.severities.get("LT006"), Some(&Some(Severity::Warning)));
        assert_eq!(s.severities.get("LT007"), Some(&None));
        assert_eq!(s.allow[0].line, 33);
        assert_eq!(s.normalize_resource("s3://b/t/dt=2026-11-01"), "s3://b/t");
        assert!(s.since.is_some());
        assert_eq!(s.sources[0].fields.principal, "user");
    }

    #[test]
    fn unknown_keys_are_errors_with_lines() {
        let e = Settings::parse("lintage.toml", "[logs]\nfields = {}\ncolour = 1\n").err();
        assert_eq!(e.as_ref().map(|e| e.line), Some(3));
        assert!(e.is_some_and(|e| e.message.contains("colour")));
        let e = Settings::parse("lintage.toml", "\n[rules.LT999]\nseverity = \"error\"\n").err();
        assert_eq!(e.map(|e| e.line), Some(2));
        let e = Settings::parse("lintage.toml", "[[allow]]\nrule = \"LT001\"\n").err();
        assert!(e.is_some_and(|e| e.message.contains("reason")));
    }
}
