//! Every path's kernels against the naive product, its activations against
//! the scalar functions, and the choice of path.

use super::*;
use crate::activation::{Activate, Activation, Beside, activate, sigmoid_with_prime};
use crate::gemm::tuning::{AVX2, AVX512, PORTABLE};
use crate::gemm::{Finish, Layout, PackedB, matmul_then, pack_b};
use proptest::prelude::*;

/// Each path's activation equals, bit for bit, the scalar code with the
/// same kind of multiply-add (the scalar form through `f64::mul_add`,
/// which rounds once wherever it runs).
#[test]
fn every_activation_path_equals_the_scalar_functions() {
    let z: Vec<f64> = (-20_000..=20_000).map(|k| f64::from(k) * 0.0371).collect();
    for path in Path::available() {
        let mut a = z.clone();
        let mut fp = vec![0.0; z.len()];
        assert!(dispatch(
            path,
            Activate::with_derivative(Activation::Sigmoid, &mut a, &mut fp)
        ));
        let scalar = if path == Path::Portable {
            sigmoid_with_prime::<false>
        } else {
            sigmoid_with_prime::<true>
        };
        for (&z, (a, fp)) in z.iter().zip(a.iter().zip(&fp)) {
            let (f, f_prime) = scalar(z);
            assert_eq!(a.to_bits(), f.to_bits(), "{path:?}: f({z})");
            assert_eq!(fp.to_bits(), f_prime.to_bits(), "{path:?}: f′({z})");
        }
        let mut bad = [0.5, f64::NAN, 1.0];
        assert!(
            !dispatch(
                path,
                Activate::with_derivative(Activation::Sigmoid, &mut bad, &mut [0.0; 3])
            ),
            "{path:?}"
        );
    }
}

/// A block of rows through [`activate`](crate::activation::activate), with
/// or without a bias, as the fused pass runs it.
struct Rows<'a> {
    f: Activation,
    units: usize,
    z: &'a mut [f64],
    fp: &'a mut [f64],
    bias: Option<&'a [f64]>,
}

impl Routine for Rows<'_> {
    type Output = bool;
    fn run<I: Isa>(self, _: I) -> bool {
        let Rows {
            f,
            units,
            z,
            fp,
            bias,
        } = self;
        let beside = (fp, Beside::Derivative);
        if I::FMA {
            activate::<true>(f, units, z, beside, bias)
        } else {
            activate::<false>(f, units, z, beside, bias)
        }
    }
}

