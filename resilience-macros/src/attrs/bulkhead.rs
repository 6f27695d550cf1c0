//! `#[bulkhead(...)]`: at most `max` calls at once, a bounded queue for the rest.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::ParseStream;
use syn::{Expr, Ident, LitStr};

use crate::args::{self, Slot};
use crate::attribute::{Attribute, Emit, Keys, Spec};
use crate::duration::DurationArg;
use crate::errors::Errors;
use crate::expand::{function_name, hidden};
use crate::values::{self, Count};

pub(crate) static SPEC: Spec = Spec {
    name: "bulkhead",
    keys: &[
        ("max", "10"),
        ("queue", "100"),
        ("max_wait", "5s"),
        ("name", "\"embeddings\""),
        ("bulkhead", "&BULKHEAD"),
        ("policy", "\"llm\""),
        ("crate", "::resilience"),
    ],
    positional: None,
    parse: args::parse::<BulkheadAttr>,
};

#[derive(Default)]
pub(crate) struct BulkheadAttr {
    max: Slot<Count>,
    queue: Slot<u32>,
    max_wait: Slot<DurationArg>,
    name: Slot<LitStr>,
    bulkhead: Slot<Expr>,
    /// A policy in the configuration file whose `[name.bulkhead]` overrides the keys.
    policy: Slot<LitStr>,
}

impl Keys for BulkheadAttr {
    const SPEC: &'static Spec = &SPEC;

    fn key(&mut self, key: &Ident, input: ParseStream<'_>, errors: &mut Errors) -> bool {
        match key.to_string().as_str() {
            "max" => self
                .max
                .parse(key, input, errors, |i| values::count(i, key)),
            "queue" => self
                .queue
                .parse(key, input, errors, |i| values::size(i, key)),
            "max_wait" => self.max_wait.parse(key, input, errors, values::duration),
            "name" => self
                .name
                .parse(key, input, errors, |i| values::name(i, key, "bulkhead")),
            "bulkhead" => self.bulkhead.parse(key, input, errors, values::expr),
            "policy" => self.policy.parse(key, input, errors, |i| {
                values::name(i, key, "bulkhead policy")
            }),
            _ => return false,
        }
        true
    }

    fn validate(&self, _: Span, errors: &mut Errors) {
        if let (Some(policy), Some(key)) = (self.policy.key(), self.bulkhead.key()) {
            // A named policy's bulkhead is one per function, made from the file.
            errors.spanned(
                key,
                format!("`{key}` cannot go with `{policy} = \"...\"`: a named policy makes one bulkhead for the function from the configuration file; drop one of them"),
            );
            return;
        }
        if self.bulkhead.key().is_some() {
            let configured = [
                self.max.key(),
                self.queue.key(),
                self.max_wait.key(),
                self.name.key(),
            ];
            for key in configured.into_iter().flatten() {
                errors.spanned(
                    key,
                    format!("`{key}` configures a bulkhead that `#[bulkhead]` builds, but `bulkhead = ...` uses an existing one; set `{key}` where that bulkhead is built, or drop `bulkhead`"),
                );
            }
            return;
        }
        if let Some(max_wait) = self.max_wait.key() {
            if matches!(self.queue.get(), None | Some(0)) {
                errors.spanned(
                    max_wait,
                    "`max_wait` bounds the wait in the queue, but with no `queue` no call waits: a call that finds every permit held is refused at once; add `queue = N`, or drop `max_wait`",
                );
            }
        }
    }
}

impl Attribute for BulkheadAttr {
    fn layer(&self, emit: &Emit<'_>) -> TokenStream {
        let bulkhead = match (self.bulkhead.get(), self.policy.get()) {
            (Some(expr), _) => quote!(#expr),
            (None, Some(policy)) => self.named(emit, policy),
            (None, None) => self.static_bulkhead(emit),
        };
        let method = Ident::new("bulkhead", emit.span);
        quote_spanned!(emit.span=> .#method(#bulkhead))
    }

    fn waits(&self) -> bool {
        true
    }
}

impl BulkheadAttr {
    /// `policy = "name"`: the function's bulkhead made from the configuration file's
    /// `[name.bulkhead]` over the keys (the literal bulkhead without one).
    fn named(&self, emit: &Emit<'_>, policy: &LitStr) -> TokenStream {
        let private = emit.private;
        let config = self.config(emit);
        crate::named::protection_site(
            private,
            "NamedBulkhead",
            policy,
            quote!(#private::Bulkhead::builder() #(#config)*),
        )
    }

    /// The bulkhead settings the keys give, as builder calls (the name first).
    fn config(&self, emit: &Emit<'_>) -> Vec<TokenStream> {
        let name = match self.name.get() {
            Some(name) => quote!(#name),
            None => function_name(emit.sig),
        };
        let mut config = vec![quote!(.name(#name))];
        if let Some(max) = self.max.get() {
            let max = max.to_tokens();
            config.push(quote!(.max(#max)));
        }
        if let Some(queue) = self.queue.get() {
            let queue = Literal::u32_unsuffixed(*queue);
            config.push(quote!(.queue(#queue)));
        }
        if let Some(max_wait) = self.max_wait.get() {
            let max_wait = max_wait.to_tokens();
            config.push(quote!(.max_wait(#max_wait)));
        }
        config
    }

    /// `{ static BULKHEAD: Bulkhead = ..; BULKHEAD.register() }`: one bulkhead per
    /// function, or per name.
    fn static_bulkhead(&self, emit: &Emit<'_>) -> TokenStream {
        let private = emit.private;
        let config = self.config(emit);
        let bulkhead = hidden("BULKHEAD");
        quote! {
            {
                static #bulkhead: #private::Bulkhead = #private::Bulkhead::new(
                    #private::ConfigError::unwrap_const(
                        #private::Bulkhead::builder() #(#config)* .settings()
                    )
                );
                #bulkhead.register()
            }
        }
    }
}
