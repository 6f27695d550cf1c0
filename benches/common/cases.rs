//! The table of rows both benches measure, in the order the results table shows.

use super::ours::*;
use super::peers::*;
use super::*;
/// One row: `run(iters)` makes `iters` calls; `bytes()` is the size of one returned
/// future.
#[derive(Clone, Copy)]
pub struct Case {
    /// Criterion group (one per goal).
    pub group: &'static str,
    /// Criterion function id; `ours` is ours, anything else a peer (`bare` the baseline).
    pub name: &'static str,
    pub run: fn(u64),
    pub bytes: fn() -> usize,
}

macro_rules! calls {
    ($iters:expr, |$x:ident| $call:expr) => {
        for i in 0..$iters {
            let $x = black_box(i);
            let _ = black_box(block_on($call));
        }
    };
}

/// Every row, in table order. tryhard's only with the `tryhard` feature (see Cargo.toml).
pub fn cases() -> Vec<Case> {
    #[cfg_attr(not(feature = "tryhard"), allow(unused_mut))]
    let mut cases = Vec::from(CASES);
    #[cfg(feature = "tryhard")]
    cases.insert(
        cases
            .iter()
            .position(|c| c.group == "retry")
            .map_or(0, |i| i + 2),
        Case {
            group: "retry",
            name: "tryhard",
            run: |n| calls!(n, |x| tryhard_retry(x)),
            bytes: || size_of_val(&tryhard_retry(0)),
        },
    );
    cases
}

