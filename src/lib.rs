//! `backprop`: the two-layer sigmoid network of *Neural Networks Demystified*
//! and its gradients by backpropagation, in plain Rust with no dependencies,
//! and the same network stacked to any depth.
//!
//! The crate follows the derivation term by term. A batch X (one example per
//! row) flows forward through two weight matrices,
//!
//! ```text
//! z(2) = X·W(1)      a(2) = f(z(2))      f(z) = 1 / (1 + e^(−z))
//! z(3) = a(2)·W(2)   ŷ    = f(z(3))
//! J    = ½ Σ (y − ŷ)²
//! ```
//!
//! and the error flows back, giving one gradient per weight matrix:
//!
//! ```text
//! δ(3)     = −(y − ŷ) ⊙ f′(z(3))        ∂J/∂W(2) = a(2)ᵀ·δ(3)
//! δ(2)     = δ(3)·W(2)ᵀ ⊙ f′(z(2))      ∂J/∂W(1) = Xᵀ·δ(2)
//! ```
//!
//! In the code these are `z2`, `a2`, `z3`, `y_hat`, `delta3`, `delta2`,
//! `dj_dw1` and `dj_dw2`: see [`TwoLayerNet::trace`] and [`Trace`].
//!
//! # Example: compute the gradients
//!
//! ```
//! use backprop::{data, TwoLayerNet};
//!
//! let d = data::part1_normalised(); // sleep and study hours → test score
//! let net = TwoLayerNet::random(2, 3, 1, 42)?; // 2 inputs, 3 hidden, 1 output
//! let g = net.gradients(&d.x, &d.y)?;
//! println!("∂J/∂W(1) =\n{:.4}\n∂J/∂W(2) =\n{:.4}", g.dj_dw1, g.dj_dw2);
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! # Example: check them numerically
//!
//! ```
//! use backprop::{data, TwoLayerNet};
//!
//! let d = data::part1_normalised();
//! let net = TwoLayerNet::random(2, 3, 1, 42)?;
//! let check = net.check_gradients(&d.x, &d.y)?; // central differences, ε = 1e-4
//! assert!(check.relative_error < 1e-8);
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! # Example: walk downhill
//!
//! ```
//! use backprop::{data, TwoLayerNet};
//!
//! let d = data::part1_normalised();
//! let mut net = TwoLayerNet::random(2, 3, 1, 42)?;
//! let start = net.cost(&d.x, &d.y)?;
//! for _ in 0..100 {
//!     let g = net.gradients(&d.x, &d.y)?;
//!     net.gradient_descent_step(&g, 1.0)?; // W ← W − η·∂J/∂W
//! }
//! assert!(net.cost(&d.x, &d.y)? < start);
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! # Example: train
//!
//! ```
//! use backprop::{data, Bfgs, Optimiser, StopReason, TwoLayerNet};
//!
//! let d = data::part1_normalised();
//! let mut net = TwoLayerNet::random(2, 3, 1, 42)?;
//! let report = Bfgs::default().train(&mut net, &d)?; // Part 6
//! assert_eq!(report.stop, StopReason::Converged);
//! assert!(report.final_cost < 1e-6);
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! [`GradientDescent`] (on the whole batch or on mini-batches), [`Adam`]
//! and [`Lbfgs`] are the other [`Optimiser`]s; [`Cost::Regularised`] is
//! Part 7's cost; [`Optimiser::train_with`] records a testing cost and
//! calls back after every iteration.
//!
//! # Example: classify handwritten digits
//!
//! A softmax output under cross-entropy, whose output error is simply
//! δ(L) = ŷ − y (the [`Cost`] docs derive it), trained with [`Adam`] on
//! mini-batches of the UCI digits the crate carries:
//!
//! ```
//! use backprop::{data, Activation, Adam, Cost, Network, Optimiser};
//!
//! let (train, test) = data::digits().split_stratified(0.2, 0)?;
//! let mut net = Network::builder(64)
//!     .biased_layer(32, Activation::Relu)
//!     .biased_layer(10, Activation::Softmax)
//!     .cost(Cost::CrossEntropy)
//!     .build()?;
//! Adam::default().learning_rate(0.01).batch_size(64).max_iterations(10).train(&mut net, &train)?;
//! assert!(net.accuracy(&test)? > 0.9);
//! assert_eq!(net.predict_classes(&test.x)?.len(), 360);
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! # Example: stack more layers
//!
//! "If we want to make a deeper neural network, we could just stack a bunch
//! of these operations together," as Part 4 ends. [`Network`] does: with
//! a(1) = X and ŷ = a(L),
//!
//! ```text
//! z(l+1) = a(l)·W(l) + b(l)      a(l+1) = f(z(l+1))
//! δ(L)     = −(y − ŷ) ⊙ f′(z(L))        δ(l) = δ(l+1)·W(l)ᵀ ⊙ f′(z(l))
//! ∂J/∂W(l) = a(l)ᵀ·δ(l+1)              ∂J/∂b(l) = Σ over examples of δ(l+1)
//! ```
//!
//! ```
//! use backprop::{data, Activation, Bfgs, Network, Optimiser};
//!
//! let d = data::part1_normalised();
//! let mut net = Network::builder(2)
//!     .biased_layer(4, Activation::Tanh) // W(1), b(1), tanh
//!     .layer(1, Activation::Sigmoid)     // W(2), no bias
//!     .build()?;
//! assert!(net.check_gradients(&d.x, &d.y)?.relative_error < 1e-8);
//! Bfgs::default().train(&mut net, &d)?;
//! # Ok::<(), backprop::Error>(())
//! ```
//!
//! [`TwoLayerNet`] is its two-layer case, computed by the same engine.
//!
//! # Matrix representation
//!
//! [`Matrix`] is dense and row-major: element (i, j) of an r × c matrix is
//! `as_slice()[i * c + j]`. `dot` is the matrix product (numpy's `np.dot`),
//! `multiply` the element-wise product ⊙ (numpy's `np.multiply`), and
//! `tr_dot` / `dot_tr` compute Aᵀ·B and A·Bᵀ without building a transpose.
//!
//! # Errors and panics
//!
//! Everything that takes data for the network returns `Result<_, `[`Error`]`>`:
//! mismatched shapes, NaN or ∞ anywhere in X, y or the weights, and parameter
//! vectors of the wrong length are reported, and the network is left as it
//! was. Finite data never produces NaN: where finite but enormous values would
//! overflow, the error says which term did. Matrix operators panic on
//! mismatched shapes, like slice indexing, with a message naming both shapes;
//! each has a `try_` form returning `Result`.
//!
//! # Why this design
//!
//! - **Readable next to the video.** Names, comments and docs use the
//!   derivation's terms, and every intermediate can be printed.
//! - **No dependencies.** The matrix, the random initialisation and the
//!   numerics are written here, so the crate builds anywhere `std` does.
//! - **Stateless network.** The series caches the last batch's activations
//!   in the network object; here each call returns what it computed, so a
//!   network can be shared and a failed call changes nothing.
//! - **Fast where it counts.** [`TwoLayerNet::gradients`] and
//!   [`Network::gradients`] run one fused pass, the derivation written once
//!   for any depth (one evaluation per unit for f and f′, no transposed
//!   copies), on a
//!   blocked matrix product with AVX-512 and AVX2 kernels chosen at run time,
//!   and shares large batches among threads; a [`Workspace`] makes repeated
//!   calls allocation-free. `BENCHMARKS.md` in the repository has the
//!   figures.
//! - **`unsafe` in one place.** The crate denies `unsafe` everywhere except
//!   the module that calls code compiled for instruction sets detected at
//!   run time, which holds each instruction set's kernels; its tests also
//!   run under valgrind.
//!
//! # Determinism
//!
//! - The same network, batch and thread count give the same bits on every
//!   run, on any machine with the same CPU features. Threads split a batch
//!   into shards and add their sums in shard order, so scheduling never
//!   changes a result, nor do other callers sharing the process's threads
//!   (a shard that finds them busy runs on the calling thread).
//! - Another thread count changes the order of the sums: the gradients move
//!   in the last bits, within 1e-12 of the largest.
//! - [`Workspace::new`] (behind [`TwoLayerNet::gradients`],
//!   [`Network::gradients`] and, by default, the optimisers) picks one
//!   thread for small problems and, above [`PARALLEL_WORK`], every core or
//!   the number in the environment variable `BACKPROP_THREADS`, read once.
//!   Results can therefore differ in the last bits between machines with
//!   different core counts; [`Workspace::with_threads`], the optimisers'
//!   `threads` setting ([`Bfgs::threads`]) or `BACKPROP_THREADS` fix the
//!   count.
//! - The instruction set is chosen at run time: AVX-512, AVX2 with FMA, or
//!   portable code. With FMA each multiply-add is rounded once, without it
//!   twice, so a CPU without FMA can differ from one with it in the last
//!   bits (the exponential stays within 2 ulp of `f64::exp` either way);
//!   the kernels of different instruction sets may also sum a product's
//!   terms in different orders. The environment variable `BACKPROP_ISA`,
//!   read once, picks a narrower set than the fastest: `portable`, `avx2`
//!   or `avx512`. A set this CPU lacks, or another value, leaves the
//!   fastest it has.
//!
//! # Features
//!
//! None is on by default, and with none the crate has no dependencies.
//!
//! - **`serde`**: `Serialize` and `Deserialize` for [`Matrix`],
//!   [`TwoLayerNet`], [`Network`], [`Cost`], [`DataSet`], [`Scaling`],
//!   [`Report`], [`StopReason`], [`Activation`], [`Scale`], [`Gradients`]
//!   and [`NetworkGradients`]. Deserialising validates as the constructors
//!   do, so an invalid value is a deserialisation error.
//! - **`approx`**: `AbsDiffEq`, `RelativeEq` and `UlpsEq` for [`Matrix`],
//!   [`Gradients`] and [`NetworkGradients`]; values of different shapes are
//!   never equal.
//!
//! Without either, [`Network::save`] and [`Network::load`] keep a trained
//! network as text.
//!
//! # Minimum supported Rust version
//!
//! Rust 1.89 (for the AVX-512 target features and intrinsics; edition 2024).

