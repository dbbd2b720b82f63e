//! Saving and loading [`Network`] and [`TwoLayerNet`] as text.

use std::io::{Read, Write};

use crate::activation::Activation;
use crate::cost::Cost;
use crate::error::Error;
use crate::format::text::{Lines, push_number, push_values, read_header, read_text};
use crate::matrix::Matrix;
use crate::net::{Network, TwoLayerNet};

/// The first line of every saved network.
const HEADER: &str = "backprop network 1";

impl Network {
    /// Writes the network as text a person can read and diff, from which
    /// [`Network::load`] rebuilds it bit for bit.
    ///
    /// # Format
    ///
    /// Version 1 is a sequence of lines, each a keyword and its values
    /// separated by spaces, and ended by `\n`:
    ///
    /// ```text
    /// backprop network 1            format name and version
    /// sizes 2 3 1                   inputs, units of each layer
    /// cost regularised 0.0001       or: sum-of-squares, cross-entropy,
    ///                               regularised-cross-entropy 0.0001
    /// layer 1 tanh bias             layer l: its activation, bias or no-bias
    /// W 0.5 -1 0.25                 one line per row of W(1): 2 rows of 3
    /// W 1.5 0.75 -0.5
    /// b 0.1 0 -0.1                  b(1), present because of `bias`
    /// layer 2 sigmoid no-bias
    /// W 1                           W(2): 3 rows of 1
    /// W -2
    /// W 0.5
    /// end
    /// ```
    ///
    /// Activations are named `sigmoid`, `tanh`, `relu`, `identity` or
    /// `softmax`.
    /// Numbers are the shortest decimals that read back to the same `f64`
    /// (`-0` for −0.0, exponent form below 1e-5 and from 1e16 up, so
    /// subnormals and `f64::MAX` keep every bit). The same network always
    /// gives the same bytes.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when `writer` fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Activation, Network};
    ///
    /// let net = Network::builder(2).biased_layer(3, Activation::Tanh).layer(1, Activation::Sigmoid).build()?;
    /// let mut file = Vec::new();
    /// net.save(&mut file)?;
    /// assert!(file.starts_with(b"backprop network 1\nsizes 2 3 1\n"));
    /// assert_eq!(Network::load(file.as_slice())?, net);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn save(&self, mut writer: impl Write) -> Result<(), Error> {
        writer.write_all(self.to_text().as_bytes())?;
        writer.flush()?;
        Ok(())
    }

    fn to_text(&self) -> String {
        let mut out = String::new();
        out.push_str(HEADER);
        out.push_str("\nsizes");
        for size in self.sizes() {
            out.push_str(&format!(" {size}"));
        }
        out.push_str("\ncost ");
        match self.cost_function() {
            Cost::SumOfSquares => out.push_str("sum-of-squares"),
            Cost::Regularised { lambda } => {
                out.push_str("regularised ");
                push_number(&mut out, lambda);
            }
            Cost::CrossEntropy => out.push_str("cross-entropy"),
            Cost::RegularisedCrossEntropy { lambda } => {
                out.push_str("regularised-cross-entropy ");
                push_number(&mut out, lambda);
            }
        }
        out.push('\n');
        for (k, layer) in self.layers().iter().enumerate() {
            let bias = if layer.bias.is_some() {
                "bias"
            } else {
                "no-bias"
            };
            out.push_str(&format!("layer {} {} {bias}\n", k + 1, layer.activation));
            for i in 0..layer.weights.rows() {
                push_values(&mut out, "W", layer.weights.row(i));
            }
            if let Some(b) = &layer.bias {
                push_values(&mut out, "b", b.as_slice());
            }
        }
        out.push_str("end\n");
        out
    }

    /// Reads a network written by [`Network::save`] (see there for the
    /// format), validated as [`Network::from_weights`],
    /// [`Network::with_bias`] and [`Network::with_cost`] validate.
    ///
    /// The sizes are checked against the length of the text before any
    /// weights are stored, so a file claiming 10¹² weights is rejected
    /// without allocating for them.
    ///
    /// # Errors
    ///
    /// - [`Error::Load`] with the line and what is wrong there: an empty or
    ///   truncated text, another format or version, a missing or extra
    ///   value, NaN, ∞ or a number beyond `f64` (such as `1e999`), sizes
    ///   the values that follow do not match, λ out of range, or text that
    ///   is not UTF-8;
    /// - [`Error::Io`] when `reader` fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::Network;
    ///
    /// let text = "backprop network 1\nsizes 1 1\ncost sum-of-squares\n\
    ///             layer 1 identity no-bias\nW 2.5\nend\n";
    /// let net = Network::load(text.as_bytes())?;
    /// assert_eq!(net.layers()[0].weights()[(0, 0)], 2.5);
    ///
    /// let err = Network::load(text.replace("2.5", "1e999").as_bytes()).unwrap_err();
    /// assert_eq!(err.to_string(), "line 5: W(1) must be a finite f64, found `1e999`");
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn load(reader: impl Read) -> Result<Network, Error> {
        Ok(parse(&read_text(reader)?)?.net)
    }
}

