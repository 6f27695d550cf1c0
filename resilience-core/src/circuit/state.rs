//! The breaker's state, and the one `u64` it is packed into.
//!
//! Everything the state machine decides on lives in a single [`AtomicU64`] that changes
//! only by compare-and-swap, so a transition is one atomic step: two threads can never
//! both open the breaker, a failure count can never be lost between "increment" and
//! "compare with the threshold", and the half-open probe count can never over-admit.
//!
//! ```text
//!  63            48 47            32 31                 8 7        2 1  0
//! +----------------+----------------+--------------------+----------+----+
//! | Closed:   consecutive failures  |                    |          |    |
//! | HalfOpen: successes | in flight |     generation     | re-opens |tag |
//! | Open, Isolated: 0               |     (24 bits)      | (6 bits) |    |
//! +----------------+----------------+--------------------+----------+----+
//! ```
//!
//! `re-opens` counts the re-openings from half-open since the breaker was last closed:
//! the open period is `recovery` doubled that many times (up to `recovery_max`). It is
//! in the word so that the period and the transition that starts it are one atomic
//! step.
//!
//! The generation goes up by one on every transition. A [`Permit`](super::Permit)
//! remembers the generation it was taken in and its outcome only touches the word while
//! the generation still matches, so a slow call admitted before a transition can never
//! corrupt the state that came after it (a stale half-open probe cannot close a breaker
//! that has since reopened; a stale closed call cannot add a failure to a fresh count).
//! It wraps after 2^24 transitions; a permit would have to outlive exactly that many
//! transitions to be mistaken for a current one.
//!
//! [`AtomicU64`]: std::sync::atomic::AtomicU64

use core::fmt;

/// Where a [`CircuitBreaker`](super::CircuitBreaker) is in its cycle.
///
/// `Closed` lets every call through and counts failures; `Open` rejects calls until the
/// recovery period has elapsed; `HalfOpen` lets a limited number of probe calls through
/// to decide whether to close again or reopen; `Isolated` rejects every call until
/// [`reset`](super::CircuitBreaker::reset).
///
/// ```
/// use resilience_core::circuit::{CircuitBreaker, State};
///
/// let breaker = CircuitBreaker::builder().build()?;
/// assert_eq!(breaker.state(), State::Closed);
/// assert_eq!(State::HalfOpen.to_string(), "half-open");
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Calls pass; `threshold` consecutive counted failures (or a failure or slow-call
    /// rate over the window) open the breaker.
    Closed,
    /// Calls are rejected with [`CircuitOpen`](super::CircuitOpen) until the recovery
    /// period has elapsed; the next call after that moves the breaker to `HalfOpen`.
    Open,
    /// Up to `probes` calls at once are let through; `success_threshold` successes close
    /// the breaker, any counted failure reopens it.
    HalfOpen,
    /// Opened by hand ([`isolate`](super::CircuitBreaker::isolate)): every call is
    /// rejected until [`reset`](super::CircuitBreaker::reset), whatever the time.
    Isolated,
}

impl State {
    /// The lowercase name used in events and messages: `closed`, `open`, `half-open`,
    /// `isolated`.
    ///
    /// ```
    /// use resilience_core::circuit::State;
    ///
    /// assert_eq!(State::Open.as_str(), "open");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half-open",
            State::Isolated => "isolated",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const TAG_MASK: u64 = 0b11;
const TAG_CLOSED: u64 = 0;
const TAG_OPEN: u64 = 1;
const TAG_HALF_OPEN: u64 = 2;
const TAG_ISOLATED: u64 = 3;
const REOPEN_SHIFT: u32 = 2;
const REOPEN_MASK: u64 = 0x3F;
/// The most re-openings counted (the open period stops doubling long before).
pub(crate) const MAX_REOPENS: u32 = REOPEN_MASK as u32;
const GEN_SHIFT: u32 = 8;
/// Mask of a generation once shifted down (24 bits).
pub(crate) const GEN_MASK: u32 = (1 << 24) - 1;
const COUNT_SHIFT: u32 = 32;
const HALF_SHIFT: u32 = 16;
const HALF_MASK: u64 = 0xFFFF;
/// The largest `probes` and `success_threshold`: each has 16 bits of the word.
pub(crate) const MAX_HALF_OPEN_COUNT: u32 = HALF_MASK as u32;

/// One value of the packed state word (see the module docs for the layout).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Word(u64);

impl Word {
    /// The word a new breaker starts with: closed, generation 0, no failures.
    pub(crate) const INITIAL: Word = Word(0);

    #[inline]
    pub(crate) const fn from_bits(bits: u64) -> Word {
        Word(bits)
    }

    #[inline]
    pub(crate) const fn bits(self) -> u64 {
        self.0
    }

    #[inline]
    pub(crate) const fn closed(generation: u32, failures: u32) -> Word {
        Word(TAG_CLOSED | Self::gen_bits(generation) | (failures as u64) << COUNT_SHIFT)
    }

