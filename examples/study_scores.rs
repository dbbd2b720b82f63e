//! The main job: the network of Part 4 on the Part 1 data, from the forward
//! pass through backpropagation and a gradient check to training, first by
//! plain gradient descent, then by BFGS as the series does.
//!
//! Run with `cargo run --release --example study_scores`.

use std::ops::ControlFlow;

use backprop::{Bfgs, Error, Optimiser, TwoLayerNet, data};

const SEED: u64 = 42;
const LEARNING_RATE: f64 = 2.0;
const STEPS: usize = 500;

fn main() -> Result<(), Error> {
    let raw = data::part1();
    let d = data::part1_normalised();
    println!("Part 1 data: hours of sleep and of study, and the test score that followed.\n");
    println!("X (hours of sleep, hours of study):\n{}\n", raw.x);
    println!("y (score, points):\n{}\n", raw.y);
    println!(
        "Normalised as the series does, X by its column maxima {:?} and y by {}:",
        raw.x_column_maxima(),
        data::MAX_SCORE
    );
    println!("X =\n{:.2}\ny =\n{:.2}\n", d.x, d.y);

    let mut net = TwoLayerNet::random(2, 3, 1, SEED)?;
    println!(
        "Network: {} inputs, {} hidden units, {} output; weights drawn from N(0, 1) with seed {SEED}.",
        net.input_size(),
        net.hidden_size(),
        net.output_size()
    );
    println!("W(1) =\n{:.4}\nW(2) =\n{:.4}\n", net.w1(), net.w2());

    println!("Forward pass and backpropagation, term by term:\n");
    let trace = net.trace(&d.x, &d.y)?;
    println!("{trace:.6}\n");
    println!("J = ½ Σ (y − ŷ)² = {:.6}\n", net.cost(&d.x, &d.y)?);

    let check = net.check_gradients(&d.x, &d.y)?;
    println!("Gradient check (Part 5), central differences with ε = 1e-4:");
    println!("  backpropagation  {}", fmt_vec(&check.analytic));
    println!("  numerical        {}", fmt_vec(&check.numerical));
    println!(
        "  ‖grad − numgrad‖ / ‖grad + numgrad‖ = {:.3e} ({} 1e-8)\n",
        check.relative_error,
        if check.relative_error < 1e-8 {
            "below"
        } else {
            "NOT below"
        }
    );

    let start = net.clone();
    println!("Gradient descent, W ← W − η·∂J/∂W with η = {LEARNING_RATE}:");
    println!("  {:>5}  {:>12}", "step", "J");
    for step in 0..=STEPS {
        if step % 50 == 0 {
            println!("  {step:>5}  {:>12.4e}", net.cost(&d.x, &d.y)?);
        }
        if step < STEPS {
            let g = net.gradients(&d.x, &d.y)?;
            net.gradient_descent_step(&g, LEARNING_RATE)?;
        }
    }

    println!("\nBFGS from the same starting weights (Part 6), J after every iteration:");
    let mut net = start;
    let report = Bfgs::default().train_with(&mut net, &d, None, |p| {
        println!("  {:>5}  {:>12.4e}", p.iteration, p.training_cost);
        ControlFlow::Continue(())
    })?;
    println!(
        "  {:?} after {} iterations and {} evaluations of J and ∂J/∂W: J = {:.3e}",
        report.stop, report.iterations, report.cost_evaluations, report.final_cost
    );

    let y_hat = net.forward(&d.x)?;
    println!("\nPredicted scores after training with BFGS (points):");
    println!(
        "  {:>6}  {:>6}  {:>6}  {:>9}",
        "sleep", "study", "real", "predicted"
    );
    for i in 0..raw.x.rows() {
        println!(
            "  {:>6}  {:>6}  {:>6}  {:>9.1}",
            raw.x[(i, 0)],
            raw.x[(i, 1)],
            raw.y[(i, 0)],
            y_hat[(i, 0)] * data::MAX_SCORE
        );
    }
    Ok(())
}

fn fmt_vec(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("{x:+.6}")).collect();
    format!("[{}]", parts.join(", "))
}
