//! How the webview renders: on the CPU unless asked otherwise.
//!
//! WebKitGTK's GPU compositing loads the system's OpenGL driver into both the app and its
//! web process (under Mesa's llvmpipe, LLVM alone is ~20 MiB of each) and keeps compositing
//! buffers besides. Porthole's pages are lists, tables and text that repaint little, and CPU
//! rendering measured ~90 MiB less idle memory with no slower start-up (bench/app.sh), so
//! hardware acceleration is off unless `PORTHOLE_GPU=1` turns it back on.
//!
//! In that CPU mode WebKitGTK's DMA-BUF renderer (how the web process hands GPU-composited
//! frames to the app) is not needed; turning it off (`WEBKIT_DISABLE_DMABUF_RENDERER=1`, read
//! by WebKitGTK itself) measured ~9 MiB less idle PSS (the app ~3.5 MiB, the web process
//! ~6 MiB) with no slower start-up. WebKitGTK reads it only from the environment, so
//! [`prepare_environment`] sets it at the top of `main`, before GTK and WebKit start, unless
//! the user set it or asked for the GPU.

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

/// Variables WebKitGTK reads from the environment, set for the CPU mode: what each costs and
/// saves is in the module's documentation.
const CPU_MODE_ENV: &[(&str, &str)] = &[("WEBKIT_DISABLE_DMABUF_RENDERER", "1")];

/// Sets the environment of the CPU mode (`CPU_MODE_ENV`) for this process and the WebKit
/// processes it starts. Call it first thing in `main`, before GTK or WebKit read the
/// environment.
///
/// # Safety
///
/// No other thread may exist yet: it writes the process environment (`std::env::set_var`).
#[allow(unsafe_code)]
pub unsafe fn prepare_environment() {
    let wanted = environment_to_set(gpu_requested(), |name| std::env::var_os(name).is_some());
    for (name, value) in wanted {
        // SAFETY: the caller guarantees that this is the only thread.
        unsafe { std::env::set_var(name, value) };
    }
}

/// The variables to set: none with `PORTHOLE_GPU=1`, and never one the user already set
/// (whatever its value: theirs wins).
fn environment_to_set(
    gpu: bool,
    is_set: impl Fn(&str) -> bool,
) -> Vec<(&'static str, &'static str)> {
    if gpu || !cfg!(target_os = "linux") {
        return Vec::new();
    }
    CPU_MODE_ENV
        .iter()
        .copied()
        .filter(|(name, _)| !is_set(name))
        .collect()
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
    use super::{environment_to_set, gpu_requested_by};
    use std::ffi::OsStr;

    #[test]
    #[cfg(target_os = "linux")]
    fn the_cpu_mode_turns_off_the_dmabuf_renderer_unless_the_user_chose() {
        let dmabuf = "WEBKIT_DISABLE_DMABUF_RENDERER";
        assert_eq!(environment_to_set(false, |_| false), [(dmabuf, "1")]);
        // The user's own value, even "0", is left alone.
        assert!(environment_to_set(false, |name| name == dmabuf).is_empty());
        // PORTHOLE_GPU=1 gets WebKitGTK's defaults.
        assert!(environment_to_set(true, |_| false).is_empty());
    }

    #[test]
    fn only_an_explicit_yes_turns_the_gpu_on() {
        assert!(!gpu_requested_by(None));
        assert!(!gpu_requested_by(Some(OsStr::new(""))));
        assert!(!gpu_requested_by(Some(OsStr::new("0"))));
        assert!(gpu_requested_by(Some(OsStr::new("1"))));
        assert!(gpu_requested_by(Some(OsStr::new("TRUE"))));
    }
}
