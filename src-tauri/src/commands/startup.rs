//! Start-up timing: the UI says once when its first page shows the store and can be used, and
//! the shell reports how long that took since the process started, when asked to with
//! `PORTHOLE_STARTUP_TRACE=1` (what `bench/app.sh` reads). Nothing else happens.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// When `run` began: set first thing in [`crate::run`] (monotonic, and as wall-clock
/// milliseconds to place the page's own clock, which starts at its navigation).
static STARTED: OnceLock<(Instant, f64)> = OnceLock::new();
static REPORTED: AtomicBool = AtomicBool::new(false);

/// Notes the process's start; later calls change nothing.
pub fn mark_start() {
    STARTED.get_or_init(|| {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        (Instant::now(), wall)
    });
}

/// Whether `PORTHOLE_STARTUP_TRACE` asks for the start-up line.
fn tracing_enabled() -> bool {
    std::env::var_os("PORTHOLE_STARTUP_TRACE").is_some_and(|v| !v.is_empty() && v != "0")
}

/// The UI's first page shows what the store holds and is interactive; `page_ms` is how
/// long that took the page itself, from its navigation start at `time_origin` (wall-clock
/// milliseconds), and `marks` are the page's `porthole:` performance marks (name, ms since
/// navigation). Only the first call counts.
#[tauri::command]
pub fn ui_ready(page_ms: f64, time_origin: Option<f64>, marks: Option<Vec<(String, f64)>>) {
    if REPORTED.swap(true, Ordering::Relaxed) || !tracing_enabled() {
        return;
    }
    let (elapsed, started_wall) = STARTED
        .get()
        .map(|(at, wall)| (at.elapsed(), *wall))
        .unwrap_or_default();
    eprintln!(
        "{}",
        trace_line(
            elapsed.as_millis(),
            page_ms,
            time_origin.map(|origin| origin - started_wall),
            marks.as_deref().unwrap_or_default(),
        )
    );
}

/// "porthole: interactive N ms after start (the page's own part: M ms)", then where the page
/// began and its marks. bench/app.py reads the first two numbers: keep their wording.
fn trace_line(
    elapsed_ms: u128,
    page_ms: f64,
    navigation_ms: Option<f64>,
    marks: &[(String, f64)],
) -> String {
    let mut line = format!(
        "porthole: interactive {elapsed_ms} ms after start (the page's own part: {} ms)",
        page_ms.max(0.0).round()
    );
    if let Some(at) = navigation_ms.filter(|at| at.is_finite()) {
        line.push_str(&format!("; the page began {} ms after start", at.round()));
    }
    if !marks.is_empty() {
        let marks: Vec<String> = marks
            .iter()
            .map(|(name, at)| format!("{} {}", name.trim_start_matches("porthole:"), at.round()))
            .collect();
        line.push_str(&format!("; marks (ms into the page): {}", marks.join(", ")));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::trace_line;

    #[test]
    fn the_trace_line_keeps_the_words_the_benchmark_reads() {
        let line = trace_line(
            812,
            401.6,
            Some(390.2),
            &[
                ("porthole:script".into(), 120.4),
                ("porthole:mounted".into(), 180.0),
            ],
        );
        assert_eq!(
            line,
            "porthole: interactive 812 ms after start (the page's own part: 402 ms); the page \
             began 390 ms after start; marks (ms into the page): script 120, mounted 180"
        );
        assert_eq!(
            trace_line(5, -1.0, None, &[]),
            "porthole: interactive 5 ms after start (the page's own part: 0 ms)"
        );
    }
}
