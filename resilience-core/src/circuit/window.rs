//! The rate modes' memory of recent calls: the last `N` calls, or the calls of the last
//! stretch of time, each as "failed or not, slow or not".
//!
//! Both are sixteen buckets that slide one slice at a time. A slice is a run of calls
//! (`N / 16` of them, rounded up) or a stretch of time (`window / 16`); a call adds to
//! its slice's bucket, and the first call of a new slice finds an older slice's number
//! in the bucket and starts it afresh, in the same compare-and-swap. Reading sums the
//! buckets of the last slices (sixteen, or fewer for a count window of fewer than
//! sixteen calls) that are not older than the breaker's last close. So:
//!
//! - a count window of `N` holds between `N - N/16` and `N` calls (exactly the last `N`
//!   when `N <= 16`), a time window between fifteen and sixteen sixteenths of its span;
//! - it is lock-free and allocation-free: part of the breaker itself, so a breaker
//!   stays a plain `const` value with nothing to drop;
//! - a call whose slice is already over when it records (it stalled for a whole
//!   window) is dropped rather than counted in a newer slice.
//!
//! ```text
//!  calls:  63       41  40       39    20 19    0      slow:  63      41  40        19    0
//!         | slice 23 | written | failures | calls |           | slice   | written |  slow  |
//! ```
//!
//! A count window's slices hold `N / 16` calls each by definition, so it counts its
//! calls with its cursor (the positions taken) and uses the buckets for failures and
//! slow calls only: a success takes a position and writes nothing else.
//!
//! Counts saturate at about a million per slice. Slice numbers are kept to 23 bits: in a
//! time window, a bucket that no call touched for 2^23 slices while others were used
//! could be taken for a current one (at a 1 s window's 62.5 ms slices, six days of
//! traffic that never falls in that sixteenth of the window). A count window touches
//! its buckets in turn, so it cannot.

use std::time::Duration;

use crate::sync::AtomicU64;
use crate::sync::Ordering::{AcqRel, Relaxed};

/// How a breaker's window is measured: the last `N` calls, or the calls of the last
/// stretch of time; either slides in sixteen steps (see
/// [`CircuitBreakerBuilder::window`](super::CircuitBreakerBuilder::window)).
///
/// ```
/// use std::time::Duration;
/// use resilience_core::circuit::{CircuitBreaker, Window};
///
/// let by_count = CircuitBreaker::builder().failure_rate(0.5).window(Window::Calls(100)).build()?;
/// let by_time = CircuitBreaker::builder()
///     .failure_rate(0.5)
///     .window(Window::Time(Duration::from_secs(30)))
///     .build()?;
/// assert_eq!(by_count.window(), Some(Window::Calls(100)));
/// # let _ = by_time;
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Window {
    /// The last this many calls (1 to 1 000 000).
    Calls(u32),
    /// The calls that ended within this long before now (at least 16 ns).
    Time(Duration),
}

/// The largest count window.
pub(crate) const MAX_WINDOW_CALLS: u32 = 1_000_000;
/// Buckets of a window.
pub(crate) const SLICES: u64 = 16;

/// A window's slicing, fixed when the breaker is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slicing {
    /// Calls per slice, or nanoseconds per slice.
    pub(crate) length: u64,
    /// Slices summed: 16, or `N` for a count window of `N < 16` calls.
    pub(crate) count: u64,
    /// Whether slices are stretches of time (else runs of calls).
    pub(crate) timed: bool,
}

impl Slicing {
    pub(crate) const fn of(window: Window) -> Slicing {
        match window {
            Window::Calls(n) => {
                let n = n as u64;
                let length = n.div_ceil(SLICES);
                Slicing {
                    length,
                    count: n.div_ceil(length),
                    timed: false,
                }
            }
            Window::Time(span) => Slicing {
                length: super::clock::saturating_nanos(span) / SLICES,
                count: SLICES,
                timed: true,
            },
        }
    }
}

/// What a window says about the calls it holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) calls: u32,
    pub(crate) failures: u32,
    pub(crate) slow: u32,
}

/// One call, as a window keeps it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Record {
    pub(crate) failure: bool,
    pub(crate) slow: bool,
}

