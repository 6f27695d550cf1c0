//! `[name.rate_limit]` and `[name.bulkhead]`: the tables of the patterns that admit calls.

use core::time::Duration;

use toml::Spanned;
use toml::de::DeValue;

use super::{Entries, Reader};
use crate::named::FileError;

/// `[name.rate_limit]`: what the file sets of a rate limiter's settings.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(in crate::named) struct RateLimitFile {
    pub(in crate::named) requests: Option<u64>,
    pub(in crate::named) tokens: Option<u64>,
    pub(in crate::named) per: Option<Duration>,
    pub(in crate::named) burst: Option<u64>,
    pub(in crate::named) max_wait: Option<Duration>,
}

/// `[name.bulkhead]`: what the file sets of a bulkhead's settings.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(in crate::named) struct BulkheadFile {
    pub(in crate::named) max: Option<u32>,
    pub(in crate::named) queue: Option<u32>,
    pub(in crate::named) max_wait: Option<Duration>,
}

pub(super) const BULKHEAD_KEYS: &[&str] = &["max", "queue", "max_wait"];

pub(super) const RATE_LIMIT_KEYS: &[&str] = &["requests", "tokens", "per", "burst", "max_wait"];

impl Reader<'_> {
    /// The table, with the builder's checks that need no literal: a `per` of zero, a
    /// `burst` above the file's own limit (the one it bursts: `requests`, else `tokens`).
    pub(super) fn rate_limit(
        &self,
        section: &str,
        entries: Entries<'_, '_>,
    ) -> Result<RateLimitFile, FileError> {
        let mut limit = RateLimitFile::default();
        let mut burst_span = 0..0;
        for (key, value) in entries {
            let name = key.get_ref().as_ref();
            let at = format!("{section}.{name}");
            match name {
                "requests" => limit.requests = Some(self.amount(&at, value)?),
                "tokens" => limit.tokens = Some(self.amount(&at, value)?),
                "per" => {
                    let per = self.duration(&at, value)?;
                    if per.is_zero() {
                        return Err(self.error(&at, value.span(), "must not be zero".to_owned()));
                    }
                    limit.per = Some(per);
                }
                "burst" => {
                    limit.burst = Some(self.amount(&at, value)?);
                    burst_span = value.span();
                }
                "max_wait" => limit.max_wait = Some(self.duration(&at, value)?),
                other => return Err(self.unknown(&at, key.span(), other, RATE_LIMIT_KEYS)),
            }
        }
        let bursts = match (limit.requests, limit.tokens) {
            (Some(requests), _) => Some((requests, "requests")),
            (None, Some(tokens)) => Some((tokens, "tokens")),
            (None, None) => None,
        };
        if let (Some(burst), Some((of, what))) = (limit.burst, bursts) {
            if burst > of {
                return Err(self.error(
                    &format!("{section}.burst"),
                    burst_span,
                    format!("is the most {what} let through at once, so it must be at most `{what}` ({of}), found {burst}"),
                ));
            }
        }
        Ok(limit)
    }

    /// The table, checked as the builder checks it (`max` at least 1).
    pub(super) fn bulkhead(
        &self,
        section: &str,
        entries: Entries<'_, '_>,
    ) -> Result<BulkheadFile, FileError> {
        let mut bulkhead = BulkheadFile::default();
        for (key, value) in entries {
            let name = key.get_ref().as_ref();
            let at = format!("{section}.{name}");
            match name {
                "max" => bulkhead.max = Some(self.count(&at, value)?),
                "queue" => bulkhead.queue = Some(self.size(&at, value)?),
                "max_wait" => bulkhead.max_wait = Some(self.duration(&at, value)?),
                other => return Err(self.unknown(&at, key.span(), other, BULKHEAD_KEYS)),
            }
        }
        Ok(bulkhead)
    }

    /// A whole number from 0 to `u32::MAX` (a queue's length).
    fn size(&self, key: &str, value: &Spanned<DeValue<'_>>) -> Result<u32, FileError> {
        let DeValue::Integer(int) = value.get_ref() else {
            return Err(self.error(
                key,
                value.span(),
                format!(
                    "expected a whole number, found {}",
                    super::kind(value.get_ref())
                ),
            ));
        };
        u32::from_str_radix(&int.as_str().replace('_', ""), int.radix()).map_err(|_| {
            self.error(
                key,
                value.span(),
                format!(
                    "must be a whole number from 0 to {}, found {}",
                    u32::MAX,
                    int.as_str()
                ),
            )
        })
    }

    /// A whole number from 1 to `u64::MAX` (requests, tokens, a burst).
    fn amount(&self, key: &str, value: &Spanned<DeValue<'_>>) -> Result<u64, FileError> {
        let DeValue::Integer(int) = value.get_ref() else {
            return Err(self.error(
                key,
                value.span(),
                format!(
                    "expected a whole number, found {}",
                    super::kind(value.get_ref())
                ),
            ));
        };
        match u64::from_str_radix(&int.as_str().replace('_', ""), int.radix()) {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(self.error(
                key,
                value.span(),
                format!(
                    "must be a whole number from 1 to {}, found {}",
                    u64::MAX,
                    int.as_str()
                ),
            )),
        }
    }
}
