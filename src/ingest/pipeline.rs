//! Line logs read on every core. Reader threads stream each file (decompressing `.gz` and
//! hashing its bytes as stored) into blocks of whole lines that know their first line number;
//! parser threads turn blocks into distinct edges, kept per file. Since merging observations
//! adds counts and keeps the earliest evidence, the result does not depend on which thread
//! read which block, or in what order. Memory is the blocks in flight (a few MiB per core) and
//! the distinct edges, whatever the size of the logs.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};

use super::digest::{ContentHasher, FileDigest, HASH_BLOCK, HashState, Hashing};
use super::{
    LogStats, ObservedEdges, SAMPLES_PER_FILE, csv_log, ndjson, pgaudit, regex_log, s3_access,
};
use crate::config::FieldMap;
use crate::time::Window;

/// How a file is cut into blocks.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// Bytes read at a time; a block is this much plus the end of its last line.
    block: usize,
    /// The longest line read. A longer one is malformed, and skipped as it streams past
    /// rather than held in memory.
    max_line: usize,
}

const LIMITS: Limits = Limits {
    block: 2 << 20,
    max_line: MAX_LINE_BYTES,
};

/// The longest log line lintage reads (16 MiB).
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// How the lines of one file are read.
#[derive(Debug, Clone)]
pub enum LineFormat<'a> {
    Native {
        options: ndjson::LogOptions<'a>,
    },
    S3 {
        window: Window,
    },
    PgAudit {
        window: Window,
        transcript: Option<pgaudit::Transcript>,
    },
    Regex {
        format: &'a regex_log::LineFormat,
        fields: &'a FieldMap,
        window: Window,
    },
    /// CSV with its header read beforehand (`None`: an empty file; `Err`: a header that cannot
    /// serve, with its line, and then no row is read).
    Csv {
        columns: Result<Option<csv_log::Columns>, (u64, String)>,
        fields: &'a FieldMap,
        sql_dialect: Option<crate::ingest::sql::SqlDialect>,
        window: Window,
    },
}

/// A line log to read.
#[derive(Debug, Clone)]
pub struct LineLog<'a> {
    pub path: PathBuf,
    pub display: String,
    /// Index into `Facts::log_files`.
    pub index: usize,
    pub format: LineFormat<'a>,
    pub gz: bool,
    /// For a file that grew since it was last read: where to go on from.
    pub resume: Option<Resume>,
}

/// Where an earlier read of a file ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resume {
    /// Bytes read.
    pub offset: u64,
    /// Lines read.
    pub lines: u64,
    /// The content hash after the last whole block before `offset`.
    pub hash: HashState,
}

/// What reading one file gave.
#[derive(Debug, Default)]
pub struct FileRead {
    pub edges: ObservedEdges,
    pub stats: LogStats,
    pub digest: FileDigest,
    /// Where this read ended, to resume from when the file grows (`None` for `.gz`).
    pub end: Option<Resume>,
}

/// What a reader thread gives for one file: its digest and where the read ended.
type Produced = std::io::Result<(FileDigest, Option<Resume>)>;

/// How far a read has come, for a progress bar: updated by the parser threads, read by
/// anyone.
#[derive(Debug, Default)]
pub struct Progress {
    /// Bytes of the line logs to read (as stored).
    pub total_bytes: std::sync::atomic::AtomicU64,
    /// Bytes of log text parsed so far.
    pub bytes: std::sync::atomic::AtomicU64,
    /// Lines parsed so far.
    pub lines: std::sync::atomic::AtomicU64,
}

/// A run of whole lines of one file.
struct Block {
    file: usize,
    first_line: u64,
    bytes: Vec<u8>,
    /// Lines in `bytes` (the reader counts them to number the next block).
    lines: u64,
    /// A malformed line the reader met itself: too long, or where the file breaks off.
    note: Option<(u64, String)>,
}

