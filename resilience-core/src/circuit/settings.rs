//! A breaker's settings, read back: what it was built with.

use core::time::Duration;

use super::{CircuitBreaker, Window, ppm_rate};

impl CircuitBreaker {
    /// The breaker's name, as given to [`CircuitBreakerBuilder::name`](super::CircuitBreakerBuilder::name).
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// assert_eq!(CircuitBreaker::builder().build()?.name(), "circuit");
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.hot.0.name
    }

    /// Consecutive counted failures that open the breaker; 0 when only a rate does.
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// assert_eq!(CircuitBreaker::builder().build()?.threshold(), 3);
    /// assert_eq!(CircuitBreaker::builder().failure_rate(0.5).build()?.threshold(), 0);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn threshold(&self) -> u32 {
        self.hot.0.config.threshold
    }

    /// The longest open period (see [`CircuitBreakerBuilder::recovery_max`](super::CircuitBreakerBuilder::recovery_max)).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::circuit::CircuitBreaker;
    /// assert_eq!(CircuitBreaker::builder().build()?.recovery_max(), Duration::from_secs(30));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn recovery_max(&self) -> Duration {
        self.hot.0.config.recovery_max
    }

    /// The failure rate that opens the breaker, if it judges one.
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// assert_eq!(CircuitBreaker::builder().failure_rate(0.25).build()?.failure_rate(), Some(0.25));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn failure_rate(&self) -> Option<f64> {
        ppm_rate(self.hot.0.config.failure_ppm)
    }

    /// The slow-call rate that opens the breaker, if it judges one.
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// assert_eq!(CircuitBreaker::builder().build()?.slow_rate(), None);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn slow_rate(&self) -> Option<f64> {
        ppm_rate(self.hot.0.config.slow_ppm)
    }

    /// The duration above which a call is slow, if the breaker times calls.
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// assert_eq!(CircuitBreaker::builder().build()?.slow_call(), None);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn slow_call(&self) -> Option<Duration> {
        self.hot.0.config.slow_call
    }

    /// Calls the window must hold before a rate is judged (meaningful with a rate).
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// assert_eq!(CircuitBreaker::builder().failure_rate(0.5).build()?.min_calls(), 10);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn min_calls(&self) -> u32 {
        self.hot.0.config.min_calls
    }

    /// The window a rate is taken over, if the breaker judges a rate.
    ///
    /// ```
    /// # use resilience_core::circuit::{CircuitBreaker, Window};
    /// assert_eq!(CircuitBreaker::builder().failure_rate(0.5).build()?.window(), Some(Window::Calls(100)));
    /// assert_eq!(CircuitBreaker::builder().build()?.window(), None);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn window(&self) -> Option<Window> {
        self.hot.0.config.window
    }

    /// How long the breaker stays open before it lets a probe through.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::circuit::CircuitBreaker;
    /// assert_eq!(CircuitBreaker::builder().build()?.recovery(), Duration::from_secs(30));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn recovery(&self) -> Duration {
        self.hot.0.config.recovery
    }

    /// Successful probes that close a half-open breaker.
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// assert_eq!(CircuitBreaker::builder().build()?.success_threshold(), 2);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn success_threshold(&self) -> u32 {
        self.hot.0.config.success_threshold
    }

    /// Most probes in flight at once while half-open.
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// assert_eq!(CircuitBreaker::builder().success_threshold(4).build()?.probes(), 4);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn probes(&self) -> u32 {
        self.hot.0.config.probes
    }
}
