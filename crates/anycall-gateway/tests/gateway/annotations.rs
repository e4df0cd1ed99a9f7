//! Every field annotation of spec §D, request and response, and the seed's
//! BizService example as written.

use base64::Engine as _;
use serde_json::json;

use super::support::{call, gateway};

#[tokio::test]
async fn seed_biz_request_as_written() {
    let (gw, up) = gateway("gateway/biz.thrift").await;
    let body = r#"{"text":"text","some":{"id":1,"text":"text"},"req_items_map":{"1":{"id":1,"text":"text"}}}"#;
    let a = call(
        &gw,
        "GET",
        "http://example.com/life/client/1/1?v_int64=1&req_items=item1,item2,itme3&cids=1,2,3&vids=1,2,3",
        &[("token", "1")],
        body,
    )
    .await;
    let (method, args) = up.rec.last();
    assert_eq!(method, "BizMethod1");
    assert_eq!(
        args,
        json!({
            "v_int64": 1, "text": "text", "token": 1,
            "req_items_map": {"1": {"id": 1, "text": "text"}},
            "some": {"id": 1, "text": "text"},
            "req_items": ["item1", "item2", "itme3"],
            "api_version": 1, "uid": 1,
            "cids": [1, 2, 3], "vids": ["1", "2", "3"]
        })
    );
    // Response: api.http_code is the status, api.header fields are headers
    // (lists comma-joined), api.none is dropped, api.body keys are the body.
    assert_eq!(a.status, 202);
    assert_eq!(a.headers["t"], "t-val");
    assert_eq!(a.headers["item_count"], "1,2,3");
    assert_eq!(
        a.body,
        json!({"rsp_items": {"1": {"item_id": 1, "text": "x"}}, "rsp_item_list": [{"item_id": 2}]})
    );
}

#[tokio::test]
async fn seed_biz_form_and_json_methods() {
    let (gw, up) = gateway("gateway/biz.thrift").await;
    let a = call(
        &gw,
        "POST",
        "/life/client/2/3",
        &[("content-type", "application/x-www-form-urlencoded")],
        "text=hello+form",
    )
    .await;
    assert_eq!(a.status, 202);
    let (method, args) = up.rec.last();
    assert_eq!(method, "BizMethod2");
    assert_eq!(
        args,
        json!({"text": "hello form", "api_version": 2, "uid": 3})
    );
    call(
        &gw,
        "POST",
        "/life/client/2/3/other",
        &[],
        r#"{"text":"j"}"#,
    )
    .await;
    let (method, args) = up.rec.last();
    assert_eq!(method, "BizMethod3");
    assert_eq!(args, json!({"text": "j", "api_version": 2, "uid": 3}));
}

#[tokio::test]
async fn every_request_annotation() {
    let (gw, up) = gateway("gateway/all.thrift").await;
    let uri = "/all/7?q=5&ql=1,2&ql=3&flag=true&d=1.5&tags=a,b&tiny=-3&color=GREEN\
               &api_version=9&inner_q=iq&agw_q=aq";
    let body = r#"{"bee":"bb","js":"9007199254740993","skipped":"no","plain":"pl","ali":"al",
                   "inner":{"name":"n"},"nested_plain":{"ID":3,"text":"t"},"unknown":[1]}"#;
    let a = call(
        &gw,
        "POST",
        uri,
        &[
            ("x-thing", "xt"),
            ("cookie", "other=x; sess=s1"),
            ("token", "11"),
        ],
        body,
    )
    .await;
    assert_eq!(a.status, 201, "{:?}", a.body);
    let (method, args) = up.rec.last();
    assert_eq!(method, "All");
    assert_eq!(
        args,
        json!({
            "q_i64": 5, "q_list": [1, 2, 3], "h": "xt", "c": "s1", "b": "bb", "p": 7,
            "js": 9_007_199_254_740_993_i64, "plain": "pl", "ali": "al",
            "common": {"api_version": 9, "token": 11},
            "common2": {"api_version": 9, "token": 11},
            "inner": {"q": "iq", "name": "n"},
            "flag": true, "d": 1.5, "tags": ["a", "b"], "tiny": -3, "uri": uri,
            "color": 2, "agw_q": "aq", "nested_plain": {"ID": 3, "text": "t"}
        })
    );
}

#[tokio::test]
async fn every_response_annotation() {
    let (gw, _up) = gateway("gateway/all.thrift").await;
    let a = call(&gw, "GET", "/all/1", &[], "").await;
    assert_eq!(a.status, 201);
    assert_eq!(a.headers["x-out"], "hv");
    assert_eq!(a.headers["x-list"], "1,2,3");
    assert_eq!(a.headers["set-cookie"], "sid=abc");
    assert_eq!(a.headers["agw_h"], "g");
    assert_eq!(
        a.body,
        json!({"bee": "body-b", "big": "9007199254740993", "plain": "p", "ali": "a",
               "nested": {"ID": 5, "text": "t"}})
    );
}

#[tokio::test]
async fn sources_fall_back_to_the_body_and_empty_values_are_absent() {
    let (gw, up) = gateway("gateway/all.thrift").await;
    call(
        &gw,
        "GET",
        "/all/1?q=&tiny=",
        &[("x-thing", "")],
        r#"{"q_i64": 4, "h": "from-body"}"#,
    )
    .await;
    let (_, args) = up.rec.last();
    assert_eq!(
        args,
        json!({"q_i64": 4, "h": "from-body", "p": 1, "uri": "/all/1?q=&tiny="})
    );
}

