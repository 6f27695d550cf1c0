//! The registry as JSON: what `GET {base}/json` answers and the page renders.
//!
//! Each protection is `{"kind", "name", "status"}`, its status the fields of
//! [`Protection::status`](crate::registry::Protection::status) by name, so a pattern
//! added later shows up by registering, with no change here. Values map one to one:
//! a count or a ratio is a number, a word a string, a flag a boolean, a duration
//! `{"secs": 1.5}` (so a reader can tell it from a count), a family's members
//! `[{"key", "status"}]`.
//!
//! One encoder: `Serialize` for borrowed views of the registry's values, written
//! straight to text for the page (no tree in between) and to a `serde_json::Value` by
//! [`snapshot`] for callers and tests.

use resilience_core::registry::{self, Protection, Status, Value};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value as Json;

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
    // Cannot fail: every key is a string and every number finite (see `ValueJson`).
    serde_json::to_value(Snapshot::now(events, control)).unwrap_or(Json::Null)
}

/// [`snapshot`] as text, for the JSON route.
pub(super) fn snapshot_text(events: Option<&Events>, control: bool) -> String {
    serde_json::to_string(&Snapshot::now(events, control)).unwrap_or_default()
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
    serde_json::to_value(ProtectionJson(protection)).unwrap_or(Json::Null)
}

/// What the page shows, read now.
struct Snapshot {
    protections: Vec<&'static dyn Protection>,
    events: Option<Vec<Recorded>>,
    control: bool,
}

impl Snapshot {
    fn now(events: Option<&Events>, control: bool) -> Self {
        Snapshot {
            protections: registry::all(),
            events: events.map(Events::recent),
            control,
        }
    }
}

impl Serialize for Snapshot {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry(
            "protections",
            &Each(&self.protections, |p: &&dyn Protection| ProtectionJson(*p)),
        )?;
        match &self.events {
            Some(events) => map.serialize_entry("events", &Each(events, EventJson))?,
            None => map.serialize_entry("events", &())?,
        }
        map.serialize_entry("control", &self.control)?;
        map.end()
    }
}

/// A list, each item shown through `view`.
struct Each<'a, T, V>(&'a [T], fn(&'a T) -> V);

impl<'a, T, V: Serialize> Serialize for Each<'a, T, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(&(self.1)(item))?;
        }
        seq.end()
    }
}

/// `{"kind", "name", "status"}`; the status is read as it is written.
struct ProtectionJson<'a>(&'a dyn Protection);

impl Serialize for ProtectionJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("kind", self.0.kind())?;
        map.serialize_entry("name", self.0.name())?;
        map.serialize_entry("status", &StatusJson(&self.0.status()))?;
        map.end()
    }
}

/// A status as an object, field by field.
struct StatusJson<'a>(&'a Status);

impl Serialize for StatusJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = self.0.fields();
        let mut map = serializer.serialize_map(Some(fields.len()))?;
        for (name, value) in fields {
            map.serialize_entry(name, &ValueJson(value))?;
        }
        map.end()
    }
}

struct ValueJson<'a>(&'a Value);

impl Serialize for ValueJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Count(n) => serializer.serialize_u64(*n),
            // JSON has no NaN or infinity: a ratio that is not a number is `null`.
            Value::Ratio(r) if r.is_finite() => serializer.serialize_f64(*r),
            Value::Ratio(_) => serializer.serialize_none(),
            Value::Duration(d) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("secs", &d.as_secs_f64())?;
                map.end()
            }
            Value::Text(text) => serializer.serialize_str(text),
            Value::Flag(flag) => serializer.serialize_bool(*flag),
            Value::Members(members) => {
                let mut seq = serializer.serialize_seq(Some(members.len()))?;
                for (key, status) in members {
                    seq.serialize_element(&MemberJson(key, status))?;
                }
                seq.end()
            }
        }
    }
}

/// `{"key", "status"}`.
struct MemberJson<'a>(&'a str, &'a Status);

impl Serialize for MemberJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("key", self.0)?;
        map.serialize_entry("status", &StatusJson(self.1))?;
        map.end()
    }
}

/// `{"seq", "unix_ms", "level", "message", "fields": {..}}`.
struct EventJson<'a>(&'a Recorded);

impl Serialize for EventJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let event = self.0;
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("seq", &event.seq)?;
        map.serialize_entry("unix_ms", &event.unix_ms)?;
        map.serialize_entry("level", event.level)?;
        map.serialize_entry("message", &event.message)?;
        map.serialize_entry("fields", &FieldsJson(&event.fields))?;
        map.end()
    }
}

struct FieldsJson<'a>(&'a [(&'static str, String)]);

impl Serialize for FieldsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}
