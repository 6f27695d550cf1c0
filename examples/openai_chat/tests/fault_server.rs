//! The fault-injecting OpenAI-compatible server, driven by a real reqwest client over
//! loopback: every reply kind comes back as scripted, and requests are recorded in order.
//!
//! These tests use real sockets, so they cannot pause tokio's clock: slow replies use short
//! real delays (50-200 ms) and every client has a short timeout.

#[path = "../src/fault_server.rs"]
mod fault_server;

use std::time::Duration;

use fault_server::{DEFAULT_TEXT, FaultServer, Message, Reply, RetryAfterForm};
use serde_json::{Value, json};

/// A loopback-only client: no proxy from the environment, and a short overall timeout.
fn client() -> reqwest::Client {
    client_with_timeout(Duration::from_secs(5))
}

fn client_with_timeout(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(timeout)
        .build()
        .unwrap()
}

fn chat_body(model: &str, prompt: &str) -> Value {
    json!({ "model": model, "messages": [{ "role": "user", "content": prompt }] })
}

async fn send(server: &FaultServer, prompt: &str) -> Result<reqwest::Response, reqwest::Error> {
    client()
        .post(server.chat_url())
        .json(&chat_body("gpt-test", prompt))
        .send()
        .await
}

#[tokio::test]
async fn binds_loopback_only() {
    let server = fault_server::start([]).await;
    assert!(server.addr.ip().is_loopback());
    assert_ne!(server.addr.port(), 0);
    assert_eq!(
        server.base_url(),
        format!("http://127.0.0.1:{}/v1", server.addr.port())
    );
    assert_eq!(
        server.chat_url(),
        format!("{}/chat/completions", server.base_url())
    );
    server.shutdown().await;
}

#[tokio::test]
async fn ok_is_a_valid_chat_completion() {
    let server = fault_server::start([Reply::ok("Hello there")]).await;
    let response = send(&server, "hi").await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["id"], "chatcmpl-fault-1");
    assert_eq!(body["model"], "gpt-test");
    assert_eq!(body["choices"][0]["message"]["role"], "assistant");
    assert_eq!(body["choices"][0]["message"]["content"], "Hello there");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    server.shutdown().await;
}

#[tokio::test]
async fn malformed_is_a_200_whose_json_does_not_parse() {
    let server = fault_server::start([Reply::Malformed]).await;
    let response = send(&server, "hi").await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let err = response.json::<Value>().await.unwrap_err();
    assert!(err.is_decode(), "{err:?}");
    assert_eq!(
        resilience::http::reqwest::classify_error(&err),
        resilience::http::Class::Permanent
    );
    server.shutdown().await;
}

#[tokio::test]
async fn error_statuses_carry_an_openai_error_body() {
    let server = fault_server::start([
        Reply::status(500),
        Reply::status(503),
        Reply::status(529),
        Reply::status(400),
    ])
    .await;
    for (code, kind) in [
        (500, "server_error"),
        (503, "server_error"),
        (529, "overloaded_error"),
        (400, "invalid_request_error"),
    ] {
        let response = send(&server, "hi").await.unwrap();
        assert_eq!(response.status(), code);
        assert!(response.headers().get("retry-after").is_none());
        assert!(response.headers().get("retry-after-ms").is_none());
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["type"], kind, "{code}");
    }
    assert_eq!(server.requests().len(), 4);
    server.shutdown().await;
}

