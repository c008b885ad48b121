//! Field-level validation errors: field name → what is wrong with it, in words.
//! Shared by the pipeline's schemas and the stored records' parsers, so every REST
//! route and socket command reports a bad body the same way.

use std::collections::BTreeMap;

pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Record that `field` is wrong, and why.
pub fn add(errors: &mut FieldErrors, field: &str, message: impl Into<String>) {
    errors
        .entry(field.to_string())
        .or_default()
        .push(message.into());
}
