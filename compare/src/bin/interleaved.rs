//! The deep shapes D1 and D2 with every implementation timed in turn,
//! round after round, so that all of them see the same machine: on a
//! shared machine whose speed drifts over seconds, criterion's groups,
//! taken one after another, can each meet a different speed.
//!
//! `cargo run --release -p compare --bin interleaved -- [D1 rounds] [D2 rounds]`
//! (default 101 and 15). Prints, per shape, each implementation's median
//! time per call and two ratios "best Rust peer / backprop": of the
//! medians, and the median over rounds of each round's own ratio (the
//! faster of ndarray and nalgebra in that round over backprop in that
//! round), which a drift between rounds does not move.

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::Instant;

use backprop::{Matrix, Network, Workspace, sigmoid};
use compare::{
    DEEP, deep_gradients_nalgebra, deep_gradients_ndarray, settle_allocator, to_nalgebra,
    to_ndarray,
};

/// Seconds taken by one call of `f`.
fn time(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64()
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

fn milliseconds(seconds: f64) -> String {
    format!("{:.3} ms", seconds * 1e3)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds = [
        args.next().map_or(101, |a| a.parse().expect("D1 rounds")),
        args.next().map_or(15, |a| a.parse().expect("D2 rounds")),
    ];
    settle_allocator();
    println!(
        "| shape | rounds | backprop, 1 thread | backprop, default | ndarray | nalgebra \
         | peer / backprop 1 thread: medians, per round | peer / backprop default: medians, per round |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for ((label, n, sizes), rounds) in DEEP.into_iter().zip(rounds) {
        let net = Network::random(sizes, 1).expect("the deep shape");
        let x = Matrix::randn(n, sizes[0], 2).map(sigmoid);
        let y = Matrix::randn(n, sizes[sizes.len() - 1], 3).map(sigmoid);
        let weights: Vec<&Matrix> = net.layers().iter().map(|l| l.weights()).collect();
        let (w_nd, x_nd, y_nd) = (
            weights.iter().map(|w| to_ndarray(w)).collect::<Vec<_>>(),
            to_ndarray(&x),
            to_ndarray(&y),
        );
        let (w_na, x_na, y_na) = (
            weights.iter().map(|w| to_nalgebra(w)).collect::<Vec<_>>(),
            to_nalgebra(&x),
            to_nalgebra(&y),
        );
        let mut one = Workspace::with_threads(NonZeroUsize::MIN);
        let mut default = Workspace::new();
        let mut calls: [Box<dyn FnMut()>; 4] = [
            Box::new(|| {
                black_box(net.gradients_in(black_box(&x), black_box(&y), &mut one)).unwrap();
            }),
            Box::new(|| {
                black_box(net.gradients_in(black_box(&x), black_box(&y), &mut default)).unwrap();
            }),
            Box::new(|| {
                black_box(deep_gradients_ndarray(
                    &w_nd,
                    black_box(&x_nd),
                    black_box(&y_nd),
                ));
            }),
            Box::new(|| {
                black_box(deep_gradients_nalgebra(
                    &w_na,
                    black_box(&x_na),
                    black_box(&y_na),
                ));
            }),
        ];
        // One untimed round warms every workspace and cache.
        calls.iter_mut().for_each(|call| call());
        let mut times = vec![[0.0; 4]; rounds];
        for round in &mut times {
            for (t, call) in round.iter_mut().zip(&mut calls) {
                *t = time(call);
            }
        }
        let column = |k: usize| times.iter().map(|r| r[k]).collect::<Vec<_>>();
        let medians: Vec<f64> = (0..4).map(|k| median(&column(k))).collect();
        let best_peer = medians[2].min(medians[3]);
        let per_round = |k: usize| {
            let ratios: Vec<f64> = times.iter().map(|r| r[2].min(r[3]) / r[k]).collect();
            median(&ratios)
        };
        println!(
            "| {label} | {rounds} | {} | {} | {} | {} | {:.2}×, {:.2}× | {:.2}×, {:.2}× |",
            milliseconds(medians[0]),
            milliseconds(medians[1]),
            milliseconds(medians[2]),
            milliseconds(medians[3]),
            best_peer / medians[0],
            per_round(0),
            best_peer / medians[1],
            per_round(1),
        );
    }
}
