//! Number, Chinese numeral, unit and period parsers: any string, no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parkstat::config::dictionary::Dictionaries;
use parkstat::normalize::{cn_number, number, period};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(d) = number::Decimal::parse(s) {
        let _ = d.to_f64();
        let _ = d.half_ulp();
    }
    let _ = number::parse_cell_number(s);
    let _ = cn_number::parse_cn(s);
    let _ = period::parse_period(s);
    let _ = period::small_number(s);
    thread_local! {
        static DICTS: std::sync::Arc<Dictionaries> = Dictionaries::builtin().expect("built-in dictionaries");
    }
    DICTS.with(|d| {
        let _ = d.units.resolve(s);
        for i in 0..s.len().min(64) {
            let _ = d.units.unit_at(s, i);
        }
        let _ = d.indicators.lookup_label(s);
    });
});
