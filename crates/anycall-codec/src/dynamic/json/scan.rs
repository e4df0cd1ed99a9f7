//! JSON → Thrift bytes: a scanner driven by the descriptor.
//!
//! The input is checked for UTF-8 once, up front (text that is not UTF-8
//! goes to the serde reader, which reports where); after that the scanner
//! walks the bytes itself, guided by the type it expects next, and writes
//! each value into the output as soon as it is read:
//!
//! ```text
//!   {"id": 7, "name": "x\n", "tags": ["a"]}
//!    └─key─┘  │   └─key─┘ └──┬──┘          key matched against the predicted field
//!             │              └── string end and escapes found 8 bytes at a time
//!             └── number parsed in place, its text kept for messages
//! ```
//!
//! Semantics are those of the serde path ([`super::reference`]), kept as the
//! reference in tests: the same mapping, options, limits and error messages
//! with field paths. Syntax errors name the line and column. Numbers in
//! messages are quoted as the input wrote them.
//!
//! Limits: the IDL depth limit ([`Options::max_depth`]) for typed values,
//! and [`MAX_NESTING`] levels of JSON nesting for everything, skipped
//! values included.

use anycall_idl::{StructDescriptor, TypeDescriptor, TypeKind};

use crate::dynamic::plan::{FieldPlan, Plan, Shape, with_plan};
use crate::dynamic::value::{
    enum_hint, root, same_name, unknown_field, write_absent, write_key_str,
};
use crate::dynamic::{
    Distinct, NoteOrder, Order, Seen, Spans, check_union, mismatch, out_of_range, repeated,
    ttype_of, write_base64, write_int_of,
};
use crate::error::{Error, ErrorKind, Limit, PathSegment, Result};
use crate::options::{BinaryFormat, Options, UnknownFields};
use crate::thrift::{TType, Writer};
use crate::value::parse_uuid;

/// Levels of JSON nesting (arrays and objects) accepted, typed or skipped,
/// as serde_json allows: a bound on the scanner's recursion.
pub const MAX_NESTING: usize = 127;

/// Transcodes JSON text for a value of type `ty` into `w`.
pub fn write_json<W: Writer>(
    w: &mut W,
    ty: TypeDescriptor<'_>,
    json: &[u8],
    opts: &Options,
) -> Result<()> {
    let Some(mut p) = Scanner::new(json, opts) else {
        return super::de::write_json(w, ty, json, opts);
    };
    p.ws();
    let kind = ty.kind();
    p.value(w, ty, kind, 0)?;
    p.end()
}

/// Transcodes a JSON object for struct `desc` into `w`.
pub fn write_json_struct<W: Writer>(
    w: &mut W,
    desc: StructDescriptor<'_>,
    json: &[u8],
    opts: &Options,
) -> Result<()> {
    let Some(mut p) = Scanner::new(json, opts) else {
        return super::de::write_json_struct(w, desc, json, opts);
    };
    p.ws();
    p.structure(w, desc, 0, true)?;
    p.end()
}

/// A string read from the input: borrowed when it had no escapes, else in
/// the scanner's scratch buffer.
#[derive(Clone, Copy)]
enum Text<'j> {
    Borrowed(&'j str),
    Scratch,
}

/// A JSON number as serde_json classifies it.
#[derive(Clone, Copy)]
enum Num {
    /// A non-negative integer that fits u64.
    U(u64),
    /// A negative integer that fits i64.
    I(i64),
    /// Anything else: a fraction, an exponent, `-0`, or an integer too
    /// large for 64 bits.
    F(f64),
}

/// Adds a path segment unless the error is a JSON syntax error (those
/// name a line and column instead).
#[cold]
fn at(e: Error, seg: impl FnOnce() -> PathSegment) -> Error {
    if e.kind() == ErrorKind::Json {
        e
    } else {
        e.at(seg())
    }
}

