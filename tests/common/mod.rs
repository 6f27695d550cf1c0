//! The error type and helpers shared by the attribute behaviour tests.
#![allow(dead_code)]

pub mod capture;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use resilience::{CircuitOpen, TimedOut};
use tokio::time::Instant;

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    Network,
    RateLimited { retry_after: Duration },
    Malformed,
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

impl From<std::num::ParseIntError> for ApiError {
    fn from(_: std::num::ParseIntError) -> Self {
        ApiError::Malformed
    }
}

pub fn server_delay(e: &ApiError) -> Option<Duration> {
    match e {
        ApiError::RateLimited { retry_after } => Some(*retry_after),
        _ => None,
    }
}

pub fn is_transient(e: &ApiError) -> bool {
    matches!(e, ApiError::Network | ApiError::RateLimited { .. })
}

/// Counts calls and records when each happened, relative to a start instant.
pub struct Calls {
    count: AtomicU32,
    start: std::sync::Mutex<Option<Instant>>,
    at: std::sync::Mutex<Vec<Duration>>,
}

impl Calls {
    pub const fn new() -> Self {
        Calls {
            count: AtomicU32::new(0),
            start: std::sync::Mutex::new(None),
            at: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Records one call; returns its 1-based number.
    pub fn hit(&self) -> u32 {
        let now = Instant::now();
        let start = *self.start.lock().unwrap().get_or_insert(now);
        self.at.lock().unwrap().push(now - start);
        self.count.fetch_add(1, Ordering::SeqCst) + 1
    }

    pub fn count(&self) -> u32 {
        self.count.load(Ordering::SeqCst)
    }

    /// When each call started, in whole seconds after the first.
    pub fn secs(&self) -> Vec<f64> {
        self.at
            .lock()
            .unwrap()
            .iter()
            .map(Duration::as_secs_f64)
            .collect()
    }
}

pub fn secs(n: f64) -> Duration {
    Duration::from_secs_f64(n)
}
