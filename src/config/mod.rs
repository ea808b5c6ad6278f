//! Configuration: the pipeline file and the dictionaries, read strictly.

pub mod dictionary;
pub mod pipeline;
pub mod text_rules;
pub mod toml_file;
