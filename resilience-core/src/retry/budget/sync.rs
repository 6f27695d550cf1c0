//! The atomics the budget's window is built from, in one place.
//!
//! The `cfg(loom)` build swaps in `loom::sync::atomic` here and model-checks the window
//! (see `tests/loom_budget.rs`). Loom's atomics have no `const fn new`, so under
//! `cfg(loom)` the constructors on the way to them are plain functions; a normal build
//! keeps them `const`.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, Ordering, fence};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, Ordering, fence};
