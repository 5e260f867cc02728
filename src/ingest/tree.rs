//! A small document tree with line numbers, built from YAML, JSON or TOML, so that manifest
//! and configuration errors can name the line of the offending key.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

/// A value and the 1-based line where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    pub line: usize,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// Integers and floats keep their text: manifests only ever want them as strings.
    Number(String),
    Str(String),
    Seq(Vec<Tree>),
    Map(Vec<(Tree, Tree)>),
    /// Aliases, bad values and other things a manifest never needs.
    Other,
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
            Value::Other => "an unsupported value",
        }
    }
}

impl Tree {
    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Tree> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// A syntax error: the line it was found on and what the parser said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub message: String,
}

// Deeper documents are refused rather than risking the stack.
const MAX_DEPTH: usize = 64;

/// Parses a YAML stream (JSON is valid YAML) into one tree per document.
pub fn parse_yaml(text: &str) -> Result<Vec<Tree>, SyntaxError> {
    let docs = MarkedYaml::load_from_str(text).map_err(|e| SyntaxError {
        line: e.marker().line(),
        message: e.info().to_string(),
    })?;
    docs.iter().map(|doc| from_yaml(doc, 0)).collect()
}

fn from_yaml(node: &MarkedYaml<'_>, depth: usize) -> Result<Tree, SyntaxError> {
    let line = node.span.start.line();
    if depth > MAX_DEPTH {
        return Err(SyntaxError {
            line,
            message: format!("nested more than {MAX_DEPTH} levels deep"),
        });
    }
    let value = match &node.data {
        YamlData::Value(scalar) => from_scalar(scalar),
        YamlData::Representation(text, style, tag) => {
            match Scalar::parse_from_cow_and_metadata(text.clone(), *style, tag.as_ref()) {
                Some(scalar) => from_scalar(&scalar),
                None => Value::Other,
            }
        }
        YamlData::Sequence(items) => Value::Seq(
            items
                .iter()
                .map(|item| from_yaml(item, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        YamlData::Mapping(map) => Value::Map(
            map.iter()
                .map(|(k, v)| Ok((from_yaml(k, depth + 1)?, from_yaml(v, depth + 1)?)))
                .collect::<Result<_, SyntaxError>>()?,
        ),
        YamlData::Tagged(_, inner) => return from_yaml(inner, depth + 1),
        YamlData::Alias(_) | YamlData::BadValue => Value::Other,
    };
    Ok(Tree { line, value })
}

fn from_scalar(scalar: &Scalar<'_>) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Number(i.to_string()),
        Scalar::FloatingPoint(f) => Value::Number(f.to_string()),
        Scalar::String(s) => Value::Str(s.to_string()),
    }
}

/// Parses a TOML document into a tree.
pub fn parse_toml(text: &str) -> Result<Tree, SyntaxError> {
    let lines = LineIndex::new(text);
    let table = toml::de::DeTable::parse(text).map_err(|e| SyntaxError {
        line: e.span().map_or(1, |span| lines.line_of(span.start)),
        message: e.message().trim().to_string(),
    })?;
    Ok(Tree {
        line: 1,
        value: from_toml_table(table.get_ref(), &lines),
    })
}

fn from_toml_table(table: &toml::de::DeTable<'_>, lines: &LineIndex) -> Value {
    Value::Map(
        table
            .iter()
            .map(|(k, v)| {
                let key = Tree {
                    line: lines.line_of(k.span().start),
                    value: Value::Str(k.get_ref().to_string()),
                };
                (key, from_toml(v, lines))
            })
            .collect(),
    )
}

fn from_toml(node: &toml::Spanned<toml::de::DeValue<'_>>, lines: &LineIndex) -> Tree {
    use toml::de::DeValue;
    let value = match node.get_ref() {
        DeValue::String(s) => Value::Str(s.to_string()),
        DeValue::Integer(i) => Value::Number(i.as_str().to_string()),
        DeValue::Float(f) => Value::Number(f.as_str().to_string()),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::Str(d.to_string()),
        DeValue::Array(items) => Value::Seq(items.iter().map(|i| from_toml(i, lines)).collect()),
        DeValue::Table(table) => from_toml_table(table, lines),
    };
    Tree {
        line: lines.line_of(node.span().start),
        value,
    }
}

/// Turns byte offsets into 1-based line numbers.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_streams_keep_lines() {
        let docs =
            parse_yaml("kind: model\nname: a\n---\nkind: job\nname: b\ninputs:\n  - x\n  - y\n")
                .unwrap_or_default();
        assert_eq!(docs.len(), 2);
        let inputs = docs[1].get("inputs").map(|t| &t.value);
        let Some(Value::Seq(items)) = inputs else {
            panic!("inputs is not a list: {inputs:?}");
        };
        assert_eq!(items.iter().map(|i| i.line).collect::<Vec<_>>(), vec![7, 8]);
        assert_eq!(docs[1].get("name").map(|t| t.line), Some(5));
    }

    #[test]
    fn json_is_read_as_yaml() {
        let docs = parse_yaml("{\n \"kind\": \"model\",\n \"name\": \"caf\\u00e9\"\n}\n")
            .unwrap_or_default();
        assert_eq!(docs[0].get("name").and_then(Tree::as_str), Some("café"));
        assert_eq!(docs[0].get("name").map(|t| t.line), Some(3));
    }

    #[test]
    fn yaml_numbers_keep_text() {
        let docs = parse_yaml("version: 3\nother: 3.10\n").unwrap_or_default();
        assert_eq!(
            docs[0].get("version").map(|t| &t.value),
            Some(&Value::Number("3".into()))
        );
    }

    #[test]
    fn yaml_errors_have_lines() {
        let err = parse_yaml("kind: model\nname: [a\n").err();
        assert!(err.is_some_and(|e| e.line >= 2));
    }

    #[test]
    fn toml_keeps_lines() {
        let tree =
            parse_toml("kind = \"model\"\nname = \"a\"\ninputs = [\n  \"x\",\n  \"y\",\n]\n");
        let tree = tree.ok();
        let inputs = tree.as_ref().and_then(|t| t.get("inputs"));
        let Some(Value::Seq(items)) = inputs.map(|t| &t.value) else {
            panic!("no inputs");
        };
        assert_eq!(items.iter().map(|i| i.line).collect::<Vec<_>>(), vec![4, 5]);
        let err = parse_toml("a = 1\nb = = 2\n").err();
        assert_eq!(err.map(|e| e.line), Some(2));
    }
}
