//! The networks' API: the series' [`TwoLayerNet`], any-depth [`Network`],
//! the textbook route behind their traces, their gradient checks and the
//! [`Workspace`] they compute gradients in.

mod builder;
mod checks;
mod classify;
mod compute;
mod forward;
mod gradcheck;
mod gradients;
mod network;
mod trace;
mod two_layer;
mod workspace;

pub use builder::{Init, NetworkBuilder};
pub use gradcheck::{DEFAULT_EPSILON, GradientCheck, numerical_gradient, relative_error};
pub use gradients::{Gradients, NetworkGradients};
pub use network::Network;
pub use trace::{NetworkTrace, Trace};
pub use two_layer::TwoLayerNet;
pub use workspace::Workspace;
