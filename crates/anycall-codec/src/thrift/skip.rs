//! Skipping values without decoding them, and finding where a message ends.
//!
//! ```text
//! message_len(buf):
//!   ┌─ header ─┬──────────── one struct ─────────────┬── next message ...
//!   0                                               n  → Ok(Some(n))
//!   ┌─ header ─┬───── struct, cut short ─────┐         → Ok(None): need more
//! ```
//!
//! The skipper is iterative (an explicit stack, no recursion), so nesting is
//! bounded by [`Limits::max_depth`] and never by the thread's stack. It reads
//! one token at a time (a field header, a primitive, a string, a container
//! header) and commits a token only when all its bytes are present, so a
//! [`MessageScanner`] can stop at the end of the input and resume there when
//! more bytes arrive: fed a growing buffer, it does work linear in the
//! message size overall (plus a constant per call). Containers of
//! fixed-width elements are skipped in one step.
//!
//! Skipping a value of type `Void` skips a struct, as Kitex's readers do
//! for the 5-byte void result of its generic servers (wire-format §9.4).

use crate::error::{Error, Limit, Result};
use crate::limits::Limits;

use super::compact::{VarintError, decode_varint32, decode_varint64, unzigzag32, varint_error};
use super::message::read_message_header;
use super::ttype::{Protocol, TType, unknown_compact_type, unknown_type};
use super::util::{depth_exceeded, negative_len, truncated};
use super::{binary, compact};

/// Skips one value of `ttype` at the start of `buf` and returns the number of
/// bytes it took.
///
/// Errors: [`ErrorKind::Truncated`](crate::ErrorKind::Truncated) when the
/// value does not end within `buf`, `InvalidData` for unknown type ids or
/// negative lengths, [`Limit`] errors for nesting deeper than
/// `limits.max_depth` or lengths above the string and container limits.
pub fn skip(protocol: Protocol, buf: &[u8], ttype: TType, limits: &Limits) -> Result<usize> {
    skip_value(protocol, buf, ttype, limits, 0)
}

/// [`skip`] for a value found `depth` levels deep.
pub(crate) fn skip_value(
    protocol: Protocol,
    buf: &[u8],
    ttype: TType,
    limits: &Limits,
    depth: usize,
) -> Result<usize> {
    let mut skipper = Skipper::new(protocol, *limits, depth, usize::MAX);
    skipper.start(ttype, 0);
    match skipper.run(buf)? {
        Some(end) => Ok(end),
        None => Err(truncated(skipped(ttype))),
    }
}

const fn skipped(ttype: TType) -> &'static str {
    match ttype {
        TType::Struct | TType::Void => "skipped struct",
        TType::List => "skipped list",
        TType::Set => "skipped set",
        TType::Map => "skipped map",
        TType::Binary => "skipped string",
        _ => "skipped value",
    }
}

/// Where a complete message of `protocol` (header and one struct) ends in
/// `buf`, for transports without a length prefix (Buffered).
///
/// * `Ok(None)`: `buf` is a valid prefix of a message; read more bytes.
/// * `Ok(Some(n))`: the message is `buf[..n]`; bytes after it are ignored.
/// * `Err(_)`: invalid bytes, or a limit exceeded; a message that would be
///   longer than `limits.max_message_size` is a
///   [`Limit::MessageSize`] error as soon as a length that reaches past it
///   is read, or once `buf` holds that many bytes without a complete
///   message.
///
/// Each call scans from the start of `buf`. A caller that calls again as
/// bytes trickle in should keep a [`MessageScanner`] instead, which resumes
/// where it stopped.
pub fn message_len(protocol: Protocol, buf: &[u8], limits: &Limits) -> Result<Option<usize>> {
    MessageScanner::new(protocol, *limits).scan(buf)
}

