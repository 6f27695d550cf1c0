//! Property test of the breaker's rate modes against a reference model: failure and
//! slow-call rates over a count or a time window, `min_calls`, `threshold` beside a
//! rate, a growing open period (`recovery_max`), server delays (`retry_after`), and
//! `isolate` / `reset`.
//!
//! The model keeps every recorded call of the current closed period as a list (its
//! slice, failed or not, slow or not) and sums it the plain way; the breaker keeps
//! sixteen packed buckets. Random configurations get random steps (time passing; calls
//! that succeed, fail with or without a server delay, are ignored, cancelled or panic,
//! each taking a random time; calls held across others; manual control), and after
//! every step the two must agree on the state, the counters, admission, the probe
//! flag and how long a rejected call is told to wait. Runs on tokio's paused clock.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;
use std::time::Duration;

use proptest::prelude::*;
use resilience_core::circuit::{__clock_nanos, CircuitBreaker, Permit, State, Stats, Window};

// ---------------------------------------------------------------- the model

#[derive(Clone, Copy, Debug)]
enum Span {
    Calls(u32),
    Time(Duration),
}

#[derive(Clone, Copy, Debug)]
struct Config {
    threshold: Option<u32>,
    failure_rate: Option<f64>,
    slow: Option<(Duration, f64)>,
    min_calls: u32,
    span: Span,
    recovery: Duration,
    recovery_max: Duration,
    success_threshold: u32,
    probes: u32,
}

impl Config {
    fn ppm(rate: Option<f64>) -> u64 {
        rate.map_or(0, |r| (r * 1_000_000.0 + 0.5) as u64)
    }

    /// Calls or nanoseconds per slice, and slices summed.
    fn slicing(&self) -> (u64, u64) {
        match self.span {
            Span::Calls(n) => {
                let n = u64::from(n);
                let length = n.div_ceil(16);
                (length, n.div_ceil(length))
            }
            Span::Time(span) => (span.as_nanos() as u64 / 16, 16),
        }
    }

