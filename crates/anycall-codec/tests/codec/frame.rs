//! Transport frame codecs: golden bytes and limits.
//!
//! Golden fixtures live in `testdata/frame/*.hex` (hex text, `#` comments);
//! `UPDATE_GOLDEN=1` rewrites them, keeping their leading comment block.

use std::path::PathBuf;

use anycall_codec::frame::ttheader::{
    FLAG_STREAMING, INFO_ACL_TOKEN, INFO_INTKEYVALUE, INFO_KEYVALUE, INFO_PADDING, int_key,
    metainfo, str_key, stream_frame_type,
};
use anycall_codec::frame::{
    DEFAULT_MAX_FRAME_SIZE, Detected, Frame, FrameDecoder, FrameEncoder, FrameLimits,
    HTTP2_PREFACE, PayloadKind, ProtocolId, TTHeader, Transport, detect, payload_kind,
};
use anycall_codec::{Error, ErrorKind, Limit};
use bytes::{BufMut, BytesMut};

use anycall_test_support::{golden, hex};

// ---------------------------------------------------------------------------
// helpers

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/frame")
        .join(format!("{name}.hex"))
}

/// Compares `actual` with `testdata/frame/<name>.hex`, or rewrites the file
/// (keeping its comment block) when `UPDATE_GOLDEN=1` and the bytes changed.
fn check_golden(name: &str, description: &str, actual: &[u8]) {
    golden::hex(&golden_path(name), description, actual);
}

/// Reads a golden fixture's bytes.
fn golden_bytes(name: &str) -> Vec<u8> {
    golden::load_hex(&golden_path(name))
}

/// `Echo`, seq 1, args `{1: "hi"}` in strict binary (spec §10).
const ECHO_CALL: &str =
    "80 01 00 01  00 00 00 04  45 63 68 6f  00 00 00 01  0b 00 01 00 00 00 02 68 69  00";

fn echo() -> Vec<u8> {
    hex::parse(ECHO_CALL)
}

/// The same call in the compact protocol (spec §10).
fn compact_echo() -> Vec<u8> {
    hex::parse("82 21 01 04 45 63 68 6f  18 02 68 69  00")
}

fn encode(transport: Transport, header: Option<&TTHeader>, payload: &[u8]) -> Vec<u8> {
    let mut dst = BytesMut::new();
    FrameEncoder::new(transport)
        .encode(header, payload, &mut dst)
        .expect("encode");
    dst.to_vec()
}

/// Decodes exactly one frame that fills `bytes`.
fn decode_one(transport: Transport, bytes: &[u8]) -> Frame {
    let mut src = BytesMut::from(bytes);
    let frame = FrameDecoder::new(transport)
        .decode(&mut src)
        .expect("decode")
        .expect("a whole frame");
    assert!(src.is_empty(), "{} bytes left over", src.len());
    frame
}

fn decode_err(transport: Transport, bytes: &[u8]) -> Error {
    let mut src = BytesMut::from(bytes);
    match FrameDecoder::new(transport).decode(&mut src) {
        Err(err) => err,
        Ok(frame) => panic!("expected an error, got {frame:?}"),
    }
}

/// A TTHeader frame built by hand: `area` starts at the protocol id and is
/// zero-padded to 4 bytes; HEADER SIZE and LENGTH are computed.
fn raw_ttheader(flags: u16, seq: i32, area: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut area = area.to_vec();
    while !area.len().is_multiple_of(4) {
        area.push(0);
    }
    let mut out = Vec::new();
    out.put_u32(u32::try_from(10 + area.len() + payload.len()).unwrap());
    out.put_u16(0x1000);
    out.put_u16(flags);
    out.put_i32(seq);
    out.put_u16(u16::try_from(area.len() / 4).unwrap());
    out.extend_from_slice(&area);
    out.extend_from_slice(payload);
    out
}

fn put_str(out: &mut Vec<u8>, s: &[u8]) {
    out.put_u16(u16::try_from(s.len()).unwrap());
    out.extend_from_slice(s);
}

fn kv_block(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut out = vec![INFO_KEYVALUE];
    out.put_u16(u16::try_from(pairs.len()).unwrap());
    for (k, v) in pairs {
        put_str(&mut out, k.as_bytes());
        put_str(&mut out, v.as_bytes());
    }
    out
}

fn int_block(pairs: &[(u16, &[u8])]) -> Vec<u8> {
    let mut out = vec![INFO_INTKEYVALUE];
    out.put_u16(u16::try_from(pairs.len()).unwrap());
    for (k, v) in pairs {
        out.put_u16(*k);
        put_str(&mut out, v);
    }
    out
}

fn acl_block(token: &str) -> Vec<u8> {
    let mut out = vec![INFO_ACL_TOKEN];
    put_str(&mut out, token.as_bytes());
    out
}

/// Protocol id binary, no transforms, then `blocks`.
fn area(blocks: &[&[u8]]) -> Vec<u8> {
    let mut out = vec![0x00, 0x00];
    for block in blocks {
        out.extend_from_slice(block);
    }
    out
}

/// A header with every kind of info: ACL token, string and int pairs.
fn full_header() -> TTHeader {
    let mut header = TTHeader::new(7);
    header.acl_token = Some("token-1".to_owned());
    header
        .insert_str(str_key::IDL_SERVICE_NAME, "EchoService")
        .insert_str(format!("{}trace", metainfo::PREFIX_PERSISTENT), "abc")
        .insert_str(format!("{}hop", metainfo::PREFIX_TRANSIENT), "1")
        .insert_int(int_key::TRANSPORT_TYPE, "framed")
        .insert_int(int_key::FROM_SERVICE, "caller")
        .insert_int(int_key::TO_SERVICE, "EchoService")
        .insert_int(int_key::TO_METHOD, "Echo")
        .insert_int(int_key::RPC_TIMEOUT, "1000")
        .set_msg_type(1);
    header
}

/// The streaming Header frame of spec §10: stream 1, `Echo`, `isn`=`Svc`.
fn streaming_header() -> TTHeader {
    let mut header = TTHeader::new(1);
    header.flags = FLAG_STREAMING;
    header.protocol_id = ProtocolId::ThriftStruct;
    header
        .insert_str(str_key::IDL_SERVICE_NAME, "Svc")
        .insert_int(int_key::FRAME_TYPE, stream_frame_type::HEADER)
        .insert_int(int_key::TO_METHOD, "Echo");
    header
}

// ---------------------------------------------------------------------------
// Transport

#[test]
fn transport_names_round_trip() {
    let names = [
        "buffered",
        "framed",
        "ttheader",
        "ttheader-framed",
        "theader",
    ];
    for (transport, name) in Transport::ALL.into_iter().zip(names) {
        assert_eq!(transport.to_string(), name);
        assert_eq!(name.parse::<Transport>().unwrap(), transport);
    }
    let err = "TTHeader".parse::<Transport>().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(
        err.to_string().contains("unknown transport `TTHeader`"),
        "{err}"
    );
    assert!(Transport::TTHeaderFramed.has_ttheader());
    assert!(!Transport::Framed.has_ttheader());
}

