//! The forwarding proxy: any inbound transport to any upstream transport.

use std::sync::Arc;

use anycall_codec::call::Reply;
use anycall_rpc::{
    Client, Mode, Payload, Protocol, Proxy, Request, Server, Transport, UPSTREAM_TRANSPORT_FAILURE,
};

use crate::common::{ClientMode, EchoService, echo_pool, keyed, run_script};

#[tokio::test]
async fn proxy_forwards_every_inbound_transport_to_every_upstream_transport() {
    let upstream = Server::builder(Mode::Value)
        .idl(echo_pool())
        .bind("127.0.0.1:0", Arc::new(EchoService::default()))
        .await
        .unwrap();
    let mut failures = Vec::new();
    for upstream_transport in Transport::ALL {
        let proxy = Proxy::builder(upstream.local_addr().to_string())
            .upstream_transport(upstream_transport)
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        for inbound in Transport::ALL {
            let protocols: &[Protocol] = if upstream_transport == Transport::Framed {
                &[Protocol::Binary, Protocol::Compact]
            } else {
                &[Protocol::Binary]
            };
            for &protocol in protocols {
                for mode in [ClientMode::Json, ClientMode::Binary] {
                    let client = Client::builder(proxy.local_addr().to_string())
                        .transport(inbound)
                        .protocol(protocol)
                        .idl(echo_pool())
                        .options(keyed())
                        .build()
                        .unwrap();
                    let event =
                        format!("proxy-{upstream_transport}-{inbound}-{protocol:?}-{mode:?}");
                    for f in run_script(&client, mode, protocol, &event, true).await {
                        failures.push(format!(
                            "{inbound} -> proxy -> {upstream_transport} {protocol:?}: {f}"
                        ));
                    }
                }
            }
        }
        proxy.shutdown().await;
    }
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}

#[tokio::test]
async fn proxy_passes_persistent_metainfo_on_and_backward_values_back() {
    let upstream = Server::builder(Mode::Json)
        .idl(echo_pool())
        .bind("127.0.0.1:0", EchoService::default())
        .await
        .unwrap();
    let proxy = Proxy::builder(upstream.local_addr().to_string())
        .upstream_transport(Transport::TTHeaderFramed)
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let client = Client::builder(proxy.local_addr().to_string())
        .transport(Transport::TTHeader)
        .idl(echo_pool())
        .build()
        .unwrap();
    let response = client
        .call(
            Request::json("Add", r#"{"a": 2, "b": 3}"#)
                .transient("echo-backward", "for-the-proxy")
                .persistent("echo-backward", "via-proxy"),
        )
        .await
        .unwrap();
    assert_eq!(response.reply, Reply::Success(Payload::Json("5".into())));
    // Transient values go one hop: the proxy is that hop.
    assert_eq!(response.backward.get("echoed"), None);
    assert_eq!(
        response
            .backward
            .get("echoed-persistent")
            .map(String::as_str),
        Some("via-proxy")
    );
}

#[tokio::test]
async fn proxy_reports_a_dead_upstream_as_an_application_exception() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = listener.local_addr().unwrap();
    drop(listener);
    let proxy = Proxy::builder(dead.to_string())
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let client = Client::builder(proxy.local_addr().to_string())
        .idl(echo_pool())
        .build()
        .unwrap();
    let err = client.call_json("Ping", b"{}").await.unwrap_err();
    let ex = err.application().expect("application exception");
    assert_eq!(ex.kind().code(), 6);
    let want = format!("{UPSTREAM_TRANSPORT_FAILURE}: cannot connect");
    assert!(ex.message().starts_with(&want), "{ex}");
    let text = proxy.registry().render();
    assert!(
        text.contains("anycall_server_errors_total{method=\"Ping\",kind=\"upstream\"} 1"),
        "{text}"
    );
    // Oneway calls are not answered even then.
    assert_eq!(
        client
            .call_json("Fire", br#"{"event": "x"}"#)
            .await
            .unwrap(),
        Reply::Void
    );
    assert_eq!(
        client
            .call_json("Ping", b"{}")
            .await
            .unwrap_err()
            .application()
            .unwrap()
            .kind()
            .code(),
        6
    );
}
