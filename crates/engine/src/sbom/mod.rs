//! SBOM export (CycloneDX 1.6 and SPDX 2.3 JSON) of an image's packages.
