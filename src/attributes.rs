//! The attributes, re-exported with their user documentation.

/// Retries the function when it returns `Err`.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `attempts = N` | total calls, the first included; `attempts = 1` never retries | `3` |
/// | `backoff = "exp" \| "fixed" \| "linear"` | delay before retry n: `base * factor^(n-1)`, `base`, `base * n` | `"exp"` |
/// | `base = DUR` | the first delay | `1s` |
/// | `factor = F` | growth of `"exp"` (at least 1.0) | `2.0` |
/// | `max = DUR` | cap on any single delay | `10s` |
/// | `jitter = "none" \| "full" \| "equal" \| "decorrelated"` | randomisation of each delay (AWS's definitions) | `"full"` |
/// | `seed = N` | seed of the jitter, for reproducible delays in tests and demos | random per call |
/// | `max_elapsed = DUR` | a delay that would end later than this after the first attempt started is not taken | none |
/// | `on = PATTERN` | retry only errors matching the pattern | every `Err` |
/// | `when = PATH` | retry only errors for which `fn(&E) -> bool` says true (excludes `on`) | |
/// | `retry_after = PATH` | `fn(&E) -> Option<Duration>`: a delay the server asked for replaces that one delay; longer than `max` gives up at once | |
/// | `budget = "name"` / `budget = EXPR` | pay for each retry out of a [`RetryBudget`](crate::RetryBudget): by name (shared by every function naming it, made with the defaults on first use unless one was registered under that name) or an `&RetryBudget`; when it is spent, give up with the last error | no budget |
/// | `policy = EXPR` | an existing `&RetryPolicy` (built at run time, per instance: `&self.policy`); excludes the keys that build one | one policy per function, in a `static` |
/// | `policy = "name"` | (feature `config`) the loaded file's `[name.retry]` over these keys, re-read after each load (see `resilience::named`) | |
/// | `crate = PATH` | where the runtime lives | `::resilience` |
///
/// Durations are literals with a unit (`250ms`, `10s`, `1.5s`, `2m`, `1h`, `500us`) or
/// any `const`-evaluable `Duration` expression. The error that is not retried, or the
/// last one, is returned unchanged; `?` in the body is retried like any other `Err`,
/// and `return` returns from the attempt. Works on `async fn` and on blocking `fn`
/// (which sleeps with `std::thread::sleep`). `E` must implement `Debug` (it is logged
/// in the "retry scheduled" event).
///
/// ```
/// use std::time::Duration;
/// use resilience::retry;
///
/// #[derive(Debug, PartialEq)]
/// enum ApiError { Network, RateLimited(Duration), Malformed }
///
/// fn server_delay(e: &ApiError) -> Option<Duration> {
///     match e { ApiError::RateLimited(d) => Some(*d), _ => None }
/// }
///
/// #[retry(attempts = 4, base = 1s, max = 10s, jitter = "none",
///         on = ApiError::Network | ApiError::RateLimited(_), retry_after = server_delay)]
/// async fn complete(prompt: &str, calls: &mut u32) -> Result<String, ApiError> {
///     *calls += 1;
///     match *calls {
///         1 => Err(ApiError::RateLimited(Duration::from_secs(3))),
///         2 => Err(ApiError::Network),
///         _ => Ok(format!("answer to {prompt}")),
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let start = tokio::time::Instant::now();
/// let mut calls = 0;
/// assert_eq!(complete("q", &mut calls).await.unwrap(), "answer to q");
/// // 3s asked by the server, then 2s from the schedule (retry 2).
/// assert_eq!((calls, start.elapsed()), (3, Duration::from_secs(5)));
/// # }
/// ```
///
/// # Retry budgets
///
/// With `budget`, every call counts a first attempt and every retry must be paid for:
/// retries may add 20 % of the first attempts of the last 10 s, plus 10 per second
/// whatever the traffic (the defaults of [`RetryBudget`](crate::RetryBudget)), so a
/// fleet of clients cannot multiply an outage. A spent budget gives up at once with the
/// last error and a "retry budget exhausted" event. Counting a first attempt is one
/// atomic add.
///
/// ```
/// use resilience::retry;
/// use resilience::retry::RetryBudget;
///
/// // 10 % of the traffic, and no floor: nothing to spend until calls succeed.
/// static LLM: RetryBudget = match RetryBudget::builder().name("docs::llm").ratio(0.1).floor(0.0).build() {
///     Ok(budget) => budget,
///     Err(_) => panic!(),
/// };
///
/// #[retry(attempts = 3, budget = &LLM)]
/// async fn complete(fail: bool) -> Result<&'static str, String> {
///     if fail { Err("503".into()) } else { Ok("answer") }
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// for _ in 0..9 {
///     complete(false).await.unwrap(); // 9 first attempts: 0.9 retries earned
/// }
/// // The 10th first attempt completes one retry's worth; the next retry finds none.
/// assert!(complete(true).await.is_err());
/// assert_eq!(LLM.stats().retries, 1.0);
/// # }
/// ```
#[doc(inline)]
pub use resilience_macros::retry;

