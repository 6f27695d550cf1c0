use resilience::{circuit, fallback, retry, timeout};
async fn gpt4(prompt: &str) -> Result<String, ApiError> {
    let mut __resilience = ::resilience::__private::pipeline::<
        Result<String, ApiError>,
    >()
        .fallback(&["gpt35", "local_llm"], |_| true)
        .circuit(
            {
                static BREAKER: ::resilience::__private::CircuitBreaker = ::resilience::__private::breaker(
                    ::resilience::__private::CircuitBreaker::builder()
                        .name(::core::concat!(::core::module_path!(), "::", "gpt4"))
                        .threshold(3)
                        .recovery(::core::time::Duration::from_secs(30))
                        .success_threshold(2)
                        .build(),
                );
                BREAKER.register()
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
            ::core::option::Option::None,
        )
        .timeout(::core::time::Duration::from_secs(10));
    let mut __step = __resilience.start().await;
    loop {
        let __outcome = match __step {
            ::resilience::__private::Step::Call(0) => {
                __resilience
                    .guard(async {
                        if let ::core::option::Option::Some(__ret) = ::core::option::Option::None::<
                            Result<String, ApiError>,
                        > {
                            return __ret;
                        }
                        client().send(prompt).await
                    })
                    .await
            }
            ::resilience::__private::Step::Call(1) => {
                __resilience.guard(gpt35(prompt)).await
            }
            ::resilience::__private::Step::Call(_) => {
                __resilience.guard(local_llm(prompt)).await
            }
            ::resilience::__private::Step::Done(__result) => break __result,
        };
        __step = __resilience.next(__outcome).await;
    }
}