/// The exponential activations run in two passes over runs of a row: at
/// every length around those runs, with and without a bias, each element
/// still equals the scalar function of z + b, and one value that is not
/// finite anywhere in the block is reported.
#[test]
fn two_pass_activations_equal_the_scalar_functions_at_every_length() {
    let shapes = [
        (1, 1, false),
        (1, 3, false),
        (1, 255, false),
        (1, 256, false),
        (1, 257, false),
        (2, 700, false),
        (5, 3, true),
        (4, 7, true),
        (3, 128, true),
        (2, 300, true),
    ];
    for path in Path::available() {
        for f in [Activation::Sigmoid, Activation::Tanh] {
            let scalar = |z: f64| {
                if path == Path::Portable {
                    f.with_prime::<false>(z)
                } else {
                    f.with_prime::<true>(z)
                }
            };
            for (rows, units, with_bias) in shapes {
                let n = rows * units;
                let z: Vec<f64> = (0..n)
                    .map(|i| ((i * 37) % 101) as f64 * 0.6 - 30.0)
                    .collect();
                let b: Vec<f64> = (0..units).map(|j| 0.25 * j as f64 - 1.0).collect();
                let bias = with_bias.then_some(b.as_slice());
                let (mut a, mut fp) = (z.clone(), vec![0.0; n]);
                let rows_of = |z: &'_ mut [f64], fp: &'_ mut [f64]| {
                    dispatch(
                        path,
                        Rows {
                            f,
                            units,
                            z,
                            fp,
                            bias,
                        },
                    )
                };
                assert!(rows_of(&mut a, &mut fp));
                for (i, (&z, (a, fp))) in z.iter().zip(a.iter().zip(&fp)).enumerate() {
                    let z_b = if with_bias { z + b[i % units] } else { z };
                    let (want_f, want_fp) = scalar(z_b);
                    let at = format!("{path:?} {f} {rows}×{units}, element {i}");
                    assert_eq!(a.to_bits(), want_f.to_bits(), "f: {at}");
                    assert_eq!(fp.to_bits(), want_fp.to_bits(), "f′: {at}");
                }
                for bad_at in [0, n / 2, n - 1] {
                    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                        let mut a = z.clone();
                        a[bad_at] = bad;
                        assert!(
                            !rows_of(&mut a, &mut vec![0.0; n]),
                            "{path:?} {f} {rows}×{units}: {bad} at {bad_at}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn backprop_isa_picks_a_path_this_cpu_has() {
    let fastest = *Path::available().last().unwrap();
    assert_eq!(Path::from_env(None, fastest), fastest);
    assert_eq!(Path::from_env(Some("sse9"), fastest), fastest);
    assert_eq!(Path::from_env(Some("portable"), fastest), Path::Portable);
    for (name, path) in [("avx2", Path::Avx2Fma), ("avx512", Path::Avx512)] {
        let want = if path.supported() { path } else { fastest };
        assert_eq!(Path::from_env(Some(name), fastest), want);
    }
}

#[test]
fn the_portable_path_is_always_there() {
    assert_eq!(Path::available()[0], Path::Portable);
    assert!(Path::available().contains(&Path::best()));
}

/// The textbook triple loop over views.
fn naive(m: usize, k: usize, n: usize, a: View<'_>, b: View<'_>) -> Vec<f64> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..k).map(|p| a.at(i, p) * b.at(p, j)).sum();
        }
    }
    c
}

fn close(got: &[f64], want: &[f64], k: usize) -> bool {
    // Each element is a sum of k products of values in [-1, 1]: rounding
    // differs by summation order, never by more than k·ε.
    got.iter()
        .zip(want)
        .all(|(g, w)| (g - w).abs() <= (k as f64 + 1.0) * f64::EPSILON * 4.0)
}

fn values(len: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-1.0..1.0f64, len)
}

/// Sizes around the block and tile edges of every path.
/// Rows of a: small, and around the MC block edge.
fn rows() -> impl Strategy<Value = usize> {
    let (small, large) = (AVX512.mc.min(AVX2.mc), AVX512.mc.max(AVX2.mc));
    prop_oneof![
        1..=20usize,
        small - 2..=small + 2,
        large - 2..=large + 2,
        2 * large - 1..=2 * large + 1
    ]
}

/// Inner dimension: small, around the direct/blocked switch, and around
/// every path's KC block edge.
fn inner() -> impl Strategy<Value = usize> {
    let (short, long) = (AVX2.kc.min(AVX512.kc), AVX2.kc.max(AVX512.kc));
    prop_oneof![1..=20usize, short - 6..=short + 4, long - 1..=long + 1]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Every path available on this machine, forced in turn, against
    /// the naive product, for all three layouts.
    #[test]
    fn every_path_matches_the_naive_product(
        (m, k, n, a, b) in (rows(), inner(), 1..=40usize)
            .prop_flat_map(|(m, k, n)| (Just(m), Just(k), Just(n), values(m * k), values(k * n)))
    ) {
        let mut scratch = Vec::new();
        let layouts = [
            (View::of(&a, k), View::of(&b, n)),
            (View::transposed(&a, m), View::of(&b, n)),
            (View::of(&a, k), View::transposed(&b, k)),
            (View::transposed(&a, m), View::transposed(&b, k)),
        ];
        for (va, vb) in layouts {
            let want = naive(m, k, n, va, vb);
            for path in Path::available() {
                let mut c = vec![f64::NAN; m * n];
                dispatch(path, Product { dims: (m, k, n), a: va, b: vb, add: false, c: &mut c, scratch: &mut scratch });
                prop_assert!(close(&c, &want, k), "{path:?} at {m}×{k}×{n}");
                // Added to what c holds: c₀ + a·b.
                let c0: Vec<f64> = (0..m * n).map(|v| ((v * 3) % 7) as f64 - 3.0).collect();
                let mut c = c0.clone();
                dispatch(path, Product { dims: (m, k, n), a: va, b: vb, add: true, c: &mut c, scratch: &mut scratch });
                let want_sum: Vec<f64> = want.iter().zip(&c0).map(|(w, c)| w + c).collect();
                prop_assert!(close(&c, &want_sum, k), "{path:?} adding at {m}×{k}×{n}");
            }
        }
    }
}

