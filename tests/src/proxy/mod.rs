//! A reverse proxy that tests steer at run time to inject faults between a client and a registry.
//!
//! [`FaultProxy`] listens on `127.0.0.1:PORT` and forwards every request to its upstream (a
//! [`TestRegistry`] or any plain-HTTP server), headers both ways (`WWW-Authenticate`,
//! `Docker-Content-Digest`, `Range`/`Content-Range`, …) except the hop-by-hop ones. It keeps the
//! client's `Host` header, so distribution builds upload `Location`s that point back at the
//! proxy, and it rewrites any `Location` that still names the upstream: pushes through the proxy
//! work. The registry's Bearer realm is not rewritten (the token issuer is reached directly).
//!
//! Faults are [`Fault`] rules injected with [`FaultProxy::inject`]; every request is recorded
//! ([`FaultProxy::requests`], [`FaultProxy::request_count`]).

mod body;
mod fault;
mod storage;

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri};
use http_body_util::BodyExt;
use hyper::body::Incoming;

pub use fault::{Fault, Framing, StorageHost};

use crate::http::{self as h, Body, Server};
use crate::registry::TestRegistry;
use body::{BodyFault, FaultBody, PaddingBody};
use fault::Action;

/// Which server of the proxy saw a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The proxy itself.
    Proxy,
    /// A storage server that redirected blob downloads land on.
    Storage(StorageHost),
}

/// A request as the proxy (or one of its storage servers) received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// Which server received it.
    pub origin: Origin,
    /// The method.
    pub method: Method,
    /// The path, without the query.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The request headers, as received.
    pub headers: HeaderMap,
    /// The status answered (`502` if the upstream could not be reached; `0` when the
    /// connection was cut before any answer, by [`Fault::cut_request_after`]).
    pub status: u16,
    /// When the proxy received it (before any delay it applied).
    pub received: std::time::Instant,
    /// The fault applied (`"cut"`, `"stall"`, `"flip"`, `"status"`, `"redirect"`, `"oversize"`,
    /// `"delay"`, `"cut_request"`), if any.
    pub fault: Option<&'static str>,
}

impl RecordedRequest {
    /// The header `name` as a string, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub(crate) struct Ticket {
    path_and_query: String,
    authorization: Option<HeaderValue>,
}

pub(crate) struct Shared {
    upstream: String,
    authority: String,
    faults: Mutex<Vec<Fault>>,
    log: Mutex<Vec<RecordedRequest>>,
    tickets: Mutex<HashMap<u64, Ticket>>,
    next_ticket: AtomicU64,
    storage_authorities: Mutex<HashMap<StorageHost, String>>,
}

/// A fault-injecting reverse proxy on `127.0.0.1:PORT`; stopped (with its storage servers and
/// every open connection) on drop.
///
/// ```no_run
/// use porthole_tests::proxy::{Fault, FaultProxy};
/// use porthole_tests::{RegistryAuth, TestRegistry};
/// let registry = TestRegistry::start(RegistryAuth::None);
/// let proxy = FaultProxy::in_front_of(&registry);
/// proxy.inject(Fault::cut_after(1024).on("/blobs/"));
/// proxy.inject(Fault::status(503).on("/manifests/").times(2));
/// // … pull from proxy.url() …
/// assert_eq!(proxy.request_count("/blobs/"), 2);
/// ```
pub struct FaultProxy {
    shared: Arc<Shared>,
    server: Server,
    storages: Mutex<Vec<Server>>,
}

impl FaultProxy {
    /// Starts a proxy in front of `upstream` (`HOST:PORT`, plain HTTP).
    pub fn start(upstream: &str) -> Self {
        let listener = h::bind_loopback("127.0.0.1");
        let authority = listener.local_addr().expect("proxy address").to_string();
        let shared = Arc::new(Shared {
            upstream: upstream.to_owned(),
            authority,
            faults: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
            tickets: Mutex::new(HashMap::new()),
            next_ticket: AtomicU64::new(1),
            storage_authorities: Mutex::new(HashMap::new()),
        });
        let server = Server::start(listener, handler(shared.clone(), Origin::Proxy))
            .expect("start the fault proxy");
        Self {
            shared,
            server,
            storages: Mutex::new(Vec::new()),
        }
    }

    /// Starts a proxy in front of `registry`.
    pub fn in_front_of(registry: &TestRegistry) -> Self {
        Self::start(registry.addr())
    }

