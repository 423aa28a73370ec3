//! Image archives. "Save .tar": the image as one archive for `docker load` or `podman load`
//! (what `porthole save` writes), to the Downloads directory as `<repository>-<tag>.tar` or
//! to a given path ([`Destination`]), replaced whole only once complete. Loading: the images
//! of an archive dropped on the window (what `porthole load` reads) into the store.
//!
//! Both report their bytes over a channel as they go ([`Counted`], at most every
//! [`PROGRESS_EVERY`]) and run under the caller's id, so that [`cancel_archive`] can stop
//! them: a cancelled save leaves no file, a cancelled load names no image.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};

use porthole_engine::rootfs::{RootfsError, export};
use porthole_engine::store::{ArchiveError, ImageSummary, Store, StoreError};
use tokio_util::sync::CancellationToken;

use super::downloads::{Destination, file_name};
use super::inspect::{blocking, image_of, open_store};
use super::running::{self, Registered};
use crate::AppState;
use crate::ipc::{ArchiveProgress, ImageArchive, IpcError, IpcErrorCode, LoadAnswer};
use crate::write::{Streamed, write_whole_with};

/// The least time between two progress events of one archive: ten a second at most.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Writes the image whose manifest digest is `digest` as an archive to `path`, else to the
/// Downloads directory; answers with the file written. The bytes written so far go to
/// `on_progress`, out of the image's size; `archive_id` is the caller's name for this save,
/// to cancel it with [`cancel_archive`].
#[tauri::command]
pub async fn save_image(
    app: AppHandle,
    state: State<'_, AppState>,
    archive_id: String,
    digest: String,
    path: Option<String>,
    on_progress: Channel<ArchiveProgress>,
) -> Result<ImageArchive, IpcError> {
    let saving = Saving {
        what: "the image archive",
        extension: "tar",
        total: |image| Some(image.size),
    };
    saving
        .run(
            app,
            &state,
            (archive_id, digest, path, on_progress),
            |store, image, out, cancel| {
                store
                    .write_archive(std::slice::from_ref(image), out, cancel)
                    .map(drop)
            },
            |e, target| archive_error(e, Action::Save, target),
        )
        .await
}

/// Writes the final filesystem of the image whose manifest digest is `digest` as one tar
/// (what `porthole export` writes, as `crane export` / `docker export` do) to `path`, else to
/// the Downloads directory as `<repository>-<tag>.rootfs.tar`, replaced whole only once
/// complete. The bytes written so far go to `on_progress` (the total is not known before
/// the end); `archive_id` names the export for [`cancel_archive`].
#[tauri::command]
pub async fn export_filesystem(
    app: AppHandle,
    state: State<'_, AppState>,
    archive_id: String,
    digest: String,
    path: Option<String>,
    on_progress: Channel<ArchiveProgress>,
) -> Result<ImageArchive, IpcError> {
    let saving = Saving {
        what: "the filesystem archive",
        extension: "rootfs.tar",
        total: |_| None,
    };
    saving
        .run(
            app,
            &state,
            (archive_id, digest, path, on_progress),
            |store, image, out, cancel| export(store, image, out, cancel).map(drop),
            |e, target| match e {
                RootfsError::Cancelled => IpcError::new(
                    IpcErrorCode::Cancelled,
                    format!(
                        "Exporting `{}` was cancelled; the file was not written.",
                        target.display()
                    ),
                ),
                RootfsError::Store(e) => IpcError::from(e),
                e @ RootfsError::DiffIdMismatch { .. } => {
                    IpcError::new(IpcErrorCode::DigestMismatch, e.to_string())
                }
                e => IpcError::internal(e.to_string()),
            },
        )
        .await
}

/// One kind of archive saved from an image: what it is called in messages, its file
/// name's extension, and its size up front when known.
struct Saving {
    what: &'static str,
    extension: &'static str,
    total: fn(&ImageSummary) -> Option<u64>,
}

/// What a save command is given: its id, the image's digest, where to write, the channel.
type SaveRequest = (String, String, Option<String>, Channel<ArchiveProgress>);

