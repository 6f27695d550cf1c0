//! One limiter's share of the fleet: the lease it holds, and its local share while Redis
//! cannot be reached.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use resilience_core::rate_limit::shared::{NotNow, SharedLimit};
use resilience_core::rate_limit::{Limit, RateLimiter};

use crate::script::{Answer, Ask};
use crate::store::Inner;

/// A registered limiter's state in the store.
///
/// Admissions only touch `state` (a short lock, no I/O): they spend the lease in hand.
/// When it runs out, one refill is sent to the store's worker, and the calls wait for it
/// at most the store's deadline: it either brings a lease (they are woken), or says when
/// the fleet has room again, or fails, and then the limiter goes over to its local share
/// until a probe finds Redis again.
pub(crate) struct FleetLimit {
    store: Arc<Inner>,
    /// The limiter to wake when a lease comes: a registered one (`None` for a member of
    /// a keyed family, which may be evicted: its calls look again every millisecond).
    wake: Option<&'static RateLimiter>,
    /// Its name (with `/{key}` for a keyed member), as events show it.
    name: String,
    /// `(amount, burst)` of each limit (as `limits`), and the period.
    rates: Vec<(u64, u64)>,
    per: std::time::Duration,
    /// `prefix + "rl:" + name + ":requests"` / `":tokens"`, for the limits the limiter keeps.
    keys: Vec<String>,
    limits: Vec<Limit>,
    /// Units of each limit one lease asks for.
    lease: Vec<u64>,
    /// The limiter's settings, to build its share from.
    template: Template,
    /// The limiter's `1 / replicas` share, used while Redis is unreachable, with the
    /// number of replicas it was built for: the configured one, or more when Redis said
    /// more replicas lease this limit.
    share: Mutex<(u64, Option<RateLimiter>)>,
    /// The set of replicas that lease this limit, and this replica's id in it.
    members: String,
    id: String,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Units in hand of each limit (as `limits`), valid until `expires`.
    held: [u64; 2],
    expires: Instant,
    /// Tokens used above the estimates and not yet paid from a lease.
    debt: u64,
    /// A refill is on its way.
    refilling: bool,
    /// Not before then: the fleet has no room (Redis said), or the next probe.
    not_before: Option<Instant>,
    /// Redis is unreachable or its value for this limiter is not ours: local share.
    local: bool,
}