const COUNT_BITS: u32 = 20;
const COUNT_MASK: u64 = (1 << COUNT_BITS) - 1;
/// Set in every bucket word ever written, so that slice 0 with nothing counted is not
/// taken for "never used" (zero).
const WRITTEN: u64 = 1 << (2 * COUNT_BITS);
const TAG_SHIFT: u32 = 2 * COUNT_BITS + 1;
const TAG_MASK: u64 = (1 << (64 - TAG_SHIFT)) - 1;

/// The window's state (its slicing lives in the breaker's settings).
#[derive(Debug)]
pub(crate) struct Recent {
    /// Calls recorded: the clock of a count window.
    cursor: AtomicU64,
    /// The first slice of the current closed period.
    start: AtomicU64,
    /// A count window's position at the start of the current closed period.
    start_call: AtomicU64,
    /// Per slice: `[slice | written | failures | calls]`.
    calls: [AtomicU64; SLICES as usize],
    /// Per slice: `[slice | written | 0 | slow]`.
    slow: [AtomicU64; SLICES as usize],
}

impl Recent {
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        Recent {
            cursor: AtomicU64::new(0),
            start: AtomicU64::new(0),
            start_call: AtomicU64::new(0),
            calls: [const { AtomicU64::new(0) }; SLICES as usize],
            slow: [const { AtomicU64::new(0) }; SLICES as usize],
        }
    }

    /// The same, for loom's atomics, which have no `const fn new`.
    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        Recent {
            cursor: AtomicU64::new(0),
            start: AtomicU64::new(0),
            start_call: AtomicU64::new(0),
            calls: core::array::from_fn(|_| AtomicU64::new(0)),
            slow: core::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// Adds one call that ended at `now` (the clock, read only for a time window), and
    /// returns the window's tally after it when `want` (summing reads the buckets, so
    /// only when a judgement is due). `slow_judged`: whether slow calls are counted.
    ///
    /// A count window's slices hold `length` calls each by definition, so it counts
    /// calls with its cursor alone: a call that is neither a failure nor slow takes a
    /// position and writes nothing else.
    #[inline]
    pub(crate) fn record(
        &self,
        slicing: Slicing,
        now: u64,
        record: Record,
        want: bool,
        slow_judged: bool,
    ) -> Tally {
        let slice = if slicing.timed {
            now / slicing.length.max(1)
        } else {
            self.cursor.fetch_add(1, Relaxed) / slicing.length
        };
        let at = (slice % SLICES) as usize;
        if slicing.timed || record.failure {
            bump(
                &self.calls[at],
                slice,
                1 | u64::from(record.failure) << COUNT_BITS,
            );
        }
        if record.slow {
            bump(&self.slow[at], slice, 1);
        }
        if !want {
            return Tally::default();
        }
        // Two calls that record in different buckets and then sum must not both miss
        // the other's record: each passes through one read-modify-write of the same
        // word after its record, so the second of them acquires the first's record and
        // judges with both.
        self.start.fetch_add(0, AcqRel);
        if slicing.timed {
            self.sum(slicing, slice, slow_judged)
        } else {
            // Up to the newest position: a call that took its position before another
            // may sum after it.
            self.sum_calls(slicing, self.cursor.load(Relaxed), slow_judged)
        }
    }

    /// A count window's success that is not slow: one more position, nothing else.
    #[inline]
    pub(crate) fn take_position(&self) {
        self.cursor.fetch_add(1, Relaxed);
    }

    /// The calls the window holds as of `now`.
    pub(crate) fn tally(&self, slicing: Slicing, now: u64) -> Tally {
        if slicing.timed {
            self.sum(slicing, now / slicing.length.max(1), true)
        } else {
            self.sum_calls(slicing, self.cursor.load(Relaxed), true)
        }
    }

    /// A time window: the last `slicing.count` slices up to `newest`, from the period's
    /// start on.
    fn sum(&self, slicing: Slicing, newest: u64, slow_judged: bool) -> Tally {
        let start = self.start.load(Relaxed);
        let oldest = newest.saturating_sub(slicing.count - 1).max(start);
        let mut tally = Tally::default();
        for slice in oldest..=newest {
            let at = (slice % SLICES) as usize;
            let calls = self.calls[at].load(Relaxed);
            if holds(calls, slice) {
                tally.calls += (calls & COUNT_MASK) as u32;
                tally.failures += ((calls >> COUNT_BITS) & COUNT_MASK) as u32;
            }
            if slow_judged {
                let slow = self.slow[at].load(Relaxed);
                if holds(slow, slice) {
                    tally.slow += (slow & COUNT_MASK) as u32;
                }
            }
        }
        tally
    }

    /// A count window after `taken` positions: its calls from the cursor, its failures
    /// and slow calls from the buckets of its slices.
    fn sum_calls(&self, slicing: Slicing, taken: u64, slow_judged: bool) -> Tally {
        if taken == 0 {
            return Tally::default();
        }
        let newest = (taken - 1) / slicing.length;
        let oldest = newest
            .saturating_sub(slicing.count - 1)
            .max(self.start.load(Relaxed));
        let first_call = (oldest * slicing.length).max(self.start_call.load(Relaxed));
        let mut tally = Tally {
            calls: taken.saturating_sub(first_call) as u32,
            ..Tally::default()
        };
        for slice in oldest..=newest {
            let at = (slice % SLICES) as usize;
            let calls = self.calls[at].load(Relaxed);
            if holds(calls, slice) {
                tally.failures += ((calls >> COUNT_BITS) & COUNT_MASK) as u32;
            }
            if slow_judged {
                let slow = self.slow[at].load(Relaxed);
                if holds(slow, slice) {
                    tally.slow += (slow & COUNT_MASK) as u32;
                }
            }
        }
        tally
    }

    /// A new closed period starts at `now`: forget every call recorded before.
    pub(crate) fn restart(&self, slicing: Slicing, now: u64) {
        let slice = if slicing.timed {
            now / slicing.length.max(1)
        } else {
            let taken = self.cursor.load(Relaxed);
            self.start_call.fetch_max(taken, Relaxed);
            taken / slicing.length
        };
        self.start.fetch_max(slice, Relaxed);
        // This slice's buckets may hold calls of the period that just ended.
        let at = (slice % SLICES) as usize;
        for bucket in [&self.calls[at], &self.slow[at]] {
            let _ = bucket.fetch_update(Relaxed, Relaxed, |word| {
                holds(word, slice).then_some(empty(slice))
            });
        }
    }
}

