//! Reading a configuration file into [`Policies`]: every key known, every value typed,
//! every error with its line.

mod calls;
mod limits;

use core::ops::Range;
use core::time::Duration;
use std::collections::HashMap;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::FileError;
use crate::backoff::{BackoffKind, Jitter};
pub(super) use calls::{HedgeFile, StreamFile};
pub(super) use limits::{BulkheadFile, RateLimitFile};

/// The named policies of one configuration file.
///
/// ```toml
/// [llm.retry]          # #[retry(policy = "llm")]
/// attempts = 5
/// backoff = "exp"      # "exp" | "fixed" | "linear"
/// base = "250ms"
/// factor = 2.0
/// max = "10s"
/// jitter = "full"      # "none" | "full" | "equal" | "decorrelated"
/// max_elapsed = "1m"
///
/// [llm.circuit]        # #[circuit(policy = "llm")]
/// threshold = 5
/// recovery = "30s"
/// recovery_max = "5m"
/// success_threshold = 2
/// probes = 2
///
/// [llm.timeout]        # #[timeout(10s, policy = "llm")]
/// after = "30s"
///
/// [llm.rate_limit]     # #[rate_limit(policy = "llm", requests = 60)]
/// requests = 500
/// tokens = 200_000
/// per = "1m"
/// burst = 50           # of `requests`, or of `tokens` when there are no requests
/// max_wait = "20s"
///
/// [llm.bulkhead]       # #[bulkhead(policy = "llm", max = 8)]
/// max = 16
/// queue = 64           # 0: no call waits
/// max_wait = "5s"
///
/// [llm.hedge]          # #[hedge(policy = "llm", after = 2s)]
/// after = "800ms"      # "0s": every copy at once
/// max = 2              # extra calls, 1 to 64 (with `agents`: their number)
///
/// [llm.stream]         # #[stream(policy = "llm", first = 10s)]
/// first = "5s"
/// idle = "30s"
/// ```
///
/// Every key is optional: what the file leaves out, the attribute's literal gives.
///
/// ```
/// use resilience_core::named::Policies;
///
/// let policies = Policies::parse("app.toml", "[llm.retry]\nattempts = 5\nbase = \"250ms\"\n")?;
/// assert_eq!(policies.names().collect::<Vec<_>>(), ["llm"]);
/// # Ok::<(), resilience_core::named::FileError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Policies {
    pub(super) by_name: HashMap<String, Policy>,
}

/// One name's settings, per pattern.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Policy {
    pub(super) retry: Option<RetryFile>,
    pub(super) timeout: Option<TimeoutFile>,
    pub(super) circuit: Option<CircuitFile>,
    pub(super) rate_limit: Option<RateLimitFile>,
    pub(super) bulkhead: Option<BulkheadFile>,
    pub(super) hedge: Option<HedgeFile>,
    pub(super) stream: Option<StreamFile>,
}

/// `[name.circuit]`: what the file sets of a breaker's settings.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct CircuitFile {
    pub(super) threshold: Option<u32>,
    pub(super) recovery: Option<Duration>,
    pub(super) recovery_max: Option<Duration>,
    pub(super) success_threshold: Option<u32>,
    pub(super) probes: Option<u32>,
}

/// `[name.retry]`: what the file sets of a retry policy.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct RetryFile {
    pub(super) attempts: Option<u32>,
    pub(super) backoff: Option<BackoffKind>,
    pub(super) base: Option<Duration>,
    pub(super) factor: Option<f64>,
    pub(super) max: Option<Duration>,
    pub(super) jitter: Option<Jitter>,
    pub(super) max_elapsed: Option<Duration>,
}

/// `[name.timeout]`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct TimeoutFile {
    pub(super) after: Option<Duration>,
}

const SECTIONS: &[&str] = &[
    "retry",
    "circuit",
    "timeout",
    "rate_limit",
    "bulkhead",
    "hedge",
    "stream",
];
const CIRCUIT_KEYS: &[&str] = &[
    "threshold",
    "recovery",
    "recovery_max",
    "success_threshold",
    "probes",
];
const RETRY_KEYS: &[&str] = &[
    "attempts",
    "backoff",
    "base",
    "factor",
    "max",
    "jitter",
    "max_elapsed",
];
const TIMEOUT_KEYS: &[&str] = &["after"];

