//! A line search for the strong Wolfe conditions (Nocedal & Wright,
//! *Numerical Optimization*, 2nd ed., Algorithms 3.5 and 3.6).
//!
//! Along a descent direction d from p, with φ(α) = J(p + α·d), it looks for
//! a step α > 0 with
//!
//! ```text
//! φ(α) ≤ φ(0) + c1·α·φ′(0)        sufficient decrease
//! |φ′(α)| ≤ c2·|φ′(0)|            curvature (strong form)
//! ```
//!
//! First it brackets such a step by growing α, then it narrows the bracket
//! by safeguarded cubic interpolation ("zoom"). A point where the model
//! cannot be evaluated (its cost overflows) counts as φ = +∞, which only
//! ever shrinks the step.

use super::StopReason;
use super::run::{Evaluation, Run};
use crate::matrix::euclidean_norm;

/// Steps tried while bracketing, and while zooming, before giving up.
const MAX_BRACKET: usize = 30;
const MAX_ZOOM: usize = 40;
/// The zoom keeps each new trial this fraction of the bracket away from its
/// ends, so the bracket shrinks by at least that much every time.
const SAFEGUARD: f64 = 0.1;

/// The strong Wolfe constants: 0 < c1 < c2 < 1.
#[derive(Debug, Clone, Copy)]
pub struct StrongWolfe {
    pub c1: f64,
    pub c2: f64,
}

/// An accepted step: the new parameters and J, ∇J there.
pub struct Step {
    pub params: Vec<f64>,
    pub at: Evaluation,
}

/// An accepted quasi-Newton step: the step, s = its parameters − p and
/// y = its gradient − ∇J(p).
pub struct Secant {
    pub step: Step,
    pub s: Vec<f64>,
    pub y: Vec<f64>,
}

/// One trial of α: φ(α), φ′(α) (NaN where φ is +∞ and its slope unknown),
/// and the evaluation behind it (none for α = 0, which the caller holds).
struct Trial {
    alpha: f64,
    phi: f64,
    slope: f64,
    step: Option<Step>,
}

impl StrongWolfe {
    /// The step BFGS and L-BFGS take from `p` (where J and ∇J are `at`)
    /// along their direction d = −H·∇J. If rounding has left H unable to
    /// give a descent direction, `reset` forgets it and the step is taken
    /// along −∇J instead.
    ///
    /// Where the sigmoid is flat, y is small and H (scaled by yᵀs / yᵀy)
    /// large: a full step along d can throw the weights far out, onto a
    /// plateau where every unit saturates and the gradient vanishes far
    /// from a fit. The search therefore starts from a step no longer than
    /// the weights already are (or 1), α = min(1, max(1, ‖p‖)/‖d‖), and
    /// grows it only while J keeps falling steeply.
    pub fn quasi_newton(
        self,
        run: &mut Run<'_>,
        p: &[f64],
        at: &Evaluation,
        mut d: Vec<f64>,
        reset: impl FnOnce(),
    ) -> Result<Secant, StopReason> {
        let downhill = dot(&d, &at.gradient) < 0.0; // false for NaN too
        if !downhill {
            reset();
            d = at.gradient.iter().map(|g| -g).collect();
        }
        let longest = euclidean_norm(p).max(1.0);
        let alpha = (longest / euclidean_norm(&d)).min(1.0);
        let step = self
            .search(run, p, at, &d, alpha)
            .ok_or(StopReason::LineSearchFailed)?;
        let s = step.params.iter().zip(p).map(|(a, b)| a - b).collect();
        let y = (step.at.gradient.iter().zip(&at.gradient))
            .map(|(a, b)| a - b)
            .collect();
        Ok(Secant { step, s, y })
    }

    /// A step from `p` (where J and ∇J are `at`) along `d` satisfying the
    /// strong Wolfe conditions, starting the search at `alpha`; `None` when
    /// none is found. `d` must be a descent direction (∇Jᵀd < 0).
    pub fn search(
        self,
        run: &mut Run<'_>,
        p: &[f64],
        at: &Evaluation,
        d: &[f64],
        mut alpha: f64,
    ) -> Option<Step> {
        let phi0 = at.cost;
        let slope0 = dot(&at.gradient, d);
        let downhill = slope0 < 0.0; // false for NaN too
        if !downhill {
            return None;
        }
        let mut line = Line {
            run,
            p,
            d,
            phi0,
            slope0,
            wolfe: self,
        };
        let mut prev = Trial {
            alpha: 0.0,
            phi: phi0,
            slope: slope0,
            step: None,
        };
        for i in 0..MAX_BRACKET {
            let cur = line.trial(alpha);
            if !line.sufficient_decrease(&cur) || (i > 0 && cur.phi >= prev.phi) {
                return line.zoom(prev, cur);
            }
            if line.curvature(&cur) {
                return cur.step;
            }
            if cur.slope >= 0.0 {
                return line.zoom(cur, prev);
            }
            // Still going downhill at α: a longer step may do better.
            prev = cur;
            alpha *= 2.0;
        }
        None
    }
}

