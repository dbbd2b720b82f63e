"""The plot of BENCHMARKS.md: time per gradient call against the batch size
N at S2's layer sizes (64 inputs, 128 hidden units, 10 outputs).

    cargo bench -p compare -- scaling
    OPENBLAS_NUM_THREADS=1 target/numpy-venv/bin/python compare/numpy_bench.py --scaling > target/numpy-scaling-1.json
    target/numpy-venv/bin/python compare/numpy_bench.py --scaling > target/numpy-scaling-default.json
    target/numpy-venv/bin/python compare/plot.py BENCHMARKS-scaling.svg

Needs matplotlib (in the same virtual environment as numpy).
"""

import json
import pathlib
import sys

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRITERION = ROOT / "target" / "criterion"
SIZES = [16, 64, 256, 1024, 4096]
SERIES = [
    ("backprop_1_thread", "backprop, 1 thread", "-", "o"),
    ("backprop_default", "backprop, default threads", "-", "s"),
    ("ndarray", "ndarray 0.17", "--", "^"),
    ("nalgebra", "nalgebra 0.35", "--", "v"),
]


def median(n, name):
    path = CRITERION / f"scaling_{n}" / name / "new" / "estimates.json"
    return json.loads(path.read_text())["median"]["point_estimate"] * 1e-9


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "BENCHMARKS-scaling.svg")
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for name, label, style, marker in SERIES:
        ax.plot(SIZES, [median(n, name) * 1e3 for n in SIZES], style, marker=marker, label=label)
    for file, label in [("numpy-scaling-1.json", "numpy, 1 thread"), ("numpy-scaling-default.json", "numpy, default threads")]:
        path = ROOT / "target" / file
        if path.exists():
            data = json.loads(path.read_text())["median_seconds"]
            ax.plot(SIZES, [data[str(n)] * 1e3 for n in SIZES], ":", marker="x", label=label)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("batch size N  [examples]")
    ax.set_ylabel("time per gradient  [ms, median]")
    ax.set_title("Gradient of the 64-128-10 sigmoid network")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out)
    print(out)


if __name__ == "__main__":
    main()