    /// `127.0.0.1:PORT`: use it in image references to pull through the proxy.
    pub fn addr(&self) -> String {
        self.server.addr().to_string()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// The upstream `HOST:PORT`.
    pub fn upstream(&self) -> &str {
        &self.shared.upstream
    }

    /// Adds a fault rule (after the existing ones). Starts the storage server a redirect needs.
    pub fn inject(&self, fault: Fault) {
        if let Action::Redirect(host) = fault.action {
            self.storage_url(host);
        }
        self.shared.faults.lock().expect("faults").push(fault);
    }

    /// Removes every fault rule, used up or not.
    pub fn clear_faults(&self) {
        self.shared.faults.lock().expect("faults").clear();
    }

    /// How many rules can still fire (unlimited ones included): 0 once every fault has happened.
    pub fn unused_faults(&self) -> usize {
        self.shared
            .faults
            .lock()
            .expect("faults")
            .iter()
            .filter(|f| f.remaining != Some(0))
            .count()
    }

    /// Every request the proxy received, in the order their responses started.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.log()
            .into_iter()
            .filter(|r| r.origin == Origin::Proxy)
            .collect()
    }

    /// Every request the storage servers received (redirected downloads).
    pub fn storage_requests(&self) -> Vec<RecordedRequest> {
        self.log()
            .into_iter()
            .filter(|r| r.origin != Origin::Proxy)
            .collect()
    }

    /// How many requests (any method) reached the proxy with a path containing `pattern`.
    pub fn request_count(&self, pattern: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.path.contains(pattern))
            .count()
    }

    /// How many `method` requests reached the proxy with a path containing `pattern`: e.g.
    /// `request_count_for(Method::GET, "/blobs/sha256:…")` to check a shared layer was fetched once.
    pub fn request_count_for(&self, method: Method, pattern: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method && r.path.contains(pattern))
            .count()
    }

    /// Forgets every recorded request (fault rules are kept).
    pub fn reset_log(&self) {
        self.shared.log.lock().expect("request log").clear();
    }

    /// The base URL (`http://HOST:PORT`) of the storage server for `host`, starting it if needed.
    pub fn storage_url(&self, host: StorageHost) -> String {
        let mut authorities = self
            .shared
            .storage_authorities
            .lock()
            .expect("storage servers");
        if let Some(authority) = authorities.get(&host) {
            return format!("http://{authority}");
        }
        let (server, authority) = storage::start(&self.shared, host);
        self.storages.lock().expect("storage servers").push(server);
        authorities.insert(host, authority.clone());
        format!("http://{authority}")
    }

    fn log(&self) -> Vec<RecordedRequest> {
        self.shared.log.lock().expect("request log").clone()
    }
}

pub(crate) fn handler(shared: Arc<Shared>, origin: Origin) -> h::Handler {
    Arc::new(move |req| {
        let shared = shared.clone();
        Box::pin(async move { shared.handle(req, origin).await })
    })
}

impl Shared {
    fn take_fault(&self, method: &Method, path: &str) -> Option<Fault> {
        let mut faults = self.faults.lock().expect("faults");
        let fault = faults.iter_mut().find(|f| f.matches(method, path))?;
        if let Some(remaining) = fault.remaining.as_mut() {
            *remaining -= 1;
        }
        Some(fault.clone())
    }

    async fn handle(&self, req: Request<Incoming>, origin: Origin) -> Response<Body> {
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let query = req.uri().query().map(str::to_owned);
        let headers = req.headers().clone();
        let received = std::time::Instant::now();
        let fault = self.take_fault(&method, &path);
        if let Some(Action::CutRequestAfter(n)) = fault.as_ref().map(|f| &f.action) {
            let (parts, body) = req.into_parts();
            let cut = FaultBody::new(h::incoming(body), BodyFault::Cut(*n)).boxed();
            // The upstream sees the body end early and fails the request; its answer (if
            // any) is dropped with the client's connection below.
            drop(self.forward_parts_to_upstream(parts, cut).await);
            self.log.lock().expect("request log").push(RecordedRequest {
                origin,
                method,
                path,
                query,
                headers,
                received,
                status: 0,
                fault: Some("cut_request"),
            });
            // Unwinding the connection's task closes its socket without a response: the only
            // way out of a hyper service that leaves the client with a cut connection. Unlike
            // `panic!`, `resume_unwind` runs no panic hook, so nothing is printed.
            std::panic::resume_unwind(Box::new("connection cut by the fault proxy"));
        }
        let response = match fault.as_ref().map(|f| &f.action) {
            None => self.forward(req, origin).await,
            Some(Action::CutRequestAfter(_)) => unreachable!("handled above"),
            Some(Action::Delay(delay)) => {
                tokio::time::sleep(*delay).await;
                self.forward(req, origin).await
            }
            Some(Action::Respond {
                status,
                headers,
                body,
            }) => {
                let mut response = Response::new(h::full(body.clone()));
                *response.status_mut() =
                    StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                for (name, value) in headers {
                    if let (Ok(name), Ok(value)) = (
                        HeaderName::try_from(name.as_str()),
                        HeaderValue::try_from(value.as_str()),
                    ) {
                        response.headers_mut().append(name, value);
                    }
                }
                response
            }
            Some(Action::Redirect(host)) if origin == Origin::Proxy => self.redirect(*host, &req),
            Some(Action::Redirect(_)) => self.forward(req, origin).await,
            Some(Action::CutAfter(n)) => self.forward_with(req, origin, BodyFault::Cut(*n)).await,
            Some(Action::StallAfter(n)) => {
                self.forward_with(req, origin, BodyFault::Stall(*n)).await
            }
            Some(Action::FlipByte(n)) => self.forward_with(req, origin, BodyFault::Flip(*n)).await,
            Some(Action::Oversize { len, framing }) => {
                let (mut parts, _) = self.forward(req, origin).await.into_parts();
                parts.headers.remove(header::CONTENT_LENGTH);
                if *framing == Framing::ContentLength {
                    parts
                        .headers
                        .insert(header::CONTENT_LENGTH, HeaderValue::from(*len));
                }
                Response::from_parts(parts, PaddingBody::new(*len).boxed())
            }
        };
        self.log.lock().expect("request log").push(RecordedRequest {
            origin,
            method,
            path,
            query,
            headers,
            received,
            status: response.status().as_u16(),
            fault: fault.map(|f| f.name()),
        });
        response
    }

