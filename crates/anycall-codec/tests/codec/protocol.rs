//! Binary and Compact protocol primitives: golden bytes and limits.
//!
//! Fixtures live in `testdata/codec/*.hex` (hex with `#` comments). Run with
//! `UPDATE_GOLDEN=1` to rewrite the ones whose bytes changed from the
//! writers' output; without it the bytes are compared exactly. The
//! `spec_*.hex` fixtures are annotated by hand from the wire-format spec and
//! only ever read.

use std::path::PathBuf;

use anycall_codec::thrift::{
    BinaryReader, BinaryWriter, CompactReader, CompactWriter, MessageHeader, MessageScanner,
    MessageType, Protocol, ProtocolReader, ProtocolWriter, Reader, TApplicationException,
    TApplicationExceptionType, TType, Writer, get_compact_seq_id, get_seq_id, message_len,
    protocol_of, put_with_seq_id, read_message_header, set_compact_seq_id, set_seq_id, skip,
    write_message_header,
};
use anycall_codec::{Error, ErrorKind, Limit, Limits};
use bytes::BytesMut;
use proptest::prelude::*;

use anycall_test_support::golden;

// ---------------------------------------------------------------------------
// golden fixtures
// ---------------------------------------------------------------------------

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/codec")
        .join(format!("{name}.hex"))
}

fn load(name: &str) -> Vec<u8> {
    golden::load_hex(&fixture_path(name))
}

/// Compares `actual` with fixture `name`, or rewrites the fixture when
/// blessing and the bytes differ.
fn golden(name: &str, description: &str, actual: &[u8]) {
    let comment = format!("{description}\nwritten by the encoder; rewrite with UPDATE_GOLDEN=1");
    golden::hex(&fixture_path(name), &comment, actual);
}

/// Compares `actual` with the hand-annotated fixture `spec_<name>`, which
/// is never rewritten.
fn spec(name: &str, actual: &[u8]) {
    golden::spec_hex(&fixture_path(&format!("spec_{name}")), actual);
}

// ---------------------------------------------------------------------------
// a tiny script of protocol calls, written and read back
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Msg(&'static str, MessageType, i32),
    Begin,
    End,
    Field(TType, i16),
    Stop,
    Bool(bool),
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    Double(f64),
    Uuid([u8; 16]),
    Bin(Vec<u8>),
    List(TType, usize),
    ListEnd,
    Set(TType, usize),
    SetEnd,
    Map(TType, TType, usize),
    MapEnd,
}

use Op::*;

fn bin(s: &str) -> Op {
    Bin(s.as_bytes().to_vec())
}

fn write_ops<W: Writer>(w: &mut W, ops: &[Op]) {
    for op in ops {
        match op {
            Msg(name, ty, seq) => w
                .write_message_begin(&MessageHeader::new(name, *ty, *seq))
                .unwrap(),
            Begin => w.write_struct_begin(),
            End => w.write_struct_end(),
            Field(t, id) => w.write_field_begin(*t, *id).unwrap(),
            Stop => w.write_field_stop(),
            Bool(v) => w.write_bool(*v),
            I8(v) => w.write_i8(*v),
            I16(v) => w.write_i16(*v),
            I32(v) => w.write_i32(*v),
            I64(v) => w.write_i64(*v),
            Double(v) => w.write_double(*v),
            Uuid(v) => w.write_uuid(v),
            Bin(v) => w.write_binary(v).unwrap(),
            List(t, n) => w.write_list_begin(*t, *n).unwrap(),
            Set(t, n) => w.write_set_begin(*t, *n).unwrap(),
            Map(k, v, n) => w.write_map_begin(*k, *v, *n).unwrap(),
            ListEnd | SetEnd | MapEnd => {}
        }
    }
}

fn encode(protocol: Protocol, ops: &[Op]) -> Vec<u8> {
    let mut buf = BytesMut::new();
    match protocol {
        Protocol::Binary => write_ops(&mut BinaryWriter::new(&mut buf), ops),
        Protocol::Compact => write_ops(&mut CompactWriter::new(&mut buf), ops),
    }
    buf.to_vec()
}

/// Reads `ops` back and checks every value; the input must end with them.
fn read_ops<'a, R: Reader<'a>>(r: &mut R, ops: &[Op]) {
    let compact = r.protocol() == Protocol::Compact;
    for (i, op) in ops.iter().enumerate() {
        let at = format!("op {i} {op:?}");
        match op {
            Msg(name, ty, seq) => {
                let h = r.read_message_begin().expect(&at);
                assert_eq!(
                    (h.name, h.message_type, h.seq_id),
                    (*name, *ty, *seq),
                    "{at}"
                );
            }
            Begin => r.read_struct_begin().expect(&at),
            End => r.read_struct_end(),
            Field(t, id) => assert_eq!(r.read_field_begin().expect(&at), Some((*t, *id)), "{at}"),
            Stop => assert_eq!(r.read_field_begin().expect(&at), None, "{at}"),
            Bool(v) => assert_eq!(r.read_bool().expect(&at), *v, "{at}"),
            I8(v) => assert_eq!(r.read_i8().expect(&at), *v, "{at}"),
            I16(v) => assert_eq!(r.read_i16().expect(&at), *v, "{at}"),
            I32(v) => assert_eq!(r.read_i32().expect(&at), *v, "{at}"),
            I64(v) => assert_eq!(r.read_i64().expect(&at), *v, "{at}"),
            Double(v) => assert_eq!(r.read_double().expect(&at).to_bits(), v.to_bits(), "{at}"),
            Uuid(v) => assert_eq!(r.read_uuid().expect(&at), *v, "{at}"),
            Bin(v) => assert_eq!(r.read_binary().expect(&at), &v[..], "{at}"),
            List(t, n) => assert_eq!(r.read_list_begin().expect(&at), (*t, *n), "{at}"),
            Set(t, n) => assert_eq!(r.read_set_begin().expect(&at), (*t, *n), "{at}"),
            Map(k, v, n) => {
                let expected = if compact && *n == 0 {
                    (TType::Stop, TType::Stop, 0)
                } else {
                    (*k, *v, *n)
                };
                assert_eq!(r.read_map_begin().expect(&at), expected, "{at}");
            }
            ListEnd => r.read_list_end(),
            SetEnd => r.read_set_end(),
            MapEnd => r.read_map_end(),
        }
    }
    assert_eq!(r.depth(), 0, "unbalanced script");
    assert!(
        r.remaining().is_empty(),
        "{} bytes left",
        r.remaining().len()
    );
}