struct Scanner<'j, 'o> {
    bytes: &'j [u8],
    /// The same bytes, known to be UTF-8.
    text: &'j str,
    pos: usize,
    scratch: String,
    /// Open arrays and objects.
    nest: usize,
    opts: &'o Options,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// One high bit per byte of `w` that is `"`, `\` or a control character.
/// The lowest set bit is exact (borrows only flag bytes above a match).
#[inline(always)]
pub(crate) fn special_mask(w: u64) -> u64 {
    let q = w ^ (ONES * u64::from(b'"'));
    let b = w ^ (ONES * u64::from(b'\\'));
    let zq = q.wrapping_sub(ONES) & !q;
    let zb = b.wrapping_sub(ONES) & !b;
    let ctl = w.wrapping_sub(ONES * 0x20);
    (zq | zb | ctl) & !w & HIGHS
}

#[inline(always)]
fn is_special(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

/// The first byte at or after `i` that ends a run of plain string bytes.
#[inline(always)]
pub(crate) fn find_special(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let m = special_mask(w);
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && !is_special(b[i]) {
        i += 1;
    }
    i
}

fn hex4(b: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for &c in b.get(..4)? {
        n = n * 16 + (c as char).to_digit(16)?;
    }
    Some(n)
}

/// How serde_json names a value it did not expect.
#[cold]
fn found_text(b: u8) -> &'static str {
    match b {
        b'[' => "sequence",
        b'{' => "map",
        b'"' => "string",
        b't' | b'f' => "boolean",
        b'n' => "null",
        _ => "number",
    }
}

impl<'j, 'o> Scanner<'j, 'o> {
    /// A scanner over `json`, or `None` when it is not UTF-8. Such input
    /// is left to the serde reader, which finds the first problem in
    /// document order, as a typed error before the bad byte or a syntax
    /// error at it (and lets bad bytes pass in skipped values).
    fn new(json: &'j [u8], opts: &'o Options) -> Option<Self> {
        let text = std::str::from_utf8(json).ok()?;
        Some(Scanner {
            bytes: json,
            text,
            pos: 0,
            scratch: String::new(),
            nest: 0,
            opts,
        })
    }

    /// A syntax error at the current position.
    #[cold]
    fn syntax(&self, what: &str) -> Error {
        let upto = &self.bytes[..self.pos.min(self.bytes.len())];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = upto.len() - upto.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        Error::new(
            ErrorKind::Json,
            format!("invalid json: {what} at line {line} column {}", col + 1),
        )
    }

    #[cold]
    fn unexpected(&self) -> Error {
        if self.pos >= self.bytes.len() {
            self.syntax("EOF while parsing a value")
        } else {
            self.syntax("expected value")
        }
    }

    #[inline(always)]
    fn peek(&self) -> u8 {
        self.bytes.get(self.pos).copied().unwrap_or(0)
    }

    /// Skips whitespace; compact JSON has none, and a byte above the space
    /// ends it at once.
    #[inline(always)]
    fn ws(&mut self) {
        if self.bytes.get(self.pos).is_some_and(|&b| b > b' ') {
            return;
        }
        self.ws_run();
    }

    fn ws_run(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// After the value: only whitespace may follow.
    fn end(mut self) -> Result<()> {
        self.ws();
        if self.pos < self.bytes.len() {
            return Err(self.syntax("trailing characters"));
        }
        Ok(())
    }

    /// Consumes `lit` (`true`, `false`, `null`), whose first byte is current.
    #[inline]
    fn literal(&mut self, lit: &[u8]) -> Result<()> {
        if self.bytes.get(self.pos..self.pos + lit.len()) == Some(lit) {
            self.pos += lit.len();
            Ok(())
        } else {
            Err(self.syntax("expected ident"))
        }
    }

    /// Enters an array or object (the current byte).
    #[inline]
    fn open(&mut self) -> Result<()> {
        self.nest += 1;
        if self.nest > MAX_NESTING {
            return Err(self.syntax("recursion limit exceeded"));
        }
        self.pos += 1;
        self.ws();
        Ok(())
    }

    /// After an element: `,` (true, more follow) or the closing byte.
    #[inline]
    fn next_or_close(&mut self, close: u8) -> Result<bool> {
        self.ws();
        match self.peek() {
            b',' => {
                self.pos += 1;
                self.ws();
                if self.peek() == close {
                    return Err(self.syntax("trailing comma"));
                }
                Ok(true)
            }
            b if b == close => {
                self.pos += 1;
                self.nest -= 1;
                Ok(false)
            }
            _ if self.pos >= self.bytes.len() => Err(self.syntax("EOF while parsing a value")),
            _ if close == b']' => Err(self.syntax("expected `,` or `]`")),
            _ => Err(self.syntax("expected `,` or `}`")),
        }
    }

    /// Right after `[` or `{` and whitespace: true when it closes at once.
    #[inline]
    fn closes_at_once(&mut self, close: u8) -> bool {
        if self.peek() == close {
            self.pos += 1;
            self.nest -= 1;
            true
        } else {
            false
        }
    }

    /// An object key and its colon; the current byte must be `"`.
    #[inline]
    fn key(&mut self) -> Result<Text<'j>> {
        let t = self.key_string()?;
        self.colon()?;
        Ok(t)
    }

    /// A struct's field name: like [`Scanner::key_string`], but control
    /// characters pass, as serde_json reads keys it is asked for as bytes.
    #[inline]
    fn field_name(&mut self) -> Result<Text<'j>> {
        if self.peek() != b'"' {
            return self.key_string();
        }
        self.quoted(true)
    }

