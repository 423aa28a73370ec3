/// Why an SBOM could not be asked for. Rendering itself cannot fail: everything an image
/// says is carried (escaped, sanitised or set aside) rather than rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SbomError {
    /// The creation time is not an RFC 3339 date-time (or lies outside years 1–9999).
    #[error(
        "`{input}` is not an RFC 3339 date-time: give one such as `2024-05-01T12:00:00Z` \
         or `2024-05-01T14:00:00+02:00`"
    )]
    InvalidTimestamp { input: String },

    /// The format name is not one Porthole writes.
    #[error("`{input}` is not an SBOM format: choose `cyclonedx` or `spdx`")]
    UnknownFormat { input: String },
}
