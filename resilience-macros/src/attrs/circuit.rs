//! `#[circuit(...)]`: a circuit breaker around everything below it.
//!
//! Which breaker a call gets is decided here, from what the macro can see: a function
//! has one; a method (it takes `self`, or its signature names `Self`) has one per `Self`
//! type, since the same body may serve several types (a trait's default method, a
//! generic `impl`); `key = EXPR` splits them per key value; `name = ".."` makes them the
//! name's, shared with every attribute that gives it. An associated function that
//! neither takes `self` nor names `Self` cannot be told from a free function: it has one
//! breaker, whichever type it is called for.

use proc_macro2::{Literal, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::parse::ParseStream;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Lit, LitStr, Signature};

use crate::args::{self, Slot};
use crate::attribute::{Attribute, Emit, Keys, Spec};
use crate::duration::DurationArg;
use crate::errors::Errors;
use crate::expand::{function_name, hidden};
use crate::values::{self, Count, Filter};

pub(crate) static SPEC: Spec = Spec {
    name: "circuit",
    keys: &[
        ("threshold", "3"),
        ("recovery", "30s"),
        ("success_threshold", "2"),
        ("probes", "2"),
        ("failure_rate", "0.5"),
        ("min_calls", "10"),
        ("window", "30s"),
        ("slow_call", "20s"),
        ("slow_rate", "0.5"),
        ("recovery_max", "5m"),
        ("retry_after", "ApiError::retry_after"),
        ("key", "model"),
        ("max_keys", "1024"),
        ("on", "ApiError::Network"),
        ("when", "is_failure"),
        ("name", "\"openai\""),
        ("breaker", "&BREAKER"),
        ("policy", "\"llm\""),
        ("crate", "::resilience"),
    ],
    positional: None,
    parse: args::parse::<Circuit>,
};

/// `window = 100` (calls) or `window = 30s` (time).
enum WindowArg {
    Calls(u32, Span),
    Time(DurationArg),
}

#[derive(Default)]
pub(crate) struct Circuit {
    threshold: Slot<Count>,
    recovery: Slot<DurationArg>,
    success_threshold: Slot<Count>,
    probes: Slot<Count>,
    failure_rate: Slot<TokenStream>,
    min_calls: Slot<Count>,
    window: Slot<WindowArg>,
    slow_call: Slot<DurationArg>,
    slow_rate: Slot<TokenStream>,
    recovery_max: Slot<DurationArg>,
    retry_after: Slot<Expr>,
    key: Slot<Expr>,
    max_keys: Slot<Count>,
    name: Slot<LitStr>,
    breaker: Slot<Expr>,
    /// A policy in the configuration file whose `[name.circuit]` overrides the keys.
    policy: Slot<LitStr>,
    filter: Slot<Filter>,
}

impl Keys for Circuit {
    const SPEC: &'static Spec = &SPEC;

    fn key(&mut self, key: &Ident, input: ParseStream<'_>, errors: &mut Errors) -> bool {
        let count = |i: ParseStream<'_>| values::count(i, key);
        match key.to_string().as_str() {
            "threshold" => self.threshold.parse(key, input, errors, count),
            "recovery" => self.recovery.parse(key, input, errors, values::duration),
            "success_threshold" => self.success_threshold.parse(key, input, errors, count),
            "probes" => self.probes.parse(key, input, errors, count),
            "failure_rate" => self
                .failure_rate
                .parse(key, input, errors, |i| values::share(i, key)),
            "min_calls" => self.min_calls.parse(key, input, errors, count),
            "window" => self.window.parse(key, input, errors, window),
            "slow_call" => self.slow_call.parse(key, input, errors, values::duration),
            "slow_rate" => self
                .slow_rate
                .parse(key, input, errors, |i| values::share(i, key)),
            "recovery_max" => self
                .recovery_max
                .parse(key, input, errors, values::duration),
            "retry_after" => self.retry_after.parse(key, input, errors, values::expr),
            "key" => self.key.parse(key, input, errors, values::expr),
            "max_keys" => self.max_keys.parse(key, input, errors, count),
            "name" => self
                .name
                .parse(key, input, errors, |i| values::name(i, key, "breaker")),
            "breaker" => self.breaker.parse(key, input, errors, values::expr),
            "policy" => self.policy.parse(key, input, errors, |i| {
                values::name(i, key, "circuit policy")
            }),
            _ => return values::filter(&mut self.filter, key, input, errors),
        }
        true
    }

