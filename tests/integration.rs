//! The one integration-test binary: each module drives the real `closeacct` binary or the
//! library's public API.

mod builtin_checklists;
mod checklists;
mod checks;
mod commands;
mod common;
mod completion;
mod docs;
mod durability;
mod fleet;
mod man;
mod reports;
mod secrets;
mod status_width;
mod trust;
mod user_checklists;
mod wizard_pty;
