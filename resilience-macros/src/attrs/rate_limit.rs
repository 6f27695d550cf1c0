//! `#[rate_limit(...)]`: requests and tokens per period, waited for before the call.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::ParseStream;
use syn::spanned::Spanned;
use syn::{Expr, FnArg, Ident, LitStr, Pat, Path, Signature};

use crate::args::{self, Slot};
use crate::attribute::{Attribute, Emit, Keys, Spec};
use crate::drive::Pass;
use crate::duration::DurationArg;
use crate::errors::Errors;
use crate::expand::{function_name, generated_at, hidden};
use crate::values::{self, Count};

pub(crate) static SPEC: Spec = Spec {
    name: "rate_limit",
    keys: &[
        ("requests", "60"),
        ("tokens", "90_000"),
        ("per", "1m"),
        ("burst", "10"),
        ("cost", "estimate_tokens"),
        ("usage", "tokens_used"),
        ("max_wait", "30s"),
        ("key", "model"),
        ("max_keys", "1024"),
        ("name", "\"openai\""),
        ("limiter", "&LIMITER"),
        ("policy", "\"llm\""),
        ("crate", "::resilience"),
    ],
    positional: None,
    parse: args::parse::<RateLimit>,
};

#[derive(Default)]
pub(crate) struct RateLimit {
    requests: Slot<u64>,
    tokens: Slot<u64>,
    per: Slot<DurationArg>,
    burst: Slot<u64>,
    cost: Slot<Path>,
    usage: Slot<Expr>,
    max_wait: Slot<DurationArg>,
    key: Slot<Expr>,
    max_keys: Slot<Count>,
    name: Slot<LitStr>,
    limiter: Slot<Expr>,
    /// A policy in the configuration file whose `[name.rate_limit]` overrides the keys.
    policy: Slot<LitStr>,
}

impl Keys for RateLimit {
    const SPEC: &'static Spec = &SPEC;

    fn key(&mut self, key: &Ident, input: ParseStream<'_>, errors: &mut Errors) -> bool {
        match key.to_string().as_str() {
            "requests" => self
                .requests
                .parse(key, input, errors, |i| values::amount(i, key)),
            "tokens" => self
                .tokens
                .parse(key, input, errors, |i| values::amount(i, key)),
            "per" => self.per.parse(key, input, errors, values::duration),
            "burst" => self
                .burst
                .parse(key, input, errors, |i| values::amount(i, key)),
            "cost" => self
                .cost
                .parse(key, input, errors, |i| values::function(i, key)),
            "usage" => self.usage.parse(key, input, errors, values::expr),
            "max_wait" => self.max_wait.parse(key, input, errors, values::duration),
            "key" => self.key.parse(key, input, errors, values::expr),
            "max_keys" => self
                .max_keys
                .parse(key, input, errors, |i| values::count(i, key)),
            "name" => self
                .name
                .parse(key, input, errors, |i| values::name(i, key, "rate limiter")),
            "limiter" => self.limiter.parse(key, input, errors, values::expr),
            "policy" => self.policy.parse(key, input, errors, |i| {
                values::name(i, key, "rate limit policy")
            }),
            _ => return false,
        }
        true
    }

    fn validate(&self, span: Span, errors: &mut Errors) {
        if let Some(policy) = self.policy.key() {
            // A named policy's limiter is one per function, made from the file.
            for key in [self.limiter.key(), self.key.key()].into_iter().flatten() {
                errors.spanned(
                    key,
                    format!("`{key}` cannot go with `{policy} = \"...\"`: a named policy makes one limiter for the function from the configuration file; drop one of them"),
                );
            }
            if self.limiter.key().is_some() {
                return;
            }
        }
        if self.limiter.key().is_some() {
            let configured = [
                self.requests.key(),
                self.tokens.key(),
                self.per.key(),
                self.burst.key(),
                self.max_wait.key(),
                self.key.key(),
                self.max_keys.key(),
                self.name.key(),
            ];
            for key in configured.into_iter().flatten() {
                errors.spanned(
                    key,
                    format!("`{key}` configures a limiter that `#[rate_limit]` builds, but `limiter = ...` uses an existing one; set `{key}` where that limiter is built, or drop `limiter`"),
                );
            }
            return;
        }
        if let (Some(key), None) = (self.max_keys.key(), self.key.key()) {
            errors.spanned(
                key,
                "`max_keys` bounds the limiters of a `key = ...`; add the key (e.g. `key = model`) or drop `max_keys`",
            );
        }
        if self.requests.is_missing() && self.tokens.is_missing() {
            errors.at(
                span,
                "`#[rate_limit]` needs `requests = N` or `tokens = N` (or both), e.g. `#[rate_limit(requests = 60, per = 1m)]`",
            );
        }
        if self.tokens.is_missing() {
            for key in [self.cost.key(), self.usage.key()].into_iter().flatten() {
                errors.spanned(
                    key,
                    format!("`{key}` counts tokens, but this limiter has no `tokens = N`; add the tokens per period, or drop `{key}`"),
                );
            }
        } else if let Some(tokens) = self.tokens.key() {
            if self.cost.is_missing() && self.usage.is_missing() {
                errors.spanned(
                    tokens,
                    "`tokens` needs to know what each call takes: `cost = PATH` (a `fn` of the arguments that estimates it before the call) and/or `usage = PATH` (a `fn(&Result<T, E>) -> Option<u64>` that reads it from the result)",
                );
            }
        }
        if let (Some(burst), Some(key)) = (self.burst.get(), self.burst.key()) {
            let (limit, of) = match (self.requests.get(), self.tokens.get()) {
                (Some(requests), _) => (*requests, "requests"),
                (None, Some(tokens)) => (*tokens, "tokens"),
                (None, None) => return,
            };
            if *burst > limit {
                errors.spanned(
                    key,
                    format!("`burst` is the most {of} let through at once, so it must be at most `{of}` ({limit})"),
                );
            }
        }
        if let Some(per) = self.per.get() {
            if per.literal_nanos() == Some(0) {
                errors.at(per.span(), "`per` must not be zero");
            }
        }
    }
}

