//! Codec errors: a kind, a message and the field path where decoding or
//! encoding went wrong.

use std::fmt;

/// What went wrong, in broad classes a caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input ended before the value did.
    Truncated,
    /// The bytes are not valid for the protocol (bad version, negative length, bad type id...).
    InvalidData,
    /// A configured limit was exceeded.
    Limit(Limit),
    /// A value does not match the type the IDL declares.
    TypeMismatch,
    /// A field name that the IDL does not declare.
    UnknownField,
    /// A required field is absent.
    MissingRequired,
    /// A number does not fit the IDL type.
    OutOfRange,
    /// JSON syntax error.
    Json,
    /// A method or type that the descriptors do not have.
    NotFound,
}

/// Which named limit was exceeded. Defaults live in [`crate::Limits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// Nesting depth of structs and containers.
    Depth,
    /// Elements in one list, set or map.
    ContainerLength,
    /// Bytes in one string or binary.
    StringLength,
    /// Bytes in one message.
    MessageSize,
    /// Bytes in one transport frame.
    FrameSize,
    /// Memory a decoded value (or JSON text) takes, against
    /// [`Limits::decoded_memory_for`](crate::Limits::decoded_memory_for).
    DecodedMemory,
}

/// One step of a field path such as `Echo_args.req.items["k"].id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    /// The struct the path starts from.
    Root(String),
    /// A struct field by name.
    Field(String),
    /// A list or set element.
    Index(usize),
    /// A map value under a key (rendered as the key's JSON-ish text).
    Key(String),
}

/// A codec error: opaque kind, message, and the path to the value.
///
/// Paths are collected while the error unwinds, so the success path pays
/// nothing for them.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    /// Innermost segment first (pushed while unwinding).
    path: Vec<PathSegment>,
}

impl Error {
    /// Replaces the first `from` in the message with `to` (numbers quoted
    /// as the input wrote them).
    pub(crate) fn replace_in_message(&mut self, from: &str, to: &str) -> bool {
        match self.message.find(from) {
            Some(at) => {
                self.message.replace_range(at..at + from.len(), to);
                true
            }
            None => false,
        }
    }

    /// An error of `kind` with a lowercase message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            path: Vec::new(),
        }
    }

    /// Input ended too early while reading `what`.
    pub fn truncated(what: &str) -> Self {
        Self::new(
            ErrorKind::Truncated,
            format!("unexpected end of input reading {what}"),
        )
    }

    /// Invalid bytes.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidData, message)
    }

    /// A limit was exceeded: `what` was `actual`, the limit is `max`.
    pub fn limit(limit: Limit, actual: usize, max: usize) -> Self {
        let what = match limit {
            Limit::Depth => "nesting depth",
            Limit::ContainerLength => "container length",
            Limit::StringLength => "string length",
            Limit::MessageSize => "message size",
            Limit::FrameSize => "frame size",
            Limit::DecodedMemory => "decoded memory",
        };
        Self::new(
            ErrorKind::Limit(limit),
            format!("{what} {actual} exceeds the limit of {max}"),
        )
    }

    /// The decoded-memory budget of a `message_len`-byte message was
    /// exceeded: `max` bytes (`limits.decoded_memory_for(message_len)`).
    pub fn decoded_memory(message_len: usize, max: usize, limits: &crate::Limits) -> Self {
        Self::new(
            ErrorKind::Limit(Limit::DecodedMemory),
            format!(
                "decoding needs more than {max} bytes of memory, the limit for a {message_len}-byte message ({} + {} × its bytes: Limits::decoded_memory_base and decoded_memory_factor)",
                limits.decoded_memory_base, limits.decoded_memory_factor
            ),
        )
    }

    /// Prepends a path segment (called while unwinding, innermost first).
    pub fn at(mut self, segment: PathSegment) -> Self {
        self.path.push(segment);
        self
    }

    /// Prepends a field name to the path.
    pub fn at_field(self, name: &str) -> Self {
        self.at(PathSegment::Field(name.to_owned()))
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message without the path.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The path, outermost segment first.
    pub fn path(&self) -> impl Iterator<Item = &PathSegment> {
        self.path.iter().rev()
    }

    /// The path rendered as `Echo_args.req.items["k"].id` (empty when there is none).
    pub fn path_string(&self) -> String {
        let mut out = String::new();
        for seg in self.path() {
            match seg {
                PathSegment::Root(name) => out.push_str(name),
                PathSegment::Field(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                PathSegment::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
                PathSegment::Key(k) => {
                    out.push('[');
                    out.push_str(k);
                    out.push(']');
                }
            }
        }
        out
    }

    /// The input ended early.
    pub fn is_truncated(&self) -> bool {
        self.kind == ErrorKind::Truncated
    }

    /// A named limit was exceeded.
    pub fn is_limit(&self) -> bool {
        matches!(self.kind, ErrorKind::Limit(_))
    }

    /// The bytes or JSON did not fit the IDL (type mismatch, unknown field,
    /// missing required field, out-of-range number).
    pub fn is_schema(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::TypeMismatch
                | ErrorKind::UnknownField
                | ErrorKind::MissingRequired
                | ErrorKind::OutOfRange
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path_string(), self.message)
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("path", &self.path_string())
            .field("message", &self.message)
            .finish()
    }
}

impl std::error::Error for Error {}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