/// φ along one line, with the constants of the search.
struct Line<'r, 'a, 'p> {
    run: &'r mut Run<'a>,
    p: &'p [f64],
    d: &'p [f64],
    phi0: f64,
    slope0: f64,
    wolfe: StrongWolfe,
}

impl Line<'_, '_, '_> {
    fn trial(&mut self, alpha: f64) -> Trial {
        let params: Vec<f64> = self
            .p
            .iter()
            .zip(self.d)
            .map(|(p, d)| p + alpha * d)
            .collect();
        match self.run.evaluate(&params) {
            Ok(at) if at.cost.is_finite() => Trial {
                alpha,
                phi: at.cost,
                slope: dot(&at.gradient, self.d),
                step: Some(Step { params, at }),
            },
            _ => Trial {
                alpha,
                phi: f64::INFINITY,
                slope: f64::NAN,
                step: None,
            },
        }
    }

    fn sufficient_decrease(&self, t: &Trial) -> bool {
        t.phi <= self.phi0 + self.wolfe.c1 * t.alpha * self.slope0
    }

    fn curvature(&self, t: &Trial) -> bool {
        t.slope.abs() <= -self.wolfe.c2 * self.slope0
    }

    /// Algorithm 3.6: `lo` satisfies sufficient decrease with the lowest φ
    /// seen, and the bracket between `lo` and `hi` holds a strong Wolfe step.
    fn zoom(&mut self, mut lo: Trial, mut hi: Trial) -> Option<Step> {
        for _ in 0..MAX_ZOOM {
            let (a, b) = (lo.alpha.min(hi.alpha), lo.alpha.max(hi.alpha));
            let width = b - a;
            // Once the bracket is as narrow as f64 can resolve, no step in it
            // can be told apart from its ends.
            let resolvable = width > f64::EPSILON * b;
            if !resolvable {
                return None;
            }
            let margin = SAFEGUARD * width;
            let alpha = interpolate(&lo, &hi).clamp(a + margin, b - margin);
            let cur = self.trial(alpha);
            if !self.sufficient_decrease(&cur) || cur.phi >= lo.phi {
                hi = cur;
            } else {
                if self.curvature(&cur) {
                    return cur.step;
                }
                if cur.slope * (hi.alpha - lo.alpha) >= 0.0 {
                    hi = lo;
                }
                lo = cur;
            }
        }
        None
    }
}

/// The minimiser of the cubic through φ and φ′ at both ends of the bracket
/// (N&W eq. 3.59); of the quadratic through φ(lo), φ′(lo) and φ(hi) when
/// hi's slope is unknown; the midpoint when neither exists.
fn interpolate(lo: &Trial, hi: &Trial) -> f64 {
    let midpoint = 0.5 * (lo.alpha + hi.alpha);
    let (a, fa, ga) = (lo.alpha, lo.phi, lo.slope);
    let (b, fb, gb) = (hi.alpha, hi.phi, hi.slope);
    let candidate = if fb.is_finite() && gb.is_finite() {
        let d1 = ga + gb - 3.0 * (fa - fb) / (a - b);
        let radicand = d1 * d1 - ga * gb;
        if radicand < 0.0 {
            return midpoint;
        }
        let d2 = (b - a).signum() * radicand.sqrt();
        b - (b - a) * (gb + d2 - d1) / (gb - ga + 2.0 * d2)
    } else if fb.is_finite() {
        let h = b - a;
        a - ga * h * h / (2.0 * (fb - fa - ga * h))
    } else {
        midpoint
    };
    if candidate.is_finite() {
        candidate
    } else {
        midpoint
    }
}

pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(alpha: f64, phi: f64, slope: f64) -> Trial {
        Trial {
            alpha,
            phi,
            slope,
            step: None,
        }
    }

    #[test]
    fn cubic_interpolation_finds_the_minimum_of_a_cubic() {
        // φ(α) = (α − 1)³/3 − (α − 1) + 5 has its local minimum at α = 2;
        // φ′(α) = (α − 1)² − 1.
        let phi = |a: f64| (a - 1.0).powi(3) / 3.0 - (a - 1.0) + 5.0;
        let slope = |a: f64| (a - 1.0).powi(2) - 1.0;
        let lo = trial(1.5, phi(1.5), slope(1.5));
        let hi = trial(3.0, phi(3.0), slope(3.0));
        assert!((interpolate(&lo, &hi) - 2.0).abs() < 1e-12);
        assert!((interpolate(&hi, &lo) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn quadratic_interpolation_when_the_far_slope_is_unknown() {
        // φ(α) = (α − 0.3)², known φ, φ′ at 0 and φ at 1.
        let lo = trial(0.0, 0.09, -0.6);
        let hi = trial(1.0, 0.49, f64::NAN);
        assert!((interpolate(&lo, &hi) - 0.3).abs() < 1e-12);
    }

    #[test]
    fn bisection_when_the_far_end_is_infinite() {
        let lo = trial(0.0, 1.0, -1.0);
        let hi = trial(4.0, f64::INFINITY, f64::NAN);
        assert_eq!(interpolate(&lo, &hi), 2.0);
    }
}
