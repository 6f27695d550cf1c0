//! Configuration of a [`CircuitBreaker`], checked once in a `const fn`.

use std::time::Duration;

use super::state::MAX_HALF_OPEN_COUNT;
use super::window::{MAX_WINDOW_CALLS, SLICES};
use super::{CircuitBreaker, Window};
use crate::ConfigError;

/// Builds a [`CircuitBreaker`]; every setter and [`build`](Self::build) is a `const fn`,
/// so a breaker can live in a `static`.
///
/// | setting | meaning | default |
/// |---|---|---|
/// | [`name`](Self::name) | name in events, errors and the [`registry`](crate::registry) | `"circuit"` |
/// | [`threshold`](Self::threshold) | consecutive counted failures that open it | 3, or off when a rate is set |
/// | [`failure_rate`](Self::failure_rate) | share of counted failures in the window that opens it | off |
/// | [`slow_call`](Self::slow_call), [`slow_rate`](Self::slow_rate) | a call slower than this is slow; share of slow calls that opens it | off |
/// | [`min_calls`](Self::min_calls) | calls the window must hold before a rate is judged | 10 (at most the window) |
/// | [`window`](Self::window) | the calls a rate is taken over | the last 100 calls |
/// | [`recovery`](Self::recovery) | how long it stays open before a probe may pass | 30s |
/// | [`recovery_max`](Self::recovery_max) | each re-open from half-open doubles the open period, up to this | `recovery` (no growth) |
/// | [`success_threshold`](Self::success_threshold) | probe successes that close it | 2 |
/// | [`probes`](Self::probes) | most probes in flight at once while half-open | `success_threshold` |
///
/// ```
/// use std::time::Duration;
/// use resilience_core::circuit::CircuitBreaker;
///
/// static GPT4: CircuitBreaker = match CircuitBreaker::builder()
///     .name("gpt4")
///     .threshold(5)
///     .recovery(Duration::from_secs(60))
///     .build()
/// {
///     Ok(breaker) => breaker,
///     Err(_) => panic!("bad circuit breaker settings"),
/// };
///
/// assert_eq!(GPT4.threshold(), 5);
/// assert_eq!(GPT4.probes(), 2);
/// ```
///
/// # Modes
///
/// With no rate set, the breaker counts consecutive failures (`threshold`). With
/// [`failure_rate`](Self::failure_rate) and/or [`slow_rate`](Self::slow_rate), it judges
/// the share of failures (or slow calls) among the calls of its [`window`](Self::window),
/// once the window holds at least [`min_calls`](Self::min_calls); a `threshold` given
/// beside a rate still applies, and whichever trips first opens the breaker. A rate is
/// judged when a call that can raise it is recorded: a counted failure for the failure
/// rate, a slow call for the slow rate. Rates are kept to a millionth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct CircuitBreakerBuilder {
    name: &'static str,
    threshold: Option<u32>,
    recovery: Duration,
    recovery_max: Option<Duration>,
    success_threshold: u32,
    probes: Option<u32>,
    /// `f64` bits, so the builder stays `Eq`; checked in `build`.
    failure_rate: Option<u64>,
    slow_rate: Option<u64>,
    slow_call: Option<Duration>,
    min_calls: Option<u32>,
    window: Option<Window>,
}

impl Default for CircuitBreakerBuilder {
    /// Same as [`CircuitBreaker::builder`].
    fn default() -> Self {
        Self::new()
    }
}

impl CircuitBreakerBuilder {
    /// A builder with the defaults listed on [`CircuitBreakerBuilder`].
    ///
    /// ```
    /// use resilience_core::circuit::CircuitBreakerBuilder;
    ///
    /// let breaker = CircuitBreakerBuilder::new().build()?;
    /// assert_eq!(breaker.name(), "circuit");
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn new() -> Self {
        Self {
            name: "circuit",
            threshold: None,
            recovery: Duration::from_secs(30),
            recovery_max: None,
            success_threshold: 2,
            probes: None,
            failure_rate: None,
            slow_rate: None,
            slow_call: None,
            min_calls: None,
            window: None,
        }
    }

