//! Running loom models: each model under every interleaving loom explores, reporting how
//! many it explored (see `loom_circuit.rs` for why actors run on spawned threads, in both
//! spawn orders when they differ).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Instant;

use loom::thread;

/// Both spawn orders, for models whose two actors differ.
pub const BOTH: &[bool] = &[false, true];
/// One order, for models whose actors are all alike.
pub const ONE: &[bool] = &[false];

/// Runs `model` under loom, with `LOOM_MAX_PREEMPTIONS` (default 3) as the bound, once
/// for each value in `orders` (passed to the model: spawn its actors reversed), the
/// loom clock reset before each execution.
pub fn check(name: &str, orders: &[bool], model: impl Fn(bool) + Sync + Send + 'static) {
    let model = Arc::new(model);
    for &reversed in orders {
        let executions = Arc::new(AtomicUsize::new(0));
        let counter = executions.clone();
        let model = model.clone();
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound.get_or_insert(3);
        let bound = builder.preemption_bound.unwrap_or_default();
        let started = Instant::now();
        builder.check(move || {
            counter.fetch_add(1, SeqCst);
            resilience_core::circuit::loom_clock::reset();
            model(reversed);
        });
        eprintln!(
            "loom {name}{}: {} executions in {:.2?} (preemption bound {bound})",
            if reversed { " (reversed)" } else { "" },
            executions.load(SeqCst),
            started.elapsed()
        );
    }
}

/// Runs `a` and `b` on two loom threads, spawned in that order (`b` first if
/// `reversed`), and returns what each returned.
pub fn race<A, B>(
    reversed: bool,
    a: impl FnOnce() -> A + Send + 'static,
    b: impl FnOnce() -> B + Send + 'static,
) -> (A, B)
where
    A: Send + 'static,
    B: Send + 'static,
{
    if reversed {
        let b = thread::spawn(b);
        let a = thread::spawn(a);
        (a.join().unwrap(), b.join().unwrap())
    } else {
        let a = thread::spawn(a);
        let b = thread::spawn(b);
        (a.join().unwrap(), b.join().unwrap())
    }
}
