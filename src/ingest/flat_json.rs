//! A fast path for the flat JSON objects of native access logs: one pass over the line that
//! picks out the mapped fields as strings borrowed from the line, with no allocation.
//!
//! It handles the shape logs nearly always have: an object whose keys carry no escapes, whose
//! wanted fields are strings without escapes, whole numbers or `null`, and whose other fields
//! may be anything (nested objects and arrays are skipped, strings in them included). Anything
//! else — an escape in a key or a wanted string, a wanted field of the wrong type, a count that
//! is not a plain whole number, a line that is not valid JSON — returns [`Fallback`], and the
//! caller parses the line with [`super::ndjson::parse_line`] instead. Whatever it accepts,
//! `parse_line` accepts with the same fields (the tests check this on hundreds of thousands of
//! generated and mutated lines), so error messages and edge cases stay serde_json's.
//!
//! Where serde_json is lenient it is matched rather than tightened, so both paths agree on
//! which lines are malformed: strings inside ignored fields are checked for escapes and control
//! characters but not for UTF-8 (serde_json's `IgnoredAny` does the same); keys and wanted
//! strings are checked for UTF-8. A key repeated keeps its last value, as in `parse_line`.

use std::borrow::Cow;

use super::edges::same_bytes;
use super::ndjson::RawRecord;
use crate::config::FieldMap;

/// The line needs the full parser: it has something the fast path does not handle, or it is
/// not valid JSON. It says nothing about which; `parse_line` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fallback;

type Step<T> = Result<T, Fallback>;

/// Deepest nesting skipped in an ignored value; deeper values fall back.
const MAX_DEPTH: u32 = 64;

/// Parses one line (without its line break) into the fields `fields` names, borrowed from the
/// line, or says that the line needs `parse_line`.
pub fn parse_record<'a>(line: &'a [u8], fields: &FieldMap) -> Step<RawRecord<'a>> {
    let mut record = RawRecord::default();
    parse_into(line, fields, &mut record)?;
    Ok(record)
}

/// `parse_record` into a record the caller holds, which should start empty: a record is
/// large, and returning it by value moved it a few times a line.
pub fn parse_into<'a>(line: &'a [u8], fields: &FieldMap, record: &mut RawRecord<'a>) -> Step<()> {
    let keys = Keys::new(fields);
    // One check of the whole line is cheaper than one per value; a line that is not UTF-8
    // throughout (serde_json lets ignored strings be anything) is left to serde_json.
    let text = std::str::from_utf8(line).map_err(|_| Fallback)?;
    let mut p = Cursor { b: line, i: 0 };
    p.skip_ws();
    p.expect(b'{')?;
    p.skip_ws();
    if p.peek() == Some(b'}') {
        p.i += 1;
    } else {
        loop {
            p.expect(b'"')?;
            let key = p.plain_string()?;
            p.skip_ws();
            p.expect(b':')?;
            p.skip_ws();
            match keys.slot(key) {
                Some(Slot::Text(n)) => {
                    let value = match p.peek() {
                        Some(b'"') => {
                            p.i += 1;
                            Some(Cow::Borrowed(p.plain_str(text)?))
                        }
                        Some(b'n') => {
                            p.literal(b"null")?;
                            None
                        }
                        _ => return Err(Fallback),
                    };
                    *record_text(record, n) = value;
                }
                Some(Slot::Count) => {
                    record.count = match p.peek() {
                        Some(b'n') => {
                            p.literal(b"null")?;
                            None
                        }
                        Some(b'0'..=b'9') => Some(p.whole_number()?),
                        _ => return Err(Fallback),
                    };
                }
                None => p.skip_value()?,
            }
            p.skip_ws();
            match p.peek() {
                Some(b',') => {
                    p.i += 1;
                    p.skip_ws();
                }
                Some(b'}') => {
                    p.i += 1;
                    break;
                }
                _ => return Err(Fallback),
            }
        }
    }
    p.skip_ws();
    if p.i == line.len() {
        Ok(())
    } else {
        Err(Fallback)
    }
}

/// Which field of the record a key fills.
#[derive(Clone, Copy)]
enum Slot {
    /// Index into [`Keys::text`] and [`record_text`].
    Text(usize),
    Count,
}

