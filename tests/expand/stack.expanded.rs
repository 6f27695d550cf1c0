use resilience::{circuit, fallback, retry, timeout};
async fn gpt4(prompt: &str) -> Result<String, ApiError> {
    let mut __resilience = ::resilience::__private::pipeline::<
        Result<String, ApiError>,
    >()
        .name(::core::concat!(::core::module_path!(), "::", "gpt4"))
        .fallback(
            &const {
                [
                    ::resilience::__private::Agent::named("gpt35"),
                    ::resilience::__private::Agent::named("local_llm"),
                ]
            },
            |_| true,
        )
        .circuit(
            {
                static BREAKERS: ::resilience::__private::Breakers = ::resilience::__private::Breakers::new(
                    ::resilience::__private::breaker(
                        ::resilience::__private::CircuitBreaker::builder()
                            .name(::core::concat!(::core::module_path!(), "::", "gpt4"))
                            .threshold(3)
                            .recovery(::core::time::Duration::from_secs(30))
                            .success_threshold(2)
                            .build(),
                    ),
                    ::resilience::__private::Scope::Function,
                    ::resilience::__private::max_keys(1024),
                );
                #[::resilience::__private::linkme::distributed_slice(
                    ::resilience::__private::ATTRIBUTES
                )]
                #[linkme(crate = ::resilience::__private::linkme)]
                static ENTRY: &'static dyn ::resilience::__private::Protection = &BREAKERS;
                BREAKERS.own_breaker()
            },
            |_| true,
        )
        .retry(
            {
                static POLICY: ::resilience::__private::RetryPolicy = ::resilience::__private::ConfigError::unwrap_const(
                    ::resilience::__private::RetryPolicy::builder()
                        .attempts(4)
                        .backoff(
                            ::resilience::__private::ConfigError::unwrap_const(
                                ::resilience::__private::Backoff::exponential()
                                    .max(::core::time::Duration::from_secs(10))
                                    .build(),
                            ),
                        )
                        .build(),
                );
                &POLICY
            },
            |__error| {
                ::core::matches!(
                    __error, ApiError::Network | ApiError::RateLimited { .. }
                )
            },
            ::resilience::__private::NoRetryAfter,
        )
        .timeout(::core::time::Duration::from_secs(10))
        .build();
    let mut __flow = __resilience.enter();
    loop {
        let __call = match { __flow } {
            ::resilience::__private::Flow::Call(__call) => __call,
            ::resilience::__private::Flow::Done(__result) => {
                break ::resilience::__private::answer::<
                    Result<String, ApiError>,
                >(__result);
            }
            ::resilience::__private::Flow::Wait => {
                __flow = __resilience.wait().await;
                continue;
            }
        };
        let __outcome = match __call {
            0 => {
                __resilience
                    .guard(async {
                        if let ::core::option::Option::Some(__ret) = ::core::option::Option::None::<
                            ::resilience::__private::ResultOf<Result<String, ApiError>>,
                        > {
                            return __ret;
                        }
                        client().send(prompt).await
                    })
                    .await
            }
            1 => {
                __resilience
                    .guard(
                        ::resilience::__private::agent::<
                            Result<String, ApiError>,
                            _,
                        >(gpt35(prompt)),
                    )
                    .await
            }
            _ => {
                __resilience
                    .guard(
                        ::resilience::__private::agent::<
                            Result<String, ApiError>,
                            _,
                        >(local_llm(prompt)),
                    )
                    .await
            }
        };
        __flow = __resilience.leave(__outcome);
    }
}
