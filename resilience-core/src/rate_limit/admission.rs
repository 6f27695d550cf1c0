//! Admission: take capacity now, queue for it, or refuse.

use core::iter;

use super::waiting::Waiting;
use super::{Limit, RateLimited, RateLimiter};
use crate::circuit::clock;
use crate::waitlist::{Entry, Locked};

/// What a call asking a limiter for capacity gets.
pub(crate) enum Admission<'a> {
    /// It took its capacity: go.
    Now,
    /// It queued: wait (see [`Waiting`]).
    Queued(Waiting<'a>),
    /// It is refused.
    Refused(RateLimited),
}

/// Why capacity could not be taken now: when it could be, and which limit said so.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NotYet {
    pub(crate) ready: u64,
    pub(crate) limit: Limit,
}

impl RateLimiter {
    /// Asks for one request and `tokens` tokens: the fast path when nobody waits and
    /// both limits have room, else the queue.
    #[inline]
    pub(crate) fn admit(&self, tokens: u64) -> Admission<'_> {
        if let Some(refused) = self.never(tokens) {
            return Admission::Refused(refused);
        }
        if self.waitlist.looks_empty() && self.take(clock::now_nanos(), tokens).is_ok() {
            return Admission::Now;
        }
        self.queue(tokens)
    }

    /// The refusal of a call that asks for more tokens than the bucket ever holds.
    #[inline(always)]
    pub(crate) fn never(&self, tokens: u64) -> Option<RateLimited> {
        match &self.config.tokens {
            Some(rate) if tokens > rate.burst() => Some(self.refuse(RateLimited::never(
                self.config.name,
                Limit::Tokens,
                tokens,
                rate.burst(),
            ))),
            _ => None,
        }
    }

    /// Takes one request and `tokens` tokens at `now` if both limits have room; when
    /// the second has none, the first is given back.
    #[inline(always)]
    pub(crate) fn take(&self, now: u64, tokens: u64) -> Result<(), NotYet> {
        if let Some(rate) = &self.config.requests {
            if let Err(ready) = self.requests.try_take(rate, now, 1) {
                return Err(self.no_request(now, tokens, ready));
            }
        }
        if let Some(rate) = &self.config.tokens {
            if let Err(ready) = self.tokens.try_take(rate, now, tokens) {
                self.undo_request(now);
                return Err(NotYet {
                    ready,
                    limit: Limit::Tokens,
                });
            }
        }
        match self.shared_limit() {
            None => Ok(()),
            Some(shared) => self.take_shared(shared, now, tokens),
        }
    }

    /// Both local limits took the call: now the fleet's share (see [`shared`](super::shared)).
    /// When it says no, the local ones are given back.
    #[cold]
    #[inline(never)]
    fn take_shared(
        &self,
        shared: &dyn super::shared::SharedLimit,
        now: u64,
        tokens: u64,
    ) -> Result<(), NotYet> {
        let Err(not_now) = shared.take(tokens) else {
            return Ok(());
        };
        self.undo_request(now);
        if let Some(rate) = &self.config.tokens {
            self.tokens.give_back(rate.span(tokens), now);
        }
        Err(NotYet {
            ready: now.saturating_add(clock::saturating_nanos(not_now.wait)),
            limit: not_now.limit,
        })
    }

    /// No request fits before `ready`: when both would.
    #[cold]
    #[inline(never)]
    fn no_request(&self, now: u64, tokens: u64, ready: u64) -> NotYet {
        let both = self.ready_at(now, tokens);
        if both.ready > ready {
            both
        } else {
            NotYet {
                ready,
                limit: Limit::Requests,
            }
        }
    }

    /// Gives back the request taken by a call whose tokens did not fit. Nobody is woken:
    /// the request was out for an instant, and a waiting call that looked then wakes at
    /// its own time (this runs with the wait list's lock held, when the front tries).
    #[cold]
    #[inline(never)]
    fn undo_request(&self, now: u64) {
        if let Some(rate) = &self.config.requests {
            self.requests.give_back(rate.span(1), now);
        }
    }

    /// When one request and `tokens` tokens would both fit, looking only.
    pub(crate) fn ready_at(&self, now: u64, tokens: u64) -> NotYet {
        let requests = self.config.requests.map(|rate| NotYet {
            ready: rate.ready_at(self.requests.tat(), now, 1),
            limit: Limit::Requests,
        });
        let tokens = self.config.tokens.map(|rate| NotYet {
            ready: rate.ready_at(self.tokens.tat(), now, tokens),
            limit: Limit::Tokens,
        });
        later(requests, tokens, now)
    }

    /// The slow path: queue behind the calls already waiting, or be refused at once
    /// when the predicted wait is longer than `max_wait`.
    #[cold]
    #[inline(never)]
    fn queue(&self, tokens: u64) -> Admission<'_> {
        let locked = self.waitlist.lock();
        let now = clock::now_nanos();
        let mut start = None;
        if locked.count() == 0 {
            match self.take(now, tokens) {
                // The calls that were waiting left while this one came to the lock.
                Ok(()) => return Admission::Now,
                Err(not_yet) => start = Some(not_yet),
            }
        }
        let start = at_least(self.predict(locked.entries(), now, tokens), start);
        let wait = start.ready - now;
        if wait > clock::saturating_nanos(self.config.max_wait) {
            drop(locked);
            return Admission::Refused(self.refuse_for(start, now));
        }
        Admission::Queued(Waiting::queued(self, locked, tokens, now))
    }

    /// When a call of `tokens` would start if it queued behind `ahead`, each of them
    /// starting as soon as both limits have room for it, in order.
    pub(crate) fn predict<'e>(
        &self,
        ahead: impl Iterator<Item = &'e Entry>,
        now: u64,
        tokens: u64,
    ) -> NotYet {
        let mut requests_tat = self.requests.tat();
        let mut tokens_tat = self.tokens.tat();
        let mut start = NotYet {
            ready: now,
            limit: Limit::Requests,
        };
        for cost in ahead.map(|entry| entry.cost).chain(iter::once(tokens)) {
            let requests = self.config.requests.map(|rate| NotYet {
                ready: rate.ready_at(requests_tat, start.ready, 1),
                limit: Limit::Requests,
            });
            let tokens = self.config.tokens.map(|rate| NotYet {
                ready: rate.ready_at(tokens_tat, start.ready, cost),
                limit: Limit::Tokens,
            });
            start = later(requests, tokens, start.ready);
            if let Some(rate) = &self.config.requests {
                requests_tat = rate.take(requests_tat, start.ready, 1);
            }
            if let Some(rate) = &self.config.tokens {
                tokens_tat = rate.take(tokens_tat, start.ready, cost);
            }
        }
        start
    }

    /// The predicted wait of the call `id` queued in `locked`.
    pub(crate) fn predict_queued(
        &self,
        locked: &Locked<'_>,
        id: u64,
        now: u64,
        tokens: u64,
    ) -> NotYet {
        self.predict(locked.ahead_of(id), now, tokens)
    }

    /// The refusal of a call that would have started at `start`.
    pub(crate) fn refuse_for(&self, start: NotYet, now: u64) -> RateLimited {
        let retry_in = core::time::Duration::from_nanos(start.ready - now);
        self.refuse(RateLimited::new(self.config.name, start.limit, retry_in))
    }

    /// Counts and reports a refusal.
    pub(crate) fn refuse(&self, refused: RateLimited) -> RateLimited {
        self.rejected
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        #[cfg(feature = "metrics")]
        crate::metrics::event("rate_limit", "rate_limited", refused.name());
        tracing::debug!(
            target: "resilience",
            name = refused.name(),
            limit = %refused.limit(),
            retry_in = ?refused.retry_in(),
            "rate limiter rejected a call"
        );
        refused
    }
}

/// `predicted`, or `seen` when that is later: a shared store's answer, which the local
/// prediction cannot see.
pub(crate) fn at_least(predicted: NotYet, seen: Option<NotYet>) -> NotYet {
    match seen {
        Some(seen) if seen.ready > predicted.ready => seen,
        _ => predicted,
    }
}

/// The later of two limits' answers (requests win a tie); `now` when neither is set.
fn later(requests: Option<NotYet>, tokens: Option<NotYet>, now: u64) -> NotYet {
    match (requests, tokens) {
        (Some(r), Some(t)) if t.ready > r.ready => t,
        (Some(r), _) => r,
        (None, Some(t)) => t,
        (None, None) => NotYet {
            ready: now,
            limit: Limit::Requests,
        },
    }
}
