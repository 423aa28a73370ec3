//! Search results kept briefly: the same query within a minute answers from memory. The
//! caller passes the time in, so tests can move it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::model::{SearchPage, SearchQuery};

/// How long a page of results is reused.
pub const SEARCH_TTL: Duration = Duration::from_secs(60);
/// How many pages are kept at most.
const CAPACITY: usize = 128;

#[derive(Debug)]
pub(crate) struct SearchCache {
    ttl: Duration,
    entries: Mutex<HashMap<SearchQuery, (Instant, SearchPage)>>,
}

impl Default for SearchCache {
    fn default() -> Self {
        SearchCache {
            ttl: SEARCH_TTL,
            entries: Mutex::default(),
        }
    }
}

impl SearchCache {
    /// The page stored for `query` less than the TTL before `now`.
    pub(crate) fn get(&self, query: &SearchQuery, now: Instant) -> Option<SearchPage> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let (stored, page) = entries.get(query)?;
        (now.saturating_duration_since(*stored) < self.ttl).then(|| page.clone())
    }

    pub(crate) fn put(&self, query: SearchQuery, page: SearchPage, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= CAPACITY {
            let ttl = self.ttl;
            entries.retain(|_, (stored, _)| now.saturating_duration_since(*stored) < ttl);
        }
        if entries.len() >= CAPACITY
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (stored, _))| *stored)
                .map(|(k, _)| k.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(query, (now, page));
    }

    pub(crate) fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::model::SearchRoute;

    fn page(n: usize) -> SearchPage {
        SearchPage {
            results: Vec::new(),
            total: Some(n as u64),
            total_capped: false,
            from: 0,
            has_more: false,
            route: SearchRoute::V3,
            skipped: 0,
        }
    }

    #[test]
    fn answers_within_the_ttl_only() {
        let cache = SearchCache::default();
        let t0 = Instant::now();
        let q = SearchQuery::new("nginx");
        cache.put(q.clone(), page(1), t0);
        assert_eq!(cache.get(&q, t0 + Duration::from_secs(59)), Some(page(1)));
        assert_eq!(cache.get(&q, t0 + SEARCH_TTL), None);
        assert_eq!(cache.get(&SearchQuery::new("redis"), t0), None);
    }

    #[test]
    fn stays_bounded() {
        let cache = SearchCache::default();
        let t0 = Instant::now();
        for i in 0..(CAPACITY + 10) {
            cache.put(
                SearchQuery::new(&i.to_string()),
                page(i),
                t0 + Duration::from_millis(i as u64),
            );
        }
        let now = t0 + Duration::from_secs(1);
        assert_eq!(cache.entries.lock().unwrap().len(), CAPACITY);
        assert_eq!(cache.get(&SearchQuery::new("0"), now), None);
        let last = (CAPACITY + 9).to_string();
        assert!(cache.get(&SearchQuery::new(&last), now).is_some());
    }
}
