//! Seeded fault injection for tests and demos.
//!
//! [`Chaos`] is the seed notebook's `llm_call_unreliable` as a reusable, reproducible part:
//! before the real work of a call, `chaos.inject().await?` waits the configured latency (on
//! tokio's clock) and then fails with a [`Fault`] at the configured rate.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! use std::time::Duration;
//! use resilience_core::chaos::{Chaos, Fault};
//!
//! #[derive(Debug)]
//! enum ApiError { Network, RateLimited(Duration), Malformed, Http(u16) }
//!
//! impl From<Fault> for ApiError {
//!     fn from(fault: Fault) -> Self {
//!         match fault {
//!             Fault::Network => ApiError::Network,
//!             Fault::RateLimited { retry_after } => ApiError::RateLimited(retry_after),
//!             Fault::Malformed => ApiError::Malformed,
//!             Fault::Server(code) => ApiError::Http(code),
//!         }
//!     }
//! }
//!
//! static CHAOS: Chaos = match Chaos::builder().seed(42).failure_rate(0.5).build() {
//!     Ok(chaos) => chaos,
//!     Err(_) => panic!(),
//! };
//!
//! async fn llm_call_unreliable(prompt: &str) -> Result<String, ApiError> {
//!     CHAOS.inject().await?;
//!     Ok(format!("an answer to {prompt:?}")) // the real call goes here
//! }
//!
//! let mut failures = 0;
//! for _ in 0..10 {
//!     if llm_call_unreliable("Que es un agente de IA?").await.is_err() {
//!         failures += 1;
//!     }
//! }
//! // The same every run: seed 42 fails these 10 calls the same way each time.
//! assert_eq!(failures, (0..10).filter(|&n| CHAOS.outcome(n).is_err()).count());
//! # }
//! ```
//!
//! # Deterministic, also under concurrency
//!
//! `random.random()` in the notebook gives a new sequence every run, so a failing demo
//! cannot be replayed. Here draw number `n` (0, 1, 2, ... in the order calls reach the
//! draw) depends on the seed and `n` only: it is outputs `2n` and `2n + 1` of a SplitMix64
//! stream seeded with the seed (one decides *whether* the call fails, the other *which*
//! fault). There is no shared RNG state, only an atomic counter, so injection is lock-free and
//! [`outcome`](Chaos::outcome) can tell in advance what any draw will be. Concurrent callers
//! each take a distinct `n`: the sequence of outcomes is fixed, and only which task gets which
//! outcome depends on scheduling.

mod builder;
mod fault;

pub use builder::ChaosBuilder;
pub use fault::Fault;

use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;

/// A seeded source of failures and latency; share it by reference (it is `Sync`).
///
/// Build it with [`Chaos::builder`]; call [`inject`](Self::inject) (async) or
/// [`inject_blocking`](Self::inject_blocking) where the real call would start.
///
/// ```
/// use resilience_core::chaos::{Chaos, Fault};
///
/// let chaos = Chaos::builder().seed(3).failure_rate(0.5).build().unwrap();
/// let outcomes: Vec<Result<(), Fault>> = (0..5).map(|_| chaos.inject_blocking()).collect();
/// let again = Chaos::builder().seed(3).failure_rate(0.5).build().unwrap();
/// assert_eq!(outcomes, (0..5).map(|_| again.inject_blocking()).collect::<Vec<_>>());
/// ```
#[derive(Debug)]
pub struct Chaos {
    seed: u64,
    failure_rate: f64,
    /// A draw fails when its 53-bit uniform integer is below this (`failure_rate * 2^53`).
    threshold: u64,
    latency: Duration,
    faults: &'static [Fault],
    /// How many draws were taken: the next draw's `n`.
    draws: AtomicU64,
}

impl Chaos {
    /// Starts a configuration; see [`ChaosBuilder`] for the defaults.
    ///
    /// ```
    /// use resilience_core::chaos::Chaos;
    ///
    /// let chaos = Chaos::builder().seed(1).failure_rate(0.0).build().unwrap();
    /// assert_eq!(chaos.inject_blocking(), Ok(()));
    /// ```
    pub const fn builder() -> ChaosBuilder {
        ChaosBuilder::new()
    }

