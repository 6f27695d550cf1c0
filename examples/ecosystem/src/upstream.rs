//! A stand-in LLM API on loopback: `POST /v1/complete` answers `503` to the first
//! `fail_first` requests, then echoes the prompt's length; each request is counted.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;

/// The running stand-in: where it listens and how many requests it has had.
pub struct Upstream {
    /// Where it listens (127.0.0.1, a free port).
    pub addr: SocketAddr,
    /// Requests it has had so far.
    pub requests: Arc<AtomicU32>,
}

/// Starts the stand-in on 127.0.0.1 (a free port), failing its first `fail_first`
/// requests with `503 Service Unavailable`.
pub async fn start(fail_first: u32) -> std::io::Result<Upstream> {
    let requests = Arc::new(AtomicU32::new(0));
    let app = axum::Router::new()
        .route("/v1/complete", post(complete))
        .with_state((requests.clone(), fail_first));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Upstream { addr, requests })
}

async fn complete(
    State((requests, fail_first)): State<(Arc<AtomicU32>, u32)>,
    prompt: String,
) -> (StatusCode, String) {
    let n = requests.fetch_add(1, Ordering::SeqCst);
    if n < fail_first {
        (StatusCode::SERVICE_UNAVAILABLE, "overloaded".into())
    } else {
        (StatusCode::OK, format!("{} characters", prompt.len()))
    }
}
