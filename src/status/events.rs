//! The last resilience events, in a bounded ring: what the status page lists under
//! "events".
//!
//! Every layer already emits `tracing` events (target `resilience`: a breaker's
//! transitions and rejections, retries scheduled, fallbacks served, time-outs), so the
//! ring is fed by a [`tracing_subscriber::Layer`] rather than by a hook of its own: no
//! new code on the call path, and nothing at all when the layer is not installed. A
//! service with a `Subscriber` of its own (not built from layers) calls
//! [`Events::record`] from its `event` method instead.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// The target of the runtime's events.
const TARGET: &str = "resilience";

/// The last `capacity` resilience events (target `resilience`) at `INFO` or above (a
/// breaker's transitions, retries scheduled, fallbacks served, time-outs, giving up;
/// [`with_level`](Self::with_level) for more), oldest dropped first. Cheap to clone:
/// clones share one ring. Install it as a layer, and give it to
/// [`StatusPage::events`](super::StatusPage::events):
///
/// ```
/// use resilience::status::{Events, StatusPage};
/// use tracing_subscriber::prelude::*;
///
/// let events = Events::new(100);
/// let _guard = tracing_subscriber::registry().with(events.clone()).set_default();
/// let app: axum::Router = StatusPage::new().events(&events).router();
/// # let _ = app;
/// ```
#[derive(Clone)]
pub struct Events {
    ring: Arc<Mutex<Ring>>,
    /// The most verbose level recorded.
    level: Level,
}

struct Ring {
    capacity: usize,
    /// Events recorded so far, also the next one's `seq`.
    seen: u64,
    kept: VecDeque<Recorded>,
}

/// One event as the ring keeps it.
///
/// ```
/// use resilience::status::Events;
/// use tracing_subscriber::prelude::*;
///
/// let events = Events::new(10);
/// let _guard = tracing_subscriber::registry().with(events.clone()).set_default();
/// tracing::info!(target: "resilience", name = "gpt4", to = "open", "circuit breaker state changed");
/// let recorded = &events.recent()[0];
/// assert_eq!(recorded.message, "circuit breaker state changed");
/// assert_eq!(recorded.field("to"), Some("open"));
/// assert_eq!(recorded.level, "INFO");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// Its number, from 0 for the first event the ring saw: the page shows which are
    /// new, and a gap says events were dropped between two polls.
    pub seq: u64,
    /// Wall-clock time it was recorded, in milliseconds since the Unix epoch (for people
    /// reading the page; the runtime's own instants are on tokio's clock).
    pub unix_ms: u64,
    /// `ERROR`, `WARN`, `INFO`, `DEBUG` or `TRACE`.
    pub level: &'static str,
    /// What happened: `circuit breaker state changed`, `retry scheduled`, ...
    pub message: String,
    /// The other fields in order, as they print (`("delay", "300ms")`).
    pub fields: Vec<(&'static str, String)>,
}

impl Recorded {
    /// The field `name`, as it prints.
    ///
    /// ```
    /// # use resilience::status::Recorded;
    /// let event = Recorded { seq: 0, unix_ms: 0, level: "INFO", message: "m".into(), fields: vec![("a", "1".into())] };
    /// assert_eq!(event.field("a"), Some("1"));
    /// assert_eq!(event.field("b"), None);
    /// ```
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, value)| value.as_str())
    }
}

impl Events {
    /// A ring that keeps the last `capacity` events (at least one) at `INFO` or above.
    /// The per-call `DEBUG` events (each call a breaker or a limiter refuses) are left
    /// out: in an outage they would push the transitions out of the ring at once.
    ///
    /// ```
    /// use resilience::status::Events;
    /// use tracing_subscriber::prelude::*;
    ///
    /// let events = Events::new(50);
    /// let _guard = tracing_subscriber::registry().with(events.clone()).set_default();
    /// tracing::debug!(target: "resilience", "circuit breaker rejected a call");
    /// tracing::info!(target: "resilience", "circuit breaker state changed");
    /// assert_eq!(events.recent().len(), 1);
    /// ```
    pub fn new(capacity: usize) -> Self {
        Self::with_level(capacity, Level::INFO)
    }

