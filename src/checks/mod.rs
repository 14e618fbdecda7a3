//! Read-only checks: commands that gather evidence for a step, with the operator's consent.
//!
//! A check is data in the checklist ([`Check`]); the checklist loader calls [`Check::validate`]
//! with the checklist's fact ids, which refuses mistakes with the field and position.

pub mod spec;

pub use self::spec::{Check, Expect, ExpectSpec, Field, Foreach, SpecError, Template, ValidCheck};
