//! The atomics, locks and cells of the lock-free structures ([`circuit`](crate::circuit),
//! [`keyed`](crate::keyed), the rate limiter's bucket and the retry budget's window), in
//! one place.
//!
//! Every per-call path goes through these names only, so the `cfg(loom)` build swaps in
//! `loom::sync` here and model-checks the state machines (see `tests/loom_*.rs`) without
//! touching the rest of the crate. Loom's atomics and locks have no `const fn new`, so
//! under `cfg(loom)` the constructors on the way to them (the breaker's and the
//! family's) are plain functions; a normal build keeps them `const`.

#[cfg(loom)]
pub(crate) use loom::sync::Mutex;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
};
#[cfg(not(loom))]
pub(crate) use std::sync::Mutex;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
};

/// Aligns its content to its own pair of cache lines, so that writes to one group of
/// atomics (the statistics, bumped by every call) do not evict the read-mostly state
/// word from other cores' caches. 128 bytes covers the adjacent-line prefetch of x86
/// and the 128-byte lines of recent Apple and ARM server cores.
#[derive(Debug)]
#[repr(align(128))]
pub(crate) struct CachePadded<T>(pub(crate) T);

/// A cell whose accesses loom checks for data races under `cfg(loom)`; a plain
/// [`core::cell::UnsafeCell`] otherwise. Reads and writes go through closures, as loom's
/// API requires.
#[derive(Debug)]
pub(crate) struct Cell<T>(
    #[cfg(loom)] loom::cell::UnsafeCell<T>,
    #[cfg(not(loom))] core::cell::UnsafeCell<T>,
);

impl<T> Cell<T> {
    #[cfg(not(loom))]
    pub(crate) const fn new(value: T) -> Self {
        Cell(core::cell::UnsafeCell::new(value))
    }

    #[cfg(loom)]
    pub(crate) fn new(value: T) -> Self {
        Cell(loom::cell::UnsafeCell::new(value))
    }

    /// Reads through a shared pointer.
    ///
    /// # Safety
    ///
    /// No write may run at the same time.
    #[inline]
    pub(crate) unsafe fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        #[cfg(not(loom))]
        // SAFETY: the caller rules out a concurrent write.
        return f(unsafe { &*self.0.get() });
        #[cfg(loom)]
        // SAFETY: the caller rules out a concurrent write.
        return self.0.with(|p| f(unsafe { &*p }));
    }

    /// Writes through an exclusive pointer.
    ///
    /// # Safety
    ///
    /// No other access may run at the same time.
    #[inline]
    pub(crate) unsafe fn with_mut<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        #[cfg(not(loom))]
        // SAFETY: the caller rules out any concurrent access.
        return f(unsafe { &mut *self.0.get() });
        #[cfg(loom)]
        // SAFETY: the caller rules out any concurrent access.
        return self.0.with_mut(|p| f(unsafe { &mut *p }));
    }
}
