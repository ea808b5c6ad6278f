//! Workbook reading and layout detection from arbitrary bytes, through the same path as
//! a run (limits, and a reader panic made the file's error): no crash, no runaway memory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parkstat::config::pipeline::Pipeline;
use parkstat::ingest;
use parkstat::model::SourceKind;

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static P: Pipeline = Pipeline::ad_hoc().expect("built-in pipeline");
    }
    P.with(|p| {
        let _ = ingest::parse_bytes(
            p,
            SourceKind::Sheet,
            "江州高新区_2024年1-8月.xlsx",
            data.to_vec(),
        );
    });
});
