"""Medians and ratios from the last `cargo bench -p compare` run, as the
Markdown table of BENCHMARKS.md.

    python3 compare/report.py [numpy-1-thread.json [numpy-default.json
                               [jax-1-thread.json jax-default.json]]]

The fractions of a core's peak take PEAK_GFLOPS from the environment
(default 58.6, one Zen 4 core's f64 FMA peak); `cargo run --release -p
compare --bin peak` measures it on the machine at hand.

The JSON files are what compare/numpy_bench.py and compare/jax_bench.py
print. Ratios are "best peer median / backprop median" from the same
criterion run; numpy's and JAX's figures come from their own runs on the
same machine.
"""

import json
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "target" / "criterion"
SHAPES = {
    "S0": (3, 2, 3, 1),
    "S1": (64, 16, 32, 1),
    "S2": (1024, 64, 128, 10),
    "S3": (8192, 256, 512, 10),
}
DEEP = {
    "D1": (1024, [64, 128, 128, 128, 10]),
    "D2": (8192, [256, 512, 512, 10]),
}
# One core's f64 FMA peak: Zen 4's (the figure the targets were set
# against) unless the environment gives this machine's.
PEAK_GFLOPS = float(os.environ.get("PEAK_GFLOPS", "58.6"))


def median_seconds(group, name):
    path = ROOT / group / name / "new" / "estimates.json"
    return json.loads(path.read_text())["median"]["point_estimate"] * 1e-9


def fmt(seconds):
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def main():
    numpy = [json.loads(pathlib.Path(p).read_text())["median_seconds"] for p in sys.argv[1:3]]
    jax = [json.loads(pathlib.Path(p).read_text())["median_seconds"] for p in sys.argv[3:5]]
    print("| shape (N, I, H, O) | backprop, 1 thread | backprop, default | ndarray | nalgebra "
          + "".join(f"| numpy ({k}) " for k in ["1 thread", "default"][: len(numpy)])
          + "| best Rust peer / backprop 1 thread | best Rust peer / backprop default "
          + ("| numpy 1 thread / backprop 1 thread | numpy default / backprop default " if numpy else "")
          + "|")
    print("|---" * (5 + len(numpy) + 2 + min(len(numpy), 2)) + "|")
    for label, shape in SHAPES.items():
        group = f"compare_{label}"
        try:
            ours1 = median_seconds(group, "backprop_1_thread")
        except FileNotFoundError:  # a run of some groups only
            continue
        ours = median_seconds(group, "backprop_default")
        nd = median_seconds(group, "ndarray")
        na = median_seconds(group, "nalgebra")
        best = min(nd, na)
        row = [f"{label} = {shape}", fmt(ours1), fmt(ours), fmt(nd), fmt(na)]
        row += [fmt(n[label]) if label in n else "" for n in numpy]
        row += [f"{best / ours1:.2f}×", f"{best / ours:.2f}×"]
        if numpy and label in numpy[0]:
            row.append(f"{numpy[0][label] / ours1:.1f}×")
            if len(numpy) > 1:
                row.append(f"{numpy[1][label] / ours:.1f}×")
        print("| " + " | ".join(row) + " |")
    print()
    print("| shape (N, sizes) | backprop, 1 thread | fraction of the 1-core limit | backprop, default "
          "| ndarray | nalgebra | best Rust peer / backprop 1 thread | best Rust peer / backprop default |")
    print("|---" * 8 + "|")
    for label, (n, sizes) in DEEP.items():
        group = f"compare_{label}"
        try:
            ours1 = median_seconds(group, "backprop_1_thread")
        except FileNotFoundError:
            continue
        ours = median_seconds(group, "backprop_default")
        nd = median_seconds(group, "ndarray")
        na = median_seconds(group, "nalgebra")
        best = min(nd, na)
        products = [a * b for a, b in zip(sizes, sizes[1:])]
        flops = 2 * n * (3 * sum(products) - products[0])
        limit = flops / (PEAK_GFLOPS * 1e9)
        print(f"| {label} = ({n}, {sizes}) | {fmt(ours1)} | {limit / ours1:.0%} | {fmt(ours)} "
              f"| {fmt(nd)} | {fmt(na)} | {best / ours1:.2f}× | {best / ours:.2f}× |")
    # numpy and JAX beside backprop at the deep shapes, each in its own run.
    others = [(f"numpy ({t})", r) for t, r in zip(["1 thread", "default"], numpy)]
    others += [(f"JAX ({t})", r) for t, r in zip(["1 core", "default"], jax)]
    others = [(name, r) for name, r in others if all(label in r for label in DEEP)]
    if others:
        print()
        print("| shape | backprop, 1 thread | backprop, default "
              + "".join(f"| {name} " for name, _ in others)
              + "".join(f"| {name} / backprop {'default' if 'default' in name else '1 thread'} "
                        for name, _ in others) + "|")
        print("|---" * (3 + 2 * len(others)) + "|")
        for label in DEEP:
            try:
                ours1 = median_seconds(f"compare_{label}", "backprop_1_thread")
            except FileNotFoundError:
                continue
            ours = median_seconds(f"compare_{label}", "backprop_default")
            row = [label, fmt(ours1), fmt(ours)] + [fmt(r[label]) for _, r in others]
            row += [f"{r[label] / (ours if 'default' in name else ours1):.2f}×" for name, r in others]
            print("| " + " | ".join(row) + " |")
    print()
    flops = 2 * 1024**3
    print("| 1024² product | median | GFLOP/s | fraction of one core's peak |")
    print("|---|---|---|---|")
    for name in ["backprop", "ndarray", "nalgebra"]:
        try:
            t = median_seconds("compare_dot1024", name)
        except FileNotFoundError:
            continue
        print(f"| {name} | {fmt(t)} | {flops / t / 1e9:.1f} | {flops / t / 1e9 / PEAK_GFLOPS:.0%} |")


if __name__ == "__main__":
    main()
