//! Which alternative served: [`Served`], [`report`], [`observe`], [`observe_blocking`].

use core::cell::Cell;
use core::future::Future;
use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// One `observe` scope: the last report it accepted, and how many pipelines run inside
/// it now.
struct Scope {
    served: Cell<Option<Served>>,
    depth: Cell<u32>,
}

impl Scope {
    const fn new() -> Self {
        Scope {
            served: Cell::new(None),
            depth: Cell::new(0),
        }
    }
}

tokio::task_local! {
    // The innermost `observe` scope of the current task (or thread, for `observe_blocking`).
    static SCOPE: Scope;
}

/// How many `observe` scopes are open, on any thread: while none is, a pipeline need not
/// look for one (a task-local read costs more than this relaxed load).
static SCOPES: AtomicUsize = AtomicUsize::new(0);

/// Counts an open scope for as long as it lives (also when its future is dropped).
struct Open;

impl Open {
    fn new() -> Self {
        SCOPES.fetch_add(1, Relaxed);
        Open
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        SCOPES.fetch_sub(1, Relaxed);
    }
}

/// A pipeline's place in the enclosing scope's depth: counted for as long as it lives.
pub(crate) struct Depth(bool);

impl Depth {
    /// A pipeline starts: counted in the enclosing scope, if there is one.
    #[inline(always)]
    pub(crate) fn entered() -> Self {
        Depth(SCOPES.load(Relaxed) != 0 && deeper())
    }
}

impl Depth {
    /// A part of a pipeline (a hedge's copy): not counted.
    #[inline(always)]
    pub(crate) const fn uncounted() -> Self {
        Depth(false)
    }
}

impl Drop for Depth {
    #[inline(always)]
    fn drop(&mut self) {
        if self.0 {
            shallower();
        }
    }
}

#[cold]
#[inline(never)]
fn deeper() -> bool {
    SCOPE
        .try_with(|scope| scope.depth.set(scope.depth.get() + 1))
        .is_ok()
}

#[cold]
#[inline(never)]
fn shallower() {
    let _ = SCOPE.try_with(|scope| scope.depth.set(scope.depth.get().saturating_sub(1)));
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
/// Emits the `info` event "fallback served" (target `resilience`, fields `by` and `level`)
/// and stores `served` in the innermost enclosing [`observe`] / [`observe_blocking`] scope,
/// replacing any earlier report there, when called directly in the observed code (not
/// from inside a pipeline that runs in it: see [whose fallback a scope sees](super#whose-fallback-a-scope-sees)). Outside any
/// scope it only emits the event. Call it when you route to alternatives by hand.
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
    report_at(served, 0);
}

/// A fallback layer (or [`first_ok`](super::first_ok)) served: the scope's if its
/// pipeline is the observed one.
pub(crate) fn report_from_pipeline(served: Served) {
    report_at(served, 1);
}

fn report_at(served: Served, depth: u32) {
    tracing::info!(target: "resilience", by = served.by, level = served.level, "fallback served");
    if SCOPES.load(Relaxed) != 0 {
        // `Err`: no scope is active, nobody is asking.
        let _ = SCOPE.try_with(|scope| {
            if scope.depth.get() == depth {
                scope.served.set(Some(served));
            }
        });
    }
}

/// The observed pipeline's fallback layer starts over (an outer retry entered it
/// again): what it reported for an earlier answer is no longer the answer's.
pub(crate) fn retract() {
    if SCOPES.load(Relaxed) != 0 {
        let _ = SCOPE.try_with(|scope| {
            if scope.depth.get() == 1 {
                scope.served.set(None);
            }
        });
    }
}

/// Runs `fut` and returns its output together with who served it, if a fallback did.
///
/// `None` means no alternative served: the primary answered (or everything failed).
/// Only the observed code's own fallback counts: a fallback taken inside the observed
/// function's body or inside one of its agents answered a question of theirs, not the
/// caller's (see [whose fallback a scope sees](super#whose-fallback-a-scope-sees)). With several fallback layers on the observed
/// function, the last report wins, the one whose answer the caller got.
///
/// The scope is task-local (see the [module docs](super) for why), so it covers everything
/// `fut` awaits, but not tasks it spawns. A nested `observe` scope sees what its own
/// future's fallback did, and nothing of it reaches the outer scope.
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
    let _open = Open::new();
    SCOPE
        .scope(Scope::new(), async {
            let output = fut.await;
            (output, SCOPE.with(|scope| scope.served.get()))
        })
        .await
}

/// [`observe`] for blocking code: runs `f` and returns its result with who served it.
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
    let _open = Open::new();
    SCOPE.sync_scope(Scope::new(), || {
        let output = f();
        (output, SCOPE.with(|scope| scope.served.get()))
    })
}
