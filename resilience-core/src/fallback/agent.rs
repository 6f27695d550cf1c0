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
