//! Hostile input through every entry point: huge, tiny and signed-zero
//! values, and shapes that may not fit. Nothing panics, every `Ok` value
//! and every buffer a workspace exposes is finite, and a failed call
//! changes neither the network nor the workspace's last good result.

mod common;

use std::ops::ControlFlow;

use backprop::{
    Bfgs, Cost, DataSet, GradientDescent, Matrix, Network, Optimiser, TwoLayerNet, Workspace,
};
use proptest::prelude::*;

fn hostile() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![
        3 => -3.0..3.0,
        1 => Just(1e300),
        1 => Just(-1e300),
        1 => Just(f64::MAX),
        1 => Just(f64::MIN),
        1 => Just(-0.0),
        1 => Just(5e-324),
        1 => (1u64..(1 << 52)).prop_map(|b| -f64::from_bits(b)),
        1 => Just(1e154), // its square is 1e308: J sits at the edge of f64
    ]
}

/// A network of one to three layers of one to four units, with hostile
/// weights and biases, any activations and either cost.
fn network() -> impl Strategy<Value = Network> {
    let cost = prop_oneof![
        Just(Cost::SumOfSquares),
        Just(Cost::Regularised { lambda: 1e-4 }),
        Just(Cost::Regularised { lambda: f64::MAX }),
        Just(Cost::CrossEntropy),
        Just(Cost::RegularisedCrossEntropy { lambda: 1e-4 }),
        Just(Cost::RegularisedCrossEntropy { lambda: f64::MAX }),
    ];
    common::any_network(1..=3, 1..=4, hostile(), cost)
}

/// A batch for `net`, usually of the right shape, sometimes not.
fn batch(inputs: usize, outputs: usize) -> impl Strategy<Value = (Matrix, Matrix)> {
    let cols = |right: usize| prop_oneof![4 => Just(right), 1 => 0..=5usize];
    (
        0..=5usize,
        cols(inputs),
        cols(outputs),
        prop_oneof![4 => Just(None), 1 => Just(Some(1usize))],
    )
        .prop_flat_map(|(n, i, o, other_rows)| {
            let y_rows = other_rows.map_or(n, |extra| n + extra);
            (
                common::matrix(n, i, hostile()),
                common::matrix(y_rows, o, hostile()),
            )
        })
}

fn problem() -> impl Strategy<Value = (Network, Matrix, Matrix)> {
    network().prop_flat_map(|net| {
        let (i, o) = (net.input_size(), net.output_size());
        (Just(net), batch(i, o)).prop_map(|(net, (x, y))| (net, x, y))
    })
}

fn finite(m: &Matrix) -> bool {
    m.iter().all(|v| v.is_finite())
}

fn all_finite<'a>(ms: impl IntoIterator<Item = &'a Matrix>) -> bool {
    ms.into_iter().all(finite)
}

/// The workspace's exposed gradients, to compare before and after a call.
fn exposed(ws: &Workspace) -> (Vec<f64>, Vec<f64>) {
    (ws.gradients().to_vec(), ws.network_gradients().to_vec())
}

fn check_network(
    net: &Network,
    x: &Matrix,
    y: &Matrix,
    ws: &mut Workspace,
) -> Result<(), TestCaseError> {
    if let Ok(y_hat) = net.forward(x) {
        prop_assert!(finite(&y_hat));
    }
    if let Ok(j) = net.cost(x, y) {
        prop_assert!(j.is_finite());
    }
    if let Ok(g) = net.gradients(x, y) {
        prop_assert!(all_finite(&g.dj_dw) && all_finite(g.dj_db.iter().flatten()));
    }
    if let Ok(t) = net.trace(x, y) {
        let terms = t.z.iter().chain(&t.a).chain(&t.delta).chain(&t.dj_dw);
        prop_assert!(all_finite(terms.chain(t.dj_db.iter().flatten())));
    }
    let before = exposed(ws);
    match net.cost_and_gradients_in(x, y, ws) {
        Ok((j, g)) => {
            prop_assert!(j.is_finite());
            prop_assert!(all_finite(&g.dj_dw) && all_finite(g.dj_db.iter().flatten()));
        }
        Err(_) => prop_assert_eq!(exposed(ws), before, "a failed call changed the workspace"),
    }
    prop_assert!(
        exposed(ws)
            .0
            .iter()
            .chain(&exposed(ws).1)
            .all(|v| v.is_finite())
    );
    Ok(())
}