fn decode(protocol: Protocol, bytes: &[u8], ops: &[Op]) {
    match protocol {
        Protocol::Binary => read_ops(&mut BinaryReader::new(bytes), ops),
        Protocol::Compact => read_ops(&mut CompactReader::new(bytes), ops),
    }
}

/// Reads a struct skipping every field with `Reader::skip`; returns the
/// bytes it took.
fn skip_fields(protocol: Protocol, bytes: &[u8]) -> usize {
    let mut r = ProtocolReader::new(protocol, bytes, Limits::default());
    r.read_struct_begin().unwrap();
    while let Some((ttype, _)) = r.read_field_begin().unwrap() {
        r.skip(ttype).unwrap();
    }
    r.read_struct_end();
    r.position()
}

/// Golden bytes for a struct script in one protocol, then every way of
/// reading it back.
fn check_struct_fixture(protocol: Protocol, name: &str, description: &str, ops: &[Op]) {
    let bytes = encode(protocol, ops);
    golden(name, description, &bytes);
    let bytes = load(name);
    decode(protocol, &bytes, ops);
    assert_eq!(
        skip(protocol, &bytes, TType::Struct, &Limits::default()).unwrap(),
        bytes.len()
    );
    assert_eq!(skip_fields(protocol, &bytes), bytes.len());
    // The run-time dispatching writer produces the same bytes.
    let mut buf = BytesMut::new();
    write_ops(&mut ProtocolWriter::new(protocol, &mut buf), ops);
    assert_eq!(&buf[..], &bytes[..]);
    read_ops(
        &mut ProtocolReader::new(protocol, &bytes, Limits::default()),
        ops,
    );
}

const UUID: [u8; 16] = [
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
];

fn primitives() -> Vec<Op> {
    vec![
        Begin,
        Field(TType::Bool, 1),
        Bool(true),
        Field(TType::Bool, 2),
        Bool(false),
        Field(TType::I8, 3),
        I8(-128),
        Field(TType::I16, 4),
        I16(-2),
        Field(TType::I32, 5),
        I32(300),
        Field(TType::I64, 6),
        I64(-1_234_567_890_123),
        Field(TType::Double, 7),
        Double(1.5),
        Field(TType::Binary, 8),
        bin("hi"),
        Field(TType::Binary, 9),
        Bin(vec![0x00, 0xff]),
        Field(TType::Uuid, 10),
        Uuid(UUID),
        Field(TType::I16, 11),
        I16(i16::MIN),
        Field(TType::I32, 12),
        I32(i32::MIN),
        Field(TType::I64, 13),
        I64(i64::MAX),
        Field(TType::Double, 14),
        Double(-0.0),
        Field(TType::I8, 15),
        I8(127),
        Field(TType::Binary, 16),
        bin(""),
        Stop,
        End,
    ]
}

fn containers() -> Vec<Op> {
    vec![
        Begin,
        Field(TType::List, 1),
        List(TType::I32, 3),
        I32(1),
        I32(-1),
        I32(i32::MAX),
        ListEnd,
        Field(TType::Set, 2),
        Set(TType::Binary, 2),
        bin("a"),
        bin("b"),
        SetEnd,
        Field(TType::Map, 3),
        Map(TType::Binary, TType::I64, 2),
        bin("k"),
        I64(1),
        bin("l"),
        I64(-1),
        MapEnd,
        // list<list<i8>> [[1, 2], []]
        Field(TType::List, 4),
        List(TType::List, 2),
        List(TType::I8, 2),
        I8(1),
        I8(2),
        ListEnd,
        List(TType::I8, 0),
        ListEnd,
        ListEnd,
        // map<i32, list<double>> {7: [0.5]}
        Field(TType::Map, 5),
        Map(TType::I32, TType::List, 1),
        I32(7),
        List(TType::Double, 1),
        Double(0.5),
        ListEnd,
        MapEnd,
        // list<struct> [{1: 5}, {}]
        Field(TType::List, 6),
        List(TType::Struct, 2),
        Begin,
        Field(TType::I32, 1),
        I32(5),
        Stop,
        End,
        Begin,
        Stop,
        End,
        ListEnd,
        // empty containers
        Field(TType::List, 7),
        List(TType::I16, 0),
        ListEnd,
        Field(TType::Set, 8),
        Set(TType::I64, 0),
        SetEnd,
        Field(TType::Map, 9),
        Map(TType::Binary, TType::Binary, 0),
        MapEnd,
        // map<struct, set<uuid>> {{}: {UUID}}
        Field(TType::Map, 10),
        Map(TType::Struct, TType::Set, 1),
        Begin,
        Stop,
        End,
        Set(TType::Uuid, 1),
        Uuid(UUID),
        SetEnd,
        MapEnd,
        Stop,
        End,
    ]
}

#[test]
fn primitives_binary() {
    check_struct_fixture(
        Protocol::Binary,
        "binary_primitives",
        "binary: a struct with one field of every primitive type, including extremes",
        &primitives(),
    );
}

#[test]
fn primitives_compact() {
    check_struct_fixture(
        Protocol::Compact,
        "compact_primitives",
        "compact: a struct with one field of every primitive type, including extremes",
        &primitives(),
    );
}

#[test]
fn containers_binary() {
    check_struct_fixture(
        Protocol::Binary,
        "binary_containers",
        "binary: nested and empty lists, sets and maps",
        &containers(),
    );
}

#[test]
fn containers_compact() {
    check_struct_fixture(
        Protocol::Compact,
        "compact_containers",
        "compact: nested and empty lists, sets and maps",
        &containers(),
    );
}

#[test]
fn compact_field_ids_short_and_long_forms() {
    let i8_field = |id: i16, v: i8| [Field(TType::I8, id), I8(v)];
    let mut ops = vec![Begin];
    for (id, v) in [(1, 1), (2, 2), (17, 3), (33, 4), (10, 5), (-1, 6), (14, 7)] {
        ops.extend(i8_field(id, v));
    }
    ops.extend([Field(TType::Struct, 20), Begin]);
    ops.extend(i8_field(1, 8));
    ops.extend(i8_field(300, 9));
    ops.extend([Stop, End]);
    for (id, v) in [(21, 10), (i16::MAX, 11), (i16::MIN, 12)] {
        ops.extend(i8_field(id, v));
    }
    ops.extend([Stop, End]);
    check_struct_fixture(
        Protocol::Compact,
        "compact_field_ids",
        "compact field headers",
        &ops,
    );
}