    #[inline]
    pub(crate) const fn open(generation: u32, reopens: u32) -> Word {
        Word(TAG_OPEN | Self::gen_bits(generation) | Self::reopen_bits(reopens))
    }

    #[inline]
    pub(crate) const fn isolated(generation: u32) -> Word {
        Word(TAG_ISOLATED | Self::gen_bits(generation))
    }

    #[inline]
    pub(crate) const fn half_open(
        generation: u32,
        reopens: u32,
        in_flight: u32,
        successes: u32,
    ) -> Word {
        let counts = (in_flight as u64 & HALF_MASK) | (successes as u64 & HALF_MASK) << HALF_SHIFT;
        Word(
            TAG_HALF_OPEN
                | Self::gen_bits(generation)
                | Self::reopen_bits(reopens)
                | counts << COUNT_SHIFT,
        )
    }

    #[inline]
    const fn reopen_bits(reopens: u32) -> u64 {
        let reopens = if reopens > MAX_REOPENS {
            MAX_REOPENS
        } else {
            reopens
        };
        (reopens as u64) << REOPEN_SHIFT
    }

    /// Re-openings from half-open since the last close (open and half-open words).
    #[inline]
    pub(crate) const fn reopens(self) -> u32 {
        ((self.0 >> REOPEN_SHIFT) & REOPEN_MASK) as u32
    }

    #[inline]
    const fn gen_bits(generation: u32) -> u64 {
        ((generation & GEN_MASK) as u64) << GEN_SHIFT
    }

    #[inline]
    pub(crate) const fn state(self) -> State {
        match self.0 & TAG_MASK {
            TAG_CLOSED => State::Closed,
            TAG_OPEN => State::Open,
            TAG_HALF_OPEN => State::HalfOpen,
            _ => State::Isolated,
        }
    }

    #[inline]
    pub(crate) const fn generation(self) -> u32 {
        (self.0 >> GEN_SHIFT) as u32 & GEN_MASK
    }

    /// The generation the next transition moves to (wrapping at 30 bits).
    #[inline]
    pub(crate) const fn next_generation(self) -> u32 {
        self.generation().wrapping_add(1) & GEN_MASK
    }

    /// True when the upper half is zero: a closed breaker with no failures to reset.
    #[inline]
    pub(crate) const fn has_no_counts(self) -> bool {
        self.0 >> COUNT_SHIFT == 0
    }

    /// Consecutive failures (meaningful when closed).
    #[inline]
    pub(crate) const fn failures(self) -> u32 {
        (self.0 >> COUNT_SHIFT) as u32
    }

    /// Probes admitted and not yet finished (meaningful when half-open).
    #[inline]
    pub(crate) const fn in_flight(self) -> u32 {
        ((self.0 >> COUNT_SHIFT) & HALF_MASK) as u32
    }

    /// Successful probes so far (meaningful when half-open).
    #[inline]
    pub(crate) const fn successes(self) -> u32 {
        ((self.0 >> (COUNT_SHIFT + HALF_SHIFT)) & HALF_MASK) as u32
    }
}

impl fmt::Debug for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Word");
        s.field("state", &self.state())
            .field("generation", &self.generation());
        match self.state() {
            State::Closed => s.field("failures", &self.failures()),
            State::Open => s.field("reopens", &self.reopens()),
            State::Isolated => &mut s,
            State::HalfOpen => s
                .field("reopens", &self.reopens())
                .field("in_flight", &self.in_flight())
                .field("successes", &self.successes()),
        };
        s.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_at_their_limits() {
        let w = Word::closed(GEN_MASK, u32::MAX);
        assert_eq!(
            (w.state(), w.generation(), w.failures()),
            (State::Closed, GEN_MASK, u32::MAX)
        );
        assert_eq!(w.next_generation(), 0);
        assert!(!w.has_no_counts());

        let w = Word::half_open(7, 5, MAX_HALF_OPEN_COUNT, MAX_HALF_OPEN_COUNT - 1);
        assert_eq!(w.state(), State::HalfOpen);
        assert_eq!((w.generation(), w.reopens()), (7, 5));
        assert_eq!(w.in_flight(), MAX_HALF_OPEN_COUNT);
        assert_eq!(w.successes(), MAX_HALF_OPEN_COUNT - 1);

        let w = Word::open(GEN_MASK, u32::MAX);
        assert_eq!((w.state(), w.generation()), (State::Open, GEN_MASK));
        assert_eq!(w.reopens(), MAX_REOPENS);
        assert!(w.has_no_counts());
        let w = Word::isolated(3);
        assert_eq!(
            (w.state(), w.generation(), w.reopens()),
            (State::Isolated, 3, 0)
        );
        assert_eq!(Word::from_bits(w.bits()), w);
        assert_eq!(Word::INITIAL, Word::closed(0, 0));
    }

    #[test]
    fn a_generation_never_spills_into_the_tag_or_counts() {
        let w = Word::closed(u32::MAX, 0);
        assert_eq!(w.state(), State::Closed);
        assert_eq!(w.generation(), GEN_MASK);
        assert!(w.has_no_counts());
    }
}