fn check_two_layer(
    net: &TwoLayerNet,
    x: &Matrix,
    y: &Matrix,
    ws: &mut Workspace,
) -> Result<(), TestCaseError> {
    if let Ok(g) = net.gradients(x, y) {
        prop_assert!(finite(&g.dj_dw1) && finite(&g.dj_dw2));
    }
    if let Ok(t) = net.trace(x, y) {
        prop_assert!(all_finite([
            &t.z2, &t.a2, &t.z3, &t.y_hat, &t.delta3, &t.delta2, &t.dj_dw1, &t.dj_dw2
        ]));
    }
    let before = exposed(ws);
    match net.gradients_in(x, y, ws) {
        Ok(g) => prop_assert!(finite(&g.dj_dw1) && finite(&g.dj_dw2)),
        Err(_) => prop_assert_eq!(exposed(ws), before, "a failed call changed the workspace"),
    }
    Ok(())
}

/// A short training run: on `Err` the model is as it was; on `Ok` its
/// parameters and every recorded cost are finite.
fn check_training<M: backprop::Model + Clone + PartialEq + std::fmt::Debug>(
    model: &M,
    x: &Matrix,
    y: &Matrix,
    optimiser: &impl Optimiser,
) -> Result<(), TestCaseError> {
    let Ok(data) = DataSet::new(x.clone(), y.clone()) else {
        return Ok(());
    };
    let mut trained = model.clone();
    let result = optimiser.train_with(&mut trained, &data, Some(&data), |p| {
        assert!(p.training_cost.is_finite() && p.gradient_norm.is_finite());
        ControlFlow::Continue(())
    });
    match result {
        Ok(report) => {
            prop_assert!(trained.params().iter().all(|v| v.is_finite()));
            prop_assert!(report.final_cost.is_finite());
            prop_assert!(
                report
                    .costs
                    .iter()
                    .chain(&report.testing_costs)
                    .all(|v| v.is_finite())
            );
        }
        Err(_) => prop_assert_eq!(&trained, model, "a failed training run changed the model"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(common::config(512, file!()))]

    #[test]
    fn hostile_input_never_panics_or_exposes_a_non_finite_value(
        (net, x, y) in problem(),
        (x2, y2) in batch(2, 1),
    ) {
        // One workspace for every call, as a long-running program would
        // keep: good calls in between leave results a failure must keep.
        let mut ws = Workspace::new();
        let series = backprop::data::part1_normalised();
        let two = TwoLayerNet::random(2, 3, 1, 42).unwrap();
        two.gradients_in(&series.x, &series.y, &mut ws).unwrap();
        // Hostile weights may overflow even here; then the two-layer
        // result above stays the last good one.
        let zeros = |cols| Matrix::zeros(1, cols);
        let _ = net.gradients_in(&zeros(net.input_size()), &zeros(net.output_size()), &mut ws);
        check_network(&net, &x, &y, &mut ws)?;
        check_two_layer(&two, &x2, &y2, &mut ws)?;
        let hostile_two = TwoLayerNet::from_weights(
            net.layers()[0].weights().clone(),
            Matrix::from_fn(net.layers()[0].units(), 1, |i, _| [1e300, -0.0, 5e-324, 2.0][i % 4]),
        ).unwrap();
        check_two_layer(&hostile_two, &x, &y, &mut ws)?;

        for model_check in [
            check_training(&net, &x, &y, &Bfgs::default().max_iterations(3)),
            check_training(&net, &x, &y, &GradientDescent::new(1.0).max_iterations(3)),
            check_training(&two, &x2, &y2, &Bfgs::default().max_iterations(3)),
        ] {
            model_check?;
        }
    }
}
