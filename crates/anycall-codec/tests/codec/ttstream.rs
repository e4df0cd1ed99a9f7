//! TTHeader Streaming frames: bytes captured from Kitex (spec fixtures in
//! `testdata/frame/ttstream/spec_kitex_*.hex`, never rewritten), our own
//! encoding (golden), and bad input.

use std::path::PathBuf;

use anycall_codec::call::decode_struct_json;
use anycall_codec::frame::ttstream::{default_rst_exception, exception_type};
use anycall_codec::frame::{FrameLimits, FrameType, StreamDecoder, StreamFrame};
use anycall_codec::thrift::{Protocol, TApplicationException, TApplicationExceptionType};
use anycall_codec::{ErrorKind, Limit, Limits, Options};
use anycall_idl::Pool;
use anycall_test_support::golden;
use bytes::{Bytes, BytesMut};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/frame/ttstream")
        .join(format!("{name}.hex"))
}

fn frames_of(name: &str) -> Vec<StreamFrame> {
    let mut buf = BytesMut::from(&golden::load_hex(&fixture(name))[..]);
    let mut dec = StreamDecoder::new();
    let mut out = Vec::new();
    while let Some(f) = dec.decode(&mut buf).expect("kitex frame decodes") {
        out.push(f);
    }
    assert!(buf.is_empty(), "{name}: {} bytes left over", buf.len());
    out
}

fn pool() -> Pool {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/interop/streaming.thrift");
    Pool::from_file(path.to_str().unwrap(), Vec::<String>::new()).unwrap()
}

fn json_of(pool: &Pool, ty: &str, payload: &[u8]) -> serde_json::Value {
    let desc = pool.find_struct(ty).unwrap();
    let (text, used) = decode_struct_json(
        desc,
        payload,
        Protocol::Binary,
        &Options::default(),
        &Limits::default(),
        false,
    )
    .unwrap();
    assert_eq!(used, payload.len(), "the struct is the whole payload");
    serde_json::from_str(&text).unwrap()
}

fn kinds(frames: &[StreamFrame]) -> Vec<(FrameType, i32, &str)> {
    frames
        .iter()
        .map(|f| (f.frame_type, f.stream_id, f.method.as_str()))
        .collect()
}

#[test]
fn kitex_client_bidi_frames() {
    let frames = frames_of("spec_kitex_client_bidi");
    use FrameType::*;
    assert_eq!(
        kinds(&frames),
        [
            (Header, 1, "Echo"),
            (Data, 1, "Echo"),
            (Data, 1, "Echo"),
            (Data, 1, "Echo"),
            (Trailer, 1, "Echo")
        ]
    );
    assert_eq!(frames[0].service(), Some("StreamService"));
    assert!(frames[0].payload.is_empty() && frames[4].payload.is_empty());
    let pool = pool();
    let got: Vec<_> = frames[1..4]
        .iter()
        .map(|f| json_of(&pool, "StreamReq", &f.payload))
        .collect();
    assert_eq!(
        serde_json::Value::Array(got),
        serde_json::json!([
            {"msg": "a", "num": 1, "items": [1, 2]},
            {"msg": "b", "num": -2, "items": []},
            {"msg": "", "num": 1_099_511_627_776_i64, "items": [-7]},
        ])
    );
}

#[test]
fn kitex_server_bidi_frames() {
    let frames = frames_of("spec_kitex_server_bidi");
    let types: Vec<_> = frames.iter().map(|f| f.frame_type).collect();
    use FrameType::*;
    assert_eq!(types, [Header, Data, Data, Data, Trailer]);
    let pool = pool();
    let seqs: Vec<_> = frames[1..4]
        .iter()
        .map(|f| json_of(&pool, "StreamResp", &f.payload)["seq"].clone())
        .collect();
    assert_eq!(seqs, [0, 1, 2]);
    assert_eq!(frames[4].exception().unwrap(), None, "success trailer");
}

#[test]
fn kitex_server_error_trailer() {
    let frames = frames_of("spec_kitex_server_fail");
    let last = frames.last().unwrap();
    assert_eq!(last.frame_type, FrameType::Trailer);
    let ex = last.exception().unwrap().expect("an exception payload");
    assert!(ex.message().contains("requested stream failure"), "{ex}");
    // A handler's error goes out as INTERNAL_ERROR (6), "biz error: " prefixed.
    assert_eq!(ex.kind(), TApplicationExceptionType::INTERNAL_ERROR, "{ex}");
    assert_eq!(ex.message(), "biz error: requested stream failure");
}

#[test]
fn kitex_client_cancel_sends_rst() {
    let frames = frames_of("spec_kitex_client_cancel");
    let types: Vec<_> = frames.iter().map(|f| f.frame_type).collect();
    use FrameType::*;
    // Kitex also sends a Trailer after its Rst.
    assert_eq!(types, [Header, Data, Rst, Trailer]);
    let rst = &frames[2];
    assert_eq!(rst.method, "Echo");
    // ttscp holds the caller's service name; this client had none.
    assert!(rst.str_kvs.is_empty(), "{:?}", rst.str_kvs);
    let ex = rst.exception().unwrap().expect("rst carries the cause");
    assert_eq!(ex.kind(), exception_type::BIZ_CANCEL);
}

