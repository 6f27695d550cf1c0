//! STUB (replaced by the real module at merge).
#![allow(missing_docs, dead_code, unreachable_pub)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Served { pub by: &'static str, pub level: usize }
pub fn report(_s: Served) {}
