//! [`Hedged`]: the copies of one call racing, the first `Ok` winning.

use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};

use super::Hedge;
use crate::retry::{Budget, Price};

pin_project! {
    /// What [`Hedge::race`] returns: copy 0 at once, copy `k` when the call has gone
    /// `k × after` without an answer, the first `Ok` returned and the other copies
    /// dropped at that instant; when every copy started has failed and none is running,
    /// the last error.
    ///
    /// The first copy and the timer live inline; extra copies are boxed when they
    /// start (a hedge that never fires allocates nothing). A first copy that answers at
    /// its first poll reads no clock and sets no timer.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::hedge::{Hedge, HedgePolicy};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
    /// let policy = HedgePolicy::builder().after(Duration::from_secs(1)).build()?;
    /// let hedge = Hedge::new(&policy);
    /// let answer = hedge.race(|copy| async move {
    ///     if copy == 0 {
    ///         tokio::time::sleep(Duration::from_secs(5)).await; // a slow replica
    ///     }
    ///     Ok::<_, ()>(copy)
    /// });
    /// let start = tokio::time::Instant::now();
    /// assert_eq!(answer.await, Ok(1));
    /// assert_eq!(start.elapsed(), Duration::from_secs(1));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// # }).unwrap();
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct Hedged<'h, T, E, C, F, B> {
        hedge: &'h Hedge<'h, B>,
        copy: C,
        #[pin]
        first: Option<F>,
        #[pin]
        timer: Option<Sleep>,
        // Copies after the first, with their numbers.
        extra: Vec<(usize, Pin<Box<F>>)>,
        // Copies started so far; past `max` when no more may start.
        started: usize,
        // When the first copy was found still running: the hedges count from here.
        base: Option<Instant>,
        last_error: Option<E>,
        _output: PhantomData<fn() -> T>,
    }
}

impl<'h, T, E, C, F, B> Hedged<'h, T, E, C, F, B> {
    pub(super) fn new(hedge: &'h Hedge<'h, B>, copy: C) -> Self {
        Hedged {
            hedge,
            copy,
            first: None,
            timer: None,
            extra: Vec::new(),
            started: 0,
            base: None,
            last_error: None,
            _output: PhantomData,
        }
    }
}

/// When copy `k` starts: `k × after` after `base`.
fn start_of(base: Instant, after: Duration, k: usize) -> Instant {
    let k = u32::try_from(k).unwrap_or(u32::MAX);
    let offset = after.checked_mul(k).unwrap_or(Duration::MAX);
    // As `tokio::time::sleep` does with a deadline that does not fit: ~30 years.
    base.checked_add(offset)
        .unwrap_or_else(|| base + Duration::from_secs(86_400 * 365 * 30))
}

impl<T, E, C, F, B> Future for Hedged<'_, T, E, C, F, B>
where
    C: FnMut(usize) -> F,
    F: Future<Output = Result<T, E>>,
    B: Budget,
{
    type Output = Result<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, E>> {
        let mut this = self.project();
        if *this.started == 0 {
            this.first.set(Some((this.copy)(0)));
            *this.started = 1;
        }
        let hedge = *this.hedge;
        let max = hedge.policy.max() as usize;
        loop {
            if let Some(first) = this.first.as_mut().as_pin_mut() {
                if let Poll::Ready(result) = first.poll(cx) {
                    this.first.set(None);
                    match result {
                        Ok(answer) => {
                            // The losers go now, releasing what they hold.
                            this.extra.clear();
                            this.timer.set(None);
                            return Poll::Ready(Ok(answer));
                        }
                        Err(error) => *this.last_error = Some(error),
                    }
                }
            }
            let mut i = 0;
            while i < this.extra.len() {
                let (copy, call) = &mut this.extra[i];
                let copy = *copy;
                match call.as_mut().poll(cx) {
                    Poll::Pending => i += 1,
                    Poll::Ready(result) => {
                        drop(this.extra.swap_remove(i));
                        match result {
                            Ok(answer) => {
                                this.first.set(None);
                                this.extra.clear();
                                this.timer.set(None);
                                hedge.won(copy);
                                return Poll::Ready(Ok(answer));
                            }
                            Err(error) => *this.last_error = Some(error),
                        }
                    }
                }
            }
            if this.first.is_none() && this.extra.is_empty() {
                // Every copy started failed, and none runs: no copy is started just
                // because one failed (retrying failures is `#[retry]`'s job).
                return match this.last_error.take() {
                    Some(error) => Poll::Ready(Err(error)),
                    None => unreachable!("a hedged call ends with an answer or an error"),
                };
            }
            if *this.started > max {
                return Poll::Pending;
            }
            let after = hedge.policy.after();
            let base = *this.base.get_or_insert_with(Instant::now);
            if this.timer.is_none() {
                this.timer.set(Some(tokio::time::sleep_until(start_of(
                    base,
                    after,
                    *this.started,
                ))));
            }
            let Some(timer) = this.timer.as_mut().as_pin_mut() else {
                unreachable!("the timer was set above");
            };
            if timer.poll(cx).is_pending() {
                return Poll::Pending;
            }
            let copy = *this.started;
            if !hedge.budget.try_withdraw(Price::Retry) {
                hedge.refused(copy);
                *this.started = max + 1;
                this.timer.set(None);
                return Poll::Pending;
            }
            hedge.hedging(copy);
            *this.started += 1;
            this.extra.push((copy, Box::pin((this.copy)(copy))));
            if *this.started > max {
                this.timer.set(None);
            } else if let Some(timer) = this.timer.as_mut().as_pin_mut() {
                timer.reset(start_of(base, after, *this.started));
            }
        }
    }
}
