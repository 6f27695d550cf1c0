//! Each attribute's arguments: `key = value`, comma-separated, every key at most once.
//!
//! Parsing never stops at the first mistake: an unknown key, a duplicate, a value of the
//! wrong kind or out of range are all collected into [`Errors`], and the parser steps
//! over the bad value to the next comma, so one compile shows every mistake.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::discouraged::Speculative;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, Path, Token};

use crate::attribute::{Keys, Parsed, Spec};
use crate::errors::Errors;
use crate::values;

/// A value and the key it was given under, set at most once (serde's `Attr<T>`).
pub(crate) struct Slot<T> {
    value: Option<(Ident, T)>,
    /// The key was given with a value that was refused: not "missing" then.
    refused: bool,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot {
            value: None,
            refused: false,
        }
    }
}

impl<T> Slot<T> {
    pub(crate) fn get(&self) -> Option<&T> {
        self.value.as_ref().map(|(_, v)| v)
    }

    pub(crate) fn key(&self) -> Option<&Ident> {
        self.value.as_ref().map(|(k, _)| k)
    }

    /// Neither given nor refused.
    pub(crate) fn is_missing(&self) -> bool {
        self.value.is_none() && !self.refused
    }

    /// Parses `key`'s value (up to the next `,`) with `parse` into this slot, or
    /// reports why it could not.
    pub(crate) fn parse(
        &mut self,
        key: &Ident,
        input: ParseStream<'_>,
        errors: &mut Errors,
        parse: impl FnOnce(ParseStream<'_>) -> syn::Result<T>,
    ) {
        let parsed = value(input, errors, parse);
        self.set(key, parsed, errors);
    }

    /// Records `key`'s value, or that it was given and refused (`None`); a second
    /// `key` is a duplicate.
    pub(crate) fn set(&mut self, key: &Ident, parsed: Option<T>, errors: &mut Errors) {
        if self.value.is_some() || self.refused {
            errors.spanned(
                key,
                format!("duplicate `{key}` argument; keep only one `{key} = ...`"),
            );
        } else if let Some(value) = parsed {
            self.value = Some((key.clone(), value));
        } else {
            self.refused = true;
        }
    }
}

/// Parses the arguments of one attribute into an `A`; every problem goes to `errors`.
///
/// `span` is the attribute's, for errors about a key that is missing.
pub(crate) fn parse<A: Keys>(tokens: TokenStream, span: Span, errors: &mut Errors) -> Parsed {
    let mut attribute = A::default();
    let mut krate = Slot::default();
    let mut unknown_key = false;
    let parser = |input: ParseStream<'_>| {
        unknown_key = parse_list(input, &mut attribute, &mut krate, errors);
        Ok(())
    };
    if let Err(error) = parser.parse2(tokens) {
        errors.push(error);
    }
    // An unknown key is most often a misspelt one (`rpm = 60` for `requests = 60`), and
    // a key without a value is one not given yet: rules about missing keys would only
    // repeat that mistake, so they wait for it to be fixed. One mistake, one error.
    if !unknown_key {
        attribute.validate(span, errors);
    }
    Parsed {
        spec: A::SPEC,
        span,
        krate: krate.value.map(|(_, path)| path),
        attribute: Box::new(attribute),
    }
}

/// Parses every `key = value`; whether some key was unknown or had no value.
fn parse_list<A: Keys>(
    input: ParseStream<'_>,
    attribute: &mut A,
    krate: &mut Slot<Path>,
    errors: &mut Errors,
) -> bool {
    let spec = A::SPEC;
    let mut unknown_key = false;
    while !input.is_empty() {
        let keyed =
            input.peek(Ident::peek_any) && input.peek2(Token![=]) && !input.peek2(Token![==]);
        if spec.positional.is_some() && !keyed {
            attribute.positional(input, errors);
        } else if input.peek(Ident::peek_any) {
            let key = input.call(Ident::parse_any).expect("peeked an identifier");
            if !input.peek(Token![=]) {
                missing_value(spec, &key, errors);
                unknown_key = true;
                skip_value(input);
            } else {
                let _ = input.parse::<Token![=]>();
                if key == "crate" {
                    krate.parse(&key, input, errors, |input| values::crate_path(input, &key));
                } else if !attribute.key(&key, input, errors) {
                    unknown(spec, &key, errors);
                    unknown_key = true;
                    skip_value(input);
                }
            }
        } else {
            let (key, example) = spec.keys[0];
            errors.push(input.error(format!("expected `key = value`, e.g. `{key} = {example}`")));
            skip_value(input);
        }
        if input.is_empty() {
            break;
        }
        if input.peek(Token![,]) {
            let _ = input.parse::<Token![,]>();
        } else {
            errors.push(input.error("expected `,` between arguments"));
            skip_value(input);
            let _ = input.parse::<Token![,]>();
        }
    }
    unknown_key
}