#[test]
fn default_max_frame_size_is_16_mib() {
    assert_eq!(DEFAULT_MAX_FRAME_SIZE, 16 * 1024 * 1024);
    assert_eq!(
        FrameLimits::default().max_frame_size,
        DEFAULT_MAX_FRAME_SIZE
    );
}

#[test]
fn int_key_names_follow_the_spec() {
    assert_eq!(int_key::TO_METHOD, 9);
    assert_eq!(int_key::MSG_TYPE, 22);
    assert_eq!(int_key::FRAME_TYPE, 27);
    assert_eq!(int_key::name(int_key::TO_METHOD), Some("ToMethod"));
    assert_eq!(int_key::name(int_key::MSG_TYPE), Some("MsgType"));
    assert_eq!(
        int_key::name(int_key::CLUSTER_SHARD_ID),
        Some("ClusterShardID")
    );
    assert_eq!(int_key::name(int_key::FRAME_TYPE), Some("FrameType"));
    assert_eq!(int_key::name(28), None);
}

// ---------------------------------------------------------------------------
// golden bytes

#[test]
fn golden_framed_echo() {
    let bytes = encode(Transport::Framed, None, &echo());
    assert_eq!(
        hex::lines(&bytes),
        hex::lines(&hex::parse(&format!("00 00 00 1a {ECHO_CALL}")))
    );
    check_golden(
        "framed_echo",
        "Framed: Echo call, seq 1, args {1: \"hi\"} (wire-format §10)",
        &bytes,
    );
    let frame = decode_one(Transport::Framed, &bytes);
    assert_eq!(frame.transport, Transport::Framed);
    assert_eq!(frame.header, None);
    assert_eq!(&frame.payload[..], &echo()[..]);
}

#[test]
fn golden_ttheader_no_info() {
    let header = TTHeader::new(1);
    let bytes = encode(Transport::TTHeader, Some(&header), &echo());
    let spec = format!("00 00 00 28  10 00 00 00  00 00 00 01  00 01  00 00 00 00  {ECHO_CALL}");
    assert_eq!(hex::lines(&bytes), hex::lines(&hex::parse(&spec)));
    check_golden(
        "ttheader_no_info",
        "TTHeader, seq 1, no info (header area 00 00 00 00, HEADER SIZE 1), Echo call",
        &bytes,
    );
    let frame = decode_one(Transport::TTHeader, &bytes);
    assert_eq!(frame.transport, Transport::TTHeader);
    assert_eq!(frame.header, Some(header));
    assert_eq!(&frame.payload[..], &echo()[..]);
}

#[test]
fn golden_ttheader_to_method() {
    let mut header = TTHeader::new(1);
    header.insert_int(int_key::TO_METHOD, "Echo");
    let bytes = encode(Transport::TTHeader, Some(&header), &echo());
    let spec = format!(
        "00 00 00 34  10 00 00 00  00 00 00 01  00 04
         00 00  10 00 01  00 09 00 04 45 63 68 6f  00 00 00  {ECHO_CALL}"
    );
    assert_eq!(hex::lines(&bytes), hex::lines(&hex::parse(&spec)));
    check_golden(
        "ttheader_to_method",
        "TTHeader, seq 1, INTKEYVALUE {9 ToMethod: \"Echo\"} + 3 padding bytes, Echo call",
        &bytes,
    );
    let frame = decode_one(Transport::TTHeader, &bytes);
    assert_eq!(frame.header.as_ref().unwrap().to_method(), Some("Echo"));
    assert_eq!(frame.header, Some(header));
}

#[test]
fn golden_ttheader_framed() {
    let header = TTHeader::new(1);
    let bytes = encode(Transport::TTHeaderFramed, Some(&header), &echo());
    let spec = format!(
        "00 00 00 2c  10 00 00 00  00 00 00 01  00 01  00 00 00 00  00 00 00 1a  {ECHO_CALL}"
    );
    assert_eq!(hex::lines(&bytes), hex::lines(&hex::parse(&spec)));
    check_golden(
        "ttheader_framed",
        "TTHeaderFramed, seq 1, no info, inner length 0x1a, Echo call",
        &bytes,
    );
    let frame = decode_one(Transport::TTHeaderFramed, &bytes);
    assert_eq!(frame.transport, Transport::TTHeaderFramed);
    assert_eq!(frame.header, Some(header));
    assert_eq!(&frame.payload[..], &echo()[..]);
}

#[test]
fn golden_ttheader_full_info() {
    let header = full_header();
    let bytes = encode(Transport::TTHeader, Some(&header), &echo());
    check_golden(
        "ttheader_full_info",
        "TTHeader, seq 7: ACL token, KEYVALUE and INTKEYVALUE (keys ascending), Echo call",
        &bytes,
    );
    // The fixture decodes to the model, whatever order it was written in.
    let frame = decode_one(Transport::TTHeader, &golden_bytes("ttheader_full_info"));
    assert_eq!(frame.header, Some(header.clone()));
    assert_eq!(frame.header.as_ref().unwrap().msg_type().unwrap(), Some(1));
    assert_eq!(&frame.payload[..], &echo()[..]);
}

#[test]
fn ttheader_key_and_block_order_does_not_matter() {
    // Volo's block order (KEYVALUE, INTKEYVALUE) with the ACL token last,
    // keys in descending order, padding between blocks.
    let area = area(&[
        &kv_block(&[
            ("RPC_TRANSIT_hop", "1"),
            ("RPC_PERSIST_trace", "abc"),
            ("isn", "EchoService"),
        ]),
        &[INFO_PADDING, INFO_PADDING],
        &int_block(&[
            (22, b"1"),
            (12, b"1000"),
            (9, b"Echo"),
            (6, b"EchoService"),
            (3, b"caller"),
            (1, b"framed"),
        ]),
        &acl_block("token-1"),
    ]);
    let bytes = raw_ttheader(0, 7, &area, &echo());
    assert_ne!(bytes, golden_bytes("ttheader_full_info"));
    let frame = decode_one(Transport::TTHeader, &bytes);
    assert_eq!(frame.header, Some(full_header()));
}