    /// Waits the latency on tokio's clock (no timer at all if it is zero), then takes the next
    /// draw: `Ok(())` to let the call through, or the [`Fault`] to fail it with.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use resilience_core::chaos::Chaos;
    /// use tokio::time::Instant;
    ///
    /// let chaos = Chaos::builder().latency(Duration::from_millis(300)).build().unwrap();
    /// let start = Instant::now();
    /// let outcome = chaos.inject().await;
    /// assert_eq!(start.elapsed(), Duration::from_millis(300));
    /// assert_eq!(outcome, chaos.outcome(0));
    /// # }
    /// ```
    pub async fn inject(&self) -> Result<(), Fault> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        self.draw()
    }

    /// [`inject`](Self::inject) for blocking code: sleeps the thread for the latency, then
    /// takes the next draw. Do not call it on an async runtime's thread.
    ///
    /// ```
    /// use resilience_core::chaos::{Chaos, Fault};
    ///
    /// let chaos = Chaos::builder().failure_rate(1.0).faults(&[Fault::Malformed]).build().unwrap();
    /// assert_eq!(chaos.inject_blocking(), Err(Fault::Malformed));
    /// ```
    pub fn inject_blocking(&self) -> Result<(), Fault> {
        if !self.latency.is_zero() {
            std::thread::sleep(self.latency);
        }
        self.draw()
    }

    /// What draw number `n` (0-based) gives, without taking it: a pure function of the seed,
    /// the rate, the fault list and `n`.
    ///
    /// ```
    /// use resilience_core::chaos::Chaos;
    ///
    /// let chaos = Chaos::builder().seed(9).build().unwrap();
    /// let predicted = [chaos.outcome(0), chaos.outcome(1)];
    /// assert_eq!([chaos.inject_blocking(), chaos.inject_blocking()], predicted);
    /// ```
    pub const fn outcome(&self, n: u64) -> Result<(), Fault> {
        let fails = splitmix64(self.seed, n.wrapping_mul(2)) >> 11;
        if fails >= self.threshold {
            return Ok(());
        }
        let which = splitmix64(self.seed, n.wrapping_mul(2).wrapping_add(1));
        // Lemire's multiply-shift: an index in 0..len from the high bits.
        let index = ((which as u128 * self.faults.len() as u128) >> 64) as usize;
        Err(self.faults[index])
    }

    /// How many draws were taken so far (by `inject` and `inject_blocking`).
    ///
    /// ```
    /// use resilience_core::chaos::Chaos;
    ///
    /// let chaos = Chaos::builder().build().unwrap();
    /// let _ = chaos.inject_blocking();
    /// let _ = chaos.inject_blocking();
    /// assert_eq!(chaos.draws(), 2);
    /// ```
    pub fn draws(&self) -> u64 {
        self.draws.load(Ordering::Relaxed)
    }

    /// The seed.
    ///
    /// ```
    /// # use resilience_core::chaos::Chaos;
    /// assert_eq!(Chaos::builder().seed(5).build().unwrap().seed(), 5);
    /// ```
    pub const fn seed(&self) -> u64 {
        self.seed
    }

    /// The probability that a draw fails.
    ///
    /// ```
    /// # use resilience_core::chaos::Chaos;
    /// assert_eq!(Chaos::builder().build().unwrap().failure_rate(), 0.5);
    /// ```
    pub const fn failure_rate(&self) -> f64 {
        self.failure_rate
    }

    /// The latency every injection waits.
    ///
    /// ```
    /// # use resilience_core::chaos::Chaos;
    /// assert!(Chaos::builder().build().unwrap().latency().is_zero());
    /// ```
    pub const fn latency(&self) -> Duration {
        self.latency
    }

    /// The faults a failing draw picks from.
    ///
    /// ```
    /// # use resilience_core::chaos::{Chaos, Fault};
    /// let chaos = Chaos::builder().faults(&[Fault::Network]).build().unwrap();
    /// assert_eq!(chaos.faults(), &[Fault::Network]);
    /// ```
    pub const fn faults(&self) -> &'static [Fault] {
        self.faults
    }

    fn draw(&self) -> Result<(), Fault> {
        let n = self.draws.fetch_add(1, Ordering::Relaxed);
        let outcome = self.outcome(n);
        if let Err(fault) = &outcome {
            tracing::debug!(target: "resilience", draw = n, fault = %fault, "chaos injected a fault");
        }
        outcome
    }
}

/// The `k`th draw (0-based) of the generator seeded with `seed`.
const fn splitmix64(seed: u64, k: u64) -> u64 {
    crate::splitmix::nth(seed, k.wrapping_add(1))
}
