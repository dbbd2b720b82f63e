//! `backprop` beside ndarray and nalgebra, in one run: the gradient of the
//! two-layer sigmoid network at the shapes S0–S3, of deeper stacks of
//! sigmoid layers at D1 and D2, and the 1024² product.
//!
//! `cargo bench -p compare`; `python3 compare/report.py` then prints the
//! medians and the ratios "best peer / backprop".

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::Duration;

use backprop::{Matrix, Network, TwoLayerNet, Workspace, sigmoid};
use compare::{
    DEEP, deep_gradient_flops, deep_gradients_nalgebra, deep_gradients_ndarray, gradients_nalgebra,
    gradients_ndarray, settle_allocator, to_nalgebra, to_ndarray,
};
use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};

/// (N, inputs, hidden, outputs)
type Shape = (usize, usize, usize, usize);

const SHAPES: [(&str, Shape); 4] = [
    ("S0", (3, 2, 3, 1)),
    ("S1", (64, 16, 32, 1)),
    ("S2", (1024, 64, 128, 10)),
    ("S3", (8192, 256, 512, 10)),
];

/// Times, in `group`, the gradient of `net` on (x, y) by backprop on one
/// thread and with its default threads, and by ndarray and nalgebra.
fn implementations(
    group: &mut BenchmarkGroup<'_, WallTime>,
    net: &TwoLayerNet,
    x: &Matrix,
    y: &Matrix,
) {
    for (id, mut ws) in [
        (
            "backprop_1_thread",
            Workspace::with_threads(NonZeroUsize::MIN),
        ),
        ("backprop_default", Workspace::new()),
    ] {
        group.bench_function(id, |b| {
            b.iter(|| {
                black_box(
                    net.gradients_in(black_box(x), black_box(y), &mut ws)
                        .unwrap(),
                )
                .dj_dw1[(0, 0)]
            })
        });
    }
    let (w1, w2, xa, ya) = (
        to_ndarray(net.w1()),
        to_ndarray(net.w2()),
        to_ndarray(x),
        to_ndarray(y),
    );
    group.bench_function("ndarray", |b| {
        b.iter(|| black_box(gradients_ndarray(&w1, &w2, black_box(&xa), black_box(&ya))))
    });
    let (w1, w2, xn, yn) = (
        to_nalgebra(net.w1()),
        to_nalgebra(net.w2()),
        to_nalgebra(x),
        to_nalgebra(y),
    );
    group.bench_function("nalgebra", |b| {
        b.iter(|| black_box(gradients_nalgebra(&w1, &w2, black_box(&xn), black_box(&yn))))
    });
}

fn gradients(c: &mut Criterion) {
    settle_allocator();
    for (label, (n, i, h, o)) in SHAPES {
        let mut group = c.benchmark_group(format!("compare/{label}"));
        if n * i * h > 1 << 24 {
            group
                .sample_size(10)
                .measurement_time(Duration::from_secs(15));
        }
        group.throughput(Throughput::Elements(
            (2 * (2 * n * i * h + 3 * n * h * o)) as u64,
        ));
        let net = TwoLayerNet::random(i, h, o, 1).unwrap();
        let x = Matrix::randn(n, i, 2).map(sigmoid);
        let y = Matrix::randn(n, o, 3).map(sigmoid);
        implementations(&mut group, &net, &x, &y);
        // The allocating default API, for reference.
        group.bench_function("backprop_gradients", |b| {
            b.iter(|| black_box(net.gradients(black_box(&x), black_box(&y)).unwrap()))
        });
        group.finish();
    }
}

/// The gradient of a stack of sigmoid layers, by `Network` on one thread
/// and with its default threads, and by ndarray and nalgebra.
fn deep(c: &mut Criterion) {
    settle_allocator();
    for (label, n, sizes) in DEEP {
        let mut group = c.benchmark_group(format!("compare/{label}"));
        let flops = deep_gradient_flops(n, sizes);
        if flops > 1 << 30 {
            group
                .sample_size(10)
                .measurement_time(Duration::from_secs(20));
        }
        group.throughput(Throughput::Elements(flops));
        let net = Network::random(sizes, 1).unwrap();
        let x = Matrix::randn(n, sizes[0], 2).map(sigmoid);
        let y = Matrix::randn(n, sizes[sizes.len() - 1], 3).map(sigmoid);
        for (id, mut ws) in [
            (
                "backprop_1_thread",
                Workspace::with_threads(NonZeroUsize::MIN),
            ),
            ("backprop_default", Workspace::new()),
        ] {
            group.bench_function(id, |b| {
                b.iter(|| {
                    black_box(
                        net.gradients_in(black_box(&x), black_box(&y), &mut ws)
                            .unwrap(),
                    )
                    .dj_dw[0][(0, 0)]
                })
            });
        }
        let weights: Vec<&Matrix> = net.layers().iter().map(|l| l.weights()).collect();
        let (w, xa, ya) = (
            weights.iter().map(|w| to_ndarray(w)).collect::<Vec<_>>(),
            to_ndarray(&x),
            to_ndarray(&y),
        );
        group.bench_function("ndarray", |b| {
            b.iter(|| black_box(deep_gradients_ndarray(&w, black_box(&xa), black_box(&ya))))
        });
        let (w, xn, yn) = (
            weights.iter().map(|w| to_nalgebra(w)).collect::<Vec<_>>(),
            to_nalgebra(&x),
            to_nalgebra(&y),
        );
        group.bench_function("nalgebra", |b| {
            b.iter(|| black_box(deep_gradients_nalgebra(&w, black_box(&xn), black_box(&yn))))
        });
        group.finish();
    }
}

fn product(c: &mut Criterion) {
    let n = 1024;
    let mut group = c.benchmark_group("compare/dot1024");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(2 * (n as u64).pow(3)));
    let a = Matrix::randn(n, n, 4);
    let b = Matrix::randn(n, n, 5);
    group.bench_function(BenchmarkId::from_parameter("backprop"), |bench| {
        bench.iter(|| black_box(&a).dot(black_box(&b)))
    });
    let (aa, ba) = (to_ndarray(&a), to_ndarray(&b));
    group.bench_function(BenchmarkId::from_parameter("ndarray"), |bench| {
        bench.iter(|| black_box(&aa).dot(black_box(&ba)))
    });
    let (an, bn) = (to_nalgebra(&a), to_nalgebra(&b));
    group.bench_function(BenchmarkId::from_parameter("nalgebra"), |bench| {
        bench.iter(|| black_box(&an) * black_box(&bn))
    });
    group.finish();
}

/// Time per call against the batch size N, at S2's layer sizes, for the
/// plot in BENCHMARKS.md.
fn scaling(c: &mut Criterion) {
    let (i, h, o) = (64, 128, 10);
    let net = TwoLayerNet::random(i, h, o, 1).unwrap();
    for n in [16, 64, 256, 1024, 4096] {
        let mut group = c.benchmark_group(format!("scaling/{n}"));
        group
            .sample_size(20)
            .measurement_time(Duration::from_secs(2))
            .warm_up_time(Duration::from_millis(500));
        let x = Matrix::randn(n, i, 2).map(sigmoid);
        let y = Matrix::randn(n, o, 3).map(sigmoid);
        implementations(&mut group, &net, &x, &y);
        group.finish();
    }
}

criterion_group!(benches, gradients, deep, product, scaling);
criterion_main!(benches);