impl Saving {
    /// Writes what `write` produces for the image to the destination, whole, counting the
    /// bytes to the channel; `error` says what a failure of `write` means.
    async fn run<E: 'static>(
        self,
        app: AppHandle,
        state: &AppState,
        (archive_id, digest, path, on_progress): SaveRequest,
        write: impl FnOnce(&Store, &ImageSummary, &mut dyn Write, &CancellationToken) -> Result<(), E>
        + Send
        + 'static,
        error: impl FnOnce(E, &Path) -> IpcError + Send + 'static,
    ) -> Result<ImageArchive, IpcError> {
        let what = self.what;
        let destination = Destination::new(&app, path, what)?;
        let registered = Registered::start(&state.archives, &archive_id, "save")?;
        let cancel = registered.token().clone();
        let saved = blocking(&format!("writing {what}"), move || {
            let state = app.state::<AppState>();
            let store = open_store(&state)?;
            let image = image_of(&store, &digest)?;
            let target = destination.file(|| file_name(&image, self.extension), what)?;
            let send = |progress: ArchiveProgress| {
                // The window may be gone; the save goes on regardless.
                let _ = on_progress.send(progress);
            };
            let total = (self.total)(&image);
            send(ArchiveProgress { done: 0, total });
            let written = write_whole_with(
                &target,
                |file| {
                    // Counted under the buffer: the file's bytes, a megabyte at a time.
                    let counted = Counted::new(file, total, &send);
                    let mut out = BufWriter::with_capacity(1 << 20, counted);
                    write(&store, &image, &mut out, &cancel).map_err(Streamed::Source)?;
                    let counted = out.into_inner().map_err(|e| e.into_error())?;
                    Ok(counted.done)
                },
                |e| error(e, &target),
            )?;
            // The count of what was written, now that it is known.
            send(ArchiveProgress {
                done: written,
                total: Some(written),
            });
            Ok(ImageArchive {
                path: target.display().to_string(),
                bytes: written,
            })
        })
        .await;
        drop(registered);
        saved
    }
}

/// Adds the images of the archive at `path` (absolute: a file dropped on the window) to the
/// store; the Images page then refreshes through the store watch. The bytes of the file read
/// so far go to `on_progress`; `archive_id` is the caller's name for this load, to cancel it
/// with [`cancel_archive`].
#[tauri::command]
pub async fn load_image_archive(
    app: AppHandle,
    state: State<'_, AppState>,
    archive_id: String,
    path: String,
    on_progress: Channel<ArchiveProgress>,
) -> Result<LoadAnswer, IpcError> {
    let path = PathBuf::from(path);
    let invalid = |why: &str| {
        IpcError::new(
            IpcErrorCode::InvalidInput,
            format!("cannot load `{}`: {why}", path.display()),
        )
    };
    if !path.is_absolute() {
        return Err(invalid("the path must be absolute"));
    }
    if !path.is_file() {
        return Err(invalid("it is not a file"));
    }
    let registered = Registered::start(&state.archives, &archive_id, "load")?;
    let cancel = registered.token().clone();
    let loaded = blocking("loading the image archive", move || {
        let state = app.state::<AppState>();
        let store = open_store(&state)?;
        let file = std::fs::File::open(&path)
            .map_err(|e| IpcError::internal(format!("cannot read `{}`: {e}", path.display())))?;
        let size = file.metadata().ok().map(|m| m.len());
        let send = |progress: ArchiveProgress| {
            let _ = on_progress.send(progress);
        };
        send(ArchiveProgress {
            done: 0,
            total: size,
        });
        let report = store
            .load_archive(Counted::new(file, size, &send), &cancel)
            .map_err(|e| archive_error(e, Action::Load, &path))?;
        // The whole archive is in: a last event, whatever the throttle held back.
        if let Some(size) = size {
            send(ArchiveProgress {
                done: size,
                total: Some(size),
            });
        }
        Ok(LoadAnswer {
            images: report
                .images
                .iter()
                .flat_map(|i| {
                    if i.references.is_empty() {
                        vec![i.id.to_string()]
                    } else {
                        i.references.clone()
                    }
                })
                .collect(),
            bytes: report.bytes,
        })
    })
    .await;
    drop(registered);
    loaded
}

/// Cancels the running save or load `archive_id`: it then fails with code `cancelled`.
/// Cancelling one that already ended does nothing.
#[tauri::command]
pub fn cancel_archive(state: State<'_, AppState>, archive_id: String) {
    running::cancel(&state.archives, &archive_id);
}

/// What was being done to an archive, for messages.
#[derive(Clone, Copy)]
enum Action {
    Save,
    Load,
}

/// An archive that could not be written or read, as the UI gets it: a file that is not an
/// image archive is the person's input; the store's own failures keep their codes; a
/// cancelled one is `cancelled`, not a failure.
fn archive_error(error: ArchiveError, action: Action, path: &Path) -> IpcError {
    let verb = match action {
        Action::Save => "write",
        Action::Load => "load",
    };
    match error {
        ArchiveError::Store(e @ StoreError::InvalidImage { .. }) => IpcError::new(
            IpcErrorCode::InvalidInput,
            format!("cannot {verb} `{}`: {e}", path.display()),
        ),
        ArchiveError::Store(e) => IpcError::from(e),
        ArchiveError::Cancelled => IpcError::new(
            IpcErrorCode::Cancelled,
            match action {
                Action::Save => format!(
                    "Saving `{}` was cancelled; the file was not written.",
                    path.display()
                ),
                Action::Load => format!(
                    "Loading `{}` was cancelled; no image of it was added.",
                    path.display()
                ),
            },
        ),
        e => IpcError::internal(format!("cannot {verb} `{}`: {e}", path.display())),
    }
}

