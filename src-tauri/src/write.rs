//! Writing a file whole (an SBOM, the config file) through the engine's
//! [`porthole_engine::files::write_whole`], with the error a person can act on.

use std::fs::File;
use std::io;
use std::path::Path;

use crate::ipc::IpcError;

/// Replaces `path` with `bytes`; no reader ever sees half of it.
pub fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), IpcError> {
    porthole_engine::files::write_whole(path, bytes)
        .map_err(|e| IpcError::internal(format!("could not write {}: {e}", path.display())))
}

/// Why a file streamed whole was not written: what produced its bytes failed (`E`), or
/// writing them did.
pub enum Streamed<E> {
    Source(E),
    Write(io::Error),
}

impl<E> From<io::Error> for Streamed<E> {
    fn from(e: io::Error) -> Streamed<E> {
        Streamed::Write(e)
    }
}

/// Replaces `path` with what `fill` writes (a file of gigabytes), once `fill` succeeded; on
/// any failure `path` is left as it was. `source` maps the error of what produced the bytes;
/// a failed write is "could not write PATH".
pub fn write_whole_with<T, E>(
    path: &Path,
    fill: impl FnOnce(&mut File) -> Result<T, Streamed<E>>,
    source: impl FnOnce(E) -> IpcError,
) -> Result<T, IpcError> {
    porthole_engine::files::write_whole_with(path, fill).map_err(|e| match e {
        Streamed::Source(e) => source(e),
        Streamed::Write(e) => {
            IpcError::internal(format!("could not write {}: {e}", path.display()))
        }
    })
}
