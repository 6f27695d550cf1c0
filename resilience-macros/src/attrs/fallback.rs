//! `#[fallback(agents = [..])]`: calls alternative functions when the body fails.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::ParseStream;
use syn::{FnArg, Ident, Pat, Path, Signature};

use crate::args::{self, Slot};
use crate::attribute::{Attribute, Emit, Keys, Spec};
use crate::errors::Errors;
use crate::values::{self, Filter};

pub(crate) static SPEC: Spec = Spec {
    name: "fallback",
    keys: &[
        ("agents", "[backup]"),
        ("on", "ApiError::Network"),
        ("when", "is_transient"),
        ("crate", "::resilience"),
    ],
    positional: None,
    parse: args::parse::<Fallback>,
};

#[derive(Default)]
pub(crate) struct Fallback {
    agents: Slot<Vec<Path>>,
    filter: Slot<Filter>,
}

impl Keys for Fallback {
    const SPEC: &'static Spec = &SPEC;

    fn key(&mut self, key: &Ident, input: ParseStream<'_>, errors: &mut Errors) -> bool {
        if key == "agents" {
            self.agents
                .parse(key, input, errors, |i| values::functions(i, key, "agent"));
            return true;
        }
        values::filter(&mut self.filter, key, input, errors)
    }

    fn validate(&self, span: Span, errors: &mut Errors) {
        if self.agents.is_missing() {
            errors.at(
                span,
                "`#[fallback]` needs the functions to call in order, e.g. `#[fallback(agents = [backup])]`",
            );
        }
    }
}

impl Attribute for Fallback {
    fn check(&self, sig: &Signature, errors: &mut Errors) {
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

    fn layer(&self, emit: &Emit<'_>) -> TokenStream {
        let private = emit.private;
        let agents = self.agents().iter().map(|agent| agent_name(agent, private));
        let filter = values::filter_tokens(&self.filter);
        let method = Ident::new("fallback", emit.span);
        // `const`: the list is built at compile time and lives for the whole program (a
        // `const fn` call is not promoted to `'static` on its own).
        quote_spanned!(emit.span=> .#method(&const { [#(#agents),*] }, #filter))
    }

    fn agents(&self) -> &[Path] {
        self.agents.get().map_or(&[], Vec::as_slice)
    }

    fn repeats(&self) -> bool {
        true
    }
}

/// The agent by the name a user would give it: `"gpt35"`, `"llm::local"`; a method of
/// `Self` by its type's name, known only at run time (`"LocalLlm::analyze"`).
pub(crate) fn agent_name(path: &Path, private: &TokenStream) -> TokenStream {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match segments.as_slice() {
        [first, method] if first == "Self" => {
            quote!(#private::Agent::method(::core::any::type_name::<Self>, #method))
        }
        _ => {
            let name = segments.join("::");
            quote!(#private::Agent::named(#name))
        }
    }
}
