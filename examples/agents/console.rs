//! Output: sections, timestamps on the simulated clock, colours and symbols only on a
//! terminal, and the runtime's retry events turned into "Attempt 1: Failed → Retry in
//! 1.0s" lines.
//!
//! Nothing here is about resilience; it is the example's printing, kept out of the way of
//! the story in `main.rs`. The one part worth reading is [`RetryEvents`]: how to watch
//! what `#[retry]` decides, through its `tracing` events.

use std::fmt::{self, Display};
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// Where the example writes: stdout, or a buffer (for `tests/example_agents.rs`).
///
/// Cheap to clone: clones share one sink, so the retry-event printer and the story write
/// into the same stream, in order.
#[derive(Clone)]
pub struct Console {
    inner: Arc<Inner>,
}

struct Inner {
    sink: Mutex<Sink>,
    /// Colours and symbols: only when stdout is a terminal (and `NO_COLOR` is unset).
    styled: bool,
    /// The instant timestamps count from, on tokio's (paused) clock.
    start: Instant,
}

enum Sink {
    Stdout,
    Buffer(String),
}

/// What a piece of text says, for its colour and symbol.
#[derive(Clone, Copy)]
pub enum Tone {
    Good,
    Bad,
    Blocked,
    Note,
}

impl Console {
    /// Writes to stdout, styled if stdout is a terminal. Call it inside the runtime: the
    /// timestamps count from here, on tokio's clock.
    pub fn stdout() -> Self {
        let styled = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Self::new(Sink::Stdout, styled)
    }

    /// Collects the output, unstyled, for [`text`](Self::text).
    #[allow(dead_code)] // used by tests/example_agents.rs
    pub fn capture() -> Self {
        Self::new(Sink::Buffer(String::new()), false)
    }

    fn new(sink: Sink, styled: bool) -> Self {
        Self {
            inner: Arc::new(Inner {
                sink: Mutex::new(sink),
                styled,
                start: Instant::now(),
            }),
        }
    }

    /// Everything written so far to a [`capture`](Self::capture) console.
    #[allow(dead_code)] // used by tests/example_agents.rs
    pub fn text(&self) -> String {
        match &*self.inner.sink.lock().unwrap() {
            Sink::Buffer(text) => text.clone(),
            Sink::Stdout => String::new(),
        }
    }

    /// One line of text.
    pub fn say(&self, text: impl Display) {
        let mut sink = self.inner.sink.lock().unwrap();
        match &mut *sink {
            Sink::Stdout => {
                let _ = writeln!(std::io::stdout().lock(), "{text}");
            }
            Sink::Buffer(buffer) => {
                use fmt::Write as _;
                let _ = writeln!(buffer, "{text}");
            }
        }
    }

    /// One line, after the simulated time since the start (`mm:ss.s`).
    pub fn at(&self, text: impl Display) {
        let now = self.clock();
        self.say(format_args!("{now}  {text}"));
    }

    /// An empty line.
    pub fn blank(&self) {
        self.say("");
    }

    /// A section title.
    pub fn section(&self, title: &str) {
        self.blank();
        let width = title.chars().count() + 4;
        if self.inner.styled {
            let rule = "═".repeat(width);
            self.say(format_args!("\x1b[1;36m{rule}\n  {title}\n{rule}\x1b[0m"));
        } else {
            let rule = "=".repeat(width);
            self.say(format_args!("{rule}\n  {title}\n{rule}"));
        }
    }

    /// `text` in the colour of its tone, with the tone's symbol before it, on a terminal;
    /// plain `text` otherwise.
    pub fn paint(&self, tone: Tone, text: impl Display) -> String {
        if !self.inner.styled {
            return text.to_string();
        }
        let (colour, symbol) = match tone {
            Tone::Good => ("32", "✅ "),
            Tone::Bad => ("31", "❌ "),
            Tone::Blocked => ("33", "⛔ "),
            Tone::Note => ("2", ""),
        };
        format!("{symbol}\x1b[{colour}m{text}\x1b[0m")
    }