#[test]
fn golden_streaming_header_frame() {
    let header = streaming_header();
    let bytes = encode(Transport::TTHeader, Some(&header), &[]);
    check_golden(
        "ttheader_streaming_header",
        "TTHeader Streaming Header frame: flags 0x0002, stream 1, protocol 0x10,\nisn=Svc, FrameType 27=\"2\", ToMethod 9=\"Echo\", no payload",
        &bytes,
    );
    // The spec's bytes write key 27 before key 9.
    let spec = hex::parse(
        "00 00 00 2a  10 00 00 02  00 00 00 01  00 08
         10 00  01 00 01 00 03 69 73 6e 00 03 53 76 63
         10 00 02  00 1b 00 01 32  00 09 00 04 45 63 68 6f  00",
    );
    assert_eq!(spec.len(), bytes.len());
    for input in [&spec, &bytes] {
        let frame = decode_one(Transport::TTHeader, input);
        assert_eq!(frame.transport, Transport::TTHeader);
        assert!(frame.payload.is_empty());
        let decoded = frame.header.unwrap();
        assert!(decoded.is_streaming());
        assert_eq!(decoded.int_str(int_key::FRAME_TYPE), Some("2"));
        assert_eq!(decoded, header);
    }
    assert_eq!(detect(&spec).unwrap(), Some(Detected::TTHeaderStreaming));
}

// ---------------------------------------------------------------------------
// decoding

/// One frame of each transport, as `(decoder transport, bytes, payload)`.
fn sample_frames() -> Vec<(Transport, Vec<u8>, Vec<u8>)> {
    let payload = echo();
    let header = full_header();
    vec![
        (
            Transport::Framed,
            encode(Transport::Framed, None, &payload),
            payload.clone(),
        ),
        (
            Transport::TTHeader,
            encode(Transport::TTHeader, Some(&header), &payload),
            payload.clone(),
        ),
        (
            Transport::TTHeaderFramed,
            encode(Transport::TTHeaderFramed, Some(&header), &payload),
            payload.clone(),
        ),
        (
            Transport::TTHeader,
            encode(Transport::TTHeader, Some(&streaming_header()), &[]),
            Vec::new(),
        ),
        (
            Transport::Buffered,
            encode(Transport::Buffered, None, &payload),
            payload.clone(),
        ),
        (
            Transport::Buffered,
            encode(Transport::Buffered, None, &compact_echo()),
            compact_echo(),
        ),
    ]
}

#[test]
fn every_prefix_needs_more_bytes() {
    for (transport, bytes, payload) in sample_frames() {
        let mut decoder = FrameDecoder::new(transport);
        for cut in 0..bytes.len() {
            let mut src = BytesMut::from(&bytes[..cut]);
            let got = decoder.decode(&mut src);
            assert!(
                matches!(got, Ok(None)),
                "{transport} prefix of {cut}/{} bytes: {got:?}",
                bytes.len()
            );
            assert_eq!(&src[..], &bytes[..cut], "a prefix must not be consumed");
        }
        // Fed one byte at a time into the same buffer, on a new connection.
        let mut decoder = FrameDecoder::new(transport);
        let mut src = BytesMut::new();
        let mut frames = Vec::new();
        for b in &bytes {
            src.put_u8(*b);
            if let Some(frame) = decoder.decode(&mut src).unwrap() {
                frames.push(frame);
            }
        }
        assert_eq!(frames.len(), 1, "{transport}");
        assert_eq!(&frames[0].payload[..], &payload[..]);
        assert!(src.is_empty());
    }
}

#[test]
fn two_frames_back_to_back() {
    for (transport, bytes, payload) in sample_frames() {
        let mut src = BytesMut::new();
        src.extend_from_slice(&bytes);
        src.extend_from_slice(&bytes);
        src.extend_from_slice(&bytes[..5]);
        let mut decoder = FrameDecoder::new(transport);
        for _ in 0..2 {
            let frame = decoder.decode(&mut src).unwrap().expect("a frame");
            assert_eq!(&frame.payload[..], &payload[..], "{transport}");
        }
        assert!(decoder.decode(&mut src).unwrap().is_none());
        assert_eq!(&src[..], &bytes[..5]);
    }
}

#[test]
fn payload_is_split_off_without_copying() {
    let bytes = encode(Transport::TTHeaderFramed, Some(&full_header()), &echo());
    let mut src = BytesMut::from(&bytes[..]);
    let base = src.as_ptr() as usize;
    let frame = FrameDecoder::new(Transport::TTHeader)
        .decode(&mut src)
        .unwrap()
        .unwrap();
    let offset = frame.payload.as_ptr() as usize - base;
    assert_eq!(offset, bytes.len() - echo().len());
    let to_method = &frame.header.as_ref().unwrap().int_kvs[&int_key::TO_METHOD];
    let value_at = to_method.as_ptr() as usize;
    assert!(
        value_at > base && value_at < base + bytes.len(),
        "int values slice the frame"
    );
}

#[test]
fn oversize_length_is_rejected_before_the_body() {
    let limits = FrameLimits { max_frame_size: 64 };
    // Framed: the four length bytes are enough.
    let mut src = BytesMut::from(&[0u8, 0, 0, 65][..]);
    let err = FrameDecoder::new(Transport::Framed)
        .with_limits(limits)
        .decode(&mut src)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Limit(Limit::FrameSize));
    assert!(
        err.to_string()
            .contains("frame size 65 exceeds the limit of 64"),
        "{err}"
    );
    // TTHeader: length and magic.
    let mut src = BytesMut::from(&[0u8, 0, 0, 65, 0x10, 0x00][..]);
    let err = FrameDecoder::new(Transport::TTHeader)
        .with_limits(limits)
        .decode(&mut src)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Limit(Limit::FrameSize));
    // The default limit, with a 16 MiB + 1 length.
    let mut src = BytesMut::from(&((16u32 << 20) + 1).to_be_bytes()[..]);
    let err = FrameDecoder::new(Transport::Framed)
        .decode(&mut src)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Limit(Limit::FrameSize));
    // Exactly at the limit is fine.
    let mut bytes = vec![0, 0, 0, 64];
    bytes.extend_from_slice(&[0xaa; 64]);
    let mut src = BytesMut::from(&bytes[..]);
    let frame = FrameDecoder::new(Transport::Framed)
        .with_limits(limits)
        .decode(&mut src)
        .unwrap()
        .unwrap();
    assert_eq!(frame.payload.len(), 64);
}

#[test]
fn length_with_top_bit_is_invalid() {
    for transport in [Transport::Framed, Transport::TTHeader] {
        let err = decode_err(transport, &[0x80, 0, 0, 0x10, 0x10, 0x00, 0, 0]);
        assert_eq!(err.kind(), ErrorKind::InvalidData, "{transport}");
        assert!(err.to_string().contains("top bit"), "{err}");
    }
}

#[test]
fn bad_ttheader_magic_is_invalid() {
    let mut bytes = encode(Transport::TTHeader, None, &echo());
    bytes[4] = 0x11;
    let err = decode_err(Transport::TTHeader, &bytes[..6]);
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(
        err.to_string().contains("bad ttheader magic 0x1100"),
        "{err}"
    );
    // Apache THeader gets its own message.
    bytes[4] = 0x0f;
    bytes[5] = 0xff;
    let err = decode_err(Transport::TTHeader, &bytes);
    assert!(err.to_string().contains("apache theader"), "{err}");
    // A Framed frame is not a TTHeader frame.
    let framed = encode(Transport::Framed, None, &echo());
    let err = decode_err(Transport::TTHeader, &framed);
    assert!(
        err.to_string().contains("bad ttheader magic 0x8001"),
        "{err}"
    );
}

