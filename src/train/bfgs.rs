//! BFGS, the quasi-Newton method the series trains with (Nocedal & Wright,
//! *Numerical Optimization*, 2nd ed., Algorithm 6.1).

use super::line_search::{Secant, StrongWolfe, dot};
use super::run::{Evaluation, Minimise, Run};
use super::settings::{Settings, shared_settings};
use super::{StopReason, check_setting};
use crate::error::Error;

/// The BFGS quasi-Newton method with a strong-Wolfe line search.
///
/// Each iteration steps along d = −H·∇J, where H approximates the inverse
/// Hessian, by a step α that satisfies the strong Wolfe conditions; then H is
/// updated from the step s = α·d and the change in gradient
/// y = ∇J(p + s) − ∇J(p):
///
/// ```text
/// H ← (I − ρ·s·yᵀ)·H·(I − ρ·y·sᵀ) + ρ·s·sᵀ        ρ = 1 / (yᵀs)
/// ```
///
/// H starts as the identity, rescaled to (yᵀs / yᵀy)·I before the first
/// update (N&W eq. 6.20). Each line search starts from
/// α = min(1, max(1, ‖p‖)/‖d‖): a first trial step no longer than the
/// weights p already are (or 1), so that a step scaled up where the sigmoid
/// is flat cannot throw the weights onto a plateau where every unit
/// saturates and the gradient vanishes far from a fit. H is an n × n matrix
/// for n parameters, so BFGS suits networks of up to a few thousand
/// weights and refuses more than 10,000, for which
/// [`Lbfgs`](crate::Lbfgs) keeps O(m·n) values instead.
///
/// Defaults, as in the series and scipy: at most 200 iterations, stop when
/// ‖∇J‖∞ ≤ 1e-5, Wolfe constants c1 = 1e-4 and c2 = 0.9.
///
/// # Examples
///
/// ```
/// use backprop::{data, Bfgs, Optimiser, StopReason, TwoLayerNet};
///
/// let d = data::part1_normalised();
/// let mut net = TwoLayerNet::random(2, 3, 1, 42)?;
/// let report = Bfgs::default().train(&mut net, &d)?;
/// assert_eq!(report.stop, StopReason::Converged);
/// assert!(report.final_cost < 1e-6);
/// let scores = net.forward(&d.x)?.scale(100.0);
/// assert!((scores[(0, 0)] - 75.0).abs() < 0.5);
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bfgs {
    settings: Settings,
    wolfe: (f64, f64),
}

impl Default for Bfgs {
    fn default() -> Self {
        Bfgs {
            settings: Settings::new(200),
            wolfe: (1e-4, 0.9),
        }
    }
}

shared_settings!(Bfgs, "backprop::Bfgs::default()", "200, as in the series");

impl Bfgs {
    /// The strong Wolfe constants, 0 < c1 < c2 < 1 (default 1e-4 and 0.9):
    /// c1 sets how much decrease a step must bring, c2 how much the slope
    /// along the line must flatten.
    ///
    /// # Examples
    ///
    /// ```
    /// let bfgs = backprop::Bfgs::default().wolfe(1e-4, 0.5);
    /// # let _ = bfgs;
    /// ```
    #[must_use]
    pub fn wolfe(self, c1: f64, c2: f64) -> Self {
        Bfgs {
            wolfe: (c1, c2),
            ..self
        }
    }
}

impl Minimise for Bfgs {
    type State = InverseHessian;

    fn validate(&self) -> Result<(), Error> {
        let (c1, c2) = self.wolfe;
        check_setting("c1", c1, 0.0 < c1 && c1 < 1.0)?;
        check_setting("c2", c2, c1 < c2 && c2 < 1.0)?;
        self.settings.validate()
    }

    fn settings(&self) -> &Settings {
        &self.settings
    }

    fn start(&self, params: usize) -> Result<InverseHessian, Error> {
        InverseHessian::identity(params)
    }

    fn step(
        &self,
        h: &mut InverseHessian,
        run: &mut Run<'_>,
        p: &[f64],
        at: &Evaluation,
        iteration: usize,
    ) -> Result<(Vec<f64>, Evaluation), StopReason> {
        // d = −H·∇J
        let d = h.times_negated(&at.gradient);
        let (c1, c2) = self.wolfe;
        let Secant { step, s, y } =
            StrongWolfe { c1, c2 }.quasi_newton(run, p, at, d, || h.reset())?;
        h.update(&s, &y, iteration == 1);
        Ok((step.params, step.at))
    }
}

