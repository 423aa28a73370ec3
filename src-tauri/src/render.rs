//! How the webview renders: on the CPU unless asked otherwise.
//!
//! WebKitGTK's GPU compositing loads the system's OpenGL driver into both the app and its
//! web process (under Mesa's llvmpipe, LLVM alone is ~20 MiB of each) and keeps compositing
//! buffers besides. Porthole's pages are lists, tables and text that repaint little, and CPU
//! rendering measured ~90 MiB less idle memory with no slower start-up (bench/app.sh), so
//! hardware acceleration is off unless `PORTHOLE_GPU=1` turns it back on.

/// The environment variable that gives the webview WebKitGTK's own default back (GPU
/// compositing).
pub const GPU_ENV: &str = "PORTHOLE_GPU";

/// Whether the user asked for GPU compositing (`PORTHOLE_GPU=1`).
pub fn gpu_requested() -> bool {
    gpu_requested_by(std::env::var_os(GPU_ENV).as_deref())
}

fn gpu_requested_by(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// Applies the rendering choice to a window's webview.
pub fn configure<R: tauri::Runtime>(window: &tauri::WebviewWindow<R>) {
    let gpu = gpu_requested();
    #[cfg(target_os = "linux")]
    let applied = window.with_webview(move |webview| {
        use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
        // With PORTHOLE_GPU=1 the setting is left as this WebKitGTK's default has it.
        if let Some(settings) = webview.inner().settings().filter(|_| !gpu) {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
        // PROBE (temporary)
        if std::env::var_os("PORTHOLE_PROBE_CACHE").is_some() {
            use webkit2gtk::WebContextExt;
            if let Some(ctx) = webview.inner().context() {
                ctx.set_cache_model(webkit2gtk::CacheModel::DocumentViewer);
            }
        }
        if let Some(mb) = std::env::var("PORTHOLE_PROBE_NETMP").ok().and_then(|v| v.parse::<u32>().ok()) {
            let mut s = webkit2gtk::MemoryPressureSettings::new();
            s.set_memory_limit(mb);
            webkit2gtk::WebsiteDataManager::set_memory_pressure_settings(&mut s);
        }
        if std::env::var_os("PORTHOLE_PROBE_NOPAGECACHE").is_some() {
            if let Some(settings) = webview.inner().settings() {
                settings.set_enable_page_cache(false);
            }
        }
    });
    #[cfg(not(target_os = "linux"))]
    let applied: tauri::Result<()> = {
        let _ = (window, gpu);
        Ok(())
    };
    if let Err(e) = applied {
        eprintln!("porthole: could not configure the webview's rendering: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::gpu_requested_by;
    use std::ffi::OsStr;

    #[test]
    fn only_an_explicit_yes_turns_the_gpu_on() {
        assert!(!gpu_requested_by(None));
        assert!(!gpu_requested_by(Some(OsStr::new(""))));
        assert!(!gpu_requested_by(Some(OsStr::new("0"))));
        assert!(gpu_requested_by(Some(OsStr::new("1"))));
        assert!(gpu_requested_by(Some(OsStr::new("TRUE"))));
    }
}