/// `len` values in [−½, ½): (v·step mod period)/period − ½.
fn pattern(len: usize, step: usize, period: usize) -> Vec<f64> {
    (0..len)
        .map(|v| ((v * step) % period) as f64 / period as f64 - 0.5)
        .collect()
}

/// c of every height up to 13 rows, where the AVX-512 path computes
/// its last rows with a tile of fewer rows, and c of 9 to 12 rows in
/// one tile height, 16 or more columns wide, at most 8 (one register)
/// and 9 to 12: each path, with and without adding to c, against the
/// naive product.
#[test]
fn short_products_match_the_naive_product() {
    let mut scratch = Vec::new();
    for m in 1..=13 {
        for (k, n) in [
            (3, 16),
            (300, 17),
            (513, 40),
            (130, 13),
            (300, 8),
            (130, 5),
            (200, 10),
        ] {
            let (a, b) = (pattern(m * k, 7, 11), pattern(k * n, 5, 13));
            // a read transposed, as δ(3)ᵀ·a(2) reads δ(3).
            for va in [View::of(&a, k), View::transposed(&a, m)] {
                let vb = View::of(&b, n);
                let want = naive(m, k, n, va, vb);
                for path in Path::available() {
                    for add in [false, true] {
                        let c0: Vec<f64> = (0..m * n).map(|v| (v % 5) as f64).collect();
                        let mut c = c0.clone();
                        let dims = (m, k, n);
                        let (a, b, c) = (va, vb, &mut c);
                        let scratch = &mut scratch;
                        dispatch(
                            path,
                            Product {
                                dims,
                                a,
                                b,
                                add,
                                c,
                                scratch,
                            },
                        );
                        let want: Vec<f64> = if add {
                            want.iter().zip(&c0).map(|(w, c)| w + c).collect()
                        } else {
                            want.clone()
                        };
                        assert!(close(c, &want, k), "{path:?} at {m}×{k}×{n}, add {add}");
                    }
                }
            }
        }
    }
}

#[test]
fn wide_products_cross_the_column_blocks() {
    let (m, k, n) = (3, 300, PORTABLE.nc.max(AVX2.nc).max(AVX512.nc) + 37);
    let (a, b) = (pattern(m * k, 7, 13), pattern(k * n, 5, 11));
    let want = naive(m, k, n, View::of(&a, k), View::of(&b, n));
    for path in Path::available() {
        let mut c = vec![0.0; m * n];
        product_on(path, (m, k, n), View::of(&a, k), View::of(&b, n), &mut c);
        assert!(close(&c, &want, k), "{path:?}");
    }
}

/// Records each part `matmul_then` finishes, as it is when finished.
struct Record(Vec<(usize, Vec<f64>)>);

impl Finish for Record {
    fn part(&mut self, at: usize, part: &mut [f64]) {
        self.0.push((at, part.to_vec()));
    }
}

struct Then<'a> {
    dims: (usize, usize, usize),
    a: &'a [f64],
    b: &'a [f64],
    c: &'a mut [f64],
    record: &'a mut Record,
}

impl Routine for Then<'_> {
    type Output = ();
    #[inline(always)]
    fn run<I: Isa>(self, isa: I) {
        let scratch = &mut Vec::new();
        matmul_then(
            isa,
            Layout::AB,
            self.dims,
            self.a,
            self.b,
            None,
            self.c,
            scratch,
            self.record,
        );
    }
}

