//! Watches the image store so that the app notices what others do to it: a `porthole pull`
//! or `rm` in a terminal, or a second app instance. The engine replaces `index.json`
//! whole (temporary file, then rename) whenever images are added or removed, so that one file
//! is all there is to watch: blobs, `ingest/`, temporary and lock files come and go within
//! every pull and are ignored, and so are reads (the app's own refresh reads the index, which
//! must not set off another refresh).
//!
//! The watch is not recursive. While the store directory does not exist yet (a fresh
//! machine), its nearest existing parent is watched instead until the store appears; if the
//! store directory goes away, the watch falls back the same way. A burst of changes (a pull
//! of several tags, an `rm` of several images) is coalesced into one
//! [`STORE_CHANGED`](crate::STORE_CHANGED) after [`QUIET`] without changes. When watching is
//! impossible (inotify limits), a warning is printed and the app carries on: the Images page
//! still refreshes after its own changes and with its Refresh button.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{Event, EventKind, RecursiveMode, Watcher};
use porthole_engine::store::Store;

/// How long the store must stay still before the change is announced.
pub const QUIET: Duration = Duration::from_millis(200);
/// The longest a change waits for the store to settle: a long burst is announced anyway.
pub const LONGEST: Duration = Duration::from_secs(1);

/// A running watch of one store; dropping it stops the watch and its thread.
pub struct StoreWatch {
    messages: Sender<Message>,
    thread: Option<JoinHandle<()>>,
}

enum Message {
    Fs(notify::Result<Event>),
    /// Never sent: the wait for the next message ended at the debounce deadline.
    Due,
    Stop,
}

impl StoreWatch {
    /// Watches the store at `root` and calls `on_change` (on the watch's own thread) once
    /// per settled burst of changes to its image list. Never fails: a watch that cannot be
    /// set up prints a warning and does nothing.
    pub fn start(root: PathBuf, on_change: impl FnMut() + Send + 'static) -> StoreWatch {
        // Absolute, so that the parents of a relative store path can be watched too.
        let root = std::path::absolute(&root).unwrap_or(root);
        StoreWatch::start_with(root, Debounce::new(QUIET, LONGEST), on_change)
    }

    fn start_with(
        root: PathBuf,
        debounce: Debounce,
        on_change: impl FnMut() + Send + 'static,
    ) -> StoreWatch {
        let (messages, inbox) = mpsc::channel();
        let events = messages.clone();
        let thread = std::thread::Builder::new()
            .name("store-watch".into())
            .spawn(move || watch_loop(&root, events, inbox, debounce, on_change))
            .map_err(|error| warn(&format!("could not start its thread: {error}")))
            .ok();
        StoreWatch { messages, thread }
    }
}