/// A resumable [`message_len`]: remembers how far it got, so that feeding it
/// a growing buffer costs time linear in the message size overall.
///
/// Each call to [`scan`](Self::scan) must pass the same message from its
/// first byte, with at least the bytes passed before. After `Some(n)`, call
/// [`reset`](Self::reset) before scanning the next message.
///
/// ```
/// use anycall_codec::Limits;
/// use anycall_codec::thrift::{MessageScanner, Protocol};
///
/// let msg = [0x82, 0x21, 0x01, 0x04, b'E', b'c', b'h', b'o', 0x18, 0x02, b'h', b'i', 0x00];
/// let mut scanner = MessageScanner::new(Protocol::Compact, Limits::default());
/// assert_eq!(scanner.scan(&msg[..9]).unwrap(), None);
/// assert_eq!(scanner.scan(&msg).unwrap(), Some(msg.len()));
/// ```
#[derive(Debug, Clone)]
pub struct MessageScanner {
    protocol: Protocol,
    limits: Limits,
    header_done: bool,
    skipper: Skipper,
}

impl MessageScanner {
    /// A scanner for one message of `protocol` at a time.
    pub fn new(protocol: Protocol, limits: Limits) -> Self {
        Self {
            protocol,
            limits,
            header_done: false,
            skipper: Skipper::new(protocol, limits, 0, limits.max_message_size),
        }
    }

    /// Forgets the message scanned so far, keeping the allocated stack.
    pub fn reset(&mut self) {
        self.header_done = false;
        self.skipper.reset();
    }

    /// Scans `buf`, the message from its first byte; see [`message_len`].
    pub fn scan(&mut self, buf: &[u8]) -> Result<Option<usize>> {
        let max = self.limits.max_message_size;
        if !self.header_done {
            match read_message_header(self.protocol, buf, &self.limits) {
                Ok((_, end)) => {
                    if end > max {
                        return Err(Error::limit(Limit::MessageSize, end, max));
                    }
                    self.skipper.start(TType::Struct, end);
                    self.header_done = true;
                }
                Err(err) if err.is_truncated() => {
                    if buf.len() >= max {
                        return Err(Error::limit(Limit::MessageSize, buf.len(), max));
                    }
                    return Ok(None);
                }
                Err(err) => return Err(err),
            }
        }
        self.skipper.run(buf)
    }
}

/// One open struct or container on the skipper's stack.
#[derive(Debug, Clone, Copy)]
enum Frame {
    Struct,
    /// A list or set with `left` elements to go.
    Seq {
        elem: TType,
        left: usize,
    },
    /// A map with `left` keys and values to go (twice the entries).
    Map {
        key: TType,
        value: TType,
        left: usize,
    },
}

/// Why a token could not be consumed.
enum Halt {
    /// The token does not end within the input.
    NeedMore,
    Error(Error),
}

impl From<Error> for Halt {
    fn from(err: Error) -> Self {
        Self::Error(err)
    }
}

type Step<T> = std::result::Result<T, Halt>;

/// The iterative skipping machine shared by [`skip`] and [`MessageScanner`].
#[derive(Debug, Clone)]
struct Skipper {
    protocol: Protocol,
    limits: Limits,
    /// Levels already entered by the caller.
    base_depth: usize,
    /// No token may end past this offset ([`Limit::MessageSize`]).
    end_limit: usize,
    stack: Vec<Frame>,
    /// The type of the value to read next, if the next token is a value.
    pending: Option<TType>,
    /// Offset of the first byte not consumed.
    pos: usize,
}

impl Skipper {
    fn new(protocol: Protocol, limits: Limits, base_depth: usize, end_limit: usize) -> Self {
        Self {
            protocol,
            limits,
            base_depth,
            end_limit,
            stack: Vec::new(),
            pending: None,
            pos: 0,
        }
    }

    fn reset(&mut self) {
        self.stack.clear();
        self.pending = None;
        self.pos = 0;
    }