/// Guards the function with a circuit breaker.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `threshold = N` | consecutive counted failures that open the circuit | `3`, or off when a rate is given |
/// | `failure_rate = R` | share of counted failures in the window (above 0, at most 1) that opens it | off |
/// | `slow_call = DUR`, `slow_rate = R` | a call slower than `slow_call` is slow, whatever its outcome; a share of slow calls that opens it | off |
/// | `min_calls = N` | calls the window must hold before a rate is judged | `10` (at most the window) |
/// | `window = N` / `window = DUR` | the last `N` calls, or the calls of the last `DUR`, sliding in sixteenths | `100` calls |
/// | `recovery = DUR` | how long it stays open before letting probes through | `30s` |
/// | `recovery_max = DUR` | each re-open from half-open doubles the open period, up to this; closing resets it | `recovery` |
/// | `success_threshold = N` | successful probes in half-open that close it | `2` |
/// | `probes = N` | most calls admitted at once in half-open; the rest are rejected | `success_threshold` |
/// | `on = PATTERN` / `when = PATH` | which errors count as failures; others pass through and count as neither | every `Err` |
/// | `retry_after = PATH` | `fn(&E) -> Option<Duration>`: a failure carrying a server delay longer than the open period keeps it open that long | |
/// | `key = EXPR` | one breaker per distinct value (a string, or anything `Display`): a model, a deployment, a host | one breaker |
/// | `max_keys = N` | most keys kept; idle closed ones are evicted first, open ones never | `1024` |
/// | `name = "..."` | the breaker's name in events, errors and [`registry`](crate::registry); functions giving the same name share one breaker | the function's path (`module::Type::method` for methods) |
/// | `breaker = EXPR` | use an existing `&CircuitBreaker` (shared, or per instance: `&self.breaker`); excludes the keys above but `on`/`when`/`retry_after` | |
/// | `policy = "name"` | (feature `config`) the loaded file's `[name.circuit]` over these keys, re-read after each load (see `resilience::named`): a breaker made from it, kept while it stays the same; excludes `key`, `max_keys`, `breaker` | |
/// | `crate = PATH` | where the runtime lives | `::resilience` |
///
/// Closed → (threshold consecutive failures, or a rate reached) → Open → (recovery
/// elapsed, at the next call) → HalfOpen → (success_threshold successes) → Closed, or
/// (any failure, or a slow probe) → Open again with a doubled period (up to
/// `recovery_max`). While open the body is not called and the function returns
/// `Err(E::from(CircuitOpen { .. }))`, so `E: From<CircuitOpen>`. A cancelled call
/// counts as neither success nor failure, in every mode (a half-open probe gives its
/// permit back); a panicking one counts as a failure.
///
/// **Rates.** With `failure_rate` (or `slow_rate`), the breaker judges the share of
/// failures (slow calls) among the calls in its window, once it holds `min_calls`: a
/// quiet minute with one failure does not open it. A rate is judged when a call that
/// can raise it ends (a counted failure, a slow call); a `threshold` given beside a
/// rate still applies, and whichever trips first opens the breaker. The transition's
/// event says which (`reason = "failure_rate"`, `"slow_rate"`,
/// `"consecutive_failures"`). The clock is read on each call only for a time window
/// or `slow_call`.
///
/// **Which breaker a call gets.** A function has one breaker. A method (it takes
/// `self`, or its signature names `Self`) has one per `Self` type, named
/// `module::Type::method`: a trait's default method implemented by `OpenAi` and
/// `Anthropic`, or a method of a generic `Client<T>`, never shares a breaker between
/// types. An associated function that neither takes `self` nor names `Self` looks like
/// a free function to the macro: one breaker, whatever the type. Functions that give
/// the same `name` share one breaker (the first one used makes it; one with other
/// settings gets a `warn` event), whatever their types. With `key = EXPR` (evaluated
/// once per call, from the arguments), each distinct value gets its own breaker,
/// `"{name}/{key}"`, made on first use with the attribute's settings. **A key is a
/// failure domain** (a model, a deployment, a host), never a user or a request id:
/// one bad user must not open a breaker for everyone, and a key per user or request
/// would churn through `max_keys`. A full family (every breaker open or in use) lets a
/// new key's call through uncovered and counts it (`refused` in its status).
///
/// **From start-up.** Every attribute's breakers are in [`registry::all`](crate::registry::all)
/// before the function first runs (a link-time list, no start-up code): a health
/// endpoint lists them all at once. A method's and a key's breakers appear under the
/// attribute's entry as they are made, and are found by name with
/// [`registry::circuit`](crate::registry::circuit). Each breaker has
/// `isolate()` / `reset()` and a `subscribe()` channel of its state.
///
/// ```
/// use resilience::{circuit, registry, CircuitOpen, State};
///
/// #[derive(Debug)]
/// enum ApiError { Down, Open(CircuitOpen) }
/// impl From<CircuitOpen> for ApiError { fn from(e: CircuitOpen) -> Self { ApiError::Open(e) } }
///
/// #[circuit(threshold = 2, recovery = 30s, name = "search")]
/// async fn search(q: &str) -> Result<String, ApiError> {
///     Err(ApiError::Down)
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let _ = search("a").await;
/// let _ = search("b").await;
/// assert!(matches!(search("c").await, Err(ApiError::Open(_))));
/// let breaker = registry::circuit("search").unwrap();
/// assert_eq!(breaker.state(), State::Open);
/// assert_eq!(breaker.stats().rejected, 1);
/// # }
/// ```
///
/// A breaker per model, opened by a failure rate:
///
/// ```
/// use resilience::{circuit, registry, CircuitOpen, State};
///
/// #[derive(Debug)]
/// enum ApiError { Overloaded, Open(CircuitOpen) }
/// impl From<CircuitOpen> for ApiError { fn from(e: CircuitOpen) -> Self { ApiError::Open(e) } }
///
/// #[circuit(name = "llm", key = model, failure_rate = 0.5, min_calls = 4, window = 30s)]
/// async fn complete(model: &str, prompt: &str) -> Result<String, ApiError> {
///     if model == "gpt-4" { Err(ApiError::Overloaded) } else { Ok(format!("{model}: {prompt}")) }
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// for _ in 0..4 {
///     let _ = complete("gpt-4", "hi").await;
/// }
/// assert!(matches!(complete("gpt-4", "hi").await, Err(ApiError::Open(_))));
/// assert!(complete("claude", "hi").await.is_ok()); // another failure domain
/// assert_eq!(registry::circuit("llm/gpt-4").unwrap().state(), State::Open);
/// # }
/// ```
#[doc(inline)]
pub use resilience_macros::circuit;