impl Drop for StoreWatch {
    fn drop(&mut self) {
        let _ = self.messages.send(Message::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn warn(why: &str) {
    eprintln!(
        "porthole: not watching the image store for changes made outside the app ({why}); \
         use the Images page's Refresh button to see them"
    );
}

/// The watch's thread: owns the watcher, so that it can move the watch between the store
/// and its parent, and runs until [`Message::Stop`].
fn watch_loop(
    root: &Path,
    events: Sender<Message>,
    inbox: Receiver<Message>,
    mut debounce: Debounce,
    mut on_change: impl FnMut(),
) {
    let handler = move |event| {
        let _ = events.send(Message::Fs(event));
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(watcher) => watcher,
        Err(error) => return warn(&error.to_string()),
    };
    let mut watched = match settle(&mut watcher, root, None) {
        Ok(watched) => watched,
        Err(error) => return warn(&error.to_string()),
    };
    loop {
        let message = match debounce.deadline() {
            None => inbox.recv().ok(),
            Some(deadline) => {
                match inbox.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Ok(message) => Some(message),
                    Err(RecvTimeoutError::Timeout) => Some(Message::Due),
                    Err(RecvTimeoutError::Disconnected) => None,
                }
            }
        };
        match message {
            None | Some(Message::Stop) => return,
            Some(Message::Due) => {}
            Some(Message::Fs(Err(error))) => {
                eprintln!("porthole: watching the image store: {error}");
            }
            Some(Message::Fs(Ok(event))) => match classify(root, &watched, &event) {
                Meaning::Nothing => {}
                Meaning::IndexChanged => debounce.hit(Instant::now()),
                Meaning::Relocate => {
                    watched = match settle(&mut watcher, root, Some(&watched)) {
                        Ok(watched) => watched,
                        Err(error) => return warn(&error.to_string()),
                    };
                    debounce.hit(Instant::now());
                }
            },
        }
        if debounce.take_due(Instant::now()) {
            on_change();
        }
    }
}

/// The directory to watch for `root`: the store itself when it exists, else its nearest
/// existing parent (where the store, or a directory on the way to it, will be created).
/// `None` only for a relative path none of whose parents exist.
pub fn nearest_existing(root: &Path) -> Option<PathBuf> {
    root.ancestors()
        .find(|dir| dir.is_dir())
        .map(Path::to_path_buf)
}

/// Moves the watch to [`nearest_existing`] of `root` (from `current`, if any), and again if
/// that changed meanwhile (the store appeared while the watch was being set up).
fn settle(
    watcher: &mut impl Watcher,
    root: &Path,
    current: Option<&Path>,
) -> notify::Result<PathBuf> {
    if let Some(current) = current {
        // The watch may be gone already (its directory was removed).
        let _ = watcher.unwatch(current);
    }
    let mut last_error = None;
    for _ in 0..8 {
        let Some(target) = nearest_existing(root) else {
            return Err(notify::Error::path_not_found().add_path(root.to_path_buf()));
        };
        match watcher.watch(&target, RecursiveMode::NonRecursive) {
            Ok(()) => {}
            // Removed between the check and the watch: look again.
            Err(error) if !target.is_dir() => {
                last_error = Some(error);
                continue;
            }
            Err(error) => return Err(error),
        }
        if nearest_existing(root).as_deref() == Some(target.as_path()) {
            return Ok(target);
        }
        let _ = watcher.unwatch(&target);
    }
    Err(last_error.unwrap_or_else(|| {
        notify::Error::generic("the store's directory keeps changing").add_path(root.into())
    }))
}

/// What one file-system event means to a watch of `root` that watches `watched`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Meaning {
    /// Nothing that changes the list of images.
    Nothing,
    /// `index.json` was replaced, written or removed: the list may have changed.
    IndexChanged,
    /// The store (or a directory on the way to it) appeared, went or moved, or events were
    /// lost: watch the right directory again, and refresh.
    Relocate,
}

/// Classifies `event` for a watch of the store at `root` that currently watches `watched`
/// (the store itself, or its nearest existing parent while the store does not exist).
pub fn classify(root: &Path, watched: &Path, event: &Event) -> Meaning {
    if event.need_rescan() {
        return Meaning::Relocate;
    }
    if watched != root {
        // Watching a parent: only the way to the store matters, whatever happened to it.
        let on_the_way = |path: &PathBuf| root.starts_with(path);
        return if !matches!(event.kind, EventKind::Access(_) | EventKind::Other)
            && event.paths.iter().any(on_the_way)
        {
            Meaning::Relocate
        } else {
            Meaning::Nothing
        };
    }
    let writes = match event.kind {
        EventKind::Create(_) | EventKind::Remove(_) | EventKind::Any => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        // Reads of the index (the app's own refresh) open it: only a write counts.
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Other => false,
    };
    if !writes {
        return Meaning::Nothing;
    }
    if event.paths.iter().any(|path| path == root) {
        // The store directory itself was removed or moved away.
        return Meaning::Relocate;
    }
    let index = Store::index_file(root);
    if event.paths.contains(&index) {
        Meaning::IndexChanged
    } else {
        Meaning::Nothing
    }
}

/// Coalesces a burst of changes into one announcement: due once no change came for `quiet`,
/// or `longest` after the first change of the burst, whichever is sooner. Time is passed in,
/// so that tests need no clock.
#[derive(Clone, Debug)]
pub struct Debounce {
    quiet: Duration,
    longest: Duration,
    /// The first and the latest change of the pending burst.
    pending: Option<(Instant, Instant)>,
}

impl Debounce {
    pub fn new(quiet: Duration, longest: Duration) -> Debounce {
        Debounce {
            quiet,
            longest,
            pending: None,
        }
    }

