"""OpenBLAS (through numpy) on the products `cargo run --release -p compare
--bin dot` times: two n × n matrices of f64 at n = 256, 1024 and 2048, in
the same table, so that the two can be run back to back on one machine.
Each product returns a new matrix, as `Matrix::dot` does.

    OPENBLAS_NUM_THREADS=1 target/numpy-venv/bin/python compare/dot_blas.py [rounds]

Rounds default to 9, as the dot bin's. Small sizes repeat within a round,
so that a round is timed in milliseconds.
"""

import sys
import time

import numpy as np


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    rng = np.random.default_rng(1)
    print("| n | median | GFLOP/s (median) | GFLOP/s (best) |")
    print("|---|---|---|---|")
    for n in (256, 1024, 2048):
        a = rng.standard_normal((n, n))
        b = rng.standard_normal((n, n))
        repeats = (1 << 30) // (n * n * n) + 1
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(repeats):
                a @ b
            times.append((time.perf_counter() - start) / repeats)
        times.sort()
        flops = 2.0 * n**3
        median = times[len(times) // 2]
        print(f"| {n} | {median * 1e3:.2f} ms | {flops / median / 1e9:.1f} | {flops / times[0] / 1e9:.1f} |")


if __name__ == "__main__":
    main()
