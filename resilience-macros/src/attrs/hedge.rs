//! `#[hedge(after = DUR, max = N, agents = [..])]`: another copy of the call when it has
//! not answered in time; the first `Ok` wins.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::ParseStream;
use syn::{FnArg, Ident, Pat, Path, Signature, Type};

use super::fallback::agent_name;
use crate::args::{self, Slot};
use crate::attribute::{Attribute, Emit, Keys, Spec};
use crate::duration::DurationArg;
use crate::errors::Errors;
use crate::expand::{function_name, hidden};
use crate::values::{self, Count, Shared};

pub(crate) static SPEC: Spec = Spec {
    name: "hedge",
    keys: &[
        ("after", "2s"),
        ("max", "1"),
        ("agents", "[replica_b]"),
        ("policy", "\"llm\""),
        ("crate", "::resilience"),
    ],
    positional: None,
    parse: args::parse::<Hedge>,
};

/// Why a body that mutates cannot be hedged, for every such error.
const WHY: &str = "`#[hedge]` runs the body again while the first call is still running, and two calls at once cannot both hold";

#[derive(Default)]
pub(crate) struct Hedge {
    after: Slot<DurationArg>,
    max: Slot<Count>,
    agents: Slot<Vec<Path>>,
    /// A policy in the configuration file whose `[name.hedge]` overrides `after` and
    /// `max` (`"llm"`), or an existing `&HedgePolicy` (`&HEDGE`), whole.
    policy: Slot<Shared>,
}

impl Keys for Hedge {
    const SPEC: &'static Spec = &SPEC;

    fn key(&mut self, key: &Ident, input: ParseStream<'_>, errors: &mut Errors) -> bool {
        match key.to_string().as_str() {
            "after" => self.after.parse(key, input, errors, values::duration),
            "max" => self
                .max
                .parse(key, input, errors, |i| values::count(i, key)),
            "agents" => self
                .agents
                .parse(key, input, errors, |i| values::functions(i, key, "agent")),
            "policy" => self.policy.parse(key, input, errors, |i| {
                values::name_or_expr(i, key, "hedge policy")
            }),
            _ => return false,
        }
        true
    }

    fn validate(&self, span: Span, errors: &mut Errors) {
        if let (Some(Shared::Expr(_)), Some(policy)) = (self.policy.get(), self.policy.key()) {
            // An existing policy is whole: it says when and how many.
            for key in [self.after.key(), self.max.key()].into_iter().flatten() {
                errors.spanned(
                    key,
                    format!("`{key}` configures a policy that `#[hedge]` builds, but `policy = ...` uses an existing one; set `{key}` where that policy is built, or drop `policy`"),
                );
            }
            if self.agents.key().is_some() {
                errors.spanned(
                    policy,
                    "with `agents`, the number of extra copies is the number of agents, which an existing policy cannot be held to; write `after = ..` here (or `policy = \"name\"` for a file's)",
                );
            }
            return;
        }
        if self.after.is_missing() {
            errors.at(
                span,
                "`#[hedge]` needs to know how long to wait before the next call, e.g. `#[hedge(after = 2s)]`",
            );
        }
        if let (Some(Count::Literal(max)), Some(agents), Some(key)) =
            (self.max.get(), self.agents.get(), self.max.key())
        {
            if *max as usize != agents.len() {
                errors.spanned(
                    key,
                    format!(
                        "with `agents`, each extra call is the next agent, so `max` is the number of agents ({}); leave `max` out",
                        agents.len()
                    ),
                );
            }
        }
    }
}

