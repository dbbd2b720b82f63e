//! Matrix products on row-major slices: the kernels behind [`Matrix::dot`],
//! [`Matrix::tr_dot`], [`Matrix::dot_tr`] and the allocation-free gradient
//! path, which writes into buffers it owns.
//!
//! Each function overwrites `c`. Shapes are the caller's to check; the
//! slices' lengths are asserted in debug builds.
//!
//! [`Matrix::dot`]: crate::Matrix::dot
//! [`Matrix::tr_dot`]: crate::Matrix::tr_dot
//! [`Matrix::dot_tr`]: crate::Matrix::dot_tr

/// c ← a·b, with a m × k, b k × n and c m × n.
pub(crate) fn nn(m: usize, k: usize, n: usize, a: &[f64], b: &[f64], c: &mut [f64]) {
    debug_assert!(a.len() == m * k && b.len() == k * n && c.len() == m * n);
    c.fill(0.0);
    if k == 0 || n == 0 {
        return;
    }
    // i-p-j order: row i of c accumulates a(i, p) · (row p of b), walking
    // both b and c along rows.
    for (a_row, c_row) in a.chunks_exact(k).zip(c.chunks_exact_mut(n)) {
        for (&a_ip, b_row) in a_row.iter().zip(b.chunks_exact(n)) {
            axpy(a_ip, b_row, c_row);
        }
    }
}

/// c ← aᵀ·b, with a k × m, b k × n and c m × n.
pub(crate) fn tn(m: usize, k: usize, n: usize, a: &[f64], b: &[f64], c: &mut [f64]) {
    debug_assert!(a.len() == k * m && b.len() == k * n && c.len() == m * n);
    c.fill(0.0);
    if m == 0 || n == 0 {
        return;
    }
    // Row p of a and of b add their outer product (a row pᵀ)·(b row p).
    for (a_row, b_row) in a.chunks_exact(m).zip(b.chunks_exact(n)) {
        for (&a_pi, c_row) in a_row.iter().zip(c.chunks_exact_mut(n)) {
            axpy(a_pi, b_row, c_row);
        }
    }
}

/// c ← a·bᵀ, with a m × k, b n × k and c m × n.
pub(crate) fn nt(m: usize, k: usize, n: usize, a: &[f64], b: &[f64], c: &mut [f64]) {
    debug_assert!(a.len() == m * k && b.len() == n * k && c.len() == m * n);
    if k == 0 || n == 0 {
        c.fill(0.0);
        return;
    }
    for (a_row, c_row) in a.chunks_exact(k).zip(c.chunks_exact_mut(n)) {
        for (b_row, c) in b.chunks_exact(k).zip(c_row.iter_mut()) {
            *c = a_row.iter().zip(b_row).map(|(a, b)| a * b).sum();
        }
    }
}

/// c ← c + α·b, written as a plain zip so the compiler vectorises it.
#[inline]
fn axpy(alpha: f64, b: &[f64], c: &mut [f64]) {
    for (c, &b) in c.iter_mut().zip(b) {
        *c += alpha * b;
    }
}
