//! Human output helpers: one-line errors, sizes, times, and pull progress.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use porthole_engine::pull::PullEvent;

/// An error and its causes on one line, without repeating a cause that the message
/// above it already quotes or sums up.
pub fn error_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        if porthole_engine::summed_up_above(cause) {
            break;
        }
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line.replace('\n', " ")
}

/// `74.8 MB`, as Docker prints sizes (powers of 1000).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        return format!("{bytes} B");
    }
    // Three significant digits with trailing zeros dropped, like Go's %.3g in go-units.
    let decimals = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    let mut text = format!("{value:.decimals$}");
    if text.contains('.') {
        text = text.trim_end_matches('0').trim_end_matches('.').to_owned();
    }
    format!("{text} {}", UNITS[unit])
}

/// Pull progress: per-layer bars on a terminal (as `docker pull` draws them), one line
/// per layer event otherwise; nothing at all with `--json`.
pub struct PullProgress {
    mode: Mode,
}

enum Mode {
    Quiet,
    Lines,
    Bars {
        multi: MultiProgress,
        bars: Mutex<HashMap<String, ProgressBar>>,
    },
}

impl PullProgress {
    pub fn new(json: bool) -> PullProgress {
        let mode = if json {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bars {
                multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                bars: Mutex::default(),
            }
        } else {
            Mode::Lines
        };
        PullProgress { mode }
    }

    pub fn event(&self, event: PullEvent) {
        match &self.mode {
            Mode::Quiet => {}
            Mode::Lines => match event {
                PullEvent::Resolved {
                    reference,
                    digest,
                    platform,
                    layers,
                } => eprintln!(
                    "{reference}: resolved to {digest} ({platform}, {} layer{})",
                    layers.len(),
                    if layers.len() == 1 { "" } else { "s" }
                ),
                PullEvent::LayerExists { digest } => {
                    eprintln!("{}: Already exists", digest.short())
                }
                PullEvent::LayerRetrying {
                    digest,
                    attempt,
                    reason,
                } => eprintln!("{}: retrying (attempt {attempt}): {reason}", digest.short()),
                PullEvent::LayerDone { digest } => eprintln!("{}: Pull complete", digest.short()),
                _ => {}
            },
            Mode::Bars { multi, bars } => {
                let mut bars = bars.lock().unwrap_or_else(|p| p.into_inner());
                match event {
                    PullEvent::Resolved { layers, .. } => {
                        let style = ProgressStyle::with_template(
                            "{prefix}: {msg:<16} [{bar:30}] {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> ");
                        for l in layers {
                            let bar = multi.add(ProgressBar::new(l.size));
                            bar.set_style(style.clone());
                            bar.set_prefix(l.digest.short().to_owned());
                            bar.set_message("Waiting");
                            bars.insert(l.digest.to_string(), bar);
                        }
                    }
                    PullEvent::LayerExists { digest } => {
                        if let Some(b) = bars.get(&digest.to_string()) {
                            b.finish_with_message("Already exists");
                        }
                    }
                    PullEvent::LayerProgress {
                        digest, downloaded, ..
                    } => {
                        if let Some(b) = bars.get(&digest.to_string()) {
                            b.set_message("Downloading");
                            b.set_position(downloaded);
                        }
                    }
                    PullEvent::LayerRetrying {
                        digest, attempt, ..
                    } => {
                        if let Some(b) = bars.get(&digest.to_string()) {
                            b.set_message(format!("Retrying ({attempt})"));
                        }
                    }
                    PullEvent::LayerVerifying { digest } => {
                        if let Some(b) = bars.get(&digest.to_string()) {
                            b.set_message("Verifying");
                        }
                    }
                    PullEvent::LayerIndexing { digest } => {
                        if let Some(b) = bars.get(&digest.to_string()) {
                            b.set_message("Indexing files");
                        }
                    }
                    PullEvent::LayerDone { digest } => {
                        if let Some(b) = bars.get(&digest.to_string()) {
                            b.finish_with_message("Pull complete");
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Bytes moving through a reader or writer (an archive being saved or loaded), shown as a
/// bar on stderr when it is a terminal and the output is not JSON; otherwise nothing.
pub struct Transfer<T> {
    inner: T,
    bar: Option<ProgressBar>,
}

impl<T> Transfer<T> {
    /// `verb` ("Loading", "Saving") and the total when known.
    pub fn new(inner: T, verb: &str, total: Option<u64>, json: bool) -> Transfer<T> {
        let bar = (!json && std::io::stderr().is_terminal()).then(|| {
            let (bar, template) = match total {
                Some(len) => (
                    ProgressBar::new(len),
                    "{msg} [{bar:30}] {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec}",
                ),
                None => (
                    ProgressBar::no_length(),
                    "{msg} {spinner} {decimal_bytes} {decimal_bytes_per_sec}",
                ),
            };
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_message(verb.to_owned());
            bar
        });
        Transfer { inner, bar }
    }

    fn count(&self, n: usize) {
        if let Some(bar) = &self.bar {
            bar.inc(n as u64);
        }
    }
}

impl<T> Drop for Transfer<T> {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl<T: std::io::Read> std::io::Read for Transfer<T> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count(n);
        Ok(n)
    }
}

impl<T: std::io::Write> std::io::Write for Transfer<T> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count(n);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_docker() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1_000), "1 kB");
        assert_eq!(human_size(74_812_345), "74.8 MB");
        assert_eq!(human_size(187_000_000), "187 MB");
        assert_eq!(human_size(1_234_567_890), "1.23 GB");
    }

    #[test]
    fn error_line_skips_repeated_causes() {
        let inner = std::io::Error::other("connection refused");
        let e = anyhow::Error::new(inner).context("cannot reach registry x: connection refused");
        assert_eq!(
            error_line(&e),
            "cannot reach registry x: connection refused"
        );
    }
}