impl Attribute for Hedge {
    fn check(&self, sig: &Signature, errors: &mut Errors) {
        if sig.asyncness.is_none() {
            errors.spanned(
                sig.fn_token,
                "`#[hedge]` needs an `async fn`: it runs the next call while the first is still waiting, which a blocking function cannot do",
            );
        }
        for input in &sig.inputs {
            match input {
                FnArg::Receiver(receiver) if receiver.reference.is_some() => {
                    if let Some(mutability) = receiver.mutability {
                        errors.spanned(
                            mutability,
                            format!("{WHY} `&mut self`; take `&self` (with a `Mutex` or atomics for the state the body changes), or drop `#[hedge]`"),
                        );
                    }
                }
                FnArg::Receiver(receiver) => {
                    // `self: &mut Self`, written out.
                    if let Type::Reference(reference) = &*receiver.ty {
                        if let Some(mutability) = reference.mutability {
                            errors.spanned(
                                mutability,
                                format!("{WHY} `&mut self`; take `&self` (with a `Mutex` or atomics for the state the body changes), or drop `#[hedge]`"),
                            );
                        }
                    } else if let Some(mutability) = receiver.mutability {
                        errors.spanned(
                            mutability,
                            format!("{WHY} a `mut self` to change; drop `mut` (and copy what the body changes into a local)"),
                        );
                    }
                }
                FnArg::Typed(typed) => {
                    if let Type::Reference(reference) = &*typed.ty {
                        if let Some(mutability) = reference.mutability {
                            errors.spanned(
                                mutability,
                                format!("{WHY} this `&mut` borrow; take a shared reference (with a `Mutex` or atomics for what the body changes), or drop `#[hedge]`"),
                            );
                        }
                    }
                    match &*typed.pat {
                        Pat::Ident(binding) => {
                            if let Some(mutability) = binding.mutability {
                                errors.spanned(
                                    mutability,
                                    format!("{WHY} this parameter to change; drop `mut` (and write `let mut {0} = {0}.clone();` in the body)", binding.ident),
                                );
                            }
                        }
                        other if self.agents.get().is_some() => errors.spanned(
                            other,
                            "`#[hedge(agents = ..)]` passes the arguments on to its agents by name; bind this parameter to a name (`arg: Type`) and destructure it in the body",
                        ),
                        _ => {}
                    }
                }
            }
        }
    }

    fn layer(&self, emit: &Emit<'_>) -> TokenStream {
        let private = emit.private;
        let mut policy = Vec::new();
        if let Some(after) = self.after.get() {
            let after = after.to_tokens();
            policy.push(quote!(.after(#after)));
        }
        let max = match (self.max.get(), self.agents.get()) {
            (Some(max), _) => Some(max.to_tokens()),
            (None, Some(_)) => {
                let count = proc_macro2::Literal::u32_unsuffixed(self.agent_count());
                Some(quote!(#count))
            }
            (None, None) => None,
        };
        if let Some(max) = max {
            policy.push(quote!(.max(#max)));
        }
        let name = function_name(emit.sig);
        let mut hedge = vec![quote!(.name(#name))];
        if let Some(budget) = emit.budget {
            hedge.push(quote!(.budget(#budget)));
        }
        if let Some(agents) = self.agents.get() {
            let agents = agents.iter().map(|agent| agent_name(agent, private));
            let first = proc_macro2::Literal::usize_unsuffixed(emit.first_agent);
            // `const`: the list lives for the whole program, as the fallback's does.
            hedge.push(quote!(.agents(&const { [#(#agents),*] }, #first)));
        }
        let literal = hidden("HEDGE");
        let resolved = match self.policy.get() {
            None => quote!(&#literal),
            Some(Shared::Expr(existing)) => {
                let new = Ident::new("new", emit.span);
                return quote_spanned! {emit.span=>
                    #private::Hedge::#new(#existing) #(#hedge)*
                };
            }
            Some(Shared::Name(name)) => {
                let agents = self.agent_count();
                let site = hidden("NAMED_HEDGE");
                quote! {{
                    #private::config_feature::<()>();
                    static #site: #private::NamedHedge =
                        #private::NamedHedge::new(#name, &#literal).agents(#agents);
                    #site.get()
                }}
            }
        };
        let new = Ident::new("new", emit.span);
        quote_spanned! {emit.span=>
            {
                static #literal: #private::HedgePolicy = #private::ConfigError::unwrap_const(
                    #private::HedgePolicy::builder() #(#policy)* .build()
                );
                #private::Hedge::#new(#resolved) #(#hedge)*
            }
        }
    }

    fn agents(&self) -> &[Path] {
        self.agents.get().map_or(&[], Vec::as_slice)
    }

    fn repeats(&self) -> bool {
        true
    }

    fn forks(&self) -> bool {
        true
    }
}

impl Hedge {
    /// How many agents the copies call (0: none), which fixes `max`.
    fn agent_count(&self) -> u32 {
        let agents = self.agents.get().map_or(0, Vec::len);
        u32::try_from(agents).unwrap_or(u32::MAX)
    }
}
