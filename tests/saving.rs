//! Save and load: every network reads back bit for bit, and no corrupted
//! file panics, allocates beyond its length or yields a non-finite network.

mod common;

use backprop::{Activation, Cost, Error, Matrix, Network, TwoLayerNet};
use proptest::prelude::*;

/// Values that stress the number format: signed zeros, subnormals, the
/// extremes of f64, and ordinary weights.
fn weight() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![
        4 => -10.0..10.0,
        1 => Just(-0.0),
        1 => Just(0.0),
        1 => Just(f64::MAX),
        1 => Just(f64::MIN),
        1 => Just(f64::MIN_POSITIVE),
        1 => Just(-5e-324),
        1 => (1u64..(1 << 52)).prop_map(f64::from_bits), // subnormal
        1 => any::<f64>().prop_filter("finite", |v| v.is_finite()),
    ]
}

fn network() -> impl Strategy<Value = Network> {
    let cost = prop_oneof![
        Just(Cost::SumOfSquares),
        prop_oneof![Just(0.0), Just(1e-4), Just(f64::MAX), 0.0..1.0]
            .prop_map(|lambda| Cost::Regularised { lambda }),
        Just(Cost::CrossEntropy),
        prop_oneof![Just(0.0), Just(f64::MAX), 0.0..1.0]
            .prop_map(|lambda| Cost::RegularisedCrossEntropy { lambda }),
    ];
    common::any_network(1..=4, 1..=5, weight(), cost)
}

fn saved(net: &Network) -> Vec<u8> {
    let mut file = Vec::new();
    net.save(&mut file).unwrap();
    file
}

/// Every parameter's bits, the activations, the biases' presence, λ and the
/// sizes: `==` on f64 would let −0.0 pass for 0.0.
type Bits = (Vec<u64>, Vec<(Activation, bool)>, Option<u64>, Vec<usize>);

fn bits(net: &Network) -> Bits {
    let lambda = match net.cost_function() {
        Cost::Regularised { lambda } => Some(lambda.to_bits()),
        _ => None,
    };
    (
        net.params().iter().map(|v| v.to_bits()).collect(),
        net.layers()
            .iter()
            .map(|l| (l.activation(), l.bias().is_some()))
            .collect(),
        lambda,
        net.sizes(),
    )
}

fn assert_valid(net: &Network) {
    assert!(net.params().iter().all(|v| v.is_finite()));
    if let Cost::Regularised { lambda } = net.cost_function() {
        assert!(lambda.is_finite() && lambda >= 0.0);
    }
    // What loads saves and loads again unchanged.
    let again = Network::load(saved(net).as_slice()).unwrap();
    assert_eq!(bits(&again), bits(net));
}

fn load_corrupted(file: &[u8]) -> Result<Network, Error> {
    let loaded = Network::load(file);
    match &loaded {
        Ok(net) => assert_valid(net),
        Err(e) => assert!(
            matches!(e, Error::Load { line, reason } if *line >= 1 && !reason.is_empty()),
            "{e:?}"
        ),
    }
    // The same parser behind TwoLayerNet: it must not panic either.
    let _ = TwoLayerNet::load(file);
    loaded
}

proptest! {
    #![proptest_config(common::config(256, file!()))]

    #[test]
    fn networks_read_back_bit_for_bit(net in network()) {
        let file = saved(&net);
        let loaded = Network::load(file.as_slice()).unwrap();
        prop_assert_eq!(bits(&loaded), bits(&net));
        prop_assert_eq!(saved(&loaded), file.clone(), "saving twice gives the same bytes");
        prop_assert_eq!(saved(&net), file);
    }

    #[test]
    fn every_truncation_is_an_error(net in network()) {
        let file = saved(&net);
        for len in 0..file.len() {
            let err = load_corrupted(&file[..len]).unwrap_err();
            let text_lines = file[..len].iter().filter(|&&b| b == b'\n').count();
            // On a line the text has, or the one it lacks: a short text can
            // already be refused on its `sizes` line.
            prop_assert!(matches!(err, Error::Load { line, .. } if line <= text_lines + 1), "{:?}", err);
        }
    }

    #[test]
    fn random_byte_edits_never_panic(
        net in network(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..=4),
    ) {
        let mut file = saved(&net);
        for (at, byte) in edits {
            let i = at.index(file.len());
            file[i] = byte;
        }
        let _ = load_corrupted(&file);
    }

    #[test]
    fn hostile_numbers_are_rejected_on_their_line(
        net in network(),
        at in any::<prop::sample::Index>(),
        hostile in prop::sample::select(vec![
            "NaN", "nan", "inf", "-inf", "infinity", "1e999", "-1e999", "1e309",
            "1000000000000", "18446744073709551616", "-1", "0x10", "1,5", "--1", "",
        ]),
    ) {
        let text = String::from_utf8(saved(&net)).unwrap();
        // Every number on the lines that hold values.
        let slots: Vec<(usize, usize, bool)> = text
            .lines()
            .enumerate()
            .flat_map(|(n, line)| {
                let words: Vec<&str> = line.split(' ').collect();
                let values = matches!(words[0], "W" | "b") || line.starts_with("cost regularised");
                let first = if words[0] == "cost" { 2 } else { 1 };
                let counts = matches!(words[0], "sizes");
                (first..words.len())
                    .filter(move |_| values || counts)
                    .map(move |w| (n, w, values))
            })
            .collect();
        let (n, w, is_value) = slots[at.index(slots.len())];
        let edited: Vec<String> = text
            .lines()
            .enumerate()
            .map(|(i, line)| {
                if i != n {
                    return line.to_owned();
                }
                let mut words: Vec<&str> = line.split(' ').collect();
                words[w] = hostile;
                words.join(" ")
            })
            .collect();
        let file = edited.join("\n") + "\n";
        let loaded = load_corrupted(file.as_bytes());
        let line = n + 1;
        let finite = hostile.parse::<f64>().is_ok_and(f64::is_finite);
        if is_value && !finite {
            prop_assert!(matches!(&loaded, Err(Error::Load { line: l, .. }) if *l == line), "{:?}", loaded);
        } else if is_value {
            // A finite number is a weight like any other, or a λ that must
            // not be negative.
            prop_assert!(loaded.is_ok() || matches!(&loaded, Err(Error::Load { line: 3, .. })), "{:?}", loaded);
        } else {
            // A size: 10^12 or more than usize, 0 or garbage is refused on
            // the `sizes` line; a smaller size makes a later line disagree.
            prop_assert!(loaded.is_err());
        }
    }
}

