//! Routing: priority, trailing slashes, percent-encoding, `api.any`, and
//! load-time route errors.

use anycall_gateway::{Backend, Gateway};
use anycall_idl::Pool;
use serde_json::json;

use super::support::{call, client, gateway};

#[tokio::test]
async fn static_beats_param_beats_catch_all() {
    let (gw, up) = gateway("gateway/all.thrift").await;
    for (uri, method, args) in [
        ("/r/static", "Static", json!({})),
        ("/r/x", "Param", json!({"pid": "x"})),
        ("/r/x/more", "Deep", json!({"pid": "x"})),
        ("/files/a/b/c.txt", "Files", json!({"path": "a/b/c.txt"})),
        ("/r/q%20x", "Param", json!({"pid": "q x"})),
        ("/r/a%2Fb", "Param", json!({"pid": "a/b"})),
        (
            "/r/x?id=a%26b+c",
            "Param",
            json!({"pid": "x", "id": "a&b c"}),
        ),
    ] {
        let a = call(&gw, "GET", uri, &[], "").await;
        assert_eq!(a.status, 201, "{uri}: {:?}", a.body);
        assert_eq!(up.rec.last(), (method.to_owned(), args), "{uri}");
    }
}

#[tokio::test]
async fn trailing_slashes_are_not_tolerated() {
    let (gw, _up) = gateway("gateway/all.thrift").await;
    for uri in ["/r/x/", "/str/", "/r/static/", "//str"] {
        let a = call(&gw, "GET", uri, &[], "").await;
        assert_eq!(a.status, 404, "{uri}");
    }
}

#[tokio::test]
async fn any_matches_every_method_and_routes_are_listed() {
    let (gw, up) = gateway("gateway/all.thrift").await;
    for m in ["GET", "PUT", "OPTIONS", "DELETE"] {
        let a = call(&gw, m, "/anything", &[], "").await;
        assert_eq!(a.status, 201, "{m}");
        assert_eq!(up.rec.last().0, "Anything");
    }
    let routes = gw.routes();
    assert!(
        routes
            .iter()
            .any(|r| r.path == "/life/client/:action/:biz" || r.path == "/all/:p")
    );
    assert!(routes.iter().all(|r| r.method != "AllService.NotRouted"));
    assert_eq!(
        routes
            .iter()
            .filter(|r| r.method == "AllService.All")
            .count(),
        2
    );
}

fn build(idl: &str) -> Result<Gateway, anycall_gateway::Error> {
    let pool = Pool::from_source("routes.thrift", idl).unwrap();
    Gateway::builder()
        .backend(Backend::new(pool, client("127.0.0.1:1")))
        .build()
}

#[test]
fn two_methods_on_one_route_fail_at_load_naming_both() {
    let e = build(
        "struct R {}
         service S {
           R A(1: R r) (api.get = '/item/:id')
           R B(1: R r) (api.get = '/item/:other')
         }",
    )
    .unwrap_err();
    assert!(e.is_route(), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("S.A") && msg.contains("S.B"), "{msg}");
    assert!(msg.contains("routes.thrift:4:"), "{msg}");
    let e = build(
        "struct R {}
         service S {
           R A(1: R r) (api.post = '/x')
           R B(1: R r) (api.post = '/x')
         }",
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("S.A") && e.to_string().contains("S.B"),
        "{e}"
    );
    // The same path for another HTTP method is no conflict.
    build(
        "struct R {}
         service S {
           R A(1: R r) (api.get = '/x')
           R B(1: R r) (api.post = '/x')
         }",
    )
    .unwrap();
}

#[test]
fn malformed_routes_and_unmappable_methods_fail_at_load() {
    for (route, needle) in [
        ("no-slash", "must start with"),
        ("/a/*rest/b", "last segment"),
        ("/a/:", "needs a name"),
        ("/a/x:y", "start its segment"),
    ] {
        let e = build(&format!(
            "struct R {{}} service S {{ R A(1: R r) (api.get = '{route}') }}"
        ))
        .unwrap_err();
        assert!(
            e.is_route() && e.to_string().contains(needle),
            "{route}: {e}"
        );
    }
    // Other parameter lists bind as the args struct (tested with the peers).
    build("struct R {} service S { R A(1: R r, 2: R s) (api.get = '/a') }").unwrap();
    build("service S { string A(1: string s (api.query = 's')) (api.get = '/a') }").unwrap();
    let e = build("struct R { 1: string s (api.source = 'nowhere') } service S { R A(1: R r) (api.get = '/a') }")
        .unwrap_err();
    assert!(e.is_mapping() && e.to_string().contains("nowhere"), "{e}");
    let e = build(
        "struct R { 1: string h (api.header = 'bad header') } service S { R A(1: R r) (api.get = '/a') }",
    )
    .unwrap_err();
    assert!(
        e.is_mapping() && e.to_string().contains("bad header"),
        "{e}"
    );
}
