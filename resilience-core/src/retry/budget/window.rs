//! The budget's counters: a sliding window of time buckets, lock-free.
//!
//! Time is counted in *ticks* (a tenth of the window each), numbered from the budget's
//! first use. Each of the [`BUCKETS`] slots of `deposits` and `spent` holds one tick's
//! count and the low 32 bits of that tick (its *tag*), in one `u64`, so adding to a
//! tick and reclaiming a slot whose tick left the window are one compare-and-swap. Tags
//! and the pending stamp wrap after 2^32 ticks: 136 years of the default 1 s ticks, 50
//! days of the shortest window's 1 ms ticks; a budget left untouched that long could
//! read one stale slot as current, or spread its waiting deposits over too short a time.
//!
//! # Deposits without a clock
//!
//! A deposit (one first attempt, on every call's success path) is a single
//! `fetch_add` on `pending`, with no clock read: `pending` counts the deposits made
//! since the tick in its low 32 bits (its *stamp*). Whoever next reads the clock
//! (a withdrawal, a status read) *places* them: they arrived at some time between
//! the stamp and now, so they are spread evenly over those ticks, the remainder on the
//! earliest, and the ones that land before the window are dropped. Count and stamp
//! share one word, so a placing takes exactly the deposits counted since the stamp it
//! read. While calls fail, every failure reads the clock, so deposits are placed within
//! a tick of when they happened; after a quiet spell they are spread over it, so an
//! hour of steady traffic leaves ten seconds' worth in a ten-second window, not all of
//! it. Placement never counts a deposit twice, and never moves one later than "now":
//! the total of what is placed is at most the number of deposits.
//!
//! # Withdrawals never overdraw
//!
//! A withdrawal adds its cost to the current tick's slot first, then sums the window
//! (after a `SeqCst` fence) and takes the cost back if the sum is over budget. Two
//! racing withdrawals therefore cannot both miss each other: at least one sees the
//! other's cost, so together they never take more than the budget holds (at the very
//! margin both may refuse, where one after the other would have admitted one). Slots
//! tagged with a tick *after* the reader's (a thread that read the clock later) count
//! too, for the same reason.

use crate::sync::{AtomicU64, Ordering};

/// Slots in the window: each covers a tenth of it.
pub(crate) const BUCKETS: usize = 10;
const WIDTH: u64 = BUCKETS as u64;

/// `pending`: no deposit has been placed yet and no stamp is set.
const UNSTARTED: u64 = 1 << 63;
/// `pending`: one deposit.
const ONE: u64 = 1 << 32;
/// `pending`: at or above this, a deposit takes the cold path (not started yet, or a
/// billion deposits waiting: placed long before the count could overflow).
const COLD: u64 = 1 << 62;
/// `pending`'s count (bits 32..63).
const COUNT: u64 = (1 << 31) - 1;

/// The lock-free counters of one budget (see the module docs).
#[derive(Debug)]
pub(crate) struct Window {
    pending: AtomicU64,
    deposits: [AtomicU64; BUCKETS],
    /// Withdrawn cost per tick, in thousandths of a retry.
    spent: [AtomicU64; BUCKETS],
}

/// The first attempts and the withdrawn cost (thousandths of a retry) in the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sums {
    pub(crate) deposits: u64,
    pub(crate) spent: u64,
}

