//! Helpers of the named-policy tests: the warnings a test saw, and when calls started.

use std::sync::{Arc, Mutex};

/// Warning messages (target `resilience`) emitted on this thread while alive.
pub fn warnings() -> (Arc<Mutex<Vec<String>>>, tracing::subscriber::DefaultGuard) {
    use tracing_subscriber::layer::SubscriberExt;

    struct Capture(Arc<Mutex<Vec<String>>>);
    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            struct Message(String);
            impl tracing::field::Visit for Message {
                fn record_debug(
                    &mut self,
                    field: &tracing::field::Field,
                    value: &dyn std::fmt::Debug,
                ) {
                    if field.name() == "message" {
                        self.0 = format!("{value:?}");
                    }
                }
            }
            if *event.metadata().level() == tracing::Level::WARN
                && event.metadata().target() == "resilience"
            {
                let mut message = Message(String::new());
                event.record(&mut message);
                self.0.lock().unwrap().push(message.0);
            }
        }
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let subscriber = tracing_subscriber::registry().with(Capture(seen.clone()));
    (seen, tracing::subscriber::set_default(subscriber))
}

/// When each call started, in seconds after the first; `take` clears it.
pub struct Record(pub Mutex<Vec<tokio::time::Instant>>);

impl Record {
    pub fn hit(&self) {
        self.0.lock().unwrap().push(tokio::time::Instant::now());
    }

    pub fn take(&self) -> Vec<f64> {
        let at = std::mem::take(&mut *self.0.lock().unwrap());
        at.iter().map(|t| (*t - at[0]).as_secs_f64()).collect()
    }
}
