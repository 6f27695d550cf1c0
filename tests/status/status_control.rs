//! `resilience::status`'s control routes: absent without the service's check; with it,
//! they refuse what it refuses (and a request without the page's header), and isolate
//! or reset a breaker by the name the registry knows it by.

#[path = "../common/mod.rs"]
mod common;
mod http;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::ApiError;
use http::{get_json, send};
use resilience::registry;
use resilience::status::StatusPage;
use resilience::{State, circuit};
use serde_json::Value;
use tower::ServiceExt;

#[circuit(name = "status_control::api", threshold = 1, recovery = 30s)]
async fn api(up: bool) -> Result<&'static str, ApiError> {
    if up {
        Ok("answer")
    } else {
        Err(ApiError::Network)
    }
}

#[tokio::test(start_paused = true)]
async fn control_routes_do_not_exist_without_the_services_check() {
    let app = StatusPage::new().router();
    for action in ["isolate", "reset"] {
        let (code, _) = send(
            &app,
            Method::POST,
            &format!("/{action}/status_control::api"),
            Some("s3cret"),
        )
        .await;
        assert_eq!(code, StatusCode::NOT_FOUND, "{action}");
    }
    let breaker = registry::circuit("status_control::api").unwrap();
    assert_eq!(breaker.state(), State::Closed);
    assert_eq!(get_json(&app, "/json").await["control"], false);
}

#[tokio::test(start_paused = true)]
async fn control_routes_refuse_what_the_check_refuses_and_act_on_what_it_allows() {
    let app = StatusPage::new()
        .control(|request| {
            request
                .headers
                .get("x-operator-token")
                .is_some_and(|t| t == "s3cret")
        })
        .router();
    let breaker = registry::circuit("status_control::api").unwrap();
    assert_eq!(get_json(&app, "/json").await["control"], true);

    // Refused: no token, a wrong one; the breaker is untouched, and a refused request
    // does not learn whether a breaker exists.
    for token in [None, Some("guess")] {
        let (code, body) = send(&app, Method::POST, "/isolate/status_control::api", token).await;
        assert_eq!(
            (code, body.as_str()),
            (StatusCode::FORBIDDEN, r#"{"error":"not allowed"}"#)
        );
        let (code, _) = send(&app, Method::POST, "/isolate/no::such", token).await;
        assert_eq!(code, StatusCode::FORBIDDEN);
    }
    // The right token without the page's header (what a form on another site sends
    // with the browser's credentials) is refused too.
    let request = Request::post("/isolate/status_control::api")
        .header("x-operator-token", "s3cret")
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(breaker.state(), State::Closed);

    // Allowed: isolate, then reset; the answer is the breaker as the JSON lists it.
    let (code, body) = send(
        &app,
        Method::POST,
        "/isolate/status_control::api",
        Some("s3cret"),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["status"]["state"], "isolated");
    assert_eq!(breaker.state(), State::Isolated);
    assert!(matches!(api(true).await, Err(ApiError::Open(_))));

    let (code, _) = send(
        &app,
        Method::POST,
        "/reset/status_control::api",
        Some("s3cret"),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(breaker.state(), State::Closed);
    assert_eq!(api(true).await, Ok("answer"));

    // Only POST; an unknown breaker is 404.
    let (code, _) = send(
        &app,
        Method::GET,
        "/isolate/status_control::api",
        Some("s3cret"),
    )
    .await;
    assert_eq!(code, StatusCode::METHOD_NOT_ALLOWED);
    let (code, body) = send(&app, Method::POST, "/reset/no::such", Some("s3cret")).await;
    assert_eq!(
        (code, body.as_str()),
        (
            StatusCode::NOT_FOUND,
            r#"{"error":"no breaker named `no::such`"}"#
        )
    );
}

#[circuit(name = "status_control::keyed", key = region, threshold = 1)]
async fn keyed(region: &str) -> Result<&'static str, ApiError> {
    let _ = region;
    Err(ApiError::Network)
}

#[tokio::test(start_paused = true)]
async fn a_keyed_breaker_is_controlled_by_its_name_and_key() {
    let app = StatusPage::new().control(|_| true).router();
    assert_eq!(keyed("eu").await, Err(ApiError::Network));
    let member = registry::circuit("status_control::keyed/eu").unwrap();
    assert_eq!(member.state(), State::Open);
    // The page sends the key's slash percent-encoded; both forms reach the member.
    let (code, _) = send(
        &app,
        Method::POST,
        "/reset/status_control::keyed%2Feu",
        Some("any"),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(member.state(), State::Closed);
    let (code, _) = send(
        &app,
        Method::POST,
        "/isolate/status_control::keyed/eu",
        Some("any"),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(member.state(), State::Isolated);
}

/// A trait whose default method has one breaker per implementor.
trait Provider {
    #[circuit(threshold = 1)]
    async fn chat(&self) -> Result<&'static str, ApiError> {
        Err(ApiError::Network)
    }
}

struct OpenAi;
impl Provider for OpenAi {}

#[tokio::test(start_paused = true)]
async fn a_self_types_breaker_is_listed_and_controlled_by_its_own_name() {
    assert_eq!(OpenAi.chat().await, Err(ApiError::Network));
    let name = format!("{}::OpenAi::chat", module_path!());
    let breaker = registry::circuit(&name).unwrap();
    assert_eq!(breaker.state(), State::Open);

    let app = StatusPage::new().control(|_| true).router();
    let json = get_json(&app, "/json").await;
    let member = json["protections"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["status"]["members"].as_array())
        .flatten()
        .find(|m| m["status"]["name"] == name.as_str())
        .expect("listed under its own name, not its family's plus a key");
    assert_eq!(member["status"]["state"], "open");

    let (code, _) = send(&app, Method::POST, &format!("/reset/{name}"), Some("any")).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(breaker.state(), State::Closed);
}