#[test]
fn header_size_past_the_frame_end_is_invalid() {
    let mut bytes = encode(Transport::TTHeader, Some(&TTHeader::new(1)), &echo());
    // LENGTH is 40: 10 fixed bytes + 4 * 8 = 42 runs past it.
    bytes[13] = 8;
    let err = decode_err(Transport::TTHeader, &bytes[..14]);
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(
        err.to_string()
            .contains("header area of 32 bytes runs past the end of the 40-byte frame"),
        "{err}"
    );
    bytes[13] = 0;
    let err = decode_err(Transport::TTHeader, &bytes[..14]);
    assert!(err.to_string().contains("header size is 0"), "{err}");
    // LENGTH too short for the fixed part.
    let err = decode_err(Transport::TTHeader, &[0, 0, 0, 9, 0x10, 0x00]);
    assert!(
        err.to_string().contains("shorter than the 10 fixed bytes"),
        "{err}"
    );
}

#[test]
fn padding_is_skipped_anywhere_in_the_header_area() {
    // Padding before, between and after blocks, and a whole extra word.
    let area = area(&[
        &[INFO_PADDING],
        &int_block(&[(9, b"Echo")]),
        &[INFO_PADDING, INFO_PADDING, INFO_PADDING],
        &kv_block(&[("isn", "Svc")]),
        &[0, 0, 0, 0],
    ]);
    let bytes = raw_ttheader(0, 3, &area, &echo());
    let header = decode_one(Transport::TTHeader, &bytes).header.unwrap();
    assert_eq!(header.to_method(), Some("Echo"));
    assert_eq!(header.str_value("isn"), Some("Svc"));
}

#[test]
fn encoder_pads_the_header_area_to_four_bytes() {
    for len in 0..8 {
        let mut header = TTHeader::new(1);
        header.insert_int(int_key::TO_METHOD, "x".repeat(len));
        let bytes = encode(Transport::TTHeader, Some(&header), &echo());
        // 2 (protocol, transforms) + 3 (block) + 4 (key, vlen) + len
        let unpadded = 9 + len;
        let words = usize::from(u16::from_be_bytes([bytes[12], bytes[13]]));
        assert_eq!(words, unpadded.div_ceil(4), "value of {len} bytes");
        assert!(bytes[14 + unpadded..14 + 4 * words].iter().all(|b| *b == 0));
        assert_eq!(&bytes[14 + 4 * words..], &echo()[..]);
        assert_eq!(header.encoded_len().unwrap(), 14 + 4 * words);
        assert_eq!(decode_one(Transport::TTHeader, &bytes).header, Some(header));
    }
}

#[test]
fn unknown_info_id_is_invalid() {
    let area = area(&[&int_block(&[(9, b"Echo")]), &[0x05, 0x00, 0x00]]);
    let err = decode_err(Transport::TTHeader, &raw_ttheader(0, 1, &area, &echo()));
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(
        err.to_string().contains("unknown ttheader info id 0x05"),
        "{err}"
    );
}

#[test]
fn info_block_past_the_header_area_is_invalid() {
    // A 9-byte value announced where only 4 bytes remain.
    let area = area(&[&[INFO_INTKEYVALUE, 0x00, 0x01, 0x00, 0x09, 0x00, 0x09, b'E']]);
    let err = decode_err(Transport::TTHeader, &raw_ttheader(0, 1, &area, &echo()));
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(
        err.to_string()
            .contains("INFO_INTKEYVALUE block runs past the end of the header area"),
        "{err}"
    );
    // Transform ids that do not fit.
    let err = decode_err(
        Transport::TTHeader,
        &raw_ttheader(0, 1, &[0x00, 0x07], &echo()),
    );
    assert!(err.to_string().contains("transform ids"), "{err}");
}

#[test]
fn transform_ids_are_read_and_kept() {
    let bytes = raw_ttheader(0, 1, &[0x00, 0x01, 0x01], &echo());
    let header = decode_one(Transport::TTHeader, &bytes).header.unwrap();
    assert_eq!(header.transform_ids, vec![0x01]);
    assert_eq!(encode(Transport::TTHeader, Some(&header), &echo()), bytes);
}

#[test]
fn protocol_ids() {
    for (byte, id) in [
        (0x00, ProtocolId::ThriftBinary),
        (0x02, ProtocolId::ThriftCompact),
        (0x03, ProtocolId::ThriftCompactV2),
        (0x04, ProtocolId::KitexProtobuf),
    ] {
        let bytes = raw_ttheader(0, 1, &[byte, 0x00], &echo());
        let header = decode_one(Transport::TTHeader, &bytes).header.unwrap();
        assert_eq!(header.protocol_id, id);
        assert_eq!(id.as_u8(), byte);
    }
    let err = decode_err(
        Transport::TTHeader,
        &raw_ttheader(0, 1, &[0x01, 0x00], &echo()),
    );
    assert!(
        err.to_string()
            .contains("unsupported ttheader protocol id 0x01"),
        "{err}"
    );
}

#[test]
fn msg_type_accepts_ascii_and_raw_byte() {
    let cases: [(&[u8], Option<u8>); 4] = [
        (b"2", Some(2)),    // Kitex
        (&[0x02], Some(2)), // Volo server
        (b"4", Some(4)),
        (&[0x03], Some(3)),
    ];
    for (value, expected) in cases {
        let area = area(&[&int_block(&[(int_key::MSG_TYPE, value)])]);
        let header = decode_one(Transport::TTHeader, &raw_ttheader(0, 1, &area, &echo()))
            .header
            .unwrap();
        assert_eq!(header.msg_type().unwrap(), expected, "{value:?}");
    }
    let mut header = TTHeader::new(1);
    assert_eq!(header.msg_type().unwrap(), None);
    header.insert_int(int_key::MSG_TYPE, "reply");
    let err = header.msg_type().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    // Written the Kitex way.
    header.set_msg_type(2);
    assert_eq!(&header.int_kvs[&int_key::MSG_TYPE][..], b"2");
}

#[test]
fn non_utf8_string_key_is_invalid() {
    let mut block = vec![INFO_KEYVALUE, 0, 1];
    put_str(&mut block, &[0xff, 0xfe]);
    put_str(&mut block, b"v");
    let err = decode_err(
        Transport::TTHeader,
        &raw_ttheader(0, 1, &area(&[&block]), &echo()),
    );
    assert!(
        err.to_string().contains("string key is not valid utf-8"),
        "{err}"
    );
}