#[tokio::test]
async fn rate_limits_in_every_retry_after_form() {
    let server = fault_server::start([
        Reply::rate_limited(RetryAfterForm::Seconds(2)),
        Reply::rate_limited(RetryAfterForm::Millis(1500)),
        Reply::rate_limited(RetryAfterForm::date_in(Duration::from_secs(30))),
        Reply::rate_limited(RetryAfterForm::date_ago(Duration::from_secs(30))),
        Reply::rate_limited(RetryAfterForm::Raw("-5".into())),
        Reply::rate_limited(RetryAfterForm::Raw("99999999999999999999999".into())),
        Reply::rate_limited(RetryAfterForm::Raw("soon".into())),
    ])
    .await;
    let mut replies = Vec::new();
    for _ in 0..7 {
        let response = send(&server, "hi").await.unwrap();
        assert_eq!(response.status(), 429);
        replies.push(response.headers().clone());
    }
    assert_eq!(replies[0]["retry-after"], "2");
    assert_eq!(replies[1]["retry-after-ms"], "1500");
    assert!(replies[1].get("retry-after").is_none());
    for date in [&replies[2], &replies[3]] {
        let value = date["retry-after"].to_str().unwrap();
        assert!(value.ends_with(" GMT") && value.len() == 29, "{value}");
    }
    assert_eq!(replies[4]["retry-after"], "-5");
    assert_eq!(replies[6]["retry-after"], "soon");
    {
        use resilience::http::{Class, classify, retry_after};
        use std::time::SystemTime;

        let delays: Vec<_> = replies
            .iter()
            .map(|h| retry_after(h, SystemTime::now()))
            .collect();
        assert_eq!(delays[0], Some(Duration::from_secs(2)));
        assert_eq!(delays[1], Some(Duration::from_millis(1500)));
        // Whole-second dates, a few ms of test time: between 28 and 30 seconds.
        let date = delays[2].unwrap();
        assert!(
            date > Duration::from_secs(28) && date <= Duration::from_secs(30),
            "{date:?}"
        );
        assert_eq!(delays[3], Some(Duration::ZERO), "past date");
        assert_eq!(delays[4], None, "negative");
        assert!(
            delays[5].is_some_and(|huge| huge >= Duration::from_secs(u64::MAX)),
            "huge: saturated, never shortened"
        );
        assert_eq!(delays[6], None, "garbage");
        for headers in &replies {
            assert_eq!(
                classify(reqwest::StatusCode::TOO_MANY_REQUESTS, headers),
                Class::Transient
            );
        }
    }
    server.shutdown().await;
}

