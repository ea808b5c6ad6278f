//! Text extraction throughput on one core.
//!
//!     cargo run --release --example bench_text [-- MB [DOC_KB]]
//!
//! Takes the sample reports of data/reports (and ../shared/seed/report.txt
//! when present), makes each into a document of about DOC_KB kilobytes
//! (default 10, the size of a real work report) by repeating its text, in
//! its own encoding (UTF-8, UTF-8 with BOM, GB18030, UTF-16), then times
//! decoding and extraction of MB megabytes of such documents on one thread.

use std::time::Instant;

use parkstat::config::pipeline::Pipeline;
use parkstat::ingest::{decode, text, SourceContext};
use parkstat::model::SourceKind;

/// The allocator the `parkstat` binary runs with.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn encode(text: &str, encoding: &str, bom: bool) -> Vec<u8> {
    match encoding {
        "GB18030" => encoding_rs::GB18030.encode(text).0.into_owned(),
        "UTF-16LE" => [0xFFu8, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect(),
        _ if bom => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        _ => text.as_bytes().to_vec(),
    }
}

fn main() {
    let target_mb: f64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50.0);
    let doc_kb: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir("data/reports")
        .expect("run from the project directory")
        .flatten()
        .map(|e| e.path())
        .collect();
    paths.sort();
    paths.push("../shared/seed/report.txt".into());
    let mut docs: Vec<(String, Vec<u8>)> = Vec::new();
    for p in paths {
        let Ok(b) = std::fs::read(&p) else { continue };
        let d = decode::decode(&b, None).expect("sample decodes");
        let mut t = d.text.clone();
        while t.len() < doc_kb * 1024 {
            t.push('\n');
            t.push_str(&d.text);
        }
        docs.push((
            p.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            encode(&t, d.encoding, b.starts_with(b"\xEF\xBB\xBF")),
        ));
    }
    let unit: usize = docs.iter().map(|d| d.1.len()).sum();
    let reps = ((target_mb * 1e6) / unit as f64).ceil() as usize;
    let p = Pipeline::ad_hoc().expect("built-in dictionaries");
    let ctx = SourceContext::standalone(&p, SourceKind::Text, "bench");
    let t = Instant::now();
    let (mut bytes, mut obs, mut rej) = (0usize, 0usize, 0usize);
    for _ in 0..reps {
        for (name, b) in &docs {
            let d = decode::decode(b, None).expect("sample decodes");
            let out = text::read(&d.text, name, &ctx).expect("sample reads");
            bytes += b.len();
            obs += out.observations.len();
            rej += out.rejects.len();
        }
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "text extraction, 1 thread: {} documents of ~{} KB ({} encodings), {:.1} MB in {:.2} s = {:.1} MB/s ({} observations, {} rejects)",
        reps * docs.len(),
        doc_kb,
        docs.len(),
        bytes as f64 / 1e6,
        s,
        bytes as f64 / 1e6 / s,
        obs,
        rej
    );
}
