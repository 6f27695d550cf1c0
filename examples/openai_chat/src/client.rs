//! A small chat-completions client for any OpenAI-compatible server, made resilient with
//! four attributes.
//!
//! [`Client::chat`] is one HTTP call, `POST {base_url}/chat/completions`. The attributes
//! around it, outermost first:
//!
//! - `#[fallback]`: when the primary model fails, ask the second model, then give a canned
//!   local answer.
//! - `#[circuit]`: after three failed calls in a row, stop calling the primary model for a
//!   while (its requests are refused at once and the fallbacks answer).
//! - `#[retry]`: up to 3 attempts, as the official SDKs do, on transient failures only:
//!   429 (waiting what `Retry-After` asks), 5xx, dropped connections, timeouts, and a 200
//!   whose body is not a chat completion (re-asked).
//! - `#[timeout]`: a deadline for each attempt.
//!
//! The client emits one event per request (target `openai_chat`: "request", then
//! "answered" or "failed"); the runtime emits the rest (target `resilience`). The API key
//! is sent as a bearer token and appears in no event, error or `Debug` output.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use resilience::http::Class;
use resilience::http::reqwest::{classify_error, classify_response, retry_after};
use resilience::{
    CircuitBreaker, CircuitOpen, EmptyStream, TimedOut, circuit, fallback, retry, timeout,
};

#[path = "sse.rs"]
mod sse;
#[path = "streaming.rs"]
mod streaming;
use serde::{Deserialize, Serialize};

/// How long things take. The tests use these very values on tokio's paused clock: the
/// fault server runs in the same runtime over loopback, so no real time passes in them.
pub mod timing {
    use std::time::Duration;
    /// Each attempt's deadline (the notebook's `timeout=10`).
    pub const ATTEMPT: Duration = Duration::from_secs(10);
    /// The first retry's delay, then doubling (the OpenAI SDKs start at 0.5 s) ...
    pub const BASE: Duration = Duration::from_millis(500);
    /// ... up to this; a server asking for longer ends the retries at once.
    pub const MAX: Duration = Duration::from_secs(8);
    /// How long the open breaker refuses calls before letting one through.
    pub const RECOVERY: Duration = Duration::from_secs(30);
    /// A streamed answer's first token must come this soon after the request
    /// (`#[stream(first)]`): a stream that opens and says nothing is asked again.
    pub const FIRST_TOKEN: Duration = Duration::from_secs(10);
    /// Then each token this soon after the one before (`#[stream(idle)]`).
    pub const IDLE: Duration = Duration::from_secs(5);
}

/// The system prompt sent with every question.
pub const SYSTEM_PROMPT: &str = "Answer briefly.";

/// What the last fallback says, without any network.
pub const CANNED_ANSWER: &str =
    "Sorry, no language model is reachable right now. Please try again in a minute.";

/// The `model` of an [`Answer`] given by the canned fallback.
pub const CANNED_MODEL: &str = "canned";

/// An answer, and the model that gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The assistant's message.
    pub text: String,
    /// The model named in the reply (or [`CANNED_MODEL`]).
    pub model: String,
}

/// Why one call failed.
#[derive(Debug)]
pub enum ChatError {
    /// No reply arrived: the connection failed, dropped or stalled, or the request could
    /// not be built.
    Transport(reqwest::Error),
    /// The server answered with a failure status.
    Status {
        /// The status code.
        status: reqwest::StatusCode,
        /// Whether retrying may help (status and `x-should-retry`).
        class: Class,
        /// The delay the server asked for (`retry-after-ms` / `Retry-After`).
        retry_after: Option<Duration>,
    },
    /// A success status whose body is not the expected chat completion.
    Malformed(String),
    /// The attempt's deadline passed (`#[timeout]`).
    TimedOut(TimedOut),
    /// The breaker refused the call (`#[circuit]`).
    CircuitOpen(CircuitOpen),
    /// A streamed reply's error event (`overloaded_error`), by its type.
    ErrorEvent(String),
    /// A streamed reply that ended before its first token (`#[stream]`).
    Empty(EmptyStream),
}

impl ChatError {
    /// Worth another attempt: the filter of `#[retry]` and what `#[circuit]` counts.
    pub fn is_transient(&self) -> bool {
        match self {
            ChatError::Transport(error) => classify_error(error).is_transient(),
            ChatError::Status { class, .. } => class.is_transient(),
            ChatError::Malformed(_)
            | ChatError::TimedOut(_)
            | ChatError::ErrorEvent(_)
            | ChatError::Empty(_) => true,
            ChatError::CircuitOpen(_) => false,
        }
    }