#[tokio::test]
async fn slow_replies_arrive_late_or_time_out() {
    let server = fault_server::start([
        Reply::slow(Duration::from_millis(100), Reply::ok("late")),
        Reply::slow(Duration::from_millis(200), Reply::ok("too late")),
        Reply::ok("after the timeout"),
    ])
    .await;

    let started = tokio::time::Instant::now();
    let body: Value = send(&server, "a").await.unwrap().json().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(body["choices"][0]["message"]["content"], "late");

    let impatient = client_with_timeout(Duration::from_millis(50));
    let err = impatient
        .post(server.chat_url())
        .json(&chat_body("m", "b"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(
        resilience::http::reqwest::classify_error(&err),
        resilience::http::Class::Transient
    );

    // The next request gets the next reply: a timed-out one used up its own.
    let body: Value = send(&server, "c").await.unwrap().json().await.unwrap();
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "after the timeout"
    );
    assert_eq!(server.requests().len(), 3);
    server.shutdown().await;
}

#[tokio::test]
async fn drop_closes_the_connection_without_a_response() {
    let server = fault_server::start([
        Reply::Drop,
        Reply::slow(Duration::from_millis(50), Reply::Drop),
        Reply::ok("fine"),
    ])
    .await;
    let client = client();
    for _ in 0..2 {
        let err = client
            .post(server.chat_url())
            .json(&chat_body("m", "x"))
            .send()
            .await
            .unwrap_err();
        assert!(err.is_request(), "{err:?}");
        assert!(err.status().is_none());
        assert_eq!(
            resilience::http::reqwest::classify_error(&err),
            resilience::http::Class::Transient
        );
    }
    // The same client recovers on a fresh connection.
    let response = client
        .post(server.chat_url())
        .json(&chat_body("m", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.requests().len(), 3);
    server.shutdown().await;
}

#[tokio::test]
async fn requests_are_recorded_in_order_without_the_key() {
    let server = fault_server::start([Reply::status(503), Reply::ok("one"), Reply::Drop]).await;
    let secret = "sk-test-0123456789-SECRET";
    let started = tokio::time::Instant::now();
    let client = client();
    let request = json!({
        "model": "gpt-4o",
        "messages": [
            { "role": "system", "content": "Be brief." },
            { "role": "user", "content": [{ "type": "text", "text": "Hello, " }, { "type": "text", "text": "world" }] },
        ],
    });
    let _ = client
        .post(server.chat_url())
        .bearer_auth(secret)
        .json(&request)
        .send()
        .await
        .unwrap();
    let plain = format!("http://{}/chat/completions", server.addr);
    let _ = client
        .post(&plain)
        .json(&chat_body("gpt-3.5", "second"))
        .send()
        .await
        .unwrap();
    let _ = client
        .post(server.chat_url())
        .bearer_auth(secret)
        .body("not json")
        .send()
        .await
        .unwrap_err();

    let received = server.requests();
    assert_eq!(received.len(), 3);
    assert!(received.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(received[0].at >= started);

    assert_eq!(received[0].path, "/v1/chat/completions");
    assert_eq!(received[0].model.as_deref(), Some("gpt-4o"));
    assert_eq!(
        received[0].messages,
        [
            Message {
                role: "system".into(),
                content: "Be brief.".into()
            },
            Message {
                role: "user".into(),
                content: "Hello, world".into()
            },
        ]
    );
    assert!(received[0].authorized);
    assert_eq!(received[0].reply, Reply::status(503));

    assert_eq!(received[1].path, "/chat/completions");
    assert_eq!(received[1].model.as_deref(), Some("gpt-3.5"));
    assert_eq!(received[1].messages[0].content, "second");
    assert!(!received[1].authorized);
    assert_eq!(received[1].reply, Reply::ok("one"));

    assert_eq!(received[2].model, None);
    assert!(received[2].messages.is_empty());
    assert!(received[2].authorized);
    assert_eq!(received[2].reply, Reply::Drop);

    // The key is nowhere in what the server kept.
    assert!(!format!("{received:?}").contains("SECRET"));
    assert!(!format!("{server:?}").contains("SECRET"));
    server.shutdown().await;
}

#[tokio::test]
async fn other_routes_are_not_served_or_recorded() {
    let server = fault_server::start([]).await;
    let client = client();
    let response = client.get(server.chat_url()).send().await.unwrap();
    assert_eq!(response.status(), 405);
    let response = client
        .post(format!("{}/completions", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(server.requests().is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn the_default_answers_once_the_script_runs_out() {
    let server = fault_server::start([Reply::status(500)]).await;
    assert_eq!(send(&server, "a").await.unwrap().status(), 500);
    for _ in 0..3 {
        let body: Value = send(&server, "b").await.unwrap().json().await.unwrap();
        assert_eq!(body["choices"][0]["message"]["content"], DEFAULT_TEXT);
    }
    server.push([Reply::status(502)]);
    assert_eq!(send(&server, "c").await.unwrap().status(), 502);
    assert_eq!(server.requests().len(), 5);
    server.shutdown().await;

    let server = fault_server::start_with_default([], Reply::status(503)).await;
    for _ in 0..3 {
        assert_eq!(send(&server, "d").await.unwrap().status(), 503);
    }
    server.shutdown().await;
}

/// The pattern a client's retry loop follows against the server: bounded attempts, stop on
/// success or on a permanent failure. (The real client uses `#[retry]`; this keeps the
/// server's test independent of it.)
#[tokio::test]
async fn a_bounded_retry_loop_sees_exactly_the_scripted_faults() {
    let server = fault_server::start([
        Reply::rate_limited(RetryAfterForm::Millis(10)),
        Reply::status(503),
        Reply::Drop,
        Reply::ok("finally"),
        Reply::ok("never asked for"),
    ])
    .await;
    const ATTEMPTS: usize = 6;
    let client = client();
    let mut answer = None;
    for _ in 0..ATTEMPTS {
        match client
            .post(server.chat_url())
            .json(&chat_body("m", "x"))
            .send()
            .await
        {
            Ok(response) if response.status().is_success() => {
                answer = Some(response.json::<Value>().await.unwrap());
                break;
            }
            Ok(response) => assert!(matches!(response.status().as_u16(), 429 | 503)),
            Err(err) => assert!(err.is_request(), "{err:?}"),
        }
    }
    assert_eq!(
        answer.unwrap()["choices"][0]["message"]["content"],
        "finally"
    );
    assert_eq!(server.requests().len(), 4);
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_listening_and_is_bounded() {
    let server =
        fault_server::start([Reply::slow(Duration::from_secs(30), Reply::ok("never"))]).await;
    let url = server.chat_url();
    let pending =
        tokio::spawn(async move { client().post(url).json(&chat_body("m", "x")).send().await });
    while server.requests().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let url = server.chat_url();
    let started = tokio::time::Instant::now();
    server.shutdown().await; // drops the connection of the 30 s reply at once
    let err = pending.await.unwrap().unwrap_err();
    assert!(err.is_request(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let err = client().post(url).send().await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");
}

/// The `data:` payloads of an SSE body.
fn sse_data(body: &str) -> Vec<&str> {
    body.split("\n\n")
        .filter_map(|event| event.strip_prefix("data: "))
        .collect()
}

#[tokio::test]
async fn stream_is_server_sent_chunks_then_done() {
    let server =
        fault_server::start([Reply::Stream(fault_server::Sse::chunks(10, &["Hel", "lo"]))]).await;
    let response = send(&server, "hi").await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let body = response.text().await.unwrap();
    let data = sse_data(&body);
    assert_eq!(data.len(), 4, "{body}");
    let deltas: Vec<Value> = data[..3]
        .iter()
        .map(|d| serde_json::from_str::<Value>(d).unwrap()["choices"][0]["delta"].clone())
        .collect();
    assert_eq!(
        deltas,
        [
            json!({ "role": "assistant", "content": "" }),
            json!({ "content": "Hel" }),
            json!({ "content": "lo" }),
        ]
    );
    assert_eq!(data[3], "[DONE]");
    server.shutdown().await;
}

#[tokio::test]
async fn stream_error_event_ends_the_stream_without_done() {
    let server = fault_server::start([Reply::Stream(vec![fault_server::Sse::Error {
        after: Duration::from_millis(10),
    }])])
    .await;
    let body = send(&server, "hi").await.unwrap().text().await.unwrap();
    let data = sse_data(&body);
    assert_eq!(data.len(), 2, "{body}");
    let error: Value = serde_json::from_str(data[1]).unwrap();
    assert_eq!(error["error"]["type"], "overloaded_error");
    server.shutdown().await;
}

#[tokio::test]
async fn stream_cut_fails_the_body_part_way() {
    let server = fault_server::start([Reply::Stream(vec![
        fault_server::Sse::chunk(10, "Hel"),
        fault_server::Sse::Cut {
            after: Duration::from_millis(10),
        },
    ])])
    .await;
    let mut response = send(&server, "hi").await.unwrap();
    let mut received = Vec::new();
    let error = loop {
        match response.chunk().await {
            Ok(Some(bytes)) => received.extend_from_slice(&bytes),
            Ok(None) => panic!("the body ended normally"),
            Err(error) => break error,
        }
    };
    assert!(error.is_body() || error.is_decode(), "{error:?}");
    assert!(String::from_utf8_lossy(&received).contains("\"Hel\""));
    server.shutdown().await;
}
