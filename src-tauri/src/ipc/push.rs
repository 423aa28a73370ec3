//! A push's IPC types: where it goes, the progress streamed over its channel, what it
//! answers, and how its errors reach the UI.

use serde::Serialize;
use ts_rs::TS;

use porthole_engine::Reference;
use porthole_engine::registry::RegistryError;
use porthole_engine::registry::push::{BlobStatus, PushError, PushEvent, PushReport};

use super::{IpcError, IpcErrorCode, sign_in_in_settings};

/// A destination as the push will use it: normalised as Docker does (`app` →
/// `docker.io/library/app:latest`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct PushDestination {
    /// The full reference: `127.0.0.1:5000/team/app:1.0`.
    pub reference: String,
    /// The registry host: `docker.io`, `127.0.0.1:5000`.
    pub registry: String,
    pub repository: String,
    pub tag: String,
    /// Docker Hub, whose sign-in the Settings page lists as "Docker Hub" (no host).
    pub docker_hub: bool,
}

impl PushDestination {
    /// `reference`, parsed and normalised; a digest (which names content, not a place) is
    /// refused with the engine's words for it.
    pub fn parse(reference: &str) -> Result<PushDestination, IpcError> {
        let parsed = Reference::parse(reference.trim())?;
        let Some(tag) = parsed.tag() else {
            return Err(PushError::DigestDestination {
                destination: parsed.to_string(),
                name: parsed.name(),
            }
            .into());
        };
        Ok(PushDestination {
            reference: parsed.to_string(),
            registry: parsed.registry().to_owned(),
            repository: parsed.repository().to_owned(),
            tag: tag.to_owned(),
            docker_hub: parsed.is_docker_hub(),
        })
    }
}

/// One blob (the config, then each layer) of the image being pushed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct PushBlob {
    pub digest: String,
    #[ts(type = "number")]
    pub size: u64,
    pub media_type: String,
}

/// What a running push reports over its channel (the engine's `PushEvent`, as text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(
    tag = "event",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub enum PushProgress {
    /// The image was read from the store whole: these blobs (config first) will be pushed.
    Started {
        reference: String,
        digest: String,
        blobs: Vec<PushBlob>,
    },
    /// The repository has the blob already.
    BlobExists { digest: String },
    /// The registry mounted the blob from another of its repositories (`from`).
    BlobMounted { digest: String, from: String },
    /// A foreign (non-distributable) layer, left out as Docker leaves it out.
    BlobSkipped { digest: String },
    /// Bytes of the blob sent so far in its current attempt.
    BlobProgress {
        digest: String,
        #[ts(type = "number")]
        uploaded: u64,
        #[ts(type = "number")]
        total: u64,
    },
    /// The upload failed and starts again.
    BlobRetrying {
        digest: String,
        attempt: u32,
        reason: String,
    },
    /// The registry has the blob, uploaded and verified.
    BlobPushed { digest: String },
    /// The manifest is in the registry under the destination's tag.
    ManifestPushed { digest: String },
}

impl PushProgress {
    /// The engine's event as the UI sees it; `None` for an event this app does not know yet.
    pub fn from_event(event: PushEvent) -> Option<PushProgress> {
        Some(match event {
            PushEvent::Started {
                reference,
                digest,
                blobs,
            } => PushProgress::Started {
                reference,
                digest: digest.to_string(),
                blobs: blobs
                    .into_iter()
                    .map(|b| PushBlob {
                        digest: b.digest.to_string(),
                        size: b.size,
                        media_type: b.media_type,
                    })
                    .collect(),
            },
            PushEvent::BlobExists { digest } => PushProgress::BlobExists {
                digest: digest.to_string(),
            },
            PushEvent::BlobMounted { digest, from } => PushProgress::BlobMounted {
                digest: digest.to_string(),
                from,
            },
            PushEvent::BlobSkipped { digest } => PushProgress::BlobSkipped {
                digest: digest.to_string(),
            },
            PushEvent::BlobProgress {
                digest,
                uploaded,
                total,
            } => PushProgress::BlobProgress {
                digest: digest.to_string(),
                uploaded,
                total,
            },
            PushEvent::BlobRetrying {
                digest,
                attempt,
                reason,
            } => PushProgress::BlobRetrying {
                digest: digest.to_string(),
                attempt,
                reason,
            },
            PushEvent::BlobPushed { digest } => PushProgress::BlobPushed {
                digest: digest.to_string(),
            },
            PushEvent::ManifestPushed { digest } => PushProgress::ManifestPushed {
                digest: digest.to_string(),
            },
            _ => return None,
        })
    }
}

