//! An operator's view: every registered breaker, rate limiter, bulkhead and retry budget,
//! as JSON and as a live HTML page, with the last resilience events. Feature `status`.
//!
//! [`StatusPage::router`] is an axum [`Router`] that a service mounts wherever it likes:
//!
//! | route | answers |
//! |---|---|
//! | `GET {base}` | the page: one self-contained HTML file (inline CSS and JS, no external asset), which polls `{base}/json` every 2 s |
//! | `GET {base}/json` | [`snapshot`]: `{"protections": [{"kind", "name", "status"}], "events": [..] or null, "control": bool}` |
//! | `POST {base}/isolate/{name}`, `POST {base}/reset/{name}` | only with [`StatusPage::control`]: isolate or reset the breaker `name` (`"llm/gpt-4"` for a key's); 403 without the header `x-resilience-control` or when the service's check refuses, 404 for no such breaker |
//!
//! ```
//! use axum::Router;
//! use resilience::status::{Events, StatusPage};
//! use tracing_subscriber::prelude::*;
//!
//! let events = Events::new(200); // the last 200 resilience events
//! tracing_subscriber::registry().with(events.clone()).init();
//!
//! let app: Router = Router::new().nest(
//!     "/status",
//!     StatusPage::new()
//!         .events(&events)
//!         // Without this, the control routes do not exist.
//!         .control(|request| request.headers.get("x-operator-token").is_some_and(|t| t == "s3cret"))
//!         .router(),
//! );
//! // then serve `app` as usual: `axum::serve(listener, app)`
//! # let _ = app;
//! ```
//!
//! # What it costs
//!
//! Nothing on the calls' path. The registry is read only when the page's JSON is asked
//! for ([`registry::all`](crate::registry::all) and each protection's
//! [`status`](crate::registry::Protection::status): a few atomic loads, and a lock on
//! the list of protections registered in code). The event ring is a
//! `tracing_subscriber::Layer`: without it installed, nothing is recorded; with it, each
//! runtime event (target `resilience`) takes the ring's lock once.
//!
//! # Sparklines: drawn from the page's own polls
//!
//! The page draws each row's successes, failures and rejections per poll over the last
//! 2 minutes (60 polls) from the differences between successive polls of the counters.
//! No sampler runs in the service (no task, no timer, no history kept), which is what
//! keeps the cost above at zero; the price is that a page opened just now starts with
//! empty lines, and two open pages each keep their own.
//!
//! # What it shows
//!
//! Names, keys, counters and the events' fields (names, states, delays, reasons, and a
//! failed attempt's error as it prints in `Debug`): no argument or result of a call,
//! and no API key (the runtime's events never carry one). Keys are whatever `key = ..`
//! gave and errors may name URLs, so mount the page where only operators reach it.

mod control;
mod events;
mod json;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};

pub use events::{Events, Recorded};
pub use json::{protection, snapshot};

/// The page, as served: one file, no build step.
const PAGE: &str = include_str!("page.html");

/// Builds the status [`Router`]: read-only unless [`control`](Self::control) is given.
///
/// ```
/// use resilience::status::StatusPage;
///
/// let app: axum::Router = axum::Router::new().nest("/status", StatusPage::new().router());
/// # let _ = app;
/// ```
#[derive(Clone, Default)]
pub struct StatusPage {
    events: Option<Events>,
    authorize: Option<control::Authorize>,
}

/// What the handlers share.
struct Shared {
    events: Option<Events>,
    authorize: Option<control::Authorize>,
}

impl StatusPage {
    /// A read-only page without events.
    ///
    /// ```
    /// let page = resilience::status::StatusPage::new();
    /// # let _ = page;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Lists the events kept by `events` (a ring installed as a `tracing` layer, see
    /// [`Events`]).
    ///
    /// ```
    /// use resilience::status::{Events, StatusPage};
    ///
    /// let events = Events::new(100);
    /// let page = StatusPage::new().events(&events);
    /// # let _ = page;
    /// ```
    #[must_use]
    pub fn events(mut self, events: &Events) -> Self {
        self.events = Some(events.clone());
        self
    }

    /// Adds the control routes (`POST {base}/isolate/{name}`, `POST {base}/reset/{name}`),
    /// each request let through only if it carries the header `x-resilience-control`
    /// (what the page's buttons send, and what a form on another site cannot) and
    /// `authorize` returns `true` for it (its method, URI, headers and extensions: a
    /// token, a client certificate an earlier layer checked, an address); refused with
    /// 403 otherwise. The page's buttons send what the browser holds for the page (HTTP
    /// basic auth, a cookie, or what a proxy in front adds).
    ///
    /// ```
    /// use resilience::status::StatusPage;
    ///
    /// let page = StatusPage::new().control(|request| {
    ///     request.headers.get("authorization").is_some_and(|v| v == "Bearer operator-token")
    /// });
    /// # let _ = page;
    /// ```
    #[must_use]
    pub fn control<F>(mut self, authorize: F) -> Self
    where
        F: Fn(&Parts) -> bool + Send + Sync + 'static,
    {
        self.authorize = Some(Arc::new(authorize));
        self
    }

    /// The routes, to mount with [`Router::nest`] (or to serve as they are, at `/`).
    /// Generic in the state `S` of the router it joins.
    ///
    /// ```
    /// use resilience::status::StatusPage;
    ///
    /// #[derive(Clone)]
    /// struct AppState;
    /// let app: axum::Router<AppState> = axum::Router::new().nest("/ops/status", StatusPage::new().router());
    /// # let _ = app;
    /// ```
    pub fn router<S>(self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let controlled = self.authorize.is_some();
        let mut router = Router::new()
            .route("/", get(page))
            .route("/json", get(json));
        if controlled {
            router = router
                .route("/isolate/{*name}", post(control::isolate))
                .route("/reset/{*name}", post(control::reset));
        }
        router.with_state(Arc::new(Shared {
            events: self.events,
            authorize: self.authorize,
        }))
    }
}

impl core::fmt::Debug for StatusPage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StatusPage")
            .field("events", &self.events)
            .field("control", &self.authorize.is_some())
            .finish()
    }
}

/// A read-only status router without events: `StatusPage::new().router()`.
///
/// ```
/// let app: axum::Router = axum::Router::new().nest("/status", resilience::status::router());
/// # let _ = app;
/// ```
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    StatusPage::new().router()
}

async fn page() -> impl IntoResponse {
    ([(CACHE_CONTROL, "no-store")], Html(PAGE))
}

async fn json(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    json_body(json::snapshot_text(
        shared.events.as_ref(),
        shared.authorize.is_some(),
    ))
}

/// A JSON body that is never cached: it is the state now.
fn json_body(body: String) -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "no-store"),
        ],
        body,
    )
}
