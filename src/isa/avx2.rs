//! AVX2 with FMA: a 6 × 8 tile of c in 12 of the 16 ymm registers.

#[cfg(test)]
use super::Path;
use super::{Isa, assert_panels_hold};
use crate::gemm::{APanel, BPanel, Finish, Kernels, Problem, TileOut, product, tuning};

/// AVX2 + FMA: a 6 × 8 tile, 12 of the 16 ymm registers. Made only by
/// [`dispatch`](super::dispatch), after its feature check.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx2Fma(pub(super) ());

impl Isa for Avx2Fma {
    const FMA: bool = true;
}

impl Kernels for Avx2Fma {
    #[inline(always)]
    fn product(
        self,
        p: Problem<'_>,
        c: &mut [f64],
        scratch: &mut Vec<f64>,
        finish: &mut impl Finish,
    ) {
        // SAFETY: an `Avx2Fma` value exists only after `dispatch` checked for
        // AVX2 and FMA.
        let tile = |a: APanel<'_>, b: BPanel<'_>, steps, out: TileOut<'_>| unsafe {
            tile_avx2_fma(a, b, steps, out)
        };
        product::<6, 8, true>(p, tuning::AVX2, c, scratch, tile, finish)
    }

    #[inline(always)]
    fn b_panels(self) -> Option<(usize, tuning::Blocking)> {
        Some((8, tuning::AVX2))
    }
}

