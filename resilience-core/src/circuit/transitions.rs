//! The transitions an outcome causes: counting a failure, judging the window, opening,
//! closing, and freeing a probe's slot. Each one re-reads the state word and gives up as
//! soon as it belongs to another phase or generation than the call (stale).

use std::time::Duration;

use super::permit::Admission;
use super::state::Word;
use super::window::{Record, Tally};
use super::{CircuitBreaker, Reason, State, clock};
use crate::sync::Ordering::Relaxed;

impl CircuitBreaker {
    #[inline]
    pub(super) fn on_success(&self, ticket: Admission) {
        self.counters.0.stats.successes.fetch_add(1, Relaxed);
        if !self.hot.0.config.plain {
            return self.success_judged(ticket);
        }
        let word = self.load();
        // The healthy steady state: closed with no failures, nothing to write.
        if !ticket.probe && word.has_no_counts() {
            return;
        }
        self.success_slow(word, ticket);
    }

    /// A success in a rate mode: recorded in the window, judged if slow.
    #[inline(never)]
    fn success_judged(&self, ticket: Admission) {
        let config = &self.hot.0.config;
        if config.slow_nanos == 0 && !config.slicing.timed && !ticket.probe {
            // The common case, a count window without timing: take a position, and
            // reset a consecutive count if one is kept. Nothing to judge: a success
            // that is not slow lowers every rate.
            let word = self.load();
            if word.state() == State::Closed && word.generation() == ticket.generation {
                self.recent().take_position();
                if word.failures() != 0 {
                    self.success_slow(word, ticket);
                }
            }
            return;
        }
        self.success_timed(ticket);
    }

    /// A success of a probe, or in a time window, or timed.
    #[inline(never)]
    fn success_timed(&self, ticket: Admission) {
        let config = &self.hot.0.config;
        let (slow, now) = self.timing(ticket);
        if ticket.probe {
            if slow && config.slow_ppm != 0 {
                // A probe that answers this slowly has not shown the service is back.
                return self.failed(ticket, None, Reason::ProbeSlow, true, now);
            }
            return self.success_slow(self.load(), ticket);
        }
        let word = self.load();
        if word.state() != State::Closed || word.generation() != ticket.generation {
            return;
        }
        let tally = self.record(now, slow, false);
        if slow && self.judge(tally, false, true).is_some() {
            return self.trip(word, ticket, None, Reason::SlowRate, now);
        }
        if word.failures() != 0 {
            self.success_slow(word, ticket);
        }
    }

    #[inline(never)]
    fn success_slow(&self, mut word: Word, ticket: Admission) {
        let config = &self.hot.0.config;
        let generation = ticket.generation;
        loop {
            if word.generation() != generation {
                return;
            }
            let next = match (word.state(), ticket.probe) {
                (State::Closed, false) if word.failures() != 0 => Word::closed(generation, 0),
                (State::HalfOpen, true) => {
                    let successes = word.successes() + 1;
                    if successes >= config.success_threshold {
                        if config.window.is_some() {
                            self.restart_window();
                        }
                        Word::closed(word.next_generation(), 0)
                    } else {
                        Word::half_open(generation, word.reopens(), word.in_flight() - 1, successes)
                    }
                }
                _ => return,
            };
            match self.cas(word, next) {
                Ok(()) => {
                    if next.state() != word.state() {
                        self.transitioned(word.state(), next.state(), Reason::Recovered);
                    }
                    return;
                }
                Err(actual) => word = actual,
            }
        }
    }

    pub(super) fn on_failure(&self, ticket: Admission, retry_after: Option<Duration>) {
        self.counters.0.stats.failures.fetch_add(1, Relaxed);
        let (slow, now) = self.timing(ticket);
        let reason = if ticket.probe {
            Reason::ProbeFailed
        } else {
            Reason::Consecutive
        };
        self.failed(ticket, retry_after, reason, slow, now);
    }

    /// A counted failure (or a slow probe): records it, and opens the breaker if that
    /// trips it. `now` is the clock if it was read already (0 if not).
    fn failed(
        &self,
        ticket: Admission,
        retry_after: Option<Duration>,
        reason: Reason,
        slow: bool,
        now: u64,
    ) {
        let config = &self.hot.0.config;
        let word = self.load();
        if word.state() == State::Open {
            // A late failure that carries a server delay still tells us when to come
            // back: it can only lengthen the open period.
            if let Some(delay) = retry_after {
                let now = if now == 0 { clock::now_nanos() } else { now };
                let until = now.saturating_add(clock::saturating_nanos(delay));
                self.hot.0.open_until.fetch_max(until, Relaxed);
            }
            return;
        }
        if word.generation() != ticket.generation {
            return;
        }
        match (word.state(), ticket.probe) {
            (State::HalfOpen, true) => self.trip(word, ticket, retry_after, reason, now),
            (State::Closed, false) => {
                let mut why = None;
                if config.window.is_some() {
                    let tally = self.record(now, slow, true);
                    why = self.judge(tally, true, slow);
                }
                self.count_failure(word, ticket, retry_after, why, now);
            }
            _ => {}
        }
    }

