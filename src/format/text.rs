//! The text both directions share: numbers written so they read back bit
//! for bit, and a line reader whose every error names its line.

use std::fmt::Write as _;
use std::io::Read;

use crate::error::Error;

/// Appends `v` in the shortest form that parses back to the same bits:
/// plain decimals from 1e-5 to 1e16, exponent form outside, so that
/// `f64::MAX` and the subnormals stay short. −0.0 is written `-0`.
pub(crate) fn push_number(out: &mut String, v: f64) {
    let magnitude = v.abs();
    // Writing to a String cannot fail.
    let _ = if magnitude == 0.0 || (1e-5..1e16).contains(&magnitude) {
        write!(out, "{v}")
    } else {
        write!(out, "{v:e}")
    };
}

/// Appends a line: `keyword`, then each value after a space, then `\n`.
pub(crate) fn push_values(out: &mut String, keyword: &str, values: &[f64]) {
    out.push_str(keyword);
    for &v in values {
        out.push(' ');
        push_number(out, v);
    }
    out.push('\n');
}

/// All of `reader`, as UTF-8 text.
pub(crate) fn read_text(mut reader: impl Read) -> Result<String, Error> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        Error::Load {
            line: 1 + valid.iter().filter(|&&b| b == b'\n').count(),
            reason: "the text is not UTF-8".into(),
        }
    })
}

/// Reads the first line, `backprop <kind> 1`: the format, the kind of
/// file and the version this crate reads.
pub(crate) fn read_header(lines: &mut Lines<'_>, kind: &str) -> Result<(), Error> {
    let header = format!("backprop {kind} 1");
    let mut line = lines.next(&format!("the header `{header}`"))?;
    if line.word("the format name").ok() != Some("backprop") {
        return Err(line.error(format!(
            "not a saved {kind}: the first line should be `{header}`"
        )));
    }
    match line.word("the kind of file")? {
        found if found == kind => {}
        other => return Err(line.error(format!("this is a saved {other}, not a {kind}"))),
    }
    let version = line.word("the format version")?;
    if version != "1" {
        return Err(line.error(format!(
            "format version {version} is not supported: this version of backprop reads version 1"
        )));
    }
    line.end("the header")
}

/// The lines of a saved file, in order, each ended by `\n` (or `\r\n`).
#[derive(Debug)]
pub(crate) struct Lines<'a> {
    rest: &'a str,
    number: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Lines {
            rest: text,
            number: 0,
        }
    }

    /// The next line, split into words. A file that ends before it, or
    /// whose last line has no line ending, was cut short.
    pub(crate) fn next(&mut self, expecting: &str) -> Result<Line<'a>, Error> {
        self.number += 1;
        if self.rest.is_empty() {
            return Err(self.error(format!("the text ends where {expecting} should be")));
        }
        let Some(end) = self.rest.find('\n') else {
            return Err(self.error(format!(
                "the line has no line ending: the text was cut short in {expecting}"
            )));
        };
        let text = &self.rest[..end];
        self.rest = &self.rest[end + 1..];
        Ok(Line {
            number: self.number,
            words: text
                .strip_suffix('\r')
                .unwrap_or(text)
                .split_ascii_whitespace(),
        })
    }

    /// How many bytes are left after the last line read: no more values
    /// than half of them can follow, since each takes a character and a
    /// separator.
    pub(crate) fn bytes_left(&self) -> usize {
        self.rest.len()
    }

    /// Succeeds when nothing follows the last line read.
    pub(crate) fn finish(&self) -> Result<(), Error> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Error::Load {
                line: self.number + 1,
                reason: "text follows `end`".into(),
            })
        }
    }

    fn error(&self, reason: String) -> Error {
        Error::Load {
            line: self.number,
            reason,
        }
    }
}

/// One line's words, read left to right.
#[derive(Debug)]
pub(crate) struct Line<'a> {
    /// The line's number, from 1.
    pub(crate) number: usize,
    words: std::str::SplitAsciiWhitespace<'a>,
}

