//! Whole messages for a method: encode calls and replies from JSON or
//! [`Value`], decode them back.
//!
//! ```text
//! CALL / ONEWAY   message header (name, type, seq_id) | <method>_args struct
//! REPLY           message header                      | <method>_result struct
//! EXCEPTION       message header                      | TApplicationException
//! ```
//!
//! **Argument shape.** When a method has exactly one parameter and it is a
//! struct, the JSON (or `Value`) is that struct — Kitex's shape,
//! `{"Msg": "hello"}`. Otherwise it is an object keyed by parameter names,
//! `{"a": 1, "b": 2}`. [`Options::keyed_args`] forces the keyed shape.
//!
//! **Result shape.** A reply decodes to [`Reply::Success`] (the return
//! value), [`Reply::Void`], [`Reply::Exception`] (which declared exception,
//! by field name, and its value) or [`Reply::Application`] (a
//! `TApplicationException`).

use anycall_idl::{MethodDescriptor, StructDescriptor, TypeKind};
use bytes::BytesMut;

use crate::dynamic::json::{JsonView, to_json_writer, write_json, write_json_struct};
use crate::dynamic::ttype_of;
use crate::dynamic::value::{read_struct, read_value, write_struct, write_value};
use crate::error::{Error, ErrorKind, PathSegment, Result};
use crate::limits::Limits;
use crate::options::Options;
use crate::thrift::room::{RoomBinaryWriter, RoomCompactWriter};
use crate::thrift::{
    BinaryReader, CompactReader, MessageHeader, MessageType, Protocol, ProtocolReader, Reader,
    TApplicationException, TType, Writer,
};
use crate::value::{Struct, Value};

/// A decoded reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply<T> {
    /// The method returned a value.
    Success(T),
    /// A `void` method returned.
    Void,
    /// The method threw a declared exception.
    Exception {
        /// The exception's field name in the `throws` clause.
        name: String,
        /// Its value.
        value: T,
    },
    /// The server answered with a `TApplicationException`.
    Application(TApplicationException),
}

impl<T> Reply<T> {
    /// The same reply with its success or exception value converted by `f`.
    ///
    /// ```
    /// use anycall_codec::call::Reply;
    ///
    /// assert_eq!(Reply::Success(2).map(|n| n * 10), Reply::Success(20));
    /// assert_eq!(Reply::<i32>::Void.map(|n| n * 10), Reply::Void);
    /// ```
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Reply<U> {
        match self {
            Reply::Success(v) => Reply::Success(f(v)),
            Reply::Void => Reply::Void,
            Reply::Exception { name, value } => Reply::Exception {
                name,
                value: f(value),
            },
            Reply::Application(ex) => Reply::Application(ex),
        }
    }
}

/// Whether the arguments use the single-struct shape (see the module docs).
pub fn single_struct_param<'p>(
    method: MethodDescriptor<'p>,
    opts: &Options,
) -> Option<anycall_idl::FieldDescriptor<'p>> {
    if opts.keyed_args {
        return None;
    }
    let args = method.args();
    if args.len() != 1 {
        return None;
    }
    let p = args.field(0)?;
    matches!(p.ty().kind(), TypeKind::Struct(_)).then_some(p)
}

fn call_type(method: MethodDescriptor<'_>) -> MessageType {
    if method.is_oneway() {
        MessageType::Oneway
    } else {
        MessageType::Call
    }
}

/// Runs `$body` with `$w` a writer of `$protocol` appending to `$dst`: the
/// writers that append through a slice cursor (`thrift::room`), the bytes
/// of `BinaryWriter`/`CompactWriter` with less work per value.
macro_rules! with_room_writer {
    ($protocol:expr, $dst:expr, $w:ident => $body:expr) => {
        match $protocol {
            Protocol::Binary => {
                let mut $w = RoomBinaryWriter::new($dst);
                $body
            }
            Protocol::Compact => {
                let mut $w = RoomCompactWriter::new($dst);
                $body
            }
        }
    };
}

/// Runs `$body` with `$r` a reader of `$protocol` over `$bytes`, generic
/// code monomorphised per protocol (no protocol match per value).
macro_rules! with_reader {
    ($protocol:expr, $bytes:expr, $limits:expr, $r:ident => $body:expr) => {
        match $protocol {
            Protocol::Binary => {
                let mut $r = BinaryReader::with_limits($bytes, $limits);
                $body
            }
            Protocol::Compact => {
                let mut $r = CompactReader::with_limits($bytes, $limits);
                $body
            }
        }
    };
}