    /// Adds a closed-state failure to the consecutive count; opens the breaker if the
    /// count or the window (`rate`) says so.
    fn count_failure(
        &self,
        mut word: Word,
        ticket: Admission,
        retry_after: Option<Duration>,
        rate: Option<Reason>,
        now: u64,
    ) {
        let threshold = self.hot.0.config.threshold;
        loop {
            if word.state() != State::Closed || word.generation() != ticket.generation {
                return;
            }
            let failures = word.failures().saturating_add(1);
            let reason = if threshold != 0 && failures >= threshold {
                Some(Reason::Consecutive)
            } else {
                rate
            };
            if let Some(reason) = reason {
                return self.trip(word, ticket, retry_after, reason, now);
            }
            if threshold == 0 {
                return;
            }
            match self.cas(word, Word::closed(ticket.generation, failures)) {
                Ok(()) => return,
                Err(actual) => word = actual,
            }
        }
    }

    /// Opens the breaker from `word` (closed, or half-open for a probe), for the open
    /// period its re-openings call for, or the server's delay if longer.
    fn trip(
        &self,
        mut word: Word,
        ticket: Admission,
        retry_after: Option<Duration>,
        reason: Reason,
        now: u64,
    ) {
        let config = &self.hot.0.config;
        let mut published = false;
        loop {
            let current = match (word.state(), ticket.probe) {
                (State::Closed, false) | (State::HalfOpen, true) => {
                    word.generation() == ticket.generation
                }
                _ => false,
            };
            if !current {
                return;
            }
            let reopens = if ticket.probe { word.reopens() + 1 } else { 0 };
            let next = Word::open(word.next_generation(), reopens);
            if !published {
                // Published before the CAS that opens the breaker, so whoever sees
                // it open also sees this deadline (see `acquire_slow`). `fetch_max`
                // because a deadline is `now + period`, so a later period's is
                // always larger and a slow thread can never shorten it.
                let now = if now == 0 { clock::now_nanos() } else { now };
                let mut period = config.open_nanos(next.reopens());
                if let Some(delay) = retry_after {
                    period = period.max(clock::saturating_nanos(delay));
                }
                self.hot
                    .0
                    .open_until
                    .fetch_max(now.saturating_add(period), Relaxed);
                published = true;
            }
            match self.cas(word, next) {
                Ok(()) => {
                    self.transitioned(word.state(), next.state(), reason);
                    return;
                }
                Err(actual) => word = actual,
            }
        }
    }

    pub(super) fn on_neither(&self, ticket: Admission) {
        self.counters.0.stats.neither.fetch_add(1, Relaxed);
        if !ticket.probe {
            return;
        }
        let generation = ticket.generation;
        let mut word = self.load();
        while word.state() == State::HalfOpen && word.generation() == generation {
            debug_assert!(word.in_flight() > 0, "a current probe holds a slot");
            let next = Word::half_open(
                generation,
                word.reopens(),
                word.in_flight() - 1,
                word.successes(),
            );
            match self.cas(word, next) {
                Ok(()) => return,
                Err(actual) => word = actual,
            }
        }
    }

    /// Whether the call was slow, and the clock if it was read (0 if not): a breaker
    /// without `slow_call` reads no clock here.
    #[inline]
    fn timing(&self, ticket: Admission) -> (bool, u64) {
        let slow_nanos = self.hot.0.config.slow_nanos;
        if slow_nanos == 0 {
            return (false, 0);
        }
        let now = clock::now_nanos();
        (now.saturating_sub(ticket.started) > slow_nanos, now)
    }

    /// Records a closed-state call in the window; the tally to judge by (summed only
    /// when `failure` or `slow` asks for it).
    fn record(&self, now: u64, slow: bool, failure: bool) -> Tally {
        let slicing = self.hot.0.config.slicing;
        let now = if slicing.timed && now == 0 {
            clock::now_nanos()
        } else {
            now
        };
        let slow_judged = self.hot.0.config.slow_ppm != 0;
        self.recent().record(
            slicing,
            now,
            Record { failure, slow },
            failure || slow,
            slow_judged,
        )
    }

    /// What the window holds now (for status pages).
    pub(super) fn window_tally(&self) -> Tally {
        let slicing = self.hot.0.config.slicing;
        let now = if slicing.timed { clock::now_nanos() } else { 0 };
        self.recent().tally(slicing, now)
    }

    /// A new closed period: the window forgets the calls before it.
    pub(super) fn restart_window(&self) {
        let slicing = self.hot.0.config.slicing;
        let now = if slicing.timed { clock::now_nanos() } else { 0 };
        self.recent().restart(slicing, now);
    }

    /// Whether the window trips the breaker after a call that was a `failure` and/or
    /// `slow`; the rate that does.
    fn judge(&self, tally: Tally, failure: bool, slow: bool) -> Option<Reason> {
        let config = &self.hot.0.config;
        if tally.calls < config.min_calls || tally.calls == 0 {
            return None;
        }
        let reaches = |count: u32, ppm: u32| {
            ppm != 0 && u64::from(count) * 1_000_000 >= u64::from(ppm) * u64::from(tally.calls)
        };
        if failure && reaches(tally.failures, config.failure_ppm) {
            return Some(Reason::FailureRate);
        }
        if slow && reaches(tally.slow, config.slow_ppm) {
            return Some(Reason::SlowRate);
        }
        None
    }
}
