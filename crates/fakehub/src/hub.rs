//! The running simulator: model, clock, limits, counters, faults and webhook dispatcher,
//! shared by every request handler.

use crate::clock::Clock;
use crate::faults::Faults;
use crate::limits::Limits;
use crate::model::World;
use crate::stats::Stats;
use crate::webhooks::Dispatcher;
use parking_lot::{Mutex, RwLock};

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

pub struct Hub {
    pub world: RwLock<World>,
    pub clock: Clock,
    pub settings: RwLock<Settings>,
    pub limits: Mutex<Limits>,
    pub stats: Stats,
    pub faults: Faults,
    pub dispatcher: Dispatcher,
}

impl Hub {
    pub fn new(public_url: &str, settings: Settings) -> Self {
        Hub {
            world: RwLock::new(World::new(public_url)),
            clock: Clock::default(),
            settings: RwLock::new(settings),
            limits: Mutex::new(Limits::default()),
            stats: Stats::default(),
            faults: Faults::default(),
            dispatcher: Dispatcher::default(),
        }
    }

    pub fn base_url(&self) -> String {
        self.world.read().base.clone()
    }

    /// Who a token acts as, or `None` if fakehub does not know the token.
    pub fn login_for(&self, token: &str) -> Option<String> {
        let s = self.settings.read();
        if s.tokens.is_empty() {
            return Some(DEFAULT_LOGIN.into());
        }
        s.tokens.iter().find(|t| t.token == token).map(|t| t.login.clone())
    }

    /// Hands the webhook events queued by mutations to the dispatcher. Called with the world
    /// still locked, so events leave in the order the mutations happened.
    pub fn flush(&self, world: &mut World) {
        let events = std::mem::take(&mut world.outbox);
        let now = self.clock.now();
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
