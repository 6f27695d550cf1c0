//! What each attribute module provides: a [`Spec`] (its name and keys) and an
//! [`Attribute`] (its parsed arguments, the checks it makes, the layer it emits).
//!
//! The shared machinery (the key/value loop in `args`, the stack in `stack`, the
//! expansion in `expand`) works on these and names no attribute; `attrs` lists them.

use proc_macro2::{Span, TokenStream};
use syn::parse::ParseStream;
use syn::{Ident, Path, Signature};

use crate::drive::Pass;
use crate::errors::Errors;

/// An attribute's description, one `static` per attribute module.
pub(crate) struct Spec {
    /// `retry`, as written in `#[retry(..)]`.
    pub(crate) name: &'static str,
    /// Every key it takes, with an example value for messages; `crate` included.
    pub(crate) keys: &'static [(&'static str, &'static str)],
    /// A value it takes without a key (`#[timeout(10s)]`): what it is and an example.
    pub(crate) positional: Option<(&'static str, &'static str)>,
    /// Parses the arguments: `args::parse::<TheAttribute>`.
    pub(crate) parse: fn(TokenStream, Span, &mut Errors) -> Parsed,
}

impl std::fmt::Debug for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#[{}]", self.name)
    }
}

/// One attribute of a stack, parsed.
pub(crate) struct Parsed {
    pub(crate) spec: &'static Spec,
    /// The attribute's name, for errors about the attribute as a whole.
    pub(crate) span: Span,
    /// Its `crate = PATH`.
    pub(crate) krate: Option<Path>,
    pub(crate) attribute: Box<dyn Attribute>,
}

/// An attribute's arguments, parsed key by key (see `args::parse`).
pub(crate) trait Keys: Default + Attribute + 'static {
    /// The attribute this parses.
    const SPEC: &'static Spec;

    /// Parses the value of `key` (after its `=`); `false` when the attribute has no
    /// such key (the caller reports it).
    fn key(&mut self, key: &Ident, input: ParseStream<'_>, errors: &mut Errors) -> bool;

    /// Parses a value given without a key; only for a [`Spec::positional`] attribute.
    fn positional(&mut self, _input: ParseStream<'_>, _errors: &mut Errors) {}

    /// Rules over several keys, or a key that is missing. `span` is the attribute's.
    fn validate(&self, _span: Span, _errors: &mut Errors) {}
}

/// What the expansion needs to know of the function, for the layers it emits.
pub(crate) struct Emit<'a> {
    /// `::resilience::__private`, or the user's `crate = PATH` with `__private`.
    pub(crate) private: &'a TokenStream,
    pub(crate) sig: &'a Signature,
    /// The attribute's own span: a bound its builder call checks is reported there.
    pub(crate) span: Span,
    /// A hidden `u32` local: how many times the body has started in this call, this
    /// run included (for [`Attribute::prelude`]).
    pub(crate) runs: &'a Ident,
    /// The function's retry budget (a local of type `&RetryBudget`): the first
    /// [`Attribute::budget`] of the stack. A layer that draws on "the function's
    /// budget" (a hedge's extra calls) uses it.
    pub(crate) budget: Option<&'a TokenStream>,
    /// This attribute's own [`Attribute::budget`], bound to a local once per call.
    pub(crate) own_budget: Option<&'a TokenStream>,
    /// The call number of this attribute's first agent (see [`Attribute::agents`]).
    pub(crate) first_agent: usize,
}

impl Emit<'_> {
    /// `path(arguments)`: a call of `path` with the function's arguments, passed as
    /// `pass` says (`self` too when `path` is `Self::something`). For values a layer
    /// needs from the call's arguments, evaluated in the builder call before the
    /// pipeline is entered (a rate limit's token estimate).
    pub(crate) fn call_with_arguments(&self, path: &Path, pass: Pass) -> TokenStream {
        crate::drive::call_with_arguments(path, self.sig, pass)
    }
}

/// A parsed attribute: what it checks and what it emits.
pub(crate) trait Attribute {
    /// Checks on the function this attribute needs (async, named parameters, ...).
    fn check(&self, _sig: &Signature, _errors: &mut Errors) {}

    /// The builder call that adds this attribute's layer: `.retry(..)`.
    fn layer(&self, emit: &Emit<'_>) -> TokenStream;

    /// Statements run at the start of every run of the body, in its scope (a name the
    /// body reads); `None` for none. The expansion counts the body's runs only when some
    /// attribute asks, so an unused feature costs nothing.
    fn prelude(&self, _emit: &Emit<'_>) -> Option<TokenStream> {
        None
    }

    /// Functions the layer calls besides the body (fallback agents), in order.
    fn agents(&self) -> &[Path] {
        &[]
    }

    /// Whether the layer may run what is below it more than once: then the body is
    /// awaited in a loop and may not consume its arguments.
    fn repeats(&self) -> bool {
        false
    }

    /// Whether the layer may wait before the call (a queue, a pacing delay).
    fn waits(&self) -> bool {
        false
    }

    /// A retry budget this layer draws on: an expression of type `&RetryBudget`,
    /// evaluated once per call (see [`Emit::own_budget`]). The first one in the stack
    /// is the function's budget ([`Emit::budget`]).
    fn budget(&self, _emit: &Emit<'_>) -> Option<TokenStream> {
        None
    }

    /// Whether the attribute runs the layers below it as concurrent copies (a hedge).
    /// Then [`layer`](Self::layer) returns, instead of a builder call, the runtime value
    /// whose `run(&part, &calls)` races the copies: the expansion builds the layers
    /// above it as the pipeline (which sees one call), the layers below it as a part
    /// built afresh for each copy, and passes the body and the agents as a factory of
    /// calls (so several can run at once). At most one per stack.
    fn forks(&self) -> bool {
        false
    }

    /// Whether [`adapt_call`](Self::adapt_call) wraps the calls (then the attribute must
    /// be written last).
    fn adapts_calls(&self) -> bool {
        false
    }

    /// Wraps one call of the function (the body, `index` 0, or agent `index`, among
    /// `count` calls) in what makes it a call, before any layer guards it: how
    /// `#[stream]` makes a call answer at its stream's first item. `None` leaves it as
    /// it is. A stack with such an attribute must have it last (innermost), so that
    /// textual order stays nesting order.
    fn adapt_call(
        &self,
        _emit: &Emit<'_>,
        _call: &TokenStream,
        _index: usize,
        _count: usize,
    ) -> Option<TokenStream> {
        None
    }
}
