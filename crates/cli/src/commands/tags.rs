//! `porthole tags REPO`: a repository's tags with each platform's image and size, from
//! Docker Hub's API (`nginx`, `bitnami/redis`) or from a registry (`host:5000/team/app`:
//! `tags/list`, then each tag's manifest).

use std::process::ExitCode;

use anyhow::Context as _;
use porthole_engine::Reference;
use porthole_engine::hub::{HubClient, HubRepoName, TagImage, TagOrdering, TagQuery};
use porthole_engine::registry::catalog::ListOptions;
use porthole_engine::registry::resolve::{PlatformImage, resolve_reference};
use serde::Serialize;

use super::Context;
use super::cancel_on_ctrl_c;
use super::images::print_table;
use super::search::terminal_text;
use crate::output::human_size;

/// Tag manifests resolved at once for a registry.
const JOBS: usize = 4;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The repository: `nginx`, `bitnami/redis`, `registry.example.com:5000/team/app` (a tag
    /// or digest in it is ignored).
    pub repository: String,
    /// Show at most N tags (Docker Hub: the most recently pushed first; a registry: in
    /// lexical order).
    #[arg(long, value_name = "N", default_value_t = 25)]
    pub limit: usize,
}

/// One tag of `porthole tags --json`.
#[derive(Serialize)]
struct TagRow {
    name: String,
    digest: Option<String>,
    updated: Option<String>,
    platforms: Vec<PlatformRow>,
}

/// One platform image of a tag.
#[derive(Serialize)]
pub struct PlatformRow {
    pub os: Option<String>,
    pub architecture: Option<String>,
    pub variant: Option<String>,
    pub digest: Option<String>,
    pub size: Option<u64>,
}

impl PlatformRow {
    fn hub(i: &TagImage) -> PlatformRow {
        PlatformRow {
            os: i.os.clone(),
            architecture: i.architecture.clone(),
            variant: i.variant.clone(),
            digest: i.digest.as_ref().map(ToString::to_string),
            size: i.size,
        }
    }

    pub fn resolved(p: &PlatformImage) -> PlatformRow {
        PlatformRow {
            os: Some(p.os.clone()),
            architecture: Some(p.architecture.clone()),
            variant: p.variant.clone(),
            digest: Some(p.digest.to_string()),
            size: Some(p.size),
        }
    }

    /// `linux/arm64/v8`.
    pub fn platform(&self) -> String {
        let mut s = format!(
            "{}/{}",
            self.os.as_deref().unwrap_or("?"),
            self.architecture.as_deref().unwrap_or("?")
        );
        if let Some(v) = &self.variant {
            s.push('/');
            s.push_str(v);
        }
        terminal_text(&s, 40)
    }
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    if args.limit == 0 {
        anyhow::bail!("--limit must be at least 1");
    }
    let cancel = cancel_on_ctrl_c();
    let reference = Reference::parse(args.repository.trim())?;
    let rows = if reference.is_docker_hub() {
        let repo = HubRepoName::from_reference(&reference)
            .with_context(|| format!("{} is not a Docker Hub repository", args.repository))?;
        let hub = HubClient::from_config(&ctx.config)?;
        let query = TagQuery {
            page_size: u32::try_from(args.limit.min(100)).unwrap_or(100),
            ordering: TagOrdering::LastUpdated,
            name: None,
        };
        hub.all_tags(&repo, &query, args.limit, &cancel)
            .await
            .with_context(|| format!("cannot list the tags of {repo} on Docker Hub"))?
            .into_iter()
            .map(|t| TagRow {
                name: t.name,
                digest: t.digest.map(|d| d.to_string()),
                updated: t.updated,
                platforms: t.images.iter().map(PlatformRow::hub).collect(),
            })
            .collect()
    } else {
        registry_tags(ctx, &reference, args.limit, &cancel).await?
    };
    if ctx.json {
        ctx.print_json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    let table: Vec<[String; 4]> = rows
        .iter()
        .map(|t| {
            [
                terminal_text(&t.name, 64),
                t.digest
                    .as_deref()
                    .and_then(|d| d.strip_prefix("sha256:"))
                    .map(|hex| hex.chars().take(12).collect())
                    .unwrap_or_default(),
                terminal_text(t.updated.as_deref().unwrap_or_default(), 30),
                t.platforms
                    .iter()
                    .map(|p| match p.size {
                        Some(size) => format!("{} ({})", p.platform(), human_size(size)),
                        None => p.platform(),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ]
        })
        .collect();
    print_table(&["TAG", "DIGEST", "UPDATED", "PLATFORMS"], &table);
    Ok(ExitCode::SUCCESS)
}

async fn registry_tags(
    ctx: &Context,
    reference: &Reference,
    limit: usize,
    cancel: &tokio_util::sync::CancellationToken,
) -> anyhow::Result<Vec<TagRow>> {
    let client = ctx.client()?;
    let listed = client
        .list_tags(
            reference.registry(),
            reference.repository(),
            &ListOptions {
                limit,
                ..ListOptions::default()
            },
            cancel,
        )
        .await
        .with_context(|| format!("cannot list the tags of {}", reference.name()))?;
    // A few tags at a time, in the registry's order.
    let mut rows = Vec::with_capacity(listed.tags.len());
    for chunk in listed.tags.chunks(JOBS) {
        let mut tasks = tokio::task::JoinSet::new();
        for (i, tag) in chunk.iter().enumerate() {
            let tagged = Reference::parse(&format!("{}:{tag}", reference.name()))?;
            let (client, cancel, tag) = (client.clone(), cancel.clone(), tag.clone());
            tasks.spawn(async move {
                let resolved = resolve_reference(&client, &tagged, &cancel)
                    .await
                    .with_context(|| format!("cannot resolve {}", tagged.familiar()))?;
                anyhow::Ok((
                    i,
                    TagRow {
                        name: tag,
                        digest: Some(resolved.digest.to_string()),
                        updated: None,
                        platforms: resolved
                            .platforms
                            .iter()
                            .map(PlatformRow::resolved)
                            .collect(),
                    },
                ))
            });
        }
        let mut done: Vec<(usize, TagRow)> = Vec::with_capacity(chunk.len());
        while let Some(joined) = tasks.join_next().await {
            done.push(joined.context("a worker task failed")??);
        }
        done.sort_by_key(|(i, _)| *i);
        rows.extend(done.into_iter().map(|(_, row)| row));
    }
    Ok(rows)
}
