//! What the examples `tower_axum` and `metrics_prometheus` run, shared with this
//! package's tests:
//!
//! - [`llm_client`]: an outbound LLM client as a tower stack of resilience layers around
//!   a hyper HTTP/1 client service;
//! - [`upstream`]: a stand-in LLM API on loopback that fails its first requests;
//! - [`metrics_app`]: annotated functions with scripted failures, and `/metrics`.
//!
//! `cargo run -p resilience-ecosystem --example tower_axum` and
//! `cargo run -p resilience-ecosystem --example metrics_prometheus`.

pub mod llm_client;
pub mod metrics_app;
pub mod upstream;
