//! The body that replaces a function's: its pipeline, built from each attribute's
//! layer, and the loop that drives it.
//!
//! The body is awaited inline, not passed as a closure: see the runtime's `pipeline`
//! module docs for why. An `async fn` uses the runtime's protocol (`enter`, `guard`,
//! `leave`, and `wait` only when a layer waits), so no awaited future carries the
//! result. A stack whose layers never call below them twice gets straight-line code
//! (`enter`, one call, `finish`), so its body may consume its arguments. A blocking
//! function drives the same protocol with `wait_blocking`; its body runs as
//! `(|| -> R { BODY })()`, so that its `return` and `?` end one call, not the function.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{FnArg, Ident, Pat, Path, ReturnType, Type};

use crate::attribute::{Emit, Parsed};
use crate::expand::{function_name, generated, generated_at, hidden, is_primitive, located_at};
use crate::item::Function;

/// The statements that replace the body.
pub(crate) fn body(function: &Function, stack: &[Parsed]) -> TokenStream {
    // The user's `crate = path`, made to look generated (same resolution, located where
    // it was written) so lints such as `unused_qualifications` leave it alone.
    let krate = stack
        .iter()
        .find_map(|layer| layer.krate.as_ref().map(|path| generated(quote!(#path))))
        .unwrap_or_else(|| quote!(::resilience));
    let private = quote!(#krate::__private);
    let sig = &function.sig;
    let is_async = sig.asyncness.is_some();

    let mut ret = match &sig.output {
        ReturnType::Type(_, ty) => (**ty).clone(),
        ReturnType::Default => syn::parse_quote!(()),
    };
    EraseImplTrait.visit_type_mut(&mut ret);
    let runs = hidden("__runs");

    // Each attribute's first agent: agents are numbered from 1 in stack order.
    let mut first_agents = Vec::with_capacity(stack.len());
    let mut next = 1;
    for layer in stack {
        first_agents.push(next);
        next += layer.attribute.agents().len();
    }
    // Each attribute's retry budget, bound once per call; the first is the function's.
    let budgets: Vec<Option<(TokenStream, TokenStream)>> = stack
        .iter()
        .enumerate()
        .map(|(i, layer)| {
            let bare = Emit {
                private: &private,
                sig,
                span: layer.span,
                runs: &runs,
                budget: None,
                own_budget: None,
                first_agent: first_agents[i],
            };
            let expr = layer.attribute.budget(&bare)?;
            let local = hidden(&format!("__budget{i}"));
            Some((quote!(#local), expr))
        })
        .collect();
    let bind_budgets: Vec<TokenStream> = budgets
        .iter()
        .flatten()
        .map(|(local, expr)| quote!(let #local: &#private::RetryBudget = #expr;))
        .collect();
    let function_budget = budgets.iter().flatten().map(|(local, _)| local).next();
    let emit = |i: usize| Emit {
        private: &private,
        sig,
        span: stack[i].span,
        runs: &runs,
        budget: function_budget,
        own_budget: budgets[i].as_ref().map(|(local, _)| local),
        first_agent: first_agents[i],
    };
    let layer = |i: usize| stack[i].attribute.layer(&emit(i));
    // Each call (the body, then every agent) as the attributes that change what a call
    // is make it (`#[stream]`: answered at its first item), before any layer guards it.
    let count = 1 + stack
        .iter()
        .map(|layer| layer.attribute.agents().len())
        .sum::<usize>();
    let adapt = |call: TokenStream, index: usize| {
        (0..stack.len()).rev().fold(call, |call, i| {
            stack[i]
                .attribute
                .adapt_call(&emit(i), &call, index, count)
                .unwrap_or(call)
        })
    };
    // What runs at the start of every run of the body (a name it reads): only then does
    // the expansion count the runs.
    let preludes: Vec<TokenStream> = (0..stack.len())
        .filter_map(|i| stack[i].attribute.prelude(&emit(i)))
        .collect();

    let pipeline = hidden("__resilience");
    // Spanned on the return type: a function that does not return a `Result` is
    // refused there, once, by the `IsResult` bound of `pipeline`.
    let start = generated_at(quote!(#private::pipeline::<#ret>()), ret.span());
    let name = function_name(sig);
    // The body's answer as the declared return type; spanned on it, like `pipeline`.
    let answer = generated_at(quote!(#private::answer::<#ret>), ret.span());
    let protocol = |layers: &[Parsed]| Protocol {
        private: &private,
        answer: &answer,
        is_async,
        repeats: layers.iter().any(|layer| layer.attribute.repeats()),
        waits: layers.iter().any(|layer| layer.attribute.waits()),
    };
    // An agent, checked to be the kind of call the function makes: a wrong agent is one
    // error, and the pipeline still sees a call of the right type.
    let checked_agent = |agent: &Path| {
        let call = call_with_arguments(agent, sig, Pass::Same);
        if is_async {
            quote!(#private::agent::<#ret, _>(#call))
        } else {
            quote!(#private::agent_blocking::<#ret, _>(#call))
        }
    };

    let Some(fork) = stack.iter().position(|layer| layer.attribute.forks()) else {
        let layers = (0..stack.len()).map(layer);
        let counter = if preludes.is_empty() {
            quote!()
        } else {
            quote!(let mut #runs: u32 = 0;)
        };
        let build = quote! {
            let mut #pipeline = #start
                .name(#name)
                #(#layers)*
                .build();
            #counter
        };
        let protocol = protocol(stack);
        let primary = primary_call(function, &ret, &protocol, &preludes, &runs, &adapt);
        let agents = stack
            .iter()
            .flat_map(|layer| layer.attribute.agents())
            .enumerate()
            .map(|(k, agent)| {
                // All of the arm located at the agent: what is wrong with it is said
                // there, once (rustc folds identical errors at one place).
                located_at(
                    protocol.call(adapt(checked_agent(agent), k + 1)),
                    agent.span(),
                )
            });
        let calls: Vec<TokenStream> = std::iter::once(primary).chain(agents).collect();
        let drive = protocol.drive(calls);
        return quote!(#(#bind_budgets)* #build #drive);
    };

    // A fork (a hedge): the calls as one factory, the layers below it as a part built
    // for each copy, the layers above it as the pipeline that sees the fork as one call.
    let calls = hidden("__calls");
    let part = hidden("__part");
    let forked = hidden("__fork");
    // Copies run the body at once: the runs are counted in an atomic, each run reading
    // its own number from it.
    let all_runs = hidden("__all_runs");
    let (counter, count_run) = if preludes.is_empty() {
        (quote!(), quote!())
    } else {
        (
            quote!(let #all_runs = ::core::sync::atomic::AtomicU32::new(0);),
            quote! {
                let #runs: u32 = #all_runs
                    .fetch_add(1, ::core::sync::atomic::Ordering::Relaxed)
                    .wrapping_add(1);
            },
        )
    };
    let body = adapt(
        body_call(function, &ret, &private, &preludes, &count_run, is_async),
        0,
    );
    let agents = stack
        .iter()
        .flat_map(|layer| layer.attribute.agents())
        .enumerate()
        .map(|(k, agent)| located_at(adapt(checked_agent(agent), k + 1), agent.span()));
    let factory = factory(&private, std::iter::once(body).chain(agents).collect());
    let inner = (fork + 1..stack.len()).map(layer);
    // The agents of the fork and of the layers above it are numbered before the part's.
    let above = proc_macro2::Literal::usize_unsuffixed(
        first_agents[fork] - 1 + stack[fork].attribute.agents().len(),
    );
    let fork_value = layer(fork);
    let outer = (0..fork).map(layer);
    let protocol = protocol(&stack[..fork]);
    let pass = pass(&private, &part, &calls, &forked);
    let primary = protocol.call(quote!(#forked.race(#pass)));
    let outer_agents = (1..first_agents[fork]).map(|k| {
        let k = proc_macro2::Literal::usize_unsuffixed(k);
        protocol.call(quote!(#calls(#k)))
    });
    let drive = protocol.drive(std::iter::once(primary).chain(outer_agents).collect());
    quote! {
        #(#bind_budgets)*
        #counter
        let #calls = #factory;
        let #part = || #start
            .name(#name)
            .skip_agents(#above)
            #(#inner)*
            .build_part();
        let #forked = #fork_value;
        let mut #pipeline = #start
            .name(#name)
            #(#outer)*
            .build();
        #drive
    }
}

/// The closure that makes copy `k` of a forked call: a pass of its own through a fresh
/// part (the layers below the fork), its calls made by the factory.
///
/// The loop is written out here, in the user's function, rather than run by a generic
/// `async fn` of the runtime: the future of a generic `async fn` that holds a layer's
/// guard is not provably `Send` when the layer borrows (a breaker, a policy), because
/// the guard's lifetime bound is checked for every lifetime (rust-lang/rust#110338);
/// with the layers' types written out, it is.
fn pass(private: &TokenStream, part: &Ident, calls: &Ident, fork: &Ident) -> TokenStream {
    let copy = hidden("__copy");
    let pass = hidden("__pass");
    let flow = hidden("__flow");
    let which = hidden("__call");
    let outcome = hidden("__outcome");
    let result = hidden("__result");
    quote! {{
        let (#part, #calls, #fork) = (&#part, &#calls, &#fork);
        move |#copy: usize| async move {
            let mut #pass = #part();
            let mut #flow = #pass.enter();
            loop {
                let #which = match { #flow } {
                    #private::Flow::Call(#which) => #which,
                    #private::Flow::Done(#result) => break #result,
                    #private::Flow::Wait => {
                        #flow = #pass.wait().await;
                        continue;
                    }
                };
                let #outcome = #pass.guard(#calls(#fork.call(#copy, #which))).await;
                #flow = #pass.leave(#outcome);
            }
        }
    }}
}

/// Every call of the function (the body, then the agents) as one closure `|n| call n`,
/// so that several can run at once: one future type, the calls nested in `Either`s.
fn factory(private: &TokenStream, calls: Vec<TokenStream>) -> TokenStream {
    let which = hidden("__call");
    let last = calls.len() - 1;
    let arms = calls.into_iter().enumerate().map(|(index, call)| {
        let pattern = call_pattern(index, last);
        // Call `index` is `Right` `index` times, then `Left` unless it is the last.
        let mut nested = if index == last {
            call
        } else {
            quote!(#private::Either::Left { guard: #call })
        };
        for _ in 0..index {
            nested = quote!(#private::Either::Right { guard: #nested });
        }
        quote!(#pattern => #nested,)
    });
    // Through `calls`, whose `Fn` bound makes the closure `Fn` from the start: a body
    // that moves an argument out is then told so at that argument.
    quote!(#private::calls(|#which: usize| match #which { #(#arms)* }))
}

/// How the driver of one stack looks.
struct Protocol<'a> {
    private: &'a TokenStream,
    /// `answer::<R>`: the pipeline's `Result` as the declared return type.
    answer: &'a TokenStream,
    is_async: bool,
    /// Some layer calls below it more than once: a loop.
    repeats: bool,
    /// Some layer may wait before the call.
    waits: bool,
}

impl Protocol<'_> {
    /// A call, as its outcome.
    fn call(&self, call: TokenStream) -> TokenStream {
        let pipeline = hidden("__resilience");
        if self.is_async {
            quote!(#pipeline.guard(#call).await)
        } else {
            let private = self.private;
            quote!(#private::Outcome::from(#call))
        }
    }

    /// `.wait().await` or `.wait_blocking()`.
    fn wait(&self) -> TokenStream {
        let pipeline = hidden("__resilience");
        if self.is_async {
            quote!(#pipeline.wait().await)
        } else {
            quote!(#pipeline.wait_blocking())
        }
    }

    fn drive(&self, calls: Vec<TokenStream>) -> TokenStream {
        let private = self.private;
        let pipeline = hidden("__resilience");
        let flow = hidden("__flow");
        let which = hidden("__call");
        let outcome = hidden("__outcome");
        let result = hidden("__result");
        let wait = self.wait();
        let answer = self.answer;

        if !self.repeats {
            // At most one call: straight-line code, so the body may consume its arguments.
            let primary = &calls[0];
            let enter = if self.waits {
                quote! {
                    let mut #flow = #pipeline.enter();
                    while let #private::Flow::Wait = #flow {
                        #flow = #wait;
                    }
                    if let #private::Flow::Done(#result) = #flow {
                        return #answer(#result);
                    }
                }
            } else {
                quote! {
                    if let #private::Flow::Done(#result) = #pipeline.enter() {
                        return #answer(#result);
                    }
                }
            };
            return quote! {
                #enter
                let #outcome = #primary;
                #answer(#pipeline.finish(#outcome))
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
            let mut #flow = #pipeline.enter();
            loop {
                #bind match { #flow } {
                    #call
                    #private::Flow::Done(#result) => break #answer(#result),
                    #private::Flow::Wait => {
                        #flow = #wait;
                        continue;
                    }
                }#semi
                let #outcome = #outcome_expr;
                #flow = #pipeline.leave(#outcome);
            }
        }
    }
}

/// The body, as one call, with the statements attributes run at its start.
fn primary_call(
    function: &Function,
    ret: &Type,
    protocol: &Protocol<'_>,
    preludes: &[TokenStream],
    runs: &Ident,
    adapt: &dyn Fn(TokenStream, usize) -> TokenStream,
) -> TokenStream {
    let statements = match function.body.clone().into_iter().next() {
        Some(proc_macro2::TokenTree::Group(group)) => group.stream(),
        _ => function.body.clone(),
    };
    let count = if preludes.is_empty() {
        quote!()
    } else {
        quote!(#runs += 1;)
    };
    let private = protocol.private;
    // Located at the return type, where `pipeline::<R>()` reports a type that is not a
    // `Result`: the same error, once.
    let ret = generated_at(quote!(#private::ResultOf<#ret>), ret.span());
    let call = if protocol.is_async {
        // A branch that never runs (async-trait's) returns a value of the declared
        // type: it fixes the block's output, so a body of the wrong type is reported
        // inside the body, and `?` knows what to convert into.
        let never = hidden("__ret");
        protocol.call(adapt(
            quote!(async {
                if let ::core::option::Option::Some(#never) = ::core::option::Option::None::<#ret> {
                    return #never;
                }
                #(#preludes)*
                #statements
            }),
            0,
        ))
    } else {
        // A closure, so that `return` and `?` in the body end this call only; its
        // return type written out, so that `?` knows what to convert into.
        protocol.call(adapt(
            quote!((|| -> #ret { #(#preludes)* #statements })()),
            0,
        ))
    };
    if preludes.is_empty() {
        call
    } else {
        quote!({ #count #call })
    }
}

/// The body as a future of its own (not yet guarded), for the calls factory of a fork:
/// each run counts itself (`count`) and runs the preludes first.
fn body_call(
    function: &Function,
    ret: &Type,
    private: &TokenStream,
    preludes: &[TokenStream],
    count: &TokenStream,
    is_async: bool,
) -> TokenStream {
    debug_assert!(is_async, "a fork is refused on a blocking function");
    let statements = match function.body.clone().into_iter().next() {
        Some(proc_macro2::TokenTree::Group(group)) => group.stream(),
        _ => function.body.clone(),
    };
    let ret = generated_at(quote!(#private::ResultOf<#ret>), ret.span());
    let never = hidden("__ret");
    quote!(async {
        if let ::core::option::Option::Some(#never) = ::core::option::Option::None::<#ret> {
            return #never;
        }
        #count
        #(#preludes)*
        #statements
    })
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

/// How a call that the expansion makes receives the function's arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pass {
    /// As the function received them, for a function with the same parameters (a
    /// fallback agent, which runs after the body used them): references passed on
    /// (`&mut` reborrowed), owned values cloned.
    Same,
    /// By shared reference, for a function that only reads them (a cost estimate made
    /// before the body runs): a `&T` as it is, a `&mut T` as `&*x`, anything else as
    /// `&x`.
    Shared,
}

/// `path(arguments)`: `path` called with the function's arguments, passed as `pass`
/// says. `self` is passed only when `path` is `Self::something`.
pub(crate) fn call_with_arguments(path: &Path, sig: &syn::Signature, pass: Pass) -> TokenStream {
    let takes_self = path
        .segments
        .first()
        .is_some_and(|s| s.ident == "Self" && path.segments.len() > 1);
    let args = sig.inputs.iter().filter_map(|input| match input {
        FnArg::Receiver(receiver) => {
            if !takes_self {
                return None;
            }
            Some(forward(
                &format_ident!("self"),
                &receiver.ty,
                receiver.span(),
                pass,
            ))
        }
        FnArg::Typed(typed) => match &*typed.pat {
            Pat::Ident(binding) => Some(forward(&binding.ident, &typed.ty, typed.ty.span(), pass)),
            // Refused in the attributes' checks.
            _ => None,
        },
    });
    // Spanned as generated (located at the agent): rustc suggests no edit of the
    // attribute for a wrong argument count.
    generated(quote!(#path(#(#args),*)))
}

fn forward(name: &Ident, ty: &Type, span: Span, pass: Pass) -> TokenStream {
    // The user's binding, as if the macro wrote it: lints on using it (clippy's
    // `used_underscore_binding` for a `_q` the body ignores) do not fire on our use.
    let name = generated(quote!(#name));
    match (ty, pass) {
        (Type::Reference(reference), Pass::Same) if reference.mutability.is_some() => {
            quote!(&mut *#name)
        }
        (Type::Reference(reference), Pass::Shared) if reference.mutability.is_some() => {
            quote!(&*#name)
        }
        (Type::Reference(_), _) => quote!(#name),
        (_, Pass::Shared) => quote!(&#name),
        _ if is_primitive(ty) => quote!(#name),
        // Located at the parameter's type, so a missing `Clone` is reported there.
        _ => {
            quote_spanned!(Span::call_site().located_at(span)=> ::core::clone::Clone::clone(&#name))
        }
    }
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
