//! `porthole diff BASE TARGET`: what changed from one image to another (packages upgraded,
//! added and removed, files added, removed and modified, shared layers, and with `--vulns`
//! the advisories fixed and introduced), as `docker scout compare` and `container-diff`
//! show it.

use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::bail;
use porthole_engine::Reference;
use porthole_engine::compare::{self, ContentChange, Direction, ImageDiff, Loaded};
use porthole_engine::layers::FileEntry;
use porthole_engine::store::StoreError;
use porthole_engine::vulns::{ImageScan, ScanOptions, SourceMode};

use super::images::print_table;
use super::pull::pull_with_progress;
use super::{Context, blocking};
use crate::output::human_size;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The image to compare from: a reference, an image ID or a unique prefix of one.
    pub base: String,
    /// The image to compare to.
    pub target: String,
    /// What to list, comma-separated: packages, files, config (all by default). The summary
    /// and `--json` always hold every part.
    #[arg(long = "type", value_name = "TYPES", value_delimiter = ',')]
    pub types: Vec<String>,
    /// Also scan both images for vulnerabilities and list the advisories the target fixes
    /// and introduces (the OSV API, or the offline database when one is imported).
    #[arg(long)]
    pub vulns: bool,
    /// Pull the images the store lacks first (as `docker run --pull missing`), so that
    /// `porthole diff --pull nginx:1.26 nginx:1.27` works on a fresh machine.
    #[arg(long)]
    pub pull: bool,
    /// Compare this file's contents instead (repeatable): a unified diff for text (`a/` is
    /// BASE, `b/` is TARGET, as `patch -p1` reads it), or whether the bytes differ.
    #[arg(long = "file", value_name = "PATH")]
    pub files: Vec<String>,
}

