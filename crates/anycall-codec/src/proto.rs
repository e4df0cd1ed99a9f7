//! Protobuf (feature `grpc`): bytes ⇄ proto3 JSON and bytes ⇄ dynamic
//! messages under a run-time [`MessageDescriptor`].
//!
//! ```
//! use anycall_codec::proto::{ProtoOptions, bytes_to_json, json_to_bytes};
//!
//! let pool = anycall_idl::proto::ProtoLoader::in_memory()
//!     .file("a.proto", "syntax = \"proto3\"; message Req { int64 big_id = 1; }")
//!     .load(["a.proto"]).unwrap();
//! let req = pool.get_message_by_name("Req").unwrap();
//! let opts = ProtoOptions::default();
//! let bytes = json_to_bytes(&req, br#"{"big_id": 7}"#, &opts).unwrap();
//! assert_eq!(bytes, [0x08, 0x07]);
//! assert_eq!(bytes_to_json(&req, &bytes, &opts).unwrap(), r#"{"bigId":"7"}"#);
//! ```
//!
//! JSON follows the proto3 JSON mapping (prost-reflect's serde support):
//! lowerCamelCase names out, both names in; 64-bit integers as strings out,
//! strings or numbers in; enums by name out, names or numbers in; bytes as
//! base64; oneofs as their one set member; maps as objects; `Timestamp`,
//! `Duration`, wrappers, `Struct`/`Value`/`ListValue`, `FieldMask`, `Empty`
//! and `Any` (its type URL resolved in the message's pool) in their special
//! forms. [`ProtoOptions`] turns on zero values (`emit_defaults`), proto
//! names, enum numbers and lenient unknown fields.
//!
//! Limits ([`ProtoLimits`]): message size (default 4 MiB, gRPC's default)
//! on both paths, and nesting depth (default 64) of JSON input. Binary input
//! is also bounded by prost's decoder recursion limit of 100. Errors name the
//! JSON path (`items[2].id`) or the message and field prost reports.

use bytes::BytesMut;
use prost::Message as _;
use prost_reflect::{DeserializeOptions, ReflectMessage as _, SerializeOptions};
pub use prost_reflect::{DynamicMessage, MessageDescriptor};

use crate::error::{Error, ErrorKind, Limit, PathSegment, Result};

/// gRPC's default largest message, in bytes (4 MiB).
pub const DEFAULT_MAX_PROTO_MESSAGE_SIZE: usize = 4 << 20;
/// Default deepest nesting of JSON input (objects and arrays).
pub const DEFAULT_MAX_PROTO_DEPTH: usize = 64;

/// Limits of the protobuf codec.
///
/// | limit | default |
/// |---|---|
/// | `max_message_size` | 4 MiB, of protobuf bytes or JSON text |
/// | `max_depth` | 64 levels of JSON objects and arrays |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtoLimits {
    /// Largest message, protobuf bytes or JSON text. Default 4 MiB.
    pub max_message_size: usize,
    /// Deepest nesting of JSON input. Default 64.
    pub max_depth: usize,
}

impl Default for ProtoLimits {
    fn default() -> Self {
        Self {
            max_message_size: DEFAULT_MAX_PROTO_MESSAGE_SIZE,
            max_depth: DEFAULT_MAX_PROTO_DEPTH,
        }
    }
}

/// How protobuf JSON is read and written. The defaults are the proto3 JSON
/// mapping's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProtoOptions {
    /// Write fields that hold their zero value (`--emit-defaults`). Default off.
    pub emit_defaults: bool,
    /// Write proto field names instead of lowerCamelCase. Default off.
    pub proto_names: bool,
    /// Write enums as numbers instead of names. Default off.
    pub enums_as_numbers: bool,
    /// Write 64-bit integers as JSON numbers instead of strings. Default off.
    pub int64_as_numbers: bool,
    /// Skip unknown JSON fields instead of refusing them. Default off.
    pub ignore_unknown: bool,
    /// Limits on input.
    pub limits: ProtoLimits,
}

impl ProtoOptions {
    fn serialize(&self) -> SerializeOptions {
        SerializeOptions::new()
            .skip_default_fields(!self.emit_defaults)
            .use_proto_field_name(self.proto_names)
            .use_enum_numbers(self.enums_as_numbers)
            .stringify_64_bit_integers(!self.int64_as_numbers)
    }

    fn deserialize(&self) -> DeserializeOptions {
        DeserializeOptions::new().deny_unknown_fields(!self.ignore_unknown)
    }
}

fn check_size(len: usize, limits: &ProtoLimits) -> Result<()> {
    if len > limits.max_message_size {
        return Err(Error::limit(
            Limit::MessageSize,
            len,
            limits.max_message_size,
        ));
    }
    Ok(())
}

