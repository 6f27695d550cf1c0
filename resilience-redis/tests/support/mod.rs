pub mod fleet;
pub mod server;

/// One scenario at a time: each runs several processes against its own Redis, and they
/// measure rates on a 2-core machine.
pub static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
