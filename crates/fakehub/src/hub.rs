//! The running simulator: model, clock, limits, counters, faults and webhook dispatcher,
//! shared by every request handler.

use crate::clock::Clock;
use crate::faults::Faults;
use crate::limits::Limits;
use crate::model::{Credential, World};
use crate::stats::Stats;
use crate::webhooks::Dispatcher;
use parking_lot::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A token fakehub accepts, and the user it acts as.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenSpec {
    pub token: String,
    pub login: String,
}

impl TokenSpec {
    /// `TOKEN` (acting as `octocat`) or `LOGIN:TOKEN`.
    pub fn parse(spec: &str) -> Self {
        match spec.split_once(':') {
            Some((login, token)) if !login.is_empty() && !token.is_empty() => TokenSpec {
                token: token.into(),
                login: login.into(),
            },
            _ => TokenSpec {
                token: spec.into(),
                login: DEFAULT_LOGIN.into(),
            },
        }
    }
}

pub const DEFAULT_LOGIN: &str = "octocat";

#[derive(Debug, Clone)]
pub struct Settings {
    /// Accepted tokens; empty means any token is accepted (acting as `octocat`).
    pub tokens: Vec<TokenSpec>,
    /// Primary limit per token per hour.
    pub rate_limit: u64,
    pub secondary_limits: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            tokens: Vec::new(),
            rate_limit: 5_000,
            secondary_limits: true,
        }
    }
}

/// The world behind a read-write lock that counts its write guards, so that data derived
/// from the world (the issue list's match cache) can tell whether it is still current.
#[derive(Debug)]
pub struct WorldLock {
    lock: RwLock<World>,
    writes: AtomicU64,
}

impl WorldLock {
    pub fn new(world: World) -> Self {
        WorldLock {
            lock: RwLock::new(world),
            writes: AtomicU64::new(0),
        }
    }

    pub fn read(&self) -> RwLockReadGuard<'_, World> {
        self.lock.read()
    }

    /// Every write guard counts as a change, whether or not it changes anything.
    pub fn write(&self) -> RwLockWriteGuard<'_, World> {
        let guard = self.lock.write();
        self.writes.fetch_add(1, Ordering::Relaxed);
        guard
    }

    /// How many write guards were handed out so far: it never goes back (not even on
    /// `Hub::reset`), and while a read guard is held it does not move. The count is bumped
    /// with the write lock held, so the lock orders it for every reader.
    pub fn generation(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }
}

/// A filtered, sorted issue list: each issue's sort key, whose second half is its number.
pub(crate) type Matches = Arc<[(i64, u64)]>;

/// Which list: the repository and the query less its paging parameters.
pub(crate) type MatchKey = (usize, Vec<(String, String)>);

/// The issue list's matches (`GET /repos/{owner}/{repo}/issues`), already filtered and
/// sorted, reused until the world changes. Finding the matches means reading every issue of
/// the repository (100,000 of them: milliseconds, mostly cache misses), while a client paging
/// through a list or polling it with `If-None-Match` asks for the same list again and again.
#[derive(Debug, Default)]
pub(crate) struct MatchCache {
    /// The `WorldLock::generation` the lists were computed at.
    generation: u64,
    lists: HashMap<MatchKey, Matches>,
    /// Issues held in `lists`, to bound the memory.
    held: usize,
}

/// At 16 bytes an issue, some 16 MB.
const MAX_CACHED_ISSUES: usize = 1_000_000;

impl MatchCache {
    pub(crate) fn get(&mut self, generation: u64, key: &MatchKey) -> Option<Matches> {
        if generation != self.generation {
            return None;
        }
        self.lists.get(key).cloned()
    }

    pub(crate) fn put(&mut self, generation: u64, key: MatchKey, list: Matches) {
        if generation < self.generation {
            // Computed before a change another request has already seen.
            return;
        }
        if generation > self.generation || self.held + list.len() > MAX_CACHED_ISSUES {
            self.lists.clear();
            self.held = 0;
            self.generation = generation;
        }
        self.held += list.len();
        if let Some(old) = self.lists.insert(key, list) {
            self.held -= old.len();
        }
    }

