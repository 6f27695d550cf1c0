//! `#[circuit]`: the exercise's state machine, exact on tokio's paused clock.
mod common;

use std::sync::atomic::{AtomicBool, Ordering};

use common::{ApiError, Calls, secs};
use resilience::{CircuitBreaker, State, Stats, circuit, registry};
use tokio::time::{Instant, advance};

static CALLS: Calls = Calls::new();
static HEALTHY: AtomicBool = AtomicBool::new(false);

#[circuit(threshold = 3, recovery = 30s, success_threshold = 2, name = "llm")]
async fn llm(prompt: &str) -> Result<String, ApiError> {
    CALLS.hit();
    if HEALTHY.load(Ordering::SeqCst) {
        Ok(prompt.to_owned())
    } else {
        Err(ApiError::Network)
    }
}

fn stats(calls: u64, successes: u64, failures: u64, rejected: u64) -> Stats {
    Stats {
        calls,
        successes,
        failures,
        rejected,
    }
}

#[tokio::test(start_paused = true)]
async fn the_exercise_trace() {
    // Attempts 1-3 fail and open the circuit.
    for _ in 0..3 {
        assert_eq!(llm("q").await, Err(ApiError::Network));
    }
    let breaker = registry::circuit("llm").expect("registered on first call");
    assert_eq!(breaker.state(), State::Open);
    assert_eq!(breaker.stats(), stats(3, 0, 3, 0));

    // Attempts 4-5 are blocked without calling the body.
    advance(secs(10.0)).await;
    let Err(ApiError::Open(open)) = llm("q").await else {
        panic!("expected a rejection");
    };
    assert_eq!(open.name(), "llm");
    assert_eq!(open.retry_in(), secs(20.0));
    assert!(matches!(llm("q").await, Err(ApiError::Open(_))));
    assert_eq!(CALLS.count(), 3);
    assert_eq!(breaker.stats(), stats(5, 0, 3, 2));

    // 30 seconds later: half-open probes; two successes close it.
    advance(secs(20.0)).await;
    HEALTHY.store(true, Ordering::SeqCst);
    assert_eq!(llm("a").await.unwrap(), "a");
    assert_eq!(breaker.state(), State::HalfOpen);
    assert_eq!(llm("b").await.unwrap(), "b");
    assert_eq!(breaker.state(), State::Closed);
    assert_eq!(breaker.stats(), stats(7, 2, 3, 2));
    assert_eq!(CALLS.count(), 5);
}

#[tokio::test(start_paused = true)]
async fn a_failed_probe_reopens_for_a_fresh_recovery_period() {
    static DOWN: Calls = Calls::new();
    #[circuit(threshold = 1, recovery = 5s)]
    async fn down() -> Result<(), ApiError> {
        DOWN.hit();
        Err(ApiError::Network)
    }
    let _ = down().await;
    advance(secs(5.0)).await;
    let probe_at = Instant::now();
    assert_eq!(down().await, Err(ApiError::Network));
    let Err(ApiError::Open(open)) = down().await else {
        panic!("expected a rejection");
    };
    assert_eq!(open.retry_in(), secs(5.0) - probe_at.elapsed());
    assert_eq!(DOWN.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn uncounted_errors_pass_through_and_count_as_neither() {
    #[circuit(threshold = 2, on = ApiError::Network, name = "filtered")]
    async fn malformed() -> Result<(), ApiError> {
        Err(ApiError::Malformed)
    }
    for _ in 0..5 {
        assert_eq!(malformed().await, Err(ApiError::Malformed));
    }
    let breaker = registry::circuit("filtered").unwrap();
    assert_eq!(breaker.state(), State::Closed);
    assert_eq!(breaker.stats().failures, 0);
}

#[tokio::test(start_paused = true)]
async fn the_default_name_is_the_function_path() {
    #[circuit]
    async fn named_by_default() -> Result<(), ApiError> {
        Ok(())
    }
    named_by_default().await.unwrap();
    let name = concat!(module_path!(), "::named_by_default");
    assert_eq!(registry::circuit(name).unwrap().stats().successes, 1);
}

struct Provider {
    breaker: CircuitBreaker,
    up: bool,
}

impl Provider {
    #[circuit(breaker = &self.breaker)]
    async fn call(&self) -> Result<u32, ApiError> {
        if self.up {
            Ok(1)
        } else {
            Err(ApiError::Network)
        }
    }

    #[circuit(breaker = &self.breaker)]
    fn call_blocking(&mut self) -> Result<u32, ApiError> {
        self.up = !self.up;
        if self.up {
            Ok(2)
        } else {
            Err(ApiError::Network)
        }
    }
}

#[tokio::test(start_paused = true)]
async fn per_instance_breakers_are_independent() {
    let build = || CircuitBreaker::builder().threshold(1).build().unwrap();
    let down = Provider {
        breaker: build(),
        up: false,
    };
    let up = Provider {
        breaker: build(),
        up: true,
    };
    let _ = down.call().await;
    assert!(matches!(down.call().await, Err(ApiError::Open(_))));
    assert_eq!(up.call().await, Ok(1));
    assert_eq!(down.breaker.state(), State::Open);
    assert_eq!(up.breaker.state(), State::Closed);
}

#[test]
fn blocking_functions_use_the_breaker_too() {
    let mut provider = Provider {
        breaker: CircuitBreaker::builder().threshold(2).build().unwrap(),
        up: true,
    };
    assert_eq!(provider.call_blocking(), Err(ApiError::Network));
    assert_eq!(provider.call_blocking(), Ok(2));
    assert_eq!(provider.breaker.stats(), stats(2, 1, 1, 0));
}
