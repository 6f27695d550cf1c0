//! The kinds of value attribute keys take, shared by every attribute: counts,
//! durations, choices, error filters, paths.

mod filter;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Lit, LitStr, Path, Token};

use crate::args::closest;
use crate::duration::DurationArg;

pub(crate) use filter::{Filter, filter, filter_tokens};

/// A count: a whole number of at least 1 written out (`attempts = 4`), checked here, or a
/// `const` expression (`attempts = MAX_ATTEMPTS`), checked by the runtime's `const`
/// builder at compile time.
pub(crate) enum Count {
    Literal(u32),
    Expr(Box<Expr>),
}

impl Count {
    /// The value as the builder's argument.
    pub(crate) fn to_tokens(&self) -> TokenStream {
        match self {
            Count::Literal(n) => {
                let n = proc_macro2::Literal::u32_unsuffixed(*n);
                quote!(#n)
            }
            Count::Expr(expr) => quote!(#expr),
        }
    }
}

/// A count: `attempts`, `threshold`, `success_threshold`, `probes`.
pub(crate) fn count(input: ParseStream<'_>, key: &Ident) -> syn::Result<Count> {
    let expr: Expr = input.parse()?;
    let lit = match &expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(lit), ..
        }) if lit.suffix().is_empty() || lit.suffix() == "u32" => lit,
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) if s.value().trim().parse::<u32>().is_ok() => {
            return Err(syn::Error::new_spanned(
                s,
                format!(
                    "`{key}` takes a number, not a string; write `{key} = {}`",
                    s.value().trim()
                ),
            ));
        }
        Expr::Lit(_) | Expr::Unary(_) | Expr::Closure(_) | Expr::Array(_) | Expr::Tuple(_) => {
            return Err(syn::Error::new_spanned(
                &expr,
                format!(
                    "`{key}` takes a whole number, e.g. `{key} = 3`, or a `const` of type `u32`"
                ),
            ));
        }
        // A `const` item or expression: the runtime's `const` builder checks it.
        _ => return Ok(Count::Expr(Box::new(expr))),
    };
    let value: u32 = lit
        .base10_parse()
        .map_err(|_| syn::Error::new(lit.span(), format!("`{key}` must fit in a `u32`")))?;
    if value == 0 {
        let message = if key == "attempts" {
            "`attempts` counts every call, the first included, so it must be at least 1; write `attempts = 1` for no retries".to_owned()
        } else {
            format!("`{key}` must be at least 1")
        };
        return Err(syn::Error::new(lit.span(), message));
    }
    Ok(Count::Literal(value))
}

/// A whole number of at least 1, written out, that may be large: `requests`, `tokens`,
/// `burst` (checked against each other here).
pub(crate) fn amount(input: ParseStream<'_>, key: &Ident) -> syn::Result<u64> {
    whole(input, key, "u64", true)
}

/// A whole number written out, zero included: `queue`.
pub(crate) fn size(input: ParseStream<'_>, key: &Ident) -> syn::Result<u32> {
    whole(input, key, "u32", false)
}

/// A whole number written out that fits in the integer type `ty`, at least 1 when
/// `positive`.
fn whole<N>(input: ParseStream<'_>, key: &Ident, ty: &str, positive: bool) -> syn::Result<N>
where
    N: std::str::FromStr,
    N::Err: std::fmt::Display,
{
    let expr: Expr = input.parse()?;
    let lit = match &expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(lit), ..
        }) if lit.suffix().is_empty() || lit.suffix() == ty => lit,
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) if s.value().trim().parse::<N>().is_ok() => {
            return Err(syn::Error::new_spanned(
                s,
                format!(
                    "`{key}` takes a number, not a string; write `{key} = {}`",
                    s.value().trim()
                ),
            ));
        }
        _ => {
            return Err(syn::Error::new_spanned(
                &expr,
                format!("`{key}` takes a whole number written out, e.g. `{key} = 3`"),
            ));
        }
    };
    let value: N = lit
        .base10_parse()
        .map_err(|_| syn::Error::new(lit.span(), format!("`{key}` must fit in a `{ty}`")))?;
    if positive && lit.base10_digits().bytes().all(|digit| digit == b'0') {
        return Err(syn::Error::new(
            lit.span(),
            format!("`{key}` must be at least 1"),
        ));
    }
    Ok(value)
}

/// A `u64` literal: `seed = 42`.
pub(crate) fn u64_literal(input: ParseStream<'_>) -> syn::Result<u64> {
    input.parse::<syn::LitInt>()?.base10_parse::<u64>()
}

/// A duration: `250ms`, `10s`, or an expression of type `Duration`.
pub(crate) fn duration(input: ParseStream<'_>) -> syn::Result<DurationArg> {
    DurationArg::parse(input.parse()?)
}

/// An expression, as written.
pub(crate) fn expr(input: ParseStream<'_>) -> syn::Result<Expr> {
    input.parse()
}

