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
///
/// A long stream of many documents (a thousand manifests in one file) is parsed in two halves
/// on two threads, split at a document marker near the middle. YAML forbids a line that
/// starts with `---` and a space (or nothing) inside any scalar, so such a line always begins
/// a document and the halves hold the same documents the whole does. When either half fails,
/// the whole is parsed again, so that an error is the one a single pass reports.
pub fn parse_yaml(text: &str) -> Result<Vec<Tree>, SyntaxError> {
    if let Some(split) = halfway_marker(text) {
        let (first, second) = text.split_at(split);
        let lines_before = first.bytes().filter(|&b| b == b'\n').count();
        let (first, second) = std::thread::scope(|scope| {
            let second = scope.spawn(|| parse_stream(second, lines_before));
            (parse_stream(first, 0), second.join())
        });
        if let (Ok(mut docs), Ok(Ok(rest))) = (first, second) {
            docs.extend(rest);
            return Ok(docs);
        }
    }
    parse_stream(text, 0)
}

/// Streams shorter than this are parsed in one piece: a thread costs more than it saves.
const SPLIT_BYTES: usize = 64 * 1024;

/// Where the line of the document marker nearest the middle of `text` starts, when `text` is
/// long enough to split and has no directives (`%YAML`, `%TAG`: they belong to the document
/// after them, and are left to a single pass).
fn halfway_marker(text: &str) -> Option<usize> {
    if text.len() < SPLIT_BYTES || text.starts_with('%') || text.contains("\n%") {
        return None;
    }
    let bytes = text.as_bytes();
    let is_marker = |at: usize| {
        bytes[at..].starts_with(b"---")
            && bytes
                .get(at + 3)
                .is_none_or(|&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    };
    let middle = text.len() / 2;
    let after = memchr::memmem::find_iter(&bytes[middle..], b"\n---")
        .map(|at| middle + at + 1)
        .find(|&at| is_marker(at));
    let before = || {
        memchr::memmem::rfind_iter(&bytes[..middle], b"\n---")
            .map(|at| at + 1)
            .find(|&at| is_marker(at))
    };
    after.or_else(before).filter(|&at| at > 0)
}

/// Parses one YAML stream whose first line is line `lines_before + 1` of its file.
fn parse_stream(text: &str, lines_before: usize) -> Result<Vec<Tree>, SyntaxError> {
    let docs = MarkedYaml::load_from_str(text).map_err(|e| SyntaxError {
        line: e.marker().line() + lines_before,
        message: e.info().to_string(),
    })?;
    docs.iter()
        .map(|doc| from_yaml(doc, 0, lines_before))
        .collect()
}

fn from_yaml(
    node: &MarkedYaml<'_>,
    depth: usize,
    lines_before: usize,
) -> Result<Tree, SyntaxError> {
    let line = node.span.start.line() + lines_before;
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
                .map(|item| from_yaml(item, depth + 1, lines_before))
                .collect::<Result<_, _>>()?,
        ),
        YamlData::Mapping(map) => Value::Map(
            map.iter()
                .map(|(k, v)| {
                    Ok((
                        from_yaml(k, depth + 1, lines_before)?,
                        from_yaml(v, depth + 1, lines_before)?,
                    ))
                })
                .collect::<Result<_, SyntaxError>>()?,
        ),
        YamlData::Tagged(_, inner) => return from_yaml(inner, depth + 1, lines_before),
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

    /// Documents of every shape a split could cut wrongly: block scalars holding indented
    /// `---`, multi-line quoted and plain scalars, flow collections over lines, comments,
    /// anchors, empty documents, `...` ends and markers with content after them.
    fn many_documents(count: usize) -> String {
        let shapes = [
            "kind: model\nname: m{i}\ninputs: [a{i}, b{i}]\n",
            "kind: job\nname: j{i}\nnote: |\n  line one\n  --- not a marker\n  line three\n",
            "kind: job\nname: q{i}\ntext: \"a quoted\n  string over lines\"\n",
            "# a comment\nkind: service\nname: s{i}\nlist:\n  - x\n  - {k: v, w: [1,\n    2]}\n",
            "kind: model\nname: a{i}\nbase: &b b{i}\nalias: *b\n...\n",
            "",
            "kind: job\nname: p{i}\nplain: one\n  two\n  three\n",
        ];
        let mut text = String::new();
        for i in 0..count {
            let shape = shapes[i % shapes.len()].replace("{i}", &i.to_string());
            text.push_str(if i % 5 == 0 { "--- \n" } else { "---\n" });
            text.push_str(&shape);
        }
        text
    }

    #[test]
    fn a_long_stream_parses_in_halves_as_it_does_whole() {
        let text = many_documents(3_000);
        let split = halfway_marker(&text).unwrap_or_else(|| panic!("no marker found"));
        assert!(
            split > text.len() / 3 && split < text.len() * 2 / 3,
            "{split}"
        );
        let whole = parse_stream(&text, 0).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(parse_yaml(&text), Ok(whole.clone()));
        assert_eq!(whole.len(), 3_000);
        // Line numbers run on through the second half.
        let last = whole.last().map_or(0, |doc| doc.line);
        let lines: Vec<&str> = text.lines().collect();
        let last_kind = lines.iter().rposition(|l| l.starts_with("kind:"));
        assert_eq!(Some(last), last_kind.map(|index| index + 1));

        // An error in either half is the error of one pass over the whole.
        for at in [text.len() / 4, text.len() * 3 / 4] {
            let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
            let mut broken = text.clone();
            broken.insert_str(line_start, "key: [unclosed\n");
            let expected = parse_stream(&broken, 0);
            assert!(expected.is_err());
            assert_eq!(parse_yaml(&broken), expected);
        }
    }

    #[test]
    fn short_streams_and_directives_are_parsed_in_one_piece() {
        assert_eq!(halfway_marker(&many_documents(10)), None);
        let long = many_documents(3_000);
        assert_eq!(halfway_marker(&format!("%YAML 1.2\n{long}")), None);
        assert_eq!(
            halfway_marker(&format!("{long}%TAG ! tag:x,2026:\n---\na: 1\n")),
            None
        );
        assert_eq!(halfway_marker(&"a: 1\n".repeat(20_000)), None);
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
