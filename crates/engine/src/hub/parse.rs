//! Docker Hub's responses, read defensively. Its JSON changes without notice: fields go
//! missing, counts arrive as strings (`"pull_count": "1000000000"`), `total` is capped at
//! 10000. So nothing here fails because one field is absent or oddly typed: a result
//! without a name is skipped, anything else missing is `None`. Text (descriptions) is kept
//! exactly as sent: it is shown as text, never interpreted.

use serde_json::Value;
use url::Url;

use super::HubError;
use super::model::{
    Badge, RepositoryDetails, SearchPage, SearchResult, SearchRoute, Tag, TagImage, TagPage,
};
use crate::Digest;

/// Docker Hub reports at most this many results as `total`.
pub const TOTAL_CAP: u64 = 10_000;

fn json(body: &[u8], what: &str) -> Result<Value, HubError> {
    serde_json::from_slice(body).map_err(|source| HubError::Parse {
        what: what.to_owned(),
        source,
    })
}

fn shape(what: &str, reason: &str) -> HubError {
    HubError::Shape {
        what: what.to_owned(),
        reason: reason.to_owned(),
    }
}

/// A non-empty string field.
fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A count: a JSON number, or a string of digits (`"1000000000"`, `"1,234"`), or Docker
/// Hub's shorthand (`"10K+"`, `"1.5M"`, `"1B+"`).
fn count(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => parse_count(s),
        _ => None,
    }
}

fn parse_count(s: &str) -> Option<u64> {
    let s: String = s
        .trim()
        .trim_end_matches('+')
        .chars()
        .filter(|c| *c != ',' && *c != '_')
        .collect();
    let (number, factor) = match s.chars().last()?.to_ascii_uppercase() {
        'K' => (&s[..s.len() - 1], 1e3),
        'M' => (&s[..s.len() - 1], 1e6),
        'B' => (&s[..s.len() - 1], 1e9),
        _ => (s.as_str(), 1.0),
    };
    if factor == 1.0
        && let Ok(n) = number.parse::<u64>()
    {
        return Some(n);
    }
    let f: f64 = number.parse().ok()?;
    (f.is_finite() && f >= 0.0).then_some((f * factor) as u64)
}

