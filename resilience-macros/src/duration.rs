//! Duration values: `250ms`, `10s`, `1.5s`, `2m`, `1h`, `500us`, or any expression.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Lit};

/// A duration argument, resolved to nanoseconds when written as a literal so the macro
/// can check it against other literals (`base` <= `max`).
#[derive(Clone)]
pub(crate) enum DurationArg {
    Literal { nanos: u128, span: Span },
    Expr(Box<Expr>),
}

const UNITS: &str = "`us`, `ms`, `s`, `m` or `h`";

impl DurationArg {
    pub(crate) fn parse(expr: Expr) -> syn::Result<Self> {
        let Expr::Lit(lit) = &expr else {
            return Ok(DurationArg::Expr(Box::new(expr)));
        };
        let (digits, suffix, span) = match &lit.lit {
            Lit::Int(int) => (int.base10_digits().to_owned(), int.suffix(), int.span()),
            Lit::Float(float) => (
                float.base10_digits().to_owned(),
                float.suffix(),
                float.span(),
            ),
            _ => {
                return Err(syn::Error::new(
                    lit.span(),
                    format!(
                        "expected a duration such as `10s` or `250ms`, or a `Duration` expression"
                    ),
                ));
            }
        };
        let unit_nanos: u128 = match suffix {
            "us" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => {
                return Err(syn::Error::new(
                    span,
                    format!(
                        "a duration needs a unit: write `{digits}s` or `{digits}ms` (units: {UNITS})"
                    ),
                ));
            }
            other => {
                return Err(syn::Error::new(
                    span,
                    format!("unknown duration unit `{other}`; expected {UNITS}"),
                ));
            }
        };
        let nanos = scale(&digits, unit_nanos).ok_or_else(|| {
            syn::Error::new(span, "duration out of range: it must be a whole number of nanoseconds that fits in a `Duration`")
        })?;
        Ok(DurationArg::Literal { nanos, span })
    }

    pub(crate) fn literal_nanos(&self) -> Option<u128> {
        match self {
            DurationArg::Literal { nanos, .. } => Some(*nanos),
            DurationArg::Expr(_) => None,
        }
    }

    pub(crate) fn span(&self) -> Span {
        match self {
            DurationArg::Literal { span, .. } => *span,
            DurationArg::Expr(expr) => expr.span(),
        }
    }

    /// A `const`-evaluable `::core::time::Duration` expression.
    pub(crate) fn to_tokens(&self) -> TokenStream {
        match self {
            DurationArg::Literal { nanos, span } => {
                let secs = (nanos / 1_000_000_000) as u64;
                let sub = (nanos % 1_000_000_000) as u32;
                if sub == 0 {
                    quote_spanned!(*span=> ::core::time::Duration::from_secs(#secs))
                } else if sub % 1_000_000 == 0 && secs == 0 {
                    let ms = (sub / 1_000_000) as u64;
                    quote_spanned!(*span=> ::core::time::Duration::from_millis(#ms))
                } else {
                    quote_spanned!(*span=> ::core::time::Duration::new(#secs, #sub))
                }
            }
            DurationArg::Expr(expr) => quote!(#expr),
        }
    }
}

/// `digits` (decimal, maybe with a fraction or exponent) times `unit` nanoseconds,
/// exactly; `None` when not a whole number of nanoseconds or out of range.
fn scale(digits: &str, unit: u128) -> Option<u128> {
    let (mantissa, exponent) = match digits.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (digits, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut value: u128 = format!("{whole}{fraction}").parse().ok()?;
    value = value.checked_mul(unit)?;
    let shift = exponent - i32::try_from(fraction.len()).ok()?;
    if shift >= 0 {
        value = value.checked_mul(10u128.checked_pow(shift.unsigned_abs())?)?;
    } else {
        let divisor = 10u128.checked_pow(shift.unsigned_abs())?;
        if value % divisor != 0 {
            return None;
        }
        value /= divisor;
    }
    // Duration holds u64 seconds.
    (value / 1_000_000_000 <= u128::from(u64::MAX)).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::scale;

    #[test]
    fn scales_exactly() {
        assert_eq!(scale("250", 1_000_000), Some(250_000_000));
        assert_eq!(scale("1.5", 1_000_000_000), Some(1_500_000_000));
        assert_eq!(scale("2", 60_000_000_000), Some(120_000_000_000));
        assert_eq!(scale("1e3", 1_000_000), Some(1_000_000_000));
        assert_eq!(scale("0.0000000001", 1_000_000_000), None);
        assert_eq!(scale("99999999999999999999999", 3_600_000_000_000), None);
    }
}