/// Appends a CALL (or ONEWAY) message for `method` with JSON arguments.
pub fn encode_call_json(
    method: MethodDescriptor<'_>,
    json: &[u8],
    seq_id: i32,
    protocol: Protocol,
    opts: &Options,
    dst: &mut BytesMut,
) -> Result<()> {
    let header = MessageHeader::new(method.name(), call_type(method), seq_id);
    // The Thrift form is rarely longer than its JSON text.
    dst.reserve(json.len() + 64);
    with_room_writer!(protocol, dst, w => {
        w.write_message_begin(&header)?;
        write_args_json(&mut w, method, json, opts)
    })
}

fn write_args_json<W: Writer>(
    w: &mut W,
    method: MethodDescriptor<'_>,
    json: &[u8],
    opts: &Options,
) -> Result<()> {
    write_args(
        w,
        method,
        opts,
        |w, ty| write_json(w, ty, json, opts),
        |w, args| write_json_struct(w, args, json, opts),
    )
}

/// Writes the args struct in the shape the module docs describe: the one
/// struct parameter written by `param`, or the keyed args struct by `keyed`.
fn write_args<W: Writer>(
    w: &mut W,
    method: MethodDescriptor<'_>,
    opts: &Options,
    param: impl FnOnce(&mut W, anycall_idl::TypeDescriptor<'_>) -> Result<()>,
    keyed: impl FnOnce(&mut W, StructDescriptor<'_>) -> Result<()>,
) -> Result<()> {
    let args = method.args();
    match single_struct_param(method, opts) {
        Some(p) => {
            w.write_struct_begin();
            w.write_field_begin(TType::Struct, p.id())?;
            param(w, p.ty()).map_err(|e| under_param(e, args, p.name()))?;
            w.write_field_stop();
            w.write_struct_end();
            Ok(())
        }
        None => keyed(w, args),
    }
}

/// Re-roots a path under `<method>_args.<param>`.
fn under_param(e: Error, args: StructDescriptor<'_>, param: &str) -> Error {
    e.at(PathSegment::Field(param.to_owned()))
        .at(PathSegment::Root(args.name().to_owned()))
}

/// Appends a CALL (or ONEWAY) message for `method` with `Value` arguments.
pub fn encode_call_value(
    method: MethodDescriptor<'_>,
    args: &Value,
    seq_id: i32,
    protocol: Protocol,
    opts: &Options,
    dst: &mut BytesMut,
) -> Result<()> {
    let header = MessageHeader::new(method.name(), call_type(method), seq_id);
    with_room_writer!(protocol, dst, w => {
        w.write_message_begin(&header)?;
        write_args_value(&mut w, method, args, opts)
    })
}

fn write_args_value<W: Writer>(
    w: &mut W,
    method: MethodDescriptor<'_>,
    args: &Value,
    opts: &Options,
) -> Result<()> {
    write_args(
        w,
        method,
        opts,
        |w, ty| write_value(w, ty, args, opts),
        |w, desc| match args {
            Value::Struct(s) => write_struct(w, desc, s, opts),
            other => Err(Error::new(
                ErrorKind::TypeMismatch,
                format!(
                    "arguments of `{}` are an object keyed by parameter name, found {}",
                    method.name(),
                    other.kind_name()
                ),
            )),
        },
    )
}

/// A decoded message header and where its body starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// Method name, type and seq id.
    pub header: MessageHeader<'a>,
    /// Offset of the struct after the header.
    pub body: usize,
}

/// Reads the message header at the start of `msg`.
pub fn read_envelope<'a>(
    msg: &'a [u8],
    protocol: Protocol,
    limits: &Limits,
) -> Result<Envelope<'a>> {
    let mut r = ProtocolReader::new(protocol, msg, *limits);
    let header = r.read_message_begin()?;
    Ok(Envelope {
        header,
        body: r.position(),
    })
}

