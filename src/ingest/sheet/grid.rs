//! A worksheet as a grid of typed cells, with merged regions filled from their top-left cell.

use calamine::{Data, Dimensions, Range};

/// One cell as the reader needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// A number shown with a percent format: 0.125 displayed as 12.5%.
    Percent(f64),
    /// A formula error (`#DIV/0!`), as Excel shows it.
    Error(String),
    /// A date or time: not a figure, but in a title area it can name the report month.
    /// Holds (year, month) of a calendar date; `None` for durations and unreadable dates.
    Date(Option<(i32, u8)>),
}

impl Cell {
    pub fn text(&self) -> Option<&str> {
        match self {
            Cell::Text(s) => Some(s.as_str()),
            _ => None,
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// A sheet's used range; `origin` is the absolute (row, col) of cell (0, 0).
#[derive(Debug)]
pub struct Grid {
    pub name: String,
    pub rows: usize,
    pub cols: usize,
    pub origin: (u32, u32),
    cells: Vec<Cell>,
}

fn cell_of(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Float(f) => Cell::Number(*f),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Bool(b) => Cell::Text(b.to_string()),
        Data::Error(e) => Cell::Error(format!("{e}")),
        Data::DateTime(d) if d.is_datetime() => {
            let (y, m, ..) = d.to_ymd_hms_milli();
            Cell::Date(Some((i32::from(y), m)))
        }
        Data::DateTimeIso(s) => Cell::Date(iso_year_month(s)),
        Data::DateTime(_) | Data::DurationIso(_) => Cell::Date(None),
    }
}

/// `2024-08-31T00:00:00` → (2024, 8), as ods stores dates.
fn iso_year_month(s: &str) -> Option<(i32, u8)> {
    let y = s.get(..4)?.parse().ok()?;
    let m: u8 = s.get(5..7)?.parse().ok()?;
    (s.as_bytes().get(4) == Some(&b'-') && (1..=12).contains(&m)).then_some((y, m))
}

impl Grid {
    pub fn new(name: &str, range: &Range<Data>, merged: &[Dimensions]) -> Grid {
        let origin = range.start().unwrap_or((0, 0));
        let (rows, cols) = (range.height(), range.width());
        let mut cells: Vec<Cell> = range.cells().map(|(_, _, d)| cell_of(d)).collect();
        cells.resize(rows * cols, Cell::Empty);
        let mut g = Grid {
            name: name.to_string(),
            rows,
            cols,
            origin,
            cells,
        };
        for m in merged {
            let (r0, c0) = (
                m.start.0.saturating_sub(origin.0) as usize,
                m.start.1.saturating_sub(origin.1) as usize,
            );
            let (r1, c1) = (
                m.end.0.saturating_sub(origin.0) as usize,
                m.end.1.saturating_sub(origin.1) as usize,
            );
            if r0 >= rows
                || c0 >= cols
                || (m.end.0 - m.start.0) as usize * (m.end.1 - m.start.1) as usize > 100_000
            {
                continue;
            }
            let v = g.get(r0, c0).clone();
            for r in r0..=r1.min(rows - 1) {
                for c in c0..=c1.min(cols - 1) {
                    if (r, c) != (r0, c0) && g.get(r, c).is_empty() {
                        g.cells[r * cols + c] = v.clone();
                    }
                }
            }
        }
        g
    }

    /// Marks a numeric cell as shown in percent (its number format has `%`).
    pub fn set_percent(&mut self, r: usize, c: usize) {
        if let Some(cell) = self.cells.get_mut(r * self.cols + c) {
            if let Cell::Number(f) = *cell {
                *cell = Cell::Percent(f);
            }
        }
    }

    pub fn get(&self, r: usize, c: usize) -> &Cell {
        self.cells
            .get(r * self.cols + c)
            .filter(|_| c < self.cols)
            .unwrap_or(&Cell::Empty)
    }

    /// `Sheet!D7` for a grid position.
    pub fn locator(&self, r: usize, c: usize) -> String {
        use std::fmt::Write;
        // One per figure of a workbook: built in place, not through `format!`.
        let mut s = String::with_capacity(self.name.len() + 12);
        s.push_str(&self.name);
        s.push('!');
        push_col_letters(&mut s, self.origin.1 as usize + c);
        let _ = write!(s, "{}", self.origin.0 as usize + r + 1);
        s
    }

    /// The non-empty texts of a row, in order.
    pub fn row_texts(&self, r: usize) -> impl Iterator<Item = (usize, &str)> {
        (0..self.cols).filter_map(move |c| {
            self.get(r, c)
                .text()
                .map(|t| (c, t.trim()))
                .filter(|(_, t)| !t.is_empty())
        })
    }

    pub fn row_is_empty(&self, r: usize) -> bool {
        (0..self.cols).all(|c| self.get(r, c).is_empty())
    }
}

/// `A`, `Z`, `AA` … for a 0-based column.
pub fn col_letters(c: usize) -> String {
    let mut s = String::new();
    push_col_letters(&mut s, c);
    s
}

/// Appends the letters of column `c` (0 → `A`, 26 → `AA`).
fn push_col_letters(s: &mut String, mut c: usize) {
    let mut letters = [0u8; 16];
    let mut n = 0;
    loop {
        letters[n] = b'A' + (c % 26) as u8;
        n += 1;
        if c < 26 || n == letters.len() {
            break;
        }
        c = c / 26 - 1;
    }
    s.extend(letters[..n].iter().rev().map(|&b| char::from(b)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(col_letters(0), "A");
        assert_eq!(col_letters(25), "Z");
        assert_eq!(col_letters(26), "AA");
        assert_eq!(col_letters(16383), "XFD");
    }
}
