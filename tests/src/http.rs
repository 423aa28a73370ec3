//! Plain-HTTP plumbing shared by the harness's servers and its own client.

use std::convert::Infallible;
use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio_util::sync::CancellationToken;

use crate::runtime;

/// The error type of the harness's bodies and client.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A response or request body of the harness's servers.
pub(crate) type Body = BoxBody<Bytes, BoxError>;

/// What a handler returns.
pub(crate) type HandlerFuture = Pin<Box<dyn Future<Output = Response<Body>> + Send>>;

/// A request handler: one per server, called for each request.
pub(crate) type Handler = Arc<dyn Fn(Request<Incoming>) -> HandlerFuture + Send + Sync>;

/// A running HTTP/1.1 server on the harness runtime; dropping it stops it and closes every
/// connection it has open.
pub(crate) struct Server {
    addr: SocketAddr,
    shutdown: CancellationToken,
}

impl Server {
    /// Serves `handler` on `listener` (already bound, so the caller knows the port).
    pub(crate) fn start(listener: TcpListener, handler: Handler) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let shutdown = CancellationToken::new();
        serve(listener, handler, shutdown.clone())?;
        Ok(Self { addr, shutdown })
    }

    /// Serves `handler` on another listener too, stopped with this server.
    pub(crate) fn also_listen(
        &self,
        listener: TcpListener,
        handler: Handler,
    ) -> std::io::Result<()> {
        serve(listener, handler, self.shutdown.clone())
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn serve(
    listener: TcpListener,
    handler: Handler,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    runtime::handle().spawn(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(err) => panic!("harness server: cannot register the listener: {err}"),
        };
        loop {
            let stream = tokio::select! {
                () = shutdown.cancelled() => return,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // Out of file descriptors, say: back off instead of spinning.
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        continue;
                    }
                },
            };
            let handler = handler.clone();
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let response = handler(req);
                    async move { Ok::<_, Infallible>(response.await) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service);
                tokio::select! {
                    () = shutdown.cancelled() => {}
                    _ = conn => {}
                }
            });
        }
    });
    Ok(())
}

/// Binds `ip:0`, panicking with a readable message if the loopback address cannot be bound.
pub(crate) fn bind_loopback(ip: &str) -> TcpListener {
    TcpListener::bind((ip, 0))
        .unwrap_or_else(|err| panic!("cannot bind a test server on {ip}: {err}"))
}

pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

pub(crate) fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed()
}

pub(crate) fn incoming(body: Incoming) -> Body {
    body.map_err(|err| Box::new(err) as BoxError).boxed()
}

/// A response with `status`, a JSON body and the matching Content-Type.
pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    let mut response = Response::new(full(value.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

/// The harness's HTTP client: plain HTTP only, no proxy from the environment, pooled.
pub(crate) fn client() -> &'static Client<HttpConnector, Body> {
    static CLIENT: OnceLock<Client<HttpConnector, Body>> = OnceLock::new();
    CLIENT.get_or_init(|| Client::builder(TokioExecutor::new()).build_http())
}

/// A whole response, read into memory.
#[derive(Debug, Clone)]
pub struct SimpleResponse {
    /// The status code.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl SimpleResponse {
    /// The header `name` as a string, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends one request with the harness client and reads the whole response (async).
pub(crate) async fn send_async(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> Result<SimpleResponse, BoxError> {
    let mut builder = Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder.body(full(body))?;
    let response = client().request(request).await?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await?.to_bytes();
    Ok(SimpleResponse {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

/// Sends one request and reads the whole response, blocking the calling thread.
///
/// Plain HTTP only; usable from sync tests and from inside `#[tokio::test]`s. Redirects are not
/// followed.
pub fn send(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Result<SimpleResponse, BoxError> {
    let url = url.to_owned();
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    let body = body.into();
    runtime::block_on(async move {
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        send_async(method, &url, &headers, body).await
    })
}