/// Decodes a reply message to `method` with results as JSON text.
///
/// `pretty` selects indented output. The reply's method name must match.
pub fn decode_reply_json(
    method: MethodDescriptor<'_>,
    msg: &[u8],
    protocol: Protocol,
    opts: &Options,
    limits: &Limits,
    pretty: bool,
) -> Result<Reply<String>> {
    let env = expect_reply(method, msg, protocol, limits)?;
    let body = &msg[env.body..];
    if env.header.message_type == MessageType::Exception {
        return Ok(Reply::Application(read_app_exception(
            body, protocol, limits,
        )?));
    }
    let result = method.result();
    let view = JsonView::result_field(body, protocol, result, *opts).limits(*limits);
    let mut out = Vec::with_capacity(json_capacity(body.len()));
    to_json_writer(&view, &mut out, pretty)?;
    check_json_budget(&out, body.len(), limits)?;
    let Some(id) = view.chosen_field() else {
        return void_or_missing(method);
    };
    let text = String::from_utf8(out).map_err(|_| Error::invalid("json output is not utf-8"))?;
    Ok(result_reply(result, id, text))
}

fn result_reply<T>(result: StructDescriptor<'_>, id: i16, value: T) -> Reply<T> {
    match result.field_by_id(id) {
        Some(f) if id != 0 => Reply::Exception {
            name: f.name().to_owned(),
            value,
        },
        _ => Reply::Success(value),
    }
}

/// Decodes a reply message to `method` with results as `Value`.
pub fn decode_reply_value(
    method: MethodDescriptor<'_>,
    msg: &[u8],
    protocol: Protocol,
    opts: &Options,
    limits: &Limits,
) -> Result<Reply<Value>> {
    let env = expect_reply(method, msg, protocol, limits)?;
    let body = &msg[env.body..];
    if env.header.message_type == MessageType::Exception {
        return Ok(Reply::Application(read_app_exception(
            body, protocol, limits,
        )?));
    }
    let result = method.result();
    let found = with_reader!(protocol, body, *limits, r => {
        read_result_field(&mut r, result, |r, f| read_value(r, f.ty(), opts))
    })
    .map_err(|e| e.at(PathSegment::Root(result.name().to_owned())))?;
    match found {
        Some((id, value)) => Ok(result_reply(result, id, value)),
        None => void_or_missing(method),
    }
}

/// Reads a result struct and decodes the first known field that is set
/// with `read`; unknown fields are skipped. `None` when no known field is
/// set (a void result).
fn read_result_field<'a, R: Reader<'a>, T>(
    r: &mut R,
    result: StructDescriptor<'_>,
    read: impl FnOnce(&mut R, anycall_idl::FieldDescriptor<'_>) -> Result<T>,
) -> Result<Option<(i16, T)>> {
    r.read_struct_begin()?;
    while let Some((tt, id)) = r.read_field_begin()? {
        match result.field_by_id(id) {
            Some(f) if tt == ttype_of(f.ty()) => {
                let v = read(r, f).map_err(|e| e.at_field(f.json_name()))?;
                return Ok(Some((id, v)));
            }
            _ => r.skip(tt)?,
        }
    }
    Ok(None)
}

fn void_or_missing<T>(method: MethodDescriptor<'_>) -> Result<Reply<T>> {
    if method.returns().is_none() {
        Ok(Reply::Void)
    } else {
        Err(Error::new(
            ErrorKind::InvalidData,
            format!(
                "reply to `{}` has neither a result nor an exception",
                method.name()
            ),
        ))
    }
}

fn expect_reply<'a>(
    method: MethodDescriptor<'_>,
    msg: &'a [u8],
    protocol: Protocol,
    limits: &Limits,
) -> Result<Envelope<'a>> {
    let env = read_envelope(msg, protocol, limits)?;
    match env.header.message_type {
        MessageType::Reply | MessageType::Exception => {}
        other => {
            return Err(Error::invalid(format!(
                "expected a reply to `{}`, found a {} message",
                method.name(),
                other.name()
            )));
        }
    }
    if env.header.message_type == MessageType::Reply && env.header.name != method.name() {
        return Err(Error::invalid(format!(
            "reply is for method `{}`, not `{}`",
            env.header.name,
            method.name()
        )));
    }
    Ok(env)
}

/// Reads a `TApplicationException` struct.
fn read_app_exception(
    body: &[u8],
    protocol: Protocol,
    limits: &Limits,
) -> Result<TApplicationException> {
    let mut r = ProtocolReader::new(protocol, body, *limits);
    TApplicationException::read(&mut r)
}

/// JSON text decoded from `message_len` bytes, against the decoded-memory
/// budget. JSON is at most a few times its Thrift bytes, so this backstops
/// the budget the `Value` reader keeps as it goes.
fn check_json_budget(text: &[u8], message_len: usize, limits: &Limits) -> Result<()> {
    let max = limits.decoded_memory_for(message_len);
    if text.len() > max {
        return Err(Error::decoded_memory(message_len, max, limits));
    }
    Ok(())
}

