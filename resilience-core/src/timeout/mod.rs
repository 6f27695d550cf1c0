//! STUB (replaced by the real module at merge).
#![allow(missing_docs, dead_code, unreachable_pub)]
use std::{future::Future, time::Duration};
use tokio::time::Instant;
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimedOut;
pub struct Timeout<F>(F);
pub fn timeout<F: Future>(_after: Duration, fut: F) -> Timeout<F> { Timeout(fut) }
pub fn timeout_at<F: Future>(_d: Instant, _after: Duration, fut: F) -> Timeout<F> { Timeout(fut) }
impl<F: Future> Future for Timeout<F> { type Output = Result<F::Output, TimedOut>; fn poll(self: std::pin::Pin<&mut Self>, _cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> { todo!() } }
