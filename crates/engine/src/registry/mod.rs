//! The registry client: OCI distribution spec / Docker Registry HTTP API v2.
//!
//! - [`auth`]: `WWW-Authenticate` challenges, the Bearer token flow and its cache.
//! - [`credentials`]: Docker's and Podman's credential stores and helpers.
//! - [`client`]: endpoints (mirrors, TLS, plain HTTP for loopback), retries, redirects.
//! - [`manifest`]: manifests and indexes, negotiated, size-capped and digest-verified.
//! - [`blob`]: blobs streamed in chunks, resumed with `Range` after a dropped connection.
//! - [`catalog`]: a registry's repositories (`/v2/_catalog`) and tags (`tags/list`), paged.
//! - [`resolve`]: a full reference typed into the search box: its platforms and sizes.
//! - [`push`]: an image of the store uploaded to a registry (blobs checked, mounted or
//!   streamed; the manifest last).

pub mod auth;
pub mod blob;
pub mod catalog;
pub mod client;
pub mod credentials;
mod error;
pub mod manifest;
pub mod push;
pub mod resolve;

pub use client::{Endpoint, RegistryClient};
pub use error::RegistryError;