/// Decodes the arguments of a CALL/ONEWAY message body (the bytes after the
/// header) to JSON, in the shape described in the module docs.
pub fn decode_args_json(
    method: MethodDescriptor<'_>,
    body: &[u8],
    protocol: Protocol,
    opts: &Options,
    limits: &Limits,
    pretty: bool,
) -> Result<String> {
    let args = method.args();
    let view = match single_struct_param(method, opts) {
        Some(_) => JsonView::result_field(body, protocol, args, *opts),
        None => JsonView::new_struct(body, protocol, args, *opts),
    }
    .limits(*limits);
    let mut out = Vec::with_capacity(json_capacity(body.len()));
    to_json_writer(&view, &mut out, pretty)?;
    check_json_budget(&out, body.len(), limits)?;
    if single_struct_param(method, opts).is_some() && view.chosen_field().is_none() {
        // The struct parameter was not sent: an empty struct.
        return Ok("{}".to_owned());
    }
    String::from_utf8(out).map_err(|_| Error::invalid("json output is not utf-8"))
}

/// Decodes the arguments of a CALL/ONEWAY message body to a `Value`, in the
/// shape described in the module docs.
pub fn decode_args_value(
    method: MethodDescriptor<'_>,
    body: &[u8],
    protocol: Protocol,
    opts: &Options,
    limits: &Limits,
) -> Result<Value> {
    let args = method.args();
    with_reader!(protocol, body, *limits, r => match single_struct_param(method, opts) {
        Some(_) => {
            let found = read_result_field(&mut r, args, |r, f| read_value(r, f.ty(), opts))
                .map_err(|e| e.at(PathSegment::Root(args.name().to_owned())))?;
            Ok(found.map_or_else(|| Value::Struct(Struct::new()), |(_, v)| v))
        }
        None => Ok(Value::Struct(read_struct(&mut r, args, opts)?)),
    })
}

/// Appends a reply to `method` for a call with `seq_id`: a REPLY holding the
/// success value or a declared exception (JSON text), or an EXCEPTION
/// message for [`Reply::Application`].
pub fn encode_reply_json<T: AsRef<[u8]>>(
    method: MethodDescriptor<'_>,
    reply: &Reply<T>,
    seq_id: i32,
    protocol: Protocol,
    opts: &Options,
    dst: &mut BytesMut,
) -> Result<()> {
    if let Reply::Application(ex) = reply {
        return ex.write_message(protocol, method.name(), seq_id, dst);
    }
    let slot = reply_slot(method, reply)?;
    with_room_writer!(protocol, dst, w => write_reply(&mut w, method, seq_id, slot, |w, ty, v| {
        write_json(w, ty, v.as_ref(), opts)
    }))
}

/// Appends a reply to `method` with `Value` results (see [`encode_reply_json`]).
pub fn encode_reply_value(
    method: MethodDescriptor<'_>,
    reply: &Reply<Value>,
    seq_id: i32,
    protocol: Protocol,
    opts: &Options,
    dst: &mut BytesMut,
) -> Result<()> {
    if let Reply::Application(ex) = reply {
        return ex.write_message(protocol, method.name(), seq_id, dst);
    }
    let slot = reply_slot(method, reply)?;
    with_room_writer!(protocol, dst, w => write_reply(&mut w, method, seq_id, slot, |w, ty, v| {
        write_value(w, ty, v, opts)
    }))
}

/// The result field a reply other than [`Reply::Application`] sets, and its
/// value (`None` for void).
fn reply_slot<'p, 'v, T>(
    method: MethodDescriptor<'p>,
    reply: &'v Reply<T>,
) -> Result<Option<(anycall_idl::FieldDescriptor<'p>, &'v T)>> {
    let result = method.result();
    Ok(match reply {
        Reply::Application(_) | Reply::Void => None,
        Reply::Success(v) => {
            let f = result.field_by_id(0).ok_or_else(|| {
                Error::new(
                    ErrorKind::TypeMismatch,
                    format!("`{}` returns void; it has no success value", method.name()),
                )
            })?;
            Some((f, v))
        }
        Reply::Exception { name, value } => {
            let f = method
                .exceptions()
                .find(|f| f.name() == name || f.json_name() == name)
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::UnknownField,
                        format!("`{}` declares no exception named `{name}`", method.name()),
                    )
                })?;
            Some((f, value))
        }
    })
}

