//! L-BFGS: it reaches the minimum BFGS reaches, trains a network too large
//! for BFGS's n × n matrix, and refuses a memory of 0.

use backprop::{
    Activation, Bfgs, Cost, DataSet, Error, Lbfgs, Matrix, Network, Optimiser, StopReason, data,
    sigmoid,
};

fn classification(inputs: usize, n: usize, classes: usize) -> DataSet {
    let x = Matrix::randn(n, inputs, 1).map(sigmoid);
    let labels: Vec<usize> = (0..n)
        .map(|r| (0..classes).fold(0, |b, k| if x[(r, k)] > x[(r, b)] { k } else { b }))
        .collect();
    DataSet::new(x, data::one_hot(&labels, classes).unwrap()).unwrap()
}

#[test]
fn lbfgs_reaches_the_minimum_bfgs_reaches() {
    // Regularised cross-entropy of a linear softmax classifier is convex:
    // one minimum value, and one ŷ there (the biases may differ by a
    // constant, which softmax does not see).
    let d = classification(4, 60, 3);
    let net = Network::builder(4)
        .biased_layer(3, Activation::Softmax)
        .cost(Cost::RegularisedCrossEntropy { lambda: 0.01 })
        .build()
        .unwrap();
    let (mut a, mut b) = (net.clone(), net);
    let bfgs = Bfgs::default()
        .gradient_tolerance(1e-7)
        .train(&mut a, &d)
        .unwrap();
    for memory in [3, 10] {
        let mut b = b.clone();
        let lbfgs = Lbfgs::default()
            .memory(memory)
            .gradient_tolerance(1e-7)
            .train(&mut b, &d)
            .unwrap();
        assert_eq!(lbfgs.stop, StopReason::Converged);
        assert!((lbfgs.final_cost - bfgs.final_cost).abs() < 1e-12);
        // ‖∇J‖∞ ≤ 1e-7 with curvature ≥ λ = 0.01 along the weights: ŷ
        // within about 1e-5 of the minimum's.
        let (ya, yb) = (a.forward(&d.x).unwrap(), b.forward(&d.x).unwrap());
        for (p, q) in ya.iter().zip(yb.iter()) {
            assert!((p - q).abs() < 1e-5, "{p} vs {q}");
        }
    }
    // A memory larger than any run needs is fine.
    let mut huge = b.clone();
    Lbfgs::default()
        .memory(usize::MAX)
        .max_iterations(3)
        .train(&mut huge, &d)
        .unwrap();
    b = Network::random(&[2, 3, 1], 0).unwrap();
    assert_eq!(
        Lbfgs::default()
            .memory(0)
            .train(&mut b, &data::part1_normalised()),
        Err(Error::InvalidSetting {
            what: "L-BFGS memory",
            value: 0.0
        })
    );
    assert_eq!(b, Network::random(&[2, 3, 1], 0).unwrap());
}

#[test]
fn lbfgs_trains_a_network_too_large_for_bfgs() {
    let d = classification(64, 40, 10);
    let net = Network::builder(64)
        .biased_layer(512, Activation::Relu)
        .biased_layer(512, Activation::Relu)
        .biased_layer(10, Activation::Softmax)
        .cost(Cost::CrossEntropy)
        .build()
        .unwrap();
    assert!(net.param_count() > 300_000);
    let mut refused = net.clone();
    match Bfgs::default().train(&mut refused, &d) {
        Err(Error::InvalidSetting { what, .. }) => assert!(what.contains("Lbfgs"), "{what}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(refused, net);
    let mut trained = net;
    let report = Lbfgs::default()
        .max_iterations(15)
        .train(&mut trained, &d)
        .unwrap();
    assert!(
        report.final_cost < 0.2 * report.costs[0],
        "{:?}",
        report.costs
    );
    assert!(trained.accuracy(&d).unwrap() > 0.9);
}
