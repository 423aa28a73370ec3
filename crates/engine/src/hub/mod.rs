//! Docker Hub's web API (`hub.docker.com`, not the registry): repository search, a
//! repository's tags with their per-platform images and sizes, repository details, and
//! the pull rate limit that the registry reports.
//!
//! - [`client`]: [`HubClient`]: the base URL (`$PORTHOLE_HUB_URL`, the config's `hubUrl`,
//!   else `https://hub.docker.com`), search with its v2 fallback and a one-minute cache,
//!   tags paged through `next` links that must stay on the same origin, details.
//! - [`parse`]: the responses, read defensively (missing fields, counts sent as strings,
//!   logos only from Docker's hosts).
//! - [`model`]: what callers get: [`SearchPage`], [`SearchResult`], [`TagPage`], …
//! - [`ratelimit`]: `ratelimit-limit`/`ratelimit-remaining` from a manifest `HEAD`.
//!
//! Every call takes a `CancellationToken`: a caller cancels the request of a query that a
//! newer one has superseded. Time is passed in (`now`), never read here.

pub(crate) mod cache;
pub mod client;
mod error;
pub mod model;
pub mod parse;
pub mod ratelimit;

pub use cache::SEARCH_TTL;
pub use client::{DEFAULT_HUB_URL, HUB_URL_ENV, HubClient, hub_url};
pub use error::HubError;
pub use model::{
    Badge, HubRepoName, RepositoryDetails, SearchPage, SearchQuery, SearchResult, SearchRoute, Tag,
    TagImage, TagOrdering, TagPage, TagQuery,
};
pub use ratelimit::{PullRateLimit, pull_rate_limit};
