//! The "other origin" that [`Fault::redirect_to_storage`](super::Fault::redirect_to_storage)
//! sends blob downloads to, as a registry on S3 or behind a CDN would.
//!
//! It serves `/storage/<ticket>/<name>`: the ticket names the original blob path and the
//! credentials the proxy saw, so the bytes come from the upstream registry (auth and all) while
//! the client talks to another host that never needs its `Authorization`.

use std::sync::Arc;

use http::header::{self, HeaderName};
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

use super::{Origin, Shared, StorageHost, bad_gateway, handler};
use crate::http::{self as h, Body, Server};

/// Starts a storage server for `host`: the server and the `HOST:PORT` of its URLs.
pub(crate) fn start(shared: &Arc<Shared>, host: StorageHost) -> (Server, String) {
    let ip = match host {
        StorageHost::Localhost | StorageHost::OtherPort => "127.0.0.1",
        StorageHost::OtherLoopback => "127.0.0.2",
    };
    let listener = h::bind_loopback(ip);
    let port = listener.local_addr().expect("storage address").port();
    let server = Server::start(listener, handler(shared.clone(), Origin::Storage(host)))
        .expect("start a storage server");
    let authority = match host {
        StorageHost::Localhost => {
            // `localhost` may resolve to ::1 first: listen there too when the port is free.
            if let Ok(v6) = std::net::TcpListener::bind(("::1", port)) {
                let _ = server.also_listen(v6, handler(shared.clone(), Origin::Storage(host)));
            }
            format!("localhost:{port}")
        }
        StorageHost::OtherLoopback => format!("127.0.0.2:{port}"),
        StorageHost::OtherPort => format!("127.0.0.1:{port}"),
    };
    (server, authority)
}

/// Request headers passed on to the upstream, and response headers passed back: what an object
/// store would honour and send (no `Docker-*` headers).
const REQUEST_HEADERS: [HeaderName; 4] = [
    header::RANGE,
    header::IF_RANGE,
    header::IF_NONE_MATCH,
    header::IF_MODIFIED_SINCE,
];
const RESPONSE_HEADERS: [HeaderName; 6] = [
    header::CONTENT_LENGTH,
    header::CONTENT_RANGE,
    header::CONTENT_TYPE,
    header::ACCEPT_RANGES,
    header::ETAG,
    header::LAST_MODIFIED,
];

pub(crate) async fn serve(shared: &Shared, req: Request<Incoming>) -> Response<Body> {
    let ticket_id = req
        .uri()
        .path()
        .strip_prefix("/storage/")
        .and_then(|rest| rest.split('/').next())
        .and_then(|id| id.parse::<u64>().ok());
    let ticket = ticket_id.and_then(|id| {
        shared
            .tickets
            .lock()
            .expect("tickets")
            .get(&id)
            .map(|t| (t.path_and_query.clone(), t.authorization.clone()))
    });
    let Some((path_and_query, authorization)) = ticket else {
        let mut response = Response::new(h::full("no such object"));
        *response.status_mut() = StatusCode::NOT_FOUND;
        return response;
    };
    if req.method() != http::Method::GET && req.method() != http::Method::HEAD {
        let mut response = Response::new(h::empty());
        *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        return response;
    }
    let mut builder = Request::builder()
        .method(req.method().clone())
        .uri(format!("http://{}{path_and_query}", shared.upstream));
    if let Some(authorization) = authorization {
        builder = builder.header(header::AUTHORIZATION, authorization);
    }
    for name in REQUEST_HEADERS {
        if let Some(value) = req.headers().get(&name) {
            builder = builder.header(name, value.clone());
        }
    }
    let request = match builder.body(h::empty()) {
        Ok(request) => request,
        Err(err) => return bad_gateway(&format!("storage request: {err}")),
    };
    let upstream = match h::client().request(request).await {
        Ok(response) => response,
        Err(err) => return bad_gateway(&format!("storage upstream failed: {err}")),
    };
    let (parts, body) = upstream.into_parts();
    let mut response = Response::new(h::incoming(body));
    *response.status_mut() = parts.status;
    for name in RESPONSE_HEADERS {
        if let Some(value) = parts.headers.get(&name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
}