    /// The delay the server asked for, for `#[retry(retry_after = ...)]`.
    pub fn server_delay(&self) -> Option<Duration> {
        match self {
            ChatError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

impl From<CircuitOpen> for ChatError {
    fn from(error: CircuitOpen) -> Self {
        ChatError::CircuitOpen(error)
    }
}

impl From<EmptyStream> for ChatError {
    fn from(error: EmptyStream) -> Self {
        ChatError::Empty(error)
    }
}

impl From<TimedOut> for ChatError {
    fn from(error: TimedOut) -> Self {
        ChatError::TimedOut(error)
    }
}

impl fmt::Display for ChatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChatError::Transport(error) => {
                // reqwest's own message names the URL; the innermost cause says what happened.
                let mut cause: &dyn std::error::Error = error;
                while let Some(inner) = cause.source() {
                    cause = inner;
                }
                write!(f, "no reply: {cause}")
            }
            ChatError::Status {
                status,
                retry_after: Some(delay),
                ..
            } => write!(f, "{status}, retry after {delay:.0?}"),
            ChatError::Status { status, .. } => write!(f, "{status}"),
            ChatError::Malformed(why) => write!(f, "malformed reply: {why}"),
            ChatError::TimedOut(error) => write!(f, "{error}"),
            ChatError::CircuitOpen(error) => write!(f, "{error}"),
            ChatError::ErrorEvent(kind) => write!(f, "error event: {kind}"),
            ChatError::Empty(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for ChatError {}

/// An API key that never shows itself in `Debug` output.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// `None` for an empty key.
    pub fn new(key: String) -> Option<Self> {
        (!key.trim().is_empty()).then_some(ApiKey(key))
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// A chat-completions client with a breaker of its own.
pub struct Client {
    http: reqwest::Client,
    endpoint: reqwest::Url,
    api_key: Option<ApiKey>,
    /// The model asked first.
    pub model: String,
    /// The model asked when the first one fails.
    pub fallback_model: String,
    /// Guards [`Client::chat`]: read its `state()` and `stats()`.
    pub breaker: CircuitBreaker,
}

impl Client {
    /// A client for `base_url` (e.g. `https://api.openai.com/v1`). A loopback server is
    /// never reached through a proxy from the environment.
    pub fn new(
        base_url: &str,
        api_key: Option<ApiKey>,
        model: impl Into<String>,
        fallback_model: impl Into<String>,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let base_url = base_url.trim_end_matches('/');
        let endpoint = reqwest::Url::parse(&format!("{base_url}/chat/completions"))?;
        let mut http = reqwest::Client::builder();
        if is_loopback(&endpoint) {
            http = http.no_proxy();
        }
        let breaker = CircuitBreaker::builder()
            .name("openai_chat")
            .threshold(3)
            .recovery(timing::RECOVERY)
            .success_threshold(1)
            .build()?;
        Ok(Client {
            http: http.build()?,
            endpoint,
            api_key,
            model: model.into(),
            fallback_model: fallback_model.into(),
            breaker,
        })
    }

    /// Asks the primary model, resiliently. Never fails in practice: the last fallback is
    /// a canned answer.
    #[fallback(agents = [Self::second_model, Self::canned_answer])]
    #[circuit(breaker = &self.breaker, when = ChatError::is_transient)]
    #[retry(attempts = 3, base = timing::BASE, max = timing::MAX, jitter = "equal",
            when = ChatError::is_transient, retry_after = ChatError::server_delay)]
    #[timeout(timing::ATTEMPT)]
    pub async fn chat(&self, prompt: &str) -> Result<Answer, ChatError> {
        self.complete(&self.model, prompt).await
    }

    /// The first fallback: the second model, with a shorter retry.
    #[retry(attempts = 2, base = timing::BASE, max = timing::MAX, jitter = "equal",
            when = ChatError::is_transient, retry_after = ChatError::server_delay)]
    #[timeout(timing::ATTEMPT)]
    async fn second_model(&self, prompt: &str) -> Result<Answer, ChatError> {
        self.complete(&self.fallback_model, prompt).await
    }

    /// The last fallback: an answer that needs no network.
    async fn canned_answer(&self, _prompt: &str) -> Result<Answer, ChatError> {
        Ok(Answer {
            text: CANNED_ANSWER.to_owned(),
            model: CANNED_MODEL.to_owned(),
        })
    }

    /// One request to `model`, its outcome classified.
    async fn complete(&self, model: &str, prompt: &str) -> Result<Answer, ChatError> {
        tracing::info!(target: "openai_chat", model, "request");
        let result = self.send(model, prompt).await;
        match &result {
            Ok(answer) => tracing::info!(target: "openai_chat", model = answer.model, "answered"),
            Err(error) => tracing::info!(target: "openai_chat", model, %error, "failed"),
        }
        result
    }

    async fn send(&self, model: &str, prompt: &str) -> Result<Answer, ChatError> {
        let request = ChatRequest {
            model,
            messages: [
                Message {
                    role: "system",
                    content: SYSTEM_PROMPT,
                },
                Message {
                    role: "user",
                    content: prompt,
                },
            ],
            stream: false,
        };
        let mut post = self.http.post(self.endpoint.clone()).json(&request);
        if let Some(ApiKey(key)) = &self.api_key {
            post = post.bearer_auth(key); // marked sensitive: reqwest never logs it
        }
        let response = post.send().await.map_err(ChatError::Transport)?;

        let class = classify_response(&response);
        if !class.is_success() {
            return Err(ChatError::Status {
                status: response.status(),
                class,
                // Read now: an HTTP-date is relative to this moment. The cap only bounds a
                // broken header; anything above `timing::MAX` ends the retries anyway.
                retry_after: retry_after(&response),
            });
        }
        let body = response.bytes().await.map_err(ChatError::Transport)?;
        let reply: ChatResponse =
            serde_json::from_slice(&body).map_err(|e| ChatError::Malformed(e.to_string()))?;
        let text = reply
            .choices
            .into_iter()
            .next()
            .and_then(|choice| choice.message.content)
            .ok_or_else(|| ChatError::Malformed("no message in the reply".to_owned()))?;
        Ok(Answer {
            text,
            model: reply.model.unwrap_or_else(|| model.to_owned()),
        })
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    host == "localhost"
        || (host.trim_start_matches('[').trim_end_matches(']'))
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: [Message<'a>; 2],
    /// `"stream": true` for [`Client::chat_stream`]; left out otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'a str,
    content: &'a str,
}

#[derive(Deserialize)]
struct ChatResponse {
    model: Option<String>,
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: ReplyMessage,
}

#[derive(Deserialize)]
struct ReplyMessage {
    content: Option<String>,
}
