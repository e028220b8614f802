//! The inputs named on the command line, and what can go wrong with one as
//! a whole (a file that cannot be opened, a JSON file that is not an array,
//! a CSV header without `account,as_of`). A problem with one record is a
//! [`vital_eval::Rejection`] instead, and the other records are still read.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How an input is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON record per line (`.jsonl`, `.ndjson`, standard input).
    Jsonl,
    /// One JSON array of records (`.json`).
    Json,
    /// A header `account,as_of,SIGNAL…` and one row per snapshot (`.csv`).
    Csv,
    /// A Parquet snapshots table (`.parquet`; docs/parquet.md).
    Parquet,
    /// A Parquet events table (`.parquet` with the columns `type` and
    /// `at`): the events of the snapshots tables beside it.
    ParquetEvents,
}

/// A snapshot input: a file, or standard input spooled to a temporary file.
#[derive(Debug)]
pub struct Input {
    /// As the user named it (`-` for standard input), with `/` separators;
    /// rejections and warnings cite it.
    pub name: Arc<str>,
    pub format: Format,
    path: PathBuf,
    /// Keeps standard input's spool file alive (deleted on drop).
    _spool: Option<tempfile::NamedTempFile>,
}

/// An input that cannot be read at all.
#[derive(Debug)]
pub enum InputError {
    /// The file name says nothing about its format.
    UnknownFormat { name: String },
    /// Opening or reading failed.
    Io {
        name: Arc<str>,
        error: std::io::Error,
    },
    /// A `.json` file that is not an array of records.
    NotJsonArray {
        name: Arc<str>,
        line: usize,
        column: usize,
        message: String,
    },
    /// A file in another encoding than UTF-8.
    Encoding {
        name: Arc<str>,
        encoding: &'static str,
    },
    /// A CSV header that does not start with `account,as_of`.
    CsvHeader {
        name: Arc<str>,
        line: usize,
        message: String,
    },
    /// A `.parquet` file that is not Parquet, cannot be decoded, lacks a
    /// column or has a column whose type cannot hold its signal's; or an
    /// events table given without a snapshots table.
    Parquet { name: Arc<str>, message: String },
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputError::UnknownFormat { name } => write!(
                f,
                "cannot tell the format of `{name}`: name it .jsonl (JSON Lines), .json (a JSON array), .csv or .parquet"
            ),
            InputError::Io { name, error } => {
                write!(f, "cannot read `{name}`: {}", io_reason(error))
            }
            InputError::NotJsonArray {
                name,
                line,
                column,
                message,
            } => write!(
                f,
                "{name}:{line}:{column}: not a JSON array of records: {message}"
            ),
            InputError::CsvHeader {
                name,
                line,
                message,
            } => write!(f, "{name}:{line}: {message}"),
            InputError::Parquet { name, message } => write!(f, "{name}: {message}"),
            InputError::Encoding { name, encoding } => write!(
                f,
                "`{name}` is {encoding}; snapshot files are read as UTF-8: save it as UTF-8 (in Excel: CSV UTF-8)"
            ),
        }
    }
}

impl std::error::Error for InputError {}

/// A short reason for an I/O error, for people.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "it is a directory".into(),
        _ => e.to_string(),
    }
}

/// Display form of a path: as given, with `/` separators, without `./`.
fn display(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

impl Input {
    /// The input a command-line argument names: `-` is standard input (JSON
    /// Lines), read to its end now; a file's format comes from its
    /// extension.
    pub fn open(arg: &Path) -> Result<Input, InputError> {
        if arg.as_os_str() == "-" {
            return Input::spool("-", Format::Jsonl, std::io::stdin().lock());
        }
        let name = display(arg);
        let format = match arg.extension().and_then(|e| e.to_str()) {
            Some("jsonl" | "ndjson") => Format::Jsonl,
            Some("json") => Format::Json,
            Some("csv") => Format::Csv,
            Some("parquet") => Format::Parquet,
            _ => return Err(InputError::UnknownFormat { name }),
        };
        let name: Arc<str> = Arc::from(name.as_str());
        let meta = std::fs::metadata(arg).map_err(|error| InputError::Io {
            name: name.clone(),
            error,
        })?;
        if meta.is_dir() {
            return Err(InputError::Io {
                name,
                error: std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory"),
            });
        }
        let mut input = Input {
            name,
            format,
            path: arg.to_path_buf(),
            _spool: None,
        };
        if format == Format::Parquet {
            // which of the two tables, from the columns in the footer
            if crate::parquet::table_of(&input.name, &input.path)? == crate::parquet::Table::Events
            {
                input.format = Format::ParquetEvents;
            }
            return Ok(input);
        }
        input.check_encoding()?;
        Ok(input)
    }

    /// Input is UTF-8 (a byte-order mark is fine); a UTF-16 or UTF-32 file
    /// is refused as a whole, naming its encoding.
    fn check_encoding(&self) -> Result<(), InputError> {
        let mut head = [0u8; 4];
        let n = std::fs::File::open(&self.path)
            .and_then(|mut f| f.read(&mut head))
            .map_err(|e| self.io(e))?;
        let encoding = match &head[..n] {
            [0xFF, 0xFE, 0, 0] | [0, 0, 0xFE, 0xFF] => Some("UTF-32"),
            [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] => Some("UTF-16"),
            _ => None,
        };
        match encoding {
            Some(enc) => Err(InputError::Encoding {
                name: self.name.clone(),
                encoding: enc,
            }),
            None => Ok(()),
        }
    }

    /// Every input of a command line, in order.
    ///
    /// A Parquet events table is the events of the Parquet snapshots
    /// tables beside it: one given without any is refused.
    pub fn open_all(args: &[PathBuf]) -> Result<Vec<Input>, InputError> {
        let inputs: Vec<Input> = args
            .iter()
            .map(|a| Input::open(a))
            .collect::<Result<_, _>>()?;
        let snapshots = inputs.iter().any(|i| i.format == Format::Parquet);
        if let Some(events) = inputs.iter().find(|i| i.format == Format::ParquetEvents) {
            if !snapshots {
                return Err(InputError::Parquet {
                    name: events.name.clone(),
                    message: "an events table (it has the columns `type` and `at`) is read with the snapshots table it belongs to: give both, e.g. `vital run snapshots.parquet events.parquet`".into(),
                });
            }
        }
        Ok(inputs)
    }

    /// An input read from a stream (standard input): copied to a temporary
    /// file, so it is read — in any order of records — exactly as a file is,
    /// and memory stays flat.
    pub fn spool(name: &str, format: Format, mut from: impl Read) -> Result<Input, InputError> {
        let name: Arc<str> = Arc::from(name);
        let io = |error| InputError::Io {
            name: name.clone(),
            error,
        };
        let mut file = tempfile::NamedTempFile::new().map_err(io)?;
        std::io::copy(&mut from, file.as_file_mut()).map_err(io)?;
        Ok(Input {
            path: file.path().to_path_buf(),
            name: name.clone(),
            format,
            _spool: Some(file),
        })
    }

    /// A buffered reader over the input from its start.
    pub(crate) fn reader(&self) -> Result<BufReader<std::fs::File>, InputError> {
        let f = std::fs::File::open(&self.path).map_err(|error| self.io(error))?;
        Ok(BufReader::with_capacity(1 << 20, f))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn io(&self, error: std::io::Error) -> InputError {
        InputError::Io {
            name: self.name.clone(),
            error,
        }
    }
}