    /// The breaker's name in events, in [`CircuitOpen`](super::CircuitOpen) and in the
    /// [`registry`](crate::registry). Must not be empty.
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// let breaker = CircuitBreaker::builder().name("search").build()?;
    /// assert_eq!(breaker.name(), "search");
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn name(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }

    /// Consecutive counted failures that open the breaker (at least 1). A success in
    /// between starts the count again. Beside a rate, whichever trips first opens it.
    ///
    /// ```
    /// # use resilience_core::circuit::{CircuitBreaker, State};
    /// let breaker = CircuitBreaker::builder().threshold(1).build()?;
    /// breaker.try_acquire().unwrap().failure();
    /// assert_eq!(breaker.state(), State::Open);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn threshold(mut self, failures: u32) -> Self {
        self.threshold = Some(failures);
        self
    }

    /// How long the breaker stays open before the next call is let through as a probe.
    /// Zero is allowed: the first call after opening is then a probe. Durations beyond
    /// about 584 years are treated as 584 years.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::circuit::CircuitBreaker;
    /// let breaker = CircuitBreaker::builder().recovery(Duration::from_secs(5)).build()?;
    /// assert_eq!(breaker.recovery(), Duration::from_secs(5));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn recovery(mut self, recovery: Duration) -> Self {
        self.recovery = recovery;
        self
    }

    /// The longest open period: each re-opening from half-open (a probe failed) doubles
    /// the previous open period, up to this; closing starts again from `recovery`. At
    /// least `recovery`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::circuit::CircuitBreaker;
    /// let breaker = CircuitBreaker::builder()
    ///     .recovery(Duration::from_secs(30))
    ///     .recovery_max(Duration::from_secs(300))
    ///     .build()?;
    /// assert_eq!(breaker.recovery_max(), Duration::from_secs(300));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn recovery_max(mut self, max: Duration) -> Self {
        self.recovery_max = Some(max);
        self
    }

    /// Successful probes, counted over one half-open period, that close the breaker
    /// (1 to 65535).
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// let breaker = CircuitBreaker::builder().success_threshold(3).build()?;
    /// assert_eq!((breaker.success_threshold(), breaker.probes()), (3, 3));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn success_threshold(mut self, successes: u32) -> Self {
        self.success_threshold = successes;
        self
    }

    /// Most probes in flight at once while half-open (1 to 65535); further calls are
    /// rejected until one finishes. Defaults to `success_threshold`.
    ///
    /// It may be smaller than `success_threshold`: `probes(1)` with
    /// `success_threshold(3)` closes after three successful probes made one at a time.
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// let breaker = CircuitBreaker::builder().success_threshold(3).probes(1).build()?;
    /// assert_eq!(breaker.probes(), 1);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn probes(mut self, probes: u32) -> Self {
        self.probes = Some(probes);
        self
    }

    /// Opens the breaker when counted failures make up at least this share (above 0, at
    /// most 1) of the calls in the [`window`](Self::window), once it holds
    /// [`min_calls`](Self::min_calls) calls. Successes and counted failures are the
    /// calls; ignored errors and cancelled calls are not recorded.
    ///
    /// ```
    /// # use resilience_core::circuit::{CircuitBreaker, State, Window};
    /// let breaker = CircuitBreaker::builder()
    ///     .failure_rate(0.5)
    ///     .min_calls(4)
    ///     .window(Window::Calls(10))
    ///     .build()?;
    /// for ok in [true, false, true] {
    ///     let permit = breaker.try_acquire().unwrap();
    ///     if ok { permit.success() } else { permit.failure() }
    /// }
    /// assert_eq!(breaker.state(), State::Closed); // 3 calls: not judged yet
    /// breaker.try_acquire().unwrap().failure(); // 2 of 4 failed
    /// assert_eq!(breaker.state(), State::Open);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn failure_rate(mut self, rate: f64) -> Self {
        self.failure_rate = Some(rate.to_bits());
        self
    }

    /// A call that takes longer than this (from admission to outcome) is slow, whatever
    /// its outcome. Needs [`slow_rate`](Self::slow_rate). The clock is read at admission
    /// and at the outcome only when this is set. A slow probe counts as a failed one.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::circuit::CircuitBreaker;
    /// let breaker = CircuitBreaker::builder()
    ///     .slow_call(Duration::from_secs(20))
    ///     .slow_rate(0.5)
    ///     .build()?;
    /// assert_eq!(breaker.slow_call(), Some(Duration::from_secs(20)));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn slow_call(mut self, slower_than: Duration) -> Self {
        self.slow_call = Some(slower_than);
        self
    }

    /// Opens the breaker when slow calls (see [`slow_call`](Self::slow_call)) make up at
    /// least this share (above 0, at most 1) of the calls in the window, once it holds
    /// [`min_calls`](Self::min_calls) calls. The event of such an opening says
    /// `reason = "slow_rate"`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::circuit::CircuitBreaker;
    /// let breaker = CircuitBreaker::builder()
    ///     .slow_call(Duration::from_secs(20))
    ///     .slow_rate(0.8)
    ///     .build()?;
    /// assert_eq!(breaker.slow_rate(), Some(0.8));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn slow_rate(mut self, rate: f64) -> Self {
        self.slow_rate = Some(rate.to_bits());
        self
    }

    /// Calls the window must hold before a rate is judged (at least 1, at most a count
    /// window's size): a quiet minute with one failure in one call must not open a
    /// breaker. Default 10, or the window's size if smaller.
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// let breaker = CircuitBreaker::builder().failure_rate(0.5).min_calls(20).build()?;
    /// assert_eq!(breaker.min_calls(), 20);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn min_calls(mut self, calls: u32) -> Self {
        self.min_calls = Some(calls);
        self
    }

    /// The calls a rate is taken over: [`Window::Calls`] (the last `N`, 1 to 1 000 000)
    /// or [`Window::Time`] (the last stretch of time; each call then reads the clock).
    /// Default: the last 100 calls.
    ///
    /// Either slides in sixteen steps: a count window holds between `N - N/16` and `N`
    /// calls (exactly the last `N` up to 16), a time window the calls of the last
    /// fifteen to sixteen sixteenths of its span. That keeps it a fixed 256 bytes,
    /// lock-free and allocation-free, whatever its size.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::circuit::{CircuitBreaker, Window};
    /// let breaker = CircuitBreaker::builder()
    ///     .failure_rate(0.5)
    ///     .window(Window::Time(Duration::from_secs(30)))
    ///     .build()?;
    /// assert_eq!(breaker.window(), Some(Window::Time(Duration::from_secs(30))));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn window(mut self, window: Window) -> Self {
        self.window = Some(window);
        self
    }

    /// Checks the settings and builds the breaker, closed and with zeroed counters.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the setting when `name` is empty, a count is 0 or out of
    /// range, a rate is not above 0 and at most 1, `slow_call` and `slow_rate` are not
    /// given together, `min_calls` or `window` is given without a rate, `min_calls` is
    /// larger than a count window, or `recovery_max` is shorter than `recovery`.
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// let err = CircuitBreaker::builder().threshold(0).build().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid `threshold`: must be at least 1");
    /// ```
    #[cfg(not(loom))]
    pub const fn build(self) -> Result<CircuitBreaker, ConfigError> {
        match self.config() {
            Ok(config) => Ok(CircuitBreaker::from_config(config)),
            Err(err) => Err(err),
        }
    }

    /// The same checks as the `const` `build` of a normal build; under `cfg(loom)` the
    /// breaker's atomics are loom's, which have no `const fn new`.
    ///
    /// # Errors
    ///
    /// As `build`.
    #[cfg(loom)]
    pub fn build(self) -> Result<CircuitBreaker, ConfigError> {
        self.config().map(CircuitBreaker::from_config)
    }

    /// The validated settings, or the first bad one.
    pub(super) const fn config(self) -> Result<super::Config, ConfigError> {
        let probes = match self.probes {
            Some(probes) => probes,
            None => self.success_threshold,
        };
        if self.name.is_empty() {
            return Err(crate::config::config_error!("name", "must not be empty"));
        }
        if let Some(0) = self.threshold {
            return Err(crate::config::config_error!(
                "threshold",
                "must be at least 1"
            ));
        }
        if self.success_threshold == 0 {
            return Err(crate::config::config_error!(
                "success_threshold",
                "must be at least 1"
            ));
        }
        if self.success_threshold > MAX_HALF_OPEN_COUNT {
            return Err(crate::config::config_error!(
                "success_threshold",
                "must be at most 65535"
            ));
        }
        if probes == 0 {
            return Err(crate::config::config_error!("probes", "must be at least 1"));
        }
        if probes > MAX_HALF_OPEN_COUNT {
            return Err(crate::config::config_error!(
                "probes",
                "must be at most 65535"
            ));
        }
        let recovery_max = match self.recovery_max {
            Some(max) => {
                if max.as_nanos() < self.recovery.as_nanos() {
                    return Err(crate::config::config_error!(
                        "recovery_max",
                        "must not be shorter than `recovery`"
                    ));
                }
                max
            }
            None => self.recovery,
        };
        let Some(failure_ppm) = rate_ppm(self.failure_rate) else {
            return Err(crate::config::config_error!(
                "failure_rate",
                "must be above 0 and at most 1"
            ));
        };
        let Some(slow_ppm) = rate_ppm(self.slow_rate) else {
            return Err(crate::config::config_error!(
                "slow_rate",
                "must be above 0 and at most 1"
            ));
        };
        match (self.slow_call, self.slow_rate) {
            (Some(_), None) => {
                return Err(crate::config::config_error!(
                    "slow_call",
                    "needs `slow_rate`, the share of slow calls that opens the breaker"
                ));
            }
            (None, Some(_)) => {
                return Err(crate::config::config_error!(
                    "slow_rate",
                    "needs `slow_call`, the duration above which a call is slow"
                ));
            }
            _ => {}
        }
        let rated = failure_ppm != 0 || slow_ppm != 0;
        if !rated {
            if self.min_calls.is_some() {
                return Err(crate::config::config_error!(
                    "min_calls",
                    "applies to a rate; set `failure_rate` or `slow_rate` too"
                ));
            }
            if self.window.is_some() {
                return Err(crate::config::config_error!(
                    "window",
                    "applies to a rate; set `failure_rate` or `slow_rate` too"
                ));
            }
        }
        let window = match self.window {
            Some(window) => window,
            None => Window::Calls(100),
        };
        let largest = match window {
            Window::Calls(0) => {
                return Err(crate::config::config_error!(
                    "window",
                    "must be at least 1 call"
                ));
            }
            Window::Calls(n) if n > MAX_WINDOW_CALLS => {
                return Err(crate::config::config_error!(
                    "window",
                    "must be at most 1000000 calls"
                ));
            }
            Window::Calls(n) => n,
            Window::Time(span) => {
                if span.as_nanos() < SLICES as u128 {
                    return Err(crate::config::config_error!(
                        "window",
                        "must be at least 16ns"
                    ));
                }
                u32::MAX
            }
        };
        let min_calls = match self.min_calls {
            Some(0) => {
                return Err(crate::config::config_error!(
                    "min_calls",
                    "must be at least 1"
                ));
            }
            Some(n) if n > largest => {
                return Err(crate::config::config_error!(
                    "min_calls",
                    "must not exceed the window's number of calls"
                ));
            }
            Some(n) => n,
            None if largest < 10 => largest,
            None => 10,
        };
        let threshold = match self.threshold {
            Some(n) => n,
            None if rated => 0,
            None => 3,
        };
        let slow_nanos = match self.slow_call {
            Some(d) => super::clock::saturating_nanos(d),
            None => 0,
        };
        Ok(super::Config {
            name: self.name,
            threshold,
            recovery: self.recovery,
            recovery_max,
            success_threshold: self.success_threshold,
            probes,
            failure_ppm,
            slow_ppm,
            slow_call: self.slow_call,
            slow_nanos,
            min_calls,
            window: if rated { Some(window) } else { None },
            slicing: super::window::Slicing::of(window),
            plain: !rated,
        })
    }
}

/// A rate (as `f64` bits) in millionths; 0 when not set; `None` when out of range.
const fn rate_ppm(bits: Option<u64>) -> Option<u32> {
    let Some(bits) = bits else {
        return Some(0);
    };
    let rate = f64::from_bits(bits);
    // Also false for NaN.
    if !(rate > 0.0 && rate <= 1.0) {
        return None;
    }
    let ppm = (rate * 1_000_000.0 + 0.5) as u32;
    Some(if ppm == 0 { 1 } else { ppm })
}
