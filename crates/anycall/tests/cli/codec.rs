//! `encode` and `decode`: offline Thrift ⇄ JSON through the real binary.

use crate::support::{run_in, stderr, stdout, testdata};

fn codec(args: &[&str], stdin: &[u8]) -> std::process::Output {
    run_in(&testdata("codec"), args, stdin)
}

#[test]
fn encode_then_decode_a_struct_in_both_protocols() {
    for protocol in ["binary", "compact"] {
        let json = r#"{"id":7,"item_name":"seven"}"#;
        let enc = codec(
            &[
                "encode",
                "--idl",
                "all_types.thrift",
                "Item",
                "--protocol",
                protocol,
                "-d",
                json,
            ],
            b"",
        );
        assert_eq!(enc.status.code(), Some(0), "stderr: {}", stderr(&enc));
        assert!(!enc.stdout.is_empty());
        let dec = codec(
            &[
                "decode",
                "--idl",
                "all_types.thrift",
                "Item",
                "--protocol",
                protocol,
                "-o",
                "json",
            ],
            &enc.stdout,
        );
        assert_eq!(dec.status.code(), Some(0), "stderr: {}", stderr(&dec));
        assert_eq!(stdout(&dec).trim(), json);
    }
}

#[test]
fn encode_hex_matches_the_wire_layout() {
    let enc = codec(
        &[
            "encode",
            "--idl",
            "all_types.thrift",
            "Codec/Add",
            "-d",
            r#"{"a":1,"b":2}"#,
            "--hex",
        ],
        b"",
    );
    assert_eq!(enc.status.code(), Some(0), "stderr: {}", stderr(&enc));
    assert_eq!(
        stdout(&enc),
        "80 01 00 01 00 00 00 03 41 64 64 00 00 00 01 08\n00 01 00 00 00 01 0a 00 02 00 00 00 00 00 00 00\n02 00\n"
    );
}

#[test]
fn decode_a_call_message_from_stdin_hex() {
    let hex = "80 01 00 01 00 00 00 03 41 64 64 00 00 00 2a 08 00 01 00 00 00 01 0a 00 02 00 00 00 00 00 00 00 02 00";
    let dec = codec(
        &[
            "decode",
            "--idl",
            "all_types.thrift",
            "Codec/Add",
            "--hex",
            "-o",
            "json",
        ],
        hex.as_bytes(),
    );
    assert_eq!(dec.status.code(), Some(0), "stderr: {}", stderr(&dec));
    assert_eq!(
        stdout(&dec).trim(),
        r#"{"method":"Add","type":"call","seq_id":42,"body":{"a":1,"b":2}}"#
    );
}

#[test]
fn reply_messages_use_success_or_exception_names() {
    let enc = codec(
        &[
            "encode",
            "--idl",
            "all_types.thrift",
            "Codec/Echo",
            "--message",
            "reply",
            "-d",
            r#"{"oops":{"code":7,"why":"no"}}"#,
            "--seq-id",
            "5",
        ],
        b"",
    );
    assert_eq!(enc.status.code(), Some(0), "stderr: {}", stderr(&enc));
    let dec = codec(
        &[
            "decode",
            "--idl",
            "all_types.thrift",
            "Codec/Echo",
            "-o",
            "json",
        ],
        &enc.stdout,
    );
    assert_eq!(dec.status.code(), Some(0), "stderr: {}", stderr(&dec));
    assert_eq!(
        stdout(&dec).trim(),
        r#"{"method":"Echo","type":"reply","seq_id":5,"body":{"oops":{"code":7,"why":"no"}}}"#
    );
}

