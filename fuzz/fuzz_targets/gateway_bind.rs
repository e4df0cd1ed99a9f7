//! Arbitrary HTTP requests → `Gateway::prepare` (routing, request binding,
//! encoding) over the gateway test IDL. Nothing may panic; a request that
//! binds encodes a CALL message that decodes under the IDL.
#![no_main]

use std::sync::OnceLock;

use anycall_gateway::{Backend, Gateway};

static IDL: &str = include_str!("../../testdata/gateway/all.thrift");

fn pool() -> &'static anycall_idl::Pool {
    static POOL: OnceLock<anycall_idl::Pool> = OnceLock::new();
    POOL.get_or_init(|| anycall_idl::Pool::from_source("all.thrift", IDL).expect("test idl"))
}

fn gateway() -> &'static Gateway {
    static GW: OnceLock<Gateway> = OnceLock::new();
    GW.get_or_init(|| {
        let pool = pool().clone();
        // No connection is made: prepare never calls the upstream.
        let client = anycall_rpc::Client::builder("127.0.0.1:1").build().expect("client");
        Gateway::builder()
            .backend(Backend::new(pool, client))
            .build()
            .expect("gateway")
    })
}

const METHODS: [&str; 6] = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];
const TYPES: [&str; 4] = [
    "application/json",
    "application/x-www-form-urlencoded",
    "text/plain",
    "application/json; charset=utf-8",
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Layout: [method, content type] uri \n header-line* \n\n body
    let [m, t, rest @ ..] = data else { return };
    let text = String::from_utf8_lossy(rest);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let uri = lines.next().unwrap_or("/");
    let mut b = http::Request::builder()
        .method(METHODS[usize::from(*m) % METHODS.len()])
        .uri(uri)
        .header("content-type", TYPES[usize::from(*t) % TYPES.len()]);
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            b = b.header(k.trim(), v.trim());
        }
    }
    let Ok(req) = b.body(bytes::Bytes::from(body.to_owned())) else {
        return;
    };
    if let Ok(call) = gateway().prepare(&req) {
        let msg = call.message();
        let (svc, method) = call.method().split_once('.').expect("Service.Method");
        let m = pool().service(svc).and_then(|s| s.method(method)).expect("routed method");
        let protocol = anycall_codec::thrift::Protocol::Binary;
        let limits = anycall_codec::Limits::default();
        let env = anycall_codec::call::read_envelope(msg, protocol, &limits).expect("an envelope");
        anycall_codec::call::decode_args_json(
            m,
            &msg[env.body..],
            protocol,
            &anycall_codec::Options::default(),
            &limits,
            false,
        )
        .expect("a bound request decodes");
    }
});
