//! `resilience::status` (issue 18): the JSON of a scripted run is the registry's state,
//! field for field; the page is one self-contained file; the event ring keeps the last
//! events of many threads.

#[path = "../common/mod.rs"]
mod common;
mod http;

use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::ApiError;
use http::{get_json, send};
use resilience::registry;
use resilience::retry::Price;
use resilience::status::{self, Events, StatusPage};
use resilience::{Bulkhead, ConfigError, RateLimiter, RetryBudget, circuit};
use serde_json::{Value, json};
use tracing_subscriber::prelude::*;

#[circuit(name = "status_json::gpt4", threshold = 2, recovery = 30s)]
async fn gpt4(up: bool) -> Result<&'static str, ApiError> {
    if up {
        Ok("answer")
    } else {
        Err(ApiError::Network)
    }
}

#[circuit(name = "status_json::llm", key = model, threshold = 1, recovery = 10s, max_keys = 4)]
async fn llm(model: &str, up: bool) -> Result<&'static str, ApiError> {
    let _ = model;
    if up {
        Ok("answer")
    } else {
        Err(ApiError::Network)
    }
}

static TOKENS: RateLimiter = RateLimiter::new(ConfigError::unwrap_const(
    RateLimiter::builder()
        .name("status_json::tokens")
        .tokens(1_000)
        .settings(),
));

static POOL: Bulkhead = Bulkhead::new(ConfigError::unwrap_const(
    Bulkhead::builder()
        .name("status_json::pool")
        .max(2)
        .queue(1)
        .settings(),
));

static BUDGET: RetryBudget = match RetryBudget::builder()
    .name("status_json::budget")
    .floor(0.0)
    .build()
{
    Ok(budget) => budget,
    Err(_) => panic!(),
};

/// Whether the future is still waiting after one poll (it stays queued while pinned).
fn pending<F: Future>(future: std::pin::Pin<&mut F>) -> bool {
    matches!(
        future.poll(&mut Context::from_waker(Waker::noop())),
        Poll::Pending
    )
}