    /// A change happened at `now`.
    pub fn hit(&mut self, now: Instant) {
        let first = self.pending.map_or(now, |(first, _)| first);
        self.pending = Some((first, now));
    }

    /// When the pending burst is due, if there is one.
    pub fn deadline(&self) -> Option<Instant> {
        self.pending
            .map(|(first, last)| (last + self.quiet).min(first + self.longest))
    }

    /// Whether the pending burst is due at `now`; if so, it is no longer pending.
    pub fn take_due(&mut self, now: Instant) -> bool {
        let due = self.deadline().is_some_and(|deadline| deadline <= now);
        if due {
            self.pending = None;
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::Receiver;

    use notify::event::{CreateKind, DataChange, Flag, RemoveKind, RenameMode};
    use porthole_engine::Digest;
    use porthole_engine::store::{ManifestDescriptor, NewImage};

    use super::*;

    const ROOT: &str = "/home/me/.local/share/porthole/store";

    fn event(kind: EventKind, paths: &[&str]) -> Event {
        paths
            .iter()
            .fold(Event::new(kind), |event, path| event.add_path(path.into()))
    }

    fn in_store(kind: EventKind, paths: &[&str]) -> Meaning {
        classify(Path::new(ROOT), Path::new(ROOT), &event(kind, paths))
    }

    #[test]
    fn a_replaced_written_or_removed_index_counts() {
        let index = &format!("{ROOT}/index.json");
        let temp = &format!("{ROOT}/.porthole-a1b2c3.tmp");
        for kind in [
            EventKind::Modify(ModifyKind::Name(RenameMode::To)),
            EventKind::Modify(ModifyKind::Name(RenameMode::From)),
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            EventKind::Create(CreateKind::File),
            EventKind::Remove(RemoveKind::File),
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
        ] {
            assert_eq!(in_store(kind, &[index]), Meaning::IndexChanged, "{kind:?}");
        }
        // The rename of the engine's temporary file over the index, as one event.
        let both = EventKind::Modify(ModifyKind::Name(RenameMode::Both));
        assert_eq!(in_store(both, &[temp, index]), Meaning::IndexChanged);
    }

    #[test]
    fn reads_temp_files_blobs_and_locks_do_not_count() {
        let index = &format!("{ROOT}/index.json");
        // The app's own refresh opens and reads the index: that must not refresh again.
        let open = EventKind::Access(AccessKind::Open(AccessMode::Any));
        assert_eq!(in_store(open, &[index]), Meaning::Nothing);
        let read = EventKind::Access(AccessKind::Close(AccessMode::Read));
        assert_eq!(in_store(read, &[index]), Meaning::Nothing);
        let chmod = EventKind::Modify(ModifyKind::Metadata(notify::event::MetadataKind::Any));
        assert_eq!(in_store(chmod, &[index]), Meaning::Nothing);
        for other in [
            ".porthole-a1b2c3.tmp",
            ".porthole-index.lock",
            ".porthole-gc.lock",
            "blobs",
            "ingest",
            "oci-layout",
            "index.json.bak",
            "vulns",
        ] {
            let path = &format!("{ROOT}/{other}");
            for kind in [
                EventKind::Create(CreateKind::Any),
                EventKind::Modify(ModifyKind::Data(DataChange::Any)),
                EventKind::Access(AccessKind::Close(AccessMode::Write)),
                EventKind::Remove(RemoveKind::Any),
            ] {
                assert_eq!(
                    in_store(kind, &[path]),
                    Meaning::Nothing,
                    "{other} {kind:?}"
                );
            }
        }
        // An index.json elsewhere (the watch is not recursive, but be exact anyway).
        let nested = &format!("{ROOT}/blobs/index.json");
        let create = EventKind::Create(CreateKind::File);
        assert_eq!(in_store(create, &[nested]), Meaning::Nothing);
    }

    #[test]
    fn the_store_going_away_or_lost_events_relocate() {
        let gone = EventKind::Remove(RemoveKind::Folder);
        assert_eq!(in_store(gone, &[ROOT]), Meaning::Relocate);
        let moved = EventKind::Modify(ModifyKind::Name(RenameMode::From));
        assert_eq!(in_store(moved, &[ROOT]), Meaning::Relocate);
        let overflow = Event::new(EventKind::Other).set_flag(Flag::Rescan);
        let root = Path::new(ROOT);
        assert_eq!(classify(root, root, &overflow), Meaning::Relocate);
    }

    #[test]
    fn a_watched_parent_cares_only_about_the_way_to_the_store() {
        let root = Path::new(ROOT);
        let parent = Path::new("/home/me/.local/share");
        let created = |path: &str| event(EventKind::Create(CreateKind::Folder), &[path]);
        let on_the_way = created("/home/me/.local/share/porthole");
        assert_eq!(classify(root, parent, &on_the_way), Meaning::Relocate);
        let elsewhere = created("/home/me/.local/share/other-app");
        assert_eq!(classify(root, parent, &elsewhere), Meaning::Nothing);
        let opened = event(
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            &["/home/me/.local/share/porthole"],
        );
        assert_eq!(classify(root, parent, &opened), Meaning::Nothing);
        // The watched parent itself removed.
        let removed = event(
            EventKind::Remove(RemoveKind::Folder),
            &["/home/me/.local/share"],
        );
        assert_eq!(classify(root, parent, &removed), Meaning::Relocate);
    }

    #[test]
    fn a_burst_is_announced_once_after_it_settles() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut debounce = Debounce::new(Duration::from_millis(200), Duration::from_secs(1));
        assert_eq!(debounce.deadline(), None);
        assert!(!debounce.take_due(ms(10_000)), "nothing pending");
        let mut announced = Vec::new();
        // Changes every 50 ms from 0 to 400 ms, then one alone at 2 s.
        let changes = [0, 50, 100, 150, 200, 250, 300, 350, 400, 2_000];
        for now in (0..3_000).step_by(10) {
            if changes.contains(&now) {
                debounce.hit(ms(now));
            }
            if debounce.take_due(ms(now)) {
                announced.push(now);
            }
        }
        assert_eq!(announced, [600, 2_200]);
    }

    #[test]
    fn a_long_burst_is_announced_after_the_longest_wait() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut debounce = Debounce::new(Duration::from_millis(200), Duration::from_secs(1));
        let mut announced = Vec::new();
        // A change every 100 ms for 2.5 s: never quiet for 200 ms.
        for now in (0..3_000).step_by(10) {
            if now <= 2_500 && now % 100 == 0 {
                debounce.hit(ms(now));
            }
            if debounce.take_due(ms(now)) {
                announced.push(now);
            }
        }
        // The change at 1 s is the last of the first burst; the next starts at 1.1 s.
        assert_eq!(announced, [1_000, 2_100, 2_700]);
    }

