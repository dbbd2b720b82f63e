//! e^x for x ≤ 0, the only arguments the sigmoid needs (it takes e^(−|z|)),
//! in a form the compiler can vectorise: no branches, no calls, only
//! arithmetic and bit operations, so that a loop over a slice becomes SIMD
//! code on every target. Within 2 ulp of `f64::exp` over the whole of that
//! range (tested below), so the accuracy guarantees of [`sigmoid_prime`]
//! hold on the fast gradient path too.
//!
//! The method is the classic one (Cody & Waite; Tang, 1989):
//!
//! ```text
//! x = k·ln 2 + r,  k = round(x / ln 2),  |r| ≤ ln 2 / 2
//! e^x = 2^k · e^r, e^r by a polynomial of degree 11 (relative error
//!                 < 2⁻⁵⁷·⁹), evaluated mostly by Estrin's scheme
//! ```
//!
//! with ln 2 split in two so that k·ln2_hi is exact. 2^k is applied as
//! 2^(k+56) · 2⁻⁵⁶: the first factor is a normal number for every k down
//! to the subnormal results' −1076, so one multiply-add forms
//! 2^(k+56)·e^r, and the constant second factor rounds only results in the
//! subnormal range.
//!
//! [`sigmoid_prime`]: crate::sigmoid_prime

/// 1.5·2⁵²: adding it rounds a float of magnitude below 2⁵¹ to an integer,
/// which then sits in the low bits of the sum's mantissa.
const SHIFTER: f64 = 6_755_399_441_055_744.0;
/// ln 2 to 32 significant bits, so that k·LN2_HI is exact for |k| < 2²¹,
/// and the rest of ln 2.
const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000); // 0.693147180369…
const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76); // 1.90821492927…e-10
/// Below this e^x rounds to 0; clamping to just below keeps k ≥ −1076
/// without changing any result.
const X_MIN: f64 = -746.0;
/// The offset of the scale 2^(k+OFFSET), so that it is normal for k ≥ −1076,
/// and its inverse.
const OFFSET: i64 = 56;
const TWO_TO_MINUS_OFFSET: f64 = f64::from_bits(((1023 - OFFSET) as u64) << 52);

/// e^x for x ≤ 0, within 2 ulp of `f64::exp`; NaN for NaN, 0 for −∞.
///
/// With `FMA` each multiply-add rounds once ([`f64::mul_add`]): the code
/// the wide instruction sets run, half the operations and half the latency.
/// Without, each rounds twice, for targets where a fused multiply-add would
/// be a library call. Both forms are within 2 ulp; their results may differ
/// in the last bit.
#[inline(always)]
pub(crate) fn exp_nonpositive<const FMA: bool>(x: f64) -> f64 {
    let (p, scale) = reduced::<FMA>(x);
    madd::<FMA>(p, scale, scale) * TWO_TO_MINUS_OFFSET
}

/// e^x and e^x − 1 for x ≤ 0, from one reduction and one polynomial: e^x
/// as [`exp_nonpositive`] gives it, and e^x − 1 = 2^k·(e^r − 1) + (2^k − 1)
/// with one rounding of the sum, so that it keeps its relative precision
/// where e^x is close to 1 (within a few ulp of `f64::exp_m1`).
#[inline(always)]
pub(crate) fn exp_and_exp_m1<const FMA: bool>(x: f64) -> (f64, f64) {
    let (p, scale) = reduced::<FMA>(x);
    let e = madd::<FMA>(p, scale, scale) * TWO_TO_MINUS_OFFSET;
    // 2^k, exact while it is normal; below, e^x − 1 rounds to −1 anyway.
    let two_k = scale * TWO_TO_MINUS_OFFSET;
    (e, madd::<FMA>(two_k, p, two_k - 1.0))
}

/// The reduction x = k·ln 2 + r: e^r − 1, and the scale 2^(k+OFFSET).
#[inline(always)]
fn reduced<const FMA: bool>(x: f64) -> (f64, f64) {
    debug_assert!(x <= 0.0 || x.is_nan(), "exp_nonpositive({x})");
    // Written so that NaN passes through.
    let x = if x < X_MIN { X_MIN } else { x };
    let shifted = madd::<FMA>(x, std::f64::consts::LOG2_E, SHIFTER);
    let kf = shifted - SHIFTER;
    let r = madd::<FMA>(-kf, LN2_LO, madd::<FMA>(-kf, LN2_HI, x));
    // k is the integer in shifted's low mantissa bits (the bits of SHIFTER
    // end in zeros); the shift keeps the low 12 bits of the sum, which hold
    // k + 1023 + OFFSET ∈ [3, 1079]: the exponent field and a clear sign.
    let biased = shifted.to_bits().wrapping_add((1023 + OFFSET) as u64);
    let scale = f64::from_bits(biased << 52);
    (expm1_reduced::<FMA>(r), scale)
}

