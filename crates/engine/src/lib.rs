//! Porthole's engine: image references, the registry client, the local OCI store and
//! pulls. It knows nothing of Tauri: the desktop shell and the `porthole` CLI are both
//! thin adapters over the calls exported here (see ARCHITECTURE.md).

pub mod compare;
pub mod config;
pub mod digest;
pub mod files;
pub mod hub;
pub mod layers;
pub mod packages;
pub mod platform;
pub mod pull;
pub mod reference;
pub mod registry;
pub mod rootfs;
pub mod run_config;
pub mod sbom;
pub mod store;
pub mod vulns;
mod web;

pub use digest::Digest;
pub use platform::Platform;
pub use reference::Reference;

/// Whether `cause`, met in an error's chain of causes, is already summed up by the engine
/// error above it: the engine words an HTTP client's failure itself ("connection refused"),
/// and the client's own chain below that only repeats it in hyper's terms.
pub fn summed_up_above(cause: &(dyn std::error::Error + 'static)) -> bool {
    cause.is::<reqwest::Error>()
}
