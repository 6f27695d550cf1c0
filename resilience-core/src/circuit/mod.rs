//! STUB (replaced by the real module at merge).
#![allow(missing_docs, dead_code, unreachable_pub)]
use std::time::Duration;
pub struct CircuitBreaker {
    name: &'static str,
}
pub struct CircuitBreakerBuilder {
    name: &'static str,
}
impl CircuitBreaker {
    pub const fn builder() -> CircuitBreakerBuilder {
        CircuitBreakerBuilder { name: "circuit" }
    }
    pub fn name(&self) -> &'static str {
        self.name
    }
    pub fn try_acquire(&self) -> Result<Permit<'_>, CircuitOpen> {
        Ok(Permit(self))
    }
    pub fn register(&'static self) -> &'static Self {
        self
    }
}
impl CircuitBreakerBuilder {
    pub const fn name(self, name: &'static str) -> Self {
        Self { name }
    }
    pub const fn threshold(self, _n: u32) -> Self {
        self
    }
    pub const fn success_threshold(self, _n: u32) -> Self {
        self
    }
    pub const fn probes(self, _n: u32) -> Self {
        self
    }
    pub const fn recovery(self, _d: Duration) -> Self {
        self
    }
    pub const fn build(self) -> Result<CircuitBreaker, crate::ConfigError> {
        Ok(CircuitBreaker { name: self.name })
    }
}
pub struct Permit<'a>(&'a CircuitBreaker);
impl Permit<'_> {
    pub fn success(self) {}
    pub fn failure(self) {}
    pub fn ignore(self) {}
}
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CircuitOpen;
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Closed,
    Open,
    HalfOpen,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Stats {
    pub calls: u64,
    pub successes: u64,
    pub failures: u64,
    pub rejected: u64,
}