    fn validate(&self, _: Span, errors: &mut Errors) {
        if let Some(policy) = self.policy.key() {
            // A named policy's breaker is one per function, made from the file.
            for key in [self.breaker.key(), self.key.key(), self.max_keys.key()]
                .into_iter()
                .flatten()
            {
                errors.spanned(
                    key,
                    format!("`{key}` cannot go with `{policy} = \"...\"`: a named policy makes one breaker for the function from the configuration file; drop one of them"),
                );
            }
        }
        if self.breaker.key().is_some() {
            let configured = [
                self.threshold.key(),
                self.recovery.key(),
                self.success_threshold.key(),
                self.probes.key(),
                self.failure_rate.key(),
                self.min_calls.key(),
                self.window.key(),
                self.slow_call.key(),
                self.slow_rate.key(),
                self.recovery_max.key(),
                self.key.key(),
                self.max_keys.key(),
                self.name.key(),
            ];
            for key in configured.into_iter().flatten() {
                errors.spanned(
                    key,
                    format!("`{key}` configures a breaker that `#[circuit]` builds, but `breaker = ...` uses an existing one; set `{key}` where that breaker is built, or drop `breaker`"),
                );
            }
            return;
        }
        let rated = self.failure_rate.key().is_some() || self.slow_rate.key().is_some();
        for key in [self.min_calls.key(), self.window.key()]
            .into_iter()
            .flatten()
        {
            if !rated {
                errors.spanned(
                    key,
                    format!("`{key}` applies to a rate: add `failure_rate = 0.5` (the share of failures that opens the breaker) or `slow_rate`"),
                );
            }
        }
        match (self.slow_call.key(), self.slow_rate.key()) {
            (Some(key), None) => errors.spanned(
                key,
                "`slow_call` says which calls are slow; add `slow_rate = 0.5`, the share of slow calls that opens the breaker",
            ),
            (None, Some(key)) => errors.spanned(
                key,
                "`slow_rate` needs `slow_call = 20s`, the duration above which a call counts as slow",
            ),
            _ => {}
        }
        if let (Some(key), None) = (self.max_keys.key(), self.key.key()) {
            errors.spanned(
                key,
                "`max_keys` bounds the breakers of a `key = ...`; add the key (e.g. `key = model`) or drop `max_keys`",
            );
        }
        let nanos = |slot: &Slot<DurationArg>| slot.get().and_then(DurationArg::literal_nanos);
        let recovery = nanos(&self.recovery).unwrap_or(30_000_000_000);
        if let Some(max) = nanos(&self.recovery_max) {
            if max < recovery {
                errors.at(
                    self.recovery_max.get().map_or_else(Span::call_site, DurationArg::span),
                    "`recovery_max` is shorter than `recovery` (30s by default): the open period could never grow; raise `recovery_max` or lower `recovery`",
                );
            }
        }
        if let (Some(Count::Literal(min)), Some(WindowArg::Calls(calls, span))) =
            (self.min_calls.get(), self.window.get())
        {
            if min > calls {
                errors.at(
                    *span,
                    format!("a window of {calls} calls can never hold `min_calls = {min}`; make the window larger or `min_calls` smaller"),
                );
            }
        }
    }
}

/// `window = 100` (the last 100 calls) or a duration (`30s`, or a `Duration`).
fn window(input: ParseStream<'_>) -> syn::Result<WindowArg> {
    let expr: Expr = input.parse()?;
    if let Expr::Lit(syn::ExprLit {
        lit: Lit::Int(int), ..
    }) = &expr
    {
        if int.suffix().is_empty() {
            let calls: u32 = int.base10_parse()?;
            if calls == 0 {
                return Err(syn::Error::new(
                    int.span(),
                    "`window` must hold at least 1 call; write e.g. `window = 100` or `window = 30s`",
                ));
            }
            if calls > 1_000_000 {
                return Err(syn::Error::new(
                    int.span(),
                    "`window` holds at most 1000000 calls; for more traffic, take a time window such as `window = 30s`",
                ));
            }
            return Ok(WindowArg::Calls(calls, int.span()));
        }
    }
    DurationArg::parse(expr).map(WindowArg::Time)
}

