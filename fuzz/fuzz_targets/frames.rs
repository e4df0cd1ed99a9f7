//! Frame decoders over arbitrary bytes: the first byte picks the decoder
//! (one of the five ping-pong transports, transport detection, or TTHeader
//! Streaming) and where the input is split into two reads.
//!
//! Checks: no panic; a decoder never reports a frame larger than its limit;
//! a frame that decodes re-encodes into bytes that decode to the same frame.

#![no_main]

use anycall_codec::frame::{
    FrameDecoder, FrameEncoder, FrameLimits, StreamDecoder, StreamEncoder, Transport, detect,
};
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;

/// Small, so that the limit checks are reached too.
const LIMITS: FrameLimits = FrameLimits {
    max_frame_size: 4096,
};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let split = usize::from(selector >> 3).min(rest.len());
    match selector & 7 {
        t @ 0..=4 => ping_pong(Transport::ALL[usize::from(t)], rest, split),
        5 => {
            if let Ok(Some(found)) = detect(rest) {
                if let Some(transport) = found.transport() {
                    ping_pong(transport, rest, split);
                }
            }
        }
        _ => streaming(rest, split),
    }
});

fn ping_pong(transport: Transport, bytes: &[u8], split: usize) {
    let mut decoder = FrameDecoder::new(transport).with_limits(LIMITS);
    let mut buf = BytesMut::from(&bytes[..split]);
    let mut frames = Vec::new();
    for more in [&bytes[split..], &[][..]] {
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => {
                    assert!(frame.payload.len() <= LIMITS.max_frame_size);
                    frames.push(frame);
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
        buf.extend_from_slice(more);
    }
    for frame in frames {
        // THeader frames may have been inflated; their re-encoding is not
        // compressed, so only the TTHeader and plain forms are compared.
        if frame.transport == Transport::THeader {
            continue;
        }
        let encoder = FrameEncoder::new(frame.transport).with_limits(LIMITS);
        let mut out = BytesMut::new();
        if encoder
            .encode(frame.header.as_ref(), &frame.payload, &mut out)
            .is_err()
        {
            continue;
        }
        let mut again = FrameDecoder::new(transport).with_limits(LIMITS);
        let decoded = again
            .decode(&mut out)
            .expect("a re-encoded frame decodes")
            .expect("a re-encoded frame is whole");
        assert_eq!(decoded.payload, frame.payload);
        assert_eq!(decoded.header, frame.header);
        assert!(out.is_empty(), "nothing after a re-encoded frame");
    }
}

fn streaming(bytes: &[u8], split: usize) {
    let mut decoder = StreamDecoder::new().with_limits(LIMITS);
    let mut buf = BytesMut::from(&bytes[..split]);
    let mut frames = Vec::new();
    for more in [&bytes[split..], &[][..]] {
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => break,
                Err(_) => return,
            }
        }
        buf.extend_from_slice(more);
    }
    let encoder = StreamEncoder::new().with_limits(LIMITS);
    for frame in frames {
        let mut out = BytesMut::new();
        if encoder.encode(&frame, &mut out).is_err() {
            continue;
        }
        let decoded = StreamDecoder::new()
            .with_limits(LIMITS)
            .decode(&mut out)
            .expect("a re-encoded stream frame decodes")
            .expect("a re-encoded stream frame is whole");
        assert_eq!(decoded, frame);
    }
}