#[test]
fn ttheader_decoder_tells_ttheader_from_ttheader_framed() {
    let header = TTHeader::new(9);
    let plain = encode(Transport::TTHeader, Some(&header), &echo());
    let framed = encode(Transport::TTHeaderFramed, Some(&header), &echo());
    for decoder in [Transport::TTHeader, Transport::TTHeaderFramed] {
        assert_eq!(decode_one(decoder, &plain).transport, Transport::TTHeader);
        let frame = decode_one(decoder, &framed);
        assert_eq!(frame.transport, Transport::TTHeaderFramed);
        assert_eq!(&frame.payload[..], &echo()[..]);
    }
    // Compact payloads (Volo), both forms.
    let compact = compact_echo();
    for transport in [Transport::TTHeader, Transport::TTHeaderFramed] {
        let bytes = encode(transport, Some(&header), &compact);
        let frame = decode_one(Transport::TTHeader, &bytes);
        assert_eq!(frame.transport, transport);
        assert_eq!(&frame.payload[..], &compact[..]);
    }
}

#[test]
fn ttheader_framed_kitex_protobuf() {
    // Spec §10's Kitex protobuf call behind a TTHeader: always framed.
    let message = hex::parse("90 01 00 01  00 00 00 04 45 63 68 6f  00 00 00 01  0a 02 68 69");
    let bytes = encode(Transport::TTHeaderFramed, Some(&TTHeader::new(1)), &message);
    let frame = decode_one(Transport::TTHeader, &bytes);
    assert_eq!(frame.transport, Transport::TTHeaderFramed);
    assert_eq!(
        payload_kind(&frame.payload),
        Some(PayloadKind::KitexProtobuf)
    );
}

#[test]
fn ttheader_framed_inner_length_must_match() {
    let mut bytes = encode(Transport::TTHeaderFramed, Some(&TTHeader::new(1)), &echo());
    bytes[21] = 0x19;
    let err = decode_err(Transport::TTHeader, &bytes);
    assert!(
        err.to_string()
            .contains("inner length 25 does not match the 26 bytes that follow"),
        "{err}"
    );
}

#[test]
fn unrecognised_ttheader_payload_is_invalid() {
    let bytes = encode(Transport::TTHeader, None, b"hello, world");
    let err = decode_err(Transport::TTHeader, &bytes);
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(
        err.to_string()
            .contains("unrecognised ttheader payload (first bytes: 68 65 6c 6c 6f 2c 20 77)"),
        "{err}"
    );
}

#[test]
fn streaming_payload_is_not_sniffed() {
    // A bare struct whose bytes 4..6 look like a binary message header.
    let data = hex::parse("0b 00 01 00 80 01 00 00 00 00");
    let mut header = streaming_header();
    header.insert_int(int_key::FRAME_TYPE, stream_frame_type::DATA);
    let bytes = encode(Transport::TTHeader, Some(&header), &data);
    let frame = decode_one(Transport::TTHeader, &bytes);
    assert_eq!(frame.transport, Transport::TTHeader);
    assert_eq!(&frame.payload[..], &data[..]);
}

#[test]
fn header_fields_round_trip() {
    let mut header = full_header();
    header.seq_id = -5;
    header.flags = 0x0011;
    header.protocol_id = ProtocolId::KitexProtobuf;
    let bytes = encode(Transport::TTHeader, Some(&header), &echo());
    assert_eq!(&bytes[6..12], &[0x00, 0x11, 0xff, 0xff, 0xff, 0xfb]);
    assert_eq!(decode_one(Transport::TTHeader, &bytes).header, Some(header));
}

#[test]
fn metainfo_prefixes() {
    let header = full_header();
    let persistent: Vec<_> = header
        .str_kvs_with_prefix(metainfo::PREFIX_PERSISTENT)
        .collect();
    assert_eq!(persistent, [("trace", "abc")]);
    let transient: Vec<_> = header
        .str_kvs_with_prefix(metainfo::PREFIX_TRANSIENT)
        .collect();
    assert_eq!(transient, [("hop", "1")]);
    assert_eq!(str_key::GDPR_TOKEN, "RPC_TRANSIT_gdpr-token");
}

#[test]
fn buffered_messages_of_either_protocol_back_to_back() {
    let mut src = BytesMut::new();
    src.extend_from_slice(&echo());
    src.extend_from_slice(&compact_echo());
    src.extend_from_slice(&echo());
    src.extend_from_slice(&echo()[..20]);
    let mut decoder = FrameDecoder::new(Transport::Buffered);
    for expected in [echo(), compact_echo(), echo()] {
        let frame = decoder.decode(&mut src).unwrap().expect("a message");
        assert_eq!(frame.transport, Transport::Buffered);
        assert_eq!(frame.header, None);
        assert_eq!(&frame.payload[..], &expected[..]);
    }
    assert!(decoder.decode(&mut src).unwrap().is_none());
    assert_eq!(&src[..], &echo()[..20]);
    src.extend_from_slice(&echo()[20..]);
    let frame = decoder.decode(&mut src).unwrap().expect("the last message");
    assert_eq!(&frame.payload[..], &echo()[..]);
    assert!(src.is_empty());
}

#[test]
fn buffered_oversize_message_is_rejected_before_the_body() {
    // Echo with a 65,536-byte string announced, and none of it sent.
    let head =
        hex::parse("80 01 00 01  00 00 00 04 45 63 68 6f  00 00 00 01  0b 00 01 00 01 00 00");
    let mut src = BytesMut::from(&head[..]);
    let err = FrameDecoder::new(Transport::Buffered)
        .with_limits(FrameLimits {
            max_frame_size: 1024,
        })
        .decode(&mut src)
        .unwrap_err();
    assert!(err.is_limit(), "{err}");
    // Under the default limits the same bytes just need more.
    let mut src = BytesMut::from(&head[..]);
    let got = FrameDecoder::new(Transport::Buffered).decode(&mut src);
    assert!(matches!(got, Ok(None)), "{got:?}");
    // The message limits apply too.
    let mut src = BytesMut::from(&head[..]);
    let err = FrameDecoder::new(Transport::Buffered)
        .with_message_limits(anycall_codec::Limits {
            max_string_len: 100,
            ..anycall_codec::Limits::default()
        })
        .decode(&mut src)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Limit(Limit::StringLength), "{err}");
}

#[test]
fn buffered_garbage_is_invalid() {
    for bytes in [
        &b"GET / HTTP/1.1\r\n"[..],
        &[0x00, 0x00, 0x00, 0x04, b'E', b'c', b'h', b'o', 0x01][..],
        &[0x90, 0x01, 0x00, 0x01][..],
    ] {
        let err = decode_err(Transport::Buffered, bytes);
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        assert!(
            err.to_string()
                .contains("buffered message starts with neither"),
            "{err}"
        );
    }
    // Binary with a bad message type, compact with a bad version.
    for bytes in [
        &[0x80, 0x01, 0x00, 0x09, 0, 0, 0, 0][..],
        &[0x82, 0x22, 0x01, 0x00][..],
    ] {
        let err = decode_err(Transport::Buffered, bytes);
        assert_eq!(err.kind(), ErrorKind::InvalidData, "{err}");
    }
}

