//! The tower stack of the `tower_axum` example around a real axum server on 127.0.0.1,
//! driven by a real hyper client: counts on both sides must add up. Real clock, short
//! waits (tens of milliseconds); the exact instants are tested in `tower_table.rs`.

use resilience_ecosystem::llm_client as client;
use resilience_ecosystem::upstream;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use resilience::{CircuitBreaker, CircuitOpen, State};
use tower::{Service, ServiceExt};

fn breaker(name: &'static str, threshold: u32) -> Arc<CircuitBreaker> {
    Arc::new(
        CircuitBreaker::builder()
            .name(name)
            .threshold(threshold)
            .recovery(Duration::from_secs(60))
            .build()
            .unwrap(),
    )
}

#[tokio::test]
async fn two_503s_are_retried_and_the_third_request_answers() {
    let upstream = upstream::start(2).await.unwrap();
    let breaker = breaker("loopback_retry", 5);
    let mut client = client::llm_client(
        upstream.addr,
        breaker.clone(),
        Duration::from_millis(10),
        Duration::from_secs(5),
    );
    let answer = client
        .ready()
        .await
        .unwrap()
        .call("hello".into())
        .await
        .unwrap();
    assert_eq!(answer, "5 characters");
    assert_eq!(upstream.requests.load(Ordering::SeqCst), 3);
    let stats = breaker.stats();
    assert_eq!(
        (stats.calls, stats.failures, stats.successes, stats.rejected),
        (3, 2, 1, 0)
    );
    assert_eq!(breaker.state(), State::Closed);
}

#[tokio::test]
async fn an_open_breaker_stops_the_retries_without_calling_the_server() {
    let upstream = upstream::start(u32::MAX).await.unwrap();
    let breaker = breaker("loopback_open", 2);
    let mut client = client::llm_client(
        upstream.addr,
        breaker.clone(),
        Duration::from_millis(10),
        Duration::from_secs(5),
    );
    let error = client
        .ready()
        .await
        .unwrap()
        .call("hello".into())
        .await
        .unwrap_err();
    // Two 503s open the breaker; its 60s `retry_in`, over the backoff's 10s `max`,
    // makes the retry give up at once with the rejection.
    let open = error
        .downcast_ref::<CircuitOpen>()
        .expect("the breaker's rejection");
    assert_eq!(open.name(), "loopback_open");
    assert_eq!(upstream.requests.load(Ordering::SeqCst), 2);
    let stats = breaker.stats();
    assert_eq!((stats.calls, stats.failures, stats.rejected), (3, 2, 1));
    assert_eq!(breaker.state(), State::Open);
}

#[tokio::test]
async fn the_deadline_covers_each_attempt_against_a_server_that_never_answers() {
    // A listener that accepts and never answers: every attempt hits the deadline.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counter = accepted.clone();
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(stream);
        }
    });
    let breaker = breaker("loopback_deadline", 10);
    let mut client = client::llm_client(
        addr,
        breaker.clone(),
        Duration::from_millis(5),
        Duration::from_millis(50),
    );
    let started = std::time::Instant::now();
    let error = client
        .ready()
        .await
        .unwrap()
        .call("hello".into())
        .await
        .unwrap_err();
    assert!(
        error.downcast_ref::<resilience::TimedOut>().is_some(),
        "{error}"
    );
    // Four attempts of 50ms and three waits (5, 10, 20ms): about 235ms.
    assert!(
        started.elapsed() >= Duration::from_millis(235),
        "{:?}",
        started.elapsed()
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(accepted.load(Ordering::SeqCst), 4);
    assert_eq!(breaker.stats().failures, 4);
    server.abort();
}

#[tokio::test]
async fn the_axum_app_answers_through_its_resilient_client() {
    let upstream = upstream::start(1).await.unwrap();
    let client = client::llm_client(
        upstream.addr,
        breaker("loopback_app", 5),
        Duration::from_millis(10),
        Duration::from_secs(5),
    );
    let app = axum::Router::new().route(
        "/ask",
        axum::routing::post(
            |axum::extract::State(mut client): axum::extract::State<client::LlmClient>,
             prompt: String| async move {
                match client.ready().await {
                    Ok(ready) => ready.call(prompt).await.unwrap_or_else(|e| e.to_string()),
                    Err(e) => e.to_string(),
                }
            },
        ),
    );
    let app = app.with_state(client);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    let request = hyper::Request::post("/ask")
        .header(hyper::header::HOST, addr.to_string())
        .body(http_body_util::Full::new(hyper::body::Bytes::from("four")))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(&body[..], b"4 characters");
    assert_eq!(upstream.requests.load(Ordering::SeqCst), 2);
}
