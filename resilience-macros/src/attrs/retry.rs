//! `#[retry(...)]`: runs the body again when it returns `Err`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::ParseStream;
use syn::{Expr, Ident};

use crate::args::{self, Slot};
use crate::attribute::{Attribute, Emit, Keys, Spec};
use crate::duration::DurationArg;
use crate::errors::Errors;
use crate::expand::hidden;
use crate::values::{self, Choice, Count, Filter, Shared};
use syn::LitStr;

pub(crate) static SPEC: Spec = Spec {
    name: "retry",
    keys: &[
        ("attempts", "3"),
        ("backoff", "\"exp\""),
        ("base", "1s"),
        ("factor", "2.0"),
        ("max", "10s"),
        ("jitter", "\"full\""),
        ("max_elapsed", "60s"),
        ("seed", "42"),
        ("on", "ApiError::Network"),
        ("when", "is_transient"),
        ("retry_after", "retry_after"),
        ("policy", "\"llm\""),
        ("attempt", "n"),
        ("budget", "\"openai\""),
        ("crate", "::resilience"),
    ],
    positional: None,
    parse: args::parse::<Retry>,
};

/// `backoff = "exp" | "fixed" | "linear"`.
#[derive(Clone, Copy)]
enum Shape {
    Exponential,
    Fixed,
    Linear,
}

impl Choice for Shape {
    const ALL: &'static [(&'static str, Self)] = &[
        ("exp", Shape::Exponential),
        ("fixed", Shape::Fixed),
        ("linear", Shape::Linear),
    ];
}

/// `jitter = "none" | "full" | "equal" | "decorrelated"`.
#[derive(Clone, Copy)]
enum Jitter {
    None,
    Full,
    Equal,
    Decorrelated,
}

impl Choice for Jitter {
    const ALL: &'static [(&'static str, Self)] = &[
        ("none", Jitter::None),
        ("full", Jitter::Full),
        ("equal", Jitter::Equal),
        ("decorrelated", Jitter::Decorrelated),
    ];
}

#[derive(Default)]
pub(crate) struct Retry {
    attempts: Slot<Count>,
    backoff: Slot<(Shape, Span)>,
    base: Slot<DurationArg>,
    factor: Slot<TokenStream>,
    max: Slot<DurationArg>,
    jitter: Slot<(Jitter, Span)>,
    max_elapsed: Slot<DurationArg>,
    seed: Slot<u64>,
    filter: Slot<Filter>,
    retry_after: Slot<Expr>,
    /// An existing `&RetryPolicy` instead of the keys that build one, or the name of a
    /// policy in the configuration file (`"llm"`), over the keys.
    policy: Slot<Shared>,
    /// A name the body reads its attempt number from.
    attempt: Slot<Ident>,
    budget: Slot<Shared>,
}

impl Keys for Retry {
    const SPEC: &'static Spec = &SPEC;

    fn key(&mut self, key: &Ident, input: ParseStream<'_>, errors: &mut Errors) -> bool {
        match key.to_string().as_str() {
            "attempts" => self
                .attempts
                .parse(key, input, errors, |i| values::count(i, key)),
            "backoff" => self
                .backoff
                .parse(key, input, errors, |i| values::choice(i, key)),
            "base" => self.base.parse(key, input, errors, values::duration),
            "factor" => self.factor.parse(key, input, errors, values::factor),
            "max" => self.max.parse(key, input, errors, values::duration),
            "jitter" => self
                .jitter
                .parse(key, input, errors, |i| values::choice(i, key)),
            "max_elapsed" => self.max_elapsed.parse(key, input, errors, values::duration),
            "seed" => self.seed.parse(key, input, errors, values::u64_literal),
            "retry_after" => self.retry_after.parse(key, input, errors, values::expr),
            "policy" => self.policy.parse(key, input, errors, |i| {
                values::name_or_expr(i, key, "retry policy")
            }),
            "attempt" => self.attempt.parse(key, input, errors, |i| binding(i, key)),
            "budget" => self.budget.parse(key, input, errors, |i| {
                values::name_or_expr(i, key, "retry budget")
            }),
            _ => return values::filter(&mut self.filter, key, input, errors),
        }
        true
    }

    fn validate(&self, span: Span, errors: &mut Errors) {
        // A named policy (`policy = "llm"`) takes the keys as the settings the file's
        // leave out; an existing policy (`policy = &POLICY`) is whole.
        if matches!(self.policy.get(), Some(Shared::Expr(_))) {
            let configured = [
                self.attempts.key(),
                self.backoff.key(),
                self.base.key(),
                self.factor.key(),
                self.max.key(),
                self.jitter.key(),
                self.max_elapsed.key(),
                self.seed.key(),
            ];
            for key in configured.into_iter().flatten() {
                errors.spanned(
                    key,
                    format!("`{key}` configures a policy that `#[retry]` builds, but `policy = ...` uses an existing one; set `{key}` where that policy is built, or drop `policy`"),
                );
            }
        }
        let base = self.base.get().and_then(DurationArg::literal_nanos);
        let max = self.max.get().and_then(DurationArg::literal_nanos);
        let at = |slot: &Slot<DurationArg>| slot.get().map_or(span, DurationArg::span);
        match (base, max) {
            (Some(b), Some(m)) if b > m => errors.at(
                at(&self.base),
                "`base` is longer than `max`: the first delay would already exceed the cap; lower `base` or raise `max`",
            ),
            (Some(b), None) if self.max.get().is_none() && b > 10_000_000_000 => errors.at(
                at(&self.base),
                "`base` is longer than the default `max` of 10s: the first delay would already exceed the cap; set `max` too, e.g. `max = 60s`",
            ),
            (None, Some(m)) if self.base.get().is_none() && m < 1_000_000_000 => errors.at(
                at(&self.max),
                "`max` is shorter than the default `base` of 1s; set `base` too, e.g. `base = 100ms`",
            ),
            _ => {}
        }
    }
}