/// Bounds the function in time: `#[timeout(10s)]`.
///
/// When the deadline passes, the body's future is dropped and the function returns
/// `Err(E::from(TimedOut { .. }))`, so `E: From<TimedOut>`. The clock starts when the
/// call first waits: a call that is ready at once reads no clock and builds no timer.
/// Below `#[retry]` each attempt gets its own deadline; above it, one deadline covers
/// every attempt and wait. Only on `async fn` (a blocking call cannot be interrupted).
/// Also takes `crate = PATH`, and (feature `config`) `policy = "name"`: the loaded
/// file's `[name.timeout] after` replaces the duration (see `resilience::named`).
///
/// ```
/// use std::time::Duration;
/// use resilience::{timeout, TimedOut};
///
/// #[derive(Debug)]
/// enum ApiError { Timeout(TimedOut) }
/// impl From<TimedOut> for ApiError { fn from(e: TimedOut) -> Self { ApiError::Timeout(e) } }
///
/// #[timeout(10s)]
/// async fn hang() -> Result<(), ApiError> {
///     tokio::time::sleep(Duration::from_secs(60)).await;
///     Ok(())
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let start = tokio::time::Instant::now();
/// assert!(matches!(hang().await, Err(ApiError::Timeout(_))));
/// assert_eq!(start.elapsed(), Duration::from_secs(10));
/// # }
/// ```
#[doc(inline)]
pub use resilience_macros::timeout;