/// Reads `logs` on every core. `Err` when a file cannot be opened; a file that breaks off
/// keeps what was read and counts the break as malformed.
pub fn read(logs: &[LineLog<'_>], progress: Option<&Progress>) -> Vec<std::io::Result<FileRead>> {
    // A re-scan that takes every log from the read cache starts no threads (on a busy
    // machine, waiting for threads with nothing to do took up to a few milliseconds).
    if logs.is_empty() {
        return Vec::new();
    }
    let cores = crate::threads::count();
    let readers = cores.min(logs.len()).max(1);
    let (sender, receiver) = mpsc::sync_channel::<Block>(cores * 2);
    let receiver = Mutex::new(receiver);
    let next_file = AtomicUsize::new(0);
    // Largest first, so that the last file to finish is a small one.
    let mut order: Vec<usize> = (0..logs.len()).collect();
    let size = |i: &usize| std::fs::metadata(&logs[*i].path).map_or(0, |m| m.len());
    order.sort_by_key(|i| std::cmp::Reverse(size(i)));
    if let Some(progress) = progress {
        let total: u64 = (0..logs.len()).map(|i| size(&i)).sum();
        progress.total_bytes.fetch_add(total, Ordering::Relaxed);
    }
    let produced: Mutex<Vec<Option<Produced>>> =
        Mutex::new((0..logs.len()).map(|_| None).collect());
    let parsed: Mutex<Vec<HashMap<usize, FileRead>>> = Mutex::new(Vec::new());
    // Block buffers go back to the readers once parsed: fresh ones would cost a page fault
    // (and the kernel zeroing the page) for every 4 KiB read.
    let spare: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

    std::thread::scope(|scope| {
        for _ in 0..readers {
            let sender = sender.clone();
            let (order, next_file, produced, spare) = (&order, &next_file, &produced, &spare);
            scope.spawn(move || {
                while let Some(&i) = order.get(next_file.fetch_add(1, Ordering::Relaxed)) {
                    let outcome = produce(&logs[i], i, &sender, spare);
                    if let Ok(mut slots) = produced.lock() {
                        slots[i] = Some(outcome);
                    }
                }
            });
        }
        drop(sender);
        for _ in 0..cores {
            let (receiver, parsed, spare) = (&receiver, &parsed, &spare);
            scope.spawn(move || {
                let mut mine: HashMap<usize, FileRead> = HashMap::new();
                let mut sql_cache = ndjson::SqlCache::default();
                loop {
                    let block = match receiver.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => break,
                    };
                    let Ok(block) = block else { break };
                    let read = mine.entry(block.file).or_default();
                    parse_block(&logs[block.file], &block, read, &mut sql_cache);
                    if let Some(progress) = progress {
                        let lines = memchr::memchr_iter(b'\n', &block.bytes).count();
                        progress
                            .bytes
                            .fetch_add(block.bytes.len() as u64, Ordering::Relaxed);
                        progress.lines.fetch_add(lines as u64, Ordering::Relaxed);
                    }
                    if let Ok(mut spare) = spare.lock()
                        && spare.len() < cores * 4
                    {
                        let mut buf = block.bytes;
                        buf.clear();
                        spare.push(buf);
                    }
                }
                if let Ok(mut parsed) = parsed.lock() {
                    parsed.push(mine);
                }
            });
        }
    });

    let mut files: Vec<FileRead> = (0..logs.len()).map(|_| FileRead::default()).collect();
    for mine in parsed.into_inner().unwrap_or_default() {
        for (i, read) in mine {
            files[i].edges.merge_from(read.edges);
            files[i].stats.absorb(read.stats);
        }
    }
    let produced = produced.into_inner().unwrap_or_default();
    files
        .into_iter()
        .zip(produced)
        .map(|(mut read, outcome)| {
            let (digest, end) =
                outcome.unwrap_or_else(|| Err(std::io::Error::other("a reader thread failed")))?;
            read.digest = digest;
            read.end = end;
            read.stats.trim_samples();
            Ok(read)
        })
        .collect()
}

