"""The coefficients of `expm1_reduced` in src/exp.rs, by the Remez exchange
algorithm.

e^r - 1 = r + r^2 p(r) on |r| <= ln 2 / 2, where p has degree 9 and minimises
the largest error relative to e^r, |r^2 (p(r) - g(r)) / e^r| with
g(r) = (e^r - 1 - r) / r^2. Rounding the coefficients to f64 costs accuracy
where r^2 is largest, so the first three are rounded one at a time and the
rest fitted again around them; the last seven are rounded at the end.

    python3 -m pip install mpmath   # the only dependency
    python3 tools/exp_coefficients.py

prints the largest relative error of the rounded polynomial (about 2^-57.9)
and the coefficients as f64 bit patterns.
"""
import struct

import mpmath as mp

mp.mp.dps = 50
DEGREE = 9
ROUNDED_ONE_AT_A_TIME = 3
# A little past ln 2 / 2: r can exceed it by rounding.
A = mp.log(2) / 2 * (1 + mp.mpf("1e-6"))
GRID = [A * mp.cos(mp.pi * (3000 - i) / 3000) for i in range(3001)]


def g(r):
    return mp.mpf(1) / 2 if r == 0 else (mp.expm1(r) - r) / r**2


def weight(r):
    return r**2 / mp.exp(r)


def error(c, r):
    return weight(r) * (mp.polyval(c[::-1], r) - g(r))


def remez(fixed):
    """p with its first coefficients `fixed`, the others minimax."""
    n, first = DEGREE + 1, len(fixed)
    free = n - first
    rest = lambda x: g(x) - sum(c * x**j for j, c in enumerate(fixed))
    # Points of alternation, away from 0 where the weight vanishes.
    ref = [A * mp.cos(mp.pi * (free - i + mp.mpf(0.3)) / (free + mp.mpf(0.6)))
           for i in range(free + 1)]
    for _ in range(40):
        m, v = mp.matrix(free + 1, free + 1), mp.matrix(free + 1, 1)
        for i, x in enumerate(ref):
            for j in range(free):
                m[i, j] = weight(x) * x ** (first + j)
            m[i, free] = -((-1) ** i)
            v[i] = weight(x) * rest(x)
        sol = mp.lu_solve(m, v)
        c, e = list(fixed) + [sol[j] for j in range(free)], sol[free]
        es = [error(c, x) for x in GRID]
        peaks = [i for i in range(len(GRID))
                 if (i == 0 or abs(es[i]) >= abs(es[i - 1]))
                 and (i == len(GRID) - 1 or abs(es[i]) >= abs(es[i + 1]))]
        alt = []
        for i in peaks:
            if abs(es[i]) < abs(e) * mp.mpf("1e-3"):
                continue
            if alt and mp.sign(es[alt[-1]]) == mp.sign(es[i]):
                if abs(es[i]) > abs(es[alt[-1]]):
                    alt[-1] = i
            else:
                alt.append(i)
        while len(alt) > free + 1:
            alt.pop(0 if abs(es[alt[0]]) < abs(es[alt[-1]]) else -1)
        worst = max(abs(x) for x in es)
        if len(alt) < free + 1 or abs(worst - abs(e)) / abs(e) < mp.mpf("1e-5"):
            return c
        ref = [GRID[i] for i in alt]
    return c


fixed = []
while len(fixed) < ROUNDED_ONE_AT_A_TIME:
    c = remez(fixed)
    fixed.append(mp.mpf(float(c[len(fixed)])))
c = remez(fixed)
coefficients = [float(x) for x in fixed + c[len(fixed):]]
fine = [A * mp.mpf(i) / 20000 for i in range(-20000, 20001)]
worst = max(abs(error([mp.mpf(x) for x in coefficients], r)) for r in fine)
print("largest relative error: 2^%s" % mp.nstr(mp.log(worst, 2), 4))
for x in coefficients:
    b = struct.unpack("<Q", struct.pack("<d", x))[0]
    print("f64::from_bits(0x%04X_%04X_%04X_%04X), // %r" % (
        b >> 48, (b >> 32) & 0xFFFF, (b >> 16) & 0xFFFF, b & 0xFFFF, x))