/// The path of a function: `cost = estimate_tokens`, `cost = Self::estimate`.
pub(crate) fn function(input: ParseStream<'_>, key: &Ident) -> syn::Result<Path> {
    let expr: Expr = input.parse()?;
    match expr {
        Expr::Path(path) if path.qself.is_none() => Ok(path.path),
        Expr::Closure(closure) => Err(syn::Error::new_spanned(
            closure,
            format!(
                "`{key}` takes the path of a function, not a closure: it is called with the function's arguments, so write `fn estimate(..) -> u64` with the same parameters and `{key} = estimate`"
            ),
        )),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` takes the path of a function, e.g. `{key} = estimate_tokens`"),
        )),
    }
}

/// One of a few names, written as a string: `backoff = "exp"`.
pub(crate) trait Choice: Copy + 'static {
    /// Every name and its value.
    const ALL: &'static [(&'static str, Self)];
}

/// Parses a [`Choice`]; the span is the string's.
pub(crate) fn choice<C: Choice>(input: ParseStream<'_>, key: &Ident) -> syn::Result<(C, Span)> {
    let list = C::ALL
        .iter()
        .map(|(v, _)| format!("\"{v}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let expr: Expr = input.parse()?;
    let lit = match &expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(lit), ..
        }) => lit.clone(),
        Expr::Path(path) if path.path.get_ident().is_some() => {
            let word = path
                .path
                .get_ident()
                .map(Ident::to_string)
                .unwrap_or_default();
            return Err(syn::Error::new_spanned(
                &expr,
                format!("`{key}` takes a string; write `{key} = \"{word}\"` (one of {list})"),
            ));
        }
        _ => {
            return Err(syn::Error::new_spanned(
                &expr,
                format!("`{key}` takes one of {list}"),
            ));
        }
    };
    let value = lit.value();
    match C::ALL.iter().find(|(name, _)| *name == value) {
        Some((_, choice)) => Ok((*choice, lit.span())),
        None => {
            let hint = match closest(&value, C::ALL.iter().map(|(name, _)| *name)) {
                Some(close) => format!("; did you mean \"{close}\"?"),
                None => String::new(),
            };
            Err(syn::Error::new(
                lit.span(),
                format!("unknown `{key}` \"{value}\"; expected one of {list}{hint}"),
            ))
        }
    }
}

/// A share of calls, above 0 and at most 1: `failure_rate = 0.5`. A literal is checked
/// here; an expression is left to the runtime's `const` builder.
pub(crate) fn share(input: ParseStream<'_>, key: &Ident) -> syn::Result<TokenStream> {
    let expr: Expr = input.parse()?;
    let value = match &expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Float(f), ..
        }) if matches!(f.suffix(), "" | "f64") => f.base10_parse::<f64>().ok(),
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(i), ..
        }) if i.suffix().is_empty() => i.base10_parse::<f64>().ok(),
        Expr::Lit(_) | Expr::Unary(_) => None,
        _ => return Ok(quote!(#expr)),
    };
    match value {
        Some(v) if v > 0.0 && v <= 1.0 => {
            let lit = proc_macro2::Literal::f64_unsuffixed(v);
            Ok(quote::quote_spanned!(expr.span()=> #lit))
        }
        Some(v) if v > 1.0 && v <= 100.0 => Err(syn::Error::new_spanned(
            &expr,
            format!(
                "`{key}` is a share of calls, at most 1: write `{key} = {}` for {v} %",
                v / 100.0
            ),
        )),
        _ => Err(syn::Error::new_spanned(
            &expr,
            format!("`{key}` is a share of calls, above 0 and at most 1, e.g. `{key} = 0.5`"),
        )),
    }
}

/// `crate = ::resilience`, `crate = my::resilience` or `crate = "my::resilience"`.
pub(crate) fn crate_path(input: ParseStream<'_>, key: &Ident) -> syn::Result<Path> {
    let hint = || {
        format!(
            "`{key}` takes the path of the `resilience` crate, e.g. `{key} = ::resilience` or `{key} = \"my::resilience\"`"
        )
    };
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        return lit
            .parse_with(Path::parse_mod_style)
            .map_err(|_| syn::Error::new(lit.span(), hint()));
    }
    let fork = input.fork();
    match fork.call(Path::parse_mod_style) {
        Ok(path) if fork.is_empty() || fork.peek(Token![,]) => {
            use syn::parse::discouraged::Speculative;
            input.advance_to(&fork);
            Ok(path)
        }
        _ => {
            let span = input.span();
            crate::args::skip_value(input);
            Err(syn::Error::new(span, hint()))
        }
    }
}

/// A name given to a shared thing: `name = "openai"`, a non-empty string literal.
pub(crate) fn name(input: ParseStream<'_>, key: &Ident, what: &str) -> syn::Result<LitStr> {
    let expr: Expr = input.parse()?;
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(lit), ..
        }) => {
            if lit.value().trim().is_empty() {
                Err(syn::Error::new(
                    lit.span(),
                    format!(
                        "a {what}'s `{key}` must not be empty; leave `{key}` out to use the function's path"
                    ),
                ))
            } else {
                Ok(lit)
            }
        }
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` takes a string literal, e.g. `{key} = \"openai\"`"),
        )),
    }
}

