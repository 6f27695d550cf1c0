//! One table of scenarios, each run through the attribute and through the tower layer
//! built from the same settings: the outcomes, the call counts and the instants of the
//! calls must be equal (and equal to what the scenario expects), on tokio's paused clock.

use std::collections::VecDeque;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use resilience::tower::{
    BulkheadLayer, CircuitLayer, FallbackLayer, RateLimitLayer, RetryLayer, TimeoutLayer,
};
use resilience::{
    Bulkhead, BulkheadFull, CircuitBreaker, CircuitOpen, RateLimited, RateLimiter, TimedOut,
    backoff::{Backoff, Jitter},
    bulkhead, circuit, fallback, rate_limit, retry,
    retry::RetryPolicy,
    timeout,
};
use tokio::time::Instant;
use tower::{Service, ServiceBuilder, ServiceExt, service_fn};

#[derive(Clone, Debug, PartialEq)]
enum ApiError {
    Network,
    Fatal,
    Open,
    TimedOut,
    Limited,
    Full,
}

impl From<CircuitOpen> for ApiError {
    fn from(_: CircuitOpen) -> Self {
        ApiError::Open
    }
}
impl From<TimedOut> for ApiError {
    fn from(_: TimedOut) -> Self {
        ApiError::TimedOut
    }
}
impl From<RateLimited> for ApiError {
    fn from(_: RateLimited) -> Self {
        ApiError::Limited
    }
}
impl From<BulkheadFull> for ApiError {
    fn from(_: BulkheadFull) -> Self {
        ApiError::Full
    }
}

fn transient(e: &ApiError) -> bool {
    *e == ApiError::Network
}

/// One scripted answer: how long the call takes, then what it returns.
type Answer = (u64, Result<u32, ApiError>);

/// A scripted backend: answers in order (the last one repeats), and the instant (ms
/// since the scenario started) of every call.
#[derive(Clone)]
struct Script {
    start: Instant,
    answers: Arc<Mutex<VecDeque<Answer>>>,
    calls: Arc<Mutex<Vec<u64>>>,
}

impl Script {
    fn new(answers: &[Answer]) -> Self {
        Script {
            start: Instant::now(),
            answers: Arc::new(Mutex::new(answers.iter().cloned().collect())),
            calls: Arc::default(),
        }
    }

    async fn call(&self) -> Result<u32, ApiError> {
        let now = self.start.elapsed().as_millis() as u64;
        self.calls.lock().unwrap().push(now);
        let (ms, answer) = {
            let mut answers = self.answers.lock().unwrap();
            if answers.len() > 1 {
                answers.pop_front().unwrap()
            } else {
                answers[0].clone()
            }
        };
        tokio::time::sleep(Duration::from_millis(ms)).await;
        answer
    }

    fn calls(&self) -> Vec<u64> {
        self.calls.lock().unwrap().clone()
    }

    /// The script as a tower service.
    fn service(
        &self,
    ) -> impl Service<u32, Response = u32, Error = ApiError, Future: Send> + Clone + Send + 'static
    {
        let script = self.clone();
        service_fn(move |_: u32| {
            let script = script.clone();
            async move { script.call().await }
        })
    }
}

/// What one run of a scenario saw: each call's result, and the backend's call instants.
#[derive(Debug, PartialEq)]
struct Run {
    results: Vec<(u64, Result<u32, ApiError>)>,
    calls: Vec<u64>,
}

/// Calls `call` `times` times in a row, recording when each result came back.
async fn sequential<F: std::future::Future<Output = Result<u32, ApiError>>>(
    script: &Script,
    times: usize,
    gap_ms: u64,
    mut call: impl FnMut() -> F,
) -> Run {
    let mut results = Vec::new();
    for _ in 0..times {
        let result = call().await;
        results.push((script.start.elapsed().as_millis() as u64, result));
        tokio::time::sleep(Duration::from_millis(gap_ms)).await;
    }
    Run {
        results,
        calls: script.calls(),
    }
}

/// One call through a clone of `service`, as a handler holding a cloned client makes it.
async fn through<S>(mut service: S) -> Result<u32, ApiError>
where
    S: Service<u32, Response = u32, Error = ApiError>,
{
    service.ready().await?.call(0).await
}

const EXP_1S: Backoff = resilience::ConfigError::unwrap_const(
    Backoff::exponential()
        .base(Duration::from_secs(1))
        .jitter(Jitter::None)
        .build(),
);

fn policy(attempts: u32) -> RetryPolicy {
    RetryPolicy::builder()
        .attempts(attempts)
        .backoff(EXP_1S)
        .build()
        .unwrap()
}

// ---- retry -------------------------------------------------------------------------