impl TwoLayerNet {
    /// Writes the network in [`Network::save`]'s format, as the two-layer
    /// [`Network`] it is: either type loads the file.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when `writer` fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Cost, TwoLayerNet};
    ///
    /// let net = TwoLayerNet::random(2, 3, 1, 42)?.with_cost(Cost::Regularised { lambda: 1e-4 })?;
    /// let mut file = Vec::new();
    /// net.save(&mut file)?;
    /// let text = String::from_utf8(file.clone()).unwrap();
    /// assert!(text.contains("\ncost regularised 0.0001\nlayer 1 sigmoid no-bias\n"));
    /// assert_eq!(TwoLayerNet::load(file.as_slice())?, net);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn save(&self, writer: impl Write) -> Result<(), Error> {
        self.network().save(writer)
    }

    /// Reads a network written by [`TwoLayerNet::save`], or by
    /// [`Network::save`] for a network of two sigmoid layers without
    /// biases, validated as [`TwoLayerNet::from_weights`] validates.
    ///
    /// # Errors
    ///
    /// Those of [`Network::load`], and [`Error::Load`] naming the line of
    /// a layer when the network is not two sigmoid layers without biases.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Error, Network, TwoLayerNet};
    ///
    /// let deep = Network::random(&[2, 3, 3, 1], 0)?;
    /// let mut file = Vec::new();
    /// deep.save(&mut file)?;
    /// let err = TwoLayerNet::load(file.as_slice()).unwrap_err();
    /// assert_eq!(
    ///     err,
    ///     Error::Load { line: 2, reason: "a TwoLayerNet has 2 layers, this network has 3".into() }
    /// );
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn load(reader: impl Read) -> Result<TwoLayerNet, Error> {
        let Parsed { net, layer_lines } = parse(&read_text(reader)?)?;
        TwoLayerNet::from_network(net).map_err(|(layer, reason)| Error::Load {
            // The `sizes` line for the depth, else the layer's own line.
            line: layer.checked_sub(1).map_or(2, |k| layer_lines[k]),
            reason,
        })
    }
}

/// A network read from text, and the line of each of its `layer` lines.
struct Parsed {
    net: Network,
    layer_lines: Vec<usize>,
}

