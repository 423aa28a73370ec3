//! Writing a file whole (an SBOM, the config file) through the engine's
//! [`porthole_engine::files::write_whole`], with the error a person can act on.

use std::path::Path;

use crate::ipc::IpcError;

/// Replaces `path` with `bytes`; no reader ever sees half of it.
pub fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), IpcError> {
    porthole_engine::files::write_whole(path, bytes)
        .map_err(|e| IpcError::internal(format!("could not write {}: {e}", path.display())))
}
