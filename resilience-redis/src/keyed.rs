//! Keyed breakers (`#[circuit(key = model)]`'s members) shared by the fleet, key by key.
//!
//! A function's breaker lives for good, so it gets a watcher that publishes each open
//! period the moment it starts (`breaker.rs`). A key's breaker may be evicted when idle,
//! so nothing here holds one: at each poll the fleet visits the keyed breakers alive now
//! ([`registry::for_each_keyed_circuit`]), publishes the open periods their own outcomes
//! started since the last poll, reads their keys with the function breakers' (one
//! round trip), and opens each closed one for what another replica's period has left
//! ([`registry::with_keyed_circuit`]). A replica that has not called a key yet has no
//! breaker for it: the first call makes one, closed, and the next poll advises it.
//!
//! [`registry::for_each_keyed_circuit`]: resilience_core::registry::for_each_keyed_circuit
//! [`registry::with_keyed_circuit`]: resilience_core::registry::with_keyed_circuit

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use resilience_core::circuit::{CircuitBreaker, State};
use resilience_core::registry;
use tokio::time::Instant;

/// Two deadlines closer than this are one open period seen at two polls.
const SAME_PERIOD: Duration = Duration::from_millis(50);

/// One keyed breaker as a poll saw it.
pub(crate) struct Seen {
    pub(crate) name: String,
    /// Its open period, when its own outcomes opened it and it is not published yet.
    pub(crate) to_publish: Option<Duration>,
}

/// What this replica told and heard of the keyed breakers' keys: the open periods it
/// published, to publish each once, and the keys holding a value no replica wrote, to
/// say so once.
#[derive(Default)]
pub(crate) struct Keyed {
    /// The end of the last period published, per breaker name.
    published: HashMap<String, Instant>,
    /// Breakers whose key held a value no replica wrote at the last look.
    foreign: HashSet<String>,
}

impl Keyed {
    /// The keyed breakers alive now, each with the open period to publish, if any.
    pub(crate) fn look(&mut self) -> Vec<Seen> {
        let now = Instant::now();
        let mut seen = Vec::new();
        registry::for_each_keyed_circuit(|breaker| {
            let to_publish = own_open_period(breaker).filter(|left| {
                let until = now + *left;
                match self.published.get(breaker.name()) {
                    Some(published) => until.saturating_duration_since(*published) > SAME_PERIOD,
                    None => true,
                }
            });
            seen.push(Seen {
                name: breaker.name().to_owned(),
                to_publish,
            });
        });
        // What ended, or was evicted, no longer needs remembering.
        self.published.retain(|_, until| *until > now);
        self.foreign
            .retain(|name| seen.iter().any(|alive| alive.name == *name));
        seen
    }

    /// Whether `name`'s key was reported holding a value no replica wrote.
    pub(crate) fn foreign(&self, name: &str) -> bool {
        self.foreign.contains(name)
    }

    /// Records whether `name`'s key holds a value no replica wrote (reported).
    pub(crate) fn set_foreign(&mut self, name: &str, foreign: bool) {
        if foreign {
            self.foreign.insert(name.to_owned());
        } else {
            self.foreign.remove(name);
        }
    }

    /// `name`'s period of `left` from now is published.
    pub(crate) fn published(&mut self, name: &str, left: Duration) {
        self.published
            .insert(name.to_owned(), Instant::now() + left);
    }
}

/// What is left of an open period `breaker`'s own outcomes started (not one it was
/// advised: no replica extends another's by echoing it).
pub(crate) fn own_open_period(breaker: &CircuitBreaker) -> Option<Duration> {
    if breaker.state() != State::Open || breaker.opened_by_advice() {
        return None;
    }
    breaker.open_remaining().filter(|left| !left.is_zero())
}

/// Opens the keyed breaker `name`, if it is alive and closed, for `left`; whether it
/// did.
pub(crate) fn advise(name: &str, left: Duration) -> bool {
    registry::with_keyed_circuit(name, |breaker| {
        breaker.state() == State::Closed && breaker.open_for(left)
    })
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroUsize;

    use resilience_core::circuit::{Breakers, Scope};

    use super::*;

    static MODELS: Breakers = Breakers::new(
        match CircuitBreaker::builder()
            .name("keyed-test")
            .threshold(1)
            .recovery(Duration::from_secs(30))
            .build()
        {
            Ok(breaker) => breaker,
            Err(_) => panic!(),
        },
        Scope::PerKey,
        NonZeroUsize::new(4).unwrap(),
    );

    #[tokio::test(start_paused = true)]
    async fn an_own_open_period_is_published_once_and_advice_opens_a_closed_key() {
        registry::register(&MODELS);
        let mut keyed = Keyed::default();
        MODELS
            .for_key("gpt-4")
            .unwrap()
            .try_acquire()
            .unwrap()
            .failure();
        drop(MODELS.for_key("claude"));
        let look = |keyed: &mut Keyed| {
            let mut seen: Vec<(String, Option<Duration>)> = keyed
                .look()
                .into_iter()
                .map(|s| (s.name, s.to_publish))
                .collect();
            seen.sort();
            seen
        };
        assert_eq!(
            look(&mut keyed),
            [
                ("keyed-test/claude".to_owned(), None),
                ("keyed-test/gpt-4".to_owned(), Some(Duration::from_secs(30))),
            ]
        );
        keyed.published("keyed-test/gpt-4", Duration::from_secs(30));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(
            look(&mut keyed)[1],
            ("keyed-test/gpt-4".to_owned(), None),
            "published once"
        );

        // Another replica's period: a closed key opens for what is left, once; an open
        // one or a key this replica has no breaker for is left alone.
        assert!(advise("keyed-test/claude", Duration::from_secs(5)));
        assert!(!advise("keyed-test/claude", Duration::from_secs(5)));
        assert!(!advise("keyed-test/gpt-4", Duration::from_secs(5)));
        assert!(!advise("keyed-test/mistral", Duration::from_secs(5)));
        let claude = MODELS.for_key("claude").unwrap();
        assert_eq!(claude.state(), State::Open);
        assert_eq!(
            own_open_period(&claude),
            None,
            "advice is not published back"
        );
    }
}