    /// Starts skipping one value of `ttype` at offset `pos`.
    fn start(&mut self, ttype: TType, pos: usize) {
        self.stack.clear();
        self.pending = Some(ttype);
        self.pos = pos;
    }

    /// Runs until the value ends (`Some(end offset)`) or the input does
    /// (`None`).
    fn run(&mut self, buf: &[u8]) -> Result<Option<usize>> {
        match self.run_inner(buf) {
            Ok(()) => Ok(Some(self.pos)),
            Err(Halt::NeedMore) => Ok(None),
            Err(Halt::Error(err)) => Err(err),
        }
    }

    fn run_inner(&mut self, buf: &[u8]) -> Step<()> {
        loop {
            if let Some(ttype) = self.pending {
                self.value(buf, ttype)?;
                self.pending = None;
                continue;
            }
            let Some(&top) = self.stack.last() else {
                return Ok(());
            };
            let next = match top {
                Frame::Struct => {
                    let (field, end) = self.field_header(buf)?;
                    self.pos = end;
                    match field {
                        Field::Stop => None,
                        Field::Value(ttype) => {
                            self.pending = Some(ttype);
                            Some(top)
                        }
                        Field::Folded => Some(top),
                    }
                }
                Frame::Seq { left: 0, .. } | Frame::Map { left: 0, .. } => None,
                Frame::Seq { elem, left } => {
                    if let Some(width) = self.fixed_size(elem) {
                        self.pos = self.need(buf, self.pos, width.saturating_mul(left))?;
                        None
                    } else {
                        self.pending = Some(elem);
                        Some(Frame::Seq {
                            elem,
                            left: left - 1,
                        })
                    }
                }
                Frame::Map { key, value, left } => {
                    if left.is_multiple_of(2)
                        && let (Some(k), Some(v)) = (self.fixed_size(key), self.fixed_size(value))
                    {
                        self.pos = self.need(buf, self.pos, (k + v).saturating_mul(left / 2))?;
                        None
                    } else {
                        self.pending = Some(if left.is_multiple_of(2) { key } else { value });
                        Some(Frame::Map {
                            key,
                            value,
                            left: left - 1,
                        })
                    }
                }
            };
            match next {
                Some(frame) => {
                    if let Some(top) = self.stack.last_mut() {
                        *top = frame;
                    }
                }
                None => {
                    self.stack.pop();
                }
            }
        }
    }

    #[inline]
    fn fixed_size(&self, ttype: TType) -> Option<usize> {
        match self.protocol {
            Protocol::Binary => binary::fixed_size(ttype),
            Protocol::Compact => compact::fixed_size(ttype),
        }
    }

    /// The end offset of `n` bytes at `start`, if they are all in `buf`.
    #[inline]
    fn need(&self, buf: &[u8], start: usize, n: usize) -> Step<usize> {
        let end = start.saturating_add(n);
        if end > self.end_limit {
            return Err(Error::limit(Limit::MessageSize, end, self.end_limit).into());
        }
        if end > buf.len() {
            return Err(Halt::NeedMore);
        }
        Ok(end)
    }

    fn push(&mut self, frame: Frame) -> Step<()> {
        let depth = self.base_depth + self.stack.len() + 1;
        if depth > self.limits.max_depth {
            return Err(depth_exceeded(depth, self.limits.max_depth).into());
        }
        self.stack.push(frame);
        Ok(())
    }

    fn check_container(&self, len: usize) -> Step<()> {
        if len > self.limits.max_container_len {
            return Err(
                Error::limit(Limit::ContainerLength, len, self.limits.max_container_len).into(),
            );
        }
        Ok(())
    }

    fn check_string(&self, len: usize) -> Step<()> {
        if len > self.limits.max_string_len {
            return Err(Error::limit(Limit::StringLength, len, self.limits.max_string_len).into());
        }
        Ok(())
    }

