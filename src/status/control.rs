//! The control routes, `POST {base}/isolate/{name}` and `POST {base}/reset/{name}`:
//! [`CircuitBreaker::isolate`](crate::CircuitBreaker::isolate) and
//! [`reset`](crate::CircuitBreaker::reset) by name. They are routed only when the
//! service gave [`StatusPage::control`](super::StatusPage::control) its own check, and
//! every request goes through that check before anything else (a refused request learns
//! nothing, not even whether the breaker exists).
//!
//! A key's breaker is found by its name (`"llm/gpt-4"`) through
//! [`registry::circuit`], which keeps it from eviction from then on: an isolated key must
//! not be forgotten and come back closed.
//!
//! A control request must also carry the header [`CONTROL_HEADER`] (the page's buttons
//! send it): a form on another site cannot set a header, and a script on another site
//! that sets one needs a CORS preflight these routes never answer. So a browser that
//! holds the operator's credentials (a cookie, HTTP basic auth) cannot be made to isolate
//! a breaker by a page it visits.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use resilience_core::registry;
use serde_json::json;

use super::Shared;

/// The header every control request must carry (any value); see the module docs.
pub(super) const CONTROL_HEADER: &str = "x-resilience-control";

/// The service's check of a control request: `true` lets it through.
pub(super) type Authorize = Arc<dyn Fn(&Parts) -> bool + Send + Sync>;

/// What a control route does to the breaker.
#[derive(Clone, Copy)]
pub(super) enum Action {
    Isolate,
    Reset,
}

pub(super) async fn isolate(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    act(&shared, &name, request, Action::Isolate)
}

pub(super) async fn reset(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    act(&shared, &name, request, Action::Reset)
}

fn act(shared: &Shared, name: &str, request: Request, action: Action) -> Response {
    let (parts, _body) = request.into_parts();
    // Routed only with a check, so `None` cannot happen; refusing is the safe answer.
    let allowed = parts.headers.contains_key(CONTROL_HEADER)
        && shared.authorize.as_ref().is_some_and(|check| check(&parts));
    if !allowed {
        return error(StatusCode::FORBIDDEN, "not allowed".to_owned());
    }
    let Some(breaker) = registry::circuit(name) else {
        return error(StatusCode::NOT_FOUND, format!("no breaker named `{name}`"));
    };
    match action {
        Action::Isolate => breaker.isolate(),
        Action::Reset => breaker.reset(),
    }
    // The breaker as the JSON lists it, so the page can redraw its row at once.
    let body = super::json::protection(breaker);
    (StatusCode::OK, super::json_body(body.to_string())).into_response()
}

fn error(status: StatusCode, message: String) -> Response {
    let body = json!({ "error": message });
    (status, super::json_body(body.to_string())).into_response()
}
