//! Hostile and broken inputs: path safety, a catalogue of bad files each with its
//! asserted error or reject, and a count that no figure goes missing.

mod common;

use std::path::Path;

use common::*;

fn pipeline(dir: &Path, extra_pipeline: &str, sources: &str) -> std::path::PathBuf {
    let file = dir.join("pipelines/p.toml");
    std::fs::create_dir_all(dir.join("pipelines")).unwrap();
    std::fs::write(
        &file,
        format!(
            "[pipeline]\nname = \"p\"\nroot = \"..\"\nyear = 2024\nopen_entities = true\n{extra_pipeline}\n{sources}"
        ),
    )
    .unwrap();
    file
}

fn run(file: &Path) -> std::process::Output {
    parkstat().arg("run").arg(file).output().unwrap()
}

const CSV: &str = "园区,指标,年份,期间,数值,单位\n示范园区,营业收入,2024,1-8月,100,万元\n";

#[test]
fn symlinks_out_of_the_root_are_not_followed_unless_allowed() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.csv"), CSV).unwrap();
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("data")).unwrap();
    std::fs::write(
        d.path().join("data/own.csv"),
        CSV.replace("示范园区", "本园区"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.csv"),
        d.path().join("data/link.csv"),
    )
    .unwrap();
    // A symlink that stays inside the root is read.
    std::os::unix::fs::symlink(
        d.path().join("data/own.csv"),
        d.path().join("data/inner.csv"),
    )
    .unwrap();
    let sources = "[[sources]]\nkind = \"csv\"\npaths = [\"data/*.csv\"]\n";
    let file = pipeline(d.path(), "", sources);
    let out = run(&file);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join("out/p/current/run.json")).unwrap())
            .unwrap();
    let paths: Vec<&str> = json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["data/inner.csv", "data/own.csv"]);
    let warnings = json["warnings"].to_string();
    assert!(
        warnings.contains("data/link.csv") && warnings.contains("outside the pipeline root"),
        "{warnings}"
    );

    let file = pipeline(d.path(), "follow_symlinks = true", sources);
    assert_eq!(run(&file).status.code(), Some(0));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join("out/p/current/run.json")).unwrap())
            .unwrap();
    assert_eq!(json["inputs"].as_array().unwrap().len(), 3);
}

#[test]
fn globs_that_climb_out_and_outputs_over_inputs_are_refused() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("data")).unwrap();
    std::fs::write(d.path().join("data/a.csv"), CSV).unwrap();
    let climb = pipeline(
        d.path(),
        "",
        "[[sources]]\nkind = \"csv\"\npaths = [\"../../etc/*.csv\"]\n",
    );
    let out = run(&climb);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("leads out of the pipeline root"),
        "{}",
        stderr(&out)
    );

    let over = pipeline(
        d.path(),
        "output = \"data/out\"",
        "[[sources]]\nkind = \"csv\"\npaths = [\"data/**/*.csv\"]\n",
    );
    let out = run(&over);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("overlaps the inputs"),
        "{}",
        stderr(&out)
    );
    assert!(!d.path().join("data/out").exists(), "nothing written");

    // An absolute glob reads where it says, on purpose.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("b.csv"), CSV).unwrap();
    let abs = pipeline(
        d.path(),
        "",
        &format!(
            "[[sources]]\nkind = \"csv\"\npaths = [\"{}/*.csv\"]\n",
            elsewhere.path().display()
        ),
    );
    assert_eq!(run(&abs).status.code(), Some(0));
}

#[test]
fn pipeline_names_that_would_escape_the_output_are_refused() {
    let d = tempfile::tempdir().unwrap();
    for name in ["../x", "a/b", "..", ""] {
        let file = d.path().join("p.toml");
        std::fs::write(&file, format!("[pipeline]\nname = \"{name}\"\n")).unwrap();
        let out = run(&file);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains("name"), "{name}: {}", stderr(&out));
    }
}

