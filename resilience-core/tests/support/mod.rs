//! Shared by the integration tests: each test file declares `mod support;`.

// Each test file is its own crate and uses only part of this module.
#![allow(dead_code)]

pub mod events;
#[cfg(loom)]
pub mod loom;
#[cfg(not(loom))]
pub mod script;