impl Attribute for RateLimit {
    fn check(&self, sig: &Signature, errors: &mut Errors) {
        if self.cost.is_missing() {
            return;
        }
        for input in &sig.inputs {
            if let FnArg::Typed(typed) = input {
                if !matches!(&*typed.pat, Pat::Ident(_)) {
                    errors.spanned(
                        &typed.pat,
                        "`cost` is called with the function's arguments by name; bind this parameter to a name (`arg: Type`) and destructure it in the body",
                    );
                }
            }
        }
    }

    fn layer(&self, emit: &Emit<'_>) -> TokenStream {
        let private = emit.private;
        let limiter = match (self.limiter.get(), self.policy.get()) {
            (Some(expr), _) => quote!(#expr),
            (None, Some(policy)) => self.named(emit, policy),
            (None, None) => self.static_limiter(emit),
        };
        let cost = match self.cost.get() {
            // Located at the path: a cost function of the wrong shape is reported there.
            Some(path) => generated_at(emit.call_with_arguments(path, Pass::Shared), path.span()),
            None => quote!(0_u64),
        };
        let usage = match self.usage.get() {
            Some(usage) => quote!(#usage),
            None => quote!(#private::NoUsage),
        };
        let method = Ident::new("rate_limit", emit.span);
        quote_spanned!(emit.span=> .#method(#limiter, #cost, #usage))
    }

    fn waits(&self) -> bool {
        true
    }
}

impl RateLimit {
    /// `policy = "name"`: the function's limiter made from the configuration file's
    /// `[name.rate_limit]` over the keys (the literal limiter without one).
    fn named(&self, emit: &Emit<'_>, policy: &LitStr) -> TokenStream {
        let private = emit.private;
        let config = self.config(emit);
        crate::named::protection_site(
            private,
            "NamedLimiter",
            policy,
            quote!(#private::RateLimiter::builder() #(#config)*),
        )
    }

    /// The limiter settings the keys give, as builder calls (the name first).
    fn config(&self, emit: &Emit<'_>) -> Vec<TokenStream> {
        let name = match self.name.get() {
            Some(name) => quote!(#name),
            None => function_name(emit.sig),
        };
        let mut config = vec![quote!(.name(#name))];
        if let Some(requests) = self.requests.get() {
            let requests = Literal::u64_unsuffixed(*requests);
            config.push(quote!(.requests(#requests)));
        }
        if let Some(tokens) = self.tokens.get() {
            let tokens = Literal::u64_unsuffixed(*tokens);
            config.push(quote!(.tokens(#tokens)));
        }
        if let Some(per) = self.per.get() {
            let per = per.to_tokens();
            config.push(quote!(.per(#per)));
        }
        if let Some(burst) = self.burst.get() {
            // The burst of the requests limit, or of the tokens one when there is no other.
            let burst = Literal::u64_unsuffixed(*burst);
            if self.requests.get().is_some() {
                config.push(quote!(.request_burst(#burst)));
            } else {
                config.push(quote!(.token_burst(#burst)));
            }
        }
        if let Some(max_wait) = self.max_wait.get() {
            let max_wait = max_wait.to_tokens();
            config.push(quote!(.max_wait(#max_wait)));
        }
        config
    }

    /// `{ static LIMITER: RateLimiter = ..; LIMITER.register() }`: one limiter per
    /// function, or per name (the registry hands every limiter of a name the first one);
    /// with a `key`, a `RateLimiters` family and the key's limiter in it.
    fn static_limiter(&self, emit: &Emit<'_>) -> TokenStream {
        let private = emit.private;
        let config = self.config(emit);
        let settings = quote! {
            #private::ConfigError::unwrap_const(
                #private::RateLimiter::builder() #(#config)* .settings()
            )
        };
        let Some(key) = self.key.get() else {
            let limiter = hidden("LIMITER");
            return quote! {
                {
                    static #limiter: #private::RateLimiter = #private::RateLimiter::new(#settings);
                    #limiter.register()
                }
            };
        };
        let max_keys = self
            .max_keys
            .get()
            .map_or_else(|| quote!(1024), Count::to_tokens);
        let limiters = hidden("LIMITERS");
        let key_text = hidden("__key");
        // Spanned on the key: a key that is neither a string nor `Display` is reported
        // there.
        let by_key = quote_spanned!(key.span()=> (&&#private::KeyText(&(#key))).with_key(|#key_text| #limiters.for_key(#key_text)));
        quote! {
            {
                static #limiters: #private::RateLimiters = #private::RateLimiters::new(
                    #settings,
                    #private::max_keys(#max_keys),
                );
                use #private::{KeyAsStr as _, KeyDisplay as _};
                #by_key
            }
        }
    }
}
