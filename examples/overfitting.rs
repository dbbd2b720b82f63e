//! Part 7: overfitting, and regularisation against it.
//!
//! Trains the 2-3-1 network on Part 7's four training examples with BFGS,
//! once without regularisation (λ = 0) and once with λ = 1e-4, recording the
//! cost on the training and the testing set after every iteration. Writes two
//! figures and prints where:
//!
//! 1. `cost.svg`: training and testing cost per iteration, log scale, both λ;
//! 2. `predictions.svg`: each trained network's predicted score over
//!    sleep 0–10 h × study 0–6 h (Part 6's grid of 0–5 h study, extended so
//!    that the testing example with 5.5 h of study lies inside), with the
//!    training and testing points.
//!
//! Run with `cargo run --release --example overfitting [-- OUTPUT_DIR]`
//! (default `target/overfitting`).

use std::error::Error as StdError;
use std::ops::ControlFlow;
use std::path::PathBuf;

use backprop::data::{self, DataSet, MAX_SCORE};
use backprop::{Bfgs, Cost, Matrix, Optimiser, Report, TwoLayerNet};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;

const SEED: u64 = 4;
const LAMBDAS: [f64; 2] = [0.0, 1e-4];
/// The input grid of Part 6, 100 × 100 points over sleep 0–10 h and study
/// 0–5 h, here extended to 6 h of study to include every testing example.
const GRID: usize = 100;
const SLEEP_MAX: f64 = 10.0;
const STUDY_MAX: f64 = 6.0;

struct Run {
    lambda: f64,
    net: TwoLayerNet,
    report: Report,
}

impl Run {
    /// "λ = 0", "λ = 1e-4"
    fn label(&self) -> String {
        if self.lambda == 0.0 {
            "λ = 0".into()
        } else {
            format!("λ = {:e}", self.lambda)
        }
    }
}

fn main() -> Result<(), Box<dyn StdError>> {
    let out_dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/overfitting"));
    std::fs::create_dir_all(&out_dir)?;

    let raw_train = data::part7_training();
    let x_max = raw_train.x_column_maxima();
    let (train, test) = data::part7_normalised();

    let mut runs = Vec::new();
    for lambda in LAMBDAS {
        let mut net =
            TwoLayerNet::random(2, 3, 1, SEED)?.with_cost(Cost::Regularised { lambda })?;
        let report = Bfgs::default()
            .train_with(&mut net, &train, Some(&test), |_| ControlFlow::Continue(()))?;
        println!(
            "λ = {lambda:<6}: {:?} after {} iterations; final cost: training {:.3e}, testing {:.3e}",
            report.stop,
            report.iterations,
            report.final_cost,
            report.testing_costs.last().copied().unwrap_or(f64::NAN),
        );
        runs.push(Run {
            lambda,
            net,
            report,
        });
    }

    println!("\nPredicted scores (points) on the testing set:");
    println!(
        "  {:>5}  {:>5}  {:>4}  {:>8}  {:>8}",
        "sleep", "study", "real", "λ = 0", "λ = 1e-4"
    );
    let raw_test = data::part7_testing();
    let predictions: Vec<Matrix> = runs
        .iter()
        .map(|r| r.net.forward(&test.x))
        .collect::<Result<_, _>>()?;
    for i in 0..raw_test.x.rows() {
        println!(
            "  {:>5}  {:>5}  {:>4}  {:>8.1}  {:>8.1}",
            raw_test.x[(i, 0)],
            raw_test.x[(i, 1)],
            raw_test.y[(i, 0)],
            predictions[0][(i, 0)] * MAX_SCORE,
            predictions[1][(i, 0)] * MAX_SCORE,
        );
    }

    let cost_path = out_dir.join("cost.svg");
    plot_costs(&runs, &cost_path)?;
    let map_path = out_dir.join("predictions.svg");
    plot_predictions(&runs, &raw_train, &raw_test, &x_max, &map_path)?;
    println!("\nFigures written to {}:", out_dir.display());
    println!("  {}", cost_path.display());
    println!("  {}", map_path.display());
    Ok(())
}

