//! The circuit breaker's state machine, model-checked with loom.
//!
//! Loom runs each model below under every interleaving of the breaker's atomic operations
//! (up to a preemption bound), and lets relaxed loads return the older values the C++11
//! memory model allows, so the invariants asserted here hold in *every* execution it
//! explores, not just in the ones a stress test happens to hit:
//!
//! - at most `probes` calls are admitted at once while half-open, and an open breaker
//!   never admits a probe before its deadline, even to a thread that could read a stale
//!   deadline;
//! - no transition is lost: concurrent failures that reach the threshold open it, the
//!   probe that reopens it publishes a fresh recovery period, a stale permit never undoes
//!   a transition made after it was admitted;
//! - the counters add up: every call is counted once, in the counter its caller saw;
//! - a dropped (cancelled) probe gives its slot back: a half-open breaker at rest has
//!   exactly `probes` free slots;
//! - the rate modes' window loses no record to a bucket's rotation, and two failures
//!   that together reach the rate open the breaker (one of them sees both), once;
//! - advice from outside (`open_for`) racing the opening failure opens it once and never
//!   shortens the breaker's own period.
//!
//! Build and run (a separate target dir keeps the normal build's artefacts):
//!
//! ```text
//! RUSTFLAGS="--cfg loom -C debug-assertions -C overflow-checks" \
//! CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test -p resilience-core --test loom_circuit --release -- --nocapture
//! ```
//!
//! Each model prints how many executions loom explored and how long it took.
//!
//! # Every actor is a spawned thread, started in both orders
//!
//! Loom's partial-order reduction remembers only the last access to each atomic, so when
//! thread A's plain load precedes thread B's store in the first execution and B loaded
//! the same atomic first, loom never tries B's store before A's load. And a thread that
//! yielded is never again shown a value it saw before yielding. Both hide real
//! interleavings (a main thread that races the thread it spawned explores exactly one
//! execution). So the actors of a model all run on spawned threads, and asymmetric models
//! are checked twice, once with the actors spawned in each order: loom first runs them
//! one after the other in spawn order and explores the interleavings around that.
#![cfg(loom)]

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use loom::thread;
use resilience_core::circuit::{
    CircuitBreaker, CircuitBreakerBuilder, Permit, State, Stats, Window, loom_clock,
};
use resilience_core::registry::{Protection, Value};

const RECOVERY: Duration = Duration::from_secs(10);

