//! [`Agent`]: a fallback agent by the name a user would give it.

use std::sync::{Mutex, PoisonError};

/// A fallback agent, by the name events and [`Served::by`](super::Served::by) give it:
/// `"local_llm"` for a function, `"LocalLlm::analyze"` for a method of the `Self` type
/// (never `"Self::analyze"`).
///
/// ```
/// use resilience_core::fallback::Agent;
///
/// struct LocalLlm;
/// assert_eq!(Agent::named("local_llm").name(), "local_llm");
/// assert_eq!(Agent::method(std::any::type_name::<LocalLlm>, "analyze").name(), "LocalLlm::analyze");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Agent(Repr);

#[derive(Clone, Copy, Debug)]
enum Repr {
    Named(&'static str),
    /// `Self::method`: the type's name is known only at run time, per monomorphization.
    Method {
        type_name: fn() -> &'static str,
        method: &'static str,
    },
}

impl Agent {
    /// An agent called `name`.
    ///
    /// ```
    /// assert_eq!(resilience_core::fallback::Agent::named("gpt35").name(), "gpt35");
    /// ```
    pub const fn named(name: &'static str) -> Self {
        Agent(Repr::Named(name))
    }

    /// The method `method` of the type `type_name` names (`core::any::type_name::<Self>`).
    ///
    /// ```
    /// use resilience_core::fallback::Agent;
    ///
    /// struct Cache<T>(T);
    /// let agent = Agent::method(std::any::type_name::<Cache<u8>>, "lookup");
    /// assert_eq!(agent.name(), "Cache::lookup");
    /// ```
    pub const fn method(type_name: fn() -> &'static str, method: &'static str) -> Self {
        Agent(Repr::Method { type_name, method })
    }

    /// The agent's name. For a method, the type's own name (its path and generic
    /// arguments left out) and the method's, made once per type and method and kept for
    /// the life of the process: asked only when a fallback happens.
    ///
    /// ```
    /// use resilience_core::fallback::Agent;
    ///
    /// let agent = Agent::method(std::any::type_name::<String>, "clone");
    /// assert!(std::ptr::eq(agent.name(), agent.name())); // made once
    /// ```
    pub fn name(&self) -> &'static str {
        match self.0 {
            Repr::Named(name) => name,
            Repr::Method { type_name, method } => method_name(type_name(), method),
        }
    }
}

/// Every method name made so far: (type name, method) to `"Type::method"`.
static METHODS: Mutex<Vec<(&'static str, &'static str, &'static str)>> = Mutex::new(Vec::new());

fn method_name(type_name: &'static str, method: &'static str) -> &'static str {
    let mut made = METHODS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((.., name)) = made
        .iter()
        .find(|(ty, m, _)| *ty == type_name && *m == method)
    {
        return name;
    }
    let name: &'static str = Box::leak(format!("{}::{method}", short(type_name)).into_boxed_str());
    made.push((type_name, method, name));
    name
}

/// `a::b::Cache<u8>` to `Cache`.
fn short(type_name: &str) -> &str {
    let path = type_name.split('<').next().unwrap_or(type_name);
    path.rsplit("::").next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn a_type_is_named_without_its_path_or_arguments() {
        assert_eq!(short("my_app::llm::LocalLlm"), "LocalLlm");
        assert_eq!(short("my_app::Cache<alloc::string::String>"), "Cache");
        assert_eq!(short("Plain"), "Plain");
    }
}

/// The call of an agent that stands in for an `async fn` returning `R`.
///
/// Implemented for every future of `R`; it exists to say what is wrong when an agent is
/// not one (a blocking `fn`, or another return type), in one error.
///
/// ```
/// use resilience_core::fallback::AsyncAgent;
///
/// fn takes<R, F: AsyncAgent<R>>(_: F) {}
/// takes::<Result<u8, ()>, _>(async { Ok(1) });
/// ```
#[diagnostic::on_unimplemented(
    message = "this fallback agent's call is `{Self}`, not a future of `{R}`",
    label = "an agent of an `async fn` returning `{R}` must be an `async fn` returning `{R}`, with the same parameters",
    note = "agents are called in place of the function, with its arguments, and their answer is returned as its own"
)]
pub trait AsyncAgent<R> {
    /// The call as a future.
    type Future: core::future::Future<Output = R>;