// ---------------------------------------------------------------------------
// encoding

#[test]
fn message_is_written_in_place_between_begin_and_finish() {
    for transport in Transport::ALL
        .into_iter()
        .filter(|t| *t != Transport::Buffered)
    {
        let header = transport.has_ttheader().then(full_header);
        let encoder = FrameEncoder::new(transport);
        let mut dst = BytesMut::from(&b"previous"[..]);
        let mark = encoder.begin(header.as_ref(), &mut dst).unwrap();
        dst.extend_from_slice(&echo()[..10]);
        dst.extend_from_slice(&echo()[10..]);
        encoder.finish(mark, &mut dst).unwrap();
        assert_eq!(&dst[..8], b"previous");
        assert_eq!(
            &dst[8..],
            &encode(transport, header.as_ref(), &echo())[..],
            "{transport}"
        );
    }
    // Buffered writes the message alone.
    assert_eq!(encode(Transport::Buffered, None, &echo()), echo());
}

#[test]
fn empty_ttheader_is_written_when_none_is_given() {
    let bytes = encode(Transport::TTHeader, None, &echo());
    assert_eq!(
        decode_one(Transport::TTHeader, &bytes).header,
        Some(TTHeader::default())
    );
}

#[test]
fn header_on_a_transport_without_one_is_an_error() {
    for transport in [Transport::Buffered, Transport::Framed] {
        let mut dst = BytesMut::new();
        let err = FrameEncoder::new(transport)
            .begin(Some(&TTHeader::new(1)), &mut dst)
            .unwrap_err();
        assert!(err.to_string().contains("carries no ttheader"), "{err}");
        assert!(dst.is_empty());
    }
}

#[test]
fn oversize_frame_is_not_written() {
    let limits = FrameLimits { max_frame_size: 29 };
    for transport in Transport::ALL {
        let encoder = FrameEncoder::new(transport).with_limits(limits);
        let mut dst = BytesMut::from(&b"keep"[..]);
        let err = encoder.encode(None, &[0u8; 30], &mut dst).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Limit(Limit::FrameSize),
            "{transport}"
        );
        assert_eq!(&dst[..], b"keep", "{transport}");
    }
    // Framed: LENGTH 29 is exactly the limit.
    let mut dst = BytesMut::new();
    FrameEncoder::new(Transport::Framed)
        .with_limits(limits)
        .encode(None, &[0u8; 29], &mut dst)
        .unwrap();
    assert_eq!(dst.len(), 33);
}

#[test]
fn oversize_header_string_is_not_written() {
    let mut header = TTHeader::new(1);
    header.insert_str("big", "x".repeat(65_536));
    let mut dst = BytesMut::new();
    let err = FrameEncoder::new(Transport::TTHeader)
        .begin(Some(&header), &mut dst)
        .unwrap_err();
    assert!(err.to_string().contains("longer than 65535"), "{err}");
    assert!(dst.is_empty());
    // The longest value that fits is written.
    let mut header = TTHeader::new(1);
    header.insert_str("big", "x".repeat(65_535));
    let bytes = encode(Transport::TTHeader, Some(&header), &echo());
    assert_eq!(decode_one(Transport::TTHeader, &bytes).header, Some(header));
}

// ---------------------------------------------------------------------------
// detection

#[test]
fn detection_table() {
    let framed = encode(Transport::Framed, None, &echo());
    let ttheader = encode(Transport::TTHeader, Some(&TTHeader::new(1)), &echo());
    let ttheader_framed = encode(Transport::TTHeaderFramed, Some(&TTHeader::new(1)), &echo());
    let streaming = encode(Transport::TTHeader, Some(&streaming_header()), &[]);
    let compact = compact_echo();
    let mut framed_compact = vec![0, 0, 0, 13];
    framed_compact.extend_from_slice(&compact);
    let framed_protobuf =
        hex::parse("00 00 00 14  90 01 00 01  00 00 00 04 45 63 68 6f  00 00 00 01  0a 02 68 69");
    let cases: Vec<(&str, Vec<u8>, Detected, usize)> = vec![
        ("grpc", HTTP2_PREFACE.to_vec(), Detected::Grpc, 24),
        ("ttheader", ttheader, Detected::TTHeader, 8),
        ("ttheader-framed", ttheader_framed, Detected::TTHeader, 8),
        ("streaming", streaming, Detected::TTHeaderStreaming, 8),
        (
            "framed binary",
            framed,
            Detected::Framed(PayloadKind::ThriftBinary),
            6,
        ),
        (
            "framed compact",
            framed_compact,
            Detected::Framed(PayloadKind::ThriftCompact),
            6,
        ),
        (
            "framed protobuf",
            framed_protobuf,
            Detected::Framed(PayloadKind::KitexProtobuf),
            6,
        ),
        (
            "buffered binary",
            echo(),
            Detected::Buffered(PayloadKind::ThriftBinary),
            2,
        ),
        (
            "buffered compact",
            compact,
            Detected::Buffered(PayloadKind::ThriftCompact),
            2,
        ),
    ];
    for (name, bytes, expected, needed) in cases {
        for cut in 0..needed {
            assert_eq!(detect(&bytes[..cut]).unwrap(), None, "{name}: {cut} bytes");
        }
        for cut in needed..=bytes.len() {
            assert_eq!(
                detect(&bytes[..cut]).unwrap(),
                Some(expected),
                "{name}: {cut} bytes"
            );
        }
    }
    // A whole HTTP/2 connection start, SETTINGS frame included.
    let mut h2 = HTTP2_PREFACE.to_vec();
    h2.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    assert_eq!(detect(&h2).unwrap(), Some(Detected::Grpc));
}

#[test]
fn detected_transport() {
    assert_eq!(Detected::Grpc.transport(), None);
    assert_eq!(
        Detected::TTHeaderStreaming.transport(),
        Some(Transport::TTHeader)
    );
    assert_eq!(Detected::TTHeader.transport(), Some(Transport::TTHeader));
    assert_eq!(
        Detected::Framed(PayloadKind::KitexProtobuf).transport(),
        Some(Transport::Framed)
    );
    assert_eq!(
        Detected::Buffered(PayloadKind::ThriftBinary).transport(),
        Some(Transport::Buffered)
    );
}

