//! An image's root filesystem out of the store, without a container engine: [`unpack`]
//! writes it into a directory as `umoci unpack` does, [`export`] streams it as one tar as
//! `crane export` does.
//!
//! The parts:
//! - `layer`: a stored layer read back entry by entry (the engine's decoders; the diff_id
//!   checked at the end of each layer's stream) and the image's layer list.
//! - `apply`: the extraction rules (OCI whiteouts and opaque directories, symlinks followed
//!   under the root as a chroot would, hard links, replacement), written once over a
//!   `Tree`;
//! - `disk`: that tree on disk, reached only through directory descriptors (`openat` and
//!   friends, never following a symlink), so nothing is written outside the target;
//! - `model`: the same tree in memory, without content, which `export` plans with;
//! - `unpack` and `export`: the two operations.
//!
//! Everything here is blocking: call it from a blocking thread, never from the async
//! executor.

mod apply;
mod disk;
mod error;
mod export;
mod layer;
mod model;
mod unpack;

pub use error::RootfsError;
pub use export::{ExportReport, export};
pub use unpack::{Skipped, UnpackOptions, UnpackProgress, UnpackReport, unpack};