fn parse_block(
    log: &LineLog<'_>,
    block: &Block,
    read: &mut FileRead,
    sql_cache: &mut ndjson::SqlCache,
) {
    let mut stats = LogStats::default();
    if let Some((line, reason)) = &block.note {
        stats.malformed_at(&log.display, *line, reason.clone());
    }
    let (index, display, first) = (log.index, log.display.as_str(), block.first_line);
    let bytes = block.bytes.as_slice();
    let edges = &mut read.edges;
    match &log.format {
        LineFormat::Native { options } => ndjson::read_block(
            bytes, first, index, display, options, edges, &mut stats, sql_cache,
        ),
        LineFormat::S3 { window } => {
            s3_access::read(bytes, first, index, display, *window, edges, &mut stats)
        }
        LineFormat::PgAudit { window, transcript } => pgaudit::read(
            bytes,
            first,
            index,
            display,
            *window,
            transcript.as_ref(),
            edges,
            &mut stats,
        ),
        LineFormat::Regex {
            format,
            fields,
            window,
        } => regex_log::read(
            bytes, format, fields, first, index, display, *window, edges, &mut stats,
        ),
        LineFormat::Csv {
            columns,
            fields,
            sql_dialect,
            window,
        } => match columns {
            Ok(Some(columns)) => csv_log::read(
                bytes,
                columns,
                fields,
                *sql_dialect,
                first,
                index,
                display,
                *window,
                edges,
                &mut stats,
            ),
            Ok(None) => {}
            Err((line, reason)) => {
                if (first..first + block.lines).contains(line) {
                    stats.malformed_at(display, *line, reason.clone());
                }
            }
        },
    }
    read.stats.absorb(stats);
    if read.stats.samples.len() > 4 * SAMPLES_PER_FILE {
        read.stats.trim_samples();
    }
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Streams one file into blocks; returns its digest and where the read ended.
fn produce(
    log: &LineLog<'_>,
    file_index: usize,
    sender: &mpsc::SyncSender<Block>,
    spare: &Mutex<Vec<Vec<u8>>>,
) -> Produced {
    let mut file = std::fs::File::open(&log.path)?;
    let mut hasher = ContentHasher::default();
    let mut first_line = 1;
    if let Some(resume) = log.resume.filter(|_| !log.gz) {
        // Hash again from the last whole block, then read on from where the last read ended.
        let hash_from = resume.hash.whole_blocks * HASH_BLOCK;
        file.seek(SeekFrom::Start(hash_from))?;
        hasher = ContentHasher::resume(resume.hash);
        let mut head = Hashing {
            inner: (&mut file).take(resume.offset.saturating_sub(hash_from)),
            hasher: &mut hasher,
        };
        std::io::copy(&mut head, &mut std::io::sink())?;
        first_line = resume.lines + 1;
    }
    let mut stored = Hashing {
        inner: file,
        hasher: &mut hasher,
    };
    let send = |block: Block| sender.send(block).is_ok();
    let lines;
    if log.gz {
        let mut magic = [0u8; 2];
        let (got, broke) = read_full(&mut stored, &mut magic);
        if let Some(e) = broke {
            return Err(e);
        }
        if got == 0 {
            lines = 0;
        } else if got < 2 || magic != GZIP_MAGIC {
            let reason = "not a gzip file: it does not start with the gzip signature (rename it without .gz?)";
            send(note(file_index, 1, reason.to_string()));
            lines = 0;
        } else {
            let whole = std::io::Read::chain(&magic[..], &mut stored);
            let mut decoder = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(whole));
            lines = stream(&mut decoder, file_index, first_line, LIMITS, &send, spare);
        }
        // Whatever the decoder did not consume (after a break) still belongs to the hash.
        std::io::copy(&mut stored, &mut std::io::sink())?;
    } else {
        lines = stream(&mut stored, file_index, first_line, LIMITS, &send, spare);
        std::io::copy(&mut stored, &mut std::io::sink())?;
    }
    let digest = hasher.finish();
    let end = Some(Resume {
        offset: digest.size,
        lines: first_line - 1 + lines,
        hash: hasher.state(),
    });
    Ok((digest, end))
}

