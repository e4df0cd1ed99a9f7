//! The interop matrix against Kitex itself (Go): the Kitex peer of
//! `interop/kitex-peer`, built by `scripts/interop-setup` — Kitex's
//! generated client and server, its binary, map, JSON (dynamicgo) and HTTP
//! generic clients and its binary, map and JSON generic servers.
//!
//! Every cell runs the whole interop script (`testdata/interop/script.json`)
//! and compares exact values; the TTHeader cells add metainfo, business
//! status errors and a second service routed by `isn`. What a Kitex generic
//! side cannot express is named per cell below and in README's matrix.

use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use anycall_codec::{Limits, Options, call};
use anycall_idl::Pool;
use anycall_rpc::{Client, Mode, Protocol, Proxy, Request, Transport};
use serde_json::{Value as Json, json};

use crate::common::{ClientMode, echo_pool, keyed, repo_root, script};
use crate::interop::{anycall_client_cells, anycall_server, script_client};
use crate::peers::{
    PeerServer, SETUP_HINT, cases_of, kitex_peer, run_peer_client, script_cases, start_peer,
};

/// The transports a Kitex client and server both speak, by the peer's
/// flag names.
const KITEX_TRANSPORTS: [(Transport, &str); 4] = [
    (Transport::TTHeader, "ttheader"),
    (Transport::TTHeaderFramed, "ttheader-framed"),
    (Transport::Framed, "framed"),
    (Transport::Buffered, "buffered"),
];

/// `testdata/interop/multi.thrift`: `MirrorService` beside `EchoService`.
fn multi_pool() -> Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let dir = repo_root().join("testdata/interop");
        Pool::from_file(
            dir.join("multi.thrift").to_str().expect("utf-8 path"),
            [dir],
        )
        .expect("multi.thrift loads")
    })
    .clone()
}

async fn kitex_server(subcommand: &str, args: &[&str]) -> PeerServer {
    start_peer(kitex_peer(), subcommand, args).await
}

/// Runs `kitex-peer SUBCOMMAND ...` to its end: exit 0, every line `ok`,
/// one line per case of the script, in order, then one per `extra` case.
/// Returns the lines.
async fn kitex_client(subcommand: &str, args: &[&str], extra: &[&str], cell: &str) -> Vec<Json> {
    let lines = run_peer_client(kitex_peer(), subcommand, args, cell).await;
    let mut want = script_cases();
    want.extend(extra.iter().map(|c| (*c).to_owned()));
    assert_eq!(cases_of(&lines), want, "{cell}: the client's cases");
    lines
}

fn case<'a>(lines: &'a [Json], name: &str) -> &'a Json {
    lines
        .iter()
        .find(|l| l["case"] == name)
        .unwrap_or_else(|| panic!("no `{name}` line in {lines:?}"))
}

/// The cases a client printed as skipped, sorted.
fn skipped(lines: &[Json]) -> Vec<String> {
    let mut out: Vec<String> = lines
        .iter()
        .filter(|l| l.get("skipped").is_some())
        .map(|l| l["case"].as_str().unwrap_or_default().to_owned())
        .collect();
    out.sort();
    out
}

fn anycall_client(addr: &str, transport: Transport) -> Client {
    script_client(addr, transport, Protocol::Binary)
}

// ---- anycall client -> Kitex codegen server ----

