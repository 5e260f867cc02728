//! Hostile input and faults (issue 8): bad records never lose good ones, unreadable files are
//! reported and passed over, the store fails cleanly on a read-only or full disk, and names
//! built to break or inject into an output come out of every renderer intact, checked by
//! parsing each output back.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::util::{Deployment, Run, lintage, lintage_with_env, log, path_str};

// ---------------------------------------------------------------------------------------
// Helpers

/// A good native log line of `svc:a` reading `dataset:NAME` on day `day`.
fn good(day: u32, name: &str) -> String {
    log(day, "svc:a", "read", name)
}

/// The edges of a deployment as `from -> to`, from `lintage export --format json`.
fn edges(dir: &Path) -> BTreeSet<String> {
    let run = lintage(&["export", path_str(dir), "--format", "json"]);
    assert_eq!(run.code, 0, "export: {}", run.stderr);
    run.json()["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{} -> {}",
                e["from"].as_str().unwrap_or_default(),
                e["to"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// `(log_records, malformed_records)` of a JSON report.
fn counts(run: &Run) -> (u64, u64) {
    let report = run.json();
    let summary = &report["summary"];
    (
        summary["log_records"].as_u64().unwrap_or(u64::MAX),
        summary["malformed_records"].as_u64().unwrap_or(u64::MAX),
    )
}

/// A few thousand bytes that are no text of any format (a fixed xorshift sequence, so that
/// every run sees the same bytes), without line breaks.
fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .map(|b| if b == b'\n' { b'?' } else { b })
        .collect()
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Runs lintage as a user that file permissions apply to: `nobody` when the tests run as root
/// (root reads every file whatever its mode), else the current user. The working folder is `/`,
/// so every command here passes `--no-store` or `--db`.
fn lintage_unprivileged(args: &[&str]) -> Run {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(env!("CARGO_BIN_EXE_lintage"));
    command.args(args).current_dir("/").env("NO_COLOR", "1");
    if is_root() {
        command.uid(65534).gid(65534);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run lintage: {e}"));
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Whether `lintage_unprivileged` can run lintage: as root, `nobody` must be able to reach
/// the binary (a checkout under a private home folder is out of its reach).
fn unprivileged_runs(test: &str) -> bool {
    use std::os::unix::process::CommandExt;
    if !is_root() {
        return true;
    }
    let ok = Command::new(env!("CARGO_BIN_EXE_lintage"))
        .arg("--version")
        .current_dir("/")
        .uid(65534)
        .gid(65534)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!(
            "note: skipped {test}: the tests run as root and user nobody cannot run {}",
            env!("CARGO_BIN_EXE_lintage")
        );
    }
    ok
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {path:?}: {e}"));
}

/// Makes a deployment's folders reachable for the unprivileged user (temp folders are 0700).
fn open_up(d: &Deployment) {
    fn walk(dir: &Path) {
        chmod(dir, 0o755);
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&entry.path());
            }
        }
    }
    walk(d.path());
}

// ---------------------------------------------------------------------------------------
// Bad records never lose good ones

/// Native log lines that are each wrong in one way: not JSON, not UTF-8, a JSON value of the
/// wrong type in every field, times in the wrong format or zone.
fn bad_native_lines() -> Vec<(&'static str, Vec<u8>)> {
    let with = |field: &str, value: &str| {
        let mut record = serde_json::json!({
            "ts": "2026-11-01T12:00:00Z", "principal": "svc:a", "action": "read", "resource": "bad",
        });
        let value: Value = serde_json::from_str(value).unwrap_or_else(|e| panic!("{value}: {e}"));
        record[field] = value;
        if field == "query" {
            if let Some(object) = record.as_object_mut() {
                object.remove("action");
                object.remove("resource");
            }
        }
        record.to_string().into_bytes()
    };
    let mut lines = vec![
        ("random bytes", random_bytes(3000, 8)),
        ("invalid UTF-8", b"\xff\xfe\xfd not text \xc3\x28".to_vec()),
        (
            "invalid UTF-8 inside a string",
            b"{\"ts\":\"2026-11-01T12:00:00Z\",\"principal\":\"svc:\xff\",\"action\":\"read\",\"resource\":\"bad\"}"
                .to_vec(),
        ),
        ("NUL bytes", b"\0\0\0{}".to_vec()),
        ("cut short", b"{\"ts\":\"2026-11-01T12:00:00Z\",\"principal\":\"svc:a\",\"act".to_vec()),
        ("an array", b"[1, 2, 3]".to_vec()),
        ("null", b"null".to_vec()),
        ("a string", b"\"read\"".to_vec()),
        ("deeply nested", "[".repeat(100_000).into_bytes()),
        ("ts: a number", with("ts", "1793000000")),
        ("ts: an object", with("ts", "{\"t\": 1}")),
        ("principal: a number", with("principal", "5")),
        ("principal: an object", with("principal", "{\"name\": \"svc:a\"}")),
        ("action: a list", with("action", "[\"read\"]")),
        ("action: true", with("action", "true")),
        ("resource: an object", with("resource", "{\"table\": \"bad\"}")),
        ("resource: a number", with("resource", "42")),
        ("query: a number", with("query", "7")),
        ("query: a list", with("query", "[\"SELECT 1\"]")),
        ("count: a string", with("count", "\"3\"")),
        ("count: a fraction", with("count", "1.5")),
        ("count: negative", with("count", "-1")),
        ("count: zero", with("count", "0")),
        ("count: too big", with("count", "18446744073709551616")),
        ("first_seen: a number", with("first_seen", "1793000000")),
        ("first_seen: a list", with("first_seen", "[]")),
        ("last_seen: a number", with("last_seen", "1793000000")),
        ("last_seen: true", with("last_seen", "true")),
        ("ts without T and seconds", with("ts", "\"2026-11-01 12:00\"")),
        ("ts with a +25:00 offset", with("ts", "\"2026-11-01T12:00:00+25:00\"")),
        ("ts without a zone", with("ts", "\"2026-11-01T12:00:00\"")),
        ("ts as an epoch string", with("ts", "\"1793000000\"")),
        ("ts in milliseconds", with("ts", "1793000000000")),
        ("ts in the S3 format", with("ts", "\"01/Nov/2026:12:00:00 +0000\"")),
        ("ts on 30 February", with("ts", "\"2026-02-30T12:00:00Z\"")),
        ("ts at hour 24", with("ts", "\"2026-11-01T24:00:00Z\"")),
        ("ts empty", with("ts", "\"\"")),
        ("first_seen not a date", with("first_seen", "\"yesterday\"")),
        (
            "first_seen after last_seen",
            with("first_seen", "\"2026-11-20T00:00:00Z\"")
                .into_iter()
                .collect::<Vec<u8>>(),
        ),
    ];
    // The last case also needs a `last_seen` before its `first_seen`.
    if let Some((_, line)) = lines.last_mut() {
        let mut record: Value = serde_json::from_slice(line).unwrap_or_default();
        record["last_seen"] = Value::from("2026-11-02T00:00:00Z");
        *line = record.to_string().into_bytes();
    }
    lines
}

#[test]
fn every_bad_native_record_is_counted_and_located_and_its_neighbours_kept() {
    for (what, bad) in bad_native_lines() {
        let d = Deployment::new();
        let mut text = good(1, "before").into_bytes();
        text.extend_from_slice(&bad);
        text.push(b'\n');
        text.extend_from_slice(good(2, "after").as_bytes());
        d.file("logs/l.jsonl", &text);

        let run = d.scan_json(&["--no-store"]);
        assert_eq!(run.code, 0, "{what}: {}", run.stderr);
        assert_eq!(counts(&run), (2, 1), "{what}: {}", run.stderr);
        assert!(
            run.stderr.contains("logs/l.jsonl:2: "),
            "{what}: located: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
        assert_eq!(
            edges(d.path()),
            set(&[
                "dataset:after -> principal:svc:a",
                "dataset:before -> principal:svc:a"
            ]),
            "{what}"
        );

        let strict = d.scan_json(&["--no-store", "--strict"]);
        assert_eq!(strict.code, 2, "{what}: --strict: {}", strict.stdout);
        assert!(
            strict
                .stderr
                .contains("1 malformed log line(s); the first is logs/l.jsonl:2: "),
            "{what}: {}",
            strict.stderr
        );
    }
}

#[test]
fn all_bad_records_in_one_file_are_counted_and_every_good_one_ingested() {
    let bad = bad_native_lines();
    let d = Deployment::new();
    let mut text = Vec::new();
    let mut expected = BTreeSet::new();
    for (i, (_, line)) in bad.iter().enumerate() {
        let name = format!("t{i}");
        text.extend_from_slice(good(1 + (i as u32 % 28), &name).as_bytes());
        expected.insert(format!("dataset:{name} -> principal:svc:a"));
        text.extend_from_slice(line);
        text.push(b'\n');
    }
    // The same file gzipped counts the same.
    d.file("logs/all.jsonl", &text);
    let run = d.scan_json(&["--no-store"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(counts(&run), (bad.len() as u64, bad.len() as u64));
    assert_eq!(edges(d.path()), expected);

    // The text report lists the first samples with file and line, and the rest as a count.
    let report = lintage(&["scan", path_str(d.path()), "--no-store"]);
    assert!(
        report
            .stdout
            .contains(&format!("skipped {} malformed log lines", bad.len())),
        "{}",
        report.stdout
    );
    for line in [2, 4, 6, 8, 10] {
        assert!(
            report
                .stdout
                .contains(&format!("  logs/all.jsonl:{line}: ")),
            "line {line}: {}",
            report.stdout
        );
    }
}

#[test]
fn empty_files_of_every_format_are_no_error() {
    let d = Deployment::new();
    d.file("logs/empty.jsonl", "")
        .file("logs/empty.log", "")
        .file("logs/empty.ndjson.gz", "")
        .file("logs/blank.jsonl", "\n\n   \n")
        .file("exports/empty.csv", "")
        .file("empty.yaml", "")
        .file(
            "lintage.toml",
            "[[sources]]\npath = \"exports/*.csv\"\nformat = \"csv\"\n\n[[sources]]\npath = \"logs/*\"\nformat = \"ndjson\"\n\n[[sources]]\npath = \"*.yaml\"\nformat = \"manifest\"\n",
        )
        .file("logs/l.jsonl", good(1, "t") + &good(2, "u"));
    let run = d.scan_json(&["--no-store", "--strict"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(counts(&run), (2, 0), "{}", run.stderr);
}

/// A line longer than lintage reads (16 MiB) is one malformed record, located; the lines
/// around it are read; and it is skipped as it streams past rather than held in memory.
#[test]
fn a_huge_line_is_capped_counted_and_does_not_grow_memory() {
    let huge = |bytes: usize| {
        let mut text = good(1, "before").into_bytes();
        text.extend_from_slice(b"{\"ts\":\"2026-11-01T12:00:00Z\",\"principal\":\"svc:a\",\"action\":\"read\",\"resource\":\"");
        text.resize(text.len() + bytes, b'x');
        text.extend_from_slice(b"\"}\n");
        text.extend_from_slice(good(2, "after").as_bytes());
        text
    };
    let d = Deployment::new();
    d.file("logs/l.jsonl", huge(20_000_000));
    let run = d.scan_json(&["--no-store"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(counts(&run), (2, 1));
    assert!(
        run.stderr
            .contains("logs/l.jsonl:2: the line is longer than 16 MiB"),
        "{}",
        run.stderr
    );
    assert_eq!(
        edges(d.path()),
        set(&[
            "dataset:after -> principal:svc:a",
            "dataset:before -> principal:svc:a"
        ])
    );
    assert_eq!(d.scan_json(&["--no-store", "--strict"]).code, 2);

    // Peak memory: a line five times as long must not need more. GNU time reports the
    // peak resident set of the process it runs; without it the bound is not measured.
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        eprintln!("note: /usr/bin/time is missing; peak memory of a huge line not measured");
        return;
    }
    let peak_kib = |d: &Deployment| -> u64 {
        let output = Command::new(time)
            .args(["-f", "peak-kib=%M", env!("CARGO_BIN_EXE_lintage")])
            .args(["scan", path_str(d.path()), "--no-store", "--format", "json"])
            .env("LINTAGE_THREADS", "2")
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        stderr
            .lines()
            .find_map(|l| l.strip_prefix("peak-kib="))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no peak in {stderr}"))
    };
    let at_20_mb = peak_kib(&d);
    let bigger = Deployment::new();
    bigger.file("logs/l.jsonl", huge(100_000_000));
    let at_100_mb = peak_kib(&bigger);
    assert!(
        at_100_mb < 100_000_000 / 1024,
        "a 100 MB line is not held in memory: peak {at_100_mb} KiB"
    );
    assert!(
        at_100_mb < at_20_mb + 16 * 1024,
        "memory does not grow with the line: {at_20_mb} KiB for 20 MB, {at_100_mb} KiB for 100 MB"
    );
}

/// Native, S3 and pgaudit logs cut short inside their gzip stream.
#[test]
fn a_truncated_gzip_log_keeps_every_whole_line_before_the_cut() {
    use std::io::Read;
    type Line = fn(usize) -> (String, String);
    let formats: [(&str, Line); 3] = [
        ("logs/a.jsonl.gz", |i| {
            (
                good(1 + (i % 28) as u32, &format!("t{i}")),
                format!("dataset:t{i} -> principal:svc:a"),
            )
        }),
        ("logs/s3.log.gz", |i| {
            let time = format!("{:02}/Nov/2026:00:00:38 +0000", 1 + i % 28);
            (
                s3(&time, "svc:etl", &format!("t{i}")),
                format!("dataset:s3://bkt/t{i} -> principal:svc:etl"),
            )
        }),
        ("pg/postgresql.log.gz", |i| {
            let time = format!("2026-11-{:02} 02:00:00", 1 + i % 28);
            (
                pg(&time, "etl", &format!("public.t{i}")),
                format!("dataset:public.t{i} -> principal:etl"),
            )
        }),
    ];
    for (file, line) in formats {
        let (lines, edges_of): (Vec<String>, Vec<String>) = (0..3000).map(line).unzip();
        let d = Deployment::new();
        d.gz_file(file, &lines.concat());
        let whole = std::fs::read(d.path().join(file)).unwrap_or_default();
        let cut = &whole[..whole.len() * 2 / 3];
        d.file(file, cut).file("logs/b.jsonl", good(3, "other"));
        // What a gzip reader gets out of the cut file: the whole lines before the cut.
        let mut prefix = Vec::new();
        let _ = flate2::read::MultiGzDecoder::new(cut).read_to_end(&mut prefix);
        let whole_lines = prefix.iter().filter(|&&b| b == b'\n').count();
        assert!(whole_lines > 100 && whole_lines < lines.len(), "{file}");

        let run = d.scan_json(&["--no-store"]);
        assert_eq!(run.code, 0, "{file}: {}", run.stderr);
        let (records, malformed) = counts(&run);
        assert_eq!(records, whole_lines as u64 + 1, "{file}: {}", run.stderr);
        assert_eq!(malformed, 1, "{file}: the cut is one malformed record");
        assert!(
            run.stderr
                .contains(&format!("{file}:{}: ", whole_lines + 1))
                && run.stderr.contains("breaks off"),
            "{file}: {}",
            run.stderr
        );
        let mut expected: BTreeSet<String> = edges_of.into_iter().take(whole_lines).collect();
        expected.insert("dataset:other -> principal:svc:a".into());
        assert_eq!(edges(d.path()), expected, "{file}");
        assert_eq!(d.scan_json(&["--no-store", "--strict"]).code, 2, "{file}");
    }
}

/// One S3 server access log record.
fn s3(time: &str, requester: &str, key: &str) -> String {
    format!(
        "79a5owner bkt [{time}] 192.0.2.3 {requester} REQ1 REST.GET.OBJECT {key} \"GET /bkt/{key} HTTP/1.1\" 200 - 113 113 7 - \"-\" \"ua\" -\n"
    )
}

/// One pgaudit OBJECT read in a PostgreSQL server log.
fn pg(time: &str, user: &str, table: &str) -> String {
    format!(
        "{time} UTC [4242] user={user},db=shop LOG:  AUDIT: OBJECT,1,1,READ,SELECT,TABLE,{table},<previously logged>,<previously logged>\n"
    )
}

/// For each line format: good records around random bytes, invalid UTF-8, times in the wrong
/// format or zone and a line over the cap; each bad one counted and located, the good ones all
/// read, `--strict` an error.
#[test]
fn line_formats_keep_the_good_records_around_bad_ones() {
    let huge = "x".repeat(17 << 20);
    struct Case {
        file: &'static str,
        config: &'static str,
        head: String,
        good: [String; 3],
        bad: Vec<Vec<u8>>,
        expected: [&'static str; 3],
    }
    let cases = [
        Case {
            file: "logs/access.log",
            config: "",
            head: String::new(),
            good: [
                s3("01/Nov/2026:00:00:38 +0000", "svc:etl", "a"),
                s3("02/Nov/2026:00:00:38 -0700", "svc:etl", "b"),
                s3("03/Nov/2026:23:59:59 +0000", "svc:etl", "c"),
            ],
            bad: vec![
                random_bytes(500, 3),
                s3("01/Nov/2026:00:00:38 +0000", "svc:\u{0}", "u")
                    .into_bytes()
                    .into_iter()
                    .map(|b| if b == 0 { 0xff } else { b })
                    .collect(),
                s3("2026-11-01 12:00", "svc:etl", "d").into_bytes(),
                s3("01/Nov/2026:00:00:38 +2500", "svc:etl", "e").into_bytes(),
                s3("1793000000", "svc:etl", "f").into_bytes(),
                s3("01/Nov/2026:00:00:38 +0000", "svc:etl", &huge).into_bytes(),
            ],
            expected: [
                "dataset:s3://bkt/a -> principal:svc:etl",
                "dataset:s3://bkt/b -> principal:svc:etl",
                "dataset:s3://bkt/c -> principal:svc:etl",
            ],
        },
        Case {
            file: "pg/postgresql.log",
            config: "",
            head: String::new(),
            good: [
                pg("2026-11-01 02:00:00.101", "etl", "public.a"),
                pg("2026-11-02 02:00:00", "etl", "public.b"),
                pg("2026-11-03 02:00:00.999", "etl", "public.c"),
            ],
            bad: vec![
                random_bytes(500, 5),
                b"2026-11-01 02:00:00 UTC [1] user=\xff\xfe,db=shop LOG:  AUDIT: OBJECT,1,1,READ,SELECT,TABLE,public.u,<x>,<x>"
                    .to_vec(),
                pg("2026-11-01T02:00", "etl", "public.d").into_bytes(),
                pg("01/Nov/2026 02:00:00", "etl", "public.e").into_bytes(),
                pg("2026-11-01 02:00:00", "etl", &huge).into_bytes(),
            ],
            expected: [
                "dataset:public.a -> principal:etl",
                "dataset:public.b -> principal:etl",
                "dataset:public.c -> principal:etl",
            ],
        },
        Case {
            file: "exports/audit.csv",
            config: "[[sources]]\npath = \"exports/*.csv\"\nformat = \"csv\"\n",
            head: "ts,principal,action,resource\n".into(),
            good: [
                "2026-11-01T12:00:00Z,svc:c,read,a\n".into(),
                "2026-11-02T12:00:00+02:00,svc:c,read,\"b\"\n".into(),
                "2026-11-03T12:00:00Z,svc:c,read,c\n".into(),
            ],
            bad: vec![
                random_bytes(500, 7),
                b"2026-11-01T12:00:00Z,svc:\xff,read,u".to_vec(),
                b"2026-11-01 12:00,svc:c,read,d".to_vec(),
                b"2026-11-01T12:00:00+25:00,svc:c,read,e".to_vec(),
                b"1793000000,svc:c,read,f".to_vec(),
                b"2026-11-01T12:00:00Z,svc:c,read".to_vec(),
                b"2026-11-01T12:00:00Z,svc:c,read,\"unclosed".to_vec(),
                format!("2026-11-01T12:00:00Z,svc:c,read,{huge}").into_bytes(),
            ],
            expected: [
                "dataset:a -> principal:svc:c",
                "dataset:b -> principal:svc:c",
                "dataset:c -> principal:svc:c",
            ],
        },
    ];
    for case in cases {
        let d = Deployment::new();
        // The first and last records are good (detection reads the first line); every bad
        // one sits between good ones.
        let mut text = case.head.clone().into_bytes();
        let first_line = u64::from(!case.head.is_empty()) + 1;
        text.extend_from_slice(case.good[0].as_bytes());
        let mut bad_lines = Vec::new();
        let mut line = first_line;
        for (i, bad) in case.bad.iter().enumerate() {
            line += 1;
            bad_lines.push(line);
            text.extend_from_slice(bad.strip_suffix(b"\n").unwrap_or(bad));
            text.push(b'\n');
            if i == case.bad.len() / 2 {
                line += 1;
                text.extend_from_slice(case.good[1].as_bytes());
            }
        }
        text.extend_from_slice(case.good[2].as_bytes());
        d.file(case.file, &text);
        if !case.config.is_empty() {
            d.file("lintage.toml", case.config);
        }
        let run = d.scan_json(&["--no-store"]);
        assert_eq!(run.code, 0, "{}: {}", case.file, run.stderr);
        assert_eq!(
            counts(&run),
            (3, case.bad.len() as u64),
            "{}: {}",
            case.file,
            run.stderr
        );
        assert_eq!(
            edges(d.path()),
            set(&case.expected),
            "{}: {}",
            case.file,
            run.stderr
        );
        // Every bad line is located in the text report (at most 5 are listed) or counted.
        let report = lintage(&["scan", path_str(d.path()), "--no-store"]);
        for line in bad_lines.iter().take(5) {
            assert!(
                report.stdout.contains(&format!("  {}:{line}: ", case.file)),
                "{} line {line}:\n{}",
                case.file,
                report.stdout
            );
        }
        let strict = d.scan_json(&["--no-store", "--strict"]);
        assert_eq!(strict.code, 2, "{}: --strict", case.file);
        assert!(
            strict.stderr.contains(&format!(
                "{} malformed log line(s); the first is {}:{}: ",
                case.bad.len(),
                case.file,
                bad_lines[0]
            )),
            "{}: {}",
            case.file,
            strict.stderr
        );
    }
}

// ---------------------------------------------------------------------------------------
// Unreadable files and folders

#[test]
fn unreadable_files_and_folders_are_reported_by_path_and_passed_over() {
    use std::os::unix::fs::symlink;
    if !unprivileged_runs("unreadable_files_and_folders_are_reported_by_path_and_passed_over") {
        return;
    }
    let d = Deployment::new();
    d.file(
        "m/job.yaml",
        "kind: job\nname: j\nidentities: [svc:a]\ninputs: [t, u]\n",
    )
    .file("logs/ok.jsonl", good(1, "t"))
    .file("logs/locked.jsonl", good(2, "secret"))
    .file("m/locked.yaml", "kind: job\nname: hidden\n")
    .file("closed/inside.jsonl", good(3, "inside"))
    .file("deep/more/ok.jsonl", good(4, "u"));
    // A link to nothing, a link to itself, and a linked folder that points back up (a loop if
    // discovery followed it).
    symlink("nowhere.jsonl", d.path().join("logs/broken.jsonl")).unwrap_or_else(|e| panic!("{e}"));
    symlink("self.jsonl", d.path().join("logs/self.jsonl")).unwrap_or_else(|e| panic!("{e}"));
    symlink("../..", d.path().join("deep/more/up")).unwrap_or_else(|e| panic!("{e}"));
    open_up(&d);
    chmod(&d.path().join("logs/locked.jsonl"), 0o000);
    chmod(&d.path().join("m/locked.yaml"), 0o000);
    chmod(&d.path().join("closed"), 0o000);

    let dir = path_str(d.path());
    let run = lintage_unprivileged(&["scan", dir, "--no-store", "--format", "json"]);
    chmod(&d.path().join("closed"), 0o755);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(counts(&run), (2, 0), "{}", run.stderr);
    assert!(
        run.findings().is_empty(),
        "the readable records are all there: {:?}",
        run.findings()
    );
    for (path, why) in [
        ("logs/locked.jsonl", "cannot read: Permission denied"),
        ("m/locked.yaml", "cannot read: Permission denied"),
        ("closed/", "cannot read: Permission denied"),
        (
            "logs/broken.jsonl",
            "cannot follow the symbolic link: No such file",
        ),
        (
            "logs/self.jsonl",
            "cannot follow the symbolic link: Too many levels",
        ),
    ] {
        assert!(
            run.stderr
                .contains(&format!("lintage: note: skipped {path}: {why}")),
            "{path}: {}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("deep/more/up"), "{}", run.stderr);

    chmod(&d.path().join("closed"), 0o000);
    let strict = lintage_unprivileged(&["scan", dir, "--no-store", "--strict"]);
    chmod(&d.path().join("closed"), 0o755);
    assert_eq!(strict.code, 2, "{}", strict.stdout);
    assert!(
        strict.stderr.contains(
            "lintage: error: 5 file(s) or folder(s) cannot be read; the first is closed/: "
        ),
        "{}",
        strict.stderr
    );
}

// ---------------------------------------------------------------------------------------
// The store on a read-only or full disk

fn payments_copy() -> Deployment {
    let d = Deployment::new();
    copy_dir(&crate::util::repo_path("samples/payments"), d.path());
    d
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).into_iter().flatten().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            std::fs::create_dir_all(&target).unwrap_or_else(|e| panic!("{e}"));
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("{path:?}: {e}"));
    file.write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
}

/// `PRAGMA integrity_check` and the number of snapshots.
fn check_store(db: &Path) -> (String, i64) {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap_or_else(|e| panic!("{db:?}: {e}"));
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    let snapshots: i64 = conn
        .query_row("SELECT count(*) FROM snapshot", [], |row| row.get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    (check, snapshots)
}

#[test]
fn a_read_only_database_or_folder_is_a_clear_error_and_records_nothing() {
    if !unprivileged_runs("a_read_only_database_or_folder_is_a_clear_error_and_records_nothing") {
        return;
    }
    let d = payments_copy();
    let dir = path_str(d.path()).to_string();
    let new_line = log(27, "svc:newsletter", "read", "warehouse.scores.fraud");
    for case in ["file", "folder"] {
        let store = d.path().join(format!("store-{case}"));
        std::fs::create_dir_all(&store).unwrap_or_else(|e| panic!("{e}"));
        let db = store.join("s.db");
        let first = lintage(&["scan", &dir, "--db", path_str(&db), "--format", "json"]);
        assert_eq!(first.code, 1, "{}", first.stderr);
        append(&d.path().join("logs/access-2026-11-11.jsonl"), &new_line);
        open_up(&d);
        let before = std::fs::read(&db).unwrap_or_default();
        match case {
            // The file read-only in a folder that may be written.
            "file" => {
                chmod(&store, 0o777);
                chmod(&db, 0o444);
            }
            // The folder read-only (SQLite cannot create its -wal and -shm files there),
            // the file writable.
            _ => {
                chmod(&db, 0o666);
                chmod(&store, 0o555);
            }
        }
        let run = lintage_unprivileged(&["scan", &dir, "--db", path_str(&db), "--format", "json"]);
        chmod(&store, 0o755);
        chmod(&db, 0o644);
        assert_eq!(run.code, 2, "{case}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("{}: ", db.display()))
                && run.stderr.contains("is read-only; make both writable"),
            "{case}: {}",
            run.stderr
        );
        assert!(
            run.json()["findings"]
                .as_array()
                .is_some_and(|f| !f.is_empty()),
            "{case}: the report is still printed"
        );
        assert_eq!(
            std::fs::read(&db).unwrap_or_default(),
            before,
            "{case}: the database is untouched"
        );
        assert_eq!(check_store(&db), ("ok".to_string(), 1), "{case}");
    }
}

/// A tmpfs mounted for a test and unmounted when it ends, whatever happens.
struct Mount(std::path::PathBuf);

impl Mount {
    fn tmpfs(at: &Path, size: &str) -> Option<Mount> {
        let status = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size}"),
                "tmpfs",
                path_str(at),
            ])
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| Mount(at.to_path_buf()))
    }

    fn remount(&self, option: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{option}"), path_str(&self.0)])
            .status()
            .unwrap_or_else(|e| panic!("mount: {e}"));
        assert!(status.success());
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills a file system until a write fails.
fn fill(path: &Path) {
    use std::io::Write;
    let mut file = std::fs::File::create(path).unwrap_or_else(|e| panic!("{e}"));
    let block = vec![0u8; 64 << 10];
    while file.write_all(&block).is_ok() {}
    let _ = file.flush();
    while file.write_all(&block[..512]).is_ok() {}
}

#[test]
fn a_full_or_read_only_disk_is_a_clear_error_and_earlier_snapshots_stay_intact() {
    let d = payments_copy();
    let dir = path_str(d.path()).to_string();
    let at = d.path().join("disk");
    std::fs::create_dir_all(&at).unwrap_or_else(|e| panic!("{e}"));
    let Some(disk) = Mount::tmpfs(&at, "4m") else {
        eprintln!(
            "note: skipped a_full_or_read_only_disk_is_a_clear_error_and_earlier_snapshots_stay_intact: \
             cannot mount a tmpfs here (it needs root, or CAP_SYS_ADMIN)"
        );
        return;
    };
    let db = at.join("s.db");
    let db_arg = path_str(&db).to_string();
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", &dir, "--db", &db_arg, "--format", "json"];
        args.extend_from_slice(extra);
        lintage_with_env(d.path(), &args, &[])
    };
    assert_eq!(scan(&[]).code, 1, "the first snapshot");
    append(
        &d.path().join("logs/access-2026-11-11.jsonl"),
        &log(27, "svc:newsletter", "read", "warehouse.scores.fraud"),
    );

    // Full: nothing more fits.
    fill(&at.join("filler"));
    let run = scan(&[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("{db_arg}: "))
            && run.stderr.contains("the disk is full or cannot be written"),
        "{}",
        run.stderr
    );
    assert!(run.json()["findings"].is_array(), "the report still prints");
    std::fs::remove_file(at.join("filler")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(check_store(&db), ("ok".to_string(), 1));
    let first = lintage(&["diff", "1", "1", "--db", &db_arg]);
    assert_eq!(first.code, 0, "snapshot 1 reads: {}", first.stderr);

    // Read-only: the file system itself refuses writes.
    disk.remount("ro");
    let run = scan(&[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("{db_arg}: "))
            && run.stderr.contains("is read-only; make both writable"),
        "{}",
        run.stderr
    );
    disk.remount("rw");
    assert_eq!(check_store(&db), ("ok".to_string(), 1));

    // With space again, the same database records the next snapshot.
    assert_eq!(scan(&[]).code, 1);
    assert_eq!(check_store(&db), ("ok".to_string(), 2));
}

// ---------------------------------------------------------------------------------------
// Names that try to break or inject into every output

/// Quotes, a backslash and a newline; markup, a CDATA end and an entity; terminal escape
/// sequences (colour, window title) and other control characters; bidi overrides; GitHub's
/// escape and separator characters with a forged command; Markdown syntax; a 10,000-character
/// name.
fn hostile_names() -> Vec<String> {
    vec![
        "we\"ird\\na\nme 'q'".to_string(),
        "<script>alert(1)</script>]]>&amp;".to_string(),
        "\u{1b}[31mred\u{1b}[0m\u{1b}]0;title\u{7}\u{8}\u{7f}".to_string(),
        "abc\u{202e}fdp.exe\u{2066}x\u{200f}".to_string(),
        "50%,x:y\r\n::error::forged %0A".to_string(),
        "a|b [link](http://evil.example) *em* _u_ `tick` ~s~ # h".to_string(),
        "L".repeat(10_000),
    ]
}

/// A file name made of a hostile name (no `/`, short enough for the file system).
fn file_name(name: &str) -> String {
    name.chars().filter(|&c| c != '/').take(40).collect()
}

const HOSTILE_LOG: &str = "logs/l,o:g%0A 50% <x>\u{1b}[31m\u{202e}\r\n.jsonl";

/// A model per hostile name, named so, writing a dataset of that name, which a principal of
/// that name reads undeclared: LT001 (model, principal) and LT007 (principal) for each.
fn hostile_deployment() -> Deployment {
    let d = Deployment::new();
    let mut log_text = String::new();
    for (i, name) in hostile_names().iter().enumerate() {
        d.file(
            &format!("m/{i}-{}.json", file_name(name)),
            serde_json::json!({
                "kind": "model", "name": name, "identities": [format!("svc:m{i}")],
                "outputs": [name],
            })
            .to_string(),
        );
        log_text.push_str(
            &(serde_json::json!({
                "ts": "2026-11-01T00:00:00Z", "principal": name, "action": "read", "resource": name,
            })
            .to_string()
                + "\n"),
        );
    }
    d.file(HOSTILE_LOG, log_text);
    d
}

fn scan_format(d: &Deployment, format: &str, extra: &[&str]) -> Run {
    let mut args = vec!["scan", path_str(d.path()), "--no-store", "--format", format];
    args.extend_from_slice(extra);
    let run = lintage(&args);
    assert_eq!(run.code, 1, "{format}: {}", run.stderr);
    run
}

/// The findings as the JSON report has them: (code, rule, subject, message, related).
fn hostile_findings(d: &Deployment) -> Vec<Value> {
    let run = scan_format(d, "json", &[]);
    let report = run.json();
    crate::util::assert_valid("lintage-findings.schema.json", &report);
    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    let subjects: BTreeSet<&str> = findings
        .iter()
        .filter_map(|f| f["subject"].as_str())
        .collect();
    let mut expected = BTreeSet::new();
    for name in hostile_names() {
        expected.insert(format!("model:{name}"));
        expected.insert(format!("principal:{name}"));
    }
    assert_eq!(
        subjects,
        expected.iter().map(String::as_str).collect(),
        "every hostile name survives JSON"
    );
    assert_eq!(findings.len(), 14);
    for finding in &findings {
        if finding["code"] == "LT001" {
            let name = &finding["subject"].as_str().unwrap_or_default()["model:".len()..];
            assert_eq!(finding["related"][0], format!("principal:{name}"));
            assert_eq!(finding["evidence"][0]["file"], HOSTILE_LOG);
        }
    }
    findings
}

fn text_of(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// Bidi controls that reorder what a terminal or browser shows.
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[test]
fn hostile_names_in_the_text_report_cannot_reach_the_terminal() {
    let d = hostile_deployment();
    let findings = hostile_findings(&d);
    // lintage's own colours are the only escape sequences.
    let sgr = regex::Regex::new("\u{1b}\\[[0-9;]*m").unwrap_or_else(|e| panic!("{e}"));
    for color in ["never", "always"] {
        let run = scan_format(&d, "text", &["--color", color]);
        let out = sgr.replace_all(&run.stdout, "");
        let bad: Vec<char> = out
            .chars()
            .filter(|&c| (c.is_control() && c != '\n') || is_bidi(c))
            .collect();
        assert!(bad.is_empty(), "{color}: raw {bad:?} in the text report");
        // Each finding is one headline: no name can forge another.
        for finding in &findings {
            let headline = format!(
                "{}[{}] {}: {}",
                text_of(&finding["severity"]),
                text_of(&finding["code"]),
                text_of(&finding["rule"]),
                lintage::report::text::clean(text_of(&finding["subject"]))
            );
            assert_eq!(
                out.lines().filter(|l| *l == headline).count(),
                1,
                "{color}: {headline}"
            );
        }
        assert_eq!(
            out.lines()
                .filter(|l| l.starts_with("error[") || l.starts_with("info["))
                .count(),
            14,
            "{color}"
        );
    }
}

#[test]
fn values_from_logs_never_put_escape_sequences_on_stderr() {
    let d = Deployment::new();
    d.file(
        "logs/l\u{1b}[2J.jsonl",
        "{\"ts\":\"\\u001b]0;pwned\\u0007\\u001b[31m\",\"principal\":\"a\",\"action\":\"read\",\"resource\":\"x\"}\n",
    )
    .file("notes\u{1b}[31m.yaml", "this: [is not: valid yaml\n");
    for args in [&["--format", "json"][..], &["--strict"][..], &[][..]] {
        let mut all = vec!["scan", path_str(d.path()), "--no-store"];
        all.extend_from_slice(args);
        let run = lintage(&all);
        assert!(
            (run.stderr.clone() + &run.stdout).contains("`ts` is not an RFC 3339 date-time"),
            "{args:?}: {}",
            run.stderr
        );
        for (stream, text) in [("stderr", &run.stderr), ("stdout", &run.stdout)] {
            assert!(
                !text.chars().any(|c| c.is_control() && c != '\n'),
                "{args:?}: raw control characters on {stream}: {text:?}"
            );
        }
    }
    let export = lintage(&["export", path_str(d.path())]);
    assert!(!export.stderr.contains('\u{1b}'), "{:?}", export.stderr);
}

#[test]
fn hostile_names_survive_sarif() {
    let d = hostile_deployment();
    let findings = hostile_findings(&d);
    let sarif = scan_format(&d, "sarif", &[]).json();
    crate::util::assert_valid("sarif-schema-2.1.0.json", &sarif);
    let results = sarif["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let messages: Vec<&str> = results
        .iter()
        .map(|r| text_of(&r["message"]["text"]))
        .collect();
    let expected: Vec<&str> = findings.iter().map(|f| text_of(&f["message"])).collect();
    assert_eq!(messages, expected, "messages round-trip");
    let dir = path_str(d.path());
    let files: BTreeSet<String> = std::iter::once(HOSTILE_LOG.to_string())
        .chain(
            hostile_names()
                .iter()
                .enumerate()
                .map(|(i, n)| format!("m/{i}-{}.json", file_name(n))),
        )
        .map(|f| format!("{dir}/{f}"))
        .collect();
    for result in &results {
        for location in result["locations"].as_array().into_iter().flatten() {
            let uri = text_of(&location["physicalLocation"]["artifactLocation"]["uri"]);
            assert!(
                uri.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b)),
                "not a URI reference: {uri:?}"
            );
            let decoded = percent_decode(uri);
            assert!(files.contains(&decoded), "{decoded:?} is no input file");
        }
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or_default();
            out.push(u8::from_str_radix(hex, 16).unwrap_or_else(|e| panic!("{text}: {e}")));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|e| panic!("{e}"))
}

/// GitHub's runner: `%25`, `%0D`, `%0A` in data; also `%3A`, `%2C` in property values.
fn github_unescape(text: &str, property: bool) -> String {
    let mut out = text.replace("%0D", "\r").replace("%0A", "\n");
    if property {
        out = out.replace("%3A", ":").replace("%2C", ",");
    }
    out.replace("%25", "%")
}

/// A text as a workflow command carries it: as written, but control characters other than
/// line breaks and tabs, and bidi overrides, shown as `\u{..}` (the runner has no escape for
/// them).
fn github_shown(text: &str) -> String {
    text.chars()
        .map(|c| {
            if (c.is_control() && !matches!(c, '\r' | '\n' | '\t')) || is_bidi(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[test]
fn hostile_names_survive_github_workflow_commands() {
    let d = hostile_deployment();
    let findings = hostile_findings(&d);
    let out = scan_format(&d, "github", &[]).stdout;
    let command = regex::Regex::new(r"^::(error|warning|notice) ([^:]*)::(.*)$")
        .unwrap_or_else(|e| panic!("{e}"));
    let lines: Vec<&str> = out.split('\n').collect();
    assert_eq!(lines.last(), Some(&""), "ends with a line break");
    let (summary, commands) = lines[..lines.len() - 1]
        .split_last()
        .unwrap_or_else(|| panic!());
    assert_eq!(*summary, "lintage: 7 errors, 0 warnings, 7 info");
    assert_eq!(commands.len(), findings.len(), "one command per finding");
    let dir = path_str(d.path());
    for (line, finding) in commands.iter().zip(&findings) {
        assert!(!line.contains('\r'), "{line:?}");
        let captures = command
            .captures(line)
            .unwrap_or_else(|| panic!("not a workflow command: {line:?}"));
        let level = if finding["severity"] == "error" {
            "error"
        } else {
            "notice"
        };
        assert_eq!(&captures[1], level);
        let mut properties = std::collections::BTreeMap::new();
        for property in captures[2].split(',') {
            let (key, value) = property
                .split_once('=')
                .unwrap_or_else(|| panic!("{property:?} in {line:?}"));
            properties.insert(key.to_string(), github_unescape(value, true));
        }
        assert_eq!(
            properties["title"],
            format!(
                "{} {}",
                text_of(&finding["code"]),
                text_of(&finding["rule"])
            )
        );
        let file = &properties["file"];
        assert!(file.starts_with(&format!("{dir}/")), "{file:?}");
        assert!(
            file.ends_with(".json") || file.ends_with(&github_shown(HOSTILE_LOG)),
            "{file:?}"
        );
        assert_eq!(
            github_unescape(&captures[3], false),
            github_shown(text_of(&finding["message"]))
        );
    }
}

/// What XML 1.0 can carry of a text: its forbidden control characters are dropped.
fn xml_chars(text: &str) -> String {
    text.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= '\u{20}' && c != '\u{fffe}' && c != '\u{ffff}')
        })
        .collect()
}

#[test]
fn hostile_names_survive_junit_xml() {
    use quick_xml::events::Event;
    let d = hostile_deployment();
    let findings = hostile_findings(&d);
    let xml = scan_format(&d, "junit", &[]).stdout;
    crate::util::assert_xml_well_formed(&xml);
    // (test case, failure or system-out text); info findings are below --fail-on and so
    // listed in system-out.
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut case = String::new();
    let mut text: Option<String> = None;
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("{e}")) {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testcase" => {
                let name = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.as_ref() == b"name")
                    .map(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .unwrap_or_else(|e| panic!("{e}"))
                            .into_owned()
                    })
                    .unwrap_or_default();
                case = name;
            }
            Event::Start(e) if matches!(e.name().as_ref(), b"failure" | b"system-out") => {
                text = Some(String::new())
            }
            Event::Text(t) => {
                if let Some(text) = text.as_mut() {
                    text.push_str(&t.xml10_content().unwrap_or_else(|e| panic!("{e}")));
                }
            }
            Event::GeneralRef(r) => {
                if let Some(text) = text.as_mut() {
                    match r.resolve_char_ref().unwrap_or_else(|e| panic!("{e}")) {
                        Some(c) => text.push(c),
                        None => text.push_str(
                            quick_xml::escape::resolve_predefined_entity(
                                &r.decode().unwrap_or_else(|e| panic!("{e}")),
                            )
                            .unwrap_or_else(|| panic!("unknown entity")),
                        ),
                    }
                }
            }
            Event::End(e) if matches!(e.name().as_ref(), b"failure" | b"system-out") => {
                failures.push((case.clone(), text.take().unwrap_or_default()));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(
        failures.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
        ["LT001 undeclared-consumer", "LT007 unknown-principal"]
    );
    for finding in &findings {
        let case = format!(
            "{} {}",
            text_of(&finding["code"]),
            text_of(&finding["rule"])
        );
        let failure = &failures
            .iter()
            .find(|f| f.0 == case)
            .unwrap_or_else(|| panic!("{case}"))
            .1;
        let entry = xml_chars(&format!(
            "{}: {}",
            text_of(&finding["subject"]),
            text_of(&finding["message"])
        ));
        assert!(failure.contains(&entry), "{entry:?} not in {case}");
    }
}

/// What the Markdown report shows for a name in a table cell: line breaks as spaces, other
/// control characters and bidi overrides as `\u{..}`, backticks dropped (a code span shows
/// the rest).
fn markdown_shown(name: &str) -> String {
    name.chars()
        .filter(|&c| c != '`')
        .map(|c| match c {
            '\n' | '\r' => " ".to_string(),
            c if c.is_control() || is_bidi(c) => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}

#[test]
fn hostile_names_survive_markdown() {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let d = hostile_deployment();
    let findings = hostile_findings(&d);
    let markdown = scan_format(&d, "markdown", &[]).stdout;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut cell: Option<String> = None;
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for event in Parser::new_ext(&markdown, options) {
        match event {
            Event::Html(html) | Event::InlineHtml(html) => panic!("raw HTML: {html:?}"),
            Event::Start(Tag::Link { dest_url, .. }) => panic!("a link to {dest_url}"),
            Event::Start(Tag::Image { dest_url, .. }) => panic!("an image from {dest_url}"),
            Event::Start(
                Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Heading { .. },
            ) if !rows.is_empty() => {
                panic!("markup from a name in the table")
            }
            Event::Start(Tag::TableRow | Tag::TableHead) => rows.push(Vec::new()),
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => {
                if let (Some(text), Some(row)) = (cell.take(), rows.last_mut()) {
                    row.push(text);
                }
            }
            Event::Text(text) | Event::Code(text) => {
                if let Some(cell) = cell.as_mut() {
                    cell.push_str(&text);
                }
            }
            Event::SoftBreak | Event::HardBreak => panic!("a line break in the report"),
            _ => {}
        }
    }
    assert_eq!(
        rows.len(),
        1 + findings.len(),
        "one row per finding: {markdown}"
    );
    assert!(rows.iter().all(|r| r.len() == 6), "six cells in every row");
    for (row, finding) in rows[1..].iter().zip(&findings) {
        assert_eq!(row[1], text_of(&finding["code"]));
        assert_eq!(row[3], markdown_shown(text_of(&finding["subject"])));
        assert_eq!(row[4], markdown_shown(text_of(&finding["message"])));
    }
}

#[test]
fn hostile_names_survive_dot_svg_and_mermaid() {
    let d = hostile_deployment();
    let expected: BTreeSet<String> = hostile_names()
        .iter()
        .map(|n| lintage::report::text::clean(n))
        .collect();
    let export = |format: &str| {
        let run = lintage(&["export", path_str(d.path()), "--format", format]);
        assert_eq!(run.code, 0, "{format}: {}", run.stderr);
        run.stdout
    };

    let dot = export("dot");
    let graph = graphviz_rust::parse(&dot).unwrap_or_else(|e| panic!("DOT does not parse: {e}"));
    let labels: BTreeSet<String> = crate::export::dot_labels(&graph)
        .iter()
        .map(|l| l.split('\n').next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(labels, expected);
    assert!(!dot.contains('\u{1b}') && !dot.chars().any(is_bidi));

    let svg = crate::export::run_dot(&dot);
    crate::util::assert_xml_well_formed(&svg);
    let texts = crate::export::svg_texts(&svg);
    for name in &expected {
        assert!(texts.contains(name), "{name:?} in the SVG");
    }
    let drawn = export("svg");
    crate::util::assert_xml_well_formed(&drawn);
    assert!(!drawn.contains("<script"), "markup from a name in the SVG");

    let mermaid = export("mermaid");
    let parsed = crate::export::parse_mermaid(&mermaid);
    let labels: BTreeSet<String> = parsed.labels.iter().cloned().collect();
    assert_eq!(labels, expected);
    assert_eq!(parsed.edges, 14);
}
