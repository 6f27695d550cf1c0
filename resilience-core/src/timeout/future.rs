//! The [`Timeout`] future: poll the inner future first, arm the timer only if it is pending.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

use pin_project_lite::pin_project;
use tokio::task::coop::unconstrained;
use tokio::time::{Instant, Sleep};

use super::TimedOut;

pin_project! {
    /// A future with a deadline: resolves to `Ok(output)` if `F` finishes in time, else to
    /// `Err(TimedOut)` (and `F` is dropped at that moment).
    ///
    /// Created by [`timeout`](super::timeout) and [`timeout_at`](super::timeout_at). The timer
    /// (a tokio [`Sleep`]) lives inline in this struct, so a `Timeout` never allocates; it is
    /// only created if `F` returns `Pending` at least once.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use resilience_core::timeout::{timeout, Timeout};
    ///
    /// let call: Timeout<_> = timeout(Duration::from_secs(1), async { 42 });
    /// assert_eq!(call.await, Ok(42));
    /// # }
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Timeout<F> {
        // `Some` until the output is returned or the deadline passes; then `None`, which
        // drops the inner future right away (not when the `Timeout` itself is dropped).
        #[pin]
        inner: Option<F>,
        #[pin]
        clock: Clock,
        after: Duration,
    }
}

pin_project! {
    /// Where the deadline is. Moves forward only: `Unstarted` -> `At` -> `Armed`, or `Never`.
    #[project = ClockProj]
    #[derive(Debug)]
    enum Clock {
        // `timeout(after, ..)` before its first poll: no deadline yet, no clock read.
        Unstarted,
        // The deadline is known (`timeout_at`, or a first poll), the call has not yet
        // returned `Pending`: no timer yet.
        At { deadline: Instant },
        // The timer is running (it holds the deadline).
        Armed { #[pin] sleep: Sleep },
        // `now + after` does not fit in an `Instant`: the call can never time out.
        Never,
    }
}

impl<F> Timeout<F> {
    pub(super) const fn new(after: Duration, fut: F) -> Self {
        Self {
            inner: Some(fut),
            clock: Clock::Unstarted,
            after,
        }
    }

    /// A `Timeout` that never expires: a deadline that does not fit in an [`Instant`].
    pub(super) const fn never(after: Duration, fut: F) -> Self {
        Self {
            inner: Some(fut),
            clock: Clock::Never,
            after,
        }
    }

    pub(super) const fn new_at(deadline: Instant, after: Duration, fut: F) -> Self {
        Self {
            inner: Some(fut),
            clock: Clock::At { deadline },
            after,
        }
    }

    /// The time the call is allowed, as given to [`timeout`](super::timeout).
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::timeout::timeout;
    ///
    /// let call = timeout(Duration::from_secs(10), async { "answer" });
    /// assert_eq!(call.after(), Duration::from_secs(10));
    /// ```
    pub const fn after(&self) -> Duration {
        self.after
    }

    /// The deadline, if it is known yet.
    ///
    /// `None` for [`timeout`](super::timeout) until its first poll (which starts the
    /// clock), and also when the deadline does not fit in an
    /// [`Instant`] (such a call never times out). Always `Some` for
    /// [`timeout_at`](super::timeout_at).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use resilience_core::timeout::timeout;
    /// use std::task::Poll;
    /// use tokio::time::Instant;
    ///
    /// let mut call = std::pin::pin!(timeout(Duration::from_secs(5), std::future::pending::<()>()));
    /// tokio::time::sleep(Duration::from_secs(3)).await;
    /// assert_eq!(call.deadline(), None); // not polled yet: no deadline
    ///
    /// let polled = Instant::now();
    /// let still_pending = std::future::poll_fn(|cx| Poll::Ready(call.as_mut().poll(cx).is_pending()));
    /// assert!(still_pending.await);
    /// assert_eq!(call.deadline(), Some(polled + Duration::from_secs(5)));
    /// # }
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        match &self.clock {
            Clock::Unstarted | Clock::Never => None,
            Clock::At { deadline } => Some(*deadline),
            Clock::Armed { sleep } => Some(sleep.deadline()),
        }
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();

        // 1. The first poll starts the clock (what `timeout_at` fixed already).
        if let ClockProj::Unstarted = this.clock.as_mut().project() {
            this.clock
                .set(match Instant::now().checked_add(*this.after) {
                    Some(deadline) => Clock::At { deadline },
                    None => Clock::Never,
                });
        }

        // 2. The inner future next: if it is ready, no timer is built. This also means
        //    an output that is ready at the very instant of the deadline wins.
        let inner = this
            .inner
            .as_mut()
            .as_pin_mut()
            .expect("`Timeout` polled after completion");
        if let Poll::Ready(output) = inner.poll(cx) {
            this.inner.set(None);
            return Poll::Ready(Ok(output));
        }

        // Pending: arm the timer if this is the first time.
        if let ClockProj::At { deadline } = this.clock.as_mut().project() {
            let deadline = *deadline;
            this.clock.set(Clock::Armed {
                sleep: tokio::time::sleep_until(deadline),
            });
        }

        // 3. Poll the timer; when it fires, drop the inner future and report.
        let ClockProj::Armed { mut sleep } = this.clock.project() else {
            return Poll::Pending; // `Never`
        };
        // Polled outside tokio's coop budget, so that an inner future that used the task's
        // budget up cannot keep the timer from firing (tokio's own `timeout` has the same
        // guard, via `coop::has_budget_remaining`; this way costs nothing on the ready path).
        if Pin::new(&mut unconstrained(sleep.as_mut()))
            .poll(cx)
            .is_pending()
        {
            return Poll::Pending;
        }
        this.inner.set(None);
        let deadline = sleep.deadline();
        tracing::warn!(target: "resilience", after = ?*this.after, "timed out");
        Poll::Ready(Err(TimedOut::new(*this.after, deadline)))
    }
}
