//! Behaviour of `resilience_core::fallback`: reporting, observing, ordered alternatives.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use resilience_core::fallback::{
    Served, first_ok, first_ok_blocking, observe, observe_blocking, report,
};
use support::events::{Event, capture};
use tokio::time::{Instant, sleep};

const GPT35: Served = Served {
    by: "gpt35",
    level: 1,
};
const LOCAL: Served = Served {
    by: "local_llm",
    level: 2,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ApiError {
    Timeout,
    RateLimited,
    BadRequest,
}

// ===== report / observe =====

#[tokio::test]
async fn observe_sees_nothing_when_nobody_reports() {
    let (out, served) = observe(async { 1 }).await;
    assert_eq!((out, served), (1, None));
}

#[tokio::test]
async fn observe_sees_a_report_made_across_awaits() {
    let (out, served) = observe(async {
        tokio::task::yield_now().await;
        report(LOCAL);
        tokio::task::yield_now().await;
        "ok"
    })
    .await;
    assert_eq!((out, served), ("ok", Some(LOCAL)));
}

#[tokio::test]
async fn the_last_report_wins() {
    // An inner #[fallback] fn reports first; the outer one, which fell back after it, last.
    let (_, served) = observe(async {
        report(GPT35);
        report(LOCAL);
    })
    .await;
    assert_eq!(served, Some(LOCAL));
}

#[tokio::test]
async fn a_report_outside_any_scope_is_a_no_op() {
    report(GPT35);
    let (_, served) = observe(async {}).await;
    assert_eq!(
        served, None,
        "a report made before the scope leaked into it"
    );
}

#[tokio::test]
async fn nested_scopes_keep_their_reports_to_themselves() {
    // The inner scope's report is a fallback inside the outer observed code, not its
    // own: the outer scope does not see it.
    let (inner, outer) = observe(async {
        let (_, inner) = observe(async { report(GPT35) }).await;
        inner
    })
    .await;
    assert_eq!(inner, Some(GPT35));
    assert_eq!(outer, None);

    // ... and a later report in the outer scope still wins over it.
    let (_, outer) = observe(async {
        let _ = observe(async { report(GPT35) }).await;
        report(LOCAL);
    })
    .await;
    assert_eq!(outer, Some(LOCAL));

    // An inner scope with no report leaves the outer one's report alone.
    let (_, outer) = observe(async {
        report(LOCAL);
        let (_, inner) = observe(async {}).await;
        assert_eq!(inner, None);
    })
    .await;
    assert_eq!(outer, Some(LOCAL));
}

#[tokio::test(start_paused = true)]
async fn concurrent_scopes_on_one_thread_do_not_mix() {
    let a = observe(async {
        sleep(Duration::from_millis(2)).await;
        report(GPT35);
        sleep(Duration::from_millis(2)).await;
    });
    let b = observe(async {
        sleep(Duration::from_millis(1)).await;
        report(LOCAL);
        sleep(Duration::from_millis(3)).await;
    });
    let c = observe(sleep(Duration::from_millis(3)));
    let ((_, a), (_, b), (_, c)) = tokio::join!(a, b, c);
    assert_eq!((a, b, c), (Some(GPT35), Some(LOCAL), None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observe_is_send_and_works_in_spawned_tasks() {
    fn assert_send<T: Send>(_: &T) {}
    let fut = observe(async {
        tokio::task::yield_now().await;
        report(LOCAL);
        7
    });
    assert_send(&fut);
    assert_eq!(tokio::spawn(fut).await.unwrap(), (7, Some(LOCAL)));
}

#[tokio::test]
async fn a_spawned_task_is_outside_the_scope() {
    let (_, served) = observe(async {
        tokio::spawn(async { report(GPT35) }).await.unwrap();
    })
    .await;
    assert_eq!(served, None);
}

#[test]
fn observe_blocking_works_without_a_runtime() {
    assert_eq!(observe_blocking(|| 3), (3, None));
    let (out, served) = observe_blocking(|| {
        report(GPT35);
        report(LOCAL);
        "x"
    });
    assert_eq!((out, served), ("x", Some(LOCAL)));
    // The scope is over: a later report is not stored anywhere.
    report(GPT35);
    assert_eq!(observe_blocking(|| ()).1, None);
}

#[test]
fn observe_blocking_nests_like_observe() {
    let ((), outer) = observe_blocking(|| {
        let ((), inner) = observe_blocking(|| report(GPT35));
        assert_eq!(inner, Some(GPT35));
    });
    assert_eq!(outer, None);
}

#[test]
fn served_displays_who_and_where() {
    assert_eq!(
        LOCAL.to_string(),
        "served by `local_llm` (fallback level 2)"
    );
}

// ===== first_ok =====

/// The levels called so far.
type Calls = Arc<Mutex<Vec<usize>>>;

/// Calls made, by level; the alternatives fail with the given errors (None = Ok).
fn script(
    results: &'static [Option<ApiError>],
) -> (Calls, impl FnMut(usize) -> Result<usize, ApiError>) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let log = calls.clone();
    let call = move |level: usize| {
        log.lock().unwrap().push(level);
        match results[level] {
            None => Ok(level),
            Some(e) => Err(e),
        }
    };
    (calls, call)
}

#[tokio::test(start_paused = true)]
async fn first_ok_tries_in_order_and_reports_the_level() {
    // The seed exercise: GPT4 times out (after 10s), GPT35 is rate limited, LocalLLM answers.
    let start = Instant::now();
    let (calls, mut call) = script(&[Some(ApiError::Timeout), Some(ApiError::RateLimited), None]);
    let (out, served) = observe(first_ok(
        ["gpt4", "gpt35", "local_llm"],
        |_| true,
        |level| {
            let result = call(level);
            async move {
                if level == 0 {
                    sleep(Duration::from_secs(10)).await;
                }
                result
            }
        },
    ))
    .await;
    assert_eq!(out, Ok(2));
    assert_eq!(served, Some(LOCAL));
    assert_eq!(*calls.lock().unwrap(), [0, 1, 2]);
    assert_eq!(start.elapsed(), Duration::from_secs(10));
}

#[tokio::test]
async fn first_ok_primary_success_reports_nothing_and_calls_no_fallback() {
    let (calls, mut call) = script(&[None, None]);
    let (out, served) = observe(first_ok(
        ["gpt4", "gpt35"],
        |_| true,
        |l| {
            let r = call(l);
            async move { r }
        },
    ))
    .await;
    assert_eq!((out, served), (Ok(0), None));
    assert_eq!(*calls.lock().unwrap(), [0]);
}

#[tokio::test]
async fn first_ok_returns_the_last_error_when_all_fail() {
    let (calls, mut call) = script(&[
        Some(ApiError::Timeout),
        Some(ApiError::Timeout),
        Some(ApiError::RateLimited),
    ]);
    let mut asked = 0;
    let (out, served) = observe(first_ok(
        ["a", "b", "c"],
        |_| {
            asked += 1;
            true
        },
        |l| {
            let r = call(l);
            async move { r }
        },
    ))
    .await;
    assert_eq!((out, served), (Err(ApiError::RateLimited), None));
    assert_eq!(*calls.lock().unwrap(), [0, 1, 2]);
    assert_eq!(asked, 2, "`when` is not asked about the last error");
}

#[tokio::test]
async fn first_ok_stops_at_an_error_that_when_rejects() {
    let (calls, mut call) = script(&[Some(ApiError::Timeout), Some(ApiError::BadRequest), None]);
    let (out, served) = observe(first_ok(
        ["a", "b", "c"],
        |e| *e != ApiError::BadRequest,
        |l| {
            let r = call(l);
            async move { r }
        },
    ))
    .await;
    assert_eq!((out, served), (Err(ApiError::BadRequest), None));
    assert_eq!(*calls.lock().unwrap(), [0, 1]);
}

#[tokio::test]
async fn first_ok_with_a_single_alternative_is_the_bare_call() {
    let (calls, mut call) = script(&[Some(ApiError::Timeout)]);
    let out = first_ok(
        ["only"],
        |_| true,
        |l| {
            let r = call(l);
            async move { r }
        },
    )
    .await;
    assert_eq!(out, Err(ApiError::Timeout));
    assert_eq!(*calls.lock().unwrap(), [0]);
}

#[test]
fn first_ok_blocking_follows_the_same_rules() {
    let (calls, call) = script(&[Some(ApiError::Timeout), None, None]);
    let (out, served) =
        observe_blocking(|| first_ok_blocking(["gpt4", "gpt35", "local"], |_| true, call));
    assert_eq!((out, served), (Ok(1), Some(GPT35)));
    assert_eq!(*calls.lock().unwrap(), [0, 1]);

    let (calls, call) = script(&[Some(ApiError::BadRequest), None]);
    let out = first_ok_blocking(["a", "b"], |e| *e != ApiError::BadRequest, call);
    assert_eq!(out, Err(ApiError::BadRequest));
    assert_eq!(*calls.lock().unwrap(), [0]);
}

// ===== events =====

#[test]
fn events_fallback_served_and_falling_back() {
    let ((), events) = capture(|| {
        report(GPT35); // outside any scope: the event still goes out
        let (_, call) = script(&[Some(ApiError::Timeout), Some(ApiError::Timeout), None]);
        let _ = first_ok_blocking(["gpt4", "gpt35", "local_llm"], |_| true, call);
    });
    assert_eq!(
        events.iter().map(Event::render).collect::<Vec<_>>(),
        [
            "INFO resilience: fallback served by=gpt35 level=1",
            "DEBUG resilience: falling back from=gpt4 level=1 to=gpt35",
            "DEBUG resilience: falling back from=gpt35 level=2 to=local_llm",
            "INFO resilience: fallback served by=local_llm level=2",
        ]
    );
}