#[test]
fn compact_bool_fields_and_elements() {
    let ops = vec![
        Begin,
        Field(TType::Bool, 1),
        Bool(true),
        Field(TType::Bool, 2),
        Bool(false),
        Field(TType::Bool, 40),
        Bool(true),
        Field(TType::Bool, -2),
        Bool(false),
        Field(TType::List, 41),
        List(TType::Bool, 3),
        Bool(true),
        Bool(false),
        Bool(true),
        ListEnd,
        Field(TType::Map, 42),
        Map(TType::Bool, TType::Bool, 2),
        Bool(true),
        Bool(false),
        Bool(false),
        Bool(true),
        MapEnd,
        Field(TType::Struct, 43),
        Begin,
        Field(TType::Bool, 1),
        Bool(true),
        Stop,
        End,
        Stop,
        End,
    ];
    check_struct_fixture(Protocol::Compact, "compact_bools", "compact bools", &ops);
}

#[test]
fn compact_container_sizes_and_maps() {
    let mut ops = vec![Begin, Field(TType::List, 1), List(TType::I8, 14)];
    ops.extend((0..14).map(I8));
    ops.extend([ListEnd, Field(TType::List, 2), List(TType::I8, 15)]);
    ops.extend((0..15).map(I8));
    ops.extend([
        ListEnd,
        Field(TType::Map, 3),
        Map(TType::I8, TType::I8, 0),
        MapEnd,
        Field(TType::Map, 4),
        Map(TType::I32, TType::Binary, 1),
        I32(1),
        bin("x"),
        MapEnd,
        Field(TType::Set, 5),
        Set(TType::Binary, 0),
        SetEnd,
        Stop,
        End,
    ]);
    check_struct_fixture(
        Protocol::Compact,
        "compact_container_sizes",
        "compact container headers",
        &ops,
    );
}

// ---------------------------------------------------------------------------
// messages: wire-format §10
// ---------------------------------------------------------------------------

fn echo_call(seq_id: i32) -> Vec<Op> {
    vec![
        Msg("Echo", MessageType::Call, seq_id),
        Begin,
        Field(TType::Binary, 1),
        bin("hi"),
        Stop,
        End,
    ]
}

/// Checks `message_len` on every prefix of `msg`, with and without trailing
/// bytes, and a `MessageScanner` fed one byte at a time.
fn check_message_len(protocol: Protocol, msg: &[u8]) {
    let limits = Limits::default();
    for n in 0..msg.len() {
        assert_eq!(
            message_len(protocol, &msg[..n], &limits).unwrap(),
            None,
            "prefix of {n} bytes"
        );
    }
    assert_eq!(
        message_len(protocol, msg, &limits).unwrap(),
        Some(msg.len())
    );
    let mut two = msg.to_vec();
    two.extend_from_slice(msg);
    assert_eq!(
        message_len(protocol, &two, &limits).unwrap(),
        Some(msg.len())
    );

    let mut scanner = MessageScanner::new(protocol, limits);
    for n in 0..msg.len() {
        assert_eq!(scanner.scan(&two[..n]).unwrap(), None, "scanner at {n}");
    }
    assert_eq!(scanner.scan(&two).unwrap(), Some(msg.len()));
    assert_eq!(scanner.scan(&two).unwrap(), Some(msg.len()));
    scanner.reset();
    assert_eq!(scanner.scan(&two[msg.len()..]).unwrap(), Some(msg.len()));
}

#[test]
fn spec_binary_echo_call() {
    let ops = echo_call(1);
    let bytes = encode(Protocol::Binary, &ops);
    spec("binary_echo_call", &bytes);
    let bytes = load("spec_binary_echo_call");
    assert_eq!(bytes.len(), 26);
    decode(Protocol::Binary, &bytes, &ops);
    check_message_len(Protocol::Binary, &bytes);
    assert_eq!(protocol_of(&bytes), Some(Protocol::Binary));
}

#[test]
fn spec_compact_echo_call() {
    let ops = echo_call(1);
    let bytes = encode(Protocol::Compact, &ops);
    spec("compact_echo_call", &bytes);
    let bytes = load("spec_compact_echo_call");
    decode(Protocol::Compact, &bytes, &ops);
    check_message_len(Protocol::Compact, &bytes);
    assert_eq!(protocol_of(&bytes), Some(Protocol::Compact));
}

#[test]
fn spec_compact_seq_id_minus_one_is_a_five_byte_varint() {
    let ops = echo_call(-1);
    let bytes = encode(Protocol::Compact, &ops);
    spec("compact_seq_minus_one", &bytes);
    let bytes = load("spec_compact_seq_minus_one");
    decode(Protocol::Compact, &bytes, &ops);
    check_message_len(Protocol::Compact, &bytes);
    assert_eq!(get_compact_seq_id(&bytes).unwrap(), -1);
}

#[test]
fn spec_binary_exception_reply() {
    let exc =
        TApplicationException::new(TApplicationExceptionType::UNKNOWN_METHOD, "unknown method");
    let mut buf = BytesMut::new();
    exc.write_message(Protocol::Binary, "Echo", 1, &mut buf)
        .unwrap();
    spec("binary_exception_reply", &buf);
    let bytes = load("spec_binary_exception_reply");
    let mut r = BinaryReader::new(&bytes);
    let header = r.read_message_begin().unwrap();
    assert_eq!(
        header,
        MessageHeader::new("Echo", MessageType::Exception, 1)
    );
    let read = TApplicationException::read(&mut r).unwrap();
    assert_eq!(read, exc);
    assert!(r.remaining().is_empty());
    assert_eq!(read.to_string(), "unknown method: unknown method");
    check_message_len(Protocol::Binary, &bytes);
}

#[test]
fn compact_exception_reply() {
    let exc = TApplicationException::new(TApplicationExceptionType::INTERNAL_ERROR, "boom");
    let mut buf = BytesMut::new();
    exc.write_message(Protocol::Compact, "Echo", 9, &mut buf)
        .unwrap();
    golden(
        "compact_exception_reply",
        "compact EXCEPTION Echo seq 9: TApplicationException INTERNAL_ERROR \"boom\"",
        &buf,
    );
    let bytes = load("compact_exception_reply");
    let mut r = CompactReader::new(&bytes);
    assert_eq!(
        r.read_message_begin().unwrap(),
        MessageHeader::new("Echo", MessageType::Exception, 9)
    );
    assert_eq!(TApplicationException::read(&mut r).unwrap(), exc);
    assert!(r.remaining().is_empty());
    check_message_len(Protocol::Compact, &bytes);
}

