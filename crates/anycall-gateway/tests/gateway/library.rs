//! The library shapes: `tower_service::Service`, and `prepare` /
//! `render_reply` around a transport of the caller's own.

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use serde_json::json;
use tower_service::Service as _;

use super::support::{client, gateway, request};

#[tokio::test]
async fn gateway_is_a_tower_service() {
    let (mut gw, up) = gateway("gateway/all.thrift").await;
    std::future::poll_fn(|cx| {
        tower_service::Service::<http::Request<Full<Bytes>>>::poll_ready(&mut gw, cx)
    })
    .await
    .unwrap();
    let req = http::Request::builder()
        .method("POST")
        .uri("/plain")
        .body(Full::new(Bytes::from_static(br#"{"ID": 9}"#)))
        .unwrap();
    let resp = gw.call(req).await.unwrap();
    assert_eq!(resp.status(), 201);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["bee"], "body-b");
    assert_eq!(up.rec.last().1, json!({"ID": 9}));
}

#[tokio::test]
async fn prepare_and_render_reply_around_an_own_transport() {
    let (gw, up) = gateway("gateway/all.thrift").await;
    let call = gw.prepare(&request("GET", "/r/x?id=7", &[], "")).unwrap();
    assert_eq!(call.method(), "AllService.Param");
    assert_eq!(
        &call.message()[..4],
        &[0x80, 0x01, 0x00, 0x01],
        "a strict binary CALL"
    );
    let reply = client(&up.addr)
        .call_binary(call.message().clone())
        .await
        .unwrap();
    let resp = gw.render_reply(&call, &reply).unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["x-out"], "hv");
    assert_eq!(up.rec.last().1, json!({"id": "7", "pid": "x"}));
    let e = gw.prepare(&request("GET", "/nope", &[], "")).unwrap_err();
    assert_eq!((e.status().as_u16(), e.code()), (404, "not_found"));
}
