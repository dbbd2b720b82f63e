"""scipy's BFGS from the starts `bfgs_starts` prints, beside the crate's.

    cargo run --release -p compare --bin bfgs_starts -- 1000 > target/starts.jsonl
    target/numpy-venv/bin/python compare/bfgs_scipy.py < target/starts.jsonl

scipy is installed in a virtual environment, never a dependency of the crate
(`target/numpy-venv/bin/pip install numpy scipy`). The cost and gradient are
the series' (Parts 3-5) on the Part 1 data, normalised as the series does;
both optimisers use the same gradient tolerance on the largest component.
A start counts as fitted when J <= 1e-6.
"""

import json
import statistics
import sys

import numpy as np
from scipy import optimize

X = np.array([[3, 5], [5, 1], [10, 2]], dtype=float) / np.array([10.0, 5.0])
Y = np.array([[75], [82], [93]], dtype=float) / 100
FIT = 1e-6


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_prime(z):
    return np.exp(-z) / ((1 + np.exp(-z)) ** 2)


def cost_and_gradient(params):
    w1 = params[:6].reshape(2, 3)
    w2 = params[6:].reshape(3, 1)
    z2 = X @ w1
    a2 = sigmoid(z2)
    z3 = a2 @ w2
    y_hat = sigmoid(z3)
    j = 0.5 * np.sum((Y - y_hat) ** 2)
    delta3 = -(Y - y_hat) * sigmoid_prime(z3)
    delta2 = (delta3 @ w2.T) * sigmoid_prime(z2)
    return j, np.concatenate([(X.T @ delta2).ravel(), (a2.T @ delta3).ravel()])


def main():
    ours, theirs, rows = [], [], []
    with np.errstate(over="ignore"):
        for line in sys.stdin:
            start = json.loads(line)
            result = optimize.minimize(
                cost_and_gradient,
                np.array(start["params"]),
                jac=True,
                method="BFGS",
                options={"gtol": start["gtol"], "maxiter": 200},
            )
            rows.append((start, result))
    for start, result in rows:
        if start["start"] == "fixed":
            print(
                f"fixed start, gtol {start['gtol']:g}: ours {start['iterations']} iterations "
                f"(J = {start['cost']:.3g}, {start['stop']}), scipy {result.nit} "
                f"(J = {result.fun:.3g})"
            )
            continue
        ours.append(start)
        theirs.append(result)
        if start["start"] == 45:
            print(
                f"seed 45: ours J = {start['cost']:.3g} after {start['iterations']} iterations "
                f"({start['stop']}), scipy J = {result.fun:.3g} after {result.nit}"
            )
    n = len(ours)
    fitted_ours = sum(s["cost"] <= FIT for s in ours)
    fitted_scipy = sum(r.fun <= FIT for r in theirs)
    both = sum(s["cost"] <= FIT and r.fun <= FIT for s, r in zip(ours, theirs))
    print(f"{n} seeded starts, gtol {ours[0]['gtol']:g}, fitted means J <= {FIT:g}")
    print(f"  fitted: ours {fitted_ours}, scipy {fitted_scipy} (both {both})")
    print(
        f"  median iterations: ours {statistics.median(s['iterations'] for s in ours)}, "
        f"scipy {statistics.median(r.nit for r in theirs)}"
    )
    stops = {}
    for s in ours:
        if s["cost"] > FIT:
            stops[s["stop"]] = stops.get(s["stop"], 0) + 1
    print(f"  ours, how the unfitted runs stopped: {stops}")


if __name__ == "__main__":
    main()
