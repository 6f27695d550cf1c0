//! Resilient chat completions against any OpenAI-compatible server.
//!
//! ```text
//! cargo run -p openai-chat                            # offline, in a few seconds
//! cargo run -p openai-chat -- "What is an AI agent?"  # your own questions
//! cargo run -p openai-chat -- --stream                # token by token (`#[stream]`)
//! cargo run -p openai-chat -- --status 127.0.0.1:9090 # and the status page, at /status
//! OPENAI_BASE_URL=https://api.openai.com/v1 OPENAI_API_KEY=... cargo run -p openai-chat --features tls
//! ```
//!
//! It reads the variables the official SDKs read: `OPENAI_BASE_URL`, `OPENAI_API_KEY`,
//! `OPENAI_MODEL` (default `gpt-5-mini`), and one of its own, `OPENAI_FALLBACK_MODEL`
//! (default `gpt-4o-mini`). Without `OPENAI_BASE_URL` it starts the fault-injecting server
//! of `fault_server.rs` on 127.0.0.1 and scripts one fault story per question (rate
//! limits in every `Retry-After` form, a dropped connection, malformed JSON, an outage),
//! so that each attribute of [`client::Client::chat`] gets to act; it then never leaves
//! loopback.
//!
//! For each call it prints every request and wait as it happened, which model served,
//! and the breaker's state. It says whether an API key is set, never what it is.
//!
//! With `--stream` it asks for streamed answers ([`client::Client::chat_stream`]) and
//! prints the tokens as they arrive; offline, the server's stories are then the faults of
//! a stream: a `429` before it, an error event as its first event, a connection cut and a
//! stall part-way (after the first token, nothing is asked again).
//!
//! With `--status ADDR` it also serves `resilience::status`'s page at
//! `http://ADDR/status` (read-only): the client's breaker and the last events, live,
//! and keeps serving it after the questions until stopped (Ctrl-C).

mod client;
mod events;
mod fault_server;

use std::env;
use std::error::Error;
use std::net::SocketAddr;
use std::time::Duration;

use client::{Answer, ApiKey, ChatError, Client};
use events::{Recorded, Recorder};
use fault_server::{Reply, RetryAfterForm, Sse};
use futures_util::StreamExt;
use resilience::fallback::{Served, observe};
use tokio::time::Instant;

/// The questions asked when none are given on the command line.
const QUESTIONS: [&str; 7] = [
    "What is an AI agent?",
    "What is machine learning?",
    "What is deep learning?",
    "Why retry with exponential backoff?",
    "What does a circuit breaker do?",
    "Why do timeouts matter?",
    "What is a fallback?",
];

/// What the offline server answers, request by request: one story per question.
fn offline_script() -> Vec<Reply> {
    let quota = |form| Reply::rate_limited(form); // longer than the retry will wait
    vec![
        // 1. A healthy, if slow, reply.
        Reply::slow(
            Duration::from_millis(150),
            Reply::ok(
                "A program that lets a language model choose actions, such as calling tools, to reach a goal.",
            ),
        ),
        // 2. Rate limited (the server asks for 300 ms), then a dropped connection.
        Reply::rate_limited(RetryAfterForm::Millis(300)),
        Reply::Drop,
        Reply::ok("Fitting models to data so that they predict without hand-written rules."),
        // 3. A 200 whose JSON is cut off: asked again.
        Reply::Malformed,
        Reply::ok("Machine learning with neural networks of many layers."),
        // 4-6. The quota is spent: each call gives up at once, the breaker counts three
        // failures and opens; the second model answers, until it fails too (6).
        quota(RetryAfterForm::Seconds(60)),
        Reply::ok("So that retries spread out and a struggling service can recover."),
        quota(RetryAfterForm::date_in(Duration::from_secs(120))),
        Reply::ok("It stops calling a failing service for a while and fails fast instead."),
        quota(RetryAfterForm::Millis(20_000)),
        Reply::status(503),
        Reply::status(500),
        // 7. The breaker is open: no request to the first model at all.
        Reply::ok("A simpler alternative used when the first choice fails."),
    ]
}

