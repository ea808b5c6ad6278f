//! A guard for OLE compound files (.xls): every sector chain must end. A chain that
//! loops back makes calamine append sectors without end (found by the `sheet` fuzz
//! target: a 5 KB file asked for 4 GB), so a cyclic or dangling chain is refused
//! before the file is opened.

const FREE: u32 = 0xFFFF_FFFF;
const END: u32 = 0xFFFF_FFFE;
const SPECIAL: u32 = 0xFFFF_FFFA; // FATSECT, DIFSECT and above are markers, not sectors

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// The sector size and FAT of a compound file whose chains all end.
struct Tables {
    size: usize,
    fat: Vec<u32>,
    /// The DIFAT and FAT sectors, in the order calamine reads them.
    fat_sectors: Vec<u32>,
}

fn tables(bytes: &[u8]) -> Result<Tables, String> {
    let bad = |what: &str| {
        Err(format!(
            "corrupt OLE container: {what}; the file cannot be read safely"
        ))
    };
    let shift = match bytes.get(0x1E..0x20) {
        Some(s) => u16::from_le_bytes([s[0], s[1]]),
        None => return bad("no header"),
    };
    if !(7..=16).contains(&shift) {
        return bad("impossible sector size");
    }
    let size = 1usize << shift;
    let sector = |id: u32| sector_of(bytes, size, id);
    let n_sectors = bytes.len() / size;
    // The FAT's own sectors: 109 in the header, then the DIFAT chain.
    let mut fat_ids: Vec<u32> = (0..109)
        .filter_map(|i| u32_at(bytes, 0x4C + 4 * i))
        .filter(|id| *id < SPECIAL)
        .collect();
    let mut difat = u32_at(bytes, 0x44).unwrap_or(END);
    let mut difat_ids = Vec::new();
    let mut hops = 0;
    while difat < SPECIAL {
        hops += 1;
        if hops > n_sectors {
            return bad("a looping DIFAT chain");
        }
        let Some(s) = sector(difat) else {
            return bad("a DIFAT sector beyond the end of the file");
        };
        difat_ids.push(difat);
        let per = size / 4;
        fat_ids.extend(
            (0..per - 1)
                .filter_map(|i| u32_at(s, 4 * i))
                .filter(|id| *id < SPECIAL),
        );
        difat = u32_at(s, 4 * (per - 1)).unwrap_or(END);
    }
    let mut fat: Vec<u32> = Vec::new();
    for &id in &fat_ids {
        let Some(s) = sector(id) else {
            return bad("a FAT sector beyond the end of the file");
        };
        fat.extend((0..size / 4).filter_map(|i| u32_at(s, 4 * i)));
    }
    acyclic(&fat, "the FAT")?;
    // The mini FAT lives in a FAT chain; its own chains must end too.
    let mut mini: Vec<u32> = Vec::new();
    for id in chain(&fat, u32_at(bytes, 0x3C).unwrap_or(END)) {
        let Some(s) = sector(id) else {
            return bad("a mini FAT sector beyond the end of the file");
        };
        mini.extend((0..size / 4).filter_map(|i| u32_at(s, 4 * i)));
    }
    acyclic(&mini, "the mini FAT")?;
    difat_ids.extend(fat_ids);
    Ok(Tables {
        size,
        fat,
        fat_sectors: difat_ids,
    })
}

fn sector_of(bytes: &[u8], size: usize, id: u32) -> Option<&[u8]> {
    let start = (id as usize).checked_add(1)?.checked_mul(size)?;
    bytes.get(start..start.checked_add(size)?)
}

/// The sectors of a chain (its table is known to be acyclic).
fn chain(table: &[u32], start: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut id = start;
    while id < SPECIAL && (id as usize) < table.len() && out.len() <= table.len() {
        out.push(id);
        id = table[id as usize];
    }
    if id < SPECIAL && (id as usize) >= table.len() && out.len() <= table.len() {
        out.push(id); // a last sector the table does not cover: read it, if it exists
    }
    out
}

/// The sectors after the header as calamine's `Sectors` reads them: a sector cut short
/// by the end of the file is read as far as it goes, and `read_to` remembers how far
/// the file has been read (calamine's mini sectors continue from there).
struct Sectors<'a> {
    data: &'a [u8],
    size: usize,
    max_id: usize,
    read_to: usize,
}

impl Sectors<'_> {
    fn get(&mut self, id: u32) -> Option<&[u8]> {
        let id = id as usize;
        if id > self.max_id {
            return None;
        }
        let start = id.checked_mul(self.size)?;
        if start >= self.data.len() {
            return None;
        }
        let end = (start + self.size).min(self.data.len());
        self.read_to = self.read_to.max(end);
        Some(&self.data[start..end])
    }

    /// A chain of `len` bytes at most, as calamine's `get_chain` follows it; `None`
    /// where calamine fails (a sector past the end, a link outside the table).
    fn chain(&mut self, start: u32, table: &[u32], len: usize) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut id = start;
        let mut hops = 0;
        while id != END {
            hops += 1;
            if hops > table.len() + 1 {
                return None;
            }
            let sector = self.get(id)?;
            let take = sector.len().min(len - out.len());
            out.extend_from_slice(&sector[..take]);
            if out.len() >= len {
                break;
            }
            id = *table.get(id as usize)?;
        }
        Some(out)
    }
}

