//! Writes the pipeline that replaces a function's body.
//!
//! Input:
//!
//! ```text
//! #[fallback(agents = [gpt35])]
//! #[retry(attempts = 4)]
//! async fn gpt4(prompt: &str) -> Result<String, ApiError> { BODY }
//! ```
//!
//! Output (`P` is `::resilience::__private`; `tests/expand/*.expanded.rs` has the
//! real thing):
//!
//! ```text
//! async fn gpt4(prompt: &str) -> Result<String, ApiError> {
//!     let mut __resilience = P::pipeline::<Result<String, ApiError>>()
//!         .fallback(&["gpt35"], |_| true)
//!         .retry({ static POLICY: P::RetryPolicy = ...; &POLICY }, |_| true, None);
//!     let mut __flow = __resilience.enter();
//!     loop {
//!         let __call = match { __flow } {
//!             P::Flow::Call(__call) => __call,
//!             P::Flow::Done(__result) => break __result,
//!             P::Flow::Wait => {
//!                 __flow = __resilience.wait().await;
//!                 continue;
//!             }
//!         };
//!         let __outcome = match __call {
//!             0 => __resilience.guard(async {
//!                 if let Some(__ret) = None::<Result<String, ApiError>> { return __ret; }
//!                 BODY
//!             }).await,
//!             _ => __resilience.guard(gpt35(prompt)).await,
//!         };
//!         __flow = __resilience.leave(__outcome);
//!     }
//! }
//! ```
//!
//! The body is awaited inline, not passed as a closure: see the runtime's `pipeline`
//! module docs for why. It uses the runtime's synchronous protocol (`enter`, `leave`,
//! and `wait` only for a retry's sleep), so no awaited future carries the result. A
//! stack without `#[retry]` or `#[fallback]` calls its body at most once, so it gets
//! straight-line code (`enter`, one call, `finish`) and its body may consume its
//! arguments. A blocking function keeps `start_blocking`/`next_blocking`; its body
//! runs as `(|| -> R { BODY })()`, so that its `return` and `?` end one call, not the
//! function.
//!
//! Generated locals are `Span::mixed_site()` (invisible to the body); runtime paths are
//! absolute; no lint is allowed anywhere: `tests/hygiene.rs` compiles all of it under
//! `deny(unused_qualifications, clippy::pedantic)`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{FnArg, Ident, Pat, Path, ReturnType, Type};

use crate::args::{Filter, LayerArgs, Specific};
use crate::errors::Errors;
use crate::item::{Function, Item};
use crate::stack::{self, Kind, Layer};

