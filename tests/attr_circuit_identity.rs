//! Which breaker a function gets (DESIGN.md §3): one per function, one per `Self` type
//! for methods, one shared by every function that gives the same name; and every
//! attribute's breakers in the registry before their function ever runs.
mod common;

use common::ApiError;
use resilience::registry::{self, Value};
use resilience::{State, circuit};

/// A trait whose default method has a breaker: each implementor must get its own.
trait Provider {
    fn up(&self) -> bool;

    #[circuit(threshold = 1, recovery = 30s)]
    async fn chat(&self) -> Result<&'static str, ApiError> {
        if self.up() {
            Ok("answer")
        } else {
            Err(ApiError::Network)
        }
    }
}

struct OpenAi;
struct Anthropic;

impl Provider for OpenAi {
    fn up(&self) -> bool {
        false
    }
}

impl Provider for Anthropic {
    fn up(&self) -> bool {
        true
    }
}

#[tokio::test(start_paused = true)]
async fn a_trait_default_method_has_one_breaker_per_implementor() {
    // OpenAi's outage opens OpenAi's breaker only.
    assert_eq!(OpenAi.chat().await, Err(ApiError::Network));
    assert!(matches!(OpenAi.chat().await, Err(ApiError::Open(_))));
    assert_eq!(Anthropic.chat().await, Ok("answer"));
    assert_eq!(Anthropic.chat().await, Ok("answer"));

    let module = module_path!();
    let openai = registry::circuit(&format!("{module}::OpenAi::chat")).expect("named by type");
    let anthropic = registry::circuit(&format!("{module}::Anthropic::chat")).unwrap();
    assert_eq!(openai.state(), State::Open);
    assert_eq!(anthropic.state(), State::Closed);
    assert_eq!((openai.stats().failures, openai.stats().rejected), (1, 1));
    assert_eq!(anthropic.stats().successes, 2);
    let Err(ApiError::Open(open)) = OpenAi.chat().await else {
        panic!("still open");
    };
    assert_eq!(open.name(), format!("{module}::OpenAi::chat"));
}

/// Same-named methods of two types in one module.
struct Search {
    up: bool,
}
struct Images {
    up: bool,
}

impl Search {
    #[circuit(threshold = 1)]
    async fn query(&self) -> Result<u8, ApiError> {
        if self.up {
            Ok(1)
        } else {
            Err(ApiError::Network)
        }
    }
}

impl Images {
    #[circuit(threshold = 1)]
    async fn query(&self) -> Result<u8, ApiError> {
        if self.up {
            Ok(2)
        } else {
            Err(ApiError::Network)
        }
    }
}

#[tokio::test(start_paused = true)]
async fn same_named_methods_of_two_types_have_two_named_breakers() {
    let _ = Search { up: false }.query().await;
    assert_eq!(Images { up: true }.query().await, Ok(2));
    let module = module_path!();
    let search = registry::circuit(&format!("{module}::Search::query")).unwrap();
    let images = registry::circuit(&format!("{module}::Images::query")).unwrap();
    assert!(!std::ptr::eq(search, images));
    assert_eq!(
        (search.state(), images.state()),
        (State::Open, State::Closed)
    );
}

/// A generic type: `Client<A>` and `Client<B>` are two `Self` types.
struct Client<T>(T);

impl<T: Fn() -> bool> Client<T> {
    #[circuit(threshold = 1)]
    fn call(&self) -> Result<(), ApiError> {
        if (self.0)() {
            Ok(())
        } else {
            Err(ApiError::Network)
        }
    }
}

#[test]
fn each_instantiation_of_a_generic_type_has_its_own_breaker() {
    fn down() -> bool {
        false
    }
    fn up() -> bool {
        true
    }
    let failing = Client(down);
    let healthy = Client(up as fn() -> bool);
    assert_eq!(failing.call(), Err(ApiError::Network));
    assert!(matches!(failing.call(), Err(ApiError::Open(_))));
    assert_eq!(healthy.call(), Ok(()));
}

/// An associated function without `self` that does not name `Self` cannot tell its
/// type: one breaker for the function.
impl Search {
    #[circuit(threshold = 1)]
    fn ping(up: bool) -> Result<(), ApiError> {
        if up { Ok(()) } else { Err(ApiError::Network) }
    }
}

#[test]
fn an_associated_function_without_self_has_one_breaker() {
    let _ = Search::ping(false);
    let name = format!("{}::ping", module_path!());
    assert_eq!(registry::circuit(&name).unwrap().state(), State::Open);
}

// ---------------------------------------------------------------- shared names

#[circuit(name = "shared-upstream", threshold = 2)]
fn first_user(up: bool) -> Result<(), ApiError> {
    if up { Ok(()) } else { Err(ApiError::Network) }
}

#[circuit(name = "shared-upstream", threshold = 2)]
fn second_user(up: bool) -> Result<(), ApiError> {
    if up { Ok(()) } else { Err(ApiError::Network) }
}

#[test]
fn functions_that_give_the_same_name_share_one_breaker() {
    // One failure from each opens the one breaker they share.
    let _ = first_user(false);
    let _ = second_user(false);
    assert!(matches!(first_user(true), Err(ApiError::Open(_))));
    assert!(matches!(second_user(true), Err(ApiError::Open(_))));
    let shared = registry::circuit("shared-upstream").unwrap();
    assert_eq!(shared.stats().failures, 2);
    // Listed once.
    let entries = registry::all()
        .into_iter()
        .filter(|p| p.name() == "shared-upstream")
        .count();
    assert_eq!(entries, 1);
}

// ---------------------------------------------------------------- the registry at start-up

#[circuit(threshold = 4)]
#[allow(dead_code, reason = "never called: it must be listed all the same")]
async fn never_called() -> Result<(), ApiError> {
    Ok(())
}

#[circuit(key = region, max_keys = 8)]
#[allow(
    dead_code,
    reason = "never called: its family must be listed all the same"
)]
async fn never_called_keyed(region: &str) -> Result<(), ApiError> {
    let _ = region;
    Ok(())
}

#[test]
fn every_attributes_breakers_are_listed_before_their_function_runs() {
    let module = module_path!();
    let breaker = registry::circuit(&format!("{module}::never_called")).expect("listed");
    assert_eq!((breaker.threshold(), breaker.stats().calls), (4, 0));
    assert!(
        registry::circuits()
            .iter()
            .any(|b| b.name() == format!("{module}::never_called"))
    );
    let family = registry::find("circuit", &format!("{module}::never_called_keyed"))
        .expect("the family is listed");
    let status = family.status();
    assert_eq!(status.get("keys"), Some(&Value::Count(0)));
    assert_eq!(status.get("max_keys"), Some(&Value::Count(8)));
}
