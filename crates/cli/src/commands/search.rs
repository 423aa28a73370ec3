//! `porthole search QUERY`: Docker Hub (as `docker search`), a registry's catalog with
//! `--registry`, or, for a full reference (`ghcr.io/owner/app:1.2`), that image's platforms
//! and sizes.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use porthole_engine::Reference;
use porthole_engine::hub::{Badge, HubClient, SearchQuery, SearchResult};
use porthole_engine::reference::DEFAULT_REGISTRY;
use porthole_engine::registry::catalog::ListOptions;
use porthole_engine::registry::resolve::{ResolvedImage, resolve_reference, typed_reference};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::Context;
use super::images::print_table;
use crate::output::human_size;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to look for (`nginx`, `redis`), or a full reference to resolve
    /// (`ghcr.io/owner/app:1.2`, `localhost:5000/x@sha256:…`).
    pub query: String,
    /// Search this registry's catalog (`registry.example.com:5000`) instead of Docker Hub.
    #[arg(long, value_name = "HOST")]
    pub registry: Option<String>,
    /// Show at most N results.
    #[arg(long, value_name = "N", default_value_t = 25)]
    pub limit: usize,
    /// Only Docker Official Images.
    #[arg(long)]
    pub official: bool,
    /// Only images of Verified Publishers.
    #[arg(long)]
    pub verified: bool,
}

/// One result of `porthole search --json`.
#[derive(Serialize)]
pub struct Row {
    name: String,
    registry: String,
    publisher: Option<String>,
    description: Option<String>,
    stars: Option<u64>,
    pulls: Option<u64>,
    official: bool,
    verified: bool,
    open_source: bool,
    updated: Option<String>,
}

impl Row {
    fn hub(r: &SearchResult) -> Row {
        Row {
            name: r.name.clone(),
            registry: DEFAULT_REGISTRY.to_owned(),
            publisher: r.publisher.clone(),
            description: r.description.clone(),
            stars: r.stars,
            pulls: r.pulls,
            official: r.is_official(),
            verified: r.is_verified(),
            open_source: r.is_open_source(),
            updated: r.updated.clone(),
        }
    }

    fn registry(registry: &str, repository: &str) -> Row {
        Row {
            name: repository.to_owned(),
            registry: registry.to_owned(),
            publisher: None,
            description: None,
            stars: None,
            pulls: None,
            official: false,
            verified: false,
            open_source: false,
            updated: None,
        }
    }
}

/// A typed reference, resolved: the search row plus what it points at.
#[derive(Serialize)]
struct ResolvedRow {
    #[serde(flatten)]
    row: Row,
    reference: String,
    digest: String,
    platforms: Vec<super::tags::PlatformRow>,
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let cancel = super::cancel_on_ctrl_c();
    if args.limit == 0 {
        anyhow::bail!("--limit must be at least 1");
    }
    let registry = args
        .registry
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty() && !is_docker_hub(r));
    if let Some(registry) = registry {
        if args.official || args.verified {
            anyhow::bail!(
                "--official and --verified are Docker Hub badges; registry {registry} has none"
            );
        }
        return search_catalog(ctx, registry, &args, &cancel).await;
    }
    if let Some(reference) = typed_reference(&args.query) {
        return resolve(ctx, &reference, &cancel).await;
    }
    search_hub(ctx, &args, &cancel).await
}

fn is_docker_hub(registry: &str) -> bool {
    matches!(
        registry,
        "docker.io" | "index.docker.io" | "registry-1.docker.io" | "hub.docker.com"
    )
}

