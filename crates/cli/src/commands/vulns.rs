//! `porthole vulns REF`: the advisories (OSV) that affect an image's packages, with their
//! severity, the fixed version and the step that introduced the package; `porthole vulndb`:
//! the offline advisory database (update, status).

use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::bail;
use porthole_engine::layers::ImageLayers;
use porthole_engine::vulns::{
    ImageScan, ScanOptions, ScanReport, Severity, SourceKind, SourceMode, UpdateOptions, VulnDb,
    scan_and_compare,
};

use super::images::print_table;
use super::{Context, blocking};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A reference (`nginx`, `nginx:1.27`), an image ID or a unique prefix of one.
    pub image: String,
    /// Only findings of these severities, comma-separated: critical, high, medium, low,
    /// none, unknown.
    #[arg(long, value_name = "LEVELS", value_delimiter = ',')]
    pub severity: Vec<String>,
    /// Ask the OSV API (osvApiUrl, default https://api.osv.dev) even when an offline
    /// database has been imported.
    #[arg(long, conflicts_with = "offline")]
    pub online: bool,
    /// Use only the offline database (`porthole vulndb update` fills it).
    #[arg(long)]
    pub offline: bool,
}

#[derive(clap::Subcommand, Debug)]
pub enum DbCommand {
    /// Download OSV's exports of these ecosystems (`Debian`, `Alpine`, `PyPI`, `npm`, …)
    /// and import them; with none, refresh those already imported.
    Update {
        #[arg(value_name = "ECOSYSTEM")]
        ecosystems: Vec<String>,
    },
    /// Show what the offline database holds and when it was imported.
    Status,
}

