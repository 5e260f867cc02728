//! A progress bar on stderr while logs are read: only on a terminal, not in CI (`CI` set),
//! not with `--quiet`, and only once a scan has taken more than a moment.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use lintage::ingest::pipeline::Progress;

/// Scans quicker than this show no bar.
const QUIET_FOR: Duration = Duration::from_millis(400);
const TICK: Duration = Duration::from_millis(100);

/// Draws the bar until dropped.
pub struct Bar {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Bar {
    /// Starts a bar for `progress`, or nothing when no bar should show.
    pub fn start(progress: &Arc<Progress>, quiet: bool) -> Bar {
        let done = Arc::new(AtomicBool::new(false));
        let wanted = !quiet && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let thread = wanted.then(|| {
            let (progress, done) = (Arc::clone(progress), Arc::clone(&done));
            std::thread::spawn(move || draw(&progress, &done))
        });
        Bar { done, thread }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn draw(progress: &Progress, done: &AtomicBool) {
    let started = std::time::Instant::now();
    while started.elapsed() < QUIET_FOR {
        if done.load(Ordering::Relaxed) {
            return;
        }
        std::thread::sleep(TICK);
    }
    let style = ProgressStyle::with_template(
        "{spinner} reading logs [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    let bar = ProgressBar::new(progress.total_bytes.load(Ordering::Relaxed)).with_style(style);
    while !done.load(Ordering::Relaxed) {
        let total = progress.total_bytes.load(Ordering::Relaxed);
        // Decompressed text may outgrow the stored size of gzip files.
        let bytes = progress.bytes.load(Ordering::Relaxed);
        bar.set_length(total.max(bytes));
        bar.set_position(bytes);
        let lines = progress.lines.load(Ordering::Relaxed);
        bar.set_message(format!("{lines} records"));
        std::thread::sleep(TICK);
    }
    bar.finish_and_clear();
}
