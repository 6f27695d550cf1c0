//! A fault-injecting, OpenAI-compatible chat server on loopback, for tests and demos.
//!
//! It serves `POST /v1/chat/completions` (and `POST /chat/completions`) on
//! `127.0.0.1:<free port>` and answers each request with the next [`Reply`] of a script:
//! a valid completion, malformed JSON, an error status with `Retry-After` in any form, a
//! reply that arrives late, a connection dropped without any reply, or a streamed reply
//! (`Reply::Stream`: server-sent events, with an error event, a stall or a cut part-way). When the script
//! runs out it answers a default. It records every request it received, in order.
//!
//! ```ignore
//! #[path = "../examples/openai_chat/fault_server.rs"] // from tests/; `mod fault_server;` beside it
//! mod fault_server;
//! use fault_server::{Reply, RetryAfterForm};
//!
//! let server = fault_server::start([
//!     Reply::rate_limited(RetryAfterForm::Seconds(1)),
//!     Reply::Drop,
//!     Reply::ok("Hello!"),
//! ])
//! .await;
//! // Point any OpenAI client at `server.base_url()`, e.g. http://127.0.0.1:41234/v1
//! assert_eq!(server.requests().len(), 0);
//! server.shutdown().await;
//! ```
//!
//! Guarantees that tests rely on:
//! - It binds 127.0.0.1 only: nothing it does reaches beyond loopback.
//! - Every reply is finite: a [`Reply::Slow`] chain ends, and nothing loops per request.
//! - It never logs or prints anything, and of the `Authorization` header it keeps only
//!   whether one was sent ([`Received::authorized`]), never its value.
//!
//! A real socket cannot use tokio's paused clock, so [`Reply::Slow`] sleeps for real:
//! keep its delays short (tens to a few hundred milliseconds) in tests.

// This file is a module shared by the `openai_chat` example and tests/fault_server.rs,
// and each of them uses only part of it.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

#[path = "fault_stream.rs"]
mod sse;
pub use sse::Sse;

/// The text of the default reply, sent once the script has run out.
pub const DEFAULT_TEXT: &str = "fault server: script finished";

/// How long [`FaultServer::shutdown`] waits for connections to close before aborting.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// How a [`Reply::Status`] states when to retry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RetryAfterForm {
    /// `Retry-After: <seconds>`.
    Seconds(u64),
    /// `retry-after-ms: <milliseconds>` (OpenAI's and Anthropic's extension).
    Millis(u64),
    /// `Retry-After: <HTTP-date>`. Must lie between 1970 and 9999.
    HttpDate(SystemTime),
    /// `Retry-After: <anything>`, for garbage, negative and huge values.
    Raw(String),
}

impl RetryAfterForm {
    /// An HTTP-date `after` from now (HTTP-dates have whole-second precision).
    pub fn date_in(after: Duration) -> Self {
        Self::HttpDate(SystemTime::now() + after)
    }

    /// An HTTP-date `ago` in the past.
    pub fn date_ago(ago: Duration) -> Self {
        Self::HttpDate(SystemTime::now() - ago)
    }

    fn header(&self) -> (HeaderName, String) {
        match self {
            Self::Seconds(secs) => (header::RETRY_AFTER, secs.to_string()),
            Self::Millis(ms) => (HeaderName::from_static("retry-after-ms"), ms.to_string()),
            Self::HttpDate(at) => (header::RETRY_AFTER, httpdate::fmt_http_date(*at)),
            Self::Raw(value) => (header::RETRY_AFTER, value.clone()),
        }
    }
}

/// What the server answers to one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `200 OK` with a valid `chat.completion` whose assistant message is this text.
    Ok(String),
    /// `200 OK`, `content-type: application/json`, and a body cut off mid-object.
    Malformed,
    /// `200 OK`, `content-type: application/json`, and this body as it is: JSON of the
    /// wrong shape, say.
    Body(String),
    /// An error status with an OpenAI-style error body, and optionally a retry delay.
    Status {
        /// The status code, e.g. 429, 500, 503, 529 (one outside 100-999 is sent as 500).
        code: u16,
        /// The `Retry-After` / `retry-after-ms` header to send, if any.
        retry_after: Option<RetryAfterForm>,
    },
    /// Wait `delay` (real time), then answer `then`.
    Slow {
        /// How long to wait before answering.
        delay: Duration,
        /// The answer after the wait.
        then: Box<Reply>,
    },
    /// Close the connection without sending any response.
    Drop,
    /// `200 OK` as server-sent events: a role chunk, these events, then `data: [DONE]`
    /// (see [`Sse`] for the faults a stream can have part-way).
    Stream(Vec<Sse>),
}

impl Reply {
    /// [`Reply::Ok`] with `text`.
    pub fn ok(text: impl Into<String>) -> Self {
        Self::Ok(text.into())
    }