static RETRY_OK: LazyLock<Mutex<Option<Script>>> = LazyLock::new(Mutex::default);

#[retry(attempts = 4, base = 1s, jitter = "none", when = transient)]
async fn retried() -> Result<u32, ApiError> {
    let script = RETRY_OK.lock().unwrap().clone().unwrap();
    script.call().await
}

async fn retry_case(answers: &[Answer], expected: Run) {
    let script = Script::new(answers);
    *RETRY_OK.lock().unwrap() = Some(script.clone());
    let by_attribute = sequential(&script, 1, 0, retried).await;

    let script = Script::new(answers);
    let service = ServiceBuilder::new()
        .layer(RetryLayer::new(policy(4)).when(transient))
        .service(script.service());
    let by_layer = sequential(&script, 1, 0, || through(service.clone())).await;
    assert_eq!(by_attribute, expected, "attribute");
    assert_eq!(by_layer, expected, "layer");
}

#[tokio::test(start_paused = true)]
async fn retry_succeeds_after_two_failures_at_0_1_3() {
    let answers = [
        (0, Err(ApiError::Network)),
        (0, Err(ApiError::Network)),
        (0, Ok(7)),
    ];
    let expected = Run {
        results: vec![(3000, Ok(7))],
        calls: vec![0, 1000, 3000],
    };
    retry_case(&answers, expected).await;
}

#[tokio::test(start_paused = true)]
async fn retry_gives_up_after_four_calls_with_the_last_error() {
    let answers = [(10, Err(ApiError::Network))];
    let expected = Run {
        results: vec![(7040, Err(ApiError::Network))],
        calls: vec![0, 1010, 3020, 7030],
    };
    retry_case(&answers, expected).await;
}

#[tokio::test(start_paused = true)]
async fn retry_returns_an_error_it_does_not_retry_at_once() {
    let answers = [(5, Err(ApiError::Fatal))];
    let expected = Run {
        results: vec![(5, Err(ApiError::Fatal))],
        calls: vec![0],
    };
    retry_case(&answers, expected).await;
}

// ---- retry around a per-attempt timeout ----------------------------------------------

static RETRY_TIMEOUT: LazyLock<Mutex<Option<Script>>> = LazyLock::new(Mutex::default);

#[retry(attempts = 3, base = 1s, jitter = "none")]
#[timeout(1s)]
async fn retried_with_deadline() -> Result<u32, ApiError> {
    let script = RETRY_TIMEOUT.lock().unwrap().clone().unwrap();
    script.call().await
}

#[tokio::test(start_paused = true)]
async fn retry_over_timeout_retries_each_expired_attempt() {
    let answers = [(2000, Ok(1)), (2000, Ok(2)), (100, Ok(3))];
    let script = Script::new(&answers);
    *RETRY_TIMEOUT.lock().unwrap() = Some(script.clone());
    let by_attribute = sequential(&script, 1, 0, retried_with_deadline).await;

    let script = Script::new(&answers);
    let service = ServiceBuilder::new()
        .layer(RetryLayer::new(policy(3)))
        .layer(TimeoutLayer::new(Duration::from_secs(1)))
        .service(script.service());
    let by_layer = sequential(&script, 1, 0, || through(service.clone())).await;

    // Attempt 1 expires at 1s, waits 1s; attempt 2 at 2s expires at 3s, waits 2s;
    // attempt 3 at 5s answers 100ms later.
    let expected = Run {
        results: vec![(5100, Ok(3))],
        calls: vec![0, 2000, 5000],
    };
    assert_eq!(by_attribute, expected, "attribute");
    assert_eq!(by_layer, expected, "layer");
}

// ---- timeout -----------------------------------------------------------------------

static TIMEOUT: LazyLock<Mutex<Option<Script>>> = LazyLock::new(Mutex::default);

#[timeout(1s)]
async fn bounded() -> Result<u32, ApiError> {
    let script = TIMEOUT.lock().unwrap().clone().unwrap();
    script.call().await
}

#[tokio::test(start_paused = true)]
async fn timeout_expires_a_slow_call_and_passes_a_fast_one() {
    let answers = [(1500, Ok(1)), (999, Ok(2))];
    let script = Script::new(&answers);
    *TIMEOUT.lock().unwrap() = Some(script.clone());
    let by_attribute = sequential(&script, 2, 0, bounded).await;

    let script = Script::new(&answers);
    let service = ServiceBuilder::new()
        .layer(TimeoutLayer::new(Duration::from_secs(1)))
        .service(script.service());
    let by_layer = sequential(&script, 2, 0, || through(service.clone())).await;

    let expected = Run {
        results: vec![(1000, Err(ApiError::TimedOut)), (1999, Ok(2))],
        calls: vec![0, 1000],
    };
    assert_eq!(by_attribute, expected, "attribute");
    assert_eq!(by_layer, expected, "layer");
}

