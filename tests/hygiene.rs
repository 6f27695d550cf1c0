//! The expansions compile whatever the user has in scope, and under strict lints.
//!
//! - `mod core {}` and `mod std {}` at the crate root: generated code must say
//!   `::core::...`, never a relative `core::` or `std::` (async-trait's test).
//! - `use std as resilience;` shadows the crate's name: the default runtime path is
//!   the absolute `::resilience`, and `crate = ...` points elsewhere
//!   (tokio's `macros_rename_test`).
//! - `deny(unused_imports)`: `use resilience::circuit` below `#[retry]` expands as part
//!   of `#[retry]`'s stack; the `#[circuit(__resilience_expanded)]` marker it leaves
//!   keeps the import used.
//! - `deny(unused_qualifications)` and `clippy::pedantic` (checked by `cargo clippy
//!   --all-targets`): generated code triggers no lint, and allows none.
#![deny(
    warnings,
    unused_imports,
    unused_qualifications,
    unused_results,
    rust_2018_idioms,
    clippy::all,
    clippy::pedantic,
    unsafe_code,
    single_use_lifetimes,
    unused_lifetimes,
    trivial_casts,
    let_underscore_drop
)]

// Empty modules that would capture any relative `core::` or `std::` path.
mod core {}
mod std {}

#[derive(Debug, Clone, PartialEq)]
enum ApiError {
    Network,
    Open(resilience::CircuitOpen),
    Timeout(resilience::TimedOut),
    Empty(resilience::EmptyStream),
}

impl From<resilience::EmptyStream> for ApiError {
    fn from(e: resilience::EmptyStream) -> Self {
        ApiError::Empty(e)
    }
}

impl From<resilience::CircuitOpen> for ApiError {
    fn from(e: resilience::CircuitOpen) -> Self {
        ApiError::Open(e)
    }
}

impl From<resilience::TimedOut> for ApiError {
    fn from(e: resilience::TimedOut) -> Self {
        ApiError::Timeout(e)
    }
}

fn is_network(e: &ApiError) -> bool {
    *e == ApiError::Network
}

fn retry_after(e: &ApiError) -> Option<::core::time::Duration> {
    match e {
        ApiError::Network => Some(::core::time::Duration::from_millis(1)),
        ApiError::Open(_) | ApiError::Timeout(_) | ApiError::Empty(_) => None,
    }
}

/// Plain imports, every attribute of a stack among them.
mod imported {
    use super::{ApiError, is_network, retry_after};
    use resilience::{circuit, fallback, retry, timeout};

    async fn backup(prompt: &str) -> Result<usize, ApiError> {
        Ok(std::future::ready(prompt.len()).await)
    }

    #[fallback(agents = [backup])]
    #[circuit(threshold = 3, recovery = 30s, name = "hygiene")]
    #[retry(attempts = 4, base = 10ms, max = 1s, factor = 2, jitter = "full", on = ApiError::Network, retry_after = retry_after)]
    #[timeout(10s)]
    pub(crate) async fn stacked(prompt: &str) -> Result<usize, ApiError> {
        if prompt.is_empty() {
            return Err(ApiError::Network);
        }
        Ok(prompt.len())
    }

    // `circuit` is imported above and used only as the second attribute here.
    #[retry(when = is_network)]
    #[circuit]
    pub(crate) fn blocking(prompt: &str) -> Result<usize, ApiError> {
        if prompt.is_empty() {
            return Err(ApiError::Network);
        }
        Ok(prompt.len())
    }

    #[allow(clippy::needless_pass_by_value)]
    fn offline(text: String, budget: u32) -> Result<usize, ApiError> {
        if budget == 0 {
            return Err(ApiError::Network);
        }
        Ok(text.len())
    }

    // The agent gets a clone of `text` and a copy of `budget`. The function's own
    // lints still apply to it (the attribute hides nothing): `text` is only borrowed.
    #[allow(clippy::needless_pass_by_value)]
    #[fallback(agents = [offline])]
    pub(crate) fn owned(text: String, budget: u32) -> Result<usize, ApiError> {
        if text.len() > budget as usize {
            return Err(ApiError::Network);
        }
        Ok(text.len())
    }