/// The entry point shared by the four attributes.
pub(crate) fn attribute(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    if is_expanded_marker(&args) {
        return item;
    }
    let Item { mut attrs, rest } = match syn::parse2(item.clone()) {
        Ok(item) => item,
        // Malformed attributes: rustc reports them itself.
        Err(_) => return item,
    };
    let mut errors = Errors::default();
    let stack = stack::gather(kind, args, &mut attrs, &mut errors);
    let mut function = match Function::parse(kind, attrs, rest.clone()) {
        Ok(function) => function,
        Err((attrs, error)) => {
            // Not a function with a body: emit the item as written (minus our
            // attributes) so the rest of the crate still sees it.
            errors.push(error);
            let errors = errors.into_compile_errors();
            return quote!(#(#attrs)* #rest #errors);
        }
    };
    check_signature(&function, &stack, &mut errors);
    if !errors.is_empty() {
        // Emit the function as written, minus our attributes, so its callers still
        // resolve and the user sees only the real mistakes.
        let Function {
            attrs,
            vis,
            sig,
            body,
        } = function;
        let errors = errors.into_compile_errors();
        return quote!(#(#attrs)* #vis #sig #body #errors);
    }
    // The body moves into a block or closure, where inner attributes are not allowed:
    // they become outer attributes of the function, where they mean the same.
    let (lifted, body) = lift_inner_attributes(&function.body);
    function.body = body;
    // The new body keeps the span of the user's braces: the function item stays the
    // user's own to rustc and clippy, whose item-level lints keep applying to it.
    let braces = function
        .body
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span());
    let mut body =
        proc_macro2::Group::new(proc_macro2::Delimiter::Brace, pipeline(&function, &stack));
    body.set_span(braces);
    let Function {
        attrs, vis, sig, ..
    } = function;
    quote!(#(#attrs)* #(#lifted)* #vis #sig #body)
}

/// Splits `{ #![attr] ... rest }` into `#[attr]`s and `{ rest }` (tokio-macros does
/// the same).
fn lift_inner_attributes(body: &TokenStream) -> (Vec<TokenStream>, TokenStream) {
    use proc_macro2::TokenTree;
    let Some(TokenTree::Group(group)) = body.clone().into_iter().next() else {
        return (Vec::new(), body.clone());
    };
    let tokens: Vec<TokenTree> = group.stream().into_iter().collect();
    let mut lifted = Vec::new();
    let mut at = 0;
    while let [
        TokenTree::Punct(pound),
        TokenTree::Punct(bang),
        TokenTree::Group(attr),
        ..,
    ] = &tokens[at..]
    {
        if pound.as_char() != '#'
            || bang.as_char() != '!'
            || attr.delimiter() != proc_macro2::Delimiter::Bracket
        {
            break;
        }
        lifted.push(quote!(#pound #attr));
        at += 3;
    }
    let mut rest =
        proc_macro2::Group::new(group.delimiter(), tokens[at..].iter().cloned().collect());
    rest.set_span(group.span());
    (lifted, TokenTree::Group(rest).into())
}

/// `__resilience_expanded`: an attribute that the first one of its stack expanded.
fn is_expanded_marker(args: &TokenStream) -> bool {
    let mut tokens = args.clone().into_iter();
    matches!(
        (tokens.next(), tokens.next()),
        (Some(proc_macro2::TokenTree::Ident(ident)), None) if ident == stack::EXPANDED
    )
}

/// What the attributes need of the function itself.
fn check_signature(function: &Function, stack: &[Layer], errors: &mut Errors) {
    let sig = &function.sig;
    let names = stack
        .iter()
        .map(|l| format!("`#[{}]`", l.kind.name()))
        .collect::<Vec<_>>()
        .join(", ");
    match &sig.output {
        ReturnType::Default => errors.at(
            sig.paren_token.span.close(),
            format!("{names} needs a function that returns `Result<T, E>`; this one returns `()`: add `-> Result<(), YourError>`"),
        ),
        ReturnType::Type(_, ty) => {
            if let Some(what) = surely_not_result(ty) {
                errors.spanned(
                    ty,
                    format!("{names} needs a function that returns `Result<T, E>`, not {what}"),
                );
            }
        }
    }
    if let Some(constness) = &sig.constness {
        errors.spanned(
            constness,
            format!("{names} cannot go on a `const fn`: retries, breakers and deadlines happen at run time; remove `const`"),
        );
    }
    if sig.asyncness.is_none() {
        if let Some(layer) = stack.iter().find(|l| l.kind == Kind::Timeout) {
            let _ = layer;
            errors.spanned(
                sig.fn_token,
                "`#[timeout]` needs an `async fn`: a blocking call cannot be interrupted; make the function `async` or drop `#[timeout]`",
            );
        }
    }
    if stack.iter().any(|l| l.kind == Kind::Fallback) {
        for input in &sig.inputs {
            if let FnArg::Typed(typed) = input {
                if !matches!(&*typed.pat, Pat::Ident(_)) {
                    errors.spanned(
                        &typed.pat,
                        "`#[fallback]` passes the arguments on to its agents by name; bind this parameter to a name (`arg: Type`) and destructure it in the body",
                    );
                }
            }
        }
    }
}

/// A return type that cannot be a `Result` whatever is in scope, described for a
/// message. Type aliases and other paths are left to the `IsResult` bound.
fn surely_not_result(ty: &Type) -> Option<String> {
    let what = match ty {
        Type::Paren(inner) => return surely_not_result(&inner.elem),
        Type::Group(inner) => return surely_not_result(&inner.elem),
        Type::Tuple(tuple) if tuple.elems.is_empty() => "`()`".to_owned(),
        Type::Tuple(_) => "a tuple".to_owned(),
        Type::Reference(_) | Type::Ptr(_) => "a reference".to_owned(),
        Type::Array(_) | Type::Slice(_) => "an array".to_owned(),
        Type::Never(_) => "`!`".to_owned(),
        Type::BareFn(_) => "a function pointer".to_owned(),
        Type::TraitObject(_) => "a trait object".to_owned(),
        Type::Path(_) if is_primitive(ty) => format!("`{}`", quote!(#ty)),
        Type::ImplTrait(_) => {
            return Some(
                "`impl Trait`; write an `async fn` that returns `Result<T, E>`".to_owned(),
            );
        }
        // `#[async_trait]` on the impl expands first and hands us its rewrite.
        Type::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == "Pin") => {
            return Some("a pinned future; under `#[async_trait]`, put the attribute on an inherent `async fn` and call that from the trait method, or use `async fn` in the trait without `#[async_trait]`".to_owned());
        }
        _ => return None,
    };
    Some(format!("{what}; return `Result<_, YourError>`"))
}

/// The statements that replace the body.
fn pipeline(function: &Function, stack: &[Layer]) -> TokenStream {
    // The user's `crate = path`, made to look generated (same resolution, located where
    // it was written) so lints such as `unused_qualifications` leave it alone.
    let krate = stack
        .iter()
        .find_map(|l| l.args.crate_path().map(|path| generated(quote!(#path))))
        .unwrap_or_else(|| quote!(::resilience));
    let private = quote!(#krate::__private);
    let sig = &function.sig;
    let body = &function.body;
    let is_async = sig.asyncness.is_some();

    let mut ret = match &sig.output {
        ReturnType::Type(_, ty) => (**ty).clone(),
        ReturnType::Default => syn::parse_quote!(()),
    };
    EraseImplTrait.visit_type_mut(&mut ret);
    let layers = stack.iter().map(|layer| layer_call(layer, sig, &private));

    // Mixed-site names: the user's body cannot see them, nor they the body's names.
    let pipeline = hidden("__resilience");

    // Spanned on the return type: a function that does not return a `Result` is
    // refused there, once, by the `IsResult` bound of `pipeline`.
    let start = generated_at(quote!(#private::pipeline::<#ret>()), ret.span());
    let build = quote! {
        let mut #pipeline = #start #(#layers)*;
    };
    let call = |call: TokenStream| {
        if is_async {
            quote!(#pipeline.guard(#call).await)
        } else {
            call
        }
    };
    let primary = if is_async {
        // A branch that never runs (async-trait's) returns a value of the declared
        // type: it fixes the block's output, so a body of the wrong type is reported
        // inside the body, and `?` knows what to convert into.
        let ret = generated(quote!(#ret));
        let never = hidden("__ret");
        let statements = match body.clone().into_iter().next() {
            Some(proc_macro2::TokenTree::Group(group)) => group.stream(),
            _ => body.clone(),
        };
        call(quote!(async {
            if let ::core::option::Option::Some(#never) = ::core::option::Option::None::<#ret> {
                return #never;
            }
            #statements
        }))
    } else {
        // A closure, so that `return` and `?` in the body end this call only; its
        // return type written out, so that `?` knows what to convert into.
        let ret = generated(quote!(#ret));
        quote!((|| -> #ret #body)())
    };

    let agents: &[Path] = stack
        .iter()
        .find_map(|l| match &l.args.specific {
            Specific::Fallback(f) => f.agents.get().map(Vec::as_slice),
            _ => None,
        })
        .unwrap_or(&[]);
    let repeats = stack
        .iter()
        .any(|l| matches!(l.kind, Kind::Retry | Kind::Fallback));

    let calls: Vec<TokenStream> = std::iter::once(primary)
        .chain(agents.iter().map(|agent| call(agent_call(agent, sig))))
        .collect();
    if is_async {
        synchronous(&build, &private, calls, repeats)
    } else {
        blocking(&build, &private, calls, repeats)
    }
}

/// A local of the expansion: mixed-site, so the user's body cannot see it and it cannot
/// shadow anything the body names.
fn hidden(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// The pattern of call `index` among `0..=last`: the body is `0`, agent k is `k`, and the
/// last one is `_` so the `match` needs no unreachable arm.
fn call_pattern(index: usize, last: usize) -> TokenStream {
    if index == last {
        quote!(_)
    } else {
        let index = proc_macro2::Literal::usize_unsuffixed(index);
        quote!(#index)
    }
}

/// An `async fn`'s driver: the synchronous protocol (`enter`, `leave`, and `wait` only
/// when a retry sleeps), so that nothing awaited carries the result.
fn synchronous(
    build: &TokenStream,
    private: &TokenStream,
    calls: Vec<TokenStream>,
    repeats: bool,
) -> TokenStream {
    let pipeline = hidden("__resilience");
    let flow = hidden("__flow");
    let which = hidden("__call");
    let outcome = hidden("__outcome");
    let result = hidden("__result");

    if !repeats {
        // At most one call: straight-line code, so the body may consume its arguments.
        let primary = &calls[0];
        return quote! {
            #build
            if let #private::Flow::Done(#result) = #pipeline.enter() {
                return #result;
            }
            let #outcome = #primary;
            #pipeline.finish(#outcome)
        };
    }

    // `{ __flow }` moves the flow out, so it is not kept across the awaits below.
    let (call, outcome_expr) = if let [primary] = calls.as_slice() {
        (quote!(#private::Flow::Call(_) => {}), quote!(#primary))
    } else {
        let last = calls.len() - 1;
        let arms = calls.iter().enumerate().map(|(index, call)| {
            let pattern = call_pattern(index, last);
            quote!(#pattern => #call,)
        });
        (
            quote!(#private::Flow::Call(#which) => #which,),
            quote!(match #which { #(#arms)* }),
        )
    };
    let (bind, semi) = if calls.len() == 1 {
        (quote!(), quote!())
    } else {
        (quote!(let #which =), quote!(;))
    };
    quote! {
        #build
        let mut #flow = #pipeline.enter();
        loop {
            #bind match { #flow } {
                #call
                #private::Flow::Done(#result) => break #result,
                #private::Flow::Wait => {
                    #flow = #pipeline.wait().await;
                    continue;
                }
            }#semi
            let #outcome = #outcome_expr;
            #flow = #pipeline.leave(#outcome);
        }
    }
}

/// A blocking function's driver: the pipeline sleeps in `start_blocking` and
/// `next_blocking` (the synchronous protocol has no blocking form).
fn blocking(
    build: &TokenStream,
    private: &TokenStream,
    calls: Vec<TokenStream>,
    repeats: bool,
) -> TokenStream {
    let pipeline = hidden("__resilience");
    let step = hidden("__step");
    let outcome = hidden("__outcome");
    let result = hidden("__result");

    if !repeats {
        // At most one call: straight-line code, so the body may consume its arguments.
        let primary = &calls[0];
        return quote! {
            #build
            match #pipeline.start_blocking() {
                #private::Step::Call(_) => {
                    let #outcome = #primary;
                    #pipeline.finish(#private::Outcome::from(#outcome))
                }
                #private::Step::Done(#result) => #result,
            }
        };
    }

    let last = calls.len() - 1;
    let arms = calls.iter().enumerate().map(|(index, call)| {
        let pattern = call_pattern(index, last);
        quote!(#private::Step::Call(#pattern) => #call,)
    });
    quote! {
        #build
        let mut #step = #pipeline.start_blocking();
        loop {
            let #outcome = match #step {
                #(#arms)*
                #private::Step::Done(#result) => break #result,
            };
            #step = #pipeline.next_blocking(#outcome);
        }
    }
}

/// `.retry(..)`, `.circuit(..)`, `.timeout(..)` or `.fallback(..)`, spanned on the
/// attribute so a missing `From<CircuitOpen>` is reported there.
fn layer_call(layer: &Layer, sig: &syn::Signature, private: &TokenStream) -> TokenStream {
    let method = Ident::new(layer.kind.name(), layer.span);
    let args = match &layer.args.specific {
        Specific::Retry(retry) => {
            let mut backoff = Vec::new();
            if let Some(base) = retry.base.get() {
                let d = base.to_tokens();
                backoff.push(quote!(.base(#d)));
            }
            if let Some(factor) = retry.factor.get() {
                backoff.push(quote!(.factor(#factor)));
            }
            if let Some(max) = retry.max.get() {
                let d = max.to_tokens();
                backoff.push(quote!(.max(#d)));
            }
            if let Some(jitter) = retry.jitter.get() {
                let variant = match jitter.value().as_str() {
                    "none" => "None",
                    "equal" => "Equal",
                    "decorrelated" => "Decorrelated",
                    _ => "Full",
                };
                let variant = Ident::new(variant, jitter.span());
                backoff.push(quote!(.jitter(#private::Jitter::#variant)));
            }
            let mut policy = Vec::new();
            if let Some(attempts) = retry.attempts.get() {
                let attempts = proc_macro2::Literal::u32_unsuffixed(*attempts);
                policy.push(quote!(.attempts(#attempts)));
            }
            if retry.backoff.get().is_some() || !backoff.is_empty() {
                let shape = match retry.backoff.get().map(syn::LitStr::value).as_deref() {
                    Some("fixed") => quote!(fixed),
                    Some("linear") => quote!(linear),
                    _ => quote!(exponential),
                };
                policy.push(quote! {
                    .backoff(#private::ConfigError::unwrap_const(
                        #private::Backoff::#shape() #(#backoff)* .build()
                    ))
                });
            }
            if let Some(seed) = retry.seed.get() {
                policy.push(quote!(.seed(#seed)));
            }
            if let Some(max_elapsed) = retry.max_elapsed.get() {
                let d = max_elapsed.to_tokens();
                policy.push(quote!(.max_elapsed(#d)));
            }
            let filter = filter(&layer.args);
            let retry_after = match retry.retry_after.get() {
                Some(read) => quote!(::core::option::Option::Some(#read)),
                None => quote!(::core::option::Option::None),
            };
            let policy_name = hidden("POLICY");
            quote! {
                {
                    static #policy_name: #private::RetryPolicy = #private::ConfigError::unwrap_const(
                        #private::RetryPolicy::builder() #(#policy)* .build()
                    );
                    &#policy_name
                },
                #filter,
                #retry_after
            }
        }
        Specific::Circuit(circuit) => {
            let breaker = match circuit.breaker.get() {
                Some(expr) => quote!(#expr),
                None => {
                    let name = match circuit.name.get() {
                        Some(name) => quote!(#name),
                        None => {
                            let ident = sig.ident.to_string();
                            quote!(::core::concat!(::core::module_path!(), "::", #ident))
                        }
                    };
                    let mut config = vec![quote!(.name(#name))];
                    if let Some(n) = circuit.threshold.get() {
                        let n = proc_macro2::Literal::u32_unsuffixed(*n);
                        config.push(quote!(.threshold(#n)));
                    }
                    if let Some(d) = circuit.recovery.get() {
                        let d = d.to_tokens();
                        config.push(quote!(.recovery(#d)));
                    }
                    if let Some(n) = circuit.success_threshold.get() {
                        let n = proc_macro2::Literal::u32_unsuffixed(*n);
                        config.push(quote!(.success_threshold(#n)));
                    }
                    if let Some(n) = circuit.probes.get() {
                        let n = proc_macro2::Literal::u32_unsuffixed(*n);
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
            let filter = filter(&layer.args);
            quote!(#breaker, #filter)
        }
        Specific::Timeout(timeout) => {
            let after = timeout
                .after
                .get()
                .map(crate::duration::DurationArg::to_tokens)
                .unwrap_or_default();
            quote!(#after)
        }
        Specific::Fallback(fallback) => {
            let names = fallback
                .agents
                .get()
                .map(Vec::as_slice)
                .unwrap_or(&[])
                .iter()
                .map(path_name);
            let filter = filter(&layer.args);
            quote!(&[#(#names),*], #filter)
        }
    };
    quote_spanned!(layer.span=> .#method(#args))
}

/// The `fn(&E) -> bool` that picks the errors a layer acts on.
fn filter(args: &LayerArgs) -> TokenStream {
    let error = hidden("__error");
    match args.common.filter.get() {
        Some(Filter::On(pat)) => quote!(|#error| ::core::matches!(#error, #pat)),
        Some(Filter::When(expr)) => quote!(#expr),
        None => quote!(|_| true),
    }
}

/// `gpt35` for `gpt35`, `Self::local` for `Self :: local`.
fn path_name(path: &Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// A call of a fallback agent with the function's own arguments: references passed on
/// (reborrowed when `&mut`), owned values cloned (an agent runs after the body already
/// used them).
fn agent_call(agent: &Path, sig: &syn::Signature) -> TokenStream {
    let takes_self = agent
        .segments
        .first()
        .is_some_and(|s| s.ident == "Self" && agent.segments.len() > 1);
    let args = sig.inputs.iter().filter_map(|input| match input {
        FnArg::Receiver(receiver) => {
            if !takes_self {
                return None;
            }
            Some(forward(
                &format_ident!("self"),
                &receiver.ty,
                receiver.span(),
            ))
        }
        FnArg::Typed(typed) => match &*typed.pat {
            Pat::Ident(binding) => Some(forward(&binding.ident, &typed.ty, typed.ty.span())),
            // Refused in `check_signature`.
            _ => None,
        },
    });
    quote!(#agent(#(#args),*))
}

fn forward(name: &Ident, ty: &Type, span: Span) -> TokenStream {
    match ty {
        Type::Reference(reference) if reference.mutability.is_some() => quote!(&mut *#name),
        Type::Reference(_) => quote!(#name),
        _ if is_primitive(ty) => quote!(#name),
        // Located at the parameter's type, so a missing `Clone` is reported there.
        _ => {
            quote_spanned!(Span::call_site().located_at(span)=> ::core::clone::Clone::clone(&#name))
        }
    }
}

/// `u32`, `bool`, `f64`...: `Copy` whatever is in scope (barring a perverse shadowing),
/// so passed on by name rather than through `Clone::clone`.
fn is_primitive(ty: &Type) -> bool {
    let Type::Path(path) = ty else {
        return false;
    };
    path.qself.is_none()
        && path.path.get_ident().is_some_and(|ident| {
            matches!(
                ident.to_string().as_str(),
                "bool"
                    | "char"
                    | "u8"
                    | "u16"
                    | "u32"
                    | "u64"
                    | "u128"
                    | "usize"
                    | "i8"
                    | "i16"
                    | "i32"
                    | "i64"
                    | "i128"
                    | "isize"
                    | "f32"
                    | "f64"
            )
        })
}

/// `impl Trait` cannot be named inside the body: let inference fill it in.
struct EraseImplTrait;

impl VisitMut for EraseImplTrait {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::ImplTrait(impl_trait) = ty {
            *ty = Type::Infer(syn::TypeInfer {
                underscore_token: syn::Token![_](impl_trait.span()),
            });
        } else {
            syn::visit_mut::visit_type_mut(self, ty);
        }
    }
}

/// `tokens` as if the macro wrote them: hygiene of the call site, so they resolve as
/// the user's would, but marked as coming from this expansion (lints skip them), each
/// token still located where the user wrote it.
fn generated(tokens: TokenStream) -> TokenStream {
    respan(tokens, &|span| Span::call_site().located_at(span))
}

/// [`generated`], every token located at `at`: an error about them points there.
fn generated_at(tokens: TokenStream, at: Span) -> TokenStream {
    respan(tokens, &|_| Span::call_site().located_at(at))
}

fn respan(tokens: TokenStream, span_of: &dyn Fn(Span) -> Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(group) = &token {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span_of));
                inner.set_span(span_of(group.span()));
                token = proc_macro2::TokenTree::Group(inner);
            } else {
                token.set_span(span_of(token.span()));
            }
            token
        })
        .collect()
}
