//! Apache THeader frames (magic 0x0FFF): golden bytes, frames written by
//! Apache's own Python `THeaderTransport` (thrift 0.25.0, fixtures in
//! `testdata/frame/apache_theader_*.hex`), zlib, detection and limits.

use std::path::PathBuf;

use anycall_codec::frame::theader::{TRANSFORM_HMAC, TRANSFORM_ZLIB};
use anycall_codec::frame::ttheader::int_key;
use anycall_codec::frame::{
    Detected, Frame, FrameDecoder, FrameEncoder, FrameLimits, ProtocolId, TTHeader, Transport,
    detect,
};
use anycall_codec::{Error, ErrorKind, Limit};
use anycall_test_support::{golden, hex};
use bytes::{BufMut, BytesMut};

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/frame")
        .join(format!("{name}.hex"))
}

/// `Echo`, seq 1, args `{1: "hi"}` in strict binary (spec §10).
const ECHO_CALL: &str =
    "80 01 00 01  00 00 00 04  45 63 68 6f  00 00 00 01  0b 00 01 00 00 00 02 68 69  00";

fn echo() -> Vec<u8> {
    hex::parse(ECHO_CALL)
}

fn compact_echo() -> Vec<u8> {
    hex::parse("82 21 01 04 45 63 68 6f  18 02 68 69  00")
}

fn encode(header: Option<&TTHeader>, payload: &[u8]) -> Vec<u8> {
    let mut dst = BytesMut::new();
    FrameEncoder::new(Transport::THeader)
        .encode(header, payload, &mut dst)
        .expect("encode");
    dst.to_vec()
}

fn decode_with(limits: FrameLimits, bytes: &[u8]) -> Result<Option<Frame>, Error> {
    let mut src = BytesMut::from(bytes);
    let got = FrameDecoder::new(Transport::THeader)
        .with_limits(limits)
        .decode(&mut src);
    if let Ok(Some(_)) = &got {
        assert!(src.is_empty(), "{} bytes left over", src.len());
    }
    got
}

fn decode_one(bytes: &[u8]) -> Frame {
    decode_with(FrameLimits::default(), bytes)
        .expect("decode")
        .expect("a whole frame")
}

fn decode_err(bytes: &[u8]) -> Error {
    match decode_with(FrameLimits::default(), bytes) {
        Err(err) => err,
        Ok(frame) => panic!("expected an error, got {frame:?}"),
    }
}

/// A THeader frame built by hand from a header area (padded here).
fn raw_theader(seq: i32, area: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut area = area.to_vec();
    while !area.len().is_multiple_of(4) {
        area.push(0);
    }
    let mut out = Vec::new();
    out.put_u32(u32::try_from(10 + area.len() + payload.len()).unwrap());
    out.put_u16(0x0fff);
    out.put_u16(0);
    out.put_i32(seq);
    out.put_u16(u16::try_from(area.len() / 4).unwrap());
    out.extend_from_slice(&area);
    out.extend_from_slice(payload);
    out
}

fn zlib_header(seq: i32) -> TTHeader {
    let mut header = TTHeader::new(seq);
    header.protocol_id = ProtocolId::ThriftCompact;
    header.transform_ids = vec![TRANSFORM_ZLIB];
    header
        .insert_str("trace", "t-1")
        .insert_str("user", "anycall");
    header
}

#[test]
fn golden_theader_no_info() {
    let header = TTHeader::new(1);
    let bytes = encode(Some(&header), &echo());
    // What Apache's Python THeaderTransport writes for the same call.
    let spec = format!("00 00 00 28  0f ff 00 00  00 00 00 01  00 01  00 00 00 00  {ECHO_CALL}");
    assert_eq!(hex::lines(&bytes), hex::lines(&hex::parse(&spec)));
    golden::hex(
        &golden_path("theader_no_info"),
        "Apache THeader, seq 1: protocol 0 (binary), 0 transforms, 2 padding bytes, Echo call",
        &bytes,
    );
    let frame = decode_one(&bytes);
    assert_eq!(frame.transport, Transport::THeader);
    assert_eq!(frame.header, Some(header));
    assert_eq!(&frame.payload[..], &echo()[..]);
    // No header given: the same bytes but sequence 0.
    let mut zero = hex::parse(&spec);
    zero[11] = 0;
    assert_eq!(encode(None, &echo()), zero);
}

