//! Behaviour of `resilience_core::backoff`: nominal schedules, caps, saturation, validation,
//! jitter ranges and seeded reproducibility.

use std::time::Duration;

use resilience_core::ConfigError;
use resilience_core::backoff::{Backoff, BackoffKind, Jitter};

const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

const fn ms(m: u64) -> Duration {
    Duration::from_millis(m)
}

fn nominal(builder: resilience_core::backoff::BackoffBuilder) -> Backoff {
    builder.jitter(Jitter::None).build().unwrap()
}

// ===== defaults and validation =====

#[test]
fn defaults_match_the_retry_attribute() {
    let b = Backoff::default();
    assert_eq!(b.kind(), BackoffKind::Exponential);
    assert_eq!(b.base(), secs(1));
    assert_eq!(b.factor(), 2.0);
    assert_eq!(b.max(), secs(10));
    assert_eq!(b.jitter(), Jitter::Full);
    assert_eq!(Backoff::exponential().build(), Ok(b));
    assert_eq!(Backoff::fixed().build().unwrap().kind(), BackoffKind::Fixed);
    assert_eq!(
        Backoff::linear().build().unwrap().kind(),
        BackoffKind::Linear
    );
}

#[test]
fn build_refuses_bad_factors_with_typed_errors() {
    let cases = [
        (f64::NAN, "must not be NaN"),
        (f64::INFINITY, "must be finite"),
        (f64::NEG_INFINITY, "must be finite"),
        (0.999, "must be at least 1.0"),
        (0.0, "must be at least 1.0"),
        (-2.0, "must be at least 1.0"),
    ];
    for (factor, reason) in cases {
        for builder in [Backoff::exponential(), Backoff::fixed(), Backoff::linear()] {
            let err = builder.factor(factor).build().unwrap_err();
            assert_eq!(err, ConfigError::new("factor", reason), "factor {factor}");
        }
    }
    assert!(Backoff::exponential().factor(1.0).build().is_ok());
    assert!(Backoff::exponential().factor(1e300).build().is_ok());
}

#[test]
fn build_refuses_base_above_max() {
    let err = Backoff::exponential().base(secs(11)).build().unwrap_err();
    assert_eq!(err.key(), "base");
    assert_eq!(
        err.to_string(),
        "invalid `base`: must not exceed `max` (10s unless set)"
    );
    let err = Backoff::fixed()
        .base(ms(501))
        .max(ms(500))
        .build()
        .unwrap_err();
    assert_eq!(err.key(), "base");
    // Equal is fine, and so is zero everywhere.
    assert!(Backoff::fixed().base(ms(500)).max(ms(500)).build().is_ok());
    assert!(
        Backoff::fixed()
            .base(Duration::ZERO)
            .max(Duration::ZERO)
            .build()
            .is_ok()
    );
}

#[test]
fn builds_in_const_context() {
    const B: Backoff = ConfigError::unwrap_const(
        Backoff::linear()
            .base(ms(250))
            .max(secs(1))
            .jitter(Jitter::Equal)
            .build(),
    );
    const BAD: Result<Backoff, ConfigError> = Backoff::exponential().factor(f64::NAN).build();
    assert_eq!(B.delay(3), ms(750));
    assert_eq!(B.delay(5), secs(1));
    assert_eq!(BAD.unwrap_err().key(), "factor");
}

// ===== nominal schedules =====

#[test]
fn exponential_doubles_from_base_and_caps_at_max() {
    let b = nominal(Backoff::exponential());
    let got: Vec<_> = (0..=7).map(|n| b.delay(n)).collect();
    assert_eq!(got, [0, 1, 2, 4, 8, 10, 10, 10].map(secs));
}

#[test]
fn exponential_with_fractional_base_and_factor_is_exact_to_the_nanosecond() {
    let b = nominal(
        Backoff::exponential()
            .base(ms(100))
            .factor(1.5)
            .max(secs(60)),
    );
    assert_eq!(b.delay(1), ms(100));
    assert_eq!(b.delay(2), ms(150));
    assert_eq!(b.delay(3), ms(225));
    assert_eq!(b.delay(4), Duration::from_micros(337_500));
    let b = nominal(Backoff::exponential().base(ms(100)).factor(3.0));
    assert_eq!(b.delay(3), ms(900));
}