/// e^r − 1 for |r| ≤ ln 2 / 2: r + r²·p(r), where p, of degree 9, is the
/// polynomial that minimises the largest error relative to e^r (Remez's
/// algorithm; `tools/exp_coefficients.py` computes the coefficients). With
/// them rounded to `f64` that error is below 2⁻⁵⁷·⁹, as small as the
/// Taylor series reaches only at degree 13, for three fewer operations.
/// The caller adds the 1 in its last multiply-add, s·(e^r − 1) + s, so that
/// the sum rounds only once.
///
/// p is evaluated as (c₀ + c₁r) + r²(c₂ + c₃r) + r⁴[(c₄ + c₅r) +
/// r²((c₆ + c₇r) + r²(c₈ + c₉r))], then r + r²·p: a chain five operations
/// deep, as with Estrin's scheme but with fewer operations, where Horner's
/// rule would be ten deep (latency is most of the cost of a small batch).
#[inline(always)]
fn expm1_reduced<const FMA: bool>(r: f64) -> f64 {
    // Near the Taylor coefficients 1/2!, 1/3!, …, 1/11!.
    const C: [f64; 10] = [
        f64::from_bits(0x3FE0_0000_0000_000A), // 0.5000000000000011
        f64::from_bits(0x3FC5_5555_5555_5503), // 0.16666666666666438
        f64::from_bits(0x3FA5_5555_5555_0605), // 0.04166666666652578
        f64::from_bits(0x3F81_1111_1112_4D28), // 0.008333333333473705
        f64::from_bits(0x3F56_C16C_184B_5D4E), // 0.001388888894487145
        f64::from_bits(0x3F2A_01A0_13D6_1F3D), // 0.0001984126956069368
        f64::from_bits(0x3EFA_0199_88AD_7B4A), // 2.480149172911652e-05
        f64::from_bits(0x3EC7_1DEF_3C41_F1E2), // 2.7557530036233195e-06
        f64::from_bits(0x3E92_8AED_DB00_00B3), // 2.7630764076747975e-07
        f64::from_bits(0x3E5A_DD8C_37F8_38D4), // 2.502037288296772e-08
    ];
    let m = madd::<FMA>;
    let r2 = r * r;
    let r4 = r2 * r2;
    let [p01, p23, p45, p67, p89] = std::array::from_fn(|i| m(C[2 * i + 1], r, C[2 * i]));
    let low = m(p23, r2, p01);
    let high = m(m(p89, r2, p67), r2, p45);
    let p = m(high, r4, low);
    m(r2, p, r)
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
    const FORMS: [fn(f64) -> f64; 2] = [exp_nonpositive::<false>, exp_nonpositive::<true>];

    #[test]
    fn special_values() {
        for exp in FORMS {
            special_values_of(exp);
        }
    }

    fn special_values_of(exp: fn(f64) -> f64) {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(-746.0), 0.0);
        assert_eq!(exp(f64::MIN), 0.0);
        assert_eq!(exp(-f64::MIN_POSITIVE), 1.0);
        // The smallest normal, 2⁻¹⁰²², is e^(−708.396…).
        assert!(exp(-708.39) >= f64::MIN_POSITIVE && exp(-708.40) < f64::MIN_POSITIVE);
        // The smallest subnormal, 2⁻¹⁰⁷⁴, is e^(−744.44…); half of it,
        // where results start to round to 0, e^(−745.13…).
        assert_eq!(exp(-744.4), f64::from_bits(1));
        assert_eq!(exp(-745.1), f64::from_bits(1));
        assert_eq!(exp(-745.2), 0.0);
    }

    #[test]
    fn within_2_ulp_on_a_dense_sweep() {
        // Every 1e-3 from where e^x rounds to 0 up to 0, and every 1e-6
        // through the subnormal range, where the scale rounds too.
        for (fma, exp) in FORMS.into_iter().enumerate() {
            let mut worst = 0;
            for (from, to, step) in [(-745.2, 0.0, 1e-3), (-745.2, -708.0, 1e-6)] {
                let mut x: f64 = from;
                while x <= to {
                    worst = worst.max(ulps(exp(x), x.exp()));
                    x += step;
                }
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
            -746.0..=0.0f64,
            -1.0..=0.0f64,
            -1e-300..=0.0f64,
            any::<f64>().prop_map(|x| -x.abs()),
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

        #[test]
        fn exp_m1_is_within_2_ulp_and_e_is_exp_nonpositive(x in prop_oneof![
            -746.0..=0.0f64,
            -1.0..=0.0f64,
            -1e-300..=0.0f64,
            any::<f64>().prop_map(|x| -x.abs()),
        ]) {
            prop_assume!(!x.is_nan());
            let want = x.exp_m1();
            let (e, e_m1) = exp_and_exp_m1::<true>(x);
            prop_assert_eq!(e.to_bits(), exp_nonpositive::<true>(x).to_bits());
            prop_assert!(ulps(e_m1, want) <= 2, "x = {x:e}: {e_m1:e} vs {want:e}");
            let (e, e_m1) = exp_and_exp_m1::<false>(x);
            prop_assert_eq!(e.to_bits(), exp_nonpositive::<false>(x).to_bits());
            prop_assert!(ulps(e_m1, want) <= 2, "x = {x:e}: {e_m1:e} vs {want:e}");
        }
    }
}
