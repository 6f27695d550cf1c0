use resilience::{bulkhead, rate_limit, retry};
async fn complete(prompt: &str, max_tokens: u32) -> Result<Reply, ApiError> {
    let mut __resilience = ::resilience::__private::pipeline::<Result<Reply, ApiError>>()
        .name(::core::concat!(::core::module_path!(), "::", "complete"))
        .rate_limit(
            {
                static LIMITER: ::resilience::__private::RateLimiter = ::resilience::__private::RateLimiter::new(
                    ::resilience::__private::ConfigError::unwrap_const(
                        ::resilience::__private::RateLimiter::builder()
                            .name(
                                ::core::concat!(::core::module_path!(), "::", "complete"),
                            )
                            .requests(500)
                            .tokens(200000)
                            .per(::core::time::Duration::from_secs(60))
                            .settings(),
                    ),
                );
                LIMITER.register()
            },
            estimate(prompt, &max_tokens),
            tokens_used,
        )
        .build();
    let mut __flow = __resilience.enter();
    while let ::resilience::__private::Flow::Wait = __flow {
        __flow = __resilience.wait().await;
    }
    if let ::resilience::__private::Flow::Done(__result) = __flow {
        return ::resilience::__private::answer::<Result<Reply, ApiError>>(__result);
    }
    let __outcome = __resilience
        .guard(async {
            if let ::core::option::Option::Some(__ret) = ::core::option::Option::None::<
                ::resilience::__private::ResultOf<Result<Reply, ApiError>>,
            > {
                return __ret;
            }
            client().send(prompt, max_tokens).await
        })
        .await;
    ::resilience::__private::answer::<
        Result<Reply, ApiError>,
    >(__resilience.finish(__outcome))
}
async fn chat(&self, messages: Vec<Message>) -> Result<Reply, ApiError> {
    let mut __resilience = ::resilience::__private::pipeline::<Result<Reply, ApiError>>()
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
        .rate_limit(
            &OPENAI,
            Self::estimate(self, &messages),
            ::resilience::__private::NoUsage,
        )
        .bulkhead({
            static BULKHEAD: ::resilience::__private::Bulkhead = ::resilience::__private::Bulkhead::new(
                ::resilience::__private::ConfigError::unwrap_const(
                    ::resilience::__private::Bulkhead::builder()
                        .name(::core::concat!(::core::module_path!(), "::", "chat"))
                        .max(8)
                        .queue(32)
                        .max_wait(::core::time::Duration::from_secs(5))
                        .settings(),
                ),
            );
            BULKHEAD.register()
        })
        .build();
    let mut __flow = __resilience.enter();
    loop {
        match { __flow } {
            ::resilience::__private::Flow::Call(_) => {}
            ::resilience::__private::Flow::Done(__result) => {
                break ::resilience::__private::answer::<
                    Result<Reply, ApiError>,
                >(__result);
            }
            ::resilience::__private::Flow::Wait => {
                __flow = __resilience.wait().await;
                continue;
            }
        }
        let __outcome = __resilience
            .guard(async {
                if let ::core::option::Option::Some(__ret) = ::core::option::Option::None::<
                    ::resilience::__private::ResultOf<Result<Reply, ApiError>>,
                > {
                    return __ret;
                }
                self.client.send(&messages).await
            })
            .await;
        __flow = __resilience.leave(__outcome);
    }
}
