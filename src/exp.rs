//! e^x in a form the compiler can vectorise: no branches, no calls, only
//! arithmetic and bit operations, so that a loop over a slice becomes SIMD
//! code on every target. Within 2 ulp of `f64::exp` over the whole range
//! (tested below), so the accuracy guarantees of [`sigmoid_prime`] hold on
//! the fast gradient path too.
//!
//! The method is the classic one (Cody & Waite; Tang, 1989):
//!
//! ```text
//! x = k·ln 2 + r,  k = round(x / ln 2),  |r| ≤ ln 2 / 2
//! e^x = 2^k · e^r, e^r by its Taylor series to degree 13 (error < 2⁻⁵⁸),
//!                 evaluated by Estrin's scheme
//! ```
//!
//! with ln 2 split in two so that k·ln2_hi is exact, and 2^k applied as two
//! factors so that results near overflow and in the subnormal range come
//! out right.
//!
//! [`sigmoid_prime`]: crate::sigmoid_prime

/// 1.5·2⁵²: adding it rounds a float of magnitude below 2⁵¹ to an integer,
/// which then sits in the low bits of the sum's mantissa.
const SHIFTER: f64 = 6_755_399_441_055_744.0;
/// ln 2 to 32 significant bits, so that k·LN2_HI is exact for |k| < 2²¹,
/// and the rest of ln 2.
const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000); // 0.693147180369…
const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76); // 1.90821492927…e-10
/// Below this e^x rounds to 0, above the upper bound it overflows; clamping
/// to just outside keeps k in range without changing any result.
const X_MIN: f64 = -746.0;
const X_MAX: f64 = 710.0;

/// e^x, within 2 ulp of `f64::exp`; NaN for NaN, 0 for −∞, ∞ for ∞.
///
/// With `FMA` each multiply-add rounds once ([`f64::mul_add`]): the code
/// the wide instruction sets run, half the operations and half the latency.
/// Without, each rounds twice, for targets where a fused multiply-add would
/// be a library call. Both forms are within 2 ulp; their results may differ
/// in the last bit.
#[inline(always)]
pub(crate) fn exp<const FMA: bool>(x: f64) -> f64 {
    let x = x.clamp(X_MIN, X_MAX);
    let shifted = madd::<FMA>(x, std::f64::consts::LOG2_E, SHIFTER);
    let kf = shifted - SHIFTER;
    let r = madd::<FMA>(-kf, LN2_LO, madd::<FMA>(-kf, LN2_HI, x));
    // k is the integer in shifted's low mantissa bits.
    let k = shifted.to_bits().wrapping_sub(SHIFTER.to_bits()) as i64;
    // 2^k = 2^k1 · 2^k2 with both factors normal for k in [−1076, 1024].
    let k1 = k >> 1;
    let k2 = k - k1;
    let two_k1 = f64::from_bits(((k1 + 1023) as u64) << 52);
    let two_k2 = f64::from_bits(((k2 + 1023) as u64) << 52);
    exp_reduced::<FMA>(r) * two_k1 * two_k2
}

/// e^r for |r| ≤ ln 2 / 2: 1 + r + r²·p(r), where p(r) = 1/2! + r/3! + … +
/// r¹¹/13! is the rest of the Taylor series to degree 13 (truncation error
/// below 2⁻⁵⁸), the sum after 1 formed first so that the final addition
/// rounds only once.
///
/// p is evaluated by Estrin's scheme, pairs of terms combined with r², r⁴
/// and r⁸, rather than by Horner's rule: a chain five operations deep
/// instead of eleven, which is most of the latency of a small batch.
#[inline(always)]
fn exp_reduced<const FMA: bool>(r: f64) -> f64 {
    const C: [f64; 12] = [
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5_040.0,
        1.0 / 40_320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
        1.0 / 6_227_020_800.0,
    ];
    let m = madd::<FMA>;
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let [p01, p23, p45, p67, p89, p1011] = std::array::from_fn(|i| m(C[2 * i + 1], r, C[2 * i]));
    let q0 = m(p23, r2, p01);
    let q1 = m(p67, r2, p45);
    let q2 = m(p1011, r2, p89);
    let p = m(q2, r8, m(q1, r4, q0));
    1.0 + m(r2, p, r)
}

/// a·b + c, rounded once when `FMA` and twice otherwise.
#[inline(always)]
pub(crate) fn madd<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Distance in units in the last place, counting through zero.
    fn ulps(a: f64, b: f64) -> u64 {
        let key = |v: f64| {
            let bits = v.to_bits() as i64;
            if bits < 0 { i64::MIN - bits } else { bits }
        };
        key(a).abs_diff(key(b))
    }

    /// Both forms, through `f64::mul_add` (correctly rounded wherever it
    /// runs, so the same bits as the fused instructions).
    const FORMS: [fn(f64) -> f64; 2] = [exp::<false>, exp::<true>];

    #[test]
    fn special_values() {
        for exp in FORMS {
            special_values_of(exp);
        }
    }

    fn special_values_of(exp: fn(f64) -> f64) {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(709.8), f64::INFINITY);
        assert_eq!(exp(-746.0), 0.0);
        assert_eq!(exp(f64::MIN), 0.0);
        assert_eq!(exp(f64::MAX), f64::INFINITY);
        assert!(exp(709.78) < f64::INFINITY);
        // The smallest subnormal, 2⁻¹⁰⁷⁴, is e^(−744.44…).
        assert_eq!(exp(-744.4), f64::from_bits(1));
    }

    #[test]
    fn within_2_ulp_on_a_dense_sweep() {
        // Every 1e-3 across the range where e^x is neither 0 nor ∞, and the
        // subnormal and overflow edges.
        for (fma, exp) in FORMS.into_iter().enumerate() {
            let mut worst = 0;
            let mut x = -745.2;
            while x < 709.8 {
                worst = worst.max(ulps(exp(x), x.exp()));
                x += 1e-3;
            }
            println!(
                "exp (fused: {}): worst {worst} ulp from f64::exp over the sweep",
                fma == 1
            );
            assert!(worst <= 2, "worst {worst} ulp");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn within_2_ulp_everywhere(x in prop_oneof![
            -746.0..710.0f64,
            -1.0..1.0f64,
            -1e-300..1e-300f64,
            any::<f64>(),
        ]) {
            let want = x.exp();
            for exp in FORMS {
                let got = exp(x);
                if want.is_nan() {
                    prop_assert!(got.is_nan());
                } else {
                    prop_assert!(ulps(got, want) <= 2, "x = {x:e}: {got:e} vs {want:e}");
                }
            }
        }
    }
}
