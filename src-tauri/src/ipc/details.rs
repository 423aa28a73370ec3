//! The image details page's IPC types: build steps, files and the run config.

use serde::Serialize;
use ts_rs::TS;

use porthole_engine::layers::{
    ChangeKind, FileEntry, FileType, LayerStep, ListedEntry, Listing, Waste,
};

/// One build step of the image (a row of the Layers tab).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct LayerRow {
    pub index: u32,
    /// The layer's digest; `null` for a step that made no layer (`ENV`, `CMD`, ...).
    pub digest: Option<String>,
    /// The step's command, `/bin/sh -c #(nop) ` trimmed.
    pub command: Option<String>,
    /// The step's command as the config has it.
    pub created_by: Option<String>,
    pub created: Option<String>,
    /// Compressed bytes of its layer.
    #[ts(type = "number")]
    pub size: u64,
    pub empty: bool,
    #[ts(type = "number")]
    pub added: u64,
    #[ts(type = "number")]
    pub modified: u64,
    #[ts(type = "number")]
    pub removed: u64,
}

/// `/bin/sh -c #(nop)  CMD ["nginx"]` → `CMD ["nginx"]`; `/bin/sh -c apt-get …` → `RUN apt-get …`.
pub fn readable_command(created_by: &str) -> String {
    let text = created_by.trim();
    if let Some(rest) = text.strip_prefix("/bin/sh -c #(nop)") {
        return rest.trim().to_owned();
    }
    if let Some(rest) = text.strip_prefix("/bin/sh -c ") {
        return format!("RUN {}", rest.trim());
    }
    text.strip_suffix(" # buildkit").unwrap_or(text).to_owned()
}

impl From<LayerStep> for LayerRow {
    fn from(step: LayerStep) -> LayerRow {
        LayerRow {
            index: u32::try_from(step.index).unwrap_or(u32::MAX),
            digest: step.digest.map(|d| d.to_string()),
            command: step.created_by.as_deref().map(readable_command),
            created_by: step.created_by,
            created: step.created,
            size: step.size,
            empty: step.empty_layer,
            added: step.added,
            modified: step.modified,
            removed: step.removed,
        }
    }
}

/// How a build step changed a path (the Files tab's A / M / D marks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub enum FileMark {
    Added,
    Modified,
    Removed,
}

impl From<ChangeKind> for FileMark {
    fn from(kind: ChangeKind) -> FileMark {
        match kind {
            ChangeKind::Added => FileMark::Added,
            ChangeKind::Modified => FileMark::Modified,
            ChangeKind::Removed => FileMark::Removed,
        }
    }
}

/// Bytes of a path that a later build step overwrote or removed (counted in the image's
/// wasted space).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct FileWaste {
    #[ts(type = "number")]
    pub bytes: u64,
    /// The later step that overwrote or removed them.
    pub by_step: u32,
    /// `modified` (written over) or `removed`.
    pub how: FileMark,
}

impl From<Waste> for FileWaste {
    fn from(waste: Waste) -> FileWaste {
        FileWaste {
            bytes: waste.bytes,
            by_step: u32::try_from(waste.by_step).unwrap_or(u32::MAX),
            how: waste.how.into(),
        }
    }
}

/// One path of the image (a row of the Files tab): of its final filesystem, or of what the
/// chosen build steps changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct FileRow {
    /// Absolute: `/usr/bin/env`.
    pub path: String,
    /// The last component: `env`.
    pub name: String,
    /// `file`, `dir`, `symlink`, `hardlink`, `char`, `block` or `fifo`.
    pub kind: String,
    #[ts(type = "number")]
    pub size: u64,
    pub link_target: Option<String>,
    /// Type and permissions as `ls -l` shows them: `-rwsr-xr-x`.
    pub mode: String,
    /// Whether it is setuid or setgid (a file that runs with its owner's or group's rights).
    pub set_id: bool,
    #[ts(type = "number")]
    pub uid: u64,
    #[ts(type = "number")]
    pub gid: u64,
    /// The step that last wrote it (among changes: the step that made `change`).
    pub layer: u32,
    /// What the step did to it; `null` in the whole image, and for a directory listed only
    /// because the chosen steps changed something inside it.
    pub change: Option<FileMark>,
    /// Whether the listing has entries inside it (it can be expanded).
    pub has_children: bool,
    /// Its bytes that a later step overwrote or removed (in the whole image: the bytes of
    /// its earlier versions).
    pub waste: Option<FileWaste>,
}

impl From<FileEntry> for FileRow {
    fn from(entry: FileEntry) -> FileRow {
        let name = entry
            .path
            .rsplit('/')
            .next()
            .filter(|n| !n.is_empty())
            .unwrap_or("/")
            .to_owned();
        FileRow {
            name,
            kind: entry.kind.as_str().to_owned(),
            mode: entry.kind.mode_string(entry.mode),
            set_id: entry.kind == FileType::File && entry.mode & 0o6000 != 0,
            uid: entry.uid,
            gid: entry.gid,
            size: entry.size,
            link_target: entry.link_target,
            layer: u32::try_from(entry.layer).unwrap_or(u32::MAX),
            path: entry.path,
            change: None,
            has_children: false,
            waste: None,
        }
    }
}

impl From<ListedEntry> for FileRow {
    fn from(listed: ListedEntry) -> FileRow {
        FileRow {
            change: listed.change.map(FileMark::from),
            has_children: listed.has_children,
            waste: listed.waste.map(FileWaste::from),
            ..FileRow::from(listed.entry)
        }
    }
}

/// One page of a directory's entries in the Files tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct FilePage {
    /// How many entries the directory has (in the whole image, or among the changes).
    pub total: u32,
    /// The position of `rows[0]` among them.
    pub offset: u32,
    pub rows: Vec<FileRow>,
}

impl From<Listing> for FilePage {
    fn from(listing: Listing) -> FilePage {
        FilePage {
            total: u32::try_from(listing.total).unwrap_or(u32::MAX),
            offset: u32::try_from(listing.offset).unwrap_or(u32::MAX),
            rows: listing.entries.into_iter().map(FileRow::from).collect(),
        }
    }
}

/// A label of the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct Label {
    pub key: String,
    pub value: String,
}

/// How the image runs, from its config blob.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct RunConfig {
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub env: Vec<String>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    pub exposed_ports: Vec<String>,
    pub volumes: Vec<String>,
    pub labels: Vec<Label>,
}

impl From<porthole_engine::run_config::RunConfig> for RunConfig {
    fn from(c: porthole_engine::run_config::RunConfig) -> RunConfig {
        RunConfig {
            entrypoint: c.entrypoint,
            cmd: c.cmd,
            env: c.env,
            working_dir: c.working_dir,
            user: c.user,
            exposed_ports: c.exposed_ports,
            volumes: c.volumes,
            labels: c
                .labels
                .into_iter()
                .map(|(key, value)| Label { key, value })
                .collect(),
        }
    }
}

/// What the details page shows of an image: its build steps and run config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct ImageDetails {
    pub steps: Vec<LayerRow>,
    pub config: RunConfig,
    /// Paths in the final filesystem.
    #[ts(type = "number")]
    pub file_count: u64,
}
