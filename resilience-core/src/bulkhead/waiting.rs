//! Calls waiting in a bulkhead's queue, and [`Acquire`], the future that asks for a
//! permit.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use tokio::time::Instant;

use super::state::Queueing;
use super::{Bulkhead, BulkheadFull, Permit};
use crate::waitlist::{self, Locked, Progress, Ticket, Timer};

/// What a call asking a bulkhead for a permit gets.
pub(crate) enum Admission<'a> {
    /// A permit: go.
    Now(Permit<'a>),
    /// A place in the queue: wait (see [`Waiting`]).
    Queued(Waiting<'a>),
    /// Refused: every permit held and the queue full.
    Refused(BulkheadFull),
}

impl Bulkhead {
    /// A permit if one is free and nobody waits, else a place in the queue if it has
    /// room, else a refusal.
    #[inline]
    pub(crate) fn admit(&self) -> Admission<'_> {
        if self.permits.try_take() {
            return Admission::Now(Permit::new(self));
        }
        self.queue_up()
    }

    #[cold]
    #[inline(never)]
    fn queue_up(&self) -> Admission<'_> {
        let locked = self.waitlist.lock();
        match self.permits.take_or_wait(self.config.queue) {
            Queueing::Taken => Admission::Now(Permit::new(self)),
            Queueing::Waiting => Admission::Queued(Waiting::queued(self, locked)),
            Queueing::Full => {
                drop(locked);
                Admission::Refused(self.full(core::time::Duration::ZERO))
            }
        }
    }

    /// Takes a permit, waiting in the queue for one when every permit is held (when the
    /// queue has room, and for at most [`max_wait`](Self::max_wait)).
    ///
    /// Dropping the future before it is ready leaves the queue.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::bulkhead::Bulkhead;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let bulkhead = Bulkhead::builder().max(1).queue(1).build()?;
    /// let held = bulkhead.acquire().await?;
    /// let waiting = bulkhead.acquire();
    /// tokio::pin!(waiting);
    /// assert!(futures_poll(waiting.as_mut()).is_none()); // queued behind `held`
    /// drop(held);
    /// let _permit = waiting.await?; // handed the freed permit
    /// # Ok(())
    /// # }
    /// # fn futures_poll<F: std::future::Future>(f: std::pin::Pin<&mut F>) -> Option<F::Output> {
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     match f.poll(&mut cx) { std::task::Poll::Ready(v) => Some(v), std::task::Poll::Pending => None }
    /// # }
    /// ```
    pub fn acquire(&self) -> Acquire<'_> {
        Acquire {
            bulkhead: self,
            waiting: None,
        }
    }

    /// [`acquire`](Self::acquire) for blocking code: waits on this thread.
    ///
    /// # Errors
    ///
    /// [`BulkheadFull`] when the queue is full, or the wait in it reached `max_wait`.
    ///
    /// ```
    /// use resilience_core::bulkhead::Bulkhead;
    ///
    /// let bulkhead = Bulkhead::builder().max(2).build()?;
    /// let permit = bulkhead.acquire_blocking()?;
    /// assert_eq!(bulkhead.in_use(), 1);
    /// # drop(permit);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn acquire_blocking(&self) -> Result<Permit<'_>, BulkheadFull> {
        match self.admit() {
            Admission::Now(permit) => Ok(permit),
            Admission::Refused(full) => Err(full),
            Admission::Queued(mut waiting) => waiting.wait_blocking(),
        }
    }
}

/// A call queued for a permit: its place in the queue and its deadline.
///
/// The call at the front takes the next permit freed (a release wakes it); the others
/// sleep until they reach the front or their deadline. Dropping it leaves the queue.
pub(crate) struct Waiting<'a> {
    place: Place<'a>,
    timer: Timer,
}

struct Place<'a> {
    bulkhead: &'a Bulkhead,
    /// `None` once the call has its answer.
    ticket: Option<Ticket<'a>>,
    since: Instant,
    /// `since + max_wait`; `None`: no bound.
    deadline: Option<Instant>,
}

