use resilience::{hedge, retry, timeout};
async fn complete(prompt: &str) -> Result<String, ApiError> {
    let __budget0: &::resilience::__private::RetryBudget = {
        static BUDGET: ::resilience::__private::NamedBudget = ::resilience::__private::NamedBudget::new(
            "llm",
        );
        BUDGET.get()
    };
    let __calls = ::resilience::__private::calls(|__call: usize| match __call {
        0 => {
            ::resilience::__private::Either::Left {
                guard: async {
                    if let ::core::option::Option::Some(__ret) = ::core::option::Option::None::<
                        ::resilience::__private::ResultOf<Result<String, ApiError>>,
                    > {
                        return __ret;
                    }
                    client().send(prompt).await
                },
            }
        }
        _ => {
            ::resilience::__private::Either::Right {
                guard: ::resilience::__private::agent::<
                    Result<String, ApiError>,
                    _,
                >(replica_b(prompt)),
            }
        }
    });
    let __part = || {
        ::resilience::__private::pipeline::<Result<String, ApiError>>()
            .name(::core::concat!(::core::module_path!(), "::", "complete"))
            .skip_agents(1)
            .timeout(::core::time::Duration::from_secs(10))
            .build_part()
    };
    let __fork = {
        static HEDGE: ::resilience::__private::HedgePolicy = ::resilience::__private::ConfigError::unwrap_const(
            ::resilience::__private::HedgePolicy::builder()
                .after(::core::time::Duration::from_secs(2))
                .max(1)
                .build(),
        );
        ::resilience::__private::Hedge::new(&HEDGE)
            .name(::core::concat!(::core::module_path!(), "::", "complete"))
            .budget(__budget0)
            .agents(&const { [::resilience::__private::Agent::named("replica_b")] }, 1)
    };
    let mut __resilience = ::resilience::__private::pipeline::<
        Result<String, ApiError>,
    >()
        .name(::core::concat!(::core::module_path!(), "::", "complete"))
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
        .budget(__budget0)
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
            .guard(
                __fork
                    .race({
                        let (__part, __calls, __fork) = (&__part, &__calls, &__fork);
                        move |__copy: usize| async move {
                            let mut __pass = __part();
                            let mut __flow = __pass.enter();
                            loop {
                                let __call = match { __flow } {
                                    ::resilience::__private::Flow::Call(__call) => __call,
                                    ::resilience::__private::Flow::Done(__result) => {
                                        break __result;
                                    }
                                    ::resilience::__private::Flow::Wait => {
                                        __flow = __pass.wait().await;
                                        continue;
                                    }
                                };
                                let __outcome = __pass
                                    .guard(__calls(__fork.call(__copy, __call)))
                                    .await;
                                __flow = __pass.leave(__outcome);
                            }
                        }
                    }),
            )
            .await;
        __flow = __resilience.leave(__outcome);
    }
}
