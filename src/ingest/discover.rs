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
    /// Matched files not read, and why (a symlink leading out of the root).
    pub skipped: Vec<String>,
}

/// `a/b/../c` → `a/c`, without touching the file system.
fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        lexical(p)
    } else {
        lexical(&std::env::current_dir().unwrap_or_default().join(p))
    }
}

/// Refuses what would read outside the root by accident or write over inputs: a relative
/// glob climbing out of the root, and an output directory inside an input directory (or
/// the other way round).
pub fn check_paths(p: &Pipeline) -> Result<(), String> {
    let root = absolute(&p.root);
    let out = absolute(&p.out_dir);
    for s in &p.sources {
        for pattern in &s.paths {
            let written_absolute = Path::new(pattern).is_absolute();
            let base = absolute(&literal_prefix(&if written_absolute {
                PathBuf::from(pattern)
            } else {
                p.root.join(pattern)
            }));
            if !written_absolute && !base.starts_with(&root) {
                return Err(format!(
                    "`{pattern}` leads out of the pipeline root {}; write it as an absolute path to read there on purpose",
                    root.display()
                ));
            }
            if out.starts_with(&base) || base.starts_with(&out) {
                return Err(format!(
                    "the output directory {} overlaps the inputs of `{pattern}` ({}); put output elsewhere",
                    out.display(),
                    base.display()
                ));
            }
        }
    }
    Ok(())
}

/// Expands every source's globs under the pipeline root. A file matched by
/// two sources is read once, as the first source says.
pub fn discover(p: &Pipeline) -> Result<Discovered, String> {
    check_paths(p)?;
    let root = std::fs::canonicalize(&p.root).unwrap_or_else(|_| absolute(&p.root));
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
                    .follow_links(p.follow_symlinks)
                    .sort_by_file_name()
                {
                    let Ok(entry) = entry else { continue };
                    let kind = entry.file_type();
                    if !(kind.is_file() || kind.is_symlink()) || !matcher.is_match(entry.path()) {
                        continue;
                    }
                    // A symlink is read when it stays under the root (or when allowed).
                    if kind.is_symlink() || entry.path_is_symlink() {
                        let target = std::fs::canonicalize(entry.path());
                        match target {
                            Ok(t)
                                if t.is_file()
                                    && (p.follow_symlinks
                                        || absolute_glob(pattern)
                                        || t.starts_with(&root)) => {}
                            Ok(t) if t.is_file() => {
                                out.skipped.push(format!(
                                    "{}: a symlink to {}, outside the pipeline root; not read (set follow_symlinks = true to read it)",
                                    relative_to(entry.path(), &p.root),
                                    t.display()
                                ));
                                continue;
                            }
                            _ => continue,
                        }
                    }
                    found.push(entry.path().to_path_buf());
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

fn absolute_glob(pattern: &str) -> bool {
    Path::new(pattern).is_absolute()
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
