//! The test harness for Porthole's registry code: every registry test builds on it.
//!
//! - [`TestRegistry`]: a real `docker-registry` (distribution 2.8) on a free loopback port, with
//!   no auth, htpasswd, or token auth ([`RegistryAuth`]).
//! - [`TokenIssuer`]: a token server like `auth.docker.io` that the registry trusts, with short
//!   lifetimes and a request log for refresh and caching tests.
//! - [`FaultProxy`]: a reverse proxy that cuts, stalls, corrupts, delays, redirects or refuses
//!   requests on demand, and counts what passes through.
//! - [`fixtures`]: real images (OCI and Docker, multi-platform, zstd, uncompressed, big layers)
//!   built in memory and pushed with `skopeo`, with every digest a test needs.
//! - [`hub::HubReplay`]: a replay server for Docker Hub's web API (search, tags, details) with
//!   recorded response shapes, paging, 429/5xx/slow/garbage answers on demand.
//! - [`tools`]: `skopeo inspect`, `skopeo copy`, `umoci unpack` as independent cross-checks.
//! - [`client::RegistryClient`]: raw pushes and authenticated requests for odd cases.
//! - [`StaticServer`]: a directory served over plain HTTP (`python3 -m http.server`).
//!
//! The harness does not depend on `porthole-engine`, so an engine bug cannot break it.
//!
//! Its servers run on a runtime of their own, and its API is blocking: call it from plain
//! `#[test]`s or from inside `#[tokio::test]`s alike (blocking a test's runtime thread briefly is
//! fine; the harness never needs that thread).
//!
//! Requirements: `docker-registry`, `skopeo` and `umoci` on `PATH` (the README's test setup);
//! missing ones make the tests panic with a message saying so rather than skip.
//!
//! ```no_run
//! use porthole_tests::fixtures::{catalog, MediaTypes};
//! use porthole_tests::proxy::Fault;
//! use porthole_tests::{FaultProxy, RegistryAuth, TestRegistry};
//!
//! let registry = TestRegistry::start(RegistryAuth::None);
//! let pushed = catalog::simple(MediaTypes::Oci).push(&registry, "library/simple", "v1");
//! let proxy = FaultProxy::in_front_of(&registry);
//! proxy.inject(Fault::cut_after(10).on("/blobs/"));
//! let reference = pushed.reference_via(&proxy.addr()); // "127.0.0.1:PROXY/library/simple:v1"
//! // … pull `reference` with the engine, then:
//! assert_eq!(proxy.unused_faults(), 0);
//! ```

pub mod client;
pub mod fixtures;
mod http;
pub mod hub;
pub mod proxy;
pub mod registry;
mod runtime;
mod static_files;
pub mod token;
pub mod tools;

/// Re-exported so tests can name methods, statuses and headers without depending on `http`.
pub use ::http::{HeaderMap, Method, StatusCode};
pub use http::{BoxError, SimpleResponse, send};
pub use proxy::FaultProxy;
pub use registry::{RegistryAuth, TestRegistry};
pub use static_files::StaticServer;
pub use token::TokenIssuer;
