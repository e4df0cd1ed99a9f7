//! IDL errors: every problem found in one run, each pointing at its source.

use std::fmt;
use std::sync::Arc;

use crate::span::{SourceFile, Span};

/// One problem in an IDL, located in a file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    file: Option<Arc<SourceFile>>,
    span: Span,
    message: String,
    notes: Vec<String>,
    warning: bool,
}

impl Diagnostic {
    /// A problem at `span` of `file`.
    pub(crate) fn new(file: &Arc<SourceFile>, span: Span, message: impl Into<String>) -> Self {
        Self {
            file: Some(file.clone()),
            span,
            message: message.into(),
            notes: Vec::new(),
            warning: false,
        }
    }

    /// Something accepted, as Apache Thrift accepts it, but worth a look;
    /// printed as `file:line:col: warning: message`.
    pub(crate) fn warning(file: &Arc<SourceFile>, span: Span, message: impl Into<String>) -> Self {
        Self {
            warning: true,
            ..Self::new(file, span, message)
        }
    }

    /// A problem not tied to a source position (e.g. the main file is missing).
    pub(crate) fn global(message: impl Into<String>) -> Self {
        Self {
            file: None,
            span: Span::default(),
            message: message.into(),
            notes: Vec::new(),
            warning: false,
        }
    }

    /// Adds a note line printed under the snippet.
    pub(crate) fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// The message, without location.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The file path, if the problem is in a file.
    pub fn path(&self) -> Option<&str> {
        self.file.as_deref().map(|f| f.path.as_str())
    }

    /// 1-based line and column, if the problem is in a file.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        self.file.as_deref().map(|f| f.line_col(self.span.start))
    }

    /// True for a warning ([`Pool::warnings`](crate::Pool::warnings)), false for an error.
    pub fn is_warning(&self) -> bool {
        self.warning
    }

    /// Extra lines (places searched, the other definition, ...).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }
}

impl fmt::Display for Diagnostic {
    /// `file:line:col: message`, then the source line with a caret under the
    /// span, then the notes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(file) = self.file.as_deref() else {
            write!(f, "{}", self.message)?;
            for note in &self.notes {
                write!(f, "\n  = {note}")?;
            }
            return Ok(());
        };
        let (line, col) = file.line_col(self.span.start);
        let severity = if self.warning { "warning: " } else { "" };
        writeln!(f, "{}:{line}:{col}: {severity}{}", file.path, self.message)?;
        let full = file.line_text(line);
        let gutter = line.to_string();
        let pad = " ".repeat(gutter.len());
        // Width of the caret: the span's characters on this line, at least one.
        let (end_line, end_col) = file.line_col(self.span.end);
        let mut width = if end_line == line && end_col > col {
            end_col - col
        } else {
            1
        };
        // Only the offending line is quoted, and of a long line only a
        // window around the column.
        let (text, col) = quote_window(full, col);
        width = width.min(MAX_QUOTE);
        let lead: String = text
            .chars()
            .take(col - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        writeln!(f, "{pad} |")?;
        writeln!(f, "{gutter} | {text}")?;
        write!(f, "{pad} | {lead}{}", "^".repeat(width))?;
        for note in &self.notes {
            write!(f, "\n{pad} = {note}")?;
        }
        Ok(())
    }
}

/// Most characters of a source line quoted under a diagnostic; a longer
/// line is cut to a window around the column, marked with `...`.
pub const MAX_QUOTE: usize = 120;

/// The part of `line` quoted for a problem at 1-based character column
/// `col`, and the column within it.
fn quote_window(line: &str, col: usize) -> (String, usize) {
    let chars = line.chars().count();
    if chars <= MAX_QUOTE {
        return (line.to_owned(), col);
    }
    let half = MAX_QUOTE / 2;
    let start = col
        .saturating_sub(1)
        .saturating_sub(half)
        .min(chars - MAX_QUOTE);
    let mut out = String::new();
    let mut col = col - start;
    if start > 0 {
        out.push_str("...");
        col += 3;
    }
    out.extend(line.chars().skip(start).take(MAX_QUOTE));
    if start + MAX_QUOTE < chars {
        out.push_str("...");
    }
    (out, col)
}

/// Most diagnostics [`IdlError`]'s `Display` prints; the rest are counted
/// (all stay in [`IdlError::diagnostics`]).
pub const MAX_SHOWN: usize = 100;

/// Why an IDL could not be loaded: every problem found, in the order found.
///
/// `Display` prints all of them, separated by blank lines; [`IdlError::diagnostics`]
/// gives them one by one.
#[derive(Debug, Clone)]
pub struct IdlError {
    diagnostics: Vec<Diagnostic>,
}

impl IdlError {
    /// Every problem, ordered by file (in the order files were loaded) and
    /// position; problems without a file come first.
    pub(crate) fn new(mut diagnostics: Vec<Diagnostic>) -> Self {
        debug_assert!(!diagnostics.is_empty());
        let mut files: Vec<*const SourceFile> = Vec::new();
        for d in &diagnostics {
            if let Some(f) = &d.file {
                let p = Arc::as_ptr(f);
                if !files.contains(&p) {
                    files.push(p);
                }
            }
        }
        diagnostics.sort_by_key(|d| match &d.file {
            None => (0, 0),
            Some(f) => {
                let order = files.iter().position(|&p| p == Arc::as_ptr(f)).unwrap_or(0);
                (order + 1, d.span.start)
            }
        });
        Self { diagnostics }
    }

    /// Every problem found.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// True when the problem is that a requested service, method or type does not exist.
    pub fn is_not_found(&self) -> bool {
        self.diagnostics.iter().all(|d| d.file.is_none())
    }
}

impl fmt::Display for IdlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().take(MAX_SHOWN).enumerate() {
            if i > 0 {
                f.write_str("\n\n")?;
            }
            write!(f, "{d}")?;
        }
        if self.diagnostics.len() > MAX_SHOWN {
            write!(
                f,
                "\n\n({} errors not shown)",
                self.diagnostics.len() - MAX_SHOWN
            )?;
        }
        if self.diagnostics.len() > 1 {
            write!(f, "\n\n{} errors", self.diagnostics.len())?;
        }
        Ok(())
    }
}

impl std::error::Error for IdlError {}
