use super::*;
use approx::assert_relative_eq;

/// The 1-1-1 network by hand: with w1 = w2 = 0, z(2) = z(3) = 0, a(2) = ŷ = ½,
/// f′(0) = ¼, so for x = 1, y = 1:
/// δ(3) = −(1 − ½)·¼ = −⅛, ∂J/∂W(2) = ½·(−⅛) = −1/16,
/// δ(2) = −⅛·0·¼ = 0, ∂J/∂W(1) = 0.
#[test]
fn gradients_by_hand_at_zero_weights() {
    let net = TwoLayerNet::from_weights(Matrix::zeros(1, 1), Matrix::zeros(1, 1)).unwrap();
    let t = net
        .trace(&Matrix::from([[1.0]]), &Matrix::from([[1.0]]))
        .unwrap();
    assert_eq!(t.delta3[(0, 0)], -0.125);
    assert_eq!(t.dj_dw2[(0, 0)], -0.0625);
    assert_eq!(t.delta2[(0, 0)], 0.0);
    assert_eq!(t.dj_dw1[(0, 0)], 0.0);
}

/// A 1-1-1 network with w1 = 2, w2 = −1 on x = 0.5, y = 0.25, worked with
/// the chain rule one scalar at a time.
#[test]
fn gradients_by_hand_scalar_chain_rule() {
    let (w1, w2, x, y) = (2.0_f64, -1.0_f64, 0.5_f64, 0.25_f64);
    let f = |z: f64| 1.0 / (1.0 + (-z).exp());
    let fp = |z: f64| f(z) * (1.0 - f(z));
    let z2 = x * w1;
    let a2 = f(z2);
    let z3 = a2 * w2;
    let y_hat = f(z3);
    let dj_dyhat = -(y - y_hat);
    let dj_dw2 = dj_dyhat * fp(z3) * a2;
    let dj_dw1 = dj_dyhat * fp(z3) * w2 * fp(z2) * x;

    let net = TwoLayerNet::from_weights(Matrix::from([[w1]]), Matrix::from([[w2]])).unwrap();
    let g = net
        .gradients(&Matrix::from([[x]]), &Matrix::from([[y]]))
        .unwrap();
    assert_relative_eq!(g.dj_dw2[(0, 0)], dj_dw2, max_relative = 1e-14);
    assert_relative_eq!(g.dj_dw1[(0, 0)], dj_dw1, max_relative = 1e-14);
}

#[test]
fn enormous_finite_weights_report_overflow_not_nan() {
    let w1 = Matrix::from([[f64::MAX, -f64::MAX]]);
    let w2 = Matrix::from([[1.0], [1.0]]);
    let net = TwoLayerNet::from_weights(w1, w2).unwrap();
    // z(2) = [2·MAX, …] overflows.
    let x = Matrix::from([[2.0]]);
    assert_eq!(net.forward(&x), Err(Error::Overflow { what: "z(2)" }));
}

#[test]
fn huge_targets_report_overflow_of_the_cost() {
    let net = TwoLayerNet::random(1, 2, 1, 0).unwrap();
    let x = Matrix::from([[0.5]]);
    let y = Matrix::from([[1e200]]);
    assert_eq!(net.cost(&x, &y), Err(Error::Overflow { what: "J" }));
}

#[test]
fn random_rejects_sizes_that_cannot_be_allocated() {
    assert_eq!(
        TwoLayerNet::random(usize::MAX, 2, 1, 0),
        Err(Error::InvalidSizes {
            sizes: [usize::MAX, 2, 1]
        })
    );
}

#[test]
fn trace_display_lists_every_term() {
    // The terms of `gradients_by_hand_at_zero_weights`.
    let net = TwoLayerNet::from_weights(Matrix::zeros(1, 1), Matrix::zeros(1, 1)).unwrap();
    let t = net
        .trace(&Matrix::from([[1.0]]), &Matrix::from([[1.0]]))
        .unwrap();
    let expected = "z(2) = X·W(1)\n[0.0000]\n\
                    a(2) = f(z(2))\n[0.5000]\n\
                    z(3) = a(2)·W(2)\n[0.0000]\n\
                    ŷ = f(z(3))\n[0.5000]\n\
                    δ(3) = −(y − ŷ) ⊙ f′(z(3))\n[-0.1250]\n\
                    ∂J/∂W(2) = a(2)ᵀ·δ(3)\n[-0.0625]\n\
                    δ(2) = δ(3)·W(2)ᵀ ⊙ f′(z(2))\n[0.0000]\n\
                    ∂J/∂W(1) = Xᵀ·δ(2)\n[0.0000]";
    assert_eq!(format!("{t:.4}"), expected);
}
