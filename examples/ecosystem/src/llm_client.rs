//! The outbound LLM client as a tower stack: a plain hyper HTTP/1 client service,
//! wrapped in resilience's layers with `ServiceBuilder`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use resilience::CircuitBreaker;
use resilience::backoff::{Backoff, Jitter};
use resilience::retry::RetryPolicy;
use resilience::tower::{BoxError, CircuitLayer, RetryLayer, TimeoutLayer, circuit_retry_in};
use tower::util::BoxCloneSyncService;
use tower::{ServiceBuilder, service_fn};

/// A status the server answered that is not a success.
#[derive(Debug)]
pub struct Status(pub u16);

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LLM API answered {}", self.0)
    }
}

impl std::error::Error for Status {}

/// Worth another attempt: a 429 / 5xx answer, or no answer at all (connection, deadline).
pub fn transient(error: &BoxError) -> bool {
    match error.downcast_ref::<Status>() {
        Some(Status(code)) => *code == 429 || *code >= 500,
        None => true,
    }
}

/// One `POST /v1/complete` over a fresh connection; a non-2xx status is an error.
async fn complete(addr: SocketAddr, prompt: String) -> Result<String, BoxError> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = hyper::Request::post("/v1/complete")
        .header(hyper::header::HOST, addr.to_string())
        .body(Full::new(Bytes::from(prompt)))?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        return Err(Status(status.as_u16()).into());
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// The client type the handler holds: cloneable, `Send + Sync`, any stack inside.
pub type LlmClient = BoxCloneSyncService<String, String, BoxError>;

/// The stack, outermost first: retry transient failures (waiting out an open breaker's
/// `retry_in`), a breaker shared by every clone, a deadline per attempt.
pub fn llm_client(
    addr: SocketAddr,
    breaker: Arc<CircuitBreaker>,
    base: Duration,
    deadline: Duration,
) -> LlmClient {
    let backoff = Backoff::exponential()
        .base(base)
        .jitter(Jitter::None)
        .build()
        .expect("valid backoff");
    let policy = RetryPolicy::builder()
        .attempts(4)
        .backoff(backoff)
        .build()
        .expect("valid policy");
    let stack = ServiceBuilder::new()
        .layer(
            RetryLayer::new(policy)
                .name("tower_axum::llm")
                .when(transient)
                .retry_after(|e: &BoxError| circuit_retry_in(e)),
        )
        .layer(
            CircuitLayer::new(breaker)
                .name("tower_axum::llm")
                .when(transient),
        )
        .layer(TimeoutLayer::new(deadline).name("tower_axum::llm"))
        .service(service_fn(move |prompt: String| complete(addr, prompt)));
    BoxCloneSyncService::new(stack)
}
