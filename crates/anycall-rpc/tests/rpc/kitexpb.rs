//! Kitex Protobuf (non-gRPC, spec wire-format §5): anycall's client and the
//! Thrift server's port against Kitex's generated protobuf server and client
//! (`kitex-peer kitexpb-server|kitexpb-client`), and against each other. Also
//! Kitex's gRPC transport for the same proto against anycall's gRPC client and
//! server.

use std::sync::OnceLock;
use std::time::Duration;

use anycall_codec::frame::Transport;
use anycall_codec::proto::{ProtoOptions, bytes_to_json, json_to_bytes};
use anycall_codec::thrift::exception::{TApplicationException, TApplicationExceptionType};
use anycall_idl::proto::{DescriptorPool, ProtoLoader};
use anycall_rpc::grpc::kitexpb::KitexPbClient;
use anycall_rpc::grpc::{
    Code, GrpcCall, GrpcClient, GrpcHandler, GrpcMode, GrpcReply, GrpcServer, MessageStream,
    MetadataMap, Status,
};
use anycall_rpc::{Mode, Payload, Server};
use anycall_test_support::testdata;
use futures_util::StreamExt as _;

use crate::peers::{cases_of, kitex_peer, run_peer_client, start_peer};

fn pool() -> DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        ProtoLoader::new()
            .load([testdata("kitexpb/kitex_interop.proto")
                .to_str()
                .expect("utf-8")])
            .expect("kitex_interop.proto compiles")
    })
    .clone()
}

fn item_json() -> serde_json::Value {
    let text = std::fs::read_to_string(testdata("kitexpb/item.json")).expect("item.json");
    serde_json::from_str(&text).expect("JSON")
}

fn encode(json: &serde_json::Value) -> Vec<u8> {
    let desc = pool()
        .get_message_by_name("anycall.kitexpb.v1.Item")
        .expect("Item");
    json_to_bytes(&desc, json.to_string().as_bytes(), &ProtoOptions::default()).expect("encodes")
}

fn decode(bytes: &[u8]) -> serde_json::Value {
    let desc = pool()
        .get_message_by_name("anycall.kitexpb.v1.Item")
        .expect("Item");
    let text = bytes_to_json(&desc, bytes, &ProtoOptions::default()).expect("decodes");
    serde_json::from_str(&text).expect("JSON")
}

/// Echo echoes; Fail fails with `requested failure: ` and the item's name,
/// as the Kitex peer's handler does.
#[derive(Debug, Default)]
struct KitexInterop;

impl GrpcHandler for KitexInterop {
    async fn call(&self, call: GrpcCall, mut requests: MessageStream) -> Result<GrpcReply, Status> {
        let first = requests
            .next()
            .await
            .ok_or_else(|| Status::invalid_argument("no request"))??;
        match call.method.as_str() {
            "Echo" => Ok(GrpcReply::one(first)),
            "Fail" => {
                let name = match &first {
                    Payload::Json(text) => serde_json::from_str::<serde_json::Value>(text)
                        .ok()
                        .and_then(|v| v["name"].as_str().map(str::to_owned)),
                    Payload::Binary(bytes) => decode(bytes)["name"].as_str().map(str::to_owned),
                    Payload::Proto(m) => m
                        .get_field_by_name("name")
                        .and_then(|v| v.as_str().map(str::to_owned)),
                    Payload::Value(_) => None,
                };
                Err(Status::internal(format!(
                    "requested failure: {}",
                    name.unwrap_or_default()
                )))
            }
            other => Err(Status::unimplemented(other.to_owned())),
        }
    }
}

/// Runs Echo (the whole item, and an empty one), Fail and an unknown method
/// with anycall's client; returns the Fail error's message and the unknown
/// method's exception.
async fn run_client(
    addr: &str,
    transport: Transport,
    cell: &str,
) -> (String, TApplicationException) {
    let client = KitexPbClient::new(addr, transport)
        .expect("client")
        .service("KitexInterop")
        .timeout(Duration::from_secs(10));
    let want = item_json();
    let reply = client.call("Echo", &encode(&want)).await.expect(cell);
    assert_eq!(decode(&reply), want, "{cell}: Echo");
    let reply = client.call("Echo", b"").await.expect(cell);
    assert!(reply.is_empty(), "{cell}: empty Echo gave {reply:?}");
    let err = client
        .call("Fail", &encode(&serde_json::json!({"name": "boom"})))
        .await
        .expect_err("Fail fails");
    let ex = err
        .application()
        .unwrap_or_else(|| panic!("{cell}: not an exception: {err}"));
    let message = ex.message().to_owned();
    assert!(
        message.contains("requested failure: boom"),
        "{cell}: {message}"
    );
    let err = client.call("Nope", b"").await.expect_err("unknown method");
    let unknown = err
        .application()
        .unwrap_or_else(|| panic!("{cell}: not an exception: {err}"))
        .clone();
    // The client goes on after exceptions (on a new connection when the
    // server closed the old one).
    let reply = client.call("Echo", &encode(&want)).await.expect(cell);
    assert_eq!(decode(&reply), want, "{cell}: Echo after exceptions");
    (message, unknown)
}

