//! Porthole's engine: image references, the registry client, the local OCI store and
//! pulls. It knows nothing of Tauri: the desktop shell and the `porthole` CLI are both
//! thin adapters over the calls exported here (see ARCHITECTURE.md).

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
pub mod sbom;
pub mod store;
pub mod vulns;
mod web;

pub use digest::Digest;
pub use platform::Platform;
pub use reference::Reference;
