//! The backpropagation hot path: `gradients()` and `gradients_in()` with a
//! reused `Workspace` at the shapes of the series and beyond, and the matrix
//! product they are built on; and saving and loading a network.
//!
//! Throughput is counted in floating-point operations, so criterion's
//! "elem/s" reads as FLOP/s. Run with `cargo bench --bench backprop`.

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use backprop::{Activation, Matrix, Network, TwoLayerNet, Workspace, sigmoid};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// (N, inputs, hidden, outputs): the series' 2-3-1 network on its 3
/// examples, then larger batches and layers.
const SHAPES: [(usize, usize, usize, usize); 4] = [
    (3, 2, 3, 1),
    (64, 16, 32, 1),
    (1024, 64, 128, 10),
    (8192, 256, 512, 10),
];

/// Multiply-adds of the four products of one gradient computation, two
/// FLOPs each: X·W(1) and Xᵀ·δ(2) (N·I·H each), a(2)·W(2), a(2)ᵀ·δ(3) and
/// δ(3)·W(2)ᵀ (N·H·O each).
fn gradient_flops((n, i, h, o): (usize, usize, usize, usize)) -> u64 {
    (2 * (2 * n * i * h + 3 * n * h * o)) as u64
}

fn bench_gradients(c: &mut Criterion) {
    let mut group = c.benchmark_group("gradients");
    for shape @ (n, i, h, o) in SHAPES {
        let net = TwoLayerNet::random(i, h, o, 1).unwrap();
        let x = Matrix::randn(n, i, 2).map(sigmoid);
        let y = Matrix::randn(n, o, 3).map(sigmoid);
        if n * i * h > 1 << 24 {
            group
                .sample_size(10)
                .measurement_time(Duration::from_secs(20));
        }
        group.throughput(Throughput::Elements(gradient_flops(shape)));
        let name = format!("{n}x{i}-{h}-{o}");
        group.bench_with_input(
            BenchmarkId::new("gradients", &name),
            &(&x, &y),
            |b, (x, y)| {
                b.iter(|| {
                    black_box(&net)
                        .gradients(black_box(x), black_box(y))
                        .unwrap()
                })
            },
        );
        // A reused workspace, with the default threads and with one thread.
        for (id, mut ws) in [
            ("workspace", Workspace::new()),
            ("one_thread", Workspace::with_threads(NonZeroUsize::MIN)),
        ] {
            group.bench_with_input(BenchmarkId::new(id, &name), &(&x, &y), |b, (x, y)| {
                b.iter(|| {
                    let g = black_box(&net).gradients_in(black_box(x), black_box(y), &mut ws);
                    black_box(g.unwrap());
                })
            });
        }
    }
    group.finish();
}

/// Deeper stacks: (N, layer sizes) D1 and D2 of sigmoid layers, and D1
/// with biases and tanh hidden layers.
fn bench_deep(c: &mut Criterion) {
    let mut group = c.benchmark_group("deep");
    let sigmoid_net = |sizes: &[usize]| Network::random(sizes, 1).unwrap();
    let tanh_net = Network::builder(64)
        .biased_layer(128, Activation::Tanh)
        .biased_layer(128, Activation::Tanh)
        .biased_layer(128, Activation::Tanh)
        .biased_layer(10, Activation::Sigmoid)
        .seed(1)
        .build()
        .unwrap();
    for (name, n, net) in [
        (
            "1024x64-128-128-128-10",
            1024,
            sigmoid_net(&[64, 128, 128, 128, 10]),
        ),
        ("1024x64-128-128-128-10_tanh_bias", 1024, tanh_net),
        (
            "8192x256-512-512-10",
            8192,
            sigmoid_net(&[256, 512, 512, 10]),
        ),
    ] {
        let sizes = net.sizes();
        let x = Matrix::randn(n, sizes[0], 2).map(sigmoid);
        let y = Matrix::randn(n, sizes[sizes.len() - 1], 3).map(sigmoid);
        let products: Vec<usize> = sizes.windows(2).map(|w| w[0] * w[1]).collect();
        let macs = n * (3 * products.iter().sum::<usize>() - products[0]);
        group.throughput(Throughput::Elements(2 * macs as u64));
        if macs > 1 << 30 {
            group
                .sample_size(10)
                .measurement_time(Duration::from_secs(20));
        }
        for (id, mut ws) in [
            ("one_thread", Workspace::with_threads(NonZeroUsize::MIN)),
            ("workspace", Workspace::new()),
        ] {
            group.bench_with_input(BenchmarkId::new(id, name), &(&x, &y), |b, (x, y)| {
                b.iter(|| {
                    let g = black_box(&net).gradients_in(black_box(x), black_box(y), &mut ws);
                    black_box(g.unwrap());
                })
            });
        }
    }
    group.finish();
}

/// The textbook triple loop, the baseline `dot` is measured against.
fn naive_dot(a: &Matrix, b: &Matrix) -> Matrix {
    Matrix::from_fn(a.rows(), b.cols(), |i, j| {
        (0..a.cols()).map(|p| a[(i, p)] * b[(p, j)]).sum()
    })
}

fn bench_dot(c: &mut Criterion) {
    let mut group = c.benchmark_group("dot");
    for n in [64, 256, 1024] {
        let a = Matrix::randn(n, n, 4);
        let b = Matrix::randn(n, n, 5);
        group.throughput(Throughput::Elements(2 * (n as u64).pow(3)));
        if n >= 1024 {
            group
                .sample_size(10)
                .measurement_time(Duration::from_secs(20));
        }
        group.bench_with_input(BenchmarkId::new("dot", n), &(&a, &b), |bench, (a, b)| {
            bench.iter(|| black_box(a).dot(black_box(b)))
        });
        if n <= 256 {
            group.bench_with_input(BenchmarkId::new("naive", n), &(&a, &b), |bench, (a, b)| {
                bench.iter(|| naive_dot(black_box(a), black_box(b)))
            });
        }
    }
    group.finish();
}