fn bool_field(v: &Value, key: &str) -> Option<bool> {
    match v.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn digest(v: &Value, key: &str) -> Option<Digest> {
    v.get(key)?.as_str()?.parse().ok()
}

/// An `https` URL on one of Docker's own hosts (`docker.com`, `docker.io` and their
/// subdomains); anything else is dropped, so the app never loads images from elsewhere.
pub fn docker_logo(url: &str) -> Option<String> {
    let parsed = Url::parse(url).ok()?;
    if parsed.scheme() != "https" || parsed.username() != "" || parsed.password().is_some() {
        return None;
    }
    let host = parsed.host_str()?.to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    let docker = ["docker.com", "docker.io"]
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")));
    docker.then(|| parsed.to_string())
}

/// `{ "total": N, "results": [...] }` from `/api/search/v3/catalog/search`.
pub fn parse_search_v3(body: &[u8], from: u32) -> Result<SearchPage, HubError> {
    const WHAT: &str = "a search response (v3)";
    let doc = json(body, WHAT)?;
    let results = doc
        .get("results")
        .and_then(Value::as_array)
        .ok_or_else(|| shape(WHAT, "it has no `results` list"))?;
    let total = count(doc.get("total"));
    let mut page = SearchPage {
        results: Vec::with_capacity(results.len()),
        total,
        total_capped: total.is_some_and(|t| t >= TOTAL_CAP),
        from,
        has_more: false,
        route: SearchRoute::V3,
        skipped: 0,
    };
    for r in results {
        match search_result_v3(r) {
            Some(result) => page.results.push(result),
            None => page.skipped += 1,
        }
    }
    let seen = u64::from(from) + results.len() as u64;
    page.has_more = !results.is_empty() && total.is_some_and(|t| seen < t);
    Ok(page)
}

fn search_result_v3(r: &Value) -> Option<SearchResult> {
    let plans = array(r, "rate_plans");
    let repo = plans
        .iter()
        .flat_map(|p| array(p, "repositories"))
        .find(|x| x.is_object());
    // Namespace and repository: from the plan's repository, else `slug`/`id`, else `name`.
    let from_repo = repo.and_then(|x| Some((text(x, "namespace")?, text(x, "name")?)));
    let from_path = || {
        ["id", "slug"].iter().find_map(|k| {
            let path = text(r, k)?;
            match path.split_once('/') {
                Some((ns, name)) if !ns.is_empty() && !name.is_empty() => {
                    Some((ns.to_owned(), name.to_owned()))
                }
                _ => None,
            }
        })
    };
    let mut badges = Vec::new();
    for key in ["source", "badge"] {
        match r.get(key).and_then(Value::as_str) {
            Some("store" | "official") => badges.push(Badge::Official),
            Some("verified_publisher" | "verified") => badges.push(Badge::VerifiedPublisher),
            Some("open_source") => badges.push(Badge::OpenSource),
            _ => {}
        }
    }
    if repo.and_then(|x| bool_field(x, "is_official")) == Some(true) {
        badges.push(Badge::Official);
    }
    badges.sort();
    badges.dedup();
    // Without a path, an official image is `library/NAME`; another is its publisher's.
    let (namespace, repository) = from_repo.or_else(from_path).or_else(|| {
        let name = text(r, "slug").or_else(|| text(r, "name"))?;
        let namespace = if badges.contains(&Badge::Official) {
            None
        } else {
            r.get("publisher")
                .and_then(|p| text(p, "name"))
                .filter(|n| {
                    n.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
                })
        };
        Some((namespace.unwrap_or_else(|| "library".to_owned()), name))
    })?;

    let pulls = count(r.get("pull_count")).or_else(|| {
        plans
            .iter()
            .flat_map(|p| array(p, "repositories"))
            .find_map(|x| count(x.get("pull_count")))
    });
    let logo = r.get("logo_url").and_then(|l| match l {
        Value::String(s) => docker_logo(s),
        Value::Object(_) => ["small", "large"]
            .iter()
            .filter_map(|k| l.get(k).and_then(Value::as_str))
            .find_map(docker_logo),
        _ => None,
    });
    let mut architectures = Vec::new();
    let mut operating_systems = Vec::new();
    for plan in plans {
        for (key, out) in [
            ("architectures", &mut architectures),
            ("operating_systems", &mut operating_systems),
        ] {
            for item in array(plan, key) {
                let name = match item {
                    Value::String(s) => Some(s.clone()),
                    other => text(other, "name"),
                };
                if let Some(name) = name.filter(|n| !n.is_empty() && !out.contains(n)) {
                    out.push(name);
                }
            }
        }
    }
    Some(SearchResult {
        name: familiar(&namespace, &repository),
        publisher: r
            .get("publisher")
            .and_then(|p| text(p, "name"))
            .or_else(|| Some(namespace.clone())),
        namespace,
        repository,
        badges,
        description: text(r, "short_description")
            .or_else(|| repo.and_then(|x| text(x, "description"))),
        stars: count(r.get("star_count")),
        pulls,
        updated: text(r, "updated_at").or_else(|| repo.and_then(|x| text(x, "last_pushed_at"))),
        logo_url: logo,
        architectures,
        operating_systems,
    })
}

fn familiar(namespace: &str, repository: &str) -> String {
    if namespace == "library" {
        repository.to_owned()
    } else {
        format!("{namespace}/{repository}")
    }
}

/// `{ "count": N, "next": URL, "results": [...] }` from `/v2/search/repositories/`.
pub fn parse_search_v2(body: &[u8], from: u32) -> Result<SearchPage, HubError> {
    const WHAT: &str = "a search response (v2)";
    let doc = json(body, WHAT)?;
    let results = doc
        .get("results")
        .and_then(Value::as_array)
        .ok_or_else(|| shape(WHAT, "it has no `results` list"))?;
    let total = count(doc.get("count"));
    let mut page = SearchPage {
        results: Vec::with_capacity(results.len()),
        total,
        total_capped: total.is_some_and(|t| t >= TOTAL_CAP),
        from,
        has_more: doc.get("next").and_then(Value::as_str).is_some(),
        route: SearchRoute::V2,
        skipped: 0,
    };
    for r in results {
        match search_result_v2(r) {
            Some(result) => page.results.push(result),
            None => page.skipped += 1,
        }
    }
    Ok(page)
}

fn search_result_v2(r: &Value) -> Option<SearchResult> {
    let name = text(r, "repo_name").or_else(|| text(r, "name"))?;
    let (namespace, repository) = match name.split_once('/') {
        Some((ns, repo)) => (ns.to_owned(), repo.to_owned()),
        None => ("library".to_owned(), name.clone()),
    };
    if repository.is_empty() || namespace.is_empty() {
        return None;
    }
    let official = bool_field(r, "is_official") == Some(true);
    Some(SearchResult {
        name: familiar(&namespace, &repository),
        publisher: text(r, "repo_owner").or_else(|| Some(namespace.clone())),
        namespace,
        repository,
        badges: if official {
            vec![Badge::Official]
        } else {
            Vec::new()
        },
        description: text(r, "short_description").or_else(|| text(r, "description")),
        stars: count(r.get("star_count")),
        pulls: count(r.get("pull_count")),
        updated: text(r, "last_updated"),
        logo_url: None,
        architectures: Vec::new(),
        operating_systems: Vec::new(),
    })
}

/// `{ "count": N, "next": URL, "results": [tag…] }` from a repository's tags.
pub fn parse_tags(body: &[u8]) -> Result<TagPage, HubError> {
    const WHAT: &str = "a tag list";
    let doc = json(body, WHAT)?;
    let results = doc
        .get("results")
        .and_then(Value::as_array)
        .ok_or_else(|| shape(WHAT, "it has no `results` list"))?;
    let tags = results
        .iter()
        .filter_map(|t| {
            Some(Tag {
                name: text(t, "name")?,
                digest: digest(t, "digest"),
                updated: text(t, "last_updated").or_else(|| text(t, "tag_last_pushed")),
                full_size: count(t.get("full_size")),
                images: array(t, "images")
                    .iter()
                    .filter(|i| i.is_object())
                    .map(|i| TagImage {
                        os: text(i, "os"),
                        architecture: text(i, "architecture"),
                        variant: text(i, "variant"),
                        digest: digest(i, "digest"),
                        size: count(i.get("size")),
                        last_pushed: text(i, "last_pushed"),
                    })
                    .collect(),
            })
        })
        .collect();
    Ok(TagPage {
        tags,
        count: count(doc.get("count")),
        next: text(&doc, "next"),
    })
}

/// A repository's details (`/v2/namespaces/{ns}/repositories/{repo}`).
pub fn parse_repository(
    body: &[u8],
    namespace: &str,
    repository: &str,
) -> Result<RepositoryDetails, HubError> {
    const WHAT: &str = "a repository's details";
    let doc = json(body, WHAT)?;
    if !doc.is_object() {
        return Err(shape(WHAT, "it is not an object"));
    }
    Ok(RepositoryDetails {
        namespace: text(&doc, "namespace").unwrap_or_else(|| namespace.to_owned()),
        repository: text(&doc, "name").unwrap_or_else(|| repository.to_owned()),
        description: text(&doc, "description").or_else(|| text(&doc, "short_description")),
        full_description: text(&doc, "full_description"),
        stars: count(doc.get("star_count")),
        pulls: count(doc.get("pull_count")),
        updated: text(&doc, "last_updated").or_else(|| text(&doc, "updated_at")),
        is_private: bool_field(&doc, "is_private"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_in_every_form() {
        let c = |s: &str| count(Some(&serde_json::from_str::<Value>(s).unwrap()));
        assert_eq!(c("12"), Some(12));
        assert_eq!(c(r#""1000000000""#), Some(1_000_000_000));
        assert_eq!(c(r#""1,234""#), Some(1234));
        assert_eq!(c(r#""10K+""#), Some(10_000));
        assert_eq!(c(r#""1.5M""#), Some(1_500_000));
        assert_eq!(c(r#""1B+""#), Some(1_000_000_000));
        assert_eq!(c("12.0"), Some(12));
        for junk in [
            "-1",
            r#""""#,
            r#""lots""#,
            "null",
            "[]",
            "{}",
            r#""-5""#,
            r#""NaN""#,
        ] {
            assert_eq!(c(junk), None, "{junk}");
        }
    }

    #[test]
    fn logos_only_from_docker_hosts_over_https() {
        for ok in [
            "https://d1q6f0aelx0por.docker.com/logo.png",
            "https://hub.docker.com/x.png",
            "https://docker.io/a.svg",
            "https://media.docker.io/a.svg",
        ] {
            assert!(docker_logo(ok).is_some(), "{ok}");
        }
        for bad in [
            "http://hub.docker.com/x.png",
            "https://evil-docker.com/x.png",
            "https://docker.com.evil.net/x.png",
            "https://user@hub.docker.com/x.png",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "",
            "https://s3.amazonaws.com/logo.png",
        ] {
            assert_eq!(docker_logo(bad), None, "{bad}");
        }
    }

    #[test]
    fn v3_result_with_nearly_nothing() {
        let page = parse_search_v3(
            br#"{"results":[{"slug":"acme/app"},{"name":"alpine","source":"store"},{},7,null]}"#,
            0,
        )
        .unwrap();
        assert_eq!(page.skipped, 3);
        assert_eq!(page.results[0].name, "acme/app");
        assert_eq!(page.results[0].publisher.as_deref(), Some("acme"));
        assert_eq!(page.results[1].name, "alpine");
        assert!(page.results[1].is_official());
        assert_eq!(page.total, None);
        assert!(!page.has_more);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(
            parse_search_v3(b"<html>", 0),
            Err(HubError::Parse { .. })
        ));
        assert!(matches!(
            parse_search_v3(b"[]", 0),
            Err(HubError::Shape { .. })
        ));
        assert!(parse_search_v2(br#"{"results":"x"}"#, 0).is_err());
        assert!(parse_tags(b"{}").is_err());
        assert!(parse_repository(b"[1]", "a", "b").is_err());
    }

    #[test]
    fn tags_with_null_variants_and_bad_digests() {
        let page = parse_tags(
            br#"{"count":"2","next":null,"results":[
              {"name":"1","digest":"sha256:nope","images":[{"architecture":"amd64","os":"linux","variant":null,"size":"12"}]},
              {"digest":"sha256:x"}]}"#,
        )
        .unwrap();
        assert_eq!(page.count, Some(2));
        assert_eq!(page.next, None);
        assert_eq!(page.tags.len(), 1);
        assert_eq!(page.tags[0].digest, None);
        assert_eq!(page.tags[0].images[0].variant, None);
        assert_eq!(page.tags[0].images[0].size, Some(12));
    }
}