#[test]
fn nonstrict_binary_header_is_read() {
    let bytes = load("binary_nonstrict_call");
    decode(Protocol::Binary, &bytes, &echo_call(1));
    check_message_len(Protocol::Binary, &bytes);
    // Kitex semantics: the seq-id helpers want a strict header.
    let err = get_seq_id(&bytes).unwrap_err();
    assert_eq!(err.to_string(), "missing version in thrift message");
}

#[test]
fn kitex_void_result_is_skipped_as_a_struct() {
    let bytes = load("binary_kitex_void_reply");
    check_message_len(Protocol::Binary, &bytes);
    let mut r = BinaryReader::new(&bytes);
    assert_eq!(
        r.read_message_begin().unwrap(),
        MessageHeader::new("Ping", MessageType::Reply, 7)
    );
    r.read_struct_begin().unwrap();
    assert_eq!(r.read_field_begin().unwrap(), Some((TType::Void, 0)));
    r.skip(TType::Void).unwrap();
    assert_eq!(r.read_field_begin().unwrap(), None);
    r.read_struct_end();
    assert!(r.remaining().is_empty());
}

#[test]
fn message_header_helpers() {
    let limits = Limits::default();
    for protocol in [Protocol::Binary, Protocol::Compact] {
        let header = MessageHeader::new("Method", MessageType::Oneway, i32::MIN);
        let mut buf = BytesMut::new();
        write_message_header(protocol, &mut buf, &header).unwrap();
        let (read, n) = read_message_header(protocol, &buf, &limits).unwrap();
        assert_eq!((read, n), (header, buf.len()), "{protocol}");
    }
}

fn header_error(protocol: Protocol, bytes: &[u8]) -> Error {
    read_message_header(protocol, bytes, &Limits::default()).unwrap_err()
}