    async fn any_answer(_prompt: &str) -> Result<usize, ApiError> {
        Ok(std::future::ready(0).await)
    }

    // A parameter the body ignores (`_prompt`) is still passed on to the agent; that
    // use is the macro's, so clippy's `used_underscore_binding` does not fire on it.
    #[fallback(agents = [any_answer])]
    pub(crate) async fn ignores_its_prompt(_prompt: &str) -> Result<usize, ApiError> {
        Err(ApiError::Network)
    }

    pub(crate) struct Client {
        pub(crate) calls: u32,
    }

    impl Client {
        async fn cached(&mut self, prompt: &str) -> Result<usize, ApiError> {
            self.calls += 1;
            Ok(std::future::ready(prompt.len()).await)
        }

        #[fallback(agents = [Self::cached])]
        #[retry(attempts = 2)]
        pub(crate) async fn complete(&mut self, prompt: &str) -> Result<usize, ApiError> {
            self.calls += 1;
            if prompt.is_empty() {
                return Err(ApiError::Network);
            }
            Ok(prompt.len())
        }

        #[retry(attempts = 2)]
        pub(crate) fn bump(&mut self) -> Result<u32, ApiError> {
            self.calls += 1;
            if self.calls > 10 {
                return Err(ApiError::Network);
            }
            Ok(self.calls)
        }
    }
}

/// A fork (`#[hedge]`) between layers that borrow, with a retry budget by name and by
/// expression.
mod hedged {
    use super::ApiError;
    use resilience::retry::RetryBudget;
    use resilience::{circuit, hedge, retry, timeout};

    static BUDGET: RetryBudget = match RetryBudget::builder().name("hygiene").build() {
        Ok(budget) => budget,
        Err(_) => panic!("valid settings"),
    };

    async fn replica(prompt: &str, n: u32) -> Result<usize, ApiError> {
        Ok(std::future::ready(prompt.len() + n as usize).await)
    }

    #[retry(attempts = 2, budget = "hygiene::named")]
    #[hedge(after = 1s, agents = [replica])]
    #[circuit(threshold = 3)]
    #[timeout(5s)]
    pub(crate) async fn named(prompt: &str, n: u32) -> Result<usize, ApiError> {
        if prompt.is_empty() {
            return Err(ApiError::Network);
        }
        Ok(prompt.len() + n as usize)
    }

    #[hedge(after = 1s, max = 2)]
    #[retry(attempts = 2, budget = &BUDGET)]
    pub(crate) async fn by_reference(prompt: String) -> Result<usize, ApiError> {
        Ok(std::future::ready(prompt.len()).await)
    }
}

/// The name `resilience` shadowed, the runtime reached through other paths
/// (tokio's `macros_rename_test`).
mod renamed {
    use super::ApiError;
    // Any `resilience::...` resolved in this module now means `std::...`.
    #[allow(unused_imports)]
    use std as resilience;
    // The real crate under another name, and re-exported from a module.
    use ::resilience as resilience1;
    use resilience1::retry;

    pub(crate) mod reexport {
        pub(crate) use ::resilience;
    }

    // The default `::resilience` is absolute: the shadowing does not reach it.
    #[::resilience::retry(attempts = 2)]
    #[::resilience::timeout(1s)]
    pub(crate) async fn absolute() -> Result<u8, ApiError> {
        Err(ApiError::Network)
    }

    #[resilience1::retry(attempts = 2, crate = resilience1)]
    #[resilience1::circuit(threshold = 2)]
    pub(crate) async fn alias() -> Result<u8, ApiError> {
        Err(ApiError::Network)
    }

    #[reexport::resilience::circuit(crate = "reexport::resilience")]
    #[reexport::resilience::timeout(250ms)]
    pub(crate) async fn reexported() -> Result<u8, ApiError> {
        Err(ApiError::Network)
    }

