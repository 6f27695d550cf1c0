//! Property test of the circuit breaker against a reference model.
//!
//! The model is the state machine of DESIGN.md written the plain way: an enum, a few
//! integers, a period counter, no atomics, no bit packing. Random configurations are fed
//! random sequences of steps (time passing; calls that succeed, fail, are ignored, are
//! cancelled or panic; permits held across other calls and finished later, possibly
//! after the breaker moved on), and after every step the real breaker must agree with
//! the model on the state, all four counters, whether a call is admitted, whether it is
//! a probe, and how long a rejected call is told to wait.
//!
//! Runs on tokio's paused clock, so "how long to wait" is exact to the nanosecond.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;
use std::time::Duration;

use proptest::prelude::*;
use resilience_core::circuit::{CircuitBreaker, Permit, State, Stats};

// ---------------------------------------------------------------- the model

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    Closed { failures: u32 },
    Open { until: Duration },
    HalfOpen { in_flight: u32, successes: u32 },
}

#[derive(Clone, Copy, Debug)]
struct Config {
    threshold: u32,
    recovery: Duration,
    success_threshold: u32,
    probes: u32,
}

/// What the model says a permit is: the period it was admitted in, and whether it is a
/// half-open probe.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Ticket {
    period: u64,
    probe: bool,
}

#[derive(Debug)]
struct Model {
    config: Config,
    phase: Phase,
    /// Goes up on every transition; outcomes of tickets from another period are stale.
    period: u64,
    stats: Stats,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    Success,
    Failure,
    Ignore,
    Cancel,
    Panic,
}

impl Model {
    fn new(config: Config) -> Self {
        Model {
            config,
            phase: Phase::Closed { failures: 0 },
            period: 0,
            stats: Stats::default(),
        }
    }

    fn state(&self) -> State {
        match self.phase {
            Phase::Closed { .. } => State::Closed,
            Phase::Open { .. } => State::Open,
            Phase::HalfOpen { .. } => State::HalfOpen,
        }
    }

    fn reject(&mut self, retry_in: Duration) -> Result<Ticket, Duration> {
        self.stats.calls += 1;
        self.stats.rejected += 1;
        Err(retry_in)
    }

    fn open(&mut self, now: Duration) {
        self.phase = Phase::Open {
            until: now + self.config.recovery,
        };
        self.period += 1;
    }

    /// Admission: a ticket, or how long the caller is told to wait.
    fn acquire(&mut self, now: Duration) -> Result<Ticket, Duration> {
        match self.phase {
            Phase::Closed { .. } => Ok(Ticket {
                period: self.period,
                probe: false,
            }),
            Phase::Open { until } if now < until => self.reject(until - now),
            Phase::Open { .. } => {
                self.period += 1;
                self.phase = Phase::HalfOpen {
                    in_flight: 1,
                    successes: 0,
                };
                Ok(Ticket {
                    period: self.period,
                    probe: true,
                })
            }
            Phase::HalfOpen { in_flight, .. } if in_flight >= self.config.probes => {
                self.reject(Duration::ZERO)
            }
            Phase::HalfOpen {
                in_flight,
                successes,
            } => {
                self.phase = Phase::HalfOpen {
                    in_flight: in_flight + 1,
                    successes,
                };
                Ok(Ticket {
                    period: self.period,
                    probe: true,
                })
            }
        }
    }

