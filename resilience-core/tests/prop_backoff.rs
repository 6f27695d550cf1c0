//! Property tests of `backoff`: every schedule, for every combination of kind, jitter,
//! base, factor and cap, stays within its bounds, for any retry number.
//!
//! Bounds checked, with `d(n)` the nominal delay before retry n:
//!
//! - nominal: `base <= d(n) <= max`, `d(n)` non-decreasing in n (exponential and linear
//!   grow, fixed stays), exact where the arithmetic is exact;
//! - jitter: none `= d(n)`; full in `[0, d(n)]`; equal in `[d(n) - d(n)/2, d(n)]`;
//!   decorrelated in `[base, min(max, max(base, 3 * previous))]`; all `<= max`;
//! - no panic and no overflow: any n up to `u32::MAX`, factors up to `f64::MAX`, caps up to
//!   `Duration::MAX`, and a million consecutive delays of one schedule.
//!
//! Durations above `u64::MAX` nanoseconds (584 years) are jittered as if they were 584
//! years (documented on `Jitter`), so jitter bounds use `min(d(n), 584 years)`.

use std::time::Duration;

use proptest::prelude::*;
use resilience_core::backoff::{Backoff, BackoffKind, Jitter};

const KINDS: [BackoffKind; 3] = [
    BackoffKind::Exponential,
    BackoffKind::Fixed,
    BackoffKind::Linear,
];
const JITTERS: [Jitter; 4] = [
    Jitter::None,
    Jitter::Full,
    Jitter::Equal,
    Jitter::Decorrelated,
];

/// Durations across every scale that matters: zero, nanoseconds, realistic (ms to
/// minutes), absurd (years), and the extremes.
fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::ZERO),
        (1u64..1_000).prop_map(Duration::from_nanos),
        (1u64..600_000).prop_map(Duration::from_millis),
        (1u64..=u64::MAX).prop_map(Duration::from_nanos),
        (0u64..=u64::MAX, 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
        Just(Duration::from_nanos(u64::MAX)),
        Just(Duration::MAX),
    ]
}

/// Factors from exactly 1 through barely-above-1 (where float rounding bites) to huge.
fn factor() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(1.0),
        (1u64..1_000).prop_map(|k| 1.0 + k as f64 * f64::EPSILON),
        1.0f64..4.0,
        4.0f64..1e6,
        1e6f64..f64::MAX,
        Just(f64::MAX),
    ]
}

/// Retry numbers: the first few, realistic, around the point exponential growth
/// overflows, and the extremes.
fn retry_number() -> impl Strategy<Value = u32> {
    prop_oneof![
        1u32..20,
        20u32..2_000,
        Just(u32::MAX - 1),
        Just(u32::MAX),
        1u32..=u32::MAX,
    ]
}

prop_compose! {
    /// Any valid backoff: `base <= max` by construction.
    fn backoff()(
        kind in prop::sample::select(&KINDS[..]),
        jitter in prop::sample::select(&JITTERS[..]),
        a in duration(),
        b in duration(),
        factor in factor(),
    ) -> Backoff {
        let (base, max) = if a <= b { (a, b) } else { (b, a) };
        let builder = match kind {
            BackoffKind::Exponential => Backoff::exponential(),
            BackoffKind::Fixed => Backoff::fixed(),
            BackoffKind::Linear => Backoff::linear(),
        };
        builder.base(base).max(max).factor(factor).jitter(jitter).build().expect("valid")
    }
}

const U64_NANOS: Duration = Duration::from_nanos(u64::MAX);

