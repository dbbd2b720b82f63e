"""The gradient of the series' network, stacked, with JAX (XLA): the cost
written once and differentiated by jax.grad, compiled by jax.jit, in f64,
at the deep shapes of the crate's comparison benchmark (D1 and D2), for the
crate's BENCHMARKS.md.

Run it in the same virtual environment as numpy_bench.py, with JAX installed
(never a dependency of the crate):

    target/numpy-venv/bin/pip install "jax[cpu]"
    taskset -c 0 target/numpy-venv/bin/python compare/jax_bench.py   # one core
    target/numpy-venv/bin/python compare/jax_bench.py                # JAX's default threads

XLA's CPU runtime keeps using every core under the usual thread flags, so
the one-thread figure confines the whole process to one core instead.

Prints, as JSON, the median time per call over repeated timing runs, in
seconds, per shape, in the form numpy_bench.py prints.
"""

import json
import sys

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402  (after enabling f64)
import numpy as np  # noqa: E402

from numpy_bench import DEEP, time_per_call  # noqa: E402


def cost(Ws, X, y):
    """J = ½ Σ (y − ŷ)², ŷ the last of a(l+1) = f(a(l)·W(l)), a(1) = X."""
    a = X
    for W in Ws:
        a = jax.nn.sigmoid(jnp.dot(a, W))
    return 0.5 * jnp.sum((y - a) ** 2)


def main():
    gradients = jax.jit(jax.grad(cost))
    rng = np.random.default_rng(1)
    results = {}
    for label, (n, sizes) in DEEP.items():
        X = jnp.asarray(1 / (1 + np.exp(-rng.standard_normal((n, sizes[0])))))
        y = jnp.asarray(1 / (1 + np.exp(-rng.standard_normal((n, sizes[-1])))))
        Ws = [
            jnp.asarray(rng.standard_normal((a, b)) / np.sqrt(a))
            for a, b in zip(sizes, sizes[1:])
        ]
        # Compiled once, outside the timing; each call waits for its result.
        jax.block_until_ready(gradients(Ws, X, y))
        results[label] = time_per_call(lambda: jax.block_until_ready(gradients(Ws, X, y)))
        print(f"{label} {(n, sizes)}: {results[label]:.4g} s", file=sys.stderr)
    print(json.dumps({"jax": jax.__version__, "median_seconds": results}))


if __name__ == "__main__":
    main()
