//! Implementation detail of the [`resilience`](https://docs.rs/resilience) crate: the
//! `#[retry]`, `#[circuit]`, `#[timeout]` and `#[fallback]` attributes.
//!
//! Depend on `resilience`, not on this crate: it re-exports these attributes with their
//! documentation, and generated code refers to its runtime through `::resilience`.
//!
//! One module per attribute under `attrs/` (its keys, checks and layer, behind the
//! `attribute` traits); the rest is shared and names no attribute: `item` reads the
//! function without parsing its body, `args` and `values` read `key = value`
//! arguments (collecting every error), `stack` gathers the attributes of one function
//! into one ordered stack, `expand` checks the signature, and `drive` writes the one
//! pipeline that replaces the body. `snapshots` (tests only) locks the expansions of
//! `tests/expand/*.rs` down.
#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]

mod args;
mod attribute;
mod attrs;
mod drive;
mod duration;
mod errors;
mod expand;
mod item;
mod named;
mod stack;
mod values;

#[cfg(test)]
mod parser_props;

#[cfg(test)]
mod snapshots;

use proc_macro::TokenStream;

/// One `#[proc_macro_attribute]` per attribute module.
macro_rules! attributes {
    ($($(#[$doc:meta])* $name:ident => $spec:path;)*) => {$(
        $(#[$doc])*
        #[proc_macro_attribute]
        pub fn $name(args: TokenStream, item: TokenStream) -> TokenStream {
            expand::attribute(&$spec, args.into(), item.into()).into()
        }
    )*};
}

attributes! {
    /// Retries the function. See `resilience::retry` for the keys and their defaults.
    retry => attrs::retry::SPEC;
    /// Guards the function with a circuit breaker. See `resilience::circuit`.
    circuit => attrs::circuit::SPEC;
    /// Bounds each call of the function in time. See `resilience::timeout`.
    timeout => attrs::timeout::SPEC;
    /// Calls alternative functions when the function fails. See `resilience::fallback`.
    fallback => attrs::fallback::SPEC;
    /// Starts another copy of a slow call; the first answer wins. See `resilience::hedge`.
    hedge => attrs::hedge::SPEC;
    /// Paces the function by requests and tokens per period. See `resilience::rate_limit`.
    rate_limit => attrs::rate_limit::SPEC;
    /// Caps how many calls of the function run at once. See `resilience::bulkhead`.
    bulkhead => attrs::bulkhead::SPEC;
    /// Answers a streaming call at its first item. See `resilience::stream`.
    stream => attrs::stream::SPEC;
}
