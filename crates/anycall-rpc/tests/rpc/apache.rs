//! The Apache side of the interop matrix: Apache THeader (magic 0x0FFF,
//! binary and compact inside, string headers, zlib) and TMultiplexedProtocol
//! (`Service:method`) against Apache Thrift's Python `THeaderProtocol`,
//! `TMultiplexedProtocol` and `TMultiplexedProcessor` (`interop/python/peer.py`,
//! PyPI thrift 0.25.0).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anycall_codec::call::Reply;
use anycall_idl::Pool;
use anycall_rpc::{
    Client, Context, Handler, HandlerError, Mode, Payload, Protocol, Request, Server, ServerHandle,
    Transport,
};

use crate::common::{ClientMode, EchoService, echo_pool, keyed, repo_root, run_script};
use crate::interop::{anycall_client_cells, anycall_server};
use crate::peers::{python_peer, run_client, start_server};

fn protocol_name(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Binary => "binary",
        Protocol::Compact => "compact",
    }
}

/// `testdata/interop/multi.thrift`: `MirrorService` beside `EchoService`,
/// both with `Add` and `Check`, so only the service name routes them.
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

// ---- anycall client -> Apache Python server ----

async fn to_python_theader(protocol: Protocol, zlib: bool) {
    let mut args = vec![
        "--transport",
        "theader",
        "--protocol",
        protocol_name(protocol),
    ];
    if zlib {
        args.push("--zlib");
    }
    let server = start_server(python_peer(), &args).await;
    anycall_client_cells(&server.addr, Transport::THeader, protocol, "python").await;

    // Transient metainfo travels as plain headers; the peer answers each
    // header `k` with `seen-k`, which comes back as backward metainfo.
    let client = Client::builder(&server.addr)
        .transport(Transport::THeader)
        .protocol(protocol)
        .idl(echo_pool())
        .options(keyed())
        .build()
        .unwrap();
    let resp = client
        .call(Request::json("Add", r#"{"a": 40, "b": 2}"#).transient("trace", "t-1"))
        .await
        .unwrap();
    assert_eq!(resp.reply, Reply::Success(Payload::Json("42".to_owned())));
    assert_eq!(
        resp.backward.get("seen-trace").map(String::as_str),
        Some("t-1"),
        "{:?}",
        resp.backward
    );
}

#[tokio::test]
async fn anycall_client_to_python_server_theader_binary() {
    to_python_theader(Protocol::Binary, false).await;
}

#[tokio::test]
async fn anycall_client_to_python_server_theader_compact() {
    to_python_theader(Protocol::Compact, false).await;
}

#[tokio::test]
async fn anycall_client_reads_zlib_replies_of_the_python_server() {
    to_python_theader(Protocol::Compact, true).await;
}

async fn to_python_multiplexed(transport: Transport, protocol: Protocol) {
    let server = start_server(
        python_peer(),
        &[
            "--transport",
            transport.as_str(),
            "--protocol",
            protocol_name(protocol),
            "--multiplexed",
        ],
    )
    .await;
    let mut failures = Vec::new();
    for mode in ClientMode::ALL {
        let client = Client::builder(&server.addr)
            .transport(transport)
            .protocol(protocol)
            .idl(echo_pool())
            .service("EchoService")
            .multiplexed(true)
            .options(keyed())
            .rpc_timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let event = format!("anycall-mux-{transport}-{mode:?}-{}", std::process::id());
        failures.extend(
            run_script(&client, mode, protocol, &event, true)
                .await
                .into_iter()
                .map(|f| format!("{mode:?} multiplexed {transport}: {f}")),
        );
    }
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    // The control: without the service name the multiplexed processor
    // refuses the call (Apache drops the connection).
    let plain = Client::builder(&server.addr)
        .transport(transport)
        .protocol(protocol)
        .idl(echo_pool())
        .options(keyed())
        .build()
        .unwrap();
    let err = plain.call_json("Ping", b"{}").await.unwrap_err();
    assert!(err.is_io() || err.is_protocol(), "{err:#}");
}

#[tokio::test]
async fn anycall_multiplexed_client_to_python_multiplexed_server_framed() {
    to_python_multiplexed(Transport::Framed, Protocol::Binary).await;
}

#[tokio::test]
async fn anycall_multiplexed_client_to_python_multiplexed_server_theader_compact() {
    to_python_multiplexed(Transport::THeader, Protocol::Compact).await;
}

// ---- Apache Python client -> anycall server ----

async fn from_python(server: &ServerHandle, args: &[&str], cell: &str) {
    let addr = server.local_addr().to_string();
    let mut all = vec!["--addr", addr.as_str()];
    all.extend_from_slice(args);
    run_client(python_peer(), &all, cell).await;
    assert_eq!(server.stats().bad_frames, 0, "{cell}");
}

async fn from_python_theader(protocol: &str, zlib: bool) {
    for mode in [Mode::Json, Mode::Value, Mode::Binary] {
        let server = anycall_server(mode).await;
        let mut args = vec!["--transport", "theader", "--protocol", protocol];
        if zlib {
            args.push("--zlib");
        }
        let cell = format!("python client theader {protocol} zlib={zlib} -> anycall {mode:?}");
        from_python(&server, &args, &cell).await;
    }
}

#[tokio::test]
async fn python_client_to_anycall_server_theader_binary() {
    from_python_theader("binary", false).await;
}

#[tokio::test]
async fn python_client_to_anycall_server_theader_compact() {
    from_python_theader("compact", false).await;
}

#[tokio::test]
async fn python_client_with_zlib_to_anycall_server_theader() {
    from_python_theader("binary", true).await;
}

/// The echo service, refusing calls routed to any service but `EchoService`.
#[derive(Debug, Default)]
struct OnlyEcho(EchoService);

impl Handler for OnlyEcho {
    async fn call(
        &self,
        ctx: &mut Context,
        method: &str,
        payload: Payload,
    ) -> Result<Reply<Payload>, HandlerError> {
        if ctx.service() != Some("EchoService") {
            return Err(HandlerError::new(format!(
                "routed to {:?}, not EchoService",
                ctx.service()
            )));
        }
        self.0.call(ctx, method, payload).await
    }
}

async fn multi_server(mode: Mode) -> ServerHandle {
    Server::builder(mode)
        .idl(multi_pool())
        .bind("127.0.0.1:0", Arc::new(OnlyEcho::default()))
        .await
        .unwrap()
}

async fn from_python_multiplexed(transport: &str, protocol: &str) {
    for mode in [Mode::Json, Mode::Value, Mode::Binary] {
        let server = multi_server(mode).await;
        let cell = format!("python multiplexed client {transport} {protocol} -> anycall {mode:?}");
        from_python(
            &server,
            &[
                "--transport",
                transport,
                "--protocol",
                protocol,
                "--multiplexed",
            ],
            &cell,
        )
        .await;
    }
}

#[tokio::test]
async fn python_multiplexed_client_to_anycall_server_framed() {
    from_python_multiplexed("framed", "binary").await;
}

#[tokio::test]
async fn python_multiplexed_client_to_anycall_server_theader_compact() {
    from_python_multiplexed("theader", "compact").await;
}

/// Without the service name, `Add` is in both services of multi.thrift;
/// `Service:method` picks one, and an unknown service is named.
#[tokio::test]
async fn multiplexed_names_route_by_service() {
    let server = multi_server(Mode::Json).await;
    let addr = server.local_addr().to_string();
    let client = |multiplexed: bool, service: &str| {
        Client::builder(&addr)
            .idl(multi_pool())
            .service(service)
            .multiplexed(multiplexed)
            .options(keyed())
            .build()
            .unwrap()
    };
    let routed = client(true, "EchoService")
        .call_json("Add", br#"{"a": 40, "b": 2}"#)
        .await
        .unwrap();
    assert_eq!(routed, Reply::Success("42".to_owned()));
    let ambiguous = client(false, "EchoService")
        .call_json("Add", br#"{"a": 40, "b": 2}"#)
        .await
        .unwrap_err();
    assert!(
        format!("{ambiguous:#}").contains("in several services"),
        "{ambiguous:#}"
    );
    let mirror = client(true, "MirrorService")
        .call_json("Add", br#"{"a": 40, "b": 2}"#)
        .await
        .unwrap_err();
    assert!(
        format!("{mirror:#}").contains("routed to Some(\"MirrorService\")"),
        "{mirror:#}"
    );
}

/// A served subset: a multiplexed name of a service left out is named.
#[tokio::test]
async fn multiplexed_name_of_an_unserved_service_is_unknown() {
    let server = Server::builder(Mode::Json)
        .idl(multi_pool())
        .services(["EchoService"])
        .bind("127.0.0.1:0", Arc::new(OnlyEcho::default()))
        .await
        .unwrap();
    let err = Client::builder(server.local_addr().to_string())
        .idl(multi_pool())
        .service("MirrorService")
        .multiplexed(true)
        .options(keyed())
        .build()
        .unwrap()
        .call_json("Check", br#"{"s": "x"}"#)
        .await
        .unwrap_err();
    assert!(err.is_application(), "{err:#}");
    assert!(
        format!("{err:#}").contains(
            "unknown service `MirrorService` in the multiplexed name `MirrorService:Check`"
        ),
        "{err:#}"
    );
}

// ---- CALL for a oneway method, ONEWAY for a two-way one ----

/// A framed strict-binary message for `method` of the echo IDL with its
/// message type byte replaced by `message_type`.
fn framed_message(method: &str, args: &[u8], seq: i32, message_type: u8) -> Vec<u8> {
    let pool = echo_pool();
    let desc = crate::common::method(&pool, method);
    let mut msg = bytes::BytesMut::new();
    anycall_codec::call::encode_call_json(desc, args, seq, Protocol::Binary, &keyed(), &mut msg)
        .unwrap();
    msg[3] = message_type;
    let mut out = u32::try_from(msg.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(&msg);
    out
}

/// As Apache's processors (Python, C++, Java) do, the IDL decides: a CALL of
/// oneway `Fire` is run and gets no reply; a ONEWAY of two-way `Add` is
/// answered with a REPLY.
#[tokio::test]
async fn the_idl_not_the_message_type_decides_whether_a_reply_is_sent() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let service = Arc::new(EchoService::default());
    let server = Server::builder(Mode::Json)
        .idl(echo_pool())
        .bind("127.0.0.1:0", Arc::clone(&service))
        .await
        .unwrap();
    let mut stream = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    let mut out = framed_message("Fire", br#"{"event": "called"}"#, 1, 1);
    out.extend(framed_message("Add", br#"{"a": 40, "b": 2}"#, 2, 4));
    stream.write_all(&out).await.unwrap();
    let mut len = [0u8; 4];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut len))
        .await
        .expect("a reply within 10 s")
        .unwrap();
    let mut reply = vec![0u8; u32::from_be_bytes(len) as usize];
    stream.read_exact(&mut reply).await.unwrap();
    let (header, _) = anycall_codec::thrift::read_message_header(
        Protocol::Binary,
        &reply,
        &anycall_codec::Limits::default(),
    )
    .unwrap();
    assert_eq!(
        (header.name, header.message_type, header.seq_id),
        ("Add", anycall_codec::thrift::MessageType::Reply, 2),
        "the first reply answers the ONEWAY Add, none came for the CALL of Fire"
    );
    assert_eq!(
        *service.fired.lock().unwrap(),
        vec!["called".to_owned()],
        "the CALL of Fire was run"
    );
}

/// Apache's multiplexed client through `anycall proxy` to Apache's
/// multiplexed server: the `Service:method` name is forwarded as it came,
/// and the reply's bare name is taken as its answer.
#[tokio::test]
async fn python_multiplexed_client_through_the_proxy_to_python_multiplexed_server() {
    let upstream = start_server(
        python_peer(),
        &[
            "--transport",
            "framed",
            "--protocol",
            "binary",
            "--multiplexed",
        ],
    )
    .await;
    let proxy = anycall_rpc::Proxy::builder(upstream.addr.clone())
        .upstream_transport(Transport::Framed)
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    from_python(
        &proxy,
        &[
            "--transport",
            "framed",
            "--protocol",
            "binary",
            "--multiplexed",
        ],
        "python multiplexed client -> anycall proxy -> python multiplexed server",
    )
    .await;
    assert_eq!(proxy.stats().errors, 0, "{:?}", proxy.stats());
}