impl<'a> Waiting<'a> {
    fn queued(bulkhead: &'a Bulkhead, locked: Locked<'a>) -> Self {
        let since = Instant::now();
        Waiting {
            place: Place {
                bulkhead,
                ticket: Some(locked.push(1, None)),
                since,
                deadline: bulkhead
                    .config
                    .max_wait
                    .and_then(|max_wait| since.checked_add(max_wait)),
            },
            timer: Timer::default(),
        }
    }

    /// Waits in a future: ready with a permit or the refusal.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<Permit<'a>, BulkheadFull>> {
        let place = &mut self.place;
        waitlist::poll(&mut self.timer, cx, |waker| place.step(waker))
    }

    /// Waits on this thread.
    pub(crate) fn wait_blocking(&mut self) -> Result<Permit<'a>, BulkheadFull> {
        waitlist::block_on(|waker| self.place.step(waker))
    }
}

impl<'a> Place<'a> {
    /// One look at the queue and the permits.
    fn step(&mut self, waker: &Waker) -> Progress<Result<Permit<'a>, BulkheadFull>> {
        let bulkhead = self.bulkhead;
        let Some(ticket) = &self.ticket else {
            answered();
        };
        let mut locked = bulkhead.waitlist.lock();
        // Registered and tried under the lock a release wakes the front under: a release
        // either finds this waker or frees its permit before this try.
        if locked.register(ticket.id(), waker) && bulkhead.permits.take_waiting() {
            self.leave(&mut locked);
            drop(locked);
            let waited = self.since.elapsed();
            bulkhead
                .waited
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::debug!(
                target: "resilience",
                name = bulkhead.config.name,
                waited = ?waited,
                "bulkhead admitted a call after waiting"
            );
            return Progress::Done(Ok(Permit::new(bulkhead)));
        }
        if let Some(deadline) = self.deadline {
            let now = Instant::now();
            if now >= deadline {
                self.give_up(&mut locked);
                drop(locked);
                return Progress::Done(Err(bulkhead.full(now - self.since)));
            }
        }
        Progress::Until(self.deadline)
    }

    /// Leaves the queue holding a permit (`take_waiting` counted it out).
    fn leave(&mut self, locked: &mut Locked<'_>) {
        if let Some(ticket) = self.ticket.take() {
            ticket.leave(locked);
        }
    }

    /// Leaves the queue without a permit.
    fn give_up(&mut self, locked: &mut Locked<'_>) {
        if let Some(ticket) = self.ticket.take() {
            self.bulkhead.permits.stop_waiting();
            ticket.leave(locked);
        }
    }
}

impl Drop for Place<'_> {
    /// Dropped while queued (a cancelled call): leaves the queue, and the call behind it
    /// moves up.
    fn drop(&mut self) {
        if self.ticket.is_some() {
            let bulkhead = self.bulkhead;
            let mut locked = bulkhead.waitlist.lock();
            self.give_up(&mut locked);
        }
    }
}

#[cold]
#[inline(never)]
fn answered() -> ! {
    unreachable!("a bulkhead's waiting call is not polled after its answer")
}

/// What [`Bulkhead::acquire`] returns: ready with a permit once one is free, or with the
/// refusal. Dropping it gives back its place in the queue.
///
/// ```
/// # use resilience_core::bulkhead::Bulkhead;
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let bulkhead = Bulkhead::builder().build().unwrap();
/// let permit = bulkhead.acquire().await.unwrap();
/// assert_eq!(bulkhead.in_use(), 1);
/// # drop(permit);
/// # });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Acquire<'a> {
    bulkhead: &'a Bulkhead,
    /// Set once the call queued.
    waiting: Option<Waiting<'a>>,
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<Permit<'a>, BulkheadFull>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.waiting.is_none() {
            match this.bulkhead.admit() {
                Admission::Now(permit) => return Poll::Ready(Ok(permit)),
                Admission::Refused(full) => return Poll::Ready(Err(full)),
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
            .field("bulkhead", &self.bulkhead.name())
            .field("waiting", &self.waiting.is_some())
            .finish()
    }
}
