"""OpenBLAS (through numpy) on the five products of one mini-batch of the
digits' Adam run, [64, 64, 10] at 200 rows, on one thread, for
BENCHMARKS.md: the forward products X·W(1) and a(2)·W(2), the hidden
error δ(3)·W(2)ᵀ, and the weight gradients a(2)ᵀ·δ(3) and Xᵀ·δ(2), each
operand contiguous in the order the product reads it, into preallocated
outputs, with no activation, cost or update. Beside
`cargo run --release -p compare --bin minibatch`, which times the crate's
whole pass at the same shape.

    OPENBLAS_NUM_THREADS=1 target/numpy-venv/bin/python compare/minibatch_blas.py [peak GFLOP/s]

Prints the median and best time for the five, and the time they would take
over 200 epochs of 1,437 rows (seven mini-batches of 200 and one of 37).
"""

import statistics
import sys
import time

import numpy as np

CALLS = 2000


def products(rows):
    """(m, k) by (k, n) for each product of a mini-batch of `rows`."""
    return [((rows, 64), (64, 64)), ((rows, 64), (64, 10)), ((rows, 10), (10, 64)),
            ((64, rows), (rows, 10)), ((64, rows), (rows, 64))]


def per_call(rows, rounds=15):
    rng = np.random.default_rng(0)
    operands = [(rng.standard_normal(a), rng.standard_normal(b)) for a, b in products(rows)]
    outputs = [np.empty((a[0], b[1])) for a, b in products(rows)]
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(CALLS):
            for (a, b), out in zip(operands, outputs):
                np.dot(a, b, out=out)
        times.append((time.perf_counter() - start) / CALLS)
    return statistics.median(times), min(times)


def main():
    peak = float(sys.argv[1]) if len(sys.argv) > 1 else None
    flops = 2 * 200 * (2 * (64 * 64 + 64 * 10) + 64 * 10)
    median, best = per_call(200)
    for name, t in [("median", median), ("best", best)]:
        gflops = flops / t / 1e9
        share = f", {gflops / peak:.0%} of the peak" if peak else ""
        print(f"{name}: {t * 1e6:.1f} µs a mini-batch, {gflops:.1f} GFLOP/s{share}")
    short_median, _ = per_call(37)
    print(f"200 epochs: {200 * (7 * median + short_median):.3f} s (medians)")


if __name__ == "__main__":
    main()