/// A bucket word for `slice` with nothing counted.
#[inline]
fn empty(slice: u64) -> u64 {
    (slice & TAG_MASK) << TAG_SHIFT | WRITTEN
}

/// Whether a bucket word holds `slice` (its tag and the written bit, in one compare).
#[inline]
fn holds(word: u64, slice: u64) -> bool {
    word >> (TAG_SHIFT - 1) == empty(slice) >> (TAG_SHIFT - 1)
}

/// Adds `added` to the bucket for `slice`, starting it afresh if it holds an older
/// slice, leaving it alone if it holds a newer one.
#[inline]
fn bump(bucket: &AtomicU64, slice: u64, added: u64) {
    // Each bucket is a counter of its own: `Relaxed` is enough for exact counts.
    let mut word = bucket.load(Relaxed);
    loop {
        let next = if holds(word, slice) {
            let full =
                word & COUNT_MASK == COUNT_MASK || (word >> COUNT_BITS) & COUNT_MASK == COUNT_MASK;
            if full {
                saturating_add(word, added)
            } else {
                word + added
            }
        } else if word == 0
            || ((slice & TAG_MASK).wrapping_sub(word >> TAG_SHIFT) & TAG_MASK) < TAG_MASK / 2
        {
            empty(slice) + added
        } else {
            return;
        };
        match bucket.compare_exchange_weak(word, next, Relaxed, Relaxed) {
            Ok(_) => return,
            Err(actual) => word = actual,
        }
    }
}

