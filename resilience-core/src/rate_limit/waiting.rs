//! A call waiting for a rate limiter's capacity, and [`Acquire`], the future that asks
//! for it.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::time::Instant;

use super::admission::Admission;
use super::{RateLimited, RateLimiter};
use crate::circuit::clock;
use crate::waitlist::{self, Locked, Progress, Ticket, Timer};

/// A call queued for capacity: its place in the limiter's wait list and its deadline.
///
/// Only the call at the front of the list takes capacity: it sleeps until both limits
/// have room for it (or until a refund wakes it), takes it, leaves the list and wakes the
/// call behind it. The others sleep until they reach the front or their deadline
/// (`max_wait` after they arrived), whichever comes first. Dropping it leaves the list.
pub(crate) struct Waiting<'a> {
    place: Place<'a>,
    timer: Timer,
}

struct Place<'a> {
    limiter: &'a RateLimiter,
    /// `None` once the call has its answer.
    ticket: Option<Ticket<'a>>,
    tokens: u64,
    /// When it queued, on the clock's scale.
    since: u64,
    /// `since + max_wait`, on the clock's scale and as an instant (`None`: too far to
    /// matter).
    deadline: u64,
    deadline_at: Option<Instant>,
}

impl<'a> Waiting<'a> {
    /// Queues a call of `tokens` in `locked`, at `now`.
    pub(super) fn queued(
        limiter: &'a RateLimiter,
        locked: Locked<'a>,
        tokens: u64,
        now: u64,
    ) -> Self {
        let max_wait = limiter.config.max_wait;
        Waiting {
            place: Place {
                limiter,
                ticket: Some(locked.push(tokens, None)),
                tokens,
                since: now,
                deadline: now.saturating_add(clock::saturating_nanos(max_wait)),
                deadline_at: Instant::now().checked_add(max_wait),
            },
            timer: Timer::default(),
        }
    }

    /// Waits in a future: ready with the admission or the refusal.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), RateLimited>> {
        let place = &mut self.place;
        waitlist::poll(&mut self.timer, cx, |waker| place.step(waker))
    }

    /// Waits on this thread.
    pub(crate) fn wait_blocking(&mut self) -> Result<(), RateLimited> {
        waitlist::block_on(|waker| self.place.step(waker))
    }
}

impl Place<'_> {
    /// One look at the list and the buckets.
    fn step(&mut self, waker: &Waker) -> Progress<Result<(), RateLimited>> {
        let limiter = self.limiter;
        let Some(ticket) = &self.ticket else {
            answered();
        };
        let id = ticket.id();
        let mut locked = limiter.waitlist.lock();
        let at_front = locked.register(id, waker);
        let now_at = Instant::now();
        let now = clock::now_nanos();
        if at_front {
            let not_yet = match limiter.take(now, self.tokens) {
                Ok(()) => {
                    self.leave(&mut locked);
                    drop(locked);
                    limiter.admitted_after(now - self.since);
                    return Progress::Done(Ok(()));
                }
                Err(not_yet) => not_yet,
            };
            if not_yet.ready > self.deadline {
                // Capacity went elsewhere since it queued (a server report, a charge).
                self.leave(&mut locked);
                return Progress::Done(Err(limiter.refuse_for(not_yet, now)));
            }
            return Progress::Until(now_at.checked_add(Duration::from_nanos(not_yet.ready - now)));
        }
        if now >= self.deadline {
            let start = limiter.predict_queued(&locked, id, now, self.tokens);
            self.leave(&mut locked);
            return Progress::Done(Err(limiter.refuse_for(start, now)));
        }
        Progress::Until(self.deadline_at)
    }

    fn leave(&mut self, locked: &mut Locked<'_>) {
        if let Some(ticket) = self.ticket.take() {
            ticket.leave(locked);
        }
    }
}

#[cold]
#[inline(never)]
fn answered() -> ! {
    unreachable!("a rate limiter's waiting call is not polled after its answer")
}

impl RateLimiter {
    /// Counts and reports a call admitted after waiting `waited` nanoseconds.
    fn admitted_after(&self, waited: u64) {
        self.waited
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::debug!(
            target: "resilience",
            name = self.config.name,
            waited = ?Duration::from_nanos(waited),
            "rate limiter admitted a call after waiting"
        );
    }

