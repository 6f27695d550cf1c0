//! Metrics (feature `metrics`) as an operator sees them: the Prometheus text that
//! `metrics-exporter-prometheus` renders, scraped from `/metrics` after a scripted run.

use resilience_ecosystem::metrics_app as app;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use http_body_util::BodyExt;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use resilience::retry;

/// One recorder for the whole test binary (the recorder is process-global); each test
/// reads only the series of its own pipelines.
fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).expect("the only recorder");
            handle
        })
        .clone()
}

/// `series{labels} value` lines whose series and labels contain every `filter`.
fn values(text: &str, filters: &[&str]) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && filters.iter().all(|f| line.contains(f)))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            Some((series.to_owned(), value.parse().ok()?))
        })
        .collect()
}

async fn scrape(handle: PrometheusHandle) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app::router(handle)).await });
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    let request = hyper::Request::get("/metrics")
        .header(hyper::header::HOST, addr.to_string())
        .body(http_body_util::Empty::<hyper::body::Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    server.abort();
    String::from_utf8(body.to_vec()).unwrap()
}

#[tokio::test]
async fn scraped_counts_match_the_scripted_run() {
    let handle = handle();
    app::script().await;
    let text = scrape(handle).await;
    let pipeline = |f: &str| format!("pipeline_name=\"resilience_ecosystem::metrics_app::{f}\"");

    let events = |f: &str| values(&text, &["resilience_events{", &pipeline(f)]);
    assert_eq!(
        events("flaky"),
        BTreeMap::from([(
            format!(
                "resilience_events{{event_name=\"retry\",{},strategy_name=\"retry\"}}",
                pipeline("flaky")
            ),
            2.0
        )])
    );
    let down = events("down");
    assert_eq!(down.len(), 2, "{down:?}");
    assert_eq!(
        down.iter()
            .find(|(k, _)| k.contains("circuit_opened"))
            .unwrap()
            .1,
        &1.0
    );
    assert_eq!(
        down.iter()
            .find(|(k, _)| k.contains("circuit_rejected"))
            .unwrap()
            .1,
        &1.0
    );
    let slow = events("slow");
    assert_eq!(
        slow.values().copied().collect::<Vec<_>>(),
        [1.0],
        "{slow:?}"
    );
    assert!(slow.keys().all(|k| k.contains("event_name=\"timeout\"")));

    assert_eq!(
        values(
            &text,
            &["resilience_circuit_state{circuit_name=\"metrics_demo\"}"]
        )
        .into_values()
        .collect::<Vec<_>>(),
        [1.0]
    );
    assert_eq!(
        values(
            &text,
            &["resilience_circuit_state{circuit_name=\"metrics_quiet\"}"]
        )
        .into_values()
        .collect::<Vec<_>>(),
        [0.0],
        "a breaker that never moved (never called) has its gauge from the scrape"
    );

    // Attempts: flaky 2 failures + 1 success; down 2 failures (the rejected call made
    // none); slow 1 timeout. Whole calls: flaky 1 success, down 3 and slow 1 failures.
    let count = |series: &str, f: &str, outcome: &str| {
        let found = values(
            &text,
            &[
                &format!("{series}_count{{"),
                &pipeline(f),
                &format!("outcome=\"{outcome}\""),
            ],
        );
        found.into_values().sum::<f64>()
    };
    assert_eq!(
        count("resilience_attempt_duration", "flaky", "failure"),
        2.0
    );
    assert_eq!(
        count("resilience_attempt_duration", "flaky", "success"),
        1.0
    );
    assert_eq!(count("resilience_attempt_duration", "down", "failure"), 2.0);
    assert_eq!(count("resilience_attempt_duration", "slow", "timeout"), 1.0);
    assert_eq!(
        count("resilience_pipeline_duration", "flaky", "success"),
        1.0
    );
    assert_eq!(
        count("resilience_pipeline_duration", "down", "failure"),
        3.0
    );
    assert_eq!(
        count("resilience_pipeline_duration", "slow", "failure"),
        1.0
    );
}