/// The script in every client mode, then (TTHeader only) metainfo, a
/// business status error and the second service by `isn`.
async fn to_kitex_server(transport: Transport) {
    let server = kitex_server("server", &[]).await;
    anycall_client_cells(&server.addr, transport, Protocol::Binary, "kitex").await;

    let client = anycall_client(&server.addr, transport);
    let biz = client
        .call_json("Echo", br#"{"req": {"message": "m", "action": "biz"}}"#)
        .await;
    let mirror = Client::builder(&server.addr)
        .transport(transport)
        .idl(multi_pool())
        .service("MirrorService")
        .options(keyed())
        .build()
        .unwrap();
    let mirrored = mirror.call_json("Check", br#"{"s": "x"}"#).await;
    // Kitex's rule when no service is named: the last one of the main file
    // (multi.thrift declares MirrorService; EchoService is included).
    let by_default = Client::builder(&server.addr)
        .transport(transport)
        .idl(multi_pool())
        .options(keyed())
        .build()
        .unwrap()
        .call_json("Add", br#"{"a": 6, "b": 7}"#)
        .await;
    if !transport.has_ttheader() {
        // No header: no biz status; Kitex routes a method two services
        // share by its own rule without `isn`.
        return;
    }
    let err = biz.expect_err("a business status error");
    let status = err.biz_status().unwrap_or_else(|| panic!("{err:#}"));
    assert_eq!(
        (status.code, status.message.as_str()),
        (10001, "requested biz error")
    );
    assert_eq!(
        status.extra.get("reason").map(String::as_str),
        Some("asked")
    );
    assert_eq!(
        mirrored.unwrap(),
        anycall_rpc::Reply::Success(r#""mirror: x""#.to_owned()),
        "isn routes to MirrorService"
    );
    assert_eq!(
        by_default.unwrap(),
        anycall_rpc::Reply::Success("42".to_owned()),
        "the last service of the main file is the default, as in Kitex"
    );
    let response = client
        .call(
            Request::json("Ping", "{}")
                .transient("interop-t", "tv")
                .persistent("interop-p", "pv"),
        )
        .await
        .unwrap();
    assert_eq!(
        response
            .backward
            .get("seen-transient-interop-t")
            .map(String::as_str),
        Some("tv"),
        "{:?}",
        response.backward
    );
    assert_eq!(
        response
            .backward
            .get("seen-persistent-interop-p")
            .map(String::as_str),
        Some("pv"),
        "{:?}",
        response.backward
    );
}

#[tokio::test]
async fn anycall_client_to_kitex_server_ttheader() {
    to_kitex_server(Transport::TTHeader).await;
}

#[tokio::test]
async fn anycall_client_to_kitex_server_ttheader_framed() {
    to_kitex_server(Transport::TTHeaderFramed).await;
}

#[tokio::test]
async fn anycall_client_to_kitex_server_framed() {
    to_kitex_server(Transport::Framed).await;
}

#[tokio::test]
async fn anycall_client_to_kitex_server_buffered() {
    to_kitex_server(Transport::Buffered).await;
}

// ---- Kitex codegen client -> anycall server ----

async fn from_kitex_client(flag: &str) {
    let ttheader = flag.starts_with("ttheader");
    for mode in [Mode::Json, Mode::Value, Mode::Binary] {
        let server = anycall_server(mode).await;
        let addr = server.local_addr().to_string();
        let cell = format!("kitex client {flag} -> anycall {mode:?} server");
        let mut args = vec!["--addr", addr.as_str(), "--transport", flag];
        let mut extra: &[&str] = &[];
        if ttheader {
            args.extend(["--metainfo", "--biz"]);
            extra = &["metainfo", "biz"];
        }
        let lines = kitex_client("client", &args, extra, &cell).await;
        if ttheader {
            let backward = &case(&lines, "metainfo")["backward"];
            assert_eq!(
                backward["seen-transient-interop-t"], "tv",
                "{cell}: {backward}"
            );
            assert_eq!(
                backward["seen-persistent-interop-p"], "pv",
                "{cell}: {backward}"
            );
        }
        assert_eq!(server.stats().bad_frames, 0, "{cell}");
    }
}

#[tokio::test]
async fn kitex_client_to_anycall_server_ttheader() {
    from_kitex_client("ttheader").await;
}

#[tokio::test]
async fn kitex_client_to_anycall_server_ttheader_framed() {
    from_kitex_client("ttheader-framed").await;
}

#[tokio::test]
async fn kitex_client_to_anycall_server_framed() {
    from_kitex_client("framed").await;
}

#[tokio::test]
async fn kitex_client_to_anycall_server_buffered() {
    from_kitex_client("buffered").await;
}

// ---- Kitex client -> anycall proxy -> Kitex server ----

/// Binary forwarding between two Kitex ends: Kitex's client checks the seq
/// id and method of every reply itself; transient metainfo stops at the
/// proxy (one hop), persistent goes on, backward values and the business
/// status error come back.
#[tokio::test]
async fn kitex_client_through_anycall_proxy_to_kitex_server() {
    let upstream = kitex_server("server", &[]).await;
    for (transport, flag) in KITEX_TRANSPORTS {
        let proxy = Proxy::builder(upstream.addr.clone())
            .upstream_transport(Transport::TTHeader)
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        let addr = proxy.local_addr().to_string();
        let cell = format!("kitex client {flag} -> anycall proxy -> kitex server");
        let mut args = vec!["--addr", addr.as_str(), "--transport", flag];
        let mut extra: &[&str] = &[];
        if transport.has_ttheader() {
            args.extend(["--metainfo", "--biz"]);
            extra = &["metainfo", "biz"];
        }
        let lines = kitex_client("client", &args, extra, &cell).await;
        if transport.has_ttheader() {
            let backward = &case(&lines, "metainfo")["backward"];
            assert_eq!(
                backward["seen-persistent-interop-p"], "pv",
                "{cell}: {backward}"
            );
            assert_eq!(
                backward.get("seen-transient-interop-t"),
                None,
                "{cell}: transient metainfo went past the proxy: {backward}"
            );
        }
        assert_eq!(proxy.stats().bad_frames, 0, "{cell}");
    }
}

// ---- Kitex generic clients -> anycall server ----

/// What each Kitex generic client cannot express of the script (Kitex's map
/// and JSON generics pass the first argument only; its HTTP generic needs a
/// route per method): the cases it prints as skipped.
fn generic_client_skips(mode: &str) -> Vec<&'static str> {
    match mode {
        // Kitex's binary generic client waits for a reply to every call.
        "binary" => vec!["fire"],
        // Ping and Fired have no arguments, which Kitex's map and JSON
        // generics cannot load; Add's second argument is never sent; the
        // second declared exception of Check comes back as null (map) or
        // as an "invalid syntax" error (json).
        "map" | "json" => vec![
            "add",
            "add-wide",
            "check-other",
            "fired",
            "ping",
            "ping-again",
        ],
        // As above, and HTTP mapping has no declared exceptions.
        "http" => vec![
            "add",
            "add-wide",
            "check-err",
            "check-other",
            "echo-throw",
            "fired",
            "ping",
            "ping-again",
        ],
        other => panic!("no generic mode {other}"),
    }
}

/// Transports a Kitex generic client cannot use at all: its binary
/// generic client cannot read a Buffered reply ("invalid trans buffer in
/// binaryThriftCodec Unmarshal"), and its HTTP generic panics reading a
/// string result over Buffered.
fn generic_client_unsupported(mode: &str, transport: &str) -> bool {
    transport == "buffered" && matches!(mode, "binary" | "http")
}

async fn from_kitex_generic_client(mode: &str) {
    for server_mode in [Mode::Json, Mode::Value, Mode::Binary] {
        let server = anycall_server(server_mode).await;
        let addr = server.local_addr().to_string();
        for (_, flag) in KITEX_TRANSPORTS {
            if generic_client_unsupported(mode, flag) {
                continue;
            }
            let cell =
                format!("kitex {mode} generic client {flag} -> anycall {server_mode:?} server");
            let args = ["--addr", addr.as_str(), "--mode", mode, "--transport", flag];
            let lines = kitex_client("generic-client", &args, &[], &cell).await;
            let mut want: Vec<String> = generic_client_skips(mode)
                .into_iter()
                .map(str::to_owned)
                .collect();
            want.sort();
            assert_eq!(skipped(&lines), want, "{cell}");
        }
        assert_eq!(server.stats().bad_frames, 0, "{mode} -> {server_mode:?}");
    }
}

#[tokio::test]
async fn kitex_binary_generic_client_to_anycall_server() {
    from_kitex_generic_client("binary").await;
}

#[tokio::test]
async fn kitex_map_generic_client_to_anycall_server() {
    from_kitex_generic_client("map").await;
}

#[tokio::test]
async fn kitex_json_generic_client_to_anycall_server() {
    from_kitex_generic_client("json").await;
}

#[tokio::test]
async fn kitex_http_generic_client_to_anycall_server() {
    from_kitex_generic_client("http").await;
}

// ---- anycall client -> Kitex generic servers ----

/// What a Kitex map or JSON generic server answers instead of the
/// script's expectation (the binary generic server answers every case as
/// the script expects): it cannot load methods without arguments (the
/// peer serves echo.thrift without Ping and Fired), reads only a method's
/// first argument, and cannot send declared exceptions, which the peer's
/// handler turns into INTERNAL_ERROR naming them. Its oneway `Fire` never
/// reaches the handler (Kitex fails before it), so `fired` is unknown too.
fn generic_server_expectation(mode: &str, ttheader: bool, case: &str, expected: Json) -> Json {
    if mode == "binary" {
        return expected;
    }
    let unknown = |method: &str| {
        if ttheader {
            json!({"app_error": {"type": 1, "message": format!("unknown method {method} (service EchoService)")}})
        } else {
            json!({"app_error": {"type": 20, "message": format!("unknown service , method {method}")}})
        }
    };
    let internal = |message: String| json!({"app_error": {"type": 6, "message": message}});
    let declared = |name: &str, value: &Json| {
        internal(format!(
            "{name}: {value} (a Kitex {mode} generic server cannot send declared exceptions)"
        ))
    };
    match case {
        "ping" | "ping-again" => unknown("Ping"),
        "fired" => unknown("Fired"),
        "add" => internal(format!(
            "Add: b is not decoded (a Kitex {mode} generic server reads only the first argument; a = 40)"
        )),
        "add-wide" => internal(format!(
            "Add: b is not decoded (a Kitex {mode} generic server reads only the first argument; a = -7)"
        )),
        "echo-throw" | "check-err" | "check-other" => declared(
            expected["exception"].as_str().unwrap_or_default(),
            &expected["value"],
        ),
        _ => expected,
    }
}

async fn to_kitex_generic_server(mode: &str) {
    let server = kitex_server("generic-server", &["--mode", mode]).await;
    let mut failures = Vec::new();
    for (transport, flag) in KITEX_TRANSPORTS {
        if mode == "binary" && transport == Transport::Buffered {
            // Kitex's binary generic server cannot read a Buffered request:
            // it closes the connection.
            continue;
        }
        for client_mode in ClientMode::ALL {
            // One connection per call: Kitex's generic servers close a
            // connection after some of the errors above, and a pooled
            // connection would carry that into the next case.
            let client = Client::builder(&server.addr)
                .transport(transport)
                .idl(echo_pool())
                .options(keyed())
                .max_idle_per_host(0)
                .rpc_timeout(Duration::from_secs(10))
                .build()
                .unwrap();
            let event = format!(
                "anycall-kitex-{mode}-{flag}-{client_mode:?}-{}",
                std::process::id()
            );
            let poll_fired = mode == "binary";
            for f in crate::common::run_script_with(
                &client,
                client_mode,
                Protocol::Binary,
                &event,
                poll_fired,
                |case, expected| {
                    generic_server_expectation(mode, transport.has_ttheader(), case, expected)
                },
            )
            .await
            {
                failures.push(format!(
                    "anycall {client_mode:?} -> kitex {mode} generic server {flag}: {f}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}

#[tokio::test]
async fn anycall_client_to_kitex_binary_generic_server() {
    to_kitex_generic_server("binary").await;
}

#[tokio::test]
async fn anycall_client_to_kitex_map_generic_server() {
    to_kitex_generic_server("map").await;
}

#[tokio::test]
async fn anycall_client_to_kitex_json_generic_server() {
    to_kitex_generic_server("json").await;
}

// ---- differential check: Kitex's JSON generic (dynamicgo) against ours ----

/// `kitex-peer codec`: Kitex's JSON generic transcoder, one JSON line per
/// request. Returns one reply line per request.
fn kitex_codec(idl: &str, service: &str, requests: &[Json]) -> Vec<Json> {
    use std::io::Write as _;
    let bin = crate::peers::peer_path("INTEROP_KITEX_PEER", "interop/target/kitex-peer");
    let mut child = std::process::Command::new(bin)
        .args([
            "codec",
            "--mode",
            "json",
            "--idl",
            idl,
            "--service",
            service,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn the Kitex peer: {e}; {SETUP_HINT}"));
    let mut stdin = child.stdin.take().expect("stdin");
    let input: String = requests.iter().map(|r| format!("{r}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("the Kitex codec runs");
    writer.join().expect("writer").expect("write requests");
    assert!(out.status.success(), "kitex-peer codec failed");
    let lines: Vec<Json> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("codec line is JSON"))
        .collect();
    assert_eq!(lines.len(), requests.len(), "one reply per request");
    lines
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn bytes_of(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

/// anycall's args struct for `json` (the single-struct shape Kitex's JSON
/// generic takes), without the message header.
fn anycall_encode(
    desc: anycall_idl::MethodDescriptor<'_>,
    json: &str,
    opts: &Options,
) -> Result<Vec<u8>, String> {
    let mut buf = bytes::BytesMut::new();
    call::encode_call_json(desc, json.as_bytes(), 1, Protocol::Binary, opts, &mut buf)
        .map_err(|e| e.to_string())?;
    let env = call::read_envelope(&buf, Protocol::Binary, &Limits::default()).expect("envelope");
    Ok(buf[env.body..].to_vec())
}

fn anycall_decode(desc: anycall_idl::MethodDescriptor<'_>, body: &[u8], opts: &Options) -> Json {
    let text = call::decode_args_json(
        desc,
        body,
        Protocol::Binary,
        opts,
        &Limits::default(),
        false,
    )
    .expect("anycall decodes the args");
    serde_json::from_str(&text).expect("json")
}

/// `v` cut down to the members `shape` has, recursively: what a JSON
/// input says, without the fields a side fills in for absent ones.
fn projected(v: &Json, shape: &Json) -> Json {
    match (v, shape) {
        (Json::Object(o), Json::Object(s)) => Json::Object(
            s.keys()
                .filter_map(|k| o.get(k).map(|x| (k.clone(), projected(x, &s[k]))))
                .collect(),
        ),
        (Json::Array(a), Json::Array(s)) if a.len() == s.len() => {
            Json::Array(a.iter().zip(s).map(|(x, y)| projected(x, y)).collect())
        }
        _ => v.clone(),
    }
}

fn is_zero(v: &Json) -> bool {
    match v {
        Json::Bool(b) => !b,
        Json::Number(n) => n.as_f64() == Some(0.0),
        Json::String(s) => s.is_empty(),
        Json::Array(a) => a.is_empty(),
        Json::Object(o) => o.is_empty(),
        Json::Null => true,
    }
}

/// The edge corpus for `testdata/interop/diff/edge.thrift`'s `Edge`.
fn edge_corpus() -> Vec<Json> {
    vec![
        json!({
            "by_i8": {"-128": "min", "127": "max", "0": "zero"},
            "by_i16": {"-32768": "min", "32767": "max"},
            "by_i32": {"-2147483648": "min", "2147483647": "max"},
            "by_i64": {"-9223372036854775808": "min", "9223372036854775807": "max", "9007199254740993": "2^53+1"},
            "by_string": {"": "empty", "k\u{e9}y \u{1f30d}": "unicode", "quote\"back\\slash": "escaped"},
            "bools": [true, false, true],
            "bytes": [-128, -1, 0, 127],
            "shorts": [-32768, 32767],
            "ints": [-2147483648, 0, 2147483647],
            "longs": [-9223372036854775808i64, -1, 9223372036854775807i64],
            "doubles": [0.0, -0.5, 1e300, -2.5e-7, std::f64::consts::PI, 5e-324],
            "strings": ["", "a", "\u{0}\u{1f}\u{7f}", "\u{4e2d}\u{6587}", "\u{1f600}\u{1f30d}", "tab\tnewline\n"],
            "blobs": ["", "AA==", "AAF/gP7/", "/////w=="],
            "deep": [[[1, 2], []], [], [[-3]]],
            "tree": {"a": [{"x": {"s": "leaf", "n": -1}}, {}], "b": []},
            "long_set": [9223372036854775807i64, -9223372036854775808i64, 0],
            "leaf": {"s": "only s"},
            "blob": "AAECAwQFBgcICQoLDA0ODxAREhM=",
            "text": "\u{10ffff} last code point",
            "renamed": "by its go.tag name"
        }),
        json!({}),
        json!({"by_i8": {}, "bools": [], "deep": [[], [[]]], "tree": {"e": [{}]}, "leaf": {"s": ""}}),
    ]
}

/// Every Echo request of the interop script and an edge corpus, encoded by
/// Kitex's JSON generic and by anycall's JSON mode, each decoded by the
/// other side: the same values. Kitex fills absent fields with zero values
/// when it encodes (dynamicgo's `WriteDefaultField`): those fields are
/// checked to be zero and named in README's deviations.
#[test]
fn json_differential_against_kitex_json_generic() {
    let echo_idl = repo_root().join("testdata/interop/echo.thrift");
    let edge_idl = repo_root().join("testdata/interop/diff/edge.thrift");
    let edge_pool = Pool::from_file(edge_idl.to_str().unwrap(), Vec::<std::path::PathBuf>::new())
        .expect("edge.thrift loads");
    let echo = echo_pool();
    let mut corpora: Vec<(
        &std::path::Path,
        &str,
        anycall_idl::MethodDescriptor<'_>,
        Vec<Json>,
    )> = Vec::new();
    let echo_requests: Vec<Json> = script()["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["call"] == "Echo")
        .map(|c| crate::common::expand(&c["args"]["req"], "differential"))
        .collect();
    assert!(echo_requests.len() >= 5, "the script's Echo cases");
    corpora.push((
        &echo_idl,
        "EchoService",
        echo.service("EchoService").unwrap().method("Echo").unwrap(),
        echo_requests,
    ));
    corpora.push((
        &edge_idl,
        "EdgeService",
        edge_pool
            .service("EdgeService")
            .unwrap()
            .method("Mirror")
            .unwrap(),
        edge_corpus(),
    ));

    let mut filled = std::collections::BTreeSet::new();
    for (idl, service, desc, corpus) in corpora {
        let method = desc.name();
        let encode: Vec<Json> = corpus
            .iter()
            .map(|j| json!({"op": "encode", "method": method, "json": j.to_string()}))
            .collect();
        let kitex_bytes: Vec<Vec<u8>> = kitex_codec(idl.to_str().unwrap(), service, &encode)
            .iter()
            .zip(&corpus)
            .map(|(line, j)| {
                let hex = line["hex"]
                    .as_str()
                    .unwrap_or_else(|| panic!("kitex encodes {j}: {line}"));
                bytes_of(hex)
            })
            .collect();
        let ours: Vec<Vec<u8>> = corpus
            .iter()
            .map(|j| {
                anycall_encode(desc, &j.to_string(), &Options::default()).expect("anycall encodes")
            })
            .collect();
        // Kitex reads our bytes as it reads its own.
        let decode = |bytes: &[Vec<u8>]| -> Vec<Json> {
            let requests: Vec<Json> = bytes
                .iter()
                .map(
                    |b| json!({"op": "decode", "method": method, "part": "args", "hex": hex_of(b)}),
                )
                .collect();
            kitex_codec(idl.to_str().unwrap(), service, &requests)
                .into_iter()
                .map(|l| {
                    let text = l["json"]
                        .as_str()
                        .unwrap_or_else(|| panic!("kitex decodes: {l}"));
                    serde_json::from_str(text).expect("kitex json")
                })
                .collect()
        };
        let kitex_of_ours = decode(&ours);
        let kitex_of_kitex = decode(&kitex_bytes);
        for ((j, a), b) in corpus.iter().zip(&kitex_of_ours).zip(&kitex_of_kitex) {
            assert_eq!(
                projected(a, j),
                projected(b, j),
                "Kitex decodes anycall's and its own bytes of {j} alike"
            );
        }
        if service == "EdgeService" {
            // A Kitex quirk: a field absent on the wire is rendered with its
            // zero value under its IDL name, not its go.tag name
            // (anycall uses the go.tag name both ways).
            let empty = &kitex_of_ours[1];
            assert_eq!(empty.get("tagged"), Some(&json!("")), "{empty}");
            assert_eq!(empty.get("renamed"), None, "{empty}");
            assert_eq!(kitex_of_ours[0]["renamed"], "by its go.tag name");
        }
        // We read Kitex's bytes as we read our own, but for zero values
        // Kitex writes for absent fields.
        for ((j, k), o) in corpus.iter().zip(&kitex_bytes).zip(&ours) {
            let (from_kitex, from_ours) = (
                anycall_decode(desc, k, &Options::default()),
                anycall_decode(desc, o, &Options::default()),
            );
            let (Json::Object(fk), Json::Object(fo)) = (&from_kitex, &from_ours) else {
                panic!("structs decode to objects");
            };
            for (key, v) in fo {
                assert_eq!(fk.get(key), Some(v), "{method}.{key} of {j}");
            }
            for (key, v) in fk.iter().filter(|(k, _)| !fo.contains_key(*k)) {
                assert!(
                    is_zero(v) || key == "level" || key == "action",
                    "Kitex added {method}.{key} = {v} to {j}"
                );
                filled.insert(format!("{method}.{key}"));
            }
        }
    }
    eprintln!("fields Kitex's JSON generic writes when absent: {filled:?}");
}

/// Where Kitex's JSON generic is looser than anycall's default: unknown
/// keys, a missing required field. anycall refuses them by default and
/// matches Kitex's bytes with `Options::lenient()` (`--lenient`).
#[test]
fn json_deviations_from_kitex_are_exactly_the_lenient_ones() {
    let idl = repo_root().join("testdata/interop/echo.thrift");
    let pool = echo_pool();
    let desc = pool.service("EchoService").unwrap().method("Echo").unwrap();
    let cases = [
        ("unknown key", json!({"message": "m", "nope": 1})),
        ("missing required", json!({"action": "x"})),
    ];
    let encode: Vec<Json> = cases
        .iter()
        .map(|(_, j)| json!({"op": "encode", "method": "Echo", "json": j.to_string()}))
        .collect();
    let kitex = kitex_codec(idl.to_str().unwrap(), "EchoService", &encode);
    for ((what, j), line) in cases.iter().zip(&kitex) {
        let hex = line["hex"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: Kitex accepts {j}: {line}"));
        let strict = anycall_encode(desc, &j.to_string(), &Options::default());
        assert!(strict.is_err(), "{what}: anycall refuses {j} by default");
        let lenient = anycall_encode(desc, &j.to_string(), &Options::lenient()).expect("lenient");
        let (ours, theirs) = (
            anycall_decode(desc, &lenient, &Options::lenient()),
            anycall_decode(desc, &bytes_of(hex), &Options::lenient()),
        );
        let Json::Object(theirs) = theirs else {
            panic!()
        };
        for (k, v) in ours.as_object().unwrap() {
            assert_eq!(theirs.get(k), Some(v), "{what}: {k}");
        }
    }
}