#[test]
fn data_from_a_file_and_from_stdin() {
    let dir = std::env::temp_dir().join(format!("anycall-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("point.json");
    std::fs::write(&file, r#"{"x": 1}"#).unwrap();
    let at_file = format!("@{}", file.display());
    let a = codec(
        &[
            "encode",
            "--idl",
            "all_types.thrift",
            "Point",
            "-d",
            &at_file,
            "--hex",
        ],
        b"",
    );
    let b = codec(
        &[
            "encode",
            "--idl",
            "all_types.thrift",
            "Point",
            "-d",
            "@-",
            "--hex",
        ],
        br#"{"x": 1}"#,
    );
    assert_eq!(a.status.code(), Some(0), "stderr: {}", stderr(&a));
    assert_eq!(stdout(&a), stdout(&b));
    // x = 1 and the IDL default y = 7.
    assert_eq!(stdout(&a), "08 00 01 00 00 00 01 08 00 02 00 00 00 07 00\n");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_json_names_the_field_path_and_exits_1() {
    let out = codec(
        &[
            "encode",
            "--idl",
            "all_types.thrift",
            "Codec/Echo",
            "-d",
            r#"{"items":{"k":{"id":"abc"}}}"#,
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(r#"Echo_args.req.items["k"].id: expected i64, found string "abc""#),
        "stderr: {}",
        stderr(&out)
    );
}

#[test]
fn truncated_bytes_fail_cleanly() {
    let out = codec(
        &["decode", "--idl", "all_types.thrift", "Codec/Add", "--hex"],
        b"80 01 00 01 00 00 00 03 41 64",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("error:"), "stderr: {}", stderr(&out));
}

#[test]
fn go_tag_aliases_can_be_disabled_by_kitex_env_var() {
    let args = [
        "encode",
        "--idl",
        "all_types.thrift",
        "Item",
        "-d",
        r#"{"id":1,"item_name":"x"}"#,
        "--hex",
    ];
    let on = codec(&args, b"");
    assert_eq!(on.status.code(), Some(0), "stderr: {}", stderr(&on));
    let off = std::process::Command::new(env!("CARGO_BIN_EXE_anycall"))
        .args(args)
        .current_dir(testdata("codec"))
        .env("KITEX_GENERIC_GOTAG_ALIAS_DISABLED", "True")
        .output()
        .expect("run anycall");
    assert_eq!(off.status.code(), Some(1));
    assert!(
        stderr(&off).contains(r#"unknown field "item_name""#),
        "stderr: {}",
        stderr(&off)
    );
}

#[test]
fn non_finite_doubles_print_only_with_the_flag_and_the_error_names_it() {
    let enc = codec(
        &[
            "encode",
            "--idl",
            "all_types.thrift",
            "All",
            "-d",
            r#"{"d": "-Infinity"}"#,
        ],
        b"",
    );
    assert!(enc.status.success(), "stderr: {}", stderr(&enc));
    let plain = codec(
        &[
            "decode",
            "--idl",
            "all_types.thrift",
            "All",
            "--output",
            "json",
        ],
        &enc.stdout,
    );
    assert_eq!(plain.status.code(), Some(1));
    let err = stderr(&plain);
    assert!(
        err.contains("All.d: double -inf has no JSON form (pass --non-finite"),
        "stderr: {err}"
    );
    assert!(!err.contains("Options::"), "no library option named: {err}");
    let flagged = codec(
        &[
            "decode",
            "--idl",
            "all_types.thrift",
            "All",
            "--output",
            "json",
            "--non-finite",
        ],
        &enc.stdout,
    );
    assert!(flagged.status.success(), "stderr: {}", stderr(&flagged));
    assert_eq!(stdout(&flagged).trim(), r#"{"d":"-Infinity"}"#);
}

#[test]
fn container_shape_errors_keep_the_field_path() {
    let out = codec(
        &[
            "encode",
            "--idl",
            "all_types.thrift",
            "Codec/Echo",
            "-d",
            r#"{"items": "x"}"#,
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(
            r#"Echo_args.req.items: expected an object or an array of [key, value] pairs for map<string,Item>, found string "x""#
        ),
        "stderr: {}",
        stderr(&out)
    );
}

#[test]
fn max_depth_raises_and_lowers_the_nesting_limit() {
    // All (1) > list (2) > list (3) > map (4) > list (5).
    let json = r#"{"nested": [[{"k": [1]}]]}"#;
    let encode = |extra: &[&str]| {
        let mut args = vec!["encode", "--idl", "all_types.thrift", "All", "-d", json];
        args.extend_from_slice(extra);
        codec(&args, b"")
    };
    assert!(encode(&[]).status.success());
    assert!(encode(&["--max-depth", "5"]).status.success());
    let shallow = encode(&["--max-depth", "4"]);
    assert_eq!(shallow.status.code(), Some(1));
    assert!(
        stderr(&shallow).contains("nesting depth"),
        "stderr: {}",
        stderr(&shallow)
    );
    // Reading bytes checks the same limit.
    let bytes = encode(&[]).stdout;
    let decode = |depth: &str| {
        codec(
            &[
                "decode",
                "--idl",
                "all_types.thrift",
                "All",
                "--max-depth",
                depth,
            ],
            &bytes,
        )
    };
    assert!(decode("5").status.success());
    assert_eq!(decode("4").status.code(), Some(1));
    // A limit above the default (64) lets deeper input through: a chain
    // of 70 `Node`s.
    let tree = testdata("idl/regress/shapes/tree.thrift");
    let tree = tree.to_str().unwrap();
    let mut chain = String::from(r#"{"value": 70}"#);
    for i in (1..70).rev() {
        chain = format!(r#"{{"value": {i}, "next": {chain}}}"#);
    }
    let node = |extra: &[&str]| {
        let mut args = vec!["encode", "--idl", tree, "Node", "-d", &chain];
        args.extend_from_slice(extra);
        codec(&args, b"")
    };
    let default = node(&[]);
    assert_eq!(default.status.code(), Some(1));
    assert!(
        stderr(&default).contains("nesting depth"),
        "stderr: {}",
        stderr(&default)
    );
    let raised = node(&["--max-depth", "100"]);
    assert!(raised.status.success(), "stderr: {}", stderr(&raised));
}