    fn finish(&mut self, ticket: Ticket, outcome: Outcome, now: Duration) {
        self.stats.calls += 1;
        match outcome {
            Outcome::Success => self.stats.successes += 1,
            Outcome::Failure | Outcome::Panic => self.stats.failures += 1,
            Outcome::Ignore | Outcome::Cancel => {}
        }
        if ticket.period != self.period {
            return; // stale: counted, changes nothing
        }
        match (self.phase, ticket.probe, outcome) {
            (Phase::Closed { .. }, false, Outcome::Success) => {
                self.phase = Phase::Closed { failures: 0 };
            }
            (Phase::Closed { failures }, false, Outcome::Failure | Outcome::Panic) => {
                if failures + 1 >= self.config.threshold {
                    self.open(now);
                } else {
                    self.phase = Phase::Closed {
                        failures: failures + 1,
                    };
                }
            }
            (Phase::HalfOpen { .. }, true, Outcome::Failure | Outcome::Panic) => self.open(now),
            (
                Phase::HalfOpen {
                    in_flight,
                    successes,
                },
                true,
                Outcome::Success,
            ) => {
                if successes + 1 >= self.config.success_threshold {
                    self.phase = Phase::Closed { failures: 0 };
                    self.period += 1;
                } else {
                    self.phase = Phase::HalfOpen {
                        in_flight: in_flight - 1,
                        successes: successes + 1,
                    };
                }
            }
            (
                Phase::HalfOpen {
                    in_flight,
                    successes,
                },
                true,
                Outcome::Ignore | Outcome::Cancel,
            ) => {
                self.phase = Phase::HalfOpen {
                    in_flight: in_flight - 1,
                    successes,
                };
            }
            (Phase::Closed { .. }, false, Outcome::Ignore | Outcome::Cancel) => {}
            (phase, probe, outcome) => {
                unreachable!("a current ticket (probe: {probe}) in {phase:?} got {outcome:?}")
            }
        }
    }
}

// ---------------------------------------------------------------- the steps

#[derive(Clone, Debug)]
enum Step {
    /// Time passes.
    Advance(Duration),
    /// A call that ends right away with this outcome.
    Call(Outcome),
    /// A call that is admitted and held (it is still running).
    Start,
    /// The held call number `index % held` ends with this outcome.
    End(usize, Outcome),
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        4 => Just(Outcome::Success),
        4 => Just(Outcome::Failure),
        1 => Just(Outcome::Ignore),
        1 => Just(Outcome::Cancel),
        1 => Just(Outcome::Panic),
    ]
}

fn step(recovery: Duration) -> impl Strategy<Value = Step> {
    let r = recovery.as_millis() as u64;
    prop_oneof![
        2 => prop_oneof![
            Just(recovery),
            Just(recovery.saturating_sub(Duration::from_nanos(1))),
            (0..=r * 2 + 1).prop_map(Duration::from_millis),
        ]
        .prop_map(Step::Advance),
        6 => outcome().prop_map(Step::Call),
        2 => Just(Step::Start),
        2 => (any::<usize>(), outcome()).prop_map(|(i, o)| Step::End(i, o)),
    ]
}

fn config() -> impl Strategy<Value = Config> {
    (1u32..=4, 0u64..=3_000, 1u32..=4, 1u32..=4).prop_map(|(t, r, s, p)| Config {
        threshold: t,
        recovery: Duration::from_millis(r),
        success_threshold: s,
        probes: p,
    })
}

/// A call that panics while holding its permit, as `#[circuit]` code would if its body
/// panicked; the permit's drop sees the unwinding.
fn panic_with(permit: Permit<'_>) {
    let outcome = catch_unwind(AssertUnwindSafe(move || {
        let _permit = permit;
        std::panic::panic_any(SimulatedPanic);
    }));
    assert!(outcome.is_err());
}

struct SimulatedPanic;

/// Silences the default panic message for [`SimulatedPanic`] only.
fn quiet_simulated_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<SimulatedPanic>() {
                default(info);
            }
        }));
    });
}

fn report(permit: Permit<'_>, outcome: Outcome) {
    match outcome {
        Outcome::Success => permit.success(),
        Outcome::Failure => permit.failure(),
        Outcome::Ignore => permit.ignore(),
        Outcome::Cancel => drop(permit),
        Outcome::Panic => panic_with(permit),
    }
}

/// Asks both for admission; they must agree on it, on the probe flag and on the wait.
fn admit<'b>(
    breaker: &'b CircuitBreaker,
    model: &mut Model,
    now: Duration,
    step: usize,
) -> Result<Option<(Permit<'b>, Ticket)>, TestCaseError> {
    let expected = model.acquire(now);
    match (breaker.try_acquire(), expected) {
        (Ok(permit), Ok(ticket)) => {
            prop_assert_eq!(permit.is_probe(), ticket.probe, "step {}", step);
            Ok(Some((permit, ticket)))
        }
        (Err(open), Err(retry_in)) => {
            prop_assert_eq!(open.retry_in(), retry_in, "step {}", step);
            prop_assert_eq!(open.name(), breaker.name());
            Ok(None)
        }
        (real, expected) => {
            let real = real.map(|p| p.is_probe()).map_err(|e| e.retry_in());
            Err(TestCaseError::fail(format!(
                "step {step}: admitted {real:?}, model says {expected:?}"
            )))
        }
    }
}

