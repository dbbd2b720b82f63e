"""The UCI digits learnt by scikit-learn, PyTorch and the crate, side by side
in one run, on one thread and on the same split, for BENCHMARKS.md.

The network is [64, 64 ReLU, 10] with softmax and cross-entropy, without a
weight penalty (scikit-learn's alpha = 0), so that every system minimises
the same J. The split is scikit-learn's
train_test_split(test_size=0.2, random_state=0, stratify=y): 1,437 training
and 360 testing images, inputs the pixels / 16. For each of the seeds 0-2:

- scikit-learn's MLPClassifier with adam (200 epochs, batch 200) and with
  lbfgs (its defaults, which stop at its tolerance);
- PyTorch with Adam (lr 1e-3, batch 200, 200 epochs, f64), if installed;
- the crate, by `cargo run --release -p compare --bin digits`: Adam with
  the same settings, SGD (lr 0.1, momentum 0.9, batch 32, 50 epochs), and
  L-BFGS stopped at the training cost scikit-learn's lbfgs ended at for the
  same seed; on the fastest instruction set the CPU has, then again with
  BACKPROP_ISA=avx2 (the same where the CPU has no AVX-512).

Run it in a virtual environment (never a dependency of the crate):

    python3 -m venv target/digits-venv
    target/digits-venv/bin/pip install scikit-learn torch
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        target/digits-venv/bin/python compare/digits.py

Prints one line per system, method and seed, then the medians.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

SEEDS = [0, 1, 2]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def split():
    d = load_digits()
    idx = np.arange(len(d.target))
    train, test = train_test_split(idx, test_size=0.2, random_state=0, stratify=d.target)
    return d.data / 16.0, d.target, train, test


def sklearn_runs(x, y, train, test):
    rows, lbfgs_costs = [], []
    for solver in ["adam", "lbfgs"]:
        for seed in SEEDS:
            kwargs = dict(hidden_layer_sizes=(64,), alpha=0.0, random_state=seed, solver=solver)
            if solver == "adam":
                kwargs.update(batch_size=200, max_iter=200, tol=0.0, n_iter_no_change=10**9)
            model = MLPClassifier(**kwargs)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                start = time.perf_counter()
                model.fit(x[train], y[train])
                seconds = time.perf_counter() - start
            if solver == "lbfgs":
                lbfgs_costs.append(model.loss_)
            rows.append(dict(system="scikit-learn", method=solver, seed=seed,
                             accuracy=model.score(x[test], y[test]), seconds=seconds,
                             training_cost=model.loss_, iterations=model.n_iter_))
    return rows, lbfgs_costs


def torch_runs(x, y, train, test):
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: its rows are left out", file=sys.stderr)
        return []
    torch.set_num_threads(1)
    xt, yt = torch.tensor(x[train]), torch.tensor(y[train])
    xs, ys = torch.tensor(x[test]), torch.tensor(y[test])
    rows = []
    for seed in SEEDS:
        torch.manual_seed(seed)
        model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(),
                                    torch.nn.Linear(64, 10)).double()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss()
        g = torch.Generator().manual_seed(seed)
        start = time.perf_counter()
        for _ in range(200):
            order = torch.randperm(len(xt), generator=g)
            for b in range(0, len(xt), 200):
                i = order[b:b + 200]
                opt.zero_grad()
                loss = loss_fn(model(xt[i]), yt[i])
                loss.backward()
                opt.step()
        seconds = time.perf_counter() - start
        with torch.no_grad():
            accuracy = (model(xs).argmax(1) == ys).double().mean().item()
            cost = loss_fn(model(xt), yt).item()
        rows.append(dict(system="PyTorch " + torch.__version__.split("+")[0], method="adam", seed=seed,
                         accuracy=accuracy, seconds=seconds, training_cost=cost,
                         iterations=200))
    return rows


def backprop_runs(test, lbfgs_costs, isa):
    """The crate's runs on the instruction set `isa` (BACKPROP_ISA), or on
    the fastest this CPU has for None."""
    env = dict(os.environ)
    env.pop("BACKPROP_ISA", None)
    if isa:
        env["BACKPROP_ISA"] = isa
    with tempfile.TemporaryDirectory() as tmp:
        indices = os.path.join(tmp, "test.txt")
        targets = os.path.join(tmp, "targets.txt")
        with open(indices, "w") as f:
            f.write(" ".join(map(str, test)))
        with open(targets, "w") as f:
            f.write(" ".join(repr(float(c)) for c in lbfgs_costs))
        out = subprocess.run(
            ["cargo", "run", "--quiet", "--release", "-p", "compare", "--bin", "digits", "--",
             indices, targets],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    for r in rows:
        r["system"] += f" ({isa})" if isa else ""
    return rows


def main():
    x, y, train, test = split()
    print(f"{len(train)} training and {len(test)} testing images", file=sys.stderr)
    rows, lbfgs_costs = sklearn_runs(x, y, train, test)
    rows += torch_runs(x, y, train, test)
    rows += backprop_runs(test, lbfgs_costs, None)
    rows += backprop_runs(test, lbfgs_costs, "avx2")
    print(f"{'system':<21} {'method':<6} {'seed':>4} {'accuracy':>9} {'seconds':>8} "
          f"{'training J':>11} {'iterations':>10}")
    for r in rows:
        print(f"{r['system']:<21} {r['method']:<6} {r['seed']:>4} {100 * r['accuracy']:8.1f}% "
              f"{r['seconds']:8.3f} {r['training_cost']:11.3e} {r['iterations']:>10}")
    print("\nmedians over the seeds:")
    groups = {}
    for r in rows:
        groups.setdefault((r["system"], r["method"]), []).append(r)
    for (system, method), rs in groups.items():
        print(f"{system:<21} {method:<6} accuracy "
              f"{100 * statistics.median(r['accuracy'] for r in rs):5.1f}%  "
              f"time {statistics.median(r['seconds'] for r in rs):.3f} s")


if __name__ == "__main__":
    main()
