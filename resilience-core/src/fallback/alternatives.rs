//! Ordered alternatives without the macros: [`first_ok`] and [`first_ok_blocking`].

use core::future::Future;

use super::Served;
use super::report::{Depth, report_from_pipeline};

/// Calls the alternatives in order until one returns `Ok`; reports which one served.
///
/// `names[0]` is the primary, `names[1..]` the fallbacks in order; `call(level)` runs the
/// alternative at that index (0 = primary, 1 = first fallback, ...). One closure that
/// `match`es on the level keeps every alternative in a single future type, so nothing is
/// boxed or allocated, and the whole call is `Send` whenever the alternatives are.
///
/// After an `Err`, the next alternative is called only if `when(&error)` says so (pass
/// `|_| true` to fall back on every error); otherwise that error is returned at once. If every
/// alternative fails, the last error is returned. When a fallback (level >= 1) returns `Ok`,
/// [`report`](super::report()) is called with `Served { by: names[level], level }`, so [`observe`] sees it and
/// the "fallback served" event is emitted; each step down emits a `debug` event
/// "falling back" (`from`, `to`, `level`). `when` is not called for the last alternative's
/// error, since there is nothing left to try. `N = 0` is a compile error.
///
/// [`observe`]: super::observe
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use resilience_core::fallback::{first_ok, observe, Served};
///
/// #[derive(Debug, PartialEq)]
/// enum ApiError { Timeout, RateLimited, BadRequest }
///
/// async fn gpt4(_q: &str) -> Result<String, ApiError> { Err(ApiError::Timeout) }
/// async fn gpt35(_q: &str) -> Result<String, ApiError> { Err(ApiError::RateLimited) }
/// async fn local_llm(_q: &str) -> Result<String, ApiError> {
///     Ok("Sentiment: Positive (confidence: 0.78)".into())
/// }
///
/// let query = "Analyze customer sentiment";
/// let (answer, served) = observe(first_ok(
///     ["gpt4", "gpt35", "local_llm"],
///     |e| *e != ApiError::BadRequest, // a bad request fails everywhere: don't fall back
///     |level| async move {
///         match level {
///             0 => gpt4(query).await,
///             1 => gpt35(query).await,
///             _ => local_llm(query).await,
///         }
///     },
/// ))
/// .await;
/// assert_eq!(answer.unwrap(), "Sentiment: Positive (confidence: 0.78)");
/// assert_eq!(served, Some(Served { by: "local_llm", level: 2 }));
/// # }
/// ```
pub async fn first_ok<const N: usize, T, E, Fut>(
    names: [&'static str; N],
    mut when: impl FnMut(&E) -> bool,
    mut call: impl FnMut(usize) -> Fut,
) -> Result<T, E>
where
    Fut: Future<Output = Result<T, E>>,
{
    const { assert!(N > 0, "`first_ok` needs at least one alternative") };
    let _depth = Depth::entered();
    let mut level = 0;
    loop {
        match call(level).await {
            Ok(output) => return Ok(served(names, level, output)),
            Err(error) => level = next(names, level, error, &mut when)?,
        }
    }
}

/// [`first_ok`] for blocking code: calls `call(0)`, `call(1)`, ... until one returns `Ok`.
///
/// Same rules as [`first_ok`]: `names[0]` is the primary, `when` decides whether an error
/// falls through to the next alternative, the last error is returned when all fail, and a
/// fallback that serves is [`report`](super::report())ed (visible to [`observe_blocking`]).
///
/// [`observe_blocking`]: super::observe_blocking
///
/// ```
/// use resilience_core::fallback::first_ok_blocking;
///
/// let mut calls = Vec::new();
/// let answer: Result<&str, &str> = first_ok_blocking(["primary", "backup"], |_| true, |level| {
///     calls.push(level);
///     Err(if level == 0 { "primary down" } else { "backup down" })
/// });
/// assert_eq!(answer, Err("backup down")); // the last error
/// assert_eq!(calls, [0, 1]);
/// ```
pub fn first_ok_blocking<const N: usize, T, E>(
    names: [&'static str; N],
    mut when: impl FnMut(&E) -> bool,
    mut call: impl FnMut(usize) -> Result<T, E>,
) -> Result<T, E> {
    const { assert!(N > 0, "`first_ok_blocking` needs at least one alternative") };
    let _depth = Depth::entered();
    let mut level = 0;
    loop {
        match call(level) {
            Ok(output) => return Ok(served(names, level, output)),
            Err(error) => level = next(names, level, error, &mut when)?,
        }
    }
}

fn served<const N: usize, T>(names: [&'static str; N], level: usize, output: T) -> T {
    if level > 0 {
        report_from_pipeline(Served {
            by: names[level],
            level,
        });
    }
    output
}

/// The level to try after `level` failed with `error`, or `Err(error)` to stop.
fn next<const N: usize, E>(
    names: [&'static str; N],
    level: usize,
    error: E,
    when: &mut impl FnMut(&E) -> bool,
) -> Result<usize, E> {
    let next = level + 1;
    if next >= N || !when(&error) {
        return Err(error);
    }
    #[cfg(feature = "metrics")]
    crate::metrics::event("fallback", "fallback", names[0]);
    tracing::debug!(
        target: "resilience",
        from = names[level],
        to = names[next],
        level = next,
        "falling back"
    );
    Ok(next)
}