impl Window {
    /// An empty window.
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        Window {
            pending: AtomicU64::new(UNSTARTED),
            deposits: [const { AtomicU64::new(0) }; BUCKETS],
            spent: [const { AtomicU64::new(0) }; BUCKETS],
        }
    }

    /// The same, for loom's atomics, which have no `const fn new` (see `sync`).
    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        Window {
            pending: AtomicU64::new(UNSTARTED),
            deposits: core::array::from_fn(|_| AtomicU64::new(0)),
            spent: core::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// One deposit. `true`: the caller must call [`start`](Self::start) with the
    /// current tick (the first deposit ever, or a billion waiting to be placed).
    #[inline(always)]
    pub(crate) fn deposit(&self) -> bool {
        self.pending.fetch_add(ONE, Ordering::Relaxed) >= COLD
    }

    /// After a [`deposit`](Self::deposit) that returned `true`: stamps the first
    /// deposits with `tick`, or places the waiting ones.
    #[cold]
    #[inline(never)]
    pub(crate) fn start(&self, tick: u64) {
        let mut word = self.pending.load(Ordering::Relaxed);
        loop {
            if word & UNSTARTED == 0 {
                if word >= COLD {
                    self.settle(tick);
                }
                return;
            }
            // Keep the count, set the stamp.
            let started = (word & (COUNT << 32)) | u64::from(tick as u32);
            match self.pending.compare_exchange_weak(
                word,
                started,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(found) => word = found,
            }
        }
    }

    /// Places the deposits counted since the stamp, spread over the ticks from the
    /// stamp to `tick`, and stamps `tick`.
    pub(crate) fn settle(&self, tick: u64) {
        let tag = tick as u32;
        let mut word = self.pending.load(Ordering::Relaxed);
        let (count, since) = loop {
            let count = (word >> 32) & COUNT;
            let (since, stamp) = if word & UNSTARTED != 0 {
                (tick, tag)
            } else {
                let stamp = word as u32;
                if newer(stamp, tag) {
                    // A thread that read the clock later placed since: keep its stamp.
                    (tick, stamp)
                } else {
                    (tick - u64::from(tag.wrapping_sub(stamp)).min(tick), tag)
                }
            };
            let placed = u64::from(stamp);
            if word == placed {
                return;
            }
            match self.pending.compare_exchange_weak(
                word,
                placed,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => break (count, since),
                Err(found) => word = found,
            }
        };
        if count != 0 {
            self.spread(count, since, tick);
        }
    }

    /// `count` deposits that arrived from tick `since` to `tick`: an even share to
    /// each tick, the remainder to the earliest; shares before the window are dropped.
    fn spread(&self, count: u64, since: u64, tick: u64) {
        let ticks = tick - since + 1;
        let (each, extra) = (count / ticks, count % ticks);
        let first = since.max((tick + 1).saturating_sub(WIDTH));
        for at in first..=tick {
            let share = each + u64::from(at - since < extra);
            if share != 0 {
                // A slot already moved past `at` means `at` left the window: drop it.
                let _ = add(&self.deposits, at, share);
            }
        }
    }

    /// Withdraws `cost` (thousandths of a retry) at `tick` if `admits` accepts the
    /// window's sums with it included; `true` if it did.
    pub(crate) fn try_withdraw(
        &self,
        mut tick: u64,
        cost: u64,
        admits: impl Fn(Sums) -> bool,
    ) -> bool {
        loop {
            self.settle(tick);
            match add(&self.spent, tick, cost) {
                Ok(()) => break,
                // This thread's clock read is a window behind another's: use theirs.
                Err(newer) => tick += u64::from(newer.wrapping_sub(tick as u32)),
            }
        }
        // Pairs with the racing withdrawal's fence: one of the two sees the other's cost.
        crate::sync::fence(Ordering::SeqCst);
        if admits(self.sums(tick)) {
            return true;
        }
        take_back(&self.spent, tick, cost);
        false
    }

    /// What the window holds at `tick`, after placing the waiting deposits.
    pub(crate) fn sums(&self, tick: u64) -> Sums {
        Sums {
            deposits: total(&self.deposits, tick),
            spent: total(&self.spent, tick),
        }
    }
}