/// Calls alternative functions, in order, when the function fails:
/// `#[fallback(agents = [gpt35, local_llm])]`.
///
/// Agents are paths to functions (or `Self::method`, which also receives `self`) with
/// the same parameters and return type. The first `Ok` is returned; when all fail, the
/// last error. `on = PATTERN` / `when = PATH` restrict which errors fall back, at every
/// level: an agent's error they reject is returned as it is. Arguments are passed on by
/// reference where the function takes references (`&mut` reborrowed) and cloned where
/// it takes owned values. Which agent served, and at which level (1 = first
/// fallback), is reported in an event and to [`fallback::observe`](crate::fallback::observe).
/// Also takes `crate = PATH`.
///
/// ```
/// use resilience::fallback;
/// use resilience::fallback::{observe, Served};
///
/// async fn gpt35(prompt: &str) -> Result<String, String> { Err("rate limited".into()) }
/// async fn local_llm(prompt: &str) -> Result<String, String> { Ok(format!("local: {prompt}")) }
///
/// #[fallback(agents = [gpt35, local_llm])]
/// async fn gpt4(prompt: &str) -> Result<String, String> {
///     Err("timeout".into())
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (answer, served) = observe(gpt4("hi")).await;
/// assert_eq!(answer.unwrap(), "local: hi");
/// assert_eq!(served, Some(Served { by: "local_llm", level: 2 }));
/// # }
/// ```
#[doc(inline)]
pub use resilience_macros::fallback;

/// Starts another copy of a call that has not answered in time; the first `Ok` wins:
/// `#[hedge(after = 2s)]`.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `after = DUR` | how long a call may go without an answer before the next copy starts (copy `k` at `k × after`) | required |
/// | `max = N` | most extra copies (1 to 64) | `1`, or the number of `agents` |
/// | `agents = [a, b]` | copy `k` calls the k-th agent (same parameters and return type) instead of the body | the body |
/// | `policy = EXPR` | an existing `&HedgePolicy` (per instance: `&self.hedge`), whole: excludes `after`, `max`, `agents` | |
/// | `policy = "name"` | (feature `config`) the loaded file's `[name.hedge]` over these keys, re-read after each load (see `resilience::named`) (with `agents`, `max` stays their number) | |
/// | `crate = PATH` | where the runtime lives | `::resilience` |
///
/// The first copy keeps running when the next starts; the first `Ok` is returned and
/// the other copies are dropped at that instant, releasing what they hold (a breaker's
/// permit, an HTTP request). A failed copy starts no other (put `#[retry]` above
/// `#[hedge]` to retry failures); when every copy started has failed, the last error
/// is returned. When the function has a retry budget (`#[retry(budget = ..)]` anywhere
/// in its stack), each extra copy is paid for from it, one retry's worth.
///
/// The layers below `#[hedge]` apply to each copy on its own (a `#[timeout]` below it
/// bounds each copy), the layers above it see one call. Only on `async fn`, and the
/// copies share the arguments, so the function cannot take `&mut self`, a `&mut`
/// argument or a `mut` parameter (a compile error says so). Events: "hedging", "hedge
/// won" (see [`hedge`](mod@crate::hedge)).
///
/// ```
/// use std::time::Duration;
/// use resilience::hedge;
///
/// async fn replica_b(prompt: &str) -> Result<String, String> {
///     Ok(format!("b: {prompt}"))
/// }
///
/// #[hedge(after = 2s, agents = [replica_b])]
/// async fn complete(prompt: &str) -> Result<String, String> {
///     tokio::time::sleep(Duration::from_secs(30)).await; // a stuck replica
///     Ok(format!("a: {prompt}"))
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let start = tokio::time::Instant::now();
/// assert_eq!(complete("hi").await.unwrap(), "b: hi");
/// assert_eq!(start.elapsed(), Duration::from_secs(2));
/// # }
/// ```
#[doc(inline)]
pub use resilience_macros::hedge;

