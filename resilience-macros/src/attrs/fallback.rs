//! `#[fallback(agents = [..])]`: calls alternative functions when the body fails.

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;
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
        let names = self.agents().iter().map(path_name);
        let filter = values::filter_tokens(&self.filter);
        let method = Ident::new("fallback", emit.span);
        quote_spanned!(emit.span=> .#method(&[#(#names),*], #filter))
    }

    fn agents(&self) -> &[Path] {
        self.agents.get().map_or(&[], Vec::as_slice)
    }

    fn repeats(&self) -> bool {
        true
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
