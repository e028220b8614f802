//! Finding and reading rule files.

use std::path::{Path, PathBuf};
use vital_syntax::{Code, Diagnostic, FileId, SourceFile, SourceMap, Span};

/// A path the user named that could not be used at all.
#[derive(Debug)]
pub struct PathError {
    pub path: String,
    pub reason: String,
}

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot read `{}`: {}", self.path, self.reason)
    }
}

/// Display form of a path: as given, with `/` separators.
pub fn display(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// Every `.vital` file under the paths, in path order: a directory's files
/// sorted by their path relative to it (byte order), files as given.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, PathError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| PathError {
            path: display(p),
            reason: io_reason(&e),
        })?;
        if meta.is_dir() {
            let mut found: Vec<(String, PathBuf)> = Vec::new();
            for entry in walkdir::WalkDir::new(p).follow_links(true) {
                let entry = entry.map_err(|e| PathError {
                    path: e.path().map_or_else(|| display(p), display),
                    reason: e.io_error().map_or_else(|| e.to_string(), io_reason),
                })?;
                let path = entry.path();
                if entry.file_type().is_file() && path.extension().is_some_and(|x| x == "vital") {
                    let rel = path
                        .strip_prefix(p)
                        .map(display)
                        .unwrap_or_else(|_| display(path));
                    found.push((rel, path.to_path_buf()));
                }
            }
            found.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.extend(found.into_iter().map(|(_, p)| p));
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Read the files into a source map. A file that is not UTF-8 or cannot be
/// read becomes an `io` diagnostic on that file, so the rest is still checked.
pub fn load(files: &[PathBuf]) -> (SourceMap, Vec<Diagnostic>) {
    let mut map = SourceMap::new();
    let mut diags = Vec::new();
    for f in files {
        let name = display(f);
        match std::fs::read(f) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => {
                    map.add(SourceFile::new(name, text));
                }
                Err(e) => {
                    let valid = e.utf8_error().valid_up_to();
                    let id = map.add(SourceFile::new(name.clone(), String::new()));
                    diags.push(
                        Diagnostic::new(
                            Code::Io,
                            id,
                            Span::new(0, 0),
                            format!("`{name}` is not valid UTF-8 (byte {valid})"),
                        )
                        .with_help("save the file as UTF-8"),
                    );
                }
            },
            Err(e) => {
                let id: FileId = map.add(SourceFile::new(name.clone(), String::new()));
                diags.push(Diagnostic::new(
                    Code::Io,
                    id,
                    Span::new(0, 0),
                    format!("cannot read `{name}`: {}", io_reason(&e)),
                ));
            }
        }
    }
    (map, diags)
}