/// Paces the function by requests and tokens per period, as LLM providers meter an API
/// key: `#[rate_limit(requests = 500, tokens = 200_000, per = 1m, cost = estimate, usage = used)]`.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `requests = N` | calls per period | no request limit |
/// | `tokens = N` | tokens per period: each call takes its `cost` before it runs, corrected by its `usage` after | no token limit |
/// | `per = DUR` | the period | `1m` |
/// | `burst = N` | most requests let through at once after a quiet spell (most tokens, for a limiter with `tokens` only) | a whole period's allowance |
/// | `cost = PATH` | a function called with the function's arguments, each by shared reference (`&T` for an owned `T`), that returns the tokens the call will use as a `u64`: taken before the call | `0` |
/// | `usage = PATH` | `fn(&Result<T, E>) -> Option<u64>`: the tokens the call really used; the difference with `cost` is given back or charged | the estimate stands |
/// | `max_wait = DUR` | the longest a call waits for capacity; one that would wait longer is refused at once | `per` |
/// | `key = EXPR` | one limiter per distinct value (a string, or anything `Display`), made on first use with these settings: a quota per model, deployment or host | one limiter |
/// | `max_keys = N` | most limiters of a `key` kept; a new key evicts one that is full again and idle, and when none is, shares an overflow limiter with the same settings (never unlimited) | `1024` |
/// | `name = "..."` | the limiter's name in events, errors and [`registry`](crate::registry); functions giving the same name share one limiter (one quota; with a `key`, one per key) | the function's module path and name |
/// | `limiter = EXPR` | use an existing `&RateLimiter` (shared, or per instance: `&self.limiter`) or a [`RateLimiters`](crate::rate_limit::RateLimiters)`::for_key(..)`; excludes the keys that configure one | one limiter per function, in a `static` |
/// | `policy = "name"` | (feature `config`) the loaded file's `[name.rate_limit]` over these keys, re-read after each load (see `resilience::named`): a limiter made from it, kept while it stays the same; excludes `key`, `max_keys`, `limiter` | |
/// | `crate = PATH` | where the runtime lives | `::resilience` |
///
/// At least one of `requests` and `tokens`; `tokens` needs `cost` or `usage` (or both).
/// Each limit is a token bucket (GCRA): `requests = 60, per = 1m` lets 60 calls through
/// at once after a quiet minute, then one a second. A call that finds no room waits for
/// it, in arrival order, so a call with a large estimate is never starved by small ones
/// behind it. One that would wait longer than `max_wait`, or asks for more tokens than
/// the bucket holds at once, is refused without running: the function returns
/// `Err(E::from(RateLimited { .. }))`, so `E: From<RateLimited>`, and a `#[retry]` above
/// waits [`RateLimited::retry_in`](crate::RateLimited::retry_in) out (a call that can
/// never fit gives up at once). A waiting call that is dropped gives its place back.
/// Below `#[retry]` every attempt is one call of the limiter; above it, the whole
/// sequence is. Works on `async fn` and on blocking `fn` (which waits on its thread).
/// To follow what the server reports about the key (`x-ratelimit-*` headers), look the
/// limiter up by name and hand it [`http::rate_limit_report`](crate::http::rate_limit_report).
///
/// A `key` is a quota domain, what the provider meters separately (a model, a
/// deployment, an API key), never a user or a request id: `#[rate_limit(requests = 500,
/// per = 1m, key = model)]` gives `"gpt-4o"` and `"gpt-4o-mini"` a quota each. The
/// family is one [`registry`](crate::registry) entry whose status lists each key's
/// limiter.
///
/// ```
/// use std::time::Duration;
/// use resilience::{rate_limit, RateLimited};
///
/// #[derive(Debug)]
/// enum ApiError { Limited(RateLimited) }
/// impl From<RateLimited> for ApiError { fn from(e: RateLimited) -> Self { ApiError::Limited(e) } }
///
/// struct Reply { text: String, tokens: u64 }
///
/// /// Prompt tokens (about 4 characters each) plus the longest answer we accept.
/// fn estimate(prompt: &str) -> u64 { prompt.len() as u64 / 4 + 500 }
/// fn used(result: &Result<Reply, ApiError>) -> Option<u64> {
///     result.as_ref().ok().map(|reply| reply.tokens)
/// }
///
/// #[rate_limit(tokens = 6_000, per = 1m, cost = estimate, usage = used)]
/// async fn complete(prompt: &str) -> Result<Reply, ApiError> {
///     Ok(Reply { text: format!("answer to {prompt}"), tokens: 1_500 })
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let start = tokio::time::Instant::now();
/// // Each call takes 500 tokens (with this prompt), then gives back what it did not
/// // use... here it used more, 1 500: four calls spend the 6 000 of the minute,
/// complete("hi").await.unwrap();
/// complete("hi").await.unwrap();
/// complete("hi").await.unwrap();
/// complete("hi").await.unwrap();
/// assert_eq!(start.elapsed(), Duration::ZERO);
/// // and the fifth waits until 500 tokens are back: 5s at 100 tokens a second.
/// complete("hi").await.unwrap();
/// assert_eq!(start.elapsed(), Duration::from_secs(5));
/// # }
/// ```
#[doc(inline)]
pub use resilience_macros::rate_limit;