fn parse_severities(names: &[String]) -> anyhow::Result<Vec<Severity>> {
    names
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .map(|n| match Severity::parse(n) {
            Some(s) => Ok(s),
            None => bail!(
                "unknown severity {n:?}; the severities are critical, high, medium, low, none, unknown"
            ),
        })
        .collect()
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let keep = parse_severities(&args.severity)?;
    let mode = if args.online {
        SourceMode::Online
    } else if args.offline {
        SourceMode::Offline
    } else {
        SourceMode::Auto
    };
    let store = ctx.store()?;
    let root = store.root().to_path_buf();
    let (image, found) = {
        let (store, image) = (store.clone(), args.image);
        blocking(move || {
            let image = store.resolve(&image)?;
            let found = ImageLayers::load(&store, &image)?.packages();
            Ok((image, found))
        })
        .await?
    };
    let options = ScanOptions::default();
    let how = ImageScan {
        config: &ctx.config,
        store_root: &root,
        mode,
        options: &options,
        now: SystemTime::now(),
    };
    // The engine records the counts for `porthole images` and the app's Images list, and
    // says whether a newer image of the same repository would be better (only what the store
    // holds).
    let mut report = scan_and_compare(&store, &image, &found, &how).await?;
    if !keep.is_empty() {
        report = report.only_severities(&keep);
    }
    if ctx.json {
        ctx.print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    print_report(&report);
    Ok(ExitCode::SUCCESS)
}

fn print_report(report: &ScanReport) {
    let rows: Vec<[String; 6]> = report
        .findings
        .iter()
        .map(|f| {
            [
                f.severity.to_string(),
                f.id.clone(),
                f.package.clone(),
                f.version.clone(),
                f.fixed_version.clone().unwrap_or_else(|| "-".into()),
                f.layer.map_or_else(String::new, |l| l.to_string()),
            ]
        })
        .collect();
    if !rows.is_empty() {
        print_table(
            &["SEVERITY", "ID", "PACKAGE", "VERSION", "FIXED IN", "STEP"],
            &rows,
        );
    }
    let c = &report.counts;
    let source = match report.source.kind {
        SourceKind::Online => format!(
            "the OSV API at {}",
            report.source.url.as_deref().unwrap_or("?")
        ),
        SourceKind::Offline => match &report.source.imported_at {
            Some(at) => format!("the offline database (updated {at})"),
            None => "the offline database".into(),
        },
    };
    eprintln!(
        "{} finding{} ({} critical, {} high, {} medium, {} low, {} unrated) in {} of {} packages checked against {source}",
        c.total,
        if c.total == 1 { "" } else { "s" },
        c.critical,
        c.high,
        c.medium,
        c.low,
        c.none + c.unknown,
        report
            .findings
            .iter()
            .map(|f| (&f.package, &f.version))
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        report.packages_covered,
    );
    for fix in report.recommended_fixes.iter().take(5) {
        eprintln!(
            "fix: upgrade {} {} → {} (clears {} critical, {} high)",
            fix.package,
            fix.installed_version,
            fix.target_version,
            fix.clears.critical,
            fix.clears.high
        );
    }
    for newer in &report.newer_images {
        let name = newer
            .reference
            .clone()
            .unwrap_or_else(|| newer.digest.to_string());
        let change = newer.critical_high_change;
        let verdict = match change.signum() {
            -1 => format!("{} fewer critical/high findings", -change),
            1 => format!("{change} more critical/high findings"),
            _ => "as many critical/high findings".into(),
        };
        eprintln!(
            "newer image in the store: {name} (created {}) has {verdict}",
            newer.created.as_deref().unwrap_or("?")
        );
    }
    if !report.not_covered.is_empty() {
        eprintln!(
            "{} package{} not checked (see --json for why)",
            report.not_covered.len(),
            if report.not_covered.len() == 1 {
                ""
            } else {
                "s"
            }
        );
    }
    let missing = report.missing_exports();
    if !missing.is_empty() {
        eprintln!(
            "the offline database has no advisories for {}: run `porthole vulndb update {}`",
            missing.join(", "),
            missing.join(" ")
        );
    }
    for warning in &report.warnings {
        eprintln!("porthole: warning: {warning}");
    }
}

pub async fn db(ctx: &Context, command: DbCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.store()?;
    let db = VulnDb::in_store(store.root());
    match command {
        DbCommand::Status => {
            let status = db.status()?;
            if ctx.json {
                ctx.print_json(&status)?;
                return Ok(ExitCode::SUCCESS);
            }
            if !status.present || status.ecosystems.is_empty() {
                println!(
                    "no offline database at {} yet: `porthole vulndb update Debian PyPI …` imports OSV's exports",
                    status.path.display()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let rows: Vec<[String; 4]> = status
                .ecosystems
                .iter()
                .map(|e| {
                    [
                        e.ecosystem.clone(),
                        e.records.to_string(),
                        e.imported_at.to_string(),
                        e.url.clone(),
                    ]
                })
                .collect();
            print_table(&["ECOSYSTEM", "ADVISORIES", "IMPORTED", "FROM"], &rows);
        }
        DbCommand::Update { ecosystems } => {
            let json = ctx.json;
            let mut options = UpdateOptions::new(SystemTime::now());
            if !json {
                options.progress = Some(std::sync::Arc::new(|event| {
                    use porthole_engine::vulns::UpdateEvent;
                    match event {
                        UpdateEvent::Downloading { ecosystem, url } => {
                            eprintln!("{ecosystem}: downloading {url}")
                        }
                        UpdateEvent::Downloaded { ecosystem, bytes } => {
                            eprintln!("{ecosystem}: downloaded {bytes} bytes")
                        }
                        UpdateEvent::Imported {
                            ecosystem,
                            records,
                            skipped,
                        } => eprintln!(
                            "{ecosystem}: imported {records} advisories ({skipped} skipped)"
                        ),
                    }
                }));
            }
            let report = db
                .update_from_config(&ctx.config, &ecosystems, &options)
                .await?;
            if json {
                ctx.print_json(&report)?;
            } else {
                println!(
                    "updated {}; the database holds {} advisories",
                    report
                        .updated
                        .iter()
                        .map(|e| e.ecosystem.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    report.status.records
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_are_checked() {
        let s = parse_severities(&["High".into(), "critical".into()]).unwrap();
        assert_eq!(s, [Severity::High, Severity::Critical]);
        assert!(parse_severities(&["severe".into()]).is_err());
    }
}