/// `--file PATH…`: each file's contents compared; `--json`, an array of the comparisons.
async fn content_diffs(
    ctx: &Context,
    store: porthole_engine::store::Store,
    base: Loaded,
    target: Loaded,
    paths: Vec<String>,
) -> anyhow::Result<ExitCode> {
    let diffs = blocking(move || {
        paths
            .iter()
            .map(|path| {
                compare::diff_content(&store, &base.layers, &target.layers, path, ("a", "b"))
                    .map_err(anyhow::Error::from)
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })
    .await?;
    if ctx.json {
        ctx.print_json(&diffs)?;
        return Ok(ExitCode::SUCCESS);
    }
    for diff in &diffs {
        let path = &diff.path;
        match &diff.change {
            ContentChange::Text { unified, .. } => print!("{unified}"),
            ContentChange::Identical => println!(
                "Files a{path} and b{path} are identical ({})",
                diff.base
                    .as_ref()
                    .map_or(String::new(), |v| v.sha256.to_string())
            ),
            ContentChange::Binary => println!("Binary files a{path} and b{path} differ"),
            ContentChange::TooLarge => println!(
                "Files a{path} and b{path} differ (over {} MiB: compared by SHA-256 only)",
                compare::TEXT_DIFF_LIMIT >> 20
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Part {
    Packages,
    Files,
    Config,
}

fn parse_types(names: &[String]) -> anyhow::Result<Vec<Part>> {
    let mut parts = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        parts.push(match name.to_ascii_lowercase().as_str() {
            "packages" => Part::Packages,
            "files" => Part::Files,
            "config" => Part::Config,
            _ => bail!("unknown type {name:?}; the types are packages, files, config"),
        });
    }
    if parts.is_empty() {
        parts = vec![Part::Packages, Part::Files, Part::Config];
    }
    Ok(parts)
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let parts = parse_types(&args.types)?;
    let store = ctx.store()?;
    if args.pull {
        for name in [&args.base, &args.target] {
            let lookup = {
                let (store, name) = (store.clone(), name.clone());
                blocking(move || Ok(store.resolve(&name))).await?
            };
            if let Err(StoreError::NotFound { .. }) = lookup {
                // Not an image ID either: a reference to fetch.
                let reference = Reference::parse(name)?;
                pull_with_progress(ctx, &reference, None, None, true).await?;
            }
        }
    }
    let (base, target) = {
        let store = store.clone();
        let (base, target) = (args.base, args.target);
        blocking(move || {
            let base = store.resolve(&base)?;
            let target = store.resolve(&target)?;
            Ok((Loaded::load(&store, base)?, Loaded::load(&store, target)?))
        })
        .await?
    };
    if !args.files.is_empty() {
        return content_diffs(ctx, store, base, target, args.files).await;
    }
    let mut diff = compare::compare(base.view(), target.view());
    if args.vulns {
        let options = ScanOptions::default();
        let how = ImageScan {
            config: &ctx.config,
            store_root: store.root(),
            mode: SourceMode::Auto,
            options: &options,
            now: SystemTime::now(),
        };
        compare::add_vulnerabilities(&mut diff, base.view(), target.view(), &how).await?;
    }
    if ctx.json {
        ctx.print_json(&diff)?;
        return Ok(ExitCode::SUCCESS);
    }
    print_summary(&diff);
    if parts.contains(&Part::Packages) {
        print_packages(&diff);
    }
    if parts.contains(&Part::Files) {
        print_files(&diff);
    }
    if parts.contains(&Part::Config) {
        print_config(&diff);
    }
    if diff.vulnerabilities.is_some() {
        print_vulns(&diff);
    }
    Ok(ExitCode::SUCCESS)
}

fn name(side: &compare::Side) -> String {
    side.reference
        .clone()
        .unwrap_or_else(|| side.digest.to_string())
}

/// `+1.2 MB`, `-300 kB`, `±0 B`.
fn signed_size(change: i64) -> String {
    match change.signum() {
        1 => format!("+{}", human_size(change.unsigned_abs())),
        -1 => format!("-{}", human_size(change.unsigned_abs())),
        _ => "±0 B".into(),
    }
}

fn print_summary(d: &ImageDiff) {
    let (b, t) = (&d.base, &d.target);
    println!("{} → {}", name(b), name(t));
    println!(
        "  size      {} → {} ({})",
        human_size(b.size),
        human_size(t.size),
        signed_size(d.size_change)
    );
    if b.os != t.os {
        println!(
            "  os        {} → {}",
            b.os.as_deref().unwrap_or("unknown"),
            t.os.as_deref().unwrap_or("unknown")
        );
    } else if let Some(os) = &t.os {
        println!("  os        {os}");
    }
    let shared = match d.shared_layers {
        0 => "no base layer shared".to_owned(),
        n if n == b.layers && n == t.layers => "all shared".to_owned(),
        n => format!("the first {n} shared"),
    };
    println!("  layers    {} → {}, {shared}", b.layers, t.layers);
    let p = &d.packages;
    let count = |dir: Direction| p.changed.iter().filter(|c| c.direction == dir).count();
    println!(
        "  packages  {} → {}: {} upgraded, {} downgraded, {} changed, {} added, {} removed, {} unchanged",
        b.packages,
        t.packages,
        count(Direction::Upgraded),
        count(Direction::Downgraded),
        count(Direction::Changed),
        p.added.len(),
        p.removed.len(),
        p.unchanged
    );
    let f = &d.files;
    println!(
        "  files     {} → {}: {} added ({}), {} removed ({}), {} modified ({}), {} unchanged",
        b.files,
        t.files,
        f.added.len(),
        human_size(f.added_bytes),
        f.removed.len(),
        human_size(f.removed_bytes),
        f.modified.len(),
        signed_size(f.modified_bytes_change),
        f.unchanged
    );
    if let Some(v) = &d.vulnerabilities {
        println!(
            "  vulns     {} → {} ({} critical/high → {}): {} fixed, {} introduced, {} unchanged",
            v.base_counts.total,
            v.target_counts.total,
            v.base_counts.critical + v.base_counts.high,
            v.target_counts.critical + v.target_counts.high,
            v.fixed.len(),
            v.introduced.len(),
            v.unchanged
        );
    }
}

fn print_packages(d: &ImageDiff) {
    let p = &d.packages;
    let mut rows: Vec<[String; 5]> = Vec::new();
    for c in &p.changed {
        let mark = match c.direction {
            Direction::Upgraded => "↑",
            Direction::Downgraded => "↓",
            Direction::Changed => "~",
        };
        rows.push([
            mark.into(),
            c.kind.to_string(),
            c.name.clone(),
            c.from.clone(),
            c.to.clone(),
        ]);
    }
    for (mark, list) in [("+", &p.added), ("-", &p.removed)] {
        for pkg in list {
            let (from, to) = if mark == "+" {
                (String::new(), pkg.version.clone())
            } else {
                (pkg.version.clone(), String::new())
            };
            rows.push([
                mark.into(),
                pkg.kind.to_string(),
                pkg.name.clone(),
                from,
                to,
            ]);
        }
    }
    println!();
    if rows.is_empty() {
        println!("No package changed.");
    } else {
        print_table(&["", "TYPE", "PACKAGE", "FROM", "TO"], &rows);
    }
}

fn print_files(d: &ImageDiff) {
    let f = &d.files;
    println!();
    if f.added.is_empty() && f.removed.is_empty() && f.modified.is_empty() {
        println!("No file changed.");
        return;
    }
    let line = |mark: char, e: &FileEntry, detail: String| {
        println!("{mark} {:>10}  {}{detail}", human_size(e.size), e.path);
    };
    for e in &f.added {
        line('A', e, String::new());
    }
    for e in &f.removed {
        line('D', e, String::new());
    }
    for m in &f.modified {
        let what = m.describe(|b, a| format!("size {} → {}", human_size(b), human_size(a)));
        line('M', &m.after, format!("  ({})", what.join(", ")));
    }
}

fn print_config(d: &ImageDiff) {
    println!();
    if d.config.is_empty() {
        println!("No run setting changed.");
        return;
    }
    let rows: Vec<[String; 3]> = d
        .config
        .iter()
        .map(|c| {
            let field = match &c.key {
                Some(key) => format!("{} {key}", c.field),
                None => c.field.to_owned(),
            };
            let side = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
            [field, side(&c.before), side(&c.after)]
        })
        .collect();
    print_table(&["SETTING", "FROM", "TO"], &rows);
}

fn print_vulns(d: &ImageDiff) {
    let Some(v) = &d.vulnerabilities else {
        return;
    };
    let mut rows: Vec<[String; 5]> = Vec::new();
    for (mark, list) in [("fixed", &v.fixed), ("new", &v.introduced)] {
        for f in list {
            rows.push([
                mark.into(),
                f.severity.to_string(),
                f.id.clone(),
                f.package.clone(),
                f.version.clone(),
            ]);
        }
    }
    println!();
    if rows.is_empty() {
        println!("No vulnerability fixed or introduced.");
    } else {
        print_table(&["", "SEVERITY", "ID", "PACKAGE", "VERSION"], &rows);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_checked() {
        assert!(parse_types(&[]).unwrap() == [Part::Packages, Part::Files, Part::Config]);
        assert!(parse_types(&[" Files ".into()]).unwrap() == [Part::Files]);
        let e = parse_types(&["layers".into()]).unwrap_err().to_string();
        assert!(e.contains("unknown type \"layers\""), "{e}");
    }

    #[test]
    fn size_changes_carry_their_sign() {
        assert_eq!(signed_size(1_500_000), "+1.5 MB");
        assert_eq!(signed_size(-300), "-300 B");
        assert_eq!(signed_size(0), "±0 B");
    }
}
