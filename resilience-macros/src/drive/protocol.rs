//! The driver of one stack: its loop (or straight-line code), and the body as one of
//! its calls.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::{Ident, Type};

use crate::expand::{generated_at, hidden};
use crate::item::Function;

/// How the driver of one stack looks.
pub(super) struct Protocol<'a> {
    pub(super) private: &'a TokenStream,
    /// `answer::<R>`: the pipeline's `Result` as the declared return type.
    pub(super) answer: &'a TokenStream,
    pub(super) is_async: bool,
    /// Some layer calls below it more than once: a loop.
    pub(super) repeats: bool,
    /// Some layer may wait before the call.
    pub(super) waits: bool,
}

impl Protocol<'_> {
    /// A call, as its outcome.
    pub(super) fn call(&self, call: TokenStream) -> TokenStream {
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

    pub(super) fn drive(&self, calls: Vec<TokenStream>) -> TokenStream {
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
pub(super) fn primary_call(
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

/// The pattern of call `index` among `0..=last`: the body is `0`, agent k is `k`, and the
/// last one is `_` so the `match` needs no unreachable arm.
pub(super) fn call_pattern(index: usize, last: usize) -> TokenStream {
    if index == last {
        quote!(_)
    } else {
        let index = proc_macro2::Literal::usize_unsuffixed(index);
        quote!(#index)
    }
}