/// What a finished push answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "../ui/src/tauri/bindings/")]
pub struct PushedImage {
    /// The destination, full and normalised.
    pub reference: String,
    /// The manifest's digest, the same in the store and in the registry.
    pub digest: String,
    /// The config's digest: the image ID.
    pub id: String,
    /// Bytes uploaded by this push (each blob counted once).
    #[ts(type = "number")]
    pub bytes_uploaded: u64,
    /// Blobs uploaded, already in the repository, mounted, and foreign ones left out.
    pub pushed: u32,
    pub existing: u32,
    pub mounted: u32,
    pub skipped: u32,
}

impl From<PushReport> for PushedImage {
    fn from(report: PushReport) -> PushedImage {
        let statuses: Vec<BlobStatus> = std::iter::once(&report.config)
            .chain(&report.layers)
            .map(|b| b.status)
            .collect();
        let count = |status: BlobStatus| {
            u32::try_from(statuses.iter().filter(|s| **s == status).count()).unwrap_or(u32::MAX)
        };
        PushedImage {
            pushed: count(BlobStatus::Pushed),
            existing: count(BlobStatus::Exists),
            mounted: count(BlobStatus::Mounted),
            skipped: count(BlobStatus::SkippedForeign),
            reference: report.reference,
            digest: report.digest.to_string(),
            id: report.id.to_string(),
            bytes_uploaded: report.bytes_uploaded,
        }
    }
}