impl Attribute for Retry {
    fn layer(&self, emit: &Emit<'_>) -> TokenStream {
        let private = emit.private;
        let mut backoff = Vec::new();
        if let Some(base) = self.base.get() {
            let d = base.to_tokens();
            backoff.push(quote!(.base(#d)));
        }
        if let Some(factor) = self.factor.get() {
            backoff.push(quote!(.factor(#factor)));
        }
        if let Some(max) = self.max.get() {
            let d = max.to_tokens();
            backoff.push(quote!(.max(#d)));
        }
        if let Some((jitter, span)) = self.jitter.get() {
            let variant = match jitter {
                Jitter::None => "None",
                Jitter::Full => "Full",
                Jitter::Equal => "Equal",
                Jitter::Decorrelated => "Decorrelated",
            };
            let variant = Ident::new(variant, *span);
            backoff.push(quote!(.jitter(#private::Jitter::#variant)));
        }
        let mut policy = Vec::new();
        if let Some(attempts) = self.attempts.get() {
            let attempts = attempts.to_tokens();
            policy.push(quote!(.attempts(#attempts)));
        }
        if self.backoff.get().is_some() || !backoff.is_empty() {
            let shape = match self.backoff.get().map(|(shape, _)| *shape) {
                Some(Shape::Fixed) => quote!(fixed),
                Some(Shape::Linear) => quote!(linear),
                Some(Shape::Exponential) | None => quote!(exponential),
            };
            policy.push(quote! {
                .backoff(#private::ConfigError::unwrap_const(
                    #private::Backoff::#shape() #(#backoff)* .build()
                ))
            });
        }
        if let Some(seed) = self.seed.get() {
            policy.push(quote!(.seed(#seed)));
        }
        if let Some(max_elapsed) = self.max_elapsed.get() {
            let d = max_elapsed.to_tokens();
            policy.push(quote!(.max_elapsed(#d)));
        }
        let filter = values::filter_tokens(&self.filter);
        let retry_after = match self.retry_after.get() {
            Some(read) => quote!(#read),
            None => quote!(#private::NoRetryAfter),
        };
        let policy_name = hidden("POLICY");
        let literal = quote! {
            static #policy_name: #private::RetryPolicy = #private::ConfigError::unwrap_const(
                #private::RetryPolicy::builder() #(#policy)* .build()
            );
        };
        let policy = match self.policy.get() {
            Some(Shared::Expr(existing)) => quote!(#existing),
            Some(Shared::Name(name)) => named(private, name, literal, &policy_name),
            None => quote! {
                {
                    #literal
                    &#policy_name
                }
            },
        };
        let method = Ident::new("retry", emit.span);
        let budget = emit.own_budget.map(|budget| {
            let method = Ident::new("budget", emit.span);
            quote_spanned!(emit.span=> .#method(#budget))
        });
        quote_spanned! {emit.span=>
            .#method(#policy, #filter, #retry_after)
            #budget
        }
    }

    fn prelude(&self, emit: &Emit<'_>) -> Option<TokenStream> {
        let name = self.attempt.get()?;
        let runs = emit.runs;
        Some(quote!(let #name: u32 = #runs;))
    }

    fn budget(&self, emit: &Emit<'_>) -> Option<TokenStream> {
        let private = emit.private;
        Some(match self.budget.get()? {
            Shared::Name(name) => {
                let handle = hidden("BUDGET");
                quote! {{
                    static #handle: #private::NamedBudget = #private::NamedBudget::new(#name);
                    #handle.get()
                }}
            }
            Shared::Expr(expr) => quote!(#expr),
        })
    }

    fn repeats(&self) -> bool {
        true
    }
}

/// `policy = "llm"`: the literal policy, and the named site that reads the file's
/// `[llm.retry]` over it (feature `config` of the facade, checked first so that its
/// absence is one error that says so).
fn named(
    private: &TokenStream,
    name: &LitStr,
    literal: TokenStream,
    literal_name: &Ident,
) -> TokenStream {
    let site = hidden("NAMED_POLICY");
    quote! {
        {
            #private::config_feature::<()>();
            #literal
            static #site: #private::NamedRetry = #private::NamedRetry::new(#name, &#literal_name);
            #site.get()
        }
    }
}

/// `attempt = n`: a plain name, for a `let` in the body.
fn binding(input: ParseStream<'_>, key: &Ident) -> syn::Result<Ident> {
    let expr: Expr = input.parse()?;
    match &expr {
        Expr::Path(path) if path.qself.is_none() => {
            if let Some(ident) = path.path.get_ident() {
                return Ok(ident.clone());
            }
        }
        Expr::Lit(_) => {
            return Err(syn::Error::new_spanned(
                &expr,
                format!(
                    "`{key}` names a variable the body reads its attempt number from, e.g. `{key} = n`; the number of attempts is `attempts = ...`"
                ),
            ));
        }
        _ => {}
    }
    Err(syn::Error::new_spanned(
        &expr,
        format!(
            "`{key}` takes a plain name, e.g. `{key} = n`: the body reads its attempt number (1, 2, ...) from it"
        ),
    ))
}
