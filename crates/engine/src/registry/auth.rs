//! Registry authentication as Docker does it: the `WWW-Authenticate` challenge of a 401
//! names the scheme. `Basic` means credentials on every request; `Bearer` means a token
//! from the challenge's `realm`, asked for the `service` and `scope`, cached until it
//! expires and fetched again when the registry answers 401 to it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

/// One parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic {
        realm: Option<String>,
    },
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

/// Parse the first usable challenge of a `WWW-Authenticate` header value (RFC 7235:
/// `scheme param="value", param=token`). `None` when there is no Basic or Bearer one.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let mut rest = header.trim();
    while !rest.is_empty() {
        let (scheme, after) = split_token(rest);
        let (params, after) = parse_params(after);
        match scheme.to_ascii_lowercase().as_str() {
            "bearer" => {
                if let Some(realm) = params.get("realm").filter(|r| !r.is_empty()) {
                    return Some(Challenge::Bearer {
                        realm: realm.clone(),
                        service: params.get("service").cloned(),
                        scope: params.get("scope").cloned(),
                    });
                }
            }
            "basic" => {
                return Some(Challenge::Basic {
                    realm: params.get("realm").cloned(),
                });
            }
            _ => {}
        }
        if after.len() >= rest.len() {
            break;
        }
        rest = after.trim_start_matches([',', ' ']);
    }
    None
}

fn split_token(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    let end = s.find([' ', ',', '=']).unwrap_or(s.len());
    (&s[..end], &s[end..])
}

/// Parse `k=v, k="v"` pairs until the next scheme (a token not followed by `=`).
fn parse_params(mut s: &str) -> (HashMap<String, String>, &str) {
    let mut params = HashMap::new();
    loop {
        let trimmed = s.trim_start_matches([' ', ',']);
        let (key, after_key) = split_token(trimmed);
        if key.is_empty() || !after_key.trim_start().starts_with('=') {
            return (params, trimmed);
        }
        let after_eq = after_key.trim_start()[1..].trim_start();
        let (value, rest) = if let Some(quoted) = after_eq.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, &quoted[end.min(quoted.len())..])
        } else {
            let end = after_eq.find([',', ' ']).unwrap_or(after_eq.len());
            (after_eq[..end].to_owned(), &after_eq[end..])
        };
        params.insert(key.to_ascii_lowercase(), value);
        s = rest;
    }
}

/// The token endpoint's answer (Docker's token spec): `token` or `access_token`.
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

impl TokenResponse {
    pub fn bearer(&self) -> Option<&str> {
        self.token
            .as_deref()
            .filter(|t| !t.is_empty())
            .or(self.access_token.as_deref().filter(|t| !t.is_empty()))
    }

    /// The spec's default lifetime is 60 s; shorter ones are raised to it, as Docker does.
    pub fn lifetime(&self) -> Duration {
        Duration::from_secs(self.expires_in.unwrap_or(60).max(60))
    }
}

/// Which token a request needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenKey {
    pub realm: String,
    pub service: String,
    pub scope: String,
    /// The account the token was issued to (empty for anonymous).
    pub account: String,
}

/// Tokens kept until shortly before they expire.
#[derive(Debug, Default)]
pub struct TokenCache {
    tokens: Mutex<HashMap<TokenKey, (String, Instant)>>,
}

/// Tokens are dropped this long before their stated expiry, so a request never sets
/// out with a token that dies on the way.
const EXPIRY_MARGIN: Duration = Duration::from_secs(5);

impl TokenCache {
    pub fn get(&self, key: &TokenKey, now: Instant) -> Option<String> {
        let tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens
            .get(key)
            .filter(|(_, expires)| now + EXPIRY_MARGIN < *expires)
            .map(|(t, _)| t.clone())
    }

    pub fn put(&self, key: TokenKey, token: String, expires: Instant) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens.insert(key, (token, expires));
    }

    pub fn forget(&self, key: &TokenKey) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_docker_hub_challenge() {
        let h = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#;
        assert_eq!(
            parse_challenge(h),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/nginx:pull".into()),
            })
        );
    }

    #[test]
    fn parses_basic_and_odd_spacing_and_escapes() {
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic {
                realm: Some("Registry Realm".into())
            })
        );
        let h = r#"bearer  realm = "http://x/t\"q" , service=svc,error="insufficient_scope""#;
        match parse_challenge(h) {
            Some(Challenge::Bearer { realm, service, .. }) => {
                assert_eq!(realm, "http://x/t\"q");
                assert_eq!(service.as_deref(), Some("svc"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn skips_unknown_schemes_and_survives_garbage() {
        let h = r#"Negotiate abc, Bearer realm="https://r/t""#;
        assert!(matches!(parse_challenge(h), Some(Challenge::Bearer { .. })));
        for junk in [
            "",
            "Bearer",
            "Bearer realm=",
            "=,=,\"",
            "Bearer realm=\"unterminated",
            "ü\u{0}",
        ] {
            let _ = parse_challenge(junk);
        }
        assert_eq!(parse_challenge("Bearer service=x"), None);
    }

    #[test]
    fn token_cache_expires_with_margin() {
        let cache = TokenCache::default();
        let key = TokenKey {
            realm: "r".into(),
            service: "s".into(),
            scope: "repository:a:pull".into(),
            account: String::new(),
        };
        let now = Instant::now();
        cache.put(key.clone(), "t".into(), now + Duration::from_secs(60));
        assert_eq!(cache.get(&key, now).as_deref(), Some("t"));
        assert_eq!(cache.get(&key, now + Duration::from_secs(56)), None);
        cache.forget(&key);
        assert_eq!(cache.get(&key, now), None);
    }

    #[test]
    fn token_response_prefers_token_and_defaults_lifetime() {
        let r: TokenResponse = serde_json::from_str(r#"{"access_token":"a"}"#).unwrap();
        assert_eq!(r.bearer(), Some("a"));
        assert_eq!(r.lifetime(), Duration::from_secs(60));
        let r: TokenResponse =
            serde_json::from_str(r#"{"token":"t","access_token":"a","expires_in":300}"#).unwrap();
        assert_eq!(r.bearer(), Some("t"));
        assert_eq!(r.lifetime(), Duration::from_secs(300));
    }
}