// `unsafe` is allowed only in `isa`, for the calls into code compiled for
// instruction sets detected at run time and the kernels written with their
// intrinsics.
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![warn(
    missing_debug_implementations,
    clippy::missing_panics_doc,
    clippy::missing_errors_doc
)]
#![doc(test(attr(deny(warnings))))]

mod activation;
mod cost;
pub mod data;
mod error;
mod exp;
mod format;
mod fused;
mod gemm;
mod interop;
mod isa;
mod layer;
mod matrix;
mod net;
mod rng;
mod train;

pub use activation::{Activation, sigmoid, sigmoid_prime};
pub use cost::Cost;
pub use data::{DataSet, Scale, Scaling};
pub use error::{Error, Shape};
pub use fused::plan::{MIN_SHARD_ROWS, PARALLEL_WORK};
pub use layer::Layer;
pub use matrix::Matrix;
pub use net::{
    DEFAULT_EPSILON, GradientCheck, Gradients, Init, Network, NetworkBuilder, NetworkGradients,
    NetworkTrace, Trace, TwoLayerNet, Workspace, numerical_gradient, relative_error,
};
pub use train::{
    Adam, Bfgs, GradientDescent, Lbfgs, Model, Optimiser, Progress, Report, StopReason,
};

// The README's examples run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
