//! Nothing: this package only runs `ui.rs` (see there).
