//! The error type and stream every `#[stream]` case uses: the error carries both
//! runtime errors, the stream yields nothing.
// Each case uses a different part of this module.
#![allow(dead_code)]

use resilience::stream::Stream;
use resilience::{EmptyStream, TimedOut};

#[derive(Debug)]
pub struct ApiError;
impl From<TimedOut> for ApiError {
    fn from(_: TimedOut) -> Self {
        ApiError
    }
}
impl From<EmptyStream> for ApiError {
    fn from(_: EmptyStream) -> Self {
        ApiError
    }
}

pub struct Chunks;
impl Stream for Chunks {
    type Item = Result<String, ApiError>;
    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(None)
    }
}
