//! A guard for OpenDocument spreadsheets: calamine builds every sheet of an .ods when
//! it opens the file, expanding `number-columns-repeated` and `number-rows-repeated`
//! into cells. A few hundred bytes of XML can ask for 16,384 × 10⁶ cells, so the
//! sheet sizes are counted from `content.xml` as a stream, before calamine opens it.

use std::io::BufReader;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// The most rows and columns calamine expands a sheet to.
const MAX_ROWS: u64 = 1_048_576;
const MAX_COLUMNS: u64 = 16_384;

/// `Err(reason)` when a sheet of the .ods would hold more than `max_cells` cells, or
/// its rows more than `max_cells` before they are laid out. A cell counts as filled
/// unless it is an empty element without a value type or formula, so the count is
/// never below what calamine builds.
pub fn check_repeats<R: std::io::Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    max_cells: u64,
) -> Result<(), String> {
    let Ok(content) = zip.by_name("content.xml") else {
        return Ok(());
    };
    let mut xml = Reader::from_reader(BufReader::new(content));
    let mut buf = Vec::new();
    let mut sheet = Sheet::default();
    loop {
        let (e, empty) = match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => (e, false),
            Ok(Event::Empty(e)) => (e, true),
            Ok(Event::End(e)) if e.name().as_ref() == "table:table-row" => {
                sheet.end_row();
                sheet.within(max_cells)?;
                buf.clear();
                continue;
            }
            Ok(Event::Eof) | Err(_) => return Ok(()), // calamine reports a broken XML
            Ok(_) => {
                buf.clear();
                continue;
            }
        };
        match e.name().as_ref() {
            "table:table" => sheet = Sheet::default(),
            "table:table-row" => {
                sheet.start_row(number(&e, "table:number-rows-repeated"));
                if empty {
                    sheet.end_row();
                }
            }
            "table:table-cell" | "table:covered-table-cell" => {
                let filled = !empty || has(&e, "office:value-type") || has(&e, "table:formula");
                sheet.cell(number(&e, "table:number-columns-repeated"), filled);
                sheet.within(max_cells)?;
            }
            _ => {}
        }
        buf.clear();
    }
}

fn has(e: &BytesStart, name: &str) -> bool {
    matches!(e.try_get_attribute(name), Ok(Some(_)))
}

/// A repeat count; one when absent, and as large as it can be when unreadable, so that
/// a count calamine would reject is not taken for a small one.
fn number(e: &BytesStart, name: &str) -> u64 {
    match e.try_get_attribute(name) {
        Ok(Some(a)) => a.value.trim().parse().unwrap_or(u64::MAX),
        _ => 1,
    }
}

/// The cells of one sheet, as calamine will hold them.
#[derive(Default)]
struct Sheet {
    /// Columns of the current row so far, and up to its last filled cell.
    cols: u64,
    filled_to: u64,
    row_repeats: u64,
    /// Rows so far (capped as calamine caps them), and the cells read into rows.
    rows: u64,
    read_cells: u64,
    /// The widest row up to its last filled cell, and the rows from the first row
    /// with a filled cell to the last.
    width: u64,
    first_filled_row: Option<u64>,
    last_filled_row: u64,
}

impl Sheet {
    fn start_row(&mut self, repeats: u64) {
        self.cols = 0;
        self.filled_to = 0;
        self.row_repeats = repeats.min(MAX_ROWS.saturating_sub(self.rows));
    }

    fn cell(&mut self, repeats: u64, filled: bool) {
        self.cols = (self.cols.saturating_add(repeats)).min(MAX_COLUMNS);
        if filled {
            self.filled_to = self.cols;
        }
    }

    fn end_row(&mut self) {
        let first = self.rows;
        self.rows = self.rows.saturating_add(self.row_repeats);
        self.read_cells = self.read_cells.saturating_add(self.filled_to);
        if self.filled_to > 0 {
            self.first_filled_row.get_or_insert(first);
            self.last_filled_row = self.rows;
            self.width = self.width.max(self.filled_to);
        }
        self.cols = 0;
        self.filled_to = 0;
        self.row_repeats = 0;
    }

    fn within(&self, max_cells: u64) -> Result<(), String> {
        let open_row = self.filled_to;
        let rows = match self.first_filled_row {
            Some(first) => self.last_filled_row - first,
            None => 0,
        };
        let laid_out = rows
            .max(u64::from(open_row > 0))
            .saturating_mul(self.width.max(open_row));
        let read = self.read_cells.saturating_add(open_row);
        if laid_out > max_cells || read > max_cells {
            return Err(format!(
                "the workbook has a sheet of at least {} rows × {} columns once its repeated cells are laid out, over the limit of {max_cells} cells; raise [limits] max_sheet_cells if it is meant",
                rows.max(1),
                self.width.max(open_row)
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn ods(rows: &str) -> Vec<u8> {
        use std::io::Write;
        let mut out = Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        z.start_file("content.xml", opts).unwrap();
        write!(
            z,
            "<office:document-content><office:body><office:spreadsheet><table:table table:name=\"S\">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"
        )
        .unwrap();
        z.finish().unwrap();
        out.into_inner()
    }

    fn check(bytes: &[u8], max_cells: u64) -> Result<(), String> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        check_repeats(&mut zip, max_cells)
    }

    #[test]
    fn trailing_empty_repeats_are_free_and_filled_ones_count() {
        let cell = "<table:table-cell office:value-type=\"float\" office:value=\"1\"/>";
        // LibreOffice pads rows and the sheet with empty repeats: not cells.
        let padded = ods(&format!(
            "<table:table-row>{cell}<table:table-cell table:number-columns-repeated=\"16383\"/></table:table-row><table:table-row table:number-rows-repeated=\"1048575\"><table:table-cell table:number-columns-repeated=\"16384\"/></table:table-row>"
        ));
        assert!(check(&padded, 100).is_ok());
        let wide = ods(
            "<table:table-row table:number-rows-repeated=\"1000\"><table:table-cell table:number-columns-repeated=\"16384\" office:value-type=\"float\" office:value=\"1\"/></table:table-row>",
        );
        let err = check(&wide, 5_000_000).unwrap_err();
        assert!(err.contains("at least 1000 rows × 16384 columns"), "{err}");
        // Filled far apart: the layout spans both.
        let apart = ods(&format!(
            "<table:table-row>{cell}</table:table-row><table:table-row table:number-rows-repeated=\"9998\"/><table:table-row><table:table-cell table:number-columns-repeated=\"999\"/>{cell}</table:table-row>"
        ));
        assert!(check(&apart, 10_000_000).is_ok());
        assert!(check(&apart, 1_000_000).is_err());
    }
}
