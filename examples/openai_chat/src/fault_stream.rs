//! The streamed replies of the fault server: `chat.completion.chunk` events as
//! server-sent events (`data: {...}` lines, `data: [DONE]` at the end), with scripted
//! faults part-way: an error event, a stall, a cut connection.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;

use super::Conn;

/// One event of a streamed reply, each after its own delay from the one before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sse {
    /// A `chat.completion.chunk` whose `delta.content` is this text.
    Chunk {
        /// Wait this long (on tokio's clock) before sending it.
        after: Duration,
        /// The token(s).
        text: String,
    },
    /// An error event, as a provider sends one after its `200` (`overloaded_error`).
    Error {
        /// Wait this long before sending it.
        after: Duration,
    },
    /// Send nothing more until the server shuts down (then close).
    Stall,
    /// Close the connection without finishing the body.
    Cut {
        /// Wait this long before cutting.
        after: Duration,
    },
}

impl Sse {
    /// A chunk of `text` after `after_ms` milliseconds.
    pub fn chunk(after_ms: u64, text: &str) -> Self {
        Sse::Chunk {
            after: Duration::from_millis(after_ms),
            text: text.to_owned(),
        }
    }

    /// Chunks of each text, `every_ms` apart.
    pub fn chunks(every_ms: u64, texts: &[&str]) -> Vec<Sse> {
        texts
            .iter()
            .map(|text| Sse::chunk(every_ms, text))
            .collect()
    }
}

/// What the body stream still has to send, and how to stop it.
struct Sending {
    events: VecDeque<Sse>,
    number: usize,
    model: String,
    closing: watch::Receiver<bool>,
    conn: Conn,
    /// The role chunk and `[DONE]`: sent once each.
    started: bool,
    done: bool,
}

/// `200 OK`, `text/event-stream`: a role chunk at once (as OpenAI sends), then `events`,
/// then `data: [DONE]` unless the script stalled or cut first.
pub(super) fn streamed(
    number: usize,
    model: &str,
    events: Vec<Sse>,
    closing: watch::Receiver<bool>,
    conn: Conn,
) -> Response {
    let sending = Sending {
        events: events.into(),
        number,
        model: model.to_owned(),
        closing,
        conn,
        started: false,
        done: false,
    };
    let body = futures_util::stream::unfold(sending, |mut s| async move {
        if !s.started {
            s.started = true;
            let role = chunk_json(
                s.number,
                &s.model,
                serde_json::json!({ "role": "assistant", "content": "" }),
            );
            return Some((Ok(data(&role)), s));
        }
        let Some(event) = s.events.pop_front() else {
            if s.done {
                return None;
            }
            s.done = true;
            return Some((Ok(Bytes::from_static(b"data: [DONE]\n\n")), s));
        };
        let after = match &event {
            Sse::Chunk { after, .. } | Sse::Error { after } | Sse::Cut { after } => *after,
            Sse::Stall => Duration::MAX,
        };
        if !wait(&mut s.closing, after).await {
            // Shutting down: end the body unfinished.
            s.conn.kill();
            return Some((Err(std::io::Error::other("fault server: shutting down")), s));
        }
        match event {
            Sse::Chunk { text, .. } => {
                let chunk = chunk_json(s.number, &s.model, serde_json::json!({ "content": text }));
                Some((Ok(data(&chunk)), s))
            }
            Sse::Error { .. } => {
                let error = serde_json::json!({
                    "error": { "message": "Overloaded (fault server)", "type": "overloaded_error", "param": null, "code": null },
                });
                s.events.clear();
                s.done = true; // no `[DONE]` after an error event
                Some((Ok(data(&error.to_string())), s))
            }
            Sse::Cut { .. } | Sse::Stall => {
                s.conn.kill();
                Some((
                    Err(std::io::Error::other("fault server: connection cut")),
                    s,
                ))
            }
        }
    });
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// Waits `after`, or until the server shuts down: `false` then.
async fn wait(closing: &mut watch::Receiver<bool>, after: Duration) -> bool {
    let sleep = async {
        match tokio::time::Instant::now().checked_add(after) {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = sleep => true,
        _ = closing.wait_for(|closing| *closing) => false,
    }
}

fn data(json: &str) -> Bytes {
    Bytes::from(format!("data: {json}\n\n"))
}

fn chunk_json(number: usize, model: &str, delta: serde_json::Value) -> String {
    let created = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    serde_json::json!({
        "id": format!("chatcmpl-fault-{number}"),
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{ "index": 0, "delta": delta, "finish_reason": null }],
    })
    .to_string()
}