#[test]
fn fixed_is_always_base() {
    let b = nominal(Backoff::fixed().base(ms(300)));
    for n in [1, 2, 17, u32::MAX] {
        assert_eq!(b.delay(n), ms(300));
    }
    assert_eq!(b.delay(0), Duration::ZERO);
}

#[test]
fn linear_grows_by_base_and_caps_at_max() {
    let b = nominal(Backoff::linear().base(ms(1500)));
    let got: Vec<_> = (1..=8).map(|n| b.delay(n)).collect();
    let want = [1500, 3000, 4500, 6000, 7500, 9000, 10_000, 10_000].map(ms);
    assert_eq!(got, want);
}

#[test]
fn factor_one_makes_exponential_constant() {
    let b = nominal(Backoff::exponential().factor(1.0).base(ms(40)));
    assert_eq!(b.delay(1), ms(40));
    assert_eq!(b.delay(u32::MAX), ms(40));
}

#[test]
fn never_overflows_or_panics_at_the_extremes() {
    let huge = [
        Backoff::exponential().factor(1e300),
        Backoff::exponential().factor(1.000_000_1),
        Backoff::exponential()
            .base(Duration::from_nanos(1))
            .factor(2.0),
        Backoff::exponential()
            .base(Duration::MAX)
            .max(Duration::MAX)
            .factor(1e300),
        Backoff::exponential()
            .base(secs(1))
            .max(Duration::MAX)
            .factor(1e300),
        Backoff::linear().base(Duration::MAX).max(Duration::MAX),
        Backoff::linear()
            .base(secs(u64::MAX / 2))
            .max(Duration::MAX),
        Backoff::fixed().base(Duration::MAX).max(Duration::MAX),
        Backoff::exponential().base(Duration::ZERO).factor(1e300),
    ];
    for builder in huge {
        for jitter in [
            Jitter::None,
            Jitter::Full,
            Jitter::Equal,
            Jitter::Decorrelated,
        ] {
            let b = builder.jitter(jitter).build().unwrap();
            for n in [
                0,
                1,
                2,
                3,
                63,
                64,
                65,
                1075,
                i32::MAX as u32,
                i32::MAX as u32 + 1,
                u32::MAX,
            ] {
                assert!(b.delay(n) <= b.max(), "{b:?} n={n}");
            }
            assert!(b.delay(1) == b.base().min(b.max()));
            for delay in b.iter_seeded(3).take(200) {
                assert!(delay <= b.max(), "{b:?}");
            }
        }
    }
    let b = nominal(
        Backoff::exponential()
            .base(secs(1))
            .max(Duration::MAX)
            .factor(1e300),
    );
    assert_eq!(b.delay(2), Duration::MAX);
    assert_eq!(b.delay(u32::MAX), Duration::MAX);
    let b = nominal(Backoff::exponential().factor(1e300));
    assert_eq!(b.delay(2), secs(10));
    assert_eq!(b.delay(u32::MAX), secs(10));
    let b = nominal(Backoff::exponential().base(Duration::ZERO).factor(1e300));
    assert_eq!(b.delay(u32::MAX), Duration::ZERO);
    let b = nominal(
        Backoff::linear()
            .base(secs(u64::MAX / 2))
            .max(Duration::MAX),
    );
    assert_eq!(b.delay(3), Duration::MAX);
}

// ===== jitter =====

const SEEDS: std::ops::Range<u64> = 0..200;

#[test]
fn no_jitter_iterates_the_nominal_schedule() {
    let b = nominal(Backoff::exponential().base(ms(10)).max(secs(1)));
    let got: Vec<_> = b.iter().take(9).collect();
    let want: Vec<_> = (1..=9).map(|n| b.delay(n)).collect();
    assert_eq!(got, want);
    assert_eq!(
        b.iter().take(9).collect::<Vec<_>>(),
        b.iter_seeded(1).take(9).collect::<Vec<_>>()
    );
}

#[test]
fn full_jitter_stays_in_zero_to_nominal() {
    let b = Backoff::exponential().jitter(Jitter::Full).build().unwrap();
    let mut below_half = 0;
    for seed in SEEDS {
        for (n, delay) in (1..=12).zip(b.iter_seeded(seed)) {
            assert!(delay <= b.delay(n), "seed {seed} n {n}: {delay:?}");
            if delay < b.delay(n) / 2 {
                below_half += 1;
            }
        }
    }
    // Uniform: about half of the 2400 draws fall in the lower half.
    assert!((1000..1400).contains(&below_half), "{below_half}");
}

