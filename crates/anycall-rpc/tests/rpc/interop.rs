//! The interop matrix against peers nobody here wrote: a Volo server and
//! client (Rust, generated code) and an Apache Thrift server and client
//! (Python). The peers are built by `scripts/interop-setup`; see
//! `interop/README.md` for their command lines.
//!
//! Peers are found through `INTEROP_VOLO_PEER`, `INTEROP_PYTHON_PEER` and
//! `INTEROP_PYTHON` (as printed by `scripts/interop-setup`), else at the
//! paths that script builds. A missing peer fails the test.
//!
//! Known peer faults: Volo's Compact encoding is broken (Volo cells use
//! Binary). Apache's THeader (0x0FFF) and multiplexed cells are in the
//! `apache` module.

use std::sync::Arc;
use std::time::Duration;

use anycall_rpc::{Client, Mode, Protocol, Server, ServerHandle, Transport};

use crate::common::{ClientMode, EchoService, echo_pool, keyed, run_script};
use crate::peers::{python_peer, run_client, start_server, volo_peer};

/// An anycall client for the interop script against `addr`.
pub(crate) fn script_client(addr: &str, transport: Transport, protocol: Protocol) -> Client {
    Client::builder(addr)
        .transport(transport)
        .protocol(protocol)
        .idl(echo_pool())
        .options(keyed())
        .rpc_timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// The anycall client in JSON, `Value` and binary modes against `addr`.
pub(crate) async fn anycall_client_cells(
    addr: &str,
    transport: Transport,
    protocol: Protocol,
    peer: &str,
) {
    let mut failures = Vec::new();
    for mode in ClientMode::ALL {
        let client = script_client(addr, transport, protocol);
        let event = format!(
            "anycall-{peer}-{transport}-{protocol:?}-{mode:?}-{}",
            std::process::id()
        );
        for f in run_script(&client, mode, protocol, &event, true).await {
            failures.push(format!(
                "anycall {mode:?} -> {peer} {transport} {protocol:?}: {f}"
            ));
        }
    }
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}

pub(crate) async fn anycall_server(mode: Mode) -> ServerHandle {
    Server::builder(mode)
        .idl(echo_pool())
        .bind("127.0.0.1:0", Arc::new(EchoService::default()))
        .await
        .unwrap()
}

// ---- anycall client -> Volo server (Binary) ----

async fn to_volo(transport: Transport) {
    let server = start_server(volo_peer(), &[]).await;
    anycall_client_cells(&server.addr, transport, Protocol::Binary, "volo").await;
}

#[tokio::test]
async fn anycall_client_to_volo_server_ttheader() {
    to_volo(Transport::TTHeader).await;
}

#[tokio::test]
async fn anycall_client_to_volo_server_ttheader_framed() {
    to_volo(Transport::TTHeaderFramed).await;
}

#[tokio::test]
async fn anycall_client_to_volo_server_framed() {
    to_volo(Transport::Framed).await;
}

#[tokio::test]
async fn anycall_client_to_volo_server_buffered() {
    to_volo(Transport::Buffered).await;
}

// ---- anycall client -> Apache Thrift Python server ----

async fn to_python(transport: Transport, protocol: Protocol) {
    let protocol_name = match protocol {
        Protocol::Binary => "binary",
        Protocol::Compact => "compact",
    };
    let server = start_server(
        python_peer(),
        &[
            "--transport",
            transport.as_str(),
            "--protocol",
            protocol_name,
        ],
    )
    .await;
    anycall_client_cells(&server.addr, transport, protocol, "python").await;
}

#[tokio::test]
async fn anycall_client_to_python_server_buffered_binary() {
    to_python(Transport::Buffered, Protocol::Binary).await;
}

#[tokio::test]
async fn anycall_client_to_python_server_buffered_compact() {
    to_python(Transport::Buffered, Protocol::Compact).await;
}

#[tokio::test]
async fn anycall_client_to_python_server_framed_binary() {
    to_python(Transport::Framed, Protocol::Binary).await;
}

#[tokio::test]
async fn anycall_client_to_python_server_framed_compact() {
    to_python(Transport::Framed, Protocol::Compact).await;
}

// ---- Volo client -> anycall server, in each server mode ----

async fn from_volo(transport: &str) {
    for mode in [Mode::Json, Mode::Value, Mode::Binary] {
        let server = anycall_server(mode).await;
        let addr = server.local_addr().to_string();
        let cell = format!("volo client {transport} -> anycall {mode:?} server");
        run_client(
            volo_peer(),
            &["--addr", &addr, "--transport", transport],
            &cell,
        )
        .await;
        assert_eq!(server.stats().bad_frames, 0, "{cell}");
    }
}

#[tokio::test]
async fn volo_client_to_anycall_server_ttheader() {
    from_volo("ttheader").await;
}

#[tokio::test]
async fn volo_client_to_anycall_server_framed() {
    from_volo("framed").await;
}

#[tokio::test]
async fn volo_client_to_anycall_server_buffered() {
    from_volo("buffered").await;
}

// ---- Apache Thrift Python client -> anycall server ----

async fn from_python(transport: &str, protocol: &str) {
    for mode in [Mode::Json, Mode::Value, Mode::Binary] {
        let server = anycall_server(mode).await;
        let addr = server.local_addr().to_string();
        let cell = format!("python client {transport} {protocol} -> anycall {mode:?} server");
        run_client(
            python_peer(),
            &[
                "--addr",
                &addr,
                "--transport",
                transport,
                "--protocol",
                protocol,
            ],
            &cell,
        )
        .await;
        assert_eq!(server.stats().bad_frames, 0, "{cell}");
    }
}

#[tokio::test]
async fn python_client_to_anycall_server_buffered_binary() {
    from_python("buffered", "binary").await;
}

#[tokio::test]
async fn python_client_to_anycall_server_buffered_compact() {
    from_python("buffered", "compact").await;
}

#[tokio::test]
async fn python_client_to_anycall_server_framed_binary() {
    from_python("framed", "binary").await;
}

#[tokio::test]
async fn python_client_to_anycall_server_framed_compact() {
    from_python("framed", "compact").await;
}
