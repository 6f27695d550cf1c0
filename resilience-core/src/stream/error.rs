//! What a stream call fails with when its stream yields nothing, and the bound that says
//! what to add when `E` cannot carry it.

use crate::TimedOut;

/// The stream ended before its first item: the server answered, then said nothing.
///
/// A call under [`first_item`](super::first_item) is answered by its first item, so a
/// stream that ends before one is the call's failure (retried, counted by a breaker, a
/// reason to fall back) like an error would be.
///
/// ```
/// use resilience_core::stream::EmptyStream;
///
/// let err = EmptyStream::new("my_app::chat");
/// assert_eq!(err.name(), "my_app::chat");
/// assert_eq!(err.to_string(), "the stream of `my_app::chat` ended before its first item");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[error("the stream of `{name}` ended before its first item")]
pub struct EmptyStream {
    name: &'static str,
}

impl EmptyStream {
    /// The stream of the call named `name` ended before its first item.
    ///
    /// ```
    /// let err = resilience_core::stream::EmptyStream::new("chat");
    /// # let _ = err;
    /// ```
    pub const fn new(name: &'static str) -> Self {
        Self { name }
    }

    /// The name of the call whose stream was empty (the function's path under
    /// `#[stream]`).
    ///
    /// ```
    /// assert_eq!(resilience_core::stream::EmptyStream::new("chat").name(), "chat");
    /// ```
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

/// `E` can carry what a stream call fails with besides its own errors: [`TimedOut`]
/// (no first item within `first`, or a gap longer than `idle`) and [`EmptyStream`].
///
/// Implemented for every `E: From<TimedOut> + From<EmptyStream>`; it exists to say what
/// to add when one of those impls is missing, in one error.
///
/// ```
/// use resilience_core::{stream::{EmptyStream, FromStreamError}, TimedOut};
///
/// #[derive(Debug)]
/// enum ApiError { Timeout(TimedOut), Empty(EmptyStream) }
/// impl From<TimedOut> for ApiError { fn from(e: TimedOut) -> Self { ApiError::Timeout(e) } }
/// impl From<EmptyStream> for ApiError { fn from(e: EmptyStream) -> Self { ApiError::Empty(e) } }
/// fn needs<E: FromStreamError>() {}
/// needs::<ApiError>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`#[stream]` needs `{Self}: From<TimedOut> + From<EmptyStream>` to fail a call whose stream is late, idle or empty",
    label = "this error type cannot carry `TimedOut` and `EmptyStream`",
    note = "add `impl From<resilience::TimedOut> for {Self}` and `impl From<resilience::stream::EmptyStream> for {Self}` (with thiserror: variants `#[error(transparent)] Timeout(#[from] resilience::TimedOut)` and `#[error(transparent)] Empty(#[from] resilience::stream::EmptyStream)`)"
)]
pub trait FromStreamError: From<TimedOut> + From<EmptyStream> {}
impl<E: From<TimedOut> + From<EmptyStream>> FromStreamError for E {}
