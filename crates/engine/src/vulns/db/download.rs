//! Downloading an export (`{data_url}/{ecosystem}/all.zip`) to a temporary file beside the
//! database, streamed: the zips are large (Debian's is hundreds of MB) and the zip reader
//! wants to seek, so they go to disk, never whole into memory.

use std::path::Path;

use futures_util::StreamExt;
use tempfile::NamedTempFile;
use tokio::io::AsyncWriteExt;
use url::Url;

use super::{UpdateEvent, UpdateOptions};
use crate::vulns::VulnError;
use crate::vulns::http;

/// Where OSV.dev publishes its exports.
pub const DEFAULT_DATA_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";

pub(super) const SETTING: &str = "osvDataUrl ($PORTHOLE_OSV_DATA_URL)";

/// The largest export accepted.
const MAX_ZIP: u64 = 8 * 1024 * 1024 * 1024;

pub(super) fn data_base_url(raw: &str) -> Result<Url, VulnError> {
    http::parse_base_url(raw, SETTING, DEFAULT_DATA_URL)
}

/// `{base}/{export}/all.zip`, the export's name as one path segment (`Rocky%20Linux`).
pub(super) fn export_url(base: &Url, export: &str) -> Url {
    let mut url = base.clone();
    url.path_segments_mut()
        .expect("http URLs have paths")
        .pop_if_empty()
        .push(export)
        .push("all.zip");
    url
}

/// Downloads `url` into a temporary file in `dir` (deleted when dropped).
pub(super) async fn fetch(
    client: &reqwest::Client,
    url: &Url,
    dir: &Path,
    export: &str,
    options: &UpdateOptions,
) -> Result<NamedTempFile, VulnError> {
    if let Some(progress) = &options.progress {
        progress(UpdateEvent::Downloading {
            ecosystem: export.to_owned(),
            url: url.to_string(),
        });
    }
    let cancel = &options.cancel;
    let resp = http::send(
        || client.get(url.clone()),
        url,
        SETTING,
        options.retry,
        cancel,
    )
    .await?;
    if resp.content_length().is_some_and(|n| n > MAX_ZIP) {
        return Err(VulnError::TooLarge {
            url: url.to_string(),
            limit: MAX_ZIP,
        });
    }
    let temp = tempfile::Builder::new()
        .prefix(".download-")
        .suffix(".zip")
        .tempfile_in(dir)
        .map_err(VulnError::io("create a temporary file in", dir))?;
    let std_file = temp.reopen().map_err(VulnError::io("open", temp.path()))?;
    let mut file = tokio::fs::File::from_std(std_file);
    let mut written: u64 = 0;
    let mut stream = resp.bytes_stream();
    loop {
        let chunk = tokio::select! {
            () = cancel.cancelled() => return Err(VulnError::Cancelled),
            c = stream.next() => c,
        };
        let Some(chunk) = chunk else { break };
        let chunk = chunk.map_err(|source| VulnError::Network {
            url: url.to_string(),
            setting: SETTING,
            source,
        })?;
        written += chunk.len() as u64;
        if written > MAX_ZIP {
            return Err(VulnError::TooLarge {
                url: url.to_string(),
                limit: MAX_ZIP,
            });
        }
        file.write_all(&chunk)
            .await
            .map_err(VulnError::io("write", temp.path()))?;
    }
    file.flush()
        .await
        .map_err(VulnError::io("write", temp.path()))?;
    if let Some(progress) = &options.progress {
        progress(UpdateEvent::Downloaded {
            ecosystem: export.to_owned(),
            bytes: written,
        });
    }
    Ok(temp)
}