/// The mapped key names, in the order `parse_line` compares them (the first match wins when
/// two fields are mapped to the same key).
struct Keys<'f> {
    text: [&'f [u8]; 7],
    count: &'f [u8],
}

impl<'f> Keys<'f> {
    fn new(f: &'f FieldMap) -> Keys<'f> {
        Keys {
            text: [
                f.ts.as_bytes(),
                f.principal.as_bytes(),
                f.action.as_bytes(),
                f.resource.as_bytes(),
                f.query.as_bytes(),
                f.first_seen.as_bytes(),
                f.last_seen.as_bytes(),
            ],
            count: f.count.as_bytes(),
        }
    }

    #[inline]
    fn slot(&self, key: &[u8]) -> Option<Slot> {
        if let Some(n) = self.text.iter().position(|name| same_bytes(name, key)) {
            Some(Slot::Text(n))
        } else if same_bytes(self.count, key) {
            Some(Slot::Count)
        } else {
            None
        }
    }
}

fn record_text<'r, 'a>(record: &'r mut RawRecord<'a>, n: usize) -> &'r mut Option<Cow<'a, str>> {
    match n {
        0 => &mut record.ts,
        1 => &mut record.principal,
        2 => &mut record.action,
        3 => &mut record.resource,
        4 => &mut record.query,
        5 => &mut record.first_seen,
        _ => &mut record.last_seen,
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// JSON whitespace only (not form feed or vertical tab, which serde_json rejects).
    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    #[inline]
    fn expect(&mut self, byte: u8) -> Step<()> {
        if self.peek() == Some(byte) {
            self.i += 1;
            Ok(())
        } else {
            Err(Fallback)
        }
    }

    #[inline]
    fn literal(&mut self, word: &[u8]) -> Step<()> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(Fallback)
        }
    }

    /// The rest of a string whose opening quote has been read, when it has no escapes and no
    /// control characters; its bytes are not yet checked to be UTF-8.
    #[inline]
    fn plain_string(&mut self) -> Step<&'a [u8]> {
        let start = self.i;
        let end = find_special(self.b, start);
        if self.b.get(end) == Some(&b'"') {
            self.i = end + 1;
            Ok(&self.b[start..end])
        } else {
            Err(Fallback)
        }
    }

    /// `plain_string` as a slice of `text`, the line as already checked UTF-8.
    #[inline]
    fn plain_str(&mut self, text: &'a str) -> Step<&'a str> {
        let start = self.i;
        let length = self.plain_string()?.len();
        text.get(start..start + length).ok_or(Fallback)
    }

    /// The rest of an ignored string: escapes are checked like serde_json's `IgnoredAny` does
    /// (a known letter, or `u` and four hex digits), UTF-8 is not.
    fn skip_string(&mut self) -> Step<()> {
        loop {
            let at = find_special(self.b, self.i);
            match self.b.get(at) {
                Some(b'"') => {
                    self.i = at + 1;
                    return Ok(());
                }
                Some(b'\\') => match self.b.get(at + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                        self.i = at + 2;
                    }
                    Some(b'u') => {
                        let hex = self.b.get(at + 2..at + 6).ok_or(Fallback)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return Err(Fallback);
                        }
                        self.i = at + 6;
                    }
                    _ => return Err(Fallback),
                },
                _ => return Err(Fallback),
            }
        }
    }

    /// A whole number that fits `u64`, without sign, fraction or exponent (those, and leading
    /// zeros, make the line fall back; the caller's check of what follows catches them).
    #[inline]
    fn whole_number(&mut self) -> Step<u64> {
        let start = self.i;
        let mut value: u64 = 0;
        while let Some(digit @ b'0'..=b'9') = self.peek() {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(digit - b'0')))
                .ok_or(Fallback)?;
            self.i += 1;
        }
        if self.b[start] == b'0' && self.i - start > 1 {
            return Err(Fallback);
        }
        Ok(value)
    }

    /// A number by JSON's grammar, as serde_json checks it when ignoring one.
    fn skip_number(&mut self) -> Step<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.i += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(Fallback);
                }
            }
            Some(b'1'..=b'9') => self.skip_digits(),
            _ => return Err(Fallback),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.at_least_one_digit()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            self.at_least_one_digit()?;
        }
        Ok(())
    }

    #[inline]
    fn skip_digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
    }

    fn at_least_one_digit(&mut self) -> Step<()> {
        let start = self.i;
        self.skip_digits();
        if self.i > start {
            Ok(())
        } else {
            Err(Fallback)
        }
    }

    /// Skips any JSON value, checking it as strictly as serde_json's `IgnoredAny`.
    fn skip_value(&mut self) -> Step<()> {
        // One bit a level of nesting, set for an object, clear for an array.
        let mut stack: u64 = 0;
        let mut depth: u32 = 0;
        loop {
            // A value is expected here.
            match self.peek().ok_or(Fallback)? {
                open @ (b'{' | b'[') => {
                    self.i += 1;
                    if depth == MAX_DEPTH {
                        return Err(Fallback);
                    }
                    let object = open == b'{';
                    stack = (stack << 1) | u64::from(object);
                    depth += 1;
                    self.skip_ws();
                    let close = if object { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.i += 1;
                        stack >>= 1;
                        depth -= 1;
                    } else {
                        if object {
                            self.nested_key()?;
                        }
                        continue;
                    }
                }
                b'"' => {
                    self.i += 1;
                    self.skip_string()?;
                }
                b'-' | b'0'..=b'9' => self.skip_number()?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => return Err(Fallback),
            }
            // After a value: close levels until one goes on with a comma.
            loop {
                if depth == 0 {
                    return Ok(());
                }
                self.skip_ws();
                let object = stack & 1 == 1;
                match self.peek() {
                    Some(b',') => {
                        self.i += 1;
                        self.skip_ws();
                        if object {
                            self.nested_key()?;
                        }
                        break;
                    }
                    Some(b'}') if object => {}
                    Some(b']') if !object => {}
                    _ => return Err(Fallback),
                }
                self.i += 1;
                stack >>= 1;
                depth -= 1;
            }
        }
    }

    /// `"key" :` inside an ignored object, and the whitespace after it.
    fn nested_key(&mut self) -> Step<()> {
        self.expect(b'"')?;
        self.skip_string()?;
        self.skip_ws();
        self.expect(b':')?;
        self.skip_ws();
        Ok(())
    }
}