#[test]
fn equal_jitter_stays_in_half_to_nominal() {
    let b = Backoff::linear()
        .base(ms(700))
        .jitter(Jitter::Equal)
        .build()
        .unwrap();
    let mut distinct = std::collections::BTreeSet::new();
    for seed in SEEDS {
        for (n, delay) in (1..=20).zip(b.iter_seeded(seed)) {
            let d = b.delay(n);
            assert!(delay >= d / 2 && delay <= d, "seed {seed} n {n}: {delay:?}");
            distinct.insert(delay);
        }
    }
    assert!(distinct.len() > 3000, "{}", distinct.len());
}

#[test]
fn decorrelated_jitter_stays_between_base_and_three_times_previous() {
    let b = Backoff::exponential()
        .base(ms(100))
        .max(secs(5))
        .jitter(Jitter::Decorrelated)
        .build()
        .unwrap();
    let mut hit_max = false;
    for seed in SEEDS {
        let mut prev = b.base();
        for delay in b.iter_seeded(seed).take(30) {
            assert!(delay >= b.base(), "seed {seed}: {delay:?}");
            assert!(
                delay <= (prev * 3).min(b.max()),
                "seed {seed}: {delay:?} after {prev:?}"
            );
            hit_max |= delay == b.max();
            prev = delay;
        }
    }
    assert!(hit_max, "the cap is reachable");
}

#[test]
fn zero_base_decorrelated_is_always_zero() {
    let b = Backoff::fixed()
        .base(Duration::ZERO)
        .jitter(Jitter::Decorrelated)
        .build()
        .unwrap();
    assert!(b.iter_seeded(9).take(50).all(|d| d.is_zero()));
}

#[test]
fn seeded_schedules_are_reproducible() {
    for jitter in [Jitter::Full, Jitter::Equal, Jitter::Decorrelated] {
        let b = Backoff::exponential().jitter(jitter).build().unwrap();
        let a: Vec<_> = b.iter_seeded(42).take(50).collect();
        assert_eq!(a, b.iter_seeded(42).take(50).collect::<Vec<_>>());
        assert_ne!(
            a,
            b.iter_seeded(43).take(50).collect::<Vec<_>>(),
            "{jitter:?}"
        );
        // A cloned iterator continues identically.
        let mut it = b.iter_seeded(42);
        it.nth(9);
        assert_eq!(it.clone().take(5).collect::<Vec<_>>(), a[10..15]);
    }
}

#[test]
fn seeded_schedules_are_pinned_across_platforms_and_versions() {
    // SplitMix64 from the seed, computed independently; changing these breaks users' seeds.
    let expect = |jitter, nanos: [u64; 5]| {
        let b = Backoff::exponential().jitter(jitter).build().unwrap();
        let got: Vec<_> = b.iter_seeded(42).take(5).collect();
        assert_eq!(got, nanos.map(Duration::from_nanos), "{jitter:?}");
    };
    expect(
        Jitter::Full,
        [
            741_564_879,
            319_820_785,
            1_114_404_521,
            2_753_525_732,
            380_301_685,
        ],
    );
    expect(
        Jitter::Equal,
        [
            870_782_440,
            1_159_910_393,
            2_557_202_260,
            5_376_762_866,
            5_190_150_842,
        ],
    );
    expect(
        Jitter::Decorrelated,
        [
            2_483_129_758,
            2_031_324_372,
            2_419_186_667,
            3_153_794_060,
            1_321_787_790,
        ],
    );
}

#[test]
fn unseeded_schedules_differ_between_iterators() {
    let b = Backoff::exponential().max(secs(1000)).build().unwrap();
    let a: Vec<_> = b.iter().take(8).collect();
    let c: Vec<_> = b.iter().take(8).collect();
    assert_ne!(a, c);
    for (n, delay) in (1..).zip(&a) {
        assert!(*delay <= b.delay(n));
    }
}

#[test]
fn delays_is_infinite_and_exposes_its_backoff() {
    let b = Backoff::fixed().build().unwrap();
    let it = b.iter();
    assert_eq!(it.size_hint(), (usize::MAX, None));
    assert_eq!(*it.backoff(), b);
    assert_eq!((&b).into_iter().take(1000).count(), 1000);
}