/// Nothing lost: every number in a workbook cell and every value field of a CSV of the
/// default pipeline is an observation or a reject (growth fields ride on the
/// observation of their row), counted per file.
#[test]
fn every_figure_of_every_input_is_an_observation_or_a_reject() {
    use calamine::{open_workbook_auto, Data, Reader};
    use std::collections::HashSet;

    let s = Scratch::new();
    assert_eq!(s.run(&[]).status.code(), Some(0));
    let obs = read_parquet(&s.current().join("observations.parquet"));
    let rej = read_parquet(&s.current().join("rejects.parquet"));
    let placed = |df: &polars::prelude::DataFrame| -> Vec<(String, String)> {
        strings(df, "source_path")
            .into_iter()
            .zip(strings(df, "locator"))
            .map(|(p, l)| (p.unwrap(), l.unwrap()))
            .collect()
    };
    let accounted: HashSet<(String, String)> =
        placed(&obs).into_iter().chain(placed(&rej)).collect();
    let with_growth: HashSet<(String, String)> = placed(&obs)
        .into_iter()
        .zip(floats(&obs, "yoy_pct"))
        .filter(|(_, g)| g.is_some())
        .map(|((p, l), _)| (p, l.split(':').next().unwrap_or("").to_string()))
        .collect();

    let notes = std::fs::read_to_string(s.current().join("run.json")).unwrap();
    let mut counted = 0;
    let mut missing = Vec::new();
    // Workbooks: every numeric cell below the title rows.
    for e in std::fs::read_dir(s.path().join("data/xlsx"))
        .unwrap()
        .flatten()
    {
        let rel = format!("data/xlsx/{}", e.file_name().to_string_lossy());
        let mut wb = open_workbook_auto(e.path()).unwrap();
        let hidden: Vec<String> = wb
            .sheets_metadata()
            .iter()
            .filter(|m| m.visible != calamine::SheetVisible::Visible)
            .map(|m| m.name.clone())
            .collect();
        for name in wb.sheet_names() {
            // A hidden sheet is skipped on purpose, and run.json says so.
            if hidden.contains(&name) {
                assert!(
                    notes.contains(&format!("sheet `{name}` is hidden")),
                    "{rel}: {notes}"
                );
                continue;
            }
            let range = wb.worksheet_range(&name).unwrap();
            let (r0, c0) = range.start().unwrap_or((0, 0));
            for (r, c, d) in range.cells() {
                if matches!(d, Data::Float(_) | Data::Int(_)) {
                    let loc = format!(
                        "{name}!{}{}",
                        parkstat::ingest::sheet::grid::col_letters(c0 as usize + c),
                        r0 as usize + r + 1
                    );
                    counted += 1;
                    if !accounted.contains(&(rel.clone(), loc.clone()))
                        && !growth_cell_carried(&obs, &rel, &name, r0 as usize + r + 1)
                    {
                        missing.push(format!("{rel} {loc} {d}"));
                    }
                }
            }
        }
    }
    // CSV: every non-empty value field of every row.
    for e in std::fs::read_dir(s.path().join("data/csv"))
        .unwrap()
        .flatten()
    {
        let rel = format!("data/csv/{}", e.file_name().to_string_lossy());
        let bytes = std::fs::read(e.path()).unwrap();
        let text = match std::str::from_utf8(&bytes) {
            Ok(t) => t.trim_start_matches('\u{feff}').to_string(),
            Err(_) => encoding_rs::GB18030.decode(&bytes).0.into_owned(),
        };
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let value_cols: Vec<usize> = header
            .iter()
            .enumerate()
            .filter(|(_, h)| ["数值", "本月", "累计", "上年同期累计"].contains(h))
            .map(|(i, _)| i)
            .collect();
        let growth_col = header.iter().position(|h| h.starts_with("同比"));
        for (i, line) in lines.enumerate() {
            let n = i + 2;
            let fields: Vec<&str> = line.split(',').collect();
            for &c in &value_cols {
                if fields.get(c).is_some_and(|f| !f.trim().is_empty()) {
                    counted += 1;
                    let loc = format!("L{n}:F{}", c + 1);
                    let row_reject = accounted.contains(&(rel.clone(), format!("L{n}")));
                    if !accounted.contains(&(rel.clone(), loc.clone())) && !row_reject {
                        missing.push(format!("{rel} {loc} {}", fields[c]));
                    }
                }
            }
            if let Some(g) =
                growth_col.filter(|g| fields.get(*g).is_some_and(|f| !f.trim().is_empty()))
            {
                counted += 1;
                let carried = with_growth.contains(&(rel.clone(), format!("L{n}")));
                let rejected = accounted.contains(&(rel.clone(), format!("L{n}:F{}", g + 1)))
                    || accounted.contains(&(rel.clone(), format!("L{n}")));
                if !carried && !rejected {
                    missing.push(format!("{rel} L{n} growth {}", fields[g]));
                }
            }
        }
    }
    let growth_locs: HashSet<(String, String)> = placed(&obs)
        .into_iter()
        .zip(
            floats(&obs, "yoy_pct")
                .into_iter()
                .zip(floats(&obs, "yoy_pp")),
        )
        .filter(|(_, (g, p))| g.is_some() || p.is_some())
        .map(|(k, _)| k)
        .collect();
    let (text_counted, text_missing) = report_figures_accounted(s.path(), &accounted, &growth_locs);
    counted += text_counted;
    missing.extend(text_missing);
    assert!(counted > 400, "only {counted} figures counted");
    assert!(
        missing.is_empty(),
        "{} of {counted} figures lost:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

/// Report text: every number with a unit in a body clause of `data/reports` is the
/// span of an observation or reject, or a growth rate carried by the observation of
/// its level earlier in the sentence, or a not-a-figure the genre has (a name, an
/// ordinal, a threshold class, the field of a ranking, the article 一). Returns how
/// many were counted and which were lost.
fn report_figures_accounted(
    root: &Path,
    accounted: &std::collections::HashSet<(String, String)>,
    with_growth: &std::collections::HashSet<(String, String)>,
) -> (usize, Vec<String>) {
    use parkstat::config::dictionary::Dictionaries;
    use parkstat::ingest::text::{body, lines};
    use std::collections::BTreeMap;

    let dicts = Dictionaries::builtin().unwrap();
    let number =
        regex::Regex::new(r"[0-9]+(?:\.[0-9]+)?|[〇零一二两三四五六七八九十百千万亿]+").unwrap();
    let mut counted = 0;
    let mut missing = Vec::new();
    let mut how: BTreeMap<&str, usize> = BTreeMap::new();
    for e in std::fs::read_dir(root.join("data/reports"))
        .unwrap()
        .flatten()
    {
        let rel = format!("data/reports/{}", e.file_name().to_string_lossy());
        let bytes = std::fs::read(e.path()).unwrap();
        let text = parkstat::ingest::decode::decode(&bytes, None).unwrap().text;
        let all = lines::lines(&text);
        let b = body::isolate(&all, &dicts.text);
        // (line, first col, last col) of every accounted span.
        let spans_of =
            |set: &std::collections::HashSet<(String, String)>| -> Vec<(usize, u32, u32)> {
                set.iter()
                    .filter(|(p, _)| *p == rel)
                    .filter_map(|(_, l)| {
                        let (line, cols) = l.strip_prefix('L')?.split_once(':')?;
                        let (a, z) = cols.split_once('-')?;
                        Some((line.parse().ok()?, a.parse().ok()?, z.parse().ok()?))
                    })
                    .collect()
            };
        let spans = spans_of(accounted);
        let growth_spans = spans_of(with_growth);
        for line in &all[b.start..b.end] {
            let t = &line.text;
            let mut clause_start = 0;
            let mut sentence_start = 0;
            for (i, c) in t.char_indices().chain(std::iter::once((t.len(), '。'))) {
                if !"。;!?,:".contains(c) {
                    continue;
                }
                let (cs, ce) = (clause_start, i);
                clause_start = i + c.len_utf8();
                let sentence_col = line.col_at(sentence_start);
                if "。;!?".contains(c) {
                    sentence_start = clause_start;
                }
                for m in number.find_iter(&t[cs..ce]) {
                    let (ns, ne) = (cs + m.start(), cs + m.end());
                    let after = t[ne..].trim_start_matches(['余', '多']);
                    let Some(unit) = dicts.units.unit_at(after, 0) else {
                        continue;
                    };
                    counted += 1;
                    let (a, z) = (line.col_at(ns), line.col_at(ne - 1));
                    let own = spans
                        .iter()
                        .any(|&(l, sa, sz)| l == line.number && sa <= z && a <= sz);
                    let prev = t[..ns].chars().next_back();
                    let tail = &after[unit.len()..];
                    let growth_carried = ["%", "倍", "个百分点"].contains(&unit)
                        && growth_spans
                            .iter()
                            .any(|&(l, ga, _)| l == line.number && sentence_col <= ga && ga < a);
                    let clause = t[cs..ce].trim();
                    let why = if own {
                        "its own observation or reject"
                    } else if growth_carried {
                        "a growth rate carried by its level's observation"
                    } else if clause.starts_with('在') && clause.ends_with('中') {
                        "the field of a ranking (在全省96家…中)"
                    } else if prev.is_some_and(|c| c.is_ascii_alphabetic())
                        || t[ne..].starts_with(|c: char| c.is_ascii_alphabetic())
                    {
                        "a name (5G)"
                    } else if t[..ns].ends_with('第') {
                        "an ordinal"
                    } else if tail.starts_with('的')
                        || ["以上", "以下", "及以上", "以内"].iter().any(|w| {
                            tail.strip_prefix(w).is_some_and(|r| {
                                r.chars().next().is_some_and(|c| !"。;!?,:、)".contains(c))
                            })
                        })
                    {
                        "a threshold naming a class"
                    } else if m.as_str() == "一" {
                        "the article 一"
                    } else {
                        missing.push(format!(
                            "{rel} L{}:{a}-{z} {}{unit} in `{}`",
                            line.number,
                            m.as_str(),
                            &t[cs..ce]
                        ));
                        continue;
                    };
                    *how.entry(why).or_default() += 1;
                }
            }
        }
    }
    eprintln!("report text: {counted} figures: {how:?}");
    assert!(counted > 100, "only {counted} report figures counted");
    (counted, missing)
}

/// A growth cell of a sheet row is carried by an observation of that row with `yoy_pct`.
fn growth_cell_carried(
    obs: &polars::prelude::DataFrame,
    rel: &str,
    sheet: &str,
    row: usize,
) -> bool {
    let suffix = row.to_string();
    strings(obs, "source_path")
        .into_iter()
        .zip(strings(obs, "locator"))
        .zip(floats(obs, "yoy_pct"))
        .any(|((p, l), g)| {
            let l = l.unwrap_or_default();
            p.as_deref() == Some(rel)
                && g.is_some()
                && l.strip_prefix(&format!("{sheet}!")).is_some_and(|cell| {
                    cell.trim_start_matches(|c: char| c.is_ascii_uppercase()) == suffix
                })
        })
}

/// CSV the tool writes cannot smuggle a formula into a spreadsheet: text starting with
/// `=`, `+`, `-` or `@` is written with a leading `'`; numbers stay numbers.
#[test]
fn csv_output_defuses_formulas() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("x.csv");
    std::fs::write(
        &f,
        "园区,指标,年份,期间,数值,单位,同比\n=HYPERLINK(\"http://evil\"),营业收入,2024,1-8月,100,万元,-2.5\n@SUM(A1),营业收入,2024,1-8月,-5+3,万元,\n+cmd|' /C calc'!A0,营业收入,2024,1-8月,7,万元,\n",
    )
    .unwrap();
    let out = parkstat()
        .args(["extract", "--format", "csv"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut rdr = csv::Reader::from_reader(out.stdout.as_slice());
    let mut fields = 0;
    let mut defused = 0;
    for rec in rdr.records() {
        for field in rec.unwrap().iter() {
            fields += 1;
            if field.starts_with('\'') {
                defused += 1;
            }
            if field.starts_with(['=', '+', '-', '@']) {
                assert!(
                    field.parse::<f64>().is_ok(),
                    "a live formula in the CSV: {field}"
                );
            }
        }
    }
    assert!(fields > 50 && defused >= 5, "{defused} of {fields}");
}

/// Runs the pipeline under a 2 GB address-space cap: a limit that allocated first and
/// refused later would die here instead of failing the one file.
/// Also measures the run's peak RSS (python3's getrusage of its child), in MB.
fn run_capped(file: &Path) -> (std::process::Output, f64) {
    let script = format!(
        "import resource, subprocess, sys\nr = subprocess.run(['bash', '-c', \"ulimit -v 2000000 && exec '{}' run --jobs 2 '{}'\"])\nprint(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\nsys.exit(r.returncode)",
        env!("CARGO_BIN_EXE_parkstat"),
        file.display()
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    let rss = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(f64::NAN);
    (out, rss)
}

fn failed_inputs(dir: &Path) -> Vec<(String, String)> {
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("out/p/current/run.json")).unwrap())
            .unwrap();
    json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == "failed")
        .map(|i| {
            (
                i["path"].as_str().unwrap().to_string(),
                i["error"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Resource limits: a sheet declaring 10⁶ rows × 16,384 columns, a workbook inflating
/// past the cap, a 100 MB one-line text, a CSV with a 50 MB field and deeply nested
/// XML each fail alone, with bounded memory, and the run goes on.
#[test]
fn resource_limits_fail_one_file_each_and_the_run_goes_on() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("good.csv"), CSV).unwrap();
    // Two cells, a bounding box of 1.7·10¹⁰.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_number(0, 0, 1.0).unwrap();
    ws.write_number(1_048_575, 16_383, 2.0).unwrap();
    wb.save(data.join("huge.xlsx")).unwrap();
    // A real sheet of about 3 MB of XML, against a 1 MB inflate limit.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for r in 0..20_000u32 {
        for c in 0..5u16 {
            ws.write_number(r, c, f64::from(r) * 1.5).unwrap();
        }
    }
    wb.save(data.join("bomb.xlsx")).unwrap();
    std::fs::write(data.join("long.txt"), "一".repeat(34_000_000)).unwrap();
    std::fs::write(
        data.join("field.csv"),
        format!(
            "{CSV}示范园区,营业收入,2024,1-8月,{},万元\n",
            "9".repeat(50_000_000)
        ),
    )
    .unwrap();
    std::fs::write(data.join("nested.xlsx"), nested_xml_workbook(200_000)).unwrap();
    // OpenDocument: a readable sheet, and two that repeat one filled cell into 1.6·10¹⁰
    // and 3.3·10⁷ cells (calamine builds an .ods whole when it opens it).
    let s = |v: &str| {
        format!("<table:table-cell office:value-type=\"string\"><text:p>{v}</text:p></table:table-cell>")
    };
    let n = |v: u32| {
        format!("<table:table-cell office:value-type=\"float\" office:value=\"{v}\"><text:p>{v}</text:p></table:table-cell>")
    };
    let header: String = ["园区", "指标", "年份", "期间", "数值", "单位"]
        .map(s)
        .concat();
    let row = [
        s("示范园区"),
        s("利润总额"),
        n(2024),
        s("1-8月"),
        n(7),
        s("万元"),
    ]
    .concat();
    std::fs::write(
        data.join("good.ods"),
        ods(&format!(
            "<table:table-row>{header}</table:table-row><table:table-row>{row}</table:table-row>"
        )),
    )
    .unwrap();
    let wide = "<table:table-cell office:value-type=\"float\" office:value=\"1\" table:number-columns-repeated=\"16384\"><text:p>1</text:p></table:table-cell>";
    std::fs::write(
        data.join("repeated.ods"),
        ods(&format!(
            "<table:table-row table:number-rows-repeated=\"1000000\">{wide}</table:table-row>"
        )),
    )
    .unwrap();
    std::fs::write(
        data.join("rows.ods"),
        ods(&format!("<table:table-row>{wide}</table:table-row>").repeat(2000)),
    )
    .unwrap();
    let file = pipeline(
        d.path(),
        "",
        "[limits]\nmax_inflated_mb = 1\n\n[[sources]]\nkind = \"csv\"\npaths = [\"data/*.csv\"]\n\n[[sources]]\nkind = \"sheet\"\npaths = [\"data/*.xlsx\", \"data/*.ods\"]\n\n[[sources]]\nkind = \"text\"\npaths = [\"data/*.txt\"]\n",
    );
    let (out, peak_mb) = run_capped(&file);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    // The 100 MB text and the 50 MB field are read whole (and decoded) before their
    // line is refused; nothing is ever sized by what a file declares.
    assert!(peak_mb < 1000.0, "peak RSS {peak_mb} MB");
    eprintln!("peak RSS with every limit hit: {peak_mb:.0} MB");
    let failed = failed_inputs(d.path());
    let reason = |p: &str| {
        failed
            .iter()
            .find(|(f, _)| f == p)
            .map(|(_, e)| e.clone())
            .unwrap_or_else(|| panic!("{p} did not fail: {failed:?}"))
    };
    assert!(
        reason("data/huge.xlsx").contains("1048576 rows × 16384 columns"),
        "{failed:?}"
    );
    assert!(reason("data/bomb.xlsx").contains("inflate"), "{failed:?}");
    for f in ["data/repeated.ods", "data/rows.ods"] {
        assert!(
            reason(f).contains("once its repeated cells are laid out"),
            "{failed:?}"
        );
    }
    assert!(reason("data/long.txt").contains("line 1 is"), "{failed:?}");
    assert!(reason("data/field.csv").contains("line 3 is"), "{failed:?}");
    assert!(failed.iter().all(|(_, e)| !e.contains('\n')));
    // The good input is published.
    let obs = read_parquet(&d.path().join("out/p/current/observations.parquet"));
    assert_eq!(obs.height(), 2);
}

/// An OpenDocument spreadsheet of one sheet holding `rows`.
fn ods(rows: &str) -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    z.start_file("mimetype", stored).unwrap();
    z.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    z.start_file("content.xml", deflated).unwrap();
    write!(
        z,
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="S1">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
    )
    .unwrap();
    z.start_file("META-INF/manifest.xml", deflated).unwrap();
    z.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).unwrap();
    z.finish().unwrap();
    out.into_inner()
}

/// A workbook whose sheet XML nests 200,000 elements deep.
fn nested_xml_workbook(depth: usize) -> Vec<u8> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut buf);
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let ns = "http://schemas.openxmlformats.org";
    let parts = [
        (
            "[Content_Types].xml",
            format!(
                r#"<?xml version="1.0"?><Types xmlns="{ns}/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#
            ),
        ),
        (
            "_rels/.rels",
            format!(
                r#"<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/workbook.xml",
            format!(
                r#"<?xml version="1.0"?><workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{ns}/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(
                r#"<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/worksheets/sheet1.xml",
            format!(
                r#"<?xml version="1.0"?><worksheet xmlns="{ns}/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>{}{}</worksheet>"#,
                "<x>".repeat(depth),
                "</x>".repeat(depth)
            ),
        ),
    ];
    for (name, body) in parts {
        z.start_file(name, opts).unwrap();
        z.write_all(body.as_bytes()).unwrap();
    }
    z.finish().unwrap();
    buf.into_inner()
}
