//! The optional features: other crates' traits for this crate's types.
//! Nothing here is compiled with default features.

#[cfg(feature = "approx")]
mod approx;
#[cfg(feature = "serde")]
mod serde;
