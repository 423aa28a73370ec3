//! Response bodies that misbehave on purpose.

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::Sleep;

use crate::http::{Body, BoxError};

/// How long a cut body waits after its last bytes before failing, so that those bytes leave the
/// proxy's buffers and reach the client before the connection drops.
const FLUSH_BEFORE_CUT: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, Copy)]
pub(crate) enum BodyFault {
    /// Forward `n` bytes, then fail the body (the connection is closed mid-response).
    Cut(u64),
    /// Forward `n` bytes, then never produce another byte.
    Stall(u64),
    /// Forward everything, but with the byte at this offset inverted.
    Flip(u64),
}

/// Wraps a body and applies one [`BodyFault`] to it; offsets count from the start of this body
/// (for a `206`, the start of the range, not of the blob).
pub(crate) struct FaultBody {
    inner: Body,
    fault: BodyFault,
    pos: u64,
    cut_timer: Option<Pin<Box<Sleep>>>,
}

impl FaultBody {
    pub(crate) fn new(inner: Body, fault: BodyFault) -> Self {
        Self {
            inner,
            fault,
            pos: 0,
            cut_timer: None,
        }
    }
}

impl HttpBody for FaultBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        match this.fault {
            BodyFault::Cut(limit) if this.pos >= limit => {
                let timer = this
                    .cut_timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(FLUSH_BEFORE_CUT)));
                ready!(timer.as_mut().poll(cx));
                return Poll::Ready(Some(Err(format!(
                    "FaultProxy cut the connection after {limit} body bytes"
                )
                .into())));
            }
            // Never woken: the response hangs until the client gives up or the proxy is dropped.
            BodyFault::Stall(limit) if this.pos >= limit => return Poll::Pending,
            _ => {}
        }
        let Some(frame) = ready!(Pin::new(&mut this.inner).poll_frame(cx)) else {
            return Poll::Ready(None);
        };
        let frame = match frame {
            Ok(frame) => frame,
            Err(err) => return Poll::Ready(Some(Err(err))),
        };
        let mut data = match frame.into_data() {
            Ok(data) => data,
            Err(frame) => return Poll::Ready(Some(Ok(frame))),
        };
        let start = this.pos;
        let len = data.len() as u64;
        match this.fault {
            BodyFault::Cut(limit) | BodyFault::Stall(limit) => {
                if start + len > limit {
                    data.truncate(usize::try_from(limit - start).expect("chunk offset fits usize"));
                }
            }
            BodyFault::Flip(offset) => {
                if (start..start + len).contains(&offset) {
                    let mut copy = BytesMut::from(&data[..]);
                    let at = usize::try_from(offset - start).expect("chunk offset fits usize");
                    copy[at] ^= 0xff;
                    data = copy.freeze();
                }
            }
        }
        this.pos += data.len() as u64;
        Poll::Ready(Some(Ok(Frame::data(data))))
    }
}

/// A JSON-looking body of exactly `len` bytes (`{"schemaVersion":2,"padding":"xxxx…"}`),
/// produced lazily in 64 KiB chunks so that a huge one costs nothing unless it is read.
pub(crate) struct PaddingBody {
    len: u64,
    pos: u64,
}

const PREFIX: &[u8] = br#"{"schemaVersion":2,"padding":""#;
const SUFFIX: &[u8] = br#""}"#;

impl PaddingBody {
    pub(crate) fn new(len: u64) -> Self {
        Self { len, pos: 0 }
    }

    fn byte_at(&self, i: u64) -> u8 {
        let framed = self.len >= (PREFIX.len() + SUFFIX.len()) as u64;
        if !framed {
            return b'x';
        }
        if i < PREFIX.len() as u64 {
            PREFIX[usize::try_from(i).expect("small index")]
        } else if i >= self.len - SUFFIX.len() as u64 {
            SUFFIX[usize::try_from(i - (self.len - SUFFIX.len() as u64)).expect("small index")]
        } else {
            b'x'
        }
    }
}

impl HttpBody for PaddingBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if this.pos >= this.len {
            return Poll::Ready(None);
        }
        let end = (this.pos + 64 * 1024).min(this.len);
        let chunk: Vec<u8> = (this.pos..end).map(|i| this.byte_at(i)).collect();
        this.pos = end;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(chunk)))))
    }

    fn is_end_stream(&self) -> bool {
        self.pos >= self.len
    }

    fn size_hint(&self) -> SizeHint {
        // Deliberately inexact: whether a Content-Length goes out is the fault's choice.
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    #[tokio::test]
    async fn padding_is_exactly_as_long_as_asked_and_json_when_it_fits() {
        for len in [0u64, 5, 32, 100_000] {
            let bytes = PaddingBody::new(len)
                .collect()
                .await
                .expect("padding")
                .to_bytes();
            assert_eq!(bytes.len() as u64, len);
            if len >= 32 {
                let v: serde_json::Value = serde_json::from_slice(&bytes).expect("valid JSON");
                assert_eq!(v["schemaVersion"], 2);
            }
        }
    }
}
