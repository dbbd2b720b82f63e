//! Saving and loading [`Scaling`] as text, beside the network it belongs to.

use std::io::{Read, Write};

use crate::data::scaling::Columns;
use crate::data::{Scale, Scaling};
use crate::error::Error;
use crate::format::text::{Lines, push_values, read_header, read_text};

/// The first line of every saved scaling.
const HEADER: &str = "backprop scaling 1";

impl Scaling {
    /// Writes the scaling as text, to keep beside the network trained on
    /// the scaled data; [`Scaling::load`] reads it back bit for bit.
    ///
    /// # Format
    ///
    /// Version 1, in the style of [`Network::save`](crate::Network::save):
    ///
    /// ```text
    /// backprop scaling 1
    /// x max-abs 2              X: how it is scaled, and its columns
    /// shift 0 0                per column: v ↦ (v − shift) / divisor
    /// divisor 10 5
    /// y min-max 1
    /// shift 75
    /// divisor 18
    /// end
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when `writer` fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{data, Scale, Scaling};
    ///
    /// let s = Scaling::fit(&data::part1(), Scale::MaxAbs, Scale::MinMax)?;
    /// let mut file = Vec::new();
    /// s.save(&mut file)?;
    /// assert_eq!(
    ///     String::from_utf8(file.clone()).unwrap(),
    ///     "backprop scaling 1\nx max-abs 2\nshift 0 0\ndivisor 10 5\n\
    ///      y min-max 1\nshift 75\ndivisor 18\nend\n"
    /// );
    /// assert_eq!(Scaling::load(file.as_slice())?, s);
    /// # Ok::<(), backprop::Error>(())
    /// ```
    pub fn save(&self, mut writer: impl Write) -> Result<(), Error> {
        let mut out = format!("{HEADER}\n");
        for (side, columns) in [("x", &self.x), ("y", &self.y)] {
            let (name, count) = (columns.scale.name(), columns.shift.len());
            out.push_str(&format!("{side} {name} {count}\n"));
            push_values(&mut out, "shift", &columns.shift);
            push_values(&mut out, "divisor", &columns.divisor);
        }
        out.push_str("end\n");
        writer.write_all(out.as_bytes())?;
        writer.flush()?;
        Ok(())
    }

    /// Reads a scaling written by [`Scaling::save`].
    ///
    /// # Errors
    ///
    /// [`Error::Load`] with the line and what is wrong there (as for
    /// [`Network::load`](crate::Network::load), and divisors that are not
    /// greater than 0, or shifts on a side that is not `min-max`, so that
    /// a loaded scaling never divides by zero);
    /// [`Error::Io`] when `reader` fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop::{Error, Scaling};
    ///
    /// let text = "backprop scaling 1\nx unscaled 1\nshift 0\ndivisor 1\n\
    ///             y max-abs 1\nshift 0\ndivisor 0\nend\n";
    /// assert_eq!(
    ///     Scaling::load(text.as_bytes()),
    ///     Err(Error::Load { line: 7, reason: "divisors must be finite and greater than 0".into() })
    /// );
    /// ```
    pub fn load(reader: impl Read) -> Result<Scaling, Error> {
        let text = read_text(reader)?;
        let mut lines = Lines::new(&text);
        read_header(&mut lines, "scaling")?;
        let x = read_side(&mut lines, "x")?;
        let y = read_side(&mut lines, "y")?;
        let mut end = lines.next("`end`")?;
        end.keyword("end")?;
        end.end("`end`")?;
        lines.finish()?;
        Ok(Scaling { x, y })
    }
}

fn read_side(lines: &mut Lines<'_>, side: &str) -> Result<Columns, Error> {
    let mut line = lines.next(&format!("`{side}`"))?;
    line.keyword(side)?;
    let name = line.word("the scale")?;
    let scale = Scale::ALL
        .into_iter()
        .find(|s| s.name() == name)
        .ok_or_else(|| {
            line.error(format!(
                "`{name}` is not a scale: use max-abs, min-max or unscaled"
            ))
        })?;
    let count = line.count("the number of columns")?;
    line.end("the number of columns")?;
    // Two lines of `count` values follow, each value at least two bytes.
    if count > lines.bytes_left() / 4 {
        return Err(line.error(format!(
            "{count} columns need more than the {} bytes that follow",
            lines.bytes_left()
        )));
    }
    let mut shift = Vec::with_capacity(count);
    let mut divisor = Vec::with_capacity(count);
    for (keyword, out) in [("shift", &mut shift), ("divisor", &mut divisor)] {
        let mut line = lines.next(&format!("`{keyword}`"))?;
        line.keyword(keyword)?;
        line.values(count, &format!("{side}'s {keyword}"), out)?;
    }
    let side_line = line.number;
    Columns {
        scale,
        shift,
        divisor,
    }
    .validated()
    .map_err(|(offset, reason)| Error::Load {
        line: side_line + offset,
        reason: reason.into(),
    })
}
