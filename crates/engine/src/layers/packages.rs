//! The packages of an image, from what the detectors found in each layer (see
//! `packages::found`), stacked the way the layers stack.
//!
//! A package file (`/var/lib/dpkg/status`, a jar, a Go binary) counts as long as the layer
//! that wrote it is the top one for its path and no layer above removed it (a whiteout of
//! the file or of a directory above it, an opaque directory, or a non-directory written in
//! place of a directory above it). The image's packages are those of the files that count
//! at the top, each listed once, and each is attributed to the **first layer from which
//! it is present without interruption up to the top**: a dpkg database rewritten by every
//! `apt-get install` does not move its older packages to the newest layer (syft's issues
//! #435 and #645), an upgrade moves only the upgraded package, and a package removed and
//! later reinstalled belongs to the layer that reinstalled it.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::LayerIndex;
use super::index::FileType;
use crate::packages::{
    DetectContext, ImagePackages, Package, PackageType, apply_os_context, os_release, sort_packages,
};

/// What makes two packages the same one: OS packages by name, version and architecture
/// (wherever their database keeps them), libraries also by where they are installed (two
/// copies of a library in two places are two installs).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key<'a> {
    kind: PackageType,
    name: &'a str,
    version: &'a str,
    arch: Option<&'a str>,
    location: Option<&'a str>,
}

fn key(p: &Package) -> Key<'_> {
    let os = matches!(
        p.kind,
        PackageType::Deb | PackageType::Apk | PackageType::Rpm
    );
    Key {
        kind: p.kind,
        name: &p.name,
        version: &p.version,
        arch: p.arch.as_deref(),
        location: (!os).then_some(p.location.as_str()),
    }
}

/// The image's OS and packages. `step_of[i]` is the build step of layer `i` (the number
/// `porthole layers` shows, which [`Package::layer`] takes).
pub(crate) fn image_packages(layers: &[LayerIndex], step_of: &[usize]) -> ImagePackages {
    // For each layer, the packages present once it is applied.
    let mut present: Vec<HashSet<Key<'_>>> = Vec::with_capacity(layers.len());
    let visible = stack(layers, |visible| {
        present.push(
            visible
                .values()
                .flat_map(|&(l, k)| &layers[l].found[k].packages)
                .map(key)
                .collect(),
        );
    });

    let file = |&(l, k): &(usize, usize)| &layers[l].found[k];
    let os =
        os_release::resolve(|path| visible.get(path).and_then(|at| file(at).os_release.clone()));
    let mut seen = HashSet::new();
    let mut packages = Vec::new();
    let mut problems = Vec::new();
    for at in visible.values() {
        let found = file(at);
        problems.extend(found.errors.iter().cloned());
        for p in &found.packages {
            let k = key(p);
            if !seen.insert(k) {
                continue;
            }
            let mut first = layers.len() - 1;
            while first > 0 && present[first - 1].contains(&k) {
                first -= 1;
            }
            let mut p = p.clone();
            p.layer = Some(step_of.get(first).copied().unwrap_or(first));
            p.layer_digest = Some(layers[first].digest.clone());
            packages.push(p);
        }
    }
    // Debian keeps licences beside the package, in its copyright file (syft reads them
    // the same way); a package whose file a later layer removed has none.
    for p in packages
        .iter_mut()
        .filter(|p| p.kind == PackageType::Deb && p.licenses.is_empty())
    {
        let dir = doc_dir(layers, &p.name);
        let path = format!("/usr/share/doc/{dir}/copyright");
        if let Some(licenses) = visible
            .get(path.as_str())
            .and_then(|at| file(at).copyright_licenses.as_ref())
        {
            p.licenses = licenses.clone();
        }
    }
    let ctx = DetectContext { os: os.clone() };
    apply_os_context(&mut packages, &ctx);
    sort_packages(&mut packages);
    ImagePackages {
        os,
        packages,
        problems,
    }
}

/// Where each found file that counts at the top comes from: path → (layer, position in
/// its found files). `each` sees the map after every layer is applied.
fn stack<'a>(
    layers: &'a [LayerIndex],
    mut each: impl FnMut(&BTreeMap<&'a str, (usize, usize)>),
) -> BTreeMap<&'a str, (usize, usize)> {
    let mut visible: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (i, layer) in layers.iter().enumerate() {
        visible.retain(|path, _| survives(layer, path));
        for (k, file) in layer.found.iter().enumerate() {
            visible.insert(&file.path, (i, k));
        }
        each(&visible);
    }
    visible
}

/// Which package installed each path of the final filesystem, from the package databases
/// that count at the top (dpkg's file lists, apk's database): absolute path → package. A
/// path two packages claim (a directory, a diverted file) goes to the first listed.
pub(crate) fn file_owners(layers: &[LayerIndex]) -> HashMap<String, String> {
    let visible = stack(layers, |_| {});
    let mut owners = HashMap::new();
    for &(l, k) in visible.values() {
        for (package, files) in &layers[l].found[k].owned_files {
            for file in files {
                owners
                    .entry(file.clone())
                    .or_insert_with(|| package.clone());
            }
        }
    }
    owners
}

/// Whether the file at `path` (absolute) in the layers below `layer` is still there once
/// `layer` is applied. A file that `layer` writes again does not survive: if the new one
/// holds packages, it is in `layer`'s found files.
fn survives(layer: &LayerIndex, path: &str) -> bool {
    if layer.root_opaque {
        return false;
    }
    let relative = path.trim_start_matches('/');
    for (end, _) in relative.match_indices('/') {
        if let Some(dir) = layer.get(&relative[..end])
            && (dir.kind != Some(FileType::Dir) || dir.whiteout || dir.opaque)
        {
            return false;
        }
    }
    layer.get(relative).is_none()
}

/// The directory under `/usr/share/doc` that holds the docs of deb package `name`: its own,
/// or the one its own is a symlink to (Debian links `libgcc-s1` to `gcc-12-base`, and so on).
fn doc_dir<'a>(layers: &'a [LayerIndex], name: &'a str) -> &'a str {
    let path = format!("usr/share/doc/{name}");
    let Some(entry) = layers.iter().rev().find_map(|l| l.get(&path)) else {
        return name;
    };
    if entry.kind != Some(FileType::Symlink) {
        return name;
    }
    let target = entry.link_target.unwrap_or_default();
    let target = target
        .strip_prefix("/usr/share/doc/")
        .or_else(|| target.strip_prefix("./"))
        .unwrap_or(target)
        .trim_end_matches('/');
    if target.is_empty() || target.contains('/') || target == ".." {
        name
    } else {
        target
    }
}
