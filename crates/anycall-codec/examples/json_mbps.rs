//! MB/s of anycall's JSON ⇄ Thrift Binary transcoders on the codec
//! benchmark fixtures (`testdata/codec/bench/fixtures/*.json`, struct
//! `Request` of `bench.thrift`), measured the way the dynamicgo and
//! generated-code anchors of `bench/codec` measure themselves: batches of
//! calls doubling until one lasts the given time, on one thread.
//!
//! Prints one JSON line per fixture: MB/s (10^6 bytes per second) of JSON
//! read for J→T (`encode_struct_json`) and of Thrift read for T→J
//! (`decode_struct_json`, compact).
//!
//! `cargo run --release -p anycall-codec --example json_mbps -- [fixtures dir] [seconds] [names]`

use std::time::{Duration, Instant};

use anycall_codec::call::{decode_struct_json, encode_struct_json};
use anycall_codec::thrift::Protocol;
use anycall_codec::{Limits, Options};
use bytes::BytesMut;

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
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/codec/bench");
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| format!("{root}/fixtures"));
    let secs: f64 = args.next().map_or(2.0, |s| s.parse().expect("seconds"));
    let names = args.next().unwrap_or_else(|| "100b,1k,6k,150k".to_owned());
    let d = Duration::from_secs_f64(secs);
    let pool = anycall_idl::Loader::new()
        .load(format!("{root}/bench.thrift"))
        .expect("bench.thrift loads");
    let desc = pool.find_struct("Request").expect("Request");
    let opts = Options::default();
    let limits = Limits::default();
    for name in names.split(',').filter(|n| !n.is_empty()) {
        let json = std::fs::read(format!("{dir}/{name}.json")).expect("fixture");
        let mut thrift = BytesMut::new();
        encode_struct_json(desc, &json, Protocol::Binary, &opts, &mut thrift).expect("encodes");
        let mut out = BytesMut::with_capacity(thrift.len() * 2);
        let j2t = measure(d, || {
            out.clear();
            encode_struct_json(
                desc,
                std::hint::black_box(&json),
                Protocol::Binary,
                &opts,
                &mut out,
            )
            .expect("encodes");
        });
        let t2j = measure(d, || {
            let (text, _) = decode_struct_json(
                desc,
                std::hint::black_box(&thrift),
                Protocol::Binary,
                &opts,
                &limits,
                false,
            )
            .expect("renders");
            std::hint::black_box(text);
        });
        let mbps = |bytes: usize, t: Duration| bytes as f64 / t.as_secs_f64() / 1e6;
        println!(
            "{{\"fixture\":\"{name}\",\"json_bytes\":{},\"thrift_bytes\":{},\
             \"j2t_mbps\":{:.1},\"t2j_mbps\":{:.1}}}",
            json.len(),
            thrift.len(),
            mbps(json.len(), j2t),
            mbps(thrift.len(), t2j),
        );
    }
}