#[tokio::test]
async fn form_fields_and_form_bodies() {
    let (gw, up) = gateway("gateway/all.thrift").await;
    call(
        &gw,
        "POST",
        "/all/3",
        &[(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )],
        "ff=form%20v&bee=fb&plain=fp&tags=x",
    )
    .await;
    let (_, args) = up.rec.last();
    assert_eq!(
        args,
        json!({"f": "form v", "b": "fb", "plain": "fp", "p": 3, "uri": "/all/3", "tags": ["x"]})
    );
}

#[tokio::test]
async fn raw_body_and_raw_uri() {
    let (gw, up) = gateway("gateway/all.thrift").await;
    call(
        &gw,
        "POST",
        "/raw?id=7",
        &[("content-type", "text/plain")],
        "not { json",
    )
    .await;
    assert_eq!(up.rec.last().1, json!({"raw": "not { json", "id": "7"}));
    let bytes = "\u{1}\u{2}binary\u{ff}";
    call(
        &gw,
        "PUT",
        "/rawbin",
        &[("content-type", "application/octet-stream")],
        bytes,
    )
    .await;
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes.as_bytes());
    assert_eq!(up.rec.last().1, json!({"raw": b64}));
}

#[tokio::test]
async fn plain_bodies_pass_through_and_other_returns() {
    let (gw, up) = gateway("gateway/all.thrift").await;
    let a = call(
        &gw,
        "POST",
        "/plain",
        &[],
        r#" {"ID": 1, "text": "x", "unknown": {"a": 1}}"#,
    )
    .await;
    assert_eq!(a.status, 201);
    assert_eq!(
        up.rec.last(),
        ("Echo".to_owned(), json!({"ID": 1, "text": "x"}))
    );
    let a = call(&gw, "GET", "/str", &[], "").await;
    assert_eq!((a.status.as_u16(), a.body.clone()), (200, json!("hello")));
    let a = call(&gw, "DELETE", "/nothing", &[], "").await;
    assert_eq!((a.status.as_u16(), a.body.clone()), (200, json!({})));
    let a = call(&gw, "GET", "/noargs", &[], "").await;
    assert_eq!((a.status.as_u16(), a.body.clone()), (200, json!({})));
    assert_eq!(up.rec.last(), ("NoArgs".to_owned(), json!({})));
}

#[tokio::test]
async fn bodies_are_read_for_get_too() {
    let (gw, up) = gateway("gateway/all.thrift").await;
    call(&gw, "GET", "/all/2", &[], r#"{"plain": "in a GET"}"#).await;
    assert_eq!(up.rec.last().1["plain"], "in a GET");
}

#[tokio::test]
async fn custom_annotations_map_to_built_in_mappings() {
    use anycall_gateway::{Backend, Gateway, Mapping};

    let pool = anycall_idl::Pool::from_source(
        "custom.thrift",
        "struct CommonParam {
             1: optional i64 api_version (my.q = 'api_version')
             2: optional i32 token (my.h = 'token')
         }
         struct Request {
             1: optional i64 v_int64 (my.q = 'v_int64')
             2: optional CommonParam common_param (my.source = 'params')
             3: optional string secret (my.drop = '')
         }
         service S { Request Get(1: Request req) (api.get = '/custom') }",
    )
    .unwrap();
    let up = super::support::upstream(pool.clone()).await;
    let gw = Gateway::builder()
        .annotation("my.source", Some("params"), Mapping::NotBodyStruct)
        .annotation("my.q", None, Mapping::Query)
        .annotation("my.h", None, Mapping::Header)
        .annotation("my.drop", None, Mapping::None)
        .backend(Backend::new(pool, super::support::client(&up.addr)))
        .build()
        .unwrap();
    call(
        &gw,
        "GET",
        "/custom?v_int64=3&api_version=2",
        &[("token", "9")],
        r#"{"secret": "s"}"#,
    )
    .await;
    assert_eq!(
        up.rec.last().1,
        json!({"v_int64": 3, "common_param": {"api_version": 2, "token": 9}})
    );
}

#[tokio::test]
async fn multipart_form_bodies() {
    let (gw, up) = gateway("gateway/all.thrift").await;
    let body = "--XyZ\r\ncontent-disposition: form-data; name=\"ff\"\r\n\r\nmulti v\r\n\
                --XyZ\r\nContent-Disposition: form-data; name=\"bee\"\r\ncontent-type: text/plain\r\n\r\nline1\r\nline2\r\n\
                --XyZ\r\nContent-Disposition: form-data; name=\"tiny\"\r\n\r\n5\r\n\
                --XyZ--\r\n";
    call(
        &gw,
        "POST",
        "/all/4",
        &[("content-type", "multipart/form-data; boundary=\"XyZ\"")],
        body,
    )
    .await;
    assert_eq!(
        up.rec.last().1,
        json!({"f": "multi v", "b": "line1\r\nline2", "tiny": 5, "p": 4, "uri": "/all/4"})
    );
}