impl Policies {
    /// Reads `text`, the contents of `file` (named in errors).
    ///
    /// ```
    /// use resilience_core::named::Policies;
    ///
    /// let err = Policies::parse("app.toml", "[llm.retry]\nbase = \"2 seconds\"\n").unwrap_err();
    /// assert_eq!(err.to_string(), "app.toml:2: `llm.retry.base`: expected a duration such as \"250ms\", \"10s\", \"1.5s\", \"2m\", found \"2 seconds\"");
    /// ```
    pub fn parse(file: &str, text: &str) -> Result<Self, FileError> {
        let reader = Reader { file, text };
        let table = DeTable::parse(text).map_err(|e| {
            let at = e.span().map_or(0, |span| span.start);
            FileError::new(file, text, at, String::new(), e.message().trim().to_owned())
        })?;
        let mut by_name = HashMap::new();
        for (name, value) in table.get_ref() {
            let name_str = name.get_ref().to_string();
            let sections = reader.table(&name_str, value)?;
            let mut policy = Policy::default();
            for (section, value) in sections {
                let key = format!("{name_str}.{}", section.get_ref());
                let entries = reader.table(&key, value)?;
                match section.get_ref().as_ref() {
                    "retry" => policy.retry = Some(reader.retry(&key, entries)?),
                    "timeout" => policy.timeout = Some(reader.timeout(&key, entries)?),
                    "circuit" => policy.circuit = Some(reader.circuit(&key, entries)?),
                    "rate_limit" => policy.rate_limit = Some(reader.rate_limit(&key, entries)?),
                    "bulkhead" => policy.bulkhead = Some(reader.bulkhead(&key, entries)?),
                    "hedge" => policy.hedge = Some(reader.hedge(&key, entries)?),
                    "stream" => policy.stream = Some(reader.stream(&key, entries)?),
                    other => return Err(reader.unknown(&key, section.span(), other, SECTIONS)),
                }
            }
            by_name.insert(name_str, policy);
        }
        Ok(Policies { by_name })
    }

    /// The names the file defines.
    ///
    /// ```
    /// use resilience_core::named::Policies;
    ///
    /// let policies = Policies::parse("app.toml", "[a.timeout]\nafter = \"1s\"\n[b.retry]\n")?;
    /// let mut names: Vec<_> = policies.names().collect();
    /// names.sort();
    /// assert_eq!(names, ["a", "b"]);
    /// # Ok::<(), resilience_core::named::FileError>(())
    /// ```
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }
}

struct Reader<'a> {
    file: &'a str,
    text: &'a str,
}

type Entries<'t, 'i> = &'t DeTable<'i>;

