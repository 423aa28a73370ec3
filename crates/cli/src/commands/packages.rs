//! `porthole packages REF`: the OS packages and libraries installed in an image, each with
//! the build step that introduced it; `porthole os REF`: the image's OS.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::bail;
use porthole_engine::layers::ImageLayers;
use porthole_engine::packages::{ImagePackages, PackageType};

use super::images::print_table;
use super::{Context, blocking};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A reference (`nginx`, `nginx:1.27`), an image ID or a unique prefix of one.
    pub image: String,
    /// Only these types, comma-separated: deb, apk, rpm, python, npm, go, cargo, maven,
    /// gem, composer.
    #[arg(long = "type", value_name = "TYPES", value_delimiter = ',')]
    pub types: Vec<String>,
    /// Only the packages that this step (the STEP column of `porthole layers`) introduced.
    #[arg(long, value_name = "N")]
    pub layer: Option<usize>,
}

#[derive(clap::Args, Debug)]
pub struct OsArgs {
    /// A reference (`nginx`, `nginx:1.27`), an image ID or a unique prefix of one.
    pub image: String,
}

/// The image's packages, after checking `--layer` against its steps.
async fn load(ctx: &Context, image: String, layer: Option<usize>) -> anyhow::Result<ImagePackages> {
    let store = ctx.store()?;
    blocking(move || {
        let image = store.resolve(&image)?;
        let layers = ImageLayers::load(&store, &image)?;
        if let Some(step) = layer {
            layers.check_step(step)?;
        }
        Ok(layers.packages())
    })
    .await
}

fn parse_types(names: &[String]) -> anyhow::Result<Vec<PackageType>> {
    names
        .iter()
        .map(|name| name.trim())
        .filter(|name| !name.is_empty())
        .map(
            |name| match PackageType::parse(&name.to_ascii_lowercase()) {
                Some(t) => Ok(t),
                None => {
                    let known: Vec<_> = PackageType::ALL.iter().map(|t| t.as_str()).collect();
                    bail!(
                        "unknown package type {name:?}; the types are {}",
                        known.join(", ")
                    )
                }
            },
        )
        .collect()
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let types = parse_types(&args.types)?;
    let found = load(ctx, args.image, args.layer).await?;
    for problem in &found.problems {
        eprintln!("porthole: warning: {problem}");
    }
    let packages: Vec<_> = found
        .packages
        .iter()
        .filter(|p| types.is_empty() || types.contains(&p.kind))
        .filter(|p| args.layer.is_none_or(|step| p.layer == Some(step)))
        .collect();
    if ctx.json {
        ctx.print_json(&packages)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<[String; 5]> = packages
        .iter()
        .map(|p| {
            [
                p.name.clone(),
                p.version.clone(),
                p.kind.to_string(),
                p.layer.map_or_else(String::new, |l| l.to_string()),
                p.location.clone(),
            ]
        })
        .collect();
    print_table(&["NAME", "VERSION", "TYPE", "STEP", "LOCATION"], &rows);
    let mut counts: BTreeMap<PackageType, usize> = BTreeMap::new();
    for p in &packages {
        *counts.entry(p.kind).or_default() += 1;
    }
    let by_type: Vec<String> = counts.iter().map(|(t, n)| format!("{n} {t}")).collect();
    let os = found
        .os
        .as_ref()
        .map(|os| os.pretty_name.clone().unwrap_or_else(|| os.id.clone()))
        .unwrap_or_else(|| "an unknown OS".into());
    eprintln!(
        "{} package{} ({}) on {os}",
        packages.len(),
        if packages.len() == 1 { "" } else { "s" },
        if by_type.is_empty() {
            "none".into()
        } else {
            by_type.join(", ")
        },
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn run_os(ctx: &Context, args: OsArgs) -> anyhow::Result<ExitCode> {
    let found = load(ctx, args.image, None).await?;
    if ctx.json {
        ctx.print_json(&found.os)?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(os) = found.os else {
        println!(
            "unknown: the image has no /etc/os-release, /usr/lib/os-release or older release file"
        );
        return Ok(ExitCode::SUCCESS);
    };
    let rows: Vec<[String; 2]> = [
        ("PRETTY_NAME", os.pretty_name.clone()),
        ("ID", Some(os.id.clone())),
        (
            "ID_LIKE",
            (!os.id_like.is_empty()).then(|| os.id_like.join(" ")),
        ),
        ("VERSION_ID", os.version_id.clone()),
        ("VERSION_CODENAME", os.version_codename.clone()),
        ("FROM", Some(os.location.clone())),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some([k.to_owned(), v?]))
    .collect();
    for [k, v] in rows {
        println!("{k:<17} {v}");
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_checked() {
        let t = parse_types(&["deb".into(), " RPM ".into()]).unwrap();
        assert_eq!(t, [PackageType::Deb, PackageType::Rpm]);
        let e = parse_types(&["debs".into()]).unwrap_err().to_string();
        assert!(
            e.contains("unknown package type \"debs\"") && e.contains("composer"),
            "{e}"
        );
    }
}
