//! [`Client::chat_stream`]: the answer token by token, retried, broken and fallen back
//! from until its first token, never after it (`#[stream]`).

use std::collections::VecDeque;

use futures_util::stream;
use resilience::stream::Stream;
use resilience::{circuit, fallback, retry};

use super::sse::SseDecoder;
use super::{
    ApiKey, CANNED_ANSWER, ChatError, ChatRequest, Client, Message, SYSTEM_PROMPT, timing,
};
use resilience::http::reqwest::{classify_response, retry_after};

/// A stream of tokens (`delta.content` of each chunk; empty ones skipped).
pub trait Tokens: Stream<Item = Result<String, ChatError>> + Unpin + Send {}
impl<S: Stream<Item = Result<String, ChatError>> + Unpin + Send> Tokens for S {}

impl Client {
    /// Asks the primary model for a streamed answer. Every attribute acts until the
    /// first token: a `429` or `5xx`, a stream that says nothing for
    /// [`timing::FIRST_TOKEN`], or an error event first are retried, counted by the
    /// breaker, and fallen back from (the second model, then a canned answer). After the
    /// first token, a gap of [`timing::IDLE`] or a cut connection ends the stream with an
    /// error item, and nothing is asked again (the tokens already shown would repeat).
    #[fallback(agents = [Self::second_model_stream, Self::canned_stream])]
    #[circuit(breaker = &self.breaker, when = ChatError::is_transient)]
    #[retry(attempts = 3, base = timing::BASE, max = timing::MAX, jitter = "equal",
            when = ChatError::is_transient, retry_after = ChatError::server_delay)]
    #[resilience::stream(first = timing::FIRST_TOKEN, idle = timing::IDLE)]
    pub async fn chat_stream(&self, prompt: &str) -> Result<impl Tokens, ChatError> {
        self.open_stream(&self.model, prompt).await
    }

    /// The first fallback: the second model, once (its first token within the same
    /// [`timing::FIRST_TOKEN`], which the attribute above applies to it too).
    async fn second_model_stream(&self, prompt: &str) -> Result<impl Tokens + use<>, ChatError> {
        self.open_stream(&self.fallback_model, prompt).await
    }

    /// The last fallback: the canned answer as a stream of one token.
    async fn canned_stream(&self, _prompt: &str) -> Result<impl Tokens + use<>, ChatError> {
        Ok(stream::iter([Ok(CANNED_ANSWER.to_owned())]))
    }

    async fn open_stream(
        &self,
        model: &str,
        prompt: &str,
    ) -> Result<impl Tokens + use<>, ChatError> {
        tracing::info!(target: "openai_chat", model, "request");
        let result = self.send_stream(model, prompt).await;
        match &result {
            Ok(_) => tracing::info!(target: "openai_chat", model, "stream opened"),
            Err(error) => tracing::info!(target: "openai_chat", model, %error, "failed"),
        }
        result
    }

    async fn send_stream(
        &self,
        model: &str,
        prompt: &str,
    ) -> Result<impl Tokens + use<>, ChatError> {
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
            stream: true,
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
                retry_after: retry_after(&response),
            });
        }
        Ok(tokens(response))
    }
}

/// Where the token stream stands.
struct Reading {
    response: reqwest::Response,
    sse: SseDecoder,
    ready: VecDeque<Result<String, ChatError>>,
    ended: bool,
}

/// The tokens of a streamed chat completion. Boxed once per call: `unfold`'s stream is
/// not `Unpin`, and `#[stream]` moves the stream after its first item.
fn tokens(response: reqwest::Response) -> impl Tokens {
    let reading = Reading {
        response,
        sse: SseDecoder::default(),
        ready: VecDeque::new(),
        ended: false,
    };
    Box::pin(stream::unfold(reading, |mut r| async move {
        loop {
            if let Some(item) = r.ready.pop_front() {
                return Some((item, r));
            }
            if r.ended {
                return None;
            }
            match r.response.chunk().await {
                Ok(Some(bytes)) => {
                    r.sse.push(&bytes);
                    while let Some(data) = r.sse.next_event() {
                        match token(&data) {
                            Event::Token(text) => r.ready.push_back(Ok(text)),
                            Event::Nothing => {}
                            Event::Done => r.ended = true,
                            Event::Failed(error) => {
                                r.ready.push_back(Err(error));
                                r.ended = true;
                            }
                        }
                        if r.ended {
                            break;
                        }
                    }
                }
                Ok(None) => r.ended = true,
                // The connection was cut mid-stream: one error, then the end.
                Err(error) => {
                    r.ready.push_back(Err(ChatError::Transport(error)));
                    r.ended = true;
                }
            }
        }
    }))
}

enum Event {
    Token(String),
    Nothing,
    Done,
    Failed(ChatError),
}

/// One event's data: a chunk's token, `[DONE]`, or an error event.
fn token(data: &str) -> Event {
    if data == "[DONE]" {
        return Event::Done;
    }
    let Ok(chunk) = serde_json::from_str::<serde_json::Value>(data) else {
        return Event::Failed(ChatError::Malformed(format!(
            "not a JSON event: {data:.40}"
        )));
    };
    if let Some(error) = chunk.get("error") {
        let kind = error["type"].as_str().unwrap_or("error");
        return Event::Failed(ChatError::ErrorEvent(kind.to_owned()));
    }
    match chunk["choices"][0]["delta"]["content"].as_str() {
        Some(text) if !text.is_empty() => Event::Token(text.to_owned()),
        _ => Event::Nothing, // the role chunk, a finish chunk
    }
}
