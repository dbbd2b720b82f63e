//! One thread against two, in one process, alternating: S3, D1 and D2
//! through `gradients_in` with `Workspace::with_threads(1)` and
//! `with_threads(2)`, round after round, so that both see the same machine.
//!
//! `cargo run --release -p compare --bin threads -- [peak GFLOP/s]` prints
//! per shape the median and best time per call of each, two threads' speed-up
//! (the ratio of the medians), and, given one core's FMA peak (`peak`'s
//! figure for the instruction set in use), one thread's share of it.

use std::num::NonZeroUsize;
use std::time::Instant;

use backprop::{Matrix, Network, Workspace, sigmoid};
use compare::{deep_gradient_flops, settle_allocator};

/// (label, N, layer sizes, calls per round, rounds).
const SHAPES: [(&str, usize, &[usize], usize, usize); 3] = [
    ("S3", 8192, &[256, 512, 10], 2, 15),
    ("D1", 1024, &[64, 128, 128, 128, 10], 20, 31),
    ("D2", 8192, &[256, 512, 512, 10], 1, 9),
];

fn main() {
    let peak: Option<f64> = std::env::args().nth(1).map(|a| a.parse().expect("GFLOP/s"));
    settle_allocator();
    println!(
        "| shape | 1 thread: median, best | 2 threads: median, best | 2 threads / 1 thread | 1 thread, share of the peak: median, best |"
    );
    println!("|---|---|---|---|---|");
    for (label, n, sizes, calls, rounds) in SHAPES {
        let net = Network::random(sizes, 1).expect("the shape");
        let x = Matrix::randn(n, sizes[0], 2).map(sigmoid);
        let y = Matrix::randn(n, sizes[sizes.len() - 1], 3).map(sigmoid);
        let mut workspaces = [1, 2].map(|t| Workspace::with_threads(NonZeroUsize::new(t).unwrap()));
        let mut times = [Vec::new(), Vec::new()];
        for round in 0..2 * rounds {
            let which = round % 2;
            let start = Instant::now();
            for _ in 0..calls {
                net.gradients_in(&x, &y, &mut workspaces[which])
                    .expect("the gradients");
            }
            times[which].push(start.elapsed().as_secs_f64() / calls as f64);
        }
        let [one, two] = times.map(|mut t| {
            t.sort_by(f64::total_cmp);
            (t[t.len() / 2], t[0])
        });
        let share = peak.map_or(String::from("(no peak given)"), |peak| {
            let limit = deep_gradient_flops(n, sizes) as f64 / (peak * 1e9);
            format!(
                "{:.0} %, {:.0} %",
                100.0 * limit / one.0,
                100.0 * limit / one.1
            )
        });
        println!(
            "| {label} | {:.2}, {:.2} ms | {:.2}, {:.2} ms | {:.2}× | {share} |",
            one.0 * 1e3,
            one.1 * 1e3,
            two.0 * 1e3,
            two.1 * 1e3,
            one.0 / two.0
        );
    }
}