    fn open_period(&self, reopens: u32) -> Duration {
        let base = self.recovery.as_nanos() as u64;
        let grown = base
            .checked_shl(reopens)
            .filter(|g| g >> reopens == base)
            .unwrap_or(u64::MAX);
        Duration::from_nanos(grown.min(self.recovery_max.as_nanos() as u64).max(base))
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    Closed {
        failures: u32,
    },
    Open {
        reopens: u32,
    },
    HalfOpen {
        reopens: u32,
        in_flight: u32,
        successes: u32,
    },
    Isolated,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Ticket {
    period: u64,
    probe: bool,
    started: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    Success,
    Failure(Option<Duration>),
    Ignore,
    Cancel,
    Panic,
}

#[derive(Debug)]
struct Model {
    config: Config,
    phase: Phase,
    /// When an open breaker may probe (elapsed time; only ever raised but by a reset).
    until: Duration,
    period: u64,
    stats: Stats,
    /// The current closed period's calls: (slice, failed, slow).
    records: Vec<(u64, bool, bool)>,
    /// Calls recorded ever: a count window's clock.
    cursor: u64,
    /// The first slice of the current closed period.
    start: u64,
    /// The breaker clock at elapsed zero, for a time window's slices.
    origin: u64,
}

impl Model {
    fn new(config: Config, origin: u64) -> Self {
        Model {
            config,
            phase: Phase::Closed { failures: 0 },
            until: Duration::ZERO,
            period: 0,
            stats: Stats::default(),
            records: Vec::new(),
            cursor: 0,
            start: 0,
            origin,
        }
    }

    fn rated(&self) -> bool {
        self.config.failure_rate.is_some() || self.config.slow.is_some()
    }

    fn threshold(&self) -> u32 {
        match self.config.threshold {
            Some(n) => n,
            None if self.rated() => 0,
            None => 3,
        }
    }

    fn state(&self) -> State {
        match self.phase {
            Phase::Closed { .. } => State::Closed,
            Phase::Open { .. } => State::Open,
            Phase::HalfOpen { .. } => State::HalfOpen,
            Phase::Isolated => State::Isolated,
        }
    }

    fn time_slice(&self, now: Duration) -> u64 {
        let (length, _) = self.config.slicing();
        (self.origin + now.as_nanos() as u64) / length
    }

    fn reject(&mut self, retry_in: Duration) -> Result<Ticket, Duration> {
        self.stats.calls += 1;
        self.stats.rejected += 1;
        Err(retry_in)
    }

    fn acquire(&mut self, now: Duration) -> Result<Ticket, Duration> {
        let ticket = |period, probe| Ticket {
            period,
            probe,
            started: now,
        };
        match self.phase {
            Phase::Closed { .. } => Ok(ticket(self.period, false)),
            Phase::Isolated => self.reject(Duration::MAX),
            Phase::Open { .. } if now < self.until => self.reject(self.until - now),
            Phase::Open { reopens } => {
                self.period += 1;
                self.phase = Phase::HalfOpen {
                    reopens,
                    in_flight: 1,
                    successes: 0,
                };
                Ok(ticket(self.period, true))
            }
            Phase::HalfOpen { in_flight, .. } if in_flight >= self.config.probes => {
                self.reject(Duration::ZERO)
            }
            Phase::HalfOpen {
                reopens,
                in_flight,
                successes,
            } => {
                self.phase = Phase::HalfOpen {
                    reopens,
                    in_flight: in_flight + 1,
                    successes,
                };
                Ok(ticket(self.period, true))
            }
        }
    }

    fn open(&mut self, now: Duration, reopens: u32, retry_after: Option<Duration>) {
        let mut period = self.config.open_period(reopens.min(63));
        if let Some(delay) = retry_after {
            period = period.max(delay);
        }
        self.until = self.until.max(now + period);
        self.period += 1;
        self.phase = Phase::Open {
            reopens: reopens.min(63),
        };
    }

    fn close(&mut self, now: Duration) {
        self.period += 1;
        self.phase = Phase::Closed { failures: 0 };
        self.restart(now);
    }

    fn restart(&mut self, now: Duration) {
        let (length, _) = self.config.slicing();
        let slice = match self.config.span {
            Span::Calls(_) => self.cursor / length,
            Span::Time(_) => self.time_slice(now),
        };
        self.start = self.start.max(slice);
        self.records.clear();
    }

    /// Records a closed-period call; the (calls, failures, slow) of the window after it.
    fn record(&mut self, now: Duration, failure: bool, slow: bool) -> (u64, u64, u64) {
        let (length, count) = self.config.slicing();
        let slice = match self.config.span {
            Span::Calls(_) => {
                self.cursor += 1;
                (self.cursor - 1) / length
            }
            Span::Time(_) => self.time_slice(now),
        };
        self.records.push((slice, failure, slow));
        let held = self
            .records
            .iter()
            .filter(|(s, ..)| slice - s < count && *s >= self.start);
        held.fold((0, 0, 0), |(c, f, w), (_, failed, slowed)| {
            (c + 1, f + u64::from(*failed), w + u64::from(*slowed))
        })
    }

    fn judge(&self, (calls, failures, slow): (u64, u64, u64), failed: bool, slowed: bool) -> bool {
        if calls == 0 || calls < u64::from(self.config.min_calls) {
            return false;
        }
        let reaches = |count: u64, ppm: u64| ppm != 0 && count * 1_000_000 >= ppm * calls;
        (failed && reaches(failures, Config::ppm(self.config.failure_rate)))
            || (slowed && reaches(slow, Config::ppm(self.config.slow.map(|s| s.1))))
    }

    fn finish(&mut self, ticket: Ticket, outcome: Outcome, now: Duration) {
        self.stats.calls += 1;
        match outcome {
            Outcome::Success => self.stats.successes += 1,
            Outcome::Failure(_) | Outcome::Panic => self.stats.failures += 1,
            Outcome::Ignore | Outcome::Cancel => {}
        }
        let slow = self
            .config
            .slow
            .is_some_and(|(after, _)| now - ticket.started > after);
        let current = ticket.period == self.period;
        match outcome {
            Outcome::Success => match self.phase {
                Phase::Closed { .. } if current && !ticket.probe => {
                    if self.rated() {
                        let window = self.record(now, false, slow);
                        if slow && self.judge(window, false, true) {
                            return self.open(now, 0, None);
                        }
                    }
                    self.phase = Phase::Closed { failures: 0 };
                }
                Phase::HalfOpen {
                    reopens,
                    in_flight,
                    successes,
                } if current && ticket.probe => {
                    if slow && self.config.slow.is_some() {
                        self.open(now, reopens + 1, None);
                    } else if successes + 1 >= self.config.success_threshold {
                        self.close(now);
                    } else {
                        self.phase = Phase::HalfOpen {
                            reopens,
                            in_flight: in_flight - 1,
                            successes: successes + 1,
                        };
                    }
                }
                _ => {}
            },
            Outcome::Failure(_) | Outcome::Panic => {
                let retry_after = match outcome {
                    Outcome::Failure(delay) => delay,
                    _ => None,
                };
                match self.phase {
                    Phase::Open { .. } => {
                        if let Some(delay) = retry_after {
                            self.until = self.until.max(now + delay);
                        }
                    }
                    Phase::HalfOpen { reopens, .. } if current && ticket.probe => {
                        self.open(now, reopens + 1, retry_after);
                    }
                    Phase::Closed { failures } if current && !ticket.probe => {
                        let rate = self.rated() && {
                            let window = self.record(now, true, slow);
                            self.judge(window, true, slow)
                        };
                        let threshold = self.threshold();
                        if threshold != 0 && failures + 1 >= threshold || rate {
                            self.open(now, 0, retry_after);
                        } else if threshold != 0 {
                            self.phase = Phase::Closed {
                                failures: failures + 1,
                            };
                        }
                    }
                    _ => {}
                }
            }
            Outcome::Ignore | Outcome::Cancel => {
                if let Phase::HalfOpen {
                    reopens,
                    in_flight,
                    successes,
                } = self.phase
                {
                    if current && ticket.probe {
                        self.phase = Phase::HalfOpen {
                            reopens,
                            in_flight: in_flight - 1,
                            successes,
                        };
                    }
                }
            }
        }
    }

    fn isolate(&mut self) {
        self.period += 1;
        self.phase = Phase::Isolated;
    }

    fn reset(&mut self, now: Duration) {
        self.until = Duration::ZERO;
        self.close(now);
    }
}

// ---------------------------------------------------------------- the steps

#[derive(Clone, Debug)]
enum Step {
    Advance(Duration),
    /// A call that ends after `took` with this outcome.
    Call(Outcome, Duration),
    Start,
    End(usize, Outcome),
    Isolate,
    Reset,
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        4 => Just(Outcome::Success),
        3 => Just(Outcome::Failure(None)),
        1 => (0u64..=5_000).prop_map(|ms| Outcome::Failure(Some(Duration::from_millis(ms)))),
        1 => Just(Outcome::Ignore),
        1 => Just(Outcome::Cancel),
        1 => Just(Outcome::Panic),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let took = prop_oneof![
        2 => Just(Duration::ZERO),
        1 => (0u64..=600).prop_map(Duration::from_millis),
    ];
    prop_oneof![
        2 => (0u64..=3_000).prop_map(|ms| Step::Advance(Duration::from_millis(ms))),
        8 => (outcome(), took).prop_map(|(o, t)| Step::Call(o, t)),
        2 => Just(Step::Start),
        2 => (any::<usize>(), outcome()).prop_map(|(i, o)| Step::End(i, o)),
        1 => prop_oneof![Just(Step::Isolate), Just(Step::Reset)],
    ]
}

fn rate() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.25), Just(0.5), Just(0.75), Just(1.0), 0.01f64..=1.0]
}

