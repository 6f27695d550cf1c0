use resilience::circuit;
async fn complete(prompt: &str) -> Result<String, ApiError> {
    let mut __resilience = ::resilience::__private::pipeline::<
        Result<String, ApiError>,
    >()
        .name(::core::concat!(::core::module_path!(), "::", "complete"))
        .circuit(
            {
                static BREAKERS: ::resilience::__private::Breakers = ::resilience::__private::Breakers::new(
                    ::resilience::__private::breaker(
                        ::resilience::__private::CircuitBreaker::builder()
                            .name(
                                ::core::concat!(::core::module_path!(), "::", "complete"),
                            )
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
            is_server_error,
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
            client().send(prompt).await
        })
        .await;
    ::resilience::__private::answer::<
        Result<String, ApiError>,
    >(__resilience.finish(__outcome))
}
