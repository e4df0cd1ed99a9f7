//! Generated-code anchors for anycall's JSON ⇄ Thrift transcoders, on the
//! codec benchmark fixtures (`testdata/codec/bench/fixtures/*.json`):
//!
//! * serde: JSON → `serde_json::from_slice` into pilota-build's structs →
//!   pilota's Thrift Binary encoder; and Thrift → pilota's decoder →
//!   `serde_json::to_writer`;
//! * sonic: the same with `sonic_rs::from_slice` / `sonic_rs::to_writer`.
//!
//! pilota's safe `TBinaryProtocol` is used (Volo may pick its unsafe
//! variant when the buffer allows). Prints one JSON line per fixture with
//! MB/s (10^6 bytes per second) of JSON read for J→T and of Thrift read for
//! T→J, on one thread.
//!
//! `codegen-anchor <fixtures dir> [seconds per measure] [names,...]`

// No `forbid(unsafe_code)` here: pilota-build's generated decoders use
// `unsafe` blocks themselves.

use std::time::{Duration, Instant};

use pilota::thrift::Message as _;
use pilota::thrift::binary::TBinaryProtocol;
use pilota::{Bytes, BytesMut};

mod gen_code {
    #![allow(warnings, clippy::all, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/bench_gen.rs"));
}

use gen_code::bench_gen::bench::Request;

/// Base64 (standard, padded) for the binary field (an `Option`, as pilota
/// generates default-requiredness fields), as the IDL's serde attribute asks.
pub mod b64 {
    use base64::Engine as _;
    use pilota::Bytes;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the bytes as base64 text, or null.
    pub fn serialize<S: Serializer>(b: &Option<Bytes>, s: S) -> Result<S::Ok, S::Error> {
        match b {
            Some(b) => s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b)),
            None => s.serialize_none(),
        }
    }

    /// Reads base64 text.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Bytes>, D::Error> {
        let s = <Option<std::borrow::Cow<'de, str>>>::deserialize(d)?;
        s.map(|s| {
            base64::engine::general_purpose::STANDARD
                .decode(s.as_bytes())
                .map(Bytes::from)
                .map_err(serde::de::Error::custom)
        })
        .transpose()
    }
}

fn encode(r: &Request, out: &mut BytesMut) {
    out.clear();
    r.encode(&mut TBinaryProtocol::new(out, true))
        .expect("pilota encodes");
}

fn decode(b: &Bytes) -> Request {
    let mut b = b.clone();
    Request::decode(&mut TBinaryProtocol::new(&mut b, true)).expect("pilota decodes")
}

/// Time per call of `op`, over batches doubling until one lasts `d`.
fn measure(d: Duration, mut op: impl FnMut()) -> Duration {
    let mut n: u32 = 1;
    loop {
        let start = Instant::now();
        for _ in 0..n {
            op();
        }
        let el = start.elapsed();
        if el >= d {
            return el / n;
        }
        n *= 2;
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .unwrap_or_else(|| "testdata/codec/bench/fixtures".to_owned());
    let secs: f64 = args.next().map_or(2.0, |s| s.parse().expect("seconds"));
    let names = args.next().unwrap_or_else(|| "100b,1k,6k,150k".to_owned());
    let d = Duration::from_secs_f64(secs);
    for name in names.split(',').filter(|n| !n.is_empty()) {
        let json = std::fs::read(format!("{dir}/{name}.json")).expect("fixture");
        let req: Request = serde_json::from_slice(&json).expect("serde reads the fixture");
        let sreq: Request = sonic_rs::from_slice(&json).expect("sonic reads the fixture");
        let mut out = BytesMut::with_capacity(json.len() * 2);
        encode(&req, &mut out);
        let thrift = out.clone().freeze();
        encode(&sreq, &mut out);
        assert_eq!(out.len(), thrift.len(), "serde and sonic read the same value");
        let mut text: Vec<u8> = Vec::with_capacity(json.len() * 2);

        let serde_j2t = measure(d, || {
            let r: Request = serde_json::from_slice(std::hint::black_box(&json)).expect("json");
            encode(&r, &mut out);
        });
        let serde_t2j = measure(d, || {
            let r = decode(std::hint::black_box(&thrift));
            text.clear();
            serde_json::to_writer(&mut text, &r).expect("writes");
        });
        let sonic_j2t = measure(d, || {
            let r: Request = sonic_rs::from_slice(std::hint::black_box(&json)).expect("json");
            encode(&r, &mut out);
        });
        let sonic_t2j = measure(d, || {
            let r = decode(std::hint::black_box(&thrift));
            text.clear();
            sonic_rs::to_writer(&mut text, &r).expect("writes");
        });
        let mbps = |bytes: usize, t: Duration| bytes as f64 / t.as_secs_f64() / 1e6;
        println!(
            "{{\"fixture\":\"{name}\",\"json_bytes\":{},\"thrift_bytes\":{},\
             \"serde_j2t_mbps\":{:.1},\"serde_t2j_mbps\":{:.1},\
             \"sonic_j2t_mbps\":{:.1},\"sonic_t2j_mbps\":{:.1}}}",
            json.len(),
            thrift.len(),
            mbps(json.len(), serde_j2t),
            mbps(thrift.len(), serde_t2j),
            mbps(json.len(), sonic_j2t),
            mbps(thrift.len(), sonic_t2j),
        );
    }
}
