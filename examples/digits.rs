//! Learning from real data: the UCI handwritten digits.
//!
//! Trains [64 pixels, 64 ReLU units with bias, 10 softmax outputs with
//! bias] under cross-entropy with Adam (200 epochs of mini-batches of 200)
//! on 80 % of the 1,797 images, split by class as scikit-learn's
//! `train_test_split(test_size=0.2, stratify=y)` splits them, and tests on
//! the rest. Prints the training cost (the mean over each epoch's
//! mini-batches) and the testing cost every 10 epochs, then the test
//! accuracy, and writes two figures:
//!
//! 1. `confusion.svg`: for each true digit (row) how often each digit was
//!    predicted (column), on the testing set;
//! 2. `misclassified.svg`: every testing image the network got wrong, as
//!    the 8 × 8 picture it is, with its true and predicted digit.
//!
//! Run with `cargo run --release --example digits [-- OUTPUT_DIR]`
//! (default `target/digits`).

use std::error::Error as StdError;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use backprop::data::{self, DataSet};
use backprop::{Activation, Adam, Cost, Network, Optimiser};
use plotters::prelude::*;

const SEED: u64 = 0;

fn main() -> Result<(), Box<dyn StdError>> {
    let out_dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/digits"));
    std::fs::create_dir_all(&out_dir)?;

    let (train, test) = data::digits().split_stratified(0.2, SEED)?;
    println!(
        "{} training and {} testing images of 8 × 8 pixels",
        train.len(),
        test.len()
    );
    let mut net = Network::builder(64)
        .biased_layer(64, Activation::Relu)
        .biased_layer(10, Activation::Softmax)
        .cost(Cost::CrossEntropy)
        .seed(SEED)
        .build()?;

    println!("epoch  training J  testing J");
    let start = Instant::now();
    let report = Adam::default()
        .max_iterations(200)
        .gradient_tolerance(0.0)
        .seed(SEED)
        .train_with(&mut net, &train, Some(&test), |p| {
            if p.iteration % 10 == 0 {
                println!(
                    "{:5}  {:10.4}  {:9.4}",
                    p.iteration,
                    p.training_cost,
                    p.testing_cost.unwrap_or(f64::NAN)
                );
            }
            ControlFlow::Continue(())
        })?;
    let seconds = start.elapsed().as_secs_f64();
    let predicted = net.predict_classes(&test.x)?;
    let truth = data::classes(&test.y);
    let accuracy = data::accuracy(&predicted, &truth)?;
    println!(
        "{} epochs in {seconds:.2} s; training J {:.4}; test accuracy {:.1} % ({} of {} wrong)",
        report.iterations,
        report.final_cost,
        100.0 * accuracy,
        predicted.iter().zip(&truth).filter(|(p, t)| p != t).count(),
        truth.len()
    );

    let confusion = confusion(&predicted, &truth);
    draw_confusion(&out_dir.join("confusion.svg"), &confusion)?;
    draw_misclassified(
        &out_dir.join("misclassified.svg"),
        &test,
        &predicted,
        &truth,
    )?;
    println!(
        "wrote {} and {}",
        out_dir.join("confusion.svg").display(),
        out_dir.join("misclassified.svg").display()
    );
    Ok(())
}

/// counts[t][p]: testing images of digit t predicted as p.
fn confusion(predicted: &[usize], truth: &[usize]) -> [[usize; 10]; 10] {
    let mut counts = [[0; 10]; 10];
    for (&p, &t) in predicted.iter().zip(truth) {
        counts[t][p] += 1;
    }
    counts
}

