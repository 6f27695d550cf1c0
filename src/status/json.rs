//! The registry as JSON: what `GET {base}/json` answers and the page renders.
//!
//! Each protection is `{"kind", "name", "status"}`, its status the fields of
//! [`Protection::status`](crate::registry::Protection::status) by name, so a pattern
//! added later shows up by registering, with no change here. Values map one to one:
//! a count or a ratio is a number, a word a string, a flag a boolean, a duration
//! `{"secs": 1.5}` (so a reader can tell it from a count), a family's members
//! `[{"key", "status"}]`.

use resilience_core::registry::{self, Protection, Status, Value};
use serde_json::{Map, Number, Value as Json, json};

use super::events::{Events, Recorded};

/// Everything the page shows, read now: every protection in [`registry::all`]'s
/// order, the events kept by `events` (none without a ring: `"events": null`), and
/// whether the control routes exist.
///
/// ```
/// use resilience::{CircuitBreaker, status};
///
/// static API: CircuitBreaker = match CircuitBreaker::builder().name("docs::api").build() {
///     Ok(breaker) => breaker,
///     Err(_) => panic!(),
/// };
/// API.register();
/// let json = status::snapshot(None, false);
/// let api = json["protections"].as_array().unwrap().iter().find(|p| p["name"] == "docs::api").unwrap();
/// assert_eq!(api["kind"], "circuit");
/// assert_eq!(api["status"]["state"], "closed");
/// assert_eq!(json["events"], serde_json::Value::Null);
/// ```
pub fn snapshot(events: Option<&Events>, control: bool) -> Json {
    let protections: Vec<Json> = registry::all().into_iter().map(protection).collect();
    let events = events.map(|events| {
        let recent = events.recent();
        Json::Array(recent.iter().map(event).collect())
    });
    json!({
        "protections": protections,
        "events": events,
        "control": control,
    })
}

/// One protection: its kind, name and status.
///
/// ```
/// use resilience::registry::{Protection, Status, Value};
///
/// struct Quota;
/// impl Protection for Quota {
///     fn kind(&self) -> &'static str { "quota" }
///     fn name(&self) -> &str { "docs::quota" }
///     fn status(&self) -> Status { Status::new().with("left", Value::Count(7)) }
/// }
/// let json = resilience::status::protection(&Quota);
/// assert_eq!(json, serde_json::json!({"kind": "quota", "name": "docs::quota", "status": {"left": 7}}));
/// ```
pub fn protection(protection: &dyn Protection) -> Json {
    json!({
        "kind": protection.kind(),
        "name": protection.name(),
        "status": status(&protection.status()),
    })
}

/// A status as an object, field by field.
fn status(status: &Status) -> Json {
    let mut object = Map::new();
    for (name, value) in status.fields() {
        object.insert((*name).to_owned(), self::value(value));
    }
    Json::Object(object)
}

fn value(value: &Value) -> Json {
    match value {
        Value::Count(n) => Json::from(*n),
        // JSON has no NaN or infinity: a ratio that is not a number is `null`.
        Value::Ratio(r) => Number::from_f64(*r).map_or(Json::Null, Json::Number),
        Value::Duration(d) => json!({ "secs": d.as_secs_f64() }),
        Value::Text(text) => Json::from(text.as_ref()),
        Value::Flag(flag) => Json::from(*flag),
        Value::Members(members) => Json::Array(
            members
                .iter()
                .map(|(key, member)| json!({ "key": key, "status": status(member) }))
                .collect(),
        ),
    }
}

fn event(event: &Recorded) -> Json {
    let mut fields = Map::new();
    for (name, value) in &event.fields {
        fields.insert((*name).to_owned(), Json::from(value.as_str()));
    }
    json!({
        "seq": event.seq,
        "unix_ms": event.unix_ms,
        "level": event.level,
        "message": event.message,
        "fields": fields,
    })
}