impl FleetLimit {
    /// The state of `limiter`, called `name` in Redis; `wake` is the limiter when it
    /// lives for ever.
    pub(crate) fn new(
        store: Arc<Inner>,
        limiter: &RateLimiter,
        name: String,
        wake: Option<&'static RateLimiter>,
    ) -> Self {
        let mut keys = Vec::new();
        let mut limits = Vec::new();
        let mut lease = Vec::new();
        let mut rates = Vec::new();
        for (limit, amount, burst, suffix) in [
            (
                Limit::Requests,
                limiter.requests(),
                limiter.request_burst(),
                "requests",
            ),
            (
                Limit::Tokens,
                limiter.tokens(),
                limiter.token_burst(),
                "tokens",
            ),
        ] {
            if let (Some(_), Some(burst)) = (amount, burst) {
                keys.push(format!("{}rl:{name}:{suffix}", store.prefix));
                limits.push(limit);
                rates.push((amount.unwrap_or(1), burst));
                // Truncation is fine: a lease is a share of the burst, rounded down.
                lease.push(((burst as f64) * store.lease) as u64);
            }
        }
        let template = Template::of(limiter);
        let share = Mutex::new((store.replicas, share_of(&template, store.replicas)));
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        FleetLimit {
            members: format!("{}rl:{name}:replicas", store.prefix),
            id: format!("{}-{nanos}", std::process::id()),
            template,
            store,
            wake,
            name,
            rates,
            per: limiter.per(),
            keys,
            limits,
            lease,
            share,
            state: Mutex::new(State {
                held: [0; 2],
                expires: Instant::now(),
                debt: 0,
                refilling: false,
                not_before: None,
                local: false,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What one call needs of each limit.
    fn needs(&self, tokens: u64) -> [u64; 2] {
        let mut needs = [0; 2];
        for (need, limit) in needs.iter_mut().zip(&self.limits) {
            *need = match limit {
                Limit::Requests => 1,
                _ => tokens,
            };
        }
        needs
    }

    /// Sends a refill for a call needing `needs` to the worker.
    fn refill(self: &Arc<Self>, state: &mut State, needs: [u64; 2]) {
        state.refilling = true;
        let asks: Vec<Ask> = self
            .limits
            .iter()
            .enumerate()
            .map(|(i, &limit)| {
                let (amount, burst) = self.rates[i];
                let debt = if limit == Limit::Tokens {
                    state.debt
                } else {
                    0
                };
                let need = needs[i].saturating_add(debt).min(burst);
                Ask {
                    amount,
                    burst,
                    want: self.lease[i].max(need).min(burst),
                    need,
                }
            })
            .collect();
        let this = Arc::clone(self);
        self.store.spawn(async move {
            let answer = this
                .store
                .lease_from(&this.members, &this.id, &this.keys, this.per, &asks)
                .await
                .map(|(answer, replicas)| {
                    this.learned(replicas);
                    answer
                });
            this.refilled(answer, &asks);
            if let Some(limiter) = this.wake {
                limiter.capacity_changed();
            }
        });
    }

    /// What a refill brought.
    fn refilled(&self, answer: Result<Answer, String>, asks: &[Ask]) {
        let now = Instant::now();
        let mut state = self.lock();
        state.refilling = false;
        let problem = match answer {
            Ok(Answer::Want) => self.got(&mut state, asks.iter().map(|ask| ask.want), now),
            Ok(Answer::Need) => self.got(&mut state, asks.iter().map(|ask| ask.need), now),
            Ok(Answer::Wait(wait)) => {
                self.rejoin(&mut state);
                state.not_before = Some(now + wait);
                None
            }
            Ok(Answer::Corrupt { index }) => Some(format!(
                "key {} holds a value this limiter did not write",
                self.keys[index]
            )),
            Ok(Answer::Garbled) => Some("the script's reply is not one it gives".to_owned()),
            Err(reason) => Some(reason),
        };
        if let Some(reason) = problem {
            state.not_before = Some(now + self.store.probe);
            if !state.local {
                state.local = true;
                self.store.counters.fallbacks.fetch_add(1, Relaxed);
                tracing::warn!(
                    target: "resilience",
                    name = %self.name,
                    store = self.store.shown(),
                    reason = %reason,
                    replicas = self.store.replicas,
                    "shared rate limit unavailable: going on under this replica's share of the limit"
                );
            }
        }
    }

    /// A lease of `units` of each limit came: into the hand, debts paid first.
    fn got(
        &self,
        state: &mut State,
        units: impl Iterator<Item = u64>,
        now: Instant,
    ) -> Option<String> {
        self.rejoin(state);
        if state.expires <= now {
            state.held = [0; 2];
        }
        for (i, got) in units.enumerate() {
            let mut got = got;
            if self.limits[i] == Limit::Tokens {
                let paid = got.min(state.debt);
                state.debt -= paid;
                got -= paid;
            }
            state.held[i] = state.held[i].saturating_add(got);
        }
        // Units not spent within a period are dropped: a lease never carries a burst
        // of one period into the next.
        state.expires = now + self.per;
        state.not_before = None;
        None
    }

    fn rejoin(&self, state: &mut State) {
        if state.local {
            state.local = false;
            self.store.counters.rejoins.fetch_add(1, Relaxed);
            tracing::info!(
                target: "resilience",
                name = %self.name,
                store = self.store.shown(),
                "shared rate limit reachable again: back on the fleet's quota"
            );
        }
    }

    /// Redis says `replicas` replicas lease this limit: when that is more than the share
    /// was built for (and more than configured), the share is built again, smaller.
    fn learned(&self, replicas: u64) {
        let replicas = replicas.max(self.store.replicas);
        let mut share = self.share.lock().unwrap_or_else(PoisonError::into_inner);
        if replicas != share.0 {
            *share = (replicas, share_of(&self.template, replicas));
        }
    }

    /// Admission under the local share.
    fn take_local(&self, tokens: u64) -> Result<(), NotNow> {
        let share = self.share.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(share) = &share.1 else {
            // No share could be built: the limiter's own buckets are the limit.
            self.store.counters.local.fetch_add(1, Relaxed);
            return Ok(());
        };
        let tokens = tokens.min(share.token_burst().unwrap_or(u64::MAX));
        match share.try_acquire(tokens) {
            Ok(()) => {
                self.store.counters.local.fetch_add(1, Relaxed);
                Ok(())
            }
            Err(limited) => Err(NotNow {
                wait: limited.retry_in(),
                limit: limited.limit(),
            }),
        }
    }
}

/// An `Arc<FleetLimit>` is what the limiter holds (the refill needs the `Arc`).
pub(crate) struct Attached(pub(crate) Arc<FleetLimit>);

impl SharedLimit for Attached {
    fn take(&self, tokens: u64) -> Result<(), NotNow> {
        let this = &self.0;
        let needs = this.needs(tokens);
        let now = Instant::now();
        let mut state = this.lock();
        if state.expires <= now {
            state.held = [0; 2];
        }
        if state
            .held
            .iter()
            .zip(needs)
            .all(|(held, need)| *held >= need)
        {
            for (held, need) in state.held.iter_mut().zip(needs) {
                *held -= need;
            }
            this.store.counters.leased.fetch_add(1, Relaxed);
            return Ok(());
        }
        let due = state.not_before.is_none_or(|at| at <= now);
        if due && !state.refilling {
            this.refill(&mut state, needs);
        }
        if state.local {
            drop(state);
            return this.take_local(tokens);
        }
        let wait = match state.not_before {
            Some(at) if at > now => at - now,
            // A refill is on its way: it answers (or times out) within the deadline, and
            // wakes the limiter; one that cannot be woken looks again in a millisecond.
            _ if this.wake.is_some() => this.store.deadline,
            _ => std::time::Duration::from_millis(1).min(this.store.deadline),
        };
        Err(NotNow {
            wait,
            limit: this.limits.first().copied().unwrap_or(Limit::Requests),
        })
    }

    fn reconcile(&self, estimated: u64, used: u64) {
        let this = &self.0;
        let Some(i) = this.limits.iter().position(|l| *l == Limit::Tokens) else {
            return;
        };
        let mut state = this.lock();
        if state.local {
            drop(state);
            let share = this.share.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(share) = &share.1 {
                share.reconcile(estimated, used);
            }
            return;
        }
        if used > estimated {
            let extra = used - estimated;
            let paid = extra.min(state.held[i]);
            state.held[i] -= paid;
            state.debt = state.debt.saturating_add(extra - paid);
        } else {
            state.held[i] = state.held[i].saturating_add(estimated - used);
        }
    }
}

/// What a share is built from: a limiter's settings.
#[derive(Clone, Copy, Debug)]
struct Template {
    name: &'static str,
    requests: Option<(u64, u64)>,
    tokens: Option<(u64, u64)>,
    per: std::time::Duration,
    max_wait: std::time::Duration,
}

impl Template {
    fn of(limiter: &RateLimiter) -> Self {
        Template {
            name: limiter.name(),
            requests: limiter.requests().zip(limiter.request_burst()),
            tokens: limiter.tokens().zip(limiter.token_burst()),
            per: limiter.per(),
            max_wait: limiter.max_wait(),
        }
    }
}

/// The limiter's settings divided by `replicas` (each at least 1).
fn share_of(template: &Template, replicas: u64) -> Option<RateLimiter> {
    let part = |n: u64| (n / replicas.max(1)).max(1);
    let mut builder = RateLimiter::builder()
        .name(template.name)
        .per(template.per)
        .max_wait(template.max_wait);
    if let Some((amount, burst)) = template.requests {
        builder = builder
            .requests(part(amount))
            .request_burst(part(burst).min(part(amount)));
    }
    if let Some((amount, burst)) = template.tokens {
        builder = builder
            .tokens(part(amount))
            .token_burst(part(burst).min(part(amount)));
    }
    builder.build().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_share_is_the_limit_divided_by_the_replicas() {
        let limiter = RateLimiter::builder()
            .name("share")
            .requests(40)
            .request_burst(10)
            .tokens(90_000)
            .build()
            .unwrap();
        let share = share_of(&Template::of(&limiter), 3).unwrap();
        assert_eq!(share.requests(), Some(13));
        assert_eq!(share.request_burst(), Some(3));
        assert_eq!(share.tokens(), Some(30_000));
        assert_eq!(share.token_burst(), Some(30_000));
        assert_eq!(
            (share.per(), share.max_wait()),
            (limiter.per(), limiter.max_wait())
        );
        // Never below one of each.
        let tiny = share_of(&Template::of(&limiter), 1_000_000).unwrap();
        assert_eq!((tiny.requests(), tiny.request_burst()), (Some(1), Some(1)));
    }
}