    fn offline() -> Result<u8, ApiError> {
        Err(ApiError::Network)
    }

    // Only the second attribute says where the runtime is: still one stack.
    #[retry(attempts = 2)]
    #[resilience1::circuit(crate = resilience1)]
    pub(crate) async fn crate_below() -> Result<u8, ApiError> {
        Err(ApiError::Network)
    }

    #[self::reexport::resilience::fallback(agents = [offline], crate = self::reexport::resilience)]
    pub(crate) fn blocking_reexported() -> Result<u8, ApiError> {
        Err(ApiError::Network)
    }
}

/// Names that a careless expansion would capture or collide with.
mod collisions {
    use super::ApiError;
    use resilience::{circuit, retry};

    // Items named like the generated ones.
    #[allow(dead_code)]
    struct Step;
    #[allow(dead_code)]
    static POLICY: u8 = 0;
    #[allow(dead_code)]
    static BREAKER: u8 = 0;

    #[circuit]
    #[retry]
    pub(crate) async fn locals(
        __resilience: u8,
        __step: u8,
        __outcome: u8,
    ) -> Result<u8, ApiError> {
        // The user's own names shadow nothing of the expansion, and the reverse.
        let __result = __resilience + __step + __outcome;
        if __result == 0 {
            return Err(ApiError::Network);
        }
        Ok(__result)
    }
}

/// `#[stream]` under a fallback (an agent of another stream type) and a retry.
mod streamed {
    use super::ApiError;
    use resilience::stream::Stream;
    use resilience::{fallback, retry, stream};

    /// Tokens that are all ready.
    pub(crate) struct Tokens(::std::vec::IntoIter<Result<String, ApiError>>);

    impl Stream for Tokens {
        type Item = Result<String, ApiError>;

        fn poll_next(
            mut self: ::core::pin::Pin<&mut Self>,
            _: &mut ::core::task::Context<'_>,
        ) -> ::core::task::Poll<Option<Self::Item>> {
            ::core::task::Poll::Ready(self.0.next())
        }
    }

    // `use<>`: the stream borrows nothing. Without it, the function's future is not
    // provably `Send` (see `resilience::stream`'s docs).
    async fn canned(
        _prompt: &str,
    ) -> Result<impl Stream<Item = Result<String, ApiError>> + Send + use<>, ApiError> {
        Ok(std::future::ready(Tokens(vec![Ok("canned".to_owned())].into_iter())).await)
    }

    #[fallback(agents = [canned])]
    #[retry(attempts = 2)]
    #[stream(first = 10s, idle = 30s)]
    pub(crate) async fn tokens(
        prompt: &str,
    ) -> Result<impl Stream<Item = Result<String, ApiError>> + Send, ApiError> {
        Ok(std::future::ready(Tokens(vec![Ok(prompt.to_owned())].into_iter())).await)
    }
}

fn assert_send<T: Send>(_: T) {}

#[test]
fn expansions_compile_in_strict_crates() {
    // Built, not run: this test is about what compiles.
    assert_send(imported::stacked("hi"));
    assert_send(imported::ignores_its_prompt("hi"));
    let _: fn(&str) -> Result<usize, ApiError> = imported::blocking;
    let _: fn(String, u32) -> Result<usize, ApiError> = imported::owned;
    let mut client = imported::Client { calls: 0 };
    assert_send(client.complete("hi"));
    let _: fn(&mut imported::Client) -> Result<u32, ApiError> = imported::Client::bump;
    assert_eq!(client.calls, 0);
    assert_send(renamed::absolute());
    assert_send(renamed::alias());
    assert_send(renamed::reexported());
    assert_send(renamed::crate_below());
    let _: fn() -> Result<u8, ApiError> = renamed::blocking_reexported;
    assert_send(collisions::locals(1, 2, 3));
    assert_send(hedged::named("hi", 1));
    assert_send(hedged::by_reference(String::new()));
    assert_send(streamed::tokens("hi"));
}