    /// `text` in bold on a terminal.
    pub fn bold(&self, text: impl Display) -> String {
        if self.inner.styled {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// The simulated time since the start, as `mm:ss.s`, dimmed on a terminal.
    fn clock(&self) -> String {
        let elapsed = self.inner.start.elapsed().as_secs_f64();
        let minutes = (elapsed / 60.0).floor();
        let text = format!("{:02}:{:04.1}", minutes as u64, elapsed - minutes * 60.0);
        self.paint(Tone::Note, text)
    }
}

/// Seconds with one decimal, the exercise's way: `1.0s`, `2.5s`.
pub fn secs(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}

/// Prints `#[retry]`'s decisions as they happen, from its `tracing` events (target
/// `resilience`): "retry scheduled" (fields `attempt`, `delay`, `server_delay`, `error`)
/// before each wait, "giving up" (`attempt`, `reason`, `error`) and "retry budget
/// exhausted" (`attempt`, `budget`, `error`) when it stops; and `#[hedge]`'s "hedging"
/// and "hedge won" (`copy`, `by`).
///
/// Any `tracing` subscriber sees the same events, and the others the runtime emits
/// (breaker transitions and rejections, timeouts, fallbacks served): a
/// `tracing_subscriber::fmt()` subscriber filtered on `resilience=debug` prints them all as
/// log lines.
pub struct RetryEvents {
    console: Console,
}

impl RetryEvents {
    pub fn new(console: Console) -> Self {
        Self { console }
    }
}

impl<S: Subscriber> Layer<S> for RetryEvents {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != "resilience" {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let console = &self.console;
        let failed = console.paint(Tone::Bad, "Failed");
        let (attempt, error) = (fields.attempt, &fields.error);
        match fields.message.as_str() {
            "retry scheduled" => {
                let honoured = if fields.server_delay {
                    " (the server's Retry-After)"
                } else {
                    ""
                };
                console.at(format_args!(
                    "    Attempt {attempt}: {failed} ({error}) → Retry in {}{honoured}",
                    fields.delay
                ));
            }
            "retry budget exhausted" if attempt > 0 => {
                console.at(format_args!(
                    "    Attempt {attempt}: {failed} ({error}) → not retried: the retry budget is spent"
                ));
            }
            "hedging" => {
                let by = &fields.by;
                console.at(format_args!(
                    "    No answer yet → call {} ({by}) too",
                    fields.copy + 1
                ));
            }
            "hedge won" => {
                let by = &fields.by;
                console.at(format_args!(
                    "    {by} answered first → the other call is dropped"
                ));
            }
            "giving up" => {
                let why = match fields.reason.as_str() {
                    "error is not retryable" => "not retried: the error is not retryable",
                    other => other,
                };
                console.at(format_args!(
                    "    Attempt {attempt}: {failed} ({error}) → {why}"
                ));
            }
            _ => {}
        }
    }
}

/// The fields of one event, as text.
#[derive(Default)]
struct Fields {
    message: String,
    attempt: u64,
    delay: String,
    server_delay: bool,
    error: String,
    reason: String,
    /// `#[hedge]`'s events: which copy (0 the first), calling whom.
    copy: u64,
    by: String,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        match field.name() {
            "message" => self.message = text,
            // `Duration`'s Debug (`1s`, `1.5s`, `500ms`), shown the exercise's way.
            "delay" => self.delay = parse_duration(&text).map_or(text, secs),
            "error" => self.error = text,
            "reason" => self.reason = text.trim_matches('"').to_owned(),
            _ => {}
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "reason" => self.reason = value.to_owned(),
            "by" => self.by = value.to_owned(),
            _ => self.record_debug(field, &value),
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "attempt" => self.attempt = value,
            "copy" => self.copy = value,
            _ => self.record_debug(field, &value),
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        match field.name() {
            "server_delay" => self.server_delay = value,
            _ => self.record_debug(field, &value),
        }
    }
}

/// Reads `Duration`'s Debug output back (`1s`, `1.5s`, `500ms`, `20µs`, `7ns`).
fn parse_duration(text: &str) -> Option<Duration> {
    let units = [
        ("ns", 1e-9),
        ("µs", 1e-6),
        ("us", 1e-6),
        ("ms", 1e-3),
        ("s", 1.0),
    ];
    units.iter().find_map(|(unit, scale)| {
        let number: f64 = text.strip_suffix(unit)?.parse().ok()?;
        Some(Duration::from_secs_f64(number * scale))
    })
}
