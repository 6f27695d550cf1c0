//! `#[fallback]`: agents in order, which one served, at which level.
mod common;
// Shared with the core tests; this file uses only part of it.
#[allow(dead_code)]
#[path = "../resilience-core/tests/support/events.rs"]
mod events;

use common::{ApiError, Calls};
use resilience::fallback;
use resilience::fallback::{Served, observe};

static PRIMARY: Calls = Calls::new();
static GPT35: Calls = Calls::new();
static LOCAL: Calls = Calls::new();

async fn gpt35(prompt: &str) -> Result<String, ApiError> {
    GPT35.hit();
    let _ = prompt;
    Err(ApiError::RateLimited {
        retry_after: common::secs(1.0),
    })
}

async fn local_llm(prompt: &str) -> Result<String, ApiError> {
    LOCAL.hit();
    Ok(format!("local: {prompt}"))
}

#[fallback(agents = [gpt35, local_llm])]
async fn gpt4(prompt: &str) -> Result<String, ApiError> {
    PRIMARY.hit();
    let _ = prompt;
    Err(ApiError::Network)
}

#[tokio::test]
async fn agents_are_called_in_order_and_the_server_is_reported() {
    let (result, served) = observe(gpt4("Analyze customer sentiment")).await;
    assert_eq!(result.unwrap(), "local: Analyze customer sentiment");
    assert_eq!(
        served,
        Some(Served {
            by: "local_llm",
            level: 2
        })
    );
    assert_eq!((PRIMARY.count(), GPT35.count(), LOCAL.count()), (1, 1, 1));
}

#[tokio::test]
async fn a_primary_success_reports_no_fallback() {
    #[fallback(agents = [local_llm])]
    async fn fine(prompt: &str) -> Result<String, ApiError> {
        Ok(prompt.to_owned())
    }
    let (result, served) = observe(fine("x")).await;
    assert_eq!(result.unwrap(), "x");
    assert_eq!(served, None);
}

#[tokio::test]
async fn the_filter_leaves_other_errors_alone() {
    static SECOND: Calls = Calls::new();
    async fn second(_n: u32) -> Result<u32, ApiError> {
        SECOND.hit();
        Ok(0)
    }
    #[fallback(agents = [second], on = ApiError::Network)]
    async fn malformed(_n: u32) -> Result<u32, ApiError> {
        Err(ApiError::Malformed)
    }
    assert_eq!(malformed(1).await, Err(ApiError::Malformed));
    assert_eq!(SECOND.count(), 0);
}

#[tokio::test]
async fn when_every_agent_fails_the_last_error_comes_back() {
    async fn a(_p: String) -> Result<(), ApiError> {
        Err(ApiError::Network)
    }
    async fn b(_p: String) -> Result<(), ApiError> {
        Err(ApiError::Malformed)
    }
    #[fallback(agents = [a, b])]
    async fn primary(p: String) -> Result<(), ApiError> {
        let _ = p.len();
        Err(ApiError::Network)
    }
    let (result, served) = observe(primary("x".to_owned())).await;
    assert_eq!(result, Err(ApiError::Malformed));
    assert_eq!(served, None);
}

struct Agents {
    name: &'static str,
}

impl Agents {
    #[fallback(agents = [Self::backup])]
    async fn main_model(&self, prompt: &str) -> Result<String, ApiError> {
        let _ = (self.name, prompt);
        Err(ApiError::Network)
    }

    async fn backup(&self, prompt: &str) -> Result<String, ApiError> {
        Ok(format!("{} answered {prompt}", self.name))
    }

    #[fallback(agents = [Self::backup_blocking])]
    fn main_blocking(&self, n: u32) -> Result<u32, ApiError> {
        let _ = n;
        Err(ApiError::Network)
    }

    fn backup_blocking(&self, n: u32) -> Result<u32, ApiError> {
        Ok(n + self.name.len() as u32)
    }
}

#[tokio::test]
async fn methods_fall_back_to_other_methods() {
    let agents = Agents { name: "backup" };
    let (result, served) = observe(agents.main_model("q")).await;
    assert_eq!(result.unwrap(), "backup answered q");
    assert_eq!(
        served,
        Some(Served {
            by: "Agents::backup",
            level: 1
        }),
        "named as the user would, never `Self::backup`"
    );
    let (result, served) = resilience::fallback::observe_blocking(|| agents.main_blocking(1));
    assert_eq!(result, Ok(7));
    assert_eq!(
        served,
        Some(Served {
            by: "Agents::backup_blocking",
            level: 1
        })
    );
}

#[tokio::test]
async fn each_step_down_is_an_event() {
    // Its own functions: the counters above belong to another test running in parallel.
    async fn second(_p: &str) -> Result<String, ApiError> {
        Err(ApiError::Network)
    }
    async fn third(p: &str) -> Result<String, ApiError> {
        Ok(p.to_owned())
    }
    #[fallback(agents = [second, third])]
    async fn first(p: &str) -> Result<String, ApiError> {
        let _ = p;
        Err(ApiError::Network)
    }
    let ((result, _), events) = events::capture_async(observe(first("q"))).await;
    assert_eq!(result.unwrap(), "q");
    let steps: Vec<String> = events
        .iter()
        .filter(|e| e.message == "falling back")
        .map(|e| {
            let field = |name| e.field(name).unwrap_or("?");
            format!("{} -> {} ({})", field("from"), field("to"), field("level"))
        })
        .collect();
    assert_eq!(
        steps,
        ["attr_fallback::first -> second (1)", "second -> third (2)"]
    );
    let served: Vec<&str> = events
        .iter()
        .filter(|e| e.message == "fallback served")
        .filter_map(|e| e.field("by"))
        .collect();
    assert_eq!(served, ["third"]);
}
