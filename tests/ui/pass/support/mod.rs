//! The error type every pass case uses: it carries both runtime errors.
// Each pass case uses a different part of this module.
#![allow(dead_code)]

use resilience::{CircuitOpen, TimedOut};
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum ApiError {
    Network,
    RateLimited { retry_after: Duration },
    Http(u16),
    Open(CircuitOpen),
    Timeout(TimedOut),
}

impl From<CircuitOpen> for ApiError {
    fn from(e: CircuitOpen) -> Self {
        ApiError::Open(e)
    }
}

impl From<TimedOut> for ApiError {
    fn from(e: TimedOut) -> Self {
        ApiError::Timeout(e)
    }
}

pub fn is_transient(e: &ApiError) -> bool {
    matches!(e, ApiError::Network | ApiError::Http(500..=599))
}

pub fn retry_after(e: &ApiError) -> Option<Duration> {
    match e {
        ApiError::RateLimited { retry_after } => Some(*retry_after),
        _ => None,
    }
}
