use resilience::circuit;
async fn complete(model: &str, prompt: &str) -> Result<String, ApiError> {
    let mut __resilience = ::resilience::__private::pipeline::<
        Result<String, ApiError>,
    >()
        .name(::core::concat!(::core::module_path!(), "::", "complete"))
        .circuit_with(
            {
                static BREAKERS: ::resilience::__private::Breakers = ::resilience::__private::Breakers::new(
                    ::resilience::__private::breaker(
                        ::resilience::__private::CircuitBreaker::builder()
                            .name(
                                ::core::concat!(::core::module_path!(), "::", "complete"),
                            )
                            .failure_rate(0.5)
                            .window(
                                ::resilience::__private::Window::Time(
                                    ::core::time::Duration::from_secs(30),
                                ),
                            )
                            .build(),
                    ),
                    ::resilience::__private::Scope::PerKey,
                    ::resilience::__private::max_keys(1024),
                );
                #[::resilience::__private::linkme::distributed_slice(
                    ::resilience::__private::ATTRIBUTES
                )]
                #[linkme(crate = ::resilience::__private::linkme)]
                static ENTRY: &'static dyn ::resilience::__private::Protection = &BREAKERS;
                {
                    use ::resilience::__private::{KeyAsStr as _, KeyDisplay as _};
                    (&&::resilience::__private::KeyText(&(model)))
                        .with_key(|__key| BREAKERS.for_key(__key))
                }
            },
            |_| true,
            ApiError::retry_after,
        )
        .build();
    if let ::resilience::__private::Flow::Done(__result) = __resilience.enter() {
        return ::resilience::__private::answer::<Result<String, ApiError>>(__result);
    }
    let __outcome = __resilience
        .guard(async {
            if let ::core::option::Option::Some(__ret) = ::core::option::Option::None::<
                ::resilience::__private::ResultOf<Result<String, ApiError>>,
            > {
                return __ret;
            }
            client().send(model, prompt).await
        })
        .await;
    ::resilience::__private::answer::<
        Result<String, ApiError>,
    >(__resilience.finish(__outcome))
}
impl Provider {
    async fn chat(&self, prompt: &str) -> Result<String, ApiError> {
        let mut __resilience = ::resilience::__private::pipeline::<
            Result<String, ApiError>,
        >()
            .name(::core::concat!(::core::module_path!(), "::", "chat"))
            .circuit(
                {
                    static BREAKERS: ::resilience::__private::Breakers = ::resilience::__private::Breakers::new(
                            ::resilience::__private::breaker(
                                ::resilience::__private::CircuitBreaker::builder()
                                    .name(::core::concat!(::core::module_path!(), "::", "chat"))
                                    .threshold(3)
                                    .build(),
                            ),
                            ::resilience::__private::Scope::PerType,
                            ::resilience::__private::max_keys(1024),
                        )
                        .located(::core::module_path!(), "chat");
                    #[::resilience::__private::linkme::distributed_slice(
                        ::resilience::__private::ATTRIBUTES
                    )]
                    #[linkme(crate = ::resilience::__private::linkme)]
                    static ENTRY: &'static dyn ::resilience::__private::Protection = &BREAKERS;
                    BREAKERS.for_type::<Self>()
                },
                |_| true,
            )
            .build();
        if let ::resilience::__private::Flow::Done(__result) = __resilience.enter() {
            return ::resilience::__private::answer::<Result<String, ApiError>>(__result);
        }
        let __outcome = __resilience
            .guard(async {
                if let ::core::option::Option::Some(__ret) = ::core::option::Option::None::<
                    ::resilience::__private::ResultOf<Result<String, ApiError>>,
                > {
                    return __ret;
                }
                self.client.send(prompt).await
            })
            .await;
        ::resilience::__private::answer::<
            Result<String, ApiError>,
        >(__resilience.finish(__outcome))
    }
}
