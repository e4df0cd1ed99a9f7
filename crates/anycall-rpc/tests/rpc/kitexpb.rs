//! Kitex Protobuf (non-gRPC, spec wire-format §5): anycall's client and the
//! Thrift server's port against Kitex's generated protobuf server and client
//! (`kitex-peer kitexpb-server|kitexpb-client`), and against each other.

use std::sync::OnceLock;
use std::time::Duration;

use anycall_codec::frame::Transport;
use anycall_codec::proto::{ProtoOptions, bytes_to_json, json_to_bytes};
use anycall_codec::thrift::exception::{TApplicationException, TApplicationExceptionType};
use anycall_idl::proto::{DescriptorPool, ProtoLoader};
use anycall_rpc::grpc::kitexpb::KitexPbClient;
use anycall_rpc::grpc::{
    GrpcCall, GrpcHandler, GrpcMode, GrpcReply, GrpcServer, MessageStream, Status,
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
