//! Capturing the `tracing` events a test emits.
//!
//! One recording subscriber is installed as the global default, once, and stays. A
//! thread-scoped `tracing::subscriber::set_default` per test is not reliable when tests run
//! in parallel: tracing caches each callsite's interest globally, so a test that fires a
//! callsite while no subscriber is interested can cache `Interest::never` for it just after
//! another test registered its scoped subscriber, and that test silently loses the event
//! (about 1 run in 10 in `tests/retry.rs` once).
//!
//! The global recorder only records for threads that joined a [`Capture`]:
//!
//! - [`capture`] / [`capture_async`]: the events of the current thread (or of the future,
//!   wherever it is polled) while a closure or future runs. Enough whenever the policy runs
//!   on the test's thread, as it does under the current-thread runtime of `#[tokio::test]`.
//! - [`Capture::new`] + [`Capture::enter`] on every thread that should report into it (or
//!   [`Capture::instrument`] for a future), then [`Capture::events`]: events from several
//!   threads in one buffer, and none from threads of other tests.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Once, PoisonError};
use std::task::{Context, Poll};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Level, Metadata, Subscriber};

/// One recorded event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub level: Level,
    pub target: String,
    /// The event's message (its `message` field), empty if it has none.
    pub message: String,
    /// The other fields: `str` values as they are, everything else as `Debug` renders it
    /// (so `%x` fields as `Display` renders them).
    pub fields: BTreeMap<String, String>,
}

impl Event {
    /// The value of field `name`, if the event has it.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// `"LEVEL target: message k1=v1 k2=v2"`, fields in name order.
    pub fn render(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.level, self.target, self.message)?;
        for (name, value) in &self.fields {
            write!(f, " {name}={value}")?;
        }
        Ok(())
    }
}

type Sink = Arc<Mutex<Vec<Event>>>;

thread_local! {
    /// Where this thread's events go, if anywhere.
    static SINK: RefCell<Option<Sink>> = const { RefCell::new(None) };
}

/// A buffer that threads join to have their events recorded into it.
#[derive(Clone, Debug)]
pub struct Capture(Sink);

impl Capture {
    /// An empty buffer; installs the global recorder if it is not yet installed.
    pub fn new() -> Self {
        init();
        Capture(Sink::default())
    }

    /// Records this thread's events into this buffer until the guard drops (then the thread
    /// records wherever it did before).
    #[must_use = "events are recorded only while the guard lives"]
    pub fn enter(&self) -> Entered {
        let previous = SINK.replace(Some(self.0.clone()));
        Entered { previous }
    }

    /// Records into this buffer the events `fut` emits while it is polled, on whatever
    /// thread polls it.
    pub fn instrument<F: Future>(&self, fut: F) -> Instrumented<F> {
        Instrumented {
            capture: self.clone(),
            fut: Box::pin(fut),
        }
    }

    /// The events recorded so far, in order.
    pub fn events(&self) -> Vec<Event> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Default for Capture {
    fn default() -> Self {
        Self::new()
    }
}

/// Returned by [`Capture::enter`].
pub struct Entered {
    previous: Option<Sink>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        SINK.set(self.previous.take());
    }
}

/// Returned by [`Capture::instrument`].
pub struct Instrumented<F> {
    capture: Capture,
    fut: Pin<Box<F>>,
}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _entered = self.capture.enter();
        self.fut.as_mut().poll(cx)
    }
}

/// Runs `f` and returns what it returned with the events this thread emitted meanwhile.
pub fn capture<T>(f: impl FnOnce() -> T) -> (T, Vec<Event>) {
    let capture = Capture::new();
    let out = {
        let _entered = capture.enter();
        f()
    };
    (out, capture.events())
}

/// Runs `fut` and returns its output with the events it emitted while polled.
pub async fn capture_async<F: Future>(fut: F) -> (F::Output, Vec<Event>) {
    let capture = Capture::new();
    let out = capture.instrument(fut).await;
    (out, capture.events())
}

/// Installs the recorder as the global default, once.
///
/// `Capture::new` calls this, so a test does not need to, but a test file may call it first
/// in every test to rule out the one remaining race (see below) entirely.
pub fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        tracing::subscriber::set_global_default(Recorder)
            .expect("no other global subscriber in the tests");
    });
    // A callsite that another thread registered while the global default was being set
    // may have cached `Interest::never` (no subscriber yet): recompute every callsite's
    // interest now that the recorder is in place. Cheap, and then nothing stays disabled.
    tracing::callsite::rebuild_interest_cache();
}

/// The global subscriber: hands each event to the current thread's sink, if any.
struct Recorder;

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let Some(sink) = SINK.with_borrow(Clone::clone) else {
            return;
        };
        let meta = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        let event = Event {
            level: *meta.level(),
            target: meta.target().to_owned(),
            message: fields.message,
            fields: fields.others,
        };
        sink.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[derive(Default)]
struct Fields {
    message: String,
    others: BTreeMap<String, String>,
}

impl Fields {
    fn put(&mut self, field: &Field, value: String) {
        match field.name() {
            "message" => self.message = value,
            name => {
                self.others.insert(name.to_owned(), value);
            }
        }
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.to_owned());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, format!("{value:?}"));
    }
}
