//! What the examples `tower_axum`, `metrics_prometheus` and `named_policies` run, shared
//! with this package's tests:
//!
//! - [`llm_client`]: an outbound LLM client as a tower stack of resilience layers around
//!   a hyper HTTP/1 client service;
//! - [`upstream`]: a stand-in LLM API on loopback that fails its first requests;
//! - [`metrics_app`]: annotated functions with scripted failures, and `/metrics`;
//! - [`named_app`]: a call whose settings come from `resilience.toml` by name.
//!
//! `cargo run -p resilience-ecosystem --example tower_axum`,
//! `cargo run -p resilience-ecosystem --example metrics_prometheus` and
//! `cargo run -p resilience-ecosystem --example named_policies`.

pub mod llm_client;
pub mod metrics_app;
pub mod named_app;
pub mod upstream;