fn note(file: usize, line: u64, reason: String) -> Block {
    Block {
        file,
        first_line: line,
        bytes: Vec::new(),
        lines: 0,
        note: Some((line, reason)),
    }
}

/// Reads until `buf` is full or the input ends: the number of bytes read, and the error that
/// stopped it early, if one did.
fn read_full(reader: &mut (impl Read + ?Sized), buf: &mut [u8]) -> (usize, Option<std::io::Error>) {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (filled, Some(e)),
        }
    }
    (filled, None)
}

/// Cuts what `reader` gives into blocks of whole lines and sends them; returns the number of
/// lines. A read error ends the file: what came before it is kept, and the break is a note.
fn stream(
    reader: &mut dyn Read,
    file: usize,
    first_line: u64,
    limits: Limits,
    send: &dyn Fn(Block) -> bool,
    spare: &Mutex<Vec<Vec<u8>>>,
) -> u64 {
    let mut line = first_line;
    let mut carry: Vec<u8> = Vec::new();
    // Inside a line longer than MAX_LINE_BYTES: drop bytes up to its end.
    let mut skipping = false;
    loop {
        let mut buf = spare
            .lock()
            .ok()
            .and_then(|mut s| s.pop())
            .unwrap_or_default();
        buf.extend_from_slice(&carry);
        carry.clear();
        let start = buf.len();
        buf.resize(start + limits.block, 0);
        let (got, broke) = read_full(reader, &mut buf[start..]);
        buf.truncate(start + got);
        let at_end = got < limits.block || broke.is_some();
        if skipping {
            match memchr::memchr(b'\n', &buf) {
                Some(end) => {
                    buf.drain(..=end);
                    skipping = false;
                }
                None => {
                    buf.clear();
                }
            }
        }
        // A line carried over from earlier reads may end in this one beyond the cap (the check
        // further down sees only lines that have not ended yet), and a last line may have no
        // line break: both are too long as well.
        let first_end = memchr::memchr(b'\n', &buf);
        let first_len = match first_end {
            Some(end) => end,
            None if at_end && broke.is_none() => buf.len(),
            None => 0,
        };
        if first_len > limits.max_line {
            if !send(note(file, line, too_long(limits))) {
                return line - first_line;
            }
            line += 1;
            buf.drain(..first_end.map_or(buf.len(), |end| end + 1));
        }
        let cut = if broke.is_some() {
            // The line the break cuts is no record: it is where the file breaks off.
            memchr::memrchr(b'\n', &buf).map_or(0, |end| end + 1)
        } else if at_end {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', &buf) {
                Some(end) => end + 1,
                None if buf.len() > limits.max_line => {
                    if !send(note(file, line, too_long(limits))) {
                        return line - first_line;
                    }
                    line += 1;
                    skipping = true;
                    continue;
                }
                None => {
                    carry = buf;
                    continue;
                }
            }
        };
        if broke.is_none() {
            carry.extend_from_slice(&buf[cut..]);
        }
        buf.truncate(cut);
        if !buf.is_empty() {
            let ends = memchr::memchr_iter(b'\n', &buf).count() as u64;
            let lines = ends + u64::from(buf.last() != Some(&b'\n'));
            let block = Block {
                file,
                first_line: line,
                bytes: buf,
                lines,
                note: None,
            };
            if !send(block) {
                return line - first_line;
            }
            line += lines;
        }
        if let Some(e) = broke {
            send(note(file, line, format!("the file breaks off here: {e}")));
            return line - first_line;
        }
        if at_end {
            return line - first_line;
        }
    }
}

fn too_long(limits: Limits) -> String {
    format!(
        "the line is longer than {}; it is skipped",
        size_text(limits.max_line)
    )
}

