//! Property test of a stream call against a plain reference model: random scripts of
//! items (each after a delay, `Ok` or `Err`) ending in an end or a stall, random `first`
//! and `idle`, on tokio's paused clock. What the caller reads (the call's answer, then
//! every item, each with the instant it arrived) is exactly what the model says:
//!
//! - the call is answered by the first item if it arrives within `first` (an item due at
//!   the deadline's instant wins, as with `tokio::time::timeout`), else fails with
//!   `TimedOut(first)` at `first`; an `Err` first item is the call's failure, an empty
//!   stream is `EmptyStream`;
//! - then every item arrives in order, none lost or repeated, `Err` items included, until
//!   a gap longer than `idle` ends the stream with one `TimedOut(idle)` at the gap's
//!   start plus `idle`, or the stream ends.
mod support;

use std::time::Duration;

use futures_util::StreamExt;
use proptest::prelude::*;
use resilience_core::TimedOut;
use resilience_core::stream::{EmptyStream, StreamPolicy, first_item};
use support::script::{Line, Script};
use tokio::time::Instant;

#[derive(Clone, Debug, PartialEq)]
enum ApiError {
    Item(u32),
    Timeout(Duration),
    Empty,
}

impl From<TimedOut> for ApiError {
    fn from(e: TimedOut) -> Self {
        ApiError::Timeout(e.after())
    }
}
impl From<EmptyStream> for ApiError {
    fn from(_: EmptyStream) -> Self {
        ApiError::Empty
    }
}

type Item = Result<u32, ApiError>;

/// What the caller sees, with the instant (ms since the call) of each.
#[derive(Debug, PartialEq)]
struct Seen {
    answer: (Result<(), ApiError>, u64),
    items: Vec<(Item, u64)>,
}

fn model(events: &[(u64, Item)], stalls: bool, first: u64, idle: u64) -> Seen {
    let Some(((d0, item0), rest)) = events.split_first() else {
        let answer = if stalls {
            (Err(ApiError::Timeout(Duration::from_millis(first))), first)
        } else {
            (Err(ApiError::Empty), 0)
        };
        return Seen {
            answer,
            items: vec![],
        };
    };
    if *d0 > first {
        let timeout = Err(ApiError::Timeout(Duration::from_millis(first)));
        return Seen {
            answer: (timeout, first),
            items: vec![],
        };
    }
    if let Err(err) = item0 {
        return Seen {
            answer: (Err(err.clone()), *d0),
            items: vec![],
        };
    }
    let mut now = *d0;
    let mut items = vec![(item0.clone(), now)];
    let idle_error = || Err(ApiError::Timeout(Duration::from_millis(idle)));
    for (delay, item) in rest {
        if *delay > idle {
            items.push((idle_error(), now + idle));
            return Seen {
                answer: (Ok(()), *d0),
                items,
            };
        }
        now += delay;
        items.push((item.clone(), now));
    }
    if stalls {
        items.push((idle_error(), now + idle));
    }
    Seen {
        answer: (Ok(()), *d0),
        items,
    }
}

fn run(events: &[(u64, Item)], stalls: bool, first: u64, idle: u64) -> Seen {
    let mut lines: Vec<Line<Item>> = events
        .iter()
        .map(|(delay, item)| Line::After(Duration::from_millis(*delay), item.clone()))
        .collect();
    if stalls {
        lines.push(Line::Stall);
    }
    let policy = StreamPolicy::builder()
        .first(Duration::from_millis(first))
        .idle(Duration::from_millis(idle))
        .build()
        .unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
        .block_on(async {
            let start = Instant::now();
            let ms = || u64::try_from(start.elapsed().as_millis()).unwrap();
            let (script, _) = Script::new(lines);
            let mut stream = match first_item(async { Ok(script) }, &policy).await {
                Ok(stream) => stream,
                Err(err) => {
                    return Seen {
                        answer: (Err(err), ms()),
                        items: vec![],
                    };
                }
            };
            let answer = (Ok(()), ms());
            let mut items = Vec::new();
            while let Some(item) = stream.next().await {
                items.push((item, ms()));
            }
            Seen { answer, items }
        })
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![4 => any::<u32>().prop_map(Ok), 1 => any::<u32>().prop_map(|n| Err(ApiError::Item(n)))]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_caller_reads_what_the_model_says(
        events in prop::collection::vec((prop_oneof![0u64..=2500, Just(1000), Just(2000)], item()), 0..8),
        stalls: bool,
        first in prop_oneof![Just(1000u64), Just(2000)],
        idle in prop_oneof![Just(1000u64), Just(2000)],
    ) {
        prop_assert_eq!(run(&events, stalls, first, idle), model(&events, stalls, first, idle));
    }
}
