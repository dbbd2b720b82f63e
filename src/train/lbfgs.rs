//! L-BFGS, BFGS in O(m·n) memory (Nocedal & Wright, *Numerical
//! Optimization*, 2nd ed., Algorithms 7.4 and 7.5).

use std::collections::VecDeque;

use super::line_search::{Secant, StrongWolfe, dot};
use super::run::{Evaluation, Minimise, Run};
use super::settings::{Settings, shared_settings};
use super::{StopReason, check_setting};
use crate::error::Error;

/// Limited-memory BFGS with a strong-Wolfe line search: each iteration
/// steps along d = −H·∇J, where H, the inverse-Hessian approximation of
/// [`Bfgs`](crate::Bfgs), is never formed but applied from the last m
/// steps sᵢ and gradient changes yᵢ by the two-loop recursion:
///
/// ```text
/// q ← ∇J
/// for i = newest … oldest:   ρᵢ = 1 / (yᵢᵀsᵢ),  αᵢ = ρᵢ·sᵢᵀq,  q ← q − αᵢ·yᵢ
/// r ← γ·q                    γ = sᵀy / yᵀy of the newest pair (N&W eq. 7.20)
/// for i = oldest … newest:   β = ρᵢ·yᵢᵀr,  r ← r + sᵢ·(αᵢ − β)
/// d = −r
/// ```
///
/// It keeps 2m vectors of n values, where BFGS keeps an n × n matrix, so
/// it trains networks of any size. A pair whose yᵀs is not positive would
/// spoil H and is not kept. Each step is taken as [`Bfgs`](crate::Bfgs)
/// takes it: the same line search, from the same first trial
/// α = min(1, max(1, ‖p‖)/‖d‖).
///
/// Defaults, as in scipy: m = 10, at most 200 iterations, stop when
/// ‖∇J‖∞ ≤ 1e-5, Wolfe constants c1 = 1e-4 and c2 = 0.9.
///
/// # Examples
///
/// ```
/// use backprop::{data, Lbfgs, Optimiser, StopReason, TwoLayerNet};
///
/// let d = data::part1_normalised();
/// let mut net = TwoLayerNet::random(2, 3, 1, 42)?;
/// let report = Lbfgs::default().memory(5).train(&mut net, &d)?;
/// assert_eq!(report.stop, StopReason::Converged);
/// assert!(report.final_cost < 1e-6);
/// # Ok::<(), backprop::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lbfgs {
    memory: usize,
    settings: Settings,
    wolfe: (f64, f64),
}

impl Default for Lbfgs {
    fn default() -> Self {
        Lbfgs {
            memory: 10,
            settings: Settings::new(200),
            wolfe: (1e-4, 0.9),
        }
    }
}

shared_settings!(Lbfgs, "backprop::Lbfgs::default()", "200");

impl Lbfgs {
    /// m, the number of step pairs kept, at least 1 (default 10, scipy's
    /// `maxcor`).
    ///
    /// ```
    /// let lbfgs = backprop::Lbfgs::default().memory(20);
    /// # let _ = lbfgs;
    /// ```
    #[must_use]
    pub fn memory(self, memory: usize) -> Self {
        Lbfgs { memory, ..self }
    }
}

/// The last m pairs (s, y, ρ = 1 / yᵀs), newest at the back.
#[derive(Debug)]
pub struct History {
    pairs: VecDeque<(Vec<f64>, Vec<f64>, f64)>,
    memory: usize,
    /// αᵢ of the two-loop recursion, one per pair.
    alphas: Vec<f64>,
}

impl History {
    /// d = −H·g by the two-loop recursion (Algorithm 7.4); −g while no
    /// pair is kept.
    fn direction(&mut self, g: &[f64]) -> Vec<f64> {
        let mut q = g.to_vec();
        self.alphas.clear();
        for (s, y, rho) in self.pairs.iter().rev() {
            let alpha = rho * dot(s, &q);
            q.iter_mut().zip(y).for_each(|(q, y)| *q -= alpha * y);
            self.alphas.push(alpha);
        }
        if let Some((s, y, _)) = self.pairs.back() {
            let gamma = dot(s, y) / dot(y, y);
            q.iter_mut().for_each(|q| *q *= gamma);
        }
        for ((s, y, rho), alpha) in self.pairs.iter().zip(self.alphas.iter().rev()) {
            let beta = rho * dot(y, &q);
            q.iter_mut()
                .zip(s)
                .for_each(|(r, s)| *r += s * (alpha - beta));
        }
        q.iter_mut().for_each(|r| *r = -*r);
        q
    }

    /// Keeps the pair (s, y) if yᵀs > 0, dropping the oldest beyond m.
    fn push(&mut self, s: Vec<f64>, y: Vec<f64>) {
        let (ys, yy) = (dot(&y, &s), dot(&y, &y));
        if !(ys > 0.0 && yy > 0.0 && ys.is_finite() && yy.is_finite()) {
            return;
        }
        if self.pairs.len() == self.memory {
            self.pairs.pop_front();
        }
        self.pairs.push_back((s, y, 1.0 / ys));
    }
}

impl Minimise for Lbfgs {
    type State = History;

    fn validate(&self) -> Result<(), Error> {
        let (c1, c2) = self.wolfe;
        check_setting("c1", c1, 0.0 < c1 && c1 < 1.0)?;
        check_setting("c2", c2, c1 < c2 && c2 < 1.0)?;
        let m = self.memory;
        check_setting("L-BFGS memory", m as f64, m >= 1)?;
        self.settings.validate()
    }

    fn settings(&self) -> &Settings {
        &self.settings
    }

    fn start(&self, _params: usize) -> Result<History, Error> {
        // Grown as pairs come, so that a memory larger than the run needs
        // costs nothing.
        Ok(History {
            pairs: VecDeque::new(),
            memory: self.memory,
            alphas: Vec::new(),
        })
    }

    fn step(
        &self,
        history: &mut History,
        run: &mut Run<'_>,
        p: &[f64],
        at: &Evaluation,
        _iteration: usize,
    ) -> Result<(Vec<f64>, Evaluation), StopReason> {
        let d = history.direction(&at.gradient);
        let (c1, c2) = self.wolfe;
        let Secant { step, s, y } =
            StrongWolfe { c1, c2 }.quasi_newton(run, p, at, d, || history.pairs.clear())?;
        history.push(s, y);
        Ok((step.params, step.at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With one pair, −d = H·g for the BFGS update of γI by (s, y), which
    /// satisfies the secant equation H·y = s.
    #[test]
    fn the_two_loops_satisfy_the_secant_equation() {
        let mut h = History {
            pairs: VecDeque::new(),
            memory: 3,
            alphas: Vec::new(),
        };
        let (s, y) = (vec![0.5, -1.0, 0.25], vec![1.0, -1.5, 0.75]);
        h.push(s.clone(), y.clone());
        let hy: Vec<f64> = h.direction(&y).iter().map(|v| -v).collect();
        for (a, b) in hy.iter().zip(&s) {
            assert!((a - b).abs() < 1e-14, "{hy:?} vs {s:?}");
        }
        // Without positive curvature a pair is not kept.
        h.push(vec![1.0, 0.0, 0.0], vec![-1.0, 0.0, 0.0]);
        assert_eq!(h.pairs.len(), 1);
        // Only m pairs are kept.
        for k in 0..5 {
            h.push(vec![1.0 + f64::from(k), 0.0, 0.0], vec![1.0, 0.0, 0.0]);
        }
        assert_eq!(h.pairs.len(), 3);
        assert_eq!(h.pairs[2].0[0], 5.0);
    }
}