/// Parses one value (up to the next `,`) speculatively: on failure the error is
/// recorded, the rest of the value skipped, and `None` returned.
pub(crate) fn value<T>(
    input: ParseStream<'_>,
    errors: &mut Errors,
    parse: impl FnOnce(ParseStream<'_>) -> syn::Result<T>,
) -> Option<T> {
    if input.is_empty() || input.peek(Token![,]) {
        errors.push(input.error("expected a value after `=`"));
        return None;
    }
    let fork = input.fork();
    let parsed = parse(&fork).and_then(|v| {
        if fork.is_empty() || fork.peek(Token![,]) {
            Ok(v)
        } else {
            Err(fork.error("expected `,` after this argument's value"))
        }
    });
    match parsed {
        Ok(v) => {
            input.advance_to(&fork);
            Some(v)
        }
        Err(error) => {
            errors.push(error);
            skip_value(input);
            None
        }
    }
}

/// Steps over tokens up to the next top-level `,`.
pub(crate) fn skip_value(input: ParseStream<'_>) {
    while !input.is_empty() && !input.peek(Token![,]) {
        let _ = input.parse::<TokenTree>();
    }
}

/// `attempts` with no `= value`.
fn missing_value(spec: &Spec, key: &Ident, errors: &mut Errors) {
    let name = key.to_string();
    match spec.keys.iter().find(|(k, _)| *k == name) {
        Some((_, example)) => errors.spanned(
            key,
            format!("`{key}` needs a value, e.g. `{key} = {example}`"),
        ),
        None => unknown(spec, key, errors),
    }
}

fn unknown(spec: &Spec, key: &Ident, errors: &mut Errors) {
    let name = key.to_string();
    let attr = spec.name;
    let list = spec
        .keys
        .iter()
        .map(|(k, _)| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if let Some((what, example)) = spec.positional {
        let keys = match spec.keys {
            [_] => format!("the only key is {list}"),
            _ => format!("the keys are {list}"),
        };
        errors.spanned(
            key,
            format!("unknown `#[{attr}]` argument `{key}`; write the {what} alone, e.g. `#[{attr}({example})]` ({keys})"),
        );
        return;
    }
    let other = crate::attrs::ALL
        .iter()
        .filter(|other| other.name != attr && other.positional.is_none())
        .find(|other| other.keys.iter().any(|(k, _)| *k == name));
    let message = if let Some(other) = other {
        format!(
            "`{key}` is an argument of `#[{}]`, not of `#[{attr}]`; `#[{attr}]` takes {list}",
            other.name
        )
    } else if let Some(close) = closest(&name, spec.keys.iter().map(|(k, _)| *k)) {
        format!(
            "unknown `#[{attr}]` argument `{key}`; did you mean `{close}`? (expected one of {list})"
        )
    } else {
        format!("unknown `#[{attr}]` argument `{key}`; expected one of {list}")
    };
    errors.spanned(key, message);
}

/// The candidate nearest to `word`, if it is near enough to be a typo of it.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| {
            *d <= (c.len().max(word.len()) / 3).max(1)
                || c.starts_with(word)
                || word.starts_with(*c)
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggests_near_keys() {
        let keys = [
            "attempts",
            "backoff",
            "base",
            "max",
            "max_elapsed",
            "on",
            "when",
        ];
        assert_eq!(closest("attempt", keys.into_iter()), Some("attempts"));
        assert_eq!(closest("retries", keys.into_iter()), None);
        assert_eq!(
            closest("max_elpased", keys.into_iter()),
            Some("max_elapsed")
        );
        assert_eq!(
            closest("exponential", ["exp", "fixed", "linear"].into_iter()),
            Some("exp")
        );
        assert_eq!(
            closest(
                "random",
                ["none", "full", "equal", "decorrelated"].into_iter()
            ),
            None
        );
    }
}