    #[test]
    fn the_nearest_existing_directory_is_watched_until_the_store_exists() {
        let dir = temp_dir("nearest");
        let root = dir.join("a").join("b").join("store");
        assert_eq!(nearest_existing(&root), Some(dir.clone()));
        std::fs::create_dir_all(&root).unwrap();
        assert_eq!(nearest_existing(&root), Some(root.clone()));
        let _ = std::fs::remove_dir_all(&dir);
    }

    // The real watcher, on a real store written by the engine, from this process as the CLI
    // would from another.

    /// A fresh directory under the system's temporary directory (the app package has no
    /// `tempfile`), removed by the caller.
    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "porthole-app-watch-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Short waits, so that the tests run fast; the timing is the same logic as the app's.
    const TEST_QUIET: Duration = Duration::from_millis(150);
    /// Long enough for a loaded machine to deliver an event.
    const PATIENCE: Duration = Duration::from_secs(5);

    fn watch(root: &Path) -> (StoreWatch, Receiver<()>) {
        let (tx, rx) = mpsc::channel();
        let watch = StoreWatch::start_with(
            root.to_path_buf(),
            Debounce::new(TEST_QUIET, Duration::from_secs(2)),
            move || {
                let _ = tx.send(());
            },
        );
        (watch, rx)
    }

    /// Waits for one announcement, then makes sure no second one follows.
    fn expect_one(announced: &Receiver<()>, what: &str) {
        announced
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|_| panic!("no refresh after {what}"));
        expect_none(announced, &format!("the refresh after {what}"));
    }

