//! Weights copied onto cache lines for the product kernels, and buffers
//! sized in whole lines.

use crate::gemm::{LINE, on_lines};
use crate::layer::Layer;

/// `len` rounded up to whole cache lines.
pub(super) fn lines_for(len: usize) -> usize {
    len.next_multiple_of(LINE)
}

/// Grows `buf` to hold `len` values from a cache line on.
pub(super) fn grow(buf: &mut Vec<f64>, len: usize) {
    if buf.len() < len + LINE - 1 {
        buf.resize(len + LINE - 1, 0.0);
    }
}

/// Copies into `lined` the weights of `layers` that need to be on cache
/// lines, and notes in `copies` where each layer's copy starts, if it has
/// one.
pub(super) fn line_up(layers: &[Layer], lined: &mut Vec<f64>, copies: &mut Vec<Option<usize>>) {
    // The product kernels read rows of W in place, 8 values at a time:
    // where W's rows could start on cache lines but its storage does not,
    // a copy that does.
    copies.clear();
    let mut len = 0;
    for layer in layers {
        let w = layer.weights.as_slice();
        let aligned = (w.as_ptr() as usize).is_multiple_of(LINE * size_of::<f64>());
        if layer.units().is_multiple_of(LINE) && !aligned {
            copies.push(Some(len));
            len += lines_for(w.len());
        } else {
            copies.push(None);
        }
    }
    if len == 0 {
        return;
    }
    grow(lined, len);
    let lined = on_lines(lined);
    for (layer, at) in layers.iter().zip(copies.iter()) {
        if let Some(at) = *at {
            let w = layer.weights.as_slice();
            lined[at..at + w.len()].copy_from_slice(w);
        }
    }
}