/// The `Workbook` (BIFF8) or `Book` (BIFF5) stream of an .xls, read the way calamine's
/// `Cfb` reads it, quirks included, so that the records checked are the records
/// calamine will parse.
fn workbook_stream(bytes: &[u8], t: &Tables) -> Option<Vec<u8>> {
    let header = t.size.max(512);
    let mut main = Sectors {
        data: bytes.get(header..)?,
        size: t.size,
        max_id: bytes.len() / t.size,
        read_to: 0,
    };
    // Calamine reads the FAT sectors first; their reads move the file position.
    for &id in &t.fat_sectors {
        main.get(id);
    }
    let dir = main.chain(u32_at(bytes, 0x30)?, &t.fat, usize::MAX)?;
    let large = t.size == 4096;
    let entries: Vec<(String, u32, usize)> = dir
        .chunks_exact(128)
        .map(|e| {
            let units: Vec<u16> = e[..64]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            let mut name = String::from_utf16_lossy(&units);
            if let Some(nul) = name.find('\0') {
                name.truncate(nul);
            }
            let start = u32_at(e, 116).unwrap_or(END);
            let len = if large {
                e.get(120..128).map_or(0, |b| {
                    u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as usize
                })
            } else {
                u32_at(e, 120).unwrap_or(0) as usize
            };
            (name, start, len)
        })
        .collect();
    let (_, root_start, root_len) = entries.first()?.clone();
    let (_, start, len) = ["Workbook", "Book"].iter().find_map(|want| {
        entries
            .iter()
            .find(|(name, _, _)| name.eq_ignore_ascii_case(want))
            .cloned()
    })?;
    if len >= 4096 {
        return main.chain(start, &t.fat, len);
    }
    // In the mini stream: 64-byte sectors of the root entry's chain, which calamine
    // extends with whatever follows in the file when a mini sector lies past it.
    let mini_fat_len = u32_at(bytes, 0x40)? as usize;
    let (mini_fat, mut mini_data) = if mini_fat_len > 0 {
        let stream = main.chain(root_start, &t.fat, root_len)?;
        let table = main.chain(
            u32_at(bytes, 0x3C)?,
            &t.fat,
            mini_fat_len.saturating_mul(t.size),
        )?;
        let table: Vec<u32> = table
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        (table, stream)
    } else {
        (Vec::new(), Vec::new())
    };
    mini_data.extend_from_slice(main.data.get(main.read_to..).unwrap_or(&[]));
    let mut mini = Sectors {
        data: &mini_data,
        size: 64,
        max_id: main.max_id.saturating_mul(8),
        read_to: 0,
    };
    mini.chain(start, &mini_fat, len)
}

/// The records of a BIFF stream from some offset, as calamine's `RecordIter` cuts
/// them: `(type, body)`, ending at the first record that runs past the stream.
fn records(stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let h = stream.get(pos..pos.checked_add(4)?)?;
        let typ = u16::from_le_bytes([h[0], h[1]]);
        let len = usize::from(u16::from_le_bytes([h[2], h[3]]));
        let body = stream.get(pos + 4..pos + 4 + len)?;
        pos += 4 + len;
        Some((typ, body))
    })
}

/// The rows × columns calamine reserves for a DIMENSIONS body, computed as it does
/// (u32 arithmetic that wraps when the last row is before the first).
fn declared_cells(body: &[u8]) -> Option<(u64, u64)> {
    let u16_at = |i: usize| u32::from(u16::from_le_bytes([body[i], body[i + 1]]));
    let (rf, rl, mut cf, cl) = match body.len() {
        10 => (u16_at(0), u16_at(2), u16_at(4), u16_at(6)),
        14 | 16 => (u32_at(body, 0)?, u32_at(body, 4)?, u16_at(8), u16_at(10)),
        _ => return None,
    };
    if 0xFF < cf || cl < cf {
        cf = 0;
    }
    let (end_r, end_c) = if rl >= 1 && cl >= 1 {
        (rl - 1, cl - 1)
    } else {
        (rf, cf)
    };
    let rows = end_r.wrapping_sub(rf).wrapping_add(1);
    let cols = end_c.wrapping_sub(cf).wrapping_add(1);
    Some((u64::from(rows), u64::from(cols)))
}

