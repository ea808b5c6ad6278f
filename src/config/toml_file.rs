//! Reading a TOML file into a typed struct with errors that name file, line and key.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::ConfigError;

/// Parses `text` (the contents of `file`) strictly: unknown keys are errors.
pub fn parse<T: DeserializeOwned>(file: &Path, text: &str, hint: &str) -> Result<T, ConfigError> {
    toml::from_str::<T>(text).map_err(|e| {
        let span = e.span();
        let line = span.as_ref().map(|s| line_of_offset(text, s.start));
        let key = span
            .as_ref()
            .and_then(|s| text.get(s.clone()))
            .map(|k| k.trim().trim_matches('"').to_string())
            .filter(|k| !k.is_empty() && k.len() < 80 && !k.contains('\n'));
        ConfigError {
            file: file.to_path_buf(),
            line,
            key,
            message: e.message().trim().to_string(),
            hint: hint.to_string(),
        }
    })
}

/// 1-based line number of a byte offset.
pub fn line_of_offset(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// 1-based line of the first line that contains `needle`, for errors found after parsing.
pub fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}