    async fn forward_with(
        &self,
        req: Request<Incoming>,
        origin: Origin,
        fault: BodyFault,
    ) -> Response<Body> {
        let (parts, body) = self.forward(req, origin).await.into_parts();
        Response::from_parts(parts, FaultBody::new(body, fault).boxed())
    }

    async fn forward(&self, req: Request<Incoming>, origin: Origin) -> Response<Body> {
        match origin {
            Origin::Proxy => self.forward_to_upstream(req).await,
            Origin::Storage(_) => storage::serve(self, req).await,
        }
    }

    async fn forward_to_upstream(&self, req: Request<Incoming>) -> Response<Body> {
        let (parts, body) = req.into_parts();
        self.forward_parts_to_upstream(parts, h::incoming(body))
            .await
    }

    async fn forward_parts_to_upstream(
        &self,
        mut parts: http::request::Parts,
        body: Body,
    ) -> Response<Body> {
        let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        parts.uri = match Uri::try_from(format!("http://{}{path_and_query}", self.upstream)) {
            Ok(uri) => uri,
            Err(err) => return bad_gateway(&format!("bad upstream URI: {err}")),
        };
        strip_hop_by_hop(&mut parts.headers);
        let request = Request::from_parts(parts, body);
        let response = match h::client().request(request).await {
            Ok(response) => response,
            Err(err) => return bad_gateway(&format!("upstream {} failed: {err}", self.upstream)),
        };
        let (mut parts, body) = response.into_parts();
        strip_hop_by_hop(&mut parts.headers);
        if let Some(location) = parts
            .headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
        {
            let upstream_prefix = format!("http://{}", self.upstream);
            if let Some(rest) = location.strip_prefix(&upstream_prefix)
                && let Ok(rewritten) =
                    HeaderValue::try_from(format!("http://{}{rest}", self.authority))
            {
                parts.headers.insert(header::LOCATION, rewritten);
            }
        }
        Response::from_parts(parts, h::incoming(body))
    }

    fn redirect(&self, host: StorageHost, req: &Request<Incoming>) -> Response<Body> {
        let Some(authority) = self
            .storage_authorities
            .lock()
            .expect("storage")
            .get(&host)
            .cloned()
        else {
            return bad_gateway("redirect fault without a storage server");
        };
        let id = self
            .next_ticket
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let path_and_query = req
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        let name = req
            .uri()
            .path()
            .rsplit('/')
            .next()
            .unwrap_or("blob")
            .to_owned();
        self.tickets.lock().expect("tickets").insert(
            id,
            Ticket {
                path_and_query,
                authorization: req.headers().get(header::AUTHORIZATION).cloned(),
            },
        );
        let mut response = Response::new(h::empty());
        *response.status_mut() = StatusCode::TEMPORARY_REDIRECT;
        let location = format!("http://{authority}/storage/{id}/{name}?X-Porthole-Signature=test");
        response.headers_mut().insert(
            header::LOCATION,
            HeaderValue::try_from(location).expect("ASCII location"),
        );
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(0));
        response
    }
}

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    for name in [
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    ] {
        headers.remove(name);
    }
}

pub(crate) fn bad_gateway(message: &str) -> Response<Body> {
    let mut response = Response::new(h::full(message.to_owned()));
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    response
}