/// One thread, two threads and the default workspace on either side of
/// `PARALLEL_WORK`: for each network, a batch the default keeps on one
/// thread and one it shares.
fn bench_threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("threads");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    for ((i, h, o), batches) in [
        ((2, 3, 1), [3_000, 30_000]),
        ((16, 32, 1), [1_024, 8_192]),
        ((64, 128, 10), [128, 512]),
        ((256, 512, 10), [8, 64]),
    ] {
        let net = TwoLayerNet::random(i, h, o, 1).unwrap();
        for n in batches {
            let x = Matrix::randn(n, i, 2).map(sigmoid);
            let y = Matrix::randn(n, o, 3).map(sigmoid);
            let name = format!("{n}x{i}-{h}-{o}");
            for (id, mut ws) in [
                ("one_thread", Workspace::with_threads(NonZeroUsize::MIN)),
                (
                    "two_threads",
                    Workspace::with_threads(NonZeroUsize::new(2).unwrap()),
                ),
                ("default", Workspace::new()),
            ] {
                group.bench_with_input(BenchmarkId::new(id, &name), &(&x, &y), |b, (x, y)| {
                    b.iter(|| {
                        let g = black_box(&net).gradients_in(black_box(x), black_box(y), &mut ws);
                        black_box(g.unwrap());
                    })
                });
            }
        }
    }
    group.finish();
}

/// Spins for `d`, as a shard's work keeps a core busy.
fn work_for(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// What sharing a call with a second thread costs beyond the work: 500 µs
/// of work on each of two threads, the second started for the call with a
/// scoped spawn, or kept between calls and woken through a mutex and a
/// condition variable, either at once or after spinning for up to 1 ms as
/// a workspace's kept threads do. The caller works while the second thread
/// starts, as a call's own shard does; each time subtracts the 500 µs.
/// Between calls the caller pauses 200 µs, long enough for a kept thread
/// that does not spin to fall asleep.
fn bench_thread_start(c: &mut Criterion) {
    let mut group = c.benchmark_group("thread_start");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    let shard = Duration::from_micros(500);
    let timed = |iters: u64, call: &mut dyn FnMut()| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            std::thread::sleep(Duration::from_micros(200));
            let start = Instant::now();
            call();
            total += start.elapsed().saturating_sub(shard);
        }
        total
    };
    group.bench_function("started_for_the_call", |b| {
        b.iter_custom(|iters| {
            timed(iters, &mut || {
                std::thread::scope(|scope| {
                    scope.spawn(|| work_for(shard));
                    work_for(shard);
                });
            })
        })
    });
    for (name, spin) in [
        ("kept_sleeping", Duration::ZERO),
        ("kept_spinning", Duration::from_millis(1)),
    ] {
        let kept = Kept::default();
        std::thread::scope(|scope| {
            scope.spawn(|| kept.serve(spin, shard));
            group.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    timed(iters, &mut || {
                        kept.post(Kept::ASKED);
                        work_for(shard);
                        kept.wait_for(Kept::DONE, spin);
                    })
                })
            });
            kept.post(Kept::ENDED);
        });
    }
    group.finish();
}

/// A kept thread's state (asked to work, done, ended), which it and the
/// caller wait on: spinning on the atomic copy for up to a given time, then
/// sleeping on the condition variable.
#[derive(Default)]
struct Kept {
    state: Mutex<u8>,
    seen: AtomicU8,
    changed: Condvar,
}

impl Kept {
    const ASKED: u8 = 1;
    const DONE: u8 = 2;
    const ENDED: u8 = 3;

    fn post(&self, state: u8) {
        *self.state.lock().unwrap() = state;
        self.seen.store(state, Ordering::Release);
        self.changed.notify_all();
    }

    fn wait_for(&self, state: u8, spin: Duration) -> u8 {
        let start = Instant::now();
        let waiting = |s: u8| s != state && s != Kept::ENDED;
        while waiting(self.seen.load(Ordering::Acquire)) && start.elapsed() < spin {
            std::hint::spin_loop();
        }
        let mut s = self.state.lock().unwrap();
        while waiting(*s) {
            s = self.changed.wait(s).unwrap();
        }
        *s
    }

    fn serve(&self, spin: Duration, shard: Duration) {
        while self.wait_for(Kept::ASKED, spin) == Kept::ASKED {
            work_for(shard);
            self.post(Kept::DONE);
        }
    }
}

/// Saving an S2-sized network (64-128-10, 9 472 weights) as text and
/// loading it back; throughput in bytes of the file.
fn bench_save_load(c: &mut Criterion) {
    let mut group = c.benchmark_group("save_load");
    let net = Network::random(&[64, 128, 10], 1).unwrap();
    let mut file = Vec::new();
    net.save(&mut file).unwrap();
    group.throughput(Throughput::Bytes(file.len() as u64));
    group.bench_function("save/64-128-10", |b| {
        let mut out = Vec::with_capacity(file.len());
        b.iter(|| {
            out.clear();
            black_box(&net).save(&mut out).unwrap();
        })
    });
    group.bench_function("load/64-128-10", |b| {
        b.iter(|| Network::load(black_box(file.as_slice())).unwrap())
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_gradients,
    bench_deep,
    bench_dot,
    bench_threads,
    bench_thread_start,
    bench_save_load
);
criterion_main!(benches);