/// The questions asked with `--stream` when none are given.
const STREAM_QUESTIONS: [&str; 5] = [
    "What is an AI agent?",
    "Why retry with exponential backoff?",
    "What does a circuit breaker do?",
    "Why stream an answer?",
    "What is an idle timeout?",
];

/// What the offline server streams, request by request: one story per question.
fn offline_stream_script() -> Vec<Reply> {
    let words = |text: &str| -> Vec<Sse> {
        text.split_inclusive(' ')
            .map(|word| Sse::chunk(40, word))
            .collect()
    };
    let mut cut = words("It stops calling a failing ");
    cut.push(Sse::Cut {
        after: Duration::from_millis(40),
    });
    let mut stall = words("A deadline on the silence ");
    stall.push(Sse::Stall);
    vec![
        // 1. A healthy stream.
        Reply::Stream(words(
            "A program that lets a language model choose actions to reach a goal.",
        )),
        // 2. Rate limited before the stream (300 ms), then a stream.
        Reply::rate_limited(RetryAfterForm::Millis(300)),
        Reply::Stream(words(
            "So that retries spread out and a struggling service can recover.",
        )),
        // 3. A 200 whose first event is an error: asked again, nothing shown twice.
        Reply::Stream(vec![Sse::Error {
            after: Duration::from_millis(50),
        }]),
        Reply::Stream(words("It fails fast while a service is down.")),
        // 4. The connection is cut after the first tokens: not asked again.
        Reply::Stream(cut),
        // 5. The stream stalls after the first tokens: the idle deadline ends it.
        Reply::Stream(stall),
    ]
}

/// An `https` server needs the `tls` feature (rustls with the `ring` provider): say so
/// instead of failing on the first request.
fn https_ready(url: &str) -> Result<(), Box<dyn Error>> {
    if !url.starts_with("https:") {
        return Ok(());
    }
    #[cfg(feature = "tls")]
    {
        Ok(())
    }
    #[cfg(not(feature = "tls"))]
    Err(
        "OPENAI_BASE_URL is an https URL: run with `cargo run -p openai-chat --features tls`"
            .into(),
    )
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    // Every event of this thread (the runtime is current-thread) goes to the recorder.
    let mut args: Vec<String> = env::args().skip(1).collect();
    let status_addr = take_status_flag(&mut args)?;
    let status_events = resilience::status::Events::new(100);
    let recorder = match status_addr {
        Some(_) => Recorder::default().feeding(status_events.clone()),
        None => Recorder::default(),
    };
    let _recording = tracing::subscriber::set_default(recorder.clone());

    let var = |name| {
        env::var(name)
            .ok()
            .filter(|value: &String| !value.trim().is_empty())
    };
    let api_key = var("OPENAI_API_KEY").and_then(ApiKey::new);
    let model = var("OPENAI_MODEL").unwrap_or_else(|| "gpt-5-mini".into());
    let fallback_model = var("OPENAI_FALLBACK_MODEL").unwrap_or_else(|| "gpt-4o-mini".into());
    let mut questions = args;
    let streaming = match questions.iter().position(|arg| arg == "--stream") {
        Some(at) => {
            questions.remove(at);
            true
        }
        None => false,
    };
    if questions.is_empty() {
        questions = if streaming {
            STREAM_QUESTIONS.map(String::from).to_vec()
        } else {
            QUESTIONS.map(String::from).to_vec()
        };
    }

    let (base_url, server) = match var("OPENAI_BASE_URL") {
        Some(url) => {
            https_ready(&url)?;
            (url, None)
        }
        None => {
            let script = if streaming {
                offline_stream_script()
            } else {
                offline_script()
            };
            let server = fault_server::start(script).await;
            (server.base_url(), Some(server))
        }
    };
    println!("server:  {base_url}");
    if server.is_some() {
        println!("         (OPENAI_BASE_URL is not set: a local fault-injecting server, offline)");
    }
    println!("models:  {model}, then {fallback_model}, then a canned answer");
    let key = if api_key.is_some() { "set" } else { "not set" };
    println!("API key: {key}");

    // Leaked, so that its breaker lives as long as the program and can be registered:
    // the status page lists what the registry holds.
    let client: &'static Client = Box::leak(Box::new(Client::new(
        &base_url,
        api_key,
        model,
        fallback_model,
    )?));
    client.breaker.register();
    if let Some(addr) = status_addr {
        let page = resilience::status::StatusPage::new().events(&status_events);
        let app = axum::Router::new().nest("/status", page.router());
        let listener = tokio::net::TcpListener::bind(addr).await?;
        println!("status:  http://{}/status", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, app).await });
    }
    for (n, question) in questions.iter().enumerate() {
        if streaming {
            stream_one(client, &recorder, n, question).await;
            continue;
        }
        let started = Instant::now();
        let (result, served) = observe(client.chat(question)).await;
        let took = started.elapsed();
        println!("\n[{}] {question}", n + 1);
        for event in recorder.take() {
            if let Some(line) = describe(&event) {
                let at = event.at.saturating_duration_since(started).as_secs_f64();
                println!("  {:>5.0}ms  {line}", at * 1000.0);
            }
        }
        print_outcome(&result, served, took);
        let stats = client.breaker.stats();
        println!(
            "  breaker {}: {} calls, {} successes, {} failures, {} rejected",
            client.breaker.state(),
            stats.calls,
            stats.successes,
            stats.failures,
            stats.rejected,
        );
    }
    if let Some(addr) = status_addr {
        println!("\nstatus page still served at http://{addr}/status; Ctrl-C to stop");
        std::future::pending::<()>().await;
    }
    if let Some(server) = server {
        server.shutdown().await;
    }
    Ok(())
}