/// The most parameters BFGS takes: H then holds 10⁸ values, 800 MB, and
/// each iteration touches all of them. [`Lbfgs`](crate::Lbfgs) takes any
/// number.
pub(crate) const MAX_PARAMS: usize = 10_000;

/// The n × n inverse-Hessian approximation H, row-major.
#[derive(Debug)]
pub struct InverseHessian {
    n: usize,
    h: Vec<f64>,
}

impl InverseHessian {
    /// The identity, or an error rather than an abort when n² values cannot
    /// be allocated or n is beyond [`MAX_PARAMS`].
    fn identity(n: usize) -> Result<Self, Error> {
        let too_large = Error::InvalidSetting {
            what: "BFGS parameter count (H is n × n; for more parameters, use Lbfgs)",
            value: n as f64,
        };
        if n > MAX_PARAMS {
            return Err(too_large);
        }
        let len = n.checked_mul(n).ok_or(too_large.clone())?;
        let mut h = Vec::new();
        h.try_reserve_exact(len).map_err(|_| too_large)?;
        h.resize(len, 0.0);
        let mut me = InverseHessian { n, h };
        me.reset();
        Ok(me)
    }

    fn reset(&mut self) {
        self.h.fill(0.0);
        for i in 0..self.n {
            self.h[i * self.n + i] = 1.0;
        }
    }

    /// −H·g
    fn times_negated(&self, g: &[f64]) -> Vec<f64> {
        self.h
            .chunks_exact(self.n.max(1))
            .map(|row| -dot(row, g))
            .collect()
    }

    /// The BFGS update from step s and gradient change y, skipped when
    /// yᵀs ≤ 0 (the curvature condition failed to rounding), which would
    /// make H indefinite. On the first update H is first rescaled to
    /// (yᵀs / yᵀy)·I so that its size matches the problem's curvature.
    fn update(&mut self, s: &[f64], y: &[f64], first: bool) {
        let ys = dot(y, s);
        let yy = dot(y, y);
        if !(ys > 0.0 && yy > 0.0 && ys.is_finite() && yy.is_finite()) {
            return;
        }
        if first {
            self.reset();
            self.h.iter_mut().for_each(|v| *v *= ys / yy);
        }
        let rho = 1.0 / ys;
        // With H symmetric, (I − ρ·s·yᵀ)·H·(I − ρ·y·sᵀ) + ρ·s·sᵀ
        //   = H − ρ·(s·(Hy)ᵀ + (Hy)·sᵀ) + (ρ²·yᵀHy + ρ)·s·sᵀ.
        let hy: Vec<f64> = self.h.chunks_exact(self.n).map(|row| dot(row, y)).collect();
        let yhy = dot(y, &hy);
        let ss_factor = rho * rho * yhy + rho;
        for (i, row) in self.h.chunks_exact_mut(self.n).enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v += -rho * (s[i] * hy[j] + hy[i] * s[j]) + ss_factor * s[i] * s[j];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The updated H satisfies the secant equation H·y = s.
    #[test]
    fn update_satisfies_the_secant_equation() {
        let mut h = InverseHessian::identity(3).unwrap();
        let s = [0.5, -1.0, 0.25];
        let y = [1.0, -1.5, 0.75];
        h.update(&s, &y, false);
        let hy: Vec<f64> = h.times_negated(&y).iter().map(|v| -v).collect();
        for (a, b) in hy.iter().zip(&s) {
            assert!((a - b).abs() < 1e-14, "{hy:?} vs {s:?}");
        }
        // and stays symmetric
        for i in 0..3 {
            for j in 0..3 {
                assert!((h.h[i * 3 + j] - h.h[j * 3 + i]).abs() < 1e-15);
            }
        }
    }

    #[test]
    fn update_is_skipped_without_positive_curvature() {
        let mut h = InverseHessian::identity(2).unwrap();
        h.update(&[1.0, 0.0], &[-1.0, 0.0], false);
        assert_eq!(h.h, vec![1.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn impossible_sizes_are_errors_not_aborts() {
        assert!(InverseHessian::identity(usize::MAX).is_err());
    }
}
