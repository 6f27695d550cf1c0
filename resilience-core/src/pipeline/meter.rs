//! What a [`Pipeline`](super::Pipeline) tells [`metrics`](crate::metrics) (feature
//! `metrics`): when the call and each attempt start and end, and, while its layers run,
//! which pipeline their events belong to. Without the feature, a zero-sized no-op.

use super::{Flow, Outcome};

#[cfg(feature = "metrics")]
pub(crate) use on::Meter;

#[cfg(not(feature = "metrics"))]
pub(crate) use off::Meter;

#[cfg(not(feature = "metrics"))]
mod off {
    use super::{Flow, Outcome};

    /// Nothing to measure: every method compiles to nothing.
    pub(crate) struct Meter;

    /// Nothing to restore.
    pub(crate) struct Scope;

    impl Meter {
        #[inline(always)]
        pub(crate) const fn new(_: &'static str) -> Self {
            Meter
        }
        #[inline(always)]
        pub(crate) const fn part(_: &'static str) -> Self {
            Meter
        }
        #[inline(always)]
        pub(crate) fn scope(&self) -> Scope {
            Scope
        }
        #[inline(always)]
        pub(crate) fn started(&mut self) {}
        #[inline(always)]
        pub(crate) fn flow<T, E>(&mut self, _: &Flow<T, E>) {}
        #[inline(always)]
        pub(crate) fn left<T, E>(&mut self, _: &Outcome<T, E>) {}
        #[inline(always)]
        pub(crate) fn finished<T, E>(&mut self, _: &Result<T, E>) {}
    }
}

#[cfg(feature = "metrics")]
mod on {
    use tokio::time::Instant;

    use super::{Flow, Outcome};
    use crate::metrics;

    /// The pipeline's name and when its call and current attempt started.
    pub(crate) struct Meter {
        name: &'static str,
        /// The part below a hedge: its copies' attempts are the function's, but the
        /// whole call is the pipeline's above the fork, timed there.
        part: bool,
        call: Option<Instant>,
        attempt: Option<Instant>,
    }

    impl Meter {
        pub(crate) const fn new(name: &'static str) -> Self {
            Meter {
                name,
                part: false,
                call: None,
                attempt: None,
            }
        }

        pub(crate) const fn part(name: &'static str) -> Self {
            Meter {
                name,
                part: true,
                call: None,
                attempt: None,
            }
        }

        /// While the answer lives, events emitted on this thread belong to the pipeline.
        pub(crate) fn scope(&self) -> metrics::Current {
            metrics::Current::enter(self.name)
        }

        pub(crate) fn started(&mut self) {
            if !self.part {
                self.call = Some(Instant::now());
            }
        }

        pub(crate) fn flow<T, E>(&mut self, flow: &Flow<T, E>) {
            match flow {
                Flow::Call(_) => self.attempt = Some(Instant::now()),
                Flow::Wait => {}
                Flow::Done(result) => self.finished(result),
            }
        }

        pub(crate) fn left<T, E>(&mut self, outcome: &Outcome<T, E>) {
            if let Some(started) = self.attempt.take() {
                metrics::attempt(self.name, outcome.kind(), started.elapsed());
            }
        }

        pub(crate) fn finished<T, E>(&mut self, result: &Result<T, E>) {
            if let Some(started) = self.call.take() {
                let outcome = if result.is_ok() { "success" } else { "failure" };
                metrics::call(self.name, outcome, started.elapsed());
            }
        }
    }
}