    /// An object key; the current byte must be `"`.
    #[inline]
    fn key_string(&mut self) -> Result<Text<'j>> {
        if self.peek() != b'"' {
            return Err(if self.pos >= self.bytes.len() {
                self.syntax("EOF while parsing an object")
            } else {
                self.syntax("key must be a string")
            });
        }
        self.string()
    }

    /// The colon after an object key, and whitespace around it.
    #[inline]
    fn colon(&mut self) -> Result<()> {
        self.ws();
        if self.peek() != b':' {
            return Err(if self.pos >= self.bytes.len() {
                self.syntax("EOF while parsing an object")
            } else {
                self.syntax("expected `:`")
            });
        }
        self.pos += 1;
        self.ws();
        Ok(())
    }

    #[inline(always)]
    fn text_of<'s>(&'s self, t: Text<'j>) -> &'s str {
        match t {
            Text::Borrowed(s) => s,
            Text::Scratch => &self.scratch,
        }
    }

    /// A string; the current byte is its opening quote.
    #[inline]
    fn string(&mut self) -> Result<Text<'j>> {
        self.quoted(false)
    }

    /// A string from its opening quote (the current byte): borrowed when
    /// it has no escape; `ctl_ok` lets control characters through.
    #[inline(always)]
    fn quoted(&mut self, ctl_ok: bool) -> Result<Text<'j>> {
        let start = self.pos + 1;
        let i = find_special(self.bytes, start);
        match self.bytes.get(i) {
            Some(b'"') => {
                self.pos = i + 1;
                let text = self.text;
                Ok(Text::Borrowed(&text[start..i]))
            }
            _ => self.string_slow(start, i, ctl_ok),
        }
    }

    /// The rest of a string from its first escape (or error) at `i`;
    /// `ctl_ok` lets control characters through.
    #[cold]
    fn string_slow(&mut self, start: usize, mut i: usize, ctl_ok: bool) -> Result<Text<'j>> {
        let text = self.text;
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        out.push_str(&text[start..i]);
        let r = loop {
            match self.bytes.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    break Ok(());
                }
                Some(b'\\') => {
                    self.pos = i + 1;
                    let Some(&e) = self.bytes.get(i + 1) else {
                        self.pos = self.bytes.len();
                        break Err(self.syntax("EOF while parsing a string"));
                    };
                    i += 2;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => match self.unicode(&mut i) {
                            Ok(c) => c,
                            Err(e) => break Err(e),
                        },
                        _ => break Err(self.syntax("invalid escape")),
                    };
                    out.push(c);
                }
                Some(&c) if ctl_ok && c < 0x20 => {
                    out.push(char::from(c));
                    i += 1;
                }
                Some(_) => {
                    self.pos = i;
                    break Err(self.syntax(
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ));
                }
                None => {
                    self.pos = i;
                    break Err(self.syntax("EOF while parsing a string"));
                }
            }
            let j = find_special(self.bytes, i);
            out.push_str(&text[i..j]);
            i = j;
        };
        self.scratch = out;
        r.map(|()| Text::Scratch)
    }

    /// A `\uXXXX` escape (and its low surrogate); `i` is after the `u`.
    #[cold]
    fn unicode(&mut self, i: &mut usize) -> Result<char> {
        let b = self.bytes;
        self.pos = *i;
        let Some(hi) = hex4(&b[*i..]) else {
            // Named at the fourth digit, as serde_json names it.
            self.pos = (*i + 3).min(b.len());
            return Err(self.syntax("invalid escape"));
        };
        *i += 4;
        if !(0xD800..0xE000).contains(&hi) {
            return char::from_u32(hi).ok_or_else(|| self.syntax("invalid escape"));
        }
        if hi >= 0xDC00 {
            // A trailing surrogate first: named at its last digit.
            self.pos = *i - 1;
            return Err(self.syntax("lone leading surrogate in hex escape"));
        }
        if b.get(*i..*i + 2) != Some(b"\\u") {
            self.pos = *i;
            return Err(self.syntax("lone leading surrogate in hex escape"));
        }
        self.pos = *i + 2;
        // Errors in the second escape are named at its fourth digit.
        let Some(lo) = hex4(&b[*i + 2..]) else {
            self.pos = (*i + 5).min(b.len());
            return Err(self.syntax("invalid escape"));
        };
        if !(0xDC00..0xE000).contains(&lo) {
            self.pos = *i + 5;
            return Err(self.syntax("lone leading surrogate in hex escape"));
        }
        *i += 6;
        let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
        char::from_u32(c).ok_or_else(|| self.syntax("invalid escape"))
    }

    /// A number; the current byte is `-` or a digit. Returns it with its
    /// text as written.
    #[inline]
    fn number(&mut self) -> Result<(Num, Raw<'j>)> {
        let b = self.bytes;
        let start = self.pos;
        let mut i = start;
        let neg = b[i] == b'-';
        if neg {
            i += 1;
        }
        let mut m: u64 = 0;
        let mut long = false;
        match b.get(i) {
            Some(b'0') => {
                i += 1;
                // A leading zero stands alone.
                if b.get(i).is_some_and(u8::is_ascii_digit) {
                    self.pos = i;
                    return Err(self.syntax("invalid number"));
                }
            }
            Some(b'1'..=b'9') => {
                let digits = i;
                while let Some(&c) = b.get(i) {
                    if !c.is_ascii_digit() {
                        break;
                    }
                    m = m.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
                    i += 1;
                }
                // Up to 19 digits always fit in a u64; 20 may.
                if i - digits > 19 {
                    m = 0;
                    for &c in &b[digits..i] {
                        let d = u64::from(c - b'0');
                        match m.checked_mul(10).and_then(|m| m.checked_add(d)) {
                            Some(n) => m = n,
                            None => long = true,
                        }
                    }
                }
            }
            _ => {
                self.pos = i;
                return Err(self.syntax("invalid number"));
            }
        }
        let mut float = false;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let digits = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == digits {
                self.pos = i;
                return Err(self.syntax("invalid number"));
            }
            float = true;
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let digits = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == digits {
                self.pos = i;
                return Err(self.syntax("invalid number"));
            }
            float = true;
        }
        self.pos = i;
        let raw = Raw {
            text: self.text,
            start,
            end: i,
        };
        if !float && !long {
            if !neg {
                return Ok((Num::U(m), raw));
            }
            let n = (m as i64).wrapping_neg();
            // `-0` and integers below -2^63 are doubles, as serde_json has them.
            return Ok((
                if n >= 0 {
                    Num::F(-(m as f64))
                } else {
                    Num::I(n)
                },
                raw,
            ));
        }
        match self.text[start..i].parse::<f64>() {
            Ok(d) if d.is_finite() => Ok((Num::F(d), raw)),
            _ => Err(self.syntax("number out of range")),
        }
    }

    /// Checks the depth limit before a list, set, map or struct.
    #[inline]
    fn depth(&self, depth: usize) -> Result<()> {
        if depth >= self.opts.max_depth {
            return Err(Error::limit(Limit::Depth, depth + 1, self.opts.max_depth));
        }
        Ok(())
    }

    /// A value of type `ty` (kind `kind`); the current byte starts it.
    #[inline]
    fn value<W: Writer>(
        &mut self,
        w: &mut W,
        ty: TypeDescriptor<'_>,
        kind: TypeKind<'_>,
        depth: usize,
    ) -> Result<()> {
        match kind {
            TypeKind::Struct(desc) => self.structure(w, desc, depth, false),
            TypeKind::List(e) | TypeKind::Set(e) => {
                self.depth(depth)?;
                self.list(w, ty, e, matches!(kind, TypeKind::Set(_)), depth)
            }
            TypeKind::Map(k, v) => {
                self.depth(depth)?;
                self.map(w, ty, k, v, depth)
            }
            _ => self.scalar(w, ty, kind),
        }
    }

    /// A container element: `null` is not a value.
    #[inline]
    fn element<W: Writer>(
        &mut self,
        w: &mut W,
        ty: TypeDescriptor<'_>,
        kind: TypeKind<'_>,
        depth: usize,
    ) -> Result<()> {
        if self.peek() == b'n' {
            self.literal(b"null")?;
            return Err(mismatch(ty, "null"));
        }
        self.value(w, ty, kind, depth)
    }

    /// What a container or struct found instead of itself, for messages.
    #[cold]
    fn found_shape(&mut self) -> Result<String> {
        Ok(match self.peek() {
            b'[' => "an array".to_owned(),
            b'{' => "an object".to_owned(),
            b't' => {
                self.literal(b"true")?;
                "true".to_owned()
            }
            b'f' => {
                self.literal(b"false")?;
                "false".to_owned()
            }
            b'"' => {
                let t = self.string()?;
                format!("string {:?}", self.text_of(t))
            }
            b'-' | b'0'..=b'9' => format!("number {}", self.number()?.1),
            _ => return Err(self.unexpected()),
        })
    }

    /// The error for a scalar or an array where a container or struct is
    /// expected: "expected <expecting>, found <what>".
    #[cold]
    fn refuse(&mut self, expecting: impl FnOnce() -> String) -> Error {
        match self.found_shape() {
            Ok(found) => Error::new(
                ErrorKind::TypeMismatch,
                format!("expected {}, found {found}", expecting()),
            ),
            Err(e) => e,
        }
    }

    fn list<W: Writer>(
        &mut self,
        w: &mut W,
        ty: TypeDescriptor<'_>,
        elem: TypeDescriptor<'_>,
        set: bool,
        depth: usize,
    ) -> Result<()> {
        match self.peek() {
            b'[' => {}
            b'n' => {
                self.literal(b"null")?;
                return Err(mismatch(ty, "null"));
            }
            b'{' => {
                self.open()?;
                return Err(Error::new(
                    ErrorKind::TypeMismatch,
                    format!("expected an array for {}, found an object", ty.display()),
                ));
            }
            _ => return Err(self.refuse(|| format!("an array for {}", ty.display()))),
        }
        self.open()?;
        let et = ttype_of(elem);
        let mark = if set {
            w.begin_set_unknown(et)
        } else {
            w.begin_list_unknown(et)
        }?;
        let mut n = 0usize;
        if !self.closes_at_once(b']') {
            let kind = elem.kind();
            if let TypeKind::Struct(desc) = kind
                && !set
            {
                // A list of structs finds their plan once.
                return with_plan(desc, |plan| {
                    loop {
                        if self.peek() == b'n' {
                            self.literal(b"null")?;
                            return Err(mismatch(elem, "null").at(PathSegment::Index(n)));
                        }
                        if let Err(e) = self.planned(w, desc, plan, depth + 1, false) {
                            return Err(at(e, || PathSegment::Index(n)));
                        }
                        n += 1;
                        if !self.next_or_close(b']')? {
                            break;
                        }
                    }
                    w.end_list_unknown(mark, n)
                });
            }
            let mut distinct = Distinct::new(set && self.opts.strict);
            loop {
                let start = w.buf().len();
                if let Err(e) = self.element(w, elem, kind, depth + 1) {
                    return Err(at(e, || PathSegment::Index(n)));
                }
                if distinct.repeats(w.buf(), start) {
                    return Err(repeated(ty, "element").at(PathSegment::Index(n)));
                }
                n += 1;
                if !self.next_or_close(b']')? {
                    break;
                }
            }
        }
        if set {
            w.end_set_unknown(mark, n)
        } else {
            w.end_list_unknown(mark, n)
        }
    }

    fn map<W: Writer>(
        &mut self,
        w: &mut W,
        ty: TypeDescriptor<'_>,
        k: TypeDescriptor<'_>,
        v: TypeDescriptor<'_>,
        depth: usize,
    ) -> Result<()> {
        match self.peek() {
            b'{' => self.map_object(w, ty, k, v, depth),
            b'[' => self.map_pairs(w, ty, k, v, depth),
            b'n' => {
                self.literal(b"null")?;
                Err(mismatch(ty, "null"))
            }
            _ => Err(self.refuse(|| {
                format!(
                    "an object or an array of [key, value] pairs for {}",
                    ty.display()
                )
            })),
        }
    }

    /// The key text of the string at `quote`, for error paths.
    #[cold]
    fn key_path(&mut self, quote: usize) -> PathSegment {
        let saved = (self.pos, std::mem::take(&mut self.scratch));
        self.pos = quote;
        let key = match self.string() {
            Ok(t) => self.text_of(t).to_owned(),
            Err(_) => String::new(),
        };
        (self.pos, self.scratch) = saved;
        PathSegment::Key(format!("{key:?}"))
    }

    fn map_object<W: Writer>(
        &mut self,
        w: &mut W,
        ty: TypeDescriptor<'_>,
        k: TypeDescriptor<'_>,
        v: TypeDescriptor<'_>,
        depth: usize,
    ) -> Result<()> {
        self.open()?;
        let mark = w.begin_map_unknown(ttype_of(k), ttype_of(v))?;
        let mut n = 0usize;
        if !self.closes_at_once(b'}') {
            let base64 = self.opts.binary == BinaryFormat::Base64;
            let vk = v.kind();
            let mut distinct = Distinct::new(self.opts.strict);
            loop {
                let quote = self.pos;
                let start = w.buf().len();
                let t = self.key_string()?;
                let s = self.text_of(t);
                if let Err(e) = write_key_str(w, k, s, base64) {
                    return Err(e.at(PathSegment::Key(format!("{s:?}"))));
                }
                if distinct.repeats(w.buf(), start) {
                    let e = repeated(ty, "key").at(PathSegment::Key(format!("{s:?}")));
                    return Err(e);
                }
                self.colon()?;
                if let Err(e) = self.element(w, v, vk, depth + 1) {
                    if e.kind() == ErrorKind::Json {
                        return Err(e);
                    }
                    return Err(e.at(self.key_path(quote)));
                }
                n += 1;
                if !self.next_or_close(b'}')? {
                    break;
                }
            }
        }
        w.end_map_unknown(mark, n)
    }

    fn map_pairs<W: Writer>(
        &mut self,
        w: &mut W,
        ty: TypeDescriptor<'_>,
        k: TypeDescriptor<'_>,
        v: TypeDescriptor<'_>,
        depth: usize,
    ) -> Result<()> {
        self.open()?;
        let mark = w.begin_map_unknown(ttype_of(k), ttype_of(v))?;
        let mut n = 0usize;
        if !self.closes_at_once(b']') {
            let (kk, vk) = (k.kind(), v.kind());
            let mut distinct = Distinct::new(self.opts.strict);
            loop {
                if let Err(e) = self.pair(w, ty, k, kk, v, vk, &mut distinct, depth + 1) {
                    return Err(at(e, || PathSegment::Index(n)));
                }
                n += 1;
                if !self.next_or_close(b']')? {
                    break;
                }
            }
        }
        w.end_map_unknown(mark, n)
    }

    /// One `[key, value]` pair of the array form of a map.
    #[allow(clippy::too_many_arguments)] // the pair's two types, split once per map
    fn pair<W: Writer>(
        &mut self,
        w: &mut W,
        ty: TypeDescriptor<'_>,
        k: TypeDescriptor<'_>,
        kk: TypeKind<'_>,
        v: TypeDescriptor<'_>,
        vk: TypeKind<'_>,
        distinct: &mut Distinct,
        depth: usize,
    ) -> Result<()> {
        let pair_err = |what: &str| {
            Error::new(
                ErrorKind::TypeMismatch,
                format!("expected a [key, value] pair, {what}"),
            )
        };
        let b = self.peek();
        if b != b'[' {
            if !matches!(b, b'{' | b'"' | b't' | b'f' | b'n' | b'-' | b'0'..=b'9') {
                return Err(self.unexpected());
            }
            return Err(self.syntax(&format!(
                "invalid type: {}, expected a [key, value] pair",
                found_text(b)
            )));
        }
        self.open()?;
        if self.closes_at_once(b']') {
            return Err(pair_err("found an empty array"));
        }
        let start = w.buf().len();
        self.element(w, k, kk, depth)?;
        if distinct.repeats(w.buf(), start) {
            return Err(repeated(ty, "key"));
        }
        if !self.next_or_close(b']')? {
            return Err(pair_err("found only a key"));
        }
        self.element(w, v, vk, depth)?;
        if self.next_or_close(b']')? {
            self.skip()?;
            return Err(pair_err("found more than two elements"));
        }
        Ok(())
    }

    /// A scalar: bool, integers, double, string, binary, uuid, enum.
    #[inline]
    fn scalar<W: Writer>(
        &mut self,
        w: &mut W,
        ty: TypeDescriptor<'_>,
        kind: TypeKind<'_>,
    ) -> Result<()> {
        match self.peek() {
            b'"' => {
                let t = self.string()?;
                let s = match t {
                    Text::Borrowed(s) => s,
                    Text::Scratch => &self.scratch,
                };
                scalar_str(w, ty, kind, s, self.opts)
            }
            b'-' | b'0'..=b'9' => {
                let (n, raw) = self.number()?;
                scalar_num(w, ty, kind, n, raw)
            }
            b't' => {
                self.literal(b"true")?;
                self.boolean(w, ty, kind, true)
            }
            b'f' => {
                self.literal(b"false")?;
                self.boolean(w, ty, kind, false)
            }
            b'n' => {
                self.literal(b"null")?;
                Err(mismatch(ty, "null"))
            }
            b'[' => {
                self.open()?;
                Err(mismatch(ty, "an array"))
            }
            b'{' => {
                self.open()?;
                Err(mismatch(ty, "an object"))
            }
            _ => Err(self.unexpected()),
        }
    }

    #[inline]
    fn boolean<W: Writer>(
        &mut self,
        w: &mut W,
        ty: TypeDescriptor<'_>,
        kind: TypeKind<'_>,
        v: bool,
    ) -> Result<()> {
        match kind {
            TypeKind::Bool => {
                w.write_bool(v);
                Ok(())
            }
            _ => Err(mismatch(ty, if v { "true" } else { "false" })),
        }
    }

    /// Skips any value (an unknown field's), checking its syntax.
    fn skip(&mut self) -> Result<()> {
        match self.peek() {
            b'"' => self.string().map(drop),
            b'-' | b'0'..=b'9' => self.skip_number(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'[' => {
                self.open()?;
                if self.closes_at_once(b']') {
                    return Ok(());
                }
                loop {
                    self.skip()?;
                    if !self.next_or_close(b']')? {
                        return Ok(());
                    }
                }
            }
            b'{' => {
                self.open()?;
                if self.closes_at_once(b'}') {
                    return Ok(());
                }
                loop {
                    self.key()?;
                    self.skip()?;
                    if !self.next_or_close(b'}')? {
                        return Ok(());
                    }
                }
            }
            _ => Err(self.unexpected()),
        }
    }

    /// Skips a number, checking its grammar but not its range (as serde_json
    /// ignores one).
    fn skip_number(&mut self) -> Result<()> {
        match self.number() {
            Ok(_) => Ok(()),
            Err(e) if e.message().contains("number out of range") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// A JSON object as struct `desc`.
    fn structure<W: Writer>(
        &mut self,
        w: &mut W,
        desc: StructDescriptor<'_>,
        depth: usize,
        top: bool,
    ) -> Result<()> {
        with_plan(desc, |plan| self.planned(w, desc, plan, depth, top))
    }

    /// [`structure`](Self::structure) with the struct's plan at hand.
    fn planned<W: Writer>(
        &mut self,
        w: &mut W,
        desc: StructDescriptor<'_>,
        plan: &Plan,
        depth: usize,
        top: bool,
    ) -> Result<()> {
        self.depth(depth)?;
        match self.peek() {
            b'{' => {}
            b'n' => {
                self.literal(b"null")?;
                return Err(Error::new(
                    ErrorKind::TypeMismatch,
                    format!("expected {}, found null", desc.full_name()),
                ));
            }
            _ => {
                let e = self.refuse(|| format!("an object for {}", desc.full_name()));
                return Err(e);
            }
        }
        self.open()?;
        let mut seen = Seen::new(desc.len());
        let mut next = 0;
        let mut set = 0;
        w.write_struct_begin();
        let body = w.buf().len();
        // Keys in another order than the ids (sorted by name, say) are put
        // in id order at the end, by moving their bytes where it can.
        let mut order = Spans::after(Order::new(), body);
        if !self.closes_at_once(b'}') {
            loop {
                let t = self.field_name()?;
                let Some(at) = self.field(desc, plan, next, t) else {
                    if self.opts.unknown_fields == UnknownFields::Error {
                        let name = self.text_of(t).to_owned();
                        return Err(root(unknown_field(desc, &name), desc, top));
                    }
                    self.colon()?;
                    self.skip()?;
                    if self.next_or_close(b'}')? {
                        continue;
                    }
                    break;
                };
                let f = &plan.fields[at];
                next = at + 1;
                if seen.contains(at) {
                    let e = Error::new(
                        ErrorKind::InvalidData,
                        format!("field `{}` is given twice", f.text),
                    )
                    .at_field(&f.text);
                    return Err(root(e, desc, top));
                }
                self.colon()?;
                if self.peek() == b'n' {
                    // `null` is the field left out.
                    self.literal(b"null")?;
                } else {
                    let start = w.buf().len();
                    let r = self.field_value(w, desc, f, depth + 1);
                    if let Err(e) = r {
                        if e.kind() == ErrorKind::Json {
                            return Err(e);
                        }
                        let e = e.at(PathSegment::Field(f.text.to_string()));
                        return Err(root(e, desc, top));
                    }
                    seen.insert(at);
                    order.note_at(f.id, start);
                    set += 1;
                }
                if !self.next_or_close(b'}')? {
                    break;
                }
            }
        }
        let with_root = |e: Error| root(e, desc, top);
        let absent =
            write_absent(&mut *w, desc, &seen, set, self.opts, &mut order).map_err(with_root)?;
        check_union(desc, set + absent, self.opts).map_err(with_root)?;
        order.finish(&mut *w, body).map_err(with_root)?;
        w.write_field_stop();
        w.write_struct_end();
        Ok(())
    }

    /// A field's header and its value. A string, an `i32`, an `i64` or a
    /// double given as such goes out with its header in one append, by the
    /// plan's shape; anything else goes through the field's type.
    #[inline]
    fn field_value<W: Writer>(
        &mut self,
        w: &mut W,
        desc: StructDescriptor<'_>,
        f: &FieldPlan,
        depth: usize,
    ) -> Result<()> {
        match (f.shape, self.peek()) {
            (Shape::String, b'"') => {
                let s = match self.string()? {
                    Text::Borrowed(s) => s,
                    Text::Scratch => &self.scratch,
                };
                w.write_field_binary(TType::Binary, f.id, s.as_bytes())
            }
            (Shape::I32 | Shape::I64 | Shape::Double, b'-' | b'0'..=b'9') => {
                let (n, raw) = self.number()?;
                let int = match n {
                    Num::U(u) => i64::try_from(u).ok(),
                    Num::I(i) => Some(i),
                    Num::F(_) => None,
                };
                match (f.shape, int, n) {
                    (Shape::I64, Some(i), _) => w.write_field_i64(TType::I64, f.id, i, false),
                    (Shape::I32, Some(i), _) if let Ok(i) = i32::try_from(i) => {
                        w.write_field_i32(TType::I32, f.id, i)
                    }
                    (Shape::Double, _, Num::F(v)) => {
                        w.write_field_i64(TType::Double, f.id, v.to_bits().cast_signed(), true)
                    }
                    _ => {
                        let ty = desc.pool().type_by_id(f.ty);
                        w.write_field_begin(f.ttype, f.id)?;
                        scalar_num(w, ty, ty.kind(), n, raw)
                    }
                }
            }
            _ => {
                let ty = desc.pool().type_by_id(f.ty);
                w.write_field_begin(f.ttype, f.id)?;
                self.value(w, ty, ty.kind(), depth)
            }
        }
    }

    /// The position of the field named by key `t`: the predicted one
    /// first, then by name.
    #[inline]
    fn field(
        &self,
        desc: StructDescriptor<'_>,
        plan: &Plan,
        next: usize,
        t: Text<'j>,
    ) -> Option<usize> {
        let key = self.text_of(t);
        if let Some(f) = plan.fields.get(next)
            && same_name(&f.text, key)
        {
            return Some(next);
        }
        if plan.fields.len() <= SCAN_FIELDS
            && let Some(at) = plan.fields.iter().position(|f| same_name(&f.text, key))
        {
            return Some(at);
        }
        // The index also knows each field by its IDL name.
        desc.field_by_name(key).map(|f| f.index())
    }
}

/// Structs with at most this many fields are searched by comparing names
/// when the predicted field misses; larger ones use the name index.
const SCAN_FIELDS: usize = 16;

/// A JSON string as a scalar of kind `kind`.
#[inline]
fn scalar_str<W: Writer>(
    w: &mut W,
    ty: TypeDescriptor<'_>,
    kind: TypeKind<'_>,
    s: &str,
    opts: &Options,
) -> Result<()> {
    match kind {
        TypeKind::String => w.write_string(s),
        TypeKind::Binary => match opts.binary {
            BinaryFormat::Base64 => write_base64(w, s, |e| {
                Error::new(
                    ErrorKind::TypeMismatch,
                    format!("expected base64 binary, found string {s:?} ({e})"),
                )
            }),
            BinaryFormat::Text => w.write_binary(s.as_bytes()),
        },
        TypeKind::Uuid => match parse_uuid(s) {
            Some(u) => {
                w.write_uuid(&u);
                Ok(())
            }
            None => Err(mismatch(ty, &format!("string {s:?}"))),
        },
        TypeKind::Enum(e) => match e.value(s) {
            Some(n) => {
                w.write_i32(n);
                Ok(())
            }
            None => match s.parse::<i64>() {
                Ok(n) => write_int_of(w, kind, ty, n),
                Err(_) => Err(Error::new(
                    ErrorKind::TypeMismatch,
                    format!(
                        "enum {} has no value named {s:?}{}",
                        e.full_name(),
                        enum_hint(e, s)
                    ),
                )),
            },
        },
        TypeKind::Byte | TypeKind::I16 | TypeKind::I32 | TypeKind::I64 => match s.parse::<i64>() {
            Ok(n) => write_int_of(w, kind, ty, n),
            Err(_) => Err(mismatch(ty, &format!("string {s:?}"))),
        },
        // Rust's float parsing takes "NaN", "Infinity" and "-Infinity" (in
        // any case, and "inf"), beside numbers written as strings.
        TypeKind::Double => match s.parse::<f64>() {
            Ok(d) => {
                w.write_double(d);
                Ok(())
            }
            Err(_) => Err(mismatch(ty, &format!("string {s:?}"))),
        },
        _ => Err(mismatch(ty, &format!("string {s:?}"))),
    }
}

/// A number's text as the input wrote it, sliced only when shown.
#[derive(Clone, Copy)]
struct Raw<'j> {
    text: &'j str,
    start: usize,
    end: usize,
}

impl std::fmt::Display for Raw<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text[self.start..self.end])
    }
}