const CASES: &[Case] = &[
    // #[stream]: one item of an answered stream, read through `Streamed` (first item
    // held, idle deadline set) and from the bare stream. Each run is one stream of
    // `iters` items, so a "call" here is one item.
    Case {
        group: "stream_item",
        name: "bare_stream",
        run: stream_items_bare,
        bytes: || size_of::<stream_items::Counter>(),
    },
    Case {
        group: "stream_item",
        name: "ours",
        run: stream_items_ours,
        bytes: streamed_bytes,
    },
    Case {
        group: "bare",
        name: "bare",
        run: |n| calls!(n, |x| bare(x)),
        bytes: || size_of_val(&bare(0)),
    },
    Case {
        group: "bare",
        name: "flaky",
        run: |n| calls!(n, |x| flaky(x)),
        bytes: || size_of_val(&flaky(0)),
    },
    Case {
        group: "bare",
        name: "failing",
        run: |n| calls!(n, |x| failing(x)),
        bytes: || size_of_val(&failing(0)),
    },
    // #[retry], first attempt succeeds.
    Case {
        group: "retry",
        name: "ours",
        run: |n| calls!(n, |x| ours_retry(x)),
        bytes: || size_of_val(&ours_retry(0)),
    },
    Case {
        group: "retry",
        name: "backon",
        run: |n| calls!(n, |x| backon_retry(x)),
        bytes: || size_of_val(&backon_retry(0)),
    },
    Case {
        group: "retry",
        name: "tokio-retry",
        run: |n| calls!(n, |x| tokio_retry(x)),
        bytes: || size_of_val(&tokio_retry(0)),
    },
    // #[retry(budget = ..)], first attempt succeeds: the budget's deposit.
    Case {
        group: "retry_budget",
        name: "ours",
        run: |n| calls!(n, |x| ours_retry_budget(x)),
        bytes: || size_of_val(&ours_retry_budget(0)),
    },
    Case {
        group: "retry_budget",
        name: "tower+tokio-retry",
        run: |n| {
            let budget = tower_budget();
            calls!(n, |x| tower_budget_retry(&budget, x));
        },
        bytes: || size_of_val(&tower_budget_retry(&tower_budget(), 0)),
    },
    // #[hedge], first call answers at once.
    Case {
        group: "hedge",
        name: "ours",
        run: |n| calls!(n, |x| ours_hedge(x)),
        bytes: || size_of_val(&ours_hedge(0)),
    },
    // #[circuit], closed: every 10th call fails, the breaker stays closed.
    Case {
        group: "circuit_closed",
        name: "ours",
        run: |n| calls!(n, |x| ours_circuit(x)),
        bytes: || size_of_val(&ours_circuit(0)),
    },
    Case {
        group: "circuit_closed",
        name: "failsafe",
        run: |n| {
            use failsafe::futures::CircuitBreaker;
            let breaker = failsafe_breaker(3, THIRTY_SECONDS);
            calls!(n, |x| breaker.call(flaky(x)));
        },
        bytes: || {
            use failsafe::futures::CircuitBreaker;
            size_of_val(&failsafe_breaker(3, THIRTY_SECONDS).call(flaky(0)))
        },
    },
    Case {
        group: "circuit_closed",
        name: "recloser",
        run: |n| {
            let breaker = recloser_breaker(100, THIRTY_SECONDS);
            calls!(n, |x| breaker.call(flaky(x)));
        },
        bytes: || size_of_val(&recloser_breaker(100, THIRTY_SECONDS).call(flaky(0))),
    },
    // #[circuit], open: every call is rejected.
    Case {
        group: "circuit_open",
        name: "ours",
        run: |n| calls!(n, |x| ours_open(x)),
        bytes: || size_of_val(&ours_open(0)),
    },
    Case {
        group: "circuit_open",
        name: "failsafe",
        run: |n| {
            use failsafe::futures::CircuitBreaker;
            let breaker = failsafe_breaker(1, ONE_HOUR);
            calls!(n, |x| breaker.call(failing(x)));
        },
        bytes: || {
            use failsafe::futures::CircuitBreaker;
            size_of_val(&failsafe_breaker(1, ONE_HOUR).call(failing(0)))
        },
    },
    Case {
        group: "circuit_open",
        name: "recloser",
        run: |n| {
            let breaker = recloser_breaker(1, ONE_HOUR);
            calls!(n, |x| breaker.call(failing(x)));
        },
        bytes: || size_of_val(&recloser_breaker(1, ONE_HOUR).call(failing(0))),
    },
    // #[circuit(failure_rate = 0.5, window = 100)], closed (10% failures).
    Case {
        group: "circuit_rate",
        name: "ours",
        run: |n| calls!(n, |x| ours_rate(x)),
        bytes: || size_of_val(&ours_rate(0)),
    },
    Case {
        group: "circuit_rate",
        name: "recloser",
        run: |n| {
            let breaker = recloser_breaker(100, THIRTY_SECONDS);
            calls!(n, |x| breaker.call(flaky(x)));
        },
        bytes: || size_of_val(&recloser_breaker(100, THIRTY_SECONDS).call(flaky(0))),
    },
    // #[circuit(failure_rate = 0.5, window = 30s)], closed (10% failures).
    Case {
        group: "circuit_rate_time",
        name: "ours",
        run: |n| calls!(n, |x| ours_rate_time(x)),
        bytes: || size_of_val(&ours_rate_time(0)),
    },
    Case {
        group: "circuit_rate_time",
        name: "failsafe",
        run: |n| {
            use failsafe::futures::CircuitBreaker;
            let breaker = failsafe_rate_breaker();
            calls!(n, |x| breaker.call(flaky(x)));
        },
        bytes: || {
            use failsafe::futures::CircuitBreaker;
            size_of_val(&failsafe_rate_breaker().call(flaky(0)))
        },
    },
    // #[circuit(key = model)], closed (10% failures), the same key every call.
    Case {
        group: "circuit_keyed",
        name: "ours",
        run: |n| calls!(n, |x| ours_keyed("gpt-4", x)),
        bytes: || size_of_val(&ours_keyed("gpt-4", 0)),
    },
    // The lookup of an existing key alone.
    Case {
        group: "keyed_lookup",
        name: "ours",
        run: |n| {
            for i in 0..n {
                black_box(i);
                drop(black_box(KEYED.for_key(black_box("gpt-4"))));
            }
        },
        bytes: || size_of_val(&KEYED.for_key("gpt-4")),
    },
    Case {
        group: "keyed_lookup",
        name: "mutex+hashmap",
        run: |n| {
            for i in 0..n {
                black_box(i);
                drop(black_box(hand_keyed_lookup(black_box("gpt-4"))));
            }
        },
        bytes: || size_of_val(&hand_keyed_lookup("gpt-4")),
    },
    // The same, two keys taking turns (the last key found is looked at first: here it is
    // never the one asked for).
    Case {
        group: "keyed_lookup_2",
        name: "ours",
        run: |n| {
            for i in 0..n {
                let key = if black_box(i) % 2 == 0 {
                    "gpt-4"
                } else {
                    "claude"
                };
                drop(black_box(KEYED.for_key(black_box(key))));
            }
        },
        bytes: || size_of_val(&KEYED.for_key("gpt-4")),
    },
    Case {
        group: "keyed_lookup_2",
        name: "mutex+hashmap",
        run: |n| {
            for i in 0..n {
                let key = if black_box(i) % 2 == 0 {
                    "gpt-4"
                } else {
                    "claude"
                };
                drop(black_box(hand_keyed_lookup(black_box(key))));
            }
        },
        bytes: || size_of_val(&hand_keyed_lookup("gpt-4")),
    },
    // #[timeout] on a ready body.
    Case {
        group: "timeout",
        name: "ours",
        run: |n| calls!(n, |x| ours_timeout(x)),
        bytes: || size_of_val(&ours_timeout(0)),
    },
    Case {
        group: "timeout",
        name: "tokio",
        run: |n| calls!(n, |x| tokio::time::timeout(TEN_SECONDS, bare(x))),
        bytes: || size_of_val(&tokio::time::timeout(TEN_SECONDS, bare(0))),
    },
    // #[rate_limit], the quota never runs out.
    Case {
        group: "rate_limit",
        name: "ours",
        run: |n| calls!(n, |x| ours_rate_limit(x)),
        bytes: || size_of_val(&ours_rate_limit(0)),
    },
    Case {
        group: "rate_limit",
        name: "governor",
        run: |n| {
            let limiter = governor();
            calls!(n, |x| governor_call(&limiter, x));
        },
        bytes: || size_of_val(&governor_call(&governor(), 0)),
    },
    // The admission alone, without a call: `try_acquire` against governor's `check`.
    // Bytes: the limiter's own size.
    Case {
        group: "rate_limit_check",
        name: "ours",
        run: |n| {
            for _ in 0..n {
                black_box(LIMITER.try_acquire(black_box(0)).is_ok());
            }
        },
        bytes: || size_of::<RateLimiter>(),
    },
    Case {
        group: "rate_limit_check",
        name: "governor",
        run: |n| {
            let limiter = governor();
            for _ in 0..n {
                black_box(limiter.check().is_ok());
            }
        },
        bytes: || size_of::<Governor>(),
    },
    Case {
        group: "rate_limit_check",
        name: "governor-std-clock",
        run: |n| {
            let limiter = governor_std();
            for _ in 0..n {
                black_box(limiter.check().is_ok());
            }
        },
        bytes: || size_of::<GovernorStd>(),
    },
    // #[rate_limit(key = model)], the same key every call, against governor's keyed
    // limiter.
    Case {
        group: "rate_limit_keyed",
        name: "ours",
        run: |n| calls!(n, |x| ours_rate_limit_keyed("gpt-4", x)),
        bytes: || size_of_val(&ours_rate_limit_keyed("gpt-4", 0)),
    },
    Case {
        group: "rate_limit_keyed",
        name: "governor",
        run: |n| {
            let limiter = governor_keyed();
            calls!(n, |x| governor_keyed_call(&limiter, "gpt-4", x));
        },
        bytes: || size_of_val(&governor_keyed_call(&governor_keyed(), "gpt-4", 0)),
    },
    // #[bulkhead], never full.
    Case {
        group: "bulkhead",
        name: "ours",
        run: |n| calls!(n, |x| ours_bulkhead(x)),
        bytes: || size_of_val(&ours_bulkhead(0)),
    },
    Case {
        group: "bulkhead",
        name: "tokio-semaphore",
        run: |n| {
            let semaphore = tokio::sync::Semaphore::new(10);
            calls!(n, |x| semaphore_call(&semaphore, x));
        },
        bytes: || size_of_val(&semaphore_call(&tokio::sync::Semaphore::new(10), 0)),
    },
    // A permit taken and given back, without a call. Bytes: the permit's size.
    Case {
        group: "bulkhead_acquire",
        name: "ours",
        run: |n| {
            for _ in 0..n {
                drop(black_box(BULKHEAD.try_acquire()));
            }
        },
        bytes: || size_of::<resilience::bulkhead::Permit<'static>>(),
    },
    Case {
        group: "bulkhead_acquire",
        name: "tokio-semaphore",
        run: |n| {
            let semaphore = tokio::sync::Semaphore::new(10);
            for _ in 0..n {
                drop(black_box(semaphore.try_acquire()));
            }
        },
        bytes: || size_of::<tokio::sync::SemaphorePermit<'static>>(),
    },
    // #[circuit] #[retry] #[timeout]
    Case {
        group: "stack",
        name: "ours",
        run: |n| calls!(n, |x| ours_stack(x)),
        bytes: || size_of_val(&ours_stack(0)),
    },
    Case {
        group: "stack",
        name: "recloser+backon+tokio",
        run: |n| {
            let breaker = recloser_breaker(100, THIRTY_SECONDS);
            calls!(n, |x| hand_stack(&breaker, x));
        },
        bytes: || size_of_val(&hand_stack(&recloser_breaker(100, THIRTY_SECONDS), 0)),
    },
];
