//! The `#[tauri::command]`s the UI calls, one file per concept. Each is a thin adapter:
//! it calls the engine, off the async executor when the work blocks, and maps results to
//! the DTOs of `crate::ipc`. Every command here must also be listed in `build.rs` and
//! granted in `capabilities/default.json`.

pub mod archive;
pub mod auth;
pub mod compare;
mod downloads;
pub mod file_view;
pub mod images;
pub mod inspect;
pub mod pull;
pub mod push;
mod running;
pub mod sbom;
pub mod search;
pub mod settings;
pub mod startup;
pub mod vulndb;
pub mod vulns;