/// The bounds of the jittered delay before retry n, given the previous jittered delay.
fn jitter_bounds(b: &Backoff, n: u32, previous: Option<Duration>) -> (Duration, Duration) {
    let d = b.delay(n).min(U64_NANOS);
    match b.jitter() {
        Jitter::None => (b.delay(n), b.delay(n)),
        Jitter::Full => (Duration::ZERO, d),
        Jitter::Equal => (d - d / 2, d),
        Jitter::Decorrelated => {
            let base = b.base().min(U64_NANOS);
            let last = previous.unwrap_or(base);
            let high = last.saturating_mul(3).max(base).min(b.max()).min(U64_NANOS);
            (base.min(b.max()), high)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    /// `base <= d(n) <= max` for every n.
    #[test]
    fn nominal_delays_stay_between_base_and_max(b in backoff(), n in retry_number()) {
        let d = b.delay(n);
        prop_assert!(d <= b.max(), "d({n}) = {d:?} > max {:?}", b.max());
        prop_assert!(d >= b.base(), "d({n}) = {d:?} < base {:?}", b.base());
    }

    /// The nominal schedule never shrinks from one retry to the next.
    #[test]
    fn nominal_delays_never_decrease(b in backoff(), n in retry_number()) {
        let n = n.min(u32::MAX - 1);
        let (d, next) = (b.delay(n), b.delay(n + 1));
        prop_assert!(next >= d, "d({}) = {next:?} < d({n}) = {d:?} for {b:?}", n + 1);
    }

    /// Where the arithmetic is exact, the nominal delay is exactly the formula.
    #[test]
    fn nominal_delays_follow_the_formula(
        base_ms in 0u64..10_000,
        max_s in 10u64..100_000,
        n in 1u32..40,
        factor in prop::sample::select(&[1.0, 2.0, 3.0, 10.0][..]),
    ) {
        let (base, max) = (Duration::from_millis(base_ms), Duration::from_secs(max_s));
        let nominal = |builder: resilience_core::backoff::BackoffBuilder| {
            builder.base(base).max(max).factor(factor).jitter(Jitter::None).build().unwrap()
        };
        prop_assert_eq!(nominal(Backoff::fixed()).delay(n), base);
        let linear = base.checked_mul(n).map_or(max, |d| d.min(max));
        prop_assert_eq!(nominal(Backoff::linear()).delay(n), linear);
        // base_ms * factor^(n-1) in integer milliseconds, capped.
        let exact = (0..n - 1).try_fold(u128::from(base_ms), |acc, _| {
            let next = acc * factor as u128;
            (next <= u128::from(max_s) * 1_000).then_some(next)
        });
        let exponential = exact.map_or(max, |ms| Duration::from_millis(ms as u64)).min(max);
        prop_assert_eq!(nominal(Backoff::exponential()).delay(n), exponential);
    }

    /// Every jittered delay of a seeded schedule is within its jitter's range and the cap.
    #[test]
    fn jittered_delays_stay_in_their_range(b in backoff(), seed in any::<u64>(), len in 1usize..64) {
        check_schedule(&b, b.iter_seeded(seed).take(len))?;
    }

    /// The same seed gives the same schedule; an unseeded one keeps the same bounds.
    #[test]
    fn seeded_schedules_are_reproducible(b in backoff(), seed in any::<u64>()) {
        let first: Vec<_> = b.iter_seeded(seed).take(16).collect();
        let second: Vec<_> = b.iter_seeded(seed).take(16).collect();
        prop_assert_eq!(&first, &second);
        check_schedule(&b, b.iter().take(16))?;
    }
}

fn check_schedule(
    b: &Backoff,
    delays: impl Iterator<Item = Duration>,
) -> Result<(), TestCaseError> {
    let mut previous = None;
    for (i, delay) in delays.enumerate() {
        let n = i as u32 + 1;
        let (low, high) = jitter_bounds(b, n, previous);
        prop_assert!(delay <= b.max(), "retry {n}: {delay:?} > max for {b:?}");
        prop_assert!(
            low <= delay && delay <= high,
            "retry {n}: {delay:?} not in [{low:?}, {high:?}] for {b:?}"
        );
        previous = Some(delay);
    }
    Ok(())
}

/// A million consecutive delays of one schedule, for every kind and jitter with a huge
/// factor and an unbounded cap: no panic, no overflow, every delay within the cap, and the
/// nominal schedule settles at the cap.
#[test]
fn a_million_retries_never_overflow() {
    for kind in KINDS {
        for jitter in JITTERS {
            let builder = match kind {
                BackoffKind::Exponential => Backoff::exponential(),
                BackoffKind::Fixed => Backoff::fixed(),
                BackoffKind::Linear => Backoff::linear(),
            };
            let b = builder
                .base(Duration::from_secs(1))
                .factor(1e300)
                .max(Duration::MAX)
                .jitter(jitter)
                .build()
                .unwrap();
            let mut count = 0u32;
            for delay in b.iter_seeded(7).take(1_000_000) {
                assert!(delay <= b.max());
                count += 1;
            }
            assert_eq!(count, 1_000_000);
            assert!(b.delay(1_000_000) <= b.max());
            assert!(b.delay(u32::MAX) <= b.max());
        }
    }
}

/// The iterator keeps yielding after `u32::MAX` items without overflowing its counter:
/// checked through `delay`, which the iterator uses for retry `u32::MAX` onwards.
#[test]
fn the_last_retry_number_saturates() {
    let b = Backoff::exponential()
        .factor(f64::MAX)
        .max(Duration::MAX)
        .jitter(Jitter::None)
        .build()
        .unwrap();
    assert_eq!(b.delay(u32::MAX), Duration::MAX);
    assert_eq!(b.delay(2), Duration::MAX);
    assert_eq!(b.delay(1), Duration::from_secs(1));
}

/// Regression (fixed): the exponential float path converted with `as u64` nanoseconds,
/// which saturates at 584 years, so a `base` above that made every later delay *shorter*
/// than the first one (the schedule shrank, and dropped below `base`).
#[test]
fn an_exponential_base_above_584_years_never_shrinks() {
    let b = Backoff::exponential()
        .base(U64_NANOS + Duration::from_nanos(1))
        .factor(2.0)
        .max(Duration::MAX)
        .jitter(Jitter::None)
        .build()
        .unwrap();
    assert!(
        b.delay(2) >= b.delay(1),
        "{:?} < {:?}",
        b.delay(2),
        b.delay(1)
    );
}

/// Above 584 years the exponential schedule keeps growing and saturates at the cap,
/// `Duration::MAX` included, never above it.
#[test]
fn an_exponential_schedule_above_584_years_grows_to_the_cap() {
    let base = U64_NANOS + Duration::from_secs(1);
    for max in [base * 3, Duration::MAX] {
        let b = Backoff::exponential()
            .base(base)
            .factor(2.0)
            .max(max)
            .jitter(Jitter::None)
            .build()
            .unwrap();
        assert_eq!(b.delay(1), base);
        let two = b.delay(2);
        assert!(two > base && two <= max, "{two:?}");
        let diff = two.abs_diff(base * 2);
        assert!(diff < Duration::from_secs(1), "{two:?} vs {:?}", base * 2);
        let three = b.delay(3);
        assert!(three >= two && three <= max, "{three:?}");
        assert!(three == max || three.abs_diff(base * 4) < Duration::from_secs(1));
        assert_eq!(b.delay(1_000), max);
        assert_eq!(b.delay(u32::MAX), max);
    }
}
