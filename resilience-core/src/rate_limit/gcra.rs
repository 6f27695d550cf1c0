//! The GCRA arithmetic of one limit, on plain nanosecond instants: no atomics, no clock.
//!
//! GCRA (the generic cell rate algorithm, what governor and redis-cell run) is a token
//! bucket kept as one number, the *theoretical arrival time* (TAT): the instant at which
//! the bucket would be full again if nothing more were taken. Taking `n` units pushes it
//! `span(n)` later; time passing refills it. With `capacity = span(burst)`:
//!
//! - the bucket holds `burst - (TAT - now) / span(1)` units (all of them when
//!   `TAT <= now`);
//! - `n` units fit at the first instant where `max(TAT, now) + span(n) - now <= capacity`.
//!
//! These functions are the whole algorithm; [`Bucket`](super::bucket::Bucket) only says
//! where the TAT lives (one atomic word), so a store shared between processes can run the
//! same arithmetic elsewhere.

/// One limit: `amount` units per `period` nanoseconds, at most `burst` of them at once.
///
/// The spans of one unit and of the burst are worked out once here, so an admission of
/// one unit (a request) divides nothing; so are the spans of any count of units when the
/// period divides evenly (60 requests a minute: exactly a second each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rate {
    amount: u64,
    period: u64,
    burst: u64,
    /// `span(1)`.
    unit: u64,
    /// `span(burst)`.
    capacity: u64,
    /// `period` is a whole multiple of `amount`: `span(n) = n * unit`.
    even: bool,
}

impl Rate {
    /// `amount` units per `period` ns, `burst` at once; all three at least 1 and
    /// `burst <= amount` (checked by the builder).
    pub(crate) const fn new(amount: u64, period: u64, burst: u64) -> Self {
        let even = period % amount == 0;
        Rate {
            amount,
            period,
            burst,
            unit: divide(1, period, amount),
            capacity: divide(burst, period, amount),
            even,
        }
    }

    /// Units per period.
    pub(crate) const fn amount(&self) -> u64 {
        self.amount
    }

    /// Most units taken at once.
    pub(crate) const fn burst(&self) -> u64 {
        self.burst
    }

    /// How far `units` push the TAT: `units * period / amount`, rounded up (a call never
    /// takes less than its share), saturating.
    #[inline]
    pub(crate) const fn span(&self, units: u64) -> u64 {
        if units == 1 {
            self.unit
        } else if self.even {
            units.saturating_mul(self.unit)
        } else {
            divide(units, self.period, self.amount)
        }
    }

    /// How far the TAT may run ahead of now: `span(burst)`.
    #[inline]
    pub(crate) const fn capacity(&self) -> u64 {
        self.capacity
    }

    /// The first instant at or after `now` at which `units` fit.
    #[inline]
    pub(crate) const fn ready_at(&self, tat: u64, now: u64, units: u64) -> u64 {
        let ready = max(tat, now)
            .saturating_add(self.span(units))
            .saturating_sub(self.capacity());
        max(ready, now)
    }

    /// The TAT after taking `units` at `now` (they fit: `ready_at(..) == now`).
    #[inline]
    pub(crate) const fn take(&self, tat: u64, now: u64, units: u64) -> u64 {
        max(tat, now).saturating_add(self.span(units))
    }

    /// Units that fit at `now`.
    pub(crate) const fn left(&self, tat: u64, now: u64) -> u64 {
        let used = max(tat, now) - now;
        let free = self.capacity().saturating_sub(used);
        // Whole units only: `free * amount / period`, rounded down.
        let units = free as u128 * self.amount as u128 / self.period as u128;
        if units > self.burst as u128 {
            self.burst
        } else {
            units as u64
        }
    }
}

/// `units * period / amount`, rounded up, saturating.
const fn divide(units: u64, period: u64, amount: u64) -> u64 {
    let nanos = (units as u128 * period as u128).div_ceil(amount as u128);
    if nanos > u64::MAX as u128 {
        u64::MAX
    } else {
        nanos as u64
    }
}

/// The TAT after giving back `span` at `now`: never earlier than `now` (a bucket holds at
/// most its burst).
#[inline]
pub(crate) const fn give_back(tat: u64, now: u64, span: u64) -> u64 {
    max(tat.saturating_sub(span), now)
}

/// The TAT after charging `span` more at `now` (usage above the estimate): it may run
/// ahead of `now + capacity`, and later calls wait until it is paid off.
#[inline]
pub(crate) const fn charge(tat: u64, now: u64, span: u64) -> u64 {
    max(tat, now).saturating_add(span)
}

const fn max(a: u64, b: u64) -> u64 {
    if a > b { a } else { b }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000_000;

    #[test]
    fn sixty_per_minute_takes_a_second_each_after_the_burst() {
        let rate = Rate::new(60, 60 * SECOND, 60);
        assert_eq!(rate.span(1), SECOND);
        assert_eq!(rate.capacity(), 60 * SECOND);
        let now = 1_000 * SECOND;
        let mut tat = 0;
        for _ in 0..60 {
            assert_eq!(rate.ready_at(tat, now, 1), now);
            tat = rate.take(tat, now, 1);
        }
        assert_eq!(rate.left(tat, now), 0);
        assert_eq!(rate.ready_at(tat, now, 1), now + SECOND);
        assert_eq!(rate.ready_at(tat, now, 2), now + 2 * SECOND);
        assert_eq!(rate.left(tat, now + SECOND), 1);
    }

    #[test]
    fn a_smaller_burst_spaces_calls_sooner() {
        let rate = Rate::new(60, 60 * SECOND, 2);
        let now = 10 * SECOND;
        let tat = rate.take(rate.take(0, now, 1), now, 1);
        assert_eq!(rate.ready_at(tat, now, 1), now + SECOND);
        assert_eq!(rate.left(0, now), 2);
    }

    #[test]
    fn spans_are_the_same_worked_out_once_or_each_time() {
        for (amount, period, burst) in [
            (60, 60 * SECOND, 60),
            (90_000, 60 * SECOND, 1_000),
            (7, 10, 3),
        ] {
            let rate = Rate::new(amount, period, burst);
            for units in [0, 1, 2, 3, 59, 1_000, u64::MAX / 2, u64::MAX] {
                assert_eq!(
                    rate.span(units),
                    divide(units, period, amount),
                    "{amount}/{period}: {units}"
                );
            }
            assert_eq!(rate.capacity(), divide(burst, period, amount));
        }
    }

    #[test]
    fn spans_round_up_and_saturate() {
        let rate = Rate::new(3, 10, 3);
        assert_eq!(rate.span(1), 4);
        assert_eq!(rate.span(3), 10);
        let huge = Rate::new(1, u64::MAX, 1);
        assert_eq!(huge.span(2), u64::MAX);
        // A capacity of ~584 years: everything fits.
        assert_eq!(huge.ready_at(u64::MAX, 5, 1), 5);
    }

    #[test]
    fn refunds_never_overfill_and_charges_run_ahead() {
        let now = 100;
        assert_eq!(give_back(150, now, 30), 120);
        assert_eq!(give_back(150, now, 80), now);
        assert_eq!(give_back(0, now, 80), now);
        assert_eq!(charge(50, now, 30), 130);
        assert_eq!(charge(150, now, 30), 180);
    }
}