/// A reader or writer that counts the bytes through it and reports them, out of `total`
/// when known, to `report`: the first time, then at most every [`PROGRESS_EVERY`].
struct Counted<'r, T> {
    inner: T,
    done: u64,
    total: Option<u64>,
    throttle: Throttle,
    report: &'r dyn Fn(ArchiveProgress),
}

impl<'r, T> Counted<'r, T> {
    fn new(inner: T, total: Option<u64>, report: &'r dyn Fn(ArchiveProgress)) -> Self {
        Counted {
            inner,
            done: 0,
            total,
            throttle: Throttle::new(PROGRESS_EVERY),
            report,
        }
    }

    fn count(&mut self, n: usize) {
        self.done += n as u64;
        if n > 0 && self.throttle.due(Instant::now()) {
            (self.report)(ArchiveProgress {
                // A save's total is its blobs' size; the archive's headers and index add a
                // little to the bytes written, never shown beyond the total.
                done: self.total.map_or(self.done, |total| self.done.min(total)),
                total: self.total,
            });
        }
    }
}

impl<T: Read> Read for Counted<'_, T> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count(n);
        Ok(n)
    }
}

impl<T: Write> Write for Counted<'_, T> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count(n);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Lets an event through the first time, then once `every` has passed since the last one.
struct Throttle {
    every: Duration,
    last: Option<Instant>,
}

impl Throttle {
    fn new(every: Duration) -> Self {
        Throttle { every, last: None }
    }

    /// Whether an event at `now` goes out (it then counts as the last one).
    fn due(&mut self, now: Instant) -> bool {
        if self
            .last
            .is_some_and(|last| now.saturating_duration_since(last) < self.every)
        {
            return false;
        }
        self.last = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    #[test]
    fn the_throttle_lets_one_event_through_per_interval() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let mut throttle = Throttle::new(Duration::from_millis(100));
        let passed: Vec<u64> = [0, 10, 99, 100, 150, 199, 200, 450]
            .into_iter()
            .filter(|&ms| throttle.due(at(ms)))
            .collect();
        assert_eq!(passed, [0, 100, 200, 450]);
    }

    #[test]
    fn a_counted_reader_reports_its_bytes_out_of_the_total() {
        let events = RefCell::new(Vec::new());
        let report = |p: ArchiveProgress| events.borrow_mut().push((p.done, p.total));
        let mut reader = Counted::new(&[7u8; 10][..], Some(10), &report);
        // Every read is reported when there is no interval to wait.
        reader.throttle = Throttle::new(Duration::ZERO);
        let mut buf = [0; 4];
        while reader.read(&mut buf).unwrap() > 0 {}
        assert_eq!(
            *events.borrow(),
            [(4, Some(10)), (8, Some(10)), (10, Some(10))]
        );
    }

    #[test]
    fn a_counted_writer_reports_at_most_once_per_interval_and_never_beyond_the_total() {
        let events = RefCell::new(Vec::new());
        let report = |p: ArchiveProgress| events.borrow_mut().push((p.done, p.total));
        let mut out = Vec::new();
        let mut writer = Counted::new(&mut out, Some(5), &report);
        for _ in 0..3 {
            writer.write_all(b"abc").unwrap();
        }
        writer.flush().unwrap();
        assert_eq!(writer.done, 9);
        // Three writes in well under [`PROGRESS_EVERY`]: only the first is reported.
        assert_eq!(*events.borrow(), [(3, Some(5))]);
        writer.throttle = Throttle::new(Duration::ZERO);
        writer.write_all(b"d").unwrap();
        assert_eq!(events.borrow().last(), Some(&(5, Some(5))));
        assert_eq!(out, b"abcabcabcd");
    }

    #[test]
    fn a_cancelled_archive_is_cancelled_not_an_error() {
        let error = archive_error(ArchiveError::Cancelled, Action::Save, Path::new("/d/a.tar"));
        assert_eq!(error.code, IpcErrorCode::Cancelled);
        assert_eq!(
            error.message,
            "Saving `/d/a.tar` was cancelled; the file was not written."
        );
        let error = archive_error(ArchiveError::Cancelled, Action::Load, Path::new("/d/a.tar"));
        assert_eq!(error.code, IpcErrorCode::Cancelled);
        assert_eq!(
            error.message,
            "Loading `/d/a.tar` was cancelled; no image of it was added."
        );
    }
}