    /// [`Reply::Status`] without a retry delay.
    pub fn status(code: u16) -> Self {
        Self::Status {
            code,
            retry_after: None,
        }
    }

    /// `429 Too Many Requests` with the delay in the given form.
    pub fn rate_limited(retry_after: RetryAfterForm) -> Self {
        Self::Status {
            code: 429,
            retry_after: Some(retry_after),
        }
    }

    /// [`Reply::Slow`]: `then`, after `delay`.
    pub fn slow(delay: Duration, then: Reply) -> Self {
        Self::Slow {
            delay,
            then: Box::new(then),
        }
    }
}

/// One chat message of a recorded request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// `system`, `user`, `assistant`, ...
    pub role: String,
    /// The text; for content given as parts, the text parts joined.
    pub content: String,
}

/// A request the server received, recorded on arrival (before any [`Reply::Slow`] wait).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// When it arrived, on tokio's clock.
    pub at: Instant,
    /// The request path, `/v1/chat/completions` or `/chat/completions`.
    pub path: String,
    /// The `model` field, if the body was JSON with one.
    pub model: Option<String>,
    /// The `messages` field; empty if the body was not a JSON chat request.
    pub messages: Vec<Message>,
    /// Whether an `Authorization` header was sent. Its value is never kept.
    pub authorized: bool,
    /// The reply the script chose for it.
    pub reply: Reply,
}