#[test]
fn golden_theader_key_value() {
    let mut header = TTHeader::new(1);
    header.insert_str("k", "v");
    let bytes = encode(Some(&header), &echo());
    let spec = format!(
        "00 00 00 2c  0f ff 00 00  00 00 00 01  00 02  00 00 01 01 01 6b 01 76  {ECHO_CALL}"
    );
    assert_eq!(hex::lines(&bytes), hex::lines(&hex::parse(&spec)));
    golden::hex(
        &golden_path("theader_key_value"),
        "Apache THeader, seq 1: binary, INFO_KEYVALUE {\"k\": \"v\"} (varint lengths), Echo call",
        &bytes,
    );
    assert_eq!(decode_one(&bytes).header, Some(header));
}

#[test]
fn golden_theader_zlib_compact() {
    let header = zlib_header(1);
    let bytes = encode(Some(&header), &compact_echo());
    golden::hex(
        &golden_path("theader_zlib_compact"),
        "Apache THeader, seq 1: compact (2), 1 transform zlib (1), INFO_KEYVALUE {trace, user}, zlib(compact Echo call)",
        &bytes,
    );
    // The header area is exactly what Apache's Python writes (7 words).
    assert_eq!(
        hex::lines(&bytes[..14 + 28]),
        hex::lines(&hex::parse(
            "00 00 00 3b 0f ff 00 00 00 00 00 01 00 07
             02 01 01 01 02 05 74 72 61 63 65 03 74 2d 31 04 75 73 65 72 07 61 6e 79 63 61 6c 6c"
        ))
    );
    let frame = decode_one(&bytes);
    assert_eq!(frame.header, Some(header));
    assert_eq!(&frame.payload[..], &compact_echo()[..]);
}

/// Frames written by Apache Thrift's Python `THeaderProtocol` (thrift
/// 0.25.0): binary without info, binary with a header, compact with zlib
/// and two headers.
#[test]
fn frames_written_by_apache_python_decode() {
    let plain = golden::load_hex(&golden_path("spec_apache_theader_binary"));
    let frame = decode_one(&plain);
    assert_eq!(frame.header, Some(TTHeader::new(1)));
    assert_eq!(&frame.payload[..], &echo()[..]);

    let zlib = golden::load_hex(&golden_path("spec_apache_theader_zlib_compact"));
    let frame = decode_one(&zlib);
    assert_eq!(frame.header, Some(zlib_header(1)));
    assert_eq!(&frame.payload[..], &compact_echo()[..]);
}

#[test]
fn detection_picks_theader() {
    assert_eq!(
        detect(&[0, 0, 0, 0x28, 0x0f, 0xff]).unwrap(),
        Some(Detected::THeader)
    );
    assert_eq!(Detected::THeader.transport(), Some(Transport::THeader));
    assert_eq!("theader".parse::<Transport>().unwrap(), Transport::THeader);
    assert!(Transport::THeader.has_header());
    assert!(!Transport::THeader.has_ttheader());
}

#[test]
fn unknown_info_ids_end_the_info_blocks() {
    // KEYVALUE {a: b}, then info id 7 with data we do not know, then more
    // bytes: Apache stops at id 7 and skips to the payload.
    let area = hex::parse("00 00  01 01 01 61 01 62  07 01 01 61 01 63");
    let frame = decode_one(&raw_theader(3, &area, &echo()));
    let header = frame.header.unwrap();
    assert_eq!(header.str_value("a"), Some("b"));
    assert_eq!(header.str_kvs.len(), 1);
    assert_eq!(&frame.payload[..], &echo()[..]);
}

