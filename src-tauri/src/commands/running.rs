//! The long operations the UI names (pulls, vulnerability scans, image archives saved or
//! loaded): while one runs, its
//! cancellation token is kept under the caller's id, so that a later command can cancel it
//! by that id.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio_util::sync::CancellationToken;

use crate::ipc::{IpcError, IpcErrorCode};

/// The running operations of one kind, by the caller's id (`AppState::pulls`, `::scans`,
/// `::archives`).
pub type Running = Mutex<HashMap<String, CancellationToken>>;

/// One running operation's entry in its table: added by [`Registered::start`], removed when
/// this is dropped (when the operation ends, fails, panics or its command is dropped).
pub struct Registered<'a> {
    table: &'a Running,
    id: String,
    token: CancellationToken,
}

impl<'a> Registered<'a> {
    /// Keeps a new token under `id`; refuses an `id` that is already running. `what` names the
    /// kind of operation in that refusal (`pull`, `scan`, `save`, `load`).
    pub fn start(table: &'a Running, id: &str, what: &str) -> Result<Self, IpcError> {
        let token = CancellationToken::new();
        let mut running = table.lock().unwrap_or_else(|e| e.into_inner());
        if running.contains_key(id) {
            return Err(IpcError::new(
                IpcErrorCode::InvalidInput,
                format!("a {what} with id {id} is already running"),
            ));
        }
        running.insert(id.to_owned(), token.clone());
        Ok(Self {
            table,
            id: id.to_owned(),
            token,
        })
    }

    /// The token that [`cancel`] cancels.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.table
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

/// Cancels the operation running under `id`; one that already ended (or never ran) is left
/// alone.
pub fn cancel(table: &Running, id: &str) {
    if let Some(token) = table.lock().unwrap_or_else(|e| e.into_inner()).get(id) {
        token.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_is_kept_while_it_runs_and_cancelled_by_its_id() {
        let table = Running::default();
        let pull = Registered::start(&table, "p1", "pull").unwrap();
        assert!(table.lock().unwrap().contains_key("p1"));
        cancel(&table, "other");
        assert!(!pull.token().is_cancelled());
        cancel(&table, "p1");
        assert!(pull.token().is_cancelled());
        drop(pull);
        assert!(table.lock().unwrap().is_empty());
    }

    #[test]
    fn an_id_already_running_is_refused_and_the_running_one_kept() {
        let table = Running::default();
        let first = Registered::start(&table, "s1", "scan").unwrap();
        let Err(error) = Registered::start(&table, "s1", "scan") else {
            panic!("a second scan under the same id was accepted");
        };
        assert_eq!(error.code, IpcErrorCode::InvalidInput);
        assert_eq!(error.message, "a scan with id s1 is already running");
        cancel(&table, "s1");
        assert!(first.token().is_cancelled());
        drop(first);
        // Once ended, the id can be used again.
        let again = Registered::start(&table, "s1", "scan").unwrap();
        assert!(!again.token().is_cancelled());
    }

    #[test]
    fn cancelling_an_ended_operation_does_nothing() {
        let table = Running::default();
        let token = Registered::start(&table, "p1", "pull")
            .unwrap()
            .token()
            .clone();
        cancel(&table, "p1");
        assert!(!token.is_cancelled());
    }
}
