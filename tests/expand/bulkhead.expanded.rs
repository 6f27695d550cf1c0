use resilience::bulkhead;
fn embed(text: &str) -> Result<Vec<f32>, ApiError> {
    let mut __resilience = ::resilience::__private::pipeline::<
        Result<Vec<f32>, ApiError>,
    >()
        .name(::core::concat!(::core::module_path!(), "::", "embed"))
        .bulkhead({
            static BULKHEAD: ::resilience::__private::Bulkhead = ::resilience::__private::Bulkhead::new(
                ::resilience::__private::ConfigError::unwrap_const(
                    ::resilience::__private::Bulkhead::builder()
                        .name("embeddings")
                        .max(10)
                        .queue(100)
                        .settings(),
                ),
            );
            BULKHEAD.register()
        })
        .build();
    let mut __flow = __resilience.enter();
    while let ::resilience::__private::Flow::Wait = __flow {
        __flow = __resilience.wait_blocking();
    }
    if let ::resilience::__private::Flow::Done(__result) = __flow {
        return ::resilience::__private::answer::<Result<Vec<f32>, ApiError>>(__result);
    }
    let __outcome = ::resilience::__private::Outcome::from(
        (|| -> ::resilience::__private::ResultOf<Result<Vec<f32>, ApiError>> {
            client().embed(text)
        })(),
    );
    ::resilience::__private::answer::<
        Result<Vec<f32>, ApiError>,
    >(__resilience.finish(__outcome))
}