impl<'a> Line<'a> {
    /// An error at this line.
    pub(crate) fn error(&self, reason: impl Into<String>) -> Error {
        Error::Load {
            line: self.number,
            reason: reason.into(),
        }
    }

    /// The next word, which `what` describes.
    pub(crate) fn word(&mut self, what: &str) -> Result<&'a str, Error> {
        self.words
            .next()
            .ok_or_else(|| self.error(format!("{what} is missing")))
    }

    /// Succeeds when the next word is `keyword`.
    pub(crate) fn keyword(&mut self, keyword: &str) -> Result<(), Error> {
        match self.words.next() {
            Some(word) if word == keyword => Ok(()),
            Some(word) => Err(self.error(format!("expected `{keyword}`, found `{word}`"))),
            None => Err(self.error(format!("expected `{keyword}`, found an empty line"))),
        }
    }

    /// The next word as a count.
    pub(crate) fn count(&mut self, what: &str) -> Result<usize, Error> {
        let word = self.word(what)?;
        word.parse()
            .map_err(|_| self.error(format!("{what} must be a whole number, found `{word}`")))
    }

    /// The next word as a finite number.
    pub(crate) fn number(&mut self, what: &str) -> Result<f64, Error> {
        let word = self.word(what)?;
        match word.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(_) => Err(self.error(format!("{what} must be a finite f64, found `{word}`"))),
            Err(_) => Err(self.error(format!("{what} must be a number, found `{word}`"))),
        }
    }

    /// Exactly `count` finite numbers, the rest of the line, appended to
    /// `out`; `what` names them.
    pub(crate) fn values(
        &mut self,
        count: usize,
        what: &str,
        out: &mut Vec<f64>,
    ) -> Result<(), Error> {
        for found in 0..count {
            if self.is_empty() {
                return Err(self.error(format!("{what} needs {count} values, found {found}")));
            }
            out.push(self.number(what)?);
        }
        self.end(what)
    }

    /// Whether the line has no more words.
    pub(crate) fn is_empty(&self) -> bool {
        self.words.clone().next().is_none()
    }

    /// Succeeds when the line has no more words.
    pub(crate) fn end(&mut self, what: &str) -> Result<(), Error> {
        match self.words.next() {
            None => Ok(()),
            Some(word) => Err(self.error(format!("unexpected `{word}` after {what}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(v: f64) -> String {
        let mut s = String::new();
        push_number(&mut s, v);
        s
    }

    #[test]
    fn numbers_read_back_bit_for_bit() {
        for v in [
            0.0,
            -0.0,
            0.1,
            -1.0 / 3.0,
            1e-5,
            9.999_999_999_999_999e-6,
            1e16,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::MIN_POSITIVE / 3.0,
            5e-324,
            -5e-324,
        ] {
            let s = written(v);
            assert_eq!(
                s.parse::<f64>().unwrap().to_bits(),
                v.to_bits(),
                "{v:e} as {s}"
            );
        }
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(written(0.5), "0.5");
        assert_eq!(written(-0.0), "-0");
        assert_eq!(written(f64::MAX), "1.7976931348623157e308");
        assert_eq!(written(5e-324), "5e-324");
        assert_eq!(written(1e16), "1e16");
    }

    #[test]
    fn lines_name_their_numbers() {
        let mut lines = Lines::new("a 1\r\nb x\nc");
        let mut first = lines.next("a").unwrap();
        first.keyword("a").unwrap();
        assert_eq!(first.number("one").unwrap(), 1.0);
        let mut second = lines.next("b").unwrap();
        second.keyword("b").unwrap();
        assert_eq!(
            second.number("two"),
            Err(Error::Load {
                line: 2,
                reason: "two must be a number, found `x`".into()
            })
        );
        assert!(matches!(lines.next("c"), Err(Error::Load { line: 3, .. })));
    }
}
