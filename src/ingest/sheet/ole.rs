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

/// `Err(reason)` when a chain of the file's FAT or mini FAT never ends.
pub fn check_chains(bytes: &[u8]) -> Result<(), String> {
    let bad = |what: &str| Err(format!("corrupt OLE container: {what}; the file cannot be read safely"));
    let shift = match bytes.get(0x1E..0x20) {
        Some(s) => u16::from_le_bytes([s[0], s[1]]),
        None => return bad("no header"),
    };
    if !(7..=16).contains(&shift) {
        return bad("impossible sector size");
    }
    let size = 1usize << shift;
    let sector = |id: u32| -> Option<&[u8]> {
        let start = (id as usize).checked_add(1)?.checked_mul(size)?;
        bytes.get(start..start.checked_add(size)?)
    };
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
        fat_ids.extend((0..per - 1).filter_map(|i| u32_at(s, 4 * i)).filter(|id| *id < SPECIAL));
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
    let mut id = u32_at(bytes, 0x3C).unwrap_or(END);
    let mut hops = 0;
    while id < SPECIAL {
        hops += 1;
        if hops > n_sectors {
            return bad("a looping mini FAT chain");
        }
        let Some(s) = sector(id) else {
            return bad("a mini FAT sector beyond the end of the file");
        };
        mini.extend((0..size / 4).filter_map(|i| u32_at(s, 4 * i)));
        id = fat.get(id as usize).copied().unwrap_or(END);
    }
    acyclic(&mini, "the mini FAT")
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
