//! The atomics the breaker is built from, in one place.
//!
//! Every per-call path goes through these names only, so the `cfg(loom)` build swaps in
//! `loom::sync::atomic` here and model-checks the state machine (see
//! `tests/loom_circuit.rs`) without touching the rest of the module. Loom's atomics have
//! no `const fn new`, so under `cfg(loom)` the constructors on the way to them
//! ([`CircuitBreakerBuilder::build`](super::CircuitBreakerBuilder::build) and the
//! breaker's own) are plain functions; a normal build keeps them `const`.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, Ordering, fence};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, Ordering, fence};

/// Aligns its content to its own pair of cache lines, so that writes to one group of
/// atomics (the statistics, bumped by every call) do not evict the read-mostly state
/// word from other cores' caches. 128 bytes covers the adjacent-line prefetch of x86
/// and the 128-byte lines of recent Apple and ARM server cores.
#[derive(Debug)]
#[repr(align(128))]
pub(crate) struct CachePadded<T>(pub(crate) T);