fn config() -> impl Strategy<Value = Config> {
    let span = prop_oneof![
        (1u32..=40).prop_map(Span::Calls),
        (16u64..=2_000).prop_map(|ms| Span::Time(Duration::from_millis(ms))),
    ];
    let slow = proptest::option::of(((10u64..=500).prop_map(Duration::from_millis), rate()));
    (
        proptest::option::of(1u32..=4),
        proptest::option::of(rate()),
        slow,
        span,
        1u32..=10,
        (0u64..=3_000, 0u64..=6_000),
        (1u32..=3, 1u32..=3),
    )
        .prop_map(
            |(threshold, failure_rate, slow, span, min, (r, extra), (s, p))| {
                let min_calls = match span {
                    Span::Calls(n) => min.min(n),
                    Span::Time(_) => min,
                };
                Config {
                    threshold,
                    // At least one rate: this file is about the rate modes.
                    failure_rate: if slow.is_none() && failure_rate.is_none() {
                        Some(0.5)
                    } else {
                        failure_rate
                    },
                    slow,
                    min_calls,
                    span,
                    recovery: Duration::from_millis(r),
                    recovery_max: Duration::from_millis(r + extra),
                    success_threshold: s,
                    probes: p,
                }
            },
        )
}

fn build(config: &Config) -> CircuitBreaker {
    let mut builder = CircuitBreaker::builder()
        .recovery(config.recovery)
        .recovery_max(config.recovery_max)
        .success_threshold(config.success_threshold)
        .probes(config.probes)
        .min_calls(config.min_calls)
        .window(match config.span {
            Span::Calls(n) => Window::Calls(n),
            Span::Time(span) => Window::Time(span),
        });
    if let Some(n) = config.threshold {
        builder = builder.threshold(n);
    }
    if let Some(rate) = config.failure_rate {
        builder = builder.failure_rate(rate);
    }
    if let Some((after, rate)) = config.slow {
        builder = builder.slow_call(after).slow_rate(rate);
    }
    builder.build().expect("valid settings")
}

