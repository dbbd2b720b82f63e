//! Your own data: `DataSet::new`, `Scaling` against hand-written column
//! loops, and saved scalings read back bit for bit.

mod common;

use backprop::{DataSet, Error, Matrix, Scale, Scaling, data};
use proptest::prelude::*;

fn column(m: &Matrix, j: usize) -> Vec<f64> {
    (0..m.rows()).map(|i| m[(i, j)]).collect()
}

/// The scaled column the definition of each `Scale` gives, by plain loops.
fn by_hand(values: &[f64], scale: Scale) -> Vec<f64> {
    let max_abs = values.iter().map(|v| v.abs()).fold(0.0, f64::max);
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    values
        .iter()
        .map(|&v| match scale {
            Scale::MaxAbs if max_abs == 0.0 => v,
            Scale::MaxAbs => v / max_abs,
            Scale::MinMax if max == min => 0.0,
            Scale::MinMax => (v - min) / (max - min),
            _ => v,
        })
        .collect()
}

fn data_set() -> impl Strategy<Value = DataSet> {
    (1..=12usize, 1..=4usize, 1..=3usize).prop_flat_map(|(n, i, o)| {
        let value = prop_oneof![4 => -1e3..1e3, 1 => Just(0.0), 1 => Just(7.0)];
        (
            common::matrix(n, i, value.clone()),
            common::matrix(n, o, value),
        )
            .prop_map(|(x, y)| DataSet::new(x, y).unwrap())
    })
}

fn scale() -> impl Strategy<Value = Scale> {
    prop::sample::select(vec![Scale::MaxAbs, Scale::MinMax, Scale::Unscaled])
}

proptest! {
    #![proptest_config(common::config(256, file!()))]

    #[test]
    fn scaling_matches_its_definition_and_inverts(d in data_set(), sx in scale(), sy in scale()) {
        let s = Scaling::fit(&d, sx, sy).unwrap();
        let scaled = s.apply(&d).unwrap();
        for (m, out, scale) in [(&d.x, &scaled.x, sx), (&d.y, &scaled.y, sy)] {
            for j in 0..m.cols() {
                let expected = by_hand(&column(m, j), scale);
                for (got, want) in column(out, j).iter().zip(&expected) {
                    prop_assert!((got - want).abs() <= 1e-15 * want.abs().max(1.0), "{} vs {}", got, want);
                }
            }
        }
        let back = s.unscale_y(&scaled.y).unwrap();
        for (b, y) in back.as_slice().iter().zip(d.y.as_slice()) {
            prop_assert!((b - y).abs() <= 1e-12 * y.abs().max(1.0), "{} vs {}", b, y);
        }
    }

    #[test]
    fn saved_scalings_read_back_bit_for_bit(d in data_set(), sx in scale(), sy in scale()) {
        let s = Scaling::fit(&d, sx, sy).unwrap();
        let mut file = Vec::new();
        s.save(&mut file).unwrap();
        let loaded = Scaling::load(file.as_slice()).unwrap();
        let bits = |s: &Scaling| {
            let (x, y) = (s.x(), s.y());
            [x.1, x.2, y.1, y.2].map(|v| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>())
        };
        prop_assert_eq!(bits(&loaded), bits(&s));
        prop_assert_eq!((loaded.x().0, loaded.y().0), (sx, sy));
        for len in 0..file.len() {
            prop_assert!(Scaling::load(&file[..len]).is_err());
        }
    }
}

#[test]
fn the_series_normalisation_is_a_max_abs_scaling() {
    let raw = data::part7_training();
    let s = Scaling::fit(&raw, Scale::MaxAbs, Scale::Unscaled).unwrap();
    let (train, test) = data::part7_normalised();
    assert_eq!(s.scale_x(&raw.x).unwrap(), train.x);
    assert_eq!(s.scale_x(&data::part7_testing().x).unwrap(), test.x);
}

#[test]
fn data_sets_refuse_what_a_network_would() {
    let x = Matrix::zeros(3, 2);
    assert_eq!(
        DataSet::new(Matrix::zeros(0, 2), Matrix::zeros(0, 1)),
        Err(Error::EmptyBatch)
    );
    assert_eq!(
        DataSet::new(x.clone(), Matrix::zeros(2, 1)),
        Err(Error::TargetRows {
            expected: 3,
            found: 2
        })
    );
    let mut y = Matrix::zeros(3, 1);
    y[(2, 0)] = f64::NAN;
    assert_eq!(
        DataSet::new(x.clone(), y),
        Err(Error::NonFinite {
            what: "y",
            at: (2, 0)
        })
    );
    let mut bad_x = x;
    bad_x[(1, 1)] = f64::NEG_INFINITY;
    assert_eq!(
        DataSet::new(bad_x, Matrix::zeros(3, 1)),
        Err(Error::NonFinite {
            what: "X",
            at: (1, 1)
        })
    );
}