async fn search_hub(
    ctx: &Context,
    args: &Args,
    cancel: &CancellationToken,
) -> anyhow::Result<ExitCode> {
    let hub = HubClient::from_config(&ctx.config)?;
    let mut query = SearchQuery::new(&args.query);
    query.size = u32::try_from(args.limit.min(100)).unwrap_or(100);
    if args.official {
        query.badges.push(Badge::Official);
    }
    if args.verified {
        query.badges.push(Badge::VerifiedPublisher);
    }
    let mut results = Vec::new();
    loop {
        let page = hub
            .search(&query, Instant::now(), cancel)
            .await
            .with_context(|| format!("cannot search Docker Hub for `{}`", args.query.trim()))?;
        let fetched = page.results.len();
        results.extend(page.results);
        if results.len() >= args.limit || !page.has_more || fetched == 0 {
            break;
        }
        query.from += query.size;
    }
    results.truncate(args.limit);
    let rows: Vec<Row> = results.iter().map(Row::hub).collect();
    if ctx.json {
        ctx.print_json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    let table: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            [
                terminal_text(&r.name, usize::MAX),
                terminal_text(r.description.as_deref().unwrap_or_default(), 45),
                r.stars.map(|s| s.to_string()).unwrap_or_default(),
                if r.official { "[OK]" } else { "" }.to_owned(),
            ]
        })
        .collect();
    print_table(&["NAME", "DESCRIPTION", "STARS", "OFFICIAL"], &table);
    Ok(ExitCode::SUCCESS)
}

async fn search_catalog(
    ctx: &Context,
    registry: &str,
    args: &Args,
    cancel: &CancellationToken,
) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let options = ListOptions {
        limit: args.limit,
        ..ListOptions::default()
    };
    let found = client
        .search_catalog(registry, &args.query, &options, cancel)
        .await
        .with_context(|| format!("cannot search registry {registry}"))?;
    let rows: Vec<Row> = found
        .repositories
        .iter()
        .map(|r| Row::registry(&found.registry, r))
        .collect();
    if ctx.json {
        ctx.print_json(&rows)?;
    } else {
        let table: Vec<[String; 1]> = rows
            .iter()
            .map(|r| {
                [terminal_text(
                    &format!("{}/{}", r.registry, r.name),
                    usize::MAX,
                )]
            })
            .collect();
        print_table(&["NAME"], &table);
        if !found.complete {
            eprintln!(
                "(showing the first {} matches; raise --limit for more)",
                rows.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn resolve(
    ctx: &Context,
    reference: &Reference,
    cancel: &CancellationToken,
) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let resolved = resolve_reference(&client, reference, cancel)
        .await
        .with_context(|| format!("cannot resolve {}", reference.familiar()))?;
    let row = resolved_row(reference, &resolved);
    if ctx.json {
        ctx.print_json(&[row])?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}  {}", reference.familiar(), resolved.digest);
    let table: Vec<[String; 3]> = row
        .platforms
        .iter()
        .map(|p| {
            [
                p.platform(),
                p.digest.clone().unwrap_or_default(),
                p.size.map(human_size).unwrap_or_default(),
            ]
        })
        .collect();
    print_table(&["PLATFORM", "DIGEST", "SIZE"], &table);
    Ok(ExitCode::SUCCESS)
}

fn resolved_row(reference: &Reference, resolved: &ResolvedImage) -> ResolvedRow {
    let name = match reference.is_docker_hub() {
        true => reference.familiar_name(),
        false => reference.repository().to_owned(),
    };
    ResolvedRow {
        row: Row {
            official: reference.is_docker_hub() && reference.repository().starts_with("library/"),
            ..Row::registry(reference.registry(), &name)
        },
        reference: reference.to_string(),
        digest: resolved.digest.to_string(),
        platforms: resolved
            .platforms
            .iter()
            .map(super::tags::PlatformRow::resolved)
            .collect(),
    }
}

/// Text from a registry or Docker Hub made safe for a terminal: control characters (escape
/// sequences, newlines) become spaces, and it is cut to `max` characters with `...`.
pub fn terminal_text(text: &str, max: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.trim();
    if clean.chars().count() <= max {
        return clean.to_owned();
    }
    let mut cut: String = clean.chars().take(max.saturating_sub(3)).collect();
    cut.push_str("...");
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_strips_escapes_and_truncates() {
        assert_eq!(
            terminal_text("\u{1b}[31mred\u{1b}[0m\nx", 100),
            "[31mred [0m x"
        );
        assert_eq!(terminal_text("abcdefgh", 6), "abc...");
        assert_eq!(terminal_text("ééé", 3), "ééé");
    }
}
