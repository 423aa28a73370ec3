//! What the layer indexer keeps of the files that detectors want, as a layer streams by.
//!
//! The indexer asks [`Wanted::of`] about every regular file from the tar header alone; for
//! a wanted file it reads the content (which passes through the diff_id hash anyway) and
//! calls [`Wanted::examine`], which runs the detectors and returns a [`FoundFile`] to keep
//! in the layer's index. Files are parsed without the image's OS (a layer does not know
//! which OS the image ends up with): [`apply_os_context`] completes the OS packages' purls
//! once the image's os-release is known.

use serde::{Deserialize, Serialize};

use super::{DetectContext, Detector, Package, PackageType, apk, detectors, dpkg, os_release, rpm};

/// One file of a layer that held packages (or an OS identity), as the index keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundFile {
    /// Absolute and normalised: `/var/lib/dpkg/status`.
    pub path: String,
    /// What the detectors found in it (OS package purls without vendor and distro).
    pub packages: Vec<Package>,
    /// Why a detector could not read it, one line per detector that failed.
    pub errors: Vec<String>,
    /// The content of an os-release candidate ([`os_release::PATHS`]).
    pub os_release: Option<Vec<u8>>,
    /// For `/usr/share/doc/<package>/copyright`: the licences it declares for that deb
    /// package (see [`dpkg::copyright_licenses`]).
    pub copyright_licenses: Option<Vec<String>>,
    /// The files this database says its packages installed: package → absolute paths
    /// (dpkg's `info/<package>.list`, apk's `F`/`R` lines).
    pub owned_files: Vec<(String, Vec<String>)>,
}

/// Which detectors want one file, decided from its header.
pub struct Wanted {
    detectors: Vec<&'static dyn Detector>,
    os_release: bool,
    copyright: bool,
    owners: bool,
}

impl Wanted {
    /// Who wants the regular file at `path` (absolute, normalised) with permission bits
    /// `mode` and `size` bytes; `None` when nobody does (the common case, kept cheap).
    pub fn of(path: &str, mode: u32, size: u64) -> Option<Wanted> {
        let os_release = os_release::wants(path) && size <= os_release::MAX_FILE_SIZE;
        let copyright = dpkg::copyright_of(path).is_some() && size <= dpkg::MAX_COPYRIGHT_SIZE;
        let owners = (dpkg::list_of(path).is_some() || path == apk::INSTALLED)
            && size <= dpkg::MAX_LIST_SIZE;
        let detectors: Vec<_> = detectors()
            .iter()
            .copied()
            .filter(|d| size <= d.max_file_size() && d.wants(path, mode))
            .collect();
        let wanted = Wanted {
            detectors,
            os_release,
            copyright,
            owners,
        };
        wanted.any().then_some(wanted)
    }

    /// Whether a file that starts with `head` (its first bytes, up to 4) is still wanted:
    /// a binary detector has no use for a shell script.
    pub fn after_head(mut self, head: &[u8]) -> Option<Wanted> {
        self.detectors
            .retain(|d| d.magic().is_none_or(|magic| head.starts_with(magic)));
        self.any().then_some(self)
    }

    fn any(&self) -> bool {
        self.os_release || self.copyright || self.owners || !self.detectors.is_empty()
    }

    /// Runs the detectors over the file's content. `None` when the file held nothing worth
    /// keeping (no package, no error, not an os-release file).
    pub fn examine(&self, path: &str, bytes: &[u8]) -> Option<FoundFile> {
        let ctx = DetectContext::default();
        let mut found = FoundFile {
            path: path.to_owned(),
            packages: Vec::new(),
            errors: Vec::new(),
            os_release: self.os_release.then(|| bytes.to_vec()),
            copyright_licenses: self
                .copyright
                .then(|| dpkg::copyright_licenses(bytes))
                .filter(|l| !l.is_empty()),
            owned_files: if self.owners {
                owned_files(path, bytes)
            } else {
                Vec::new()
            },
        };
        for detector in &self.detectors {
            match detector.parse(path, bytes, &ctx) {
                Ok(packages) => found.packages.extend(packages),
                Err(error) => found.errors.push(format!("{}: {error}", detector.name())),
            }
        }
        let keep = found.os_release.is_some()
            || found.copyright_licenses.is_some()
            || !found.owned_files.is_empty()
            || !found.packages.is_empty();
        (keep || !found.errors.is_empty()).then_some(found)
    }
}

/// Package → files, from a dpkg `.list` file or apk's database.
fn owned_files(path: &str, bytes: &[u8]) -> Vec<(String, Vec<String>)> {
    if let Some(package) = dpkg::list_of(path) {
        let files: Vec<String> = String::from_utf8_lossy(bytes)
            .lines()
            .filter(|l| l.starts_with('/') && *l != "/.")
            .map(str::to_owned)
            .collect();
        return if files.is_empty() {
            Vec::new()
        } else {
            vec![(package.to_owned(), files)]
        };
    }
    let mut by_package: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (file, package) in apk::file_owners(bytes) {
        by_package.entry(package).or_default().push(file);
    }
    by_package.into_iter().collect()
}

/// Completes what depends on the image's OS: the vendor and `distro` of deb, apk and rpm
/// purls.
pub fn apply_os_context(packages: &mut [Package], ctx: &DetectContext) {
    for p in packages {
        p.purl = match p.kind {
            PackageType::Deb => dpkg::purl(p, ctx),
            PackageType::Apk => apk::purl(p, ctx),
            PackageType::Rpm => rpm::purl(p, ctx),
            _ => continue,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_wanted_files_are_examined() {
        assert!(Wanted::of("/usr/share/doc/README", 0o644, 10).is_none());
        assert!(Wanted::of("/var/lib/dpkg/status", 0o644, 10).is_some());
        assert!(Wanted::of("/etc/os-release", 0o644, 10).is_some());
        assert!(Wanted::of("/etc/os-release", 0o644, 1 << 20).is_none());
        // An executable is wanted by the binary detectors until its head says it is no ELF.
        let script = Wanted::of("/usr/bin/run", 0o755, 100).unwrap();
        assert!(script.after_head(b"#!/b").is_none());
        let elf = Wanted::of("/usr/bin/run", 0o755, 100).unwrap();
        assert!(elf.after_head(b"\x7fELF").is_some());
    }

    #[test]
    fn os_packages_get_their_purls_from_the_image_os() {
        let status = b"Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10\nArchitecture: amd64\n\n";
        let w = Wanted::of("/var/lib/dpkg/status", 0o644, status.len() as u64).unwrap();
        let mut found = w.examine("/var/lib/dpkg/status", status).unwrap();
        assert_eq!(
            found.packages[0].purl,
            "pkg:deb/debian/curl@7.88.1-10?arch=amd64"
        );
        let os = os_release::parse("/etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n");
        apply_os_context(&mut found.packages, &DetectContext { os });
        assert_eq!(
            found.packages[0].purl,
            "pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12"
        );
    }
}