/// Caps how many calls of the function run at once: `#[bulkhead(max = 10, queue = 100)]`.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `max = N` | most calls at once | `10` |
/// | `queue = N` | most calls waiting for a permit; more are refused at once | `0` |
/// | `max_wait = DUR` | the longest a call waits in the queue (needs `queue`) | no bound |
/// | `name = "..."` | the bulkhead's name in events, errors and [`registry`](crate::registry); functions giving the same name share one bulkhead | the function's module path and name |
/// | `bulkhead = EXPR` | use an existing `&Bulkhead`; excludes the keys above | one bulkhead per function, in a `static` |
/// | `policy = "name"` | (feature `config`) the loaded file's `[name.bulkhead]` over these keys, re-read after each load (see `resilience::named`): a bulkhead made from it, kept while it stays the same; excludes `bulkhead` | |
/// | `crate = PATH` | where the runtime lives | `::resilience` |
///
/// A call holds a permit while everything below the attribute runs, and gives it back
/// when it ends, when its future is dropped and when it panics. When every permit is
/// held, a call waits in the queue, served in arrival order; when the queue is full, or
/// its wait reaches `max_wait`, it is refused without running: the function returns
/// `Err(E::from(BulkheadFull { .. }))`, so `E: From<BulkheadFull>`. A refusal carries
/// no delay (nobody knows when a permit will be free): a `#[retry]` above uses its own
/// backoff. Works on `async fn` and on blocking `fn`.
///
/// ```
/// use std::time::Duration;
/// use resilience::{bulkhead, BulkheadFull};
///
/// #[derive(Debug)]
/// enum ApiError { Full(BulkheadFull) }
/// impl From<BulkheadFull> for ApiError { fn from(e: BulkheadFull) -> Self { ApiError::Full(e) } }
///
/// #[bulkhead(max = 2, queue = 1)]
/// async fn embed(text: &str) -> Result<usize, ApiError> {
///     tokio::time::sleep(Duration::from_secs(1)).await;
///     Ok(text.len())
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let start = tokio::time::Instant::now();
/// let (a, b, c, d) = tokio::join!(embed("a"), embed("b"), embed("c"), embed("d"));
/// // Two run at once, the third waits its turn, the fourth finds the queue full.
/// assert!(a.is_ok() && b.is_ok() && c.is_ok());
/// assert!(matches!(d, Err(ApiError::Full(_))));
/// assert_eq!(start.elapsed(), Duration::from_secs(2));
/// # }
/// ```
#[doc(inline)]
pub use resilience_macros::bulkhead;