#[test]
fn bad_frames_are_named() {
    let cases: [(&str, Vec<u8>, &str); 8] = [
        (
            "json protocol",
            raw_theader(1, &[0x01, 0x00], &echo()),
            "protocol id 1 (thrift json) is not supported",
        ),
        (
            "hmac transform",
            raw_theader(1, &[0x00, 0x01, TRANSFORM_HMAC], &echo()),
            "transform id 2 is not supported",
        ),
        (
            "truncated varint",
            raw_theader(1, &[0x00, 0x01, 0x81, 0x81], &echo()),
            "transform id runs past the end of the header area",
        ),
        (
            "overlong varint",
            raw_theader(
                1,
                &[0x00, 0x01, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81],
                &echo(),
            ),
            "transform id is a varint longer than 5 bytes",
        ),
        (
            "key past the area",
            raw_theader(1, &[0x00, 0x00, 0x01, 0x01, 0x09, 0x61], &echo()),
            "INFO_KEYVALUE block runs past the end",
        ),
        (
            "payload of the other protocol",
            raw_theader(1, &[0x02, 0x00], &echo()),
            "theader payload is not a thrift compact message",
        ),
        (
            "bad zlib",
            raw_theader(1, &[0x00, 0x01, TRANSFORM_ZLIB], &echo()),
            "theader zlib payload is invalid",
        ),
        (
            "kitex magic",
            {
                let mut b = encode(None, &echo());
                b[4] = 0x10;
                b[5] = 0x00;
                b
            },
            "bad theader magic 0x1000",
        ),
    ];
    for (what, bytes, message) in cases {
        let err = decode_err(&bytes);
        assert_eq!(err.kind(), ErrorKind::InvalidData, "{what}: {err}");
        assert!(err.to_string().contains(message), "{what}: {err}");
    }
}

/// The header area may end where the frame's last few bytes start: the
/// fixed part after LENGTH is ten bytes, not more.
#[test]
fn a_short_payload_right_after_the_header_area_decodes() {
    // A compact message with an empty name and an empty struct: 5 bytes.
    let payload = hex::parse("82 21 01 00 00");
    let frame = decode_one(&raw_theader(1, &[0x02, 0x00], &payload));
    assert_eq!(&frame.payload[..], &payload[..]);
}

#[test]
fn inflated_payload_is_limited() {
    // 4 KiB of zeros in a string compresses to a few bytes.
    let mut message = hex::parse("80 01 00 01 00 00 00 04 45 63 68 6f 00 00 00 01 0b 00 01");
    message.put_u32(4096);
    message.extend(std::iter::repeat_n(0u8, 4096));
    message.push(0);
    let mut header = TTHeader::new(1);
    header.transform_ids = vec![TRANSFORM_ZLIB];
    let bytes = encode(Some(&header), &message);
    assert!(bytes.len() < 200, "compressed to {} bytes", bytes.len());
    let limits = FrameLimits {
        max_frame_size: 1024,
    };
    let err = decode_with(limits, &bytes).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Limit(Limit::FrameSize), "{err}");
    let frame = decode_one(&bytes);
    assert_eq!(&frame.payload[..], &message[..]);
}

/// Lengths of 128 and more take two varint bytes in the header area: 200
/// string headers, one with a 300-byte key and a 20,000-byte value.
#[test]
fn long_headers_and_many_of_them_round_trip() {
    let mut header = TTHeader::new(5);
    for i in 0..200 {
        header.insert_str(format!("k{i}"), "v");
    }
    header.insert_str("k".repeat(300), "v".repeat(20_000));
    let bytes = encode(Some(&header), &echo());
    let frame = decode_one(&bytes);
    assert_eq!(frame.header, Some(header));
    assert_eq!(&frame.payload[..], &echo()[..]);
}

#[test]
fn every_prefix_needs_more_bytes() {
    let bytes = encode(Some(&zlib_header(9)), &compact_echo());
    for cut in 0..bytes.len() {
        let got = decode_with(FrameLimits::default(), &bytes[..cut]);
        assert!(matches!(got, Ok(None)), "prefix {cut}: {got:?}");
    }
}

#[test]
fn headers_theader_cannot_carry_are_refused_on_write() {
    let mut dst = BytesMut::new();
    let encoder = FrameEncoder::new(Transport::THeader);
    let mut int = TTHeader::new(1);
    int.insert_int(int_key::TO_METHOD, "Echo");
    let err = encoder.begin(Some(&int), &mut dst).unwrap_err();
    assert!(err.to_string().contains("no int keys"), "{err}");
    let mut proto = TTHeader::new(1);
    proto.protocol_id = ProtocolId::KitexProtobuf;
    assert!(encoder.begin(Some(&proto), &mut dst).is_err());
    let mut hmac = TTHeader::new(1);
    hmac.transform_ids = vec![TRANSFORM_HMAC];
    assert!(encoder.begin(Some(&hmac), &mut dst).is_err());
    assert!(dst.is_empty(), "nothing written");
}