#[test]
fn scaling_never_returns_a_non_finite_value() {
    let d = DataSet::new(
        Matrix::from([[-f64::MAX], [f64::MAX]]),
        Matrix::from([[5e-324], [0.0]]),
    )
    .unwrap();
    // max − min = 2·MAX: no divisor can hold the range.
    assert_eq!(
        Scaling::fit(&d, Scale::MinMax, Scale::MaxAbs),
        Err(Error::Overflow {
            what: "the range of a column of X"
        })
    );
    // y's divisor is the smallest subnormal: 1 / 5e-324 overflows.
    let s = Scaling::fit(&d, Scale::MaxAbs, Scale::MaxAbs).unwrap();
    assert_eq!(
        s.scale_y(&Matrix::from([[1.0]])),
        Err(Error::Overflow { what: "scaled y" })
    );
    // y spans MAX / 2: a prediction of 4 is 2·MAX in y's units.
    let wide = DataSet::new(d.x.clone(), Matrix::from([[0.0], [f64::MAX / 2.0]])).unwrap();
    let s = Scaling::fit(&wide, Scale::Unscaled, Scale::MinMax).unwrap();
    assert_eq!(
        s.unscale_y(&Matrix::from([[1.0]])).unwrap()[(0, 0)],
        f64::MAX / 2.0
    );
    assert_eq!(
        s.unscale_y(&Matrix::from([[4.0]])),
        Err(Error::Overflow { what: "unscaled y" })
    );
    assert_eq!(
        s.scale_x(&Matrix::from([[1.0, 2.0]])),
        Err(Error::InputColumns {
            expected: 1,
            found: 2
        })
    );
    assert_eq!(
        s.unscale_y(&Matrix::from([[f64::NAN]])),
        Err(Error::NonFinite {
            what: "y",
            at: (0, 0)
        })
    );
}

#[test]
fn malformed_scalings_say_where() {
    let good = "backprop scaling 1\nx min-max 1\nshift 3\ndivisor 7\n\
                y max-abs 1\nshift 0\ndivisor 100\nend\n";
    assert!(Scaling::load(good.as_bytes()).is_ok());
    for (from, to, line) in [
        ("shift 0\n", "shift 1\n", 6),
        ("divisor 7", "divisor -7", 4),
        ("divisor 7", "divisor inf", 4),
        ("x min-max 1", "x min-max 1000000000000", 2),
        ("x min-max 1", "x min-max 2", 3),
        ("y max-abs", "y softmax", 5),
        ("backprop scaling", "backprop network", 1),
    ] {
        match Scaling::load(good.replacen(from, to, 1).as_bytes()) {
            Err(Error::Load { line: l, .. }) => assert_eq!(l, line, "{to}"),
            other => panic!("{to}: {other:?}"),
        }
    }
}

/// Examples numbered in X's first column, classes in y.
fn numbered_classes(counts: &[usize]) -> backprop::DataSet {
    let labels: Vec<usize> = (counts.iter().enumerate())
        .flat_map(|(c, &n)| std::iter::repeat_n(c, n))
        .collect();
    let x = Matrix::from_fn(labels.len(), 1, |i, _| i as f64);
    let y = backprop::data::one_hot(&labels, counts.len()).unwrap();
    backprop::DataSet::new(x, y).unwrap()
}

fn ids(d: &backprop::DataSet) -> Vec<usize> {
    d.x.iter().map(|&v| v as usize).collect()
}

#[test]
fn splits_cover_every_example_once_by_seed() {
    // The digits' class sizes: 1,797 examples, 360 for testing at 0.2.
    let counts = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180];
    let d = numbered_classes(&counts);
    for stratified in [false, true] {
        let split = |seed| {
            if stratified {
                d.split_stratified(0.2, seed).unwrap()
            } else {
                d.split(0.2, seed).unwrap()
            }
        };
        let (train, test) = split(0);
        assert_eq!((train.len(), test.len()), (1437, 360));
        let mut all = [ids(&train), ids(&test)].concat();
        all.sort_unstable();
        assert_eq!(all, (0..1797).collect::<Vec<_>>());
        // Each example keeps its own target.
        for part in [&train, &test] {
            let want = d.select(&ids(part));
            assert_eq!(part.y, want.y);
        }
        assert_eq!(split(0), (train.clone(), test.clone()));
        assert_ne!(ids(&split(1).1), ids(&test));
        if stratified {
            let labels = backprop::data::classes(&test.y);
            for (c, &n) in counts.iter().enumerate() {
                let got = labels.iter().filter(|&&k| k == c).count() as f64;
                // N_c·T/N rounded down or up.
                let share = n as f64 * 360.0 / 1797.0;
                assert!(
                    got == share.floor() || got == share.ceil(),
                    "class {c}: {got} vs {share}"
                );
            }
        }
    }
    for bad in [0.0, 1.0, -0.5, f64::NAN, 0.999_999_9] {
        assert!(matches!(
            d.split(bad, 0),
            Err(backprop::Error::InvalidSetting {
                what: "test fraction",
                ..
            })
        ));
    }
    let s = d.shuffled(4);
    assert_ne!(ids(&s), (0..1797).collect::<Vec<_>>());
    assert_eq!(s, d.shuffled(4));
}
