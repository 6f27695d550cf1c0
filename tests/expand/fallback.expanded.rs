use resilience::fallback;
async fn gpt4(prompt: &str, max_tokens: u32) -> Result<String, ApiError> {
    let mut __resilience = ::resilience::__private::pipeline::<
        Result<String, ApiError>,
    >()
        .name(::core::concat!(::core::module_path!(), "::", "gpt4"))
        .fallback(
            &const {
                [
                    ::resilience::__private::Agent::named("gpt35"),
                    ::resilience::__private::Agent::named("local::llm"),
                ]
            },
            |__error| ::core::matches!(__error, ApiError::Network),
        )
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
                        client().send(prompt, max_tokens).await
                    })
                    .await
            }
            1 => {
                __resilience
                    .guard(
                        ::resilience::__private::agent::<
                            Result<String, ApiError>,
                            _,
                        >(gpt35(prompt, max_tokens)),
                    )
                    .await
            }
            _ => {
                __resilience
                    .guard(
                        ::resilience::__private::agent::<
                            Result<String, ApiError>,
                            _,
                        >(local::llm(prompt, max_tokens)),
                    )
                    .await
            }
        };
        __flow = __resilience.leave(__outcome);
    }
}