    /// Consumes one value token of `ttype` (a container or struct header
    /// pushes a frame).
    fn value(&mut self, buf: &[u8], ttype: TType) -> Step<()> {
        match self.protocol {
            Protocol::Binary => self.binary_value(buf, ttype),
            Protocol::Compact => self.compact_value(buf, ttype),
        }
    }

    fn field_header(&self, buf: &[u8]) -> Step<(Field, usize)> {
        match self.protocol {
            Protocol::Binary => self.binary_field_header(buf),
            Protocol::Compact => self.compact_field_header(buf),
        }
    }

    // -- Binary ------------------------------------------------------------

    fn binary_i32(&self, buf: &[u8], at: usize) -> Step<(i32, usize)> {
        let end = self.need(buf, at, 4)?;
        let bytes = [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]];
        Ok((i32::from_be_bytes(bytes), end))
    }

    fn binary_len(&self, buf: &[u8], at: usize, what: &str) -> Step<(usize, usize)> {
        let (len, end) = self.binary_i32(buf, at)?;
        let len = usize::try_from(len).map_err(|_| negative_len(what, len.into()))?;
        Ok((len, end))
    }

    fn binary_type(&self, buf: &[u8], at: usize) -> Step<TType> {
        self.need(buf, at, 1)?;
        let id = buf[at];
        Ok(TType::from_u8(id).ok_or_else(|| unknown_type(id))?)
    }

    fn binary_value(&mut self, buf: &[u8], ttype: TType) -> Step<()> {
        let at = self.pos;
        if let Some(width) = binary::fixed_size(ttype) {
            self.pos = self.need(buf, at, width)?;
            return Ok(());
        }
        match ttype {
            TType::Binary => {
                let (len, body) = self.binary_len(buf, at, "string")?;
                self.check_string(len)?;
                self.pos = self.need(buf, body, len)?;
            }
            TType::Struct | TType::Void => {
                self.push(Frame::Struct)?;
            }
            TType::List | TType::Set => {
                let elem = self.binary_type(buf, at)?;
                let (left, end) = self.binary_len(buf, at + 1, "list")?;
                self.check_container(left)?;
                self.push(Frame::Seq { elem, left })?;
                self.pos = end;
            }
            TType::Map => {
                let key = self.binary_type(buf, at)?;
                let value = self.binary_type(buf, at + 1)?;
                let (len, end) = self.binary_len(buf, at + 2, "map")?;
                self.check_container(len)?;
                self.push(Frame::Map {
                    key,
                    value,
                    left: len * 2,
                })?;
                self.pos = end;
            }
            _ => return Err(cannot_skip(ttype).into()),
        }
        Ok(())
    }

    fn binary_field_header(&self, buf: &[u8]) -> Step<(Field, usize)> {
        let at = self.pos;
        self.need(buf, at, 1)?;
        if buf[at] == 0 {
            return Ok((Field::Stop, at + 1));
        }
        let ttype = self.binary_type(buf, at)?;
        let end = self.need(buf, at, 3)?;
        Ok((Field::Value(ttype), end))
    }

    // -- Compact -----------------------------------------------------------

    fn varint32(&self, buf: &[u8], at: usize, what: &str) -> Step<(u32, usize)> {
        let rest = buf.get(at..).unwrap_or_default();
        match decode_varint32(rest) {
            Ok((value, n)) => Ok((value, self.need(buf, at, n)?)),
            Err(err) => Err(self.varint_halt(err, at, rest.len(), what)),
        }
    }

    fn varint64(&self, buf: &[u8], at: usize, what: &str) -> Step<usize> {
        let rest = buf.get(at..).unwrap_or_default();
        match decode_varint64(rest) {
            Ok((_, n)) => self.need(buf, at, n),
            Err(err) => Err(self.varint_halt(err, at, rest.len(), what)),
        }
    }

    /// A truncated varint needs more input, unless it already runs past the
    /// message size limit.
    fn varint_halt(&self, err: VarintError, at: usize, have: usize, what: &str) -> Halt {
        match err {
            VarintError::Truncated => {
                let end = at.saturating_add(have + 1);
                if end > self.end_limit {
                    Error::limit(Limit::MessageSize, end, self.end_limit).into()
                } else {
                    Halt::NeedMore
                }
            }
            VarintError::Overflow => varint_error(err, what).into(),
        }
    }

    fn compact_len(&self, buf: &[u8], at: usize, what: &str) -> Step<(usize, usize)> {
        let (len, end) = self.varint32(buf, at, what)?;
        let len = len.cast_signed();
        let len = usize::try_from(len).map_err(|_| negative_len(what, len.into()))?;
        Ok((len, end))
    }

    fn compact_type(id: u8) -> Step<TType> {
        Ok(TType::from_compact(id).ok_or_else(|| unknown_compact_type(id))?)
    }

    fn compact_value(&mut self, buf: &[u8], ttype: TType) -> Step<()> {
        let at = self.pos;
        if let Some(width) = compact::fixed_size(ttype) {
            self.pos = self.need(buf, at, width)?;
            return Ok(());
        }
        match ttype {
            TType::I16 | TType::I32 => {
                self.pos = self.varint32(buf, at, ttype.name())?.1;
            }
            TType::I64 => {
                self.pos = self.varint64(buf, at, "i64")?;
            }
            TType::Binary => {
                let (len, body) = self.compact_len(buf, at, "string")?;
                self.check_string(len)?;
                self.pos = self.need(buf, body, len)?;
            }
            TType::Struct => {
                self.push(Frame::Struct)?;
            }
            TType::List | TType::Set => {
                self.need(buf, at, 1)?;
                let b = buf[at];
                let elem = Self::compact_type(b & 0x0f)?;
                let (left, end) = if b >> 4 == 15 {
                    self.compact_len(buf, at + 1, "list")?
                } else {
                    (usize::from(b >> 4), at + 1)
                };
                self.check_container(left)?;
                self.push(Frame::Seq { elem, left })?;
                self.pos = end;
            }
            TType::Map => {
                let (len, mut end) = self.compact_len(buf, at, "map")?;
                let (key, value) = if len == 0 {
                    (TType::Stop, TType::Stop)
                } else {
                    self.check_container(len)?;
                    end = self.need(buf, end, 1)?;
                    let kv = buf[end - 1];
                    (Self::compact_type(kv >> 4)?, Self::compact_type(kv & 0x0f)?)
                };
                self.push(Frame::Map {
                    key,
                    value,
                    left: len * 2,
                })?;
                self.pos = end;
            }
            _ => return Err(cannot_skip(ttype).into()),
        }
        Ok(())
    }

    fn compact_field_header(&self, buf: &[u8]) -> Step<(Field, usize)> {
        let at = self.pos;
        self.need(buf, at, 1)?;
        let b = buf[at];
        if b == 0 {
            return Ok((Field::Stop, at + 1));
        }
        let ctype = b & 0x0f;
        let ttype = Self::compact_type(ctype)?;
        let end = if b >> 4 == 0 {
            let (zigzag, end) = self.varint32(buf, at + 1, "field id")?;
            let id = unzigzag32(zigzag);
            if i16::try_from(id).is_err() {
                return Err(Error::invalid(format!("i16 value {id} out of range")).into());
            }
            end
        } else {
            at + 1
        };
        if ttype == TType::Bool {
            Ok((Field::Folded, end))
        } else {
            Ok((Field::Value(ttype), end))
        }
    }
}

/// What a struct's next token was.
enum Field {
    Stop,
    /// A field whose value follows.
    Value(TType),
    /// A compact bool field: the value was in the header.
    Folded,
}

#[cold]
#[inline(never)]
fn cannot_skip(ttype: TType) -> Error {
    Error::invalid(format!("cannot skip a value of type {ttype}"))
}
