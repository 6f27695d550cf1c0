//! The rate limiter against a plain token bucket, over random sequences of calls,
//! refunds, charges and waits, on tokio's paused clock.
//!
//! The limiter keeps each limit as GCRA does: one instant (the theoretical arrival time).
//! The model below keeps it the textbook way: a level that refills with time, capped at
//! the burst. Both count in nanoseconds of the schedule (one token is `per / amount`),
//! so they must agree exactly: on every admission and refusal, on the wait a refusal
//! reports, and on what is left after every step.

use std::time::Duration;

use proptest::prelude::*;
use resilience_core::rate_limit::RateLimiter;

const SECOND: u64 = 1_000_000_000;
/// 10 requests a second: 100ms each.
const REQUESTS: u64 = 10;
const REQUEST_SPAN: u64 = SECOND / REQUESTS;
/// 1 000 tokens a second: 1ms each.
const TOKENS: u64 = 1_000;
const TOKEN_SPAN: u64 = SECOND / TOKENS;

#[derive(Clone, Debug)]
enum Op {
    Wait(u64),
    Take(u64),
    Reconcile { estimated: u64, used: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u64..1_500_000_000).prop_map(Op::Wait),
        (0u64..1_200).prop_map(Op::Take),
        (0u64..800, 0u64..800).prop_map(|(estimated, used)| Op::Reconcile { estimated, used }),
    ]
}

/// One limit as a textbook token bucket, in nanoseconds of the schedule.
struct Bucket {
    level: i128,
    capacity: i128,
}

impl Bucket {
    fn full(burst: u64, span: u64) -> Self {
        let capacity = i128::from(burst * span);
        Bucket {
            level: capacity,
            capacity,
        }
    }

    fn refill(&mut self, nanos: u64) {
        self.level = (self.level + i128::from(nanos)).min(self.capacity);
    }

    /// How long until `need` fits (zero: now).
    fn missing(&self, need: u64) -> u64 {
        u64::try_from((i128::from(need) - self.level).max(0)).unwrap()
    }

    fn left(&self, span: u64) -> u64 {
        u64::try_from(self.level.max(0)).unwrap() / span
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn the_limiter_is_a_token_bucket(
        request_burst in 1u64..=REQUESTS,
        token_burst in 100u64..=TOKENS,
        ops in proptest::collection::vec(op(), 1..60),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        runtime.block_on(async {
            let limiter = RateLimiter::builder()
                .requests(REQUESTS)
                .request_burst(request_burst)
                .tokens(TOKENS)
                .token_burst(token_burst)
                .per(Duration::from_secs(1))
                .build()
                .unwrap();
            let mut requests = Bucket::full(request_burst, REQUEST_SPAN);
            let mut tokens = Bucket::full(token_burst, TOKEN_SPAN);
            for op in ops {
                match op {
                    Op::Wait(nanos) => {
                        tokio::time::advance(Duration::from_nanos(nanos)).await;
                        requests.refill(nanos);
                        tokens.refill(nanos);
                    }
                    Op::Take(cost) => {
                        let outcome = limiter.try_acquire(cost);
                        if cost > token_burst {
                            let refused = outcome.expect_err("more than the burst");
                            prop_assert!(refused.exceeds_burst());
                            continue;
                        }
                        let wait = requests
                            .missing(REQUEST_SPAN)
                            .max(tokens.missing(cost * TOKEN_SPAN));
                        if wait == 0 {
                            prop_assert!(outcome.is_ok(), "refused with room: {outcome:?}");
                            requests.level -= i128::from(REQUEST_SPAN);
                            tokens.level -= i128::from(cost * TOKEN_SPAN);
                        } else {
                            let refused = outcome.expect_err("admitted without room");
                            prop_assert_eq!(refused.retry_in(), Duration::from_nanos(wait));
                        }
                    }
                    Op::Reconcile { estimated, used } => {
                        limiter.reconcile(estimated, used);
                        let difference = i128::from(used) - i128::from(estimated);
                        if difference > 0 {
                            tokens.level -= difference * i128::from(TOKEN_SPAN);
                        } else {
                            tokens.level = (tokens.level - difference * i128::from(TOKEN_SPAN))
                                .min(tokens.capacity);
                        }
                    }
                }
                let left = limiter.left();
                prop_assert_eq!(left.requests, Some(requests.left(REQUEST_SPAN)));
                prop_assert_eq!(left.tokens, Some(tokens.left(TOKEN_SPAN)));
            }
            Ok(())
        })?;
    }
}
