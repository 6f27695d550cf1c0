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

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Path, ReturnType, Type};

mod arguments;
mod fork;
mod protocol;

pub(crate) use arguments::{Pass, call_with_arguments};
use fork::{body_call, factory, pass};
use protocol::{Protocol, primary_call};

use crate::attribute::{Emit, Parsed};
use crate::expand::{function_name, generated, generated_at, hidden, located_at};
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
