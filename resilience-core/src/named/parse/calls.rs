//! `[name.hedge]` and `[name.stream]`: the tables of the patterns that time a call.

use core::time::Duration;

use super::{Entries, Reader};
use crate::hedge::MAX_EXTRA;
use crate::named::FileError;

/// `[name.hedge]`: what the file sets of a hedge's settings.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(in crate::named) struct HedgeFile {
    pub(in crate::named) after: Option<Duration>,
    pub(in crate::named) max: Option<u32>,
}

/// `[name.stream]`: what the file sets of a stream call's deadlines.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(in crate::named) struct StreamFile {
    pub(in crate::named) first: Option<Duration>,
    pub(in crate::named) idle: Option<Duration>,
}

const HEDGE_KEYS: &[&str] = &["after", "max"];

const STREAM_KEYS: &[&str] = &["first", "idle"];

impl Reader<'_> {
    /// The table, checked as the builder checks it (`max` from 1 to 64; `after` may be
    /// zero: every copy at once).
    pub(super) fn hedge(
        &self,
        section: &str,
        entries: Entries<'_, '_>,
    ) -> Result<HedgeFile, FileError> {
        let mut hedge = HedgeFile::default();
        for (key, value) in entries {
            let name = key.get_ref().as_ref();
            let at = format!("{section}.{name}");
            match name {
                "after" => hedge.after = Some(self.duration(&at, value)?),
                "max" => {
                    let max = self.count(&at, value)?;
                    if max > MAX_EXTRA {
                        return Err(self.error(
                            &at,
                            value.span(),
                            format!("is the most extra calls, at most {MAX_EXTRA}, found {max}"),
                        ));
                    }
                    hedge.max = Some(max);
                }
                other => return Err(self.unknown(&at, key.span(), other, HEDGE_KEYS)),
            }
        }
        Ok(hedge)
    }

    /// The table, checked as the builder checks it (neither deadline zero).
    pub(super) fn stream(
        &self,
        section: &str,
        entries: Entries<'_, '_>,
    ) -> Result<StreamFile, FileError> {
        let mut stream = StreamFile::default();
        for (key, value) in entries {
            let name = key.get_ref().as_ref();
            let at = format!("{section}.{name}");
            let slot = match name {
                "first" => &mut stream.first,
                "idle" => &mut stream.idle,
                other => return Err(self.unknown(&at, key.span(), other, STREAM_KEYS)),
            };
            let deadline = self.duration(&at, value)?;
            if deadline.is_zero() {
                return Err(self.error(
                    &at,
                    value.span(),
                    "must not be zero: a deadline that has already passed would fail every call"
                        .to_owned(),
                ));
            }
            *slot = Some(deadline);
        }
        Ok(stream)
    }
}
