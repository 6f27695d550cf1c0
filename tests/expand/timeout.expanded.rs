use resilience::timeout;
async fn complete(prompt: &str) -> Result<String, ApiError> {
    let mut __resilience = ::resilience::__private::pipeline::<
        Result<String, ApiError>,
    >()
        .name(::core::concat!(::core::module_path!(), "::", "complete"))
        .timeout(::core::time::Duration::from_millis(1500))
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
