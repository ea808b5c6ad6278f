//! A catalogue of bad inputs, each with the error or reject it must give: encodings,
//! truncations, wrong extensions, formula errors, merged-cell chaos, empty sheets,
//! duplicate keys, impossible months, negative counts, impossible rates. None may
//! panic; a file that cannot be read fails alone with a one-line reason.

mod common;

use common::*;
use rust_xlsxwriter::{Format, Formula, Workbook};

/// What a bad input must give.
enum Expect {
    /// The file fails as a whole; the message contains this.
    FileError(&'static str),
    /// At least one reject whose reason contains this; `obs` observations besides.
    Reject(&'static str, usize),
    /// Exactly this many observations and no reject.
    Obs(usize),
}

struct Case {
    name: &'static str,
    file: &'static str,
    bytes: Vec<u8>,
    expect: Expect,
}

fn xlsx(build: impl FnOnce(&mut Workbook)) -> Vec<u8> {
    let mut wb = Workbook::new();
    build(&mut wb);
    wb.save_to_buffer().expect("workbook")
}

/// A small indicators-as-rows sheet with one value cell given by `cell`.
fn sheet_with(cell: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
    xlsx(|wb| {
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "示范园区2024年1-8月主要经济指标")
            .unwrap();
        ws.write_string(1, 2, "单位:万元").unwrap();
        ws.write_string(2, 0, "指标名称").unwrap();
        ws.write_string(2, 1, "1-8月累计").unwrap();
        ws.write_string(2, 2, "同比增长(%)").unwrap();
        ws.write_string(3, 0, "营业收入").unwrap();
        cell(ws);
    })
}

const HEAD: &str = "园区,指标,年份,期间,数值,单位\n";

fn csv(rows: &str) -> Vec<u8> {
    format!("{HEAD}{rows}").into_bytes()
}

fn cases() -> Vec<Case> {
    let good_xlsx = sheet_with(|ws| {
        ws.write_number(3, 1, 1200.0).unwrap();
    });
    let gbk_text = format!("{HEAD}示范园区,营业收入,2024,1-8月,100,万元\n");
    let (gbk, _, _) = encoding_rs::GBK.encode(&gbk_text);
    let mut utf16 = vec![0xFF, 0xFE];
    for u in format!("{HEAD}示范园区,营业收入,2024,1-8月,100,万元\n").encode_utf16() {
        utf16.extend(u.to_le_bytes());
    }
    let mut c = vec![
        // Encodings.
        Case {
            name: "GBK CSV without a BOM is detected",
            file: "a.csv",
            bytes: gbk.into_owned(),
            expect: Expect::Obs(1),
        },
        Case {
            name: "UTF-16LE CSV with a BOM",
            file: "a.csv",
            bytes: utf16,
            expect: Expect::Obs(1),
        },
        Case {
            name: "bytes that are no text encoding",
            file: "a.csv",
            bytes: vec![0x80, 0xFF, 0x81, 0xFE, 0x00, 0x9F, 0xFF, 0xC0, 0xC1],
            expect: Expect::FileError(""),
        },
        Case {
            name: "a text report with NUL bytes",
            file: "a.txt",
            bytes: b"\x00\x01\x02binary\x00".to_vec(),
            expect: Expect::FileError("binary"),
        },
        Case {
            name: "an empty CSV",
            file: "a.csv",
            bytes: vec![],
            expect: Expect::FileError(""),
        },
        Case {
            name: "a CSV with a header only",
            file: "a.csv",
            bytes: HEAD.as_bytes().to_vec(),
            expect: Expect::Obs(0),
        },
        Case {
            name: "a CSV without an indicator column",
            file: "a.csv",
            bytes: b"a,b,c\n1,2,3\n".to_vec(),
            expect: Expect::FileError("no indicator column"),
        },
        // Truncations and wrong contents.
        Case {
            name: "a truncated xlsx",
            file: "a.xlsx",
            bytes: good_xlsx[..good_xlsx.len() / 2].to_vec(),
            expect: Expect::FileError(""),
        },
        Case {
            name: "an xlsx whose zip lacks the workbook",
            file: "a.xlsx",
            bytes: zip_without_workbook(),
            expect: Expect::FileError(""),
        },
        Case {
            name: "a text file named .xlsx",
            file: "a.xlsx",
            bytes: "园区,指标\n".as_bytes().to_vec(),
            expect: Expect::FileError(""),
        },
        Case {
            name: "an empty .xlsx",
            file: "a.xlsx",
            bytes: vec![],
            expect: Expect::FileError(""),
        },
        Case {
            name: "a password-protected workbook",
            file: "a.xlsx",
            bytes: std::fs::read(project().join("tests/fixtures/sheets/password.xlsx")).unwrap(),
            expect: Expect::FileError("password"),
        },
        Case {
            name: "a workbook without cells",
            file: "a.xlsx",
            bytes: std::fs::read(project().join("tests/fixtures/sheets/empty_workbook.xlsx"))
                .unwrap(),
            expect: Expect::FileError("empty workbook"),
        },
        Case {
            name: "OLE garbage named .xls",
            file: "a.xls",
            bytes: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]
                .iter()
                .copied()
                .chain(std::iter::repeat_n(0u8, 600))
                .collect(),
            expect: Expect::FileError(""),
        },
        Case {
            name: "an OLE file whose FAT chain loops (found by fuzzing: it asked for 4 GB)",
            file: "a.xls",
            bytes: std::fs::read(project().join("tests/fixtures/fuzz/sheet-ole-fat-loop.xls"))
                .unwrap(),
            expect: Expect::FileError("loops back on itself"),
        },
        Case {
            name: "an xlsb naming a relationship it lacks (found by fuzzing: calamine panicked)",
            file: "a.xlsb",
            bytes: std::fs::read(
                project().join("tests/fixtures/fuzz/sheet-xlsb-missing-relationship.xlsb"),
            )
            .unwrap(),
            expect: Expect::FileError("the reader failed on this file"),
        },
        Case {
            name: "an xlsb with a cell in column 1.7·10⁹ (found by fuzzing: 275 GB asked for)",
            file: "a.xlsx",
            bytes: std::fs::read(project().join("tests/fixtures/fuzz/sheet-xlsb-huge-column.xlsx"))
                .unwrap(),
            expect: Expect::FileError("over the limit of 5000000 cells"),
        },
        Case {
            name: "an xls declaring 10⁹ rows (found by fuzzing: calamine reserved 214 GB)",
            file: "a.xls",
            bytes: std::fs::read(
                project().join("tests/fixtures/fuzz/sheet-xls-dimensions-reserve.xls"),
            )
            .unwrap(),
            expect: Expect::FileError("declares a sheet of 1073741830 rows"),
        },
        Case {
            name: "an xls whose sheet offset lands on a DIMENSIONS record of 2.4·10⁹ rows (found by fuzzing: 3.5 PB reserved)",
            file: "a.xls",
            bytes: std::fs::read(
                project().join("tests/fixtures/fuzz/sheet-xls-dimensions-offset.xls"),
            )
            .unwrap(),
            expect: Expect::FileError("declares a sheet of 2420431899 rows"),
        },
        Case {
            name:
                "an xls whose cells spread over 11,570 × 58,937 (found by fuzzing: 22 GB asked for)",
            file: "a.xls",
            bytes: std::fs::read(project().join("tests/fixtures/fuzz/sheet-xls-cells-spread.xls"))
                .unwrap(),
            expect: Expect::FileError("cells spanning 11570 rows"),
        },
        // Wrong extensions.
        Case {
            name: "an xlsx named .csv",
            file: "a.csv",
            bytes: good_xlsx.clone(),
            expect: Expect::FileError(""),
        },
        Case {
            name: "an xlsx named .xls is still read",
            file: "示范园区.xls",
            bytes: good_xlsx.clone(),
            expect: Expect::Obs(1),
        },
        Case {
            name: "a CSV named .txt is read as text and yields nothing",
            file: "a.txt",
            bytes: csv("示范园区,营业收入,2024,1-8月,100,万元\n"),
            expect: Expect::Obs(0),
        },
        // Cells.
        Case {
            name: "#DIV/0! is no value",
            file: "示范园区.xlsx",
            bytes: sheet_with(|ws| {
                ws.write_formula(3, 1, Formula::new("=1/0").set_result("#DIV/0!"))
                    .unwrap();
            }),
            expect: Expect::Obs(0),
        },
        Case {
            name: "#REF! is no value",
            file: "示范园区.xlsx",
            bytes: sheet_with(|ws| {
                ws.write_string(3, 1, "#REF!").unwrap();
            }),
            expect: Expect::Obs(0),
        },
        Case {
            name: "a word in a value cell",
            file: "示范园区.xlsx",
            bytes: sheet_with(|ws| {
                ws.write_string(3, 1, "待统计").unwrap();
            }),
            expect: Expect::Reject("not a number", 0),
        },
        Case {
            name: "a date in a value cell",
            file: "示范园区.xlsx",
            bytes: sheet_with(|ws| {
                ws.write_datetime_with_format(
                    3,
                    1,
                    rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 8, 31).unwrap(),
                    &Format::new().set_num_format("yyyy-mm-dd"),
                )
                .unwrap();
            }),
            expect: Expect::Reject("date", 0),
        },
        Case {
            name: "a formula text in a CSV value",
            file: "a.csv",
            bytes: csv("示范园区,营业收入,2024,1-8月,=1+2,万元\n"),
            expect: Expect::Reject("not a number", 0),
        },
        Case {
            name: "merged cells over the data",
            file: "示范园区.xlsx",
            bytes: sheet_with(|ws| {
                ws.write_number(3, 1, 1200.0).unwrap();
                ws.merge_range(4, 0, 6, 2, "合并的说明文字", &Format::new())
                    .unwrap();
                ws.merge_range(0, 3, 8, 5, "", &Format::new()).unwrap();
            }),
            expect: Expect::Reject("not a number: `合并的说明文字`", 1),
        },
        Case {
            name: "an empty sheet beside a data sheet",
            file: "示范园区.xlsx",
            bytes: xlsx(|wb| {
                wb.add_worksheet().set_name("空表").unwrap();
                let ws = wb.add_worksheet();
                ws.write_string(0, 0, "示范园区2024年1-8月主要经济指标")
                    .unwrap();
                ws.write_string(1, 1, "单位:万元").unwrap();
                ws.write_string(2, 0, "指标名称").unwrap();
                ws.write_string(2, 1, "1-8月累计").unwrap();
                ws.write_string(3, 0, "营业收入").unwrap();
                ws.write_number(3, 1, 5.0).unwrap();
            }),
            expect: Expect::Obs(1),
        },
        Case {
            name: "a sheet of numbers with no header",
            file: "示范园区.xlsx",
            bytes: xlsx(|wb| {
                let ws = wb.add_worksheet();
                ws.write_number(0, 0, 1.0).unwrap();
                ws.write_number(1, 1, 2.0).unwrap();
            }),
            expect: Expect::Reject("outside any table layout", 0),
        },
        // Keys and periods.
        Case {
            name: "the same row twice is two observations",
            file: "a.csv",
            bytes: csv(
                "示范园区,营业收入,2024,1-8月,100,万元\n示范园区,营业收入,2024,1-8月,100,万元\n",
            ),
            expect: Expect::Obs(2),
        },
        Case {
            name: "month 13",
            file: "a.csv",
            bytes: csv("示范园区,营业收入,2024,13月,100,万元\n"),
            expect: Expect::Reject("unreadable period", 0),
        },
        Case {
            name: "months 1-13",
            file: "a.csv",
            bytes: csv("示范园区,营业收入,2024,1-13月,100,万元\n"),
            expect: Expect::Reject("unreadable period", 0),
        },
        Case {
            name: "a reversed span 8-3月",
            file: "a.csv",
            bytes: csv("示范园区,营业收入,2024,8-3月,100,万元\n"),
            expect: Expect::Reject("unreadable period", 0),
        },
        Case {
            name: "year 202",
            file: "a.csv",
            bytes: csv("示范园区,营业收入,202,1-8月,100,万元\n"),
            expect: Expect::Reject("bad year", 0),
        },
        Case {
            name: "an unknown unit",
            file: "a.csv",
            bytes: csv("示范园区,营业收入,2024,1-8月,100,万卢布\n"),
            expect: Expect::Reject("unknown unit", 0),
        },
        Case {
            name: "a unit that does not fit the indicator",
            file: "a.csv",
            bytes: csv("示范园区,营业收入,2024,1-8月,100,千瓦时\n"),
            expect: Expect::Reject("does not fit", 0),
        },
        // Impossible values.
        Case {
            name: "a negative count of enterprises",
            file: "a.csv",
            bytes: csv("示范园区,规上工业企业数,2024,8月末,-5,家\n"),
            expect: Expect::Reject("negative count", 0),
        },
        Case {
            name: "a fall of more than 100%",
            file: "a.txt",
            bytes: "示范园区2024年1-8月工作情况\n\n1-8月，示范园区营业收入同比下降150%。\n"
                .as_bytes()
                .to_vec(),
            expect: Expect::Reject("more than 100%", 0),
        },
        // Text oddities.
        Case {
            name: "a 200 KB line of digits",
            file: "示范园区2024.txt",
            bytes: "1".repeat(200_000).into_bytes(),
            expect: Expect::Obs(0),
        },
        Case {
            name: "unbalanced brackets and quotes",
            file: "示范园区2024.txt",
            bytes: "示范园区2024年工作情况\n\n（1-8月，“营业收入【100亿元（同比增长（5%\n"
                .as_bytes()
                .to_vec(),
            expect: Expect::Reject("unmapped indicator", 1),
        },
    ];
    // A CSV with a field of 2 MB: over the default line limit, the file fails alone.
    c.push(Case {
        name: "a CSV field of 2 MB",
        file: "a.csv",
        bytes: csv(&format!(
            "示范园区,营业收入,2024,1-8月,{},万元\n",
            "9".repeat(2_000_000)
        )),
        expect: Expect::FileError("over the limit of 1024 KB"),
    });
    c
}

