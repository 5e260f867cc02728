//! How many threads lintage's parallel steps (reading logs, running rules) use.

/// `LINTAGE_THREADS` when set (a positive number), else one per core.
pub fn count() -> usize {
    std::env::var("LINTAGE_THREADS")
        .ok()
        .and_then(|n| n.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