/// Runs `model` under loom, with `LOOM_MAX_PREEMPTIONS` (default 3) as the bound, once
/// for each value in `orders` (passed to the model: spawn its actors reversed), and
/// reports how many executions were explored.
fn check(name: &str, orders: &[bool], model: impl Fn(bool) + Sync + Send + 'static) {
    let model = std::sync::Arc::new(model);
    for &reversed in orders {
        let executions = std::sync::Arc::new(AtomicUsize::new(0));
        let counter = executions.clone();
        let model = model.clone();
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound.get_or_insert(3);
        let bound = builder.preemption_bound.unwrap_or_default();
        let started = Instant::now();
        builder.check(move || {
            counter.fetch_add(1, SeqCst);
            loom_clock::reset();
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

/// Both spawn orders, for models whose two actors differ.
const BOTH: &[bool] = &[false, true];
/// One order, for models whose actors are all alike.
const ONE: &[bool] = &[false];

/// Runs `a` and `b` on two loom threads, spawned in that order (`b` first if
/// `reversed`), and returns what each returned.
fn race<A, B>(
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

/// A breaker that every thread of one execution can borrow from. Leaked: a few hundred
/// bytes per execution, and it lets a permit taken before the race move into a thread.
fn breaker(builder: CircuitBreakerBuilder) -> &'static CircuitBreaker {
    Box::leak(Box::new(
        builder.recovery(RECOVERY).build().expect("valid settings"),
    ))
}

fn stats(calls: u64, successes: u64, failures: u64, rejected: u64) -> Stats {
    Stats {
        calls,
        successes,
        failures,
        rejected,
    }
}

/// Opens `breaker` (threshold 1) and lets its recovery period pass.
fn trip_and_recover(breaker: &CircuitBreaker) {
    breaker.try_acquire().expect("closed").failure();
    assert_eq!(breaker.state(), State::Open);
    loom_clock::advance(RECOVERY);
}

/// A breaker at rest in half-open has exactly `probes` free slots: none leaked by a
/// dropped permit, none handed out twice. Takes them all, then gives them back.
fn assert_all_probe_slots_free(breaker: &CircuitBreaker) {
    assert_eq!(breaker.state(), State::HalfOpen);
    let before = breaker.stats();
    let permits: Vec<_> = (0..breaker.probes())
        .map(|_| breaker.try_acquire().expect("a free probe slot"))
        .collect();
    assert!(permits.iter().all(Permit::is_probe));
    assert!(breaker.try_acquire().is_err(), "more slots than `probes`");
    drop(permits);
    let after = breaker.stats();
    let probes = u64::from(breaker.probes());
    assert_eq!(after.calls, before.calls + probes + 1);
    assert_eq!(after.rejected, before.rejected + 1);
    assert_eq!(after.ignored(), before.ignored() + probes);
    assert_eq!(breaker.state(), State::HalfOpen);
}

/// Two failures racing from closed: neither increment is lost, the breaker opens exactly
/// once, with the recovery period counted from now.
#[test]
fn concurrent_failures_open_it_exactly_once() {
    check(
        "concurrent_failures_open_it_exactly_once",
        ONE,
        |reversed| {
            let b = breaker(CircuitBreaker::builder().threshold(2));
            let fail = move || b.try_acquire().expect("closed").failure();
            race(reversed, fail, fail);
            assert_eq!(b.state(), State::Open);
            assert_eq!(b.stats(), stats(2, 0, 2, 0));
            assert_eq!(b.try_acquire().unwrap_err().retry_in(), RECOVERY);
        },
    );
}

/// A success racing the failure that reaches the threshold: whichever order, the breaker
/// ends in the state that order gives, and the counters agree with the callers.
#[test]
fn a_success_racing_the_opening_failure() {
    check("a_success_racing_the_opening_failure", BOTH, |reversed| {
        let b = breaker(CircuitBreaker::builder().threshold(2));
        b.try_acquire().unwrap().failure(); // one failure towards two
        let (failed, succeeded) = race(
            reversed,
            move || b.try_acquire().map(Permit::failure).is_ok(),
            move || b.try_acquire().map(Permit::success).is_ok(),
        );
        assert!(failed, "only this failure can open it, so it was admitted");
        let s = b.stats();
        match b.state() {
            // The failure came first and opened it; the success, if admitted before the
            // opening, was stale; if after, it was rejected.
            State::Open => {
                assert_eq!(s, stats(3, u64::from(succeeded), 2, u64::from(!succeeded)));
                assert_eq!(b.try_acquire().unwrap_err().retry_in(), RECOVERY);
            }
            // The success came between the two failures and reset the count: the
            // racing failure counted one, so exactly one more opens it.
            State::Closed => {
                assert!(succeeded);
                assert_eq!(s, stats(3, 1, 2, 0));
                b.try_acquire().unwrap().failure();
                assert_eq!(b.state(), State::Open);
            }
            State::HalfOpen | State::Isolated => panic!("{:?} without cause", b.state()),
        }
    });
}

/// Half-open with `probes = 2`: three callers, each a probe that succeeds. Never more
/// than two inside at once; `success_threshold = 3` successes close it; the calls that
/// were turned away leave the slots as they found them.
#[test]
fn half_open_never_admits_more_than_probes() {
    check("half_open_never_admits_more_than_probes", ONE, |_| {
        let b = breaker(
            CircuitBreaker::builder()
                .threshold(1)
                .success_threshold(3)
                .probes(2),
        );
        trip_and_recover(b);
        // Plain std atomics: instrumentation, not part of what loom schedules.
        let inside: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
        let threads: Vec<_> = (0..3)
            .map(|_| {
                thread::spawn(move || {
                    let Ok(permit) = b.try_acquire() else {
                        return false;
                    };
                    assert!(permit.is_probe());
                    let now_inside = inside.fetch_add(1, SeqCst) + 1;
                    assert!(now_inside <= 2, "{now_inside} probes inside at once");
                    inside.fetch_sub(1, SeqCst);
                    permit.success();
                    true
                })
            })
            .collect();
        let admitted = threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .filter(|admitted| *admitted)
            .count() as u64;
        assert!(admitted >= 2, "two slots: at least two are admitted");
        assert_eq!(b.stats(), stats(4, admitted, 1, 3 - admitted));
        if admitted == 3 {
            assert_eq!(b.state(), State::Closed);
        } else {
            assert_all_probe_slots_free(b);
        }
    });
}

/// A probe dropped without an outcome (its future was cancelled) gives its slot back,
/// whatever happens around it.
#[test]
fn a_dropped_probe_gives_its_slot_back() {
    check("a_dropped_probe_gives_its_slot_back", BOTH, |reversed| {
        let b = breaker(
            CircuitBreaker::builder()
                .threshold(1)
                .success_threshold(2)
                .probes(1),
        );
        trip_and_recover(b);
        let (cancelled, succeeded) = race(
            reversed,
            move || b.try_acquire().map(drop).is_ok(),
            move || b.try_acquire().map(Permit::success).is_ok(),
        );
        assert!(cancelled || succeeded, "one of them got the only slot");
        let s = b.stats();
        let rejected = u64::from(!(cancelled && succeeded));
        assert_eq!(s, stats(3, u64::from(succeeded), 1, rejected));
        assert_eq!(s.ignored(), u64::from(cancelled));
        // success_threshold 2: one success is not enough, and no slot is lost.
        assert_all_probe_slots_free(b);
    });
}

/// Two callers arrive at an open breaker whose recovery period has passed, with one
/// probe slot. Each probe fails. Exactly one is admitted in every interleaving: the other
/// finds the slot taken, or the breaker reopened with a fresh deadline. A caller that
/// read the old deadline after seeing the breaker reopened would be a second probe.
#[test]
fn recovery_admits_one_probe_and_a_failed_probe_publishes_a_fresh_deadline() {
    check("recovery_admits_one_failing_probe", ONE, |reversed| {
        let b = breaker(
            CircuitBreaker::builder()
                .threshold(1)
                .success_threshold(1)
                .probes(1),
        );
        trip_and_recover(b);
        let probe = move || match b.try_acquire() {
            Ok(permit) => {
                assert!(permit.is_probe());
                permit.failure();
                true
            }
            Err(open) => {
                // Turned away by the probe limit, or by the fresh period.
                let left = open.retry_in();
                assert!(left == Duration::ZERO || left == RECOVERY, "{left:?}");
                false
            }
        };
        let (a, b_admitted) = race(reversed, probe, probe);
        assert!(a ^ b_admitted, "exactly one probe: {a} {b_admitted}");
        assert_eq!(b.state(), State::Open);
        assert_eq!(b.stats(), stats(3, 0, 2, 1));
        assert_eq!(b.try_acquire().unwrap_err().retry_in(), RECOVERY);
    });
}

/// The failure that opens the breaker publishes the deadline before the state: a caller
/// that sees it open also sees the new deadline (not the old, passed one), and is never
/// let through as a probe early.
#[test]
fn whoever_sees_it_open_sees_its_deadline() {
    check("whoever_sees_it_open_sees_its_deadline", BOTH, |reversed| {
        let b = breaker(CircuitBreaker::builder().threshold(1));
        // One earlier period, so the deadline word holds an old, already passed value.
        trip_and_recover(b);
        b.try_acquire().expect("probe").success();
        b.try_acquire().expect("probe").success();
        assert_eq!(b.state(), State::Closed);
        loom_clock::advance(RECOVERY);
        race(
            reversed,
            move || b.try_acquire().expect("closed").failure(),
            move || match b.try_acquire() {
                Ok(permit) => {
                    assert!(!permit.is_probe(), "a probe before the recovery period");
                    permit.ignore();
                }
                Err(open) => assert_eq!(open.retry_in(), RECOVERY),
            },
        );
        assert_eq!(b.state(), State::Open);
    });
}

/// A permit admitted while closed finishes after another call opened the breaker: its
/// success must not close it again (nor reset anything of the new period).
#[test]
fn a_stale_success_cannot_undo_an_opening() {
    check("a_stale_success_cannot_undo_an_opening", BOTH, |reversed| {
        let b = breaker(CircuitBreaker::builder().threshold(1));
        let slow = b.try_acquire().expect("closed");
        race(
            reversed,
            move || b.try_acquire().expect("closed").failure(),
            move || slow.success(),
        );
        assert_eq!(b.state(), State::Open);
        assert_eq!(b.stats(), stats(2, 1, 1, 0));
    });
}

/// A permit admitted in an earlier closed period (the breaker has since opened, probed
/// and closed again) finishes while a current call fails: its success must not reset the
/// new period's failure count.
#[test]
fn a_stale_success_cannot_reset_a_later_closed_period() {
    check(
        "a_stale_success_cannot_reset_a_later_period",
        BOTH,
        |reversed| {
            let b = breaker(CircuitBreaker::builder().threshold(2).success_threshold(1));
            let slow = b.try_acquire().expect("closed");
            b.try_acquire().unwrap().failure();
            b.try_acquire().unwrap().failure();
            loom_clock::advance(RECOVERY);
            b.try_acquire().expect("probe").success();
            assert_eq!(b.state(), State::Closed);
            race(
                reversed,
                move || b.try_acquire().expect("closed").failure(),
                move || slow.success(),
            );
            assert_eq!(b.state(), State::Closed);
            // The current failure counted; the stale success did not undo it.
            b.try_acquire().unwrap().failure();
            assert_eq!(b.state(), State::Open);
        },
    );
}

/// Probes admitted in an earlier half-open period finish during a later one: a stale
/// success does not count towards closing, and neither it nor a stale cancelled probe
/// frees a slot of the new period.
#[test]
fn a_stale_probe_cannot_count_in_a_later_half_open_period() {
    check(
        "a_stale_probe_cannot_count_in_a_later_period",
        BOTH,
        |reversed| {
            let b = breaker(
                CircuitBreaker::builder()
                    .threshold(1)
                    .success_threshold(2)
                    .probes(3),
            );
            trip_and_recover(b);
            let stale = b.try_acquire().expect("probe");
            let stale_cancelled = b.try_acquire().expect("probe");
            b.try_acquire().expect("probe").failure(); // reopens
            loom_clock::advance(RECOVERY);
            let current = b.try_acquire().expect("probe of the new period");
            let held = b.try_acquire().expect("probe of the new period");
            race(
                reversed,
                move || current.success(),
                move || {
                    stale.success();
                    drop(stale_cancelled);
                },
            );
            // One current success of two, one current probe still in flight: two free slots.
            assert_eq!(b.state(), State::HalfOpen);
            let (x, y) = (b.try_acquire().unwrap(), b.try_acquire().unwrap());
            assert!(b.try_acquire().is_err(), "a stale outcome freed a slot");
            drop((x, y, held));
            assert_all_probe_slots_free(b);
            assert_eq!(b.stats().successes, 2);
        },
    );
}

/// A probe from a half-open period that has since closed cannot reopen the breaker, and
/// a stale success cannot close a breaker a failed probe reopened.
#[test]
fn probes_racing_success_and_failure() {
    check("probes_racing_success_and_failure", BOTH, |reversed| {
        let b = breaker(
            CircuitBreaker::builder()
                .threshold(1)
                .success_threshold(1)
                .probes(2),
        );
        trip_and_recover(b);
        let first = b.try_acquire().expect("probe");
        assert!(first.is_probe());
        let (other, ()) = race(
            reversed,
            move || {
                b.try_acquire().map(|permit| {
                    let probe = permit.is_probe();
                    permit.failure();
                    probe
                })
            },
            move || first.success(),
        );
        let s = b.stats();
        match (other, b.state()) {
            // Admitted as a probe; its failure came first and reopened it (the success
            // was then stale), or came after the success closed it (then it was stale).
            // (The trip that opened it first is one more failure.)
            (Ok(true), State::Open | State::Closed) => assert_eq!(s, stats(3, 1, 2, 0)),
            // Admitted after the success closed it: a closed failure with threshold 1.
            (Ok(false), State::Open) => assert_eq!(s, stats(3, 1, 2, 0)),
            (other, state) => panic!("impossible: {other:?} then {state:?}, {s:?}"),
        }
        if b.state() == State::Open {
            assert_eq!(b.try_acquire().unwrap_err().retry_in(), RECOVERY);
        }
    });
}

/// Recovery zero: every call after an opening is a probe, so two threads doing a
/// failure, a success and a cancelled call cross many transitions and generations.
/// Whatever happens, the counters agree with the callers and nothing is leaked.
#[test]
fn many_transitions_keep_the_books_straight() {
    check(
        "many_transitions_keep_the_books_straight",
        BOTH,
        |reversed| {
            let b: &'static CircuitBreaker = Box::leak(Box::new(
                CircuitBreaker::builder()
                    .threshold(1)
                    .success_threshold(1)
                    .probes(1)
                    .recovery(Duration::ZERO)
                    .build()
                    .unwrap(),
            ));
            // Each op: 0 failure, 1 success, 2 cancelled. Returns what the caller saw:
            // [successes, failures, cancelled, rejected].
            let worker = move |ops: [u8; 2]| {
                move || {
                    let mut seen = [0u64; 4];
                    for op in ops {
                        match b.try_acquire() {
                            Ok(permit) => {
                                match op {
                                    0 => permit.failure(),
                                    1 => permit.success(),
                                    _ => drop(permit),
                                }
                                seen[usize::from(op)] += 1;
                            }
                            Err(_) => seen[3] += 1,
                        }
                    }
                    seen.swap(0, 1); // [failures, successes, ..] -> [successes, failures, ..]
                    seen
                }
            };
            let (x, y) = race(reversed, worker([0, 1]), worker([1, 2]));
            let seen: Vec<u64> = (0..4).map(|i| x[i] + y[i]).collect();
            let s = b.stats();
            assert_eq!(
                s,
                stats(4, seen[0], seen[1], seen[3]),
                "callers saw {seen:?}"
            );
            assert_eq!(s.ignored(), seen[2]);
            // Not wedged: with recovery zero the next call is admitted, whatever the state.
            match b.state() {
                State::Closed => assert!(!b.try_acquire().unwrap().is_probe()),
                State::Open => {
                    b.try_acquire().expect("recovery zero").success();
                    assert_eq!(b.state(), State::Closed);
                }
                State::HalfOpen => assert_all_probe_slots_free(b),
                State::Isolated => panic!("nobody isolated it"),
            }
        },
    );
}

// ---------------------------------------------------------------- the rate window

/// What the window holds now: (calls, failure rate).
fn window(b: &CircuitBreaker) -> (u64, f64) {
    let status = b.status();
    let Some(Value::Count(calls)) = status.get("window_calls") else {
        panic!("a rate breaker reports its window");
    };
    let Some(Value::Ratio(rate)) = status.get("failure_rate") else {
        panic!("and its failure rate");
    };
    (*calls, *rate)
}

/// A count window of 2 calls moves to a new bucket at every call: four calls racing
/// over two buckets rotate each twice. Whatever the order, the window ends holding the
/// last two calls (a late call whose slice is already over is dropped, never counted
/// in a newer one), and never opens it (`min_calls` is out of reach).
#[test]
fn bucket_rotation_loses_no_record_of_the_last_calls() {
    check(
        "bucket_rotation_loses_no_record_of_the_last_calls",
        BOTH,
        |reversed| {
            let b = breaker(
                CircuitBreaker::builder()
                    .failure_rate(1.0)
                    .min_calls(2)
                    .window(Window::Calls(2)),
            );
            let succeed_twice = move || {
                b.try_acquire().unwrap().success();
                b.try_acquire().unwrap().success();
            };
            let fail_then_succeed = move || {
                b.try_acquire().unwrap().ignore();
                b.try_acquire().unwrap().success();
            };
            race(reversed, succeed_twice, fail_then_succeed);
            assert_eq!(b.state(), State::Closed);
            assert_eq!(window(b), (2, 0.0));
            assert_eq!(b.stats(), stats(4, 3, 0, 0));
        },
    );
}

/// Two failures that together reach the rate, recorded in two buckets at once: the
/// breaker opens, exactly once (the fence before summing lets one of them see both).
#[test]
fn failures_that_reach_the_rate_together_open_it_once() {
    check(
        "failures_that_reach_the_rate_together_open_it_once",
        ONE,
        |reversed| {
            let b = breaker(
                CircuitBreaker::builder()
                    .failure_rate(1.0)
                    .min_calls(2)
                    .window(Window::Calls(4)),
            );
            let fail = move || b.try_acquire().expect("closed").failure();
            race(reversed, fail, fail);
            assert_eq!(b.state(), State::Open);
            assert_eq!(b.stats(), stats(2, 0, 2, 0));
            assert_eq!(b.try_acquire().unwrap_err().retry_in(), RECOVERY);
        },
    );
}

/// A time window whose bucket still holds a call from a whole window ago: two calls of
/// the new slice race, one starting the bucket afresh while the other adds to it.
/// Neither is lost, and the old call is not counted.
#[test]
fn a_time_bucket_starts_afresh_while_another_call_adds_to_it() {
    check(
        "a_time_bucket_starts_afresh_while_another_call_adds_to_it",
        ONE,
        |reversed| {
            let span = Duration::from_secs(16);
            let b = breaker(
                CircuitBreaker::builder()
                    .failure_rate(1.0)
                    .min_calls(3)
                    .window(Window::Time(span)),
            );
            b.try_acquire().unwrap().failure();
            loom_clock::advance(span);
            let succeed = move || b.try_acquire().unwrap().success();
            race(reversed, succeed, succeed);
            assert_eq!(b.state(), State::Closed);
            assert_eq!(window(b), (2, 0.0));
        },
    );
}

/// Advice from outside (`open_for`, as a fleet store calls it) racing the failure that
/// opens the breaker on its own: it opens exactly once, whoever wins; a caller that
/// sees it open sees a deadline at least as late as the winner's; the advice never
/// shortens the breaker's own period.
#[test]
fn advice_racing_the_opening_failure_opens_it_once() {
    const ADVICE: Duration = Duration::from_secs(3);
    check(
        "advice_racing_the_opening_failure_opens_it_once",
        BOTH,
        |reversed| {
            let b = breaker(CircuitBreaker::builder().threshold(1));
            let permit = b.try_acquire().expect("closed");
            let (advised, ()) = race(
                reversed,
                move || {
                    let advised = b.open_for(ADVICE);
                    let open = b.try_acquire().expect_err("open after advice");
                    assert!(open.retry_in() >= ADVICE, "{:?}", open.retry_in());
                    advised
                },
                move || permit.failure(),
            );
            assert_eq!(b.state(), State::Open);
            assert_eq!(b.stats(), stats(2, 0, 1, 1));
            let retry_in = b.try_acquire().unwrap_err().retry_in();
            if advised {
                // The failure found it open already; its deadline may still have been
                // published first (both only ever raise it).
                assert!(retry_in == ADVICE || retry_in == RECOVERY, "{retry_in:?}");
            } else {
                assert_eq!(retry_in, RECOVERY, "the advice shortened its own period");
            }
        },
    );
}
