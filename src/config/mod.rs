//! Configuration: the pipeline file and the dictionaries, read strictly.

pub mod dictionary;
pub mod pipeline;
pub mod toml_file;
