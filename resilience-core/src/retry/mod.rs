//! STUB (replaced by the real module at merge).
#![allow(missing_docs, dead_code, unreachable_pub)]
use std::time::Duration;
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff;
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy { attempts: u32 }
pub struct RetryPolicyBuilder { attempts: u32 }
impl RetryPolicy {
    pub const fn builder() -> RetryPolicyBuilder { RetryPolicyBuilder { attempts: 3 } }
    pub const fn attempts(&self) -> u32 { self.attempts }
}
impl RetryPolicyBuilder {
    pub const fn attempts(self, n: u32) -> Self { Self { attempts: n } }
    pub const fn backoff(self, _b: crate::backoff::Backoff) -> Self { self }
    pub const fn max_elapsed(self, _d: Duration) -> Self { self }
    pub const fn build(self) -> Result<RetryPolicy, crate::ConfigError> { Ok(RetryPolicy { attempts: self.attempts }) }
}
pub struct RetryState<'p> { policy: &'p RetryPolicy, n: u32 }
impl<'p> RetryState<'p> {
    pub const fn new(policy: &'p RetryPolicy) -> Self { Self { policy, n: 0 } }
    pub fn start_attempt(&mut self) { self.n += 1 }
    pub fn attempt(&self) -> u32 { self.n }
    pub fn on_error(&mut self, _e: &dyn core::fmt::Debug, retryable: bool, _s: Option<Duration>) -> RetryDecision {
        if !retryable { RetryDecision::GiveUp(GiveUp::NotRetryable) } else if self.n >= self.policy.attempts { RetryDecision::GiveUp(GiveUp::Exhausted) } else { RetryDecision::Retry { delay: Duration::from_secs(1) } }
    }
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision { Retry { delay: Duration }, GiveUp(GiveUp) }
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GiveUp { NotRetryable, Exhausted, MaxElapsed, ServerDelayTooLong }
