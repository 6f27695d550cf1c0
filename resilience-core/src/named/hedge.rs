//! [`NamedHedge`]: `#[hedge(policy = "name", ...)]`'s policy, the file's `[name.hedge]`
//! over the attribute's literals.

use std::sync::RwLock;

use super::parse::HedgeFile;
use super::site::{Kept, Resolved, cached};
use crate::hedge::HedgePolicy;

/// The hedge policy of a function whose `#[hedge]` names a policy.
///
/// Without a file (or a `[name.hedge]` table) the literal policy serves, the one the
/// attribute's keys build, checked at compile time. With one, the file's `after` and
/// `max` over the literals, from the next call on; a call in flight keeps the policy it
/// started with.
///
/// A hedge with agents calls one agent per extra copy, so its `max` is the number of
/// agents: a file's `max` that differs is not applied (its `after` is), with a warning
/// event.
///
/// ```rust,standalone_crate
/// use std::time::Duration;
/// use resilience_core::{ConfigError, hedge::HedgePolicy, named::{self, NamedHedge}};
///
/// static LITERAL: HedgePolicy = ConfigError::unwrap_const(HedgePolicy::builder().after(Duration::from_secs(2)).build());
/// static SITE: NamedHedge = NamedHedge::new("doc_hedge", &LITERAL);
/// assert_eq!(SITE.get().after(), Duration::from_secs(2)); // nothing loaded: the literal
/// named::load_str("app.toml", "[doc_hedge.hedge]\nafter = \"300ms\"\nmax = 2\n")?;
/// assert_eq!((SITE.get().after(), SITE.get().max()), (Duration::from_millis(300), 2));
/// # Ok::<(), resilience_core::named::FileError>(())
/// ```
pub struct NamedHedge {
    name: &'static str,
    literal: &'static HedgePolicy,
    /// The number of agents the copies call, which fixes `max`; 0 for none.
    agents: u32,
    cache: RwLock<Option<Resolved<&'static HedgePolicy>>>,
}

impl NamedHedge {
    /// The site of a function whose attribute names `name` and writes `literal`.
    ///
    /// ```
    /// use resilience_core::{hedge::HedgePolicy, named::NamedHedge, ConfigError};
    ///
    /// static LITERAL: HedgePolicy = ConfigError::unwrap_const(HedgePolicy::builder().build());
    /// static SITE: NamedHedge = NamedHedge::new("llm", &LITERAL);
    /// # let _ = &SITE;
    /// ```
    pub const fn new(name: &'static str, literal: &'static HedgePolicy) -> Self {
        NamedHedge {
            name,
            literal,
            agents: 0,
            cache: RwLock::new(None),
        }
    }

    /// The hedge's copies call `agents` agents (one each), so its `max` stays theirs.
    ///
    /// ```rust,standalone_crate
    /// use resilience_core::{hedge::HedgePolicy, named::{self, NamedHedge}, ConfigError};
    ///
    /// static LITERAL: HedgePolicy = ConfigError::unwrap_const(HedgePolicy::builder().max(2).build());
    /// static SITE: NamedHedge = NamedHedge::new("doc_replicas", &LITERAL).agents(2);
    /// named::load_str("app.toml", "[doc_replicas.hedge]\nmax = 5\n")?;
    /// assert_eq!(SITE.get().max(), 2, "two agents: two extra calls");
    /// # Ok::<(), resilience_core::named::FileError>(())
    /// ```
    #[must_use]
    pub const fn agents(mut self, agents: u32) -> Self {
        self.agents = agents;
        self
    }

    /// The policy for the next call: the file's settings over the literals.
    ///
    /// ```
    /// use resilience_core::{hedge::HedgePolicy, named::NamedHedge, ConfigError};
    ///
    /// static LITERAL: HedgePolicy = ConfigError::unwrap_const(HedgePolicy::builder().max(3).build());
    /// static SITE: NamedHedge = NamedHedge::new("unset_name", &LITERAL);
    /// assert_eq!(SITE.get().max(), 3);
    /// ```
    pub fn get(&'static self) -> &'static HedgePolicy {
        cached(&self.cache, self.name, "hedge", |policy| {
            match policy.and_then(|policy| policy.hedge) {
                None => self.literal,
                Some(file) => self.merge(file),
            }
        })
    }

    fn merge(&self, file: HedgeFile) -> &'static HedgePolicy {
        let mut max = file.max.unwrap_or(self.literal.max());
        if self.agents > 0 && max != self.agents {
            tracing::warn!(target: "resilience", policy = self.name, file_max = max, agents = self.agents, "the configuration file's hedge `max` is not this function's number of agents (one per extra call); the number of agents applies");
            max = self.agents;
        }
        let built = HedgePolicy::builder()
            .after(file.after.unwrap_or(self.literal.after()))
            .max(max)
            .build();
        match built {
            Ok(policy) => {
                static KEPT: Kept<HedgePolicy> = Kept::new();
                KEPT.intern(policy)
            }
            // The file's values are checked as they are read; kept for the builder's
            // rules that may come.
            Err(error) => {
                tracing::warn!(target: "resilience", policy = self.name, %error, "the configuration file's hedge settings do not fit this function's; its own apply");
                self.literal
            }
        }
    }
}
