//! Pushes started from the app, as `porthole push` does them: an image of the store uploaded
//! to a registry with a registry client built from the settings as the pull's is (insecure
//! registries, CA files, and credentials read from Docker's config and credential helpers at
//! each push, never stored by the app).
//! Progress streams to the UI over a channel; a push can be cancelled by its id.

use tauri::State;
use tauri::ipc::Channel;

use porthole_engine::Reference;
use porthole_engine::registry::RegistryClient;
use porthole_engine::registry::credentials::CredentialStore;
use porthole_engine::registry::push::{PushEvent, PushOptions, push_image as push};
use porthole_engine::store::{ImageSummary, Store};

use super::inspect::blocking;
use super::running::{self, Registered};
use crate::AppState;
use crate::ipc::{IpcError, IpcErrorCode, PushDestination, PushProgress, PushedImage};

/// `reference` as a push would use it (normalised as Docker does), or why it cannot be one:
/// the push dialog shows this while the person types.
#[tauri::command]
pub fn push_destination(reference: String) -> Result<PushDestination, IpcError> {
    PushDestination::parse(&reference)
}

/// Pushes the image whose manifest digest is `digest` to `destination`. `source` is the name
/// it was chosen under (one image may have several): blobs are mounted from that repository
/// when the destination is on the same registry. `push_id` is the caller's name for this
/// push, to cancel it with [`cancel_push`].
#[tauri::command]
pub async fn push_image(
    state: State<'_, AppState>,
    push_id: String,
    digest: String,
    source: Option<String>,
    destination: String,
    on_event: Channel<PushProgress>,
) -> Result<PushedImage, IpcError> {
    let network = state.network()?;
    let checked = PushDestination::parse(&destination)?;
    let destination = Reference::parse(&checked.reference)?;
    let root = state.store_root.clone();
    let (store, image) = blocking("reading the store", move || {
        let store = Store::open(root)?;
        let image = image_named(&store, &digest, source.as_deref())?;
        Ok((store, image))
    })
    .await?;

    let registered = Registered::start(&state.pushes, &push_id, "push")?;
    let cancel = registered.token().clone();
    let options = PushOptions {
        jobs: network.config.jobs().max(1),
    };
    let observer = move |event: PushEvent| {
        if let Some(progress) = PushProgress::from_event(event) {
            // The window may be gone; the push goes on until cancelled.
            let _ = on_event.send(progress);
        }
    };
    // A client of its own, built as the shared one is (the settings' config, Docker's
    // credentials): the shared client keeps the credentials it looked up for a host, even
    // "none", for its life, so a sign-in from the dialog's Sign in… (or Settings) after a
    // refused push would not be seen by the Retry.
    let registry = RegistryClient::new(network.config.clone(), CredentialStore::from_env())?;
    // Its own task: a panic in it comes back as an error instead of tearing down the command.
    let result = tauri::async_runtime::spawn(async move {
        push(
            &registry,
            &store,
            &image,
            &destination,
            &options,
            &observer,
            &cancel,
        )
        .await
    })
    .await;
    drop(registered);
    let report =
        result.map_err(|error| IpcError::internal(format!("the push stopped: {error}")))??;
    Ok(report.into())
}

/// Cancel the running push `push_id`. Cancelling a push that already ended does nothing.
#[tauri::command]
pub fn cancel_push(state: State<'_, AppState>, push_id: String) {
    running::cancel(&state.pushes, &push_id);
}

/// The store's entry of the image `digest` under the name `source` (when it still has that
/// name), else under any of its names.
fn image_named(
    store: &Store,
    digest: &str,
    source: Option<&str>,
) -> Result<ImageSummary, IpcError> {
    pick(store.images()?, digest, source)
}

fn pick(
    images: Vec<ImageSummary>,
    digest: &str,
    source: Option<&str>,
) -> Result<ImageSummary, IpcError> {
    let mut same: Vec<ImageSummary> = images
        .into_iter()
        .filter(|i| i.digest.to_string() == digest)
        .collect();
    let at = same
        .iter()
        .position(|i| source.is_some() && i.reference.as_deref() == source)
        .or_else(|| same.iter().position(|i| i.reference.is_some()))
        .unwrap_or(0);
    if same.is_empty() {
        return Err(IpcError::new(
            IpcErrorCode::NotFound,
            format!("image {digest} is not in the store any more; refresh the list"),
        ));
    }
    Ok(same.swap_remove(at))
}

#[cfg(test)]
mod tests {
    use porthole_engine::Digest;

    use super::*;

    fn summary(reference: Option<&str>, manifest: &[u8]) -> ImageSummary {
        ImageSummary {
            reference: reference.map(Into::into),
            repository: None,
            tag: None,
            digest: Digest::of(manifest),
            id: Digest::of(b"config"),
            created: None,
            size: 1,
            platform: None,
            index_digest: None,
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            problem: None,
        }
    }

    #[test]
    fn the_image_is_pushed_under_the_name_it_was_chosen_by() {
        let images = || {
            vec![
                summary(Some("docker.io/library/other:1"), b"other"),
                summary(None, b"m"),
                summary(Some("127.0.0.1:5000/src/app:1"), b"m"),
                summary(Some("127.0.0.1:5000/src/app:2"), b"m"),
            ]
        };
        let digest = Digest::of(b"m").to_string();
        let chosen = pick(images(), &digest, Some("127.0.0.1:5000/src/app:2")).unwrap();
        assert_eq!(
            chosen.reference.as_deref(),
            Some("127.0.0.1:5000/src/app:2")
        );
        // A name it lost meanwhile, or none given: one of its names, not the dangling entry.
        let any = pick(images(), &digest, Some("127.0.0.1:5000/src/app:3")).unwrap();
        assert_eq!(any.reference.as_deref(), Some("127.0.0.1:5000/src/app:1"));
        let unnamed = pick(images(), &digest, None).unwrap();
        assert_eq!(
            unnamed.reference.as_deref(),
            Some("127.0.0.1:5000/src/app:1")
        );
        let gone = pick(images(), &Digest::of(b"gone").to_string(), None).unwrap_err();
        assert_eq!(gone.code, IpcErrorCode::NotFound);
    }
}
