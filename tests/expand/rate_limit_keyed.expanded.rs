use resilience::rate_limit;
async fn complete(model: &str, prompt: &str) -> Result<Reply, ApiError> {
    let mut __resilience = ::resilience::__private::pipeline::<Result<Reply, ApiError>>()
        .name(::core::concat!(::core::module_path!(), "::", "complete"))
        .rate_limit(
            {
                static LIMITERS: ::resilience::__private::RateLimiters = ::resilience::__private::RateLimiters::new(
                    ::resilience::__private::ConfigError::unwrap_const(
                        ::resilience::__private::RateLimiter::builder()
                            .name("openai")
                            .requests(500)
                            .per(::core::time::Duration::from_secs(60))
                            .settings(),
                    ),
                    ::resilience::__private::max_keys(64),
                );
                use ::resilience::__private::{KeyAsStr as _, KeyDisplay as _};
                (&&::resilience::__private::KeyText(&(model)))
                    .with_key(|__key| LIMITERS.for_key(__key))
            },
            0_u64,
            ::resilience::__private::NoUsage,
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
            client().send(model, prompt).await
        })
        .await;
    ::resilience::__private::answer::<
        Result<Reply, ApiError>,
    >(__resilience.finish(__outcome))
}