/// A 10 × 10 grid of counts, shaded by each row's share, the diagonal
/// (right answers) in blue and the rest in red.
fn draw_confusion(path: &Path, counts: &[[usize; 10]; 10]) -> Result<(), Box<dyn StdError>> {
    let cell = 48;
    let (left, top) = (90, 90);
    let root = SVGBackend::new(
        path,
        (
            left as u32 + 10 * cell as u32 + 30,
            top as u32 + 10 * cell as u32 + 30,
        ),
    )
    .into_drawing_area();
    root.fill(&WHITE)?;
    root.draw(&Text::new(
        "predicted digit",
        (left + 3 * cell, 20),
        ("sans-serif", 20).into_font(),
    ))?;
    root.draw(&Text::new(
        "true digit",
        (5, top - 30),
        ("sans-serif", 20).into_font(),
    ))?;
    for (t, row) in counts.iter().enumerate() {
        let total = row.iter().sum::<usize>().max(1) as f64;
        for (p, &count) in row.iter().enumerate() {
            let (x, y) = (left + p as i32 * cell, top + t as i32 * cell);
            let share = count as f64 / total;
            let colour = if p == t { BLUE } else { RED };
            let fill = if count == 0 {
                WHITE.mix(1.0)
            } else {
                colour.mix(0.15 + 0.85 * share)
            };
            root.draw(&Rectangle::new(
                [(x, y), (x + cell, y + cell)],
                fill.filled(),
            ))?;
            root.draw(&Rectangle::new(
                [(x, y), (x + cell, y + cell)],
                BLACK.mix(0.2),
            ))?;
            if count > 0 {
                let ink = if share > 0.5 { WHITE } else { BLACK };
                root.draw(&Text::new(
                    count.to_string(),
                    (x + cell / 2 - 8, y + cell / 2 - 8),
                    ("sans-serif", 16).into_font().color(&ink),
                ))?;
            }
        }
        let label = ("sans-serif", 18).into_font();
        root.draw(&Text::new(
            t.to_string(),
            (left + t as i32 * cell + cell / 2 - 5, top - 22),
            label.clone(),
        ))?;
        root.draw(&Text::new(
            t.to_string(),
            (left - 22, top + t as i32 * cell + cell / 2 - 9),
            label,
        ))?;
    }
    root.present()?;
    Ok(())
}

/// Every misclassified testing image as 8 × 8 grey squares (ink dark),
/// with "true → predicted" above it.
fn draw_misclassified(
    path: &Path,
    test: &DataSet,
    predicted: &[usize],
    truth: &[usize],
) -> Result<(), Box<dyn StdError>> {
    let wrong: Vec<usize> = (0..truth.len())
        .filter(|&i| predicted[i] != truth[i])
        .collect();
    let (pixel, per_row) = (8, 10);
    let (tile_w, tile_h) = (8 * pixel + 16, 8 * pixel + 36);
    let rows = wrong.len().div_ceil(per_row).max(1);
    let root = SVGBackend::new(
        path,
        ((per_row * tile_w) as u32 + 20, (rows * tile_h) as u32 + 50),
    )
    .into_drawing_area();
    root.fill(&WHITE)?;
    root.draw(&Text::new(
        format!(
            "{} misclassified testing images: true → predicted",
            wrong.len()
        ),
        (10, 10),
        ("sans-serif", 18).into_font(),
    ))?;
    for (k, &i) in wrong.iter().enumerate() {
        let (x0, y0) = (
            10 + (k % per_row * tile_w) as i32,
            40 + (k / per_row * tile_h) as i32,
        );
        root.draw(&Text::new(
            format!("{} → {}", truth[i], predicted[i]),
            (x0 + 8, y0),
            ("sans-serif", 16).into_font(),
        ))?;
        draw_image(&root, test.x.row(i), (x0, y0 + 22), pixel as i32)?;
    }
    root.present()?;
    Ok(())
}

/// One image: 64 pixels in [0, 1], row by row, 1 the darkest.
fn draw_image(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    pixels: &[f64],
    (x0, y0): (i32, i32),
    size: i32,
) -> Result<(), Box<dyn StdError>> {
    for (k, &ink) in pixels.iter().enumerate() {
        let (x, y) = (x0 + (k % 8) as i32 * size, y0 + (k / 8) as i32 * size);
        let grey = (255.0 * (1.0 - ink)).round() as u8;
        area.draw(&Rectangle::new(
            [(x, y), (x + size, y + size)],
            RGBColor(grey, grey, grey).filled(),
        ))?;
    }
    area.draw(&Rectangle::new(
        [(x0, y0), (x0 + 8 * size, y0 + 8 * size)],
        BLACK.mix(0.3),
    ))?;
    Ok(())
}