#[test]
fn unrecognised_protocols_are_errors() {
    let cases: [(&str, &[u8], &str); 6] = [
        (
            "http/1.1",
            b"GET / HTTP/1.1\r\n",
            "47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31 0d 0a",
        ),
        ("almost h2", b"PRI * HTTP/1.1\r\n\r\n", "50 52 49 20 2a 20"),
        // Non-strict binary: name length, then the name.
        (
            "non-strict binary",
            b"\x00\x00\x00\x04Echo\x01",
            "00 00 00 04 45 63",
        ),
        (
            "unframed protobuf",
            &[0x90, 0x01, 0x00, 0x01],
            "90 01 00 01",
        ),
        ("compact version 2", &[0x82, 0x22, 0x01], "82 22 01"),
        (
            "framed garbage",
            &[0, 0, 0, 5, 0x12, 0x34],
            "00 00 00 05 12 34",
        ),
    ];
    for (name, bytes, needle) in cases {
        let err = detect(bytes).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData, "{name}");
        let message = err.to_string();
        assert!(
            message.starts_with("unrecognised protocol"),
            "{name}: {message}"
        );
        assert!(message.contains(needle), "{name}: {message}");
    }
}

// ---------------------------------------------------------------------------
// properties

mod properties {
    use super::*;
    use proptest::collection::{btree_map, vec};
    use proptest::prelude::*;

    /// A ping-pong header: no streaming flag, a protocol id whose payload
    /// is a message.
    fn header() -> impl Strategy<Value = TTHeader> {
        let protocol = prop_oneof![
            Just(ProtocolId::ThriftBinary),
            Just(ProtocolId::ThriftCompact),
            Just(ProtocolId::ThriftCompactV2),
            Just(ProtocolId::KitexProtobuf),
        ];
        (
            any::<u16>().prop_map(|f| f & !FLAG_STREAMING),
            any::<i32>(),
            protocol,
            vec(any::<u8>(), 0..3),
            btree_map(any::<u16>(), vec(any::<u8>(), 0..24), 0..6),
            btree_map("[a-zA-Z_-]{0,16}", "\\PC{0,16}", 0..6),
            proptest::option::of("\\PC{0,16}"),
        )
            .prop_map(
                |(flags, seq_id, protocol_id, transform_ids, ints, strs, acl_token)| {
                    let mut header = TTHeader::new(seq_id);
                    header.flags = flags;
                    header.protocol_id = protocol_id;
                    header.transform_ids = transform_ids;
                    for (k, v) in ints {
                        header.insert_int(k, v);
                    }
                    header.str_kvs = strs;
                    header.acl_token = acl_token;
                    header
                },
            )
    }

    /// A binary or compact message start followed by arbitrary bytes.
    fn message() -> impl Strategy<Value = Vec<u8>> {
        (
            prop_oneof![Just(vec![0x80, 0x01]), Just(vec![0x82, 0x21])],
            vec(any::<u8>(), 0..64),
        )
            .prop_map(|(mut head, tail)| {
                head.extend(tail);
                head
            })
    }

    /// A CALL with args `{1: binary value}`; names and values under 128
    /// bytes keep the compact varints to one byte.
    fn call(compact: bool, name: &str, value: &[u8], seq: u8) -> Vec<u8> {
        let mut out = Vec::new();
        if compact {
            out.extend_from_slice(&[0x82, 0x21, seq, u8::try_from(name.len()).unwrap()]);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&[0x18, u8::try_from(value.len()).unwrap()]);
        } else {
            out.extend_from_slice(&[0x80, 0x01, 0x00, 0x01]);
            out.put_u32(u32::try_from(name.len()).unwrap());
            out.extend_from_slice(name.as_bytes());
            out.put_i32(i32::from(seq));
            out.extend_from_slice(&[0x0b, 0x00, 0x01]);
            out.put_u32(u32::try_from(value.len()).unwrap());
        }
        out.extend_from_slice(value);
        out.push(0x00);
        out
    }

    /// Encodes `frames`, feeds the bytes in chunks cut at `cuts`, and
    /// returns what the decoder produced.
    fn roundtrip(
        transport: Transport,
        frames: &[(Option<TTHeader>, Vec<u8>)],
        cuts: &[usize],
    ) -> Vec<Frame> {
        let encoder = FrameEncoder::new(transport);
        let mut wire = BytesMut::new();
        for (header, payload) in frames {
            encoder.encode(header.as_ref(), payload, &mut wire).unwrap();
        }
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).collect();
        points.push(wire.len());
        points.sort_unstable();
        let mut decoder = FrameDecoder::new(transport);
        let mut src = BytesMut::new();
        let mut out = Vec::new();
        let mut fed = 0;
        for point in points {
            src.extend_from_slice(&wire[fed..point]);
            fed = point;
            while let Some(frame) = decoder.decode(&mut src).unwrap() {
                out.push(frame);
            }
        }
        assert!(src.is_empty(), "{} bytes left over", src.len());
        out
    }

    proptest! {
        #[test]
        fn ttheader_frames_round_trip(
            framed in any::<bool>(),
            frames in vec((header(), message()), 1..4),
            cuts in vec(any::<usize>(), 0..8),
        ) {
            let transport = if framed { Transport::TTHeaderFramed } else { Transport::TTHeader };
            let input: Vec<_> = frames.into_iter().map(|(h, m)| (Some(h), m)).collect();
            let output = roundtrip(transport, &input, &cuts);
            prop_assert_eq!(output.len(), input.len());
            for ((header, payload), frame) in input.iter().zip(&output) {
                prop_assert_eq!(frame.transport, transport);
                prop_assert_eq!(&frame.header, header);
                prop_assert_eq!(&frame.payload[..], &payload[..]);
            }
        }

        #[test]
        fn framed_frames_round_trip(
            payloads in vec(vec(any::<u8>(), 0..64), 1..4),
            cuts in vec(any::<usize>(), 0..8),
        ) {
            let input: Vec<_> = payloads.into_iter().map(|p| (None, p)).collect();
            let output = roundtrip(Transport::Framed, &input, &cuts);
            prop_assert_eq!(output.len(), input.len());
            for ((_, payload), frame) in input.iter().zip(&output) {
                prop_assert_eq!(&frame.payload[..], &payload[..]);
            }
        }

        #[test]
        fn buffered_messages_round_trip(
            messages in vec((any::<bool>(), "[a-zA-Z]{0,20}", vec(any::<u8>(), 0..100), 0u8..128), 1..4),
            cuts in vec(any::<usize>(), 0..8),
        ) {
            let input: Vec<_> = messages
                .into_iter()
                .map(|(compact, name, value, seq)| (None, call(compact, &name, &value, seq)))
                .collect();
            let output = roundtrip(Transport::Buffered, &input, &cuts);
            prop_assert_eq!(output.len(), input.len());
            for ((_, message), frame) in input.iter().zip(&output) {
                prop_assert_eq!(&frame.payload[..], &message[..]);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..96)) {
            let _ = detect(&bytes);
            for transport in Transport::ALL {
                let mut src = BytesMut::from(&bytes[..]);
                let _ = FrameDecoder::new(transport).decode(&mut src);
            }
        }

        #[test]
        fn ttheader_with_arbitrary_area_never_panics(
            area in vec(any::<u8>(), 0..48),
            payload in vec(any::<u8>(), 0..16),
        ) {
            let bytes = raw_ttheader(0, 1, &area, &payload);
            let mut src = BytesMut::from(&bytes[..]);
            let _ = FrameDecoder::new(Transport::TTHeader).decode(&mut src);
        }
    }
}