/// A shared thing given by name (`budget = "openai"`: every function naming it shares
/// it) or as an expression that refers to one (`budget = &BUDGET`).
pub(crate) enum Shared {
    Name(LitStr),
    Expr(Box<Expr>),
}

/// Parses a [`Shared`]: a string literal is a name (not empty), anything else an
/// expression.
pub(crate) fn name_or_expr(input: ParseStream<'_>, key: &Ident, what: &str) -> syn::Result<Shared> {
    if input.peek(LitStr) {
        let name: LitStr = input.parse()?;
        if name.value().trim().is_empty() {
            return Err(syn::Error::new(
                name.span(),
                format!("a {what}'s name must not be empty, e.g. `{key} = \"openai\"`"),
            ));
        }
        return Ok(Shared::Name(name));
    }
    expr(input).map(|expr| Shared::Expr(Box::new(expr)))
}

/// A list of functions: `agents = [gpt35, local_llm, Self::cached]`, each at most once.
pub(crate) fn functions(input: ParseStream<'_>, key: &Ident, noun: &str) -> syn::Result<Vec<Path>> {
    if !input.peek(syn::token::Bracket) {
        let expr: Expr = input.parse()?;
        let shown = quote::ToTokens::to_token_stream(&expr).to_string();
        return Err(syn::Error::new_spanned(
            &expr,
            format!("`{key}` takes a list of functions in brackets, e.g. `{key} = [{shown}]`"),
        ));
    }
    let content;
    let brackets = syn::bracketed!(content in input);
    let list = Punctuated::<Path, Token![,]>::parse_terminated(&content)?;
    let functions: Vec<Path> = list.into_iter().collect();
    if functions.is_empty() {
        return Err(syn::Error::new(
            brackets.span.join(),
            format!("`{key}` needs at least one function, e.g. `{key} = [backup]`"),
        ));
    }
    let mut error: Option<syn::Error> = None;
    for (i, function) in functions.iter().enumerate() {
        if functions[..i].contains(function) {
            let e = syn::Error::new_spanned(
                function,
                format!(
                    "`{}` is already in `{key}`; each {noun} is called at most once, so list it once",
                    quote::ToTokens::to_token_stream(function)
                        .to_string()
                        .replace(' ', "")
                ),
            );
            match &mut error {
                Some(first) => first.combine(e),
                None => error = Some(e),
            }
        }
    }
    error.map_or(Ok(functions), Err)
}

/// `factor = 2.0`: a literal is checked here; an expression is left to the runtime's
/// `const` builder.
pub(crate) fn factor(input: ParseStream<'_>) -> syn::Result<TokenStream> {
    const FIX: &str = "a finite number of at least 1.0, e.g. `factor = 2.0`";
    let expr: Expr = input.parse()?;
    let (negative, lit) = match &expr {
        Expr::Lit(syn::ExprLit { lit, .. }) => (false, Some(lit)),
        Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr: inner,
            ..
        }) => match &**inner {
            Expr::Lit(syn::ExprLit { lit, .. }) => (true, Some(lit)),
            _ => (true, None),
        },
        _ => (false, None),
    };
    if let Some(lit) = lit {
        let value = match lit {
            Lit::Float(f) if matches!(f.suffix(), "" | "f64" | "f32") => {
                f.base10_parse::<f64>().ok()
            }
            Lit::Int(i) if i.suffix().is_empty() => i.base10_parse::<f64>().ok(),
            _ => None,
        };
        let Some(value) = value.map(|v| if negative { -v } else { v }) else {
            return Err(syn::Error::new_spanned(
                &expr,
                format!("`factor` takes {FIX}"),
            ));
        };
        if !(value.is_finite() && value >= 1.0) {
            return Err(syn::Error::new_spanned(
                &expr,
                format!("`factor` must be {FIX}: a smaller factor would shrink the delays"),
            ));
        }
        // Hand the runtime an `f64` literal, whatever the user wrote (`2` or `2.0`).
        let lit = proc_macro2::Literal::f64_unsuffixed(value);
        return Ok(quote::quote_spanned!(expr.span()=> #lit));
    }
    if let Expr::Path(path) = &expr {
        let last = path.path.segments.last().map(|s| s.ident.to_string());
        if matches!(
            last.as_deref(),
            Some("NAN" | "INFINITY" | "NEG_INFINITY" | "EPSILON" | "MIN_POSITIVE")
        ) {
            return Err(syn::Error::new_spanned(
                &expr,
                format!("`factor` must be {FIX}"),
            ));
        }
    }
    if negative {
        return Err(syn::Error::new_spanned(
            &expr,
            format!("`factor` must be {FIX}"),
        ));
    }
    Ok(quote::quote!(#expr))
}
