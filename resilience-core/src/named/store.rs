//! The policies loaded now, and the generation that tells call sites to look again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};

use super::Policies;
use super::parse::Policy;

/// What was loaded last, and from where.
pub(super) struct Loaded {
    pub(super) file: String,
    pub(super) policies: Policies,
}

static LOADED: RwLock<Option<Loaded>> = RwLock::new(None);

/// Bumped by every load: 0 until a file is loaded. A call site that saw generation
/// `g` keeps what it resolved until this moves on.
static GENERATION: AtomicU64 = AtomicU64::new(0);

pub(super) fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// Replaces what is loaded; the next calls of every named site see it.
pub(super) fn replace(file: &str, policies: Policies) {
    let mut loaded = LOADED.write().unwrap_or_else(PoisonError::into_inner);
    *loaded = Some(Loaded {
        file: file.to_owned(),
        policies,
    });
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// What the loaded file says of `name`: `Err(file)` when it has no such name,
/// `Err("")` when no file is loaded.
pub(super) fn policy(name: &str) -> Result<Policy, String> {
    let loaded = LOADED.read().unwrap_or_else(PoisonError::into_inner);
    match &*loaded {
        None => Err(String::new()),
        Some(loaded) => loaded
            .policies
            .by_name
            .get(name)
            .copied()
            .ok_or_else(|| loaded.file.clone()),
    }
}

/// The (name, pattern) pairs warned of at a generation.
static WARNED: Mutex<(u64, Vec<(String, &'static str)>)> = Mutex::new((0, Vec::new()));

/// Whether a warning that `name`'s `pattern` fell back to the literals is the first of
/// generation `generation`: one per name, pattern and load, however many sites name it
/// (a stream's body and its fallback agents are a site each).
pub(super) fn first_warning(generation: u64, name: &str, pattern: &'static str) -> bool {
    let mut warned = WARNED.lock().unwrap_or_else(PoisonError::into_inner);
    if warned.0 != generation {
        *warned = (generation, Vec::new());
    }
    let seen = warned.1.iter().any(|(n, p)| n == name && *p == pattern);
    if !seen {
        warned.1.push((name.to_owned(), pattern));
    }
    !seen
}