/// The AVX2 micro-kernel: a 6 × 8 tile of c in 12 ymm registers, per step
/// two loads of b, six broadcasts of a and twelve fused multiply-adds.
/// Unlike the AVX-512 kernels it asks for no lines ahead: at the AVX2
/// blocks both panels stay in L1, and the requests only slowed it
/// (BENCHMARKS.md, "On AVX2"). It asks for c's rows
/// before its loop, so that they arrive while the tile is computed.
///
/// # Safety
///
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
#[inline(never)]
unsafe fn tile_avx2_fma(a: APanel<'_>, b: BPanel<'_>, steps: usize, out: TileOut<'_>) {
    use std::arch::x86_64::{
        _MM_HINT_T0, _mm_prefetch, _mm256_add_pd, _mm256_fmadd_pd, _mm256_loadu_pd, _mm256_set1_pd,
        _mm256_setzero_pd, _mm256_storeu_pd,
    };
    let mut acc = [_mm256_setzero_pd(); 12];
    for r in 0..out.rows {
        _mm_prefetch::<_MM_HINT_T0>(out.c[r * out.ldc..].as_ptr().cast());
    }
    assert_panels_hold(&a, &b, steps, 6, 8);
    let (a_ptr, b_ptr) = (a.data.as_ptr(), b.data.as_ptr());
    for p in 0..steps {
        // SAFETY: p < steps, so by the assertion above b's 8 values at
        // p·rs and a's 6 values at i·rs + p·cs (i < 6) are in bounds.
        unsafe {
            let b_p = b_ptr.add(p * b.rs);
            let (b0, b1) = (_mm256_loadu_pd(b_p), _mm256_loadu_pd(b_p.add(4)));
            let a_p = a_ptr.add(p * a.cs);
            for i in 0..6 {
                let a_i = _mm256_set1_pd(*a_p.add(i * a.rs));
                acc[2 * i] = _mm256_fmadd_pd(a_i, b0, acc[2 * i]);
                acc[2 * i + 1] = _mm256_fmadd_pd(a_i, b1, acc[2 * i + 1]);
            }
        }
    }
    let mut edge = [[0.0; 8]; 6];
    for (r, acc) in acc.chunks_exact(2).enumerate().take(out.rows) {
        // A full row of c, or else the row of the edge buffer.
        let full = out.cols == 8;
        let row = if full {
            &mut out.c[r * out.ldc..r * out.ldc + 8]
        } else {
            &mut edge[r][..]
        };
        // SAFETY: `row` holds 8 values, so both 4-value loads and stores
        // are in bounds.
        unsafe {
            let (mut lo, mut hi) = (acc[0], acc[1]);
            if out.accumulate && full {
                lo = _mm256_add_pd(lo, _mm256_loadu_pd(row.as_ptr()));
                hi = _mm256_add_pd(hi, _mm256_loadu_pd(row.as_ptr().add(4)));
            }
            _mm256_storeu_pd(row.as_mut_ptr(), lo);
            _mm256_storeu_pd(row.as_mut_ptr().add(4), hi);
        }
    }
    if out.cols < 8 {
        out.write_rows(&edge);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::View;
    use crate::gemm::tuning::Blocking;

    /// (m, k, n, a stored transposed) of products where b is read by
    /// several panels of a within one block.
    const SHAPES: [(usize, usize, usize, bool); 4] = [
        (64, 128, 128, true),
        (64, 200, 64, true),
        (72, 64, 64, false),
        (64, 200, 10, true),
    ];

    /// c of one shape by the AVX2 kernel at `blocking`, `reps` times, and
    /// the seconds of the fastest.
    fn run(shape: (usize, usize, usize, bool), blocking: Blocking, reps: usize) -> (Vec<f64>, f64) {
        let (m, k, n, transposed) = shape;
        let a_data: Vec<f64> = (0..m * k).map(|i| ((i * 7) % 11) as f64 - 5.0).collect();
        let b_data: Vec<f64> = (0..k * n).map(|i| ((i * 5) % 13) as f64 - 6.0).collect();
        let a = if transposed {
            View::transposed(&a_data, m)
        } else {
            View::of(&a_data, k)
        };
        let (b, mut c, mut scratch) = (View::of(&b_data, n), vec![0.0; m * n], Vec::new());
        // SAFETY: the callers run this only where the CPU has AVX2 and FMA.
        let tile = |a: APanel<'_>, b: BPanel<'_>, steps, out: TileOut<'_>| unsafe {
            tile_avx2_fma(a, b, steps, out)
        };
        let mut fastest = f64::INFINITY;
        for _ in 0..reps {
            let start = std::time::Instant::now();
            let p = Problem {
                m,
                k,
                n,
                a,
                b,
                packed_b: None,
                accumulate: false,
            };
            product::<6, 8, true>(p, blocking, &mut c, &mut scratch, tile, &mut ());
            fastest = fastest.min(start.elapsed().as_secs_f64());
        }
        (c, fastest)
    }

    /// Packing b or reading it where it lies changes where the kernel
    /// reads, not what it sums or in which order.
    #[test]
    fn packing_shared_panels_of_b_keeps_the_bits() {
        if !Path::Avx2Fma.supported() {
            return;
        }
        let in_place = Blocking {
            shared_b_in_place: true,
            ..tuning::AVX2
        };
        for shape in SHAPES {
            let (packed, _) = run(shape, tuning::AVX2, 1);
            let (read_in_place, _) = run(shape, in_place, 1);
            assert_eq!(packed, read_in_place, "{shape:?}");
        }
    }

    /// The measurement behind `shared_b_in_place: false` (BENCHMARKS.md):
    /// each shape with either rule, alternating in one process, the bits
    /// of both compared. Run with
    /// `cargo test --release --lib shared_panels_of_b_timed -- --ignored --nocapture`
    /// and the one-core peak in GFLOP/s as `PEAK` (default 51.3).
    #[test]
    #[ignore = "a measurement: prints the share of the peak with either rule"]
    fn shared_panels_of_b_timed() {
        if !Path::Avx2Fma.supported() {
            return;
        }
        let peak: f64 = std::env::var("PEAK").map_or(51.3, |p| p.parse().expect("PEAK"));
        let in_place = Blocking {
            shared_b_in_place: true,
            ..tuning::AVX2
        };
        for shape in SHAPES {
            let (m, k, n, _) = shape;
            let reps = (200_000_000 / (m * k * n)).max(1);
            let (mut rounds, mut results) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
            for round in 0..30 {
                let blocking = [in_place, tuning::AVX2][round % 2];
                let (c, seconds) = run(shape, blocking, reps);
                rounds[round % 2].push(2.0 * (m * k * n) as f64 / seconds / 1e9 / peak);
                results[round % 2] = c;
            }
            assert_eq!(results[0], results[1], "{shape:?}");
            let [read_in_place, packed] = rounds.map(|mut shares| {
                shares.sort_by(f64::total_cmp);
                (shares[shares.len() / 2], shares[shares.len() - 1])
            });
            println!(
                "{m} × {k} × {n}: b read in place {:.0} %, {:.0} % of the peak (median, best); packed {:.0} %, {:.0} %",
                read_in_place.0 * 1e2,
                read_in_place.1 * 1e2,
                packed.0 * 1e2,
                packed.1 * 1e2
            );
        }
    }
}