/// Checks the nesting depth of JSON text without parsing it (brackets
/// outside strings).
fn check_json_depth(json: &[u8], max: usize) -> Result<()> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in json {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return Err(Error::limit(Limit::Depth, depth, max));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Parses one JSON message of type `desc`.
///
/// # Errors
///
/// [`ErrorKind::Json`] for bad JSON or a value of the wrong shape, with the
/// JSON path in [`Error::path_string`] (rooted at the message name); a
/// [`Limit`] error for input beyond [`ProtoLimits`].
pub fn json_to_message(
    desc: &MessageDescriptor,
    json: &[u8],
    opts: &ProtoOptions,
) -> Result<DynamicMessage> {
    check_size(json.len(), &opts.limits)?;
    check_json_depth(json, opts.limits.max_depth)?;
    let mut de = serde_json::Deserializer::from_slice(json);
    // serde_json's own recursion limit (128) stays on; ours is lower.
    let mut track = serde_path_to_error::Track::new();
    let tracked = serde_path_to_error::Deserializer::new(&mut de, &mut track);
    let result =
        DynamicMessage::deserialize_with_options(desc.clone(), tracked, &opts.deserialize())
            .and_then(|m| de.end().map(|()| m));
    result.map_err(|e| json_error(desc, &e, &track.path()))
}

fn json_error(
    desc: &MessageDescriptor,
    err: &serde_json::Error,
    path: &serde_path_to_error::Path,
) -> Error {
    let mut error = Error::new(ErrorKind::Json, err.to_string());
    let mut segments: Vec<PathSegment> = vec![PathSegment::Root(desc.full_name().to_owned())];
    for seg in path {
        segments.push(match seg {
            serde_path_to_error::Segment::Seq { index } => PathSegment::Index(*index),
            serde_path_to_error::Segment::Map { key } => PathSegment::Field(key.clone()),
            serde_path_to_error::Segment::Enum { variant } => PathSegment::Field(variant.clone()),
            serde_path_to_error::Segment::Unknown => continue,
        });
    }
    for seg in segments.into_iter().rev() {
        error = error.at(seg);
    }
    error
}

/// Reads protobuf bytes as a message of type `desc`.
///
/// # Errors
///
/// [`ErrorKind::InvalidData`] naming the message and field prost reports,
/// or a [`Limit`] error beyond [`ProtoLimits::max_message_size`].
pub fn bytes_to_message(
    desc: &MessageDescriptor,
    bytes: &[u8],
    opts: &ProtoOptions,
) -> Result<DynamicMessage> {
    check_size(bytes.len(), &opts.limits)?;
    DynamicMessage::decode(desc.clone(), bytes).map_err(|e| {
        Error::invalid(e.to_string()).at(PathSegment::Root(desc.full_name().to_owned()))
    })
}

/// Writes `msg` as JSON text.
///
/// # Errors
///
/// [`ErrorKind::Json`] when serialization fails (an `Any` whose type URL is
/// not in the pool, a non-finite `Value` number).
pub fn message_to_json(msg: &DynamicMessage, opts: &ProtoOptions) -> Result<String> {
    json_with(msg, opts, serde_json::ser::CompactFormatter, 128)
}

/// Writes `msg` as pretty-printed JSON text.
///
/// # Errors
///
/// As [`message_to_json`].
pub fn message_to_json_pretty(msg: &DynamicMessage, opts: &ProtoOptions) -> Result<String> {
    json_with(msg, opts, serde_json::ser::PrettyFormatter::new(), 256)
}

/// `msg` as JSON text written by `formatter`.
fn json_with<F: serde_json::ser::Formatter>(
    msg: &DynamicMessage,
    opts: &ProtoOptions,
    formatter: F,
    capacity: usize,
) -> Result<String> {
    let mut out = Vec::with_capacity(capacity);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    msg.serialize_with_options(&mut ser, &opts.serialize())
        .map_err(|e| {
            Error::new(ErrorKind::Json, e.to_string())
                .at(PathSegment::Root(msg.descriptor().full_name().to_owned()))
        })?;
    // serde_json writes valid UTF-8.
    String::from_utf8(out).map_err(|e| Error::invalid(e.to_string()))
}

/// Encodes `msg` to protobuf bytes, appending to `out`.
pub fn message_to_bytes(msg: &DynamicMessage, out: &mut BytesMut) {
    out.reserve(msg.encoded_len());
    // Encoding into a growable buffer cannot run out of space.
    let _ = msg.encode(out);
}

/// JSON text → protobuf bytes.
///
/// # Errors
///
/// As [`json_to_message`].
pub fn json_to_bytes(
    desc: &MessageDescriptor,
    json: &[u8],
    opts: &ProtoOptions,
) -> Result<Vec<u8>> {
    Ok(json_to_message(desc, json, opts)?.encode_to_vec())
}

/// Protobuf bytes → JSON text.
///
/// # Errors
///
/// As [`bytes_to_message`] and [`message_to_json`].
pub fn bytes_to_json(
    desc: &MessageDescriptor,
    bytes: &[u8],
    opts: &ProtoOptions,
) -> Result<String> {
    message_to_json(&bytes_to_message(desc, bytes, opts)?, opts)
}

/// Splits text holding several JSON values (separated by whitespace or
/// newlines, as `-d` takes them for streaming calls) into the raw text of
/// each value.
///
/// # Errors
///
/// [`ErrorKind::Json`] at the first value that is not valid JSON.
pub fn split_json_values(text: &[u8]) -> Result<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut stream =
        serde_json::Deserializer::from_slice(text).into_iter::<serde::de::IgnoredAny>();
    let mut start = 0;
    while let Some(item) = stream.next() {
        item.map_err(|e| Error::new(ErrorKind::Json, e.to_string()))?;
        let end = stream.byte_offset();
        let raw = &text[start..end];
        let trimmed = raw.trim_ascii_start();
        out.push(trimmed);
        start = end;
    }
    Ok(out)
}