#[test]
fn message_header_errors() {
    let b = Protocol::Binary;
    let err = header_error(b, &[0x80, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert_eq!(err.to_string(), "bad version in thrift message");
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    let err = header_error(b, &[0x80, 0x01, 0x00, 0x05, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert_eq!(err.to_string(), "unknown message type 5");
    let err = header_error(b, &[0x80, 0x01, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert_eq!(err.to_string(), "unknown message type 0");
    // non-strict header with an unknown type byte
    let err = header_error(b, &[0, 0, 0, 1, b'x', 9, 0, 0, 0, 1]);
    assert_eq!(err.to_string(), "unknown message type 9");
    assert!(header_error(b, &[0x80, 0x01, 0x00]).is_truncated());
    // name longer than the input
    assert!(header_error(b, &[0x80, 0x01, 0x00, 0x01, 0, 0, 0, 9, b'x']).is_truncated());
    // name that is not UTF-8
    let err = header_error(b, &[0x80, 0x01, 0x00, 0x01, 0, 0, 0, 1, 0xff, 0, 0, 0, 1]);
    assert_eq!(err.to_string(), "method name is not valid utf-8");

    let c = Protocol::Compact;
    let err = header_error(c, &[0x83, 0x21, 0x01, 0x00]);
    assert_eq!(err.to_string(), "bad protocol id 0x83 in compact message");
    let err = header_error(c, &[0x82, 0x22, 0x01, 0x00]);
    assert_eq!(err.to_string(), "bad version in thrift message");
    let err = header_error(c, &[0x82, 0xa1, 0x01, 0x00]);
    assert_eq!(err.to_string(), "unknown message type 5");
    assert!(header_error(c, &[0x82, 0x21, 0x81]).is_truncated());
}

// ---------------------------------------------------------------------------
// TApplicationException
// ---------------------------------------------------------------------------

#[test]
fn application_exception_reads_fields_in_any_order_and_skips_others() {
    for protocol in [Protocol::Binary, Protocol::Compact] {
        let ops = [
            Begin,
            Field(TType::I32, 2),
            I32(12001),
            Field(TType::List, 3),
            List(TType::Binary, 1),
            bin("ignored"),
            ListEnd,
            // field 1 with an unexpected type is skipped, the later one wins
            Field(TType::I64, 1),
            I64(7),
            Field(TType::Binary, 1),
            bin("stream closed"),
            Stop,
            End,
        ];
        let bytes = encode(protocol, &ops);
        let mut r = ProtocolReader::new(protocol, &bytes, Limits::default());
        let exc = TApplicationException::read(&mut r).unwrap();
        assert_eq!(exc.kind(), TApplicationExceptionType(12001), "{protocol}");
        assert_eq!(exc.message(), "stream closed");
        assert_eq!(exc.to_string(), "exception type 12001: stream closed");
        assert!(r.remaining().is_empty());

        // Unknown codes survive a round trip.
        let mut buf = BytesMut::new();
        exc.write(&mut ProtocolWriter::new(protocol, &mut buf))
            .unwrap();
        let mut r = ProtocolReader::new(protocol, &buf, Limits::default());
        assert_eq!(TApplicationException::read(&mut r).unwrap(), exc);
    }
}

#[test]
fn application_exception_defaults_and_errors() {
    let exc = TApplicationException::read(&mut BinaryReader::new(&[0])).unwrap();
    assert_eq!(exc.kind(), TApplicationExceptionType::UNKNOWN);
    assert_eq!(exc.message(), "");
    assert_eq!(exc.to_string(), "unknown");
    let boxed: Box<dyn std::error::Error> = Box::new(exc);
    assert_eq!(boxed.to_string(), "unknown");
    // truncated inside field 1
    let err = TApplicationException::read(&mut BinaryReader::new(&[0x0b, 0, 1, 0, 0, 0, 5, b'a']))
        .unwrap_err();
    assert!(err.is_truncated());
}

// ---------------------------------------------------------------------------
// round trips
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Prim {
    Bool(bool),
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    Double(f64),
    Bin(Vec<u8>),
    Uuid([u8; 16]),
}

impl Prim {
    fn ttype(&self) -> TType {
        match self {
            Prim::Bool(_) => TType::Bool,
            Prim::I8(_) => TType::I8,
            Prim::I16(_) => TType::I16,
            Prim::I32(_) => TType::I32,
            Prim::I64(_) => TType::I64,
            Prim::Double(_) => TType::Double,
            Prim::Bin(_) => TType::Binary,
            Prim::Uuid(_) => TType::Uuid,
        }
    }

    fn op(&self) -> Op {
        match self {
            Prim::Bool(v) => Bool(*v),
            Prim::I8(v) => I8(*v),
            Prim::I16(v) => I16(*v),
            Prim::I32(v) => I32(*v),
            Prim::I64(v) => I64(*v),
            Prim::Double(v) => Double(*v),
            Prim::Bin(v) => Bin(v.clone()),
            Prim::Uuid(v) => Uuid(*v),
        }
    }
}

fn prim() -> impl Strategy<Value = Prim> {
    prop_oneof![
        any::<bool>().prop_map(Prim::Bool),
        any::<i8>().prop_map(Prim::I8),
        any::<i16>().prop_map(Prim::I16),
        any::<i32>().prop_map(Prim::I32),
        any::<i64>().prop_map(Prim::I64),
        any::<f64>().prop_map(Prim::Double),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Prim::Bin),
        any::<[u8; 16]>().prop_map(Prim::Uuid),
    ]
}

fn protocol() -> impl Strategy<Value = Protocol> {
    prop_oneof![Just(Protocol::Binary), Just(Protocol::Compact)]
}

/// A message carrying a struct with `fields`, and a list field of `elems`
/// (all of the first element's type).
fn message_ops(fields: &[(i16, Prim)], elems: &[Prim], seq_id: i32) -> Vec<Op> {
    let mut ops = vec![Msg("m", MessageType::Reply, seq_id), Begin];
    for (id, value) in fields {
        ops.push(Field(value.ttype(), *id));
        ops.push(value.op());
    }
    if let Some(first) = elems.first() {
        let ttype = first.ttype();
        let same: Vec<&Prim> = elems.iter().filter(|e| e.ttype() == ttype).collect();
        ops.push(Field(TType::List, 0));
        ops.push(List(ttype, same.len()));
        ops.extend(same.iter().map(|e| e.op()));
        ops.push(ListEnd);
    }
    ops.extend([Stop, End]);
    ops
}

proptest! {
    #[test]
    fn primitives_round_trip(
        protocol in protocol(),
        fields in proptest::collection::vec((any::<i16>(), prim()), 0..24),
        elems in proptest::collection::vec(prim(), 0..40),
        seq_id in any::<i32>(),
    ) {
        let ops = message_ops(&fields, &elems, seq_id);
        let bytes = encode(protocol, &ops);
        decode(protocol, &bytes, &ops);
        prop_assert_eq!(message_len(protocol, &bytes, &Limits::default()).unwrap(), Some(bytes.len()));
        prop_assert_eq!(
            message_len(protocol, &bytes[..bytes.len() - 1], &Limits::default()).unwrap(),
            None
        );
        let (_, header_len) = read_message_header(protocol, &bytes, &Limits::default()).unwrap();
        prop_assert_eq!(skip_fields(protocol, &bytes[header_len..]), bytes.len() - header_len);
    }

    #[test]
    fn unknown_length_lists_match_known_length(
        protocol in protocol(),
        elems in proptest::collection::vec(any::<i32>(), 0..300),
    ) {
        let known = encode(protocol, &list_ops(&elems));
        let unknown = encode_unknown(protocol, &elems);
        prop_assert_eq!(known, unknown);
    }
}

fn list_ops(elems: &[i32]) -> Vec<Op> {
    let mut ops = vec![List(TType::I32, elems.len())];
    ops.extend(elems.iter().copied().map(I32));
    ops
}

fn encode_unknown(protocol: Protocol, elems: &[i32]) -> Vec<u8> {
    let mut buf = BytesMut::from(&b"prefix"[..]);
    let mut w = ProtocolWriter::new(protocol, &mut buf);
    let mark = w.begin_list_unknown(TType::I32).unwrap();
    for e in elems {
        w.write_i32(*e);
    }
    w.end_list_unknown(mark, elems.len()).unwrap();
    buf[6..].to_vec()
}

/// list<map<i32, set<i8>>> where every container's length comes at the end.
fn nested_unknown(w: &mut impl Writer, outer: usize, entries: usize, elems: usize) {
    let list = w.begin_list_unknown(TType::Map).unwrap();
    for _ in 0..outer {
        let map = w.begin_map_unknown(TType::I32, TType::Set).unwrap();
        for k in 0..entries {
            w.write_i32(k as i32);
            let set = w.begin_set_unknown(TType::I8).unwrap();
            for e in 0..elems {
                w.write_i8(e as i8);
            }
            w.end_set_unknown(set, elems).unwrap();
        }
        w.end_map_unknown(map, entries).unwrap();
    }
    w.end_list_unknown(list, outer).unwrap();
}

fn nested_known(w: &mut impl Writer, outer: usize, entries: usize, elems: usize) {
    w.write_list_begin(TType::Map, outer).unwrap();
    for _ in 0..outer {
        w.write_map_begin(TType::I32, TType::Set, entries).unwrap();
        for k in 0..entries {
            w.write_i32(k as i32);
            w.write_set_begin(TType::I8, elems).unwrap();
            for e in 0..elems {
                w.write_i8(e as i8);
            }
        }
    }
}

#[test]
fn unknown_length_containers_at_header_size_boundaries() {
    for protocol in [Protocol::Binary, Protocol::Compact] {
        for (outer, entries, elems) in [
            (0, 0, 0),
            (1, 0, 0),
            (1, 1, 0),
            (14, 1, 14),
            (15, 127, 15),
            (2, 128, 1),
            (1, 16_384, 0),
            (20_000, 0, 0),
        ] {
            let mut known = BytesMut::new();
            nested_known(
                &mut ProtocolWriter::new(protocol, &mut known),
                outer,
                entries,
                elems,
            );
            let mut unknown = BytesMut::new();
            nested_unknown(
                &mut ProtocolWriter::new(protocol, &mut unknown),
                outer,
                entries,
                elems,
            );
            assert!(
                known == unknown,
                "{protocol} {outer}x{entries}x{elems}: bytes differ"
            );
            let n = skip(protocol, &known, TType::List, &Limits::default()).unwrap();
            assert_eq!(n, known.len());
        }
    }
}

// ---------------------------------------------------------------------------
// limits
// ---------------------------------------------------------------------------

/// `depth` nested lists: list<list<...<list<?>>...>> [[...[]...]].
fn nested_lists(protocol: Protocol, depth: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for level in 0..depth {
        let len = u8::from(level + 1 < depth);
        match protocol {
            Protocol::Binary => out.extend([0x0f, 0, 0, 0, len]),
            Protocol::Compact => out.push((len << 4) | 0x09),
        }
    }
    out
}

fn depth_limit(err: &Error) -> bool {
    err.kind() == ErrorKind::Limit(Limit::Depth)
}

#[test]
fn nesting_deeper_than_the_limit_is_an_error() {
    let limits = Limits::default();
    assert_eq!(limits.max_depth, 64);
    for protocol in [Protocol::Binary, Protocol::Compact] {
        let ok = nested_lists(protocol, 64);
        assert_eq!(skip(protocol, &ok, TType::List, &limits).unwrap(), ok.len());
        let deep = nested_lists(protocol, 65);
        let err = skip(protocol, &deep, TType::List, &limits).unwrap_err();
        assert!(depth_limit(&err), "{protocol}: {err}");
        assert_eq!(err.to_string(), "nesting depth 65 exceeds the limit of 64");

        // The same through the reader's begin calls.
        let mut r = ProtocolReader::new(protocol, &deep, limits);
        for _ in 0..64 {
            r.read_list_begin().unwrap();
        }
        assert!(depth_limit(&r.read_list_begin().unwrap_err()));

        // A reader already inside a struct has less room for skipping.
        let mut r = ProtocolReader::new(protocol, &ok, limits);
        r.read_struct_begin().unwrap();
        assert!(depth_limit(&r.skip(TType::List).unwrap_err()));

        // And through message_len.
        let mut msg = BytesMut::new();
        let mut w = ProtocolWriter::new(protocol, &mut msg);
        w.write_message_begin(&MessageHeader::new("m", MessageType::Call, 1))
            .unwrap();
        w.write_struct_begin();
        w.write_field_begin(TType::List, 1).unwrap();
        msg.extend_from_slice(&nested_lists(protocol, 64));
        msg.extend_from_slice(&[0]);
        let err = message_len(protocol, &msg, &limits).unwrap_err();
        assert!(depth_limit(&err), "{protocol}: {err}");
    }
}

#[test]
fn very_deep_nesting_does_not_use_the_stack() {
    let limits = Limits {
        max_depth: usize::MAX,
        ..Limits::default()
    };
    for protocol in [Protocol::Binary, Protocol::Compact] {
        let deep = nested_lists(protocol, 200_000);
        assert_eq!(
            skip(protocol, &deep, TType::List, &limits).unwrap(),
            deep.len()
        );
    }
}

fn read_err<'a, T: std::fmt::Debug>(
    protocol: Protocol,
    bytes: &'a [u8],
    read: impl FnOnce(&mut ProtocolReader<'a>) -> anycall_codec::Result<T>,
) -> Error {
    read(&mut ProtocolReader::new(protocol, bytes, Limits::default())).unwrap_err()
}

#[test]
fn huge_declared_lengths_fail_before_allocating() {
    let b = Protocol::Binary;
    let c = Protocol::Compact;
    let string_limit = ErrorKind::Limit(Limit::StringLength);
    let container_limit = ErrorKind::Limit(Limit::ContainerLength);

    // strings: within the limit but longer than the input; above the limit
    let err = read_err(b, &[0x00, 0x10, 0x00, 0x00, b'a'], |r| r.read_binary());
    assert!(err.is_truncated(), "{err}");
    let err = read_err(b, &[0x7f, 0xff, 0xff, 0xff, b'a'], |r| r.read_binary());
    assert_eq!(err.kind(), string_limit);
    let err = read_err(c, &[0x80, 0x80, 0x40, b'a'], |r| r.read_binary());
    assert!(err.is_truncated(), "{err}");
    let err = read_err(c, &[0xff, 0xff, 0xff, 0xff, 0x07, b'a'], |r| {
        r.read_binary()
    });
    assert_eq!(err.kind(), string_limit);

    // containers: 1 << 20 elements (the limit) in a few bytes
    let err = read_err(b, &[0x08, 0x00, 0x10, 0x00, 0x00, 0, 0, 0, 1], |r| {
        r.read_list_begin()
    });
    assert!(err.is_truncated(), "{err}");
    let err = read_err(b, &[0x0b, 0x0b, 0x00, 0x10, 0x00, 0x00, 0, 0], |r| {
        r.read_map_begin()
    });
    assert!(err.is_truncated(), "{err}");
    let err = read_err(b, &[0x0e, 0x00, 0x10, 0x00, 0x01], |r| r.read_set_begin());
    assert_eq!(err.kind(), container_limit);
    let err = read_err(c, &[0xf5, 0x80, 0x80, 0x40, 0x00], |r| r.read_list_begin());
    assert!(err.is_truncated(), "{err}");
    let err = read_err(c, &[0x80, 0x80, 0x40, 0x55, 0x00], |r| r.read_map_begin());
    assert!(err.is_truncated(), "{err}");
    let err = read_err(c, &[0x81, 0x80, 0x40, 0x55, 0x00], |r| r.read_map_begin());
    assert_eq!(err.kind(), container_limit);

    // skipping checks the same limits
    let limits = Limits::default();
    let err = skip(b, &[0x7f, 0xff, 0xff, 0xff], TType::Binary, &limits).unwrap_err();
    assert_eq!(err.kind(), string_limit);
    let err = skip(b, &[0x08, 0x7f, 0xff, 0xff, 0xff], TType::List, &limits).unwrap_err();
    assert_eq!(err.kind(), container_limit);
    let err = skip(
        b,
        &[0x0b, 0x00, 0x10, 0x00, 0x00, 0, 0, 0, 0],
        TType::List,
        &limits,
    )
    .unwrap_err();
    assert!(err.is_truncated(), "{err}");
    let err = skip(c, &[0x80, 0x80, 0x40, 0x88, 0x00], TType::Map, &limits).unwrap_err();
    assert!(err.is_truncated(), "{err}");
}

#[test]
fn negative_lengths_are_invalid() {
    let b = Protocol::Binary;
    let c = Protocol::Compact;
    let minus_one = [0xff, 0xff, 0xff, 0xff];
    let cases: Vec<(Protocol, Vec<u8>, TType)> = vec![
        (b, minus_one.to_vec(), TType::Binary),
        (b, [&[0x08][..], &minus_one].concat(), TType::List),
        (b, [&[0x08][..], &minus_one].concat(), TType::Set),
        (b, [&[0x08, 0x08][..], &minus_one].concat(), TType::Map),
        (c, vec![0xff, 0xff, 0xff, 0xff, 0x0f], TType::Binary),
        (c, vec![0xf5, 0xff, 0xff, 0xff, 0xff, 0x0f], TType::List),
        (c, vec![0xff, 0xff, 0xff, 0xff, 0x0f, 0x55], TType::Map),
    ];
    for (protocol, bytes, ttype) in cases {
        let err = match ttype {
            TType::Binary => read_err(protocol, &bytes, |r| r.read_binary()),
            TType::List => read_err(protocol, &bytes, |r| r.read_list_begin()),
            TType::Set => read_err(protocol, &bytes, |r| r.read_set_begin()),
            _ => read_err(protocol, &bytes, |r| r.read_map_begin()),
        };
        assert_eq!(err.kind(), ErrorKind::InvalidData, "{protocol} {ttype}");
        assert!(err.message().starts_with("negative"), "{err}");
        let err = skip(protocol, &bytes, ttype, &Limits::default()).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::InvalidData,
            "skip {protocol} {ttype}"
        );
        assert!(err.message().starts_with("negative"), "{err}");
    }
}

#[test]
fn unknown_types_are_errors_naming_the_id() {
    let limits = Limits::default();
    // a struct with a field of type 7
    let err = skip(Protocol::Binary, &[0x07, 0, 1, 0], TType::Struct, &limits).unwrap_err();
    assert_eq!(err.to_string(), "unknown thrift type id 7");
    let err = read_err(Protocol::Binary, &[0x11, 0, 1], |r| r.read_field_begin());
    assert_eq!(err.to_string(), "unknown thrift type id 17");
    let err = skip(Protocol::Compact, &[0x1e, 0], TType::Struct, &limits).unwrap_err();
    assert_eq!(err.to_string(), "unknown compact type id 14");
    let err = read_err(Protocol::Compact, &[0x1f], |r| r.read_list_begin());
    assert_eq!(err.to_string(), "unknown compact type id 15");
    let err = skip(
        Protocol::Binary,
        &[0x00, 0, 0, 0, 1, 0],
        TType::List,
        &limits,
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "cannot skip a value of type stop");
    let err = skip(Protocol::Compact, &[0], TType::Void, &limits).unwrap_err();
    assert_eq!(err.to_string(), "cannot skip a value of type void");
}

#[test]
fn truncation_is_reported_as_truncated() {
    for protocol in [Protocol::Binary, Protocol::Compact] {
        let bytes = encode(protocol, &containers());
        for n in 0..bytes.len() {
            let err = skip(protocol, &bytes[..n], TType::Struct, &Limits::default()).unwrap_err();
            assert!(err.is_truncated(), "{protocol} prefix {n}: {err}");
        }
        let err = read_err(protocol, &[], |r| r.read_i64());
        assert_eq!(err.to_string(), "unexpected end of input reading i64");
    }
}

// ---------------------------------------------------------------------------
// message_len
// ---------------------------------------------------------------------------

#[test]
fn message_len_on_every_prefix() {
    for protocol in [Protocol::Binary, Protocol::Compact] {
        for body in [primitives(), containers()] {
            let mut ops = vec![Msg("Method", MessageType::Call, 77)];
            ops.extend(body);
            check_message_len(protocol, &encode(protocol, &ops));
        }
    }
}

#[test]
fn message_len_errors() {
    let limits = Limits::default();
    // bad version
    let err = message_len(Protocol::Binary, &[0x80, 0x02, 0, 1], &limits).unwrap_err();
    assert_eq!(err.to_string(), "bad version in thrift message");
    // bad compact type id inside the struct
    let mut msg = encode(Protocol::Compact, &echo_call(1));
    let last = msg.len() - 1;
    msg[last] = 0x1e;
    let err = message_len(Protocol::Compact, &msg, &limits).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    // a varint that never ends
    let mut msg = encode(Protocol::Compact, &[Msg("m", MessageType::Call, 1)]);
    msg.extend_from_slice(&[0x15, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    let err = message_len(Protocol::Compact, &msg, &limits).unwrap_err();
    assert_eq!(err.to_string(), "varint overflow reading i32");
}

#[test]
fn message_len_enforces_the_message_size_limit() {
    let limits = Limits {
        max_message_size: 64,
        ..Limits::default()
    };
    let size_limit = ErrorKind::Limit(Limit::MessageSize);
    for protocol in [Protocol::Binary, Protocol::Compact] {
        // A string whose declared length reaches past the limit fails at
        // once, before its bytes arrive.
        let mut msg = encode(
            protocol,
            &[
                Msg("m", MessageType::Call, 1),
                Begin,
                Field(TType::Binary, 1),
            ],
        );
        let header_len = msg.len();
        let mut w = BytesMut::new();
        ProtocolWriter::new(protocol, &mut w)
            .write_binary(&[b'x'; 100])
            .unwrap();
        msg.extend_from_slice(&w[..w.len() - 100]);
        msg.push(b'x');
        let err = message_len(protocol, &msg, &limits).unwrap_err();
        assert_eq!(err.kind(), size_limit, "{protocol}: {err}");

        // Many small fields: fails once the buffer holds more than the limit.
        let mut ops = vec![Msg("m", MessageType::Call, 1), Begin];
        for id in 1..=40 {
            ops.extend([Field(TType::I64, id), I64(-1)]);
        }
        ops.extend([Stop, End]);
        let msg = encode(protocol, &ops);
        assert!(msg.len() > 64);
        assert_eq!(message_len(protocol, &msg[..40], &limits).unwrap(), None);
        let err = message_len(protocol, &msg, &limits).unwrap_err();
        assert_eq!(err.kind(), size_limit, "{protocol}: {err}");
        let mut scanner = MessageScanner::new(protocol, limits);
        assert_eq!(scanner.scan(&msg[..header_len]).unwrap(), None);
        assert_eq!(scanner.scan(&msg[..40]).unwrap(), None);
        assert_eq!(scanner.scan(&msg).unwrap_err().kind(), size_limit);

        // A message of exactly the limit is fine.
        let exact = Limits {
            max_message_size: msg.len(),
            ..Limits::default()
        };
        assert_eq!(
            message_len(protocol, &msg, &exact).unwrap(),
            Some(msg.len())
        );
    }
}

// ---------------------------------------------------------------------------
// seq ids
// ---------------------------------------------------------------------------

#[test]
fn binary_seq_id_get_and_set() {
    let mut msg = load("spec_binary_echo_call");
    assert_eq!(get_seq_id(&msg).unwrap(), 1);
    set_seq_id(&mut msg, -5).unwrap();
    assert_eq!(get_seq_id(&msg).unwrap(), -5);
    decode(Protocol::Binary, &msg, &echo_call(-5));
    // A header with no struct after it is enough.
    assert_eq!(get_seq_id(&msg[..16]).unwrap(), -5);
}

#[test]
fn binary_seq_id_errors() {
    let msg = load("spec_binary_echo_call");
    let check = |bytes: &[u8], expected: &str| {
        let err = get_seq_id(bytes).unwrap_err();
        assert_eq!(err.to_string(), expected, "{bytes:02x?}");
        let mut copy = bytes.to_vec();
        let err = set_seq_id(&mut copy, 9).unwrap_err();
        assert_eq!(err.to_string(), expected);
        assert_eq!(copy, bytes, "unchanged on error");
        err
    };
    // a Framed length in front of the message
    let framed = [&[0, 0, 0, 26][..], &msg].concat();
    let err = check(&framed, "missing version in thrift message");
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    check(&[0, 0, 0, 0, 0, 0, 0, 0], "bad version in thrift message");
    check(
        &load("spec_compact_echo_call"),
        "bad version in thrift message",
    );
    check(&[0x80, 0x02, 0, 1], "bad version in thrift message");
    check(
        &[0x80, 0x01, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0],
        "negative method name length -1",
    );
    for n in [0, 3, 7, 12, 15] {
        let err = check(
            &msg[..n],
            "unexpected end of input reading thrift message header",
        );
        assert!(err.is_truncated());
    }
}

#[test]
fn compact_seq_id_get_and_set() {
    let original = load("spec_compact_echo_call");
    let mut msg = BytesMut::from(&original[..]);
    assert_eq!(get_compact_seq_id(&msg).unwrap(), 1);
    // 1 byte -> 5 bytes
    set_compact_seq_id(&mut msg, -1).unwrap();
    assert_eq!(&msg[..], &load("spec_compact_seq_minus_one")[..]);
    // 5 -> 2 bytes
    set_compact_seq_id(&mut msg, 300).unwrap();
    assert_eq!(msg.len(), original.len() + 1);
    decode(Protocol::Compact, &msg, &echo_call(300));
    // back to 1 byte
    set_compact_seq_id(&mut msg, 1).unwrap();
    assert_eq!(&msg[..], &original[..]);

    let err = get_compact_seq_id(&load("spec_binary_echo_call")).unwrap_err();
    assert_eq!(err.to_string(), "bad protocol id 0x80 in compact message");
    let err = get_compact_seq_id(&[0x82, 0x22, 0x01]).unwrap_err();
    assert_eq!(err.to_string(), "bad version in thrift message");
    assert!(
        get_compact_seq_id(&[0x82, 0x21, 0x80])
            .unwrap_err()
            .is_truncated()
    );
    assert!(get_compact_seq_id(&[0x82]).unwrap_err().is_truncated());
    let mut short = BytesMut::from(&[0x82, 0x21][..]);
    assert!(
        set_compact_seq_id(&mut short, 1)
            .unwrap_err()
            .is_truncated()
    );
    assert_eq!(&short[..], &[0x82, 0x21]);
}

#[test]
fn put_with_seq_id_matches_rewriting_in_place() {
    for (protocol, name) in [
        (Protocol::Binary, "spec_binary_echo_call"),
        (Protocol::Compact, "spec_compact_echo_call"),
    ] {
        let original = load(name);
        for seq in [1, 0, -1, 300, i32::MAX, i32::MIN] {
            let mut expected = BytesMut::from(&original[..]);
            match protocol {
                Protocol::Binary => set_seq_id(&mut expected, seq).unwrap(),
                Protocol::Compact => set_compact_seq_id(&mut expected, seq).unwrap(),
            }
            let mut dst = BytesMut::from(&b"prefix"[..]);
            put_with_seq_id(protocol, &original, seq, &mut dst).unwrap();
            assert_eq!(&dst[..6], b"prefix");
            assert_eq!(&dst[6..], &expected[..], "{protocol:?} seq {seq}");
        }
        // A message of the other protocol: an error, nothing appended.
        let other = match protocol {
            Protocol::Binary => load("spec_compact_echo_call"),
            Protocol::Compact => load("spec_binary_echo_call"),
        };
        let mut dst = BytesMut::new();
        assert!(put_with_seq_id(protocol, &other, 7, &mut dst).is_err());
        assert!(dst.is_empty());
    }
}

/// A value cut short names what was being skipped.
#[test]
fn a_truncated_skip_names_the_value() {
    let cases: [(TType, &[u8], &str); 6] = [
        (TType::Struct, &[0x08, 0x00, 0x01], "skipped struct"),
        (TType::List, &[0x08, 0, 0, 0, 2, 0, 0, 0, 1], "skipped list"),
        (TType::Set, &[0x08, 0, 0, 0, 2, 0, 0, 0, 1], "skipped set"),
        (
            TType::Map,
            &[0x08, 0x08, 0, 0, 0, 1, 0, 0, 0, 1],
            "skipped map",
        ),
        (TType::Binary, &[0, 0, 0, 4, b'a'], "skipped string"),
        (TType::I32, &[0, 0], "skipped value"),
    ];
    for (ttype, bytes, what) in cases {
        let err = skip(Protocol::Binary, bytes, ttype, &Limits::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Truncated, "{ttype:?}: {err}");
        assert!(err.to_string().contains(what), "{ttype:?}: {err}");
    }
}

/// A string as long as `max_string_len` reads; one byte more is refused.
#[test]
fn a_string_at_the_length_limit_reads() {
    let limits = Limits {
        max_string_len: 8,
        ..Limits::default()
    };
    for p in [Protocol::Binary, Protocol::Compact] {
        for (len, ok) in [(8, true), (9, false)] {
            let mut buf = BytesMut::new();
            ProtocolWriter::new(p, &mut buf)
                .write_binary(&vec![b'x'; len])
                .unwrap();
            let mut r = ProtocolReader::new(p, &buf, limits);
            let got = r.read_binary().map(<[u8]>::len);
            match ok {
                true => assert_eq!(got.unwrap(), len, "{p:?}"),
                false => assert_eq!(
                    got.unwrap_err().kind(),
                    ErrorKind::Limit(Limit::StringLength),
                    "{p:?}"
                ),
            }
        }
    }
}
