//! `#[timeout(DUR)]`: a deadline over everything below it.

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;
use syn::parse::ParseStream;
use syn::{Ident, Signature};

use crate::args::{self, Slot};
use crate::attribute::{Attribute, Emit, Keys, Spec};
use crate::duration::DurationArg;
use crate::errors::Errors;
use crate::values;

pub(crate) static SPEC: Spec = Spec {
    name: "timeout",
    keys: &[("policy", "\"llm\""), ("crate", "::resilience")],
    positional: Some(("duration", "10s")),
    parse: args::parse::<Timeout>,
};

#[derive(Default)]
pub(crate) struct Timeout {
    after: Slot<DurationArg>,
    /// A policy in the configuration file whose `[name.timeout] after` replaces `after`.
    policy: Slot<syn::LitStr>,
}

impl Keys for Timeout {
    const SPEC: &'static Spec = &SPEC;

    fn key(&mut self, key: &Ident, input: ParseStream<'_>, errors: &mut Errors) -> bool {
        match key.to_string().as_str() {
            "policy" => self.policy.parse(key, input, errors, |i| {
                values::name(i, key, "timeout policy")
            }),
            _ => return false,
        }
        true
    }

    /// `#[timeout(10s)]` or `#[timeout(Duration::from_millis(250))]`.
    fn positional(&mut self, input: ParseStream<'_>, errors: &mut Errors) {
        let start = input.span();
        let duration = args::value(input, errors, values::duration);
        if self.after.get().is_some() {
            errors.at(start, "`#[timeout]` takes one duration; keep only one");
        } else {
            self.after
                .set(&Ident::new("after", start), duration, errors);
        }
    }

    fn validate(&self, span: Span, errors: &mut Errors) {
        if self.after.is_missing() {
            errors.at(
                span,
                "`#[timeout]` needs a duration, e.g. `#[timeout(10s)]`",
            );
        }
    }
}

impl Attribute for Timeout {
    fn check(&self, sig: &Signature, errors: &mut Errors) {
        if sig.asyncness.is_none() {
            errors.spanned(
                sig.fn_token,
                "`#[timeout]` needs an `async fn`: a blocking call cannot be interrupted; make the function `async` or drop `#[timeout]`",
            );
        }
    }

    fn layer(&self, emit: &Emit<'_>) -> TokenStream {
        let after = self
            .after
            .get()
            .map(DurationArg::to_tokens)
            .unwrap_or_default();
        let method = Ident::new("timeout", emit.span);
        let Some(name) = self.policy.get() else {
            return quote_spanned!(emit.span=> .#method(#after));
        };
        let private = emit.private;
        let site = crate::expand::hidden("NAMED_TIMEOUT");
        quote_spanned! {emit.span=>
            .#method({
                #private::config_feature::<()>();
                static #site: #private::NamedTimeout = #private::NamedTimeout::new(#name);
                #site.get(#after)
            })
        }
    }
}