#[tokio::test]
async fn interop_anycall_client_to_kitex_protobuf_server() {
    let peer = start_peer(kitex_peer(), "kitexpb-server", &[]).await;
    for transport in [Transport::TTHeaderFramed, Transport::Framed] {
        let (message, unknown) =
            run_client(&peer.addr, transport, &format!("-> Kitex {transport}")).await;
        // Kitex sends a handler's error as an exception marked as a biz error.
        assert_eq!(message, "biz error: requested failure: boom");
        // Without TTHeader there is no `isn`, and Kitex names no service.
        let (kind, text) = if transport == Transport::Framed {
            (
                TApplicationExceptionType::UNKNOWN_SERVICE,
                "unknown service , method Nope",
            )
        } else {
            (
                TApplicationExceptionType::UNKNOWN_METHOD,
                "unknown method Nope (service KitexInterop)",
            )
        };
        assert_eq!(
            (unknown.kind(), unknown.message()),
            (kind, text),
            "{transport}"
        );
    }
}

async fn start_anycall(mode: GrpcMode) -> anycall_rpc::ServerHandle {
    let grpc = GrpcServer::builder(pool())
        .mode(mode)
        .build(KitexInterop)
        .expect("grpc");
    Server::builder(Mode::Json)
        .idl(crate::common::echo_pool())
        .grpc(grpc)
        .bind("127.0.0.1:0", crate::common::EchoService::default())
        .await
        .expect("bind")
}

#[tokio::test]
async fn interop_kitex_protobuf_client_to_anycall_server() {
    for mode in [GrpcMode::Json, GrpcMode::Binary, GrpcMode::Dynamic] {
        let server = start_anycall(mode).await;
        let cell = format!("Kitex protobuf client -> anycall {mode:?}");
        let lines = run_peer_client(
            kitex_peer(),
            "kitexpb-client",
            &["--addr", &server.local_addr().to_string()],
            &cell,
        )
        .await;
        assert_eq!(cases_of(&lines), ["Echo", "Echo empty", "Fail"], "{cell}");
        server.shutdown().await;
    }
}

#[tokio::test]
async fn kitex_protobuf_thrift_and_grpc_share_the_port() {
    let server = start_anycall(GrpcMode::Dynamic).await;
    let addr = server.local_addr().to_string();
    for transport in [Transport::TTHeaderFramed, Transport::Framed] {
        let (message, unknown) =
            run_client(&addr, transport, &format!("-> anycall {transport}")).await;
        assert_eq!(message, "requested failure: boom");
        assert_eq!(unknown.kind(), TApplicationExceptionType::UNKNOWN_METHOD);
        assert!(unknown.message().contains("Nope"), "{}", unknown.message());
    }
    // Thrift on the same port.
    let thrift = anycall_rpc::Client::builder(addr.clone())
        .idl(crate::common::echo_pool())
        .build()
        .expect("thrift client");
    let reply = thrift
        .call_json("Echo", br#"{"message": "same port"}"#)
        .await
        .expect("thrift call");
    assert!(format!("{reply:?}").contains("same port"), "{reply:?}");
    // gRPC on the same port, the same handler.
    let grpc = anycall_rpc::grpc::GrpcClient::builder(addr.clone())
        .idl(pool())
        .build()
        .expect("grpc client");
    let (reply, _) = grpc
        .unary(
            "/anycall.kitexpb.v1.KitexInterop/Echo",
            anycall_rpc::grpc::MetadataMap::new(),
            Payload::Json(item_json().to_string()),
        )
        .await
        .expect("grpc Echo");
    let Payload::Json(text) = reply else {
        panic!("a JSON reply")
    };
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).expect("JSON"),
        item_json()
    );
    // Streaming methods and other transports are refused by the client.
    assert!(KitexPbClient::new(addr.as_str(), Transport::Buffered).is_err());
    server.shutdown().await;
}

const GRPC_SERVICE: &str = "/anycall.kitexpb.v1.KitexInterop";

