//! An axum handler whose outbound LLM client is a tower stack of resilience layers.
//!
//! `cargo run -p resilience-ecosystem --example tower_axum`: starts a stand-in LLM API that
//! fails its first two requests with 503, and an axum app whose `/ask` handler calls it
//! through `RetryLayer` + `CircuitLayer` + `TimeoutLayer`; then asks once and prints
//! what happened. Everything runs on 127.0.0.1 and stops by itself.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use resilience::CircuitBreaker;
use resilience_ecosystem::llm_client::{LlmClient, llm_client};
use resilience_ecosystem::upstream;
use tower::{Service, ServiceExt};

/// `POST /ask`: the prompt goes to the LLM through the resilient client.
async fn ask(State(client): State<LlmClient>, prompt: String) -> (StatusCode, String) {
    let mut client = client;
    let answer = match client.ready().await {
        Ok(ready) => ready.call(prompt).await,
        Err(error) => Err(error),
    };
    match answer {
        Ok(answer) => (StatusCode::OK, answer),
        Err(error) => (StatusCode::BAD_GATEWAY, error.to_string()),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let upstream = upstream::start(2).await?;
    let breaker = Arc::new(CircuitBreaker::builder().name("llm").threshold(5).build()?);
    let client = llm_client(
        upstream.addr,
        breaker.clone(),
        Duration::from_millis(50),
        Duration::from_secs(2),
    );
    let app = axum::Router::new()
        .route("/ask", post(ask))
        .with_state(client);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });

    // Ask the app once, as its users would (a plain hyper client, no resilience).
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = hyper::Request::post("/ask")
        .header(hyper::header::HOST, addr.to_string())
        .body(http_body_util::Full::new(hyper::body::Bytes::from(
            "Summarise the tower docs",
        )))?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await?
        .to_bytes();
    println!("POST /ask -> {status}: {}", String::from_utf8_lossy(&body));
    println!(
        "the LLM API saw {} requests (2 answered 503, retried); breaker: {:?}, {:?}",
        upstream.requests.load(Ordering::SeqCst),
        breaker.state(),
        breaker.stats(),
    );
    Ok(())
}
