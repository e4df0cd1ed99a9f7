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
