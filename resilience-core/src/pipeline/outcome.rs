//! What one guarded call gives back.

use crate::TimedOut;

/// The outcome of one guarded call: the call's own result, or a deadline that passed
/// while it ran.
///
/// Hand it to [`Pipeline::leave`](super::Pipeline::leave).
///
/// ```
/// use resilience_core::pipeline::Outcome;
///
/// let outcome: Outcome<u8, ()> = Outcome::from(Ok(1));
/// assert_eq!(outcome.into_result(), Ok(1));
/// ```
#[derive(Debug)]
pub struct Outcome<T, E>(Result<Result<T, E>, Expired>);

/// Which deadline passed: the [`HEIGHT`](super::Stack::HEIGHT) of its layer, and the
/// error it makes.
#[derive(Debug)]
struct Expired {
    height: u32,
    timed_out: TimedOut,
}

impl<T, E> Outcome<T, E> {
    /// The deadline of the layer at `height` passed.
    #[inline]
    pub(crate) const fn expired(height: u32, timed_out: TimedOut) -> Self {
        Outcome(Err(Expired { height, timed_out }))
    }

    /// The deadline of the layer at `height` passed: its error, else the outcome back.
    #[inline(always)]
    pub(crate) fn expired_at(self, height: u32) -> Result<TimedOut, Self> {
        match self.0 {
            Err(expired) if expired.height == height => Ok(expired.timed_out),
            other => Err(Outcome(other)),
        }
    }

    /// The call's own result.
    ///
    /// # Panics
    ///
    /// On an expired outcome: the layer whose deadline passed takes it before it can
    /// reach anything below, so a pipeline never gets here with one.
    ///
    /// ```
    /// use resilience_core::pipeline::Outcome;
    ///
    /// assert_eq!(Outcome::<u8, &str>::from(Err("no")).into_result(), Err("no"));
    /// ```
    #[inline(always)]
    pub fn into_result(self) -> Result<T, E> {
        match self.0 {
            Ok(result) => result,
            Err(expired) => expired_below(expired.height),
        }
    }
}

#[cold]
#[inline(never)]
fn expired_below(height: u32) -> ! {
    unreachable!("the deadline of layer {height} passed, but that layer did not handle it")
}

impl<T, E> From<Result<T, E>> for Outcome<T, E> {
    #[inline(always)]
    fn from(result: Result<T, E>) -> Self {
        Outcome(Ok(result))
    }
}

#[cfg(feature = "metrics")]
impl<T, E> Outcome<T, E> {
    /// `"success"`, `"failure"` or `"timeout"` (a deadline above passed), for metrics.
    pub(crate) fn kind(&self) -> &'static str {
        match &self.0 {
            Ok(Ok(_)) => "success",
            Ok(Err(_)) => "failure",
            Err(_) => "timeout",
        }
    }
}
