//! Instants as plain `u64` nanoseconds, so they fit in an atomic.
//!
//! The open-until deadline is shared between threads, so it lives in an `AtomicU64` of
//! nanoseconds on a process-wide scale: a [`tokio::time::Instant`] captured once (the
//! epoch) sits at [`BIAS`], 2^62 ns (about 146 years) up the scale. Time comes from
//! tokio's clock so that tests on a paused clock are exact.
//!
//! Why the bias: every tokio runtime with a paused clock starts its virtual time at the
//! real time it was built and then only moves when told to, so in a test binary one
//! runtime's "now" can be earlier than an epoch captured by another runtime. Those
//! instants land below `BIAS` instead of all saturating to the same zero, so every
//! runtime keeps exact, distinct instants. Instants more than 146 years away saturate.
//!
//! Under `cfg(loom)` the clock is `circuit::loom_clock` instead: a model-checked
//! test sets and advances it by hand, so every execution loom explores sees the same
//! instants, and reading it is not a scheduling point.

#[cfg(not(loom))]
use std::sync::OnceLock;
use std::time::Duration;

#[cfg(not(loom))]
use tokio::time::Instant;

/// Where the epoch sits on the nanosecond scale.
pub(crate) const BIAS: u64 = 1 << 62;

#[cfg(not(loom))]
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Tokio's current instant on the nanosecond scale.
#[cfg(not(loom))]
pub(crate) fn now_nanos() -> u64 {
    nanos_at(Instant::now(), epoch())
}

/// The hand-driven clock of the `cfg(loom)` build, on the same scale.
#[cfg(loom)]
pub(crate) fn now_nanos() -> u64 {
    super::loom_clock::now_nanos()
}

/// `instant` on the scale where `epoch` is [`BIAS`], saturating at both ends.
///
/// One subtraction in the usual case (`instant` at or after the epoch); the other
/// direction only when that one fails.
#[cfg(not(loom))]
#[inline]
fn nanos_at(instant: Instant, epoch: Instant) -> u64 {
    match instant.checked_duration_since(epoch) {
        Some(after) => BIAS.saturating_add(saturating_nanos(after)),
        None => BIAS.saturating_sub(saturating_nanos(epoch.saturating_duration_since(instant))),
    }
}

/// A duration in whole nanoseconds, `u64::MAX` (about 584 years) when it does not fit.
pub(crate) const fn saturating_nanos(d: Duration) -> u64 {
    let nanos = d.as_nanos();
    if nanos > u64::MAX as u128 {
        u64::MAX
    } else {
        nanos as u64
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn durations_saturate_instead_of_wrapping() {
        assert_eq!(saturating_nanos(Duration::from_nanos(7)), 7);
        assert_eq!(saturating_nanos(Duration::MAX), u64::MAX);
        assert_eq!(saturating_nanos(Duration::from_nanos(u64::MAX)), u64::MAX);
    }

    #[test]
    fn instants_before_the_epoch_stay_exact() {
        let epoch = Instant::now() + Duration::from_secs(60);
        let earlier = epoch - Duration::from_secs(45);
        let later = epoch + Duration::from_nanos(3);
        assert_eq!(nanos_at(epoch, epoch), BIAS);
        assert_eq!(nanos_at(later, epoch), BIAS + 3);
        assert_eq!(nanos_at(earlier, epoch), BIAS - 45_000_000_000);
        let deadline = nanos_at(earlier, epoch) + 30_000_000_000;
        assert_eq!(deadline, nanos_at(earlier + Duration::from_secs(30), epoch));
    }
}
