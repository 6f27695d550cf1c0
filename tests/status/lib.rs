//! Nothing here: this package holds the tests of `resilience::status` (`status_page.rs`,
//! `status_control.rs`, `status_browser.rs`), apart from the `resilience` package so
//! that their HTTP stack is not built with it.