/// `value` as a request payload of `mode`.
fn grpc_payload(mode: GrpcMode, value: &serde_json::Value) -> Payload {
    match mode {
        GrpcMode::Json => Payload::Json(value.to_string()),
        GrpcMode::Binary => Payload::Binary(encode(value).into()),
        GrpcMode::Dynamic => {
            let desc = pool()
                .get_message_by_name("anycall.kitexpb.v1.Item")
                .expect("Item");
            Payload::Proto(
                anycall_codec::proto::json_to_message(
                    &desc,
                    value.to_string().as_bytes(),
                    &ProtoOptions::default(),
                )
                .expect("parses"),
            )
        }
    }
}

/// A reply payload as JSON, whatever its mode.
fn grpc_reply_json(payload: &Payload) -> serde_json::Value {
    match payload {
        Payload::Json(text) => serde_json::from_str(text).expect("JSON"),
        Payload::Binary(bytes) => decode(bytes),
        Payload::Proto(m) => serde_json::from_str(
            &anycall_codec::proto::message_to_json(m, &ProtoOptions::default()).expect("renders"),
        )
        .expect("JSON"),
        Payload::Value(_) => panic!("a Thrift value from a gRPC call"),
    }
}

#[tokio::test]
async fn interop_anycall_grpc_client_to_kitex_protobuf_server() {
    let peer = start_peer(kitex_peer(), "kitexpb-server", &[]).await;
    for mode in [GrpcMode::Json, GrpcMode::Binary, GrpcMode::Dynamic] {
        let cell = format!("anycall gRPC {mode:?} -> Kitex gRPC");
        let client = GrpcClient::builder(peer.addr.clone())
            .idl(pool())
            .mode(mode)
            .timeout(Duration::from_secs(10))
            .build()
            .expect("grpc client");
        let echo = format!("{GRPC_SERVICE}/Echo");
        let want = item_json();
        let (reply, _) = client
            .unary(&echo, MetadataMap::new(), grpc_payload(mode, &want))
            .await
            .unwrap_or_else(|e| panic!("{cell}: Echo: {e}"));
        assert_eq!(grpc_reply_json(&reply), want, "{cell}: Echo");
        let empty = serde_json::json!({});
        let (reply, _) = client
            .unary(&echo, MetadataMap::new(), grpc_payload(mode, &empty))
            .await
            .unwrap_or_else(|e| panic!("{cell}: empty Echo: {e}"));
        assert_eq!(grpc_reply_json(&reply), empty, "{cell}: empty Echo");
        let err = client
            .unary(
                &format!("{GRPC_SERVICE}/Fail"),
                MetadataMap::new(),
                grpc_payload(mode, &serde_json::json!({"name": "boom"})),
            )
            .await
            .expect_err("Fail fails");
        // Kitex's gRPC server sends a handler's plain error as INTERNAL with
        // its biz-error mark appended.
        assert_eq!(
            (err.code(), err.message()),
            (Code::Internal, "requested failure: boom [biz error]"),
            "{cell}: Fail"
        );
        // The connection stays usable after a failed call.
        let (reply, _) = client
            .unary(&echo, MetadataMap::new(), grpc_payload(mode, &want))
            .await
            .unwrap_or_else(|e| panic!("{cell}: Echo after Fail: {e}"));
        assert_eq!(grpc_reply_json(&reply), want, "{cell}: Echo after Fail");
    }
}

#[tokio::test]
async fn interop_kitex_protobuf_grpc_client_to_anycall_grpc_server() {
    for mode in [GrpcMode::Json, GrpcMode::Binary, GrpcMode::Dynamic] {
        let server = GrpcServer::builder(pool())
            .mode(mode)
            .build(KitexInterop)
            .expect("grpc")
            .bind("127.0.0.1:0")
            .await
            .expect("bind");
        let cell = format!("Kitex gRPC client -> anycall gRPC {mode:?}");
        let lines = run_peer_client(
            kitex_peer(),
            "kitexpb-client",
            &[
                "--addr",
                &server.local_addr().to_string(),
                "--transport",
                "grpc",
            ],
            &cell,
        )
        .await;
        assert_eq!(cases_of(&lines), ["Echo", "Echo empty", "Fail"], "{cell}");
        server.shutdown().await;
    }
    // The same client on the Thrift server's port, where gRPC is detected.
    let server = start_anycall(GrpcMode::Dynamic).await;
    let cell = "Kitex gRPC client -> anycall shared port";
    let lines = run_peer_client(
        kitex_peer(),
        "kitexpb-client",
        &[
            "--addr",
            &server.local_addr().to_string(),
            "--transport",
            "grpc",
        ],
        cell,
    )
    .await;
    assert_eq!(cases_of(&lines), ["Echo", "Echo empty", "Fail"], "{cell}");
    server.shutdown().await;
}
