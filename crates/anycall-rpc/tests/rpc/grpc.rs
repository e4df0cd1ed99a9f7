//! gRPC: the four call kinds in the three modes, over a standalone server and
//! over the Thrift server's port; metadata, deadlines, status, gzip, limits,
//! reflection.

use std::sync::OnceLock;
use std::time::Duration;

use anycall_codec::proto::{ProtoOptions, bytes_to_json, json_to_bytes};
use anycall_idl::proto::{DescriptorPool, ProtoLoader};
use anycall_rpc::grpc::reflection::ReflectionClient;
use anycall_rpc::grpc::{
    Code, GrpcCall, GrpcClient, GrpcHandler, GrpcMode, GrpcReply, GrpcServer, MessageStream,
    MetadataMap, Status,
};
use anycall_rpc::{Mode, Payload, Server};
use anycall_test_support::testdata;
use bytes::Bytes;
use futures_util::StreamExt as _;
use prost_reflect::DynamicMessage;

pub(crate) fn interop_pool() -> DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        ProtoLoader::new()
            .load([testdata("grpc/interop.proto").to_str().expect("utf-8")])
            .expect("interop.proto compiles")
    })
    .clone()
}

pub(crate) fn item_json() -> String {
    std::fs::read_to_string(testdata("grpc/item.json"))
        .expect("item.json")
        .trim_end()
        .to_owned()
}

pub(crate) const SERVICE: &str = "anycall.interop.v1.Interop";

/// The interop service of `testdata/grpc/interop.proto` in any server mode:
/// Echo echoes, Collect replies with the last item (an empty one when none),
/// Repeat sends the item three times, Chat echoes each item as it arrives,
/// Ping answers Empty. Metadata `echo-meta` comes back as a header; `fail`
/// ends the call with that status code.
#[derive(Debug, Default)]
pub(crate) struct Interop;

impl GrpcHandler for Interop {
    async fn call(&self, call: GrpcCall, mut requests: MessageStream) -> Result<GrpcReply, Status> {
        let mut metadata = MetadataMap::new();
        if let Some(v) = call.metadata.get("echo-meta") {
            metadata.insert("echo-meta", v.clone());
        }
        if let Some(code) = call.metadata.get("fail").and_then(|v| v.to_str().ok()) {
            let code: i32 = code.parse().unwrap_or(2);
            return Err(Status::new(Code::from_i32(code), "failed as asked"));
        }
        if let Some(ms) = call.metadata.get("sleep-ms").and_then(|v| v.to_str().ok()) {
            tokio::time::sleep(Duration::from_millis(ms.parse().unwrap_or(0))).await;
        }
        let mut reply = match call.method.as_str() {
            "Echo" | "Ping" => {
                let first = requests
                    .next()
                    .await
                    .ok_or_else(|| Status::invalid_argument("no request"))??;
                GrpcReply::one(first)
            }
            "Collect" => {
                let mut last = None;
                while let Some(item) = requests.next().await {
                    last = Some(item?);
                }
                GrpcReply::one(last.unwrap_or_else(|| {
                    Payload::Proto(DynamicMessage::new(call.descriptor.output()))
                }))
            }
            "Repeat" => {
                let first = requests
                    .next()
                    .await
                    .ok_or_else(|| Status::invalid_argument("no request"))??;
                GrpcReply::many(vec![first.clone(), first.clone(), first])
            }
            "Chat" => GrpcReply::stream(requests),
            other => return Err(Status::unimplemented(other.to_owned())),
        };
        reply.metadata = metadata;
        Ok(reply)
    }
}

fn item_payload(mode: GrpcMode) -> Payload {
    let desc = interop_pool()
        .get_message_by_name("anycall.interop.v1.Item")
        .expect("Item");
    let opts = ProtoOptions::default();
    match mode {
        GrpcMode::Json => Payload::Json(item_json()),
        GrpcMode::Binary => Payload::Binary(Bytes::from(
            json_to_bytes(&desc, item_json().as_bytes(), &opts).expect("encodes"),
        )),
        GrpcMode::Dynamic => Payload::Proto(
            anycall_codec::proto::json_to_message(&desc, item_json().as_bytes(), &opts)
                .expect("parses"),
        ),
    }
}

/// The reply as JSON, whatever its mode.
fn reply_json(payload: &Payload) -> serde_json::Value {
    let desc = interop_pool()
        .get_message_by_name("anycall.interop.v1.Item")
        .expect("Item");
    let opts = ProtoOptions::default();
    let text = match payload {
        Payload::Json(s) => s.clone(),
        Payload::Binary(b) => bytes_to_json(&desc, b, &opts).expect("decodes"),
        Payload::Proto(m) => anycall_codec::proto::message_to_json(m, &opts).expect("renders"),
        Payload::Value(_) => panic!("a Thrift value from a gRPC call"),
    };
    serde_json::from_str(&text).expect("JSON")
}

