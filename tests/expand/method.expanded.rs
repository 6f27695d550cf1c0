use resilience::{circuit, retry};
impl Client {
    pub async fn complete(&mut self, prompt: &str) -> Result<String, ApiError> {
        let mut __resilience = ::resilience::__private::pipeline::<
            Result<String, ApiError>,
        >()
            .name(::core::concat!(::core::module_path!(), "::", "complete"))
            .retry(
                {
                    static POLICY: ::resilience::__private::RetryPolicy = ::resilience::__private::ConfigError::unwrap_const(
                        ::resilience::__private::RetryPolicy::builder()
                            .attempts(3)
                            .build(),
                    );
                    &POLICY
                },
                |_| true,
                ApiError::retry_after,
            )
            .circuit(&BREAKER, |_| true)
            .build();
        let mut __flow = __resilience.enter();
        loop {
            match { __flow } {
                ::resilience::__private::Flow::Call(_) => {}
                ::resilience::__private::Flow::Done(__result) => {
                    break ::resilience::__private::answer::<
                        Result<String, ApiError>,
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
                        ::resilience::__private::ResultOf<Result<String, ApiError>>,
                    > {
                        return __ret;
                    }
                    self.requests += 1;
                    self.http.send(prompt).await
                })
                .await;
            __flow = __resilience.leave(__outcome);
        }
    }
}
