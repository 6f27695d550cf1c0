//! What `policy = "name"` expands to: the named sites of `resilience::named` with the
//! facade's `config` feature, and without it stand-ins behind a check that fails
//! compilation with one error that names the feature.

#[cfg(feature = "config")]
pub use resilience_core::named::{
    NamedBreaker, NamedBulkhead, NamedHedge, NamedLimiter, NamedRetry, NamedStream, NamedTimeout,
};

/// Implemented when the facade's `config` feature is on.
#[diagnostic::on_unimplemented(
    message = "`policy = \"...\"` reads a named policy from a configuration file, which needs the `config` feature of `resilience`",
    label = "a named policy",
    note = "enable it: `resilience = {{ version = \"0.1\", features = [\"config\"] }}`"
)]
pub trait ConfigFeature {}

#[cfg(feature = "config")]
impl ConfigFeature for () {}

/// The expansion's check that named policies are available.
pub const fn config_feature<T: ConfigFeature>() {}

#[cfg(not(feature = "config"))]
mod stand_ins {
    use core::time::Duration;

    use resilience_core::retry::RetryPolicy;

    /// Stands in for `resilience::named::NamedRetry` without the `config` feature; the
    /// expansion's [`config_feature`](super::config_feature) check has already failed.
    pub struct NamedRetry(&'static RetryPolicy);

    impl NamedRetry {
        /// The literal.
        pub const fn new(_: &'static str, literal: &'static RetryPolicy) -> Self {
            NamedRetry(literal)
        }

        /// The literal.
        pub fn get(&'static self) -> &'static RetryPolicy {
            self.0
        }
    }

    /// Stands in for `resilience::named::NamedBreaker` (see [`NamedRetry`]).
    pub struct NamedBreaker(resilience_core::CircuitBreaker);

    impl NamedBreaker {
        /// The literal breaker.
        pub const fn new(
            _: &'static str,
            builder: resilience_core::circuit::CircuitBreakerBuilder,
        ) -> Self {
            NamedBreaker(crate::__private::breaker(builder.build()))
        }

        /// The literal breaker.
        pub fn get(&'static self) -> &'static resilience_core::CircuitBreaker {
            &self.0
        }
    }

    /// Stands in for `resilience::named::NamedLimiter` (see [`NamedRetry`]).
    pub struct NamedLimiter(resilience_core::rate_limit::RateLimiter);

    impl NamedLimiter {
        /// The literal limiter.
        pub const fn new(
            _: &'static str,
            builder: resilience_core::rate_limit::RateLimiterBuilder,
        ) -> Self {
            NamedLimiter(resilience_core::rate_limit::RateLimiter::new(
                resilience_core::ConfigError::unwrap_const(builder.settings()),
            ))
        }

        /// The literal limiter.
        pub fn get(&'static self) -> &'static resilience_core::rate_limit::RateLimiter {
            &self.0
        }
    }

    /// Stands in for `resilience::named::NamedBulkhead` (see [`NamedRetry`]).
    pub struct NamedBulkhead(resilience_core::bulkhead::Bulkhead);

    impl NamedBulkhead {
        /// The literal bulkhead.
        pub const fn new(
            _: &'static str,
            builder: resilience_core::bulkhead::BulkheadBuilder,
        ) -> Self {
            NamedBulkhead(resilience_core::bulkhead::Bulkhead::new(
                resilience_core::ConfigError::unwrap_const(builder.settings()),
            ))
        }

        /// The literal bulkhead.
        pub fn get(&'static self) -> &'static resilience_core::bulkhead::Bulkhead {
            &self.0
        }
    }

    /// The stand-ins of the sites that keep state are registry entries, as the real
    /// ones are (the expansion lists them): each the literal instance's.
    macro_rules! literal_protection {
        ($site:ty) => {
            impl resilience_core::registry::Protection for $site {
                fn kind(&self) -> &'static str {
                    self.0.kind()
                }

                fn name(&self) -> &str {
                    self.0.name()
                }

                fn status(&self) -> resilience_core::registry::Status {
                    self.0.status()
                }
            }
        };
    }

    literal_protection!(NamedBreaker);
    literal_protection!(NamedLimiter);
    literal_protection!(NamedBulkhead);

    /// Stands in for `resilience::named::NamedHedge` (see [`NamedRetry`]).
    pub struct NamedHedge(&'static resilience_core::hedge::HedgePolicy);

    impl NamedHedge {
        /// The literal.
        pub const fn new(
            _: &'static str,
            literal: &'static resilience_core::hedge::HedgePolicy,
        ) -> Self {
            NamedHedge(literal)
        }

        /// Nothing.
        #[must_use]
        pub const fn agents(self, _: u32) -> Self {
            self
        }

        /// The literal.
        pub fn get(&'static self) -> &'static resilience_core::hedge::HedgePolicy {
            self.0
        }
    }

    /// Stands in for `resilience::named::NamedStream` (see [`NamedRetry`]).
    pub struct NamedStream(&'static resilience_core::stream::StreamPolicy);

    impl NamedStream {
        /// The literal.
        pub const fn new(
            _: &'static str,
            literal: &'static resilience_core::stream::StreamPolicy,
        ) -> Self {
            NamedStream(literal)
        }

        /// The literal.
        pub fn get(&'static self) -> &'static resilience_core::stream::StreamPolicy {
            self.0
        }
    }

    /// Stands in for `resilience::named::NamedTimeout` (see [`NamedRetry`]).
    pub struct NamedTimeout;

    impl NamedTimeout {
        /// Nothing.
        pub const fn new(_: &'static str) -> Self {
            NamedTimeout
        }

        /// The literal.
        pub fn get(&'static self, literal: Duration) -> Duration {
            literal
        }
    }
}

#[cfg(not(feature = "config"))]
pub use stand_ins::{
    NamedBreaker, NamedBulkhead, NamedHedge, NamedLimiter, NamedRetry, NamedStream, NamedTimeout,
};