/// The finished parts cover c exactly once and already hold the final
/// values: direct loops, a single block, blocked rows and, past NC
/// columns, runs of rows.
#[test]
fn finished_parts_cover_c_once_with_final_values() {
    for (m, k, n) in [
        (3, 4, 5),
        (40, 30, 20),
        (2 * AVX512.mc + 5, AVX512.kc + 3, 37),
        (2 * AVX2.mc + 5, AVX2.kc + 3, 37),
        (3, 300, AVX512.nc.max(AVX2.nc) + 37),
        (AVX512.mc.min(AVX2.mc) + 1, 20, 200),
    ] {
        let a: Vec<f64> = (0..m * k)
            .map(|v| ((v * 7) % 13) as f64 / 13.0 - 0.5)
            .collect();
        let b: Vec<f64> = (0..k * n)
            .map(|v| ((v * 5) % 11) as f64 / 11.0 - 0.5)
            .collect();
        for path in Path::available() {
            let mut c = vec![f64::NAN; m * n];
            let mut record = Record(Vec::new());
            let (a, b) = (&a[..], &b[..]);
            dispatch(
                path,
                Then {
                    dims: (m, k, n),
                    a,
                    b,
                    c: &mut c,
                    record: &mut record,
                },
            );
            let mut seen = vec![0; m * n];
            for (at, part) in &record.0 {
                assert_eq!(&c[*at..at + part.len()], &part[..], "{path:?} {m}×{k}×{n}");
                seen[*at..at + part.len()].iter_mut().for_each(|s| *s += 1);
            }
            assert!(seen.iter().all(|&s| s == 1), "{path:?} {m}×{k}×{n}");
        }
    }
}

#[test]
fn empty_dimensions_give_zeros() {
    for path in Path::available() {
        let mut c = vec![f64::NAN; 6];
        product_on(path, (2, 0, 3), View::of(&[], 0), View::of(&[], 3), &mut c);
        assert_eq!(c, vec![0.0; 6]);
    }
}

/// One product by [`matmul_then`], with b as it lies and with b packed
/// beforehand by [`pack_b`]: both results, and whether b was packed.
struct Prepacked<'a> {
    layout: Layout,
    dims: (usize, usize, usize),
    a: &'a [f64],
    b: &'a [f64],
}

impl Routine for Prepacked<'_> {
    type Output = (Vec<f64>, Vec<f64>, bool);
    #[inline(always)]
    fn run<I: Isa>(self, isa: I) -> (Vec<f64>, Vec<f64>, bool) {
        let Prepacked { layout, dims, a, b } = self;
        let (m, k, n) = dims;
        let (scratch, mut panels) = (&mut Vec::new(), vec![f64::NAN; 3]);
        let mut plain = vec![0.0; m * n];
        matmul_then(isa, layout, dims, a, b, None, &mut plain, scratch, &mut ());
        let b_view = layout.views(dims, a, b).1;
        let packed = pack_b(isa, b_view, (k, n), &mut panels).map(|(nr, kc, nc)| PackedB {
            data: &panels[3..],
            nr,
            kc,
            nc,
        });
        let was_packed = packed.is_some();
        let mut from_panels = vec![0.0; m * n];
        matmul_then(
            isa,
            layout,
            dims,
            a,
            b,
            packed,
            &mut from_panels,
            scratch,
            &mut (),
        );
        (plain, from_panels, was_packed)
    }
}

/// A b packed beforehand, at the end of a buffer that holds other values,
/// gives the bits of the product that packs or reads b itself, on every
/// path: one block, blocks of k past KC, blocks of columns past NC, edge
/// panels, and b stored transposed. Paths whose panels depend on the
/// product pack nothing.
#[test]
fn b_packed_beforehand_gives_the_same_bits() {
    let wide = PORTABLE.nc.max(AVX2.nc) + 37;
    for (m, k, n) in [
        (40, 64, 128),
        (13, 30, 27),
        (200, 600, 130),
        (70, 257, 10),
        (7, 40, wide),
    ] {
        let (a, b) = (pattern(m * k, 7, 13), pattern(k * n, 5, 11));
        for layout in [Layout::AB, Layout::ABt] {
            let (a_view, b_view) = layout.views((m, k, n), &a, &b);
            let want = naive(m, k, n, a_view, b_view);
            for path in Path::available() {
                let (a, b) = (&a[..], &b[..]);
                let run = Prepacked {
                    layout,
                    dims: (m, k, n),
                    a,
                    b,
                };
                let (plain, from_panels, packed) = dispatch(path, run);
                let case = format!("{path:?}, {layout:?}, {:?}", (m, k, n));
                assert_eq!(packed, path != Path::Avx512, "{case}");
                assert!(close(&plain, &want, k), "{case}");
                let bits = |c: &[f64]| c.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&plain), bits(&from_panels), "{case}");
            }
        }
    }
}