#[test]
fn the_series_network_reads_back_as_either_type() {
    let net = TwoLayerNet::from_weights(
        Matrix::from([[0.5, -1.0, 0.25], [1.5, 0.75, -0.5]]),
        Matrix::from([[1.0], [-2.0], [0.5]]),
    )
    .unwrap();
    let mut file = Vec::new();
    net.save(&mut file).unwrap();
    let text = String::from_utf8(file.clone()).unwrap();
    assert_eq!(
        text,
        "backprop network 1\nsizes 2 3 1\ncost sum-of-squares\n\
         layer 1 sigmoid no-bias\nW 0.5 -1 0.25\nW 1.5 0.75 -0.5\n\
         layer 2 sigmoid no-bias\nW 1\nW -2\nW 0.5\nend\n"
    );
    assert_eq!(TwoLayerNet::load(file.as_slice()).unwrap(), net);
    assert_eq!(Network::load(file.as_slice()).unwrap(), *net.network());
}

#[test]
fn windows_line_endings_load() {
    let text = "backprop network 1\r\nsizes 1 1\r\ncost sum-of-squares\r\n\
                layer 1 relu bias\r\nW -0\r\nb 5e-324\r\nend\r\n";
    let net = Network::load(text.as_bytes()).unwrap();
    assert_eq!(
        net.layers()[0].weights()[(0, 0)].to_bits(),
        (-0.0f64).to_bits()
    );
    assert_eq!(net.layers()[0].bias().unwrap()[(0, 0)], 5e-324);
}

fn load_err(text: &str) -> (usize, String) {
    match Network::load(text.as_bytes()) {
        Err(Error::Load { line, reason }) => (line, reason),
        other => panic!("expected a load error, got {other:?}"),
    }
}

#[test]
fn each_malformed_file_says_what_and_where() {
    let good = "backprop network 1\nsizes 2 1\ncost regularised 0.5\n\
                layer 1 sigmoid no-bias\nW 1\nW 2\nend\n";
    assert!(Network::load(good.as_bytes()).is_ok());
    let cases: [(&str, &str, usize, &str); 13] = [
        (
            "",
            "",
            1,
            "the text ends where the header `backprop network 1` should be",
        ),
        (
            "backprop network 1",
            "backprop network 2",
            1,
            "format version 2 is not supported",
        ),
        (
            "backprop network 1",
            "backprop scaling 1",
            1,
            "this is a saved scaling, not a network",
        ),
        ("backprop network 1", "hello", 1, "not a saved network"),
        (
            "sizes 2 1",
            "sizes 2 1000000000000",
            2,
            "more weights than the",
        ),
        ("sizes 2 1", "sizes 2 0", 2, "a size is 0"),
        (
            "sizes 2 1",
            "sizes 2 1 1",
            7,
            "expected `layer`, found `end`",
        ),
        ("W 2", "W 2 3", 6, "unexpected `3` after row 2 of W(1)"),
        ("W 2", "W", 6, "row 2 of W(1) needs 1 values, found 0"),
        (
            "W 2",
            "W NaN",
            6,
            "row 2 of W(1) must be a finite f64, found `NaN`",
        ),
        ("0.5", "-0.5", 3, "λ must be finite and at least 0"),
        ("sigmoid", "swish", 4, "`swish` is not an activation"),
        (
            "sigmoid",
            "softmax",
            4,
            "layer 1 applies softmax under the regularised sum of squares: softmax's δ(L) is derived for cross-entropy only",
        ),
    ];
    for (from, to, line, reason) in cases {
        let text = if from.is_empty() {
            String::new()
        } else {
            good.replacen(from, to, 1)
        };
        let (l, r) = load_err(&text);
        assert_eq!(l, line, "{to}: {r}");
        assert!(r.contains(reason), "{to}: {r}");
    }
    let (line, reason) = load_err(&format!("{good}extra\n"));
    assert_eq!((line, reason.as_str()), (8, "text follows `end`"));
    let (line, reason) = load_err(&good.replace("W 2\n", ""));
    assert_eq!((line, reason.as_str()), (6, "expected `W`, found `end`"));
}

#[test]
fn a_file_that_is_not_text_is_an_error() {
    let bytes = b"backprop network 1\nsizes \xff\n";
    assert_eq!(
        Network::load(&bytes[..]),
        Err(Error::Load {
            line: 2,
            reason: "the text is not UTF-8".into()
        })
    );
}

#[test]
fn a_failing_writer_is_an_io_error() {
    struct Full;
    impl std::io::Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "disk full",
            ))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let net = Network::random(&[2, 3, 1], 0).unwrap();
    assert!(matches!(
        net.save(Full),
        Err(Error::Io {
            kind: std::io::ErrorKind::StorageFull,
            ..
        })
    ));
}