    /// The call as a future (itself).
    ///
    /// ```
    /// use resilience_core::fallback::AsyncAgent;
    ///
    /// let call = AsyncAgent::<Result<u8, ()>>::into_call(async { Ok(1) });
    /// # let _ = call;
    /// ```
    fn into_call(self) -> Self::Future;
}

impl<R, F: core::future::Future<Output = R>> AsyncAgent<R> for F {
    type Future = F;

    #[inline(always)]
    fn into_call(self) -> F {
        self
    }
}

/// An agent's call, for the expansion of `#[fallback]` on an `async fn` returning `R`.
/// A call of the wrong kind is one error, here, and the pipeline still sees a future of
/// `R` (so no second error follows from it).
///
/// ```
/// let call = resilience_core::fallback::agent::<Result<u8, ()>, _>(async { Ok(1) });
/// # let _ = call;
/// ```
#[inline(always)]
pub fn agent<R, A: AsyncAgent<R>>(call: A) -> AgentCall<A, R> {
    AgentCall {
        call: call.into_call(),
    }
}

pin_project_lite::pin_project! {
    /// An agent's call as a future of `R` whatever went wrong with it: its only bound is
    /// [`AsyncAgent`], so a wrong agent is reported once, by that trait.
    ///
    /// ```
    /// let call: resilience_core::fallback::AgentCall<_, Result<u8, ()>> =
    ///     resilience_core::fallback::agent(async { Ok(1) });
    /// # let _ = call;
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct AgentCall<A, R>
    where
        A: AsyncAgent<R>,
    {
        #[pin]
        call: A::Future,
    }
}

impl<A: AsyncAgent<R>, R> core::future::Future for AgentCall<A, R> {
    type Output = R;

    #[inline(always)]
    fn poll(
        self: core::pin::Pin<&mut Self>,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<R> {
        self.project().call.poll(cx)
    }
}

/// The answer of an agent that stands in for a blocking `fn` returning `R`.
///
/// Implemented for `R` itself; it exists to say what is wrong when an agent answers
/// something else (a future, because it is an `async fn`; another type), in one error.
///
/// ```
/// use resilience_core::fallback::BlockingAgent;
///
/// assert_eq!(BlockingAgent::<Result<u8, ()>>::into_answer(Ok(1)), Ok(1));
/// ```
#[diagnostic::on_unimplemented(
    message = "this fallback agent answers `{Self}`, but it stands in for a blocking `fn` returning `{R}`",
    label = "an agent of a blocking `fn` returning `{R}` must be a blocking `fn` returning `{R}`, with the same parameters",
    note = "an `async fn` agent cannot serve a blocking function: nothing would run its future"
)]
pub trait BlockingAgent<R> {
    /// The answer, as `R`.
    ///
    /// ```
    /// use resilience_core::fallback::BlockingAgent;
    ///
    /// assert_eq!(BlockingAgent::<u8>::into_answer(3u8), 3);
    /// ```
    fn into_answer(self) -> R;
}

impl<R> BlockingAgent<R> for R {
    #[inline(always)]
    fn into_answer(self) -> R {
        self
    }
}

/// An agent's answer, for the expansion of `#[fallback]` on a blocking `fn` returning
/// `R` (see [`agent`]).
///
/// ```
/// assert_eq!(resilience_core::fallback::agent_blocking::<Result<u8, ()>, _>(Ok(1)), Ok(1));
/// ```
#[inline(always)]
pub fn agent_blocking<R, A: BlockingAgent<R>>(answer: A) -> R {
    answer.into_answer()
}
