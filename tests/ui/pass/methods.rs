//! Methods: `&self`, `&mut self`, generics, lifetimes, `impl Trait` arguments, `where`
//! clauses, trait impls.
#![deny(warnings)]

#[path = "support/mod.rs"]
mod support;

use resilience::{circuit, retry, timeout};
use std::fmt::Display;
use support::ApiError;

struct Client {
    calls: u32,
    model: String,
}

impl Client {
    #[retry(attempts = 3)]
    async fn by_ref(&self, prompt: &str) -> Result<String, ApiError> {
        Ok(format!("{}: {prompt}", self.model))
    }

    #[retry(attempts = 3)]
    #[timeout(1s)]
    async fn by_mut(&mut self, prompt: &str) -> Result<usize, ApiError> {
        self.calls += 1;
        Ok(prompt.len())
    }

    #[retry(attempts = 2)]
    async fn generic<T: Display + Sync>(&self, value: &T) -> Result<String, ApiError> {
        Ok(value.to_string())
    }

    #[circuit(threshold = 2)]
    async fn lifetimes<'a, 'b>(&'a self, items: &'b [String]) -> Result<&'b str, ApiError>
    where
        'a: 'b,
    {
        items.first().map(String::as_str).ok_or(ApiError::Network)
    }

    #[retry]
    async fn elided(&self, text: &str) -> Result<&str, ApiError> {
        // The elided output lifetime is `&self`'s.
        Ok(if text.is_empty() {
            ""
        } else {
            self.model.trim()
        })
    }

    #[retry]
    async fn impl_trait(&self, prompt: impl AsRef<str> + Sync) -> Result<usize, ApiError> {
        Ok(prompt.as_ref().len())
    }

    #[retry]
    async fn where_clause<P>(&self, prompt: P) -> Result<usize, ApiError>
    where
        P: AsRef<str> + Sync,
    {
        Ok(prompt.as_ref().len())
    }

    #[retry]
    async fn returns_self(model: &str) -> Result<Self, ApiError> {
        Ok(Client {
            calls: 0,
            model: model.to_owned(),
        })
    }

    #[retry]
    async fn impl_trait_output(&self) -> Result<impl Display, ApiError> {
        Ok(self.calls)
    }
}

trait Llm {
    async fn complete(&self, prompt: &str) -> Result<String, ApiError>;
}

impl Llm for Client {
    #[retry(attempts = 4)]
    #[circuit(threshold = 3)]
    async fn complete(&self, prompt: &str) -> Result<String, ApiError> {
        Ok(format!("{}: {prompt}", self.model))
    }
}

struct Wrapper<T>(T);

impl<T: Display + Sync> Wrapper<T> {
    #[retry]
    async fn show(&self) -> Result<String, ApiError> {
        Ok(self.0.to_string())
    }
}

fn assert_send<T: Send>(_: T) {}

fn main() {
    let mut client = Client {
        calls: 0,
        model: "m".to_owned(),
    };
    assert_send(client.by_ref("hi"));
    assert_send(client.by_mut("hi"));
    assert_send(client.generic(&3));
    let items = vec!["a".to_owned()];
    assert_send(client.lifetimes(&items));
    assert_send(client.elided(" x "));
    assert_send(client.impl_trait("hi"));
    assert_send(client.where_clause("hi"));
    assert_send(Client::returns_self("m"));
    let _ = client.impl_trait_output();
    let _ = client.complete("hi");
    let _ = Wrapper(1).show();
}
