//! The gradients of a [`Network`](crate::Network).

use crate::matrix::Matrix;

/// ∂J/∂W(l) for every layer, and ∂J/∂b(l) where layer l has a bias, in
/// layer order: index `k` is layer k + 1, each the shape of its parameter.
///
/// # Examples
///
/// ```
/// use backprop::{data, Activation, Network};
///
/// let d = data::part1_normalised();
/// let net = Network::builder(2).biased_layer(3, Activation::Tanh).layer(1, Activation::Sigmoid).build()?;
/// let g = net.gradients(&d.x, &d.y)?;
/// assert_eq!(g.dj_dw[0].shape(), (2, 3));
/// assert_eq!(g.dj_db[0].as_ref().unwrap().shape(), (1, 3));
/// assert!(g.dj_db[1].is_none());
/// assert_eq!(g.to_vec().len(), 6 + 3 + 3);
/// # Ok::<(), backprop::Error>(())
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetworkGradients {
    /// ∂J/∂W(l) = a(l)ᵀ·δ(l+1), the shape of W(l).
    pub dj_dw: Vec<Matrix>,
    /// ∂J/∂b(l) = Σ over examples of δ(l+1), `1 × units`, where layer l has
    /// a bias.
    pub dj_db: Vec<Option<Matrix>>,
}

impl NetworkGradients {
    /// Every gradient unrolled into one vector, in the order of
    /// [`Network::params`](crate::Network::params): for each layer
    /// ∂J/∂W(l) row by row, then ∂J/∂b(l) where it has one.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Matrix, NetworkGradients};
    ///
    /// let g = NetworkGradients {
    ///     dj_dw: vec![Matrix::from([[1.0, 2.0]]), Matrix::from([[4.0], [5.0]])],
    ///     dj_db: vec![Some(Matrix::from([[3.0, 3.5]])), None],
    /// };
    /// assert_eq!(g.to_vec(), vec![1.0, 2.0, 3.0, 3.5, 4.0, 5.0]);
    /// ```
    #[must_use]
    pub fn to_vec(&self) -> Vec<f64> {
        let mut all = Vec::new();
        for (w, b) in self.dj_dw.iter().zip(&self.dj_db) {
            all.extend_from_slice(w.as_slice());
            all.extend_from_slice(b.as_ref().map_or(&[][..], Matrix::as_slice));
        }
        all
    }
}
