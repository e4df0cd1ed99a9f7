//! Options for descriptor-driven encoding and decoding.

/// How `Value` and JSON are checked and rendered against the IDL.
///
/// | option | default | meaning |
/// |---|---|---|
/// | `unknown_fields` | `Error` | a JSON key / `Value` field the IDL does not declare |
/// | `missing_required` | `Error` | a `required` field absent on write (or on read); on write, one with an IDL default takes it |
/// | `write_defaults` | `true` | absent default-requiredness fields that have an IDL default are written with it |
/// | `read_defaults` | `false` | absent fields that have an IDL default appear with it after a read |
/// | `i64_as_string` | `false` | render i64 as JSON strings (numbers and numeric strings are always accepted) |
/// | `enum_as_name` | `false` | render enums by name (names and numbers are always accepted) |
/// | `binary` | `Base64` | how binary is rendered and accepted in JSON |
/// | `keyed_args` | `false` | JSON for a call is always `{"param": …}`, even for a single struct parameter |
/// | `non_finite` | `Error` | what JSON output does with NaN and ±Infinity doubles |
/// | `strict` | `true` | refuse to write what generated code refuses: a union with zero or several fields set, a repeated set element, a repeated map key |
/// | `max_depth` | 64 | nesting of structs and containers accepted in JSON and `Value` input ([`DEFAULT_MAX_DEPTH`](crate::limits::DEFAULT_MAX_DEPTH)) |
///
/// `go.tag` json aliases are chosen when the IDL is loaded
/// (`anycall_idl::PoolOptions::go_tag_alias`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// What to do with fields the IDL does not declare.
    pub unknown_fields: UnknownFields,
    /// What to do when a `required` field is absent.
    pub missing_required: MissingRequired,
    /// Write IDL defaults for absent default-requiredness fields.
    pub write_defaults: bool,
    /// Fill IDL defaults for absent fields when reading.
    pub read_defaults: bool,
    /// Render i64 as JSON strings.
    pub i64_as_string: bool,
    /// Render enums by name.
    pub enum_as_name: bool,
    /// Binary in JSON.
    pub binary: BinaryFormat,
    /// Always use the keyed shape for call arguments.
    pub keyed_args: bool,
    /// NaN and infinities in JSON output.
    pub non_finite: NonFinite,
    /// Check unions, sets and map keys on write as generated code does.
    pub strict: bool,
    /// Deepest nesting written from JSON or `Value` input.
    pub max_depth: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            unknown_fields: UnknownFields::Error,
            missing_required: MissingRequired::Error,
            write_defaults: true,
            read_defaults: false,
            i64_as_string: false,
            enum_as_name: false,
            binary: BinaryFormat::Base64,
            keyed_args: false,
            non_finite: NonFinite::Error,
            strict: true,
            max_depth: crate::limits::DEFAULT_MAX_DEPTH,
        }
    }
}

impl Options {
    /// Kitex's looser behaviour: unknown fields ignored, missing required
    /// fields written as zero values, unions, sets and maps passed through
    /// unchecked.
    pub fn lenient() -> Self {
        Self {
            unknown_fields: UnknownFields::Ignore,
            missing_required: MissingRequired::ZeroValue,
            strict: false,
            ..Self::default()
        }
    }
}

/// Unknown JSON keys or `Value` fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownFields {
    /// Fail naming the field path (default).
    Error,
    /// Skip them, as Kitex does.
    Ignore,
}

/// Absent `required` fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingRequired {
    /// Fail naming the field path (default).
    Error,
    /// Write the type's zero value, as Kitex's map generic does.
    ZeroValue,
}

/// Binary values in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryFormat {
    /// Standard base64 with padding (default, as Kitex's JSON generic).
    Base64,
    /// The bytes as a UTF-8 string (invalid UTF-8 is an error on output).
    Text,
}

/// NaN and ±Infinity doubles in JSON output (JSON has no literal for them).
/// Input always accepts the strings `"NaN"`, `"Infinity"` and `"-Infinity"`
/// for doubles, beside numbers. With [`NonFinite::Error`] the error reads
/// "double NaN has no JSON form".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonFinite {
    /// Fail naming the field path (default).
    Error,
    /// Write `null`.
    Null,
    /// Write the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
    String,
}