impl Reader<'_> {
    fn error(&self, key: &str, span: Range<usize>, reason: String) -> FileError {
        FileError::new(self.file, self.text, span.start, key.to_owned(), reason)
    }

    fn unknown(&self, key: &str, span: Range<usize>, found: &str, known: &[&str]) -> FileError {
        self.error(
            key,
            span,
            format!(
                "unknown key `{found}`; expected one of: {}",
                known.join(", ")
            ),
        )
    }

    fn table<'t, 'i>(
        &self,
        key: &str,
        value: &'t Spanned<DeValue<'i>>,
    ) -> Result<Entries<'t, 'i>, FileError> {
        match value.get_ref() {
            DeValue::Table(table) => Ok(table),
            other => Err(self.error(
                key,
                value.span(),
                format!("expected a table, found {}", kind(other)),
            )),
        }
    }

    fn retry(&self, section: &str, entries: Entries<'_, '_>) -> Result<RetryFile, FileError> {
        let mut retry = RetryFile::default();
        for (key, value) in entries {
            let name = key.get_ref().as_ref();
            let at = format!("{section}.{name}");
            match name {
                "attempts" => retry.attempts = Some(self.count(&at, value)?),
                "backoff" => {
                    let kinds = [
                        ("exp", BackoffKind::Exponential),
                        ("fixed", BackoffKind::Fixed),
                        ("linear", BackoffKind::Linear),
                    ];
                    retry.backoff = Some(self.choice(&at, value, &kinds)?);
                }
                "base" => retry.base = Some(self.duration(&at, value)?),
                "factor" => retry.factor = Some(self.factor(&at, value)?),
                "max" => retry.max = Some(self.duration(&at, value)?),
                "jitter" => {
                    let jitters = [
                        ("none", Jitter::None),
                        ("full", Jitter::Full),
                        ("equal", Jitter::Equal),
                        ("decorrelated", Jitter::Decorrelated),
                    ];
                    retry.jitter = Some(self.choice(&at, value, &jitters)?);
                }
                "max_elapsed" => retry.max_elapsed = Some(self.duration(&at, value)?),
                other => return Err(self.unknown(&at, key.span(), other, RETRY_KEYS)),
            }
        }
        Ok(retry)
    }

    fn timeout(&self, section: &str, entries: Entries<'_, '_>) -> Result<TimeoutFile, FileError> {
        let mut timeout = TimeoutFile::default();
        for (key, value) in entries {
            let name = key.get_ref().as_ref();
            let at = format!("{section}.{name}");
            match name {
                "after" => timeout.after = Some(self.duration(&at, value)?),
                other => return Err(self.unknown(&at, key.span(), other, TIMEOUT_KEYS)),
            }
        }
        Ok(timeout)
    }

    fn circuit(&self, section: &str, entries: Entries<'_, '_>) -> Result<CircuitFile, FileError> {
        let mut circuit = CircuitFile::default();
        for (key, value) in entries {
            let name = key.get_ref().as_ref();
            let at = format!("{section}.{name}");
            match name {
                "threshold" => circuit.threshold = Some(self.count(&at, value)?),
                "recovery" => circuit.recovery = Some(self.duration(&at, value)?),
                "recovery_max" => circuit.recovery_max = Some(self.duration(&at, value)?),
                "success_threshold" => circuit.success_threshold = Some(self.count(&at, value)?),
                "probes" => circuit.probes = Some(self.count(&at, value)?),
                other => return Err(self.unknown(&at, key.span(), other, CIRCUIT_KEYS)),
            }
        }
        Ok(circuit)
    }

    /// A whole number of at least 1.
    fn count(&self, key: &str, value: &Spanned<DeValue<'_>>) -> Result<u32, FileError> {
        let DeValue::Integer(int) = value.get_ref() else {
            return Err(self.error(
                key,
                value.span(),
                format!("expected a whole number, found {}", kind(value.get_ref())),
            ));
        };
        match u32::from_str_radix(&int.as_str().replace('_', ""), int.radix()) {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(self.error(
                key,
                value.span(),
                format!(
                    "must be a whole number from 1 to {}, found {}",
                    u32::MAX,
                    int.as_str()
                ),
            )),
        }
    }

    fn factor(&self, key: &str, value: &Spanned<DeValue<'_>>) -> Result<f64, FileError> {
        let number = match value.get_ref() {
            DeValue::Float(float) => float.as_str().replace('_', "").parse::<f64>().ok(),
            DeValue::Integer(int) if int.radix() == 10 => {
                int.as_str().replace('_', "").parse::<f64>().ok()
            }
            other => {
                return Err(self.error(
                    key,
                    value.span(),
                    format!("expected a number, found {}", kind(other)),
                ));
            }
        };
        match number {
            Some(f) if f.is_finite() && f >= 1.0 => Ok(f),
            _ => Err(self.error(
                key,
                value.span(),
                "must be a finite number of at least 1.0".to_owned(),
            )),
        }
    }

    fn duration(&self, key: &str, value: &Spanned<DeValue<'_>>) -> Result<Duration, FileError> {
        let text = match value.get_ref() {
            DeValue::String(text) => text,
            other => {
                return Err(self.error(
                    key,
                    value.span(),
                    format!(
                        "expected a duration string such as \"250ms\", found {}",
                        kind(other)
                    ),
                ));
            }
        };
        super::duration::parse(text).ok_or_else(|| {
            self.error(key, value.span(), format!("expected a duration such as \"250ms\", \"10s\", \"1.5s\", \"2m\", found {text:?}"))
        })
    }

    fn choice<T: Copy>(
        &self,
        key: &str,
        value: &Spanned<DeValue<'_>>,
        choices: &[(&str, T)],
    ) -> Result<T, FileError> {
        let names = || {
            choices
                .iter()
                .map(|(name, _)| format!("{name:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let DeValue::String(text) = value.get_ref() else {
            return Err(self.error(
                key,
                value.span(),
                format!(
                    "expected one of {}, found {}",
                    names(),
                    kind(value.get_ref())
                ),
            ));
        };
        choices
            .iter()
            .find(|(name, _)| *name == text.as_ref())
            .map(|(_, choice)| *choice)
            .ok_or_else(|| {
                self.error(
                    key,
                    value.span(),
                    format!("expected one of {}, found {text:?}", names()),
                )
            })
    }
}

fn kind(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}