    /// Takes one request and `tokens` tokens if both limits have room now and nobody
    /// waits; never waits.
    ///
    /// # Errors
    ///
    /// [`RateLimited`] with the wait the call would have needed (behind the calls
    /// already waiting), or with [`RateLimited::exceeds_burst`] when `tokens` is more
    /// than the token burst.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::rate_limit::RateLimiter;
    ///
    /// let limiter = RateLimiter::builder().tokens(1_000).per(Duration::from_secs(1)).build()?;
    /// assert!(limiter.try_acquire(800).is_ok());
    /// let refused = limiter.try_acquire(400).unwrap_err();
    /// assert!(refused.retry_in() > Duration::from_millis(199)); // 200 tokens are missing
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    #[inline]
    pub fn try_acquire(&self, tokens: u64) -> Result<(), RateLimited> {
        if let Some(refused) = self.never(tokens) {
            return Err(refused);
        }
        let now = clock::now_nanos();
        if self.waitlist.looks_empty() && self.take(now, tokens).is_ok() {
            return Ok(());
        }
        self.try_acquire_slow(tokens, now)
    }

    /// [`try_acquire`](Self::try_acquire) when the fast path found no room or a queue:
    /// look again under the queue's lock, else predict the wait behind the queue.
    #[cold]
    #[inline(never)]
    fn try_acquire_slow(&self, tokens: u64, now: u64) -> Result<(), RateLimited> {
        let locked = self.waitlist.lock();
        let mut seen = None;
        if locked.count() == 0 {
            match self.take(now, tokens) {
                Ok(()) => return Ok(()),
                Err(not_yet) => seen = Some(not_yet),
            }
        }
        let start = super::admission::at_least(self.predict(locked.entries(), now, tokens), seen);
        drop(locked);
        Err(self.refuse_for(start, now))
    }

    /// Takes one request and `tokens` tokens, waiting for them up to
    /// [`max_wait`](Self::max_wait), behind the calls already waiting.
    ///
    /// Dropping the future before it is ready gives everything back: it held only its
    /// place in the queue.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::rate_limit::RateLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let limiter = RateLimiter::builder().requests(2).per(Duration::from_secs(1)).build()?;
    /// let start = tokio::time::Instant::now();
    /// for _ in 0..4 {
    ///     limiter.acquire(0).await?;
    /// }
    /// // Two at once, then one every half second.
    /// assert_eq!(start.elapsed(), Duration::from_secs(1));
    /// # Ok(())
    /// # }
    /// ```
    pub fn acquire(&self, tokens: u64) -> Acquire<'_> {
        Acquire {
            limiter: self,
            tokens,
            waiting: None,
        }
    }

    /// [`acquire`](Self::acquire) for blocking code: waits on this thread.
    ///
    /// # Errors
    ///
    /// [`RateLimited`] when the wait would be longer than `max_wait`, or the call asks
    /// for more than the token burst.
    ///
    /// ```
    /// use resilience_core::rate_limit::RateLimiter;
    ///
    /// let limiter = RateLimiter::builder().requests(100).build()?;
    /// limiter.acquire_blocking(0)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn acquire_blocking(&self, tokens: u64) -> Result<(), RateLimited> {
        match self.admit(tokens) {
            Admission::Now => Ok(()),
            Admission::Refused(refused) => Err(refused),
            Admission::Queued(mut waiting) => waiting.wait_blocking(),
        }
    }
}

/// What [`RateLimiter::acquire`] returns: ready once the call may go, or with the
/// refusal. Dropping it gives back its place in the queue.
///
/// ```
/// # use resilience_core::rate_limit::RateLimiter;
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let limiter = RateLimiter::builder().requests(1).build().unwrap();
/// assert!(limiter.acquire(0).await.is_ok());
/// # });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Acquire<'a> {
    limiter: &'a RateLimiter,
    tokens: u64,
    /// Set once the call queued.
    waiting: Option<Waiting<'a>>,
}

impl Future for Acquire<'_> {
    type Output = Result<(), RateLimited>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.waiting.is_none() {
            match this.limiter.admit(this.tokens) {
                Admission::Now => return Poll::Ready(Ok(())),
                Admission::Refused(refused) => return Poll::Ready(Err(refused)),
                Admission::Queued(waiting) => this.waiting = Some(waiting),
            }
        }
        let Some(waiting) = &mut this.waiting else {
            return Poll::Pending;
        };
        let answer = std::task::ready!(waiting.poll(cx));
        this.waiting = None;
        Poll::Ready(answer)
    }
}

impl core::fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Acquire")
            .field("limiter", &self.limiter.name())
            .field("tokens", &self.tokens)
            .field("waiting", &self.waiting.is_some())
            .finish()
    }
}