#[tokio::test(start_paused = true)]
async fn the_json_of_a_scripted_run_is_the_registrys_state() {
    let events = Events::with_level(50, tracing::Level::DEBUG);
    let _recording = tracing_subscriber::registry()
        .with(events.clone())
        .set_default();

    // t = 0: two failures open gpt4's breaker; the gpt-4 key of llm opens, claude's stays
    // closed.
    assert_eq!(gpt4(false).await, Err(ApiError::Network));
    assert_eq!(gpt4(false).await, Err(ApiError::Network));
    assert_eq!(llm("gpt-4", false).await, Err(ApiError::Network));
    assert_eq!(llm("claude", true).await, Ok("answer"));

    // t = 5 s: gpt4 refuses a call, 25 s before it may probe.
    tokio::time::advance(Duration::from_secs(5)).await;
    assert!(matches!(gpt4(true).await, Err(ApiError::Open(_))));

    // 400 of 1000 tokens taken, a call for 700 waits for the rest.
    let tokens = TOKENS.register();
    tokens.try_acquire(400).unwrap();
    let mut waiter = pin!(tokens.acquire(700));
    assert!(pending(waiter.as_mut()));

    // Both places of the pool taken, one call queued, one refused.
    let pool = POOL.register();
    let _first = pool.try_acquire().unwrap();
    let _second = pool.try_acquire().unwrap();
    let mut queued = pin!(pool.acquire());
    assert!(pending(queued.as_mut()));
    assert!(pool.try_acquire().is_err());

    // Ten first attempts earn two retries (ratio 0.2, no floor); one is spent.
    let budget = BUDGET.register();
    (0..10).for_each(|_| budget.deposit());
    assert!(budget.try_withdraw(Price::Retry));

    let app = StatusPage::new().events(&events).router();
    let json = get_json(&app, "/json").await;
    let mut ours: Vec<&Value> = json["protections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"].as_str().unwrap().starts_with("status_json::"))
        .collect();
    let expected = [
        json!({"kind": "circuit", "name": "status_json::gpt4", "status": {
            "state": "open", "calls": 3, "successes": 0, "failures": 2, "rejected": 1,
            "in_state": {"secs": 5.0}, "retry_in": {"secs": 25.0},
        }}),
        json!({"kind": "circuit", "name": "status_json::llm", "status": {
            "keys": 2, "max_keys": 4, "refused": 0, "members": [
                {"key": "claude", "status": {
                    "name": "status_json::llm/claude", "state": "closed", "calls": 1, "successes": 1, "failures": 0, "rejected": 0,
                }},
                {"key": "gpt-4", "status": {
                    "name": "status_json::llm/gpt-4", "state": "open", "calls": 1, "successes": 0, "failures": 1, "rejected": 0,
                    "in_state": {"secs": 5.0}, "retry_in": {"secs": 5.0},
                }},
            ],
        }}),
        json!({"kind": "rate_limit", "name": "status_json::tokens", "status": {
            "tokens_left": 600, "waiting": 1, "waited": 0, "rejected": 0,
        }}),
        json!({"kind": "bulkhead", "name": "status_json::pool", "status": {
            "in_use": 2, "queued": 1, "max": 2, "waited": 0, "rejected": 1,
        }}),
        json!({"kind": "retry_budget", "name": "status_json::budget", "status": {
            "available": 1.0, "first_attempts": 10, "retries": 1.0, "ratio": 0.2, "floor": 0.0,
            "window": {"secs": 10.0},
        }}),
    ];
    // The attributes' entries come in link order: compare by name.
    let by_name = |p: &&Value| p["name"].as_str().unwrap().to_owned();
    ours.sort_by_key(by_name);
    let mut expected: Vec<&Value> = expected.iter().collect();
    expected.sort_by_key(by_name);
    assert_eq!(ours, expected);

    // Every protection of the registry is listed, in its order; ours (which no other
    // test touches while this one runs) with their status now.
    let listed: Vec<&Value> = json["protections"].as_array().unwrap().iter().collect();
    let all = registry::all();
    assert_eq!(listed.len(), all.len());
    for (json, protection) in listed.iter().zip(&all) {
        assert_eq!(json["kind"], protection.kind());
        assert_eq!(json["name"], protection.name());
        if protection.name().starts_with("status_json::") {
            assert_eq!(**json, status::protection(*protection));
        }
    }

    // The events: the transitions and the refusal, in order.
    let events = json["events"].as_array().unwrap();
    let changes: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["message"] == "circuit breaker state changed")
        .map(|e| {
            (
                e["fields"]["name"].as_str().unwrap(),
                e["fields"]["to"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("status_json::gpt4", "open"),
            ("status_json::llm/gpt-4", "open")
        ]
    );
    let refused = events
        .iter()
        .find(|e| e["message"] == "circuit breaker rejected a call")
        .expect("the refusal at 5 s");
    assert_eq!(refused["level"], "DEBUG");
    assert_eq!(refused["fields"]["retry_in"], "25s");
    assert_eq!(json["control"], false);
}

#[tokio::test]
async fn the_page_is_one_self_contained_file_served_where_it_is_mounted() {
    let app = axum::Router::new().nest("/ops/status", status::router());
    let (code, page) = send(&app, Method::GET, "/ops/status", None).await;
    assert_eq!(code, StatusCode::OK);
    assert!(page.starts_with("<!doctype html>"));
    // No external asset: no src= or href= at all, no URL but the SVG namespace.
    assert!(!page.contains("src=") && !page.contains("href="));
    let urls: Vec<&str> = page
        .match_indices("http")
        .map(|(i, _)| &page[i..i + 26])
        .collect();
    assert!(
        urls.iter()
            .all(|u| u.starts_with("http://www.w3.org/2000/svg")),
        "{urls:?}"
    );
    // It asks for the JSON next to itself.
    assert!(page.contains(r#"fetch(base + "json""#));
    // Its control buttons send the header the control routes require.
    assert!(page.contains(r#"headers: {"x-resilience-control": "1"}"#));
    let json = get_json(&app, "/ops/status/json").await;
    assert_eq!(json["events"], Value::Null);
    assert!(
        json["protections"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "status_json::gpt4")
    );
}

#[test]
fn the_ring_keeps_the_last_events_of_many_threads_numbered_once_each() {
    const THREADS: u64 = 4;
    const EACH: u64 = 2_000;
    let events = Events::new(64);
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(events.clone()));
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let dispatch = dispatch.clone();
            scope.spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || {
                    for i in 0..EACH {
                        tracing::info!(target: "resilience", thread, i, "tick");
                        tracing::info!(target: "elsewhere", thread, i, "not ours");
                    }
                });
            });
        }
    });
    let kept = events.recent();
    // Every event numbered once, none lost before the ring dropped it: the last 64
    // numbers of 8000, in order.
    let total = THREADS * EACH;
    let seqs: Vec<u64> = kept.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (total - 64..total).collect::<Vec<_>>());
    // Each thread's events in the order it emitted them.
    for thread in 0..THREADS {
        let mine: Vec<u64> = kept
            .iter()
            .filter(|e| e.field("thread") == Some(&thread.to_string()))
            .map(|e| e.field("i").unwrap().parse().unwrap())
            .collect();
        assert!(mine.windows(2).all(|w| w[0] < w[1]), "{mine:?}");
    }
    assert!(kept.iter().all(|e| e.message == "tick"));
}
