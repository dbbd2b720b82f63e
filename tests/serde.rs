//! The `serde` feature: every type round-trips through JSON, and invalid
//! input is an error of the deserialiser, never an invalid value.
#![cfg(feature = "serde")]

use backprop::{
    Activation, Bfgs, Cost, DataSet, Matrix, Network, Optimiser, Report, Scale, Scaling,
    StopReason, TwoLayerNet, data,
};
use serde::{Serialize, de::DeserializeOwned};

fn round_trip<T: Serialize + DeserializeOwned>(value: &T) -> T {
    serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
}

fn refused<T: DeserializeOwned + std::fmt::Debug>(json: &str, reason: &str) {
    match serde_json::from_str::<T>(json) {
        Ok(v) => panic!("accepted {json} as {v:?}"),
        Err(e) => assert!(e.to_string().contains(reason), "{json}: {e}"),
    }
}

#[test]
fn every_type_round_trips_bit_for_bit() {
    let m = Matrix::from([[-0.0, 5e-324], [f64::MAX, -1.0 / 3.0]]);
    let back = round_trip(&m);
    assert_eq!(back.shape(), m.shape());
    let bits = |m: &Matrix| m.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&back), bits(&m));

    let net = Network::builder(2)
        .biased_layer(4, Activation::Tanh)
        .layer(3, Activation::Relu)
        .biased_layer(1, Activation::Identity)
        .cost(Cost::Regularised { lambda: 1e-4 })
        .seed(3)
        .build()
        .unwrap();
    assert_eq!(round_trip(&net), net);
    let two = TwoLayerNet::random(2, 3, 1, 42).unwrap();
    assert_eq!(round_trip(&two), two);
    assert_eq!(round_trip(&Cost::SumOfSquares), Cost::SumOfSquares);
    let classifier = Network::builder(4)
        .biased_layer(5, Activation::Relu)
        .biased_layer(3, Activation::Softmax)
        .cost(Cost::RegularisedCrossEntropy { lambda: 1e-3 })
        .build()
        .unwrap();
    assert_eq!(round_trip(&classifier), classifier);
    assert_eq!(round_trip(&Cost::CrossEntropy), Cost::CrossEntropy);
    // A softmax output under the sum of squares is refused as the
    // constructors refuse it.
    let json = serde_json::to_string(&classifier)
        .unwrap()
        .replace("regularised-cross-entropy", "regularised");
    refused::<Network>(&json, "derived for cross-entropy only");

    let d = data::part1_normalised();
    assert_eq!(round_trip(&d), d);
    let s = Scaling::fit(&data::part1(), Scale::MinMax, Scale::MaxAbs).unwrap();
    assert_eq!(round_trip(&s), s);

    let mut trained = TwoLayerNet::random(2, 3, 1, 42).unwrap();
    let report = Bfgs::default().train(&mut trained, &d).unwrap();
    assert_eq!(round_trip::<Report>(&report), report);
    assert_eq!(round_trip(&StopReason::Converged), StopReason::Converged);
}

#[test]
fn the_json_reads_like_the_series() {
    let net = Network::from_weights(vec![
        Matrix::from([[0.5, -1.0]]),
        Matrix::from([[2.0], [1.0]]),
    ])
    .unwrap();
    assert_eq!(
        serde_json::to_string(&net).unwrap(),
        r#"{"layers":[{"weights":{"rows":1,"cols":2,"data":[0.5,-1.0]},"bias":null,"activation":"sigmoid"},{"weights":{"rows":2,"cols":1,"data":[2.0,1.0]},"bias":null,"activation":"sigmoid"}],"cost":"sum-of-squares"}"#
    );
}

#[test]
fn invalid_values_are_deserialisation_errors() {
    refused::<Matrix>(r#"{"rows":2,"cols":2,"data":[1,2,3]}"#, "needs 4 values");
    refused::<Matrix>(
        r#"{"rows":1,"cols":1,"data":[1],"extra":0}"#,
        "unknown field",
    );
    let layer = |rows: usize, cols: usize| {
        format!(
            r#"{{"weights":{{"rows":{rows},"cols":{cols},"data":{:?}}}}}"#,
            vec![0.5; rows * cols]
        )
    };
    refused::<Network>(
        &format!(r#"{{"layers":[{},{}]}}"#, layer(2, 3), layer(2, 1)),
        "W(2) is 2×1, but the layer before it has 3 units",
    );
    refused::<Network>(r#"{"layers":[]}"#, "at least one weight matrix");
    refused::<Network>(
        &format!(
            r#"{{"layers":[{}],"cost":{{"regularised":{{"lambda":-1}}}}}}"#,
            layer(1, 1)
        ),
        "lambda = -1 is out of range",
    );
    refused::<Network>(
        r#"{"layers":[{"weights":{"rows":1,"cols":1,"data":[1]},"bias":{"rows":1,"cols":2,"data":[1,2]}}]}"#,
        "b(1) is 1×2",
    );
    refused::<TwoLayerNet>(
        &format!(
            r#"{{"layers":[{},{},{}]}}"#,
            layer(1, 1),
            layer(1, 1),
            layer(1, 1)
        ),
        "a TwoLayerNet has 2 layers, this network has 3",
    );
    refused::<DataSet>(
        r#"{"x":{"rows":2,"cols":1,"data":[1,2]},"y":{"rows":1,"cols":1,"data":[1]}}"#,
        "y has 1 rows, but X has 2",
    );
    refused::<Scaling>(
        r#"{"x":{"scale":"max-abs","shift":[0],"divisor":[0]},"y":{"scale":"unscaled","shift":[0],"divisor":[1]}}"#,
        "x: divisors must be finite and greater than 0",
    );
    refused::<Scaling>(
        r#"{"x":{"scale":"min-max","shift":[0, 1],"divisor":[1]},"y":{"scale":"unscaled","shift":[],"divisor":[]}}"#,
        "one shift and one divisor per column",
    );
    // JSON has no NaN: a weight written as null is refused before any check.
    refused::<Matrix>(r#"{"rows":1,"cols":1,"data":[null]}"#, "invalid type");
}
