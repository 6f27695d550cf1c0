//! Records the events of a call, in order: the runtime's (target `resilience`: "retry
//! scheduled", "giving up", "timed out", "fallback served", the breaker's) and the
//! client's (target `openai_chat`: "request", "answered", "failed").
//!
//! `main.rs` prints them per call and the tests assert them. A bare [`Subscriber`] is all
//! it takes; install it for the current thread with
//! `tracing::subscriber::set_default(recorder.clone())` and run the calls on a
//! current-thread runtime, so that every event reaches it.

// Shared by the example and tests/openai_chat.rs, each of which uses part of it.
#![allow(dead_code)]

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// The targets recorded.
const TARGETS: [&str; 2] = ["resilience", "openai_chat"];

/// One event: where it came from, its message and its other fields (as they print).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// When it was emitted, on tokio's clock.
    pub at: Instant,
    /// `resilience` or `openai_chat`.
    pub target: &'static str,
    /// What happened, e.g. `retry scheduled`.
    pub message: String,
    /// The other fields, in order: `("delay", "300ms")`.
    pub fields: Vec<(&'static str, String)>,
}

impl Recorded {
    /// The field `name`, as it prints.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, value)| value.as_str())
    }

    /// The field `name`, read back as a `Duration` from its `Debug` form (`1.5s`, `300ms`).
    pub fn duration(&self, name: &str) -> Option<Duration> {
        parse_duration(self.field(name)?)
    }
}

/// `message key=value ...`, e.g. `retry scheduled attempt=1 delay=300ms`.
impl fmt::Display for Recorded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        for (name, value) in &self.fields {
            write!(f, " {name}={value}")?;
        }
        Ok(())
    }
}

/// Keeps every event of [`TARGETS`] until [`Recorder::take`]. Spans are ignored.
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    events: Arc<Mutex<Vec<Recorded>>>,
    /// The status page's ring (`--status`), given the runtime's events too.
    status: Option<resilience::status::Events>,
}

impl Recorder {
    /// Also hands every event to `ring`, the status page's (a hand-written `Subscriber`
    /// cannot stack the ring as a layer, so it calls [`Events::record`]).
    ///
    /// [`Events::record`]: resilience::status::Events::record
    pub fn feeding(mut self, ring: resilience::status::Events) -> Self {
        self.status = Some(ring);
        self
    }

    /// The events recorded since the last call, oldest first.
    pub fn take(&self) -> Vec<Recorded> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        TARGETS.contains(&metadata.target())
    }

    fn event(&self, event: &Event<'_>) {
        if let Some(ring) = &self.status {
            ring.record(event);
        }
        let mut recorded = Recorded {
            at: Instant::now(),
            target: event.metadata().target(),
            message: String::new(),
            fields: Vec::new(),
        };
        event.record(&mut recorded);
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(recorded);
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

impl Visit for Recorded {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.fields.push((field.name(), format!("{value:?}")));
        }
    }
}

/// Reads `Duration`'s `Debug` form back: a decimal number, then `s`, `ms`, `µs` or `ns`.
fn parse_duration(text: &str) -> Option<Duration> {
    let unit_at = text.find(|c: char| !c.is_ascii_digit() && c != '.')?;
    let (number, unit) = text.split_at(unit_at);
    let nanos_per_unit: u64 = match unit {
        "s" => 1_000_000_000,
        "ms" => 1_000_000,
        "µs" => 1_000,
        "ns" => 1,
        _ => return None,
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let mut nanos = whole.parse::<u64>().ok()?.checked_mul(nanos_per_unit)?;
    let mut scale = nanos_per_unit;
    for digit in fraction.bytes() {
        scale /= 10;
        nanos += u64::from(digit - b'0') * scale;
    }
    Some(Duration::from_nanos(nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_back_from_debug() {
        for d in [
            Duration::ZERO,
            Duration::from_nanos(7),
            Duration::from_micros(1500),
            Duration::from_millis(300),
            Duration::from_nanos(312_345_678),
            Duration::from_millis(1500),
            Duration::from_secs(60),
        ] {
            assert_eq!(parse_duration(&format!("{d:?}")), Some(d), "{d:?}");
        }
        assert_eq!(parse_duration("soon"), None);
    }
}
