//! Each error owns its status and a JSON body naming the field.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use anycall_gateway::{Backend, Gateway, HttpLimits};
use bytes::Bytes;
use serde_json::json;

use super::support::{call, client, error_of, gateway, pool, request, upstream};

#[tokio::test]
async fn no_route_is_404_and_wrong_method_is_405_with_allow() {
    let (gw, up) = gateway("gateway/all.thrift").await;
    let a = call(&gw, "GET", "/nowhere", &[], "").await;
    assert_eq!((a.status.as_u16(), error_of(&a).0), (404, "not_found"));
    let a = call(&gw, "POST", "/str", &[], "").await;
    assert_eq!(
        (a.status.as_u16(), error_of(&a).0),
        (405, "method_not_allowed")
    );
    assert_eq!(a.headers["allow"], "GET");
    // No HEAD → GET fallback, as in Kitex.
    let a = call(&gw, "HEAD", "/str", &[], "").await;
    assert_eq!(a.status, 405);
    let a = call(&gw, "PATCH", "/all/1", &[], "").await;
    let allow = a.headers["allow"].to_str().unwrap();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    assert_eq!(up.rec.count(), 0, "no error reached the upstream");
}

#[tokio::test]
async fn bad_text_values_are_400_naming_field_and_source() {
    let (gw, up) = gateway("gateway/all.thrift").await;
    for (uri, headers, field, needle) in [
        ("/all/1?q=abc", vec![], "q_i64", "query parameter \"q\""),
        ("/all/1?q=1.5", vec![], "q_i64", "not an integer"),
        ("/all/1?tiny=300", vec![], "tiny", "out of range for byte"),
        ("/all/1?ql=1,x", vec![], "q_list", "\"x\""),
        ("/all/1?flag=yes", vec![], "flag", "not a bool"),
        ("/all/1?d=NaN", vec![], "d", "finite"),
        ("/all/99999999999", vec![], "p", "path parameter \"p\""),
        (
            "/all/1",
            vec![("token", "x")],
            "common.token",
            "header \"token\"",
        ),
        ("/all/1?color=PURPLE", vec![], "color", "PURPLE"),
    ] {
        let a = call(&gw, "GET", uri, &headers, "").await;
        assert_eq!(a.status, 400, "{uri}: {:?}", a.body);
        let (code, f) = error_of(&a);
        assert_eq!(code, "bad_request");
        assert!(f.is_some_and(|f| f.ends_with(field)), "{uri}: field {f:?}");
        let msg = a.body["error"]["message"].as_str().unwrap();
        assert!(msg.contains(needle), "{uri}: {msg}");
    }
    assert_eq!(up.rec.count(), 0);
}