/// Adds each 20-bit count of `added` to `word`'s, stopping at the largest count.
#[cold]
fn saturating_add(word: u64, added: u64) -> u64 {
    let mut out = word;
    for at in [0, COUNT_BITS] {
        let have = (word >> at) & COUNT_MASK;
        let more = (added >> at) & COUNT_MASK;
        let sum = (have + more).min(COUNT_MASK);
        out = (out & !(COUNT_MASK << at)) | sum << at;
    }
    out
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    const FAIL: Record = Record {
        failure: true,
        slow: false,
    };
    const OK: Record = Record {
        failure: false,
        slow: false,
    };
    const SLOW_OK: Record = Record {
        failure: false,
        slow: true,
    };

    fn tally(calls: u32, failures: u32, slow: u32) -> Tally {
        Tally {
            calls,
            failures,
            slow,
        }
    }

    #[test]
    fn a_small_count_window_keeps_exactly_the_last_n_calls() {
        let slicing = Slicing::of(Window::Calls(3));
        assert_eq!((slicing.length, slicing.count), (1, 3));
        let recent = Recent::new();
        assert_eq!(recent.record(slicing, 0, FAIL, true, true), tally(1, 1, 0));
        recent.record(slicing, 0, FAIL, false, true);
        recent.record(slicing, 0, SLOW_OK, false, true);
        // Pushes out the first failure.
        assert_eq!(recent.record(slicing, 0, OK, true, true), tally(3, 1, 1));
        assert_eq!(recent.tally(slicing, 0), tally(3, 1, 1));
    }

    #[test]
    fn a_large_count_window_slides_by_sixteenths() {
        // 100 calls: slices of 7, 15 of them (98 to 105 calls).
        let slicing = Slicing::of(Window::Calls(100));
        assert_eq!((slicing.length, slicing.count), (7, 15));
        let recent = Recent::new();
        for _ in 0..105 {
            recent.record(slicing, 0, FAIL, false, true);
        }
        assert_eq!(recent.tally(slicing, 0).calls, 105);
        // The 106th call starts slice 15, which pushes out slice 0 (7 calls).
        assert_eq!(recent.record(slicing, 0, OK, true, true), tally(99, 98, 0));
    }

    #[test]
    fn time_buckets_slide_one_slice_at_a_time() {
        // 16 slices of 10 ns.
        let slicing = Slicing::of(Window::Time(Duration::from_nanos(160)));
        let recent = Recent::new();
        recent.record(slicing, 1_000, FAIL, false, true);
        recent.record(slicing, 1_005, OK, false, true);
        recent.record(slicing, 1_010, SLOW_OK, false, true);
        assert_eq!(recent.tally(slicing, 1_010), tally(3, 1, 1));
        // 1_000's slice is the 100th; at 1_160 (the 116th) it is out of the window.
        assert_eq!(recent.tally(slicing, 1_159).calls, 3);
        assert_eq!(recent.tally(slicing, 1_160).calls, 1);
        assert_eq!(recent.tally(slicing, 1_170).calls, 0);
        // The same bucket, a whole window later, starts afresh.
        recent.record(slicing, 1_160, OK, false, true);
        assert_eq!(recent.tally(slicing, 1_165), tally(2, 0, 1));
    }

    #[test]
    fn a_restart_forgets_earlier_slices_and_its_own() {
        let slicing = Slicing::of(Window::Time(Duration::from_nanos(160)));
        let recent = Recent::new();
        recent.record(slicing, 1_000, FAIL, false, true);
        recent.record(slicing, 1_020, FAIL, false, true);
        recent.restart(slicing, 1_025);
        assert_eq!(recent.tally(slicing, 1_025), Tally::default());
        recent.record(slicing, 1_026, OK, false, true);
        assert_eq!(recent.tally(slicing, 1_030).calls, 1);

        let slicing = Slicing::of(Window::Calls(32));
        let recent = Recent::new();
        for _ in 0..5 {
            recent.record(slicing, 0, FAIL, false, true);
        }
        recent.restart(slicing, 0);
        assert_eq!(recent.record(slicing, 0, OK, true, true), tally(1, 0, 0));
    }

    #[test]
    fn a_call_from_a_slice_already_over_is_dropped() {
        let slicing = Slicing::of(Window::Time(Duration::from_nanos(160)));
        let recent = Recent::new();
        recent.record(slicing, 1_160, OK, false, true);
        recent.record(slicing, 1_000, FAIL, false, true); // same bucket, a window earlier
        assert_eq!(recent.tally(slicing, 1_160), tally(1, 0, 0));
    }

    #[test]
    fn counts_saturate() {
        let word = empty(3) | COUNT_MASK;
        assert_eq!(saturating_add(word, 1) & COUNT_MASK, COUNT_MASK);
    }
}