fn parse(text: &str) -> Result<Parsed, Error> {
    let mut lines = Lines::new(text);
    read_header(&mut lines, "network")?;
    let sizes = read_sizes(&mut lines)?;
    let cost = read_cost(&mut lines)?;
    let mut weights = Vec::new();
    let mut layers = Vec::new();
    for (k, pair) in sizes.windows(2).enumerate() {
        let layer = k + 1;
        let mut line = lines.next(&format!("layer {layer}"))?;
        layers.push(line.number);
        line.keyword("layer")?;
        let number = line.count("the layer's number")?;
        if number != layer {
            return Err(line.error(format!("expected layer {layer}, found layer {number}")));
        }
        let name = line.word("the activation")?;
        let activation = Activation::ALL
            .into_iter()
            .find(|a| a.name() == name)
            .ok_or_else(|| {
                line.error(format!(
                    "`{name}` is not an activation: use sigmoid, tanh, relu, identity or softmax"
                ))
            })?;
        let biased = match line.word("`bias` or `no-bias`")? {
            "bias" => true,
            "no-bias" => false,
            other => {
                return Err(line.error(format!("expected `bias` or `no-bias`, found `{other}`")));
            }
        };
        line.end("the layer's bias")?;
        let (rows, cols) = (pair[0], pair[1]);
        let w = read_rows(&mut lines, "W", rows, cols, &format!("W({layer})"))?;
        let b = if biased {
            Some(read_rows(&mut lines, "b", 1, cols, &format!("b({layer})"))?)
        } else {
            None
        };
        weights.push((w, b, activation));
    }
    let mut end = lines.next("`end`")?;
    end.keyword("end")?;
    end.end("`end`")?;
    lines.finish()?;
    let net = Network::assemble(weights, cost).map_err(|e| Error::Load {
        // A layer the cost cannot serve is named at its own line.
        line: match e {
            Error::Unsupported { layer, .. } => layers[layer - 1],
            _ => 2,
        },
        reason: e.to_string(),
    })?;
    Ok(Parsed {
        net,
        layer_lines: layers,
    })
}

/// The sizes line, checked against the bytes that follow before anything
/// is allocated for the weights.
fn read_sizes(lines: &mut Lines<'_>) -> Result<Vec<usize>, Error> {
    let mut line = lines.next("`sizes`")?;
    line.keyword("sizes")?;
    let mut sizes = Vec::new();
    while !line.is_empty() {
        let size = line.count("a size")?;
        if size == 0 {
            return Err(line.error("every layer needs at least one unit: a size is 0"));
        }
        sizes.push(size);
    }
    if sizes.len() < 2 {
        return Err(line.error("`sizes` needs the inputs and at least one layer"));
    }
    let weights = sizes.windows(2).try_fold(0usize, |sum, pair| {
        sum.checked_add(pair[0].checked_mul(pair[1])?)
    });
    match weights {
        Some(n) if n <= lines.bytes_left() / 2 => Ok(sizes),
        _ => Err(line.error(format!(
            "the sizes call for more weights than the {} bytes that follow can hold",
            lines.bytes_left()
        ))),
    }
}

fn read_cost(lines: &mut Lines<'_>) -> Result<Cost, Error> {
    let mut line = lines.next("`cost`")?;
    line.keyword("cost")?;
    let cost = match line.word("the cost")? {
        "sum-of-squares" => Cost::SumOfSquares,
        "regularised" => Cost::Regularised {
            lambda: line.number("λ")?,
        },
        "cross-entropy" => Cost::CrossEntropy,
        "regularised-cross-entropy" => Cost::RegularisedCrossEntropy {
            lambda: line.number("λ")?,
        },
        other => {
            return Err(line.error(format!(
                "`{other}` is not a cost: use sum-of-squares, regularised, cross-entropy \
                 or regularised-cross-entropy"
            )));
        }
    };
    line.end("the cost")?;
    cost.validated()
        .map_err(|_| line.error("λ must be finite and at least 0"))
}

/// `rows` lines of `cols` values, each line starting with `keyword`.
fn read_rows(
    lines: &mut Lines<'_>,
    keyword: &str,
    rows: usize,
    cols: usize,
    what: &str,
) -> Result<Matrix, Error> {
    let mut data = Vec::with_capacity(rows * cols);
    for i in 0..rows {
        let row = if rows == 1 {
            what.to_owned()
        } else {
            format!("row {} of {what}", i + 1)
        };
        let mut line = lines.next(&row)?;
        line.keyword(keyword)?;
        line.values(cols, &row, &mut data)?;
    }
    Matrix::new(rows, cols, data)
}
