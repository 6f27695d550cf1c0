//! The status page in a real headless browser (Debian's `chromium`; `.ci/run` installs
//! it when missing): served from a loopback server during a scripted run, it must show
//! the breaker the run opens as open, and it leaves a screenshot.
//!
//! The run moves one step each time the page polls the JSON (a middleware of this test
//! server, not of the library), and chromium runs with a virtual-time budget, so its 2 s
//! polls follow each other at once: the page sees the same story, step for step, however
//! fast the machine is, and the whole test takes a few seconds.
//!
//! `RESILIENCE_BLESS=1` also copies the screenshot to `docs/status.png` (the README's);
//! `CHROMIUM=/path/to/chrome` picks another browser.

#[path = "../common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use common::ApiError;
use resilience::retry::Price;
use resilience::status::{Events, StatusPage};
use resilience::{Bulkhead, ConfigError, RateLimiter, RetryBudget, circuit, registry};
use tracing_subscriber::prelude::*;

/// Polls per browser run: the page's 2 s polls over 2 min of virtual time (what its
/// sparklines hold).
const VIRTUAL_MS: u32 = 120_000;
/// The step at which `openai` starts failing; it opens after 3 failures in a row.
const OUTAGE_AT: u32 = 12;
/// Longest one browser run may take.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(20);

#[circuit(name = "openai::chat", threshold = 3, recovery = 10m)]
async fn openai(up: bool) -> Result<&'static str, ApiError> {
    if up {
        Ok("answer")
    } else {
        Err(ApiError::Network)
    }
}

#[circuit(name = "anthropic", key = model, threshold = 3, recovery = 10m)]
async fn anthropic(model: &str, up: bool) -> Result<&'static str, ApiError> {
    let _ = model;
    if up {
        Ok("answer")
    } else {
        Err(ApiError::Network)
    }
}

static TOKENS: RateLimiter = RateLimiter::new(ConfigError::unwrap_const(
    RateLimiter::builder()
        .name("openai-tokens")
        .tokens(200_000)
        .settings(),
));

static EMBEDDINGS: Bulkhead = Bulkhead::new(ConfigError::unwrap_const(
    Bulkhead::builder().name("embeddings").max(8).settings(),
));

static BUDGET: RetryBudget = match RetryBudget::builder().name("llm-retries").build() {
    Ok(budget) => budget,
    Err(_) => panic!(),
};

/// Which step of the run comes next.
static STEP: AtomicU32 = AtomicU32::new(0);

/// One step of the scripted traffic: steady successes, a few failures, then from
/// [`OUTAGE_AT`] `openai` fails until its breaker opens and then refuses every call.
async fn step(n: u32) {
    for call in 0..4 {
        let up = n < OUTAGE_AT && !(n % 5 == 3 && call == 0);
        let _ = openai(up).await;
        BUDGET.register().deposit();
    }
    if n >= OUTAGE_AT {
        let _ = BUDGET.register().try_withdraw(Price::Retry);
    }
    for call in 0..(2 + n % 3) {
        let _ = anthropic("claude-sonnet", true).await;
        let _ = anthropic("claude-haiku", !(n % 7 == 2 && call == 0)).await;
    }
    let _ = TOKENS
        .register()
        .try_acquire(3_000 + u64::from(n % 4) * 1_500);
    let _ = EMBEDDINGS.register();
}

/// Runs the next step before each JSON answer.
async fn advance(request: Request, next: Next) -> Response {
    if request.uri().path().ends_with("/json") {
        step(STEP.fetch_add(1, Ordering::SeqCst)).await;
    }
    next.run(request).await
}

fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return path.into();
    }
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        let found = std::env::var_os("PATH")
            .into_iter()
            .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
            .map(|dir| dir.join(name))
            .find(|path| path.is_file());
        if let Some(path) = found {
            return path;
        }
    }
    panic!(
        "no chromium found: run the tests with `scripts/test` (it installs it), `apt-get install -y chromium`, or set CHROMIUM"
    );
}

/// Runs the browser on `url` with `args`, for at most [`BROWSER_TIMEOUT`]; its stdout.
fn browse(url: &str, args: &[&str], profile: &Path) -> String {
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox", // CI runs as root
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1280,760",
            &format!("--virtual-time-budget={VIRTUAL_MS}"),
            &format!("--user-data-dir={}", profile.display()),
        ])
        .args(args)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > BROWSER_TIMEOUT {
            let _ = child.kill();
            panic!("chromium took longer than {BROWSER_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The breakers back to closed, and the script back to its first step.
fn restart_script() {
    for breaker in registry::circuits() {
        breaker.reset();
    }
    for key in ["claude-sonnet", "claude-haiku"] {
        if let Some(breaker) = registry::circuit(&format!("anthropic/{key}")) {
            breaker.reset();
        }
    }
    STEP.store(0, Ordering::SeqCst);
}

/// Starts the script again and serves it on loopback, with a ring of its own (so the
/// page lists this run's events only): the page's URL, and the ring's guard.
async fn serve_a_run() -> (String, tracing::subscriber::DefaultGuard) {
    restart_script();
    let events = Events::new(40);
    let recording = tracing_subscriber::registry()
        .with(events.clone())
        .set_default();
    let app = axum::Router::new()
        .nest("/status", StatusPage::new().events(&events).router())
        .layer(middleware::from_fn(advance));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/status", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, recording)
}

// Current-thread: the server's tasks run on this thread, where the ring is installed.
#[tokio::test(flavor = "current_thread")]
async fn a_headless_browser_shows_the_breaker_the_run_opens() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("status_browser");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let profile = dir.join("profile");

    // The page as the browser rendered it, after its polls.
    let (url, recording) = serve_a_run().await;
    let (page_url, run_profile) = (url.clone(), profile.clone());
    let dom = tokio::task::spawn_blocking(move || browse(&page_url, &["--dump-dom"], &run_profile))
        .await
        .unwrap();
    let polls = STEP.load(Ordering::SeqCst);
    assert!(
        polls > OUTAGE_AT + 3,
        "the page polled {polls} times: {dom}"
    );
    let open_rows: Vec<&str> = dom
        .split("<tr ")
        .filter(|row| row.contains(r#"data-state="open""#))
        .collect();
    assert_eq!(open_rows.len(), 1, "one open breaker on the page: {dom}");
    assert!(
        open_rows[0].contains(r#"data-name="openai::chat""#),
        "{}",
        open_rows[0]
    );
    assert!(
        dom.contains(r#"data-name="anthropic/claude-haiku" data-state="closed""#),
        "{dom}"
    );
    assert!(
        dom.contains("circuit breaker state changed"),
        "the events are listed: {dom}"
    );
    assert!(dom.contains("<polyline"), "the sparklines are drawn: {dom}");

    // The same run again, photographed.
    drop(recording);
    let (url, _recording) = serve_a_run().await;
    let shot = dir.join("status.png");
    let (page_url, run_profile, out) = (url.clone(), profile.clone(), shot.clone());
    tokio::task::spawn_blocking(move || {
        browse(
            &page_url,
            &[&format!("--screenshot={}", out.display())],
            &run_profile,
        )
    })
    .await
    .unwrap();
    let png = std::fs::read(&shot).expect("chromium saved the screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    if std::env::var_os("RESILIENCE_BLESS").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/status.png");
        std::fs::create_dir_all(docs.parent().unwrap()).unwrap();
        std::fs::copy(&shot, docs).unwrap();
    }
}
