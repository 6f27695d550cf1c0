//! STUB (replaced by the real module at merge).
#![allow(missing_docs, dead_code, unreachable_pub)]
use std::time::Duration;
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Jitter { None, #[default] Full, Equal, Decorrelated }
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff;
pub struct BackoffBuilder;
impl Backoff {
    pub const fn exponential() -> BackoffBuilder { BackoffBuilder }
    pub const fn fixed() -> BackoffBuilder { BackoffBuilder }
    pub const fn linear() -> BackoffBuilder { BackoffBuilder }
}
impl BackoffBuilder {
    pub const fn base(self, _d: Duration) -> Self { self }
    pub const fn factor(self, _f: f64) -> Self { self }
    pub const fn max(self, _d: Duration) -> Self { self }
    pub const fn jitter(self, _j: Jitter) -> Self { self }
    pub const fn build(self) -> Result<Backoff, crate::ConfigError> { Ok(Backoff) }
}
