//! HTTP clients for the web APIs Porthole reads (Docker Hub's, OSV's): rustls, Porthole's
//! user agent, and redirects followed only within the API's own origin (at most five), so
//! a request never wanders to another host.

use std::time::Duration;

use url::Url;

/// `porthole/<version>`, the user agent of every request Porthole sends.
pub(crate) const USER_AGENT: &str = concat!("porthole/", env!("CARGO_PKG_VERSION"));

/// A client for the API at `base`.
pub(crate) fn same_origin_client(
    base: &Url,
    connect_timeout: Duration,
    read_timeout: Duration,
) -> reqwest::Result<reqwest::Client> {
    crate::registry::client::install_crypto_provider();
    let origin = base.origin();
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 || attempt.url().origin() != origin {
                attempt.stop()
            } else {
                attempt.follow()
            }
        }))
        .connect_timeout(connect_timeout)
        .read_timeout(read_timeout)
        .tcp_nodelay(true)
        .build()
}
