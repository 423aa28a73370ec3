//! Start-up timing: the UI says once when its first page shows the store and can be used, and
//! the shell reports how long that took since the process started, when asked to with
//! `PORTHOLE_STARTUP_TRACE=1` (what `bench/app.sh` reads). Nothing else happens.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// When `run` began: set first thing in [`crate::run`].
static STARTED: OnceLock<Instant> = OnceLock::new();
static REPORTED: AtomicBool = AtomicBool::new(false);

/// Notes the process's start; later calls change nothing.
pub fn mark_start() {
    STARTED.get_or_init(Instant::now);
}

/// Whether `PORTHOLE_STARTUP_TRACE` asks for the start-up line.
fn tracing_enabled() -> bool {
    std::env::var_os("PORTHOLE_STARTUP_TRACE").is_some_and(|v| !v.is_empty() && v != "0")
}

/// The UI's first page shows what the store holds and is interactive; `page_ms` is how
/// long that took the page itself, from its navigation start. Only the first call counts.
#[tauri::command]
pub fn ui_ready(page_ms: f64) {
    if REPORTED.swap(true, Ordering::Relaxed) || !tracing_enabled() {
        return;
    }
    let elapsed = STARTED.get().map(Instant::elapsed).unwrap_or_default();
    eprintln!(
        "porthole: interactive {} ms after start (the page's own part: {} ms)",
        elapsed.as_millis(),
        page_ms.max(0.0).round()
    );
}
