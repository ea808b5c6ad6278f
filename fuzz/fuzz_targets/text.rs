//! The whole report-text extractor, from bytes (decoding included): no panic, no hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parkstat::config::pipeline::Pipeline;
use parkstat::ingest::{decode, text, SourceContext};
use parkstat::model::SourceKind;

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static P: Pipeline = Pipeline::ad_hoc().expect("built-in pipeline");
    }
    P.with(|p| {
        let ctx = SourceContext::standalone(p, SourceKind::Text, "fuzz.txt");
        if let Ok(d) = decode::decode(data, None) {
            let _ = text::read(&d.text, "江州高新区2024年1-8月.txt", &ctx);
        }
    });
});