    #[cfg(test)]
    pub(crate) fn lists(&self) -> usize {
        self.lists.len()
    }
}

pub struct Hub {
    pub world: WorldLock,
    pub clock: Clock,
    pub settings: RwLock<Settings>,
    pub limits: Mutex<Limits>,
    pub stats: Stats,
    pub faults: Faults,
    pub dispatcher: Dispatcher,
    /// Filtered and sorted issue lists, reused until the world changes.
    pub(crate) issue_matches: Mutex<MatchCache>,
}

impl Hub {
    pub fn new(public_url: &str, settings: Settings) -> Self {
        Hub {
            world: WorldLock::new(World::new(public_url)),
            clock: Clock::default(),
            settings: RwLock::new(settings),
            limits: Mutex::new(Limits::default()),
            stats: Stats::default(),
            faults: Faults::default(),
            dispatcher: Dispatcher::default(),
            issue_matches: Mutex::new(MatchCache::default()),
        }
    }

    pub fn base_url(&self) -> String {
        self.world.read().base.clone()
    }

    /// Who a token acts as, or `None` if fakehub does not know the token.
    pub fn login_for(&self, token: &str) -> Option<String> {
        self.credential_for(token).map(|c| c.login().to_string())
    }

    /// What a token proves: a `--token` (all scopes), a declared user's token (its scopes),
    /// an app installation's token (its permissions, until it expires), or, with neither
    /// kind of user token configured (open mode), `octocat` with all scopes.
    pub fn credential_for(&self, token: &str) -> Option<Credential> {
        let open = {
            let s = self.settings.read();
            if let Some(t) = s.tokens.iter().find(|t| t.token == token) {
                return Some(Credential::user(&t.login, None));
            }
            s.tokens.is_empty()
        };
        let w = self.world.read();
        if let Some(c) = w.access.tokens.get(token) {
            return Some(c.clone());
        }
        if token.starts_with("ghs_") {
            // An installation token: valid for an hour, while its installation exists.
            // Never a stand-in for octocat, even in open mode.
            return w.installation_credential(token, self.clock.now());
        }
        (open && w.access.tokens.is_empty()).then(|| Credential::user(DEFAULT_LOGIN, None))
    }

    /// Hands the webhook events queued by mutations to the dispatcher. Called with the world
    /// still locked, so events leave in the order the mutations happened.
    pub fn flush(&self, world: &mut World) {
        let events = std::mem::take(&mut world.outbox);
        let now = self.clock.now();
        world.record_issue_events(&events, now);
        for e in events {
            self.dispatcher.enqueue(&self.faults, world, e, now);
        }
    }

    /// Empties the simulator: every repository, user, hook, delivery, counter and limit.
    pub fn reset(&self) {
        let mut world = self.world.write();
        let base = world.base.clone();
        *world = World::new(&base);
        self.dispatcher.reset();
        self.limits.lock().reset_all();
        self.stats.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_match_cache_holds_one_generation_within_its_bound() {
        let mut cache = MatchCache::default();
        let key = |s: &str| (0, vec![("state".to_string(), s.to_string())]);
        let list: Matches = vec![(1, 1), (2, 2)].into();
        cache.put(3, key("open"), list.clone());
        assert_eq!(cache.get(3, &key("open")).as_deref(), Some(&list[..]));
        assert!(cache.get(3, &key("closed")).is_none());
        assert!(
            cache.get(4, &key("open")).is_none(),
            "a write makes every list stale"
        );
        cache.put(2, key("closed"), list.clone());
        assert!(
            cache.get(2, &key("closed")).is_none(),
            "a list older than the cache is not kept"
        );
        cache.put(4, key("closed"), list.clone());
        assert!(cache.get(4, &key("open")).is_none());
        assert_eq!(cache.held, 2);
        let big: Matches = vec![(0, 0); MAX_CACHED_ISSUES - 1].into();
        cache.put(4, key("all"), big);
        assert!(
            cache.get(4, &key("closed")).is_none(),
            "over the bound, older lists go"
        );
        assert_eq!(cache.held, MAX_CACHED_ISSUES - 1);
    }
}
