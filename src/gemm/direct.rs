//! Products too small to repay packing: plain loops over the operands as
//! they lie, in an order whose innermost loop runs along contiguous memory
//! so that it vectorises.

use super::Problem;
use crate::exp::madd;

/// Which loop order suits the operands' layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    /// Rows of b and c are contiguous and long: row i of c gathers
    /// a(i, q)·(row q of b).
    RowAxpy,
    /// c is a single column and columns of a are contiguous: c gathers
    /// (column q of a)·b(q, 0).
    ColumnAxpy,
    /// Rows of a are contiguous and c is narrow: each element of c is an
    /// inner product.
    Dot,
    /// Any strides: the textbook loop, for tiny problems only.
    General,
}

/// Rows of c at least this long vectorise well along them.
const WIDE: usize = 16;
/// Up to this many columns of c, inner products beat the blocked kernel.
const DOT_COLUMNS: usize = 4;

impl Form {
    /// The vectorising form for these operands, if one applies.
    pub(super) fn of(p: &Problem<'_>) -> Form {
        let (a, b) = (p.a, p.b);
        if p.n >= WIDE && b.col_stride == 1 {
            Form::RowAxpy
        } else if p.n == 1 && a.row_stride == 1 {
            Form::ColumnAxpy
        } else if p.n <= DOT_COLUMNS && a.col_stride == 1 {
            Form::Dot
        } else {
            Form::General
        }
    }
}

/// Accumulates a·b into c (m × n, row-major) in the given form.
#[inline(always)]
pub(super) fn product<const FMA: bool>(p: Problem<'_>, form: Form, c: &mut [f64]) {
    let Problem { m, k, n, a, b, .. } = p;
    match form {
        Form::RowAxpy => {
            for (i, c_row) in c.chunks_exact_mut(n).enumerate().take(m) {
                for q in 0..k {
                    let start = q * b.row_stride;
                    axpy::<FMA>(a.at(i, q), &b.data[start..start + n], c_row);
                }
            }
        }
        Form::ColumnAxpy => {
            for q in 0..k {
                let start = q * a.col_stride;
                axpy::<FMA>(b.at(q, 0), &a.data[start..start + m], &mut c[..m]);
            }
        }
        Form::Dot => {
            for (i, c_row) in c.chunks_exact_mut(n).enumerate().take(m) {
                let a_row = &a.data[i * a.row_stride..i * a.row_stride + k];
                for (j, c) in c_row.iter_mut().enumerate() {
                    let value = if b.row_stride == 1 {
                        // Column j of b is contiguous too.
                        let start = j * b.col_stride;
                        dot::<FMA>(a_row, &b.data[start..start + k])
                    } else {
                        (0..k).fold(0.0, |s, q| madd::<FMA>(a_row[q], b.at(q, j), s))
                    };
                    *c += value;
                }
            }
        }
        Form::General => {
            for i in 0..m {
                for j in 0..n {
                    let s = (0..k).fold(0.0, |s, q| madd::<FMA>(a.at(i, q), b.at(q, j), s));
                    c[i * n + j] += s;
                }
            }
        }
    }
}

#[inline(always)]
fn axpy<const FMA: bool>(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y = madd::<FMA>(alpha, x, *y);
    }
}

/// Σ x_i·y_i in eight interleaved partial sums, so the loop vectorises.
#[inline(always)]
fn dot<const FMA: bool>(x: &[f64], y: &[f64]) -> f64 {
    let mut s = [0.0; 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (x, y) in xc.zip(yc) {
        for l in 0..8 {
            s[l] = madd::<FMA>(x[l], y[l], s[l]);
        }
    }
    let tail = xr
        .iter()
        .zip(yr)
        .fold(0.0, |t, (&x, &y)| madd::<FMA>(x, y, t));
    // Halving, so each step adds one half of a register to the other.
    let h: [f64; 4] = std::array::from_fn(|l| s[l] + s[l + 4]);
    let q: [f64; 2] = std::array::from_fn(|l| h[l] + h[l + 2]);
    (q[0] + q[1]) + tail
}