/// A good xlsx whose `xl/workbook.xml` entry is renamed (same length, in the local and
/// central headers): a valid zip that is no workbook.
fn zip_without_workbook() -> Vec<u8> {
    let mut b = sheet_with(|ws| {
        ws.write_number(3, 1, 1.0).unwrap();
    });
    let (from, to) = (b"xl/workbook.xml".as_slice(), b"xl/workbooX.xml".as_slice());
    let mut i = 0;
    while i + from.len() <= b.len() {
        if &b[i..i + from.len()] == from {
            b[i..i + from.len()].copy_from_slice(to);
        }
        i += 1;
    }
    b
}

#[test]
fn every_bad_input_gives_its_error_or_reject() {
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let mut failures = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let sub = dir.path().join(format!("case{i}"));
        std::fs::create_dir_all(&sub).unwrap();
        let path = sub.join(c.file);
        std::fs::write(&path, &c.bytes).unwrap();
        let out = parkstat()
            .args(["extract", "--format", "jsonl"])
            .arg(&path)
            .output()
            .unwrap();
        let err = stderr(&out);
        if err.contains("panicked") || out.status.code().is_none_or(|c| c != 0 && c != 3) {
            failures.push(format!(
                "{}: crashed ({:?}): {err}",
                c.name,
                out.status.code()
            ));
            continue;
        }
        let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let obs = lines
            .iter()
            .filter(|l| l["table"] == "observations")
            .count();
        let rejects: Vec<String> = lines
            .iter()
            .filter(|l| l["table"] == "rejects")
            .map(|l| l["reason"].as_str().unwrap_or("").to_string())
            .collect();
        let ok = match &c.expect {
            Expect::FileError(m) => {
                out.status.code() == Some(3) && err.contains(m) && err.trim().lines().count() == 1
            }
            Expect::Reject(m, n) => {
                out.status.code() == Some(0) && rejects.iter().any(|r| r.contains(m)) && obs == *n
            }
            Expect::Obs(n) => out.status.code() == Some(0) && obs == *n && rejects.is_empty(),
        };
        if !ok {
            failures.push(format!(
                "{}: exit {:?}, {obs} observations, rejects {rejects:?}, stderr {err}",
                c.name,
                out.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Inputs the fuzz targets found crashing (tests/fixtures/fuzz), read as report text and
/// as CSV: each must now give an answer, not a panic.
#[test]
fn fuzz_findings_stay_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let found: Vec<_> = std::fs::read_dir(project().join("tests/fixtures/fuzz"))
        .unwrap()
        .flatten()
        .collect();
    assert!(!found.is_empty());
    for e in found {
        let bytes = std::fs::read(e.path()).unwrap();
        for ext in ["txt", "csv"] {
            let path = dir.path().join(format!("示范园区2024.{ext}"));
            let mut body = b"\xe7\xa4\xba\xe8\x8c\x83\xe5\x9b\xad\xe5\x8c\xba\n\n".to_vec();
            body.extend(&bytes);
            std::fs::write(&path, if ext == "txt" { body } else { bytes.clone() }).unwrap();
            let out = parkstat()
                .args(["extract", "--format", "jsonl"])
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                matches!(out.status.code(), Some(0 | 3)) && !stderr(&out).contains("panicked"),
                "{:?} as {ext}: {}",
                e.file_name(),
                stderr(&out)
            );
        }
    }
}
