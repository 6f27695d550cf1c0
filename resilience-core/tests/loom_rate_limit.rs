//! The rate limiter's words, model-checked with loom.
//!
//! Each limit is one atomic word (its theoretical arrival time) changed only by
//! compare-and-swap; a call takes one request and its tokens from two such words and
//! gives the request back when its tokens do not fit. Loom runs every interleaving of
//! those operations (up to a preemption bound), so the invariants below hold in every
//! execution, not only in the ones a stress test hits:
//!
//! - admission never gives out more than the bucket holds: of two calls that do not fit
//!   together, exactly one is admitted, whatever the order;
//! - a refused call takes nothing: the request it took before its tokens were refused is
//!   back, so the counts left add up exactly;
//! - refunds and charges (reconciling usage) are never lost against admissions racing
//!   them, and a refund races an admission cleanly: the admission sees it or not, and the
//!   bucket agrees with what the caller saw.
//!
//! The clock does not move inside a model (the loom build's clock is moved by hand), so
//! every count is exact.
//!
//! ```text
//! RUSTFLAGS="--cfg loom -C debug-assertions -C overflow-checks" \
//! CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test -p resilience-core --test loom_rate_limit --release -- --nocapture
//! ```
#![cfg(loom)]

mod support;

use resilience_core::rate_limit::{Left, RateLimiter, RateLimiterBuilder};
use support::loom::{BOTH, ONE, check, race};

fn limiter(builder: RateLimiterBuilder) -> &'static RateLimiter {
    Box::leak(Box::new(builder.build().expect("valid settings")))
}

/// Two calls of 600 tokens against a bucket of 1 000: exactly one gets in.
#[test]
fn two_calls_that_do_not_fit_together_admit_exactly_one() {
    check("two_calls_that_do_not_fit_together", ONE, |reversed| {
        let l = limiter(RateLimiter::builder().tokens(1_000));
        let take = move || l.try_acquire(600).is_ok();
        let (a, b) = race(reversed, take, take);
        assert!(a != b, "exactly one admitted: {a} {b}");
        assert_eq!(l.left().tokens, Some(400));
        assert_eq!(l.stats().rejected, 1);
    });
}

/// Three calls of 400 tokens, two requests' worth of burst: exactly two get in, and the
/// third's refusal (for either limit) leaves both buckets as the two left them.
#[test]
fn three_callers_two_fit() {
    check("three_callers_two_fit", ONE, |_| {
        let l = limiter(RateLimiter::builder().requests(2).tokens(1_000));
        let take = move || l.try_acquire(400).is_ok();
        let threads: Vec<_> = (0..3).map(|_| loom::thread::spawn(take)).collect();
        let admitted = threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .filter(|admitted| *admitted)
            .count();
        assert_eq!(admitted, 2);
        assert_eq!(
            l.left(),
            Left {
                requests: Some(0),
                tokens: Some(200)
            }
        );
    });
}

/// Requests and tokens: the call refused for its tokens gives its request back.
#[test]
fn a_call_refused_for_its_tokens_gives_its_request_back() {
    check("a_call_refused_for_its_tokens", BOTH, |reversed| {
        let l = limiter(RateLimiter::builder().requests(2).tokens(1_000));
        let (big, small) = race(
            reversed,
            move || l.try_acquire(800).is_ok(),
            move || l.try_acquire(300).is_ok(),
        );
        assert!(big != small, "exactly one admitted");
        let tokens = if big { 200 } else { 700 };
        assert_eq!(
            l.left(),
            Left {
                requests: Some(1),
                tokens: Some(tokens)
            }
        );
    });
}

/// Admissions and reconciliations racing: every token counted once.
#[test]
fn reconciling_races_admissions_without_losing_a_token() {
    check("reconciling_races_admissions", BOTH, |reversed| {
        let l = limiter(RateLimiter::builder().tokens(1_000));
        let (a, b) = race(
            reversed,
            move || {
                let admitted = l.try_acquire(500).is_ok();
                l.reconcile(500, 100); // used less: 400 back
                admitted
            },
            move || {
                let admitted = l.try_acquire(300).is_ok();
                l.reconcile(300, 450); // used more: 150 charged
                admitted
            },
        );
        assert!(a && b, "500 and 300 fit in 1 000 together");
        assert_eq!(l.left().tokens, Some(1_000 - 100 - 450));
    });
}

/// A refund racing an admission that needs it: the admission sees the refund or is
/// refused, and the bucket agrees either way.
#[test]
fn a_refund_races_the_admission_that_needs_it() {
    check("a_refund_races_the_admission", BOTH, |reversed| {
        let l = limiter(RateLimiter::builder().tokens(1_000));
        l.try_acquire(1_000).expect("a full bucket");
        let ((), admitted) = race(
            reversed,
            move || l.reconcile(1_000, 0),
            move || l.try_acquire(600).is_ok(),
        );
        let expected = if admitted { 400 } else { 1_000 };
        assert_eq!(l.left().tokens, Some(expected));
    });
}