#[derive(Debug, PartialEq)]
struct Overloaded;

static SLOW_CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// 250ms per attempt, fails twice: attempts at 0, 1.25s and 3.5s.
#[retry(attempts = 3, base = 1s, jitter = "none")]
async fn timed() -> Result<u32, Overloaded> {
    tokio::time::sleep(Duration::from_millis(250)).await;
    match SLOW_CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
        0 | 1 => Err(Overloaded),
        n => Ok(n),
    }
}

#[tokio::test(start_paused = true)]
async fn durations_are_exact_on_the_paused_clock() {
    let handle = handle();
    assert_eq!(timed().await, Ok(2));
    let text = handle.render();
    let sum = |series: &str, outcome: &str| {
        values(
            &text,
            &[
                &format!("{series}_sum{{"),
                "metrics_prometheus::timed\"",
                &format!("outcome=\"{outcome}\""),
            ],
        )
        .into_values()
        .sum::<f64>()
    };
    assert_eq!(sum("resilience_attempt_duration", "failure"), 0.5);
    assert_eq!(sum("resilience_attempt_duration", "success"), 0.25);
    // 0.25 + 1s wait + 0.25 + 2s wait + 0.25.
    assert_eq!(sum("resilience_pipeline_duration", "success"), 3.75);
}

#[tokio::test(start_paused = true)]
async fn a_tower_layer_counts_under_its_own_name() {
    use resilience::backoff::{Backoff, Jitter};
    use resilience::retry::RetryPolicy;
    use resilience::tower::RetryLayer;
    use tower::{Service, ServiceExt};

    let handle = handle();
    let backoff = Backoff::fixed().jitter(Jitter::None).build().unwrap();
    let policy = RetryPolicy::builder()
        .attempts(3)
        .backoff(backoff)
        .build()
        .unwrap();
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counted = calls.clone();
    let mut service = tower::ServiceBuilder::new()
        .layer(RetryLayer::new(policy).name("metrics_tower"))
        .service(tower::service_fn(move |_: ()| {
            let n = counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move { if n == 0 { Err(Overloaded) } else { Ok(n) } }
        }));
    assert_eq!(service.ready().await.unwrap().call(()).await, Ok(1));
    let text = handle.render();
    let events = values(
        &text,
        &["resilience_events{", "pipeline_name=\"metrics_tower\""],
    );
    assert_eq!(events.into_values().collect::<Vec<_>>(), [1.0]);
    let attempts = values(
        &text,
        &[
            "resilience_attempt_duration_count{",
            "pipeline_name=\"metrics_tower\"",
        ],
    );
    assert_eq!(attempts.into_values().sum::<f64>(), 2.0);
}

static HEDGED_CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// The first copy takes 3s, the second (started at 1s) answers at once.
#[resilience::hedge(after = 1s)]
async fn hedged() -> Result<u32, Overloaded> {
    let n = HEDGED_CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    if n == 0 {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    Ok(n)
}

#[tokio::test(start_paused = true)]
async fn a_hedged_call_is_one_call_whose_copies_are_attempts() {
    let handle = handle();
    assert_eq!(hedged().await, Ok(1));
    let text = handle.render();
    let series = |series: &str, outcome: &str| {
        values(
            &text,
            &[
                &format!("{series}{{"),
                "metrics_prometheus::hedged\"",
                &format!("outcome=\"{outcome}\""),
            ],
        )
        .into_values()
        .sum::<f64>()
    };
    // One whole call of 1s, timed once (not again by the part below the fork).
    assert_eq!(series("resilience_pipeline_duration_count", "success"), 1.0);
    assert_eq!(series("resilience_pipeline_duration_sum", "success"), 1.0);
    // The winning copy's call (the loser was dropped unfinished) and the race itself.
    assert_eq!(series("resilience_attempt_duration_count", "success"), 2.0);
    let events = values(
        &text,
        &["resilience_events{", "metrics_prometheus::hedged\""],
    );
    assert_eq!(events.into_values().collect::<Vec<_>>(), [1.0]);
}
