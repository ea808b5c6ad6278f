//! Discover: the pipeline's globs → the list of input files, in a stable order.

use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

use super::InputFile;
use crate::config::pipeline::Pipeline;

/// What discovery found, and globs that matched nothing (worth a warning).
#[derive(Debug, Default)]
pub struct Discovered {
    pub inputs: Vec<InputFile>,
    pub empty_globs: Vec<String>,
}

/// Expands every source's globs under the pipeline root. A file matched by
/// two sources is read once, as the first source says.
pub fn discover(p: &Pipeline) -> Result<Discovered, String> {
    let mut out = Discovered::default();
    let mut seen = std::collections::HashSet::new();
    for (si, s) in p.sources.iter().enumerate() {
        for pattern in &s.paths {
            let absolute = Path::new(pattern).is_absolute();
            let full = if absolute {
                PathBuf::from(pattern)
            } else {
                p.root.join(pattern)
            };
            let full_str = full.to_string_lossy().replace('\\', "/");
            let matcher: GlobMatcher = GlobBuilder::new(&full_str)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("bad glob `{pattern}`: {e}"))?
                .compile_matcher();
            let base = literal_prefix(&full);
            let mut found = Vec::new();
            if base.is_file() {
                if matcher.is_match(&base) {
                    found.push(base.clone());
                }
            } else if base.is_dir() {
                for entry in walkdir::WalkDir::new(&base)
                    .follow_links(false)
                    .sort_by_file_name()
                {
                    let Ok(entry) = entry else { continue };
                    if entry.file_type().is_file() && matcher.is_match(entry.path()) {
                        found.push(entry.path().to_path_buf());
                    }
                }
            }
            if found.is_empty() {
                out.empty_globs.push(pattern.clone());
            }
            for path in found {
                if !seen.insert(path.clone()) {
                    continue;
                }
                let rel = relative_to(&path, &p.root);
                out.inputs.push(InputFile {
                    path,
                    rel,
                    kind: s.kind,
                    source: si,
                });
            }
        }
    }
    out.inputs.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

/// The directory part of a glob before its first wildcard.
fn literal_prefix(pattern: &Path) -> PathBuf {
    let mut base = PathBuf::new();
    for c in pattern.components() {
        let s = c.as_os_str().to_string_lossy();
        if s.contains(['*', '?', '[', '{']) {
            break;
        }
        base.push(c);
    }
    base
}

/// `path` relative to `root`, `/`-separated; the absolute path when outside it.
fn relative_to(path: &Path, root: &Path) -> String {
    let clean = |p: &Path| -> PathBuf {
        p.components()
            .filter(|c| !matches!(c, Component::CurDir))
            .collect()
    };
    let (path, root) = (clean(path), clean(root));
    let rel = path
        .strip_prefix(&root)
        .map(Path::to_path_buf)
        .unwrap_or(path);
    rel.to_string_lossy().replace('\\', "/")
}