/// Training (solid) and testing (dashed) cost per iteration, log scale.
fn plot_costs(runs: &[Run], path: &PathBuf) -> Result<(), Box<dyn StdError>> {
    let all = runs
        .iter()
        .flat_map(|r| r.report.costs.iter().chain(&r.report.testing_costs));
    let (lo, hi) = all.fold((f64::INFINITY, 0.0_f64), |(lo, hi), &c| {
        (lo.min(c), hi.max(c))
    });
    let longest = runs.iter().map(|r| r.report.iterations).max().unwrap_or(1);

    let root = SVGBackend::new(path, (900, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Part 7 data: cost per BFGS iteration, without and with regularisation",
            ("sans-serif", 22),
        )
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(90)
        .build_cartesian_2d(0..longest + 1, (lo / 3.0..hi * 3.0).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("iteration")
        .y_desc("cost J  [(score / 100)²], log scale")
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .axis_desc_style(("sans-serif", 18))
        .label_style(("sans-serif", 15))
        .light_line_style(BLACK.mix(0.04))
        .draw()?;

    let colours = [RGBColor(31, 119, 180), RGBColor(214, 39, 40)];
    for (run, &colour) in runs.iter().zip(&colours) {
        let training = run.report.costs.iter().copied().enumerate();
        chart
            .draw_series(LineSeries::new(training, colour.stroke_width(2)))?
            .label(format!("training, {}", run.label()))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
        let testing = run.report.testing_costs.iter().copied().enumerate();
        chart
            .draw_series(DashedLineSeries::new(testing, 8, 5, colour.stroke_width(2)))?
            .label(format!("testing, {}", run.label()))
            .legend(move |(x, y)| {
                DashedPathElement::new([(x, y), (x + 20, y)], 6, 3, colour.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerLeft)
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// One heat map of the predicted score per run, a shared colour bar, and the
/// data points.
fn plot_predictions(
    runs: &[Run],
    train: &DataSet,
    test: &DataSet,
    x_max: &[f64],
    path: &PathBuf,
) -> Result<(), Box<dyn StdError>> {
    // The grid, normalised as the training data were.
    let cell = |k: usize, max: f64| (k as f64 + 0.5) * max / GRID as f64;
    let grid = Matrix::from_fn(GRID * GRID, 2, |r, c| match c {
        0 => cell(r / GRID, SLEEP_MAX) / x_max[0],
        _ => cell(r % GRID, STUDY_MAX) / x_max[1],
    });
    let maps: Vec<Matrix> = runs
        .iter()
        .map(|r| r.net.forward(&grid).map(|s| s.scale(MAX_SCORE)))
        .collect::<Result<_, _>>()?;
    let (lo, hi) = maps
        .iter()
        .flat_map(|m| m.as_slice())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });

    let root = SVGBackend::new(path, (1300, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        "Predicted test score over the input space (Part 7 training set, BFGS)",
        ("sans-serif", 22),
    )?;
    let (panels, bar) = root.split_horizontally(1140);
    for (area, (run, map)) in panels
        .split_evenly((1, 2))
        .iter()
        .zip(runs.iter().zip(&maps))
    {
        let mut chart = ChartBuilder::on(area)
            .caption(run.label(), ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(55)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..SLEEP_MAX, 0.0..STUDY_MAX)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("sleep  [hours]")
            .y_desc("study  [hours]")
            .axis_desc_style(("sans-serif", 18))
            .label_style(("sans-serif", 15))
            .draw()?;
        let (dx, dy) = (SLEEP_MAX / GRID as f64, STUDY_MAX / GRID as f64);
        chart.draw_series((0..GRID * GRID).map(|r| {
            let (i, j) = ((r / GRID) as f64, (r % GRID) as f64);
            let colour = ViridisRGB::get_color_normalized(map[(r, 0)], lo, hi);
            Rectangle::new(
                [(i * dx, j * dy), ((i + 1.0) * dx, (j + 1.0) * dy)],
                colour.filled(),
            )
        }))?;
        chart
            .draw_series(
                (0..train.x.rows())
                    .map(|k| Circle::new((train.x[(k, 0)], train.x[(k, 1)]), 7, WHITE.filled())),
            )?
            .label("training example")
            .legend(|(x, y)| {
                EmptyElement::at((x + 10, y))
                    + Circle::new((0, 0), 6, WHITE.filled())
                    + Circle::new((0, 0), 6, BLACK.stroke_width(2))
            });
        chart
            .draw_series((0..train.x.rows()).map(|k| {
                Circle::new((train.x[(k, 0)], train.x[(k, 1)]), 7, BLACK.stroke_width(2))
            }))?;
        chart
            .draw_series(
                (0..test.x.rows())
                    .map(|k| Cross::new((test.x[(k, 0)], test.x[(k, 1)]), 7, RED.stroke_width(3))),
            )?
            .label("testing example")
            .legend(|(x, y)| Cross::new((x + 10, y), 6, RED.stroke_width(3)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font(("sans-serif", 15))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()?;
    }

    // The colour bar: predicted score from lo to hi.
    let mut chart = ChartBuilder::on(&bar)
        .margin_top(60)
        .margin_bottom(70)
        .margin_right(10)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..1.0, lo..hi)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc("predicted score  [points]")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .axis_desc_style(("sans-serif", 18))
        .label_style(("sans-serif", 15))
        .draw()?;
    let steps = 200;
    chart.draw_series((0..steps).map(|k| {
        let a = lo + (hi - lo) * k as f64 / steps as f64;
        let b = lo + (hi - lo) * (k + 1) as f64 / steps as f64;
        let colour = ViridisRGB::get_color_normalized(0.5 * (a + b), lo, hi);
        Rectangle::new([(0.0, a), (1.0, b)], colour.filled())
    }))?;
    root.present()?;
    Ok(())
}
