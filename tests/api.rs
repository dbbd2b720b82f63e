//! Compile-time checks on the public API.

use backprop::*;

/// Every public type can be sent to and shared between threads: a network
/// trains on one thread while another reads it, and a `Workspace` moves
/// with the thread that owns it.
#[test]
fn every_public_type_is_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Activation>();
    send_sync::<Bfgs>();
    send_sync::<Cost>();
    send_sync::<DataSet>();
    send_sync::<Error>();
    send_sync::<GradientCheck>();
    send_sync::<GradientDescent>();
    send_sync::<Gradients>();
    send_sync::<Layer>();
    send_sync::<Matrix>();
    send_sync::<Network>();
    send_sync::<NetworkBuilder>();
    send_sync::<NetworkGradients>();
    send_sync::<NetworkTrace>();
    send_sync::<Progress>();
    send_sync::<Report>();
    send_sync::<Scale>();
    send_sync::<Scaling>();
    send_sync::<StopReason>();
    send_sync::<Trace>();
    send_sync::<TwoLayerNet>();
    send_sync::<Workspace>();
}