/// Writes a REPLY message whose result struct holds `slot`.
fn write_reply<W: Writer, T>(
    w: &mut W,
    method: MethodDescriptor<'_>,
    seq_id: i32,
    slot: Option<(anycall_idl::FieldDescriptor<'_>, &T)>,
    write: impl FnOnce(&mut W, anycall_idl::TypeDescriptor<'_>, &T) -> Result<()>,
) -> Result<()> {
    let result = method.result();
    let header = MessageHeader::new(method.name(), MessageType::Reply, seq_id);
    w.write_message_begin(&header)?;
    w.write_struct_begin();
    if let Some((f, v)) = slot {
        w.write_field_begin(ttype_of(f.ty()), f.id())?;
        write(w, f.ty(), v).map_err(|e| {
            e.at(PathSegment::Field(f.json_name().to_owned()))
                .at(PathSegment::Root(result.name().to_owned()))
        })?;
    }
    w.write_field_stop();
    w.write_struct_end();
    Ok(())
}

type ProtocolWriterRef<'b> = crate::thrift::ProtocolWriter<'b>;

/// Appends a REPLY to `method` whose result struct is empty: what a Kitex
/// server sends with a business status error, and what a successful void
/// method sends. Needs no IDL.
///
/// ```
/// use anycall_codec::call::encode_empty_reply;
/// use anycall_codec::thrift::Protocol;
///
/// let mut buf = bytes::BytesMut::new();
/// encode_empty_reply("Ping", 7, Protocol::Binary, &mut buf)?;
/// assert_eq!(&buf[..], b"\x80\x01\x00\x02\x00\x00\x00\x04Ping\x00\x00\x00\x07\x00");
/// # Ok::<(), anycall_codec::Error>(())
/// ```
pub fn encode_empty_reply(
    method: &str,
    seq_id: i32,
    protocol: Protocol,
    dst: &mut BytesMut,
) -> Result<()> {
    let mut w = ProtocolWriterRef::new(protocol, dst);
    w.write_message_begin(&MessageHeader::new(method, MessageType::Reply, seq_id))?;
    w.write_struct_begin();
    w.write_field_stop();
    w.write_struct_end();
    Ok(())
}

/// Appends a bare struct encoded from JSON (no message header).
pub fn encode_struct_json(
    desc: StructDescriptor<'_>,
    json: &[u8],
    protocol: Protocol,
    opts: &Options,
    dst: &mut BytesMut,
) -> Result<()> {
    // The Thrift form is rarely longer than its JSON text.
    dst.reserve(json.len());
    with_room_writer!(protocol, dst, w => write_json_struct(&mut w, desc, json, opts))
}

/// Decodes a bare struct to JSON; also returns the number of bytes read.
pub fn decode_struct_json(
    desc: StructDescriptor<'_>,
    bytes: &[u8],
    protocol: Protocol,
    opts: &Options,
    limits: &Limits,
    pretty: bool,
) -> Result<(String, usize)> {
    let view = JsonView::new_struct(bytes, protocol, desc, *opts).limits(*limits);
    let mut out = Vec::with_capacity(json_capacity(bytes.len()));
    to_json_writer(&view, &mut out, pretty)?;
    check_json_budget(&out, bytes.len(), limits)?;
    let text = String::from_utf8(out).map_err(|_| Error::invalid("json output is not utf-8"))?;
    Ok((text, view.consumed()))
}

/// Room for the JSON of `n` bytes of Thrift: usually enough for one
/// allocation.
fn json_capacity(n: usize) -> usize {
    n.saturating_add(n / 2).saturating_add(64)
}

/// Decodes a bare struct to a `Value`.
pub fn decode_struct_value(
    desc: StructDescriptor<'_>,
    bytes: &[u8],
    protocol: Protocol,
    opts: &Options,
    limits: &Limits,
) -> Result<Struct> {
    with_reader!(protocol, bytes, *limits, r => read_struct(&mut r, desc, opts))
}

/// Appends a bare struct encoded from a `Value`.
pub fn encode_struct_value(
    desc: StructDescriptor<'_>,
    value: &Struct,
    protocol: Protocol,
    opts: &Options,
    dst: &mut BytesMut,
) -> Result<()> {
    with_room_writer!(protocol, dst, w => write_struct(&mut w, desc, value, opts))
}
