//! The harness's own Tokio runtime.
//!
//! Every server of the harness (token issuer, fault proxy, storage host) runs here, never on the
//! test's runtime. A `#[tokio::test]` uses a single-threaded runtime by default: if the harness
//! spawned onto it and the test then made a blocking call (a `skopeo` push that asks the token
//! issuer for a token, say), the two would wait on each other forever.

use std::future::Future;
use std::sync::OnceLock;
use std::sync::mpsc;

use tokio::runtime::{Handle, Runtime};

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The handle of the harness runtime, started on first use and kept for the life of the process.
pub(crate) fn handle() -> &'static Handle {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("porthole-harness")
                .enable_all()
                .build()
                .expect("start the harness's Tokio runtime")
        })
        .handle()
}

/// Runs `future` on the harness runtime and blocks the calling thread until it is done.
///
/// Safe to call from plain `#[test]`s and from inside `#[tokio::test]`s alike (unlike
/// `Runtime::block_on`, which panics inside another runtime). A panic in `future` is re-raised.
pub(crate) fn block_on<F>(future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    let task = handle().spawn(async move {
        let _ = tx.send(future.await);
    });
    match rx.recv() {
        Ok(output) => output,
        Err(_) => {
            // The sender was dropped without sending: the future panicked. Fetch the panic.
            let (ptx, prx) = mpsc::channel();
            handle().spawn(async move {
                let _ = ptx.send(task.await);
            });
            match prx.recv() {
                Ok(Err(err)) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
                _ => panic!("a harness task was cancelled before it finished"),
            }
        }
    }
}