struct SimulatedPanic;

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
        Outcome::Failure(None) => permit.failure(),
        Outcome::Failure(Some(delay)) => permit.failure_with_retry_after(delay),
        Outcome::Ignore => permit.ignore(),
        Outcome::Cancel => drop(permit),
        Outcome::Panic => {
            let unwound = catch_unwind(AssertUnwindSafe(move || {
                let _permit = permit;
                std::panic::panic_any(SimulatedPanic);
            }));
            assert!(unwound.is_err());
        }
    }
}

fn admit<'b>(
    breaker: &'b CircuitBreaker,
    model: &mut Model,
    now: Duration,
    step: usize,
) -> Result<Option<(Permit<'b>, Ticket)>, TestCaseError> {
    match (breaker.try_acquire(), model.acquire(now)) {
        (Ok(permit), Ok(ticket)) => {
            prop_assert_eq!(permit.is_probe(), ticket.probe, "step {}", step);
            Ok(Some((permit, ticket)))
        }
        (Err(open), Err(retry_in)) => {
            prop_assert_eq!(open.retry_in(), retry_in, "step {}", step);
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
        let breaker = build(&config);
        let origin = tokio::time::Instant::now();
        let mut model = Model::new(config, __clock_nanos());
        let mut held: Vec<(Permit<'_>, Ticket)> = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            let now = origin.elapsed();
            match *step {
                Step::Advance(by) => tokio::time::advance(by).await,
                Step::Call(outcome, took) => {
                    if let Some((permit, ticket)) = admit(&breaker, &mut model, now, i)? {
                        tokio::time::advance(took).await;
                        report(permit, outcome);
                        model.finish(ticket, outcome, origin.elapsed());
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
                Step::Isolate => {
                    breaker.isolate();
                    model.isolate();
                }
                Step::Reset => {
                    breaker.reset();
                    model.reset(now);
                }
            }
            prop_assert_eq!(breaker.state(), model.state(), "step {}: {:?}", i, model);
            prop_assert_eq!(breaker.stats(), model.stats, "step {}", i);
        }
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    /// The breaker and the model agree after every step.
    #[test]
    fn the_rate_modes_match_the_reference_model(
        config in config(),
        steps in prop::collection::vec(step(), 1..120),
    ) {
        run(config, &steps)?;
    }
}

/// A fixed trace both must follow: the burst that a consecutive count misses.
#[test]
fn the_model_opens_on_an_alternating_burst() {
    let config = Config {
        threshold: None,
        failure_rate: Some(0.5),
        slow: None,
        min_calls: 4,
        span: Span::Calls(10),
        recovery: Duration::from_secs(30),
        recovery_max: Duration::from_secs(30),
        success_threshold: 1,
        probes: 1,
    };
    let mut model = Model::new(config, 0);
    for outcome in [
        Outcome::Failure(None),
        Outcome::Success,
        Outcome::Failure(None),
        Outcome::Success,
    ] {
        let ticket = model.acquire(Duration::ZERO).unwrap();
        model.finish(ticket, outcome, Duration::ZERO);
    }
    assert_eq!(model.state(), State::Closed);
    let ticket = model.acquire(Duration::ZERO).unwrap();
    model.finish(ticket, Outcome::Failure(None), Duration::ZERO);
    assert_eq!(model.state(), State::Open);
    let f = || Step::Call(Outcome::Failure(None), Duration::ZERO);
    let s = || Step::Call(Outcome::Success, Duration::ZERO);
    run(config, &[f(), s(), f(), s(), f(), s()]).unwrap();
}