fn run(config: Config, steps: &[Step]) -> Result<(), TestCaseError> {
    quiet_simulated_panics();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let breaker = CircuitBreaker::builder()
            .threshold(config.threshold)
            .recovery(config.recovery)
            .success_threshold(config.success_threshold)
            .probes(config.probes)
            .build()
            .unwrap();
        let mut model = Model::new(config);
        let origin = tokio::time::Instant::now();
        let mut held: Vec<(Permit<'_>, Ticket)> = Vec::new();

        for (i, step) in steps.iter().enumerate() {
            let now = origin.elapsed();
            match *step {
                Step::Advance(by) => tokio::time::advance(by).await,
                Step::Call(outcome) => {
                    if let Some((permit, ticket)) = admit(&breaker, &mut model, now, i)? {
                        report(permit, outcome);
                        model.finish(ticket, outcome, now);
                    }
                }
                Step::Start => {
                    if let Some(admitted) = admit(&breaker, &mut model, now, i)? {
                        held.push(admitted);
                    }
                }
                Step::End(index, outcome) => {
                    if !held.is_empty() {
                        let (permit, ticket) = held.swap_remove(index % held.len());
                        report(permit, outcome);
                        model.finish(ticket, outcome, now);
                    }
                }
            }
            prop_assert_eq!(breaker.state(), model.state(), "step {}: {:?}", i, model);
            prop_assert_eq!(breaker.stats(), model.stats, "step {}", i);
        }
        // Whatever is still running gets cancelled: a half-open breaker at rest then
        // has all its probe slots free.
        let now = origin.elapsed();
        for (permit, ticket) in held.drain(..) {
            drop(permit);
            model.finish(ticket, Outcome::Cancel, now);
        }
        prop_assert_eq!(breaker.stats(), model.stats);
        if breaker.state() == State::HalfOpen {
            let permits: Vec<_> = (0..config.probes)
                .map(|_| breaker.try_acquire().expect("a free slot"))
                .collect();
            prop_assert!(breaker.try_acquire().is_err());
            drop(permits);
        }
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    /// The breaker and the model agree after every step.
    #[test]
    fn the_breaker_matches_the_reference_model(
        (config, steps) in config().prop_flat_map(|config| {
            (Just(config), prop::collection::vec(step(config.recovery), 1..80))
        }),
    ) {
        run(config, &steps)?;
    }
}

/// A fixed trace the model and the breaker must both follow, so a model bug that the
/// breaker happens to share cannot hide: the DESIGN.md exercise.
#[test]
fn the_model_follows_the_design_trace() {
    let config = Config {
        threshold: 3,
        recovery: Duration::from_secs(30),
        success_threshold: 2,
        probes: 2,
    };
    let mut m = Model::new(config);
    let s = Duration::from_secs;
    for _ in 0..3 {
        let t = m.acquire(s(0)).unwrap();
        m.finish(t, Outcome::Failure, s(0));
    }
    assert_eq!(m.state(), State::Open);
    assert_eq!(m.acquire(s(10)), Err(s(20)));
    let t = m.acquire(s(30)).unwrap();
    assert!(t.probe);
    m.finish(t, Outcome::Success, s(30));
    assert_eq!(m.state(), State::HalfOpen);
    let t = m.acquire(s(30)).unwrap();
    m.finish(t, Outcome::Success, s(30));
    assert_eq!(m.state(), State::Closed);
    assert_eq!(
        m.stats,
        Stats {
            calls: 6,
            successes: 2,
            failures: 3,
            rejected: 1
        }
    );
    run(
        config,
        &[
            Step::Call(Outcome::Failure),
            Step::Call(Outcome::Failure),
            Step::Call(Outcome::Failure),
            Step::Advance(s(10)),
            Step::Call(Outcome::Success),
            Step::Advance(s(20)),
            Step::Call(Outcome::Success),
            Step::Call(Outcome::Success),
        ],
    )
    .unwrap();
}
