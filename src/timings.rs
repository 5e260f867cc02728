//! Where a command's time goes: with `LINTAGE_TIMINGS` set, each phase prints its wall time
//! to stderr as it ends (`lintage: timing: ingest 41.2 ms`). For finding what makes a scan
//! slow on a user's own data; it never touches stdout or the report.

use std::sync::Mutex;
use std::time::Instant;

static LAST: Mutex<Option<Instant>> = Mutex::new(None);

fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("LINTAGE_TIMINGS").is_some_and(|v| !v.is_empty()))
}

// The library never prints, except this, which the user asked for.
#[allow(clippy::print_stderr)]
fn print_timing(label: &str, ms: f64) {
    eprintln!("lintage: timing: {label} {ms:.1} ms");
}

/// Ends the phase that began at the previous call (or at the first call, which only starts
/// the clock when `label` is empty) and prints how long it took.
pub fn phase(label: &str) {
    if !enabled() {
        return;
    }
    let now = Instant::now();
    let mut last = LAST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(start) = last.replace(now)
        && !label.is_empty()
    {
        let ms = now.duration_since(start).as_secs_f64() * 1000.0;
        print_timing(label, ms);
    }
}