// ---------------------------------------------------------------------------
// edges found by mutation testing (scripts/mutants)

#[test]
fn decoders_report_their_limits() {
    let decoder = FrameDecoder::new(Transport::Buffered).with_limits(FrameLimits {
        max_frame_size: 100,
    });
    assert_eq!(decoder.limits().max_frame_size, 100);
    assert_eq!(decoder.transport(), Transport::Buffered);
    let defaults = FrameDecoder::new(Transport::Framed);
    assert_eq!(defaults.limits().max_frame_size, DEFAULT_MAX_FRAME_SIZE);
    assert_eq!(*defaults.message_limits(), anycall_codec::Limits::default());
    let limits = anycall_codec::Limits {
        max_depth: 3,
        ..anycall_codec::Limits::default()
    };
    let decoder = FrameDecoder::new(Transport::Buffered).with_message_limits(limits);
    assert_eq!(decoder.message_limits().max_depth, 3);
}

#[test]
fn two_bytes_of_garbage_are_invalid_at_once() {
    let err = decode_err(Transport::Buffered, &[0x00, 0x00]);
    assert!(
        err.to_string()
            .contains("buffered message starts with neither"),
        "{err}"
    );
    // One byte may still become a message.
    let mut one = BytesMut::from(&[0x00][..]);
    assert!(
        FrameDecoder::new(Transport::Buffered)
            .decode(&mut one)
            .unwrap()
            .is_none()
    );
}

#[test]
fn ttheader_of_exactly_the_fixed_bytes_has_no_room_for_its_header_area() {
    // LENGTH 10: magic, flags, seq id and HEADER SIZE 1, and nothing else.
    let bytes = hex::parse("00 00 00 0a  10 00  00 00  00 00 00 01  00 01");
    let err = decode_err(Transport::TTHeader, &bytes);
    assert_eq!(
        err.to_string(),
        "ttheader header area of 4 bytes runs past the end of the 10-byte frame"
    );
    let bytes = hex::parse("00 00 00 09  10 00  00 00  00 00 00 01  00");
    let err = decode_err(Transport::TTHeader, &bytes);
    assert_eq!(
        err.to_string(),
        "ttheader length 9 is shorter than the 10 fixed bytes after it"
    );
}

#[test]
fn bare_struct_protocol_ids_are_not_sniffed_even_without_the_streaming_flag() {
    // Bytes 4..6 of the struct look like a binary message header.
    let data = hex::parse("0b 00 01 00 80 01 00 00 00 00");
    for (byte, id) in [
        (0x10, ProtocolId::ThriftStruct),
        (0x11, ProtocolId::ProtobufStruct),
    ] {
        assert_eq!(ProtocolId::from_u8(byte), Some(id));
        assert_eq!(id.as_u8(), byte);
        assert!(id.is_bare_struct());
        let frame = decode_one(
            Transport::TTHeader,
            &raw_ttheader(0, 1, &[byte, 0x00], &data),
        );
        assert_eq!(frame.header.unwrap().protocol_id, id);
        assert_eq!(frame.transport, Transport::TTHeader);
        assert_eq!(&frame.payload[..], &data[..]);
    }
    for id in [
        ProtocolId::ThriftBinary,
        ProtocolId::ThriftCompact,
        ProtocolId::ThriftCompactV2,
        ProtocolId::KitexProtobuf,
    ] {
        assert!(!id.is_bare_struct(), "{id:?}");
        assert_eq!(ProtocolId::from_u8(id.as_u8()), Some(id));
    }
}

#[test]
fn ttheader_counts_are_checked_at_their_wire_widths() {
    let mut header = TTHeader::new(1);
    header.transform_ids = vec![0; 255];
    header.encoded_len().expect("255 transform ids fit a u8");
    header.transform_ids.push(0);
    let err = header.encoded_len().unwrap_err();
    assert_eq!(
        err.to_string(),
        "ttheader has 256 transform ids, more than 255"
    );

    let mut header = TTHeader::new(1);
    // 65535 pairs fit their u16 count (if not the header area).
    header.str_kvs = (0..65_535)
        .map(|i| (i.to_string(), String::new()))
        .collect();
    let err = header.encoded_len().unwrap_err();
    assert!(
        err.to_string().starts_with("ttheader header area of "),
        "{err}"
    );
    header.str_kvs.insert("x".into(), String::new());
    let err = header.encoded_len().unwrap_err();
    assert_eq!(
        err.to_string(),
        "ttheader has 65536 string pairs, more than 65535"
    );

    let mut header = TTHeader::new(1);
    header.int_kvs = (0..=u16::MAX).map(|k| (k, bytes::Bytes::new())).collect();
    let err = header.encoded_len().unwrap_err();
    assert_eq!(
        err.to_string(),
        "ttheader has 65536 int pairs, more than 65535"
    );
}

#[test]
fn the_header_area_may_fill_but_not_pass_its_u16_word_count() {
    use anycall_codec::frame::ttheader::{MAX_HEADER_AREA_SIZE, TTHEADER_FIXED_SIZE};
    // Protocol id and transform count (2), KEYVALUE id and count (3), and
    // four pairs of a 1-byte key and a value, each string with a u16 length.
    let header_with = |values: usize| {
        let mut header = TTHeader::new(1);
        let sizes = [65_535, 65_535, 65_535, values - 3 * 65_535];
        for (key, size) in ["a", "b", "c", "d"].into_iter().zip(sizes) {
            header.str_kvs.insert(key.into(), "v".repeat(size));
        }
        header
    };
    let full = MAX_HEADER_AREA_SIZE - 2 - 3 - 4 * (2 + 1 + 2);
    assert_eq!(
        header_with(full).encoded_len().unwrap(),
        TTHEADER_FIXED_SIZE + MAX_HEADER_AREA_SIZE
    );
    let err = header_with(full + 1).encoded_len().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("ttheader header area of 262144 bytes exceeds {MAX_HEADER_AREA_SIZE}")
    );
}

#[test]
fn ttheader_debug_shows_fields_and_text_values() {
    let mut header = TTHeader::new(7);
    header.insert_int(int_key::TO_METHOD, "Echo");
    header.insert_int_bytes(int_key::LOG_ID, bytes::Bytes::from_static(b"\xff"));
    let text = format!("{header:?}");
    assert!(
        text.starts_with("TTHeader { flags: 0x0000, seq_id: 7"),
        "{text}"
    );
    assert!(text.contains(r#"9: "Echo""#), "{text}");
    assert!(text.contains(r#"2: b"\xff""#), "{text}");
}
