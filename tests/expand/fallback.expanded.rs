use resilience::fallback;
async fn gpt4(prompt: &str, max_tokens: u32) -> Result<String, ApiError> {
    let mut __resilience = ::resilience::__private::pipeline::<
        Result<String, ApiError>,
    >()
        .fallback(
            &["gpt35", "local::llm"],
            |__error| ::core::matches!(__error, ApiError::Network),
        );
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
                        client().send(prompt, max_tokens).await
                    })
                    .await
            }
            ::resilience::__private::Step::Call(1) => {
                __resilience.guard(gpt35(prompt, max_tokens)).await
            }
            ::resilience::__private::Step::Call(_) => {
                __resilience.guard(local::llm(prompt, max_tokens)).await
            }
            ::resilience::__private::Step::Done(__result) => break __result,
        };
        __step = __resilience.next(__outcome).await;
    }
}
