use resilience::{circuit, fallback, retry};
fn load_config(key: &str) -> Result<String, ConfigError> {
    let mut __resilience = ::resilience::__private::pipeline::<
        Result<String, ConfigError>,
    >()
        .fallback(&["from_disk"], |_| true)
        .circuit(
            {
                static BREAKER: ::resilience::__private::CircuitBreaker = ::resilience::__private::breaker(
                    ::resilience::__private::CircuitBreaker::builder()
                        .name("config-server")
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
                        .attempts(3)
                        .backoff(
                            ::resilience::__private::ConfigError::unwrap_const(
                                ::resilience::__private::Backoff::fixed()
                                    .base(::core::time::Duration::from_millis(100))
                                    .jitter(::resilience::__private::Jitter::None)
                                    .build(),
                            ),
                        )
                        .build(),
                );
                &POLICY
            },
            |_| true,
            ::core::option::Option::None,
        );
    let mut __step = __resilience.start_blocking();
    loop {
        let __outcome = match __step {
            ::resilience::__private::Step::Call(0) => {
                (|| -> Result<String, ConfigError> { http_get(key) })()
            }
            ::resilience::__private::Step::Call(_) => from_disk(key),
            ::resilience::__private::Step::Done(__result) => break __result,
        };
        __step = __resilience.next_blocking(__outcome);
    }
}
fn consume(request: Request) -> Result<Response, ConfigError> {
    let mut __resilience = ::resilience::__private::pipeline::<
        Result<Response, ConfigError>,
    >()
        .circuit(
            {
                static BREAKER: ::resilience::__private::CircuitBreaker = ::resilience::__private::breaker(
                    ::resilience::__private::CircuitBreaker::builder()
                        .name(::core::concat!(::core::module_path!(), "::", "consume"))
                        .build(),
                );
                BREAKER.register()
            },
            |_| true,
        );
    match __resilience.start_blocking() {
        ::resilience::__private::Step::Call(_) => {
            let __outcome = (|| -> Result<Response, ConfigError> { send(request) })();
            __resilience.finish(::resilience::__private::Outcome::from(__outcome))
        }
        ::resilience::__private::Step::Done(__result) => __result,
    }
}
