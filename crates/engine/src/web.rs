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

/// How [`failure`] starts when the TLS handshake failed.
pub(crate) const TLS_FAILED: &str = "the TLS handshake failed";

/// What went wrong with a request, in the words a person can act on: "connection refused",
/// "timed out", "the TLS handshake failed: invalid peer certificate: UnknownIssuer". reqwest's
/// own message only says "error sending request for url (…)"; the reason is at the bottom of
/// its chain of causes, under layers of hyper's wording.
pub(crate) fn failure(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    use std::io::ErrorKind;

    let mut innermost = None;
    let mut io_kind = None;
    let mut tls = None;
    let mut dns = false;
    let mut incomplete = false;
    let mut cause = error.source();
    while let Some(c) = cause {
        let text = c.to_string();
        dns |= text.starts_with("dns error");
        incomplete |= text.contains("connection closed before message completed");
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            io_kind = Some(io.kind());
            if let Some(e) = rustls_error_in(io) {
                tls = Some(e.to_string());
            }
        }
        innermost = Some(text);
        cause = c.source();
    }
    if let Some(tls) = tls {
        return format!("{TLS_FAILED}: {tls}");
    }
    if dns {
        let detail = innermost.unwrap_or_default();
        return format!("the host name cannot be resolved ({detail})");
    }
    match io_kind {
        Some(ErrorKind::ConnectionRefused) => return "connection refused".into(),
        Some(ErrorKind::ConnectionReset) => return "the server reset the connection".into(),
        Some(ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe) => {
            return "the connection was cut".into();
        }
        Some(ErrorKind::TimedOut) => return "timed out".into(),
        Some(ErrorKind::UnexpectedEof) => return "the server closed the connection early".into(),
        Some(ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable) => {
            return "no route to the host".into();
        }
        _ => {}
    }
    if error.is_timeout() {
        return "timed out".into();
    }
    if incomplete {
        return "the server closed the connection early".into();
    }
    match innermost {
        Some(text) => text,
        None => error.to_string(),
    }
}

/// rustls's error travels inside an io::Error (inside another, with hyper-rustls), whose
/// `source` skips what it wraps.
fn rustls_error_in(io: &std::io::Error) -> Option<&rustls::Error> {
    let mut inner = io.get_ref()?;
    loop {
        if let Some(e) = inner.downcast_ref::<rustls::Error>() {
            return Some(e);
        }
        inner = inner.downcast_ref::<std::io::Error>()?.get_ref()?;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::failure;

    fn client() -> reqwest::Client {
        crate::registry::client::install_crypto_provider();
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .read_timeout(Duration::from_millis(300))
            .build()
            .unwrap()
    }

    /// A server on loopback that reads the request head and then does `then` with the socket.
    async fn serve(then: &'static str) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut head = [0u8; 4096];
            let _ = socket.read(&mut head).await;
            match then {
                "close" => drop(socket),
                "half a body" => {
                    let _ = socket
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf")
                        .await;
                    drop(socket);
                }
                _ => tokio::time::sleep(Duration::from_secs(30)).await,
            }
        });
        format!("http://{addr}/v2/")
    }

    #[tokio::test]
    async fn a_refused_connection_says_so() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let err = client()
            .get(format!("http://127.0.0.1:{port}/v2/"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(failure(&err), "connection refused", "{err:?}");
    }

    #[tokio::test]
    async fn a_server_that_hangs_up_before_answering_is_named() {
        let url = serve("close").await;
        let err = client().get(url).send().await.unwrap_err();
        assert_eq!(
            failure(&err),
            "the server closed the connection early",
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_body_cut_short_is_named() {
        let url = serve("half a body").await;
        let response = client().get(url).send().await.unwrap();
        let err = response.bytes().await.unwrap_err();
        assert_eq!(
            failure(&err),
            "the server closed the connection early",
            "{err:?}"
        );
    }

    struct NoSuchHost;

    impl reqwest::dns::Resolve for NoSuchHost {
        fn resolve(&self, _: reqwest::dns::Name) -> reqwest::dns::Resolving {
            Box::pin(async {
                Err(std::io::Error::other(
                    "failed to lookup address information: Name or service not known",
                )
                .into())
            })
        }
    }

    #[tokio::test]
    async fn a_host_name_that_does_not_resolve_is_named() {
        // The resolver is the test's own: no query leaves the machine.
        let client = reqwest::Client::builder()
            .dns_resolver(std::sync::Arc::new(NoSuchHost))
            .build()
            .unwrap();
        let err = client
            .get("http://registry.invalid/v2/")
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            failure(&err),
            "the host name cannot be resolved \
             (failed to lookup address information: Name or service not known)",
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out() {
        let url = serve("hang").await;
        let err = client().get(url).send().await.unwrap_err();
        assert_eq!(failure(&err), "timed out", "{err:?}");
    }
}