/// The index of the first `"`, `\` or control character (below 0x20) at or after `i`, or the
/// length of `b`. Eight bytes at a time: the lowest flagged byte of each test is exact (the
/// borrow of the subtraction can only flag bytes above a true match).
#[inline]
fn find_special(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const QUOTE: u64 = ONES * b'"' as u64;
    const BACKSLASH: u64 = ONES * b'\\' as u64;
    const SPACE: u64 = ONES * 0x20;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let q = w ^ QUOTE;
        let s = w ^ BACKSLASH;
        let hits = ((q.wrapping_sub(ONES) & !q)
            | (s.wrapping_sub(ONES) & !s)
            | (w.wrapping_sub(SPACE) & !w))
            & HIGH;
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::super::ndjson::parse_line;
    use super::*;

    fn fields_of<'r>(record: &'r RawRecord<'_>) -> [Option<&'r str>; 7] {
        [
            record.ts.as_deref(),
            record.principal.as_deref(),
            record.action.as_deref(),
            record.resource.as_deref(),
            record.query.as_deref(),
            record.first_seen.as_deref(),
            record.last_seen.as_deref(),
        ]
    }

    /// The property: whatever the fast path accepts, `parse_line` accepts with the same fields.
    /// Returns whether the fast path accepted.
    fn agrees(line: &[u8], fields: &FieldMap) -> bool {
        let Ok(fast) = parse_record(line, fields) else {
            return false;
        };
        match parse_line(line, fields) {
            Ok(slow) => {
                assert_eq!(
                    (fields_of(&fast), fast.count),
                    (fields_of(&slow), slow.count),
                    "different fields for {:?}",
                    String::from_utf8_lossy(line)
                );
                assert!(
                    fields_of(&fast)
                        .iter()
                        .flatten()
                        .all(|s| line.as_ptr_range().contains(&s.as_ptr()) || s.is_empty()),
                    "fields are borrowed from the line"
                );
            }
            Err(e) => panic!(
                "fast path accepts what serde_json rejects ({e}): {:?}",
                String::from_utf8_lossy(line)
            ),
        }
        true
    }

    fn accepts(line: &str) -> bool {
        agrees(line.as_bytes(), &FieldMap::default())
    }

    #[test]
    fn typical_lines_take_the_fast_path() {
        let line = br#"{"ts":"2026-11-15T06:04:16Z","principal":"svc:e515","action":"write","resource":"warehouse.t2060","bytes":172315}"#;
        let record = parse_record(line, &FieldMap::default()).unwrap_or_else(|_| panic!());
        assert_eq!(record.ts.as_deref(), Some("2026-11-15T06:04:16Z"));
        assert_eq!(record.principal.as_deref(), Some("svc:e515"));
        assert_eq!(record.resource.as_deref(), Some("warehouse.t2060"));
        assert!(matches!(record.action, Some(Cow::Borrowed("write"))));
        assert_eq!(record.count, None);
        for line in [
            r#"{"ts":"2026-11-15T06:04:16Z","principal":"svc:e515","action":"write","resource":"warehouse.t2060","bytes":172315}"#,
            r#"{"principal":"p","action":"read","resource":"agg","count":100,"first_seen":"2026-11-05T00:00:00Z","last_seen":"2026-11-12T00:00:00Z"}"#,
            r#" { "ts" : "t" , "principal" :	"p" } "#,
            "{\r\n\"ts\"\n:\t\"t\"}\n",
            r#"{}"#,
            r#"{ }"#,
            r#"{"ts":""}"#,
            r#"{"":"","ts":null,"count":null}"#,
            r#"{"principal":"ünïcødé ✓ 𝄞","resource":"表"}"#,
            r#"{"tś":"x","ts":"y"}"#,
            r#"{"count":0}"#,
            r#"{"count":18446744073709551615}"#,
            r#"{"bytes":-0,"a":1e5,"b":-1.5E-3,"c":0.0,"d":1E+2,"e":1e999,"f":-12345678901234567890123}"#,
            r#"{"job":{"a":[1,{"b":"c\"}"},[],{}],"d":"}]"},"tags":[],"x":[[[]]],"ts":"t"}"#,
            r#"{"note":"escapes \" \\ \/ \b \f \n \r \t \u00e9 \uD800 are fine when ignored"}"#,
            r#"{"ok":true,"no":false,"none":null}"#,
            r#"{"ts":"a","ts":"b"}"#,
            r#"{"ts":"a","ts":null}"#,
            r#"{"count":1,"count":2}"#,
            r#"{"count":5,"count":null}"#,
        ] {
            assert!(accepts(line), "fast path should take {line}");
        }
    }

    #[test]
    fn lines_that_are_not_utf8_are_left_to_serde_json() {
        let fields = FieldMap::default();
        // serde_json takes an ignored string that is not UTF-8; the fast path checks the
        // whole line at once, so it leaves such a line to serde_json.
        let line = b"{\"note\":\"\xff\xc3\",\"ts\":\"t\"}";
        assert!(!agrees(line, &fields));
        assert!(parse_line(line, &fields).is_ok_and(|r| r.ts.as_deref() == Some("t")));
        assert!(!agrees(b"{\"ts\":\"\xff\"}", &fields));
        assert!(!agrees(b"{\"\xff\":1}", &fields));
    }

    #[test]
    fn repeated_keys_keep_the_last_value() {
        let fields = FieldMap::default();
        let record = parse_record(br#"{"ts":"a","ts":"b","count":3,"count":4}"#, &fields);
        let record = record.unwrap_or_else(|_| panic!());
        assert_eq!((record.ts.as_deref(), record.count), (Some("b"), Some(4)));
        let record = parse_record(br#"{"ts":"a","ts":null}"#, &fields);
        assert!(record.is_ok_and(|r| r.ts.is_none()));
    }

    #[test]
    fn what_it_does_not_handle_falls_back() {
        for line in [
            // Escapes in wanted strings or in keys: parse_line unescapes them.
            r#"{"ts":"a\"b"}"#,
            r#"{"principal":"caf\u00e9"}"#,
            r#"{"t\u0073":"x"}"#,
            r#"{"a\"b":1}"#,
            // Wanted fields of other types: parse_line says why.
            r#"{"principal":7}"#,
            r#"{"principal":true}"#,
            r#"{"principal":["a"]}"#,
            r#"{"count":"5"}"#,
            r#"{"count":1.0}"#,
            r#"{"count":1e5}"#,
            r#"{"count":-1}"#,
            r#"{"count":-0}"#,
            r#"{"count":18446744073709551616}"#,
            r#"{"count":true}"#,
        ] {
            assert!(!accepts(line), "fast path should not take {line}");
        }
    }

    #[test]
    fn never_accepts_what_serde_json_rejects() {
        let fields = FieldMap::default();
        let bad: &[&[u8]] = &[
            b"",
            b" ",
            b"[1,2]",
            b"\"x\"",
            b"null",
            b"{",
            b"}",
            b"{\"ts\":\"a\"",
            b"{\"ts\":\"a\"}x",
            b"{\"ts\":\"a\"}{}",
            b"{\"ts\":\"a\",}",
            b"{,\"ts\":\"a\"}",
            b"{\"ts\":\"a\",,\"x\":1}",
            b"{\"ts\" \"a\"}",
            b"{\"ts\":}",
            b"{ts:\"a\"}",
            b"{'ts':'a'}",
            b"{\"ts\":\"a\"\"x\":1}",
            b"\xef\xbb\xbf{\"ts\":\"a\"}",
            b"{\"ts\":\"a\tb\"}",
            b"{\"x\":\"a\nb\"}",
            b"{\"ts\":\"\xff\"}",
            b"{\"\xc3\":1}",
            b"{\"x\":01}",
            b"{\"x\":1.}",
            b"{\"x\":.5}",
            b"{\"x\":1e}",
            b"{\"x\":1e+}",
            b"{\"x\":-}",
            b"{\"x\":+1}",
            b"{\"x\":0x10}",
            b"{\"x\":NaN}",
            b"{\"x\":Infinity}",
            b"{\"count\":01}",
            b"{\"count\":1x}",
            b"{\"x\":nul}",
            b"{\"x\":nulll}",
            b"{\"x\":True}",
            b"{\"ts\":nil}",
            b"{\"x\":[1,]}",
            b"{\"x\":[,1]}",
            b"{\"x\":[1 2]}",
            b"{\"x\":{\"a\":1,}}",
            b"{\"x\":{\"a\"}}",
            b"{\"x\":{1:2}}",
            b"{\"x\":[}",
            b"{\"x\":{]}",
            b"{\"x\":[[]}",
            b"{\"x\":\"\\x\"}",
            b"{\"x\":\"\\u12\"}",
            b"{\"x\":\"\\u12g4\"}",
            b"{\"x\":\"a\\\"}",
            b"{\"ts\":\"a\"}\x0c",
            b"\x0c{\"ts\":\"a\"}",
            b"{\"ts\":\"a\"}\0",
        ];
        for line in bad {
            assert!(
                parse_line(line, &fields).is_err(),
                "serde_json takes {line:?}"
            );
            assert_eq!(
                parse_record(line, &fields).err(),
                Some(Fallback),
                "{line:?}"
            );
        }
    }

    #[test]
    fn mapped_and_colliding_names_match_parse_line() {
        let mapped = FieldMap {
            principal: "user".into(),
            resource: "table".into(),
            action: "op".into(),
            count: "n".into(),
            ..FieldMap::default()
        };
        assert!(agrees(
            br#"{"user":"bob","op":"select","table":"t","n":3,"principal":"x"}"#,
            &mapped
        ));
        // Two fields on one key: the first in parse_line's order takes it.
        let colliding = FieldMap {
            count: "ts".into(),
            last_seen: "ts".into(),
            query: "principal".into(),
            ..FieldMap::default()
        };
        assert!(agrees(br#"{"ts":"t","principal":"p"}"#, &colliding));
        let record = parse_record(br#"{"ts":"t","principal":"p"}"#, &colliding);
        let record = record.unwrap_or_else(|_| panic!());
        assert_eq!((record.ts.as_deref(), record.last_seen), (Some("t"), None));
        assert_eq!(
            (record.principal.as_deref(), record.query),
            (Some("p"), None)
        );
    }

    #[test]
    fn deep_nesting_falls_back_not_overflows() {
        let deep = format!("{{\"x\":{}1{}}}", "[".repeat(70), "]".repeat(70));
        assert!(parse_record(deep.as_bytes(), &FieldMap::default()).is_err());
        let ok = format!("{{\"x\":{}1{}}}", "[".repeat(60), "]".repeat(60));
        assert!(accepts(&ok));
    }

    #[test]
    fn special_bytes_are_found_at_every_offset() {
        for len in 0..24 {
            for at in 0..=len {
                for special in [b'"', b'\\', 0u8, 0x1f] {
                    let mut bytes = vec![b'a'; len];
                    // Bytes that sit near the special ones must not be taken for them.
                    for (k, b) in bytes.iter_mut().enumerate() {
                        *b = [b'a', b'!', b'#', b'[', b']', b' ', 0x80, 0xff, 0x21][k % 9];
                    }
                    if at < len {
                        bytes[at] = special;
                    }
                    assert_eq!(find_special(&bytes, 0), at, "{bytes:?}");
                }
            }
        }
    }

    /// splitmix64: small, deterministic, good enough to drive a fuzzer.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn chance(&mut self, percent: u64) -> bool {
            self.next() % 100 < percent
        }

        fn pick<'s, T>(&mut self, items: &'s [T]) -> &'s T {
            &items[self.below(items.len())]
        }
    }

    /// Pieces a generated line is made of: mostly ones the fast path takes, then ones it
    /// leaves to `parse_line` (valid or not), then ones that are not JSON.
    struct Pieces {
        good: &'static [&'static str],
        other: &'static [&'static str],
    }

    impl Pieces {
        fn pick(&self, rng: &mut Rng, noise: u64) -> &'static str {
            let from = if rng.chance(noise) {
                self.other
            } else {
                self.good
            };
            from[rng.below(from.len())]
        }
    }

    const KEYS: Pieces = Pieces {
        good: &[
            "ts",
            "principal",
            "action",
            "resource",
            "query",
            "count",
            "first_seen",
            "last_seen",
            "user",
            "table",
            "n",
            "bytes",
            "job",
            "",
            "tś",
            "ts ",
            "TS",
        ],
        other: &["t\\u0073", "a\\\"b", "\\n", "a\tb", "\u{1}", "\u{7f}"],
    };

    const STRINGS: Pieces = Pieces {
        good: &[
            "",
            "svc:e515",
            "2026-11-15T06:04:16Z",
            "warehouse.t2060",
            "read",
            "write",
            "SELECT * FROM a JOIN b ON true",
            "ünïcødé ✓ 𝄞",
            "表",
            "}],{[:",
            "    padded    ",
            "del\u{7f}",
            "a string long enough to cross several eight-byte words of the scanner",
        ],
        other: &[
            "a\\\"b",
            "a\\\\b",
            "\\/",
            "\\u00e9",
            "\\uD834\\uDD1E",
            "\\uD800",
            "\\uDC00x",
            "\\u12",
            "\\x",
            "\\",
            "tab\there",
            "nl\nhere",
            "bell\u{7}",
        ],
    };

    const NUMBERS: Pieces = Pieces {
        good: &[
            "0",
            "1",
            "7",
            "100",
            "18446744073709551615",
            "-0",
            "-1",
            "1.0",
            "1.5",
            "-1.5e-3",
            "1e5",
            "1E+2",
            "1e999",
            "99999999999999999999999",
            "-12345678901234567890",
        ],
        other: &[
            "18446744073709551616",
            "01",
            "00",
            "1.",
            ".5",
            "-",
            "+1",
            "1e",
            "1e+",
            "0x10",
            "NaN",
            "Infinity",
        ],
    };

    const LITERALS: Pieces = Pieces {
        good: &["null", "true", "false"],
        other: &["nul", "True", "nulll", "f"],
    };

    const SPACES: Pieces = Pieces {
        good: &[" ", "  ", "\t", "\n", "\r", "\r\n"],
        other: &["\u{c}", "\u{b}", "\u{a0}"],
    };

    fn ws(rng: &mut Rng, out: &mut Vec<u8>, noise: u64) {
        if rng.chance(80) {
            return;
        }
        out.extend_from_slice(SPACES.pick(rng, noise).as_bytes());
    }

    fn value(rng: &mut Rng, out: &mut Vec<u8>, depth: usize, noise: u64) {
        match rng.below(if depth < 4 { 10 } else { 8 }) {
            0..=3 => {
                out.push(b'"');
                out.extend_from_slice(STRINGS.pick(rng, noise).as_bytes());
                if rng.chance(noise / 4) {
                    out.push(*rng.pick(&[0xff, 0xc3, 0x80, 0xe2, 0x00]));
                }
                out.push(b'"');
            }
            4 | 5 => out.extend_from_slice(NUMBERS.pick(rng, noise).as_bytes()),
            6 => out.extend_from_slice(LITERALS.pick(rng, noise).as_bytes()),
            7 => out.extend_from_slice(b"null"),
            8 => {
                out.push(b'[');
                for k in 0..rng.below(4) {
                    if k > 0 {
                        out.push(b',');
                    }
                    ws(rng, out, noise);
                    value(rng, out, depth + 1, noise);
                    ws(rng, out, noise);
                }
                out.push(b']');
            }
            _ => object(rng, out, depth + 1, noise),
        }
    }

    fn object(rng: &mut Rng, out: &mut Vec<u8>, depth: usize, noise: u64) {
        out.push(b'{');
        let n = rng.below(9);
        for k in 0..n {
            if k > 0 {
                out.push(b',');
            }
            ws(rng, out, noise);
            out.push(b'"');
            out.extend_from_slice(KEYS.pick(rng, noise).as_bytes());
            out.push(b'"');
            ws(rng, out, noise);
            out.push(b':');
            ws(rng, out, noise);
            value(rng, out, depth, noise);
            ws(rng, out, noise);
        }
        out.push(b'}');
    }

    fn mutate(rng: &mut Rng, line: &mut Vec<u8>) {
        const BYTES: &[u8] = b"{}[]\",:\\ \t\n0123456789-+.eEnulltrfas\x00\x1f\x7f\x80\xc3\xff";
        for _ in 0..rng.below(3) + 1 {
            let at = rng.below(line.len() + 1);
            match rng.below(6) {
                0 if at < line.len() => {
                    line.remove(at);
                }
                1 => line.insert(at, *rng.pick(BYTES)),
                2 if at < line.len() => line[at] = *rng.pick(BYTES),
                3 => line.truncate(at),
                4 if at < line.len() => {
                    let end = (at + rng.below(12) + 1).min(line.len());
                    let piece = line[at..end].to_vec();
                    let to = rng.below(line.len() + 1);
                    line.splice(to..to, piece);
                }
                _ => {
                    let to = rng.below(line.len() + 1);
                    line.splice(to..to, KEYS.pick(rng, 50).bytes());
                }
            }
        }
    }

    #[test]
    fn differential_against_parse_line() {
        let maps = [
            FieldMap::default(),
            FieldMap {
                principal: "user".into(),
                resource: "table".into(),
                count: "n".into(),
                ..FieldMap::default()
            },
            FieldMap {
                count: "ts".into(),
                query: "principal".into(),
                last_seen: "".into(),
                ..FieldMap::default()
            },
        ];
        let mut rng = Rng(0x5eed_1234);
        let (mut total, mut fast, mut serde_ok, mut mutated_fast) = (0u32, 0u32, 0u32, 0u32);
        let mut line = Vec::new();
        // FLAT_JSON_ROUNDS=10000000 cargo test --release … for a longer run.
        let rounds = std::env::var("FLAT_JSON_ROUNDS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(400_000);
        for round in 0..rounds {
            line.clear();
            let noise = [0, 2, 10, 40][round % 4];
            ws(&mut rng, &mut line, noise);
            object(&mut rng, &mut line, 0, noise);
            ws(&mut rng, &mut line, noise);
            let mutated = round % 3 == 2;
            if mutated {
                mutate(&mut rng, &mut line);
            }
            let fields = &maps[round % maps.len()];
            total += 1;
            if agrees(&line, fields) {
                fast += 1;
                mutated_fast += u32::from(mutated);
            }
            if parse_line(&line, fields).is_ok() {
                serde_ok += 1;
            }
        }
        // The generator must exercise both paths: plenty taken fast, plenty rejected.
        assert!(fast > total / 10, "fast path took {fast} of {total}");
        assert!(
            serde_ok > fast && serde_ok < total,
            "{serde_ok} valid of {total}"
        );
        assert!(
            mutated_fast > total / 100,
            "{mutated_fast} mutated lines taken fast"
        );
        // Last run: 400000 lines, 89746 valid for parse_line, 85481 fast (7892 of them mutated).
    }
}
