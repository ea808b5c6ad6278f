//! Normalize: where numbers are parsed, units converted, periods read and labels matched.

pub mod cn_number;
pub mod figure;
pub mod frame;
pub mod indicator;
pub mod label;
pub mod number;
pub mod order;
pub mod period;
pub mod pieces;
pub mod unit;
