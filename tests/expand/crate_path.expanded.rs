use my::vendored::resilience::{retry, timeout};
async fn complete(prompt: &str) -> Result<String, ApiError> {
    let mut __resilience = my::vendored::resilience::__private::pipeline::<
        Result<String, ApiError>,
    >()
        .name(::core::concat!(::core::module_path!(), "::", "complete"))
        .retry(
            {
                static POLICY: my::vendored::resilience::__private::RetryPolicy = my::vendored::resilience::__private::ConfigError::unwrap_const(
                    my::vendored::resilience::__private::RetryPolicy::builder()
                        .attempts(2)
                        .build(),
                );
                &POLICY
            },
            |_| true,
            my::vendored::resilience::__private::NoRetryAfter,
        )
        .timeout(::core::time::Duration::from_secs(5))
        .build();
    let mut __flow = __resilience.enter();
    loop {
        match { __flow } {
            my::vendored::resilience::__private::Flow::Call(_) => {}
            my::vendored::resilience::__private::Flow::Done(__result) => {
                break my::vendored::resilience::__private::answer::<
                    Result<String, ApiError>,
                >(__result);
            }
            my::vendored::resilience::__private::Flow::Wait => {
                __flow = __resilience.wait().await;
                continue;
            }
        }
        let __outcome = __resilience
            .guard(async {
                if let ::core::option::Option::Some(__ret) = ::core::option::Option::None::<
                    my::vendored::resilience::__private::ResultOf<
                        Result<String, ApiError>,
                    >,
                > {
                    return __ret;
                }
                client().send(prompt).await
            })
            .await;
        __flow = __resilience.leave(__outcome);
    }
}
#[my::vendored::resilience::circuit(__resilience_expanded)]
fn blocking(prompt: &str) -> Result<String, ApiError> {
    let mut __resilience = my::vendored::resilience::__private::pipeline::<
        Result<String, ApiError>,
    >()
        .name(::core::concat!(::core::module_path!(), "::", "blocking"))
        .retry(
            {
                static POLICY: my::vendored::resilience::__private::RetryPolicy = my::vendored::resilience::__private::ConfigError::unwrap_const(
                    my::vendored::resilience::__private::RetryPolicy::builder().build(),
                );
                &POLICY
            },
            |_| true,
            my::vendored::resilience::__private::NoRetryAfter,
        )
        .circuit(
            {
                static BREAKERS: my::vendored::resilience::__private::Breakers = my::vendored::resilience::__private::Breakers::new(
                    my::vendored::resilience::__private::breaker(
                        my::vendored::resilience::__private::CircuitBreaker::builder()
                            .name(
                                ::core::concat!(::core::module_path!(), "::", "blocking"),
                            )
                            .build(),
                    ),
                    my::vendored::resilience::__private::Scope::Function,
                    my::vendored::resilience::__private::max_keys(1024),
                );
                #[my::vendored::resilience::__private::linkme::distributed_slice(
                    my::vendored::resilience::__private::ATTRIBUTES
                )]
                #[linkme(crate = my::vendored::resilience::__private::linkme)]
                static ENTRY: &'static dyn my::vendored::resilience::__private::Protection = &BREAKERS;
                BREAKERS.own_breaker()
            },
            |_| true,
        )
        .build();
    let mut __flow = __resilience.enter();
    loop {
        match { __flow } {
            my::vendored::resilience::__private::Flow::Call(_) => {}
            my::vendored::resilience::__private::Flow::Done(__result) => {
                break my::vendored::resilience::__private::answer::<
                    Result<String, ApiError>,
                >(__result);
            }
            my::vendored::resilience::__private::Flow::Wait => {
                __flow = __resilience.wait_blocking();
                continue;
            }
        }
        let __outcome = my::vendored::resilience::__private::Outcome::from(
            (|| -> my::vendored::resilience::__private::ResultOf<
                Result<String, ApiError>,
            > { client().send_blocking(prompt) })(),
        );
        __flow = __resilience.leave(__outcome);
    }
}
