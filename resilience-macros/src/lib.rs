//! Implementation detail of the [`resilience`](https://docs.rs/resilience) crate: the
//! `#[retry]`, `#[circuit]`, `#[timeout]` and `#[fallback]` attributes.
//!
//! Depend on `resilience`, not on this crate: it re-exports these attributes with their
//! documentation, and generated code refers to its runtime through `::resilience`.
//!
//! The pipeline of this crate, one stage per file: `item` reads the function without
//! parsing its body, `args` reads each attribute's arguments (collecting every error),
//! `stack` gathers the attributes of one function into one ordered stack, and `expand`
//! checks the signature and writes the one pipeline call that replaces the body.
//! `snapshots` (tests only) locks the expansions of `tests/expand/*.rs` down.
#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]

mod args;
mod duration;
mod errors;
mod expand;
mod item;
mod stack;

#[cfg(test)]
mod snapshots;

use proc_macro::TokenStream;

/// Retries the function. See `resilience::retry` for the keys and their defaults.
#[proc_macro_attribute]
pub fn retry(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(stack::Kind::Retry, args.into(), item.into()).into()
}

/// Guards the function with a circuit breaker. See `resilience::circuit`.
#[proc_macro_attribute]
pub fn circuit(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(stack::Kind::Circuit, args.into(), item.into()).into()
}

/// Bounds each call of the function in time. See `resilience::timeout`.
#[proc_macro_attribute]
pub fn timeout(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(stack::Kind::Timeout, args.into(), item.into()).into()
}

/// Calls alternative functions when the function fails. See `resilience::fallback`.
#[proc_macro_attribute]
pub fn fallback(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::attribute(stack::Kind::Fallback, args.into(), item.into()).into()
}