/// Whether tag `a` is a later tick than tag `b` (modulo 2^32).
#[inline]
fn newer(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// The count of a slot word.
#[inline]
fn count_of(word: u64) -> u64 {
    word >> 32
}

/// Adds `amount` to tick `tick`'s slot, taking the slot over if it holds an older
/// tick; `Err(tag)` if it holds a later one.
fn add(slots: &[AtomicU64; BUCKETS], tick: u64, amount: u64) -> Result<(), u32> {
    let slot = &slots[(tick % WIDTH) as usize];
    let tag = tick as u32;
    let mut word = slot.load(Ordering::Relaxed);
    loop {
        let found = word as u32;
        let count = if found == tag {
            count_of(word).saturating_add(amount)
        } else if newer(found, tag) {
            return Err(found);
        } else {
            amount
        };
        let new = (count.min(u64::from(u32::MAX)) << 32) | u64::from(tag);
        match slot.compare_exchange_weak(word, new, Ordering::AcqRel, Ordering::Relaxed) {
            Ok(_) => return Ok(()),
            Err(current) => word = current,
        }
    }
}

/// Takes `amount` back from tick `tick`'s slot, unless the slot moved on (then the
/// amount left the window anyway).
fn take_back(slots: &[AtomicU64; BUCKETS], tick: u64, amount: u64) {
    let slot = &slots[(tick % WIDTH) as usize];
    let tag = tick as u32;
    let mut word = slot.load(Ordering::Relaxed);
    while word as u32 == tag {
        let new = (count_of(word).saturating_sub(amount) << 32) | u64::from(tag);
        match slot.compare_exchange_weak(word, new, Ordering::AcqRel, Ordering::Relaxed) {
            Ok(_) => return,
            Err(current) => word = current,
        }
    }
}

/// The sum of the slots whose tick is in the window ending at `tick`, or after it.
fn total(slots: &[AtomicU64; BUCKETS], tick: u64) -> u64 {
    let tag = tick as u32;
    slots
        .iter()
        .map(|slot| slot.load(Ordering::Relaxed))
        .filter(|word| {
            let age = tag.wrapping_sub(*word as u32) as i32;
            age > -(BUCKETS as i32) && age < BUCKETS as i32
        })
        .map(count_of)
        .sum()
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn deposits(window: &Window, n: u64, tick: u64) {
        for _ in 0..n {
            if window.deposit() {
                window.start(tick);
            }
        }
    }

    #[test]
    fn deposits_wait_until_a_clock_read_places_them() {
        let window = Window::new();
        deposits(&window, 3, 0);
        assert_eq!(window.sums(0).deposits, 0);
        window.settle(0);
        assert_eq!(
            window.sums(0),
            Sums {
                deposits: 3,
                spent: 0
            }
        );
    }

    #[test]
    fn deposits_are_spread_over_the_ticks_since_the_last_placing() {
        let window = Window::new();
        deposits(&window, 1, 0);
        window.settle(0);
        // 23 deposits between tick 0 and tick 4: 5 ticks, 4 each, the 3 left over on
        // ticks 0, 1 and 2.
        deposits(&window, 23, 0);
        window.settle(4);
        assert_eq!(window.sums(4).deposits, 24);
        // Tick 10's window starts at tick 1: tick 0's 1 + 5 left.
        assert_eq!(window.sums(10).deposits, 24 - 6);
    }

    #[test]
    fn a_long_quiet_spell_leaves_one_window_of_its_deposits() {
        let window = Window::new();
        deposits(&window, 1, 0);
        window.settle(0);
        // 1000 deposits spread over ticks 0..=100: 9 each, the 91 left over on ticks
        // 0..=90. Only ticks 91..=100 are in the window: 90 of the 1000.
        deposits(&window, 1000, 0);
        window.settle(100);
        assert_eq!(window.sums(100).deposits, 90);
    }

    #[test]
    fn withdrawals_stop_at_what_admits_accepts_and_leave_no_trace() {
        let window = Window::new();
        let at_most_three = |sums: Sums| sums.spent <= 3000;
        for _ in 0..3 {
            assert!(window.try_withdraw(5, 1000, at_most_three));
        }
        assert!(!window.try_withdraw(5, 1000, at_most_three));
        assert_eq!(window.sums(5).spent, 3000);
        // Ten ticks later they have left the window.
        assert_eq!(window.sums(15).spent, 0);
        assert!(window.try_withdraw(15, 1000, at_most_three));
    }

    #[test]
    fn a_stale_clock_read_counts_at_the_later_tick() {
        let window = Window::new();
        assert!(window.try_withdraw(12, 1000, |_| true));
        // Tick 2 shares tick 12's slot: the withdrawal is recorded at tick 12.
        assert!(window.try_withdraw(2, 1000, |_| true));
        assert_eq!(window.sums(12).spent, 2000);
    }
}
