//! The UCI handwritten digits, carried in the crate.

use super::{DataSet, one_hot};
use crate::matrix::Matrix;

/// The text of `digits.txt`: a header of `#` lines, then one image a line.
const TEXT: &str = include_str!("digits.txt");

/// Images in the file, and pixels in each.
const IMAGES: usize = 1797;
const PIXELS: usize = 64;

/// The UCI handwritten digits: 1,797 images of 8 × 8 pixels, each pixel a
/// count of 0 to 16, and the digit each shows.
///
/// X holds one image a row, its pixels row by row divided by 16, so that
/// each lies in \[0, 1\]; y holds the digit as a one-hot row of 10
/// ([`data::classes`](crate::data::classes()) gives the digits back). The
/// images are in the order scikit-learn's `load_digits` gives them, so
/// [`DataSet::split_stratified`] and scikit-learn's `train_test_split`
/// see the same data.
///
/// Source: E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten
/// Digits", 1998, UCI Machine Learning Repository,
/// <https://doi.org/10.24432/C50P49>, licensed
/// [CC BY 4.0](https://creativecommons.org/licenses/by/4.0/).
///
/// # Panics
///
/// Never: the file is part of the crate, and its tests read it.
///
/// # Examples
///
/// ```
/// use backprop::data;
///
/// let d = data::digits();
/// assert_eq!((d.x.shape(), d.y.shape()), ((1797, 64), (1797, 10)));
/// assert_eq!(data::classes(&d.y)[..5], [0, 1, 2, 3, 4]);
/// ```
#[must_use]
pub fn digits() -> DataSet {
    let (pixels, labels) = parse(TEXT).expect("the crate's digits file is well formed");
    let x = Matrix::new(labels.len(), PIXELS, pixels).expect("64 pixels an image");
    let y = one_hot(&labels, 10).expect("digits are 0 to 9");
    DataSet { x, y }
}

/// The pixels / 16 of every image and its digit, or the first line that
/// does not read as one.
fn parse(text: &str) -> Result<(Vec<f64>, Vec<usize>), usize> {
    let mut pixels = Vec::with_capacity(IMAGES * PIXELS);
    let mut labels = Vec::with_capacity(IMAGES);
    for (k, line) in text.lines().enumerate() {
        if line.starts_with('#') {
            continue;
        }
        let (label, image) = line.split_once(' ').ok_or(k + 1)?;
        let label: usize = label.parse().map_err(|_| k + 1)?;
        if label > 9 || image.len() != PIXELS {
            return Err(k + 1);
        }
        for c in image.chars() {
            let count = c.to_digit(17).ok_or(k + 1)?;
            pixels.push(f64::from(count) / 16.0);
        }
        labels.push(label);
    }
    if labels.len() == IMAGES {
        Ok((pixels, labels))
    } else {
        Err(text.lines().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_holds_every_image() {
        let (pixels, labels) = parse(TEXT).unwrap();
        assert_eq!((pixels.len(), labels.len()), (IMAGES * PIXELS, IMAGES));
        // Per digit, as the data set's description counts them.
        let mut counts = [0; 10];
        labels.iter().for_each(|&l| counts[l] += 1);
        assert_eq!(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
        assert!(pixels.iter().all(|&p| (0.0..=1.0).contains(&p)));
        assert!(pixels.contains(&1.0));
        // The first image, a 0, as scikit-learn's load_digits()[0] prints it:
        // [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, …].
        let first: Vec<f64> = pixels[..16].iter().map(|p| p * 16.0).collect();
        let want = [
            0., 0., 5., 13., 9., 1., 0., 0., 0., 0., 13., 15., 10., 15., 5., 0.,
        ];
        assert_eq!(first, want);
    }

    #[test]
    fn malformed_lines_are_named() {
        assert_eq!(parse("# header\n1 00\n"), Err(2));
        assert_eq!(parse(&format!("x {}\n", "0".repeat(64))), Err(1));
        assert_eq!(parse(&format!("1 {}h\n", "0".repeat(63))), Err(1));
        assert_eq!(parse(&format!("1 {}\n", "0".repeat(64))), Err(1));
    }
}