// ---- circuit -----------------------------------------------------------------------

static CIRCUIT: LazyLock<Mutex<Option<Script>>> = LazyLock::new(Mutex::default);

#[circuit(threshold = 2, recovery = 10s, success_threshold = 1, name = "table_attr")]
async fn guarded() -> Result<u32, ApiError> {
    let script = CIRCUIT.lock().unwrap().clone().unwrap();
    script.call().await
}

#[tokio::test(start_paused = true)]
async fn circuit_opens_after_two_failures_rejects_then_probes_after_recovery() {
    // Two failures open it; calls at 2s..8s are rejected without a call; the call at
    // 10s is the half-open probe, which succeeds and closes it.
    let answers = [
        (0, Err(ApiError::Network)),
        (0, Err(ApiError::Network)),
        (0, Ok(9)),
    ];
    let script = Script::new(&answers);
    *CIRCUIT.lock().unwrap() = Some(script.clone());
    let by_attribute = sequential(&script, 7, 2000, guarded).await;
    let attr_stats = resilience::registry::circuit("table_attr").unwrap().stats();

    let breaker = Arc::new(
        CircuitBreaker::builder()
            .name("table_layer")
            .threshold(2)
            .recovery(Duration::from_secs(10))
            .success_threshold(1)
            .build()
            .unwrap(),
    );
    let script = Script::new(&answers);
    let service = ServiceBuilder::new()
        .layer(CircuitLayer::new(breaker.clone()))
        .service(script.service());
    let by_layer = sequential(&script, 7, 2000, || through(service.clone())).await;

    let open = Err(ApiError::Open);
    let expected = Run {
        results: vec![
            (0, Err(ApiError::Network)),
            (2000, Err(ApiError::Network)),
            (4000, open.clone()),
            (6000, open.clone()),
            (8000, open.clone()),
            (10000, open),
            (12000, Ok(9)),
        ],
        calls: vec![0, 2000, 12000],
    };
    assert_eq!(by_attribute, expected, "attribute");
    assert_eq!(by_layer, expected, "layer");
    assert_eq!(breaker.stats(), attr_stats);
    assert_eq!(breaker.stats().rejected, 4);
}

// ---- fallback ----------------------------------------------------------------------

static FALLBACK: LazyLock<Mutex<Option<Script>>> = LazyLock::new(Mutex::default);
static SPARE: LazyLock<Mutex<Option<Script>>> = LazyLock::new(Mutex::default);

#[fallback(agents = [spare], when = transient)]
async fn primary() -> Result<u32, ApiError> {
    let script = FALLBACK.lock().unwrap().clone().unwrap();
    script.call().await
}

async fn spare() -> Result<u32, ApiError> {
    let script = SPARE.lock().unwrap().clone().unwrap();
    script.call().await
}

#[tokio::test(start_paused = true)]
async fn fallback_serves_transient_failures_and_returns_others() {
    let answers = [
        (100, Err(ApiError::Network)),
        (100, Err(ApiError::Fatal)),
        (100, Ok(1)),
    ];
    let spares = [(50, Ok(42))];
    let (script, spare_script) = (Script::new(&answers), Script::new(&spares));
    *FALLBACK.lock().unwrap() = Some(script.clone());
    *SPARE.lock().unwrap() = Some(spare_script.clone());
    let by_attribute = sequential(&script, 3, 0, primary).await;
    let attribute_spare = spare_script.calls();

    let (script, spare_script) = (Script::new(&answers), Script::new(&spares));
    let service = ServiceBuilder::new()
        .layer(FallbackLayer::new("spare", spare_script.service()).when(transient))
        .service(script.service());
    let by_layer = sequential(&script, 3, 0, || through(service.clone())).await;

    let expected = Run {
        results: vec![(150, Ok(42)), (250, Err(ApiError::Fatal)), (350, Ok(1))],
        calls: vec![0, 150, 250],
    };
    assert_eq!(by_attribute, expected, "attribute");
    assert_eq!(by_layer, expected, "layer");
    assert_eq!(attribute_spare, vec![100]);
    assert_eq!(spare_script.calls(), vec![100]);
}

// ---- rate limit and bulkhead: concurrent callers -------------------------------------

