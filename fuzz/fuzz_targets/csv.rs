//! CSV decoding (encoding detection) and the tidy-CSV reader: no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parkstat::config::pipeline::Pipeline;
use parkstat::ingest::{csv_table, decode, SourceContext};
use parkstat::model::SourceKind;

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static P: Pipeline = Pipeline::ad_hoc().expect("built-in pipeline");
    }
    P.with(|p| {
        let ctx = SourceContext::standalone(p, SourceKind::Csv, "fuzz.csv");
        if let Ok(d) = decode::decode(data, None) {
            let _ = csv_table::read(&d.text, &ctx);
        }
    });
});