impl Attribute for Circuit {
    fn layer(&self, emit: &Emit<'_>) -> TokenStream {
        let breaker = match (self.breaker.get(), self.policy.get()) {
            (Some(expr), _) => quote!(#expr),
            (None, Some(policy)) => self.named(emit, policy),
            (None, None) => self.breakers(emit),
        };
        let filter = values::filter_tokens(&self.filter);
        match self.retry_after.get() {
            Some(read) => {
                let method = Ident::new("circuit_with", emit.span);
                quote_spanned!(emit.span=> .#method(#breaker, #filter, #read))
            }
            None => {
                let method = Ident::new("circuit", emit.span);
                quote_spanned!(emit.span=> .#method(#breaker, #filter))
            }
        }
    }
}

impl Circuit {
    /// The breaker settings the keys give, as builder calls (the name first).
    fn config(&self, emit: &Emit<'_>) -> Vec<TokenStream> {
        let private = emit.private;
        let name = match self.name.get() {
            Some(name) => quote!(#name),
            None => function_name(emit.sig),
        };
        let mut config = vec![quote!(.name(#name))];
        if let Some(n) = self.threshold.get().map(Count::to_tokens) {
            config.push(quote!(.threshold(#n)));
        }
        if let Some(d) = self.recovery.get() {
            let d = d.to_tokens();
            config.push(quote!(.recovery(#d)));
        }
        if let Some(d) = self.recovery_max.get() {
            let d = d.to_tokens();
            config.push(quote!(.recovery_max(#d)));
        }
        if let Some(n) = self.success_threshold.get().map(Count::to_tokens) {
            config.push(quote!(.success_threshold(#n)));
        }
        if let Some(n) = self.probes.get().map(Count::to_tokens) {
            config.push(quote!(.probes(#n)));
        }
        if let Some(rate) = self.failure_rate.get() {
            config.push(quote!(.failure_rate(#rate)));
        }
        if let Some(d) = self.slow_call.get() {
            let d = d.to_tokens();
            config.push(quote!(.slow_call(#d)));
        }
        if let Some(rate) = self.slow_rate.get() {
            config.push(quote!(.slow_rate(#rate)));
        }
        if let Some(n) = self.min_calls.get().map(Count::to_tokens) {
            config.push(quote!(.min_calls(#n)));
        }
        match self.window.get() {
            Some(WindowArg::Calls(n, _)) => {
                let n = Literal::u32_unsuffixed(*n);
                config.push(quote!(.window(#private::Window::Calls(#n))));
            }
            Some(WindowArg::Time(d)) => {
                let d = d.to_tokens();
                config.push(quote!(.window(#private::Window::Time(#d))));
            }
            None => {}
        }
        config
    }

    /// `policy = "name"`: the function's breaker made from the configuration file's
    /// `[name.circuit]` over the keys (the literal breaker without one).
    fn named(&self, emit: &Emit<'_>, policy: &LitStr) -> TokenStream {
        let private = emit.private;
        let config = self.config(emit);
        crate::named::protection_site(
            private,
            "NamedBreaker",
            policy,
            quote!(#private::CircuitBreaker::builder() #(#config)*),
        )
    }

    /// The `static` of the attribute's breakers, its link-time registry entry, and the
    /// breaker of this call.
    fn breakers(&self, emit: &Emit<'_>) -> TokenStream {
        let private = emit.private;
        let function = emit.sig.ident.to_string();
        let config = self.config(emit);

        let keyed = self.key.get();
        // A given name is the breaker's identity, whatever the type; a default one is
        // the function's, so each `Self` type gets its own.
        let per_type = self.name.get().is_none() && has_self(emit.sig);
        let scope = match (per_type, keyed.is_some()) {
            (false, false) => quote!(Function),
            (true, false) => quote!(PerType),
            (false, true) => quote!(PerKey),
            (true, true) => quote!(PerTypeAndKey),
        };
        let max_keys = self
            .max_keys
            .get()
            .map_or_else(|| quote!(1024), Count::to_tokens);
        let mut extra = Vec::new();
        if per_type {
            extra.push(quote!(.located(::core::module_path!(), #function)));
        }
        if self.name.get().is_some() {
            extra.push(quote!(.shared()));
        }

        let breakers = hidden("BREAKERS");
        let entry = hidden("ENTRY");
        let key_text = hidden("__key");
        let this = match (per_type, keyed) {
            (false, None) if self.name.get().is_none() => quote!(#breakers.own_breaker()),
            (false, None) => quote!(#breakers.function_breaker()),
            (true, None) => quote!(#breakers.for_type::<Self>()),
            (per_type, Some(key)) => {
                let lookup = if per_type {
                    quote!(#breakers.for_type_and_key::<Self>(#key_text))
                } else {
                    quote!(#breakers.for_key(#key_text))
                };
                // Spanned on the key: a key that is neither a string nor `Display` is
                // reported there.
                let by_key = quote_spanned!(key.span()=> (&&#private::KeyText(&(#key))).with_key(|#key_text| #lookup));
                quote! {{
                    use #private::{KeyAsStr as _, KeyDisplay as _};
                    #by_key
                }}
            }
        };
        quote! {
            {
                static #breakers: #private::Breakers = #private::Breakers::new(
                    #private::breaker(#private::CircuitBreaker::builder() #(#config)* .build()),
                    #private::Scope::#scope,
                    #private::max_keys(#max_keys),
                ) #(#extra)*;
                #[#private::linkme::distributed_slice(#private::ATTRIBUTES)]
                #[linkme(crate = #private::linkme)]
                static #entry: &'static dyn #private::Protection = &#breakers;
                #this
            }
        }
    }
}

/// Whether the function can name `Self`: it takes `self`, or its signature names `Self`
/// (only possible inside an `impl` or a trait).
fn has_self(sig: &Signature) -> bool {
    fn names_self(tokens: TokenStream) -> bool {
        tokens.into_iter().any(|token| match token {
            TokenTree::Ident(ident) => ident == "Self",
            TokenTree::Group(group) => names_self(group.stream()),
            _ => false,
        })
    }
    sig.receiver().is_some() || names_self(quote!(#sig))
}