/// A running fault server. Dropping it stops the server abruptly; prefer
/// [`FaultServer::shutdown`].
#[derive(Debug)]
pub struct FaultServer {
    /// Where it listens: always 127.0.0.1 with a port the OS chose.
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl FaultServer {
    /// The OpenAI-style base URL, `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The full chat endpoint, `http://127.0.0.1:PORT/v1/chat/completions`.
    pub fn chat_url(&self) -> String {
        format!("{}/chat/completions", self.base_url())
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<Received> {
        self.shared.received().clone()
    }

    /// Appends replies to the script while the server runs.
    pub fn push(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.script().extend(replies);
    }

    /// Stops accepting, drops the connections of replies still waiting out a
    /// [`Reply::Slow`], and waits (at most a second) for the server to wind down.
    pub async fn shutdown(mut self) {
        self.shared.closing.send_replace(true);
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.shared.closing.send_replace(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Starts a server that answers with `script`, then with [`Reply::Ok`]`(`[`DEFAULT_TEXT`]`)`.
pub async fn start(script: impl IntoIterator<Item = Reply>) -> FaultServer {
    start_with_default(script, Reply::ok(DEFAULT_TEXT)).await
}

/// Starts a server that answers with `script`, then with `default` for every later request.
pub async fn start_with_default(
    script: impl IntoIterator<Item = Reply>,
    default: Reply,
) -> FaultServer {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener
        .local_addr()
        .expect("local address of a bound listener");
    let shared = Arc::new(Shared {
        script: Mutex::new(script.into_iter().collect()),
        default,
        received: Mutex::new(Vec::new()),
        closing: watch::Sender::new(false),
    });
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/chat/completions", post(chat))
        .with_state(Arc::clone(&shared));
    let (stop, stopped) = oneshot::channel::<()>();
    let server = axum::serve(
        Loopback(listener),
        app.into_make_service_with_connect_info::<Conn>(),
    )
    .with_graceful_shutdown(async move {
        let _ = stopped.await;
    });
    let task = tokio::spawn(async move {
        let _ = server.await;
    });
    FaultServer {
        addr,
        shared,
        stop: Some(stop),
        task: Some(task),
    }
}

#[derive(Debug)]
struct Shared {
    script: Mutex<VecDeque<Reply>>,
    default: Reply,
    received: Mutex<Vec<Received>>,
    /// Set by [`FaultServer::shutdown`]: slow replies stop waiting and drop their connection.
    closing: watch::Sender<bool>,
}

impl Shared {
    // A test that panicked while holding a lock must not hide the requests from the others.
    fn script(&self) -> MutexGuard<'_, VecDeque<Reply>> {
        self.script
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn received(&self) -> MutexGuard<'_, Vec<Received>> {
        self.received
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes the next reply and records the request, as one step so that the order of
    /// `requests()` is the order in which replies were handed out.
    fn next(&self, mut request: Received) -> (usize, Reply) {
        let mut received = self.received();
        let reply = self
            .script()
            .pop_front()
            .unwrap_or_else(|| self.default.clone());
        request.reply = reply.clone();
        received.push(request);
        (received.len(), reply)
    }
}

async fn chat(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    let (model, messages) = parse_request(&body);
    let request = Received {
        at,
        path: uri.path().to_owned(),
        model: model.clone(),
        messages,
        authorized: headers.contains_key(header::AUTHORIZATION),
        reply: Reply::Drop, // replaced by `next`
    };
    let (number, mut reply) = shared.next(request);
    let model = model.unwrap_or_else(|| "fault-server".to_owned());
    loop {
        match reply {
            Reply::Slow { delay, then } => {
                let mut closing = shared.closing.subscribe();
                tokio::select! {
                    () = tokio::time::sleep(delay) => reply = *then,
                    _ = closing.wait_for(|closing| *closing) => reply = Reply::Drop,
                }
            }
            Reply::Drop => {
                conn.kill();
                // Never delivered: the connection fails as soon as hyper writes to it.
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
            Reply::Ok(text) => return completion(number, &model, &text),
            Reply::Malformed => return json(StatusCode::OK, MALFORMED.to_owned()),
            Reply::Body(body) => return json(StatusCode::OK, body),
            Reply::Status { code, retry_after } => return failure(code, retry_after.as_ref()),
            Reply::Stream(events) => {
                let closing = shared.closing.subscribe();
                return sse::streamed(number, &model, events, closing, conn);
            }
        }
    }
}

/// A chat completion cut off mid-object.
const MALFORMED: &str = r#"{"id":"chatcmpl-fault","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hel"#;

fn parse_request(body: &[u8]) -> (Option<String>, Vec<Message>) {
    let Ok(request) = serde_json::from_slice::<serde_json::Value>(body) else {
        return (None, Vec::new());
    };
    let model = request["model"].as_str().map(str::to_owned);
    let messages = request["messages"]
        .as_array()
        .map(|messages| {
            messages
                .iter()
                .map(|message| Message {
                    role: message["role"].as_str().unwrap_or_default().to_owned(),
                    content: text_of(&message["content"]),
                })
                .collect()
        })
        .unwrap_or_default();
    (model, messages)
}

/// A message's content: a string, or an array of parts of which the text ones count.
fn text_of(content: &serde_json::Value) -> String {
    match content {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Array(parts) => parts
            .iter()
            .filter_map(|part| part["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

fn completion(number: usize, model: &str, text: &str) -> Response {
    let created = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let body = serde_json::json!({
        "id": format!("chatcmpl-fault-{number}"),
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": text },
            "finish_reason": "stop",
        }],
        "usage": { "prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0 },
    });
    json(StatusCode::OK, body.to_string())
}

fn failure(code: u16, retry_after: Option<&RetryAfterForm>) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (kind, message) = match status.as_u16() {
        429 => ("rate_limit_error", "Rate limit reached (fault server)"),
        529 => ("overloaded_error", "Overloaded (fault server)"),
        500..=599 => ("server_error", "The server had an error (fault server)"),
        _ => ("invalid_request_error", "Invalid request (fault server)"),
    };
    let body = serde_json::json!({
        "error": { "message": message, "type": kind, "param": null, "code": null },
    });
    let mut response = json(status, body.to_string());
    if let Some((name, value)) = retry_after.map(RetryAfterForm::header) {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

// ----------------------------------------------------------------------------------------
// Dropping a connection from inside a handler.
//
// axum has no "close this connection" response, so the listener wraps each socket in a
// `Killable` whose switch the handler reaches through `ConnectInfo<Conn>`. Once the switch
// is thrown, every read and write on the socket fails, hyper gives the connection up and
// drops the socket, and the client sees it closed before any response byte.

/// The listener: 127.0.0.1 only, each accepted socket wrapped in a [`Killable`].
struct Loopback(TcpListener);

impl Listener for Loopback {
    type Io = Killable;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Killable, SocketAddr) {
        loop {
            match self.0.accept().await {
                Ok((stream, peer)) => {
                    // Each SSE chunk goes out when written: with Nagle's algorithm a chunk
                    // would wait for the client's (delayed) ACK of the one before, real
                    // milliseconds that a test on tokio's paused clock sees as hours.
                    let _ = stream.set_nodelay(true);
                    let killed = Arc::new(AtomicBool::new(false));
                    return (Killable { stream, killed }, peer);
                }
                // Out of file descriptors and the like: wait instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// A socket with a kill switch.
struct Killable {
    stream: TcpStream,
    killed: Arc<AtomicBool>,
}

impl Killable {
    fn check(&self) -> io::Result<()> {
        if self.killed.load(Ordering::Acquire) {
            Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "dropped by the fault server",
            ))
        } else {
            Ok(())
        }
    }
}

impl AsyncRead for Killable {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Killable {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// What a handler knows about its connection: the kill switch.
#[derive(Clone, Debug)]
struct Conn {
    killed: Arc<AtomicBool>,
}

impl Conn {
    fn kill(&self) {
        self.killed.store(true, Ordering::Release);
    }
}

impl Connected<IncomingStream<'_, Loopback>> for Conn {
    fn connect_info(stream: IncomingStream<'_, Loopback>) -> Self {
        Conn {
            killed: Arc::clone(&stream.io().killed),
        }
    }
}
