//! Which alternative served: [`Served`], [`report`], [`observe`], [`observe_blocking`].

use core::cell::Cell;
use core::future::Future;

tokio::task_local! {
    // The innermost `observe` scope of the current task (or thread, for `observe_blocking`):
    // the last report made inside it.
    static SERVED: Cell<Option<Served>>;
}

/// An alternative served a call: which one (`by`), at which `level` (1 = first fallback).
///
/// ```
/// use resilience_core::fallback::Served;
///
/// let served = Served { by: "local_llm", level: 2 };
/// assert_eq!(served.to_string(), "served by `local_llm` (fallback level 2)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Served {
    /// The name of the alternative that returned `Ok` (the function's name with `#[fallback]`).
    pub by: &'static str,
    /// Its position in the list of fallbacks: 1 for the first fallback, 2 for the second, ...
    /// (the primary is level 0 and is never reported).
    pub level: usize,
}

impl core::fmt::Display for Served {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "served by `{}` (fallback level {})", self.by, self.level)
    }
}

/// Records that an alternative served.
///
/// Emits the `info` event "fallback served" (target `resilience`, fields `by` and `level`) and
/// stores `served` in the innermost enclosing [`observe`] / [`observe_blocking`] scope,
/// replacing any earlier report there. Outside any scope it only emits the event (one
/// thread-local read, no allocation, no lock). The `#[fallback]` expansion and [`first_ok`]
/// call this; call it yourself when you route to alternatives by hand.
///
/// [`first_ok`]: super::first_ok
///
/// ```
/// use resilience_core::fallback::{observe_blocking, report, Served};
///
/// let ((), served) = observe_blocking(|| report(Served { by: "gpt35", level: 1 }));
/// assert_eq!(served, Some(Served { by: "gpt35", level: 1 }));
///
/// report(Served { by: "gpt35", level: 1 }); // no scope: just the event
/// ```
pub fn report(served: Served) {
    tracing::info!(target: "resilience", by = served.by, level = served.level, "fallback served");
    store(served);
}

fn store(served: Served) {
    // `Err` means no scope is active: nobody is asking, so there is nothing to do.
    let _ = SERVED.try_with(|slot| slot.set(Some(served)));
}

/// Runs `fut` and returns its output together with the last [`Served`] reported while it ran.
///
/// `None` means no alternative served: the primary answered (or everything failed). When
/// functions with `#[fallback]` call each other, the last report wins, which is the outermost
/// one that fell back: if an outer function falls back after an inner one did, the caller sees
/// the outer alternative, the one whose answer it actually got.
///
/// The scope is task-local (see the [module docs](super) for why), so it covers everything
/// `fut` awaits, but not tasks it spawns. Nested `observe` scopes each see the reports made
/// inside them; the inner one's result is also passed on to the outer scope (without a
/// second event), as if the report had been made there.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use resilience_core::fallback::{observe, report, Served};
///
/// async fn answer() -> Result<&'static str, ()> {
///     report(Served { by: "local_llm", level: 2 }); // what `#[fallback]` does for you
///     Ok("Sentiment: Positive")
/// }
///
/// let (result, served) = observe(answer()).await;
/// assert_eq!(result, Ok("Sentiment: Positive"));
/// assert_eq!(served, Some(Served { by: "local_llm", level: 2 }));
/// # }
/// ```
pub async fn observe<F: Future>(fut: F) -> (F::Output, Option<Served>) {
    let (output, served) = SERVED
        .scope(Cell::new(None), async {
            let output = fut.await;
            (output, SERVED.with(Cell::get))
        })
        .await;
    if let Some(served) = served {
        store(served);
    }
    (output, served)
}

/// [`observe`] for blocking code: runs `f` and returns its result with the last [`Served`]
/// reported on this thread while it ran.
///
/// Uses the same task-local slot as [`observe`] (set for the duration of `f` on the current
/// thread), so it works with or without a tokio runtime, and sees reports from blocking
/// functions with `#[fallback]`. Work that `f` sends to other threads is not covered.
///
/// ```
/// use resilience_core::fallback::{first_ok_blocking, observe_blocking, Served};
///
/// let (answer, served) = observe_blocking(|| {
///     first_ok_blocking(["gpt4", "gpt35"], |_| true, |level| match level {
///         0 => Err("429 Too Many Requests"),
///         _ => Ok("an answer"),
///     })
/// });
/// assert_eq!(answer, Ok("an answer"));
/// assert_eq!(served, Some(Served { by: "gpt35", level: 1 }));
/// ```
pub fn observe_blocking<R>(f: impl FnOnce() -> R) -> (R, Option<Served>) {
    let (output, served) = SERVED.sync_scope(Cell::new(None), || {
        let output = f();
        (output, SERVED.with(Cell::get))
    });
    if let Some(served) = served {
        store(served);
    }
    (output, served)
}
