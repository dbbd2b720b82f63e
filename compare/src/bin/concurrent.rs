//! Several callers at once: k threads share a fixed number of gradient
//! calls, each thread with its own copy of the network, at S2 and D1.
//!
//! `cargo run --release -p compare --bin concurrent -- [rounds]` (default 3).
//! For k = 1, 2, 4 and 8 it times the whole set of calls made through
//! `gradients()` (the default, a thread-local workspace) and through a
//! workspace of one thread per caller, alternating, and prints each
//! one's best total and the ratio of the one-thread callers' time to the
//! default callers' time: the default callers' share of the one-thread
//! callers' throughput, which should be at least 0.9.

use std::num::NonZeroUsize;
use std::time::Instant;

use backprop::{Matrix, Network, Workspace, sigmoid};
use compare::settle_allocator;

/// (label, N, layer sizes, calls shared among the callers).
const SHAPES: [(&str, usize, &[usize], usize); 2] = [
    ("S2", 1024, &[64, 128, 10], 400),
    ("D1", 1024, &[64, 128, 128, 128, 10], 200),
];

/// Seconds for `k` callers to make `calls` calls between them.
fn total(net: &Network, x: &Matrix, y: &Matrix, k: usize, calls: usize, one: bool) -> f64 {
    let start = Instant::now();
    std::thread::scope(|scope| {
        for c in 0..k {
            let mine = calls / k + usize::from(c < calls % k);
            let net = net.clone();
            scope.spawn(move || {
                let mut ws = Workspace::with_threads(NonZeroUsize::MIN);
                for _ in 0..mine {
                    let g = if one {
                        net.gradients_in(x, y, &mut ws).map(|_| ())
                    } else {
                        net.gradients(x, y).map(|_| ())
                    };
                    g.expect("the gradients");
                }
            });
        }
    });
    start.elapsed().as_secs_f64()
}

fn main() {
    let rounds = std::env::args()
        .nth(1)
        .map_or(3, |a| a.parse().expect("rounds"));
    settle_allocator();
    println!(
        "| shape | k callers | calls | default, best total | one thread each, best total | one-thread time / default time |"
    );
    println!("|---|---|---|---|---|---|");
    for (label, n, sizes, calls) in SHAPES {
        let net = Network::random(sizes, 1).expect("the shape");
        let x = Matrix::randn(n, sizes[0], 2).map(sigmoid);
        let y = Matrix::randn(n, sizes[sizes.len() - 1], 3).map(sigmoid);
        for k in [1, 2, 4, 8] {
            let (mut default, mut single) = (f64::INFINITY, f64::INFINITY);
            for _ in 0..rounds {
                default = default.min(total(&net, &x, &y, k, calls, false));
                single = single.min(total(&net, &x, &y, k, calls, true));
            }
            println!(
                "| {label} | {k} | {calls} | {default:.3} s | {single:.3} s | {:.2} |",
                single / default
            );
        }
    }
}