/// Asks one question with `chat_stream`: what happened up to the first token, then the
/// tokens as they arrive, then how the stream ended.
async fn stream_one(client: &Client, recorder: &Recorder, n: usize, question: &str) {
    use std::io::Write as _;
    let started = Instant::now();
    println!("\n[{}] {question}", n + 1);
    let (opened, served) = observe(client.chat_stream(question)).await;
    let print_events = || {
        for event in recorder.take() {
            if let Some(line) = describe(&event) {
                let at = event.at.saturating_duration_since(started).as_secs_f64();
                println!("  {:>5.0}ms  {line}", at * 1000.0);
            }
        }
    };
    print_events();
    let mut tokens = match opened {
        Ok(tokens) => tokens,
        Err(error) => {
            println!("  => failed in {:.2?}: {error}", started.elapsed());
            return;
        }
    };
    let by = served.map_or_else(|| "first choice".to_owned(), |served| served.by.to_owned());
    print!("  reply ({by}): ");
    let mut ended = None;
    while let Some(token) = tokens.next().await {
        match token {
            Ok(token) => print!("{token}"),
            Err(error) => ended = Some(error),
        }
        let _ = std::io::stdout().flush();
    }
    println!();
    print_events();
    match ended {
        None => println!("  => complete in {:.2?}", started.elapsed()),
        Some(error) => println!(
            "  => ended early in {:.2?}: {error} (not asked again: the tokens above were shown)",
            started.elapsed()
        ),
    }
}

/// Removes `--status ADDR` (or `--status=ADDR`) from `args`, returning the address.
fn take_status_flag(args: &mut Vec<String>) -> Result<Option<SocketAddr>, Box<dyn Error>> {
    let Some(at) = args
        .iter()
        .position(|a| a == "--status" || a.starts_with("--status="))
    else {
        return Ok(None);
    };
    let flag = args.remove(at);
    let value = match flag.strip_prefix("--status=") {
        Some(value) => value.to_owned(),
        None if at < args.len() => args.remove(at),
        None => return Err("--status needs an address, e.g. --status 127.0.0.1:9090".into()),
    };
    let addr = value
        .parse()
        .map_err(|e| format!("--status {value}: not an address like 127.0.0.1:9090 ({e})"))?;
    Ok(Some(addr))
}