    /// A ring that keeps the last `capacity` events at `level` or above (`DEBUG` adds
    /// every refused call).
    ///
    /// ```
    /// use resilience::status::Events;
    /// use tracing_subscriber::prelude::*;
    ///
    /// let events = Events::with_level(50, tracing::Level::DEBUG);
    /// let _guard = tracing_subscriber::registry().with(events.clone()).set_default();
    /// tracing::debug!(target: "resilience", "circuit breaker rejected a call");
    /// assert_eq!(events.recent().len(), 1);
    /// ```
    pub fn with_level(capacity: usize, level: Level) -> Self {
        let capacity = capacity.max(1);
        Events {
            ring: Arc::new(Mutex::new(Ring {
                capacity,
                seen: 0,
                kept: VecDeque::with_capacity(capacity),
            })),
            level,
        }
    }

    /// Records `event` if it is the runtime's (target `resilience`) and at the ring's
    /// level or above; ignores it otherwise. For a hand-written `Subscriber`; a layered one installs the ring as a
    /// layer instead.
    ///
    /// ```
    /// use resilience::status::Events;
    ///
    /// struct Mine(Events);
    /// impl tracing::Subscriber for Mine {
    ///     fn enabled(&self, _: &tracing::Metadata<'_>) -> bool { true }
    ///     fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id { tracing::span::Id::from_u64(1) }
    ///     fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    ///     fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    ///     fn event(&self, event: &tracing::Event<'_>) { self.0.record(event) }
    ///     fn enter(&self, _: &tracing::span::Id) {}
    ///     fn exit(&self, _: &tracing::span::Id) {}
    /// }
    ///
    /// let events = Events::new(10);
    /// tracing::subscriber::with_default(Mine(events.clone()), || {
    ///     tracing::warn!(target: "resilience", "giving up");
    ///     tracing::warn!(target: "my_app", "not recorded");
    /// });
    /// assert_eq!(events.recent().len(), 1);
    /// ```
    pub fn record(&self, event: &Event<'_>) {
        let metadata = event.metadata();
        // `Level` orders by verbosity: ERROR < WARN < INFO < DEBUG < TRACE.
        if metadata.target() != TARGET || *metadata.level() > self.level {
            return;
        }
        let mut visitor = Fields::default();
        event.record(&mut visitor);
        let unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let mut ring = self.lock();
        let seq = ring.seen;
        ring.seen += 1;
        if ring.kept.len() == ring.capacity {
            ring.kept.pop_front();
        }
        ring.kept.push_back(Recorded {
            seq,
            unix_ms,
            level: metadata.level().as_str(),
            message: visitor.message,
            fields: visitor.fields,
        });
    }

    /// The events kept, oldest first.
    ///
    /// ```
    /// use resilience::status::Events;
    /// use tracing_subscriber::prelude::*;
    ///
    /// let events = Events::new(2);
    /// let _guard = tracing_subscriber::registry().with(events.clone()).set_default();
    /// for n in 0..3 {
    ///     tracing::info!(target: "resilience", n, "tick");
    /// }
    /// let seqs: Vec<u64> = events.recent().iter().map(|e| e.seq).collect();
    /// assert_eq!(seqs, [1, 2]); // the first one was dropped
    /// ```
    pub fn recent(&self) -> Vec<Recorded> {
        self.lock().kept.iter().cloned().collect()
    }

    /// How many events the ring keeps at most.
    ///
    /// ```
    /// assert_eq!(resilience::status::Events::new(7).capacity(), 7);
    /// ```
    pub fn capacity(&self) -> usize {
        self.lock().capacity
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        // Nothing panics while the lock is held; a poisoned ring is still a valid ring.
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ring = self.lock();
        f.debug_struct("Events")
            .field("capacity", &ring.capacity)
            .field("kept", &ring.kept.len())
            .field("seen", &ring.seen)
            .field("level", &self.level)
            .finish()
    }
}

/// Records the runtime's events. It filters in `on_event`, not in `enabled`: a layer's
/// `enabled` decides for the whole subscriber, and would hide other targets from the
/// service's other layers.
impl<S: Subscriber> Layer<S> for Events {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        self.record(event);
    }
}

/// An event's message and other fields, as they print.
#[derive(Default)]
struct Fields {
    message: String,
    fields: Vec<(&'static str, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            self.fields.push((field.name(), value.to_owned()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let value = format!("{value:?}");
        if field.name() == "message" {
            self.message = value;
        } else {
            self.fields.push((field.name(), value));
        }
    }
}
