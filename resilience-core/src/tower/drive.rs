//! The one loop every service of this module runs: a built pipeline around an inner
//! `tower::Service`, the same protocol the attributes' expansion drives.
//!
//! A macro, not a generic `async fn`: held across an await in a generic async fn, the
//! stack's guard future (a projection, `Stack::Guard`) cannot be proven `Send` for
//! every lifetime (rust-lang/rust#110338, the reason `Hedge::run` takes its part from
//! a closure). Expanded in each service's own future, where the stack's type is
//! known, it can; the guard is boxed so the future holds no projection across an await.

use core::future::poll_fn;
use core::task::Context;

use tower_service::Service;

/// Where a call's request comes from, once per call the pipeline makes.
pub(crate) trait Replay<Req> {
    /// The request for the next call.
    fn next(&mut self) -> Option<Req>;
}

/// A request sent again on every call (retry, fallback): a copy each time.
pub(crate) struct Cloned<Req>(pub(crate) Req);

impl<Req: Clone> Replay<Req> for Cloned<Req> {
    fn next(&mut self) -> Option<Req> {
        Some(self.0.clone())
    }
}

/// A request sent at most once, for a pipeline whose layer never calls twice (circuit,
/// timeout, rate limit, bulkhead).
pub(crate) struct Once<Req>(pub(crate) Option<Req>);

impl<Req> Replay<Req> for Once<Req> {
    fn next(&mut self) -> Option<Req> {
        self.0.take()
    }
}

/// Call `0`: `service`, ready for its first call (the caller's `poll_ready` made it
/// so); any later call through it asks `poll_ready` again, as tower's contract says.
pub(crate) async fn call_service<Req, S: Service<Req>>(
    service: &mut S,
    ready: &mut bool,
    request: Option<Req>,
) -> Result<S::Response, S::Error> {
    let Some(request) = request else {
        unreachable!("a tower service whose layer calls once was asked to call again")
    };
    if !core::mem::replace(ready, false) {
        poll_fn(|cx: &mut Context<'_>| service.poll_ready(cx)).await?;
    }
    service.call(request).await
}

/// Drives `$pipeline` with `$service` as call `0` and `$fallback` (an
/// `Option<impl Service>`) as call `1`, taking each call's request from `$requests`.
macro_rules! drive {
    ($pipeline:expr, $service:expr, $fallback:expr, $requests:expr) => {{
        use $crate::pipeline::Flow;
        use $crate::tower::drive::{Replay as _, call_service};
        let mut pipeline = $pipeline;
        let mut service = $service;
        let mut fallback = $fallback;
        let mut requests = $requests;
        let mut ready = true;
        let mut fallback_ready = false;
        let mut flow = pipeline.enter();
        loop {
            let n = match { flow } {
                Flow::Call(n) => n,
                Flow::Done(result) => break result,
                Flow::Wait => {
                    flow = pipeline.wait().await;
                    continue;
                }
            };
            let request = requests.next();
            let guarded: ::core::pin::Pin<
                Box<
                    dyn ::core::future::Future<Output = $crate::pipeline::Outcome<_, _>>
                        + Send
                        + '_,
                >,
            > = match (n, fallback.as_mut()) {
                (0, _) | (_, None) => {
                    Box::pin(pipeline.guard(call_service(&mut service, &mut ready, request)))
                }
                (_, Some(fallback)) => {
                    Box::pin(pipeline.guard(call_service(fallback, &mut fallback_ready, request)))
                }
            };
            let outcome = guarded.await;
            flow = pipeline.leave(outcome);
        }
    }};
}
pub(crate) use drive;