/// One line for an event, or `None` for one not worth a line.
fn describe(event: &Recorded) -> Option<String> {
    let field = |name| event.field(name).unwrap_or("?");
    Some(match (event.target, event.message.as_str()) {
        ("openai_chat", "request") => format!("request to {}", field("model")),
        ("openai_chat", "answered") => format!("  answered by {}", field("model")),
        ("openai_chat", "failed") => format!("  failed: {}", field("error")),
        ("openai_chat", "stream opened") => format!("  stream opened by {}", field("model")),
        ("resilience", "stream: first item") => {
            format!("  first token after {}ms", field("after_ms"))
        }
        ("resilience", "stream: failed before its first item") => {
            format!("  no first token: {}", field("reason"))
        }
        ("resilience", message) if message.starts_with("stream idle") => {
            format!("  idle for {}: stream ended", field("idle"))
        }
        ("resilience", "timed out") => format!("  timed out after {}", field("after")),
        ("resilience", "retry scheduled") => {
            let asked = if field("server_delay") == "true" {
                ", as the server asked"
            } else {
                ""
            };
            let delay = event.duration("delay").unwrap_or_default();
            format!("  retry {}: wait {delay:.0?}{asked}", field("attempt"))
        }
        ("resilience", "giving up") => {
            format!(
                "  gave up after attempt {}: {}",
                field("attempt"),
                field("reason")
            )
        }
        ("resilience", "circuit breaker state changed") => {
            format!("  breaker: {} -> {}", field("from"), field("to"))
        }
        ("resilience", "circuit breaker rejected a call") => {
            let retry_in = event.duration("retry_in").unwrap_or_default();
            format!(
                "breaker {}: no request to the first model (retry in {retry_in:.0?})",
                field("state")
            )
        }
        ("resilience", "falling back") => {
            format!(
                "  falling back to {} (level {})",
                field("to"),
                field("level")
            )
        }
        ("resilience", "fallback served") => return None, // said below, with the answer
        _ => format!("{}: {event}", event.target),
    })
}

fn print_outcome(result: &Result<Answer, ChatError>, served: Option<Served>, took: Duration) {
    match (result, served) {
        (Ok(answer), None) => println!("  => {} (first choice), in {took:.2?}", answer.model),
        (Ok(answer), Some(served)) => println!(
            "  => {} (fallback level {}: {}), in {took:.2?}",
            answer.model, served.level, served.by
        ),
        (Err(error), _) => println!("  => failed in {took:.2?}: {error}"),
    }
    if let Ok(answer) = result {
        println!("  reply: {}", answer.text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn the_status_flag_is_taken_out_of_the_questions() {
        let mut given = args(&["Why?", "--status", "127.0.0.1:9090", "How?"]);
        let addr = take_status_flag(&mut given).unwrap();
        assert_eq!(addr, Some("127.0.0.1:9090".parse().unwrap()));
        assert_eq!(given, args(&["Why?", "How?"]));

        let mut given = args(&["--status=[::1]:80"]);
        assert_eq!(
            take_status_flag(&mut given).unwrap(),
            Some("[::1]:80".parse().unwrap())
        );
        assert!(given.is_empty());

        let mut given = args(&["Why?"]);
        assert_eq!(take_status_flag(&mut given).unwrap(), None);
        assert_eq!(given, args(&["Why?"]));
    }

    #[test]
    fn a_status_flag_without_an_address_is_an_error() {
        let err = take_status_flag(&mut args(&["--status"])).unwrap_err();
        assert!(err.to_string().contains("needs an address"), "{err}");
        let err = take_status_flag(&mut args(&["--status", "localhost"])).unwrap_err();
        assert!(err.to_string().contains("not an address"), "{err}");
    }
}