/// A JSON number as a scalar of kind `kind`; `raw` is its text.
#[inline]
fn scalar_num<W: Writer>(
    w: &mut W,
    ty: TypeDescriptor<'_>,
    kind: TypeKind<'_>,
    n: Num,
    raw: Raw<'_>,
) -> Result<()> {
    let int = |w: &mut W, n: i64| match kind {
        TypeKind::Byte
        | TypeKind::I16
        | TypeKind::I32
        | TypeKind::I64
        | TypeKind::Double
        | TypeKind::Enum(_) => write_int_of(w, kind, ty, n).map_err(|_| out_of_range(raw, ty)),
        _ => Err(mismatch(ty, &format!("number {raw}"))),
    };
    match n {
        Num::I(n) => int(w, n),
        Num::U(u) => match i64::try_from(u) {
            Ok(n) => int(w, n),
            Err(_) if matches!(kind, TypeKind::Double) => {
                w.write_double(u as f64);
                Ok(())
            }
            Err(_) => Err(out_of_range(raw, ty)),
        },
        Num::F(v) => match kind {
            TypeKind::Double => {
                w.write_double(v);
                Ok(())
            }
            // A number without a fraction is an integer (`2.0`, `1e3`); from
            // -2^63 up to, not including, 2^63 it converts exactly.
            TypeKind::Byte | TypeKind::I16 | TypeKind::I32 | TypeKind::I64 | TypeKind::Enum(_)
                if v.fract() == 0.0 =>
            {
                if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&v) {
                    int(w, v as i64)
                } else {
                    Err(out_of_range(raw, ty))
                }
            }
            _ => Err(mismatch(ty, &format!("number {raw}"))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_bytes_are_found_in_every_position() {
        for len in 0..20 {
            for at in 0..len {
                for special in [b'"', b'\\', 0x00, 0x1f] {
                    let mut b = vec![b'a'; len];
                    b[at] = special;
                    assert_eq!(find_special(&b, 0), at, "{len} {at} {special}");
                }
                let mut b = "é".repeat(len).into_bytes();
                b.push(b'"');
                assert_eq!(find_special(&b, 0), b.len() - 1);
            }
            assert_eq!(find_special(&vec![b' '; len], 0), len);
        }
    }
}