impl From<PushError> for IpcError {
    fn from(error: PushError) -> IpcError {
        match error {
            // Signing in to push, or an account that may only pull: both are the person's
            // to fix in Settings.
            PushError::Registry(
                e @ (RegistryError::PushAuthRequired { .. } | RegistryError::PushDenied { .. }),
            ) => IpcError::new(IpcErrorCode::Auth, sign_in_in_settings(e.to_string())),
            PushError::Registry(e) => e.into(),
            PushError::Store(e) => e.into(),
            PushError::Cancelled => {
                IpcError::new(IpcErrorCode::Cancelled, "The push was cancelled.")
            }
            e @ PushError::MissingBlobs { .. } => {
                IpcError::new(IpcErrorCode::NotFound, e.to_string())
            }
            e @ (PushError::DigestDestination { .. }
            | PushError::DestinationDigestMismatch { .. }
            | PushError::InvalidImage { .. }) => {
                IpcError::new(IpcErrorCode::InvalidInput, e.to_string())
            }
            e => IpcError::internal(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use porthole_engine::Digest;
    use porthole_engine::registry::push::BlobReport;

    use super::*;

    #[test]
    fn a_destination_is_normalised_as_docker_does() {
        let hub = PushDestination::parse(" app ").unwrap();
        assert_eq!(
            hub,
            PushDestination {
                reference: "docker.io/library/app:latest".into(),
                registry: "docker.io".into(),
                repository: "library/app".into(),
                tag: "latest".into(),
                docker_hub: true,
            }
        );
        let own = PushDestination::parse("127.0.0.1:5000/e2e/pushed:1").unwrap();
        assert_eq!(own.reference, "127.0.0.1:5000/e2e/pushed:1");
        assert_eq!(own.registry, "127.0.0.1:5000");
        assert_eq!(own.repository, "e2e/pushed");
        assert_eq!(own.tag, "1");
        assert!(!own.docker_hub);
    }

    #[test]
    fn a_digest_destination_is_refused_in_the_engines_words() {
        let digest = Digest::of(b"manifest");
        let error =
            PushDestination::parse(&format!("registry.lan:5000/team/app@{digest}")).unwrap_err();
        assert_eq!(error.code, IpcErrorCode::InvalidInput);
        assert_eq!(
            error.message,
            format!(
                "cannot push to registry.lan:5000/team/app@{digest}: a digest names content, not a \
                 place to put it; give a tag instead (e.g. registry.lan:5000/team/app:latest)"
            )
        );
        let bad = PushDestination::parse("Team/App").unwrap_err();
        assert_eq!(bad.code, IpcErrorCode::InvalidInput);
    }

    #[test]
    fn push_errors_name_what_to_do_in_the_app() {
        let anonymous = IpcError::from(PushError::Registry(RegistryError::PushAuthRequired {
            registry: "127.0.0.1:5000".into(),
            repository: "team/app".into(),
        }));
        assert_eq!(anonymous.code, IpcErrorCode::Auth);
        assert_eq!(
            anonymous.message,
            "registry 127.0.0.1:5000 requires you to sign in to push to team/app: sign in to \
             127.0.0.1:5000 in Settings (Registries › Sign-in)"
        );
        let pull_only = IpcError::from(PushError::Registry(RegistryError::PushDenied {
            registry: "127.0.0.1:5000".into(),
            repository: "team/app".into(),
        }));
        assert_eq!(pull_only.code, IpcErrorCode::Auth);
        assert_eq!(
            pull_only.message,
            "registry 127.0.0.1:5000 denied push access to team/app: the account you are signed \
             in with may pull but not push there (sign in to 127.0.0.1:5000 as another user in \
             Settings (Registries › Sign-in))"
        );
        let refused = IpcError::from(PushError::Registry(RegistryError::CredentialsRefused {
            registry: "ghcr.io".into(),
            repository: "o/app".into(),
        }));
        assert_eq!(refused.code, IpcErrorCode::Auth);
        assert!(
            refused
                .message
                .ends_with("sign in to ghcr.io in Settings (Registries › Sign-in)"),
            "{}",
            refused.message
        );
        assert_eq!(
            IpcError::from(PushError::Cancelled),
            IpcError::new(IpcErrorCode::Cancelled, "The push was cancelled.")
        );
        let missing = IpcError::from(PushError::MissingBlobs {
            image: "team/app:1".into(),
            missing: vec![("layer 2".into(), Digest::of(b"layer"))],
        });
        assert_eq!(missing.code, IpcErrorCode::NotFound);
        assert!(
            missing.message.contains("its layer 2 sha256:"),
            "{}",
            missing.message
        );
        let limited = IpcError::from(PushError::Registry(RegistryError::RateLimited {
            registry: "docker.io".into(),
            limit: None,
            retry_after: None,
        }));
        assert_eq!(limited.code, IpcErrorCode::RateLimited);
    }

    #[test]
    fn a_report_counts_its_blobs_by_what_happened() {
        let blob = |name: &[u8], size, status| BlobReport {
            digest: Digest::of(name),
            size,
            media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
            status,
        };
        let report = PushReport {
            reference: "127.0.0.1:5000/e2e/pushed:1".into(),
            digest: Digest::of(b"manifest"),
            id: Digest::of(b"config"),
            config: blob(b"config", 10, BlobStatus::Pushed),
            layers: vec![
                blob(b"a", 100, BlobStatus::Pushed),
                blob(b"b", 200, BlobStatus::Exists),
                blob(b"c", 300, BlobStatus::Mounted),
                blob(b"d", 400, BlobStatus::SkippedForeign),
            ],
            bytes_uploaded: 110,
        };
        let answer = serde_json::to_value(PushedImage::from(report)).unwrap();
        assert_eq!(
            answer,
            serde_json::json!({
                "reference": "127.0.0.1:5000/e2e/pushed:1",
                "digest": Digest::of(b"manifest").to_string(),
                "id": Digest::of(b"config").to_string(),
                "bytesUploaded": 110,
                "pushed": 2,
                "existing": 1,
                "mounted": 1,
                "skipped": 1,
            })
        );
    }

    #[test]
    fn progress_is_tagged_camel_case() {
        let digest = Digest::of(b"layer");
        let mounted = PushProgress::from_event(PushEvent::BlobMounted {
            digest: digest.clone(),
            from: "src/app".into(),
        })
        .unwrap();
        assert_eq!(
            serde_json::to_value(&mounted).unwrap(),
            serde_json::json!({ "event": "blobMounted", "digest": digest.to_string(), "from": "src/app" })
        );
        let progress = PushProgress::from_event(PushEvent::BlobProgress {
            digest: digest.clone(),
            uploaded: 5,
            total: 10,
        })
        .unwrap();
        assert_eq!(
            serde_json::to_value(&progress).unwrap(),
            serde_json::json!({ "event": "blobProgress", "digest": digest.to_string(), "uploaded": 5, "total": 10 })
        );
    }
}