/// Starts `n` calls at once and records when each ended.
async fn concurrent<F>(script: &Script, n: usize, call: impl Fn() -> F) -> Run
where
    F: std::future::Future<Output = Result<u32, ApiError>> + Send + 'static,
{
    let start = script.start;
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let call = call();
            tokio::spawn(async move {
                let result = call.await;
                (start.elapsed().as_millis() as u64, result)
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results.sort_by_key(|(at, _)| *at);
    Run {
        results,
        calls: script.calls(),
    }
}

static LIMITED: LazyLock<Mutex<Option<Script>>> = LazyLock::new(Mutex::default);

#[rate_limit(requests = 1, per = 2s, max_wait = 3s, name = "table_limit_attr")]
async fn paced() -> Result<u32, ApiError> {
    let script = LIMITED.lock().unwrap().clone().unwrap();
    script.call().await
}

#[tokio::test(start_paused = true)]
async fn rate_limit_paces_callers_two_seconds_apart_and_refuses_past_max_wait() {
    let answers = [(0, Ok(5))];
    let script = Script::new(&answers);
    *LIMITED.lock().unwrap() = Some(script.clone());
    let by_attribute = concurrent(&script, 3, paced).await;

    let limiter = Arc::new(
        RateLimiter::builder()
            .name("table_limit_layer")
            .requests(1)
            .per(Duration::from_secs(2))
            .max_wait(Duration::from_secs(3))
            .build()
            .unwrap(),
    );
    let script = Script::new(&answers);
    let service = ServiceBuilder::new()
        .layer(RateLimitLayer::new(limiter))
        .service(script.service());
    let by_layer = concurrent(&script, 3, || through(service.clone())).await;

    // The third caller would wait 4s, over max_wait: refused at once, never called.
    let expected = Run {
        results: vec![(0, Ok(5)), (0, Err(ApiError::Limited)), (2000, Ok(5))],
        calls: vec![0, 2000],
    };
    assert_eq!(by_attribute, expected, "attribute");
    assert_eq!(by_layer, expected, "layer");
}

static PARTITIONED: LazyLock<Mutex<Option<Script>>> = LazyLock::new(Mutex::default);

#[bulkhead(max = 1, queue = 1, name = "table_bulkhead_attr")]
async fn partitioned() -> Result<u32, ApiError> {
    let script = PARTITIONED.lock().unwrap().clone().unwrap();
    script.call().await
}

#[tokio::test(start_paused = true)]
async fn bulkhead_runs_one_queues_one_and_sheds_the_third() {
    let answers = [(1000, Ok(6))];
    let script = Script::new(&answers);
    *PARTITIONED.lock().unwrap() = Some(script.clone());
    let by_attribute = concurrent(&script, 3, partitioned).await;

    let bulkhead = Arc::new(
        Bulkhead::builder()
            .name("table_bulkhead_layer")
            .max(1)
            .queue(1)
            .build()
            .unwrap(),
    );
    let script = Script::new(&answers);
    let service = ServiceBuilder::new()
        .layer(BulkheadLayer::new(bulkhead))
        .service(script.service());
    let by_layer = concurrent(&script, 3, || through(service.clone())).await;

    let expected = Run {
        results: vec![(0, Err(ApiError::Full)), (1000, Ok(6)), (2000, Ok(6))],
        calls: vec![0, 1000],
    };
    assert_eq!(by_attribute, expected, "attribute");
    assert_eq!(by_layer, expected, "layer");
}

// ---------------------------------------------------------------- hedge

const HEDGE_1S: resilience::hedge::HedgePolicy = resilience::ConfigError::unwrap_const(
    resilience::hedge::HedgePolicy::builder()
        .after(Duration::from_secs(1))
        .max(2)
        .build(),
);

static HEDGED: LazyLock<Mutex<Option<Script>>> = LazyLock::new(Mutex::default);

#[resilience::hedge(after = 1s, max = 2)]
async fn hedged() -> Result<u32, ApiError> {
    let script = HEDGED.lock().unwrap().clone().expect("a script");
    script.call().await
}

/// The first call stalls for 5 s; the copy started at 1 s answers at 2 s, and the stalled
/// one is dropped then: one answer, two calls, at 0 and 1 s.
#[tokio::test(start_paused = true)]
async fn hedge_starts_a_copy_after_one_second_and_the_first_answer_wins() {
    let answers = [(5_000, Ok(1)), (1_000, Ok(2))];
    let expected = Run {
        results: vec![(2_000, Ok(2))],
        calls: vec![0, 1_000],
    };

    let script = Script::new(&answers);
    *HEDGED.lock().unwrap() = Some(script.clone());
    let by_attribute = sequential(&script, 1, 0, hedged).await;
    assert_eq!(by_attribute, expected);

    let script = Script::new(&answers);
    let service = ServiceBuilder::new()
        .layer(resilience::tower::HedgeLayer::new(HEDGE_1S).name("hedged"))
        .service(script.service());
    let by_layer = sequential(&script, 1, 0, || through(service.clone())).await;
    assert_eq!(by_layer, expected);
}
