//! Attribute macros of `resilience` (placeholder).
