//! "Stack these operations": a pattern the series' 2-3-1 network cannot
//! fit and a deeper network can.
//!
//! The data is a 3 × 3 checkerboard on the unit square: 81 points on a
//! 9 × 9 grid, y = 0.9 on the dark squares and 0.1 on the light ones. Both
//! networks are trained with BFGS from seeded starts, and both costs are
//! printed. The trained deep network is drawn the way the series draws
//! networks, as `network.svg`: neurons as circles, each synapse coloured by
//! the sign of its weight (blue +, red −) and as wide as |W|; beside it,
//! the same drawing of ∂J/∂W at the start of training, the first step's
//! way downhill.
//!
//! `cargo run --release --example deeper [-- <output directory>]`

use std::error::Error as StdError;
use std::path::{Path, PathBuf};

use backprop::data::DataSet;
use backprop::{Activation, Bfgs, Matrix, Network, Optimiser, TwoLayerNet};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Squares per side of the checkerboard, and grid points per side.
const SQUARES: usize = 3;
const GRID: usize = 9;

fn main() -> Result<(), Box<dyn StdError>> {
    let out_dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/deeper"));
    std::fs::create_dir_all(&out_dir)?;
    let data = checkerboard();
    let bfgs = Bfgs::default().max_iterations(2000);

    let mut shallow = TwoLayerNet::random(2, 3, 1, 1)?;
    let shallow_report = bfgs.train(&mut shallow, &data)?;

    let mut deep = Network::builder(2)
        .biased_layer(10, Activation::Tanh)
        .biased_layer(10, Activation::Tanh)
        .biased_layer(1, Activation::Sigmoid)
        .seed(1)
        .build()?;
    let start_gradients = deep.gradients(&data.x, &data.y)?;
    let deep_report = bfgs.train(&mut deep, &data)?;

    println!(
        "A {SQUARES} × {SQUARES} checkerboard, {} points:",
        data.x.rows()
    );
    println!(
        "  2-3-1 sigmoid network:         J = {:.3e} after {} BFGS iterations ({:?})",
        shallow_report.final_cost, shallow_report.iterations, shallow_report.stop
    );
    println!(
        "  2-10-10-1, tanh and biases:    J = {:.3e} after {} BFGS iterations ({:?})",
        deep_report.final_cost, deep_report.iterations, deep_report.stop
    );
    let wrong = |y_hat: &Matrix| {
        (0..data.y.rows())
            .filter(|&r| (y_hat[(r, 0)] > 0.5) != (data.y[(r, 0)] > 0.5))
            .count()
    };
    println!(
        "  squares called wrongly (ŷ on the wrong side of ½): 2-3-1 {}, deep {}",
        wrong(&shallow.forward(&data.x)?),
        wrong(&deep.forward(&data.x)?)
    );

    let path = out_dir.join("network.svg");
    draw(&path, &deep, &start_gradients.dj_dw)?;
    println!("\nThe trained network is drawn in {}", path.display());
    Ok(())
}

/// The checkerboard: x on a GRID × GRID lattice of [0, 1]², y = 0.9 on dark
/// squares and 0.1 on light ones.
fn checkerboard() -> DataSet {
    let at = |k: usize| k as f64 / (GRID - 1) as f64;
    let square = |v: f64| ((v * SQUARES as f64) as usize).min(SQUARES - 1);
    let x = Matrix::from_fn(GRID * GRID, 2, |r, c| {
        at(if c == 0 { r / GRID } else { r % GRID })
    });
    let y = Matrix::from_fn(GRID * GRID, 1, |r, _| {
        let dark = (square(x[(r, 0)]) + square(x[(r, 1)])) % 2 == 0;
        if dark { 0.9 } else { 0.1 }
    });
    DataSet { x, y }
}

/// The network as the series draws it, twice: its weights, and ∂J/∂W at
/// the start of training.
fn draw(path: &Path, net: &Network, start_gradients: &[Matrix]) -> Result<(), Box<dyn StdError>> {
    let root = SVGBackend::new(path, (1400, 640)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(700);
    let weights: Vec<&Matrix> = net.layers().iter().map(|l| l.weights()).collect();
    panel(&left, "trained weights W(l)", &net.sizes(), &weights)?;
    let gradients: Vec<&Matrix> = start_gradients.iter().collect();
    panel(&right, "∂J/∂W(l) at the start", &net.sizes(), &gradients)?;
    root.present()?;
    Ok(())
}

/// One drawing: a column of neurons per layer, and a synapse for every
/// entry of `matrices[l]` from neuron i of layer l to neuron j of layer
/// l + 1, blue for positive and red for negative, as wide as its
/// magnitude relative to the largest in the drawing.
fn panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    sizes: &[usize],
    matrices: &[&Matrix],
) -> Result<(), Box<dyn StdError>> {
    let (width, height) = area.dim_in_pixel();
    let (width, height) = (f64::from(width), f64::from(height));
    area.draw(&Text::new(
        title.to_string(),
        (30, 20),
        ("sans-serif", 24).into_font(),
    ))?;
    let position = |layer: usize, unit: usize| -> (i32, i32) {
        let x = 80.0 + layer as f64 * (width - 160.0) / (sizes.len() - 1) as f64;
        let spacing = (height - 120.0) / sizes[layer] as f64;
        let y = 80.0 + spacing * (unit as f64 + 0.5);
        (x as i32, y as i32)
    };
    let largest = matrices
        .iter()
        .flat_map(|m| m.as_slice())
        .fold(0.0_f64, |m, v| m.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    for (l, m) in matrices.iter().enumerate() {
        for i in 0..m.rows() {
            for j in 0..m.cols() {
                let v = m[(i, j)];
                let colour = if v >= 0.0 { BLUE } else { RED };
                let style = colour
                    .mix(0.7)
                    .stroke_width((6.0 * v.abs() / largest).ceil() as u32);
                area.draw(&PathElement::new(
                    vec![position(l, i), position(l + 1, j)],
                    style,
                ))?;
            }
        }
    }
    for (l, &units) in sizes.iter().enumerate() {
        for u in 0..units {
            area.draw(&Circle::new(position(l, u), 12, BLACK.filled()))?;
            area.draw(&Circle::new(position(l, u), 10, WHITE.filled()))?;
        }
    }
    area.draw(&Text::new(
        format!("blue: positive, red: negative; the widest is |value| = {largest:.2e}"),
        (30, (height - 30.0) as i32),
        ("sans-serif", 16).into_font(),
    ))?;
    Ok(())
}