/// Answers a streaming call at its first item: `#[stream(first = 10s, idle = 30s)]` on an
/// `async fn` returning `Result<impl Stream<Item = Result<T, E>>, E>`.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `first = DUR` | longest from the call's start (opening the connection included) to the stream's first item; then the call fails with [`TimedOut`](crate::TimedOut) | no bound |
/// | `idle = DUR` | longest wait for each later item; then the stream yields `Err(E::from(TimedOut))` and ends | no bound |
/// | `policy = EXPR` | an existing `&StreamPolicy` (its deadlines and name), whole: excludes `first`, `idle` | |
/// | `policy = "name"` | (feature `config`) the loaded file's `[name.stream]` over these keys, re-read after each load (see `resilience::named`) | |
/// | `crate = PATH` | where the runtime lives | `::resilience` |
///
/// A call of the function (and of each fallback agent) counts as answered only when its
/// stream yields its first item, so every attribute above it (`#[retry]`, `#[fallback]`,
/// `#[circuit]`, `#[timeout]`, `#[rate_limit]`, `#[bulkhead]`, `#[hedge]`) applies until
/// the first token and never after it. The call fails with its own `Err`, with an `Err`
/// first item (an error event after a `200`), with [`EmptyStream`](crate::EmptyStream)
/// when the stream ends before any item, or with `TimedOut` after `first`; so
/// `E: From<TimedOut> + From<EmptyStream>`. The caller gets a
/// [`Streamed`](crate::Streamed): the first item first (never lost), then the rest.
/// After the first item, errors are the caller's: nothing above retries, falls back or
/// counts a failure (see [`stream`](mod@crate::stream) for why). Write it last, just
/// above the `fn`. The stream must be `Unpin` (`Box::pin` one that is not). A fallback
/// agent's stream, if it borrows nothing, should say so (`impl Stream<..> + use<>`):
/// an agent's `impl Stream` that captures its arguments' lifetimes makes the function's
/// future fail rustc's `Send` check ("one type is more general than the other"), a
/// limitation of how rustc checks auto traits of futures holding opaque types.
///
/// ```
/// use std::time::Duration;
/// use resilience::{retry, stream, stream::Stream, EmptyStream, TimedOut};
/// # use std::{pin::Pin, task::{Context, Poll}};
/// # /// Chunks that are all ready (what `futures::stream::iter` makes).
/// # struct Chunks(std::vec::IntoIter<Result<String, ApiError>>);
/// # impl Stream for Chunks {
/// #     type Item = Result<String, ApiError>;
/// #     fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
/// #         Poll::Ready(self.0.next())
/// #     }
/// # }
/// # async fn next<S: Stream + Unpin>(s: &mut S) -> Option<S::Item> {
/// #     std::future::poll_fn(|cx| Pin::new(&mut *s).poll_next(cx)).await
/// # }
///
/// #[derive(Debug, PartialEq)]
/// enum ApiError { Overloaded, Timeout, Empty }
/// impl From<TimedOut> for ApiError { fn from(_: TimedOut) -> Self { ApiError::Timeout } }
/// impl From<EmptyStream> for ApiError { fn from(_: EmptyStream) -> Self { ApiError::Empty } }
///
/// static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
///
/// #[retry(attempts = 3, base = 1s, jitter = "none")]
/// #[stream(first = 10s, idle = 30s)]
/// async fn chat(prompt: &str) -> Result<impl Stream<Item = Result<String, ApiError>>, ApiError> {
///     let first = if CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 0 {
///         Err(ApiError::Overloaded) // an error event after a 200: retried
///     } else {
///         Ok("Hel".to_owned())
///     };
///     Ok(Chunks(vec![first, Ok("lo".to_owned())].into_iter()))
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let start = tokio::time::Instant::now();
/// let mut answer = chat("hi").await.unwrap();
/// assert_eq!(start.elapsed(), Duration::from_secs(1)); // one retry, after 1s
/// let mut text = String::new();
/// while let Some(token) = next(&mut answer).await { // `StreamExt::next` in real code
///     text.push_str(&token.unwrap());
/// }
/// assert_eq!(text, "Hello");
/// # }
/// ```
#[doc(inline)]
pub use resilience_macros::stream;
