//! Workbook reading and layout detection from arbitrary bytes: no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parkstat::config::pipeline::Pipeline;
use parkstat::ingest::{sheet, SourceContext};
use parkstat::model::SourceKind;

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static P: Pipeline = Pipeline::ad_hoc().expect("built-in pipeline");
    }
    P.with(|p| {
        let ctx = SourceContext::standalone(p, SourceKind::Sheet, "江州高新区_2024年1-8月.xlsx");
        let _ = sheet::read(data.to_vec(), "江州高新区_2024年1-8月.xlsx", &ctx);
    });
});
