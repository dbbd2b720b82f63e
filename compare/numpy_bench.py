"""The series' numpy code for the gradient, timed at the shapes of the
crate's comparison benchmark (S0-S3, and the series' equations stacked at
D1 and D2), for the crate's BENCHMARKS.md.

Run it in a virtual environment with numpy installed (never a dependency of
the crate):

    python3 -m venv target/numpy-venv
    target/numpy-venv/bin/pip install numpy
    OPENBLAS_NUM_THREADS=1 target/numpy-venv/bin/python compare/numpy_bench.py   # one thread
    target/numpy-venv/bin/python compare/numpy_bench.py                          # numpy's default threads

Prints, as JSON, the median time per call over repeated timing runs, in
seconds, per shape; with `--scaling`, per batch size N at S2's layer sizes
(64, 128, 10) instead, for the plot in BENCHMARKS.md.
"""

import json
import statistics
import sys
import timeit

import numpy as np

SHAPES = {
    "S0": (3, 2, 3, 1),
    "S1": (64, 16, 32, 1),
    "S2": (1024, 64, 128, 10),
    "S3": (8192, 256, 512, 10),
}


class Neural_Network:
    """Parts 2-4 of the series, as written there."""

    def __init__(self, W1, W2):
        self.W1 = W1
        self.W2 = W2

    def forward(self, X):
        self.z2 = np.dot(X, self.W1)
        self.a2 = self.sigmoid(self.z2)
        self.z3 = np.dot(self.a2, self.W2)
        yHat = self.sigmoid(self.z3)
        return yHat

    def sigmoid(self, z):
        return 1 / (1 + np.exp(-z))

    def sigmoidPrime(self, z):
        return np.exp(-z) / ((1 + np.exp(-z)) ** 2)

    def costFunctionPrime(self, X, y):
        self.yHat = self.forward(X)
        delta3 = np.multiply(-(y - self.yHat), self.sigmoidPrime(self.z3))
        dJdW2 = np.dot(self.a2.T, delta3)
        delta2 = np.dot(delta3, self.W2.T) * self.sigmoidPrime(self.z2)
        dJdW1 = np.dot(X.T, delta2)
        return dJdW1, dJdW2


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_prime(z):
    return np.exp(-z) / ((1 + np.exp(-z)) ** 2)


DEEP = {
    "D1": (1024, [64, 128, 128, 128, 10]),
    "D2": (8192, [256, 512, 512, 10]),
}


def deep_cost_function_prime(Ws, X, y):
    """The series' equations stacked, as the end of Part 4 suggests: z and a
    kept layer by layer, then delta carried back through each W."""
    a, z = [X], []
    for W in Ws:
        z.append(np.dot(a[-1], W))
        a.append(sigmoid(z[-1]))
    delta = np.multiply(-(y - a[-1]), sigmoid_prime(z[-1]))
    dJdW = [None] * len(Ws)
    for l in range(len(Ws) - 1, -1, -1):
        dJdW[l] = np.dot(a[l].T, delta)
        if l > 0:
            delta = np.dot(delta, Ws[l].T) * sigmoid_prime(z[l - 1])
    return dJdW


def time_per_call(f, budget=3.0):
    """Median seconds per call over repeated runs filling about `budget` s."""
    number = 1
    while timeit.timeit(f, number=number) < 0.05:
        number *= 2
    per_run = timeit.timeit(f, number=number)
    repeats = max(5, min(50, int(budget / max(per_run, 1e-9))))
    runs = timeit.repeat(f, number=number, repeat=repeats)
    return statistics.median(runs) / number


SCALING = {str(n): (n, 64, 128, 10) for n in (16, 64, 256, 1024, 4096)}


def settle_allocator():
    """Raise glibc's mmap threshold as a long-running process would have, by
    freeing one large block, so that every shape is timed in the allocator's
    steady state whatever ran before (as the Rust comparison bench does)."""
    block = np.ones(31 << 20, dtype=np.uint8)
    del block


def main():
    settle_allocator()
    rng = np.random.default_rng(1)
    results = {}
    shapes = SCALING if "--scaling" in sys.argv else SHAPES
    for label, (n, i, h, o) in shapes.items():
        X = sigmoid(rng.standard_normal((n, i)))
        y = sigmoid(rng.standard_normal((n, o)))
        NN = Neural_Network(rng.standard_normal((i, h)), rng.standard_normal((h, o)))
        results[label] = time_per_call(lambda: NN.costFunctionPrime(X, y))
        print(f"{label} {(n, i, h, o)}: {results[label]:.4g} s", file=sys.stderr)
    if "--scaling" not in sys.argv:
        for label, (n, sizes) in DEEP.items():
            X = sigmoid(rng.standard_normal((n, sizes[0])))
            y = sigmoid(rng.standard_normal((n, sizes[-1])))
            Ws = [rng.standard_normal((a, b)) / np.sqrt(a) for a, b in zip(sizes, sizes[1:])]
            results[label] = time_per_call(lambda: deep_cost_function_prime(Ws, X, y))
            print(f"{label} {(n, sizes)}: {results[label]:.4g} s", file=sys.stderr)
    print(json.dumps({"numpy": np.__version__, "median_seconds": results}))


if __name__ == "__main__":
    main()
