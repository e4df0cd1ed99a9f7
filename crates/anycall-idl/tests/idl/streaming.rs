//! `streaming.mode` annotations: the kind on each method, bare request and
//! response structs, and the shape errors.

use anycall_idl::{Pool, StreamingMode};

use crate::golden;

#[test]
fn interop_idl_marks_every_kind() {
    let path = golden::idl_dir().join("../interop/streaming.thrift");
    let pool = Pool::from_file(path.to_str().expect("utf-8 path"), Vec::<String>::new())
        .expect("streaming.thrift loads");
    let svc = pool.service("StreamService").expect("service");
    let kinds: Vec<(&str, StreamingMode)> =
        svc.methods().map(|m| (m.name(), m.streaming())).collect();
    assert_eq!(
        kinds,
        [
            ("Echo", StreamingMode::Bidirectional),
            ("Sum", StreamingMode::Client),
            ("Count", StreamingMode::Server),
            ("Unary", StreamingMode::Unary),
            ("Plain", StreamingMode::None),
        ]
    );
    let echo = svc.method("Echo").unwrap();
    assert_eq!(echo.stream_request().unwrap().name(), "StreamReq");
    assert_eq!(echo.stream_response().unwrap().name(), "StreamResp");
    // Unary-annotated and plain methods stay ping-pong: no bare messages.
    assert!(svc.method("Unary").unwrap().stream_request().is_none());
    assert!(svc.method("Plain").unwrap().stream_response().is_none());
    assert!(StreamingMode::Client.client_streams() && !StreamingMode::Client.server_streams());
    assert!(StreamingMode::Server.server_streams() && !StreamingMode::Server.client_streams());
    assert!(!StreamingMode::Unary.is_streaming());
}

#[test]
fn mode_values_round_trip() {
    for m in [
        StreamingMode::Unary,
        StreamingMode::Client,
        StreamingMode::Server,
        StreamingMode::Bidirectional,
    ] {
        assert_eq!(StreamingMode::from_annotation(m.as_str()), Some(m));
    }
    assert_eq!(StreamingMode::from_annotation("Bidirectional"), None);
    assert_eq!(StreamingMode::from_annotation("bidi"), None);
}

fn errors_of(src: &str) -> String {
    match Pool::from_source("s.thrift", src) {
        Ok(_) => panic!("loaded without errors"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn unknown_mode_is_an_error_at_the_annotation() {
    let err = errors_of(
        "struct R { 1: string m }\nservice S {\n  R f(1: R r) (streaming.mode = \"bidi\")\n}\n",
    );
    assert!(err.contains("s.thrift:3:"), "{err}");
    assert!(err.contains("unknown streaming.mode `bidi`"), "{err}");
}

#[test]
fn streaming_shapes_are_checked() {
    let err = errors_of(concat!(
        "struct R { 1: string m }\n",
        "service S {\n",
        "  R two(1: R a, 2: R b) (streaming.mode = \"client\")\n",
        "  R scalar(1: string a) (streaming.mode = \"server\")\n",
        "  void nothing(1: R a) (streaming.mode = \"bidirectional\")\n",
        "  i32 number(1: R a) (streaming.mode = \"bidirectional\")\n",
        "}\n",
    ));
    assert!(
        err.contains("`two` must take exactly one struct parameter, not 2"),
        "{err}"
    );
    assert!(
        err.contains("`scalar`: parameter `a` must be a struct"),
        "{err}"
    );
    assert!(err.contains("`nothing` must return a struct"), "{err}");
    assert!(err.contains("`number` must return a struct"), "{err}");
    // Unary-annotated methods keep the ping-pong rules.
    Pool::from_source(
        "u.thrift",
        "service S { void f(1: string a, 2: i32 b) (streaming.mode = \"unary\") }",
    )
    .expect("unary methods take any parameters");
}