#[test]
fn kitex_client_sum_frames() {
    let frames = frames_of("spec_kitex_client_sum");
    use FrameType::*;
    assert_eq!(
        kinds(&frames),
        [(Header, 1, "Sum"), (Data, 1, "Sum"), (Trailer, 1, "Sum")]
    );
}

/// Our encoding of Kitex's frames decodes to the same frames.
#[test]
fn reencoded_kitex_frames_round_trip() {
    for name in [
        "spec_kitex_client_bidi",
        "spec_kitex_server_bidi",
        "spec_kitex_server_fail",
        "spec_kitex_client_cancel",
    ] {
        let frames = frames_of(name);
        let mut buf = BytesMut::new();
        for f in &frames {
            f.encode(&mut buf).unwrap();
        }
        let mut dec = StreamDecoder::new();
        for f in &frames {
            assert_eq!(dec.decode(&mut buf).unwrap().as_ref(), Some(f), "{name}");
        }
        assert!(buf.is_empty());
    }
}

#[test]
fn golden_frames() {
    let mut buf = BytesMut::new();
    StreamFrame::new(FrameType::Header, 1, "Echo")
        .with_str("isn", "StreamService")
        .encode(&mut buf)
        .unwrap();
    // StreamReq {1: "a"}
    let data = Bytes::from_static(&[0x0b, 0x00, 0x01, 0, 0, 0, 1, b'a', 0x00]);
    StreamFrame::data(1, "Echo", data).encode(&mut buf).unwrap();
    StreamFrame::new(FrameType::Trailer, 1, "Echo")
        .encode(&mut buf)
        .unwrap();
    StreamFrame::new(FrameType::Rst, 1, "Echo")
        .with_str("ttscp", "anycall")
        .with_exception(&TApplicationException::new(
            exception_type::BIZ_CANCEL,
            "cancelled",
        ))
        .encode(&mut buf)
        .unwrap();
    golden::hex(
        &fixture("anycall_frames"),
        "anycall's encoding: Header (isn), Data StreamReq{msg:\"a\"}, Trailer, Rst (ttscp, 12007)\n\
         stream 1, method Echo; keys sorted ascending",
        &buf,
    );
}

#[test]
fn bad_frames_are_named() {
    // A ping-pong TTHeader (no streaming flag).
    let mut h = anycall_codec::frame::TTHeader::new(1);
    h.insert_int(27, "3");
    let mut buf = BytesMut::new();
    anycall_codec::frame::FrameEncoder::new(anycall_codec::frame::Transport::TTHeader)
        .encode(Some(&h), &[], &mut buf)
        .unwrap();
    let err = StreamDecoder::new().decode(&mut buf).unwrap_err();
    assert!(
        err.to_string().contains("lacks the streaming flag"),
        "{err}"
    );

    // Unknown frame type.
    let mut f = StreamFrame::new(FrameType::Data, 3, "Echo").to_ttheader();
    f.insert_int(27, "9");
    let mut buf = BytesMut::new();
    anycall_codec::frame::FrameEncoder::new(anycall_codec::frame::Transport::TTHeader)
        .encode(Some(&f), &[], &mut buf)
        .unwrap();
    let err = StreamDecoder::new().decode(&mut buf).unwrap_err();
    assert!(
        err.to_string().contains("unknown frame type \"9\""),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::InvalidData);

    // Missing frame type.
    let mut f = StreamFrame::new(FrameType::Data, 3, "Echo").to_ttheader();
    f.int_kvs.remove(&27);
    let mut buf = BytesMut::new();
    anycall_codec::frame::FrameEncoder::new(anycall_codec::frame::Transport::TTHeader)
        .encode(Some(&f), &[], &mut buf)
        .unwrap();
    let err = StreamDecoder::new().decode(&mut buf).unwrap_err();
    assert!(
        err.to_string().contains("no frame type (int key 27)"),
        "{err}"
    );

    // A Data payload is no exception.
    let data = StreamFrame::data(1, "Echo", Bytes::from_static(&[0x00]));
    assert!(data.exception().is_err());
    assert_eq!(
        default_rst_exception().kind(),
        TApplicationExceptionType(13)
    );
}

#[test]
fn partial_frames_wait_and_big_ones_are_refused() {
    let mut whole = BytesMut::new();
    StreamFrame::data(5, "Echo", Bytes::from(vec![0u8; 100]))
        .encode(&mut whole)
        .unwrap();
    let mut dec = StreamDecoder::new();
    let mut part = BytesMut::from(&whole[..whole.len() - 1]);
    assert_eq!(dec.decode(&mut part).unwrap(), None);
    part.extend_from_slice(&whole[whole.len() - 1..]);
    assert_eq!(dec.decode(&mut part).unwrap().unwrap().payload.len(), 100);

    let mut dec = StreamDecoder::new().with_limits(FrameLimits { max_frame_size: 64 });
    let err = dec.decode(&mut whole.clone()).unwrap_err();
    assert!(err.is_limit(), "{err}");
    assert_eq!(err.kind(), ErrorKind::Limit(Limit::FrameSize), "{err}");
}