fn expected_item() -> serde_json::Value {
    serde_json::from_str(&item_json()).expect("JSON")
}

async fn start(mode: GrpcMode) -> anycall_rpc::grpc::GrpcServerHandle {
    GrpcServer::builder(interop_pool())
        .mode(mode)
        .build(Interop)
        .expect("server")
        .bind("127.0.0.1:0")
        .await
        .expect("bind")
}

fn client(addr: std::net::SocketAddr, mode: GrpcMode) -> GrpcClient {
    GrpcClient::builder(addr.to_string())
        .idl(interop_pool())
        .mode(mode)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

fn path(method: &str) -> String {
    format!("/{SERVICE}/{method}")
}

/// Runs the four kinds with `client`, asserting exact values.
pub(crate) async fn run_script(client: &GrpcClient, mode: GrpcMode) {
    let want = expected_item();
    // Unary.
    let (reply, _) = client
        .unary(&path("Echo"), MetadataMap::new(), item_payload(mode))
        .await
        .expect("Echo");
    assert_eq!(reply.mode_name(), item_payload(mode).mode_name());
    assert_eq!(reply_json(&reply), want, "Echo");
    // Client streaming: three items, the last one comes back.
    let mut last = expected_item();
    last["tags"] = serde_json::json!(["last"]);
    let last_payload = Payload::Json(last.to_string());
    let last_payload = match mode {
        GrpcMode::Json => last_payload,
        _ => {
            let desc = interop_pool()
                .get_message_by_name("anycall.interop.v1.Item")
                .expect("Item");
            let bytes = json_to_bytes(&desc, last.to_string().as_bytes(), &ProtoOptions::default())
                .expect("encodes");
            if mode == GrpcMode::Binary {
                Payload::Binary(bytes.into())
            } else {
                Payload::Proto(DynamicMessage::decode(desc, bytes.as_slice()).expect("decodes"))
            }
        }
    };
    let requests = vec![item_payload(mode), item_payload(mode), last_payload];
    let mut resp = client
        .call(
            &path("Collect"),
            MetadataMap::new(),
            futures_util::stream::iter(requests),
        )
        .await
        .expect("Collect");
    let reply = resp.message().await.expect("reply").expect("one message");
    assert_eq!(reply_json(&reply), last, "Collect");
    assert!(resp.message().await.expect("end").is_none());
    // Client streaming with no request: an empty item.
    let mut resp = client
        .call(
            &path("Collect"),
            MetadataMap::new(),
            futures_util::stream::empty(),
        )
        .await
        .expect("Collect");
    let reply = resp.message().await.expect("reply").expect("one message");
    assert_eq!(reply_json(&reply), serde_json::json!({}), "empty Collect");
    // Server streaming: three copies.
    let mut resp = client
        .call(
            &path("Repeat"),
            MetadataMap::new(),
            futures_util::stream::iter([item_payload(mode)]),
        )
        .await
        .expect("Repeat");
    let mut n = 0;
    while let Some(reply) = resp.message().await.expect("Repeat message") {
        assert_eq!(reply_json(&reply), want, "Repeat #{n}");
        n += 1;
    }
    assert_eq!(n, 3);
    // Bidi, each reply read before the next request is sent.
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let mut resp = client
        .call(
            &path("Chat"),
            MetadataMap::new(),
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )
        .await
        .expect("Chat");
    for i in 0..3 {
        tx.send(item_payload(mode)).await.expect("send");
        let reply = tokio::time::timeout(Duration::from_secs(10), resp.message())
            .await
            .expect("a reply before the next request")
            .expect("Chat message")
            .expect("one message per request");
        assert_eq!(reply_json(&reply), want, "Chat #{i}");
    }
    drop(tx);
    assert!(resp.message().await.expect("end").is_none());
}

#[tokio::test]
async fn every_kind_in_every_mode_on_both_sides() {
    for server_mode in [GrpcMode::Json, GrpcMode::Binary, GrpcMode::Dynamic] {
        let server = start(server_mode).await;
        for client_mode in [GrpcMode::Json, GrpcMode::Binary, GrpcMode::Dynamic] {
            run_script(&client(server.local_addr(), client_mode), client_mode).await;
        }
        server.shutdown().await;
    }
}

#[tokio::test]
async fn the_thrift_server_answers_grpc_on_its_port() {
    let grpc = GrpcServer::builder(interop_pool())
        .build(Interop)
        .expect("grpc");
    let server = Server::builder(Mode::Json)
        .idl(crate::common::echo_pool())
        .grpc(grpc)
        .bind("127.0.0.1:0", crate::common::EchoService::default())
        .await
        .expect("bind");
    run_script(&client(server.local_addr(), GrpcMode::Json), GrpcMode::Json).await;
    // Thrift still works on the same port.
    let thrift = anycall_rpc::Client::builder(server.local_addr().to_string())
        .idl(crate::common::echo_pool())
        .build()
        .expect("thrift client");
    let reply = thrift
        .call_json("Echo", br#"{"message": "same port"}"#)
        .await
        .expect("thrift call");
    assert!(format!("{reply:?}").contains("same port"), "{reply:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn metadata_status_and_deadlines() {
    let server = start(GrpcMode::Json).await;
    let c = client(server.local_addr(), GrpcMode::Json);
    let mut md = MetadataMap::new();
    md.insert("echo-meta", "m-1".parse().expect("ascii"));
    let (_, mut resp) = c
        .unary(&path("Echo"), md, Payload::Json("{}".into()))
        .await
        .expect("Echo");
    assert_eq!(
        resp.headers()
            .await
            .expect("headers")
            .get("echo-meta")
            .map(|v| v.to_str().ok()),
        Some(Some("m-1"))
    );

    let mut md = MetadataMap::new();
    md.insert("fail", "9".parse().expect("ascii"));
    let err = c
        .unary(&path("Echo"), md, Payload::Json("{}".into()))
        .await
        .expect_err("fails");
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(err.message(), "failed as asked");

    let err = c
        .unary(
            &path("Nope"),
            MetadataMap::new(),
            Payload::Json("{}".into()),
        )
        .await
        .expect_err("unknown method");
    assert_eq!(err.code(), Code::Unimplemented);
    assert!(err.message().contains("Nope"), "{}", err.message());

    let short = GrpcClient::builder(server.local_addr().to_string())
        .idl(interop_pool())
        .timeout(Duration::from_millis(200))
        .build()
        .expect("client");
    let mut md = MetadataMap::new();
    md.insert("sleep-ms", "3000".parse().expect("ascii"));
    let started = std::time::Instant::now();
    let err = short
        .unary(&path("Echo"), md, Payload::Json("{}".into()))
        .await
        .expect_err("deadline");
    assert_eq!(err.code(), Code::DeadlineExceeded, "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));

    // Bad JSON is refused before anything is sent, with the field path.
    let err = c
        .unary(
            &path("Echo"),
            MetadataMap::new(),
            Payload::Json(r#"{"tags":[1]}"#.into()),
        )
        .await
        .expect_err("bad JSON");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message().contains("anycall.interop.v1.Item.tags[0]"),
        "{}",
        err.message()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn gzip_requests_and_size_limits() {
    let server = GrpcServer::builder(interop_pool())
        .max_message_size(64 << 10)
        .build(Interop)
        .expect("server")
        .bind("127.0.0.1:0")
        .await
        .expect("bind");
    let gz = GrpcClient::builder(server.local_addr().to_string())
        .idl(interop_pool())
        .gzip(true)
        .build()
        .expect("client");
    let (reply, _) = gz
        .unary(
            &path("Echo"),
            MetadataMap::new(),
            Payload::Json(item_json()),
        )
        .await
        .expect("gzip Echo");
    assert_eq!(reply_json(&reply), expected_item());
    let big = serde_json::json!({ "tags": ["x".repeat(100 << 10)] }).to_string();
    let plain = client(server.local_addr(), GrpcMode::Json);
    let err = plain
        .unary(&path("Echo"), MetadataMap::new(), Payload::Json(big))
        .await
        .expect_err("over the server's limit");
    assert_eq!(err.code(), Code::OutOfRange, "{err:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn reflection_gives_services_and_descriptors() {
    let server = start(GrpcMode::Json).await;
    let mut r = ReflectionClient::connect(&server.local_addr().to_string(), Duration::from_secs(5))
        .await
        .expect("reflection");
    let mut services = r.list_services().await.expect("list");
    services.sort();
    assert_eq!(services, [SERVICE, "grpc.reflection.v1.ServerReflection"]);
    let pool = r.pool_all().await.expect("descriptors");
    // A call built from reflected descriptors only.
    let c = GrpcClient::builder(server.local_addr().to_string())
        .idl(pool.clone())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    run_script(&c, GrpcMode::Json).await;
    assert!(
        pool.get_message_by_name("google.protobuf.Timestamp")
            .is_some()
    );
    drop(r);
    server.shutdown().await;
}

/// `python grpc_peer.py` (grpcio), from `scripts/interop-setup`.
fn grpcio_peer() -> tokio::process::Command {
    let python = crate::peers::peer_path("INTEROP_PYTHON", "interop/.venv/bin/python");
    let script = crate::peers::peer_path("INTEROP_GRPC_PYTHON_PEER", "interop/python/grpc_peer.py");
    let mut cmd = tokio::process::Command::new(python);
    cmd.arg(script);
    cmd
}

/// Every case the peer clients check, in order.
const PEER_CASES: [&str; 13] = [
    "Echo",
    "Echo metadata",
    "Collect",
    "Collect empty",
    "Repeat",
    "Chat #1",
    "Chat #2",
    "Chat #3",
    "Chat count",
    "Ping",
    "reflection list",
    "reflection service",
    "reflection message",
];

/// Runs a peer client (`cmd args...`) to its end and asserts that it passed
/// every case of [`PEER_CASES`].
async fn run_grpc_peer_client(mut cmd: tokio::process::Command, args: &[&str], cell: &str) {
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("{cell}: peer client did not finish in 120 s"))
        .unwrap_or_else(|e| panic!("{cell}: spawn: {e}; {}", crate::peers::SETUP_HINT));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line: serde_json::Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{cell}: bad output {stdout:?}: {e}\n{stderr}"));
    assert_eq!(line["fail"], serde_json::json!([]), "{cell}: {stderr}");
    assert_eq!(line["pass"], serde_json::json!(PEER_CASES), "{cell}");
    assert!(out.status.success(), "{cell}: {stderr}");
}

#[tokio::test]
async fn interop_anycall_client_to_grpcio_server() {
    let peer = crate::peers::start_server(grpcio_peer(), &[]).await;
    let addr: std::net::SocketAddr = peer.addr.parse().expect("peer address");
    for mode in [GrpcMode::Json, GrpcMode::Binary, GrpcMode::Dynamic] {
        run_script(&client(addr, mode), mode).await;
    }
    // Metadata comes back from grpcio as a header.
    let mut md = MetadataMap::new();
    md.insert("echo-meta", "m-2".parse().expect("ascii"));
    let (_, mut resp) = client(addr, GrpcMode::Json)
        .unary(&path("Echo"), md, Payload::Json("{}".into()))
        .await
        .expect("Echo");
    assert_eq!(
        resp.headers()
            .await
            .expect("headers")
            .get("echo-meta")
            .and_then(|v| v.to_str().ok()),
        Some("m-2")
    );
    // grpcio's reflection (v1alpha only) read by anycall's v1 client is not
    // part of this cell; anycall's calls use the .proto here.
}

#[tokio::test]
async fn interop_grpcio_client_to_anycall_server() {
    for mode in [GrpcMode::Json, GrpcMode::Binary, GrpcMode::Dynamic] {
        let server = start(mode).await;
        run_grpc_peer_client(
            grpcio_peer(),
            &["client", &server.local_addr().to_string()],
            &format!("grpcio client -> anycall {mode:?}"),
        )
        .await;
        server.shutdown().await;
    }
}

#[tokio::test]
async fn interop_anycall_client_to_grpc_go_server() {
    let peer = crate::peers::start_peer(crate::peers::kitex_peer(), "grpc-server", &[]).await;
    let addr: std::net::SocketAddr = peer.addr.parse().expect("peer address");
    for mode in [GrpcMode::Json, GrpcMode::Binary, GrpcMode::Dynamic] {
        run_script(&client(addr, mode), mode).await;
    }
    let mut md = MetadataMap::new();
    md.insert("echo-meta", "m-3".parse().expect("ascii"));
    let (_, mut resp) = client(addr, GrpcMode::Json)
        .unary(&path("Echo"), md, Payload::Json("{}".into()))
        .await
        .expect("Echo");
    assert_eq!(
        resp.headers()
            .await
            .expect("headers")
            .get("echo-meta")
            .and_then(|v| v.to_str().ok()),
        Some("m-3")
    );
    // grpc-go's reflection (v1) read by anycall's client, and the script run
    // with the reflected descriptors only.
    let mut r = ReflectionClient::connect(&peer.addr, Duration::from_secs(5))
        .await
        .expect("reflection");
    let mut services = r.list_services().await.expect("list");
    services.sort();
    assert_eq!(
        services,
        [
            SERVICE,
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection"
        ]
    );
    let pool = r.pool_all().await.expect("descriptors");
    let reflected = GrpcClient::builder(peer.addr.clone())
        .idl(pool)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    run_script(&reflected, GrpcMode::Json).await;
}

#[tokio::test]
async fn interop_grpc_go_client_to_anycall_server() {
    for mode in [GrpcMode::Json, GrpcMode::Binary, GrpcMode::Dynamic] {
        let server = start(mode).await;
        run_grpc_peer_client(
            crate::peers::kitex_peer(),
            &["grpc-client", "--addr", &server.local_addr().to_string()],
            &format!("grpc-go client -> anycall {mode:?}"),
        )
        .await;
        server.shutdown().await;
    }
}
