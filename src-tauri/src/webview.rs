//! How the webview renders, chosen before GTK starts.

/// Without a GPU render node (`/dev/dri/renderD*`: a virtual machine, a remote X session,
/// Xvfb), WebKitGTK's DMA-BUF renderer falls back to software GL (llvmpipe) buffers, which
/// cost the web process about 90 MiB more at idle than its shared-memory path on this
/// project's machine (bench/app.sh: 327 → 233 MiB PSS in all). There, the shared-memory
/// path is chosen, unless the user decided already (`WEBKIT_DISABLE_DMABUF_RENDERER` set to
/// anything). With a render node nothing changes.
#[cfg(target_os = "linux")]
pub fn choose_renderer() {
    const VAR: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";
    if std::env::var_os(VAR).is_some() || has_render_node(std::path::Path::new("/dev/dri")) {
        return;
    }
    // SAFETY: called first thing in `run`, on the main thread, before Tauri, GTK or any
    // other thread exists, so nothing can read the environment while it changes.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var(VAR, "1");
    }
}

#[cfg(not(target_os = "linux"))]
pub fn choose_renderer() {}

/// Whether `dir` holds a DRM render node (`renderD128`, ...).
#[cfg(target_os = "linux")]
fn has_render_node(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::has_render_node;

    #[test]
    fn a_render_node_is_recognised_and_its_absence_too() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!has_render_node(&dir.path().join("missing")));
        assert!(!has_render_node(dir.path()));
        std::fs::write(dir.path().join("card0"), "").unwrap();
        assert!(!has_render_node(dir.path()));
        std::fs::write(dir.path().join("renderD128"), "").unwrap();
        assert!(has_render_node(dir.path()));
    }
}
