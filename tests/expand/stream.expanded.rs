use resilience::{fallback, retry, stream, stream::Stream};
async fn chat(
    prompt: &str,
) -> Result<impl Stream<Item = Result<Chunk, ApiError>>, ApiError> {
    let mut __resilience = ::resilience::__private::pipeline::<Result<_, ApiError>>()
        .name(::core::concat!(::core::module_path!(), "::", "chat"))
        .retry(
            {
                static POLICY: ::resilience::__private::RetryPolicy = ::resilience::__private::ConfigError::unwrap_const(
                    ::resilience::__private::RetryPolicy::builder().attempts(3).build(),
                );
                &POLICY
            },
            |_| true,
            ::resilience::__private::NoRetryAfter,
        )
        .build();
    let mut __flow = __resilience.enter();
    loop {
        match { __flow } {
            ::resilience::__private::Flow::Call(_) => {}
            ::resilience::__private::Flow::Done(__result) => {
                break ::resilience::__private::answer::<Result<_, ApiError>>(__result);
            }
            ::resilience::__private::Flow::Wait => {
                __flow = __resilience.wait().await;
                continue;
            }
        }
        let __outcome = __resilience
            .guard(
                ::resilience::__private::first_item(
                    async {
                        if let ::core::option::Option::Some(__ret) = ::core::option::Option::None::<
                            ::resilience::__private::ResultOf<Result<_, ApiError>>,
                        > {
                            return __ret;
                        }
                        client().stream(prompt).await
                    },
                    {
                        static POLICY: ::resilience::__private::StreamPolicy = ::resilience::__private::ConfigError::unwrap_const(
                            ::resilience::__private::StreamPolicy::builder()
                                .name(::core::concat!(::core::module_path!(), "::", "chat"))
                                .first(::core::time::Duration::from_secs(10))
                                .idle(::core::time::Duration::from_secs(30))
                                .build(),
                        );
                        &POLICY
                    },
                ),
            )
            .await;
        __flow = __resilience.leave(__outcome);
    }
}
async fn gpt(
    prompt: &str,
) -> Result<impl Stream<Item = Result<Chunk, ApiError>>, ApiError> {
    let mut __resilience = ::resilience::__private::pipeline::<Result<_, ApiError>>()
        .name(::core::concat!(::core::module_path!(), "::", "gpt"))
        .fallback(&const { [::resilience::__private::Agent::named("claude")] }, |_| true)
        .build();
    let mut __flow = __resilience.enter();
    loop {
        let __call = match { __flow } {
            ::resilience::__private::Flow::Call(__call) => __call,
            ::resilience::__private::Flow::Done(__result) => {
                break ::resilience::__private::answer::<Result<_, ApiError>>(__result);
            }
            ::resilience::__private::Flow::Wait => {
                __flow = __resilience.wait().await;
                continue;
            }
        };
        let __outcome = match __call {
            0 => {
                __resilience
                    .guard(
                        ::resilience::__private::first_item(
                            ::resilience::__private::stream_left(async {
                                if let ::core::option::Option::Some(__ret) = ::core::option::Option::None::<
                                    ::resilience::__private::ResultOf<Result<_, ApiError>>,
                                > {
                                    return __ret;
                                }
                                client().stream(prompt).await
                            }),
                            {
                                static POLICY: ::resilience::__private::StreamPolicy = ::resilience::__private::ConfigError::unwrap_const(
                                    ::resilience::__private::StreamPolicy::builder()
                                        .name(::core::concat!(::core::module_path!(), "::", "gpt"))
                                        .first(::core::time::Duration::from_secs(5))
                                        .build(),
                                );
                                &POLICY
                            },
                        ),
                    )
                    .await
            }
            _ => {
                __resilience
                    .guard(
                        ::resilience::__private::first_item(
                            ::resilience::__private::stream_right(
                                ::resilience::__private::agent::<
                                    Result<_, ApiError>,
                                    _,
                                >(claude(prompt)),
                            ),
                            {
                                static POLICY: ::resilience::__private::StreamPolicy = ::resilience::__private::ConfigError::unwrap_const(
                                    ::resilience::__private::StreamPolicy::builder()
                                        .name(::core::concat!(::core::module_path!(), "::", "gpt"))
                                        .first(::core::time::Duration::from_secs(5))
                                        .build(),
                                );
                                &POLICY
                            },
                        ),
                    )
                    .await
            }
        };
        __flow = __resilience.leave(__outcome);
    }
}
