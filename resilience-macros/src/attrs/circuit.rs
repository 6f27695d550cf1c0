//! `#[circuit(...)]`: a circuit breaker around everything below it.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::ParseStream;
use syn::{Expr, Ident, LitStr};

use crate::args::{self, Slot};
use crate::attribute::{Attribute, Emit, Keys, Spec};
use crate::duration::DurationArg;
use crate::errors::Errors;
use crate::expand::hidden;
use crate::values::{self, Count, Filter};

pub(crate) static SPEC: Spec = Spec {
    name: "circuit",
    keys: &[
        ("threshold", "3"),
        ("recovery", "30s"),
        ("success_threshold", "2"),
        ("probes", "2"),
        ("on", "ApiError::Network"),
        ("when", "is_failure"),
        ("name", "\"openai\""),
        ("breaker", "&BREAKER"),
        ("crate", "::resilience"),
    ],
    positional: None,
    parse: args::parse::<Circuit>,
};

#[derive(Default)]
pub(crate) struct Circuit {
    threshold: Slot<Count>,
    recovery: Slot<DurationArg>,
    success_threshold: Slot<Count>,
    probes: Slot<Count>,
    name: Slot<LitStr>,
    breaker: Slot<Expr>,
    filter: Slot<Filter>,
}

impl Keys for Circuit {
    const SPEC: &'static Spec = &SPEC;

    fn key(&mut self, key: &Ident, input: ParseStream<'_>, errors: &mut Errors) -> bool {
        match key.to_string().as_str() {
            "threshold" => self
                .threshold
                .parse(key, input, errors, |i| values::count(i, key)),
            "recovery" => self.recovery.parse(key, input, errors, values::duration),
            "success_threshold" => {
                self.success_threshold
                    .parse(key, input, errors, |i| values::count(i, key));
            }
            "probes" => self
                .probes
                .parse(key, input, errors, |i| values::count(i, key)),
            "name" => self
                .name
                .parse(key, input, errors, |i| values::name(i, key, "breaker")),
            "breaker" => self.breaker.parse(key, input, errors, values::expr),
            _ => return values::filter(&mut self.filter, key, input, errors),
        }
        true
    }

    fn validate(&self, _: Span, errors: &mut Errors) {
        if self.breaker.key().is_none() {
            return;
        }
        let configured = [
            self.threshold.key(),
            self.recovery.key(),
            self.success_threshold.key(),
            self.probes.key(),
            self.name.key(),
        ];
        for key in configured.into_iter().flatten() {
            errors.spanned(
                key,
                format!("`{key}` configures a breaker that `#[circuit]` builds, but `breaker = ...` uses an existing one; set `{key}` where that breaker is built, or drop `breaker`"),
            );
        }
    }
}

impl Attribute for Circuit {
    fn layer(&self, emit: &Emit<'_>) -> TokenStream {
        let private = emit.private;
        let breaker = match self.breaker.get() {
            Some(expr) => quote!(#expr),
            None => {
                let name = match self.name.get() {
                    Some(name) => quote!(#name),
                    None => {
                        let ident = emit.sig.ident.to_string();
                        quote!(::core::concat!(::core::module_path!(), "::", #ident))
                    }
                };
                let mut config = vec![quote!(.name(#name))];
                if let Some(n) = self.threshold.get() {
                    let n = n.to_tokens();
                    config.push(quote!(.threshold(#n)));
                }
                if let Some(d) = self.recovery.get() {
                    let d = d.to_tokens();
                    config.push(quote!(.recovery(#d)));
                }
                if let Some(n) = self.success_threshold.get() {
                    let n = n.to_tokens();
                    config.push(quote!(.success_threshold(#n)));
                }
                if let Some(n) = self.probes.get() {
                    let n = n.to_tokens();
                    config.push(quote!(.probes(#n)));
                }
                let breaker_name = hidden("BREAKER");
                quote! {
                    {
                        static #breaker_name: #private::CircuitBreaker = #private::breaker(
                            #private::CircuitBreaker::builder() #(#config)* .build()
                        );
                        #breaker_name.register()
                    }
                }
            }
        };
        let filter = values::filter_tokens(&self.filter);
        let method = Ident::new("circuit", emit.span);
        quote_spanned!(emit.span=> .#method(#breaker, #filter))
    }
}
