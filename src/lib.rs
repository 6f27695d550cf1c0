//! `resilience` (placeholder facade).
pub use resilience_core::*;