/// The sheet sizes an .xls declares in its DIMENSIONS records (type 0x0200): calamine
/// reserves rows × columns cells for each before reading one (found by the `sheet`
/// fuzz target: a 5 KB file declaring 10⁹ rows made it reserve 214 GB). Each sheet
/// is walked from the offset its BoundSheet record gives, as calamine walks it, so a
/// record hidden from a front-to-back walk (an offset into the middle of another
/// record) is seen too.
///
/// `Err(reason)` too when a chain of the file's FAT or mini FAT never ends.
pub fn check(bytes: &[u8], max_cells: u64) -> Result<(), String> {
    let t = tables(bytes)?;
    let Some(stream) = workbook_stream(bytes, &t) else {
        return Ok(()); // calamine says what is wrong
    };
    let offsets: Vec<usize> = records(&stream)
        .take_while(|(typ, _)| *typ != 0x000A)
        .filter(|(typ, _)| *typ == 0x0085)
        .filter_map(|(_, body)| u32_at(body, 0))
        .map(|pos| pos as usize)
        .collect();
    for pos in offsets {
        if let Some(sheet) = stream.get(pos..) {
            check_sheet(sheet, max_cells)?;
        }
    }
    Ok(())
}

/// One sheet's substream: its DIMENSIONS and the bounding box of its cell records
/// (calamine sizes the sheet's range from that box), skipping nested substreams.
fn check_sheet(sheet: &[u8], max_cells: u64) -> Result<(), String> {
    let mut bbox: Option<(u64, u64, u64, u64)> = None;
    let mut seen_bof = false;
    let mut depth = 0usize;
    for (typ, body) in records(sheet) {
        if depth > 0 {
            match typ {
                0x0809 => depth += 1,
                0x000A => depth -= 1,
                _ => {}
            }
            continue;
        }
        match typ {
            0x0809 if seen_bof => depth += 1,
            0x0809 => seen_bof = true,
            0x000A => break,
            0x0200 => {
                if let Some((rows, cols)) = declared_cells(body) {
                    if rows.saturating_mul(cols) > max_cells {
                        return Err(format!(
                            "the workbook declares a sheet of {rows} rows × {cols} columns, over the limit of {max_cells} cells; raise [limits] max_sheet_cells if it is meant"
                        ));
                    }
                }
            }
            // Cell records: row and column first; MULRK and MULBLANK end with their last column.
            0x0006 | 0x00BD | 0x00BE | 0x00D6 | 0x00FD | 0x0201 | 0x0203 | 0x0204 | 0x0205
            | 0x027E
                if body.len() >= 4 =>
            {
                let row = u64::from(u16::from_le_bytes([body[0], body[1]]));
                let col = u64::from(u16::from_le_bytes([body[2], body[3]]));
                let n = body.len();
                let last = if matches!(typ, 0x00BD | 0x00BE) && n >= 6 {
                    u64::from(u16::from_le_bytes([body[n - 2], body[n - 1]]))
                } else {
                    col
                };
                let (r0, r1, c0, c1) = bbox.unwrap_or((row, row, col, col));
                let b = (
                    r0.min(row),
                    r1.max(row),
                    c0.min(col).min(last),
                    c1.max(col).max(last),
                );
                bbox = Some(b);
                let (rows, cols) = (b.1 - b.0 + 1, b.3 - b.2 + 1);
                if rows.saturating_mul(cols) > max_cells {
                    return Err(format!(
                        "the workbook has cells spanning {rows} rows × {cols} columns of one sheet, over the limit of {max_cells} cells; raise [limits] max_sheet_cells if it is meant"
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Every chain of a sector table ends: following `next` from any sector reaches an
/// end marker (or a free or out-of-range entry, which readers reject) without a loop.
fn acyclic(next: &[u32], what: &str) -> Result<(), String> {
    // 0 unvisited, 1 on the current path, 2 known to end.
    let mut state = vec![0u8; next.len()];
    for start in 0..next.len() {
        if state[start] != 0 {
            continue;
        }
        let mut path = Vec::new();
        let mut at = start;
        loop {
            match state[at] {
                2 => break,
                1 => {
                    return Err(format!(
                        "corrupt OLE container: a sector chain of {what} loops back on itself; the file cannot be read safely"
                    ))
                }
                _ => {}
            }
            state[at] = 1;
            path.push(at);
            let n = next[at];
            if n == END || n == FREE || n >= SPECIAL || n as usize >= next.len() {
                break;
            }
            at = n as usize;
        }
        for p in path {
            state[p] = 2;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_that_end_pass_and_loops_fail() {
        assert!(acyclic(&[1, 2, END, FREE, 3, 0], "t").is_ok());
        assert!(acyclic(&[1, 2, END, FREE], "t").is_ok());
        assert!(acyclic(&[1, 2, 0], "t").is_err());
        assert!(acyclic(&[0], "t").is_err());
        assert!(acyclic(&[END, 0, 1], "t").is_ok());
    }
}
