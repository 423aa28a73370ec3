//! What a [`FaultProxy`](super::FaultProxy) can do to a request, and to which requests.

use std::time::Duration;

use bytes::Bytes;
use http::Method;

/// Where [`Fault::redirect_to_storage`] sends the client: always a different origin from the
/// proxy, as S3 or a CDN would be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StorageHost {
    /// `http://localhost:PORT2` (bound on 127.0.0.1, and on `[::1]` when that port is free
    /// there too): another host name, another port.
    Localhost,
    /// `http://127.0.0.2:PORT2`: another loopback address (Linux routes all of 127/8 to `lo`).
    OtherLoopback,
    /// `http://127.0.0.1:PORT2`: the same host, another port.
    OtherPort,
}

/// Whether a replaced body says how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// With a matching `Content-Length`.
    ContentLength,
    /// Without `Content-Length` (chunked transfer encoding): the client learns the size only by
    /// reading.
    Chunked,
}

#[derive(Debug, Clone)]
pub(crate) enum Action {
    CutAfter(u64),
    StallAfter(u64),
    FlipByte(u64),
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Bytes,
    },
    Redirect(StorageHost),
    Oversize {
        len: u64,
        framing: Framing,
    },
    Delay(Duration),
    CutRequestAfter(u64),
}

/// One fault rule: an action, the requests it applies to, and how many times.
///
/// A rule matches a request when the request's path (without the query) contains the rule's
/// pattern and the method matches; each match uses up one of its `times`. A request takes at
/// most one fault: the first rule, in the order they were injected, that matches and is not used
/// up. Build one with a constructor, then narrow it:
///
/// ```
/// use porthole_tests::proxy::Fault;
/// let fault = Fault::cut_after(4096).on("/blobs/").times(2);
/// let limited = Fault::rate_limited(1).on("/manifests/");
/// ```
#[derive(Debug, Clone)]
pub struct Fault {
    pub(crate) pattern: String,
    pub(crate) method: Option<Method>,
    pub(crate) remaining: Option<usize>,
    pub(crate) action: Action,
}

impl Fault {
    fn new(action: Action, method: Option<Method>) -> Self {
        Self {
            pattern: String::new(),
            method,
            remaining: Some(1),
            action,
        }
    }

    /// Forwards the response headers (with the upstream `Content-Length`) and `bytes` bytes of
    /// the body, then drops the connection: the client sees a truncated body. GET only.
    pub fn cut_after(bytes: u64) -> Self {
        Self::new(Action::CutAfter(bytes), Some(Method::GET))
    }

    /// Forwards the request headers and `bytes` bytes of the *request* body upstream, then
    /// drops both connections without answering: the client sees its upload cut off mid-way
    /// (a connection reset or close while it sends), the registry a body that ends early.
    /// `PUT` only (a monolithic blob upload); [`Fault::method`] widens it to `PATCH`.
    pub fn cut_request_after(bytes: u64) -> Self {
        Self::new(Action::CutRequestAfter(bytes), Some(Method::PUT))
    }

    /// Forwards `bytes` bytes of the body, then sends nothing more and keeps the connection open
    /// (for read-timeout tests). GET only.
    pub fn stall_after(bytes: u64) -> Self {
        Self::new(Action::StallAfter(bytes), Some(Method::GET))
    }

    /// Inverts the byte at `offset` of the response body (counted from the first byte sent, so
    /// of the range for a `206`). Length and headers are unchanged. GET only.
    pub fn flip_byte(offset: u64) -> Self {
        Self::new(Action::FlipByte(offset), Some(Method::GET))
    }

    /// Answers with `status` and an empty body instead of forwarding. Any method.
    pub fn status(status: u16) -> Self {
        Self::new(
            Action::Respond {
                status,
                headers: Vec::new(),
                body: Bytes::new(),
            },
            None,
        )
    }

    /// `429 Too Many Requests` with `Retry-After: <seconds>` and a distribution-style
    /// `TOOMANYREQUESTS` error body. Any method.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::status(429)
            .header("Retry-After", &retry_after_secs.to_string())
            .header("Content-Type", "application/json")
            .body(r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"rate limited by the test"}]}"#)
    }

    /// Answers `307` with a `Location` on a storage server at `host` (another origin), which
    /// serves the same bytes, honours `Range`, and records the headers it receives (see
    /// [`FaultProxy::storage_requests`](super::FaultProxy::storage_requests)). The storage server
    /// reads from the upstream with the credentials of the original request, so it also works
    /// for registries with auth. GET only; [`Fault::method`] widens it to HEAD.
    pub fn redirect_to_storage(host: StorageHost) -> Self {
        Self::new(Action::Redirect(host), Some(Method::GET))
    }

    /// Replaces the response body with `len` bytes of JSON-looking padding, status and
    /// Content-Type unchanged (for oversize-manifest tests). GET only.
    pub fn oversize_body(len: u64, framing: Framing) -> Self {
        Self::new(Action::Oversize { len, framing }, Some(Method::GET))
    }

    /// Waits `delay` before forwarding the request. Any method.
    pub fn delay(delay: Duration) -> Self {
        Self::new(Action::Delay(delay), None)
    }

    /// Applies only to paths containing `pattern` (e.g. `/blobs/`, `/manifests/latest`,
    /// `/storage/` for the redirect targets). The default, `""`, matches every path.
    pub fn on(mut self, pattern: &str) -> Self {
        self.pattern = pattern.to_owned();
        self
    }

    /// Applies only to `method` (replacing the constructor's default).
    pub fn method(mut self, method: Method) -> Self {
        self.method = Some(method);
        self
    }

    /// Applies to every method.
    pub fn any_method(mut self) -> Self {
        self.method = None;
        self
    }

    /// Applies to the next `count` matching requests (default 1).
    pub fn times(mut self, count: usize) -> Self {
        self.remaining = Some(count);
        self
    }

    /// Applies to every matching request until [`FaultProxy::clear_faults`](super::FaultProxy::clear_faults).
    pub fn always(mut self) -> Self {
        self.remaining = None;
        self
    }

    /// Adds a response header (for [`Fault::status`]).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Action::Respond { headers, .. } = &mut self.action {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// Sets the response body (for [`Fault::status`]).
    pub fn body(mut self, bytes: impl Into<Bytes>) -> Self {
        if let Action::Respond { body, .. } = &mut self.action {
            *body = bytes.into();
        }
        self
    }

    pub(crate) fn matches(&self, method: &Method, path: &str) -> bool {
        self.remaining != Some(0)
            && self.method.as_ref().is_none_or(|m| m == method)
            && path.contains(&self.pattern)
    }

    pub(crate) fn name(&self) -> &'static str {
        match self.action {
            Action::CutAfter(_) => "cut",
            Action::StallAfter(_) => "stall",
            Action::FlipByte(_) => "flip",
            Action::Respond { .. } => "status",
            Action::Redirect(_) => "redirect",
            Action::Oversize { .. } => "oversize",
            Action::Delay(_) => "delay",
            Action::CutRequestAfter(_) => "cut_request",
        }
    }
}