fn size_text(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A block as the tests see it: (first line, text, note).
    type Seen = (u64, String, Option<(u64, String)>);

    /// Blocks `stream` cuts `text` into with tiny limits, and the number of lines.
    fn blocks(text: &str, block: usize, max_line: usize) -> (Vec<Seen>, u64) {
        let sent = std::cell::RefCell::new(Vec::new());
        let send = |b: Block| {
            sent.borrow_mut().push((
                b.first_line,
                String::from_utf8_lossy(&b.bytes).into_owned(),
                b.note,
            ));
            true
        };
        let spare = Mutex::new(Vec::new());
        let limits = Limits { block, max_line };
        let lines = stream(&mut text.as_bytes(), 0, 1, limits, &send, &spare);
        (sent.into_inner(), lines)
    }

    #[test]
    fn blocks_hold_whole_lines_and_know_their_first_line() {
        let text = "a1\nb22\nc333\nd4444\ne\nlast";
        let (sent, lines) = blocks(text, 5, 100);
        assert_eq!(lines, 6);
        let joined: String = sent.iter().map(|(_, t, _)| t.as_str()).collect();
        assert_eq!(joined, text);
        for (first, block, note) in &sent {
            assert!(note.is_none());
            let first_in_text = text
                .split_inclusive('\n')
                .position(|l| block.starts_with(l));
            assert_eq!(
                first_in_text.map(|i| i as u64 + 1),
                Some(*first),
                "{block:?}"
            );
            assert!(
                block.ends_with('\n') || block.ends_with("last"),
                "{block:?}"
            );
        }
    }

    #[test]
    fn a_line_longer_than_the_limit_is_skipped_and_counted() {
        let long = "x".repeat(50);
        let text = format!("ok1\n{long}\nok3\n");
        let (sent, lines) = blocks(&text, 8, 20);
        assert_eq!(lines, 3);
        let notes: Vec<_> = sent.iter().filter_map(|(_, _, n)| n.clone()).collect();
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].0, 2);
        assert!(
            notes[0].1.contains("longer than 20 bytes"),
            "{}",
            notes[0].1
        );
        let kept: String = sent.iter().map(|(_, t, _)| t.as_str()).collect();
        assert_eq!(kept, "ok1\nok3\n");
        let ok3 = sent.iter().find(|(_, t, _)| t.contains("ok3"));
        assert_eq!(ok3.map(|(first, _, _)| *first), Some(3));
    }

    /// The cap holds for every length above it: also a line that ends in the read that takes
    /// the buffer past the cap (between the cap and the cap plus a block), and a last line
    /// without a line break.
    #[test]
    fn the_cap_holds_just_above_it_and_at_the_end() {
        for long in 21..=40 {
            for last in [false, true] {
                let x = "x".repeat(long);
                let text = if last {
                    format!("ok1\nok2\n{x}")
                } else {
                    format!("ok1\n{x}\nok3\n")
                };
                let (sent, lines) = blocks(&text, 8, 20);
                assert_eq!(lines, 3, "{long} {last}");
                let notes: Vec<_> = sent.iter().filter_map(|(_, _, n)| n.clone()).collect();
                assert_eq!(notes.len(), 1, "{long} {last}: {sent:?}");
                assert_eq!(notes[0].0, if last { 3 } else { 2 });
                let kept: String = sent.iter().map(|(_, t, _)| t.as_str()).collect();
                assert!(!kept.contains('x'), "{long} {last}: {kept:?}");
                let ok3 = sent.iter().find(|(_, t, _)| t.contains("ok3"));
                if !last {
                    assert_eq!(ok3.map(|(first, _, _)| *first), Some(3));
                }
            }
        }
        // A line of exactly the cap is read.
        let (sent, _) = blocks(&format!("{}\nok\n", "y".repeat(20)), 8, 20);
        assert!(sent.iter().all(|(_, _, n)| n.is_none()), "{sent:?}");
    }
}
