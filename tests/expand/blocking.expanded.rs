use resilience::{circuit, fallback, retry};
fn load_config(key: &str) -> Result<String, ConfigError> {
    let mut __resilience = ::resilience::__private::pipeline::<
        Result<String, ConfigError>,
    >()
        .name(::core::concat!(::core::module_path!(), "::", "load_config"))
        .fallback(
            &const { [::resilience::__private::Agent::named("from_disk")] },
            |_| true,
        )
        .circuit(
            {
                static BREAKERS: ::resilience::__private::Breakers = ::resilience::__private::Breakers::new(
                        ::resilience::__private::breaker(
                            ::resilience::__private::CircuitBreaker::builder()
                                .name("config-server")
                                .build(),
                        ),
                        ::resilience::__private::Scope::Function,
                        ::resilience::__private::max_keys(1024),
                    )
                    .shared();
                #[::resilience::__private::linkme::distributed_slice(
                    ::resilience::__private::ATTRIBUTES
                )]
                #[linkme(crate = ::resilience::__private::linkme)]
                static ENTRY: &'static dyn ::resilience::__private::Protection = &BREAKERS;
                BREAKERS.function_breaker()
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
            ::resilience::__private::NoRetryAfter,
        )
        .build();
    let mut __flow = __resilience.enter();
    loop {
        let __call = match { __flow } {
            ::resilience::__private::Flow::Call(__call) => __call,
            ::resilience::__private::Flow::Done(__result) => {
                break ::resilience::__private::answer::<
                    Result<String, ConfigError>,
                >(__result);
            }
            ::resilience::__private::Flow::Wait => {
                __flow = __resilience.wait_blocking();
                continue;
            }
        };
        let __outcome = match __call {
            0 => {
                ::resilience::__private::Outcome::from(
                    (|| -> ::resilience::__private::ResultOf<
                        Result<String, ConfigError>,
                    > { http_get(key) })(),
                )
            }
            _ => {
                ::resilience::__private::Outcome::from(
                    ::resilience::__private::agent_blocking::<
                        Result<String, ConfigError>,
                        _,
                    >(from_disk(key)),
                )
            }
        };
        __flow = __resilience.leave(__outcome);
    }
}
fn consume(request: Request) -> Result<Response, ConfigError> {
    let mut __resilience = ::resilience::__private::pipeline::<
        Result<Response, ConfigError>,
    >()
        .name(::core::concat!(::core::module_path!(), "::", "consume"))
        .circuit(
            {
                static BREAKERS: ::resilience::__private::Breakers = ::resilience::__private::Breakers::new(
                    ::resilience::__private::breaker(
                        ::resilience::__private::CircuitBreaker::builder()
                            .name(
                                ::core::concat!(::core::module_path!(), "::", "consume"),
                            )
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
        .build();
    if let ::resilience::__private::Flow::Done(__result) = __resilience.enter() {
        return ::resilience::__private::answer::<
            Result<Response, ConfigError>,
        >(__result);
    }
    let __outcome = ::resilience::__private::Outcome::from(
        (|| -> ::resilience::__private::ResultOf<Result<Response, ConfigError>> {
            send(request)
        })(),
    );
    ::resilience::__private::answer::<
        Result<Response, ConfigError>,
    >(__resilience.finish(__outcome))
}
