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

/// The sector size, FAT and mini FAT of a compound file; `Err` when a chain never ends.
struct Tables {
    size: usize,
    fat: Vec<u32>,
    mini: Vec<u32>,
}

/// `Err(reason)` when a chain of the file's FAT or mini FAT never ends.
pub fn check_chains(bytes: &[u8]) -> Result<(), String> {
    tables(bytes).map(|_| ())
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
    let mut hops = 0;
    while difat < SPECIAL {
        hops += 1;
        if hops > n_sectors {
            return bad("a looping DIFAT chain");
        }
        let Some(s) = sector(difat) else {
            return bad("a DIFAT sector beyond the end of the file");
        };
        let per = size / 4;
        fat_ids.extend(
            (0..per - 1)
                .filter_map(|i| u32_at(s, 4 * i))
                .filter(|id| *id < SPECIAL),
        );
        difat = u32_at(s, 4 * (per - 1)).unwrap_or(END);
    }
    let mut fat: Vec<u32> = Vec::new();
    for id in fat_ids {
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
    Ok(Tables { size, fat, mini })
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

/// The `Workbook` (BIFF8) or `Book` (BIFF5) stream of an .xls, as one buffer.
fn workbook_stream(bytes: &[u8], t: &Tables) -> Option<Vec<u8>> {
    let dir: Vec<u8> = chain(&t.fat, u32_at(bytes, 0x30)?)
        .into_iter()
        .filter_map(|id| sector_of(bytes, t.size, id))
        .flatten()
        .copied()
        .collect();
    let entries: Vec<&[u8]> = dir.chunks_exact(128).collect();
    let name = |e: &[u8]| {
        let n = (usize::from(u16::from_le_bytes([e[64], e[65]])) / 2)
            .saturating_sub(1)
            .min(32);
        String::from_utf16_lossy(
            &(0..n)
                .map(|i| u16::from_le_bytes([e[2 * i], e[2 * i + 1]]))
                .collect::<Vec<_>>(),
        )
    };
    let book = entries
        .iter()
        .find(|e| e[66] == 2 && matches!(name(e).as_str(), "Workbook" | "Book"))?;
    let start = u32_at(book, 116)?;
    let len = u32_at(book, 120)? as usize;
    let mut out = Vec::new();
    if len < 4096 {
        // In the mini stream: 64-byte sectors inside the root entry's chain.
        let root = entries.first()?;
        let mini_stream: Vec<u8> = chain(&t.fat, u32_at(root, 116)?)
            .into_iter()
            .filter_map(|id| sector_of(bytes, t.size, id))
            .flatten()
            .copied()
            .collect();
        for id in chain(&t.mini, start) {
            let at = (id as usize).checked_mul(64)?;
            out.extend_from_slice(mini_stream.get(at..at + 64)?);
        }
    } else {
        for id in chain(&t.fat, start) {
            out.extend_from_slice(sector_of(bytes, t.size, id)?);
        }
    }
    out.truncate(len);
    Some(out)
}

/// The sheet sizes an .xls declares in its DIMENSIONS records (type 0x0200): calamine
/// reserves rows × columns cells for each before reading one (found by the `sheet`
/// fuzz target: a 5 KB file declaring 10⁹ rows made it reserve 214 GB). The
/// Workbook stream is walked record by record, as calamine will.
pub fn check_dimensions(bytes: &[u8], max_cells: u64) -> Result<(), String> {
    let Ok(t) = tables(bytes) else { return Ok(()) };
    let Some(stream) = workbook_stream(bytes, &t) else {
        return Ok(()); // calamine says what is wrong
    };
    let mut pos = 0;
    // The bounding box of each sheet's cell records (a sheet starts at a BOF record).
    let mut bbox: Option<(u64, u64, u64, u64)> = None;
    while let Some(h) = stream.get(pos..pos + 4) {
        let typ = u16::from_le_bytes([h[0], h[1]]);
        let len = usize::from(u16::from_le_bytes([h[2], h[3]]));
        let body = stream.get(pos + 4..pos + 4 + len);
        pos += 4 + len;
        let Some(body) = body else { break };
        if typ == 0x0809 {
            bbox = None;
        }
        // Cell records: row and column first; MULRK and MULBLANK end with their last column.
        if matches!(
            typ,
            0x0006 | 0x00BD | 0x00BE | 0x00D6 | 0x00FD | 0x0201 | 0x0203 | 0x0204 | 0x0205 | 0x027E
        ) && body.len() >= 4
        {
            let row = u64::from(u16::from_le_bytes([body[0], body[1]]));
            let col = u64::from(u16::from_le_bytes([body[2], body[3]]));
            let last = if matches!(typ, 0x00BD | 0x00BE) && body.len() >= 6 {
                u64::from(u16::from_le_bytes([body[len - 2], body[len - 1]]))
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
        if typ != 0x0200 {
            continue;
        }
        let (first_row, last_row, first_col, last_col) = match len {
            10 => (
                u64::from(u16::from_le_bytes([body[0], body[1]])),
                u64::from(u16::from_le_bytes([body[2], body[3]])),
                u64::from(u16::from_le_bytes([body[4], body[5]])),
                u64::from(u16::from_le_bytes([body[6], body[7]])),
            ),
            14 | 16 => (
                u64::from(u32::from_le_bytes([body[0], body[1], body[2], body[3]])),
                u64::from(u32::from_le_bytes([body[4], body[5], body[6], body[7]])),
                u64::from(u16::from_le_bytes([body[8], body[9]])),
                u64::from(u16::from_le_bytes([body[10], body[11]])),
            ),
            _ => continue,
        };
        let rows = last_row.saturating_sub(first_row) + 1;
        let cols = last_col.saturating_sub(first_col) + 1;
        if rows.saturating_mul(cols) > max_cells {
            return Err(format!(
                "the workbook declares a sheet of {rows} rows × {cols} columns, over the limit of {max_cells} cells; raise [limits] max_sheet_cells if it is meant"
            ));
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