    fn expect_none(announced: &Receiver<()>, what: &str) {
        assert!(
            announced.recv_timeout(TEST_QUIET * 4).is_err(),
            "a refresh after {what}"
        );
    }

    /// Writes the blobs of a tiny image (a config, no layers) and returns its manifest.
    fn image_blobs(store: &Store, seed: &str) -> ManifestDescriptor {
        let config = format!(r#"{{"architecture":"amd64","os":"linux","seed":"{seed}"}}"#);
        let config_digest = Digest::of(config.as_bytes());
        store.write_blob(&config_digest, config.as_bytes()).unwrap();
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest.to_string(),
                "size": config.len(),
            },
            "layers": [],
        })
        .to_string();
        let digest = Digest::of(manifest.as_bytes());
        store.write_blob(&digest, manifest.as_bytes()).unwrap();
        ManifestDescriptor {
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            digest,
            size: manifest.len() as u64,
        }
    }

    fn add(store: &Store, name: &str, manifest: &ManifestDescriptor) {
        store
            .add_image(NewImage {
                name: name.into(),
                tag: None,
                manifest: manifest.clone(),
                platform: None,
                index_digest: None,
            })
            .unwrap();
    }

    #[test]
    fn changes_by_another_writer_are_announced_once_and_reads_not_at_all() {
        let dir = temp_dir("changes");
        let root = dir.join("store");
        let store = Store::open(&root).unwrap();
        let (watch, announced) = watch(&root);

        // What a pull does before it records the image: blobs, the gc lock. No refresh.
        let _lock = store.lock_shared().unwrap();
        let manifest = image_blobs(&store, "one");
        expect_none(&announced, "writing blobs");

        add(&store, "docker.io/library/one:1.0", &manifest);
        expect_one(&announced, "an image was added");

        // The app's own refresh reads the store: that must not announce anything.
        assert_eq!(store.images().unwrap().len(), 1);
        let _ = store.gc_estimate();
        expect_none(&announced, "reading the store");

        // Several tags in a row, as `porthole pull` of many does: one refresh.
        for tag in ["a", "b", "c", "d", "e"] {
            add(&store, &format!("docker.io/library/one:{tag}"), &manifest);
        }
        expect_one(&announced, "a burst of five additions");

        store.remove("docker.io/library/one:1.0").unwrap();
        expect_one(&announced, "an image was removed");

        drop(watch);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_store_that_does_not_exist_yet_is_watched_from_its_parent() {
        let dir = temp_dir("missing");
        let root = dir.join("porthole").join("store");
        let (watch, announced) = watch(&root);
        // Give the watch time to start before the store appears (if it started late, it
        // would find the store and watch it directly: the test would still pass, without
        // testing the move).
        std::thread::sleep(TEST_QUIET);

        let store = Store::open(&root).unwrap();
        expect_one(&announced, "the store was created");

        let manifest = image_blobs(&store, "two");
        add(&store, "docker.io/library/two:1.0", &manifest);
        expect_one(&announced, "an image was added to the new store");

        // The store removed whole, then created again: both are noticed.
        std::fs::remove_dir_all(&root).unwrap();
        expect_one(&announced, "the store was removed");
        let store = Store::open(&root).unwrap();
        expect_one(&announced, "the store was created again");
        let manifest = image_blobs(&store, "three");
        add(&store, "docker.io/library/three:1.0", &manifest);
        expect_one(&announced, "an image was added to the re-created store");

        drop(watch);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn dropping_the_watch_stops_it() {
        let dir = temp_dir("drop");
        let root = dir.join("store");
        let store = Store::open(&root).unwrap();
        let (watch, announced) = watch(&root);
        std::thread::sleep(TEST_QUIET);
        let started = Instant::now();
        drop(watch);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the drop waited"
        );
        let manifest = image_blobs(&store, "four");
        add(&store, "docker.io/library/four:1.0", &manifest);
        // The thread has ended: its end of the channel is gone, nothing was announced.
        assert_eq!(
            announced.recv_timeout(TEST_QUIET * 4),
            Err(RecvTimeoutError::Disconnected)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
