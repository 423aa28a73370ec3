//! The subject of an image of the store: what the CLI's `porthole sbom` and the app's
//! Export button describe.

use super::{SbomLayer, SbomSubject};
use crate::layers::ImageLayers;
use crate::packages::ImagePackages;
use crate::reference::Reference;
use crate::store::ImageSummary;

impl SbomSubject {
    /// The image `image` of the store, with its indexed `layers` and the `packages` found
    /// in them (`layers.packages()`). Layers are numbered by build step, as
    /// [`crate::packages::Package::layer`] is.
    pub fn for_image(
        image: &ImageSummary,
        layers: &ImageLayers,
        packages: ImagePackages,
    ) -> SbomSubject {
        SbomSubject {
            reference: image
                .reference
                .as_deref()
                .and_then(|r| Reference::parse(r).ok()),
            manifest_digest: image.digest.clone(),
            image_id: Some(image.id.clone()),
            platform: image.platform.clone(),
            os: packages.os,
            packages: packages.packages,
            layers: layers
                .steps()
                .into_iter()
                .filter_map(|step| {
                    Some(SbomLayer {
                        index: step.index,
                        digest: step.digest?,
                        diff_id: step.diff_id,
                    })
                })
                .collect(),
        }
    }
}