#[tokio::test]
async fn bodies_that_are_not_objects_or_not_json_are_400() {
    let (gw, _up) = gateway("gateway/all.thrift").await;
    for path in ["/plain", "/all/1"] {
        for body in ["[1,2]", "\"s\"", "42", "null", "true"] {
            let a = call(&gw, "POST", path, &[], body).await;
            assert_eq!(a.status, 400, "{path} {body}");
            let msg = a.body["error"]["message"].as_str().unwrap();
            assert!(
                msg.contains("must be a JSON object"),
                "{path} {body}: {msg}"
            );
        }
        let a = call(&gw, "POST", path, &[], r#"{"plain": "#).await;
        assert_eq!(
            (a.status.as_u16(), error_of(&a).0),
            (400, "bad_request"),
            "{path}"
        );
    }
    let a = call(&gw, "POST", "/all/1", &[], r#"{"inner": [1]}"#).await;
    assert_eq!(error_of(&a), ("bad_request", Some("inner")));
}

#[tokio::test]
async fn values_that_do_not_fit_the_idl_are_400_naming_the_field() {
    let (gw, _up) = gateway("gateway/all.thrift").await;
    let a = call(&gw, "POST", "/plain", &[], r#"{"ID": "x"}"#).await;
    assert_eq!(a.status, 400);
    assert!(
        error_of(&a).1.is_some_and(|f| f.eq_ignore_ascii_case("id")),
        "{:?}",
        a.body
    );
    let a = call(&gw, "POST", "/required", &[], r#"{"nums": [1]}"#).await;
    assert_eq!(error_of(&a), ("bad_request", Some("must")));
    let a = call(
        &gw,
        "POST",
        "/required",
        &[],
        r#"{"must": 1, "nums": [1, "z"]}"#,
    )
    .await;
    assert_eq!(error_of(&a), ("bad_request", Some("nums[1]")));
    let a = call(
        &gw,
        "POST",
        "/all/1",
        &[],
        r#"{"nested_plain": {"ID": []}}"#,
    )
    .await;
    assert!(
        error_of(&a)
            .1
            .is_some_and(|f| f.starts_with("nested_plain.")),
        "{:?}",
        a.body
    );
    // api.patch routes (Kitex registers none).
    let a = call(&gw, "PATCH", "/required", &[], r#"{"must": 1}"#).await;
    assert_eq!(a.status, 201);
}

#[tokio::test]
async fn body_over_the_limit_is_413_and_other_media_types_415() {
    let pool = pool("gateway/all.thrift");
    let up = upstream(pool.clone()).await;
    let limits = HttpLimits {
        max_body: 16,
        ..HttpLimits::default()
    };
    let gw = Gateway::builder()
        .backend(Backend::new(pool, client(&up.addr)))
        .limits(limits)
        .build()
        .unwrap();
    let big = r#"{"text": "more than sixteen bytes"}"#;
    let a = call(&gw, "POST", "/plain", &[], big).await;
    assert_eq!((a.status.as_u16(), error_of(&a).0), (413, "body_too_large"));
    // Through the streaming entry point, with and without a content length.
    let resp = gw
        .handle_http(request("POST", "/plain", &[], big).map(http_body_util::Full::new))
        .await;
    assert_eq!(resp.status(), 413);
    let resp = gw
        .handle_http(
            request("POST", "/plain", &[("content-length", "100000")], "{}")
                .map(http_body_util::Full::new),
        )
        .await;
    assert_eq!(resp.status(), 413);
    let a = call(
        &gw,
        "POST",
        "/plain",
        &[("content-type", "text/plain")],
        "{}",
    )
    .await;
    assert_eq!(
        (a.status.as_u16(), error_of(&a).0),
        (415, "unsupported_media_type")
    );
    assert_eq!(up.rec.count(), 0);
}

/// A body that never sends anything.
struct Stalled;

impl http_body::Body for Stalled {
    type Data = Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        Poll::Pending
    }
}

#[tokio::test]
async fn a_body_slower_than_the_request_timeout_is_408() {
    let pool = pool("gateway/all.thrift");
    let up = upstream(pool.clone()).await;
    let gw = Gateway::builder()
        .backend(Backend::new(pool, client(&up.addr)))
        .limits(HttpLimits {
            request_timeout: Duration::from_millis(100),
            ..HttpLimits::default()
        })
        .build()
        .unwrap();
    let req = http::Request::builder()
        .method("POST")
        .uri("/plain")
        .body(Stalled)
        .unwrap();
    let resp = tokio::time::timeout(Duration::from_secs(5), gw.handle_http(req))
        .await
        .expect("answers within 5 s");
    assert_eq!(resp.status(), 408);
}

#[tokio::test]
async fn upstream_failures_are_502_and_504() {
    let (gw, _up) = gateway("gateway/all.thrift").await;
    let a = call(&gw, "GET", "/fail?id=slow", &[], "").await;
    assert_eq!(
        (a.status.as_u16(), error_of(&a).0),
        (504, "upstream_timeout")
    );
    let a = call(&gw, "GET", "/fail?id=app", &[], "").await;
    assert_eq!(
        (a.status.as_u16(), error_of(&a).0),
        (502, "application_exception")
    );
    assert_eq!(a.body["error"]["type"], 6, "INTERNAL_ERROR");
    assert!(
        a.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("kaput")
    );
    let a = call(&gw, "GET", "/fail?id=badcode", &[], "").await;
    assert_eq!((a.status.as_u16(), error_of(&a).0), (500, "bad_response"));

    // Nothing listens on the upstream port.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let gw = Gateway::builder()
        .backend(Backend::new(pool("gateway/all.thrift"), client(&closed)))
        .build()
        .unwrap();
    let a = call(&gw, "GET", "/str", &[], "").await;
    assert_eq!(
        (a.status.as_u16(), error_of(&a).0),
        (502, "upstream_unavailable")
    );
}

#[tokio::test]
async fn declared_exceptions_render_their_fields_with_their_http_code_else_500() {
    let (gw, _up) = gateway("gateway/all.thrift").await;
    let a = call(&gw, "GET", "/fail?id=nf", &[], "").await;
    assert_eq!(a.status, 404);
    assert_eq!(a.body, json!({"msg": "missing"}));
    assert_eq!(a.headers["x-why"], "gone");
    assert_eq!(a.headers["anycall-exception"], "nf");
    let a = call(&gw, "GET", "/fail?id=nf-nocode", &[], "").await;
    assert_eq!(
        (a.status.as_u16(), a.body.clone()),
        (500, json!({"msg": "missing"}))
    );
    let a = call(&gw, "GET", "/fail?id=boom", &[], "").await;
    assert_eq!(
        (a.status.as_u16(), a.body.clone()),
        (500, json!({"msg": "bang"}))
    );
    assert_eq!(a.headers["anycall-exception"], "boom");
}

#[tokio::test]
async fn biz_status_errors_take_their_code_as_status_when_it_is_an_error_status() {
    let (gw, _up) = gateway("gateway/all.thrift").await;
    let a = call(&gw, "GET", "/fail?id=biz", &[], "").await;
    assert_eq!(a.status, 429);
    assert_eq!(
        a.body,
        json!({"error": {"code": "biz_status", "message": "slow down", "biz_code": 429,
                          "extra": {"retry": "1s"}}})
    );
    let a = call(&gw, "GET", "/fail?id=biz-odd", &[], "").await;
    assert_eq!((a.status.as_u16(), error_of(&a).0), (500, "biz_status"));
    assert_eq!(a.body["error"]["biz_code"], 7);
}
